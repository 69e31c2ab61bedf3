#include "server/sigv4.hpp"

#include <algorithm>
#include <cstdio>
#include <functional>
#include <utility>

#include "api/shapes.hpp"
#include "server/crypto.hpp"
#include "server/uri_path.hpp"

namespace hil::server {

std::string_view access_key_id(std::string_view authorization) {
    constexpr std::string_view scheme = "AWS4-HMAC-SHA256";
    constexpr std::string_view credential = "Credential=";
    if (authorization.substr(0, scheme.size()) != scheme) return {};
    const auto at = authorization.find(credential, scheme.size());
    if (at == std::string_view::npos) return {};
    const auto value = authorization.substr(at + credential.size());
    const auto end = value.find_first_of("/, ");
    const auto key = value.substr(0, end);
    return api::is_access_key_id(key) ? key : std::string_view{};
}


std::string_view credential_region(std::string_view authorization) {
    const auto key = access_key_id(authorization);
    if (key.empty()) return {};
    // Credential=KEY/DATE/REGION/SERVICE/aws4_request: the key is a view into the header.
    const auto after_key = static_cast<std::size_t>(key.data() + key.size() - authorization.data());
    auto rest = authorization.substr(after_key);
    if (rest.empty() || rest.front() != '/') return {};
    rest.remove_prefix(1);
    const auto date_end = rest.find('/');
    if (date_end == std::string_view::npos) return {};
    rest.remove_prefix(date_end + 1);
    const auto region = rest.substr(0, rest.find('/'));
    if (region.size() == rest.size() || !api::is_region_name(region)) return {};
    return region;
}

}  // namespace hil::server

namespace hil::server::sigv4 {
namespace {

using api::error;
using api::error_code;

// How much of the request a message quotes, in code points (display_value). With the fixed
// words around them, no message can pass k_max_message_bytes even at 4 bytes a code point.
constexpr std::size_t k_quote_piece = 256;
constexpr std::size_t k_quote_header = 512;
constexpr std::size_t k_quote_short = 64;

constexpr std::string_view k_unrecognized = "The security token included in the request is invalid.";
constexpr std::string_view k_expired_token = "The security token included in the request is expired";
constexpr std::string_view k_mismatch_head =
    "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access "
    "Key and signing method. Consult the service documentation for details.\n\nThe Canonical String for this request "
    "should have been\n'";
constexpr std::string_view k_mismatch_middle = "'\n\nThe String-to-Sign should have been\n'";
constexpr std::string_view k_mismatch_tail = "'\n";

bool is_unreserved(unsigned char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
           c == '.' || c == '~';
}

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f'; }

bool is_digit(char c) { return c >= '0' && c <= '9'; }

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

char to_lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

bool iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (to_lower(a[i]) != to_lower(b[i])) return false;
    }
    return true;
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
    while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
    return s;
}

void append_encoded(std::string& out, unsigned char c) {
    static constexpr char k_hex[] = "0123456789ABCDEF";
    if (is_unreserved(c)) {
        out += static_cast<char>(c);
    } else {
        out += '%';
        out += k_hex[c >> 4];
        out += k_hex[c & 0x0Fu];
    }
}

// Percent-decodes `text` (a malformed escape stays literal, '+' is a space as the router reads
// it: the SDKs send neither raw) and appends the result encoded strictly: the canonical form of
// a query name or value.
void append_reencoded(std::string& out, std::string_view text) {
    for (std::size_t i = 0; i < text.size();) {
        if (text[i] == '+') {
            append_encoded(out, static_cast<unsigned char>(' '));
            ++i;
            continue;
        }
        if (text[i] == '%' && i + 2 < text.size()) {
            const int high = hex_value(text[i + 1]);
            const int low = hex_value(text[i + 2]);
            if (high >= 0 && low >= 0) {
                append_encoded(out, static_cast<unsigned char>(high * 16 + low));
                i += 3;
                continue;
            }
        }
        append_encoded(out, static_cast<unsigned char>(text[i]));
        ++i;
    }
}

// Whether percent-decoding `raw` gives exactly `literal`, without building the decoded text.
bool decodes_to(std::string_view raw, std::string_view literal) {
    std::size_t j = 0;
    for (std::size_t i = 0; i < raw.size(); ++j) {
        if (j == literal.size()) return false;
        char c = raw[i];
        if (c == '%' && i + 2 < raw.size() && hex_value(raw[i + 1]) >= 0 && hex_value(raw[i + 2]) >= 0) {
            c = static_cast<char>(hex_value(raw[i + 1]) * 16 + hex_value(raw[i + 2]));
            i += 3;
        } else {
            ++i;
        }
        if (c != literal[j]) return false;
    }
    return j == literal.size();
}

// Calls visit(name, value) with the raw text of each non-empty '&'-separated piece of `query`.
template <class Visit>
void for_each_piece(std::string_view query, Visit&& visit) {
    while (!query.empty()) {
        const auto amp = query.find('&');
        const auto piece = query.substr(0, amp);
        if (!piece.empty()) {
            const auto eq = piece.find('=');
            visit(piece.substr(0, eq), eq == std::string_view::npos ? std::string_view{} : piece.substr(eq + 1));
        }
        if (amp == std::string_view::npos) break;
        query.remove_prefix(amp + 1);
    }
}

std::optional<std::string_view> find_header(std::span<const header_field> headers, std::string_view name) {
    for (const auto& field : headers) {
        if (iequals(field.name, name)) return field.value;
    }
    return std::nullopt;
}

std::string quote(std::string_view text, std::size_t max_chars) { return api::display_value(text, max_chars); }

// `text` made valid UTF-8 and cut to at most `max_bytes` bytes ("..." where it was cut).
std::string clip_bytes(std::string_view text, std::size_t max_bytes) {
    std::string s = api::display_value(text, max_bytes);
    if (s.size() <= max_bytes) return s;
    std::size_t n = max_bytes >= 3 ? max_bytes - 3 : 0;
    while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0u) == 0x80u) --n;  // not inside a code point
    s.resize(n);
    s += "...";
    return s;
}

error incomplete(std::string message) { return error::of(error_code::incomplete_signature, std::move(message)); }
error invalid(std::string message) { return error::of(error_code::invalid_signature, std::move(message)); }

// ---- time ----

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil).
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
    y -= m <= 2 ? 1 : 0;
    const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
    const auto yoe = static_cast<unsigned>(y - era * 400);
    const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

struct civil {
    std::int64_t year;
    unsigned month, day;
};

civil civil_from_days(std::int64_t z) {
    z += 719468;
    const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const auto doe = static_cast<unsigned>(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    const unsigned d = doy - (153 * mp + 2) / 5 + 1;
    const unsigned m = mp < 10 ? mp + 3 : mp - 9;
    return {static_cast<std::int64_t>(yoe) + era * 400 + (m <= 2 ? 1 : 0), m, d};
}

bool leap(std::int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

unsigned days_in_month(std::int64_t y, unsigned m) {
    static constexpr unsigned k_days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && leap(y) ? 29 : k_days[m - 1];
}

unsigned digits(std::string_view s, std::size_t at, std::size_t count) {
    unsigned v = 0;
    for (std::size_t i = 0; i < count; ++i) v = v * 10 + static_cast<unsigned>(s[at + i] - '0');
    return v;
}

std::optional<std::int64_t> seconds_of(std::int64_t year, unsigned month, unsigned day, unsigned hour, unsigned minute,
                                       unsigned second) {
    if (month < 1 || month > 12 || day < 1 || day > days_in_month(year, month) || hour > 23 || minute > 59 ||
        second > 59) {
        return std::nullopt;
    }
    return days_from_civil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second;
}

// YYYYMMDDTHHMMSSZ -> seconds since the epoch.
std::optional<std::int64_t> parse_basic(std::string_view s) {
    if (s.size() != 16 || s[8] != 'T' || s[15] != 'Z') return std::nullopt;
    for (std::size_t i = 0; i < 15; ++i) {
        if (i != 8 && !is_digit(s[i])) return std::nullopt;
    }
    return seconds_of(digits(s, 0, 4), digits(s, 4, 2), digits(s, 6, 2), digits(s, 9, 2), digits(s, 11, 2),
                      digits(s, 13, 2));
}

// RFC 1123 ("Sun, 30 Aug 2015 12:36:00 GMT"; the weekday optional and not checked; the zone
// GMT, UTC, UT, +0000 or -0000, since Python's formatdate writes "-0000") -> seconds since the epoch.
std::optional<std::int64_t> parse_http_date(std::string_view s) {
    const auto comma = s.find(',');
    if (comma != std::string_view::npos) s.remove_prefix(comma + 1);
    while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
    std::size_t day_digits = 0;
    while (day_digits < s.size() && day_digits < 2 && is_digit(s[day_digits])) ++day_digits;
    if (day_digits == 0 || s.size() < day_digits + 1 + 3 + 1 + 4 + 1 + 8 + 1) return std::nullopt;
    const unsigned day = digits(s, 0, day_digits);
    s.remove_prefix(day_digits);
    if (s[0] != ' ') return std::nullopt;
    static constexpr std::string_view k_months[] = {"jan", "feb", "mar", "apr", "may", "jun",
                                                    "jul", "aug", "sep", "oct", "nov", "dec"};
    unsigned month = 0;
    for (unsigned m = 0; m < 12; ++m) {
        if (iequals(s.substr(1, 3), k_months[m])) month = m + 1;
    }
    if (month == 0 || s[4] != ' ') return std::nullopt;
    const auto rest = s.substr(5);  // "2015 12:36:00 GMT"
    if (rest.size() < 4 + 1 + 8 + 1) return std::nullopt;
    for (const std::size_t i : {0u, 1u, 2u, 3u, 5u, 6u, 8u, 9u, 11u, 12u}) {
        if (!is_digit(rest[i])) return std::nullopt;
    }
    if (rest[4] != ' ' || rest[7] != ':' || rest[10] != ':' || rest[13] != ' ') return std::nullopt;
    const auto zone = rest.substr(14);
    if (zone != "GMT" && zone != "UTC" && zone != "UT" && zone != "+0000" && zone != "-0000") return std::nullopt;
    return seconds_of(digits(rest, 0, 4), month, day, digits(rest, 5, 2), digits(rest, 8, 2), digits(rest, 11, 2));
}

// Seconds since the epoch as YYYYMMDDTHHMMSSZ (a wider year if it ever needs one).
std::string format_basic(std::int64_t seconds) {
    std::int64_t days = seconds / 86400;
    std::int64_t in_day = seconds % 86400;
    if (in_day < 0) {
        in_day += 86400;
        --days;
    }
    const auto date = civil_from_days(days);
    char buffer[48];
    const int n = std::snprintf(buffer, sizeof buffer, "%04lld%02u%02uT%02lld%02lld%02lldZ",
                                static_cast<long long>(date.year), date.month, date.day,
                                static_cast<long long>(in_day / 3600), static_cast<long long>(in_day / 60 % 60),
                                static_cast<long long>(in_day % 60));
    return std::string(buffer, n > 0 ? static_cast<std::size_t>(n) : 0);
}

std::int64_t floor_seconds(api::epoch_millis millis) {
    return millis / 1000 - (millis % 1000 < 0 ? 1 : 0);
}

// ---- parsing ----


// The checks both forms share once their three parameters are found: host signed, the
// algorithm, five credential elements. Fills `a` from the views, which it keeps.
std::optional<error> finish_parse(parsed_authorization& a, std::string_view algorithm, std::string_view credential,
                                  std::string_view signed_headers, std::string_view signature_text) {
    a.algorithm = algorithm;
    a.signature = signature_text;
    a.signed_headers_text = signed_headers;
    a.signed_headers.clear();
    bool host = false;
    for (std::size_t at = 0;;) {
        const auto semi = signed_headers.find(';', at);
        const auto name = signed_headers.substr(at, semi == std::string_view::npos ? std::string_view::npos : semi - at);
        a.signed_headers.push_back(name);
        host = host || iequals(name, "host");
        if (semi == std::string_view::npos) break;
        at = semi + 1;
    }
    if (!host) return invalid("'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.");
    if (algorithm != k_algorithm) {
        return incomplete("Unsupported AWS 'algorithm': '" + quote(algorithm, k_quote_short) +
                          "' (only AWS4-HMAC-SHA256 for now). ");
    }
    auto scope = credential;
    while (!scope.empty() && scope.back() == '/') scope.remove_suffix(1);
    std::string_view parts[5];
    std::size_t count = 0;
    for (std::size_t at = 0; count <= 5;) {
        const auto slash = scope.find('/', at);
        if (count < 5) parts[count] = scope.substr(at, slash == std::string_view::npos ? std::string_view::npos : slash - at);
        ++count;
        if (slash == std::string_view::npos) break;
        at = slash + 1;
    }
    if (count != 5) {
        return incomplete(
            "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '" +
            quote(credential, k_quote_piece) + "'");
    }
    a.access_key_id = parts[0];
    a.date = parts[1];
    a.region = parts[2];
    a.service = parts[3];
    a.terminator = parts[4];
    return std::nullopt;
}

// The X-Amz-* parameters of a presigned URL, percent-decoded (first of each).
struct presigned_params {
    std::optional<std::string> algorithm, credential, date, expires, signed_headers, signature, token;
};

presigned_params read_presigned(std::string_view query) {
    presigned_params p;
    const std::pair<std::string_view, std::optional<std::string> presigned_params::*> wanted[] = {
        {"X-Amz-Algorithm", &presigned_params::algorithm},
        {"X-Amz-Credential", &presigned_params::credential},
        {"X-Amz-Date", &presigned_params::date},
        {"X-Amz-Expires", &presigned_params::expires},
        {"X-Amz-SignedHeaders", &presigned_params::signed_headers},
        {"X-Amz-Signature", &presigned_params::signature},
        {"X-Amz-Security-Token", &presigned_params::token},
    };
    for_each_piece(query, [&](std::string_view name, std::string_view value) {
        for (const auto& [literal, member] : wanted) {
            if ((p.*member).has_value() || !decodes_to(name, literal)) continue;
            p.*member = percent_decode(value);
            break;
        }
    });
    return p;
}

bool has_presign_algorithm(std::string_view query) {
    bool found = false;
    for_each_piece(query, [&](std::string_view name, std::string_view) {
        found = found || decodes_to(name, "X-Amz-Algorithm");
    });
    return found;
}

std::optional<error> parse_presigned(const presigned_params& p, parsed_authorization& a) {
    std::string missing;
    if (!p.credential) missing += "AWS query-string parameters must include 'X-Amz-Credential'. ";
    if (!p.signature) missing += "AWS query-string parameters must include 'X-Amz-Signature'. ";
    if (!p.signed_headers) missing += "AWS query-string parameters must include 'X-Amz-SignedHeaders'. ";
    if (!p.date) missing += "AWS query-string parameters must include 'X-Amz-Date'. ";
    if (!missing.empty()) return incomplete(missing + "Re-examine the query-string parameters.");
    a.presigned = true;
    return finish_parse(a, p.algorithm ? std::string_view(*p.algorithm) : std::string_view{}, *p.credential,
                        *p.signed_headers, *p.signature);
}

// ---- canonical request ----

void append_canonical_uri(std::string& out, std::string_view path) {
    if (path.empty()) {
        out += '/';
        return;
    }
    // Segments are written as "/seg" each, so ".." can drop back to the last '/' (an encoded
    // segment holds none); a path without a leading '/' loses the first one at the end.
    const std::size_t start = out.size();
    std::size_t segments = 0;
    for (std::size_t at = 0;;) {
        const auto slash = path.find('/', at);
        const auto segment = path.substr(at, slash == std::string_view::npos ? std::string_view::npos : slash - at);
        if (segment == "..") {
            if (segments > 0) {
                out.resize(out.rfind('/'));
                --segments;
            }
        } else if (!segment.empty() && segment != ".") {
            out += '/';
            for (const char c : segment) append_encoded(out, static_cast<unsigned char>(c));
            ++segments;
        }
        if (slash == std::string_view::npos) break;
        at = slash + 1;
    }
    if (segments == 0) {
        if (path.front() == '/') out += '/';
        return;
    }
    if (path.front() != '/') out.erase(start, 1);
    if (path.back() == '/') out += '/';
}

void append_canonical_query(std::string& out, std::string_view query, bool presigned) {
    if (query.empty()) return;
    struct param {
        std::size_t name_at, name_size, value_at, value_size;
    };
    std::string text;  // every canonical name and value, back to back
    text.reserve(query.size() + query.size() / 2);
    std::vector<param> params;
    for_each_piece(query, [&](std::string_view name, std::string_view value) {
        param p{};
        p.name_at = text.size();
        append_reencoded(text, name);
        p.name_size = text.size() - p.name_at;
        // The canonical form of "X-Amz-Signature" is itself, so this tests the decoded name.
        if (presigned && iequals(std::string_view(text).substr(p.name_at), "X-Amz-Signature")) {
            text.resize(p.name_at);
            return;
        }
        p.value_at = text.size();
        append_reencoded(text, value);
        p.value_size = text.size() - p.value_at;
        params.push_back(p);
    });
    const std::string_view all = text;
    const auto name = [&](const param& p) { return all.substr(p.name_at, p.name_size); };
    const auto value = [&](const param& p) { return all.substr(p.value_at, p.value_size); };
    std::sort(params.begin(), params.end(), [&](const param& x, const param& y) {
        const auto nx = name(x), ny = name(y);
        return nx != ny ? nx < ny : value(x) < value(y);
    });
    bool first = true;
    for (const auto& p : params) {
        if (!first) out += '&';
        first = false;
        out += name(p);
        out += '=';
        out += value(p);
    }
}

// Trimmed, each inner run of whitespace one space (SigV4's Trimall, as botocore's split/join
// and JS's /\s+/g do it).
void append_folded(std::string& out, std::string_view value) {
    bool pending_space = false;
    bool wrote = false;
    for (const char c : value) {
        if (is_space(c)) {
            pending_space = true;
            continue;
        }
        if (pending_space && wrote) out += ' ';
        out += c;
        pending_space = false;
        wrote = true;
    }
}

}  // namespace

api::result<parsed_authorization> parse_authorization(std::string_view header, bool has_date) {
    const auto separator = [](char c) { return c == ',' || is_space(c); };
    std::string_view rest = header;
    const auto next_piece = [&]() -> std::string_view {
        while (!rest.empty() && separator(rest.front())) rest.remove_prefix(1);
        std::size_t n = 0;
        while (n < rest.size() && !separator(rest[n])) ++n;
        const auto piece = rest.substr(0, n);
        rest.remove_prefix(n);
        return piece;
    };
    const auto algorithm = next_piece();
    std::string_view credential, signature_text, signed_headers;
    for (auto piece = next_piece(); !piece.empty(); piece = next_piece()) {
        const auto eq = piece.find('=');
        if (eq == std::string_view::npos) {
            return incomplete("'" + quote(piece, k_quote_piece) +
                              "' not a valid key=value pair (missing equal-sign) in Authorization header: '" +
                              quote(header, k_quote_header) + "'.");
        }
        const auto key = piece.substr(0, eq);
        const auto value = piece.substr(eq + 1);
        if (key == "Credential") {
            credential = value;
        } else if (key == "Signature") {
            signature_text = value;
        } else if (key == "SignedHeaders") {
            signed_headers = value;
        }
    }
    std::string missing;
    if (credential.empty()) missing += "Authorization header requires 'Credential' parameter. ";
    if (signature_text.empty()) missing += "Authorization header requires 'Signature' parameter. ";
    if (signed_headers.empty()) missing += "Authorization header requires 'SignedHeaders' parameter. ";
    if (!has_date) missing += "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. ";
    if (!missing.empty()) return incomplete(missing + "Authorization=" + quote(header, k_quote_header));
    parsed_authorization parsed;
    if (auto failure = finish_parse(parsed, algorithm, credential, signed_headers, signature_text)) return *failure;
    return parsed;
}

std::string canonical_request(const signed_request& request, const parsed_authorization& auth,
                              std::string_view payload_hash) {
    // The path and query the router serves (a '#' ends both), so what is signed is what runs.
    const auto path = target_path(request.target);
    const auto query = target_query(request.target);
    std::string out;
    out.reserve(request.method.size() + path.size() * 2 + query.size() * 2 + auth.signed_headers_text.size() * 2 +
                payload_hash.size() + 256);
    out += request.method;
    out += '\n';
    append_canonical_uri(out, path);
    out += '\n';
    append_canonical_query(out, query, auth.presigned);
    out += '\n';
    for (const auto name : auth.signed_headers) {
        out += name;
        out += ':';
        bool first = true;
        for (const auto& field : request.headers) {
            if (!iequals(field.name, name)) continue;
            if (!first) out += ',';
            first = false;
            append_folded(out, field.value);
        }
        out += '\n';
    }
    out += '\n';
    out += auth.signed_headers_text;
    out += '\n';
    out += payload_hash;
    return out;
}

std::string string_to_sign(std::string_view amz_date, const parsed_authorization& auth,
                           std::string_view canonical) {
    std::string out;
    out.reserve(k_algorithm.size() + amz_date.size() + auth.date.size() + auth.region.size() + auth.service.size() +
                k_terminator.size() + 64 + 8);
    out += k_algorithm;
    out += '\n';
    out += amz_date;
    out += '\n';
    out += auth.date;
    out += '/';
    out += auth.region;
    out += '/';
    out += auth.service;
    out += '/';
    out += k_terminator;
    out += '\n';
    out += crypto::sha256_hex(canonical);
    return out;
}

std::array<unsigned char, 32> signing_key(std::string_view secret, std::string_view date, std::string_view region,
                                          std::string_view service) {
    std::string first_key;
    first_key.reserve(4 + secret.size());
    first_key += "AWS4";
    first_key += secret;
    const auto date_key = crypto::hmac_sha256(first_key, date);
    const auto region_key = crypto::hmac_sha256(date_key, region);
    const auto service_key = crypto::hmac_sha256(region_key, service);
    return crypto::hmac_sha256(service_key, k_terminator);
}

std::string signature(const std::array<unsigned char, 32>& key, std::string_view string_to_sign) {
    return crypto::hex(crypto::hmac_sha256(key, string_to_sign));
}

// ---- signing_key_cache ----

std::size_t signing_key_cache::hasher::operator()(const key_view& k) const noexcept {
    const std::hash<std::string_view> h{};
    std::size_t seed = 0;
    for (const auto part : {k.access_key_id, k.secret, k.date, k.region, k.service}) {
        seed ^= h(part) + 0x9e3779b97f4a7c15ULL + (seed << 6) + (seed >> 2);
    }
    return seed;
}

std::size_t signing_key_cache::hasher::operator()(const entry_key& k) const noexcept { return (*this)(equal::view(k)); }

signing_key_cache::key_view signing_key_cache::equal::view(const entry_key& k) noexcept {
    return {k.access_key_id, k.secret, k.date, k.region, k.service};
}

signing_key_cache::signing_key_cache(std::size_t capacity) : capacity_(std::max<std::size_t>(capacity, 1)) {}

std::shared_ptr<const crypto::hmac_sha256_key> signing_key_cache::signer(std::string_view access_key_id,
                                                                         std::string_view secret, std::string_view date,
                                                                         std::string_view region,
                                                                         std::string_view service) {
    const key_view wanted{access_key_id, secret, date, region, service};
    {
        const std::lock_guard lock(mutex_);
        if (const auto it = keys_.find(wanted); it != keys_.end()) return it->second.signer;
    }
    const auto key = signing_key(secret, date, region, service);
    auto made = std::make_shared<const crypto::hmac_sha256_key>(key);
    const std::lock_guard lock(mutex_);
    if (keys_.size() >= capacity_) keys_.clear();
    keys_.try_emplace(entry_key{std::string(access_key_id), std::string(secret), std::string(date),
                                std::string(region), std::string(service)},
                      entry{key, made});
    ++derivations_;
    return made;
}

std::array<unsigned char, 32> signing_key_cache::get(std::string_view access_key_id, std::string_view secret,
                                                     std::string_view date, std::string_view region,
                                                     std::string_view service) {
    (void)signer(access_key_id, secret, date, region, service);
    const std::lock_guard lock(mutex_);
    const auto it = keys_.find(key_view{access_key_id, secret, date, region, service});
    // Just made or found; a concurrent eviction may have emptied the cache since: derive again.
    return it != keys_.end() ? it->second.key : signing_key(secret, date, region, service);
}

std::size_t signing_key_cache::size() const {
    const std::lock_guard lock(mutex_);
    return keys_.size();
}

std::size_t signing_key_cache::derivations() const {
    const std::lock_guard lock(mutex_);
    return derivations_;
}

// ---- verify ----

api::result<verified_caller> verify(const signed_request& request, const credential_lookup& lookup,
                                    api::epoch_millis now, signing_key_cache& keys, std::string_view service) {
    const auto query = target_query(request.target);
    const auto header = find_header(request.headers, "authorization");
    const bool presigned = has_presign_algorithm(query);
    if (header && presigned) {
        return invalid("Found both 'X-Amz-Algorithm' as a query-string param and 'Authorization' as HTTP header.");
    }
    if (!presigned && (!header || trim(*header).substr(0, 5) != "AWS4-")) {
        return error::of(error_code::missing_authentication_token, "Missing Authentication Token");
    }

    // 2-3: the parameters and the date. The presigned form's decoded texts live in `params`.
    parsed_authorization auth;
    presigned_params params;
    std::string_view date_text;
    std::optional<std::int64_t> request_seconds;
    std::optional<std::string_view> token;
    std::optional<std::int64_t> expires;
    if (header) {
        const auto amz_date = find_header(request.headers, "x-amz-date");
        const auto http_date = find_header(request.headers, "date");
        auto parsed = parse_authorization(*header, amz_date.has_value() || http_date.has_value());
        if (!parsed) return parsed.err();
        auth = std::move(parsed).value();
        date_text = trim(amz_date ? *amz_date : *http_date);
        request_seconds = amz_date ? parse_basic(date_text) : parse_http_date(date_text);
        token = find_header(request.headers, "x-amz-security-token");
        if (token) token = trim(*token);
    } else {
        params = read_presigned(query);
        if (auto failure = parse_presigned(params, auth)) return *failure;
        date_text = *params.date;
        request_seconds = parse_basic(date_text);
        if (params.token) token = *params.token;
        if (params.expires) {
            const std::string_view text = *params.expires;
            std::int64_t value = 0;
            bool ok = !text.empty() && text.size() <= 7;
            for (const char c : text) {
                ok = ok && is_digit(c);
                if (ok) value = value * 10 + (c - '0');
            }
            if (!ok || value < 1 || value > k_max_expires_seconds) {
                return incomplete("X-Amz-Expires must be a whole number of seconds from 1 to 604800, not '" +
                                  quote(text, k_quote_short) + "'.");
            }
            expires = value;
        }
    }
    if (!request_seconds) {
        return incomplete("Date must be in ISO-8601 'basic format'. Got '" + quote(date_text, k_quote_short) +
                          "'. See http://en.wikipedia.org/wiki/ISO_8601");
    }
    const std::string amz_date = format_basic(*request_seconds);

    // 4: the clock.
    const std::int64_t now_seconds = floor_seconds(now);
    if (expires) {
        if (*request_seconds < now_seconds - *expires) {
            return invalid("Signature expired: " + amz_date + " is now earlier than " +
                           format_basic(now_seconds - *expires) + " (" + format_basic(now_seconds) + " - " +
                           std::to_string(*expires) + " sec.)");
        }
    } else if (*request_seconds < now_seconds - k_max_skew_seconds) {
        return invalid("Signature expired: " + amz_date + " is now earlier than " +
                       format_basic(now_seconds - k_max_skew_seconds) + " (" + format_basic(now_seconds) +
                       " - 15 min.)");
    }
    if (*request_seconds > now_seconds + k_max_skew_seconds) {
        return invalid("Signature not yet current: " + amz_date + " is still later than " +
                       format_basic(now_seconds + k_max_skew_seconds) + " (" + format_basic(now_seconds) +
                       " + 15 min.)");
    }

    // 5: the scope, every wrong piece at once.
    std::string scope_errors;
    if (!api::is_region_name(auth.region)) {
        scope_errors += "Credential should be scoped to a valid region, not '" + quote(auth.region, k_quote_short) + "'. ";
    }
    if (auth.service != service) {
        scope_errors += "Credential should be scoped to correct service: '";
        scope_errors += service;
        scope_errors += "'. ";
    }
    if (auth.terminator != k_terminator) {
        scope_errors += "Credential should be scoped with a valid terminator: 'aws4_request', not '" +
                        quote(auth.terminator, k_quote_short) + "'. ";
    }
    const std::string_view day = std::string_view(amz_date).substr(0, 8);
    if (auth.date != day) {
        scope_errors += "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '" +
                        quote(auth.date, k_quote_short) + "' != '" + std::string(day) + "', from '" +
                        quote(date_text, k_quote_short) + "'.";
    }
    if (!scope_errors.empty()) return invalid(std::move(scope_errors));

    // 6-8: who it is.
    const store::credential* const credential = lookup ? lookup(auth.access_key_id) : nullptr;
    if (credential == nullptr) return error::of(error_code::unrecognized_client, std::string(k_unrecognized));
    if (credential->session_token ? !token || !crypto::constant_time_equal(*token, *credential->session_token)
                                  : token.has_value()) {
        return error::of(error_code::unrecognized_client, std::string(k_unrecognized));
    }
    if (credential->expires_at && *credential->expires_at <= now) {
        return error::of(error_code::expired_token, std::string(k_expired_token));
    }

    // 9-10: the signature, then the body against the hash it signed.
    const auto content_sha = find_header(request.headers, "x-amz-content-sha256");
    const auto claimed = content_sha ? std::optional<std::string_view>(trim(*content_sha)) : std::nullopt;
    const bool claims_digest = claimed && claimed->size() == 64 &&
                               std::all_of(claimed->begin(), claimed->end(), [](char c) { return hex_value(c) >= 0; });
    // Anything else would leave the body unsigned: only the one documented opt-out does.
    if (claimed && !claims_digest && *claimed != k_unsigned_payload) {
        return invalid("x-amz-content-sha256 must be UNSIGNED-PAYLOAD or a valid sha256 value.");
    }
    constexpr std::string_view k_empty_sha256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
    const std::string body_hash = claimed && !claims_digest ? std::string()
                                  : request.body.empty()    ? std::string(k_empty_sha256)
                                                            : crypto::sha256_hex(request.body);
    const std::string canonical = canonical_request(request, auth, claimed ? *claimed : std::string_view(body_hash));
    const std::string to_sign = string_to_sign(amz_date, auth, canonical);
    const auto signer = keys.signer(auth.access_key_id, credential->secret_access_key, auth.date, auth.region, auth.service);
    if (!crypto::constant_time_equal(crypto::hex(signer->digest(to_sign)), auth.signature)) {
        std::string shown_to_sign = clip_bytes(to_sign, 1024);
        const std::size_t fixed = k_mismatch_head.size() + k_mismatch_middle.size() + k_mismatch_tail.size() +
                                  shown_to_sign.size();
        std::string message;
        message.reserve(k_max_message_bytes);
        message += k_mismatch_head;
        message += clip_bytes(canonical, k_max_message_bytes - fixed);
        message += k_mismatch_middle;
        message += shown_to_sign;
        message += k_mismatch_tail;
        return invalid(std::move(message));
    }
    if (claims_digest && !iequals(*claimed, body_hash)) {
        return invalid("The provided 'x-amz-content-sha256' header does not match what was computed.");
    }
    return verified_caller{credential, std::string(auth.region)};
}

}  // namespace hil::server::sigv4
