// scratch_dir: a private directory for files nobody else should see (the in-memory store's
// database, the baseline copy), removed with everything in it when the object goes.
// Made under a given parent, else $TMPDIR, else /tmp. Error: InternalServerException naming
// the place and cause.
// Thread safety: as a value; two objects never share a directory.
#pragma once

#include <string>
#include <string_view>

#include "api/result.hpp"

namespace hil::store {

class scratch_dir {
public:
    // A new directory named `<prefix>-XXXXXX` (mode 0700) in `parent` (empty: $TMPDIR, else /tmp).
    static api::result<scratch_dir> make(std::string_view prefix, std::string_view parent = {});

    scratch_dir(scratch_dir&& other) noexcept;
    scratch_dir& operator=(scratch_dir&&) = delete;
    scratch_dir(const scratch_dir&) = delete;
    scratch_dir& operator=(const scratch_dir&) = delete;
    ~scratch_dir();

    // The path of `name` inside the directory.
    std::string file(std::string_view name) const { return path_ + "/" + std::string(name); }

private:
    explicit scratch_dir(std::string path) : path_(std::move(path)) {}
    std::string path_;  // empty once moved from
};

}  // namespace hil::store
