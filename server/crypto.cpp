#include "server/crypto.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <climits>
#include <stdexcept>

namespace hil::server::crypto {
namespace {

const unsigned char* as_bytes(std::string_view s) { return reinterpret_cast<const unsigned char*>(s.data()); }

}  // namespace

sha256_digest sha256(std::string_view data) {
    sha256_digest digest{};
    unsigned int size = 0;
    if (EVP_Digest(data.data(), data.size(), digest.data(), &size, EVP_sha256(), nullptr) != 1 ||
        size != digest.size()) {
        throw std::runtime_error("crypto: OpenSSL SHA-256 failed");
    }
    return digest;
}

std::string sha256_hex(std::string_view data) { return hex(sha256(data)); }

sha256_digest hmac_sha256(std::span<const unsigned char> key, std::string_view data) {
    // HMAC() takes the key length as an int.
    if (key.size() > static_cast<std::size_t>(INT_MAX)) throw std::runtime_error("crypto: HMAC key too long");
    sha256_digest digest{};
    unsigned int size = 0;
    // A non-null pointer even for an empty key: HMAC() treats a null key as "reuse the last one".
    static constexpr unsigned char k_empty = 0;
    const unsigned char* const key_data = key.empty() ? &k_empty : key.data();
    const unsigned char* const mac = HMAC(EVP_sha256(), key_data, static_cast<int>(key.size()), as_bytes(data),
                                          data.size(), digest.data(), &size);
    if (mac == nullptr || size != digest.size()) throw std::runtime_error("crypto: OpenSSL HMAC-SHA256 failed");
    return digest;
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
