// pattern: a string pattern as the service model documents it (Smithy/Java regex dialect),
// compiled once; matches() is a full match over the value's UTF-8 bytes.
// Thread safety: immutable after construction; matches() is safe from any thread.
#pragma once

#include <memory>
#include <string>
#include <string_view>

namespace hil::api {

class pattern {
public:
    // Throws std::invalid_argument naming the pattern when it uses a construct the
    // translation does not know, or Boost cannot compile the result.
    explicit pattern(std::string_view documented);
    ~pattern();
    // A moved-from pattern may only be destroyed or assigned to.
    pattern(pattern&&) noexcept;
    pattern& operator=(pattern&&) noexcept;

    // A value that is not well-formed UTF-8 matches no pattern (see pattern.cpp).
    bool matches(std::string_view value) const;
    std::string_view documented() const noexcept;   // the text as given
    const std::string& translated() const noexcept;  // what Boost compiled

private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

}  // namespace hil::api
