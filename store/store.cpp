#include "store/store.hpp"

#include <sqlite3.h>

#include "api/shapes.hpp"

#include <mutex>
#include <utility>

namespace hil::store {
namespace {

constexpr int k_schema_version = 1;

constexpr const char* k_schema = R"sql(
CREATE TABLE IF NOT EXISTS datastores (
    datastore_id     TEXT NOT NULL PRIMARY KEY,
    datastore_name   TEXT NOT NULL,
    datastore_status TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS import_jobs (
    datastore_id         TEXT NOT NULL REFERENCES datastores(datastore_id),
    job_id               TEXT NOT NULL,
    job_name             TEXT NOT NULL,
    job_status           TEXT NOT NULL,
    data_access_role_arn TEXT NOT NULL,
    input_s3_uri         TEXT NOT NULL,
    output_s3_uri        TEXT NOT NULL,
    submitted_at_ms      INTEGER,
    ended_at_ms          INTEGER,
    message              TEXT,
    PRIMARY KEY (datastore_id, job_id)
) WITHOUT ROWID;
)sql";

api::error sqlite_failure(sqlite3* db, std::string_view what) {
    return api::error::internal(std::string(what) + ": " + (db ? sqlite3_errmsg(db) : "out of memory"));
}

// One prepared statement, prepared once and reset after each use.
class statement {
public:
    statement() = default;
    statement(const statement&) = delete;
    statement& operator=(const statement&) = delete;
    ~statement() { sqlite3_finalize(stmt_); }

    int prepare(sqlite3* db, const char* sql) { return sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt_, nullptr); }

    // Resets on scope exit so no statement stays mid-step (which would hold a read lock).
    class use {
    public:
        explicit use(statement& s) : stmt_(s.stmt_) {}
        use(const use&) = delete;
        use& operator=(const use&) = delete;
        ~use() {
            sqlite3_reset(stmt_);
            sqlite3_clear_bindings(stmt_);
        }
        void bind(int i, std::string_view v) {
            sqlite3_bind_text(stmt_, i, v.data(), static_cast<int>(v.size()), SQLITE_STATIC);
        }
        void bind(int i, const std::string& v) { bind(i, std::string_view(v)); }
        void bind(int i, const std::optional<std::string>& v) {
            if (v) bind(i, std::string_view(*v)); else sqlite3_bind_null(stmt_, i);
        }
        void bind(int i, const std::optional<api::epoch_millis>& v) {
            if (v) sqlite3_bind_int64(stmt_, i, *v); else sqlite3_bind_null(stmt_, i);
        }
        int step() { return sqlite3_step(stmt_); }
        std::string text(int col) const {
            const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, col));
            return p ? std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(stmt_, col))) : std::string();
        }
        std::optional<std::string> optional_text(int col) const {
            if (sqlite3_column_type(stmt_, col) == SQLITE_NULL) return std::nullopt;
            return text(col);
        }
        std::optional<api::epoch_millis> optional_int(int col) const {
            if (sqlite3_column_type(stmt_, col) == SQLITE_NULL) return std::nullopt;
            return sqlite3_column_int64(stmt_, col);
        }
        std::int64_t integer(int col) const { return sqlite3_column_int64(stmt_, col); }

    private:
        sqlite3_stmt* stmt_;
    };

private:
    sqlite3_stmt* stmt_ = nullptr;
};

}  // namespace

struct store::impl {
    std::mutex mutex;  // guards everything below
    sqlite3* db = nullptr;
    statement find_job;
    statement find_datastore;
    statement upsert_datastore;
    statement upsert_job;
    statement count_datastores;
    statement count_jobs;
    statement begin;
    statement commit;
    statement rollback;

    ~impl() {
        // Statements are finalized by their destructors, which run after this body;
        // sqlite3_close_v2 defers the close until they are.
        sqlite3_close_v2(db);
    }

    api::status exec(const char* sql) {
        char* err = nullptr;
        if (sqlite3_exec(db, sql, nullptr, nullptr, &err) != SQLITE_OK) {
            std::string msg = err ? err : sqlite3_errmsg(db);
            sqlite3_free(err);
            return api::error::internal("SQLite: " + msg);
        }
        return api::ok_status();
    }

    api::status run(statement& s) {
        statement::use u(s);
        if (u.step() != SQLITE_DONE) return sqlite_failure(db, "SQLite");
        return api::ok_status();
    }
};

store::store(std::unique_ptr<impl> state) : impl_(std::move(state)) {}
store::~store() = default;

api::result<std::unique_ptr<store>> store::open(const std::string& path) {
    auto im = std::make_unique<impl>();
    const bool in_memory = path.empty() || path == ":memory:";
    const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
    const std::string where = in_memory ? std::string("in-memory database") : "database '" + path + "'";
    if (sqlite3_open_v2(in_memory ? ":memory:" : path.c_str(), &im->db, flags, nullptr) != SQLITE_OK) {
        return sqlite_failure(im->db, "cannot open " + where);
    }
    sqlite3_extended_result_codes(im->db, 1);
    sqlite3_busy_timeout(im->db, 5000);
    if (!in_memory) {
        // WAL keeps readers off the writer's back and makes a crash mid-load leave either
        // the whole transaction or none of it.
        if (auto s = im->exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"); !s) {
            return api::error::internal("cannot open " + where + ": " + s.err().message());
        }
    }
    if (auto s = im->exec("PRAGMA foreign_keys=ON;"); !s) return s.err();
    {
        statement version;
        if (version.prepare(im->db, "PRAGMA user_version") != SQLITE_OK) return sqlite_failure(im->db, "cannot read " + where);
        statement::use u(version);
        if (u.step() != SQLITE_ROW) return sqlite_failure(im->db, "cannot read " + where);
        const auto found = u.integer(0);
        if (found > k_schema_version) {
            return api::error::internal(where + " has schema version " + std::to_string(found) +
                                        ", newer than this build understands (" + std::to_string(k_schema_version) + ")");
        }
    }
    if (auto s = im->exec(k_schema); !s) return api::error::internal("cannot create schema in " + where + ": " + s.err().message());
    if (auto s = im->exec(("PRAGMA user_version=" + std::to_string(k_schema_version)).c_str()); !s) return s.err();

    const std::pair<statement*, const char*> statements[] = {
        {&im->find_job,
         "SELECT job_name, job_status, data_access_role_arn, input_s3_uri, output_s3_uri, submitted_at_ms, "
         "ended_at_ms, message FROM import_jobs WHERE datastore_id = ?1 AND job_id = ?2"},
        {&im->find_datastore, "SELECT 1 FROM datastores WHERE datastore_id = ?1"},
        {&im->upsert_datastore,
         "INSERT INTO datastores (datastore_id, datastore_name, datastore_status) VALUES (?1, ?2, ?3) "
         "ON CONFLICT (datastore_id) DO UPDATE SET datastore_name = excluded.datastore_name, "
         "datastore_status = excluded.datastore_status"},
        {&im->upsert_job,
         "INSERT OR REPLACE INTO import_jobs (datastore_id, job_id, job_name, job_status, data_access_role_arn, "
         "input_s3_uri, output_s3_uri, submitted_at_ms, ended_at_ms, message) "
         "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"},
        {&im->count_datastores, "SELECT count(*) FROM datastores"},
        {&im->count_jobs, "SELECT count(*) FROM import_jobs"},
        {&im->begin, "BEGIN IMMEDIATE"},
        {&im->commit, "COMMIT"},
        {&im->rollback, "ROLLBACK"},
    };
    for (const auto& [stmt, sql] : statements) {
        if (stmt->prepare(im->db, sql) != SQLITE_OK) return sqlite_failure(im->db, "cannot prepare statement");
    }
    return std::unique_ptr<store>(new store(std::move(im)));
}

api::result<import_job> store::find_import_job(std::string_view datastore_id, std::string_view job_id) {
    std::lock_guard lock(impl_->mutex);
    {
        statement::use q(impl_->find_job);
        q.bind(1, datastore_id);
        q.bind(2, job_id);
        const int rc = q.step();
        if (rc == SQLITE_ROW) {
            import_job job;
            job.job_id = std::string(job_id);
            job.datastore_id = std::string(datastore_id);
            job.job_name = q.text(0);
            job.job_status = q.text(1);
            job.data_access_role_arn = q.text(2);
            job.input_s3_uri = q.text(3);
            job.output_s3_uri = q.text(4);
            job.submitted_at = q.optional_int(5);
            job.ended_at = q.optional_int(6);
            job.message = q.optional_text(7);
            return job;
        }
        if (rc != SQLITE_DONE) return sqlite_failure(impl_->db, "SQLite");
    }
    // A miss: say which of the two was not there.
    statement::use q(impl_->find_datastore);
    q.bind(1, datastore_id);
    const int rc = q.step();
    if (rc == SQLITE_DONE) {
        return api::error::resource_not_found("Datastore " + api::display_value(datastore_id) + " not found");
    }
    if (rc != SQLITE_ROW) return sqlite_failure(impl_->db, "SQLite");
    return api::error::resource_not_found("Import job " + api::display_value(job_id) + " not found in datastore " +
                                          std::string(datastore_id));
}

api::result<bool> store::has_datastore(std::string_view datastore_id) {
    std::lock_guard lock(impl_->mutex);
    statement::use q(impl_->find_datastore);
    q.bind(1, datastore_id);
    const int rc = q.step();
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    return sqlite_failure(impl_->db, "SQLite");
}

api::status store::upsert(const std::vector<datastore>& datastores, const std::vector<import_job>& jobs) {
    std::lock_guard lock(impl_->mutex);
    if (auto s = impl_->run(impl_->begin); !s) return s;
    auto write_all = [&]() -> api::status {
        for (const auto& d : datastores) {
            statement::use q(impl_->upsert_datastore);
            q.bind(1, d.datastore_id);
            q.bind(2, d.datastore_name);
            q.bind(3, d.datastore_status);
            if (q.step() != SQLITE_DONE) return sqlite_failure(impl_->db, "cannot store datastore " + d.datastore_id);
        }
        for (const auto& j : jobs) {
            statement::use q(impl_->upsert_job);
            q.bind(1, j.datastore_id);
            q.bind(2, j.job_id);
            q.bind(3, j.job_name);
            q.bind(4, j.job_status);
            q.bind(5, j.data_access_role_arn);
            q.bind(6, j.input_s3_uri);
            q.bind(7, j.output_s3_uri);
            q.bind(8, j.submitted_at);
            q.bind(9, j.ended_at);
            q.bind(10, j.message);
            if (q.step() != SQLITE_DONE) return sqlite_failure(impl_->db, "cannot store import job " + j.job_id);
        }
        return api::ok_status();
    };
    auto written = write_all();
    if (!written) {
        (void)impl_->run(impl_->rollback);
        return written;
    }
    if (auto s = impl_->run(impl_->commit); !s) {
        (void)impl_->run(impl_->rollback);
        return s;
    }
    return api::ok_status();
}

api::result<store_counts> store::counts() {
    std::lock_guard lock(impl_->mutex);
    store_counts c;
    {
        statement::use q(impl_->count_datastores);
        if (q.step() != SQLITE_ROW) return sqlite_failure(impl_->db, "SQLite");
        c.datastores = static_cast<std::uint64_t>(q.integer(0));
    }
    statement::use q(impl_->count_jobs);
    if (q.step() != SQLITE_ROW) return sqlite_failure(impl_->db, "SQLite");
    c.jobs = static_cast<std::uint64_t>(q.integer(0));
    return c;
}

}  // namespace hil::store
