// The emulator's data: what the store holds and the fixture files describe, in the API's
// own terms. Plain values; validation happens where they are read in (fixture_loader, the
// request pipeline).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "api/api_error.hpp"
#include "api/clock.hpp"

namespace hil::store {

// The account every resource belongs to until credentials say otherwise.
inline constexpr std::string_view k_default_account = "123456789012";
// The region of a request whose SigV4 credential scope names none.
inline constexpr std::string_view k_default_region = "us-east-1";

// Whose resources a call sees: AWS keeps every account's and region's resources apart.
struct scope {
    std::string account_id{k_default_account};
    std::string region{k_default_region};
};

using tag_map = std::map<std::string, std::string, std::less<>>;

// One status a resource will move to, once it has been polled `after_polls` times in all,
// or `after_millis` have passed since its progression started (exactly one of the two).
struct progression_step {
    std::string status;  // a JobStatus for jobs, a DatastoreStatus for datastores
    std::optional<std::uint64_t> after_polls;
    std::optional<api::epoch_millis> after_millis;
    std::optional<std::string> message;         // jobs: replaces the job's message when reached
    std::optional<api::epoch_millis> ended_at;  // jobs: default for COMPLETED/FAILED is the moment reached
    bool operator==(const progression_step&) const = default;
};

// Where a resource is along its progression.
struct progress_state {
    std::uint64_t polls = 0;            // Get answers given for this resource (GetDICOMImportJob, GetDatastore)
    std::uint64_t steps_reached = 0;    // how many leading steps have been applied
    api::epoch_millis started_at = 0;   // the origin of after_millis
    api::epoch_millis last_polled_at = 0;  // when the last counted poll was answered; 0: never
    bool operator==(const progress_state&) const = default;
};

struct datastore {
    std::string datastore_id;
    std::string datastore_name;
    std::string datastore_status;
    std::string account_id{k_default_account};
    std::string region;  // empty: the datastore is seen from every region (fixtures without "region")
    std::optional<api::epoch_millis> created_at;
    std::optional<api::epoch_millis> updated_at;
    std::optional<std::string> kms_key_arn;
    std::optional<std::string> lambda_authorizer_arn;
    std::optional<std::string> lossless_storage_format;
    tag_map tags;
    std::optional<std::string> client_token;  // the CreateDatastore idempotency token
    std::vector<progression_step> progression;  // its own status steps (CREATING -> ACTIVE, DELETING -> DELETED)
    progress_state progress;
    std::vector<progression_step> import_progression;  // given to jobs started in it; empty: the server's default
    bool operator==(const datastore&) const = default;
};

struct import_job {
    std::string job_id;
    std::string datastore_id;
    std::string job_name;
    std::string job_status;
    std::string data_access_role_arn;
    std::string input_s3_uri;
    std::string output_s3_uri;
    std::optional<api::epoch_millis> submitted_at;
    std::optional<api::epoch_millis> ended_at;
    std::optional<std::string> message;
    std::optional<std::string> input_owner_account_id;
    std::optional<std::string> import_configuration;  // the request's JSON object, as sent
    std::optional<std::string> client_token;           // the StartDICOMImportJob idempotency token
    std::vector<progression_step> progression;  // empty: the job never changes by itself
    progress_state progress;
    bool reads_files = false;  // its files are being imported from the local S3 folder (--s3-dir)
    bool operator==(const import_job&) const = default;
};

// The DICOM attributes SearchImageSets filters on and answers with (ImageSetsMetadataSummary's
// DICOMTags), read from an image set's latest metadata. Empty strings: absent.
struct dicom_tags {
    std::string patient_id, patient_name, patient_birth_date, patient_sex;
    std::string study_instance_uid, study_id, study_description, accession_number, study_date, study_time;
    std::string series_instance_uid, series_modality, series_body_part;
    std::optional<std::int64_t> series_number;
    std::uint64_t study_related_series = 0, study_related_instances = 0;
    bool operator==(const dicom_tags&) const = default;
};

// An image set as GetImageSet answers it (its latest version unless a version is asked for).
struct image_set {
    std::string image_set_id;
    std::string datastore_id;
    std::uint64_t version = 1;
    std::string state = "ACTIVE";               // ImageSetState
    std::string workflow_status = "IMPORTED";   // ImageSetWorkflowStatus
    api::epoch_millis created_at = 0;
    api::epoch_millis updated_at = 0;
    std::optional<api::epoch_millis> deleted_at;
    std::optional<std::string> message;
    bool is_primary = true;
    bool forced = false;  // Overrides.forced: the version was made with force=true
    dicom_tags tags;      // of this version's metadata
    bool operator==(const image_set&) const = default;
};

// One stored frame: the bytes GetImageFrame answers with.
struct image_frame {
    std::string image_frame_id;
    std::string bytes;
    std::string content_type = "image/jph";
};

// A new version of an image set, or a new image set (version 1): what an import, an update or
// a copy writes. `metadata` is the GetImageSetMetadata document (JSON text).
struct image_set_write {
    image_set properties;
    std::string metadata;
    std::vector<image_frame> frames;       // frames new with this version (earlier ones stay)
    std::string copies_frames_of;          // CopyImageSet: the source image set whose frames...
    std::vector<std::string> copied_frame_ids;  // ...with these ids this one takes
    std::string grouping_key;              // what an import matches a later import's instances by
    std::optional<std::uint64_t> replaces;  // the latest version this one must follow (optimistic check)
};

// Jobs started with an inputS3Uri under `input_prefix` (in `datastore_id` only, when set)
// end with `job_status` and `message` instead of COMPLETED: failures scripted in fixtures.
struct import_rule {
    std::string input_prefix;
    std::optional<std::string> datastore_id;
    std::string job_status = "FAILED";
    std::optional<std::string> message;
    bool operator==(const import_rule&) const = default;
};

// Everything the store keeps, as one value: what fixtures load, state exports and counts
// are made of. A new kind of resource is a new member here.
struct dataset {
    std::vector<datastore> datastores;
    std::vector<import_job> jobs;
    std::vector<import_rule> import_rules;
    bool operator==(const dataset&) const = default;
};

// A caller the emulator knows (fixtures' "credentials", the control API): the secret its
// SigV4 signatures are checked with, and the account and principal it acts as.
struct credential {
    std::string access_key_id;
    std::string secret_access_key;
    std::optional<std::string> session_token;    // temporary credentials: every request must carry it
    std::optional<api::epoch_millis> expires_at;  // from then on: ExpiredTokenException
    std::string account_id{k_default_account};
    std::optional<std::string> principal_arn;    // absent: arn:aws:iam::<account>:user/<access key id>
    bool operator==(const credential&) const = default;
};

// One IAM-style statement: allow or deny `principal` the `actions` on the `resources`
// ("*" and "?" wildcards in each; actions match without regard to case, as IAM's do).
struct access_policy {
    std::string id;  // unique among the policies; assigned when empty
    bool allow = true;
    std::string principal;               // an IAM ARN, or "*"
    std::vector<std::string> actions;    // "medical-imaging:GetDICOMImportJob", "medical-imaging:*", "*"
    std::vector<std::string> resources;  // datastore and image set ARNs, with wildcards; "*"
    bool operator==(const access_policy&) const = default;
};

// A scripted misbehaviour. Absent match members match anything. A rule does at least one
// of: answer with `error`, wait `delay_millis` first, or drop the connection unanswered.
struct fault_rule {
    std::string id;  // unique among the rules; assigned when empty
    // match
    std::optional<std::string> operation;
    std::vector<std::pair<std::string, std::string>> labels;  // URI labels by name: datastoreId, jobId, resourceArn...
    std::optional<std::string> access_key_id;  // from the SigV4 Authorization header
    std::optional<std::string> account_id;     // the caller's namespace: its account...
    std::optional<std::string> region;         // ...and region
    // action
    std::optional<api::error_code> error;
    std::string message;                         // empty: the error table's default message
    std::optional<std::uint32_t> retry_after;    // seconds, sent as Retry-After with the error
    std::uint32_t delay_millis = 0;
    bool drop_connection = false;
    // budget
    std::optional<std::uint64_t> times;  // fire for the next N eligible matches only; absent: always
    std::uint64_t after = 0;             // let the first N matches through first
    std::optional<double> probability;   // 0..1: fire on this share of eligible matches
    std::optional<std::uint64_t> seed;   // makes the probability draws repeat exactly
    // bookkeeping
    std::uint64_t fired = 0;
};

}  // namespace hil::store
