#include "server/listener.hpp"

namespace hil::server {

listener::listener(std::vector<net::io_context*> loops, router& routes, const server_options& options,
                   session_tracker& tracker, logger& log, net::thread_pool& blocking, const body_spool* spool)
    : loops_(std::move(loops)),
      acceptor_(*loops_.front()),  // one thread runs it: no strand needed
      backoff_(acceptor_.get_executor()),
      routes_(routes),
      options_(options),
      tracker_(tracker),
      log_(log),
      blocking_(blocking),
      spool_(spool) {}

api::result<std::shared_ptr<listener>> listener::open(std::vector<net::io_context*> loops, const tcp::endpoint& endpoint,
                                                      router& routes, const server_options& options,
                                                      session_tracker& tracker, logger& log, net::thread_pool& blocking,
                                                      const body_spool* spool) {
    std::shared_ptr<listener> l(new listener(std::move(loops), routes, options, tracker, log, blocking, spool));
    beast::error_code ec;
    const auto where = endpoint.address().to_string() + ":" + std::to_string(endpoint.port());
    l->acceptor_.open(endpoint.protocol(), ec);
    if (!ec) l->acceptor_.set_option(net::socket_base::reuse_address(true), ec);
    if (!ec) l->acceptor_.bind(endpoint, ec);
    if (!ec) l->acceptor_.listen(net::socket_base::max_listen_connections, ec);
    if (ec) return api::error::internal("cannot listen on " + where + ": " + ec.message());
    return l;
}

tcp::endpoint listener::local_endpoint() const {
    beast::error_code ec;
    return acceptor_.local_endpoint(ec);
}

void listener::run() {
    net::dispatch(acceptor_.get_executor(), beast::bind_front_handler(&listener::do_accept, shared_from_this()));
}

void listener::stop() {
    net::dispatch(acceptor_.get_executor(), [self = shared_from_this()] {
        beast::error_code ec;
        self->backoff_.cancel();
        self->acceptor_.close(ec);
    });
}

void listener::do_accept() {
    if (!acceptor_.is_open()) return;
    net::io_context& loop = *loops_[next_loop_];
    next_loop_ = (next_loop_ + 1) % loops_.size();
    acceptor_.async_accept(loop, beast::bind_front_handler(&listener::on_accept, shared_from_this()));
}

void listener::on_accept(beast::error_code ec, session_socket socket) {
    if (ec == net::error::operation_aborted || !acceptor_.is_open()) return;
    if (ec) {
        // Out of file descriptors and the like: say so, and try again shortly rather than
        // spinning on the same failure.
        log_.warn("accept failed: " + ec.message());
        backoff_.expires_after(std::chrono::milliseconds(50));
        backoff_.async_wait([self = shared_from_this()](beast::error_code) { self->do_accept(); });
        return;
    }
    beast::error_code ignored;
    if (tracker_.size() >= options_.max_connections) {
        // Accept-and-close rather than leaving it in the backlog: the client learns at once
        // and retries, and a flood of connections cannot exhaust file descriptors.
        if (!refusing_) log_.warn("connection limit reached (" + std::to_string(options_.max_connections) +
                                  "); closing new connections until some end");
        refusing_ = true;
        socket.shutdown(tcp::socket::shutdown_both, ignored);
        socket.close(ignored);
        return do_accept();
    }
    refusing_ = false;
    auto s = std::make_shared<session>(std::move(socket), routes_, options_, tracker_, log_, blocking_, spool_);
    tracker_.add(s);
    s->run();
    do_accept();
}

}  // namespace hil::server
