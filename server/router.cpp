#include "server/router.hpp"

#include <algorithm>
#include <charconv>
#include <array>
#include <ctime>
#include <exception>
#include <memory>
#include <optional>
#include <stdexcept>

#include "server/request_input.hpp"
#include "server/sigv4.hpp"
#include "server/uri_path.hpp"
#include "server/wire_json.hpp"

namespace hil::server {
namespace {

bool is_label(std::string_view segment) {
    return segment.size() >= 2 && segment.front() == '{' && segment.back() == '}';
}

constexpr std::string_view k_internal_message = "An unexpected error occurred during processing of the request.";

// The request path's segments, decoded as split_path decodes them but without a string per
// segment: a segment without '%' is a view of the target itself. Only the first k_max are
// kept (no route is longer; router::add checks), beyond that just the count.
class path_segments {
public:
    static constexpr std::size_t k_max = 8;

    explicit path_segments(std::string_view path) {
        if (path.empty() || path.front() != '/') return;
        // Decoding never lengthens a segment, so this never reallocates under the views.
        if (path.find('%') != std::string_view::npos) decoded_.reserve(path.size());
        path.remove_prefix(1);
        while (true) {
            const auto slash = path.find('/');
            add(path.substr(0, slash));
            if (slash == std::string_view::npos) break;
            path.remove_prefix(slash + 1);
        }
    }
    std::size_t size() const { return count_; }
    std::string_view operator[](std::size_t i) const { return views_[i]; }

private:
    void add(std::string_view raw) {
        if (count_ < k_max) {
            if (raw.find('%') == std::string_view::npos) {
                views_[count_] = raw;
            } else {
                const auto start = decoded_.size();
                decoded_ += percent_decode(raw);
                views_[count_] = std::string_view(decoded_).substr(start);
            }
        }
        ++count_;
    }

    std::array<std::string_view, k_max> views_{};
    std::size_t count_ = 0;
    std::string decoded_;
};

}  // namespace

std::string_view route_match::label(std::string_view name) const {
    for (const auto& [n, v] : labels) {
        if (n == name) return v;
    }
    throw std::logic_error("no label {" + std::string(name) + "} in this route");
}

std::optional<std::string_view> call::query(std::string_view name) const {
    const auto* m = op.find_input(name, api::location::query);
    if (!m) return std::nullopt;
    for (const auto& [n, v] : query_values) {
        if (n == m->on_wire()) return std::string_view(v);
    }
    return std::nullopt;
}

std::vector<std::string_view> call::query_list(std::string_view name) const {
    std::vector<std::string_view> out;
    const auto* m = op.find_input(name, api::location::query);
    if (!m) return out;
    for (const auto& [n, v] : query_values) {
        if (n == m->on_wire()) out.emplace_back(v);
    }
    return out;
}

std::optional<std::int64_t> call::query_integer(std::string_view name) const {
    const auto text = query(name);
    if (!text) return std::nullopt;
    std::int64_t v = 0;
    const auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), v);
    if (ec != std::errc() || end != text->data() + text->size()) return std::nullopt;
    return v;
}

const rapidjson::Value* call::body_member(std::string_view name) const {
    if (!body_json.IsObject()) return nullptr;
    const auto it = body_json.FindMember(rapidjson::StringRef(name.data(), name.size()));
    if (it == body_json.MemberEnd() || it->value.IsNull()) return nullptr;
    return &it->value;
}

std::optional<std::string_view> call::body_string(std::string_view name) const {
    const auto* v = body_member(name);
    if (!v || !v->IsString()) return std::nullopt;
    return std::string_view(v->GetString(), v->GetStringLength());
}

std::string http_date(api::epoch_millis t) {
    const std::time_t seconds = static_cast<std::time_t>(t / 1000);
    std::tm tm{};
    gmtime_r(&seconds, &tm);
    char buf[40];
    const auto n = std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
    return {buf, n};
}

namespace {

// The Date text of the current second, per thread: it changes once a second, and strftime
// for every answer was a measurable share of the CPU. Keyed by the second asked for, so a
// manual clock in tests gets the same text as http_date.
std::string_view cached_http_date(api::epoch_millis t) {
    struct cache {
        api::epoch_millis second = -1;
        std::array<char, 40> text{};
        std::size_t size = 0;
    };
    thread_local cache c;
    const api::epoch_millis second = t / 1000;
    if (second != c.second || c.size == 0) {
        const auto text = http_date(t);
        c.size = std::min(text.size(), c.text.size());
        std::copy_n(text.data(), c.size, c.text.data());
        c.second = second;
    }
    return {c.text.data(), c.size};
}

}  // namespace

void router::add_compiled(compiled_route r, std::string_view path_template) {
    r.segments = split_path(path_template);
    if (r.segments.size() > path_segments::k_max) throw std::logic_error("route longer than the router's path_segments");
    for (const auto& existing : routes_) {
        if (existing.method == r.method && existing.segments == r.segments) {
            throw std::logic_error("two routes for " + std::string(http::to_string(r.method)) + " " + std::string(path_template));
        }
    }
    if (r.may_block && std::find(blocking_methods_.begin(), blocking_methods_.end(), r.method) == blocking_methods_.end()) {
        blocking_methods_.push_back(r.method);
    }
    routes_.push_back(std::move(r));
}

void router::add(const api::operation& op, api_handler handler) {
    if (auto problem = api::check_description(op)) throw std::logic_error(*problem);
    compiled_route r;
    r.method = http::string_to_verb(op.method);
    r.op = &op;
    r.api = std::move(handler);
    for (const auto& segment : split_path(op.uri)) {
        if (!is_label(segment)) continue;
        const auto* member = op.find_input(std::string_view(segment).substr(1, segment.size() - 2), api::location::label);
        r.label_members.push_back(member ? std::string_view(member->name) : std::string_view());
    }
    const std::string_view name = op.name;
    r.may_block = !(name.starts_with("Get") || name.starts_with("List") || name.starts_with("Search"));
    add_compiled(std::move(r), op.uri);
}

void router::add_control(http::verb method, std::string_view path_template, control_handler handler,
                         control_access access, control_body body) {
    compiled_route r;
    r.method = method;
    r.control = std::move(handler);
    r.access = access;
    r.spools_body = body == control_body::spooled;
    r.may_block = method != http::verb::get && method != http::verb::head;
    add_compiled(std::move(r), path_template);
}

bool router::authorized(const request& req) const {
    if (extras_.admin_token.empty()) return true;
    const auto header = req[http::field::authorization];
    constexpr std::string_view bearer = "Bearer ";
    // The scheme is case-insensitive (RFC 9110); the token is not.
    return header.size() == bearer.size() + extras_.admin_token.size() &&
           beast::iequals(header.substr(0, bearer.size()), bearer) && header.substr(bearer.size()) == extras_.admin_token;
}

namespace {

// Whether a Host names the server by address (an IP literal, or localhost), which no web page can
// point elsewhere by DNS.
bool is_address_host(std::string_view host) {
    if (!host.empty() && host.front() == '[') return true;  // an IPv6 literal
    host = host.substr(0, host.find(':'));
    if (!host.empty() && host.back() == '.') host.remove_suffix(1);
    if (beast::iequals(host, "localhost")) return true;
    return !host.empty() && std::all_of(host.begin(), host.end(), [](char c) { return (c >= '0' && c <= '9') || c == '.'; });
}

// Why a control request is refused as a browser's cross-site request, or nothing. A web page the
// user has open may send "simple" requests (a form POST, a text/plain fetch) to a server on
// loopback; the browser marks them with Origin (or Sec-Fetch-Site), which the dashboard's own
// calls share with the Host. A page may also rebind its own name to 127.0.0.1 (DNS rebinding),
// which makes it same-origin: so without an admin token (which such a page cannot know), a
// browser is answered only at an address. Clients that are not browsers (curl, the SDKs) send
// neither header.
std::optional<std::string> cross_site_refusal(const request& req, bool token_required) {
    const std::string_view fetch_site = req["Sec-Fetch-Site"];
    if (beast::iequals(fetch_site, "cross-site") || beast::iequals(fetch_site, "same-site")) {
        return "The control API does not answer a browser's " + api::display_value(fetch_site, 16) +
               " request (Sec-Fetch-Site)";
    }
    const std::string_view origin = req[http::field::origin];
    const auto scheme_end = origin.find("://");
    const auto authority = scheme_end == std::string_view::npos ? std::string_view{} : origin.substr(scheme_end + 3);
    const std::string_view host = req[http::field::host];
    if (!origin.empty() && (authority.empty() || !beast::iequals(authority, host))) {
        return "The control API does not answer a cross-origin request: Origin " + api::display_value(origin, 128) +
               " is not this server (Host " + api::display_value(host, 128) + ")";
    }
    const bool from_browser = !origin.empty() || !fetch_site.empty();
    if (from_browser && !token_required && !is_address_host(host)) {
        return "The control API answers a browser only at an IP address or localhost unless the server has "
               "--admin-token (a page can point another name at this server): Host " + api::display_value(host, 128);
    }
    return std::nullopt;
}

}  // namespace

// What one request's stages decided, for finish and the journal.
struct router::outcome {
    std::optional<api::result<reply>> result;
    std::optional<store::fault_action> fault;
    std::string_view caller;  // views the request, or a credential of `access`
    store::scope scope;       // the caller's namespace (claimed, when authentication failed)
    std::shared_ptr<const store::access_snapshot> access;  // keeps `caller` valid for the journal
};

const router::compiled_route* router::match(const request& req, std::string_view path, route_match& labels,
                                            std::string& allow) const {
    const path_segments segments(path);
    for (const auto& r : routes_) {
        if (r.segments.size() != segments.size()) continue;
        bool same_shape = true;
        for (std::size_t i = 0; i < segments.size() && same_shape; ++i) {
            same_shape = is_label(r.segments[i]) || r.segments[i] == segments[i];
        }
        if (!same_shape) continue;
        if (r.method == req.method()) {
            for (std::size_t i = 0; i < segments.size(); ++i) {
                const auto& s = r.segments[i];
                if (is_label(s)) labels.labels.emplace_back(std::string_view(s).substr(1, s.size() - 2), segments[i]);
            }
            return &r;
        }
        if (!allow.empty()) allow += ", ";
        allow += std::string(http::to_string(r.method));
    }
    return nullptr;
}

bool router::may_block(const request& req) const {
    // Most requests are GETs, and no GET route blocks: they are answered without a match.
    if (std::find(blocking_methods_.begin(), blocking_methods_.end(), req.method()) == blocking_methods_.end()) return false;
    route_match labels;
    std::string allow;
    const auto* found = match(req, target_path(req.target()), labels, allow);
    return found && found->may_block;
}

bool router::spools_body(const request& req) const {
    route_match labels;
    std::string allow;
    const auto* found = match(req, target_path(req.target()), labels, allow);
    return found && found->spools_body;
}

void router::run_api(const compiled_route& r, const request& req, const route_match& labels, outcome& out) {
    const auto& op = *r.op;
    auto identified = identify(req, extras_.auth, access_, clock_.now(), signing_keys_);
    if (!identified) {
        // The journal still files the refusal under the namespace the request claims.
        auto claimed = identify(req, auth_mode::off, access_, clock_.now(), signing_keys_);
        out.caller = claimed.value().access_key_id;
        out.scope = claimed.value().scope;
        out.result = identified.err();
        return;
    }
    const caller& who = identified.value();
    out.caller = who.access_key_id;
    out.scope = who.scope;
    out.access = who.access;
    if (extras_.limiter && !extras_.limiter->admit(op, out.caller)) {
        out.result = api::error::of(api::error_code::throttling, "Rate exceeded");
        return;
    }
    out.fault = faults_.fire({op.name, labels.labels, out.caller, who.scope.account_id, who.scope.region});
    if (out.fault && out.fault->error) {
        out.result = *out.fault->error;
        return;
    }
    if (out.fault && out.fault->drop_connection) return;
    call c{op, labels, who.scope, out.caller, clock_.now(), {}, {}};
    if (auto s = read_call_input(req, c); !s) {
        out.result = s.err();
        return;
    }
    if (auto s = authorize(who, op, labels.labels); !s) {
        out.result = s.err();
        return;
    }
    out.result = r.api(c);
    if (!*out.result) {
        const auto& err = out.result->err();
        if (err.info().modeled && !api::declares(op, err.code())) {
            log_.error("handler of " + std::string(op.name) + " returned " + std::string(err.info().name) +
                       ", which the operation does not declare: " + err.message());
            out.result = api::error::internal(std::string(k_internal_message));
        }
    }
}

routed router::route_request(const request& req) {
    const auto started = std::chrono::steady_clock::now();
    const bool keep_alive = req.keep_alive();
    const std::string request_id = ids_.next();
    const std::string_view path = target_path(req.target());
    std::string allow;
    const compiled_route* found = nullptr;
    route_match labels;
    outcome out;
    try {
        found = match(req, path, labels, allow);
        if (!found) {
            const std::string what = api::display_value(req.method_string(), 32) + " " +
                                     api::display_value(path, 256);
            out.result = api::error::unknown_operation(
                allow.empty() ? "No operation matches " + what
                              : "No operation matches " + what + "; this path accepts " + allow);
        } else if (found->op) {
            run_api(*found, req, labels, out);
        } else if (const auto refusal = found->access == control_access::guarded ? cross_site_refusal(req, !extras_.admin_token.empty()) : std::nullopt) {
            out.result = api::error::of(api::error_code::access_denied, *refusal);
        } else if (found->access == control_access::guarded && !authorized(req)) {
            out.result = api::error::of(api::error_code::unauthorized);
        } else {
            out.result = found->control(labels, req);
        }
    } catch (const std::exception& e) {
        log_.error(std::string("handler failed: ") + e.what());
        out.result = api::error::internal(std::string(k_internal_message));
    } catch (...) {
        log_.error("handler failed with an unknown exception");
        out.result = api::error::internal(std::string(k_internal_message));
    }

    // The answer's Date, and the journal entry's time.
    const api::epoch_millis answered_at = clock_.now();
    routed answer;
    const auto& fault = out.fault;
    if (fault) {
        answer.delay = std::chrono::milliseconds(fault->delay_millis);
        answer.drop = fault->drop_connection;
    }
    if (!out.result) {
        // Only a dropped connection leaves nothing to answer; the response is never sent.
        answer.res = error_response(api::error::internal(std::string(k_internal_message)), req.version(), false, request_id,
                                    answered_at);
    } else if (!*out.result) {
        const auto& err = out.result->err();
        if (err.code() == api::error_code::internal_server && !fault) log_.warn("500 InternalServerException: " + err.message());
        answer.res = error_response(err, req.version(), keep_alive, request_id, answered_at);
        if (!allow.empty() && err.code() == api::error_code::unknown_operation) answer.res.set(http::field::allow, allow);
        if (fault && fault->retry_after) answer.res.set(http::field::retry_after, std::to_string(*fault->retry_after));
    } else {
        auto& ok = out.result->value();
        answer.res = response{static_cast<http::status>(ok.status), req.version()};
        if (ok.shared_body.owner) {
            answer.res.body(std::move(ok.shared_body));
        } else {
            answer.res.body(std::move(ok.body));
        }
        for (const auto& [name, value] : ok.headers) answer.res.set(name, value);
        finish(answer.res, keep_alive, request_id, ok.content_type, answered_at);
    }

    // The journal is of API calls: the control API's own paths, matched or not, stay out.
    const bool is_control = found ? found->op == nullptr
                                  : path.substr(0, k_control_prefix.size()) == k_control_prefix;
    if (extras_.journal && extras_.journal->enabled() && !is_control) {
        // Views of what this call made: the journal copies what it keeps (request_journal.hpp).
        journal_call c;
        c.time = answered_at;
        c.request_id = request_id;
        c.req = &req;
        c.path = path;
        c.operation = found ? found->op->name : std::string_view{};
        // The model's member names (static storage): an entry outlives the request. A route
        // has at most path_segments::k_max labels.
        std::array<std::pair<std::string_view, std::string_view>, path_segments::k_max> named;
        const std::size_t label_count = found ? std::min({labels.labels.size(), found->label_members.size(), named.size()}) : 0;
        for (std::size_t i = 0; i < label_count; ++i) named[i] = {found->label_members[i], labels.labels[i].second};
        c.labels = {named.data(), label_count};
        c.access_key_id = out.caller;
        c.account_id = found ? std::string_view(out.scope.account_id) : std::string_view{};
        c.region = found ? std::string_view(out.scope.region) : std::string_view{};
        c.status = answer.drop ? 0 : answer.res.result_int();
        c.error_type = !answer.drop && out.result && !*out.result ? out.result->err().info().name : std::string_view{};
        c.fault_id = fault ? std::string_view(fault->rule_id) : std::string_view{};
        c.latency_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count() +
                       static_cast<double>(answer.delay.count());
        if (!answer.drop) c.res = &answer.res;
        extras_.journal->record(c);
    }
    return answer;
}

response router::protocol_error(const api::error& err, unsigned http_version) {
    return error_response(err, http_version, false, ids_.next(), clock_.now());
}

response router::error_response(const api::error& err, unsigned http_version, bool keep_alive,
                                std::string_view request_id, api::epoch_millis now) {
    response res{static_cast<http::status>(err.info().status), http_version};
    res.set("x-amzn-ErrorType", err.info().name);
    res.body(error_body(err));
    finish(res, keep_alive, request_id, "application/json", now);
    return res;
}

void router::finish(response& res, bool keep_alive, std::string_view request_id, std::string_view content_type,
                    api::epoch_millis now) {
    res.set(http::field::content_type, content_type);
    res.set("x-amzn-RequestId", request_id);
    res.set(http::field::date, cached_http_date(now));
    res.keep_alive(keep_alive);
    res.prepare_payload();
}

}  // namespace hil::server
