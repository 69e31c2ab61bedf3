// The hashes the server computes, on OpenSSL: SHA-256 and HMAC-SHA256 (SigV4 signatures and
// the page tokens' MACs), hex rendering, and a constant-time comparison. Nothing here is
// hand-rolled cryptography: each call is one OpenSSL operation (EVP_Digest, EVP_MAC) on algorithms fetched once.
// Thread safety: stateless; safe from any thread.
#pragma once

#include <array>
#include <cstddef>
#include <span>
#include <string>
#include <string_view>

struct evp_mac_ctx_st;  // OpenSSL's EVP_MAC_CTX

namespace hil::server::crypto {

inline constexpr std::size_t k_sha256_bytes = 32;
using sha256_digest = std::array<unsigned char, k_sha256_bytes>;

// SHA-256 of `data`. Throws std::runtime_error only if OpenSSL itself fails (out of memory).
sha256_digest sha256(std::string_view data);

// SHA-256 of `data` as 64 lower-case hex digits. Throws as sha256 does.
std::string sha256_hex(std::string_view data);

// HMAC-SHA256 of `data` under `key` (any length, empty included). Throws std::runtime_error
// if OpenSSL fails or the key is longer than INT_MAX bytes.
sha256_digest hmac_sha256(std::span<const unsigned char> key, std::string_view data);
sha256_digest hmac_sha256(std::string_view key, std::string_view data);

// An HMAC-SHA256 key made ready once (OpenSSL's MAC context, keyed), so each MAC under it is a
// copy of that context, the data and the final step: what a key used for many messages (a
// SigV4 signing key) wants. Thread safety: digest() may run on many threads at once.
class hmac_sha256_key {
public:
    // Throws std::runtime_error if OpenSSL fails.
    explicit hmac_sha256_key(std::span<const unsigned char> key);
    ~hmac_sha256_key();
    hmac_sha256_key(const hmac_sha256_key&) = delete;
    hmac_sha256_key& operator=(const hmac_sha256_key&) = delete;

    // The same as hmac_sha256(key, data). Throws std::runtime_error if OpenSSL fails.
    sha256_digest digest(std::string_view data) const;

private:
    evp_mac_ctx_st* ctx_;
};

// `bytes` as lower-case hex, two digits a byte.
std::string hex(std::span<const unsigned char> bytes);

// Whether `a` and `b` are the same bytes, in time that depends on their lengths only
// (CRYPTO_memcmp), so a caller comparing a secret leaks no matching prefix.
bool constant_time_equal(std::string_view a, std::string_view b) noexcept;

}  // namespace hil::server::crypto
