// The store's per-resource verbs: scope, lifecycle, idempotency, quotas, conflicts, pages,
// tags, import rules, the baseline copy and the upgrade of a version 1 database.
#include <doctest/doctest.h>
#include <sqlite3.h>

#include <memory>
#include <set>
#include <string>

#include "server/config.hpp"
#include "store/progression.hpp"
#include "store/store.hpp"
#include "test_support.hpp"

namespace {

using hil::api::error_code;
using hil::store::datastore;
using hil::store::import_job;
using hil::store::lifecycle_policy;
using hil::store::scope;
using hil::store::store;

constexpr hil::api::epoch_millis k_now = 1'764'403'200'000;

std::unique_ptr<store> memory_store() {
    auto s = store::open("");
    REQUIRE(s.ok());
    return std::move(s).value();
}

lifecycle_policy policy() { return hil::server::config::default_lifecycle(); }

datastore request(std::string id, std::string name = "ct", std::optional<std::string> token = std::nullopt) {
    datastore d;
    d.datastore_id = std::move(id);
    d.datastore_name = std::move(name);
    d.client_token = std::move(token);
    return d;
}

std::string id(char c) { return std::string(32, c); }

// A datastore made through create_datastore and polled to ACTIVE.
void make_active(store& s, const std::string& ds_id, const scope& who = {}) {
    REQUIRE(s.create_datastore(who, request(ds_id), policy(), k_now).ok());
    REQUIRE(s.poll_datastore(who, ds_id, k_now).value().datastore_status == "CREATING");
    REQUIRE(s.poll_datastore(who, ds_id, k_now + 1).value().datastore_status == "ACTIVE");
}

import_job job_request(const std::string& ds_id, std::string job_id, std::optional<std::string> token = std::nullopt,
                       std::string input = "s3://inbox/a/") {
    import_job j;
    j.job_id = std::move(job_id);
    j.datastore_id = ds_id;
    j.data_access_role_arn = "arn:aws:iam::123456789012:role/ImportRole";
    j.input_s3_uri = std::move(input);
    j.output_s3_uri = "s3://results/out/";
    j.client_token = std::move(token);
    return j;
}

error_code code_of(const hil::api::status& s) { return s.ok() ? error_code::unknown_operation : s.err().code(); }
template <class T>
error_code code_of(const hil::api::result<T>& r) { return r.ok() ? error_code::unknown_operation : r.err().code(); }

}  // namespace

TEST_CASE("create: CREATING with times, named by its id when unnamed; ACTIVE from the second poll") {
    auto s = memory_store();
    const auto created = s->create_datastore({}, request(id('a'), ""), policy(), k_now);
    REQUIRE(created.ok());
    CHECK(created.value().datastore_status == "CREATING");
    CHECK(created.value().datastore_name == id('a'));
    CHECK(created.value().region == "us-east-1");
    CHECK(created.value().created_at == k_now);
    CHECK(s->poll_datastore({}, id('a'), k_now + 10).value().datastore_status == "CREATING");
    const auto active = s->poll_datastore({}, id('a'), k_now + 20);
    CHECK(active.value().datastore_status == "ACTIVE");
    CHECK(active.value().created_at == k_now);
    CHECK(active.value().updated_at == k_now + 10);  // the poll that made the count; seen by the next
    CHECK(hil::store::datastore_arn(active.value(), "us-east-1") ==
          "arn:aws:medical-imaging:us-east-1:123456789012:datastore/" + id('a'));
}

TEST_CASE("create: idempotent on the client token, per account and region") {
    auto s = memory_store();
    REQUIRE(s->create_datastore({}, request(id('a'), "ct", "tok"), policy(), k_now).ok());
    const auto again = s->create_datastore({}, request(id('b'), "ct", "tok"), policy(), k_now + 5);
    REQUIRE(again.ok());
    CHECK(again.value().datastore_id == id('a'));
    const auto other = s->create_datastore({}, request(id('c'), "mri", "tok"), policy(), k_now);
    CHECK(code_of(other) == error_code::conflict);
    CHECK(other.err().message() == "Client token tok was already used for a different CreateDatastore request");
    const scope west{"123456789012", "us-west-2"};
    const auto elsewhere = s->create_datastore(west, request(id('d'), "mri", "tok"), policy(), k_now);
    REQUIRE(elsewhere.ok());
    CHECK(elsewhere.value().datastore_id == id('d'));
    CHECK(s->counts().value().datastores == 2);
}

TEST_CASE("create: the quota counts datastores of the scope that are not DELETED") {
    auto s = memory_store();
    auto p = policy();
    p.max_datastores = 1;
    make_active(*s, id('a'));
    const auto over = s->create_datastore({}, request(id('b')), p, k_now);
    CHECK(code_of(over) == error_code::service_quota_exceeded);
    CHECK(over.err().message() == "The account already has 1 data stores in us-east-1, the most it may have");
    CHECK(s->create_datastore({"123456789012", "eu-west-1"}, request(id('c')), p, k_now).ok());  // another region
    REQUIRE(s->delete_datastore({}, id('a'), p, k_now).ok());
    CHECK(code_of(s->create_datastore({}, request(id('b')), p, k_now)) == error_code::service_quota_exceeded);  // DELETING counts
    REQUIRE(s->poll_datastore({}, id('a'), k_now).value().datastore_status == "DELETING");
    REQUIRE(s->poll_datastore({}, id('a'), k_now).value().datastore_status == "DELETED");
    CHECK(s->create_datastore({}, request(id('b')), p, k_now).ok());
}

TEST_CASE("scope: a datastore of another region or account is not found; one without a region is seen everywhere") {
    auto s = memory_store();
    make_active(*s, id('a'));
    const scope west{"123456789012", "us-west-2"};
    const scope stranger{"999999999999", "us-east-1"};
    CHECK(code_of(s->poll_datastore(west, id('a'), k_now)) == error_code::resource_not_found);
    CHECK(code_of(s->poll_datastore(stranger, id('a'), k_now)) == error_code::resource_not_found);
    CHECK(code_of(s->tags_of(west, id('a'))) == error_code::resource_not_found);
    CHECK(s->list_datastores(west, std::nullopt, {}, k_now).value().items.empty());
    REQUIRE(hil::test::upsert(*s, {hil::test::make_datastore(id('f'))}, {}));
    CHECK(s->poll_datastore(west, id('f'), k_now).ok());
    CHECK(s->poll_datastore({}, id('f'), k_now).ok());
    CHECK(s->list_datastores(west, std::nullopt, {}, k_now).value().items.size() == 1);
}

TEST_CASE("delete: only ACTIVE or CREATE_FAILED, never with jobs in flight") {
    auto s = memory_store();
    REQUIRE(s->create_datastore({}, request(id('a')), policy(), k_now).ok());
    const auto creating = s->delete_datastore({}, id('a'), policy(), k_now);
    CHECK(code_of(creating) == error_code::conflict);
    CHECK(creating.err().message() ==
          "Datastore " + id('a') + " is CREATING; only an ACTIVE or CREATE_FAILED data store can be deleted");
    (void)s->poll_datastore({}, id('a'), k_now);
    CHECK(code_of(s->delete_datastore({}, id('a'), policy(), k_now)) == error_code::conflict);  // a poll saw CREATING
    REQUIRE(s->poll_datastore({}, id('a'), k_now).value().datastore_status == "ACTIVE");
    REQUIRE(s->start_import_job({}, job_request(id('a'), "j1"), policy(), k_now).ok());
    const auto busy = s->delete_datastore({}, id('a'), policy(), k_now);
    CHECK(code_of(busy) == error_code::conflict);
    CHECK(busy.err().message().find("has 1 import job(s) SUBMITTED or IN_PROGRESS") != std::string::npos);
    REQUIRE(s->poll_import_job({}, id('a'), "j1", k_now).value().job_status == "IN_PROGRESS");
    // The caller has seen IN_PROGRESS, and so does everyone else: still in flight.
    CHECK(code_of(s->delete_datastore({}, id('a'), policy(), k_now)) == error_code::conflict);
    CHECK(s->poll_import_job({}, id('a'), "j1", k_now).value().job_status == "COMPLETED");
    const auto deleting = s->delete_datastore({}, id('a'), policy(), k_now + 7);
    REQUIRE(deleting.ok());
    CHECK(deleting.value().datastore_status == "DELETING");
    CHECK(deleting.value().updated_at == k_now + 7);
    CHECK(code_of(s->delete_datastore({}, id('a'), policy(), k_now)) == error_code::conflict);
    CHECK(code_of(s->delete_datastore({}, id('z'), policy(), k_now)) == error_code::resource_not_found);
}

TEST_CASE("start: SUBMITTED in an ACTIVE datastore, the output URI as AWS reports it, then the progression") {
    auto s = memory_store();
    make_active(*s, id('a'));
    const auto started = s->start_import_job({}, job_request(id('a'), "j1"), policy(), k_now + 3);
    REQUIRE(started.ok());
    const auto& j = started.value();
    CHECK(j.job_status == "SUBMITTED");
    CHECK(j.job_name == "j1");  // unnamed: named by its id
    CHECK(j.submitted_at == k_now + 3);
    CHECK(j.output_s3_uri == "s3://results/out/" + id('a') + "-DicomImport-j1/");
    CHECK(s->poll_import_job({}, id('a'), "j1", k_now + 4).value().job_status == "IN_PROGRESS");
    const auto done = s->poll_import_job({}, id('a'), "j1", k_now + 5).value();
    CHECK(done.job_status == "COMPLETED");
    CHECK(done.ended_at == k_now + 4);  // the poll that made the count; seen by the next
    CHECK(code_of(s->start_import_job({}, job_request(id('z'), "j2"), policy(), k_now)) == error_code::resource_not_found);
}

TEST_CASE("start: not in a datastore that is not ACTIVE; idempotent on the token; the concurrency quota") {
    auto s = memory_store();
    REQUIRE(s->create_datastore({}, request(id('a')), policy(), k_now).ok());
    const auto early = s->start_import_job({}, job_request(id('a'), "j0"), policy(), k_now);
    CHECK(code_of(early) == error_code::conflict);
    CHECK(early.err().message() ==
          "Datastore " + id('a') + " is CREATING; import jobs can only be started in an ACTIVE data store");
    (void)s->poll_datastore({}, id('a'), k_now);
    (void)s->poll_datastore({}, id('a'), k_now);
    auto p = policy();
    p.max_concurrent_imports = 1;
    REQUIRE(s->start_import_job({}, job_request(id('a'), "j1", "t"), p, k_now).ok());
    const auto same = s->start_import_job({}, job_request(id('a'), "j9", "t"), p, k_now);
    REQUIRE(same.ok());
    CHECK(same.value().job_id == "j1");
    auto changed = job_request(id('a'), "j9", "t");
    changed.job_name = "renamed";
    CHECK(code_of(s->start_import_job({}, changed, p, k_now)) == error_code::conflict);
    const auto over = s->start_import_job({}, job_request(id('a'), "j2"), p, k_now);
    CHECK(code_of(over) == error_code::service_quota_exceeded);
    (void)s->poll_import_job({}, id('a'), "j1", k_now);
    (void)s->poll_import_job({}, id('a'), "j1", k_now);
    CHECK(s->start_import_job({}, job_request(id('a'), "j2"), p, k_now).ok());
}

TEST_CASE("start: an import rule decides how a matching job ends; a datastore's importProgression its steps") {
    auto s = memory_store();
    auto ds = hil::test::make_datastore(id('a'));
    ds.import_progression = {{"IN_PROGRESS", 1, std::nullopt, std::nullopt, std::nullopt},
                             {"COMPLETED", 3, std::nullopt, std::nullopt, std::nullopt}};
    hil::store::dataset data;
    data.datastores = {ds, hil::test::make_datastore(id('b'))};
    data.import_rules = {{"s3://bad/", std::nullopt, "FAILED", "Input is unreadable"}};
    REQUIRE(s->load(data));
    REQUIRE(s->start_import_job({}, job_request(id('b'), "f1", std::nullopt, "s3://bad/x/"), policy(), k_now).ok());
    CHECK(s->poll_import_job({}, id('b'), "f1", k_now).value().job_status == "IN_PROGRESS");
    const auto failed = s->poll_import_job({}, id('b'), "f1", k_now).value();
    CHECK(failed.job_status == "FAILED");
    CHECK(failed.message == std::string("Input is unreadable"));
    REQUIRE(s->start_import_job({}, job_request(id('a'), "slow"), policy(), k_now).ok());
    std::vector<std::string> seen;
    for (int i = 0; i < 5; ++i) seen.push_back(s->poll_import_job({}, id('a'), "slow", k_now).value().job_status);
    CHECK(seen == std::vector<std::string>{"SUBMITTED", "IN_PROGRESS", "IN_PROGRESS", "COMPLETED", "COMPLETED"});
    REQUIRE(s->start_import_job({}, job_request(id('a'), "bad", std::nullopt, "s3://bad/y"), policy(), k_now).ok());
    for (int i = 0; i < 3; ++i) (void)s->poll_import_job({}, id('a'), "bad", k_now);
    CHECK(s->poll_import_job({}, id('a'), "bad", k_now).value().job_status == "FAILED");
    CHECK(s->contents(k_now).value().import_rules == data.import_rules);
}

TEST_CASE("pages: newest first, each item once, new items never repeat earlier ones, a foreign position refused") {
    auto s = memory_store();
    make_active(*s, id('a'));
    for (int i = 0; i < 5; ++i) {
        REQUIRE(s->start_import_job({}, job_request(id('a'), "j" + std::to_string(i)), policy(), k_now + i).ok());
    }
    hil::store::page_request req;
    req.limit = 2;
    auto first = s->list_import_jobs({}, id('a'), std::nullopt, req, k_now).value();
    REQUIRE(first.items.size() == 2);
    CHECK(first.items[0].job_id == "j4");
    CHECK(first.items[1].job_id == "j3");
    REQUIRE(first.next_position.has_value());
    REQUIRE(s->start_import_job({}, job_request(id('a'), "late"), policy(), k_now + 100).ok());
    std::vector<std::string> rest;
    req.after = first.next_position;
    while (true) {
        auto page = s->list_import_jobs({}, id('a'), std::nullopt, req, k_now).value();
        for (const auto& j : page.items) rest.push_back(j.job_id);
        if (!page.next_position) break;
        req.after = page.next_position;
    }
    CHECK(rest == std::vector<std::string>{"j2", "j1", "j0"});
    req.limit = 6;
    req.after.reset();
    const auto exact = s->list_import_jobs({}, id('a'), std::nullopt, req, k_now).value();
    CHECK(exact.items.size() == 6);
    CHECK_FALSE(exact.next_position.has_value());  // exactly one page: no next
    req.after = "garbage";
    CHECK(code_of(s->list_import_jobs({}, id('a'), std::nullopt, req, k_now)) == error_code::validation);
    CHECK(code_of(s->list_import_jobs({}, id('z'), std::nullopt, {}, k_now)) == error_code::resource_not_found);
    // Listing is not a poll: nobody has polled these jobs, so they are still SUBMITTED.
    CHECK(s->list_import_jobs({}, id('a'), std::string("SUBMITTED"), {}, k_now).value().items.size() == 6);
    CHECK(s->list_import_jobs({}, id('a'), std::string("IN_PROGRESS"), {}, k_now).value().items.empty());
    CHECK(s->list_import_jobs({}, id('a'), std::string("COMPLETED"), {}, k_now).value().items.empty());
}

TEST_CASE("tags: add and overwrite, at most 50, remove, written with the datastore") {
    auto s = memory_store();
    make_active(*s, id('a'));
    REQUIRE(s->tag({}, id('a'), {}, {{"team", "ml"}, {"stage", "dev"}}));
    REQUIRE(s->tag({}, id('a'), {}, {{"stage", "prod"}}));
    CHECK(s->tags_of({}, id('a')).value() == hil::store::tag_map{{"stage", "prod"}, {"team", "ml"}});
    REQUIRE(s->untag({}, id('a'), {}, {"team", "absent"}));
    CHECK(s->tags_of({}, id('a')).value() == hil::store::tag_map{{"stage", "prod"}});
    hil::store::tag_map many;
    for (int i = 0; i < 50; ++i) many.emplace("k" + std::to_string(i), "v");
    const auto too_many = s->tag({}, id('a'), {}, many);
    CHECK(code_of(too_many) == error_code::validation);
    CHECK(too_many.err().message() == "A resource can have at most 50 tags; with these it would have 51");
    CHECK(s->tags_of({}, id('a')).value().size() == 1);  // nothing written
    CHECK(code_of(s->tag({}, id('z'), {}, {{"a", "b"}})) == error_code::resource_not_found);
}

TEST_CASE("reset returns every table to the marked state, datastores' lifecycles and tags included") {
    auto s = memory_store();
    make_active(*s, id('a'));
    REQUIRE(s->tag({}, id('a'), {}, {{"kept", "yes"}}));
    hil::store::dataset rules;
    rules.import_rules = {{"s3://x/", std::nullopt, "FAILED", std::nullopt}};
    REQUIRE(s->load(rules));
    REQUIRE(s->mark_baseline(k_now));
    const auto marked = s->contents(k_now).value();
    REQUIRE(s->create_datastore({}, request(id('b')), policy(), k_now).ok());
    REQUIRE(s->untag({}, id('a'), {}, {"kept"}));
    REQUIRE(s->start_import_job({}, job_request(id('a'), "j1"), policy(), k_now).ok());
    REQUIRE(s->load(rules));
    REQUIRE(s->reset_to_baseline(k_now));
    CHECK(s->contents(k_now).value() == marked);
    // The copy stays: a second round of changes resets just as well.
    REQUIRE(s->delete_datastore({}, id('a'), policy(), k_now).ok());
    REQUIRE(s->reset_to_baseline(k_now));
    CHECK(s->contents(k_now).value() == marked);
}

TEST_CASE("a version 1 database is upgraded in place, its rows kept") {
    hil::test::temp_path db("hil-store-v1");
    {
        sqlite3* raw = nullptr;
        REQUIRE(sqlite3_open(db.str().c_str(), &raw) == SQLITE_OK);
        const char* v1 = R"sql(
            CREATE TABLE datastores (datastore_id TEXT NOT NULL PRIMARY KEY, datastore_name TEXT NOT NULL,
                                     datastore_status TEXT NOT NULL) WITHOUT ROWID;
            CREATE TABLE import_jobs (datastore_id TEXT NOT NULL REFERENCES datastores(datastore_id),
                job_id TEXT NOT NULL, job_name TEXT NOT NULL, job_status TEXT NOT NULL,
                data_access_role_arn TEXT NOT NULL, input_s3_uri TEXT NOT NULL, output_s3_uri TEXT NOT NULL,
                submitted_at_ms INTEGER, ended_at_ms INTEGER, message TEXT, progression TEXT,
                polls INTEGER NOT NULL DEFAULT 0, steps_reached INTEGER NOT NULL DEFAULT 0,
                progress_started_ms INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (datastore_id, job_id)) WITHOUT ROWID;
            CREATE TABLE baseline_datastores AS SELECT * FROM datastores WHERE 0;
            CREATE TABLE baseline_import_jobs AS SELECT * FROM import_jobs WHERE 0;
            INSERT INTO datastores VALUES ('aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', 'old', 'ACTIVE');
            INSERT INTO import_jobs (datastore_id, job_id, job_name, job_status, data_access_role_arn, input_s3_uri,
                output_s3_uri, submitted_at_ms) VALUES ('aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', 'j1', 'n', 'COMPLETED',
                'arn:aws:iam::123456789012:role/R', 's3://in/', 's3://out/', 1700000000000);
            PRAGMA user_version = 1;)sql";
        REQUIRE(sqlite3_exec(raw, v1, nullptr, nullptr, nullptr) == SQLITE_OK);
        sqlite3_close(raw);
    }
    auto opened = store::open(db.str());
    REQUIRE_MESSAGE(opened.ok(), (opened.ok() ? "" : opened.err().message()));
    auto& s = *opened.value();
    const auto job = s.find_import_job({}, id('a'), "j1");
    REQUIRE(job.ok());
    CHECK(job.value().submitted_at == hil::api::epoch_millis{1700000000000});
    const auto listed = s.list_import_jobs({"123456789012", "eu-west-1"}, id('a'), std::nullopt, {}, k_now);
    REQUIRE(listed.ok());
    CHECK(listed.value().items.size() == 1);
    CHECK(s.poll_datastore({}, id('a'), k_now).value().datastore_name == "old");
    make_active(s, id('b'));
}

TEST_CASE("progression specs as flags write them") {
    const auto steps = hil::store::parse_progression_spec("IN_PROGRESS@0,COMPLETED@2s,FAILED@500ms", hil::api::job_status_shape);
    REQUIRE(steps.ok());
    REQUIRE(steps.value().size() == 3);
    CHECK(steps.value()[0].after_polls == std::uint64_t{0});
    CHECK(steps.value()[1].after_millis == hil::api::epoch_millis{2000});
    CHECK(steps.value()[2].after_millis == hil::api::epoch_millis{500});
    CHECK(hil::store::parse_progression_spec("ACTIVE@1", hil::api::datastore_status_shape).ok());
    const auto bad_status = hil::store::parse_progression_spec("ACTIVE@1", hil::api::job_status_shape);
    REQUIRE_FALSE(bad_status.ok());
    CHECK(bad_status.err().message() ==
          "step 1 'ACTIVE@1': Member must satisfy enum value set: [SUBMITTED, IN_PROGRESS, COMPLETED, FAILED]");
    for (const char* bad : {"", "COMPLETED", "COMPLETED@", "COMPLETED@x", "COMPLETED@-1", "COMPLETED@1h",
                            "IN_PROGRESS@0,", "COMPLETED@1.5"}) {
        CAPTURE(bad);
        CHECK_FALSE(hil::store::parse_progression_spec(bad, hil::api::job_status_shape).ok());
    }
}

TEST_CASE("reset restarts datastores' time-based lifecycles from the reset, as jobs'") {
    auto s = memory_store();
    auto p = policy();
    p.datastore_create = {{"ACTIVE", std::nullopt, 5000, std::nullopt, std::nullopt}};
    REQUIRE(s->create_datastore({}, request(id('a')), p, k_now).ok());
    REQUIRE(s->mark_baseline(k_now + 1000));  // 1 s into its 5 s
    CHECK(s->poll_datastore({}, id('a'), k_now + 6000).value().datastore_status == "ACTIVE");
    REQUIRE(s->reset_to_baseline(k_now + 60'000));
    // As far along as at the mark: 4 s to go from the reset.
    CHECK(s->list_datastores({}, std::nullopt, {}, k_now + 63'999).value().items.at(0).datastore_status == "CREATING");
    CHECK(s->list_datastores({}, std::nullopt, {}, k_now + 64'000).value().items.at(0).datastore_status == "ACTIVE");
}

TEST_CASE("an import rule's end comes after the last step of a progression that does not end") {
    auto s = memory_store();
    auto ds = hil::test::make_datastore(id('a'));
    ds.import_progression = {{"IN_PROGRESS", 2, std::nullopt, std::nullopt, std::nullopt}};
    hil::store::dataset data;
    data.datastores = {ds};
    data.import_rules = {{"s3://bad/", std::nullopt, "FAILED", std::nullopt}};
    REQUIRE(s->load(data));
    REQUIRE(s->start_import_job({}, job_request(id('a'), "j", std::nullopt, "s3://bad/1/"), policy(), k_now).ok());
    std::vector<std::string> seen;
    for (int i = 0; i < 5; ++i) seen.push_back(s->poll_import_job({}, id('a'), "j", k_now).value().job_status);
    CHECK(seen == std::vector<std::string>{"SUBMITTED", "SUBMITTED", "IN_PROGRESS", "FAILED", "FAILED"});
}

TEST_CASE("outputS3Uri: the caller's prefix as given, a bare bucket with its '/'") {
    auto s = memory_store();
    make_active(*s, id('a'));
    auto with_key = job_request(id('a'), "j1");
    with_key.output_s3_uri = "s3://results/run-";
    CHECK(s->start_import_job({}, with_key, policy(), k_now).value().output_s3_uri ==
          "s3://results/run-" + id('a') + "-DicomImport-j1/");
    auto bare = job_request(id('a'), "j2");
    bare.output_s3_uri = "s3://results";
    CHECK(s->start_import_job({}, bare, policy(), k_now).value().output_s3_uri ==
          "s3://results/" + id('a') + "-DicomImport-j2/");
}

TEST_CASE("a replace load empties every table, import rules included") {
    auto s = memory_store();
    make_active(*s, id('a'));
    hil::store::dataset rules;
    rules.import_rules = {{"s3://x/", std::nullopt, "FAILED", std::nullopt}};
    REQUIRE(s->load(rules));
    REQUIRE(s->load(hil::store::dataset{}, hil::store::load_mode::replace));
    const auto c = s->counts().value();
    CHECK(c.datastores == 0);
    CHECK(c.jobs == 0);
    CHECK(c.import_rules == 0);
}
