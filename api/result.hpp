// result<T>: a value or an api::error. Read value() only after checking ok().
#pragma once

#include <cassert>
#include <utility>
#include <variant>

#include "api/api_error.hpp"

namespace hil::api {

template <class T>
class [[nodiscard]] result {
public:
    using value_type = T;

    result(T value) : state_(std::in_place_index<0>, std::move(value)) {}
    result(error err) : state_(std::in_place_index<1>, std::move(err)) {}

    bool ok() const noexcept { return state_.index() == 0; }
    explicit operator bool() const noexcept { return ok(); }

    // REQUIRES: ok()
    T& value() & { assert(ok()); return std::get<0>(state_); }
    const T& value() const& { assert(ok()); return std::get<0>(state_); }
    // By value: a reference into a temporary result would dangle after the full expression.
    T value() && { assert(ok()); return std::get<0>(std::move(state_)); }
    // REQUIRES: !ok()
    const error& err() const { assert(!ok()); return std::get<1>(state_); }

private:
    std::variant<T, error> state_;
};

// For operations that produce nothing but may fail.
struct done {};
using status = result<done>;
inline status ok_status() { return done{}; }

}  // namespace hil::api
