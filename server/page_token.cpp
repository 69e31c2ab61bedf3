#include "server/page_token.hpp"

#include <openssl/evp.h>
#include <sys/random.h>

#include <array>
#include <cerrno>
#include <climits>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <utility>

#include "server/crypto.hpp"

namespace hil::server {
namespace {

// Bumped if the layout ever changes, so an old token is refused rather than misread.
constexpr char k_version = '\x01';
// Half of SHA-256: forging still takes ~2^128 guesses, and tokens stay short.
constexpr std::size_t k_tag_bytes = 16;
constexpr std::size_t k_random_key_bytes = 32;

// EVP_EncodeBlock / EVP_DecodeBlock take int lengths. Working in slices of whole 3-byte / 4-character
// groups keeps every call far inside int whatever the input size, and the slices' texts concatenate
// to exactly the text of the whole.
constexpr std::size_t k_slice_bytes = 3 * 1024;
constexpr std::size_t k_slice_chars = 4 * 1024;

const unsigned char* as_bytes(std::string_view s) { return reinterpret_cast<const unsigned char*>(s.data()); }

bool is_base64url_char(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

std::string base64url_encode(std::string_view data) {
    std::string text;
    text.reserve((data.size() + 2) / 3 * 4);
    std::array<unsigned char, k_slice_chars + 1> slice_text{};  // +1: EVP_EncodeBlock writes a NUL
    for (std::size_t at = 0; at < data.size(); at += k_slice_bytes) {
        const std::string_view slice = data.substr(at, k_slice_bytes);
        const int written = EVP_EncodeBlock(slice_text.data(), as_bytes(slice), static_cast<int>(slice.size()));
        for (std::size_t i = 0; i < static_cast<std::size_t>(written); ++i) {
            const char c = static_cast<char>(slice_text[i]);
            if (c == '+') {
                text += '-';
            } else if (c == '/') {
                text += '_';
            } else if (c != '=') {
                text += c;
            }
        }
    }
    return text;
}

// Nothing unless `text` is exactly what base64url_encode makes of some bytes: a character outside
// the url-safe alphabet (padding and whitespace included), an impossible length, or nonzero unused
// bits in a final partial group all refuse, so each byte string has one text and vice versa.
std::optional<std::string> base64url_decode(std::string_view text) {
    // One character carries only 6 bits, so no byte string encodes to 4n+1 characters.
    if (text.size() % 4 == 1) return std::nullopt;
    for (const char c : text) {
        if (!is_base64url_char(c)) return std::nullopt;
    }
    std::string data;
    data.reserve(text.size() / 4 * 3 + 2);
    std::array<unsigned char, k_slice_chars> slice_text{};
    std::array<unsigned char, k_slice_chars / 4 * 3> slice_data{};
    for (std::size_t at = 0; at < text.size(); at += k_slice_chars) {
        const std::string_view slice = text.substr(at, k_slice_chars);
        std::size_t length = 0;
        for (const char c : slice) {
            const char standard = c == '-' ? '+' : c == '_' ? '/' : c;
            slice_text[length++] = static_cast<unsigned char>(standard);
        }
        // Only the final slice can end in a partial group; EVP_DecodeBlock wants it padded, and
        // the whole slice fits since a partial group means fewer than k_slice_chars characters.
        std::size_t padding = 0;
        while (length % 4 != 0) {
            slice_text[length++] = '=';
            ++padding;
        }
        const std::size_t group_bytes = length / 4 * 3;
        const int decoded = EVP_DecodeBlock(slice_data.data(), slice_text.data(), static_cast<int>(length));
        if (decoded < 0 || static_cast<std::size_t>(decoded) != group_bytes) return std::nullopt;
        // EVP_DecodeBlock turns each '=' into a zero byte instead of dropping it.
        data.append(reinterpret_cast<const char*>(slice_data.data()), group_bytes - padding);
    }
    // The alphabet and length are right by now; what remains is a final partial group whose unused
    // low bits are not zero, and re-encoding is the plainest exact test for it.
    if (base64url_encode(data) != text) return std::nullopt;
    return data;
}

// The truncated HMAC-SHA256 of version || len(list) || list || position. The length prefix keeps the
// list/position boundary unambiguous ("ab"+"c" and "a"+"bc" differ); the position's length is implied.
// Nothing if the list cannot be length-prefixed or OpenSSL fails.
std::optional<std::string> mac_tag(const std::string& key, std::string_view list, std::string_view position) {
    if (list.size() > std::numeric_limits<std::uint32_t>::max()) return std::nullopt;
    const auto list_size = static_cast<std::uint32_t>(list.size());
    std::string message;
    message.reserve(1 + 4 + list.size() + position.size());
    message += k_version;
    for (int shift = 24; shift >= 0; shift -= 8) message += static_cast<char>((list_size >> shift) & 0xFFu);
    message += list;
    message += position;
    crypto::sha256_digest digest{};
    try {
        digest = crypto::hmac_sha256(key, message);
    } catch (const std::runtime_error&) {
        return std::nullopt;  // OpenSSL failed: the callers' "nothing", not an exception
    }
    static_assert(k_tag_bytes <= crypto::k_sha256_bytes);
    return std::string(reinterpret_cast<const char*>(digest.data()), k_tag_bytes);
}

}  // namespace

// The kernel's generator (getrandom), not RAND_bytes: the key is made at start-up, and OpenSSL's
// first RAND call loads its configuration, a provider and a DRBG, which costs ~2 MB of resident
// pages and several ms before the first answer; OpenSSL itself is then first touched when a
// request needs a hash or a MAC.
page_tokens::page_tokens() : key_(k_random_key_bytes, '\0') {
    std::size_t filled = 0;
    while (filled < key_.size()) {
        const ssize_t got = getrandom(key_.data() + filled, key_.size() - filled, 0);
        if (got < 0) {
            if (errno == EINTR) continue;
            throw std::runtime_error("page_tokens: the kernel could not supply a random key");
        }
        filled += static_cast<std::size_t>(got);
    }
}

page_tokens::page_tokens(std::string key) : key_(std::move(key)) {
    // An empty key would make every token forgeable; HMAC() takes the key length as an int.
    if (key_.empty() || key_.size() > static_cast<std::size_t>(INT_MAX)) {
        throw std::invalid_argument("page_tokens: the key must be 1 to INT_MAX bytes");
    }
}

std::string page_tokens::issue(std::string_view list, std::string_view position) const {
    if (list.size() > std::numeric_limits<std::uint32_t>::max()) {
        throw std::length_error("page_tokens: list identity longer than 4 GiB");
    }
    const auto tag = mac_tag(key_, list, position);
    if (!tag) throw std::runtime_error("page_tokens: OpenSSL HMAC-SHA256 failed");
    std::string token_bytes;
    token_bytes.reserve(1 + position.size() + k_tag_bytes);
    token_bytes += k_version;
    token_bytes += position;
    token_bytes += *tag;
    return base64url_encode(token_bytes);
}

std::optional<std::string> page_tokens::redeem(std::string_view list, std::string_view token) const {
    const auto token_bytes = base64url_decode(token);
    if (!token_bytes || token_bytes->size() < 1 + k_tag_bytes || token_bytes->front() != k_version) {
        return std::nullopt;
    }
    const std::string_view whole = *token_bytes;
    const std::string_view position = whole.substr(1, whole.size() - 1 - k_tag_bytes);
    const std::string_view carried_tag = whole.substr(whole.size() - k_tag_bytes);
    const auto expected_tag = mac_tag(key_, list, position);
    // Constant time, so response timing does not reveal how much of a guessed tag was right.
    if (!expected_tag || !crypto::constant_time_equal(*expected_tag, carried_tag)) {
        return std::nullopt;
    }
    return std::string(position);
}

}  // namespace hil::server
