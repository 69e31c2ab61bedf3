// Command-line flags and their environment variables. A flag beats its variable; both beat
// the default. `--help` lists every flag with its variable and default.
#pragma once

#include <string>
#include <vector>

#include "server/caller.hpp"
#include "server/logger.hpp"
#include "server/server_options.hpp"
#include "server/throttle.hpp"
#include "store/store.hpp"

namespace hil::server {

struct config {
    server_options server;
    std::string db_path;                     // empty: in-memory
    std::vector<std::string> fixture_paths;  // empty: the built-in sample fixtures
    bool empty = false;                      // start with no data at all
    log_level level = log_level::info;
    bool admin = true;                 // serve the control API under /_emulator/
    std::string admin_token;           // when set, the control API needs "Authorization: Bearer <token>"
    auth_mode auth = auth_mode::off;   // --auth: whether API calls must be signed (SigV4)
    throttle_policy throttling;        // --throttle
    std::size_t journal_size = 10'000; // request journal entries kept; 0 turns it off
    std::size_t answer_cache_mb = 32;  // rendered answers of repeated reads (answer_cache); 0 turns it off
    std::string s3_dir;                // --s3-dir: the local S3 folder imports read and write; empty: none
    unsigned import_threads = 0;       // workers decoding one job's files; 0: one per core
    store::lifecycle_policy lifecycle = default_lifecycle();  // resources made through the API

    // CreateDatastore: ACTIVE after the first GetDatastore; DeleteDatastore: DELETED after the
    // first; StartDICOMImportJob: IN_PROGRESS at the first GetDICOMImportJob, COMPLETED at the
    // second; 100 data stores per account and region; 100 concurrent imports per data store.
    static store::lifecycle_policy default_lifecycle();
};

// check: load the fixtures as start-up would, report, and exit without listening (--check-fixtures).
enum class config_action { run, help, version, probe, check, fail };

struct config_outcome {
    config_action action = config_action::run;
    config cfg;
    std::string error;  // for fail: what was wrong, naming the flag or variable
};

// `env` looks up an environment variable (nullptr when unset); a seam for tests.
using env_lookup = const char* (*)(const char*);
config_outcome parse_config(int argc, const char* const* argv, env_lookup env);

std::string usage_text();

}  // namespace hil::server
