// The request journal through the real server: what an entry holds, filters, DELETE, the
// ring bound, dropped connections.
#include <doctest/doctest.h>

#include <stdexcept>
#include <string>

#include "tests/scenario/harness.hpp"

namespace hil::test {
namespace {

constexpr std::string_view ds = "e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0";
constexpr std::string_view ds2 = "e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1";

std::string fixture() {
    return document({datastore_json(ds), datastore_json(ds2)}, {job_json(ds, "one"), job_json(ds, "two"), job_json(ds2, "three")});
}

rapidjson::Document journal(scenario_server& srv, std::string_view query = {}) {
    const auto res = srv.get("/_emulator/requests" + std::string(query));
    REQUIRE_MESSAGE(res.result_int() == 200, res.body());
    return body_json(res);
}

TEST_CASE("journal entry: time, request id, method, path, operation, labels, caller, status, error, fault, latency") {
    scenario_server srv(scenario_config(), fixture());
    REQUIRE(srv.call(http::verb::post, "/_emulator/faults", R"({"id":"deny","jobId":"two","error":"AccessDeniedException"})")
                .result_int() == 201);
    const auto ok = srv.get(job_target(ds, "one"), {{"Authorization", sigv4_authorization("AKIDJOURNAL")}});
    REQUIRE(ok.result_int() == 200);
    srv.clock().advance(1500);
    CHECK(srv.get(job_target(ds, "two")).result_int() == 403);
    CHECK(srv.get("/nowhere").result_int() == 404);
    CHECK(srv.get(job_target(ds, "BAD")).result_int() == 400);

    const auto doc = journal(srv);
    CHECK(doc["capacity"].GetUint64() == 10'000);
    const auto& r = doc["requests"];
    REQUIRE(r.Size() == 4);  // control calls are not journaled
    const auto& first = r[0];
    CHECK(first["time"].GetDouble() == doctest::Approx(static_cast<double>(k_start) / 1000.0));
    CHECK(std::string(first["requestId"].GetString()) == std::string(ok["x-amzn-RequestId"]));
    CHECK(std::string(first["method"].GetString()) == "GET");
    CHECK(std::string(first["path"].GetString()) == job_target(ds, "one"));
    CHECK(std::string(first["operation"].GetString()) == "GetDICOMImportJob");
    CHECK(std::string(first["datastoreId"].GetString()) == ds);
    CHECK(std::string(first["jobId"].GetString()) == "one");
    CHECK(std::string(first["accessKeyId"].GetString()) == "AKIDJOURNAL");
    CHECK(first["status"].GetUint() == 200);
    CHECK_FALSE(first.HasMember("errorType"));
    CHECK_FALSE(first.HasMember("faultId"));
    CHECK(first["latencyMs"].GetDouble() >= 0.0);
    const auto& denied = r[1];
    CHECK(denied["time"].GetDouble() == doctest::Approx(static_cast<double>(k_start + 1500) / 1000.0));
    CHECK(denied["status"].GetUint() == 403);
    CHECK(std::string(denied["errorType"].GetString()) == "AccessDeniedException");
    CHECK(std::string(denied["faultId"].GetString()) == "deny");
    CHECK_FALSE(denied.HasMember("accessKeyId"));
    CHECK(r[2]["status"].GetUint() == 404);
    CHECK(std::string(r[2]["errorType"].GetString()) == "UnknownOperationException");
    CHECK_FALSE(r[2].HasMember("operation"));
    CHECK(r[3]["status"].GetUint() == 400);
    CHECK(std::string(r[3]["errorType"].GetString()) == "ValidationException");
    CHECK(r[0]["sequence"].GetUint64() < r[3]["sequence"].GetUint64());
}

TEST_CASE("journal filters: operation, datastoreId, jobId, status, since; combined; bad values are 400") {
    scenario_server srv(scenario_config(), fixture());
    REQUIRE(srv.call(http::verb::post, "/_emulator/faults", R"({"jobId":"two","error":"ConflictException","times":1})")
                .result_int() == 201);
    srv.get(job_target(ds, "one"));
    srv.get(job_target(ds, "two"));
    srv.clock().advance(2000);
    srv.get(job_target(ds, "two"));
    srv.get(job_target(ds2, "three"));
    srv.get("/elsewhere");
    CHECK(journal(srv)["requests"].Size() == 5);
    CHECK(journal(srv, "?operation=GetDICOMImportJob")["requests"].Size() == 4);
    CHECK(journal(srv, "?datastoreId=" + std::string(ds))["requests"].Size() == 3);
    CHECK(journal(srv, "?jobId=two")["requests"].Size() == 2);
    CHECK(journal(srv, "?jobId=two&status=409")["requests"].Size() == 1);
    CHECK(journal(srv, "?status=200")["requests"].Size() == 3);
    CHECK(journal(srv, "?jobId=nobody")["requests"].Size() == 0);
    const auto since = std::to_string(static_cast<double>(k_start + 2000) / 1000.0);
    CHECK(journal(srv, "?since=" + since)["requests"].Size() == 3);
    CHECK(journal(srv, "?since=" + std::to_string((k_start + 2001) / 1000) + ".001")["requests"].Size() == 0);
    CHECK(journal(srv, "?since=" + since + "&jobId=two")["requests"].Size() == 1);
    expect_error(srv.get("/_emulator/requests?status=abc"), 400, "ValidationException", "filter status: 'abc' is not a whole number");
    expect_error(srv.get("/_emulator/requests?status=-1"), 400, "ValidationException", "filter status");
    expect_error(srv.get("/_emulator/requests?since=yesterday"), 400, "ValidationException",
                 "filter since: 'yesterday' is not a number of epoch seconds");
    expect_error(srv.get("/_emulator/requests?since="), 400, "ValidationException", "filter since");
}

TEST_CASE("journal DELETE empties it; later calls are journaled again") {
    scenario_server srv(scenario_config(), fixture());
    srv.get(job_target(ds, "one"));
    srv.get(job_target(ds, "two"));
    const auto res = srv.call(http::verb::delete_, "/_emulator/requests");
    REQUIRE(res.result_int() == 200);
    CHECK(journal(srv)["requests"].Size() == 0);
    srv.get(job_target(ds, "one"));
    const auto doc = journal(srv);
    REQUIRE(doc["requests"].Size() == 1);
    CHECK(doc["requests"][0]["sequence"].GetUint64() == 3);  // sequence numbers keep counting
}

TEST_CASE("journal bound: --journal-size N keeps the newest N") {
    auto cfg = scenario_config();
    cfg.journal_size = 3;
    scenario_server srv(cfg, fixture());
    for (int i = 0; i < 7; ++i) {
        srv.clock().advance(1000);
        srv.get(job_target(ds, "one"));
    }
    const auto doc = journal(srv);
    CHECK(doc["capacity"].GetUint64() == 3);
    REQUIRE(doc["requests"].Size() == 3);
    CHECK(doc["requests"][0]["sequence"].GetUint64() == 5);
    CHECK(doc["requests"][2]["sequence"].GetUint64() == 7);
    CHECK(doc["requests"][2]["time"].GetDouble() == doctest::Approx(static_cast<double>(k_start + 7000) / 1000.0));
}

TEST_CASE("journal off: --journal-size 0 keeps nothing") {
    auto cfg = scenario_config();
    cfg.journal_size = 0;
    scenario_server srv(cfg, fixture());
    srv.get(job_target(ds, "one"));
    const auto doc = journal(srv);
    CHECK(doc["capacity"].GetUint64() == 0);
    CHECK(doc["requests"].Size() == 0);
}

TEST_CASE("journal: a dropped connection is status 0, dropped, with the fault id") {
    scenario_server srv(scenario_config(), fixture());
    REQUIRE(srv.call(http::verb::post, "/_emulator/faults", R"({"id":"cut","jobId":"one","dropConnection":true,"times":1})")
                .result_int() == 201);
    {
        http_client c(srv.port());
        CHECK_THROWS_AS(c.get(job_target(ds, "one")), std::runtime_error);
    }
    CHECK(srv.get(job_target(ds, "one")).result_int() == 200);
    const auto doc = journal(srv, "?jobId=one");
    REQUIRE(doc["requests"].Size() == 2);
    const auto& dropped = doc["requests"][0];
    CHECK(dropped["status"].GetUint() == 0);
    CHECK(dropped["dropped"].GetBool());
    CHECK(std::string(dropped["faultId"].GetString()) == "cut");
    CHECK_FALSE(dropped.HasMember("errorType"));
    CHECK(journal(srv, "?status=0")["requests"].Size() == 1);
    CHECK_FALSE(doc["requests"][1].HasMember("dropped"));
}

}  // namespace
}  // namespace hil::test
