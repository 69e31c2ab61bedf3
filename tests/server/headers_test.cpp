// The envelope on every answer: Content-Type, x-amzn-RequestId, Date, x-amzn-ErrorType.
#include <doctest/doctest.h>

#include <chrono>
#include <ctime>
#include <regex>
#include <set>
#include <string>

#include "tests/support/expect.hpp"
#include "tests/support/http_client.hpp"
#include "tests/support/test_server.hpp"

namespace hil::test {
namespace {

namespace http = server::http;

// Seconds since the epoch of an RFC 7231 IMF-fixdate, or -1 when `text` is not one.
long long parse_imf_fixdate(const std::string& text) {
    static const std::regex format(R"((Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} )"
                                   R"((Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} GMT)");
    if (!std::regex_match(text, format)) return -1;
    std::tm tm{};
    if (strptime(text.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm) == nullptr) return -1;
    return static_cast<long long>(timegm(&tm));
}

TEST_CASE("every answer, success or error, carries the common headers; request ids are unique") {
    auto cfg = test_config();
    cfg.empty = false;
    test_server srv(cfg);
    http_client c(srv.port());
    const std::string targets[] = {
        job_target(sample_datastore, sample_completed_job),  // 200
        job_target(sample_datastore, "nope"),                // 404 ResourceNotFound
        job_target(sample_datastore, "NOPE"),                // 400 Validation
        "/no/such/path",                                     // 404 UnknownOperation
        "/_emulator/health",                                 // 200 control
    };
    std::set<std::string> ids;
    for (int i = 0; i < 100; ++i) {
        const auto& target = targets[i % 5];
        CAPTURE(target);
        const auto res = c.get(target);
        check_common_headers(res);
        CHECK(res.version() == 11);
        CHECK(res.keep_alive());
        CHECK(res[http::field::content_type] == "application/json");
        const bool is_error = res.result_int() >= 400;
        CHECK(res["x-amzn-ErrorType"].empty() == !is_error);
        ids.insert(std::string(res["x-amzn-RequestId"]));
    }
    CHECK(ids.size() == 100);
    // UUID shaped, as AWS sends them.
    const std::regex uuid("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}");
    for (const auto& id : ids) CHECK_MESSAGE(std::regex_match(id, uuid), id);
}

TEST_CASE("Date is an RFC 7231 date within a few seconds of now") {
    test_server srv(test_config());
    http_client c(srv.port());
    const auto before = std::chrono::duration_cast<std::chrono::seconds>(
                            std::chrono::system_clock::now().time_since_epoch()).count();
    const auto res = c.get("/_emulator/health");
    const auto after = std::chrono::duration_cast<std::chrono::seconds>(
                           std::chrono::system_clock::now().time_since_epoch()).count();
    const std::string date(res[http::field::date]);
    const auto t = parse_imf_fixdate(date);
    REQUIRE_MESSAGE(t >= 0, "not an IMF-fixdate: " << date);
    CHECK(t >= before - 2);
    CHECK(t <= after + 2);
}

TEST_CASE("the health endpoint reports the loaded data") {
    auto cfg = test_config();
    cfg.empty = false;
    test_server srv(cfg);
    http_client c(srv.port());
    const auto res = c.get("/_emulator/health");
    REQUIRE(res.result_int() == 200);
    const auto doc = parse_json(res);
    CHECK(std::string(doc["status"].GetString()) == "ready");
    CHECK(doc["datastores"].GetUint64() == 3);
    CHECK(doc["jobs"].GetUint64() == 5);
    CHECK(doc["faults"].GetUint64() == 0);
}

}  // namespace
}  // namespace hil::test
