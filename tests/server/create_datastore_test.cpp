// CreateDatastore through the real server: the answer, every member's constraints, the body's
// JSON, idempotency on clientToken, and the data store quota.
#include <doctest/doctest.h>

#include <algorithm>
#include <string>

#include "tests/server/control_plane_support.hpp"
#include "tests/support/expect.hpp"

namespace hil::test {
namespace {

constexpr std::string_view k_kms = "arn:aws:kms:us-east-1:123456789012:key/12345678-abcd-ef01-2345-6789abcdef01";
constexpr std::string_view k_lambda = "arn:aws:lambda:us-east-1:123456789012:function:authorizer";
constexpr std::string_view k_kms_pattern =
    R"(arn:aws[a-zA-Z-]{0,16}:kms:[a-z]{2}(-[a-z]{1,16}){1,3}-\d{1}:\d{12}:((key/[a-fA-F0-9]{8}-[a-fA-F0-9]{4}-)"
    R"([a-fA-F0-9]{4}-[a-fA-F0-9]{4}-[a-fA-F0-9]{12})|(alias/[a-zA-Z0-9:/_-]{1,256})))";
constexpr std::string_view k_lambda_pattern =
    R"(arn:(aws[a-zA-Z-]*)?:lambda:[a-z]{2}((-gov)|(-iso(b?)))?-[a-z]+-\d{1}:\d{12}:function:[a-zA-Z0-9-_]+)"
    R"((:(\$LATEST|[a-zA-Z0-9-_]+))?)";

bool is_datastore_id(std::string_view id) {
    if (id.size() != 32) return false;
    for (const char c : id) {
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z'))) return false;
    }
    return true;
}

std::string body_with(std::string_view members) { return "{" + std::string(members) + "}"; }

TEST_CASE("CreateDatastore 200: CREATING with a fresh id; GetDatastore shows every option given") {
    cp_server s;
    const auto res =
        s.post("/datastore", body_with(R"("datastoreName":"radiology","clientToken":"t1",)"
                                       R"("tags":{"team":"imaging"},"kmsKeyArn":")" +
                                       std::string(k_kms) + R"(","lambdaAuthorizerArn":")" + std::string(k_lambda) +
                                       R"(","losslessStorageFormat":"JPEG_2000_LOSSLESS")"));
    REQUIRE(res.result_int() == 200);
    check_common_headers(res);
    CHECK(res["x-amzn-ErrorType"].empty());
    const auto id = string_at(res, "/datastoreId");
    CHECK(is_datastore_id(id));
    CHECK(res.body() == R"({"datastoreId":")" + id + R"(","datastoreStatus":"CREATING"})");

    const auto got = s.get(datastore_target(id));
    REQUIRE(got.result_int() == 200);
    CHECK(got.body() == R"({"datastoreProperties":{"datastoreId":")" + id +
                            R"(","datastoreName":"radiology","datastoreStatus":"CREATING","datastoreArn":")" +
                            datastore_arn(id) + R"(","createdAt":)" + secs(k_t0) + R"(,"updatedAt":)" + secs(k_t0) +
                            R"(,"kmsKeyArn":")" + std::string(k_kms) + R"(","lambdaAuthorizerArn":")" +
                            std::string(k_lambda) + R"(","losslessStorageFormat":"JPEG_2000_LOSSLESS"}})");
    CHECK(s.get(tags_target(datastore_arn(id))).body() == R"({"tags":{"team":"imaging"}})");

    // Another call with another token is another datastore.
    const auto second = create_datastore(s, "radiology");
    CHECK(is_datastore_id(second));
    CHECK(second != id);
}

TEST_CASE("CreateDatastore without datastoreName: named by its id; without options: none in GetDatastore") {
    cp_server s;
    s.clock().advance(123);
    const auto id = create_datastore_with(s, R"({"clientToken":"only-token"})");
    const auto got = s.get(datastore_target(id));
    CHECK(got.body() == R"({"datastoreProperties":{"datastoreId":")" + id + R"(","datastoreName":")" + id +
                            R"(","datastoreStatus":"CREATING","datastoreArn":")" + datastore_arn(id) +
                            R"(","createdAt":)" + secs(k_t0 + 123) + R"(,"updatedAt":)" + secs(k_t0 + 123) + "}}");
    CHECK(s.get(tags_target(datastore_arn(id))).body() == R"({"tags":{}})");
}

TEST_CASE("CreateDatastore: each member at its boundaries") {
    cp_server s;
    const auto ok = [&](const std::string& members) {
        const auto res = s.post("/datastore", body_with(members));
        CHECK_MESSAGE(res.result_int() == 200, members << " -> " << res.body());
    };
    const auto refused = [&](const std::string& members, const std::string& message) {
        check_error(s.post("/datastore", body_with(members)), 400, "ValidationException", message);
    };
    const std::string tok = R"("clientToken":")";

    SUBCASE("datastoreName: 1 and 256 characters pass, 257 and 0 do not; the pattern") {
        ok(tok + fresh_token() + R"(","datastoreName":"n")");
        ok(tok + fresh_token() + R"(","datastoreName":")" + std::string(256, 'n') + R"(")");
        ok(tok + fresh_token() + R"(","datastoreName":"Az09._/#-")");
        refused(tok + "a\",\"datastoreName\":\"" + std::string(257, 'n') + "\"",
                one_violation("datastoreName", std::string(64, 'n') + "...",
                              "Member must have length less than or equal to 256"));
        refused(tok + R"(a","datastoreName":"")",
                "2 validation errors detected: Value '' at 'datastoreName' failed to satisfy constraint: Member must "
                "have length greater than or equal to 1; Value '' at 'datastoreName' failed to satisfy constraint: "
                "Member must satisfy regular expression pattern: " +
                    std::string(k_name_pattern));
        refused(tok + R"(a","datastoreName":"my store")",
                one_violation("datastoreName", "my store",
                              "Member must satisfy regular expression pattern: " + std::string(k_name_pattern)));
    }
    SUBCASE("clientToken: 1 and 64 characters pass, 65 and 0 do not; the pattern") {
        ok(tok + "x\"");
        ok(tok + std::string(64, 't') + "\"");
        ok(tok + "A-z.0_9\"");
        refused(tok + std::string(65, 't') + "\"", one_violation("clientToken", std::string(64, 't') + "...",
                                                                 "Member must have length less than or equal to 64"));
        refused(tok + "\"",
                "2 validation errors detected: Value '' at 'clientToken' failed to satisfy constraint: Member must "
                "have length greater than or equal to 1; Value '' at 'clientToken' failed to satisfy constraint: "
                "Member must satisfy regular expression pattern: " +
                    std::string(k_token_pattern));
        refused(tok + "a:b\"",
                one_violation("clientToken", "a:b",
                              "Member must satisfy regular expression pattern: " + std::string(k_token_pattern)));
    }
    SUBCASE("kmsKeyArn: a key and an alias pass; anything else quotes the pattern") {
        ok(tok + fresh_token() + R"(","kmsKeyArn":")" + std::string(k_kms) + "\"");
        ok(tok + fresh_token() + R"(","kmsKeyArn":"arn:aws:kms:eu-west-1:123456789012:alias/my-key")");
        refused(tok + R"(a","kmsKeyArn":"arn:aws:kms:us-east-1:123456789012:key/not-a-uuid")",
                one_violation("kmsKeyArn", "arn:aws:kms:us-east-1:123456789012:key/not-a-uuid",
                              "Member must satisfy regular expression pattern: " + std::string(k_kms_pattern)));
        refused(tok + R"(a","kmsKeyArn":"")",
                "2 validation errors detected: Value '' at 'kmsKeyArn' failed to satisfy constraint: Member must "
                "have length greater than or equal to 1; Value '' at 'kmsKeyArn' failed to satisfy constraint: "
                "Member must satisfy regular expression pattern: " +
                    std::string(k_kms_pattern));
    }
    SUBCASE("lambdaAuthorizerArn") {
        ok(tok + fresh_token() + R"(","lambdaAuthorizerArn":")" + std::string(k_lambda) + "\"");
        ok(tok + fresh_token() + R"(","lambdaAuthorizerArn":")" + std::string(k_lambda) + ":$LATEST\"");
        refused(tok + R"(a","lambdaAuthorizerArn":"arn:aws:lambda:us-east-1:123456789012:layer:x")",
                one_violation("lambdaAuthorizerArn", "arn:aws:lambda:us-east-1:123456789012:layer:x",
                              "Member must satisfy regular expression pattern: " + std::string(k_lambda_pattern)));
    }
    SUBCASE("losslessStorageFormat: the two enum values, nothing else") {
        ok(tok + fresh_token() + R"(","losslessStorageFormat":"HTJ2K")");
        ok(tok + fresh_token() + R"(","losslessStorageFormat":"JPEG_2000_LOSSLESS")");
        refused(tok + R"(a","losslessStorageFormat":"htj2k")",
                one_violation("losslessStorageFormat", "htj2k",
                              "Member must satisfy enum value set: [HTJ2K, JPEG_2000_LOSSLESS]"));
    }
    SUBCASE("tags: key 128 / value 256 pass; key 129, an aws: key and value 257 do not") {
        ok(tok + fresh_token() + R"(","tags":{")" + std::string(128, 'k') + R"(":")" + std::string(256, 'v') + "\"}");
        ok(tok + fresh_token() + R"(","tags":{"empty-value":""})");
        refused(tok + R"(a","tags":{")" + std::string(129, 'k') + R"(":"v"})",
                one_violation("tags", "{" + std::string(129, 'k') + "=v}",
                              "Map keys must satisfy constraint: [Member must have length less than or equal to 128]"));
        refused(tok + R"(a","tags":{"aws:owner":"v"})",
                one_violation("tags", "{aws:owner=v}",
                              "Map keys must satisfy constraint: [Member must satisfy regular expression pattern: " +
                                  std::string(k_tag_key_pattern) + "]"));
        // The map is quoted up to 256 code points.
        const std::string rendered = "{k=" + std::string(257, 'v') + "}";
        refused(
            tok + R"(a","tags":{"k":")" + std::string(257, 'v') + R"("})",
            one_violation("tags", rendered.substr(0, 256) + "...",
                          "Map value must satisfy constraint: [Member must have length less than or equal to 256]"));
    }
    SUBCASE("tags: 50 on a new datastore pass, 51 do not") {
        const auto id = create_datastore_with(s, body_with(tok + "fifty\",\"tags\":" + tags_json(50)));
        CHECK(body_of(s.get(tags_target(datastore_arn(id))))["tags"].MemberCount() == 50);
        check_error(s.post("/datastore", body_with(tok + "fifty-one\",\"tags\":" + tags_json(51))), 400,
                    "ValidationException", "A resource can have at most 50 tags; the request has 51");
        // Nothing was created by the refused call.
        CHECK(ids_in(s.get("/datastore"), "datastoreSummaries", "datastoreId").size() == 1);
    }
}

TEST_CASE("CreateDatastore 400: missing clientToken; every violation listed in the model's member order") {
    cp_server s;
    const std::string null_token = "Value null at 'clientToken' failed to satisfy constraint: Member must not be null";
    check_error(s.post("/datastore", ""), 400, "ValidationException", "1 validation error detected: " + null_token);
    check_error(s.post("/datastore", "{}"), 400, "ValidationException", "1 validation error detected: " + null_token);
    check_error(s.post("/datastore", R"({"clientToken":null,"datastoreName":"ok"})"), 400, "ValidationException",
                "1 validation error detected: " + null_token);
    // Members in the body in another order than the model's: the message follows the model.
    check_error(s.post("/datastore", R"({"losslessStorageFormat":"PNG","kmsKeyArn":"nope","tags":{"aws:x":"v"},)"
                                     R"("datastoreName":"bad name"})"),
                400, "ValidationException",
                "5 validation errors detected: Value 'bad name' at 'datastoreName' failed to satisfy constraint: "
                "Member must satisfy regular expression pattern: " +
                    std::string(k_name_pattern) + "; " + null_token +
                    "; Value '{aws:x=v}' at 'tags' failed to satisfy constraint: Map keys must satisfy constraint: "
                    "[Member must satisfy regular expression pattern: " +
                    std::string(k_tag_key_pattern) +
                    "]; Value 'nope' at 'kmsKeyArn' failed to satisfy constraint: Member must satisfy regular "
                    "expression pattern: " +
                    std::string(k_kms_pattern) +
                    "; Value 'PNG' at 'losslessStorageFormat' failed to satisfy constraint: Member must satisfy enum "
                    "value set: [HTJ2K, JPEG_2000_LOSSLESS]");
    CHECK(s.get("/datastore").body() == R"({"datastoreSummaries":[]})");
}

TEST_CASE("CreateDatastore: unknown members are ignored and null is absent") {
    cp_server s;
    const auto id = create_datastore_with(s, R"({"clientToken":"t","surprise":{"nested":[1,2]},"datastoreName":null,)"
                                             R"("kmsKeyArn":null})");
    const auto got = s.get(datastore_target(id));
    CHECK(string_at(got, "/datastoreProperties/datastoreName") == id);
    CHECK_FALSE(body_of(got)["datastoreProperties"].HasMember("kmsKeyArn"));
}

TEST_CASE("CreateDatastore 400 SerializationException: a body that is not the operation's JSON") {
    cp_server s;
    check_error_prefix(s.post("/datastore", R"({"clientToken":)"), 400, "SerializationException",
                       "The request body is not valid JSON: ");
    check_error(s.post("/datastore", R"(["clientToken"])"), 400, "SerializationException",
                "The request body must be a JSON object");
    check_error(s.post("/datastore", R"("t")"), 400, "SerializationException",
                "The request body must be a JSON object");
    check_error(s.post("/datastore", R"({"clientToken":7})"), 400, "SerializationException",
                "Expected a string at 'clientToken', not a number");
    check_error(s.post("/datastore", R"({"clientToken":"t","datastoreName":true})"), 400, "SerializationException",
                "Expected a string at 'datastoreName', not a boolean");
    check_error(s.post("/datastore", R"({"clientToken":"t","tags":["a"]})"), 400, "SerializationException",
                "Expected an object at 'tags', not an array");
    check_error(s.post("/datastore", R"({"clientToken":"t","tags":{"k":1}})"), 400, "SerializationException",
                "Expected a string at 'tags.k', not a number");
    check_error(s.post("/datastore", R"({"clientToken":"t","losslessStorageFormat":{}})"), 400,
                "SerializationException", "Expected a string at 'losslessStorageFormat', not an object");
    CHECK(s.get("/datastore").body() == R"({"datastoreSummaries":[]})");
}

TEST_CASE("CreateDatastore idempotency: the same token and request answer the same datastore") {
    cp_server s;
    const std::string request = R"({"datastoreName":"same","clientToken":"t1","losslessStorageFormat":"HTJ2K"})";
    const auto first = s.post("/datastore", request);
    REQUIRE(first.result_int() == 200);
    const auto id = string_at(first, "/datastoreId");
    s.clock().advance(1000);
    const auto again = s.post("/datastore", request);
    CHECK(again.result_int() == 200);
    CHECK(again.body() == first.body());

    SUBCASE("also once it is ACTIVE: the answer carries its status now") {
        wait_active(s, id);
        const auto later = s.post("/datastore", request);
        CHECK(later.result_int() == 200);
        CHECK(later.body() == R"({"datastoreId":")" + id + R"(","datastoreStatus":"ACTIVE"})");
    }
    SUBCASE("without a name both times") {
        const auto unnamed = create_datastore_with(s, R"({"clientToken":"t2"})");
        CHECK(create_datastore_with(s, R"({"clientToken":"t2"})") == unnamed);
        CHECK(unnamed != id);
    }
    // Only one datastore per token was made; createdAt is the first call's.
    const auto listed = s.get("/datastore");
    const auto ids = ids_in(listed, "datastoreSummaries", "datastoreId");
    CHECK(std::count(ids.begin(), ids.end(), id) == 1);
    CHECK(s.get(datastore_target(id)).body().find(R"("createdAt":)" + secs(k_t0) + ",") != std::string::npos);
}

TEST_CASE("CreateDatastore 409: the same token with a different request") {
    cp_server s;
    const auto id = create_datastore_with(s, R"({"datastoreName":"n","clientToken":"t1","kmsKeyArn":")" +
                                                 std::string(k_kms) + R"(","lambdaAuthorizerArn":")" +
                                                 std::string(k_lambda) + R"(","losslessStorageFormat":"HTJ2K"})");
    const std::string conflict = "Client token t1 was already used for a different CreateDatastore request";
    const std::string same_options =
        R"(","lambdaAuthorizerArn":")" + std::string(k_lambda) + R"(","losslessStorageFormat":"HTJ2K")";
    const std::string kms = R"(,"kmsKeyArn":")" + std::string(k_kms);
    // Another name, no name, another or no KMS key, another authorizer, another format.
    check_error(s.post("/datastore", R"({"datastoreName":"other","clientToken":"t1")" + kms + same_options + "}"), 409,
                "ConflictException", conflict);
    check_error(s.post("/datastore", R"({"clientToken":"t1")" + kms + same_options + "}"), 409, "ConflictException",
                conflict);
    check_error(s.post("/datastore", R"({"datastoreName":"n","clientToken":"t1","kmsKeyArn":"arn:aws:kms:us-east-1:)"
                                     R"(123456789012:alias/other)" +
                                         same_options + "}"),
                409, "ConflictException", conflict);
    check_error(s.post("/datastore", R"({"datastoreName":"n","clientToken":"t1)" + same_options + "}"), 409,
                "ConflictException", conflict);
    check_error(
        s.post("/datastore", R"({"datastoreName":"n","clientToken":"t1")" + kms + R"(","lambdaAuthorizerArn":")" +
                                 std::string(k_lambda) + R"(:v2","losslessStorageFormat":"HTJ2K"})"),
        409, "ConflictException", conflict);
    check_error(
        s.post("/datastore", R"({"datastoreName":"n","clientToken":"t1")" + kms + R"(","lambdaAuthorizerArn":")" +
                                 std::string(k_lambda) + R"(","losslessStorageFormat":"JPEG_2000_LOSSLESS"})"),
        409, "ConflictException", conflict);
    // The exact first request still answers the datastore.
    CHECK(create_datastore_with(s, R"({"datastoreName":"n","clientToken":"t1")" + kms + same_options + "}") == id);
    CHECK(ids_in(s.get("/datastore"), "datastoreSummaries", "datastoreId").size() == 1);
}

TEST_CASE(
    "CreateDatastore idempotency: tags are not part of the comparison (README: name, KMS key, authorizer, format)") {
    // The README lists the members compared; tags can change later through TagResource, so a
    // retry with other tags answers the first datastore, whose tags stay the first call's.
    cp_server s;
    const auto id = create_datastore_with(s, R"({"datastoreName":"n","clientToken":"t1","tags":{"a":"1"}})");
    CHECK(create_datastore_with(s, R"({"datastoreName":"n","clientToken":"t1","tags":{"b":"2"}})") == id);
    CHECK(s.get(tags_target(datastore_arn(id))).body() == R"({"tags":{"a":"1"}})");
}

TEST_CASE("CreateDatastore idempotency is per account and region") {
    cp_server s(cp_config(), R"({"datastores":[{"datastoreId":"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",)"
                             R"("datastoreName":"n","datastoreStatus":"ACTIVE","accountId":"210987654321",)"
                             R"("region":"us-east-1","clientToken":"shared"}]})");
    const std::string request = R"({"datastoreName":"n","clientToken":"shared"})";
    // Another account's datastore with this token is not the caller's.
    const auto here = create_datastore_with(s, request);
    CHECK(here != "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
    // Another region: a datastore of its own, with the same token and request.
    const auto there = create_datastore_with(s, request, in_region("eu-west-1"));
    CHECK(there != here);
    CHECK(create_datastore_with(s, request, in_region("eu-west-1")) == there);
    CHECK(create_datastore_with(s, request) == here);
    // Each is seen from its own region only.
    check_error(s.get(datastore_target(there)), 404, "ResourceNotFoundException", "Datastore " + there + " not found");
    CHECK(string_at(s.get(datastore_target(there), in_region("eu-west-1")), "/datastoreProperties/datastoreArn") ==
          datastore_arn(there, "eu-west-1"));
}

TEST_CASE("CreateDatastore idempotency: the answer carries the status now, also with a time-based lifecycle") {
    auto cfg = cp_config();
    cfg.lifecycle.datastore_create = {{"ACTIVE", std::nullopt, 2000, std::nullopt, std::nullopt}};
    cp_server s(cfg);
    const std::string request = R"({"datastoreName":"n","clientToken":"t1"})";
    const auto id = create_datastore_with(s, request);
    s.clock().advance(3000);
    const auto again = s.post("/datastore", request);
    REQUIRE(again.result_int() == 200);
    CHECK(again.body() == R"({"datastoreId":")" + id + R"(","datastoreStatus":"ACTIVE"})");
    CHECK(string_at(s.get(datastore_target(id)), "/datastoreProperties/datastoreStatus") == "ACTIVE");
}

TEST_CASE("CreateDatastore 402 ServiceQuotaExceededException past max_datastores") {
    auto cfg = cp_config();
    cfg.lifecycle.max_datastores = 2;
    cp_server s(cfg);
    const auto a = active_datastore(s, "a");
    const auto b = create_datastore_with(s, R"({"datastoreName":"b","clientToken":"b-token"})");
    const std::string quota = "The account already has 2 data stores in us-east-1, the most it may have";
    check_error(s.post("/datastore", R"({"clientToken":"third"})"), 402, "ServiceQuotaExceededException", quota);

    SUBCASE("a retry of a call that made one is still answered") {
        CHECK(create_datastore_with(s, R"({"datastoreName":"b","clientToken":"b-token"})") == b);
    }
    SUBCASE("other regions have their own quota") {
        create_datastore(s, "elsewhere", in_region("eu-west-1"));
        create_datastore(s, "elsewhere-2", in_region("eu-west-1"));
        check_error(s.post("/datastore", R"({"clientToken":"x"})", in_region("eu-west-1")), 402,
                    "ServiceQuotaExceededException",
                    "The account already has 2 data stores in eu-west-1, the most it may have");
    }
    SUBCASE("a DELETING datastore counts, a DELETED one does not") {
        REQUIRE(s.del(datastore_target(a)).result_int() == 200);
        check_error(s.post("/datastore", R"({"clientToken":"third"})"), 402, "ServiceQuotaExceededException", quota);
        CHECK(string_at(s.get(datastore_target(a)), "/datastoreProperties/datastoreStatus") == "DELETING");
        CHECK(string_at(s.get(datastore_target(a)), "/datastoreProperties/datastoreStatus") == "DELETED");
        create_datastore(s, "third");
        check_error(s.post("/datastore", R"({"clientToken":"fourth"})"), 402, "ServiceQuotaExceededException", quota);
    }
}

TEST_CASE("CreateDatastore quota: a datastore DELETED by a time-based step does not count") {
    auto cfg = cp_config();
    cfg.lifecycle.max_datastores = 1;
    cfg.lifecycle.datastore_delete = {{"DELETED", std::nullopt, 1000, std::nullopt, std::nullopt}};
    cp_server s(cfg);
    const auto a = active_datastore(s, "a");
    REQUIRE(s.del(datastore_target(a)).result_int() == 200);
    s.clock().advance(5000);
    // By the clock it is DELETED (ListDatastores says so) but nothing has polled it since.
    CHECK(s.get("/datastore").body().find(R"("datastoreStatus":"DELETED")") != std::string::npos);
    const auto res = s.post("/datastore", R"({"clientToken":"next"})");
    CHECK_MESSAGE(res.result_int() == 200, res.body());
    s.get(datastore_target(a));
    CHECK(s.post("/datastore", R"({"clientToken":"next"})").result_int() == 200);
}

TEST_CASE("State round trip: GET /_emulator/state, loaded back with mode=replace, is the same document") {
    cp_server s(cp_sample_config());
    s.clock().advance(1500);
    const auto a =
        create_datastore_with(s, R"({"datastoreName":"round-trip","clientToken":"rt-1","tags":{"a":"1","b":"x y"},)"
                                 R"("kmsKeyArn":")" +
                                     std::string(k_kms) + R"(","lambdaAuthorizerArn":")" + std::string(k_lambda) +
                                     R"(","losslessStorageFormat":"HTJ2K"})");
    wait_active(s, a);
    const auto dublin = create_datastore(s, "dublin", in_region("eu-west-1"));
    s.get(datastore_target(dublin), in_region("eu-west-1"));  // one poll: CREATING, ACTIVE reached
    // Seeded members the API cannot set: a time-based progression, a datastore import progression, an import rule.
    REQUIRE(s.post("/_emulator/fixtures?mode=merge",
                   R"({"datastores":[{"datastoreId":"abababababababababababababababab","datastoreName":"seeded",)"
                   R"("datastoreStatus":"CREATING","region":"us-east-1","createdAt":1764403000.25,)"
                   R"("progression":[{"datastoreStatus":"ACTIVE","afterSeconds":90.5}],)"
                   R"("importProgression":[{"jobStatus":"IN_PROGRESS","afterPolls":0},)"
                   R"({"jobStatus":"COMPLETED","afterSeconds":30,"message":"done"}]}],)"
                   R"("importRules":[{"inputS3UriPrefix":"s3://deny/","datastoreId":")" +
                       a + R"(","message":"denied"}]})")
                .result_int() == 200);
    s.clock().advance(250);
    const auto j1 =
        string_at(s.post(start_target(a), start_body("job-1", "s3://in-bucket/a/", "s3://out-bucket/",
                                                     R"("jobName":"one","inputOwnerAccountId":"210987654321",)"
                                                     R"("importConfiguration":{"dicomJsonMetadataImportConfiguration":)"
                                                     R"({"dicomMetadataMappings":[{"studyInstanceUID":"1.2",)"
                                                     R"("metadataFilePath":"m.json"}]}})")),
                  "/jobId");
    s.get(job_target(a, j1));
    s.clock().advance(1);
    const auto j2 = start_job(s, a, "s3://deny/x/");
    s.get(job_target(a, j2));
    s.get(job_target(a, j2));
    REQUIRE(s.post("/_emulator/faults", R"({"id":"f1","operation":"GetDatastore","datastoreId":")" + a +
                                            R"(","error":"ThrottlingException","retryAfter":2,"times":3})")
                .result_int() == 201);
    CHECK(s.get(datastore_target(a)).result_int() == 429);
    s.clock().advance(20'000);

    const auto before = s.get("/_emulator/state");
    REQUIRE(before.result_int() == 200);
    const auto datastores_before = s.get("/datastore").body();
    const auto jobs_before = s.get(list_jobs_target(a)).body();
    // The state names what was made here, with its members.
    CHECK(before.body().find(R"("datastoreId":")" + a +
                             R"(","datastoreName":"round-trip","datastoreStatus":"ACTIVE",)"
                             R"("accountId":"123456789012","region":"us-east-1",)") != std::string::npos);
    CHECK(before.body().find(R"("tags":{"a":"1","b":"x y"},"clientToken":"rt-1")") != std::string::npos);
    CHECK(before.body().find(R"("inputOwnerAccountId":"210987654321")") != std::string::npos);

    const auto loaded = s.post("/_emulator/fixtures?mode=replace", before.body());
    REQUIRE_MESSAGE(loaded.result_int() == 200, loaded.body());
    CHECK(loaded.body() == R"({"mode":"replace","loaded":{"datastores":6,"jobs":7,"importRules":1,"faults":1,"credentials":0,"policies":0}})");
    const auto after = s.get("/_emulator/state");
    CHECK(after.body() == before.body());
    CHECK(s.get("/datastore").body() == datastores_before);
    CHECK(s.get(list_jobs_target(a)).body() == jobs_before);
    // Loaded again from its own state, it is still the same.
    REQUIRE(s.post("/_emulator/fixtures?mode=replace", after.body()).result_int() == 200);
    CHECK(s.get("/_emulator/state").body() == before.body());
}

TEST_CASE("POST /_emulator/reset returns to the start-up state: created datastores gone, the sample back") {
    cp_server s(cp_sample_config());
    const auto initial_state = s.get("/_emulator/state").body();
    const auto initial_list = s.get("/datastore").body();
    const std::string request = R"({"datastoreName":"temporary","clientToken":"before-reset"})";
    const auto a = create_datastore_with(s, request);
    wait_active(s, a);
    start_job(s, a);
    create_datastore(s, "elsewhere", in_region("eu-west-1"));
    REQUIRE(s.post(tags_target(datastore_arn(sample_datastore)), R"({"tags":{"t":"1"}})").result_int() == 200);
    REQUIRE(s.del(datastore_target(sample_other_datastore)).result_int() == 200);
    REQUIRE(s.post("/_emulator/fixtures?mode=replace", R"({"datastores":[]})").result_int() == 200);
    CHECK(s.get("/datastore").body() == R"({"datastoreSummaries":[]})");

    const auto reset = s.post("/_emulator/reset", "");
    REQUIRE(reset.result_int() == 200);
    CHECK(reset.body().starts_with(R"({"status":"reset","version":")"));
    CHECK(reset.body().ends_with(R"(","datastores":3,"jobs":5,"importRules":0,"imageSets":0,"faults":0,"credentials":0,"policies":0})"));
    CHECK(s.get("/datastore").body() == initial_list);
    CHECK(s.get("/_emulator/state").body() == initial_state);
    check_error(s.get(datastore_target(a)), 404, "ResourceNotFoundException", "Datastore " + a + " not found");
    CHECK(ids_in(s.get("/datastore", in_region("eu-west-1")), "datastoreSummaries", "datastoreId").size() == 3);
    CHECK(s.get(tags_target(datastore_arn(sample_datastore))).body() == R"({"tags":{}})");
    CHECK(string_at(s.get(datastore_target(sample_other_datastore)), "/datastoreProperties/datastoreStatus") ==
          "ACTIVE");
    CHECK(string_at(s.get(job_target(sample_datastore, sample_completed_job)), "/jobProperties/jobStatus") ==
          "COMPLETED");
    // A client token used before the reset is free again: a new datastore.
    const auto again = create_datastore_with(s, request);
    CHECK(again != a);
    CHECK(string_at(s.post("/datastore", request), "/datastoreId") == again);
}

}  // namespace
}  // namespace hil::test
