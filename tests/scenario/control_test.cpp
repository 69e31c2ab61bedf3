// The control API under /_emulator/, through the real server: every endpoint, its errors,
// the token guard and --no-admin.
#include <doctest/doctest.h>

#include <string>

#include "tests/scenario/harness.hpp"

namespace hil::test {
namespace {

constexpr std::string_view ds = "c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0";
constexpr std::string_view ds2 = "d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1";
const std::string k_progression = R"("progression":[{"jobStatus":"IN_PROGRESS","afterPolls":1},)"
                                  R"({"jobStatus":"COMPLETED","afterPolls":3}])";

std::string startup_fixture() {
    return document({datastore_json(ds)},
                    {job_json(ds, "steady"), job_json(ds, "moving", "SUBMITTED", k_progression)},
                    {R"({"id":"boot-throttle","jobId":"limited","error":"ThrottlingException","times":1})"});
}

std::string state_of(scenario_server& srv) {
    const auto res = srv.get("/_emulator/state");
    REQUIRE_MESSAGE(res.result_int() == 200, res.body());
    return res.body();
}

TEST_CASE("health: ready with the version and counts of datastores, jobs and faults") {
    scenario_server srv(scenario_config(), startup_fixture());
    const auto res = srv.get("/_emulator/health");
    REQUIRE(res.result_int() == 200);
    CHECK(res[http::field::content_type] == "application/json");
    const auto doc = body_json(res);
    CHECK(std::string(doc["status"].GetString()) == "ready");
    CHECK(std::string(doc["version"].GetString()).find('.') != std::string::npos);
    CHECK(doc["datastores"].GetUint64() == 1);
    CHECK(doc["jobs"].GetUint64() == 2);
    CHECK(doc["faults"].GetUint64() == 1);
}

TEST_CASE("fixtures: merge adds to the running state; replace swaps everything, faults included") {
    scenario_server srv(scenario_config(), startup_fixture());
    // Merge: a new job in an already stored datastore, a new datastore, a fault.
    auto res = srv.call(http::verb::post, "/_emulator/fixtures",
                        document({datastore_json(ds2)}, {job_json(ds, "added"), job_json(ds2, "other")},
                                 {R"({"id":"merged-fault","jobId":"added","delayMs":1})"}));
    REQUIRE_MESSAGE(res.result_int() == 200, res.body());
    auto doc = body_json(res);
    CHECK(std::string(doc["mode"].GetString()) == "merge");
    CHECK(doc["loaded"]["datastores"].GetUint64() == 1);
    CHECK(doc["loaded"]["jobs"].GetUint64() == 2);
    CHECK(doc["loaded"]["faults"].GetUint64() == 1);
    CHECK(srv.get(job_target(ds, "added")).result_int() == 200);
    CHECK(srv.get(job_target(ds, "steady")).result_int() == 200);
    doc = body_json(srv.get("/_emulator/health"));
    CHECK(doc["jobs"].GetUint64() == 4);
    CHECK(doc["faults"].GetUint64() == 2);

    // Merge again with the same job id: it is replaced in place.
    res = srv.call(http::verb::post, "/_emulator/fixtures?mode=merge", document({}, {job_json(ds, "added", "FAILED")}));
    REQUIRE_MESSAGE(res.result_int() == 200, res.body());
    CHECK(job_status(srv.get(job_target(ds, "added"))) == "FAILED");

    // Replace: only the new document remains.
    res = srv.call(http::verb::post, "/_emulator/fixtures?mode=replace",
                   document({datastore_json(ds2)}, {job_json(ds2, "only")}));
    REQUIRE_MESSAGE(res.result_int() == 200, res.body());
    CHECK(std::string(body_json(res)["mode"].GetString()) == "replace");
    expect_error(srv.get(job_target(ds, "steady")), 404, "ResourceNotFoundException", "Datastore");
    CHECK(srv.get(job_target(ds2, "only")).result_int() == 200);
    doc = body_json(srv.get("/_emulator/health"));
    CHECK(doc["datastores"].GetUint64() == 1);
    CHECK(doc["jobs"].GetUint64() == 1);
    CHECK(doc["faults"].GetUint64() == 0);
}

TEST_CASE("fixtures: a bad document is 400 naming the place and reason, and the state is untouched") {
    scenario_server srv(scenario_config(), startup_fixture());
    const auto before = state_of(srv);
    struct bad {
        std::string body;
        const char* mode;
        std::string fragment;
    };
    const bad cases[] = {
        {"{\"jobs\": [", "merge", "fixture (request body): line 1, column 11: malformed JSON"},
        {document({}, {job_json(ds, "x", "DONE")}), "merge", "/jobs/0/jobStatus: value 'DONE' is not valid JobStatus"},
        {document({}, {job_json(ds2, "x")}), "replace", "/jobs/0/datastoreId: datastore " + std::string(ds2)},
        {document({datastore_json(ds2)}, {job_json(ds2, "ok"), job_json(ds2, "x", "SUBMITTED",
                   R"("progression":[{"jobStatus":"COMPLETED"}])")}),
         "merge", "/jobs/1/progression/0: a step needs exactly one of afterPolls and afterSeconds"},
        {document({}, {}, {R"({"id":"boot-throttle","delayMs":1})"}), "merge",
         "/faults/0/id: fault id boot-throttle is already used by the running fault rules"},
        {R"({"datastores":[],"extra":1})", "replace", "/extra: unknown member"},
        {document({datastore_json(ds2), datastore_json(ds2)}, {}), "replace", "/datastores/1/datastoreId: datastore"},
    };
    for (const auto& c : cases) {
        CAPTURE(c.body);
        const auto res = srv.call(http::verb::post, std::string("/_emulator/fixtures?mode=") + c.mode, c.body);
        expect_error(res, 400, "ValidationException", c.fragment);
        CHECK(state_of(srv) == before);
    }
    expect_error(srv.call(http::verb::post, "/_emulator/fixtures?mode=upsert", document({}, {})), 400,
                 "ValidationException", "mode must be merge or replace, not 'upsert'");
    CHECK(state_of(srv) == before);
}

TEST_CASE("state: GET state then POST it with mode=replace restores exactly") {
    scenario_server srv(scenario_config(), startup_fixture());
    // Move things along: two polls of the progression, a fault half spent, a timed job.
    CHECK(job_status(srv.get(job_target(ds, "moving"))) == "SUBMITTED");
    CHECK(job_status(srv.get(job_target(ds, "moving"))) == "IN_PROGRESS");
    auto res = srv.call(http::verb::post, "/_emulator/faults",
                        R"({"id":"half","jobId":"steady","error":"ConflictException","times":2,"after":1})");
    REQUIRE_MESSAGE(res.result_int() == 201, res.body());
    CHECK(srv.get(job_target(ds, "steady")).result_int() == 200);  // `after` spent
    CHECK(srv.get(job_target(ds, "steady")).result_int() == 409);  // one of `times` spent
    res = srv.call(http::verb::post, "/_emulator/fixtures",
                   document({}, {job_json(ds, "timed", "SUBMITTED",
                                          R"("progression":[{"jobStatus":"COMPLETED","afterSeconds":2.5}])")}));
    REQUIRE_MESSAGE(res.result_int() == 200, res.body());
    srv.clock().advance(1000);
    const auto saved = state_of(srv);
    auto doc = body_json(srv.get("/_emulator/state"));
    REQUIRE(doc["jobs"].IsArray());

    // Now change everything.
    CHECK(job_status(srv.get(job_target(ds, "moving"))) == "IN_PROGRESS");
    CHECK(job_status(srv.get(job_target(ds, "moving"))) == "COMPLETED");
    CHECK(srv.get(job_target(ds, "steady")).result_int() == 409);
    REQUIRE(srv.call(http::verb::post, "/_emulator/fixtures?mode=replace", document({datastore_json(ds2)}, {}))
                .result_int() == 200);
    CHECK(state_of(srv) != saved);

    res = srv.call(http::verb::post, "/_emulator/fixtures?mode=replace", saved);
    REQUIRE_MESSAGE(res.result_int() == 200, res.body());
    CHECK(state_of(srv) == saved);
    // And it behaves as it did: the third poll of "moving" is IN_PROGRESS, the fourth COMPLETED;
    // "half" has one error left; "timed" completes 2.5 s after it was loaded.
    CHECK(job_status(srv.get(job_target(ds, "moving"))) == "IN_PROGRESS");
    CHECK(job_status(srv.get(job_target(ds, "moving"))) == "COMPLETED");
    CHECK(srv.get(job_target(ds, "steady")).result_int() == 409);
    CHECK(srv.get(job_target(ds, "steady")).result_int() == 200);
    CHECK(job_status(srv.get(job_target(ds, "timed"))) == "SUBMITTED");
    srv.clock().advance(1500);
    CHECK(job_status(srv.get(job_target(ds, "timed"))) == "COMPLETED");
}

TEST_CASE("faults at run time: POST adds (201, ids), GET lists counts, DELETE one or all") {
    scenario_server srv(scenario_config(), startup_fixture());
    auto res = srv.call(http::verb::post, "/_emulator/faults",
                        R"([{"jobId":"steady","error":"ConflictException","message":"busy","times":2},
                            {"id":"slow","jobId":"moving","delayMs":10}])");
    REQUIRE_MESSAGE(res.result_int() == 201, res.body());
    auto doc = body_json(res);
    REQUIRE(doc["faults"].Size() == 2);
    const std::string assigned = doc["faults"][0]["id"].GetString();
    CHECK(assigned.rfind("fault-", 0) == 0);
    CHECK(std::string(doc["faults"][1]["id"].GetString()) == "slow");
    CHECK(doc["faults"][0]["fired"].GetUint64() == 0);

    expect_error(srv.get(job_target(ds, "steady")), 409, "ConflictException", "busy");
    doc = body_json(srv.get("/_emulator/faults"));
    REQUIRE(doc["faults"].Size() == 3);  // boot-throttle, then the two added, in order
    CHECK(std::string(doc["faults"][0]["id"].GetString()) == "boot-throttle");
    CHECK(doc["faults"][1]["fired"].GetUint64() == 1);
    CHECK(doc["faults"][1]["times"].GetUint64() == 1);

    // The {"faults": [...]} document form is accepted too; a taken id is refused.
    res = srv.call(http::verb::post, "/_emulator/faults", R"({"faults":[{"id":"slow","delayMs":1}]})");
    expect_error(res, 400, "ValidationException", "fault rule id 'slow' is already in use");
    expect_error(srv.call(http::verb::post, "/_emulator/faults", R"({"delayMs":"x"})"), 400, "ValidationException",
                 "fixture (request body): /delayMs: must be a whole number");

    res = srv.call(http::verb::delete_, "/_emulator/faults/" + assigned);
    REQUIRE(res.result_int() == 200);
    CHECK(body_json(res)["faults"].Size() == 2);
    CHECK(srv.get(job_target(ds, "steady")).result_int() == 200);
    expect_error(srv.call(http::verb::delete_, "/_emulator/faults/" + assigned), 404, "ResourceNotFoundException",
                 "Fault rule '" + assigned + "' not found");
    expect_error(srv.call(http::verb::delete_, "/_emulator/faults/nope"), 404, "ResourceNotFoundException", "nope");

    res = srv.call(http::verb::delete_, "/_emulator/faults");
    REQUIRE(res.result_int() == 200);
    CHECK(body_json(srv.get("/_emulator/faults"))["faults"].Size() == 0);
}

TEST_CASE("reset: data, progress, start-up faults with their budgets, journal and throttle buckets") {
    auto cfg = scenario_config();
    cfg.throttling = *server::parse_throttle_policy("1:2");
    scenario_server srv(cfg, startup_fixture());
    const auto startup_state = state_of(srv);

    CHECK(job_status(srv.get(job_target(ds, "moving"))) == "SUBMITTED");
    CHECK(job_status(srv.get(job_target(ds, "moving"))) == "IN_PROGRESS");
    expect_error(srv.get(job_target(ds, "moving")), 429, "ThrottlingException", "Rate exceeded");
    REQUIRE(srv.call(http::verb::post, "/_emulator/fixtures", document({datastore_json(ds2)}, {job_json(ds2, "new")}))
                .result_int() == 200);
    REQUIRE(srv.call(http::verb::delete_, "/_emulator/faults/boot-throttle").result_int() == 200);
    REQUIRE(srv.call(http::verb::post, "/_emulator/faults", R"({"id":"runtime","delayMs":1})").result_int() == 201);
    CHECK(body_json(srv.get("/_emulator/requests"))["requests"].Size() == 3);

    const auto res = srv.call(http::verb::post, "/_emulator/reset");
    REQUIRE_MESSAGE(res.result_int() == 200, res.body());
    const auto doc = body_json(res);
    CHECK(std::string(doc["status"].GetString()) == "reset");
    CHECK(doc["jobs"].GetUint64() == 2);
    CHECK(doc["faults"].GetUint64() == 1);

    CHECK(state_of(srv) == startup_state);
    CHECK(body_json(srv.get("/_emulator/requests"))["requests"].Size() == 0);
    // The start-up fault has its one firing back (it fires before the job is looked up),
    // the progression starts over, and the bucket holds its burst of 2 again.
    expect_error(srv.get(job_target(ds, "limited")), 429, "ThrottlingException", "throttling");
    expect_error(srv.get(job_target(ds, "limited")), 404, "ResourceNotFoundException", "limited");
    srv.clock().advance(1000);
    CHECK(job_status(srv.get(job_target(ds, "moving"))) == "SUBMITTED");
    srv.clock().advance(1000);
    CHECK(job_status(srv.get(job_target(ds, "moving"))) == "IN_PROGRESS");
    CHECK(body_json(srv.get("/_emulator/requests"))["requests"].Size() == 4);
}

TEST_CASE("reset: a time-based progression starts its clock again") {
    scenario_server srv(scenario_config(),
                        document({datastore_json(ds)},
                                 {job_json(ds, "timed", "SUBMITTED",
                                           R"("progression":[{"jobStatus":"COMPLETED","afterSeconds":10}])")}));
    srv.clock().advance(10'000);
    CHECK(job_status(srv.get(job_target(ds, "timed"))) == "COMPLETED");
    REQUIRE(srv.call(http::verb::post, "/_emulator/reset").result_int() == 200);
    // Back to the start-up state: submitted, with the full 10 s still to go.
    CHECK(job_status(srv.get(job_target(ds, "timed"))) == "SUBMITTED");
    srv.clock().advance(9'999);
    CHECK(job_status(srv.get(job_target(ds, "timed"))) == "SUBMITTED");
    srv.clock().advance(1);
    CHECK(job_status(srv.get(job_target(ds, "timed"))) == "COMPLETED");
}

TEST_CASE("reset with nothing changed is harmless") {
    scenario_server srv(scenario_config(), startup_fixture());
    const auto before = state_of(srv);
    REQUIRE(srv.call(http::verb::post, "/_emulator/reset").result_int() == 200);
    REQUIRE(srv.call(http::verb::post, "/_emulator/reset").result_int() == 200);
    CHECK(state_of(srv) == before);
}

const char* const k_guarded[][2] = {
    {"POST", "/_emulator/reset"},  {"POST", "/_emulator/fixtures"}, {"GET", "/_emulator/state"},
    {"GET", "/_emulator/faults"},  {"POST", "/_emulator/faults"},   {"DELETE", "/_emulator/faults"},
    {"DELETE", "/_emulator/faults/x"}, {"PUT", "/_emulator/faults/x"}, {"GET", "/_emulator/requests"},
    {"GET", "/_emulator/requests/1"}, {"DELETE", "/_emulator/requests"}, {"GET", "/_emulator/image-sets"},
    {"GET", "/_emulator/image-sets/a/b"},
};

TEST_CASE("token guard: --admin-token makes every control route but health need the bearer token") {
    auto cfg = scenario_config();
    cfg.admin_token = "s3cret";
    scenario_server srv(cfg, startup_fixture());
    for (const auto& [method, path] : k_guarded) {
        const std::string what = std::string(method) + " " + path;
        CAPTURE(what);
        const auto verb = http::string_to_verb(method);
        expect_error(srv.call(verb, path), 401, "UnauthorizedException", "");
        expect_error(srv.call(verb, path, {}, {{"Authorization", "Bearer wrong"}}), 401, "UnauthorizedException", "");
        expect_error(srv.call(verb, path, {}, {{"Authorization", "Bearer s3cre"}}), 401, "UnauthorizedException", "");
        expect_error(srv.call(verb, path, {}, {{"Authorization", "Bearer s3cretX"}}), 401, "UnauthorizedException", "");
        expect_error(srv.call(verb, path, {}, {{"Authorization", "s3cret"}}), 401, "UnauthorizedException", "");
    }
    CHECK(srv.get("/_emulator/health").result_int() == 200);
    const headers token{{"Authorization", "Bearer s3cret"}};
    CHECK(srv.get("/_emulator/state", token).result_int() == 200);
    CHECK(srv.get("/_emulator/requests", token).result_int() == 200);
    CHECK(srv.call(http::verb::post, "/_emulator/reset", {}, token).result_int() == 200);
    // The API itself is not guarded (SDKs send SigV4, not the token).
    CHECK(srv.get(job_target(ds, "steady"), {{"Authorization", sigv4_authorization("AKIDEXAMPLE")}}).result_int() == 200);
}

TEST_CASE("--no-admin: only health answers; the rest is 404 UnknownOperationException") {
    auto cfg = scenario_config();
    cfg.admin = false;
    scenario_server srv(cfg, startup_fixture());
    CHECK(srv.get("/_emulator/health").result_int() == 200);
    for (const auto& [method, path] : k_guarded) {
        const std::string what = std::string(method) + " " + path;
        CAPTURE(what);
        expect_error(srv.call(http::string_to_verb(method), path), 404, "UnknownOperationException", "No operation matches");
    }
    CHECK(srv.get(job_target(ds, "steady")).result_int() == 200);
}

TEST_CASE("control routes: wrong method and unknown paths are 404 UnknownOperationException") {
    scenario_server srv(scenario_config(), startup_fixture());
    const auto res = srv.call(http::verb::get, "/_emulator/reset");
    expect_error(res, 404, "UnknownOperationException", "this path accepts POST");
    CHECK(res[http::field::allow] == "POST");
    expect_error(srv.get("/_emulator/nothing"), 404, "UnknownOperationException", "No operation matches");
}

}  // namespace
}  // namespace hil::test
