#include "server/body_spool.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

namespace hil::server {

spooled_body::~spooled_body() {
    ::close(fd_);
    ::unlink(path_.c_str());  // nothing to do about a failure: the spool's directory goes in the end
}

api::status spooled_body::append(std::string_view bytes) {
    while (!bytes.empty()) {
        const auto written = ::write(fd_, bytes.data(), bytes.size());
        if (written < 0) {
            if (errno == EINTR) continue;
            return api::error::internal("cannot spool the request body to " + path_ + ": " + std::strerror(errno));
        }
        bytes.remove_prefix(static_cast<std::size_t>(written));
        size_ += static_cast<std::uint64_t>(written);
    }
    return api::ok_status();
}

api::result<body_spool> body_spool::make(std::string_view parent, std::uint64_t threshold) {
    auto dir = store::scratch_dir::make("hil-spool", parent);
    if (!dir) return dir.err();
    return body_spool(std::move(dir).value(), threshold);
}

api::result<std::shared_ptr<spooled_body>> body_spool::create() const {
    const std::string pattern = dir_.file("body-XXXXXX");
    std::vector<char> name(pattern.begin(), pattern.end());
    name.push_back('\0');
    const int fd = ::mkostemp(name.data(), O_CLOEXEC);
    if (fd < 0) return api::error::internal("cannot make a spool file " + pattern + ": " + std::strerror(errno));
    return std::shared_ptr<spooled_body>(new spooled_body(fd, std::string(name.data())));
}

}  // namespace hil::server
