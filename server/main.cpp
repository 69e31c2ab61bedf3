// healthimaging-local: flags -> emulator -> serve until SIGTERM/SIGINT.
#include <cstdlib>
#include <iostream>

#include "server/config.hpp"
#include "server/emulator.hpp"
#include "server/probe.hpp"
#include "server/version.hpp"
#include "store/store.hpp"

int main(int argc, char** argv) {
    using namespace hil::server;
    const auto parsed = parse_config(argc, argv, [](const char* name) -> const char* { return std::getenv(name); });
    switch (parsed.action) {
        case config_action::help:
            std::cout << usage_text();
            return 0;
        case config_action::version:
            std::cout << k_name << " " << k_version << "\n";
            return 0;
        case config_action::fail:
            std::cerr << "healthimaging-local: " << parsed.error << "\n";
            return 2;
        case config_action::probe: {
            std::string said;
            const int rc = probe_health(parsed.cfg.server.host, parsed.cfg.server.port, said);
            (rc == 0 ? std::cout : std::cerr) << said << "\n";
            return rc;
        }
        case config_action::check: {
            logger quiet(log_level::error);
            hil::api::system_clock clock;
            if (auto checked = emulator::check_fixtures(parsed.cfg, clock, quiet); !checked) {
                std::cerr << "healthimaging-local: " << checked.err().message() << "\n";
                return 1;
            }
            return 0;
        }
        case config_action::run:
            break;
    }
    hil::store::configure_sqlite_for_server();
    logger log(parsed.cfg.level);
    hil::api::system_clock clock;
    auto created = emulator::create(parsed.cfg, clock, log);
    if (!created) {
        std::cerr << "healthimaging-local: " << created.err().message() << "\n";
        return 1;
    }
    auto& emu = *created.value();
    auto bound = emu.listen();
    if (!bound) {
        std::cerr << "healthimaging-local: " << bound.err().message() << "\n";
        return 1;
    }
    emu.stop_on_signals();
    const auto ep = bound.value();
    const auto host = ep.address().is_v6() ? "[" + ep.address().to_string() + "]" : ep.address().to_string();
    std::cout << k_name << " " << k_version << " listening on http://" << host << ":" << ep.port() << std::endl;
    emu.run();
    log.info("stopped");
    return 0;
}
