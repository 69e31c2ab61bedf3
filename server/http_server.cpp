#include "server/http_server.hpp"

#include <thread>
#include <vector>

namespace hil::server {

http_server::http_server(server_options options, router& routes, logger& log)
    : options_(std::move(options)),
      routes_(routes),
      log_(log),
      ioc_(static_cast<int>(std::max(1u, options_.threads))),
      control_(net::make_strand(ioc_)),
      signals_(control_),
      deadline_(control_) {}

http_server::~http_server() {
    blocking_.stop();
    blocking_.join();
}

api::result<tcp::endpoint> http_server::listen() {
    beast::error_code ec;
    const auto address = net::ip::make_address(options_.host == "localhost" ? "127.0.0.1" : options_.host, ec);
    if (ec) return api::error::internal("'" + options_.host + "' is not an IP address");
    auto l = listener::open(ioc_, tcp::endpoint(address, options_.port), routes_, options_, tracker_, log_, blocking_);
    if (!l) return l.err();
    listener_ = std::move(l).value();
    return listener_->local_endpoint();
}

void http_server::stop_on_signals() {
    signals_.add(SIGINT);
    signals_.add(SIGTERM);
    signals_.async_wait([this](beast::error_code ec, int signo) {
        if (ec) return;
        log_.info(std::string("received ") + (signo == SIGINT ? "SIGINT" : "SIGTERM") + ", shutting down");
        stop();
    });
}

void http_server::run() {
    listener_->run();
    auto work = [this] {
        for (;;) {
            try {
                ioc_.run();
                return;
            } catch (const std::exception& e) {
                // A handler escaped its own error handling; keep the other connections served.
                log_.error(std::string("unexpected exception in the I/O loop: ") + e.what());
            }
        }
    };
    std::vector<std::thread> pool;
    for (unsigned i = 1; i < options_.threads; ++i) pool.emplace_back(work);
    work();
    for (auto& t : pool) t.join();
}

void http_server::stop() {
    if (stopping_.exchange(true)) return;
    net::post(control_, [this] { do_stop(); });
}

void http_server::do_stop() {
    beast::error_code ec;
    signals_.cancel(ec);
    if (listener_) listener_->stop();
    deadline_.expires_after(options_.shutdown_timeout);
    deadline_.async_wait([this](beast::error_code wait_ec) {
        if (wait_ec) return;  // every connection finished in time
        log_.warn("shutdown timeout reached; closing the connections still open");
        ioc_.stop();
    });
    tracker_.shutdown_all([this] { net::post(control_, [this] { deadline_.cancel(); }); });
}

}  // namespace hil::server
