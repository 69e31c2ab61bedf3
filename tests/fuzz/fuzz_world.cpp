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

// Larger than any answer the sample data or an error message can need; an answer that
// grows with the request would pass it for long inputs.
constexpr std::size_t k_max_body = 8 * 1024;

std::ofstream& null_stream() {
    static std::ofstream out("/dev/null");
    return out;
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
    : log_(server::log_level::error, null_stream()), router_(clock_, ids_, faults_, log_) {
    auto opened = store::store::open("");
    require(static_cast<bool>(opened), "cannot open an in-memory store");
    store_ = std::move(opened).value();
    auto sample = store::parse_fixture(server::builtin_sample_fixtures(), "(built-in sample)");
    require(static_cast<bool>(sample), "the built-in sample does not parse");
    std::vector<store::fixture_document> docs;
    docs.push_back(std::move(sample).value());
    require(static_cast<bool>(store::apply_fixtures(docs, *store_, faults_)), "the built-in sample does not load");
    // The AWS routes only: the control API has its own tests and changes shape often.
    server::add_api_routes(router_, *store_, clock_);
}

void check_response(const server::response& res) {
    const auto status = res.result_int();
    const auto error_type = res["x-amzn-ErrorType"];
    if (status == 200) {
        require(error_type.empty(), "200 with an x-amzn-ErrorType");
    } else {
        const auto code = api::error_code_from_name(error_type);
        require(code.has_value(), "error status without a known x-amzn-ErrorType");
        require(api::info(*code).status == status, "x-amzn-ErrorType does not match the status");
    }
    require(res[server::http::field::content_type] == "application/json", "Content-Type is not application/json");
    require(!res["x-amzn-RequestId"].empty(), "no x-amzn-RequestId");
    require(!res[server::http::field::date].empty(), "no Date");
    require(res.body().size() <= k_max_body, "answer body grows with the request");

    rapidjson::Document doc;
    doc.Parse<rapidjson::kParseValidateEncodingFlag>(res.body().data(), res.body().size());
    if (doc.HasParseError()) {
        std::fprintf(stderr, "body: %s\nerror: %s\n", res.body().c_str(), rapidjson::GetParseError_En(doc.GetParseError()));
        require(false, "body is not valid UTF-8 JSON");
    }
    require(doc.IsObject(), "body is not a JSON object");
    if (status != 200) {
        require(doc.HasMember("message") && doc["message"].IsString(), "error body without a string message");
    }
}

}  // namespace hil::fuzz
