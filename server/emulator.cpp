#include "server/emulator.hpp"

#include "server/api_handlers.hpp"
#include "server/control_handlers.hpp"
#include "server/dashboard.hpp"
#include "store/fixture_loader.hpp"

#include <algorithm>
#include <thread>

namespace hil::server {

namespace {

// With a local S3 folder, jobs read their files and end when the import does, not by polls. A
// check of the fixtures has no folder but starts their imports as if it had one.
store::lifecycle_policy lifecycle_for(const config& cfg, bool reads_files) {
    auto policy = cfg.lifecycle;
    if (reads_files) policy.import_job.clear();
    return policy;
}

}  // namespace

emulator::emulator(const config& cfg, const api::clock& clock, logger& log, std::unique_ptr<store::store> data,
                   std::optional<store::s3_folder> folder, seeding imports)
    : store_(std::move(data)),
      lifecycle_(lifecycle_for(cfg, folder.has_value() || imports == seeding::check_imports)),
      importer_(folder ? std::make_unique<dicom_importer>(*store_, std::move(*folder), clock, resource_ids_, log,
                                                          cfg.import_threads ? cfg.import_threads
                                                                             : std::max(1u, std::thread::hardware_concurrency()))
                       : nullptr),
      // A database file may be written by another process, which no generation shows: its
      // answers are always read from the file.
      answers_(cfg.db_path.empty() ? cfg.answer_cache_mb << 20 : 0),
      api_{*store_, lifecycle_, tokens_, resource_ids_, importer_.get(), &answers_},
      journal_(cfg.journal_size),
      limiter_(cfg.throttling, clock),
      plane_{*store_, faults_, access_, journal_, limiter_, clock, {}, {}, {}, !cfg.admin_token.empty()},
      router_(clock, ids_, faults_, log, router_extras{&journal_, &limiter_, cfg.admin_token, &access_, cfg.auth}),
      server_(cfg.server, router_, log) {
    add_api_routes(router_, api_);
    add_control_routes(router_, plane_, !cfg.admin);
    if (cfg.admin) add_dashboard_routes(router_);
}

api::result<std::unique_ptr<emulator>> emulator::create(const config& cfg, const api::clock& clock, logger& log) {
    return create(cfg, clock, log, seeding::run_imports);
}

api::status emulator::check_fixtures(const config& cfg, const api::clock& clock, logger& log) {
    config scratch = cfg;
    scratch.db_path.clear();  // a check never writes the real database
    scratch.s3_dir.clear();   // nor reads the S3 folder: imports are checked, not run
    auto checked = create(scratch, clock, log, seeding::check_imports);
    if (!checked) return checked.err();
    return api::ok_status();
}

api::result<std::unique_ptr<emulator>> emulator::create(const config& cfg, const api::clock& clock, logger& log,
                                                        seeding imports_how) {
    auto data = store::store::open(cfg.db_path);
    if (!data) return data.err();
    std::optional<store::s3_folder> folder;
    if (!cfg.s3_dir.empty()) {
        auto opened = store::s3_folder::open(cfg.s3_dir);
        if (!opened) return opened.err();
        folder.emplace(std::move(opened).value());
    }
    // Jobs that were reading files when the emulator stopped cannot be resumed: they end FAILED.
    if (auto failed = data.value()->fail_interrupted_imports(
            "The emulator stopped before this import finished; none of its image sets were stored", clock.now());
        !failed) {
        return failed.err();
    }
    std::unique_ptr<emulator> e(new emulator(cfg, clock, log, std::move(data).value(), std::move(folder), imports_how));
    // Seen once every document is read, before the cross-document checks: a fixture's syntax
    // and values are refused first, then imports without a folder, then duplicates.
    std::vector<store::seeded_import> imports;
    const store::fixture_check take_imports = [&](std::vector<store::fixture_document>& docs) -> api::status {
        for (auto& d : docs) {
            for (auto& i : d.imports) imports.push_back(std::move(i));
        }
        if (!imports.empty() && cfg.s3_dir.empty() && imports_how == seeding::run_imports) {
            return api::error::validation(imports.front().place + ": \"imports\" read files, so they need --s3-dir");
        }
        return api::ok_status();
    };
    const store::fixture_target into{*e->store_, e->faults_, e->access_};
    if (!cfg.fixture_paths.empty()) {
        if (auto s = store::load_fixture_paths(cfg.fixture_paths, into, store::load_mode::merge, clock.now(), take_imports); !s) {
            return s.err();
        }
    } else if (!cfg.empty) {
        if (auto s = store::load_fixture_text(builtin_sample_fixtures(), "(built-in sample)", into, store::load_mode::merge,
                                              clock.now(), take_imports);
            !s) {
            return s.err();
        }
    }
    if (auto s = e->run_seeded_imports(std::move(imports), clock, imports_how); !s) return s.err();
    // What POST /_emulator/reset returns to.
    if (auto s = e->store_->mark_baseline(clock.now()); !s) return s.err();
    e->plane_.startup_faults = e->faults_.list();
    e->plane_.startup_credentials = e->access_.credentials();
    e->plane_.startup_policies = e->access_.policies();
    return e;
}

api::status emulator::run_seeded_imports(std::vector<store::seeded_import> imports, const api::clock& clock, seeding how) {
    struct running {
        store::import_job job;
        store::scope who;
        std::string place;
    };
    std::vector<running> started;
    for (auto& seed : imports) {
        auto ns = store_->datastore_namespace(seed.job.datastore_id);
        if (!ns) return ns.err();
        if (!ns.value()) return api::error::validation(seed.place + ": datastore " + seed.job.datastore_id + " is not in the fixtures");
        store::scope who = *ns.value();
        if (who.region.empty()) who.region = std::string(store::k_default_region);
        seed.job.job_id = resource_ids_.next();
        auto job = store_->start_import_job(who, std::move(seed.job), lifecycle_, clock.now());
        if (!job) return api::error::validation(seed.place + ": " + job.err().message());
        if (!job.value().reads_files) {
            return api::error::validation(seed.place + ": an import rule or the datastore's importProgression scripts this "
                                          "job's end, so it would read no files");
        }
        if (how == seeding::check_imports) continue;
        importer_->start(job.value());
        started.push_back({job.value(), who, std::move(seed.place)});
    }
    if (started.empty()) return api::ok_status();
    importer_->wait_idle();
    for (const auto& [job, who, place] : started) {
        auto ended = store_->find_import_job(who, job.datastore_id, job.job_id);
        if (!ended) return ended.err();
        if (ended.value().job_status == "FAILED") {
            return api::error::validation(place + ": the import of " + job.input_s3_uri + " FAILED: " + ended.value().message.value_or(""));
        }
    }
    return api::ok_status();
}

}  // namespace hil::server
