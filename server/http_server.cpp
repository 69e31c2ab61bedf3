#include "server/http_server.hpp"

#include <csignal>
#include <thread>

namespace hil::server {
namespace {

// One io_context a thread: the hint of 1 lets Asio skip the wake-ups a shared queue needs.
std::vector<std::unique_ptr<net::io_context>> make_loops(unsigned threads) {
    std::vector<std::unique_ptr<net::io_context>> loops;
    for (unsigned i = 0; i < std::max(1u, threads); ++i) loops.push_back(std::make_unique<net::io_context>(1));
    return loops;
}

}  // namespace

http_server::http_server(server_options options, router& routes, logger& log)
    : options_(std::move(options)),
      routes_(routes),
      log_(log),
      loops_(make_loops(options_.threads)),
      control_(net::make_strand(*loops_.front())),
      signals_(control_),
      deadline_(control_) {
    for (const auto& loop : loops_) idle_guards_.push_back(net::make_work_guard(*loop));
}

http_server::~http_server() {
    tracker_.forget_on_empty();
    blocking_.stop();
    blocking_.join();
}

api::result<tcp::endpoint> http_server::listen() {
    beast::error_code ec;
    const auto address = net::ip::make_address(options_.host == "localhost" ? "127.0.0.1" : options_.host, ec);
    if (ec) return api::error::internal("'" + options_.host + "' is not an IP address");
    if (!spool_) {
        auto made = body_spool::make(options_.spool_parent, options_.spool_threshold);
        if (!made) return made.err();
        spool_.emplace(std::move(made).value());
    }
    // A peer that resets a connection a sendfile(2) writes to (session::send_from_file) would
    // kill the process with SIGPIPE: sendfile has no MSG_NOSIGNAL. Asio's own sends pass it; the
    // signal is of no use to a server, so it is ignored for the whole process, as nginx does.
    ::signal(SIGPIPE, SIG_IGN);
    std::vector<net::io_context*> loops;
    for (const auto& loop : loops_) loops.push_back(loop.get());
    auto l = listener::open(std::move(loops), tcp::endpoint(address, options_.port), routes_, options_, tracker_, log_,
                            blocking_, &*spool_);
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
    auto work = [this](net::io_context& loop) {
        for (;;) {
            try {
                loop.run();
                return;
            } catch (const std::exception& e) {
                // A handler escaped its own error handling; keep the other connections served.
                log_.error(std::string("unexpected exception in the I/O loop: ") + e.what());
            }
        }
    };
    std::vector<std::thread> pool;
    for (std::size_t i = 1; i < loops_.size(); ++i) pool.emplace_back(work, std::ref(*loops_[i]));
    work(*loops_.front());
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
    // From here a loop runs as long as its connections do.
    idle_guards_.clear();
    deadline_.expires_after(options_.shutdown_timeout);
    deadline_.async_wait([this](beast::error_code wait_ec) {
        if (wait_ec) return;  // every connection finished in time
        log_.warn("shutdown timeout reached; closing the connections still open");
        for (const auto& loop : loops_) loop->stop();
    });
    tracker_.shutdown_all([this] { net::post(control_, [this] { deadline_.cancel(); }); });
}

}  // namespace hil::server
