#include "server/request_journal.hpp"

#include <algorithm>

namespace hil::server {

void request_journal::record(journal_entry entry) {
    if (capacity_ == 0) return;
    std::lock_guard lock(mutex_);
    entry.sequence = next_sequence_++;
    if (entries_.size() == capacity_) entries_.pop_front();
    entries_.push_back(std::move(entry));
}

bool journal_filter::matches(const journal_entry& e) const {
    if (operation && e.operation != *operation) return false;
    if (account_id && e.account_id != *account_id) return false;
    if (region && e.region != *region) return false;
    const bool labels_match = std::all_of(labels.begin(), labels.end(), [&](const auto& wanted) {
        return std::any_of(e.labels.begin(), e.labels.end(),
                           [&](const auto& l) { return l.first == wanted.first && l.second == wanted.second; });
    });
    if (!labels_match) return false;
    if (status && e.status != *status) return false;
    if (after && e.sequence <= *after) return false;
    return !since || e.time >= *since;
}

std::vector<journal_entry> request_journal::query(const journal_filter& f, std::optional<std::size_t> limit) const {
    std::lock_guard lock(mutex_);
    std::vector<journal_entry> out;
    // Newest first, so a limit stops the walk early, and so does a poller's cursor (sequences
    // increase along the ring); reversed at the end.
    for (auto it = entries_.rbegin(); it != entries_.rend() && (!limit || out.size() < *limit); ++it) {
        if (f.after && it->sequence <= *f.after) break;
        if (f.matches(*it)) out.push_back(*it);
    }
    std::reverse(out.begin(), out.end());
    return out;
}

std::optional<journal_entry> request_journal::find(std::uint64_t sequence) const {
    std::lock_guard lock(mutex_);
    // Sequences increase along the ring (clear() keeps the order), so a binary search finds it.
    const auto it = std::lower_bound(entries_.begin(), entries_.end(), sequence,
                                     [](const journal_entry& e, std::uint64_t s) { return e.sequence < s; });
    if (it == entries_.end() || it->sequence != sequence) return std::nullopt;
    return *it;
}

void request_journal::clear(const journal_filter& only) {
    std::lock_guard lock(mutex_);
    std::erase_if(entries_, [&](const journal_entry& e) { return only.matches(e); });
}

}  // namespace hil::server
