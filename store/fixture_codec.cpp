#include "store/fixture_codec.hpp"

#include <rapidjson/stringbuffer.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <span>
#include <string>
#include <vector>

#include "api/json_validation.hpp"
#include "api/operations.hpp"
#include "store/progression.hpp"

namespace hil::store::fixture_codec {
namespace {

using namespace fixture_json;

// A progression: its steps, each naming its status in `status_member` with `status_shape`.
std::vector<progression_step> read_steps(const object_reader& r, std::string_view member, std::string_view status_member,
                                         const api::shape& status_shape);

progress_state read_progress(const json& v, const place& pointer, std::size_t steps) {
    const object_reader r(v, pointer, {"polls", "stepsReached", "startedAt", "lastPolledAt"});
    progress_state p;
    p.polls = r.optional_whole("polls").value_or(0);
    p.steps_reached = r.optional_whole("stepsReached").value_or(0);
    if (p.steps_reached > steps) fail(r.at("stepsReached"), "is more than the " + std::to_string(steps) + " steps of the progression");
    if (auto t = r.optional_timestamp("startedAt")) p.started_at = *t;
    if (auto t = r.optional_timestamp("lastPolledAt")) p.last_polled_at = *t;
    if (p.polls == 0 && p.last_polled_at != 0) fail(r.at("lastPolledAt"), "a resource never polled has no last poll");
    return p;
}

// "progression" and "progress" of a job or a datastore.
void read_lifecycle(const object_reader& r, std::string_view resource, std::string_view status_member,
                    const api::shape& status_shape, std::vector<progression_step>& steps, progress_state& p,
                    api::epoch_millis now) {
    steps = read_steps(r, "progression", status_member, status_shape);
    p.started_at = now;
    if (const json* given = r.find("progress")) {
        if (steps.empty()) fail(r.at("progress"), "only a " + std::string(resource) + " with a progression has progress");
        p = read_progress(*given, r.at("progress"), steps.size());
        if (!given->HasMember("startedAt")) p.started_at = now;
    }
}

tag_map read_tags(const object_reader& r, std::string_view member) {
    tag_map tags;
    const json* v = r.find(member);
    if (!v) return tags;
    if (!v->IsObject()) fail(r.at(member), "must be an object of tag keys to values, not " + type_name(*v));
    for (auto it = v->MemberBegin(); it != v->MemberEnd(); ++it) {
        const std::string key(it->name.GetString(), it->name.GetStringLength());
        const std::string where = r.at(member) + "/" + api::display_value(key);  // clipped: the key is the input's
        if (tags.count(key)) fail(where, "member given twice");
        if (!it->value.IsString()) fail(where, "must be a string, not " + type_name(it->value));
        const std::string value(it->value.GetString(), it->value.GetStringLength());
        if (const auto k = api::violations(api::tag_key_shape, key); !k.empty()) {
            fail(where, "key '" + api::display_value(key) + "' is not a valid TagKey: " + k.front());
        }
        if (const auto t = api::violations(api::tag_value_shape, value); !t.empty()) {
            fail(where, "value is not a valid TagValue: " + t.front());
        }
        tags.insert_or_assign(key, value);
    }
    if (tags.size() > api::k_max_tags_per_resource) {
        fail(r.at(member), "a resource can have at most " + std::to_string(api::k_max_tags_per_resource) + " tags, not " +
                               std::to_string(tags.size()));
    }
    return tags;
}

// A member holding a JSON value that must satisfy `type` as the API checks it.
std::optional<std::string> read_api_value(const object_reader& r, std::string_view member, const api::shape& type) {
    const json* v = r.find(member);
    if (!v) return std::nullopt;
    // The API ignores members the shape does not name, but a name given twice is ambiguous.
    if (const auto twice = find_repeated_member(*v)) fail(r.at(member) + *twice, "member given twice");
    api::validation_report report;
    if (auto s = api::check_json_value(member, type, *v, report); !s) fail(r.at(member), s.err().message());
    if (!report.empty()) fail(r.at(member), report.message());
    return api::canonical_json(type, *v);
}

// "A, B, C": the names of the table rows that `keep` accepts, for "expected one of" messages.
template <class Row, class Keep>
std::string names_of(const Row* begin, const Row* end, Keep keep) {
    std::string out;
    for (auto it = begin; it != end; ++it) {
        if (!keep(*it)) continue;
        if (!out.empty()) out += ", ";
        out += it->name;
    }
    return out;
}


void put(json_writer& w, const char* key, std::string_view value) {
    w.Key(key);
    w.String(value.data(), static_cast<rapidjson::SizeType>(value.size()));
}

void put_seconds(json_writer& w, const char* key, api::epoch_millis t) {
    w.Key(key);
    if (t % 1000 == 0) {
        w.Int64(t / 1000);
    } else {
        w.Double(static_cast<double>(t) / 1000.0);
    }
}

void put_optional(json_writer& w, const char* key, const std::optional<std::string>& value) {
    if (value) put(w, key, *value);
}

void put_lifecycle(json_writer& w, const std::vector<progression_step>& steps, const progress_state& p,
                   std::string_view status_member) {
    if (steps.empty()) return;
    w.Key("progression");
    const auto text = progression_to_json(steps, status_member);
    w.RawValue(text.data(), text.size(), rapidjson::kArrayType);
    w.Key("progress");
    w.StartObject();
    w.Key("polls");
    w.Uint64(p.polls);
    w.Key("stepsReached");
    w.Uint64(p.steps_reached);
    put_seconds(w, "startedAt", p.started_at);
    if (p.last_polled_at != 0) put_seconds(w, "lastPolledAt", p.last_polled_at);
    w.EndObject();
}

progression_step read_step(const json& v, const place& pointer, std::string_view status_member,
                           const api::shape& status_shape) {
    const std::array<std::string_view, 5> allowed{status_member, "afterPolls", "afterSeconds", "message", "endedAt"};
    const object_reader r(v, pointer, allowed);
    progression_step step;
    step.status = r.required_enum(status_member, status_shape);
    if (const json* polls = r.find("afterPolls")) {
        if (!polls->IsUint64()) fail(r.at("afterPolls"), "must be a whole number of 0 or more");
        step.after_polls = polls->GetUint64();
    }
    step.after_millis = r.optional_duration("afterSeconds");
    if (step.after_polls.has_value() == step.after_millis.has_value()) {
        fail(pointer, "a step needs exactly one of afterPolls and afterSeconds");
    }
    step.message = r.optional("message", api::message_shape);
    step.ended_at = r.optional_timestamp("endedAt");
    return step;
}

std::vector<progression_step> read_steps(const object_reader& r, std::string_view member, std::string_view status_member,
                                         const api::shape& status_shape) {
    std::vector<progression_step> steps;
    const json* list = r.find(member);
    if (!list) return steps;
    if (!list->IsArray()) fail(r.at(member), "must be an array, not " + type_name(*list));
    for (rapidjson::SizeType i = 0; i < list->Size(); ++i) {
        steps.push_back(read_step((*list)[i], r.at(member) + "/" + std::to_string(i), status_member, status_shape));
    }
    return steps;
}

}  // namespace

// --- namespaces ---

std::optional<std::string> read_region(const object_reader& r, std::string_view member, bool every_region_allowed) {
    auto region = r.optional_string(member);
    if (!region) return region;
    if (*region == "*" && every_region_allowed) return std::string();
    if (!api::is_region_name(*region)) {
        fail(r.at(member), std::string("must be a region name such as us-east-1 (lower-case letters, digits and '-')") +
                               (every_region_allowed ? ", or \"*\" for every region" : ""));
    }
    return region;
}

// --- datastores ---

datastore read_datastore(const json& v, const place& pointer, api::epoch_millis now, const scope& defaults) {
    const object_reader r(v, pointer,
                          {"datastoreId", "datastoreName", "datastoreStatus", "accountId", "region", "createdAt",
                           "updatedAt", "kmsKeyArn", "lambdaAuthorizerArn", "losslessStorageFormat", "tags",
                           "clientToken", "progression", "progress", "importProgression"});
    datastore d;
    d.datastore_id = r.required("datastoreId", api::datastore_id_shape);
    d.datastore_name = r.required("datastoreName", api::datastore_name_shape);
    d.datastore_status = r.required_enum("datastoreStatus", api::datastore_status_shape);
    d.account_id = r.optional("accountId", api::aws_account_id_shape).value_or(defaults.account_id);
    d.region = read_region(r, "region", true).value_or(defaults.region);
    // A datastore seeded without a creation time was created when the fixture was loaded.
    d.created_at = r.optional_timestamp("createdAt").value_or(now);
    d.updated_at = r.optional_timestamp("updatedAt").value_or(*d.created_at);
    if (*d.updated_at < *d.created_at) fail(r.at("updatedAt"), "must not be earlier than createdAt");
    d.kms_key_arn = r.optional("kmsKeyArn", api::kms_key_arn_shape);
    d.lambda_authorizer_arn = r.optional("lambdaAuthorizerArn", api::lambda_arn_shape);
    d.lossless_storage_format = r.optional_enum("losslessStorageFormat", api::lossless_storage_format_shape);
    d.tags = read_tags(r, "tags");
    d.client_token = r.optional("clientToken", api::client_token_shape);
    read_lifecycle(r, "datastore", "datastoreStatus", api::datastore_status_shape, d.progression, d.progress, now);
    d.import_progression = read_steps(r, "importProgression", "jobStatus", api::job_status_shape);
    return d;
}

void write_datastore(json_writer& w, const datastore& d) {
    w.StartObject();
    put(w, "datastoreId", d.datastore_id);
    put(w, "datastoreName", d.datastore_name);
    put(w, "datastoreStatus", d.datastore_status);
    put(w, "accountId", d.account_id);
    put(w, "region", d.region.empty() ? std::string_view("*") : std::string_view(d.region));
    if (d.created_at) put_seconds(w, "createdAt", *d.created_at);
    if (d.updated_at) put_seconds(w, "updatedAt", *d.updated_at);
    put_optional(w, "kmsKeyArn", d.kms_key_arn);
    put_optional(w, "lambdaAuthorizerArn", d.lambda_authorizer_arn);
    put_optional(w, "losslessStorageFormat", d.lossless_storage_format);
    if (!d.tags.empty()) {
        w.Key("tags");
        w.StartObject();
        for (const auto& [k, v] : d.tags) put(w, k.c_str(), v);
        w.EndObject();
    }
    put_optional(w, "clientToken", d.client_token);
    put_lifecycle(w, d.progression, d.progress, "datastoreStatus");
    if (!d.import_progression.empty()) {
        w.Key("importProgression");
        const auto text = progression_to_json(d.import_progression, "jobStatus");
        w.RawValue(text.data(), text.size(), rapidjson::kArrayType);
    }
    w.EndObject();
}

// --- import jobs ---

import_job read_job(const json& v, const place& pointer, api::epoch_millis now) {
    const object_reader r(v, pointer,
                          {"jobId", "datastoreId", "jobName", "jobStatus", "dataAccessRoleArn", "inputS3Uri",
                           "outputS3Uri", "submittedAt", "endedAt", "message", "progression", "progress",
                           "inputOwnerAccountId", "importConfiguration", "clientToken"});
    import_job j;
    j.job_id = r.required("jobId", api::job_id_shape);
    j.datastore_id = r.required("datastoreId", api::datastore_id_shape);
    j.job_name = r.required("jobName", api::job_name_shape);
    j.job_status = r.required_enum("jobStatus", api::job_status_shape);
    j.data_access_role_arn = r.required("dataAccessRoleArn", api::role_arn_shape);
    j.input_s3_uri = r.required("inputS3Uri", api::s3_uri_shape);
    j.output_s3_uri = r.required("outputS3Uri", api::s3_uri_shape);
    j.submitted_at = r.optional_timestamp("submittedAt");
    j.ended_at = r.optional_timestamp("endedAt");
    j.message = r.optional("message", api::message_shape);
    if (j.submitted_at && j.ended_at && *j.ended_at < *j.submitted_at) {
        fail(r.at("endedAt"), "must not be earlier than submittedAt");
    }
    j.input_owner_account_id = r.optional("inputOwnerAccountId", api::aws_account_id_shape);
    j.import_configuration = read_api_value(r, "importConfiguration", api::import_configuration_shape);
    j.client_token = r.optional("clientToken", api::client_token_shape);
    read_lifecycle(r, "job", "jobStatus", api::job_status_shape, j.progression, j.progress, now);
    return j;
}

void write_job(json_writer& w, const import_job& j) {
    w.StartObject();
    put(w, "jobId", j.job_id);
    put(w, "datastoreId", j.datastore_id);
    put(w, "jobName", j.job_name);
    put(w, "jobStatus", j.job_status);
    put(w, "dataAccessRoleArn", j.data_access_role_arn);
    put(w, "inputS3Uri", j.input_s3_uri);
    put(w, "outputS3Uri", j.output_s3_uri);
    if (j.submitted_at) put_seconds(w, "submittedAt", *j.submitted_at);
    if (j.ended_at) put_seconds(w, "endedAt", *j.ended_at);
    put_optional(w, "message", j.message);
    put_optional(w, "inputOwnerAccountId", j.input_owner_account_id);
    if (j.import_configuration) {
        w.Key("importConfiguration");
        w.RawValue(j.import_configuration->data(), j.import_configuration->size(), rapidjson::kObjectType);
    }
    put_optional(w, "clientToken", j.client_token);
    put_lifecycle(w, j.progression, j.progress, "jobStatus");
    w.EndObject();
}

// --- imports run at start-up ---

import_job read_seeded_import(const json& v, const place& pointer, std::string_view account_id) {
    const object_reader r(v, pointer, {"datastoreId", "inputS3Uri", "outputS3Uri", "jobName", "dataAccessRoleArn"});
    import_job j;
    j.datastore_id = r.required("datastoreId", api::datastore_id_shape);
    j.input_s3_uri = r.required("inputS3Uri", api::s3_uri_shape);
    j.output_s3_uri = r.required("outputS3Uri", api::s3_uri_shape);
    j.job_name = r.optional("jobName", api::job_name_shape).value_or("");
    j.data_access_role_arn = r.optional("dataAccessRoleArn", api::role_arn_shape)
                                 .value_or("arn:aws:iam::" + std::string(account_id) + ":role/healthimaging-local-seed");
    j.reads_files = true;
    return j;
}

// --- import rules ---

import_rule read_import_rule(const json& v, const place& pointer) {
    const object_reader r(v, pointer, {"inputS3UriPrefix", "datastoreId", "jobStatus", "message"});
    import_rule rule;
    rule.input_prefix = r.required_string("inputS3UriPrefix");
    if (!rule.input_prefix.starts_with("s3://") || api::utf8_length(rule.input_prefix) > 1024) {
        fail(r.at("inputS3UriPrefix"), "must be the start of an S3 URI (s3://bucket/...), at most 1024 characters");
    }
    rule.datastore_id = r.optional("datastoreId", api::datastore_id_shape);
    rule.job_status = r.optional_enum("jobStatus", api::job_status_shape).value_or("FAILED");
    if (rule.job_status != "COMPLETED" && rule.job_status != "FAILED") {
        fail(r.at("jobStatus"), "a job ends COMPLETED or FAILED, not " + rule.job_status);
    }
    rule.message = r.optional("message", api::message_shape);
    return rule;
}

void write_import_rule(json_writer& w, const import_rule& r) {
    w.StartObject();
    put(w, "inputS3UriPrefix", r.input_prefix);
    put_optional(w, "datastoreId", r.datastore_id);
    put(w, "jobStatus", r.job_status);
    put_optional(w, "message", r.message);
    w.EndObject();
}

// --- fault rules ---

fault_rule read_fault(const json& v, const place& pointer) {
    std::vector<std::string_view> allowed{"id", "operation", "accessKeyId", "accountId", "region", "error", "message",
                                          "retryAfter", "delayMs", "dropConnection", "times", "after", "probability",
                                          "seed", "fired"};
    const auto labels = api::label_names();
    allowed.insert(allowed.begin() + 2, labels.begin(), labels.end());
    const object_reader r(v, pointer, std::span<const std::string_view>(allowed));
    fault_rule f;
    if (auto id = r.optional_string("id")) {
        const bool ok = !id->empty() && id->size() <= 64 && std::all_of(id->begin(), id->end(), [](char c) {
            return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-' || c == '_' || c == '.';
        });
        if (!ok) fail(r.at("id"), "must be 1 to 64 characters of A-Z a-z 0-9 . _ -");
        f.id = std::move(*id);
    }
    f.operation = r.optional_string("operation");
    const api::operation* op = nullptr;
    if (f.operation) {
        op = api::find_operation(*f.operation);
        if (!op) {
            std::string known;
            for (const auto* o : api::all_operations()) known += (known.empty() ? "" : ", ") + std::string(o->name);
            fail(r.at("operation"), "'" + api::display_value(*f.operation) + "' is not an operation this emulator serves (" + known + ")");
        }
    }
    for (const auto label : labels) {
        const json* value = r.find(label);
        if (!value) continue;
        // The label's shape: the named operation's, or that of any operation that has it.
        const api::input_member* m = op ? op->find_input(label, api::location::label) : nullptr;
        if (op && !m) fail(r.at(label), std::string(op->name) + " has no label " + std::string(label));
        for (const auto* o : api::all_operations()) {
            if (!m) m = o->find_input(label, api::location::label);
        }
        f.labels.emplace_back(std::string(label), *r.optional(label, *m->type));
    }
    f.access_key_id = r.optional_string("accessKeyId");
    if (f.access_key_id && f.access_key_id->empty()) fail(r.at("accessKeyId"), "must not be empty");
    f.account_id = r.optional("accountId", api::aws_account_id_shape);
    f.region = read_region(r, "region", false);
    if (const auto error_name = r.optional_string("error")) {
        const auto code = api::error_code_from_name(*error_name);
        if (!code || !api::info(*code).modeled) {
            const auto known = names_of(api::error_table_begin(), api::error_table_end(), [](const auto& e) { return e.modeled; });
            fail(r.at("error"), "'" + api::display_value(*error_name) + "' is not an error of the API (" + known + ")");
        }
        if (op && !api::declares(*op, *code)) fail(r.at("error"), std::string(op->name) + " does not declare " + *error_name);
        f.error = *code;
    }
    if (auto m = r.optional_string("message")) {
        if (!f.error) fail(r.at("message"), "only a rule with an error has a message");
        if (m->empty()) fail(r.at("message"), "must not be empty (leave it out for the default message)");
        f.message = std::move(*m);
    }
    if (auto ra = r.optional_whole("retryAfter")) {
        if (f.error != api::error_code::throttling) fail(r.at("retryAfter"), "goes only with \"error\": \"ThrottlingException\"");
        if (*ra > 86400) fail(r.at("retryAfter"), "must be at most 86400 seconds");
        f.retry_after = static_cast<std::uint32_t>(*ra);
    }
    if (auto d = r.optional_whole("delayMs")) {
        if (*d > 600'000) fail(r.at("delayMs"), "must be at most 600000 (ten minutes)");
        f.delay_millis = static_cast<std::uint32_t>(*d);
    }
    if (const json* drop = r.find("dropConnection")) {
        if (!drop->IsBool()) fail(r.at("dropConnection"), "must be true or false");
        f.drop_connection = drop->GetBool();
    }
    if (f.drop_connection && f.error) fail(r.at("dropConnection"), "a dropped connection carries no error; give one or the other");
    if (!f.error && !f.drop_connection && f.delay_millis == 0) {
        fail(pointer, "a fault needs an action: \"error\", \"delayMs\" or \"dropConnection\"");
    }
    if (const json* times = r.find("times")) {
        if (!times->IsUint64()) fail(r.at("times"), "must be a whole number of 0 or more");
        f.times = times->GetUint64();
    }
    f.after = r.optional_whole("after").value_or(0);
    if (const json* p = r.find("probability")) {
        if (!p->IsNumber() || p->GetDouble() < 0.0 || p->GetDouble() > 1.0) fail(r.at("probability"), "must be a number from 0 to 1");
        // Kept to nine decimal places, so the rule written back (write_fault) reads as the same number:
        // RapidJSON reads a 17-digit text to within a few units of the last place, not exactly.
        f.probability = std::round(p->GetDouble() * 1e9) / 1e9;
    }
    f.seed = r.optional_whole("seed");
    if (f.seed && !f.probability) fail(r.at("seed"), "goes only with \"probability\"");
    f.fired = r.optional_whole("fired").value_or(0);
    return f;
}

void write_fault(json_writer& w, const fault_rule& f) {
    w.StartObject();
    put(w, "id", f.id);
    if (f.operation) put(w, "operation", *f.operation);
    for (const auto& [name, value] : f.labels) put(w, name.c_str(), value);
    if (f.access_key_id) put(w, "accessKeyId", *f.access_key_id);
    put_optional(w, "accountId", f.account_id);
    put_optional(w, "region", f.region);
    if (f.error) put(w, "error", api::info(*f.error).name);
    if (!f.message.empty()) put(w, "message", f.message);
    if (f.retry_after) { w.Key("retryAfter"); w.Uint(*f.retry_after); }
    if (f.delay_millis != 0) { w.Key("delayMs"); w.Uint(f.delay_millis); }
    if (f.drop_connection) { w.Key("dropConnection"); w.Bool(true); }
    if (f.times) { w.Key("times"); w.Uint64(*f.times); }
    if (f.after != 0) { w.Key("after"); w.Uint64(f.after); }
    if (f.probability) {
        // At most nine decimals, trailing zeros dropped: what read_fault keeps, read back exactly.
        char digits[32];
        std::snprintf(digits, sizeof digits, "%.9f", *f.probability);
        std::string text(digits);
        while (text.back() == '0') text.pop_back();
        if (text.back() == '.') text.pop_back();
        w.Key("probability");
        w.RawValue(text.data(), text.size(), rapidjson::kNumberType);
    }
    if (f.seed) { w.Key("seed"); w.Uint64(*f.seed); }
    w.Key("fired");
    w.Uint64(f.fired);
    w.EndObject();
}

// --- credentials ---

credential read_credential(const json& v, const place& pointer) {
    const object_reader r(v, pointer,
                          {"accessKeyId", "secretAccessKey", "sessionToken", "expiresAt", "accountId", "principalArn"});
    credential c;
    c.access_key_id = r.required_string("accessKeyId");
    // What the header parser reads as a key, and at least 3 characters (AWS's own are 16 or more).
    if (c.access_key_id.size() < 3 || !api::is_access_key_id(c.access_key_id)) {
        fail(r.at("accessKeyId"), "must be 3 to 128 characters of A-Z a-z 0-9 _ - (an access key id such as AKIAIOSFODNN7EXAMPLE)");
    }
    c.secret_access_key = r.required_string("secretAccessKey");
    if (c.secret_access_key.empty() || api::utf8_length(c.secret_access_key) > 128) fail(r.at("secretAccessKey"), "must be 1 to 128 characters");
    c.session_token = r.optional_string("sessionToken");
    if (c.session_token && (c.session_token->empty() || api::utf8_length(*c.session_token) > 8192)) {
        fail(r.at("sessionToken"), "must be 1 to 8192 characters");
    }
    c.expires_at = r.optional_timestamp("expiresAt");
    c.account_id = r.required("accountId", api::aws_account_id_shape);
    c.principal_arn = r.optional_string("principalArn");
    if (c.principal_arn && (!c.principal_arn->starts_with("arn:") || api::utf8_length(*c.principal_arn) > 2048 ||
                            c.principal_arn->find(':' + c.account_id + ':') == std::string::npos)) {
        fail(r.at("principalArn"), "must be an IAM or STS ARN of the credential's account, such as arn:aws:iam::" +
                                       c.account_id + ":user/alice");
    }
    return c;
}

void write_credential(json_writer& w, const credential& c) {
    w.StartObject();
    put(w, "accessKeyId", c.access_key_id);
    put(w, "secretAccessKey", c.secret_access_key);
    put_optional(w, "sessionToken", c.session_token);
    if (c.expires_at) put_seconds(w, "expiresAt", *c.expires_at);
    put(w, "accountId", c.account_id);
    put_optional(w, "principalArn", c.principal_arn);
    w.EndObject();
}

// --- access policies ---

namespace {

// A list of 1 to 100 strings, each checked by `check` (which fails with its reason or returns).
template <class Check>
std::vector<std::string> read_string_list(const object_reader& r, std::string_view member, Check check) {
    const json* list = r.find(member);
    if (!list) fail(r.at(member), "required member is missing");
    if (!list->IsArray() || list->Empty() || list->Size() > 100) fail(r.at(member), "must be an array of 1 to 100 strings");
    std::vector<std::string> out;
    for (rapidjson::SizeType i = 0; i < list->Size(); ++i) {
        const auto where = r.at(member) + "/" + std::to_string(i);
        const auto& item = (*list)[i];
        if (!item.IsString()) fail(where, "must be a string, not " + type_name(item));
        std::string text(item.GetString(), item.GetStringLength());
        if (text.empty() || api::utf8_length(text) > 2048) fail(where, "must be 1 to 2048 characters");
        check(where, text);
        out.push_back(std::move(text));
    }
    return out;
}

bool starts_with_folded(std::string_view text, std::string_view prefix) {
    return text.size() >= prefix.size() && std::equal(prefix.begin(), prefix.end(), text.begin(), [](char a, char b) {
               return a == (b >= 'A' && b <= 'Z' ? static_cast<char>(b - 'A' + 'a') : b);
           });
}

}  // namespace

access_policy read_policy(const json& v, const place& pointer) {
    const object_reader r(v, pointer, {"id", "effect", "principal", "actions", "resources"});
    access_policy p;
    if (auto id = r.optional_string("id")) {
        const bool ok = !id->empty() && id->size() <= 64 && std::all_of(id->begin(), id->end(), [](char c) {
            return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-' || c == '_' || c == '.';
        });
        if (!ok) fail(r.at("id"), "must be 1 to 64 characters of A-Z a-z 0-9 . _ -");
        p.id = std::move(*id);
    }
    const auto effect = r.required_string("effect");
    if (effect != "Allow" && effect != "Deny") fail(r.at("effect"), "must be Allow or Deny, not '" + api::display_value(effect) + "'");
    p.allow = effect == "Allow";
    p.principal = r.required_string("principal");
    if (p.principal != "*" && (!p.principal.starts_with("arn:") || api::utf8_length(p.principal) > 2048)) {
        fail(r.at("principal"), "must be \"*\" or an IAM or STS ARN such as arn:aws:iam::123456789012:user/alice");
    }
    p.actions = read_string_list(r, "actions", [](const std::string& where, const std::string& a) {
        if (a != "*" && !starts_with_folded(a, "medical-imaging:")) {
            fail(where, "'" + api::display_value(a) + "' is not an action of the service: \"*\" or medical-imaging:<Operation>, "
                        "wildcards allowed");
        }
    });
    p.resources = read_string_list(r, "resources", [](const std::string& where, const std::string& res) {
        if (res != "*" && !res.starts_with("arn:")) {
            fail(where, "'" + api::display_value(res) + "' is not \"*\" or an ARN (wildcards allowed)");
        }
    });
    return p;
}

void write_policy(json_writer& w, const access_policy& p) {
    w.StartObject();
    put(w, "id", p.id);
    put(w, "effect", p.allow ? "Allow" : "Deny");
    put(w, "principal", p.principal);
    for (const auto* member : {"actions", "resources"}) {
        w.Key(member);
        w.StartArray();
        for (const auto& item : member[0] == 'a' ? p.actions : p.resources) w.String(item.data(), static_cast<rapidjson::SizeType>(item.size()));
        w.EndArray();
    }
    w.EndObject();
}

}  // namespace hil::store::fixture_codec
