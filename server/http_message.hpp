// http_message: the request and the response as the server holds them.
//
// A request is what the session's request_reader read off the connection; a response is what
// the router finished. Each keeps its fields as offsets into one string of its own, so a
// message of ten fields costs one buffer, not ten, and a message reused for the next request
// on the connection keeps its capacity: in the steady state reading and answering allocates
// nothing per field. They offer the part of Beast's message interface that the server and its
// tests use, with Beast's meaning: field names compare case-insensitively, operator[] gives
// the first field of a name ("" when there is none), keep_alive() reads Connection as HTTP/1.0
// and HTTP/1.1 each define it, prepare_payload() sets Content-Length.
// Thread safety: none; a message belongs to one request at a time.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "server/net.hpp"
#include "server/shared_bytes.hpp"

namespace hil::server {

class spooled_body;  // server/body_spool.hpp

// One field of a message: views of the message's own text, valid until the message changes.
struct field_view {
    std::string_view name;
    std::string_view text;
    std::string_view name_string() const { return name; }
    std::string_view value() const { return text; }
};

// The fields of a message, in the order they came or were set.
class field_list {
public:
    // Where one field's name and value sit in stored_text().
    struct stored_field {
        std::uint32_t name_at, name_size, value_at, value_size;
    };

    class iterator {
    public:
        using value_type = field_view;
        using difference_type = std::ptrdiff_t;
        iterator(const field_list* list, std::size_t i) : list_(list), i_(i) {}
        field_view operator*() const { return list_->at(i_); }
        iterator& operator++() {
            ++i_;
            return *this;
        }
        bool operator==(const iterator& o) const { return i_ == o.i_; }
        bool operator!=(const iterator& o) const { return i_ != o.i_; }

    private:
        const field_list* list_;
        std::size_t i_;
    };

    iterator begin() const { return {this, 0}; }
    iterator end() const { return {this, entries_.size()}; }
    // The i-th field. REQUIRES: i < the number of fields. Inline: the journal and the
    // router's lookups walk the fields for every request.
    field_view at(std::size_t i) const {
        const auto& e = entries_[i];
        return {{text_.data() + e.name_at, e.name_size}, {text_.data() + e.value_at, e.value_size}};
    }

    // The value of the first field named `name` (any case), or "" when there is none.
    std::string_view operator[](std::string_view name) const;
    std::string_view operator[](http::field f) const { return (*this)[http::to_string(f)]; }
    // The first field named `name`, or end().
    iterator find(std::string_view name) const;
    iterator find(http::field f) const { return find(http::to_string(f)); }

    // Adds a field after the others.
    void insert(std::string_view name, std::string_view value);
    // Replaces every field named `name` with this one (placed last).
    void set(std::string_view name, std::string_view value);
    void set(http::field f, std::string_view value) { set(http::to_string(f), value); }
    void erase(std::string_view name);
    void erase(http::field f) { erase(http::to_string(f)); }
    // Removes every field, keeping the capacity for the next message.
    void clear_fields();
    // Room for `fields` fields of `text` bytes in all, allocated now rather than as they come.
    void reserve_fields(std::size_t text, std::size_t fields) {
        text_.reserve(text);
        entries_.reserve(fields);
    }

    // The fields as they are stored, for whoever keeps a copy to read later (the request
    // journal copies both as bytes and makes fields of them only when they are asked for):
    // each field's name and value are in stored_text() where its stored_field says. The text
    // may also hold the bytes of erased fields. Valid until the message changes.
    std::string_view stored_text() const { return text_; }
    std::span<const stored_field> stored_fields() const { return entries_; }

protected:
    // Whether Connection's first field lists `token` (any case) among its comma-separated tokens.
    bool connection_has(std::string_view token) const;
    // What Beast's keep_alive(bool) does to Connection, for a message of `version`.
    void set_keep_alive(unsigned version, bool keep);

    // "name: value\r\n" for each field, in order, to `out`.
    void write_fields(std::string& out) const;

private:
    std::string text_;  // every field's name and value; erased ones leave their bytes until clear_fields()
    std::vector<stored_field> entries_;
};

class request : public field_list {
public:
    request() = default;
    request(http::verb method, std::string_view target, unsigned version);

    http::verb method() const { return method_; }
    std::string_view method_string() const { return method_text_; }
    std::string_view target() const { return target_; }
    unsigned version() const { return version_; }
    const std::string& body() const { return body_; }
    std::string& body() { return body_; }
    // The body, when the reader spooled it to a file (server/body_spool.hpp); body() is then
    // empty. nullptr when the body is in memory. The file goes with the last request holding it.
    const spooled_body* body_file() const { return body_file_.get(); }
    spooled_body* body_file() { return body_file_.get(); }
    void body_file(std::shared_ptr<spooled_body> file) { body_file_ = std::move(file); }
    // HTTP/1.1: unless Connection says close; HTTP/1.0: only when it says keep-alive.
    bool keep_alive() const;

    void method(http::verb v);
    // A method by its text; one Beast does not know is http::verb::unknown with this text.
    void method_string(std::string_view text);
    void target(std::string_view t) { target_.assign(t); }
    void version(unsigned v) { version_ = v; }
    void keep_alive(bool keep) { set_keep_alive(version_, keep); }
    // Content-Length from the body (none for a GET or HEAD without one), as Beast's does.
    void prepare_payload();
    // Empties the request, keeping its buffers' capacity (the session's next request), and
    // lets go of its body file.
    void clear();

private:
    http::verb method_ = http::verb::get;
    std::string method_text_ = "GET";
    std::string target_ = "/";
    unsigned version_ = 11;
    std::string body_;
    std::shared_ptr<spooled_body> body_file_;
};

class response : public field_list {
public:
    response() = default;
    // An answer gets its usual fields (Content-Type, x-amzn-RequestId, Date, Content-Length,
    // a few of the handler's) without growing its storage field by field: that was six
    // allocations an answer.
    response(http::status status, unsigned version) : status_(static_cast<unsigned>(status)), version_(version) {
        reserve_fields(256, 8);
    }

    http::status result() const { return static_cast<http::status>(status_); }
    unsigned result_int() const { return status_; }
    void result(http::status s) { status_ = static_cast<unsigned>(s); }
    void result(unsigned s) { status_ = s; }
    // The reason phrase written after the status (Beast's obsolete_reason).
    std::string_view reason() const;
    unsigned version() const { return version_; }
    void version(unsigned v) { version_ = v; }
    // The body's bytes: its own text, or the shared bytes it was given. Valid until the body
    // is set again or the response is destroyed.
    std::string_view body() const { return shared_.owner ? shared_.bytes : std::string_view(body_); }
    // The body becomes `text`, or the shared bytes (an answer of the answer cache), which the
    // response then holds a share of instead of a copy.
    void body(std::string text) {
        body_ = std::move(text);
        shared_ = {};
    }
    void body(shared_bytes shared) {
        shared_ = std::move(shared);
        body_.clear();
    }
    // The shared bytes the body is, or none (null owner) when the body is the response's own text.
    const shared_bytes& shared_body() const { return shared_; }
    bool keep_alive() const;
    void keep_alive(bool keep) { set_keep_alive(version_, keep); }
    // Content-Length from the body; none for 1xx, 204 and 304.
    void prepare_payload();

    // The status line, every field and the blank line, appended to `out`: what goes on the
    // wire before the body.
    void write_head(std::string& out) const;

private:
    unsigned status_ = 200;
    unsigned version_ = 11;
    std::string body_;     // the body, unless shared_ has an owner
    shared_bytes shared_;
};

}  // namespace hil::server
