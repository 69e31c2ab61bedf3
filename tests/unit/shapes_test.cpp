#include "api/shapes.hpp"

#include <doctest/doctest.h>

#include <string>
#include <random>
#include <vector>

#include "test_support.hpp"

namespace {

using hil::api::violations;
using strings = std::vector<std::string>;

const std::string k_pattern_lower = "Member must satisfy regular expression pattern: [0-9a-z]+";
const std::string k_pattern_ds = "Member must satisfy regular expression pattern: [0-9a-z]{32}";

strings ds(std::string_view v) { return violations(hil::api::datastore_id_shape, v); }
strings job(std::string_view v) { return violations(hil::api::job_id_shape, v); }

}  // namespace

TEST_CASE("DatastoreId: exactly 32 lowercase alphanumerics") {
    const std::string ok(32, 'a');
    CHECK(ds(ok).empty());
    CHECK(ds("0123456789abcdefghijklmnopqrstuv").empty());
    // DatastoreId has no length trait: wrong lengths are pattern violations only.
    CHECK(ds(std::string(31, 'a')) == strings{k_pattern_ds});
    CHECK(ds(std::string(33, 'a')) == strings{k_pattern_ds});
    CHECK(ds("") == strings{k_pattern_ds});
    CHECK(ds(std::string(31, 'a') + "A") == strings{k_pattern_ds});
    CHECK(ds(std::string(31, 'a') + "\xC3\xA9") == strings{k_pattern_ds});  // 'é': 32 code points, 33 bytes
    CHECK(ds(std::string(30, 'a') + "\xC3\xA9") == strings{k_pattern_ds});  // 32 bytes, 31 code points
    CHECK(ds(std::string(31, 'a') + "/") == strings{k_pattern_ds});
    CHECK(ds(std::string(31, 'a') + std::string(1, '\0')) == strings{k_pattern_ds});
    CHECK(ds(std::string(15, 'a') + std::string(1, '\0') + std::string(16, 'a')) == strings{k_pattern_ds});
}

TEST_CASE("JobId: length 1..32 and [0-9a-z]+, each violation listed") {
    CHECK(job("") == strings{"Member must have length greater than or equal to 1", k_pattern_lower});
    CHECK(job("a").empty());
    CHECK(job("0").empty());
    CHECK(job(std::string(32, 'z')).empty());
    CHECK(job(std::string(33, 'z')) == strings{"Member must have length less than or equal to 32"});
    CHECK(job(std::string(33, '!')) == strings{"Member must have length less than or equal to 32", k_pattern_lower});
    CHECK(job("ABC") == strings{k_pattern_lower});
    CHECK(job("ab-c") == strings{k_pattern_lower});
    CHECK(job("ab\ncd") == strings{k_pattern_lower});
    // Lengths count code points: 32 'é' (64 bytes) is within the length limit.
    std::string e32;
    for (int i = 0; i < 32; ++i) e32 += "\xC3\xA9";
    CHECK(job(e32) == strings{k_pattern_lower});
    CHECK(job(e32 + "\xC3\xA9") == strings{"Member must have length less than or equal to 32", k_pattern_lower});
}

TEST_CASE("JobName: 1..64 of [A-Za-z0-9._/#-]") {
    const auto& s = hil::api::job_name_shape;
    CHECK(violations(s, "ct-chest_batch.01/#A").empty());
    CHECK(violations(s, std::string(64, 'x')).empty());
    CHECK(violations(s, std::string(65, 'x')) == strings{"Member must have length less than or equal to 64"});
    CHECK(violations(s, "") == strings{"Member must have length greater than or equal to 1",
                                       "Member must satisfy regular expression pattern: [A-Za-z0-9._/#-]+"});
    CHECK(violations(s, "has space") == strings{"Member must satisfy regular expression pattern: [A-Za-z0-9._/#-]+"});
    CHECK(violations(s, "caf\xC3\xA9").size() == 1);
}

TEST_CASE("RoleArn: arn:aws(-[^:]+)?:iam::[0-9]{12}:role/.+") {
    const auto& s = hil::api::role_arn_shape;
    const std::string pattern = "Member must satisfy regular expression pattern: arn:aws(-[^:]+)?:iam::[0-9]{12}:role/.+";
    CHECK(violations(s, "arn:aws:iam::123456789012:role/x").empty());
    CHECK(violations(s, "arn:aws:iam::123456789012:role/path/Name-With_chars").empty());
    CHECK(violations(s, "arn:aws-us-gov:iam::123456789012:role/x").empty());
    CHECK(violations(s, "arn:aws-cn:iam::123456789012:role/x").empty());
    CHECK(violations(s, "arn:aws-:iam::123456789012:role/x") == strings{pattern});
    CHECK(violations(s, "arn:aws:iam::123456789012:role/") == strings{pattern});
    CHECK(violations(s, "arn:aws:iam::123456789012:user/x") == strings{pattern});
    CHECK(violations(s, "arn:aws:iam::12345678901:role/xy") == strings{pattern});    // 11 digits
    CHECK(violations(s, "arn:aws:iam::1234567890123:role/x") == strings{pattern});   // 13 digits
    CHECK(violations(s, "arn:aws:iam::123456789012:role/a\nb") == strings{pattern});
    CHECK(violations(s, "arn:aws:iam::123456789012:role/a\rb") == strings{pattern});
    CHECK(violations(s, "arn:aws:iam::123456789012:role/a\xE2\x80\xA8" "b") == strings{pattern});  // U+2028
    CHECK(violations(s, "ARN:aws:iam::123456789012:role/x") == strings{pattern});
    CHECK(violations(s, "arn:aws:iam::1:role") ==
          strings{"Member must have length greater than or equal to 20", pattern});
}

TEST_CASE("S3Uri: bucket of 3..63 [a-z0-9.-], alphanumeric at both ends, optional path") {
    const auto& s = hil::api::s3_uri_shape;
    const std::string pattern =
        "Member must satisfy regular expression pattern: s3://[a-z0-9][\\.\\-a-z0-9]{1,61}[a-z0-9](/.*)?";
    CHECK(violations(s, "s3://ab") == strings{pattern});
    CHECK(violations(s, "s3://abc").empty());
    CHECK(violations(s, "s3://" + std::string(63, 'b')).empty());
    CHECK(violations(s, "s3://" + std::string(64, 'b')) == strings{pattern});
    CHECK(violations(s, "s3://" + std::string(63, 'b') + "/key").empty());
    CHECK(violations(s, "s3://" + std::string(64, 'b') + "/key") == strings{pattern});
    CHECK(violations(s, "s3://-abc") == strings{pattern});
    CHECK(violations(s, "s3://abc-") == strings{pattern});
    CHECK(violations(s, "s3://a-b.c") .empty());
    CHECK(violations(s, "s3://Abc") == strings{pattern});
    CHECK(violations(s, "s3://my_bucket") == strings{pattern});
    CHECK(violations(s, "s3://abc/").empty());
    CHECK(violations(s, "s3://abc/some/Path With Spaces/").empty());
    CHECK(violations(s, "s3://abc/a\nb") == strings{pattern});
    CHECK(violations(s, "http://abc") == strings{pattern});
    CHECK(violations(s, "") == strings{"Member must have length greater than or equal to 1", pattern});
}

TEST_CASE("Message: [\\w -:`]+ (backtick allowed, ';' not)") {
    const auto& s = hil::api::message_shape;
    CHECK(violations(s, "Access denied to input bucket s3://x/ - check the role").empty());
    CHECK(violations(s, "use `aws s3 ls`").empty());
    CHECK(violations(s, "100% done, (ok)! #1 \"quoted\"").empty());
    CHECK(violations(s, "a; b") == strings{"Member must satisfy regular expression pattern: [\\w -:`]+"});
    CHECK(violations(s, "a<b").size() == 1);
    CHECK(violations(s, "caf\xC3\xA9").size() == 1);
    CHECK(violations(s, std::string(2048, 'm')).empty());
    CHECK(violations(s, std::string(2049, 'm')) == strings{"Member must have length less than or equal to 2048"});
}

TEST_CASE("enums list the allowed values") {
    CHECK(violations(hil::api::job_status_shape, "COMPLETED").empty());
    CHECK(violations(hil::api::job_status_shape, "IN_PROGRESS").empty());
    CHECK(violations(hil::api::job_status_shape, "completed") ==
          strings{"Member must satisfy enum value set: [SUBMITTED, IN_PROGRESS, COMPLETED, FAILED]"});
    CHECK(violations(hil::api::job_status_shape, "").size() == 1);
    CHECK(violations(hil::api::datastore_status_shape, "ACTIVE").empty());
    CHECK(violations(hil::api::datastore_status_shape, "DELETED").empty());
    CHECK(violations(hil::api::datastore_status_shape, "GONE") ==
          strings{"Member must satisfy enum value set: [CREATING, CREATE_FAILED, ACTIVE, DELETING, DELETED]"});
}

TEST_CASE("validation_report words one error as AWS does") {
    hil::api::validation_report r;
    CHECK(r.empty());
    r.check("jobId", hil::api::job_id_shape, "X");
    REQUIRE_FALSE(r.empty());
    CHECK(r.message() ==
          "1 validation error detected: Value 'X' at 'jobId' failed to satisfy constraint: "
          "Member must satisfy regular expression pattern: [0-9a-z]+");
}

TEST_CASE("validation_report joins several errors with '; ' and counts them") {
    hil::api::validation_report r;
    r.check("datastoreId", hil::api::datastore_id_shape, "abc");
    r.check("jobId", hil::api::job_id_shape, "X");
    CHECK(r.message() ==
          "2 validation errors detected: Value 'abc' at 'datastoreId' failed to satisfy constraint: "
          "Member must satisfy regular expression pattern: [0-9a-z]{32}; Value 'X' at 'jobId' failed to satisfy "
          "constraint: Member must satisfy regular expression pattern: [0-9a-z]+");

    hil::api::validation_report empty_job;
    empty_job.check("jobId", hil::api::job_id_shape, "");
    CHECK(empty_job.message() ==
          "2 validation errors detected: Value '' at 'jobId' failed to satisfy constraint: Member must have length "
          "greater than or equal to 1; Value '' at 'jobId' failed to satisfy constraint: " + k_pattern_lower);

    hil::api::validation_report valid;
    valid.check("jobId", hil::api::job_id_shape, "abc");
    valid.check("datastoreId", hil::api::datastore_id_shape, std::string(32, '0'));
    CHECK(valid.empty());
}

TEST_CASE("validation_report quotes long or invalid values safely") {
    hil::api::validation_report r;
    r.check("jobId", hil::api::job_id_shape, std::string(100, 'A'));
    const auto m = r.message();
    CHECK(m.find("Value '" + std::string(64, 'A') + "...' at 'jobId'") != std::string::npos);
    CHECK(m.find(std::string(65, 'A')) == std::string::npos);
    CHECK(hil::test::is_valid_utf8(m));

    hil::api::validation_report bad_bytes;
    bad_bytes.check("jobId", hil::api::job_id_shape, "a\xFF");
    CHECK(bad_bytes.message().find("Value 'a\xEF\xBF\xBD' at 'jobId'") != std::string::npos);
    CHECK(hil::test::is_valid_utf8(bad_bytes.message()));
}

TEST_CASE("display_value cuts at 64 code points and adds ...") {
    using hil::api::display_value;
    CHECK(display_value("") == "");
    CHECK(display_value("abc") == "abc");
    CHECK(display_value(std::string(64, 'x')) == std::string(64, 'x'));
    CHECK(display_value(std::string(65, 'x')) == std::string(64, 'x') + "...");
    CHECK(display_value(std::string(1000, 'x')) == std::string(64, 'x') + "...");
    CHECK(display_value("abcdef", 3) == "abc...");
    // The cut falls between code points, never inside one.
    std::string e65;
    for (int i = 0; i < 65; ++i) e65 += "\xC3\xA9";
    const auto cut = display_value(e65);
    CHECK(cut == e65.substr(0, 128) + "...");
    CHECK(hil::test::is_valid_utf8(cut));
    // NUL is a valid code point and is kept.
    CHECK(display_value(std::string("a\0b", 3)) == std::string("a\0b", 3));
}

TEST_CASE("display_value replaces invalid UTF-8 with U+FFFD") {
    using hil::api::display_value;
    const std::string fffd = "\xEF\xBF\xBD";
    CHECK(display_value("\xFF") == fffd);
    CHECK(display_value("a\x80z") == "a" + fffd + "z");            // lone continuation byte
    CHECK(display_value("ab\xC3") == "ab" + fffd);                  // truncated sequence
    CHECK(display_value("\xC0\xAF") == fffd + fffd);                // overlong '/'
    CHECK(display_value("\xED\xA0\x80") == fffd + fffd + fffd);     // UTF-16 surrogate
    CHECK(display_value("\xF4\x90\x80\x80").find(fffd) == 0);      // above U+10FFFF
    CHECK(display_value("\xF0\x9F\x98\x80") == "\xF0\x9F\x98\x80");  // a valid 4-byte emoji stays
    CHECK(display_value("caf\xC3\xA9") == "caf\xC3\xA9");
    for (const std::string junk : {"\xFE\xFF\x80", "\xC3\x28", "\xE2\x82", "x\xF0\x9F\x98"}) {
        CHECK(hil::test::is_valid_utf8(display_value(junk)));
    }
    std::string all_bytes;
    for (int b = 0; b < 256; ++b) all_bytes.push_back(static_cast<char>(b));
    CHECK(hil::test::is_valid_utf8(display_value(all_bytes, 1000)));
}

namespace {

// Random values over an alphabet that hits every class boundary of the hot patterns.
std::string random_value(std::mt19937_64& draws) {
    static constexpr std::string_view alphabet = "0123456789abcdefxyzAZ-_./%: ~!\x01\x7F";
    std::uniform_int_distribution<int> length(0, 40);
    std::uniform_int_distribution<std::size_t> pick(0, alphabet.size());  // the last index: a multibyte 'é' or NUL
    std::string out;
    const int n = length(draws);
    for (int i = 0; i < n; ++i) {
        const auto k = pick(draws);
        if (k == alphabet.size()) {
            out += (draws() % 2) ? std::string("\xC3\xA9") : std::string(1, '\0');
        } else {
            out += alphabet[k];
        }
    }
    // Bias toward the exact lengths the patterns care about.
    if (draws() % 3 == 0) out = std::string(32, 'a').replace(0, std::min<std::size_t>(out.size(), 32), out.substr(0, 32));
    return out;
}

void cross_check(const hil::api::shape& s) {
    REQUIRE(static_cast<bool>(s.fast_match));
    REQUIRE(s.regex != nullptr);
    std::mt19937_64 draws(20261201);
    int accepted = 0;
    for (int i = 0; i < 20'000; ++i) {
        const auto v = random_value(draws);
        const bool fast = s.fast_match(v);
        CAPTURE(hil::api::display_value(v));
        REQUIRE(fast == s.regex->matches(v));
        accepted += fast ? 1 : 0;
    }
    CHECK(accepted > 100);  // the values reach both sides of the check
    CHECK(accepted < 19'900);
}

// Near misses of valid values: each seed with a few characters replaced, inserted or
// removed, from an alphabet of the structured patterns' separators, class boundaries, Java's
// line terminators (ASCII and not) and a multibyte letter.
std::string mutated_value(std::mt19937_64& draws, const std::vector<std::string>& seeds) {
    static const std::vector<std::string> pieces{
        "a", "z", "A", "Z", "0", "9", "-", ".", "_", "/", "#", ":", " ", "`", "!", "~", "\x7F", "\x01",
        std::string(1, '\0'), "\n", "\r", "\xC2\x85", "\xE2\x80\xA8", "\xC3\xA9", "arn:aws", ":iam::", ":role/", "s3://"};
    std::string out = seeds[draws() % seeds.size()];
    const int edits = static_cast<int>(draws() % 4);
    for (int e = 0; e < edits; ++e) {
        const std::size_t at = out.empty() ? 0 : draws() % (out.size() + 1);
        const auto& piece = pieces[draws() % pieces.size()];
        switch (draws() % 3) {
            case 0: out.insert(at, piece); break;
            case 1: if (at < out.size()) out.erase(at, 1 + draws() % 3); break;
            default: if (at < out.size()) out.replace(at, 1, piece); break;
        }
    }
    return out;
}

void cross_check_near_misses(const hil::api::shape& s, const std::vector<std::string>& seeds) {
    REQUIRE(static_cast<bool>(s.fast_match));
    REQUIRE(s.regex != nullptr);
    std::mt19937_64 draws(20261203);
    int accepted = 0;
    for (int i = 0; i < 20'000; ++i) {
        const auto v = (i % 4 == 0) ? random_value(draws) : mutated_value(draws, seeds);
        const bool fast = s.fast_match(v);
        CAPTURE(hil::api::display_value(v));
        REQUIRE(fast == s.regex->matches(v));
        accepted += fast ? 1 : 0;
    }
    CHECK(accepted > 100);
    CHECK(accepted < 19'900);
}

}  // namespace

TEST_CASE("the fast paths of the fixture loader's patterns agree with the documented patterns") {
    cross_check_near_misses(hil::api::job_name_shape, {"bench-import-7", "a", "A.b_c/d#e-f", "x y"});
    cross_check_near_misses(hil::api::datastore_name_shape, {"bench-datastore-0", "my/store#1"});
    cross_check_near_misses(hil::api::message_shape,
                            {"Import failed for 3 of 120 instances", "a`b_c:d", "x;y", "tab\there"});
    cross_check_near_misses(hil::api::role_arn_shape,
                            {"arn:aws:iam::123456789012:role/HealthImagingImportRole", "arn:aws-cn:iam::123456789012:role/r",
                             "arn:aws-us-gov:iam::123456789012:role/a/b:c", "arn:aws-\xC3\xA9:iam::123456789012:role/\xC3\xA9",
                             "arn:aws:iam::12345678901:role/r", "arn:aws:iam::123456789012:role/r\xE2\x80\xA9"});
    cross_check_near_misses(hil::api::s3_uri_shape,
                            {"s3://bench-dicom-inbox/batch-1/", "s3://abc", "s3://a.b-c/x y/\xC3\xA9", "s3://ab/",
                             "s3://" + std::string(63, 'b') + "/k", "s3://" + std::string(64, 'b'), "s3://Ab/x"});
}

TEST_CASE("the hand-written fast paths agree with the documented patterns") {
    cross_check(hil::api::datastore_id_shape);
    cross_check(hil::api::job_id_shape);
    // MetadataFilePath sits inside ImportConfiguration's structure.
    const auto& mapping = *hil::api::import_configuration_shape.members[0].type->members[0].type->item;
    REQUIRE(mapping.members[2].name == "metadataFilePath");
    cross_check(*mapping.members[2].type);
}

TEST_CASE("integers: range violations worded as AWS words them") {
    CHECK(violations(hil::api::max_results_shape, std::int64_t{1}).empty());
    CHECK(violations(hil::api::max_results_shape, std::int64_t{50}).empty());
    CHECK(violations(hil::api::max_results_shape, std::int64_t{0}) ==
          strings{"Member must have value greater than or equal to 1"});
    CHECK(violations(hil::api::max_results_shape, std::int64_t{51}) == strings{"Member must have value less than or equal to 50"});
}

TEST_CASE("a value over its maximum length is refused by length alone, without running the regex") {
    // 2,049 characters of a valid prefix report the length only (RoleArn's fast path does not
    // change which messages a value gets).
    const std::string arn = "arn:aws:iam::123456789012:role/" + std::string(2049 - 31, 'r');
    CHECK(violations(hil::api::role_arn_shape, arn) == strings{"Member must have length less than or equal to 2048"});
    CHECK(violations(hil::api::role_arn_shape, arn.substr(0, 2048)).empty());
    CHECK(violations(hil::api::role_arn_shape, "x" + arn) == strings{"Member must have length less than or equal to 2048"});
    CHECK(violations(hil::api::job_name_shape, std::string(65, '!')) == strings{"Member must have length less than or equal to 64"});
}
