#include "api/pattern.hpp"

#include <boost/regex.hpp>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <locale>
#include <optional>
#include <stdexcept>
#include <utility>
#include <vector>

// How a documented pattern becomes a Boost regex. The model's patterns are java.util.regex
// patterns that the service applies with Matcher.matches(), i.e. to the whole value, one
// Unicode code point at a time. Boost sees bytes, so:
//
//  - The pattern is parsed into a tree whose leaves are sets of Unicode scalar values, and
//    each leaf is written as the alternation of the UTF-8 byte sequences of its members. A
//    leaf therefore consumes one whole, well-formed UTF-8 character and never a piece of
//    one: no class can take a NUL, a line break or a lone lead byte it does not name, and a
//    value that is not well-formed UTF-8 (stray continuation bytes, overlong forms,
//    surrogates, truncated sequences) matches no pattern at all. Java would have decoded
//    such bytes to U+FFFD first; refusing them is the one deliberate difference.
//  - `.` is every scalar value but Java's line terminators \n \r U+0085 U+2028 U+2029.
//  - \d \w \s \h \v (and \D \W \S \H \V) and the POSIX \p{ASCII} \p{Alpha} ... classes have
//    their meaning in Java without UNICODE_CHARACTER_CLASS: \d \w \s are ASCII. The Unicode
//    \p{...} properties, scripts and blocks are refused rather than guessed.
//  - [...] follows Java: ranges by code point (`+-=` in [a-zA-Z+-=._:/] is 0x2B..0x3D), a `-`
//    that cannot end a range is literal, a `]` first is literal, a nested [...] is a union,
//    and [^...] is the complement over all scalar values, so [^:] matches \n as in Java.
//    Intersections (&&) are refused.
//  - Groups become non-capturing (only the verdict is wanted); (?=) (?!) (?>) are kept;
//    lookbehind, inline flags and back references are refused. Quantifiers ? * + {n} {n,}
//    {n,m} and their lazy (?) and possessive (+) forms are kept.
//  - ^ \A are the start, \z the end, and $ \Z Java's end: the end, or before a final line
//    terminator.
//  - Every literal is written escaped or as \xHH, so no byte means anything to Boost but
//    itself; Boost's own classes, case folding and collation are never used, so the locale
//    plays no part (the classic one is imbued regardless).
//  - X+(Y*X+)* with single-character sets X ⊆ Y (MetadataFilePath) backtracks exponentially
//    on a near miss, so it is rewritten as X(?:Y*X)?, which accepts the same strings (first
//    and last from X, all from Y) in linear time.

namespace hil::api {
namespace {

constexpr std::uint32_t k_max_scalar = 0x10FFFF;
constexpr std::uint32_t k_first_surrogate = 0xD800;
constexpr std::uint32_t k_last_surrogate = 0xDFFF;
// Java takes any int as a repetition count; models use a few thousand at most, and a bound keeps
// the counts far from any overflow in Boost.
constexpr std::size_t k_max_repeat = 100000;

struct scalar_range {
    std::uint32_t first;
    std::uint32_t last;
    bool operator==(const scalar_range&) const = default;
};

// A set of Unicode scalar values (surrogates are never members: UTF-8 cannot carry them).
class scalar_set {
public:
    static scalar_set of(std::uint32_t c) { return between(c, c); }
    static scalar_set between(std::uint32_t first, std::uint32_t last) {
        scalar_set s;
        s.add(first, last);
        return s;
    }

    void add(std::uint32_t first, std::uint32_t last) {
        if (first > last) return;
        if (first <= k_last_surrogate && last >= k_first_surrogate) {
            if (first < k_first_surrogate) ranges_.push_back({first, k_first_surrogate - 1});
            if (last > k_last_surrogate) ranges_.push_back({k_last_surrogate + 1, last});
        } else {
            ranges_.push_back({first, last});
        }
        normalize();
    }
    void add(const scalar_set& other) {
        ranges_.insert(ranges_.end(), other.ranges_.begin(), other.ranges_.end());
        normalize();
    }
    scalar_set complement() const {
        scalar_set out;
        std::uint32_t next = 0;
        for (const auto& r : ranges_) {
            if (r.first > next) out.add(next, r.first - 1);
            next = r.last + 1;
        }
        if (next <= k_max_scalar) out.add(next, k_max_scalar);
        return out;
    }
    bool includes(const scalar_set& other) const {
        scalar_set both = *this;
        both.add(other);
        return both == *this;
    }
    bool empty() const { return ranges_.empty(); }
    const std::vector<scalar_range>& ranges() const { return ranges_; }
    bool operator==(const scalar_set&) const = default;

private:
    void normalize() {
        std::sort(ranges_.begin(), ranges_.end(),
                  [](const scalar_range& a, const scalar_range& b) { return a.first < b.first; });
        std::vector<scalar_range> merged;
        for (const auto& r : ranges_) {
            if (!merged.empty() && r.first <= merged.back().last + 1) {
                merged.back().last = std::max(merged.back().last, r.last);
            } else {
                merged.push_back(r);
            }
        }
        ranges_ = std::move(merged);
    }

    std::vector<scalar_range> ranges_;  // sorted, disjoint, not adjacent
};

// The ASCII meanings Java gives these classes without UNICODE_CHARACTER_CLASS.
scalar_set digit_set() { return scalar_set::between('0', '9'); }
scalar_set word_set() {
    scalar_set s = scalar_set::between('a', 'z');
    s.add('A', 'Z');
    s.add('0', '9');
    s.add('_', '_');
    return s;
}
scalar_set space_set() {
    scalar_set s = scalar_set::between('\t', '\r');  // \t \n \x0B \f \r
    s.add(' ', ' ');
    return s;
}
scalar_set horizontal_space_set() {
    scalar_set s = scalar_set::of(' ');
    for (const std::uint32_t c : {0x09u, 0xA0u, 0x1680u, 0x180Eu, 0x202Fu, 0x205Fu, 0x3000u}) s.add(c, c);
    s.add(0x2000, 0x200A);
    return s;
}
scalar_set line_terminator_set() {
    scalar_set s = scalar_set::of('\n');
    for (const std::uint32_t c : {0x0Du, 0x85u, 0x2028u, 0x2029u}) s.add(c, c);
    return s;
}
scalar_set vertical_space_set() {
    scalar_set s = line_terminator_set();
    s.add(0x0B, 0x0C);
    return s;
}
scalar_set punct_set() {
    scalar_set s = scalar_set::between('!', '/');
    s.add(':', '@');
    s.add('[', '`');
    s.add('{', '~');
    return s;
}

// Java's POSIX character classes (US-ASCII only); the Unicode properties are not here.
std::optional<scalar_set> posix_class(std::string_view name) {
    const auto lower = scalar_set::between('a', 'z');
    const auto upper = scalar_set::between('A', 'Z');
    auto alpha = lower;
    alpha.add(upper);
    auto alnum = alpha;
    alnum.add(digit_set());
    auto graph = alnum;
    graph.add(punct_set());
    if (name == "ASCII") return scalar_set::between(0x00, 0x7F);
    if (name == "Lower") return lower;
    if (name == "Upper") return upper;
    if (name == "Alpha") return alpha;
    if (name == "Digit") return digit_set();
    if (name == "Alnum") return alnum;
    if (name == "Punct") return punct_set();
    if (name == "Graph") return graph;
    if (name == "Print") {
        graph.add(' ', ' ');
        return graph;
    }
    if (name == "Blank") {
        auto blank = scalar_set::of(' ');
        blank.add('\t', '\t');
        return blank;
    }
    if (name == "Cntrl") {
        auto cntrl = scalar_set::between(0x00, 0x1F);
        cntrl.add(0x7F, 0x7F);
        return cntrl;
    }
    if (name == "XDigit") {
        auto xdigit = digit_set();
        xdigit.add('a', 'f');
        xdigit.add('A', 'F');
        return xdigit;
    }
    if (name == "Space") return space_set();
    return std::nullopt;
}

enum class quantifier_mode { greedy, lazy, possessive };
enum class group_kind { plain, lookahead, negative_lookahead, atomic };

// The parsed pattern. Leaves are character sets; zero-width anchors carry their Boost text.
struct node {
    enum class kind { characters, sequence, alternation, repeat, group, anchor };
    kind type = kind::sequence;
    scalar_set characters;       // kind::characters
    std::vector<node> children;  // sequence and alternation members; repeat and group: the operand
    std::size_t min = 0;                     // kind::repeat
    std::optional<std::size_t> max;          // kind::repeat; none = unbounded
    quantifier_mode mode = quantifier_mode::greedy;
    group_kind group = group_kind::plain;    // kind::group
    std::string anchor;                      // kind::anchor

    static node chars(scalar_set s) {
        node n;
        n.type = kind::characters;
        n.characters = std::move(s);
        return n;
    }
    static node wrap(kind k, node operand) {
        node n;
        n.type = k;
        n.children.push_back(std::move(operand));
        return n;
    }
    static node repeat(node operand, std::size_t at_least, std::optional<std::size_t> at_most, quantifier_mode how) {
        node n = wrap(kind::repeat, std::move(operand));
        n.min = at_least;
        n.max = at_most;
        n.mode = how;
        return n;
    }
    static node anchor_text(std::string text) {
        node n;
        n.type = kind::anchor;
        n.anchor = std::move(text);
        return n;
    }
};

// Java's end of input "but for the final terminator", never between \r and \n.
constexpr std::string_view k_java_end = "(?=(?:\\r\\n|(?<!\\r)\\n|\\r|\\xC2\\x85|\\xE2\\x80[\\xA8\\xA9])?\\z)";

bool is_ascii_letter(std::uint32_t c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_ascii_digit(std::uint32_t c) { return c >= '0' && c <= '9'; }
std::optional<std::uint32_t> hex_value(std::uint32_t c) {
    if (is_ascii_digit(c)) return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return std::nullopt;
}

// Decodes the documented text; the pattern itself must be well-formed UTF-8.
std::optional<std::vector<std::uint32_t>> decode_utf8(std::string_view text) {
    std::vector<std::uint32_t> out;
    for (std::size_t i = 0; i < text.size();) {
        const auto lead = static_cast<unsigned char>(text[i]);
        std::size_t length = 0;
        std::uint32_t c = 0;
        if (lead < 0x80) {
            length = 1;
            c = lead;
        } else if (lead >= 0xC2 && lead <= 0xDF) {
            length = 2;
            c = lead & 0x1Fu;
        } else if (lead >= 0xE0 && lead <= 0xEF) {
            length = 3;
            c = lead & 0x0Fu;
        } else if (lead >= 0xF0 && lead <= 0xF4) {
            length = 4;
            c = lead & 0x07u;
        } else {
            return std::nullopt;
        }
        if (i + length > text.size()) return std::nullopt;
        for (std::size_t k = 1; k < length; ++k) {
            const auto continuation = static_cast<unsigned char>(text[i + k]);
            if ((continuation & 0xC0u) != 0x80u) return std::nullopt;
            c = (c << 6) | (continuation & 0x3Fu);
        }
        constexpr std::array<std::uint32_t, 5> k_smallest{0, 0, 0x80, 0x800, 0x10000};
        if (c < k_smallest[length] || c > k_max_scalar || (c >= k_first_surrogate && c <= k_last_surrogate)) {
            return std::nullopt;
        }
        out.push_back(c);
        i += length;
    }
    return out;
}

// A recursive-descent parser of the java.util.regex syntax the translation knows; anything
// else is refused with the offset (in characters) where it starts.
class java_pattern_parser {
public:
    explicit java_pattern_parser(std::string_view documented) : documented_(documented) {
        auto decoded = decode_utf8(documented);
        if (!decoded) fail("the pattern is not well-formed UTF-8");
        text_ = std::move(*decoded);
    }

    node parse() {
        node root = parse_alternation();
        if (!at_end()) fail("unmatched ')'");
        return root;
    }

private:
    [[noreturn]] void fail(std::string_view reason) const {
        throw std::invalid_argument("pattern \"" + std::string(documented_) + "\": " + std::string(reason) +
                                    " at offset " + std::to_string(pos_));
    }
    bool at_end() const { return pos_ >= text_.size(); }
    bool next_is(std::uint32_t c, std::size_t ahead = 0) const {
        return pos_ + ahead < text_.size() && text_[pos_ + ahead] == c;
    }
    std::uint32_t take() {
        if (at_end()) fail("the pattern ends too early");
        return text_[pos_++];
    }

    node parse_alternation() {
        node first = parse_sequence();
        if (!next_is('|')) return first;
        node alternation;
        alternation.type = node::kind::alternation;
        alternation.children.push_back(std::move(first));
        while (next_is('|')) {
            ++pos_;
            alternation.children.push_back(parse_sequence());
        }
        return alternation;
    }

    node parse_sequence() {
        node sequence;
        sequence.type = node::kind::sequence;
        while (!at_end() && !next_is('|') && !next_is(')')) {
            std::optional<node> quoted_last;
            if (next_is('\\') && next_is('Q', 1)) {
                auto quoted = parse_quoted();
                if (quoted.empty()) continue;
                // As in Java, a quantifier after \E applies to the last quoted character.
                quoted_last = std::move(quoted.back());
                quoted.pop_back();
                for (auto& literal : quoted) sequence.children.push_back(std::move(literal));
            }
            sequence.children.push_back(parse_quantified(quoted_last ? std::move(*quoted_last) : parse_atom()));
        }
        if (sequence.children.size() == 1) return std::move(sequence.children.front());
        return sequence;
    }

    // \Q...\E: every character literal up to \E or the end.
    std::vector<node> parse_quoted() {
        pos_ += 2;
        std::vector<node> literals;
        while (!at_end() && !(next_is('\\') && next_is('E', 1))) {
            literals.push_back(node::chars(scalar_set::of(take())));
        }
        if (!at_end()) pos_ += 2;
        return literals;
    }

    node parse_atom() {
        const std::uint32_t c = take();
        switch (c) {
            case '(': return parse_group();
            case '[': return node::chars(parse_class());
            case '.': return node::chars(line_terminator_set().complement());
            case '^': return node::anchor_text("\\A");
            case '$': return node::anchor_text(std::string(k_java_end));
            case '\\': return parse_escape_outside_class();
            case '*':
            case '+':
            case '?':
            case '{': --pos_; fail("a quantifier follows nothing");
            default: return node::chars(scalar_set::of(c));
        }
    }

    node parse_group() {
        group_kind kind = group_kind::plain;
        if (next_is('?')) {
            ++pos_;
            const std::uint32_t c = take();
            if (c == ':') {
                kind = group_kind::plain;
            } else if (c == '=') {
                kind = group_kind::lookahead;
            } else if (c == '!') {
                kind = group_kind::negative_lookahead;
            } else if (c == '>') {
                kind = group_kind::atomic;
            } else if (c == '<' && !next_is('=') && !next_is('!')) {
                // A named group: the name is irrelevant once groups capture nothing.
                if (at_end() || !is_ascii_letter(text_[pos_])) fail("a group name must start with a letter");
                while (!at_end() && (is_ascii_letter(text_[pos_]) || is_ascii_digit(text_[pos_]))) ++pos_;
                if (take() != '>') fail("a group name must end with '>'");
            } else if (c == '<') {
                --pos_;
                fail("lookbehind is not supported");
            } else {
                --pos_;
                fail("inline flags and this group construct are not supported");
            }
        }
        node group = node::wrap(node::kind::group, parse_alternation());
        group.group = kind;
        if (take() != ')') fail("unmatched '('");
        return group;
    }

    // The atom, or its repetition when a quantifier follows.
    node parse_quantified(node atom) {
        if (at_end()) return atom;
        std::size_t min = 0;
        std::optional<std::size_t> max;
        const std::uint32_t c = text_[pos_];
        if (c == '?') {
            max = 1;
        } else if (c == '*') {
        } else if (c == '+') {
            min = 1;
        } else if (c == '{') {
            ++pos_;
            min = parse_count();
            if (next_is(',')) {
                ++pos_;
                if (!next_is('}')) max = parse_count();
            } else {
                max = min;
            }
            if (!next_is('}')) fail("a '{' must be a repetition {n}, {n,} or {n,m}");
            if (max && *max < min) fail("a repetition's maximum is below its minimum");
        } else {
            return atom;
        }
        ++pos_;
        if (atom.type == node::kind::anchor ||
            (atom.type == node::kind::group && atom.group != group_kind::plain && atom.group != group_kind::atomic)) {
            fail("an assertion cannot be repeated");
        }
        quantifier_mode mode = quantifier_mode::greedy;
        if (next_is('?')) {
            mode = quantifier_mode::lazy;
            ++pos_;
        } else if (next_is('+')) {
            mode = quantifier_mode::possessive;
            ++pos_;
        }
        if (next_is('?') || next_is('*') || next_is('+') || next_is('{')) fail("a quantifier follows a quantifier");
        return node::repeat(std::move(atom), min, max, mode);
    }

    std::size_t parse_count() {
        if (at_end() || !is_ascii_digit(text_[pos_])) fail("a repetition count must be a number");
        std::size_t count = 0;
        while (!at_end() && is_ascii_digit(text_[pos_])) {
            count = count * 10 + (text_[pos_++] - '0');
            if (count > k_max_repeat) fail("a repetition count is too large");
        }
        return count;
    }

    node parse_escape_outside_class() {
        const std::uint32_t c = take();
        switch (c) {
            case 'A': return node::anchor_text("\\A");
            case 'z': return node::anchor_text("\\z");
            case 'Z': return node::anchor_text(std::string(k_java_end));
            default: break;
        }
        if (c >= '1' && c <= '9') {
            --pos_;
            fail("back references are not supported");
        }
        --pos_;
        return node::chars(parse_escape_body());
    }

    // The escapes that denote characters or classes, valid inside and outside [...]; pos_ is
    // just past the backslash.
    scalar_set parse_escape_body() {
        const std::size_t start = pos_;
        const std::uint32_t c = take();
        if (!is_ascii_letter(c) && !is_ascii_digit(c)) return scalar_set::of(c);
        switch (c) {
            case 't': return scalar_set::of('\t');
            case 'n': return scalar_set::of('\n');
            case 'r': return scalar_set::of('\r');
            case 'f': return scalar_set::of('\f');
            case 'a': return scalar_set::of(0x07);
            case 'e': return scalar_set::of(0x1B);
            case 'c': return scalar_set::of(take() ^ 0x40u);
            case '0': return scalar_set::of(parse_octal());
            case 'x': return scalar_set::of(parse_hex_escape());
            case 'u': return scalar_set::of(parse_unicode_escape());
            case 'd': return digit_set();
            case 'D': return digit_set().complement();
            case 'w': return word_set();
            case 'W': return word_set().complement();
            case 's': return space_set();
            case 'S': return space_set().complement();
            case 'h': return horizontal_space_set();
            case 'H': return horizontal_space_set().complement();
            case 'v': return vertical_space_set();
            case 'V': return vertical_space_set().complement();
            case 'p': return parse_property();
            case 'P': return parse_property().complement();
            default: break;
        }
        pos_ = start;
        fail(std::string("the escape \\") + static_cast<char>(c) + " is not supported");
    }

    std::uint32_t parse_octal() {
        // \0n, \0nn, \0mnn with m <= 3.
        std::uint32_t value = 0;
        std::size_t digits = 0;
        while (digits < 3 && !at_end() && text_[pos_] >= '0' && text_[pos_] <= '7') {
            const std::uint32_t next = value * 8 + (text_[pos_] - '0');
            if (next > 0xFF) break;
            value = next;
            ++pos_;
            ++digits;
        }
        if (digits == 0) fail("\\0 must be followed by an octal digit");
        return value;
    }

    std::uint32_t parse_hex_digits(std::size_t count) {
        std::uint32_t value = 0;
        for (std::size_t i = 0; i < count; ++i) {
            const auto digit = at_end() ? std::nullopt : hex_value(text_[pos_]);
            if (!digit) fail("a hexadecimal escape needs hexadecimal digits");
            value = value * 16 + *digit;
            ++pos_;
        }
        return value;
    }

    std::uint32_t parse_hex_escape() {
        if (!next_is('{')) return parse_hex_digits(2);
        ++pos_;
        std::uint32_t value = 0;
        std::size_t digits = 0;
        while (!at_end() && hex_value(text_[pos_])) {
            value = value * 16 + *hex_value(text_[pos_++]);
            if (++digits > 6 || value > k_max_scalar) fail("\\x{...} is beyond U+10FFFF");
        }
        if (digits == 0 || take() != '}') fail("\\x{...} needs hexadecimal digits and a '}'");
        if (value >= k_first_surrogate && value <= k_last_surrogate) fail("a surrogate is not a character");
        return value;
    }

    // \uhhhh; a surrogate pair written as two escapes is one character, as in Java.
    std::uint32_t parse_unicode_escape() {
        const std::uint32_t unit = parse_hex_digits(4);
        if (unit >= 0xD800 && unit <= 0xDBFF && next_is('\\') && next_is('u', 1)) {
            pos_ += 2;
            const std::uint32_t low = parse_hex_digits(4);
            if (low >= 0xDC00 && low <= 0xDFFF) return 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00);
        }
        if (unit >= k_first_surrogate && unit <= k_last_surrogate) fail("a lone surrogate is not a character");
        return unit;
    }

    scalar_set parse_property() {
        if (!next_is('{')) fail("only \\p{Name} with a POSIX class name is supported");
        ++pos_;
        const std::size_t name_start = pos_;
        while (!at_end() && text_[pos_] != '}') ++pos_;
        if (at_end()) fail("\\p{ lacks its '}'");
        std::string name;
        for (std::size_t i = name_start; i < pos_; ++i) {
            if (text_[i] > 0x7F) fail("a \\p{...} name is ASCII");
            name.push_back(static_cast<char>(text_[i]));
        }
        if (auto set = posix_class(name)) {
            ++pos_;
            return *set;
        }
        pos_ = name_start;
        fail("\\p{" + name + "} is not a POSIX class the translation knows (Unicode properties are not supported)");
    }

    // Just past the '['.
    scalar_set parse_class() {
        const bool negated = next_is('^');
        if (negated) ++pos_;
        scalar_set members;
        bool first = true;
        while (true) {
            if (at_end()) fail("unterminated '['");
            const std::uint32_t c = text_[pos_];
            if (c == ']' && !first) {
                ++pos_;
                break;
            }
            first = false;
            if (c == '[') {
                // Java 8 and 9+ disagree on what a negation covers once classes nest.
                if (negated) fail("a nested class inside a negated class is not supported");
                ++pos_;
                members.add(parse_class());
                continue;
            }
            if (c == '&' && next_is('&', 1)) fail("class intersection (&&) is not supported");
            const std::size_t item_start = pos_;
            const auto item = parse_class_item();
            const bool range = item.single && next_is('-') && pos_ + 1 < text_.size() && text_[pos_ + 1] != ']' &&
                               text_[pos_ + 1] != '[';
            if (!range) {
                members.add(item.set);
                continue;
            }
            ++pos_;
            const auto end = parse_class_item();
            if (!end.single) fail("a range cannot end in a class");
            const std::uint32_t low = item.set.ranges().front().first;
            const std::uint32_t high = end.set.ranges().front().first;
            if (high < low) {
                pos_ = item_start;
                fail("a range's end is below its start");
            }
            members.add(low, high);
        }
        return negated ? members.complement() : members;
    }

    struct class_item {
        scalar_set set;
        bool single;  // one character, so it can start or end a range
    };

    class_item parse_class_item() {
        if (!next_is('\\')) {
            return {scalar_set::of(take()), true};
        }
        ++pos_;
        if (!at_end()) {
            const std::uint32_t c = text_[pos_];
            if (c == 'Q') fail("\\Q inside a class is not supported");
            if (c >= '1' && c <= '9') fail("a back reference cannot be in a class");
        }
        scalar_set set = parse_escape_body();
        // No class escape (\d, \p{...}, ...) denotes a single character, so size tells them apart.
        const bool single = set.ranges().size() == 1 && set.ranges().front().first == set.ranges().front().last;
        return {std::move(set), single};
    }

    std::string_view documented_;
    std::vector<std::uint32_t> text_;
    std::size_t pos_ = 0;
};

// ---------------------------------------------------------------------------------------
// Rewrite of the exponential idiom (see the comment at the top).

bool is_unbounded_repeat_of_set(const node& n, std::size_t min) {
    return n.type == node::kind::repeat && n.min == min && !n.max && n.mode != quantifier_mode::possessive &&
           n.children.front().type == node::kind::characters;
}

// True for X+ followed by (Y*X+)* with X ⊆ Y: returns the replacement X(?:Y*X)?.
std::optional<std::vector<node>> rewrite_separated_runs(const node& head, const node& tail) {
    if (!is_unbounded_repeat_of_set(head, 1)) return std::nullopt;
    if (tail.type != node::kind::repeat || tail.min != 0 || tail.max || tail.mode == quantifier_mode::possessive) {
        return std::nullopt;
    }
    const node& group = tail.children.front();
    if (group.type != node::kind::group || group.group != group_kind::plain) return std::nullopt;
    const node& body = group.children.front();
    if (body.type != node::kind::sequence || body.children.size() != 2) return std::nullopt;
    const node& separators = body.children[0];
    const node& run = body.children[1];
    if (!is_unbounded_repeat_of_set(separators, 0) || !is_unbounded_repeat_of_set(run, 1)) return std::nullopt;
    const scalar_set& x = head.children.front().characters;
    const scalar_set& y = separators.children.front().characters;
    if (run.children.front().characters != x || !y.includes(x)) return std::nullopt;

    node inner;
    inner.type = node::kind::sequence;
    inner.children.push_back(separators);
    inner.children.push_back(node::chars(x));
    std::vector<node> out;
    out.push_back(node::chars(x));
    out.push_back(node::repeat(node::wrap(node::kind::group, std::move(inner)), 0, 1, quantifier_mode::greedy));
    return out;
}

void rewrite(node& n) {
    for (auto& child : n.children) rewrite(child);
    if (n.type != node::kind::sequence) return;
    std::vector<node> out;
    for (std::size_t i = 0; i < n.children.size(); ++i) {
        if (i + 1 < n.children.size()) {
            if (auto replacement = rewrite_separated_runs(n.children[i], n.children[i + 1])) {
                for (auto& r : *replacement) out.push_back(std::move(r));
                ++i;
                continue;
            }
        }
        out.push_back(std::move(n.children[i]));
    }
    n.children = std::move(out);
}

// ---------------------------------------------------------------------------------------
// UTF-8 byte sequences of a scalar set.

struct byte_range {
    std::uint8_t first;
    std::uint8_t last;
    bool operator==(const byte_range&) const = default;
};
using byte_class = std::vector<byte_range>;      // sorted, disjoint
using byte_sequence = std::vector<byte_class>;   // one class per byte of the encoding

std::vector<std::uint8_t> encode_utf8(std::uint32_t c) {
    if (c < 0x80) return {static_cast<std::uint8_t>(c)};
    const auto continuation = [c](unsigned shift) { return static_cast<std::uint8_t>(0x80u | ((c >> shift) & 0x3Fu)); };
    if (c < 0x800) return {static_cast<std::uint8_t>(0xC0u | (c >> 6)), continuation(0)};
    if (c < 0x10000) return {static_cast<std::uint8_t>(0xE0u | (c >> 12)), continuation(6), continuation(0)};
    return {static_cast<std::uint8_t>(0xF0u | (c >> 18)), continuation(12), continuation(6), continuation(0)};
}

// Splits [first, last] until each piece is a product of byte ranges (as RE2 and Rust's
// regex-syntax do): one encoded length, and every continuation byte ranging freely.
void append_byte_sequences(std::uint32_t first, std::uint32_t last, std::vector<byte_sequence>& out) {
    for (const std::uint32_t longest : {0x7Fu, 0x7FFu, 0xFFFFu}) {
        if (first <= longest && last > longest) {
            append_byte_sequences(first, longest, out);
            append_byte_sequences(longest + 1, last, out);
            return;
        }
    }
    for (unsigned trailing = 1; trailing < 4; ++trailing) {
        const std::uint32_t low_bits = (1u << (6 * trailing)) - 1;
        if ((first & ~low_bits) == (last & ~low_bits)) continue;
        if ((first & low_bits) != 0) {
            append_byte_sequences(first, first | low_bits, out);
            append_byte_sequences((first | low_bits) + 1, last, out);
            return;
        }
        if ((last & low_bits) != low_bits) {
            append_byte_sequences(first, (last & ~low_bits) - 1, out);
            append_byte_sequences(last & ~low_bits, last, out);
            return;
        }
    }
    const auto low = encode_utf8(first);
    const auto high = encode_utf8(last);
    byte_sequence sequence;
    for (std::size_t i = 0; i < low.size(); ++i) sequence.push_back({{low[i], high[i]}});
    // Sequences that differ only in their last byte share one class for it, which keeps the
    // translation short (the ASCII part of a set becomes one class).
    if (!out.empty() && out.back().size() == sequence.size() &&
        std::equal(sequence.begin(), sequence.end() - 1, out.back().begin())) {
        auto& last_class = out.back().back();
        const byte_range added = sequence.back().front();
        if (last_class.back().last + 1 == added.first) {
            last_class.back().last = added.last;
        } else {
            last_class.push_back(added);
        }
        return;
    }
    out.push_back(std::move(sequence));
}

std::vector<byte_sequence> utf8_sequences(const scalar_set& set) {
    std::vector<byte_sequence> out;
    for (const auto& r : set.ranges()) append_byte_sequences(r.first, r.last, out);
    return out;
}

// ---------------------------------------------------------------------------------------
// Emission as Boost perl syntax.

constexpr std::string_view k_hex_digits = "0123456789ABCDEF";

void append_hex_byte(std::string& out, std::uint8_t b) {
    out += "\\x";
    out += k_hex_digits[b >> 4];
    out += k_hex_digits[b & 0x0Fu];
}

bool is_ascii_alnum(std::uint8_t b) { return is_ascii_letter(b) || is_ascii_digit(b); }

void append_literal_byte(std::string& out, std::uint8_t b) {
    constexpr std::string_view k_meta = "\\^$.|?*+()[]{}";
    if (b >= 0x20 && b < 0x7F) {
        if (k_meta.find(static_cast<char>(b)) != std::string_view::npos) out += '\\';
        out += static_cast<char>(b);
    } else {
        append_hex_byte(out, b);
    }
}

void append_class_byte(std::string& out, std::uint8_t b) {
    if (is_ascii_alnum(b)) {
        out += static_cast<char>(b);
    } else if (b > 0x20 && b < 0x7F) {
        out += '\\';  // inside a Boost set every escaped punctuation character is itself
        out += static_cast<char>(b);
    } else {
        append_hex_byte(out, b);
    }
}

void append_byte_class(std::string& out, const byte_class& bytes) {
    if (bytes.size() == 1 && bytes.front().first == bytes.front().last) {
        append_literal_byte(out, bytes.front().first);
        return;
    }
    out += '[';
    for (const auto& r : bytes) {
        append_class_byte(out, r.first);
        if (r.last == r.first) continue;
        if (r.last > r.first + 1) out += '-';
        append_class_byte(out, r.last);
    }
    out += ']';
}

enum class precedence { atom, sequence, alternation };

struct emitted {
    std::string text;
    precedence level;
};

std::string parenthesized(const emitted& e, precedence allowed) {
    if (e.level <= allowed) return e.text;
    return "(?:" + e.text + ")";
}

emitted emit(const node& n);

emitted emit_characters(const scalar_set& set) {
    // A byte no UTF-8 text contains: a set that matches nothing.
    if (set.empty()) return {"[^\\x00-\\xFF]", precedence::atom};
    const auto sequences = utf8_sequences(set);
    std::string text;
    for (std::size_t i = 0; i < sequences.size(); ++i) {
        if (i != 0) text += '|';
        for (const auto& bytes : sequences[i]) append_byte_class(text, bytes);
    }
    if (sequences.size() > 1) return {std::move(text), precedence::alternation};
    return {std::move(text), sequences.front().size() == 1 ? precedence::atom : precedence::sequence};
}

std::string quantifier_text(const node& n) {
    std::string q;
    if (n.min == 0 && !n.max) {
        q = "*";
    } else if (n.min == 1 && !n.max) {
        q = "+";
    } else if (n.min == 0 && n.max == 1) {
        q = "?";
    } else if (!n.max) {
        q = "{" + std::to_string(n.min) + ",}";
    } else if (*n.max == n.min) {
        q = "{" + std::to_string(n.min) + "}";
    } else {
        q = "{" + std::to_string(n.min) + "," + std::to_string(*n.max) + "}";
    }
    if (n.mode == quantifier_mode::lazy) q += '?';
    if (n.mode == quantifier_mode::possessive) q += '+';
    return q;
}

emitted emit(const node& n) {
    switch (n.type) {
        case node::kind::characters: return emit_characters(n.characters);
        case node::kind::anchor: return {n.anchor, precedence::atom};
        case node::kind::sequence: {
            std::string text;
            for (const auto& child : n.children) text += parenthesized(emit(child), precedence::sequence);
            return {std::move(text), precedence::sequence};
        }
        case node::kind::alternation: {
            std::string text;
            for (std::size_t i = 0; i < n.children.size(); ++i) {
                if (i != 0) text += '|';
                text += emit(n.children[i]).text;
            }
            return {std::move(text), precedence::alternation};
        }
        case node::kind::repeat:
            // A repeat is not an atom: a repeat of it needs parentheses.
            return {parenthesized(emit(n.children.front()), precedence::atom) + quantifier_text(n),
                    precedence::sequence};
        case node::kind::group: {
            std::string_view open = "(?:";
            if (n.group == group_kind::lookahead) open = "(?=";
            if (n.group == group_kind::negative_lookahead) open = "(?!";
            if (n.group == group_kind::atomic) open = "(?>";
            return {std::string(open) + emit(n.children.front()).text + ")", precedence::atom};
        }
    }
    return {"", precedence::sequence};
}

std::string translate(std::string_view documented) {
    node root = java_pattern_parser(documented).parse();
    rewrite(root);
    return emit(root).text;
}

}  // namespace

struct pattern::impl {
    std::string documented;
    std::string translated;
    boost::regex compiled;
};

pattern::pattern(std::string_view documented) : impl_(std::make_unique<impl>()) {
    impl_->documented = std::string(documented);
    impl_->translated = translate(documented);
    try {
        impl_->compiled.imbue(std::locale::classic());
        // nosubs: only the verdict is used, so nothing needs to be captured.
        impl_->compiled.assign(impl_->translated, boost::regex::perl | boost::regex::nosubs);
    } catch (const boost::regex_error& e) {
        throw std::invalid_argument("pattern \"" + impl_->documented + "\": Boost cannot compile its translation \"" +
                                    impl_->translated + "\": " + e.what());
    }
}

pattern::~pattern() = default;
pattern::pattern(pattern&&) noexcept = default;
pattern& pattern::operator=(pattern&&) noexcept = default;

bool pattern::matches(std::string_view value) const {
    try {
        return boost::regex_match(value.begin(), value.end(), impl_->compiled, boost::match_default);
    } catch (const boost::regex_error&) {
        // Boost gave up (complexity or its backtracking stack). The translation avoids the
        // known exponential shape, so this is a safety net, not a path the model's patterns take.
        return false;
    }
}

std::string_view pattern::documented() const noexcept { return impl_->documented; }

const std::string& pattern::translated() const noexcept { return impl_->translated; }

}  // namespace hil::api
