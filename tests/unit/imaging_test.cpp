#include "imaging/dicom_import.hpp"

#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dcdatset.h>
#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcfilefo.h>
#include <dcmtk/dcmdata/dcrledrg.h>
#include <dcmtk/dcmdata/dcuid.h>
#include <dcmtk/dcmjpeg/djdecode.h>
#include <dcmtk/dcmjpls/djdecode.h>
#include <doctest/doctest.h>
#include <rapidjson/document.h>
#include <rapidjson/pointer.h>
#include <zlib.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <random>
#include <string>
#include <vector>

// The internal codec seam, tested directly for shapes no sample file has.
#include "imaging/frame_pixels.hpp"

using hil::imaging::decode_htj2k;
using hil::imaging::dicom_instance;
using hil::imaging::import_refusal;
using hil::imaging::read_instance;

namespace {

const std::filesystem::path k_test_files = "/usr/lib/python3/dist-packages/pydicom/data/test_files";
constexpr const char* k_htj2k_rpcl = "1.2.840.10008.1.2.4.202";

using bytes = std::vector<std::uint8_t>;

std::optional<bytes> read_bytes(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return std::nullopt;
    return bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// The file's bytes, or nothing (and a message saying the case is skipped) when absent.
std::optional<bytes> sample_file(const std::string& name) {
    auto content = read_bytes(k_test_files / name);
    if (!content) MESSAGE("skipped: " << (k_test_files / name).string() << " is absent (python3-pydicom)");
    return content;
}

// What DCMTK itself decodes from a file: each frame's samples little-endian, interleaved.
struct reference_image {
    std::string sop_instance_uid;
    std::uint32_t rows = 0, columns = 0, samples = 1;
    bool is_signed = false;
    std::vector<bytes> frames;
};

std::optional<reference_image> dcmtk_reference(const std::filesystem::path& path) {
    DcmRLEDecoderRegistration::registerCodecs();
    DJDecoderRegistration::registerCodecs();
    DJLSDecoderRegistration::registerCodecs();
    DcmFileFormat file;
    if (file.loadFile(path.c_str()).bad()) return std::nullopt;
    DcmDataset& ds = *file.getDataset();
    if (ds.chooseRepresentation(EXS_LittleEndianExplicit, nullptr).bad()) return std::nullopt;
    reference_image ref;
    OFString uid;
    ds.findAndGetOFString(DCM_SOPInstanceUID, uid);
    ref.sop_instance_uid = uid.c_str();
    Uint16 rows = 0, columns = 0, samples = 1, bits = 0, representation = 0, planar = 0;
    ds.findAndGetUint16(DCM_Rows, rows);
    ds.findAndGetUint16(DCM_Columns, columns);
    ds.findAndGetUint16(DCM_SamplesPerPixel, samples);
    ds.findAndGetUint16(DCM_BitsAllocated, bits);
    ds.findAndGetUint16(DCM_PixelRepresentation, representation);
    ds.findAndGetUint16(DCM_PlanarConfiguration, planar);
    Sint32 frame_count = 1;
    if (ds.findAndGetSint32(DCM_NumberOfFrames, frame_count).bad() || frame_count < 1) frame_count = 1;
    ref.rows = rows;
    ref.columns = columns;
    ref.samples = samples;
    ref.is_signed = representation == 1;
    const std::size_t pixels = std::size_t{rows} * columns;
    const std::size_t sample_bytes = bits / 8;
    const std::size_t frame_bytes = pixels * samples * sample_bytes;
    bytes all;
    if (bits == 16) {
        const Uint16* words = nullptr;
        unsigned long count = 0;
        if (ds.findAndGetUint16Array(DCM_PixelData, words, &count).bad()) return std::nullopt;
        for (unsigned long i = 0; i < count; ++i) {
            all.push_back(static_cast<std::uint8_t>(words[i] & 0xFF));
            all.push_back(static_cast<std::uint8_t>(words[i] >> 8));
        }
    } else {
        const Uint8* data = nullptr;
        unsigned long count = 0;
        if (ds.findAndGetUint8Array(DCM_PixelData, data, &count).bad()) return std::nullopt;
        all.assign(data, data + count);
    }
    for (std::size_t f = 0; f < static_cast<std::size_t>(frame_count); ++f) {
        if (all.size() < (f + 1) * frame_bytes) return std::nullopt;
        bytes frame(all.begin() + static_cast<std::ptrdiff_t>(f * frame_bytes),
                    all.begin() + static_cast<std::ptrdiff_t>((f + 1) * frame_bytes));
        if (samples > 1 && planar == 1) {
            bytes interleaved(frame.size());
            for (std::size_t c = 0; c < samples; ++c)
                for (std::size_t i = 0; i < pixels; ++i)
                    for (std::size_t b = 0; b < sample_bytes; ++b)
                        interleaved[(i * samples + c) * sample_bytes + b] = frame[(c * pixels + i) * sample_bytes + b];
            frame = std::move(interleaved);
        }
        ref.frames.push_back(std::move(frame));
    }
    return ref;
}

std::uint32_t zlib_crc32(const bytes& data) {
    return static_cast<std::uint32_t>(crc32_z(0, data.data(), data.size()));
}

std::pair<std::int64_t, std::int64_t> min_max(const bytes& frame, std::size_t sample_bytes, bool is_signed) {
    std::int64_t lo = INT64_MAX, hi = INT64_MIN;
    for (std::size_t i = 0; i + sample_bytes <= frame.size(); i += sample_bytes) {
        std::int64_t v = 0;
        if (sample_bytes == 1) {
            v = is_signed ? static_cast<std::int8_t>(frame[i]) : frame[i];
        } else {
            const auto w = static_cast<std::uint16_t>(frame[i] | (frame[i + 1] << 8));
            v = is_signed ? static_cast<std::int16_t>(w) : w;
        }
        lo = std::min(lo, v);
        hi = std::max(hi, v);
    }
    return {lo, hi};
}

rapidjson::Document parse_json(const std::string& text) {
    rapidjson::Document doc;
    doc.Parse(text.c_str(), text.size());
    REQUIRE_MESSAGE(!doc.HasParseError(), "not JSON: " << text.substr(0, 200));
    return doc;
}

std::string string_at(const rapidjson::Value& object, const char* key) {
    if (!object.IsObject() || !object.HasMember(key) || !object[key].IsString()) return "<absent>";
    return object[key].GetString();
}

// A P10 file written by DCMTK from a dataset built in the test.
bytes p10_of(DcmFileFormat& file, E_TransferSyntax syntax) {
    const auto path = std::filesystem::temp_directory_path() /
                      ("imaging_test_" + std::to_string(std::random_device{}()) + ".dcm");
    REQUIRE(file.saveFile(path.c_str(), syntax).good());
    auto content = read_bytes(path);
    std::filesystem::remove(path);
    REQUIRE(content.has_value());
    return *content;
}

void put_required_uids(DcmDataset& ds, bool with_sop) {
    ds.putAndInsertString(DCM_SOPClassUID, UID_SecondaryCaptureImageStorage);
    ds.putAndInsertString(DCM_StudyInstanceUID, "1.2.826.0.1.3680043.2.1143.1");
    ds.putAndInsertString(DCM_SeriesInstanceUID, "1.2.826.0.1.3680043.2.1143.2");
    if (with_sop) ds.putAndInsertString(DCM_SOPInstanceUID, "1.2.826.0.1.3680043.2.1143.3");
}

const dicom_instance& instance_of(const std::variant<dicom_instance, import_refusal>& result) {
    if (const auto* refusal = std::get_if<import_refusal>(&result)) FAIL("refused: " << refusal->message);
    return std::get<dicom_instance>(result);
}

}  // namespace

TEST_CASE("imaging: lossless syntaxes are stored as HTJ2K that decodes to DCMTK's pixels bit for bit") {
    struct sample {
        const char* file;
        const char* reference;  // a file DCMTK decodes to the same pixels
        const char* syntax;
    };
    // The MR_small variants all hold MR_small.dcm's image; DCMTK 3.6.7 has no JPEG 2000 codec,
    // so the uncompressed variant is the reference for the JPEG 2000 one.
    const sample samples[] = {
        {"CT_small.dcm", "CT_small.dcm", "1.2.840.10008.1.2.1"},
        {"MR_small.dcm", "MR_small.dcm", "1.2.840.10008.1.2.1"},
        {"MR_small_implicit.dcm", "MR_small.dcm", "1.2.840.10008.1.2"},
        {"MR_small_bigendian.dcm", "MR_small.dcm", "1.2.840.10008.1.2.2"},
        {"MR_small_RLE.dcm", "MR_small.dcm", "1.2.840.10008.1.2.5"},
        {"MR_small_jpeg_ls_lossless.dcm", "MR_small_jpeg_ls_lossless.dcm", "1.2.840.10008.1.2.4.80"},
        {"MR_small_jp2klossless.dcm", "MR_small.dcm", "1.2.840.10008.1.2.4.90"},
        {"JPGExtended.dcm", "JPGExtended.dcm", "1.2.840.10008.1.2.4.51"},
        {"SC_rgb_rle_2frame.dcm", "SC_rgb_rle_2frame.dcm", "1.2.840.10008.1.2.5"},
        {"image_dfl.dcm", "image_dfl.dcm", "1.2.840.10008.1.2.1.99"},
    };
    for (const auto& s : samples) {
        CAPTURE(s.file);
        const auto content = sample_file(s.file);
        if (!content) continue;
        const auto reference = dcmtk_reference(k_test_files / s.reference);
        REQUIRE(reference.has_value());
        const auto result = read_instance(*content);
        const auto& instance = instance_of(result);

        CHECK(instance.original_transfer_syntax_uid == s.syntax);
        CHECK(instance.stored_transfer_syntax_uid == k_htj2k_rpcl);
        CHECK(!instance.study_instance_uid.empty());
        CHECK(!instance.series_instance_uid.empty());
        CHECK(instance.sop_instance_uid == reference->sop_instance_uid);
        REQUIRE(instance.frames.size() == reference->frames.size());
        for (std::size_t i = 0; i < instance.frames.size(); ++i) {
            CAPTURE(i);
            const auto& frame = instance.frames[i];
            const auto& expected = reference->frames[i];
            REQUIRE(frame.codestream.size() > 2);
            CHECK(frame.codestream[0] == 0xFF);
            CHECK(frame.codestream[1] == 0x4F);
            CHECK(frame.id.empty());
            CHECK(frame.width == reference->columns);
            CHECK(frame.height == reference->rows);
            const auto decoded = decode_htj2k(frame.codestream);
            REQUIRE(decoded.has_value());
            CHECK(decoded->components == reference->samples);
            CHECK(decoded->is_signed == reference->is_signed);
            CHECK(decoded->pixels == expected);
            CHECK(frame.checksum == zlib_crc32(expected));
            CHECK(hil::imaging::pixel_checksum(decoded->pixels) == frame.checksum);
            const std::size_t sample_bytes = expected.size() / (std::size_t{reference->rows} * reference->columns * reference->samples);
            const auto [lo, hi] = min_max(expected, sample_bytes, reference->is_signed);
            CHECK(frame.min_value == lo);
            CHECK(frame.max_value == hi);
        }
    }
}

TEST_CASE("imaging: every MR_small encoding gives the same frame checksum") {
    std::optional<std::uint32_t> first;
    for (const char* name : {"MR_small.dcm", "MR_small_implicit.dcm", "MR_small_bigendian.dcm", "MR_small_RLE.dcm",
                             "MR_small_jp2klossless.dcm", "MR_small_jpeg_ls_lossless.dcm"}) {
        CAPTURE(name);
        const auto content = sample_file(name);
        if (!content) continue;
        const auto result = read_instance(*content);
        const auto& instance = instance_of(result);
        REQUIRE(instance.frames.size() == 1);
        if (!first) first = instance.frames[0].checksum;
        CHECK(instance.frames[0].checksum == *first);
    }
}

TEST_CASE("imaging: JPEG 2000 4.91 frames are kept as imported") {
    const auto content = sample_file("JPEG2000.dcm");
    if (!content) return;
    const auto result = read_instance(*content);
    const auto& instance = instance_of(result);
    CHECK(instance.original_transfer_syntax_uid == "1.2.840.10008.1.2.4.91");
    CHECK(instance.stored_transfer_syntax_uid == "1.2.840.10008.1.2.4.91");
    REQUIRE(instance.frames.size() == 1);
    const auto& frame = instance.frames[0];
    REQUIRE(frame.codestream.size() > 2);
    CHECK(frame.codestream[0] == 0xFF);
    CHECK(frame.codestream[1] == 0x4F);
    // The kept bytes are the file's own: they appear in it unchanged.
    const auto at = std::search(content->begin(), content->end(), frame.codestream.begin(), frame.codestream.end());
    CHECK(at != content->end());
    CHECK(frame.width > 0);
    CHECK(frame.height > 0);
    CHECK(frame.min_value <= frame.max_value);
    CHECK(frame.checksum != 0);
}

TEST_CASE("imaging: an instance without pixel data has metadata and no frames") {
    const auto content = sample_file("rtplan.dcm");
    if (!content) return;
    const auto result = read_instance(*content);
    const auto& instance = instance_of(result);
    CHECK(instance.frames.empty());
    CHECK(instance.stored_transfer_syntax_uid.empty());
    const auto dicom = parse_json(instance.instance_dicom);
    CHECK(string_at(dicom, "Modality") == "<absent>");  // a series-level element
    CHECK(string_at(dicom, "SOPInstanceUID") == instance.sop_instance_uid);
    CHECK(string_at(parse_json(instance.series_dicom), "Modality") == "RTPLAN");
}

TEST_CASE("imaging: metadata is split by level with AWS's value encoding") {
    const auto content = sample_file("CT_small.dcm");
    if (!content) return;
    const auto result = read_instance(*content);
    const auto& instance = instance_of(result);
    CHECK(instance.patient_id == "1CT1");
    CHECK(instance.study_id == "1CT1");
    CHECK(instance.study_date == "20040119");
    CHECK(instance.series_number == "1");
    CHECK(instance.accession_number.empty());

    const auto patient = parse_json(instance.patient_dicom);
    CHECK(string_at(patient, "PatientID") == "1CT1");
    CHECK(string_at(patient, "PatientName") == "CompressedSamples^CT1");
    CHECK(patient["PatientBirthDate"].IsNull());
    REQUIRE(patient["OtherPatientIDsSequence"].IsArray());
    CHECK(string_at(patient["OtherPatientIDsSequence"][0], "PatientID") == "ABCD1234");

    const auto study = parse_json(instance.study_dicom);
    CHECK(string_at(study, "StudyInstanceUID") == instance.study_instance_uid);
    CHECK(string_at(study, "StudyID") == "1CT1");
    CHECK(study["AccessionNumber"].IsNull());
    CHECK(!study.HasMember("PatientID"));

    const auto series = parse_json(instance.series_dicom);
    CHECK(string_at(series, "Modality") == "CT");
    CHECK(string_at(series, "SeriesInstanceUID") == instance.series_instance_uid);
    CHECK(string_at(series, "SeriesNumber") == "1 ");  // IS keeps its padding

    const auto dicom = parse_json(instance.instance_dicom);
    CHECK(string_at(dicom, "SOPInstanceUID") == instance.sop_instance_uid);
    CHECK(string_at(dicom, "TransferSyntaxUID") == "1.2.840.10008.1.2.1");  // the original syntax
    CHECK(string_at(dicom, "FileMetaInformationVersion") == "AAE=");
    CHECK(!dicom.HasMember("PixelData"));
    CHECK(!dicom.HasMember("PatientID"));
    CHECK(!dicom.HasMember("StudyInstanceUID"));
    REQUIRE(dicom["Rows"].IsUint());
    CHECK(dicom["Rows"].GetUint() == 128);
    REQUIRE(dicom["ImageType"].IsArray());
    CHECK(dicom["ImageType"].Size() == 3);
    REQUIRE(dicom["ImagePositionPatient"].IsArray());
    CHECK(std::string(dicom["ImagePositionPatient"][0].GetString()) == "-158.135803");
    CHECK(string_at(dicom, "00090010") == "GEMS_IDEN_01");  // a private creator, keyed by tag

    const auto vrs = parse_json(instance.instance_dicom_vrs);
    CHECK(string_at(vrs, "00090010") == "LO");
    CHECK(string_at(vrs, "00191003") == "DS");
    CHECK(!vrs.HasMember("Rows"));
}

TEST_CASE("imaging: colour frames transcoded from planar RLE say RGB, interleaved") {
    const auto content = sample_file("SC_rgb_rle_2frame.dcm");
    if (!content) return;
    const auto result = read_instance(*content);
    const auto& instance = instance_of(result);
    const auto dicom = parse_json(instance.instance_dicom);
    CHECK(string_at(dicom, "PhotometricInterpretation") == "RGB");
    if (dicom.HasMember("PlanarConfiguration")) CHECK(dicom["PlanarConfiguration"].GetUint() == 0);
    REQUIRE(instance.frames.size() == 2);
    CHECK(instance.frames[0].checksum != instance.frames[1].checksum);
}

TEST_CASE("imaging: files AWS would refuse are refused with a message") {
    struct broken {
        const char* file;
        const char* message_start;
    };
    const broken cases[] = {
        {"no_meta.dcm", "The file is not a valid DICOM P10 file"},
        {"meta_missing_tsyntax.dcm", "DICOM attribute TransferSyntaxUID does not exist"},
        {"MR_truncated.dcm", "The file is not a valid DICOM P10 file"},
    };
    for (const auto& c : cases) {
        CAPTURE(c.file);
        const auto content = sample_file(c.file);
        if (!content) continue;
        const auto result = read_instance(*content);
        REQUIRE(std::holds_alternative<import_refusal>(result));
        const auto& refusal = std::get<import_refusal>(result);
        CHECK(refusal.exception_type == "ValidationException");
        CHECK(refusal.message.rfind(c.message_start, 0) == 0);
    }

    SUBCASE("not DICOM at all") {
        for (const bytes& junk : {bytes{}, bytes(10, 0x41), bytes(4096, 0x00)}) {
            const auto result = read_instance(junk);
            REQUIRE(std::holds_alternative<import_refusal>(result));
            CHECK(std::get<import_refusal>(result).message.rfind("The file is not a valid DICOM P10 file", 0) == 0);
        }
    }
    SUBCASE("a DICM prefix and garbage after it") {
        bytes junk(132, 0);
        junk[128] = 'D', junk[129] = 'I', junk[130] = 'C', junk[131] = 'M';
        for (int i = 0; i < 64; ++i) junk.push_back(static_cast<std::uint8_t>(0xFF - i));
        const auto result = read_instance(junk);
        REQUIRE(std::holds_alternative<import_refusal>(result));
        CHECK(!std::get<import_refusal>(result).message.empty());
    }
    SUBCASE("no SOPInstanceUID") {
        DcmFileFormat file;
        put_required_uids(*file.getDataset(), false);
        const auto result = read_instance(p10_of(file, EXS_LittleEndianExplicit));
        REQUIRE(std::holds_alternative<import_refusal>(result));
        CHECK(std::get<import_refusal>(result).message == "DICOM attribute SOPInstanceUID does not exist");
    }
    SUBCASE("an unsupported transfer syntax") {
        DcmFileFormat file;
        put_required_uids(*file.getDataset(), true);
        const auto result = read_instance(p10_of(file, EXS_MPEG2MainProfileAtMainLevel));
        REQUIRE(std::holds_alternative<import_refusal>(result));
        CHECK(std::get<import_refusal>(result).message == "Unsupported transfer syntax: 1.2.840.10008.1.2.4.100");
    }
    SUBCASE("32-bit samples") {
        const auto content = sample_file("rtdose.dcm");
        if (!content) return;
        const auto result = read_instance(*content);
        REQUIRE(std::holds_alternative<import_refusal>(result));
        CHECK(std::get<import_refusal>(result).message.rfind("Unsupported pixel data: BitsAllocated 32", 0) == 0);
    }
}

TEST_CASE("imaging: the HTJ2K encoder is lossless for every sample shape") {
    std::mt19937 random(20240601);
    struct shape {
        std::uint32_t width, height;
        std::uint16_t components, bits_allocated, bits_stored;
        bool is_signed;
        std::int32_t lo, hi;
    };
    const shape shapes[] = {
        {64, 48, 1, 16, 16, true, -32768, 32767},  // signed 16-bit, full range
        {33, 17, 1, 16, 12, true, -2048, 2047},    // signed 12 in 16, sign-extended
        {40, 40, 1, 16, 12, false, 0, 65535},      // "12-bit" data using all 16 bits
        {31, 29, 1, 16, 10, false, 0, 255},        // small values in a 16-bit container
        {1, 1, 1, 16, 16, false, 0, 65535},        // a single pixel
        {3, 1, 3, 8, 8, false, 0, 255},            // tiny colour
        {50, 37, 3, 8, 8, false, 0, 255},          // colour
        {20, 20, 1, 8, 8, true, -128, 127},        // signed 8-bit
        {7, 300, 1, 8, 8, false, 0, 1},            // a tall, thin, nearly binary image
    };
    for (const auto& s : shapes) {
        CAPTURE(s.width);
        CAPTURE(s.height);
        CAPTURE(s.components);
        CAPTURE(s.is_signed);
        hil::imaging::detail::frame_pixels frame;
        frame.width = s.width;
        frame.height = s.height;
        frame.components = s.components;
        frame.bits_allocated = s.bits_allocated;
        frame.bits_stored = s.bits_stored;
        frame.is_signed = s.is_signed;
        const std::size_t sample_bytes = s.bits_allocated / 8;
        frame.pixels.resize(frame.sample_count() * sample_bytes);
        std::uniform_int_distribution<std::int32_t> value(s.lo, s.hi);
        for (std::size_t i = 0; i < frame.sample_count(); ++i)
            hil::imaging::detail::put_sample(frame.pixels, sample_bytes, i, value(random));
        const auto encoded = hil::imaging::detail::encode_htj2k(frame);
        REQUIRE(encoded.has_value());
        const auto decoded = decode_htj2k(*encoded);
        REQUIRE(decoded.has_value());
        CHECK(decoded->width == s.width);
        CHECK(decoded->height == s.height);
        CHECK(decoded->components == s.components);
        CHECK(decoded->is_signed == s.is_signed);
        CHECK(decoded->pixels == frame.pixels);
    }
}

TEST_CASE("imaging: encoding time of a 512x512 16-bit frame") {
    hil::imaging::detail::frame_pixels frame;
    frame.width = frame.height = 512;
    frame.bits_allocated = 16;
    frame.bits_stored = 12;
    frame.is_signed = true;
    frame.pixels.resize(frame.sample_count() * 2);
    // A smooth CT-like picture with noise, not white noise: what the encoder usually sees.
    std::mt19937 random(7);
    std::normal_distribution<double> noise(0.0, 20.0);
    for (std::uint32_t y = 0; y < 512; ++y)
        for (std::uint32_t x = 0; x < 512; ++x) {
            const double r = std::hypot(x - 256.0, y - 256.0);
            const double v = (r < 200 ? 40.0 + 300.0 * std::cos(r / 30.0) : -1000.0) + noise(random);
            hil::imaging::detail::put_sample(frame.pixels, 2, std::size_t{y} * 512 + x,
                                             static_cast<std::int32_t>(std::clamp(v, -2048.0, 2047.0)));
        }
    constexpr int runs = 10;
    std::size_t size = 0;
    const auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < runs; ++i) {
        const auto encoded = hil::imaging::detail::encode_htj2k(frame);
        REQUIRE(encoded.has_value());
        size = encoded->size();
    }
    const auto encode_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count() / runs;
    const auto encoded = hil::imaging::detail::encode_htj2k(frame);
    const auto decode_start = std::chrono::steady_clock::now();
    const auto decoded = decode_htj2k(*encoded);
    const auto decode_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - decode_start).count();
    REQUIRE(decoded.has_value());
    CHECK(decoded->pixels == frame.pixels);
    MESSAGE("HTJ2K 512x512 16-bit: encode " << encode_ms << " ms (mean of " << runs << "), decode " << decode_ms
                                            << " ms, " << size << " bytes from " << frame.pixels.size());
}

TEST_CASE("imaging: the image-set metadata document") {
    const auto ct = sample_file("CT_small.dcm");
    if (!ct) return;
    auto ct_result = read_instance(*ct);
    REQUIRE(std::holds_alternative<dicom_instance>(ct_result));
    auto instance = std::get<dicom_instance>(std::move(ct_result));
    REQUIRE(instance.frames.size() == 1);
    instance.frames[0].id = "0123456789abcdef0123456789abcdef";
    const dicom_instance* instances[] = {&instance};
    const auto text = hil::imaging::image_set_metadata("ds0123456789abcdef0123456789abcd", "is0123456789abcdef0123456789abcd",
                                                       instances);
    const auto doc = parse_json(text);
    CHECK(string_at(doc, "SchemaVersion") == "1.1");
    CHECK(string_at(doc, "DatastoreID") == "ds0123456789abcdef0123456789abcd");
    CHECK(string_at(doc, "ImageSetID") == "is0123456789abcdef0123456789abcd");
    CHECK(string_at(doc["Patient"]["DICOM"], "PatientID") == "1CT1");
    CHECK(string_at(doc["Study"]["DICOM"], "StudyInstanceUID") == instance.study_instance_uid);
    const auto& series = doc["Study"]["Series"][instance.series_instance_uid.c_str()];
    CHECK(string_at(series["DICOM"], "Modality") == "CT");
    const auto& sop = series["Instances"][instance.sop_instance_uid.c_str()];
    CHECK(string_at(sop, "StoredTransferSyntaxUID") == k_htj2k_rpcl);
    CHECK(string_at(sop, "ChecksumType") == "DECOMPRESSED");
    CHECK(string_at(sop["DICOMVRs"], "00090010") == "LO");
    const auto& frame = sop["ImageFrames"][0];
    CHECK(string_at(frame, "ID") == "0123456789abcdef0123456789abcdef");
    const auto& full = frame["PixelDataChecksumFromBaseToFullResolution"][0];
    CHECK(full["Width"].GetUint() == 128);
    CHECK(full["Height"].GetUint() == 128);
    CHECK(full["Checksum"].GetUint() == instance.frames[0].checksum);
    CHECK(frame["MinPixelValue"].GetInt64() == instance.frames[0].min_value);
    CHECK(frame["MaxPixelValue"].GetInt64() == instance.frames[0].max_value);
    CHECK(frame["FrameSizeInBytes"].GetUint64() == instance.frames[0].codestream.size());

    const auto packed = hil::imaging::gzip(text);
    REQUIRE(packed.size() > 10);
    CHECK(static_cast<unsigned char>(packed[0]) == 0x1F);
    CHECK(static_cast<unsigned char>(packed[1]) == 0x8B);
    CHECK(hil::imaging::gunzip(packed) == text);
}

TEST_CASE("imaging: gzip and CRC32") {
    CHECK(hil::imaging::pixel_checksum(bytes{'1', '2', '3', '4', '5', '6', '7', '8', '9'}) == 0xCBF43926u);
    CHECK(hil::imaging::pixel_checksum(bytes{}) == 0u);
    for (const std::string& text : {std::string(), std::string("{}"), std::string(300000, 'x')}) {
        const auto packed = hil::imaging::gzip(text);
        CHECK(hil::imaging::gunzip(packed) == text);
        if (packed.size() > 4) CHECK_FALSE(hil::imaging::gunzip(packed.substr(0, packed.size() - 4)).has_value());
    }
    CHECK_FALSE(hil::imaging::gunzip("not gzip at all").has_value());
    CHECK_FALSE(hil::imaging::gunzip("").has_value());
}
