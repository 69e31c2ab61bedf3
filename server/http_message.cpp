#include "server/http_message.hpp"

#include <charconv>

namespace hil::server {
namespace {

std::string_view trim_blanks(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

// Whether the comma-separated `list` holds `token`, in any case.
bool list_has(std::string_view list, std::string_view token) {
    while (true) {
        const auto comma = list.find(',');
        if (beast::iequals(trim_blanks(list.substr(0, comma)), token)) return true;
        if (comma == std::string_view::npos) return false;
        list.remove_prefix(comma + 1);
    }
}

// `n` in decimal, written into `digits`.
std::string_view decimal(std::uint64_t n, char (&digits)[24]) {
    const auto end = std::to_chars(digits, digits + sizeof digits, n).ptr;
    return {digits, static_cast<std::size_t>(end - digits)};
}

void set_content_length(field_list& fields, std::size_t size) {
    char digits[24];
    fields.set(http::field::content_length, decimal(size, digits));
}

}  // namespace

std::string_view field_list::operator[](std::string_view name) const {
    const auto it = find(name);
    return it == end() ? std::string_view() : (*it).value();
}

field_list::iterator field_list::find(std::string_view name) const {
    for (std::size_t i = 0; i < entries_.size(); ++i) {
        if (entries_[i].name_size == name.size() && beast::iequals(at(i).name, name)) return {this, i};
    }
    return end();
}

void field_list::insert(std::string_view name, std::string_view value) {
    const auto name_at = static_cast<std::uint32_t>(text_.size());
    text_.append(name);
    const auto value_at = static_cast<std::uint32_t>(text_.size());
    text_.append(value);
    entries_.push_back({name_at, static_cast<std::uint32_t>(name.size()), value_at, static_cast<std::uint32_t>(value.size())});
}

void field_list::set(std::string_view name, std::string_view value) {
    erase(name);
    insert(name, value);
}

void field_list::erase(std::string_view name) {
    std::erase_if(entries_, [&](const stored_field& e) {
        return e.name_size == name.size() && beast::iequals(std::string_view(text_).substr(e.name_at, e.name_size), name);
    });
}

void field_list::clear_fields() {
    text_.clear();
    entries_.clear();
}

bool field_list::connection_has(std::string_view token) const {
    return list_has((*this)[http::field::connection], token);
}

void field_list::set_keep_alive(unsigned version, bool keep) {
    // Only the server sets Connection on its answers, so the field holds just this token.
    if (version < 11) {
        if (keep) {
            set(http::field::connection, "keep-alive");
        } else {
            erase(http::field::connection);
        }
    } else if (keep) {
        erase(http::field::connection);
    } else {
        set(http::field::connection, "close");
    }
}

void field_list::write_fields(std::string& out) const {
    for (const auto f : *this) {
        out.append(f.name);
        out.append(": ");
        out.append(f.value());
        out.append("\r\n");
    }
}

request::request(http::verb method, std::string_view target, unsigned version) : target_(target), version_(version) {
    this->method(method);
}

bool request::keep_alive() const {
    return version_ >= 11 ? !connection_has("close") : connection_has("keep-alive");
}

void request::method(http::verb v) {
    method_ = v;
    method_text_.assign(http::to_string(v));
}

void request::method_string(std::string_view text) {
    method_ = http::string_to_verb(text);
    method_text_.assign(text);
}

void request::prepare_payload() {
    const bool body_expected = !(method_ == http::verb::get || method_ == http::verb::head || method_ == http::verb::trace ||
                                 method_ == http::verb::connect || method_ == http::verb::options);
    if (!body_.empty() || body_expected) {
        set_content_length(*this, body_.size());
    } else {
        erase(http::field::content_length);
    }
    erase(http::field::transfer_encoding);
}

void request::clear() {
    clear_fields();
    method_ = http::verb::get;
    method_text_.clear();
    target_.clear();
    version_ = 11;
    body_.clear();
    body_file_.reset();
}

std::string_view response::reason() const { return http::obsolete_reason(result()); }

bool response::keep_alive() const {
    return version_ >= 11 ? !connection_has("close") : connection_has("keep-alive");
}

void response::prepare_payload() {
    erase(http::field::transfer_encoding);
    if ((status_ >= 100 && status_ < 200) || status_ == 204 || status_ == 304) {
        erase(http::field::content_length);
    } else {
        set_content_length(*this, body().size());
    }
}

void response::write_head(std::string& out) const {
    out.append(version_ >= 11 ? "HTTP/1.1 " : "HTTP/1.0 ");
    char digits[24];
    out.append(decimal(status_, digits));
    out.push_back(' ');
    out.append(reason());
    out.append("\r\n");
    write_fields(out);
    out.append("\r\n");
}

}  // namespace hil::server
