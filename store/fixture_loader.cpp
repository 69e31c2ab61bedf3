#include "store/fixture_loader.hpp"

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <map>
#include <set>
#include <sstream>

#include "api/operations.hpp"
#include "api/shapes.hpp"

namespace hil::store {
namespace {

namespace fs = std::filesystem;
using json = rapidjson::Value;

// Thrown inside this file only, to unwind a deep walk; parse_fixture turns it into a value.
struct fixture_problem {
    std::string pointer;
    std::string reason;
};

[[noreturn]] void fail(const std::string& pointer, std::string reason) { throw fixture_problem{pointer, std::move(reason)}; }

std::string type_name(const json& v) {
    switch (v.GetType()) {
        case rapidjson::kNullType: return "null";
        case rapidjson::kFalseType:
        case rapidjson::kTrueType: return "a boolean";
        case rapidjson::kObjectType: return "an object";
        case rapidjson::kArrayType: return "an array";
        case rapidjson::kStringType: return "a string";
        case rapidjson::kNumberType: return "a number";
    }
    return "a value";
}

// Walks one object, checking each member as it is taken and refusing any left over.
class object_reader {
public:
    object_reader(const json& v, std::string pointer, std::initializer_list<std::string_view> allowed)
        : value_(v), pointer_(std::move(pointer)) {
        if (!v.IsObject()) fail(pointer_, "must be an object, not " + type_name(v));
        for (auto it = v.MemberBegin(); it != v.MemberEnd(); ++it) {
            const std::string_view name(it->name.GetString(), it->name.GetStringLength());
            if (std::find(allowed.begin(), allowed.end(), name) == allowed.end()) {
                std::string expected;
                for (const auto a : allowed) expected += (expected.empty() ? "" : ", ") + std::string(a);
                fail(at(name), "unknown member (expected one of: " + expected + ")");
            }
            if (!seen_.insert(std::string(name)).second) fail(at(name), "member given twice");
        }
    }

    std::string at(std::string_view member) const { return pointer_ + "/" + std::string(member); }
    const json* find(std::string_view member) const {
        const auto it = value_.FindMember(rapidjson::StringRef(member.data(), member.size()));
        return it == value_.MemberEnd() ? nullptr : &it->value;
    }

    std::optional<std::string> optional_string(std::string_view member) const {
        const json* v = find(member);
        if (!v) return std::nullopt;
        if (!v->IsString()) fail(at(member), "must be a string, not " + type_name(*v));
        return std::string(v->GetString(), v->GetStringLength());
    }
    std::string required_string(std::string_view member) const {
        auto s = optional_string(member);
        if (!s) fail(at(member), "required member is missing");
        return *s;
    }
    std::string required(std::string_view member, const api::string_shape& shape) const {
        auto s = required_string(member);
        check(member, shape, s);
        return s;
    }
    std::optional<std::string> optional(std::string_view member, const api::string_shape& shape) const {
        auto s = optional_string(member);
        if (s) check(member, shape, *s);
        return s;
    }
    std::string required(std::string_view member, const api::enum_shape& shape) const {
        auto s = required_string(member);
        const auto v = api::violations(shape, s);
        if (!v.empty()) fail(at(member), "value '" + api::display_value(s) + "' is not valid " + std::string(shape.name) + ": " + v.front());
        return s;
    }
    std::optional<api::epoch_millis> optional_timestamp(std::string_view member) const {
        const json* v = find(member);
        if (!v) return std::nullopt;
        if (!v->IsNumber()) fail(at(member), "must be a number of seconds since the epoch, not " + type_name(*v));
        const double seconds = v->GetDouble();
        if (!std::isfinite(seconds) || seconds < 0 || seconds > 253402300799.0) {
            fail(at(member), "must be a number of seconds between 0 and 253402300799 (year 9999)");
        }
        return static_cast<api::epoch_millis>(std::llround(seconds * 1000.0));
    }
    std::optional<std::uint64_t> optional_count(std::string_view member) const {
        const json* v = find(member);
        if (!v) return std::nullopt;
        if (!v->IsUint64() || v->GetUint64() == 0) fail(at(member), "must be a whole number of 1 or more");
        return v->GetUint64();
    }

private:
    void check(std::string_view member, const api::string_shape& shape, const std::string& s) const {
        const auto v = api::violations(shape, s);
        if (!v.empty()) {
            std::string reason = "value '" + api::display_value(s) + "' is not a valid " + std::string(shape.name) + ": ";
            for (std::size_t i = 0; i < v.size(); ++i) reason += (i ? "; " : "") + v[i];
            fail(at(member), std::move(reason));
        }
    }

    const json& value_;
    std::string pointer_;
    std::set<std::string> seen_;
};

template <class Fn>
void for_each_item(const object_reader& top, std::string_view member, Fn&& fn) {
    const json* list = top.find(member);
    if (!list) return;
    if (!list->IsArray()) fail(top.at(member), "must be an array, not " + type_name(*list));
    for (rapidjson::SizeType i = 0; i < list->Size(); ++i) fn((*list)[i], top.at(member) + "/" + std::to_string(i));
}

datastore read_datastore(const json& v, const std::string& pointer) {
    const object_reader r(v, pointer, {"datastoreId", "datastoreName", "datastoreStatus"});
    return {r.required("datastoreId", api::datastore_id_shape), r.required("datastoreName", api::datastore_name_shape),
            r.required("datastoreStatus", api::datastore_status_shape)};
}

import_job read_job(const json& v, const std::string& pointer) {
    const object_reader r(v, pointer,
                          {"jobId", "datastoreId", "jobName", "jobStatus", "dataAccessRoleArn", "inputS3Uri",
                           "outputS3Uri", "submittedAt", "endedAt", "message"});
    import_job j;
    j.job_id = r.required("jobId", api::job_id_shape);
    j.datastore_id = r.required("datastoreId", api::datastore_id_shape);
    j.job_name = r.required("jobName", api::job_name_shape);
    j.job_status = r.required("jobStatus", api::job_status_shape);
    j.data_access_role_arn = r.required("dataAccessRoleArn", api::role_arn_shape);
    j.input_s3_uri = r.required("inputS3Uri", api::s3_uri_shape);
    j.output_s3_uri = r.required("outputS3Uri", api::s3_uri_shape);
    j.submitted_at = r.optional_timestamp("submittedAt");
    j.ended_at = r.optional_timestamp("endedAt");
    j.message = r.optional("message", api::message_shape);
    if (j.submitted_at && j.ended_at && *j.ended_at < *j.submitted_at) {
        fail(r.at("endedAt"), "must not be earlier than submittedAt");
    }
    return j;
}

fault_rule read_fault(const json& v, const std::string& pointer) {
    const object_reader r(v, pointer, {"operation", "datastoreId", "jobId", "error", "message", "times"});
    fault_rule f;
    f.operation = r.optional_string("operation");
    const api::operation_info* op = nullptr;
    if (f.operation) {
        op = api::find_operation(*f.operation);
        if (!op) {
            std::string known;
            for (auto it = api::operations_begin(); it != api::operations_end(); ++it) known += (known.empty() ? "" : ", ") + std::string(it->name);
            fail(r.at("operation"), "'" + api::display_value(*f.operation) + "' is not an operation this emulator serves (" + known + ")");
        }
    }
    f.datastore_id = r.optional("datastoreId", api::datastore_id_shape);
    f.job_id = r.optional("jobId", api::job_id_shape);
    const auto error_name = r.required_string("error");
    const auto code = api::error_code_from_name(error_name);
    if (!code || !api::info(*code).modeled) {
        std::string known;
        for (auto it = api::error_table_begin(); it != api::error_table_end(); ++it) {
            if (it->modeled) known += (known.empty() ? "" : ", ") + std::string(it->name);
        }
        fail(r.at("error"), "'" + api::display_value(error_name) + "' is not an error of the API (" + known + ")");
    }
    if (op && !api::declares(*op, *code)) {
        fail(r.at("error"), std::string(op->name) + " does not declare " + error_name);
    }
    f.error = *code;
    if (auto m = r.optional_string("message")) {
        if (m->empty()) fail(r.at("message"), "must not be empty (leave it out for the default message)");
        f.message = std::move(*m);
    }
    f.times = r.optional_count("times");
    return f;
}

std::pair<std::size_t, std::size_t> line_and_column(std::string_view text, std::size_t offset) {
    offset = std::min(offset, text.size());
    std::size_t line = 1, column = 1;
    for (std::size_t i = 0; i < offset; ++i) {
        if (text[i] == '\n') { ++line; column = 1; } else { ++column; }
    }
    return {line, column};
}

api::error fixture_error(std::string_view source, std::string_view place, std::string_view reason) {
    return api::error::validation("fixture " + std::string(source) + ": " + std::string(place) + ": " + std::string(reason));
}

api::result<fixture_document> read_fixture_file(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return fixture_error(path.string(), "file", "cannot be read");
    std::ostringstream text;
    text << in.rdbuf();
    if (in.bad()) return fixture_error(path.string(), "file", "read failed");
    return parse_fixture(text.str(), path.string());
}

}  // namespace

api::result<fixture_document> parse_fixture(std::string_view text, std::string_view source) {
    rapidjson::Document doc;
    doc.Parse<rapidjson::kParseFullPrecisionFlag | rapidjson::kParseValidateEncodingFlag>(text.data(), text.size());
    if (doc.HasParseError()) {
        const auto [line, column] = line_and_column(text, doc.GetErrorOffset());
        return fixture_error(source, "line " + std::to_string(line) + ", column " + std::to_string(column),
                             std::string("malformed JSON: ") + rapidjson::GetParseError_En(doc.GetParseError()));
    }
    fixture_document out;
    out.source = std::string(source);
    try {
        const object_reader top(doc, "", {"datastores", "jobs", "faults"});
        for_each_item(top, "datastores", [&](const json& v, const std::string& p) { out.datastores.push_back(read_datastore(v, p)); });
        for_each_item(top, "jobs", [&](const json& v, const std::string& p) { out.jobs.push_back(read_job(v, p)); });
        for_each_item(top, "faults", [&](const json& v, const std::string& p) { out.faults.push_back(read_fault(v, p)); });
    } catch (const fixture_problem& p) {
        return fixture_error(source, p.pointer.empty() ? "/" : p.pointer, p.reason);
    }
    return out;
}

api::result<std::vector<fixture_document>> read_fixture_path(const std::string& path) {
    std::error_code ec;
    const fs::path p(path);
    const auto status = fs::status(p, ec);
    if (ec || !fs::exists(status)) return fixture_error(path, "path", "does not exist");
    std::vector<fs::path> files;
    if (fs::is_directory(status)) {
        for (const auto& entry : fs::directory_iterator(p, ec)) {
            if (entry.is_regular_file() && entry.path().extension() == ".json") files.push_back(entry.path());
        }
        if (ec) return fixture_error(path, "folder", "cannot be listed: " + ec.message());
        std::sort(files.begin(), files.end());
        if (files.empty()) return fixture_error(path, "folder", "holds no *.json files");
    } else {
        files.push_back(p);
    }
    std::vector<fixture_document> docs;
    for (const auto& f : files) {
        auto d = read_fixture_file(f);
        if (!d) return d.err();
        docs.push_back(std::move(d).value());
    }
    return docs;
}

api::status apply_fixtures(const std::vector<fixture_document>& documents, store& into, fault_rules& faults) {
    std::map<std::string, std::string, std::less<>> datastore_places;
    std::map<std::pair<std::string, std::string>, std::string> job_places;
    std::vector<datastore> datastores;
    std::vector<import_job> jobs;
    std::vector<fault_rule> rules;
    for (const auto& doc : documents) {
        for (std::size_t i = 0; i < doc.datastores.size(); ++i) {
            const auto& d = doc.datastores[i];
            const std::string place = doc.source + " /datastores/" + std::to_string(i);
            const auto [it, fresh] = datastore_places.emplace(d.datastore_id, place);
            if (!fresh) return fixture_error(doc.source, "/datastores/" + std::to_string(i) + "/datastoreId",
                                             "datastore " + d.datastore_id + " is already declared at " + it->second);
            datastores.push_back(d);
        }
    }
    for (const auto& doc : documents) {
        for (std::size_t i = 0; i < doc.jobs.size(); ++i) {
            const auto& j = doc.jobs[i];
            const std::string pointer = "/jobs/" + std::to_string(i);
            const auto [it, fresh] = job_places.emplace(std::pair{j.datastore_id, j.job_id}, doc.source + " " + pointer);
            if (!fresh) return fixture_error(doc.source, pointer + "/jobId",
                                             "job " + j.job_id + " of datastore " + j.datastore_id + " is already declared at " + it->second);
            if (!datastore_places.count(j.datastore_id)) {
                auto known = into.has_datastore(j.datastore_id);
                if (!known) return known.err();
                if (!known.value()) {
                    return fixture_error(doc.source, pointer + "/datastoreId",
                                         "datastore " + j.datastore_id + " is not declared in the fixtures' datastores");
                }
            }
            jobs.push_back(j);
        }
        rules.insert(rules.end(), doc.faults.begin(), doc.faults.end());
    }
    if (auto s = into.upsert(datastores, jobs); !s) return s;
    faults.add(std::move(rules));
    return api::ok_status();
}

}  // namespace hil::store
