// gramkit_redis_quota_worker: hammers one shared key of the Redis store and
// prints how many attempts were allowed. Used by redis_store_test.cpp to
// check that several OS processes never exceed one shared quota, also with
// skewed client clocks.
//
//   gramkit_redis_quota_worker --url redis://127.0.0.1:PORT/0 --key K
//       --attempts N [--rate R --period-seconds P --burst B]
//       [--skew-seconds S] [--batch M] [--prefix gk:rl:] [--start-at-unix-ms T]
//
// --skew-seconds shifts every client-side time this worker uses (the
// store's clock), as if its machine's clock were off by S seconds. With
// the server-time Lua script the decisions must not change.
// --batch M sends the attempts in pipelined batches of M (try_acquire_many).
// --start-at-unix-ms T waits (after connecting) until the real system clock
// reads T, so that concurrently spawned workers really overlap.
//
// Output (stdout): "allowed=<n> denied=<m> errors=<e>". Exit 0 unless the
// arguments or the store setup are wrong.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "gramkit/clock.hpp"
#include "ratelimit/redis_store.hpp"

namespace {

class SkewedClock final : public gramkit::Clock {
public:
    explicit SkewedClock(gramkit::Duration skew) : skew_(skew) {}
    gramkit::Timestamp now() const noexcept override { return gramkit::SystemClock::shared()->now() + skew_; }

private:
    gramkit::Duration skew_;
};

}  // namespace

int main(int argc, char** argv) {
    using namespace gramkit;
    std::string url, key = "quota", prefix = "gk:rl:";
    long attempts = 0, batch = 1;
    long long start_at_ms = 0;
    double skew_seconds = 0;
    ratelimit::Limit limit{100, std::chrono::hours(1), 100};
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string flag = argv[i];
        const char* v = argv[i + 1];
        if (flag == "--url") url = v;
        else if (flag == "--key") key = v;
        else if (flag == "--prefix") prefix = v;
        else if (flag == "--attempts") attempts = std::atol(v);
        else if (flag == "--batch") batch = std::atol(v);
        else if (flag == "--start-at-unix-ms") start_at_ms = std::atoll(v);
        else if (flag == "--skew-seconds") skew_seconds = std::atof(v);
        else if (flag == "--rate") limit.rate = std::strtoull(v, nullptr, 10);
        else if (flag == "--burst") limit.burst = std::strtoull(v, nullptr, 10);
        else if (flag == "--period-seconds") limit.period = std::chrono::seconds(std::atol(v));
        else {
            std::fprintf(stderr, "unknown flag %s\n", flag.c_str());
            return 2;
        }
    }
    if (url.empty() || attempts <= 0 || batch <= 0) {
        std::fprintf(stderr, "usage: %s --url URL --attempts N [--key K] [--skew-seconds S] [--batch M]\n", argv[0]);
        return 2;
    }

    ratelimit::RedisOptions options;
    options.url = url;
    options.key_prefix = prefix;
    options.pool_size = 1;
    options.clock = std::make_shared<SkewedClock>(
        std::chrono::duration_cast<Duration>(std::chrono::duration<double>(skew_seconds)));
    auto store = ratelimit::RedisStore::open(std::move(options));
    if (!store) {
        std::fprintf(stderr, "%s\n", store.error().to_string().c_str());
        return 1;
    }
    if (start_at_ms > 0) {
        std::this_thread::sleep_until(std::chrono::system_clock::time_point(std::chrono::milliseconds(start_at_ms)));
    }
    long allowed = 0, denied = 0, errors = 0;
    std::vector<ratelimit::RedisStore::Request> requests;
    for (long done = 0; done < attempts;) {
        const long n = std::min(batch, attempts - done);
        if (batch == 1) {
            auto d = (*store)->try_acquire(key, limit, 1);
            if (!d) ++errors;
            else if (d->allowed) ++allowed;
            else ++denied;
        } else {
            requests.assign(static_cast<std::size_t>(n), ratelimit::RedisStore::Request{key, limit, 1});
            auto ds = (*store)->try_acquire_many(requests);
            if (!ds) {
                errors += n;
            } else {
                for (const auto& d : *ds) (d.allowed ? allowed : denied)++;
            }
        }
        done += n;
    }
    std::printf("allowed=%ld denied=%ld errors=%ld\n", allowed, denied, errors);
    return 0;
}
