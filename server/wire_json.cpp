#include "server/wire_json.hpp"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cstdlib>

namespace hil::server {
namespace {

using json_writer = rapidjson::Writer<rapidjson::StringBuffer>;

void write_string(json_writer& w, const char* key, const std::string& value) {
    w.Key(key);
    w.String(value.data(), static_cast<rapidjson::SizeType>(value.size()));
}

void write_timestamp(json_writer& w, const char* key, api::epoch_millis t) {
    w.Key(key);
    const auto text = epoch_seconds_text(t);
    w.RawValue(text.data(), text.size(), rapidjson::kNumberType);
}

}  // namespace

std::string epoch_seconds_text(api::epoch_millis t) {
    const bool negative = t < 0;
    const auto magnitude = static_cast<unsigned long long>(negative ? -t : t);
    std::string out = (negative ? "-" : "") + std::to_string(magnitude / 1000);
    auto millis = static_cast<unsigned>(magnitude % 1000);
    if (millis != 0) {
        char frac[4] = {static_cast<char>('0' + millis / 100), static_cast<char>('0' + millis / 10 % 10),
                        static_cast<char>('0' + millis % 10), 0};
        std::string f(frac);
        while (f.back() == '0') f.pop_back();
        out += "." + f;
    }
    return out;
}

std::string get_dicom_import_job_body(const store::import_job& job) {
    rapidjson::StringBuffer buffer;
    json_writer w(buffer);
    w.StartObject();
    w.Key("jobProperties");
    w.StartObject();
    write_string(w, "jobId", job.job_id);
    write_string(w, "jobName", job.job_name);
    write_string(w, "jobStatus", job.job_status);
    write_string(w, "datastoreId", job.datastore_id);
    write_string(w, "dataAccessRoleArn", job.data_access_role_arn);
    if (job.ended_at) write_timestamp(w, "endedAt", *job.ended_at);
    if (job.submitted_at) write_timestamp(w, "submittedAt", *job.submitted_at);
    write_string(w, "inputS3Uri", job.input_s3_uri);
    write_string(w, "outputS3Uri", job.output_s3_uri);
    if (job.message) write_string(w, "message", *job.message);
    w.EndObject();
    w.EndObject();
    return {buffer.GetString(), buffer.GetSize()};
}

std::string error_body(const api::error& err) {
    rapidjson::StringBuffer buffer;
    json_writer w(buffer);
    w.StartObject();
    write_string(w, "message", err.message());
    w.EndObject();
    return {buffer.GetString(), buffer.GetSize()};
}

}  // namespace hil::server
