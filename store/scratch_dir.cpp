#include "store/scratch_dir.hpp"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <vector>

namespace hil::store {

api::result<scratch_dir> scratch_dir::make(std::string_view prefix, std::string_view parent) {
    const char* tmp = std::getenv("TMPDIR");
    const std::string under = !parent.empty() ? std::string(parent) : tmp && *tmp ? std::string(tmp) : std::string("/tmp");
    std::string pattern = under + "/" + std::string(prefix) + "-XXXXXX";
    std::vector<char> name(pattern.begin(), pattern.end());
    name.push_back('\0');
    if (!::mkdtemp(name.data())) {
        return api::error::internal("cannot make a scratch directory " + pattern + ": " + std::strerror(errno));
    }
    return scratch_dir(std::string(name.data()));
}

scratch_dir::scratch_dir(scratch_dir&& other) noexcept : path_(std::move(other.path_)) { other.path_.clear(); }

scratch_dir::~scratch_dir() {
    if (path_.empty()) return;
    std::error_code ignored;  // nothing to do about a failure while going away
    std::filesystem::remove_all(path_, ignored);
}

}  // namespace hil::store
