// Scripted faults from fixture files, through the real server.
#include <doctest/doctest.h>

#include <string>

#include "tests/support/expect.hpp"
#include "tests/support/http_client.hpp"
#include "tests/support/test_server.hpp"

namespace hil::test {
namespace {

constexpr std::string_view ds = "11111111111111111111111111111111";

std::string job_json(std::string_view job_id) {
    return R"({"jobId":")" + std::string(job_id) + R"(","datastoreId":")" + std::string(ds) +
           R"(","jobName":"j","jobStatus":"COMPLETED","dataAccessRoleArn":"arn:aws:iam::123456789012:role/R",)"
           R"("inputS3Uri":"s3://in-bucket/","outputS3Uri":"s3://out-bucket/"})";
}

std::string fault_json(std::string_view job_id, std::string_view error, std::string_view message, int times = 0) {
    std::string f = R"({"operation":"GetDICOMImportJob","datastoreId":")" + std::string(ds) + R"(","jobId":")" +
                    std::string(job_id) + R"(","error":")" + std::string(error) + R"(")";
    if (!message.empty()) f += R"(,"message":")" + std::string(message) + R"(")";
    if (times > 0) f += R"(,"times":)" + std::to_string(times);
    return f + "}";
}

std::string fixtures() {
    return R"({"datastores":[{"datastoreId":")" + std::string(ds) +
           R"(","datastoreName":"faulty","datastoreStatus":"ACTIVE"}],)"
           R"("jobs":[)" + job_json("flaky") + "," + job_json("steady") + "," + job_json("denied") + R"(],)"
           R"("faults":[)" +
           fault_json("denied", "AccessDeniedException", "no access for you") + "," +
           fault_json("conflict", "ConflictException", "job is busy") + "," +
           fault_json("throttled", "ThrottlingException", "slow down") + "," +
           fault_json("broken", "InternalServerException", "disk on fire") + "," +
           fault_json("invalid", "ValidationException", "bad input, says the fixture") + "," +
           fault_json("gone", "ResourceNotFoundException", "vanished") + "," +
           fault_json("plain", "ThrottlingException", "") + "," +
           fault_json("flaky", "ThrottlingException", "twice only", 2) + "]}";
}

TEST_CASE("each documented error from a fault: status, x-amzn-ErrorType and the fixture's message") {
    test_server srv(test_config(), fixtures());
    http_client c(srv.port());
    struct expectation {
        const char* job;
        unsigned status;
        const char* type;
        const char* message;
    };
    const expectation cases[] = {
        {"denied", 403, "AccessDeniedException", "no access for you"},
        {"conflict", 409, "ConflictException", "job is busy"},
        {"throttled", 429, "ThrottlingException", "slow down"},
        {"broken", 500, "InternalServerException", "disk on fire"},
        {"invalid", 400, "ValidationException", "bad input, says the fixture"},
        {"gone", 404, "ResourceNotFoundException", "vanished"},
        {"plain", 429, "ThrottlingException", "The request was denied due to throttling."},
    };
    for (const auto& e : cases) {
        CAPTURE(e.job);
        // Faults without `times` fire on every matching request.
        for (int i = 0; i < 3; ++i) check_error(c.get(job_target(ds, e.job)), e.status, e.type, e.message);
    }
}

TEST_CASE("times: 2 fires exactly twice, then the job is served; other jobs are never affected") {
    test_server srv(test_config(), fixtures());
    http_client c(srv.port());
    CHECK(c.get(job_target(ds, "steady")).result_int() == 200);
    check_error(c.get(job_target(ds, "flaky")), 429, "ThrottlingException", "twice only");
    CHECK(c.get(job_target(ds, "steady")).result_int() == 200);
    check_error(c.get(job_target(ds, "flaky")), 429, "ThrottlingException", "twice only");
    for (int i = 0; i < 3; ++i) {
        const auto res = c.get(job_target(ds, "flaky"));
        CHECK(res.result_int() == 200);
        CHECK(res.body().find(R"("jobId":"flaky")") != std::string::npos);
    }
    // A fault for another datastore with the same job id does not match.
    CHECK(c.get(job_target(std::string(32, '2'), "denied")).result_int() == 404);
}

TEST_CASE("faults reach only their operation's route; unmatched requests are validated as usual") {
    test_server srv(test_config(), fixtures());
    http_client c(srv.port());
    // The control endpoint carries no operation, so no fault reaches it.
    CHECK(c.get("/_emulator/health").result_int() == 200);
    // An invalid jobId that no fault names is still a validation error.
    CHECK(c.get(job_target(ds, "NOPE")).result_int() == 400);
}

}  // namespace
}  // namespace hil::test
