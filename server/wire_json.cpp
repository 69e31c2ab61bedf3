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

// Appends ,"key":"value" (no comma for the first member). `key` needs no escaping.
void append_member(std::string& out, std::string_view key, std::string_view value) {
    if (out.back() != '{') out += ',';
    out += '"';
    out += key;
    out += "\":";
    append_string(out, value);
}

void append_timestamp(std::string& out, std::string_view key, api::epoch_millis t) {
    if (out.back() != '{') out += ',';
    out += '"';
    out += key;
    out += "\":";
    seconds_buffer buf;
    out += seconds_text(t, buf);
}

}  // namespace

std::string epoch_seconds_text(api::epoch_millis t) {
    seconds_buffer buf;
    return std::string(seconds_text(t, buf));
}

std::string get_dicom_import_job_body(const store::import_job& job) {
    std::string body;
    body.reserve(512);  // a typical job's body, so the string grows once at most
    body += "{\"jobProperties\":{";
    append_member(body, "jobId", job.job_id);
    append_member(body, "jobName", job.job_name);
    append_member(body, "jobStatus", job.job_status);
    append_member(body, "datastoreId", job.datastore_id);
    append_member(body, "dataAccessRoleArn", job.data_access_role_arn);
    if (job.ended_at) append_timestamp(body, "endedAt", *job.ended_at);
    if (job.submitted_at) append_timestamp(body, "submittedAt", *job.submitted_at);
    append_member(body, "inputS3Uri", job.input_s3_uri);
    append_member(body, "outputS3Uri", job.output_s3_uri);
    if (job.message) append_member(body, "message", *job.message);
    body += "}}";
    return body;
}

std::string error_body(const api::error& err) {
    std::string body;
    body.reserve(err.message().size() + 16);
    body += '{';
    append_member(body, "message", err.message());
    body += '}';
    return body;
}

}  // namespace hil::server
