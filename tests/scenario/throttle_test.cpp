// --throttle through the real server, measured on the injected clock, and the flags of the
// scenario engine as parsed from the command line.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "tests/scenario/harness.hpp"

namespace hil::test {
namespace {

constexpr std::string_view ds = "7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a";

int successes(scenario_server& srv, int tries, const headers& h = {}) {
    int ok = 0;
    for (int i = 0; i < tries; ++i) {
        const auto res = srv.get(job_target(ds, "job"), h);
        if (res.result_int() == 200) {
            ++ok;
        } else {
            expect_error(res, 429, "ThrottlingException", "Rate exceeded");
        }
    }
    return ok;
}

TEST_CASE("--throttle 2:4: 4 immediate successes, then 429 Rate exceeded; 500 ms later one more") {
    auto cfg = scenario_config();
    cfg.throttling = *server::parse_throttle_policy("2:4");
    scenario_server srv(cfg, document({datastore_json(ds)}, {job_json(ds, "job")}));
    CHECK(successes(srv, 4) == 4);
    const auto res = srv.get(job_target(ds, "job"));
    CHECK(res.result_int() == 429);
    CHECK(res["x-amzn-ErrorType"] == "ThrottlingException");
    CHECK(res.body() == R"({"message":"Rate exceeded"})");
    srv.clock().advance(500);
    CHECK(successes(srv, 3) == 1);
    srv.clock().advance(1000);
    CHECK(successes(srv, 3) == 2);
    // The control API is never throttled.
    CHECK(srv.get("/_emulator/health").result_int() == 200);
    CHECK(srv.get("/_emulator/state").result_int() == 200);
}

TEST_CASE("--throttle: one bucket per caller (SigV4 access key id)") {
    auto cfg = scenario_config();
    cfg.throttling = *server::parse_throttle_policy("1:2");
    scenario_server srv(cfg, document({datastore_json(ds)}, {job_json(ds, "job")}));
    const headers alice{{"Authorization", sigv4_authorization("AKIDALICE")}};
    const headers bob{{"Authorization", sigv4_authorization("AKIDBOB")}};
    CHECK(successes(srv, 5, alice) == 2);
    CHECK(successes(srv, 5, bob) == 2);
    CHECK(successes(srv, 5) == 2);  // unsigned callers share one bucket
    // Throttled calls are journaled as 429 with their caller.
    const auto doc = body_json(srv.get("/_emulator/requests?status=429"));
    REQUIRE(doc["requests"].Size() == 9);
    CHECK(std::string(doc["requests"][0]["accessKeyId"].GetString()) == "AKIDALICE");
    CHECK(std::string(doc["requests"][0]["errorType"].GetString()) == "ThrottlingException");
}

TEST_CASE("--throttle aws: GetDICOMImportJob 25 per second, burst 50") {
    auto cfg = scenario_config();
    cfg.throttling = *server::parse_throttle_policy("aws");
    scenario_server srv(cfg, document({datastore_json(ds)}, {job_json(ds, "job")}));
    CHECK(successes(srv, 52) == 50);
    srv.clock().advance(40);
    CHECK(successes(srv, 2) == 1);
    srv.clock().advance(200);
    CHECK(successes(srv, 6) == 5);
}

TEST_CASE("--throttle comes before faults: a throttled call spends no fault budget") {
    auto cfg = scenario_config();
    cfg.throttling = *server::parse_throttle_policy("1:1");
    scenario_server srv(cfg, document({datastore_json(ds)}, {job_json(ds, "job")}));
    REQUIRE(srv.call(http::verb::post, "/_emulator/faults", R"({"jobId":"job","error":"ConflictException","times":2})")
                .result_int() == 201);
    CHECK(srv.get(job_target(ds, "job")).result_int() == 409);
    CHECK(srv.get(job_target(ds, "job")).result_int() == 429);  // the fault is not consulted
    srv.clock().advance(1000);
    CHECK(srv.get(job_target(ds, "job")).result_int() == 409);  // so it still has its second firing
    srv.clock().advance(1000);
    CHECK(srv.get(job_target(ds, "job")).result_int() == 200);
}

server::config_outcome parse(std::vector<const char*> args) {
    args.insert(args.begin(), "healthimaging-local");
    return server::parse_config(static_cast<int>(args.size()), args.data(), [](const char*) -> const char* { return nullptr; });
}

TEST_CASE("flags: --throttle, --journal-size, --admin-token, --no-admin") {
    auto out = parse({"--throttle", "2:4", "--journal-size", "5", "--admin-token", "tok", "--no-admin"});
    REQUIRE_MESSAGE(out.action == server::config_action::run, out.error);
    CHECK(out.cfg.throttling.mode == server::throttle_policy::kind::fixed);
    CHECK(out.cfg.throttling.rate == 2.0);
    CHECK(out.cfg.throttling.burst == 4.0);
    CHECK(out.cfg.journal_size == 5);
    CHECK(out.cfg.admin_token == "tok");
    CHECK_FALSE(out.cfg.admin);
    out = parse({});
    CHECK(out.cfg.throttling.mode == server::throttle_policy::kind::off);
    CHECK(out.cfg.journal_size == 10'000);
    CHECK(out.cfg.admin);
    CHECK(out.cfg.admin_token.empty());
    out = parse({"--throttle", "fast"});
    CHECK(out.action == server::config_action::fail);
    CHECK(out.error.find("--throttle") != std::string::npos);
    out = parse({"--journal-size", "-1"});
    CHECK(out.action == server::config_action::fail);
    CHECK(out.error.find("--journal-size") != std::string::npos);
    // Environment variables stand in for the flags.
    const char* argv[] = {"healthimaging-local"};
    out = server::parse_config(1, argv, [](const char* name) -> const char* {
        const std::string n = name;
        if (n == "HIL_THROTTLE") return "aws";
        if (n == "HIL_ADMIN_TOKEN") return "envtok";
        if (n == "HIL_JOURNAL_SIZE") return "0";
        return nullptr;
    });
    REQUIRE_MESSAGE(out.action == server::config_action::run, out.error);
    CHECK(out.cfg.throttling.mode == server::throttle_policy::kind::aws);
    CHECK(out.cfg.admin_token == "envtok");
    CHECK(out.cfg.journal_size == 0);
}

}  // namespace
}  // namespace hil::test
