// How an import job moves along its scripted progression (SUBMITTED -> IN_PROGRESS ->
// COMPLETED/FAILED), and the compact JSON the store keeps a progression in.
//
// Step i is reached once steps 0..i-1 are and its own condition holds: the job has been
// polled at least `after_polls` times in all, or `after_millis` have passed since
// progress.started_at. Poll-based steps are fully deterministic; time-based ones read the
// clock passed in.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/clock.hpp"
#include "store/model.hpp"

namespace hil::store {

// Applies every step due at `now`. Reaching COMPLETED or FAILED sets ended_at to the step's
// own endedAt, else the moment the step was reached (started_at + after_millis for a
// time step; `now` for a poll step). Returns whether anything changed.
bool advance(import_job& job, api::epoch_millis now);

// The answer to one GetDICOMImportJob of `job`: due steps are applied, the answer is taken,
// then the poll is counted (which may reach a poll step, seen by the next poll).
// Returns the job as answered; `job` ends in its new stored state.
import_job poll(import_job& job, api::epoch_millis now);

// The steps as stored: a JSON array in the fixture format ("afterSeconds" in seconds).
std::string progression_to_json(const std::vector<progression_step>& steps);
// REQUIRES: text came from progression_to_json. Nothing on corrupt text.
std::optional<std::vector<progression_step>> progression_from_json(std::string_view text);

}  // namespace hil::store
