// GetDatastore through the real server: exact bodies, the CREATING -> ACTIVE lifecycle (poll-
// and time-based, and a custom one), scope by region and account, 404s and label validation.
#include <doctest/doctest.h>

#include <string>

#include "tests/server/control_plane_support.hpp"
#include "tests/support/expect.hpp"

namespace hil::test {
namespace {

std::string properties(std::string_view id, std::string_view name, std::string_view status, api::epoch_millis created,
                       api::epoch_millis updated, std::string_view region = "us-east-1") {
    return R"({"datastoreProperties":{"datastoreId":")" + std::string(id) + R"(","datastoreName":")" +
           std::string(name) + R"(","datastoreStatus":")" + std::string(status) + R"(","datastoreArn":")" +
           datastore_arn(id, region) + R"(","createdAt":)" + secs(created) + R"(,"updatedAt":)" + secs(updated) + "}}";
}

TEST_CASE("GetDatastore: CREATING at the first poll, ACTIVE from the second; createdAt stays, updatedAt moves") {
    cp_server s;
    const auto id = create_datastore(s, "lifecycle");
    s.clock().advance(1000);
    const auto first = s.get(datastore_target(id));
    REQUIRE(first.result_int() == 200);
    check_common_headers(first);
    CHECK(first.body() == properties(id, "lifecycle", "CREATING", k_t0, k_t0));
    s.clock().advance(1000);
    // ACTIVE dates from the first poll, whose count reached it; the second is the first to see it.
    const auto second = s.get(datastore_target(id));
    CHECK(second.body() == properties(id, "lifecycle", "ACTIVE", k_t0, k_t0 + 1000));
    s.clock().advance(1000);
    CHECK(s.get(datastore_target(id)).body() == second.body());
    // Listing reads the status without counting a poll.
    CHECK(s.get("/datastore").body() == R"({"datastoreSummaries":[{"datastoreId":")" + id +
                                            R"(","datastoreName":"lifecycle",)"
                                            R"("datastoreStatus":"ACTIVE","datastoreArn":")" +
                                            datastore_arn(id) + R"(","createdAt":)" + secs(k_t0) + R"(,"updatedAt":)" +
                                            secs(k_t0 + 1000) + "}]}");
}

TEST_CASE("GetDatastore: a custom create lifecycle (cfg.lifecycle.datastore_create)") {
    auto cfg = cp_config();
    SUBCASE("CREATE_FAILED after the first poll") {
        cfg.lifecycle.datastore_create = {{"CREATE_FAILED", 1, std::nullopt, std::nullopt, std::nullopt}};
        cp_server s(cfg);
        const auto id = create_datastore(s, "doomed");
        CHECK(string_at(s.get(datastore_target(id)), "/datastoreProperties/datastoreStatus") == "CREATING");
        CHECK(string_at(s.get(datastore_target(id)), "/datastoreProperties/datastoreStatus") == "CREATE_FAILED");
        CHECK(string_at(s.get(datastore_target(id)), "/datastoreProperties/datastoreStatus") == "CREATE_FAILED");
        // No import job can start in it.
        check_error(s.post(start_target(id), start_body("t")), 409, "ConflictException",
                    "Datastore " + id + " is CREATE_FAILED; import jobs can only be started in an ACTIVE data store");
    }
    SUBCASE("ACTIVE after three polls") {
        cfg.lifecycle.datastore_create = {{"ACTIVE", 3, std::nullopt, std::nullopt, std::nullopt}};
        cp_server s(cfg);
        const auto id = create_datastore(s, "slow");
        for (int i = 0; i < 3; ++i) {
            CHECK(string_at(s.get(datastore_target(id)), "/datastoreProperties/datastoreStatus") == "CREATING");
        }
        CHECK(string_at(s.get(datastore_target(id)), "/datastoreProperties/datastoreStatus") == "ACTIVE");
    }
    SUBCASE("ACTIVE 2 s after the create, whatever the polls; updatedAt is that moment") {
        cfg.lifecycle.datastore_create = {{"ACTIVE", std::nullopt, 2000, std::nullopt, std::nullopt}};
        cp_server s(cfg);
        const auto id = create_datastore(s, "timed");
        s.clock().advance(1999);
        for (int i = 0; i < 3; ++i) {
            CHECK(s.get(datastore_target(id)).body() == properties(id, "timed", "CREATING", k_t0, k_t0));
        }
        s.clock().advance(501);
        CHECK(s.get(datastore_target(id)).body() == properties(id, "timed", "ACTIVE", k_t0, k_t0 + 2000));
    }
    SUBCASE("no steps: a datastore that stays CREATING") {
        cfg.lifecycle.datastore_create = {};
        cp_server s(cfg);
        const auto id = create_datastore(s, "stuck");
        for (int i = 0; i < 4; ++i) {
            CHECK(string_at(s.get(datastore_target(id)), "/datastoreProperties/datastoreStatus") == "CREATING");
        }
    }
}

TEST_CASE("GetDatastore: a fixture datastore with every member, and a fixture progression") {
    cp_server s(cp_config(), R"({"datastores":[)"
                             R"({"datastoreId":"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa","datastoreName":"full",)"
                             R"("datastoreStatus":"ACTIVE","createdAt":1700000000.5,"updatedAt":1700000100,)"
                             R"("kmsKeyArn":"arn:aws:kms:us-east-1:123456789012:alias/k",)"
                             R"("lambdaAuthorizerArn":"arn:aws:lambda:us-east-1:123456789012:function:f",)"
                             R"("losslessStorageFormat":"HTJ2K"},)"
                             R"({"datastoreId":"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb","datastoreName":"seeded",)"
                             R"("datastoreStatus":"CREATING","createdAt":1700000000,)"
                             R"("progression":[{"datastoreStatus":"ACTIVE","afterPolls":1}]}]})");
    CHECK(s.get(datastore_target("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")).body() ==
          R"({"datastoreProperties":{"datastoreId":"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa","datastoreName":"full",)"
          R"("datastoreStatus":"ACTIVE","datastoreArn":"arn:aws:medical-imaging:us-east-1:123456789012:datastore/)"
          R"(aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa","createdAt":1700000000.5,"updatedAt":1700000100,)"
          R"("kmsKeyArn":"arn:aws:kms:us-east-1:123456789012:alias/k",)"
          R"("lambdaAuthorizerArn":"arn:aws:lambda:us-east-1:123456789012:function:f",)"
          R"("losslessStorageFormat":"HTJ2K"}})");
    const std::string seeded(32, 'b');
    s.clock().advance(250);
    CHECK(s.get(datastore_target(seeded)).body() ==
          properties(seeded, "seeded", "CREATING", 1'700'000'000'000, 1'700'000'000'000));
    CHECK(s.get(datastore_target(seeded)).body() ==
          properties(seeded, "seeded", "ACTIVE", 1'700'000'000'000, k_t0 + 250));
}

TEST_CASE("GetDatastore: the sample's datastores, and the ARN names the caller's region") {
    cp_server s(cp_sample_config());
    const std::string id(sample_datastore);
    // Seeded without createdAt: created when the fixtures were loaded.
    CHECK(s.get(datastore_target(id)).body() == properties(id, "radiology-prod", "ACTIVE", k_t0, k_t0));
    // A fixture datastore without a region is seen from every region, as that region's.
    CHECK(s.get(datastore_target(id), in_region("ap-southeast-2")).body() ==
          properties(id, "radiology-prod", "ACTIVE", k_t0, k_t0, "ap-southeast-2"));
    CHECK(string_at(s.get(datastore_target("f0e1d2c3b4a5968778695a4b3c2d1e0f")),
                    "/datastoreProperties/datastoreStatus") == "DELETING");
}

TEST_CASE("GetDatastore 404 ResourceNotFoundException: unknown, another region's, another account's") {
    cp_server s(cp_config(), R"({"datastores":[)"
                             R"({"datastoreId":"cccccccccccccccccccccccccccccccc","datastoreName":"other-account",)"
                             R"("datastoreStatus":"ACTIVE","accountId":"210987654321"},)"
                             R"({"datastoreId":"dddddddddddddddddddddddddddddddd","datastoreName":"dublin",)"
                             R"("datastoreStatus":"ACTIVE","region":"eu-west-1"}]})");
    const std::string unknown(32, '9');
    check_error(s.get(datastore_target(unknown)), 404, "ResourceNotFoundException",
                "Datastore " + unknown + " not found");
    check_error(s.get(datastore_target(std::string(32, 'c'))), 404, "ResourceNotFoundException",
                "Datastore " + std::string(32, 'c') + " not found");
    check_error(s.get(datastore_target(std::string(32, 'd'))), 404, "ResourceNotFoundException",
                "Datastore " + std::string(32, 'd') + " not found");
    CHECK(s.get(datastore_target(std::string(32, 'd')), in_region("eu-west-1")).body() ==
          properties(std::string(32, 'd'), "dublin", "ACTIVE", k_t0, k_t0, "eu-west-1"));
    // Created through the API in one region: found there only; a credential without a region is us-east-1.
    const auto mine = create_datastore(s, "mine", in_region("eu-central-1"));
    check_error(s.get(datastore_target(mine)), 404, "ResourceNotFoundException", "Datastore " + mine + " not found");
    check_error(s.get(datastore_target(mine), {{"Authorization", "AWS4-HMAC-SHA256 Credential=AKID"}}), 404,
                "ResourceNotFoundException", "Datastore " + mine + " not found");
    CHECK(s.get(datastore_target(mine), in_region("eu-central-1")).result_int() == 200);
}

TEST_CASE("GetDatastore 400 ValidationException: the datastoreId label") {
    cp_server s;
    const std::string constraint =
        "Member must satisfy regular expression pattern: " + std::string(k_datastore_id_pattern);
    for (const auto& id : {std::string(31, 'a'), std::string(33, 'a'), std::string(32, 'A'), std::string("x-y")}) {
        check_error(s.get(datastore_target(id)), 400, "ValidationException",
                    one_violation("datastoreId", id, constraint));
    }
    check_error(s.get("/datastore/"), 400, "ValidationException", one_violation("datastoreId", "", constraint));
    // Percent-decoded before validation: %41 is 'A'.
    check_error(s.get("/datastore/%41" + std::string(31, 'a')), 400, "ValidationException",
                one_violation("datastoreId", "A" + std::string(31, 'a'), constraint));
    // A 32-character id that passes is looked for.
    CHECK(s.get(datastore_target(std::string(32, 'a'))).result_int() == 404);
}

TEST_CASE("GetDatastore errors from fault rules: only the errors the operation declares") {
    cp_server s;
    const auto id = create_datastore(s, "faulty");
    // GetDatastore declares no ConflictException.
    check_error(s.post("/_emulator/faults", R"({"operation":"GetDatastore","error":"ConflictException"})"), 400,
                "ValidationException",
                "fixture (request body): /error: GetDatastore does not declare ConflictException");
    REQUIRE(s.post("/_emulator/faults", R"({"operation":"GetDatastore","datastoreId":")" + id +
                                            R"(","error":"AccessDeniedException","times":1})")
                .result_int() == 201);
    check_error(s.get(datastore_target(id)), 403, "AccessDeniedException",
                "The user does not have sufficient access to perform this action.");
    // The refused call was not a poll: the next one is the first.
    CHECK(string_at(s.get(datastore_target(id)), "/datastoreProperties/datastoreStatus") == "CREATING");
    CHECK(string_at(s.get(datastore_target(id)), "/datastoreProperties/datastoreStatus") == "ACTIVE");
}

}  // namespace
}  // namespace hil::test
