#include "server/probe.hpp"

#include <chrono>

#include "server/control_handlers.hpp"
#include "server/net.hpp"

namespace hil::server {

int probe_health(const std::string& host, unsigned short port, std::string& out) {
    // A server listening on every address is reachable on loopback.
    const std::string target_host = (host == "0.0.0.0" || host == "localhost") ? "127.0.0.1" : host == "::" ? "::1" : host;
    net::io_context ioc;
    beast::tcp_stream stream(ioc);
    beast::error_code ec;
    const auto address = net::ip::make_address(target_host, ec);
    if (ec) {
        out = "probe: '" + host + "' is not an IP address";
        return 1;
    }
    stream.expires_after(std::chrono::seconds(2));
    http::response<http::string_body> res;
    stream.async_connect(tcp::endpoint(address, port), [&](beast::error_code cec) {
        if (cec) { ec = cec; return; }
        auto req = std::make_shared<http::request<http::empty_body>>(http::verb::get, std::string(k_health_path), 11);
        req->set(http::field::host, target_host);
        req->keep_alive(false);
        http::async_write(stream, *req, [&, req](beast::error_code wec, std::size_t) {
            if (wec) { ec = wec; return; }
            auto buffer = std::make_shared<beast::flat_buffer>();
            http::async_read(stream, *buffer, res, [&, buffer](beast::error_code rec, std::size_t) { ec = rec; });
        });
    });
    ioc.run();
    if (ec) {
        out = "probe: " + target_host + ":" + std::to_string(port) + ": " + ec.message();
        return 1;
    }
    out = "probe: " + std::to_string(res.result_int()) + " " + res.body();
    return res.result() == http::status::ok ? 0 : 1;
}

}  // namespace hil::server
