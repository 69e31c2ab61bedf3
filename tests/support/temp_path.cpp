#include "tests/support/temp_path.hpp"

#include <doctest/doctest.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <random>

namespace hil::test {

temp_path::temp_path(std::string_view stem, std::string_view suffix) {
    // pid + counter + random: unique across parallel ctest runs and within one process.
    static std::atomic<unsigned> counter{0};
    std::random_device rd;
    path_ = std::filesystem::temp_directory_path() /
            (std::string(stem) + "-" + std::to_string(::getpid()) + "-" + std::to_string(counter++) + "-" +
             std::to_string(rd()) + std::string(suffix));
}

temp_path::~temp_path() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
    for (const char* companion : {"-wal", "-shm", "-journal"}) std::filesystem::remove(path_.string() + companion, ec);
}

void temp_path::write(std::string_view content) const {
    std::ofstream out(path_, std::ios::binary | std::ios::trunc);
    out.write(content.data(), static_cast<std::streamsize>(content.size()));
    REQUIRE_MESSAGE(out.good(), "cannot write " << path_);
}

}  // namespace hil::test
