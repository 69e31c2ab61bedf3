#include "server/answer_cache.hpp"

#include <doctest/doctest.h>

#include <string>

namespace {

using hil::server::answer_cache;

TEST_CASE("an answer kept is found under its generation, and only under it") {
    answer_cache cache(1 << 20);
    std::string body = "left over";
    CHECK_FALSE(cache.find("GetDICOMImportJob job-a", 7, body));
    cache.keep("GetDICOMImportJob job-a", 7, R"({"jobProperties":{}})");
    REQUIRE(cache.find("GetDICOMImportJob job-a", 7, body));
    CHECK(body == R"({"jobProperties":{}})");
    CHECK_FALSE(cache.find("GetDICOMImportJob job-b", 7, body));
    // A write moved the generation on: the answer is no longer reachable.
    CHECK_FALSE(cache.find("GetDICOMImportJob job-a", 8, body));
}

TEST_CASE("an answer kept with an older generation than one already seen is ignored") {
    answer_cache cache(1 << 20);
    const std::string key = "GetDatastore";
    cache.keep(key, 5, "new");
    // A read that began before the write of generation 5 finished after it: its answer may be stale.
    cache.keep(key, 4, "stale");
    std::string body;
    CHECK_FALSE(cache.find(key, 4, body));
    REQUIRE(cache.find(key, 5, body));
    CHECK(body == "new");
}

TEST_CASE("a newer generation empties what the older one kept") {
    answer_cache cache(1 << 20);
    cache.keep("k", 1, "one");
    cache.keep("k", 2, "two");
    std::string body;
    CHECK_FALSE(cache.find("k", 1, body));
    REQUIRE(cache.find("k", 2, body));
    CHECK(body == "two");
}

TEST_CASE("the budget bounds what is kept") {
    SUBCASE("a budget of 0 keeps nothing") {
        answer_cache cache(0);
        cache.keep("k", 1, "v");
        std::string body;
        CHECK_FALSE(cache.find("k", 1, body));
    }
    SUBCASE("an answer bigger than a shard's share is not kept") {
        answer_cache cache(16 * 100);  // 100 bytes a shard
        cache.keep("k", 1, std::string(200, 'x'));
        std::string body;
        CHECK_FALSE(cache.find("k", 1, body));
    }
    SUBCASE("a shard past its share starts again, keeping the newest") {
        answer_cache cache(16 * 1000);  // 1,000 bytes a shard
        std::string body;
        for (int i = 0; i < 2000; ++i) cache.keep("key-" + std::to_string(i), 1, std::string(100, 'x'));
        int found = 0;
        for (int i = 0; i < 2000; ++i) found += cache.find("key-" + std::to_string(i), 1, body) ? 1 : 0;
        // At most 9 answers of 106 bytes or so fit a shard's 1,000.
        CHECK(found > 0);
        CHECK(found <= 16 * 9);
        CHECK(cache.find("key-1999", 1, body));
    }
}

}  // namespace
