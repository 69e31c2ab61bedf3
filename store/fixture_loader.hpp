// Fixture documents: JSON files that seed the store and the fault rules.
//
//   {"$schema": "...", "datastores": [...], "jobs": [...], "importRules": [...], "faults": [...]}
//   (every member optional; "$schema" is for editors and is not read)
//
// Every value is checked against the constraints AWS applies to the same member, and any
// member the format does not define is refused, so a typo fails loudly instead of being
// ignored. A failure is a ValidationException whose message names the source (file path,
// or what the caller called it), the place in it (a JSON pointer such as /jobs/3/jobStatus,
// or line and column for malformed JSON) and the reason.
// Thread safety: the functions are reentrant; apply_fixtures relies on the store's own locking.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "api/result.hpp"
#include "store/fault_rules.hpp"
#include "store/model.hpp"
#include "store/store.hpp"

namespace hil::store {

// The data of one document (datastores, jobs, import rules) and its fault rules, which the
// fault engine keeps apart from the store.
struct fixture_document : dataset {
    std::string source;  // where it came from, for messages
    std::vector<fault_rule> faults;
};

// Parses and validates one document. `source` names it in error messages; `now` is when
// job progressions start unless a job's "progress" says otherwise.
api::result<fixture_document> parse_fixture(std::string_view json, std::string_view source, api::epoch_millis now = 0);

// Fault rules as the control API takes them: one rule object, an array of them, or a
// document {"faults": [...]}. Errors as parse_fixture's.
api::result<std::vector<fault_rule>> parse_fault_rules(std::string_view json, std::string_view source);

// Reads `path`: a JSON file, or a folder whose `*.json` files (not its subfolders) are read
// in name order. Errors name the file.
api::result<std::vector<fixture_document>> read_fixture_path(const std::string& path, api::epoch_millis now = 0);

// Loads documents into the store and the fault rules, all or nothing: duplicates across the
// documents (and, merging, with running fault ids) and jobs whose datastore is neither in
// them nor (merging) already stored are refused before anything is written, and the rows go
// in as one transaction. `replace` first removes every datastore, job and fault rule.
// Takes the documents by value so their jobs move into the store's load instead of being copied.
api::status apply_fixtures(std::vector<fixture_document> documents, store& into, fault_rules& faults,
                           load_mode mode = load_mode::merge);

// A fixture document holding exactly these rows and rules (with progress and fired counts),
// which apply_fixtures(..., replace) turns back into the same state.
std::string write_fixture(const dataset& data, const std::vector<fault_rule>& faults);

// One rule as its fixture object (with "id" and "fired"), as the fault endpoints show it.
std::string write_fault_rule(const fault_rule& f);

}  // namespace hil::store
