// gramkit — the Redis rate-limit store (see redis_store.hpp).
#include "ratelimit/redis_store.hpp"

#include <hiredis/hiredis.h>
#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdio>
#include <optional>
#include <string>

#include "ratelimit/gcra.hpp"
#include "ratelimit/redis_connection.hpp"

namespace gramkit::ratelimit {
namespace {

using detail::RedisConnection;
using detail::RedisPool;
using detail::ReplyPtr;

// GCRA, mirroring src/ratelimit/gcra.hpp line for line (the tests compare
// the two stores). All times are integer microseconds; Lua numbers are
// doubles, exact for integers below 2^53 (gcra.hpp: with validated limits
// and now < 2^52 every intermediate value stays below 2^53). Numbers are
// written back with %.0f so that no digit is lost to Lua's %.14g.
//
// KEYS[1]  the key's hash: field t = tat, field p = penalty_until (server µs)
// ARGV[1]  mode: a = acquire (consumes), k = probe/peek (never consumes),
//          r = reserve, x = penalize
// ARGV[2]  T, the emission interval (µs)      | x: penalty duration (µs)
// ARGV[3]  burst                               | x: unused
// ARGV[4]  cost (1..burst)                     | x: unused
//
// Returns {allowed, retry_after, remaining, reset_at, penalized_until, now}:
// times in server µs, penalized_until 0 unless a penalty denies the key;
// reserve returns {1, wait, ...} or {-1, wait, ...} when the wait would
// exceed kMaxSpan (nothing consumed).
//
// The key expires (PEXPIRE) at max(tat, penalty_until): when it is full
// again and no penalty applies, it holds no information, so Redis drops it.
constexpr std::string_view kScript = R"lua(-- gramkit GCRA v1 (src/ratelimit/gcra.hpp)
local tm = redis.call('TIME')
local now = tonumber(tm[1]) * 1000000 + tonumber(tm[2])
local key = KEYS[1]
local st = redis.call('HMGET', key, 't', 'p')
local tat = tonumber(st[1])
local pen = tonumber(st[2])
if tat == nil then tat = now end
if pen == nil or pen <= now then pen = 0 end
local mode = ARGV[1]
local function fmt(x) return string.format('%.0f', x) end
local function expire(t, p)
  local last = math.max(t, p)
  if last > now then
    redis.call('PEXPIRE', key, math.ceil((last - now) / 1000))
  else
    redis.call('DEL', key)
  end
end
if mode == 'x' then
  local u = now + tonumber(ARGV[2])
  if u > pen then
    pen = u
    redis.call('HSET', key, 'p', fmt(pen))
    expire(tat, pen)
  end
  return {0, 0, 0, 0, pen, now}
end
local T = tonumber(ARGV[2])
local burst = tonumber(ARGV[3])
local cost = tonumber(ARGV[4])
local tau = T * burst
local base = math.max(tat, now)
local function remaining(t)
  local headroom = tau - (math.max(t, now) - now)
  if headroom <= 0 then return 0 end
  return math.floor(headroom / T)
end
local next = base + cost * T
local excess = next - tau - now
if mode == 'r' then
  local wait = math.max(0, excess)
  if pen > now then wait = math.max(wait, pen - now) end
  if wait > 1125899906842624 then
    return {-1, wait, remaining(tat), base, 0, now}
  end
  redis.call('HSET', key, 't', fmt(next))
  expire(next, pen)
  return {1, wait, remaining(next), next, 0, now}
end
if pen > now then
  return {0, math.max(pen - now, excess), 0, math.max(base, pen), pen, now}
end
if excess > 0 then
  return {0, excess, remaining(tat), base, 0, now}
end
if mode == 'a' then
  redis.call('HSET', key, 't', fmt(next))
  expire(next, 0)
  return {1, 0, remaining(next), next, 0, now}
end
return {1, 0, remaining(tat), base, 0, now}
)lua";

std::string compute_sha1_hex(std::string_view text) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EVP_Digest(text.data(), text.size(), digest, &len, EVP_sha1(), nullptr);
    static constexpr char hex[] = "0123456789abcdef";
    std::string out;
    out.reserve(len * 2);
    for (unsigned int i = 0; i < len; ++i) {
        out.push_back(hex[digest[i] >> 4]);
        out.push_back(hex[digest[i] & 0xF]);
    }
    return out;
}

const std::string& sha() {
    static const std::string s = compute_sha1_hex(kScript);
    return s;
}

/// Decimal text of an integer, without allocation.
struct Num {
    std::array<char, 24> buf{};
    std::size_t len = 0;
    explicit Num(std::int64_t v) { len = static_cast<std::size_t>(std::to_chars(buf.data(), buf.data() + buf.size(), v).ptr - buf.data()); }
    std::string_view view() const noexcept { return {buf.data(), len}; }
};

/// The same checks as the in-process store: a valid limit, cost ≤ burst.
Status check_limit(const Limit& limit, std::uint32_t cost) {
    GK_TRY(limit.validate());
    if (cost > limit.burst) {
        return fail(ErrorCode::invalid_argument, "rate limit: cost exceeds burst and could never be allowed", "cost");
    }
    return {};
}

std::int64_t interval_of(const Limit& limit) {
    return gcra::params(limit.period.count(), limit.rate, limit.burst).interval;
}

bool is_connectivity(const Error& e) { return e.code == ErrorCode::unavailable || e.code == ErrorCode::timeout; }

}  // namespace

struct RedisStore::Impl {
    RedisOptions options;
    std::shared_ptr<const Clock> clock;
    std::unique_ptr<RedisPool> pool;
    std::string redacted;  // the URL without its password

    std::string full_key(std::string_view key) const {
        std::string k;
        k.reserve(options.key_prefix.size() + key.size());
        k.append(options.key_prefix).append(key);
        return k;
    }

    /// Raw script reply → Decision (client-clock times).
    Result<Decision> to_decision(const redisReply* r) const {
        if (r->type == REDIS_REPLY_ERROR) {
            return fail(ErrorCode::unavailable, "Redis " + redacted + ": script failed: " + std::string(r->str, r->len));
        }
        if (r->type != REDIS_REPLY_ARRAY || r->elements != 6) {
            return fail(ErrorCode::internal, "Redis " + redacted + ": unexpected script reply");
        }
        std::int64_t v[6];
        for (std::size_t i = 0; i < 6; ++i) {
            if (r->element[i]->type != REDIS_REPLY_INTEGER) {
                return fail(ErrorCode::internal, "Redis " + redacted + ": unexpected script reply");
            }
            v[i] = r->element[i]->integer;
        }
        // Server times → client clock: same distance from "now" on both.
        const std::int64_t offset = to_micros(clock->now()) - v[5];
        Decision d;
        d.allowed = v[0] > 0;  // reserve: -1 = refused
        d.retry_after = Duration{v[1]};
        d.remaining = static_cast<std::uint64_t>(v[2]);
        d.reset_at = from_micros(v[3] + offset);
        if (v[4] != 0) d.penalized_until = from_micros(v[4] + offset);
        return d;
    }

    Decision open_decision(const Limit& limit) const {
        Decision d;
        d.allowed = true;
        d.remaining = limit.burst;
        d.reset_at = clock->now();
        return d;
    }

    Error reply_error(const redisReply* r, std::string_view what) const {
        const std::string_view text(r->str, r->len);
        const ErrorCode code = text.starts_with("WRONGTYPE") ? ErrorCode::failed_precondition : ErrorCode::unavailable;
        return Error{code, "Redis " + redacted + ": " + std::string(what) + ": " + std::string(text)};
    }

    static bool is_noscript(const redisReply* r) {
        return r->type == REDIS_REPLY_ERROR && std::string_view(r->str, r->len).starts_with("NOSCRIPT");
    }

    Status load_script(RedisConnection& conn) const {
        const std::string_view argv[] = {"SCRIPT", "LOAD", kScript};
        GK_ASSIGN_OR_RETURN(ReplyPtr reply, conn.command(argv));
        if (reply->type == REDIS_REPLY_ERROR) return fail(reply_error(reply.get(), "SCRIPT LOAD"));
        if (reply->type != REDIS_REPLY_STRING || std::string_view(reply->str, reply->len) != sha()) {
            return fail(ErrorCode::internal, "Redis " + redacted + ": SCRIPT LOAD returned an unexpected SHA");
        }
        return {};
    }

    /// EVALSHA on one connection; SCRIPT LOAD + one retry on NOSCRIPT.
    Result<ReplyPtr> eval(RedisConnection& conn, std::span<const std::string_view> argv) const {
        GK_ASSIGN_OR_RETURN(ReplyPtr reply, conn.command(argv));
        if (!is_noscript(reply.get())) return reply;
        GK_TRY(load_script(conn));
        return conn.command(argv);
    }

    Result<ReplyPtr> run(std::string_view key, char mode, std::int64_t a, std::int64_t b, std::int64_t c) const {
        GK_ASSIGN_OR_RETURN(auto lease, pool->acquire());
        const std::string k = full_key(key);
        const Num na(a), nb(b), nc(c);
        const char m[1] = {mode};
        const std::string_view argv[] = {"EVALSHA", sha(), "1", k, std::string_view(m, 1), na.view(), nb.view(), nc.view()};
        return eval(*lease, argv);
    }

    Result<Decision> decide(std::string_view key, const Limit& limit, std::uint32_t cost, char mode) {
        GK_TRY(check_limit(limit, cost));
        auto reply = run(key, mode, interval_of(limit), static_cast<std::int64_t>(limit.burst), cost);
        Result<Decision> d = reply ? to_decision(reply->get()) : fail(std::move(reply).error());
        if (!d && is_connectivity(d.error()) && options.fail_policy == RedisOptions::FailPolicy::open) {
            return open_decision(limit);
        }
        return d;
    }
};

RedisStore::RedisStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
RedisStore::~RedisStore() = default;

std::string_view RedisStore::script_sha() { return sha(); }
std::string_view RedisStore::script_source() { return kScript; }
const std::string& RedisStore::redacted_url() const noexcept { return impl_->redacted; }

Result<std::unique_ptr<RedisStore>> RedisStore::open(RedisOptions options) {
    GK_ASSIGN_OR_RETURN(detail::RedisUrl url, detail::parse_redis_url(options.url));
    if (options.pool_size == 0) return fail(ErrorCode::invalid_argument, "pool_size must be at least 1", "pool_size");
    if (options.connect_timeout.count() <= 0 || options.command_timeout.count() <= 0) {
        return fail(ErrorCode::invalid_argument, "Redis timeouts must be positive", "timeout");
    }
    auto impl = std::make_unique<Impl>();
    impl->redacted = url.redacted;
    impl->clock = options.clock ? options.clock : std::shared_ptr<const Clock>(SystemClock::shared());
    impl->pool = std::make_unique<RedisPool>(std::move(url), options.pool_size, options.connect_timeout,
                                             options.command_timeout);
    // The password lives on in the pool only; drop the copy in the options.
    options.url.clear();
    impl->options = std::move(options);

    // Warm up: one connection and the script, if the server is there. A
    // server that is down is not an error (lazy connect, fail policy).
    if (auto lease = impl->pool->acquire()) {
        if (auto loaded = impl->load_script(**lease); !loaded) {
            if (!is_connectivity(loaded.error())) return fail(std::move(loaded).error());
        }
    } else if (lease.error().code == ErrorCode::unauthenticated) {
        return fail(std::move(lease).error());
    }
    return std::unique_ptr<RedisStore>(new RedisStore(std::move(impl)));
}

Result<std::unique_ptr<Store>> make_redis_store(RedisOptions options) {
    GK_ASSIGN_OR_RETURN(auto store, RedisStore::open(std::move(options)));
    return std::unique_ptr<Store>(std::move(store));
}

Result<Decision> RedisStore::try_acquire(std::string_view key, const Limit& limit, std::uint32_t cost) {
    // cost 0 behaves like peek.
    return impl_->decide(key, limit, cost == 0 ? 1 : cost, cost == 0 ? 'k' : 'a');
}

Result<Decision> RedisStore::peek(std::string_view key, const Limit& limit) { return impl_->decide(key, limit, 1, 'k'); }

Result<Decision> RedisStore::probe(std::string_view key, const Limit& limit, std::uint32_t cost) {
    return impl_->decide(key, limit, cost == 0 ? 1 : cost, 'k');
}

Result<Duration> RedisStore::reserve(std::string_view key, const Limit& limit, std::uint32_t cost) {
    GK_TRY(check_limit(limit, cost));
    if (cost == 0) return Duration{0};
    auto reply = impl_->run(key, 'r', interval_of(limit), static_cast<std::int64_t>(limit.burst), cost);
    if (!reply) {
        if (is_connectivity(reply.error()) && impl_->options.fail_policy == RedisOptions::FailPolicy::open) {
            return Duration{0};
        }
        return fail(std::move(reply).error());
    }
    auto decided = impl_->to_decision(reply->get());
    if (!decided) {
        if (is_connectivity(decided.error()) && impl_->options.fail_policy == RedisOptions::FailPolicy::open) {
            return Duration{0};
        }
        return fail(std::move(decided).error());
    }
    const Decision& d = *decided;
    if (!d.allowed) {
        return fail(ErrorCode::rate_limited, "rate limit: reservation backlog would exceed 2^50 µs");
    }
    return d.retry_after;
}

Status RedisStore::reset(std::string_view key) {
    GK_ASSIGN_OR_RETURN(auto lease, impl_->pool->acquire());
    const std::string k = impl_->full_key(key);
    const std::string_view argv[] = {"DEL", k};
    GK_ASSIGN_OR_RETURN(ReplyPtr reply, lease->command(argv));
    if (reply->type == REDIS_REPLY_ERROR) return fail(impl_->reply_error(reply.get(), "DEL"));
    return {};
}

Status RedisStore::penalize(std::string_view key, Timestamp until) {
    // Sent as a duration from the caller's now, anchored on the server's now.
    const std::int64_t duration = to_micros(until) - to_micros(impl_->clock->now());
    if (duration <= 0) return {};  // already over: an earlier penalty is ignored
    GK_ASSIGN_OR_RETURN(ReplyPtr reply, impl_->run(key, 'x', duration, 0, 0));
    if (reply->type == REDIS_REPLY_ERROR) return fail(impl_->reply_error(reply.get(), "penalize"));
    return {};
}

Result<std::vector<Decision>> RedisStore::try_acquire_many(std::span<const Request> requests) {
    std::vector<Decision> out(requests.size());
    if (requests.empty()) return out;
    for (const Request& r : requests) GK_TRY(check_limit(r.limit, r.cost));

    auto fail_all = [&](Error e) -> Result<std::vector<Decision>> {
        if (is_connectivity(e) && impl_->options.fail_policy == RedisOptions::FailPolicy::open) {
            for (std::size_t i = 0; i < requests.size(); ++i) out[i] = impl_->open_decision(requests[i].limit);
            return out;
        }
        return fail(std::move(e));
    };

    auto lease = impl_->pool->acquire();
    if (!lease) return fail_all(std::move(lease).error());
    RedisConnection& conn = **lease;

    // Indices still to run; after a NOSCRIPT (script flushed or a new
    // server) the script is loaded and the requests that were refused are
    // sent again, in order.
    std::vector<std::size_t> todo(requests.size());
    for (std::size_t i = 0; i < todo.size(); ++i) todo[i] = i;
    std::string key;
    for (int attempt = 0; attempt < 2 && !todo.empty(); ++attempt) {
        for (std::size_t i : todo) {
            const Request& r = requests[i];
            key = impl_->full_key(r.key);
            const std::uint32_t cost = r.cost == 0 ? 1 : r.cost;
            const Num na(interval_of(r.limit)), nb(static_cast<std::int64_t>(r.limit.burst)), nc(cost);
            const char m[1] = {r.cost == 0 ? 'k' : 'a'};
            const std::string_view argv[] = {"EVALSHA", sha(), "1", key, std::string_view(m, 1), na.view(), nb.view(), nc.view()};
            if (auto st = conn.append(argv); !st) return fail_all(std::move(st).error());
        }
        std::vector<std::size_t> again;
        std::optional<Error> first_error;
        for (std::size_t i : todo) {
            auto reply = conn.read_reply();
            if (!reply) return fail_all(std::move(reply).error());
            if (Impl::is_noscript(reply->get())) {
                again.push_back(i);
                continue;
            }
            auto d = impl_->to_decision(reply->get());
            if (!d) {
                if (is_connectivity(d.error()) && impl_->options.fail_policy == RedisOptions::FailPolicy::open) {
                    out[i] = impl_->open_decision(requests[i].limit);  // this request only
                } else if (!first_error) {
                    first_error = std::move(d).error();
                }
                continue;
            }
            out[i] = *d;
        }
        if (first_error) return fail(std::move(*first_error));
        todo = std::move(again);
        if (!todo.empty() && attempt == 0) {
            if (auto st = impl_->load_script(conn); !st) return fail_all(std::move(st).error());
        }
    }
    if (!todo.empty()) return fail(ErrorCode::unavailable, "Redis " + impl_->redacted + ": script missing after SCRIPT LOAD");
    return out;
}

}  // namespace gramkit::ratelimit
