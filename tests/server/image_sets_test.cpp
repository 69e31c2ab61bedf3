// The data plane through the real server, on image sets made by a real import: DICOM files
// from python3-pydicom's test data copied into a temp --s3-dir folder, StartDICOMImportJob,
// GetDICOMImportJob polled until the importer thread ends the job, then the job's output files,
// SearchImageSets, GetImageSet, GetImageSetMetadata (gzip), GetImageFrame (HTJ2K, checked by
// decoding it against the metadata's CRC32), ListImageSetVersions, tags on image set ARNs,
// DeleteImageSet and DeleteDatastore's refusal; errors; inputs that must not be read; a second
// import of the same files (version 2) and a conflicting one (a non-primary image set).
//
// A case whose sample files are absent says so (MESSAGE) and checks nothing else.
#include <doctest/doctest.h>
#include <rapidjson/document.h>
#include <rapidjson/pointer.h>
#include <zlib.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "imaging/dicom_import.hpp"
// The internal OpenJPEG seam, for JPEG 2000 frames kept as imported (decode_htj2k reads HTJ2K only).
#include "imaging/frame_pixels.hpp"
#include "tests/server/control_plane_support.hpp"
#include "tests/support/expect.hpp"
#include "tests/support/temp_path.hpp"

namespace hil::test {
namespace {

namespace fs = std::filesystem;

const fs::path k_test_files = "/usr/lib/python3/dist-packages/pydicom/data/test_files";
constexpr std::string_view k_htj2k = "1.2.840.10008.1.2.4.202";
constexpr std::string_view k_jpeg2000 = "1.2.840.10008.1.2.4.91";
constexpr std::string_view k_ct_patient = "1CT1";
constexpr std::string_view k_mr_patient = "4MR1";
constexpr std::string_view k_nm_patient = "8NM1";  // JPEG2000.dcm
constexpr std::string_view k_sc_patient = "ID1";   // SC_rgb_rle_2frame.dcm
constexpr std::string_view k_ct_series = "1.3.6.1.4.1.5962.1.3.1.1.20040119072730.12322";
constexpr std::string_view k_no_dicm = "The file is not a valid DICOM P10 file: no DICM prefix at byte 128";

std::optional<std::string> file_bytes(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    if (!in) return std::nullopt;
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

void write_file(const fs::path& p, std::string_view bytes) {
    fs::create_directories(p.parent_path());
    std::ofstream out(p, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    REQUIRE_MESSAGE(out.good(), "cannot write " << p.string());
}

// Whether every named sample is there; says which is missing otherwise.
bool samples_present(const std::vector<std::string_view>& names) {
    for (const auto name : names) {
        if (!fs::is_regular_file(k_test_files / name)) {
            MESSAGE("skipped: " << (k_test_files / name).string() << " is absent (python3-pydicom)");
            return false;
        }
    }
    return true;
}

server::config s3_config(const temp_path& dir) {
    fs::create_directories(dir.path());
    auto cfg = cp_config();
    cfg.s3_dir = dir.str();
    cfg.import_threads = 2;
    return cfg;
}

// A local S3 folder and a server importing from it, on a manual clock at k_t0.
struct s3_world {
    temp_path dir{"hil-s3"};
    cp_server s{s3_config(dir)};

    // s3://bucket/key as a path in the folder.
    fs::path object(std::string_view bucket_key) const { return dir.path() / std::string(bucket_key); }
    void copy_sample(std::string_view name, std::string_view bucket_key) const {
        auto bytes = file_bytes(k_test_files / name);
        REQUIRE_MESSAGE(bytes.has_value(), "cannot read " << (k_test_files / name).string());
        write_file(object(bucket_key), *bytes);
    }
    // The object's bytes, REQUIRE-ing that it is there.
    std::string read(std::string_view s3_uri) const {
        REQUIRE(s3_uri.substr(0, 5) == "s3://");
        auto bytes = file_bytes(object(s3_uri.substr(5)));
        REQUIRE_MESSAGE(bytes.has_value(), "no object " << s3_uri);
        return *bytes;
    }
};

struct job_end {
    std::string job_id, status, message, output_uri;
};

// StartDICOMImportJob, then GetDICOMImportJob until it ends (at most 60 s of wall time).
job_end run_import(s3_world& w, std::string_view ds, std::string_view input,
                   std::string_view output = "s3://out-bucket/results/") {
    const auto started = w.s.post(start_target(ds), start_body(fresh_token(), input, output));
    REQUIRE_MESSAGE(started.result_int() == 200, started.body());
    job_end end;
    end.job_id = string_at(started, "/jobId");
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    for (;;) {
        const auto res = w.s.get(job_target(ds, end.job_id));
        REQUIRE_MESSAGE(res.result_int() == 200, res.body());
        end.status = string_at(res, "/jobProperties/jobStatus");
        if (end.status == "COMPLETED" || end.status == "FAILED") {
            const auto doc = body_of(res);
            if (const auto* m = rapidjson::Pointer("/jobProperties/message").Get(doc); m && m->IsString()) {
                end.message = m->GetString();
            }
            end.output_uri = string_at(res, "/jobProperties/outputS3Uri");
            return end;
        }
        REQUIRE_MESSAGE(std::chrono::steady_clock::now() < deadline, "job " << end.job_id << " still " << end.status);
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
}

job_end completed_import(s3_world& w, std::string_view ds, std::string_view input) {
    auto end = run_import(w, ds, input);
    REQUIRE_MESSAGE(end.status == "COMPLETED", end.message);
    CHECK(end.message.empty());
    return end;
}

rapidjson::Document parse(std::string_view text) {
    rapidjson::Document doc;
    doc.Parse(text.data(), text.size());
    REQUIRE_MESSAGE(!doc.HasParseError(), "not JSON: " << text);
    return doc;
}

// Each line of an NDJSON object, parsed; every line must end with '\n'.
std::vector<rapidjson::Document> ndjson(std::string_view text) {
    std::vector<rapidjson::Document> out;
    CHECK((text.empty() || text.back() == '\n'));
    std::size_t at = 0;
    while (at < text.size()) {
        const auto nl = text.find('\n', at);
        const auto line = text.substr(at, nl == std::string_view::npos ? std::string_view::npos : nl - at);
        out.push_back(parse(line));
        REQUIRE(out.back().IsObject());
        if (nl == std::string_view::npos) break;
        at = nl + 1;
    }
    return out;
}

std::string str(const rapidjson::Value& v, const char* pointer) {
    const auto* at = rapidjson::Pointer(pointer).Get(v);
    REQUIRE_MESSAGE((at && at->IsString()), "no string at " << pointer);
    return {at->GetString(), at->GetStringLength()};
}
std::int64_t num(const rapidjson::Value& v, const char* pointer) {
    const auto* at = rapidjson::Pointer(pointer).Get(v);
    REQUIRE_MESSAGE((at && at->IsInt64()), "no integer at " << pointer);
    return at->GetInt64();
}
bool flag(const rapidjson::Value& v, const char* pointer) {
    const auto* at = rapidjson::Pointer(pointer).Get(v);
    REQUIRE_MESSAGE((at && at->IsBool()), "no boolean at " << pointer);
    return at->GetBool();
}

std::string image_set_target(std::string_view ds, std::string_view image_set, std::string_view op,
                             std::string_view query = {}) {
    std::string t = "/datastore/" + std::string(ds) + "/imageSet/" + std::string(image_set) + "/" + std::string(op);
    if (!query.empty()) t += "?" + std::string(query);
    return t;
}
std::string search_target(std::string_view ds, std::string_view query = {}) {
    std::string t = "/datastore/" + std::string(ds) + "/searchImageSets";
    if (!query.empty()) t += "?" + std::string(query);
    return t;
}
std::string image_set_arn(std::string_view ds, std::string_view image_set) {
    return datastore_arn(ds) + "/imageset/" + std::string(image_set);
}
std::string frame_body(std::string_view frame_id) { return R"({"imageFrameId":")" + std::string(frame_id) + R"("})"; }

// The manifest of an ended job, parsed.
rapidjson::Document manifest_of(const s3_world& w, const job_end& end) {
    auto doc = parse(w.read(end.output_uri + "job-output-manifest.json"));
    REQUIRE(doc.IsObject());
    return doc;
}

// imageSetId by patient id, through SearchImageSets EQUAL DICOMPatientId (exactly one each).
std::string image_set_of_patient(s3_world& w, std::string_view ds, std::string_view patient) {
    const auto res = w.s.post(search_target(ds), R"({"filters":[{"values":[{"DICOMPatientId":")" + std::string(patient) +
                                                     R"("}],"operator":"EQUAL"}]})");
    REQUIRE_MESSAGE(res.result_int() == 200, res.body());
    const auto ids = ids_in(res, "imageSetsMetadataSummaries", "imageSetId");
    REQUIRE_MESSAGE(ids.size() == 1, res.body());
    return ids.front();
}

// The gunzipped GetImageSetMetadata document.
rapidjson::Document metadata_of(s3_world& w, std::string_view ds, std::string_view image_set,
                                std::string_view query = {}) {
    const auto res = w.s.post(image_set_target(ds, image_set, "getImageSetMetadata", query), "");
    REQUIRE_MESSAGE(res.result_int() == 200, res.body());
    CHECK(res[http::field::content_type] == "application/json");
    CHECK(res[http::field::content_encoding] == "gzip");
    REQUIRE(res.body().size() >= 2);
    CHECK(static_cast<unsigned char>(res.body()[0]) == 0x1F);
    CHECK(static_cast<unsigned char>(res.body()[1]) == 0x8B);
    const auto text = imaging::gunzip(res.body());
    REQUIRE_MESSAGE(text.has_value(), "GetImageSetMetadata's body is not gzip");
    auto doc = parse(*text);
    REQUIRE(doc.IsObject());
    return doc;
}

struct frame_ref {
    std::string id, sop_instance_uid, stored_syntax;
    std::uint32_t width = 0, height = 0, checksum = 0;
    std::int64_t size = 0;
    // The instance's pixel description, for decoding a JPEG 2000 frame.
    std::uint16_t components = 1, bits_allocated = 8, bits_stored = 8;
    bool is_signed = false;
};

std::uint16_t u16_or(const rapidjson::Value& dicom, const char* key, std::uint16_t fallback) {
    const auto v = dicom.FindMember(key);
    return v != dicom.MemberEnd() && v->value.IsUint() ? static_cast<std::uint16_t>(v->value.GetUint()) : fallback;
}

// Every ImageFrames entry of a metadata document, with the full-resolution checksum.
std::vector<frame_ref> frames_in(const rapidjson::Document& metadata) {
    std::vector<frame_ref> out;
    const auto& series = metadata["Study"]["Series"];
    REQUIRE(series.IsObject());
    for (auto s = series.MemberBegin(); s != series.MemberEnd(); ++s) {
        const auto& instances = s->value["Instances"];
        REQUIRE(instances.IsObject());
        for (auto i = instances.MemberBegin(); i != instances.MemberEnd(); ++i) {
            const auto& inst = i->value;
            if (!inst.HasMember("ImageFrames")) continue;
            const std::string syntax = inst.HasMember("StoredTransferSyntaxUID") && inst["StoredTransferSyntaxUID"].IsString()
                                           ? inst["StoredTransferSyntaxUID"].GetString()
                                           : std::string(k_htj2k);
            CHECK(str(inst, "/ChecksumType") == "DECOMPRESSED");
            for (const auto& f : inst["ImageFrames"].GetArray()) {
                frame_ref r;
                r.id = str(f, "/ID");
                r.sop_instance_uid = i->name.GetString();
                r.stored_syntax = syntax;
                r.size = num(f, "/FrameSizeInBytes");
                const auto& dicom = inst["DICOM"];
                r.components = u16_or(dicom, "SamplesPerPixel", 1);
                r.bits_allocated = u16_or(dicom, "BitsAllocated", 8);
                r.bits_stored = u16_or(dicom, "BitsStored", r.bits_allocated);
                r.is_signed = u16_or(dicom, "PixelRepresentation", 0) == 1;
                const auto& levels = f["PixelDataChecksumFromBaseToFullResolution"];
                REQUIRE((levels.IsArray() && !levels.Empty()));
                const auto& full = levels[levels.Size() - 1];
                r.width = static_cast<std::uint32_t>(full["Width"].GetInt64());
                r.height = static_cast<std::uint32_t>(full["Height"].GetInt64());
                r.checksum = static_cast<std::uint32_t>(full["Checksum"].GetInt64());
                out.push_back(std::move(r));
            }
        }
    }
    return out;
}

// GetImageFrame of one frame: its bytes are a J2K codestream that decodes to pixels whose zlib
// CRC32 is the checksum the metadata gives. HTJ2K frames go through the layer's front
// decode_htj2k (OpenJPH); JPEG 2000 part 1 frames, which it turns down, through OpenJPEG.
void check_frame(s3_world& w, std::string_view ds, std::string_view image_set, const frame_ref& f) {
    CAPTURE(f.id);
    const auto res = w.s.post(image_set_target(ds, image_set, "getImageFrame"), frame_body(f.id));
    REQUIRE_MESSAGE(res.result_int() == 200, res.body());
    CHECK(res[http::field::content_type] == (f.stored_syntax == k_jpeg2000 ? "image/j2c" : "image/jph"));
    CHECK(res[http::field::content_encoding].empty());
    const auto& b = res.body();
    REQUIRE(b.size() > 2);
    CHECK(static_cast<std::int64_t>(b.size()) == f.size);
    CHECK(static_cast<unsigned char>(b[0]) == 0xFF);
    CHECK(static_cast<unsigned char>(b[1]) == 0x4F);
    const std::span<const std::uint8_t> codestream(reinterpret_cast<const std::uint8_t*>(b.data()), b.size());
    std::vector<std::uint8_t> pixels;
    std::size_t bytes_per_sample = 1;
    if (f.stored_syntax == k_jpeg2000) {
        // Part 1, not HTJ2K: the front decoder says so.
        CHECK_FALSE(imaging::decode_htj2k(codestream).has_value());
        auto decoded = imaging::detail::decode_jpeg2000(codestream, f.width, f.height, f.components, f.bits_allocated,
                                                        f.bits_stored, f.is_signed);
        REQUIRE_MESSAGE(decoded.has_value(), "the JPEG 2000 frame does not decode");
        bytes_per_sample = decoded->bytes_per_sample();
        pixels = std::move(decoded->pixels);
    } else {
        auto decoded = imaging::decode_htj2k(codestream);
        REQUIRE_MESSAGE(decoded.has_value(), "the HTJ2K frame does not decode");
        CHECK(decoded->width == f.width);
        CHECK(decoded->height == f.height);
        CHECK(decoded->components == f.components);
        bytes_per_sample = decoded->bit_depth <= 8 ? 1u : 2u;
        pixels = std::move(decoded->pixels);
    }
    REQUIRE(pixels.size() == std::size_t{f.width} * f.height * f.components * bytes_per_sample);
    const auto crc = static_cast<std::uint32_t>(crc32(0L, pixels.data(), static_cast<uInt>(pixels.size())));
    CHECK(crc == f.checksum);
}

// The five-file study every data-plane case starts from: four instances AWS imports (CT, MR,
// NM in JPEG 2000, two-frame RGB RLE), and one file without the P10 preamble it refuses.
const std::vector<std::string_view> k_study_files = {"CT_small.dcm", "MR_small.dcm", "JPEG2000.dcm",
                                                     "SC_rgb_rle_2frame.dcm", "no_meta.dcm"};

struct imported {
    std::string ds;
    job_end job;
};
imported import_study(s3_world& w) {
    for (const auto name : k_study_files) w.copy_sample(name, "in-bucket/study/" + std::string(name));
    imported out;
    out.ds = active_datastore(w.s, "images");
    out.job = completed_import(w, out.ds, "s3://in-bucket/study/");
    return out;
}

TEST_CASE("Import: the job's manifest, success and failure files say what the import made") {
    if (!samples_present(k_study_files)) return;
    s3_world w;
    const auto [ds, job] = import_study(w);
    const auto prefix = "s3://out-bucket/results/" + ds + "-DicomImport-" + job.job_id + "/";
    REQUIRE(job.output_uri == prefix);

    const auto manifest = manifest_of(w, job);
    CHECK(str(manifest, "/jobSummary/jobId") == job.job_id);
    CHECK(str(manifest, "/jobSummary/datastoreId") == ds);
    CHECK(str(manifest, "/jobSummary/inputS3Uri") == "s3://in-bucket/study/");
    CHECK(str(manifest, "/jobSummary/outputS3Uri") == prefix);
    CHECK(str(manifest, "/jobSummary/successOutputS3Uri") == prefix + "SUCCESS/");
    CHECK(str(manifest, "/jobSummary/failureOutputS3Uri") == prefix + "FAILURE/");
    CHECK(str(manifest, "/jobSummary/warningsOutputS3Uri") == prefix + "WARNING/");
    CHECK(num(manifest, "/jobSummary/numberOfScannedFiles") == 5);
    CHECK(num(manifest, "/jobSummary/numberOfImportedFiles") == 4);
    CHECK(num(manifest, "/jobSummary/numberOfFilesWithCustomerError") == 1);
    CHECK(num(manifest, "/jobSummary/numberOfFilesWithServerError") == 0);
    CHECK(num(manifest, "/jobSummary/numberOfGeneratedImageSets") == 4);
    const auto& summary = manifest["jobSummary"]["imageSetsSummary"];
    REQUIRE(summary.IsArray());
    REQUIRE(summary.Size() == 4);
    std::set<std::string> manifest_ids;
    for (const auto& s : summary.GetArray()) {
        const auto id = str(s, "/imageSetId");
        CHECK(id.size() == 32);
        CHECK(id.find_first_not_of("0123456789abcdefghijklmnopqrstuvwxyz") == std::string::npos);
        manifest_ids.insert(id);
        CHECK(num(s, "/numberOfMatchedSOPInstances") == 1);
        CHECK(num(s, "/imageSetVersion") == 1);
        CHECK(flag(s, "/isPrimary"));
    }
    CHECK(manifest_ids.size() == 4);

    // One success line per imported file, naming its key from the bucket root and its image set.
    const auto successes = ndjson(w.read(prefix + "SUCCESS/success.ndjson"));
    REQUIRE(successes.size() == 4);
    std::map<std::string, std::string> image_set_of_file;
    for (const auto& line : successes) {
        const auto file = str(line, "/inputFile");
        image_set_of_file[file] = str(line, "/importResponse/imageSetId");
        CHECK(manifest_ids.count(image_set_of_file[file]) == 1);
        CHECK(num(line, "/importResponse/imageSetVersion") == 1);
        CHECK(flag(line, "/importResponse/isPrimary"));
    }
    CHECK(image_set_of_file.size() == 4);
    for (const auto name : {"CT_small.dcm", "MR_small.dcm", "JPEG2000.dcm", "SC_rgb_rle_2frame.dcm"}) {
        CHECK_MESSAGE(image_set_of_file.count("study/" + std::string(name)) == 1, name);
    }
    std::set<std::string> distinct;
    for (const auto& [file, id] : image_set_of_file) distinct.insert(id);
    CHECK(distinct == manifest_ids);

    const auto failures = ndjson(w.read(prefix + "FAILURE/failure.ndjson"));
    REQUIRE(failures.size() == 1);
    CHECK(str(failures[0], "/inputFile") == "study/no_meta.dcm");
    CHECK(str(failures[0], "/exception/exceptionType") == "ValidationException");
    CHECK(str(failures[0], "/exception/message") == k_no_dicm);
    CHECK(w.read(prefix + "WARNING/warning.ndjson").empty());

    // The success file's image sets are the ones the data plane serves.
    CHECK(image_set_of_patient(w, ds, k_ct_patient) == image_set_of_file["study/CT_small.dcm"]);
    CHECK(image_set_of_patient(w, ds, k_sc_patient) == image_set_of_file["study/SC_rgb_rle_2frame.dcm"]);
}

TEST_CASE("SearchImageSets: no criteria, EQUAL, sort, and maxResults paging with nextToken") {
    if (!samples_present(k_study_files)) return;
    s3_world w;
    const auto [ds, job] = import_study(w);
    const auto manifest = manifest_of(w, job);
    std::set<std::string> expected;
    for (const auto& s : manifest["jobSummary"]["imageSetsSummary"].GetArray()) expected.insert(str(s, "/imageSetId"));
    REQUIRE(expected.size() == 4);

    SUBCASE("no criteria: every image set, with its DICOM tags") {
        const auto res = w.s.post(search_target(ds), "");
        REQUIRE_MESSAGE(res.result_int() == 200, res.body());
        check_common_headers(res);
        const auto ids = ids_in(res, "imageSetsMetadataSummaries", "imageSetId");
        CHECK(std::set<std::string>(ids.begin(), ids.end()) == expected);
        CHECK(ids.size() == 4);
        const auto doc = body_of(res);
        CHECK_FALSE(doc.HasMember("nextToken"));
        CHECK_FALSE(doc.HasMember("sort"));
        std::set<std::string> patients;
        for (const auto& s : doc["imageSetsMetadataSummaries"].GetArray()) {
            CHECK(num(s, "/version") == 1);
            CHECK(flag(s, "/isPrimary"));
            CHECK(s["createdAt"].IsNumber());
            CHECK(s["createdAt"].GetDouble() == doctest::Approx(static_cast<double>(k_t0) / 1000.0));
            patients.insert(str(s, "/DICOMTags/DICOMPatientId"));
        }
        CHECK(patients == std::set<std::string>{std::string(k_ct_patient), std::string(k_mr_patient),
                                                std::string(k_nm_patient), std::string(k_sc_patient)});
    }
    SUBCASE("EQUAL DICOMPatientId: that patient's image set only, with study and series tags") {
        const auto res = w.s.post(search_target(ds), R"({"filters":[{"values":[{"DICOMPatientId":"1CT1"}],"operator":"EQUAL"}]})");
        REQUIRE_MESSAGE(res.result_int() == 200, res.body());
        const auto doc = body_of(res);
        REQUIRE(doc["imageSetsMetadataSummaries"].Size() == 1);
        const auto& s = doc["imageSetsMetadataSummaries"][0];
        CHECK(str(s, "/DICOMTags/DICOMPatientId") == k_ct_patient);
        CHECK(str(s, "/DICOMTags/DICOMStudyInstanceUID") == "1.3.6.1.4.1.5962.1.2.1.20040119072730.12322");
        CHECK(str(s, "/DICOMTags/DICOMSeriesInstanceUID") == k_ct_series);
        CHECK(str(s, "/DICOMTags/DICOMSeriesModality") == "CT");
        CHECK(str(s, "/DICOMTags/DICOMStudyDate") == "20040119");
        CHECK(expected.count(str(s, "/imageSetId")) == 1);
        // A patient nobody has: an empty list.
        const auto none = w.s.post(search_target(ds), R"({"filters":[{"values":[{"DICOMPatientId":"nobody"}],"operator":"EQUAL"}]})");
        REQUIRE(none.result_int() == 200);
        CHECK(body_of(none)["imageSetsMetadataSummaries"].Size() == 0);
        // EQUAL on the series UID finds the same one.
        const auto by_series = w.s.post(search_target(ds), R"({"filters":[{"values":[{"DICOMSeriesInstanceUID":")" +
                                                               std::string(k_ct_series) + R"("}],"operator":"EQUAL"}]})");
        REQUIRE(by_series.result_int() == 200);
        CHECK(ids_in(by_series, "imageSetsMetadataSummaries", "imageSetId") ==
              std::vector<std::string>{str(s, "/imageSetId")});
    }
    SUBCASE("sort by DICOMStudyDateAndTime, both ways, echoed") {
        for (const std::string order : {"ASC", "DESC"}) {
            CAPTURE(order);
            const auto res = w.s.post(search_target(ds),
                                      R"({"sort":{"sortOrder":")" + order + R"(","sortField":"DICOMStudyDateAndTime"}})");
            REQUIRE_MESSAGE(res.result_int() == 200, res.body());
            const auto doc = body_of(res);
            CHECK(str(doc, "/sort/sortOrder") == order);
            CHECK(str(doc, "/sort/sortField") == "DICOMStudyDateAndTime");
            std::vector<std::string> dates;
            for (const auto& s : doc["imageSetsMetadataSummaries"].GetArray()) dates.push_back(str(s, "/DICOMTags/DICOMStudyDate"));
            REQUIRE(dates.size() == 4);
            // CT 2004-01-19, MR and NM 2004-08-26, SC 2017-01-01.
            if (order == "ASC") {
                CHECK(std::is_sorted(dates.begin(), dates.end()));
                CHECK(dates.front() == "20040119");
                CHECK(dates.back() == "20170101");
            } else {
                CHECK(std::is_sorted(dates.rbegin(), dates.rend()));
                CHECK(dates.front() == "20170101");
            }
        }
    }
    SUBCASE("maxResults=1: four pages of one, the same set in the same order as one page") {
        const std::string criteria = R"({"sort":{"sortOrder":"ASC","sortField":"DICOMStudyDateAndTime"}})";
        const auto whole = w.s.post(search_target(ds), criteria);
        REQUIRE(whole.result_int() == 200);
        const auto all = ids_in(whole, "imageSetsMetadataSummaries", "imageSetId");
        std::vector<std::string> paged;
        std::optional<std::string> token;
        int pages = 0;
        do {
            const auto res = w.s.post(search_target(ds, "maxResults=1" + (token ? "&nextToken=" + percent_encode(*token) : "")),
                                      criteria);
            REQUIRE_MESSAGE(res.result_int() == 200, res.body());
            const auto page = ids_in(res, "imageSetsMetadataSummaries", "imageSetId");
            CHECK(page.size() <= 1);
            paged.insert(paged.end(), page.begin(), page.end());
            token = next_token_of(res);
            REQUIRE(++pages < 10);
        } while (token);
        CHECK(paged == all);
        CHECK(pages >= 4);
        CHECK(pages <= 5);
        // A token from one search is no good for another.
        const auto first = w.s.post(search_target(ds, "maxResults=1"), criteria);
        const auto t = next_token_of(first);
        REQUIRE(t.has_value());
        const auto other = w.s.post(search_target(ds, "maxResults=1&nextToken=" + percent_encode(*t)), "");
        CHECK(other.result_int() == 400);
        CHECK(other["x-amzn-ErrorType"] == "ValidationException");
    }
    SUBCASE("bad criteria are ValidationExceptions") {
        for (const std::string& body : {
                 std::string(R"({"filters":[{"values":[{"DICOMPatientId":"1CT1"},{"DICOMPatientId":"4MR1"}],"operator":"EQUAL"}]})"),
                 std::string(R"({"filters":[{"values":[{"DICOMPatientId":"1CT1"},{"DICOMPatientId":"4MR1"}],"operator":"BETWEEN"}]})"),
                 std::string(R"({"filters":[{"values":[{"createdAt":1}],"operator":"BETWEEN"}]})"),
                 std::string(R"({"filters":[{"values":[{"createdAt":5},{"createdAt":1}],"operator":"BETWEEN"}]})"),
                 std::string(R"({"filters":[{"values":[{"DICOMPatientId":"1CT1"}],"operator":"LIKE"}]})"),
                 std::string(R"({"sort":{"sortOrder":"UP","sortField":"createdAt"}})"),
             }) {
            CAPTURE(body);
            const auto res = w.s.post(search_target(ds), body);
            CHECK(res.result_int() == 400);
            CHECK(res["x-amzn-ErrorType"] == "ValidationException");
            CHECK_FALSE(error_message(res).empty());
        }
        const auto two = w.s.post(search_target(ds), R"({"filters":[{"values":[{"DICOMPatientId":"1CT1"},{"DICOMPatientId":"4MR1"}],"operator":"EQUAL"}]})");
        CHECK(error_message(two) == "The EQUAL operator takes 1 value, not 2");
        const auto between = w.s.post(search_target(ds), R"({"filters":[{"values":[{"DICOMPatientId":"1CT1"},{"DICOMPatientId":"4MR1"}],"operator":"BETWEEN"}]})");
        CHECK(error_message(between) == "BETWEEN applies to createdAt, updatedAt and DICOMStudyDateAndTime, not DICOMPatientId");
        CHECK(w.s.post(search_target(ds, "maxResults=0"), "").result_int() == 400);
        CHECK(w.s.post(search_target(ds, "maxResults=51"), "").result_int() == 400);
    }
}

TEST_CASE("SearchImageSets: BETWEEN createdAt tells two imports an hour apart") {
    if (!samples_present({"CT_small.dcm", "MR_small.dcm"})) return;
    s3_world w;
    w.copy_sample("CT_small.dcm", "in-bucket/a/ct.dcm");
    w.copy_sample("MR_small.dcm", "in-bucket/b/mr.dcm");
    const auto ds = active_datastore(w.s, "images");
    completed_import(w, ds, "s3://in-bucket/a/");
    w.s.clock().advance(3'600'000);
    completed_import(w, ds, "s3://in-bucket/b/");
    const auto ct = image_set_of_patient(w, ds, k_ct_patient);
    const auto mr = image_set_of_patient(w, ds, k_mr_patient);
    const auto between = [&](api::epoch_millis low, api::epoch_millis high) {
        const auto res = w.s.post(search_target(ds), R"({"filters":[{"values":[{"createdAt":)" + secs(low) +
                                                         R"(},{"createdAt":)" + secs(high) + R"(}],"operator":"BETWEEN"}]})");
        REQUIRE_MESSAGE(res.result_int() == 200, res.body());
        return ids_in(res, "imageSetsMetadataSummaries", "imageSetId");
    };
    CHECK(between(k_t0 - 1000, k_t0 + 1000) == std::vector<std::string>{ct});
    CHECK(between(k_t0 + 1800'000, k_t0 + 7200'000) == std::vector<std::string>{mr});
    CHECK(between(k_t0 + 7200'000, k_t0 + 9000'000).empty());
    const auto both = between(k_t0 - 1000, k_t0 + 3'600'000);
    CHECK(std::set<std::string>(both.begin(), both.end()) == std::set<std::string>{ct, mr});
    // Sorted by createdAt: the older first when ascending.
    const auto sorted = w.s.post(search_target(ds), R"({"sort":{"sortOrder":"ASC","sortField":"createdAt"}})");
    CHECK(ids_in(sorted, "imageSetsMetadataSummaries", "imageSetId") == std::vector<std::string>{ct, mr});
    const auto desc = w.s.post(search_target(ds), R"({"sort":{"sortOrder":"DESC","sortField":"createdAt"}})");
    CHECK(ids_in(desc, "imageSetsMetadataSummaries", "imageSetId") == std::vector<std::string>{mr, ct});
}

TEST_CASE("GetImageSet and GetImageSetMetadata: version 1, ACTIVE, IMPORTED; Patient, Study, Series, Instances") {
    if (!samples_present(k_study_files)) return;
    s3_world w;
    const auto [ds, job] = import_study(w);
    const auto ct = image_set_of_patient(w, ds, k_ct_patient);

    const auto res = w.s.post(image_set_target(ds, ct, "getImageSet"), "");
    REQUIRE_MESSAGE(res.result_int() == 200, res.body());
    check_common_headers(res);
    const auto doc = body_of(res);
    CHECK(str(doc, "/datastoreId") == ds);
    CHECK(str(doc, "/imageSetId") == ct);
    CHECK(str(doc, "/versionId") == "1");
    CHECK(str(doc, "/imageSetState") == "ACTIVE");
    CHECK(str(doc, "/imageSetWorkflowStatus") == "IMPORTED");
    CHECK(str(doc, "/imageSetArn") == image_set_arn(ds, ct));
    CHECK(flag(doc, "/isPrimary"));
    CHECK(doc["createdAt"].GetDouble() == doctest::Approx(static_cast<double>(k_t0) / 1000.0));
    CHECK_FALSE(doc.HasMember("deletedAt"));
    // ?version=1 is the same; a version never made is 404.
    CHECK(w.s.post(image_set_target(ds, ct, "getImageSet", "version=1"), "").body() == res.body());
    expect_error(w.s.post(image_set_target(ds, ct, "getImageSet", "version=2"), ""), 404, "ResourceNotFoundException",
                 "Version 2 of image set " + ct + " not found");

    const auto metadata = metadata_of(w, ds, ct);
    CHECK(str(metadata, "/DatastoreID") == ds);
    CHECK(str(metadata, "/ImageSetID") == ct);
    CHECK(str(metadata, "/Patient/DICOM/PatientID") == k_ct_patient);
    CHECK(str(metadata, "/Study/DICOM/StudyInstanceUID") == "1.3.6.1.4.1.5962.1.2.1.20040119072730.12322");
    const auto& series = metadata["Study"]["Series"];
    REQUIRE(series.MemberCount() == 1);
    CHECK(std::string(series.MemberBegin()->name.GetString()) == k_ct_series);
    CHECK(str(series.MemberBegin()->value, "/DICOM/Modality") == "CT");
    const auto& instances = series.MemberBegin()->value["Instances"];
    REQUIRE(instances.MemberCount() == 1);
    const auto& instance = instances.MemberBegin()->value;
    CHECK(std::string(instances.MemberBegin()->name.GetString()) == "1.3.6.1.4.1.5962.1.1.1.1.1.20040119072730.12322");
    CHECK(str(instance, "/StoredTransferSyntaxUID") == k_htj2k);
    CHECK(str(instance, "/DICOM/TransferSyntaxUID") == "1.2.840.10008.1.2.1");
    CHECK(num(instance, "/DICOM/Rows") == 128);
    CHECK(num(instance, "/DICOM/Columns") == 128);
    // Patient-level elements live under Patient only.
    CHECK_FALSE(instance["DICOM"].HasMember("PatientID"));
    const auto frames = frames_in(metadata);
    REQUIRE(frames.size() == 1);
    CHECK(frames[0].width == 128);
    CHECK(frames[0].height == 128);
    CHECK(frames[0].id.size() == 32);

    // The two-frame RGB instance lists both frames.
    const auto sc_frames = frames_in(metadata_of(w, ds, image_set_of_patient(w, ds, k_sc_patient)));
    REQUIRE(sc_frames.size() == 2);
    CHECK(sc_frames[0].id != sc_frames[1].id);
}

TEST_CASE("GetImageFrame: every frame is a codestream that decodes to the metadata's checksum") {
    if (!samples_present(k_study_files)) return;
    s3_world w;
    const auto [ds, job] = import_study(w);
    std::size_t checked = 0;
    std::set<std::string> syntaxes;
    for (const auto patient : {k_ct_patient, k_mr_patient, k_nm_patient, k_sc_patient}) {
        CAPTURE(patient);
        const auto id = image_set_of_patient(w, ds, patient);
        const auto frames = frames_in(metadata_of(w, ds, id));
        REQUIRE_FALSE(frames.empty());
        for (const auto& f : frames) {
            check_frame(w, ds, id, f);
            check_frame(w, ds, id, f);  // again, from the answer cache: the same bytes and content type
            syntaxes.insert(f.stored_syntax);
            ++checked;
        }
    }
    CHECK(checked == 5);  // CT, MR, NM and the RGB instance's two
    // JPEG 2000 is kept as imported; the rest is HTJ2K.
    CHECK(syntaxes == std::set<std::string>{std::string(k_htj2k), std::string(k_jpeg2000)});

    // A frame of another image set is not found in this one.
    const auto ct = image_set_of_patient(w, ds, k_ct_patient);
    const auto mr_frames = frames_in(metadata_of(w, ds, image_set_of_patient(w, ds, k_mr_patient)));
    expect_error(w.s.post(image_set_target(ds, ct, "getImageFrame"), frame_body(mr_frames.at(0).id)), 404,
                 "ResourceNotFoundException", "not found");
    expect_error(w.s.post(image_set_target(ds, ct, "getImageFrame"), frame_body("00000000000000000000000000000000")),
                 404, "ResourceNotFoundException", "not found");
}

TEST_CASE("Image sets: errors for unknown ids, bad ids and a missing imageFrameInformation") {
    if (!samples_present({"CT_small.dcm"})) return;
    s3_world w;
    w.copy_sample("CT_small.dcm", "in-bucket/one/ct.dcm");
    const auto ds = active_datastore(w.s, "images");
    completed_import(w, ds, "s3://in-bucket/one/");
    const auto ct = image_set_of_patient(w, ds, k_ct_patient);
    const std::string unknown = "0123456789abcdef0123456789abcdef";

    for (const auto* op : {"getImageSet", "getImageSetMetadata", "listImageSetVersions", "deleteImageSet"}) {
        CAPTURE(op);
        const auto res = w.s.post(image_set_target(ds, unknown, op), "");
        CHECK(res.result_int() == 404);
        CHECK(res["x-amzn-ErrorType"] == "ResourceNotFoundException");
        CHECK(error_message(res).find(unknown) != std::string::npos);
        check_error(w.s.post(image_set_target(ds, "not-an-id", op), ""), 400, "ValidationException",
                    one_violation("imageSetId", "not-an-id", "Member must satisfy regular expression pattern: [0-9a-z]{32}"));
    }
    const auto frame = w.s.post(image_set_target(ds, unknown, "getImageFrame"), frame_body(unknown));
    CHECK(frame.result_int() == 404);
    CHECK(frame["x-amzn-ErrorType"] == "ResourceNotFoundException");
    // An unknown datastore is 404 too; the image set exists, but not there.
    const auto elsewhere = w.s.post(image_set_target(unknown, ct, "getImageSet"), "");
    CHECK(elsewhere.result_int() == 404);
    CHECK(elsewhere["x-amzn-ErrorType"] == "ResourceNotFoundException");

    check_error(w.s.post(image_set_target(ds, ct, "getImageFrame"), ""), 400, "ValidationException",
                "1 validation error detected: Value null at 'imageFrameInformation' failed to satisfy constraint: Member "
                "must not be null");
    const auto no_id = w.s.post(image_set_target(ds, ct, "getImageFrame"), "{}");
    CHECK(no_id.result_int() == 400);
    CHECK(no_id["x-amzn-ErrorType"] == "ValidationException");
    CHECK(error_message(no_id).find("imageFrameInformation.imageFrameId") != std::string::npos);
    const auto bad_version = w.s.post(image_set_target(ds, ct, "getImageSet", "version=abc"), "");
    CHECK(bad_version.result_int() == 400);
    CHECK(bad_version["x-amzn-ErrorType"] == "ValidationException");
}

TEST_CASE("Tags on an image set ARN: tag, list, untag; the datastore's own tags stay apart") {
    if (!samples_present({"CT_small.dcm"})) return;
    s3_world w;
    w.copy_sample("CT_small.dcm", "in-bucket/one/ct.dcm");
    const auto ds = active_datastore(w.s, "images");
    completed_import(w, ds, "s3://in-bucket/one/");
    const auto ct = image_set_of_patient(w, ds, k_ct_patient);
    const auto arn = image_set_arn(ds, ct);

    CHECK(w.s.get(tags_target(arn)).body() == R"({"tags":{}})");
    const auto tagged = w.s.post(tags_target(arn), R"({"tags":{"study":"chest","reader":"dr-a"}})");
    REQUIRE_MESSAGE(tagged.result_int() == 200, tagged.body());
    CHECK(w.s.get(tags_target(arn)).body() == R"({"tags":{"reader":"dr-a","study":"chest"}})");
    CHECK(w.s.get(tags_target(datastore_arn(ds))).body() == R"({"tags":{}})");
    CHECK(w.s.del(tags_target(arn) + "?tagKeys=reader").result_int() == 200);
    CHECK(w.s.get(tags_target(arn)).body() == R"({"tags":{"study":"chest"}})");
    // An image set nobody has is 404.
    const auto absent = w.s.get(tags_target(image_set_arn(ds, "0123456789abcdef0123456789abcdef")));
    CHECK(absent.result_int() == 404);
    CHECK(absent["x-amzn-ErrorType"] == "ResourceNotFoundException");
}

TEST_CASE("DeleteImageSet: DELETED afterwards, frames and metadata gone; DeleteDatastore waits for the last one") {
    if (!samples_present({"CT_small.dcm", "MR_small.dcm"})) return;
    s3_world w;
    w.copy_sample("CT_small.dcm", "in-bucket/two/ct.dcm");
    w.copy_sample("MR_small.dcm", "in-bucket/two/mr.dcm");
    const auto ds = active_datastore(w.s, "images");
    completed_import(w, ds, "s3://in-bucket/two/");
    const auto ct = image_set_of_patient(w, ds, k_ct_patient);
    const auto mr = image_set_of_patient(w, ds, k_mr_patient);
    const auto ct_frames = frames_in(metadata_of(w, ds, ct));
    REQUIRE(ct_frames.size() == 1);
    REQUIRE(w.s.post(image_set_target(ds, ct, "getImageFrame"), frame_body(ct_frames[0].id)).result_int() == 200);

    // Not while image sets are there.
    const auto refused = w.s.del(datastore_target(ds));
    CHECK(refused.result_int() == 409);
    CHECK(refused["x-amzn-ErrorType"] == "ConflictException");
    CHECK(error_message(refused).find("image set") != std::string::npos);

    w.s.clock().advance(5000);
    const auto deleted = w.s.post(image_set_target(ds, ct, "deleteImageSet"), "");
    REQUIRE_MESSAGE(deleted.result_int() == 200, deleted.body());
    check_common_headers(deleted);
    CHECK(deleted.body() == R"({"datastoreId":")" + ds + R"(","imageSetId":")" + ct +
                                R"(","imageSetState":"LOCKED","imageSetWorkflowStatus":"DELETING"})");

    const auto after = w.s.post(image_set_target(ds, ct, "getImageSet"), "");
    REQUIRE_MESSAGE(after.result_int() == 200, after.body());
    const auto doc = body_of(after);
    CHECK(str(doc, "/imageSetState") == "DELETED");
    CHECK(str(doc, "/imageSetWorkflowStatus") == "DELETED");
    REQUIRE(doc.HasMember("deletedAt"));
    CHECK(doc["deletedAt"].GetDouble() == doctest::Approx(static_cast<double>(k_t0 + 5000) / 1000.0));
    expect_error(w.s.post(image_set_target(ds, ct, "getImageFrame"), frame_body(ct_frames[0].id)), 404,
                 "ResourceNotFoundException", "not found");
    expect_error(w.s.post(image_set_target(ds, ct, "getImageSetMetadata"), ""), 404, "ResourceNotFoundException",
                 "Image set " + ct + " is deleted");
    // Search no longer lists it; deleting it again changes nothing.
    CHECK(ids_in(w.s.post(search_target(ds), ""), "imageSetsMetadataSummaries", "imageSetId") ==
          std::vector<std::string>{mr});
    CHECK(w.s.post(image_set_target(ds, ct, "deleteImageSet"), "").result_int() == 200);

    CHECK(w.s.del(datastore_target(ds)).result_int() == 409);
    REQUIRE(w.s.post(image_set_target(ds, mr, "deleteImageSet"), "").result_int() == 200);
    const auto gone = w.s.del(datastore_target(ds));
    CHECK_MESSAGE(gone.result_int() == 200, gone.body());
}

TEST_CASE("Import inputs that cannot be read: FAILED jobs, links leading out, '..' keys") {
    s3_world w;
    const auto ds = active_datastore(w.s, "images");

    SUBCASE("a prefix that does not exist ends the job FAILED with a message, and makes nothing") {
        const auto end = run_import(w, ds, "s3://in-bucket/nothing-here/");
        CHECK(end.status == "FAILED");
        CHECK(end.message == "The input S3 location s3://in-bucket/nothing-here/ does not exist");
        CHECK(body_of(w.s.post(search_target(ds), ""))["imageSetsMetadataSummaries"].Size() == 0);
    }
    SUBCASE("an empty folder ends the job FAILED") {
        fs::create_directories(w.object("in-bucket/empty"));
        const auto end = run_import(w, ds, "s3://in-bucket/empty/");
        CHECK(end.status == "FAILED");
        CHECK(end.message.find("holds no objects") != std::string::npos);
    }
    SUBCASE("symbolic links that lead out of the folder are refused, never followed") {
        if (!samples_present({"CT_small.dcm", "MR_small.dcm"})) return;
        // A real DICOM file outside the folder: were the link followed, it would be imported.
        temp_path outside("hil-outside");
        fs::create_directories(outside.path());
        write_file(outside.path() / "ct.dcm", *file_bytes(k_test_files / "CT_small.dcm"));
        w.copy_sample("MR_small.dcm", "in-bucket/links/mr.dcm");
        fs::create_symlink("/etc/passwd", w.object("in-bucket/links/passwd.dcm"));
        fs::create_symlink(outside.path() / "ct.dcm", w.object("in-bucket/links/ct.dcm"));
        fs::create_directory_symlink(outside.path(), w.object("in-bucket/links/dir"));
        // A link inside the folder is fine.
        fs::create_symlink(w.object("in-bucket/links/mr.dcm"), w.object("in-bucket/links/mr-again.dcm"));

        const auto end = run_import(w, ds, "s3://in-bucket/links/");
        REQUIRE_MESSAGE(end.status == "COMPLETED", end.message);
        const auto failures = ndjson(w.read(end.output_uri + "FAILURE/failure.ndjson"));
        std::map<std::string, std::string> refused;
        for (const auto& f : failures) {
            refused[str(f, "/inputFile")] = str(f, "/exception/message");
            CHECK(str(f, "/exception/exceptionType") == "ValidationException");
        }
        constexpr std::string_view leads_out = "a symbolic link that leads outside the S3 folder";
        CHECK(refused["links/passwd.dcm"] == leads_out);
        CHECK(refused["links/ct.dcm"] == leads_out);
        CHECK(refused["links/dir"] == leads_out);  // a folder link leading out is refused, not walked
        // Nothing under the linked directory is listed as imported.
        const auto successes = ndjson(w.read(end.output_uri + "SUCCESS/success.ndjson"));
        std::set<std::string> imported;
        for (const auto& s : successes) imported.insert(str(s, "/inputFile"));
        CHECK(imported.count("links/mr.dcm") == 1);
        CHECK(imported.count("links/mr-again.dcm") == 1);
        CHECK(imported.count("links/ct.dcm") == 0);
        CHECK(imported.count("links/dir/ct.dcm") == 0);
        // Not a structured binding: clang 14 cannot capture one in the lambda CHECK_MESSAGE makes.
        for (const auto& refusal : refused) {
            CHECK_MESSAGE(refusal.second.find("root:") == std::string::npos, refusal.first << ": " << refusal.second);
        }
        const auto manifest = manifest_of(w, end);
        CHECK(num(manifest, "/jobSummary/numberOfFilesWithCustomerError") == static_cast<std::int64_t>(failures.size()));
        // Only the MR patient's image set exists: the CT file outside was never read.
        const auto all = w.s.post(search_target(ds), "");
        const auto summaries = body_of(all);
        REQUIRE(summaries["imageSetsMetadataSummaries"].Size() == 1);
        CHECK(str(summaries["imageSetsMetadataSummaries"][0], "/DICOMTags/DICOMPatientId") == k_mr_patient);
        const auto ct_search = w.s.post(search_target(ds), R"({"filters":[{"values":[{"DICOMPatientId":"1CT1"}],"operator":"EQUAL"}]})");
        CHECK(body_of(ct_search)["imageSetsMetadataSummaries"].Size() == 0);
    }
    SUBCASE("an input key with '..' segments is refused and nothing outside is read") {
        if (!samples_present({"CT_small.dcm"})) return;
        // The folder's sibling holds a DICOM file a '..' would reach.
        const auto sibling = w.dir.path().parent_path() / (w.dir.path().filename().string() + "-sibling");
        write_file(sibling / "ct.dcm", *file_bytes(k_test_files / "CT_small.dcm"));
        const std::string input = "s3://in-bucket/../../" + sibling.filename().string() + "/";
        // StartDICOMImportJob takes it (an S3 key may hold ".."); the importer refuses to read there.
        const auto end = run_import(w, ds, input);
        fs::remove_all(sibling);
        CHECK(end.status == "FAILED");
        CHECK(end.message == "S3 location " + input + " is refused: it climbs out with '..'");
        CHECK(body_of(w.s.post(search_target(ds), ""))["imageSetsMetadataSummaries"].Size() == 0);
        // An output key with them: the job cannot write its outputs there, and stores nothing.
        w.copy_sample("CT_small.dcm", "in-bucket/ok/ct.dcm");
        const auto escape = sibling.filename().string() + "-escape";
        const auto out_end = run_import(w, ds, "s3://in-bucket/ok/", "s3://out-bucket/../../" + escape + "/");
        const bool escaped = fs::exists(w.dir.path().parent_path() / escape);
        fs::remove_all(w.dir.path().parent_path() / escape);
        CHECK_FALSE(escaped);
        CHECK(out_end.status == "FAILED");
        CHECK(out_end.message.rfind("The output cannot be written: S3 location s3://out-bucket/../../" + escape + "/", 0) == 0);
        CHECK(out_end.message.find("is refused: it climbs out with '..'") != std::string::npos);
        CHECK(body_of(w.s.post(search_target(ds), ""))["imageSetsMetadataSummaries"].Size() == 0);
    }
}

TEST_CASE("Import of broken files: each refused in failure.ndjson with a reason, the job still COMPLETED") {
    if (!samples_present({"CT_small.dcm", "MR_truncated.dcm"})) return;
    s3_world w;
    w.copy_sample("CT_small.dcm", "in-bucket/mixed/good.dcm");
    w.copy_sample("MR_truncated.dcm", "in-bucket/mixed/truncated.dcm");
    write_file(w.object("in-bucket/mixed/notes.txt"), "not a DICOM file at all");
    write_file(w.object("in-bucket/mixed/empty.dcm"), "");
    const auto ct = *file_bytes(k_test_files / "CT_small.dcm");
    write_file(w.object("in-bucket/mixed/cut.dcm"), std::string_view(ct).substr(0, 400));
    const auto ds = active_datastore(w.s, "images");
    const auto end = completed_import(w, ds, "s3://in-bucket/mixed/");
    const auto manifest = manifest_of(w, end);
    CHECK(num(manifest, "/jobSummary/numberOfScannedFiles") == 5);
    CHECK(num(manifest, "/jobSummary/numberOfImportedFiles") == 1);
    CHECK(num(manifest, "/jobSummary/numberOfFilesWithCustomerError") == 4);
    CHECK(num(manifest, "/jobSummary/numberOfGeneratedImageSets") == 1);
    const auto failures = ndjson(w.read(end.output_uri + "FAILURE/failure.ndjson"));
    std::map<std::string, std::string> refused;
    for (const auto& f : failures) refused[str(f, "/inputFile")] = str(f, "/exception/message");
    CHECK(refused.size() == 4);
    CHECK(refused["mixed/notes.txt"] == k_no_dicm);
    CHECK(refused["mixed/empty.dcm"] == k_no_dicm);
    CHECK(refused.count("mixed/truncated.dcm") == 1);
    CHECK(refused.count("mixed/cut.dcm") == 1);
    CHECK_FALSE(refused["mixed/truncated.dcm"].empty());
    CHECK(refused.count("mixed/good.dcm") == 0);
}

TEST_CASE("A second import of the same files makes version 2 of the same image set") {
    if (!samples_present({"CT_small.dcm"})) return;
    s3_world w;
    w.copy_sample("CT_small.dcm", "in-bucket/first/ct.dcm");
    w.copy_sample("CT_small.dcm", "in-bucket/again/ct.dcm");
    const auto ds = active_datastore(w.s, "images");
    const auto first = completed_import(w, ds, "s3://in-bucket/first/");
    const auto id = str(manifest_of(w, first), "/jobSummary/imageSetsSummary/0/imageSetId");
    w.s.clock().advance(60'000);
    const auto again = completed_import(w, ds, "s3://in-bucket/again/");
    const auto manifest = manifest_of(w, again);
    CHECK(str(manifest, "/jobSummary/imageSetsSummary/0/imageSetId") == id);
    CHECK(num(manifest, "/jobSummary/imageSetsSummary/0/imageSetVersion") == 2);
    CHECK(flag(manifest, "/jobSummary/imageSetsSummary/0/isPrimary"));
    const auto success = ndjson(w.read(again.output_uri + "SUCCESS/success.ndjson"));
    REQUIRE(success.size() == 1);
    CHECK(str(success[0], "/importResponse/imageSetId") == id);
    CHECK(num(success[0], "/importResponse/imageSetVersion") == 2);

    const auto latest = body_of(w.s.post(image_set_target(ds, id, "getImageSet"), ""));
    CHECK(str(latest, "/versionId") == "2");
    CHECK(latest["createdAt"].GetDouble() == doctest::Approx(static_cast<double>(k_t0) / 1000.0));
    CHECK(latest["updatedAt"].GetDouble() == doctest::Approx(static_cast<double>(k_t0 + 60'000) / 1000.0));
    CHECK(str(body_of(w.s.post(image_set_target(ds, id, "getImageSet", "version=1"), "")), "/versionId") == "1");

    const auto versions = w.s.post(image_set_target(ds, id, "listImageSetVersions"), "");
    REQUIRE_MESSAGE(versions.result_int() == 200, versions.body());
    check_common_headers(versions);
    const auto list = body_of(versions);
    REQUIRE(list["imageSetPropertiesList"].Size() == 2);
    CHECK(str(list["imageSetPropertiesList"][0], "/versionId") == "2");
    CHECK(str(list["imageSetPropertiesList"][1], "/versionId") == "1");
    for (const auto& v : list["imageSetPropertiesList"].GetArray()) {
        CHECK(str(v, "/imageSetId") == id);
        CHECK(str(v, "/imageSetState") == "ACTIVE");
        CHECK(str(v, "/ImageSetWorkflowStatus") == "IMPORTED");
    }
    // Paged one at a time: the same two, newest first.
    const auto page1 = w.s.post(image_set_target(ds, id, "listImageSetVersions", "maxResults=1"), "");
    REQUIRE(page1.result_int() == 200);
    CHECK(ids_in(page1, "imageSetPropertiesList", "versionId") == std::vector<std::string>{"2"});
    const auto token = next_token_of(page1);
    REQUIRE(token.has_value());
    const auto page2 = w.s.post(
        image_set_target(ds, id, "listImageSetVersions", "maxResults=1&nextToken=" + percent_encode(*token)), "");
    REQUIRE(page2.result_int() == 200);
    CHECK(ids_in(page2, "imageSetPropertiesList", "versionId") == std::vector<std::string>{"1"});

    // The instance was replaced, not added: still one instance and one frame, and it decodes.
    const auto metadata = metadata_of(w, ds, id);
    const auto frames = frames_in(metadata);
    REQUIRE(frames.size() == 1);
    check_frame(w, ds, id, frames[0]);
    // The first version's metadata is still served.
    CHECK(frames_in(metadata_of(w, ds, id, "version=1")).size() == 1);
    // Search shows the latest version once.
    const auto found = body_of(w.s.post(search_target(ds), ""));
    REQUIRE(found["imageSetsMetadataSummaries"].Size() == 1);
    CHECK(num(found["imageSetsMetadataSummaries"][0], "/version") == 2);

    // Deleting the image set deletes every version of it.
    REQUIRE(w.s.post(image_set_target(ds, id, "deleteImageSet"), "").result_int() == 200);
    CHECK(str(body_of(w.s.post(image_set_target(ds, id, "getImageSet", "version=1"), "")), "/imageSetState") == "DELETED");
    CHECK(w.s.post(image_set_target(ds, id, "getImageSetMetadata", "version=1"), "").result_int() == 404);
    const auto after = w.s.post(image_set_target(ds, id, "listImageSetVersions"), "");
    CHECK(ids_in(after, "imageSetPropertiesList", "imageSetState") == std::vector<std::string>{"DELETED", "DELETED"});
}

TEST_CASE("The control API's image set reads: a datastore's list, one image set's properties, versions and metadata") {
    if (!samples_present({"CT_small.dcm"})) return;
    s3_world w;
    w.copy_sample("CT_small.dcm", "in-bucket/first/ct.dcm");
    w.copy_sample("CT_small.dcm", "in-bucket/again/ct.dcm");
    const auto ds = active_datastore(w.s, "images");
    CHECK(body_of(w.s.get("/_emulator/image-sets?datastoreId=" + ds))["imageSets"].Size() == 0);
    const auto first = completed_import(w, ds, "s3://in-bucket/first/");
    const auto id = str(manifest_of(w, first), "/jobSummary/imageSetsSummary/0/imageSetId");
    w.s.clock().advance(60'000);
    completed_import(w, ds, "s3://in-bucket/again/");

    const auto list = w.s.get("/_emulator/image-sets?datastoreId=" + ds);
    REQUIRE_MESSAGE(list.result_int() == 200, list.body());
    const auto sets = body_of(list);
    REQUIRE(sets["imageSets"].Size() == 1);
    const auto& listed = sets["imageSets"][0];
    CHECK(str(listed, "/imageSetId") == id);
    CHECK(str(listed, "/datastoreId") == ds);
    CHECK(str(listed, "/versionId") == "2");
    CHECK(str(listed, "/imageSetState") == "ACTIVE");
    CHECK(str(listed, "/DICOMTags/DICOMPatientId") == "1CT1");

    // The answers of GetImageSet, ListImageSetVersions and GetImageSetMetadata (not gzipped), side by side.
    const auto detail = w.s.get("/_emulator/image-sets/" + ds + "/" + id);
    REQUIRE_MESSAGE(detail.result_int() == 200, detail.body());
    const auto doc = body_of(detail);
    CHECK(doc["imageSet"] == body_of(w.s.post(image_set_target(ds, id, "getImageSet"), "")));
    CHECK(doc["versions"] == body_of(w.s.post(image_set_target(ds, id, "listImageSetVersions"), "")));
    CHECK(doc["metadata"] == metadata_of(w, ds, id));
    const auto old = body_of(w.s.get("/_emulator/image-sets/" + ds + "/" + id + "?version=1"));
    CHECK(str(old, "/imageSet/versionId") == "1");
    CHECK(old["metadata"] == metadata_of(w, ds, id, "version=1"));

    // A missing or unknown datastore, image set or version, and a version that is not a number.
    CHECK(w.s.get("/_emulator/image-sets").result_int() == 400);
    CHECK(w.s.get("/_emulator/image-sets?datastoreId=ffffffffffffffffffffffffffffffff").result_int() == 404);
    CHECK(w.s.get("/_emulator/image-sets/" + ds + "/ffffffffffffffffffffffffffffffff").result_int() == 404);
    CHECK(w.s.get("/_emulator/image-sets/" + ds + "/" + id + "?version=9").result_int() == 404);
    CHECK(w.s.get("/_emulator/image-sets/" + ds + "/" + id + "?version=x").result_int() == 400);
}

// CT_small with another PatientID of the same length (explicit VR little endian: tag, "LO", length 4).
std::optional<std::string> ct_of_other_patient() {
    auto bytes = file_bytes(k_test_files / "CT_small.dcm");
    if (!bytes) return std::nullopt;
    const std::string element("\x10\x00\x20\x00LO\x04\x00" "1CT1", 12);
    const auto at = bytes->find(element);
    if (at == std::string::npos || bytes->find(element, at + 1) != std::string::npos) return std::nullopt;
    bytes->replace(at + 8, 4, "9XX9");
    return bytes;
}

TEST_CASE("A conflicting series (same SeriesInstanceUID, other PatientID) becomes a non-primary image set") {
    if (!samples_present({"CT_small.dcm"})) return;
    const auto other = ct_of_other_patient();
    if (!other) {
        MESSAGE("skipped: CT_small.dcm's PatientID element is not where this test patches it");
        return;
    }
    s3_world w;
    w.copy_sample("CT_small.dcm", "in-bucket/first/ct.dcm");
    write_file(w.object("in-bucket/conflict/ct.dcm"), *other);
    const auto ds = active_datastore(w.s, "images");
    const auto first = completed_import(w, ds, "s3://in-bucket/first/");
    const auto primary = str(manifest_of(w, first), "/jobSummary/imageSetsSummary/0/imageSetId");
    const auto second = completed_import(w, ds, "s3://in-bucket/conflict/");
    const auto manifest = manifest_of(w, second);
    REQUIRE(num(manifest, "/jobSummary/numberOfGeneratedImageSets") == 1);
    const auto conflict = str(manifest, "/jobSummary/imageSetsSummary/0/imageSetId");
    CHECK(conflict != primary);
    CHECK_FALSE(flag(manifest, "/jobSummary/imageSetsSummary/0/isPrimary"));
    CHECK(num(manifest, "/jobSummary/imageSetsSummary/0/imageSetVersion") == 1);
    const auto success = ndjson(w.read(second.output_uri + "SUCCESS/success.ndjson"));
    REQUIRE(success.size() == 1);
    CHECK_FALSE(flag(success[0], "/importResponse/isPrimary"));

    CHECK_FALSE(flag(body_of(w.s.post(image_set_target(ds, conflict, "getImageSet"), "")), "/isPrimary"));
    CHECK(flag(body_of(w.s.post(image_set_target(ds, primary, "getImageSet"), "")), "/isPrimary"));
    CHECK(str(body_of(w.s.post(image_set_target(ds, primary, "getImageSet"), "")), "/versionId") == "1");
    CHECK(str(metadata_of(w, ds, conflict), "/Patient/DICOM/PatientID") == "9XX9");
    // isPrimary is a search criterion.
    const auto primaries = w.s.post(search_target(ds), R"({"filters":[{"values":[{"isPrimary":true}],"operator":"EQUAL"}]})");
    REQUIRE_MESSAGE(primaries.result_int() == 200, primaries.body());
    CHECK(ids_in(primaries, "imageSetsMetadataSummaries", "imageSetId") == std::vector<std::string>{primary});
    const auto others = w.s.post(search_target(ds), R"({"filters":[{"values":[{"isPrimary":false}],"operator":"EQUAL"}]})");
    CHECK(ids_in(others, "imageSetsMetadataSummaries", "imageSetId") == std::vector<std::string>{conflict});
}

TEST_CASE("Within one job, the second group of a series with other values is the non-primary one") {
    if (!samples_present({"CT_small.dcm"})) return;
    const auto other = ct_of_other_patient();
    if (!other) return;
    s3_world w;
    w.copy_sample("CT_small.dcm", "in-bucket/both/a.dcm");
    write_file(w.object("in-bucket/both/b.dcm"), *other);
    const auto ds = active_datastore(w.s, "images");
    const auto end = completed_import(w, ds, "s3://in-bucket/both/");
    const auto manifest = manifest_of(w, end);
    REQUIRE(num(manifest, "/jobSummary/numberOfGeneratedImageSets") == 2);
    CHECK(flag(manifest, "/jobSummary/imageSetsSummary/0/isPrimary"));
    CHECK_FALSE(flag(manifest, "/jobSummary/imageSetsSummary/1/isPrimary"));
    const auto non_primary = str(manifest, "/jobSummary/imageSetsSummary/1/imageSetId");
    CHECK(str(metadata_of(w, ds, non_primary), "/Patient/DICOM/PatientID") == "9XX9");
}

}  // namespace
}  // namespace hil::test

namespace hil::test {
namespace {

TEST_CASE("Fixture imports run before the server listens, and reset keeps what they made") {
    if (!samples_present({"CT_small.dcm"})) return;
    temp_path dir{"hil-s3"};
    write_file(dir.path() / "seed-input" / "ct" / "ct.dcm", *file_bytes(k_test_files / "CT_small.dcm"));
    const std::string ds(32, 'a');
    cp_server s{s3_config(dir), R"({"region": "*", "datastores": [{"datastoreId": ")" + ds +
                                    R"(", "datastoreName": "seeded", "datastoreStatus": "ACTIVE"}],
        "imports": [{"datastoreId": ")" + ds + R"(", "inputS3Uri": "s3://seed-input/ct/", "outputS3Uri": "s3://seed-output/"}]})"};
    // No polling: the image set is there at the first call.
    const auto found = s.post(search_target(ds), "");
    REQUIRE(found.result_int() == 200);
    CHECK(body_of(found)["imageSetsMetadataSummaries"].Size() == 1);
    const auto jobs = body_of(s.get("/listDICOMImportJobs/datastore/" + ds));
    REQUIRE(jobs["jobSummaries"].Size() == 1);
    CHECK(str(jobs["jobSummaries"][0], "/jobStatus") == "COMPLETED");
    CHECK(fs::exists(dir.path() / "seed-output"));
    REQUIRE(s.post("/_emulator/reset", "").result_int() == 200);
    CHECK(body_of(s.post(search_target(ds), ""))["imageSetsMetadataSummaries"].Size() == 1);
    // At run time, imports are refused: StartDICOMImportJob is the way.
    const auto refused = s.post("/_emulator/fixtures", R"({"imports": [{"datastoreId": ")" + ds +
                                                           R"(", "inputS3Uri": "s3://seed-input/ct/", "outputS3Uri": "s3://seed-output/"}]})");
    CHECK(refused.result_int() == 400);
}

}  // namespace
}  // namespace hil::test
