#include "server/router.hpp"

#include <algorithm>
#include <array>
#include <ctime>
#include <exception>
#include <optional>
#include <stdexcept>

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
    return {};
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

void router::add(route r) {
    compiled_route c{std::move(r), {}};
    c.segments = split_path(c.def.path_template);
    if (c.segments.size() > path_segments::k_max) throw std::logic_error("route longer than the router's path_segments");
    routes_.push_back(std::move(c));
}

bool router::authorized(const request& req) const {
    if (extras_.admin_token.empty()) return true;
    const auto header = req[http::field::authorization];
    constexpr std::string_view bearer = "Bearer ";
    // The scheme is case-insensitive (RFC 9110); the token is not.
    return header.size() == bearer.size() + extras_.admin_token.size() &&
           beast::iequals(header.substr(0, bearer.size()), bearer) && header.substr(bearer.size()) == extras_.admin_token;
}

routed router::route_request(const request& req) {
    const auto started = std::chrono::steady_clock::now();
    const bool keep_alive = req.keep_alive();
    std::string request_id = ids_.next();
    std::string allow;
    const compiled_route* found = nullptr;
    route_match match;
    std::string_view caller;
    std::optional<store::fault_action> fault;
    std::optional<api::result<reply>> outcome;
    try {
        const path_segments segments(target_path(req.target()));
        for (const auto& r : routes_) {
            if (r.segments.size() != segments.size()) continue;
            bool same_shape = true;
            for (std::size_t i = 0; i < segments.size() && same_shape; ++i) {
                same_shape = is_label(r.segments[i]) || r.segments[i] == segments[i];
            }
            if (!same_shape) continue;
            if (r.def.method == req.method()) {
                found = &r;
                break;
            }
            if (!allow.empty()) allow += ", ";
            allow += std::string(http::to_string(r.def.method));
        }
        if (!found) {
            const std::string what = api::display_value(req.method_string(), 32) + " " +
                                     api::display_value(target_path(req.target()), 256);
            outcome = api::error::unknown_operation(
                allow.empty() ? "No operation matches " + what
                              : "No operation matches " + what + "; this path accepts " + allow);
        } else {
            for (std::size_t i = 0; i < segments.size(); ++i) {
                const auto& s = found->segments[i];
                if (is_label(s)) match.labels.emplace_back(std::string_view(s).substr(1, s.size() - 2), segments[i]);
            }
            const auto& def = found->def;
            if (def.kind == route_kind::control && !authorized(req)) {
                outcome = api::error::of(api::error_code::unauthorized);
            } else if (def.kind == route_kind::api) {
                caller = access_key_id(req[http::field::authorization]);
                if (extras_.limiter && !extras_.limiter->admit(def.operation, caller)) {
                    outcome = api::error::of(api::error_code::throttling, "Rate exceeded");
                } else {
                    fault = faults_.fire({def.operation, match.label("datastoreId"), match.label("jobId"), caller});
                    if (fault && fault->error) outcome = *fault->error;
                }
            }
            if (!outcome && !(fault && fault->drop_connection)) {
                api::validation_report report;
                for (const auto& ls : def.label_shapes) report.check(ls.label, *ls.shape, match.label(ls.label));
                if (!report.empty()) {
                    outcome = api::error::validation(report.message());
                } else {
                    outcome = def.handler(match, req);
                }
            }
        }
    } catch (const std::exception& e) {
        log_.error(std::string("handler failed: ") + e.what());
        outcome = api::error::internal(std::string(k_internal_message));
    } catch (...) {
        log_.error("handler failed with an unknown exception");
        outcome = api::error::internal(std::string(k_internal_message));
    }

    routed out;
    if (fault) {
        out.delay = std::chrono::milliseconds(fault->delay_millis);
        out.drop = fault->drop_connection;
    }
    if (!outcome) {
        // Only a dropped connection leaves nothing to answer; the response is never sent.
        out.res = error_response(api::error::internal(std::string(k_internal_message)), req.version(), false, request_id);
    } else if (!*outcome) {
        const auto& err = outcome->err();
        if (err.code() == api::error_code::internal_server && !fault) log_.warn("500 InternalServerException: " + err.message());
        out.res = error_response(err, req.version(), keep_alive, request_id);
        if (!allow.empty() && err.code() == api::error_code::unknown_operation) out.res.set(http::field::allow, allow);
        if (fault && fault->retry_after) out.res.set(http::field::retry_after, std::to_string(*fault->retry_after));
    } else {
        out.res = response{static_cast<http::status>(outcome->value().status), req.version()};
        out.res.body() = std::move(outcome->value().body);
        finish(out.res, keep_alive, request_id);
    }

    // The journal is of API calls: the control API's own paths, matched or not, stay out.
    const bool is_control = found ? found->def.kind != route_kind::api
                                  : target_path(req.target()).substr(0, k_control_prefix.size()) == k_control_prefix;
    if (extras_.journal && extras_.journal->enabled() && !is_control) {
        journal_entry e;
        e.time = clock_.now();
        e.request_id = std::move(request_id);
        e.method = api::display_value(req.method_string(), 32);
        e.path = api::display_value(target_path(req.target()), 256);
        if (found) e.operation = std::string(found->def.operation);
        e.datastore_id = api::display_value(match.label("datastoreId"));
        e.job_id = api::display_value(match.label("jobId"));
        e.access_key_id = std::string(caller);
        e.status = out.drop ? 0 : out.res.result_int();
        if (!out.drop && outcome && !*outcome) e.error_type = std::string(outcome->err().info().name);
        if (fault) e.fault_id = fault->rule_id;
        e.latency_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count() +
                       static_cast<double>(out.delay.count());
        extras_.journal->record(std::move(e));
    }
    return out;
}

response router::protocol_error(const api::error& err, unsigned http_version) {
    return error_response(err, http_version, false, ids_.next());
}

response router::error_response(const api::error& err, unsigned http_version, bool keep_alive, std::string request_id) {
    response res{static_cast<http::status>(err.info().status), http_version};
    res.set("x-amzn-ErrorType", err.info().name);
    res.body() = error_body(err);
    finish(res, keep_alive, std::move(request_id));
    return res;
}

void router::finish(response& res, bool keep_alive, std::string request_id) {
    res.set(http::field::content_type, "application/json");
    res.set("x-amzn-RequestId", request_id);
    res.set(http::field::date, cached_http_date(clock_.now()));
    res.keep_alive(keep_alive);
    res.prepare_payload();
}

}  // namespace hil::server
