#include "server/dashboard.hpp"

#include <algorithm>
#include <string>

#include "server/embedded_files.hpp"

namespace hil::server {
namespace {

// Nothing remote, no inline script or style, no framing: the page talks to this server only.
constexpr std::string_view k_content_security_policy =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

bool ends_with(std::string_view text, std::string_view tail) {
    return text.size() >= tail.size() && text.substr(text.size() - tail.size()) == tail;
}

// Whether an If-None-Match header names `etag`: "*", or one of its comma-separated tags (a weak
// W/ tag matches too: RFC 9110 compares If-None-Match weakly).
bool matches_etag(std::string_view header, std::string_view etag) {
    while (!header.empty()) {
        const auto comma = header.find(',');
        auto tag = header.substr(0, comma);
        header = comma == std::string_view::npos ? std::string_view{} : header.substr(comma + 1);
        while (!tag.empty() && (tag.front() == ' ' || tag.front() == '\t')) tag.remove_prefix(1);
        while (!tag.empty() && (tag.back() == ' ' || tag.back() == '\t')) tag.remove_suffix(1);
        if (tag.substr(0, 2) == "W/") tag.remove_prefix(2);
        if (tag == "*" || tag == etag) return true;
    }
    return false;
}

// The Content-Type of a dashboard file, by its extension.
std::string_view dashboard_content_type(std::string_view name) {
    if (ends_with(name, ".html")) return "text/html; charset=utf-8";
    if (ends_with(name, ".js")) return "text/javascript; charset=utf-8";
    if (ends_with(name, ".css")) return "text/css; charset=utf-8";
    if (ends_with(name, ".svg")) return "image/svg+xml";
    return "application/octet-stream";
}

api::result<reply> serve(std::string_view name, const request& req) {
    if (name.empty()) name = "index.html";
    const auto files = dashboard_files();
    const auto file = std::find_if(files.begin(), files.end(), [&](const embedded_file& f) { return f.name == name; });
    if (file == files.end()) {
        return api::error::unknown_operation("No dashboard file '" + api::display_value(name) + "'; the page is " +
                                             std::string(k_dashboard_path));
    }
    const std::string etag = "\"" + std::string(file->sha256.substr(0, 32)) + "\"";
    reply r;
    r.content_type = std::string(dashboard_content_type(file->name));
    r.headers = {{"ETag", etag},
                 {"Cache-Control", "no-cache"},
                 {"Content-Security-Policy", std::string(k_content_security_policy)},
                 {"X-Content-Type-Options", "nosniff"},
                 {"Referrer-Policy", "no-referrer"}};
    if (matches_etag(req[http::field::if_none_match], etag)) {
        r.status = 304;
        return r;
    }
    r.body.assign(file->bytes.begin(), file->bytes.end());
    return r;
}

}  // namespace

void add_dashboard_routes(router& r) {
    const auto open = control_access::open;
    r.add_control(http::verb::get, k_dashboard_path, [](const route_match&, const request& req) { return serve({}, req); },
                  open);
    r.add_control(http::verb::get, std::string(k_dashboard_path) + "/{file}",
                  [](const route_match& m, const request& req) { return serve(m.label("file"), req); }, open);
}

}  // namespace hil::server
