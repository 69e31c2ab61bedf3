#include "server/uri_path.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

using hil::server::percent_decode;
using hil::server::split_path;
using hil::server::target_path;
using hil::server::target_query;
using strings = std::vector<std::string>;

TEST_CASE("percent_decode decodes %XX in either case") {
    CHECK(percent_decode("%64") == "d");
    CHECK(percent_decode("abc%64ef") == "abcdef");
    CHECK(percent_decode("%2F") == "/");
    CHECK(percent_decode("%2f") == "/");
    CHECK(percent_decode("%C3%A9") == "\xC3\xA9");
    CHECK(percent_decode("%25") == "%");
    CHECK(percent_decode("%2525") == "%25");  // decoded once, not twice
    CHECK(percent_decode("a+b") == "a+b");
    CHECK(percent_decode("") == "");
}

TEST_CASE("percent_decode keeps a truncated or invalid escape literally") {
    CHECK(percent_decode("%") == "%");
    CHECK(percent_decode("abc%") == "abc%");
    CHECK(percent_decode("%4") == "%4");
    CHECK(percent_decode("ab%6") == "ab%6");
    CHECK(percent_decode("%zz") == "%zz");
    CHECK(percent_decode("%4g") == "%4g");
    CHECK(percent_decode("%g4") == "%g4");
    CHECK(percent_decode("%%64") == "%d");
}

TEST_CASE("percent_decode turns %00 into a NUL byte") {
    const auto s = percent_decode("a%00b");
    CHECK(s.size() == 3);
    CHECK(s == std::string("a\0b", 3));
    CHECK(percent_decode("%00") == std::string(1, '\0'));
}

TEST_CASE("split_path splits first, then decodes, so %2F stays inside a label") {
    CHECK(split_path("/getDICOMImportJob/datastore/abc/job/x%2Fy") ==
          strings{"getDICOMImportJob", "datastore", "abc", "job", "x/y"});
    CHECK(split_path("/a/b%20c") == strings{"a", "b c"});
    CHECK(split_path("/a/%64") == strings{"a", "d"});
}

TEST_CASE("split_path keeps empty segments") {
    CHECK(split_path("//") == strings{"", ""});
    CHECK(split_path("/a//b") == strings{"a", "", "b"});
    CHECK(split_path("/a/") == strings{"a", ""});
    CHECK(split_path("/") == strings{""});
}

TEST_CASE("split_path refuses a path that does not start with '/'") {
    CHECK(split_path("").empty());
    CHECK(split_path("a/b").empty());
    CHECK(split_path("*").empty());
    CHECK(split_path("http://host/a").empty());
}

TEST_CASE("target_path strips the query and the fragment") {
    CHECK(target_path("/a/b") == "/a/b");
    CHECK(target_path("/a/b?x=1&y=2") == "/a/b");
    CHECK(target_path("/a/b#frag") == "/a/b");
    CHECK(target_path("/a#f?x") == "/a");
    CHECK(target_path("/a?x#f") == "/a");
    CHECK(target_path("/a%3Fb?c") == "/a%3Fb");  // an encoded '?' is part of the path
    CHECK(target_path("?x") == "");
    CHECK(target_path("") == "");
}

TEST_CASE("target_query is what follows the path's '?', without the fragment") {
    CHECK(target_query("/a/b") == "");
    CHECK(target_query("/a/b?x=1&y=2") == "x=1&y=2");
    CHECK(target_query("/a?x=1#f") == "x=1");
    CHECK(target_query("/a#f?x=1") == "");  // a '?' inside the fragment starts no query
    CHECK(target_query("/a?") == "");
    CHECK(target_query("/a??x") == "?x");
    CHECK(target_query("/a%3Fb?c") == "c");
    CHECK(target_query("") == "");
}
