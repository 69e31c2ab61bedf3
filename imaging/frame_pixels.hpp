// Internal to imaging/: decoded pixels of one frame, in the layout the checksum covers, and
// the two codecs that produce or consume them. Not part of the layer's front header.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace hil::imaging::detail {

// One frame's samples: little-endian, `bits_allocated / 8` bytes each (two's complement when
// signed), components interleaved, rows top to bottom.
struct frame_pixels {
    std::uint32_t width = 0, height = 0;
    std::uint16_t components = 1;
    std::uint16_t bits_allocated = 8;  // 8 or 16
    std::uint16_t bits_stored = 8;     // <= bits_allocated; samples may still use more bits
    bool is_signed = false;
    std::vector<std::uint8_t> pixels;

    std::size_t sample_count() const {
        return static_cast<std::size_t>(width) * height * components;
    }
    std::size_t bytes_per_sample() const { return bits_allocated <= 8 ? 1 : 2; }
    // The sample at `index`, read as the container's width and signedness.
    std::int32_t sample(std::size_t index) const {
        if (bytes_per_sample() == 1) {
            const auto byte = pixels[index];
            return is_signed ? static_cast<std::int8_t>(byte) : static_cast<std::int32_t>(byte);
        }
        const auto word = static_cast<std::uint16_t>(pixels[2 * index] | (pixels[2 * index + 1] << 8));
        return is_signed ? static_cast<std::int16_t>(word) : static_cast<std::int32_t>(word);
    }
};

// Writes `value` (already in the container's range) as the index-th little-endian sample.
inline void put_sample(std::vector<std::uint8_t>& pixels, std::size_t bytes_per_sample, std::size_t index,
                       std::int32_t value) {
    const auto bits = static_cast<std::uint32_t>(value);
    if (bytes_per_sample == 1) {
        pixels[index] = static_cast<std::uint8_t>(bits & 0xFFu);
    } else {
        pixels[2 * index] = static_cast<std::uint8_t>(bits & 0xFFu);
        pixels[2 * index + 1] = static_cast<std::uint8_t>((bits >> 8) & 0xFFu);
    }
}

struct sample_range {
    std::int64_t min = 0, max = 0;
};
sample_range range_of(const frame_pixels& frame);

// A lossless HTJ2K codestream (reversible 5/3, RPCL, colour transform for 3 components) that
// decodes to exactly frame.pixels, with the bit depth chosen so that a decoder writes samples
// of the same width as the source container. Nothing when OpenJPH fails.
std::optional<std::vector<std::uint8_t>> encode_htj2k(const frame_pixels& frame);

// A JPEG 2000 (part 1 or HTJ2K) codestream or JP2 file decoded by OpenJPEG into samples of
// `bits_allocated` bits. Nothing when OpenJPEG cannot decode it, its size or component count
// is not the expected one, or a component is subsampled.
std::optional<frame_pixels> decode_jpeg2000(std::span<const std::uint8_t> data, std::uint32_t width,
                                            std::uint32_t height, std::uint16_t components,
                                            std::uint16_t bits_allocated, std::uint16_t bits_stored,
                                            bool is_signed);

}  // namespace hil::imaging::detail
