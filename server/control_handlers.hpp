// The emulator's own endpoints, all under the reserved prefix /_emulator/ (no AWS
// operation uses it). Answers use the same JSON error envelope as the API.
#pragma once

#include <string_view>

#include "server/router.hpp"
#include "store/fault_rules.hpp"
#include "store/store.hpp"

namespace hil::server {

inline constexpr std::string_view k_control_prefix = "/_emulator/";
inline constexpr std::string_view k_health_path = "/_emulator/health";

// GET /_emulator/health: 200 {"status":"ready","version":...,"datastores":N,"jobs":N,"faults":N}.
// The server only accepts connections once the start-up fixtures are in, so an answer
// means seeded and ready. REQUIRES: `data` and `faults` outlive `r`.
void add_control_routes(router& r, store::store& data, store::fault_rules& faults);

}  // namespace hil::server
