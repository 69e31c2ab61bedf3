// Answers kept in the answer cache never outlive the state they were rendered from: every
// write, fixture load and reset is seen by the next identical read.
#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "tests/server/control_plane_support.hpp"
#include "tests/support/expect.hpp"
#include "tests/support/fixture_builder.hpp"

namespace hil::test {
namespace {

std::string job_name_of(cp_server& s) {
    const auto res = s.get(job_target(sample_datastore, sample_completed_job));
    REQUIRE(res.result_int() == 200);
    return string_at(res, "/jobProperties/jobName");
}

TEST_CASE("cached GetDICOMImportJob and GetDatastore answers follow a fixture load and a reset") {
    auto cfg = cp_sample_config();
    REQUIRE(cfg.answer_cache_mb > 0);
    cp_server s(cfg);
    CHECK(job_name_of(s) == "ct-chest-batch-01");
    CHECK(job_name_of(s) == "ct-chest-batch-01");  // the second one is answered from the cache
    const std::string renamed =
        R"({"datastores":[{"datastoreId":")" + std::string(sample_datastore) +
        R"(","datastoreName":"renamed","datastoreStatus":"ACTIVE"}],"jobs":[{"jobId":")" + std::string(sample_completed_job) + R"(","datastoreId":")" +
        std::string(sample_datastore) +
        R"(","jobName":"renamed","jobStatus":"COMPLETED","dataAccessRoleArn":"arn:aws:iam::123456789012:role/R",)"
        R"("inputS3Uri":"s3://in-bucket/","outputS3Uri":"s3://out-bucket/"}]})";
    const auto before = s.get(datastore_target(sample_datastore));
    REQUIRE(before.result_int() == 200);
    REQUIRE(s.get(datastore_target(sample_datastore)).body() == before.body());
    REQUIRE(s.post("/_emulator/fixtures?mode=replace", renamed).result_int() == 200);
    CHECK(job_name_of(s) == "renamed");
    CHECK(string_at(s.get(datastore_target(sample_datastore)), "/datastoreProperties/datastoreName") == "renamed");
    REQUIRE(s.post("/_emulator/reset", "").result_int() == 200);
    CHECK(job_name_of(s) == "ct-chest-batch-01");
    CHECK(s.get(datastore_target(sample_datastore)).body() == before.body());
}

TEST_CASE("a cached ListDICOMImportJobs page follows StartDICOMImportJob") {
    cp_server s(cp_sample_config());
    const auto first = s.get(list_jobs_target(sample_datastore));
    REQUIRE(first.result_int() == 200);
    REQUIRE(s.get(list_jobs_target(sample_datastore)).body() == first.body());
    s.clock().advance(1000);  // after the sample's newest job
    const auto job = start_job(s, sample_datastore);
    const auto after = s.get(list_jobs_target(sample_datastore));
    REQUIRE(after.result_int() == 200);
    CHECK(ids_in(after, "jobSummaries", "jobId").front() == job);

}

// A store whose first ListDICOMImportJobs page of 50 jobs is past answer_cache::k_file_body_bytes,
// so that a cached copy of it is sent from a memory file (sendfile).
constexpr std::string_view k_big_datastore = "0123456789abcdef0123456789abcdef";
std::string fifty_jobs() {
    std::vector<std::string> jobs;
    for (int i = 0; i < 50; ++i) {
        char id[33];
        std::snprintf(id, sizeof id, "%032x", i + 1);
        jobs.push_back(job_json(k_big_datastore, id));
    }
    return document({datastore_json(k_big_datastore)}, jobs);
}

// Sends `requests` on a new connection whose receive buffer is `receive_buffer` bytes, waits
// `pause` before reading, then reads until the server closes it.
std::string slow_exchange(unsigned short port, const std::string& requests, int receive_buffer,
                          std::chrono::milliseconds pause) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(fd >= 0);
    REQUIRE(::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &receive_buffer, sizeof receive_buffer) == 0);
    timeval timeout{10, 0};
    REQUIRE(::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout) == 0);
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(port);
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::connect(fd, reinterpret_cast<const sockaddr*>(&to), sizeof to) == 0);
    REQUIRE(::send(fd, requests.data(), requests.size(), 0) == static_cast<ssize_t>(requests.size()));
    std::this_thread::sleep_for(pause);
    std::string got;
    char chunk[4096];
    for (ssize_t n; (n = ::recv(fd, chunk, sizeof chunk, 0)) > 0;) got.append(chunk, static_cast<std::size_t>(n));
    ::close(fd);
    return got;
}

TEST_CASE("a big cached answer (sent from a memory file) is the rendered one, to a slow reader too") {
    cp_server s(cp_config(), fifty_jobs());
    const auto target = list_jobs_target(k_big_datastore, "maxResults=50");
    const auto rendered = s.get(target);
    REQUIRE(rendered.result_int() == 200);
    REQUIRE(rendered.body().size() >= server::answer_cache::k_file_body_bytes);
    for (int i = 0; i < 3; ++i) CHECK(s.get(target).body() == rendered.body());  // from the cache
    // Pipelined, to a reader whose window is far smaller than an answer and that waits before
    // reading: about 4.7 MB fill the socket, so the server's sends stop (EAGAIN) and go on when
    // the reader reads, answer after answer, in order.
    constexpr int k_answers = 400;
    std::string requests;
    for (int i = 0; i < k_answers; ++i) {
        requests += "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" + (i + 1 == k_answers ? "Connection: close\r\n" : "") + "\r\n";
    }
    const std::string got = slow_exchange(s.port(), requests, 2048, std::chrono::milliseconds(200));
    const std::string body(rendered.body());
    std::size_t at = 0, end = 0;
    int answers = 0;
    while ((at = got.find("HTTP/1.1 200 OK\r\n", end)) != std::string::npos) {
        const auto head_end = got.find("\r\n\r\n", at);
        REQUIRE(head_end != std::string::npos);
        const auto length_at = got.find("Content-Length: ", at);
        REQUIRE(length_at < head_end);
        CHECK(std::stoul(got.substr(length_at + 16)) == body.size());
        CHECK(got.compare(head_end + 4, body.size(), body) == 0);
        end = head_end + 4 + body.size();
        ++answers;
    }
    CHECK(answers == k_answers);
    CHECK(end == got.size());
}

// The memory files this process has open (the test server runs in it).
int open_memory_files() {
    int n = 0;
    for (const auto& fd : std::filesystem::directory_iterator("/proc/self/fd")) {
        std::error_code ec;
        const auto target = std::filesystem::read_symlink(fd.path(), ec);
        if (!ec && target.string().find("healthimaging-local-answers") != std::string::npos) ++n;
    }
    return n;
}

TEST_CASE("an idle connection does not keep a memory file the cache has let go") {
    cp_server s(cp_config(), fifty_jobs());
    const auto target = list_jobs_target(k_big_datastore, "maxResults=50");
    REQUIRE(s.get(target).result_int() == 200);
    REQUIRE(s.get(target).result_int() == 200);  // sent from the shard's memory file; the connection stays idle
    CHECK(open_memory_files() == 1);
    // On another connection: a write moves the generation on; the next answer kept starts the shard
    // again, with a new memory file.
    http_client other(s.port());
    REQUIRE(other.request(http::verb::post, "/_emulator/fixtures", {{"Content-Type", "application/json"}}, fifty_jobs())
                .result_int() == 200);
    REQUIRE(other.get(target).result_int() == 200);
    REQUIRE(other.get(target).result_int() == 200);
    CHECK(open_memory_files() == 1);
}

}  // namespace
}  // namespace hil::test
