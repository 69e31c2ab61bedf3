#include "server/throttle.hpp"

#include <algorithm>
#include <charconv>


namespace hil::server {
namespace {

std::optional<double> parse_positive(std::string_view text) {
    double v = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc() || end != text.data() + text.size() || !(v > 0) || v > 1e9) return std::nullopt;
    return v;
}

// More callers than any test suite has; past it the oldest state is dropped so a client
// inventing access keys cannot grow memory without limit.
constexpr std::size_t k_max_buckets = 100'000;

}  // namespace

std::optional<throttle_policy> parse_throttle_policy(std::string_view text) {
    if (text == "off") return throttle_policy{};
    if (text == "aws") return throttle_policy{throttle_policy::kind::aws, 0, 0};
    const auto colon = text.find(':');
    const auto rate = parse_positive(text.substr(0, colon));
    if (!rate) return std::nullopt;
    double burst = *rate;
    if (colon != std::string_view::npos) {
        const auto b = parse_positive(text.substr(colon + 1));
        if (!b || *b < 1) return std::nullopt;
        burst = *b;
    }
    return throttle_policy{throttle_policy::kind::fixed, *rate, std::max(1.0, burst)};
}

bool throttle::admit(const api::operation& op, std::string_view caller) {
    if (!enabled()) return true;
    double rate = policy_.rate;
    double burst = policy_.burst;
    if (policy_.mode == throttle_policy::kind::aws) {
        rate = op.limits.rate;
        burst = op.limits.burst;
    }
    const std::string_view operation = op.name;
    const auto now = clock_.now();
    std::lock_guard lock(mutex_);
    std::string key;
    key.reserve(operation.size() + 1 + caller.size());
    key.append(operation).push_back('\0');
    key.append(caller);
    auto it = buckets_.find(key);
    if (it == buckets_.end()) {
        if (buckets_.size() >= k_max_buckets) buckets_.clear();
        it = buckets_.emplace(std::move(key), bucket{burst, now}).first;
    }
    auto& b = it->second;
    if (now > b.updated) {
        b.tokens = std::min(burst, b.tokens + static_cast<double>(now - b.updated) * rate / 1000.0);
        b.updated = now;
    }
    if (b.tokens < 1.0) return false;
    b.tokens -= 1.0;
    return true;
}

void throttle::clear() {
    std::lock_guard lock(mutex_);
    buckets_.clear();
}

}  // namespace hil::server
