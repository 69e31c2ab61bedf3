// harness: the real emulator started in-process on an ephemeral loopback port (the server
// ring's test_server), driven by a manual clock so that time-based progression and throttling
// are exact, plus small helpers for the control API's JSON.
//
//   scenario_server srv(scenario_config(), fixtures_json);  // or {} for no data
//   auto res = srv.call(http::verb::get, job_target(ds, job));
//   srv.clock().advance(500);
//
// Each test builds its own server, so no state leaks between tests.
#pragma once

#include <rapidjson/document.h>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "api/clock.hpp"
#include "server/config.hpp"
#include "server/emulator.hpp"
#include "tests/support/http_client.hpp"
#include "tests/support/expect.hpp"
#include "tests/support/fixture_builder.hpp"
#include "tests/support/test_server.hpp"

namespace hil::test {

namespace http = server::http;
using headers = std::vector<std::pair<std::string, std::string>>;

// 2025-11-29T08:00:00Z: where every manual clock starts.
inline constexpr api::epoch_millis k_start = 1'764'403'200'000;

// test_config() logging warnings only: port 0, two threads, no data, journal on, control API open.
server::config scenario_config();

class scenario_server {
public:
    // Serves `fixtures_json` (written to a temp file and passed as --fixtures) when given,
    // else what cfg names. Fails the current test when create() or listen() fail.
    explicit scenario_server(server::config cfg, std::string_view fixtures_json = {});

    unsigned short port() const { return server_.port(); }
    api::manual_clock& clock() { return clock_; }
    server::emulator& emulator() { return server_.emulator(); }

    // One request on a fresh connection.
    response call(http::verb method, std::string_view target, std::string body = {}, const headers& extra = {});
    response get(std::string_view target, const headers& extra = {}) { return call(http::verb::get, target, {}, extra); }

private:
    // Declared first: the server reads it until it stops.
    api::manual_clock clock_{k_start};
    test_server server_;
};

// The body parsed as JSON (object or array); fails the test when it is not JSON.
rapidjson::Document body_json(const response& res);
// jobProperties.jobStatus of a GetDICOMImportJob answer; fails the test on anything else.
std::string job_status(const response& res);
// A SigV4-shaped Authorization header for `access_key_id` (the signature is not checked).
std::string sigv4_authorization(std::string_view access_key_id);

}  // namespace hil::test
