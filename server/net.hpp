// Namespace aliases only, as in the Beast examples.
#pragma once

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace hil::server {
namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = boost::asio::ip::tcp;

// A connection lives on one I/O thread's own io_context (see http_server.hpp), so its
// handlers never run concurrently and need no strand. Its socket carries the concrete
// executor type: the default (any_io_executor) copied and destroyed a type-erased executor
// for every operation.
using session_executor = net::io_context::executor_type;
using session_socket = tcp::socket::rebind_executor<session_executor>::other;
}  // namespace hil::server
