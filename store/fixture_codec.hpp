// The fixture format of each entity, its reader and its writer side by side, so that what
// GET /_emulator/state writes is visibly what a fixture file may say: read_X checks every
// member against the API's own shapes and refuses unknown ones (store/json_reader.hpp),
// write_X writes every member that is set. A new kind of resource adds one pair here.
// Used by fixture_loader.cpp only. Thread safety: stateless.
#pragma once

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "api/clock.hpp"
#include "store/json_reader.hpp"
#include "store/model.hpp"

namespace hil::store::fixture_codec {

using fixture_json::json;
using fixture_json::place;
using json_writer = rapidjson::Writer<rapidjson::StringBuffer>;

// `now` is when the document is loaded: the default of createdAt and of progressions' start.
// A region member: a region name, or (where `every_region_allowed`) "*", read as "" (every region).
std::optional<std::string> read_region(const fixture_json::object_reader& r, std::string_view member, bool every_region_allowed);

// `defaults` is the document's namespace: the datastore's account and region unless it names its own.
datastore read_datastore(const json& v, const place& pointer, api::epoch_millis now, const scope& defaults);
void write_datastore(json_writer& w, const datastore& d);

import_job read_job(const json& v, const place& pointer, api::epoch_millis now);
void write_job(json_writer& w, const import_job& j);

import_rule read_import_rule(const json& v, const place& pointer);
// An "imports" item: {"datastoreId", "inputS3Uri", "outputS3Uri", "jobName"?, "dataAccessRoleArn"?}.
import_job read_seeded_import(const json& v, const place& pointer, std::string_view account_id);
void write_import_rule(json_writer& w, const import_rule& r);

fault_rule read_fault(const json& v, const place& pointer);
void write_fault(json_writer& w, const fault_rule& f);

credential read_credential(const json& v, const place& pointer);
void write_credential(json_writer& w, const credential& c);

access_policy read_policy(const json& v, const place& pointer);
void write_policy(json_writer& w, const access_policy& p);

}  // namespace hil::store::fixture_codec
