// A small leveled logger writing one line per event to a stream (stderr by default).
// Thread safety: safe from any thread; lines never interleave.
#pragma once

#include <iostream>
#include <mutex>
#include <optional>
#include <string_view>

namespace hil::server {

enum class log_level { error = 0, warn = 1, info = 2, debug = 3 };

std::optional<log_level> log_level_from_name(std::string_view name);

class logger {
public:
    explicit logger(log_level level, std::ostream& out = std::cerr) : level_(level), out_(out) {}

    bool enabled(log_level l) const noexcept { return l <= level_; }
    void log(log_level l, std::string_view message);
    void error(std::string_view m) { log(log_level::error, m); }
    void warn(std::string_view m) { log(log_level::warn, m); }
    void info(std::string_view m) { log(log_level::info, m); }
    void debug(std::string_view m) { if (enabled(log_level::debug)) log(log_level::debug, m); }

private:
    const log_level level_;
    std::mutex mutex_;  // guards out_
    std::ostream& out_;
};

}  // namespace hil::server
