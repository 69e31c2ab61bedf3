// page_tokens: the nextToken values of list operations. A client hands a token back verbatim to
// continue a listing, so the token is untrusted input that steers a store query: it carries the
// position to resume after and is authenticated (HMAC-SHA256 under a per-instance key) and bound
// to the list it came from, so a forged, altered, truncated, or foreign token (another list's,
// another server instance's) is refused as AWS refuses it, instead of silently resuming somewhere
// else. The position is not encrypted: it is the caller's to keep free of secrets.
// Token: base64url-no-padding(0x01 || position || first 16 bytes of
//        HMAC-SHA256(key, 0x01 || len(list) as 4 bytes big-endian || list || position)).
// The list identity is only bound by the MAC, never carried, so tokens stay short.
// Thread safety: immutable after construction; safe from any thread.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace hil::server {

class page_tokens {
public:
    // A fresh random 32-byte key (getrandom); throws std::runtime_error if the kernel cannot supply one.
    page_tokens();
    // A fixed key, for tests. REQUIRES: !key.empty() (checked: std::invalid_argument).
    // As with any HMAC key, keys that differ only by trailing NUL bytes are the same key.
    explicit page_tokens(std::string key);
    // The token for `position` in the list identified by `list`: printable ASCII only
    // (base64url without padding), at most 8192 characters when position is at most 4 KB.
    std::string issue(std::string_view list, std::string_view position) const;
    // The position a token carries, or nothing when `token` was not issued by this object for `list`
    // (bad base64url, wrong version, too short, MAC mismatch, other list, other key).
    std::optional<std::string> redeem(std::string_view list, std::string_view token) const;

private:
    std::string key_;
};

}  // namespace hil::server
