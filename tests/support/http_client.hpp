// http_client: a small blocking HTTP/1.1 client for the server tests, one TCP connection per
// object. Every call has a deadline (default 5 s) so a server that never answers fails the
// test instead of hanging it. Besides well-formed requests it can send raw bytes, for
// malformed requests and pipelining.
// Thread safety: one object per thread.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "server/net.hpp"

namespace hil::test {

using server::beast::error_code;
using response = server::http::response<server::http::string_body>;

class http_client {
public:
    // Connects to 127.0.0.1:port. Throws std::runtime_error when it cannot.
    explicit http_client(unsigned short port, std::chrono::milliseconds deadline = std::chrono::seconds(5));

    // Sends one request and reads its answer. Throws std::runtime_error naming the failing
    // step (write/read) and the cause, e.g. when the server closed the connection.
    response get(std::string_view target, unsigned version = 11);
    response request(server::http::verb method, std::string_view target,
                     const std::vector<std::pair<std::string, std::string>>& headers = {},
                     std::string body = {}, unsigned version = 11);

    // Writes `bytes` as they are, in one write.
    void write_raw(std::string_view bytes);
    // Reads one answer; bytes already buffered (pipelined answers) are used first.
    response read_response();
    // Reads until the server closes the connection. True when it did (end of stream or reset)
    // before the deadline; false when the connection was still open at the deadline.
    bool closed_by_peer();

private:
    template <class Op>
    error_code run(Op op);

    server::net::io_context ioc_;
    server::beast::tcp_stream stream_;
    server::beast::flat_buffer buffer_;
    std::chrono::milliseconds deadline_;
};

}  // namespace hil::test
