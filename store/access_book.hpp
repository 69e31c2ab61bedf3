// access_book: the callers the emulator knows (credentials) and what they may do (access
// policies), as fixtures and the control API give them.
//
// Readers take an immutable snapshot, so checking a request's signature and policies never
// waits for a writer and never sees half an update. Like fault rules, the book lives in
// memory: fixtures seed it at start-up (and POST /_emulator/reset returns to that seed).
//
// Policies follow IAM's evaluation for identity-based policies: the statements that apply to
// a principal are those whose principal is its ARN or matches it by wildcard ("*" matches
// every principal). A principal no statement applies to may do anything (the emulator's
// default); otherwise an explicit Deny wins, then an Allow, and what no statement allows is
// denied.
// Thread safety: safe from any thread.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "api/result.hpp"
#include "store/model.hpp"

namespace hil::store {

enum class access_decision {
    allowed,
    implicit_deny,  // statements apply to the principal, none allows this
    explicit_deny,  // a Deny statement matches
};

// "*" matches any run of characters, "?" any one; `fold_case` compares ASCII letters without case.
bool wildcard_match(std::string_view pattern, std::string_view text, bool fold_case = false);

struct access_snapshot {
    struct key_hash {
        using is_transparent = void;
        std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
    };
    std::unordered_map<std::string, credential, key_hash, std::equal_to<>> credentials;  // by access key id
    std::vector<access_policy> policies;

    const credential* find(std::string_view access_key_id) const;
    // What the policies say of `principal` doing `action` ("medical-imaging:GetDatastore") on `resource` (an ARN or "*").
    access_decision decide(std::string_view principal, std::string_view action, std::string_view resource) const;
};

class access_book {
public:
    access_book();

    // The book as it is now; keep it for as long as a request needs it.
    std::shared_ptr<const access_snapshot> snapshot() const;
    // False while the book holds no credential and no policy: the common case skips the snapshot.
    bool empty() const noexcept { return empty_.load(std::memory_order_acquire); }

    // Adds or replaces credentials by access key id.
    void put_credentials(std::vector<credential> credentials);
    bool remove_credential(std::string_view access_key_id);
    // Appends policies, giving "policy-N" ids to those without one. Error: ValidationException
    // when an id is already taken (then nothing is added). Returns the policies as added.
    api::result<std::vector<access_policy>> add_policies(std::vector<access_policy> policies);
    bool remove_policy(std::string_view id);
    // Replaces everything at once (reset, fixtures with mode=replace), giving ids to policies
    // without one. REQUIRES: the given policy ids are unique (fixtures check them first).
    void replace(std::vector<credential> credentials, std::vector<access_policy> policies);
    void clear_credentials();
    void clear_policies();

    std::vector<credential> credentials() const;  // by access key id
    std::vector<access_policy> policies() const;  // in order

private:
    void publish(std::shared_ptr<const access_snapshot> next);  // REQUIRES: write_mutex_ held
    // Gives "policy-N" ids to the policies of `batch` without one, taken by neither `batch` nor
    // `kept`. REQUIRES: write_mutex_ held.
    void name_unnamed(std::vector<access_policy>& batch, const std::vector<access_policy>& kept);

    std::mutex write_mutex_;  // one writer at a time; readers never take it
    mutable std::mutex read_mutex_;  // guards current_ (held only to copy the pointer)
    std::shared_ptr<const access_snapshot> current_;
    std::uint64_t next_policy_id_ = 1;  // guarded by write_mutex_
    std::atomic<bool> empty_{true};
};

}  // namespace hil::store
