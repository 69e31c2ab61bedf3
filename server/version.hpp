#pragma once
#include <string_view>
namespace hil::server {
inline constexpr std::string_view k_name = "healthimaging-local";
inline constexpr std::string_view k_version = "0.1.0";
}  // namespace hil::server
