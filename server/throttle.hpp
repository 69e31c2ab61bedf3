// throttle: token buckets per (operation, caller), as AWS throttles per account and action.
// Thread safety: safe from any thread.
#pragma once

#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "api/clock.hpp"
#include "api/operations.hpp"

namespace hil::server {

struct throttle_policy {
    enum class kind { off, aws, fixed } mode = kind::off;
    double rate = 0;   // tokens per second (fixed)
    double burst = 0;  // bucket size (fixed)
};

// "off", "aws" (each operation's documented quota), or "RATE[:BURST]" (BURST defaults to
// RATE). Nothing when the text is none of those.
std::optional<throttle_policy> parse_throttle_policy(std::string_view text);

class throttle {
public:
    throttle(throttle_policy policy, const api::clock& clock) : policy_(policy), clock_(clock) {}

    bool enabled() const noexcept { return policy_.mode != throttle_policy::kind::off; }
    // Whether a call of `op` by `caller` may go ahead now; takes a token if so.
    bool admit(const api::operation& op, std::string_view caller);
    // Refills every bucket (reset).
    void clear();

private:
    struct bucket {
        double tokens;
        api::epoch_millis updated;
    };

    const throttle_policy policy_;
    const api::clock& clock_;
    std::mutex mutex_;  // guards buckets_
    std::map<std::string, bucket, std::less<>> buckets_;  // key: operation, NUL, caller
};

}  // namespace hil::server
