// listener: accepts connections and starts a session for each, on the I/O loops in turn.
// `blocking` is the pool sessions route requests that may block on (router::may_block);
// `spool` where they put large bodies (router::spools_body; nullptr: none).
#pragma once

#include <memory>
#include <vector>

#include "api/result.hpp"
#include "server/logger.hpp"
#include "server/net.hpp"
#include "server/router.hpp"
#include "server/server_options.hpp"
#include "server/session.hpp"

namespace hil::server {

class listener : public std::enable_shared_from_this<listener> {
public:
    // Binds and listens on `endpoint`; accepts on loops.front(), and gives each connection to
    // the next of `loops` (REQUIRES: not empty; they outlive the listener). Error:
    // InternalServerException naming the address and the cause (address in use, permission
    // denied, ...).
    static api::result<std::shared_ptr<listener>> open(std::vector<net::io_context*> loops, const tcp::endpoint& endpoint,
                                                       router& routes, const server_options& options,
                                                       session_tracker& tracker, logger& log, net::thread_pool& blocking,
                                                       const body_spool* spool = nullptr);

    tcp::endpoint local_endpoint() const;
    void run();
    // Stops accepting; connections already accepted carry on.
    void stop();

private:
    listener(std::vector<net::io_context*> loops, router& routes, const server_options& options,
             session_tracker& tracker, logger& log, net::thread_pool& blocking, const body_spool* spool);
    void do_accept();
    void on_accept(beast::error_code ec, session_socket socket);

    std::vector<net::io_context*> loops_;
    std::size_t next_loop_ = 0;  // the loop the next connection goes to
    tcp::acceptor acceptor_;
    net::steady_timer backoff_;
    router& routes_;
    const server_options& options_;
    session_tracker& tracker_;
    logger& log_;
    net::thread_pool& blocking_;  // where sessions route requests that may block
    const body_spool* spool_;
    bool refusing_ = false;  // at the connection limit; logged once per episode
};

}  // namespace hil::server
