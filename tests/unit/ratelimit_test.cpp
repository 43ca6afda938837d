// Unit tests for src/ratelimit: GCRA arithmetic, the in-process store, the
// coarse clock and the Limiter (rules, multi-rule checks, penalties).
// Deterministic: every store reads a ManualClock.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <limits>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "gramkit/clock.hpp"
#include "gramkit/ratelimit.hpp"
#include "ratelimit/coarse_clock.hpp"
#include "ratelimit/gcra.hpp"
#include "ratelimit/in_process_store.hpp"
#include "ratelimit/policy.hpp"

namespace gramkit::ratelimit {
namespace {

using namespace std::chrono_literals;

// 10 per second, burst 5: T = 100 ms, τ = 500 ms.
const Limit kTen{10, 1s, 5};
constexpr Duration kT = 100ms;

struct Fixture {
    std::shared_ptr<ManualClock> clock = std::make_shared<ManualClock>();
    std::unique_ptr<Store> store = make_in_process_store(clock);
};

Decision acquire(Store& s, std::string_view key, const Limit& l, std::uint32_t cost = 1) {
    auto r = s.try_acquire(key, l, cost);
    EXPECT_TRUE(r.has_value()) << (r ? "" : r.error().to_string());
    return r ? *r : Decision{};
}

// ------------------------------------------------------------------ gcra ---

TEST(GcraTest, ParamsRoundTheIntervalUp) {
    const auto p = gcra::params(1'000'000, 3, 2);
    EXPECT_EQ(p.interval, 333'334);
    EXPECT_EQ(p.tolerance, 666'668);
    EXPECT_EQ((Limit{3, 1s, 2}.emission_interval()), Duration{333'334});
    EXPECT_EQ((Limit{10, 1s, 1}.emission_interval()), Duration{100'000});
}

TEST(GcraTest, FormulasOnAFreshKey) {
    const auto p = gcra::params(1'000'000, 10, 5);
    auto o = gcra::acquire(gcra::kNever, 1000, p, 1);
    EXPECT_TRUE(o.allowed);
    EXPECT_EQ(o.new_tat, 1000 + 100'000);
    EXPECT_EQ(o.remaining, 4);
    EXPECT_EQ(o.reset_at, 101'000);
    o = gcra::acquire(gcra::kNever, 1000, p, 5);
    EXPECT_TRUE(o.allowed);
    EXPECT_EQ(o.remaining, 0);
    const auto pk = gcra::peek(gcra::kNever, 1000, p);
    EXPECT_TRUE(pk.allowed);
    EXPECT_EQ(pk.remaining, 5);
    EXPECT_EQ(pk.reset_at, 1000);
}

TEST(GcraTest, SaturatesInsteadOfOverflowing) {
    const auto p = gcra::params(gcra::kMaxSpan, 1, 1);
    constexpr auto kMax = std::numeric_limits<std::int64_t>::max();
    const auto o = gcra::acquire(kMax - 5, kMax - 10, p, 1);
    EXPECT_FALSE(o.allowed);
    EXPECT_EQ(o.retry_after, 5);
    const auto r = gcra::reserve(kMax - 5, kMax - 10, p, 1);
    EXPECT_TRUE(r.ok);  // wait = τ − 5 + ... stays ≤ kMaxSpan; tat saturates
    EXPECT_EQ(gcra::sat_add(kMax, 1), kMax);
    EXPECT_EQ(gcra::sat_sub(std::numeric_limits<std::int64_t>::min(), 1), std::numeric_limits<std::int64_t>::min());
}

TEST(GcraTest, ValidateRejectsAbsurdLimits) {
    EXPECT_TRUE(kTen.validate());
    auto code = [](Limit l) { auto s = l.validate(); return s ? ErrorCode::ok : s.error().code; };
    EXPECT_EQ(code(Limit{0, 1s, 1}), ErrorCode::invalid_argument);
    EXPECT_EQ(code(Limit{1, 1s, 0}), ErrorCode::invalid_argument);
    EXPECT_EQ(code(Limit{1, 0s, 1}), ErrorCode::invalid_argument);
    EXPECT_EQ(code(Limit{1, -1s, 1}), ErrorCode::invalid_argument);
    EXPECT_EQ(code(Limit{2'000'000, 1s, 1}), ErrorCode::invalid_argument);  // T < 1 µs
    EXPECT_EQ(code(Limit{1'000'000, 1s, 1}), ErrorCode::ok);                // T = 1 µs
    EXPECT_EQ(code(Limit{1, std::chrono::hours(24 * 365 * 40), 1}), ErrorCode::invalid_argument);
    EXPECT_EQ(code(Limit{1, 1s, std::numeric_limits<std::uint64_t>::max()}), ErrorCode::invalid_argument);
    EXPECT_EQ(code(Limit{std::numeric_limits<std::uint64_t>::max(), 1s, 1}), ErrorCode::invalid_argument);
    EXPECT_EQ(code(Limit{1, 1s, (std::uint64_t{1} << 50) / 1'000'000}), ErrorCode::ok);
    EXPECT_EQ(code(Limit{1, 1s, (std::uint64_t{1} << 50) / 1'000'000 + 1}), ErrorCode::invalid_argument);
}

// ----------------------------------------------------------------- store ---

TEST(RateLimitStoreTest, BurstThenSteadyRateWithExactRetryAfter) {
    Fixture f;
    const Timestamp t0 = f.clock->now();
    for (std::uint64_t i = 0; i < 5; ++i) {
        const Decision d = acquire(*f.store, "k", kTen);
        EXPECT_TRUE(d.allowed) << i;
        EXPECT_EQ(d.remaining, 4 - i);
        EXPECT_EQ(d.reset_at, t0 + kT * static_cast<int>(i + 1));
        EXPECT_EQ(d.retry_after, 0us);
    }
    Decision d = acquire(*f.store, "k", kTen);
    EXPECT_FALSE(d.allowed);
    EXPECT_EQ(d.retry_after, kT);
    EXPECT_EQ(d.remaining, 0u);
    EXPECT_FALSE(d.penalized_until);

    // Steady rate: one per T.
    for (int i = 0; i < 20; ++i) {
        f.clock->advance(kT - 1us);
        d = acquire(*f.store, "k", kTen);
        EXPECT_FALSE(d.allowed);
        EXPECT_EQ(d.retry_after, 1us);
        f.clock->advance(1us);
        EXPECT_TRUE(acquire(*f.store, "k", kTen).allowed);
        EXPECT_FALSE(acquire(*f.store, "k", kTen).allowed);
    }
    // 250 ms later: two fit, the third waits exactly 50 ms.
    f.clock->advance(250ms);
    EXPECT_TRUE(acquire(*f.store, "k", kTen).allowed);
    EXPECT_TRUE(acquire(*f.store, "k", kTen).allowed);
    d = acquire(*f.store, "k", kTen);
    EXPECT_FALSE(d.allowed);
    EXPECT_EQ(d.retry_after, 50ms);
    // A long pause refills to the burst and no further.
    f.clock->advance(1h);
    d = *f.store->peek("k", kTen);
    EXPECT_EQ(d.remaining, 5u);
    EXPECT_EQ(d.reset_at, f.clock->now());
}

TEST(RateLimitStoreTest, CostAboveOne) {
    Fixture f;
    Decision d = acquire(*f.store, "k", kTen, 3);
    EXPECT_TRUE(d.allowed);
    EXPECT_EQ(d.remaining, 2u);
    d = acquire(*f.store, "k", kTen, 3);
    EXPECT_FALSE(d.allowed);
    EXPECT_EQ(d.retry_after, kT);  // needs 300 ms of headroom, has 200 ms
    EXPECT_EQ(d.remaining, 2u);    // nothing consumed
    d = acquire(*f.store, "k", kTen, 2);
    EXPECT_TRUE(d.allowed);
    EXPECT_EQ(d.remaining, 0u);
    d = acquire(*f.store, "k", kTen, 5);
    EXPECT_EQ(d.retry_after, 5 * kT);
    f.clock->advance(5 * kT);
    EXPECT_TRUE(acquire(*f.store, "k", kTen, 5).allowed);
}

TEST(RateLimitStoreTest, CostAboveBurstIsInvalidArgumentEverywhere) {
    Fixture f;
    auto a = f.store->try_acquire("k", kTen, 6);
    ASSERT_FALSE(a);
    EXPECT_EQ(a.error().code, ErrorCode::invalid_argument);
    EXPECT_NE(a.error().message.find("cost exceeds burst"), std::string::npos);
    auto p = f.store->probe("k", kTen, 6);
    ASSERT_FALSE(p);
    EXPECT_EQ(p.error().code, ErrorCode::invalid_argument);
    auto r = f.store->reserve("k", kTen, 6);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, ErrorCode::invalid_argument);
    // An invalid limit is refused with the validator's message.
    auto bad = f.store->try_acquire("k", Limit{0, 1s, 1}, 1);
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().code, ErrorCode::invalid_argument);
    EXPECT_EQ(bad.error().details, "rate");
    // Nothing was consumed by the refusals.
    EXPECT_EQ(f.store->peek("k", kTen)->remaining, 5u);
}

TEST(RateLimitStoreTest, CostZeroBehavesLikePeek) {
    Fixture f;
    const Decision d = acquire(*f.store, "k", kTen, 0);
    EXPECT_TRUE(d.allowed);
    EXPECT_EQ(d.remaining, 5u);
    EXPECT_EQ(f.store->peek("k", kTen)->remaining, 5u);
}

TEST(RateLimitStoreTest, PeekDoesNotConsume) {
    Fixture f;
    for (int i = 0; i < 10; ++i) {
        const Decision d = *f.store->peek("k", kTen);
        EXPECT_TRUE(d.allowed);
        EXPECT_EQ(d.remaining, 5u);
    }
    for (int i = 0; i < 5; ++i) acquire(*f.store, "k", kTen);
    for (int i = 0; i < 3; ++i) {
        const Decision d = *f.store->peek("k", kTen);
        EXPECT_FALSE(d.allowed);
        EXPECT_EQ(d.retry_after, kT);
        EXPECT_EQ(d.reset_at, f.clock->now() + 5 * kT);
    }
    f.clock->advance(kT);
    EXPECT_EQ(f.store->peek("k", kTen)->remaining, 1u);
    // probe: the answer for a cost, exact.
    auto pr = *f.store->probe("k", kTen, 3);
    EXPECT_FALSE(pr.allowed);
    EXPECT_EQ(pr.retry_after, 2 * kT);
    EXPECT_EQ(pr.remaining, 1u);
}

TEST(RateLimitStoreTest, ResetForgetsStateAndPenalty) {
    Fixture f;
    for (int i = 0; i < 5; ++i) acquire(*f.store, "k", kTen);
    ASSERT_TRUE(f.store->penalize("k", f.clock->now() + 1h));
    EXPECT_FALSE(acquire(*f.store, "k", kTen).allowed);
    ASSERT_TRUE(f.store->reset("k"));
    const Decision d = *f.store->peek("k", kTen);
    EXPECT_TRUE(d.allowed);
    EXPECT_EQ(d.remaining, 5u);
    EXPECT_FALSE(d.penalized_until);
    ASSERT_TRUE(f.store->reset("never-seen"));
}

TEST(RateLimitStoreTest, KeysAreIndependent) {
    Fixture f;
    for (int i = 0; i < 5; ++i) acquire(*f.store, "a", kTen);
    EXPECT_FALSE(acquire(*f.store, "a", kTen).allowed);
    EXPECT_TRUE(acquire(*f.store, "b", kTen).allowed);
    EXPECT_TRUE(acquire(*f.store, std::string("a\0x", 3), kTen).allowed);  // embedded NUL is a different key
}

TEST(RateLimitStoreTest, ReserveReturnsWaitsThatAddUp) {
    Fixture f;
    for (int i = 0; i < 5; ++i) EXPECT_EQ(*f.store->reserve("k", kTen, 1), 0us);
    EXPECT_EQ(*f.store->reserve("k", kTen, 1), kT);
    EXPECT_EQ(*f.store->reserve("k", kTen, 1), 2 * kT);
    EXPECT_EQ(*f.store->reserve("k", kTen, 2), 4 * kT);
    EXPECT_EQ(*f.store->reserve("k", kTen, 1), 5 * kT);
    // Reservations consumed: try_acquire agrees with the queue.
    Decision d = acquire(*f.store, "k", kTen);
    EXPECT_FALSE(d.allowed);
    EXPECT_EQ(d.retry_after, 6 * kT);
    f.clock->advance(6 * kT);
    EXPECT_TRUE(acquire(*f.store, "k", kTen).allowed);
    // A penalty extends the wait to its end.
    ASSERT_TRUE(f.store->penalize("p", f.clock->now() + 10s));
    EXPECT_EQ(*f.store->reserve("p", kTen, 1), 10s);
}

TEST(RateLimitStoreTest, ReserveRefusesAbsurdBacklog) {
    Fixture f;
    const Limit slow{1, std::chrono::hours(24 * 365), 1};  // one per year
    Result<Duration> r = Duration{0};
    int n = 0;
    while (r && n < 100) {
        r = f.store->reserve("k", slow, 1);
        ++n;
    }
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, ErrorCode::rate_limited);
    EXPECT_GT(n, 30);  // ~35 years of backlog accepted first
}

TEST(RateLimitStoreTest, PenaltyDeniesWithoutConsumingAndLaterOneWins) {
    Fixture f;
    const Timestamp now = f.clock->now();
    ASSERT_TRUE(f.store->penalize("k", now + 10s));
    Decision d = acquire(*f.store, "k", kTen);
    EXPECT_FALSE(d.allowed);
    ASSERT_TRUE(d.penalized_until);
    EXPECT_EQ(*d.penalized_until, now + 10s);
    EXPECT_EQ(d.retry_after, 10s);
    EXPECT_EQ(d.remaining, 0u);
    // An earlier penalty is ignored, a later one replaces.
    ASSERT_TRUE(f.store->penalize("k", now + 5s));
    EXPECT_EQ(*f.store->peek("k", kTen)->penalized_until, now + 10s);
    ASSERT_TRUE(f.store->penalize("k", now + 20s));
    EXPECT_EQ(f.store->peek("k", kTen)->retry_after, 20s);
    f.clock->advance(20s);
    d = *f.store->peek("k", kTen);
    EXPECT_TRUE(d.allowed);
    EXPECT_EQ(d.remaining, 5u);  // the penalty consumed nothing
    EXPECT_FALSE(d.penalized_until);
    // A penalty in the past is a no-op.
    ASSERT_TRUE(f.store->penalize("k", now));
    EXPECT_TRUE(acquire(*f.store, "k", kTen).allowed);
}

// Forwards everything but probe(), to test Store::probe's default.
class PeekOnlyStore final : public Store {
public:
    explicit PeekOnlyStore(Store& inner) : inner_(inner) {}
    Result<Decision> try_acquire(std::string_view k, const Limit& l, std::uint32_t c) override {
        return inner_.try_acquire(k, l, c);
    }
    Result<Decision> peek(std::string_view k, const Limit& l) override { return inner_.peek(k, l); }
    Result<Duration> reserve(std::string_view k, const Limit& l, std::uint32_t c) override {
        return inner_.reserve(k, l, c);
    }
    Status reset(std::string_view k) override { return inner_.reset(k); }
    Status penalize(std::string_view k, Timestamp u) override { return inner_.penalize(k, u); }

private:
    Store& inner_;
};

TEST(RateLimitStoreTest, DefaultProbeIsExactOrAnUpperBoundWithinOneInterval) {
    Fixture f;
    PeekOnlyStore s(*f.store);
    EXPECT_TRUE(s.probe("k", kTen, 5)->allowed);
    for (int i = 0; i < 5; ++i) acquire(*f.store, "k", kTen);
    EXPECT_EQ(s.probe("k", kTen, 3)->retry_after, 3 * kT);  // remaining 0: exact
    EXPECT_EQ(f.store->probe("k", kTen, 3)->retry_after, 3 * kT);
    f.clock->advance(kT + 30ms);  // headroom 130 ms: remaining 1
    const auto exact = *f.store->probe("k", kTen, 3);
    const auto bound = *s.probe("k", kTen, 3);
    EXPECT_EQ(exact.retry_after, 170ms);
    EXPECT_GE(bound.retry_after, exact.retry_after);
    EXPECT_LT(bound.retry_after, exact.retry_after + kT);
    EXPECT_EQ(s.probe("k", kTen, 6).error().code, ErrorCode::invalid_argument);
}

TEST(RateLimitStoreTest, EvictionKeepsMemoryBoundedAndDecisionsUnchanged) {
    auto clock = std::make_shared<ManualClock>();
    InProcessStore small(clock, InProcessOptions{4, 64});
    InProcessStore big(clock, InProcessOptions{4, 1 << 20});
    const Limit l{10, 1s, 3};
    std::mt19937 rng(7);
    std::size_t peak = 0;
    for (int i = 0; i < 20000; ++i) {
        // Mostly fresh keys, sometimes an old one (possibly evicted).
        const int id = (rng() % 4 == 0) ? static_cast<int>(rng() % (i + 1)) : i;
        const std::string key = "key:" + std::to_string(id);
        const std::uint32_t cost = 1 + rng() % 3;
        const auto a = *small.try_acquire(key, l, cost);
        const auto b = *big.try_acquire(key, l, cost);
        ASSERT_EQ(a.allowed, b.allowed) << i;
        ASSERT_EQ(a.retry_after, b.retry_after) << i;
        ASSERT_EQ(a.remaining, b.remaining) << i;
        ASSERT_EQ(a.reset_at, b.reset_at) << i;
        if (i % 5 == 0) {
            const auto pa = *small.peek(key, l);
            const auto pb = *big.peek(key, l);
            ASSERT_EQ(pa.remaining, pb.remaining);
        }
        clock->advance(Duration{static_cast<std::int64_t>(rng() % 200'000)});  // 0..200 ms
        peak = std::max(peak, small.size());
    }
    // Keys stay "not full" for at most 300 ms here, so only a handful are
    // live at once: the small store stays near its 64-key budget.
    EXPECT_LE(peak, 64u + 4u);
    EXPECT_GT(big.size(), 10000u);
    clock->advance(1s);  // every key is full again
    const std::size_t before = big.size();
    EXPECT_EQ(big.evict_full(), before);
    EXPECT_EQ(big.size(), 0u);
}

TEST(RateLimitStoreTest, KeysThatAreNotFullAreNeverEvicted) {
    auto clock = std::make_shared<ManualClock>();
    InProcessStore s(clock, InProcessOptions{2, 8});
    const Limit l{1, 1h, 1};
    for (int i = 0; i < 100; ++i) ASSERT_TRUE(s.try_acquire("k" + std::to_string(i), l, 1)->allowed);
    EXPECT_EQ(s.size(), 100u);  // over budget, but forgetting any would re-allow it
    for (int i = 0; i < 100; ++i) ASSERT_FALSE(s.try_acquire("k" + std::to_string(i), l, 1)->allowed) << i;
    // Penalized keys are kept too, even when their rate state is full.
    ASSERT_TRUE(s.penalize("p", clock->now() + 2h));
    clock->advance(1h + 1s);
    EXPECT_EQ(s.evict_full(), 100u);
    EXPECT_EQ(s.size(), 1u);
    EXPECT_TRUE(s.peek("p", l)->penalized_until);
}

// ------------------------------------------------------ property: windows ---

struct Allowed {
    std::int64_t t;
    std::int64_t cost;
};

TEST(RateLimitPropertyTest, AllowedInAnyWindowNeverExceedsRateTimesWindowPlusBurst) {
    for (std::uint32_t seed : {1u, 2u, 3u, 42u, 2024u, 99991u}) {
        std::mt19937 rng(seed);
        const Limit l{1 + rng() % 20, Duration{1'000'000 + static_cast<std::int64_t>(rng() % 9'000'000)},
                      1 + rng() % 10};
        const std::int64_t period = l.period.count();
        const std::int64_t rate = static_cast<std::int64_t>(l.rate);
        const std::int64_t burst = static_cast<std::int64_t>(l.burst);
        const std::int64_t t_us = l.emission_interval().count();
        auto clock = std::make_shared<ManualClock>();
        auto store = make_in_process_store(clock);
        std::vector<Allowed> log;
        std::int64_t denied = 0;
        // Reference model of the same arithmetic, written independently
        // from the definitions (128-bit, no saturation needed).
        __extension__ __int128 ref_tat = std::numeric_limits<std::int64_t>::min();
        for (int i = 0; i < 4000; ++i) {
            const std::uint32_t cost = 1 + rng() % static_cast<std::uint32_t>(l.burst);
            const std::int64_t now = to_micros(clock->now());
            const Decision d = *store->try_acquire("key", l, cost);
            __extension__ const __int128 base = std::max<__int128>(ref_tat, now);
            const bool ref_allowed = base + __int128{cost} * t_us - __int128{t_us} * burst <= now;
            ASSERT_EQ(d.allowed, ref_allowed) << "seed " << seed << " step " << i;
            if (d.allowed) {
                ref_tat = base + __int128{cost} * t_us;
                log.push_back({now, cost});
            } else {
                ++denied;
                ASSERT_EQ(d.retry_after.count(),
                          static_cast<std::int64_t>(base + __int128{cost} * t_us - __int128{t_us} * burst - now));
            }
            // Random time steps: often 0 (bursts), sometimes long pauses.
            const auto pick = rng() % 10;
            const std::int64_t step = pick < 3 ? 0 : pick < 9 ? static_cast<std::int64_t>(rng() % (2 * t_us + 1))
                                                              : static_cast<std::int64_t>(rng() % (3 * period));
            clock->advance(Duration{step});
        }
        ASSERT_GT(denied, 0) << "sequence never hit the limit; test too weak";
        ASSERT_GT(log.size(), 100u);
        // Reference sliding-window counter over the log, for several W.
        std::vector<std::int64_t> windows = {0, t_us / 2, t_us, 3 * t_us, period / 2, period, 2 * period, 7 * period};
        for (int k = 0; k < 5; ++k) windows.push_back(static_cast<std::int64_t>(rng() % (4 * period)));
        for (std::int64_t w : windows) {
            std::int64_t sum = 0, max_sum = 0;
            std::size_t lo = 0;
            for (std::size_t hi = 0; hi < log.size(); ++hi) {
                sum += log[hi].cost;
                while (log[hi].t - log[lo].t > w) sum -= log[lo++].cost;
                max_sum = std::max(max_sum, sum);
                // count ≤ rate × W / period + burst  ⇔  count × period ≤ rate × W + burst × period
                ASSERT_LE(sum * period, rate * w + burst * period)
                    << "seed " << seed << " window " << w << " ending at entry " << hi;
            }
            // The bound is tight-ish: a window of one period saw at least
            // the burst (the sequence starts with a full bucket).
            if (w == period) EXPECT_GE(max_sum, burst);
        }
    }
}

// ----------------------------------------------------------- concurrency ---

TEST(RateLimitConcurrencyTest, EightThreadsOnOneKeyAtAFrozenClockAllowExactlyBurst) {
    auto clock = std::make_shared<ManualClock>();
    auto store = make_in_process_store(clock);
    const Limit l{1, 1h, 1000};
    std::atomic<std::int64_t> allowed{0};
    std::atomic<bool> go{false};
    std::vector<std::thread> threads;
    for (int t = 0; t < 8; ++t) {
        threads.emplace_back([&, t] {
            while (!go.load()) std::this_thread::yield();
            std::int64_t mine = 0;
            for (int i = 0; i < 2000; ++i) {
                auto d = store->try_acquire("hot", l, 1 + (i + t) % 2);
                if (d && d->allowed) mine += 1 + (i + t) % 2;
            }
            allowed.fetch_add(mine);
        });
    }
    go.store(true);
    for (auto& th : threads) th.join();
    EXPECT_EQ(allowed.load(), 1000);
    EXPECT_EQ(store->peek("hot", l)->remaining, 0u);
}

TEST(RateLimitConcurrencyTest, ManyThreadsManyKeysWithEvictionStayConsistent) {
    auto clock = std::make_shared<ManualClock>();
    auto store = std::make_shared<InProcessStore>(clock, InProcessOptions{8, 256});
    const Limit l{1, 1h, 3};
    std::atomic<bool> go{false};
    std::vector<std::thread> threads;
    std::vector<std::int64_t> allowed(4, 0);
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&, t] {
            while (!go.load()) std::this_thread::yield();
            for (int i = 0; i < 3000; ++i) {
                const std::string key = "k" + std::to_string(i % 500);
                if (store->try_acquire(key, l, 1)->allowed) ++allowed[t];
                if (i % 100 == 0) (void)store->reset("unrelated" + std::to_string(i));
            }
        });
    }
    go.store(true);
    for (auto& th : threads) th.join();
    std::int64_t total = 0;
    for (auto a : allowed) total += a;
    EXPECT_EQ(total, 500 * 3);  // no key was forgotten while not full
}

// ------------------------------------------------------------- handles ---

TEST(GcraTest, PreparedReciprocalDividesExactly) {
    std::mt19937_64 rng(11);
    for (std::int64_t t : {std::int64_t{1}, std::int64_t{2}, std::int64_t{3}, std::int64_t{7}, std::int64_t{100'000},
                           std::int64_t{3'300'000}, (std::int64_t{1} << 33) + 1, gcra::kMaxSpan - 1, gcra::kMaxSpan}) {
        const auto q = gcra::prepare(gcra::Params{t, t, 1});
        for (std::int64_t n : {std::int64_t{0}, std::int64_t{1}, t - 1, t, t + 1, 2 * t - 1, gcra::kMaxSpan - 1,
                               gcra::kMaxSpan}) {
            if (n < 0 || n > gcra::kMaxSpan) continue;
            ASSERT_EQ(gcra::div_interval(q, n), n / t) << t << " " << n;
        }
        for (int i = 0; i < 2000; ++i) {
            const auto n = static_cast<std::int64_t>(rng() % static_cast<std::uint64_t>(gcra::kMaxSpan + 1));
            ASSERT_EQ(gcra::div_interval(q, n), n / t) << t << " " << n;
        }
    }
}

TEST(RateLimitHandleTest, HandlesGiveTheSameDecisionsAsStringKeys) {
    auto clock = std::make_shared<ManualClock>();
    InProcessStore by_key(clock, {});
    InProcessStore by_handle(clock, {});
    const auto prepared = InProcessStore::prepare(kTen);
    ASSERT_TRUE(prepared);
    const KeyHandle h = by_handle.handle("k");
    ASSERT_TRUE(h);
    std::mt19937 rng(3);
    for (int i = 0; i < 5000; ++i) {
        const std::uint32_t cost = rng() % 6;  // 0 (peek) .. 5 (= burst)
        const auto a = by_key.try_acquire("k", kTen, cost);
        const auto b = (i % 3 == 0) ? by_handle.try_acquire(h, kTen, cost) : by_handle.try_acquire(h, *prepared, cost);
        ASSERT_TRUE(a && b) << i;
        ASSERT_EQ(a->allowed, b->allowed) << i;
        ASSERT_EQ(a->retry_after, b->retry_after) << i;
        ASSERT_EQ(a->remaining, b->remaining) << i;
        ASSERT_EQ(a->reset_at, b->reset_at) << i;
        ASSERT_EQ(a->penalized_until, b->penalized_until) << i;
        const auto pa = by_key.peek("k", kTen);
        const auto pb = by_handle.peek(h, *prepared);
        ASSERT_EQ(pa->remaining, pb->remaining) << i;
        ASSERT_EQ(pa->retry_after, pb->retry_after) << i;
        if (i % 500 == 250) {  // a penalty, set through the string key on both
            ASSERT_TRUE(by_key.penalize("k", clock->now() + 300ms));
            ASSERT_TRUE(by_handle.penalize("k", clock->now() + 300ms));
        }
        if (i % 700 == 0) {
            ASSERT_TRUE(by_key.reset("k"));
            ASSERT_TRUE(by_handle.reset("k"));
        }
        clock->advance(Duration{static_cast<std::int64_t>(rng() % 120'000)});  // 0..120 ms
    }
    // A cost above the burst is rejected on both paths.
    EXPECT_EQ(by_handle.try_acquire(h, *prepared, 6).error().code, ErrorCode::invalid_argument);
    EXPECT_EQ(by_handle.try_acquire(h, kTen, 6).error().code, ErrorCode::invalid_argument);
    EXPECT_FALSE(InProcessStore::prepare(Limit{0, 1s, 1}));
    EXPECT_FALSE(by_handle.try_acquire(h, Limit{1, 1s, 0}, 1));
}

TEST(RateLimitHandleTest, AHandleKeepsItsNodeAliveAcrossEviction) {
    auto clock = std::make_shared<ManualClock>();
    auto store = std::make_unique<InProcessStore>(clock, InProcessOptions{1, 4});
    const auto p = *InProcessStore::prepare(kTen);
    KeyHandle h = store->handle("held");
    EXPECT_EQ(store->size(), 1u);
    ASSERT_TRUE(store->try_acquire(h, p, 3)->allowed);
    clock->advance(1h);  // "held" is full again: evictable but for the handle
    EXPECT_EQ(store->evict_full(), 0u);
    // Lazy eviction on inserts (budget 4) also keeps it.
    for (int i = 0; i < 50; ++i) ASSERT_TRUE(store->try_acquire("other" + std::to_string(i), kTen, 1)->allowed);
    clock->advance(1h);
    for (int i = 50; i < 60; ++i) ASSERT_TRUE(store->try_acquire("other" + std::to_string(i), kTen, 1)->allowed);
    // Handle and string key still share one state.
    ASSERT_TRUE(store->try_acquire(h, p, 4)->allowed);
    EXPECT_EQ(store->peek("held", kTen)->remaining, 1u);
    EXPECT_EQ(acquire(*store, "held", kTen).remaining, 0u);
    EXPECT_FALSE(store->try_acquire(h, p, 1)->allowed);
    // reset() with a handle outstanding clears the state in place.
    ASSERT_TRUE(store->reset("held"));
    EXPECT_EQ(store->peek(h, p)->remaining, 5u);
    EXPECT_TRUE(store->try_acquire(h, p, 1)->allowed);
    EXPECT_EQ(store->peek("held", kTen)->remaining, 4u);
    // Copies keep it too; once every handle is gone it is evictable again.
    KeyHandle copy = h;
    h = KeyHandle{};
    clock->advance(1h);
    store->evict_full();
    EXPECT_EQ(store->peek("held", kTen)->remaining, 5u);
    EXPECT_TRUE(store->try_acquire(copy, p, 5)->allowed);
    EXPECT_EQ(store->peek("held", kTen)->remaining, 0u);
    copy = KeyHandle{};
    clock->advance(1h);
    EXPECT_EQ(store->evict_full(), 1u);
    EXPECT_EQ(store->size(), 0u);
    // A handle may outlive its store (the node is freed with the last reference).
    KeyHandle survivor = store->handle("survivor");
    store.reset();
    EXPECT_TRUE(survivor);
}

TEST(RateLimitConcurrencyTest, EightThreadsOnOneHandleAtAFrozenClockAllowExactlyBurst) {
    auto clock = std::make_shared<ManualClock>();
    InProcessStore store(clock, {});
    const Limit l{1, 1h, 1000};
    const auto p = *InProcessStore::prepare(l);
    const KeyHandle h = store.handle("hot");
    std::atomic<std::int64_t> allowed{0};
    std::atomic<bool> go{false};
    std::vector<std::thread> threads;
    for (int t = 0; t < 8; ++t) {
        threads.emplace_back([&, t, mine_handle = h] {
            while (!go.load()) std::this_thread::yield();
            std::int64_t mine = 0;
            for (int i = 0; i < 2000; ++i) {
                const std::uint32_t cost = 1 + (i + t) % 2;
                auto d = store.try_acquire(mine_handle, p, cost);
                if (d && d->allowed) mine += cost;
            }
            allowed.fetch_add(mine);
        });
    }
    go.store(true);
    for (auto& th : threads) th.join();
    EXPECT_EQ(allowed.load(), 1000);
    EXPECT_EQ(store.peek("hot", l)->remaining, 0u);
    EXPECT_EQ(store.peek(h, p)->remaining, 0u);
}

// ------------------------------------------------------------ coarse clock ---

TEST(RateLimitCoarseClockTest, TracksTheSystemClockWithinATick) {
    CoarseClock c;
    const auto res = CoarseClock::resolution();
    EXPECT_GT(res, 0us);
    EXPECT_LE(res, 20ms);
    const auto sys = std::chrono::floor<Duration>(std::chrono::system_clock::now());
    const auto coarse = c.now();
    EXPECT_LT(std::chrono::abs(coarse - sys), res + 50ms);
    EXPECT_EQ(CoarseClock::shared().get(), CoarseClock::shared().get());
}

// ---------------------------------------------------------------- limiter ---

struct LimiterFixture {
    std::shared_ptr<ManualClock> clock = std::make_shared<ManualClock>();
    std::shared_ptr<Store> store = make_in_process_store(clock);
    Limiter limiter{store, clock};
};

Request req(std::vector<std::string> parts) { return Request{std::move(parts)}; }

TEST(LimiterTest, DefaultRulesMatchTheReferenceCounts) {
    const auto rules = default_rules();
    ASSERT_EQ(rules.size(), 3u);
    auto window_max = [](const Rule& r, Duration w) {
        return static_cast<std::uint64_t>(static_cast<double>(r.limit.rate) * static_cast<double>(w.count()) /
                                          static_cast<double>(r.limit.period.count())) +
               r.limit.burst;
    };
    EXPECT_EQ(rules[0].name, "account.graphql");
    EXPECT_EQ(window_max(rules[0], 11min), 200u);
    EXPECT_EQ(rules[1].name, "account.web");
    EXPECT_EQ(window_max(rules[1], 11min), 75u);
    EXPECT_EQ(rules[2].name, "account.mobile");
    EXPECT_EQ(window_max(rules[2], 30min), 199u);
    for (const auto& r : rules) EXPECT_TRUE(r.limit.validate());
}

TEST(LimiterTest, ApplicableRulesAndKeys) {
    LimiterFixture f;
    const auto a = f.limiter.applicable(req({"account:42", "action:hashtag", "proxy:7", "endpoint:graphql"}));
    ASSERT_EQ(a.size(), 1u);
    EXPECT_EQ(a[0].first, "account.graphql");
    EXPECT_EQ(a[0].second, "account.graphql|account:42|endpoint:graphql|action:hashtag");
    EXPECT_TRUE(f.limiter.applicable(req({"account:42", "endpoint:graphql"})).empty());  // no action part
    const auto web = f.limiter.applicable(req({"account:42", "endpoint:web", "action:profile"}));
    ASSERT_EQ(web.size(), 1u);
    EXPECT_EQ(web[0].second, "account.web|account:42|endpoint:web");
    // "accountant:1" is not of kind "account".
    EXPECT_TRUE(f.limiter.applicable(req({"accountant:1", "endpoint:web"})).empty());
}

TEST(LimiterTest, SetRulesValidatesAndRoundTrips) {
    LimiterFixture f;
    EXPECT_EQ(f.limiter.set_rules({Rule{"", kTen, {"a"}}}).error().code, ErrorCode::invalid_argument);
    EXPECT_EQ(f.limiter.set_rules({Rule{"x|y", kTen, {"a"}}}).error().code, ErrorCode::invalid_argument);
    EXPECT_EQ(f.limiter.set_rules({Rule{"penalty", kTen, {"a"}}}).error().code, ErrorCode::invalid_argument);
    EXPECT_EQ(f.limiter.set_rules({Rule{"x", kTen, {}}}).error().code, ErrorCode::invalid_argument);
    EXPECT_EQ(f.limiter.set_rules({Rule{"x", kTen, {""}}}).error().code, ErrorCode::invalid_argument);
    EXPECT_EQ(f.limiter.set_rules({Rule{"x", Limit{0, 1s, 1}, {"a"}}}).error().code, ErrorCode::invalid_argument);
    EXPECT_EQ(f.limiter.set_rules({Rule{"x", kTen, {"a"}}, Rule{"x", kTen, {"b"}}}).error().code,
              ErrorCode::invalid_argument);
    EXPECT_EQ(f.limiter.rules().size(), 3u);  // failed sets changed nothing
    ASSERT_TRUE(f.limiter.set_rules({Rule{"proxy", Limit{5, 1min, 2}, {"proxy"}}}));
    const auto rules = f.limiter.rules();
    ASSERT_EQ(rules.size(), 1u);
    EXPECT_EQ(rules[0].name, "proxy");
    EXPECT_EQ(rules[0].limit.rate, 5u);
    EXPECT_EQ(rules[0].match, std::vector<std::string>{"proxy"});
}

TEST(LimiterTest, MultiRuleDenialNamesTheBindingRuleAndConsumesNothing) {
    LimiterFixture f;
    ASSERT_TRUE(f.limiter.set_rules({
        Rule{"account", Limit{10, 1s, 5}, {"account"}},
        Rule{"proxy", Limit{10, 1s, 2}, {"proxy"}},
        Rule{"other", Limit{10, 1s, 1}, {"endpoint:mobile"}},  // does not apply
    }));
    const Request r = req({"account:1", "proxy:7", "endpoint:web"});
    auto v = *f.limiter.check(r);
    EXPECT_TRUE(v.allowed);
    EXPECT_EQ(v.rule, "proxy");  // fewest remaining
    EXPECT_EQ(v.remaining, 1u);
    EXPECT_TRUE(f.limiter.check(r)->allowed);
    v = *f.limiter.check(r);
    EXPECT_FALSE(v.allowed);
    EXPECT_EQ(v.rule, "proxy");
    EXPECT_EQ(v.key, "proxy|proxy:7");
    EXPECT_EQ(v.retry_after, 100ms);
    EXPECT_FALSE(v.partially_consumed);
    // The account rule was not charged for the denied request.
    auto st = *f.limiter.status(r);
    ASSERT_EQ(st.size(), 2u);
    EXPECT_EQ(st[0].rule, "account");
    EXPECT_EQ(st[0].decision.remaining, 3u);
    EXPECT_EQ(st[1].decision.remaining, 0u);
    // Cost 2: the account rule binds differently from the proxy.
    f.clock->advance(200ms);
    v = *f.limiter.check(r, 2);
    EXPECT_TRUE(v.allowed);
    // Cost 3 is above the proxy burst: it could never pass.
    EXPECT_EQ(f.limiter.check(r, 3).error().code, ErrorCode::invalid_argument);
    EXPECT_EQ(f.limiter.check(r, 0).error().code, ErrorCode::invalid_argument);
    // A request no rule applies to passes.
    v = *f.limiter.check(req({"nothing:1"}));
    EXPECT_TRUE(v.allowed);
    EXPECT_EQ(v.rule, "");
}

TEST(LimiterTest, LongestRetryAfterBinds) {
    LimiterFixture f;
    ASSERT_TRUE(f.limiter.set_rules({
        Rule{"fast", Limit{10, 1s, 1}, {"a"}},
        Rule{"slow", Limit{1, 10s, 1}, {"a"}},
    }));
    const Request r = req({"a:1"});
    ASSERT_TRUE(f.limiter.check(r)->allowed);
    const auto v = *f.limiter.check(r);
    EXPECT_FALSE(v.allowed);
    EXPECT_EQ(v.rule, "slow");
    EXPECT_EQ(v.retry_after, 10s);
}

TEST(LimiterTest, PenaltyBlocksEveryRequestNamingThePartAndEscalates) {
    auto clock = std::make_shared<ManualClock>();
    std::shared_ptr<Store> store = make_in_process_store(clock);
    Limiter limiter(store, clock, PenaltyOptions{6h, 24h});
    const Request graphql = req({"account:42", "endpoint:graphql", "action:feed"});
    const Request other = req({"account:42", "endpoint:web"});
    const Request someone_else = req({"account:43", "endpoint:web"});

    Timestamp now = clock->now();
    EXPECT_EQ(*limiter.penalize("account:42", now + 11min, /*escalate=*/true), now + 11min);
    for (const auto& r : {graphql, other}) {
        const auto v = *limiter.check(r);
        EXPECT_FALSE(v.allowed);
        EXPECT_EQ(v.rule, "penalty");
        EXPECT_EQ(v.key, "penalty|account:42");
        EXPECT_EQ(v.retry_after, 11min);
        ASSERT_TRUE(v.penalized_until);
        EXPECT_EQ(*v.penalized_until, now + 11min);
    }
    EXPECT_TRUE(limiter.check(someone_else)->allowed);
    // The denied requests consumed nothing.
    clock->advance(11min);
    EXPECT_EQ((*limiter.status(graphql))[0].decision.remaining, 20u);
    EXPECT_TRUE(limiter.check(graphql)->allowed);

    // Repeats within the window double: 11 → 22 → 44 min ... capped at 24 h.
    Duration expected = 22min;
    for (int i = 0; i < 8; ++i) {
        now = clock->now();
        EXPECT_EQ(*limiter.penalize("account:42", now + 11min, true), now + expected) << i;
        EXPECT_EQ(limiter.check(other)->retry_after, expected);
        clock->advance(expected + 1h);  // 1 h after the end: still within 6 h
        expected = std::min<Duration>(2 * expected, 24h);
    }
    // A longer request than the doubled one wins.
    now = clock->now();
    EXPECT_EQ(*limiter.penalize("account:43", now + 3h, true), now + 3h);
    clock->advance(3h);
    EXPECT_EQ(*limiter.penalize("account:43", now + 3h + 7h, true) - clock->now(), 7h);
    // Without escalate: as requested (capped).
    now = clock->now();
    EXPECT_EQ(*limiter.penalize("proxy:1", now + 5min, false), now + 5min);
    EXPECT_EQ(*limiter.penalize("proxy:1", now + 48h, false), now + 24h);
    // After the escalation window the history no longer counts.
    clock->advance(24h + 6h + 1s);
    now = clock->now();
    EXPECT_EQ(*limiter.penalize("proxy:1", now + 5min, true), now + 5min);
    // clear_escalation forgets it at once.
    EXPECT_EQ(*limiter.penalize("proxy:1", clock->now() + 5min, true), clock->now() + 10min);
    limiter.clear_escalation("proxy:1");
    EXPECT_EQ(*limiter.penalize("proxy:1", clock->now() + 5min, true), clock->now() + 5min);
    // The store keeps the longer penalty that is still running.
    EXPECT_EQ(limiter.check(req({"proxy:1"}))->retry_after, 10min);
}

TEST(LimiterTest, ResetClearsRuleKeysAndPenalties) {
    LimiterFixture f;
    ASSERT_TRUE(f.limiter.set_rules({Rule{"a", Limit{1, 1h, 1}, {"account"}}}));
    const Request r = req({"account:1"});
    ASSERT_TRUE(f.limiter.check(r)->allowed);
    ASSERT_TRUE(f.limiter.penalize("account:1", f.clock->now() + 1h));
    EXPECT_FALSE(f.limiter.check(r)->allowed);
    ASSERT_TRUE(f.limiter.reset(r));
    EXPECT_TRUE(f.limiter.check(r)->allowed);
}

TEST(LimiterTest, SetRulesWhileCheckingIsSafe) {
    // The writer keeps swapping rule sets until the reader has done its
    // checks, so the two always overlap (no dependence on thread timing).
    LimiterFixture f;
    std::atomic<bool> reader_done{false};
    std::atomic<int> swaps{0}, failed_swaps{0};
    std::thread writer([&] {
        for (int i = 0; !reader_done.load(); ++i) {
            if (!f.limiter.set_rules({Rule{"r" + std::to_string(i % 3), Limit{100, 1s, 10}, {"account"}}})) failed_swaps++;
            swaps++;
        }
    });
    while (swaps.load() == 0) std::this_thread::yield();  // the writer is running
    int ok = 0;
    for (int i = 0; i < 2000; ++i) {
        auto v = f.limiter.check(req({"account:1"}));
        if (v) ++ok;
    }
    reader_done.store(true);
    writer.join();
    EXPECT_EQ(ok, 2000);
    EXPECT_EQ(failed_swaps.load(), 0);
}

TEST(LimiterTest, JitteredSpacingStaysInRangeAndIsDeterministicPerSeed) {
    std::mt19937 a(5), b(5);
    std::int64_t lo = std::numeric_limits<std::int64_t>::max(), hi = 0;
    for (int i = 0; i < 1000; ++i) {
        const Duration d = jittered_spacing(1s, 2s, a);
        EXPECT_EQ(d, jittered_spacing(1s, 2s, b));
        EXPECT_GE(d, 1s);
        EXPECT_LE(d, 3s);
        lo = std::min(lo, d.count());
        hi = std::max(hi, d.count());
    }
    EXPECT_LT(lo, 1'200'000);
    EXPECT_GT(hi, 2'800'000);
    EXPECT_EQ(jittered_spacing(1s, 0s, a), 1s);
    EXPECT_EQ(jittered_spacing(-1s, -1s, a), 0s);
}

}  // namespace
}  // namespace gramkit::ratelimit
