// gramkit — RFC 3339 formatting and parsing of timestamps.
#include "gramkit/time_format.hpp"

#include <charconv>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <optional>

namespace gramkit {
namespace {

using namespace std::chrono;

// Reads exactly `count` ASCII digits at text[pos]; nullopt otherwise.
std::optional<int> read_digits(std::string_view text, std::size_t pos, std::size_t count) {
    if (pos + count > text.size()) return std::nullopt;
    int value = 0;
    for (std::size_t i = pos; i < pos + count; ++i) {
        const char c = text[i];
        if (c < '0' || c > '9') return std::nullopt;
        value = value * 10 + (c - '0');
    }
    return value;
}

bool char_at(std::string_view text, std::size_t pos, char expected) {
    return pos < text.size() && text[pos] == expected;
}

std::unexpected<Error> bad_timestamp(std::string_view text, std::string_view why) {
    // Quote at most a short prefix: the input may be arbitrary client data.
    constexpr std::size_t kMaxQuoted = 64;
    std::string quoted(text.substr(0, kMaxQuoted));
    if (text.size() > kMaxQuoted) quoted += "...";
    return fail(ErrorCode::invalid_argument,
                "invalid timestamp '" + quoted + "': " + std::string(why) +
                    " (expected YYYY-MM-DDTHH:MM:SS[.ffffff]Z)");
}

}  // namespace

std::string format_timestamp_utc(Timestamp t) {
    // floor (not duration_cast) so instants before 1970 land on the right
    // day with a non-negative time of day.
    const auto day = floor<days>(t);
    const year_month_day date{day};
    const hh_mm_ss<Duration> time{t - day};

    char buffer[64];
    const int n = std::snprintf(buffer, sizeof buffer, "%04d-%02u-%02uT%02d:%02d:%02d.%06lldZ",
                                static_cast<int>(date.year()), static_cast<unsigned>(date.month()),
                                static_cast<unsigned>(date.day()), static_cast<int>(time.hours().count()),
                                static_cast<int>(time.minutes().count()),
                                static_cast<int>(time.seconds().count()),
                                static_cast<long long>(time.subseconds().count()));
    return std::string(buffer, n > 0 ? static_cast<std::size_t>(n) : 0);
}

Result<Timestamp> parse_timestamp_utc(std::string_view text) {
    // Fixed positions: YYYY-MM-DDTHH:MM:SS
    //                  0    5  8  11 14 17
    const auto y = read_digits(text, 0, 4);
    const auto mo = read_digits(text, 5, 2);
    const auto d = read_digits(text, 8, 2);
    const auto h = read_digits(text, 11, 2);
    const auto mi = read_digits(text, 14, 2);
    const auto s = read_digits(text, 17, 2);
    if (!y || !mo || !d || !h || !mi || !s || !char_at(text, 4, '-') || !char_at(text, 7, '-') ||
        !(char_at(text, 10, 'T') || char_at(text, 10, 't')) || !char_at(text, 13, ':') ||
        !char_at(text, 16, ':')) {
        return bad_timestamp(text, "malformed date or time");
    }

    const year_month_day date{year{*y}, month{static_cast<unsigned>(*mo)}, day{static_cast<unsigned>(*d)}};
    if (!date.ok()) return bad_timestamp(text, "no such date");
    if (*h > 23 || *mi > 59) return bad_timestamp(text, "time of day out of range");
    if (*s > 59) return bad_timestamp(text, "seconds out of range (leap seconds are not supported)");

    std::size_t pos = 19;
    std::int64_t micros = 0;
    if (char_at(text, pos, '.')) {
        ++pos;
        const std::size_t first_digit = pos;
        while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
            const std::size_t index = pos - first_digit;
            // Digits past the sixth (nanoseconds) are accepted and dropped.
            if (index < 6) micros = micros * 10 + (text[pos] - '0');
            ++pos;
        }
        const std::size_t digit_count = pos - first_digit;
        if (digit_count == 0 || digit_count > 9) return bad_timestamp(text, "fraction must have 1 to 9 digits");
        for (std::size_t i = digit_count; i < 6; ++i) micros *= 10;
    }

    minutes offset{0};
    if (char_at(text, pos, 'Z') || char_at(text, pos, 'z')) {
        ++pos;
    } else if (char_at(text, pos, '+') || char_at(text, pos, '-')) {
        const bool negative = text[pos] == '-';
        const auto oh = read_digits(text, pos + 1, 2);
        const auto om = read_digits(text, pos + 4, 2);
        if (!oh || !om || !char_at(text, pos + 3, ':') || *oh > 23 || *om > 59) {
            return bad_timestamp(text, "malformed UTC offset");
        }
        offset = hours{*oh} + minutes{*om};
        if (negative) offset = -offset;
        pos += 6;
    } else {
        return bad_timestamp(text, "missing time zone ('Z' or '+00:00')");
    }
    if (pos != text.size()) return bad_timestamp(text, "trailing characters");

    // Local time minus its offset is UTC.
    const Timestamp local = sys_days{date} + hours{*h} + minutes{*mi} + seconds{*s} + Duration{micros};
    return local - offset;
}

}  // namespace gramkit
