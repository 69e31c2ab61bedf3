// ListDatastores through the real server: exact bodies, order, pagination (page sizes at their
// bounds, tokens, items added between pages), the status filter, scope and query validation.
#include <doctest/doctest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "tests/server/control_plane_support.hpp"
#include "tests/support/expect.hpp"

namespace hil::test {
namespace {

// 32-character ids that sort as their index: "0000...0007".
std::string numbered_id(std::size_t i) {
    auto digits = std::to_string(i);
    return std::string(32 - digits.size(), '0') + digits;
}

// `n` ACTIVE fixture datastores, the i-th created at 1700000000 + i seconds.
std::string numbered_datastores(std::size_t n) {
    std::string out = R"({"datastores":[)";
    for (std::size_t i = 0; i < n; ++i) {
        if (i) out += ",";
        out += R"({"datastoreId":")" + numbered_id(i) + R"(","datastoreName":"d)" + std::to_string(i) +
               R"(","datastoreStatus":"ACTIVE","createdAt":)" + std::to_string(1'700'000'000 + i) + "}";
    }
    return out + "]}";
}

// Newest first: the ids of numbered_datastores(n).
std::vector<std::string> newest_first(std::size_t n) {
    std::vector<std::string> out;
    for (std::size_t i = n; i-- > 0;) out.push_back(numbered_id(i));
    return out;
}

std::vector<std::string> listed(cp_server& s, std::string_view query = {}, const header_list& h = {}) {
    const auto res = s.get(query.empty() ? std::string("/datastore") : "/datastore?" + std::string(query), h);
    REQUIRE_MESSAGE(res.result_int() == 200, res.body());
    return ids_in(res, "datastoreSummaries", "datastoreId");
}

TEST_CASE("ListDatastores: an empty list is exactly {\"datastoreSummaries\":[]}, with or without parameters") {
    cp_server s;
    for (const char* target : {"/datastore", "/datastore?maxResults=1", "/datastore?maxResults=50",
                               "/datastore?datastoreStatus=ACTIVE", "/datastore?unknownParameter=1"}) {
        CAPTURE(target);
        const auto res = s.get(target);
        CHECK(res.result_int() == 200);
        check_common_headers(res);
        CHECK(res.body() == R"({"datastoreSummaries":[]})");
    }
}

TEST_CASE("ListDatastores: summaries byte for byte, newest first, stable") {
    cp_server s;
    const auto a = create_datastore(s, "first");
    s.clock().advance(1500);
    const auto b = create_datastore(s, "second");
    wait_active(s, b);
    const auto summary = [](const std::string& id, const char* name, const char* status, api::epoch_millis created,
                            api::epoch_millis updated) {
        return R"({"datastoreId":")" + id + R"(","datastoreName":")" + name + R"(","datastoreStatus":")" + status +
               R"(","datastoreArn":")" + datastore_arn(id) + R"(","createdAt":)" + secs(created) + R"(,"updatedAt":)" +
               secs(updated) + "}";
    };
    const auto res = s.get("/datastore");
    REQUIRE(res.result_int() == 200);
    CHECK(res.body() == R"({"datastoreSummaries":[)" + summary(b, "second", "ACTIVE", k_t0 + 1500, k_t0 + 1500) + "," +
                            summary(a, "first", "CREATING", k_t0, k_t0) + "]}");
    CHECK(s.get("/datastore").body() == res.body());
}

TEST_CASE("ListDatastores: datastores created in the same millisecond are ordered by id, newest first") {
    cp_server s(
        cp_config(),
        R"({"datastores":[)"
        R"({"datastoreId":"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb","datastoreName":"b","datastoreStatus":"ACTIVE","createdAt":5},)"
        R"({"datastoreId":"cccccccccccccccccccccccccccccccc","datastoreName":"c","datastoreStatus":"ACTIVE","createdAt":5},)"
        R"({"datastoreId":"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa","datastoreName":"a","datastoreStatus":"ACTIVE","createdAt":5},)"
        R"({"datastoreId":"dddddddddddddddddddddddddddddddd","datastoreName":"d","datastoreStatus":"ACTIVE","createdAt":4}]})");
    const std::vector<std::string> expected{std::string(32, 'c'), std::string(32, 'b'), std::string(32, 'a'),
                                            std::string(32, 'd')};
    CHECK(listed(s) == expected);
    CHECK(walk(s, "/datastore", 1, "datastoreSummaries", "datastoreId").ids == expected);
    CHECK(walk(s, "/datastore", 2, "datastoreSummaries", "datastoreId").ids == expected);
}

TEST_CASE("ListDatastores pagination: page sizes at their bounds") {
    SUBCASE("maxResults equal to the count: one page, no nextToken") {
        cp_server s(cp_config(), numbered_datastores(3));
        const auto res = s.get("/datastore?maxResults=3");
        CHECK(ids_in(res, "datastoreSummaries", "datastoreId") == newest_first(3));
        CHECK_FALSE(next_token_of(res).has_value());
        CHECK(res.body().find("nextToken") == std::string::npos);
    }
    SUBCASE("one fewer: a token, then a last page without one") {
        cp_server s(cp_config(), numbered_datastores(3));
        const auto first = s.get("/datastore?maxResults=2");
        CHECK(ids_in(first, "datastoreSummaries", "datastoreId") ==
              std::vector<std::string>{numbered_id(2), numbered_id(1)});
        const auto token = next_token_of(first);
        REQUIRE(token.has_value());
        // The token is the last member of the body.
        CHECK(first.body().ends_with(R"(}],"nextToken":")" + *token + "\"}"));
        const auto second = s.get("/datastore?maxResults=2&nextToken=" + percent_encode(*token));
        CHECK(ids_in(second, "datastoreSummaries", "datastoreId") == std::vector<std::string>{numbered_id(0)});
        CHECK_FALSE(next_token_of(second).has_value());
        // A token is not used up: the same token gives the same page again.
        CHECK(s.get("/datastore?maxResults=2&nextToken=" + percent_encode(*token)).body() == second.body());
        // The page size may change between pages.
        CHECK(ids_in(s.get("/datastore?maxResults=50&nextToken=" + percent_encode(*token)), "datastoreSummaries",
                     "datastoreId") == std::vector<std::string>{numbered_id(0)});
    }
    SUBCASE("maxResults=1 walks every datastore once, in order") {
        cp_server s(cp_config(), numbered_datastores(7));
        const auto w = walk(s, "/datastore", 1, "datastoreSummaries", "datastoreId");
        CHECK(w.ids == newest_first(7));
        CHECK(w.pages == 7);
    }
    SUBCASE("maxResults=50 and the default are 50; 51 datastores take two pages") {
        cp_server s(cp_config(), numbered_datastores(51));
        const auto all = newest_first(51);
        for (const char* target : {"/datastore?maxResults=50", "/datastore"}) {
            CAPTURE(target);
            const auto first = s.get(target);
            const auto page = ids_in(first, "datastoreSummaries", "datastoreId");
            CHECK(page == std::vector<std::string>(all.begin(), all.begin() + 50));
            const auto token = next_token_of(first);
            REQUIRE(token.has_value());
            const auto second = s.get("/datastore?nextToken=" + percent_encode(*token));
            CHECK(ids_in(second, "datastoreSummaries", "datastoreId") == std::vector<std::string>{numbered_id(0)});
            CHECK_FALSE(next_token_of(second).has_value());
        }
        const auto w = walk(s, "/datastore", 50, "datastoreSummaries", "datastoreId");
        CHECK(w.ids == all);
        CHECK(w.pages == 2);
    }
}

TEST_CASE("ListDatastores pagination: datastores created between pages are not repeated, none listed is lost") {
    cp_server s;
    std::vector<std::string> made;
    for (int i = 0; i < 5; ++i) {
        made.push_back(create_datastore(s, "before-" + std::to_string(i)));
        s.clock().advance(10);
    }
    const std::vector<std::string> expected(made.rbegin(), made.rend());
    const auto first = s.get("/datastore?maxResults=2");
    auto seen = ids_in(first, "datastoreSummaries", "datastoreId");
    auto token = next_token_of(first);
    REQUIRE(token.has_value());
    // Two more arrive, newer than everything listed.
    const auto late1 = create_datastore(s, "late-1");
    s.clock().advance(10);
    const auto late2 = create_datastore(s, "late-2");
    while (token) {
        const auto page = s.get("/datastore?maxResults=2&nextToken=" + percent_encode(*token));
        REQUIRE(page.result_int() == 200);
        const auto ids = ids_in(page, "datastoreSummaries", "datastoreId");
        seen.insert(seen.end(), ids.begin(), ids.end());
        token = next_token_of(page);
    }
    CHECK(seen == expected);
    // A fresh walk sees the newcomers first.
    auto fresh = expected;
    fresh.insert(fresh.begin(), {late2, late1});
    CHECK(walk(s, "/datastore", 3, "datastoreSummaries", "datastoreId").ids == fresh);
}

TEST_CASE("ListDatastores: the datastoreStatus filter, also across pages and on time-based steps") {
    auto cfg = cp_sample_config();
    cfg.lifecycle.datastore_create = {{"ACTIVE", std::nullopt, 1000, std::nullopt, std::nullopt}};
    cp_server s(cfg);
    // The sample has radiology-prod and cardiology-research ACTIVE, archive-2019 DELETING.
    s.clock().advance(1);
    const auto creating = create_datastore(s, "new");
    CHECK(listed(s, "datastoreStatus=CREATING") == std::vector<std::string>{creating});
    CHECK(listed(s, "datastoreStatus=DELETING") == std::vector<std::string>{"f0e1d2c3b4a5968778695a4b3c2d1e0f"});
    CHECK(listed(s, "datastoreStatus=DELETED").empty());
    CHECK(s.get("/datastore?datastoreStatus=CREATE_FAILED").body() == R"({"datastoreSummaries":[]})");
    const std::vector<std::string> sample_active{std::string(sample_datastore), std::string(sample_other_datastore)};
    CHECK(listed(s, "datastoreStatus=ACTIVE") == sample_active);
    CHECK(walk(s, "/datastore?datastoreStatus=ACTIVE", 1, "datastoreSummaries", "datastoreId").ids == sample_active);
    // By the clock the new one is ACTIVE now, though nothing polled it.
    s.clock().advance(1000);
    CHECK(listed(s, "datastoreStatus=CREATING").empty());
    const auto w = walk(s, "/datastore?datastoreStatus=ACTIVE", 1, "datastoreSummaries", "datastoreId");
    CHECK(w.ids ==
          std::vector<std::string>{creating, std::string(sample_datastore), std::string(sample_other_datastore)});
    CHECK(w.pages == 3);
}

TEST_CASE("ListDatastores: each region sees its own datastores and those seeded without a region") {
    cp_server s(cp_sample_config());
    s.clock().advance(1);
    const auto dublin = create_datastore(s, "dublin", in_region("eu-west-1"));
    CHECK(listed(s).size() == 3);
    const auto there = s.get("/datastore", in_region("eu-west-1"));
    const auto ids = ids_in(there, "datastoreSummaries", "datastoreId");
    REQUIRE(ids.size() == 4);
    CHECK(ids.front() == dublin);
    // Every ARN in the answer names the caller's region.
    CHECK(there.body().find("us-east-1") == std::string::npos);
    CHECK(string_at(there, "/datastoreSummaries/1/datastoreArn").find(":eu-west-1:123456789012:datastore/") !=
          std::string::npos);
}

TEST_CASE("ListDatastores 400: maxResults and datastoreStatus at their bounds") {
    cp_server s(cp_config(), numbered_datastores(2));
    CHECK(listed(s, "maxResults=1").size() == 1);
    CHECK(listed(s, "maxResults=50").size() == 2);
    check_error(s.get("/datastore?maxResults=0"), 400, "ValidationException",
                "1 validation error detected: Value '0' at 'maxResults' failed to satisfy constraint: Member must "
                "have value greater than or equal to 1");
    check_error(s.get("/datastore?maxResults=51"), 400, "ValidationException",
                one_violation("maxResults", "51", "Member must have value less than or equal to 50"));
    check_error(s.get("/datastore?maxResults=-3"), 400, "ValidationException",
                one_violation("maxResults", "-3", "Member must have value greater than or equal to 1"));
    for (const char* bad : {"abc", "1.5", "", "5x", "99999999999999999999"}) {
        CAPTURE(bad);
        check_error(s.get("/datastore?maxResults=" + std::string(bad)), 400, "SerializationException",
                    "Value '" + std::string(bad) + "' at 'maxResults' is not an integer");
    }
    check_error(
        s.get("/datastore?datastoreStatus=active"), 400, "ValidationException",
        one_violation("datastoreStatus", "active",
                      "Member must satisfy enum value set: [CREATING, CREATE_FAILED, ACTIVE, DELETING, DELETED]"));
    // Both wrong, in the query's reverse order: listed in the model's order.
    check_error(s.get("/datastore?maxResults=0&datastoreStatus=GONE"), 400, "ValidationException",
                "2 validation errors detected: Value 'GONE' at 'datastoreStatus' failed to satisfy constraint: Member "
                "must satisfy enum value set: [CREATING, CREATE_FAILED, ACTIVE, DELETING, DELETED]; Value '0' at "
                "'maxResults' failed to satisfy constraint: Member must have value greater than or equal to 1");
}

TEST_CASE("ListDatastores 400: nextToken constraints, and tokens this list did not issue") {
    cp_server s(cp_config(), numbered_datastores(4));
    const auto first = s.get("/datastore?maxResults=1");
    const auto token = next_token_of(first);
    REQUIRE(token.has_value());
    REQUIRE(token->size() > 8);
    const auto page = [&](const std::string& t, std::string_view extra = {}) {
        return s.get("/datastore?maxResults=1&nextToken=" + percent_encode(t) + std::string(extra));
    };
    REQUIRE(page(*token).result_int() == 200);
    const std::string invalid = "Invalid pagination token";

    SUBCASE("length and pattern") {
        check_error(s.get("/datastore?nextToken="), 400, "ValidationException",
                    one_violation("nextToken", "", "Member must have length greater than or equal to 1"));
        check_error(page(std::string(8193, 'A')), 400, "ValidationException",
                    one_violation("nextToken", std::string(64, 'A') + "...",
                                  "Member must have length less than or equal to 8192"));
        check_error(page("caf\xC3\xA9"), 400, "ValidationException",
                    one_violation("nextToken", "caf\xC3\xA9",
                                  "Member must satisfy regular expression pattern: \\p{ASCII}{0,8192}"));
    }
    SUBCASE("forged, truncated, altered, padded") {
        check_error(page("forged"), 400, "ValidationException", invalid);
        check_error(page(std::string(8192, 'A')), 400, "ValidationException", invalid);
        check_error(page(token->substr(0, token->size() - 1)), 400, "ValidationException", invalid);
        check_error(page(token->substr(1)), 400, "ValidationException", invalid);
        auto altered = *token;
        altered[altered.size() / 2] = altered[altered.size() / 2] == 'A' ? 'B' : 'A';
        check_error(page(altered), 400, "ValidationException", invalid);
        check_error(page(*token + "="), 400, "ValidationException", invalid);
        check_error(page(*token + *token), 400, "ValidationException", invalid);
    }
    SUBCASE("a token of another list: other filter, other region, other operation") {
        check_error(page(*token, "&datastoreStatus=ACTIVE"), 400, "ValidationException", invalid);
        check_error(s.get("/datastore?maxResults=1&nextToken=" + percent_encode(*token), in_region("eu-west-1")), 400,
                    "ValidationException", invalid);
        const auto filtered = next_token_of(s.get("/datastore?maxResults=1&datastoreStatus=ACTIVE"));
        REQUIRE(filtered.has_value());
        check_error(page(*filtered), 400, "ValidationException", invalid);
        CHECK(page(*filtered, "&datastoreStatus=ACTIVE").result_int() == 200);
        // ListDICOMImportJobs' token.
        cp_server other(cp_config(),
                        R"({"datastores":[{"datastoreId":")" + numbered_id(0) +
                            R"(","datastoreName":"d","datastoreStatus":"ACTIVE"}],"jobs":[)"
                            R"({"jobId":"j1","datastoreId":")" +
                            numbered_id(0) + R"(","jobName":"j","jobStatus":"COMPLETED","dataAccessRoleArn":")" +
                            std::string(k_role) +
                            R"(","inputS3Uri":"s3://in-bucket/",)"
                            R"("outputS3Uri":"s3://out-bucket/","submittedAt":1},)"
                            R"({"jobId":"j2","datastoreId":")" +
                            numbered_id(0) + R"(","jobName":"j","jobStatus":"COMPLETED","dataAccessRoleArn":")" +
                            std::string(k_role) +
                            R"(","inputS3Uri":"s3://in-bucket/",)"
                            R"("outputS3Uri":"s3://out-bucket/","submittedAt":2}]})");
        const auto jobs_token = next_token_of(other.get(list_jobs_target(numbered_id(0), "maxResults=1")));
        REQUIRE(jobs_token.has_value());
        check_error(other.get("/datastore?nextToken=" + percent_encode(*jobs_token)), 400, "ValidationException",
                    invalid);
        // And this server's token means nothing to another server (another key).
        check_error(other.get("/datastore?nextToken=" + percent_encode(*token)), 400, "ValidationException", invalid);
    }
}

TEST_CASE("ListDatastores and fault rules: scoped by operation; a label it does not have is refused") {
    cp_server s(cp_config(), numbered_datastores(1));
    check_error(
        s.post("/_emulator/faults", R"({"operation":"ListDatastores","jobId":"x","error":"ThrottlingException"})"), 400,
        "ValidationException", "fixture (request body): /jobId: ListDatastores has no label jobId");
    check_error(s.post("/_emulator/faults", R"({"operation":"ListDatastores","error":"ResourceNotFoundException"})"),
                400, "ValidationException",
                "fixture (request body): /error: ListDatastores does not declare ResourceNotFoundException");
    CHECK(s.get("/_emulator/faults").body() == R"({"faults":[]})");
    REQUIRE(s.post("/_emulator/faults", R"({"operation":"ListDatastores","error":"InternalServerException",)"
                                        R"("message":"list is down","times":1})")
                .result_int() == 201);
    CHECK(s.get(datastore_target(numbered_id(0))).result_int() == 200);
    check_error(s.get("/datastore?maxResults=1"), 500, "InternalServerException", "list is down");
    CHECK(listed(s) == std::vector<std::string>{numbered_id(0)});
}

}  // namespace
}  // namespace hil::test
