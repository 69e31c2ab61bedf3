#include "store/access_book.hpp"

#include <algorithm>

namespace hil::store {
namespace {

char fold(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool any_matches(const std::vector<std::string>& patterns, std::string_view text, bool fold_case) {
    return std::any_of(patterns.begin(), patterns.end(), [&](const std::string& p) { return wildcard_match(p, text, fold_case); });
}

void insert_credentials(access_snapshot& into, std::vector<credential> credentials) {
    for (auto& c : credentials) {
        auto key = c.access_key_id;
        into.credentials.insert_or_assign(std::move(key), std::move(c));
    }
}

bool has_policy(const std::vector<access_policy>& policies, std::string_view id) {
    return std::any_of(policies.begin(), policies.end(), [&](const access_policy& p) { return p.id == id; });
}

}  // namespace

// The greedy two-pointer match: on a mismatch, the last '*' takes one more character. Linear
// in practice and never worse than |pattern| * |text|, with no recursion.
bool wildcard_match(std::string_view pattern, std::string_view text, bool fold_case) {
    std::size_t p = 0, t = 0;
    std::size_t star = std::string_view::npos, star_text = 0;
    while (t < text.size()) {
        if (p < pattern.size() && pattern[p] == '*') {
            star = p++;
            star_text = t;
        } else if (p < pattern.size() &&
                   (pattern[p] == '?' || (fold_case ? fold(pattern[p]) == fold(text[t]) : pattern[p] == text[t]))) {
            ++p;
            ++t;
        } else if (star != std::string_view::npos) {
            p = star + 1;
            t = ++star_text;
        } else {
            return false;
        }
    }
    while (p < pattern.size() && pattern[p] == '*') ++p;
    return p == pattern.size();
}

const credential* access_snapshot::find(std::string_view access_key_id) const {
    const auto it = credentials.find(access_key_id);
    return it == credentials.end() ? nullptr : &it->second;
}

access_decision access_snapshot::decide(std::string_view principal, std::string_view action,
                                        std::string_view resource) const {
    bool applies = false, allowed = false;
    for (const auto& p : policies) {
        if (!wildcard_match(p.principal, principal)) continue;
        applies = true;
        if (!any_matches(p.actions, action, true) || !any_matches(p.resources, resource, false)) continue;
        if (!p.allow) return access_decision::explicit_deny;
        allowed = true;
    }
    return !applies || allowed ? access_decision::allowed : access_decision::implicit_deny;
}

access_book::access_book() : current_(std::make_shared<const access_snapshot>()) {}

std::shared_ptr<const access_snapshot> access_book::snapshot() const {
    std::lock_guard lock(read_mutex_);
    return current_;
}

void access_book::publish(std::shared_ptr<const access_snapshot> next) {
    empty_.store(next->credentials.empty() && next->policies.empty(), std::memory_order_release);
    std::lock_guard lock(read_mutex_);
    current_ = std::move(next);
}

void access_book::put_credentials(std::vector<credential> credentials) {
    std::lock_guard lock(write_mutex_);
    auto next = std::make_shared<access_snapshot>(*snapshot());
    insert_credentials(*next, std::move(credentials));
    publish(std::move(next));
}

void access_book::name_unnamed(std::vector<access_policy>& batch, const std::vector<access_policy>& kept) {
    for (auto& p : batch) {
        while (p.id.empty()) {
            auto candidate = "policy-" + std::to_string(next_policy_id_++);
            if (!has_policy(kept, candidate) && !has_policy(batch, candidate)) p.id = std::move(candidate);
        }
    }
}

bool access_book::remove_credential(std::string_view access_key_id) {
    std::lock_guard lock(write_mutex_);
    auto next = std::make_shared<access_snapshot>(*snapshot());
    const auto it = next->credentials.find(access_key_id);
    if (it == next->credentials.end()) return false;
    next->credentials.erase(it);
    publish(std::move(next));
    return true;
}

api::result<std::vector<access_policy>> access_book::add_policies(std::vector<access_policy> policies) {
    std::lock_guard lock(write_mutex_);
    auto next = std::make_shared<access_snapshot>(*snapshot());
    for (std::size_t i = 0; i < policies.size(); ++i) {
        const auto& id = policies[i].id;
        if (id.empty()) continue;
        const bool repeated = std::any_of(policies.begin(), policies.begin() + static_cast<std::ptrdiff_t>(i),
                                          [&](const access_policy& p) { return p.id == id; });
        if (has_policy(next->policies, id) || repeated) return api::error::validation("policy id '" + id + "' is already in use");
    }
    name_unnamed(policies, next->policies);
    next->policies.insert(next->policies.end(), policies.begin(), policies.end());
    publish(std::move(next));
    return policies;
}

bool access_book::remove_policy(std::string_view id) {
    std::lock_guard lock(write_mutex_);
    auto next = std::make_shared<access_snapshot>(*snapshot());
    const auto it = std::find_if(next->policies.begin(), next->policies.end(), [&](const access_policy& p) { return p.id == id; });
    if (it == next->policies.end()) return false;
    next->policies.erase(it);
    publish(std::move(next));
    return true;
}

void access_book::replace(std::vector<credential> credentials, std::vector<access_policy> policies) {
    // One new snapshot, published once: no reader sees the credentials without their policies.
    auto next = std::make_shared<access_snapshot>();
    insert_credentials(*next, std::move(credentials));
    std::lock_guard lock(write_mutex_);
    name_unnamed(policies, {});
    next->policies = std::move(policies);
    publish(std::move(next));
}

void access_book::clear_credentials() {
    std::lock_guard lock(write_mutex_);
    auto next = std::make_shared<access_snapshot>(*snapshot());
    next->credentials.clear();
    publish(std::move(next));
}

void access_book::clear_policies() {
    std::lock_guard lock(write_mutex_);
    auto next = std::make_shared<access_snapshot>(*snapshot());
    next->policies.clear();
    publish(std::move(next));
}

std::vector<credential> access_book::credentials() const {
    const auto now = snapshot();
    std::vector<credential> out;
    out.reserve(now->credentials.size());
    for (const auto& [key, c] : now->credentials) out.push_back(c);
    std::sort(out.begin(), out.end(), [](const credential& a, const credential& b) { return a.access_key_id < b.access_key_id; });
    return out;
}

std::vector<access_policy> access_book::policies() const { return snapshot()->policies; }

}  // namespace hil::store
