#include "store/store.hpp"

#include <doctest/doctest.h>
#include <sqlite3.h>

#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "test_support.hpp"

namespace {

using hil::api::error_code;
using hil::store::store;
using hil::test::k_datastore_a;
using hil::test::k_datastore_b;
using hil::test::make_datastore;
using hil::test::make_job;

std::unique_ptr<store> open_store(const std::string& path) {
    auto s = store::open(path);
    REQUIRE_MESSAGE(s.ok(), (s.ok() ? "" : s.err().message()));
    return std::move(s).value();
}

// Two datastores; job "abc123" in A with every optional member, "plain" in A with none,
// and "other" in B.
void seed(store& s) {
    auto full = make_job(k_datastore_a, "abc123");
    full.submitted_at = 1700000000123;
    full.ended_at = 1700000321500;
    full.message = "done";
    REQUIRE(hil::test::upsert(s, {make_datastore(k_datastore_a), make_datastore(k_datastore_b, "cardiology")},
                     {full, make_job(k_datastore_a, "plain"), make_job(k_datastore_b, "other")}));
}

void check_counts(store& s, std::uint64_t datastores, std::uint64_t jobs) {
    const auto c = s.counts();
    REQUIRE(c.ok());
    CHECK(c.value().datastores == datastores);
    CHECK(c.value().jobs == jobs);
}

void check_seeded_contents(store& s) {
    const auto found = s.find_import_job({}, k_datastore_a, "abc123");
    REQUIRE(found.ok());
    const auto& j = found.value();
    hil::test::check_sample_job(j, k_datastore_a);

    const auto plain = s.find_import_job({}, k_datastore_a, "plain");
    REQUIRE(plain.ok());
    CHECK_FALSE(plain.value().submitted_at.has_value());
    CHECK_FALSE(plain.value().ended_at.has_value());
    CHECK_FALSE(plain.value().message.has_value());
}

}  // namespace

TEST_CASE("an in-memory store finds what was upserted") {
    auto s = open_store(":memory:");
    check_counts(*s, 0, 0);
    seed(*s);
    check_counts(*s, 2, 3);
    check_seeded_contents(*s);
    CHECK(s->has_datastore(k_datastore_a).value());
    CHECK_FALSE(s->has_datastore(std::string(32, '9')).value());
}

TEST_CASE("an empty path is in memory too, and in-memory stores do not share data") {
    auto a = open_store("");
    auto b = open_store(":memory:");
    seed(*a);
    check_counts(*a, 2, 3);
    check_counts(*b, 0, 0);
}

TEST_CASE("not-found messages tell an unknown datastore from an unknown job") {
    auto s = open_store(":memory:");
    seed(*s);
    const std::string unknown_ds(32, '7');
    const auto no_ds = s->find_import_job({}, unknown_ds, "abc123");
    REQUIRE_FALSE(no_ds.ok());
    CHECK(no_ds.err().code() == error_code::resource_not_found);
    CHECK(no_ds.err().message() == "Datastore " + unknown_ds + " not found");

    const auto no_job = s->find_import_job({}, k_datastore_a, "nosuchjob");
    REQUIRE_FALSE(no_job.ok());
    CHECK(no_job.err().code() == error_code::resource_not_found);
    CHECK(no_job.err().message() == "Import job nosuchjob not found in datastore " + std::string(k_datastore_a));
}

TEST_CASE("a job of another datastore is not found") {
    auto s = open_store(":memory:");
    seed(*s);
    REQUIRE(s->find_import_job({}, k_datastore_b, "other").ok());
    const auto wrong = s->find_import_job({}, k_datastore_a, "other");
    REQUIRE_FALSE(wrong.ok());
    CHECK(wrong.err().code() == error_code::resource_not_found);
    CHECK(wrong.err().message().find("Import job other not found") == 0);
    CHECK_FALSE(s->find_import_job({}, k_datastore_b, "abc123").ok());
}

TEST_CASE("upsert replaces rows by key instead of adding") {
    auto s = open_store(":memory:");
    seed(*s);
    auto changed = make_job(k_datastore_a, "plain");
    changed.job_status = "FAILED";
    changed.message = "bad input";
    REQUIRE(hil::test::upsert(*s, {make_datastore(k_datastore_a, "renamed")}, {changed}));
    check_counts(*s, 2, 3);
    const auto j = s->find_import_job({}, k_datastore_a, "plain");
    REQUIRE(j.ok());
    CHECK(j.value().job_status == "FAILED");
    CHECK(j.value().message == std::string("bad input"));
    // The same job id in two datastores is two jobs.
    REQUIRE(hil::test::upsert(*s, {}, {make_job(k_datastore_b, "plain")}));
    check_counts(*s, 2, 4);
}

TEST_CASE("a failing upsert writes nothing and is InternalServerException") {
    auto s = open_store(":memory:");
    seed(*s);
    // A job whose datastore does not exist breaks the foreign key: the whole batch,
    // including the valid new datastore before it, must be rolled back.
    const std::string fresh_ds(32, 'c');
    const auto st = hil::test::upsert(*s, {make_datastore(fresh_ds)}, {make_job(std::string(32, 'd'), "orphan")});
    REQUIRE_FALSE(st.ok());
    CHECK(st.err().code() == error_code::internal_server);
    check_counts(*s, 2, 3);
    CHECK_FALSE(s->has_datastore(fresh_ds).value());
    // And the store still works afterwards.
    REQUIRE(hil::test::upsert(*s, {make_datastore(fresh_ds)}, {make_job(fresh_ds, "later")}));
    check_counts(*s, 3, 4);
}

TEST_CASE("a file store keeps its data across reopening") {
    hil::test::temp_path db("hil-store-test");
    {
        auto s = open_store(db.str());
        seed(*s);
        check_counts(*s, 2, 3);
    }
    CHECK(std::filesystem::exists(db.path()));
    {
        auto s = open_store(db.str());
        check_counts(*s, 2, 3);
        check_seeded_contents(*s);
        const auto missing = s->find_import_job({}, k_datastore_a, "nosuchjob");
        REQUIRE_FALSE(missing.ok());
        CHECK(missing.err().code() == error_code::resource_not_found);
        REQUIRE(hil::test::upsert(*s, {}, {make_job(k_datastore_b, "added")}));
    }
    auto s = open_store(db.str());
    check_counts(*s, 2, 4);
    CHECK(s->find_import_job({}, k_datastore_b, "added").ok());
}

TEST_CASE("a path in a missing folder fails to open as InternalServerException") {
    hil::test::temp_path dir("hil-store-missing");
    const auto path = (dir.path() / "no" / "such" / "db.sqlite").string();
    const auto s = store::open(path);
    REQUIRE_FALSE(s.ok());
    CHECK(s.err().code() == error_code::internal_server);
    CHECK(s.err().info().status == 500);
    CHECK(s.err().message().find(path) != std::string::npos);
    CHECK_FALSE(std::filesystem::exists(dir.path()));
}

TEST_CASE("a corrupt database file is InternalServerException, never not-found") {
    hil::test::temp_path db("hil-store-corrupt");
    std::string junk;
    for (int i = 0; i < 8192; ++i) junk.push_back(static_cast<char>('A' + i % 26));
    hil::test::write_file(db.path(), junk);
    const auto s = store::open(db.str());
    REQUIRE_FALSE(s.ok());
    CHECK(s.err().code() == error_code::internal_server);
    CHECK(s.err().code() != error_code::resource_not_found);
    CHECK(s.err().message().find(db.str()) != std::string::npos);
}

TEST_CASE("a folder given as the database path is InternalServerException") {
    hil::test::temp_path dir("hil-store-dir");
    std::filesystem::create_directories(dir.path());
    const auto s = store::open(dir.str());
    REQUIRE_FALSE(s.ok());
    CHECK(s.err().code() == error_code::internal_server);
}

namespace {

// Runs `sql` on the database file through a second connection, as another process could.
void tamper(const std::string& path, const char* sql) {
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
    char* err = nullptr;
    const int rc = sqlite3_exec(db, sql, nullptr, nullptr, &err);
    const std::string message = err ? err : "";
    sqlite3_free(err);
    sqlite3_close(db);
    REQUIRE_MESSAGE(rc == SQLITE_OK, message);
}

}  // namespace

TEST_CASE("an SQLite failure while reading a job is InternalServerException") {
    hil::test::temp_path db("hil-store-tamper-jobs");
    auto s = open_store(db.str());
    seed(*s);
    tamper(db.str(), "DROP TABLE import_jobs; CREATE TABLE import_jobs (unrelated TEXT);");
    const auto found = s->find_import_job({}, k_datastore_a, "abc123");
    REQUIRE_FALSE(found.ok());
    CHECK(found.err().code() == error_code::internal_server);
}

TEST_CASE("an SQLite failure while telling datastore from job is never not-found") {
    hil::test::temp_path db("hil-store-tamper-datastores");
    auto s = open_store(db.str());
    seed(*s);
    // The job lookup still works and misses; the follow-up datastore lookup then fails.
    tamper(db.str(), "PRAGMA foreign_keys=OFF; DROP TABLE datastores;");
    const auto missing = s->find_import_job({}, k_datastore_a, "nosuchjob");
    REQUIRE_FALSE(missing.ok());
    CHECK(missing.err().code() == error_code::internal_server);
    const auto has = s->has_datastore(k_datastore_a);
    REQUIRE_FALSE(has.ok());
    CHECK(has.err().code() == error_code::internal_server);
    const auto c = s->counts();
    REQUIRE_FALSE(c.ok());
    CHECK(c.err().code() == error_code::internal_server);
}

namespace {

const hil::store::scope k_anyone{"123456789012", "us-east-1"};

hil::store::import_job job_at(std::string_view datastore_id, std::string id, hil::api::epoch_millis submitted) {
    auto j = make_job(datastore_id, std::move(id));
    j.submitted_at = submitted;
    return j;
}

std::vector<std::string> listed_ids(store& s, std::string_view datastore_id) {
    const auto listed = s.list_import_jobs(k_anyone, datastore_id, std::nullopt, {std::nullopt, 50}, 0);
    REQUIRE(listed.ok());
    std::vector<std::string> ids;
    for (const auto& j : listed.value().items) ids.push_back(j.job_id);
    return ids;
}

}  // namespace

TEST_CASE("a load's jobs, staged in any order, are stored with their last copy winning and listed newest first") {
    // Into an empty store the list index is built again after the move; into one with jobs it
    // takes the moved jobs as they come.
    for (const bool into_jobs : {false, true}) {
        CAPTURE(into_jobs);
        auto s = open_store(":memory:");
        REQUIRE(hil::test::upsert(*s, {make_datastore(k_datastore_a)}, {}));
        if (into_jobs) REQUIRE(hil::test::upsert(*s, {}, {job_at(k_datastore_a, "m-old", 1500)}));
        {
            auto began = s->begin_load(hil::store::load_mode::merge);
            REQUIRE(began.ok());
            auto& rows = *began.value();
            REQUIRE(rows.add_job(job_at(k_datastore_a, "z-first", 1000)));
            REQUIRE(rows.add_job(job_at(k_datastore_a, "a-newest", 3000)));
            auto again = job_at(k_datastore_a, "z-first", 1000);
            again.job_status = "FAILED";
            REQUIRE(rows.add_job(again));
            REQUIRE(rows.add_job(job_at(k_datastore_a, "k-middle", 2000)));
            const auto first = rows.first_staged(k_datastore_a, "z-first");
            REQUIRE(first.ok());
            CHECK(first.value() == std::optional<std::uint64_t>(1));
            const auto middle = rows.first_staged(k_datastore_a, "k-middle");
            REQUIRE(middle.ok());
            CHECK(middle.value() == std::optional<std::uint64_t>(4));
            const auto stored_before = rows.first_staged(k_datastore_a, "m-old");  // stored, not staged by this load
            REQUIRE(stored_before.ok());
            CHECK_FALSE(stored_before.value().has_value());
            REQUIRE(rows.commit());
        }
        const auto z = s->find_import_job(k_anyone, k_datastore_a, "z-first");
        REQUIRE(z.ok());
        CHECK(z.value().job_status == "FAILED");
        if (into_jobs) {
            CHECK(listed_ids(*s, k_datastore_a) == std::vector<std::string>{"a-newest", "k-middle", "m-old", "z-first"});
            check_counts(*s, 1, 4);
        } else {
            CHECK(listed_ids(*s, k_datastore_a) == std::vector<std::string>{"a-newest", "k-middle", "z-first"});
            check_counts(*s, 1, 3);
        }
    }
}

TEST_CASE("during a load reads see the state before it; the generation moves once it ends") {
    auto s = open_store(":memory:");
    REQUIRE(hil::test::upsert(*s, {make_datastore(k_datastore_a)}, {job_at(k_datastore_a, "before", 1)}));
    const auto g = s->generation();
    {
        auto began = s->begin_load(hil::store::load_mode::replace);
        REQUIRE(began.ok());
        REQUIRE(began.value()->add_datastore(make_datastore(k_datastore_a)));
        REQUIRE(began.value()->add_job(job_at(k_datastore_a, "loaded", 2)));
        CHECK(s->find_import_job(k_anyone, k_datastore_a, "before").ok());
        CHECK_FALSE(s->find_import_job(k_anyone, k_datastore_a, "loaded").ok());
        check_counts(*s, 1, 1);
        CHECK(s->generation() == g);
        REQUIRE(began.value()->commit());
    }
    CHECK(s->generation() > g);
    CHECK_FALSE(s->find_import_job(k_anyone, k_datastore_a, "before").ok());
    CHECK(s->find_import_job(k_anyone, k_datastore_a, "loaded").ok());
    check_counts(*s, 1, 1);
    CHECK(listed_ids(*s, k_datastore_a) == std::vector<std::string>{"loaded"});
}

TEST_CASE("between a load's commit and its end, counts are the published state's, kept, not counted again") {
    // A load counts its new state for the generation it will publish; the counts of the
    // generation still published stay, so health between the commit and the publish neither
    // counts every row nor reports what it cannot yet find.
    auto s = open_store(":memory:");
    const auto load = [&](const char* job, const std::function<void()>& after_commit) {
        auto began = s->begin_load(hil::store::load_mode::merge);
        REQUIRE(began.ok());
        REQUIRE(began.value()->add_datastore(make_datastore(k_datastore_a)));
        REQUIRE(began.value()->add_job(job_at(k_datastore_a, job, 1)));
        REQUIRE(began.value()->commit());
        after_commit();
    };
    load("one", [] {});
    check_counts(*s, 1, 1);
    load("two", [&] { check_counts(*s, 1, 1); });
    check_counts(*s, 1, 2);
    load("three", [&] { check_counts(*s, 1, 2); });
    check_counts(*s, 1, 3);
}

TEST_CASE("a load ended without a commit leaves the store as it was, and no staging file") {
    hil::test::temp_path tmp("hil-store-staging");
    std::filesystem::create_directories(tmp.path());
    hil::test::scoped_tmpdir in_tmp(tmp.str());
    const auto files_named = [&](const std::string& name) {
        int n = 0;
        for (const auto& e : std::filesystem::recursive_directory_iterator(tmp.path())) n += e.path().filename() == name;
        return n;
    };
    {
        auto s = open_store(":memory:");
        seed(*s);
        for (const auto mode : {hil::store::load_mode::merge, hil::store::load_mode::replace}) {
            {
                auto began = s->begin_load(mode);
                REQUIRE(began.ok());
                CHECK(files_named("load.db") == 1);
                REQUIRE(began.value()->add_datastore(make_datastore(std::string(32, 'e'))));
                REQUIRE(began.value()->add_job(make_job(k_datastore_a, "never")));
            }
            CHECK(files_named("load.db") == 0);
            check_counts(*s, 2, 3);
            check_seeded_contents(*s);
            CHECK_FALSE(s->find_import_job(k_anyone, k_datastore_a, "never").ok());
        }
        // And the next load works.
        REQUIRE(hil::test::upsert(*s, {}, {make_job(k_datastore_a, "later")}));
        check_counts(*s, 2, 4);
    }
}
