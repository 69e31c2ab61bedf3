#include "store/fixture_loader.hpp"

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <iterator>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <map>
#include <unordered_map>
#include <sstream>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include "api/operations.hpp"
#include "api/shapes.hpp"
#include "store/progression.hpp"

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

// Where a value sits, as a JSON pointer that is only spelled out when a message needs it:
// a million jobs would otherwise cost a million "/jobs/N" strings that are never read.
// REQUIRES: `base` outlives the place.
class place {
public:
    // Implicit: every JSON pointer is a place.
    place(std::string_view base) : base_(base) {}       // NOLINT(google-explicit-constructor)
    place(const std::string& base) : base_(base) {}     // NOLINT(google-explicit-constructor)
    place(const char* base) : base_(base) {}            // NOLINT(google-explicit-constructor)
    place(std::string_view list, std::size_t index) : base_(list), index_(index) {}
    std::string str() const {
        std::string out(base_);
        if (index_ != k_no_index) out += "/" + std::to_string(index_);
        return out;
    }

private:
    static constexpr std::size_t k_no_index = static_cast<std::size_t>(-1);
    std::string_view base_;
    std::size_t index_ = k_no_index;
};

[[noreturn]] void fail(const place& where, std::string reason) { fail(where.str(), std::move(reason)); }

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
    // A bit per allowed member finds repeats without a set of strings per object.
    object_reader(const json& v, place where, std::initializer_list<std::string_view> allowed)
        : value_(v), where_(where) {
        if (!v.IsObject()) fail(where_, "must be an object, not " + type_name(v));
        std::uint64_t seen = 0;  // the longest allowed list (fault rules) has 15 members
        for (auto it = v.MemberBegin(); it != v.MemberEnd(); ++it) {
            const std::string_view name(it->name.GetString(), it->name.GetStringLength());
            const auto found = std::find(allowed.begin(), allowed.end(), name);
            if (found == allowed.end()) {
                std::string expected;
                for (const auto a : allowed) expected += (expected.empty() ? "" : ", ") + std::string(a);
                fail(at(name), "unknown member (expected one of: " + expected + ")");
            }
            const std::uint64_t bit = std::uint64_t{1} << static_cast<unsigned>(found - allowed.begin());
            if (seen & bit) fail(at(name), "member given twice");
            seen |= bit;
        }
    }

    std::string at(std::string_view member) const { return where_.str() + "/" + std::string(member); }
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
        return std::move(*s);
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
    std::optional<std::uint64_t> optional_whole(std::string_view member) const {
        const json* v = find(member);
        if (!v) return std::nullopt;
        if (!v->IsUint64()) fail(at(member), "must be a whole number of 0 or more");
        return v->GetUint64();
    }
    std::optional<api::epoch_millis> optional_duration(std::string_view member) const {
        const json* v = find(member);
        if (!v) return std::nullopt;
        if (!v->IsNumber() || !std::isfinite(v->GetDouble()) || v->GetDouble() < 0 || v->GetDouble() > 31536000.0) {
            fail(at(member), "must be a number of seconds from 0 to 31536000");
        }
        return static_cast<api::epoch_millis>(std::llround(v->GetDouble() * 1000.0));
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
    place where_;
};

template <class Fn>
void for_each_item(const object_reader& top, std::string_view member, Fn&& fn) {
    const json* list = top.find(member);
    if (!list) return;
    const std::string list_pointer = top.at(member);
    if (!list->IsArray()) fail(list_pointer, "must be an array, not " + type_name(*list));
    for (rapidjson::SizeType i = 0; i < list->Size(); ++i) fn((*list)[i], place(list_pointer, i));
}

datastore read_datastore(const json& v, const place& pointer) {
    const object_reader r(v, pointer, {"datastoreId", "datastoreName", "datastoreStatus"});
    return {r.required("datastoreId", api::datastore_id_shape), r.required("datastoreName", api::datastore_name_shape),
            r.required("datastoreStatus", api::datastore_status_shape)};
}

progression_step read_step(const json& v, const place& pointer) {
    const object_reader r(v, pointer, {"jobStatus", "afterPolls", "afterSeconds", "message", "endedAt"});
    progression_step step;
    step.job_status = r.required("jobStatus", api::job_status_shape);
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

job_progress read_progress(const json& v, const place& pointer, std::size_t steps) {
    const object_reader r(v, pointer, {"polls", "stepsReached", "startedAt"});
    job_progress p;
    p.polls = r.optional_whole("polls").value_or(0);
    p.steps_reached = r.optional_whole("stepsReached").value_or(0);
    if (p.steps_reached > steps) fail(r.at("stepsReached"), "is more than the " + std::to_string(steps) + " steps of the progression");
    if (auto t = r.optional_timestamp("startedAt")) p.started_at = *t;
    return p;
}

import_job read_job(const json& v, const place& pointer, api::epoch_millis now) {
    const object_reader r(v, pointer,
                          {"jobId", "datastoreId", "jobName", "jobStatus", "dataAccessRoleArn", "inputS3Uri",
                           "outputS3Uri", "submittedAt", "endedAt", "message", "progression", "progress"});
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
    if (const json* steps = r.find("progression")) {
        if (!steps->IsArray()) fail(r.at("progression"), "must be an array, not " + type_name(*steps));
        for (rapidjson::SizeType i = 0; i < steps->Size(); ++i) {
            j.progression.push_back(read_step((*steps)[i], r.at("progression") + "/" + std::to_string(i)));
        }
    }
    j.progress.started_at = now;
    if (const json* progress = r.find("progress")) {
        if (j.progression.empty()) fail(r.at("progress"), "only a job with a progression has progress");
        j.progress = read_progress(*progress, r.at("progress"), j.progression.size());
        if (!progress->HasMember("startedAt")) j.progress.started_at = now;
    }
    return j;
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

fault_rule read_fault(const json& v, const place& pointer) {
    const object_reader r(v, pointer,
                          {"id", "operation", "datastoreId", "jobId", "accessKeyId", "error", "message", "retryAfter",
                           "delayMs", "dropConnection", "times", "after", "probability", "seed", "fired"});
    fault_rule f;
    if (auto id = r.optional_string("id")) {
        const bool ok = !id->empty() && id->size() <= 64 && std::all_of(id->begin(), id->end(), [](char c) {
            return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-' || c == '_' || c == '.';
        });
        if (!ok) fail(r.at("id"), "must be 1 to 64 characters of A-Z a-z 0-9 . _ -");
        f.id = std::move(*id);
    }
    f.operation = r.optional_string("operation");
    const api::operation_info* op = nullptr;
    if (f.operation) {
        op = api::find_operation(*f.operation);
        if (!op) {
            const auto known = names_of(api::operations_begin(), api::operations_end(), [](const auto&) { return true; });
            fail(r.at("operation"), "'" + api::display_value(*f.operation) + "' is not an operation this emulator serves (" + known + ")");
        }
    }
    f.datastore_id = r.optional("datastoreId", api::datastore_id_shape);
    f.job_id = r.optional("jobId", api::job_id_shape);
    f.access_key_id = r.optional_string("accessKeyId");
    if (f.access_key_id && f.access_key_id->empty()) fail(r.at("accessKeyId"), "must not be empty");
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
        f.probability = p->GetDouble();
    }
    f.seed = r.optional_whole("seed");
    if (f.seed && !f.probability) fail(r.at("seed"), "goes only with \"probability\"");
    f.fired = r.optional_whole("fired").value_or(0);
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

// Gives the heap's free pages back to the system after a big load, whose parse trees and
// job copies would otherwise stay in the resident set for the life of the process.
void release_free_memory() {
#if defined(__GLIBC__)
    malloc_trim(0);
#endif
}

api::result<fixture_document> read_fixture_file(const fs::path& path, api::epoch_millis now) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return fixture_error(path.string(), "file", "cannot be read");
    // One buffer of the file's size: a stream copy would hold the text twice (half a
    // gigabyte each for a million jobs).
    std::error_code ec;
    const auto size = fs::file_size(path, ec);
    std::string text;
    if (!ec) {
        text.resize(static_cast<std::size_t>(size));
        in.read(text.data(), static_cast<std::streamsize>(text.size()));
        text.resize(static_cast<std::size_t>(in.gcount()));
    }
    if (ec || in.peek() != std::char_traits<char>::eof()) {  // not a plain file, or it grew: read the rest
        in.clear();
        std::ostringstream rest;
        rest << in.rdbuf();
        text += rest.str();
    }
    if (in.bad()) return fixture_error(path.string(), "file", "read failed");
    return parse_fixture(text, path.string(), now);
}

}  // namespace

api::result<fixture_document> parse_fixture(std::string_view text, std::string_view source, api::epoch_millis now) {
    rapidjson::Document doc;
    doc.Parse<rapidjson::kParseValidateEncodingFlag>(text.data(), text.size());
    if (doc.HasParseError()) {
        const auto [line, column] = line_and_column(text, doc.GetErrorOffset());
        return fixture_error(source, "line " + std::to_string(line) + ", column " + std::to_string(column),
                             std::string("malformed JSON: ") + rapidjson::GetParseError_En(doc.GetParseError()));
    }
    fixture_document out;
    out.source = std::string(source);
    try {
        const object_reader top(doc, "", {"datastores", "jobs", "faults"});
        for_each_item(top, "datastores", [&](const json& v, const place& p) { out.datastores.push_back(read_datastore(v, p)); });
        for_each_item(top, "jobs", [&](const json& v, const place& p) { out.jobs.push_back(read_job(v, p, now)); });
        for_each_item(top, "faults", [&](const json& v, const place& p) { out.faults.push_back(read_fault(v, p)); });
    } catch (const fixture_problem& p) {
        return fixture_error(source, p.pointer.empty() ? "/" : p.pointer, p.reason);
    }
    return out;
}

api::result<std::vector<fault_rule>> parse_fault_rules(std::string_view text, std::string_view source) {
    rapidjson::Document doc;
    doc.Parse<rapidjson::kParseValidateEncodingFlag>(text.data(), text.size());
    if (doc.HasParseError()) {
        const auto [line, column] = line_and_column(text, doc.GetErrorOffset());
        return fixture_error(source, "line " + std::to_string(line) + ", column " + std::to_string(column),
                             std::string("malformed JSON: ") + rapidjson::GetParseError_En(doc.GetParseError()));
    }
    std::vector<fault_rule> rules;
    try {
        if (doc.IsObject() && doc.HasMember("faults")) {
            const object_reader top(doc, "", {"faults"});
            for_each_item(top, "faults", [&](const json& v, const place& p) { rules.push_back(read_fault(v, p)); });
        } else if (doc.IsArray()) {
            for (rapidjson::SizeType i = 0; i < doc.Size(); ++i) rules.push_back(read_fault(doc[i], "/" + std::to_string(i)));
        } else {
            rules.push_back(read_fault(doc, ""));
        }
    } catch (const fixture_problem& p) {
        return fixture_error(source, p.pointer.empty() ? "/" : p.pointer, p.reason);
    }
    return rules;
}

api::result<std::vector<fixture_document>> read_fixture_path(const std::string& path, api::epoch_millis now) {
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
        auto d = read_fixture_file(f, now);
        if (!d) return d.err();
        docs.push_back(std::move(d).value());
    }
    return docs;
}

namespace {

// A job's identity as views into the documents being applied, so that checking a million
// jobs for duplicates copies no strings.
struct job_key {
    std::string_view datastore_id;
    std::string_view job_id;
    bool operator==(const job_key&) const = default;
};

struct job_key_hash {
    std::size_t operator()(const job_key& k) const noexcept {
        const std::hash<std::string_view> h;
        return h(k.job_id) ^ (h(k.datastore_id) * 0x9e3779b97f4a7c15ULL);
    }
};

}  // namespace

api::status apply_fixtures(std::vector<fixture_document> documents, store& into, fault_rules& faults, load_mode mode) {
    std::map<std::string, std::string, std::less<>> datastore_places;
    std::map<std::string, std::string, std::less<>> fault_places;
    std::vector<datastore> datastores;
    std::vector<fault_rule> rules;
    for (const auto& doc : documents) {
        for (std::size_t i = 0; i < doc.datastores.size(); ++i) {
            const auto& d = doc.datastores[i];
            const std::string pointer = "/datastores/" + std::to_string(i);
            const auto [it, fresh] = datastore_places.emplace(d.datastore_id, doc.source + " " + pointer);
            if (!fresh) return fixture_error(doc.source, pointer + "/datastoreId",
                                             "datastore " + d.datastore_id + " is already declared at " + it->second);
            datastores.push_back(d);
        }
    }
    if (mode == load_mode::merge) {
        for (const auto& existing : faults.list()) fault_places.emplace(existing.id, "the running fault rules");
    }
    std::size_t job_count = 0;
    for (const auto& doc : documents) job_count += doc.jobs.size();
    // Each job's first place, as (document, index): the place text is built only for a duplicate.
    std::unordered_map<job_key, std::pair<std::size_t, std::size_t>, job_key_hash> job_places;
    job_places.reserve(job_count);
    const std::string* known_datastore = nullptr;  // jobs come in runs of one datastore: skip repeated look-ups
    for (std::size_t n = 0; n < documents.size(); ++n) {
        const auto& doc = documents[n];
        for (std::size_t i = 0; i < doc.jobs.size(); ++i) {
            const auto& j = doc.jobs[i];
            const std::string_view job_id = j.job_id;
            const std::string_view datastore_id = j.datastore_id;
            const auto [it, fresh] = job_places.try_emplace(job_key{datastore_id, job_id}, n, i);
            if (!fresh) {
                const auto& first = documents[it->second.first];
                return fixture_error(doc.source, "/jobs/" + std::to_string(i) + "/jobId",
                                     "job " + j.job_id + " of datastore " + j.datastore_id + " is already declared at " +
                                         first.source + " /jobs/" + std::to_string(it->second.second));
            }
            if (known_datastore && j.datastore_id == *known_datastore) continue;
            if (!datastore_places.count(j.datastore_id)) {
                bool known = false;
                if (mode == load_mode::merge) {
                    auto stored = into.has_datastore(j.datastore_id);
                    if (!stored) return stored.err();
                    known = stored.value();
                }
                if (!known) {
                    return fixture_error(doc.source, "/jobs/" + std::to_string(i) + "/datastoreId",
                                         "datastore " + j.datastore_id + " is not declared in the fixtures' datastores");
                }
            }
            known_datastore = &j.datastore_id;
        }
        for (std::size_t i = 0; i < doc.faults.size(); ++i) {
            const auto& f = doc.faults[i];
            if (!f.id.empty()) {
                const std::string pointer = "/faults/" + std::to_string(i);
                const auto [it, fresh] = fault_places.emplace(f.id, doc.source + " " + pointer);
                if (!fresh) return fixture_error(doc.source, pointer + "/id", "fault id " + f.id + " is already used by " + it->second);
            }
            rules.push_back(f);
        }
    }
    job_places = {};  // its keys view the jobs about to be moved
    std::vector<import_job> jobs;
    if (documents.size() == 1) {
        jobs = std::move(documents.front().jobs);
    } else {
        jobs.reserve(job_count);
        for (auto& doc : documents) std::move(doc.jobs.begin(), doc.jobs.end(), std::back_inserter(jobs));
    }
    documents = {};
    if (auto s = into.load(datastores, jobs, mode); !s) return s;
    jobs = {};
    if (job_count >= 10'000) release_free_memory();
    if (mode == load_mode::replace) {
        faults.replace(std::move(rules));
    } else if (auto added = faults.add(std::move(rules)); !added) {
        return added.err();  // unreachable: ids were checked above
    }
    return api::ok_status();
}

namespace {

using json_writer = rapidjson::Writer<rapidjson::StringBuffer>;

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

}  // namespace

std::string write_fault_rule(const fault_rule& f) {
    rapidjson::StringBuffer buffer;
    json_writer w(buffer);
    w.StartObject();
    put(w, "id", f.id);
    if (f.operation) put(w, "operation", *f.operation);
    if (f.datastore_id) put(w, "datastoreId", *f.datastore_id);
    if (f.job_id) put(w, "jobId", *f.job_id);
    if (f.access_key_id) put(w, "accessKeyId", *f.access_key_id);
    if (f.error) put(w, "error", api::info(*f.error).name);
    if (!f.message.empty()) put(w, "message", f.message);
    if (f.retry_after) { w.Key("retryAfter"); w.Uint(*f.retry_after); }
    if (f.delay_millis != 0) { w.Key("delayMs"); w.Uint(f.delay_millis); }
    if (f.drop_connection) { w.Key("dropConnection"); w.Bool(true); }
    if (f.times) { w.Key("times"); w.Uint64(*f.times); }
    if (f.after != 0) { w.Key("after"); w.Uint64(f.after); }
    if (f.probability) { w.Key("probability"); w.Double(*f.probability); }
    if (f.seed) { w.Key("seed"); w.Uint64(*f.seed); }
    w.Key("fired");
    w.Uint64(f.fired);
    w.EndObject();
    return {buffer.GetString(), buffer.GetSize()};
}

std::string write_fixture(const std::vector<datastore>& datastores, const std::vector<import_job>& jobs,
                          const std::vector<fault_rule>& faults) {
    rapidjson::StringBuffer buffer;
    json_writer w(buffer);
    w.StartObject();
    w.Key("datastores");
    w.StartArray();
    for (const auto& d : datastores) {
        w.StartObject();
        put(w, "datastoreId", d.datastore_id);
        put(w, "datastoreName", d.datastore_name);
        put(w, "datastoreStatus", d.datastore_status);
        w.EndObject();
    }
    w.EndArray();
    w.Key("jobs");
    w.StartArray();
    for (const auto& j : jobs) {
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
        if (j.message) put(w, "message", *j.message);
        if (!j.progression.empty()) {
            w.Key("progression");
            const auto steps = progression_to_json(j.progression);
            w.RawValue(steps.data(), steps.size(), rapidjson::kArrayType);
            w.Key("progress");
            w.StartObject();
            w.Key("polls");
            w.Uint64(j.progress.polls);
            w.Key("stepsReached");
            w.Uint64(j.progress.steps_reached);
            put_seconds(w, "startedAt", j.progress.started_at);
            w.EndObject();
        }
        w.EndObject();
    }
    w.EndArray();
    w.Key("faults");
    w.StartArray();
    for (const auto& f : faults) {
        const auto rule = write_fault_rule(f);
        w.RawValue(rule.data(), rule.size(), rapidjson::kObjectType);
    }
    w.EndArray();
    w.EndObject();
    return {buffer.GetString(), buffer.GetSize()};
}

}  // namespace hil::store
