// Handlers of the AWS operations. Each maps (matched route, request) to a reply or an API
// error using the store; none touches a socket. Labels arrive already validated.
#pragma once

#include "api/clock.hpp"
#include "server/router.hpp"
#include "store/store.hpp"

namespace hil::server {

// Adds the routes of every AWS operation the emulator serves to `r`.
// REQUIRES: `data` and `clock` outlive `r`.
void add_api_routes(router& r, store::store& data, const api::clock& clock);

}  // namespace hil::server
