// What every fuzz target shares: the emulator's router with its real routes over an
// in-memory store seeded from the built-in sample, and the checks every answer must pass.
// A failed check calls abort(), which libFuzzer reports as a crash and saves the input for.
#pragma once

#include <memory>
#include <string_view>

#include "api/clock.hpp"
#include "server/logger.hpp"
#include "server/net.hpp"
#include "server/request_ids.hpp"
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
    std::unique_ptr<store::store> store_;
    store::fault_rules faults_;
    server::logger log_;
    server::router router_;
};

// Aborts with `what` on stderr unless `ok`.
void require(bool ok, std::string_view what);

// Every answer: a status that is 200 or in the error table; on an error, x-amzn-ErrorType
// naming that table entry with the same status; Content-Type application/json, a request
// id and a Date; a body that is valid UTF-8 JSON, an object with a string "message" on
// errors; and a bounded size whatever the request was, so no input is echoed whole.
void check_response(const server::response& res);

}  // namespace hil::fuzz
