// body_spool: where a request body too large to hold in memory goes while its request is read
// and handled: a file of its own in a private directory. A route opts in
// (router::spools_body); its body stays in request::body() up to threshold() bytes and is
// otherwise written, as it arrives, to a spooled_body that the request holds instead
// (request::body_file()). A fixture upload of a million jobs (about 460 MB) then costs the
// server what the streaming loader costs, not the body's size again.
//
//   auto spool = body_spool::make("", 1 << 20);     // under $TMPDIR, else /tmp
//   auto file = spool.value().create();            // a new empty file in it
//   file.value()->append(bytes);
//
// Ownership: a spooled_body removes its file when it goes; the body_spool removes its
// directory (and anything a crash of a request left there) when it goes, so it must outlive
// the requests it spools for.
// Thread safety: body_spool is safe from any thread (create() only makes a unique file); a
// spooled_body belongs to one request at a time.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "api/result.hpp"
#include "store/scratch_dir.hpp"

namespace hil::server {

class request;

class spooled_body {
public:
    spooled_body(const spooled_body&) = delete;
    spooled_body& operator=(const spooled_body&) = delete;
    ~spooled_body();

    // Appends `bytes` to the file. Error: InternalServerException naming the cause (a full disk).
    api::status append(std::string_view bytes);
    // Where the body is, for a reader that opens it again.
    const std::string& path() const { return path_; }
    std::uint64_t size() const { return size_; }

private:
    friend class body_spool;
    spooled_body(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}

    int fd_;
    std::string path_;
    std::uint64_t size_ = 0;
};

class body_spool {
public:
    // A spool in a new private directory (mode 0700) under `parent` (empty: $TMPDIR, else
    // /tmp). Bodies longer than `threshold` bytes go to its files. Error: InternalServerException
    // naming the directory and the cause.
    static api::result<body_spool> make(std::string_view parent, std::uint64_t threshold);

    std::uint64_t threshold() const { return threshold_; }
    // A new empty file (mode 0600) in the directory. Error: InternalServerException naming the
    // cause.
    api::result<std::shared_ptr<spooled_body>> create() const;

private:
    body_spool(store::scratch_dir dir, std::uint64_t threshold) : dir_(std::move(dir)), threshold_(threshold) {}

    store::scratch_dir dir_;
    std::uint64_t threshold_;
};

// What a request_reader spools with: the spool, and whether the request being read goes to it
// (asked once a body is known to pass the threshold, after its header is read).
struct spool_rule {
    const body_spool& spool;
    std::function<bool(const request&)> applies;
};

}  // namespace hil::server
