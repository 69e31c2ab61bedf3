// router: matches a request to an AWS operation or a control route, runs the request
// pipeline, and is the one place where every answer is finished: status, x-amzn-ErrorType,
// body, Content-Type, x-amzn-RequestId, Date and a handler's own headers.
//
// An API request flows through these stages, in order:
//   match      split and percent-decode the path, find the operation by method and URI
//              template (none: 404 UnknownOperationException; the path matches but not the
//              method: the same, with an Allow header)
//   caller     who is calling and in which namespace (server/caller.hpp): the access key id,
//              account and region; with --auth sigv4 the signature is verified (the 403s
//              MissingAuthenticationToken, IncompleteSignature, InvalidSignature,
//              UnrecognizedClient, ExpiredToken)
//   throttle   the operation's quota (429)
//   faults     scripted faults on the operation, its labels and the caller (error, delay, drop)
//   input      every input member read from its place (label, query, header, JSON body) and
//              validated against its shape (400 ValidationException listing each violation;
//              400 SerializationException for a body that is not JSON or a wrong JSON type)
//   authorize  the access policies, for the operation on the resource its labels name (403
//              AccessDeniedException)
//   handler    the operation's handler, given a parsed, validated call
//   finish     the reply, or the error with its envelope
//   journal    the call, with the operation's labels
// Control routes (under /_emulator/) skip caller, throttle, faults, input and the journal,
// and need `Authorization: Bearer <admin_token>` when a token is set (401 otherwise),
// except open ones such as the health check.
// A handler that throws becomes 500 InternalServerException, logged; never a crash. A
// handler that returns a modeled error its operation does not declare is a bug: it is
// answered as 500 and logged as an error.
// Thread safety: route_request() may run on many threads at once once the table is built;
// add() must not run concurrently with route_request().
#pragma once

#include <rapidjson/document.h>

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "api/clock.hpp"
#include "api/operations.hpp"
#include "api/result.hpp"
#include "server/caller.hpp"
#include "server/logger.hpp"
#include "server/http_message.hpp"
#include "server/net.hpp"
#include "server/request_ids.hpp"
#include "server/request_journal.hpp"
#include "server/shared_bytes.hpp"
#include "server/throttle.hpp"
#include "store/access_book.hpp"
#include "store/fault_rules.hpp"
#include "store/model.hpp"

namespace hil::server {

using header_list = std::vector<std::pair<std::string, std::string>>;

// What a handler produces on success: any status, content type, extra headers and body
// (JSON text, or bytes): its own text, or bytes shared with whoever else holds them (an answer
// of the answer cache, sent without a copy).
struct reply {
    unsigned status = 200;
    std::string body;           // the body, unless shared_body has an owner
    std::string content_type = "application/json";
    header_list headers{};
    shared_bytes shared_body{};
};

// The labels of a matched route, decoded, by name.
class route_match {
public:
    // The label's value. REQUIRES: the route's template has {name} (a typo is a bug: it throws
    // std::logic_error, which the router answers as 500 and logs).
    std::string_view label(std::string_view name) const;
    std::vector<std::pair<std::string_view, std::string>> labels;
};

// A parsed, validated call of one AWS operation: what a handler gets.
class call {
public:
    const api::operation& op;
    const route_match& route_labels;
    const store::scope& scope;         // whose resources the call sees
    std::string_view access_key_id;    // from the SigV4 Authorization header; may be empty
    api::epoch_millis now;

    std::string_view label(std::string_view name) const { return route_labels.label(name); }
    // The first value of the query member `name` (its model name), or nothing.
    std::optional<std::string_view> query(std::string_view name) const;
    // Every value of a list query member, in order.
    std::vector<std::string_view> query_list(std::string_view name) const;
    // A validated integer query member.
    std::optional<std::int64_t> query_integer(std::string_view name) const;
    // A body member, or nullptr when absent or null.
    const rapidjson::Value* body_member(std::string_view name) const;
    // A string body member, or nothing.
    std::optional<std::string_view> body_string(std::string_view name) const;
    // The whole body of an operation with a payload member, or nullptr when the body was empty.
    const rapidjson::Value* payload() const { return body_blank || !body_json.IsObject() ? nullptr : &body_json; }

    // Filled by the pipeline.
    std::vector<std::pair<std::string_view, std::string>> query_values;  // by wire name, decoded
    rapidjson::Document body_json;                                            // an object, or null
    bool body_blank = false;                                                  // the request had no body
};

using api_handler = std::function<api::result<reply>(const call&)>;
using control_handler = std::function<api::result<reply>(const route_match&, const request&)>;

// The emulator's own paths live under this prefix, which no AWS operation uses.
inline constexpr std::string_view k_control_prefix = "/_emulator/";

enum class control_access {
    guarded,  // needs the admin token when one is set
    open,     // never guarded (health)
};

// Where a control route's large body is while the request is read and handled.
enum class control_body {
    in_memory,  // request::body(), always
    spooled,    // past the session's body_spool threshold, a file: request::body_file() (see server/body_spool.hpp)
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
    const store::access_book* access = nullptr;  // credentials and policies; absent: none
    auth_mode auth = auth_mode::off;
};

class router {
public:
    router(const api::clock& clock, request_id_source& ids, store::fault_rules& faults, logger& log,
           router_extras extras = {})
        : clock_(clock), ids_(ids), faults_(faults), log_(log), extras_(std::move(extras)),
          access_(extras_.access ? *extras_.access : no_access_) {}

    // Adds the route of `op`, served by `handler`. Throws std::logic_error when the
    // description is inconsistent (api::check_description) or its path is already routed.
    void add(const api::operation& op, api_handler handler);
    void add_control(http::verb method, std::string_view path_template, control_handler handler,
                     control_access access = control_access::guarded, control_body body = control_body::in_memory);

    // The complete answer to `req` and how to deliver it; never throws.
    routed route_request(const request& req);
    // The answer alone (ignores delay and drop).
    response handle(const request& req) { return route_request(req).res; }
    // Whether routing `req` may wait on something slow: a write (which waits for the store's
    // writer, or for another process's lock on the database file) or a control call that
    // loads or resets the state. Such requests are routed off the I/O threads, so that reads
    // on other connections are answered meanwhile. Reads (the operations named Get..., List...
    // and Search..., and the control API's GETs) are not. Never throws.
    bool may_block(const request& req) const;
    // Whether the route of `req` (whose header is read) takes a large body as a file
    // (control_body::spooled). Never throws.
    bool spools_body(const request& req) const;

    // A complete error answer for a request that never reached routing (malformed HTTP,
    // limits). It asks the client to close the connection.
    response protocol_error(const api::error& err, unsigned http_version);

private:
    struct compiled_route {
        http::verb method;
        std::vector<std::string> segments;  // literal text, or "{name}" for a label
        const api::operation* op = nullptr;  // API routes
        std::vector<std::string_view> label_members;  // API routes: the model's name of each label, in order (static storage)
        api_handler api;
        control_handler control;
        control_access access = control_access::guarded;
        bool may_block = false;
        bool spools_body = false;
    };
    struct outcome;

    // The route of `req`, whose target's path is `path`, with its labels; or nullptr, and in
    // `allow` the methods the path has routes for.
    const compiled_route* match(const request& req, std::string_view path, route_match& labels, std::string& allow) const;
    void run_api(const compiled_route& r, const request& req, const route_match& labels, outcome& out);
    void add_compiled(compiled_route r, std::string_view path_template);
    // `now` is the time the answer is dated with.
    void finish(response& res, bool keep_alive, std::string_view request_id, std::string_view content_type,
                api::epoch_millis now);
    response error_response(const api::error& err, unsigned http_version, bool keep_alive, std::string_view request_id,
                            api::epoch_millis now);
    bool authorized(const request& req) const;

    const api::clock& clock_;
    request_id_source& ids_;
    store::fault_rules& faults_;
    logger& log_;
    const router_extras extras_;
    const store::access_book no_access_;  // stands in when extras_.access is absent
    const store::access_book& access_;
    sigv4::signing_key_cache signing_keys_;
    std::vector<compiled_route> routes_;
    std::vector<http::verb> blocking_methods_;  // the methods of the routes that may block
};

// An HTTP Date header value ("Sun, 29 Nov 2026 10:51:00 GMT") for `t`.
std::string http_date(api::epoch_millis t);

}  // namespace hil::server
