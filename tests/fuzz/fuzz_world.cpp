#include "fuzz_world.hpp"

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

#include "api/api_error.hpp"
#include "server/api_handlers.hpp"
#include "server/emulator.hpp"
#include "store/fixture_loader.hpp"

namespace hil::fuzz {
namespace {

std::ofstream& null_stream() {
    static std::ofstream out("/dev/null");
    return out;
}

// The built-in sample in a fresh in-memory store, its fault rules in `faults`.
std::unique_ptr<store::store> sample_store(store::fault_rules& faults, store::access_book& access) {
    auto opened = store::store::open("");
    require(static_cast<bool>(opened), "cannot open an in-memory store");
    auto data = std::move(opened).value();
    auto sample = store::parse_fixture(server::builtin_sample_fixtures(), "(built-in sample)");
    require(static_cast<bool>(sample), "the built-in sample does not parse");
    std::vector<store::fixture_document> docs;
    docs.push_back(std::move(sample).value());
    require(static_cast<bool>(store::apply_fixtures(docs, {*data, faults, access})), "the built-in sample does not load");
    return data;
}

}  // namespace

void require(bool ok, std::string_view what) {
    if (ok) return;
    std::fprintf(stderr, "fuzz check failed: %.*s\n", static_cast<int>(what.size()), what.data());
    std::abort();
}

world& world::get() {
    static world w;
    return w;
}

world::world()
    : store_(sample_store(faults_, access_)), log_(server::log_level::error, null_stream()), router_(clock_, ids_, faults_, log_) {
    // The AWS routes only; fuzz_control covers the control API on a control_world.
    server::add_api_routes(router_, api_);
}

control_world::control_world()
    : store_(sample_store(faults_, access_)),
      plane_{*store_, faults_, access_, journal_, limiter_, clock_, {}, {}, {}, false},
      log_(server::log_level::error, null_stream()),
      router_(clock_, ids_, faults_, log_, server::router_extras{&journal_, &limiter_, {}, &access_, server::auth_mode::off}) {
    require(static_cast<bool>(store_->mark_baseline(clock_.now())), "cannot mark the baseline");
    plane_.startup_faults = faults_.list();
    server::add_api_routes(router_, api_);
    server::add_control_routes(router_, plane_, false);
}

void check_response(const server::response& res, const response_limits& limits) {
    const auto status = res.result_int();
    const auto error_type = res["x-amzn-ErrorType"];
    if (status == 200 || (limits.created_ok && status == 201)) {
        require(error_type.empty(), "200 with an x-amzn-ErrorType");
    } else {
        const auto code = api::error_code_from_name(error_type);
        require(code.has_value(), "error status without a known x-amzn-ErrorType");
        require(api::info(*code).status == status, "x-amzn-ErrorType does not match the status");
    }
    require(res[server::http::field::content_type] == "application/json", "Content-Type is not application/json");
    require(!res["x-amzn-RequestId"].empty(), "no x-amzn-RequestId");
    require(!res[server::http::field::date].empty(), "no Date");
    require(res.body().size() <= limits.max_body, "answer body grows with the request");

    rapidjson::Document doc;
    doc.Parse<rapidjson::kParseValidateEncodingFlag>(res.body().data(), res.body().size());
    if (doc.HasParseError()) {
        std::fprintf(stderr, "body: %s\nerror: %s\n", std::string(res.body()).c_str(), rapidjson::GetParseError_En(doc.GetParseError()));
        require(false, "body is not valid UTF-8 JSON");
    }
    require(doc.IsObject(), "body is not a JSON object");
    if (!error_type.empty()) {
        require(doc.HasMember("message") && doc["message"].IsString(), "error body without a string message");
    }
}

}  // namespace hil::fuzz
