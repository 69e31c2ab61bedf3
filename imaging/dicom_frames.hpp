// Internal to imaging/: the frames of one dataset's PixelData, decoded to the layout the
// checksum covers, with the original compressed bytes of each frame when they are kept.
#pragma once

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "imaging/frame_pixels.hpp"

class DcmDataset;

namespace hil::imaging::detail {

// How a transfer syntax's frames are read.
enum class pixel_route {
    native,       // uncompressed (also deflated: DCMTK inflates the whole dataset while reading)
    dcmtk_codec,  // RLE, JPEG (dcmjpeg), JPEG-LS (dcmjpls)
    jpeg2000,     // OpenJPEG
    htj2k,        // OpenJPH
};

// What the pixel module says (PS3.3 C.7.6.3), read before any decoding.
struct pixel_description {
    std::uint32_t rows = 0, columns = 0, frames = 1;
    std::uint16_t samples_per_pixel = 1, bits_allocated = 0, bits_stored = 0;
    bool is_signed = false;
    std::string photometric;  // PhotometricInterpretation, trimmed
    std::uint16_t planar_configuration = 0;
};

// The interpretation of stored (transcoded) frames: RGB for YBR colour that is converted.
std::string stored_photometric(const pixel_description& pixels, pixel_route route);

struct extracted_frame {
    frame_pixels pixels;                  // decoded; for BitsAllocated 1 the packed bits as stored
    std::vector<std::uint8_t> original;   // the frame's compressed bytes, when asked to keep them
};

// The frames, or a refusal message. Decoding through DCMTK changes the dataset (the
// uncompressed representation is added and the pixel module updated); read everything else
// from it first. REQUIRES: the dataset has PixelData.
std::variant<std::vector<extracted_frame>, std::string> extract_frames(DcmDataset& dataset,
                                                                        const pixel_description& pixels,
                                                                        pixel_route route, bool keep_original);

}  // namespace hil::imaging::detail
