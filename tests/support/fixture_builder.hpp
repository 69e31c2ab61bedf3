// Fixture documents built in tests: a datastore, a job, a whole document, as JSON text.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace hil::test {

// An ACTIVE datastore.
std::string datastore_json(std::string_view id, std::string_view name = "scenario");
// A COMPLETED job unless `extra` (raw members, e.g. R"("progression":[...])") says more;
// `status` is its jobStatus.
std::string job_json(std::string_view datastore_id, std::string_view job_id, std::string_view status = "COMPLETED",
                     std::string_view extra = {});
std::string document(const std::vector<std::string>& datastores, const std::vector<std::string>& jobs,
                     const std::vector<std::string>& faults = {});

}  // namespace hil::test
