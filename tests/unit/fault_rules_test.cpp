#include "store/fault_rules.hpp"

#include <doctest/doctest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "api/operations.hpp"
#include "test_support.hpp"

namespace {

using hil::api::error_code;
using hil::store::fault_request;
using hil::store::fault_rule;

const std::string k_op(hil::api::ops::get_dicom_import_job.name);
const std::string k_ds_a(hil::test::k_datastore_a);
const std::string k_ds_b(hil::test::k_datastore_b);

fault_rule rule(error_code code, std::optional<std::uint64_t> times = std::nullopt, std::string message = {}) {
    fault_rule r;
    r.error = code;
    r.times = times;
    r.message = std::move(message);
    return r;
}

void add(hil::store::fault_rules& rules, std::vector<fault_rule> more) {
    const auto added = rules.add(std::move(more));
    REQUIRE_MESSAGE(added.ok(), (added.ok() ? "" : added.err().message()));
}

// The error code fired for a request, or nothing.
// GetDICOMImportJob's labels, as the router passes them.
std::vector<std::pair<std::string_view, std::string>> job_labels(std::string_view ds, std::string_view job) {
    return {{"datastoreId", std::string(ds)}, {"jobId", std::string(job)}};
}

std::optional<error_code> fire(hil::store::fault_rules& rules, std::string_view ds = hil::test::k_datastore_a,
                               std::string_view job = "abc123",
                               std::string_view op = hil::api::ops::get_dicom_import_job.name) {
    const auto labels = job_labels(ds, job);
    const auto action = rules.fire(fault_request{op, labels, ""});
    if (!action || !action->error) return std::nullopt;
    return action->error->code();
}

const auto sample_labels = job_labels(hil::test::k_datastore_a, "abc123");

}  // namespace

TEST_CASE("no rules: nothing fires") {
    hil::store::fault_rules rules;
    CHECK(rules.size() == 0);
    CHECK_FALSE(rules.fire(fault_request{k_op, sample_labels, ""}).has_value());
}

TEST_CASE("rules are tried in order; a spent rule makes way for the next") {
    hil::store::fault_rules rules;
    add(rules, {rule(error_code::throttling, 2), rule(error_code::internal_server, 1)});
    CHECK(rules.size() == 2);
    CHECK(fire(rules) == error_code::throttling);
    CHECK(fire(rules) == error_code::throttling);
    CHECK(fire(rules) == error_code::internal_server);
    CHECK_FALSE(fire(rules).has_value());
    CHECK_FALSE(fire(rules).has_value());
}

TEST_CASE("a rule without times fires every time") {
    hil::store::fault_rules rules;
    add(rules, {rule(error_code::conflict), rule(error_code::throttling)});
    for (int i = 0; i < 100; ++i) CHECK(fire(rules) == error_code::conflict);
}

TEST_CASE("each present match member must agree; absent ones match anything") {
    hil::store::fault_rules rules;
    auto by_ds = rule(error_code::access_denied);
    by_ds.labels.emplace_back("datastoreId", k_ds_b);
    auto by_job = rule(error_code::conflict);
    by_job.labels.emplace_back("jobId", "special");
    auto by_op = rule(error_code::throttling);
    by_op.operation = "SomeOtherOperation";
    auto both = rule(error_code::internal_server);
    both.labels.emplace_back("datastoreId", k_ds_a);
    both.labels.emplace_back("jobId", "both");
    add(rules, {by_ds, by_job, by_op, both});

    CHECK(fire(rules, k_ds_b, "anything") == error_code::access_denied);
    CHECK(fire(rules, k_ds_a, "special") == error_code::conflict);
    CHECK(fire(rules, k_ds_b, "special") == error_code::access_denied);  // earlier rule wins
    CHECK(fire(rules, k_ds_a, "both") == error_code::internal_server);
    CHECK_FALSE(fire(rules, std::string(32, 'f'), "both").has_value());
    CHECK_FALSE(fire(rules, k_ds_a, "abc123").has_value());
    CHECK(fire(rules, k_ds_a, "abc123", "SomeOtherOperation") == error_code::throttling);
    // Matching is exact: no prefixes, no case folding.
    CHECK_FALSE(fire(rules, k_ds_a, "specia").has_value());
    CHECK_FALSE(fire(rules, k_ds_a, "SPECIAL").has_value());
}

TEST_CASE("a rule that does not match keeps its budget") {
    hil::store::fault_rules rules;
    auto r = rule(error_code::throttling, 1);
    r.labels.emplace_back("jobId", "target");
    add(rules, {r});
    for (int i = 0; i < 10; ++i) CHECK_FALSE(fire(rules, k_ds_a, "bystander").has_value());
    CHECK(fire(rules, k_ds_a, "target") == error_code::throttling);
    CHECK_FALSE(fire(rules, k_ds_a, "target").has_value());
}

TEST_CASE("the message is the rule's, or the error table's default") {
    hil::store::fault_rules rules;
    add(rules, {rule(error_code::throttling, 1), rule(error_code::throttling, 1, "custom slow down")});
    const auto first = rules.fire(fault_request{k_op, sample_labels, ""});
    REQUIRE(first.has_value());
    REQUIRE(first->error.has_value());
    CHECK(first->error->message() == "The request was denied due to throttling.");
    CHECK(first->error->info().status == 429);
    const auto second = rules.fire(fault_request{k_op, sample_labels, ""});
    REQUIRE(second.has_value());
    REQUIRE(second->error.has_value());
    CHECK(second->error->message() == "custom slow down");
}

TEST_CASE("a times budget fires exactly N times under 8 racing threads") {
    // Many small budgets spent back to back, so the threads keep meeting at the moment a
    // budget runs out, where a check-then-decrement race would fire once too often.
    constexpr std::uint64_t rules_count = 500;
    constexpr std::uint64_t budget = 5;
    constexpr int threads = 8;
    constexpr int calls_each = 500;  // 4000 calls for 2500 firings
    hil::store::fault_rules rules;
    add(rules, std::vector<fault_rule>(rules_count, rule(error_code::throttling, budget)));
    std::atomic<std::uint64_t> fired{0};
    std::atomic<std::uint64_t> passed{0};
    std::atomic<bool> go{false};
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; ++t) {
        pool.emplace_back([&] {
            while (!go.load()) std::this_thread::yield();
            for (int i = 0; i < calls_each; ++i) {
                if (rules.fire(fault_request{k_op, sample_labels, ""})) {
                    fired.fetch_add(1);
                } else {
                    passed.fetch_add(1);
                }
            }
        });
    }
    go.store(true);
    for (auto& th : pool) th.join();
    CHECK(fired.load() == rules_count * budget);
    CHECK(passed.load() == threads * calls_each - rules_count * budget);
}

TEST_CASE("clear removes every rule") {
    hil::store::fault_rules rules;
    add(rules, {rule(error_code::throttling), rule(error_code::conflict, 3)});
    REQUIRE(rules.size() == 2);
    rules.clear();
    CHECK(rules.size() == 0);
    CHECK_FALSE(fire(rules).has_value());
    add(rules, {rule(error_code::access_denied, 1)});
    CHECK(fire(rules) == error_code::access_denied);
}
