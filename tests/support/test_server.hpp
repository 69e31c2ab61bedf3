// test_server: the real emulator (store, router, Beast server) started in-process on an
// ephemeral loopback port, serving from a background thread until the object dies.
//
//   auto cfg = test_config();                        // port 0, 2 threads, no data
//   test_server srv(with_fixtures(cfg, files, json)); // or the built-in sample: cfg.empty = false
//   http_client c(srv.port());
//
// The scenario ring's harness (tests/scenario) runs one of these on a manual clock.
//
// Every test builds its own server, so no state leaks between tests.
#pragma once

#include <filesystem>
#include <memory>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>

#include "api/clock.hpp"
#include "tests/support/temp_path.hpp"
#include "server/config.hpp"
#include "server/emulator.hpp"
#include "server/logger.hpp"

namespace hil::test {

// port 0, two threads, no data, short shutdown timeout.
server::config test_config();

// What a test_server runs on unless given another clock.
const api::clock& wall_clock();

class test_server {
public:
    // Starts serving what cfg names, on `clock` (which must outlive the server). When
    // `fixtures_json` is not empty it is written to a temp file and served instead
    // (cfg.fixture_paths is replaced). Fails the current test (doctest REQUIRE) when create()
    // or listen() fail.
    explicit test_server(server::config cfg, std::string_view fixtures_json = {},
                         const api::clock& clock = wall_clock());
    test_server(const test_server&) = delete;
    test_server& operator=(const test_server&) = delete;
    ~test_server();

    unsigned short port() const { return port_; }
    server::emulator& emulator() { return *emulator_; }
    // Stops the server and waits for run() to return. Idempotent.
    void stop();
    // What the server logged. REQUIRES: stop() was called (the log is written from server threads).
    std::string log_text() const;

private:
    std::unique_ptr<temp_path> fixture_file_;
    std::ostringstream log_stream_;
    server::logger log_;
    std::unique_ptr<server::emulator> emulator_;
    std::thread runner_;
    unsigned short port_ = 0;
};

// The built-in sample scenario (fixtures/sample.json), for expectations.
inline constexpr std::string_view sample_datastore = "b3d1c5e2a4f6078e9d0c1b2a3f4e5d6c";
inline constexpr std::string_view sample_completed_job = "5f1e2d3c4b5a69788796a5b4c3d2e1f0";
inline constexpr std::string_view sample_other_datastore = "0a1b2c3d4e5f60718293a4b5c6d7e8f9";
inline constexpr std::string_view sample_failed_job = "d4c3b2a1f0e9d8c7b6a5f4e3d2c1b0a9";

std::string job_target(std::string_view datastore_id, std::string_view job_id);

}  // namespace hil::test
