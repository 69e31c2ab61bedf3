// fault_rules: the scripted misbehaviour a scenario asks for ("throttle the next two
// calls", "drop every third connection", "delay job X by 2 s").
//
// Rules are checked in order. A rule matches when each of its match members it has equals
// the request's (a label the request's operation does not have never matches). A matching rule first lets `after` matches through, then fires while its
// `times` budget lasts, on a `probability` share of those matches if it has one (drawn from
// its own generator, seeded by `seed` when given, so a run repeats exactly). The first rule
// that fires decides; a request no rule fires for is served normally.
// Thread safety: safe from any thread; deciding and spending a budget is one atomic step,
// so a `times: N` rule fires exactly N times however many requests race for it.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <random>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "api/api_error.hpp"
#include "api/result.hpp"
#include "store/model.hpp"

namespace hil::store {

struct fault_request {
    std::string_view operation;
    std::span<const std::pair<std::string_view, std::string>> labels;  // the operation's URI labels by name
    std::string_view access_key_id;
    std::string_view account_id{};  // the caller's namespace
    std::string_view region{};
};

// What a fired rule makes the server do.
struct fault_action {
    std::string rule_id;
    std::optional<api::error> error;
    std::optional<std::uint32_t> retry_after;  // seconds
    std::uint32_t delay_millis = 0;
    bool drop_connection = false;
};

class fault_rules {
public:
    // Appends rules, giving "fault-N" ids to those without one. Error: ValidationException
    // when an id is already taken (then nothing is added). Returns the rules as added.
    api::result<std::vector<fault_rule>> add(std::vector<fault_rule> rules);
    // Replaces every rule (reset, fixtures with mode=replace). REQUIRES: ids unique.
    void replace(std::vector<fault_rule> rules);
    bool remove(std::string_view id);
    // Puts `rule` in the place of the rule `id` (keeping the order), with `rule`'s own budget and
    // counts. False when there is no such rule. REQUIRES: rule.id == id.
    bool replace_one(std::string_view id, fault_rule rule);
    // Removes the rules `belongs` picks and appends `restored` (a namespace's reset), keeping
    // the others; a restored rule whose id is now taken by a kept rule is left out.
    void replace_where(const std::function<bool(const fault_rule&)>& belongs, std::vector<fault_rule> restored);
    void clear();

    // The rules in order, with their counts so far (fired, remaining times and after).
    std::vector<fault_rule> list() const;
    std::size_t size() const;

    // What the first rule that fires for `request` makes the server do, or nothing.
    std::optional<fault_action> fire(const fault_request& request);

private:
    struct entry {
        fault_rule rule;
        std::mt19937_64 draws;
    };
    static entry make_entry(fault_rule rule);

    mutable std::mutex mutex_;  // guards entries_ and next_id_
    std::vector<entry> entries_;
    std::uint64_t next_id_ = 1;
    std::atomic<bool> empty_{true};  // lets the common no-rules case skip the mutex
};

}  // namespace hil::store
