// request_journal: the last N API calls, for tests that ask "which calls were made?".
// A ring: once full, each new entry drops the oldest, so memory stays bounded.
// Thread safety: safe from any thread.
#pragma once

#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "api/clock.hpp"

namespace hil::server {

struct journal_entry {
    std::uint64_t sequence = 0;  // 1, 2, ... in arrival order; survives the ring dropping entries
    api::epoch_millis time = 0;
    std::string request_id;
    std::string method;
    std::string path;
    std::string operation;  // empty when no operation matched
    std::vector<std::pair<std::string_view, std::string>> labels;  // the operation's URI labels (names are the model's)
    std::string access_key_id;
    std::string account_id;  // the caller's namespace (as claimed, when authentication failed); empty: no operation matched
    std::string region;
    unsigned status = 0;     // 0: the connection was dropped without an answer
    std::string error_type;  // x-amzn-ErrorType, empty on success
    std::string fault_id;    // the fault rule that fired, if any
    double latency_ms = 0;
};

struct journal_filter {
    std::optional<std::string> operation;
    std::optional<std::string> account_id;
    std::optional<std::string> region;
    std::vector<std::pair<std::string, std::string>> labels;  // each must be a label of the entry, with this value
    std::optional<unsigned> status;
    std::optional<api::epoch_millis> since;  // entries at or after this time

    bool matches(const journal_entry& e) const;
};

class request_journal {
public:
    // capacity 0 turns the journal off (nothing is kept).
    explicit request_journal(std::size_t capacity) : capacity_(capacity) {}

    bool enabled() const noexcept { return capacity_ != 0; }
    std::size_t capacity() const noexcept { return capacity_; }
    void record(journal_entry entry);
    std::vector<journal_entry> query(const journal_filter& filter) const;
    // Forgets the entries `only` matches (all, by default).
    void clear(const journal_filter& only = {});

private:
    const std::size_t capacity_;
    mutable std::mutex mutex_;  // guards the members below
    std::deque<journal_entry> entries_;
    std::uint64_t next_sequence_ = 1;
};

}  // namespace hil::server
