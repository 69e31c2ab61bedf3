// Internal to imaging/: one instance's attributes as the JSON objects of the image-set
// metadata document, split by level (api-surface 6.1).
#pragma once

#include <cstdint>
#include <span>
#include <string>

class DcmItem;

namespace hil::imaging::detail {

struct level_objects {
    std::string patient = "{}", study = "{}", series = "{}", instance = "{}";
    std::string instance_vrs = "{}";  // VR by tag of the instance-level elements keyed by tag
};

// A value that replaces the one read from the file (top level, and only where the element is
// present): what the stored frames make true, e.g. PhotometricInterpretation "RGB" once YBR
// frames were stored as RGB.
struct value_override {
    std::uint16_t group = 0, element = 0;
    std::string json;  // the new value as JSON text: "\"RGB\"", "0"
};

// `meta` (the file meta group; may be null) goes to the instance level; `dataset`'s top-level
// elements go to the level their DICOM module belongs to. PixelData, group lengths and
// trailing padding are left out, as are binary values over 1 MB (AWS moves those to bulk data).
level_objects split_by_level(DcmItem* meta, DcmItem& dataset, std::span<const value_override> overrides);

}  // namespace hil::imaging::detail
