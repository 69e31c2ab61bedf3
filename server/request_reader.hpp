// request_reader: reads one HTTP/1.1 request out of a connection's bytes into a request.
//
// The grammar is Beast's own (its basic_parser, which this derives from): the same bytes are
// accepted or refused as Beast's request_parser does, with the same error codes, header limit
// (request line and fields) and body limit (from Content-Length before any body byte, or as
// chunks arrive). What differs is where the request goes: into a server::request whose
// buffers are reused from one request to the next, instead of a fresh message with an
// allocation per field. A reader reads one request; the session makes a new one (it holds no
// allocation) for each.
//
//   request_reader reader(req, limits.header_limit, limits.body_limit);
//   std::size_t used = reader.put(net::buffer(bytes), ec);   // http::error::need_more: feed more
//   ... reader.is_done()
#pragma once

#include <cstdint>

#include "server/http_message.hpp"
#include "server/net.hpp"

namespace hil::server {

class request_reader : public http::basic_parser<true> {
public:
    // Clears `into` and reads the next request into it. `into` must outlive the reader.
    request_reader(request& into, std::uint32_t header_limit, std::uint64_t body_limit);

private:
    void on_request_impl(http::verb method, beast::string_view method_text, beast::string_view target, int version,
                         beast::error_code& ec) override;
    void on_response_impl(int, beast::string_view, int, beast::error_code&) override {}
    void on_field_impl(http::field, beast::string_view name, beast::string_view value, beast::error_code&) override;
    void on_header_impl(beast::error_code&) override {}
    void on_body_init_impl(const boost::optional<std::uint64_t>& content_length, beast::error_code&) override;
    std::size_t on_body_impl(beast::string_view body, beast::error_code&) override;
    void on_chunk_header_impl(std::uint64_t, beast::string_view, beast::error_code&) override {}
    std::size_t on_chunk_body_impl(std::uint64_t, beast::string_view body, beast::error_code& ec) override {
        return on_body_impl(body, ec);
    }
    void on_finish_impl(beast::error_code&) override {}

    request& into_;
};

}  // namespace hil::server
