// How the HTTP server runs: address, threads and the limits it holds every client to.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>

namespace hil::server {

struct server_options {
    std::string host = "127.0.0.1";
    unsigned short port = 0;  // 0: an ephemeral port chosen by the OS
    unsigned threads = 1;
    std::uint32_t header_limit = 16 * 1024;            // bytes of request line + headers; over it: 431
    std::uint64_t body_limit = 64 * 1024 * 1024;       // bytes; over it: 413 (fixture uploads can be large)
    // A body longer than this, of a route that takes it as a file (router::spools_body), is
    // spooled to a file in a private directory under spool_parent (empty: $TMPDIR, else /tmp).
    std::uint64_t spool_threshold = 1024 * 1024;
    std::string spool_parent;
    // Open connections at most; one more is accepted and closed at once, so the client sees
    // a clean close (and retries) instead of waiting in the kernel's backlog.
    std::size_t max_connections = 10'000;
    std::chrono::milliseconds read_timeout{60'000};    // a whole request, idle wait included
    std::chrono::milliseconds shutdown_timeout{10'000};  // how long SIGTERM waits for requests in flight
};

}  // namespace hil::server
