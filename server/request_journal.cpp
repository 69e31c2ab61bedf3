#include "server/request_journal.hpp"

#include <algorithm>
#include <array>
#include <cstring>
#include <memory>
#include <type_traits>

#include "server/http_message.hpp"
#include "server/net.hpp"
#include "server/shared_bytes.hpp"

namespace hil::server {
namespace {

// Whether a body is text worth keeping: JSON, XML or text, not compressed.
bool is_text_body(std::string_view content_type, std::string_view content_encoding) {
    if (!content_encoding.empty() && !beast::iequals(content_encoding, "identity")) return false;
    const auto type = content_type.substr(0, content_type.find(';'));
    return type.empty() || type.find("json") != std::string_view::npos || type.find("xml") != std::string_view::npos ||
           type.substr(0, 5) == "text/";
}

// Whether `name` is `canonical` in any case; the canonical spelling, which the server's own
// answers use, is matched first by one compare (beast::iequals walks it character by character).
bool is_field(std::string_view name, std::string_view canonical) {
    return name.size() == canonical.size() && (name == canonical || beast::iequals(name, canonical));
}

// Whether the body of a message with `fields` is text, by its Content-Type and Content-Encoding
// (each the first field of its name, as field_list::operator[] finds them), found in one walk.
bool has_text_body(const field_list& fields) {
    std::string_view type;
    std::string_view encoding;
    bool type_seen = false;
    bool encoding_seen = false;
    for (const auto f : fields) {
        if (!type_seen && is_field(f.name, "Content-Type")) {
            type = f.text;
            type_seen = true;
        } else if (!encoding_seen && is_field(f.name, "Content-Encoding")) {
            encoding = f.text;
            encoding_seen = true;
        }
    }
    // Most answers' type, found without is_text_body's searches.
    if (encoding.empty() && type == "application/json") return true;
    return is_text_body(type, encoding);
}

// memcpy through a call GCC cannot see into: with the bounds it knows of a kept part's size
// (k_kept_text_bytes, k_kept_body_bytes) it inlines memcpy as `rep movsq`, whose start-up cost
// was most of keeping an entry; the library's memcpy copies such small parts in a few cycles.
[[gnu::noinline]] void copy_bytes(char* to, const char* from, std::size_t size) { std::memcpy(to, from, size); }

// What is kept of the method, the path and a label value: k_kept_text_bytes of it, and one byte
// more when it was longer, so that the one who shows it can say it was cut.
std::string_view kept_text(std::string_view text) { return text.substr(0, k_kept_text_bytes + 1); }

// "HTTP/1.1" for version 11.
std::array<char, 8> http_version(unsigned v) {
    return {'H', 'T', 'T', 'P', '/', static_cast<char>('0' + v / 10 % 10), '.', static_cast<char>('0' + v % 10)};
}

// A head as the journal shows it: the first line's pieces, then "\nName: value" per field of
// `Fields` (a field_list, or the fields of a kept copy). size() is that text's whole length;
// write() puts its first `n` bytes at `out`.
template <class Fields>
class head_text {
public:
    head_text(std::span<const std::string_view> first_line, const Fields& fields) : first_line_(first_line), fields_(fields) {}

    std::size_t size() const {
        std::size_t n = 0;
        for (const auto piece : first_line_) n += piece.size();
        for (const auto f : fields_) n += 3 + f.name.size() + f.text.size();
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
        for (const auto piece : first_line_) {
            if (!put(piece)) return;
        }
        for (const auto f : fields_) {
            if (!put("\n") || !put(f.name) || !put(": ") || !put(f.text)) return;
        }
    }

private:
    std::span<const std::string_view> first_line_;
    const Fields& fields_;
};

// The fields of a kept copy of a field_list's storage (stored_text(), stored_fields() as bytes).
std::vector<field_view> kept_fields(std::string_view text, std::string_view stored) {
    std::vector<field_view> out(stored.size() / sizeof(field_list::stored_field));
    for (std::size_t i = 0; i < out.size(); ++i) {
        field_list::stored_field f;
        std::memcpy(&f, stored.data() + i * sizeof f, sizeof f);
        out[i] = {text.substr(f.name_at, f.name_size), text.substr(f.value_at, f.value_size)};
    }
    return out;
}

std::string_view as_text(std::span<const field_list::stored_field> fields) {
    return {reinterpret_cast<const char*>(fields.data()), fields.size_bytes()};
}

}  // namespace

// One kept entry: its numbers, and its text in one buffer, part after part, so that keeping a
// call is one copy per part into memory the slot already has. A head from the router is kept
// as its message stored it (the first line's pieces, the field list's own text and offsets)
// and made into "Name: value" lines only when read: copying a field list is two copies where
// formatting it was four per field.
struct request_journal::slot {
    // The text parts, in the order they sit in the buffer.
    enum part : std::size_t {
        request_id,
        method,  // fields form: the whole method; else as kept (kept_text)
        target,  // fields form only: the request's target
        path,    // empty when path_in_target
        operation,
        access_key_id,
        account_id,
        region,
        error_type,
        fault_id,
        request_fields_text,  // fields form: field_list::stored_text(); formatted: the head
        request_fields,       // fields form: field_list::stored_fields(), as bytes
        request_body,
        response_fields_text,
        response_fields,
        response_body,
        first_label,  // the label values follow, label_count of them
        part_count = first_label + k_kept_labels,
    };
    // How a message's head is kept.
    enum class head_form : std::uint8_t {
        none,       // no message (a dropped connection's answer)
        fields,     // the first line from the parts and numbers, the fields as their message stored them
        formatted,  // as the journal shows it, cut at k_kept_head_bytes (a head too long for the fields form,
                    // or an entry given as a journal_entry)
    };
    struct message_facts {
        head_form form = head_form::none;
        bool head_truncated = false;  // formatted only; the fields form is never cut
        bool body_binary = false;
        std::uint8_t version = 11;      // fields form: of the first line
        std::uint16_t status = 0;       // fields form of an answer: of the status line
        std::size_t body_size = 0;
    };

    std::uint64_t sequence = 0;
    api::epoch_millis time = 0;
    unsigned status = 0;
    double latency_ms = 0;
    std::size_t label_count = 0;
    bool path_in_target = false;  // the path is the first path_size bytes of the target
    std::size_t path_size = 0;
    std::array<std::string_view, k_kept_labels> label_names{};  // static storage
    message_facts request;
    message_facts response;
    // Where each part ends in text. An entry's text is far below 4 GiB: its heads and bodies
    // are cut, and its other parts come from a request head within the reader's limit.
    std::array<std::uint32_t, part_count> ends{};
    std::unique_ptr<char[]> text;
    std::size_t text_capacity = 0;
    // The answer's body, when it was shared bytes (an answer of the answer cache) and the
    // journal's budget for shares had room for all of it: a share of them is kept instead of a
    // copy of its first k_kept_body_bytes in text (whose response_body part is then empty). A hot
    // read's body was half of what an entry wrote, and a 14 KB page's first 4 KiB far more.
    shared_bytes response_shared;
    std::size_t shared_size() const { return response_shared.owner ? response_shared.bytes.size() : 0; }

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
        // Dropping the share writes its count, which sits just before the bytes' owner (one
        // allocation from make_shared).
        if (response_shared.owner) __builtin_prefetch(response_shared.owner.get(), 1);
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
        template <class Fields>
        void put(const head_text<Fields>& head, std::size_t size) {
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

    // What keep() copies of one message: the parts of its head and its body.
    struct message_parts {
        std::string_view fields_text;  // the stored text, or nothing when formatted
        std::string_view fields;
        std::size_t formatted_size = 0;  // formatted: the kept bytes of the head
        std::string_view body;
    };

    // Notes in `facts` what is kept of the body `body` of a message with `fields`; returns the
    // part of it that is kept.
    static std::string_view note_body(message_facts& facts, const field_list& fields, std::string_view body) {
        facts.body_size = body.size();
        facts.body_binary = !body.empty() && !has_text_body(fields);
        return body.empty() || facts.body_binary ? std::string_view() : body.substr(0, k_kept_body_bytes);
    }

    // Whether a head of a first line of `line_size` bytes and `fields` is kept in the fields form:
    // when its stored fields fit in k_kept_head_bytes with the line, which also bounds the head
    // formatted from them (3 bytes a field against a stored_field's 16), so that form is never cut.
    static bool fits_fields_form(std::size_t line_size, const field_list& fields) {
        return line_size + fields.stored_text().size() + fields.stored_fields().size_bytes() <= k_kept_head_bytes;
    }

    // Keeps `c`; a shared body of at most `share_room` bytes as a share (see response_shared).
    void keep(const journal_call& c, std::size_t share_room) {
        const auto& req = *c.req;
        time = c.time;
        status = c.status;
        latency_ms = c.latency_ms;
        label_count = std::min(c.labels.size(), k_kept_labels);

        const std::string_view method_string = req.method_string();
        const std::string_view target_string = req.target();
        const auto request_version = http_version(req.version());
        const std::array<std::string_view, 5> request_line{method_string, " ", target_string, " ",
                                                           {request_version.data(), request_version.size()}};
        const head_text request_head(request_line, static_cast<const field_list&>(req));
        message_parts rq;
        std::string_view method_kept = method_string;
        std::string_view target_kept = target_string;
        std::string_view path_kept;
        request.version = static_cast<std::uint8_t>(req.version());
        request.status = 0;
        if (fits_fields_form(method_string.size() + target_string.size() + 2 + request_version.size(), req)) {
            request.form = head_form::fields;
            request.head_truncated = false;
            rq.fields_text = req.stored_text();
            rq.fields = as_text(req.stored_fields());
            path_in_target = c.path.data() == target_string.data() && c.path.size() <= target_string.size();
            path_size = c.path.size();
            if (!path_in_target) path_kept = kept_text(c.path);
        } else {
            request.form = head_form::formatted;
            const std::size_t size = request_head.size();
            request.head_truncated = size > k_kept_head_bytes;
            rq.formatted_size = std::min(size, k_kept_head_bytes);
            method_kept = kept_text(method_string);
            target_kept = {};
            path_in_target = false;
            path_kept = kept_text(c.path);
        }
        rq.body = note_body(request, req, req.body());

        message_parts rs;
        std::array<char, 8> response_version{};
        std::array<char, 3> status_digits{};
        std::array<std::string_view, 5> status_line{};
        if (c.res) {
            const auto& res = *c.res;
            const unsigned code = res.result_int();
            response_version = http_version(res.version());
            status_digits = {static_cast<char>('0' + code / 100 % 10), static_cast<char>('0' + code / 10 % 10),
                             static_cast<char>('0' + code % 10)};
            status_line = {{{response_version.data(), response_version.size()}, " ", {status_digits.data(), 3}, " ", res.reason()}};
            response.version = static_cast<std::uint8_t>(res.version());
            response.status = static_cast<std::uint16_t>(code);
            if (fits_fields_form(response_version.size() + 5 + status_line[4].size(), res)) {
                response.form = head_form::fields;
                response.head_truncated = false;
                rs.fields_text = res.stored_text();
                rs.fields = as_text(res.stored_fields());
            } else {
                response.form = head_form::formatted;
                const std::size_t size = head_text(status_line, static_cast<const field_list&>(res)).size();
                response.head_truncated = size > k_kept_head_bytes;
                rs.formatted_size = std::min(size, k_kept_head_bytes);
            }
            rs.body = note_body(response, res, res.body());
            // Not a body in a memory file: a share would keep the whole file (the other answers
            // in it) past the budget's count.
            if (const auto& shared = res.shared_body(); shared.owner && shared.file_fd < 0 && !rs.body.empty() &&
                                                         shared.bytes.size() <= share_room) {
                response_shared = shared;
                rs.body = {};
            } else {
                response_shared = {};
            }
        } else {
            response = {};
            response_shared = {};
        }

        std::size_t size = c.request_id.size() + method_kept.size() + target_kept.size() + path_kept.size() +
                           c.operation.size() + c.access_key_id.size() + c.account_id.size() + c.region.size() +
                           c.error_type.size() + c.fault_id.size() + rq.fields_text.size() + rq.fields.size() +
                           rq.formatted_size + rq.body.size() + rs.fields_text.size() + rs.fields.size() +
                           rs.formatted_size + rs.body.size();
        for (std::size_t i = 0; i < label_count; ++i) size += kept_text(c.labels[i].second).size();
        // In the order of `part`.
        part_writer w(*this, size);
        w.put(c.request_id);
        w.put(method_kept);
        w.put(target_kept);
        w.put(path_kept);
        w.put(c.operation);
        w.put(c.access_key_id);
        w.put(c.account_id);
        w.put(c.region);
        w.put(c.error_type);
        w.put(c.fault_id);
        if (request.form == head_form::formatted) {
            w.put(request_head, rq.formatted_size);
        } else {
            w.put(rq.fields_text);
        }
        w.put(rq.fields);
        w.put(rq.body);
        if (response.form == head_form::formatted) {
            w.put(head_text(status_line, static_cast<const field_list&>(*c.res)), rs.formatted_size);
        } else {
            w.put(rs.fields_text);
        }
        w.put(rs.fields);
        w.put(rs.body);
        for (std::size_t i = 0; i < k_kept_labels; ++i) {
            if (i < label_count) {
                label_names[i] = c.labels[i].first;
                w.put(kept_text(c.labels[i].second));
            } else {
                w.end(0);
            }
        }
    }

    void keep(const journal_entry& e) {
        time = e.time;
        status = e.status;
        latency_ms = e.latency_ms;
        label_count = std::min(e.labels.size(), k_kept_labels);
        path_in_target = false;
        response_shared = {};
        request = {head_form::formatted, e.request.head_truncated, e.request.body_binary, 11, 0, e.request.body_size};
        response = {head_form::formatted, e.response.head_truncated, e.response.body_binary, 11, 0, e.response.body_size};
        // In the order of `part`: no target, and no stored fields (the heads are text).
        const std::string_view parts[] = {e.request_id, e.method,        e.path,          e.operation,
                                          e.access_key_id, e.account_id, e.region,        e.error_type,
                                          e.fault_id,   e.request.head,  e.request.body,  e.response.head,
                                          e.response.body};
        std::size_t size = 0;
        for (const auto text_part : parts) size += text_part.size();
        for (std::size_t i = 0; i < label_count; ++i) size += e.labels[i].second.size();
        part_writer w(*this, size);
        w.put(e.request_id);
        w.put(e.method);
        w.end(0);  // target
        for (std::size_t k = 2; k < 9; ++k) w.put(parts[k]);
        w.put(e.request.head);
        w.end(0);  // request_fields
        w.put(e.request.body);
        w.put(e.response.head);
        w.end(0);  // response_fields
        w.put(e.response.body);
        for (std::size_t i = 0; i < k_kept_labels; ++i) {
            if (i < label_count) {
                label_names[i] = e.labels[i].first;
                w.put(e.labels[i].second);
            } else {
                w.end(0);
            }
        }
    }

    // The head of a message as the journal shows it: formatted now from the fields form.
    std::string head(const message_facts& m, std::span<const std::string_view> first_line, std::size_t fields_text,
                     bool& truncated) const {
        if (m.form == head_form::none) {
            truncated = false;
            return {};
        }
        if (m.form == head_form::formatted) {
            truncated = m.head_truncated;
            return std::string(part_text(fields_text));
        }
        const auto fields = kept_fields(part_text(fields_text), part_text(fields_text + 1));
        const head_text formatted(first_line, fields);
        const std::size_t size = formatted.size();
        truncated = size > k_kept_head_bytes;
        std::string out(std::min(size, k_kept_head_bytes), '\0');
        formatted.write(out.data(), out.size());
        return out;
    }

    journal_message message(const message_facts& m, std::span<const std::string_view> first_line,
                            std::size_t fields_text) const {
        journal_message out;
        out.head = head(m, first_line, fields_text, out.head_truncated);
        out.body = part_text(fields_text + 2);
        out.body_size = m.body_size;
        out.body_binary = m.body_binary;
        return out;
    }

    // The entry, with its request and response or without (a listing's summary).
    journal_entry entry(bool with_messages) const {
        const bool request_in_fields = request.form == head_form::fields;
        journal_entry e;
        e.sequence = sequence;
        e.time = time;
        e.request_id = part_text(request_id);
        e.method = request_in_fields ? kept_text(part_text(method)) : part_text(method);
        e.path = path_in_target ? kept_text(part_text(target).substr(0, path_size)) : part_text(path);
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
            const auto request_version = http_version(request.version);
            const std::array<std::string_view, 5> request_line{part_text(method), " ", part_text(target), " ",
                                                               {request_version.data(), request_version.size()}};
            e.request = message(request, request_line, request_fields_text);
            const auto response_version = http_version(response.version);
            const unsigned code = response.status;
            const char status_digits[3] = {static_cast<char>('0' + code / 100 % 10), static_cast<char>('0' + code / 10 % 10),
                                           static_cast<char>('0' + code % 10)};
            // The reason phrase is the status's (response::reason()).
            const hil::server::response reason_of(static_cast<http::status>(code), response.version);
            const std::array<std::string_view, 5> status_line{{{response_version.data(), response_version.size()}, " ",
                                                              {status_digits, 3}, " ", reason_of.reason()}};
            e.response = message(response, status_line, response_fields_text);
            if (response_shared.owner) e.response.body = response_shared.bytes.substr(0, k_kept_body_bytes);
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
    // Declared before the lock, so dropped after it: it may be the last share of an answer the
    // cache has let go, whose free() should not hold up other calls' records.
    shared_bytes replaced;
    std::lock_guard lock(mutex_);
    slot& s = next_slot();
    shared_bytes_ -= s.shared_size();
    replaced = std::move(s.response_shared);
    try {
        s.keep(call, share_budget() - shared_bytes_);
    } catch (...) {
        s.response_shared = {};  // so that the count stays that of the slots' shares (bad_alloc)
        throw;
    }
    shared_bytes_ += s.shared_size();
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
    shared_bytes_ -= s.shared_size();
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
    shared_bytes_ = 0;
    for (const auto& s : slots_) shared_bytes_ += s.shared_size();
}

}  // namespace hil::server
