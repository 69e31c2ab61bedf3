#include "server/request_journal.hpp"

#include <algorithm>
#include <array>
#include <cstring>
#include <memory>
#include <type_traits>

#include "server/http_message.hpp"
#include "server/net.hpp"

namespace hil::server {
namespace {

// Whether a body is text worth keeping: JSON, XML or text, not compressed.
bool is_text_body(std::string_view content_type, std::string_view content_encoding) {
    if (!content_encoding.empty() && !beast::iequals(content_encoding, "identity")) return false;
    const auto type = content_type.substr(0, content_type.find(';'));
    return type.empty() || type.find("json") != std::string_view::npos || type.find("xml") != std::string_view::npos ||
           type.substr(0, 5) == "text/";
}

// What is kept of the method, the path and a label value: k_kept_text_bytes of it, and one byte
// more when it was longer, so that the one who shows it can say it was cut.
std::string_view kept_text(std::string_view text) { return text.substr(0, k_kept_text_bytes + 1); }

// The head of a wire message as the journal keeps it: the first line's pieces, then "\nName:
// value" per field. size() is that text's whole length; write() puts its first `n` bytes at `out`.
class wire_head {
public:
    explicit wire_head(const journal_wire_message& m) : m_(m) {}

    std::size_t size() const {
        std::size_t n = 0;
        for (const auto piece : m_.first_line) n += piece.size();
        if (!m_.first_line.empty()) {
            for (const auto f : *m_.fields) n += 3 + f.name.size() + f.text.size();
        }
        return n;
    }

    void write(char* out, std::size_t n) const {
        // Only what fits is written: a head past k_kept_head_bytes is cut there.
        const auto put = [&out, &n](std::string_view piece) {
            const auto k = std::min(piece.size(), n);
            std::memcpy(out, piece.data(), k);
            out += k;
            n -= k;
            return n != 0;
        };
        for (const auto piece : m_.first_line) {
            if (!put(piece)) return;
        }
        if (m_.first_line.empty()) return;
        for (const auto f : *m_.fields) {
            if (!put("\n") || !put(f.name) || !put(": ") || !put(f.text)) return;
        }
    }

private:
    const journal_wire_message& m_;
};

}  // namespace

// One kept entry: its numbers, and its text in one buffer, part after part, so that keeping a
// call is one copy per part into memory the slot already has.
struct request_journal::slot {
    // The text parts, in the order they sit in the buffer.
    enum part : std::size_t {
        request_id,
        method,
        path,
        operation,
        access_key_id,
        account_id,
        region,
        error_type,
        fault_id,
        request_head,
        request_body,
        response_head,
        response_body,
        first_label,  // the label values follow, label_count of them
        part_count = first_label + k_kept_labels,
    };
    struct message_facts {
        bool head_truncated = false;
        bool body_binary = false;
        std::size_t body_size = 0;
    };

    std::uint64_t sequence = 0;
    api::epoch_millis time = 0;
    unsigned status = 0;
    double latency_ms = 0;
    std::size_t label_count = 0;
    std::array<std::string_view, k_kept_labels> label_names{};  // static storage
    message_facts request;
    message_facts response;
    // Where each part ends in text. An entry's text is far below 4 GiB: its heads and bodies
    // are cut, and its other parts come from a request head within the reader's limit.
    std::array<std::uint32_t, part_count> ends{};
    std::unique_ptr<char[]> text;
    std::size_t text_capacity = 0;

    // Asks the CPU to fetch, for writing, the memory the next keep() will write (about as much
    // as this entry's): a slot is written once per turn of the ring, so it has long left the
    // caches, and keep() would otherwise wait for every line it writes.
    void prefetch_for_writing() const {
        constexpr std::size_t line = 64;
        const char* const self = reinterpret_cast<const char*>(this);
        for (std::size_t at = 0; at < sizeof(slot); at += line) __builtin_prefetch(self + at, 1);
        const std::size_t size = ends.back();
        for (std::size_t at = 0; at < size; at += line) __builtin_prefetch(text.get() + at, 1);
    }

    std::string_view part_text(std::size_t k) const {
        const std::size_t begin = k == 0 ? 0 : ends[k - 1];
        return {text.get() + begin, ends[k] - begin};
    }
    std::string_view operation_text() const { return part_text(operation); }
    std::string_view account_id_text() const { return part_text(account_id); }
    std::string_view region_text() const { return part_text(region); }
    bool has_label(std::string_view name, std::string_view value) const {
        for (std::size_t i = 0; i < label_count; ++i) {
            if (label_names[i] == name && part_text(first_label + i) == value) return true;
        }
        return false;
    }

    // Room for `size` bytes of text (what was there is not kept).
    char* text_of_size(std::size_t size) {
        if (size > text_capacity) {
            // Rounded up, so that a slot's next entries, a few bytes longer, fit too.
            text_capacity = (size + 255) / 256 * 256;
            text = std::make_unique_for_overwrite<char[]>(text_capacity);
        }
        return text.get();
    }

    // Keeps `parts` (heads as given by wire_head or as text). `sizes` are the parts' kept sizes.
    template <class Write>
    void keep_text(const std::array<std::size_t, part_count>& sizes, Write&& write) {
        std::size_t end = 0;
        for (std::size_t k = 0; k < part_count; ++k) ends[k] = static_cast<std::uint32_t>(end += sizes[k]);
        char* out = text_of_size(end);
        for (std::size_t k = 0; k < part_count; ++k) {
            const std::size_t begin = k == 0 ? 0 : ends[k - 1];
            if (ends[k] != begin) write(k, out + begin, ends[k] - begin);
        }
    }

    void keep(const journal_call& c) {
        time = c.time;
        status = c.status;
        latency_ms = c.latency_ms;
        label_count = std::min(c.labels.size(), k_kept_labels);
        std::array<std::string_view, part_count> texts{};
        texts[request_id] = c.request_id;
        texts[method] = kept_text(c.method);
        texts[path] = kept_text(c.path);
        texts[operation] = c.operation;
        texts[access_key_id] = c.access_key_id;
        texts[account_id] = c.account_id;
        texts[region] = c.region;
        texts[error_type] = c.error_type;
        texts[fault_id] = c.fault_id;
        for (std::size_t i = 0; i < label_count; ++i) {
            label_names[i] = c.labels[i].first;
            texts[first_label + i] = kept_text(c.labels[i].second);
        }
        const wire_head heads[] = {wire_head(c.request), wire_head(c.response)};
        const journal_wire_message* messages[] = {&c.request, &c.response};
        message_facts* facts[] = {&request, &response};
        std::array<std::size_t, part_count> sizes{};
        for (std::size_t k = 0; k < part_count; ++k) sizes[k] = texts[k].size();
        for (std::size_t side = 0; side < 2; ++side) {
            const auto& m = *messages[side];
            const std::size_t head_size = heads[side].size();
            auto& f = *facts[side];
            f.head_truncated = head_size > k_kept_head_bytes;
            f.body_size = m.first_line.empty() ? 0 : m.body.size();
            f.body_binary = f.body_size != 0 &&
                            !is_text_body((*m.fields)[http::field::content_type], (*m.fields)[http::field::content_encoding]);
            sizes[side == 0 ? request_head : response_head] = std::min(head_size, k_kept_head_bytes);
            if (!m.first_line.empty() && !f.body_binary) texts[side == 0 ? request_body : response_body] = m.body.substr(0, k_kept_body_bytes);
        }
        sizes[request_body] = texts[request_body].size();
        sizes[response_body] = texts[response_body].size();
        keep_text(sizes, [&](std::size_t k, char* out, std::size_t n) {
            if (k == request_head || k == response_head) {
                heads[k == request_head ? 0 : 1].write(out, n);
            } else {
                std::memcpy(out, texts[k].data(), n);
            }
        });
    }

    void keep(const journal_entry& e) {
        time = e.time;
        status = e.status;
        latency_ms = e.latency_ms;
        label_count = std::min(e.labels.size(), k_kept_labels);
        std::array<std::string_view, part_count> texts{};
        texts[request_id] = e.request_id;
        texts[method] = e.method;
        texts[path] = e.path;
        texts[operation] = e.operation;
        texts[access_key_id] = e.access_key_id;
        texts[account_id] = e.account_id;
        texts[region] = e.region;
        texts[error_type] = e.error_type;
        texts[fault_id] = e.fault_id;
        texts[request_head] = e.request.head;
        texts[request_body] = e.request.body;
        texts[response_head] = e.response.head;
        texts[response_body] = e.response.body;
        for (std::size_t i = 0; i < label_count; ++i) {
            label_names[i] = e.labels[i].first;
            texts[first_label + i] = e.labels[i].second;
        }
        request = {e.request.head_truncated, e.request.body_binary, e.request.body_size};
        response = {e.response.head_truncated, e.response.body_binary, e.response.body_size};
        std::array<std::size_t, part_count> sizes{};
        for (std::size_t k = 0; k < part_count; ++k) sizes[k] = texts[k].size();
        keep_text(sizes, [&](std::size_t k, char* out, std::size_t n) { std::memcpy(out, texts[k].data(), n); });
    }

    // The entry, with its request and response or without (a listing's summary).
    journal_entry entry(bool with_messages) const {
        journal_entry e;
        e.sequence = sequence;
        e.time = time;
        e.request_id = part_text(request_id);
        e.method = part_text(method);
        e.path = part_text(path);
        e.operation = part_text(operation);
        e.labels.reserve(label_count);
        for (std::size_t i = 0; i < label_count; ++i) e.labels.emplace_back(label_names[i], part_text(first_label + i));
        e.access_key_id = part_text(access_key_id);
        e.account_id = part_text(account_id);
        e.region = part_text(region);
        e.status = status;
        e.error_type = part_text(error_type);
        e.fault_id = part_text(fault_id);
        e.latency_ms = latency_ms;
        if (with_messages) {
            e.request = {std::string(part_text(request_head)), request.head_truncated, std::string(part_text(request_body)),
                         request.body_size, request.body_binary};
            e.response = {std::string(part_text(response_head)), response.head_truncated,
                          std::string(part_text(response_body)), response.body_size, response.body_binary};
        }
        return e;
    }
};

namespace {

// Whether `f` matches an entry, read through `e`: a journal_entry or a slot.
template <class Entry>
bool filter_matches(const journal_filter& f, const Entry& e, std::string_view operation, std::string_view account_id,
                    std::string_view region) {
    if (f.operation && operation != *f.operation) return false;
    if (f.account_id && account_id != *f.account_id) return false;
    if (f.region && region != *f.region) return false;
    const bool labels_match = std::all_of(f.labels.begin(), f.labels.end(), [&](const auto& wanted) {
        if constexpr (std::is_same_v<Entry, journal_entry>) {
            return std::any_of(e.labels.begin(), e.labels.end(),
                               [&](const auto& l) { return l.first == wanted.first && l.second == wanted.second; });
        } else {
            return e.has_label(wanted.first, wanted.second);
        }
    });
    if (!labels_match) return false;
    if (f.status && e.status != *f.status) return false;
    if (f.after && e.sequence <= *f.after) return false;
    return !f.since || e.time >= *f.since;
}

}  // namespace

bool journal_filter::matches(const journal_entry& e) const {
    return filter_matches(*this, e, e.operation, e.account_id, e.region);
}

request_journal::request_journal(std::size_t capacity) : capacity_(capacity) {}

request_journal::~request_journal() = default;

request_journal::slot& request_journal::next_slot() {
    if (slots_.size() < capacity_) {
        slots_.emplace_back();
        slots_.back().sequence = next_sequence_++;
        return slots_.back();
    }
    slot& s = slots_[oldest_];
    oldest_ = (oldest_ + 1) % capacity_;
    s.sequence = next_sequence_++;
    return s;
}

void request_journal::record(const journal_call& call) {
    if (capacity_ == 0) return;
    std::lock_guard lock(mutex_);
    next_slot().keep(call);
    if (slots_.size() == capacity_) slots_[oldest_].prefetch_for_writing();
}

void request_journal::record(journal_entry& entry) {
    if (capacity_ == 0) return;
    std::lock_guard lock(mutex_);
    const bool full = slots_.size() == capacity_;
    slot& s = next_slot();
    journal_entry replaced = full ? s.entry(true) : journal_entry{};
    s.keep(entry);
    entry = std::move(replaced);
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

namespace {

template <class Slot>
bool slot_matches(const journal_filter& f, const Slot& s) {
    return filter_matches(f, s, s.operation_text(), s.account_id_text(), s.region_text());
}

}  // namespace

std::vector<journal_entry> request_journal::query(const journal_filter& f, std::optional<std::size_t> limit) const {
    std::vector<journal_entry> out;
    std::lock_guard lock(mutex_);
    // Newest first, so a limit stops the walk early, and so does a poller's cursor (sequences
    // increase along the ring); reversed at the end.
    newest_first([&](const slot& s) {
        if (limit && out.size() >= *limit) return false;
        if (f.after && s.sequence <= *f.after) return false;
        if (slot_matches(f, s)) out.push_back(s.entry(false));
        return true;
    });
    std::reverse(out.begin(), out.end());
    return out;
}

std::optional<journal_entry> request_journal::find(std::uint64_t sequence) const {
    std::optional<journal_entry> found;
    std::lock_guard lock(mutex_);
    newest_first([&](const slot& s) {
        if (s.sequence == sequence) found = s.entry(true);
        return s.sequence > sequence;  // older entries have smaller numbers
    });
    return found;
}

void request_journal::clear(const journal_filter& only) {
    std::lock_guard lock(mutex_);
    // Oldest first into a fresh ring, keeping what `only` does not match (rare: a reset, a DELETE).
    std::vector<std::size_t> kept;  // indexes into slots_
    newest_first([&](const slot& s) {
        if (!slot_matches(only, s)) kept.push_back(static_cast<std::size_t>(&s - slots_.data()));
        return true;
    });
    std::reverse(kept.begin(), kept.end());
    std::vector<slot> ring;
    ring.reserve(kept.size());
    for (const auto k : kept) ring.push_back(std::move(slots_[k]));
    slots_ = std::move(ring);
    oldest_ = 0;
}

}  // namespace hil::server
