// The emulator's data: what the store holds and the fixture files describe, in the API's
// own terms. Plain values; validation happens where they are read in (fixture_loader).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "api/api_error.hpp"
#include "api/clock.hpp"

namespace hil::store {

struct datastore {
    std::string datastore_id;
    std::string datastore_name;
    std::string datastore_status;
};

// One status a job will move to, once the job has been polled `after_polls` times in all,
// or `after_millis` have passed since its progression started (exactly one of the two).
struct progression_step {
    std::string job_status;
    std::optional<std::uint64_t> after_polls;
    std::optional<api::epoch_millis> after_millis;
    std::optional<std::string> message;             // replaces the job's message when reached
    std::optional<api::epoch_millis> ended_at;      // default for COMPLETED/FAILED: the moment reached
};

// Where a job is along its progression.
struct job_progress {
    std::uint64_t polls = 0;            // GetDICOMImportJob answers given for this job
    std::uint64_t steps_reached = 0;    // how many leading steps have been applied
    api::epoch_millis started_at = 0;   // the origin of after_millis
};

struct import_job {
    std::string job_id;
    std::string datastore_id;
    std::string job_name;
    std::string job_status;
    std::string data_access_role_arn;
    std::string input_s3_uri;
    std::string output_s3_uri;
    std::optional<api::epoch_millis> submitted_at;
    std::optional<api::epoch_millis> ended_at;
    std::optional<std::string> message;
    std::vector<progression_step> progression;  // empty: the job never changes by itself
    job_progress progress;
};

// A scripted misbehaviour. Absent match members match anything. A rule does at least one
// of: answer with `error`, wait `delay_millis` first, or drop the connection unanswered.
struct fault_rule {
    std::string id;  // unique among the rules; assigned when empty
    // match
    std::optional<std::string> operation;
    std::optional<std::string> datastore_id;
    std::optional<std::string> job_id;
    std::optional<std::string> access_key_id;  // from the SigV4 Authorization header
    // action
    std::optional<api::error_code> error;
    std::string message;                         // empty: the error table's default message
    std::optional<std::uint32_t> retry_after;    // seconds, sent as Retry-After with the error
    std::uint32_t delay_millis = 0;
    bool drop_connection = false;
    // budget
    std::optional<std::uint64_t> times;  // fire for the next N eligible matches only; absent: always
    std::uint64_t after = 0;             // let the first N matches through first
    std::optional<double> probability;   // 0..1: fire on this share of eligible matches
    std::optional<std::uint64_t> seed;   // makes the probability draws repeat exactly
    // bookkeeping
    std::uint64_t fired = 0;
};

}  // namespace hil::store
