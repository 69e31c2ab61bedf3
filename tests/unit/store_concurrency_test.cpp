// The store's readers and its writer: the generation, reads during a long write, another
// process holding the database's write lock, and the scratch directory of an in-memory store.
#include "store/store.hpp"

#include <doctest/doctest.h>
#include <sqlite3.h>

#include <atomic>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>

#include "store/progression.hpp"
#include "test_support.hpp"

namespace {

using hil::api::error_code;
using hil::store::store;
using hil::test::k_datastore_a;
using hil::test::make_datastore;
using hil::test::make_job;

std::unique_ptr<store> open_store(const hil::store::store_options& options) {
    auto s = store::open(options);
    REQUIRE_MESSAGE(s.ok(), (s.ok() ? "" : s.err().message()));
    return std::move(s).value();
}

const hil::store::scope k_caller{"123456789012", "us-east-1"};

}  // namespace

TEST_CASE("the generation moves on with every write and reset, and never with a read") {
    auto s = open_store({});
    REQUIRE(hil::test::upsert(*s, {make_datastore(k_datastore_a)}, {make_job(k_datastore_a, "done")}));
    auto waiting = make_job(k_datastore_a, "waiting");
    waiting.job_status = "SUBMITTED";
    waiting.progression = {{"COMPLETED", std::uint64_t{2}, std::nullopt, std::nullopt, std::nullopt}};
    auto timed = make_job(k_datastore_a, "timed");
    timed.job_status = "SUBMITTED";
    timed.progression = {{"COMPLETED", std::nullopt, std::int64_t{1000}, std::nullopt, std::nullopt}};
    REQUIRE(hil::test::upsert(*s, {}, {waiting, timed}));
    REQUIRE(s->mark_baseline(0));
    const auto g = s->generation();

    SUBCASE("reads") {
        REQUIRE(s->find_import_job(k_caller, k_datastore_a, "done").ok());
        REQUIRE(s->poll_import_job(k_caller, k_datastore_a, "done", 10).ok());
        REQUIRE(s->list_import_jobs(k_caller, k_datastore_a, std::nullopt, {}, 10).ok());
        REQUIRE(s->poll_datastore(k_caller, k_datastore_a, 10).ok());
        REQUIRE(s->counts().ok());
        REQUIRE(s->contents(10).ok());
        // A time step is not stored by a poll: the clock alone tells what it answers.
        const auto before = s->poll_import_job(k_caller, k_datastore_a, "timed", 10);
        REQUIRE(before.ok());
        CHECK(before.value().job_status == "SUBMITTED");
        const auto after = s->poll_import_job(k_caller, k_datastore_a, "timed", 2000);
        REQUIRE(after.ok());
        CHECK(after.value().job_status == "COMPLETED");
        CHECK(s->generation() == g);
    }
    SUBCASE("a poll a later step waits for is counted: a write") {
        REQUIRE(s->poll_import_job(k_caller, k_datastore_a, "waiting", 10).ok());
        CHECK(s->generation() > g);
        const auto g2 = s->generation();
        const auto second = s->poll_import_job(k_caller, k_datastore_a, "waiting", 20);
        REQUIRE(second.ok());
        CHECK(s->generation() > g2);
        const auto third = s->poll_import_job(k_caller, k_datastore_a, "waiting", 30);
        REQUIRE(third.ok());
        CHECK(third.value().job_status == "COMPLETED");
        // Every step is reached: later polls change nothing, and are reads.
        const auto g3 = s->generation();
        REQUIRE(s->poll_import_job(k_caller, k_datastore_a, "waiting", 40).ok());
        CHECK(s->generation() == g3);
    }
    SUBCASE("writes") {
        REQUIRE(s->tag(k_caller, k_datastore_a, "", {{"team", "ct"}}));
        const auto g2 = s->generation();
        CHECK(g2 > g);
        REQUIRE(s->load({}));
        CHECK(s->generation() > g2);
    }
    SUBCASE("counts, kept per generation, follow a write") {
        const auto before = s->counts();
        REQUIRE(before.ok());
        CHECK(before.value().jobs == 3);
        REQUIRE(s->counts().ok());  // answered from the kept counts
        REQUIRE(hil::test::upsert(*s, {}, {make_job(k_datastore_a, "another")}));
        const auto after = s->counts();
        REQUIRE(after.ok());
        CHECK(after.value().jobs == 4);
    }
    SUBCASE("a reset") {
        REQUIRE(s->tag(k_caller, k_datastore_a, "", {{"team", "ct"}}));
        const auto g2 = s->generation();
        REQUIRE(s->reset_to_baseline(0));
        CHECK(s->generation() > g2);
        const auto tags = s->tags_of(k_caller, k_datastore_a);
        REQUIRE(tags.ok());
        CHECK(tags.value().empty());
    }
}

TEST_CASE("reads are answered while a long write runs") {
    auto s = open_store({});
    REQUIRE(hil::test::upsert(*s, {make_datastore(k_datastore_a)}, {make_job(k_datastore_a, "present")}));
    hil::store::dataset big;
    for (int i = 0; i < 200000; ++i) big.jobs.push_back(make_job(k_datastore_a, "bulk" + std::to_string(i)));
    std::atomic<bool> loading{true};
    std::thread writer([&] {
        CHECK(s->load(big));
        loading = false;
    });
    // With one lock around the store, no read would finish until the load had: here many do.
    int read_while_loading = 0;
    while (loading) {
        const auto found = s->poll_import_job(k_caller, k_datastore_a, "present", 1);
        REQUIRE(found.ok());
        CHECK(found.value().job_status == "COMPLETED");
        const auto missing = s->find_import_job(k_caller, k_datastore_a, "bulk199999");
        if (loading) {
            // A read sees the last commit: all of the load, or none of it.
            CHECK((missing.ok() || missing.err().code() == error_code::resource_not_found));
            ++read_while_loading;
        }
    }
    writer.join();
    CHECK(read_while_loading > 10);
    const auto counts = s->counts();
    REQUIRE(counts.ok());
    CHECK(counts.value().jobs == 200001);
}

TEST_CASE("another process holding the database's write lock does not stop reads; writes wait, then fail") {
    hil::test::temp_path db("hil-store-locked");
    auto s = open_store({db.str(), 200});
    REQUIRE(hil::test::upsert(*s, {make_datastore(k_datastore_a)}, {make_job(k_datastore_a, "present")}));
    sqlite3* other = nullptr;
    REQUIRE(sqlite3_open(db.str().c_str(), &other) == SQLITE_OK);
    REQUIRE(sqlite3_exec(other, "BEGIN IMMEDIATE; UPDATE import_jobs SET job_name = 'held';", nullptr, nullptr, nullptr) ==
            SQLITE_OK);
    const auto found = s->poll_import_job(k_caller, k_datastore_a, "present", 1);
    REQUIRE(found.ok());
    CHECK(found.value().job_name == "ct-chest-batch-01");  // the last commit, not the other's write
    CHECK(s->list_import_jobs(k_caller, k_datastore_a, std::nullopt, {}, 1).ok());
    const auto written = s->tag(k_caller, k_datastore_a, "", {{"team", "ct"}});
    REQUIRE_FALSE(written.ok());
    CHECK(written.err().code() == error_code::internal_server);
    CHECK(written.err().message().find("locked") != std::string::npos);
    REQUIRE(sqlite3_exec(other, "ROLLBACK;", nullptr, nullptr, nullptr) == SQLITE_OK);
    sqlite3_close(other);
    CHECK(s->tag(k_caller, k_datastore_a, "", {{"team", "ct"}}).ok());
}

TEST_CASE("an in-memory store keeps its database in a scratch directory it removes") {
    hil::test::temp_path tmp("hil-store-scratch");
    std::filesystem::create_directories(tmp.path());
    hil::test::scoped_tmpdir in_tmp(tmp.str());
    {
        auto s = open_store({});
        REQUIRE(s->mark_baseline(0));
        CHECK_FALSE(std::filesystem::is_empty(tmp.path()));
    }
    CHECK(std::filesystem::is_empty(tmp.path()));
}
