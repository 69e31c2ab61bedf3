// http_server: the I/O threads, each with an io_context of its own, the listener and graceful
// shutdown. A connection is handed, as it is accepted, to the next thread's io_context in
// turn and stays there: threads share no event queue, epoll set or strand, so a second thread
// adds its throughput instead of contending for the first's locks (nginx's workers, in one
// process).
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
#include <optional>
#include <vector>

#include "api/result.hpp"
#include "server/body_spool.hpp"
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

    // Also makes the private directory large bodies are spooled to (server_options::spool_parent).
    // Error: InternalServerException naming the address, or the directory, and the cause.
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
    // Made by listen(); before the loops, so it outlives every session's spooled bodies.
    std::optional<body_spool> spool_;
    // Before the loops: a session a stopped loop still holds is destroyed with its loop, and
    // leaves the tracker then.
    session_tracker tracker_;
    // One per I/O thread; loops_[0] also runs the listener, signals and the shutdown deadline.
    std::vector<std::unique_ptr<net::io_context>> loops_;
    // Requests that may block (router::may_block) are routed here, off the I/O threads. Two
    // threads: a long load on one leaves the other for the next write. Joined first in the
    // destructor, so no task posts to a destroyed loop; declared after the loops, tracker and
    // spool, so the tasks a timed-out stop left queued (each holding a session) are destroyed
    // while those still exist.
    net::thread_pool blocking_{2};
    // Keep the loops that have no connection yet running until stop().
    std::vector<net::executor_work_guard<net::io_context::executor_type>> idle_guards_;
    net::strand<net::io_context::executor_type> control_;  // serializes stop, signals and the deadline
    std::shared_ptr<listener> listener_;
    net::signal_set signals_;
    net::steady_timer deadline_;
    std::atomic<bool> stopping_{false};
};

}  // namespace hil::server
