// Fault actions and budgets through the real server, rules added at run time.
#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <thread>
#include <vector>
#include <stdexcept>
#include <string>

#include "tests/scenario/harness.hpp"

namespace hil::test {
namespace {

constexpr std::string_view ds = "fa0fa0fa0fa0fa0fa0fa0fa0fa0fa0fa";

std::string fixture() {
    return document({datastore_json(ds)},
                    {job_json(ds, "target"), job_json(ds, "bystander"),
                     job_json(ds, "moving", "SUBMITTED", R"("progression":[{"jobStatus":"COMPLETED","afterPolls":1}])")});
}

void add_faults(scenario_server& srv, const std::string& json) {
    const auto res = srv.call(http::verb::post, "/_emulator/faults", json);
    REQUIRE_MESSAGE(res.result_int() == 201, res.body());
}

// The status of each of `n` calls of the target job.
std::vector<unsigned> statuses(scenario_server& srv, int n, std::string_view job = "target", const headers& h = {}) {
    std::vector<unsigned> out;
    for (int i = 0; i < n; ++i) out.push_back(srv.get(job_target(ds, job), h).result_int());
    return out;
}

using ms = std::chrono::milliseconds;

ms time_of(const std::function<void()>& fn) {
    const auto start = std::chrono::steady_clock::now();
    fn();
    return std::chrono::duration_cast<ms>(std::chrono::steady_clock::now() - start);
}

TEST_CASE("fault action error: each error type, with the rule's message or the default") {
    scenario_server srv(scenario_config(), fixture());
    add_faults(srv, R"({"jobId":"target","error":"AccessDeniedException","message":"nope","times":1})");
    expect_error(srv.get(job_target(ds, "target")), 403, "AccessDeniedException", "nope");
    add_faults(srv, R"({"jobId":"target","error":"InternalServerException","times":1})");
    const auto res = srv.get(job_target(ds, "target"));
    expect_error(res, 500, "InternalServerException", "");
    CHECK(res["x-amzn-RequestId"].size() > 0);
    CHECK(srv.get(job_target(ds, "target")).result_int() == 200);
    CHECK(srv.get(job_target(ds, "bystander")).result_int() == 200);
}

TEST_CASE("fault retryAfter: Retry-After: N on the ThrottlingException, absent without it") {
    scenario_server srv(scenario_config(), fixture());
    add_faults(srv, R"([{"jobId":"target","error":"ThrottlingException","retryAfter":7,"times":1},
                        {"jobId":"target","error":"ThrottlingException","times":1}])");
    auto res = srv.get(job_target(ds, "target"));
    expect_error(res, 429, "ThrottlingException", "throttling");
    CHECK(res[http::field::retry_after] == "7");
    res = srv.get(job_target(ds, "target"));
    expect_error(res, 429, "ThrottlingException", "throttling");
    CHECK(res.find(http::field::retry_after) == res.end());
}

TEST_CASE("fault delayMs: the real answer arrives after the delay; an error too") {
    scenario_server srv(scenario_config(), fixture());
    add_faults(srv, R"([{"id":"slow","jobId":"target","delayMs":300,"times":1},
                        {"id":"slow-error","jobId":"bystander","delayMs":300,"error":"ConflictException","times":1}])");
    response res;
    auto took = time_of([&] { res = srv.get(job_target(ds, "target")); });
    CHECK(job_status(res) == "COMPLETED");
    CHECK(took >= ms(300));
    CHECK(took < ms(3000));
    took = time_of([&] { res = srv.get(job_target(ds, "bystander")); });
    expect_error(res, 409, "ConflictException", "");
    CHECK(took >= ms(300));
    // Spent: the next answers are immediate.
    took = time_of([&] { res = srv.get(job_target(ds, "target")); });
    CHECK(res.result_int() == 200);
    CHECK(took < ms(250));
}

TEST_CASE("fault delayMs holds one connection, not the server") {
    scenario_server srv(scenario_config(), fixture());
    add_faults(srv, R"({"jobId":"target","delayMs":800,"times":1})");
    std::thread slow([&] { CHECK(srv.get(job_target(ds, "target")).result_int() == 200); });
    std::this_thread::sleep_for(ms(100));
    response res;
    const auto took = time_of([&] { res = srv.get(job_target(ds, "bystander")); });
    CHECK(res.result_int() == 200);
    CHECK(took < ms(500));
    slow.join();
}

TEST_CASE("fault dropConnection: closed with no answer; the poll is not counted") {
    scenario_server srv(scenario_config(), fixture());
    add_faults(srv, R"({"id":"drop","jobId":"moving","dropConnection":true,"times":2})");
    for (int i = 0; i < 2; ++i) {
        http_client c(srv.port());
        CHECK_THROWS_AS(c.get(job_target(ds, "moving")), std::runtime_error);
    }
    // The handler never ran, so the progression has not moved: the first real poll is SUBMITTED.
    CHECK(job_status(srv.get(job_target(ds, "moving"))) == "SUBMITTED");
    CHECK(job_status(srv.get(job_target(ds, "moving"))) == "COMPLETED");
    const auto doc = body_json(srv.get("/_emulator/faults"));
    CHECK(doc["faults"][0]["fired"].GetUint64() == 2);
}

TEST_CASE("fault budgets through the server: times, after, after+times") {
    scenario_server srv(scenario_config(), fixture());
    add_faults(srv, R"({"jobId":"target","error":"ConflictException","times":2})");
    CHECK(statuses(srv, 4) == std::vector<unsigned>{409, 409, 200, 200});
    REQUIRE(srv.call(http::verb::delete_, "/_emulator/faults").result_int() == 200);
    add_faults(srv, R"({"jobId":"target","error":"ConflictException","after":2})");
    CHECK(statuses(srv, 4) == std::vector<unsigned>{200, 200, 409, 409});
    REQUIRE(srv.call(http::verb::delete_, "/_emulator/faults").result_int() == 200);
    add_faults(srv, R"({"jobId":"target","error":"InternalServerException","after":1,"times":1})");
    CHECK(statuses(srv, 4) == std::vector<unsigned>{200, 500, 200, 200});
    const auto doc = body_json(srv.get("/_emulator/faults"));
    CHECK(doc["faults"][0]["fired"].GetUint64() == 1);
    CHECK(doc["faults"][0]["times"].GetUint64() == 0);
    CHECK_FALSE(doc["faults"][0].HasMember("after"));  // spent
}

TEST_CASE("fault order: the first rule that matches and has budget fires") {
    scenario_server srv(scenario_config(), fixture());
    add_faults(srv, R"([{"jobId":"target","error":"ThrottlingException","times":1},
                        {"jobId":"target","error":"InternalServerException","times":1},
                        {"error":"ConflictException","times":1}])");
    CHECK(statuses(srv, 4) == std::vector<unsigned>{429, 500, 409, 200});
}

TEST_CASE("fault probability with a seed: the same sequence every run, and again after reset") {
    const std::string doc = document({datastore_json(ds)}, {job_json(ds, "target")},
                                     {R"({"id":"flaky","jobId":"target","error":"InternalServerException",)"
                                      R"("probability":0.5,"seed":12345})"});
    std::vector<unsigned> first;
    {
        scenario_server srv(scenario_config(), doc);
        first = statuses(srv, 30);
        REQUIRE(srv.call(http::verb::post, "/_emulator/reset").result_int() == 200);
        CHECK(statuses(srv, 30) == first);
    }
    scenario_server again(scenario_config(), doc);
    CHECK(statuses(again, 30) == first);
    const auto errors = std::count(first.begin(), first.end(), 500u);
    CHECK(errors > 5);
    CHECK(errors < 25);
}

TEST_CASE("fault accessKeyId: only the caller whose SigV4 credential names it") {
    scenario_server srv(scenario_config(), fixture());
    add_faults(srv, R"({"accessKeyId":"AKIDBLOCKED","error":"AccessDeniedException"})");
    const headers blocked{{"Authorization", sigv4_authorization("AKIDBLOCKED")}};
    const headers other{{"Authorization", sigv4_authorization("AKIDFINE")}};
    expect_error(srv.get(job_target(ds, "target"), blocked), 403, "AccessDeniedException", "");
    CHECK(srv.get(job_target(ds, "target"), other).result_int() == 200);
    CHECK(srv.get(job_target(ds, "target")).result_int() == 200);
}

TEST_CASE("faults never touch the control API") {
    scenario_server srv(scenario_config(), fixture());
    add_faults(srv, R"([{"error":"InternalServerException"},{"dropConnection":true}])");
    CHECK(srv.get("/_emulator/health").result_int() == 200);
    CHECK(srv.get("/_emulator/faults").result_int() == 200);
    CHECK(srv.get(job_target(ds, "target")).result_int() == 500);
    REQUIRE(srv.call(http::verb::delete_, "/_emulator/faults").result_int() == 200);
    CHECK(srv.get(job_target(ds, "target")).result_int() == 200);
}

}  // namespace
}  // namespace hil::test
