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

// memcpy through a call GCC cannot see into: with the bounds it knows of a kept part's size
// (k_kept_text_bytes, k_kept_body_bytes) it inlines memcpy as `rep movsq`, whose start-up cost
// was most of keeping an entry; the library's memcpy copies such small parts in a few cycles.
[[gnu::noinline]] void copy_bytes(char* to, const char* from, std::size_t size) { std::memcpy(to, from, size); }

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
            copy_bytes(out, piece.data(), k);
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

    // Ask the CPU to fetch, for writing, the memory a keep() will write: the slot itself, and
    // about as much text as its entry had. A slot is written once per turn of the ring, so it
    // has long left the caches, and keep() would otherwise wait for every line it writes. The
    // text's address is in the slot: prefetch_text() of a slot whose prefetch_self() has not
    // been done a while before would wait for the slot.
    void prefetch_self() const {
        const char* const self = reinterpret_cast<const char*>(this);
        for (std::size_t at = 0; at < sizeof(slot); at += k_cache_line) __builtin_prefetch(self + at, 1);
    }
    void prefetch_text() const {
        const std::size_t size = ends.back();
        for (std::size_t at = 0; at < size; at += k_cache_line) __builtin_prefetch(text.get() + at, 1);
    }
    static constexpr std::size_t k_cache_line = 64;

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

    // Writes the parts into text, in their order, each where the one before it ended.
    class part_writer {
    public:
        part_writer(slot& s, std::size_t size) : out_(s.text_of_size(size)), end_(s.ends.data()) {}
        void put(std::string_view part) {
            if (!part.empty()) copy_bytes(out_ + at_, part.data(), part.size());
            end(part.size());
        }
        void put(const wire_head& head, std::size_t size) {
            if (size != 0) head.write(out_ + at_, size);
            end(size);
        }
        void end(std::size_t size) {
            at_ += size;
            *end_++ = static_cast<std::uint32_t>(at_);
        }

    private:
        char* out_;
        std::size_t at_ = 0;
        std::uint32_t* end_;
    };

    void keep(const journal_call& c) {
        time = c.time;
        status = c.status;
        latency_ms = c.latency_ms;
        label_count = std::min(c.labels.size(), k_kept_labels);
        const wire_head request_head_text(c.request);
        const wire_head response_head_text(c.response);
        const std::size_t request_head_size = request_head_text.size();
        const std::size_t response_head_size = response_head_text.size();
        const auto request_body_text = note_message(request, c.request, request_head_size);
        const auto response_body_text = note_message(response, c.response, response_head_size);
        const auto method_text = kept_text(c.method);
        const auto path_text = kept_text(c.path);
        const std::size_t request_head_kept = std::min(request_head_size, k_kept_head_bytes);
        const std::size_t response_head_kept = std::min(response_head_size, k_kept_head_bytes);
        std::size_t size = c.request_id.size() + method_text.size() + path_text.size() + c.operation.size() +
                           c.access_key_id.size() + c.account_id.size() + c.region.size() + c.error_type.size() +
                           c.fault_id.size() + request_head_kept + request_body_text.size() + response_head_kept +
                           response_body_text.size();
        for (std::size_t i = 0; i < label_count; ++i) size += kept_text(c.labels[i].second).size();
        // In the order of `part`.
        part_writer w(*this, size);
        w.put(c.request_id);
        w.put(method_text);
        w.put(path_text);
        w.put(c.operation);
        w.put(c.access_key_id);
        w.put(c.account_id);
        w.put(c.region);
        w.put(c.error_type);
        w.put(c.fault_id);
        w.put(request_head_text, request_head_kept);
        w.put(request_body_text);
        w.put(response_head_text, response_head_kept);
        w.put(response_body_text);
        for (std::size_t i = 0; i < k_kept_labels; ++i) {
            if (i < label_count) {
                label_names[i] = c.labels[i].first;
                w.put(kept_text(c.labels[i].second));
            } else {
                w.end(0);
            }
        }
    }

    // Notes in `facts` what is kept of `m`, whose head is `head_size` bytes; returns the part of
    // its body that is kept.
    static std::string_view note_message(message_facts& facts, const journal_wire_message& m, std::size_t head_size) {
        facts.head_truncated = head_size > k_kept_head_bytes;
        facts.body_size = m.first_line.empty() ? 0 : m.body.size();
        facts.body_binary = facts.body_size != 0 &&
                            !is_text_body((*m.fields)[http::field::content_type], (*m.fields)[http::field::content_encoding]);
        return facts.body_size == 0 || facts.body_binary ? std::string_view() : m.body.substr(0, k_kept_body_bytes);
    }

    void keep(const journal_entry& e) {
        time = e.time;
        status = e.status;
        latency_ms = e.latency_ms;
        label_count = std::min(e.labels.size(), k_kept_labels);
        request = {e.request.head_truncated, e.request.body_binary, e.request.body_size};
        response = {e.response.head_truncated, e.response.body_binary, e.response.body_size};
        const std::string_view parts[] = {e.request_id, e.method, e.path, e.operation, e.access_key_id, e.account_id,
                                          e.region, e.error_type, e.fault_id, e.request.head, e.request.body,
                                          e.response.head, e.response.body};
        static_assert(std::size(parts) == first_label);
        std::size_t size = 0;
        for (const auto text_part : parts) size += text_part.size();
        for (std::size_t i = 0; i < label_count; ++i) size += e.labels[i].second.size();
        part_writer w(*this, size);
        for (const auto text_part : parts) w.put(text_part);
        for (std::size_t i = 0; i < k_kept_labels; ++i) {
            if (i < label_count) {
                label_names[i] = e.labels[i].first;
                w.put(e.labels[i].second);
            } else {
                w.end(0);
            }
        }
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
    // For the next two calls: the next one's text (its slot was fetched during this call's
    // prefetch), the one after's slot.
    if (slots_.size() == capacity_) {
        slots_[oldest_].prefetch_text();
        slots_[(oldest_ + 1) % capacity_].prefetch_self();
    }
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
