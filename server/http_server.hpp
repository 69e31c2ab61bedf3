// http_server: the io_context, its thread pool, the listener and graceful shutdown.
//
//   http_server s(options, routes, log);
//   auto bound = s.listen();        // bind now, so the real port is known before run()
//   s.stop_on_signals();            // SIGTERM/SIGINT -> stop()
//   s.run();                        // blocks until stopped
//
// stop() (from any thread, any number of times): stop accepting, close idle connections,
// let every request already received get its answer, then run() returns. Connections still
// busy after options.shutdown_timeout are cut.
#pragma once

#include <atomic>
#include <memory>

#include "api/result.hpp"
#include "server/listener.hpp"
#include "server/logger.hpp"
#include "server/net.hpp"
#include "server/router.hpp"
#include "server/server_options.hpp"
#include "server/session.hpp"

namespace hil::server {

class http_server {
public:
    http_server(server_options options, router& routes, logger& log);
    ~http_server();

    // Error: InternalServerException naming the address and the cause.
    api::result<tcp::endpoint> listen();
    void stop_on_signals();
    // REQUIRES: listen() succeeded. Runs options.threads threads (this one included).
    void run();
    void stop();

private:
    void do_stop();

    server_options options_;
    router& routes_;
    logger& log_;
    // Requests that may block (router::may_block) are routed here, off the I/O threads. Two
    // threads: a long load on one leaves the other for the next write. Declared before ioc_,
    // and joined first in the destructor, so no task posts to a destroyed io_context.
    net::thread_pool blocking_{2};
    net::io_context ioc_;
    net::strand<net::io_context::executor_type> control_;  // serializes stop, signals and the deadline
    session_tracker tracker_;
    std::shared_ptr<listener> listener_;
    net::signal_set signals_;
    net::steady_timer deadline_;
    std::atomic<bool> stopping_{false};
};

}  // namespace hil::server
