#include "server/wire_json.hpp"

#include <doctest/doctest.h>
#include <rapidjson/document.h>

#include <string>

#include "test_support.hpp"

namespace {

rapidjson::Document parse(const std::string& text) {
    rapidjson::Document d;
    d.Parse<rapidjson::kParseFullPrecisionFlag | rapidjson::kParseValidateEncodingFlag>(text.c_str(), text.size());
    REQUIRE_FALSE(d.HasParseError());
    return d;
}

std::string member_text(const rapidjson::Value& obj, const char* name) {
    REQUIRE(obj.HasMember(name));
    REQUIRE(obj[name].IsString());
    return {obj[name].GetString(), obj[name].GetStringLength()};
}

}  // namespace

TEST_CASE("epoch_seconds_text writes seconds with only the significant millisecond digits") {
    using hil::server::epoch_seconds_text;
    CHECK(epoch_seconds_text(0) == "0");
    CHECK(epoch_seconds_text(1) == "0.001");
    CHECK(epoch_seconds_text(999) == "0.999");
    CHECK(epoch_seconds_text(1000) == "1");
    CHECK(epoch_seconds_text(1700000000000) == "1700000000");
    CHECK(epoch_seconds_text(1700000000123) == "1700000000.123");
    CHECK(epoch_seconds_text(1700000000500) == "1700000000.5");
    CHECK(epoch_seconds_text(1700000000050) == "1700000000.05");
    CHECK(epoch_seconds_text(1700000000005) == "1700000000.005");
    CHECK(epoch_seconds_text(1700000000120) == "1700000000.12");
    CHECK(epoch_seconds_text(253402300799999) == "253402300799.999");
    CHECK(epoch_seconds_text(-1500) == "-1.5");
}

TEST_CASE("a job with no optional members omits them, never writing null") {
    const auto job = hil::test::make_job(hil::test::k_datastore_a, "abc123");
    const auto text = hil::server::get_dicom_import_job_body(job);
    CHECK(text.find("null") == std::string::npos);
    const auto d = parse(text);
    REQUIRE(d.IsObject());
    CHECK(d.MemberCount() == 1);
    REQUIRE(d.HasMember("jobProperties"));
    const auto& p = d["jobProperties"];
    REQUIRE(p.IsObject());
    CHECK(p.MemberCount() == 7);
    CHECK(member_text(p, "jobId") == "abc123");
    CHECK(member_text(p, "datastoreId") == hil::test::k_datastore_a);
    CHECK(member_text(p, "jobName") == job.job_name);
    CHECK(member_text(p, "jobStatus") == "COMPLETED");
    CHECK(member_text(p, "dataAccessRoleArn") == job.data_access_role_arn);
    CHECK(member_text(p, "inputS3Uri") == job.input_s3_uri);
    CHECK(member_text(p, "outputS3Uri") == job.output_s3_uri);
    CHECK_FALSE(p.HasMember("submittedAt"));
    CHECK_FALSE(p.HasMember("endedAt"));
    CHECK_FALSE(p.HasMember("message"));
}

TEST_CASE("a job's present optional members are written, timestamps as JSON numbers") {
    auto job = hil::test::make_job(hil::test::k_datastore_a, "abc123");
    job.submitted_at = 1700000000123;
    job.ended_at = 1700000321500;
    job.message = "Access denied to input bucket";
    const auto text = hil::server::get_dicom_import_job_body(job);
    CHECK(text.find(R"("submittedAt":1700000000.123)") != std::string::npos);
    CHECK(text.find(R"("endedAt":1700000321.5)") != std::string::npos);
    const auto d = parse(text);
    const auto& p = d["jobProperties"];
    CHECK(p.MemberCount() == 10);
    REQUIRE(p["submittedAt"].IsNumber());
    CHECK(p["submittedAt"].GetDouble() == doctest::Approx(1700000000.123).epsilon(1e-12));
    REQUIRE(p["endedAt"].IsNumber());
    CHECK(p["endedAt"].GetDouble() == doctest::Approx(1700000321.5).epsilon(1e-12));
    CHECK(member_text(p, "message") == "Access denied to input bucket");

    job.ended_at.reset();
    job.message.reset();
    const auto partial = parse(hil::server::get_dicom_import_job_body(job));
    CHECK(partial["jobProperties"].HasMember("submittedAt"));
    CHECK_FALSE(partial["jobProperties"].HasMember("endedAt"));
    CHECK_FALSE(partial["jobProperties"].HasMember("message"));

    job.submitted_at = 1700000000000;
    CHECK(hil::server::get_dicom_import_job_body(job).find(R"("submittedAt":1700000000,)") != std::string::npos);
}

TEST_CASE("strings are escaped so the output stays valid JSON") {
    const std::string nasty = std::string("quote \" backslash \\ newline \n tab \t ctl \x01 nul ") + '\0' + " caf\xC3\xA9 </script>";
    const auto text = hil::server::error_body(hil::api::error::validation(nasty));
    CHECK(text.find('\n') == std::string::npos);
    CHECK(text.find(std::string(1, '\0')) == std::string::npos);
    CHECK(text.find(R"(\")") != std::string::npos);
    CHECK(text.find(R"(\\)") != std::string::npos);
    const auto d = parse(text);
    REQUIRE(d.IsObject());
    CHECK(d.MemberCount() == 1);
    CHECK(member_text(d, "message") == nasty);

    auto job = hil::test::make_job(hil::test::k_datastore_a, "abc");
    job.job_name = "name \"with\" quotes";
    job.message = "line1\nline2";
    const auto jd = parse(hil::server::get_dicom_import_job_body(job));
    CHECK(member_text(jd["jobProperties"], "jobName") == job.job_name);
    CHECK(member_text(jd["jobProperties"], "message") == *job.message);
}

TEST_CASE("error_body is {\"message\": ...} with the error's message") {
    CHECK(hil::server::error_body(hil::api::error::of(hil::api::error_code::throttling)) ==
          R"({"message":"The request was denied due to throttling."})");
    CHECK(hil::server::error_body(hil::api::error::resource_not_found("Datastore x not found")) ==
          R"({"message":"Datastore x not found"})");
}
