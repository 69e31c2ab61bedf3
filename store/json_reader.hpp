// The strict JSON reader of fixture documents: walks one object at a time, checks each
// member as it is taken against the API's own shapes (api/shapes.hpp, the same checks the
// request pipeline runs on API bodies), and refuses members the format does not define, so a
// typo fails loudly. The first problem stops the walk with its place (a JSON pointer such as
// /jobs/3/jobStatus) and reason.
//
// API bodies are read differently on purpose: restJson1 ignores unknown members and AWS lists
// every violation at once (api/json_validation.hpp); fixtures refuse unknown members and
// stop at the first problem, naming where it is.
// Thread safety: stateless; safe from any thread.
#pragma once

#include <rapidjson/document.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <stdexcept>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "api/clock.hpp"
#include "api/json_validation.hpp"
#include "api/shapes.hpp"

namespace hil::store::fixture_json {

using json = rapidjson::Value;

// Thrown by the reader to unwind a deep walk; parse_fixture turns it into a value.
struct fixture_problem {
    std::string pointer;
    std::string reason;
};

[[noreturn]] inline void fail(const std::string& pointer, std::string reason) { throw fixture_problem{pointer, std::move(reason)}; }

// Where a value sits, as a JSON pointer that is only spelled out when a message needs it:
// a million jobs would otherwise cost a million "/jobs/N" strings that are never read.
// REQUIRES: `base` outlives the place.
class place {
public:
    // Implicit: every JSON pointer is a place.
    place(std::string_view base) : base_(base) {}       // NOLINT(google-explicit-constructor)
    place(const std::string& base) : base_(base) {}     // NOLINT(google-explicit-constructor)
    place(const char* base) : base_(base) {}            // NOLINT(google-explicit-constructor)
    place(std::string_view list, std::size_t index) : base_(list), index_(index) {}
    std::string str() const {
        std::string out(base_);
        if (index_ != k_no_index) out += "/" + std::to_string(index_);
        return out;
    }

private:
    static constexpr std::size_t k_no_index = static_cast<std::size_t>(-1);
    std::string_view base_;
    std::size_t index_ = k_no_index;
};

[[noreturn]] inline void fail(const place& where, std::string reason) { fail(where.str(), std::move(reason)); }

inline std::string type_name(const json& v) { return api::json_type_name(v); }

// Walks one object, checking each member as it is taken and refusing any left over.
class object_reader {
public:
    // A bit per allowed member finds repeats without a set of strings per object.
    object_reader(const json& v, place where, std::initializer_list<std::string_view> allowed)
        : object_reader(v, where, std::span<const std::string_view>(allowed.begin(), allowed.size())) {}
    object_reader(const json& v, place where, std::span<const std::string_view> allowed) : value_(v), where_(where) {
        if (!v.IsObject()) fail(where_, "must be an object, not " + type_name(v));
        // A bit per allowed member; the longest list (fault rules, growing with each label) must fit.
        if (allowed.size() > 64) throw std::logic_error("object_reader: more than 64 allowed members");
        std::uint64_t seen = 0;
        for (auto it = v.MemberBegin(); it != v.MemberEnd(); ++it) {
            const std::string_view name(it->name.GetString(), it->name.GetStringLength());
            const auto found = std::find(allowed.begin(), allowed.end(), name);
            if (found == allowed.end()) {
                std::string expected;
                for (const auto a : allowed) expected += (expected.empty() ? "" : ", ") + std::string(a);
                // The name is the input's, so its place shows it clipped: the message stays bounded.
                fail(at(api::display_value(name)), "unknown member (expected one of: " + expected + ")");
            }
            const std::uint64_t bit = std::uint64_t{1} << static_cast<unsigned>(found - allowed.begin());
            if (seen & bit) fail(at(name), "member given twice");
            seen |= bit;
        }
    }

    std::string at(std::string_view member) const { return where_.str() + "/" + std::string(member); }
    const json* find(std::string_view member) const {
        const auto it = value_.FindMember(rapidjson::StringRef(member.data(), member.size()));
        return it == value_.MemberEnd() ? nullptr : &it->value;
    }

    std::optional<std::string> optional_string(std::string_view member) const {
        const json* v = find(member);
        if (!v) return std::nullopt;
        if (!v->IsString()) fail(at(member), "must be a string, not " + type_name(*v));
        return std::string(v->GetString(), v->GetStringLength());
    }
    std::string required_string(std::string_view member) const {
        auto s = optional_string(member);
        if (!s) fail(at(member), "required member is missing");
        return std::move(*s);
    }
    std::string required(std::string_view member, const api::shape& shape) const {
        auto s = required_string(member);
        check(member, shape, s);
        return s;
    }
    std::optional<std::string> optional(std::string_view member, const api::shape& shape) const {
        auto s = optional_string(member);
        if (s) check(member, shape, *s);
        return s;
    }
    std::optional<std::string> optional_enum(std::string_view member, const api::shape& shape) const {
        auto s = optional_string(member);
        if (!s) return s;
        const auto v = api::violations(shape, *s);
        if (!v.empty()) fail(at(member), "value '" + api::display_value(*s) + "' is not valid " + std::string(shape.name) + ": " + v.front());
        return s;
    }
    std::string required_enum(std::string_view member, const api::shape& shape) const {
        auto s = required_string(member);
        const auto v = api::violations(shape, s);
        if (!v.empty()) fail(at(member), "value '" + api::display_value(s) + "' is not valid " + std::string(shape.name) + ": " + v.front());
        return s;
    }
    std::optional<api::epoch_millis> optional_timestamp(std::string_view member) const {
        const json* v = find(member);
        if (!v) return std::nullopt;
        if (!v->IsNumber()) fail(at(member), "must be a number of seconds since the epoch, not " + type_name(*v));
        const double seconds = v->GetDouble();
        if (!std::isfinite(seconds) || seconds < 0 || seconds > 253402300799.0) {
            fail(at(member), "must be a number of seconds between 0 and 253402300799 (year 9999)");
        }
        return static_cast<api::epoch_millis>(std::llround(seconds * 1000.0));
    }
    std::optional<std::uint64_t> optional_whole(std::string_view member) const {
        const json* v = find(member);
        if (!v) return std::nullopt;
        if (!v->IsUint64()) fail(at(member), "must be a whole number of 0 or more");
        return v->GetUint64();
    }
    std::optional<api::epoch_millis> optional_duration(std::string_view member) const {
        const json* v = find(member);
        if (!v) return std::nullopt;
        if (!v->IsNumber() || !std::isfinite(v->GetDouble()) || v->GetDouble() < 0 || v->GetDouble() > 31536000.0) {
            fail(at(member), "must be a number of seconds from 0 to 31536000");
        }
        return static_cast<api::epoch_millis>(std::llround(v->GetDouble() * 1000.0));
    }

private:
    void check(std::string_view member, const api::shape& shape, const std::string& s) const {
        const auto v = api::violations(shape, s);
        if (!v.empty()) {
            std::string reason = "value '" + api::display_value(s) + "' is not a valid " + std::string(shape.name) + ": ";
            for (std::size_t i = 0; i < v.size(); ++i) reason += (i ? "; " : "") + v[i];
            fail(at(member), std::move(reason));
        }
    }

    const json& value_;
    place where_;
};

// The JSON pointer (relative to `v`) of the first member whose name its object already has,
// at any depth, or nothing. For values read as a whole rather than member by member.
inline std::optional<std::string> find_repeated_member(const json& v) {
    if (v.IsArray()) {
        for (rapidjson::SizeType i = 0; i < v.Size(); ++i) {
            if (auto inner = find_repeated_member(v[i])) return "/" + std::to_string(i) + *inner;
        }
    } else if (v.IsObject()) {
        // Sorted names: an object of many members costs n log n, not n squared.
        std::vector<std::string_view> names;
        names.reserve(v.MemberCount());
        for (auto it = v.MemberBegin(); it != v.MemberEnd(); ++it) names.emplace_back(it->name.GetString(), it->name.GetStringLength());
        std::sort(names.begin(), names.end());
        if (const auto twice = std::adjacent_find(names.begin(), names.end()); twice != names.end()) {
            return "/" + api::display_value(*twice);
        }
        for (auto it = v.MemberBegin(); it != v.MemberEnd(); ++it) {
            if (auto inner = find_repeated_member(it->value)) {
                return "/" + api::display_value(std::string_view(it->name.GetString(), it->name.GetStringLength())) + *inner;
            }
        }
    }
    return std::nullopt;
}

template <class Fn>
void for_each_item(const object_reader& top, std::string_view member, Fn&& fn) {
    const json* list = top.find(member);
    if (!list) return;
    const std::string list_pointer = top.at(member);
    if (!list->IsArray()) fail(list_pointer, "must be an array, not " + type_name(*list));
    for (rapidjson::SizeType i = 0; i < list->Size(); ++i) fn((*list)[i], place(list_pointer, i));
}

}  // namespace hil::store::fixture_json
