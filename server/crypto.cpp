#include "server/crypto.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/core_names.h>
#include <openssl/params.h>

#include <climits>
#include <stdexcept>

namespace hil::server::crypto {
namespace {

const unsigned char* as_bytes(std::string_view s) { return reinterpret_cast<const unsigned char*>(s.data()); }

// The algorithms, fetched from OpenSSL's default provider once: EVP_sha256() and HMAC() look
// them up again on every call, which costs more than hashing a short text. Immutable once made
// (a function-local static is built once, thread-safely) and kept for the life of the process.
const EVP_MD* sha256_algorithm() {
    static EVP_MD* const md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
    if (md == nullptr) throw std::runtime_error("crypto: OpenSSL has no SHA-256");
    return md;
}

EVP_MAC* hmac_algorithm() {
    static EVP_MAC* const mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
    if (mac == nullptr) throw std::runtime_error("crypto: OpenSSL has no HMAC");
    return mac;
}

}  // namespace

sha256_digest sha256(std::string_view data) {
    sha256_digest digest{};
    unsigned int size = 0;
    if (EVP_Digest(data.data(), data.size(), digest.data(), &size, sha256_algorithm(), nullptr) != 1 ||
        size != digest.size()) {
        throw std::runtime_error("crypto: OpenSSL SHA-256 failed");
    }
    return digest;
}

std::string sha256_hex(std::string_view data) { return hex(sha256(data)); }

sha256_digest hmac_sha256(std::span<const unsigned char> key, std::string_view data) {
    if (key.size() > static_cast<std::size_t>(INT_MAX)) throw std::runtime_error("crypto: HMAC key too long");
    EVP_MAC_CTX* const ctx = EVP_MAC_CTX_new(hmac_algorithm());
    if (ctx == nullptr) throw std::runtime_error("crypto: OpenSSL HMAC-SHA256 failed");
    char digest_name[] = "SHA256";
    const OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest_name, 0),
                                 OSSL_PARAM_construct_end()};
    // A non-null pointer even for an empty key: a null key means "reuse the last one".
    static constexpr unsigned char k_empty = 0;
    sha256_digest digest{};
    std::size_t size = 0;
    const bool ok = EVP_MAC_init(ctx, key.empty() ? &k_empty : key.data(), key.size(), params) == 1 &&
                    EVP_MAC_update(ctx, as_bytes(data), data.size()) == 1 &&
                    EVP_MAC_final(ctx, digest.data(), &size, digest.size()) == 1;
    EVP_MAC_CTX_free(ctx);
    if (!ok || size != digest.size()) throw std::runtime_error("crypto: OpenSSL HMAC-SHA256 failed");
    return digest;
}

hmac_sha256_key::hmac_sha256_key(std::span<const unsigned char> key) : ctx_(EVP_MAC_CTX_new(hmac_algorithm())) {
    char digest_name[] = "SHA256";
    const OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest_name, 0),
                                 OSSL_PARAM_construct_end()};
    static constexpr unsigned char k_empty = 0;
    if (ctx_ == nullptr || EVP_MAC_init(ctx_, key.empty() ? &k_empty : key.data(), key.size(), params) != 1) {
        EVP_MAC_CTX_free(ctx_);
        throw std::runtime_error("crypto: OpenSSL HMAC-SHA256 failed");
    }
}

hmac_sha256_key::~hmac_sha256_key() { EVP_MAC_CTX_free(ctx_); }

sha256_digest hmac_sha256_key::digest(std::string_view data) const {
    // The keyed context is only read here (copied), so threads may share it.
    EVP_MAC_CTX* const ctx = EVP_MAC_CTX_dup(ctx_);
    sha256_digest out{};
    std::size_t size = 0;
    const bool ok = ctx != nullptr && EVP_MAC_update(ctx, as_bytes(data), data.size()) == 1 &&
                    EVP_MAC_final(ctx, out.data(), &size, out.size()) == 1;
    EVP_MAC_CTX_free(ctx);
    if (!ok || size != out.size()) throw std::runtime_error("crypto: OpenSSL HMAC-SHA256 failed");
    return out;
}

sha256_digest hmac_sha256(std::string_view key, std::string_view data) {
    return hmac_sha256(std::span<const unsigned char>(as_bytes(key), key.size()), data);
}

std::string hex(std::span<const unsigned char> bytes) {
    static constexpr char k_digits[] = "0123456789abcdef";
    std::string out(bytes.size() * 2, '\0');
    for (std::size_t i = 0; i < bytes.size(); ++i) {
        out[2 * i] = k_digits[bytes[i] >> 4];
        out[2 * i + 1] = k_digits[bytes[i] & 0x0Fu];
    }
    return out;
}

bool constant_time_equal(std::string_view a, std::string_view b) noexcept {
    return a.size() == b.size() && (a.empty() || CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0);
}

}  // namespace hil::server::crypto
