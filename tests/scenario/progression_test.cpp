// Job progression through the real server: by polls (deterministic) and by time (the
// injected manual clock), endedAt and message, progress in the state document.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "tests/scenario/harness.hpp"

namespace hil::test {
namespace {

constexpr std::string_view ds = "b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0";

rapidjson::Document job_doc(scenario_server& srv, std::string_view job) {
    const auto res = srv.get(job_target(ds, job));
    REQUIRE_MESSAGE(res.result_int() == 200, res.body());
    return body_json(res);
}

// The state document's entry for `job`.
rapidjson::Document state_job(scenario_server& srv, std::string_view job) {
    auto doc = body_json(srv.get("/_emulator/state"));
    for (auto& j : doc["jobs"].GetArray()) {
        if (std::string_view(j["jobId"].GetString()) == job) {
            rapidjson::Document out;
            out.CopyFrom(j, out.GetAllocator());
            return out;
        }
    }
    FAIL("job " << job << " not in the state");
    return {};
}

TEST_CASE("progression by polls: polls 1..4 see SUBMITTED, IN_PROGRESS, IN_PROGRESS, COMPLETED") {
    scenario_server srv(scenario_config(),
                        document({datastore_json(ds)},
                                 {job_json(ds, "polled", "SUBMITTED",
                                           R"("progression":[{"jobStatus":"IN_PROGRESS","afterPolls":1},)"
                                           R"({"jobStatus":"COMPLETED","afterPolls":3}])")}));
    std::vector<std::string> seen;
    for (int i = 0; i < 4; ++i) {
        seen.push_back(job_status(srv.get(job_target(ds, "polled"))));
        srv.clock().advance(1000);
    }
    CHECK(seen == std::vector<std::string>{"SUBMITTED", "IN_PROGRESS", "IN_PROGRESS", "COMPLETED"});
    // COMPLETED was reached when poll 3 (2 s after load) was counted.
    const auto doc = job_doc(srv, "polled");
    CHECK(doc["jobProperties"]["endedAt"].GetDouble() == doctest::Approx(static_cast<double>(k_start + 2000) / 1000.0));
    CHECK_FALSE(doc["jobProperties"].HasMember("message"));
    const auto st = state_job(srv, "polled");
    // The fifth poll (job_doc's) came after the last step: it changes nothing and is not counted.
    CHECK(st["progress"]["polls"].GetUint64() == 4);
    CHECK(st["progress"]["stepsReached"].GetUint64() == 2);
    CHECK(st["progress"]["startedAt"].GetDouble() == doctest::Approx(static_cast<double>(k_start) / 1000.0));
    CHECK(std::string(st["jobStatus"].GetString()) == "COMPLETED");
}

TEST_CASE("progression by time: reached as the injected clock passes startedAt + afterSeconds") {
    scenario_server srv(scenario_config(),
                        document({datastore_json(ds)},
                                 {job_json(ds, "timed", "SUBMITTED",
                                           R"("progression":[{"jobStatus":"IN_PROGRESS","afterSeconds":1},)"
                                           R"({"jobStatus":"COMPLETED","afterSeconds":2.5}])")}));
    CHECK(job_status(srv.get(job_target(ds, "timed"))) == "SUBMITTED");
    srv.clock().advance(999);
    CHECK(job_status(srv.get(job_target(ds, "timed"))) == "SUBMITTED");
    srv.clock().advance(1);
    CHECK(job_status(srv.get(job_target(ds, "timed"))) == "IN_PROGRESS");
    // Nobody polls for a minute: the state still shows it completed, at load + 2.5 s.
    srv.clock().advance(60'000);
    CHECK(std::string(state_job(srv, "timed")["jobStatus"].GetString()) == "COMPLETED");
    const auto doc = job_doc(srv, "timed");
    CHECK(std::string(doc["jobProperties"]["jobStatus"].GetString()) == "COMPLETED");
    CHECK(doc["jobProperties"]["endedAt"].GetDouble() == doctest::Approx(static_cast<double>(k_start + 2500) / 1000.0));
}

TEST_CASE("progression: FAILED with the step's message, endedAt from the step when it gives one") {
    scenario_server srv(
        scenario_config(),
        document({datastore_json(ds)},
                 {job_json(ds, "failing", "SUBMITTED",
                           R"("message":"queued","progression":[{"jobStatus":"IN_PROGRESS","afterPolls":1},)"
                           R"({"jobStatus":"FAILED","afterPolls":2,"message":"bucket not readable","endedAt":1764403999.5}])")}));
    auto doc = job_doc(srv, "failing");
    CHECK(std::string(doc["jobProperties"]["message"].GetString()) == "queued");
    CHECK_FALSE(doc["jobProperties"].HasMember("endedAt"));
    CHECK(job_status(srv.get(job_target(ds, "failing"))) == "IN_PROGRESS");
    doc = job_doc(srv, "failing");
    CHECK(std::string(doc["jobProperties"]["jobStatus"].GetString()) == "FAILED");
    CHECK(std::string(doc["jobProperties"]["message"].GetString()) == "bucket not readable");
    CHECK(doc["jobProperties"]["endedAt"].GetDouble() == doctest::Approx(1764403999.5));
}

TEST_CASE("progression: a fixture's progress resumes where it says; startedAt sets the time origin") {
    scenario_server srv(
        scenario_config(),
        document({datastore_json(ds)},
                 {job_json(ds, "resumed", "IN_PROGRESS",
                           R"("progression":[{"jobStatus":"IN_PROGRESS","afterPolls":1},)"
                           R"({"jobStatus":"COMPLETED","afterPolls":3}],"progress":{"polls":2,"stepsReached":1})"),
                  job_json(ds, "old", "SUBMITTED",
                           R"("progression":[{"jobStatus":"COMPLETED","afterSeconds":60}],)"
                           R"("progress":{"startedAt":1764403170})")}));
    CHECK(job_status(srv.get(job_target(ds, "resumed"))) == "IN_PROGRESS");
    CHECK(job_status(srv.get(job_target(ds, "resumed"))) == "COMPLETED");
    // Started 30 s before load: 30 s to go.
    srv.clock().advance(29'999);
    CHECK(job_status(srv.get(job_target(ds, "old"))) == "SUBMITTED");
    srv.clock().advance(1);
    CHECK(job_status(srv.get(job_target(ds, "old"))) == "COMPLETED");
}

TEST_CASE("progression: a job loaded at run time starts its clock at that moment") {
    scenario_server srv(scenario_config(), document({datastore_json(ds)}, {}));
    srv.clock().advance(100'000);
    const auto res = srv.call(http::verb::post, "/_emulator/fixtures",
                              document({}, {job_json(ds, "late", "SUBMITTED",
                                                     R"("progression":[{"jobStatus":"COMPLETED","afterSeconds":5}])")}));
    REQUIRE_MESSAGE(res.result_int() == 200, res.body());
    srv.clock().advance(4'999);
    CHECK(job_status(srv.get(job_target(ds, "late"))) == "SUBMITTED");
    srv.clock().advance(1);
    CHECK(job_status(srv.get(job_target(ds, "late"))) == "COMPLETED");
}

TEST_CASE("progression: errors, GET state and other jobs do not count as polls") {
    scenario_server srv(
        scenario_config(),
        document({datastore_json(ds)},
                 {job_json(ds, "counted", "SUBMITTED", R"("progression":[{"jobStatus":"COMPLETED","afterPolls":1}])"),
                  job_json(ds, "other")}));
    REQUIRE(srv.call(http::verb::post, "/_emulator/faults", R"({"jobId":"counted","error":"ConflictException","times":2})")
                .result_int() == 201);
    CHECK(srv.get(job_target(ds, "counted")).result_int() == 409);
    CHECK(srv.get(job_target(ds, "counted")).result_int() == 409);
    CHECK(srv.get(job_target(ds, "other")).result_int() == 200);
    CHECK(srv.get("/_emulator/state").result_int() == 200);
    CHECK(state_job(srv, "counted")["progress"]["polls"].GetUint64() == 0);
    CHECK(job_status(srv.get(job_target(ds, "counted"))) == "SUBMITTED");
    CHECK(job_status(srv.get(job_target(ds, "counted"))) == "COMPLETED");
}

TEST_CASE("progression: bad steps in a fixture are refused with their place") {
    struct bad {
        const char* members;
        const char* fragment;
    };
    const bad cases[] = {
        {R"("progression":[{"jobStatus":"DONE","afterPolls":1}])", "/jobs/0/progression/0/jobStatus"},
        {R"("progression":[{"jobStatus":"COMPLETED","afterPolls":1,"afterSeconds":1}])",
         "/jobs/0/progression/0: a step needs exactly one of afterPolls and afterSeconds"},
        {R"("progression":[{"jobStatus":"COMPLETED","afterPolls":-1}])", "/jobs/0/progression/0/afterPolls"},
        {R"("progression":[{"jobStatus":"COMPLETED","afterSeconds":-2}])", "/jobs/0/progression/0/afterSeconds"},
        {R"("progression":[{"jobStatus":"COMPLETED","afterPolls":1,"when":1}])", "/jobs/0/progression/0/when: unknown member"},
        {R"("progression":{})", "/jobs/0/progression: must be an array"},
        {R"("progress":{"polls":1})", "/jobs/0/progress: only a job with a progression has progress"},
        {R"("progression":[{"jobStatus":"COMPLETED","afterPolls":1}],"progress":{"stepsReached":2})",
         "/jobs/0/progress/stepsReached: is more than the 1 steps"},
    };
    scenario_server srv(scenario_config(), document({datastore_json(ds)}, {}));
    for (const auto& c : cases) {
        CAPTURE(c.members);
        expect_error(srv.call(http::verb::post, "/_emulator/fixtures", document({}, {job_json(ds, "x", "SUBMITTED", c.members)})),
                     400, "ValidationException", c.fragment);
    }
}

}  // namespace
}  // namespace hil::test
