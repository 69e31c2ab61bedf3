// Unit tests of the scenario engine's parts, without a server: progression, fault rule
// budgets, the throttle's token buckets, the request journal ring and the SigV4 reader.
#include <doctest/doctest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "api/clock.hpp"
#include "server/request_journal.hpp"
#include "server/sigv4.hpp"
#include "server/throttle.hpp"
#include "store/fault_rules.hpp"
#include "store/fixture_loader.hpp"
#include "store/progression.hpp"

namespace hil::test {
namespace {

using store::import_job;
using store::progression_step;

progression_step polls_step(std::string status, std::uint64_t polls) {
    progression_step s;
    s.status = std::move(status);
    s.after_polls = polls;
    return s;
}

progression_step time_step(std::string status, api::epoch_millis millis) {
    progression_step s;
    s.status = std::move(status);
    s.after_millis = millis;
    return s;
}

import_job job_with(std::vector<progression_step> steps, api::epoch_millis started_at = 0) {
    import_job j;
    j.job_id = "job";
    j.datastore_id = std::string(32, 'a');
    j.job_status = "SUBMITTED";
    j.message = "queued";
    j.progression = std::move(steps);
    j.progress.started_at = started_at;
    return j;
}

// --- progression -------------------------------------------------------------------------

TEST_CASE("progression by polls: each poll answers the state before counting itself") {
    auto job = job_with({polls_step("IN_PROGRESS", 1), polls_step("COMPLETED", 3)});
    std::vector<std::string> seen;
    for (api::epoch_millis t = 1000; t <= 5000; t += 1000) seen.push_back(store::poll(job, t).job_status);
    CHECK(seen == std::vector<std::string>{"SUBMITTED", "IN_PROGRESS", "IN_PROGRESS", "COMPLETED", "COMPLETED"});
    CHECK(job.progress.polls == 5);
    CHECK(job.progress.steps_reached == 2);
    // COMPLETED dates from poll 3 (at t=3000), whose count reached it; poll 4 is the first to see it.
    REQUIRE(job.ended_at.has_value());
    CHECK(*job.ended_at == 3000);
    CHECK(job.message == std::optional<std::string>("queued"));  // no step message: unchanged
}

TEST_CASE("progression: afterPolls 0 is reached by the first poll, and only a poll reaches a poll step") {
    auto job = job_with({polls_step("IN_PROGRESS", 0), polls_step("COMPLETED", 1)});
    CHECK_FALSE(store::advance(job, 10));  // a list or a state export: nobody has polled yet
    CHECK(job.job_status == "SUBMITTED");
    CHECK(store::poll(job, 10).job_status == "IN_PROGRESS");
    // What the poll answered is what is stored: others see IN_PROGRESS until the next poll.
    CHECK(job.job_status == "IN_PROGRESS");
    CHECK_FALSE(store::advance(job, 20));
    CHECK(job.job_status == "IN_PROGRESS");
    CHECK(store::poll(job, 30).job_status == "COMPLETED");
    CHECK(job.ended_at == std::optional<api::epoch_millis>(10));  // the poll that made the count
}

TEST_CASE("progression by time: reached at startedAt + afterSeconds; endedAt is that moment, not the poll's") {
    auto job = job_with({time_step("IN_PROGRESS", 1000), time_step("FAILED", 3000)}, 100'000);
    CHECK(store::poll(job, 100'999).job_status == "SUBMITTED");
    CHECK(store::poll(job, 101'000).job_status == "IN_PROGRESS");
    CHECK(store::poll(job, 102'999).job_status == "IN_PROGRESS");
    const auto late = store::poll(job, 250'000);
    CHECK(late.job_status == "FAILED");
    REQUIRE(late.ended_at.has_value());
    CHECK(*late.ended_at == 103'000);
}

TEST_CASE("progression: a step's message replaces the job's and its endedAt wins") {
    auto failing = polls_step("FAILED", 1);
    failing.message = "input bucket is not accessible";
    failing.ended_at = 1'700'000'000'000;
    auto job = job_with({failing});
    CHECK(store::poll(job, 5).message == std::optional<std::string>("queued"));
    const auto second = store::poll(job, 6);
    CHECK(second.job_status == "FAILED");
    CHECK(second.message == std::optional<std::string>("input bucket is not accessible"));
    CHECK(second.ended_at == std::optional<api::epoch_millis>(1'700'000'000'000));
}

TEST_CASE("progression: steps are reached in order; polls count cumulatively from load") {
    auto job = job_with({time_step("IN_PROGRESS", 10'000), polls_step("COMPLETED", 2)}, 0);
    CHECK(store::poll(job, 1).job_status == "SUBMITTED");
    CHECK(store::poll(job, 2).job_status == "SUBMITTED");  // step 1's polls are met, step 0 is not
    CHECK(job.progress.steps_reached == 0);
    // At 10 s step 0 is reached, and step 1 at once: two polls were already made.
    const auto third = store::poll(job, 10'000);
    CHECK(third.job_status == "COMPLETED");
    CHECK(third.ended_at == std::optional<api::epoch_millis>(10'000));
}

TEST_CASE("progression: advance without a poll applies only due time steps") {
    auto job = job_with({time_step("IN_PROGRESS", 500), polls_step("COMPLETED", 1)}, 0);
    CHECK_FALSE(store::advance(job, 499));
    CHECK(store::advance(job, 500));
    CHECK(job.job_status == "IN_PROGRESS");
    CHECK(job.progress.polls == 0);
    CHECK_FALSE(store::advance(job, 100'000));
}

TEST_CASE("progression: the stored JSON round-trips every member") {
    auto a = polls_step("IN_PROGRESS", 2);
    a.message = "copying";
    auto b = time_step("COMPLETED", 1500);
    b.ended_at = 1'764'403'500'250;
    const auto text = store::progression_to_json({a, b}, "jobStatus");
    const auto back = store::progression_from_json(text, "jobStatus");
    REQUIRE(back.ok());
    REQUIRE(back.value().size() == 2);
    CHECK(back.value()[0].status == "IN_PROGRESS");
    CHECK(back.value()[0].after_polls == std::optional<std::uint64_t>(2));
    CHECK(back.value()[0].message == std::optional<std::string>("copying"));
    CHECK(back.value()[1].after_millis == std::optional<api::epoch_millis>(1500));
    CHECK(back.value()[1].ended_at == std::optional<api::epoch_millis>(1'764'403'500'250));
    CHECK_FALSE(store::progression_from_json("{not json", "jobStatus").ok());
    CHECK_FALSE(store::progression_from_json(R"([{"jobStatus":"COMPLETED"}])", "jobStatus").ok());  // no condition
}

// --- fault rules ---------------------------------------------------------------------------

std::vector<store::fault_rule> rules_from(std::string_view json) {
    auto parsed = store::parse_fault_rules(json, "test");
    REQUIRE_MESSAGE(parsed.ok(), (parsed.ok() ? std::string() : parsed.err().message()));
    return std::move(parsed).value();
}

// A GetDICOMImportJob request as the router describes it to the fault rules. Holds the
// labels the request's span views, so it is neither copied nor moved.
struct job_request {
    std::vector<std::pair<std::string_view, std::string>> labels;
    store::fault_request req;
    job_request(std::string_view op, std::string ds, std::string job, std::string_view key)
        : labels{{"datastoreId", std::move(ds)}, {"jobId", std::move(job)}}, req{op, labels, key} {}
    job_request(const job_request&) = delete;
    job_request& operator=(const job_request&) = delete;
    operator const store::fault_request&() const { return req; }  // NOLINT(google-explicit-constructor)
};

const job_request k_any{"GetDICOMImportJob", "ds", "job", "AKIDEXAMPLE"};

// Which rule fired for each of `n` requests ("-" when none).
std::vector<std::string> fire_n(store::fault_rules& rules, int n, const store::fault_request& req = k_any) {
    std::vector<std::string> out;
    for (int i = 0; i < n; ++i) {
        const auto a = rules.fire(req);
        out.push_back(a ? a->rule_id : "-");
    }
    return out;
}

TEST_CASE("fault budgets: times N fires for the next N matches only") {
    store::fault_rules rules;
    REQUIRE(rules.add(rules_from(R"({"id":"t","error":"ThrottlingException","times":2})")).ok());
    CHECK(fire_n(rules, 4) == std::vector<std::string>{"t", "t", "-", "-"});
    const auto listed = rules.list();
    REQUIRE(listed.size() == 1);
    CHECK(listed[0].fired == 2);
    CHECK(listed[0].times == std::optional<std::uint64_t>(0));
}

TEST_CASE("fault budgets: after N lets N matches through, then fires (with times)") {
    store::fault_rules rules;
    REQUIRE(rules.add(rules_from(R"({"id":"a","error":"InternalServerException","after":2,"times":1})")).ok());
    CHECK(fire_n(rules, 4) == std::vector<std::string>{"-", "-", "a", "-"});
}

TEST_CASE("fault budgets: the first rule that matches and has budget fires") {
    store::fault_rules rules;
    REQUIRE(rules.add(rules_from(R"([{"id":"first","error":"ConflictException","times":1},
                                     {"id":"second","error":"InternalServerException"}])"))
                .ok());
    CHECK(fire_n(rules, 3) == std::vector<std::string>{"first", "second", "second"});
    const auto a = rules.fire(k_any);
    REQUIRE(a.has_value());
    REQUIRE(a->error.has_value());
    CHECK(a->error->code() == api::error_code::internal_server);
}

TEST_CASE("fault budgets: a rule still counting down `after` lets a later rule fire") {
    store::fault_rules rules;
    REQUIRE(rules.add(rules_from(R"([{"id":"late","error":"ConflictException","after":1},
                                     {"id":"always","delayMs":5}])"))
                .ok());
    CHECK(fire_n(rules, 3) == std::vector<std::string>{"always", "late", "late"});
}

TEST_CASE("fault budgets: probability with a seed repeats exactly; 0 never, 1 always") {
    const auto rule = R"({"id":"p","error":"InternalServerException","probability":0.3,"seed":7})";
    store::fault_rules one, two;
    REQUIRE(one.add(rules_from(rule)).ok());
    REQUIRE(two.add(rules_from(rule)).ok());
    const auto a = fire_n(one, 200), b = fire_n(two, 200);
    CHECK(a == b);
    const auto fired = std::count(a.begin(), a.end(), "p");
    CHECK(fired > 30);  // 60 expected
    CHECK(fired < 90);
    // Replacing the rules (as reset does) restarts the seeded draws.
    one.replace(rules_from(rule));
    CHECK(fire_n(one, 200) == a);

    store::fault_rules never, always;
    REQUIRE(never.add(rules_from(R"({"error":"ConflictException","probability":0})")).ok());
    REQUIRE(always.add(rules_from(R"({"error":"ConflictException","probability":1})")).ok());
    const auto none = fire_n(never, 50);
    CHECK(std::count(none.begin(), none.end(), "-") == 50);
    const auto all = fire_n(always, 50);
    CHECK(std::count(all.begin(), all.end(), "-") == 0);
}

TEST_CASE("fault matching: operation, datastoreId, jobId and accessKeyId narrow the match") {
    store::fault_rules rules;
    REQUIRE(rules.add(rules_from(R"({"id":"k","accessKeyId":"AKIDCI","jobId":"job","error":"AccessDeniedException"})")).ok());
    CHECK(fire_n(rules, 1, job_request{"GetDICOMImportJob", "ds", "job", "AKIDOTHER"}) == std::vector<std::string>{"-"});
    CHECK(fire_n(rules, 1, job_request{"GetDICOMImportJob", "ds", "other", "AKIDCI"}) == std::vector<std::string>{"-"});
    CHECK(fire_n(rules, 1, job_request{"GetDICOMImportJob", "ds", "job", ""}) == std::vector<std::string>{"-"});
    CHECK(fire_n(rules, 1, job_request{"GetDICOMImportJob", "ds", "job", "AKIDCI"}) == std::vector<std::string>{"k"});
    rules.clear();
    REQUIRE(rules.add(rules_from(R"({"id":"d","datastoreId":"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb","delayMs":1})")).ok());
    CHECK(fire_n(rules, 1) == std::vector<std::string>{"-"});
    CHECK(fire_n(rules, 1, job_request{"GetDICOMImportJob", "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb", "x", ""}) ==
          std::vector<std::string>{"d"});
}

TEST_CASE("fault actions: error with message and Retry-After, delay, dropped connection") {
    store::fault_rules rules;
    REQUIRE(rules.add(rules_from(R"([
        {"id":"thr","jobId":"a","error":"ThrottlingException","message":"Rate exceeded","retryAfter":3,"delayMs":20},
        {"id":"drop","jobId":"b","dropConnection":true}])"))
                .ok());
    const auto thr = rules.fire(job_request{"GetDICOMImportJob", "ds", "a", ""});
    REQUIRE(thr.has_value());
    REQUIRE(thr->error.has_value());
    CHECK(thr->error->code() == api::error_code::throttling);
    CHECK(thr->error->message() == "Rate exceeded");
    CHECK(thr->retry_after == std::optional<std::uint32_t>(3));
    CHECK(thr->delay_millis == 20);
    CHECK_FALSE(thr->drop_connection);
    const auto drop = rules.fire(job_request{"GetDICOMImportJob", "ds", "b", ""});
    REQUIRE(drop.has_value());
    CHECK(drop->drop_connection);
    CHECK_FALSE(drop->error.has_value());
}

TEST_CASE("fault ids: assigned when absent, refused when taken (nothing added), removable") {
    store::fault_rules rules;
    auto added = rules.add(rules_from(R"([{"delayMs":1},{"id":"mine","delayMs":1},{"delayMs":1}])"));
    REQUIRE(added.ok());
    CHECK(added.value()[0].id == "fault-1");
    CHECK(added.value()[1].id == "mine");
    CHECK(added.value()[2].id == "fault-2");
    const auto clash = rules.add(rules_from(R"([{"id":"new","delayMs":1},{"id":"mine","delayMs":1}])"));
    REQUIRE_FALSE(clash.ok());
    CHECK(clash.err().code() == api::error_code::validation);
    CHECK(clash.err().message().find("mine") != std::string::npos);
    CHECK(rules.size() == 3);
    CHECK(rules.remove("mine"));
    CHECK_FALSE(rules.remove("mine"));
    CHECK(rules.size() == 2);
    // An explicit "fault-N" id is not handed out again.
    REQUIRE(rules.add(rules_from(R"({"id":"fault-3","delayMs":1})")).ok());
    auto next = rules.add(rules_from(R"({"delayMs":1})"));
    REQUIRE(next.ok());
    CHECK(next.value()[0].id == "fault-4");
}

TEST_CASE("fault rule parsing: each wrong member is refused with its place and reason") {
    struct bad {
        const char* json;
        const char* place;
        const char* reason;
    };
    const bad cases[] = {
        {R"({"jobId":"x"})", "/", "a fault needs an action"},
        {R"({"error":"NoSuchError"})", "/error", "is not an error of the API"},
        {R"({"error":"ThrottlingException","dropConnection":true})", "/dropConnection", "carries no error"},
        {R"({"error":"ConflictException","retryAfter":1})", "/retryAfter", "goes only with"},
        {R"({"delayMs":600001})", "/delayMs", "at most 600000"},
        {R"({"delayMs":1,"probability":1.5})", "/probability", "from 0 to 1"},
        {R"({"delayMs":1,"seed":4})", "/seed", "goes only with"},
        {R"({"delayMs":1,"times":-1})", "/times", "whole number"},
        {R"({"delayMs":1,"operation":"ListThings"})", "/operation", "not an operation"},
        {R"({"delayMs":1,"operation":"ListDatastores","jobId":"x"})", "/jobId", "ListDatastores has no label jobId"},
        {R"({"delayMs":1,"resourceArn":"arn:aws:s3:::x"})", "/resourceArn", "not a valid Arn"},
        {R"({"delayMs":1,"jobId":"UPPER"})", "/jobId", "not a valid"},
        {R"({"delayMs":1,"id":"has space"})", "/id", "1 to 64 characters"},
        {R"({"delayMs":1,"colour":"red"})", "/colour", "unknown member"},
        {R"([{"delayMs":1},{"error":7}])", "/1/error", "must be a string"},
        {R"({"faults":[{"delayMs":"5"}]})", "/faults/0/delayMs", "whole number"},
    };
    for (const auto& c : cases) {
        CAPTURE(c.json);
        const auto r = store::parse_fault_rules(c.json, "(body)");
        REQUIRE_FALSE(r.ok());
        CHECK(r.err().code() == api::error_code::validation);
        CHECK(r.err().message().find(std::string("fixture (body): ") + c.place + ": ") == 0);
        CHECK(r.err().message().find(c.reason) != std::string::npos);
    }
}

// --- throttle ------------------------------------------------------------------------------

TEST_CASE("throttle policy text: off, aws, RATE and RATE:BURST; anything else refused") {
    CHECK(server::parse_throttle_policy("off")->mode == server::throttle_policy::kind::off);
    CHECK(server::parse_throttle_policy("aws")->mode == server::throttle_policy::kind::aws);
    const auto fixed = server::parse_throttle_policy("2:4");
    REQUIRE(fixed.has_value());
    CHECK(fixed->mode == server::throttle_policy::kind::fixed);
    CHECK(fixed->rate == 2.0);
    CHECK(fixed->burst == 4.0);
    CHECK(server::parse_throttle_policy("0.5")->burst == 1.0);  // burst defaults to the rate, at least 1
    CHECK(server::parse_throttle_policy("10")->burst == 10.0);
    for (const char* bad : {"", "0", "-1", "x", "2:", "2:0", "2:x", "AWS", "1e10", "2:4:6"}) {
        CAPTURE(bad);
        CHECK_FALSE(server::parse_throttle_policy(bad).has_value());
    }
}

int admitted(server::throttle& t, int tries, std::string_view caller = "AKID", std::string_view op = "GetDICOMImportJob") {
    int n = 0;
    for (int i = 0; i < tries; ++i) n += t.admit(*api::find_operation(op), caller) ? 1 : 0;
    return n;
}

TEST_CASE("throttle 2:4: a burst of 4, then 2 per second, measured on the injected clock") {
    api::manual_clock clock(1'000'000);
    server::throttle t(*server::parse_throttle_policy("2:4"), clock);
    CHECK(admitted(t, 10) == 4);
    clock.advance(499);
    CHECK(admitted(t, 10) == 0);
    clock.advance(1);
    CHECK(admitted(t, 10) == 1);
    clock.advance(60'000);  // refills to the burst, no further
    CHECK(admitted(t, 10) == 4);
    // Buckets are per caller and per operation.
    CHECK(admitted(t, 10, "AKIDOTHER") == 4);
    CHECK(admitted(t, 10, "AKID", "ListDICOMImportJobs") == 4);
    // clear (reset) refills every bucket.
    CHECK(admitted(t, 1) == 0);
    t.clear();
    CHECK(admitted(t, 10) == 4);
}

TEST_CASE("throttle aws: GetDICOMImportJob 25 per second with a burst of 50") {
    api::manual_clock clock(0);
    server::throttle t(*server::parse_throttle_policy("aws"), clock);
    CHECK(admitted(t, 100) == 50);
    clock.advance(40);  // 1/25 s
    CHECK(admitted(t, 100) == 1);
    clock.advance(1000);
    CHECK(admitted(t, 100) == 25);
    // Each operation has its own documented quota: CreateDatastore 0.085/s, burst 1.
    CHECK(admitted(t, 100, "AKID", "CreateDatastore") == 1);
    clock.advance(11'700);  // just under 1/0.085 s
    CHECK(admitted(t, 100, "AKID", "CreateDatastore") == 0);
    clock.advance(100);
    CHECK(admitted(t, 100, "AKID", "CreateDatastore") == 1);
}

TEST_CASE("throttle off admits everything") {
    api::manual_clock clock(0);
    server::throttle t(server::throttle_policy{}, clock);
    CHECK_FALSE(t.enabled());
    CHECK(admitted(t, 1000) == 1000);
}

// --- request journal -----------------------------------------------------------------------

server::journal_entry entry(std::string job, unsigned status, api::epoch_millis time) {
    server::journal_entry e;
    e.time = time;
    e.operation = "GetDICOMImportJob";
    e.labels = {{"datastoreId", "ds"}, {"jobId", std::move(job)}};
    e.status = status;
    return e;
}

TEST_CASE("journal: a ring of its capacity keeps the newest entries, numbered in arrival order") {
    server::request_journal j(3);
    for (int i = 0; i < 5; ++i) j.record(entry("j" + std::to_string(i), 200, i));
    const auto all = j.query({});
    REQUIRE(all.size() == 3);
    CHECK(all[0].labels[1].second == "j2");
    CHECK(all[0].sequence == 3);
    CHECK(all[2].labels[1].second == "j4");
    CHECK(all[2].sequence == 5);
    j.clear();
    CHECK(j.query({}).empty());
    j.record(entry("after", 200, 9));
    CHECK(j.query({}).size() == 1);
}

TEST_CASE("journal: once full, each entry takes the oldest slot and hands the replaced entry back") {
    server::request_journal j(4);
    server::journal_entry scratch;
    for (int i = 1; i <= 10; ++i) {
        scratch = entry("j" + std::to_string(i), 200, i);
        scratch.request.head = "GET /" + std::to_string(i) + " HTTP/1.1";
        j.record(scratch);
        if (i > 4) {
            // What the caller gets back is the entry its one replaced: its strings to build in.
            CHECK(scratch.labels[1].second == "j" + std::to_string(i - 4));
            CHECK(scratch.request.head == "GET /" + std::to_string(i - 4) + " HTTP/1.1");
        } else {
            CHECK(scratch.labels.empty());
        }
    }
    const auto all = j.query({});
    REQUIRE(all.size() == 4);
    for (std::size_t k = 0; k < 4; ++k) {
        CHECK(all[k].sequence == 7 + k);  // oldest first, across the ring's wrap
        CHECK(all[k].labels[1].second == "j" + std::to_string(7 + k));
        CHECK(all[k].request.head.empty());  // a listing carries no request or response
    }
    server::journal_filter after;
    after.after = 8;
    REQUIRE(j.query(after).size() == 2);
    CHECK(j.query(after)[0].sequence == 9);
    CHECK(j.query({}, 1).at(0).sequence == 10);
    REQUIRE(j.find(7));
    CHECK(j.find(7)->request.head == "GET /7 HTTP/1.1");
    CHECK_FALSE(j.find(6));
    CHECK_FALSE(j.find(11));
    // Clearing part of a wrapped ring keeps the rest in order, and recording goes on after it.
    server::journal_filter eight;
    eight.labels.emplace_back("jobId", "j8");
    j.clear(eight);
    j.record(entry("j11", 200, 11));
    const auto rest = j.query({});
    REQUIRE(rest.size() == 4);
    CHECK(rest[0].sequence == 7);
    CHECK(rest[1].sequence == 9);
    CHECK(rest[2].sequence == 10);
    CHECK(rest[3].sequence == 11);
    j.record(entry("j12", 200, 12));
    CHECK(j.query({}).front().sequence == 9);  // full again: the oldest (7) went
}

TEST_CASE("journal: filters by operation, datastore, job, status and since, combined") {
    server::request_journal j(100);
    j.record(entry("a", 200, 1000));
    j.record(entry("a", 429, 2000));
    j.record(entry("b", 200, 3000));
    auto other = entry("a", 200, 4000);
    other.labels[0].second = "other";
    other.operation = "";
    j.record(other);
    server::journal_filter f;
    f.labels.emplace_back("jobId", "a");
    CHECK(j.query(f).size() == 3);
    f.status = 200;
    CHECK(j.query(f).size() == 2);
    f.labels.emplace_back("datastoreId", "ds");
    CHECK(j.query(f).size() == 1);
    server::journal_filter since;
    since.since = 3000;
    CHECK(j.query(since).size() == 2);
    server::journal_filter op;
    op.operation = "GetDICOMImportJob";
    CHECK(j.query(op).size() == 3);
}

TEST_CASE("journal: capacity 0 is off") {
    server::request_journal j(0);
    CHECK_FALSE(j.enabled());
    j.record(entry("a", 200, 1));
    CHECK(j.query({}).empty());
}

// --- SigV4 ---------------------------------------------------------------------------------

TEST_CASE("sigv4: the access key id comes from the Credential of an AWS4-HMAC-SHA256 header") {
    CHECK(server::access_key_id("AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20261129/us-east-1/medical-imaging/"
                                "aws4_request, SignedHeaders=host;x-amz-date, Signature=abc") == "AKIAIOSFODNN7EXAMPLE");
    CHECK(server::access_key_id("AWS4-HMAC-SHA256 SignedHeaders=host, Credential=ASIA123/2026/x/y/aws4_request") ==
          "ASIA123");
    CHECK(server::access_key_id("AWS4-HMAC-SHA256 Credential=test, SignedHeaders=host") == "test");
    CHECK(server::access_key_id("").empty());
    CHECK(server::access_key_id("Bearer token").empty());
    CHECK(server::access_key_id("AWS4-HMAC-SHA256 SignedHeaders=host").empty());
    CHECK(server::access_key_id("AWS4-HMAC-SHA256 Credential=/2026/x").empty());
    CHECK(server::access_key_id("AWS4-HMAC-SHA256 Credential=AK\"ID/2026").empty());
    CHECK(server::access_key_id("AWS4-HMAC-SHA256 Credential=" + std::string(129, 'A') + "/x").empty());
}

}  // namespace
}  // namespace hil::test
