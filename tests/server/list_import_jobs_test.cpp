// ListDICOMImportJobs through the real server: exact summaries, order, the jobStatus filter,
// pagination (bounds, tokens, jobs started between pages), 404s and query validation.
#include <doctest/doctest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "tests/server/control_plane_support.hpp"
#include "tests/support/expect.hpp"

namespace hil::test {
namespace {

constexpr std::string_view k_ds = "eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee";

std::string numbered_job(std::size_t i) { return "job" + std::to_string(1000 + i); }

// Datastore k_ds (seen from every region) with `n` COMPLETED jobs, the i-th submitted at 1700000000 + i.
std::string numbered_jobs(std::size_t n) {
    std::string out =
        R"({"region":"*","datastores":[{"datastoreId":")" + std::string(k_ds) +
        R"(","datastoreName":"jobs","datastoreStatus":"ACTIVE"},)"
        R"({"datastoreId":"ffffffffffffffffffffffffffffffff","datastoreName":"other","datastoreStatus":"ACTIVE"}],"jobs":[)";
    for (std::size_t i = 0; i < n; ++i) {
        if (i) out += ",";
        out += R"({"jobId":")" + numbered_job(i) + R"(","datastoreId":")" + std::string(k_ds) +
               R"(","jobName":"j","jobStatus":"COMPLETED","dataAccessRoleArn":")" + std::string(k_role) +
               R"(","inputS3Uri":"s3://in-bucket/","outputS3Uri":"s3://out-bucket/","submittedAt":)" +
               std::to_string(1'700'000'000 + i) + "}";
    }
    return out + "]}";
}

std::vector<std::string> newest_first(std::size_t n) {
    std::vector<std::string> out;
    for (std::size_t i = n; i-- > 0;) out.push_back(numbered_job(i));
    return out;
}

std::vector<std::string> listed(cp_server& s, std::string_view ds, std::string_view query = {},
                                const header_list& h = {}) {
    const auto res = s.get(list_jobs_target(ds, query), h);
    REQUIRE_MESSAGE(res.result_int() == 200, res.body());
    return ids_in(res, "jobSummaries", "jobId");
}

TEST_CASE("ListDICOMImportJobs: no jobs is exactly {\"jobSummaries\":[]}") {
    cp_server s(cp_config(), numbered_jobs(0));
    for (const char* query : {"", "maxResults=1", "maxResults=50", "jobStatus=FAILED"}) {
        CAPTURE(query);
        const auto res = s.get(list_jobs_target(k_ds, query));
        CHECK(res.result_int() == 200);
        check_common_headers(res);
        CHECK(res.body() == R"({"jobSummaries":[]})");
    }
}

TEST_CASE("ListDICOMImportJobs: the sample's summaries byte for byte, newest first, without S3 URIs") {
    cp_server s(cp_sample_config());
    const std::string role = R"(","dataAccessRoleArn":"arn:aws:iam::123456789012:role/HealthImagingImportRole")";
    const std::string ds = R"(","datastoreId":")" + std::string(sample_datastore);
    const auto res = s.get(list_jobs_target(sample_datastore));
    REQUIRE(res.result_int() == 200);
    CHECK(
        res.body() ==
        R"({"jobSummaries":[{"jobId":"1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d","jobName":"xray-overnight","jobStatus":"SUBMITTED)" +
            ds + role +
            R"(,"submittedAt":1764403200.004},)"
            R"({"jobId":"8c7b6a5948372615c4d3e2f1a0b9c8d7","jobName":"mri-brain-batch-07","jobStatus":"IN_PROGRESS)" +
            ds + role +
            R"(,"submittedAt":1764320400},)"
            R"({"jobId":"5f1e2d3c4b5a69788796a5b4c3d2e1f0","jobName":"ct-chest-batch-01","jobStatus":"COMPLETED)" +
            ds + role + R"(,"endedAt":1761984391.5,"submittedAt":1761984000.152}]})");
    // A job without timestamps sorts last; a failed one carries its message.
    const std::string other = R"(","datastoreId":")" + std::string(sample_other_datastore);
    CHECK(
        s.get(list_jobs_target(sample_other_datastore)).body() ==
        R"({"jobSummaries":[{"jobId":"d4c3b2a1f0e9d8c7b6a5f4e3d2c1b0a9","jobName":"echo-study-import","jobStatus":"FAILED)" +
            other + role +
            R"(,"endedAt":1762070460.75,"submittedAt":1762070400.25,"message":"Access denied to input )"
            R"(bucket s3://cardio-research-dicom/echo/ - check the data access role"},)"
            R"({"jobId":"77aa88bb99cc00dd11ee22ff33aa44bb","jobName":"legacy/ecg#2019","jobStatus":"COMPLETED)" +
            other + R"(","dataAccessRoleArn":"arn:aws-us-gov:iam::123456789012:role/service-role/ImportRole"}]})");
    CHECK(s.get(list_jobs_target(sample_datastore)).body() == res.body());
}

TEST_CASE("ListDICOMImportJobs: the jobStatus filter") {
    cp_server s(cp_sample_config());
    CHECK(listed(s, sample_datastore, "jobStatus=COMPLETED") ==
          std::vector<std::string>{std::string(sample_completed_job)});
    CHECK(listed(s, sample_datastore, "jobStatus=SUBMITTED") ==
          std::vector<std::string>{"1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d"});
    CHECK(listed(s, sample_datastore, "jobStatus=IN_PROGRESS") ==
          std::vector<std::string>{"8c7b6a5948372615c4d3e2f1a0b9c8d7"});
    CHECK(s.get(list_jobs_target(sample_datastore, "jobStatus=FAILED")).body() == R"({"jobSummaries":[]})");
    CHECK(listed(s, sample_other_datastore, "jobStatus=FAILED") ==
          std::vector<std::string>{std::string(sample_failed_job)});
    CHECK(walk(s, list_jobs_target(sample_datastore, "jobStatus=COMPLETED"), 1, "jobSummaries", "jobId").ids ==
          std::vector<std::string>{std::string(sample_completed_job)});
}

TEST_CASE("ListDICOMImportJobs: started jobs; listing never counts as a poll; time-based steps count as reached") {
    SUBCASE("the default progression") {
        cp_server s;
        const auto ds = active_datastore(s, "polls");
        s.clock().advance(250);
        const auto job = start_job(s, ds);
        for (int i = 0; i < 3; ++i) {
            CHECK(s.get(list_jobs_target(ds)).body() == R"({"jobSummaries":[{"jobId":")" + job + R"(","jobName":")" +
                                                            job +
                                                            R"(","jobStatus":"SUBMITTED",)"
                                                            R"("datastoreId":")" +
                                                            ds + R"(","dataAccessRoleArn":")" + std::string(k_role) +
                                                            R"(","submittedAt":)" + secs(k_t0 + 250) + "}]}");
        }
        // Others see what the last poll answered, no more.
        CHECK(string_at(s.get(job_target(ds, job)), "/jobProperties/jobStatus") == "IN_PROGRESS");
        CHECK(string_at(s.get(list_jobs_target(ds)), "/jobSummaries/0/jobStatus") == "IN_PROGRESS");
        CHECK(listed(s, ds, "jobStatus=IN_PROGRESS") == std::vector<std::string>{job});
        CHECK(string_at(s.get(job_target(ds, job)), "/jobProperties/jobStatus") == "COMPLETED");
        CHECK(listed(s, ds, "jobStatus=COMPLETED") == std::vector<std::string>{job});
        CHECK(listed(s, ds, "jobStatus=IN_PROGRESS").empty());
    }
    SUBCASE("a time-based progression") {
        auto cfg = cp_config();
        cfg.lifecycle.import_job = {{"COMPLETED", std::nullopt, 1000, std::nullopt, std::nullopt}};
        cp_server s(cfg, numbered_jobs(0));
        const auto job = start_job(s, k_ds);
        CHECK(listed(s, k_ds, "jobStatus=SUBMITTED") == std::vector<std::string>{job});
        s.clock().advance(1000);
        CHECK(listed(s, k_ds, "jobStatus=SUBMITTED").empty());
        const auto res = s.get(list_jobs_target(k_ds, "jobStatus=COMPLETED"));
        CHECK(ids_in(res, "jobSummaries", "jobId") == std::vector<std::string>{job});
        CHECK(res.body().find(R"("endedAt":)" + secs(k_t0 + 1000) + R"(,"submittedAt":)" + secs(k_t0) + "}") !=
              std::string::npos);
    }
}

TEST_CASE("ListDICOMImportJobs pagination: page sizes at their bounds") {
    SUBCASE("maxResults equal to the count: no nextToken") {
        cp_server s(cp_config(), numbered_jobs(4));
        const auto res = s.get(list_jobs_target(k_ds, "maxResults=4"));
        CHECK(ids_in(res, "jobSummaries", "jobId") == newest_first(4));
        CHECK(res.body().find("nextToken") == std::string::npos);
        const auto three = s.get(list_jobs_target(k_ds, "maxResults=3"));
        CHECK(ids_in(three, "jobSummaries", "jobId") ==
              std::vector<std::string>{numbered_job(3), numbered_job(2), numbered_job(1)});
        REQUIRE(next_token_of(three).has_value());
        const auto rest =
            s.get(list_jobs_target(k_ds, "maxResults=3&nextToken=" + percent_encode(*next_token_of(three))));
        CHECK(ids_in(rest, "jobSummaries", "jobId") == std::vector<std::string>{numbered_job(0)});
        CHECK_FALSE(next_token_of(rest).has_value());
    }
    SUBCASE("maxResults=1 walks every job once") {
        cp_server s(cp_config(), numbered_jobs(6));
        const auto w = walk(s, list_jobs_target(k_ds), 1, "jobSummaries", "jobId");
        CHECK(w.ids == newest_first(6));
        CHECK(w.pages == 6);
    }
    SUBCASE("maxResults=50 and the default: 51 jobs take two pages") {
        cp_server s(cp_config(), numbered_jobs(51));
        const auto all = newest_first(51);
        for (const char* query : {"maxResults=50", ""}) {
            CAPTURE(query);
            const auto first = s.get(list_jobs_target(k_ds, query));
            CHECK(ids_in(first, "jobSummaries", "jobId") == std::vector<std::string>(all.begin(), all.begin() + 50));
            const auto token = next_token_of(first);
            REQUIRE(token.has_value());
            const auto second = s.get(list_jobs_target(k_ds, "nextToken=" + percent_encode(*token)));
            CHECK(ids_in(second, "jobSummaries", "jobId") == std::vector<std::string>{numbered_job(0)});
            CHECK_FALSE(next_token_of(second).has_value());
        }
        CHECK(walk(s, list_jobs_target(k_ds), 50, "jobSummaries", "jobId").ids == all);
    }
    SUBCASE("jobs in the same millisecond: by id, newest first, each once") {
        cp_server s(cp_config(), numbered_jobs(0));
        std::vector<std::string> started;
        for (int i = 0; i < 5; ++i) started.push_back(start_job(s, k_ds));
        std::sort(started.rbegin(), started.rend());
        CHECK(walk(s, list_jobs_target(k_ds), 2, "jobSummaries", "jobId").ids == started);
    }
}

TEST_CASE("ListDICOMImportJobs pagination: jobs started between pages are not repeated, none listed is lost") {
    cp_server s(cp_config(), numbered_jobs(0));
    std::vector<std::string> started;
    for (int i = 0; i < 5; ++i) {
        started.push_back(start_job(s, k_ds));
        s.clock().advance(5);
    }
    const std::vector<std::string> expected(started.rbegin(), started.rend());
    auto res = s.get(list_jobs_target(k_ds, "maxResults=2"));
    auto seen = ids_in(res, "jobSummaries", "jobId");
    auto token = next_token_of(res);
    std::vector<std::string> late;
    while (token) {
        late.push_back(start_job(s, k_ds));
        s.clock().advance(5);
        res = s.get(list_jobs_target(k_ds, "maxResults=2&nextToken=" + percent_encode(*token)));
        REQUIRE(res.result_int() == 200);
        const auto ids = ids_in(res, "jobSummaries", "jobId");
        seen.insert(seen.end(), ids.begin(), ids.end());
        token = next_token_of(res);
    }
    CHECK(seen == expected);
    CHECK(late.size() == 2);
    auto fresh = std::vector<std::string>(late.rbegin(), late.rend());
    fresh.insert(fresh.end(), expected.begin(), expected.end());
    CHECK(walk(s, list_jobs_target(k_ds), 4, "jobSummaries", "jobId").ids == fresh);
}

TEST_CASE("ListDICOMImportJobs 400: tokens this list did not issue") {
    cp_server s(cp_config(), numbered_jobs(4));
    const auto token = next_token_of(s.get(list_jobs_target(k_ds, "maxResults=1")));
    REQUIRE(token.has_value());
    const auto page = [&](std::string_view ds, const std::string& t, std::string_view extra = {},
                          const header_list& h = {}) {
        return s.get(list_jobs_target(ds, "maxResults=1&nextToken=" + percent_encode(t) + std::string(extra)), h);
    };
    REQUIRE(page(k_ds, *token).result_int() == 200);
    const std::string invalid = "Invalid pagination token";
    check_error(page(k_ds, "bm90LWEtdG9rZW4"), 400, "ValidationException", invalid);
    check_error(page(k_ds, token->substr(0, token->size() - 2)), 400, "ValidationException", invalid);
    auto altered = *token;
    altered[3] = altered[3] == 'x' ? 'y' : 'x';
    check_error(page(k_ds, altered), 400, "ValidationException", invalid);
    // Another datastore, another filter, another region (the datastore is seen from every region).
    check_error(page("ffffffffffffffffffffffffffffffff", *token), 400, "ValidationException", invalid);
    check_error(page(k_ds, *token, "&jobStatus=COMPLETED"), 400, "ValidationException", invalid);
    check_error(page(k_ds, *token, {}, in_region("eu-west-1")), 400, "ValidationException", invalid);
    CHECK(listed(s, k_ds, {}, in_region("eu-west-1")).size() == 4);
    // ListDatastores' token.
    const auto datastores_token = next_token_of(s.get("/datastore?maxResults=1"));
    REQUIRE(datastores_token.has_value());
    check_error(page(k_ds, *datastores_token), 400, "ValidationException", invalid);
    check_error(s.get("/datastore?nextToken=" + percent_encode(*token)), 400, "ValidationException", invalid);
}

TEST_CASE("ListDICOMImportJobs 404 and 400") {
    cp_server s(cp_config(), numbered_jobs(1));
    const std::string unknown(32, '3');
    check_error(s.get(list_jobs_target(unknown)), 404, "ResourceNotFoundException",
                "Datastore " + unknown + " not found");
    const auto dublin = active_datastore(s, "dublin", in_region("eu-west-1"));
    check_error(s.get(list_jobs_target(dublin)), 404, "ResourceNotFoundException",
                "Datastore " + dublin + " not found");
    CHECK(s.get(list_jobs_target(dublin), in_region("eu-west-1")).body() == R"({"jobSummaries":[]})");

    CHECK(listed(s, k_ds, "maxResults=1").size() == 1);
    check_error(s.get(list_jobs_target(k_ds, "maxResults=0")), 400, "ValidationException",
                "1 validation error detected: Value '0' at 'maxResults' failed to satisfy constraint: Member must have "
                "value greater than or equal to 1");
    check_error(s.get(list_jobs_target(k_ds, "maxResults=51")), 400, "ValidationException",
                one_violation("maxResults", "51", "Member must have value less than or equal to 50"));
    check_error(s.get(list_jobs_target(k_ds, "maxResults=ten")), 400, "SerializationException",
                "Value 'ten' at 'maxResults' is not an integer");
    check_error(s.get(list_jobs_target(k_ds, "jobStatus=DONE")), 400, "ValidationException",
                one_violation("jobStatus", "DONE",
                              "Member must satisfy enum value set: [SUBMITTED, IN_PROGRESS, COMPLETED, FAILED]"));
    check_error(s.get(list_jobs_target(k_ds, "nextToken=")), 400, "ValidationException",
                one_violation("nextToken", "", "Member must have length greater than or equal to 1"));
    // Every violation, label first, then the query members in the model's order.
    check_error(s.get(list_jobs_target("Bad", "maxResults=99&jobStatus=done")), 400, "ValidationException",
                "3 validation errors detected: Value 'Bad' at 'datastoreId' failed to satisfy constraint: Member must "
                "satisfy regular expression pattern: " +
                    std::string(k_datastore_id_pattern) +
                    "; Value 'done' at 'jobStatus' failed to satisfy constraint: Member must satisfy enum value set: "
                    "[SUBMITTED, IN_PROGRESS, COMPLETED, FAILED]; Value '99' at 'maxResults' failed to satisfy "
                    "constraint: Member must have value less than or equal to 50");
}

}  // namespace
}  // namespace hil::test
