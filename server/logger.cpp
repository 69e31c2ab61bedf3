#include "server/logger.hpp"

#include <chrono>
#include <ctime>

namespace hil::server {

std::optional<log_level> log_level_from_name(std::string_view name) {
    if (name == "error") return log_level::error;
    if (name == "warn") return log_level::warn;
    if (name == "info") return log_level::info;
    if (name == "debug") return log_level::debug;
    return std::nullopt;
}

void logger::log(log_level l, std::string_view message) {
    if (!enabled(l)) return;
    static constexpr const char* k_names[] = {"ERROR", "WARN", "INFO", "DEBUG"};
    using namespace std::chrono;
    const auto now = system_clock::now();
    const auto t = system_clock::to_time_t(now);
    const auto ms = duration_cast<milliseconds>(now.time_since_epoch()).count() % 1000;
    std::tm tm{};
    gmtime_r(&t, &tm);
    char stamp[32];
    const auto n = std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);
    char line_head[64];
    std::snprintf(line_head, sizeof line_head, "%.*s.%03dZ %-5s ", static_cast<int>(n), stamp, static_cast<int>(ms),
                  k_names[static_cast<int>(l)]);
    std::lock_guard lock(mutex_);
    out_ << line_head << message << '\n';
    out_.flush();
}

}  // namespace hil::server
