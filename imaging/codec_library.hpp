// codec_library: the imaging calls that need DCMTK, OpenJPH and OpenJPEG (read_instance,
// decode_htj2k), made through a plugin of our own, healthimaging-local-codecs.so, that links
// those libraries and is loaded on the first call. The server binary does not link them: a
// server that never imports maps none of their pages (issue 12: they were ~4 MB of an idle
// server's RSS, and their start-up initialisers ran on every start).
//
// Where the codecs come from, decided on the first call:
//   - linked into the program (the test programs link hil_codecs): called directly;
//   - otherwise the plugin at `path` (by default beside the running executable, where the
//     build puts it and where `cmake --install` and the Docker image install it).
// Errors: when the plugin cannot be loaded (missing, or from another build), every
// read_instance is refused with an InternalServerException ("The DICOM codecs cannot be
// loaded: " and dlerror's text, which names the path, or "... are from another build ...")
// (the file then goes to failure.ndjson like any unreadable file), and decode_htj2k answers
// nothing. The load is tried once; nothing throws.
// Thread safety: every member may be called from any number of threads at once. The plugin,
// once loaded, stays loaded for the life of the process (DCMTK's codec registration and its
// static state are process-wide and are not made to be torn down).
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <variant>

#include "imaging/dicom_import.hpp"

namespace hil::imaging {

namespace detail {
struct codec_table;
}

class codec_library {
public:
    explicit codec_library(std::string path = beside_executable());
    codec_library(const codec_library&) = delete;
    codec_library& operator=(const codec_library&) = delete;

    // As imaging::read_instance and imaging::decode_htj2k (dicom_import.hpp).
    std::variant<dicom_instance, import_refusal> read_instance(std::span<const std::uint8_t> p10_file) const;
    std::optional<decoded_frame> decode_htj2k(std::span<const std::uint8_t> codestream) const;

    // The plugin's file name, and its path beside the running executable (/proc/self/exe);
    // the bare file name when that link cannot be read.
    static constexpr const char* file_name = "healthimaging-local-codecs.so";
    static std::string beside_executable();

private:
    // The codecs, or nullptr with load_error_ set; loads them on the first call.
    const detail::codec_table* table() const;

    const std::string path_;
    mutable std::once_flag loaded_;
    mutable const detail::codec_table* table_ = nullptr;  // written once, under loaded_
    mutable std::string load_error_;                      // written once, under loaded_
};

}  // namespace hil::imaging
