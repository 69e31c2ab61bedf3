#include "server/sigv4.hpp"

namespace hil::server {

std::string_view access_key_id(std::string_view authorization) {
    constexpr std::string_view scheme = "AWS4-HMAC-SHA256";
    constexpr std::string_view credential = "Credential=";
    if (authorization.substr(0, scheme.size()) != scheme) return {};
    const auto at = authorization.find(credential, scheme.size());
    if (at == std::string_view::npos) return {};
    const auto value = authorization.substr(at + credential.size());
    const auto end = value.find_first_of("/, ");
    const auto key = value.substr(0, end);
    // Access key ids are short upper-case alphanumerics; anything else is not one.
    if (key.empty() || key.size() > 128) return {};
    for (const char c : key) {
        const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
        if (!ok) return {};
    }
    return key;
}

}  // namespace hil::server
