// The local S3 folder: keys map to files under the root, and nothing outside it is read or written.
#include "store/s3_folder.hpp"

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>

#include "tests/support/temp_path.hpp"

namespace {

namespace fs = std::filesystem;
using hil::api::error_code;

void put(const fs::path& p, std::string_view bytes) {
    fs::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary) << bytes;
}

}  // namespace

TEST_CASE("s3_folder lists a prefix as S3 does, in key order, and reads the objects") {
    hil::test::temp_path root("hil-s3");
    put(root.path() / "in" / "a" / "2.dcm", "two");
    put(root.path() / "in" / "a" / "1.dcm", "one");
    put(root.path() / "in" / "a" / "deep" / "3.dcm", "three");
    put(root.path() / "in" / "ab.dcm", "not under a/");
    auto folder = hil::store::s3_folder::open(root.path());
    REQUIRE(folder.ok());
    auto listed = folder.value().list("s3://in/a/");
    REQUIRE(listed.ok());
    REQUIRE(listed.value().objects.size() == 3);
    CHECK(listed.value().prefix_exists);
    CHECK(listed.value().objects[0].key == "a/1.dcm");
    CHECK(listed.value().objects[1].key == "a/2.dcm");
    CHECK(listed.value().objects[2].key == "a/deep/3.dcm");
    CHECK(folder.value().read(listed.value().objects[2]).value() == "three");
    // A prefix that is not a folder boundary matches keys by their start, as S3's does.
    CHECK(folder.value().list("s3://in/a").value().objects.size() == 4);
    const auto none = folder.value().list("s3://in/missing/");
    REQUIRE(none.ok());
    CHECK(none.value().objects.empty());
    CHECK_FALSE(none.value().prefix_exists);
}

TEST_CASE("s3_folder refuses keys and links that lead outside its folder") {
    hil::test::temp_path root("hil-s3");
    hil::test::temp_path outside("hil-s3-outside");
    put(outside.path() / "secret.txt", "secret");
    put(root.path() / "in" / "x" / "ok.dcm", "ok");
    fs::create_symlink(outside.path() / "secret.txt", root.path() / "in" / "x" / "leak.dcm");
    fs::create_symlink(outside.path(), root.path() / "in" / "linked-folder");
    auto folder = hil::store::s3_folder::open(root.path());
    REQUIRE(folder.ok());
    const auto listed = folder.value().list("s3://in/x/");
    REQUIRE(listed.ok());
    REQUIRE(listed.value().objects.size() == 1);
    CHECK(listed.value().objects[0].key == "x/ok.dcm");
    REQUIRE(listed.value().refused.size() == 1);
    CHECK(listed.value().refused[0].first == "x/leak.dcm");
    for (const char* uri : {"s3://in/../../etc/", "s3://in/x/../../", "s3://in//x/", "s3://in/./x/", "s3://in/linked-folder/"}) {
        CAPTURE(uri);
        const auto refused = folder.value().list(uri);
        REQUIRE_FALSE(refused.ok());
        CHECK(refused.err().code() == error_code::validation);
    }
    for (const char* uri : {"s3://out/../../escape.json", "s3://out/a\\b.json", "s3://out/linked/../x", "s3://out/", "s3://in/linked-folder/x.json"}) {
        CAPTURE(uri);
        CHECK_FALSE(folder.value().write(uri, "x").ok());
    }
    CHECK_FALSE(fs::exists(outside.path() / "x.json"));
}

TEST_CASE("s3_folder writes whole files, making folders as needed") {
    hil::test::temp_path root("hil-s3");
    fs::create_directories(root.path());
    auto folder = hil::store::s3_folder::open(root.path());
    REQUIRE(folder.ok());
    REQUIRE(folder.value().write("s3://out/job/SUCCESS/success.ndjson", "line\n").ok());
    REQUIRE(folder.value().write("s3://out/job/SUCCESS/success.ndjson", "replaced\n").ok());
    std::ifstream in(root.path() / "out" / "job" / "SUCCESS" / "success.ndjson");
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    CHECK(text == "replaced\n");
    std::size_t files = 0;
    for (const auto& e : fs::recursive_directory_iterator(root.path())) files += e.is_regular_file() ? 1u : 0u;
    CHECK(files == 1);  // no temporary file left behind
    CHECK_FALSE(hil::store::s3_folder::open(root.path() / "missing").ok());
}
