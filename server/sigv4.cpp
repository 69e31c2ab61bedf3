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


std::string_view credential_region(std::string_view authorization) {
    const auto key = access_key_id(authorization);
    if (key.empty()) return {};
    // Credential=KEY/DATE/REGION/SERVICE/aws4_request: the key is a view into the header.
    const auto after_key = static_cast<std::size_t>(key.data() + key.size() - authorization.data());
    auto rest = authorization.substr(after_key);
    if (rest.empty() || rest.front() != '/') return {};
    rest.remove_prefix(1);
    const auto date_end = rest.find('/');
    if (date_end == std::string_view::npos) return {};
    rest.remove_prefix(date_end + 1);
    const auto region = rest.substr(0, rest.find('/'));
    if (region.empty() || region.size() > 32 || region.size() == rest.size()) return {};
    for (const char c : region) {
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return {};
    }
    return region;
}

}  // namespace hil::server
