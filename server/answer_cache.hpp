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
//   if (cache.find(key, generation, body, type)) ...   // a hit
//   ... read, render ...
//   cache.keep(key, generation, body, type);
//
// Memory: at most `budget_bytes` of keys and bodies (plus the tables' own overhead); a shard
// that would pass its share is emptied and fills again with what is asked for next. A newer
// generation empties a shard too, since nothing kept before it can be found again.
// Thread safety: all members are safe from any thread; finds of different shards never
// contend, finds of one shard share its lock.
#pragma once

#include <array>
#include <cstdint>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace hil::server {

class answer_cache {
public:
    // budget_bytes 0: nothing is kept (every find misses).
    explicit answer_cache(std::size_t budget_bytes);

    // The answer kept for `key` as of `generation`, copied into `body` and `content_type`
    // (whose capacity is reused); false when there is none.
    bool find(std::string_view key, std::uint64_t generation, std::string& body, std::string& content_type) const;
    // Keeps `body` (of `content_type`) for `key` as of `generation`. An older generation than
    // the shard has seen is ignored (the answer may already be stale).
    void keep(std::string_view key, std::uint64_t generation, std::string_view body, std::string_view content_type);

private:
    struct key_hash {
        using is_transparent = void;
        std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
    };
    struct answer {
        std::string body;
        std::string content_type;
    };
    struct shard {
        mutable std::shared_mutex mutex;  // guards the members below
        std::uint64_t generation = 0;
        std::size_t bytes = 0;
        std::unordered_map<std::string, answer, key_hash, std::equal_to<>> answers;
    };
    static constexpr std::size_t k_shards = 16;

    shard& shard_of(std::string_view key) const;

    std::size_t shard_budget_;
    mutable std::array<shard, k_shards> shards_;
};

}  // namespace hil::server
