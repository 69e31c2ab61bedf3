#include "api/operations.hpp"

#include <algorithm>
#include <array>
#include <vector>

namespace hil::api {
namespace {

using ec = error_code;
using loc = location;

// Declared errors, from botocore service-2.json (api-surface.md section 2.3).
constexpr std::array<ec, 7> k_create_datastore_errors{ec::throttling, ec::conflict, ec::access_denied, ec::validation,
                                                      ec::internal_server, ec::resource_not_found,
                                                      ec::service_quota_exceeded};
constexpr std::array<ec, 5> k_get_datastore_errors{ec::throttling, ec::access_denied, ec::validation,
                                                   ec::internal_server, ec::resource_not_found};
constexpr std::array<ec, 4> k_list_datastores_errors{ec::throttling, ec::access_denied, ec::validation,
                                                     ec::internal_server};
constexpr std::array<ec, 6> k_conflicting_errors{ec::throttling, ec::conflict, ec::access_denied, ec::validation,
                                                 ec::internal_server, ec::resource_not_found};
constexpr std::array<ec, 7> k_start_import_errors{ec::throttling, ec::conflict, ec::access_denied, ec::validation,
                                                  ec::internal_server, ec::resource_not_found,
                                                  ec::service_quota_exceeded};
constexpr std::array<ec, 8> k_image_frame_errors{ec::throttling, ec::conflict, ec::access_denied, ec::validation,
                                                 ec::internal_server, ec::resource_not_found, ec::not_acceptable,
                                                 ec::bad_request};
constexpr std::array<ec, 7> k_changing_image_set_errors{ec::throttling, ec::conflict, ec::access_denied,
                                                        ec::validation, ec::internal_server, ec::resource_not_found,
                                                        ec::service_quota_exceeded};
constexpr std::array<ec, 5> k_tag_errors{ec::throttling, ec::access_denied, ec::validation, ec::internal_server,
                                         ec::resource_not_found};

// Input members in the model's order, which is the order violations are listed in.
const std::array<input_member, 6> k_create_datastore_input{{
    {"datastoreName", loc::body, &datastore_name_shape},
    {"clientToken", loc::body, &client_token_shape, true},
    {"tags", loc::body, &tag_map_shape},
    {"kmsKeyArn", loc::body, &kms_key_arn_shape},
    {"lambdaAuthorizerArn", loc::body, &lambda_arn_shape},
    {"losslessStorageFormat", loc::body, &lossless_storage_format_shape},
}};
const std::array<input_member, 1> k_datastore_label_input{{{"datastoreId", loc::label, &datastore_id_shape, true}}};
const std::array<input_member, 3> k_list_datastores_input{{
    {"datastoreStatus", loc::query, &datastore_status_shape},
    {"nextToken", loc::query, &next_token_shape},
    {"maxResults", loc::query, &max_results_shape},
}};
const std::array<input_member, 8> k_start_import_input{{
    {"jobName", loc::body, &job_name_shape},
    {"dataAccessRoleArn", loc::body, &role_arn_shape, true},
    {"clientToken", loc::body, &client_token_shape, true},
    {"datastoreId", loc::label, &datastore_id_shape, true},
    {"inputS3Uri", loc::body, &s3_uri_shape, true},
    {"outputS3Uri", loc::body, &s3_uri_shape, true},
    {"inputOwnerAccountId", loc::body, &aws_account_id_shape},
    {"importConfiguration", loc::body, &import_configuration_shape},
}};
const std::array<input_member, 2> k_get_import_input{{
    {"datastoreId", loc::label, &datastore_id_shape, true},
    {"jobId", loc::label, &job_id_shape, true},
}};
const std::array<input_member, 4> k_list_imports_input{{
    {"datastoreId", loc::label, &datastore_id_shape, true},
    {"jobStatus", loc::query, &job_status_shape},
    {"nextToken", loc::query, &next_token_shape},
    {"maxResults", loc::query, &max_results_shape},
}};
const std::array<input_member, 2> k_tag_input{{
    {"resourceArn", loc::label, &arn_shape, true},
    {"tags", loc::body, &tag_map_shape, true},
}};
const std::array<input_member, 2> k_untag_input{{
    {"resourceArn", loc::label, &arn_shape, true},
    {"tagKeys", loc::query, &tag_key_list_shape, true},
}};
const std::array<input_member, 1> k_list_tags_input{{{"resourceArn", loc::label, &arn_shape, true}}};
const std::array<input_member, 4> k_search_image_sets_input{{
    {"datastoreId", loc::label, &datastore_id_shape, true},
    {"searchCriteria", loc::payload, &search_criteria_shape},
    {"maxResults", loc::query, &max_results_shape},
    {"nextToken", loc::query, &next_token_shape},
}};
const std::array<input_member, 3> k_read_image_set_input{{
    {"datastoreId", loc::label, &datastore_id_shape, true},
    {"imageSetId", loc::label, &image_set_id_shape, true},
    {"versionId", loc::query, &image_set_version_id_shape, false, "version"},
}};
const std::array<input_member, 3> k_get_image_frame_input{{
    {"datastoreId", loc::label, &datastore_id_shape, true},
    {"imageSetId", loc::label, &image_set_id_shape, true},
    {"imageFrameInformation", loc::payload, &image_frame_information_shape, true},
}};
const std::array<input_member, 4> k_list_image_set_versions_input{{
    {"datastoreId", loc::label, &datastore_id_shape, true},
    {"imageSetId", loc::label, &image_set_id_shape, true},
    {"nextToken", loc::query, &next_token_shape},
    {"maxResults", loc::query, &max_results_shape},
}};
const std::array<input_member, 6> k_update_image_set_metadata_input{{
    {"datastoreId", loc::label, &datastore_id_shape, true},
    {"imageSetId", loc::label, &image_set_id_shape, true},
    {"latestVersionId", loc::query, &image_set_version_id_shape, true, "latestVersion"},
    {"force", loc::query, &boolean_shape},
    {"includeStudyImageSets", loc::query, &boolean_shape},
    {"updateImageSetMetadataUpdates", loc::payload, &metadata_updates_shape, true},
}};
const std::array<input_member, 5> k_copy_image_set_input{{
    {"datastoreId", loc::label, &datastore_id_shape, true},
    {"sourceImageSetId", loc::label, &image_set_id_shape, true},
    {"copyImageSetInformation", loc::payload, &copy_image_set_information_shape, true},
    {"force", loc::query, &boolean_shape},
    {"promoteToPrimary", loc::query, &boolean_shape},
}};
const std::array<input_member, 2> k_image_set_label_input{{
    {"datastoreId", loc::label, &datastore_id_shape, true},
    {"imageSetId", loc::label, &image_set_id_shape, true},
}};

}  // namespace

// Quotas: the English devguide's per-account rates (contract.md section 7); the tag
// operations have no documented quota, so they get GetDatastore's.
namespace ops {
const operation create_datastore{"CreateDatastore", "POST", "/datastore", k_create_datastore_input,
                                 k_create_datastore_errors, {0.085, 1}, ""};
const operation get_datastore{"GetDatastore", "GET", "/datastore/{datastoreId}", k_datastore_label_input,
                              k_get_datastore_errors, {10, 20}, ""};
const operation list_datastores{"ListDatastores", "GET", "/datastore", k_list_datastores_input,
                                k_list_datastores_errors, {5, 10}, ""};
const operation delete_datastore{"DeleteDatastore", "DELETE", "/datastore/{datastoreId}", k_datastore_label_input,
                                 k_conflicting_errors, {0.085, 1}, ""};
const operation start_dicom_import_job{"StartDICOMImportJob", "POST", "/startDICOMImportJob/datastore/{datastoreId}",
                                       k_start_import_input, k_start_import_errors, {1, 2}, ""};
const operation get_dicom_import_job{"GetDICOMImportJob", "GET",
                                     "/getDICOMImportJob/datastore/{datastoreId}/job/{jobId}", k_get_import_input,
                                     k_conflicting_errors, {25, 50}, ""};
const operation list_dicom_import_jobs{"ListDICOMImportJobs", "GET", "/listDICOMImportJobs/datastore/{datastoreId}",
                                       k_list_imports_input, k_conflicting_errors, {10, 20}, ""};
const operation tag_resource{"TagResource", "POST", "/tags/{resourceArn}", k_tag_input, k_tag_errors, {10, 20}, ""};
const operation untag_resource{"UntagResource", "DELETE", "/tags/{resourceArn}", k_untag_input, k_tag_errors,
                               {10, 20}, ""};
const operation list_tags_for_resource{"ListTagsForResource", "GET", "/tags/{resourceArn}", k_list_tags_input,
                                       k_tag_errors, {10, 20}, ""};
// The data plane: the English devguide's throttling table.
const operation search_image_sets{"SearchImageSets", "POST", "/datastore/{datastoreId}/searchImageSets",
                                  k_search_image_sets_input, k_conflicting_errors, {25, 50}, "runtime-"};
const operation get_image_set{"GetImageSet", "POST", "/datastore/{datastoreId}/imageSet/{imageSetId}/getImageSet",
                              k_read_image_set_input, k_conflicting_errors, {25, 50}, "runtime-"};
const operation get_image_set_metadata{"GetImageSetMetadata", "POST",
                                       "/datastore/{datastoreId}/imageSet/{imageSetId}/getImageSetMetadata",
                                       k_read_image_set_input, k_conflicting_errors, {50, 100}, "runtime-"};
const operation get_image_frame{"GetImageFrame", "POST", "/datastore/{datastoreId}/imageSet/{imageSetId}/getImageFrame",
                                k_get_image_frame_input, k_image_frame_errors, {1000, 2000}, "runtime-"};
const operation list_image_set_versions{"ListImageSetVersions", "POST",
                                        "/datastore/{datastoreId}/imageSet/{imageSetId}/listImageSetVersions",
                                        k_list_image_set_versions_input, k_conflicting_errors, {25, 50}, "runtime-"};
const operation update_image_set_metadata{"UpdateImageSetMetadata", "POST",
                                          "/datastore/{datastoreId}/imageSet/{imageSetId}/updateImageSetMetadata",
                                          k_update_image_set_metadata_input, k_changing_image_set_errors, {0.25, 1},
                                          "runtime-"};
const operation copy_image_set{"CopyImageSet", "POST", "/datastore/{datastoreId}/imageSet/{sourceImageSetId}/copyImageSet",
                               k_copy_image_set_input, k_changing_image_set_errors, {0.25, 1}, "runtime-"};
const operation delete_image_set{"DeleteImageSet", "POST",
                                 "/datastore/{datastoreId}/imageSet/{imageSetId}/deleteImageSet",
                                 k_image_set_label_input, k_conflicting_errors, {0.25, 1}, "runtime-"};
}  // namespace ops

namespace {

const std::array<const operation*, 18> k_operations{
    &ops::create_datastore,       &ops::get_datastore,        &ops::list_datastores, &ops::delete_datastore,
    &ops::start_dicom_import_job, &ops::get_dicom_import_job, &ops::list_dicom_import_jobs,
    &ops::tag_resource,           &ops::untag_resource,       &ops::list_tags_for_resource,
    &ops::search_image_sets,      &ops::get_image_set,        &ops::get_image_set_metadata,
    &ops::get_image_frame,        &ops::list_image_set_versions, &ops::update_image_set_metadata,
    &ops::copy_image_set,         &ops::delete_image_set,
};

// The {name}s of a URI template, in order.
std::vector<std::string_view> template_labels(std::string_view uri) {
    std::vector<std::string_view> out;
    for (std::size_t open = uri.find('{'); open != std::string_view::npos; open = uri.find('{', open + 1)) {
        const auto close = uri.find('}', open);
        if (close == std::string_view::npos) break;
        out.push_back(uri.substr(open + 1, close - open - 1));
    }
    return out;
}

}  // namespace

const input_member* operation::find_input(std::string_view member_name, location where) const noexcept {
    for (const auto& m : input) {
        if (m.where == where && m.name == member_name) return &m;
    }
    return nullptr;
}

std::span<const operation* const> all_operations() noexcept { return k_operations; }

const operation* find_operation(std::string_view name) noexcept {
    for (const auto* op : k_operations) {
        if (op->name == name) return op;
    }
    return nullptr;
}

bool declares(const operation& op, error_code code) noexcept {
    return std::find(op.errors.begin(), op.errors.end(), code) != op.errors.end();
}

std::vector<std::string_view> label_names() {
    std::vector<std::string_view> out;
    for (const auto* op : k_operations) {
        for (const auto& m : op->input) {
            if (m.where == location::label && std::find(out.begin(), out.end(), m.name) == out.end()) out.push_back(m.name);
        }
    }
    return out;
}

std::optional<std::string> check_description(const operation& op) {
    const std::string who = "operation " + std::string(op.name) + ": ";
    if (op.method != "GET" && op.method != "POST" && op.method != "PUT" && op.method != "DELETE") {
        return who + "unknown method " + std::string(op.method);
    }
    if (op.uri.empty() || op.uri.front() != '/') return who + "the URI template must start with '/'";
    const auto labels = template_labels(op.uri);
    for (const auto label : labels) {
        const auto* m = op.find_input(label, location::label);
        if (!m) return who + "the URI template names {" + std::string(label) + "}, which no label member is";
        if (!m->required) return who + "label " + std::string(label) + " must be required";
    }
    for (std::size_t i = 0; i < op.input.size(); ++i) {
        const auto& m = op.input[i];
        if (!m.type) return who + "member " + std::string(m.name) + " has no shape";
        if (m.where == location::label && std::find(labels.begin(), labels.end(), m.name) == labels.end()) {
            return who + "label member " + std::string(m.name) + " is not in the URI template " + std::string(op.uri);
        }
        for (std::size_t j = 0; j < i; ++j) {
            if (op.input[j].where == m.where && op.input[j].on_wire() == m.on_wire()) {
                return who + "two members travel as " + std::string(m.on_wire());
            }
        }
    }
    const auto payloads = std::count_if(op.input.begin(), op.input.end(), [](const input_member& m) { return m.where == location::payload; });
    const auto body_members = std::count_if(op.input.begin(), op.input.end(), [](const input_member& m) { return m.where == location::body; });
    if (payloads > 1 || (payloads == 1 && body_members > 0)) return who + "a payload member must be the only member in the body";
    for (const auto& m : op.input) {
        if (m.where == location::payload && m.type && m.type->kind != shape_kind::structure) {
            return who + "payload member " + std::string(m.name) + " must be a structure";
        }
    }
    if (!declares(op, error_code::validation)) return who + "every operation declares ValidationException";
    return std::nullopt;
}

}  // namespace hil::api
