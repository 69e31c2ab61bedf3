// Fuzzes the SigV4 readers and verifier.
//  * access_key_id on any header value: what it returns must be a view into the header, right
//    after "Credential=" in a header that starts with the scheme, and look like an access key id;
//    and a well-formed header built around the input's first line gives that line back when it
//    is a plausible key.
//  * sigv4::verify on a request made of the input: line 1 the Authorization value ("-": none),
//    line 2 the target, line 3 the method, then "name:value" header lines up to an empty line,
//    then the body. It must not crash, and must answer with one of the five authentication
//    errors and a message of at most 4096 bytes (or accept, which only a signature the input
//    got right could earn).
//  * a round trip: the same target, method, body and (well-named) headers, signed here with the
//    library, in the header form and as a presigned URL, must verify, as the fixed credential.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "fuzz_world.hpp"
#include "server/crypto.hpp"
#include "server/sigv4.hpp"
#include "server/uri_path.hpp"

namespace {

using namespace hil;
namespace sigv4 = server::sigv4;

constexpr api::epoch_millis k_now = 1'796'175'000'000;  // 20261202T013000Z
constexpr std::string_view k_date = "20261202T013000Z";
constexpr std::string_view k_host = "medical-imaging.us-east-1.amazonaws.com";

bool key_char(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
}

void check_raw(std::string_view header) {
    const auto key = server::access_key_id(header);
    if (key.empty()) return;
    fuzz::require(key.data() >= header.data() && key.data() + key.size() <= header.data() + header.size(),
                  "the key does not view into the header");
    fuzz::require(header.substr(0, 16) == "AWS4-HMAC-SHA256", "a key from a header of another scheme");
    const auto offset = static_cast<std::size_t>(key.data() - header.data());
    fuzz::require(offset >= 11 && header.substr(offset - 11, 11) == "Credential=", "the key does not follow Credential=");
    fuzz::require(key.size() <= 128 && std::all_of(key.begin(), key.end(), key_char), "the key has characters no key has");
    const auto after = header.substr(offset + key.size());
    fuzz::require(after.empty() || after.front() == '/' || after.front() == ',' || after.front() == ' ',
                  "the key stops before the end of the credential");
}

void check_access_key_id(std::string_view input) {
    check_raw(input);
    // The first line as the key of an otherwise well-formed header.
    const auto candidate = input.substr(0, input.find('\n'));
    const std::string header = "AWS4-HMAC-SHA256 Credential=" + std::string(candidate) +
                               "/20261129/us-east-1/medical-imaging/aws4_request, SignedHeaders=host, Signature=abc";
    const auto key = server::access_key_id(header);
    const bool plausible = !candidate.empty() && candidate.size() <= 128 && std::all_of(candidate.begin(), candidate.end(), key_char);
    fuzz::require(plausible ? key == candidate : key.empty() || candidate.find_first_of("/, ") != std::string_view::npos,
                  "a well-formed header's key is not read back");
    check_raw(header);
}

struct credentials {
    store::credential plain, temporary;
    credentials() {
        plain.access_key_id = "AKIDFUZZ";
        plain.secret_access_key = "fuzz/secret+key";
        temporary.access_key_id = "ASIAFUZZ";
        temporary.secret_access_key = "temporary-secret";
        temporary.session_token = "fuzz-session-token";
        temporary.expires_at = k_now + 60'000;
    }
    sigv4::credential_lookup lookup() const {
        return [this](std::string_view id) -> const store::credential* {
            if (id == plain.access_key_id) return &plain;
            if (id == temporary.access_key_id) return &temporary;
            return nullptr;
        };
    }
};

void check_answer(const api::result<sigv4::verified_caller>& r) {
    if (r.ok()) {
        fuzz::require(r.value().credential != nullptr, "accepted without a credential");
        return;
    }
    const auto code = r.err().code();
    fuzz::require(code == api::error_code::missing_authentication_token || code == api::error_code::incomplete_signature ||
                      code == api::error_code::invalid_signature || code == api::error_code::unrecognized_client ||
                      code == api::error_code::expired_token,
                  "verify answered with an error that is not an authentication error");
    fuzz::require(r.err().message().size() <= sigv4::k_max_message_bytes, "an error message longer than 4096 bytes");
    fuzz::require(!r.err().message().empty(), "an error without a message");
}

std::string_view next_line(std::string_view& rest) {
    const auto nl = rest.find('\n');
    const auto line = rest.substr(0, nl);
    rest.remove_prefix(nl == std::string_view::npos ? rest.size() : nl + 1);
    return line;
}

bool token_char(char c) { return key_char(c) || std::string_view("!#$%&'*+.^`|~").find(c) != std::string_view::npos; }

bool iequals(std::string_view a, std::string_view b) {
    return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
        return (x >= 'A' && x <= 'Z' ? x - 'A' + 'a' : x) == (y >= 'A' && y <= 'Z' ? y - 'A' + 'a' : y);
    });
}

// Whether a query parameter of `target` decodes to a name starting "X-Amz-" (a presigned
// URL's, which the round trip must not collide with).
bool query_has_amz_param(std::string_view target) {
    const auto question = target.find('?');
    if (question == std::string_view::npos) return false;
    auto query = target.substr(question + 1);
    while (!query.empty()) {
        const auto amp = query.find('&');
        const auto piece = query.substr(0, amp);
        const auto name = server::percent_decode(piece.substr(0, piece.find('=')));
        if (name.starts_with("X-Amz-")) return true;
        if (amp == std::string_view::npos) break;
        query.remove_prefix(amp + 1);
    }
    return false;
}

// The Authorization header that signs `request` (which carries Host and X-Amz-Date) with
// these signed headers, computed with the library's own pieces.
std::string authorization_for(const sigv4::signed_request& request, std::string_view access_key_id,
                              std::string_view secret, std::string_view signed_headers) {
    const std::string unsigned_header = "AWS4-HMAC-SHA256 Credential=" + std::string(access_key_id) + "/" +
                                        std::string(k_date.substr(0, 8)) +
                                        "/us-east-1/medical-imaging/aws4_request, SignedHeaders=" +
                                        std::string(signed_headers) + ", Signature=";
    const std::string placeholder = unsigned_header + "0";  // parse_authorization's result views into it
    const auto parsed = sigv4::parse_authorization(placeholder);
    fuzz::require(parsed.ok(), "the round trip's own header does not parse");
    const auto canonical = sigv4::canonical_request(request, parsed.value(), server::crypto::sha256_hex(request.body));
    const auto to_sign = sigv4::string_to_sign(k_date, parsed.value(), canonical);
    const auto key = sigv4::signing_key(secret, parsed.value().date, parsed.value().region, parsed.value().service);
    return unsigned_header + sigv4::signature(key, to_sign);
}

void round_trip(std::string_view method, std::string_view target, const std::vector<sigv4::header_field>& input_headers,
                std::string_view body, const credentials& creds, sigv4::signing_key_cache& cache) {
    if (target.empty() || query_has_amz_param(target)) return;
    // The headers a signer would send: the input's, but for the ones whose meaning the check
    // gives (date, token, payload hash, the signature itself), and those with names no HTTP
    // parser would deliver.
    std::vector<std::pair<std::string, std::string>> fields{{"Host", std::string(k_host)}, {"X-Amz-Date", std::string(k_date)}};
    std::vector<std::string> names{"host", "x-amz-date"};
    for (const auto& h : input_headers) {
        if (h.name.empty() || !std::all_of(h.name.begin(), h.name.end(), token_char)) continue;
        bool special = false;
        for (const std::string_view s : {"authorization", "x-amz-date", "date", "x-amz-security-token", "x-amz-content-sha256",
                                         "host"}) {
            special = special || iequals(h.name, s);
        }
        if (special) continue;
        fields.emplace_back(std::string(h.name), std::string(h.value));
        std::string lower(h.name);
        std::transform(lower.begin(), lower.end(), lower.begin(),
                       [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; });
        names.push_back(std::move(lower));
    }
    std::sort(names.begin(), names.end());
    names.erase(std::unique(names.begin(), names.end()), names.end());
    std::string signed_headers;
    for (const auto& n : names) signed_headers += (signed_headers.empty() ? "" : ";") + n;

    const auto as_fields = [](const std::vector<std::pair<std::string, std::string>>& f) {
        std::vector<sigv4::header_field> out;
        for (const auto& [n, v] : f) out.push_back({n, v});
        return out;
    };

    // The header form, for the long-term credential and the temporary one.
    for (const auto* credential : {&creds.plain, &creds.temporary}) {
        auto signed_fields = fields;
        std::string names_here = signed_headers;
        if (credential->session_token) {
            signed_fields.emplace_back("X-Amz-Security-Token", *credential->session_token);
            names_here += ";x-amz-security-token";  // SignedHeaders need not be sorted to verify
        }
        auto headers = as_fields(signed_fields);
        const sigv4::signed_request unsigned_request{method, target, headers, body};
        const auto authorization =
            authorization_for(unsigned_request, credential->access_key_id, credential->secret_access_key, names_here);
        headers.push_back({"Authorization", authorization});
        const auto r = sigv4::verify({method, target, headers, body}, creds.lookup(), k_now, cache);
        fuzz::require(r.ok(), "a request signed by the library does not verify");
        fuzz::require(r.value().credential == credential && r.value().region == "us-east-1",
                      "a verified request names another caller");
    }

    // The presigned form: only Host is signed, the parameters go after the input's query.
    const std::string scope = creds.plain.access_key_id + "%2F" + std::string(k_date.substr(0, 8)) +
                              "%2Fus-east-1%2Fmedical-imaging%2Faws4_request";
    // A '#' ends the query the router reads, so the parameters go before any fragment.
    std::string presigned(target.substr(0, target.find('#')));
    presigned += presigned.find('?') == std::string::npos ? "?" : "&";
    presigned += "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=" + scope + "&X-Amz-Date=" + std::string(k_date) +
                 "&X-Amz-Expires=300&X-Amz-SignedHeaders=host";
    const std::vector<sigv4::header_field> host_only{{"Host", k_host}};
    const std::string header = "AWS4-HMAC-SHA256 Credential=" + creds.plain.access_key_id + "/" +
                               std::string(k_date.substr(0, 8)) +
                               "/us-east-1/medical-imaging/aws4_request, SignedHeaders=host, Signature=0";
    auto parsed = sigv4::parse_authorization(header);  // views into `header`
    fuzz::require(parsed.ok(), "the round trip's own header does not parse");
    auto auth = std::move(parsed).value();
    auth.presigned = true;
    const auto canonical = sigv4::canonical_request({method, presigned, host_only, body}, auth,
                                                    server::crypto::sha256_hex(body));
    const std::string key_date(k_date.substr(0, 8));
    const auto signature = sigv4::signature(
        sigv4::signing_key(creds.plain.secret_access_key, key_date, "us-east-1", "medical-imaging"),
        sigv4::string_to_sign(k_date, auth, canonical));
    presigned += "&X-Amz-Signature=" + signature;
    const auto r = sigv4::verify({method, presigned, host_only, body}, creds.lookup(), k_now, cache);
    fuzz::require(r.ok(), "a URL presigned by the library does not verify");
    fuzz::require(r.value().credential == &creds.plain, "a verified presigned URL names another caller");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    check_access_key_id(input);

    static const credentials creds;
    static sigv4::signing_key_cache cache(64);  // small, so eviction runs too

    std::string_view rest = input;
    const auto authorization = next_line(rest);
    const auto target = next_line(rest);
    const auto method = next_line(rest);
    std::vector<std::pair<std::string_view, std::string_view>> lines;
    while (!rest.empty()) {
        const auto line = next_line(rest);
        if (line.empty()) break;
        const auto colon = line.find(':');
        lines.emplace_back(line.substr(0, colon), colon == std::string_view::npos ? std::string_view{} : line.substr(colon + 1));
    }
    const auto body = rest;

    std::vector<sigv4::header_field> headers;
    for (const auto& [n, v] : lines) headers.push_back({n, v});
    if (authorization != "-") headers.push_back({"Authorization", authorization});
    check_answer(sigv4::verify({method, target, headers, body}, creds.lookup(), k_now, cache));
    // The same with the date the credential scope is most likely to name, so the fuzzer can
    // reach the checks after the clock's.
    headers.push_back({"X-Amz-Date", k_date});
    check_answer(sigv4::verify({method, target, headers, body}, creds.lookup(), k_now, cache));

    std::vector<sigv4::header_field> input_headers;
    for (const auto& [n, v] : lines) input_headers.push_back({n, v});
    round_trip(method.empty() ? std::string_view("GET") : method, target, input_headers, body, creds, cache);
    return 0;
}
