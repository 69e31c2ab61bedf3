// Fuzzes the control API through the router: one emulator (built-in sample, journal,
// throttle, every /_emulator/ route, no admin token), POST /_emulator/reset before each
// input (must be 200; cheaper than a new store, and it keeps runs repeatable), then up to
// 4 requests.
// Input: requests separated by "\n--\n", each "METHOD TARGET\nBODY" (method cut to HTTP
// token characters, as Beast only lets those through). Every answer must pass
// check_response (a known status, 201 allowed, valid JSON); afterwards GET /_emulator/state
// and GET /_emulator/health must answer 200, and the state must be a fixture document the
// loader takes back, whatever the requests loaded, added or removed.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

#include "fuzz_world.hpp"
#include "store/fixture_loader.hpp"

namespace {

using namespace hil;

constexpr std::string_view k_separator = "\n--\n";
constexpr int k_max_requests = 4;

bool is_token_char(char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

server::request make_request(std::string_view text) {
    const auto nl = text.find('\n');
    const auto line = text.substr(0, nl);
    const auto body = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    const auto space = line.find(' ');
    std::string method;
    for (char c : line.substr(0, std::min<std::size_t>(space, 64))) {
        if (is_token_char(c)) method.push_back(c);
    }
    if (method.empty()) method = "GET";
    const auto target = space == std::string_view::npos ? std::string_view("/_emulator/state") : line.substr(space + 1);
    server::request req;
    req.version(11);
    req.method_string(method);
    req.target(target);
    req.body() = std::string(body);
    req.prepare_payload();
    return req;
}

server::response get(fuzz::control_world& w, std::string_view target) {
    server::request req;
    req.version(11);
    req.method(server::http::verb::get);
    req.target(target);
    return w.routes().handle(req);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view rest(reinterpret_cast<const char*>(data), size);
    static fuzz::control_world w;
    server::request reset;
    reset.version(11);
    reset.method(server::http::verb::post);
    reset.target("/_emulator/reset");
    fuzz::require(w.routes().handle(reset).result_int() == 200, "reset is not 200");
    // GET /_emulator/state shows what the requests loaded, so it may grow with the input.
    const fuzz::response_limits limits{64 * 1024 + 8 * size, true};
    for (int i = 0; i < k_max_requests && !rest.empty(); ++i) {
        const auto sep = rest.find(k_separator);
        const auto one = rest.substr(0, sep);
        rest = sep == std::string_view::npos ? std::string_view() : rest.substr(sep + k_separator.size());
        const auto req = make_request(one);
        const auto res = w.routes().handle(req);
        fuzz::check_response(res, limits);
        // The request as made (its method keeps only token characters), not the input's text.
        fuzz::require(res.result_int() != 201 || req.method() == server::http::verb::post, "201 to something other than a POST");
    }
    const auto health = get(w, "/_emulator/health");
    fuzz::check_response(health);
    fuzz::require(health.result_int() == 200, "health is not 200 after the requests");
    const auto state = get(w, "/_emulator/state");
    fuzz::check_response(state, limits);
    fuzz::require(state.result_int() == 200, "state is not 200 after the requests");
    const auto reread = store::parse_fixture(state.body(), "state");
    if (!reread) std::fprintf(stderr, "state: %.2000s\nerror: %s\n", std::string(state.body()).c_str(), reread.err().message().c_str());
    fuzz::require(static_cast<bool>(reread), "the state is not a fixture document the loader takes back");
    return 0;
}
