#include "server/config.hpp"

#include <filesystem>

#include <algorithm>
#include <charconv>
#include <functional>
#include <string_view>
#include <thread>

#include "api/shapes.hpp"
#include "server/version.hpp"
#include "store/progression.hpp"

namespace hil::server {
namespace {

struct flag_error {
    std::string message;
};

template <class Int>
Int parse_int(std::string_view where, std::string_view text, Int min, Int max, std::string_view what) {
    Int v{};
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc() || end != text.data() + text.size() || v < min || v > max) {
        throw flag_error{std::string(where) + ": '" + std::string(text) + "' is not " + std::string(what)};
    }
    return v;
}

// "30", "30s", "1500ms", "2m": a duration; a bare number is seconds.
std::chrono::milliseconds parse_duration(std::string_view where, std::string_view text) {
    std::uint64_t scale = 1000;
    std::string_view digits = text;
    if (text.size() > 2 && text.substr(text.size() - 2) == "ms") { scale = 1; digits = text.substr(0, text.size() - 2); }
    else if (!text.empty() && text.back() == 's') { digits = text.substr(0, text.size() - 1); }
    else if (!text.empty() && text.back() == 'm') { scale = 60'000; digits = text.substr(0, text.size() - 1); }
    try {
        const auto n = parse_int<std::uint64_t>(where, digits, 1, 86'400'000, "");
        return std::chrono::milliseconds(n * scale);
    } catch (const flag_error&) {
        throw flag_error{std::string(where) + ": '" + std::string(text) +
                         "' is not a duration (e.g. 30, 30s, 500ms, 2m; at least 1ms)"};
    }
}

bool parse_bool(std::string_view where, std::string_view text) {
    if (text == "1" || text == "true" || text == "yes" || text == "on") return true;
    if (text == "0" || text == "false" || text == "no" || text == "off" || text.empty()) return false;
    throw flag_error{std::string(where) + ": '" + std::string(text) + "' is not a boolean (true/false, 1/0)"};
}

std::vector<store::progression_step> progression_flag(std::string_view where, std::string_view text,
                                                     const api::shape& status_shape) {
    auto steps = store::parse_progression_spec(text, status_shape);
    if (!steps) throw flag_error{std::string(where) + ": " + steps.err().message()};
    return std::move(steps).value();
}

struct option_def {
    std::string_view flag;
    std::string_view env;
    std::string_view arg;  // empty: takes no value
    std::string_view help;
    std::function<void(config&, std::string_view where, std::string_view value)> apply;
};

const std::vector<option_def>& options() {
    static const std::vector<option_def> defs = {
        {"--host", "HIL_HOST", "ADDR", "IP address to listen on (default 127.0.0.1; 0.0.0.0 for all)",
         [](config& c, std::string_view, std::string_view v) { c.server.host = std::string(v); }},
        {"--port", "HIL_PORT", "PORT", "TCP port; 0 picks a free one (default 7979)",
         [](config& c, std::string_view w, std::string_view v) {
             c.server.port = parse_int<unsigned short>(w, v, 0, 65535, "a port number (0-65535)");
         }},
        {"--threads", "HIL_THREADS", "N", "worker threads (default: the number of cores)",
         [](config& c, std::string_view w, std::string_view v) {
             c.server.threads = parse_int<unsigned>(w, v, 1, 256, "a thread count (1-256)");
         }},
        {"--db", "HIL_DB", "FILE", "SQLite file that keeps the data across restarts (default: in memory)",
         [](config& c, std::string_view, std::string_view v) { c.db_path = std::string(v); }},
        {"--fixtures", "HIL_FIXTURES", "PATH",
         "fixture file, or folder of *.json files; repeatable (variable: ':'-separated). Default: the built-in sample",
         [](config& c, std::string_view w, std::string_view v) {
             if (w.substr(0, 2) == "--") {
                 c.fixture_paths.emplace_back(v);
                 return;
             }
             std::size_t start = 0;
             while (start <= v.size()) {
                 const auto colon = v.find(':', start);
                 const auto part = v.substr(start, colon == std::string_view::npos ? std::string_view::npos : colon - start);
                 if (!part.empty()) c.fixture_paths.emplace_back(part);
                 if (colon == std::string_view::npos) break;
                 start = colon + 1;
             }
         }},
        {"--empty", "HIL_EMPTY", "", "start with no data instead of the built-in sample",
         [](config& c, std::string_view w, std::string_view v) { c.empty = parse_bool(w, v); }},
        {"--log-level", "HIL_LOG_LEVEL", "LEVEL", "error, warn, info or debug (default info)",
         [](config& c, std::string_view w, std::string_view v) {
             const auto l = log_level_from_name(v);
             if (!l) throw flag_error{std::string(w) + ": '" + std::string(v) + "' is not one of error, warn, info, debug"};
             c.level = *l;
         }},
        {"--no-admin", "HIL_NO_ADMIN", "", "turn the control API (/_emulator/*) off; the health check stays",
         [](config& c, std::string_view w, std::string_view v) { c.admin = !parse_bool(w, v); }},
        {"--admin-token", "HIL_ADMIN_TOKEN", "TOKEN", "require 'Authorization: Bearer TOKEN' on the control API",
         [](config& c, std::string_view w, std::string_view v) {
             if (v.empty()) throw flag_error{std::string(w) + ": the token must not be empty"};
             c.admin_token = std::string(v);
         }},
        {"--auth", "HIL_AUTH", "MODE",
         "off (default: any request is served, signed or not; the access key still picks the namespace and the "
         "principal that access policies judge) or sigv4 (every API call needs a valid AWS Signature Version 4 of a "
         "known credential)",
         [](config& c, std::string_view w, std::string_view v) {
             if (v == "off") {
                 c.auth = auth_mode::off;
             } else if (v == "sigv4") {
                 c.auth = auth_mode::sigv4;
             } else {
                 throw flag_error{std::string(w) + ": '" + std::string(v) + "' is not off or sigv4"};
             }
         }},
        {"--s3-dir", "HIL_S3_DIR", "DIR",
         "a local folder standing in for S3: s3://bucket/key is DIR/bucket/key; StartDICOMImportJob then imports the "
         "DICOM files under its inputS3Uri into image sets and writes its outputs there (without it, jobs follow their "
         "scripted progression and make no image sets)",
         [](config& c, std::string_view w, std::string_view v) {
             std::error_code ec;
             if (v.empty() || !std::filesystem::is_directory(std::string(v), ec)) {
                 throw flag_error{std::string(w) + ": '" + std::string(v) + "' is not an existing directory"};
             }
             c.s3_dir = std::string(v);
         }},
        {"--throttle", "HIL_THROTTLE", "MODE",
         "off (default), aws (each operation's documented quota, e.g. GetDICOMImportJob 25/s, burst 50), or RATE[:BURST] per second",
         [](config& c, std::string_view w, std::string_view v) {
             const auto p = parse_throttle_policy(v);
             if (!p) throw flag_error{std::string(w) + ": '" + std::string(v) + "' is not off, aws or RATE[:BURST] (e.g. 5:10)"};
             c.throttling = *p;
         }},
        {"--job-progression", "HIL_JOB_PROGRESSION", "STEPS",
         "how a started import job moves: STATUS@POLLS or STATUS@DURATION steps (default IN_PROGRESS@0,COMPLETED@1)",
         [](config& c, std::string_view w, std::string_view v) {
             c.lifecycle.import_job = progression_flag(w, v, api::job_status_shape);
         }},
        {"--datastore-progression", "HIL_DATASTORE_PROGRESSION", "STEPS",
         "how a created datastore moves from CREATING (default ACTIVE@1: ACTIVE from the second GetDatastore)",
         [](config& c, std::string_view w, std::string_view v) {
             c.lifecycle.datastore_create = progression_flag(w, v, api::datastore_status_shape);
         }},
        {"--datastore-delete-progression", "HIL_DATASTORE_DELETE_PROGRESSION", "STEPS",
         "how a deleted datastore moves from DELETING (default DELETED@1)",
         [](config& c, std::string_view w, std::string_view v) {
             c.lifecycle.datastore_delete = progression_flag(w, v, api::datastore_status_shape);
         }},
        {"--max-datastores", "HIL_MAX_DATASTORES", "N",
         "data stores per account and region; CreateDatastore past it is 402 ServiceQuotaExceeded (default 100)",
         [](config& c, std::string_view w, std::string_view v) {
             c.lifecycle.max_datastores = parse_int<std::uint64_t>(w, v, 0, 1'000'000'000, "a count (0-1000000000)");
         }},
        {"--max-concurrent-imports", "HIL_MAX_CONCURRENT_IMPORTS", "N",
         "import jobs SUBMITTED or IN_PROGRESS per data store; more is 402 ServiceQuotaExceeded (default 100)",
         [](config& c, std::string_view w, std::string_view v) {
             c.lifecycle.max_concurrent_imports = parse_int<std::uint64_t>(w, v, 0, 1'000'000'000, "a count (0-1000000000)");
         }},
        {"--answer-cache-mb", "HIL_ANSWER_CACHE_MB", "N",
         "MiB of rendered answers kept for repeated reads (in memory only, not with --db); 0 turns it off (default 32)",
         [](config& c, std::string_view w, std::string_view v) {
             c.answer_cache_mb = parse_int<std::size_t>(w, v, 0, 65'536, "a size in MiB (0-65536)");
         }},
        {"--journal-size", "HIL_JOURNAL_SIZE", "N", "API calls kept in the request journal; 0 turns it off (default 10000)",
         [](config& c, std::string_view w, std::string_view v) {
             c.journal_size = parse_int<std::size_t>(w, v, 0, 10'000'000, "a number of entries (0-10000000)");
         }},
        {"--header-limit", "HIL_HEADER_LIMIT", "BYTES", "largest request line + headers; more gets 431 (default 16384)",
         [](config& c, std::string_view w, std::string_view v) {
             c.server.header_limit = parse_int<std::uint32_t>(w, v, 256, 1u << 24, "a size in bytes (256-16777216)");
         }},
        {"--body-limit", "HIL_BODY_LIMIT", "BYTES", "largest request body; more gets 413 (default 67108864)",
         [](config& c, std::string_view w, std::string_view v) {
             c.server.body_limit = parse_int<std::uint64_t>(w, v, 0, std::uint64_t{1} << 32, "a size in bytes");
         }},
        {"--max-connections", "HIL_MAX_CONNECTIONS", "N",
         "open connections at most; more are accepted and closed at once (default 10000)",
         [](config& c, std::string_view w, std::string_view v) {
             c.server.max_connections = parse_int<std::size_t>(w, v, 1, 1'000'000, "a connection count (1-1000000)");
         }},
        {"--read-timeout", "HIL_READ_TIMEOUT", "DURATION",
         "time a connection may take to send a whole request, idle wait included (default 60s)",
         [](config& c, std::string_view w, std::string_view v) { c.server.read_timeout = parse_duration(w, v); }},
        {"--shutdown-timeout", "HIL_SHUTDOWN_TIMEOUT", "DURATION",
         "on SIGTERM, how long requests in flight may take to finish (default 10s)",
         [](config& c, std::string_view w, std::string_view v) { c.server.shutdown_timeout = parse_duration(w, v); }},
    };
    return defs;
}

}  // namespace

store::lifecycle_policy config::default_lifecycle() {
    store::lifecycle_policy p;
    p.datastore_create = {{"ACTIVE", 1, std::nullopt, std::nullopt, std::nullopt}};
    p.datastore_delete = {{"DELETED", 1, std::nullopt, std::nullopt, std::nullopt}};
    p.import_job = {{"IN_PROGRESS", 0, std::nullopt, std::nullopt, std::nullopt},
                    {"COMPLETED", 1, std::nullopt, std::nullopt, std::nullopt}};
    return p;
}

std::string usage_text() {
    std::string out = std::string(k_name) + " " + std::string(k_version) +
                      " - a local emulator of AWS HealthImaging\n\n"
                      "Usage: healthimaging-local [OPTIONS]\n\nOptions (each also set by the environment variable shown):\n";
    for (const auto& o : options()) {
        std::string left = "  " + std::string(o.flag) + (o.arg.empty() ? "" : " " + std::string(o.arg));
        left.resize(std::max<std::size_t>(left.size() + 2, 31), ' ');
        out += left + std::string(o.help) + "  [" + std::string(o.env) + "]\n";
    }
    out +=
        "  --probe                      ask the server at --host/--port for /_emulator/health; exit 0 if ready\n"
        "                               (the Docker HEALTHCHECK; 0.0.0.0 probes 127.0.0.1)\n"
        "  --check-fixtures             load the --fixtures as start-up would, without listening: exit 0\n"
        "                               silently if accepted, else print the error and exit 1 (imports\n"
        "                               are checked, not run; --db is not opened)\n"
        "  -h, --help                   show this help and exit\n"
        "  --version                    print the version and exit\n\n"
        "It prints 'listening on http://HOST:PORT' once the fixtures are loaded and it accepts\n"
        "connections. SIGTERM or SIGINT stops it cleanly (exit 0). A bad flag exits 2; a bad\n"
        "fixture or database exits 1.\n";
    return out;
}

config_outcome parse_config(int argc, const char* const* argv, env_lookup env) {
    config_outcome out;
    out.cfg.server.port = 7979;
    out.cfg.server.threads = std::max(1u, std::thread::hardware_concurrency());
    try {
        for (const auto& o : options()) {
            if (const char* v = env(std::string(o.env).c_str()); v != nullptr) o.apply(out.cfg, o.env, v);
        }
        bool fixtures_from_flags = false;
        for (int i = 1; i < argc; ++i) {
            std::string_view a = argv[i];
            if (a == "-h" || a == "--help") { out.action = config_action::help; return out; }
            if (a == "--version") { out.action = config_action::version; return out; }
            if (a == "--probe") { out.action = config_action::probe; continue; }
            if (a == "--check-fixtures") { out.action = config_action::check; continue; }
            std::string_view value;
            bool has_inline = false;
            if (const auto eq = a.find('='); a.substr(0, 2) == "--" && eq != std::string_view::npos) {
                value = a.substr(eq + 1);
                a = a.substr(0, eq);
                has_inline = true;
            }
            const option_def* def = nullptr;
            for (const auto& o : options()) {
                if (o.flag == a) def = &o;
            }
            if (!def) throw flag_error{"unknown option '" + std::string(a) + "' (see --help)"};
            if (def->arg.empty()) {
                def->apply(out.cfg, a, has_inline ? value : "true");
                continue;
            }
            if (!has_inline) {
                if (i + 1 >= argc) throw flag_error{std::string(a) + ": needs a value (" + std::string(def->arg) + ")"};
                value = argv[++i];
            }
            if (a == "--fixtures" && !fixtures_from_flags) {
                out.cfg.fixture_paths.clear();  // flags replace the variable's list
                fixtures_from_flags = true;
            }
            def->apply(out.cfg, a, value);
        }
        if (out.action == config_action::check && out.cfg.fixture_paths.empty()) {
            throw flag_error{"--check-fixtures: needs --fixtures PATH (or HIL_FIXTURES): the files to check"};
        }
    } catch (const flag_error& e) {
        out.action = config_action::fail;
        out.error = e.message;
    }
    return out;
}

}  // namespace hil::server
