// request_reader: reads one HTTP/1.1 request out of a connection's bytes into a request.
//
// The grammar is Beast's own (its basic_parser, which this derives from): the same bytes are
// accepted or refused as Beast's request_parser does, with the same error codes, header limit
// (request line and fields) and body limit (from Content-Length before any body byte, or as
// chunks arrive). What differs is where the request goes: into a server::request whose
// buffers are reused from one request to the next, instead of a fresh message with an
// allocation per field. A reader reads one request; the session makes a new one (it holds no
// allocation) for each.
// With a spool_rule, a body past the spool's threshold whose request the rule applies to is
// written to a file of the spool as it arrives (request::body_file()) instead of body(); the
// limits are the same. A file that cannot be made or written stops the read with
// beast::errc::io_error, and spool_error() says why.
//
//   request_reader reader(req, limits.header_limit, limits.body_limit);
//   std::size_t used = reader.put(net::buffer(bytes), ec);   // http::error::need_more: feed more
//   ... reader.is_done()
#pragma once

#include <cstdint>
#include <optional>

#include "api/api_error.hpp"
#include "server/body_spool.hpp"
#include "server/http_message.hpp"
#include "server/net.hpp"

namespace hil::server {

class request_reader : public http::basic_parser<true> {
public:
    // Clears `into` and reads the next request into it. `into` and `spool` (nullptr: bodies
    // stay in memory) must outlive the reader.
    request_reader(request& into, std::uint32_t header_limit, std::uint64_t body_limit,
                   const spool_rule* spool = nullptr);

    // Why the body could not be spooled, after a read that stopped with beast::errc::io_error.
    const std::optional<api::error>& spool_error() const { return spool_error_; }

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
    // Whether a body of `length` bytes in all (or so far) goes to a file; makes the file, and
    // moves what body() holds into it, the first time it does.
    bool spooling(std::uint64_t length, beast::error_code& ec);
    void fail_spool(api::error err, beast::error_code& ec);

    request& into_;
    const spool_rule* spool_;
    bool spool_asked_ = false;  // the rule was consulted for this request
    std::optional<api::error> spool_error_;
};

}  // namespace hil::server
