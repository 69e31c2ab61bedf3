// The codecs plugin's entry: the table codec_library reads. Linked into
// healthimaging-local-codecs.so, and directly into the test programs.
#include "imaging/codec_table.hpp"

extern "C" __attribute__((visibility("default"))) const hil::imaging::detail::codec_table* HIL_CODECS_ENTRY() noexcept {
    static constexpr hil::imaging::detail::codec_table table{
        // read_instance catches everything itself; decode_htj2k every std::exception, and
        // anything else ends the process here rather than unwinding into the server binary.
        .read_instance = [](std::span<const std::uint8_t> file) noexcept { return hil::imaging::read_instance(file); },
        .decode_htj2k = [](std::span<const std::uint8_t> codestream) noexcept {
            return hil::imaging::decode_htj2k(codestream);
        },
    };
    return &table;
}
