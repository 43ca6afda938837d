// Tests of the Redis rate-limit store (label `redis`). The shared server
// comes from GRAMKIT_TEST_REDIS_URL (tools/testenv/redis.sh start); without
// it these tests skip, or fail when CI=true. The failure tests start their
// own redis-server on a free port.
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <hiredis/hiredis.h>

#include "gramkit/clock.hpp"
#include "gramkit/ratelimit.hpp"
#include "ratelimit/redis_connection.hpp"
#include "ratelimit/redis_store.hpp"
#include "redis_support.hpp"

namespace gramkit::ratelimit {
namespace {

using namespace std::chrono_literals;
using testing::raw_connection;
using testing::raw_integer;

/// A key prefix of its own for every test (and process), so that tests
/// running in parallel on one server never share keys.
std::string unique_prefix() {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    return "gk:rltest:" + std::to_string(::getpid()) + ":" + info->test_suite_name() + "." + info->name() + ":";
}

std::unique_ptr<RedisStore> open_store(const std::string& url, RedisOptions::FailPolicy policy = RedisOptions::FailPolicy::closed,
                                       std::shared_ptr<const Clock> clock = nullptr,
                                       Duration command_timeout = 2s) {
    RedisOptions o;
    o.url = url;
    o.fail_policy = policy;
    o.key_prefix = unique_prefix();
    o.clock = std::move(clock);
    o.command_timeout = command_timeout;
    o.connect_timeout = 1s;
    auto s = RedisStore::open(std::move(o));
    EXPECT_TRUE(s) << (s ? "" : s.error().to_string());
    return s ? std::move(*s) : nullptr;
}

class OffsetClock final : public Clock {
public:
    explicit OffsetClock(Duration offset) : offset_(offset) {}
    Timestamp now() const noexcept override { return SystemClock::shared()->now() + offset_; }

private:
    Duration offset_;
};

Duration abs_diff(Timestamp a, Timestamp b) { return a > b ? a - b : b - a; }
Duration abs_diff(Duration a, Duration b) { return a > b ? a - b : b - a; }

// ---- same decisions as the in-process store -------------------------------

enum class Op { acquire, peek, probe, reserve, penalize, reset };

struct Step {
    Op op;
    const char* key;
    Limit limit;
    std::uint32_t cost = 1;
    Duration penalty{0};  // penalize: until = now + penalty
};

TEST(RedisStore, SameDecisionsAsInProcessStore) {
    GK_REQUIRE_REDIS_URL(url);
    auto redis = open_store(url);
    ASSERT_TRUE(redis);
    // The in-process store on a frozen clock at the real "now": Redis runs on
    // server time, which moves a few ms during the test. Limits are chosen
    // so that ms never change a count (T ≥ 1 min); times are compared with
    // a tolerance.
    const Timestamp start = SystemClock::shared()->now();
    auto clock = std::make_shared<ManualClock>(start);
    auto local = make_in_process_store(clock);
    constexpr Duration kTol = 2s;

    const Limit small{10, 1h, 5};       // T = 6 min, τ = 30 min
    const Limit hourly{200, 11min, 200};  // the default account/query-class limit
    const Limit odd{7, 1h, 3};          // T = ceil(3600 s / 7)
    std::vector<Step> steps;
    for (int i = 0; i < 7; ++i) steps.push_back({Op::acquire, "a", small, 1});  // 5 allowed, 2 denied
    steps.push_back({Op::peek, "a", small});
    steps.push_back({Op::probe, "a", small, 3});
    steps.push_back({Op::acquire, "b", small, 3});
    steps.push_back({Op::acquire, "b", small, 3});  // denied: 2 left
    steps.push_back({Op::probe, "b", small, 2});
    steps.push_back({Op::acquire, "b", small, 2});
    steps.push_back({Op::acquire, "b", small, 0});  // cost 0 = peek
    for (int i = 0; i < 5; ++i) steps.push_back({Op::acquire, "c", odd, 1});
    steps.push_back({Op::reserve, "c", odd, 2});
    steps.push_back({Op::reserve, "c", odd, 1});
    steps.push_back({Op::acquire, "c", odd, 1});
    steps.push_back({Op::peek, "never-seen", hourly});
    for (int i = 0; i < 3; ++i) steps.push_back({Op::acquire, "d", hourly, 50});
    steps.push_back({Op::acquire, "d", hourly, 51});
    steps.push_back({Op::acquire, "d", hourly, 50});
    steps.push_back({Op::penalize, "e", small, 0, 10min});
    steps.push_back({Op::acquire, "e", small, 1});
    steps.push_back({Op::peek, "e", small});
    steps.push_back({Op::penalize, "e", small, 0, 5min});   // earlier: ignored
    steps.push_back({Op::acquire, "e", small, 1});
    steps.push_back({Op::penalize, "e", small, 0, 20min});  // later: replaces
    steps.push_back({Op::probe, "e", small, 2});
    steps.push_back({Op::reserve, "e", small, 1});
    steps.push_back({Op::reset, "e", small});
    steps.push_back({Op::acquire, "e", small, 1});
    steps.push_back({Op::reset, "a", small});
    steps.push_back({Op::acquire, "a", small, 5});
    steps.push_back({Op::acquire, "a", small, 6});  // cost > burst: invalid_argument
    steps.push_back({Op::acquire, "a", Limit{0, 1h, 1}, 1});  // invalid limit

    int compared = 0;
    for (std::size_t i = 0; i < steps.size(); ++i) {
        const Step& s = steps[i];
        SCOPED_TRACE("step " + std::to_string(i) + " key " + s.key);
        auto compare = [&](const Result<Decision>& a, const Result<Decision>& b) {
            ASSERT_EQ(a.has_value(), b.has_value()) << (a ? b.error().to_string() : a.error().to_string());
            if (!a) {
                EXPECT_EQ(a.error().code, b.error().code);
                EXPECT_EQ(a.error().message, b.error().message);
                return;
            }
            EXPECT_EQ(a->allowed, b->allowed);
            EXPECT_EQ(a->remaining, b->remaining);
            EXPECT_LE(abs_diff(a->retry_after, b->retry_after), kTol);
            EXPECT_LE(abs_diff(a->reset_at, b->reset_at), kTol);
            ASSERT_EQ(a->penalized_until.has_value(), b->penalized_until.has_value());
            if (a->penalized_until) EXPECT_LE(abs_diff(*a->penalized_until, *b->penalized_until), kTol);
            ++compared;
        };
        switch (s.op) {
            case Op::acquire: compare(local->try_acquire(s.key, s.limit, s.cost), redis->try_acquire(s.key, s.limit, s.cost)); break;
            case Op::peek: compare(local->peek(s.key, s.limit), redis->peek(s.key, s.limit)); break;
            case Op::probe: compare(local->probe(s.key, s.limit, s.cost), redis->probe(s.key, s.limit, s.cost)); break;
            case Op::reserve: {
                auto a = local->reserve(s.key, s.limit, s.cost);
                auto b = redis->reserve(s.key, s.limit, s.cost);
                ASSERT_EQ(a.has_value(), b.has_value());
                if (a) EXPECT_LE(abs_diff(*a, *b), kTol);
                ++compared;
                break;
            }
            case Op::penalize: {
                // Each store's own "now": the local one is frozen at start.
                ASSERT_TRUE(local->penalize(s.key, clock->now() + s.penalty));
                ASSERT_TRUE(redis->penalize(s.key, SystemClock::shared()->now() + s.penalty));
                break;
            }
            case Op::reset:
                ASSERT_TRUE(local->reset(s.key));
                ASSERT_TRUE(redis->reset(s.key));
                break;
        }
    }
    EXPECT_GE(compared, 30);
}

TEST(RedisStore, SameRetryAfterAsInProcessStoreOverTime) {
    // A short interval so that refills happen during the test; both stores
    // are asked at (almost) the same real time: the in-process one on the
    // system clock.
    GK_REQUIRE_REDIS_URL(url);
    auto redis = open_store(url);
    ASSERT_TRUE(redis);
    auto local = make_in_process_store(SystemClock::shared());
    const Limit limit{20, 1s, 4};  // T = 50 ms
    int allowed_local = 0, allowed_redis = 0;
    const auto until = std::chrono::steady_clock::now() + 600ms;
    while (std::chrono::steady_clock::now() < until) {
        auto a = local->try_acquire("k", limit, 1);
        auto b = redis->try_acquire("k", limit, 1);
        ASSERT_TRUE(a && b);
        allowed_local += a->allowed;
        allowed_redis += b->allowed;
        if (!a->allowed && !b->allowed) EXPECT_LE(abs_diff(a->retry_after, b->retry_after), 20ms);
        std::this_thread::sleep_for(5ms);
    }
    // 4 at once + one per 50 ms over 600 ms ≈ 16; allow a one-T phase shift.
    EXPECT_LE(std::abs(allowed_local - allowed_redis), 2) << allowed_local << " vs " << allowed_redis;
    EXPECT_LE(allowed_redis, 4 + 13 + 1);
}

// ---- script loading ----------------------------------------------------------

TEST(RedisStore, RecoversFromNoscriptAfterScriptFlush) {
    GK_REQUIRE_REDIS_URL(url);
    auto store = open_store(url);
    ASSERT_TRUE(store);
    const Limit limit{10, 1h, 5};
    ASSERT_TRUE(store->try_acquire("k", limit, 1));
    auto admin = raw_connection(url);
    ASSERT_TRUE(admin);
    const std::string sha(RedisStore::script_sha());
    auto flush = [&] {
        const std::string_view argv[] = {"SCRIPT", "FLUSH"};
        ASSERT_TRUE(admin->command(argv));
        const std::string_view exists[] = {"SCRIPT", "EXISTS", sha};
        auto r = admin->command(exists);
        ASSERT_TRUE(r);
        ASSERT_EQ((*r)->type, REDIS_REPLY_ARRAY);
        ASSERT_EQ((*r)->element[0]->integer, 0);
    };
    flush();
    auto d = store->try_acquire("k", limit, 1);
    ASSERT_TRUE(d) << d.error().to_string();
    EXPECT_TRUE(d->allowed);
    EXPECT_EQ(d->remaining, 3u);  // the retried call consumed exactly once

    flush();  // and for a pipelined batch
    std::vector<RedisStore::Request> batch(4, RedisStore::Request{"k", limit, 1});
    auto ds = store->try_acquire_many(batch);
    ASSERT_TRUE(ds) << ds.error().to_string();
    ASSERT_EQ(ds->size(), 4u);
    EXPECT_TRUE((*ds)[0].allowed && (*ds)[1].allowed && (*ds)[2].allowed);
    EXPECT_FALSE((*ds)[3].allowed);
    EXPECT_EQ(RedisStore::script_sha().size(), 40u);
}

// ---- pipelined batches -------------------------------------------------------

TEST(RedisStore, PipelinedBatchMatchesSequentialDecisions) {
    GK_REQUIRE_REDIS_URL(url);
    auto store = open_store(url);
    ASSERT_TRUE(store);
    auto local = make_in_process_store(std::make_shared<ManualClock>(SystemClock::shared()->now()));
    const Limit a{10, 1h, 5}, b{100, 1h, 2};
    std::vector<RedisStore::Request> batch;
    for (int i = 0; i < 8; ++i) batch.push_back({"a", a, 1});
    for (int i = 0; i < 3; ++i) batch.push_back({"b", b, 1});
    batch.push_back({"a", a, 0});
    batch.push_back({"c", a, 5});
    batch.push_back({"c", a, 1});
    auto ds = store->try_acquire_many(batch);
    ASSERT_TRUE(ds) << ds.error().to_string();
    ASSERT_EQ(ds->size(), batch.size());
    for (std::size_t i = 0; i < batch.size(); ++i) {
        auto expect = local->try_acquire(batch[i].key, batch[i].limit, batch[i].cost);
        ASSERT_TRUE(expect);
        EXPECT_EQ((*ds)[i].allowed, expect->allowed) << i;
        EXPECT_EQ((*ds)[i].remaining, expect->remaining) << i;
        EXPECT_LE(abs_diff((*ds)[i].retry_after, expect->retry_after), 2s) << i;
    }
    // Empty batch; a bad request fails the whole batch before anything is sent.
    auto empty = store->try_acquire_many({});
    ASSERT_TRUE(empty);
    EXPECT_TRUE(empty->empty());
    std::vector<RedisStore::Request> bad{{"z", a, 1}, {"z", a, 6}};
    auto r = store->try_acquire_many(bad);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, ErrorCode::invalid_argument);
    auto z = store->peek("z", a);
    ASSERT_TRUE(z);
    EXPECT_EQ(z->remaining, 5u);
}

TEST(RedisStore, ConcurrentThreadsShareOneBudget) {
    GK_REQUIRE_REDIS_URL(url);
    auto store = open_store(url);
    ASSERT_TRUE(store);
    const Limit limit{50, 1h, 50};
    std::atomic<int> allowed{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 6; ++t) {
        threads.emplace_back([&, t] {
            for (int i = 0; i < 20; ++i) {
                if (t % 2 == 0) {
                    auto d = store->try_acquire("shared", limit, 1);
                    if (d && d->allowed) ++allowed;
                } else {
                    std::vector<RedisStore::Request> b(4, RedisStore::Request{"shared", limit, 1});
                    auto ds = store->try_acquire_many(b);
                    if (ds) for (auto& d : *ds) allowed += d.allowed;
                }
            }
        });
    }
    for (auto& t : threads) t.join();
    EXPECT_EQ(allowed.load(), 50);
}

// ---- memory: keys expire when back to full -----------------------------------

TEST(RedisStore, KeysExpireWhenBackToFull) {
    GK_REQUIRE_REDIS_URL(url);
    auto store = open_store(url);
    ASSERT_TRUE(store);
    auto admin = raw_connection(url);
    ASSERT_TRUE(admin);
    const std::string prefix = unique_prefix();
    const std::string k = prefix + "short";

    // Peeking never creates a key.
    ASSERT_TRUE(store->peek("short", Limit{10, 1s, 2}));
    EXPECT_EQ(raw_integer(*admin, {"EXISTS", k}), 0);

    // T = 100 ms: after one request the key is full again in 100 ms.
    ASSERT_TRUE(store->try_acquire("short", Limit{10, 1s, 2}, 1));
    const long long ttl = raw_integer(*admin, {"PTTL", k});
    EXPECT_GT(ttl, 0);
    EXPECT_LE(ttl, 100);
    std::this_thread::sleep_for(250ms);
    EXPECT_EQ(raw_integer(*admin, {"EXISTS", k}), 0);

    // A long limit: the TTL is the time to full (3 × 6 min), not forever.
    ASSERT_TRUE(store->try_acquire("long", Limit{10, 1h, 5}, 3));
    const long long ttl2 = raw_integer(*admin, {"PTTL", prefix + "long"});
    EXPECT_GT(ttl2, 18 * 60 * 1000 - 2000);
    EXPECT_LE(ttl2, 18 * 60 * 1000);

    // A penalty keeps the key until it is over.
    ASSERT_TRUE(store->penalize("pen", SystemClock::shared()->now() + 300ms));
    const long long ttl3 = raw_integer(*admin, {"PTTL", prefix + "pen"});
    EXPECT_GT(ttl3, 0);
    EXPECT_LE(ttl3, 300);
    std::this_thread::sleep_for(450ms);
    EXPECT_EQ(raw_integer(*admin, {"EXISTS", prefix + "pen"}), 0);

    // reset deletes.
    ASSERT_TRUE(store->reset("long"));
    EXPECT_EQ(raw_integer(*admin, {"EXISTS", prefix + "long"}), 0);
}

// ---- penalties --------------------------------------------------------------

TEST(RedisStore, PenaltiesDenyUntilTheirEndAndUseServerTime) {
    GK_REQUIRE_REDIS_URL(url);
    // Two clients of one budget whose clocks disagree by 5 minutes.
    auto ahead = open_store(url, RedisOptions::FailPolicy::closed, std::make_shared<OffsetClock>(5min));
    ASSERT_TRUE(ahead);
    auto normal = open_store(url);  // same prefix: same test
    ASSERT_TRUE(normal);
    const Limit limit{10, 1h, 5};

    // "60 s from my now" on the fast clock is 60 s on the server too.
    ASSERT_TRUE(ahead->penalize("k", OffsetClock(5min).now() + 60s));
    auto d = normal->try_acquire("k", limit, 1);
    ASSERT_TRUE(d);
    EXPECT_FALSE(d->allowed);
    EXPECT_EQ(d->remaining, 0u);
    ASSERT_TRUE(d->penalized_until);
    EXPECT_LE(abs_diff(*d->penalized_until, SystemClock::shared()->now() + 60s), 2s);
    EXPECT_LE(abs_diff(d->retry_after, Duration{60s}), 2s);
    // The fast client sees the same instant in its own frame.
    auto d2 = ahead->peek("k", limit);
    ASSERT_TRUE(d2 && d2->penalized_until);
    EXPECT_LE(abs_diff(*d2->penalized_until, OffsetClock(5min).now() + 60s), 2s);

    // Nothing was consumed while penalized.
    ASSERT_TRUE(normal->reset("k"));
    auto after = normal->try_acquire("k", limit, 1);
    ASSERT_TRUE(after);
    EXPECT_TRUE(after->allowed);
    EXPECT_EQ(after->remaining, 4u);
    EXPECT_FALSE(after->penalized_until);

    // A penalty in the past is ignored; a short one ends by itself.
    ASSERT_TRUE(normal->penalize("k", SystemClock::shared()->now() - 1s));
    EXPECT_TRUE(normal->try_acquire("k", limit, 1)->allowed);
    ASSERT_TRUE(normal->penalize("k", SystemClock::shared()->now() + 200ms));
    EXPECT_FALSE(normal->try_acquire("k", limit, 1)->allowed);
    std::this_thread::sleep_for(300ms);
    auto later = normal->try_acquire("k", limit, 1);
    ASSERT_TRUE(later);
    EXPECT_TRUE(later->allowed);
    EXPECT_EQ(later->remaining, 2u);  // the tat survived the penalty
}

// ---- configuration and errors ------------------------------------------------

TEST(RedisStore, RejectsBadOptionsAndNeverShowsThePassword) {
    RedisOptions o;
    o.url = "http://127.0.0.1:1/0";
    auto a = RedisStore::open(o);
    ASSERT_FALSE(a);
    EXPECT_EQ(a.error().code, ErrorCode::invalid_argument);

    o.url = "redis://user:hunter2-secret@127.0.0.1:notaport/0";
    auto b = RedisStore::open(o);
    ASSERT_FALSE(b);
    EXPECT_EQ(b.error().code, ErrorCode::invalid_argument);
    EXPECT_EQ(b.error().message.find("hunter2"), std::string::npos) << b.error().message;
    EXPECT_NE(b.error().message.find("user:***@"), std::string::npos) << b.error().message;

    o.url = "redis://127.0.0.1:6379/0";
    o.pool_size = 0;
    EXPECT_FALSE(RedisStore::open(o));

    EXPECT_EQ(detail::redact_redis_url("redis://:pw@h:1/2"), "redis://:***@h:1/2");
    EXPECT_EQ(detail::redact_redis_url("redis://h:1/2"), "redis://h:1/2");
    auto parsed = detail::parse_redis_url("redis://u:p%40ss@[::1]:6380/3");
    ASSERT_TRUE(parsed);
    EXPECT_EQ(parsed->host, "::1");
    EXPECT_EQ(parsed->port, 6380);
    EXPECT_EQ(parsed->db, 3);
    EXPECT_EQ(parsed->user, "u");
    EXPECT_EQ(parsed->password, "p@ss");
    EXPECT_EQ(parsed->redacted, "redis://u:***@[::1]:6380/3");
    auto defaults = detail::parse_redis_url("redis://localhost");
    ASSERT_TRUE(defaults);
    EXPECT_EQ(defaults->port, 6379);
    EXPECT_EQ(defaults->db, 0);
}

TEST(RedisStore, FailPolicyWhenRedisIsUnreachable) {
    const int port = testing::free_port();  // nothing listens there
    const std::string url = "redis://:topsecret@127.0.0.1:" + std::to_string(port) + "/0";
    const Limit limit{10, 1h, 5};

    auto closed = open_store(url, RedisOptions::FailPolicy::closed);
    ASSERT_TRUE(closed);  // lazy: creating the store does not need the server
    auto d = closed->try_acquire("k", limit, 1);
    ASSERT_FALSE(d);
    EXPECT_EQ(d.error().code, ErrorCode::unavailable);
    EXPECT_NE(d.error().message.find("127.0.0.1:" + std::to_string(port)), std::string::npos) << d.error().message;
    EXPECT_EQ(d.error().message.find("topsecret"), std::string::npos) << d.error().message;
    EXPECT_EQ(closed->redacted_url().find("topsecret"), std::string::npos);
    EXPECT_FALSE(closed->peek("k", limit));
    EXPECT_FALSE(closed->reserve("k", limit, 1));
    std::vector<RedisStore::Request> batch(3, RedisStore::Request{"k", limit, 1});
    EXPECT_FALSE(closed->try_acquire_many(batch));

    auto open = open_store(url, RedisOptions::FailPolicy::open);
    ASSERT_TRUE(open);
    auto o = open->try_acquire("k", limit, 1);
    ASSERT_TRUE(o);
    EXPECT_TRUE(o->allowed);
    EXPECT_EQ(o->remaining, 5u);
    auto r = open->reserve("k", limit, 1);
    ASSERT_TRUE(r);
    EXPECT_EQ(*r, Duration{0});
    auto ob = open->try_acquire_many(batch);
    ASSERT_TRUE(ob);
    for (auto& x : *ob) EXPECT_TRUE(x.allowed);
    // Writes report the failure whatever the policy.
    EXPECT_FALSE(open->penalize("k", SystemClock::shared()->now() + 1min));
    EXPECT_FALSE(open->reset("k"));
    // Bad arguments stay errors even when failing open.
    auto bad = open->try_acquire("k", limit, 6);
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().code, ErrorCode::invalid_argument);
}

TEST(RedisStore, SurvivesRedisKilledMidRunAndRecoversOnRestart) {
    GK_REQUIRE_REDIS_SERVER_BINARY();
    testing::RedisServer server;
    ASSERT_TRUE(server.start());
    auto closed = open_store(server.url(), RedisOptions::FailPolicy::closed, nullptr, 500ms);
    auto open = open_store(server.url(), RedisOptions::FailPolicy::open, nullptr, 500ms);
    ASSERT_TRUE(closed && open);
    const Limit limit{1000, 1h, 1000};

    // Background traffic through the whole kill/restart cycle: no crash, no hang.
    std::atomic<bool> stop{false};
    std::atomic<long> calls{0};
    std::thread traffic([&] {
        std::vector<RedisStore::Request> batch(5, RedisStore::Request{"bg", limit, 1});
        while (!stop) {
            (void)closed->try_acquire("bg", limit, 1);
            (void)open->try_acquire_many(batch);
            ++calls;
        }
    });

    for (int i = 0; i < 3; ++i) {
        ASSERT_TRUE(closed->try_acquire("k", limit, 1));
        ASSERT_TRUE(open->try_acquire("k", limit, 1));
    }
    server.kill();
    for (int i = 0; i < 5; ++i) {
        auto c = closed->try_acquire("k", limit, 1);
        ASSERT_FALSE(c);
        EXPECT_TRUE(c.error().code == ErrorCode::unavailable || c.error().code == ErrorCode::timeout)
            << c.error().to_string();
        auto o = open->try_acquire("k", limit, 1);
        ASSERT_TRUE(o);
        EXPECT_TRUE(o->allowed);
    }
    ASSERT_TRUE(server.start());  // same port, empty, no script loaded
    // Recovery: the broken connections were dropped; new ones load the script.
    bool recovered = false;
    for (int i = 0; i < 50 && !recovered; ++i) {
        auto c = closed->try_acquire("k", limit, 1);
        recovered = c.has_value();
        if (!recovered) std::this_thread::sleep_for(100ms);
    }
    EXPECT_TRUE(recovered);
    auto c = closed->peek("k", limit);
    ASSERT_TRUE(c) << c.error().to_string();
    EXPECT_LT(c->remaining, 1000u);  // state is in the new server again
    auto o = open->try_acquire("k2", limit, 1);
    ASSERT_TRUE(o);
    EXPECT_EQ(o->remaining, 999u);  // a real decision, not the fail-open one
    stop = true;
    traffic.join();
    EXPECT_GT(calls.load(), 0);
}

// ---- two OS processes on one quota ----------------------------------------

struct WorkerResult {
    long allowed = -1, denied = -1, errors = -1;
};

std::vector<WorkerResult> run_workers(const std::string& url, const std::string& prefix,
                                      const std::vector<std::vector<std::string>>& extra_args) {
    std::vector<pid_t> pids;
    std::vector<int> fds;
    // Both start hammering at the same instant (after connecting).
    const auto start_at = std::chrono::duration_cast<std::chrono::milliseconds>(
                              std::chrono::system_clock::now().time_since_epoch() + 400ms)
                              .count();
    for (const auto& extra : extra_args) {
        int p[2];
        if (::pipe(p) != 0) return {};
        std::vector<std::string> args{GRAMKIT_REDIS_QUOTA_WORKER, "--url", url, "--prefix", prefix, "--key", "quota",
                                      "--attempts", "150", "--rate", "100", "--period-seconds", "3600", "--burst", "100",
                                      "--start-at-unix-ms", std::to_string(start_at)};
        args.insert(args.end(), extra.begin(), extra.end());
        pids.push_back(testing::spawn(args, p[1]));
        ::close(p[1]);
        fds.push_back(p[0]);
    }
    std::vector<WorkerResult> out;
    for (std::size_t i = 0; i < pids.size(); ++i) {
        std::string text;
        char buf[256];
        ssize_t n;
        while ((n = ::read(fds[i], buf, sizeof buf)) > 0) text.append(buf, static_cast<std::size_t>(n));
        ::close(fds[i]);
        int status = 0;
        if (pids[i] > 0) ::waitpid(pids[i], &status, 0);
        WorkerResult r;
        if (pids[i] > 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0) {
            std::sscanf(text.c_str(), "allowed=%ld denied=%ld errors=%ld", &r.allowed, &r.denied, &r.errors);
        }
        out.push_back(r);
    }
    return out;
}

void expect_exact_quota(const std::vector<WorkerResult>& results) {
    ASSERT_EQ(results.size(), 2u);
    long total = 0;
    for (const auto& r : results) {
        ASSERT_GE(r.allowed, 0) << "worker failed";
        std::printf("worker: allowed=%ld denied=%ld errors=%ld\n", r.allowed, r.denied, r.errors);
        EXPECT_EQ(r.errors, 0);
        EXPECT_EQ(r.allowed + r.denied, 150);
        total += r.allowed;
    }
    // burst + rate × elapsed / period: the run takes far less than the 36 s
    // one refill needs, so exactly the burst.
    EXPECT_EQ(total, 100);
}

TEST(RedisStore, TwoProcessesNeverExceedTheSharedQuota) {
    GK_REQUIRE_REDIS_URL(url);
    const auto results = run_workers(url, unique_prefix(), {{}, {"--batch", "8"}});
    expect_exact_quota(results);
}

TEST(RedisStore, TwoProcessesWithClocksSkewedFiveSecondsShareTheQuotaExactly) {
    GK_REQUIRE_REDIS_URL(url);
    const auto results = run_workers(url, unique_prefix(), {{"--skew-seconds", "5"}, {"--skew-seconds", "-5", "--batch", "4"}});
    expect_exact_quota(results);
}

TEST(RedisStore, SkewedClocksGainNothingWhenRefillIsFast) {
    // T = 1 s: a limiter on client time would hand the client whose clock
    // is 5 s ahead about 5 extra requests (10 with both skews). On server
    // time the bound is burst + elapsed / T.
    GK_REQUIRE_REDIS_URL(url);
    const auto t0 = std::chrono::steady_clock::now();
    const auto results = run_workers(url, unique_prefix(),
                                     {{"--skew-seconds", "5", "--period-seconds", "100"},
                                      {"--skew-seconds", "-5", "--period-seconds", "100"}});
    const auto elapsed = std::chrono::steady_clock::now() - t0;
    ASSERT_EQ(results.size(), 2u);
    ASSERT_GE(results[0].allowed, 0);
    ASSERT_GE(results[1].allowed, 0);
    const long bound = 100 + static_cast<long>(std::chrono::duration_cast<std::chrono::seconds>(elapsed).count()) + 1;
    EXPECT_GE(results[0].allowed + results[1].allowed, 100);
    EXPECT_LE(results[0].allowed + results[1].allowed, bound);
}

}  // namespace
}  // namespace gramkit::ratelimit
