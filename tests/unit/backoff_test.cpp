// Retry backoff: the formula's values, the cap, full-jitter bounds, and
// attempt counts far beyond any integer power.
#include <gtest/gtest.h>

#include <climits>
#include <cmath>
#include <limits>
#include <random>

#include "jobs/backoff.hpp"

namespace gramkit::jobs {
namespace {

using namespace std::chrono_literals;

BackoffPolicy policy(Duration base, Duration cap, double multiplier = 2.0) {
    BackoffPolicy p;
    p.base = base;
    p.cap = cap;
    p.multiplier = multiplier;
    return p;
}

std::string validate_error(const BackoffPolicy& p) {
    auto s = p.validate();
    if (s) return "valid";
    EXPECT_EQ(s.error().code, ErrorCode::invalid_argument);
    return s.error().details + ": " + s.error().message;
}

TEST(BackoffValidate, AcceptsSanePolicies) {
    EXPECT_EQ(validate_error(policy(100ms, 10s)), "valid");
    EXPECT_EQ(validate_error(policy(1s, 1s, 1.0)), "valid");  // constant delay
    EXPECT_EQ(validate_error(policy(1us, Duration::max(), 10.0)), "valid");
}

TEST(BackoffValidate, NamesTheBadField) {
    EXPECT_EQ(validate_error(policy(0s, 10s)), "base: backoff: base must be positive, got 0us");
    EXPECT_EQ(validate_error(policy(-5us, 10s)), "base: backoff: base must be positive, got -5us");
    EXPECT_EQ(validate_error(policy(2s, 1s)), "cap: backoff: cap (1000000us) must be at least base (2000000us)");
    EXPECT_EQ(validate_error(policy(1s, 10s, 0.5)), "multiplier: backoff: multiplier must be a finite number >= 1, got 0.5");
    EXPECT_EQ(validate_error(policy(1s, 10s, -2.0)), "multiplier: backoff: multiplier must be a finite number >= 1, got -2");
    EXPECT_EQ(validate_error(policy(1s, 10s, std::nan(""))),
              "multiplier: backoff: multiplier must be a finite number >= 1, got nan");
    EXPECT_EQ(validate_error(policy(1s, 10s, std::numeric_limits<double>::infinity())),
              "multiplier: backoff: multiplier must be a finite number >= 1, got inf");
}

TEST(BackoffFormula, DoublesFromBaseUntilTheCap) {
    auto p = policy(100ms, 10s);
    EXPECT_EQ(max_retry_delay(p, 1), 100ms);
    EXPECT_EQ(max_retry_delay(p, 2), 200ms);
    EXPECT_EQ(max_retry_delay(p, 3), 400ms);
    EXPECT_EQ(max_retry_delay(p, 4), 800ms);
    EXPECT_EQ(max_retry_delay(p, 5), 1600ms);
    EXPECT_EQ(max_retry_delay(p, 6), 3200ms);
    EXPECT_EQ(max_retry_delay(p, 7), 6400ms);
    EXPECT_EQ(max_retry_delay(p, 8), 10s);  // 12.8 s capped
    EXPECT_EQ(max_retry_delay(p, 9), 10s);
}

TEST(BackoffFormula, OtherMultipliers) {
    auto p = policy(1s, 1h, 1.5);
    EXPECT_EQ(max_retry_delay(p, 1), 1s);
    EXPECT_EQ(max_retry_delay(p, 2), 1500ms);
    EXPECT_EQ(max_retry_delay(p, 3), 2250ms);
    EXPECT_EQ(max_retry_delay(p, 4), 3375ms);
    EXPECT_EQ(max_retry_delay(policy(1s, 1h, 3.0), 5), 81s);
    EXPECT_EQ(max_retry_delay(policy(1s, 1h, 10.0), 4), 1000s);
    // Multiplier 1: a constant bound.
    EXPECT_EQ(max_retry_delay(policy(7s, 1h, 1.0), 1), 7s);
    EXPECT_EQ(max_retry_delay(policy(7s, 1h, 1.0), 1000), 7s);
    // Cap equal to base: every bound is the base.
    EXPECT_EQ(max_retry_delay(policy(5s, 5s), 10), 5s);
}

TEST(BackoffFormula, AttemptsBelowOneCountAsTheFirstRetry) {
    auto p = policy(100ms, 10s);
    EXPECT_EQ(max_retry_delay(p, 0), 100ms);
    EXPECT_EQ(max_retry_delay(p, -7), 100ms);
    EXPECT_EQ(max_retry_delay(p, INT_MIN), 100ms);
}

TEST(BackoffFormula, HugeAttemptCountsStayAtTheCap) {
    auto p = policy(100ms, 10s);
    for (int attempt : {64, 65, 1000, 1 << 20, INT_MAX}) EXPECT_EQ(max_retry_delay(p, attempt), 10s) << attempt;
    // A cap at the largest duration: no integer or double overflow on the way.
    auto unbounded = policy(1us, Duration::max());
    EXPECT_EQ(max_retry_delay(unbounded, 63), Duration{std::int64_t{1} << 62});
    EXPECT_EQ(max_retry_delay(unbounded, 64), Duration::max());
    EXPECT_EQ(max_retry_delay(unbounded, INT_MAX), Duration::max());
    EXPECT_EQ(max_retry_delay(policy(1s, Duration::max(), 1e300), 3), Duration::max());
    // A multiplier barely above 1 still reaches the cap, eventually.
    auto slow = policy(1s, 2s, 1.000001);
    EXPECT_LT(max_retry_delay(slow, 1000), 2s);
    EXPECT_EQ(max_retry_delay(slow, INT_MAX), 2s);
    EXPECT_EQ(retry_delay(unbounded, INT_MAX, 0.5), Duration{std::int64_t{1} << 62});
}

TEST(BackoffFormula, BoundNeverDecreasesWithAttempts) {
    std::mt19937_64 rng(7);
    for (int i = 0; i < 200; ++i) {
        Duration base{std::uniform_int_distribution<std::int64_t>(1, 10'000'000)(rng)};
        Duration cap = base + Duration{std::uniform_int_distribution<std::int64_t>(0, 1'000'000'000'000)(rng)};
        double m = std::uniform_real_distribution<double>(1.0, 5.0)(rng);
        auto p = policy(base, cap, m);
        ASSERT_TRUE(p.validate());
        Duration previous{0};
        for (int attempt = 1; attempt <= 80; ++attempt) {
            Duration bound = max_retry_delay(p, attempt);
            EXPECT_GE(bound, previous) << attempt;
            EXPECT_GE(bound, base);
            EXPECT_LE(bound, cap);
            previous = bound;
        }
        EXPECT_EQ(max_retry_delay(p, INT_MAX), cap);
    }
}

TEST(BackoffJitter, ScalesTheBoundByTheRandomNumber) {
    auto p = policy(100ms, 10s);
    EXPECT_EQ(retry_delay(p, 1, 0.0), 0us);
    EXPECT_EQ(retry_delay(p, 1, 0.5), 50ms);
    EXPECT_EQ(retry_delay(p, 3, 0.25), 100ms);  // 0.25 × 400 ms
    EXPECT_EQ(retry_delay(p, 20, 0.5), 5s);     // 0.5 × cap
    // Rounded down to whole microseconds.
    EXPECT_EQ(retry_delay(policy(3us, 3us), 1, 0.5), 1us);
}

TEST(BackoffJitter, StaysBelowTheBoundEvenAtTheEdges) {
    auto p = policy(100ms, 10s);
    double just_below_one = std::nextafter(1.0, 0.0);
    EXPECT_EQ(retry_delay(p, 1, just_below_one), 100ms - 1us);
    // Out-of-contract random numbers are clamped into [0, 1).
    EXPECT_EQ(retry_delay(p, 1, 1.0), 100ms - 1us);
    EXPECT_EQ(retry_delay(p, 1, 7.5), 100ms - 1us);
    EXPECT_EQ(retry_delay(p, 1, std::numeric_limits<double>::infinity()), 100ms - 1us);
    EXPECT_EQ(retry_delay(p, 1, -0.5), 0us);
    EXPECT_EQ(retry_delay(p, 1, std::nan("")), 0us);
    // Bounds too large for a double to hold exactly still stay below.
    auto huge = policy(1us, Duration::max());
    EXPECT_LT(retry_delay(huge, 100, just_below_one), Duration::max());
    EXPECT_GE(retry_delay(huge, 100, just_below_one), Duration::max() / 2);
}

TEST(BackoffJitter, SeededDrawsCoverTheFullRange) {
    auto p = policy(1s, 30s);
    std::mt19937_64 rng(20261125);
    std::uniform_real_distribution<double> unit(0.0, 1.0);
    for (int attempt = 1; attempt <= 8; ++attempt) {
        Duration bound = max_retry_delay(p, attempt);
        Duration lo = Duration::max(), hi = Duration::min();
        double sum = 0;
        constexpr int kDraws = 4000;
        for (int i = 0; i < kDraws; ++i) {
            Duration d = retry_delay(p, attempt, unit(rng));
            ASSERT_GE(d, 0us);
            ASSERT_LT(d, bound);
            lo = std::min(lo, d);
            hi = std::max(hi, d);
            sum += static_cast<double>(d.count());
        }
        // Full jitter: draws reach both ends and average half the bound.
        EXPECT_LT(lo, bound / 50) << attempt;
        EXPECT_GT(hi, bound - bound / 50) << attempt;
        EXPECT_NEAR(sum / kDraws / static_cast<double>(bound.count()), 0.5, 0.03) << attempt;
    }
}

TEST(BackoffInvalidPolicies, StayBoundedWithoutCrashing) {
    // validate() rejects these; the arithmetic must still be safe.
    EXPECT_EQ(max_retry_delay(policy(0s, 10s), 5), 0us);
    EXPECT_EQ(retry_delay(policy(-1s, 10s), 5, 0.5), 0us);
    EXPECT_EQ(max_retry_delay(policy(5s, 1s), 3), 1s);        // cap below base: the cap
    EXPECT_EQ(max_retry_delay(policy(5s, -1s), 3), 0us);
    EXPECT_EQ(max_retry_delay(policy(1s, 10s, 0.5), 5), 1s);  // shrinking multiplier counts as 1
    EXPECT_EQ(max_retry_delay(policy(1s, 10s, std::nan("")), 5), 1s);
    EXPECT_EQ(max_retry_delay(policy(1s, 10s, -std::numeric_limits<double>::infinity()), 5), 1s);
    EXPECT_EQ(max_retry_delay(policy(Duration::min(), Duration::min()), INT_MAX), 0us);
}

}  // namespace
}  // namespace gramkit::jobs
