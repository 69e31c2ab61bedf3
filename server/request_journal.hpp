// request_journal: the last N API calls, for tests that ask "which calls were made?".
// Cheap enough to be on by default. The router hands record() views of the call (its strings,
// its request and answer) and the journal copies what it keeps into its slot's one text
// buffer, a part after another: one copy per part, no allocation once the slot's buffer has
// grown to its entry (the buffers are reused as the ring turns), and the lock held only for
// that copy. A head is kept as its message stores it (the first line's pieces, the field
// list's own text and offsets: two copies, where formatting "Name: value" lines was four per
// field) and formatted only when read; a head whose stored fields would pass
// k_kept_head_bytes is formatted and cut on keeping instead. Entries come out (query, find) as
// journal_entry values, built on reading. Text is kept as the bytes came (a client may send
// any); whoever shows it makes it valid UTF-8 (the control API, on reading). An answer whose
// body is shared bytes (response::shared_body(): a hit of the answer cache) is not copied while
// the shares the journal holds come to at most k_kept_body_bytes an entry of its capacity (the
// memory a full ring of copied bodies would take), and is not in a memory file (whose other
// answers a share would keep too): the slot holds a share of it instead, and shows its first
// k_kept_body_bytes the same.
// A ring: once full, each new entry drops the oldest, so memory stays bounded: each entry keeps
// at most k_kept_head_bytes of each head and k_kept_body_bytes of each body, so a full ring of
// the default 10,000 entries holds at most 2 x (8 + 4) KiB x 10,000 = 240 MiB in the worst case
// (every call with 8 KiB of headers and a body) and a few MB in practice (about 1 KiB a call).
// A shared body counts as its own bytes there, whole: what else its allocation holds (the answer
// cache's key and content type) comes from a request head within the reader's limit.
// Thread safety: safe from any thread.
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "api/clock.hpp"

namespace hil::server {

class request;
class response;

// One side of a call as the journal keeps it: the head ("GET /path HTTP/1.1" or "HTTP/1.1 200 OK",
// then "Name: value" lines) and the start of a text body, as the bytes went over the wire.
// Whoever shows them makes them valid UTF-8 (the control API does, on reading), since a client
// may send any bytes.
struct journal_message {
    std::string head;             // at most k_kept_head_bytes
    bool head_truncated = false;  // the head was longer
    std::string body;             // the first k_kept_body_bytes of a text body; empty for a binary one
    std::size_t body_size = 0;    // the whole body's size in bytes
    bool body_binary = false;     // compressed or not text: not kept
};

inline constexpr std::size_t k_kept_head_bytes = 8192;
inline constexpr std::size_t k_kept_body_bytes = 4096;

inline constexpr std::size_t k_kept_text_bytes = 256;  // of the method, the path and each label
inline constexpr std::size_t k_kept_labels = 8;       // an entry's labels past these are not kept (a route has at most 8 segments)
struct journal_entry {
    std::uint64_t sequence = 0;  // 1, 2, ... in arrival order; survives the ring dropping entries
    api::epoch_millis time = 0;
    std::string request_id;
    std::string method;     // at most k_kept_text_bytes (one byte more: it was cut), as are the path and label values
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
    journal_message request;   // empty head only for entries made without one (tests)
    journal_message response;  // empty head when the connection was dropped
};

// A call as the router saw it, for request_journal::record: views of the router's values and
// its request and answer, valid during the call. The journal keeps of each what journal_entry
// says (the method, the path and the label values cut to k_kept_text_bytes and one byte more).
struct journal_call {
    api::epoch_millis time = 0;
    std::string_view request_id;
    const request* req = nullptr;  // REQUIRES: set; its method and target are the entry's
    std::string_view path;         // the target's path (target_path)
    std::string_view operation;
    std::span<const std::pair<std::string_view, std::string_view>> labels;  // names of static storage (the model's)
    std::string_view access_key_id;
    std::string_view account_id;
    std::string_view region;
    unsigned status = 0;
    std::string_view error_type;
    std::string_view fault_id;
    double latency_ms = 0;
    const response* res = nullptr;  // null when the connection was dropped
};

struct journal_filter {
    std::optional<std::string> operation;
    std::optional<std::string> account_id;
    std::optional<std::string> region;
    std::vector<std::pair<std::string, std::string>> labels;  // each must be a label of the entry, with this value
    std::optional<unsigned> status;
    std::optional<api::epoch_millis> since;  // entries at or after this time
    std::optional<std::uint64_t> after;      // entries whose sequence is greater (a poller's cursor)

    bool matches(const journal_entry& e) const;
};

class request_journal {
public:
    // capacity 0 turns the journal off (nothing is kept).
    explicit request_journal(std::size_t capacity);
    ~request_journal();
    request_journal(const request_journal&) = delete;
    request_journal& operator=(const request_journal&) = delete;

    bool enabled() const noexcept { return capacity_ != 0; }
    std::size_t capacity() const noexcept { return capacity_; }
    // Keeps `call` (the router's way in: nothing is built but the kept copy).
    void record(const journal_call& call);
    // Keeps `entry` (its sequence is the journal's to give) and gives back, in `entry`, the one
    // it replaced (or an empty one).
    void record(journal_entry& entry);
    void record(journal_entry&& entry) { record(entry); }
    // The entries `filter` matches, oldest first, without their request and response; with
    // `limit`, only the newest `limit` of them.
    std::vector<journal_entry> query(const journal_filter& filter, std::optional<std::size_t> limit = std::nullopt) const;
    // The entry with this sequence number, request and response included, if the ring still holds it.
    std::optional<journal_entry> find(std::uint64_t sequence) const;
    // Forgets the entries `only` matches (all, by default).
    void clear(const journal_filter& only = {});

private:
    struct slot;  // one kept entry, its text in one buffer (request_journal.cpp)

    const std::size_t capacity_;
    // The slot the next entry goes to, numbered: a new one until the ring is full, then the
    // oldest one. REQUIRES: mutex_ held, capacity_ > 0.
    slot& next_slot();
    // Calls `visit` on the held entries, newest first, until it returns false. REQUIRES: mutex_ held.
    template <class Visit>
    void newest_first(Visit&& visit) const;

    // What the slots' shared bodies may come to, whole (see the top of this file).
    std::size_t share_budget() const noexcept { return capacity_ * k_kept_body_bytes; }

    mutable std::mutex mutex_;  // guards the members below
    std::vector<slot> slots_;   // grows to capacity_, then the oldest slot is reused
    std::size_t shared_bytes_ = 0;  // the sizes of the slots' shared bodies
    std::size_t oldest_ = 0;            // once full: the slot of the oldest entry (the next to reuse)
    std::uint64_t next_sequence_ = 1;
};

}  // namespace hil::server
