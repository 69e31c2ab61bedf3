// Fuzzes the path splitter, the percent-decoder, the label validators and the whole router.
// Input: "METHOD\nTARGET" (no newline: GET and the whole input as the target). The method is
// cut to HTTP token characters, as Beast's parser only lets those through; the target is
// passed as is, since the router must cope with any bytes a client puts there.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "api/shapes.hpp"
#include "fuzz_world.hpp"
#include "server/uri_path.hpp"

namespace {

using namespace hil;

bool is_token_char(char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

bool lower_alnum(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z'); }

// The documented patterns, written independently of api/shapes.cpp.
bool valid_datastore_id(std::string_view v) { return v.size() == 32 && std::all_of(v.begin(), v.end(), lower_alnum); }
bool valid_job_id(std::string_view v) {
    return !v.empty() && v.size() <= 32 && std::all_of(v.begin(), v.end(), lower_alnum);
}

void check_path_functions(std::string_view target) {
    const auto path = server::target_path(target);
    fuzz::require(path.size() <= target.size() && target.substr(0, path.size()) == path, "target_path is not a prefix");
    fuzz::require(path.find_first_of("?#") == std::string_view::npos, "target_path keeps the query");

    const auto decoded = server::percent_decode(path);
    fuzz::require(decoded.size() <= path.size(), "percent_decode grew its input");
    if (path.find('%') == std::string_view::npos) fuzz::require(decoded == path, "percent_decode changed plain text");

    const auto segments = server::split_path(path);
    if (path.empty() || path.front() != '/') {
        fuzz::require(segments.empty(), "a path without a leading '/' has segments");
    } else {
        const auto slashes = static_cast<std::size_t>(std::count(path.begin(), path.end(), '/'));
        fuzz::require(segments.size() == slashes, "segment count differs from the number of '/'");
        std::string rejoined;
        for (const auto& s : segments) rejoined += "/" + s;
        // Decoding happens after splitting, so "%2F" stays inside its segment.
        if (path.find('%') == std::string_view::npos) fuzz::require(rejoined == path, "segments do not rejoin to the path");
    }
    for (const auto& s : segments) {
        fuzz::require(api::violations(api::datastore_id_shape, s).empty() == valid_datastore_id(s),
                      "datastoreId validation disagrees with [0-9a-z]{32}");
        fuzz::require(api::violations(api::job_id_shape, s).empty() == valid_job_id(s),
                      "jobId validation disagrees with 1..32 [0-9a-z]+");
        const auto shown = api::display_value(s);
        fuzz::require(shown.size() <= 64 * 4 + 3, "display_value is not bounded");
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    std::string method = "GET";
    std::string_view target = input;
    if (const auto nl = input.find('\n'); nl != std::string_view::npos) {
        method.clear();
        for (char c : input.substr(0, std::min<std::size_t>(nl, 64))) {
            if (is_token_char(c)) method.push_back(c);
        }
        if (method.empty()) method = "GET";
        target = input.substr(nl + 1);
    }
    check_path_functions(target);

    server::request req;
    req.version(11);
    req.method_string(method);
    req.target(target);
    fuzz::check_response(fuzz::world::get().routes().handle(req));
    return 0;
}
