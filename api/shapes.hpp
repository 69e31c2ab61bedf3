// The documented constraints of the API's string and enum shapes (botocore service-2.json,
// anchors from the Smithy model: every pattern must match the whole value), and the
// Coral-style ValidationException message that lists every violated constraint.
//
// Used by the router for URI labels and by the fixture loader for seed data, so both
// accept exactly what AWS accepts. Thread safety: stateless; safe from any thread.
#pragma once

#include <cstddef>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

namespace hil::api {

struct string_shape {
    std::string_view name;      // the model's shape name, e.g. "JobId"
    std::size_t min_length;     // in characters; 0 = no length trait minimum
    std::size_t max_length;     // in characters; 0 = no maximum
    std::string_view pattern;   // as documented, quoted in messages
    bool (*matches)(std::string_view value);
};

struct enum_shape {
    std::string_view name;
    std::initializer_list<std::string_view> values;
};

extern const string_shape datastore_id_shape;    // [0-9a-z]{32}
extern const string_shape job_id_shape;          // 1..32, [0-9a-z]+
extern const string_shape job_name_shape;        // 1..64, [A-Za-z0-9._/#-]+
extern const string_shape datastore_name_shape;  // 1..256, [A-Za-z0-9._/#-]+
extern const string_shape role_arn_shape;        // 20..2048, arn:aws(-[^:]+)?:iam::[0-9]{12}:role/.+
extern const string_shape s3_uri_shape;          // 1..1024, s3://[a-z0-9][\.\-a-z0-9]{1,61}[a-z0-9](/.*)?
extern const string_shape message_shape;         // 1..2048, [\w -:`]+
extern const enum_shape job_status_shape;        // SUBMITTED | IN_PROGRESS | COMPLETED | FAILED
extern const enum_shape datastore_status_shape;  // CREATING | CREATE_FAILED | ACTIVE | DELETING | DELETED

// Each constraint `value` violates, worded as AWS words it ("Member must have length less
// than or equal to 32", "Member must satisfy regular expression pattern: [0-9a-z]+").
// Empty when the value is valid. Lengths count Unicode code points.
std::vector<std::string> violations(const string_shape& shape, std::string_view value);
std::vector<std::string> violations(const enum_shape& shape, std::string_view value);

// `value` made safe to quote in a message or a log line: valid UTF-8 (an invalid byte
// becomes U+FFFD) and at most `max_chars` code points, with "..." where it was cut.
std::string display_value(std::string_view value, std::size_t max_chars = 64);

// Collects violations of several members and renders them as AWS does:
// "2 validation errors detected: Value 'x' at 'jobId' failed to satisfy constraint: ...; Value ...".
class validation_report {
public:
    void check(std::string_view member, const string_shape& shape, std::string_view value);
    void check(std::string_view member, const enum_shape& shape, std::string_view value);
    void add(std::string_view member, std::string_view value, std::string_view constraint);

    bool empty() const noexcept { return count_ == 0; }
    // REQUIRES: !empty()
    std::string message() const;

private:
    std::size_t count_ = 0;
    std::string details_;
};

}  // namespace hil::api
