// What every fuzz target shares: the emulator's router with its real routes over an
// in-memory store seeded from the built-in sample, and the checks every answer must pass.
// A failed check calls abort(), which libFuzzer reports as a crash and saves the input for.
#pragma once

#include <cstddef>
#include <memory>
#include <string_view>

#include "api/clock.hpp"
#include "server/api_handlers.hpp"
#include "server/config.hpp"
#include "server/control_handlers.hpp"
#include "server/logger.hpp"
#include "server/net.hpp"
#include "server/request_ids.hpp"
#include "server/request_journal.hpp"
#include "server/throttle.hpp"
#include "server/router.hpp"
#include "store/fault_rules.hpp"
#include "store/store.hpp"

namespace hil::fuzz {

class world {
public:
    // The one world of this process, built on first use.
    static world& get();

    server::router& routes() { return router_; }

private:
    world();

    api::manual_clock clock_{1'764'000'000'000};
    server::uuid_request_ids ids_{42};
    store::fault_rules faults_;  // before store_: the sample's rules load into it
    store::access_book access_;
    std::unique_ptr<store::store> store_;
    store::lifecycle_policy lifecycle_ = server::config::default_lifecycle();
    server::page_tokens tokens_{"fuzz"};
    server::resource_ids resource_ids_{7};
    server::api_context api_{*store_, lifecycle_, tokens_, resource_ids_};
    server::logger log_;
    server::router router_;
};

// The control API's world: the same pieces plus a request journal, a throttle and the
// /_emulator/ routes (open: no admin token). Its baseline is the sample, so POST
// /_emulator/reset between inputs keeps what one input loads out of the next.
class control_world {
public:
    control_world();

    server::router& routes() { return router_; }
    store::store& data() { return *store_; }

private:
    api::manual_clock clock_{1'764'000'000'000};
    server::uuid_request_ids ids_{42};
    store::fault_rules faults_;  // before store_: the sample's rules load into it
    store::access_book access_;
    std::unique_ptr<store::store> store_;
    store::lifecycle_policy lifecycle_ = server::config::default_lifecycle();
    server::page_tokens tokens_{"fuzz"};
    server::resource_ids resource_ids_{7};
    server::api_context api_{*store_, lifecycle_, tokens_, resource_ids_};
    server::request_journal journal_{64};
    server::throttle limiter_{server::throttle_policy{}, clock_};
    server::control_plane plane_;
    server::logger log_;
    server::router router_;
};

// Aborts with `what` on stderr unless `ok`.
void require(bool ok, std::string_view what);

// What check_response lets through beyond the API's answers.
struct response_limits {
    std::size_t max_body = 64 * 1024;  // larger than any API answer (a 50-item page) or error message needs
    bool created_ok = false;          // 201 is a success too (POST /_emulator/faults)
};

// Every answer: a status that is 200 or in the error table; on an error, x-amzn-ErrorType
// naming that table entry with the same status; Content-Type application/json, a request
// id and a Date; a body that is valid UTF-8 JSON, an object with a string "message" on
// errors; and a bounded size whatever the request was, so no input is echoed whole.
void check_response(const server::response& res, const response_limits& limits = {});

}  // namespace hil::fuzz
