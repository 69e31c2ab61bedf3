// dashboard: the browser page at GET /_emulator/ui (server/ui/, embedded in the binary).
//
// The page, its script and its style sheet hold no data, so they are served without the admin
// token (a browser navigation cannot send one); the script asks for the token when a control
// call answers 401 and sends it on every call. Added only with the control API (--no-admin:
// 404 like the rest). Every answer carries a strong ETag (If-None-Match: 304), Cache-Control:
// no-cache and a Content-Security-Policy that allows nothing but this server.
#pragma once

#include <string_view>

#include "server/router.hpp"

namespace hil::server {

inline constexpr std::string_view k_dashboard_path = "/_emulator/ui";

void add_dashboard_routes(router& r);

}  // namespace hil::server
