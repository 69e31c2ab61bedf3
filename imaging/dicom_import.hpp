// imaging: what AWS HealthImaging stores for one DICOM P10 file — its metadata, split by
// level as AWS normalises it, and its frames as HTJ2K codestreams — and the image-set
// metadata document built from those instances.
//
// This layer knows DICOM, HTJ2K, JPEG 2000, CRC32 and gzip; it knows nothing of HTTP, SQLite
// or the store. Inputs are bytes in memory, outputs are values.
// Errors: nothing here throws. read_instance returns an import_refusal for every file AWS
// would list in failure.ndjson; the other calls return nothing (std::nullopt) when the
// input cannot be read.
// Thread safety: every function is safe to call from any number of threads at once. (DCMTK's
// codec registry is process-wide; it is filled once, on first use, and only read afterwards.)
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace hil::imaging {

// One image frame as GetImageFrame returns it, with what the metadata says about it.
struct stored_frame {
    std::string id;                        // left empty here; the caller assigns it
    // The stored frame: a lossless HTJ2K (reversible 5/3, RPCL) codestream, SOC FF4F first;
    // for syntaxes AWS keeps as imported (JPEG baseline 4.50, JPEG 2000 4.91, HTJ2K 4.202 and
    // 4.203) the original compressed bytes of the frame.
    std::vector<std::uint8_t> codestream;
    std::uint32_t width = 0, height = 0;
    // CRC32 (zlib) over the decoded full-resolution pixels, as AWS's verification code computes
    // it: little-endian samples, interleaved, row-major, 1 byte a sample for BitsAllocated 8, 2
    // for 16 (packed bits as stored for BitsAllocated 1).
    std::uint32_t checksum = 0;
    std::int64_t min_value = 0, max_value = 0;  // over all samples of the frame
};

// One SOP instance, as an import job turns it into image-set content.
struct dicom_instance {
    std::string study_instance_uid, series_instance_uid, sop_instance_uid;
    // The elements AWS groups instances by (raw values, trailing padding trimmed; empty when
    // absent).
    std::string patient_id, study_date, accession_number, study_id, series_number;
    std::string original_transfer_syntax_uid;  // the file's (meta header) TransferSyntaxUID
    // "1.2.840.10008.1.2.4.202" when the frames were transcoded to HTJ2K; the original syntax
    // when AWS keeps it; "1.2.840.10008.1.2.1" for binary (1-bit) frames, kept raw; empty for
    // an instance without pixel data.
    std::string stored_transfer_syntax_uid;
    // The instance's metadata split by level (api-surface 6.1), each the text of a JSON object
    // keyed by DICOM keyword, e.g. {"PatientID":"NOID","PatientName":"NAME^NONE"}.
    std::string patient_dicom, study_dicom, series_dicom, instance_dicom;
    // {"001910F9":"DS"}: the VR of each instance-level element keyed by tag, not keyword
    // (private or unknown tags); "{}" when there is none.
    std::string instance_dicom_vrs;
    std::vector<stored_frame> frames;  // empty for instances without pixel data (SR, RTPLAN, ...)
};

// Why a file is not imported: one line of failure.ndjson.
struct import_refusal {
    std::string exception_type = "ValidationException";  // failure.ndjson's "exceptionType"
    std::string message;                                 // AWS's form, see dicom_import.cpp
};

// Reads one DICOM P10 file. Refuses (with the messages listed in dicom_import.cpp) a file that
// is not DICOM P10, lacks a required UID or the TransferSyntaxUID, uses a transfer syntax or a
// pixel layout that is not supported, or whose pixel data cannot be decoded.
// Never throws.
std::variant<dicom_instance, import_refusal> read_instance(std::span<const std::uint8_t> p10_file);

// A frame decoded from an HTJ2K codestream. `pixels` is in the layout the checksum covers:
// little-endian samples (1 byte when bit_depth <= 8, else 2; two's complement when signed),
// components interleaved, rows top to bottom.
struct decoded_frame {
    std::uint32_t width = 0, height = 0;
    std::uint16_t components = 0;
    std::uint16_t bit_depth = 0;
    bool is_signed = false;
    std::vector<std::uint8_t> pixels;
};
// Nothing when the bytes are not a decodable HTJ2K codestream (a plain JPEG 2000 part 1 one, as
// kept for 4.91, is refused too), or use a bit depth above 16 or subsampled components.
std::optional<decoded_frame> decode_htj2k(std::span<const std::uint8_t> codestream);

// CRC32 as zlib's crc32 computes it.
std::uint32_t pixel_checksum(std::span<const std::uint8_t> pixels);

// The GetImageSetMetadata document (before gzip) of one image set made of `instances`, all of
// one series; Patient, Study and Series level DICOM come from the first instance (they agree
// by construction of the group). Instances are listed in the order given; a frame's "ID" is
// its stored_frame::id. REQUIRES: instances is not empty and holds no null pointer.
std::string image_set_metadata(std::string_view datastore_id, std::string_view image_set_id,
                               std::span<const dicom_instance* const> instances);

// gzip (RFC 1952) of a text, for GetImageSetMetadata's body.
std::string gzip(std::string_view text);
// Nothing when `bytes` is not one complete gzip member.
std::optional<std::string> gunzip(std::string_view bytes);

}  // namespace hil::imaging
