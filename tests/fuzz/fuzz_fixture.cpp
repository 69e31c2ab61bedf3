// Fuzzes the fixture loader: parse_fixture on any bytes, then apply_fixtures of what it
// accepted into a fresh in-memory store. A refusal must be a ValidationException naming the
// source; an accepted document must load, and every job in it must then be found.
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "api/api_error.hpp"
#include "fuzz_world.hpp"
#include "store/fixture_loader.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace hil;
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    auto parsed = store::parse_fixture(input, "fuzz.json");
    if (!parsed) {
        fuzz::require(parsed.err().code() == api::error_code::validation, "a bad fixture is not a ValidationException");
        fuzz::require(parsed.err().message().find("fuzz.json") != std::string::npos, "the error does not name the source");
        fuzz::require(parsed.err().message().size() <= 4096, "the error message grows with the input");
        return 0;
    }
    auto opened = store::store::open("");
    fuzz::require(static_cast<bool>(opened), "cannot open an in-memory store");
    auto& data_store = *opened.value();
    store::fault_rules faults;
    store::access_book access;
    std::vector<store::fixture_document> docs;
    docs.push_back(std::move(parsed).value());
    const auto applied = store::apply_fixtures(docs, {data_store, faults, access});
    if (!applied) {
        // The only refusal left after parsing is a cross-reference one (a job's datastore
        // is missing, a duplicate), which is the caller's fault, never an internal error.
        fuzz::require(applied.err().code() == api::error_code::validation, "apply_fixtures failed internally");
        const auto counts = data_store.counts();
        fuzz::require(counts && counts.value().jobs == 0 && counts.value().datastores == 0,
                      "a refused document left rows behind");
        return 0;
    }
    for (const auto& j : docs.front().jobs) {
        // Each job is looked up in its datastore's account and region.
        store::scope who;
        for (const auto& d : docs.front().datastores) {
            if (d.datastore_id != j.datastore_id) continue;
            who.account_id = d.account_id;
            if (!d.region.empty()) who.region = d.region;
        }
        const auto found = data_store.find_import_job(who, j.datastore_id, j.job_id);
        fuzz::require(static_cast<bool>(found), "a loaded job is not found");
    }
    return 0;
}
