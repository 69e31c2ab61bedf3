// How a resource moves along its scripted progression: an import job SUBMITTED ->
// IN_PROGRESS -> COMPLETED/FAILED, a datastore CREATING -> ACTIVE or DELETING -> DELETED.
// One mechanism for both: a list of steps and the resource's progress along it.
//
// Step i is reached once steps 0..i-1 are and its own condition holds: the resource has
// been polled `after_polls` times in all (the step then dates from the moment that poll was
// answered, and the next poll is the first to see it), or `after_millis` have passed since
// progress.started_at (whoever looks). A poll step is applied by the poll that sees it, so
// every other reader sees what the last poll answered, plus the time steps due since.
// Poll-based steps are fully deterministic; time-based ones read the clock passed in.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/clock.hpp"
#include "api/result.hpp"
#include "api/shapes.hpp"
#include "store/model.hpp"

namespace hil::store {

// Applies the time steps due at `now`, up to the first poll step not reached yet: what a
// read that is not a poll (a list, a state export) sees. For a job, reaching COMPLETED or
// FAILED sets ended_at to the step's own endedAt, else the moment the step was reached
// (started_at + after_millis for a time step; for a poll step the moment the poll that made
// the count was answered, or the first poll's own for afterPolls 0). For a datastore, each
// step reached sets updated_at to that moment. Returns whether anything changed.
bool advance(import_job& job, api::epoch_millis now);
bool advance(datastore& d, api::epoch_millis now);

// Whether the steps reached stay as they are whatever the clock says until the resource is
// polled (which writes): every step is reached, or the next one waits for polls.
bool settled(const std::vector<progression_step>& steps, const progress_state& p);

// Whether every step is reached: nothing about the resource changes until it is written.
bool finished(const std::vector<progression_step>& steps, const progress_state& p);

// Whether a step not reached yet waits for polls, so that a poll now must be counted (written).
// A poll of anything else answers what advance() gives, and changes nothing later answers say.
bool awaits_polls(const std::vector<progression_step>& steps, const progress_state& p);

// The answer to one Get of the resource: every step due at this poll is applied (time steps,
// and poll steps whose count the earlier polls reached), then the poll is counted and its time
// kept. Returns the resource as answered, which is also its new stored state.
import_job poll(import_job& job, api::epoch_millis now);
datastore poll(datastore& d, api::epoch_millis now);

// Starts `steps` on a resource now: no polls yet, nothing reached, the clock at `now`.
progress_state fresh_progress(api::epoch_millis now);

// The steps as stored and as fixtures write them: a JSON array whose status member is called
// `status_member` ("jobStatus" or "datastoreStatus"; "afterSeconds" in seconds).
std::string progression_to_json(const std::vector<progression_step>& steps, std::string_view status_member);
// Error: InternalServerException when `text` is not what progression_to_json writes (a
// corrupt row is a server fault, never silently a job without a progression).
api::result<std::vector<progression_step>> progression_from_json(std::string_view text, std::string_view status_member);

// A progression as flags write it: "IN_PROGRESS@0,COMPLETED@1" (a step after N polls in all)
// or "ACTIVE@2s" / "ACTIVE@500ms" (after that long), each status one of `status_shape`'s.
// Error: a message saying which step is wrong and why.
api::result<std::vector<progression_step>> parse_progression_spec(std::string_view spec, const api::shape& status_shape);

}  // namespace hil::store
