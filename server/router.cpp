#include "server/router.hpp"

#include <ctime>
#include <exception>

#include "server/uri_path.hpp"
#include "server/wire_json.hpp"

namespace hil::server {
namespace {

bool is_label(std::string_view segment) {
    return segment.size() >= 2 && segment.front() == '{' && segment.back() == '}';
}

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

void router::add(route r) {
    compiled_route c{std::move(r), {}};
    c.segments = split_path(c.def.path_template);
    routes_.push_back(std::move(c));
}

response router::handle(const request& req) {
    const bool keep_alive = req.keep_alive();
    std::string allow;
    api::result<reply> outcome = api::error::internal("unreached");
    try {
        const auto segments = split_path(target_path(req.target()));
        const compiled_route* found = nullptr;
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
            const std::string what = std::string(req.method_string()) + " " +
                                     api::display_value(target_path(req.target()), 256);
            outcome = api::error::unknown_operation(
                allow.empty() ? "No operation matches " + what
                              : "No operation matches " + what + "; this path accepts " + allow);
        } else {
            route_match match;
            for (std::size_t i = 0; i < segments.size(); ++i) {
                const auto& s = found->segments[i];
                if (is_label(s)) match.labels.emplace_back(std::string_view(s).substr(1, s.size() - 2), segments[i]);
            }
            std::optional<api::error> fault;
            if (!found->def.operation.empty()) {
                fault = faults_.fire(found->def.operation, match.label("datastoreId"), match.label("jobId"));
            }
            if (fault) {
                outcome = std::move(*fault);
            } else {
                api::validation_report report;
                for (const auto& ls : found->def.label_shapes) report.check(ls.label, *ls.shape, match.label(ls.label));
                if (!report.empty()) {
                    outcome = api::error::validation(report.message());
                } else {
                    outcome = found->def.handler(match, req);
                }
            }
        }
    } catch (const std::exception& e) {
        log_.error(std::string("handler failed: ") + e.what());
        outcome = api::error::internal("An unexpected error occurred during processing of the request.");
    } catch (...) {
        log_.error("handler failed with an unknown exception");
        outcome = api::error::internal("An unexpected error occurred during processing of the request.");
    }

    if (!outcome) {
        if (outcome.err().code() == api::error_code::internal_server) log_.warn("500 InternalServerException: " + outcome.err().message());
        auto res = error_response(outcome.err(), req.version(), keep_alive);
        if (!allow.empty() && outcome.err().code() == api::error_code::unknown_operation) res.set(http::field::allow, allow);
        return res;
    }
    response res{static_cast<http::status>(outcome.value().status), req.version()};
    res.body() = std::move(outcome.value().body);
    finish(res, keep_alive);
    return res;
}

response router::protocol_error(const api::error& err, unsigned http_version) {
    return error_response(err, http_version, false);
}

response router::error_response(const api::error& err, unsigned http_version, bool keep_alive) {
    response res{static_cast<http::status>(err.info().status), http_version};
    res.set("x-amzn-ErrorType", err.info().name);
    res.body() = error_body(err);
    finish(res, keep_alive);
    return res;
}

void router::finish(response& res, bool keep_alive) {
    res.set(http::field::content_type, "application/json");
    res.set("x-amzn-RequestId", ids_.next());
    res.set(http::field::date, http_date(clock_.now()));
    res.keep_alive(keep_alive);
    res.prepare_payload();
}

}  // namespace hil::server
