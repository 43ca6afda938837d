// gramkit — Limit::validate and the default Store::probe.
#include <string>

#include "gramkit/ratelimit.hpp"
#include "ratelimit/gcra.hpp"

namespace gramkit::ratelimit {

Status Limit::validate() const {
    const std::int64_t p = period.count();
    if (rate < 1) return fail(ErrorCode::invalid_argument, "rate limit: rate must be at least 1", "rate");
    if (burst < 1) return fail(ErrorCode::invalid_argument, "rate limit: burst must be at least 1", "burst");
    if (p < 1) return fail(ErrorCode::invalid_argument, "rate limit: period must be positive", "period");
    if (p > gcra::kMaxSpan) {
        return fail(ErrorCode::invalid_argument, "rate limit: period must not exceed 2^50 µs (35 years)", "period");
    }
    if (rate > static_cast<std::uint64_t>(p)) {
        return fail(ErrorCode::invalid_argument,
                    "rate limit: rate " + std::to_string(rate) + " per " + std::to_string(p) +
                        " µs gives an emission interval below 1 µs",
                    "rate");
    }
    if (!gcra::valid(p, rate, burst)) {
        return fail(ErrorCode::invalid_argument,
                    "rate limit: burst × emission interval must not exceed 2^50 µs (35 years)", "burst");
    }
    return {};
}

// Default for stores that only implement peek(): derive the answer for a
// cost from the cost-1 answer. Exact when remaining ≥ cost (allowed) and
// when remaining is 0 (retry_after(c) = retry_after(1) + (c−1)×T); when
// 0 < remaining < cost the headroom is only known to lie in
// [remaining×T, (remaining+1)×T), so retry_after = (cost − remaining)×T is
// an upper bound that overshoots by less than one T.
Result<Decision> Store::probe(std::string_view key, const Limit& limit, std::uint32_t cost) {
    GK_TRY(limit.validate());
    if (cost > limit.burst) {
        return fail(ErrorCode::invalid_argument, "rate limit: cost exceeds burst and could never be allowed", "cost");
    }
    GK_ASSIGN_OR_RETURN(Decision d, peek(key, limit));
    if (cost <= 1 || d.penalized_until) return d;
    const Duration t = limit.emission_interval();
    if (d.remaining >= cost) {
        d.allowed = true;
        d.retry_after = Duration{0};
        return d;
    }
    d.allowed = false;
    if (d.remaining == 0) {
        d.retry_after += t * static_cast<std::int64_t>(cost - 1);
    } else {
        d.retry_after = t * static_cast<std::int64_t>(cost - d.remaining);
    }
    return d;
}

}  // namespace gramkit::ratelimit
