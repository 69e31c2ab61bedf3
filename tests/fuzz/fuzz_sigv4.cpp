// Fuzzes access_key_id, the SigV4 Authorization header reader, on any header value. What
// it returns must be a view into the header, right after "Credential=" in a header that
// starts with the scheme, and look like an access key id; and a well-formed header built
// around the input's first line must give that line back when it is a plausible key.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_world.hpp"
#include "server/sigv4.hpp"

namespace {

using namespace hil;

bool key_char(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
}

void check_raw(std::string_view header) {
    const auto key = server::access_key_id(header);
    if (key.empty()) return;
    fuzz::require(key.data() >= header.data() && key.data() + key.size() <= header.data() + header.size(),
                  "the key does not view into the header");
    fuzz::require(header.substr(0, 16) == "AWS4-HMAC-SHA256", "a key from a header of another scheme");
    const auto offset = static_cast<std::size_t>(key.data() - header.data());
    fuzz::require(offset >= 11 && header.substr(offset - 11, 11) == "Credential=", "the key does not follow Credential=");
    fuzz::require(key.size() <= 128 && std::all_of(key.begin(), key.end(), key_char), "the key has characters no key has");
    const auto after = header.substr(offset + key.size());
    fuzz::require(after.empty() || after.front() == '/' || after.front() == ',' || after.front() == ' ',
                  "the key stops before the end of the credential");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    check_raw(input);

    // The first line as the key of an otherwise well-formed header.
    const auto candidate = input.substr(0, input.find('\n'));
    const std::string header = "AWS4-HMAC-SHA256 Credential=" + std::string(candidate) +
                               "/20261129/us-east-1/medical-imaging/aws4_request, SignedHeaders=host, Signature=abc";
    const auto key = server::access_key_id(header);
    const bool plausible = !candidate.empty() && candidate.size() <= 128 && std::all_of(candidate.begin(), candidate.end(), key_char);
    fuzz::require(plausible ? key == candidate : key.empty() || candidate.find_first_of("/, ") != std::string_view::npos,
                  "a well-formed header's key is not read back");
    check_raw(header);
    return 0;
}
