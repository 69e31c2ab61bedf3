// temp_path: a unique path in the system's temporary folder, removed on destruction with
// whatever ended up there (a file, a folder tree, SQLite's -wal/-shm/-journal companions).
// Nothing is created until the caller writes there. Unique across processes (parallel ctest
// runs) and within one.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

namespace hil::test {

class temp_path {
public:
    explicit temp_path(std::string_view stem = "hil-test", std::string_view suffix = "");
    temp_path(const temp_path&) = delete;
    temp_path& operator=(const temp_path&) = delete;
    ~temp_path();

    const std::filesystem::path& path() const { return path_; }
    std::string str() const { return path_.string(); }
    // Writes `content` to the path, replacing what was there; fails the current test if it cannot.
    void write(std::string_view content) const;

private:
    std::filesystem::path path_;
};

}  // namespace hil::test
