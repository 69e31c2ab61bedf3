// Internal to imaging/: what the codecs plugin hands the program that loads it. The plugin and
// the program are built together, from the same headers, by the same compiler and standard
// library, so the table passes C++ values (allocated by one side, freed by the other: both
// end in the same malloc); `abi` and the sizes guard against a plugin left
// over from another build. Not part of the layer's front header.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <variant>

#include "imaging/dicom_import.hpp"

namespace hil::imaging::detail {

// Raised whenever the table or a type it passes changes shape.
inline constexpr std::uint32_t k_codec_abi = 1;

struct codec_table {
    std::uint32_t abi = k_codec_abi;
    std::uint32_t sizeof_instance = sizeof(dicom_instance);
    std::uint32_t sizeof_refusal = sizeof(import_refusal);
    std::uint32_t sizeof_decoded = sizeof(decoded_frame);
    // noexcept: the server binary may have libstdc++ and the unwinder linked in statically
    // while the plugin uses the shared ones, so no exception may cross between them.
    std::variant<dicom_instance, import_refusal> (*read_instance)(std::span<const std::uint8_t>) noexcept = nullptr;
    std::optional<decoded_frame> (*decode_htj2k)(std::span<const std::uint8_t>) noexcept = nullptr;
};

}  // namespace hil::imaging::detail

// The plugin's one exported symbol, with C linkage so that dlsym finds it by this name:
//   extern "C" const hil::imaging::detail::codec_table* HIL_CODECS_ENTRY() noexcept;
// (declared where it is defined, codec_entry.cpp, and weak where it is looked for,
// codec_library.cpp).
#define HIL_CODECS_ENTRY hil_imaging_codecs_v1
#define HIL_CODECS_ENTRY_NAME "hil_imaging_codecs_v1"
