// The emulator's own API, all under the reserved prefix /_emulator/ (no AWS operation uses
// it). JSON in and out; errors use the API's envelope (status, x-amzn-ErrorType, message).
//
//   GET    /_emulator/health          200 {"status":"ready","version","datastores","jobs","importRules","faults",
//                                     ...,"adminTokenRequired"}
//   POST   /_emulator/reset           back to the start-up state: data, progressions, fault
//                                     rules, journal and throttle buckets
//   POST   /_emulator/fixtures        load a fixture document; ?mode=merge (default) or replace
//   GET    /_emulator/state           the current state as a fixture document
//   GET    /_emulator/faults          the fault rules with their counts
//   POST   /_emulator/faults          add rules: one rule object, an array, or {"faults":[...]}
//   DELETE /_emulator/faults          remove every rule
//   DELETE /_emulator/faults/{id}     remove one rule
//   GET    /_emulator/requests        the request journal (?operation ?status ?since, and any label:
//                                     ?datastoreId ?jobId ?resourceArn)
//   DELETE /_emulator/requests        empty the journal
#pragma once

#include <string_view>
#include <vector>

#include "api/clock.hpp"
#include "server/request_journal.hpp"
#include "server/router.hpp"
#include "server/throttle.hpp"
#include "store/fault_rules.hpp"
#include "store/store.hpp"

namespace hil::server {

inline constexpr std::string_view k_health_path = "/_emulator/health";

// Everything the control API reads and changes.
struct control_plane {
    store::store& data;
    store::fault_rules& faults;
    store::access_book& access;
    request_journal& journal;
    throttle& limiter;
    const api::clock& clock;
    // What reset restores:
    std::vector<store::fault_rule> startup_faults;
    std::vector<store::credential> startup_credentials;
    std::vector<store::access_policy> startup_policies;
    // Health says so, for the dashboard to ask for the token before its first call.
    bool admin_token_required = false;
};

// Adds the health route always, and the rest unless `health_only` (--no-admin).
// REQUIRES: `plane` outlives `r`.
void add_control_routes(router& r, control_plane& plane, bool health_only);

}  // namespace hil::server
