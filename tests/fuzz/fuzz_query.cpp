// Fuzzes query_param. Input: "NAME\nVALUE\nTARGET". On the raw target it must not crash and
// may not return more than the query holds; on a target whose query starts with NAME=VALUE,
// both percent-encoded, it must return VALUE exactly (the round trip a client relies on).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_world.hpp"
#include "server/uri_path.hpp"

namespace {

using namespace hil;

// Every byte but unreserved ones as %XX, so any name or value survives; a space as '+',
// as HTML forms and curl --data-urlencode write it (values only: names keep '+').
std::string encode(std::string_view s, bool plus_for_space) {
    static constexpr char hex[] = "0123456789ABCDEF";
    std::string out;
    for (const char c : s) {
        const auto u = static_cast<unsigned char>(c);
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' || c == '~') {
            out.push_back(c);
        } else if (c == ' ' && plus_for_space) {
            out.push_back('+');
        } else {
            out += '%';
            out += hex[u >> 4];
            out += hex[u & 0xF];
        }
    }
    return out;
}

std::string_view next_line(std::string_view& rest) {
    const auto nl = rest.find('\n');
    const auto line = rest.substr(0, nl);
    rest = nl == std::string_view::npos ? std::string_view() : rest.substr(nl + 1);
    return line;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view rest(reinterpret_cast<const char*>(data), size);
    const auto name = next_line(rest);
    const auto value = next_line(rest);
    const auto target = rest;

    if (const auto got = server::query_param(target, name)) {
        const auto q = target.find('?');
        fuzz::require(q != std::string_view::npos, "a parameter from a target without a query");
        fuzz::require(got->size() <= target.size() - q - 1, "a parameter longer than the query");
    }

    const std::string built = "/_emulator/requests?" + encode(name, false) + "=" + encode(value, true) + "&" + std::string(target);
    const auto got = server::query_param(built, name);
    fuzz::require(got.has_value() && *got == value, "an encoded parameter is not read back");
    return 0;
}
