#include "server/config.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <map>
#include <string>
#include <vector>

namespace {

using hil::server::config_action;
using hil::server::config_outcome;

// parse_config takes a plain function pointer for the environment, so the fake's contents
// live here; every test sets them through fake_env, which empties them again when it ends.
std::map<std::string, std::string>* g_env = nullptr;

const char* lookup(const char* name) {
    if (!g_env) return nullptr;
    const auto it = g_env->find(name);
    return it == g_env->end() ? nullptr : it->second.c_str();
}

class fake_env {
public:
    explicit fake_env(std::map<std::string, std::string> vars = {}) : vars_(std::move(vars)) { g_env = &vars_; }
    ~fake_env() { g_env = nullptr; }
    fake_env(const fake_env&) = delete;
    fake_env& operator=(const fake_env&) = delete;

private:
    std::map<std::string, std::string> vars_;
};

config_outcome parse(std::vector<const char*> args, std::map<std::string, std::string> env = {}) {
    fake_env e(std::move(env));
    std::vector<const char*> argv;
    argv.reserve(args.size() + 1);
    argv.push_back("healthimaging-local");
    for (const char* a : args) argv.push_back(a);
    return hil::server::parse_config(static_cast<int>(argv.size()), argv.data(), lookup);
}

config_outcome parse_ok(std::vector<const char*> args, std::map<std::string, std::string> env = {}) {
    auto out = parse(std::move(args), std::move(env));
    REQUIRE_MESSAGE(out.action == config_action::run, out.error);
    return out;
}

std::string parse_error(std::vector<const char*> args, std::map<std::string, std::string> env = {}) {
    auto out = parse(std::move(args), std::move(env));
    CHECK(out.action == config_action::fail);
    CHECK_FALSE(out.error.empty());
    return out.error;
}

using paths = std::vector<std::string>;

}  // namespace

TEST_CASE("defaults: 127.0.0.1:7979, in memory, the built-in sample") {
    const auto c = parse_ok({}).cfg;
    CHECK(c.server.host == "127.0.0.1");
    CHECK(c.server.port == 7979);
    CHECK(c.server.threads >= 1);
    CHECK(c.db_path.empty());
    CHECK(c.fixture_paths.empty());
    CHECK_FALSE(c.empty);
    CHECK(c.level == hil::server::log_level::info);
    CHECK(c.server.read_timeout == std::chrono::seconds(60));
    CHECK(c.server.shutdown_timeout == std::chrono::seconds(10));
    // The limits keep server_options' defaults, and --help states those same numbers.
    const hil::server::server_options plain;
    CHECK(c.server.header_limit == plain.header_limit);
    CHECK(c.server.body_limit == plain.body_limit);
    const auto usage = hil::server::usage_text();
    CHECK(usage.find("(default " + std::to_string(plain.header_limit) + ")") != std::string::npos);
    CHECK(usage.find("(default " + std::to_string(plain.body_limit) + ")") != std::string::npos);
}

TEST_CASE("flags set their values") {
    const auto c = parse_ok({"--host", "0.0.0.0", "--port", "0", "--threads", "3", "--db", "/tmp/x.db", "--empty",
                             "--log-level", "debug", "--header-limit", "4096", "--body-limit", "0", "--read-timeout",
                             "1500ms", "--shutdown-timeout", "2m"})
                       .cfg;
    CHECK(c.server.host == "0.0.0.0");
    CHECK(c.server.port == 0);
    CHECK(c.server.threads == 3);
    CHECK(c.db_path == "/tmp/x.db");
    CHECK(c.empty);
    CHECK(c.level == hil::server::log_level::debug);
    CHECK(c.server.header_limit == 4096);
    CHECK(c.server.body_limit == 0);
    CHECK(c.server.read_timeout == std::chrono::milliseconds(1500));
    CHECK(c.server.shutdown_timeout == std::chrono::minutes(2));
}

TEST_CASE("--flag=value works like --flag value") {
    const auto c = parse_ok({"--port=8080", "--host=::1", "--fixtures=a.json", "--empty=false", "--read-timeout=30s"}).cfg;
    CHECK(c.server.port == 8080);
    CHECK(c.server.host == "::1");
    CHECK(c.fixture_paths == paths{"a.json"});
    CHECK_FALSE(c.empty);
    CHECK(c.server.read_timeout == std::chrono::seconds(30));
    // Only the first '=' splits.
    CHECK(parse_ok({"--db=/tmp/a=b.db"}).cfg.db_path == "/tmp/a=b.db");
}

TEST_CASE("durations: bare seconds, s, ms, m") {
    CHECK(parse_ok({"--read-timeout", "30"}).cfg.server.read_timeout == std::chrono::seconds(30));
    CHECK(parse_ok({"--read-timeout", "5s"}).cfg.server.read_timeout == std::chrono::seconds(5));
    CHECK(parse_ok({"--read-timeout", "1ms"}).cfg.server.read_timeout == std::chrono::milliseconds(1));
    CHECK(parse_ok({"--read-timeout", "3m"}).cfg.server.read_timeout == std::chrono::minutes(3));
}

TEST_CASE("environment variables set the same values") {
    const auto c = parse_ok({}, {{"HIL_HOST", "0.0.0.0"},
                                 {"HIL_PORT", "1234"},
                                 {"HIL_THREADS", "2"},
                                 {"HIL_DB", "/data/hil.db"},
                                 {"HIL_EMPTY", "1"},
                                 {"HIL_LOG_LEVEL", "warn"},
                                 {"HIL_READ_TIMEOUT", "250ms"}})
                       .cfg;
    CHECK(c.server.host == "0.0.0.0");
    CHECK(c.server.port == 1234);
    CHECK(c.server.threads == 2);
    CHECK(c.db_path == "/data/hil.db");
    CHECK(c.empty);
    CHECK(c.level == hil::server::log_level::warn);
    CHECK(c.server.read_timeout == std::chrono::milliseconds(250));
    CHECK_FALSE(parse_ok({}, {{"HIL_EMPTY", "false"}}).cfg.empty);
}

TEST_CASE("a flag beats its environment variable") {
    const auto c = parse_ok({"--port", "5678", "--host", "127.0.0.2"}, {{"HIL_PORT", "1234"}, {"HIL_HOST", "0.0.0.0"}}).cfg;
    CHECK(c.server.port == 5678);
    CHECK(c.server.host == "127.0.0.2");
    CHECK_FALSE(parse_ok({"--empty=false"}, {{"HIL_EMPTY", "true"}}).cfg.empty);
}

TEST_CASE("HIL_FIXTURES is a ':'-separated list, empty parts skipped") {
    CHECK(parse_ok({}, {{"HIL_FIXTURES", "a.json:dir/b:/abs/c.json"}}).cfg.fixture_paths ==
          paths{"a.json", "dir/b", "/abs/c.json"});
    CHECK(parse_ok({}, {{"HIL_FIXTURES", ":a.json::b:"}}).cfg.fixture_paths == paths{"a.json", "b"});
    CHECK(parse_ok({}, {{"HIL_FIXTURES", ""}}).cfg.fixture_paths.empty());
}

TEST_CASE("--fixtures is repeatable and replaces the variable's list") {
    CHECK(parse_ok({"--fixtures", "x.json", "--fixtures", "y"}).cfg.fixture_paths == paths{"x.json", "y"});
    CHECK(parse_ok({"--fixtures", "x.json", "--fixtures=y"}, {{"HIL_FIXTURES", "a:b"}}).cfg.fixture_paths ==
          paths{"x.json", "y"});
    // A flag value is one path even with a ':' in it.
    CHECK(parse_ok({"--fixtures", "c:d"}).cfg.fixture_paths == paths{"c:d"});
}

TEST_CASE("bad values fail, naming the flag or the variable") {
    auto e = parse_error({"--port", "70000"});
    CHECK(e.find("--port") != std::string::npos);
    CHECK(e.find("70000") != std::string::npos);
    CHECK(parse_error({"--port", "abc"}).find("--port: 'abc' is not a port number") == 0);
    CHECK(parse_error({"--port", "-1"}).find("--port") == 0);
    CHECK(parse_error({"--port", "80x"}).find("--port") == 0);
    CHECK(parse_error({"--port", ""}).find("--port") == 0);
    CHECK(parse_error({}, {{"HIL_PORT", "abc"}}).find("HIL_PORT: 'abc'") == 0);
    CHECK(parse_error({"--threads", "0"}).find("--threads") == 0);
    CHECK(parse_error({"--log-level", "loud"}).find("--log-level: 'loud' is not one of") == 0);
    CHECK(parse_error({"--empty=maybe"}).find("--empty: 'maybe' is not a boolean") == 0);
}

TEST_CASE("bad durations fail") {
    for (const char* bad : {"0", "0ms", "abc", "5h", "-5s", "", "ms", "1.5s"}) {
        CAPTURE(bad);
        const auto e = parse_error({"--read-timeout", bad});
        CHECK(e.find("--read-timeout: '" + std::string(bad) + "' is not a duration") == 0);
    }
    CHECK(parse_error({}, {{"HIL_SHUTDOWN_TIMEOUT", "soon"}}).find("HIL_SHUTDOWN_TIMEOUT") == 0);
}

TEST_CASE("an unknown option or a missing value fails") {
    CHECK(parse_error({"--prot", "7979"}) == "unknown option '--prot' (see --help)");
    CHECK(parse_error({"-p", "7979"}) == "unknown option '-p' (see --help)");
    CHECK(parse_error({"serve"}) == "unknown option 'serve' (see --help)");
    CHECK(parse_error({"--bogus=1"}) == "unknown option '--bogus' (see --help)");
    CHECK(parse_error({"--port"}) == "--port: needs a value (PORT)");
    CHECK(parse_error({"--host", "0.0.0.0", "--fixtures"}) == "--fixtures: needs a value (PATH)");
}

TEST_CASE("help, version and probe actions") {
    CHECK(parse({"--help"}).action == config_action::help);
    CHECK(parse({"-h"}).action == config_action::help);
    CHECK(parse({"--port", "1", "--help"}).action == config_action::help);
    CHECK(parse({"--version"}).action == config_action::version);
    const auto probe = parse({"--probe", "--port", "8123"});
    CHECK(probe.action == config_action::probe);
    CHECK(probe.cfg.server.port == 8123);
    CHECK(parse({"--port", "8123", "--probe"}).action == config_action::probe);
    CHECK(parse({"--probe"}, {{"HIL_PORT", "4444"}}).cfg.server.port == 4444);
    CHECK(parse({"--probe", "--nope"}).action == config_action::fail);
    const auto check = parse({"--check-fixtures", "--fixtures", "a.json", "--fixtures", "b"});
    CHECK(check.action == config_action::check);
    CHECK(check.cfg.fixture_paths == std::vector<std::string>{"a.json", "b"});
    CHECK(parse({"--check-fixtures"}, {{"HIL_FIXTURES", "env.json"}}).action == config_action::check);
    const auto nothing_to_check = parse({"--check-fixtures"});
    CHECK(nothing_to_check.action == config_action::fail);
    CHECK(nothing_to_check.error.find("--check-fixtures: needs --fixtures") != std::string::npos);
}

TEST_CASE("usage_text mentions every flag and its variable") {
    const auto text = hil::server::usage_text();
    for (const char* word :
         {"--host", "HIL_HOST", "--port", "HIL_PORT", "--threads", "HIL_THREADS", "--db", "HIL_DB", "--fixtures",
          "HIL_FIXTURES", "--empty", "HIL_EMPTY", "--log-level", "HIL_LOG_LEVEL", "--header-limit", "HIL_HEADER_LIMIT",
          "--body-limit", "HIL_BODY_LIMIT", "--read-timeout", "HIL_READ_TIMEOUT", "--shutdown-timeout",
          "HIL_SHUTDOWN_TIMEOUT", "--probe", "--check-fixtures", "--help", "-h", "--version", "healthimaging-local", "7979", "127.0.0.1"}) {
        CAPTURE(word);
        CHECK(text.find(word) != std::string::npos);
    }
}

TEST_CASE("every flag in the usage text is accepted by the parser") {
    // Each "  --flag" line of the usage must name an option parse_config knows, so the two
    // cannot drift apart.
    const auto text = hil::server::usage_text();
    std::size_t pos = 0;
    int flags = 0;
    while ((pos = text.find("\n  --", pos)) != std::string::npos) {
        pos += 3;
        const auto end = text.find_first_of(" \n", pos);
        const std::string flag = text.substr(pos, end - pos);
        CAPTURE(flag);
        ++flags;
        const auto out = parse({flag.c_str()});
        if (out.action == config_action::fail) CHECK(out.error.find("unknown option") == std::string::npos);
    }
    CHECK(flags >= 13);
}
