// gramkit CLI — parsing and formatting of command-line values.
#include "values.hpp"

#include <charconv>
#include <limits>

#include "context.hpp"
#include "gramkit/time_format.hpp"

namespace gramkit::cli {

std::optional<std::int64_t> parse_id(std::string_view text) {
    if (text.empty() || text.size() > 19) return std::nullopt;
    std::int64_t value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc{} || end != text.data() + text.size() || value <= 0) return std::nullopt;
    return value;
}

Duration parse_duration(std::string_view text) {
    const auto bad = [&](std::string_view why) {
        return UsageError("--for: " + std::string(why) + " in '" + sanitize(text) +
                          "' (use e.g. 45s, 30m, 2h, 7d or 1h30m)");
    };
    if (text.empty()) throw bad("empty duration");
    constexpr std::int64_t kMaxSeconds = 10LL * 365 * 24 * 3600;  // ten years is plenty for a cooldown
    std::int64_t total = 0;
    std::size_t pos = 0;
    while (pos < text.size()) {
        std::int64_t n = 0;
        auto [end, ec] = std::from_chars(text.data() + pos, text.data() + text.size(), n);
        if (ec != std::errc{} || n < 0) throw bad("expected a number");
        pos = static_cast<std::size_t>(end - text.data());
        if (pos >= text.size()) throw bad("missing unit");
        std::int64_t unit = 0;
        switch (text[pos]) {
            case 's': unit = 1; break;
            case 'm': unit = 60; break;
            case 'h': unit = 3600; break;
            case 'd': unit = 86400; break;
            default: throw bad("unknown unit");
        }
        ++pos;
        if (n > kMaxSeconds / unit) throw bad("too long");
        total += n * unit;
        if (total > kMaxSeconds) throw bad("too long");
    }
    if (total == 0) throw bad("duration must be positive");
    return std::chrono::seconds(total);
}

Timestamp parse_time_option(std::string_view option, std::string_view text) {
    auto t = parse_timestamp_utc(text);
    if (!t) throw UsageError(std::string(option) + ": " + t.error().message);
    return *t;
}

std::string format_time(const std::optional<Timestamp>& t) {
    return t ? format_timestamp_utc(*t) : std::string("-");
}

std::string sanitize(std::string_view text) {
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out;
    out.reserve(text.size());
    const auto escape = [&](unsigned char b) {
        out += "\\x";
        out += kHex[b >> 4];
        out += kHex[b & 15];
    };
    for (std::size_t i = 0; i < text.size();) {
        const auto b = static_cast<unsigned char>(text[i]);
        if (b < 0x80) {
            if (b < 0x20 || b == 0x7f) escape(b); else out += static_cast<char>(b);
            ++i;
            continue;
        }
        // A well-formed UTF-8 sequence (no overlongs, no surrogates) passes through.
        std::size_t len = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc2 ? 2 : 0;
        bool ok = len != 0 && b <= 0xf4 && i + len <= text.size();
        for (std::size_t k = 1; ok && k < len; ++k) ok = (static_cast<unsigned char>(text[i + k]) & 0xc0) == 0x80;
        if (ok && len >= 3) {
            const auto b1 = static_cast<unsigned char>(text[i + 1]);
            if (b == 0xe0 && b1 < 0xa0) ok = false;
            if (b == 0xed && b1 >= 0xa0) ok = false;
            if (b == 0xf0 && b1 < 0x90) ok = false;
            if (b == 0xf4 && b1 >= 0x90) ok = false;
        }
        if (!ok) {
            escape(b);
            ++i;
            continue;
        }
        // C1 control characters (U+0080..U+009F) can drive terminals too.
        if (len == 2 && b == 0xc2 && static_cast<unsigned char>(text[i + 1]) < 0xa0) {
            escape(b);
            escape(static_cast<unsigned char>(text[i + 1]));
        } else {
            out.append(text.substr(i, len));
        }
        i += len;
    }
    return out;
}

}  // namespace gramkit::cli
