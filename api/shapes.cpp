#include "api/shapes.hpp"

#include <algorithm>
#include <cstdint>

namespace hil::api {
namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_lower_alnum(char c) { return is_digit(c) || (c >= 'a' && c <= 'z'); }
bool is_alnum(char c) { return is_lower_alnum(c) || (c >= 'A' && c <= 'Z'); }
// Java's `.`: anything but a line terminator (only the ASCII ones can occur byte-wise here;
// U+0085/U+2028/U+2029 are checked on their UTF-8 forms below).
bool is_line_terminator_at(std::string_view s, std::size_t i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c == '\n' || c == '\r') return true;
    if (c == 0xC2 && i + 1 < s.size() && static_cast<unsigned char>(s[i + 1]) == 0x85) return true;
    if (c == 0xE2 && i + 2 < s.size() && static_cast<unsigned char>(s[i + 1]) == 0x80) {
        const auto c2 = static_cast<unsigned char>(s[i + 2]);
        return c2 == 0xA8 || c2 == 0xA9;
    }
    return false;
}
bool any_chars_no_line_terminator(std::string_view s) {
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (is_line_terminator_at(s, i)) return false;
    }
    return true;
}

template <class Pred>
bool one_or_more(std::string_view s, Pred pred) {
    return !s.empty() && std::all_of(s.begin(), s.end(), pred);
}

bool matches_datastore_id(std::string_view s) { return s.size() == 32 && one_or_more(s, is_lower_alnum); }
bool matches_job_id(std::string_view s) { return one_or_more(s, is_lower_alnum); }
bool matches_name(std::string_view s) {
    return one_or_more(s, [](char c) {
        return is_alnum(c) || c == '.' || c == '_' || c == '/' || c == '#' || c == '-';
    });
}

bool matches_role_arn(std::string_view s) {
    constexpr std::string_view head = "arn:aws";
    if (s.substr(0, head.size()) != head) return false;
    s.remove_prefix(head.size());
    if (!s.empty() && s.front() == '-') {  // (-[^:]+)?
        const auto colon = s.find(':');
        if (colon == std::string_view::npos || colon < 2) return false;
        s.remove_prefix(colon);
    }
    constexpr std::string_view iam = ":iam::";
    if (s.substr(0, iam.size()) != iam) return false;
    s.remove_prefix(iam.size());
    if (s.size() < 12 || !std::all_of(s.begin(), s.begin() + 12, is_digit)) return false;
    s.remove_prefix(12);
    constexpr std::string_view role = ":role/";
    if (s.substr(0, role.size()) != role) return false;
    s.remove_prefix(role.size());
    return !s.empty() && any_chars_no_line_terminator(s);
}

bool matches_s3_uri(std::string_view s) {
    constexpr std::string_view scheme = "s3://";
    if (s.substr(0, scheme.size()) != scheme) return false;
    s.remove_prefix(scheme.size());
    // No bucket character class contains '/', so the bucket ends at the first one.
    const auto slash = s.find('/');
    const auto bucket = s.substr(0, slash);
    if (bucket.size() < 3 || bucket.size() > 63) return false;
    if (!is_lower_alnum(bucket.front()) || !is_lower_alnum(bucket.back())) return false;
    const bool middle_ok = std::all_of(bucket.begin() + 1, bucket.end() - 1,
                                       [](char c) { return is_lower_alnum(c) || c == '.' || c == '-'; });
    if (!middle_ok) return false;
    return slash == std::string_view::npos || any_chars_no_line_terminator(s.substr(slash));
}

bool matches_message(std::string_view s) {
    // [\w -:`]: Java's \w is ASCII [A-Za-z0-9_]; ' -:' is the range 0x20..0x3A.
    return one_or_more(s, [](char c) { return is_alnum(c) || c == '_' || (c >= ' ' && c <= ':') || c == '`'; });
}

// Number of code points; a byte that does not start a valid sequence counts as one.
std::size_t utf8_length(std::string_view s) {
    std::size_t n = 0;
    for (const char ch : s) {
        if ((static_cast<unsigned char>(ch) & 0xC0) != 0x80) ++n;
    }
    return n;
}

// Length of the valid UTF-8 sequence starting at s[i], or 0 if it is not valid.
std::size_t utf8_sequence_length(std::string_view s, std::size_t i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) return 1;
    std::size_t len = 0;
    std::uint32_t cp = 0;
    if ((c & 0xE0) == 0xC0) { len = 2; cp = c & 0x1F; }
    else if ((c & 0xF0) == 0xE0) { len = 3; cp = c & 0x0F; }
    else if ((c & 0xF8) == 0xF0) { len = 4; cp = c & 0x07; }
    else return 0;
    if (i + len > s.size()) return 0;
    for (std::size_t k = 1; k < len; ++k) {
        const auto cc = static_cast<unsigned char>(s[i + k]);
        if ((cc & 0xC0) != 0x80) return 0;
        cp = (cp << 6) | (cc & 0x3F);
    }
    const bool overlong = (len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000);
    const bool surrogate = cp >= 0xD800 && cp <= 0xDFFF;
    if (overlong || surrogate || cp > 0x10FFFF) return 0;
    return len;
}

}  // namespace

const string_shape datastore_id_shape{"DatastoreId", 0, 0, "[0-9a-z]{32}", matches_datastore_id};
const string_shape job_id_shape{"JobId", 1, 32, "[0-9a-z]+", matches_job_id};
const string_shape job_name_shape{"JobName", 1, 64, "[A-Za-z0-9._/#-]+", matches_name};
const string_shape datastore_name_shape{"DatastoreName", 1, 256, "[A-Za-z0-9._/#-]+", matches_name};
const string_shape role_arn_shape{"RoleArn", 20, 2048, "arn:aws(-[^:]+)?:iam::[0-9]{12}:role/.+", matches_role_arn};
const string_shape s3_uri_shape{"S3Uri", 1, 1024, "s3://[a-z0-9][\\.\\-a-z0-9]{1,61}[a-z0-9](/.*)?", matches_s3_uri};
const string_shape message_shape{"Message", 1, 2048, "[\\w -:`]+", matches_message};
const enum_shape job_status_shape{"JobStatus", {"SUBMITTED", "IN_PROGRESS", "COMPLETED", "FAILED"}};
const enum_shape datastore_status_shape{"DatastoreStatus", {"CREATING", "CREATE_FAILED", "ACTIVE", "DELETING", "DELETED"}};

std::vector<std::string> violations(const string_shape& shape, std::string_view value) {
    std::vector<std::string> out;
    const auto length = utf8_length(value);
    if (shape.min_length != 0 && length < shape.min_length) {
        out.push_back("Member must have length greater than or equal to " + std::to_string(shape.min_length));
    }
    if (shape.max_length != 0 && length > shape.max_length) {
        out.push_back("Member must have length less than or equal to " + std::to_string(shape.max_length));
    }
    if (!shape.matches(value)) {
        out.push_back("Member must satisfy regular expression pattern: " + std::string(shape.pattern));
    }
    return out;
}

std::vector<std::string> violations(const enum_shape& shape, std::string_view value) {
    if (std::find(shape.values.begin(), shape.values.end(), value) != shape.values.end()) return {};
    std::string set = "Member must satisfy enum value set: [";
    bool first = true;
    for (const auto v : shape.values) {
        if (!first) set += ", ";
        set += v;
        first = false;
    }
    set += "]";
    return {set};
}

std::string display_value(std::string_view value, std::size_t max_chars) {
    std::string out;
    out.reserve(std::min(value.size(), max_chars * 4) + 3);
    std::size_t chars = 0;
    for (std::size_t i = 0; i < value.size();) {
        if (chars == max_chars) {
            out += "...";
            break;
        }
        const auto len = utf8_sequence_length(value, i);
        if (len == 0) {
            out += "\xEF\xBF\xBD";  // U+FFFD REPLACEMENT CHARACTER
            i += 1;
        } else {
            out.append(value.substr(i, len));
            i += len;
        }
        ++chars;
    }
    return out;
}

void validation_report::check(std::string_view member, const string_shape& shape, std::string_view value) {
    for (const auto& v : violations(shape, value)) add(member, value, v);
}

void validation_report::check(std::string_view member, const enum_shape& shape, std::string_view value) {
    for (const auto& v : violations(shape, value)) add(member, value, v);
}

void validation_report::add(std::string_view member, std::string_view value, std::string_view constraint) {
    if (count_ != 0) details_ += "; ";
    details_ += "Value '";
    details_ += display_value(value);
    details_ += "' at '";
    details_ += member;
    details_ += "' failed to satisfy constraint: ";
    details_ += constraint;
    ++count_;
}

std::string validation_report::message() const {
    return std::to_string(count_) + (count_ == 1 ? " validation error detected: " : " validation errors detected: ") +
           details_;
}

}  // namespace hil::api
