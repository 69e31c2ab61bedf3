#include "server/emulator.hpp"

#include "server/api_handlers.hpp"
#include "server/control_handlers.hpp"
#include "store/fixture_loader.hpp"

namespace hil::server {

emulator::emulator(const config& cfg, const api::clock& clock, logger& log, std::unique_ptr<store::store> data)
    : store_(std::move(data)), router_(clock, ids_, faults_, log), server_(cfg.server, router_, log) {
    add_api_routes(router_, *store_);
    add_control_routes(router_, *store_, faults_);
}

api::result<std::unique_ptr<emulator>> emulator::create(const config& cfg, const api::clock& clock, logger& log) {
    auto data = store::store::open(cfg.db_path);
    if (!data) return data.err();
    std::vector<store::fixture_document> docs;
    if (!cfg.fixture_paths.empty()) {
        for (const auto& path : cfg.fixture_paths) {
            auto read = store::read_fixture_path(path);
            if (!read) return read.err();
            for (auto& d : read.value()) docs.push_back(std::move(d));
        }
    } else if (!cfg.empty) {
        auto sample = store::parse_fixture(builtin_sample_fixtures(), "(built-in sample)");
        if (!sample) return sample.err();
        docs.push_back(std::move(sample).value());
    }
    std::unique_ptr<emulator> e(new emulator(cfg, clock, log, std::move(data).value()));
    if (auto s = store::apply_fixtures(docs, *e->store_, e->faults_); !s) return s.err();
    return e;
}

}  // namespace hil::server
