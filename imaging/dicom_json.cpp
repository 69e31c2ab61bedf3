// Attributes to JSON as the image-set metadata document encodes them (api-surface 6.1):
// keywords as keys (tags in 8 hex digits when private or not in the dictionary), IS/DS as
// strings with their padding, binary numbers as JSON numbers, multiple values as arrays,
// sequences as arrays of objects, empty elements as null, binary values as base64.
#include "imaging/dicom_json.hpp"

#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dcelem.h>
#include <dcmtk/dcmdata/dcitem.h>
#include <dcmtk/dcmdata/dcsequen.h>
#include <dcmtk/dcmdata/dctag.h>
#include <dcmtk/dcmdata/dcvr.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <bit>
#include <charconv>
#include <cmath>
#include <cstring>
#include <optional>
#include <set>
#include <string_view>
#include <vector>

namespace hil::imaging::detail {
namespace {

using json_writer = rapidjson::Writer<rapidjson::StringBuffer>;

struct tag_ref {
    std::uint16_t group, element;
};

// The elements AWS normalises to the patient level: PS3.3 C.7.1.1 Patient module (with the
// Issuer of Patient ID macro, as AWS's "Metadata normalization" page lists them) and C.7.1.3
// Clinical Trial Subject module.
constexpr tag_ref k_patient_level[] = {
    {0x0010, 0x0010}, {0x0010, 0x0020}, {0x0010, 0x0021}, {0x0010, 0x0022}, {0x0010, 0x0024},
    {0x0010, 0x0026}, {0x0010, 0x0027}, {0x0010, 0x0028}, {0x0010, 0x0030}, {0x0010, 0x0032},
    {0x0010, 0x0033}, {0x0010, 0x0034}, {0x0010, 0x0035}, {0x0010, 0x0040}, {0x0010, 0x0200},
    {0x0010, 0x0212}, {0x0010, 0x0213}, {0x0010, 0x0214}, {0x0010, 0x0215}, {0x0010, 0x0216},
    {0x0010, 0x0217}, {0x0010, 0x0218}, {0x0010, 0x0219}, {0x0010, 0x0221}, {0x0010, 0x0222},
    {0x0010, 0x0223}, {0x0010, 0x0229}, {0x0010, 0x1000}, {0x0010, 0x1001}, {0x0010, 0x1002},
    {0x0010, 0x1100}, {0x0010, 0x2160}, {0x0010, 0x2201}, {0x0010, 0x2202}, {0x0010, 0x2292},
    {0x0010, 0x2293}, {0x0010, 0x2294}, {0x0010, 0x2295}, {0x0010, 0x2296}, {0x0010, 0x2297},
    {0x0010, 0x2298}, {0x0010, 0x2299}, {0x0010, 0x4000}, {0x0008, 0x1120}, {0x0012, 0x0062},
    {0x0012, 0x0063}, {0x0012, 0x0064},
    // C.7.1.3 Clinical Trial Subject
    {0x0012, 0x0010}, {0x0012, 0x0020}, {0x0012, 0x0021}, {0x0012, 0x0030}, {0x0012, 0x0031},
    {0x0012, 0x0040}, {0x0012, 0x0042}, {0x0012, 0x0081}, {0x0012, 0x0082},
};

// Study level: C.7.2.1 General Study, C.7.2.2 Patient Study, C.7.2.3 Clinical Trial Study.
constexpr tag_ref k_study_level[] = {
    // General Study
    {0x0020, 0x000D}, {0x0008, 0x0020}, {0x0008, 0x0030}, {0x0008, 0x0090}, {0x0008, 0x0096},
    {0x0008, 0x009C}, {0x0008, 0x009D}, {0x0020, 0x0010}, {0x0008, 0x0050}, {0x0008, 0x0051},
    {0x0008, 0x1030}, {0x0008, 0x1048}, {0x0008, 0x1049}, {0x0008, 0x1060}, {0x0008, 0x1062},
    {0x0032, 0x1033}, {0x0032, 0x1034}, {0x0008, 0x1032}, {0x0040, 0x1012}, {0x0008, 0x1110},
    {0x0032, 0x1066}, {0x0032, 0x1067},
    // Patient Study
    {0x0008, 0x1080}, {0x0008, 0x1084}, {0x0010, 0x1010}, {0x0010, 0x1020}, {0x0010, 0x1021},
    {0x0010, 0x1022}, {0x0010, 0x1023}, {0x0010, 0x1024}, {0x0010, 0x1030}, {0x0010, 0x2000},
    {0x0010, 0x2110}, {0x0010, 0x2180}, {0x0010, 0x21A0}, {0x0010, 0x21B0}, {0x0010, 0x21C0},
    {0x0010, 0x21D0}, {0x0010, 0x2203}, {0x0038, 0x0010}, {0x0038, 0x0014}, {0x0038, 0x0060},
    {0x0038, 0x0062}, {0x0038, 0x0064}, {0x0038, 0x0500},
    // Clinical Trial Study
    {0x0012, 0x0050}, {0x0012, 0x0051}, {0x0012, 0x0052}, {0x0012, 0x0053}, {0x0012, 0x0083},
};

// Series level: C.7.3.1 General Series, C.7.3.2 Clinical Trial Series and C.7.5.1 General
// Equipment (the real service puts SoftwareVersions at the series level), less Pixel Padding
// Value, which describes the pixels of each instance.
constexpr tag_ref k_series_level[] = {
    // General Series
    {0x0008, 0x0060}, {0x0020, 0x000E}, {0x0020, 0x0011}, {0x0020, 0x0060}, {0x0008, 0x0021},
    {0x0008, 0x0031}, {0x0008, 0x1050}, {0x0008, 0x1052}, {0x0018, 0x1030}, {0x0008, 0x103E},
    {0x0008, 0x103F}, {0x0008, 0x1070}, {0x0008, 0x1072}, {0x0008, 0x1111}, {0x0008, 0x1250},
    {0x0018, 0x0015}, {0x0018, 0x5100}, {0x0028, 0x0108}, {0x0028, 0x0109}, {0x0040, 0x0275},
    {0x0040, 0x0253}, {0x0040, 0x0244}, {0x0040, 0x0245}, {0x0040, 0x0250}, {0x0040, 0x0251},
    {0x0040, 0x0254}, {0x0040, 0x0260}, {0x0040, 0x0261}, {0x0040, 0x0280}, {0x0010, 0x2210},
    // Clinical Trial Series
    {0x0012, 0x0060}, {0x0012, 0x0071}, {0x0012, 0x0072},
    // General Equipment
    {0x0008, 0x0070}, {0x0008, 0x0080}, {0x0008, 0x0081}, {0x0008, 0x1010}, {0x0008, 0x1040},
    {0x0008, 0x1041}, {0x0008, 0x1090}, {0x0018, 0x1000}, {0x0018, 0x1002}, {0x0018, 0x1008},
    {0x0018, 0x1020}, {0x0018, 0x1050}, {0x0018, 0x1200}, {0x0018, 0x1201},
};

template <std::size_t N>
bool listed(const tag_ref (&table)[N], const DcmTagKey& tag) {
    return std::any_of(std::begin(table), std::end(table), [&](const tag_ref& t) {
        return t.group == tag.getGroup() && t.element == tag.getElement();
    });
}

// AWS moves binary values above 1 MB to bulk data; the metadata document does not carry them.
constexpr Uint32 k_max_inline_binary = 1024 * 1024;

bool left_out(const DcmTagKey& tag) {
    return tag.getElement() == 0x0000                                      // group lengths
           || tag == DcmTagKey(0x7FE0, 0x0010)                             // PixelData: the frames
           || tag == DcmTagKey(0x7FE0, 0x0008) || tag == DcmTagKey(0x7FE0, 0x0009)  // float pixel data
           || tag == DcmTagKey(0xFFFC, 0xFFFC);                            // DataSetTrailingPadding
}

std::string tag_hex(const DcmTagKey& tag) {
    static constexpr char digits[] = "0123456789ABCDEF";
    const std::uint32_t value = (static_cast<std::uint32_t>(tag.getGroup()) << 16) | tag.getElement();
    std::string hex(8, '0');
    for (int i = 0; i < 8; ++i) hex[static_cast<std::size_t>(7 - i)] = digits[(value >> (4 * i)) & 0xFu];
    return hex;
}

// The keyword, or nothing when the tag must be keyed by number (private, or not in the
// dictionary). DCMTK marks retired keywords with a prefix that PS3.6 keywords do not have.
std::optional<std::string> keyword_of(const DcmElement& element) {
    DcmTag tag(element.getTag());
    if (tag.isPrivate()) return std::nullopt;
    const char* name = tag.getTagName();
    if (name == nullptr || *name == '\0' || std::strcmp(name, DcmTag_ERROR_TagName) == 0) return std::nullopt;
    std::string_view keyword(name);
    constexpr std::string_view retired = "RETIRED_";
    if (keyword.starts_with(retired)) keyword.remove_prefix(retired.size());
    return std::string(keyword);
}

bool is_valid_utf8(std::string_view s) {
    std::size_t i = 0;
    while (i < s.size()) {
        const auto c = static_cast<unsigned char>(s[i]);
        std::size_t extra = 0;
        if (c < 0x80) {
            extra = 0;
        } else if ((c >> 5) == 0x6) {
            extra = 1;
        } else if ((c >> 4) == 0xE) {
            extra = 2;
        } else if ((c >> 3) == 0x1E) {
            extra = 3;
        } else {
            return false;
        }
        if (i + extra >= s.size() && extra > 0) return false;
        for (std::size_t k = 1; k <= extra; ++k)
            if ((static_cast<unsigned char>(s[i + k]) >> 6) != 0x2) return false;
        i += extra + 1;
    }
    return true;
}

// Text as it is when it is UTF-8 already, else read as ISO 8859-1 (the commonest non-default
// character set), so that the JSON is always valid UTF-8.
std::string as_utf8(std::string_view raw) {
    if (is_valid_utf8(raw)) return std::string(raw);
    std::string out;
    out.reserve(raw.size() * 2);
    for (const char ch : raw) {
        const auto c = static_cast<unsigned char>(ch);
        if (c < 0x80) {
            out += ch;
        } else {
            out += static_cast<char>(0xC0 | (c >> 6));
            out += static_cast<char>(0x80 | (c & 0x3F));
        }
    }
    return out;
}

std::string base64(const std::uint8_t* data, std::size_t size) {
    static constexpr char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    out.reserve((size + 2) / 3 * 4);
    for (std::size_t i = 0; i < size; i += 3) {
        const std::uint32_t b0 = data[i];
        const std::uint32_t b1 = i + 1 < size ? data[i + 1] : 0;
        const std::uint32_t b2 = i + 2 < size ? data[i + 2] : 0;
        const std::uint32_t triple = (b0 << 16) | (b1 << 8) | b2;
        out += alphabet[(triple >> 18) & 0x3F];
        out += alphabet[(triple >> 12) & 0x3F];
        out += i + 1 < size ? alphabet[(triple >> 6) & 0x3F] : '=';
        out += i + 2 < size ? alphabet[triple & 0x3F] : '=';
    }
    return out;
}

enum class value_kind { text, single_text, number, tag, binary, sequence, unsupported };

value_kind kind_of(DcmEVR vr) {
    // An int switch: DcmEVR also names DCMTK's internal pseudo-VRs, which fall to `unsupported`.
    switch (static_cast<int>(vr)) {
        case EVR_AE: case EVR_AS: case EVR_CS: case EVR_DA: case EVR_DS: case EVR_DT: case EVR_IS:
        case EVR_LO: case EVR_PN: case EVR_SH: case EVR_TM: case EVR_UC: case EVR_UI:
            return value_kind::text;
        case EVR_LT: case EVR_ST: case EVR_UT: case EVR_UR:
            return value_kind::single_text;  // backslash is a character there, not a separator
        case EVR_US: case EVR_SS: case EVR_UL: case EVR_SL: case EVR_UV: case EVR_SV: case EVR_FL: case EVR_FD:
            return value_kind::number;
        case EVR_AT:
            return value_kind::tag;
        case EVR_OB: case EVR_OW: case EVR_OF: case EVR_OD: case EVR_OL: case EVR_OV: case EVR_UN:
        case EVR_ox: case EVR_px:
            return value_kind::binary;
        case EVR_SQ:
            return value_kind::sequence;
        default:
            return value_kind::unsupported;
    }
}

void write_number_text(json_writer& w, double value, bool single_precision) {
    if (!std::isfinite(value)) {
        w.Null();  // JSON has no NaN or infinity
        return;
    }
    char buffer[64];
    const auto result = single_precision ? std::to_chars(buffer, buffer + sizeof buffer, static_cast<float>(value))
                                         : std::to_chars(buffer, buffer + sizeof buffer, value);
    w.RawValue(buffer, static_cast<std::size_t>(result.ptr - buffer), rapidjson::kNumberType);
}

void write_one_number(json_writer& w, DcmElement& e, DcmEVR vr, unsigned long pos) {
    switch (static_cast<int>(vr)) {
        case EVR_US: { Uint16 v = 0; e.getUint16(v, pos); w.Uint(v); return; }
        case EVR_SS: { Sint16 v = 0; e.getSint16(v, pos); w.Int(v); return; }
        case EVR_UL: { Uint32 v = 0; e.getUint32(v, pos); w.Uint(v); return; }
        case EVR_SL: { Sint32 v = 0; e.getSint32(v, pos); w.Int(v); return; }
        case EVR_UV: { Uint64 v = 0; e.getUint64(v, pos); w.Uint64(v); return; }
        case EVR_SV: { Sint64 v = 0; e.getSint64(v, pos); w.Int64(v); return; }
        case EVR_FL: { Float32 v = 0; e.getFloat32(v, pos); write_number_text(w, v, true); return; }
        default: { Float64 v = 0; e.getFloat64(v, pos); write_number_text(w, v, false); return; }
    }
}

static_assert(std::endian::native == std::endian::little,
              "binary values are base64-encoded from DCMTK's host-order buffers as little-endian");

// The value's bytes in little-endian order, or nothing when DCMTK cannot give them.
std::optional<std::string> binary_base64(DcmElement& e, DcmEVR vr) {
    const Uint32 length = e.getLength();
    const std::uint8_t* bytes = nullptr;
    OFCondition status = EC_Normal;
    switch (static_cast<int>(vr)) {
        case EVR_OW: { Uint16* v = nullptr; status = e.getUint16Array(v); bytes = reinterpret_cast<const std::uint8_t*>(v); break; }
        case EVR_OF: { Float32* v = nullptr; status = e.getFloat32Array(v); bytes = reinterpret_cast<const std::uint8_t*>(v); break; }
        case EVR_OD: { Float64* v = nullptr; status = e.getFloat64Array(v); bytes = reinterpret_cast<const std::uint8_t*>(v); break; }
        case EVR_OL: { Uint32* v = nullptr; status = e.getUint32Array(v); bytes = reinterpret_cast<const std::uint8_t*>(v); break; }
        case EVR_OV: { Uint64* v = nullptr; status = e.getUint64Array(v); bytes = reinterpret_cast<const std::uint8_t*>(v); break; }
        default: { Uint8* v = nullptr; status = e.getUint8Array(v); bytes = v; break; }
    }
    if (status.bad() || bytes == nullptr) return std::nullopt;
    return base64(bytes, length);
}

// IS and DS keep their padding, as the real service shows them ("1 ", "-1000 "). DCMTK drops
// trailing padding while reading; a value of odd length had one space of padding to even.
std::string trimmed(std::string_view raw, DcmEVR vr) {
    while (!raw.empty() && (raw.back() == ' ' || raw.back() == '\0')) raw.remove_suffix(1);
    std::string value(raw);
    if ((vr == EVR_IS || vr == EVR_DS) && value.size() % 2 == 1) value += ' ';
    return value;
}

void write_item(json_writer& w, DcmItem& item);

// Writes "key": value for one element, unless it is left out. `used` holds the keys written
// so far in the enclosing object: an element whose keyword is taken (repeating groups such as
// overlays share keywords) is keyed by its tag instead.
bool write_member(json_writer& w, DcmElement& e, std::set<std::string>& used, std::string* vr_of_tag_keyed,
                  const std::string* override_json) {
    const DcmTagKey key = e.getTag();
    if (left_out(key)) return false;
    const DcmEVR vr = e.ident();
    const auto kind = kind_of(vr);
    if (kind == value_kind::unsupported) return false;
    if (kind == value_kind::binary && e.getLength() > k_max_inline_binary) return false;

    auto name = keyword_of(e);
    bool by_tag = !name || used.count(*name) != 0;
    const std::string json_key = by_tag ? tag_hex(key) : *name;
    if (used.count(json_key) != 0) return false;
    used.insert(json_key);
    w.Key(json_key.c_str(), static_cast<rapidjson::SizeType>(json_key.size()));
    if (by_tag && vr_of_tag_keyed != nullptr) *vr_of_tag_keyed = DcmVR(vr).getValidVRName();

    if (override_json != nullptr) {
        w.RawValue(override_json->c_str(), override_json->size(), rapidjson::kStringType);
        return true;
    }
    if (kind == value_kind::sequence) {
        auto& sequence = static_cast<DcmSequenceOfItems&>(e);
        if (sequence.card() == 0) {
            w.Null();
            return true;
        }
        w.StartArray();
        for (unsigned long i = 0; i < sequence.card(); ++i) {
            DcmItem* item = sequence.getItem(i);
            if (item != nullptr) write_item(w, *item);
        }
        w.EndArray();
        return true;
    }
    if (e.getLength() == 0) {
        w.Null();
        return true;
    }
    switch (kind) {
        case value_kind::text:
        case value_kind::single_text: {
            char* chars = nullptr;
            Uint32 length = 0;
            if (e.getString(chars, length).bad() || chars == nullptr) {
                w.Null();
                return true;
            }
            const std::string text = as_utf8(trimmed(std::string_view(chars, length), vr));
            std::vector<std::string_view> values;
            if (kind == value_kind::text) {
                std::size_t start = 0;
                for (;;) {
                    const auto end = text.find('\\', start);
                    values.emplace_back(std::string_view(text).substr(start, end - start));
                    if (end == std::string::npos) break;
                    start = end + 1;
                }
            } else {
                values.emplace_back(text);
            }
            if (values.size() > 1) w.StartArray();
            for (const auto v : values) w.String(v.data(), static_cast<rapidjson::SizeType>(v.size()));
            if (values.size() > 1) w.EndArray();
            return true;
        }
        case value_kind::number: {
            const auto count = e.getVM();
            if (count > 1) w.StartArray();
            for (unsigned long i = 0; i < count; ++i) write_one_number(w, e, vr, i);
            if (count > 1) w.EndArray();
            return true;
        }
        case value_kind::tag: {
            const auto count = e.getVM();
            if (count > 1) w.StartArray();
            for (unsigned long i = 0; i < count; ++i) {
                DcmTagKey value;
                e.getTagVal(value, i);
                const auto hex = tag_hex(value);
                w.String(hex.c_str(), static_cast<rapidjson::SizeType>(hex.size()));
            }
            if (count > 1) w.EndArray();
            return true;
        }
        case value_kind::binary: {
            const auto encoded = binary_base64(e, vr);
            if (encoded) {
                w.String(encoded->c_str(), static_cast<rapidjson::SizeType>(encoded->size()));
            } else {
                w.Null();
            }
            return true;
        }
        case value_kind::sequence:
        case value_kind::unsupported:
            break;
    }
    w.Null();
    return true;
}

void write_item(json_writer& w, DcmItem& item) {
    std::set<std::string> used;
    w.StartObject();
    for (unsigned long i = 0; i < item.card(); ++i) {
        DcmElement* e = item.getElement(i);
        if (e != nullptr) write_member(w, *e, used, nullptr, nullptr);
    }
    w.EndObject();
}

// One level's object, filled element by element.
class object_writer {
public:
    object_writer() : writer_(buffer_) { writer_.StartObject(); }
    void add(DcmElement& e, std::string* vr_of_tag_keyed, const std::string* override_value) {
        write_member(writer_, e, used_, vr_of_tag_keyed, override_value);
    }
    std::string finish() {
        writer_.EndObject();
        return std::string(buffer_.GetString(), buffer_.GetSize());
    }

private:
    rapidjson::StringBuffer buffer_;
    json_writer writer_;
    std::set<std::string> used_;
};

}  // namespace

level_objects split_by_level(DcmItem* meta, DcmItem& dataset, std::span<const value_override> overrides) {
    object_writer patient, study, series, instance;
    rapidjson::StringBuffer vrs_buffer;
    json_writer vrs(vrs_buffer);
    vrs.StartObject();

    auto add_instance_element = [&](DcmElement& e) {
        std::string vr;
        const DcmTagKey key = e.getTag();
        const std::string* replacement = nullptr;
        for (const auto& o : overrides)
            if (o.group == key.getGroup() && o.element == key.getElement()) replacement = &o.json;
        instance.add(e, &vr, replacement);
        if (!vr.empty()) {
            const auto hex = tag_hex(key);
            vrs.Key(hex.c_str(), static_cast<rapidjson::SizeType>(hex.size()));
            vrs.String(vr.c_str(), static_cast<rapidjson::SizeType>(vr.size()));
        }
    };

    if (meta != nullptr) {
        for (unsigned long i = 0; i < meta->card(); ++i)
            if (DcmElement* e = meta->getElement(i)) add_instance_element(*e);
    }
    for (unsigned long i = 0; i < dataset.card(); ++i) {
        DcmElement* e = dataset.getElement(i);
        if (e == nullptr) continue;
        const DcmTagKey key = e->getTag();
        if (listed(k_patient_level, key)) {
            patient.add(*e, nullptr, nullptr);
        } else if (listed(k_study_level, key)) {
            study.add(*e, nullptr, nullptr);
        } else if (listed(k_series_level, key)) {
            series.add(*e, nullptr, nullptr);
        } else {
            add_instance_element(*e);
        }
    }
    vrs.EndObject();
    level_objects levels;
    levels.patient = patient.finish();
    levels.study = study.finish();
    levels.series = series.finish();
    levels.instance = instance.finish();
    levels.instance_vrs = std::string(vrs_buffer.GetString(), vrs_buffer.GetSize());
    return levels;
}

}  // namespace hil::imaging::detail
