// session: one HTTP/1.1 connection. Reads a request (a request_reader per request, with the
// header and body limits) out of its own buffer, hands it to the router, writes the answer
// (status line and fields, then the body, in one gather write), and loops while the client
// keeps the connection alive. Pipelined requests are answered in order, from what is already
// buffered before anything more is read.
// Malformed HTTP gets a 400 (431, 413 for the limits) in the API's error envelope and the
// connection is closed. A request (from its first awaited byte to its last) and an answer
// must each be done within read_timeout, or the connection is closed without an answer.
// A request whose route may block (router::may_block) is routed on the blocking pool, so
// that the I/O thread goes on serving other connections meanwhile.
// A large body of a route that takes it as a file (router::spools_body) goes to a file of the
// spool as it arrives; the file is removed once the request is answered (or given up). A file
// that cannot be written is answered 500 and the connection closed.
// Everything a session does runs on the one thread of its io_context. The request, the answer and the buffers
// live as long as the connection, so their capacity serves request after request.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "server/body_spool.hpp"
#include "server/http_message.hpp"
#include "server/logger.hpp"
#include "server/net.hpp"
#include "server/request_reader.hpp"
#include "server/router.hpp"
#include "server/server_options.hpp"

namespace hil::server {

class session_tracker;

class session : public std::enable_shared_from_this<session> {
public:
    // `blocking`: where requests whose route may block are routed (see router::may_block).
    // `spool`: where large bodies go (see router::spools_body); nullptr: always in memory.
    session(session_socket&& socket, router& routes, const server_options& options, session_tracker& tracker,
            logger& log, net::thread_pool& blocking, const body_spool* spool = nullptr);
    ~session();

    void run();
    // Graceful stop: an idle connection closes now; a busy one closes after its answer.
    void shutdown();

private:
    void read_request();
    void parse_buffered();
    void read_more();
    void on_read(beast::error_code ec, std::size_t bytes);
    void on_request();
    void on_bad_request(beast::error_code ec);
    void deliver(routed&& r);
    void send(response&& res);
    // Sends head_ and then a body in a memory file (shared_bytes::file_fd) with sendfile(2),
    // from where an earlier call stopped (file_sent_); waits for room when the socket is full.
    void send_from_file(bool close);
    void on_write(bool close, beast::error_code ec, std::size_t bytes);
    void do_close();
    // Gives the current read or write read_timeout from now.
    void start_deadline();
    void on_deadline(beast::error_code ec);

    session_socket socket_;
    // The bytes read: [begin_, end_) not yet consumed by a reader.
    std::unique_ptr<char[]> input_;
    std::size_t capacity_ = 0, begin_ = 0, end_ = 0;
    request req_;
    std::optional<spool_rule> spool_;  // for every reader of this connection
    std::optional<request_reader> reader_;
    bool continue_sent_ = false;
    response res_;
    std::string head_;  // the answer's status line and fields
    std::size_t head_sent_ = 0, file_sent_ = 0;  // of an answer sent by send_from_file
    net::steady_timer deadline_timer_;
    std::chrono::steady_clock::time_point deadline_{};
    bool deadline_armed_ = false;  // a wait on deadline_timer_ is pending
    bool deadline_active_ = false;  // reading or writing: deadline_ applies
    net::steady_timer delay_timer_;  // holds an answer back for a delay fault
    router& routes_;
    const server_options& options_;
    session_tracker& tracker_;
    logger& log_;
    net::thread_pool& blocking_;
    bool reading_ = false;
    bool closing_ = false;
    bool closed_ = false;
    bool no_delay_ = false;  // TCP_NODELAY is set (see send)
};

// Knows every live session, so a graceful stop can reach them.
// Thread safety: all members are safe from any thread.
class session_tracker {
public:
    void add(const std::shared_ptr<session>& s);
    void remove(session* s);
    // Calls shutdown() on every live session; `on_empty` runs (once) when none is left.
    void shutdown_all(std::function<void()> on_empty);
    // Drops a pending `on_empty`: the server is being destroyed, and sessions its stopped loops
    // still hold are destroyed with them, after what `on_empty` would post to.
    void forget_on_empty();
    std::size_t size() const;

private:
    mutable std::mutex mutex_;  // guards the members below
    std::vector<std::pair<session*, std::weak_ptr<session>>> sessions_;
    std::function<void()> on_empty_;
};

}  // namespace hil::server
