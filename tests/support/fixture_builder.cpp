#include "tests/support/fixture_builder.hpp"

namespace hil::test {

std::string datastore_json(std::string_view id, std::string_view name) {
    return R"({"datastoreId":")" + std::string(id) + R"(","datastoreName":")" + std::string(name) +
           R"(","datastoreStatus":"ACTIVE"})";
}

std::string job_json(std::string_view datastore_id, std::string_view job_id, std::string_view status,
                     std::string_view extra) {
    std::string j = R"({"jobId":")" + std::string(job_id) + R"(","datastoreId":")" + std::string(datastore_id) +
                    R"(","jobName":"scenario-job","jobStatus":")" + std::string(status) +
                    R"(","dataAccessRoleArn":"arn:aws:iam::123456789012:role/ImportRole",)"
                    R"("inputS3Uri":"s3://in-bucket/","outputS3Uri":"s3://out-bucket/","submittedAt":1764403200.5)";
    if (!extra.empty()) j += "," + std::string(extra);
    return j + "}";
}

namespace {
std::string join(const std::vector<std::string>& items) {
    std::string out;
    for (const auto& i : items) out += (out.empty() ? "" : ",") + i;
    return out;
}
}  // namespace

std::string document(const std::vector<std::string>& datastores, const std::vector<std::string>& jobs,
                     const std::vector<std::string>& faults) {
    return R"({"datastores":[)" + join(datastores) + R"(],"jobs":[)" + join(jobs) + R"(],"faults":[)" + join(faults) + "]}";
}

}  // namespace hil::test
