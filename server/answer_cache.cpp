#include "server/answer_cache.hpp"

#include <mutex>

namespace hil::server {

answer_cache::answer_cache(std::size_t budget_bytes) : shard_budget_(budget_bytes / k_shards) {}

answer_cache::shard& answer_cache::shard_of(std::string_view key) const {
    // The table's buckets use the low bits; the shard takes high ones.
    return shards_[(key_hash{}(key) >> 56) % k_shards];
}

bool answer_cache::find(std::string_view key, std::uint64_t generation, std::string& body,
                        std::string& content_type) const {
    if (shard_budget_ == 0) return false;
    const shard& s = shard_of(key);
    std::shared_lock lock(s.mutex);
    if (s.generation != generation) return false;
    const auto it = s.answers.find(key);
    if (it == s.answers.end()) return false;
    body.assign(it->second.body);
    content_type.assign(it->second.content_type);
    return true;
}

void answer_cache::keep(std::string_view key, std::uint64_t generation, std::string_view body,
                        std::string_view content_type) {
    const std::size_t size = key.size() + body.size() + content_type.size();
    if (size > shard_budget_) return;
    shard& s = shard_of(key);
    std::unique_lock lock(s.mutex);
    if (generation < s.generation) return;
    if (generation > s.generation || s.bytes + size > shard_budget_) {
        s.answers.clear();
        s.bytes = 0;
        s.generation = generation;
    }
    const auto [it, added] = s.answers.try_emplace(std::string(key), answer{std::string(body), std::string(content_type)});
    if (added) s.bytes += size;
}

}  // namespace hil::server
