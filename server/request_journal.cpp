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

std::vector<journal_entry> request_journal::query(const journal_filter& f) const {
    std::lock_guard lock(mutex_);
    std::vector<journal_entry> out;
    for (const auto& e : entries_) {
        if (f.operation && e.operation != *f.operation) continue;
        const bool labels_match = std::all_of(f.labels.begin(), f.labels.end(), [&](const auto& wanted) {
            return std::any_of(e.labels.begin(), e.labels.end(),
                               [&](const auto& l) { return l.first == wanted.first && l.second == wanted.second; });
        });
        if (!labels_match) continue;
        if (f.status && e.status != *f.status) continue;
        if (f.since && e.time < *f.since) continue;
        out.push_back(e);
    }
    return out;
}

void request_journal::clear() {
    std::lock_guard lock(mutex_);
    entries_.clear();
}

}  // namespace hil::server
