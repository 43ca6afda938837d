// Rate limiting benchmarks (issue 4; results in docs/benchmarks.md).
//
// Every store benchmark has a baseline measured in the same run:
//   (a) one key, one thread, fake clock:   store vs a bare CAS GCRA loop on one std::atomic
//   (b) one key, one thread, real clock:   store + CoarseClock vs a bare loop calling
//                                          clock_gettime(CLOCK_REALTIME) per check
//   (c) one hot key, 2 threads, fake clock: store vs a std::mutex token bucket
//   (d) 100 000 keys, 2 threads, fake clock: store vs a flat array of std::atomic<int64_t>
//                                          indexed by key number
// The store rows of (a)-(d) use the resolved-key path: KeyHandle from
// InProcessStore::handle() and a PreparedLimit, both obtained before timing
// (like a prepared statement). The string-key rows (`*_StringKey_*`) are
// kept for information.
// The limit is generous (T = 1 µs, burst 2^40) so every check is allowed and
// takes the compare-and-swap path; the fake clock is frozen. Key strings and
// handles are built before timing.
#include <benchmark/benchmark.h>
#include <time.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "gramkit/clock.hpp"
#include "gramkit/ratelimit.hpp"
#include "ratelimit/coarse_clock.hpp"
#include "ratelimit/gcra.hpp"
#include "ratelimit/in_process_store.hpp"

namespace {

using namespace gramkit;
using namespace gramkit::ratelimit;

const Limit kLimit{1'000'000, std::chrono::seconds(1), std::uint64_t{1} << 40};

// The baseline: the GCRA step on one atomic, reading time through the same
// kind of Clock pointer as the store (virtual call).
inline bool bare_gcra(std::atomic<std::int64_t>& tat, std::int64_t now, std::int64_t t, std::int64_t tau) {
    std::int64_t cur = tat.load(std::memory_order_acquire);
    for (;;) {
        const std::int64_t base = cur > now ? cur : now;
        const std::int64_t next = base + t;
        if (next - tau > now) return false;
        if (tat.compare_exchange_weak(cur, next, std::memory_order_acq_rel, std::memory_order_acquire)) return true;
    }
}

const std::int64_t kT = kLimit.emission_interval().count();
const std::int64_t kTau = kT * static_cast<std::int64_t>(kLimit.burst);

std::shared_ptr<const Clock> manual_clock() {
    static auto c = std::make_shared<const ManualClock>();
    return c;
}

const PreparedLimit kPrepared = *InProcessStore::prepare(kLimit);
const std::string kKey = "account.graphql|account:42|endpoint:graphql|action:feed";

// One key, one thread, through a handle.
void run_handle_one_key(benchmark::State& state, std::shared_ptr<const Clock> clock, bool check_all) {
    InProcessStore store(std::move(clock), {});
    const KeyHandle h = store.handle(kKey);
    std::int64_t allowed = 0;
    for (auto _ : state) {
        auto d = store.try_acquire(h, kPrepared, 1);
        allowed += d->allowed;
    }
    benchmark::DoNotOptimize(allowed);
    if (check_all && allowed != static_cast<std::int64_t>(state.iterations())) state.SkipWithError("denied");
}

// ---------------------------------------------------------------- (a) ---

void BM_A_Bare_CasGcra_FakeClock(benchmark::State& state) {
    const Clock* clock = manual_clock().get();
    benchmark::DoNotOptimize(clock);
    std::atomic<std::int64_t> tat{gcra::kNever};
    std::int64_t allowed = 0;
    for (auto _ : state) {
        allowed += bare_gcra(tat, to_micros(clock->now()), kT, kTau);
    }
    benchmark::DoNotOptimize(allowed);
    if (allowed != static_cast<std::int64_t>(state.iterations())) state.SkipWithError("denied");
}
BENCHMARK(BM_A_Bare_CasGcra_FakeClock);

void BM_A_Store_OneKey_FakeClock(benchmark::State& state) { run_handle_one_key(state, manual_clock(), true); }
BENCHMARK(BM_A_Store_OneKey_FakeClock);

// The same, but consuming every field of the Decision (the row above lets
// the compiler drop the unused remaining/reset_at arithmetic, as a caller
// that reads only `allowed` would).
void BM_A_Store_OneKey_FakeClock_AllFields(benchmark::State& state) {
    InProcessStore store(manual_clock(), {});
    const KeyHandle h = store.handle(kKey);
    std::int64_t sum = 0;
    for (auto _ : state) {
        auto d = store.try_acquire(h, kPrepared, 1);
        sum += d->allowed + static_cast<std::int64_t>(d->remaining) + d->retry_after.count() +
               to_micros(d->reset_at);
    }
    benchmark::DoNotOptimize(sum);
}
BENCHMARK(BM_A_Store_OneKey_FakeClock_AllFields);

void BM_A_StringKey_OneKey_FakeClock(benchmark::State& state) {
    auto store = make_in_process_store(manual_clock());
    const std::string key = "account.graphql|account:42|endpoint:graphql|action:feed";
    std::int64_t allowed = 0;
    for (auto _ : state) {
        auto d = store->try_acquire(key, kLimit, 1);
        allowed += d->allowed;
    }
    benchmark::DoNotOptimize(allowed);
    if (allowed != static_cast<std::int64_t>(state.iterations())) state.SkipWithError("denied");
}
BENCHMARK(BM_A_StringKey_OneKey_FakeClock);

// ---------------------------------------------------------------- (b) ---

void BM_B_Bare_CasGcra_ClockGettime(benchmark::State& state) {
    std::atomic<std::int64_t> tat{gcra::kNever};
    std::int64_t allowed = 0;
    for (auto _ : state) {
        timespec ts{};
        ::clock_gettime(CLOCK_REALTIME, &ts);
        const std::int64_t now = static_cast<std::int64_t>(ts.tv_sec) * 1'000'000 + ts.tv_nsec / 1000;
        allowed += bare_gcra(tat, now, kT, kTau);
    }
    benchmark::DoNotOptimize(allowed);
}
BENCHMARK(BM_B_Bare_CasGcra_ClockGettime);

void BM_B_Store_OneKey_CoarseClock(benchmark::State& state) {
    run_handle_one_key(state, CoarseClock::shared(), false);
}
BENCHMARK(BM_B_Store_OneKey_CoarseClock);

// For reference: the handle path reading SystemClock (clock_gettime per check).
void BM_B_Store_OneKey_SystemClock(benchmark::State& state) {
    run_handle_one_key(state, SystemClock::shared(), false);
}
BENCHMARK(BM_B_Store_OneKey_SystemClock);

void BM_B_StringKey_OneKey_CoarseClock(benchmark::State& state) {
    auto store = make_in_process_store(CoarseClock::shared());
    const std::string key = "account.graphql|account:42|endpoint:graphql|action:feed";
    std::int64_t allowed = 0;
    for (auto _ : state) {
        auto d = store->try_acquire(key, kLimit, 1);
        allowed += d->allowed;
    }
    benchmark::DoNotOptimize(allowed);
}
BENCHMARK(BM_B_StringKey_OneKey_CoarseClock);

void BM_B_StringKey_OneKey_SystemClock(benchmark::State& state) {
    auto store = make_in_process_store(SystemClock::shared());
    const std::string key = "account.graphql|account:42|endpoint:graphql|action:feed";
    std::int64_t allowed = 0;
    for (auto _ : state) {
        auto d = store->try_acquire(key, kLimit, 1);
        allowed += d->allowed;
    }
    benchmark::DoNotOptimize(allowed);
}
BENCHMARK(BM_B_StringKey_OneKey_SystemClock);

// ---------------------------------------------------------------- (c) ---

// A classic token bucket under one std::mutex (the usual hand-written limiter).
struct MutexTokenBucket {
    std::mutex mutex;
    double tokens = static_cast<double>(kLimit.burst);
    std::int64_t last = 0;
    double per_us = 1.0;  // refill rate
    double capacity = static_cast<double>(kLimit.burst);

    bool take(std::int64_t now) {
        std::lock_guard lock(mutex);
        if (now > last) {
            tokens = std::min(capacity, tokens + static_cast<double>(now - last) * per_us);
            last = now;
        }
        if (tokens < 1.0) return false;
        tokens -= 1.0;
        return true;
    }
};

void BM_C_MutexTokenBucket_HotKey(benchmark::State& state) {
    static MutexTokenBucket* bucket = nullptr;
    if (state.thread_index() == 0) bucket = new MutexTokenBucket();
    const Clock* clock = manual_clock().get();
    benchmark::DoNotOptimize(clock);
    std::int64_t allowed = 0;
    for (auto _ : state) allowed += bucket->take(to_micros(clock->now()));
    benchmark::DoNotOptimize(allowed);
    // The bucket is leaked (one small object per run): deleting it here
    // could race the other thread still leaving its loop.
}
BENCHMARK(BM_C_MutexTokenBucket_HotKey)->Threads(2)->UseRealTime();

void BM_C_Store_HotKey(benchmark::State& state) {
    static InProcessStore* store = nullptr;
    static KeyHandle* hot = nullptr;
    if (state.thread_index() == 0) {
        // Leaked like the bucket above: the other thread may still be leaving its loop.
        store = new InProcessStore(manual_clock(), {});
        hot = new KeyHandle(store->handle("proxy|proxy:7"));
    }
    // Both threads share the handle (read-only; thread 0 creates it before
    // the start barrier of the timing loop, so it is used only inside the loop).
    std::int64_t allowed = 0;
    for (auto _ : state) {
        auto d = store->try_acquire(*hot, kPrepared, 1);
        allowed += d->allowed;
    }
    benchmark::DoNotOptimize(allowed);
}
BENCHMARK(BM_C_Store_HotKey)->Threads(2)->UseRealTime();

void BM_C_StringKey_HotKey(benchmark::State& state) {
    static std::unique_ptr<Store> store;
    if (state.thread_index() == 0) store = make_in_process_store(manual_clock());
    const std::string key = "proxy|proxy:7";
    std::int64_t allowed = 0;
    for (auto _ : state) {
        auto d = store->try_acquire(key, kLimit, 1);
        allowed += d->allowed;
    }
    benchmark::DoNotOptimize(allowed);
}
BENCHMARK(BM_C_StringKey_HotKey)->Threads(2)->UseRealTime();

// ---------------------------------------------------------------- (d) ---

constexpr std::size_t kKeys = 100'000;

const std::vector<std::string>& key_strings() {
    static const std::vector<std::string> keys = [] {
        std::vector<std::string> k;
        k.reserve(kKeys);
        for (std::size_t i = 0; i < kKeys; ++i) k.push_back("account.graphql|account:" + std::to_string(i) + "|endpoint:graphql|action:feed");
        return k;
    }();
    return keys;
}

// xorshift: a cheap, thread-private key sequence.
inline std::uint64_t next_index(std::uint64_t& s) {
    s ^= s << 13;
    s ^= s >> 7;
    s ^= s << 17;
    return s % kKeys;
}

void BM_D_FlatAtomicArray_100kKeys(benchmark::State& state) {
    static std::vector<std::atomic<std::int64_t>>* tats = nullptr;
    if (state.thread_index() == 0) {
        tats = new std::vector<std::atomic<std::int64_t>>(kKeys);
        for (auto& t : *tats) t.store(gcra::kNever);
    }
    const Clock* clock = manual_clock().get();
    benchmark::DoNotOptimize(clock);
    std::uint64_t s = 0x9E3779B97F4A7C15ull + static_cast<std::uint64_t>(state.thread_index());
    std::int64_t allowed = 0;
    for (auto _ : state) allowed += bare_gcra((*tats)[next_index(s)], to_micros(clock->now()), kT, kTau);
    benchmark::DoNotOptimize(allowed);
}
BENCHMARK(BM_D_FlatAtomicArray_100kKeys)->Threads(2)->UseRealTime();

void BM_D_Store_100kKeys(benchmark::State& state) {
    static InProcessStore* store = nullptr;
    static std::vector<KeyHandle>* handles = nullptr;
    if (state.thread_index() == 0) {
        store = new InProcessStore(manual_clock(), {});
        handles = new std::vector<KeyHandle>();
        handles->reserve(kKeys);
        for (const auto& k : key_strings()) handles->push_back(store->handle(k));  // resolved before timing
    }
    std::uint64_t s = 0x9E3779B97F4A7C15ull + static_cast<std::uint64_t>(state.thread_index());
    std::int64_t allowed = 0;
    for (auto _ : state) {
        auto d = store->try_acquire((*handles)[next_index(s)], kPrepared, 1);
        allowed += d->allowed;
    }
    benchmark::DoNotOptimize(allowed);
}
BENCHMARK(BM_D_Store_100kKeys)->Threads(2)->UseRealTime();

void BM_D_StringKey_100kKeys(benchmark::State& state) {
    static std::unique_ptr<Store> store;
    const auto& keys = key_strings();
    if (state.thread_index() == 0) {
        store = make_in_process_store(manual_clock());
        for (const auto& k : keys) (void)store->try_acquire(k, kLimit, 1);  // keys exist before timing
    }
    std::uint64_t s = 0x9E3779B97F4A7C15ull + static_cast<std::uint64_t>(state.thread_index());
    std::int64_t allowed = 0;
    for (auto _ : state) {
        auto d = store->try_acquire(keys[next_index(s)], kLimit, 1);
        allowed += d->allowed;
    }
    benchmark::DoNotOptimize(allowed);
}
BENCHMARK(BM_D_StringKey_100kKeys)->Threads(2)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
