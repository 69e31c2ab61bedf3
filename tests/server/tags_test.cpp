// TagResource, UntagResource and ListTagsForResource through the real server: the ARN as one
// percent-encoded segment, exact bodies, the 50-tag limit, key and value constraints, the
// tagKeys list, 404s by datastore, region, account and resource type, and fault rules scoped
// on resourceArn.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "tests/server/control_plane_support.hpp"
#include "tests/support/expect.hpp"

namespace hil::test {
namespace {

std::string tag_body(std::string_view tags) { return R"({"tags":)" + std::string(tags) + "}"; }

std::string untag_target(std::string_view arn, const std::vector<std::string>& keys) {
    std::string t = tags_target(arn);
    for (std::size_t i = 0; i < keys.size(); ++i) t += (i ? "&tagKeys=" : "?tagKeys=") + percent_encode(keys[i]);
    return t;
}

std::string arn_violation(std::string_view arn) {
    return "Value '" + std::string(arn) +
           "' at 'resourceArn' failed to satisfy constraint: Member must satisfy "
           "regular expression pattern: " +
           std::string(k_arn_pattern);
}

TEST_CASE("Tags: created with the datastore, added and overwritten, removed; exact bodies") {
    cp_server s;
    const auto id = create_datastore_with(s, R"({"clientToken":"t","tags":{"project":"chest-ct","cost-center":"42"}})");
    const auto arn = datastore_arn(id);
    // The ARN travels percent-encoded as one segment, as the SDKs send it.
    REQUIRE(tags_target(arn) == "/tags/arn%3Aaws%3Amedical-imaging%3Aus-east-1%3A123456789012%3Adatastore%2F" + id);
    const auto listed = s.get(tags_target(arn));
    REQUIRE(listed.result_int() == 200);
    check_common_headers(listed);
    CHECK(listed.body() == R"({"tags":{"cost-center":"42","project":"chest-ct"}})");

    const auto tagged = s.post(tags_target(arn), tag_body(R"({"project":"brain-mri","owner":"radiology"})"));
    CHECK(tagged.result_int() == 200);
    check_common_headers(tagged);
    CHECK(tagged.body() == "{}");
    CHECK(s.get(tags_target(arn)).body() ==
          R"({"tags":{"cost-center":"42","owner":"radiology","project":"brain-mri"}})");
    // Tagging with nothing changes nothing.
    CHECK(s.post(tags_target(arn), tag_body("{}")).body() == "{}");

    const auto untagged = s.del(untag_target(arn, {"owner", "absent", "cost-center"}));
    CHECK(untagged.result_int() == 200);
    CHECK(untagged.body() == "{}");
    CHECK(s.get(tags_target(arn)).body() == R"({"tags":{"project":"brain-mri"}})");
    // Keys that are not there are fine.
    CHECK(s.del(untag_target(arn, {"never-set"})).body() == "{}");
    CHECK(s.del(untag_target(arn, {"project"})).body() == "{}");
    CHECK(s.get(tags_target(arn)).body() == R"({"tags":{}})");
    // The datastore itself is untouched by tagging.
    CHECK(s.get(datastore_target(id)).body().find(R"("updatedAt":)" + secs(k_t0) + "}") != std::string::npos);
}

TEST_CASE("Tags: values are any text, counted in code points; they come back escaped as JSON") {
    cp_server s;
    const auto arn = datastore_arn(create_datastore(s, "text"));
    const std::string value = R"("say \"hi\" back\\slash\nline \u00e9 \u2713")";
    REQUIRE(s.post(tags_target(arn), tag_body(R"({"q":)" + value + "}")).result_int() == 200);
    CHECK(s.get(tags_target(arn)).body() ==
          "{\"tags\":{\"q\":\"say \\\"hi\\\" back\\\\slash\\nline \xC3\xA9 \xE2\x9C\x93\"}}");
    std::string e256;
    for (int i = 0; i < 256; ++i) e256 += "\xC3\xA9";
    CHECK(s.post(tags_target(arn), tag_body(R"({"e":")" + e256 + "\"}")).result_int() == 200);
    const std::string rendered = "{e=" + e256 + "\xC3\xA9}";
    // The quoted map is cut at 256 code points: "{e=" and 253 of the value's.
    std::string cut = "{e=";
    for (int i = 0; i < 253; ++i) cut += "\xC3\xA9";
    check_error(
        s.post(tags_target(arn), tag_body(R"({"e":")" + e256 + "\xC3\xA9\"}")), 400, "ValidationException",
        one_violation("tags", cut + "...",
                      "Map value must satisfy constraint: [Member must have length less than or equal to 256]"));
}

TEST_CASE("TagResource: 50 tags in all, not 51") {
    cp_server s;
    const auto arn = datastore_arn(create_datastore_with(s, R"({"clientToken":"t","tags":)" + tags_json(49) + "}"));
    REQUIRE(s.post(tags_target(arn), tag_body(R"({"k49":"v"})")).result_int() == 200);
    CHECK(body_of(s.get(tags_target(arn)))["tags"].MemberCount() == 50);
    // Overwriting at 50 is fine; one more is not, and nothing of that call is kept.
    CHECK(s.post(tags_target(arn), tag_body(R"({"k0":"new"})")).result_int() == 200);
    check_error(s.post(tags_target(arn), tag_body(R"({"k1":"newer","k50":"v"})")), 400, "ValidationException",
                "A resource can have at most 50 tags; with these it would have 51");
    const auto tags = body_of(s.get(tags_target(arn)));
    CHECK(tags["tags"].MemberCount() == 50);
    CHECK(std::string(tags["tags"]["k0"].GetString()) == "new");
    CHECK(std::string(tags["tags"]["k1"].GetString()) == "v1");
    // 51 in one call on a datastore without tags.
    const auto bare = datastore_arn(create_datastore(s, "bare"));
    check_error(s.post(tags_target(bare), tag_body(tags_json(51))), 400, "ValidationException",
                "A resource can have at most 50 tags; with these it would have 51");
    CHECK(s.get(tags_target(bare)).body() == R"({"tags":{}})");
    CHECK(s.post(tags_target(bare), tag_body(tags_json(50))).result_int() == 200);
}

TEST_CASE("TagResource 400: tags required; key and value constraints; wrong types") {
    cp_server s;
    const auto arn = datastore_arn(create_datastore(s, "v"));
    const auto post = [&](std::string body) { return s.post(tags_target(arn), std::move(body)); };
    check_error(
        post("{}"), 400, "ValidationException",
        "1 validation error detected: Value null at 'tags' failed to satisfy constraint: Member must not be null");
    check_error(
        post(""), 400, "ValidationException",
        "1 validation error detected: Value null at 'tags' failed to satisfy constraint: Member must not be null");
    CHECK(post(tag_body(R"({")" + std::string(128, 'k') + R"(":")" + std::string(256, 'v') + R"(","a+-=._:/Z9":""})"))
              .result_int() == 200);
    check_error(post(tag_body(R"({")" + std::string(129, 'k') + R"(":"v"})")), 400, "ValidationException",
                one_violation("tags", "{" + std::string(129, 'k') + "=v}",
                              "Map keys must satisfy constraint: [Member must have length less than or equal to 128]"));
    check_error(post(tag_body(R"({"aws:created-by":"me"})")), 400, "ValidationException",
                one_violation("tags", "{aws:created-by=me}",
                              "Map keys must satisfy constraint: [Member must satisfy regular expression pattern: " +
                                  std::string(k_tag_key_pattern) + "]"));
    // Each broken constraint once, for keys and for values.
    check_error(
        post(tag_body(R"({"":"x","aws:a":"y","b c":")" + std::string(257, 'v') + R"("})")), 400, "ValidationException",
        "2 validation errors detected: Value '" + ("{=x, aws:a=y, b c=" + std::string(257, 'v') + "}").substr(0, 256) +
            "...' at 'tags' failed to satisfy constraint: Map keys must satisfy constraint: [Member must have "
            "length greater than or equal to 1, Member must satisfy regular expression pattern: " +
            std::string(k_tag_key_pattern) + "]; Value '" +
            ("{=x, aws:a=y, b c=" + std::string(257, 'v') + "}").substr(0, 256) +
            "...' at 'tags' failed to satisfy constraint: Map value must satisfy constraint: [Member must have "
            "length less than or equal to 256]");
    check_error(post(tag_body("[]")), 400, "SerializationException", "Expected an object at 'tags', not an array");
    check_error(post(tag_body(R"({"k":null})")), 400, "SerializationException",
                "Expected a string at 'tags.k', not null");
    check_error(post("{"), 400, "SerializationException",
                "The request body is not valid JSON: Missing a name for object member. (at byte 1)");
    CHECK(s.get(tags_target(arn)).body().find("aws:") == std::string::npos);
}

TEST_CASE("UntagResource 400: tagKeys required, at most 200, each a TagKey") {
    cp_server s;
    const auto arn = datastore_arn(create_datastore_with(s, R"({"clientToken":"t","tags":{"keep":"1"}})"));
    check_error(
        s.del(tags_target(arn)), 400, "ValidationException",
        "1 validation error detected: Value null at 'tagKeys' failed to satisfy constraint: Member must not be null");
    std::vector<std::string> keys;
    for (int i = 0; i < 201; ++i) keys.push_back("k" + std::to_string(i));
    std::string rendered = "[";
    for (std::size_t i = 0; i < keys.size(); ++i) rendered += (i ? ", " : "") + keys[i];
    rendered += "]";
    check_error(
        s.del(untag_target(arn, keys)), 400, "ValidationException",
        one_violation("tagKeys", rendered.substr(0, 64) + "...", "Member must have length less than or equal to 200"));
    keys.pop_back();
    CHECK(s.del(untag_target(arn, keys)).result_int() == 200);
    check_error(s.del(untag_target(arn, {"ok", "aws:secret", std::string(129, 'k')})), 400, "ValidationException",
                "2 validation errors detected: Value 'aws:secret' at 'tagKeys.2.member' failed to satisfy constraint: "
                "Member must satisfy regular expression pattern: " +
                    std::string(k_tag_key_pattern) + "; Value '" + std::string(64, 'k') +
                    "...' at 'tagKeys.3.member' failed to satisfy constraint: Member must have "
                    "length less than or equal to 128");
    check_error(
        s.del(tags_target(arn) + "?tagKeys="), 400, "ValidationException",
        "2 validation errors detected: Value '' at 'tagKeys.1.member' failed to satisfy constraint: Member must "
        "have length greater than or equal to 1; Value '' at 'tagKeys.1.member' failed to satisfy constraint: "
        "Member must satisfy regular expression pattern: " +
            std::string(k_tag_key_pattern));
    // Keys are decoded like any query value.
    REQUIRE(s.post(tags_target(arn), tag_body(R"({"a:b/c":"1"})")).result_int() == 200);
    CHECK(s.del(tags_target(arn) + "?tagKeys=a%3Ab%2Fc").result_int() == 200);
    CHECK(s.get(tags_target(arn)).body() == R"({"tags":{"keep":"1"}})");
}

TEST_CASE("Tags 400: a malformed ARN quotes the Arn pattern, for each of the three operations") {
    cp_server s;
    const auto id = create_datastore(s, "x");
    for (const auto& arn :
         {std::string("not-an-arn"), "arn:aws:medical-imaging:us-east-1:123456789012:datastore/" + id + "x",
          "arn:aws:medical-imaging:us-east-1:12345678901:datastore/" + id,
          "arn:aws:s3:us-east-1:123456789012:datastore/" + id,
          "arn:aws:medical-imaging:us-east-1:123456789012:datastore/" + id + "/imageset/short"}) {
        CAPTURE(arn);
        const auto display = arn.size() > 64 ? arn.substr(0, 64) + "..." : arn;
        check_error(s.get(tags_target(arn)), 400, "ValidationException",
                    "1 validation error detected: " + arn_violation(display));
        check_error(s.post(tags_target(arn), tag_body(R"({"a":"b"})")), 400, "ValidationException",
                    "1 validation error detected: " + arn_violation(display));
        check_error(s.del(untag_target(arn, {"a"})), 400, "ValidationException",
                    "1 validation error detected: " + arn_violation(display));
    }
    // Both members of UntagResource wrong: the label first.
    check_error(s.del(tags_target("nope")), 400, "ValidationException",
                "2 validation errors detected: " + arn_violation("nope") +
                    "; Value null at 'tagKeys' failed to satisfy constraint: Member must not be null");
    check_error(s.post(tags_target("nope"), "{}"), 400, "ValidationException",
                "2 validation errors detected: " + arn_violation("nope") +
                    "; Value null at 'tags' failed to satisfy constraint: Member must not be null");
}

TEST_CASE("Tags: how the ARN may travel") {
    cp_server s;
    const auto id = create_datastore_with(s, R"({"clientToken":"t","tags":{"a":"1"}})");
    const std::string expected = R"({"tags":{"a":"1"}})";
    // Lower-case escapes, and ':' left as it is (legal in a path segment): the same resource.
    CHECK(s.get("/tags/arn%3aaws%3amedical-imaging%3aus-east-1%3a123456789012%3adatastore%2f" + id).body() == expected);
    CHECK(s.get("/tags/arn:aws:medical-imaging:us-east-1:123456789012:datastore%2F" + id).body() == expected);
    // An unencoded '/' splits the ARN into two segments: no operation has that path.
    check_error(s.get("/tags/" + datastore_arn(id)), 404, "UnknownOperationException",
                "No operation matches GET /tags/" + datastore_arn(id));
}

TEST_CASE("Tags 404 ResourceNotFoundException: unknown datastore, other region or account, image sets") {
    cp_server s(cp_config(), R"({"datastores":[{"datastoreId":"cccccccccccccccccccccccccccccccc","datastoreName":"c",)"
                             R"("datastoreStatus":"ACTIVE","accountId":"210987654321","tags":{"x":"y"}}]})");
    const auto id = create_datastore_with(s, R"({"clientToken":"t","tags":{"a":"1"}})");
    const auto each_operation = [&](const std::string& arn, const std::string& message, const header_list& h = {}) {
        CAPTURE(arn);
        check_error(s.get(tags_target(arn), h), 404, "ResourceNotFoundException", message);
        check_error(s.post(tags_target(arn), tag_body(R"({"b":"2"})"), h), 404, "ResourceNotFoundException", message);
        check_error(s.del(untag_target(arn, {"a"}), h), 404, "ResourceNotFoundException", message);
    };
    const std::string unknown(32, '1');
    // Every miss names the ARN it was given, whatever was missing.
    each_operation(datastore_arn(unknown), "Resource " + datastore_arn(unknown) + " not found");
    each_operation(datastore_arn(id, "eu-west-1"), "Resource " + datastore_arn(id, "eu-west-1") + " not found");
    each_operation(datastore_arn(id, "us-east-1", "999999999999"),
                   "Resource " + datastore_arn(id, "us-east-1", "999999999999") + " not found");
    // Another account's datastore, named with its own account: still not the caller's.
    each_operation(datastore_arn(std::string(32, 'c'), "us-east-1", "210987654321"),
                   "Resource " + datastore_arn(std::string(32, 'c'), "us-east-1", "210987654321") + " not found");
    each_operation(datastore_arn(std::string(32, 'c')), "Resource " + datastore_arn(std::string(32, 'c')) + " not found");
    // The ARN of an image set (none exist yet).
    const auto image_set = datastore_arn(id) + "/imageset/" + std::string(32, 'f');
    each_operation(image_set, "Resource " + image_set + " not found");
    // A caller in eu-west-1 naming its own region does not see a us-east-1 datastore.
    each_operation(datastore_arn(id, "eu-west-1"), "Resource " + datastore_arn(id, "eu-west-1") + " not found",
                   in_region("eu-west-1"));
    // Nothing above changed the tags.
    CHECK(s.get(tags_target(datastore_arn(id))).body() == R"({"tags":{"a":"1"}})");
}

TEST_CASE("Tags: another partition's ARN names another resource") {
    cp_server s;
    const auto id = create_datastore_with(s, R"({"clientToken":"t","tags":{"a":"1"}})");
    const auto china = "arn:aws-cn:medical-imaging:us-east-1:123456789012:datastore/" + id;
    const auto res = s.get(tags_target(china));
    CHECK_MESSAGE(res.result_int() == 404, res.body());
}

TEST_CASE("Tags by region: a datastore's own region; a fixture datastore without region in every region") {
    cp_server s(cp_sample_config());
    const auto dublin =
        create_datastore_with(s, R"({"clientToken":"t","tags":{"city":"dublin"}})", in_region("eu-west-1"));
    CHECK(s.get(tags_target(datastore_arn(dublin, "eu-west-1")), in_region("eu-west-1")).body() ==
          R"({"tags":{"city":"dublin"}})");
    for (const char* region : {"us-east-1", "ap-northeast-1"}) {
        CAPTURE(region);
        const auto arn = datastore_arn(sample_datastore, region);
        CHECK(s.post(tags_target(arn), tag_body(std::string(R"({"seen-from":")") + region + "\"}"), in_region(region))
                  .result_int() == 200);
        CHECK(s.get(tags_target(arn), in_region(region)).body() ==
              std::string(R"({"tags":{"seen-from":")") + region + "\"}}");
    }
}

TEST_CASE("Fault rules on the tag operations: scoped on resourceArn; only declared errors") {
    cp_server s;
    const auto a = datastore_arn(create_datastore(s, "a"));
    const auto b = datastore_arn(create_datastore(s, "b"));
    const auto added = s.post("/_emulator/faults", R"({"operation":"ListTagsForResource","resourceArn":")" + a +
                                                       R"(","error":"ThrottlingException","times":1})");
    REQUIRE_MESSAGE(added.result_int() == 201, added.body());
    CHECK(s.get(tags_target(b)).result_int() == 200);
    CHECK(s.post(tags_target(a), tag_body(R"({"k":"v"})")).result_int() == 200);  // another operation
    check_error(s.get(tags_target(a)), 429, "ThrottlingException", "The request was denied due to throttling.");
    CHECK(s.get(tags_target(a)).body() == R"({"tags":{"k":"v"}})");
    // The label's value is checked against the Arn shape; the tag operations declare no 409 or 402.
    check_error_prefix(s.post("/_emulator/faults",
                              R"({"operation":"TagResource","resourceArn":"nope","error":"ThrottlingException"})"),
                       400, "ValidationException",
                       "fixture (request body): /resourceArn: value 'nope' is not a valid Arn");
    check_error(s.post("/_emulator/faults", R"({"operation":"UntagResource","error":"ConflictException"})"), 400,
                "ValidationException",
                "fixture (request body): /error: UntagResource does not declare ConflictException");
    check_error(s.post("/_emulator/faults", R"({"operation":"TagResource","error":"ServiceQuotaExceededException"})"),
                400, "ValidationException",
                "fixture (request body): /error: TagResource does not declare ServiceQuotaExceededException");
    // The journal lists the tag calls of one resource by its label.
    const auto journal = body_of(s.get("/_emulator/requests?resourceArn=" + percent_encode(a)));
    const auto& entries = journal["requests"];
    // Entries carry their operation's labels; the other datastore's call and the control calls are not listed.
    REQUIRE(entries.Size() == 3);
    CHECK(std::string(entries[0]["operation"].GetString()) == "TagResource");
    CHECK(std::string(entries[1]["operation"].GetString()) == "ListTagsForResource");
    CHECK(entries[1]["status"].GetUint() == 429);
    CHECK(std::string(entries[1]["errorType"].GetString()) == "ThrottlingException");
    CHECK(entries[1].HasMember("faultId"));
    CHECK(std::string(entries[2]["operation"].GetString()) == "ListTagsForResource");
    CHECK(entries[2]["status"].GetUint() == 200);
    for (const auto& e : entries.GetArray()) {
        CHECK(std::string(e["resourceArn"].GetString()) == a);
        CHECK(std::string(e["path"].GetString()) == tags_target(a));
    }
}

}  // namespace
}  // namespace hil::test
