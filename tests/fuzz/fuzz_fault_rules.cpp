// Fuzzes parse_fault_rules, the control API's fault rule reader, on any bytes. A refusal must
// be a ValidationException naming the source with a bounded message; accepted rules must go
// into a fault_rules set (or be refused there as a ValidationException for a taken id), and
// what the set then shows must parse back to the same rules, member by member.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

#include "api/api_error.hpp"
#include "fuzz_world.hpp"
#include "store/fixture_loader.hpp"

namespace {

// Member by member, so a member the writer drops is caught (comparing written forms is not).
bool same_rule(const hil::store::fault_rule& a, const hil::store::fault_rule& b) {
    return a.id == b.id && a.operation == b.operation && a.labels == b.labels &&
           a.access_key_id == b.access_key_id && a.account_id == b.account_id && a.region == b.region && a.error == b.error && a.message == b.message &&
           a.retry_after == b.retry_after && a.delay_millis == b.delay_millis && a.drop_connection == b.drop_connection &&
           a.times == b.times && a.after == b.after && a.probability == b.probability && a.seed == b.seed &&
           a.fired == b.fired;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace hil;
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    auto parsed = store::parse_fault_rules(input, "fuzz.json");
    if (!parsed) {
        fuzz::require(parsed.err().code() == api::error_code::validation, "bad rules are not a ValidationException");
        fuzz::require(parsed.err().message().find("fuzz.json") != std::string::npos, "the error does not name the source");
        fuzz::require(parsed.err().message().size() <= 4096, "the error message grows with the input");
        return 0;
    }
    const auto count = parsed.value().size();
    store::fault_rules rules;
    const auto added = rules.add(std::move(parsed).value());
    if (!added) {
        fuzz::require(added.err().code() == api::error_code::validation, "adding parsed rules failed internally");
        fuzz::require(rules.size() == 0, "a refused add left rules behind");
        return 0;
    }
    fuzz::require(added.value().size() == count && rules.size() == count, "not every parsed rule was added");

    // What GET /_emulator/faults shows is a document POST /_emulator/faults takes back.
    std::string shown = "[";
    for (const auto& r : rules.list()) {
        if (shown.size() > 1) shown += ',';
        shown += store::write_fault_rule(r);
    }
    shown += ']';
    auto again = store::parse_fault_rules(shown, "written");
    if (!again) std::fprintf(stderr, "written: %s\nerror: %s\n", shown.c_str(), again.err().message().c_str());
    fuzz::require(static_cast<bool>(again), "written rules do not parse back");
    fuzz::require(again.value().size() == count, "written rules parse back to another count");
    const auto listed = rules.list();
    for (std::size_t i = 0; i < count; ++i) {
        if (!same_rule(again.value()[i], listed[i])) {
            std::fprintf(stderr, "written: %s\n", store::write_fault_rule(listed[i]).c_str());
            fuzz::require(false, "a rule does not survive writing and reading");
        }
    }
    return 0;
}
