#include "api/api_error.hpp"

#include <array>

namespace hil::api {
namespace {

// Statuses and fault sides from the service model; retryable follows what JS v3 and
// botocore standard mode do with that status (contract section 6).
constexpr std::array<error_info, 19> k_errors{{
    {error_code::validation, "ValidationException", 400, fault_side::client, false, true,
     "The input fails to satisfy the constraints set by the service."},
    {error_code::access_denied, "AccessDeniedException", 403, fault_side::client, false, true,
     "The user does not have sufficient access to perform this action."},
    {error_code::resource_not_found, "ResourceNotFoundException", 404, fault_side::client, false, true,
     "The request references a resource which does not exist."},
    {error_code::conflict, "ConflictException", 409, fault_side::client, false, true,
     "Updating or deleting a resource can cause an inconsistent state."},
    {error_code::throttling, "ThrottlingException", 429, fault_side::client, true, true,
     "The request was denied due to throttling."},
    {error_code::internal_server, "InternalServerException", 500, fault_side::server, true, true,
     "An unexpected error occurred during processing of the request."},
    {error_code::service_quota_exceeded, "ServiceQuotaExceededException", 402, fault_side::client, false, true,
     "The request caused a service quota to be exceeded."},
    {error_code::unknown_operation, "UnknownOperationException", 404, fault_side::client, false, false,
     "No operation matches the request's method and path."},
    // Modeled on GetImageFrame; the server also sends it for a request that is not valid HTTP.
    {error_code::bad_request, "BadRequestException", 400, fault_side::client, false, true,
     "The request is not valid HTTP/1.1."},
    {error_code::not_acceptable, "NotAcceptableException", 406, fault_side::client, false, true,
     "The image frame cannot be returned in a form the request accepts."},
    {error_code::payload_too_large, "RequestEntityTooLargeException", 413, fault_side::client, false, false,
     "The request body is larger than the server accepts."},
    {error_code::header_fields_too_large, "RequestHeaderFieldsTooLargeException", 431, fault_side::client, false,
     false, "The request's header fields are larger than the server accepts."},
    {error_code::unauthorized, "UnauthorizedException", 401, fault_side::client, false, false,
     "The control API needs the header 'Authorization: Bearer <token>' with the server's --admin-token."},
    {error_code::serialization, "SerializationException", 400, fault_side::client, false, false,
     "The request body could not be read as the operation's JSON input."},
    {error_code::missing_authentication_token, "MissingAuthenticationTokenException", 403, fault_side::client, false,
     false, "Missing Authentication Token"},
    {error_code::incomplete_signature, "IncompleteSignatureException", 403, fault_side::client, false, false,
     "The request signature does not conform to AWS standards."},
    {error_code::invalid_signature, "InvalidSignatureException", 403, fault_side::client, false, false,
     "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access "
     "Key and signing method. Consult the service documentation for details."},
    {error_code::unrecognized_client, "UnrecognizedClientException", 403, fault_side::client, false, false,
     "The security token included in the request is invalid."},
    {error_code::expired_token, "ExpiredTokenException", 403, fault_side::client, false, false,
     "The security token included in the request is expired"},
}};

constexpr bool table_is_in_enum_order() {
    for (std::size_t i = 0; i < k_errors.size(); ++i) {
        if (static_cast<std::size_t>(k_errors[i].code) != i) return false;
    }
    return true;
}
static_assert(table_is_in_enum_order(), "k_errors must list every error_code once, in declaration order");
static_assert(static_cast<std::size_t>(error_code::expired_token) + 1 == k_errors.size(),
              "every error_code needs a row in k_errors");

}  // namespace

const error_info& info(error_code code) noexcept { return k_errors[static_cast<std::size_t>(code)]; }

std::optional<error_code> error_code_from_name(std::string_view name) noexcept {
    for (const auto& row : k_errors) {
        if (row.name == name) return row.code;
    }
    return std::nullopt;
}

const error_info* error_table_begin() noexcept { return k_errors.data(); }
const error_info* error_table_end() noexcept { return k_errors.data() + k_errors.size(); }

error error::of(error_code code, std::string message) {
    if (message.empty()) message = std::string(api::info(code).default_message);
    return {code, std::move(message)};
}

}  // namespace hil::api
