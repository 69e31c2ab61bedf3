#include "tests/support/expect.hpp"

#include <doctest/doctest.h>

#include "api/api_error.hpp"

namespace hil::test {

namespace http = server::http;

rapidjson::Document parse_json(const response& res) {
    rapidjson::Document doc;
    doc.Parse(res.body().data(), res.body().size());
    REQUIRE_MESSAGE(!doc.HasParseError(), "body is not JSON: " << res.body());
    REQUIRE_MESSAGE(doc.IsObject(), "body is not a JSON object: " << res.body());
    return doc;
}

void check_common_headers(const response& res) {
    CHECK(res[http::field::content_type] == "application/json");
    CHECK(!res["x-amzn-RequestId"].empty());
    CHECK(!res[http::field::date].empty());
    CHECK(res[http::field::content_length] == std::to_string(res.body().size()));
}

std::string error_message(const response& res) {
    const auto doc = parse_json(res);
    REQUIRE_MESSAGE(doc.HasMember("message"), res.body());
    REQUIRE(doc["message"].IsString());
    CHECK_MESSAGE(doc.MemberCount() == 1, "error body has members besides message: " << res.body());
    return {doc["message"].GetString(), doc["message"].GetStringLength()};
}

namespace {

void check_error_envelope(const response& res, unsigned status, std::string_view type) {
    CHECK_MESSAGE(res.result_int() == status, res.body());
    CHECK(res["x-amzn-ErrorType"] == type);
    check_common_headers(res);
}

}  // namespace

void check_error(const response& res, unsigned status, std::string_view type, std::string_view message) {
    check_error_envelope(res, status, type);
    CHECK(error_message(res) == message);
}

void check_error_prefix(const response& res, unsigned status, std::string_view type,
                        std::string_view message_prefix) {
    check_error_envelope(res, status, type);
    const auto message = error_message(res);
    CHECK_MESSAGE(message.substr(0, message_prefix.size()) == message_prefix, message);
}

void expect_error(const response& res, unsigned status, std::string_view type, std::string_view fragment) {
    CHECK_MESSAGE(res.result_int() == status, res.result_int() << " " << res.body());
    CHECK(res["x-amzn-ErrorType"] == type);
    CHECK(res[server::http::field::content_type] == "application/json");
    const std::string message = error_message(res);
    if (fragment.empty()) {
        const auto code = api::error_code_from_name(type);
        REQUIRE_MESSAGE(code.has_value(), type << " is not in the error table");
        CHECK(message == api::info(*code).default_message);
        return;
    }
    CHECK_MESSAGE(message.find(fragment) != std::string::npos, "message: " << message << " lacks: " << fragment);
}

}  // namespace hil::test
