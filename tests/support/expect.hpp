// Checks shared by the server and scenario tests: the envelope every answer carries, and JSON bodies.
#pragma once

#include <rapidjson/document.h>

#include <string>
#include <string_view>

#include "tests/support/http_client.hpp"

namespace hil::test {

// Parses the body; fails the current test when it is not a JSON object.
rapidjson::Document parse_json(const response& res);

// Content-Type: application/json, a non-empty x-amzn-RequestId and a Date header.
void check_common_headers(const response& res);

// status, x-amzn-ErrorType == `type`, body exactly {"message": <message>}, and the common headers.
void check_error(const response& res, unsigned status, std::string_view type, std::string_view message);
// The same, when only the start of the message is fixed.
void check_error_prefix(const response& res, unsigned status, std::string_view type, std::string_view message_prefix);

// status, x-amzn-ErrorType == `type`, and a {"message"} body containing `fragment`; an empty
// fragment means the error table's default message, exactly (the rule or answer gave none).
void expect_error(const response& res, unsigned status, std::string_view type, std::string_view fragment);

// The "message" member of an error body.
std::string error_message(const response& res);

}  // namespace hil::test
