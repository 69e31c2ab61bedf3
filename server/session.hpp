// session: one HTTP/1.1 connection. Reads a request (a fresh parser each time, with the
// header and body limits), hands it to the router, writes the answer, and loops while the
// client keeps the connection alive. Pipelined requests are answered in order.
// Malformed HTTP gets a 400 (431, 413 for the limits) in the API's error envelope and the
// connection is closed. Everything a session does runs on its own strand.
#pragma once

#include <functional>
#include <memory>
#include <optional>

#include "server/logger.hpp"
#include "server/net.hpp"
#include "server/router.hpp"
#include "server/server_options.hpp"

namespace hil::server {

class session_tracker;

class session : public std::enable_shared_from_this<session> {
public:
    session(session_socket&& socket, router& routes, const server_options& options, session_tracker& tracker,
            logger& log);
    ~session();

    void run();
    // Graceful stop: an idle connection closes now; a busy one closes after its answer.
    void shutdown();

private:
    void do_read();
    void on_header(beast::error_code ec, std::size_t bytes);
    void on_read(beast::error_code ec, std::size_t bytes);
    void deliver(routed&& r);
    void send(response&& res);
    void on_write(bool close, beast::error_code ec, std::size_t bytes);
    void do_close();

    session_stream stream_;
    beast::flat_buffer buffer_;
    std::optional<http::request_parser<http::string_body>> parser_;
    response res_;
    net::steady_timer delay_timer_;  // holds an answer back for a delay fault
    router& routes_;
    const server_options& options_;
    session_tracker& tracker_;
    logger& log_;
    bool reading_ = false;
    bool closing_ = false;
};

// Knows every live session, so a graceful stop can reach them.
// Thread safety: all members are safe from any thread.
class session_tracker {
public:
    void add(const std::shared_ptr<session>& s);
    void remove(session* s);
    // Calls shutdown() on every live session; `on_empty` runs (once) when none is left.
    void shutdown_all(std::function<void()> on_empty);
    std::size_t size() const;

private:
    mutable std::mutex mutex_;  // guards the members below
    std::vector<std::pair<session*, std::weak_ptr<session>>> sessions_;
    std::function<void()> on_empty_;
};

}  // namespace hil::server
