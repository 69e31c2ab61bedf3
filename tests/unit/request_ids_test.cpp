#include "server/request_ids.hpp"

#include <doctest/doctest.h>

#include <regex>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace {

// 8-4-4-4-12 lowercase hex, version nibble 4, variant nibble 8, 9, a or b.
const std::regex k_uuid_v4("^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$");

}  // namespace

TEST_CASE("10,000 ids are unique and UUID v4 shaped") {
    hil::server::uuid_request_ids ids;
    std::set<std::string> seen;
    for (int i = 0; i < 10'000; ++i) {
        const auto id = ids.next();
        REQUIRE(id.size() == 36);
        REQUIRE(std::regex_match(id, k_uuid_v4));
        REQUIRE(seen.insert(id).second);
    }
    CHECK(seen.size() == 10'000);
}

TEST_CASE("the shape holds for any seed") {
    for (const std::uint64_t seed : {std::uint64_t{0}, ~std::uint64_t{0}, std::uint64_t{0x0123456789abcdef}}) {
        hil::server::uuid_request_ids ids(seed);
        for (int i = 0; i < 100; ++i) CHECK(std::regex_match(ids.next(), k_uuid_v4));
    }
}

TEST_CASE("ids stay unique across threads") {
    hil::server::uuid_request_ids ids;
    constexpr int threads = 4;
    constexpr int each = 2'500;
    std::vector<std::vector<std::string>> got(threads);
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; ++t) {
        pool.emplace_back([&ids, &got, t] {
            got[static_cast<std::size_t>(t)].reserve(each);
            for (int i = 0; i < each; ++i) got[static_cast<std::size_t>(t)].push_back(ids.next());
        });
    }
    for (auto& th : pool) th.join();
    std::set<std::string> all;
    for (const auto& v : got) all.insert(v.begin(), v.end());
    CHECK(all.size() == threads * each);
}

TEST_CASE("two sources (two runs) do not repeat each other's ids") {
    hil::server::uuid_request_ids a;
    hil::server::uuid_request_ids b;
    std::set<std::string> seen;
    for (int i = 0; i < 100; ++i) {
        seen.insert(a.next());
        seen.insert(b.next());
    }
    CHECK(seen.size() == 200);
}
