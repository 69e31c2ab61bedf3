#include "imaging/codec_library.hpp"

#include <dlfcn.h>
#include <unistd.h>

#include <array>
#include <utility>

#include "imaging/codec_table.hpp"

// Weak: defined only when hil_codecs is linked into the program (the test programs); in the
// server binary its address is null and the plugin is loaded instead.
extern "C" [[gnu::weak]] const hil::imaging::detail::codec_table* HIL_CODECS_ENTRY() noexcept;

namespace hil::imaging {

codec_library::codec_library(std::string path) : path_(std::move(path)) {}

std::string codec_library::beside_executable() {
    std::array<char, 4096> exe{};
    const auto n = ::readlink("/proc/self/exe", exe.data(), exe.size() - 1);
    if (n <= 0) return file_name;
    std::string dir(exe.data(), static_cast<std::size_t>(n));
    dir.resize(dir.rfind('/') + 1);
    return dir + file_name;
}

const detail::codec_table* codec_library::table() const {
    std::call_once(loaded_, [this] {
        if (&HIL_CODECS_ENTRY != nullptr) {
            table_ = HIL_CODECS_ENTRY();
            return;
        }
        // RTLD_NODELETE: never unmapped, since DCMTK's process-wide state is not made to be
        // torn down; a second codec_library (tests, a new emulator) gets the same copy.
        // RTLD_LOCAL: the libraries it links stay out of the program's symbol lookup.
        void* handle = ::dlopen(path_.c_str(), RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
        if (handle == nullptr) {
            const char* why = ::dlerror();
            // dlerror names the path and the reason.
            load_error_ = std::string("The DICOM codecs cannot be loaded: ") + (why ? why : path_.c_str());
            return;
        }
        using entry_fn = const detail::codec_table* (*)() noexcept;
        const auto entry = reinterpret_cast<entry_fn>(::dlsym(handle, HIL_CODECS_ENTRY_NAME));
        const detail::codec_table* table = entry ? entry() : nullptr;
        const detail::codec_table expected;
        if (table == nullptr || table->abi != expected.abi || table->sizeof_instance != expected.sizeof_instance ||
            table->sizeof_refusal != expected.sizeof_refusal || table->sizeof_decoded != expected.sizeof_decoded) {
            load_error_ = "The DICOM codecs at " + path_ + " are from another build of healthimaging-local";
            ::dlclose(handle);
            return;
        }
        table_ = table;
    });
    return table_;
}

std::variant<dicom_instance, import_refusal> codec_library::read_instance(std::span<const std::uint8_t> p10_file) const {
    const auto* codecs = table();
    if (codecs == nullptr) return import_refusal{"InternalServerException", load_error_};
    return codecs->read_instance(p10_file);
}

std::optional<decoded_frame> codec_library::decode_htj2k(std::span<const std::uint8_t> codestream) const {
    const auto* codecs = table();
    if (codecs == nullptr) return std::nullopt;
    return codecs->decode_htj2k(codestream);
}

}  // namespace hil::imaging
