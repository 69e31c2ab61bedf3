// The seam for x-amzn-RequestId values: unique per answer, UUID-shaped as AWS's are.
// Thread safety: implementations must be safe to call from any thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <random>
#include <string>

namespace hil::server {

class request_id_source {
public:
    virtual ~request_id_source() = default;
    virtual std::string next() = 0;
};

// Version-4-shaped UUIDs: a random per-process prefix and a counter, so ids never repeat
// within a run and differ between runs, without a lock or an RNG call per request.
class uuid_request_ids final : public request_id_source {
public:
    uuid_request_ids();
    explicit uuid_request_ids(std::uint64_t seed) : prefix_(seed) {}
    std::string next() override;

private:
    const std::uint64_t prefix_;
    std::atomic<std::uint64_t> counter_{0};
};


// The ids of resources the API creates (datastores, import jobs): 32 lower-case hex digits,
// as AWS's look, drawn from a generator seeded once per process (or by the caller, so a test
// can repeat them).
// Thread safety: safe from any thread.
class resource_ids {
public:
    resource_ids();
    explicit resource_ids(std::uint64_t seed) : draws_(seed) {}
    std::string next();

private:
    std::mutex mutex_;  // guards draws_
    std::mt19937_64 draws_;
};

}  // namespace hil::server
