// memory_file: an append-only file in memory (memfd_create), mapped for reading, whose bytes a
// socket can send with sendfile(2): the kernel then hands the file's pages to TCP instead of
// copying the bytes from user space (the copy and its page handling were about a fifth of the
// server's time for a 14 KB answer).
//
// Why append-only: a send by sendfile holds references to the file's pages, not a copy, until
// the peer has the bytes; were bytes rewritten meanwhile, the new ones would go out. Bytes once
// appended are never written again (a page may still take appends after them: a page shared by
// two answers keeps both as they were), and the pages outlive the file while TCP holds them.
//
//   auto f = memory_file::create(capacity);        // null when the system cannot make one
//   if (auto at = f->append(bytes)) ... f->data() + *at, f->fd() at offset *at
//
// Memory: pages are taken as bytes are appended (the capacity is address space only), counted
// as the process's shared memory, and given back when the file is destroyed and TCP is done.
// Thread safety: append() needs one caller at a time, ordered before readers of what it
// appended (the answer cache's shard lock); data() and fd() are safe from any thread.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string_view>

namespace hil::server {

class memory_file {
public:
    // A file of `capacity` bytes of room; null when memfd_create, ftruncate or mmap fail.
    static std::shared_ptr<memory_file> create(std::size_t capacity);
    ~memory_file();
    memory_file(const memory_file&) = delete;
    memory_file& operator=(const memory_file&) = delete;

    // Copies `bytes` after what the file holds; their offset, or nothing when they do not fit.
    std::optional<std::size_t> append(std::string_view bytes);
    std::size_t room() const noexcept { return capacity_ - used_; }
    int fd() const noexcept { return fd_; }
    const char* data() const noexcept { return data_; }

private:
    memory_file(int fd, char* data, std::size_t capacity) : fd_(fd), data_(data), capacity_(capacity) {}

    const int fd_;
    char* const data_;
    const std::size_t capacity_;
    std::size_t used_ = 0;
};

}  // namespace hil::server
