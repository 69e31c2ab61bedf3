// HTJ2K through OpenJPH's C++ API: the encoder for stored frames, and the decoder that
// checksums and tests read them back with.
// ojph_codestream.h uses OJPH_EXPORT without including ojph_arch.h, which defines it.
#include <openjph/ojph_arch.h>
#include <openjph/ojph_codestream.h>
#include <openjph/ojph_file.h>
#include <openjph/ojph_mem.h>
#include <openjph/ojph_params.h>

#include <algorithm>
#include <exception>
#include <limits>

#include "imaging/dicom_import.hpp"
#include "imaging/frame_pixels.hpp"

namespace hil::imaging {
namespace detail {

sample_range range_of(const frame_pixels& frame) {
    const auto count = frame.sample_count();
    if (count == 0) return {};
    std::int32_t lo = std::numeric_limits<std::int32_t>::max();
    std::int32_t hi = std::numeric_limits<std::int32_t>::min();
    for (std::size_t i = 0; i < count; ++i) {
        const auto v = frame.sample(i);
        lo = std::min(lo, v);
        hi = std::max(hi, v);
    }
    return {lo, hi};
}

namespace {

bool fits(const sample_range& range, std::uint32_t bit_depth, bool is_signed) {
    if (is_signed) {
        const std::int64_t half = std::int64_t{1} << (bit_depth - 1);
        return range.min >= -half && range.max < half;
    }
    return range.min >= 0 && range.max < (std::int64_t{1} << bit_depth);
}

// BitsStored when every sample fits in it, else the container. Never 8 or less for a 16-bit
// container: decoders (OpenJPH's, the one AWS's verification sample uses) write one byte a
// sample up to 8 bits and two above, and the checksum covers what they write.
std::uint32_t coded_bit_depth(const frame_pixels& frame) {
    const auto range = range_of(frame);
    const std::uint32_t floor = frame.bits_allocated > 8 ? 9 : 1;
    const std::uint32_t stored = std::clamp<std::uint32_t>(frame.bits_stored, floor, frame.bits_allocated);
    return fits(range, stored, frame.is_signed) ? stored : frame.bits_allocated;
}

// As many wavelet levels as OpenJPH's default (5) allows while the smallest resolution keeps
// at least one pixel in each direction.
std::uint32_t decompositions_for(std::uint32_t width, std::uint32_t height) {
    const auto smallest = std::min(width, height);
    std::uint32_t levels = 0;
    while (levels < 5 && (smallest >> (levels + 1)) >= 1) ++levels;
    return levels;
}

}  // namespace

std::optional<std::vector<std::uint8_t>> encode_htj2k(const frame_pixels& frame) {
    if (frame.width == 0 || frame.height == 0 || frame.components == 0) return std::nullopt;
    if (frame.pixels.size() < frame.sample_count() * frame.bytes_per_sample()) return std::nullopt;
    try {
        ojph::codestream codestream;
        ojph::param_siz siz = codestream.access_siz();
        siz.set_image_extent(ojph::point(frame.width, frame.height));
        siz.set_num_components(frame.components);
        const auto bit_depth = coded_bit_depth(frame);
        for (ojph::ui32 c = 0; c < frame.components; ++c)
            siz.set_component(c, ojph::point(1, 1), bit_depth, frame.is_signed);
        ojph::param_cod cod = codestream.access_cod();
        cod.set_num_decomposition(decompositions_for(frame.width, frame.height));
        cod.set_block_dims(64, 64);
        cod.set_progression_order("RPCL");
        cod.set_color_transform(frame.components == 3);
        cod.set_reversible(true);
        codestream.set_planar(false);

        ojph::mem_outfile out;
        out.open();
        codestream.write_headers(&out);
        ojph::ui32 next_component = 0;
        ojph::line_buf* line = codestream.exchange(nullptr, next_component);
        const std::size_t row_samples = static_cast<std::size_t>(frame.width) * frame.components;
        for (std::uint32_t y = 0; y < frame.height; ++y) {
            for (std::uint32_t c = 0; c < frame.components; ++c) {
                if (next_component != c || line == nullptr) return std::nullopt;
                const std::size_t row = y * row_samples;
                for (std::uint32_t x = 0; x < frame.width; ++x)
                    line->i32[x] = frame.sample(row + static_cast<std::size_t>(x) * frame.components + c);
                line = codestream.exchange(line, next_component);
            }
        }
        codestream.flush();
        const auto size = static_cast<std::size_t>(out.tell());
        std::vector<std::uint8_t> bytes(out.get_data(), out.get_data() + size);
        codestream.close();
        return bytes;
    } catch (const std::exception&) {
        return std::nullopt;
    }
}

}  // namespace detail

std::optional<decoded_frame> decode_htj2k(std::span<const std::uint8_t> codestream_bytes) {
    // SOC, then SIZ whose Rsiz has bit 14 set for HTJ2K (ISO/IEC 15444-15): checked here so
    // that other codestreams are turned down without OpenJPH reporting an error on stderr.
    const auto b = codestream_bytes;
    if (b.size() < 8 || b[0] != 0xFF || b[1] != 0x4F || b[2] != 0xFF || b[3] != 0x51 || (b[6] & 0x40) == 0)
        return std::nullopt;
    try {
        ojph::mem_infile in;
        in.open(codestream_bytes.data(), codestream_bytes.size());
        ojph::codestream codestream;
        codestream.read_headers(&in);
        ojph::param_siz siz = codestream.access_siz();
        const auto extent = siz.get_image_extent();
        const auto offset = siz.get_image_offset();
        decoded_frame frame;
        frame.width = extent.x - offset.x;
        frame.height = extent.y - offset.y;
        const auto components = siz.get_num_components();
        if (components == 0 || components > 4 || frame.width == 0 || frame.height == 0) return std::nullopt;
        frame.components = static_cast<std::uint16_t>(components);
        const auto bit_depth = siz.get_bit_depth(0);
        frame.is_signed = siz.is_signed(0);
        for (ojph::ui32 c = 0; c < components; ++c) {
            const auto ds = siz.get_downsampling(c);
            if (ds.x != 1 || ds.y != 1 || siz.get_bit_depth(c) != bit_depth || siz.is_signed(c) != frame.is_signed)
                return std::nullopt;
        }
        if (bit_depth == 0 || bit_depth > 16) return std::nullopt;
        frame.bit_depth = static_cast<std::uint16_t>(bit_depth);
        const std::size_t bytes_per_sample = bit_depth <= 8 ? 1 : 2;
        const std::size_t row_samples = static_cast<std::size_t>(frame.width) * components;
        frame.pixels.resize(row_samples * frame.height * bytes_per_sample);

        codestream.set_planar(false);
        codestream.create();
        for (std::uint32_t y = 0; y < frame.height; ++y) {
            for (std::uint32_t c = 0; c < components; ++c) {
                ojph::ui32 component = 0;
                const ojph::line_buf* line = codestream.pull(component);
                if (line == nullptr || component != c) return std::nullopt;
                const std::size_t row = y * row_samples;
                for (std::uint32_t x = 0; x < frame.width; ++x)
                    detail::put_sample(frame.pixels, bytes_per_sample, row + static_cast<std::size_t>(x) * components + c,
                                       line->i32[x]);
            }
        }
        codestream.close();
        return frame;
    } catch (const std::exception&) {
        return std::nullopt;
    }
}

}  // namespace hil::imaging
