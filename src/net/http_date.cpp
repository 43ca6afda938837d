// RFC 6265 §5.1.1 cookie-date algorithm (see http_date.hpp).
#include "net/http_date.hpp"

#include <array>
#include <chrono>
#include <vector>

namespace gramkit::net {

namespace {

bool is_delimiter(unsigned char c) {
    return c == 0x09 || (c >= 0x20 && c <= 0x2F) || (c >= 0x3B && c <= 0x40) || (c >= 0x5B && c <= 0x60) ||
           (c >= 0x7B && c <= 0x7E);
}
bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Reads 1..max_digits digits at the start of `s`; the token must not go on
// with more digits. Advances `s`.
std::optional<int> take_digits(std::string_view& s, std::size_t min_digits, std::size_t max_digits) {
    std::size_t n = 0;
    int value = 0;
    while (n < s.size() && is_digit(s[n])) {
        if (n == max_digits) return std::nullopt;
        value = value * 10 + (s[n] - '0');
        ++n;
    }
    if (n < min_digits) return std::nullopt;
    s.remove_prefix(n);
    return value;
}

std::optional<std::array<int, 3>> parse_time(std::string_view token) {
    std::array<int, 3> hms{};
    for (int i = 0; i < 3; ++i) {
        auto v = take_digits(token, 1, 2);
        if (!v) return std::nullopt;
        hms[static_cast<std::size_t>(i)] = *v;
        if (i < 2) {
            if (token.empty() || token[0] != ':') return std::nullopt;
            token.remove_prefix(1);
        }
    }
    return hms;  // trailing non-digits are allowed by the RFC
}

std::optional<int> parse_month(std::string_view token) {
    static constexpr std::array<std::string_view, 12> names{"jan", "feb", "mar", "apr", "may", "jun",
                                                            "jul", "aug", "sep", "oct", "nov", "dec"};
    if (token.size() < 3) return std::nullopt;
    for (std::size_t i = 0; i < names.size(); ++i) {
        bool same = true;
        for (std::size_t k = 0; k < 3; ++k)
            if ((token[k] | 0x20) != names[i][k]) same = false;
        if (same) return static_cast<int>(i) + 1;
    }
    return std::nullopt;
}

}  // namespace

std::optional<Timestamp> parse_http_date(std::string_view text) {
    std::optional<std::array<int, 3>> time;
    std::optional<int> day, month, year;
    std::size_t pos = 0;
    while (pos < text.size()) {
        while (pos < text.size() && is_delimiter(static_cast<unsigned char>(text[pos]))) ++pos;
        std::size_t end = pos;
        while (end < text.size() && !is_delimiter(static_cast<unsigned char>(text[end]))) ++end;
        if (end == pos) break;
        std::string_view token = text.substr(pos, end - pos);
        pos = end;
        if (!time) {
            if ((time = parse_time(token))) continue;
        }
        if (!day) {
            std::string_view t = token;
            if (auto v = take_digits(t, 1, 2)) { day = v; continue; }
        }
        if (!month) {
            if ((month = parse_month(token))) continue;
        }
        if (!year) {
            std::string_view t = token;
            if (auto v = take_digits(t, 2, 4)) { year = v; continue; }
        }
    }
    if (!time || !day || !month || !year) return std::nullopt;
    int y = *year;
    if (y >= 70 && y <= 99) y += 1900;
    else if (y >= 0 && y <= 69) y += 2000;
    if (*day < 1 || *day > 31 || y < 1601 || (*time)[0] > 23 || (*time)[1] > 59 || (*time)[2] > 59) return std::nullopt;
    const std::chrono::year_month_day ymd{std::chrono::year{y}, std::chrono::month{static_cast<unsigned>(*month)},
                                          std::chrono::day{static_cast<unsigned>(*day)}};
    if (!ymd.ok()) return std::nullopt;
    const auto seconds = std::chrono::sys_days{ymd}.time_since_epoch() + std::chrono::hours{(*time)[0]} +
                         std::chrono::minutes{(*time)[1]} + std::chrono::seconds{(*time)[2]};
    return Timestamp{std::chrono::duration_cast<Duration>(seconds)};
}

}  // namespace gramkit::net
