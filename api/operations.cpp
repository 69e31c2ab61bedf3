#include "api/operations.hpp"

#include <algorithm>
#include <array>

namespace hil::api {
namespace {

const std::array<operation_info, 1> k_operations{{
    {get_dicom_import_job,
     {error_code::throttling, error_code::conflict, error_code::access_denied, error_code::validation,
      error_code::internal_server, error_code::resource_not_found},
     25.0, 50.0},
}};

}  // namespace

const operation_info* find_operation(std::string_view name) noexcept {
    for (const auto& op : k_operations) {
        if (op.name == name) return &op;
    }
    return nullptr;
}

const operation_info* operations_begin() noexcept { return k_operations.data(); }
const operation_info* operations_end() noexcept { return k_operations.data() + k_operations.size(); }

bool declares(const operation_info& op, error_code code) noexcept {
    return std::find(op.declared_errors.begin(), op.declared_errors.end(), code) != op.declared_errors.end();
}

}  // namespace hil::api
