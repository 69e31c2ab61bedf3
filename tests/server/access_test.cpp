// Credentials, SigV4, access policies and namespaces through the real server: --auth off
// (the access key picks the namespace), --auth sigv4 (each 403 AWS sends, with its message),
// policies allowing and denying, two namespaces kept apart on one server, and the control
// API's credentials and policies endpoints, namespace resets, state and journal filters.
#include <doctest/doctest.h>

#include <ctime>
#include <optional>
#include <string>

#include "server/crypto.hpp"
#include "server/sigv4.hpp"
#include "tests/server/control_plane_support.hpp"
#include "tests/support/expect.hpp"

namespace hil::test {
namespace {

constexpr std::string_view k_alice_key = "AKIAALICEEXAMPLE";
constexpr std::string_view k_alice_secret = "alice/K7MDENG+bPxRfiCYEXAMPLEKEY";
constexpr std::string_view k_other_account = "111122223333";

// Alice (account 111122223333), a temporary credential with a session token, an expired one.
constexpr std::string_view k_credentials = R"({"credentials":[
  {"accessKeyId":"AKIAALICEEXAMPLE","secretAccessKey":"alice/K7MDENG+bPxRfiCYEXAMPLEKEY","accountId":"111122223333",
   "principalArn":"arn:aws:iam::111122223333:user/alice"},
  {"accessKeyId":"ASIATEMPEXAMPLE","secretAccessKey":"temp-secret","sessionToken":"session-token-1","accountId":"111122223333"},
  {"accessKeyId":"AKIAOLDEXAMPLE","secretAccessKey":"old-secret","accountId":"111122223333","expiresAt":1764403100}]})";

std::string amz_date(api::epoch_millis t) {
    const std::time_t secs_since = static_cast<std::time_t>(t / 1000);
    std::tm tm{};
    gmtime_r(&secs_since, &tm);
    char out[17];
    std::strftime(out, sizeof out, "%Y%m%dT%H%M%SZ", &tm);
    return out;
}

struct signing {
    std::string_view key = k_alice_key;
    std::string_view secret = k_alice_secret;
    std::string region = "us-east-1";
    std::optional<std::string> token;
    api::epoch_millis at = k_t0;
    std::string service = "medical-imaging";
};

// The headers a SigV4 signer sends for this request (Host as the test client sets it).
header_list signed_headers(std::string_view method, std::string_view target, std::string_view body, const signing& s) {
    namespace sigv4 = server::sigv4;
    const auto date = amz_date(s.at);
    header_list h{{"X-Amz-Date", date}};
    if (s.token) h.emplace_back("X-Amz-Security-Token", *s.token);
    std::vector<sigv4::header_field> fields{{"host", "127.0.0.1"}};
    for (const auto& [n, v] : h) fields.push_back({n, v});
    const std::string signed_names = s.token ? "host;x-amz-date;x-amz-security-token" : "host;x-amz-date";
    const std::string credential = std::string(s.key) + "/" + date.substr(0, 8) + "/" + s.region + "/" + s.service + "/aws4_request";
    const std::string header_text = "AWS4-HMAC-SHA256 Credential=" + credential + ", SignedHeaders=" + signed_names +
                                    ", Signature=" + std::string(64, '0');
    auto parsed = sigv4::parse_authorization(header_text);
    REQUIRE(parsed);
    const sigv4::signed_request req{method, target, fields, body};
    const auto canonical = sigv4::canonical_request(req, parsed.value(), server::crypto::sha256_hex(body));
    const auto to_sign = sigv4::string_to_sign(date, parsed.value(), canonical);
    const auto key = sigv4::signing_key(s.secret, date.substr(0, 8), s.region, s.service);
    h.emplace_back("Authorization", "AWS4-HMAC-SHA256 Credential=" + credential + ", SignedHeaders=" + signed_names +
                                        ", Signature=" + sigv4::signature(key, to_sign));
    return h;
}

signing as(std::string_view key, std::string_view secret, std::optional<std::string> token = {}) {
    signing how;
    how.key = key;
    how.secret = secret;
    how.token = std::move(token);
    return how;
}

server::config sigv4_config() {
    auto cfg = cp_config();
    cfg.auth = server::auth_mode::sigv4;
    return cfg;
}

// Loads `doc` through the control API; REQUIREs 200.
void load(cp_server& s, std::string_view doc) {
    const auto res = s.post("/_emulator/fixtures", std::string(doc));
    REQUIRE_MESSAGE(res.result_int() == 200, res.body());
}

response signed_get(cp_server& s, const std::string& target, const signing& how = {}) {
    return s.get(target, signed_headers("GET", target, "", how));
}

response signed_post(cp_server& s, const std::string& target, const std::string& body, const signing& how = {}) {
    return s.post(target, body, signed_headers("POST", target, body, how));
}

const std::string k_alice_ds(32, 'a');
const std::string k_default_ds(32, 'd');

// Alice's datastore in her account (us-east-1) and one in the default account.
std::string two_accounts() {
    return R"({"datastores":[{"datastoreId":")" + k_alice_ds +
           R"(","datastoreName":"alice","datastoreStatus":"ACTIVE","accountId":"111122223333"},{"datastoreId":")" +
           k_default_ds + R"(","datastoreName":"default","datastoreStatus":"ACTIVE"}]})";
}

TEST_CASE("--auth off: unsigned calls are served; a 12-digit access key id is the caller's account") {
    cp_server s;
    load(s, two_accounts());
    CHECK(ids_in(s.get("/datastore"), "datastoreSummaries", "datastoreId") == std::vector<std::string>{k_default_ds});
    const auto as_account = in_region("us-east-1", k_other_account);
    CHECK(ids_in(s.get("/datastore", as_account), "datastoreSummaries", "datastoreId") == std::vector<std::string>{k_alice_ds});
    check_error(s.get(datastore_target(k_alice_ds)), 404, "ResourceNotFoundException", "Datastore " + k_alice_ds + " not found");
    CHECK(string_at(s.get(datastore_target(k_alice_ds), as_account), "/datastoreProperties/datastoreArn") ==
          datastore_arn(k_alice_ds, "us-east-1", k_other_account));
    // A known credential's account wins over the key's shape; its signature is not checked.
    load(s, k_credentials);
    const header_list bad_signature{{"Authorization", "AWS4-HMAC-SHA256 Credential=AKIAALICEEXAMPLE/20251129/us-east-1/"
                                                      "medical-imaging/aws4_request, SignedHeaders=host, Signature=00"}};
    CHECK(ids_in(s.get("/datastore", bad_signature), "datastoreSummaries", "datastoreId") == std::vector<std::string>{k_alice_ds});
}

TEST_CASE("--auth sigv4: a signed call of a known credential is served in its account and region") {
    cp_server s(sigv4_config());
    load(s, k_credentials);
    load(s, two_accounts());
    const auto res = signed_get(s, "/datastore");
    REQUIRE_MESSAGE(res.result_int() == 200, res.body());
    CHECK(ids_in(res, "datastoreSummaries", "datastoreId") == std::vector<std::string>{k_alice_ds});
    // A query, an encoded ARN in the path and a POST body are all covered by the signature.
    REQUIRE(signed_get(s, "/datastore?maxResults=5&datastoreStatus=ACTIVE").result_int() == 200);
    const auto arn = datastore_arn(k_alice_ds, "us-east-1", k_other_account);
    CHECK(signed_post(s, tags_target(arn), R"({"tags":{"team":"a b"}})").result_int() == 200);
    CHECK(signed_get(s, tags_target(arn)).body() == R"({"tags":{"team":"a b"}})");
    // Temporary credentials with their session token.
    const auto temp = as("ASIATEMPEXAMPLE", "temp-secret", std::string("session-token-1"));
    CHECK(signed_get(s, "/datastore", temp).result_int() == 200);
    // The journal names the key, account and region.
    const auto journal = s.get("/_emulator/requests?accountId=111122223333&operation=ListDatastores");
    CHECK(journal.body().find(R"("accessKeyId":"AKIAALICEEXAMPLE","accountId":"111122223333","region":"us-east-1","status":200)") !=
          std::string::npos);
}

TEST_CASE("--auth sigv4: every failure is the 403 AWS sends, with its message") {
    cp_server s(sigv4_config());
    load(s, k_credentials);
    check_error(s.get("/datastore"), 403, "MissingAuthenticationTokenException", "Missing Authentication Token");
    check_error(s.get("/datastore", {{"Authorization", "Bearer abc"}}), 403, "MissingAuthenticationTokenException",
                "Missing Authentication Token");
    const header_list no_signature{{"X-Amz-Date", amz_date(k_t0)},
                                   {"Authorization", "AWS4-HMAC-SHA256 Credential=AKIAALICEEXAMPLE/20251129/us-east-1/"
                                                     "medical-imaging/aws4_request, SignedHeaders=host;x-amz-date"}};
    check_error_prefix(s.get("/datastore", no_signature), 403, "IncompleteSignatureException",
                       "Authorization header requires 'Signature' parameter.");
    // Unknown key; wrong secret; another service's scope.
    check_error(signed_get(s, "/datastore", as("AKIANOBODYEXAMPLE", "x")), 403, "UnrecognizedClientException",
                "The security token included in the request is invalid.");
    check_error_prefix(signed_get(s, "/datastore", as(k_alice_key, "wrong-secret")), 403, "InvalidSignatureException",
                       "The request signature we calculated does not match the signature you provided.");
    signing wrong_service;
    wrong_service.service = "s3";
    check_error_prefix(signed_get(s, "/datastore", wrong_service), 403, "InvalidSignatureException",
                       "Credential should be scoped to correct service: 'medical-imaging'.");
    // A signature made for another request does not carry over.
    auto other = signed_headers("GET", "/datastore?maxResults=1", "", {});
    check_error_prefix(s.get("/datastore?maxResults=2", other), 403, "InvalidSignatureException",
                       "The request signature we calculated does not match");
    // Session tokens: missing, wrong, or sent for a credential that has none.
    check_error(signed_get(s, "/datastore", as("ASIATEMPEXAMPLE", "temp-secret")), 403, "UnrecognizedClientException",
                "The security token included in the request is invalid.");
    check_error(signed_get(s, "/datastore", as("ASIATEMPEXAMPLE", "temp-secret", std::string("other"))), 403,
                "UnrecognizedClientException", "The security token included in the request is invalid.");
    check_error(signed_get(s, "/datastore", as(k_alice_key, k_alice_secret, std::string("t"))), 403,
                "UnrecognizedClientException", "The security token included in the request is invalid.");
    check_error(signed_get(s, "/datastore", as("AKIAOLDEXAMPLE", "old-secret")), 403, "ExpiredTokenException",
                "The security token included in the request is expired");
    // Clock skew: 15 minutes either way is accepted, more is not.
    signing late;
    late.at = k_t0 - 15 * 60 * 1000;
    CHECK(signed_get(s, "/datastore", late).result_int() == 200);
    late.at = k_t0 - 16 * 60 * 1000;
    check_error(signed_get(s, "/datastore", late), 403, "InvalidSignatureException",
                "Signature expired: 20251129T074400Z is now earlier than 20251129T074500Z (20251129T080000Z - 15 min.)");
    signing early;
    early.at = k_t0 + 16 * 60 * 1000;
    check_error(signed_get(s, "/datastore", early), 403, "InvalidSignatureException",
                "Signature not yet current: 20251129T081600Z is still later than 20251129T081500Z (20251129T080000Z + 15 min.)");
    // A payload hash that is neither a digest nor UNSIGNED-PAYLOAD would leave the body unsigned.
    auto bogus_hash = signed_headers("GET", "/datastore", "", {});
    bogus_hash.emplace_back("x-amz-content-sha256", "not-a-hash");
    check_error(s.get("/datastore", bogus_hash), 403, "InvalidSignatureException",
                "x-amz-content-sha256 must be UNSIGNED-PAYLOAD or a valid sha256 value.");
    // A fragment ends the path the router serves, so it ends the signed one too.
    const auto signed_for_y = signed_headers("GET", datastore_target(std::string(32, 'e')), "", {});
    check_error_prefix(s.get(datastore_target(std::string(32, 'e')) + "#/../" + std::string(32, 'f'), signed_for_y), 404,
                       "ResourceNotFoundException", "Datastore eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee not found");
    // The journal names the key that was verified, not another Credential= in the header.
    auto two_keys = signed_headers("GET", "/datastore?maxResults=7", "", {});
    auto& authorization = two_keys.back().second;
    authorization.insert(authorization.find("Credential="), "Credential=AKIAVICTIMEXAMPLE/20251129/us-east-1/medical-imaging/aws4_request, ");
    REQUIRE(s.get("/datastore?maxResults=7", two_keys).result_int() == 200);
    const auto listed = s.get("/_emulator/requests?operation=ListDatastores&status=200");
    CHECK(listed.body().find("AKIAVICTIMEXAMPLE") == std::string::npos);
    // Every refusal is journaled under the namespace the request claims.
    const auto journal = s.get("/_emulator/requests?status=403&accountId=111122223333");
    CHECK(journal.body().find("\"errorType\":\"ExpiredTokenException\"") != std::string::npos);
    // The control API is not SigV4's: it stays reachable.
    CHECK(s.get("/_emulator/health").result_int() == 200);
}

TEST_CASE("Policies: an explicit deny wins, what no statement allows is denied, principals without policies may do anything") {
    cp_server s(sigv4_config());
    load(s, k_credentials);
    load(s, two_accounts());
    const auto ds_arn = datastore_arn(k_alice_ds, "us-east-1", k_other_account);
    const auto policies = s.post("/_emulator/policies", R"({"policies":[
      {"id":"read","effect":"Allow","principal":"arn:aws:iam::111122223333:user/alice",
       "actions":["medical-imaging:Get*","medical-imaging:List*"],"resources":["*"]},
      {"id":"no-tags","effect":"Deny","principal":"arn:aws:iam::111122223333:user/*",
       "actions":["medical-imaging:listtagsforresource"],"resources":["arn:aws:medical-imaging:*:111122223333:datastore/*"]}]})");
    REQUIRE_MESSAGE(policies.result_int() == 201, policies.body());
    CHECK(signed_get(s, "/datastore").result_int() == 200);
    CHECK(signed_get(s, datastore_target(k_alice_ds)).result_int() == 200);
    check_error(signed_get(s, tags_target(ds_arn)), 403, "AccessDeniedException",
                "User: arn:aws:iam::111122223333:user/alice is not authorized to perform: medical-imaging:ListTagsForResource "
                "on resource: " + ds_arn + " with an explicit deny in an identity-based policy");
    check_error(signed_post(s, "/datastore", R"({"datastoreName":"x","clientToken":"c1"})"), 403, "AccessDeniedException",
                "User: arn:aws:iam::111122223333:user/alice is not authorized to perform: medical-imaging:CreateDatastore "
                "on resource: * because no identity-based policy allows the medical-imaging:CreateDatastore action");
    check_error(s.del(datastore_target(k_alice_ds), signed_headers("DELETE", datastore_target(k_alice_ds), "", {})), 403,
                "AccessDeniedException",
                "User: arn:aws:iam::111122223333:user/alice is not authorized to perform: medical-imaging:DeleteDatastore "
                "on resource: " + ds_arn + " because no identity-based policy allows the medical-imaging:DeleteDatastore action");
    // The temporary credential's principal (arn:aws:iam::111122223333:user/ASIATEMPEXAMPLE) matches user/*: only the deny applies.
    const auto temp = as("ASIATEMPEXAMPLE", "temp-secret", std::string("session-token-1"));
    check_error_prefix(signed_get(s, datastore_target(k_alice_ds), temp), 403, "AccessDeniedException",
                       "User: arn:aws:iam::111122223333:user/ASIATEMPEXAMPLE is not authorized to perform: "
                       "medical-imaging:GetDatastore on resource: " + ds_arn + " because no identity-based policy allows");
    // Removing the deny lets Alice read tags again.
    REQUIRE(s.del("/_emulator/policies/no-tags").result_int() == 200);
    CHECK(signed_get(s, tags_target(ds_arn)).result_int() == 200);
    check_error(s.del("/_emulator/policies/no-tags"), 404, "ResourceNotFoundException", "Policy 'no-tags' not found");
    // A call that fails validation is refused for its input first.
    CHECK(signed_get(s, datastore_target("BAD")).result_int() == 400);
}

TEST_CASE("Namespaces: two suites on one server never see each other's resources, faults or journal entries") {
    cp_server s;
    const auto suite_a = in_region("eu-west-1", "AKIDSUITEA");
    const auto suite_b = in_region("us-east-1", "222233334444");
    const auto a = active_datastore(s, "suite-a", suite_a);
    const auto b = active_datastore(s, "suite-b", suite_b);
    CHECK(ids_in(s.get("/datastore", suite_a), "datastoreSummaries", "datastoreId") == std::vector<std::string>{a});
    CHECK(ids_in(s.get("/datastore", suite_b), "datastoreSummaries", "datastoreId") == std::vector<std::string>{b});
    check_error(s.get(datastore_target(b), suite_a), 404, "ResourceNotFoundException", "Datastore " + b + " not found");
    // A fault for suite B's namespace leaves suite A alone.
    REQUIRE(s.post("/_emulator/faults", R"({"accountId":"222233334444","operation":"ListDatastores","error":"ThrottlingException"})")
                .result_int() == 201);
    CHECK(s.get("/datastore", suite_b).result_int() == 429);
    CHECK(s.get("/datastore", suite_a).result_int() == 200);
    // Journal and state by namespace.
    const auto journal_b = s.get("/_emulator/requests?accountId=222233334444");
    CHECK(journal_b.body().find(a) == std::string::npos);
    CHECK(journal_b.body().find(b) != std::string::npos);
    const auto state_a = s.get("/_emulator/state?region=eu-west-1");
    CHECK(state_a.body().find(a) != std::string::npos);
    CHECK(state_a.body().find(b) == std::string::npos);
    CHECK(state_a.body().find("ThrottlingException") == std::string::npos);
    check_error(s.get("/_emulator/state?accountId=12"), 400, "ValidationException", "accountId must be 12 digits, not '12'");
    // The same fixture loaded by a second suite for its own account cannot take the first one's datastore over.
    const std::string seeded = R"("datastores":[{"datastoreId":")" + std::string(32, 'c') +
                               R"(","datastoreName":"shared","datastoreStatus":"ACTIVE"}]})";
    load(s, R"({"accountId":"222233334444",)" + seeded);
    check_error(s.post("/_emulator/fixtures", R"({"accountId":"555566667777",)" + seeded), 400, "ValidationException",
                "fixture (request body): /datastores/0/datastoreId: datastore " + std::string(32, 'c') +
                    " already exists in account 222233334444, region us-east-1; a datastore id belongs to one namespace");
    CHECK(s.get(datastore_target(std::string(32, 'c')), suite_b).result_int() == 200);
    load(s, R"({"accountId":"222233334444",)" + seeded);  // the same namespace again: replaced by id, as before
}

TEST_CASE("POST /_emulator/reset?accountId=&region= resets one namespace while the other keeps its state") {
    cp_server s(cp_config(), R"({"accountId":"222233334444","datastores":[{"datastoreId":")" + std::string(32, 'b') +
                                 R"(","datastoreName":"seeded-b","datastoreStatus":"ACTIVE"}]})");
    const auto suite_a = in_region("us-east-1");
    const auto suite_b = in_region("us-east-1", "222233334444");
    const auto a = active_datastore(s, "suite-a", suite_a);
    const auto b = active_datastore(s, "suite-b", suite_b);
    REQUIRE(s.del(datastore_target(std::string(32, 'b')), suite_b).result_int() == 200);
    REQUIRE(s.post("/_emulator/faults", R"({"accountId":"222233334444","operation":"GetDatastore","delayMs":1})").result_int() == 201);
    const auto reset = s.post("/_emulator/reset?accountId=222233334444", "");
    REQUIRE_MESSAGE(reset.result_int() == 200, reset.body());
    // B is back to its seed: its own datastore gone, the seeded one ACTIVE again, its fault and journal gone.
    CHECK(ids_in(s.get("/datastore", suite_b), "datastoreSummaries", "datastoreId") == std::vector<std::string>{std::string(32, 'b')});
    CHECK(string_at(s.get(datastore_target(std::string(32, 'b')), suite_b), "/datastoreProperties/datastoreStatus") == "ACTIVE");
    CHECK(s.get("/_emulator/faults").body() == R"({"faults":[]})");
    // A kept everything.
    CHECK(ids_in(s.get("/datastore", suite_a), "datastoreSummaries", "datastoreId") == std::vector<std::string>{a});
    CHECK(s.get("/_emulator/requests?accountId=123456789012").body().find(a) != std::string::npos);
    CHECK(s.get("/_emulator/requests?accountId=222233334444").body().find(b) == std::string::npos);
    check_error(s.post("/_emulator/reset?region=Not_A_Region", ""), 400, "ValidationException",
                "region must be a region name such as us-east-1, not 'Not_A_Region'");
}

TEST_CASE("The control API's credentials: added, listed, replaced by key, removed; bad ones named") {
    cp_server s(sigv4_config());
    const auto added = s.post("/_emulator/credentials",
                              R"({"accessKeyId":"AKIANEWEXAMPLE","secretAccessKey":"s1","accountId":"333344445555"})");
    REQUIRE_MESSAGE(added.result_int() == 201, added.body());
    CHECK(added.body() == R"({"credentials":[{"accessKeyId":"AKIANEWEXAMPLE","secretAccessKey":"s1","accountId":"333344445555"}]})");
    CHECK(signed_get(s, "/datastore", as("AKIANEWEXAMPLE", "s1")).result_int() == 200);
    // The same key again replaces the secret.
    REQUIRE(s.post("/_emulator/credentials", R"([{"accessKeyId":"AKIANEWEXAMPLE","secretAccessKey":"s2","accountId":"333344445555"}])")
                .result_int() == 201);
    CHECK(signed_get(s, "/datastore", as("AKIANEWEXAMPLE", "s1")).result_int() == 403);
    CHECK(signed_get(s, "/datastore", as("AKIANEWEXAMPLE", "s2")).result_int() == 200);
    CHECK(s.get("/_emulator/credentials").body().find("\"secretAccessKey\":\"s2\"") != std::string::npos);
    check_error(s.post("/_emulator/credentials", R"({"accessKeyId":"AKIANEWEXAMPLE","secretAccessKey":"s"})"), 400,
                "ValidationException", "fixture (request body): /accountId: required member is missing");
    check_error(s.post("/_emulator/policies", R"({"effect":"Maybe","principal":"*","actions":["*"],"resources":["*"]})"), 400,
                "ValidationException", "fixture (request body): /effect: must be Allow or Deny, not 'Maybe'");
    REQUIRE(s.del("/_emulator/credentials/AKIANEWEXAMPLE").result_int() == 200);
    check_error(signed_get(s, "/datastore", as("AKIANEWEXAMPLE", "s2")), 403, "UnrecognizedClientException",
                "The security token included in the request is invalid.");
    check_error(s.del("/_emulator/credentials/AKIANEWEXAMPLE"), 404, "ResourceNotFoundException",
                "Credential 'AKIANEWEXAMPLE' not found");
    // A full reset returns to the start-up book (empty here).
    REQUIRE(s.post("/_emulator/credentials", R"({"accessKeyId":"AKIAX","secretAccessKey":"s","accountId":"333344445555"})").result_int() == 201);
    REQUIRE(s.post("/_emulator/reset", "").result_int() == 200);
    CHECK(s.get("/_emulator/credentials").body() == R"({"credentials":[]})");
}

}  // namespace
}  // namespace hil::test
