#include "server/request_journal.hpp"

#include <algorithm>

namespace hil::server {

void request_journal::record(journal_entry& entry) {
    if (capacity_ == 0) return;
    std::lock_guard lock(mutex_);
    entry.sequence = next_sequence_++;
    if (slots_.size() < capacity_) {
        slots_.push_back(std::move(entry));
        entry = journal_entry{};
        return;
    }
    std::swap(slots_[oldest_], entry);  // `entry` now holds the oldest one, for the caller to reuse
    oldest_ = (oldest_ + 1) % capacity_;
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

template <class Visit>
void request_journal::newest_first(Visit&& visit) const {
    // Until full, slots_ is in arrival order; then the newest is just before oldest_.
    const std::size_t n = slots_.size();
    const std::size_t newest = slots_.size() < capacity_ ? n : oldest_ + n;
    for (std::size_t k = 0; k < n; ++k) {
        if (!visit(slots_[(newest - 1 - k) % n])) return;
    }
}

std::vector<journal_entry> request_journal::query(const journal_filter& f, std::optional<std::size_t> limit) const {
    std::vector<journal_entry> out;
    std::lock_guard lock(mutex_);
    // Newest first, so a limit stops the walk early, and so does a poller's cursor (sequences
    // increase along the ring); reversed at the end.
    newest_first([&](const journal_entry& e) {
        if (limit && out.size() >= *limit) return false;
        if (f.after && e.sequence <= *f.after) return false;
        if (f.matches(e)) {
            journal_entry summary;  // everything but the request and the response
            summary.sequence = e.sequence;
            summary.time = e.time;
            summary.request_id = e.request_id;
            summary.method = e.method;
            summary.path = e.path;
            summary.operation = e.operation;
            summary.labels = e.labels;
            summary.access_key_id = e.access_key_id;
            summary.account_id = e.account_id;
            summary.region = e.region;
            summary.status = e.status;
            summary.error_type = e.error_type;
            summary.fault_id = e.fault_id;
            summary.latency_ms = e.latency_ms;
            out.push_back(std::move(summary));
        }
        return true;
    });
    std::reverse(out.begin(), out.end());
    return out;
}

std::optional<journal_entry> request_journal::find(std::uint64_t sequence) const {
    std::optional<journal_entry> found;
    std::lock_guard lock(mutex_);
    newest_first([&](const journal_entry& e) {
        if (e.sequence == sequence) found = e;
        return e.sequence > sequence;  // older entries have smaller numbers
    });
    return found;
}

void request_journal::clear(const journal_filter& only) {
    std::lock_guard lock(mutex_);
    // Oldest first into a fresh ring, keeping what `only` does not match (rare: a reset, a DELETE).
    std::vector<journal_entry> kept;
    newest_first([&](const journal_entry& e) {
        if (!only.matches(e)) kept.push_back(e);
        return true;
    });
    std::reverse(kept.begin(), kept.end());
    slots_ = std::move(kept);
    oldest_ = 0;
}

}  // namespace hil::server
