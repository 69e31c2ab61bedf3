#include "store/store.hpp"

#include <doctest/doctest.h>
#include <sqlite3.h>

#include <filesystem>
#include <memory>
#include <string>

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
