// Answers kept in the answer cache never outlive the state they were rendered from: every
// write, fixture load and reset is seen by the next identical read.
#include <doctest/doctest.h>

#include <string>

#include "tests/server/control_plane_support.hpp"
#include "tests/support/expect.hpp"

namespace hil::test {
namespace {

std::string job_name_of(cp_server& s) {
    const auto res = s.get(job_target(sample_datastore, sample_completed_job));
    REQUIRE(res.result_int() == 200);
    return string_at(res, "/jobProperties/jobName");
}

TEST_CASE("cached GetDICOMImportJob and GetDatastore answers follow a fixture load and a reset") {
    auto cfg = cp_sample_config();
    REQUIRE(cfg.answer_cache_mb > 0);
    cp_server s(cfg);
    CHECK(job_name_of(s) == "ct-chest-batch-01");
    CHECK(job_name_of(s) == "ct-chest-batch-01");  // the second one is answered from the cache
    const std::string renamed =
        R"({"datastores":[{"datastoreId":")" + std::string(sample_datastore) +
        R"(","datastoreName":"renamed","datastoreStatus":"ACTIVE"}],"jobs":[{"jobId":")" + std::string(sample_completed_job) + R"(","datastoreId":")" +
        std::string(sample_datastore) +
        R"(","jobName":"renamed","jobStatus":"COMPLETED","dataAccessRoleArn":"arn:aws:iam::123456789012:role/R",)"
        R"("inputS3Uri":"s3://in-bucket/","outputS3Uri":"s3://out-bucket/"}]})";
    const auto before = s.get(datastore_target(sample_datastore));
    REQUIRE(before.result_int() == 200);
    REQUIRE(s.get(datastore_target(sample_datastore)).body() == before.body());
    REQUIRE(s.post("/_emulator/fixtures?mode=replace", renamed).result_int() == 200);
    CHECK(job_name_of(s) == "renamed");
    CHECK(string_at(s.get(datastore_target(sample_datastore)), "/datastoreProperties/datastoreName") == "renamed");
    REQUIRE(s.post("/_emulator/reset", "").result_int() == 200);
    CHECK(job_name_of(s) == "ct-chest-batch-01");
    CHECK(s.get(datastore_target(sample_datastore)).body() == before.body());
}

TEST_CASE("a cached ListDICOMImportJobs page follows StartDICOMImportJob") {
    cp_server s(cp_sample_config());
    const auto first = s.get(list_jobs_target(sample_datastore));
    REQUIRE(first.result_int() == 200);
    REQUIRE(s.get(list_jobs_target(sample_datastore)).body() == first.body());
    s.clock().advance(1000);  // after the sample's newest job
    const auto job = start_job(s, sample_datastore);
    const auto after = s.get(list_jobs_target(sample_datastore));
    REQUIRE(after.result_int() == 200);
    CHECK(ids_in(after, "jobSummaries", "jobId").front() == job);

}

}  // namespace
}  // namespace hil::test
