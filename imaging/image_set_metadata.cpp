// The GetImageSetMetadata document of one image set (api-surface 6.1), built from the
// instances' level objects, which are embedded as they are.
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "imaging/dicom_import.hpp"

namespace hil::imaging {
namespace {

using json_writer = rapidjson::Writer<rapidjson::StringBuffer>;

void key(json_writer& w, std::string_view name) {
    w.Key(name.data(), static_cast<rapidjson::SizeType>(name.size()));
}
void text(json_writer& w, std::string_view value) {
    w.String(value.data(), static_cast<rapidjson::SizeType>(value.size()));
}
void object_text(json_writer& w, const std::string& json) {
    if (json.empty()) {
        w.StartObject();
        w.EndObject();
    } else {
        w.RawValue(json.c_str(), json.size(), rapidjson::kObjectType);
    }
}

void write_instance(json_writer& w, const dicom_instance& instance) {
    w.StartObject();
    key(w, "DICOM");
    object_text(w, instance.instance_dicom);
    key(w, "DICOMVRs");
    object_text(w, instance.instance_dicom_vrs);
    key(w, "StoredTransferSyntaxUID");
    // Without frames nothing is stored; AWS documents a missing or null value as "4.202".
    if (instance.stored_transfer_syntax_uid.empty()) {
        w.Null();
    } else {
        text(w, instance.stored_transfer_syntax_uid);
    }
    key(w, "ChecksumType");
    text(w, "DECOMPRESSED");
    key(w, "ImageFrames");
    w.StartArray();
    for (const auto& frame : instance.frames) {
        w.StartObject();
        key(w, "ID");
        text(w, frame.id);
        key(w, "PixelDataChecksumFromBaseToFullResolution");
        w.StartArray();
        w.StartObject();
        key(w, "Width");
        w.Uint(frame.width);
        key(w, "Height");
        w.Uint(frame.height);
        key(w, "Checksum");
        w.Uint(frame.checksum);
        w.EndObject();
        w.EndArray();
        key(w, "MinPixelValue");
        w.Int64(frame.min_value);
        key(w, "MaxPixelValue");
        w.Int64(frame.max_value);
        key(w, "FrameSizeInBytes");
        w.Uint64(frame.codestream.size());
        w.EndObject();
    }
    w.EndArray();
    w.EndObject();
}

}  // namespace

std::string image_set_metadata(std::string_view datastore_id, std::string_view image_set_id,
                               std::span<const dicom_instance* const> instances) {
    rapidjson::StringBuffer buffer;
    json_writer w(buffer);
    const dicom_instance& first = *instances.front();
    w.StartObject();
    key(w, "SchemaVersion");
    text(w, "1.1");
    key(w, "DatastoreID");
    text(w, datastore_id);
    key(w, "ImageSetID");
    text(w, image_set_id);
    key(w, "Patient");
    w.StartObject();
    key(w, "DICOM");
    object_text(w, first.patient_dicom);
    w.EndObject();
    key(w, "Study");
    w.StartObject();
    key(w, "DICOM");
    object_text(w, first.study_dicom);
    key(w, "Series");
    w.StartObject();
    key(w, first.series_instance_uid);
    w.StartObject();
    key(w, "DICOM");
    object_text(w, first.series_dicom);
    key(w, "Instances");
    w.StartObject();
    for (const dicom_instance* instance : instances) {
        key(w, instance->sop_instance_uid);
        write_instance(w, *instance);
    }
    w.EndObject();  // Instances
    w.EndObject();  // the series
    w.EndObject();  // Series
    w.EndObject();  // Study
    w.EndObject();
    return std::string(buffer.GetString(), buffer.GetSize());
}

}  // namespace hil::imaging
