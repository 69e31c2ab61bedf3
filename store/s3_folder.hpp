// s3_folder: a local folder standing in for S3 (--s3-dir). s3://bucket/key is the file
// DIR/bucket/key, for import inputs and outputs alike.
//
// Nothing outside DIR is ever read or written: a key with a ".." or "." segment, an empty
// segment, a NUL or a backslash is refused, and every file is resolved through its symbolic
// links and must still lie inside DIR (a link that leads out is refused, never followed).
// Writes are atomic: the bytes go to a temporary file beside the target, then rename(2), so a
// reader sees the old file or the whole new one.
// Thread safety: immutable; safe from any thread (the file system is the shared state).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "api/result.hpp"

namespace hil::store {

class s3_folder {
public:
    // Error: InternalServerException when `root` is not an existing directory.
    static api::result<s3_folder> open(const std::filesystem::path& root);

    struct object {
        std::string key;                  // the S3 key, relative to the bucket
        std::filesystem::path file;       // where it is
        std::uint64_t size = 0;
    };
    // What a listing found: the objects, and the keys refused with why (links leading out).
    struct listing {
        std::vector<object> objects;      // in key order
        std::vector<std::pair<std::string, std::string>> refused;  // key, reason
        bool prefix_exists = false;       // the prefix names a folder or at least one object
    };
    // Every object under the prefix of `s3_uri` (s3://bucket/prefix), as S3's ListObjectsV2
    // would list them. Error: ValidationException for a URI that names a place outside the folder.
    api::result<listing> list(std::string_view s3_uri) const;

    // The whole object. Error: InternalServerException naming the file and cause.
    api::result<std::string> read(const object& o) const;

    // Stores `bytes` as the object `s3_uri` (s3://bucket/key), making folders as needed.
    // Errors: ValidationException for a key outside the folder; InternalServerException for the
    // file system's refusal (read-only, full).
    api::status write(std::string_view s3_uri, std::string_view bytes) const;

    const std::filesystem::path& root() const noexcept { return root_; }

private:
    explicit s3_folder(std::filesystem::path root) : root_(std::move(root)) {}
    api::result<std::filesystem::path> resolve(std::string_view bucket, std::string_view key) const;
    bool inside(const std::filesystem::path& p) const;
    std::filesystem::path root_;  // canonical
};

// s3://bucket/key split into its bucket and key; nothing for another scheme.
std::optional<std::pair<std::string, std::string>> split_s3_uri(std::string_view uri);

}  // namespace hil::store
