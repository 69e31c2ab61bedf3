#include "server/wire_json.hpp"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdlib>

namespace hil::server {
namespace {

// Room for the longest epoch_seconds_text: a sign, 19 digits, a point and 3 decimals.
using seconds_buffer = std::array<char, 24>;

std::string_view seconds_text(api::epoch_millis t, seconds_buffer& buf) {
    const bool negative = t < 0;
    const auto magnitude = negative ? 0 - static_cast<unsigned long long>(t) : static_cast<unsigned long long>(t);
    char* p = buf.data();
    if (negative) *p++ = '-';
    p = std::to_chars(p, buf.data() + buf.size(), magnitude / 1000).ptr;
    auto millis = static_cast<unsigned>(magnitude % 1000);
    if (millis != 0) {
        *p++ = '.';
        const char digits[3] = {static_cast<char>('0' + millis / 100), static_cast<char>('0' + millis / 10 % 10),
                                static_cast<char>('0' + millis % 10)};
        std::size_t n = 3;
        while (digits[n - 1] == '0') --n;
        for (std::size_t i = 0; i < n; ++i) *p++ = digits[i];
    }
    return {buf.data(), static_cast<std::size_t>(p - buf.data())};
}

// Appends `value` as a JSON string. Ids, ARNs and URIs never need escaping, so they are
// copied whole; anything else goes through RapidJSON's writer, so the escaping is exactly
// what it always was.
void append_string(std::string& out, std::string_view value) {
    const bool plain = std::all_of(value.begin(), value.end(), [](char c) {
        return static_cast<unsigned char>(c) >= 0x20 && c != '"' && c != '\\';
    });
    if (plain) {
        out += '"';
        out += value;
        out += '"';
        return;
    }
    rapidjson::StringBuffer buffer;
    rapidjson::Writer<rapidjson::StringBuffer> w(buffer);
    w.String(value.data(), static_cast<rapidjson::SizeType>(value.size()));
    out.append(buffer.GetString(), buffer.GetSize());
}

}  // namespace

void json_out::separate() {
    if (need_comma_) out_ += ',';
}

json_out& json_out::open(char bracket) {
    separate();
    out_ += bracket;
    need_comma_ = false;
    return *this;
}

json_out& json_out::close(char bracket) {
    out_ += bracket;
    need_comma_ = true;
    return *this;
}

json_out& json_out::key(std::string_view name) {
    separate();
    out_ += '"';
    out_ += name;
    out_ += "\":";
    need_comma_ = false;
    return *this;
}

json_out& json_out::map_key(std::string_view name) {
    separate();
    append_string(out_, name);
    out_ += ':';
    need_comma_ = false;
    return *this;
}

json_out& json_out::string(std::string_view value) {
    separate();
    append_string(out_, value);
    need_comma_ = true;
    return *this;
}

json_out& json_out::timestamp(api::epoch_millis t) {
    separate();
    seconds_buffer buf;
    out_ += seconds_text(t, buf);
    need_comma_ = true;
    return *this;
}

json_out& json_out::integer(std::int64_t value) {
    separate();
    out_ += std::to_string(value);
    need_comma_ = true;
    return *this;
}

json_out& json_out::boolean(bool value) {
    separate();
    out_ += value ? "true" : "false";
    need_comma_ = true;
    return *this;
}

std::string epoch_seconds_text(api::epoch_millis t) {
    seconds_buffer buf;
    return std::string(seconds_text(t, buf));
}

std::string get_dicom_import_job_body(const store::import_job& job) {
    std::string body;
    body.reserve(512);  // a typical job's body, so the string grows once at most
    json_out w(body);
    w.begin_object().key("jobProperties").begin_object();
    w.member("jobId", job.job_id);
    w.member("jobName", job.job_name);
    w.member("jobStatus", job.job_status);
    w.member("datastoreId", job.datastore_id);
    w.member("dataAccessRoleArn", job.data_access_role_arn);
    w.timestamp_member("endedAt", job.ended_at);
    w.timestamp_member("submittedAt", job.submitted_at);
    w.member("inputS3Uri", job.input_s3_uri);
    w.member("outputS3Uri", job.output_s3_uri);
    w.member("message", job.message);
    if (job.import_configuration) {
        // Stored as the caller sent it, a JSON object already checked against its shape.
        w.key("importConfiguration");
        body += *job.import_configuration;
    }
    body += "}}";
    return body;
}

std::string start_dicom_import_job_body(const store::import_job& job) {
    std::string body;
    json_out w(body);
    w.begin_object();
    w.member("datastoreId", job.datastore_id);
    w.member("jobId", job.job_id);
    w.member("jobStatus", job.job_status);
    w.timestamp_member("submittedAt", job.submitted_at);
    w.end_object();
    return body;
}

std::string list_dicom_import_jobs_body(const std::vector<store::import_job>& jobs,
                                        const std::optional<std::string>& next_token) {
    std::string body;
    body.reserve(64 + jobs.size() * 320);
    json_out w(body);
    w.begin_object().key("jobSummaries").begin_array();
    for (const auto& job : jobs) {
        w.begin_object();
        w.member("jobId", job.job_id);
        w.member("jobName", job.job_name);
        w.member("jobStatus", job.job_status);
        w.member("datastoreId", job.datastore_id);
        w.member("dataAccessRoleArn", job.data_access_role_arn);
        w.timestamp_member("endedAt", job.ended_at);
        w.timestamp_member("submittedAt", job.submitted_at);
        w.member("message", job.message);
        w.end_object();
    }
    w.end_array();
    w.member("nextToken", next_token);
    w.end_object();
    return body;
}

namespace {

void write_datastore_summary(json_out& w, const store::datastore& d, std::string_view region) {
    w.member("datastoreId", d.datastore_id);
    w.member("datastoreName", d.datastore_name);
    w.member("datastoreStatus", d.datastore_status);
    w.member("datastoreArn", store::datastore_arn(d, region));
    w.timestamp_member("createdAt", d.created_at);
    w.timestamp_member("updatedAt", d.updated_at);
}

}  // namespace

std::string get_datastore_body(const store::datastore& d, std::string_view region) {
    std::string body;
    json_out w(body);
    w.begin_object().key("datastoreProperties").begin_object();
    write_datastore_summary(w, d, region);
    w.member("kmsKeyArn", d.kms_key_arn);
    w.member("lambdaAuthorizerArn", d.lambda_authorizer_arn);
    w.member("losslessStorageFormat", d.lossless_storage_format);
    w.end_object().end_object();
    return body;
}

std::string list_datastores_body(const std::vector<store::datastore>& datastores, std::string_view region,
                                 const std::optional<std::string>& next_token) {
    std::string body;
    json_out w(body);
    w.begin_object().key("datastoreSummaries").begin_array();
    for (const auto& d : datastores) {
        w.begin_object();
        write_datastore_summary(w, d, region);
        w.end_object();
    }
    w.end_array();
    w.member("nextToken", next_token);
    w.end_object();
    return body;
}

// --- image sets ---

std::string image_set_arn(const store::image_set& i, const store::scope& who) {
    return "arn:aws:medical-imaging:" + who.region + ":" + who.account_id + ":datastore/" + i.datastore_id + "/imageset/" +
           i.image_set_id;
}

namespace {

// The members ImageSetProperties and GetImageSet share; `workflow_key` differs between them.
void write_image_set_properties(json_out& w, const store::image_set& i, std::string_view workflow_key) {
    w.member("imageSetId", i.image_set_id);
    w.member("versionId", std::to_string(i.version));
    w.member("imageSetState", i.state);
    w.member(workflow_key, i.workflow_status);
    w.key("createdAt").timestamp(i.created_at);
    w.key("updatedAt").timestamp(i.updated_at);
    w.timestamp_member("deletedAt", i.deleted_at);
    w.member("message", i.message);
    if (i.forced) w.key("overrides").begin_object().key("forced").boolean(true).end_object();
    w.key("isPrimary").boolean(i.is_primary);
}

void write_dicom_tags(json_out& w, const store::dicom_tags& t) {
    w.begin_object();
    const auto text = [&w](std::string_view name, const std::string& v) {
        if (!v.empty()) w.member(name, v);
    };
    text("DICOMPatientId", t.patient_id);
    text("DICOMPatientName", t.patient_name);
    text("DICOMPatientBirthDate", t.patient_birth_date);
    text("DICOMPatientSex", t.patient_sex);
    text("DICOMStudyInstanceUID", t.study_instance_uid);
    text("DICOMStudyId", t.study_id);
    text("DICOMStudyDescription", t.study_description);
    w.key("DICOMNumberOfStudyRelatedSeries").integer(static_cast<std::int64_t>(t.study_related_series));
    w.key("DICOMNumberOfStudyRelatedInstances").integer(static_cast<std::int64_t>(t.study_related_instances));
    text("DICOMAccessionNumber", t.accession_number);
    text("DICOMSeriesInstanceUID", t.series_instance_uid);
    text("DICOMSeriesModality", t.series_modality);
    text("DICOMSeriesBodyPart", t.series_body_part);
    if (t.series_number) w.key("DICOMSeriesNumber").integer(*t.series_number);
    text("DICOMStudyDate", t.study_date);
    text("DICOMStudyTime", t.study_time);
    w.end_object();
}

}  // namespace

std::string get_image_set_body(const store::image_set& i, const store::scope& who) {
    std::string body;
    json_out w(body);
    w.begin_object();
    w.member("datastoreId", i.datastore_id);
    write_image_set_properties(w, i, "imageSetWorkflowStatus");
    w.member("imageSetArn", image_set_arn(i, who));
    w.member("storageTier", std::string_view("FREQUENT_ACCESS"));
    w.end_object();
    return body;
}

std::string list_image_set_versions_body(const std::vector<store::image_set>& versions,
                                         const std::optional<std::string>& next_token) {
    std::string body;
    json_out w(body);
    w.begin_object().key("imageSetPropertiesList").begin_array();
    for (const auto& v : versions) {
        w.begin_object();
        write_image_set_properties(w, v, "ImageSetWorkflowStatus");
        w.end_object();
    }
    w.end_array();
    w.member("nextToken", next_token);
    w.end_object();
    return body;
}

std::string search_image_sets_body(const std::vector<store::image_set>& found, const std::optional<search_sort>& sort,
                                   const std::optional<std::string>& next_token) {
    std::string body;
    json_out w(body);
    w.begin_object().key("imageSetsMetadataSummaries").begin_array();
    for (const auto& i : found) {
        w.begin_object();
        w.member("imageSetId", i.image_set_id);
        w.key("version").integer(static_cast<std::int64_t>(i.version));
        w.key("createdAt").timestamp(i.created_at);
        w.key("updatedAt").timestamp(i.updated_at);
        w.key("DICOMTags");
        write_dicom_tags(w, i.tags);
        w.key("isPrimary").boolean(i.is_primary);
        w.member("storageTier", std::string_view("FREQUENT_ACCESS"));
        w.end_object();
    }
    w.end_array();
    if (sort) w.key("sort").begin_object().member("sortOrder", sort->order).member("sortField", sort->field).end_object();
    w.member("nextToken", next_token);
    w.end_object();
    return body;
}

std::string image_set_overview_body(const std::vector<store::image_set>& image_sets) {
    std::string body;
    json_out w(body);
    w.begin_object().key("imageSets").begin_array();
    for (const auto& i : image_sets) {
        w.begin_object();
        w.member("datastoreId", i.datastore_id);
        write_image_set_properties(w, i, "imageSetWorkflowStatus");
        w.key("DICOMTags");
        write_dicom_tags(w, i.tags);
        w.end_object();
    }
    w.end_array().end_object();
    return body;
}

std::string image_set_state_body(std::string_view datastore_id, std::string_view image_set_id, std::string_view state,
                                 std::string_view workflow_status) {
    std::string body;
    json_out w(body);
    w.begin_object();
    w.member("datastoreId", datastore_id);
    w.member("imageSetId", image_set_id);
    w.member("imageSetState", state);
    w.member("imageSetWorkflowStatus", workflow_status);
    w.end_object();
    return body;
}

std::string update_image_set_metadata_body(const store::image_set& i) {
    std::string body;
    json_out w(body);
    w.begin_object();
    w.member("datastoreId", i.datastore_id);
    w.member("imageSetId", i.image_set_id);
    w.member("latestVersionId", std::to_string(i.version));
    w.member("imageSetState", i.state);
    w.member("imageSetWorkflowStatus", i.workflow_status);
    w.key("createdAt").timestamp(i.created_at);
    w.key("updatedAt").timestamp(i.updated_at);
    w.member("message", i.message);
    w.end_object();
    return body;
}

std::string copy_image_set_body(const store::image_set& source, const store::image_set& destination,
                                const store::scope& who) {
    std::string body;
    json_out w(body);
    const auto side = [&](std::string_view name, const store::image_set& i) {
        w.key(name).begin_object();
        w.member("imageSetId", i.image_set_id);
        w.member("latestVersionId", std::to_string(i.version));
        w.member("imageSetState", i.state);
        w.member("imageSetWorkflowStatus", i.workflow_status);
        w.key("createdAt").timestamp(i.created_at);
        w.key("updatedAt").timestamp(i.updated_at);
        w.member("imageSetArn", image_set_arn(i, who));
        w.end_object();
    };
    w.begin_object();
    w.member("datastoreId", source.datastore_id);
    side("sourceImageSetProperties", source);
    side("destinationImageSetProperties", destination);
    w.end_object();
    return body;
}

std::string datastore_status_body(const store::datastore& d) {
    std::string body;
    json_out w(body);
    w.begin_object().member("datastoreId", d.datastore_id).member("datastoreStatus", d.datastore_status).end_object();
    return body;
}

std::string tags_body(const store::tag_map& tags) {
    std::string body;
    json_out w(body);
    w.begin_object().key("tags").begin_object();
    for (const auto& [k, v] : tags) w.map_key(k).string(v);
    w.end_object().end_object();
    return body;
}

std::string error_body(const api::error& err) {
    std::string body;
    body.reserve(err.message().size() + 16);
    json_out w(body);
    w.begin_object().member("message", err.message()).end_object();
    return body;
}

}  // namespace hil::server
