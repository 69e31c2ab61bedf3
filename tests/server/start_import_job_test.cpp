// StartDICOMImportJob through the real server: the answer and the job it makes, every
// member's constraints (nested ones in importConfiguration included), idempotency, the
// concurrent-import quota, and the progression a job gets (flag, datastore, import rules).
#include <doctest/doctest.h>

#include <string>
#include <utility>
#include <vector>

#include "tests/server/control_plane_support.hpp"
#include "tests/support/expect.hpp"

namespace hil::test {
namespace {

constexpr std::string_view k_ds = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
constexpr std::string_view k_s3_pattern = R"(s3://[a-z0-9][\.\-a-z0-9]{1,61}[a-z0-9](/.*)?)";
constexpr std::string_view k_role_pattern = "arn:aws(-[^:]+)?:iam::[0-9]{12}:role/.+";
constexpr std::string_view k_path_pattern = "[a-zA-Z0-9!-~]+([a-zA-Z0-9!-~ ]*[a-zA-Z0-9!-~]+)*";
constexpr std::string_view k_mappings_path =
    "importConfiguration.dicomJsonMetadataImportConfiguration.dicomMetadataMappings";

std::string pattern_violation(std::string_view pattern) {
    return "Member must satisfy regular expression pattern: " + std::string(pattern);
}

std::string null_at(std::string_view member) {
    return "Value null at '" + std::string(member) + "' failed to satisfy constraint: Member must not be null";
}

// One ACTIVE fixture datastore k_ds, plus `extra` raw top-level members (e.g. importRules).
std::string one_datastore(std::string_view datastore_extra = {}, std::string_view extra = {}) {
    std::string d = R"({"datastores":[{"datastoreId":")" + std::string(k_ds) +
                    R"(","datastoreName":"imports","datastoreStatus":"ACTIVE")";
    if (!datastore_extra.empty()) d += "," + std::string(datastore_extra);
    d += "}]";
    if (!extra.empty()) d += "," + std::string(extra);
    return d + "}";
}

std::string job_status_of(cp_server& s, std::string_view ds, std::string_view job) {
    return string_at(s.get(job_target(ds, job)), "/jobProperties/jobStatus");
}

std::string mapping_config(std::string_view mappings) {
    return R"("importConfiguration":{"dicomJsonMetadataImportConfiguration":{"dicomMetadataMappings":)" +
           std::string(mappings) + "}}";
}

TEST_CASE(
    "StartDICOMImportJob 200: SUBMITTED, then IN_PROGRESS, then COMPLETED with endedAt; outputS3Uri as AWS reports "
    "it") {
    cp_server s;
    const auto ds = active_datastore(s, "imports");
    s.clock().advance(500);
    const auto submitted = k_t0 + 500;
    const auto res = s.post(start_target(ds), start_body("t1", "s3://in-bucket/dicom/", "s3://out-bucket/results/",
                                                         R"("jobName":"ct-batch")"));
    REQUIRE(res.result_int() == 200);
    check_common_headers(res);
    const auto job = string_at(res, "/jobId");
    CHECK(job.size() == 32);
    CHECK(job.find_first_not_of("0123456789abcdef") == std::string::npos);
    CHECK(res.body() == R"({"datastoreId":")" + ds + R"(","jobId":")" + job +
                            R"(","jobStatus":"SUBMITTED","submittedAt":)" + secs(submitted) + "}");

    const auto properties = [&](std::string_view status, std::string_view ended) {
        return R"({"jobProperties":{"jobId":")" + job + R"(","jobName":"ct-batch","jobStatus":")" +
               std::string(status) + R"(","datastoreId":")" + ds + R"(","dataAccessRoleArn":")" + std::string(k_role) +
               "\"," + std::string(ended) + R"("submittedAt":)" + secs(submitted) +
               R"(,"inputS3Uri":"s3://in-bucket/dicom/","outputS3Uri":"s3://out-bucket/results/)" + ds +
               "-DicomImport-" + job + R"(/"}})";
    };
    s.clock().advance(1000);
    CHECK(s.get(job_target(ds, job)).body() == properties("IN_PROGRESS", ""));
    s.clock().advance(1000);
    // COMPLETED dates from the first poll, whose count reached it; the second poll sees it.
    const auto done = properties("COMPLETED", R"("endedAt":)" + secs(submitted + 1000) + ",");
    CHECK(s.get(job_target(ds, job)).body() == done);
    CHECK(s.get(job_target(ds, job)).body() == done);
}

TEST_CASE("StartDICOMImportJob: optional members; without jobName the job is named by its id") {
    cp_server s;
    const auto ds = active_datastore(s, "imports");
    const std::string config = mapping_config(
        R"([{"studyInstanceUID":"1.2.840.1","seriesInstanceUID":"1.2.840.1.2","metadataFilePath":"study one/meta.json"}])");
    const auto res = s.post(start_target(ds), start_body("t1", "s3://in-bucket/", "s3://out-bucket/",
                                                         R"("inputOwnerAccountId":"210987654321",)" + config));
    REQUIRE(res.result_int() == 200);
    const auto job = string_at(res, "/jobId");
    const auto got = s.get(job_target(ds, job));
    CHECK(string_at(got, "/jobProperties/jobName") == job);
    // The configuration comes back as it was sent; the owner account is not a member of the answer.
    CHECK(got.body().ends_with(R"(,"outputS3Uri":"s3://out-bucket/)" + ds + "-DicomImport-" + job + R"(/",)" + config +
                               "}}"));
    CHECK(got.body().find("210987654321") == std::string::npos);
}

TEST_CASE("StartDICOMImportJob: each member at its boundaries") {
    cp_server s(cp_config(), one_datastore());
    const auto target = start_target(k_ds);
    const auto ok = [&](std::string_view input, std::string_view output, std::string_view extra) {
        const auto res = s.post(target, start_body(fresh_token(), input, output, extra));
        CHECK_MESSAGE(res.result_int() == 200, input << " " << output << " " << extra << " -> " << res.body());
    };
    const auto refused = [&](std::string body, const std::string& message) {
        check_error(s.post(target, std::move(body)), 400, "ValidationException", message);
    };
    const std::string in = "s3://in-bucket/", out = "s3://out-bucket/";

    SUBCASE("jobName: 1 and 64 characters pass, 65 and 0 do not; the pattern") {
        ok(in, out, R"("jobName":"j")");
        ok(in, out, R"("jobName":")" + std::string(64, 'j') + "\"");
        ok(in, out, R"("jobName":"legacy/ecg#2019_v1.2-x")");
        refused(
            start_body("a", in, out, R"("jobName":")" + std::string(65, 'j') + "\""),
            one_violation("jobName", std::string(64, 'j') + "...", "Member must have length less than or equal to 64"));
        refused(start_body("a", in, out, R"("jobName":"")"),
                "2 validation errors detected: Value '' at 'jobName' failed to satisfy constraint: Member must have "
                "length greater than or equal to 1; Value '' at 'jobName' failed to satisfy constraint: " +
                    pattern_violation(k_name_pattern));
        refused(start_body("a", in, out, R"("jobName":"two words")"),
                one_violation("jobName", "two words", pattern_violation(k_name_pattern)));
    }
    SUBCASE("clientToken: 64 passes, 65 does not") {
        CHECK(s.post(target, start_body(std::string(64, 'c'))).result_int() == 200);
        refused(start_body(std::string(65, 'c')), one_violation("clientToken", std::string(64, 'c') + "...",
                                                                "Member must have length less than or equal to 64"));
        refused(start_body("a b"), one_violation("clientToken", "a b", pattern_violation(k_token_pattern)));
    }
    SUBCASE("dataAccessRoleArn: at least 20 characters, the pattern") {
        const auto with_role = [&](std::string_view role) {
            return R"({"dataAccessRoleArn":")" + std::string(role) + R"(","clientToken":")" + fresh_token() +
                   R"(","inputS3Uri":"s3://in-bucket/","outputS3Uri":"s3://out-bucket/"})";
        };
        CHECK(s.post(target, with_role("arn:aws-cn:iam::123456789012:role/R")).result_int() == 200);
        CHECK(s.post(target, with_role("arn:aws:iam::123456789012:role/service-role/Import")).result_int() == 200);
        const std::string short_role = "arn:aws:iam::1:role";  // 19 characters
        REQUIRE(short_role.size() == 19);
        refused(with_role(short_role), "2 validation errors detected: Value '" + short_role +
                                           "' at 'dataAccessRoleArn' failed to satisfy "
                                           "constraint: Member must have length greater than or equal to 20; Value '" +
                                           short_role + "' at 'dataAccessRoleArn' failed to satisfy constraint: " +
                                           pattern_violation(k_role_pattern));
        refused(with_role("arn:aws:iam::123456789012:user/Bob"),
                one_violation("dataAccessRoleArn", "arn:aws:iam::123456789012:user/Bob",
                              pattern_violation(k_role_pattern)));
    }
    SUBCASE("inputS3Uri / outputS3Uri: buckets of 3 to 63 characters, lower case, at most 1024 characters") {
        ok("s3://abc", out, {});
        ok("s3://" + std::string(63, 'b') + "/key", out, {});
        ok("s3://my.bucket-1/any path/at all", "s3://out-bucket", {});
        const std::string max_uri = "s3://in-bucket/" + std::string(1024 - 15, 'k');
        REQUIRE(max_uri.size() == 1024);
        ok(max_uri, out, {});
        for (const auto& bad :
             {std::string("s3://ab"), "s3://" + std::string(64, 'b') + "/", std::string("s3://Bucket/"),
              std::string("s3://-bucket/"), std::string("s3://bucket-/x"), std::string("https://bucket/"),
              std::string("s3:/bucket/")}) {
            CAPTURE(bad);
            refused(start_body("a", bad, out),
                    one_violation("inputS3Uri", bad.size() > 64 ? bad.substr(0, 64) + "..." : bad,
                                  pattern_violation(k_s3_pattern)));
        }
        refused(start_body("a", max_uri + "k", out),
                one_violation("inputS3Uri", max_uri.substr(0, 64) + "...",
                              "Member must have length less than or equal to 1024"));
        refused(start_body("a", in, "s3://x/"),
                one_violation("outputS3Uri", "s3://x/", pattern_violation(k_s3_pattern)));
    }
    SUBCASE("inputOwnerAccountId: exactly 12 digits") {
        ok(in, out, R"("inputOwnerAccountId":"000000000000")");
        refused(
            start_body("a", in, out, R"("inputOwnerAccountId":"12345678901")"),
            one_violation("inputOwnerAccountId", "12345678901", "Member must have length greater than or equal to 12"));
        refused(
            start_body("a", in, out, R"("inputOwnerAccountId":"1234567890123")"),
            one_violation("inputOwnerAccountId", "1234567890123", "Member must have length less than or equal to 12"));
        refused(start_body("a", in, out, R"("inputOwnerAccountId":"12345678901a")"),
                one_violation("inputOwnerAccountId", "12345678901a", pattern_violation("\\d+")));
    }
    SUBCASE("the datastoreId label") {
        check_error(s.post(start_target("nope"), start_body("a")), 400, "ValidationException",
                    one_violation("datastoreId", "nope", pattern_violation(k_datastore_id_pattern)));
    }
}

TEST_CASE("StartDICOMImportJob 400: required members, listed in the model's member order with the label") {
    cp_server s(cp_config(), one_datastore());
    check_error(s.post(start_target(k_ds), "{}"), 400, "ValidationException",
                "4 validation errors detected: " + null_at("dataAccessRoleArn") + "; " + null_at("clientToken") + "; " +
                    null_at("inputS3Uri") + "; " + null_at("outputS3Uri"));
    check_error(s.post(start_target(k_ds), ""), 400, "ValidationException",
                "4 validation errors detected: " + null_at("dataAccessRoleArn") + "; " + null_at("clientToken") + "; " +
                    null_at("inputS3Uri") + "; " + null_at("outputS3Uri"));
    check_error(
        s.post(start_target("X"), R"({"outputS3Uri":"s3://out-bucket/","jobName":"a b","inputOwnerAccountId":"1"})"),
        400, "ValidationException",
        "6 validation errors detected: Value 'a b' at 'jobName' failed to satisfy constraint: " +
            pattern_violation(k_name_pattern) + "; " + null_at("dataAccessRoleArn") + "; " + null_at("clientToken") +
            "; Value 'X' at 'datastoreId' failed to satisfy constraint: " + pattern_violation(k_datastore_id_pattern) +
            "; " + null_at("inputS3Uri") +
            "; Value '1' at 'inputOwnerAccountId' failed to satisfy constraint: Member must have length greater "
            "than or equal to 12");
    // Unknown members are ignored.
    CHECK(s.post(start_target(k_ds),
                 start_body("t", "s3://in-bucket/", "s3://out-bucket/", R"("priority":"high","tags":{})"))
              .result_int() == 200);
}

TEST_CASE("StartDICOMImportJob: violations nested in importConfiguration name their path") {
    cp_server s(cp_config(), one_datastore());
    const auto start = [&](std::string_view config, std::string_view token = "a") {
        return s.post(start_target(k_ds), start_body(token, "s3://in-bucket/", "s3://out-bucket/", config));
    };
    const std::string item1 = std::string(k_mappings_path) + ".1.member";
    check_error(start(mapping_config(R"([{"metadataFilePath":"meta.json"}])")), 400, "ValidationException",
                "1 validation error detected: " + null_at(item1 + ".studyInstanceUID"));
    check_error(
        start(mapping_config(R"([{"studyInstanceUID":"1.2","metadataFilePath":"ok.json"},)"
                             R"({"studyInstanceUID":"1.2.a","seriesInstanceUID":"9","metadataFilePath":" x"}])")),
        400, "ValidationException",
        "2 validation errors detected: Value '1.2.a' at '" + std::string(k_mappings_path) +
            ".2.member.studyInstanceUID' failed to satisfy constraint: " + pattern_violation("[0-9.]+") +
            "; Value ' x' at '" + std::string(k_mappings_path) +
            ".2.member.metadataFilePath' failed to satisfy constraint: " + pattern_violation(k_path_pattern));
    check_error(start(mapping_config("[]")), 400, "ValidationException",
                one_violation(k_mappings_path, "[]", "Member must have length greater than or equal to 1"));
    check_error(start(R"("importConfiguration":{"dicomJsonMetadataImportConfiguration":{}})"), 400,
                "ValidationException", "1 validation error detected: " + null_at(k_mappings_path));
    check_error(start(mapping_config(R"([null])")), 400, "ValidationException",
                "1 validation error detected: " + null_at(item1));
    // Together with a top-level violation: the model's order (clientToken before importConfiguration).
    check_error(
        s.post(start_target(k_ds), R"({"dataAccessRoleArn":")" + std::string(k_role) +
                                       R"(","inputS3Uri":"s3://in-bucket/","outputS3Uri":"s3://out-bucket/",)" +
                                       mapping_config(R"([{"studyInstanceUID":"1"}])") + "}"),
        400, "ValidationException",
        "2 validation errors detected: " + null_at("clientToken") + "; " + null_at(item1 + ".metadataFilePath"));
    // 1000 mappings pass, 1001 do not.
    const auto mappings = [](int n) {
        std::string out = "[";
        for (int i = 0; i < n; ++i)
            out += std::string(i ? "," : "") + R"({"studyInstanceUID":"1","metadataFilePath":"m"})";
        return out + "]";
    };
    const auto many = mappings(1001);
    CHECK(start(mapping_config(mappings(1000)), "thousand").result_int() == 200);
    check_error_prefix(start(mapping_config(many)), 400, "ValidationException",
                       "1 validation error detected: Value '[{studyInstanceUID=1, metadataFilePath=m}, ");
    CHECK(error_message(start(mapping_config(many)))
              .ends_with("' at '" + std::string(k_mappings_path) +
                         "' failed to satisfy constraint: Member must have length less than or equal to 1000"));
}

TEST_CASE("StartDICOMImportJob 400 SerializationException: wrong JSON types and malformed unions") {
    cp_server s(cp_config(), one_datastore());
    const auto start = [&](std::string_view extra) {
        return s.post(start_target(k_ds), start_body("a", "s3://in-bucket/", "s3://out-bucket/", extra));
    };
    check_error_prefix(s.post(start_target(k_ds), R"({"clientToken":"a",)"), 400, "SerializationException",
                       "The request body is not valid JSON: ");
    check_error(s.post(start_target(k_ds), "[]"), 400, "SerializationException",
                "The request body must be a JSON object");
    check_error(start(R"("jobName":5)"), 400, "SerializationException", "Expected a string at 'jobName', not a number");
    check_error(start(R"("inputOwnerAccountId":123456789012)"), 400, "SerializationException",
                "Expected a string at 'inputOwnerAccountId', not a number");
    check_error(start(R"("importConfiguration":"json")"), 400, "SerializationException",
                "Expected an object at 'importConfiguration', not a string");
    check_error(start(R"("importConfiguration":{"dicomJsonMetadataImportConfiguration":[]})"), 400,
                "SerializationException",
                "Expected an object at 'importConfiguration.dicomJsonMetadataImportConfiguration', not an array");
    check_error(start(mapping_config(R"({"a":1})")), 400, "SerializationException",
                "Expected an array at '" + std::string(k_mappings_path) + "', not an object");
    check_error(start(mapping_config("[5]")), 400, "SerializationException",
                "Expected an object at '" + std::string(k_mappings_path) + ".1.member', not a number");
    check_error(start(mapping_config(R"([{"studyInstanceUID":1.2,"metadataFilePath":"m"}])")), 400,
                "SerializationException",
                "Expected a string at '" + std::string(k_mappings_path) + ".1.member.studyInstanceUID', not a number");
    // A union with no member set.
    check_error(start(R"("importConfiguration":{})"), 400, "SerializationException",
                "The union at 'importConfiguration' must have exactly one member set, not 0");
    check_error(start(R"("importConfiguration":{"dicomJsonMetadataImportConfiguration":null})"), 400,
                "SerializationException", "The union at 'importConfiguration' must have exactly one member set, not 0");
    CHECK(s.get(list_jobs_target(k_ds)).body() == R"({"jobSummaries":[]})");

    // A union with its one modeled member and another one set.
    const auto two = start(R"("importConfiguration":{"dicomJsonMetadataImportConfiguration":{"dicomMetadataMappings":)"
                           R"([{"studyInstanceUID":"1","metadataFilePath":"m"}]},"dicomZipImportConfiguration":{}})");
    CHECK_MESSAGE(two.result_int() == 400, two.body());
    CHECK(two["x-amzn-ErrorType"] == "SerializationException");
}

TEST_CASE("StartDICOMImportJob 404: unknown datastore, another region's") {
    cp_server s;
    const std::string unknown(32, '5');
    check_error(s.post(start_target(unknown), start_body("t")), 404, "ResourceNotFoundException",
                "Datastore " + unknown + " not found");
    const auto dublin = active_datastore(s, "dublin", in_region("eu-west-1"));
    check_error(s.post(start_target(dublin), start_body("t")), 404, "ResourceNotFoundException",
                "Datastore " + dublin + " not found");
    CHECK(s.post(start_target(dublin), start_body("t"), in_region("eu-west-1")).result_int() == 200);
}

TEST_CASE("StartDICOMImportJob 409: a datastore that is not ACTIVE") {
    cp_server s(cp_sample_config());
    const auto id = create_datastore(s, "young");
    check_error(s.post(start_target(id), start_body("t")), 409, "ConflictException",
                "Datastore " + id + " is CREATING; import jobs can only be started in an ACTIVE data store");
    check_error(s.post(start_target("f0e1d2c3b4a5968778695a4b3c2d1e0f"), start_body("t")), 409, "ConflictException",
                "Datastore f0e1d2c3b4a5968778695a4b3c2d1e0f is DELETING; import jobs can only be started in an ACTIVE "
                "data store");
    wait_active(s, id);
    CHECK(s.post(start_target(id), start_body("t")).result_int() == 200);
}

TEST_CASE("StartDICOMImportJob idempotency: the same token and request answer the same job") {
    cp_server s(cp_config(), one_datastore(R"("importProgression":[{"jobStatus":"COMPLETED","afterPolls":1}])"));
    const std::string config = mapping_config(R"([{"studyInstanceUID":"1.2","metadataFilePath":"m.json"}])");
    const auto request = start_body("t1", "s3://in-bucket/a/", "s3://out-bucket/b/",
                                    R"("jobName":"j","inputOwnerAccountId":"210987654321",)" + config);
    const auto first = s.post(start_target(k_ds), request);
    REQUIRE(first.result_int() == 200);
    const auto job = string_at(first, "/jobId");
    s.clock().advance(1000);
    CHECK(s.post(start_target(k_ds), request).body() == first.body());
    const std::string conflict = "Client token t1 was already used for a different StartDICOMImportJob request";

    SUBCASE("any other member is a 409") {
        const auto differs = [&](std::string body) {
            check_error(s.post(start_target(k_ds), std::move(body)), 409, "ConflictException", conflict);
        };
        const std::string owner = R"("inputOwnerAccountId":"210987654321",)";
        differs(start_body("t1", "s3://in-bucket/a/", "s3://out-bucket/b/", R"("jobName":"k",)" + owner + config));
        differs(start_body("t1", "s3://in-bucket/a/", "s3://out-bucket/b/", owner + config));
        differs(start_body("t1", "s3://in-bucket/other/", "s3://out-bucket/b/", R"("jobName":"j",)" + owner + config));
        differs(start_body("t1", "s3://in-bucket/a/", "s3://out-bucket/other/", R"("jobName":"j",)" + owner + config));
        differs(start_body("t1", "s3://in-bucket/a/", "s3://out-bucket/b/", R"("jobName":"j",)" + config));
        differs(start_body("t1", "s3://in-bucket/a/", "s3://out-bucket/b/",
                           R"("jobName":"j",)" + owner.substr(0, owner.size() - 1)));
        differs(start_body("t1", "s3://in-bucket/a/", "s3://out-bucket/b/",
                           R"("jobName":"j",)" + owner +
                               mapping_config(R"([{"studyInstanceUID":"1.3","metadataFilePath":"m.json"}])")));
        auto other_role = request;
        other_role.replace(other_role.find("ImportRole"), 10, "OtherRole");
        differs(other_role);
    }
    SUBCASE("after the job ended: the same job, in its status now") {
        CHECK(job_status_of(s, k_ds, job) == "SUBMITTED");
        CHECK(job_status_of(s, k_ds, job) == "COMPLETED");
        CHECK(s.post(start_target(k_ds), request).body() ==
              R"({"datastoreId":")" + std::string(k_ds) + R"(","jobId":")" + job +
                  R"(","jobStatus":"COMPLETED","submittedAt":)" + secs(k_t0) + "}");
    }
    SUBCASE("a token is per datastore") {
        cp_server two(cp_config(), R"({"datastores":[{"datastoreId":")" + std::string(k_ds) +
                                       R"(","datastoreName":"a","datastoreStatus":"ACTIVE"},{"datastoreId":")" +
                                       std::string(32, 'b') + R"(","datastoreName":"b","datastoreStatus":"ACTIVE"}]})");
        const auto in_a = string_at(two.post(start_target(k_ds), request), "/jobId");
        const auto in_b = string_at(two.post(start_target(std::string(32, 'b')), request), "/jobId");
        CHECK(in_a != in_b);
        // Each job is found in its own datastore only.
        check_error(two.get(job_target(std::string(32, 'b'), in_a)), 404, "ResourceNotFoundException",
                    "Import job " + in_a + " not found in datastore " + std::string(32, 'b'));
        check_error(two.get(job_target(k_ds, in_b)), 404, "ResourceNotFoundException",
                    "Import job " + in_b + " not found in datastore " + std::string(k_ds));
        CHECK(string_at(two.get(job_target(std::string(32, 'b'), in_b)), "/jobProperties/outputS3Uri") ==
              "s3://out-bucket/b/" + std::string(32, 'b') + "-DicomImport-" + in_b + "/");
    }
    SUBCASE("without jobName both times") {
        const auto unnamed = start_body("t2");
        const auto a = string_at(s.post(start_target(k_ds), unnamed), "/jobId");
        CHECK(string_at(s.post(start_target(k_ds), unnamed), "/jobId") == a);
        CHECK(a != job);
    }
    CHECK(ids_in(s.get(list_jobs_target(k_ds)), "jobSummaries", "jobId").size() <= 2);
}

TEST_CASE("StartDICOMImportJob idempotency: the answer with a time-based job progression") {
    auto cfg = cp_config();
    cfg.lifecycle.import_job = {{"COMPLETED", std::nullopt, 1000, std::nullopt, std::nullopt}};
    cp_server s(cfg, one_datastore());
    const auto request = start_body("t1");
    const auto job = string_at(s.post(start_target(k_ds), request), "/jobId");
    s.clock().advance(2000);
    const auto again = s.post(start_target(k_ds), request);
    REQUIRE(again.result_int() == 200);
    CHECK(string_at(again, "/jobId") == job);
    // The job is COMPLETED by now (GetDICOMImportJob and ListDICOMImportJobs say so), as the
    // answer to a replay after polls says (previous test case).
    CHECK(string_at(s.get(list_jobs_target(k_ds)), "/jobSummaries/0/jobStatus") == "COMPLETED");
    CHECK(string_at(again, "/jobStatus") == "COMPLETED");
}

TEST_CASE("StartDICOMImportJob 402 ServiceQuotaExceededException past max_concurrent_imports") {
    auto cfg = cp_config();
    cfg.lifecycle.max_concurrent_imports = 1;
    cp_server s(cfg, R"({"datastores":[{"datastoreId":")" + std::string(k_ds) +
                         R"(","datastoreName":"a","datastoreStatus":"ACTIVE"},{"datastoreId":")" +
                         std::string(32, 'b') + R"(","datastoreName":"b","datastoreStatus":"ACTIVE"}]})");
    const auto first_request = start_body("first");
    const auto first = string_at(s.post(start_target(k_ds), first_request), "/jobId");
    const std::string quota =
        "Datastore " + std::string(k_ds) + " already has 1 concurrent import jobs, the most it may have";
    check_error(s.post(start_target(k_ds), start_body("second")), 402, "ServiceQuotaExceededException", quota);
    // A replay of the job that counts is still answered; another datastore has its own quota.
    CHECK(string_at(s.post(start_target(k_ds), first_request), "/jobId") == first);
    CHECK(s.post(start_target(std::string(32, 'b')), start_body("second")).result_int() == 200);
    CHECK(job_status_of(s, k_ds, first) == "IN_PROGRESS");
    // The caller has seen it IN_PROGRESS: it still counts until a poll sees it end.
    check_error(s.post(start_target(k_ds), start_body("second")), 402, "ServiceQuotaExceededException", quota);
    CHECK(job_status_of(s, k_ds, first) == "COMPLETED");
    CHECK(s.post(start_target(k_ds), start_body("second")).result_int() == 200);
    check_error(s.post(start_target(k_ds), start_body("third")), 402, "ServiceQuotaExceededException", quota);
}

TEST_CASE("StartDICOMImportJob: the job's progression from --job-progression (cfg.lifecycle.import_job)") {
    auto cfg = cp_config();
    cfg.lifecycle.import_job = {
        {"IN_PROGRESS", std::nullopt, 1000, std::nullopt, std::nullopt},
        {"FAILED", std::nullopt, 5000, std::string("Timed out reading the input"), std::nullopt}};
    cp_server s(cfg, one_datastore());
    const auto job = start_job(s, k_ds);
    s.clock().advance(999);
    CHECK(job_status_of(s, k_ds, job) == "SUBMITTED");
    s.clock().advance(1);
    CHECK(job_status_of(s, k_ds, job) == "IN_PROGRESS");
    s.clock().advance(10'000);
    const auto res = s.get(job_target(k_ds, job));
    CHECK(string_at(res, "/jobProperties/jobStatus") == "FAILED");
    CHECK(string_at(res, "/jobProperties/message") == "Timed out reading the input");
    CHECK(res.body().find(R"("endedAt":)" + secs(k_t0 + 5000) + ",") != std::string::npos);
}

TEST_CASE("StartDICOMImportJob: a datastore's importProgression from the fixture is used for its jobs") {
    auto cfg = cp_config();
    cfg.lifecycle.import_job = {{"FAILED", 0, std::nullopt, std::nullopt, std::nullopt}};  // not used
    cp_server s(cfg, one_datastore(R"("importProgression":[{"jobStatus":"IN_PROGRESS","afterPolls":1},)"
                                   R"({"jobStatus":"COMPLETED","afterPolls":3,"endedAt":1764403300.25}])"));
    const auto job = start_job(s, k_ds);
    CHECK(job_status_of(s, k_ds, job) == "SUBMITTED");
    CHECK(job_status_of(s, k_ds, job) == "IN_PROGRESS");
    CHECK(job_status_of(s, k_ds, job) == "IN_PROGRESS");
    const auto done = s.get(job_target(k_ds, job));
    CHECK(string_at(done, "/jobProperties/jobStatus") == "COMPLETED");
    CHECK(done.body().find(R"("endedAt":1764403300.25,)") != std::string::npos);
}

TEST_CASE("StartDICOMImportJob: an import rule makes a matching job end as the rule says") {
    const std::string b(32, 'b');
    cp_server s(
        cp_config(),
        R"({"datastores":[{"datastoreId":")" + std::string(k_ds) +
            R"(","datastoreName":"a","datastoreStatus":"ACTIVE"},{"datastoreId":")" + b +
            R"(","datastoreName":"b","datastoreStatus":"ACTIVE",)"
            R"("importProgression":[{"jobStatus":"IN_PROGRESS","afterPolls":0},{"jobStatus":"COMPLETED","afterPolls":2}]}],)"
            R"("importRules":[{"inputS3UriPrefix":"s3://denied-bucket/","message":"Access denied to s3://denied-bucket/"},)"
            R"({"inputS3UriPrefix":"s3://denied-bucket/deep/","jobStatus":"COMPLETED","message":"never reached"},)"
            R"({"inputS3UriPrefix":"s3://only-in-a/","datastoreId":")" +
            std::string(k_ds) + R"(","jobStatus":"FAILED","message":"Scoped to a"}]})");
    // The job's answers to `polls` GetDICOMImportJob calls; the last one in full.
    const auto polled = [&](std::string_view ds, std::string_view input, int polls) {
        const auto job = start_job(s, ds, input);
        std::vector<std::string> statuses;
        std::string last;
        for (int i = 0; i < polls; ++i) {
            const auto res = s.get(job_target(ds, job));
            statuses.push_back(string_at(res, "/jobProperties/jobStatus"));
            last = res.body();
        }
        s.clock().advance(10);  // the next job is newer
        return std::pair{statuses, last};
    };
    using statuses = std::vector<std::string>;

    const auto [denied, denied_body] = polled(k_ds, "s3://denied-bucket/scans/", 3);
    CHECK(denied == statuses{"IN_PROGRESS", "FAILED", "FAILED"});
    const auto denied_job = string_at(s.get(list_jobs_target(k_ds, "jobStatus=FAILED")), "/jobSummaries/0/jobId");
    CHECK(denied_body == R"({"jobProperties":{"jobId":")" + denied_job + R"(","jobName":")" + denied_job +
                             R"(","jobStatus":"FAILED","datastoreId":")" + std::string(k_ds) +
                             R"(","dataAccessRoleArn":")" + std::string(k_role) + R"(","endedAt":)" + secs(k_t0) +
                             R"(,"submittedAt":)" + secs(k_t0) +
                             R"(,"inputS3Uri":"s3://denied-bucket/scans/","outputS3Uri":"s3://out-bucket/results/)" +
                             std::string(k_ds) + "-DicomImport-" + denied_job +
                             R"(/","message":"Access denied to s3://denied-bucket/"}})");
    // Not a prefix of the URI: not matched.
    CHECK(polled(k_ds, "s3://denied-bucket-2/scans/", 2).first == statuses{"IN_PROGRESS", "COMPLETED"});
    CHECK(polled(k_ds, "s3://in-bucket/denied-bucket/", 2).second.find("message") == std::string::npos);
    // The first matching rule decides.
    const auto deep = polled(k_ds, "s3://denied-bucket/deep/x", 2);
    CHECK(deep.first == statuses{"IN_PROGRESS", "FAILED"});
    CHECK(string_at(s.get(list_jobs_target(k_ds)), "/jobSummaries/0/message") ==
          "Access denied to s3://denied-bucket/");
    // A rule scoped to a datastore applies there only.
    const auto scoped = polled(k_ds, "s3://only-in-a/x", 2);
    CHECK(scoped.first == statuses{"IN_PROGRESS", "FAILED"});
    CHECK(scoped.second.find(R"("message":"Scoped to a")") != std::string::npos);
    CHECK(polled(b, "s3://only-in-a/x", 3).first == statuses{"IN_PROGRESS", "IN_PROGRESS", "COMPLETED"});
    // With the datastore's own progression, the rule replaces only its end.
    const auto b_denied = polled(b, "s3://denied-bucket/", 3);
    CHECK(b_denied.first == statuses{"IN_PROGRESS", "IN_PROGRESS", "FAILED"});
    CHECK(b_denied.second.find(R"("message":"Access denied to s3://denied-bucket/")") != std::string::npos);
}

TEST_CASE("The request journal by datastoreId: entries of several operations, each with its operation's labels") {
    cp_server s;
    const auto ds = active_datastore(s, "journal");
    const auto other = active_datastore(s, "other");
    const auto job = start_job(s, ds);
    s.get(list_jobs_target(ds, "maxResults=5"));
    start_job(s, other);
    s.get(list_jobs_target(other));
    check_error_prefix(s.del(datastore_target(ds)), 409, "ConflictException",
                       "Datastore " + ds + " has 1 import job(s)");
    s.get(tags_target(datastore_arn(ds)));  // labelled resourceArn, not datastoreId
    s.get(job_target(ds, job));

    const auto journal = body_of(s.get("/_emulator/requests?datastoreId=" + ds));
    const auto& entries = journal["requests"];
    const char* expected[] = {"GetDatastore",        "GetDatastore",    "StartDICOMImportJob",
                              "ListDICOMImportJobs", "DeleteDatastore", "GetDICOMImportJob"};
    REQUIRE(entries.Size() == 6);
    for (rapidjson::SizeType i = 0; i < entries.Size(); ++i) {
        const auto& e = entries[i];
        CAPTURE(i);
        CHECK(std::string(e["operation"].GetString()) == expected[i]);
        CHECK(std::string(e["datastoreId"].GetString()) == ds);
        CHECK(e.HasMember("jobId") == (std::string(expected[i]) == "GetDICOMImportJob"));
        CHECK_FALSE(e.HasMember("resourceArn"));
    }
    CHECK(std::string(entries[2]["method"].GetString()) == "POST");
    CHECK(std::string(entries[2]["path"].GetString()) == start_target(ds));
    CHECK(std::string(entries[5]["jobId"].GetString()) == job);
    CHECK(std::string(entries[3]["path"].GetString()) == list_jobs_target(ds));
    CHECK(entries[4]["status"].GetUint() == 409);
    CHECK(std::string(entries[4]["errorType"].GetString()) == "ConflictException");
    CHECK(entries[3]["status"].GetUint() == 200);
    CHECK_FALSE(entries[3].HasMember("errorType"));
    // Filters combine.
    const auto by_job = body_of(s.get("/_emulator/requests?datastoreId=" + ds + "&jobId=" + job));
    REQUIRE(by_job["requests"].Size() == 1);
    CHECK(std::string(by_job["requests"][0]["operation"].GetString()) == "GetDICOMImportJob");
    CHECK(body_of(s.get("/_emulator/requests?operation=GetDatastore&datastoreId=" + ds))["requests"].Size() == 2);
    CHECK(body_of(s.get("/_emulator/requests?datastoreId=" + other))["requests"].Size() == 4);
}

TEST_CASE("StartDICOMImportJob: importConfiguration is compared and echoed as JSON, not as text") {
    cp_server s(cp_config(), one_datastore());
    const auto start = [&](std::string_view token, std::string_view config) {
        return s.post(start_target(k_ds), start_body(token, "s3://in-bucket/", "s3://out-bucket/",
                                                     R"("importConfiguration":)" + std::string(config)));
    };
    const std::string config =
        R"({"dicomJsonMetadataImportConfiguration":{"dicomMetadataMappings":[{"studyInstanceUID":"1.2","metadataFilePath":"m"}]}})";
    const auto first = start("t1", config);
    REQUIRE(first.result_int() == 200);
    const auto job = string_at(first, "/jobId");
    // Whitespace is not part of the request.
    CHECK(start("t1", R"({ "dicomJsonMetadataImportConfiguration" : { "dicomMetadataMappings" : [ )"
                      R"({ "studyInstanceUID" : "1.2" , "metadataFilePath" : "m" } ] } })")
              .body() == first.body());
    // Neither is the order of an object's members.
    const auto reordered = start(
        "t1",
        R"({"dicomJsonMetadataImportConfiguration":{"dicomMetadataMappings":[{"metadataFilePath":"m","studyInstanceUID":"1.2"}]}})");
    CHECK_MESSAGE(reordered.result_int() == 200, reordered.body());

    // null is absent (README), also inside the structure, and unknown members are ignored: the
    // answer carries neither.
    const auto with_null =
        start("t2", R"({"dicomJsonMetadataImportConfiguration":{"dicomMetadataMappings":[)"
                    R"({"studyInstanceUID":"1.2","seriesInstanceUID":null,"metadataFilePath":"m","note":"x"}]}})");
    REQUIRE(with_null.result_int() == 200);
    const auto got = s.get(job_target(k_ds, string_at(with_null, "/jobId")));
    CHECK_MESSAGE(got.body().find("null") == std::string::npos, got.body());
    CHECK(got.body().find(R"("note")") == std::string::npos);
    CHECK(s.get(job_target(k_ds, job)).body().find(R"(,"importConfiguration":)" + config + "}}") != std::string::npos);
}

TEST_CASE("StartDICOMImportJob: outputS3Uri of a bucket without a key prefix") {
    cp_server s(cp_config(), one_datastore());
    const auto job =
        string_at(s.post(start_target(k_ds), start_body("t1", "s3://in-bucket/", "s3://out-bucket")), "/jobId");
    const auto output = string_at(s.get(job_target(k_ds, job)), "/jobProperties/outputS3Uri");
    CHECK(output == "s3://out-bucket/" + std::string(k_ds) + "-DicomImport-" + job + "/");
    CHECK(output.ends_with(std::string(k_ds) + "-DicomImport-" + job + "/"));
}

}  // namespace
}  // namespace hil::test
