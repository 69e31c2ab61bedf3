#include "tests/server/control_plane_support.hpp"

#include <doctest/doctest.h>
#include <rapidjson/pointer.h>

#include <atomic>

namespace hil::test {

server::config cp_config() {
    auto cfg = test_config();
    cfg.level = server::log_level::warn;
    return cfg;
}

server::config cp_sample_config() {
    auto cfg = cp_config();
    cfg.empty = false;
    return cfg;
}

cp_server::cp_server(server::config cfg, std::string_view fixtures_json)
    : server_(std::move(cfg), fixtures_json, clock_), client_(server_.port()) {}

response cp_server::get(std::string_view target, const header_list& h) { return call(http::verb::get, target, {}, h); }

response cp_server::post(std::string_view target, std::string body, const header_list& h) {
    return call(http::verb::post, target, std::move(body), h);
}

response cp_server::del(std::string_view target, const header_list& h) {
    return call(http::verb::delete_, target, {}, h);
}

response cp_server::call(http::verb method, std::string_view target, std::string body, const header_list& h) {
    header_list all = h;
    if (!body.empty()) all.emplace_back("Content-Type", "application/json");
    return client_.request(method, target, all, std::move(body));
}

header_list in_region(std::string_view region, std::string_view access_key_id) {
    return {{"Authorization",
             "AWS4-HMAC-SHA256 Credential=" + std::string(access_key_id) + "/20261201/" + std::string(region) +
                 "/medical-imaging/aws4_request, SignedHeaders=host;x-amz-date, Signature=" + std::string(64, '0')}};
}

std::string secs(api::epoch_millis t) {
    std::string out = std::to_string(t / 1000);
    const auto millis = t % 1000;
    if (millis != 0) {
        std::string frac = std::to_string(millis);
        frac.insert(0, 3 - frac.size(), '0');
        while (frac.back() == '0') frac.pop_back();
        out += "." + frac;
    }
    return out;
}

std::string percent_encode(std::string_view s) {
    static constexpr char k_hex[] = "0123456789ABCDEF";
    std::string out;
    for (const char ch : s) {
        const auto c = static_cast<unsigned char>(ch);
        const bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                                c == '-' || c == '.' || c == '_' || c == '~';
        if (unreserved) {
            out += ch;
        } else {
            out += '%';
            out += k_hex[c >> 4];
            out += k_hex[c & 0xF];
        }
    }
    return out;
}

std::string datastore_arn(std::string_view datastore_id, std::string_view region, std::string_view account) {
    return "arn:aws:medical-imaging:" + std::string(region) + ":" + std::string(account) + ":datastore/" +
           std::string(datastore_id);
}

std::string tags_target(std::string_view arn) { return "/tags/" + percent_encode(arn); }

std::string datastore_target(std::string_view datastore_id) { return "/datastore/" + std::string(datastore_id); }

std::string start_target(std::string_view datastore_id) {
    return "/startDICOMImportJob/datastore/" + std::string(datastore_id);
}

std::string list_jobs_target(std::string_view datastore_id, std::string_view query) {
    std::string t = "/listDICOMImportJobs/datastore/" + std::string(datastore_id);
    if (!query.empty()) t += "?" + std::string(query);
    return t;
}

std::string one_violation(std::string_view member, std::string_view value, std::string_view constraint) {
    return "1 validation error detected: Value '" + std::string(value) + "' at '" + std::string(member) +
           "' failed to satisfy constraint: " + std::string(constraint);
}

std::string tags_json(std::size_t n, std::string_view prefix) {
    std::string out = "{";
    for (std::size_t i = 0; i < n; ++i) {
        if (i) out += ",";
        out += "\"" + std::string(prefix) + std::to_string(i) + "\":\"v" + std::to_string(i) + "\"";
    }
    return out + "}";
}

std::string fresh_token() {
    static std::atomic<unsigned> counter{0};
    return "token-" + std::to_string(counter++);
}

std::string create_datastore_with(cp_server& s, std::string body, const header_list& h) {
    const auto res = s.post("/datastore", std::move(body), h);
    REQUIRE_MESSAGE(res.result_int() == 200, res.body());
    return string_at(res, "/datastoreId");
}

std::string create_datastore(cp_server& s, std::string_view name, const header_list& h) {
    return create_datastore_with(
        s, R"({"datastoreName":")" + std::string(name) + R"(","clientToken":")" + fresh_token() + R"("})", h);
}

void wait_active(cp_server& s, std::string_view datastore_id, const header_list& h) {
    for (int i = 0; i < 5; ++i) {
        const auto res = s.get(datastore_target(datastore_id), h);
        REQUIRE_MESSAGE(res.result_int() == 200, res.body());
        if (string_at(res, "/datastoreProperties/datastoreStatus") == "ACTIVE") return;
    }
    FAIL("datastore " << datastore_id << " did not become ACTIVE in five polls");
}

std::string active_datastore(cp_server& s, std::string_view name, const header_list& h) {
    auto id = create_datastore(s, name, h);
    wait_active(s, id, h);
    return id;
}

std::string start_body(std::string_view client_token, std::string_view input, std::string_view output,
                       std::string_view extra) {
    std::string b = R"({"dataAccessRoleArn":")" + std::string(k_role) + R"(","clientToken":")" +
                    std::string(client_token) + R"(","inputS3Uri":")" + std::string(input) + R"(","outputS3Uri":")" +
                    std::string(output) + R"(")";
    if (!extra.empty()) b += "," + std::string(extra);
    return b + "}";
}

std::string start_job(cp_server& s, std::string_view datastore_id, std::string_view input, const header_list& h) {
    const auto res = s.post(start_target(datastore_id), start_body(fresh_token(), input), h);
    REQUIRE_MESSAGE(res.result_int() == 200, res.body());
    return string_at(res, "/jobId");
}

rapidjson::Document body_of(const response& res) {
    rapidjson::Document doc;
    doc.Parse(res.body().data(), res.body().size());
    REQUIRE_MESSAGE(!doc.HasParseError(), "body is not JSON: " << res.body());
    REQUIRE_MESSAGE(doc.IsObject(), "body is not a JSON object: " << res.body());
    return doc;
}

std::string string_at(const response& res, const char* pointer) {
    const auto doc = body_of(res);
    const auto* v = rapidjson::Pointer(pointer).Get(doc);
    REQUIRE_MESSAGE((v != nullptr && v->IsString()), "no string at " << pointer << " in " << res.body());
    return {v->GetString(), v->GetStringLength()};
}

std::optional<std::string> next_token_of(const response& res) {
    const auto doc = body_of(res);
    if (!doc.HasMember("nextToken")) return std::nullopt;
    REQUIRE(doc["nextToken"].IsString());
    return std::string(doc["nextToken"].GetString(), doc["nextToken"].GetStringLength());
}

std::vector<std::string> ids_in(const response& res, const char* array, const char* member) {
    const auto doc = body_of(res);
    REQUIRE_MESSAGE((doc.HasMember(array) && doc[array].IsArray()), res.body());
    std::vector<std::string> out;
    for (const auto& item : doc[array].GetArray()) {
        REQUIRE((item.IsObject() && item.HasMember(member) && item[member].IsString()));
        out.emplace_back(item[member].GetString(), item[member].GetStringLength());
    }
    return out;
}

walk_result walk(cp_server& s, std::string_view target, int page_size, const char* array, const char* member,
                 const header_list& h) {
    walk_result out;
    const std::string base = std::string(target) + (target.find('?') == std::string_view::npos ? "?" : "&") +
                             "maxResults=" + std::to_string(page_size);
    std::optional<std::string> token;
    do {
        const auto res = s.get(token ? base + "&nextToken=" + percent_encode(*token) : base, h);
        REQUIRE_MESSAGE(res.result_int() == 200, res.body());
        ++out.pages;
        REQUIRE(out.pages < 1000);
        const auto page = ids_in(res, array, member);
        CHECK(page.size() <= static_cast<std::size_t>(page_size));
        out.ids.insert(out.ids.end(), page.begin(), page.end());
        token = next_token_of(res);
    } while (token);
    return out;
}

}  // namespace hil::test
