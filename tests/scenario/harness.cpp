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
