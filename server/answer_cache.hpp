// answer_cache: rendered answers of hot reads, kept by request while the store is unchanged.
//
// A read whose answer depends only on the stored state (GetDICOMImportJob of a job without a
// progression, a page of ListDICOMImportJobs whose jobs will not move on by the clock alone)
// is rendered once; the next identical request is answered from here, without the store or
// the JSON writer. Validity is the store's write generation (store::store::generation()): an
// answer is kept with the generation read *before* the store was read, and found only under
// that same generation, so a write committed meanwhile (which moves the generation on) makes
// it unreachable; no write can leave a stale answer findable.
//
//   std::string key = ...;                       // the operation, the caller's scope, the request
//   const auto generation = data.generation();   // before reading the store
//   if (auto hit = cache.find(key, generation)) ...    // a hit: hit->body, hit->content_type
//   ... read, render ...
//   cache.keep(key, generation, body, type);
//
// A found answer is not a copy: it shares the one immutable allocation the cache keeps, so a
// response can send it and the journal keep it without copying the body. It stays valid as
// long as it is held, whatever the cache does meanwhile (a shard emptied, the cache destroyed):
// the cache only drops its own share. A body of at least k_file_body_bytes is kept in a memory
// file of its shard's instead (server/memory_file.hpp), so that a session can send it with
// sendfile(2) without copying it into the socket either (shared_bytes::file_fd); when no memory
// file can be made, it stays in the allocation.
// Memory: at most `budget_bytes` of keys and bodies (plus 24 bytes a slot, at most half used); a shard
// that would pass its share is emptied and fills again with what is asked for next. A newer
// generation empties a shard too, since nothing kept before it can be found again. Answers
// still held elsewhere when their shard is emptied outlive it, outside the budget.
// Thread safety: all members are safe from any thread; finds of different shards never
// contend, finds of one shard share its lock.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

#include "server/memory_file.hpp"
#include "server/shared_bytes.hpp"

namespace hil::server {

class answer_cache {
public:
    // budget_bytes 0: nothing is kept (every find misses).
    explicit answer_cache(std::size_t budget_bytes);

    // From this size on, a body goes to a memory file: below it, the second system call a
    // sendfile takes costs about what the copy it saves does.
    static constexpr std::size_t k_file_body_bytes = 8 * 1024;
    // A memory file's room, unless one body needs more (address space: pages are taken as bytes come).
    static constexpr std::size_t k_file_capacity = 4 * 1024 * 1024;

    // A kept answer: its body, and its content type in the same allocation (valid as long as
    // body.owner is held).
    struct answer {
        shared_bytes body;
        std::string_view content_type;
    };

    // The answer kept for `key` as of `generation`; nothing when there is none.
    std::optional<answer> find(std::string_view key, std::uint64_t generation) const;
    // Keeps `body` (of `content_type`) for `key` as of `generation`. An older generation than
    // the shard has seen is ignored (the answer may already be stale).
    void keep(std::string_view key, std::uint64_t generation, std::string_view body, std::string_view content_type);

private:
    // One answer in one allocation: the shared count, its sizes, then the key, the content type
    // and the body, so that a find touches its slot and then one run of memory (a node-based
    // map took about five cache misses a find: bucket, node, key, body, type).
    // A body in a memory file is not in the allocation: file_body points into the file's
    // mapping, and the answer's owner keeps the file too.
    struct stored {
        std::uint32_t key_size;
        std::uint32_t type_size;
        std::uint32_t body_size;
        int file_fd = -1;
        std::size_t file_offset = 0;
        const char* file_body = nullptr;
        char* data() { return reinterpret_cast<char*>(this + 1); }
        const char* key() const { return reinterpret_cast<const char*>(this + 1); }
        const char* type() const { return key() + key_size; }
        const char* body() const { return file_body ? file_body : type() + type_size; }
    };
    struct slot {
        std::size_t hash = 0;
        std::shared_ptr<const stored> answer;  // the shard's share; null: empty
    };
    // Open addressing with linear probing, at most half full; a shard only grows or empties.
    struct shard {
        mutable std::shared_mutex mutex;  // guards the members below
        std::uint64_t generation = 0;
        std::size_t bytes = 0;
        std::size_t count = 0;
        std::vector<slot> slots;  // empty, or a power of two long
        std::shared_ptr<memory_file> file;  // where big bodies go; null until one comes
        void clear();
        const slot* find(std::size_t hash, std::string_view key) const;
        void insert(std::size_t hash, std::shared_ptr<const stored> kept);
    };
    static constexpr std::size_t k_shards = 16;

    static std::size_t hash_of(std::string_view key) noexcept { return std::hash<std::string_view>{}(key); }
    shard& shard_of(std::size_t hash) const;

    std::size_t shard_budget_;
    mutable std::array<shard, k_shards> shards_;
};

}  // namespace hil::server
