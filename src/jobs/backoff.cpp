// Exponential backoff with full jitter. See backoff.hpp for the contract.
#include "jobs/backoff.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>

namespace gramkit::jobs {

namespace {

std::string micros_text(Duration d) { return std::to_string(d.count()) + "us"; }

std::string number_text(double v) {
    if (std::isnan(v)) return "nan";
    if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
    std::string s = std::to_string(v);  // fixed, 6 decimals: trim the zeros
    while (s.size() > 1 && s.back() == '0') s.pop_back();
    if (!s.empty() && s.back() == '.') s.pop_back();
    return s;
}

}  // namespace

Status BackoffPolicy::validate() const {
    if (base <= Duration::zero())
        return fail(ErrorCode::invalid_argument, "backoff: base must be positive, got " + micros_text(base), "base");
    if (cap < base)
        return fail(ErrorCode::invalid_argument,
                    "backoff: cap (" + micros_text(cap) + ") must be at least base (" + micros_text(base) + ")",
                    "cap");
    if (!std::isfinite(multiplier) || multiplier < 1.0)
        return fail(ErrorCode::invalid_argument,
                    "backoff: multiplier must be a finite number >= 1, got " + number_text(multiplier),
                    "multiplier");
    return {};
}

Duration max_retry_delay(const BackoffPolicy& policy, int attempt) {
    const std::int64_t cap = std::max<std::int64_t>(policy.cap.count(), 0);
    const std::int64_t base = std::min(std::max<std::int64_t>(policy.base.count(), 0), cap);
    if (base == 0) return Duration{0};
    const double m = (std::isfinite(policy.multiplier) && policy.multiplier >= 1.0) ? policy.multiplier : 1.0;
    const int exponent = std::max(attempt, 1) - 1;
    if (exponent == 0 || m == 1.0) return Duration{base};
    // Compare in logarithms first: base × m^e can exceed any integer (and
    // even double) range for large e, long before the cap stops mattering.
    if (static_cast<double>(exponent) * std::log(m) >= std::log(static_cast<double>(cap) / static_cast<double>(base)))
        return Duration{cap};
    const double bound = static_cast<double>(base) * std::pow(m, exponent);
    // Below the cap here (up to rounding); the clamp keeps the conversion
    // to an integer defined even if pow rounded up past it.
    if (!(bound < static_cast<double>(cap))) return Duration{cap};
    return Duration{std::clamp<std::int64_t>(std::llround(bound), base, cap)};
}

Duration retry_delay(const BackoffPolicy& policy, int attempt, double unit_random) {
    const std::int64_t bound = max_retry_delay(policy, attempt).count();
    if (bound <= 0) return Duration{0};
    double u = unit_random;
    if (!(u > 0.0)) u = 0.0;  // also catches NaN
    if (u >= 1.0) u = std::nextafter(1.0, 0.0);
    const double scaled = std::floor(u * static_cast<double>(bound));
    // u < 1, but u × bound can round up to bound for large bounds: keep the
    // result strictly below it, as full jitter promises.
    if (!(scaled < static_cast<double>(bound))) return Duration{bound - 1};
    return Duration{std::min(static_cast<std::int64_t>(scaled), bound - 1)};
}

}  // namespace gramkit::jobs
