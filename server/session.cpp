#include "server/session.hpp"

#include <algorithm>

namespace hil::server {
namespace {

bool is_http_parse_error(const beast::error_code& ec) {
    return ec.category() == beast::http::make_error_code(http::error::bad_target).category();
}

}  // namespace

session::session(session_socket&& socket, router& routes, const server_options& options, session_tracker& tracker,
                 logger& log)
    : stream_(std::move(socket)), delay_timer_(stream_.get_executor()), routes_(routes), options_(options), tracker_(tracker), log_(log) {}

session::~session() { tracker_.remove(this); }

void session::run() {
    net::dispatch(stream_.get_executor(), beast::bind_front_handler(&session::do_read, shared_from_this()));
}

void session::shutdown() {
    net::dispatch(stream_.get_executor(), [self = shared_from_this()] {
        self->closing_ = true;
        // Idle: waiting for a request of which nothing has arrived yet.
        if (self->reading_ && self->buffer_.size() == 0 && !(self->parser_ && self->parser_->got_some())) {
            self->do_close();
        }
    });
}

void session::do_read() {
    if (closing_) return do_close();
    parser_.emplace();
    parser_->header_limit(options_.header_limit);
    parser_->body_limit(options_.body_limit);
    stream_.expires_after(options_.read_timeout);
    reading_ = true;
    http::async_read_header(stream_, buffer_, *parser_,
                            beast::bind_front_handler(&session::on_header, shared_from_this()));
}

void session::on_header(beast::error_code ec, std::size_t bytes) {
    if (ec || parser_->is_done()) return on_read(ec, bytes);
    auto read_body = [self = shared_from_this()](beast::error_code wec, std::size_t) {
        if (wec) return self->on_read(wec, 0);
        http::async_read(self->stream_, self->buffer_, *self->parser_,
                         beast::bind_front_handler(&session::on_read, self));
    };
    // curl and other clients wait (curl: one second) for this before sending a large body.
    if (beast::iequals(parser_->get()[http::field::expect], "100-continue")) {
        static constexpr std::string_view k_continue = "HTTP/1.1 100 Continue\r\n\r\n";
        return net::async_write(stream_, net::buffer(k_continue.data(), k_continue.size()), std::move(read_body));
    }
    read_body({}, 0);
}

void session::on_read(beast::error_code ec, std::size_t) {
    reading_ = false;
    if (ec == http::error::end_of_stream || ec == net::error::operation_aborted || ec == beast::error::timeout) {
        return do_close();
    }
    if (ec) {
        if (!is_http_parse_error(ec)) return do_close();  // the peer went away; nothing to answer
        api::error err = ec == http::error::header_limit  ? api::error::of(api::error_code::header_fields_too_large)
                         : ec == http::error::body_limit ? api::error::of(api::error_code::payload_too_large)
                                                          : api::error::bad_request("Malformed HTTP request: " + ec.message());
        log_.debug("closing connection after malformed request: " + ec.message());
        const unsigned version = parser_->is_header_done() ? parser_->get().version() : 11;
        return send(routes_.protocol_error(err, version));
    }
    auto r = routes_.route_request(parser_->get());
    if (r.delay.count() == 0) return deliver(std::move(r));
    delay_timer_.expires_after(r.delay);
    delay_timer_.async_wait([self = shared_from_this(), held = std::make_shared<routed>(std::move(r))](beast::error_code) {
        self->deliver(std::move(*held));
    });
}

void session::deliver(routed&& r) {
    if (r.drop) return do_close();
    send(std::move(r.res));
}

void session::send(response&& res) {
    res_ = std::move(res);
    const bool close = !res_.keep_alive() || closing_;
    if (close) res_.keep_alive(false);
    stream_.expires_after(options_.read_timeout);
    http::async_write(stream_, res_, beast::bind_front_handler(&session::on_write, shared_from_this(), close));
}

void session::on_write(bool close, beast::error_code ec, std::size_t) {
    if (ec || close) return do_close();
    do_read();
}

void session::do_close() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    stream_.socket().close(ec);
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

std::size_t session_tracker::size() const {
    std::lock_guard lock(mutex_);
    return sessions_.size();
}

}  // namespace hil::server
