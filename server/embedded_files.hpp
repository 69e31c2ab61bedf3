// Files compiled into the binary (cmake/embed_files.cmake writes their bytes into a generated
// source), so the scratch image serves them with nothing beside the executable.
#pragma once

#include <span>
#include <string_view>

namespace hil::server {

struct embedded_file {
    std::string_view name;                 // relative to its folder: "index.html", "app.js"
    std::span<const unsigned char> bytes;
    std::string_view sha256;               // of the bytes, in hex: a strong ETag
};

// server/ui/: the dashboard's page, script and style sheet.
std::span<const embedded_file> dashboard_files();

}  // namespace hil::server
