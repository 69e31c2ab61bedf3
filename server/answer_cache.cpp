#include "server/answer_cache.hpp"

#include <algorithm>
#include <cstring>
#include <mutex>
#include <new>

namespace hil::server {

answer_cache::answer_cache(std::size_t budget_bytes) : shard_budget_(budget_bytes / k_shards) {}

void answer_cache::shard::clear() {
    // Answers still held (by a response being written, by the journal) live on with their holders.
    slots.clear();
    file.reset();
    count = 0;
    bytes = 0;
}

const answer_cache::slot* answer_cache::shard::find(std::size_t hash, std::string_view key) const {
    if (slots.empty()) return nullptr;
    const std::size_t mask = slots.size() - 1;
    for (std::size_t i = hash & mask;; i = (i + 1) & mask) {
        const slot& s = slots[i];
        if (!s.answer) return nullptr;
        if (s.hash == hash && s.answer->key_size == key.size() && std::memcmp(s.answer->key(), key.data(), key.size()) == 0) {
            return &s;
        }
    }
}

void answer_cache::shard::insert(std::size_t hash, std::shared_ptr<const stored> kept) {
    if ((count + 1) * 2 > slots.size()) {
        std::vector<slot> old(std::max<std::size_t>(64, slots.size() * 2));
        old.swap(slots);
        count = 0;
        for (auto& s : old) {
            if (s.answer) insert(s.hash, std::move(s.answer));
        }
    }
    const std::size_t mask = slots.size() - 1;
    std::size_t i = hash & mask;
    while (slots[i].answer) i = (i + 1) & mask;
    slots[i] = slot{hash, std::move(kept)};
    ++count;
}

answer_cache::shard& answer_cache::shard_of(std::size_t hash) const {
    // The table's slots use the low bits; the shard takes high ones.
    return shards_[(hash >> 56) % k_shards];
}

std::optional<answer_cache::answer> answer_cache::find(std::string_view key, std::uint64_t generation) const {
    if (shard_budget_ == 0) return std::nullopt;
    const std::size_t hash = hash_of(key);
    const shard& s = shard_of(hash);
    std::shared_lock lock(s.mutex);
    if (s.generation != generation) return std::nullopt;
    const slot* found = s.find(hash, key);
    if (!found) return std::nullopt;
    const stored& a = *found->answer;
    return answer{{found->answer, {a.body(), a.body_size}, a.file_fd, a.file_offset}, {a.type(), a.type_size}};
}

void answer_cache::keep(std::string_view key, std::uint64_t generation, std::string_view body,
                        std::string_view content_type) {
    const std::size_t size = key.size() + body.size() + content_type.size();
    if (size > shard_budget_) return;
    const std::size_t hash = hash_of(key);
    shard& s = shard_of(hash);
    std::unique_lock lock(s.mutex);
    if (generation < s.generation) return;
    if (generation > s.generation || s.bytes + size > shard_budget_) {
        s.clear();
        s.generation = generation;
    }
    if (s.find(hash, key)) return;
    // A big body in the shard's memory file (a new one when it is full or not made yet).
    std::shared_ptr<memory_file> file;
    std::optional<std::size_t> file_offset;
    if (body.size() >= k_file_body_bytes) {
        if (!s.file || s.file->room() < body.size()) s.file = memory_file::create(std::max(k_file_capacity, body.size()));
        if (s.file) {
            file_offset = s.file->append(body);
            file = s.file;
        }
    }
    const std::size_t inline_body = file_offset ? 0 : body.size();
    // The count and the answer in one allocation (make_shared's), in words so that the sizes
    // at its start are aligned.
    const std::size_t block_bytes = sizeof(stored) + key.size() + content_type.size() + inline_body;
    auto block = std::make_shared_for_overwrite<std::uint64_t[]>((block_bytes + 7) / 8);
    auto* made = ::new (static_cast<void*>(block.get()))
        stored{static_cast<std::uint32_t>(key.size()), static_cast<std::uint32_t>(content_type.size()),
               static_cast<std::uint32_t>(body.size())};
    char* out = made->data();
    std::memcpy(out, key.data(), key.size());
    std::memcpy(out + key.size(), content_type.data(), content_type.size());
    if (file_offset) {
        made->file_fd = file->fd();
        made->file_offset = *file_offset;
        made->file_body = file->data() + *file_offset;
        // One more allocation for these answers: its deleter holds the block and the file.
        const stored* kept = made;
        s.insert(hash, std::shared_ptr<const stored>(kept, [block = std::move(block), file = std::move(file)](const stored*) {}));
    } else {
        std::memcpy(out + key.size() + content_type.size(), body.data(), body.size());
        s.insert(hash, std::shared_ptr<const stored>(std::move(block), made));
    }
    s.bytes += size;
}

}  // namespace hil::server
