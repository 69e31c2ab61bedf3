// What UpdateImageSetMetadata and CopyImageSet do to a metadata document (the JSON text
// GetImageSetMetadata gunzips to), as the devguide's "Modifying image sets" describes:
//
//   updatableAttributes  a partial document ({"SchemaVersion": 1.1, "Patient": {"DICOM": {...}},
//                        "Study": {"DICOM": {...}, "Series": {"<uid>": {"DICOM": {...},
//                        "Instances": {"<uid>": {"DICOM": {...}}}}}}}) whose DICOM members are
//                        set (added or replaced) where it names them.
//   removableAttributes  the same form; a DICOM member it names goes, and an instance or series
//                        given as {} goes whole.
//   copiableAttributes   the same form, naming the series and instances to copy ({} = all of it).
//
// Changing StudyInstanceUID, SeriesInstanceUID, SOPInstanceUID or StudyID, or a private
// (hex-keyed) element, needs force=true, as AWS documents. Nothing outside DICOM members, or
// whole instances and series, can be changed: frames and checksums stay what the import made.
// Thread safety: stateless; safe from any thread.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/result.hpp"

namespace hil::server {

// `metadata` with the updates applied. Errors: ValidationException for a document that is not
// JSON, names a series or instance the image set does not hold, changes a member outside
// DICOM, or changes what needs force without it.
api::result<std::string> updated_metadata(std::string_view metadata, const std::optional<std::string>& updatable,
                                          const std::optional<std::string>& removable, bool force);

// The Patient and Study.DICOM parts of an update document (its Series dropped), for the other
// image sets of a study (includeStudyImageSets); nothing when no such part is left or the
// document is not JSON (the image set's own update reports that).
std::optional<std::string> study_level_only(std::string_view update);

// The result of a copy: the destination's new document and the frames it takes from the source.
struct copy_outcome {
    std::string metadata;
    std::vector<std::string> frame_ids;  // of the source's frames now in the destination
    bool consistent = true;              // the source and destination agree on Patient/Study/Series
};

// The source's instances that `copiable` names (all when absent) put into `destination` (a new
// image set's empty document when absent), the ImageSetID set to `destination_id`. A copy into
// an image set whose Patient, Study or Series DICOM differ from the source's is refused
// (consistent = false) unless `force`. Errors: ValidationException for a copiable document
// that is not JSON or names what the source does not hold.
api::result<copy_outcome> copied_metadata(std::string_view source, const std::optional<std::string>& copiable,
                                          const std::optional<std::string>& destination,
                                          std::string_view destination_id, bool force);

}  // namespace hil::server
