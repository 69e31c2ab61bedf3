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
using session_stream = beast::basic_stream<tcp, session_executor>;

using request = http::request<http::string_body>;
using response = http::response<http::string_body>;
}  // namespace hil::server
