// The shapes of the API's inputs and outputs as the service model documents them
// (botocore service-2.json, anchors from the Smithy model: every pattern must match the
// whole value), and the Coral-style ValidationException message that lists every violated
// constraint.
//
// A shape is data: its kind and its traits (length, range, pattern, enum values, list
// item, map key and value, structure members). Patterns are compiled from their documented
// text (api/pattern.hpp), so the text quoted in a message is the check that ran. The hot
// ids also carry a hand-written matcher, cross-checked against the pattern in the tests.
//
// Used by the request pipeline for labels, query values and JSON bodies, and by the fixture
// loader for seed data, so both accept exactly what AWS accepts.
// Thread safety: every shape is immutable; everything here is safe from any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "api/pattern.hpp"

namespace hil::api {

enum class shape_kind { string, enumeration, integer, boolean, timestamp, blob, list, map, structure };

struct shape;

// One member of a structure shape.
struct shape_member {
    std::string_view name;
    const shape* type;
    bool required = false;
};

struct shape {
    std::string_view name;  // the model's shape name, e.g. "JobId"
    shape_kind kind = shape_kind::string;
    // strings: code points; blobs: bytes; lists: items; maps: entries
    std::optional<std::uint64_t> min_length{};
    std::optional<std::uint64_t> max_length{};
    const pattern* regex = nullptr;                   // strings
    bool (*fast_match)(std::string_view) = nullptr;   // strings: the same check as `regex`, without it
    // strings: the pattern is judged however long the value is (a fast path's cost is linear),
    // so a value over max_length is refused by the pattern too; otherwise the length alone refuses it.
    bool pattern_at_any_length = false;
    std::span<const std::string_view> values{};       // enumerations
    std::optional<std::int64_t> min_value{};          // integers
    std::optional<std::int64_t> max_value{};
    const shape* item = nullptr;                      // list member; map value
    const shape* key = nullptr;                       // map key
    std::span<const shape_member> members{};          // structures
    bool is_union = false;                            // structures: exactly one member set
};

extern const shape datastore_id_shape;        // [0-9a-z]{32}
extern const shape job_id_shape;              // 1..32, [0-9a-z]+
extern const shape job_name_shape;            // 1..64, [A-Za-z0-9._/#-]+
extern const shape datastore_name_shape;      // 1..256, [A-Za-z0-9._/#-]+
extern const shape role_arn_shape;            // 20..2048, arn:aws(-[^:]+)?:iam::[0-9]{12}:role/.+
extern const shape s3_uri_shape;              // 1..1024, s3://[a-z0-9][\.\-a-z0-9]{1,61}[a-z0-9](/.*)?
extern const shape message_shape;             // 1..2048, [\w -:`]+
extern const shape client_token_shape;        // 1..64, [A-Za-z0-9._-]+
extern const shape aws_account_id_shape;      // 12..12, \d+
extern const shape next_token_shape;          // 1..8192, \p{ASCII}{0,8192}
extern const shape arn_shape;                 // datastore and image set ARNs
extern const shape kms_key_arn_shape;         // 1..512
extern const shape lambda_arn_shape;
extern const shape tag_key_shape;             // 1..128, (?!aws:)[a-zA-Z+-=._:/]+
extern const shape tag_value_shape;           // 0..256
extern const shape tag_map_shape;             // TagKey -> TagValue
// AWS's limit of tags per resource (a service quota, not a trait of TagMap).
inline constexpr std::size_t k_max_tags_per_resource = 50;
extern const shape tag_key_list_shape;        // 0..200 TagKey
extern const shape max_results_shape;         // integer 1..50
extern const shape job_status_shape;          // SUBMITTED | IN_PROGRESS | COMPLETED | FAILED
extern const shape datastore_status_shape;    // CREATING | CREATE_FAILED | ACTIVE | DELETING | DELETED
extern const shape lossless_storage_format_shape;  // HTJ2K | JPEG_2000_LOSSLESS
extern const shape import_configuration_shape;     // union: dicomJsonMetadataImportConfiguration
// The data plane's.
extern const shape image_set_id_shape;             // [0-9a-z]{32}
extern const shape image_frame_id_shape;           // [0-9a-z]{32}
extern const shape image_set_version_id_shape;     // \d+ (ImageSetExternalVersionId)
extern const shape boolean_shape;
extern const shape search_criteria_shape;          // filters (1..2 of SearchFilter), sort
extern const shape image_frame_information_shape;  // imageFrameId
extern const shape metadata_updates_shape;         // union: DICOMUpdates | revertToVersionId
extern const shape copy_image_set_information_shape;  // sourceImageSet, destinationImageSet

// Each constraint a string or enum `value` violates, worded as AWS words it ("Member must
// have length less than or equal to 32", "Member must satisfy regular expression pattern:
// [0-9a-z]+"). Empty when the value is valid. Lengths count Unicode code points.
// REQUIRES: shape.kind is string or enumeration.
std::vector<std::string> violations(const shape& shape, std::string_view value);
// The same for an integer. REQUIRES: shape.kind is integer.
std::vector<std::string> violations(const shape& shape, std::int64_t value);

// Whether `value` satisfies a string shape's pattern (the fast matcher when there is one).
bool matches_pattern(const shape& shape, std::string_view value);

// `value` made safe to quote in a message or a log line: valid UTF-8 (an invalid byte
// becomes U+FFFD) and at most `max_chars` code points, with "..." where it was cut.
std::string display_value(std::string_view value, std::size_t max_chars = 64);

// Whether `text` is an AWS region name as the emulator takes one (SigV4 scopes, fixtures, the
// control API): 1 to 32 lower-case letters, digits and '-'.
bool is_region_name(std::string_view text) noexcept;
// Whether `text` is an access key id as the emulator reads one: 1 to 128 of A-Z a-z 0-9 _ -.
bool is_access_key_id(std::string_view text) noexcept;

// Number of code points; a byte that does not start a valid sequence counts as one.
std::size_t utf8_length(std::string_view s);

// Collects violations of several members and renders them as AWS does:
// "2 validation errors detected: Value 'x' at 'jobId' failed to satisfy constraint: ...; Value ...".
class validation_report {
public:
    // Every violation of a string or enum shape.
    void check(std::string_view member, const shape& shape, std::string_view value);
    // "Value null at 'member' failed to satisfy constraint: Member must not be null".
    void add_null(std::string_view member);
    // One violation; `value` is quoted (made safe, cut at 64 code points).
    void add(std::string_view member, std::string_view value, std::string_view constraint);
    // One violation of a value already rendered as AWS renders it (a list or a map).
    void add_rendered(std::string_view member, std::string_view rendered_value, std::string_view constraint);

    bool empty() const noexcept { return count_ == 0; }
    std::size_t size() const noexcept { return count_; }
    // REQUIRES: !empty()
    std::string message() const;

private:
    std::size_t count_ = 0;
    std::string details_;
};

}  // namespace hil::api
