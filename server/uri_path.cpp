#include "server/uri_path.hpp"

namespace hil::server {
namespace {

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

// Where the path of a target ends: at its first '?' or '#', or its end. Two finds of one
// character each are one vectorized memchr apiece; find_first_of("?#") (a memchr on the set per
// character) and a loop over the characters were each ~4% of a hit's instructions.
std::size_t path_end(std::string_view target) {
    const auto query = target.find('?');
    const auto fragment = target.substr(0, query).find('#');
    return fragment != std::string_view::npos ? fragment : query;
}

}  // namespace

std::string_view target_path(std::string_view target) { return target.substr(0, path_end(target)); }

std::string_view target_query(std::string_view target) {
    const auto end = path_end(target);
    if (end == std::string_view::npos || target[end] != '?') return {};
    const auto query = target.substr(end + 1);
    return query.substr(0, query.find('#'));
}

std::string percent_decode(std::string_view segment) {
    std::string out;
    out.reserve(segment.size());
    for (std::size_t i = 0; i < segment.size(); ++i) {
        if (segment[i] == '%' && i + 2 < segment.size()) {
            const int hi = hex_value(segment[i + 1]);
            const int lo = hex_value(segment[i + 2]);
            if (hi >= 0 && lo >= 0) {
                out.push_back(static_cast<char>(hi * 16 + lo));
                i += 2;
                continue;
            }
        }
        out.push_back(segment[i]);
    }
    return out;
}

std::string form_decode(std::string_view component) {
    std::string plus_as_space(component);
    for (auto& c : plus_as_space) {
        if (c == '+') c = ' ';
    }
    return percent_decode(plus_as_space);
}

void for_each_query_param(std::string_view target,
                          const std::function<bool(const std::string& name, std::string_view raw_value)>& visit) {
    auto query = target_query(target);
    while (!query.empty()) {
        const auto amp = query.find('&');
        const auto pair = query.substr(0, amp);
        const auto eq = pair.find('=');
        if (!visit(form_decode(pair.substr(0, eq)), eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1))) {
            return;
        }
        if (amp == std::string_view::npos) break;
        query.remove_prefix(amp + 1);
    }
}

std::optional<std::string> query_param(std::string_view target, std::string_view name) {
    std::optional<std::string> found;
    for_each_query_param(target, [&](const std::string& n, std::string_view raw) {
        if (n != name) return true;
        found = form_decode(raw);
        return false;
    });
    return found;
}

std::vector<std::string> split_path(std::string_view path) {
    std::vector<std::string> segments;
    if (path.empty() || path.front() != '/') return segments;
    path.remove_prefix(1);
    while (true) {
        const auto slash = path.find('/');
        segments.push_back(percent_decode(path.substr(0, slash)));
        if (slash == std::string_view::npos) break;
        path.remove_prefix(slash + 1);
    }
    return segments;
}

}  // namespace hil::server
