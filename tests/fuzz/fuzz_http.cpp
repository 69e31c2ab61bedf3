// Fuzzes the raw HTTP path as a session runs it: bytes into the session's request_reader with
// the server's default limits, a fresh reader per request into one reused request
// (pipelining), each complete request to the router, each parse error to the protocol error
// answer the session would send. Beast's own request_parser reads the same bytes beside it:
// the two must accept and refuse alike and read the same method, target, version, fields and body.
#include <algorithm>
#include <cctype>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "api/api_error.hpp"
#include "fuzz_world.hpp"
#include "server/request_reader.hpp"
#include "server/server_options.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace hil;
    namespace http = server::http;
    static const server::server_options limits;
    auto& routes = fuzz::world::get().routes();

    boost::asio::const_buffer rest(data, size);
    server::request req;
    // At most a few dozen requests per input keeps each run fast; more adds nothing.
    for (int requests = 0; requests < 64 && rest.size() > 0; ++requests) {
        server::request_reader reader(req, limits.header_limit, limits.body_limit);
        http::request_parser<http::string_body> beast_parser;
        beast_parser.header_limit(limits.header_limit);
        beast_parser.body_limit(limits.body_limit);
        beast_parser.eager(true);
        server::beast::error_code ec;
        server::beast::error_code beast_ec;
        boost::asio::const_buffer beast_rest = rest;
        // The session feeds what it has and reads more on need_more: here, all of it at once.
        const auto feed = [](auto& parser, boost::asio::const_buffer& bytes, server::beast::error_code& error) {
            while (bytes.size() > 0 && !parser.is_done()) {
                const auto used = parser.put(bytes, error);
                bytes += used;
                if (error == http::error::need_more) {
                    error = {};
                    if (used == 0) break;  // an incomplete request at the end of the input
                    continue;
                }
                if (error) break;
            }
            if (!error && !parser.is_done()) {
                parser.put_eof(error);  // the client closed mid-request
                return !error;          // true: nothing more to read
            }
            return false;
        };
        const bool ended = feed(reader, rest, ec);
        const bool beast_ended = feed(beast_parser, beast_rest, beast_ec);
        fuzz::require(ec == beast_ec, "request_reader and Beast disagree on the error");
        fuzz::require(ended == beast_ended && rest.size() == beast_rest.size(), "request_reader and Beast used different bytes");
        if (ended) break;
        if (ec) {
            // The session answers a parse error, then closes: nothing after it is read.
            const auto err = ec == http::error::header_limit ? api::error::of(api::error_code::header_fields_too_large)
                             : ec == http::error::body_limit  ? api::error::of(api::error_code::payload_too_large)
                                                              : api::error::bad_request("Malformed HTTP request: " + ec.message());
            const auto res = routes.protocol_error(err, reader.is_header_done() ? req.version() : 11);
            fuzz::check_response(res);
            fuzz::require(!res.keep_alive(), "a protocol error keeps the connection open");
            return 0;
        }
        const auto& theirs = beast_parser.get();
        fuzz::require(req.method() == theirs.method() && req.method_string() == theirs.method_string() &&
                          req.target() == theirs.target() && req.version() == theirs.version() && req.body() == theirs.body(),
                      "request_reader and Beast read a different request line or body");
        // Beast lists a field right after the earlier ones of its name; the reader keeps the order
        // the fields came in. The same fields, then: per name (any case), the same values in order.
        const auto by_name = [](const auto& fields) {
            std::vector<std::pair<std::string, std::string>> out;
            for (const auto& f : fields) {
                std::string name(f.name_string());
                for (auto& ch : name) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
                out.emplace_back(std::move(name), std::string(f.value()));
            }
            std::stable_sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
            return out;
        };
        fuzz::require(by_name(req) == by_name(theirs), "request_reader and Beast read different fields");
        fuzz::require(req.keep_alive() == theirs.keep_alive(), "request_reader and Beast disagree on keep-alive");
        const auto res = routes.handle(req);
        fuzz::check_response(res);
        if (!res.keep_alive()) return 0;
    }
    return 0;
}
