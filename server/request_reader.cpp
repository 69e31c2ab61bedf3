#include "server/request_reader.hpp"

#include <algorithm>

namespace hil::server {
namespace {

// A declared length is reserved up to this much at once; the rest as the bytes arrive, so a
// client that announces 60 MB and sends nothing holds no 60 MB buffer.
constexpr std::uint64_t k_max_reserve = 1 << 20;

}  // namespace

request_reader::request_reader(request& into, std::uint32_t header_limit, std::uint64_t body_limit) : into_(into) {
    into_.clear();
    this->header_limit(header_limit);
    this->body_limit(body_limit);
    eager(true);
}

void request_reader::on_request_impl(http::verb method, beast::string_view method_text, beast::string_view target,
                                     int version, beast::error_code&) {
    into_.method_string(std::string_view(method_text.data(), method_text.size()));
    if (method != http::verb::unknown) into_.method(method);
    into_.target(std::string_view(target.data(), target.size()));
    into_.version(static_cast<unsigned>(version));
}

void request_reader::on_field_impl(http::field, beast::string_view name, beast::string_view value, beast::error_code&) {
    into_.insert(std::string_view(name.data(), name.size()), std::string_view(value.data(), value.size()));
}

void request_reader::on_body_init_impl(const boost::optional<std::uint64_t>& content_length, beast::error_code&) {
    if (content_length) into_.body().reserve(static_cast<std::size_t>(std::min(*content_length, k_max_reserve)));
}

std::size_t request_reader::on_body_impl(beast::string_view body, beast::error_code&) {
    into_.body().append(body.data(), body.size());
    return body.size();
}

}  // namespace hil::server
