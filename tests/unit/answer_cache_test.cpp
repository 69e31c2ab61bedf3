#include "server/answer_cache.hpp"

#include <doctest/doctest.h>
#include <unistd.h>

#include <optional>
#include <string>

namespace {

using hil::server::answer_cache;

// The body of the answer found for `key`, or nothing.
std::optional<std::string> body_of(const answer_cache& cache, std::string_view key, std::uint64_t generation) {
    const auto found = cache.find(key, generation);
    if (!found) return std::nullopt;
    return std::string(found->body.bytes);
}

TEST_CASE("an answer kept is found under its generation, and only under it") {
    answer_cache cache(1 << 20);
    CHECK_FALSE(cache.find("GetDICOMImportJob job-a", 7));
    cache.keep("GetDICOMImportJob job-a", 7, R"({"jobProperties":{}})", "application/json");
    auto found = cache.find("GetDICOMImportJob job-a", 7);
    REQUIRE(found);
    CHECK(found->body.bytes == R"({"jobProperties":{}})");
    CHECK(found->content_type == "application/json");
    CHECK(found->body.owner);
    CHECK_FALSE(cache.find("GetDICOMImportJob job-b", 7));
    cache.keep("GetImageFrame frame-1", 7, std::string("\xff\x4f\xff\x51", 4), "image/jph");
    found = cache.find("GetImageFrame frame-1", 7);
    REQUIRE(found);
    CHECK(found->body.bytes == std::string("\xff\x4f\xff\x51", 4));
    CHECK(found->content_type == "image/jph");
    // A write moved the generation on: the answer is no longer reachable.
    CHECK_FALSE(cache.find("GetDICOMImportJob job-a", 8));
}

TEST_CASE("a found answer shares the one kept: two finds see the same bytes, not copies") {
    answer_cache cache(1 << 20);
    cache.keep("k", 1, "body", "application/json");
    const auto a = cache.find("k", 1);
    const auto b = cache.find("k", 1);
    REQUIRE(a);
    REQUIRE(b);
    CHECK(a->body.bytes.data() == b->body.bytes.data());
    CHECK(a->body.owner == b->body.owner);
    // The cache's share and the two found.
    CHECK(a->body.owner.use_count() == 3);
}

TEST_CASE("an answer handed out stays valid after its shard is emptied") {
    answer_cache cache(16 * 1000);  // 1,000 bytes a shard
    cache.keep("k", 1, "the first answer", "text/plain");
    const auto held = cache.find("k", 1);
    REQUIRE(held);
    SUBCASE("by a newer generation") {
        cache.keep("k", 2, "the second answer", "text/plain");
        CHECK_FALSE(cache.find("k", 1));
        CHECK(body_of(cache, "k", 2) == "the second answer");
    }
    SUBCASE("by passing the budget") {
        // Enough answers that every shard, the one holding "k" included, passes its share.
        for (int i = 0; i < 2000; ++i) cache.keep("key-" + std::to_string(i), 1, std::string(100, 'x'), "text/plain");
        CHECK_FALSE(cache.find("k", 1));
    }
    // Only the holder's share is left, and the bytes are still the answer's.
    CHECK(held->body.owner.use_count() == 1);
    CHECK(held->body.bytes == "the first answer");
    CHECK(held->content_type == "text/plain");
}

TEST_CASE("an answer handed out stays valid after the cache is destroyed") {
    std::optional<answer_cache::answer> held;
    {
        answer_cache cache(1 << 20);
        cache.keep("k", 1, std::string(600, 'b'), "application/json");
        held = cache.find("k", 1);
        REQUIRE(held);
    }
    CHECK(held->body.owner.use_count() == 1);
    CHECK(held->body.bytes == std::string(600, 'b'));
    CHECK(held->content_type == "application/json");
}

TEST_CASE("an answer kept with an older generation than one already seen is ignored") {
    answer_cache cache(1 << 20);
    const std::string key = "GetDatastore";
    cache.keep(key, 5, "new", "application/json");
    // A read that began before the write of generation 5 finished after it: its answer may be stale.
    cache.keep(key, 4, "stale", "application/json");
    CHECK_FALSE(cache.find(key, 4));
    CHECK(body_of(cache, key, 5) == "new");
}

TEST_CASE("a newer generation empties what the older one kept") {
    answer_cache cache(1 << 20);
    cache.keep("k", 1, "one", "application/json");
    cache.keep("k", 2, "two", "application/json");
    CHECK_FALSE(cache.find("k", 1));
    CHECK(body_of(cache, "k", 2) == "two");
}

TEST_CASE("many answers in one shard: each is found after the table grows") {
    answer_cache cache(1 << 24);
    for (int i = 0; i < 5000; ++i) cache.keep("key-" + std::to_string(i), 1, "v" + std::to_string(i), "application/json");
    for (int i = 0; i < 5000; ++i) REQUIRE(body_of(cache, "key-" + std::to_string(i), 1) == "v" + std::to_string(i));
}

TEST_CASE("the budget bounds what is kept") {
    SUBCASE("a budget of 0 keeps nothing") {
        answer_cache cache(0);
        cache.keep("k", 1, "v", "application/json");
        CHECK_FALSE(cache.find("k", 1));
    }
    SUBCASE("an answer bigger than a shard's share is not kept") {
        answer_cache cache(16 * 100);  // 100 bytes a shard
        cache.keep("k", 1, std::string(200, 'x'), "application/json");
        CHECK_FALSE(cache.find("k", 1));
    }
    SUBCASE("a shard past its share starts again, keeping the newest") {
        answer_cache cache(16 * 1000);  // 1,000 bytes a shard
        for (int i = 0; i < 2000; ++i) cache.keep("key-" + std::to_string(i), 1, std::string(100, 'x'), "application/json");
        int found = 0;
        for (int i = 0; i < 2000; ++i) found += cache.find("key-" + std::to_string(i), 1) ? 1 : 0;
        // At most 9 answers of 106 bytes or so fit a shard's 1,000.
        CHECK(found > 0);
        CHECK(found <= 16 * 9);
        CHECK(cache.find("key-1999", 1));
    }
}

}  // namespace

TEST_CASE("a big body is kept in a memory file a socket can send from, and outlives the cache with its holder") {
    std::optional<answer_cache::answer> held;
    const std::string big(answer_cache::k_file_body_bytes + 100, 'p');
    const std::string small(answer_cache::k_file_body_bytes - 1, 's');
    {
        answer_cache cache(1 << 24);
        cache.keep("big", 1, big, "application/json");
        cache.keep("small", 1, small, "application/json");
        held = cache.find("big", 1);
        REQUIRE(held);
        const auto in_memory = cache.find("small", 1);
        REQUIRE(in_memory);
        CHECK(in_memory->body.file_fd == -1);
        CHECK(in_memory->body.bytes == small);
        // A second big answer goes after the first, in the same file.
        cache.keep("big2", 1, big, "application/json");
        const auto second = cache.find("big2", 1);
        REQUIRE(second);
        if (second->body.file_fd == held->body.file_fd) CHECK(second->body.file_offset >= held->body.file_offset + big.size());
    }
    REQUIRE(held->body.file_fd >= 0);  // memfd_create is there on every Linux this runs on
    CHECK(held->body.bytes == big);
    CHECK(held->content_type == "application/json");
    // The file holds the same bytes at the offset given, and is still open: the holder keeps it.
    std::string in_file(big.size(), '\0');
    REQUIRE(::pread(held->body.file_fd, in_file.data(), in_file.size(), static_cast<off_t>(held->body.file_offset)) ==
            static_cast<ssize_t>(in_file.size()));
    CHECK(in_file == big);
}
