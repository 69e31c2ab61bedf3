#include "server/memory_file.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include <cstring>

namespace hil::server {

std::shared_ptr<memory_file> memory_file::create(std::size_t capacity) {
    if (capacity == 0) return nullptr;
    const int fd = ::memfd_create("healthimaging-local-answers", MFD_CLOEXEC);
    if (fd < 0) return nullptr;
    if (::ftruncate(fd, static_cast<off_t>(capacity)) != 0) {
        ::close(fd);
        return nullptr;
    }
    void* mapped = ::mmap(nullptr, capacity, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (mapped == MAP_FAILED) {
        ::close(fd);
        return nullptr;
    }
    return std::shared_ptr<memory_file>(new memory_file(fd, static_cast<char*>(mapped), capacity));
}

memory_file::~memory_file() {
    ::munmap(data_, capacity_);
    ::close(fd_);
}

std::optional<std::size_t> memory_file::append(std::string_view bytes) {
    if (bytes.size() > room()) return std::nullopt;
    const std::size_t at = used_;
    std::memcpy(data_ + at, bytes.data(), bytes.size());
    used_ += bytes.size();
    return at;
}

}  // namespace hil::server
