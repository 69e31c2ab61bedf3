// dicom_importer: what StartDICOMImportJob does when the emulator has a local S3 folder
// (--s3-dir): read every object under the job's inputS3Uri, turn each DICOM P10 file into
// image-set content (imaging/), group the instances into image sets as AWS does, and write
// the image sets, the job's end and its output files.
//
// A job runs on the importer's own thread, its files decoded on `threads` workers, never on
// the I/O threads. The job is IN_PROGRESS while it runs; its image sets and its COMPLETED (or
// FAILED) status are written in one store transaction, after the output files, so a client
// that sees COMPLETED finds the manifest, and a crash leaves all or none of a job's image sets.
//
// Grouping (AWS's "Understanding image sets"): instances with the same PatientID,
// StudyInstanceUID, SeriesInstanceUID, StudyDate, AccessionNumber, StudyID and SeriesNumber
// form one image set. When the datastore already holds a primary image set of that series
// with the same values, the instances join it as a new version (an instance already there is
// replaced); when it holds one with other values, the group becomes a non-primary image set.
//
// Failures: a file AWS would refuse goes to FAILURE/failure.ndjson and the job still ends
// COMPLETED; the job ends FAILED, with a message saying why, only when its input cannot be
// read at all (no such prefix, nothing there, too many files or bytes) or its outputs cannot
// be written.
// Thread safety: start() may be called from any thread. The destructor waits for running jobs.
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "api/clock.hpp"
#include "imaging/codec_library.hpp"
#include "server/logger.hpp"
#include "server/request_ids.hpp"
#include "store/s3_folder.hpp"
#include "store/store.hpp"

namespace hil::server {

// AWS's per-job limits (contract.md section 7).
struct import_limits {
    std::size_t max_files = 5000;
    std::uint64_t max_total_bytes = 10ull << 30;
    std::uint64_t max_file_bytes = 4ull << 30;
};

class dicom_importer {
public:
    dicom_importer(store::store& data, store::s3_folder folder, const api::clock& clock, resource_ids& ids, logger& log,
                   unsigned threads, import_limits limits = {});
    ~dicom_importer();
    dicom_importer(const dicom_importer&) = delete;
    dicom_importer& operator=(const dicom_importer&) = delete;

    // Queues `job` (just stored as SUBMITTED with reads_files set).
    void start(store::import_job job);
    // Blocks until every queued job has ended (start-up imports, tests).
    void wait_idle();

private:
    void run_queue();
    void run(const store::import_job& job);

    store::store& data_;
    const store::s3_folder folder_;
    const api::clock& clock_;
    resource_ids& ids_;
    logger& log_;
    const unsigned threads_;
    const import_limits limits_;
    std::mutex mutex_;  // guards queue_, busy_, stopping_
    std::condition_variable changed_;
    std::deque<store::import_job> queue_;
    bool busy_ = false;
    bool stopping_ = false;
    std::atomic<bool> stop_now_{false};  // set by the destructor: a running job gives up between files
    const imaging::codec_library codecs_;  // loaded by the first file a job reads
    std::thread worker_;
};

// The search attributes of a metadata document (JSON text): DICOMTags of SearchImageSets.
store::dicom_tags dicom_tags_of(std::string_view metadata);

// What an import matches an image set by: its PatientID, StudyInstanceUID, SeriesInstanceUID,
// StudyDate, AccessionNumber, StudyID and SeriesNumber (as a number), trimmed.
std::string grouping_key(const store::dicom_tags& tags);

// GetImageFrame's Content-Type for frames stored in `transfer_syntax` (the model's table).
std::string_view frame_content_type(std::string_view transfer_syntax);

}  // namespace hil::server
