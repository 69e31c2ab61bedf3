// GetDICOMImportJob through the real server: 200 bodies, 404s and 400 validation answers.
#include <doctest/doctest.h>

#include <string>

#include "tests/support/expect.hpp"
#include "tests/support/http_client.hpp"
#include "tests/support/test_server.hpp"

namespace hil::test {
namespace {

server::config sample_config() {
    auto cfg = test_config();
    cfg.empty = false;  // the built-in sample scenario
    return cfg;
}

std::string repeat(char c, std::size_t n) { return std::string(n, c); }

TEST_CASE("200: a completed job, byte for byte") {
    test_server srv(sample_config());
    http_client c(srv.port());
    const auto res = c.get(job_target(sample_datastore, sample_completed_job));
    REQUIRE(res.result_int() == 200);
    check_common_headers(res);
    CHECK(res["x-amzn-ErrorType"].empty());
    CHECK(res.body() ==
          R"({"jobProperties":{"jobId":"5f1e2d3c4b5a69788796a5b4c3d2e1f0","jobName":"ct-chest-batch-01",)"
          R"("jobStatus":"COMPLETED","datastoreId":"b3d1c5e2a4f6078e9d0c1b2a3f4e5d6c",)"
          R"("dataAccessRoleArn":"arn:aws:iam::123456789012:role/HealthImagingImportRole",)"
          R"("endedAt":1761984391.5,"submittedAt":1761984000.152,)"
          R"("inputS3Uri":"s3://hospital-dicom-inbox/ct/2026-11-01/",)"
          R"("outputS3Uri":"s3://hospital-dicom-results/imports/b3d1c5e2a4f6078e9d0c1b2a3f4e5d6c-DicomImport-5f1e2d3c4b5a69788796a5b4c3d2e1f0/"}})");
}

TEST_CASE("200: required members present, optional members absent rather than null, timestamps numbers") {
    test_server srv(sample_config());
    http_client c(srv.port());
    const char* required[] = {"jobId", "jobName", "jobStatus", "datastoreId", "dataAccessRoleArn", "inputS3Uri",
                              "outputS3Uri"};

    SUBCASE("a failed job carries every optional member") {
        const auto doc = parse_json(c.get(job_target(sample_other_datastore, sample_failed_job)));
        REQUIRE(doc.MemberCount() == 1);
        const auto& p = doc["jobProperties"];
        for (const char* m : required) CHECK_MESSAGE((p.HasMember(m) && p[m].IsString()), m);
        CHECK(std::string(p["jobStatus"].GetString()) == "FAILED");
        REQUIRE(p.HasMember("submittedAt"));
        REQUIRE(p["submittedAt"].IsNumber());
        CHECK(p["submittedAt"].GetDouble() == doctest::Approx(1762070400.25).epsilon(1e-12));
        REQUIRE(p["endedAt"].IsNumber());
        CHECK(p["endedAt"].GetDouble() == doctest::Approx(1762070460.75).epsilon(1e-12));
        REQUIRE(p["message"].IsString());
        CHECK(std::string(p["message"].GetString()).find("Access denied to input bucket") == 0);
        CHECK(p.MemberCount() == 10);
    }
    SUBCASE("a job without timestamps or message omits them") {
        const auto res = c.get(job_target(sample_other_datastore, "77aa88bb99cc00dd11ee22ff33aa44bb"));
        REQUIRE(res.result_int() == 200);
        CHECK(res.body().find("null") == std::string::npos);
        const auto doc = parse_json(res);
        const auto& p = doc["jobProperties"];
        for (const char* m : required) CHECK_MESSAGE(p.HasMember(m), m);
        CHECK_FALSE(p.HasMember("submittedAt"));
        CHECK_FALSE(p.HasMember("endedAt"));
        CHECK_FALSE(p.HasMember("message"));
        CHECK(p.MemberCount() == 7);
        CHECK(std::string(p["jobName"].GetString()) == "legacy/ecg#2019");
    }
    SUBCASE("whole seconds print without a fraction, milliseconds keep their leading zeros") {
        const auto in_progress = c.get(job_target(sample_datastore, "8c7b6a5948372615c4d3e2f1a0b9c8d7"));
        CHECK(in_progress.body().find(R"("submittedAt":1764320400,)") != std::string::npos);
        const auto submitted = c.get(job_target(sample_datastore, "1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d"));
        CHECK(submitted.body().find(R"("submittedAt":1764403200.004,)") != std::string::npos);
    }
}

TEST_CASE("404 ResourceNotFoundException names what is missing") {
    test_server srv(sample_config());
    http_client c(srv.port());
    const std::string unknown_ds = repeat('9', 32);

    SUBCASE("unknown datastore") {
        check_error(c.get(job_target(unknown_ds, sample_completed_job)), 404, "ResourceNotFoundException",
                    "Datastore " + unknown_ds + " not found");
    }
    SUBCASE("unknown job") {
        check_error(c.get(job_target(sample_datastore, "abc123")), 404, "ResourceNotFoundException",
                    "Import job abc123 not found in datastore " + std::string(sample_datastore));
    }
    SUBCASE("a job of another datastore is not found in this one") {
        check_error(c.get(job_target(sample_datastore, sample_failed_job)), 404, "ResourceNotFoundException",
                    "Import job " + std::string(sample_failed_job) + " not found in datastore " +
                        std::string(sample_datastore));
    }
}

TEST_CASE("400 ValidationException in AWS's message style") {
    test_server srv(sample_config());
    http_client c(srv.port());
    const std::string ds_pattern = "Member must satisfy regular expression pattern: [0-9a-z]{32}";
    const std::string job_pattern = "Member must satisfy regular expression pattern: [0-9a-z]+";

    SUBCASE("31- and 33-character datastoreIds") {
        for (const std::size_t n : {31u, 33u}) {
            const auto id = repeat('a', n);
            check_error(c.get(job_target(id, "abc")), 400, "ValidationException",
                        "1 validation error detected: Value '" + id + "' at 'datastoreId' failed to satisfy " +
                            "constraint: " + ds_pattern);
        }
    }
    SUBCASE("a 33-character jobId is too long; 32 passes validation") {
        const auto id = repeat('b', 33);
        check_error(c.get(job_target(sample_datastore, id)), 400, "ValidationException",
                    "1 validation error detected: Value '" + id + "' at 'jobId' failed to satisfy constraint: " +
                        "Member must have length less than or equal to 32");
        CHECK(c.get(job_target(sample_datastore, repeat('b', 32))).result_int() == 404);
    }
    SUBCASE("uppercase") {
        check_error(c.get(job_target(sample_datastore, "ABC")), 400, "ValidationException",
                    "1 validation error detected: Value 'ABC' at 'jobId' failed to satisfy constraint: " + job_pattern);
    }
    SUBCASE("both labels wrong: every violation is listed") {
        check_error(c.get(job_target("X", "Y")), 400, "ValidationException",
                    "2 validation errors detected: Value 'X' at 'datastoreId' failed to satisfy constraint: " +
                        ds_pattern + "; Value 'Y' at 'jobId' failed to satisfy constraint: " + job_pattern);
    }
    SUBCASE("percent-encoded characters are decoded before validation") {
        // %62 is 'b', %35 is '5': the real ids, spelled differently.
        const auto res = c.get("/getDICOMImportJob/datastore/%623d1c5e2a4f6078e9d0c1b2a3f4e5d6c/job/%35f1e2d3c4b5a69788796a5b4c3d2e1f0");
        CHECK(res.result_int() == 200);
        // %41 is 'A', which the pattern refuses; the message shows the decoded value.
        check_error(c.get(job_target(sample_datastore, "%41bc")), 400, "ValidationException",
                    "1 validation error detected: Value 'Abc' at 'jobId' failed to satisfy constraint: " + job_pattern);
    }
    SUBCASE("%2F is a character of the label, not a separator") {
        check_error(c.get(job_target(sample_datastore, "ab%2Fcd")), 400, "ValidationException",
                    "1 validation error detected: Value 'ab/cd' at 'jobId' failed to satisfy constraint: " + job_pattern);
    }
    SUBCASE("empty labels") {
        check_error(c.get("/getDICOMImportJob/datastore//job/abc"), 400, "ValidationException",
                    "1 validation error detected: Value '' at 'datastoreId' failed to satisfy constraint: " + ds_pattern);
        check_error(c.get(job_target(sample_datastore, "")), 400, "ValidationException",
                    "2 validation errors detected: Value '' at 'jobId' failed to satisfy constraint: Member must have "
                    "length greater than or equal to 1; Value '' at 'jobId' failed to satisfy constraint: " + job_pattern);
    }
    SUBCASE("query parameters are ignored") {
        CHECK(c.get(job_target(sample_datastore, sample_completed_job) + "?x=1&jobId=zzz").result_int() == 200);
    }
}

}  // namespace
}  // namespace hil::test
