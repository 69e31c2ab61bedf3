// Fixture documents: JSON files that seed the store and the fault rules.
//
//   {"datastores": [...], "jobs": [...], "faults": [...]}   (every member optional)
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

struct fixture_document {
    std::string source;  // where it came from, for messages
    std::vector<datastore> datastores;
    std::vector<import_job> jobs;
    std::vector<fault_rule> faults;
};

// Parses and validates one document. `source` names it in error messages.
api::result<fixture_document> parse_fixture(std::string_view json, std::string_view source);

// Reads `path`: a JSON file, or a folder whose `*.json` files (not its subfolders) are read
// in name order. Errors name the file.
api::result<std::vector<fixture_document>> read_fixture_path(const std::string& path);

// Loads documents into the store and the fault rules, all or nothing: duplicates across the
// documents and jobs whose datastore is neither in them nor already stored are refused
// before anything is written, and the rows go in as one transaction.
api::status apply_fixtures(const std::vector<fixture_document>& documents, store& into, fault_rules& faults);

}  // namespace hil::store
