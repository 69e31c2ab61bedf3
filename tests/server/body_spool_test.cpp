// Large bodies of POST /_emulator/fixtures, which the session spools to a file past
// server_options::spool_threshold (server/body_spool.hpp) and the loader streams from there:
// the store gets what the body says, a bad body is refused with the places and words of the
// in-memory path and leaves the store as it was, the limits hold, and no spool file outlives
// its request.
#include <doctest/doctest.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "tests/server/control_plane_support.hpp"
#include "tests/support/expect.hpp"
#include "tests/support/fixture_builder.hpp"
#include "tests/support/temp_path.hpp"

namespace hil::test {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view k_datastore = "5b0c1d2e3f4a5b6c7d8e9f0a1b2c3d4e";
// Enough jobs for a body of about 9 MB: well past the default 1 MiB threshold.
constexpr std::size_t k_jobs = 30'000;

std::string job_id(std::size_t i) {
    char id[33];
    std::snprintf(id, sizeof id, "%032zx", i);
    return id;
}

// A document with k_jobs COMPLETED jobs; job `bad` (when given) has an unknown jobStatus.
std::string big_document(std::optional<std::size_t> bad = std::nullopt) {
    std::vector<std::string> jobs;
    jobs.reserve(k_jobs);
    for (std::size_t i = 0; i < k_jobs; ++i) {
        jobs.push_back(job_json(k_datastore, job_id(i), bad == i ? "FINISHED" : "COMPLETED"));
    }
    return document({datastore_json(k_datastore, "big")}, jobs);
}

// A server whose spool directory is made under `parent`; `threshold` as server_options'.
server::config spooling_config(const temp_path& parent, std::uint64_t threshold = 1 << 20) {
    auto cfg = cp_config();
    fs::create_directories(parent.path());
    cfg.server.spool_parent = parent.str();
    cfg.server.spool_threshold = threshold;
    return cfg;
}

// The regular files under `parent` (the spool directory's bodies).
std::vector<fs::path> spooled_files(const temp_path& parent) {
    std::vector<fs::path> out;
    for (const auto& e : fs::recursive_directory_iterator(parent.path())) {
        if (e.is_regular_file()) out.push_back(e.path());
    }
    return out;
}

std::string raw_post_head(std::string_view target, std::string_view fields) {
    return "POST " + std::string(target) + " HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n" + std::string(fields) +
           "\r\n";
}

const std::string k_job_target = job_target(k_datastore, job_id(k_jobs - 1));

}  // namespace

TEST_CASE("a fixture body past the spool threshold is loaded from its spool file, which is gone after the answer") {
    temp_path parent("hil-spool-test");
    cp_server s(spooling_config(parent));
    const auto body = big_document();
    REQUIRE(body.size() > 8u << 20);

    const auto res = s.post("/_emulator/fixtures?mode=replace", body);
    REQUIRE_MESSAGE(res.result_int() == 200, res.body());
    CHECK(res.body() == R"({"mode":"replace","loaded":{"datastores":1,"jobs":30000,"importRules":0,"faults":0,"credentials":0,"policies":0}})");
    CHECK(spooled_files(parent).empty());

    const auto job = s.get(k_job_target);
    REQUIRE_MESSAGE(job.result_int() == 200, job.body());
    CHECK(string_at(job, "/jobProperties/jobId") == job_id(k_jobs - 1));
    CHECK(string_at(job, "/jobProperties/jobStatus") == "COMPLETED");
    const auto health = s.get("/_emulator/health");
    CHECK(health.body().find(R"("datastores":1,"jobs":30000,)") != std::string::npos);
}

TEST_CASE("while a large body arrives it is in a spool file, not in memory, and the file goes with the request") {
    temp_path parent("hil-spool-test");
    cp_server s(spooling_config(parent));
    const auto body = big_document();
    http_client c(s.port(), std::chrono::seconds(30));
    // Half the body: the session has spooled what came, and waits for the rest.
    c.write_raw(raw_post_head("/_emulator/fixtures", "Content-Length: " + std::to_string(body.size()) + "\r\n") +
                body.substr(0, body.size() / 2));
    std::vector<fs::path> during;
    for (int i = 0; i < 500 && (during.empty() || fs::file_size(during.front()) < body.size() / 2); ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
        during = spooled_files(parent);
    }
    REQUIRE(during.size() == 1);
    CHECK(fs::file_size(during.front()) == body.size() / 2);
    c.write_raw(body.substr(body.size() / 2));
    const auto res = c.read_response();
    REQUIRE_MESSAGE(res.result_int() == 200, res.body());
    CHECK(!fs::exists(during.front()));
    CHECK(spooled_files(parent).empty());
}

TEST_CASE("a chunked fixture body past the threshold is spooled as its chunks arrive") {
    temp_path parent("hil-spool-test");
    cp_server s(spooling_config(parent));
    const auto body = big_document();
    std::string chunked;
    constexpr std::size_t k_chunk = 100'000;
    for (std::size_t at = 0; at < body.size(); at += k_chunk) {
        const auto piece = body.substr(at, k_chunk);
        char size[32];
        std::snprintf(size, sizeof size, "%zx\r\n", piece.size());
        chunked += size + piece + "\r\n";
    }
    chunked += "0\r\n\r\n";
    http_client c(s.port(), std::chrono::seconds(30));
    c.write_raw(raw_post_head("/_emulator/fixtures?mode=replace", "Transfer-Encoding: chunked\r\n") + chunked);
    const auto res = c.read_response();
    REQUIRE_MESSAGE(res.result_int() == 200, res.body());
    CHECK(res.body().find(R"("jobs":30000,)") != std::string::npos);
    CHECK(spooled_files(parent).empty());
    CHECK(s.get(k_job_target).result_int() == 200);
}

TEST_CASE("a bad value in a spooled body is refused at its place, as in memory, and the store stays as it was") {
    temp_path parent("hil-spool-test");
    const auto bad = big_document(k_jobs - 7);
    const std::string expected = "fixture (request body): /jobs/" + std::to_string(k_jobs - 7) + "/jobStatus: ";
    // The same body under a threshold it does not pass: held in memory, as every body was before spooling.
    std::string in_memory;
    {
        temp_path other("hil-spool-test");
        cp_server whole(spooling_config(other, std::uint64_t{1} << 30));
        const auto res = whole.post("/_emulator/fixtures", bad);
        REQUIRE(res.result_int() == 400);
        in_memory = res.body();
    }
    cp_server s(spooling_config(parent));
    const auto before = s.get("/_emulator/state").body();
    const auto res = s.post("/_emulator/fixtures?mode=replace", bad);
    check_error_prefix(res, 400, "ValidationException", expected);
    CHECK(res.body() == in_memory);
    CHECK(s.get("/_emulator/state").body() == before);
    CHECK(s.get(k_job_target).result_int() == 404);  // no such datastore: nothing of the load stayed
    CHECK(spooled_files(parent).empty());
}

TEST_CASE("malformed JSON at the end of a spooled body names its line and column, as in memory") {
    temp_path parent("hil-spool-test");
    auto bad = big_document();
    bad.insert(bad.size() - 2, "\n  ,");  // "...}]\n  ,}": a stray comma on line 2
    std::string in_memory;
    {
        temp_path other("hil-spool-test");
        cp_server whole(spooling_config(other, std::uint64_t{1} << 30));
        in_memory = whole.post("/_emulator/fixtures", bad).body();
    }
    cp_server s(spooling_config(parent));
    const auto res = s.post("/_emulator/fixtures", bad);
    check_error_prefix(res, 400, "ValidationException", "fixture (request body): line 2, column ");
    CHECK(res.body() == in_memory);
    CHECK(spooled_files(parent).empty());
}

TEST_CASE("a spooled body over --body-limit is answered 413 and leaves no spool file") {
    temp_path parent("hil-spool-test");
    auto cfg = spooling_config(parent);
    cfg.server.body_limit = 4 << 20;
    cp_server s(std::move(cfg));
    const auto body = big_document();
    http_client c(s.port(), std::chrono::seconds(30));
    // Chunked, 2 MiB a chunk: the limit is passed at the third chunk's size, after the threshold,
    // with a spool file open.
    c.write_raw(raw_post_head("/_emulator/fixtures", "Transfer-Encoding: chunked\r\n"));
    constexpr std::size_t k_chunk = 2 << 20;
    for (std::size_t i = 0; i < 2; ++i) c.write_raw("200000\r\n" + body.substr(i * k_chunk, k_chunk) + "\r\n");
    c.write_raw("200000\r\n" + body.substr(2 * k_chunk, 100));
    const auto res = c.read_response();
    CHECK(res.result_int() == 413);
    CHECK(c.closed_by_peer());
    CHECK(spooled_files(parent).empty());
    CHECK(s.get("/_emulator/health").body().find(R"("jobs":0,)") != std::string::npos);
}

TEST_CASE("a body of another route past the threshold stays in memory") {
    temp_path parent("hil-spool-test");
    auto cfg = spooling_config(parent, 1024);
    cp_server s(std::move(cfg));
    // Fault rules are not spooled: a valid rule padded past the threshold with whitespace.
    const std::string rule = R"({"operation":"GetDICOMImportJob","error":"ThrottlingException"})" + std::string(4096, ' ');
    const auto res = s.post("/_emulator/faults", rule);
    CHECK_MESSAGE(res.result_int() == 201, res.body());
    CHECK(spooled_files(parent).empty());
}

}  // namespace hil::test
