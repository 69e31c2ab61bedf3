// DeleteDatastore through the real server: DELETING -> DELETED, what it refuses (409) and why,
// 404s, label validation, and what a deleted datastore still answers.
#include <doctest/doctest.h>

#include <string>

#include "tests/server/control_plane_support.hpp"
#include "tests/support/expect.hpp"

namespace hil::test {
namespace {

std::string status_of(cp_server& s, std::string_view id, const header_list& h = {}) {
    return string_at(s.get(datastore_target(id), h), "/datastoreProperties/datastoreStatus");
}

std::string not_deletable(std::string_view id, std::string_view status) {
    return "Datastore " + std::string(id) + " is " + std::string(status) +
           "; only an ACTIVE or CREATE_FAILED data store can be deleted";
}

TEST_CASE("DeleteDatastore 200: DELETING, then DELETING at the first GetDatastore, DELETED from the second") {
    cp_server s;
    const auto id = active_datastore(s, "to-delete");
    s.clock().advance(1000);
    const auto res = s.del(datastore_target(id));
    REQUIRE(res.result_int() == 200);
    check_common_headers(res);
    CHECK(res.body() == R"({"datastoreId":")" + id + R"(","datastoreStatus":"DELETING"})");
    s.clock().advance(1000);
    const auto prefix =
        R"({"datastoreProperties":{"datastoreId":")" + id + R"(","datastoreName":"to-delete","datastoreStatus":")";
    const auto rest = [&](api::epoch_millis updated) {
        return R"(","datastoreArn":")" + datastore_arn(id) + R"(","createdAt":)" + secs(k_t0) + R"(,"updatedAt":)" +
               secs(updated) + "}}";
    };
    // updatedAt moved to the delete, then to the poll whose count reached DELETED.
    CHECK(s.get(datastore_target(id)).body() == prefix + "DELETING" + rest(k_t0 + 1000));
    s.clock().advance(1000);
    CHECK(s.get(datastore_target(id)).body() == prefix + "DELETED" + rest(k_t0 + 2000));
    // Still readable and listed.
    CHECK(string_at(s.get("/datastore?datastoreStatus=DELETED"), "/datastoreSummaries/0/datastoreId") == id);
}

TEST_CASE("DeleteDatastore 409 ConflictException: only ACTIVE and CREATE_FAILED datastores can be deleted") {
    SUBCASE("CREATING") {
        cp_server s;
        const auto id = create_datastore(s, "young");
        check_error(s.del(datastore_target(id)), 409, "ConflictException", not_deletable(id, "CREATING"));
        // Refusing changed nothing.
        CHECK(status_of(s, id) == "CREATING");
    }
    SUBCASE("DELETING and DELETED") {
        cp_server s;
        const auto id = active_datastore(s, "twice");
        REQUIRE(s.del(datastore_target(id)).result_int() == 200);
        check_error(s.del(datastore_target(id)), 409, "ConflictException", not_deletable(id, "DELETING"));
        CHECK(status_of(s, id) == "DELETING");
        CHECK(status_of(s, id) == "DELETED");
        check_error(s.del(datastore_target(id)), 409, "ConflictException", not_deletable(id, "DELETED"));
    }
    SUBCASE("CREATE_FAILED can be deleted") {
        auto cfg = cp_config();
        cfg.lifecycle.datastore_create = {{"CREATE_FAILED", 1, std::nullopt, std::nullopt, std::nullopt}};
        cp_server s(cfg);
        const auto id = create_datastore(s, "failed");
        status_of(s, id);
        REQUIRE(status_of(s, id) == "CREATE_FAILED");
        CHECK(s.del(datastore_target(id)).body() == R"({"datastoreId":")" + id + R"(","datastoreStatus":"DELETING"})");
    }
    SUBCASE("a seeded DELETING datastore") {
        cp_server s(cp_sample_config());
        check_error(s.del(datastore_target("f0e1d2c3b4a5968778695a4b3c2d1e0f")), 409, "ConflictException",
                    not_deletable("f0e1d2c3b4a5968778695a4b3c2d1e0f", "DELETING"));
    }
}

TEST_CASE("DeleteDatastore 409 ConflictException: import jobs SUBMITTED or IN_PROGRESS in it") {
    cp_server s;
    const auto id = active_datastore(s, "busy");
    const auto job1 = start_job(s, id);
    const auto busy = [&](int n) {
        return "Datastore " + id + " has " + std::to_string(n) +
               " import job(s) SUBMITTED or IN_PROGRESS; wait for them to end before deleting it";
    };
    check_error(s.del(datastore_target(id)), 409, "ConflictException", busy(1));
    const auto job2 = start_job(s, id);
    check_error(s.del(datastore_target(id)), 409, "ConflictException", busy(2));
    // job1 IN_PROGRESS, then COMPLETED.
    s.get(job_target(id, job1));
    s.get(job_target(id, job1));
    check_error(s.del(datastore_target(id)), 409, "ConflictException", busy(1));
    s.get(job_target(id, job2));
    CHECK(string_at(s.get(job_target(id, job2)), "/jobProperties/jobStatus") == "COMPLETED");
    CHECK(status_of(s, id) == "ACTIVE");
    CHECK(s.del(datastore_target(id)).result_int() == 200);
    // Jobs stay readable in a deleted datastore.
    CHECK(string_at(s.get(job_target(id, job1)), "/jobProperties/jobStatus") == "COMPLETED");
    CHECK(ids_in(s.get(list_jobs_target(id)), "jobSummaries", "jobId").size() == 2);
}

TEST_CASE("DeleteDatastore: seeded jobs block it by their status; time-based job steps count as reached") {
    SUBCASE("seeded jobs") {
        cp_server s(cp_sample_config());
        // radiology-prod has a SUBMITTED and an IN_PROGRESS job; cardiology-research only ended ones.
        check_error(s.del(datastore_target(sample_datastore)), 409, "ConflictException",
                    "Datastore " + std::string(sample_datastore) +
                        " has 2 import job(s) SUBMITTED or IN_PROGRESS; wait for them to end before deleting it");
        CHECK(s.del(datastore_target(sample_other_datastore)).result_int() == 200);
    }
    SUBCASE("a job COMPLETED by the clock") {
        auto cfg = cp_config();
        cfg.lifecycle.import_job = {{"COMPLETED", std::nullopt, 1000, std::nullopt, std::nullopt}};
        cp_server s(cfg);
        const auto id = active_datastore(s, "timed");
        start_job(s, id);
        s.clock().advance(999);
        CHECK(s.del(datastore_target(id)).result_int() == 409);
        s.clock().advance(1);
        CHECK(s.del(datastore_target(id)).result_int() == 200);
    }
}

TEST_CASE("DeleteDatastore: a custom delete lifecycle (cfg.lifecycle.datastore_delete)") {
    auto cfg = cp_config();
    cfg.lifecycle.datastore_delete = {{"DELETED", std::nullopt, 3000, std::nullopt, std::nullopt}};
    cp_server s(cfg);
    const auto id = active_datastore(s, "slow-delete");
    REQUIRE(s.del(datastore_target(id)).result_int() == 200);
    s.clock().advance(2999);
    CHECK(status_of(s, id) == "DELETING");
    CHECK(status_of(s, id) == "DELETING");
    s.clock().advance(1);
    CHECK(s.get(datastore_target(id)).body().find(R"("datastoreStatus":"DELETED",)") != std::string::npos);
    CHECK(s.get(datastore_target(id)).body().find(R"("updatedAt":)" + secs(k_t0 + 3000) + "}") != std::string::npos);
}

TEST_CASE("A deleted datastore refuses new import jobs (409)") {
    cp_server s;
    const auto id = active_datastore(s, "gone");
    REQUIRE(s.del(datastore_target(id)).result_int() == 200);
    check_error(s.post(start_target(id), start_body("t1")), 409, "ConflictException",
                "Datastore " + id + " is DELETING; import jobs can only be started in an ACTIVE data store");
    status_of(s, id);
    REQUIRE(status_of(s, id) == "DELETED");
    check_error(s.post(start_target(id), start_body("t1")), 409, "ConflictException",
                "Datastore " + id + " is DELETED; import jobs can only be started in an ACTIVE data store");
}

TEST_CASE("DeleteDatastore 404 and 400") {
    cp_server s;
    const std::string unknown(32, '7');
    check_error(s.del(datastore_target(unknown)), 404, "ResourceNotFoundException",
                "Datastore " + unknown + " not found");
    const auto dublin = active_datastore(s, "dublin", in_region("eu-west-1"));
    check_error(s.del(datastore_target(dublin)), 404, "ResourceNotFoundException",
                "Datastore " + dublin + " not found");
    CHECK(status_of(s, dublin, in_region("eu-west-1")) == "ACTIVE");
    CHECK(s.del(datastore_target(dublin), in_region("eu-west-1")).result_int() == 200);

    const std::string constraint =
        "Member must satisfy regular expression pattern: " + std::string(k_datastore_id_pattern);
    check_error(s.del(datastore_target("UPPER")), 400, "ValidationException",
                one_violation("datastoreId", "UPPER", constraint));
    check_error(s.del("/datastore/"), 400, "ValidationException", one_violation("datastoreId", "", constraint));
    // DELETE /datastore is no operation; GET and POST are.
    check_error(s.del("/datastore"), 404, "UnknownOperationException",
                "No operation matches DELETE /datastore; this path accepts POST, GET");
}

}  // namespace
}  // namespace hil::test
