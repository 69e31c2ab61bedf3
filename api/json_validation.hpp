// Checking a JSON input value against its shape, as a restJson1 service does: members the
// shape does not name are ignored, a null member counts as absent, a value of the wrong JSON
// type is a SerializationException, and every violated constraint is collected into one
// validation_report with Coral's paths ('tags', 'importConfiguration.x.dicomMetadataMappings.1.member.studyInstanceUID')
// and renderings ('[a, b]' for a list, '{k=v}' for a map).
// Thread safety: stateless; safe from any thread.
#pragma once

#include <rapidjson/document.h>

#include <optional>
#include <string>
#include <string_view>

#include "api/result.hpp"
#include "api/shapes.hpp"

namespace hil::api {

// Checks `value` (present, not null) at `path` against `type`. Constraint violations go to
// `report`; a type mismatch is returned as SerializationException and stops the check.
status check_json_value(std::string_view path, const shape& type, const rapidjson::Value& value,
                        validation_report& report);

// Checks one member of a structure: absent or null and required is "must not be null".
status check_json_member(std::string_view path, const shape_member& member, const rapidjson::Value* value,
                         validation_report& report);

// `value` as the service keeps it: only the members `type` models, in the model's order, no
// nulls, map keys sorted. Two requests that mean the same thing have the same canonical text.
// REQUIRES: check_json_value accepted `value` for `type`.
std::string canonical_json(const shape& type, const rapidjson::Value& value);

// The JSON pointer of the first string (member name or value) in `value` that holds a lone
// UTF-16 surrogate, or nothing. RapidJSON's encoding check passes "\udc00" and writes it as
// the bytes ED B0 80, which are not UTF-8: such a string could be stored but never sent back
// as valid JSON, so readers refuse it.
std::optional<std::string> find_lone_surrogate(const rapidjson::Value& value);

// The bytes of a base64 text (RFC 4648, padded or not, as a blob travels in JSON), or
// nothing when it is not base64.
std::optional<std::string> decode_base64(std::string_view text);
std::string encode_base64(std::string_view bytes);

// "a string", "a number", "an object", ...: a JSON value's type, for messages.
const char* json_type_name(const rapidjson::Value& value);

// How Coral quotes a value in a message: strings as they are, lists as [a, b], maps as {k=v}.
std::string render_json_value(const rapidjson::Value& value);

}  // namespace hil::api
