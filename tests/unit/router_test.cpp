#include "server/router.hpp"

#include <doctest/doctest.h>
#include <rapidjson/document.h>

#include <array>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "api/operations.hpp"
#include "test_support.hpp"

namespace {

namespace http = boost::beast::http;
using hil::server::request;
using hil::server::response;

constexpr hil::api::epoch_millis k_now = 1700000000123;  // Tue, 14 Nov 2023 22:13:20.123 GMT
const std::string k_job_path = "/getDICOMImportJob/datastore/" + std::string(hil::test::k_datastore_a) + "/job/abc123";

// Ids "req-1", "req-2", ... so a test can tell which answer got which id.
class counting_ids final : public hil::server::request_id_source {
public:
    std::string next() override { return "req-" + std::to_string(++n_); }

private:
    int n_ = 0;
};

// A router with one API route and one control route, and everything it talks to.
struct fixture {
    hil::api::manual_clock clock{k_now};
    counting_ids ids;
    hil::store::fault_rules faults;
    std::ostringstream log_text;
    hil::server::logger log{hil::server::log_level::info, log_text};
    hil::server::router router{clock, ids, faults, log};
    int handler_calls = 0;
    std::string seen_datastore;
    std::string seen_job;

    fixture() {
        router.add(hil::api::ops::get_dicom_import_job,
                   [this](const hil::server::call& c) -> hil::api::result<hil::server::reply> {
                       ++handler_calls;
                       seen_datastore = std::string(c.label("datastoreId"));
                       seen_job = std::string(c.label("jobId"));
                       if (seen_job == "throws") throw std::runtime_error("boom");
                       if (seen_job == "throwsint") throw 42;
                       if (seen_job == "typo") (void)c.label("jobid");
                       if (seen_job == "missing") return hil::api::error::resource_not_found("Import job missing not found");
                       if (seen_job == "broken") return hil::api::error::internal("disk on fire");
                       if (seen_job == "undeclared") {
                           return hil::api::error::of(hil::api::error_code::service_quota_exceeded, "not this one");
                       }
                       if (seen_job == "binary") {
                           return hil::server::reply{206, std::string("\0\x01\xFF", 3), "image/jph", {{"Content-Encoding", "gzip"}}};
                       }
                       return hil::server::reply{200, R"({"ok":true})"};
                   });
        router.add(hil::api::ops::create_datastore, [this](const hil::server::call& c) -> hil::api::result<hil::server::reply> {
            ++handler_calls;
            seen_datastore = std::string(c.body_string("datastoreName").value_or("(none)"));
            return hil::server::reply{200, "{}"};
        });
        router.add_control(http::verb::get, "/_emulator/health",
                           [](const hil::server::route_match&, const request&) -> hil::api::result<hil::server::reply> {
                               return hil::server::reply{200, R"({"status":"ok"})"};
                           },
                           hil::server::control_access::open);
    }

    response get(const std::string& target, unsigned version = 11) {
        request req{http::verb::get, target, version};
        return router.handle(req);
    }
};

std::string body_message(const response& res) {
    rapidjson::Document d;
    d.Parse(res.body().data(), res.body().size());
    REQUIRE_FALSE(d.HasParseError());
    REQUIRE(d.IsObject());
    REQUIRE(d.HasMember("message"));
    REQUIRE(d["message"].IsString());
    CHECK(d.MemberCount() == 1);
    return d["message"].GetString();
}

void check_error(const response& res, unsigned status, const char* error_type) {
    CHECK(res.result_int() == status);
    CHECK(res[http::field::content_type] == "application/json");
    CHECK(res["x-amzn-ErrorType"] == error_type);
}

}  // namespace

TEST_CASE("http_date formats epoch millis as an IMF-fixdate") {
    CHECK(hil::server::http_date(0) == "Thu, 01 Jan 1970 00:00:00 GMT");
    CHECK(hil::server::http_date(k_now) == "Tue, 14 Nov 2023 22:13:20 GMT");
    CHECK(hil::server::http_date(951782400999) == "Tue, 29 Feb 2000 00:00:00 GMT");
}

TEST_CASE("a matching route reaches the handler with decoded labels") {
    fixture f;
    const auto res = f.get("/getDICOMImportJob/datastore/" + std::string(hil::test::k_datastore_a) + "/job/%61bc?x=1");
    CHECK(res.result_int() == 200);
    CHECK(res.body() == R"({"ok":true})");
    CHECK(f.handler_calls == 1);
    CHECK(f.seen_datastore == hil::test::k_datastore_a);
    CHECK(f.seen_job == "abc");
}

TEST_CASE("every answer carries Content-Type, x-amzn-RequestId and Date from the clock") {
    fixture f;
    const auto ok = f.get(k_job_path);
    CHECK(ok[http::field::content_type] == "application/json");
    CHECK(ok["x-amzn-RequestId"] == "req-1");
    CHECK(ok[http::field::date] == "Tue, 14 Nov 2023 22:13:20 GMT");
    CHECK(ok.find("x-amzn-ErrorType") == ok.end());
    CHECK(ok[http::field::content_length] == std::to_string(ok.body().size()));

    f.clock.advance(86'400'000);
    const auto err = f.get("/nowhere");
    CHECK(err[http::field::content_type] == "application/json");
    CHECK(err["x-amzn-RequestId"] == "req-2");
    CHECK(err[http::field::date] == "Wed, 15 Nov 2023 22:13:20 GMT");
    CHECK(err[http::field::content_length] == std::to_string(err.body().size()));
}

TEST_CASE("an unknown path is 404 UnknownOperationException with no Allow header") {
    fixture f;
    for (const auto& target : std::vector<std::string>{"/nowhere", "/", "/getDICOMImportJob/datastore/x/job", k_job_path + "/extra",
                                     "/getdicomimportjob/datastore/" + std::string(hil::test::k_datastore_a) + "/job/abc"}) {
        CAPTURE(target);
        const auto res = f.get(target);
        check_error(res, 404, "UnknownOperationException");
        CHECK(res.find(http::field::allow) == res.end());
        CHECK(body_message(res).find("No operation matches GET") == 0);
    }
    CHECK(f.handler_calls == 0);
}

TEST_CASE("a wrong method on a known path is 404 with an Allow header") {
    fixture f;
    request req{http::verb::delete_, k_job_path, 11};
    const auto res = f.router.handle(req);
    check_error(res, 404, "UnknownOperationException");
    CHECK(res[http::field::allow] == "GET");
    CHECK(body_message(res) == "No operation matches DELETE " + k_job_path + "; this path accepts GET");
    CHECK(f.handler_calls == 0);

    request post{http::verb::post, "/_emulator/health", 11};
    const auto res2 = f.router.handle(post);
    check_error(res2, 404, "UnknownOperationException");
    CHECK(res2[http::field::allow] == "GET");
}

TEST_CASE("invalid labels are 400 ValidationException with AWS's message, before the handler") {
    fixture f;
    const auto res = f.get("/getDICOMImportJob/datastore/" + std::string(hil::test::k_datastore_a) + "/job/X");
    check_error(res, 400, "ValidationException");
    CHECK(body_message(res) ==
          "1 validation error detected: Value 'X' at 'jobId' failed to satisfy constraint: "
          "Member must satisfy regular expression pattern: [0-9a-z]+");
    CHECK(f.handler_calls == 0);

    const auto both = f.get("/getDICOMImportJob/datastore/short/job/" + std::string(33, 'a'));
    check_error(both, 400, "ValidationException");
    CHECK(body_message(both) ==
          "2 validation errors detected: Value 'short' at 'datastoreId' failed to satisfy constraint: Member must "
          "satisfy regular expression pattern: [0-9a-z]{32}; Value '" + std::string(33, 'a') +
          "' at 'jobId' failed to satisfy constraint: Member must have length less than or equal to 32");
}

TEST_CASE("labels are validated after percent-decoding") {
    fixture f;
    // %2F decodes to '/', which the jobId pattern refuses; the route still matches.
    const auto slash = f.get("/getDICOMImportJob/datastore/" + std::string(hil::test::k_datastore_a) + "/job/a%2Fb");
    check_error(slash, 400, "ValidationException");
    CHECK(body_message(slash).find("Value 'a/b' at 'jobId'") != std::string::npos);
    // An empty label is a validation error, not an unknown route.
    const auto empty = f.get("/getDICOMImportJob/datastore/" + std::string(hil::test::k_datastore_a) + "/job/");
    check_error(empty, 400, "ValidationException");
    CHECK(body_message(empty).find("2 validation errors detected: Value '' at 'jobId'") == 0);
    CHECK(f.handler_calls == 0);
}

TEST_CASE("a scripted fault fires before validation, then runs out") {
    fixture f;
    hil::store::fault_rule rule;
    rule.operation = std::string(hil::api::ops::get_dicom_import_job.name);
    rule.error = hil::api::error_code::throttling;
    rule.times = 1;
    REQUIRE(f.faults.add({rule}).ok());

    const std::string invalid = "/getDICOMImportJob/datastore/NOT-VALID/job/X";
    const auto first = f.get(invalid);
    check_error(first, 429, "ThrottlingException");
    CHECK(body_message(first) == "The request was denied due to throttling.");
    const auto second = f.get(invalid);
    check_error(second, 400, "ValidationException");
    CHECK(f.get(k_job_path).result_int() == 200);
    CHECK(f.handler_calls == 1);
}

TEST_CASE("faults match on the route's labels and never touch control routes") {
    fixture f;
    hil::store::fault_rule rule;
    rule.labels.emplace_back("jobId", "abc123");
    rule.error = hil::api::error_code::access_denied;
    rule.message = "nope";
    REQUIRE(f.faults.add({rule}).ok());
    const auto denied = f.get(k_job_path);
    check_error(denied, 403, "AccessDeniedException");
    CHECK(body_message(denied) == "nope");
    CHECK(f.get("/getDICOMImportJob/datastore/" + std::string(hil::test::k_datastore_a) + "/job/other").result_int() == 200);

    hil::store::fault_rule any;
    any.error = hil::api::error_code::internal_server;
    f.faults.clear();
    REQUIRE(f.faults.add({any}).ok());
    CHECK(f.get("/_emulator/health").result_int() == 200);
    CHECK(f.get(k_job_path).result_int() == 500);
}

TEST_CASE("a handler's error value becomes its status and envelope") {
    fixture f;
    const auto res = f.get("/getDICOMImportJob/datastore/" + std::string(hil::test::k_datastore_a) + "/job/missing");
    check_error(res, 404, "ResourceNotFoundException");
    CHECK(body_message(res) == "Import job missing not found");

    const auto broken = f.get("/getDICOMImportJob/datastore/" + std::string(hil::test::k_datastore_a) + "/job/broken");
    check_error(broken, 500, "InternalServerException");
    CHECK(body_message(broken) == "disk on fire");
    CHECK(f.log_text.str().find("disk on fire") != std::string::npos);
}

TEST_CASE("a throwing handler is 500 InternalServerException, logged, and the router keeps serving") {
    fixture f;
    const auto res = f.get("/getDICOMImportJob/datastore/" + std::string(hil::test::k_datastore_a) + "/job/throws");
    check_error(res, 500, "InternalServerException");
    CHECK(body_message(res) == "An unexpected error occurred during processing of the request.");
    CHECK(body_message(res).find("boom") == std::string::npos);  // internals stay in the log
    const auto log = f.log_text.str();
    CHECK(log.find("ERROR") != std::string::npos);
    CHECK(log.find("boom") != std::string::npos);

    const auto odd = f.get("/getDICOMImportJob/datastore/" + std::string(hil::test::k_datastore_a) + "/job/throwsint");
    check_error(odd, 500, "InternalServerException");
    CHECK(f.log_text.str().find("unknown exception") != std::string::npos);

    CHECK(f.get(k_job_path).result_int() == 200);
}

TEST_CASE("keep-alive mirrors the request") {
    fixture f;
    CHECK(f.get(k_job_path, 11).keep_alive());
    CHECK_FALSE(f.get(k_job_path, 10).keep_alive());

    request close{http::verb::get, k_job_path, 11};
    close.set(http::field::connection, "close");
    CHECK_FALSE(f.router.handle(close).keep_alive());

    request old_keep{http::verb::get, k_job_path, 10};
    old_keep.set(http::field::connection, "keep-alive");
    const auto res = f.router.handle(old_keep);
    CHECK(res.keep_alive());
    CHECK(res.version() == 10);

    // Errors keep the connection too; only protocol errors close it.
    CHECK(f.get("/nowhere", 11).keep_alive());
    request close_err{http::verb::get, "/nowhere", 11};
    close_err.set(http::field::connection, "close");
    CHECK_FALSE(f.router.handle(close_err).keep_alive());
}

TEST_CASE("protocol_error answers in the same envelope and closes") {
    fixture f;
    const auto res = f.router.protocol_error(hil::api::error::of(hil::api::error_code::header_fields_too_large), 11);
    check_error(res, 431, "RequestHeaderFieldsTooLargeException");
    CHECK_FALSE(res.keep_alive());
    CHECK(res["x-amzn-RequestId"] == "req-1");
    CHECK(res[http::field::date] == "Tue, 14 Nov 2023 22:13:20 GMT");
    CHECK(body_message(res) == hil::api::info(hil::api::error_code::header_fields_too_large).default_message);
}

TEST_CASE("a reply carries its own status, content type, headers and binary body") {
    fixture f;
    const auto res = f.get("/getDICOMImportJob/datastore/" + std::string(hil::test::k_datastore_a) + "/job/binary");
    CHECK(res.result_int() == 206);
    CHECK(res[http::field::content_type] == "image/jph");
    CHECK(res[http::field::content_encoding] == "gzip");
    CHECK(res.body() == std::string("\0\x01\xFF", 3));
    CHECK(res[http::field::content_length] == "3");
    CHECK(res["x-amzn-RequestId"] == "req-1");
}

TEST_CASE("an error the operation does not declare is a bug: 500, logged as an error") {
    fixture f;
    const auto res = f.get("/getDICOMImportJob/datastore/" + std::string(hil::test::k_datastore_a) + "/job/undeclared");
    check_error(res, 500, "InternalServerException");
    const auto log = f.log_text.str();
    CHECK(log.find("ERROR") != std::string::npos);
    CHECK(log.find("GetDICOMImportJob returned ServiceQuotaExceededException") != std::string::npos);
}

TEST_CASE("a handler asking for a label its route lacks is a bug: 500, logged") {
    fixture f;
    const auto res = f.get("/getDICOMImportJob/datastore/" + std::string(hil::test::k_datastore_a) + "/job/typo");
    check_error(res, 500, "InternalServerException");
    CHECK(f.log_text.str().find("no label {jobid}") != std::string::npos);
}

TEST_CASE("bodies: required members, unknown members ignored, malformed JSON and wrong types") {
    fixture f;
    const auto post = [&](std::string body) {
        request req{http::verb::post, "/datastore", 11};
        req.body() = std::move(body);
        req.prepare_payload();
        return f.router.handle(req);
    };
    const auto missing = post(R"({"datastoreName":"x"})");
    check_error(missing, 400, "ValidationException");
    CHECK(body_message(missing) ==
          "1 validation error detected: Value null at 'clientToken' failed to satisfy constraint: Member must not be null");
    const auto null_token = post(R"({"clientToken":null})");
    check_error(null_token, 400, "ValidationException");

    CHECK(post(R"({"clientToken":"t","unknownMember":{"deep":[1,2]}})").result_int() == 200);
    CHECK(f.seen_datastore == "(none)");

    const auto malformed = post(R"({"clientToken": "t",)");
    check_error(malformed, 400, "SerializationException");
    CHECK(body_message(malformed).find("The request body is not valid JSON") == 0);
    check_error(post("[1]"), 400, "SerializationException");
    const auto wrong_type = post(R"({"clientToken":"t","datastoreName":5})");
    check_error(wrong_type, 400, "SerializationException");
    CHECK(body_message(wrong_type) == "Expected a string at 'datastoreName', not a number");

    const auto several = post(R"({"clientToken":"bad token!","datastoreName":"","losslessStorageFormat":"PNG"})");
    check_error(several, 400, "ValidationException");
    CHECK(body_message(several) ==
          "4 validation errors detected: "
          "Value '' at 'datastoreName' failed to satisfy constraint: Member must have length greater than or equal to 1; "
          "Value '' at 'datastoreName' failed to satisfy constraint: Member must satisfy regular expression pattern: "
          "[A-Za-z0-9._/#-]+; "
          "Value 'bad token!' at 'clientToken' failed to satisfy constraint: Member must satisfy regular expression "
          "pattern: [A-Za-z0-9._-]+; "
          "Value 'PNG' at 'losslessStorageFormat' failed to satisfy constraint: Member must satisfy enum value set: "
          "[HTJ2K, JPEG_2000_LOSSLESS]");
    CHECK(f.handler_calls == 1);
}

TEST_CASE("an inconsistent operation description is refused when its route is added") {
    fixture f;
    const std::array<hil::api::input_member, 1> typo{{{"datastoreID", hil::api::location::label,
                                                        &hil::api::datastore_id_shape, true}}};
    const std::array<hil::api::error_code, 1> errors{hil::api::error_code::validation};
    const hil::api::operation bad{"Bad", "GET", "/bad/{datastoreId}", typo, errors, {1, 1}, ""};
    CHECK_THROWS_WITH_AS(f.router.add(bad, {}), doctest::Contains("{datastoreId}"), std::logic_error);
    CHECK_THROWS_AS(f.router.add(hil::api::ops::get_dicom_import_job, {}), std::logic_error);  // routed twice
}
