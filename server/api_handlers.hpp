// Handlers of the AWS operations, one per operation. Each maps a parsed, validated call to
// a reply or an API error using the store; none touches a socket or reads raw HTTP.
// Adding an operation: its description in api/operations.cpp, a handler here, a store verb,
// and a test file in tests/server/.
#pragma once

#include "server/answer_cache.hpp"
#include "server/dicom_importer.hpp"
#include "server/page_token.hpp"
#include "server/request_ids.hpp"
#include "server/router.hpp"
#include "store/store.hpp"

namespace hil::server {

// What the handlers share. REQUIRES: everything outlives the router the routes are added to.
struct api_context {
    store::store& data;
    const store::lifecycle_policy& lifecycle;
    const page_tokens& tokens;
    resource_ids& ids;
    dicom_importer* importer = nullptr;  // --s3-dir: imports read real files; absent: scripted progressions
    answer_cache* answers = nullptr;     // rendered answers of hot reads; absent: every read renders
};

// Adds the route of every AWS operation the emulator serves to `r`.
void add_api_routes(router& r, api_context& ctx);

}  // namespace hil::server
