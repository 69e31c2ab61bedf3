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
    return !since || e.time >= *since;
}

std::vector<journal_entry> request_journal::query(const journal_filter& f) const {
    std::lock_guard lock(mutex_);
    std::vector<journal_entry> out;
    for (const auto& e : entries_) {
        if (f.matches(e)) out.push_back(e);
    }
    return out;
}

void request_journal::clear(const journal_filter& only) {
    std::lock_guard lock(mutex_);
    std::erase_if(entries_, [&](const journal_entry& e) { return only.matches(e); });
}

}  // namespace hil::server
