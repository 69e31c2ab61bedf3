#include "tests/scenario/harness.hpp"

#include <doctest/doctest.h>

namespace hil::test {

server::config scenario_config() {
    server::config cfg = test_config();
    cfg.level = server::log_level::warn;
    return cfg;
}

scenario_server::scenario_server(server::config cfg, std::string_view fixtures_json)
    : server_(std::move(cfg), fixtures_json, clock_) {}

response scenario_server::call(http::verb method, std::string_view target, std::string body, const headers& extra) {
    http_client c(server_.port());
    headers h = extra;
    if (!body.empty()) h.emplace_back("Content-Type", "application/json");
    return c.request(method, target, h, std::move(body));
}

std::string datastore_json(std::string_view id, std::string_view name) {
    return R"({"datastoreId":")" + std::string(id) + R"(","datastoreName":")" + std::string(name) +
           R"(","datastoreStatus":"ACTIVE"})";
}

std::string job_json(std::string_view datastore_id, std::string_view job_id, std::string_view status,
                     std::string_view extra) {
    std::string j = R"({"jobId":")" + std::string(job_id) + R"(","datastoreId":")" + std::string(datastore_id) +
                    R"(","jobName":"scenario-job","jobStatus":")" + std::string(status) +
                    R"(","dataAccessRoleArn":"arn:aws:iam::123456789012:role/ImportRole",)"
                    R"("inputS3Uri":"s3://in-bucket/","outputS3Uri":"s3://out-bucket/","submittedAt":1764403200.5)";
    if (!extra.empty()) j += "," + std::string(extra);
    return j + "}";
}

namespace {
std::string join(const std::vector<std::string>& items) {
    std::string out;
    for (const auto& i : items) out += (out.empty() ? "" : ",") + i;
    return out;
}
}  // namespace

std::string document(const std::vector<std::string>& datastores, const std::vector<std::string>& jobs,
                     const std::vector<std::string>& faults) {
    return R"({"datastores":[)" + join(datastores) + R"(],"jobs":[)" + join(jobs) + R"(],"faults":[)" + join(faults) + "]}";
}

rapidjson::Document body_json(const response& res) {
    rapidjson::Document doc;
    doc.Parse(res.body().data(), res.body().size());
    REQUIRE_MESSAGE(!doc.HasParseError(), "body is not JSON: " << res.body());
    return doc;
}

std::string job_status(const response& res) {
    REQUIRE_MESSAGE(res.result_int() == 200, res.result_int() << " " << res.body());
    const auto doc = body_json(res);
    REQUIRE_MESSAGE(doc.HasMember("jobProperties"), res.body());
    return doc["jobProperties"]["jobStatus"].GetString();
}

std::string sigv4_authorization(std::string_view access_key_id) {
    return "AWS4-HMAC-SHA256 Credential=" + std::string(access_key_id) +
           "/20261129/us-east-1/medical-imaging/aws4_request, SignedHeaders=host;x-amz-date, Signature=" +
           std::string(64, '0');
}

}  // namespace hil::test

namespace hil::test {

void expect_error(const response& res, unsigned status, std::string_view type, std::string_view fragment) {
    CHECK_MESSAGE(res.result_int() == status, res.result_int() << " " << res.body());
    CHECK(res["x-amzn-ErrorType"] == type);
    CHECK(res[http::field::content_type] == "application/json");
    const auto doc = body_json(res);
    REQUIRE_MESSAGE(doc.IsObject(), res.body());
    REQUIRE_MESSAGE(doc.HasMember("message"), res.body());
    const std::string message = doc["message"].GetString();
    CHECK_MESSAGE(message.find(fragment) != std::string::npos, "message: " << message << " lacks: " << fragment);
}

}  // namespace hil::test
