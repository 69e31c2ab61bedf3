#include "server/request_reader.hpp"

#include <algorithm>

namespace hil::server {
namespace {

// A declared length is reserved up to this much at once; the rest as the bytes arrive, so a
// client that announces 60 MB and sends nothing holds no 60 MB buffer.
constexpr std::uint64_t k_max_reserve = 1 << 20;

}  // namespace

request_reader::request_reader(request& into, std::uint32_t header_limit, std::uint64_t body_limit,
                               const spool_rule* spool)
    : into_(into), spool_(spool) {
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

void request_reader::on_body_init_impl(const boost::optional<std::uint64_t>& content_length, beast::error_code& ec) {
    if (!content_length) return;
    // A declared length past the threshold goes to the file from its first byte.
    if (spooling(*content_length, ec) || ec) return;
    into_.body().reserve(static_cast<std::size_t>(std::min(*content_length, k_max_reserve)));
}

std::size_t request_reader::on_body_impl(beast::string_view body, beast::error_code& ec) {
    // A chunked body is known to pass the threshold only as it does.
    if (spooling(into_.body().size() + body.size(), ec)) {
        if (auto s = into_.body_file()->append(std::string_view(body.data(), body.size())); !s) {
            fail_spool(s.err(), ec);
            return 0;
        }
        return body.size();
    }
    if (ec) return 0;
    into_.body().append(body.data(), body.size());
    return body.size();
}

bool request_reader::spooling(std::uint64_t length, beast::error_code& ec) {
    if (into_.body_file()) return true;
    if (!spool_ || spool_asked_ || length <= spool_->spool.threshold()) return false;
    spool_asked_ = true;
    if (!spool_->applies(into_)) return false;
    auto file = spool_->spool.create();
    if (!file) {
        fail_spool(file.err(), ec);
        return false;
    }
    if (auto s = file.value()->append(into_.body()); !s) {
        fail_spool(s.err(), ec);
        return false;
    }
    into_.body().clear();
    into_.body_file(std::move(file).value());
    return true;
}

void request_reader::fail_spool(api::error err, beast::error_code& ec) {
    spool_error_ = std::move(err);
    into_.body_file(nullptr);
    ec = beast::errc::make_error_code(beast::errc::io_error);
}

}  // namespace hil::server
