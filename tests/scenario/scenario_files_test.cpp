// fixtures/scenarios/: every file loads on its own, the folder loads as a whole, and each
// scenario behaves as the README's table says.
#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

#include "store/fixture_loader.hpp"
#include "tests/scenario/harness.hpp"

namespace hil::test {
namespace {

constexpr const char* k_dir = HIL_SCENARIOS_DIR;

std::vector<std::filesystem::path> scenario_files() {
    std::vector<std::filesystem::path> files;
    for (const auto& e : std::filesystem::directory_iterator(k_dir)) {
        if (e.path().extension() == ".json") files.push_back(e.path());
    }
    std::sort(files.begin(), files.end());
    return files;
}

server::config folder_config() {
    auto cfg = scenario_config();
    cfg.fixture_paths = {k_dir};
    return cfg;
}

TEST_CASE("scenario files: each one loads alone into an empty emulator") {
    const auto files = scenario_files();
    CHECK(files.size() >= 9);
    for (const auto& f : files) {
        CAPTURE(f);
        auto cfg = scenario_config();
        cfg.fixture_paths = {f.string()};
        scenario_server srv(cfg);
        const auto doc = body_json(srv.get("/_emulator/health"));
        CHECK(doc["jobs"].GetUint64() >= 1);
    }
}

TEST_CASE("scenario files: the folder loads as a whole (ids unique across files)") {
    scenario_server srv(folder_config());
    const auto doc = body_json(srv.get("/_emulator/health"));
    CHECK(doc["datastores"].GetUint64() == scenario_files().size());
    CHECK(doc["jobs"].GetUint64() == scenario_files().size());
    CHECK(doc["faults"].GetUint64() == 6);
}

// Each scenario's ids, as in its file.
struct ids {
    const char* datastore;
    const char* job;
};
constexpr ids polling{"bc40a6905f2d64166d1e581233be756f", "8960186995db1a804b314666304e20c6"};
constexpr ids timed{"87dc3aaba3e83f88a00e0ae49c7a5324", "be50e17a6becc3e10156c42731464880"};
constexpr ids failing{"2424159b77e07b9f7b93229e2f040970", "7816de4d8f0d16f532f5490c04fefe3d"};
constexpr ids throttled{"3d047d73b6215d0cfa068ef414dfc416", "aafd88e6ba17699cdfa350b99b521b67"};
constexpr ids flaky{"2af09d68984bb2f0493f6d2d34d91bb1", "c9d93cbdd98f4f1ade83b2f77ea3fa0b"};
constexpr ids denied{"438eab2742aab6881bd4435d63665f34", "c16292de0c91ae80427ff2e57447a68d"};
constexpr ids conflict{"e80dda741a376ebf5d1cf5e0e1c946d7", "4e1614131b3f4dbee1916b0cb4b41bd7"};
constexpr ids slow{"4e8c8e1b5344569f0e4124fb4e446cc8", "248858975b1782e99b8e2647f25d25e2"};
constexpr ids dropped{"1d3778f252c6d59f4e423c3addabd736", "b62f853644ee5ea4952f7c2865766122"};

std::string target(const ids& i) { return job_target(i.datastore, i.job); }

TEST_CASE("scenario job-completes-after-polling: SUBMITTED, IN_PROGRESS, IN_PROGRESS, COMPLETED") {
    scenario_server srv(folder_config());
    std::vector<std::string> seen;
    for (int i = 0; i < 5; ++i) seen.push_back(job_status(srv.get(target(polling))));
    CHECK(seen == std::vector<std::string>{"SUBMITTED", "IN_PROGRESS", "IN_PROGRESS", "COMPLETED", "COMPLETED"});
}

TEST_CASE("scenario job-completes-after-time: IN_PROGRESS after 1 s, COMPLETED after 3 s") {
    scenario_server srv(folder_config());
    CHECK(job_status(srv.get(target(timed))) == "SUBMITTED");
    srv.clock().advance(1000);
    CHECK(job_status(srv.get(target(timed))) == "IN_PROGRESS");
    srv.clock().advance(2000);
    const auto res = srv.get(target(timed));
    CHECK(job_status(res) == "COMPLETED");
    CHECK(body_json(res)["jobProperties"]["endedAt"].GetDouble() ==
          doctest::Approx(static_cast<double>(k_start + 3000) / 1000.0));
}

TEST_CASE("scenario job-fails-with-message: SUBMITTED, IN_PROGRESS, then FAILED with its message") {
    scenario_server srv(folder_config());
    CHECK(job_status(srv.get(target(failing))) == "SUBMITTED");
    CHECK(job_status(srv.get(target(failing))) == "IN_PROGRESS");
    const auto res = srv.get(target(failing));
    CHECK(job_status(res) == "FAILED");
    const auto doc = body_json(res);
    CHECK(std::string(doc["jobProperties"]["message"].GetString()) ==
          "Input S3 bucket scenario-dicom-input is not accessible with the data access role");
    CHECK(doc["jobProperties"].HasMember("endedAt"));
}

TEST_CASE("scenario throttled-then-succeeds: two 429 Rate exceeded with Retry-After: 1, then 200") {
    scenario_server srv(folder_config());
    for (int i = 0; i < 2; ++i) {
        const auto res = srv.get(target(throttled));
        expect_error(res, 429, "ThrottlingException", "Rate exceeded");
        CHECK(res[http::field::retry_after] == "1");
    }
    CHECK(job_status(srv.get(target(throttled))) == "COMPLETED");
    CHECK(job_status(srv.get(target(throttled))) == "COMPLETED");
}

TEST_CASE("scenario flaky-internal-error: about 30% 500s, the same sequence every run and after reset") {
    scenario_server srv(folder_config());
    std::vector<unsigned> first;
    for (int i = 0; i < 40; ++i) first.push_back(srv.get(target(flaky)).result_int());
    const auto errors = std::count(first.begin(), first.end(), 500u);
    CHECK(errors + std::count(first.begin(), first.end(), 200u) == 40);
    CHECK(errors >= 4);
    CHECK(errors <= 24);
    REQUIRE(srv.call(http::verb::post, "/_emulator/reset").result_int() == 200);
    std::vector<unsigned> again;
    for (int i = 0; i < 40; ++i) again.push_back(srv.get(target(flaky)).result_int());
    CHECK(again == first);
}

TEST_CASE("scenario access-denied: every call to its datastore is 403 with the IAM-style message") {
    scenario_server srv(folder_config());
    for (int i = 0; i < 3; ++i) {
        expect_error(srv.get(target(denied)), 403, "AccessDeniedException",
                     "User: arn:aws:iam::123456789012:user/ci is not authorized to perform: medical-imaging:GetDICOMImportJob");
    }
    // Any job id in that datastore, even unknown ones: the fault matches the datastore.
    expect_error(srv.get(job_target(denied.datastore, "anything")), 403, "AccessDeniedException", "not authorized");
}

TEST_CASE("scenario conflict: one 409 ConflictException, then the job (IN_PROGRESS)") {
    scenario_server srv(folder_config());
    expect_error(srv.get(target(conflict)), 409, "ConflictException", "");
    CHECK(job_status(srv.get(target(conflict))) == "IN_PROGRESS");
}

TEST_CASE("scenario slow-responses: every answer comes after 1.5 s") {
    scenario_server srv(folder_config());
    const auto start = std::chrono::steady_clock::now();
    const auto res = srv.get(target(slow));
    const auto took = std::chrono::steady_clock::now() - start;
    CHECK(job_status(res) == "COMPLETED");
    CHECK(took >= std::chrono::milliseconds(1500));
    CHECK(took < std::chrono::milliseconds(4000));
}

TEST_CASE("scenario dropped-connection: the first call is closed unanswered, the next succeeds") {
    scenario_server srv(folder_config());
    {
        http_client c(srv.port());
        CHECK_THROWS_AS(c.get(target(dropped)), std::runtime_error);
    }
    CHECK(job_status(srv.get(target(dropped))) == "COMPLETED");
    const auto doc = body_json(srv.get("/_emulator/requests?jobId=" + std::string(dropped.job)));
    REQUIRE(doc["requests"].Size() == 2);
    CHECK(doc["requests"][0]["dropped"].GetBool());
    CHECK(std::string(doc["requests"][0]["faultId"].GetString()) == "drop-once");
}

TEST_CASE("scenario folder: reset brings every scenario back to its start") {
    scenario_server srv(folder_config());
    const auto before = srv.get("/_emulator/state").body();
    for (int i = 0; i < 4; ++i) srv.get(target(polling));
    srv.get(target(throttled));
    srv.get(target(conflict));
    CHECK(srv.get("/_emulator/state").body() != before);
    REQUIRE(srv.call(http::verb::post, "/_emulator/reset").result_int() == 200);
    CHECK(srv.get("/_emulator/state").body() == before);
    CHECK(job_status(srv.get(target(polling))) == "SUBMITTED");
    CHECK(srv.get(target(throttled)).result_int() == 429);
    CHECK(srv.get(target(conflict)).result_int() == 409);
    // Later, the timed job has completed; a reset restarts its clock.
    srv.clock().advance(5000);
    CHECK(job_status(srv.get(target(timed))) == "COMPLETED");
    REQUIRE(srv.call(http::verb::post, "/_emulator/reset").result_int() == 200);
    CHECK(job_status(srv.get(target(timed))) == "SUBMITTED");
    srv.clock().advance(3000);
    CHECK(job_status(srv.get(target(timed))) == "COMPLETED");
}

}  // namespace
}  // namespace hil::test
