// JPEG 2000 frames (DICOM 4.90 / 4.91), which DCMTK 3.6.7 cannot decode, through OpenJPEG
// reading from memory.
#include <openjpeg.h>

#include <algorithm>
#include <cstring>
#include <memory>

#include "imaging/frame_pixels.hpp"

namespace hil::imaging::detail {
namespace {

struct memory_source {
    std::span<const std::uint8_t> bytes;
    std::size_t position = 0;
};

OPJ_SIZE_T read_from(void* buffer, OPJ_SIZE_T wanted, void* user) {
    auto& source = *static_cast<memory_source*>(user);
    if (source.position >= source.bytes.size()) return static_cast<OPJ_SIZE_T>(-1);  // OpenJPEG's end of stream
    const auto n = std::min<std::size_t>(wanted, source.bytes.size() - source.position);
    std::memcpy(buffer, source.bytes.data() + source.position, n);
    source.position += n;
    return n;
}

OPJ_OFF_T skip_in(OPJ_OFF_T distance, void* user) {
    auto& source = *static_cast<memory_source*>(user);
    const auto here = static_cast<OPJ_OFF_T>(source.position);
    const auto end = static_cast<OPJ_OFF_T>(source.bytes.size());
    const auto target = std::clamp<OPJ_OFF_T>(here + distance, 0, end);
    source.position = static_cast<std::size_t>(target);
    return target - here;
}

OPJ_BOOL seek_to(OPJ_OFF_T target, void* user) {
    auto& source = *static_cast<memory_source*>(user);
    if (target < 0 || static_cast<std::size_t>(target) > source.bytes.size()) return OPJ_FALSE;
    source.position = static_cast<std::size_t>(target);
    return OPJ_TRUE;
}

struct stream_closer {
    void operator()(opj_stream_t* s) const { opj_stream_destroy(s); }
};
struct codec_closer {
    void operator()(opj_codec_t* c) const { opj_destroy_codec(c); }
};
struct image_closer {
    void operator()(opj_image_t* i) const { opj_image_destroy(i); }
};

bool is_jp2_file(std::span<const std::uint8_t> data) {
    static constexpr std::uint8_t signature[] = {0x00, 0x00, 0x00, 0x0C, 0x6A, 0x50, 0x20, 0x20};
    return data.size() >= sizeof signature && std::equal(std::begin(signature), std::end(signature), data.begin());
}

}  // namespace

std::optional<frame_pixels> decode_jpeg2000(std::span<const std::uint8_t> data, std::uint32_t width,
                                            std::uint32_t height, std::uint16_t components,
                                            std::uint16_t bits_allocated, std::uint16_t bits_stored,
                                            bool is_signed) {
    memory_source source{data, 0};
    std::unique_ptr<opj_stream_t, stream_closer> stream(opj_stream_default_create(OPJ_TRUE));
    if (!stream) return std::nullopt;
    opj_stream_set_user_data(stream.get(), &source, nullptr);
    opj_stream_set_user_data_length(stream.get(), data.size());
    opj_stream_set_read_function(stream.get(), read_from);
    opj_stream_set_skip_function(stream.get(), skip_in);
    opj_stream_set_seek_function(stream.get(), seek_to);

    std::unique_ptr<opj_codec_t, codec_closer> codec(opj_create_decompress(is_jp2_file(data) ? OPJ_CODEC_JP2 : OPJ_CODEC_J2K));
    if (!codec) return std::nullopt;
    opj_dparameters_t parameters;
    opj_set_default_decoder_parameters(&parameters);
    if (!opj_setup_decoder(codec.get(), &parameters)) return std::nullopt;

    opj_image_t* raw_image = nullptr;
    if (!opj_read_header(stream.get(), codec.get(), &raw_image)) {
        opj_image_destroy(raw_image);
        return std::nullopt;
    }
    std::unique_ptr<opj_image_t, image_closer> image(raw_image);
    if (!opj_decode(codec.get(), stream.get(), image.get()) || !opj_end_decompress(codec.get(), stream.get()))
        return std::nullopt;
    if (image->numcomps != components) return std::nullopt;
    for (OPJ_UINT32 c = 0; c < image->numcomps; ++c) {
        const auto& comp = image->comps[c];
        if (comp.w != width || comp.h != height || comp.dx != 1 || comp.dy != 1 || comp.data == nullptr) return std::nullopt;
        if (comp.prec > bits_allocated) return std::nullopt;
    }

    frame_pixels frame;
    frame.width = width;
    frame.height = height;
    frame.components = components;
    frame.bits_allocated = bits_allocated;
    frame.bits_stored = bits_stored;
    frame.is_signed = is_signed;
    const auto bytes_per_sample = frame.bytes_per_sample();
    frame.pixels.resize(frame.sample_count() * bytes_per_sample);
    const std::size_t pixel_count = static_cast<std::size_t>(width) * height;
    for (std::size_t i = 0; i < pixel_count; ++i)
        for (std::uint16_t c = 0; c < components; ++c)
            put_sample(frame.pixels, bytes_per_sample, i * components + c, image->comps[c].data[i]);
    return frame;
}

}  // namespace hil::imaging::detail
