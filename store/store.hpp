// store: the emulator's datastores and import jobs, kept in SQLite.
//
// Thread safety: a store is safe to use from any number of threads; every call takes one
// internal mutex, because a single SQLite connection (and its prepared statements) must
// not be used by two threads at once.
// Ownership: the store owns its connection and every prepared statement; none escape.
// Failures: every SQLite failure is returned as InternalServerException carrying SQLite's
// own message; it is never reported as "not found".
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

class store {
public:
    // Opens the database at `path`, or a private in-memory one when `path` is empty or
    // ":memory:". A file is created if missing, put in WAL mode and given the schema;
    // data already in it stays. Error: InternalServerException naming the path and cause.
    static api::result<std::unique_ptr<store>> open(const std::string& path);

    ~store();
    store(const store&) = delete;
    store& operator=(const store&) = delete;

    // The job `job_id` of datastore `datastore_id`.
    // Errors: ResourceNotFoundException when the datastore does not exist, or it has no such
    // job (a job of another datastore is not found); InternalServerException on SQLite failure.
    api::result<import_job> find_import_job(std::string_view datastore_id, std::string_view job_id);

    // Whether a datastore with this id exists.
    api::result<bool> has_datastore(std::string_view datastore_id);

    // Inserts or replaces the given rows in one transaction: all of them or, on any
    // failure, none. REQUIRES: every job's datastore is in `datastores` or already stored.
    api::status upsert(const std::vector<datastore>& datastores, const std::vector<import_job>& jobs);

    api::result<store_counts> counts();

private:
    struct impl;
    explicit store(std::unique_ptr<impl> state);
    std::unique_ptr<impl> impl_;
};

}  // namespace hil::store
