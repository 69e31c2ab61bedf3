#include "store/s3_folder.hpp"

#include <algorithm>
#include <fstream>
#include <optional>
#include <random>
#include <system_error>

#include <fcntl.h>
#include <unistd.h>

#include "api/shapes.hpp"

namespace hil::store {
namespace fs = std::filesystem;

std::optional<std::pair<std::string, std::string>> split_s3_uri(std::string_view uri) {
    constexpr std::string_view scheme = "s3://";
    if (!uri.starts_with(scheme)) return std::nullopt;
    uri.remove_prefix(scheme.size());
    const auto slash = uri.find('/');
    if (slash == std::string_view::npos) return std::pair{std::string(uri), std::string()};
    return std::pair{std::string(uri.substr(0, slash)), std::string(uri.substr(slash + 1))};
}

namespace {

// Why a key cannot be a path under the folder, or nothing when it can.
std::optional<std::string> unsafe_key(std::string_view key) {
    if (key.find('\0') != std::string_view::npos) return "it holds a NUL";
    if (key.find('\\') != std::string_view::npos) return "it holds a backslash";
    if (key.starts_with('/')) return "it is absolute";
    std::size_t start = 0;
    while (start <= key.size()) {
        auto end = key.find('/', start);
        if (end == std::string_view::npos) end = key.size();
        const auto segment = key.substr(start, end - start);
        if (segment == "..") return "it climbs out with '..'";
        if (segment == ".") return "it has a '.' segment";
        if (segment.empty() && end != key.size()) return "it has an empty segment ('//')";
        start = end + 1;
    }
    return std::nullopt;
}

api::error outside(std::string_view uri, std::string_view why) {
    return api::error::validation("S3 location " + api::display_value(uri, 256) + " is refused: " + std::string(why));
}

}  // namespace

api::result<s3_folder> s3_folder::open(const fs::path& root) {
    std::error_code ec;
    const auto canonical = fs::canonical(root, ec);
    if (ec || !fs::is_directory(canonical, ec)) {
        return api::error::internal("--s3-dir " + root.string() + " is not a directory" + (ec ? ": " + ec.message() : ""));
    }
    return s3_folder(canonical);
}

bool s3_folder::inside(const fs::path& p) const {
    std::error_code ec;
    const auto real = fs::weakly_canonical(p, ec);
    if (ec) return false;
    auto r = root_.begin();
    auto q = real.begin();
    for (; r != root_.end(); ++r, ++q) {
        if (q == real.end() || *q != *r) return false;
    }
    return true;
}

api::result<fs::path> s3_folder::resolve(std::string_view bucket, std::string_view key) const {
    if (bucket.empty() || unsafe_key(bucket)) return api::error::validation("bucket name is not usable as a folder");
    if (const auto why = unsafe_key(key)) return api::error::validation(*why);
    fs::path p = root_ / std::string(bucket);
    if (!key.empty()) p /= std::string(key);
    if (!inside(p)) return api::error::validation("it leads outside the S3 folder (through a symbolic link)");
    return p;
}

api::result<s3_folder::listing> s3_folder::list(std::string_view s3_uri) const {
    const auto parts = split_s3_uri(s3_uri);
    if (!parts) return outside(s3_uri, "it is not an s3:// URI");
    const auto& [bucket, prefix] = *parts;
    // The folder to walk: the prefix up to its last '/'; keys under it are then matched by prefix.
    const auto cut = prefix.rfind('/');
    const std::string folder_key = cut == std::string::npos ? std::string() : prefix.substr(0, cut);
    auto folder = resolve(bucket, folder_key);
    if (!folder) return outside(s3_uri, folder.err().message());
    listing out;
    std::error_code ec;
    const fs::path bucket_dir = root_ / bucket;
    if (!fs::is_directory(folder.value(), ec)) return out;
    if (folder_key + "/" == prefix || prefix.empty()) out.prefix_exists = true;
    for (fs::recursive_directory_iterator it(folder.value(), fs::directory_options::skip_permission_denied, ec), end;
         !ec && it != end; it.increment(ec)) {
        const auto rel = it->path().lexically_relative(bucket_dir).generic_string();
        // Links are checked before anything follows them: one that leads out is refused, a
        // folder link inside is not walked (the iterator does not follow folder links).
        if (it->is_symlink(ec) && !inside(it->path())) {
            if (rel.starts_with(prefix) || (rel + "/").starts_with(prefix)) {
                out.prefix_exists = true;
                out.refused.emplace_back(rel, "a symbolic link that leads outside the S3 folder");
            }
            continue;
        }
        if (it->is_directory(ec)) {
            if ((rel + "/").starts_with(prefix)) out.prefix_exists = true;
            continue;
        }
        if (!rel.starts_with(prefix)) continue;
        out.prefix_exists = true;
        if (!it->is_regular_file(ec)) continue;
        out.objects.push_back({rel, it->path(), static_cast<std::uint64_t>(it->file_size(ec))});
    }
    if (ec) return api::error::internal("cannot list " + folder.value().string() + ": " + ec.message());
    std::sort(out.objects.begin(), out.objects.end(), [](const object& a, const object& b) { return a.key < b.key; });
    return out;
}

api::result<std::string> s3_folder::read(const object& o) const {
    if (!inside(o.file)) return api::error::validation("object " + o.key + " leads outside the S3 folder");
    std::ifstream in(o.file, std::ios::binary);
    if (!in) return api::error::internal("cannot read " + o.file.string());
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (in.bad()) return api::error::internal("cannot read " + o.file.string());
    return bytes;
}

api::status s3_folder::write(std::string_view s3_uri, std::string_view bytes) const {
    const auto parts = split_s3_uri(s3_uri);
    if (!parts || parts->second.empty() || parts->second.ends_with('/')) return outside(s3_uri, "it names no object");
    auto target = resolve(parts->first, parts->second);
    if (!target) return outside(s3_uri, target.err().message());
    std::error_code ec;
    fs::create_directories(target.value().parent_path(), ec);
    if (ec) return api::error::internal("cannot make the folder for " + target.value().string() + ": " + ec.message());
    if (!inside(target.value().parent_path())) return outside(s3_uri, "it leads outside the S3 folder");
    // A fresh name, created exclusively and never through a link: a link planted where the
    // temporary file goes cannot redirect the write.
    std::random_device entropy;
    fs::path temporary;
    int fd = -1;
    for (int attempt = 0; attempt < 8 && fd < 0; ++attempt) {
        temporary = target.value().string() + ".hil-tmp-" + std::to_string(entropy()) + std::to_string(entropy());
        fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
    }
    if (fd < 0) return api::error::internal("cannot write " + target.value().string());
    std::size_t written = 0;
    while (written < bytes.size()) {
        const auto n = ::write(fd, bytes.data() + written, bytes.size() - written);
        if (n <= 0) break;
        written += static_cast<std::size_t>(n);
    }
    const bool closed = ::close(fd) == 0;
    if (written != bytes.size() || !closed) {
        fs::remove(temporary, ec);
        return api::error::internal("cannot write " + target.value().string());
    }
    fs::rename(temporary, target.value(), ec);
    if (ec) {
        std::error_code ignored;
        fs::remove(temporary, ignored);
        return api::error::internal("cannot write " + target.value().string() + ": " + ec.message());
    }
    return api::ok_status();
}

}  // namespace hil::store
