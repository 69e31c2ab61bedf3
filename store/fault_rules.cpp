#include "store/fault_rules.hpp"

#include <algorithm>

namespace hil::store {
namespace {

bool agrees(const std::optional<std::string>& wanted, std::string_view actual) {
    return !wanted || *wanted == actual;
}

bool labels_agree(const std::vector<std::pair<std::string, std::string>>& wanted,
                  std::span<const std::pair<std::string_view, std::string>> actual) {
    for (const auto& w : wanted) {
        const auto it = std::find_if(actual.begin(), actual.end(), [&](const auto& a) { return a.first == w.first; });
        if (it == actual.end() || it->second != w.second) return false;
    }
    return true;
}

}  // namespace

fault_rules::entry fault_rules::make_entry(fault_rule rule) {
    const auto seed = rule.seed ? *rule.seed : std::uint64_t{std::random_device{}()} << 32 ^ std::random_device{}();
    return entry{std::move(rule), std::mt19937_64(seed)};
}

api::result<std::vector<fault_rule>> fault_rules::add(std::vector<fault_rule> rules) {
    std::lock_guard lock(mutex_);
    std::vector<std::string> taken;
    for (const auto& e : entries_) taken.push_back(e.rule.id);
    for (const auto& r : rules) {
        if (r.id.empty()) continue;
        if (std::find(taken.begin(), taken.end(), r.id) != taken.end()) {
            return api::error::validation("fault rule id '" + r.id + "' is already in use");
        }
        taken.push_back(r.id);
    }
    for (auto& r : rules) {
        while (r.id.empty()) {
            auto candidate = "fault-" + std::to_string(next_id_++);
            if (std::find(taken.begin(), taken.end(), candidate) == taken.end()) r.id = std::move(candidate);
        }
        taken.push_back(r.id);
    }
    for (const auto& r : rules) entries_.push_back(make_entry(r));
    empty_.store(entries_.empty(), std::memory_order_release);
    return rules;
}

void fault_rules::replace(std::vector<fault_rule> rules) {
    {
        std::lock_guard lock(mutex_);
        entries_.clear();
        empty_.store(true, std::memory_order_release);
    }
    (void)add(std::move(rules));
}

bool fault_rules::remove(std::string_view id) {
    std::lock_guard lock(mutex_);
    const auto it = std::find_if(entries_.begin(), entries_.end(), [&](const entry& e) { return e.rule.id == id; });
    if (it == entries_.end()) return false;
    entries_.erase(it);
    empty_.store(entries_.empty(), std::memory_order_release);
    return true;
}

bool fault_rules::replace_one(std::string_view id, fault_rule rule) {
    std::lock_guard lock(mutex_);
    const auto it = std::find_if(entries_.begin(), entries_.end(), [&](const entry& e) { return e.rule.id == id; });
    if (it == entries_.end()) return false;
    *it = make_entry(std::move(rule));
    return true;
}

void fault_rules::replace_where(const std::function<bool(const fault_rule&)>& belongs, std::vector<fault_rule> restored) {
    std::lock_guard lock(mutex_);
    std::erase_if(entries_, [&](const entry& e) { return belongs(e.rule); });
    for (auto& r : restored) {
        const bool taken = std::any_of(entries_.begin(), entries_.end(), [&](const entry& e) { return e.rule.id == r.id; });
        if (!taken) entries_.push_back(make_entry(std::move(r)));
    }
    empty_.store(entries_.empty(), std::memory_order_release);
}

void fault_rules::clear() {
    std::lock_guard lock(mutex_);
    entries_.clear();
    empty_.store(true, std::memory_order_release);
}

std::vector<fault_rule> fault_rules::list() const {
    std::lock_guard lock(mutex_);
    std::vector<fault_rule> out;
    out.reserve(entries_.size());
    for (const auto& e : entries_) out.push_back(e.rule);
    return out;
}

std::size_t fault_rules::size() const {
    std::lock_guard lock(mutex_);
    return entries_.size();
}

std::optional<fault_action> fault_rules::fire(const fault_request& request) {
    if (empty_.load(std::memory_order_acquire)) return std::nullopt;
    std::lock_guard lock(mutex_);
    for (auto& e : entries_) {
        auto& rule = e.rule;
        if (rule.times && *rule.times == 0) continue;
        if (!agrees(rule.operation, request.operation) || !labels_agree(rule.labels, request.labels) ||
            !agrees(rule.access_key_id, request.access_key_id) || !agrees(rule.account_id, request.account_id) ||
            !agrees(rule.region, request.region)) {
            continue;
        }
        if (rule.after > 0) {
            --rule.after;
            continue;
        }
        if (rule.probability) {
            const double draw = std::uniform_real_distribution<double>(0.0, 1.0)(e.draws);
            if (draw >= *rule.probability) continue;
        }
        if (rule.times) --*rule.times;
        ++rule.fired;
        fault_action action;
        action.rule_id = rule.id;
        if (rule.error) action.error = api::error::of(*rule.error, rule.message);
        action.retry_after = rule.retry_after;
        action.delay_millis = rule.delay_millis;
        action.drop_connection = rule.drop_connection;
        return action;
    }
    return std::nullopt;
}

}  // namespace hil::store
