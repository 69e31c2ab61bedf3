#include "tests/support/http_client.hpp"

#include <stdexcept>

namespace hil::test {

namespace net = server::net;
namespace beast = server::beast;
namespace http = server::http;

http_client::http_client(unsigned short port, std::chrono::milliseconds deadline)
    : stream_(ioc_), deadline_(deadline) {
    const auto ec = run([&](auto done) {
        stream_.async_connect(server::tcp::endpoint(net::ip::make_address_v4("127.0.0.1"), port), done);
    });
    if (ec) throw std::runtime_error("connect to port " + std::to_string(port) + ": " + ec.message());
}

// Runs one async operation to completion under the deadline. tcp_stream closes the socket
// when the deadline passes, so the operation then completes with beast::error::timeout.
template <class Op>
error_code http_client::run(Op op) {
    error_code result = net::error::would_block;
    stream_.expires_after(deadline_);
    op([&result](error_code ec, auto&&...) { result = ec; });
    ioc_.restart();
    ioc_.run();
    return result;
}

response http_client::get(std::string_view target, unsigned version) {
    return request(http::verb::get, target, {}, {}, version);
}

response http_client::request(http::verb method, std::string_view target,
                              const std::vector<std::pair<std::string, std::string>>& headers, std::string body,
                              unsigned version) {
    http::request<http::string_body> req{method, target, version};
    req.set(http::field::host, "127.0.0.1");
    for (const auto& [name, value] : headers) req.set(name, value);
    if (!body.empty() || method == http::verb::post) {
        req.body() = std::move(body);
        req.prepare_payload();
    }
    const auto ec = run([&](auto done) { http::async_write(stream_, req, done); });
    if (ec) throw std::runtime_error("write " + std::string(target) + ": " + ec.message());
    return read_response();
}

void http_client::write_raw(std::string_view bytes) {
    const auto ec = run([&](auto done) { net::async_write(stream_, net::buffer(bytes.data(), bytes.size()), done); });
    if (ec) throw std::runtime_error("raw write: " + ec.message());
}

response http_client::read_response() {
    response res;
    const auto ec = run([&](auto done) { http::async_read(stream_, buffer_, res, done); });
    if (ec) throw std::runtime_error("read: " + ec.message());
    return res;
}

bool http_client::closed_by_peer() {
    char scratch[4096];
    for (;;) {
        // Stray bytes after the last answer are skipped: only the close matters here.
        const auto ec = run([&](auto done) { stream_.async_read_some(net::buffer(scratch), done); });
        if (ec == beast::error::timeout) return false;
        if (ec) return true;  // eof, or reset: either way the server is gone
    }
}

}  // namespace hil::test
