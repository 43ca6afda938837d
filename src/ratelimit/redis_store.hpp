// gramkit — the Redis rate-limit store (DESIGN.md §7–§8): one budget shared
// by a fleet of processes.
//
// Each decision is ONE atomic Lua script (GCRA, the same arithmetic as the
// in-process store, src/ratelimit/gcra.hpp) that reads the time with
// redis.call('TIME'): every client uses the Redis server's clock, so clients
// whose clocks are skewed still share one budget exactly. The script is
// called with EVALSHA (its SHA-1 is computed locally) and loaded with
// SCRIPT LOAD the first time a server answers NOSCRIPT (a new or restarted
// server, SCRIPT FLUSH), after which the call is retried once.
//
// State per key: one hash `key_prefix + key` with field `t` (theoretical
// arrival time, µs since the epoch, server clock) and `p` (penalty until,
// µs, server clock). Its PEXPIRE is set to the moment the key is back to
// full and its penalty is over, so Redis forgets keys nobody uses: memory
// stays bounded by the keys active within one period.
//
// Times in Decisions (reset_at, penalized_until) and the `until` of
// penalize() are in the CALLER's clock (RedisOptions::clock): the store
// converts with the offset between the client clock and the server clock
// observed at each call, so "until now + 10 min" means ten minutes on the
// server too, whatever the client's clock says.
//
// Failure: when Redis cannot be reached (connection refused, timeout, I/O
// error) decisions follow `fail_policy`: `closed` returns an `unavailable`
// (or `timeout`) error naming the redacted URL; `open` returns allowed
// decisions (remaining = burst, retry_after 0, reset_at = now) and
// reserve() returns a wait of 0. No log line is written per failure (a
// host that wants one logs the errors of reset()/penalize(), or watches
// Redis itself). reset() and penalize() are writes and return the error
// whatever the policy. A broken connection is dropped and the next call
// reconnects, so the store recovers by itself when Redis returns.
//
// Thread-safety: every member may be called from any thread; concurrent
// calls use up to `pool_size` connections.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "gramkit/clock.hpp"
#include "gramkit/error.hpp"
#include "gramkit/ratelimit.hpp"

namespace gramkit::ratelimit {

struct RedisOptions {
    /// redis://[[user]:password@]host[:port][/db]
    std::string url;
    std::size_t pool_size = 4;
    Duration connect_timeout = std::chrono::seconds(2);
    /// Per command (and the longest wait for a free pooled connection).
    Duration command_timeout = std::chrono::seconds(2);
    enum class FailPolicy { open, closed } fail_policy = FailPolicy::closed;
    /// Prepended to every key in Redis.
    std::string key_prefix = "gk:rl:";
    /// The caller's clock: only used to express server times in the
    /// caller's frame (see above), never to decide. Default: SystemClock.
    std::shared_ptr<const Clock> clock;
};

namespace detail {
class RedisPool;
}

class RedisStore final : public Store {
public:
    /// One request of a batch.
    struct Request {
        std::string_view key;
        Limit limit;
        std::uint32_t cost = 1;
    };

    /// Validates the options and the URL (invalid_argument), then tries to
    /// connect and load the script once. An unreachable server is NOT an
    /// error here: the store connects lazily and follows its fail policy.
    static Result<std::unique_ptr<RedisStore>> open(RedisOptions options);
    ~RedisStore() override;

    Result<Decision> try_acquire(std::string_view key, const Limit& limit, std::uint32_t cost) override;
    Result<Decision> peek(std::string_view key, const Limit& limit) override;
    /// Exact, like the in-process store (one script call, nothing consumed).
    Result<Decision> probe(std::string_view key, const Limit& limit, std::uint32_t cost) override;
    Result<Duration> reserve(std::string_view key, const Limit& limit, std::uint32_t cost) override;
    Status reset(std::string_view key) override;
    Status penalize(std::string_view key, Timestamp until) override;

    /// try_acquire for each request, pipelined on one connection (one round
    /// trip for the whole batch); decisions in request order. Requests for
    /// the same key are applied in order. With fail_policy open and Redis
    /// down, every decision is allowed.
    Result<std::vector<Decision>> try_acquire_many(std::span<const Request> requests);

    /// The URL with any password replaced by "***".
    const std::string& redacted_url() const noexcept;
    /// The SHA-1 of the Lua script (what EVALSHA names).
    static std::string_view script_sha();
    /// The Lua script itself (for tools/bench/redis_baseline.sh and docs).
    static std::string_view script_source();

private:
    struct Impl;
    explicit RedisStore(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

/// RedisStore::open as a Store.
Result<std::unique_ptr<Store>> make_redis_store(RedisOptions options);

}  // namespace gramkit::ratelimit
