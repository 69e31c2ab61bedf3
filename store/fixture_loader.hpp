// Fixture documents: JSON files that seed the store and the fault rules.
//
//   {"$schema": "...", "accountId": "...", "region": "...", "datastores": [...], "jobs": [...],
//    "importRules": [...], "faults": [...], "credentials": [...], "policies": [...]}
//   (every member optional; "$schema" is for editors and is not read). "accountId" and
//   "region" name the namespace the document seeds (default 123456789012 and us-east-1):
//   its datastores' unless they name their own, and its fault rules' when given.
//
// Every value is checked against the constraints AWS applies to the same member, and any
// member the format does not define is refused, so a typo fails loudly instead of being
// ignored. A failure is a ValidationException whose message names the source (file path,
// or what the caller called it), the place in it (a JSON pointer such as /jobs/3/jobStatus,
// or line and column for malformed JSON) and the reason.
// Thread safety: the functions are reentrant; apply_fixtures relies on the store's own locking.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "api/result.hpp"
#include "store/access_book.hpp"
#include "store/fault_rules.hpp"
#include "store/model.hpp"
#include "store/store.hpp"

namespace hil::store {

// The data of one document (datastores, jobs, import rules) and its fault rules, which the
// fault engine keeps apart from the store.
// An import a fixture asks to run before the server listens ("imports"), with where it was asked.
struct seeded_import {
    import_job job;     // datastore, input and output URIs, name and role; ids are assigned when it runs
    std::string place;  // "fixture <source>: /imports/<n>", for messages
};

struct fixture_document : dataset {
    std::string source;  // where it came from, for messages
    std::vector<seeded_import> imports;
    std::vector<fault_rule> faults;
    std::vector<credential> credentials;
    std::vector<access_policy> policies;
    std::uint64_t streamed_jobs = 0;  // jobs that went straight into the store (`jobs` then stays empty)
};

// What fixtures load into.
struct fixture_target {
    store& data;
    fault_rules& faults;
    access_book& access;
};

// Parses and validates one document. `source` names it in error messages; `now` is when
// job progressions start unless a job's "progress" says otherwise.
api::result<fixture_document> parse_fixture(std::string_view json, std::string_view source, api::epoch_millis now = 0);

// Fault rules as the control API takes them: one rule object, an array of them, or a
// document {"faults": [...]}. Errors as parse_fixture's.
api::result<std::vector<fault_rule>> parse_fault_rules(std::string_view json, std::string_view source);
// Credentials and access policies likewise: one object, an array, or {"credentials": [...]}
// / {"policies": [...]}.
api::result<std::vector<credential>> parse_credentials(std::string_view json, std::string_view source);
api::result<std::vector<access_policy>> parse_policies(std::string_view json, std::string_view source);

// Reads `path`: a JSON file, or a folder whose `*.json` files (not its subfolders, and not a
// `schema.json`: the fixtures' JSON Schema may sit beside them) are read in name order.
// Errors name the file.
inline constexpr std::string_view k_schema_file_name = "schema.json";
api::result<std::vector<fixture_document>> read_fixture_path(const std::string& path, api::epoch_millis now = 0);

// Loads documents into the store and the fault rules, all or nothing: duplicates across the
// documents (and, merging, with running fault ids) and jobs whose datastore is neither in
// them nor (merging) already stored are refused before anything is written, and the rows go
// in as one transaction. Credentials are added or replaced by access key id, policies appended
// (an id already taken is refused). `replace` first removes every datastore, job, import rule,
// fault rule, credential and policy.
// Takes the documents by value so their jobs move into the store's load instead of being copied.
api::status apply_fixtures(std::vector<fixture_document> documents, const fixture_target& into,
                           load_mode mode = load_mode::merge);

// Streaming loads: each file is read in chunks and each job goes into the store as it is read,
// so a fixture of a million jobs is never held whole, in text or as rows. The outcome, and
// every message, is that of read_fixture_path (or parse_fixture) followed by apply_fixtures:
// documents are streamed in order, then `check` (when given) sees them all (datastores,
// rules, imports...; no jobs, their number in streamed_jobs) and may refuse the load, then the
// cross-document checks run and the whole load commits, or none of it stays.
// The store's writer is held for the load's whole length (store::begin_load): other writes
// wait; reads see the state before the load until it commits.
using fixture_check = std::function<api::status(std::vector<fixture_document>&)>;
api::status load_fixture_paths(const std::vector<std::string>& paths, const fixture_target& into, load_mode mode,
                               api::epoch_millis now, const fixture_check& check = {});
// One document already in memory (a request body), streamed from there.
api::status load_fixture_text(std::string_view json, std::string_view source, const fixture_target& into, load_mode mode,
                              api::epoch_millis now, const fixture_check& check = {});
// One document in the file at `path` (a request body spooled to a file), read in chunks, with
// the messages of load_fixture_text(<the file's text>, source, ...): its places name `source`,
// not the file. A file that cannot be read is an InternalServerException (the server's fault).
api::status load_fixture_file(const std::string& path, std::string_view source, const fixture_target& into,
                              load_mode mode, api::epoch_millis now, const fixture_check& check = {});

// A fixture document holding exactly these rows and rules (with progress and fired counts),
// which apply_fixtures(..., replace) turns back into the same state.
std::string write_fixture(const dataset& data, const std::vector<fault_rule>& faults,
                          const std::vector<credential>& credentials = {}, const std::vector<access_policy>& policies = {});

// One rule as its fixture object (with "id" and "fired"), as the fault endpoints show it.
std::string write_fault_rule(const fault_rule& f);
std::string write_credential(const credential& c);
std::string write_policy(const access_policy& p);

}  // namespace hil::store
