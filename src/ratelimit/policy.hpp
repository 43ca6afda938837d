// gramkit — rate-limit policies above a Store (DESIGN.md §7).
//
// Still a mechanism: a request is a list of key parts ("kind:value"
// strings such as "account:42", "action:hashtag", "proxy:7",
// "endpoint:graphql"); rules say which parts they key on. The Limiter
// knows nothing of accounts or Instagram — the layer that reads Instagram's
// answers decides which parts a request has and which parts to penalize.
//
// Rule matching. A rule's `match` is a list of selectors:
//   "kind"        the request must have a part "kind:<anything>"; the part
//                 becomes part of the key (one bucket per value);
//   "kind:value"  the request must have exactly this part (filter; it is
//                 also part of the key, harmlessly constant).
// A rule applies iff every selector is satisfied; its store key is
//   "<rule name>|<matched part 1>|<matched part 2>|..." in selector order,
// e.g. rule "account.graphql" {"account", "endpoint:graphql", "action"} and
// request {"account:42","action:hashtag","proxy:7","endpoint:graphql"} →
// "account.graphql|account:42|endpoint:graphql|action:hashtag". When a
// request has several parts of one kind, the first one counts.
//
// check(request, cost) must pass EVERY applicable rule and no penalty:
//   1. peek phase: every penalty key of the request's parts, then
//      Store::probe(key, limit, cost) for every applicable rule. If any
//      denies, the request is denied and NOTHING is consumed; the verdict
//      names the binding rule (the one with the longest retry_after).
//   2. acquire phase: Store::try_acquire on every applicable rule in order.
// The race that remains: between phase 1 and 2 (or between two acquires)
// another thread or process may consume the last units of a later rule, so
// phase 2 can deny after earlier rules already consumed. The verdict is then
// a denial (naming that rule) and the earlier rules keep the consumption:
// the error is conservative (quota spent without a request), never
// permissive, it needs two callers racing on the same nearly-empty key, and
// it costs at most `cost` units per rule for one period. Undoing it would
// need a multi-key transaction (a Redis Lua script over all keys, or a lock
// across shards), which is not worth it for an advisory client-side limit.
//
// Penalties. penalize(part, until, escalate) blocks every request naming
// `part` (any rule) until `until`: stored in the Store under the key
// "penalty|<part>", so on a shared (Redis) store the penalty is fleet-wide.
// With escalate = true and a previous penalty on the same part that was
// requested by this Limiter and ended less than `escalation_window` ago (or
// is still running), the duration is max(requested, 2 × previous duration),
// capped at `max_penalty` (default 24 h). The escalation history is kept in
// this Limiter's memory (per process), bounded, and forgotten after the
// window. reset(request) clears the request's rule keys and penalties (not
// the escalation history; clear_escalation(part) does).
//
// Thread-safety: every member may be called from any thread; set_rules()
// swaps an immutable rule set, so a check running concurrently sees either
// the old or the new rules, never a mix.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "gramkit/ratelimit.hpp"

namespace gramkit::ratelimit {

/// One applicable rule's state, for status reporting (ratelimit.status).
struct RuleStatus {
    std::string rule;
    std::string key;
    Decision decision;  // peek: remaining, reset_at, retry_after, penalty
};

struct PenaltyOptions {
    Duration escalation_window = std::chrono::hours(6);
    Duration max_penalty = std::chrono::hours(24);
};

/// Default rules (docs/ratelimit.md): sized so that rate × window + burst
/// equals the counts the reference scrapers use, so no sliding window ever
/// sees more than them:
///   account.graphql  {account, endpoint:graphql, action}: 180 / 11 min, burst 20 (≤ 200 per 11 min)
///   account.web      {account, endpoint:web}:              65 / 11 min, burst 10 (≤ 75 per 11 min)
///   account.mobile   {account, endpoint:mobile}:          189 / 30 min, burst 10 (≤ 199 per 30 min)
std::vector<Rule> default_rules();

/// Default spacing between two requests of one account: uniform in
/// [kDefaultSpacingBase, kDefaultSpacingBase + kDefaultSpacingJitter].
inline constexpr Duration kDefaultSpacingBase = std::chrono::seconds(1);
inline constexpr Duration kDefaultSpacingJitter = std::chrono::seconds(2);

/// base + a uniformly random extra in [0, jitter] (whole µs). Negative
/// base or jitter count as 0. Callers sleep this long between requests so
/// their timing does not look machine-made.
template <class Rng>
Duration jittered_spacing(Duration base, Duration jitter, Rng& rng) {
    const std::int64_t b = base.count() < 0 ? 0 : base.count();
    const std::int64_t j = jitter.count() < 0 ? 0 : jitter.count();
    if (j == 0) return Duration{b};
    std::uniform_int_distribution<std::int64_t> extra(0, j);
    return Duration{b + extra(rng)};
}

class Limiter {
public:
    /// `clock` is used for penalty arithmetic (until/escalation); the store
    /// reads its own clock for decisions. Starts with default_rules().
    Limiter(std::shared_ptr<Store> store, std::shared_ptr<const Clock> clock, PenaltyOptions penalties = {});

    /// Replaces the rule set (validated first: non-empty unique names
    /// without '|', valid limits, ≥ 1 selector, no empty selector).
    Status set_rules(std::vector<Rule> rules);
    std::vector<Rule> rules() const;

    /// The (rule, store key) pairs a request must pass, in rule order.
    std::vector<std::pair<std::string, std::string>> applicable(const Request& request) const;

    /// Passes every applicable rule (and no penalty) or consumes nothing
    /// (up to the race above). invalid_argument if cost exceeds the burst of
    /// an applicable rule (it could never pass) or cost is 0; store errors
    /// (e.g. Redis down) are returned as they are.
    Result<Verdict> check(const Request& request, std::uint32_t cost = 1);

    /// Peek at every applicable rule, without consuming.
    Result<std::vector<RuleStatus>> status(const Request& request);

    /// Blocks every request naming `part` until `until` (see header
    /// comment for escalation). Returns the effective end of the penalty.
    Result<Timestamp> penalize(std::string_view part, Timestamp until, bool escalate = false);
    /// Forgets the escalation history of a part.
    void clear_escalation(std::string_view part);

    /// Resets every applicable rule key and the penalties of the request's parts.
    Status reset(const Request& request);

    Store& store() noexcept { return *store_; }

    static std::string penalty_key(std::string_view part);

private:
    struct RuleSet;
    struct Escalation {
        Duration last_duration{0};
        Timestamp last_end{};
    };

    std::shared_ptr<const RuleSet> snapshot() const;

    std::shared_ptr<Store> store_;
    std::shared_ptr<const Clock> clock_;
    PenaltyOptions penalty_options_;

    mutable std::mutex rules_mutex_;
    std::shared_ptr<const RuleSet> rules_;

    std::mutex escalation_mutex_;
    std::unordered_map<std::string, Escalation> escalation_;
};

}  // namespace gramkit::ratelimit
