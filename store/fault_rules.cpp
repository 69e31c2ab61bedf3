#include "store/fault_rules.hpp"

namespace hil::store {
namespace {

bool agrees(const std::optional<std::string>& wanted, std::string_view actual) {
    return !wanted || *wanted == actual;
}

}  // namespace

void fault_rules::add(std::vector<fault_rule> rules) {
    std::lock_guard lock(mutex_);
    for (auto& r : rules) rules_.push_back(std::move(r));
    empty_.store(rules_.empty(), std::memory_order_release);
}

void fault_rules::clear() {
    std::lock_guard lock(mutex_);
    rules_.clear();
    empty_.store(true, std::memory_order_release);
}

std::size_t fault_rules::size() const {
    std::lock_guard lock(mutex_);
    return rules_.size();
}

std::optional<api::error> fault_rules::fire(std::string_view operation, std::string_view datastore_id,
                                            std::string_view job_id) {
    if (empty_.load(std::memory_order_acquire)) return std::nullopt;
    std::lock_guard lock(mutex_);
    for (auto& rule : rules_) {
        if (rule.times && *rule.times == 0) continue;
        if (!agrees(rule.operation, operation) || !agrees(rule.datastore_id, datastore_id) ||
            !agrees(rule.job_id, job_id)) {
            continue;
        }
        if (rule.times) --*rule.times;
        return api::error::of(rule.error, rule.message);
    }
    return std::nullopt;
}

}  // namespace hil::store
