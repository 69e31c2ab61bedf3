// fault_rules: the scripted errors a scenario asks for ("throttle the next two calls").
//
// Rules are checked in the order they were added; the first whose match members all agree
// with the request and whose budget is not spent fires, and its budget goes down by one.
// Thread safety: safe from any thread; firing a rule is atomic, so a `times: N` rule fires
// exactly N times however many requests race for it.
#pragma once

#include <atomic>
#include <mutex>
#include <optional>
#include <string_view>
#include <vector>

#include "api/api_error.hpp"
#include "store/model.hpp"

namespace hil::store {

class fault_rules {
public:
    void add(std::vector<fault_rule> rules);
    void clear();
    std::size_t size() const;

    // The error of the first matching rule with budget left, or nothing (serve normally).
    std::optional<api::error> fire(std::string_view operation, std::string_view datastore_id,
                                   std::string_view job_id);

private:
    mutable std::mutex mutex_;           // guards rules_
    std::vector<fault_rule> rules_;
    std::atomic<bool> empty_{true};      // lets the common no-rules case skip the mutex
};

}  // namespace hil::store
