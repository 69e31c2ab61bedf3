// read_instance: a P10 file to the metadata and frames an import job stores for it.
//
// Refusal messages (failure.ndjson "message"; all ValidationException unless noted), in the
// real service's "DICOM attribute X does not exist" form where one is known:
//   The file is not a valid DICOM P10 file: no DICM prefix at byte 128
//   The file is not a valid DICOM P10 file (truncated or malformed): <DCMTK's parse error>
//   DICOM attribute TransferSyntaxUID does not exist            (meta header without it)
//   DICOM attribute StudyInstanceUID | SeriesInstanceUID | SOPInstanceUID does not exist
//   DICOM attribute <Rows | Columns | BitsAllocated> does not exist   (PixelData without them)
//   Unsupported transfer syntax: <uid>
//   Unsupported pixel data: <what>                              (bit depth, samples per pixel)
//   Invalid pixel data: <what>                                  (short, undecodable frames)
//   Internal error while reading the file: <what>               (InternalServerException)
#include "imaging/dicom_import.hpp"

#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dcdatset.h>
#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcfilefo.h>
#include <dcmtk/dcmdata/dcistrmb.h>
#include <dcmtk/dcmdata/dcmetinf.h>
#include <dcmtk/dcmdata/dcrledrg.h>
#include <dcmtk/dcmjpeg/djdecode.h>
#include <dcmtk/dcmjpls/djdecode.h>
#include <dcmtk/oflog/oflog.h>

#include <algorithm>
#include <charconv>
#include <exception>
#include <limits>
#include <mutex>
#include <string_view>

#include "imaging/dicom_frames.hpp"
#include "imaging/dicom_json.hpp"

namespace hil::imaging {
namespace {

using detail::pixel_route;

constexpr std::string_view k_htj2k_rpcl = "1.2.840.10008.1.2.4.202";
constexpr std::string_view k_explicit_little = "1.2.840.10008.1.2.1";

// The transfer syntaxes AWS imports (api-surface 6.3) and whether it keeps their frames as
// they are (`kept`) or transcodes them to HTJ2K lossless RPCL.
struct syntax_rule {
    std::string_view uid;
    pixel_route route;
    bool kept;
};
constexpr syntax_rule k_syntaxes[] = {
    {"1.2.840.10008.1.2", pixel_route::native, false},         // implicit VR little endian
    {"1.2.840.10008.1.2.1", pixel_route::native, false},       // explicit VR little endian
    {"1.2.840.10008.1.2.1.99", pixel_route::native, false},    // deflated explicit VR little endian
    {"1.2.840.10008.1.2.2", pixel_route::native, false},       // explicit VR big endian (retired)
    {"1.2.840.10008.1.2.5", pixel_route::dcmtk_codec, false},  // RLE lossless
    {"1.2.840.10008.1.2.4.50", pixel_route::dcmtk_codec, true},   // JPEG baseline: kept
    {"1.2.840.10008.1.2.4.51", pixel_route::dcmtk_codec, false},  // JPEG extended (12-bit)
    {"1.2.840.10008.1.2.4.57", pixel_route::dcmtk_codec, false},  // JPEG lossless
    {"1.2.840.10008.1.2.4.70", pixel_route::dcmtk_codec, false},  // JPEG lossless SV1
    {"1.2.840.10008.1.2.4.80", pixel_route::dcmtk_codec, false},  // JPEG-LS lossless
    {"1.2.840.10008.1.2.4.81", pixel_route::dcmtk_codec, false},  // JPEG-LS near-lossless
    {"1.2.840.10008.1.2.4.90", pixel_route::jpeg2000, false},     // JPEG 2000 lossless
    {"1.2.840.10008.1.2.4.91", pixel_route::jpeg2000, true},      // JPEG 2000 (maybe lossy): kept
    {"1.2.840.10008.1.2.4.92", pixel_route::jpeg2000, false},     // JPEG 2000 part 2 lossless
    {"1.2.840.10008.1.2.4.93", pixel_route::jpeg2000, false},     // JPEG 2000 part 2
    {"1.2.840.10008.1.2.4.201", pixel_route::htj2k, false},       // HTJ2K lossless: made RPCL
    {"1.2.840.10008.1.2.4.202", pixel_route::htj2k, true},        // HTJ2K RPCL lossless: as stored
    {"1.2.840.10008.1.2.4.203", pixel_route::htj2k, true},        // HTJ2K (maybe lossy): kept
};

// DCMTK's codec registry is process-wide by design: fill it once; it is only read afterwards.
void register_dcmtk_codecs() {
    static std::once_flag once;
    std::call_once(once, [] {
        DcmRLEDecoderRegistration::registerCodecs();
        // No new SOP Instance UID on decompression: the instance keeps its identity.
        DJDecoderRegistration::registerCodecs(EDC_photometricInterpretation, EUC_never);
        DJLSDecoderRegistration::registerCodecs(EJLSUC_never);
        // DCMTK logs every oddity it tolerates to stderr; what matters reaches the caller as a
        // refusal, so only fatal conditions are logged.
        OFLog::configure(OFLogger::FATAL_LOG_LEVEL);
    });
}

import_refusal refused(std::string message) {
    return import_refusal{"ValidationException", std::move(message)};
}

std::string trim_padding(std::string_view raw) {
    while (!raw.empty() && (raw.back() == ' ' || raw.back() == '\0')) raw.remove_suffix(1);
    return std::string(raw);
}

// The element's raw value without trailing padding; nothing when the element is absent.
std::optional<std::string> raw_string(DcmItem& item, const DcmTagKey& tag) {
    DcmElement* element = nullptr;
    if (item.findAndGetElement(tag, element).bad() || element == nullptr) return std::nullopt;
    char* chars = nullptr;
    Uint32 length = 0;
    if (element->getLength() == 0) return std::string();
    if (element->getString(chars, length).bad() || chars == nullptr) return std::string();
    return trim_padding(std::string_view(chars, length));
}

std::optional<std::uint16_t> unsigned_short(DcmItem& item, const DcmTagKey& tag) {
    Uint16 value = 0;
    if (item.findAndGetUint16(tag, value).bad()) return std::nullopt;
    return value;
}

std::variant<detail::pixel_description, import_refusal> describe_pixels(DcmDataset& dataset) {
    detail::pixel_description d;
    const auto rows = unsigned_short(dataset, DCM_Rows);
    const auto columns = unsigned_short(dataset, DCM_Columns);
    const auto bits_allocated = unsigned_short(dataset, DCM_BitsAllocated);
    if (!rows || *rows == 0) return refused("DICOM attribute Rows does not exist");
    if (!columns || *columns == 0) return refused("DICOM attribute Columns does not exist");
    if (!bits_allocated) return refused("DICOM attribute BitsAllocated does not exist");
    d.rows = *rows;
    d.columns = *columns;
    d.bits_allocated = *bits_allocated;
    d.bits_stored = unsigned_short(dataset, DCM_BitsStored).value_or(d.bits_allocated);
    d.samples_per_pixel = unsigned_short(dataset, DCM_SamplesPerPixel).value_or(1);
    d.is_signed = unsigned_short(dataset, DCM_PixelRepresentation).value_or(0) == 1;
    d.planar_configuration = unsigned_short(dataset, DCM_PlanarConfiguration).value_or(0);
    d.photometric = raw_string(dataset, DCM_PhotometricInterpretation).value_or("");
    if (const auto frames = raw_string(dataset, DCM_NumberOfFrames); frames && !frames->empty()) {
        const auto text = std::string_view(*frames).substr(frames->find_first_not_of(' ') == std::string::npos
                                                               ? frames->size()
                                                               : frames->find_first_not_of(' '));
        std::uint32_t n = 0;
        const auto result = std::from_chars(text.data(), text.data() + text.size(), n);
        if (result.ec != std::errc() || n == 0) return refused("Invalid pixel data: NumberOfFrames is " + *frames);
        d.frames = n;
    }
    if (d.bits_allocated != 1 && d.bits_allocated != 8 && d.bits_allocated != 16)
        return refused("Unsupported pixel data: BitsAllocated " + std::to_string(d.bits_allocated) +
                       " (frames hold 1-, 8- or 16-bit samples)");
    if (d.bits_stored == 0 || d.bits_stored > d.bits_allocated) d.bits_stored = d.bits_allocated;
    if (d.samples_per_pixel != 1 && d.samples_per_pixel != 3)
        return refused("Unsupported pixel data: SamplesPerPixel " + std::to_string(d.samples_per_pixel));
    if (d.bits_allocated == 1 && d.samples_per_pixel != 1)
        return refused("Unsupported pixel data: 1-bit samples with SamplesPerPixel " +
                       std::to_string(d.samples_per_pixel));
    return d;
}

std::variant<dicom_instance, import_refusal> read_checked(std::span<const std::uint8_t> file) {
    if (file.size() < 132 || !std::equal(file.begin() + 128, file.begin() + 132, "DICM"))
        return refused("The file is not a valid DICOM P10 file: no DICM prefix at byte 128");
    register_dcmtk_codecs();

    DcmInputBufferStream stream;
    stream.setBuffer(file.data(), static_cast<offile_off_t>(file.size()));
    stream.setEos();
    DcmFileFormat p10;
    p10.transferInit();
    // Values are read at once, whatever their size: a buffer stream cannot be re-read later.
    const OFCondition parsed = p10.read(stream, EXS_Unknown, EGL_noChange, std::numeric_limits<Uint32>::max());
    p10.transferEnd();
    if (parsed.bad())
        return refused(std::string("The file is not a valid DICOM P10 file (truncated or malformed): ") + parsed.text());

    DcmMetaInfo* meta = p10.getMetaInfo();
    DcmDataset* dataset = p10.getDataset();
    if (dataset == nullptr) return refused("The file is not a valid DICOM P10 file: no dataset");
    const auto transfer_syntax = meta != nullptr ? raw_string(*meta, DCM_TransferSyntaxUID) : std::nullopt;
    if (!transfer_syntax || transfer_syntax->empty()) return refused("DICOM attribute TransferSyntaxUID does not exist");

    dicom_instance instance;
    struct required_uid {
        const DcmTagKey& tag;
        const char* keyword;
        std::string* into;
    };
    for (const auto& uid : {required_uid{DCM_StudyInstanceUID, "StudyInstanceUID", &instance.study_instance_uid},
                            required_uid{DCM_SeriesInstanceUID, "SeriesInstanceUID", &instance.series_instance_uid},
                            required_uid{DCM_SOPInstanceUID, "SOPInstanceUID", &instance.sop_instance_uid}}) {
        auto value = raw_string(*dataset, uid.tag);
        if (!value || value->empty()) return refused(std::string("DICOM attribute ") + uid.keyword + " does not exist");
        *uid.into = std::move(*value);
    }

    const auto rule = std::find_if(std::begin(k_syntaxes), std::end(k_syntaxes),
                                   [&](const syntax_rule& r) { return r.uid == *transfer_syntax; });
    if (rule == std::end(k_syntaxes)) return refused("Unsupported transfer syntax: " + *transfer_syntax);
    instance.original_transfer_syntax_uid = *transfer_syntax;

    instance.patient_id = raw_string(*dataset, DCM_PatientID).value_or("");
    instance.study_date = raw_string(*dataset, DCM_StudyDate).value_or("");
    instance.accession_number = raw_string(*dataset, DCM_AccessionNumber).value_or("");
    instance.study_id = raw_string(*dataset, DCM_StudyID).value_or("");
    instance.series_number = raw_string(*dataset, DCM_SeriesNumber).value_or("");

    const bool has_pixels = dataset->tagExistsWithValue(DCM_PixelData);
    std::optional<detail::pixel_description> pixels;
    if (has_pixels) {
        auto described = describe_pixels(*dataset);
        if (auto* refusal = std::get_if<import_refusal>(&described)) return std::move(*refusal);
        pixels = std::get<detail::pixel_description>(described);
    }
    const bool binary = pixels && pixels->bits_allocated == 1;
    const bool kept = pixels && !binary && rule->kept;
    const bool transcoded = pixels && !binary && !rule->kept;

    // The metadata is read before decoding (DCMTK's decoders rewrite the pixel module), with
    // what the stored frames make true for the pixel module when they are transcoded.
    std::vector<detail::value_override> overrides;
    if (transcoded && pixels->samples_per_pixel > 1) {
        overrides.push_back({0x0028, 0x0004, "\"" + detail::stored_photometric(*pixels, rule->route) + "\""});
        overrides.push_back({0x0028, 0x0006, "0"});
    }
    auto levels = detail::split_by_level(meta, *dataset, overrides);
    instance.patient_dicom = std::move(levels.patient);
    instance.study_dicom = std::move(levels.study);
    instance.series_dicom = std::move(levels.series);
    instance.instance_dicom = std::move(levels.instance);
    instance.instance_dicom_vrs = std::move(levels.instance_vrs);
    if (!pixels) return instance;

    // Binary (1-bit) frames: AWS keeps them as explicit VR little endian.
    const auto route = binary && rule->route == pixel_route::native ? pixel_route::native : rule->route;
    auto extracted = detail::extract_frames(*dataset, *pixels, route, kept);
    if (auto* message = std::get_if<std::string>(&extracted)) return refused("Invalid pixel data: " + *message);
    auto& frames = std::get<0>(extracted);

    instance.stored_transfer_syntax_uid =
        binary ? std::string(k_explicit_little) : kept ? *transfer_syntax : std::string(k_htj2k_rpcl);
    for (auto& f : frames) {
        stored_frame out;
        out.width = f.pixels.width;
        out.height = f.pixels.height;
        out.checksum = pixel_checksum(f.pixels.pixels);
        if (binary) {
            std::size_t set_bits = 0;
            const std::size_t bit_count = f.pixels.sample_count();
            for (std::size_t i = 0; i < bit_count; ++i) set_bits += (static_cast<unsigned>(f.pixels.pixels[i / 8]) >> (i % 8)) & 1u;
            out.min_value = set_bits == bit_count ? 1 : 0;
            out.max_value = set_bits > 0 ? 1 : 0;
            out.codestream = std::move(f.pixels.pixels);
        } else {
            const auto range = detail::range_of(f.pixels);
            out.min_value = range.min;
            out.max_value = range.max;
            if (kept) {
                out.codestream = std::move(f.original);
            } else {
                auto encoded = detail::encode_htj2k(f.pixels);
                if (!encoded) return refused("Invalid pixel data: a frame cannot be encoded as HTJ2K");
                out.codestream = std::move(*encoded);
            }
        }
        instance.frames.push_back(std::move(out));
    }
    return instance;
}

}  // namespace

std::variant<dicom_instance, import_refusal> read_instance(std::span<const std::uint8_t> p10_file) {
    try {
        return read_checked(p10_file);
    } catch (const std::exception& e) {
        return import_refusal{"InternalServerException", std::string("Internal error while reading the file: ") + e.what()};
    } catch (...) {
        return import_refusal{"InternalServerException", "Internal error while reading the file"};
    }
}

}  // namespace hil::imaging
