// The seam for wall-clock time: production code asks a clock, tests pass a manual one.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

namespace hil::api {

// Milliseconds since the Unix epoch, the precision the API's timestamps carry.
using epoch_millis = std::int64_t;

// Thread safety: implementations must be safe to call from any thread.
class clock {
public:
    virtual ~clock() = default;
    virtual epoch_millis now() const = 0;
};

class system_clock final : public clock {
public:
    epoch_millis now() const override {
        using namespace std::chrono;
        return duration_cast<milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
    }
};

// A clock that moves only when told to.
class manual_clock final : public clock {
public:
    explicit manual_clock(epoch_millis start) : now_(start) {}
    epoch_millis now() const override { return now_.load(); }
    void set(epoch_millis t) { now_.store(t); }
    void advance(epoch_millis by) { now_.fetch_add(by); }

private:
    std::atomic<epoch_millis> now_;
};

}  // namespace hil::api
