#include "api/shapes.hpp"

#include <algorithm>
#include <array>
#include <cstdint>

namespace hil::api {
namespace {

bool is_lower_alnum(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z'); }

// Hand-written equivalents of the patterns checked on every request, where the regex would
// be the largest cost of a hit; tests/unit/shapes_test.cpp compares each with its pattern.
bool matches_datastore_id(std::string_view s) { return s.size() == 32 && std::all_of(s.begin(), s.end(), is_lower_alnum); }
bool matches_job_id(std::string_view s) { return !s.empty() && std::all_of(s.begin(), s.end(), is_lower_alnum); }
bool matches_version_id(std::string_view s) {
    return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}
// [a-zA-Z0-9!-~]+([a-zA-Z0-9!-~ ]*[a-zA-Z0-9!-~]+)*: printable ASCII, neither end a space.
// The nested quantifiers backtrack exponentially on a near miss, so this one never runs the regex.
bool matches_metadata_file_path(std::string_view s) {
    return !s.empty() && s.front() != ' ' && s.back() != ' ' &&
           std::all_of(s.begin(), s.end(), [](char c) { return c >= ' ' && c <= '~'; });
}

bool is_ascii(std::string_view s) {
    return std::all_of(s.begin(), s.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80; });
}
bool is_digit(char c) { return c >= '0' && c <= '9'; }
// Java's `.` over ASCII: every character but the line terminators \n and \r.
bool is_java_dot_ascii(char c) { return c != '\n' && c != '\r'; }
// [A-Za-z0-9._/#-]+
bool matches_name(std::string_view s) {
    return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
        return is_lower_alnum(c) || (c >= 'A' && c <= 'Z') || c == '.' || c == '_' || c == '/' || c == '#' || c == '-';
    });
}
// [\w -:`]+ with Java's ASCII \w: [a-zA-Z0-9_], the range ' ' to ':', and '`'.
bool matches_message(std::string_view s) {
    return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
        return is_lower_alnum(c) || (c >= 'A' && c <= 'Z') || c == '_' || (c >= ' ' && c <= ':') || c == '`';
    });
}

// The patterns below admit non-ASCII characters through `.` or [^:]; their fast paths judge
// ASCII values alone and give any other value to the regex, which knows Java's non-ASCII
// line terminators.
const pattern k_role_arn{"arn:aws(-[^:]+)?:iam::[0-9]{12}:role/.+"};
const pattern k_s3_uri{"s3://[a-z0-9][\\.\\-a-z0-9]{1,61}[a-z0-9](/.*)?"};

bool matches_role_arn(std::string_view s) {
    if (!is_ascii(s)) return k_role_arn.matches(s);
    constexpr std::string_view prefix = "arn:aws", iam = ":iam::", role = ":role/";
    if (!s.starts_with(prefix)) return false;
    s.remove_prefix(prefix.size());
    if (s.starts_with('-')) {  // (-[^:]+)?: up to the next ':', one character at least
        const auto colon = s.find(':');
        if (colon == std::string_view::npos || colon < 2) return false;
        s.remove_prefix(colon);
    }
    if (!s.starts_with(iam)) return false;
    s.remove_prefix(iam.size());
    if (s.size() < 12 || !std::all_of(s.begin(), s.begin() + 12, is_digit)) return false;
    s.remove_prefix(12);
    if (!s.starts_with(role)) return false;
    s.remove_prefix(role.size());
    return !s.empty() && std::all_of(s.begin(), s.end(), is_java_dot_ascii);
}

bool matches_s3_uri(std::string_view s) {
    if (!is_ascii(s)) return k_s3_uri.matches(s);
    constexpr std::string_view scheme = "s3://";
    if (!s.starts_with(scheme)) return false;
    s.remove_prefix(scheme.size());
    // The bucket's characters exclude '/', so the bucket ends at the first one.
    const auto slash = s.find('/');
    const std::string_view bucket = s.substr(0, slash);
    if (bucket.size() < 3 || bucket.size() > 63) return false;
    if (!is_lower_alnum(bucket.front()) || !is_lower_alnum(bucket.back())) return false;
    if (!std::all_of(bucket.begin(), bucket.end(), [](char c) { return is_lower_alnum(c) || c == '.' || c == '-'; })) {
        return false;
    }
    if (slash == std::string_view::npos) return true;
    const std::string_view path = s.substr(slash + 1);
    return std::all_of(path.begin(), path.end(), is_java_dot_ascii);
}

const pattern k_datastore_id{"[0-9a-z]{32}"};
const pattern k_job_id{"[0-9a-z]+"};
const pattern k_name{"[A-Za-z0-9._/#-]+"};
const pattern k_message{"[\\w -:`]+"};
const pattern k_client_token{"[A-Za-z0-9._-]+"};
const pattern k_digits{"\\d+"};
const pattern k_next_token{"\\p{ASCII}{0,8192}"};
const pattern k_arn{
    "arn:aws((-us-gov)|(-iso)|(-iso-b)|(-cn))?:medical-imaging:[a-z0-9-]+:[0-9]{12}:datastore/[0-9a-z]{32}(/imageset/"
    "[0-9a-z]{32})?"};
const pattern k_kms_key_arn{
    "arn:aws[a-zA-Z-]{0,16}:kms:[a-z]{2}(-[a-z]{1,16}){1,3}-\\d{1}:\\d{12}:((key/[a-fA-F0-9]{8}-[a-fA-F0-9]{4}-[a-fA-F0-9]"
    "{4}-[a-fA-F0-9]{4}-[a-fA-F0-9]{12})|(alias/[a-zA-Z0-9:/_-]{1,256}))"};
const pattern k_lambda_arn{
    "arn:(aws[a-zA-Z-]*)?:lambda:[a-z]{2}((-gov)|(-iso(b?)))?-[a-z]+-\\d{1}:\\d{12}:function:[a-zA-Z0-9-_]+(:(\\$LATEST|"
    "[a-zA-Z0-9-_]+))?"};
const pattern k_tag_key{"(?!aws:)[a-zA-Z+-=._:/]+"};
const pattern k_dicom_uid{"[0-9.]+"};
const pattern k_metadata_file_path{"[a-zA-Z0-9!-~]+([a-zA-Z0-9!-~ ]*[a-zA-Z0-9!-~]+)*"};
const pattern k_version_id{"\\d+"};

constexpr std::array<std::string_view, 4> k_job_statuses{"SUBMITTED", "IN_PROGRESS", "COMPLETED", "FAILED"};
constexpr std::array<std::string_view, 5> k_datastore_statuses{"CREATING", "CREATE_FAILED", "ACTIVE", "DELETING",
                                                               "DELETED"};
constexpr std::array<std::string_view, 2> k_lossless_formats{"HTJ2K", "JPEG_2000_LOSSLESS"};
constexpr std::array<std::string_view, 2> k_operators{"EQUAL", "BETWEEN"};
constexpr std::array<std::string_view, 2> k_sort_orders{"ASC", "DESC"};
constexpr std::array<std::string_view, 3> k_sort_fields{"updatedAt", "createdAt", "DICOMStudyDateAndTime"};

const shape dicom_uid_shape{.name = "DICOMStudyInstanceUID", .min_length = 0, .max_length = 512, .regex = &k_dicom_uid};
const shape metadata_file_path_shape{.name = "MetadataFilePath", .min_length = 1, .max_length = 1024,
                                     .regex = &k_metadata_file_path, .fast_match = matches_metadata_file_path,
                                     .pattern_at_any_length = true};
const std::array<shape_member, 3> k_mapping_members{{
    {"studyInstanceUID", &dicom_uid_shape, true},
    {"seriesInstanceUID", &dicom_uid_shape, false},
    {"metadataFilePath", &metadata_file_path_shape, true},
}};
const shape metadata_mapping_shape{.name = "DicomMetadataMapping", .kind = shape_kind::structure,
                                   .members = k_mapping_members};
const shape metadata_mappings_shape{.name = "DicomMetadataMappings", .kind = shape_kind::list, .min_length = 1,
                                    .max_length = 1000, .item = &metadata_mapping_shape};
const std::array<shape_member, 1> k_json_import_members{{{"dicomMetadataMappings", &metadata_mappings_shape, true}}};
const shape json_import_configuration_shape{.name = "DicomJsonMetadataImportConfiguration",
                                            .kind = shape_kind::structure, .members = k_json_import_members};
const std::array<shape_member, 1> k_import_configuration_members{
    {{"dicomJsonMetadataImportConfiguration", &json_import_configuration_shape, false}}};

// --- the data plane's nested inputs (api-surface.md section 3c) ---
const shape dicom_series_uid_shape{.name = "DICOMSeriesInstanceUID", .min_length = 0, .max_length = 512,
                                   .regex = &k_dicom_uid};
const shape dicom_text_512_shape{.name = "DICOMPatientId", .min_length = 0, .max_length = 512};
const shape dicom_study_date_shape{.name = "DICOMStudyDate", .min_length = 0, .max_length = 36};
const shape dicom_study_time_shape{.name = "DICOMStudyTime", .min_length = 0, .max_length = 56};
const shape date_shape{.name = "Date", .kind = shape_kind::timestamp};
const std::array<shape_member, 2> k_study_date_and_time_members{{
    {"DICOMStudyDate", &dicom_study_date_shape, true},
    {"DICOMStudyTime", &dicom_study_time_shape, false},
}};
const shape study_date_and_time_shape{.name = "DICOMStudyDateAndTime", .kind = shape_kind::structure,
                                      .members = k_study_date_and_time_members};
const std::array<shape_member, 9> k_search_value_members{{
    {"DICOMPatientId", &dicom_text_512_shape, false},
    {"DICOMAccessionNumber", &dicom_text_512_shape, false},
    {"DICOMStudyId", &dicom_text_512_shape, false},
    {"DICOMStudyInstanceUID", &dicom_uid_shape, false},
    {"DICOMSeriesInstanceUID", &dicom_series_uid_shape, false},
    {"createdAt", &date_shape, false},
    {"updatedAt", &date_shape, false},
    {"DICOMStudyDateAndTime", &study_date_and_time_shape, false},
    {"isPrimary", &boolean_shape, false},
}};
const shape search_value_shape{.name = "SearchByAttributeValue", .kind = shape_kind::structure,
                               .members = k_search_value_members, .is_union = true};
const shape search_values_shape{.name = "SearchByAttributeValues", .kind = shape_kind::list, .min_length = 1,
                                .max_length = 2, .item = &search_value_shape};
const shape operator_shape{.name = "Operator", .kind = shape_kind::enumeration, .values = k_operators};
const std::array<shape_member, 2> k_search_filter_members{{
    {"values", &search_values_shape, true},
    {"operator", &operator_shape, true},
}};
const shape search_filter_shape{.name = "SearchFilter", .kind = shape_kind::structure,
                                .members = k_search_filter_members};
const shape search_filters_shape{.name = "SearchFilters", .kind = shape_kind::list, .min_length = 1, .max_length = 2,
                                 .item = &search_filter_shape};
const shape sort_order_shape{.name = "SortOrder", .kind = shape_kind::enumeration, .values = k_sort_orders};
const shape sort_field_shape{.name = "SortField", .kind = shape_kind::enumeration, .values = k_sort_fields};
const std::array<shape_member, 2> k_sort_members{{
    {"sortOrder", &sort_order_shape, true},
    {"sortField", &sort_field_shape, true},
}};
const shape sort_shape{.name = "Sort", .kind = shape_kind::structure, .members = k_sort_members};
const std::array<shape_member, 2> k_search_criteria_members{{
    {"filters", &search_filters_shape, false},
    {"sort", &sort_shape, false},
}};
const shape dicom_attributes_shape{.name = "DICOMAttribute", .kind = shape_kind::blob, .min_length = 1,
                                   .max_length = 30000};
const std::array<shape_member, 2> k_dicom_updates_members{{
    {"removableAttributes", &dicom_attributes_shape, false},
    {"updatableAttributes", &dicom_attributes_shape, false},
}};
const shape dicom_updates_shape{.name = "DICOMUpdates", .kind = shape_kind::structure,
                                .members = k_dicom_updates_members};
const std::array<shape_member, 1> k_image_frame_information_members{{{"imageFrameId", &image_frame_id_shape, true}}};
const shape copiable_attributes_shape{.name = "CopiableAttributes", .min_length = 1, .max_length = 260000};
const std::array<shape_member, 1> k_metadata_copies_members{{{"copiableAttributes", &copiable_attributes_shape, true}}};
const shape metadata_copies_shape{.name = "MetadataCopies", .kind = shape_kind::structure,
                                  .members = k_metadata_copies_members};
const std::array<shape_member, 2> k_copy_source_members{{
    {"latestVersionId", &image_set_version_id_shape, true},
    {"DICOMCopies", &metadata_copies_shape, false},
}};
const shape copy_source_shape{.name = "CopySourceImageSetInformation", .kind = shape_kind::structure,
                              .members = k_copy_source_members};
const std::array<shape_member, 2> k_copy_destination_members{{
    {"imageSetId", &image_set_id_shape, true},
    {"latestVersionId", &image_set_version_id_shape, true},
}};
const shape copy_destination_shape{.name = "CopyDestinationImageSet", .kind = shape_kind::structure,
                                   .members = k_copy_destination_members};
const std::array<shape_member, 2> k_copy_information_members{{
    {"sourceImageSet", &copy_source_shape, true},
    {"destinationImageSet", &copy_destination_shape, false},
}};

}  // namespace

const shape datastore_id_shape{.name = "DatastoreId", .regex = &k_datastore_id, .fast_match = matches_datastore_id,
                                .pattern_at_any_length = true};
const shape image_set_id_shape{.name = "ImageSetId", .regex = &k_datastore_id, .fast_match = matches_datastore_id,
                                .pattern_at_any_length = true};
const shape image_frame_id_shape{.name = "ImageFrameId", .regex = &k_datastore_id, .fast_match = matches_datastore_id,
                                .pattern_at_any_length = true};
const shape image_set_version_id_shape{.name = "ImageSetExternalVersionId", .regex = &k_version_id,
                                       .fast_match = matches_version_id, .pattern_at_any_length = true};
const shape boolean_shape{.name = "Boolean", .kind = shape_kind::boolean};
const shape job_id_shape{.name = "JobId", .min_length = 1, .max_length = 32, .regex = &k_job_id,
                         .fast_match = matches_job_id, .pattern_at_any_length = true};
const shape job_name_shape{.name = "JobName", .min_length = 1, .max_length = 64, .regex = &k_name,
                           .fast_match = matches_name};
const shape datastore_name_shape{.name = "DatastoreName", .min_length = 1, .max_length = 256, .regex = &k_name,
                                 .fast_match = matches_name};
const shape role_arn_shape{.name = "RoleArn", .min_length = 20, .max_length = 2048, .regex = &k_role_arn,
                           .fast_match = matches_role_arn};
const shape s3_uri_shape{.name = "S3Uri", .min_length = 1, .max_length = 1024, .regex = &k_s3_uri,
                         .fast_match = matches_s3_uri};
const shape message_shape{.name = "Message", .min_length = 1, .max_length = 2048, .regex = &k_message,
                          .fast_match = matches_message};
const shape client_token_shape{.name = "ClientToken", .min_length = 1, .max_length = 64, .regex = &k_client_token};
const shape aws_account_id_shape{.name = "AwsAccountId", .min_length = 12, .max_length = 12, .regex = &k_digits};
const shape next_token_shape{.name = "NextToken", .min_length = 1, .max_length = 8192, .regex = &k_next_token};
const shape arn_shape{.name = "Arn", .regex = &k_arn};
const shape kms_key_arn_shape{.name = "KmsKeyArn", .min_length = 1, .max_length = 512, .regex = &k_kms_key_arn};
const shape lambda_arn_shape{.name = "LambdaArn", .regex = &k_lambda_arn};
const shape tag_key_shape{.name = "TagKey", .min_length = 1, .max_length = 128, .regex = &k_tag_key};
const shape tag_value_shape{.name = "TagValue", .min_length = 0, .max_length = 256};
const shape tag_map_shape{.name = "TagMap", .kind = shape_kind::map, .item = &tag_value_shape, .key = &tag_key_shape};
const shape tag_key_list_shape{.name = "TagKeyList", .kind = shape_kind::list, .min_length = 0, .max_length = 200,
                               .item = &tag_key_shape};
const shape max_results_shape{.name = "MaxResultsInteger", .kind = shape_kind::integer, .min_value = 1,
                              .max_value = 50};
const shape job_status_shape{.name = "JobStatus", .kind = shape_kind::enumeration, .values = k_job_statuses};
const shape datastore_status_shape{.name = "DatastoreStatus", .kind = shape_kind::enumeration,
                                   .values = k_datastore_statuses};
const shape lossless_storage_format_shape{.name = "LosslessStorageFormat", .kind = shape_kind::enumeration,
                                          .values = k_lossless_formats};
const shape import_configuration_shape{.name = "ImportConfiguration", .kind = shape_kind::structure,
                                       .members = k_import_configuration_members, .is_union = true};
const shape search_criteria_shape{.name = "SearchCriteria", .kind = shape_kind::structure,
                                  .members = k_search_criteria_members};
const shape image_frame_information_shape{.name = "ImageFrameInformation", .kind = shape_kind::structure,
                                          .members = k_image_frame_information_members};
const std::array<shape_member, 2> k_metadata_updates_members{{
    {"DICOMUpdates", &dicom_updates_shape, false},
    {"revertToVersionId", &image_set_version_id_shape, false},
}};
const shape metadata_updates_shape{.name = "MetadataUpdates", .kind = shape_kind::structure,
                                   .members = k_metadata_updates_members, .is_union = true};
const shape copy_image_set_information_shape{.name = "CopyImageSetInformation", .kind = shape_kind::structure,
                                             .members = k_copy_information_members};

std::size_t utf8_length(std::string_view s) {
    std::size_t n = 0;
    for (const char ch : s) {
        if ((static_cast<unsigned char>(ch) & 0xC0) != 0x80) ++n;
    }
    return n;
}

namespace {

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

bool matches_pattern(const shape& shape, std::string_view value) {
    if (shape.fast_match) return shape.fast_match(value);
    return !shape.regex || shape.regex->matches(value);
}

std::vector<std::string> violations(const shape& shape, std::string_view value) {
    std::vector<std::string> out;
    if (shape.kind == shape_kind::enumeration) {
        if (std::find(shape.values.begin(), shape.values.end(), value) != shape.values.end()) return out;
        std::string set = "Member must satisfy enum value set: [";
        for (std::size_t i = 0; i < shape.values.size(); ++i) {
            if (i) set += ", ";
            set += shape.values[i];
        }
        set += "]";
        out.push_back(std::move(set));
        return out;
    }
    const auto length = utf8_length(value);
    if (shape.min_length && *shape.min_length > 0 && length < *shape.min_length) {
        out.push_back("Member must have length greater than or equal to " + std::to_string(*shape.min_length));
    }
    if (shape.max_length && length > *shape.max_length) {
        out.push_back("Member must have length less than or equal to " + std::to_string(*shape.max_length));
    }
    // A value over its maximum length is not given to the regex: the maximum is what bounds
    // the regex's work, and the length violation already refuses it.
    // A shape without a maximum (Arn, LambdaArn) still gets no regex run over a huge value: no
    // value it admits comes near 64 KB.
    constexpr std::size_t k_unbounded_limit = 65'536;
    const bool bounded = shape.pattern_at_any_length || (shape.max_length ? length <= *shape.max_length : length <= k_unbounded_limit);
    if (shape.regex && ((!bounded && !shape.max_length) || (bounded && !matches_pattern(shape, value)))) {
        out.push_back("Member must satisfy regular expression pattern: " + std::string(shape.regex->documented()));
    }
    return out;
}

std::vector<std::string> violations(const shape& shape, std::int64_t value) {
    std::vector<std::string> out;
    if (shape.min_value && value < *shape.min_value) {
        out.push_back("Member must have value greater than or equal to " + std::to_string(*shape.min_value));
    }
    if (shape.max_value && value > *shape.max_value) {
        out.push_back("Member must have value less than or equal to " + std::to_string(*shape.max_value));
    }
    return out;
}

bool is_region_name(std::string_view text) noexcept {
    return !text.empty() && text.size() <= 32 && std::all_of(text.begin(), text.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
    });
}

bool is_access_key_id(std::string_view text) noexcept {
    return !text.empty() && text.size() <= 128 && std::all_of(text.begin(), text.end(), [](char c) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
    });
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

void validation_report::check(std::string_view member, const shape& shape, std::string_view value) {
    for (const auto& v : violations(shape, value)) add(member, value, v);
}

void validation_report::add_null(std::string_view member) {
    if (count_ != 0) details_ += "; ";
    details_ += "Value null at '";
    details_ += member;
    details_ += "' failed to satisfy constraint: Member must not be null";
    ++count_;
}

void validation_report::add(std::string_view member, std::string_view value, std::string_view constraint) {
    add_rendered(member, display_value(value), constraint);
}

void validation_report::add_rendered(std::string_view member, std::string_view rendered_value,
                                     std::string_view constraint) {
    if (count_ != 0) details_ += "; ";
    details_ += "Value '";
    details_ += rendered_value;
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
