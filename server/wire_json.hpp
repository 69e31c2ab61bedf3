// The JSON the emulator writes: each wire shape built from the model in one function, on
// one small writer (json_out) that appends straight into the response body.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/api_error.hpp"
#include "api/clock.hpp"
#include "store/model.hpp"
#include "store/store.hpp"

namespace hil::server {

// Appends JSON text to a string. Commas are placed by the writer: a value after a sibling
// gets one. Keys must need no escaping (they are the model's member names), except map keys,
// written with map_key().
class json_out {
public:
    explicit json_out(std::string& out) : out_(out) {}

    json_out& begin_object() { return open('{'); }
    json_out& end_object() { return close('}'); }
    json_out& begin_array() { return open('['); }
    json_out& end_array() { return close(']'); }
    json_out& key(std::string_view name);
    json_out& map_key(std::string_view name);  // escaped like a string value
    json_out& string(std::string_view value);
    json_out& timestamp(api::epoch_millis t);  // epoch seconds, as restJson1 writes a Date
    json_out& integer(std::int64_t value);
    json_out& boolean(bool value);

    json_out& member(std::string_view name, std::string_view value) { return key(name).string(value); }
    json_out& member(std::string_view name, const std::string& value) { return key(name).string(value); }
    // Optional members are omitted when absent, never written as null.
    json_out& member(std::string_view name, const std::optional<std::string>& value) {
        return value ? member(name, *value) : *this;
    }
    json_out& timestamp_member(std::string_view name, const std::optional<api::epoch_millis>& t) {
        return t ? key(name).timestamp(*t) : *this;
    }

private:
    json_out& open(char bracket);
    json_out& close(char bracket);
    void separate();
    std::string& out_;
    bool need_comma_ = false;
};

// GetDICOMImportJob: {"jobProperties": {...}}.
std::string get_dicom_import_job_body(const store::import_job& job);
// StartDICOMImportJob: {"datastoreId", "jobId", "jobStatus", "submittedAt"}.
std::string start_dicom_import_job_body(const store::import_job& job);
// ListDICOMImportJobs: {"jobSummaries": [...], "nextToken"?}.
std::string list_dicom_import_jobs_body(const std::vector<store::import_job>& jobs,
                                        const std::optional<std::string>& next_token);
// GetDatastore: {"datastoreProperties": {...}}, the ARN as seen from `region`.
std::string get_datastore_body(const store::datastore& d, std::string_view region);
// ListDatastores: {"datastoreSummaries": [...], "nextToken"?}.
std::string list_datastores_body(const std::vector<store::datastore>& datastores, std::string_view region,
                                 const std::optional<std::string>& next_token);
// CreateDatastore and DeleteDatastore: {"datastoreId", "datastoreStatus"}.
std::string datastore_status_body(const store::datastore& d);
// ListTagsForResource: {"tags": {...}}.
std::string tags_body(const store::tag_map& tags);

// The ARN of an image set as a caller in `who`'s namespace sees it.
std::string image_set_arn(const store::image_set& i, const store::scope& who);
// GetImageSet: the version's properties.
std::string get_image_set_body(const store::image_set& i, const store::scope& who);
// ListImageSetVersions: {"imageSetPropertiesList": [...], "nextToken"?} (ImageSetWorkflowStatus with a capital I).
std::string list_image_set_versions_body(const std::vector<store::image_set>& versions,
                                         const std::optional<std::string>& next_token);
// SearchImageSets: {"imageSetsMetadataSummaries": [...], "sort"?, "nextToken"?}; `version` an integer.
struct search_sort {
    std::string order, field;
};
std::string search_image_sets_body(const std::vector<store::image_set>& found, const std::optional<search_sort>& sort,
                                   const std::optional<std::string>& next_token);
// The control API's image set overview: {"imageSets": [...]}, each the version's properties
// (ImageSetProperties' members) with its "DICOMTags".
std::string image_set_overview_body(const std::vector<store::image_set>& image_sets);
// DeleteImageSet: {"datastoreId", "imageSetId", "imageSetState", "imageSetWorkflowStatus"}.
std::string image_set_state_body(std::string_view datastore_id, std::string_view image_set_id, std::string_view state,
                                 std::string_view workflow_status);
// UpdateImageSetMetadata: {"datastoreId", "imageSetId", "latestVersionId", "imageSetState", ...}.
std::string update_image_set_metadata_body(const store::image_set& i);

// CopyImageSet: {"datastoreId", "sourceImageSetProperties", "destinationImageSetProperties"}.
std::string copy_image_set_body(const store::image_set& source, const store::image_set& destination,
                                const store::scope& who);

// {"message": "..."}: the body of every error answer.
std::string error_body(const api::error& err);

// Epoch seconds as restJson1 writes a timestamp: a JSON number, with the millisecond
// fraction only when there is one ("1700000000", "1700000321.5", "1700000000.123").
std::string epoch_seconds_text(api::epoch_millis t);

}  // namespace hil::server
