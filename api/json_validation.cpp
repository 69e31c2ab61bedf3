#include "api/json_validation.hpp"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <cmath>
#include <utility>
#include <vector>

namespace hil::api {
namespace {

std::string_view text_of(const rapidjson::Value& v) { return {v.GetString(), v.GetStringLength()}; }

const char* expected_type(shape_kind kind) {
    switch (kind) {
        case shape_kind::string:
        case shape_kind::enumeration:
        case shape_kind::blob: return "a string";
        case shape_kind::integer: return "an integer";
        case shape_kind::boolean: return "a boolean";
        case shape_kind::timestamp: return "a number of epoch seconds";
        case shape_kind::list: return "an array";
        case shape_kind::map:
        case shape_kind::structure: return "an object";
    }
    return "a value";
}

bool has_type(shape_kind kind, const rapidjson::Value& v) {
    switch (kind) {
        case shape_kind::string:
        case shape_kind::enumeration:
        case shape_kind::blob: return v.IsString();
        case shape_kind::integer: return v.IsInt64();
        case shape_kind::boolean: return v.IsBool();
        case shape_kind::timestamp: return v.IsNumber() && std::isfinite(v.GetDouble());
        case shape_kind::list: return v.IsArray();
        case shape_kind::map:
        case shape_kind::structure: return v.IsObject();
    }
    return false;
}

// A length constraint on a list or map, worded as Coral words it for collections.
void check_count(std::string_view path, const shape& type, const rapidjson::Value& value, std::uint64_t count,
                 validation_report& report) {
    if (type.min_length && count < *type.min_length) {
        report.add_rendered(path, display_value(render_json_value(value), 256),
                            "Member must have length greater than or equal to " + std::to_string(*type.min_length));
    }
    if (type.max_length && count > *type.max_length) {
        report.add_rendered(path, display_value(render_json_value(value), 256),
                            "Member must have length less than or equal to " + std::to_string(*type.max_length));
    }
}

// "[Member must ..., Member must ...]": the constraints a map's keys or values broke, once each.
void add_to_set(std::string& set, const std::vector<std::string>& found) {
    for (const auto& v : found) {
        if (set.find(v) != std::string::npos) continue;
        if (!set.empty()) set += ", ";
        set += v;
    }
}

}  // namespace

namespace {

bool has_encoded_surrogate(std::string_view s) {
    for (std::size_t i = 0; i + 1 < s.size(); ++i) {
        const auto lead = static_cast<unsigned char>(s[i]);
        const auto next = static_cast<unsigned char>(s[i + 1]);
        if (lead == 0xED && next >= 0xA0 && next <= 0xBF) return true;
    }
    return false;
}

std::string pointer_token(std::string_view name) {
    std::string out;
    for (const char c : name) {
        if (c == '~') out += "~0";
        else if (c == '/') out += "~1";
        else out += c;
    }
    return out;
}

}  // namespace

std::optional<std::string> find_lone_surrogate(const rapidjson::Value& value) {
    if (value.IsString()) {
        if (has_encoded_surrogate(text_of(value))) return std::string();
        return std::nullopt;
    }
    if (value.IsArray()) {
        for (rapidjson::SizeType i = 0; i < value.Size(); ++i) {
            if (auto inner = find_lone_surrogate(value[i])) return "/" + std::to_string(i) + *inner;
        }
        return std::nullopt;
    }
    if (value.IsObject()) {
        for (auto it = value.MemberBegin(); it != value.MemberEnd(); ++it) {
            const auto name = text_of(it->name);
            if (has_encoded_surrogate(name)) return "/" + display_value(pointer_token(name));
            if (auto inner = find_lone_surrogate(it->value)) return "/" + display_value(pointer_token(name)) + *inner;
        }
    }
    return std::nullopt;
}

std::optional<std::string> decode_base64(std::string_view text) {
    auto value_of = [](char c) -> int {
        if (c >= 'A' && c <= 'Z') return c - 'A';
        if (c >= 'a' && c <= 'z') return c - 'a' + 26;
        if (c >= '0' && c <= '9') return c - '0' + 52;
        if (c == '+') return 62;
        if (c == '/') return 63;
        return -1;
    };
    while (!text.empty() && text.back() == '=') text.remove_suffix(1);
    if (text.size() % 4 == 1) return std::nullopt;
    std::string out;
    out.reserve(text.size() * 3 / 4);
    std::uint32_t bits = 0;
    int count = 0;
    for (const char c : text) {
        const int v = value_of(c);
        if (v < 0) return std::nullopt;
        bits = (bits << 6) | static_cast<std::uint32_t>(v);
        if (++count == 4) {
            out += static_cast<char>((bits >> 16) & 0xff);
            out += static_cast<char>((bits >> 8) & 0xff);
            out += static_cast<char>(bits & 0xff);
            bits = 0;
            count = 0;
        }
    }
    if (count == 3) {
        out += static_cast<char>((bits >> 10) & 0xff);
        out += static_cast<char>((bits >> 2) & 0xff);
    } else if (count == 2) {
        out += static_cast<char>((bits >> 4) & 0xff);
    }
    return out;
}

std::string encode_base64(std::string_view bytes) {
    static constexpr char k_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    out.reserve((bytes.size() + 2) / 3 * 4);
    std::size_t i = 0;
    auto at = [&](std::size_t k) { return static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[k])); };
    for (; i + 3 <= bytes.size(); i += 3) {
        const std::uint32_t v = (at(i) << 16) | (at(i + 1) << 8) | at(i + 2);
        for (int shift = 18; shift >= 0; shift -= 6) out += k_alphabet[(v >> shift) & 63];
    }
    if (bytes.size() - i == 1) {
        const std::uint32_t v = at(i) << 16;
        out += k_alphabet[(v >> 18) & 63];
        out += k_alphabet[(v >> 12) & 63];
        out += "==";
    } else if (bytes.size() - i == 2) {
        const std::uint32_t v = (at(i) << 16) | (at(i + 1) << 8);
        out += k_alphabet[(v >> 18) & 63];
        out += k_alphabet[(v >> 12) & 63];
        out += k_alphabet[(v >> 6) & 63];
        out += '=';
    }
    return out;
}

const char* json_type_name(const rapidjson::Value& v) {
    switch (v.GetType()) {
        case rapidjson::kNullType: return "null";
        case rapidjson::kFalseType:
        case rapidjson::kTrueType: return "a boolean";
        case rapidjson::kObjectType: return "an object";
        case rapidjson::kArrayType: return "an array";
        case rapidjson::kStringType: return "a string";
        case rapidjson::kNumberType: return "a number";
    }
    return "a value";
}

std::string render_json_value(const rapidjson::Value& value) {
    if (value.IsString()) return std::string(text_of(value));
    if (value.IsArray()) {
        std::string out = "[";
        for (rapidjson::SizeType i = 0; i < value.Size(); ++i) {
            if (i) out += ", ";
            out += render_json_value(value[i]);
        }
        return out + "]";
    }
    if (value.IsObject()) {
        std::string out = "{";
        bool first = true;
        for (auto it = value.MemberBegin(); it != value.MemberEnd(); ++it) {
            if (!first) out += ", ";
            first = false;
            out += text_of(it->name);
            out += '=';
            out += render_json_value(it->value);
        }
        return out + "}";
    }
    rapidjson::StringBuffer buffer;
    rapidjson::Writer<rapidjson::StringBuffer> w(buffer);
    value.Accept(w);
    return {buffer.GetString(), buffer.GetSize()};
}

status check_json_member(std::string_view path, const shape_member& member, const rapidjson::Value* value,
                         validation_report& report) {
    if (!value || value->IsNull()) {
        if (member.required) report.add_null(path);
        return ok_status();
    }
    return check_json_value(path, *member.type, *value, report);
}

status check_json_value(std::string_view path, const shape& type, const rapidjson::Value& value,
                        validation_report& report) {
    if (!has_type(type.kind, value)) {
        return error::serialization("Expected " + std::string(expected_type(type.kind)) + " at '" + std::string(path) +
                                    "', not " + json_type_name(value));
    }
    switch (type.kind) {
        case shape_kind::string:
        case shape_kind::enumeration:
            report.check(path, type, text_of(value));
            return ok_status();
        case shape_kind::blob: {
            const auto bytes = decode_base64(text_of(value));
            if (!bytes) return error::serialization("Expected base64 at '" + std::string(path) + "'");
            if (type.min_length && bytes->size() < *type.min_length) {
                report.add_rendered(path, "java.nio.HeapByteBuffer[pos=0 lim=" + std::to_string(bytes->size()) + "]",
                                    "Member must have length greater than or equal to " + std::to_string(*type.min_length));
            }
            if (type.max_length && bytes->size() > *type.max_length) {
                report.add_rendered(path, "java.nio.HeapByteBuffer[pos=0 lim=" + std::to_string(bytes->size()) + "]",
                                    "Member must have length less than or equal to " + std::to_string(*type.max_length));
            }
            return ok_status();
        }
        case shape_kind::boolean:
        case shape_kind::timestamp:
            return ok_status();
        case shape_kind::integer:
            for (const auto& v : violations(type, value.GetInt64())) report.add(path, std::to_string(value.GetInt64()), v);
            return ok_status();
        case shape_kind::list: {
            check_count(path, type, value, value.Size(), report);
            for (rapidjson::SizeType i = 0; i < value.Size(); ++i) {
                const std::string item_path = std::string(path) + "." + std::to_string(i + 1) + ".member";
                if (value[i].IsNull()) {
                    report.add_null(item_path);
                    continue;
                }
                if (auto s = check_json_value(item_path, *type.item, value[i], report); !s) return s;
            }
            return ok_status();
        }
        case shape_kind::map: {
            check_count(path, type, value, value.MemberCount(), report);
            std::string key_problems, value_problems;
            for (auto it = value.MemberBegin(); it != value.MemberEnd(); ++it) {
                if (!has_type(type.item->kind, it->value)) {
                    return error::serialization("Expected " + std::string(expected_type(type.item->kind)) + " at '" +
                                                std::string(path) + "." + std::string(text_of(it->name)) + "', not " +
                                                json_type_name(it->value));
                }
                add_to_set(key_problems, violations(*type.key, text_of(it->name)));
                if (type.item->kind == shape_kind::string || type.item->kind == shape_kind::enumeration) {
                    add_to_set(value_problems, violations(*type.item, text_of(it->value)));
                }
            }
            const auto rendered = display_value(render_json_value(value), 256);
            if (!key_problems.empty()) {
                report.add_rendered(path, rendered, "Map keys must satisfy constraint: [" + key_problems + "]");
            }
            if (!value_problems.empty()) {
                report.add_rendered(path, rendered, "Map value must satisfy constraint: [" + value_problems + "]");
            }
            return ok_status();
        }
        case shape_kind::structure: {
            std::size_t set = 0;
            for (const auto& m : type.members) {
                const auto it = value.FindMember(rapidjson::StringRef(m.name.data(), m.name.size()));
                const rapidjson::Value* v = it == value.MemberEnd() ? nullptr : &it->value;
                if (v && !v->IsNull()) ++set;
                if (auto s = check_json_member(std::string(path) + "." + std::string(m.name), m, v, report); !s) {
                    return s;
                }
            }
            if (type.is_union) {
                // Members the union does not know count too (Smithy's restJson1 malformed-request
                // tests): a known member beside an unknown one is two members set.
                std::size_t given = 0;
                for (auto it = value.MemberBegin(); it != value.MemberEnd(); ++it) given += it->value.IsNull() ? 0u : 1u;
                if (set != 1 || given != 1) {
                    return error::serialization("The union at '" + std::string(path) +
                                                "' must have exactly one member set, not " + std::to_string(given));
                }
            }
            return ok_status();
        }
    }
    return ok_status();
}

namespace {

void write_canonical(rapidjson::Writer<rapidjson::StringBuffer>& w, const shape& type, const rapidjson::Value& value) {
    switch (type.kind) {
        case shape_kind::structure:
            w.StartObject();
            for (const auto& m : type.members) {
                const auto it = value.FindMember(rapidjson::StringRef(m.name.data(), m.name.size()));
                if (it == value.MemberEnd() || it->value.IsNull()) continue;
                w.Key(m.name.data(), static_cast<rapidjson::SizeType>(m.name.size()));
                write_canonical(w, *m.type, it->value);
            }
            w.EndObject();
            return;
        case shape_kind::list:
            w.StartArray();
            for (const auto& item : value.GetArray()) write_canonical(w, *type.item, item);
            w.EndArray();
            return;
        case shape_kind::map: {
            std::vector<std::pair<std::string_view, const rapidjson::Value*>> entries;
            for (auto it = value.MemberBegin(); it != value.MemberEnd(); ++it) {
                if (!it->value.IsNull()) entries.emplace_back(text_of(it->name), &it->value);
            }
            std::sort(entries.begin(), entries.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
            w.StartObject();
            for (const auto& [k, v] : entries) {
                w.Key(k.data(), static_cast<rapidjson::SizeType>(k.size()));
                write_canonical(w, *type.item, *v);
            }
            w.EndObject();
            return;
        }
        case shape_kind::string:
        case shape_kind::enumeration:
        case shape_kind::blob:
        case shape_kind::integer:
        case shape_kind::boolean:
        case shape_kind::timestamp:
            value.Accept(w);
            return;
    }
}

}  // namespace

std::string canonical_json(const shape& type, const rapidjson::Value& value) {
    rapidjson::StringBuffer buffer;
    rapidjson::Writer<rapidjson::StringBuffer> w(buffer);
    write_canonical(w, type, value);
    return {buffer.GetString(), buffer.GetSize()};
}

}  // namespace hil::api
