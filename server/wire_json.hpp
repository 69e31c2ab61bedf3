// The JSON the emulator writes: each wire shape built from the model in one function.
#pragma once

#include <string>

#include "api/api_error.hpp"
#include "api/clock.hpp"
#include "store/model.hpp"

namespace hil::server {

// {"jobProperties": {...}}: required members always, optional ones only when present.
std::string get_dicom_import_job_body(const store::import_job& job);

// {"message": "..."}: the body of every error answer.
std::string error_body(const api::error& err);

// Epoch seconds as restJson1 writes a timestamp: a JSON number, with the millisecond
// fraction only when there is one ("1700000000", "1700000321.5", "1700000000.123").
std::string epoch_seconds_text(api::epoch_millis t);

}  // namespace hil::server
