// gramkit — rate limiting (DESIGN.md §7): GCRA per key, in process or on
// Redis. The limiter is a mechanism: it knows keys, rates, costs and time,
// never accounts or Instagram. Policies (which keys a request must pass)
// and cooldowns live above it.
//
// GCRA in one paragraph: each key stores a theoretical arrival time (TAT).
// With emission interval T = period / rate and tolerance τ = T × burst, a
// request of cost c at time now is allowed iff
//     max(TAT, now) + c×T − τ ≤ now,
// and then TAT := max(TAT, now) + c×T. Otherwise retry_after =
// max(TAT, now) + c×T − τ − now. A key whose TAT ≤ now is back to full
// and needs no storage.
//
// Thread-safety: every Store and the Limiter may be called from any thread.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "gramkit/clock.hpp"
#include "gramkit/error.hpp"
#include "gramkit/export.hpp"

namespace gramkit::ratelimit {

/// `rate` requests per `period`, with up to `burst` requests at once
/// (burst ≥ 1; burst = rate lets a full period's quota go at once).
struct Limit {
    std::uint64_t rate = 1;
    Duration period = std::chrono::seconds(1);
    std::uint64_t burst = 1;

    /// `invalid_argument` unless rate ≥ 1, period > 0, burst ≥ 1 and the
    /// emission interval is at least 1 µs; also unless period and
    /// tolerance (emission interval × burst) are ≤ 2^50 µs (≈ 35.7 years),
    /// which keeps all arithmetic overflow-free (src/ratelimit/gcra.hpp).
    Status validate() const;
    /// ceil(period / rate): rounded up so a key never gets more than `rate`
    /// per `period`. Meaningful only for a valid limit.
    Duration emission_interval() const noexcept {
        const auto p = period.count();
        const auto r = static_cast<std::int64_t>(rate);
        return Duration{p / r + (p % r != 0 ? 1 : 0)};
    }

    friend bool operator==(const Limit&, const Limit&) = default;
};

struct Decision {
    bool allowed = false;
    /// How long until a request of the same cost would be allowed (0 when allowed).
    Duration retry_after{0};
    /// Requests of cost 1 that could go right now after this decision.
    std::uint64_t remaining = 0;
    /// When the key is back to full (remaining = burst).
    Timestamp reset_at{};
    /// Set when a penalty (not the rate) denies the key.
    std::optional<Timestamp> penalized_until;
};

/// Where limiter state lives. Implementations: InProcessStore (below) and a
/// Redis store (src/ratelimit/redis_store.*).
class GRAMKIT_API Store {
public:
    virtual ~Store() = default;
    /// Consumes `cost` if allowed. cost 0 behaves like peek. A cost above
    /// `limit.burst` could never be allowed: invalid_argument, as is an
    /// invalid limit.
    virtual Result<Decision> try_acquire(std::string_view key, const Limit& limit, std::uint32_t cost) = 0;
    /// The decision a cost-1 request would get, without consuming.
    /// `remaining` is the current remaining (nothing consumed).
    virtual Result<Decision> peek(std::string_view key, const Limit& limit) = 0;
    /// The decision a request of `cost` would get, without consuming (used
    /// by Limiter::check to test every rule before consuming any).
    /// Extension; the default derives it from peek(): exact when allowed or
    /// when remaining is 0, otherwise retry_after is an upper bound within
    /// one emission interval. The in-process store answers exactly.
    virtual Result<Decision> probe(std::string_view key, const Limit& limit, std::uint32_t cost);
    /// Consumes `cost` unconditionally (the TAT may move into the future)
    /// and returns how long the caller must wait before proceeding: for
    /// callers that queue rather than fail.
    virtual Result<Duration> reserve(std::string_view key, const Limit& limit, std::uint32_t cost) = 0;
    /// Forgets the key (back to full, penalty cleared).
    virtual Status reset(std::string_view key) = 0;
    /// Denies every request on the key until `until` (a later penalty
    /// replaces an earlier one; an earlier one is ignored).
    virtual Status penalize(std::string_view key, Timestamp until) = 0;
};

struct InProcessOptions {
    std::size_t shards = 64;        // power of two
    std::size_t max_keys = 1 << 20; // beyond this, keys back to full are evicted first
};

/// Lock-free per-key state (compare-and-swap on the TAT), sharded maps for
/// lookup, bounded memory. Reads time through `clock`.
GRAMKIT_API std::unique_ptr<Store> make_in_process_store(std::shared_ptr<const Clock> clock,
                                                         InProcessOptions options = {});

/// The parts a request has, e.g. {"account:42", "action:hashtag",
/// "proxy:7", "endpoint:graphql"}. Each part is "kind:value".
struct Request {
    std::vector<std::string> parts;
};

/// A named limit over the requests whose parts match `match` (selector
/// syntax in docs/ratelimit.md: "kind" keys one bucket per value of that
/// kind, "kind:value" filters). Rules are set in the engine configuration
/// (`ratelimit_rules`) or at run time (`ratelimit.policies.set`).
struct Rule {
    std::string name;                // e.g. "account.graphql"; unique; no '|'
    Limit limit;
    std::vector<std::string> match;  // selectors; at least one

    friend bool operator==(const Rule&, const Rule&) = default;
};

struct Verdict {
    bool allowed = false;
    /// Denied: the rule that binds (longest retry_after); "penalty" when a
    /// penalty denies. Allowed: the rule with the fewest remaining ("" when
    /// no rule applies).
    std::string rule;
    /// The store key of that rule ("penalty|<part>" for a penalty).
    std::string key;
    /// How long until the same request could pass (0 when allowed).
    Duration retry_after{0};
    /// The smallest remaining over all applicable rules (after consumption).
    std::uint64_t remaining = 0;
    std::optional<Timestamp> penalized_until;
    /// Denied in the acquire phase after earlier rules consumed (the race
    /// documented in src/ratelimit/policy.hpp).
    bool partially_consumed = false;
};

}  // namespace gramkit::ratelimit
