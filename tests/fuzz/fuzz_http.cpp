// Fuzzes the raw HTTP path as a session runs it: bytes into Beast's request_parser with the
// server's default limits, a fresh parser per request (pipelining), each complete request
// to the router, each parse error to the protocol error answer the session would send.
#include <cstddef>
#include <cstdint>
#include <optional>

#include "api/api_error.hpp"
#include "fuzz_world.hpp"
#include "server/server_options.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace hil;
    namespace http = server::http;
    static const server::server_options limits;
    auto& routes = fuzz::world::get().routes();

    boost::asio::const_buffer rest(data, size);
    // At most a few dozen requests per input keeps each run fast; more adds nothing.
    for (int requests = 0; requests < 64 && rest.size() > 0; ++requests) {
        http::request_parser<http::string_body> parser;
        parser.header_limit(limits.header_limit);
        parser.body_limit(limits.body_limit);
        parser.eager(true);
        server::beast::error_code ec;
        while (rest.size() > 0 && !parser.is_done()) {
            const auto used = parser.put(rest, ec);
            rest += used;
            if (ec == http::error::need_more) {
                ec = {};
                if (used == 0) break;  // an incomplete request at the end of the input
                continue;
            }
            if (ec) break;
        }
        if (!ec && !parser.is_done()) {
            parser.put_eof(ec);  // the client closed mid-request
            if (!ec) break;
        }
        if (ec) {
            // The session answers a parse error, then closes: nothing after it is read.
            const auto err = ec == http::error::header_limit ? api::error::of(api::error_code::header_fields_too_large)
                             : ec == http::error::body_limit  ? api::error::of(api::error_code::payload_too_large)
                                                              : api::error::bad_request("Malformed HTTP request: " + ec.message());
            const auto res = routes.protocol_error(err, parser.is_header_done() ? parser.get().version() : 11);
            fuzz::check_response(res);
            fuzz::require(!res.keep_alive(), "a protocol error keeps the connection open");
            return 0;
        }
        const auto res = routes.handle(parser.get());
        fuzz::check_response(res);
        if (!res.keep_alive()) return 0;
    }
    return 0;
}
