#include "api/api_error.hpp"

#include <doctest/doctest.h>

#include <set>
#include <string>

namespace {

using hil::api::error;
using hil::api::error_code;
using hil::api::fault_side;

struct expected_row {
    error_code code;
    const char* name;
    unsigned status;
    fault_side fault;
    bool retryable;
};

// The modeled errors as the AWS HealthImaging service model declares them.
const expected_row k_modeled[] = {
    {error_code::validation, "ValidationException", 400, fault_side::client, false},
    {error_code::access_denied, "AccessDeniedException", 403, fault_side::client, false},
    {error_code::resource_not_found, "ResourceNotFoundException", 404, fault_side::client, false},
    {error_code::conflict, "ConflictException", 409, fault_side::client, false},
    {error_code::throttling, "ThrottlingException", 429, fault_side::client, true},
    {error_code::internal_server, "InternalServerException", 500, fault_side::server, true},
    {error_code::service_quota_exceeded, "ServiceQuotaExceededException", 402, fault_side::client, false},
    {error_code::bad_request, "BadRequestException", 400, fault_side::client, false},
    {error_code::not_acceptable, "NotAcceptableException", 406, fault_side::client, false},
};

}  // namespace

TEST_CASE("every modeled error has its AWS name, status and fault side") {
    for (const auto& row : k_modeled) {
        CAPTURE(row.name);
        const auto& info = hil::api::info(row.code);
        CHECK(info.code == row.code);
        CHECK(info.name == row.name);
        CHECK(info.status == row.status);
        CHECK(info.fault == row.fault);
        CHECK(info.retryable == row.retryable);
        CHECK(info.modeled);
        CHECK_FALSE(info.default_message.empty());
    }
}

TEST_CASE("protocol-level errors are not modeled and keep their statuses") {
    CHECK(hil::api::info(error_code::unknown_operation).name == "UnknownOperationException");
    CHECK(hil::api::info(error_code::unknown_operation).status == 404);
    CHECK(hil::api::info(error_code::payload_too_large).status == 413);
    CHECK(hil::api::info(error_code::header_fields_too_large).status == 431);
    for (const auto c : {error_code::unknown_operation, error_code::payload_too_large,
                         error_code::header_fields_too_large}) {
        CHECK_FALSE(hil::api::info(c).modeled);
    }
}

TEST_CASE("the table lists exactly nine modeled errors, each name once") {
    std::set<std::string> names;
    int modeled = 0;
    for (auto it = hil::api::error_table_begin(); it != hil::api::error_table_end(); ++it) {
        CHECK(names.insert(std::string(it->name)).second);
        if (it->modeled) ++modeled;
    }
    CHECK(modeled == 9);
}

TEST_CASE("error names round-trip through error_code_from_name") {
    for (auto it = hil::api::error_table_begin(); it != hil::api::error_table_end(); ++it) {
        CAPTURE(it->name);
        const auto code = hil::api::error_code_from_name(it->name);
        REQUIRE(code.has_value());
        CHECK(*code == it->code);
        CHECK(hil::api::info(*code).name == it->name);
    }
    CHECK_FALSE(hil::api::error_code_from_name("NoSuchException").has_value());
    CHECK_FALSE(hil::api::error_code_from_name("").has_value());
    // Wire names are case-sensitive, as the SDKs match them.
    CHECK_FALSE(hil::api::error_code_from_name("throttlingexception").has_value());
    CHECK_FALSE(hil::api::error_code_from_name("Throttling").has_value());
}

TEST_CASE("error::of uses the table's default message only when none is given") {
    for (const auto& row : k_modeled) {
        CAPTURE(row.name);
        const auto e = error::of(row.code);
        CHECK(e.code() == row.code);
        CHECK(e.message() == hil::api::info(row.code).default_message);
        CHECK(e.info().name == row.name);
    }
    CHECK(error::of(error_code::throttling).message() == "The request was denied due to throttling.");
    const auto custom = error::of(error_code::throttling, "slow down");
    CHECK(custom.message() == "slow down");
    CHECK(custom.info().status == 429);
}

TEST_CASE("named factories carry their code and message") {
    CHECK(error::validation("v").code() == error_code::validation);
    CHECK(error::validation("v").message() == "v");
    CHECK(error::resource_not_found("r").code() == error_code::resource_not_found);
    CHECK(error::internal("i").code() == error_code::internal_server);
    CHECK(error::unknown_operation("u").code() == error_code::unknown_operation);
    CHECK(error::bad_request("b").code() == error_code::bad_request);
    CHECK(error::bad_request("b").info().status == 400);
}
