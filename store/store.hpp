// store: the emulator's datastores and import jobs, kept in SQLite.
//
// Thread safety: a store is safe to use from any number of threads; every call takes one
// internal mutex, because a single SQLite connection (and its prepared statements) must
// not be used by two threads at once. Each call is atomic: a poll's read-advance-write of
// a job's progression cannot interleave with another call.
// Ownership: the store owns its connection and every prepared statement; none escape.
// Failures: every SQLite failure is returned as InternalServerException carrying SQLite's
// own message; it is never reported as "not found".
// Baseline: mark_baseline() records "the start-up state"; reset_to_baseline() returns to
// it. The copy is taken lazily, just before the first change after mark_baseline(), so a
// store that is only read never pays for it.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "api/result.hpp"
#include "store/model.hpp"

namespace hil::store {

struct store_counts {
    std::uint64_t datastores = 0;
    std::uint64_t jobs = 0;
};

struct store_contents {
    std::vector<datastore> datastores;  // by id
    std::vector<import_job> jobs;       // by datastore id, then job id
};

enum class load_mode { merge, replace };

class store {
public:
    // Opens the database at `path`, or a private in-memory one when `path` is empty or
    // ":memory:". A file is created if missing, put in WAL mode and given the schema;
    // data already in it stays. Error: InternalServerException naming the path and cause.
    static api::result<std::unique_ptr<store>> open(const std::string& path);

    ~store();
    store(const store&) = delete;
    store& operator=(const store&) = delete;

    // The job `job_id` of datastore `datastore_id`, as stored (no progression applied).
    // Errors: ResourceNotFoundException when the datastore does not exist, or it has no such
    // job (a job of another datastore is not found); InternalServerException on SQLite failure.
    api::result<import_job> find_import_job(std::string_view datastore_id, std::string_view job_id);

    // GetDICOMImportJob: the job as answered at `now`, counting the poll and storing any
    // progression step it reaches (see progression.hpp). Errors as find_import_job.
    api::result<import_job> poll_import_job(std::string_view datastore_id, std::string_view job_id,
                                            api::epoch_millis now);

    // Whether a datastore with this id exists.
    api::result<bool> has_datastore(std::string_view datastore_id);

    // Writes the rows in one transaction: all of them or, on any failure, none. `merge`
    // inserts or replaces by id; `replace` first removes every datastore and job.
    // REQUIRES: every job's datastore is in `datastores` or (merge) already stored.
    api::status load(const std::vector<datastore>& datastores, const std::vector<import_job>& jobs,
                     load_mode mode = load_mode::merge);
    api::status upsert(const std::vector<datastore>& datastores, const std::vector<import_job>& jobs) {
        return load(datastores, jobs, load_mode::merge);
    }

    // Everything stored, with time-based progression steps due at `now` applied.
    api::result<store_contents> contents(api::epoch_millis now);

    api::result<store_counts> counts();

    // Records the current contents, as of `now`, as the state reset_to_baseline() returns to.
    api::status mark_baseline(api::epoch_millis now = 0);
    // Restores the marked rows, then moves every progression's started_at forward by the
    // time since the mark, so that at `now` each time-based progression is exactly as far
    // along as it was at the mark (a reset restarts its clock). Pass times from one clock.
    api::status reset_to_baseline(api::epoch_millis now = 0);

private:
    struct impl;
    explicit store(std::unique_ptr<impl> state);
    std::unique_ptr<impl> impl_;
};

}  // namespace hil::store
