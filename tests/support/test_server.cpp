#include "tests/support/test_server.hpp"

#include <doctest/doctest.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <random>

namespace hil::test {

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
        fixture_file_ = std::make_unique<temp_path>("hil-fixture", ".json");
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
