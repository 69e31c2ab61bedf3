#include "api/operations.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <array>
#include <set>
#include <string>

namespace {

using hil::api::error_code;
using hil::api::input_member;
using hil::api::location;
using hil::api::operation;

// Every operation as botocore's service-2.json (1.43.11) has it: name, method, URI, host prefix.
struct expected_route {
    std::string_view name, method, uri, host_prefix = "";
};
constexpr expected_route k_model[] = {
    {"CreateDatastore", "POST", "/datastore"},
    {"GetDatastore", "GET", "/datastore/{datastoreId}"},
    {"ListDatastores", "GET", "/datastore"},
    {"DeleteDatastore", "DELETE", "/datastore/{datastoreId}"},
    {"StartDICOMImportJob", "POST", "/startDICOMImportJob/datastore/{datastoreId}"},
    {"GetDICOMImportJob", "GET", "/getDICOMImportJob/datastore/{datastoreId}/job/{jobId}"},
    {"ListDICOMImportJobs", "GET", "/listDICOMImportJobs/datastore/{datastoreId}"},
    {"TagResource", "POST", "/tags/{resourceArn}"},
    {"UntagResource", "DELETE", "/tags/{resourceArn}"},
    {"ListTagsForResource", "GET", "/tags/{resourceArn}"},
    {"SearchImageSets", "POST", "/datastore/{datastoreId}/searchImageSets", "runtime-"},
    {"GetImageSet", "POST", "/datastore/{datastoreId}/imageSet/{imageSetId}/getImageSet", "runtime-"},
    {"GetImageSetMetadata", "POST", "/datastore/{datastoreId}/imageSet/{imageSetId}/getImageSetMetadata", "runtime-"},
    {"GetImageFrame", "POST", "/datastore/{datastoreId}/imageSet/{imageSetId}/getImageFrame", "runtime-"},
    {"ListImageSetVersions", "POST", "/datastore/{datastoreId}/imageSet/{imageSetId}/listImageSetVersions", "runtime-"},
    {"UpdateImageSetMetadata", "POST", "/datastore/{datastoreId}/imageSet/{imageSetId}/updateImageSetMetadata", "runtime-"},
    {"CopyImageSet", "POST", "/datastore/{datastoreId}/imageSet/{sourceImageSetId}/copyImageSet", "runtime-"},
    {"DeleteImageSet", "POST", "/datastore/{datastoreId}/imageSet/{imageSetId}/deleteImageSet", "runtime-"},
};

const std::array<error_code, 1> k_validation_only{error_code::validation};

}  // namespace

TEST_CASE("every served operation is described consistently") {
    for (const auto* op : hil::api::all_operations()) {
        CAPTURE(op->name);
        const auto problem = hil::api::check_description(*op);
        CHECK_MESSAGE(!problem.has_value(), problem.value_or(""));
        CHECK(hil::api::declares(*op, error_code::access_denied));
        CHECK(hil::api::declares(*op, error_code::throttling));
        CHECK(hil::api::declares(*op, error_code::internal_server));
        CHECK(op->limits.rate > 0);
        CHECK(op->limits.burst >= 1);
    }
}

TEST_CASE("the descriptions are the model's 18 operations, in its order") {
    const auto ops = hil::api::all_operations();
    REQUIRE(ops.size() == std::size(k_model));
    for (std::size_t i = 0; i < ops.size(); ++i) {
        CAPTURE(i);
        CHECK(ops[i]->name == k_model[i].name);
        CHECK(ops[i]->method == k_model[i].method);
        CHECK(ops[i]->uri == k_model[i].uri);
        CHECK(ops[i]->host_prefix == k_model[i].host_prefix);
        CHECK(hil::api::find_operation(k_model[i].name) == ops[i]);
    }
    CHECK(hil::api::find_operation("ListImageSets") == nullptr);
}

TEST_CASE("declared errors follow the model: 402 only where it is declared, 409 not on reads of datastores or tags") {
    using namespace hil::api::ops;
    for (const operation* op : {&update_image_set_metadata, &copy_image_set}) {
        CHECK(hil::api::declares(*op, error_code::service_quota_exceeded));
    }
    CHECK(hil::api::declares(get_image_frame, error_code::not_acceptable));
    CHECK(hil::api::declares(get_image_frame, error_code::bad_request));
    CHECK_FALSE(hil::api::declares(get_image_set, error_code::bad_request));
    for (const operation* op : {&create_datastore, &start_dicom_import_job}) {
        CHECK(hil::api::declares(*op, error_code::service_quota_exceeded));
    }
    for (const operation* op : {&get_datastore, &list_datastores, &delete_datastore, &get_dicom_import_job,
                                &list_dicom_import_jobs, &tag_resource, &untag_resource, &list_tags_for_resource}) {
        CAPTURE(op->name);
        CHECK_FALSE(hil::api::declares(*op, error_code::service_quota_exceeded));
    }
    for (const operation* op : {&get_datastore, &list_datastores, &tag_resource, &untag_resource, &list_tags_for_resource}) {
        CAPTURE(op->name);
        CHECK_FALSE(hil::api::declares(*op, error_code::conflict));
    }
    CHECK_FALSE(hil::api::declares(list_datastores, error_code::resource_not_found));
    CHECK(hil::api::declares(create_datastore, error_code::resource_not_found));
}

TEST_CASE("required members and where they travel") {
    using namespace hil::api::ops;
    const auto* token = create_datastore.find_input("clientToken", location::body);
    REQUIRE(token != nullptr);
    CHECK(token->required);
    CHECK(create_datastore.find_input("clientToken", location::query) == nullptr);
    const auto* keys = untag_resource.find_input("tagKeys", location::query);
    REQUIRE(keys != nullptr);
    CHECK(keys->required);
    CHECK(keys->type->kind == hil::api::shape_kind::list);
    CHECK(list_dicom_import_jobs.find_input("maxResults", location::query)->type->max_value == std::int64_t{50});
    std::vector<std::string_view> labels;
    for (const auto* op : hil::api::all_operations()) {
        for (const auto& m : op->input) {
            if (m.where == location::label && std::find(labels.begin(), labels.end(), m.name) == labels.end()) {
                labels.push_back(m.name);
            }
        }
    }
    CHECK(labels == std::vector<std::string_view>{"datastoreId", "jobId", "resourceArn", "imageSetId", "sourceImageSetId"});
    // The data plane's structures travel as the whole body.
    CHECK(get_image_frame.find_input("imageFrameInformation", location::payload)->required);
    CHECK_FALSE(search_image_sets.find_input("searchCriteria", location::payload)->required);
    CHECK(get_image_set.find_input("versionId", location::query)->on_wire() == "version");
    CHECK(update_image_set_metadata.find_input("latestVersionId", location::query)->on_wire() == "latestVersion");
    CHECK(hil::api::label_names() == labels);
}

TEST_CASE("check_description names each kind of inconsistency") {
    const auto problem = [](std::string_view method, std::string_view uri, std::span<const input_member> input,
                            std::span<const error_code> errors = k_validation_only) {
        const operation op{"Broken", method, uri, input, errors, {1, 1}, ""};
        return hil::api::check_description(op).value_or("");
    };
    const std::array<input_member, 1> ds{{{"datastoreId", location::label, &hil::api::datastore_id_shape, true}}};
    CHECK(problem("GET", "/x/{datastoreId}", ds).empty());
    CHECK(problem("GET", "/x/{datastoreId}/{jobId}", ds) ==
          "operation Broken: the URI template names {jobId}, which no label member is");
    CHECK(problem("GET", "/x", ds) == "operation Broken: label member datastoreId is not in the URI template /x");
    CHECK(problem("FETCH", "/x/{datastoreId}", ds) == "operation Broken: unknown method FETCH");
    CHECK(problem("GET", "x/{datastoreId}", ds) == "operation Broken: the URI template must start with '/'");
    const std::array<error_code, 1> no_validation{error_code::throttling};
    CHECK(problem("GET", "/x/{datastoreId}", ds, no_validation) ==
          "operation Broken: every operation declares ValidationException");
    const std::array<input_member, 1> optional_label{{{"datastoreId", location::label, &hil::api::datastore_id_shape, false}}};
    CHECK(problem("GET", "/x/{datastoreId}", optional_label) == "operation Broken: label datastoreId must be required");
    const std::array<input_member, 2> twice{{{"a", location::query, &hil::api::job_id_shape},
                                             {"b", location::query, &hil::api::job_id_shape, false, "a"}}};
    CHECK(problem("GET", "/x", twice) == "operation Broken: two members travel as a");
    const std::array<input_member, 1> shapeless{{{"a", location::body, nullptr}}};
    CHECK(problem("POST", "/x", shapeless) == "operation Broken: member a has no shape");
    const std::array<input_member, 2> payload_and_body{{{"a", location::payload, &hil::api::search_criteria_shape},
                                                        {"b", location::body, &hil::api::job_id_shape}}};
    CHECK(problem("POST", "/x", payload_and_body) == "operation Broken: a payload member must be the only member in the body");
    const std::array<input_member, 1> scalar_payload{{{"a", location::payload, &hil::api::job_id_shape}}};
    CHECK(problem("POST", "/x", scalar_payload) == "operation Broken: payload member a must be a structure");
}
