#include "api/json_validation.hpp"

#include <doctest/doctest.h>

#include <string>

#include "api/operations.hpp"

namespace {

using hil::api::shape_member;
using hil::api::validation_report;

rapidjson::Document parse(std::string_view text) {
    rapidjson::Document d;
    d.Parse(text.data(), text.size());
    REQUIRE_FALSE(d.HasParseError());
    return d;
}

// The report's message, or "ok"; a SerializationException's message prefixed "serialization: ".
std::string check(const hil::api::shape& type, std::string_view json, std::string_view path = "value") {
    const auto doc = parse(json);
    validation_report report;
    const auto s = hil::api::check_json_value(path, type, doc, report);
    if (!s) {
        CHECK(s.err().code() == hil::api::error_code::serialization);
        return "serialization: " + s.err().message();
    }
    return report.empty() ? "ok" : report.message();
}

}  // namespace

TEST_CASE("maps: keys and values checked against their shapes, quoted as {k=v}") {
    CHECK(check(hil::api::tag_map_shape, R"({"team":"ml","stage":""})", "tags") == "ok");
    CHECK(check(hil::api::tag_map_shape, R"({"aws:x":"1"})", "tags") ==
          "1 validation error detected: Value '{aws:x=1}' at 'tags' failed to satisfy constraint: Map keys must satisfy "
          "constraint: [Member must satisfy regular expression pattern: (?!aws:)[a-zA-Z+-=._:/]+]");
    const std::string long_value(257, 'v');
    CHECK(check(hil::api::tag_map_shape, R"({"k":")" + long_value + R"("})", "tags").find(
              "Map value must satisfy constraint: [Member must have length less than or equal to 256]") != std::string::npos);
    // Two keys breaking the same constraint list it once; a key breaking two lists both.
    CHECK(check(hil::api::tag_map_shape, R"({"a b":"1","c d":"2"})", "tags") ==
          "1 validation error detected: Value '{a b=1, c d=2}' at 'tags' failed to satisfy constraint: Map keys must "
          "satisfy constraint: [Member must satisfy regular expression pattern: (?!aws:)[a-zA-Z+-=._:/]+]");
    CHECK(check(hil::api::tag_map_shape, R"({"k":5})", "tags") == "serialization: Expected a string at 'tags.k', not a number");
    CHECK(check(hil::api::tag_map_shape, R"(["k"])", "tags") == "serialization: Expected an object at 'tags', not an array");
}

TEST_CASE("lists: items named path.N.member from 1, the count checked") {
    CHECK(check(hil::api::tag_key_list_shape, R"(["a","aws:b","c d"])", "tagKeys") ==
          "2 validation errors detected: Value 'aws:b' at 'tagKeys.2.member' failed to satisfy constraint: Member must "
          "satisfy regular expression pattern: (?!aws:)[a-zA-Z+-=._:/]+; Value 'c d' at 'tagKeys.3.member' failed to "
          "satisfy constraint: Member must satisfy regular expression pattern: (?!aws:)[a-zA-Z+-=._:/]+");
    CHECK(check(hil::api::tag_key_list_shape, R"(["a",null])", "tagKeys") ==
          "1 validation error detected: Value null at 'tagKeys.2.member' failed to satisfy constraint: Member must not be null");
    std::string many = "[";
    for (int i = 0; i < 201; ++i) many += std::string(i ? "," : "") + "\"k\"";
    many += "]";
    CHECK(check(hil::api::tag_key_list_shape, many, "tagKeys").find(
              "' at 'tagKeys' failed to satisfy constraint: Member must have length less than or equal to 200") !=
          std::string::npos);
}

TEST_CASE("structures and unions: nested paths, required members, exactly one union member") {
    const auto& config = hil::api::import_configuration_shape;
    CHECK(check(config, R"({"dicomJsonMetadataImportConfiguration":{"dicomMetadataMappings":[
              {"studyInstanceUID":"1.2.3","metadataFilePath":"meta/a.json"}]}})", "importConfiguration") == "ok");
    CHECK(check(config, R"({"dicomJsonMetadataImportConfiguration":{"dicomMetadataMappings":[
              {"studyInstanceUID":"1.2.3","metadataFilePath":"ok.json"},{"metadataFilePath":" x"}]}})",
                "importConfiguration") ==
          "2 validation errors detected: Value null at "
          "'importConfiguration.dicomJsonMetadataImportConfiguration.dicomMetadataMappings.2.member.studyInstanceUID' "
          "failed to satisfy constraint: Member must not be null; Value ' x' at "
          "'importConfiguration.dicomJsonMetadataImportConfiguration.dicomMetadataMappings.2.member.metadataFilePath' "
          "failed to satisfy constraint: Member must satisfy regular expression pattern: "
          "[a-zA-Z0-9!-~]+([a-zA-Z0-9!-~ ]*[a-zA-Z0-9!-~]+)*");
    CHECK(check(config, R"({"dicomJsonMetadataImportConfiguration":{"dicomMetadataMappings":[]}})", "c") ==
          "1 validation error detected: Value '[]' at 'c.dicomJsonMetadataImportConfiguration.dicomMetadataMappings' "
          "failed to satisfy constraint: Member must have length greater than or equal to 1");
    CHECK(check(config, "{}", "c") == "serialization: The union at 'c' must have exactly one member set, not 0");
    CHECK(check(config, R"({"dicomJsonMetadataImportConfiguration":null})", "c") ==
          "serialization: The union at 'c' must have exactly one member set, not 0");
    // Unknown members are ignored in structures, but count in a union (Smithy's restJson1 tests).
    CHECK(check(config, R"({"dicomJsonMetadataImportConfiguration":{"note":"x","dicomMetadataMappings":[
              {"studyInstanceUID":"1","metadataFilePath":"a","extra":[1]}]}})", "c") == "ok");
    CHECK(check(config, R"({"unknownMember":1,"dicomJsonMetadataImportConfiguration":{"dicomMetadataMappings":[
              {"studyInstanceUID":"1","metadataFilePath":"a"}]}})", "c") ==
          "serialization: The union at 'c' must have exactly one member set, not 2");
    CHECK(check(config, R"({"unknownMember":{}})", "c") == "serialization: The union at 'c' must have exactly one member set, not 1");
}

TEST_CASE("scalars: integers by range, enums by value set, wrong JSON types refused") {
    CHECK(check(hil::api::max_results_shape, "50") == "ok");
    CHECK(check(hil::api::max_results_shape, "0", "maxResults") ==
          "1 validation error detected: Value '0' at 'maxResults' failed to satisfy constraint: Member must have value "
          "greater than or equal to 1");
    CHECK(check(hil::api::max_results_shape, "51", "maxResults").find("less than or equal to 50") != std::string::npos);
    CHECK(check(hil::api::max_results_shape, "1.5") == "serialization: Expected an integer at 'value', not a number");
    CHECK(check(hil::api::max_results_shape, R"("5")") == "serialization: Expected an integer at 'value', not a string");
    CHECK(check(hil::api::lossless_storage_format_shape, R"("PNG")", "f") ==
          "1 validation error detected: Value 'PNG' at 'f' failed to satisfy constraint: Member must satisfy enum value "
          "set: [HTJ2K, JPEG_2000_LOSSLESS]");
    CHECK(check(hil::api::job_name_shape, "true") == "serialization: Expected a string at 'value', not a boolean");
}

TEST_CASE("a member: absent or null is 'must not be null' when required, else nothing") {
    validation_report report;
    const shape_member required{"clientToken", &hil::api::client_token_shape, true};
    const shape_member optional{"jobName", &hil::api::job_name_shape, false};
    CHECK(hil::api::check_json_member("clientToken", required, nullptr, report).ok());
    const auto null_value = parse("null");
    CHECK(hil::api::check_json_member("jobName", optional, &null_value, report).ok());
    CHECK(report.message() ==
          "1 validation error detected: Value null at 'clientToken' failed to satisfy constraint: Member must not be null");
}

TEST_CASE("render_json_value quotes values as Coral does") {
    CHECK(hil::api::render_json_value(parse(R"({"a":"1","b":["x",2,true]})")) == "{a=1, b=[x, 2, true]}");
    CHECK(hil::api::render_json_value(parse(R"("plain")")) == "plain");
    CHECK(hil::api::render_json_value(parse("null")) == "null");
}

TEST_CASE("canonical_json keeps what the model knows, in its order, without nulls") {
    const auto& config = hil::api::import_configuration_shape;
    const auto a = parse(R"({"dicomJsonMetadataImportConfiguration":{"dicomMetadataMappings":[
        {"metadataFilePath":"m.json","note":"x","seriesInstanceUID":null,"studyInstanceUID":"1.2"}]}})");
    const auto b = parse(R"({"dicomJsonMetadataImportConfiguration":{"dicomMetadataMappings":[
        {"studyInstanceUID":"1.2","metadataFilePath":"m.json"}]}})");
    CHECK(hil::api::canonical_json(config, a) ==
          R"({"dicomJsonMetadataImportConfiguration":{"dicomMetadataMappings":[{"studyInstanceUID":"1.2","metadataFilePath":"m.json"}]}})");
    CHECK(hil::api::canonical_json(config, a) == hil::api::canonical_json(config, b));
    CHECK(hil::api::canonical_json(hil::api::tag_map_shape, parse(R"({"b":"2","a":"1"})")) == R"({"a":"1","b":"2"})");
}
