// HTTP-level behaviour of the real server: keep-alive, pipelining, concurrency, routing
// misses, malformed requests, size limits and graceful shutdown.
#include <doctest/doctest.h>

#include <atomic>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/expect.hpp"
#include "tests/support/http_client.hpp"
#include "tests/support/test_server.hpp"

namespace hil::test {
namespace {

namespace http = server::http;

server::config sample_config() {
    auto cfg = test_config();
    cfg.empty = false;
    return cfg;
}

std::string raw_get(std::string_view target, std::string_view extra = "") {
    return "GET " + std::string(target) + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" + std::string(extra) + "\r\n";
}

TEST_CASE("keep-alive: many requests on one connection") {
    test_server srv(sample_config());
    http_client c(srv.port());
    for (int i = 0; i < 200; ++i) {
        const auto res = c.get(i % 2 ? job_target(sample_datastore, sample_completed_job) : "/_emulator/health");
        REQUIRE(res.result_int() == 200);
        REQUIRE(res.keep_alive());
    }
}

TEST_CASE("HTTP/1.0 without keep-alive: answered in 1.0, then the connection is closed") {
    test_server srv(sample_config());
    http_client c(srv.port());
    const auto res = c.get(job_target(sample_datastore, sample_completed_job), 10);
    CHECK(res.result_int() == 200);
    CHECK(res.version() == 10);
    CHECK_FALSE(res.keep_alive());
    CHECK(c.closed_by_peer());
}

TEST_CASE("Connection: close is honoured") {
    test_server srv(sample_config());
    http_client c(srv.port());
    c.write_raw(raw_get("/_emulator/health", "Connection: close\r\n"));
    const auto res = c.read_response();
    CHECK(res.result_int() == 200);
    CHECK_FALSE(res.keep_alive());
    CHECK(c.closed_by_peer());
}

TEST_CASE("pipelining: three requests in one write get three answers, in order") {
    test_server srv(sample_config());
    http_client c(srv.port());
    c.write_raw(raw_get(job_target(sample_datastore, sample_completed_job)) + raw_get("/nowhere") +
                raw_get(job_target(sample_datastore, "ABC")));
    const auto first = c.read_response();
    const auto second = c.read_response();
    const auto third = c.read_response();
    CHECK(first.result_int() == 200);
    CHECK(first.body().find(sample_completed_job) != std::string::npos);
    check_error_prefix(second, 404, "UnknownOperationException", "No operation matches GET /nowhere");
    check_error_prefix(third, 400, "ValidationException", "1 validation error detected: Value 'ABC' at 'jobId'");
    // Still open for more.
    CHECK(c.get("/_emulator/health").result_int() == 200);
}

TEST_CASE("concurrency: 16 clients x 200 requests, every answer correct") {
    test_server srv(sample_config());
    constexpr int clients = 16;
    constexpr int per_client = 200;
    std::atomic<int> correct{0};
    std::vector<std::future<std::string>> results;
    for (int t = 0; t < clients; ++t) {
        results.push_back(std::async(std::launch::async, [&, t]() -> std::string {
            try {
                http_client c(srv.port());
                for (int i = 0; i < per_client; ++i) {
                    // Alternate hits and misses so answers from different routes interleave.
                    const bool hit = (i + t) % 2 == 0;
                    const auto res = c.get(hit ? job_target(sample_datastore, sample_completed_job)
                                               : job_target(sample_other_datastore, "missing" + std::to_string(i)));
                    const bool ok = hit ? res.result_int() == 200 &&
                                              res.body().find(R"("jobName":"ct-chest-batch-01")") != std::string::npos
                                        : res.result_int() == 404 &&
                                              res.body().find("missing" + std::to_string(i)) != std::string::npos;
                    if (!ok) return "client " + std::to_string(t) + " request " + std::to_string(i) + ": " +
                                    std::to_string(res.result_int()) + " " + res.body();
                    ++correct;
                }
                return {};
            } catch (const std::exception& e) {
                return "client " + std::to_string(t) + ": " + e.what();
            }
        }));
    }
    for (auto& r : results) {
        const auto failure = r.get();
        CHECK_MESSAGE(failure.empty(), failure);
    }
    CHECK(correct.load() == clients * per_client);
}

TEST_CASE("unknown path and wrong method: 404 UnknownOperationException, Allow on a known path") {
    test_server srv(sample_config());
    http_client c(srv.port());
    SUBCASE("unknown path") {
        const auto res = c.get("/searchDICOMStudies/datastore/abc");
        check_error(res, 404, "UnknownOperationException", "No operation matches GET /searchDICOMStudies/datastore/abc");
        CHECK(res[http::field::allow].empty());
    }
    SUBCASE("the root") {
        check_error(c.get("/"), 404, "UnknownOperationException", "No operation matches GET /");
    }
    SUBCASE("wrong method on the operation's path") {
        const auto target = job_target(sample_datastore, sample_completed_job);
        const auto res = c.request(http::verb::post, target, {{"Content-Type", "application/json"}}, "{}");
        check_error(res, 404, "UnknownOperationException",
                    "No operation matches POST " + target + "; this path accepts GET");
        CHECK(res[http::field::allow] == "GET");
        // The connection survives a routing miss.
        CHECK(c.get(target).result_int() == 200);
    }
    SUBCASE("wrong method on the control path") {
        const auto res = c.request(http::verb::delete_, "/_emulator/health");
        CHECK(res.result_int() == 404);
        CHECK(res[http::field::allow] == "GET");
    }
}

TEST_CASE("malformed request line: 400 BadRequestException, connection closed, server still serves") {
    test_server srv(sample_config());
    {
        http_client bad(srv.port());
        bad.write_raw("THIS IS NOT HTTP\r\n\r\n");
        const auto res = bad.read_response();
        check_error_prefix(res, 400, "BadRequestException", "Malformed HTTP request: ");
        CHECK_FALSE(res.keep_alive());
        CHECK(bad.closed_by_peer());
    }
    {
        http_client bad(srv.port());
        bad.write_raw("GET /_emulator/health HTTP/1.1\r\nHost: x\r\nBroken header line\r\n\r\n");
        check_error_prefix(bad.read_response(), 400, "BadRequestException", "Malformed HTTP request: ");
        CHECK(bad.closed_by_peer());
    }
    http_client good(srv.port());
    CHECK(good.get(job_target(sample_datastore, sample_completed_job)).result_int() == 200);
}

TEST_CASE("header fields over 16 KiB: 431 and the connection closed") {
    test_server srv(sample_config());
    http_client c(srv.port());
    c.write_raw(raw_get("/_emulator/health", "X-Padding: " + std::string(17 * 1024, 'p') + "\r\n"));
    const auto res = c.read_response();
    check_error(res, 431, "RequestHeaderFieldsTooLargeException",
                "The request's header fields are larger than the server accepts.");
    CHECK_FALSE(res.keep_alive());
    CHECK(c.closed_by_peer());
    // Just under the limit is fine.
    http_client ok(srv.port());
    CHECK(ok.get("/_emulator/health").result_int() == 200);
    ok.write_raw(raw_get("/_emulator/health", "X-Padding: " + std::string(15 * 1024, 'p') + "\r\n"));
    CHECK(ok.read_response().result_int() == 200);
}

TEST_CASE("a body over server.body_limit: 413") {
    auto cfg = sample_config();
    cfg.server.body_limit = 1024;
    test_server srv(cfg);
    http_client c(srv.port());
    const auto res = c.request(http::verb::post, "/_emulator/health", {}, std::string(4096, 'x'));
    check_error(res, 413, "RequestEntityTooLargeException", "The request body is larger than the server accepts.");
    CHECK_FALSE(res.keep_alive());
    CHECK(c.closed_by_peer());
    // A body within the limit reaches routing (and this path takes no POST).
    http_client ok(srv.port());
    CHECK(ok.request(http::verb::post, "/_emulator/health", {}, std::string(1000, 'x')).result_int() == 404);
}

TEST_CASE("graceful stop: a request in flight is answered, idle connections are closed") {
    test_server srv(sample_config());
    http_client idle(srv.port());
    CHECK(idle.get("/_emulator/health").result_int() == 200);
    http_client busy(srv.port());
    // Half a request: the server has it in flight when stop() begins.
    const auto request = raw_get(job_target(sample_datastore, sample_completed_job));
    const auto half = request.size() / 2;
    busy.write_raw(request.substr(0, half));
    std::this_thread::sleep_for(std::chrono::milliseconds(100));

    auto stopped = std::async(std::launch::async, [&] { srv.stop(); });
    CHECK(idle.closed_by_peer());
    CHECK(stopped.wait_for(std::chrono::milliseconds(200)) == std::future_status::timeout);
    busy.write_raw(request.substr(half));
    const auto res = busy.read_response();
    CHECK(res.result_int() == 200);
    CHECK_FALSE(res.keep_alive());
    CHECK(busy.closed_by_peer());
    CHECK(stopped.wait_for(std::chrono::seconds(3)) == std::future_status::ready);
    CHECK_THROWS(http_client(srv.port(), std::chrono::milliseconds(500)));
}

}  // namespace
}  // namespace hil::test
