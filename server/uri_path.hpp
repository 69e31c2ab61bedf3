// Splitting a request target into decoded path labels, as restJson1 servers do: split the
// path on '/', then percent-decode each segment, so "%2F" inside a label stays in the label.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hil::server {

// The path part of a request target: everything before '?' or '#'.
std::string_view target_path(std::string_view target);
// The query of a request target: after the '?' that ends the path, up to any '#' (empty when
// the path ends at '#' or there is no '?'). The SigV4 verifier signs exactly this and the path.
std::string_view target_query(std::string_view target);

// Percent-decodes `segment`. A '%' not followed by two hex digits is kept as it is, so the
// value then fails validation by name instead of being guessed at. '+' stays '+'.
std::string percent_decode(std::string_view segment);

// A query component as forms write it: '+' is a space, then percent-decoding.
std::string form_decode(std::string_view component);

// Calls `visit` with each query parameter of `target` in order: its decoded name and its raw
// value (decode it with form_decode). Stops when `visit` returns false.
void for_each_query_param(std::string_view target,
                          const std::function<bool(const std::string& name, std::string_view raw_value)>& visit);

// The first value of query parameter `name` in `target`, percent-decoded ('+' is a space,
// as HTML forms and curl --data-urlencode write it); nothing when absent.
std::optional<std::string> query_param(std::string_view target, std::string_view name);

// The decoded segments of an origin-form path: "/a/b%20c" -> {"a", "b c"}, "/a//b" -> {"a", "", "b"}.
// A path that does not start with '/' yields no segments.
std::vector<std::string> split_path(std::string_view path);

}  // namespace hil::server
