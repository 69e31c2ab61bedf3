#include "api/pattern.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <random>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

namespace {

using hil::api::pattern;
using namespace std::string_literals;

std::string repeated(std::string_view unit, std::size_t times) {
    std::string out;
    out.reserve(unit.size() * times);
    for (std::size_t i = 0; i < times; ++i) out += unit;
    return out;
}

// Values in failure messages, with every byte outside printable ASCII as \xHH.
std::string printable(std::string_view value) {
    constexpr std::string_view hex = "0123456789ABCDEF";
    std::string out;
    for (const char ch : value) {
        const auto b = static_cast<unsigned char>(ch);
        if (b >= 0x20 && b < 0x7F && b != '\\') {
            out += ch;
        } else {
            out += "\\x";
            out += hex[b >> 4];
            out += hex[b & 0x0Fu];
        }
    }
    return out;
}

// Sample identifiers (32 lowercase alphanumerics each).
const std::string k_datastore = "b3d1c5e2a4f6078e9d0c1b2a3f4e5d6c";
const std::string k_image_set = "5f1e2d3c4b5a69788796a5b4c3d2e1f0";

// Characters with something to say about a pattern (UTF-8).
const std::string k_e_acute = "\xC3\xA9";                  // U+00E9, 2 bytes
const std::string k_euro = "\xE2\x82\xAC";                 // U+20AC, 3 bytes
const std::string k_grinning = "\xF0\x9F\x98\x80";         // U+1F600, 4 bytes
const std::string k_next_line = "\xC2\x85";                // U+0085 NEL, a Java line terminator
const std::string k_line_separator = "\xE2\x80\xA8";       // U+2028
const std::string k_paragraph_separator = "\xE2\x80\xA9";  // U+2029
const std::string k_nul = "\0"s;

struct model_pattern {
    std::string_view shapes;  // the model's shapes that carry it
    std::string_view documented;
    std::vector<std::string> matching;
    std::vector<std::string> not_matching;
};

// Every distinct "pattern" of medical-imaging/2023-07-19/service-2.json, as written there, with
// values derived by reading the pattern (not by running it).
std::vector<model_pattern> model_patterns() {
    const std::string arn_prefix = "arn:aws:medical-imaging:us-east-1:123456789012:datastore/";
    const std::string kms_prefix = "arn:aws:kms:us-east-1:123456789012:";
    const std::string kms_key = "key/1234abcd-12ab-34cd-56ef-1234567890ab";
    const std::string lambda_prefix = "arn:aws:lambda:us-east-1:123456789012:function:";
    const std::string role_prefix = "arn:aws:iam::123456789012:role/";
    return {
        {"Arn",
         "arn:aws((-us-gov)|(-iso)|(-iso-b)|(-cn))?:medical-imaging:[a-z0-9-]+:[0-9]{12}:datastore/[0-9a-z]{32}"
         "(/imageset/[0-9a-z]{32})?",
         {arn_prefix + k_datastore, arn_prefix + k_datastore + "/imageset/" + k_image_set,
          "arn:aws-us-gov:medical-imaging:us-gov-west-1:123456789012:datastore/" + k_datastore,
          "arn:aws-iso-b:medical-imaging:us-isob-east-1:123456789012:datastore/" + k_datastore,
          "arn:aws-cn:medical-imaging:cn-north-1:123456789012:datastore/" + k_datastore},
         {"", arn_prefix + k_datastore.substr(1), arn_prefix + k_datastore + "0",
          arn_prefix + "B3D1C5E2A4F6078E9D0C1B2A3F4E5D6C",
          arn_prefix + k_datastore + "/", arn_prefix + k_datastore + "/imageset/",
          arn_prefix + k_datastore + "/imageset/" + k_image_set + "/",
          "arn:aws-eu:medical-imaging:us-east-1:123456789012:datastore/" + k_datastore,
          "arn:aws:medical-imaging:US-EAST-1:123456789012:datastore/" + k_datastore,
          "arn:aws:medical-imaging::123456789012:datastore/" + k_datastore,
          "arn:aws:medical-imaging:us-east-1:12345678901:datastore/" + k_datastore, arn_prefix + k_datastore + "\n",
          "x" + arn_prefix + k_datastore}},
        {"AwsAccountId, ImageSetExternalVersionId",
         "\\d+",
         {"0", "123456789012", repeated("9", 100)},
         {"", "12a", "-1", "1 ", " 1", "1\n", "1.0", "\xD9\xA1" /* ARABIC-INDIC DIGIT ONE */,
          "\xEF\xBC\x91" /* FULLWIDTH DIGIT ONE */, "1" + k_nul}},
        {"ClientToken",
         "[A-Za-z0-9._-]+",
         {"a", "A.b_c-9", "...", "-", "token-2023.07_19"},
         {"", "a b", "a/b", "a+b", "a:b", k_e_acute, "a" + k_nul, "a\n"}},
        {"DICOMSeriesInstanceUID, DICOMStudyInstanceUID",
         "[0-9.]+",
         {"1.2.840.10008.5.1.4.1.1.2", ".", "0", "1..2"},
         {"", "1.2.a", "1,2", "1.2 ", "1.2\n", "1.2" + k_nul, "1-2"}},
        {"DatastoreId, ImageFrameId, ImageSetId",
         "[0-9a-z]{32}",
         {k_datastore, std::string(32, '0'), std::string(32, 'z')},
         {"", std::string(31, 'a'), std::string(33, 'a'), std::string(31, 'a') + "A",
          std::string(31, 'a') + k_e_acute /* 32 characters, 33 bytes */,
          std::string(30, 'a') + k_e_acute /* 32 bytes */, std::string(31, 'a') + "/",
          std::string(15, 'a') + k_nul + std::string(16, 'a'), std::string(31, 'a') + "\n"}},
        {"DatastoreName, JobName",
         "[A-Za-z0-9._/#-]+",
         {"my-datastore", "a/b#c.d_e-f", "#", "Datastore.2023"},
         {"", "a b", "a:b", "a\\b", "a$", "a" + k_e_acute, "a\n", "a" + k_nul}},
        {"JobId",
         "[0-9a-z]+",
         {"a", "0", k_image_set, repeated("a", 64)},
         {"", "abc!", "ABC", "a-b", "a" + k_nul, "a\n", " a", "a" + k_e_acute}},
        {"KmsKeyArn",
         "arn:aws[a-zA-Z-]{0,16}:kms:[a-z]{2}(-[a-z]{1,16}){1,3}-\\d{1}:\\d{12}:((key/[a-fA-F0-9]{8}-[a-fA-F0-9]{4}-"
         "[a-fA-F0-9]{4}-[a-fA-F0-9]{4}-[a-fA-F0-9]{12})|(alias/[a-zA-Z0-9:/_-]{1,256}))",
         {kms_prefix + kms_key, kms_prefix + "key/1234ABCD-12AB-34CD-56EF-1234567890AB",
          kms_prefix + "alias/my/alias_name-1:x", kms_prefix + "alias/" + std::string(256, 'a'),
          "arn:aws-us-gov:kms:us-gov-west-1:123456789012:" + kms_key,
          "arn:aws:kms:ap-southeast-2:123456789012:" + kms_key,
          "arn:aws-abcdefghijklmno:kms:us-east-1:123456789012:" + kms_key /* 16 after aws */},
         {"", kms_prefix + "key/1234abcd-12ab-34cd-56ef-1234567890a",
          kms_prefix + "key/1234abcg-12ab-34cd-56ef-1234567890ab",
          kms_prefix + "alias/", kms_prefix + "alias/a b", kms_prefix + "alias/" + std::string(257, 'a'),
          "arn:aws:kms:us-east-1:12345678901:" + kms_key, "arn:aws:kms:us-east-12:123456789012:" + kms_key,
          "arn:aws:kms:useast-1:123456789012:" + kms_key, "arn:aws:kms:us-1:123456789012:" + kms_key,
          "arn:aws-abcdefghijklmnop:kms:us-east-1:123456789012:" + kms_key /* 17 after aws */,
          "arn:aws:kms:us-a-b-c-d-1:123456789012:" + kms_key /* four region words */, kms_prefix + kms_key + "\n"}},
        {"LambdaArn",
         "arn:(aws[a-zA-Z-]*)?:lambda:[a-z]{2}((-gov)|(-iso(b?)))?-[a-z]+-\\d{1}:\\d{12}:function:[a-zA-Z0-9-_]+(:("
         "\\$LATEST|[a-zA-Z0-9-_]+))?",
         {lambda_prefix + "my-function", lambda_prefix + "my_function:$LATEST", lambda_prefix + "f:prod",
          lambda_prefix + "f:1", "arn::lambda:us-east-1:123456789012:function:f" /* the partition is optional */,
          "arn:aws-us-gov:lambda:us-gov-west-1:123456789012:function:f",
          "arn:aws-iso-b:lambda:us-isob-east-1:123456789012:function:f"},
         {"", lambda_prefix, lambda_prefix + "f:", lambda_prefix + "f:$latest", lambda_prefix + "f.g",
          lambda_prefix + "f:a:b", "arn:aws:lambda:us-east-1:12345678901:function:f",
          "arn:aws:lambda:us-east-10:123456789012:function:f", "arn:aws:lambda:us-1:123456789012:function:f",
          "arn:aws:lambda:us-east-1:123456789012:function:f" + k_e_acute, lambda_prefix + "f\n"}},
        {"Message",
         "[\\w -:`]+",
         {"Hello, world: 1/2 - ok", "`code`", "a_b", " ", "!\"#$%&'()*+,-./", "a!"},
         {"", "a;", "a?", "a@", "[x]", "a~", "a" + k_e_acute, "a\n", "a\t", "a" + k_nul}},
        {"MetadataFilePath",
         "[a-zA-Z0-9!-~]+([a-zA-Z0-9!-~ ]*[a-zA-Z0-9!-~]+)*",
         {"a", "a b", "path/to/file.json", "~!", "a  b c", "x" + std::string(1000, ' ') + "y"},
         {"", " a", "a ", " ", "  ", "a\tb", "a\nb", k_e_acute, "a\x7F", "a" + k_nul}},
        {"NextToken",
         "\\p{ASCII}{0,8192}",
         {"", "abc", k_nul + "\x7F" + "\n\r\t", std::string(8192, 'a')},
         {std::string(8193, 'a'), k_e_acute, "\x80", "a\xFF"}},
        {"RoleArn",
         "arn:aws(-[^:]+)?:iam::[0-9]{12}:role/.+",
         {role_prefix + "MyRole", "arn:aws-us-gov:iam::123456789012:role/path/My Role", role_prefix + k_e_acute,
          role_prefix + k_grinning + k_euro, role_prefix + "a" + k_nul + "b" /* `.` takes NUL, as in Java */,
          "arn:aws-x\ny:iam::123456789012:role/r" /* [^:] takes a line break, as in Java */},
         {"", role_prefix, role_prefix + "a\nb", role_prefix + "a\r", role_prefix + "a" + k_line_separator + "b",
          role_prefix + "a" + k_paragraph_separator, role_prefix + "a" + k_next_line,
          "arn:aws-:iam::123456789012:role/r", "arn:aws-a:b:iam::123456789012:role/r",
          "arn:aws:iam::12345678901:role/r", "arn:aws:iam::123456789012:user/r", role_prefix + "\xC3",
          role_prefix + "a\xC2\n", role_prefix + "\xFF", role_prefix + "\xED\xA0\x80" /* a surrogate */}},
        {"S3Uri",
         "s3://[a-z0-9][\\.\\-a-z0-9]{1,61}[a-z0-9](/.*)?",
         {"s3://my-bucket", "s3://my-bucket/", "s3://my.bucket/path/to/key", "s3://abc/" + k_e_acute, "s3://a-b",
          "s3://" + std::string(63, 'a'), "s3://abc/a b"},
         {"", "s3://ab", "s3://-ab", "s3://abc-", "s3://ABC", "s3://abc/a\nb", "S3://abc", "s3://abc?x",
          "s3://" + std::string(64, 'a'), "s3://abc/" + k_line_separator, "s3://abc/\xC3"}},
        {"TagKey",
         "(?!aws:)[a-zA-Z+-=._:/]+",
         {"Name", "Aws:x", "AWS:x", "aws", "awsx:y", "aws-x", "a+b=c.d_e:f/g", "a,b", "123", "a<b", "a-b"},
         {"", "aws:x", "aws:", "a b", "a@b", "a>b", "a?b", "a" + k_e_acute, "a\nb", "a" + k_nul}},
    };
}

// Draws random values and returns the first on which `p` and `predicate` disagree. A value is a
// sequence of characters (each an alphabet entry, possibly several bytes): mostly `common` ones,
// with `rare` ones mixed in at a rate picked per value, so values near the boundary of the
// pattern are frequent; lengths are either one of `lengths` or uniform in 0..max_length.
struct random_values {
    std::vector<std::string> common;
    std::vector<std::string> rare;
    std::vector<std::size_t> lengths;
    std::size_t max_length = 40;
    std::size_t count = 20000;
    std::uint32_t seed = 20230719;
};

struct cross_check_result {
    std::optional<std::string> disagreement;
    std::size_t accepted = 0;  // values the predicate accepted: a check that accepts nothing proves little
    std::size_t refused = 0;
};

cross_check_result cross_check(const pattern& p, const std::function<bool(std::string_view)>& predicate,
                               const random_values& values) {
    std::mt19937 random(values.seed);
    const auto pick = [&random](std::size_t size) {
        return std::uniform_int_distribution<std::size_t>(0, size - 1)(random);
    };
    constexpr std::array<double, 4> k_rare_rates{0.0, 0.02, 0.1, 0.5};
    cross_check_result result;
    for (std::size_t n = 0; n < values.count; ++n) {
        const bool boundary_length = !values.lengths.empty() && pick(2) == 0;
        const std::size_t length =
            boundary_length ? values.lengths[pick(values.lengths.size())] : pick(values.max_length + 1);
        const double rare_rate = values.rare.empty() ? 0.0 : k_rare_rates[pick(k_rare_rates.size())];
        std::bernoulli_distribution rare(rare_rate);
        std::string value;
        for (std::size_t i = 0; i < length; ++i) {
            value += rare(random) ? values.rare[pick(values.rare.size())] : values.common[pick(values.common.size())];
        }
        const bool expected = predicate(value);
        if (p.matches(value) != expected) {
            result.disagreement = value;
            return result;
        }
        ++(expected ? result.accepted : result.refused);
    }
    return result;
}

bool is_lower_alnum(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z'); }

std::vector<std::string> lower_alnum_characters() {
    std::vector<std::string> out;
    for (char c = '0'; c <= '9'; ++c) out.emplace_back(1, c);
    for (char c = 'a'; c <= 'z'; ++c) out.emplace_back(1, c);
    return out;
}

}  // namespace

TEST_CASE("pattern: every pattern of the model translates and compiles, keeping its text") {
    for (const auto& model : model_patterns()) {
        INFO(model.shapes, ": ", model.documented);
        CHECK_NOTHROW(pattern{model.documented});
        const pattern p{model.documented};
        CHECK(p.documented() == model.documented);
        CHECK_FALSE(p.translated().empty());
    }
}

TEST_CASE("pattern: each model pattern accepts and refuses what its text says, over the whole value") {
    for (const auto& model : model_patterns()) {
        const pattern p{model.documented};
        for (const auto& value : model.matching) {
            INFO(model.shapes, " should match '", printable(value), "'; translated: ", p.translated());
            CHECK(p.matches(value));
        }
        for (const auto& value : model.not_matching) {
            INFO(model.shapes, " should not match '", printable(value), "'; translated: ", p.translated());
            CHECK_FALSE(p.matches(value));
        }
    }
}

TEST_CASE("pattern: translations of the simple patterns are what one would write by hand") {
    CHECK(pattern{"[0-9a-z]{32}"}.translated() == "[0-9a-z]{32}");
    CHECK(pattern{"\\d+"}.translated() == "[0-9]+");
    CHECK(pattern{"\\p{ASCII}{0,8192}"}.translated() == "[\\x00-\\x7F]{0,8192}");
    CHECK(pattern{"(?!aws:)[a-zA-Z+-=._:/]+"}.translated() == "(?!aws:)[\\+-\\=A-Z\\_a-z]+");
    // The exponential idiom, rewritten: first and last from [!-~], everything from [ -~].
    CHECK(pattern{"[a-zA-Z0-9!-~]+([a-zA-Z0-9!-~ ]*[a-zA-Z0-9!-~]+)*"}.translated() ==
          "[\\!-\\~](?:[\\x20-\\~]*[\\!-\\~])?");
}

TEST_CASE("pattern: '.' is any character but Java's line terminators") {
    const pattern dot{"."};
    const pattern dots{".+"};
    for (const auto& c : {"a"s, " "s, "\t"s, k_nul, "\x7F"s, k_e_acute, k_euro, k_grinning, "\xC2\x84"s,
                          "\xE2\x80\xA7"s, "\xE2\x80\xAA"s, "\xEF\xBF\xBF"s, "\xF4\x8F\xBF\xBF"s}) {
        INFO("'", printable(c), "'");
        CHECK(dot.matches(c));
        CHECK(dots.matches(c + c + c));
    }
    for (const auto& c : {"\n"s, "\r"s, "\r\n"s, k_next_line, k_line_separator, k_paragraph_separator}) {
        INFO("'", printable(c), "'");
        CHECK_FALSE(dot.matches(c));
        CHECK_FALSE(dots.matches("a" + c));
        CHECK_FALSE(dots.matches(c + "a"));
        CHECK_FALSE(dots.matches("a" + c + "b"));
    }
    CHECK_FALSE(dot.matches(""));
    CHECK_FALSE(dot.matches("ab"));  // one character, not one or more
    CHECK_FALSE(dot.matches(k_e_acute.substr(0, 1)));
}

TEST_CASE("pattern: \\w \\d \\s and \\p{...} classes are ASCII, as in Java") {
    const pattern word{"\\w+"};
    CHECK(word.matches("azAZ09_"));
    CHECK_FALSE(word.matches("a-b"));
    CHECK_FALSE(word.matches(k_e_acute));
    const pattern word_in_class{"[\\w.]+"};
    CHECK(word_in_class.matches("a.b_9"));
    CHECK_FALSE(word_in_class.matches("a-b"));
    CHECK(pattern{"\\W"}.matches("-"));
    CHECK(pattern{"\\W"}.matches(k_e_acute));
    CHECK_FALSE(pattern{"\\W"}.matches("_"));

    CHECK(pattern{"\\d{3}"}.matches("042"));
    CHECK_FALSE(pattern{"\\d"}.matches("\xD9\xA1"));
    CHECK(pattern{"[\\d-]+"}.matches("1-2"));
    CHECK(pattern{"\\D"}.matches("x"));
    CHECK_FALSE(pattern{"\\D"}.matches("7"));

    const pattern space{"\\s+"};
    CHECK(space.matches(" \t\n\x0B\f\r"));
    CHECK_FALSE(space.matches("\xC2\xA0"));  // NO-BREAK SPACE is not \s in Java's default mode
    CHECK_FALSE(space.matches(k_line_separator));
    CHECK(pattern{"\\h"}.matches("\xC2\xA0"));
    CHECK(pattern{"\\v"}.matches(k_line_separator));

    const pattern ascii{"\\p{ASCII}*"};
    CHECK(ascii.matches(k_nul + "\x01\x7F"));
    CHECK_FALSE(ascii.matches("\x80"));
    CHECK(pattern{"\\P{ASCII}"}.matches(k_euro));
    CHECK_FALSE(pattern{"\\P{ASCII}"}.matches("a"));
    CHECK(pattern{"\\p{Alpha}\\p{Digit}\\p{Punct}\\p{Upper}\\p{Lower}\\p{XDigit}\\p{Blank}"}.matches("a1!Zzf\t"));
    CHECK_FALSE(pattern{"\\p{Punct}"}.matches(" "));
    CHECK(pattern{"\\p{Print}"}.matches(" "));
    CHECK_FALSE(pattern{"\\p{Graph}"}.matches(" "));
    CHECK(pattern{"\\p{Cntrl}"}.matches(k_nul));
    CHECK(pattern{"[\\p{Lower}\\d]+"}.matches("a1"));
}

TEST_CASE("pattern: classes follow Java's rules for ranges, '-', ']' and negation") {
    const pattern tag{"[a-zA-Z+-=._:/]+"};
    for (char c = '+'; c <= '='; ++c) CHECK(tag.matches(std::string(1, c)));  // 0x2B..0x3D
    CHECK_FALSE(tag.matches("*"));
    CHECK_FALSE(tag.matches(">"));

    const pattern message{"[\\w -:`]+"};  // \w, then the range ' '..':', then '`'
    for (char c = ' '; c <= ':'; ++c) CHECK(message.matches(std::string(1, c)));
    CHECK_FALSE(message.matches(";"));

    const pattern lambda_name{"[a-zA-Z0-9-_]+"};  // '-' after a range is literal
    CHECK(lambda_name.matches("a-_"));
    CHECK_FALSE(lambda_name.matches("."));

    CHECK(pattern{"[a-]"}.matches("-"));
    CHECK(pattern{"[-a]"}.matches("-"));
    CHECK(pattern{"[\\w-:]+"}.matches("a-:"));  // after a class, '-' is literal
    CHECK_FALSE(pattern{"[\\w-:]"}.matches(";"));
    CHECK(pattern{"[]a]+"}.matches("]a"));
    CHECK(pattern{"[a[b-c]]+"}.matches("abc"));
    CHECK(pattern{"[\\^a]"}.matches("^"));
    CHECK(pattern{"[a^]"}.matches("^"));
    CHECK(pattern{"[\\x{1F600}-\\x{1F64F}]"}.matches(k_grinning));
    CHECK(pattern{"[" + k_e_acute + k_euro + "]+"}.matches(k_euro + k_e_acute));
    CHECK_FALSE(pattern{"[" + k_e_acute + k_euro + "]"}.matches("\xC3"));

    // A negated class is the complement over every character, line terminators and NUL included.
    const pattern not_colon{"[^:]"};
    for (const auto& c : {"a"s, "\n"s, "\r"s, k_nul, k_e_acute, k_line_separator, k_grinning}) {
        INFO("'", printable(c), "'");
        CHECK(not_colon.matches(c));
    }
    CHECK_FALSE(not_colon.matches(":"));
    CHECK_FALSE(not_colon.matches("ab"));  // one character, whatever its size
    CHECK(pattern{"[^\\n]"}.matches("\r"));
    CHECK_FALSE(pattern{"[^\\n]"}.matches("\n"));
}

TEST_CASE("pattern: one pattern character is one UTF-8 character, never a piece of one") {
    const pattern three{".{3}"};
    CHECK(three.matches(k_e_acute + k_euro + k_grinning));
    CHECK_FALSE(three.matches(k_grinning));  // 4 bytes, 1 character
    CHECK(pattern{"[^a]{2}"}.matches(k_grinning + k_euro));
    CHECK_FALSE(pattern{"[^a]{2}"}.matches(k_grinning));
    CHECK(pattern{"\\x{2028}"}.matches(k_line_separator));
    CHECK(pattern{k_e_acute + "+"}.matches(k_e_acute + k_e_acute));  // '+' repeats the character, not its last byte
    CHECK_FALSE(pattern{k_e_acute + "+"}.matches(k_e_acute + "\xA9"));
}

TEST_CASE("pattern: a value that is not well-formed UTF-8 matches no pattern") {
    const std::vector<std::string> malformed{
        "\x80",                   // a continuation byte alone
        "\xC3",                   // a truncated 2-byte sequence
        "\xC3\x28",               // a lead byte before ASCII
        "\xC2\n",                 // ... before a line break
        "\xC0\xAF",               // an overlong '/'
        "\xE0\x80\xAF",           // an overlong '/' in 3 bytes
        "\xED\xA0\x80",           // a surrogate
        "\xF4\x90\x80\x80",       // beyond U+10FFFF
        "\xF5\x80\x80\x80", "\xFE", "\xFF",
        "\xE2\x82",               // a truncated euro sign
    };
    for (const auto& documented : {".*", "[^:]*", "\\P{ASCII}*", "(?:.|\\n)*", "\\W*", "\\S*"}) {
        const pattern p{documented};
        for (const auto& bad : malformed) {
            INFO(documented, " on '", printable(bad), "'");
            CHECK_FALSE(p.matches(bad));
            CHECK_FALSE(p.matches("a" + bad + "a"));
        }
        CHECK(p.matches(k_e_acute + k_euro + k_grinning));
    }
}

TEST_CASE("pattern: each single byte against '.', [^:] and \\p{ASCII}") {
    const pattern dot{"."};
    const pattern not_colon{"[^:]"};
    const pattern ascii{"\\p{ASCII}"};
    for (unsigned b = 0; b < 256; ++b) {
        const std::string value(1, static_cast<char>(b));
        INFO("byte ", b);
        CHECK(dot.matches(value) == (b < 0x80 && b != '\n' && b != '\r'));
        CHECK(not_colon.matches(value) == (b < 0x80 && b != ':'));
        CHECK(ascii.matches(value) == (b < 0x80));
    }
}

TEST_CASE("pattern: anchors, quantifier forms, lookahead, alternation, escapes and quoting") {
    CHECK(pattern{"^abc$"}.matches("abc"));
    CHECK(pattern{"abc$\\n"}.matches("abc\n"));  // Java's $ holds before a final line terminator
    CHECK_FALSE(pattern{"a$b"}.matches("ab"));
    CHECK(pattern{"\\Aa\\z"}.matches("a"));

    CHECK(pattern{"a{2,}"}.matches("aaaa"));
    CHECK_FALSE(pattern{"a{2,}"}.matches("a"));
    CHECK(pattern{"a{2,3}?"}.matches("aaa"));
    CHECK(pattern{"a{2}"}.matches("aa"));
    CHECK_FALSE(pattern{"a{2}"}.matches("aaa"));
    CHECK(pattern{"a+?b"}.matches("aab"));
    CHECK_FALSE(pattern{"a*+a"}.matches("aa"));  // possessive: gives nothing back
    CHECK(pattern{"(?>a*)b"}.matches("aab"));
    CHECK(pattern{"(?:ab)+"}.matches("abab"));
    CHECK(pattern{"(?<word>ab)+"}.matches("abab"));

    CHECK(pattern{"(?=a)\\w+"}.matches("ab"));
    CHECK_FALSE(pattern{"(?=a)\\w+"}.matches("ba"));
    CHECK(pattern{"(?!aws:).+"}.matches("awsx"));
    CHECK_FALSE(pattern{"(?!aws:).+"}.matches("aws:"));

    CHECK(pattern{"a|ab"}.matches("ab"));  // a whole-value match, whichever alternative gets there
    CHECK(pattern{"(a|)b"}.matches("b"));
    CHECK(pattern{""}.matches(""));
    CHECK_FALSE(pattern{""}.matches("a"));

    CHECK(pattern{"\\$\\.\\-\\\\\\[\\]\\{\\}\\(\\)\\*\\+\\?\\|\\^"}.matches("$.-\\[]{}()*+?|^"));
    CHECK(pattern{"]}"}.matches("]}"));
    CHECK(pattern{"\\t\\n\\r\\f\\a\\e\\x41\\u0042\\x{43}\\0104\\cA"}.matches("\t\n\r\f\x07\x1B" "ABCD\x01"));
    CHECK(pattern{"\\uD83D\\uDE00"}.matches(k_grinning));
    CHECK(pattern{"\\Qa.b*\\E+"}.matches("a.b**"));
    CHECK_FALSE(pattern{"\\Qa.b\\E"}.matches("axb"));
    CHECK(pattern{"a#b c"}.matches("a#b c"));  // no comments mode: '#' and ' ' are literal
}

TEST_CASE("pattern: constructs the translation does not know are refused, naming the pattern") {
    for (const auto& documented :
         {"\\p{L}+", "\\p{IsLatin}", "\\pL", "\\b", "\\B", "\\R", "\\X", "\\G", "\\y", "(?i)abc", "(?i:abc)",
          "(?<=a)b", "(?<!a)b", "(a)\\1", "[a&&b]", "[^a[b]]", "[a-\\d]", "[z-a]", "a{", "a{,3}", "a{3,2}", "*a",
          "a**", "a+*", "(a", "a)", "[a", "[]", "\\", "\\x4", "\\x{110000}", "\\uD800", "\\k<n>", "(?=a)*",
          "^*", "[\\Qa\\E]", "a{1000000}", "\xC3"}) {
        INFO("'", printable(documented), "'");
        try {
            const pattern p{documented};
            FAIL("accepted; translated: ", p.translated());
        } catch (const std::invalid_argument& e) {
            CHECK(std::string_view(e.what()).find("pattern \"" + std::string(documented) + "\"") !=
                  std::string_view::npos);
        }
    }
}

TEST_CASE("pattern: values up to 10,000 bytes never throw and take no pathological time") {
    const auto started = std::chrono::steady_clock::now();
    const std::vector<std::string> fillers{"a", " ", ":", "-", "0", k_e_acute, k_grinning, "\n", "\xFF", "a "};
    for (const auto& model : model_patterns()) {
        const pattern p{model.documented};
        std::vector<std::string> values;
        for (const auto& filler : fillers) {
            const std::string fill = repeated(filler, 10000 / filler.size());
            values.push_back(fill);
            values.push_back(fill.substr(0, 9999) + "\x01");
            for (const auto& example : model.matching) {
                if (example.size() >= 10000) continue;
                values.push_back(example + fill.substr(0, 10000 - example.size()));
                values.push_back(fill.substr(0, 10000 - example.size()) + example);
            }
        }
        for (const auto& value : values) {
            INFO(model.shapes, " on ", value.size(), " bytes starting '", printable(value.substr(0, 40)), "'");
            CHECK_NOTHROW(static_cast<void>(p.matches(value)));
        }
    }
    // Long values that match: Boost must not give up (matches() would then say false).
    CHECK(pattern{"arn:aws(-[^:]+)?:iam::[0-9]{12}:role/.+"}.matches("arn:aws:iam::123456789012:role/" +
                                                                      repeated(k_grinning, 2400)));
    CHECK(pattern{"arn:aws(-[^:]+)?:iam::[0-9]{12}:role/.+"}.matches("arn:aws-" + repeated("x", 9000) +
                                                                      ":iam::123456789012:role/" + repeated("r", 900)));
    CHECK(pattern{"s3://[a-z0-9][\\.\\-a-z0-9]{1,61}[a-z0-9](/.*)?"}.matches("s3://abc/" + repeated(k_euro, 3300)));
    CHECK(pattern{"[a-zA-Z0-9!-~]+([a-zA-Z0-9!-~ ]*[a-zA-Z0-9!-~]+)*"}.matches(repeated("a ", 4999) + "a"));
    // The near miss that makes the documented MetadataFilePath form backtrack exponentially.
    CHECK_FALSE(pattern{"[a-zA-Z0-9!-~]+([a-zA-Z0-9!-~ ]*[a-zA-Z0-9!-~]+)*"}.matches(repeated("a", 9999) + "\x01"));
    CHECK_FALSE(pattern{"[a-zA-Z0-9!-~]+([a-zA-Z0-9!-~ ]*[a-zA-Z0-9!-~]+)*"}.matches(repeated("a ", 5000)));
    const auto elapsed = std::chrono::steady_clock::now() - started;
    // Linear work takes milliseconds even unoptimized; exponential work would take forever.
    CHECK(elapsed < std::chrono::seconds(20));
}

TEST_CASE("pattern: the MetadataFilePath rewrite accepts exactly the documented strings") {
    const pattern path{"[a-zA-Z0-9!-~]+([a-zA-Z0-9!-~ ]*[a-zA-Z0-9!-~]+)*"};
    // Printable ASCII, first and last not a space.
    const auto predicate = [](std::string_view s) {
        return !s.empty() && s.front() != ' ' && s.back() != ' ' &&
               std::all_of(s.begin(), s.end(), [](char c) { return c >= ' ' && c <= '~'; });
    };
    const auto result = cross_check(path, predicate,
                                    {.common = {"a", "Z", "0", "!", "~", "/", " "},
                                     .rare = {"\t", "\x7F", k_nul, k_e_acute, "\n"},
                                     .lengths = {0, 1, 2, 3},
                                     .max_length = 12});
    CHECK_MESSAGE(!result.disagreement, "disagreement on '", printable(result.disagreement.value_or("")), "'");
    CHECK(result.accepted > 1000);
    CHECK(result.refused > 1000);

    // The documented form run as written (the extra group keeps it from being rewritten): on
    // short values its exponential backtracking is affordable, and Boost itself is the judge.
    const pattern as_written{"[a-zA-Z0-9!-~]+((?:[a-zA-Z0-9!-~ ]*[a-zA-Z0-9!-~]+))*"};
    REQUIRE(as_written.translated() != path.translated());
    const auto against_boost = cross_check(path, [&as_written](std::string_view s) { return as_written.matches(s); },
                                           {.common = {"a", "~", " "}, .rare = {"\t", k_e_acute},
                                            .lengths = {1, 2, 3}, .max_length = 10, .seed = 7});
    CHECK_MESSAGE(!against_boost.disagreement, "disagreement on '",
                  printable(against_boost.disagreement.value_or("")), "'");
    CHECK(against_boost.accepted > 1000);
}

TEST_CASE("pattern: randomized cross-check of the DatastoreId and JobId fast paths") {
    // The model for "a fast path cross-checked against the pattern": shapes.cpp matches these
    // by hand on every request; here the pattern is the reference.
    const auto datastore_id = [](std::string_view s) {
        return s.size() == 32 && std::all_of(s.begin(), s.end(), is_lower_alnum);
    };
    const auto job_id = [](std::string_view s) {
        return !s.empty() && std::all_of(s.begin(), s.end(), is_lower_alnum);
    };
    const random_values values{.common = lower_alnum_characters(),
                               .rare = {"A", "Z", "-", "/", "%", k_nul, k_e_acute, "\n"},
                               .lengths = {0, 1, 31, 32, 33},
                               .max_length = 40,
                               .count = 20000};

    const auto datastore = cross_check(pattern{"[0-9a-z]{32}"}, datastore_id, values);
    CHECK_MESSAGE(!datastore.disagreement, "DatastoreId disagreement on '",
                  printable(datastore.disagreement.value_or("")), "'");
    CHECK(datastore.accepted > 500);
    CHECK(datastore.refused > 1000);

    const auto job = cross_check(pattern{"[0-9a-z]+"}, job_id, values);
    CHECK_MESSAGE(!job.disagreement, "JobId disagreement on '", printable(job.disagreement.value_or("")), "'");
    CHECK(job.accepted > 1000);
    CHECK(job.refused > 1000);
}

TEST_CASE("pattern: moves keep the compiled pattern") {
    pattern a{"[0-9a-z]+"};
    pattern b{std::move(a)};
    CHECK(b.matches("abc"));
    CHECK(b.documented() == "[0-9a-z]+");
    pattern c{"\\d+"};
    c = std::move(b);
    CHECK(c.matches("abc"));
    CHECK_FALSE(c.matches("ABC"));
    CHECK(c.translated() == "[0-9a-z]+");
}

TEST_CASE("pattern: matches() from several threads at once") {
    const pattern role{"arn:aws(-[^:]+)?:iam::[0-9]{12}:role/.+"};
    const std::string good = "arn:aws:iam::123456789012:role/" + k_e_acute;
    const std::string bad = "arn:aws:iam::123456789012:role/a\n";
    std::atomic<int> wrong{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&] {
            for (int i = 0; i < 2000; ++i) {
                if (!role.matches(good) || role.matches(bad)) wrong.fetch_add(1);
            }
        });
    }
    for (auto& thread : threads) thread.join();
    CHECK(wrong.load() == 0);
}
