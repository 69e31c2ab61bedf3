// router: a table of (method, path template, operation, handler) and the one place where
// every answer is finished: status, x-amzn-ErrorType, JSON body, x-amzn-RequestId, Date.
//
// An API request flows: split and percent-decode the path -> find the route (none:
// 404 UnknownOperationException; the path matches but not the method: the same, with an
// Allow header) -> throttling (429) -> scripted faults (error, delay, dropped connection)
// -> validate every label against its documented shape (400 ValidationException listing
// each violation) -> the handler -> the request journal.
// Control routes (under /_emulator/) skip throttling, faults and the journal, and need
// `Authorization: Bearer <admin_token>` when a token is set (401 otherwise), except open
// ones such as the health check.
// A handler that throws becomes 500 InternalServerException, logged; never a crash.
// Thread safety: route() may run on many threads at once once the table is built;
// add() must not run concurrently with route().
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "api/clock.hpp"
#include "api/result.hpp"
#include "api/shapes.hpp"
#include "server/logger.hpp"
#include "server/net.hpp"
#include "server/request_ids.hpp"
#include "server/request_journal.hpp"
#include "server/throttle.hpp"
#include "store/fault_rules.hpp"

namespace hil::server {

// What a handler produces on success.
struct reply {
    unsigned status = 200;
    std::string body;  // JSON
};

// The decoded labels of a matched route, by name.
class route_match {
public:
    std::string_view label(std::string_view name) const;
    std::vector<std::pair<std::string_view, std::string>> labels;
};

using handler_fn = std::function<api::result<reply>(const route_match&, const request&)>;

struct label_shape {
    std::string_view label;  // as written in the template, without braces
    const api::string_shape* shape;
};

// The emulator's own paths live under this prefix, which no AWS operation uses.
inline constexpr std::string_view k_control_prefix = "/_emulator/";

enum class route_kind {
    api,           // an AWS operation
    control,       // the emulator's own API, guarded by the admin token
    control_open,  // the emulator's own, never guarded (health)
};

struct route {
    http::verb method;
    std::string_view path_template;  // e.g. "/getDICOMImportJob/datastore/{datastoreId}/job/{jobId}"
    std::string_view operation;      // the API operation (api routes)
    std::vector<label_shape> label_shapes;
    handler_fn handler;
    route_kind kind = route_kind::api;
};

// The answer and how to deliver it.
struct routed {
    response res;
    std::chrono::milliseconds delay{0};  // wait this long before answering (a delay fault)
    bool drop = false;                   // close the connection without answering
};

// What the router consults besides the route table; each may be absent.
struct router_extras {
    request_journal* journal = nullptr;
    throttle* limiter = nullptr;
    std::string admin_token;  // empty: the control API is open
};

class router {
public:
    router(const api::clock& clock, request_id_source& ids, store::fault_rules& faults, logger& log,
           router_extras extras = {})
        : clock_(clock), ids_(ids), faults_(faults), log_(log), extras_(std::move(extras)) {}

    void add(route r);

    // The complete answer to `req` and how to deliver it; never throws.
    routed route_request(const request& req);
    // The answer alone (ignores delay and drop).
    response handle(const request& req) { return route_request(req).res; }

    // A complete error answer for a request that never reached routing (malformed HTTP,
    // limits). It asks the client to close the connection.
    response protocol_error(const api::error& err, unsigned http_version);

private:
    struct compiled_route {
        route def;
        std::vector<std::string> segments;  // literal text, or "{name}" for a label
    };

    void finish(response& res, bool keep_alive, std::string request_id);
    response error_response(const api::error& err, unsigned http_version, bool keep_alive, std::string request_id);
    bool authorized(const request& req) const;

    const api::clock& clock_;
    request_id_source& ids_;
    store::fault_rules& faults_;
    logger& log_;
    const router_extras extras_;
    std::vector<compiled_route> routes_;
};

// An HTTP Date header value ("Sun, 29 Nov 2026 10:51:00 GMT") for `t`.
std::string http_date(api::epoch_millis t);

}  // namespace hil::server
