// emulator: the whole product wired together: store, fault rules, router with every route,
// and the HTTP server. main() and the server tests build it the same way.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "api/clock.hpp"
#include "api/result.hpp"
#include "server/config.hpp"
#include "server/control_handlers.hpp"
#include "server/request_journal.hpp"
#include "server/throttle.hpp"
#include "server/http_server.hpp"
#include "server/logger.hpp"
#include "server/api_handlers.hpp"
#include "server/page_token.hpp"
#include "server/request_ids.hpp"
#include "server/router.hpp"
#include "store/fault_rules.hpp"
#include "store/fixture_loader.hpp"
#include "store/store.hpp"

namespace hil::server {

class emulator {
public:
    // Opens the store and loads the fixtures (the built-in sample when none are named and
    // cfg.empty is false), all or nothing. Errors name the file, place and reason, or the
    // database and cause. REQUIRES: `clock` and `log` outlive the emulator.
    static api::result<std::unique_ptr<emulator>> create(const config& cfg, const api::clock& clock, logger& log);
    // What create() would say of cfg's fixtures, without keeping anything: they are loaded into
    // a scratch in-memory store (never cfg.db_path) and their "imports" are checked up to the
    // point of reading files (datastore, role, scripted end) but not run, so neither --s3-dir
    // nor its files are needed. The errors are create()'s.
    static api::status check_fixtures(const config& cfg, const api::clock& clock, logger& log);

    api::result<tcp::endpoint> listen() { return server_.listen(); }
    void stop_on_signals() { server_.stop_on_signals(); }
    void run() { server_.run(); }
    void stop() { server_.stop(); }

    store::store& data() { return *store_; }
    store::fault_rules& faults() { return faults_; }
    store::access_book& access() { return access_; }
    dicom_importer* importer() { return importer_.get(); }
    request_journal& journal() { return journal_; }

private:
    // Whether start-up runs the fixtures' imports or only checks that they could start.
    enum class seeding { run_imports, check_imports };

    emulator(const config& cfg, const api::clock& clock, logger& log, std::unique_ptr<store::store> data,
             std::optional<store::s3_folder> folder, seeding imports);
    static api::result<std::unique_ptr<emulator>> create(const config& cfg, const api::clock& clock, logger& log,
                                                         seeding imports);
    // Runs the fixtures' "imports" to their end before the server listens (or, checking, starts
    // each job in the store without reading its files). Error: the first one that cannot start
    // or ends FAILED, named by its fixture place.
    api::status run_seeded_imports(std::vector<store::seeded_import> imports, const api::clock& clock, seeding how);

    std::unique_ptr<store::store> store_;
    store::fault_rules faults_;
    store::access_book access_;
    uuid_request_ids ids_;
    store::lifecycle_policy lifecycle_;
    page_tokens tokens_;
    resource_ids resource_ids_;
    std::unique_ptr<dicom_importer> importer_;  // with --s3-dir
    answer_cache answers_;
    api_context api_;
    request_journal journal_;
    throttle limiter_;
    control_plane plane_;
    router router_;
    http_server server_;
};

// The sample scenario compiled into the binary (fixtures/sample.json).
std::string_view builtin_sample_fixtures();

}  // namespace hil::server
