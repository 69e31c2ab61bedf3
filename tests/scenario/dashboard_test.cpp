// What the dashboard (/_emulator/ui) stands on, through the real server: its files as served
// (types, ETag, CSP, no token needed, absent with --no-admin), health's adminTokenRequired, the
// journal's cursor and one entry with its request and answer, and PUT of one fault rule.
// The page itself runs in headless Chromium in tests/ui.
#include <doctest/doctest.h>

#include <string>

#include "tests/scenario/harness.hpp"

namespace hil::test {
namespace {

constexpr std::string_view ds = "a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0";

std::string fixture() { return document({datastore_json(ds)}, {job_json(ds, "one"), job_json(ds, "two")}); }

std::string str(const rapidjson::Value& v, const char* member) {
    REQUIRE_MESSAGE(v.HasMember(member), member);
    REQUIRE(v[member].IsString());
    return v[member].GetString();
}

TEST_CASE("dashboard files: the page, its script and style, typed, with a strong ETag, no-cache and a CSP") {
    scenario_server srv(scenario_config(), fixture());
    const auto page = srv.get("/_emulator/ui");
    REQUIRE(page.result_int() == 200);
    CHECK(page[http::field::content_type] == "text/html; charset=utf-8");
    CHECK(page.body().find("<script type=\"module\" src=\"/_emulator/ui/app.js\">") != std::string::npos);
    CHECK(page[http::field::cache_control] == "no-cache");
    CHECK(page["X-Content-Type-Options"] == "nosniff");
    const std::string csp(page["Content-Security-Policy"]);
    CHECK(csp.find("default-src 'none'") != std::string::npos);
    CHECK(csp.find("connect-src 'self'") != std::string::npos);
    const std::string etag(page[http::field::etag]);
    REQUIRE(etag.size() == 34);
    CHECK(srv.get("/_emulator/ui/").body() == page.body());
    CHECK(srv.get("/_emulator/ui/index.html").body() == page.body());

    const auto script = srv.get("/_emulator/ui/app.js");
    REQUIRE(script.result_int() == 200);
    CHECK(script[http::field::content_type] == "text/javascript; charset=utf-8");
    CHECK(std::string(script[http::field::etag]) != etag);
    CHECK(srv.get("/_emulator/ui/style.css")[http::field::content_type] == "text/css; charset=utf-8");

    const auto again = srv.get("/_emulator/ui", {{"If-None-Match", etag}});
    CHECK(again.result_int() == 304);
    CHECK(again.body().empty());
    CHECK(srv.get("/_emulator/ui", {{"If-None-Match", "\"other\""}}).result_int() == 200);
    CHECK(srv.get("/_emulator/ui", {{"If-None-Match", "\"other\", W/" + std::string(etag)}}).result_int() == 304);
    CHECK(srv.get("/_emulator/ui", {{"If-None-Match", "\"other*\""}}).result_int() == 200);  // not a "*" tag
    expect_error(srv.get("/_emulator/ui/secrets.json"), 404, "UnknownOperationException", "No dashboard file 'secrets.json'");
    expect_error(srv.get("/_emulator/ui/../state"), 404, "UnknownOperationException", "No operation matches");
    // Control calls, the page included, stay out of the journal.
    CHECK(body_json(srv.get("/_emulator/requests"))["requests"].Size() == 0);
}

TEST_CASE("dashboard with --admin-token: the page is open, the data needs the token, health says so") {
    auto cfg = scenario_config();
    cfg.admin_token = "t0ken";
    scenario_server srv(cfg, fixture());
    CHECK(srv.get("/_emulator/ui").result_int() == 200);
    CHECK(srv.get("/_emulator/ui/app.js").result_int() == 200);
    CHECK(srv.get("/_emulator/state").result_int() == 401);
    CHECK(body_json(srv.get("/_emulator/health"))["adminTokenRequired"].GetBool());
    scenario_server open(scenario_config(), fixture());
    CHECK_FALSE(body_json(open.get("/_emulator/health"))["adminTokenRequired"].GetBool());
}

TEST_CASE("dashboard with --no-admin: 404 like the rest of the control API") {
    auto cfg = scenario_config();
    cfg.admin = false;
    scenario_server srv(cfg, fixture());
    expect_error(srv.get("/_emulator/ui"), 404, "UnknownOperationException", "No operation matches");
    expect_error(srv.get("/_emulator/ui/app.js"), 404, "UnknownOperationException", "No operation matches");
}

TEST_CASE("control API with --admin-token: a browser may use any host name (the token is what a page cannot know)") {
    auto cfg = scenario_config();
    cfg.admin_token = "t0ken";
    scenario_server srv(cfg, fixture());
    const headers named = {{"Host", "hil.internal:7979"}, {"Origin", "http://hil.internal:7979"},
                           {"Authorization", "Bearer t0ken"}};
    CHECK(srv.call(http::verb::post, "/_emulator/reset", "", named).result_int() == 200);
    // A foreign Origin is still refused, token or not.
    expect_error(srv.call(http::verb::post, "/_emulator/reset", "",
                          {{"Origin", "http://evil.example"}, {"Authorization", "Bearer t0ken"}}),
                 403, "AccessDeniedException", "cross-origin");
}

TEST_CASE("journal cursor: ?after=N gives the entries after sequence N, ?limit=K the newest K") {
    scenario_server srv(scenario_config(), fixture());
    for (int i = 0; i < 5; ++i) srv.get(job_target(ds, i % 2 ? "one" : "two"));
    const auto all = body_json(srv.get("/_emulator/requests"));
    REQUIRE(all["requests"].Size() == 5);
    const auto second = all["requests"][1]["sequence"].GetUint64();
    const auto after = body_json(srv.get("/_emulator/requests?after=" + std::to_string(second)));
    REQUIRE(after["requests"].Size() == 3);
    CHECK(after["requests"][0]["sequence"].GetUint64() == second + 1);
    const auto newest = body_json(srv.get("/_emulator/requests?limit=2"));
    REQUIRE(newest["requests"].Size() == 2);
    CHECK(newest["requests"][0]["sequence"].GetUint64() == all["requests"][3]["sequence"].GetUint64());
    CHECK(newest["requests"][1]["sequence"].GetUint64() == all["requests"][4]["sequence"].GetUint64());
    // Combined with a filter, the limit counts matching entries.
    const auto ones = body_json(srv.get("/_emulator/requests?jobId=one&limit=1"));
    REQUIRE(ones["requests"].Size() == 1);
    CHECK(ones["requests"][0]["sequence"].GetUint64() == all["requests"][3]["sequence"].GetUint64());
    CHECK(body_json(srv.get("/_emulator/requests?limit=0"))["requests"].Size() == 0);
    const auto last = all["requests"][4]["sequence"].GetUint64();
    CHECK(body_json(srv.get("/_emulator/requests?after=" + std::to_string(last)))["requests"].Size() == 0);
    expect_error(srv.get("/_emulator/requests?after=x"), 400, "ValidationException", "filter after: 'x' is not a whole number");
    expect_error(srv.get("/_emulator/requests?limit=-1"), 400, "ValidationException", "filter limit");
}

TEST_CASE("journal entry detail: the request and the answer as sent, text bodies kept up to 4 KiB") {
    scenario_server srv(scenario_config(), fixture());
    const auto ok = srv.get(job_target(ds, "one"), {{"X-Test-Header", "seen"}});
    REQUIRE(ok.result_int() == 200);
    const std::string big(6000, 'x');
    srv.call(http::verb::post, "/datastore", "{\"datastoreName\":\"" + big + "\"}");
    srv.call(http::verb::post, "/datastore", "\x1f\x8b binary", {{"Content-Encoding", "gzip"}});

    const auto list = body_json(srv.get("/_emulator/requests"));
    REQUIRE(list["requests"].Size() == 3);
    CHECK_FALSE(list["requests"][0].HasMember("request"));  // the list stays small
    const auto seq = [&](unsigned i) { return std::to_string(list["requests"][i]["sequence"].GetUint64()); };

    const auto first = body_json(srv.get("/_emulator/requests/" + seq(0)));
    CHECK(str(first, "operation") == "GetDICOMImportJob");
    const auto& req = first["request"];
    CHECK(str(req, "head").rfind("GET " + job_target(ds, "one") + " HTTP/1.1\n", 0) == 0);
    CHECK(str(req, "head").find("\nX-Test-Header: seen") != std::string::npos);
    CHECK(req["bodySize"].GetUint64() == 0);
    const auto& res = first["response"];
    CHECK(str(res, "head").rfind("HTTP/1.1 200 OK\n", 0) == 0);
    CHECK(str(res, "head").find("x-amzn-RequestId: " + std::string(ok["x-amzn-RequestId"])) != std::string::npos);
    CHECK(str(res, "body") == ok.body());
    CHECK(res["bodySize"].GetUint64() == ok.body().size());
    CHECK_FALSE(res.HasMember("bodyTruncated"));

    const auto truncated = body_json(srv.get("/_emulator/requests/" + seq(1)));
    CHECK(truncated["request"]["bodySize"].GetUint64() == big.size() + 20);
    CHECK(str(truncated["request"], "body").size() == 4096);
    CHECK(truncated["request"]["bodyTruncated"].GetBool());
    CHECK(truncated["response"]["bodySize"].GetUint64() > 0);  // the 400's message

    const auto binary = body_json(srv.get("/_emulator/requests/" + seq(2)));
    CHECK(binary["request"]["bodyBinary"].GetBool());
    CHECK_FALSE(binary["request"].HasMember("body"));

    expect_error(srv.get("/_emulator/requests/999"), 404, "ResourceNotFoundException", "Journal entry 999 not found");
    expect_error(srv.get("/_emulator/requests/x"), 400, "ValidationException", "filter sequence");
}

TEST_CASE("journal entry detail: valid UTF-8 whatever came in; a long head is cut") {
    scenario_server srv(scenario_config(), fixture());
    // A cut inside a 2-byte character backs off to the character before it.
    const std::string accents(3000, 'a');
    std::string body = "{\"datastoreName\":\"" + accents;
    while (body.size() < 4095) body += "a";
    body += "\xC3\xA9\xC3\xA9\"}";  // "é" across the 4,096-byte mark
    srv.call(http::verb::post, "/datastore", body);
    // Not UTF-8 although its type says JSON: kept as binary.
    srv.call(http::verb::post, "/datastore", "{\"datastoreName\":\"\xFF\xFE\"}");
    // A header value with a byte that is not UTF-8, and a head far past the kept length.
    srv.get(job_target(ds, "one"), {{"X-Bytes", "caf\xE9"}, {"X-Long", std::string(9000, 'h')}});

    const auto list = body_json(srv.get("/_emulator/requests"));
    REQUIRE(list["requests"].Size() == 3);
    const auto entry = [&](unsigned i) {
        return srv.get("/_emulator/requests/" + std::to_string(list["requests"][i]["sequence"].GetUint64()));
    };
    const auto cut = body_json(entry(0));
    CHECK(str(cut["request"], "body").size() == 4095);  // the "é" that straddles the mark is left out whole
    CHECK(cut["request"]["bodyTruncated"].GetBool());
    const auto bad = body_json(entry(1));
    CHECK(bad["request"]["bodyBinary"].GetBool());
    CHECK_FALSE(bad["request"].HasMember("body"));
    const auto raw = entry(2);
    CHECK(hil::api::display_value(raw.body(), raw.body().size()) == raw.body());  // the answer itself is valid UTF-8
    const auto head = str(body_json(raw)["request"], "head");
    CHECK(head.find("X-Bytes: caf\xEF\xBF\xBD") != std::string::npos);  // U+FFFD for the stray byte
    CHECK(hil::api::utf8_length(head) == hil::server::k_kept_head_bytes + 3);  // one byte, one character here
    CHECK(head.substr(head.size() - 3) == "...");
}

TEST_CASE("control API: a browser's cross-site request is refused (its Origin is not this server)") {
    scenario_server srv(scenario_config(), fixture());
    expect_error(srv.call(http::verb::post, "/_emulator/reset", "", {{"Origin", "http://evil.example"}}), 403,
                 "AccessDeniedException", "Origin http://evil.example is not this server");
    expect_error(srv.call(http::verb::post, "/_emulator/fixtures", "{}", {{"Origin", "null"}}), 403,
                 "AccessDeniedException", "Origin null is not this server");
    expect_error(srv.call(http::verb::delete_, "/_emulator/faults", "", {{"Sec-Fetch-Site", "cross-site"}}), 403,
                 "AccessDeniedException", "cross-site");
    // The dashboard's own calls (same origin: the harness sends Host 127.0.0.1), and clients that send
    // no Origin (curl, the SDKs, the test suites), are served.
    CHECK(srv.call(http::verb::post, "/_emulator/reset", "", {{"Origin", "http://127.0.0.1"}}).result_int() == 200);
    CHECK(srv.call(http::verb::post, "/_emulator/reset", "", {{"Sec-Fetch-Site", "same-origin"}}).result_int() == 200);
    CHECK(srv.call(http::verb::post, "/_emulator/reset").result_int() == 200);
    // A page that rebinds its own name to this server is same-origin, but not at an address: refused
    // without a token; at localhost or an IP literal (v4 or v6), served.
    const headers rebound = {{"Host", "evil.example:7979"}, {"Origin", "http://evil.example:7979"}};
    expect_error(srv.call(http::verb::post, "/_emulator/reset", "", rebound), 403, "AccessDeniedException",
                 "answers a browser only at an IP address or localhost");
    expect_error(srv.get("/_emulator/state", {{"Host", "evil.example"}, {"Sec-Fetch-Site", "same-origin"}}), 403,
                 "AccessDeniedException", "Host evil.example");
    for (const std::string host : {"localhost:7979", "LOCALHOST.", "[::1]:7979", "192.168.1.5:8080"}) {
        CHECK_MESSAGE(srv.call(http::verb::post, "/_emulator/reset", "", {{"Host", host}, {"Origin", "http://" + host}})
                              .result_int() == 200, host);
    }
    CHECK(srv.get("/_emulator/state", {{"Host", "evil.example"}}).result_int() == 200);  // no browser: served
    // Health stays open to anyone, and the API is not the control API's business.
    CHECK(srv.get("/_emulator/health", {{"Origin", "http://evil.example"}}).result_int() == 200);
    CHECK(srv.get(job_target(ds, "one"), {{"Origin", "http://evil.example"}}).result_int() == 200);
}

TEST_CASE("journal entry detail: a dropped connection has no answer") {
    scenario_server srv(scenario_config(), fixture());
    REQUIRE(srv.call(http::verb::post, "/_emulator/faults", R"({"id":"drop","jobId":"one","dropConnection":true})")
                .result_int() == 201);
    CHECK_THROWS(srv.get(job_target(ds, "one")));
    const auto list = body_json(srv.get("/_emulator/requests"));
    REQUIRE(list["requests"].Size() == 1);
    const auto entry = body_json(srv.get("/_emulator/requests/" + std::to_string(list["requests"][0]["sequence"].GetUint64())));
    CHECK(entry["dropped"].GetBool());
    CHECK(entry.HasMember("request"));
    CHECK_FALSE(entry.HasMember("response"));
}

TEST_CASE("PUT /_emulator/faults/{id}: one rule replaced in its place, with the body's budget") {
    scenario_server srv(scenario_config(), fixture());
    REQUIRE(srv.call(http::verb::post, "/_emulator/faults",
                     R"([{"id":"a","jobId":"one","error":"ThrottlingException","times":1},{"id":"b","jobId":"one","error":"ConflictException"}])")
                .result_int() == 201);
    CHECK(srv.get(job_target(ds, "one")).result_int() == 429);  // a spends its one time
    CHECK(srv.get(job_target(ds, "one")).result_int() == 409);  // then b

    // a gets a new budget, still first.
    auto res = srv.call(http::verb::put, "/_emulator/faults/a", R"({"jobId":"one","error":"ThrottlingException","times":2})");
    REQUIRE_MESSAGE(res.result_int() == 200, res.body());
    auto doc = body_json(res);
    REQUIRE(doc["faults"].Size() == 2);
    CHECK(str(doc["faults"][0], "id") == "a");
    CHECK(doc["faults"][0]["times"].GetUint64() == 2);
    CHECK(doc["faults"][0]["fired"].GetUint64() == 0);
    CHECK(str(doc["faults"][1], "id") == "b");
    CHECK(srv.get(job_target(ds, "one")).result_int() == 429);

    expect_error(srv.call(http::verb::put, "/_emulator/faults/a", R"({"id":"other","error":"ThrottlingException"})"), 400,
                 "ValidationException", "the rule's id 'other' is not the id in the path, 'a'");
    expect_error(srv.call(http::verb::put, "/_emulator/faults/a",
                          R"([{"error":"ThrottlingException"},{"error":"ConflictException"}])"),
                 400, "ValidationException", "takes one rule, not 2");
    expect_error(srv.call(http::verb::put, "/_emulator/faults/a", R"({"jobId":"one"})"), 400, "ValidationException", "a fault needs an action");
    expect_error(srv.call(http::verb::put, "/_emulator/faults/nope", R"({"error":"ThrottlingException"})"), 404,
                 "ResourceNotFoundException", "Fault rule 'nope' not found");
    // A refused edit changed nothing.
    doc = body_json(srv.get("/_emulator/faults"));
    CHECK(doc["faults"][0]["times"].GetUint64() == 1);
    CHECK(doc["faults"][0]["fired"].GetUint64() == 1);
}

}  // namespace
}  // namespace hil::test
