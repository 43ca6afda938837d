// gramkit — GCRA arithmetic shared by every rate-limit store (DESIGN.md §7).
//
// Pure functions on int64 microseconds: no clock, no storage, no locking.
// The in-process store runs them inside a compare-and-swap loop; the Redis
// store mirrors them line for line in its Lua script. Any change here must be
// made there too (src/ratelimit/redis_store.*).
//
// Definitions (all values are integer microseconds):
//
//   T   emission interval = ceil(period / rate)           (params().interval)
//       Rounded UP, so a key never gets more than `rate` per `period`.
//   τ   tolerance         = T × burst                     (params().tolerance)
//   tat theoretical arrival time stored per key. A key that was never seen
//       (or was evicted / reset) has tat = kNever, which behaves like any
//       tat ≤ now: the key is full.
//   base = max(tat, now)
//
//   acquire(cost c):
//       allowed  ⇔ base + c×T − τ ≤ now
//       new_tat  = base + c×T            (only when allowed; else tat unchanged)
//       retry_after = 0 when allowed, else base + c×T − τ − now  (> 0):
//                 the wait after which the SAME cost would be allowed if no
//                 one else consumes in between.
//   peek = what a cost-1 request would get, without consuming:
//       allowed / retry_after as acquire(1), tat unchanged.
//
//   remaining (reported with every decision) is computed from the tat AFTER
//       the decision (new_tat if consumed, the old tat otherwise):
//           headroom  = τ − (max(tat_after, now) − now)       (µs, may be < 0)
//           remaining = headroom ≤ 0 ? 0 : floor(headroom / T)
//       i.e. the number of cost-1 requests that would be allowed right now,
//       back to back. A full key has remaining = burst. A request of cost c
//       is allowed ⇔ remaining (before it) ≥ c.
//   reset_at  = max(tat_after, now): the instant the key is full again
//       (remaining = burst). Equals now for a full key.
//
// Costs: 1 ≤ c ≤ burst for acquire/reserve (cost 0 = peek). A cost above
// the burst could never be allowed (c×T > τ even on a full key); the stores
// reject it with invalid_argument ("cost exceeds burst") instead of denying
// forever — see check_cost().
//
// Penalties: a key may also carry penalty_until (kNever = none). While
// now < penalty_until every acquire/peek is denied with
//       retry_after = max(penalty_until − now, the GCRA retry_after),
//       remaining = 0, reset_at = max(base, penalty_until),
// and the tat is not changed. See penalized().
//
// Reserve (callers that queue instead of failing): consumes unconditionally:
//       new_tat = base + c×T
//       wait    = max(0, base + c×T − τ − now, penalty_until − now)
// A reservation whose wait would exceed kMaxSpan is refused (nothing is
// consumed), which keeps every stored tat ≤ now + 2×kMaxSpan.
//
// Overflow safety: Limit::validate() (limit.cpp) accepts only
//       1 ≤ rate, 1 µs ≤ period ≤ kMaxSpan, T ≥ 1 µs, τ = T×burst ≤ kMaxSpan,
// and costs are ≤ burst, so c×T ≤ τ ≤ 2^50. Timestamps in use (now, tat)
// are |x| < 2^62 for any realistic clock; sums below are additionally done
// with saturating adds so even an absurd clock (ManualClock at INT64_MAX)
// cannot overflow. kMaxSpan = 2^50 µs ≈ 35.7 years. For the Lua mirror:
// with now < 2^52 (until the year 2112) every intermediate value stays below
// 2^53, so Lua's doubles are exact.
#pragma once

#include <algorithm>
#include <cstdint>
#include <limits>

namespace gramkit::ratelimit::gcra {

/// Largest period and largest tolerance (τ) accepted: 2^50 µs ≈ 35.7 years.
inline constexpr std::int64_t kMaxSpan = std::int64_t{1} << 50;
/// The tat of a key that holds no state (full).
inline constexpr std::int64_t kNever = std::numeric_limits<std::int64_t>::min();

/// a + b, clamped to the int64 range.
constexpr std::int64_t sat_add(std::int64_t a, std::int64_t b) noexcept {
    std::int64_t r = 0;
    if (__builtin_add_overflow(a, b, &r)) {
        return b > 0 ? std::numeric_limits<std::int64_t>::max() : std::numeric_limits<std::int64_t>::min();
    }
    return r;
}
/// a − b, clamped to the int64 range.
constexpr std::int64_t sat_sub(std::int64_t a, std::int64_t b) noexcept {
    std::int64_t r = 0;
    if (__builtin_sub_overflow(a, b, &r)) {
        return b < 0 ? std::numeric_limits<std::int64_t>::max() : std::numeric_limits<std::int64_t>::min();
    }
    return r;
}

/// T and τ of a validated limit.
struct Params {
    std::int64_t interval = 1;   // T (µs), ≥ 1
    std::int64_t tolerance = 1;  // τ = T × burst (µs), ≤ kMaxSpan
    std::int64_t burst = 1;
};

/// Only for limits that passed Limit::validate() (or the same checks).
constexpr Params params(std::int64_t period_us, std::uint64_t rate, std::uint64_t burst) noexcept {
    const auto r = static_cast<std::int64_t>(rate);
    const std::int64_t t = period_us / r + (period_us % r != 0 ? 1 : 0);  // ceil
    return Params{t, t * static_cast<std::int64_t>(burst), static_cast<std::int64_t>(burst)};
}

/// The same checks as Limit::validate(), as a predicate (no allocation).
constexpr bool valid(std::int64_t period_us, std::uint64_t rate, std::uint64_t burst) noexcept {
    if (rate < 1 || burst < 1 || period_us < 1 || period_us > kMaxSpan) return false;
    if (rate > static_cast<std::uint64_t>(period_us)) return false;  // T would be < 1 µs
    const auto p = params(period_us, rate, 1);
    return burst <= static_cast<std::uint64_t>(kMaxSpan / p.interval);
}

/// 0 ≤ cost ≤ burst.
constexpr bool cost_ok(const Params& p, std::int64_t cost) noexcept { return cost >= 0 && cost <= p.burst; }

struct Outcome {
    bool allowed = false;
    std::int64_t new_tat = kNever;   // tat to store (== old tat when nothing is consumed)
    std::int64_t retry_after = 0;    // µs, 0 when allowed
    std::int64_t remaining = 0;      // cost-1 requests allowed right now after the decision
    std::int64_t reset_at = 0;       // µs since epoch: key full again
};

/// A validated limit's T and τ plus a precomputed reciprocal of T, so that
/// the per-check `remaining = floor(headroom / T)` is a multiply and a shift
/// instead of a 64-bit division (the hot path of the in-process store's
/// handles). Same results as Params, bit for bit.
///
/// Division by the invariant T: with N = 51 (every dividend here is
/// 0 ≤ n ≤ τ ≤ kMaxSpan = 2^50 < 2^N), l = ceil(log2 T) and
/// m = ceil(2^(N+l) / T), floor(n / T) = (n × m) >> (N + l) for every
/// n < 2^N. Proof: m = (2^(N+l) + e) / T with 0 ≤ e < T ≤ 2^l, so
/// n×m / 2^(N+l) = n/T + n×e / (T × 2^(N+l)) and the error term is
/// < n / (T × 2^N) < 1/T, too small to reach the next integer (n/T has
/// fractional part ≤ (T−1)/T). m < 2^52 + 1 fits 64 bits and n × m < 2^104
/// fits the 128-bit product.
struct Prepared {
    Params params;
    std::uint64_t magic = 1;  // m
    unsigned shift = 51;      // N + l
};

inline constexpr unsigned kDivBits = 51;  // N above

__extension__ typedef unsigned __int128 u128;  // GCC/Clang builtin (silences -Wpedantic)

/// Only for validated params (1 ≤ T, τ ≤ kMaxSpan).
constexpr Prepared prepare(const Params& p) noexcept {
    const auto t = static_cast<std::uint64_t>(p.interval);
    unsigned l = 0;
    while ((std::uint64_t{1} << l) < t) ++l;  // ceil(log2 T); T ≤ 2^50
    const unsigned shift = kDivBits + l;
    const u128 num = static_cast<u128>(1) << shift;
    const auto m = static_cast<std::uint64_t>((num + t - 1) / t);
    return Prepared{p, m, shift};
}

constexpr const Params& params_of(const Params& p) noexcept { return p; }
constexpr const Params& params_of(const Prepared& p) noexcept { return p.params; }

/// floor(n / T) for 0 ≤ n ≤ kMaxSpan.
constexpr std::int64_t div_interval(const Params& p, std::int64_t n) noexcept { return n / p.interval; }
constexpr std::int64_t div_interval(const Prepared& p, std::int64_t n) noexcept {
    const u128 prod = static_cast<u128>(static_cast<std::uint64_t>(n)) * p.magic;
    return static_cast<std::int64_t>(prod >> p.shift);
}

/// remaining and reset_at for a tat after the decision. `P` is Params or
/// Prepared (identical results).
template <class P>
constexpr void fill_remaining(Outcome& o, std::int64_t tat_after, std::int64_t now, const P& prep) noexcept {
    const Params& p = params_of(prep);
    const std::int64_t base = std::max(tat_after, now);
    // 0 < headroom ≤ τ ≤ kMaxSpan when positive (base − now ≥ 0).
    const std::int64_t headroom = sat_sub(p.tolerance, sat_sub(base, now));
    o.remaining = headroom <= 0 ? 0 : div_interval(prep, headroom);
    o.reset_at = base;
}

/// The decision part of acquire(): allowed, new_tat and retry_after only
/// (remaining and reset_at left unset). Lets a CAS loop defer
/// fill_remaining() until its CAS has succeeded.
template <class P>
constexpr Outcome decide(std::int64_t tat, std::int64_t now, const P& prep, std::int64_t cost) noexcept {
    const Params& p = params_of(prep);
    Outcome o;
    const std::int64_t base = std::max(tat, now);
    // excess = base + c×T − τ − now, computed as (base − now) + (c×T − τ):
    // base − now ≥ 0 (saturated) and −τ ≤ c×T − τ ≤ 0, so nothing overflows
    // and saturation can only make the answer stricter, never looser.
    const std::int64_t excess = sat_sub(base, now) + (cost * p.interval - p.tolerance);
    const std::int64_t next = sat_add(base, cost * p.interval);  // base + c×T
    if (excess <= 0) {
        o.allowed = true;
        o.new_tat = cost == 0 ? tat : next;
        o.retry_after = 0;
    } else {
        o.allowed = false;
        o.new_tat = tat;
        o.retry_after = excess;
    }
    return o;
}

/// Try to consume `cost` (1..burst; 0 = peek semantics). Caller stores
/// new_tat (with CAS from `tat`) when allowed. `P` is Params or Prepared.
template <class P>
constexpr Outcome acquire(std::int64_t tat, std::int64_t now, const P& prep, std::int64_t cost) noexcept {
    Outcome o = decide(tat, now, prep, cost);
    fill_remaining(o, o.new_tat, now, prep);
    return o;
}

/// What a cost-1 request would get; never consumes (new_tat == tat).
/// `remaining` is the current remaining (nothing consumed).
constexpr Outcome peek(std::int64_t tat, std::int64_t now, const Params& p) noexcept {
    Outcome o = acquire(tat, now, p, 1);
    o.new_tat = tat;
    fill_remaining(o, tat, now, p);
    return o;
}

/// What a cost-c request would get, without consuming (Store::probe).
template <class P>
constexpr Outcome probe(std::int64_t tat, std::int64_t now, const P& p, std::int64_t cost) noexcept {
    Outcome o = acquire(tat, now, p, cost);
    o.new_tat = tat;
    fill_remaining(o, tat, now, p);
    return o;
}

/// True while a penalty denies the key.
constexpr bool penalized(std::int64_t penalty_until, std::int64_t now) noexcept { return now < penalty_until; }

/// Turns `o` (from acquire/peek/probe on the same tat) into the denial a
/// penalty gives: retry_after = max(penalty_until − now, o.retry_after),
/// remaining 0, reset_at = max(reset_at, penalty_until), tat unchanged.
constexpr Outcome apply_penalty(Outcome o, std::int64_t tat, std::int64_t penalty_until, std::int64_t now) noexcept {
    o.allowed = false;
    o.new_tat = tat;
    o.retry_after = std::max(sat_sub(penalty_until, now), o.retry_after);
    o.remaining = 0;
    o.reset_at = std::max(o.reset_at, penalty_until);
    return o;
}

struct Reservation {
    bool ok = false;               // false: wait would exceed kMaxSpan, nothing consumed
    std::int64_t new_tat = kNever;
    std::int64_t wait = 0;         // µs ≥ 0
};

/// Consumes `cost` (1..burst) unconditionally; see the header comment.
constexpr Reservation reserve(std::int64_t tat, std::int64_t now, const Params& p, std::int64_t cost,
                              std::int64_t penalty_until = kNever) noexcept {
    Reservation r;
    const std::int64_t base = std::max(tat, now);
    r.new_tat = sat_add(base, cost * p.interval);
    r.wait = std::max<std::int64_t>(0, sat_sub(base, now) + (cost * p.interval - p.tolerance));
    if (penalized(penalty_until, now)) r.wait = std::max(r.wait, sat_sub(penalty_until, now));
    r.ok = r.wait <= kMaxSpan;
    if (!r.ok) r.new_tat = tat;
    return r;
}

}  // namespace gramkit::ratelimit::gcra
