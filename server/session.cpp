#include "server/session.hpp"

#include <sys/sendfile.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>

namespace hil::server {
namespace {

bool is_http_parse_error(const beast::error_code& ec) {
    return ec.category() == beast::http::make_error_code(http::error::bad_target).category();
}

// The buffer starts at this size, and a read asks for at least this much room.
constexpr std::size_t k_first_capacity = 8 * 1024;
constexpr std::size_t k_min_read = 4 * 1024;
// While a body streams in, reads ask for this much at once.
constexpr std::size_t k_body_read = 64 * 1024;

}  // namespace

session::session(session_socket&& socket, router& routes, const server_options& options, session_tracker& tracker,
                 logger& log, net::thread_pool& blocking, const body_spool* spool)
    : socket_(std::move(socket)),
      deadline_timer_(socket_.get_executor()),
      delay_timer_(socket_.get_executor()),
      routes_(routes),
      options_(options),
      tracker_(tracker),
      log_(log),
      blocking_(blocking) {
    // What a usual request's fields and an answer's head take, allocated once a connection
    // instead of growing piece by piece on its first request (seven allocations).
    req_.reserve_fields(1024, 16);
    head_.reserve(512);
    // `this` only: the rule is the session's own and dies with it.
    if (spool) spool_.emplace(spool_rule{*spool, [this](const request& req) { return routes_.spools_body(req); }});
}

session::~session() { tracker_.remove(this); }

void session::run() {
    net::dispatch(socket_.get_executor(), beast::bind_front_handler(&session::read_request, shared_from_this()));
}

void session::shutdown() {
    net::dispatch(socket_.get_executor(), [self = shared_from_this()] {
        self->closing_ = true;
        // Idle: waiting for a request of which nothing has arrived yet.
        if (self->reading_ && self->begin_ == self->end_ && !(self->reader_ && self->reader_->got_some())) {
            self->do_close();
        }
    });
}

void session::start_deadline() {
    deadline_ = std::chrono::steady_clock::now() + options_.read_timeout;
    deadline_active_ = true;
    // The timer is armed once and, when it fires early, re-armed for the deadline then in
    // force: a request moves the deadline without touching the timer queue.
    if (!deadline_armed_) {
        deadline_armed_ = true;
        deadline_timer_.expires_at(deadline_);
        deadline_timer_.async_wait(beast::bind_front_handler(&session::on_deadline, shared_from_this()));
    }
}

void session::on_deadline(beast::error_code) {
    deadline_armed_ = false;
    if (closed_ || !deadline_active_) return;
    if (std::chrono::steady_clock::now() >= deadline_) return do_close();
    deadline_armed_ = true;
    deadline_timer_.expires_at(deadline_);
    deadline_timer_.async_wait(beast::bind_front_handler(&session::on_deadline, shared_from_this()));
}

void session::read_request() {
    if (closing_ || closed_) return do_close();
    reader_.emplace(req_, options_.header_limit, options_.body_limit, spool_ ? &*spool_ : nullptr);
    continue_sent_ = false;
    reading_ = true;
    start_deadline();
    parse_buffered();
}

void session::parse_buffered() {
    while (begin_ < end_) {
        beast::error_code ec;
        const auto used = reader_->put(net::const_buffer(input_.get() + begin_, end_ - begin_), ec);
        begin_ += used;
        if (ec == http::error::need_more) break;
        if (ec) return on_bad_request(ec);
        if (reader_->is_done()) return on_request();
        if (used == 0) break;
    }
    // curl and other clients wait (curl: one second) for this before sending a large body.
    if (reader_->is_header_done() && !continue_sent_ && beast::iequals(req_[http::field::expect], "100-continue")) {
        continue_sent_ = true;
        static constexpr std::string_view k_continue = "HTTP/1.1 100 Continue\r\n\r\n";
        return net::async_write(socket_, net::buffer(k_continue.data(), k_continue.size()),
                                [self = shared_from_this()](beast::error_code ec, std::size_t) {
                                    if (ec) return self->do_close();
                                    self->read_more();
                                });
    }
    read_more();
}

void session::read_more() {
    if (begin_ == end_) {
        begin_ = end_ = 0;
    } else if (begin_ > 0 && capacity_ - end_ < k_min_read) {
        std::memmove(input_.get(), input_.get() + begin_, end_ - begin_);
        end_ -= begin_;
        begin_ = 0;
    }
    // A head must fit whole (the reader sees it in one piece); a body passes through.
    const std::size_t wanted = std::max(end_ + (reader_->is_header_done() ? k_body_read : k_min_read),
                                        capacity_ == 0 ? k_first_capacity : capacity_);
    if (wanted > capacity_) {
        const std::size_t grown = std::max(wanted, capacity_ * 2);
        auto bigger = std::make_unique_for_overwrite<char[]>(grown);  // not zeroed: 8 KB a connection
        if (end_ > begin_) std::memcpy(bigger.get(), input_.get() + begin_, end_ - begin_);
        end_ -= begin_;
        begin_ = 0;
        input_ = std::move(bigger);
        capacity_ = grown;
    }
    socket_.async_read_some(net::mutable_buffer(input_.get() + end_, capacity_ - end_),
                            beast::bind_front_handler(&session::on_read, shared_from_this()));
}

void session::on_read(beast::error_code ec, std::size_t bytes) {
    end_ += bytes;
    if (closed_) return;
    if (ec == net::error::eof) {
        if (!reader_->got_some() && begin_ == end_) return do_close();
        // The client closed mid-request: what it sent is a partial message.
        beast::error_code at_eof;
        reader_->put_eof(at_eof);
        if (at_eof) return on_bad_request(at_eof);
        if (reader_->is_done()) return on_request();
        return do_close();
    }
    if (ec) return do_close();  // reset, or closed by the deadline: nothing to answer
    parse_buffered();
}

void session::on_bad_request(beast::error_code ec) {
    reading_ = false;
    req_.body_file(nullptr);  // what was spooled of a body that will not be handled
    if (const auto& spool_failed = reader_->spool_error()) {
        log_.error("500 InternalServerException: " + spool_failed->message());  // as the router logs its 500s
        return send(routes_.protocol_error(*spool_failed, req_.version()));
    }
    if (!is_http_parse_error(ec)) return do_close();
    api::error err = ec == http::error::header_limit  ? api::error::of(api::error_code::header_fields_too_large)
                     : ec == http::error::body_limit ? api::error::of(api::error_code::payload_too_large)
                                                      : api::error::bad_request("Malformed HTTP request: " + ec.message());
    log_.debug("closing connection after malformed request: " + ec.message());
    const unsigned version = reader_->is_header_done() ? req_.version() : 11;
    send(routes_.protocol_error(err, version));
}

void session::on_request() {
    reading_ = false;
    deadline_active_ = false;
    if (routes_.may_block(req_)) {
        // Routed on the blocking pool; the answer comes back to this session's thread.
        // The guard keeps the io_context running (a graceful stop waits for this answer).
        return net::post(blocking_, [self = shared_from_this(), work = net::make_work_guard(socket_.get_executor())] {
            auto r = std::make_shared<routed>(self->routes_.route_request(self->req_));
            // The handler is done with a spooled body: its file goes now, not with the next request.
            self->req_.body_file(nullptr);
            net::post(work.get_executor(), [self, r] { self->deliver(std::move(*r)); });
        });
    }
    auto r = routes_.route_request(req_);
    req_.body_file(nullptr);
    deliver(std::move(r));
}

void session::deliver(routed&& r) {
    if (r.delay.count() > 0) {
        delay_timer_.expires_after(r.delay);
        return delay_timer_.async_wait([self = shared_from_this(), held = std::make_shared<routed>(std::move(r))](beast::error_code) {
            held->delay = std::chrono::milliseconds(0);
            self->deliver(std::move(*held));
        });
    }
    if (r.drop) return do_close();
    send(std::move(r.res));
}

void session::send(response&& res) {
    if (closed_) return;
    res_ = std::move(res);
    const bool close = !res_.keep_alive() || closing_;
    if (close) res_.keep_alive(false);
    // TCP_NODELAY is set before the first answer the connection stays open after: an answer it
    // closes after is flushed by the close, so a new connection per request saves the system call.
    if (!close && !no_delay_) {
        beast::error_code ignored;
        socket_.set_option(tcp::no_delay(true), ignored);
        no_delay_ = true;
    }
    head_.clear();
    res_.write_head(head_);
    start_deadline();
    if (res_.shared_body().file_fd >= 0 && !res_.body().empty()) {
        head_sent_ = file_sent_ = 0;
        beast::error_code ec;
        // sendfile has no flag for it: a full socket must say so (EAGAIN) rather than block
        // the thread. Asio has set it for its own reads already; this is a check.
        if (!socket_.native_non_blocking()) socket_.native_non_blocking(true, ec);
        if (!ec) return send_from_file(close);
    }
    const std::array<net::const_buffer, 2> pieces{net::buffer(head_), net::buffer(res_.body())};
    net::async_write(socket_, pieces, beast::bind_front_handler(&session::on_write, shared_from_this(), close));
}

void session::send_from_file(bool close) {
    const auto& body = res_.shared_body();
    const int fd = socket_.native_handle();
    const auto wait_for_room = [this, close] {
        socket_.async_wait(tcp::socket::wait_write, [self = shared_from_this(), close](beast::error_code ec) {
            if (ec || self->closed_) return self->do_close();
            self->send_from_file(close);
        });
    };
    while (head_sent_ < head_.size()) {
        // MSG_MORE: the head waits for the body, so that both leave in the same segments.
        const ssize_t n = ::send(fd, head_.data() + head_sent_, head_.size() - head_sent_, MSG_DONTWAIT | MSG_NOSIGNAL | MSG_MORE);
        if (n >= 0) {
            head_sent_ += static_cast<std::size_t>(n);
        } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
            return wait_for_room();
        } else if (errno != EINTR) {
            return do_close();  // reset by the peer, and the like
        }
    }
    while (file_sent_ < body.bytes.size()) {
        off_t at = static_cast<off_t>(body.file_offset + file_sent_);
        const ssize_t n = ::sendfile(fd, body.file_fd, &at, body.bytes.size() - file_sent_);
        if (n > 0) {
            file_sent_ += static_cast<std::size_t>(n);
        } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            return wait_for_room();
        } else if (n < 0 && errno == EINTR) {
            continue;
        } else if (n < 0 && (errno == EINVAL || errno == ENOSYS)) {
            // A socket sendfile cannot write to: the rest from memory, as any answer goes.
            return net::async_write(socket_, net::buffer(body.bytes.substr(file_sent_)),
                                    beast::bind_front_handler(&session::on_write, shared_from_this(), close));
        } else {
            return do_close();
        }
    }
    // As an async_write completes: never inside this call, so that a client's pipelined
    // requests do not nest one answer's call in another's.
    net::post(socket_.get_executor(), [self = shared_from_this(), close] { self->on_write(close, {}, 0); });
}

void session::on_write(bool close, beast::error_code ec, std::size_t) {
    deadline_active_ = false;
    // The answer's body goes now, not with the next answer: an idle connection would otherwise
    // hold a cached answer, and with one in a memory file the whole file and its descriptor,
    // for as long as it stays open.
    res_.body(std::string{});
    if (ec || close) return do_close();
    read_request();
}

void session::do_close() {
    if (closed_) return;
    closed_ = true;
    deadline_active_ = false;
    // No shutdown(SHUT_WR) first: close() sends the same FIN (or the same RST, when a request
    // is left unread), and a new connection per request paid a tenth of its system calls for it.
    beast::error_code ec;
    socket_.close(ec);
    deadline_timer_.cancel();
    delay_timer_.cancel();
}

void session_tracker::add(const std::shared_ptr<session>& s) {
    std::lock_guard lock(mutex_);
    sessions_.emplace_back(s.get(), s);
}

void session_tracker::remove(session* s) {
    std::function<void()> notify;
    {
        std::lock_guard lock(mutex_);
        const auto it = std::find_if(sessions_.begin(), sessions_.end(), [s](const auto& p) { return p.first == s; });
        if (it != sessions_.end()) {
            *it = std::move(sessions_.back());
            sessions_.pop_back();
        }
        if (sessions_.empty() && on_empty_) notify = std::exchange(on_empty_, nullptr);
    }
    if (notify) notify();
}

void session_tracker::shutdown_all(std::function<void()> on_empty) {
    std::vector<std::shared_ptr<session>> live;
    {
        std::lock_guard lock(mutex_);
        for (const auto& entry : sessions_) {
            if (auto s = entry.second.lock()) live.push_back(std::move(s));
        }
        if (!sessions_.empty()) on_empty_ = std::exchange(on_empty, nullptr);
    }
    if (on_empty) on_empty();
    for (const auto& s : live) s->shutdown();
}

void session_tracker::forget_on_empty() {
    std::lock_guard lock(mutex_);
    on_empty_ = nullptr;
}

std::size_t session_tracker::size() const {
    std::lock_guard lock(mutex_);
    return sessions_.size();
}

}  // namespace hil::server
