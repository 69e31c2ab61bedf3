#include "server/page_token.hpp"

#include <doctest/doctest.h>

#include <cstddef>
#include <initializer_list>
#include <random>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

using hil::server::page_tokens;
using namespace std::string_literals;

namespace {

const std::string k_alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
// The parts joined by NULs, as list operations build their identities and positions. (A literal
// "\0123" would be the octal escape for a newline followed by "3".)
std::string nul_joined(std::initializer_list<std::string_view> parts) {
    std::string joined;
    bool first = true;
    for (const auto part : parts) {
        if (!first) joined += '\0';
        joined += part;
        first = false;
    }
    return joined;
}

const std::string k_jobs_list = nul_joined({"ListDICOMImportJobs", "123456789012", "us-east-1", "ds1", ""});
const std::string k_position = nul_joined({"1700000000123", "job-1"});

// Every byte value, repeated to `size` bytes: NULs, high bytes and all, in every residue mod 3.
std::string all_bytes(std::size_t size) {
    std::string s(size, '\0');
    for (std::size_t i = 0; i < size; ++i) s[i] = static_cast<char>(i % 256);
    return s;
}

bool is_url_safe_text(std::string_view token) {
    return token.find_first_not_of(k_alphabet) == std::string_view::npos;
}

// Characters a tamperer might put in: the whole url-safe alphabet plus padding, standard base64,
// whitespace, NUL and non-ASCII.
std::vector<char> replacement_chars() {
    std::vector<char> chars(k_alphabet.begin(), k_alphabet.end());
    for (const char c : {'=', '+', '/', ' ', '\n', '\0', '.', '\x7f', '\x80', '\xff'}) chars.push_back(c);
    return chars;
}

}  // namespace

TEST_CASE("known-answer tokens pin the format") {
    // Computed independently (Python hmac/base64) from the documented layout.
    const page_tokens tokens("known-answer-key");
    CHECK(tokens.issue(k_jobs_list, k_position) == "ATE3MDAwMDAwMDAxMjMAam9iLTGX9atqcxNmkHpMwmJwWZJN");
    CHECK(tokens.issue("", "") == "AZgP7_rVGeNYNlcMrAo6QOg");
    CHECK(tokens.issue("L", "\0\xff"s) == "AQD_grPwnHaKz9LU0b8-KsD6SQ");
    CHECK(tokens.redeem(k_jobs_list, "ATE3MDAwMDAwMDAxMjMAam9iLTGX9atqcxNmkHpMwmJwWZJN") == k_position);
    CHECK(tokens.redeem("L", "AQD_grPwnHaKz9LU0b8-KsD6SQ") == "\0\xff"s);
}

TEST_CASE("a correctly MACed token of another version is refused") {
    // Version byte 0x02 with a valid HMAC over 0x02 || len || "L" || "p".
    const page_tokens tokens("known-answer-key");
    CHECK_FALSE(tokens.redeem("L", "AnCbmyveAM-mpvDIwwoh9LMd").has_value());
}

TEST_CASE("positions round trip: empty, binary, 4 KB, and every length up to 64") {
    const page_tokens tokens("test-key");
    const std::vector<std::string> positions = {"", "\0"s, "\0\0\0"s, k_position, all_bytes(256), all_bytes(4096)};
    for (const auto& position : positions) {
        CAPTURE(position.size());
        CHECK(tokens.redeem(k_jobs_list, tokens.issue(k_jobs_list, position)) == position);
    }
    for (std::size_t size = 0; size <= 64; ++size) {
        CAPTURE(size);
        const auto position = all_bytes(size);
        CHECK(tokens.redeem("list", tokens.issue("list", position)) == position);
    }
}

TEST_CASE("positions beyond one encoding slice round trip") {
    const page_tokens tokens("test-key");
    for (const std::size_t size : {std::size_t{3 * 1024 - 18}, std::size_t{3 * 1024 - 17}, std::size_t{3 * 1024 - 16},
                                   std::size_t{10'000}, std::size_t{100'001}}) {
        CAPTURE(size);
        const auto position = all_bytes(size);
        CHECK(tokens.redeem("list", tokens.issue("list", position)) == position);
    }
}

TEST_CASE("tokens are printable url-safe ASCII without padding, and short") {
    const page_tokens tokens("test-key");
    for (std::size_t size = 0; size <= 4096; size += size < 64 ? 1 : 509) {
        CAPTURE(size);
        const auto token = tokens.issue(k_jobs_list, all_bytes(size));
        CHECK(is_url_safe_text(token));
        CHECK(token.find_first_of("=+/") == std::string::npos);
        CHECK(token.size() <= 8192);
    }
    CHECK(tokens.issue(k_jobs_list, all_bytes(4096)).size() <= 8192);
}

TEST_CASE("issue is deterministic for one key") {
    const page_tokens tokens("test-key");
    CHECK(tokens.issue(k_jobs_list, k_position) == tokens.issue(k_jobs_list, k_position));
}

TEST_CASE("every single-character change is refused") {
    const page_tokens tokens("test-key");
    // Lengths 0, 1 and 2 mod 3 give tokens ending in a full group and in both kinds of partial group,
    // whose unused low bits must be zero.
    for (const auto& position : {""s, "a"s, "ab"s, k_position}) {
        const auto token = tokens.issue(k_jobs_list, position);
        REQUIRE(tokens.redeem(k_jobs_list, token) == position);
        for (std::size_t i = 0; i < token.size(); ++i) {
            for (const char c : replacement_chars()) {
                if (c == token[i]) continue;
                auto altered = token;
                altered[i] = c;
                CAPTURE(altered);
                CHECK_FALSE(tokens.redeem(k_jobs_list, altered).has_value());
            }
        }
    }
}

TEST_CASE("every truncation is refused") {
    const page_tokens tokens("test-key");
    for (const auto& position : {""s, k_position, all_bytes(300)}) {
        const auto token = tokens.issue(k_jobs_list, position);
        for (std::size_t length = 0; length < token.size(); ++length) {
            CAPTURE(length);
            CHECK_FALSE(tokens.redeem(k_jobs_list, token.substr(0, length)).has_value());
            // Dropping leading characters must fail as well.
            CHECK_FALSE(tokens.redeem(k_jobs_list, token.substr(token.size() - length)).has_value());
        }
    }
}

TEST_CASE("appended characters are refused") {
    const page_tokens tokens("test-key");
    for (const auto& position : {""s, "a"s, "ab"s, k_position}) {
        const auto token = tokens.issue(k_jobs_list, position);
        for (const char c : replacement_chars()) {
            CHECK_FALSE(tokens.redeem(k_jobs_list, token + c).has_value());
            CHECK_FALSE(tokens.redeem(k_jobs_list, c + token).has_value());
        }
        for (const auto& tail : {"=="s, "="s, "AA"s, "AAA"s, "AAAA"s, "\n"s, " "s}) {
            CAPTURE(tail);
            CHECK_FALSE(tokens.redeem(k_jobs_list, token + tail).has_value());
        }
        CHECK_FALSE(tokens.redeem(k_jobs_list, token + token).has_value());
    }
}

TEST_CASE("a token for another list is refused") {
    const page_tokens tokens("test-key");
    const std::vector<std::string> lists = {
        "", "L", "L\0"s, "\0L"s, "LL", k_jobs_list, k_jobs_list.substr(0, k_jobs_list.size() - 1),
        nul_joined({"ListDICOMImportJobs", "123456789012", "us-east-1", "ds2", ""}),
        nul_joined({"ListDICOMImportJobs", "123456789012", "us-east-1", "ds1", "COMPLETED"}),
        nul_joined({"ListDatastores", "123456789012", "us-east-1", ""})};
    for (std::size_t issued = 0; issued < lists.size(); ++issued) {
        const auto token = tokens.issue(lists[issued], k_position);
        for (std::size_t redeemed = 0; redeemed < lists.size(); ++redeemed) {
            CAPTURE(issued);
            CAPTURE(redeemed);
            CHECK(tokens.redeem(lists[redeemed], token).has_value() == (issued == redeemed));
        }
    }
}

TEST_CASE("the list/position boundary is bound, not just their concatenation") {
    const page_tokens tokens("test-key");
    // Same bytes once list and position are glued together; the length prefix tells them apart.
    CHECK_FALSE(tokens.redeem("ab", tokens.issue("a", "bc")).has_value());
    const auto a_bc = tokens.issue("a", "bc");
    const auto ab_c = tokens.issue("ab", "c");
    CHECK(a_bc != ab_c);
}

TEST_CASE("a token issued under another key is refused") {
    const page_tokens one("key-one");
    // Not "key-one\0": HMAC zero-pads short keys, so that is the same key.
    const std::vector<page_tokens> others = {page_tokens("key-two"), page_tokens("key-on"), page_tokens("key-one\x01"s),
                                             page_tokens("Key-one")};
    for (const auto& position : {""s, k_position, all_bytes(4096)}) {
        const auto token = one.issue(k_jobs_list, position);
        REQUIRE(one.redeem(k_jobs_list, token) == position);
        for (const auto& other : others) {
            CHECK_FALSE(other.redeem(k_jobs_list, token).has_value());
            CHECK_FALSE(one.redeem(k_jobs_list, other.issue(k_jobs_list, position)).has_value());
        }
    }
}

TEST_CASE("two default (randomly keyed) objects do not accept each other's tokens") {
    const page_tokens first;
    const page_tokens second;
    for (const auto& position : {""s, k_position}) {
        const auto from_first = first.issue(k_jobs_list, position);
        const auto from_second = second.issue(k_jobs_list, position);
        CHECK(first.redeem(k_jobs_list, from_first) == position);
        CHECK(second.redeem(k_jobs_list, from_second) == position);
        CHECK(from_first != from_second);
        CHECK_FALSE(first.redeem(k_jobs_list, from_second).has_value());
        CHECK_FALSE(second.redeem(k_jobs_list, from_first).has_value());
    }
}

TEST_CASE("garbage is refused without throwing") {
    const page_tokens tokens("test-key");
    const std::vector<std::string> garbage = {
        "", "abc", "A", "AA", "AAA", "AAAA", "AQ", "AQE", std::string(8192, '-'), std::string(8192, 'A'),
        std::string(8191, '_'), std::string(8193, 'A'), "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9", "\x80\x81\xfe\xff",
        std::string(64, '\xff'), std::string(64, '\0'), "AZgP7_rVGeNYNlcMrAo6QOg=", "AZgP7/rVGeNYNlcMrAo6QOg",
        " AZgP7_rVGeNYNlcMrAo6QOg", "AZgP7_rVGeNYNlcMrAo6QOg ", "AZgP7_rV\nGeNYNlcMrAo6QOg", "====", "AQ==",
        // Decodes fine but is only 16 bytes: a tag with no version byte.
        "AAAAAAAAAAAAAAAAAAAAAA", "AQAAAAAAAAAAAAAAAAAAAAA"};
    for (const auto& token : garbage) {
        CAPTURE(token);
        CHECK_NOTHROW(CHECK_FALSE(tokens.redeem(k_jobs_list, token).has_value()));
    }
    for (int byte = 0; byte < 256; ++byte) {
        const std::string token(1, static_cast<char>(byte));
        CHECK_FALSE(tokens.redeem("", token).has_value());
    }
}

TEST_CASE("random byte strings and random url-safe strings are refused") {
    const page_tokens tokens("test-key");
    std::mt19937 random(20240601);  // fixed seed: a failure reproduces
    std::uniform_int_distribution<int> byte(0, 255);
    std::uniform_int_distribution<std::size_t> url_char(0, k_alphabet.size() - 1);
    for (std::size_t length = 0; length <= 8192; length += length < 100 ? 1 : 811) {
        CAPTURE(length);
        std::string bytes(length, '\0');
        std::string url_safe(length, 'A');
        for (std::size_t i = 0; i < length; ++i) {
            bytes[i] = static_cast<char>(byte(random));
            url_safe[i] = k_alphabet[url_char(random)];
        }
        CHECK_FALSE(tokens.redeem(k_jobs_list, bytes).has_value());
        CHECK_FALSE(tokens.redeem(k_jobs_list, url_safe).has_value());
    }
}

TEST_CASE("an empty key is rejected") {
    CHECK_THROWS_AS(page_tokens(""), std::invalid_argument);
}

TEST_CASE("one object serves many threads") {
    const page_tokens tokens;
    constexpr int threads = 4;
    std::vector<int> failures(threads, 0);
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; ++t) {
        pool.emplace_back([&tokens, &failures, t] {
            for (int i = 0; i < 500; ++i) {
                const auto position = std::to_string(t) + '\0' + std::to_string(i);
                if (tokens.redeem("list", tokens.issue("list", position)) != position) {
                    ++failures[static_cast<std::size_t>(t)];
                }
            }
        });
    }
    for (auto& thread : pool) thread.join();
    for (const int count : failures) CHECK(count == 0);
}
