// store: the emulator's datastores, import jobs, tags and import rules, kept in SQLite.
//
// Verbs per resource, each taking the caller's scope (account and region): a resource of
// another account, or of another region, is not found. A datastore loaded from fixtures
// without a region is seen from every region.
// Thread safety: a store is safe to use from any number of threads. Reads run on reader
// connections of their own, one per reading thread at a time, each in a read transaction on
// the last committed state (SQLite's WAL), so a read never waits for a write, however long.
// Writes run one at a time on the one writer connection; each call is atomic: a poll's
// read-advance-write of a progression, or a create's idempotency and quota checks, cannot
// interleave with another write. A poll is a write only when a step not reached yet waits for
// polls (it must be counted); any other poll is a read.
// Storage: with a --db path the database is that file; without one ("in memory") it is a file
// in a private scratch directory under $TMPDIR (else /tmp), removed when the store closes, so
// the OS page cache, not the heap, holds a big store.
// Ownership: the store owns its connections and every prepared statement; none escape.
// Failures: every SQLite failure is returned as InternalServerException carrying SQLite's
// own message; it is never reported as "not found".
// Baseline: mark_baseline() records "the start-up state"; reset_to_baseline() returns to
// it. Both are page-level copies of the whole database (SQLite's backup API, so no table can
// be forgotten) into and out of a file in the scratch directory. The mark is taken at start-up,
// before the server listens, so no client's request ever waits for it. A reset copies the
// marked state back in place as one write: readers read the state before it until it commits.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/result.hpp"
#include "store/model.hpp"

namespace hil::store {

struct store_counts {
    std::uint64_t datastores = 0;
    std::uint64_t jobs = 0;
    std::uint64_t import_rules = 0;
    std::uint64_t image_sets = 0;
};

enum class load_mode { merge, replace };

// One namespace, or several: what a control call narrows to (absent members match all). A
// datastore seen from every region belongs to no one region, so a region narrows it out.
struct namespace_filter {
    std::optional<std::string> account_id;
    std::optional<std::string> region;
    bool everything() const { return !account_id && !region; }
    bool matches(const datastore& d) const {
        return (!account_id || d.account_id == *account_id) && (!region || d.region == *region);
    }
};

// One page of a list: the items, and where the next page starts (nothing: this is the last).
template <class Item>
struct page {
    std::vector<Item> items;
    std::optional<std::string> next_position;  // opaque to callers; given back as page_request::after
};

struct page_request {
    std::optional<std::string> after;  // a next_position of the same list; nothing: the first page
    std::size_t limit = 50;
};

// What lifecycles and quotas the server applies to resources made through the API.
struct lifecycle_policy {
    std::vector<progression_step> datastore_create;  // CreateDatastore: from CREATING
    std::vector<progression_step> datastore_delete;  // DeleteDatastore: from DELETING
    std::vector<progression_step> import_job;        // StartDICOMImportJob, unless the datastore or a rule says otherwise
    std::uint64_t max_datastores = 100;              // per account and region, DELETED ones not counted
    std::uint64_t max_concurrent_imports = 100;      // SUBMITTED or IN_PROGRESS jobs per datastore
};

struct store_options {
    std::string path;                 // empty or ":memory:": a private in-memory database
    int busy_timeout_millis = 5000;   // how long a write waits for another process's lock
};

// SQLite's process-wide settings for a server: each connection's page cache takes pages from
// malloc one by one as it needs them, instead of one block of 20 pages at its first read
// (~330 KB a connection with the in-memory store's 16 KB pages, mostly untouched, issue 12).
// REQUIRES: called before the first store is opened, by one thread (sqlite3_config's rule);
// called later it changes nothing. Optional: a store works the same without it.
void configure_sqlite_for_server();

class store {
public:
    // Opens the database, creating it (WAL mode, the schema) if missing and upgrading an
    // older schema in place; data already in it stays. Error: InternalServerException naming
    // the path and cause.
    static api::result<std::unique_ptr<store>> open(const store_options& options);
    static api::result<std::unique_ptr<store>> open(const std::string& path) { return open(store_options{path}); }

    ~store();
    store(const store&) = delete;
    store& operator=(const store&) = delete;

    // The write generation: a number that every change of the stored state moves on (writes,
    // loads, resets, polls that count), and that nothing else moves. A reader that reads it
    // before a store call sees, in that call, a state at least as new as the generation read;
    // so an answer kept with that number (server/answer_cache.hpp) is the state's as long as
    // the number has not moved.
    std::uint64_t generation() const noexcept;

    // --- datastores ---
    // GetDatastore: the datastore as answered at `now`, counting the poll and storing any
    // progression step it reaches. Error: ResourceNotFoundException.
    api::result<datastore> poll_datastore(const scope& who, std::string_view datastore_id, api::epoch_millis now);
    // ListDatastores: newest first (createdAt, then id), optionally of one status.
    // Error: ValidationException for a position that is not one of this list's.
    api::result<page<datastore>> list_datastores(const scope& who, const std::optional<std::string>& status,
                                                 const page_request& request, api::epoch_millis now);
    // CreateDatastore: stores `d` (id, name, options, tags, client token set by the caller)
    // as CREATING with the policy's create progression, or answers the datastore an earlier
    // call with the same client token made. Errors: ConflictException for the same token
    // with a different request; ServiceQuotaExceededException past max_datastores.
    api::result<datastore> create_datastore(const scope& who, datastore d, const lifecycle_policy& policy,
                                            api::epoch_millis now);
    // DeleteDatastore: moves an ACTIVE (or CREATE_FAILED) datastore to DELETING with the
    // policy's delete progression. Errors: ResourceNotFoundException; ConflictException when
    // it is in another status or has import jobs SUBMITTED or IN_PROGRESS.
    api::result<datastore> delete_datastore(const scope& who, std::string_view datastore_id,
                                            const lifecycle_policy& policy, api::epoch_millis now);

    // --- import jobs ---
    // The job as stored (no progression applied). Errors: ResourceNotFoundException saying
    // whether the datastore or the job is missing.
    api::result<import_job> find_import_job(const scope& who, std::string_view datastore_id, std::string_view job_id);
    // GetDICOMImportJob: the job as answered at `now`, counting the poll. Errors as find_import_job.
    api::result<import_job> poll_import_job(const scope& who, std::string_view datastore_id, std::string_view job_id,
                                            api::epoch_millis now);
    // ListDICOMImportJobs: newest first (submittedAt, then id), optionally of one status.
    // Errors: ResourceNotFoundException for the datastore; ValidationException for a bad position.
    api::result<page<import_job>> list_import_jobs(const scope& who, std::string_view datastore_id,
                                                   const std::optional<std::string>& status,
                                                   const page_request& request, api::epoch_millis now);
    // StartDICOMImportJob: stores `job` (ids, members, client token and submittedAt set by the
    // caller) as SUBMITTED, with the progression of the first matching import rule, else the
    // datastore's import progression, else the policy's; or answers the job an earlier call
    // with the same client token made. Errors: ResourceNotFoundException; ConflictException
    // when the datastore is not ACTIVE or the token was used for a different request;
    // ServiceQuotaExceededException past max_concurrent_imports.
    api::result<import_job> start_import_job(const scope& who, import_job job, const lifecycle_policy& policy,
                                             api::epoch_millis now);

    // --- image sets ---
    // The image set as of `version` (its latest when absent). Errors: ResourceNotFoundException
    // for the datastore, the image set or the version.
    api::result<image_set> find_image_set(const scope& who, std::string_view datastore_id, std::string_view image_set_id,
                                          std::optional<std::uint64_t> version = std::nullopt);
    // The metadata document (JSON text) of that version. Errors as find_image_set.
    api::result<std::string> image_set_metadata(const scope& who, std::string_view datastore_id,
                                                std::string_view image_set_id, std::optional<std::uint64_t> version);
    // One stored frame. Errors as find_image_set, and ResourceNotFoundException for the frame.
    api::result<image_frame> find_image_frame(const scope& who, std::string_view datastore_id,
                                              std::string_view image_set_id, std::string_view image_frame_id);
    // Every image set of the datastore, latest versions, oldest first (SearchImageSets filters
    // and sorts them). Error: ResourceNotFoundException for the datastore.
    api::result<std::vector<image_set>> image_sets_of(const scope& who, std::string_view datastore_id);
    // ListImageSetVersions: newest first. Errors as find_image_set; ValidationException for a bad position.
    api::result<page<image_set>> image_set_versions(const scope& who, std::string_view datastore_id,
                                                    std::string_view image_set_id, const page_request& request);
    // The ACTIVE image sets of the datastore that hold series `series_uid`, with their grouping
    // keys and latest metadata: what an import merges new instances into.
    struct series_match {
        image_set properties;
        std::string grouping_key;
        std::string metadata;
    };
    api::result<std::vector<series_match>> image_sets_of_series(std::string_view datastore_id, std::string_view series_uid);
    // Writes new image sets and new versions in one transaction, and (when `ends` is given)
    // ends that job the same way in the same transaction. Errors: ConflictException when a
    // write's `replaces` is no longer the latest version; ResourceNotFoundException when the
    // datastore (or the job) is gone.
    struct job_end {
        std::string job_id;
        std::string job_status;
        std::optional<std::string> message;
        api::epoch_millis ended_at = 0;
    };
    api::status write_image_sets(std::string_view datastore_id, const std::vector<image_set_write>& writes,
                                 const std::optional<job_end>& ends = std::nullopt);
    // DeleteImageSet: the image set becomes DELETED (its versions and frames go). Errors as find_image_set.
    api::result<image_set> delete_image_set(const scope& who, std::string_view datastore_id, std::string_view image_set_id,
                                            api::epoch_millis now);
    // Moves a job that reads files on: IN_PROGRESS, or its end. Error: ResourceNotFoundException.
    api::status set_import_job_status(std::string_view datastore_id, std::string_view job_id, const job_end& to);
    // At start-up: jobs that were reading files when the emulator stopped end FAILED with
    // `message` at `now`. Returns how many.
    api::result<std::uint64_t> fail_interrupted_imports(std::string_view message, api::epoch_millis now);

    // --- tags (datastores and image sets) ---
    // The datastore's tags, or (with `image_set_id`) those of one of its image sets.
    // Errors: ResourceNotFoundException when the datastore is not in the scope, or the image set is not in it.
    api::result<tag_map> tags_of(const scope& who, std::string_view datastore_id, std::string_view image_set_id = {});
    // Adds or overwrites; ValidationException when the resource would have more than 50 tags.
    api::status tag(const scope& who, std::string_view datastore_id, std::string_view image_set_id, const tag_map& tags);
    api::status untag(const scope& who, std::string_view datastore_id, std::string_view image_set_id,
                      const std::vector<std::string>& keys);

    // --- the whole dataset ---
    // Whether a datastore with this id exists, in any scope (fixture cross-checks).
    api::result<bool> has_datastore(std::string_view datastore_id);
    // The namespace of the stored datastore with this id (region "" for one seen from every
    // region), or nothing when there is none: ids are unique across namespaces.
    api::result<std::optional<scope>> datastore_namespace(std::string_view datastore_id);
    // Writes the dataset in one transaction: all of it or, on any failure, none. `merge`
    // inserts or replaces by id (import rules are appended); `replace` first removes
    // everything. REQUIRES: every job's datastore is in `data` or (merge) already stored.
    api::status load(const dataset& data, load_mode mode = load_mode::merge);

    // A load whose rows come as they are read (a fixture of a million jobs need not be held
    // whole): every add_* writes at once, inside one transaction that commit() ends; the
    // loader's destruction without a successful commit() rolls all of it back. `merge` and
    // `replace` as for load (replace empties every table when the loader is made).
    // Thread rule: the loader holds the writer from begin_load until it is destroyed, so other
    // threads' writes wait while reads go on, seeing the state before the load until it
    // commits; the generation moves on when the loader is destroyed. The thread that holds it
    // must make no other writing store call meanwhile (it would deadlock): it asks
    // datastore_namespace of the loader, which sees the rows written so far.
    // REQUIRES (at commit): every job's datastore was added or (merge) is stored; the caller
    // checks, as apply_fixtures does.
    class loader {
    public:
        ~loader();
        loader(const loader&) = delete;
        loader& operator=(const loader&) = delete;
        api::status add_datastore(const datastore& d);
        api::status add_job(const import_job& j);
        api::status add_import_rule(const import_rule& r);
        // The arrival number (1 for this loader's first add_job, and so on) of the first job
        // added with this key, or nothing. A scan of every job added so far: for checking a
        // suspected duplicate, not for each job.
        api::result<std::optional<std::uint64_t>> first_staged(std::string_view datastore_id, std::string_view job_id);
        // As store::datastore_namespace, seeing the rows this load wrote so far.
        api::result<std::optional<scope>> datastore_namespace(std::string_view datastore_id);
        // Ends the transaction. Error: InternalServerException, and nothing of the load stays.
        api::status commit();

    private:
        friend class store;
        struct state;
        explicit loader(std::unique_ptr<state> s);
        std::unique_ptr<state> state_;
    };
    // Error: InternalServerException when the transaction cannot begin (or replace's clearing fails).
    api::result<std::unique_ptr<loader>> begin_load(load_mode mode);
    // Everything stored (of the namespaces `only` names: their datastores and jobs, and every
    // import rule only when it names none), with time-based progression steps due at `now` applied.
    api::result<dataset> contents(api::epoch_millis now, const namespace_filter& only = {});
    api::result<store_counts> counts();

    // Records the current contents, as of `now`, as the state reset_to_baseline() returns to.
    api::status mark_baseline(api::epoch_millis now = 0);
    // Restores the marked database, then moves every progression's started_at forward by the
    // time since the mark, so that at `now` each time-based progression is exactly as far
    // along as it was at the mark (a reset restarts its clock). Pass times from one clock.
    api::status reset_to_baseline(api::epoch_millis now = 0);
    // Returns the namespaces `only` names to the marked state, as reset_to_baseline() does,
    // leaving every other namespace (and the import rules) as it is: their datastores and
    // jobs go, and the marked ones of those namespaces come back. `only.everything()` is
    // reset_to_baseline().
    api::status reset_namespace(const namespace_filter& only, api::epoch_millis now);

private:
    struct impl;
    template <class Change>
    api::status retag(const scope& who, std::string_view datastore_id, std::string_view image_set_id, Change&& change);
    explicit store(std::unique_ptr<impl> state);
    std::unique_ptr<impl> impl_;
};

// The ARN of a datastore as a caller in `region` sees it.
std::string datastore_arn(const datastore& d, std::string_view region);

}  // namespace hil::store
