#include "server/request_input.hpp"

#include <rapidjson/error/en.h>

#include <charconv>

#include "api/json_validation.hpp"
#include "server/uri_path.hpp"

namespace hil::server {
namespace {

// The operation's query parameters in order, values decoded ('+' is a space), named by the
// description's own storage; parameters the operation does not define are left out.
std::vector<std::pair<std::string_view, std::string>> query_parameters(std::string_view target,
                                                                       const api::operation& op) {
    std::vector<std::pair<std::string_view, std::string>> out;
    for_each_query_param(target, [&](const std::string& name, std::string_view raw) {
        for (const auto& m : op.input) {
            if (m.where == api::location::query && m.on_wire() == name) {
                out.emplace_back(m.on_wire(), form_decode(raw));
                break;
            }
        }
        return true;
    });
    return out;
}

api::status check_query_member(const api::input_member& m, const call& c, api::validation_report& report) {
    const auto values = c.query_list(m.name);
    if (values.empty()) {
        if (m.required) report.add_null(m.name);
        return api::ok_status();
    }
    switch (m.type->kind) {
        case api::shape_kind::list: {
            if (m.type->max_length && values.size() > *m.type->max_length) {
                std::string rendered = "[";
                for (std::size_t i = 0; i < values.size(); ++i) rendered += (i ? ", " : "") + std::string(values[i]);
                report.add(m.name, rendered + "]",
                           "Member must have length less than or equal to " + std::to_string(*m.type->max_length));
            }
            for (std::size_t i = 0; i < values.size(); ++i) {
                report.check(std::string(m.name) + "." + std::to_string(i + 1) + ".member", *m.type->item, values[i]);
            }
            return api::ok_status();
        }
        case api::shape_kind::integer: {
            std::int64_t v = 0;
            const auto text = values.front();
            const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
            if (text.empty() || ec != std::errc() || end != text.data() + text.size()) {
                return api::error::serialization("Value '" + api::display_value(text) + "' at '" + std::string(m.name) +
                                                 "' is not an integer");
            }
            for (const auto& violation : api::violations(*m.type, v)) report.add(m.name, text, violation);
            return api::ok_status();
        }
        case api::shape_kind::string:
        case api::shape_kind::enumeration:
            report.check(m.name, *m.type, values.front());
            return api::ok_status();
        case api::shape_kind::boolean: {
            const auto text = values.front();
            if (text != "true" && text != "false") {
                return api::error::serialization("Value '" + api::display_value(text) + "' at '" + std::string(m.name) +
                                                 "' is not a boolean");
            }
            return api::ok_status();
        }
        case api::shape_kind::timestamp:
        case api::shape_kind::blob:
        case api::shape_kind::map:
        case api::shape_kind::structure:
            break;
    }
    return api::error::internal("query member " + std::string(m.name) + " has a shape the pipeline cannot read");
}

api::status parse_body(const request& req, call& c) {
    const auto& text = req.body();
    const bool blank = text.find_first_not_of(" \t\r\n") == std::string::npos;
    if (blank) {
        c.body_json.SetObject();
        c.body_blank = true;
        return api::ok_status();
    }
    c.body_json.Parse<rapidjson::kParseValidateEncodingFlag>(text.data(), text.size());
    if (c.body_json.HasParseError()) {
        return api::error::serialization(std::string("The request body is not valid JSON: ") +
                                         rapidjson::GetParseError_En(c.body_json.GetParseError()) + " (at byte " +
                                         std::to_string(c.body_json.GetErrorOffset()) + ")");
    }
    if (!c.body_json.IsObject()) return api::error::serialization("The request body must be a JSON object");
    if (const auto at = api::find_lone_surrogate(c.body_json)) {
        return api::error::serialization("The request body is not valid JSON: the string at '" + (at->empty() ? "/" : *at) +
                                         "' holds a lone UTF-16 surrogate");
    }
    return api::ok_status();
}

}  // namespace

api::status read_call_input(const request& req, call& c) {
    const auto& op = c.op;
    c.query_values = query_parameters(req.target(), op);
    const bool has_body_members = std::any_of(op.input.begin(), op.input.end(), [](const api::input_member& m) {
        return m.where == api::location::body || m.where == api::location::payload;
    });
    if (has_body_members) {
        if (auto s = parse_body(req, c); !s) return s;
    }
    api::validation_report report;
    for (const auto& m : op.input) {
        switch (m.where) {
            case api::location::label:
                report.check(m.name, *m.type, c.label(m.name));
                break;
            case api::location::query:
                if (auto s = check_query_member(m, c, report); !s) return s;
                break;
            case api::location::header: {
                const auto value = req[m.on_wire()];
                if (value.empty()) {
                    if (m.required) report.add_null(m.name);
                } else {
                    report.check(m.name, *m.type, value);
                }
                break;
            }
            case api::location::body: {
                const api::shape_member as_member{m.name, m.type, m.required};
                if (auto s = api::check_json_member(m.name, as_member, c.body_member(m.name), report); !s) return s;
                break;
            }
            case api::location::payload: {
                const api::shape_member as_member{m.name, m.type, m.required};
                if (auto s = api::check_json_member(m.name, as_member, c.payload(), report); !s) return s;
                break;
            }
        }
    }
    if (!report.empty()) return api::error::validation(report.message());
    return api::ok_status();
}

}  // namespace hil::server
