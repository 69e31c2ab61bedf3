#include "server/control_handlers.hpp"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <charconv>
#include <cmath>

#include "api/operations.hpp"
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

api::result<reply> counts_reply(control_plane& p, std::string_view status) {
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
    w.Key("faults");
    w.Uint64(p.faults.size());
    w.EndObject();
    return json_reply(200, buffer);
}

api::result<reply> reset(control_plane& p) {
    if (auto s = p.data.reset_to_baseline(p.clock.now()); !s) return s.err();
    p.faults.replace(p.startup_faults);
    p.journal.clear();
    p.limiter.clear();
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
    auto doc = store::parse_fixture(req.body(), "(request body)", p.clock.now());
    if (!doc) return doc.err();
    const auto& d = doc.value();
    const auto loaded_datastores = d.datastores.size(), loaded_jobs = d.jobs.size(),
               loaded_rules = d.import_rules.size(), loaded_faults = d.faults.size();
    if (auto s = store::apply_fixtures({std::move(doc).value()}, p.data, p.faults, mode); !s) return s.err();
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
    w.EndObject();
    w.EndObject();
    return json_reply(200, buffer);
}

api::result<reply> state(control_plane& p) {
    auto contents = p.data.contents(p.clock.now());
    if (!contents) return contents.err();
    return reply{200, store::write_fixture(contents.value(), p.faults.list())};
}

std::string faults_json(const std::vector<store::fault_rule>& rules) {
    rapidjson::StringBuffer buffer;
    json_writer w(buffer);
    w.StartObject();
    w.Key("faults");
    w.StartArray();
    for (const auto& r : rules) {
        const auto text = store::write_fault_rule(r);
        w.RawValue(text.data(), text.size(), rapidjson::kObjectType);
    }
    w.EndArray();
    w.EndObject();
    return {buffer.GetString(), buffer.GetSize()};
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

template <class Int>
api::result<Int> parse_filter(std::string_view name, const std::string& text) {
    Int v{};
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc() || end != text.data() + text.size()) {
        return api::error::validation("filter " + std::string(name) + ": '" + api::display_value(text) + "' is not a whole number");
    }
    return v;
}

api::result<reply> requests(control_plane& p, const request& req) {
    journal_filter f;
    const auto target = req.target();
    f.operation = query_param(target, "operation");
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
    rapidjson::StringBuffer buffer;
    json_writer w(buffer);
    w.StartObject();
    w.Key("capacity");
    w.Uint64(p.journal.capacity());
    w.Key("requests");
    w.StartArray();
    for (const auto& e : p.journal.query(f)) {
        w.StartObject();
        w.Key("sequence");
        w.Uint64(e.sequence);
        w.Key("time");
        const auto t = epoch_seconds_text(e.time);
        w.RawValue(t.data(), t.size(), rapidjson::kNumberType);
        put(w, "requestId", e.request_id);
        put(w, "method", e.method);
        put(w, "path", e.path);
        if (!e.operation.empty()) put(w, "operation", e.operation);
        for (const auto& [name, value] : e.labels) {
            w.Key(name.data(), static_cast<rapidjson::SizeType>(name.size()));
            w.String(value.data(), static_cast<rapidjson::SizeType>(value.size()));
        }
        if (!e.access_key_id.empty()) put(w, "accessKeyId", e.access_key_id);
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
        w.EndObject();
    }
    w.EndArray();
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
    r.add_control(verb::get, k_health_path, [p](const route_match&, const request&) { return counts_reply(*p, "ready"); },
                  control_access::open);
    if (health_only) return;
    r.add_control(verb::post, "/_emulator/reset", [p](const route_match&, const request&) { return reset(*p); });
    r.add_control(verb::post, "/_emulator/fixtures",
                  [p](const route_match&, const request& req) { return load_fixtures(*p, req); });
    r.add_control(verb::get, "/_emulator/state", [p](const route_match&, const request&) { return state(*p); });
    r.add_control(verb::get, "/_emulator/faults", [p](const route_match&, const request&) {
        return api::result<reply>(reply{200, faults_json(p->faults.list())});
    });
    r.add_control(verb::post, "/_emulator/faults",
                  [p](const route_match&, const request& req) { return add_faults(*p, req); });
    r.add_control(verb::delete_, "/_emulator/faults", [p](const route_match&, const request&) {
        p->faults.clear();
        return ok_reply("cleared");
    });
    r.add_control(verb::delete_, "/_emulator/faults/{faultId}",
                  [p](const route_match& m, const request&) { return delete_fault(*p, m); });
    r.add_control(verb::get, "/_emulator/requests",
                  [p](const route_match&, const request& req) { return requests(*p, req); });
    r.add_control(verb::delete_, "/_emulator/requests", [p](const route_match&, const request&) {
        p->journal.clear();
        return ok_reply("cleared");
    });
}

}  // namespace hil::server
