// The emulator's data: what the store holds and the fixture files describe, in the API's
// own terms. Plain values; validation happens where they are read in (fixture_loader).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "api/api_error.hpp"
#include "api/clock.hpp"

namespace hil::store {

struct datastore {
    std::string datastore_id;
    std::string datastore_name;
    std::string datastore_status;
};

struct import_job {
    std::string job_id;
    std::string datastore_id;
    std::string job_name;
    std::string job_status;
    std::string data_access_role_arn;
    std::string input_s3_uri;
    std::string output_s3_uri;
    std::optional<api::epoch_millis> submitted_at;
    std::optional<api::epoch_millis> ended_at;
    std::optional<std::string> message;
};

// A scripted error answer. Absent match members match anything.
struct fault_rule {
    std::optional<std::string> operation;
    std::optional<std::string> datastore_id;
    std::optional<std::string> job_id;
    api::error_code error = api::error_code::internal_server;
    std::string message;                 // empty: the error table's default message
    std::optional<std::uint64_t> times;  // fire for the next N matches only; absent: always
};

}  // namespace hil::store
