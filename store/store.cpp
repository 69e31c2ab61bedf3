#include "store/store.hpp"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <sqlite3.h>

#include <algorithm>
#include <atomic>
#include <array>
#include <charconv>
#include <cstdio>
#include <mutex>
#include <set>
#include <type_traits>
#include <utility>

#include "api/shapes.hpp"
#include "store/progression.hpp"
#include "store/scratch_dir.hpp"

namespace hil::store {
namespace {

// 1: datastores (id, name, status) and import jobs, with baseline twin tables.
// 2: datastore scope, options, tags, lifecycle and client tokens; job options, client tokens
//    and list order; import rules; no twin tables (the baseline is a backup copy).
// 3: image sets, their versions and frames; jobs that read files.
constexpr int k_schema_version = 3;

constexpr const char* k_schema = R"sql(
CREATE TABLE IF NOT EXISTS datastores (
    datastore_id            TEXT NOT NULL PRIMARY KEY,
    datastore_name          TEXT NOT NULL,
    datastore_status        TEXT NOT NULL,
    account_id              TEXT NOT NULL DEFAULT '123456789012',
    region                  TEXT NOT NULL DEFAULT '',
    created_at_ms           INTEGER,
    updated_at_ms           INTEGER,
    kms_key_arn             TEXT,
    lambda_authorizer_arn   TEXT,
    lossless_storage_format TEXT,
    tags                    TEXT,
    client_token            TEXT,
    progression             TEXT,
    polls                   INTEGER NOT NULL DEFAULT 0,
    steps_reached           INTEGER NOT NULL DEFAULT 0,
    progress_started_ms     INTEGER NOT NULL DEFAULT 0,
    last_poll_ms            INTEGER NOT NULL DEFAULT 0,
    import_progression      TEXT,
    list_order              INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS import_jobs (
    datastore_id           TEXT NOT NULL REFERENCES datastores(datastore_id),
    job_id                 TEXT NOT NULL,
    job_name               TEXT NOT NULL,
    job_status             TEXT NOT NULL,
    data_access_role_arn   TEXT NOT NULL,
    input_s3_uri           TEXT NOT NULL,
    output_s3_uri          TEXT NOT NULL,
    submitted_at_ms        INTEGER,
    ended_at_ms            INTEGER,
    message                TEXT,
    progression            TEXT,
    polls                  INTEGER NOT NULL DEFAULT 0,
    steps_reached          INTEGER NOT NULL DEFAULT 0,
    progress_started_ms    INTEGER NOT NULL DEFAULT 0,
    last_poll_ms           INTEGER NOT NULL DEFAULT 0,
    input_owner_account_id TEXT,
    import_configuration   TEXT,
    client_token           TEXT,
    list_order             INTEGER NOT NULL DEFAULT 0,
    reads_files            INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (datastore_id, job_id)
) WITHOUT ROWID;
-- One row per image set: its latest version's properties and search attributes.
CREATE TABLE IF NOT EXISTS image_sets (
    datastore_id       TEXT NOT NULL REFERENCES datastores(datastore_id),
    image_set_id       TEXT NOT NULL,
    latest_version     INTEGER NOT NULL,
    grouping_key       TEXT NOT NULL DEFAULT '',
    series_uid         TEXT NOT NULL DEFAULT '',
    state              TEXT NOT NULL DEFAULT 'ACTIVE',
    tags               TEXT,
    list_order         INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (datastore_id, image_set_id)
) WITHOUT ROWID;
-- Every version: its properties (JSON, as image_set_columns writes them) and its metadata document.
CREATE TABLE IF NOT EXISTS image_set_versions (
    datastore_id   TEXT NOT NULL,
    image_set_id   TEXT NOT NULL,
    version        INTEGER NOT NULL,
    properties     TEXT NOT NULL,
    metadata       BLOB NOT NULL,
    PRIMARY KEY (datastore_id, image_set_id, version)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS image_frames (
    datastore_id   TEXT NOT NULL,
    image_set_id   TEXT NOT NULL,
    frame_id       TEXT NOT NULL,
    content_type   TEXT NOT NULL,
    bytes          BLOB NOT NULL,
    PRIMARY KEY (datastore_id, image_set_id, frame_id)
);
CREATE TABLE IF NOT EXISTS import_rules (
    position     INTEGER PRIMARY KEY,
    input_prefix TEXT NOT NULL,
    datastore_id TEXT,
    job_status   TEXT NOT NULL,
    message      TEXT
);
)sql";

constexpr const char* k_indexes = R"sql(
CREATE INDEX IF NOT EXISTS datastores_by_order ON datastores (list_order, datastore_id);
CREATE INDEX IF NOT EXISTS datastores_by_token ON datastores (client_token) WHERE client_token IS NOT NULL;
CREATE INDEX IF NOT EXISTS import_jobs_by_token ON import_jobs (datastore_id, client_token) WHERE client_token IS NOT NULL;
CREATE INDEX IF NOT EXISTS image_sets_by_series ON image_sets (datastore_id, series_uid);
-- The start-up check for imports a stop interrupted reads this, not every job of a big store.
CREATE INDEX IF NOT EXISTS import_jobs_reading_files ON import_jobs (job_status) WHERE reads_files = 1;
)sql";

// The writer's page cache, in KiB (a negative cache_size): the heap the writer keeps.
constexpr int k_writer_cache_kib = 32768;
// While a load's jobs are moved in key order: then only the B-tree's rightmost pages are hot,
// and SQLite's sorter sizes its runs by the cache, so a smaller one keeps the load's peak RSS
// near the RSS after it (measured, 1,000,000 jobs: peak 95 MB with 4 MiB, 168 MB with 32 MiB;
// CPU the same within noise).
constexpr int k_moving_cache_kib = 4096;
std::string writer_cache_pragma(int kib) { return "PRAGMA main.cache_size=-" + std::to_string(kib) + ";"; }

// Apart from k_indexes: a big load drops it and builds it again once the jobs are in (store::loader).
constexpr const char* k_jobs_by_order_index =
    "CREATE INDEX IF NOT EXISTS import_jobs_by_order ON import_jobs (datastore_id, list_order, job_id);";

// A version 1 database gains the version 2 columns; its baseline twins go.
constexpr const char* k_upgrade_from_1 = R"sql(
ALTER TABLE datastores ADD COLUMN account_id TEXT NOT NULL DEFAULT '123456789012';
ALTER TABLE datastores ADD COLUMN region TEXT NOT NULL DEFAULT '';
ALTER TABLE datastores ADD COLUMN created_at_ms INTEGER;
ALTER TABLE datastores ADD COLUMN updated_at_ms INTEGER;
ALTER TABLE datastores ADD COLUMN kms_key_arn TEXT;
ALTER TABLE datastores ADD COLUMN lambda_authorizer_arn TEXT;
ALTER TABLE datastores ADD COLUMN lossless_storage_format TEXT;
ALTER TABLE datastores ADD COLUMN tags TEXT;
ALTER TABLE datastores ADD COLUMN client_token TEXT;
ALTER TABLE datastores ADD COLUMN progression TEXT;
ALTER TABLE datastores ADD COLUMN polls INTEGER NOT NULL DEFAULT 0;
ALTER TABLE datastores ADD COLUMN steps_reached INTEGER NOT NULL DEFAULT 0;
ALTER TABLE datastores ADD COLUMN progress_started_ms INTEGER NOT NULL DEFAULT 0;
ALTER TABLE datastores ADD COLUMN last_poll_ms INTEGER NOT NULL DEFAULT 0;
ALTER TABLE datastores ADD COLUMN import_progression TEXT;
ALTER TABLE datastores ADD COLUMN list_order INTEGER NOT NULL DEFAULT 0;
ALTER TABLE import_jobs ADD COLUMN last_poll_ms INTEGER NOT NULL DEFAULT 0;
ALTER TABLE import_jobs ADD COLUMN input_owner_account_id TEXT;
ALTER TABLE import_jobs ADD COLUMN import_configuration TEXT;
ALTER TABLE import_jobs ADD COLUMN client_token TEXT;
ALTER TABLE import_jobs ADD COLUMN list_order INTEGER NOT NULL DEFAULT 0;
UPDATE import_jobs SET list_order = coalesce(submitted_at_ms, 0);
DROP TABLE IF EXISTS baseline_import_jobs;
DROP TABLE IF EXISTS baseline_datastores;
)sql";

// A version 2 database gains the version 3 column (the image set tables are created as new).
constexpr const char* k_upgrade_from_2 = R"sql(
ALTER TABLE import_jobs ADD COLUMN reads_files INTEGER NOT NULL DEFAULT 0;
)sql";

// The columns each SELECT returns and each upsert writes, by name: col<...>("name") is
// resolved at compile time, so a reader can never read the wrong position.
constexpr std::array<std::string_view, 19> k_datastore_columns{
    "datastore_id",  "datastore_name",          "datastore_status", "account_id",   "region",
    "created_at_ms", "updated_at_ms",           "kms_key_arn",      "lambda_authorizer_arn",
    "lossless_storage_format", "tags",          "client_token",     "progression",  "polls",
    "steps_reached", "progress_started_ms",     "last_poll_ms",     "import_progression", "list_order"};
constexpr std::array<std::string_view, 20> k_job_columns{
    "datastore_id",    "job_id",         "job_name",    "job_status",          "data_access_role_arn",
    "input_s3_uri",    "output_s3_uri",  "submitted_at_ms", "ended_at_ms",     "message",
    "progression",     "polls",          "steps_reached",   "progress_started_ms", "last_poll_ms", "input_owner_account_id",
    "import_configuration", "client_token", "list_order", "reads_files"};

template <std::size_t N>
consteval int column_of(const std::array<std::string_view, N>& columns, std::string_view name) {
    for (std::size_t i = 0; i < N; ++i) {
        if (columns[i] == name) return static_cast<int>(i);
    }
    throw "no such column";  // not a constant expression: a typo fails to compile
}
consteval int ds(std::string_view name) { return column_of(k_datastore_columns, name); }
consteval int job(std::string_view name) { return column_of(k_job_columns, name); }

template <std::size_t N>
std::string column_list(const std::array<std::string_view, N>& columns) {
    std::string out;
    for (const auto c : columns) {
        if (!out.empty()) out += ", ";
        out += c;
    }
    return out;
}

template <std::size_t N>
std::string placeholders() {
    std::string out;
    for (std::size_t i = 1; i <= N; ++i) out += (i == 1 ? "?" : ", ?") + std::to_string(i);
    return out;
}

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

    // Replaces any statement prepared before (on another connection too).
    int prepare(sqlite3* db, const std::string& sql) {
        sqlite3_finalize(stmt_);
        stmt_ = nullptr;
        return sqlite3_prepare_v3(db, sql.c_str(), -1, SQLITE_PREPARE_PERSISTENT, &stmt_, nullptr);
    }

    void finalize() {
        sqlite3_finalize(stmt_);
        stmt_ = nullptr;
    }

    // Resets on scope exit so no statement stays mid-step (which would hold a read lock).
    // Bind and column indexes are 0-based, as the column tables count.
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
            sqlite3_bind_text(stmt_, i + 1, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
        }
        void bind(int i, const std::string& v) { bind(i, std::string_view(v)); }
        void bind(int i, const std::optional<std::string>& v) {
            if (v) bind(i, std::string_view(*v)); else sqlite3_bind_null(stmt_, i + 1);
        }
        // As bind, without SQLite's copy (an allocation and a copy a column of every staged
        // job). REQUIRES: `v` outlives this use (its destructor unbinds).
        void bind_borrowed(int i, const std::string& v) {
            sqlite3_bind_text(stmt_, i + 1, v.data(), static_cast<int>(v.size()), SQLITE_STATIC);
        }
        void bind_borrowed(int i, const std::optional<std::string>& v) {
            if (v) bind_borrowed(i, *v); else sqlite3_bind_null(stmt_, i + 1);
        }
        // A temporary is gone before the step.
        void bind_borrowed(int i, std::string&&) = delete;
        void bind_borrowed(int i, std::optional<std::string>&&) = delete;
        void bind_int(int i, std::int64_t v) { sqlite3_bind_int64(stmt_, i + 1, v); }
        void bind(int i, const std::optional<api::epoch_millis>& v) {
            if (v) sqlite3_bind_int64(stmt_, i + 1, *v); else sqlite3_bind_null(stmt_, i + 1);
        }
        void bind_blob(int i, std::string_view v) {
            sqlite3_bind_blob(stmt_, i + 1, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
        }
        int step() { return sqlite3_step(stmt_); }
        std::string blob(int col) const {
            const auto* p = static_cast<const char*>(sqlite3_column_blob(stmt_, col));
            return p ? std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(stmt_, col))) : std::string();
        }
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

std::string tags_to_json(const tag_map& tags) {
    rapidjson::StringBuffer buffer;
    rapidjson::Writer<rapidjson::StringBuffer> w(buffer);
    w.StartObject();
    for (const auto& [k, v] : tags) {
        w.Key(k.data(), static_cast<rapidjson::SizeType>(k.size()));
        w.String(v.data(), static_cast<rapidjson::SizeType>(v.size()));
    }
    w.EndObject();
    return {buffer.GetString(), buffer.GetSize()};
}

api::result<tag_map> tags_from_json(std::string_view text) {
    rapidjson::Document doc;
    doc.Parse(text.data(), text.size());
    if (doc.HasParseError() || !doc.IsObject()) return api::error::internal("stored tags are corrupt");
    tag_map out;
    const rapidjson::Value& object = doc;  // const iterators: C++20 finds the mixed comparison ambiguous
    for (auto it = object.MemberBegin(); it != object.MemberEnd(); ++it) {
        if (!it->value.IsString()) return api::error::internal("stored tags are corrupt");
        out.emplace(std::string(it->name.GetString(), it->name.GetStringLength()),
                    std::string(it->value.GetString(), it->value.GetStringLength()));
    }
    return out;
}

api::status read_steps(const std::optional<std::string>& text, std::string_view status_member,
                       std::vector<progression_step>& into) {
    if (!text) return api::ok_status();
    auto steps = progression_from_json(*text, status_member);
    if (!steps) return steps.err();
    into = std::move(steps).value();
    return api::ok_status();
}

std::optional<std::string> steps_text(const std::vector<progression_step>& steps, std::string_view status_member) {
    if (steps.empty()) return std::nullopt;
    return progression_to_json(steps, status_member);
}

api::result<datastore> datastore_from_row(const statement::use& q) {
    datastore d;
    d.datastore_id = q.text(ds("datastore_id"));
    d.datastore_name = q.text(ds("datastore_name"));
    d.datastore_status = q.text(ds("datastore_status"));
    d.account_id = q.text(ds("account_id"));
    d.region = q.text(ds("region"));
    d.created_at = q.optional_int(ds("created_at_ms"));
    d.updated_at = q.optional_int(ds("updated_at_ms"));
    d.kms_key_arn = q.optional_text(ds("kms_key_arn"));
    d.lambda_authorizer_arn = q.optional_text(ds("lambda_authorizer_arn"));
    d.lossless_storage_format = q.optional_text(ds("lossless_storage_format"));
    if (auto tags = q.optional_text(ds("tags"))) {
        auto parsed = tags_from_json(*tags);
        if (!parsed) return parsed.err();
        d.tags = std::move(parsed).value();
    }
    d.client_token = q.optional_text(ds("client_token"));
    if (auto s = read_steps(q.optional_text(ds("progression")), "datastoreStatus", d.progression); !s) return s.err();
    d.progress.polls = static_cast<std::uint64_t>(q.integer(ds("polls")));
    d.progress.steps_reached = static_cast<std::uint64_t>(q.integer(ds("steps_reached")));
    d.progress.started_at = q.integer(ds("progress_started_ms"));
    d.progress.last_polled_at = q.integer(ds("last_poll_ms"));
    if (auto s = read_steps(q.optional_text(ds("import_progression")), "jobStatus", d.import_progression); !s) {
        return s.err();
    }
    return d;
}

api::result<import_job> job_from_row(const statement::use& q) {
    import_job j;
    j.datastore_id = q.text(job("datastore_id"));
    j.job_id = q.text(job("job_id"));
    j.job_name = q.text(job("job_name"));
    j.job_status = q.text(job("job_status"));
    j.data_access_role_arn = q.text(job("data_access_role_arn"));
    j.input_s3_uri = q.text(job("input_s3_uri"));
    j.output_s3_uri = q.text(job("output_s3_uri"));
    j.submitted_at = q.optional_int(job("submitted_at_ms"));
    j.ended_at = q.optional_int(job("ended_at_ms"));
    j.message = q.optional_text(job("message"));
    if (auto s = read_steps(q.optional_text(job("progression")), "jobStatus", j.progression); !s) return s.err();
    j.progress.polls = static_cast<std::uint64_t>(q.integer(job("polls")));
    j.progress.steps_reached = static_cast<std::uint64_t>(q.integer(job("steps_reached")));
    j.progress.started_at = q.integer(job("progress_started_ms"));
    j.progress.last_polled_at = q.integer(job("last_poll_ms"));
    j.input_owner_account_id = q.optional_text(job("input_owner_account_id"));
    j.import_configuration = q.optional_text(job("import_configuration"));
    j.client_token = q.optional_text(job("client_token"));
    j.reads_files = q.integer(job("reads_files")) != 0;
    return j;
}

// An image set version's properties as the versions table keeps them (JSON).
std::string image_set_properties_json(const image_set& i) {
    rapidjson::StringBuffer buffer;
    rapidjson::Writer<rapidjson::StringBuffer> w(buffer);
    const auto put = [&w](const char* key, std::string_view v) {
        w.Key(key);
        w.String(v.data(), static_cast<rapidjson::SizeType>(v.size()));
    };
    w.StartObject();
    put("state", i.state);
    put("workflowStatus", i.workflow_status);
    w.Key("createdAt");
    w.Int64(i.created_at);
    w.Key("updatedAt");
    w.Int64(i.updated_at);
    if (i.deleted_at) {
        w.Key("deletedAt");
        w.Int64(*i.deleted_at);
    }
    if (i.message) put("message", *i.message);
    w.Key("isPrimary");
    w.Bool(i.is_primary);
    w.Key("forced");
    w.Bool(i.forced);
    const auto& t = i.tags;
    w.Key("dicom");
    w.StartObject();
    put("patientId", t.patient_id);
    put("patientName", t.patient_name);
    put("patientBirthDate", t.patient_birth_date);
    put("patientSex", t.patient_sex);
    put("studyInstanceUid", t.study_instance_uid);
    put("studyId", t.study_id);
    put("studyDescription", t.study_description);
    put("accessionNumber", t.accession_number);
    put("studyDate", t.study_date);
    put("studyTime", t.study_time);
    put("seriesInstanceUid", t.series_instance_uid);
    put("seriesModality", t.series_modality);
    put("seriesBodyPart", t.series_body_part);
    if (t.series_number) {
        w.Key("seriesNumber");
        w.Int64(*t.series_number);
    }
    w.Key("studyRelatedSeries");
    w.Uint64(t.study_related_series);
    w.Key("studyRelatedInstances");
    w.Uint64(t.study_related_instances);
    w.EndObject();
    w.EndObject();
    return {buffer.GetString(), buffer.GetSize()};
}

api::result<image_set> image_set_from_properties(std::string_view datastore_id, std::string_view image_set_id,
                                                 std::uint64_t version, std::string_view text) {
    rapidjson::Document doc;
    doc.Parse(text.data(), text.size());
    if (doc.HasParseError() || !doc.IsObject()) {
        return api::error::internal("stored properties of image set " + std::string(image_set_id) + " are not JSON");
    }
    const auto str = [](const rapidjson::Value& o, const char* key) -> std::string {
        const auto it = o.FindMember(key);
        return it != o.MemberEnd() && it->value.IsString() ? std::string(it->value.GetString(), it->value.GetStringLength())
                                                          : std::string();
    };
    const auto num = [](const rapidjson::Value& o, const char* key) -> std::optional<std::int64_t> {
        const auto it = o.FindMember(key);
        if (it == o.MemberEnd() || !it->value.IsInt64()) return std::nullopt;
        return it->value.GetInt64();
    };
    const auto flag = [](const rapidjson::Value& o, const char* key) {
        const auto it = o.FindMember(key);
        return it != o.MemberEnd() && it->value.IsBool() && it->value.GetBool();
    };
    image_set i;
    i.datastore_id = std::string(datastore_id);
    i.image_set_id = std::string(image_set_id);
    i.version = version;
    i.state = str(doc, "state");
    i.workflow_status = str(doc, "workflowStatus");
    i.created_at = num(doc, "createdAt").value_or(0);
    i.updated_at = num(doc, "updatedAt").value_or(0);
    i.deleted_at = num(doc, "deletedAt");
    if (doc.HasMember("message")) i.message = str(doc, "message");
    i.is_primary = flag(doc, "isPrimary");
    i.forced = flag(doc, "forced");
    if (auto it = doc.FindMember("dicom"); it != doc.MemberEnd() && it->value.IsObject()) {
        const auto& d = it->value;
        auto& t = i.tags;
        t.patient_id = str(d, "patientId");
        t.patient_name = str(d, "patientName");
        t.patient_birth_date = str(d, "patientBirthDate");
        t.patient_sex = str(d, "patientSex");
        t.study_instance_uid = str(d, "studyInstanceUid");
        t.study_id = str(d, "studyId");
        t.study_description = str(d, "studyDescription");
        t.accession_number = str(d, "accessionNumber");
        t.study_date = str(d, "studyDate");
        t.study_time = str(d, "studyTime");
        t.series_instance_uid = str(d, "seriesInstanceUid");
        t.series_modality = str(d, "seriesModality");
        t.series_body_part = str(d, "seriesBodyPart");
        t.series_number = num(d, "seriesNumber");
        t.study_related_series = static_cast<std::uint64_t>(num(d, "studyRelatedSeries").value_or(0));
        t.study_related_instances = static_cast<std::uint64_t>(num(d, "studyRelatedInstances").value_or(0));
    }
    return i;
}

api::error image_set_not_found(std::string_view image_set_id) {
    return api::error::resource_not_found("Image set " + api::display_value(image_set_id) + " not found");
}

// Where a list stands: the (order, id) of the last item given, written "order:id".
std::string list_position(std::int64_t order, std::string_view id) { return std::to_string(order) + ":" + std::string(id); }

std::optional<std::pair<std::int64_t, std::string>> parse_position(std::string_view text) {
    const auto colon = text.find(':');
    if (colon == std::string_view::npos) return std::nullopt;
    std::int64_t order = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + colon, order);
    if (ec != std::errc() || end != text.data() + colon) return std::nullopt;
    return std::pair<std::int64_t, std::string>{order, std::string(text.substr(colon + 1))};
}

bool in_scope(const datastore& d, const scope& who) {
    return d.account_id == who.account_id && (d.region.empty() || d.region == who.region);
}

// Where a job's outputs go, as AWS reports it: the caller's prefix, then
// "<datastoreId>-DicomImport-<jobId>/". A bare bucket ("s3://bucket") gets its '/' first, so
// it stays that bucket; any other prefix is used as given.
std::string output_uri(std::string_view prefix, std::string_view datastore_id, std::string_view job_id) {
    std::string out(prefix);
    constexpr std::string_view scheme = "s3://";
    if (prefix.substr(scheme.size()).find('/') == std::string_view::npos) out += '/';
    out += datastore_id;
    out += "-DicomImport-";
    out += job_id;
    out += '/';
    return out;
}

bool is_in_flight(std::string_view job_status) { return job_status == "SUBMITTED" || job_status == "IN_PROGRESS"; }

api::error datastore_not_found(std::string_view datastore_id) {
    return api::error::resource_not_found("Datastore " + api::display_value(datastore_id) + " not found");
}


}  // namespace

std::string datastore_arn(const datastore& d, std::string_view region) {
    return "arn:aws:medical-imaging:" + std::string(d.region.empty() ? region : std::string_view(d.region)) + ":" +
           d.account_id + ":datastore/" + d.datastore_id;
}

// Moves every progression's clock on by `shift`, so each time-based step is as far along as it
// was `shift` ago (a reset restarts their clocks).
api::status shift_progressions(sqlite3* on, api::epoch_millis shift) {
    for (const char* table : {"import_jobs", "datastores"}) {
        const std::string sql = std::string("UPDATE ") + table +
                                " SET progress_started_ms = progress_started_ms + ?1, last_poll_ms = CASE last_poll_ms "
                                "WHEN 0 THEN 0 ELSE last_poll_ms + ?1 END WHERE progression IS NOT NULL";
        sqlite3_stmt* q = nullptr;
        if (sqlite3_prepare_v2(on, sql.c_str(), -1, &q, nullptr) != SQLITE_OK) return sqlite_failure(on, "cannot restart progressions");
        sqlite3_bind_int64(q, 1, shift);
        const int rc = sqlite3_step(q);
        sqlite3_finalize(q);
        if (rc != SQLITE_DONE) return sqlite_failure(on, "cannot restart progressions");
    }
    return api::ok_status();
}

// The tables whose rows belong to a datastore by their datastore_id, children after parents.
constexpr const char* k_image_set_tables[] = {"image_sets", "image_set_versions", "image_frames"};

api::status delete_rows_of(sqlite3* on, const char* table, std::string_view datastore_id) {
    sqlite3_stmt* q = nullptr;
    const std::string sql = std::string("DELETE FROM ") + table + " WHERE datastore_id = ?1";
    if (sqlite3_prepare_v2(on, sql.c_str(), -1, &q, nullptr) != SQLITE_OK) return sqlite_failure(on, "cannot reset " + sql);
    sqlite3_bind_text(q, 1, datastore_id.data(), static_cast<int>(datastore_id.size()), SQLITE_TRANSIENT);
    const int rc = sqlite3_step(q);
    sqlite3_finalize(q);
    if (rc != SQLITE_DONE) return sqlite_failure(on, std::string("cannot reset ") + table);
    return api::ok_status();
}

// Copies a datastore's rows of `table` from one database to another, whatever its columns.
api::status copy_rows_of(sqlite3* from, sqlite3* to, const char* table, std::string_view datastore_id) {
    sqlite3_stmt* read = nullptr;
    const std::string select = std::string("SELECT * FROM ") + table + " WHERE datastore_id = ?1";
    if (sqlite3_prepare_v2(from, select.c_str(), -1, &read, nullptr) != SQLITE_OK) {
        return sqlite_failure(from, std::string("cannot read the baseline's ") + table);
    }
    sqlite3_bind_text(read, 1, datastore_id.data(), static_cast<int>(datastore_id.size()), SQLITE_TRANSIENT);
    const int columns = sqlite3_column_count(read);
    std::string insert = std::string("INSERT OR REPLACE INTO ") + table + " VALUES (";
    for (int i = 0; i < columns; ++i) insert += i ? ", ?" : "?";
    insert += ")";
    sqlite3_stmt* write = nullptr;
    if (sqlite3_prepare_v2(to, insert.c_str(), -1, &write, nullptr) != SQLITE_OK) {
        sqlite3_finalize(read);
        return sqlite_failure(to, std::string("cannot restore ") + table);
    }
    int rc;
    api::status done = api::ok_status();
    while ((rc = sqlite3_step(read)) == SQLITE_ROW) {
        for (int i = 0; i < columns; ++i) sqlite3_bind_value(write, i + 1, sqlite3_column_value(read, i));
        if (sqlite3_step(write) != SQLITE_DONE) {
            done = sqlite_failure(to, std::string("cannot restore ") + table);
            break;
        }
        sqlite3_reset(write);
    }
    if (done && rc != SQLITE_DONE) done = sqlite_failure(from, std::string("cannot read the baseline's ") + table);
    sqlite3_finalize(write);
    sqlite3_finalize(read);
    return done;
}

// Every row, in id order: of the serving database (contents) and of the baseline (a namespace's reset).
namespace {
std::string every_datastore_sql() { return "SELECT " + column_list(k_datastore_columns) + " FROM datastores ORDER BY datastore_id"; }
std::string every_job_sql() { return "SELECT " + column_list(k_job_columns) + " FROM import_jobs ORDER BY datastore_id, job_id"; }
}  // namespace

namespace {

// What the writer's calls changed, for a reset and for store::generation().
struct change_log {
    bool changed_since_mark = false;           // anything written since mark_baseline
    bool unpublished = false;                  // written in the writer's current call
    std::atomic<std::uint64_t> generation{0};  // see store::generation()

    void note() {
        changed_since_mark = true;
        unpublished = true;
    }
    // Called as the writer's call ends, once what it wrote is committed: a reader that sees the
    // new number starts its read after the commit, so it reads the new state.
    void publish() {
        if (!unpublished) return;
        unpublished = false;
        generation.fetch_add(1, std::memory_order_acq_rel);
    }
};

// One SQLite connection with every statement prepared on it, and the row-level reads and
// writes. The store has one writer connection and a pool of reader connections to the same
// database (WAL: readers read the last commit while the writer writes). Not thread safe: one
// thread uses a connection at a time (the store's leases see to it).
struct connection {
    sqlite3* db = nullptr;
    change_log* changes = nullptr;  // the writer's; a reader has none (and cannot write: it is opened read-only)
    statement find_datastore, datastore_by_token, datastores_in_scope, upsert_datastore;
    statement list_datastores_first, list_datastores_after;
    statement find_job, job_by_token, upsert_job, update_job_progress, in_flight_jobs;
    statement list_jobs_first, list_jobs_after;
    statement all_datastores, all_jobs, all_rules, add_rule, delete_jobs_of, delete_datastore_row;
    statement count_datastores, count_jobs, count_rules, count_image_sets, user_tables;
    statement find_image_set_row, find_version, versions_of, image_sets_in, series_sets, upsert_image_set;
    statement insert_version, insert_frame, find_frame, set_image_set_tags, delete_frames_of, live_image_sets_in;
    statement interrupted_jobs, copy_frame, set_version_properties;
    statement begin, begin_read, commit, rollback;

    connection() = default;
    connection(const connection&) = delete;
    connection& operator=(const connection&) = delete;
    ~connection() {
        // Statements are finalized by their destructors, which run after this body;
        // sqlite3_close_v2 defers the close until they are.
        sqlite3_close_v2(db);
    }

    api::status exec(const char* text) { return exec_on(db, text); }
    static api::status exec_on(sqlite3* on, const char* text) {
        char* err = nullptr;
        if (sqlite3_exec(on, text, nullptr, nullptr, &err) != SQLITE_OK) {
            std::string msg = err ? err : sqlite3_errmsg(on);
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

    // Prepares every statement on `db`.
    api::status prepare_statements() {
        const std::string ds_cols = column_list(k_datastore_columns);
        const std::string job_cols = column_list(k_job_columns);
        const std::string in_scope_sql = "account_id = ?1 AND (region = ?2 OR region = '')";
        const std::pair<statement*, std::string> statements[] = {
            {&find_datastore, "SELECT " + ds_cols + " FROM datastores WHERE datastore_id = ?1"},
            {&datastore_by_token,
             "SELECT " + ds_cols + " FROM datastores WHERE " + in_scope_sql + " AND client_token = ?3"},
            {&datastores_in_scope, "SELECT " + ds_cols + " FROM datastores WHERE " + in_scope_sql},
            {&upsert_datastore,
             "INSERT INTO datastores (" + ds_cols + ") VALUES (" + placeholders<k_datastore_columns.size()>() +
                 ") ON CONFLICT (datastore_id) DO UPDATE SET " + [] {
                     std::string set;
                     for (std::size_t i = 1; i < k_datastore_columns.size(); ++i) {
                         if (i > 1) set += ", ";
                         set += std::string(k_datastore_columns[i]) + " = excluded." + std::string(k_datastore_columns[i]);
                     }
                     return set;
                 }()},
            {&list_datastores_first,
             "SELECT " + ds_cols + " FROM datastores ORDER BY list_order DESC, datastore_id DESC"},
            {&list_datastores_after,
             "SELECT " + ds_cols + " FROM datastores WHERE (list_order, datastore_id) < (?1, ?2) "
                                   "ORDER BY list_order DESC, datastore_id DESC"},
            {&find_job, "SELECT " + job_cols + " FROM import_jobs WHERE datastore_id = ?1 AND job_id = ?2"},
            {&job_by_token, "SELECT " + job_cols + " FROM import_jobs WHERE datastore_id = ?1 AND client_token = ?2"},
            {&upsert_job,
             "INSERT OR REPLACE INTO import_jobs (" + job_cols + ") VALUES (" + placeholders<k_job_columns.size()>() + ")"},
            {&update_job_progress,
             "UPDATE import_jobs SET job_status = ?3, ended_at_ms = ?4, message = ?5, polls = ?6, steps_reached = ?7, "
             "last_poll_ms = ?8 WHERE datastore_id = ?1 AND job_id = ?2"},
            {&in_flight_jobs,
             "SELECT " + job_cols + " FROM import_jobs WHERE datastore_id = ?1 AND job_status IN ('SUBMITTED', 'IN_PROGRESS')"},
            {&list_jobs_first,
             "SELECT " + job_cols + " FROM import_jobs WHERE datastore_id = ?1 ORDER BY list_order DESC, job_id DESC"},
            {&list_jobs_after,
             "SELECT " + job_cols + " FROM import_jobs WHERE datastore_id = ?1 AND (list_order, job_id) < (?2, ?3) "
                                    "ORDER BY list_order DESC, job_id DESC"},
            {&all_datastores, every_datastore_sql()},
            {&all_jobs, every_job_sql()},
            {&all_rules, "SELECT input_prefix, datastore_id, job_status, message FROM import_rules ORDER BY position"},
            {&add_rule, "INSERT INTO import_rules (input_prefix, datastore_id, job_status, message) VALUES (?1, ?2, ?3, ?4)"},
            {&delete_jobs_of, "DELETE FROM import_jobs WHERE datastore_id = ?1"},
            {&delete_datastore_row, "DELETE FROM datastores WHERE datastore_id = ?1"},
            {&user_tables, "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"},
            {&count_datastores, "SELECT count(*) FROM datastores"},
            {&count_jobs, "SELECT count(*) FROM import_jobs"},
            {&count_rules, "SELECT count(*) FROM import_rules"},
            {&count_image_sets, "SELECT count(*) FROM image_sets"},
            {&find_image_set_row,
             "SELECT latest_version, tags, state FROM image_sets WHERE datastore_id = ?1 AND image_set_id = ?2"},
            {&find_version,
             "SELECT properties, metadata FROM image_set_versions WHERE datastore_id = ?1 AND image_set_id = ?2 AND version = ?3"},
            {&versions_of,
             "SELECT version, properties FROM image_set_versions WHERE datastore_id = ?1 AND image_set_id = ?2 AND "
             "version < ?3 ORDER BY version DESC"},
            {&image_sets_in,
             "SELECT i.image_set_id, i.latest_version, v.properties FROM image_sets i JOIN image_set_versions v ON "
             "v.datastore_id = i.datastore_id AND v.image_set_id = i.image_set_id AND v.version = i.latest_version "
             "WHERE i.datastore_id = ?1 ORDER BY i.list_order, i.image_set_id"},
            {&series_sets,
             "SELECT i.image_set_id, i.latest_version, v.properties, i.grouping_key, v.metadata FROM image_sets i JOIN "
             "image_set_versions v ON v.datastore_id = i.datastore_id AND v.image_set_id = i.image_set_id AND "
             "v.version = i.latest_version WHERE i.datastore_id = ?1 AND i.series_uid = ?2 AND i.state = 'ACTIVE' "
             "ORDER BY i.list_order, i.image_set_id"},
            {&upsert_image_set,
             "INSERT INTO image_sets (datastore_id, image_set_id, latest_version, grouping_key, series_uid, state, list_order) "
             "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT (datastore_id, image_set_id) DO UPDATE SET "
             "latest_version = excluded.latest_version, "
             "grouping_key = CASE excluded.grouping_key WHEN '' THEN grouping_key ELSE excluded.grouping_key END, "
             "series_uid = excluded.series_uid, state = excluded.state"},
            {&insert_version,
             "INSERT OR REPLACE INTO image_set_versions (datastore_id, image_set_id, version, properties, metadata) "
             "VALUES (?1, ?2, ?3, ?4, ?5)"},
            {&insert_frame,
             "INSERT OR REPLACE INTO image_frames (datastore_id, image_set_id, frame_id, content_type, bytes) "
             "VALUES (?1, ?2, ?3, ?4, ?5)"},
            {&find_frame,
             "SELECT content_type, bytes FROM image_frames WHERE datastore_id = ?1 AND image_set_id = ?2 AND frame_id = ?3"},
            {&copy_frame,
             "INSERT OR REPLACE INTO image_frames (datastore_id, image_set_id, frame_id, content_type, bytes) "
             "SELECT datastore_id, ?2, frame_id, content_type, bytes FROM image_frames "
             "WHERE datastore_id = ?1 AND image_set_id = ?3 AND frame_id = ?4"},
            {&set_version_properties,
             "UPDATE image_set_versions SET properties = ?4 WHERE datastore_id = ?1 AND image_set_id = ?2 AND version = ?3"},
            {&set_image_set_tags, "UPDATE image_sets SET tags = ?3 WHERE datastore_id = ?1 AND image_set_id = ?2"},
            {&delete_frames_of, "DELETE FROM image_frames WHERE datastore_id = ?1 AND image_set_id = ?2"},
            {&live_image_sets_in, "SELECT count(*) FROM image_sets WHERE datastore_id = ?1 AND state != 'DELETED'"},
            {&interrupted_jobs,
             "SELECT " + job_cols + " FROM import_jobs WHERE reads_files = 1 AND job_status IN ('SUBMITTED', 'IN_PROGRESS')"},
            {&begin, "BEGIN IMMEDIATE"},
            {&begin_read, "BEGIN"},
            {&commit, "COMMIT"},
            {&rollback, "ROLLBACK"},
        };
        for (const auto& [stmt, text] : statements) {
            if (stmt->prepare(db, text) != SQLITE_OK) return sqlite_failure(db, "cannot prepare statement");
        }
        return api::ok_status();
    }

    // Runs `body` inside BEGIN IMMEDIATE ... COMMIT; rolls back if it or the commit fails.
    template <class Body>
    api::status transaction(Body&& body) {
        if (auto s = run(begin); !s) return s;
        api::status done = body();
        if (done) done = run(commit);
        if (!done) (void)run(rollback);
        return done;
    }

    // Copies the whole database `from` into `to`, page by page.
    api::status copy_database(sqlite3* to, sqlite3* from, std::string_view what) {
        sqlite3_backup* b = sqlite3_backup_init(to, "main", from, "main");
        if (!b) return sqlite_failure(to, what);
        const int rc = sqlite3_backup_step(b, -1);
        sqlite3_backup_finish(b);
        if (rc != SQLITE_DONE) return api::error::internal(std::string(what) + ": " + sqlite3_errstr(rc));
        return api::ok_status();
    }

    // Empties every table the schema has, read from the schema itself, so a new table cannot
    // be forgotten by a replace.
    api::status clear_every_table() {
        auto tables = read_all(user_tables, {}, [](const statement::use& q) { return api::result<std::string>(q.text(0)); });
        if (!tables) return tables.err();
        for (const auto& t : tables.value()) {
            if (auto s = exec(("DELETE FROM \"" + t + "\"").c_str()); !s) return s;
        }
        return api::ok_status();
    }

    // The datastores `only` matches and their jobs, read with `datastores` and `jobs` (all
    // rows in id order; of the serving database or of the baseline).
    api::result<dataset> read_namespaces(statement& datastores, statement& jobs, const namespace_filter& only) {
        dataset out;
        auto all = read_all(datastores, {}, datastore_from_row);
        if (!all) return all.err();
        out.datastores = std::move(all).value();
        if (only.everything()) {
            auto every_job = read_all(jobs, {}, job_from_row);
            if (!every_job) return every_job.err();
            out.jobs = std::move(every_job).value();
            return out;
        }
        std::erase_if(out.datastores, [&](const datastore& d) { return !only.matches(d); });
        std::set<std::string, std::less<>> kept;
        for (const auto& d : out.datastores) kept.insert(d.datastore_id);
        statement::use q(jobs);
        int rc;
        while ((rc = q.step()) == SQLITE_ROW) {
            if (!kept.count(q.text(job("datastore_id")))) continue;
            auto j = job_from_row(q);
            if (!j) return j.err();
            out.jobs.push_back(std::move(j).value());
        }
        if (rc != SQLITE_DONE) return sqlite_failure(db, "SQLite");
        return out;
    }

    // Every write calls this first, so a reset knows whether there is anything to restore and
    // the generation moves on when the writer's call ends.
    void note_change() {
        if (changes) changes->note();
    }

    // The stored datastore, whatever its scope, or nothing.
    api::result<std::optional<datastore>> read_datastore(std::string_view datastore_id) {
        return read_one(find_datastore, {datastore_id}, datastore_from_row);
    }

    // The stored datastore, as stored. Error: ResourceNotFoundException when it is not there
    // or not in the scope.
    api::result<datastore> scoped_datastore(const scope& who, std::string_view datastore_id) {
        auto found = read_datastore(datastore_id);
        if (!found) return found.err();
        if (!found.value() || !in_scope(*found.value(), who)) return datastore_not_found(datastore_id);
        return std::move(*found.value());
    }

    // The datastore as `who` sees it at `now` (time-based steps applied and stored).
    // Error: ResourceNotFoundException when it is not there or not in the scope.
    api::result<datastore> visible_datastore(const scope& who, std::string_view datastore_id, api::epoch_millis now) {
        auto found = scoped_datastore(who, datastore_id);
        if (!found) return found.err();
        datastore& d = found.value();
        if (advance(d, now)) {
            if (auto s = write_datastore(d); !s) return s.err();
        }
        return std::move(d);
    }

    api::status write_datastore(const datastore& d) {
        note_change();
        statement::use q(upsert_datastore);
        q.bind(ds("datastore_id"), d.datastore_id);
        q.bind(ds("datastore_name"), d.datastore_name);
        q.bind(ds("datastore_status"), d.datastore_status);
        q.bind(ds("account_id"), d.account_id);
        q.bind(ds("region"), d.region);
        q.bind(ds("created_at_ms"), d.created_at);
        q.bind(ds("updated_at_ms"), d.updated_at);
        q.bind(ds("kms_key_arn"), d.kms_key_arn);
        q.bind(ds("lambda_authorizer_arn"), d.lambda_authorizer_arn);
        q.bind(ds("lossless_storage_format"), d.lossless_storage_format);
        q.bind(ds("tags"), d.tags.empty() ? std::nullopt : std::optional<std::string>(tags_to_json(d.tags)));
        q.bind(ds("client_token"), d.client_token);
        q.bind(ds("progression"), steps_text(d.progression, "datastoreStatus"));
        q.bind_int(ds("polls"), static_cast<std::int64_t>(d.progress.polls));
        q.bind_int(ds("steps_reached"), static_cast<std::int64_t>(d.progress.steps_reached));
        q.bind_int(ds("progress_started_ms"), d.progress.started_at);
        q.bind_int(ds("last_poll_ms"), d.progress.last_polled_at);
        q.bind(ds("import_progression"), steps_text(d.import_progression, "jobStatus"));
        q.bind_int(ds("list_order"), d.created_at.value_or(0));
        if (q.step() != SQLITE_DONE) return sqlite_failure(db, "cannot store datastore " + d.datastore_id);
        return api::ok_status();
    }

    api::status write_job(const import_job& j) {
        note_change();
        statement::use q(upsert_job);
        bind_job(q, j);
        if (q.step() != SQLITE_DONE) return sqlite_failure(db, "cannot store import job " + j.job_id);
        return api::ok_status();
    }

    // Binds every column of k_job_columns, in its order.
    // REQUIRES: `j` outlives `q` (its strings are bound borrowed).
    static void bind_job(statement::use& q, const import_job& j) {
        q.bind_borrowed(job("datastore_id"), j.datastore_id);
        q.bind_borrowed(job("job_id"), j.job_id);
        q.bind_borrowed(job("job_name"), j.job_name);
        q.bind_borrowed(job("job_status"), j.job_status);
        q.bind_borrowed(job("data_access_role_arn"), j.data_access_role_arn);
        q.bind_borrowed(job("input_s3_uri"), j.input_s3_uri);
        q.bind_borrowed(job("output_s3_uri"), j.output_s3_uri);
        q.bind(job("submitted_at_ms"), j.submitted_at);
        q.bind(job("ended_at_ms"), j.ended_at);
        q.bind_borrowed(job("message"), j.message);
        q.bind(job("progression"), steps_text(j.progression, "jobStatus"));
        q.bind_int(job("polls"), static_cast<std::int64_t>(j.progress.polls));
        q.bind_int(job("steps_reached"), static_cast<std::int64_t>(j.progress.steps_reached));
        q.bind_int(job("progress_started_ms"), j.progress.started_at);
        q.bind_int(job("last_poll_ms"), j.progress.last_polled_at);
        q.bind_borrowed(job("input_owner_account_id"), j.input_owner_account_id);
        q.bind_borrowed(job("import_configuration"), j.import_configuration);
        q.bind_borrowed(job("client_token"), j.client_token);
        q.bind_int(job("list_order"), j.submitted_at.value_or(0));
        q.bind_int(job("reads_files"), j.reads_files ? 1 : 0);
    }

    api::result<std::optional<import_job>> read_job(std::string_view datastore_id, std::string_view job_id) {
        return read_one(find_job, {datastore_id, job_id}, job_from_row);
    }

    // The job, or ResourceNotFoundException saying which of the two was not there.
    api::result<import_job> visible_job(const scope& who, std::string_view datastore_id, std::string_view job_id) {
        auto found = read_job(datastore_id, job_id);
        if (!found) return found.err();
        if (auto owner = scoped_datastore(who, datastore_id); !owner) return owner.err();
        if (!found.value()) {
            return api::error::resource_not_found("Import job " + api::display_value(job_id) + " not found in datastore " +
                                                  std::string(datastore_id));
        }
        return std::move(*found.value());
    }

    // The jobs of a datastore still SUBMITTED or IN_PROGRESS at `now`; time-based steps due
    // by then are applied and stored first, so a job that has finished by the clock is not counted.
    api::result<std::uint64_t> count_in_flight(std::string_view datastore_id, api::epoch_millis now) {
        auto jobs = read_all(in_flight_jobs, {datastore_id}, job_from_row);
        if (!jobs) return jobs.err();
        std::uint64_t count = 0;
        for (auto& j : jobs.value()) {
            if (advance(j, now)) {
                if (auto s = write_job(j); !s) return s.err();
            }
            if (is_in_flight(j.job_status)) ++count;
        }
        return count;
    }

    // The one row statement `s` finds with `params` bound in order, decoded by `from_row`, or nothing.
    template <class FromRow>
    auto read_one(statement& s, std::initializer_list<std::string_view> params, FromRow from_row)
        -> api::result<std::optional<typename decltype(from_row(std::declval<const statement::use&>()))::value_type>> {
        using item = typename decltype(from_row(std::declval<const statement::use&>()))::value_type;
        statement::use q(s);
        int i = 0;
        for (const auto p : params) q.bind(i++, p);
        const int rc = q.step();
        if (rc == SQLITE_DONE) return std::optional<item>();
        if (rc != SQLITE_ROW) return sqlite_failure(db, "SQLite");
        auto row = from_row(q);
        if (!row) return row.err();
        return std::optional<item>(std::move(row).value());
    }

    // Every row statement `s` finds with `params` bound in order, decoded by `from_row`.
    template <class FromRow>
    auto read_all(statement& s, std::initializer_list<std::string_view> params, FromRow from_row)
        -> api::result<std::vector<typename decltype(from_row(std::declval<const statement::use&>()))::value_type>> {
        std::vector<typename decltype(from_row(std::declval<const statement::use&>()))::value_type> out;
        statement::use q(s);
        int i = 0;
        for (const auto p : params) q.bind(i++, p);
        int rc;
        while ((rc = q.step()) == SQLITE_ROW) {
            auto row = from_row(q);
            if (!row) return row.err();
            out.push_back(std::move(row).value());
        }
        if (rc != SQLITE_DONE) return sqlite_failure(db, "SQLite");
        return out;
    }

    api::result<std::vector<import_rule>> read_rules() {
        std::vector<import_rule> out;
        statement::use q(all_rules);
        int rc;
        while ((rc = q.step()) == SQLITE_ROW) {
            out.push_back({q.text(0), q.optional_text(1), q.text(2), q.optional_text(3)});
        }
        if (rc != SQLITE_DONE) return sqlite_failure(db, "SQLite");
        return out;
    }

    api::result<std::uint64_t> count(statement& s) {
        statement::use q(s);
        if (q.step() != SQLITE_ROW) return sqlite_failure(db, "SQLite");
        return static_cast<std::uint64_t>(q.integer(0));
    }

    // Reads rows of a list in order from `after`, keeping those `keep` accepts, until one
    // more than `limit` is found (that one tells there is a next page).
    template <class Item, class FromRow, class Keep>
    api::result<page<Item>> read_page(statement& first, statement& after, std::string_view parent,
                                      const page_request& request, FromRow from_row, Keep keep,
                                      std::int64_t (*order_of)(const Item&), std::string_view (*id_of)(const Item&)) {
        std::optional<std::pair<std::int64_t, std::string>> from;
        if (request.after) {
            from = parse_position(*request.after);
            if (!from) return api::error::validation("Invalid pagination token");
        }
        statement& s = from ? after : first;
        statement::use q(s);
        int next = 0;
        if (!parent.empty()) q.bind(next++, parent);
        if (from) {
            q.bind_int(next++, from->first);
            q.bind(next++, from->second);
        }
        page<Item> out;
        int rc;
        while ((rc = q.step()) == SQLITE_ROW) {
            auto item = from_row(q);
            if (!item) return item.err();
            if (!keep(item.value())) continue;
            if (out.items.size() == request.limit) {
                const Item& last = out.items.back();
                out.next_position = list_position(order_of(last), id_of(last));
                break;
            }
            out.items.push_back(std::move(item).value());
        }
        if (rc != SQLITE_DONE && rc != SQLITE_ROW) return sqlite_failure(db, "SQLite");
        return out;
    }
};
}  // namespace

struct store::impl {
    // Declared first, so it goes last: every connection is closed before its files are removed.
    std::optional<scratch_dir> scratch;  // the in-memory store's database, and the baseline copy
    std::string path;                    // the database file every connection opens
    std::string where;                   // the database as messages name it
    bool in_memory = false;              // the database is the scratch one (no --db file)
    int busy_timeout_millis = 5000;

    std::mutex reset_mutex;  // one mark or reset at a time; taken before write_mutex, never inside it
    std::mutex write_mutex;  // one writer call at a time; guards `writer`, `changes` (but its
                             // generation, which is atomic) and everything of the baseline
    connection writer;
    change_log changes;
    sqlite3* baseline = nullptr;   // a copy of the marked state, in the scratch directory
    bool baseline_marked = false;  // `baseline` holds the marked state
    api::epoch_millis baseline_at = 0;

    // The last counts read, as of a generation: a health check of a million-job store is not a
    // scan of the million. Only of the in-memory store, which no other process writes.
    struct counts_of {
        std::uint64_t generation = 0;
        std::optional<store_counts> counts;
    };
    std::mutex counts_mutex;  // guards the two below
    counts_of counted;        // of a generation already published
    // After a long write (a fixture load): counts the new state on the writer, for the
    // generation it is about to publish, so that the first health check after it is not a scan
    // of every row on an I/O thread (~90 ms for 1.1 million jobs, which every read queued behind
    // it waited for). Kept beside `counted`, not over it: until the write's call ends and
    // publishes (after the commit: the load's staging file, freeing its memory), health checks
    // still ask for the old generation, and each would count every row if its counts were gone.
    counts_of counted_next;
    void count_before_publish(connection& c);

    std::mutex idle_mutex;  // guards idle_readers (held for a push or a pop, never for a read)
    std::vector<std::unique_ptr<connection>> idle_readers;

    ~impl() { sqlite3_close_v2(baseline); }

    // The writer, for the length of one store call: writes happen one at a time, and what the
    // call wrote is published (the generation moves on) when it ends, after its commit.
    class write_access {
    public:
        explicit write_access(impl& im) : im_(im), lock_(im.write_mutex) {}
        write_access(const write_access&) = delete;
        write_access& operator=(const write_access&) = delete;
        ~write_access() { im_.changes.publish(); }
        connection& operator*() const { return im_.writer; }
        connection* operator->() const { return &im_.writer; }

    private:
        impl& im_;
        std::unique_lock<std::mutex> lock_;
    };

    // A reader connection for the length of one store call, inside one read transaction: the
    // call reads one committed state, whatever the writer does meanwhile, and never waits for it.
    class read_access {
    public:
        read_access(impl& im, std::unique_ptr<connection> c) : im_(&im), c_(std::move(c)) {}
        read_access(read_access&& other) noexcept = default;
        read_access& operator=(read_access&&) = delete;
        read_access(const read_access&) = delete;
        ~read_access() {
            if (!c_) return;
            (void)c_->run(c_->commit);
            std::lock_guard lock(im_->idle_mutex);
            im_->idle_readers.push_back(std::move(c_));
        }
        connection& operator*() const { return *c_; }
        connection* operator->() const { return c_.get(); }

    private:
        impl* im_;
        std::unique_ptr<connection> c_;
    };

    write_access write() { return write_access(*this); }

    // Error: InternalServerException when a new reader connection cannot be opened.
    api::result<read_access> read() {
        std::unique_ptr<connection> c;
        {
            std::lock_guard lock(idle_mutex);
            if (!idle_readers.empty()) {
                c = std::move(idle_readers.back());
                idle_readers.pop_back();
            }
        }
        if (!c) {
            auto opened = open_reader();
            if (!opened) return opened.err();
            c = std::move(opened).value();
        }
        if (auto s = c->run(c->begin_read); !s) return s.err();
        return read_access(*this, std::move(c));
    }

    // A Get of the resource `find(connection&)` finds, as polled at `now`. A poll that no later
    // step waits for is answered on a reader as any read is; one that must be counted finds the
    // resource again on the writer, polls it there and writes it with `record(connection&, resource&)`.
    template <class Find, class Record>
    std::invoke_result_t<Find, connection&> poll_resource(api::epoch_millis now, Find find, Record record) {
        {
            auto lease = read();
            if (!lease) return lease.err();
            auto found = find(*lease.value());
            if (!found) return found.err();
            auto& r = found.value();
            if (!awaits_polls(r.progression, r.progress)) {
                advance(r, now);
                return found;
            }
        }
        auto writing = write();
        auto found = find(*writing);
        if (!found) return found.err();
        auto answer = poll(found.value(), now);
        if (auto s = record(*writing, found.value()); !s) return s.err();
        return answer;
    }

    // Readers are opened as the threads that read need them, and kept.
    api::result<std::unique_ptr<connection>> open_reader() {
        auto c = std::make_unique<connection>();
        if (sqlite3_open_v2(path.c_str(), &c->db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, nullptr) != SQLITE_OK) {
            return sqlite_failure(c->db, "cannot open a reader of " + where);
        }
        sqlite3_extended_result_codes(c->db, 1);
        sqlite3_busy_timeout(c->db, busy_timeout_millis);
        if (auto s = c->exec("PRAGMA cache_size=-8192;"); !s) return s.err();
        if (auto s = c->prepare_statements(); !s) return s.err();
        return c;
    }
};

store::store(std::unique_ptr<impl> state) : impl_(std::move(state)) {}
store::~store() = default;

std::uint64_t store::generation() const noexcept { return impl_->changes.generation.load(std::memory_order_acquire); }

void configure_sqlite_for_server() {
    // SQLITE_MISUSE once SQLite is initialised: the default then stays, which only costs memory.
    (void)sqlite3_config(SQLITE_CONFIG_PAGECACHE, nullptr, 0, 0);
    // No allocation statistics: nothing reads them, and keeping them takes a global mutex
    // around every SQLite allocation (SQLite's mutexes were 3.7% of a big load's samples).
    (void)sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

api::result<std::unique_ptr<store>> store::open(const store_options& options) {
    auto im = std::make_unique<impl>();
    const auto& path = options.path;
    im->in_memory = path.empty() || path == ":memory:";
    auto scratch = scratch_dir::make("healthimaging-local");
    if (!scratch) return scratch.err();
    im->scratch.emplace(std::move(scratch).value());
    // In memory means no file the user keeps: the database lives in the scratch directory, so
    // that readers can have connections of their own (an SQLite ":memory:" database has one).
    im->path = im->in_memory ? im->scratch->file("store.db") : path;
    im->where = im->in_memory ? std::string("in-memory database") : "database '" + path + "'";
    im->busy_timeout_millis = options.busy_timeout_millis;
    const std::string& where = im->where;
    connection& w = im->writer;
    w.changes = &im->changes;
    const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
    if (sqlite3_open_v2(im->path.c_str(), &w.db, flags, nullptr) != SQLITE_OK) {
        return sqlite_failure(w.db, "cannot open " + where);
    }
    sqlite3_extended_result_codes(w.db, 1);
    sqlite3_busy_timeout(w.db, options.busy_timeout_millis);
    if (im->in_memory) {
        // Bigger pages than the 4 KB default: a million-job load splits and rebalances a
        // quarter as many B-tree pages (measured: 8% less load CPU, 10% less memory). Nothing
        // is synced: the file goes with the process. synchronous=OFF comes first, since the
        // switch to WAL is the file's first write: after it, that write synced the new file,
        // its journal and the directory (4 fdatasyncs, ~13 ms of a ~25 ms start-up).
        if (auto s = w.exec("PRAGMA page_size=16384; PRAGMA synchronous=OFF; PRAGMA journal_mode=WAL;"); !s) {
            return api::error::internal("cannot open " + where + ": " + s.err().message());
        }
    } else {
        // A crash mid-load leaves either the whole transaction or none of it.
        if (auto s = w.exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"); !s) {
            return api::error::internal("cannot open " + where + ": " + s.err().message());
        }
    }
    // WAL is what lets readers read while the writer writes. A file that cannot be in WAL mode
    // (a file system without shared memory) stays in its own mode: it still works, but there
    // a reader may wait for a commit (up to the busy timeout).
    if (auto s = w.exec(("PRAGMA foreign_keys=ON; " + writer_cache_pragma(k_writer_cache_kib)).c_str()); !s) return s.err();
    std::int64_t found_version = 0;
    {
        statement version;
        if (version.prepare(w.db, "PRAGMA user_version") != SQLITE_OK) return sqlite_failure(w.db, "cannot read " + where);
        statement::use u(version);
        if (u.step() != SQLITE_ROW) return sqlite_failure(w.db, "cannot read " + where);
        found_version = u.integer(0);
    }
    if (found_version > k_schema_version) {
        return api::error::internal(where + " has schema version " + std::to_string(found_version) +
                                    ", newer than this build understands (" + std::to_string(k_schema_version) + ")");
    }
    if (found_version == 1) {
        if (auto s = w.exec((std::string("BEGIN;") + k_upgrade_from_1 + "COMMIT;").c_str()); !s) {
            (void)w.exec("ROLLBACK;");
            return api::error::internal("cannot upgrade " + where + " from schema version 1: " + s.err().message());
        }
    }
    if (found_version == 1 || found_version == 2) {
        if (auto s = w.exec((std::string("BEGIN;") + k_upgrade_from_2 + "COMMIT;").c_str()); !s) {
            (void)w.exec("ROLLBACK;");
            return api::error::internal("cannot upgrade " + where + " from schema version 2: " + s.err().message());
        }
    }
    if (auto s = w.exec(k_schema); !s) return api::error::internal("cannot create schema in " + where + ": " + s.err().message());
    for (const char* indexes : {k_indexes, k_jobs_by_order_index}) {
        if (auto s = w.exec(indexes); !s) return api::error::internal("cannot create indexes in " + where + ": " + s.err().message());
    }
    if (auto s = w.exec(("PRAGMA user_version=" + std::to_string(k_schema_version)).c_str()); !s) return s.err();

    if (auto s = w.prepare_statements(); !s) return s.err();
    return std::unique_ptr<store>(new store(std::move(im)));
}

// --- datastores ---

api::result<datastore> store::poll_datastore(const scope& who, std::string_view datastore_id, api::epoch_millis now) {
    return impl_->poll_resource(
        now, [&](connection& c) { return c.scoped_datastore(who, datastore_id); },
        [](connection& c, const datastore& d) { return c.write_datastore(d); });
}

api::result<page<datastore>> store::list_datastores(const scope& who, const std::optional<std::string>& status,
                                                    const page_request& request, api::epoch_millis now) {
    auto lease = impl_->read();
    if (!lease) return lease.err();
    connection& c = *lease.value();
    return c.read_page<datastore>(
        c.list_datastores_first, c.list_datastores_after, {}, request,
        [](const statement::use& q) { return datastore_from_row(q); },
        [&](datastore& d) {
            if (!in_scope(d, who)) return false;
            advance(d, now);
            return !status || d.datastore_status == *status;
        },
        [](const datastore& d) { return d.created_at.value_or(0); },
        [](const datastore& d) { return std::string_view(d.datastore_id); });
}

api::result<datastore> store::create_datastore(const scope& who, datastore d, const lifecycle_policy& policy,
                                               api::epoch_millis now) {
    auto writing = impl_->write();
    connection& c = *writing;
    if (d.client_token) {
        auto earlier = c.read_one(c.datastore_by_token, {who.account_id, who.region, *d.client_token},
                                       datastore_from_row);
        if (!earlier) return earlier.err();
        if (earlier.value()) {
            datastore& e = *earlier.value();
            const bool same_name = d.datastore_name.empty() ? e.datastore_name == e.datastore_id
                                                            : e.datastore_name == d.datastore_name;
            if (!same_name || e.kms_key_arn != d.kms_key_arn || e.lambda_authorizer_arn != d.lambda_authorizer_arn ||
                e.lossless_storage_format != d.lossless_storage_format) {
                return api::error::conflict("Client token " + *d.client_token +
                                            " was already used for a different CreateDatastore request");
            }
            // The first call's datastore as it is now, its time steps applied.
            if (advance(e, now)) {
                if (auto s = c.write_datastore(e); !s) return s.err();
            }
            return std::move(e);
        }
    }
    auto in_scope_now = c.read_all(c.datastores_in_scope, {who.account_id, who.region}, datastore_from_row);
    if (!in_scope_now) return in_scope_now.err();
    std::uint64_t counted = 0;
    for (auto& existing : in_scope_now.value()) {
        advance(existing, now);  // a datastore DELETED by the clock no longer counts
        if (existing.datastore_status != "DELETED") ++counted;
    }
    if (counted >= policy.max_datastores) {
        return api::error::of(api::error_code::service_quota_exceeded,
                              "The account already has " + std::to_string(policy.max_datastores) + " data stores in " +
                                  who.region + ", the most it may have");
    }
    // DatastoreProperties.datastoreName is required in answers; AWS does not say what it names
    // a datastore created without one, so it is named by its id.
    if (d.datastore_name.empty()) d.datastore_name = d.datastore_id;
    d.account_id = who.account_id;
    d.region = who.region;
    d.datastore_status = "CREATING";
    d.created_at = now;
    d.updated_at = now;
    d.progression = policy.datastore_create;
    d.progress = fresh_progress(now);
    if (auto s = c.write_datastore(d); !s) return s.err();
    return d;
}

api::result<datastore> store::delete_datastore(const scope& who, std::string_view datastore_id,
                                               const lifecycle_policy& policy, api::epoch_millis now) {
    auto writing = impl_->write();
    connection& c = *writing;
    auto found = c.visible_datastore(who, datastore_id, now);
    if (!found) return found.err();
    datastore& d = found.value();
    if (d.datastore_status != "ACTIVE" && d.datastore_status != "CREATE_FAILED") {
        return api::error::conflict("Datastore " + d.datastore_id + " is " + d.datastore_status +
                                    "; only an ACTIVE or CREATE_FAILED data store can be deleted");
    }
    auto in_flight = c.count_in_flight(d.datastore_id, now);
    if (!in_flight) return in_flight.err();
    if (in_flight.value() != 0) {
        return api::error::conflict("Datastore " + d.datastore_id + " has " + std::to_string(in_flight.value()) +
                                    " import job(s) SUBMITTED or IN_PROGRESS; wait for them to end before deleting it");
    }
    {
        statement::use q(c.live_image_sets_in);
        q.bind(0, d.datastore_id);
        if (q.step() != SQLITE_ROW) return sqlite_failure(c.db, "SQLite");
        if (const auto live = q.integer(0); live != 0) {
            return api::error::conflict("Datastore " + d.datastore_id + " still holds " + std::to_string(live) +
                                        " image set(s); delete every image set before deleting the data store");
        }
    }
    d.datastore_status = "DELETING";
    d.updated_at = now;
    d.progression = policy.datastore_delete;
    d.progress = fresh_progress(now);
    if (auto s = c.write_datastore(d); !s) return s.err();
    return std::move(d);
}

// --- import jobs ---

api::result<import_job> store::find_import_job(const scope& who, std::string_view datastore_id, std::string_view job_id) {
    auto lease = impl_->read();
    if (!lease) return lease.err();
    connection& c = *lease.value();
    return c.visible_job(who, datastore_id, job_id);
}

api::result<import_job> store::poll_import_job(const scope& who, std::string_view datastore_id, std::string_view job_id,
                                               api::epoch_millis now) {
    return impl_->poll_resource(
        now, [&](connection& c) { return c.visible_job(who, datastore_id, job_id); },
        [](connection& c, const import_job& j) -> api::status {
            c.note_change();
            statement::use q(c.update_job_progress);
            q.bind(0, j.datastore_id);
            q.bind(1, j.job_id);
            q.bind(2, j.job_status);
            q.bind(3, j.ended_at);
            q.bind(4, j.message);
            q.bind_int(5, static_cast<std::int64_t>(j.progress.polls));
            q.bind_int(6, static_cast<std::int64_t>(j.progress.steps_reached));
            q.bind_int(7, j.progress.last_polled_at);
            if (q.step() != SQLITE_DONE) return sqlite_failure(c.db, "cannot record the poll of import job " + j.job_id);
            return api::ok_status();
        });
}

api::result<page<import_job>> store::list_import_jobs(const scope& who, std::string_view datastore_id,
                                                      const std::optional<std::string>& status,
                                                      const page_request& request, api::epoch_millis now) {
    auto lease = impl_->read();
    if (!lease) return lease.err();
    connection& c = *lease.value();
    if (auto owner = c.scoped_datastore(who, datastore_id); !owner) return owner.err();
    return c.read_page<import_job>(
        c.list_jobs_first, c.list_jobs_after, datastore_id, request,
        [](const statement::use& q) { return job_from_row(q); },
        [&](import_job& j) {
            advance(j, now);
            return !status || j.job_status == *status;
        },
        [](const import_job& j) { return j.submitted_at.value_or(0); },
        [](const import_job& j) { return std::string_view(j.job_id); });
}

api::result<import_job> store::start_import_job(const scope& who, import_job j, const lifecycle_policy& policy,
                                                api::epoch_millis now) {
    auto writing = impl_->write();
    connection& c = *writing;
    auto found = c.visible_datastore(who, j.datastore_id, now);
    if (!found) return found.err();
    const datastore& d = found.value();
    if (j.client_token) {
        auto earlier = c.read_one(c.job_by_token, {j.datastore_id, *j.client_token}, job_from_row);
        if (!earlier) return earlier.err();
        if (earlier.value()) {
            import_job& e = *earlier.value();
            // The caller computes the output URI from the new job id; the earlier job's tells
            // the prefix it was given.
            const std::string requested_output = output_uri(j.output_s3_uri, j.datastore_id, e.job_id);
            const bool same_name = j.job_name.empty() ? e.job_name == e.job_id : e.job_name == j.job_name;
            if (!same_name || e.data_access_role_arn != j.data_access_role_arn || e.input_s3_uri != j.input_s3_uri ||
                e.output_s3_uri != requested_output || e.input_owner_account_id != j.input_owner_account_id ||
                e.import_configuration != j.import_configuration) {
                return api::error::conflict("Client token " + *j.client_token +
                                            " was already used for a different StartDICOMImportJob request");
            }
            // The first call's job as it is now, its time steps applied.
            if (advance(e, now)) {
                if (auto s = c.write_job(e); !s) return s.err();
            }
            return std::move(e);
        }
    }
    if (d.datastore_status != "ACTIVE") {
        return api::error::conflict("Datastore " + d.datastore_id + " is " + d.datastore_status +
                                    "; import jobs can only be started in an ACTIVE data store");
    }
    auto in_flight = c.count_in_flight(d.datastore_id, now);
    if (!in_flight) return in_flight.err();
    if (in_flight.value() >= policy.max_concurrent_imports) {
        return api::error::of(api::error_code::service_quota_exceeded,
                              "Datastore " + d.datastore_id + " already has " + std::to_string(in_flight.value()) +
                                  " concurrent import jobs, the most it may have");
    }
    auto rules = c.read_rules();
    if (!rules) return rules.err();
    const import_rule* rule = nullptr;
    for (const auto& r : rules.value()) {
        if ((!r.datastore_id || *r.datastore_id == j.datastore_id) && j.input_s3_uri.starts_with(r.input_prefix)) {
            rule = &r;
            break;
        }
    }
    j.progression = d.import_progression.empty() ? policy.import_job : d.import_progression;
    if (rule) {
        // The rule decides how the job ends; the steps before the end stay as they were.
        if (j.progression.empty() || (j.progression.back().status != "COMPLETED" && j.progression.back().status != "FAILED")) {
            // An end one poll (or one second) after the last step, so that step is seen first.
            progression_step end{rule->job_status, std::uint64_t{1}, std::nullopt, rule->message, std::nullopt};
            if (!j.progression.empty() && j.progression.back().after_polls) {
                end.after_polls = *j.progression.back().after_polls + 1;
            } else if (!j.progression.empty()) {
                end.after_polls.reset();
                end.after_millis = *j.progression.back().after_millis + 1000;
            }
            j.progression.push_back(std::move(end));
        } else {
            j.progression.back().status = rule->job_status;
            j.progression.back().message = rule->message;
        }
    }
    // A scripted ending (an import rule, the datastore's import progression) wins over reading files.
    if (!j.progression.empty()) j.reads_files = false;
    // jobName is required in job properties and summaries; AWS does not say what it names a job
    // started without one, so it is named by its id.
    if (j.job_name.empty()) j.job_name = j.job_id;
    j.job_status = "SUBMITTED";
    j.submitted_at = now;
    j.ended_at.reset();
    j.message.reset();
    j.output_s3_uri = output_uri(j.output_s3_uri, j.datastore_id, j.job_id);
    j.progress = fresh_progress(now);
    if (auto s = c.write_job(j); !s) return s.err();
    return j;
}

// --- image sets ---

namespace {

struct image_set_row {
    std::uint64_t latest_version = 0;
    tag_map tags;
    std::string state;
};


struct image_set_access {
    // The image set's row, after the datastore is checked to be in the caller's scope.
    static api::result<image_set_row> row(connection& c, const scope& who, std::string_view datastore_id,
                                          std::string_view image_set_id) {
        if (auto owner = c.scoped_datastore(who, datastore_id); !owner) return owner.err();
        statement::use q(c.find_image_set_row);
        q.bind(0, datastore_id);
        q.bind(1, image_set_id);
        const int rc = q.step();
        if (rc == SQLITE_DONE) return image_set_not_found(image_set_id);
        if (rc != SQLITE_ROW) return sqlite_failure(c.db, "SQLite");
        image_set_row out;
        out.latest_version = static_cast<std::uint64_t>(q.integer(0));
        if (const auto tags = q.optional_text(1)) {
            auto parsed = tags_from_json(*tags);
            if (!parsed) return parsed.err();
            out.tags = std::move(parsed).value();
        }
        out.state = q.text(2);
        return out;
    }

    // One version's properties and, when `with_metadata`, its document.
    static api::result<std::pair<image_set, std::string>> version(connection& c, std::string_view datastore_id,
                                                                  std::string_view image_set_id, std::uint64_t v,
                                                                  bool with_metadata) {
        statement::use q(c.find_version);
        q.bind(0, datastore_id);
        q.bind(1, image_set_id);
        q.bind_int(2, static_cast<std::int64_t>(v));
        const int rc = q.step();
        if (rc == SQLITE_DONE) {
            return api::error::resource_not_found("Version " + std::to_string(v) + " of image set " +
                                                  std::string(image_set_id) + " not found");
        }
        if (rc != SQLITE_ROW) return sqlite_failure(c.db, "SQLite");
        auto props = image_set_from_properties(datastore_id, image_set_id, v, q.text(0));
        if (!props) return props.err();
        return std::pair{std::move(props).value(), with_metadata ? q.blob(1) : std::string()};
    }

    static api::result<std::pair<image_set, std::string>> visible(connection& c, const scope& who, std::string_view datastore_id,
                                                                  std::string_view image_set_id,
                                                                  std::optional<std::uint64_t> v, bool with_metadata) {
        auto found = row(c, who, datastore_id, image_set_id);
        if (!found) return found.err();
        return version(c, datastore_id, image_set_id, v.value_or(found.value().latest_version), with_metadata);
    }

    static api::status write(connection& c, std::string_view datastore_id, const image_set_write& w) {
        const auto& p = w.properties;
        {
            statement::use q(c.upsert_image_set);
            q.bind(0, datastore_id);
            q.bind(1, p.image_set_id);
            q.bind_int(2, static_cast<std::int64_t>(p.version));
            q.bind(3, w.grouping_key);
            q.bind(4, p.tags.series_instance_uid);
            q.bind(5, p.state);
            q.bind_int(6, p.created_at);
            if (q.step() != SQLITE_DONE) return sqlite_failure(c.db, "cannot store image set " + p.image_set_id);
        }
        {
            statement::use q(c.insert_version);
            q.bind(0, datastore_id);
            q.bind(1, p.image_set_id);
            q.bind_int(2, static_cast<std::int64_t>(p.version));
            q.bind(3, image_set_properties_json(p));
            q.bind_blob(4, w.metadata);
            if (q.step() != SQLITE_DONE) return sqlite_failure(c.db, "cannot store image set " + p.image_set_id);
        }
        for (const auto& f : w.frames) {
            statement::use q(c.insert_frame);
            q.bind(0, datastore_id);
            q.bind(1, p.image_set_id);
            q.bind(2, f.image_frame_id);
            q.bind(3, f.content_type);
            q.bind_blob(4, f.bytes);
            if (q.step() != SQLITE_DONE) return sqlite_failure(c.db, "cannot store image frame " + f.image_frame_id);
        }
        for (const auto& id : w.copied_frame_ids) {
            statement::use q(c.copy_frame);
            q.bind(0, datastore_id);
            q.bind(1, p.image_set_id);
            q.bind(2, w.copies_frames_of);
            q.bind(3, id);
            if (q.step() != SQLITE_DONE) return sqlite_failure(c.db, "cannot copy image frame " + id);
        }
        return api::ok_status();
    }
};

}  // namespace

api::result<image_set> store::find_image_set(const scope& who, std::string_view datastore_id,
                                             std::string_view image_set_id, std::optional<std::uint64_t> version) {
    auto lease = impl_->read();
    if (!lease) return lease.err();
    connection& c = *lease.value();
    auto found = image_set_access::visible(c, who, datastore_id, image_set_id, version, false);
    if (!found) return found.err();
    return std::move(found.value().first);
}

api::result<std::string> store::image_set_metadata(const scope& who, std::string_view datastore_id,
                                                   std::string_view image_set_id, std::optional<std::uint64_t> version) {
    auto lease = impl_->read();
    if (!lease) return lease.err();
    connection& c = *lease.value();
    auto found = image_set_access::visible(c, who, datastore_id, image_set_id, version, true);
    if (!found) return found.err();
    if (found.value().first.state == "DELETED") {
        return api::error::resource_not_found("Image set " + std::string(image_set_id) + " is deleted");
    }
    return std::move(found.value().second);
}

api::result<image_frame> store::find_image_frame(const scope& who, std::string_view datastore_id,
                                                 std::string_view image_set_id, std::string_view image_frame_id) {
    auto lease = impl_->read();
    if (!lease) return lease.err();
    connection& c = *lease.value();
    auto found = image_set_access::row(c, who, datastore_id, image_set_id);
    if (!found) return found.err();
    statement::use q(c.find_frame);
    q.bind(0, datastore_id);
    q.bind(1, image_set_id);
    q.bind(2, image_frame_id);
    const int rc = q.step();
    if (rc == SQLITE_DONE) {
        return api::error::resource_not_found("Image frame " + api::display_value(image_frame_id) + " not found in image set " +
                                              std::string(image_set_id));
    }
    if (rc != SQLITE_ROW) return sqlite_failure(c.db, "SQLite");
    return image_frame{std::string(image_frame_id), q.blob(1), q.text(0)};
}

api::result<std::vector<image_set>> store::image_sets_of(const scope& who, std::string_view datastore_id) {
    auto lease = impl_->read();
    if (!lease) return lease.err();
    connection& c = *lease.value();
    if (auto owner = c.scoped_datastore(who, datastore_id); !owner) return owner.err();
    std::vector<image_set> out;
    statement::use q(c.image_sets_in);
    q.bind(0, datastore_id);
    int rc;
    while ((rc = q.step()) == SQLITE_ROW) {
        auto i = image_set_from_properties(datastore_id, q.text(0), static_cast<std::uint64_t>(q.integer(1)), q.text(2));
        if (!i) return i.err();
        out.push_back(std::move(i).value());
    }
    if (rc != SQLITE_DONE) return sqlite_failure(c.db, "SQLite");
    return out;
}

api::result<page<image_set>> store::image_set_versions(const scope& who, std::string_view datastore_id,
                                                       std::string_view image_set_id, const page_request& request) {
    auto lease = impl_->read();
    if (!lease) return lease.err();
    connection& c = *lease.value();
    auto found = image_set_access::row(c, who, datastore_id, image_set_id);
    if (!found) return found.err();
    std::int64_t below = static_cast<std::int64_t>(found.value().latest_version) + 1;
    if (request.after) {
        const auto from = parse_position(*request.after);
        if (!from || from->second != image_set_id) return api::error::validation("Invalid pagination token");
        below = from->first;
    }
    page<image_set> out;
    statement::use q(c.versions_of);
    q.bind(0, datastore_id);
    q.bind(1, image_set_id);
    q.bind_int(2, below);
    int rc;
    while ((rc = q.step()) == SQLITE_ROW) {
        if (out.items.size() == request.limit) {
            out.next_position = list_position(static_cast<std::int64_t>(out.items.back().version), image_set_id);
            break;
        }
        auto i = image_set_from_properties(datastore_id, image_set_id, static_cast<std::uint64_t>(q.integer(0)), q.text(1));
        if (!i) return i.err();
        out.items.push_back(std::move(i).value());
    }
    if (rc != SQLITE_DONE && rc != SQLITE_ROW) return sqlite_failure(c.db, "SQLite");
    return out;
}

api::result<std::vector<store::series_match>> store::image_sets_of_series(std::string_view datastore_id,
                                                                          std::string_view series_uid) {
    auto lease = impl_->read();
    if (!lease) return lease.err();
    connection& c = *lease.value();
    std::vector<series_match> out;
    statement::use q(c.series_sets);
    q.bind(0, datastore_id);
    q.bind(1, series_uid);
    int rc;
    while ((rc = q.step()) == SQLITE_ROW) {
        auto i = image_set_from_properties(datastore_id, q.text(0), static_cast<std::uint64_t>(q.integer(1)), q.text(2));
        if (!i) return i.err();
        out.push_back({std::move(i).value(), q.text(3), q.blob(4)});
    }
    if (rc != SQLITE_DONE) return sqlite_failure(c.db, "SQLite");
    return out;
}

api::status store::write_image_sets(std::string_view datastore_id, const std::vector<image_set_write>& writes,
                                    const std::optional<job_end>& ends) {
    auto writing = impl_->write();
    connection& c = *writing;
    auto owner = c.read_datastore(datastore_id);
    if (!owner) return owner.err();
    if (!owner.value()) return datastore_not_found(datastore_id);
    std::optional<import_job> job;
    if (ends) {
        auto found = c.read_job(datastore_id, ends->job_id);
        if (!found) return found.err();
        if (!found.value()) {
            return api::error::resource_not_found("Import job " + ends->job_id + " not found in datastore " +
                                                  std::string(datastore_id));
        }
        job = std::move(*found.value());
        job->job_status = ends->job_status;
        job->message = ends->message;
        job->ended_at = ends->ended_at;
    }
    c.note_change();
    return c.transaction([&]() -> api::status {
        for (const auto& w : writes) {
            if (w.replaces) {
                statement::use q(c.find_image_set_row);
                q.bind(0, datastore_id);
                q.bind(1, w.properties.image_set_id);
                // A deletion keeps the version number, so the state is checked too.
                if (q.step() != SQLITE_ROW || static_cast<std::uint64_t>(q.integer(0)) != *w.replaces ||
                    q.text(2) != "ACTIVE") {
                    return api::error::conflict("Image set " + w.properties.image_set_id +
                                                " changed while this change was made; its latest version is not " +
                                                std::to_string(*w.replaces));
                }
            }
            if (auto s = image_set_access::write(c, datastore_id, w); !s) return s;
        }
        if (job) return c.write_job(*job);
        return api::ok_status();
    });
}

api::result<image_set> store::delete_image_set(const scope& who, std::string_view datastore_id,
                                               std::string_view image_set_id, api::epoch_millis now) {
    auto writing = impl_->write();
    connection& c = *writing;
    auto found = image_set_access::visible(c, who, datastore_id, image_set_id, std::nullopt, true);
    if (!found) return found.err();
    auto& [props, metadata] = found.value();
    if (props.state == "DELETED") return std::move(props);
    if (props.state == "LOCKED") {
        return api::error::conflict("Image set " + std::string(image_set_id) + " is LOCKED by another change");
    }
    props.state = "DELETED";
    props.workflow_status = "DELETED";
    props.deleted_at = now;
    props.updated_at = now;
    image_set_write w;
    w.properties = props;
    w.metadata = metadata;
    // Every version goes with the image set: each is then answered DELETED.
    std::vector<image_set> older;
    {
        statement::use q(c.versions_of);
        q.bind(0, datastore_id);
        q.bind(1, image_set_id);
        q.bind_int(2, static_cast<std::int64_t>(props.version));
        int rc;
        while ((rc = q.step()) == SQLITE_ROW) {
            auto v = image_set_from_properties(datastore_id, image_set_id, static_cast<std::uint64_t>(q.integer(0)), q.text(1));
            if (!v) return v.err();
            v.value().state = "DELETED";
            v.value().workflow_status = "DELETED";
            v.value().deleted_at = now;
            older.push_back(std::move(v).value());
        }
        if (rc != SQLITE_DONE) return sqlite_failure(c.db, "SQLite");
    }
    c.note_change();
    auto written = c.transaction([&]() -> api::status {
        for (const auto& v : older) {
            statement::use q(c.set_version_properties);
            q.bind(0, datastore_id);
            q.bind(1, image_set_id);
            q.bind_int(2, static_cast<std::int64_t>(v.version));
            q.bind(3, image_set_properties_json(v));
            if (q.step() != SQLITE_DONE) return sqlite_failure(c.db, "cannot delete image set " + std::string(image_set_id));
        }
        if (auto s = image_set_access::write(c, datastore_id, w); !s) return s;
        statement::use q(c.delete_frames_of);
        q.bind(0, datastore_id);
        q.bind(1, image_set_id);
        if (q.step() != SQLITE_DONE) return sqlite_failure(c.db, "cannot remove the frames of " + std::string(image_set_id));
        return api::ok_status();
    });
    if (!written) return written.err();
    return std::move(props);
}

api::status store::set_import_job_status(std::string_view datastore_id, std::string_view job_id, const job_end& to) {
    auto writing = impl_->write();
    connection& c = *writing;
    auto found = c.read_job(datastore_id, job_id);
    if (!found) return found.err();
    if (!found.value()) {
        return api::error::resource_not_found("Import job " + std::string(job_id) + " not found in datastore " +
                                              std::string(datastore_id));
    }
    import_job& j = *found.value();
    j.job_status = to.job_status;
    j.message = to.message;
    if (to.job_status == "COMPLETED" || to.job_status == "FAILED") j.ended_at = to.ended_at;
    return c.write_job(j);
}

api::result<std::uint64_t> store::fail_interrupted_imports(std::string_view message, api::epoch_millis now) {
    auto writing = impl_->write();
    connection& c = *writing;
    auto jobs = c.read_all(c.interrupted_jobs, {}, job_from_row);
    if (!jobs) return jobs.err();
    for (auto& j : jobs.value()) {
        j.job_status = "FAILED";
        j.message = std::string(message);
        j.ended_at = now;
        if (auto s = c.write_job(j); !s) return s.err();
    }
    return static_cast<std::uint64_t>(jobs.value().size());
}

// --- tags ---

api::result<tag_map> store::tags_of(const scope& who, std::string_view datastore_id, std::string_view image_set_id) {
    auto lease = impl_->read();
    if (!lease) return lease.err();
    connection& c = *lease.value();
    if (!image_set_id.empty()) {
        auto row = image_set_access::row(c, who, datastore_id, image_set_id);
        if (!row) return row.err();
        return std::move(row.value().tags);
    }
    auto found = c.scoped_datastore(who, datastore_id);
    if (!found) return found.err();
    return std::move(found.value().tags);
}

namespace {

// Applies `change` to a resource's tags; false when nothing changed.
template <class Change>
api::result<bool> change_tags(tag_map& tags, Change&& change) {
    const tag_map before = tags;
    change(tags);
    if (tags.size() > api::k_max_tags_per_resource) {
        return api::error::validation("A resource can have at most " + std::to_string(api::k_max_tags_per_resource) +
                                      " tags; with these it would have " + std::to_string(tags.size()));
    }
    return tags != before;
}

}  // namespace

template <class Change>
api::status store::retag(const scope& who, std::string_view datastore_id, std::string_view image_set_id, Change&& change) {
    auto writing = impl_->write();
    connection& c = *writing;
    if (!image_set_id.empty()) {
        auto row = image_set_access::row(c, who, datastore_id, image_set_id);
        if (!row) return row.err();
        auto changed = change_tags(row.value().tags, change);
        if (!changed) return changed.err();
        if (!changed.value()) return api::ok_status();
        c.note_change();
        statement::use q(c.set_image_set_tags);
        q.bind(0, datastore_id);
        q.bind(1, image_set_id);
        q.bind(2, row.value().tags.empty() ? std::nullopt : std::optional<std::string>(tags_to_json(row.value().tags)));
        if (q.step() != SQLITE_DONE) return sqlite_failure(c.db, "cannot store the tags of " + std::string(image_set_id));
        return api::ok_status();
    }
    auto found = c.scoped_datastore(who, datastore_id);
    if (!found) return found.err();
    datastore& d = found.value();
    auto changed = change_tags(d.tags, change);
    if (!changed) return changed.err();
    if (!changed.value()) return api::ok_status();
    return c.write_datastore(d);
}

api::status store::tag(const scope& who, std::string_view datastore_id, std::string_view image_set_id, const tag_map& tags) {
    return retag(who, datastore_id, image_set_id, [&](tag_map& t) {
        for (const auto& [k, v] : tags) t.insert_or_assign(k, v);
    });
}

api::status store::untag(const scope& who, std::string_view datastore_id, std::string_view image_set_id,
                         const std::vector<std::string>& keys) {
    return retag(who, datastore_id, image_set_id, [&](tag_map& t) {
        for (const auto& k : keys) t.erase(k);
    });
}

// --- the whole dataset ---

api::result<bool> store::has_datastore(std::string_view datastore_id) {
    auto lease = impl_->read();
    if (!lease) return lease.err();
    connection& c = *lease.value();
    auto found = c.read_datastore(datastore_id);
    if (!found) return found.err();
    return found.value().has_value();
}

api::result<std::optional<scope>> store::datastore_namespace(std::string_view datastore_id) {
    auto lease = impl_->read();
    if (!lease) return lease.err();
    connection& c = *lease.value();
    auto found = c.read_datastore(datastore_id);
    if (!found) return found.err();
    if (!found.value()) return std::optional<scope>();
    return std::optional<scope>(scope{found.value()->account_id, found.value()->region});
}

namespace {
// How many staged jobs make the commit build import_jobs_by_order anew (after the move)
// rather than insert into it: the index's keys come in random order too, and an index
// several times the page cache's size is where random inserts spill and re-read pages.
constexpr std::int64_t k_rebuild_index_at = 65536;
}  // namespace

// The loader's hold on the writer, its transaction, the foreign-key switch and the staging
// table. SQLite's own foreign-key check costs a datastore look-up per inserted job; the caller
// checks every job's datastore once per datastore instead (apply_fixtures). The pragma cannot
// change inside a transaction. Jobs are first appended, in the order they come, to a table in
// a file of their own beside the store (attached as `load`, with no journal), then moved into
// import_jobs in key order by one INSERT ... SELECT ... ORDER BY at commit (SQLite sorts them
// in bounded memory, spilling to temporary files). Why: a fixture's job ids come in random
// order, and a million inserts at random places into a B-tree ten times the size of the page
// cache spilled and read back a page per insert (perf, 1,000,000 jobs: 67% of 42.7 CPU-s in
// pread/pwrite); in key order each page is written once. When the load ends the file is
// detached and removed, which costs nothing, where dropping a million-row table walks every
// page of it. Members go in reverse: the body rolls back, detaches and restores the pragma,
// then `writing` publishes the generation and lets other writers in.
struct store::loader::state {
    explicit state(impl& im) : store(im), writing(im.write()), staging_file(im.scratch->file("load.db")) {}
    state(const state&) = delete;
    state& operator=(const state&) = delete;

    impl& store;
    impl::write_access writing;
    std::string staging_file;
    bool attached = false;
    bool open = false;             // the transaction is running
    bool jobs_were_empty = false;  // import_jobs held no row when the load began
    std::int64_t staged = 0;
    statement stage;  // appends one job to load.staged_jobs

    ~state() {
        connection& c = *writing;
        if (open) (void)c.run(c.rollback);
        stage.finalize();
        if (attached) (void)c.exec("DETACH DATABASE load;");
        std::remove(staging_file.c_str());
        (void)c.exec("PRAGMA foreign_keys=ON;");
    }
};

store::loader::loader(std::unique_ptr<state> s) : state_(std::move(s)) {}
store::loader::~loader() = default;

api::result<std::unique_ptr<store::loader>> store::begin_load(load_mode mode) {
    std::unique_ptr<loader::state> s(new loader::state(*impl_));
    connection& c = *s->writing;
    c.note_change();
    std::remove(s->staging_file.c_str());  // a load that ended without removing it leaves nothing to keep
    {
        statement attach;
        if (attach.prepare(c.db, "ATTACH DATABASE ?1 AS load") != SQLITE_OK) return sqlite_failure(c.db, "cannot stage a load");
        statement::use q(attach);
        q.bind(0, s->staging_file);
        if (q.step() != SQLITE_DONE) return sqlite_failure(c.db, "cannot stage a load");
    }
    s->attached = true;
    const std::string job_cols = column_list(k_job_columns);
    // The page size of the store; no journal or sync (the file goes with the load); a small
    // cache (appended pages are not read again until the move reads them in order).
    if (auto made = c.exec(("PRAGMA load.page_size=16384; PRAGMA load.journal_mode=OFF; PRAGMA load.synchronous=OFF; "
                            "PRAGMA load.cache_size=-2048; CREATE TABLE load.staged_jobs (" + job_cols + ");")
                               .c_str());
        !made) {
        return made.err();
    }
    if (s->stage.prepare(c.db, "INSERT INTO load.staged_jobs (" + job_cols + ") VALUES (" +
                                   placeholders<k_job_columns.size()>() + ")") != SQLITE_OK) {
        return sqlite_failure(c.db, "cannot stage a load");
    }
    if (auto off = c.exec("PRAGMA foreign_keys=OFF;"); !off) return off.err();
    if (auto begun = c.run(c.begin); !begun) return begun.err();
    s->open = true;
    if (mode == load_mode::replace) {
        if (auto cleared = c.clear_every_table(); !cleared) return cleared.err();
    }
    statement any_job;
    if (any_job.prepare(c.db, "SELECT 1 FROM main.import_jobs LIMIT 1") != SQLITE_OK) return sqlite_failure(c.db, "SQLite");
    statement::use q(any_job);
    const int rc = q.step();
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) return sqlite_failure(c.db, "SQLite");
    s->jobs_were_empty = rc == SQLITE_DONE;
    return std::unique_ptr<loader>(new loader(std::move(s)));
}

api::status store::loader::add_datastore(const datastore& d) { return state_->writing->write_datastore(d); }

api::status store::loader::add_job(const import_job& j) {
    statement::use q(state_->stage);
    connection::bind_job(q, j);
    if (q.step() != SQLITE_DONE) return sqlite_failure(state_->writing->db, "cannot store import job " + j.job_id);
    ++state_->staged;
    return api::ok_status();
}

api::status store::loader::add_import_rule(const import_rule& r) {
    connection& c = *state_->writing;
    statement::use q(c.add_rule);
    q.bind(0, r.input_prefix);
    q.bind(1, r.datastore_id);
    q.bind(2, r.job_status);
    q.bind(3, r.message);
    if (q.step() != SQLITE_DONE) return sqlite_failure(c.db, "cannot store an import rule");
    return api::ok_status();
}

api::result<std::optional<std::uint64_t>> store::loader::first_staged(std::string_view datastore_id,
                                                                      std::string_view job_id) {
    connection& c = *state_->writing;
    statement first;
    if (first.prepare(c.db, "SELECT rowid FROM load.staged_jobs WHERE datastore_id = ?1 AND job_id = ?2 ORDER BY rowid "
                            "LIMIT 1") != SQLITE_OK) {
        return sqlite_failure(c.db, "SQLite");
    }
    statement::use q(first);
    q.bind(0, datastore_id);
    q.bind(1, job_id);
    const int rc = q.step();
    if (rc == SQLITE_DONE) return std::optional<std::uint64_t>();
    if (rc != SQLITE_ROW) return sqlite_failure(c.db, "SQLite");
    return std::optional<std::uint64_t>(static_cast<std::uint64_t>(q.integer(0)));
}

api::result<std::optional<scope>> store::loader::datastore_namespace(std::string_view datastore_id) {
    auto found = state_->writing->read_datastore(datastore_id);
    if (!found) return found.err();
    if (!found.value()) return std::optional<scope>();
    return std::optional<scope>(scope{found.value()->account_id, found.value()->region});
}

api::status store::loader::commit() {
    if (!state_->open) return api::error::internal("SQLite: the load has already ended");
    connection& c = *state_->writing;
    const auto moved = [&]() -> api::status {
        if (state_->staged == 0) return api::ok_status();
        const bool rebuild = state_->jobs_were_empty || state_->staged >= k_rebuild_index_at;
        if (rebuild) {
            if (auto s = c.exec("DROP INDEX main.import_jobs_by_order;"); !s) return s;
        }
        if (auto s = c.exec(writer_cache_pragma(k_moving_cache_kib).c_str()); !s) return s;
        // Staged in arrival order, so a job given twice ends as its last copy, as writing each at once did.
        const std::string job_cols = column_list(k_job_columns);
        if (auto s = c.exec(("INSERT OR REPLACE INTO main.import_jobs (" + job_cols + ") SELECT " + job_cols +
                             " FROM load.staged_jobs ORDER BY datastore_id, job_id, rowid;")
                                .c_str());
            !s) {
            return sqlite_failure(c.db, "cannot store the import jobs");
        }
        if (rebuild) return c.exec(k_jobs_by_order_index);
        return api::ok_status();
    }();
    state_->open = false;
    (void)c.exec(writer_cache_pragma(k_writer_cache_kib).c_str());
    if (!moved) {
        (void)c.run(c.rollback);
        return moved;
    }
    if (auto done = c.run(c.commit); !done) {
        (void)c.run(c.rollback);
        return done;
    }
    state_->store.count_before_publish(c);
    return api::ok_status();
}

api::status store::load(const dataset& data, load_mode mode) {
    auto began = begin_load(mode);
    if (!began) return began.err();
    loader& rows = *began.value();
    for (const auto& d : data.datastores) {
        if (auto s = rows.add_datastore(d); !s) return s;
    }
    const std::string* known_datastore = nullptr;
    for (const auto& j : data.jobs) {
        if (!known_datastore || j.datastore_id != *known_datastore) {
            auto found = rows.datastore_namespace(j.datastore_id);
            if (!found) return found.err();
            if (!found.value()) {
                return api::error::internal("cannot store import job " + j.job_id + ": FOREIGN KEY constraint failed");
            }
            known_datastore = &j.datastore_id;
        }
        if (auto s = rows.add_job(j); !s) return s;
    }
    for (const auto& r : data.import_rules) {
        if (auto s = rows.add_import_rule(r); !s) return s;
    }
    return rows.commit();
}

api::result<dataset> store::contents(api::epoch_millis now, const namespace_filter& only) {
    auto lease = impl_->read();
    if (!lease) return lease.err();
    connection& c = *lease.value();
    auto out = c.read_namespaces(c.all_datastores, c.all_jobs, only);
    if (!out) return out.err();
    for (auto& d : out.value().datastores) advance(d, now);
    for (auto& j : out.value().jobs) advance(j, now);
    if (only.everything()) {
        auto rules = c.read_rules();
        if (!rules) return rules.err();
        out.value().import_rules = std::move(rules).value();
    }
    return out;
}

namespace {

// Every count health reports, as `c` sees the store.
api::result<store_counts> count_rows(connection& c) {
    store_counts out;
    auto datastores = c.count(c.count_datastores);
    if (!datastores) return datastores.err();
    auto jobs = c.count(c.count_jobs);
    if (!jobs) return jobs.err();
    auto rules = c.count(c.count_rules);
    if (!rules) return rules.err();
    auto image_sets = c.count(c.count_image_sets);
    if (!image_sets) return image_sets.err();
    out.datastores = datastores.value();
    out.jobs = jobs.value();
    out.import_rules = rules.value();
    out.image_sets = image_sets.value();
    return out;
}

}  // namespace

void store::impl::count_before_publish(connection& c) {
    // REQUIRES: write_mutex held, the call's writes committed. The generation its end publishes
    // is the next one, and no other writer can publish first.
    if (!in_memory || !changes.unpublished) return;
    auto counted_now = count_rows(c);
    if (!counted_now) return;  // health counts on its own then
    std::lock_guard lock(counts_mutex);
    const auto published = changes.generation.load(std::memory_order_acquire);
    // The previous load's counts may be the published generation's: they stay its counts.
    if (counted_next.counts && counted_next.generation == published) counted = counted_next;
    counted_next = {published + 1, counted_now.value()};
}

api::result<store_counts> store::counts() {
    const auto generation = this->generation();  // before the read: see store::generation()
    if (impl_->in_memory) {
        std::lock_guard lock(impl_->counts_mutex);
        for (const auto* kept : {&impl_->counted, &impl_->counted_next}) {
            if (kept->counts && kept->generation == generation) return *kept->counts;
        }
    }
    auto lease = impl_->read();
    if (!lease) return lease.err();
    auto out = count_rows(*lease.value());
    if (!out) return out.err();
    if (impl_->in_memory) {
        std::lock_guard lock(impl_->counts_mutex);
        if (!impl_->counted.counts || generation >= impl_->counted.generation) {
            impl_->counted = {generation, out.value()};
        }
    }
    return out;
}

api::status store::mark_baseline(api::epoch_millis now) {
    std::lock_guard one_reset(impl_->reset_mutex);
    auto w = impl_->write();
    if (!impl_->baseline) {
        // A file beside the in-memory database (or in a scratch directory of its own beside a
        // --db file), not memory: a million-job store is not held twice in RAM.
        const std::string file = impl_->scratch->file("baseline.db");
        if (sqlite3_open_v2(file.c_str(), &impl_->baseline, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                            nullptr) != SQLITE_OK) {
            return sqlite_failure(impl_->baseline, "cannot open the baseline copy");
        }
        sqlite3_extended_result_codes(impl_->baseline, 1);
        // A cache of two pages: the copy is read and written in one pass each way, so a
        // bigger cache would only hold the whole copy in the heap of an idle server (the
        // default's 2 MB; ~330 KB with the sample fixtures, issue 12).
        if (auto s = connection::exec_on(impl_->baseline, "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; PRAGMA cache_size=2;");
            !s) {
            return s;
        }
    }
    // Taken now, while the server is starting and nobody waits for the store, rather than
    // inside some client's first write.
    if (auto s = w->copy_database(impl_->baseline, w->db, "cannot copy the baseline"); !s) return s;
    impl_->baseline_marked = true;
    impl_->changes.changed_since_mark = false;
    impl_->baseline_at = now;
    return api::ok_status();
}

api::status store::reset_namespace(const namespace_filter& only, api::epoch_millis now) {
    if (only.everything()) return reset_to_baseline(now);
    std::lock_guard one_reset(impl_->reset_mutex);
    auto writing = impl_->write();
    connection& c = *writing;
    dataset marked;
    if (impl_->baseline_marked) {
        statement base_datastores, base_jobs;
        if (base_datastores.prepare(impl_->baseline, every_datastore_sql()) != SQLITE_OK ||
            base_jobs.prepare(impl_->baseline, every_job_sql()) != SQLITE_OK) {
            return sqlite_failure(impl_->baseline, "cannot read the baseline");
        }
        auto read = c.read_namespaces(base_datastores, base_jobs, only);
        if (!read) return read.err();
        marked = std::move(read).value();
    }
    // As reset_to_baseline does for every row: each restored clock restarts now.
    const api::epoch_millis shift = now - impl_->baseline_at;
    const auto restart = [shift](auto& resource) {
        if (resource.progression.empty()) return;
        resource.progress.started_at += shift;
        if (resource.progress.last_polled_at != 0) resource.progress.last_polled_at += shift;
    };
    for (auto& d : marked.datastores) restart(d);
    for (auto& j : marked.jobs) restart(j);
    auto serving = c.read_all(c.all_datastores, {}, datastore_from_row);
    if (!serving) return serving.err();
    c.note_change();
    return c.transaction([&]() -> api::status {
        for (const auto& d : serving.value()) {
            if (!only.matches(d)) continue;
            for (const char* table : k_image_set_tables) {
                if (auto s = delete_rows_of(c.db, table, d.datastore_id); !s) return s;
            }
            statement::use jobs(c.delete_jobs_of);
            jobs.bind(0, d.datastore_id);
            if (jobs.step() != SQLITE_DONE) return sqlite_failure(c.db, "cannot remove the jobs of " + d.datastore_id);
            statement::use ds(c.delete_datastore_row);
            ds.bind(0, d.datastore_id);
            if (ds.step() != SQLITE_DONE) return sqlite_failure(c.db, "cannot remove datastore " + d.datastore_id);
        }
        for (const auto& d : marked.datastores) {
            if (auto s = c.write_datastore(d); !s) return s;
        }
        for (const auto& j : marked.jobs) {
            if (auto s = c.write_job(j); !s) return s;
        }
        for (const auto& d : marked.datastores) {
            for (const char* table : k_image_set_tables) {
                if (auto s = copy_rows_of(impl_->baseline, c.db, table, d.datastore_id); !s) return s;
            }
        }
        return api::ok_status();
    });
}

api::status store::reset_to_baseline(api::epoch_millis now) {
    std::lock_guard one_reset(impl_->reset_mutex);
    auto w = impl_->write();
    if (!impl_->baseline_marked) return api::ok_status();
    const api::epoch_millis shift = now - impl_->baseline_at;
    if (!impl_->changes.changed_since_mark && shift == 0) return api::ok_status();  // nothing to restore
    // Restored in place by the writer; readers go on reading the state before the reset (WAL)
    // until it is committed, so only other writes wait for the copy.
    w->note_change();
    if (auto s = w->copy_database(w->db, impl_->baseline, "cannot restore the baseline"); !s) return s;
    return w->transaction([&] { return shift_progressions(w->db, shift); });
}

}  // namespace hil::store
