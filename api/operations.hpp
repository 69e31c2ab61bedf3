// The operations the emulator serves and the errors the service model declares for each.
#pragma once

#include <initializer_list>
#include <string_view>

#include "api/api_error.hpp"

namespace hil::api {

struct operation_info {
    std::string_view name;  // the model's operation name, as the journal and fault rules name it
    std::initializer_list<error_code> declared_errors;
    double quota_rate;      // the service's documented requests per second per account
    double quota_burst;     // and burst
};

inline constexpr std::string_view get_dicom_import_job = "GetDICOMImportJob";

// REQUIRES: nothing. Returns the served operation called `name`, or nullptr.
const operation_info* find_operation(std::string_view name) noexcept;
const operation_info* operations_begin() noexcept;
const operation_info* operations_end() noexcept;

bool declares(const operation_info& op, error_code code) noexcept;

}  // namespace hil::api
