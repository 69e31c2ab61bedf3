#include "server/answer_cache.hpp"

#include <doctest/doctest.h>

#include <string>

namespace {

using hil::server::answer_cache;

TEST_CASE("an answer kept is found under its generation, and only under it") {
    answer_cache cache(1 << 20);
    std::string body = "left over";
    std::string type;
    CHECK_FALSE(cache.find("GetDICOMImportJob job-a", 7, body, type));
    cache.keep("GetDICOMImportJob job-a", 7, R"({"jobProperties":{}})", "application/json");
    REQUIRE(cache.find("GetDICOMImportJob job-a", 7, body, type));
    CHECK(body == R"({"jobProperties":{}})");
    CHECK(type == "application/json");
    CHECK_FALSE(cache.find("GetDICOMImportJob job-b", 7, body, type));
    cache.keep("GetImageFrame frame-1", 7, std::string("\xff\x4f\xff\x51", 4), "image/jph");
    REQUIRE(cache.find("GetImageFrame frame-1", 7, body, type));
    CHECK(body == std::string("\xff\x4f\xff\x51", 4));
    CHECK(type == "image/jph");
    // A write moved the generation on: the answer is no longer reachable.
    CHECK_FALSE(cache.find("GetDICOMImportJob job-a", 8, body, type));
}

TEST_CASE("an answer kept with an older generation than one already seen is ignored") {
    answer_cache cache(1 << 20);
    const std::string key = "GetDatastore";
    cache.keep(key, 5, "new", "application/json");
    // A read that began before the write of generation 5 finished after it: its answer may be stale.
    cache.keep(key, 4, "stale", "application/json");
    std::string body;
    std::string type;
    CHECK_FALSE(cache.find(key, 4, body, type));
    REQUIRE(cache.find(key, 5, body, type));
    CHECK(body == "new");
}

TEST_CASE("a newer generation empties what the older one kept") {
    answer_cache cache(1 << 20);
    cache.keep("k", 1, "one", "application/json");
    cache.keep("k", 2, "two", "application/json");
    std::string body;
    std::string type;
    CHECK_FALSE(cache.find("k", 1, body, type));
    REQUIRE(cache.find("k", 2, body, type));
    CHECK(body == "two");
}

TEST_CASE("the budget bounds what is kept") {
    SUBCASE("a budget of 0 keeps nothing") {
        answer_cache cache(0);
        cache.keep("k", 1, "v", "application/json");
        std::string body;
        std::string type;
        CHECK_FALSE(cache.find("k", 1, body, type));
    }
    SUBCASE("an answer bigger than a shard's share is not kept") {
        answer_cache cache(16 * 100);  // 100 bytes a shard
        cache.keep("k", 1, std::string(200, 'x'), "application/json");
        std::string body;
        std::string type;
        CHECK_FALSE(cache.find("k", 1, body, type));
    }
    SUBCASE("a shard past its share starts again, keeping the newest") {
        answer_cache cache(16 * 1000);  // 1,000 bytes a shard
        std::string body;
        std::string type;
        for (int i = 0; i < 2000; ++i) cache.keep("key-" + std::to_string(i), 1, std::string(100, 'x'), "application/json");
        int found = 0;
        for (int i = 0; i < 2000; ++i) found += cache.find("key-" + std::to_string(i), 1, body, type) ? 1 : 0;
        // At most 9 answers of 106 bytes or so fit a shard's 1,000.
        CHECK(found > 0);
        CHECK(found <= 16 * 9);
        CHECK(cache.find("key-1999", 1, body, type));
    }
}

}  // namespace
