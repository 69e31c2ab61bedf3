// gzip for GetImageSetMetadata's body and CRC32 for frame checksums, both zlib's.
#include <zlib.h>

#include <algorithm>
#include <array>

#include "imaging/dicom_import.hpp"

namespace hil::imaging {
namespace {

// windowBits 15 + 16: a gzip wrapper (RFC 1952) rather than zlib's own.
constexpr int k_gzip_window_bits = 15 + 16;

// zlib's interface takes non-const input pointers but does not write through them.
Bytef* input_bytes(std::string_view text) {
    return reinterpret_cast<Bytef*>(const_cast<char*>(text.data()));
}

}  // namespace

std::uint32_t pixel_checksum(std::span<const std::uint8_t> pixels) {
    return static_cast<std::uint32_t>(crc32_z(0UL, pixels.data(), pixels.size()));
}

std::string gzip(std::string_view text) {
    z_stream stream{};
    if (deflateInit2(&stream, Z_DEFAULT_COMPRESSION, Z_DEFLATED, k_gzip_window_bits, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return {};
    std::string out;
    std::array<char, 16384> chunk{};
    stream.next_in = input_bytes(text);
    std::size_t remaining = text.size();
    int status = Z_OK;
    do {
        // avail_in is 32 bits: feed a longer text in slices.
        if (stream.avail_in == 0 && remaining > 0) {
            const auto slice = static_cast<uInt>(std::min<std::size_t>(remaining, 1u << 30));
            stream.avail_in = slice;
            remaining -= slice;
        }
        stream.next_out = reinterpret_cast<Bytef*>(chunk.data());
        stream.avail_out = static_cast<uInt>(chunk.size());
        status = deflate(&stream, remaining == 0 ? Z_FINISH : Z_NO_FLUSH);
        out.append(chunk.data(), chunk.size() - stream.avail_out);
    } while (status == Z_OK || status == Z_BUF_ERROR);
    deflateEnd(&stream);
    return out;
}

std::optional<std::string> gunzip(std::string_view bytes) {
    z_stream stream{};
    if (inflateInit2(&stream, k_gzip_window_bits) != Z_OK) return std::nullopt;
    std::string out;
    std::array<char, 16384> chunk{};
    stream.next_in = input_bytes(bytes);
    std::size_t remaining = bytes.size();
    int status = Z_OK;
    while (status == Z_OK) {
        if (stream.avail_in == 0 && remaining > 0) {
            const auto slice = static_cast<uInt>(std::min<std::size_t>(remaining, 1u << 30));
            stream.avail_in = slice;
            remaining -= slice;
        }
        stream.next_out = reinterpret_cast<Bytef*>(chunk.data());
        stream.avail_out = static_cast<uInt>(chunk.size());
        status = inflate(&stream, Z_NO_FLUSH);
        out.append(chunk.data(), chunk.size() - stream.avail_out);
        if (status == Z_BUF_ERROR && stream.avail_in == 0 && remaining == 0) break;  // input ended early
        if (status == Z_BUF_ERROR) status = Z_OK;
    }
    const bool complete = status == Z_STREAM_END && stream.avail_in == 0 && remaining == 0;
    inflateEnd(&stream);
    if (!complete) return std::nullopt;
    return out;
}

}  // namespace hil::imaging
