#include "store/fixture_loader.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "test_support.hpp"

namespace {

using hil::store::apply_fixtures;
using hil::store::parse_fixture;

const std::string k_ds_a(hil::test::k_datastore_a);
const std::string k_ds_b(hil::test::k_datastore_b);

std::string datastore_json(const std::string& id) {
    return R"({"datastoreId": ")" + id + R"(", "datastoreName": "radiology-prod", "datastoreStatus": "ACTIVE"})";
}

// A job with every member, or (`full` false) with the required ones only.
std::string job_json(const std::string& job_id, const std::string& datastore_id, bool full = true) {
    return R"({"jobId": ")" + job_id + R"(", "datastoreId": ")" + datastore_id +
           R"(", "jobName": "ct-chest-batch-01", "jobStatus": "COMPLETED",
              "dataAccessRoleArn": "arn:aws:iam::123456789012:role/ImportRole",
              "inputS3Uri": "s3://inbox/ct/", "outputS3Uri": "s3://results/imports/")" +
           (full ? R"(, "submittedAt": 1700000000.123, "endedAt": 1700000321.5, "message": "done"})" : "}");
}

const std::string k_job = job_json("abc123", k_ds_a);

std::string doc(const std::string& datastores, const std::string& jobs, const std::string& faults = "") {
    std::string out = R"({"datastores": [)" + datastores + R"(], "jobs": [)" + jobs + "]";
    if (!faults.empty()) out += R"(, "faults": [)" + faults + "]";
    return out + "}";
}

// `text` with its first `from` replaced by `to`; the test fails if `from` is not there.
std::string with(std::string text, const std::string& from, const std::string& to) {
    const auto at = text.find(from);
    REQUIRE_MESSAGE(at != std::string::npos, "test bug: '" << from << "' not in the fixture");
    return text.replace(at, from.size(), to);
}

// The message of parsing `text` as "t.json", which must fail as a ValidationException.
std::string failure(const std::string& text) {
    const auto r = parse_fixture(text, "t.json");
    REQUIRE_FALSE(r.ok());
    CHECK(r.err().code() == hil::api::error_code::validation);
    return r.err().message();
}

std::string job_failure(const std::string& from, const std::string& to) {
    return failure(doc(datastore_json(k_ds_a), with(k_job, from, to)));
}

std::string fault_failure(const std::string& fault) { return failure(doc("", "", fault)); }

hil::store::store_counts counts(hil::store::store& s) {
    const auto c = s.counts();
    REQUIRE(c.ok());
    return c.value();
}

std::unique_ptr<hil::store::store> memory_store() {
    auto s = hil::store::store::open(":memory:");
    REQUIRE(s.ok());
    return std::move(s).value();
}

std::vector<hil::store::fixture_document> parse_all(std::initializer_list<std::pair<std::string, std::string>> docs) {
    std::vector<hil::store::fixture_document> out;
    for (const auto& [source, text] : docs) {
        auto d = parse_fixture(text, source);
        REQUIRE_MESSAGE(d.ok(), (d.ok() ? "" : d.err().message()));
        out.push_back(std::move(d).value());
    }
    return out;
}

}  // namespace

TEST_CASE("a valid fixture parses into datastores, jobs and faults") {
    const auto text = doc(datastore_json(k_ds_a) + "," + datastore_json(k_ds_b),
                          k_job + "," + job_json("plain", k_ds_b, false),
                          R"({"operation": "GetDICOMImportJob", "datastoreId": ")" + k_ds_a +
                              R"(", "jobId": "abc123", "error": "ThrottlingException", "message": "slow down", "times": 2},
                             {"error": "AccessDeniedException"})");
    const auto r = parse_fixture(text, "sample.json");
    REQUIRE_MESSAGE(r.ok(), (r.ok() ? "" : r.err().message()));
    const auto& d = r.value();
    CHECK(d.source == "sample.json");
    REQUIRE(d.datastores.size() == 2);
    CHECK(d.datastores[0].datastore_id == k_ds_a);
    CHECK(d.datastores[0].datastore_name == "radiology-prod");
    CHECK(d.datastores[0].datastore_status == "ACTIVE");
    REQUIRE(d.jobs.size() == 2);
    const auto& j = d.jobs[0];
    hil::test::check_sample_job(j, k_ds_a);
    CHECK_FALSE(d.jobs[1].submitted_at.has_value());
    CHECK_FALSE(d.jobs[1].ended_at.has_value());
    CHECK_FALSE(d.jobs[1].message.has_value());
    REQUIRE(d.faults.size() == 2);
    CHECK(d.faults[0].operation == std::string("GetDICOMImportJob"));
    using label = std::pair<std::string, std::string>;
    CHECK(d.faults[0].labels == std::vector<label>{{"datastoreId", k_ds_a}, {"jobId", "abc123"}});
    CHECK(d.faults[0].error == hil::api::error_code::throttling);
    CHECK(d.faults[0].message == "slow down");
    CHECK(d.faults[0].times == std::uint64_t{2});
    CHECK_FALSE(d.faults[1].operation.has_value());
    CHECK_FALSE(d.faults[1].times.has_value());
    CHECK(d.faults[1].message.empty());
    CHECK(d.faults[1].error == hil::api::error_code::access_denied);
}

TEST_CASE("timestamps become whole milliseconds") {
    const auto stamp = [](const std::string& seconds) {
        const auto r = parse_fixture(doc(datastore_json(k_ds_a), with(with(k_job, "1700000000.123", seconds),
                                                                      R"("endedAt": 1700000321.5, )", "")),
                                     "t.json");
        REQUIRE_MESSAGE(r.ok(), (r.ok() ? "" : r.err().message()));
        return *r.value().jobs[0].submitted_at;
    };
    CHECK(stamp("0") == 0);
    CHECK(stamp("1700000000") == 1700000000000);
    CHECK(stamp("1700000000.5") == 1700000000500);
    CHECK(stamp("1700000000.05") == 1700000000050);
    CHECK(stamp("1761984000.152") == 1761984000152);
    CHECK(stamp("1764403200.004") == 1764403200004);
}

// The loader parses numbers without RapidJSON's full-precision mode (faster, and that mode
// misbehaves on inputs like 0e99); every millisecond must still come back exactly, both as
// people write it and as write_fixture (GET /_emulator/state) writes it.
TEST_CASE("every millisecond fraction round-trips through the fixture format") {
    std::vector<hil::store::import_job> jobs;
    for (const long long base : {0LL, 1700000000LL, 1764403199LL, 253402300797LL}) {
        for (long long millis = 0; millis < 1000; ++millis) {
            hil::store::import_job j;
            j.job_id = "j" + std::to_string(jobs.size());
            j.datastore_id = k_ds_a;
            j.job_name = "n";
            j.job_status = "COMPLETED";
            j.data_access_role_arn = "arn:aws:iam::123456789012:role/ImportRole";
            j.input_s3_uri = "s3://inbox/ct/";
            j.output_s3_uri = "s3://results/imports/";
            j.submitted_at = base * 1000 + millis;
            j.ended_at = (base + 1) * 1000 + (999 - millis);
            jobs.push_back(std::move(j));
        }
    }
    hil::store::dataset data;
    data.datastores.push_back(hil::test::make_datastore(k_ds_a, "radiology-prod"));
    data.jobs = jobs;
    const auto text = hil::store::write_fixture(data, {});
    const auto r = parse_fixture(text, "state.json");
    REQUIRE_MESSAGE(r.ok(), (r.ok() ? "" : r.err().message()));
    REQUIRE(r.value().jobs.size() == jobs.size());
    std::size_t wrong = 0;
    for (std::size_t i = 0; i < jobs.size(); ++i) {
        if (r.value().jobs[i].submitted_at != jobs[i].submitted_at || r.value().jobs[i].ended_at != jobs[i].ended_at) {
            if (wrong++ < 5) FAIL_CHECK("job " << i << ": " << *jobs[i].submitted_at << " came back as " << *r.value().jobs[i].submitted_at);
        }
    }
    CHECK(wrong == 0);
    // As people write them: three decimals, trailing zeros or not.
    const auto stamp = [](const std::string& seconds) {
        const auto p = parse_fixture(doc(datastore_json(k_ds_a), with(with(k_job, "1700000000.123", seconds),
                                                                      R"("endedAt": 1700000321.5, )", "")),
                                     "t.json");
        REQUIRE_MESSAGE(p.ok(), (p.ok() ? "" : p.err().message()));
        return *p.value().jobs[0].submitted_at;
    };
    CHECK(stamp("253402300798.999") == 253402300798999);
    CHECK(stamp("1700000000.100") == 1700000000100);
    CHECK(stamp("1700000000.001") == 1700000000001);
    CHECK(stamp("1.7000000001e9") == 1700000000100);
}

TEST_CASE("an empty document and empty lists are fine") {
    for (const std::string text : {"{}", R"({"datastores": [], "jobs": [], "faults": []})"}) {
        const auto r = parse_fixture(text, "t.json");
        REQUIRE(r.ok());
        CHECK(r.value().datastores.empty());
        CHECK(r.value().jobs.empty());
        CHECK(r.value().faults.empty());
    }
}

TEST_CASE("malformed JSON names the line and column") {
    const auto m = failure("{\n  \"jobs\": [\n    ,\n  ]\n}");
    CHECK(m.find("fixture t.json: line 3, column 5: malformed JSON: ") == 0);
    const auto first_line = failure(R"({"datastores": [})");
    CHECK(first_line.find("fixture t.json: line 1, column 17: malformed JSON") == 0);
    CHECK(failure("").find("fixture t.json: line 1, column 1: malformed JSON") == 0);
    CHECK(failure("{} trailing").find("malformed JSON") != std::string::npos);
    CHECK(failure("{\"a\": \"\xFF\"}").find("malformed JSON") != std::string::npos);
}

TEST_CASE("the document and its items must be objects and arrays as documented") {
    CHECK(failure("[]") == "fixture t.json: /: must be an object, not an array");
    CHECK(failure("42") == "fixture t.json: /: must be an object, not a number");
    CHECK(failure(R"({"jobs": {}})") == "fixture t.json: /jobs: must be an array, not an object");
    CHECK(failure(R"({"datastores": ["x"]})") == "fixture t.json: /datastores/0: must be an object, not a string");
    CHECK(failure(R"({"jobs": [null]})") == "fixture t.json: /jobs/0: must be an object, not null");
}

TEST_CASE("unknown members are refused, at the top and inside items") {
    CHECK(failure(R"({"datastore": []})") ==
          "fixture t.json: /datastore: unknown member (expected one of: $schema, accountId, region, datastores, jobs, importRules, imports, "
          "faults, credentials, policies)");
    const auto in_job = job_failure(R"("jobName")", R"("jobname")");
    CHECK(in_job.find("fixture t.json: /jobs/0/jobname: unknown member (expected one of: jobId, datastoreId, jobName") == 0);
    const auto in_ds = failure(doc(with(datastore_json(k_ds_a), "{", R"({"extra": 1, )"), ""));
    CHECK(in_ds.find("fixture t.json: /datastores/0/extra: unknown member") == 0);
    // The name is the input's: its place shows it clipped, so the message stays bounded.
    const auto long_name = failure(R"({")" + std::string(8000, 'x') + R"(": 1})");
    CHECK(long_name.find("/" + std::string(64, 'x') + "...: unknown member") != std::string::npos);
    CHECK(long_name.size() < 1024);
}

TEST_CASE("a member given twice is refused") {
    CHECK(failure(R"({"jobs": [], "jobs": []})") == "fixture t.json: /jobs: member given twice");
    CHECK(job_failure(R"("jobId": "abc123")", R"("jobId": "abc123", "jobId": "def")") ==
          "fixture t.json: /jobs/0/jobId: member given twice");
}

TEST_CASE("a name given twice is refused in tags and in importConfiguration too") {
    // Members read as a whole (a tag map, an API value) are not walked by name: the check is theirs.
    CHECK(failure(doc(with(datastore_json(k_ds_a), "}", R"(, "tags": {"k": "1", "k": "2"}})"), "")) ==
          "fixture t.json: /datastores/0/tags/k: member given twice");
    const std::string mapping = R"({"studyInstanceUID": "1.2", "metadataFilePath": "a.json", "x": 1, "x": 2})";
    CHECK(job_failure(R"("message": "done")",
                      R"("message": "done", "importConfiguration": {"dicomJsonMetadataImportConfiguration": )"
                      R"({"dicomMetadataMappings": [)" + mapping + "]}}") ==
          "fixture t.json: /jobs/0/importConfiguration/dicomJsonMetadataImportConfiguration/dicomMetadataMappings/0/x: "
          "member given twice");
}

TEST_CASE("\"$schema\" is for editors: any string, never read") {
    CHECK(parse_fixture(R"({"$schema": "../fixtures/schema.json"})", "t.json").ok());
    CHECK(parse_fixture(R"({"$schema": ""})", "t.json").ok());
    CHECK(failure(R"({"$schema": 1})") == "fixture t.json: /$schema: must be a string, not a number");
}

TEST_CASE("lengths of free text count characters, not bytes, as every shape's do") {
    const std::string e_acute = "\xC3\xA9";  // one character, two bytes
    auto repeat = [](const std::string& s, std::size_t n) {
        std::string out;
        for (std::size_t i = 0; i < n; ++i) out += s;
        return out;
    };
    auto credential = [](const std::string& secret) {
        return R"({"credentials": [{"accessKeyId": "AKIAX1", "secretAccessKey": ")" + secret +
               R"(", "accountId": "111122223333"}]})";
    };
    CHECK(parse_fixture(credential(repeat(e_acute, 128)), "t.json").ok());
    CHECK(failure(credential(repeat(e_acute, 129))) == "fixture t.json: /credentials/0/secretAccessKey: must be 1 to 128 characters");
    const auto rule = [](const std::string& prefix) { return R"({"importRules": [{"inputS3UriPrefix": ")" + prefix + R"("}]})"; };
    CHECK(parse_fixture(rule("s3://" + repeat(e_acute, 1019)), "t.json").ok());
    CHECK(failure(rule("s3://" + repeat(e_acute, 1020))).find("/importRules/0/inputS3UriPrefix: must be the start") != std::string::npos);
}

TEST_CASE("required members must be present") {
    for (const std::string member : {"jobId", "datastoreId", "jobName", "jobStatus", "dataAccessRoleArn", "inputS3Uri",
                                     "outputS3Uri"}) {
        CAPTURE(member);
        // Drop `"member": "value",` from the job.
        std::string job = k_job;
        const auto key = job.find("\"" + member + "\"");
        REQUIRE(key != std::string::npos);
        const auto comma = job.find(',', job.find(':', key));
        job.erase(key, comma + 1 - key);
        CHECK(failure(doc(datastore_json(k_ds_a), job)) ==
              "fixture t.json: /jobs/0/" + member + ": required member is missing");
    }
    CHECK(failure(R"({"datastores": [{"datastoreId": ")" + k_ds_a + R"(", "datastoreStatus": "ACTIVE"}]})") ==
          "fixture t.json: /datastores/0/datastoreName: required member is missing");
}

TEST_CASE("members of the wrong type are refused") {
    CHECK(job_failure(R"("jobId": "abc123")", R"("jobId": 5)") == "fixture t.json: /jobs/0/jobId: must be a string, not a number");
    CHECK(job_failure(R"("message": "done")", R"("message": null)") ==
          "fixture t.json: /jobs/0/message: must be a string, not null");
    CHECK(job_failure("1700000000.123", R"("yesterday")") ==
          "fixture t.json: /jobs/0/submittedAt: must be a number of seconds since the epoch, not a string");
    CHECK(job_failure(R"("jobStatus": "COMPLETED")", R"("jobStatus": true)") ==
          "fixture t.json: /jobs/0/jobStatus: must be a string, not a boolean");
}

TEST_CASE("values are checked against the API's constraints") {
    CHECK(job_failure(R"("jobId": "abc123")", R"("jobId": "ABC")") ==
          "fixture t.json: /jobs/0/jobId: value 'ABC' is not a valid JobId: "
          "Member must satisfy regular expression pattern: [0-9a-z]+");
    CHECK(job_failure(R"("jobId": "abc123")", R"("jobId": "")") ==
          "fixture t.json: /jobs/0/jobId: value '' is not a valid JobId: Member must have length greater than or "
          "equal to 1; Member must satisfy regular expression pattern: [0-9a-z]+");
    CHECK(job_failure("\"datastoreId\": \"" + k_ds_a, "\"datastoreId\": \"" + k_ds_a + "0")
              .find("/jobs/0/datastoreId: value '" + k_ds_a + "0' is not a valid DatastoreId") != std::string::npos);
    CHECK(job_failure("role/ImportRole", "user/ImportRole").find("/jobs/0/dataAccessRoleArn: value") != std::string::npos);
    CHECK(job_failure("s3://inbox/ct/", "s3://In/ct/").find("/jobs/0/inputS3Uri: value 's3://In/ct/' is not a valid S3Uri") !=
          std::string::npos);
    CHECK(job_failure("s3://results/", "s3://-results/").find("/jobs/0/outputS3Uri") != std::string::npos);
    CHECK(job_failure("ct-chest-batch-01", "ct chest").find("/jobs/0/jobName: value 'ct chest' is not a valid JobName") !=
          std::string::npos);
    CHECK(job_failure(R"("message": "done")", R"("message": "a; b")").find("/jobs/0/message: value 'a; b' is not a valid Message") !=
          std::string::npos);
}

TEST_CASE("enum members list the allowed values") {
    CHECK(job_failure(R"("jobStatus": "COMPLETED")", R"("jobStatus": "DONE")") ==
          "fixture t.json: /jobs/0/jobStatus: value 'DONE' is not valid JobStatus: "
          "Member must satisfy enum value set: [SUBMITTED, IN_PROGRESS, COMPLETED, FAILED]");
    CHECK(failure(doc(with(datastore_json(k_ds_a), "ACTIVE", "active"), "")) ==
          "fixture t.json: /datastores/0/datastoreStatus: value 'active' is not valid DatastoreStatus: "
          "Member must satisfy enum value set: [CREATING, CREATE_FAILED, ACTIVE, DELETING, DELETED]");
}

TEST_CASE("timestamps must be in range and in order") {
    CHECK(job_failure("1700000000.123", "-1") ==
          "fixture t.json: /jobs/0/submittedAt: must be a number of seconds between 0 and 253402300799 (year 9999)");
    CHECK(job_failure("1700000321.5", "253402300800").find("/jobs/0/endedAt: must be a number of seconds between") !=
          std::string::npos);
    CHECK(job_failure("1700000321.5", "1700000000.122") == "fixture t.json: /jobs/0/endedAt: must not be earlier than submittedAt");
    // Equal is fine.
    CHECK(parse_fixture(doc(datastore_json(k_ds_a), with(k_job, "1700000321.5", "1700000000.123")), "t.json").ok());
}

TEST_CASE("bad faults are refused with the place and reason") {
    const auto unknown_error = fault_failure(R"({"error": "NoSuchException"})");
    CHECK(unknown_error.find("fixture t.json: /faults/0/error: 'NoSuchException' is not an error of the API (") == 0);
    CHECK(unknown_error.find("ThrottlingException") != std::string::npos);
    // Protocol-level errors are not the API's own and cannot be scripted.
    CHECK(fault_failure(R"({"error": "UnknownOperationException"})").find("/faults/0/error: 'UnknownOperationException' is not an error of the API") !=
          std::string::npos);
    CHECK(fault_failure(R"({"operation": "ListThings", "error": "ThrottlingException"})") ==
          "fixture t.json: /faults/0/operation: 'ListThings' is not an operation this emulator serves (CreateDatastore, GetDatastore, "
          "ListDatastores, DeleteDatastore, StartDICOMImportJob, GetDICOMImportJob, ListDICOMImportJobs, TagResource, "
          "UntagResource, ListTagsForResource, SearchImageSets, GetImageSet, GetImageSetMetadata, GetImageFrame, "
          "ListImageSetVersions, UpdateImageSetMetadata, CopyImageSet, DeleteImageSet)");
    CHECK(fault_failure(R"({"operation": "GetDICOMImportJob", "error": "ServiceQuotaExceededException"})") ==
          "fixture t.json: /faults/0/error: GetDICOMImportJob does not declare ServiceQuotaExceededException");
    CHECK(fault_failure(R"({"error": "ThrottlingException", "message": ""})") ==
          "fixture t.json: /faults/0/message: must not be empty (leave it out for the default message)");
    CHECK(fault_failure(R"({"error": "ThrottlingException", "times": -1})").find("/faults/0/times: must be a whole number") !=
          std::string::npos);
    CHECK(fault_failure(R"({"error": "ThrottlingException", "times": 1.5})").find("/faults/0/times: must be a whole number") !=
          std::string::npos);
    CHECK(fault_failure(R"({"error": "ThrottlingException", "times": "2"})").find("/faults/0/times") != std::string::npos);
    CHECK(fault_failure(R"({"error": "ThrottlingException", "jobId": "BAD"})").find("/faults/0/jobId: value 'BAD' is not a valid JobId") !=
          std::string::npos);
    CHECK(fault_failure(R"({"error": "ThrottlingException", "tiems": 2})").find("/faults/0/tiems: unknown member") !=
          std::string::npos);
}

TEST_CASE("a second fault is reported at its own index") {
    CHECK(fault_failure(R"({"error": "ThrottlingException"}, {"error": "Nope"})").find("/faults/1/error") != std::string::npos);
}

TEST_CASE("read_fixture_path reads one file") {
    hil::test::temp_path dir("hil-fixtures-file");
    std::filesystem::create_directories(dir.path());
    const auto file = dir.path() / "one.json";
    hil::test::write_file(file, doc(datastore_json(k_ds_a), k_job));
    const auto r = hil::store::read_fixture_path(file.string());
    REQUIRE_MESSAGE(r.ok(), (r.ok() ? "" : r.err().message()));
    REQUIRE(r.value().size() == 1);
    CHECK(r.value()[0].source == file.string());
    CHECK(r.value()[0].jobs.size() == 1);
}

TEST_CASE("read_fixture_path reads a folder's *.json files in name order, not its subfolders") {
    hil::test::temp_path dir("hil-fixtures-dir");
    std::filesystem::create_directories(dir.path() / "sub");
    hil::test::write_file(dir.path() / "b.json", doc(datastore_json(k_ds_b), ""));
    hil::test::write_file(dir.path() / "a.json", doc(datastore_json(k_ds_a), ""));
    hil::test::write_file(dir.path() / "c.json.txt", "not json");
    hil::test::write_file(dir.path() / "notes.md", "not json");
    hil::test::write_file(dir.path() / "sub" / "0.json", "not json either");
    const auto r = hil::store::read_fixture_path(dir.str());
    REQUIRE_MESSAGE(r.ok(), (r.ok() ? "" : r.err().message()));
    REQUIRE(r.value().size() == 2);
    CHECK(r.value()[0].source == (dir.path() / "a.json").string());
    CHECK(r.value()[0].datastores.at(0).datastore_id == k_ds_a);
    CHECK(r.value()[1].source == (dir.path() / "b.json").string());
    CHECK(r.value()[1].datastores.at(0).datastore_id == k_ds_b);
}

TEST_CASE("read_fixture_path leaves a folder's schema.json out: the JSON Schema that editors read") {
    hil::test::temp_path dir("hil-fixtures-schema");
    std::filesystem::create_directories(dir.path());
    hil::test::write_file(dir.path() / "a.json", doc(datastore_json(k_ds_a), ""));
    hil::test::write_file(dir.path() / "schema.json", R"({"$schema": "https://json-schema.org/draft/2020-12/schema", "type": "object"})");
    const auto r = hil::store::read_fixture_path(dir.str());
    REQUIRE_MESSAGE(r.ok(), (r.ok() ? "" : r.err().message()));
    REQUIRE(r.value().size() == 1);
    CHECK(r.value()[0].source == (dir.path() / "a.json").string());

    // Named on its own, it is read as what it was named as: a fixture (and refused as one).
    CHECK_FALSE(hil::store::read_fixture_path((dir.path() / "schema.json").string()).ok());
    // A folder holding nothing but the schema holds no fixtures.
    std::filesystem::remove(dir.path() / "a.json");
    const auto only_schema = hil::store::read_fixture_path(dir.str());
    REQUIRE_FALSE(only_schema.ok());
    CHECK(only_schema.err().message() == "fixture " + dir.str() + ": folder: holds no *.json files");
}

TEST_CASE("read_fixture_path sorts by name whatever order the folder lists") {
    // Enough files, made in a scrambled order, that a directory listing which happened to
    // be sorted is vanishingly unlikely.
    hil::test::temp_path dir("hil-fixtures-order");
    std::filesystem::create_directories(dir.path());
    const std::vector<std::string> made = {"m", "c", "x", "a", "q", "f", "z", "b", "k", "d", "t", "h", "o", "e", "w", "g"};
    for (const auto& name : made) hil::test::write_file(dir.path() / (name + ".json"), "{}");
    const auto r = hil::store::read_fixture_path(dir.str());
    REQUIRE(r.ok());
    std::vector<std::string> read;
    for (const auto& d : r.value()) read.push_back(std::filesystem::path(d.source).stem().string());
    auto sorted = made;
    std::sort(sorted.begin(), sorted.end());
    CHECK(read == sorted);
}

TEST_CASE("read_fixture_path names the bad file in a folder") {
    hil::test::temp_path dir("hil-fixtures-bad");
    std::filesystem::create_directories(dir.path());
    hil::test::write_file(dir.path() / "a.json", "{}");
    hil::test::write_file(dir.path() / "b.json", R"({"jobs": 1})");
    const auto r = hil::store::read_fixture_path(dir.str());
    REQUIRE_FALSE(r.ok());
    CHECK(r.err().message() == "fixture " + (dir.path() / "b.json").string() + ": /jobs: must be an array, not a number");
}

TEST_CASE("read_fixture_path refuses a missing path and an empty folder") {
    hil::test::temp_path dir("hil-fixtures-missing");
    const auto missing = hil::store::read_fixture_path(dir.str());
    REQUIRE_FALSE(missing.ok());
    CHECK(missing.err().code() == hil::api::error_code::validation);
    CHECK(missing.err().message() == "fixture " + dir.str() + ": path: does not exist");

    std::filesystem::create_directories(dir.path());
    hil::test::write_file(dir.path() / "readme.txt", "{}");
    const auto empty = hil::store::read_fixture_path(dir.str());
    REQUIRE_FALSE(empty.ok());
    CHECK(empty.err().message() == "fixture " + dir.str() + ": folder: holds no *.json files");
}

TEST_CASE("apply_fixtures loads datastores, jobs and faults") {
    auto s = memory_store();
    hil::store::fault_rules faults;
    hil::store::access_book access;
    const auto docs = parse_all({{"one.json", doc(datastore_json(k_ds_a), k_job, R"({"error": "ConflictException"})")},
                                 {"two.json", doc(datastore_json(k_ds_b), job_json("x1", k_ds_b) + "," + job_json("x2", k_ds_a))}});
    REQUIRE(apply_fixtures(docs, {*s, faults, access}));
    CHECK(counts(*s).datastores == 2);
    CHECK(counts(*s).jobs == 3);
    CHECK(faults.size() == 1);
    CHECK(s->find_import_job({}, k_ds_a, "x2").ok());  // a job may use a datastore of another document
}

TEST_CASE("apply_fixtures refuses a datastore declared twice, changing nothing") {
    auto s = memory_store();
    hil::store::fault_rules faults;
    hil::store::access_book access;
    REQUIRE(apply_fixtures(parse_all({{"base.json", doc(datastore_json(std::string(32, 'e')), "")}}), {*s, faults, access}));
    const auto before = counts(*s);
    const auto docs = parse_all({{"one.json", doc(datastore_json(k_ds_a), k_job, R"({"error": "ConflictException"})")},
                                 {"two.json", doc(datastore_json(k_ds_b) + "," + datastore_json(k_ds_a), "")}});
    const auto st = apply_fixtures(docs, {*s, faults, access});
    REQUIRE_FALSE(st.ok());
    CHECK(st.err().code() == hil::api::error_code::validation);
    CHECK(st.err().message() == "fixture two.json: /datastores/1/datastoreId: datastore " + k_ds_a +
                                    " is already declared at one.json /datastores/0");
    const auto after = counts(*s);
    CHECK(after.datastores == before.datastores);
    CHECK(after.jobs == before.jobs);
    CHECK(faults.size() == 0);
}

TEST_CASE("apply_fixtures refuses a job of an undeclared datastore, changing nothing") {
    auto s = memory_store();
    hil::store::fault_rules faults;
    hil::store::access_book access;
    const auto docs = parse_all({{"one.json", doc(datastore_json(k_ds_a), k_job, R"({"error": "ConflictException"})")},
                                 {"two.json", doc("", job_json("lost", k_ds_b))}});
    const auto st = apply_fixtures(docs, {*s, faults, access});
    REQUIRE_FALSE(st.ok());
    CHECK(st.err().message() ==
          "fixture two.json: /jobs/0/datastoreId: datastore " + k_ds_b + " is not declared in the fixtures' datastores");
    CHECK(counts(*s).datastores == 0);
    CHECK(counts(*s).jobs == 0);
    CHECK(faults.size() == 0);
    CHECK_FALSE(s->has_datastore(k_ds_a).value());
}

TEST_CASE("apply_fixtures refuses a job declared twice") {
    auto s = memory_store();
    hil::store::fault_rules faults;
    hil::store::access_book access;
    const auto docs = parse_all({{"one.json", doc(datastore_json(k_ds_a), k_job)}, {"two.json", doc("", k_job)}});
    const auto st = apply_fixtures(docs, {*s, faults, access});
    REQUIRE_FALSE(st.ok());
    CHECK(st.err().message().find("fixture two.json: /jobs/0/jobId: job abc123 of datastore " + k_ds_a +
                                  " is already declared at one.json /jobs/0") == 0);
    CHECK(counts(*s).jobs == 0);
}

TEST_CASE("a job may reference a datastore already in the store") {
    auto s = memory_store();
    hil::store::fault_rules faults;
    hil::store::access_book access;
    REQUIRE(hil::test::upsert(*s, {hil::test::make_datastore(k_ds_b)}, {}));
    REQUIRE(apply_fixtures(parse_all({{"later.json", doc("", job_json("late", k_ds_b))}}), {*s, faults, access}));
    CHECK(counts(*s).jobs == 1);
    CHECK(s->find_import_job({}, k_ds_b, "late").ok());
}

TEST_CASE("a document's accountId and region are its datastores' and (when named) its faults' namespace") {
    const auto seeded = parse_fixture(R"({"accountId":"111122223333","region":"eu-west-1","datastores":[)" +
                                          datastore_json(k_ds_a) + R"(],"faults":[{"error":"ThrottlingException"}]})",
                                      "t.json");
    REQUIRE(seeded);
    CHECK(seeded.value().datastores[0].account_id == "111122223333");
    CHECK(seeded.value().datastores[0].region == "eu-west-1");
    CHECK(seeded.value().faults[0].account_id == std::optional<std::string>("111122223333"));
    CHECK(seeded.value().faults[0].region == std::optional<std::string>("eu-west-1"));
    // Unnamed: the default namespace, and faults for everyone.
    const auto plain = parse_fixture(doc(datastore_json(k_ds_a), "", R"({"error":"ThrottlingException"})"), "t.json");
    REQUIRE(plain);
    CHECK(plain.value().datastores[0].account_id == "123456789012");
    CHECK(plain.value().datastores[0].region == "us-east-1");
    CHECK_FALSE(plain.value().faults[0].account_id);
    CHECK_FALSE(plain.value().faults[0].region);
    // "*": seen from every region (stored as no region).
    const auto everywhere = parse_fixture(R"({"region":"*","datastores":[)" + datastore_json(k_ds_a) + "]}", "t.json");
    REQUIRE(everywhere);
    CHECK(everywhere.value().datastores[0].region.empty());
    CHECK(failure(R"({"region":"EU"})") ==
          "fixture t.json: /region: must be a region name such as us-east-1 (lower-case letters, digits and '-'), or \"*\" for every region");
    CHECK(failure(R"({"accountId":"12"})").find("fixture t.json: /accountId: value '12' is not a valid AwsAccountId") == 0);
    CHECK(fault_failure(R"({"error":"ThrottlingException","region":"*"})") ==
          "fixture t.json: /faults/0/region: must be a region name such as us-east-1 (lower-case letters, digits and '-')");
}

TEST_CASE("credentials and policies are read with their constraints, and refused with the place and reason") {
    const auto ok = parse_fixture(R"({"credentials":[{"accessKeyId":"AKIAX1","secretAccessKey":"s","sessionToken":"t",
        "expiresAt":1764403200.5,"accountId":"111122223333","principalArn":"arn:aws:iam::111122223333:user/x"}],
        "policies":[{"effect":"Deny","principal":"*","actions":["medical-imaging:*"],"resources":["*"]}]})", "t.json");
    REQUIRE(ok);
    const auto& c = ok.value().credentials.at(0);
    CHECK(c.access_key_id == "AKIAX1");
    CHECK(c.session_token == std::optional<std::string>("t"));
    CHECK(c.expires_at == std::optional<hil::api::epoch_millis>(1'764'403'200'500));
    CHECK_FALSE(ok.value().policies.at(0).allow);
    CHECK(failure(R"({"credentials":[{"accessKeyId":"A B","secretAccessKey":"s","accountId":"111122223333"}]})")
              .find("fixture t.json: /credentials/0/accessKeyId: must be 3 to 128 characters") == 0);
    CHECK(failure(R"({"credentials":[{"accessKeyId":"AKIAX1","secretAccessKey":"s","accountId":"111122223333",
        "principalArn":"arn:aws:iam::999999999999:user/x"}]})")
              .find("fixture t.json: /credentials/0/principalArn: must be an IAM or STS ARN of the credential's account") == 0);
    CHECK(failure(R"({"policies":[{"effect":"Allow","principal":"*","actions":["s3:GetObject"],"resources":["*"]}]})") ==
          "fixture t.json: /policies/0/actions/0: 's3:GetObject' is not an action of the service: \"*\" or "
          "medical-imaging:<Operation>, wildcards allowed");
    CHECK(failure(R"({"policies":[{"effect":"Allow","principal":"*","actions":[],"resources":["*"]}]})") ==
          "fixture t.json: /policies/0/actions: must be an array of 1 to 100 strings");
    CHECK(failure(R"({"policies":[{"effect":"Allow","principal":"*","actions":["*"],"resources":["datastore/x"]}]})") ==
          "fixture t.json: /policies/0/resources/0: 'datastore/x' is not \"*\" or an ARN (wildcards allowed)");
    CHECK(failure(R"({"policies":[{"effect":"Allow","principal":"*","actions":["*"]}]})") ==
          "fixture t.json: /policies/0/resources: required member is missing");
}

TEST_CASE("apply_fixtures refuses a policy id used twice, changing nothing") {
    auto s = hil::store::store::open(":memory:");
    REQUIRE(s);
    hil::store::fault_rules faults;
    hil::store::access_book access;
    const std::string policy = R"({"id":"p","effect":"Allow","principal":"*","actions":["*"],"resources":["*"]})";
    const auto st = apply_fixtures(parse_all({{"a.json", R"({"policies":[)" + policy + "]}"},
                                              {"b.json", R"({"policies":[)" + policy + "]}"}}),
                                   {*s.value(), faults, access});
    REQUIRE_FALSE(st);
    CHECK(st.err().message() == "fixture b.json: /policies/0/id: policy id p is already used by a.json /policies/0");
    CHECK(access.empty());
}

TEST_CASE("imports[] are read with their defaults and refused with the place and reason") {
    const auto r = parse_fixture(R"({"accountId": "111122223333", "imports": [{"datastoreId": "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        "inputS3Uri": "s3://input/ct/", "outputS3Uri": "s3://output/"}]})", "t.json");
    REQUIRE(r.ok());
    REQUIRE(r.value().imports.size() == 1);
    const auto& seed = r.value().imports[0];
    CHECK(seed.place == "fixture t.json: /imports/0");
    CHECK(seed.job.reads_files);
    CHECK(seed.job.input_s3_uri == "s3://input/ct/");
    CHECK(seed.job.job_name.empty());  // named by its id when it runs
    CHECK(seed.job.data_access_role_arn == "arn:aws:iam::111122223333:role/healthimaging-local-seed");
    CHECK(failure(R"({"imports": [{"datastoreId": "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "outputS3Uri": "s3://output/"}]})")
              .find("/imports/0/inputS3Uri") != std::string::npos);
    CHECK(failure(R"({"imports": [{"datastoreId": "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "inputS3Uri": "s3://input/",
        "outputS3Uri": "s3://output/", "clientToken": "x"}]})").find("/imports/0/clientToken: unknown member") != std::string::npos);
}

namespace {

// A job id of the lowercase alphanumerics JobId allows, unique per n.
std::string nth_job_id(std::size_t n) { return "j" + std::to_string(n); }

std::string many_jobs(std::size_t count, const std::string& datastore_id) {
    std::string jobs;
    for (std::size_t i = 0; i < count; ++i) jobs += (i ? "," : "") + job_json(nth_job_id(i), datastore_id);
    return jobs;
}

}  // namespace

TEST_CASE("load_fixture_paths streams a file of many chunks, jobs before their datastores, into the store") {
    hil::test::temp_path dir("hil-fixtures-stream");
    std::filesystem::create_directories(dir.path());
    const auto file = dir.path() / "big.json";
    // "jobs" before "datastores": a job's datastore is checked once every document is read.
    const std::string text = R"({"jobs": [)" + many_jobs(5000, k_ds_a) + R"(], "datastores": [)" + datastore_json(k_ds_a) + "]}";
    REQUIRE(text.size() > 4 * 65536);  // more than one read of the file
    hil::test::write_file(file, text);
    auto s = memory_store();
    hil::store::fault_rules faults;
    hil::store::access_book access;
    std::uint64_t streamed = 0;
    const auto loaded = hil::store::load_fixture_paths({file.string()}, {*s, faults, access}, hil::store::load_mode::merge, 0,
                                                       [&](std::vector<hil::store::fixture_document>& docs) {
                                                           streamed = docs.at(0).streamed_jobs;
                                                           CHECK(docs.at(0).jobs.empty());
                                                           return hil::api::ok_status();
                                                       });
    REQUIRE_MESSAGE(loaded.ok(), (loaded.ok() ? "" : loaded.err().message()));
    CHECK(streamed == 5000);
    CHECK(counts(*s).jobs == 5000);
    CHECK(s->find_import_job({}, k_ds_a, nth_job_id(4999)).ok());
}

TEST_CASE("a streamed load reports errors where a whole document's check does, and leaves nothing behind") {
    hil::test::temp_path dir("hil-fixtures-stream-errors");
    std::filesystem::create_directories(dir.path());
    const auto file = dir.path() / "bad.json";
    auto s = memory_store();
    hil::store::fault_rules faults;
    hil::store::access_book access;
    REQUIRE(hil::store::load_fixture_text(doc(datastore_json(k_ds_b), job_json("keep1", k_ds_b)), "base", {*s, faults, access},
                                          hil::store::load_mode::merge, 0));
    const auto before = counts(*s);
    const auto load_file = [&](const std::string& text) {
        hil::test::write_file(file, text);
        const auto r = hil::store::load_fixture_paths({file.string()}, {*s, faults, access}, hil::store::load_mode::merge, 0);
        REQUIRE_FALSE(r.ok());
        const std::string message = r.err().message();
        if (const auto parsed = parse_fixture(text, file.string()); !parsed.ok()) {
            CHECK(message == parsed.err().message());  // as the whole document's check words it
        }
        CHECK(counts(*s).jobs == before.jobs);
        CHECK(counts(*s).datastores == before.datastores);
        return message;
    };
    const std::string jobs = many_jobs(3000, k_ds_a);
    // Malformed JSON far into the file: line and column as for the whole text.
    CHECK(load_file(doc(datastore_json(k_ds_a), jobs + ",\n  {\"jobId\": }")).find(": line ") != std::string::npos);
    // A bad value in the 2,001st job, a duplicate, a job of an undeclared datastore.
    CHECK(load_file(doc(datastore_json(k_ds_a), with(jobs, "\"" + nth_job_id(2000) + "\"", "\"BAD\""))).find("/jobs/2000/jobId") !=
          std::string::npos);
    CHECK(load_file(doc(datastore_json(k_ds_a), jobs + "," + job_json(nth_job_id(7), k_ds_a)))
              .find("/jobs/3000/jobId: job j7 of datastore " + k_ds_a + " is already declared at " + file.string() + " /jobs/7") !=
          std::string::npos);
    CHECK(load_file(doc(datastore_json(k_ds_a), jobs + "," + job_json("other", std::string(32, 'q')))).find("/jobs/3000/datastoreId") !=
          std::string::npos);
    // A bad datastore is reported before a bad job, as in a whole document's check.
    CHECK(load_file(doc(with(datastore_json(k_ds_a), "ACTIVE", "NOPE"), with(jobs, "\"" + nth_job_id(5) + "\"", "\"BAD\"")))
              .find("/datastores/0") != std::string::npos);
}

TEST_CASE("a streamed duplicate in a later file names the file and place of the first copy") {
    // Duplicates are suspected by fingerprint and confirmed against the staged jobs, whose
    // arrival numbers are mapped back to a file and an index across documents.
    hil::test::temp_path dir("hil-fixtures-stream-dup");
    std::filesystem::create_directories(dir.path());
    const auto one = dir.path() / "a.json";
    const auto two = dir.path() / "b.json";
    hil::test::write_file(one, doc(datastore_json(k_ds_a), many_jobs(100, k_ds_a)));
    std::string later;
    for (int i = 0; i < 10; ++i) later += job_json("x" + std::to_string(i), k_ds_a) + ",";
    hil::test::write_file(two, doc("", later + job_json(nth_job_id(42), k_ds_a)));
    auto s = memory_store();
    hil::store::fault_rules faults;
    hil::store::access_book access;
    const auto r = hil::store::load_fixture_paths({dir.str()}, {*s, faults, access}, hil::store::load_mode::merge, 0);
    REQUIRE_FALSE(r.ok());
    CHECK(r.err().message() == "fixture " + two.string() + ": /jobs/10/jobId: job j42 of datastore " + k_ds_a +
                                   " is already declared at " + one.string() + " /jobs/42");
    CHECK(counts(*s).jobs == 0);
    // The same job id in another datastore is no duplicate.
    hil::test::write_file(two, doc(datastore_json(k_ds_b), later + job_json(nth_job_id(42), k_ds_b)));
    REQUIRE(hil::store::load_fixture_paths({dir.str()}, {*s, faults, access}, hil::store::load_mode::merge, 0));
    CHECK(counts(*s).jobs == 111);
}
