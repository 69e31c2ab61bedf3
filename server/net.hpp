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

// A connection's socket and stream carry their strand's concrete type: the default
// (any_io_executor) copied and destroyed a type-erased executor for every operation.
using session_executor = net::strand<net::io_context::executor_type>;
using session_socket = tcp::socket::rebind_executor<session_executor>::other;
}  // namespace hil::server
