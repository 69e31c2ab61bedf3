// What UpdateImageSetMetadata and CopyImageSet do to a metadata document.
#include "server/image_set_changes.hpp"

#include <doctest/doctest.h>
#include <rapidjson/document.h>

#include <string>

namespace {

using hil::api::error_code;

const std::string k_doc = R"({"SchemaVersion":"1.1","DatastoreID":"d","ImageSetID":"i",
"Patient":{"DICOM":{"PatientID":"P1","PatientName":"A^B"}},
"Study":{"DICOM":{"StudyInstanceUID":"1.2","StudyDescription":"HEAD"},
 "Series":{"1.2.3":{"DICOM":{"SeriesInstanceUID":"1.2.3","Modality":"CT"},
  "Instances":{"1.2.3.1":{"DICOM":{"SOPInstanceUID":"1.2.3.1","0019100A":"x"},"ImageFrames":[{"ID":"f1"}]},
               "1.2.3.2":{"DICOM":{"SOPInstanceUID":"1.2.3.2"},"ImageFrames":[{"ID":"f2"},{"ID":"f3"}]}}}}}})";

rapidjson::Document parsed(const std::string& text) {
    rapidjson::Document d;
    d.Parse(text.data(), text.size());
    REQUIRE_FALSE(d.HasParseError());
    return d;
}

}  // namespace

TEST_CASE("updatableAttributes sets DICOM elements where it names them") {
    auto out = hil::server::updated_metadata(
        k_doc, R"({"SchemaVersion":1.1,"Patient":{"DICOM":{"PatientSex":"F"}},"Study":{"DICOM":{"StudyDescription":"CHEST"},
        "Series":{"1.2.3":{"Instances":{"1.2.3.2":{"DICOM":{"InstanceNumber":"7"}}}}}}})", std::nullopt, false);
    REQUIRE(out.ok());
    const auto d = parsed(out.value());
    CHECK(std::string(d["Patient"]["DICOM"]["PatientSex"].GetString()) == "F");
    CHECK(std::string(d["Patient"]["DICOM"]["PatientName"].GetString()) == "A^B");
    CHECK(std::string(d["Study"]["DICOM"]["StudyDescription"].GetString()) == "CHEST");
    CHECK(std::string(d["Study"]["Series"]["1.2.3"]["Instances"]["1.2.3.2"]["DICOM"]["InstanceNumber"].GetString()) == "7");
    CHECK(d["Study"]["Series"]["1.2.3"]["Instances"]["1.2.3.2"]["ImageFrames"].Size() == 2);
}

TEST_CASE("removableAttributes removes elements, and a series or instance given as {} whole") {
    auto out = hil::server::updated_metadata(
        k_doc, std::nullopt,
        R"({"Study":{"DICOM":{"StudyDescription":"HEAD"},"Series":{"1.2.3":{"Instances":{"1.2.3.1":{}}}}}})", false);
    REQUIRE(out.ok());
    const auto d = parsed(out.value());
    CHECK_FALSE(d["Study"]["DICOM"].HasMember("StudyDescription"));
    CHECK_FALSE(d["Study"]["Series"]["1.2.3"]["Instances"].HasMember("1.2.3.1"));
    CHECK(d["Study"]["Series"]["1.2.3"]["Instances"].HasMember("1.2.3.2"));
}

TEST_CASE("UIDs, StudyID and private elements change only with force; frames never") {
    for (const char* change : {R"({"Study":{"DICOM":{"StudyInstanceUID":"9.9"}}})", R"({"Study":{"DICOM":{"StudyID":"S"}}})",
                               R"({"Study":{"Series":{"1.2.3":{"Instances":{"1.2.3.1":{"DICOM":{"0019100A":"y"}}}}}}})"}) {
        CAPTURE(change);
        const auto refused = hil::server::updated_metadata(k_doc, std::string(change), std::nullopt, false);
        REQUIRE_FALSE(refused.ok());
        CHECK(refused.err().code() == error_code::validation);
        CHECK(hil::server::updated_metadata(k_doc, std::string(change), std::nullopt, true).ok());
    }
    for (const char* change : {R"({"Study":{"Series":{"1.2.3":{"Instances":{"1.2.3.1":{"ImageFrames":[]}}}}}})",
                               R"({"Study":{"Series":{"9.9":{"DICOM":{"Modality":"MR"}}}}})", R"({"ImageSetID":"x"})", "not json"}) {
        CAPTURE(change);
        const auto refused = hil::server::updated_metadata(k_doc, std::string(change), std::nullopt, true);
        REQUIRE_FALSE(refused.ok());
        CHECK(refused.err().code() == error_code::validation);
    }
}

TEST_CASE("study_level_only keeps the Patient and Study parts of an update") {
    const auto study = hil::server::study_level_only(
        R"({"Patient":{"DICOM":{"PatientSex":"F"}},"Study":{"DICOM":{"StudyDescription":"X"},"Series":{"1.2.3":{}}}})");
    REQUIRE(study.has_value());
    const auto d = parsed(*study);
    CHECK(d.HasMember("Patient"));
    CHECK_FALSE(d["Study"].HasMember("Series"));
    CHECK_FALSE(hil::server::study_level_only(R"({"Study":{"Series":{"1.2.3":{}}}})").has_value());
}

TEST_CASE("a copy takes the named instances and their frames") {
    auto all = hil::server::copied_metadata(k_doc, std::nullopt, std::nullopt, "new", false);
    REQUIRE(all.ok());
    CHECK(all.value().frame_ids == std::vector<std::string>{"f1", "f2", "f3"});
    CHECK(std::string(parsed(all.value().metadata)["ImageSetID"].GetString()) == "new");
    auto one = hil::server::copied_metadata(
        k_doc, R"({"SchemaVersion":"1.1","Study":{"Series":{"1.2.3":{"Instances":{"1.2.3.2":{}}}}}})", std::nullopt, "new", false);
    REQUIRE(one.ok());
    CHECK(one.value().frame_ids == std::vector<std::string>{"f2", "f3"});
    CHECK_FALSE(parsed(one.value().metadata)["Study"]["Series"]["1.2.3"]["Instances"].HasMember("1.2.3.1"));
    const auto missing = hil::server::copied_metadata(k_doc, R"({"Study":{"Series":{"7.7":{}}}})", std::nullopt, "new", false);
    REQUIRE_FALSE(missing.ok());
    CHECK(missing.err().code() == error_code::validation);
}

TEST_CASE("a copy into an image set of other Patient, Study or Series elements needs force") {
    std::string other = k_doc;
    other.replace(other.find("\"P1\""), 4, "\"P2\"");
    auto refused = hil::server::copied_metadata(k_doc, std::nullopt, other, "dest", false);
    REQUIRE(refused.ok());
    CHECK_FALSE(refused.value().consistent);
    CHECK(refused.value().metadata.empty());
    auto forced = hil::server::copied_metadata(k_doc, std::nullopt, other, "dest", true);
    REQUIRE(forced.ok());
    CHECK_FALSE(forced.value().metadata.empty());
    auto same = hil::server::copied_metadata(k_doc, std::nullopt, k_doc, "i", false);
    REQUIRE(same.ok());
    CHECK(same.value().consistent);
}
