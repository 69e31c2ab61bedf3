// PixelData to frames: uncompressed values straight from DCMTK, RLE/JPEG/JPEG-LS through
// DCMTK's codecs, JPEG 2000 through OpenJPEG, HTJ2K through OpenJPH; colour brought to RGB
// interleaved, the layout HTJ2K frames and their checksums use.
#include "imaging/dicom_frames.hpp"

#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dcdatset.h>
#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcpixel.h>
#include <dcmtk/dcmdata/dcpixseq.h>
#include <dcmtk/dcmdata/dcpxitem.h>
#include <dcmtk/dcmdata/dcxfer.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <optional>

#include "imaging/dicom_import.hpp"

namespace hil::imaging::detail {
namespace {

bool is_ybr_full(const std::string& photometric) {
    return photometric == "YBR_FULL" || photometric == "YBR_FULL_422";
}
bool is_j2k_colour_transform(const std::string& photometric) {
    return photometric == "YBR_RCT" || photometric == "YBR_ICT";
}

std::uint8_t clamp_byte(double v) {
    return static_cast<std::uint8_t>(std::clamp(std::lround(v), 0L, 255L));
}

// PS3.3 C.7.6.3.1.2: YBR_FULL to RGB, 8 bits, interleaved in place.
void ybr_full_to_rgb(std::vector<std::uint8_t>& samples) {
    for (std::size_t i = 0; i + 2 < samples.size(); i += 3) {
        const double y = samples[i], cb = samples[i + 1] - 128.0, cr = samples[i + 2] - 128.0;
        samples[i] = clamp_byte(y + 1.402 * cr);
        samples[i + 1] = clamp_byte(y - 0.344136 * cb - 0.714136 * cr);
        samples[i + 2] = clamp_byte(y + 1.772 * cb);
    }
}

// Uncompressed YBR_FULL_422 stores Y1 Y2 Cb Cr for each pair of pixels (PS3.3 C.7.6.3.1.2):
// full-resolution YBR_FULL, chroma repeated.
std::vector<std::uint8_t> expand_422(const std::uint8_t* data, std::uint32_t columns, std::uint32_t rows) {
    std::vector<std::uint8_t> out(static_cast<std::size_t>(columns) * rows * 3);
    const std::size_t pairs = static_cast<std::size_t>(columns) * rows / 2;
    for (std::size_t p = 0; p < pairs; ++p) {
        const auto* in = data + 4 * p;
        for (std::size_t k = 0; k < 2; ++k) {
            auto* px = out.data() + (2 * p + k) * 3;
            px[0] = in[k];
            px[1] = in[2];
            px[2] = in[3];
        }
    }
    return out;
}

// Colour-by-plane to colour-by-pixel.
std::vector<std::uint8_t> interleave(const std::vector<std::uint8_t>& planar, std::size_t pixels,
                                     std::size_t components, std::size_t bytes_per_sample) {
    std::vector<std::uint8_t> out(planar.size());
    for (std::size_t c = 0; c < components; ++c)
        for (std::size_t i = 0; i < pixels; ++i)
            std::memcpy(out.data() + (i * components + c) * bytes_per_sample,
                        planar.data() + (c * pixels + i) * bytes_per_sample, bytes_per_sample);
    return out;
}

frame_pixels empty_frame(const pixel_description& d) {
    frame_pixels f;
    f.width = d.columns;
    f.height = d.rows;
    f.components = d.samples_per_pixel;
    f.bits_allocated = d.bits_allocated;
    f.bits_stored = d.bits_stored;
    f.is_signed = d.is_signed;
    return f;
}

// One frame's bits out of packed 1-bit data; frames need not start on a byte boundary.
std::vector<std::uint8_t> packed_bits(const std::uint8_t* data, std::size_t data_size, std::size_t first_bit,
                                      std::size_t bit_count) {
    std::vector<std::uint8_t> out((bit_count + 7) / 8, 0);
    for (std::size_t i = 0; i < bit_count; ++i) {
        const std::size_t bit = first_bit + i;
        if (bit / 8 >= data_size) break;
        if ((data[bit / 8] >> (bit % 8)) & 1u) out[i / 8] = static_cast<std::uint8_t>(out[i / 8] | (1u << (i % 8)));
    }
    return out;
}

// The uncompressed value of PixelData as little-endian bytes.
std::optional<std::vector<std::uint8_t>> native_bytes(DcmDataset& dataset, std::uint16_t bits_allocated) {
    DcmElement* element = nullptr;
    if (dataset.findAndGetElement(DCM_PixelData, element).bad() || element == nullptr) return std::nullopt;
    const Uint32 length = element->getLength();
    if (bits_allocated == 16) {
        Uint16* words = nullptr;
        if (element->getUint16Array(words).good() && words != nullptr) {
            std::vector<std::uint8_t> bytes(static_cast<std::size_t>(length / 2) * 2);
            for (std::size_t i = 0; i < bytes.size() / 2; ++i) {
                bytes[2 * i] = static_cast<std::uint8_t>(words[i] & 0xFFu);
                bytes[2 * i + 1] = static_cast<std::uint8_t>(words[i] >> 8);
            }
            return bytes;
        }
    }
    // 8-bit (and 1-bit) samples, or 16-bit ones stored as OB: bytes in file order. (DCMTK keeps
    // OW in host order, which is little-endian on every machine this builds for.)
    Uint8* bytes = nullptr;
    if (element->getUint8Array(bytes).bad() || (bytes == nullptr && length != 0)) return std::nullopt;
    return std::vector<std::uint8_t>(bytes, bytes + length);
}

std::variant<std::vector<extracted_frame>, std::string> native_frames(DcmDataset& dataset,
                                                                       const pixel_description& d) {
    const auto bytes = native_bytes(dataset, d.bits_allocated);
    if (!bytes) return std::string("The PixelData value cannot be read");
    const std::size_t pixels_per_frame = static_cast<std::size_t>(d.rows) * d.columns;
    const std::size_t samples = pixels_per_frame * d.samples_per_pixel;
    std::vector<extracted_frame> frames;
    frames.reserve(d.frames);

    if (d.bits_allocated == 1) {
        if (bytes->size() * 8 < samples * d.frames) return std::string("PixelData is shorter than its frames");
        for (std::uint32_t i = 0; i < d.frames; ++i) {
            extracted_frame f{empty_frame(d), {}};
            f.pixels.pixels = packed_bits(bytes->data(), bytes->size(), i * samples, samples);
            frames.push_back(std::move(f));
        }
        return frames;
    }

    const std::size_t bytes_per_sample = d.bits_allocated / 8;
    const bool subsampled = d.photometric == "YBR_FULL_422" && d.samples_per_pixel == 3 && d.bits_allocated == 8;
    const std::size_t frame_bytes = subsampled ? pixels_per_frame * 2 : samples * bytes_per_sample;
    if (bytes->size() < frame_bytes * d.frames) return std::string("PixelData is shorter than its frames");
    for (std::uint32_t i = 0; i < d.frames; ++i) {
        extracted_frame f{empty_frame(d), {}};
        const auto* start = bytes->data() + i * frame_bytes;
        if (subsampled) {
            f.pixels.pixels = expand_422(start, d.columns, d.rows);
        } else {
            f.pixels.pixels.assign(start, start + frame_bytes);
            if (d.samples_per_pixel > 1 && d.planar_configuration == 1)
                f.pixels.pixels = interleave(f.pixels.pixels, pixels_per_frame, d.samples_per_pixel, bytes_per_sample);
        }
        if (d.samples_per_pixel == 3 && d.bits_allocated == 8 && is_ybr_full(d.photometric))
            ybr_full_to_rgb(f.pixels.pixels);
        frames.push_back(std::move(f));
    }
    return frames;
}

// The compressed bytes of each frame (PS3.5 A.4): one fragment a frame, or the Basic Offset
// Table's grouping, or (without one) a new frame at each fragment that opens a codestream.
std::variant<std::vector<std::vector<std::uint8_t>>, std::string> encapsulated_frames(DcmDataset& dataset,
                                                                                       std::uint32_t frame_count) {
    DcmElement* element = nullptr;
    if (dataset.findAndGetElement(DCM_PixelData, element).bad() || element == nullptr)
        return std::string("The PixelData value cannot be read");
    auto& pixel_data = static_cast<DcmPixelData&>(*element);
    E_TransferSyntax original = EXS_Unknown;
    const DcmRepresentationParameter* parameter = nullptr;
    pixel_data.getOriginalRepresentationKey(original, parameter);
    DcmPixelSequence* sequence = nullptr;
    if (pixel_data.getEncapsulatedRepresentation(original, parameter, sequence).bad() || sequence == nullptr)
        return std::string("The encapsulated PixelData cannot be read");

    struct fragment {
        const std::uint8_t* data;
        std::size_t size;
        std::size_t offset;  // from the first fragment's item tag, as the offset table counts
    };
    std::vector<fragment> fragments;
    std::vector<std::uint32_t> offset_table;
    std::size_t running = 0;
    for (unsigned long i = 0; i < sequence->card(); ++i) {
        DcmPixelItem* item = nullptr;
        if (sequence->getItem(item, i).bad() || item == nullptr) return std::string("A PixelData fragment cannot be read");
        Uint8* bytes = nullptr;
        const Uint32 length = item->getLength();
        if (length != 0 && (item->getUint8Array(bytes).bad() || bytes == nullptr))
            return std::string("A PixelData fragment cannot be read");
        if (i == 0) {
            for (std::size_t k = 0; k + 3 < length; k += 4)
                offset_table.push_back(std::uint32_t{bytes[k]} | (std::uint32_t{bytes[k + 1]} << 8) |
                                       (std::uint32_t{bytes[k + 2]} << 16) | (std::uint32_t{bytes[k + 3]} << 24));
            continue;
        }
        fragments.push_back({bytes, length, running});
        running += 8 + length;
    }
    if (fragments.empty()) return std::string("The encapsulated PixelData has no fragments");

    std::vector<std::vector<std::uint8_t>> frames;
    auto append = [](std::vector<std::uint8_t>& to, const fragment& f) { to.insert(to.end(), f.data, f.data + f.size); };
    if (frame_count == 1) {
        frames.emplace_back();
        for (const auto& f : fragments) append(frames.back(), f);
    } else if (fragments.size() == frame_count) {
        for (const auto& f : fragments) append(frames.emplace_back(), f);
    } else if (offset_table.size() == frame_count) {
        for (std::size_t k = 0; k < frame_count; ++k) {
            const std::size_t begin = offset_table[k];
            const std::size_t end = k + 1 < frame_count ? offset_table[k + 1] : running;
            auto& frame = frames.emplace_back();
            for (const auto& f : fragments)
                if (f.offset >= begin && f.offset < end) append(frame, f);
        }
    } else {
        for (const auto& f : fragments) {
            const bool opens = f.size >= 2 && f.data[0] == 0xFF && (f.data[1] == 0x4F || f.data[1] == 0xD8);
            if (opens || frames.empty()) frames.emplace_back();
            append(frames.back(), f);
        }
    }
    if (frames.size() != frame_count) return std::string("The encapsulated PixelData does not hold NumberOfFrames frames");
    return frames;
}

// A decoded HTJ2K frame in the DICOM container's sample width.
std::optional<frame_pixels> from_htj2k(const decoded_frame& decoded, const pixel_description& d) {
    if (decoded.width != d.columns || decoded.height != d.rows || decoded.components != d.samples_per_pixel)
        return std::nullopt;
    if (decoded.bit_depth > d.bits_allocated) return std::nullopt;
    frame_pixels out = empty_frame(d);
    const std::size_t in_bytes = decoded.bit_depth <= 8 ? 1 : 2;
    const std::size_t out_bytes = out.bytes_per_sample();
    if (in_bytes == out_bytes) {
        out.pixels = decoded.pixels;
        return out;
    }
    out.pixels.resize(out.sample_count() * out_bytes);
    for (std::size_t i = 0; i < out.sample_count(); ++i) {
        const std::uint8_t byte = decoded.pixels[i];
        const std::int32_t value = decoded.is_signed ? static_cast<std::int8_t>(byte) : byte;
        put_sample(out.pixels, out_bytes, i, value);
    }
    return out;
}

}  // namespace

std::string stored_photometric(const pixel_description& pixels, pixel_route route) {
    if (pixels.samples_per_pixel != 3) return pixels.photometric;
    if (route == pixel_route::jpeg2000 && is_j2k_colour_transform(pixels.photometric)) return "RGB";
    if (pixels.bits_allocated == 8 && (is_ybr_full(pixels.photometric) || is_j2k_colour_transform(pixels.photometric)))
        return "RGB";
    return pixels.photometric;
}

std::variant<std::vector<extracted_frame>, std::string> extract_frames(DcmDataset& dataset,
                                                                        const pixel_description& d,
                                                                        pixel_route route, bool keep_original) {
    std::vector<std::vector<std::uint8_t>> compressed;
    if (route != pixel_route::native && (keep_original || route != pixel_route::dcmtk_codec)) {
        auto split = encapsulated_frames(dataset, d.frames);
        if (auto* message = std::get_if<std::string>(&split)) return *message;
        compressed = std::move(std::get<0>(split));
    }

    switch (route) {
        case pixel_route::native:
            return native_frames(dataset, d);
        case pixel_route::dcmtk_codec: {
            const OFCondition status = dataset.chooseRepresentation(EXS_LittleEndianExplicit, nullptr);
            if (status.bad() || !dataset.canWriteXfer(EXS_LittleEndianExplicit))
                return std::string("The pixel data cannot be decompressed: ") + status.text();
            // The decoder may have converted colour or changed the planar configuration.
            pixel_description after = d;
            OFString photometric;
            if (dataset.findAndGetOFString(DCM_PhotometricInterpretation, photometric).good())
                after.photometric = photometric.c_str();
            Uint16 planar = 0;
            after.planar_configuration =
                dataset.findAndGetUint16(DCM_PlanarConfiguration, planar).good() ? planar : std::uint16_t{0};
            auto frames = native_frames(dataset, after);
            if (auto* list = std::get_if<0>(&frames); list != nullptr && keep_original)
                for (std::size_t i = 0; i < list->size() && i < compressed.size(); ++i)
                    (*list)[i].original = std::move(compressed[i]);
            return frames;
        }
        case pixel_route::jpeg2000:
        case pixel_route::htj2k: {
            std::vector<extracted_frame> frames;
            for (auto& bytes : compressed) {
                std::optional<frame_pixels> pixels;
                if (route == pixel_route::jpeg2000) {
                    pixels = decode_jpeg2000(bytes, d.columns, d.rows, d.samples_per_pixel, d.bits_allocated,
                                             d.bits_stored, d.is_signed);
                } else if (const auto decoded = decode_htj2k(bytes)) {
                    pixels = from_htj2k(*decoded, d);
                }
                if (!pixels) return std::string("A frame of the compressed pixel data cannot be decoded");
                if (d.samples_per_pixel == 3 && d.bits_allocated == 8 && is_ybr_full(d.photometric))
                    ybr_full_to_rgb(pixels->pixels);
                extracted_frame f{std::move(*pixels), {}};
                if (keep_original) f.original = std::move(bytes);
                frames.push_back(std::move(f));
            }
            return frames;
        }
    }
    return std::string("Unsupported pixel data");
}

}  // namespace hil::imaging::detail
