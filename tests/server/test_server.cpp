#include "tests/server/test_server.hpp"

#include <doctest/doctest.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <random>

namespace hil::test {

temp_path::temp_path(std::string_view suffix) {
    // pid + counter + random: unique across parallel ctest runs and within one process.
    static std::atomic<unsigned> counter{0};
    std::random_device rd;
    path_ = std::filesystem::temp_directory_path() /
            ("hil-server-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter++) + "-" +
             std::to_string(rd()) + std::string(suffix));
}

temp_path::~temp_path() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
    // SQLite's WAL companions live next to a database file.
    std::filesystem::remove(path_.string() + "-wal", ec);
    std::filesystem::remove(path_.string() + "-shm", ec);
}

void temp_path::write(std::string_view content) const {
    std::ofstream out(path_, std::ios::binary | std::ios::trunc);
    out.write(content.data(), static_cast<std::streamsize>(content.size()));
    REQUIRE_MESSAGE(out.good(), "cannot write " << path_);
}

server::config test_config() {
    server::config cfg;
    cfg.server.port = 0;
    cfg.server.threads = 2;
    cfg.server.shutdown_timeout = std::chrono::seconds(5);
    cfg.empty = true;
    cfg.level = server::log_level::info;
    return cfg;
}

const api::clock& wall_clock() {
    static const api::system_clock clock;
    return clock;
}

test_server::test_server(server::config cfg, std::string_view fixtures_json, const api::clock& clock)
    : log_(cfg.level, log_stream_) {
    if (!fixtures_json.empty()) {
        fixture_file_ = std::make_unique<temp_path>(".json");
        fixture_file_->write(fixtures_json);
        cfg.fixture_paths = {fixture_file_->str()};
    }
    auto created = server::emulator::create(cfg, clock, log_);
    REQUIRE_MESSAGE(created.ok(), (created.ok() ? std::string() : created.err().message()));
    emulator_ = std::move(created).value();
    auto bound = emulator_->listen();
    REQUIRE_MESSAGE(bound.ok(), (bound.ok() ? std::string() : bound.err().message()));
    port_ = bound.value().port();
    runner_ = std::thread([this] { emulator_->run(); });
}

void test_server::stop() {
    if (!runner_.joinable()) return;
    emulator_->stop();
    runner_.join();
}

test_server::~test_server() { stop(); }

std::string test_server::log_text() const { return log_stream_.str(); }

std::string job_target(std::string_view datastore_id, std::string_view job_id) {
    return "/getDICOMImportJob/datastore/" + std::string(datastore_id) + "/job/" + std::string(job_id);
}

}  // namespace hil::test
