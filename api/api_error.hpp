// The error vocabulary of the emulator: every error it can answer with, each listed once
// with its HTTP status, fault side, retry class and default message.
//
// The first seven are the modeled errors of AWS HealthImaging (botocore service-2.json);
// real SDKs map them by the `x-amzn-ErrorType` header onto their own exception classes.
// The rest are the protocol-level answers an AWS front door gives before an operation runs
// (SerializationException: a body that is not JSON, or a member of the wrong JSON type;
// the five 403s of SigV4 authentication, in the names and words AWS's front door uses).
// Thread safety: everything here is immutable and safe to use from any thread.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace hil::api {

enum class error_code {
    validation,
    access_denied,
    resource_not_found,
    conflict,
    throttling,
    internal_server,
    service_quota_exceeded,
    unknown_operation,
    bad_request,
    not_acceptable,
    payload_too_large,
    header_fields_too_large,
    unauthorized,
    serialization,
    missing_authentication_token,
    incomplete_signature,
    invalid_signature,
    unrecognized_client,
    expired_token,
};

enum class fault_side { client, server };

struct error_info {
    error_code code;
    std::string_view name;  // wire name, sent as x-amzn-ErrorType
    unsigned status;
    fault_side fault;
    bool retryable;  // whether standard SDK retry policies retry it
    bool modeled;    // declared in the AWS service model (the SDK has a class for it)
    std::string_view default_message;
};

// REQUIRES: `code` is a member of error_code. Never fails.
const error_info& info(error_code code) noexcept;

// The entry whose wire name is `name`, or nothing.
std::optional<error_code> error_code_from_name(std::string_view name) noexcept;

// All entries, in declaration order.
const error_info* error_table_begin() noexcept;
const error_info* error_table_end() noexcept;

// An API error value: what went wrong, in the API's own terms.
class error {
public:
    static error validation(std::string message) { return {error_code::validation, std::move(message)}; }
    static error resource_not_found(std::string message) {
        return {error_code::resource_not_found, std::move(message)};
    }
    static error internal(std::string message) { return {error_code::internal_server, std::move(message)}; }
    static error unknown_operation(std::string message) {
        return {error_code::unknown_operation, std::move(message)};
    }
    static error bad_request(std::string message) { return {error_code::bad_request, std::move(message)}; }
    static error conflict(std::string message) { return {error_code::conflict, std::move(message)}; }
    static error serialization(std::string message) { return {error_code::serialization, std::move(message)}; }
    // An error of `code` carrying the table's default message when `message` is empty.
    static error of(error_code code, std::string message = {});

    error_code code() const noexcept { return code_; }
    const error_info& info() const noexcept { return api::info(code_); }
    const std::string& message() const noexcept { return message_; }

private:
    error(error_code code, std::string message) : code_(code), message_(std::move(message)) {}
    error_code code_;
    std::string message_;
};

}  // namespace hil::api
