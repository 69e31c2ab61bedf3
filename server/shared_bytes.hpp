// shared_bytes: a view of bytes that nobody changes, and a share of whatever keeps them alive.
//
// An answer of the answer cache is sent by many responses and kept by the request journal at
// once; each holds a shared_bytes instead of a copy. The bytes stay valid as long as one
// shared_bytes (or another share of `owner`) does, whatever happens to the one who made them.
// Thread safety: as std::shared_ptr: copies may be made and dropped on any threads at once.
#pragma once

#include <cstddef>
#include <memory>
#include <string_view>

namespace hil::server {

struct shared_bytes {
    std::shared_ptr<const void> owner;  // null: no bytes
    std::string_view bytes;             // REQUIRES: inside what `owner` keeps alive, and never written
    // When the bytes are those of a memory file (server/memory_file.hpp) that `owner` keeps
    // open: its descriptor and their offset in it, so that a socket can send them with
    // sendfile(2). -1: in memory only.
    int file_fd = -1;
    std::size_t file_offset = 0;
};

}  // namespace hil::server
