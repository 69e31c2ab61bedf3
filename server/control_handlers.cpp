#include "server/control_handlers.hpp"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <charconv>
#include <cmath>

#include "api/operations.hpp"
#include "api/shapes.hpp"
#include "server/body_spool.hpp"
#include "server/uri_path.hpp"
#include "server/version.hpp"
#include "server/wire_json.hpp"
#include "store/fixture_loader.hpp"

namespace hil::server {
namespace {

using json_writer = rapidjson::Writer<rapidjson::StringBuffer>;

void put(json_writer& w, const char* key, std::string_view value) {
    w.Key(key);
    w.String(value.data(), static_cast<rapidjson::SizeType>(value.size()));
}

reply json_reply(unsigned status, const rapidjson::StringBuffer& buffer) {
    return reply{status, {buffer.GetString(), buffer.GetSize()}};
}

// The counts, under `status`; health also says whether the control API wants a token (`with_guard`).
api::result<reply> counts_reply(control_plane& p, std::string_view status, bool with_guard = false) {
    auto counts = p.data.counts();
    if (!counts) return counts.err();
    rapidjson::StringBuffer buffer;
    json_writer w(buffer);
    w.StartObject();
    put(w, "status", status);
    put(w, "version", k_version);
    w.Key("datastores");
    w.Uint64(counts.value().datastores);
    w.Key("jobs");
    w.Uint64(counts.value().jobs);
    w.Key("importRules");
    w.Uint64(counts.value().import_rules);
    w.Key("imageSets");
    w.Uint64(counts.value().image_sets);
    w.Key("faults");
    w.Uint64(p.faults.size());
    const auto access = p.access.snapshot();
    w.Key("credentials");
    w.Uint64(access->credentials.size());
    w.Key("policies");
    w.Uint64(access->policies.size());
    if (with_guard) {
        w.Key("adminTokenRequired");
        w.Bool(p.admin_token_required);
    }
    w.EndObject();
    return json_reply(200, buffer);
}

// ?accountId=...&region=...: the namespaces a reset, state or journal call narrows to.
api::result<store::namespace_filter> namespace_of(const request& req) {
    store::namespace_filter only;
    only.account_id = query_param(req.target(), "accountId");
    only.region = query_param(req.target(), "region");
    if (only.account_id && api::violations(api::aws_account_id_shape, *only.account_id).size() != 0) {
        return api::error::validation("accountId must be 12 digits, not '" + api::display_value(*only.account_id) + "'");
    }
    if (only.region && !api::is_region_name(*only.region)) {
        return api::error::validation("region must be a region name such as us-east-1, not '" + api::display_value(*only.region) + "'");
    }
    return only;
}

// Whether a fault rule is scripted for the namespaces `only` names (a rule naming none is everyone's).
bool fault_in(const store::fault_rule& f, const store::namespace_filter& only) {
    if (!f.account_id && !f.region) return false;
    return (!only.account_id || f.account_id == only.account_id) && (!only.region || f.region == only.region);
}

api::result<reply> reset(control_plane& p, const request& req) {
    auto only = namespace_of(req);
    if (!only) return only.err();
    if (only.value().everything()) {
        if (auto s = p.data.reset_to_baseline(p.clock.now()); !s) return s.err();
        p.faults.replace(p.startup_faults);
        p.access.replace(p.startup_credentials, p.startup_policies);
        p.journal.clear();
        p.limiter.clear();
        return counts_reply(p, "reset");
    }
    const auto& ns = only.value();
    if (auto s = p.data.reset_namespace(ns, p.clock.now()); !s) return s.err();
    std::vector<store::fault_rule> restored;
    for (const auto& f : p.startup_faults) {
        if (fault_in(f, ns)) restored.push_back(f);
    }
    p.faults.replace_where([&](const store::fault_rule& f) { return fault_in(f, ns); }, std::move(restored));
    journal_filter entries;
    entries.account_id = ns.account_id;
    entries.region = ns.region;
    p.journal.clear(entries);
    return counts_reply(p, "reset");
}

api::result<reply> load_fixtures(control_plane& p, const request& req) {
    const auto mode_text = query_param(req.target(), "mode").value_or("merge");
    store::load_mode mode = store::load_mode::merge;
    if (mode_text == "replace") {
        mode = store::load_mode::replace;
    } else if (mode_text != "merge") {
        return api::error::validation("mode must be merge or replace, not '" + api::display_value(mode_text) + "'");
    }
    std::size_t loaded_datastores = 0, loaded_jobs = 0, loaded_rules = 0, loaded_faults = 0, loaded_credentials = 0,
                loaded_policies = 0;
    const store::fixture_check count = [&](std::vector<store::fixture_document>& docs) -> api::status {
        const auto& d = docs.front();
        if (!d.imports.empty()) {
            return api::error::validation(d.imports.front().place +
                                          ": \"imports\" run at start-up only; at run time, call StartDICOMImportJob");
        }
        loaded_datastores = d.datastores.size();
        loaded_jobs = d.streamed_jobs;
        loaded_rules = d.import_rules.size();
        loaded_faults = d.faults.size();
        loaded_credentials = d.credentials.size();
        loaded_policies = d.policies.size();
        return api::ok_status();
    };
    // A large body was spooled to a file as it arrived (control_body::spooled); either way the
    // loader streams it, and its messages name the request body, not the file.
    const store::fixture_target into{p.data, p.faults, p.access};
    const auto* spooled = req.body_file();
    if (auto s = spooled ? store::load_fixture_file(spooled->path(), "(request body)", into, mode, p.clock.now(), count)
                         : store::load_fixture_text(req.body(), "(request body)", into, mode, p.clock.now(), count);
        !s) {
        return s.err();
    }
    rapidjson::StringBuffer buffer;
    json_writer w(buffer);
    w.StartObject();
    put(w, "mode", mode_text);
    w.Key("loaded");
    w.StartObject();
    w.Key("datastores");
    w.Uint64(loaded_datastores);
    w.Key("jobs");
    w.Uint64(loaded_jobs);
    w.Key("importRules");
    w.Uint64(loaded_rules);
    w.Key("faults");
    w.Uint64(loaded_faults);
    w.Key("credentials");
    w.Uint64(loaded_credentials);
    w.Key("policies");
    w.Uint64(loaded_policies);
    w.EndObject();
    w.EndObject();
    return json_reply(200, buffer);
}

api::result<reply> state(control_plane& p, const request& req) {
    auto only = namespace_of(req);
    if (!only) return only.err();
    const auto& ns = only.value();
    auto contents = p.data.contents(p.clock.now(), ns);
    if (!contents) return contents.err();
    if (ns.everything()) {
        return reply{200, store::write_fixture(contents.value(), p.faults.list(), p.access.credentials(), p.access.policies())};
    }
    auto faults = p.faults.list();
    std::erase_if(faults, [&](const store::fault_rule& f) { return !fault_in(f, ns); });
    return reply{200, store::write_fixture(contents.value(), faults)};
}

// {"<member>": [...]}, each item written by `write`.
template <class Item>
std::string list_json(const char* member, const std::vector<Item>& items, std::string (*write)(const Item&)) {
    rapidjson::StringBuffer buffer;
    json_writer w(buffer);
    w.StartObject();
    w.Key(member);
    w.StartArray();
    for (const auto& item : items) {
        const auto text = write(item);
        w.RawValue(text.data(), text.size(), rapidjson::kObjectType);
    }
    w.EndArray();
    w.EndObject();
    return {buffer.GetString(), buffer.GetSize()};
}

std::string credentials_json(const std::vector<store::credential>& items) {
    return list_json("credentials", items, &store::write_credential);
}

std::string policies_json(const std::vector<store::access_policy>& items) {
    return list_json("policies", items, &store::write_policy);
}

api::result<reply> add_credentials(control_plane& p, const request& req) {
    auto read = store::parse_credentials(req.body(), "(request body)");
    if (!read) return read.err();
    auto added = read.value();
    p.access.put_credentials(std::move(read).value());
    return reply{201, credentials_json(added)};
}

api::result<reply> add_policies(control_plane& p, const request& req) {
    auto read = store::parse_policies(req.body(), "(request body)");
    if (!read) return read.err();
    auto added = p.access.add_policies(std::move(read).value());
    if (!added) return added.err();
    return reply{201, policies_json(added.value())};
}

std::string faults_json(const std::vector<store::fault_rule>& rules) {
    return list_json("faults", rules, &store::write_fault_rule);
}

api::result<reply> add_faults(control_plane& p, const request& req) {
    auto rules = store::parse_fault_rules(req.body(), "(request body)");
    if (!rules) return rules.err();
    auto added = p.faults.add(std::move(rules).value());
    if (!added) return added.err();
    return reply{201, faults_json(added.value())};
}

api::result<reply> delete_fault(control_plane& p, const route_match& m) {
    const auto id = m.label("faultId");
    if (!p.faults.remove(id)) return api::error::resource_not_found("Fault rule '" + api::display_value(id) + "' not found");
    return reply{200, faults_json(p.faults.list())};
}

// PUT /_emulator/faults/{id}: one rule in the place of the rule `id`, so the order (which rule
// is checked first) stays; its budget and counts are the body's.
api::result<reply> edit_fault(control_plane& p, const route_match& m, const request& req) {
    const auto id = m.label("faultId");
    auto rules = store::parse_fault_rules(req.body(), "(request body)");
    if (!rules) return rules.err();
    if (rules.value().size() != 1) {
        return api::error::validation("PUT /_emulator/faults/{id} takes one rule, not " + std::to_string(rules.value().size()));
    }
    auto rule = std::move(rules.value().front());
    if (rule.id.empty()) rule.id = std::string(id);
    if (rule.id != id) {
        return api::error::validation("the rule's id '" + api::display_value(rule.id) + "' is not the id in the path, '" +
                                      api::display_value(id) + "'");
    }
    if (!p.faults.replace_one(id, std::move(rule))) {
        return api::error::resource_not_found("Fault rule '" + api::display_value(id) + "' not found");
    }
    return reply{200, faults_json(p.faults.list())};
}

template <class Int>
api::result<Int> parse_filter(std::string_view name, const std::string& text) {
    Int v{};
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc() || end != text.data() + text.size()) {
        return api::error::validation("filter " + std::string(name) + ": '" + api::display_value(text) + "' is not a whole number");
    }
    return v;
}

// `cut` without the character its end splits, if it splits one (the journal cuts bodies by bytes).
std::string_view whole_characters(std::string_view cut) {
    std::size_t lead = cut.size();  // just past the last byte that is not a continuation byte
    while (lead > 0 && cut.size() - lead < 3 && (static_cast<unsigned char>(cut[lead - 1]) & 0xC0U) == 0x80U) --lead;
    if (lead == 0) return cut;
    const auto first = static_cast<unsigned char>(cut[lead - 1]);
    const std::size_t length = first >= 0xF0U ? 4 : first >= 0xE0U ? 3 : first >= 0xC0U ? 2 : 1;
    return lead - 1 + length > cut.size() ? cut.substr(0, lead - 1) : cut;
}

// One journal entry; `detail` adds the request and the answer as they went over the wire.
void write_entry(json_writer& w, const journal_entry& e, bool detail = false) {
    w.StartObject();
    w.Key("sequence");
    w.Uint64(e.sequence);
    w.Key("time");
    const auto t = epoch_seconds_text(e.time);
    w.RawValue(t.data(), t.size(), rapidjson::kNumberType);
    // The journal keeps the bytes a client sent; a JSON string must be UTF-8.
    const auto shown = [](std::string_view text) {
        if (text.size() <= k_kept_text_bytes) return api::display_value(text, text.size());
        const auto kept = whole_characters(text.substr(0, k_kept_text_bytes));
        return api::display_value(kept, kept.size()) + "...";
    };
    put(w, "requestId", e.request_id);
    put(w, "method", shown(e.method));
    put(w, "path", shown(e.path));
    if (!e.operation.empty()) put(w, "operation", e.operation);
    for (const auto& [name, value] : e.labels) {
        w.Key(name.data(), static_cast<rapidjson::SizeType>(name.size()));
        const auto text = shown(value);
        w.String(text.data(), static_cast<rapidjson::SizeType>(text.size()));
    }
    if (!e.access_key_id.empty()) put(w, "accessKeyId", shown(e.access_key_id));
    if (!e.account_id.empty()) put(w, "accountId", e.account_id);
    if (!e.region.empty()) put(w, "region", e.region);
    w.Key("status");
    w.Uint(e.status);
    if (e.status == 0) {
        w.Key("dropped");
        w.Bool(true);
    }
    if (!e.error_type.empty()) put(w, "errorType", e.error_type);
    if (!e.fault_id.empty()) put(w, "faultId", e.fault_id);
    w.Key("latencyMs");
    w.Double(std::round(e.latency_ms * 1000.0) / 1000.0);
    if (detail) {
        // What the journal kept is the wire's bytes; JSON strings must be UTF-8. The head's invalid
        // bytes become U+FFFD; a body that is not UTF-8 text (past a character the cut split) is binary.
        const auto message = [&w](const char* key, const journal_message& m) {
            if (m.head.empty()) return;
            w.Key(key);
            w.StartObject();
            const std::string_view head = m.head_truncated ? whole_characters(m.head) : m.head;
            put(w, "head", api::display_value(head, head.size()) + (m.head_truncated ? "..." : ""));
            w.Key("bodySize");
            w.Uint64(m.body_size);
            const std::string_view body = m.body.size() < m.body_size ? whole_characters(m.body) : m.body;
            if (m.body_binary || api::display_value(body, body.size()) != body) {
                w.Key("bodyBinary");
                w.Bool(true);
            } else {
                put(w, "body", body);
                if (body.size() < m.body_size) {
                    w.Key("bodyTruncated");
                    w.Bool(true);
                }
            }
            w.EndObject();
        };
        message("request", e.request);
        message("response", e.response);
    }
    w.EndObject();
}

api::result<reply> requests(control_plane& p, const request& req) {
    journal_filter f;
    const auto target = req.target();
    f.operation = query_param(target, "operation");
    auto only = namespace_of(req);
    if (!only) return only.err();
    f.account_id = only.value().account_id;
    f.region = only.value().region;
    // Any label of any operation filters: ?datastoreId=..., ?jobId=..., ?resourceArn=...
    for (const auto name : api::label_names()) {
        if (auto v = query_param(target, name)) f.labels.emplace_back(std::string(name), std::move(*v));
    }
    if (auto s = query_param(target, "status")) {
        auto v = parse_filter<unsigned>("status", *s);
        if (!v) return v.err();
        f.status = v.value();
    }
    if (auto s = query_param(target, "since")) {
        // Epoch seconds, fractions allowed, as the journal's own "time" values are written.
        char* end = nullptr;
        const double seconds = std::strtod(s->c_str(), &end);
        if (s->empty() || end != s->c_str() + s->size() || !std::isfinite(seconds)) {
            return api::error::validation("filter since: '" + api::display_value(*s) + "' is not a number of epoch seconds");
        }
        f.since = static_cast<api::epoch_millis>(std::llround(seconds * 1000.0));
    }
    std::optional<std::size_t> limit;
    if (auto s = query_param(target, "after")) {
        auto v = parse_filter<std::uint64_t>("after", *s);
        if (!v) return v.err();
        f.after = v.value();
    }
    if (auto s = query_param(target, "limit")) {
        auto v = parse_filter<std::size_t>("limit", *s);
        if (!v) return v.err();
        limit = v.value();
    }
    rapidjson::StringBuffer buffer;
    json_writer w(buffer);
    w.StartObject();
    w.Key("capacity");
    w.Uint64(p.journal.capacity());
    w.Key("requests");
    w.StartArray();
    for (const auto& e : p.journal.query(f, limit)) write_entry(w, e);
    w.EndArray();
    w.EndObject();
    return json_reply(200, buffer);
}

api::result<reply> request_detail(control_plane& p, const route_match& m) {
    const auto text = std::string(m.label("sequence"));
    auto sequence = parse_filter<std::uint64_t>("sequence", text);
    if (!sequence) return sequence.err();
    const auto entry = p.journal.find(sequence.value());
    if (!entry) {
        return api::error::resource_not_found("Journal entry " + text + " not found (the journal keeps the last " +
                                              std::to_string(p.journal.capacity()) + ")");
    }
    rapidjson::StringBuffer buffer;
    json_writer w(buffer);
    write_entry(w, *entry, true);
    return json_reply(200, buffer);
}

// The namespace a datastore's image sets are read in (one seen from every region: the default region).
api::result<store::scope> datastore_scope(control_plane& p, std::string_view datastore_id) {
    auto ns = p.data.datastore_namespace(datastore_id);
    if (!ns) return ns.err();
    if (!ns.value()) return api::error::resource_not_found("Datastore '" + api::display_value(datastore_id) + "' not found");
    auto who = *ns.value();
    if (who.region.empty()) who.region = std::string(store::k_default_region);
    return who;
}

// GET /_emulator/image-sets?datastoreId=...: the datastore's image sets, whatever its namespace,
// with no signature: what the dashboard lists.
api::result<reply> image_sets(control_plane& p, const request& req) {
    const auto datastore_id = query_param(req.target(), "datastoreId");
    if (!datastore_id) return api::error::validation("datastoreId is required: /_emulator/image-sets?datastoreId=...");
    auto who = datastore_scope(p, *datastore_id);
    if (!who) return who.err();
    auto all = p.data.image_sets_of(who.value(), *datastore_id);
    if (!all) return all.err();
    return reply{200, image_set_overview_body(all.value())};
}

// GET /_emulator/image-sets/{datastoreId}/{imageSetId}[?version=N]: the answers of GetImageSet,
// ListImageSetVersions (every page) and GetImageSetMetadata (not gzipped) side by side.
api::result<reply> image_set_detail(control_plane& p, const route_match& m, const request& req) {
    const auto datastore_id = m.label("datastoreId");
    const auto image_set_id = m.label("imageSetId");
    std::optional<std::uint64_t> version;
    if (auto text = query_param(req.target(), "version")) {
        auto v = parse_filter<std::uint64_t>("version", *text);
        if (!v) return v.err();
        version = v.value();
    }
    auto who = datastore_scope(p, datastore_id);
    if (!who) return who.err();
    auto found = p.data.find_image_set(who.value(), datastore_id, image_set_id, version);
    if (!found) return found.err();
    std::vector<store::image_set> versions;
    store::page_request next;
    next.limit = 1000;
    while (true) {
        auto page = p.data.image_set_versions(who.value(), datastore_id, image_set_id, next);
        if (!page) return page.err();
        for (auto& v : page.value().items) versions.push_back(std::move(v));
        if (!page.value().next_position) break;
        next.after = page.value().next_position;
    }
    auto metadata = p.data.image_set_metadata(who.value(), datastore_id, image_set_id, found.value().version);
    if (!metadata) return metadata.err();
    const auto properties = get_image_set_body(found.value(), who.value());
    const auto version_list = list_image_set_versions_body(versions, std::nullopt);
    rapidjson::StringBuffer buffer;
    json_writer w(buffer);
    w.StartObject();
    w.Key("imageSet");
    w.RawValue(properties.data(), properties.size(), rapidjson::kObjectType);
    w.Key("versions");
    w.RawValue(version_list.data(), version_list.size(), rapidjson::kObjectType);
    w.Key("metadata");
    w.RawValue(metadata.value().data(), metadata.value().size(), rapidjson::kObjectType);
    w.EndObject();
    return json_reply(200, buffer);
}

api::result<reply> ok_reply(std::string_view status) {
    rapidjson::StringBuffer buffer;
    json_writer w(buffer);
    w.StartObject();
    put(w, "status", status);
    w.EndObject();
    return json_reply(200, buffer);
}

}  // namespace

void add_control_routes(router& r, control_plane& plane, bool health_only) {
    auto* p = &plane;
    using verb = http::verb;
    r.add_control(verb::get, k_health_path, [p](const route_match&, const request&) { return counts_reply(*p, "ready", true); },
                  control_access::open);
    if (health_only) return;
    r.add_control(verb::post, "/_emulator/reset", [p](const route_match&, const request& req) { return reset(*p, req); });
    r.add_control(verb::post, "/_emulator/fixtures",
                  [p](const route_match&, const request& req) { return load_fixtures(*p, req); },
                  control_access::guarded, control_body::spooled);
    r.add_control(verb::get, "/_emulator/state", [p](const route_match&, const request& req) { return state(*p, req); });
    r.add_control(verb::get, "/_emulator/credentials", [p](const route_match&, const request&) {
        return api::result<reply>(reply{200, credentials_json(p->access.credentials())});
    });
    r.add_control(verb::post, "/_emulator/credentials",
                  [p](const route_match&, const request& req) { return add_credentials(*p, req); });
    r.add_control(verb::delete_, "/_emulator/credentials", [p](const route_match&, const request&) {
        p->access.clear_credentials();
        return ok_reply("cleared");
    });
    r.add_control(verb::delete_, "/_emulator/credentials/{accessKeyId}", [p](const route_match& m, const request&) -> api::result<reply> {
        const auto key = m.label("accessKeyId");
        if (!p->access.remove_credential(key)) {
            return api::error::resource_not_found("Credential '" + api::display_value(key) + "' not found");
        }
        return reply{200, credentials_json(p->access.credentials())};
    });
    r.add_control(verb::get, "/_emulator/policies", [p](const route_match&, const request&) {
        return api::result<reply>(reply{200, policies_json(p->access.policies())});
    });
    r.add_control(verb::post, "/_emulator/policies",
                  [p](const route_match&, const request& req) { return add_policies(*p, req); });
    r.add_control(verb::delete_, "/_emulator/policies", [p](const route_match&, const request&) {
        p->access.clear_policies();
        return ok_reply("cleared");
    });
    r.add_control(verb::delete_, "/_emulator/policies/{policyId}", [p](const route_match& m, const request&) -> api::result<reply> {
        const auto id = m.label("policyId");
        if (!p->access.remove_policy(id)) return api::error::resource_not_found("Policy '" + api::display_value(id) + "' not found");
        return reply{200, policies_json(p->access.policies())};
    });
    r.add_control(verb::get, "/_emulator/faults", [p](const route_match&, const request&) {
        return api::result<reply>(reply{200, faults_json(p->faults.list())});
    });
    r.add_control(verb::post, "/_emulator/faults",
                  [p](const route_match&, const request& req) { return add_faults(*p, req); });
    r.add_control(verb::delete_, "/_emulator/faults", [p](const route_match&, const request&) {
        p->faults.clear();
        return ok_reply("cleared");
    });
    r.add_control(verb::put, "/_emulator/faults/{faultId}",
                  [p](const route_match& m, const request& req) { return edit_fault(*p, m, req); });
    r.add_control(verb::delete_, "/_emulator/faults/{faultId}",
                  [p](const route_match& m, const request&) { return delete_fault(*p, m); });
    r.add_control(verb::get, "/_emulator/requests",
                  [p](const route_match&, const request& req) { return requests(*p, req); });
    r.add_control(verb::get, "/_emulator/image-sets",
                  [p](const route_match&, const request& req) { return image_sets(*p, req); });
    r.add_control(verb::get, "/_emulator/image-sets/{datastoreId}/{imageSetId}",
                  [p](const route_match& m, const request& req) { return image_set_detail(*p, m, req); });
    r.add_control(verb::get, "/_emulator/requests/{sequence}",
                  [p](const route_match& m, const request&) { return request_detail(*p, m); });
    r.add_control(verb::delete_, "/_emulator/requests", [p](const route_match&, const request&) {
        p->journal.clear();
        return ok_reply("cleared");
    });
}

}  // namespace hil::server
