// The health probe behind `healthimaging-local --probe`: the Docker HEALTHCHECK, which has
// no shell or curl in a scratch image.
#pragma once

#include <string>

namespace hil::server {

// GET http://host:port/_emulator/health within two seconds. Returns 0 when it answers
// 200, 1 otherwise, after writing one line saying what happened to `out`.
int probe_health(const std::string& host, unsigned short port, std::string& out);

}  // namespace hil::server
