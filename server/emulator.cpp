#include "server/emulator.hpp"

#include "server/api_handlers.hpp"
#include "server/control_handlers.hpp"
#include "store/fixture_loader.hpp"

namespace hil::server {

emulator::emulator(const config& cfg, const api::clock& clock, logger& log, std::unique_ptr<store::store> data)
    : store_(std::move(data)),
      lifecycle_(cfg.lifecycle),
      api_{*store_, lifecycle_, tokens_, resource_ids_},
      journal_(cfg.journal_size),
      limiter_(cfg.throttling, clock),
      plane_{*store_, faults_, access_, journal_, limiter_, clock, {}, {}, {}},
      router_(clock, ids_, faults_, log, router_extras{&journal_, &limiter_, cfg.admin_token, &access_, cfg.auth}),
      server_(cfg.server, router_, log) {
    add_api_routes(router_, api_);
    add_control_routes(router_, plane_, !cfg.admin);
}

api::result<std::unique_ptr<emulator>> emulator::create(const config& cfg, const api::clock& clock, logger& log) {
    auto data = store::store::open(cfg.db_path);
    if (!data) return data.err();
    std::vector<store::fixture_document> docs;
    if (!cfg.fixture_paths.empty()) {
        for (const auto& path : cfg.fixture_paths) {
            auto read = store::read_fixture_path(path, clock.now());
            if (!read) return read.err();
            for (auto& d : read.value()) docs.push_back(std::move(d));
        }
    } else if (!cfg.empty) {
        auto sample = store::parse_fixture(builtin_sample_fixtures(), "(built-in sample)", clock.now());
        if (!sample) return sample.err();
        docs.push_back(std::move(sample).value());
    }
    std::unique_ptr<emulator> e(new emulator(cfg, clock, log, std::move(data).value()));
    if (auto s = store::apply_fixtures(std::move(docs), {*e->store_, e->faults_, e->access_}); !s) return s.err();
    // What POST /_emulator/reset returns to.
    if (auto s = e->store_->mark_baseline(clock.now()); !s) return s.err();
    e->plane_.startup_faults = e->faults_.list();
    e->plane_.startup_credentials = e->access_.credentials();
    e->plane_.startup_policies = e->access_.policies();
    return e;
}

}  // namespace hil::server
