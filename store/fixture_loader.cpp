#include "store/fixture_loader.hpp"

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <array>
#include <iterator>
#include <span>
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
#include "api/json_validation.hpp"
#include "store/fixture_codec.hpp"
#include "store/json_reader.hpp"
#include "store/progression.hpp"

namespace hil::store {
namespace {

namespace fs = std::filesystem;
using namespace fixture_json;
using namespace fixture_codec;

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
    if (const auto at = api::find_lone_surrogate(doc)) {
        return fixture_error(source, at->empty() ? "/" : *at, "a string holds a lone UTF-16 surrogate (\\uD800 to \\uDFFF unpaired)");
    }
    fixture_document out;
    out.source = std::string(source);
    try {
        const object_reader top(doc, "", {"$schema", "accountId", "region", "datastores", "jobs", "importRules",
                                          "imports", "faults", "credentials", "policies"});
        top.optional_string("$schema");  // for editors (fixtures/schema.json): only its type is checked
        const auto account = top.optional("accountId", api::aws_account_id_shape);
        const auto region = read_region(top, "region", true);
        const scope defaults{account.value_or(std::string(k_default_account)), region.value_or(std::string(k_default_region))};
        for_each_item(top, "datastores", [&](const json& v, const place& p) { out.datastores.push_back(read_datastore(v, p, now, defaults)); });
        for_each_item(top, "importRules", [&](const json& v, const place& p) { out.import_rules.push_back(read_import_rule(v, p)); });
        for_each_item(top, "jobs", [&](const json& v, const place& p) { out.jobs.push_back(read_job(v, p, now)); });
        for_each_item(top, "imports", [&](const json& v, const place& p) {
            out.imports.push_back({read_seeded_import(v, p, defaults.account_id), "fixture " + std::string(source) + ": " + p.str()});
        });
        for_each_item(top, "faults", [&](const json& v, const place& p) {
            auto f = read_fault(v, p);
            // A document that names its namespace scripts faults for that namespace alone.
            if (!f.account_id) f.account_id = account;
            if (!f.region && region && !region->empty()) f.region = region;
            out.faults.push_back(std::move(f));
        });
        for_each_item(top, "credentials", [&](const json& v, const place& p) { out.credentials.push_back(read_credential(v, p)); });
        for_each_item(top, "policies", [&](const json& v, const place& p) { out.policies.push_back(read_policy(v, p)); });
    } catch (const fixture_problem& p) {
        return fixture_error(source, p.pointer.empty() ? "/" : p.pointer, p.reason);
    }
    return out;
}

namespace {

// Items as the control API takes them: one object, an array of them, or {"<member>": [...]}.
template <class Read>
auto parse_items(std::string_view text, std::string_view source, std::string_view member, Read read)
    -> api::result<std::vector<decltype(read(std::declval<const json&>(), place("")))>> {
    using item = decltype(read(std::declval<const json&>(), place("")));
    rapidjson::Document doc;
    doc.Parse<rapidjson::kParseValidateEncodingFlag>(text.data(), text.size());
    if (doc.HasParseError()) {
        const auto [line, column] = line_and_column(text, doc.GetErrorOffset());
        return fixture_error(source, "line " + std::to_string(line) + ", column " + std::to_string(column),
                             std::string("malformed JSON: ") + rapidjson::GetParseError_En(doc.GetParseError()));
    }
    if (const auto at = api::find_lone_surrogate(doc)) {
        return fixture_error(source, at->empty() ? "/" : *at, "a string holds a lone UTF-16 surrogate (\\uD800 to \\uDFFF unpaired)");
    }
    std::vector<item> items;
    try {
        if (doc.IsObject() && doc.HasMember(rapidjson::StringRef(member.data(), member.size()))) {
            const object_reader top(doc, "", {member});
            for_each_item(top, member, [&](const json& v, const place& p) { items.push_back(read(v, p)); });
        } else if (doc.IsArray()) {
            for (rapidjson::SizeType i = 0; i < doc.Size(); ++i) items.push_back(read(doc[i], "/" + std::to_string(i)));
        } else {
            items.push_back(read(doc, ""));
        }
    } catch (const fixture_problem& p) {
        return fixture_error(source, p.pointer.empty() ? "/" : p.pointer, p.reason);
    }
    return items;
}

}  // namespace

api::result<std::vector<fault_rule>> parse_fault_rules(std::string_view text, std::string_view source) {
    return parse_items(text, source, "faults", read_fault);
}

api::result<std::vector<credential>> parse_credentials(std::string_view text, std::string_view source) {
    return parse_items(text, source, "credentials", read_credential);
}

api::result<std::vector<access_policy>> parse_policies(std::string_view text, std::string_view source) {
    return parse_items(text, source, "policies", read_policy);
}

api::result<std::vector<fixture_document>> read_fixture_path(const std::string& path, api::epoch_millis now) {
    std::error_code ec;
    const fs::path p(path);
    const auto status = fs::status(p, ec);
    if (ec || !fs::exists(status)) return fixture_error(path, "path", "does not exist");
    std::vector<fs::path> files;
    if (fs::is_directory(status)) {
        for (const auto& entry : fs::directory_iterator(p, ec)) {
            // schema.json is the JSON Schema editors check the fixtures with (fixtures/schema.json),
            // so that it can sit beside the files it describes.
            if (entry.is_regular_file() && entry.path().extension() == ".json" &&
                entry.path().filename() != k_schema_file_name) {
                files.push_back(entry.path());
            }
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

api::status apply_fixtures(std::vector<fixture_document> documents, const fixture_target& target, load_mode mode) {
    store& into = target.data;
    fault_rules& faults = target.faults;
    std::map<std::string, std::string, std::less<>> datastore_places;
    std::map<std::string, std::string, std::less<>> fault_places;
    std::map<std::string, std::string, std::less<>> policy_places;
    std::vector<credential> credentials;
    std::vector<access_policy> policies;
    if (mode == load_mode::merge) {
        for (const auto& existing : target.access.policies()) policy_places.emplace(existing.id, "the running policies");
    }
    for (const auto& doc : documents) {
        for (std::size_t i = 0; i < doc.policies.size(); ++i) {
            const auto& p = doc.policies[i];
            if (!p.id.empty()) {
                const std::string pointer = "/policies/" + std::to_string(i);
                const auto [it, fresh] = policy_places.emplace(p.id, doc.source + " " + pointer);
                if (!fresh) return fixture_error(doc.source, pointer + "/id", "policy id " + p.id + " is already used by " + it->second);
            }
            policies.push_back(p);
        }
        credentials.insert(credentials.end(), doc.credentials.begin(), doc.credentials.end());
    }
    std::vector<datastore> datastores;
    std::vector<fault_rule> rules;
    for (const auto& doc : documents) {
        for (std::size_t i = 0; i < doc.datastores.size(); ++i) {
            const auto& d = doc.datastores[i];
            const std::string pointer = "/datastores/" + std::to_string(i);
            const auto [it, fresh] = datastore_places.emplace(d.datastore_id, doc.source + " " + pointer);
            if (!fresh) return fixture_error(doc.source, pointer + "/datastoreId",
                                             "datastore " + d.datastore_id + " is already declared at " + it->second);
            if (mode == load_mode::merge) {
                // Ids are unique across namespaces: one suite's fixture must not take over another's datastore.
                auto stored = into.datastore_namespace(d.datastore_id);
                if (!stored) return stored.err();
                if (const auto& ns = stored.value(); ns && (ns->account_id != d.account_id || ns->region != d.region)) {
                    return fixture_error(doc.source, pointer + "/datastoreId",
                                         "datastore " + d.datastore_id + " already exists in account " + ns->account_id +
                                             (ns->region.empty() ? std::string(", seen from every region")
                                                                 : ", region " + ns->region) +
                                             "; a datastore id belongs to one namespace");
                }
            }
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
    dataset data;
    data.datastores = std::move(datastores);
    if (documents.size() == 1) {
        data.jobs = std::move(documents.front().jobs);
    } else {
        data.jobs.reserve(job_count);
        for (auto& doc : documents) std::move(doc.jobs.begin(), doc.jobs.end(), std::back_inserter(data.jobs));
    }
    for (auto& doc : documents) {
        std::move(doc.import_rules.begin(), doc.import_rules.end(), std::back_inserter(data.import_rules));
    }
    documents = {};
    if (auto s = into.load(data, mode); !s) return s;
    data = {};
    if (job_count >= 10'000) release_free_memory();
    if (mode == load_mode::replace) {
        faults.replace(std::move(rules));
        target.access.replace(std::move(credentials), std::move(policies));
        return api::ok_status();
    }
    if (auto added = faults.add(std::move(rules)); !added) return added.err();  // unreachable: ids were checked above
    target.access.put_credentials(std::move(credentials));
    if (auto added = target.access.add_policies(std::move(policies)); !added) return added.err();  // likewise
    return api::ok_status();
}

namespace {

// One item as its own JSON object, written by its codec function.
template <class Item>
std::string written(void (*write)(json_writer&, const Item&), const Item& item) {
    rapidjson::StringBuffer buffer;
    json_writer w(buffer);
    write(w, item);
    return {buffer.GetString(), buffer.GetSize()};
}

}  // namespace

std::string write_fault_rule(const fault_rule& f) { return written(&write_fault, f); }
std::string write_credential(const credential& c) { return written(&fixture_codec::write_credential, c); }
std::string write_policy(const access_policy& p) { return written(&fixture_codec::write_policy, p); }

std::string write_fixture(const dataset& data, const std::vector<fault_rule>& faults,
                          const std::vector<credential>& credentials, const std::vector<access_policy>& policies) {
    rapidjson::StringBuffer buffer;
    json_writer w(buffer);
    w.StartObject();
    w.Key("datastores");
    w.StartArray();
    for (const auto& d : data.datastores) write_datastore(w, d);
    w.EndArray();
    w.Key("jobs");
    w.StartArray();
    for (const auto& j : data.jobs) write_job(w, j);
    w.EndArray();
    w.Key("importRules");
    w.StartArray();
    for (const auto& r : data.import_rules) write_import_rule(w, r);
    w.EndArray();
    w.Key("faults");
    w.StartArray();
    for (const auto& f : faults) write_fault(w, f);
    w.EndArray();
    w.Key("credentials");
    w.StartArray();
    for (const auto& c : credentials) fixture_codec::write_credential(w, c);
    w.EndArray();
    w.Key("policies");
    w.StartArray();
    for (const auto& p : policies) fixture_codec::write_policy(w, p);
    w.EndArray();
    w.EndObject();
    return {buffer.GetString(), buffer.GetSize()};
}

}  // namespace hil::store
