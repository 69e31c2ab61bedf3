// router: a table of (method, path template, operation, handler) and the one place where
// every answer is finished: status, x-amzn-ErrorType, JSON body, x-amzn-RequestId, Date.
//
// A request flows: split and percent-decode the path -> find the route (none:
// 404 UnknownOperationException; the path matches but not the method: the same, with an
// Allow header) -> scripted faults for the operation -> validate every label against its
// documented shape (400 ValidationException listing each violation) -> the handler.
// A handler that throws becomes 500 InternalServerException, logged; never a crash.
// Thread safety: handle() may run on many threads at once once the table is built;
// add() must not run concurrently with handle().
#pragma once

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

struct route {
    http::verb method;
    std::string_view path_template;  // e.g. "/getDICOMImportJob/datastore/{datastoreId}/job/{jobId}"
    std::string_view operation;      // the API operation; empty for control endpoints (no faults)
    std::vector<label_shape> label_shapes;
    handler_fn handler;
};

class router {
public:
    router(const api::clock& clock, request_id_source& ids, store::fault_rules& faults, logger& log)
        : clock_(clock), ids_(ids), faults_(faults), log_(log) {}

    void add(route r);

    // The complete answer to `req`; never throws.
    response handle(const request& req);

    // A complete error answer for a request that never reached routing (malformed HTTP,
    // limits). It asks the client to close the connection.
    response protocol_error(const api::error& err, unsigned http_version);

private:
    struct compiled_route {
        route def;
        std::vector<std::string> segments;  // literal text, or "{name}" for a label
    };

    void finish(response& res, bool keep_alive);
    response error_response(const api::error& err, unsigned http_version, bool keep_alive);

    const api::clock& clock_;
    request_id_source& ids_;
    store::fault_rules& faults_;
    logger& log_;
    std::vector<compiled_route> routes_;
};

// An HTTP Date header value ("Sun, 29 Nov 2026 10:51:00 GMT") for `t`.
std::string http_date(api::epoch_millis t);

}  // namespace hil::server
