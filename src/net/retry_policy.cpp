// Backoff and Retry-After (see retry_policy.hpp).
#include "net/retry_policy.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>

#include "net/http_date.hpp"

namespace gramkit::net {

std::chrono::milliseconds backoff_delay(int retry_number, std::chrono::milliseconds base, std::chrono::milliseconds max,
                                        double unit_random) {
    if (retry_number < 1) retry_number = 1;
    // 2^(n-1) saturates long before overflowing a double; cap before casting.
    const double ceiling = std::min(static_cast<double>(max.count()),
                                    static_cast<double>(base.count()) * std::ldexp(1.0, std::min(retry_number - 1, 62)));
    const double r = std::clamp(unit_random, 0.0, 1.0);
    return std::chrono::milliseconds{static_cast<long long>(std::floor(ceiling * r))};
}

std::optional<std::chrono::milliseconds> parse_retry_after(std::string_view value, Timestamp now) {
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
    while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
    if (value.empty()) return std::nullopt;
    if (std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; })) {
        long long seconds = 0;
        auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), seconds);
        if (ec == std::errc::result_out_of_range || seconds > 1'000'000'000) return std::chrono::hours{24 * 365};
        if (ec != std::errc{} || ptr != value.data() + value.size()) return std::nullopt;
        return std::chrono::seconds{seconds};
    }
    auto when = parse_http_date(value);
    if (!when) return std::nullopt;
    if (*when <= now) return std::chrono::milliseconds{0};
    return std::chrono::ceil<std::chrono::milliseconds>(*when - now);
}

bool is_retryable_status(int status) noexcept { return status == 429 || (status >= 500 && status <= 599); }

}  // namespace gramkit::net
