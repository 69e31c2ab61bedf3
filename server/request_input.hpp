// The input stage of the request pipeline: every input member of an operation read from
// where its description says it travels, and validated against its shape as AWS does.
//   labels  already decoded by the router; checked as strings
//   query   percent-decoded, '+' a space; repeated for a list; integers parsed
//   body    JSON (an empty body is {}); unknown members ignored, null is absent
// Violations of every member are listed in one ValidationException, in the model's member
// order. A body that is not a JSON object, or a member of the wrong JSON type (a number for
// a string, "5" for an integer), is a SerializationException.
// Thread safety: stateless; safe from any thread.
#pragma once

#include "api/operations.hpp"
#include "api/result.hpp"
#include "server/http_message.hpp"
#include "server/net.hpp"
#include "server/router.hpp"

namespace hil::server {

// Fills c.query_values and c.body_json from `req` and validates every member of c.op.input.
api::status read_call_input(const request& req, call& c);

}  // namespace hil::server
