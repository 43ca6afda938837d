#include "instagram/caption_text.hpp"

#include <algorithm>
#include <cstdint>
#include <string>
#include <unordered_set>

#include "core/json.hpp"

namespace gramkit::instagram {
namespace {

constexpr std::size_t kMaxMentionLength = 30;  // Instagram's username limit

// One decoded character: its code point (or none when the bytes are not
// valid UTF-8) and how many bytes it spans.
struct Char {
    char32_t code_point;
    std::size_t length;
    bool valid;
};

Char decode_at(std::string_view text, std::size_t pos) {
    const auto lead = static_cast<unsigned char>(text[pos]);
    if (lead < 0x80) return {lead, 1, true};  // ASCII: most caption bytes
    const auto step = json::next_utf8_sequence(text, pos);
    if (!step.valid) return {0, step.length, false};
    const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[pos + i]); };
    char32_t cp = 0;
    switch (step.length) {
        case 1: cp = byte(0); break;
        case 2: cp = ((byte(0) & 0x1Fu) << 6) | (byte(1) & 0x3Fu); break;
        case 3: cp = ((byte(0) & 0x0Fu) << 12) | ((byte(1) & 0x3Fu) << 6) | (byte(2) & 0x3Fu); break;
        default:
            cp = ((byte(0) & 0x07u) << 18) | ((byte(1) & 0x3Fu) << 12) | ((byte(2) & 0x3Fu) << 6) | (byte(3) & 0x3Fu);
            break;
    }
    return {cp, step.length, true};
}

bool is_ascii_word(char32_t c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

// Non-ASCII ranges that end a hashtag: spaces, punctuation, symbols, emoji
// and the invisible characters that glue emoji together. Everything else
// beyond ASCII counts as a letter: without ICU this keeps every script's
// letters and combining marks (Devanagari vowel signs, for instance) inside
// the tag, which is what Instagram does.
bool is_non_ascii_separator(char32_t c) {
    struct Range {
        char32_t first, last;
    };
    static constexpr Range kSeparators[] = {
        {0x0080, 0x00BF},    // C1 controls, NBSP, Latin-1 punctuation and symbols (« » ¿ © ...)
        {0x00D7, 0x00D7},    // ×
        {0x00F7, 0x00F7},    // ÷
        {0x037E, 0x037E},    // Greek question mark
        {0x0387, 0x0387},    // Greek ano teleia
        {0x055A, 0x055F},    // Armenian punctuation
        {0x0589, 0x058A},
        {0x05BE, 0x05BE},    // Hebrew maqaf
        {0x05C0, 0x05C0},
        {0x05C3, 0x05C3},
        {0x05F3, 0x05F4},
        {0x060C, 0x060D},    // Arabic comma
        {0x061B, 0x061F},    // Arabic semicolon, question mark
        {0x066A, 0x066D},
        {0x06D4, 0x06D4},    // Arabic full stop
        {0x0964, 0x0965},    // Devanagari danda
        {0x0E4F, 0x0E4F},
        {0x0E5A, 0x0E5B},
        {0x1680, 0x1680},    // Ogham space
        {0x2000, 0x206F},    // spaces, dashes, quotes (’ “ ”), bullets, ZWJ/ZWNJ, ...
        {0x20A0, 0x20CF},    // currency
        {0x2100, 0x214F},    // letterlike symbols (™ ℹ)
        {0x2190, 0x2BFF},    // arrows, maths, technical, boxes, shapes, dingbats, misc symbols
        {0x2E00, 0x2E7F},    // supplemental punctuation
        {0x3000, 0x303F},    // CJK punctuation and ideographic space
        {0x30FB, 0x30FB},    // katakana middle dot
        {0xD800, 0xDFFF},    // surrogates (never valid UTF-8, listed for completeness)
        {0xE000, 0xF8FF},    // private use
        {0xFE00, 0xFE0F},    // variation selectors (emoji presentation)
        {0xFE10, 0xFE1F},    // vertical forms
        {0xFE30, 0xFE4F},    // CJK compatibility forms
        {0xFE50, 0xFE6F},    // small form variants
        {0xFEFF, 0xFEFF},    // BOM / zero-width no-break space
        {0xFF01, 0xFF0F},    // fullwidth punctuation
        {0xFF1A, 0xFF20},
        {0xFF3B, 0xFF40},
        {0xFF5B, 0xFF65},
        {0xFFF0, 0xFFFF},    // specials (U+FFFD)
        {0x1F000, 0x1FAFF},  // emoji, pictographs, skin tones, playing cards
        {0xE0000, 0xE007F},  // tag characters (flag sequences)
    };
    return std::any_of(std::begin(kSeparators), std::end(kSeparators),
                       [c](const Range& r) { return c >= r.first && c <= r.last; });
}

bool is_hashtag_char(const Char& ch) {
    if (!ch.valid) return false;
    if (ch.code_point < 0x80) return is_ascii_word(ch.code_point);
    return !is_non_ascii_separator(ch.code_point);
}

bool is_mention_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.';
}

// The spelling two tags share when they differ only in ASCII case (how
// Instagram links them); other scripts are compared as written.
std::string ascii_lower(std::string_view s) {
    std::string out(s);
    for (char& c : out)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    return out;
}

// Whether the character that ends just before `pos` is a word character:
// then '@' is inside an e-mail address or a word, not a mention.
bool follows_word_char(std::string_view text, std::size_t pos) {
    if (pos == 0) return false;
    std::size_t start = pos - 1;
    while (start > 0 && (static_cast<unsigned char>(text[start]) & 0xC0) == 0x80) --start;  // back to the lead byte
    const Char ch = decode_at(text, start);
    return ch.valid && start + ch.length == pos && is_hashtag_char(ch);
}

}  // namespace

std::vector<std::string> extract_hashtags(std::string_view caption) {
    std::vector<std::string> tags;
    std::unordered_set<std::string> seen;
    std::size_t pos = 0;
    while (pos < caption.size()) {
        if (caption[pos] != '#') {
            pos += decode_at(caption, pos).length;
            continue;
        }
        const std::size_t start = ++pos;
        bool has_non_digit = false;
        while (pos < caption.size()) {
            const Char ch = decode_at(caption, pos);
            if (!is_hashtag_char(ch)) break;
            if (!(ch.code_point >= '0' && ch.code_point <= '9')) has_non_digit = true;
            pos += ch.length;
        }
        const std::string_view tag = caption.substr(start, pos - start);
        if (tag.empty() || !has_non_digit) continue;  // "#", "#1": Instagram does not link these
        // A set keyed by the ASCII-folded spelling keeps this linear: a
        // hostile caption with 100 000 distinct tags must not take minutes.
        if (seen.insert(ascii_lower(tag)).second) tags.emplace_back(tag);
    }
    return tags;
}

std::vector<std::string> extract_mentions(std::string_view caption) {
    std::vector<std::string> names;
    std::unordered_set<std::string_view> seen;  // views into `caption`, which outlives the loop
    std::size_t pos = 0;
    while (pos < caption.size()) {
        if (caption[pos] != '@' || follows_word_char(caption, pos)) {
            pos += decode_at(caption, pos).length;
            continue;
        }
        const std::size_t start = ++pos;
        while (pos < caption.size() && pos - start < kMaxMentionLength && is_mention_char(caption[pos])) ++pos;
        std::string_view name = caption.substr(start, pos - start);
        while (!name.empty() && name.back() == '.') name.remove_suffix(1);  // "@nasa." ends a sentence
        if (name.empty()) continue;
        if (seen.insert(name).second) names.emplace_back(name);
    }
    return names;
}

}  // namespace gramkit::instagram
