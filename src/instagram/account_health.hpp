// What Instagram's answers mean for the account that received them
// (DESIGN.md §7): the one place that turns a classified answer into an
// account status change, a cooldown or an invalidated session. The limiter
// stays a mechanism; this layer reads the answers.
//
//   rate_limited, please_wait  → cooldown until Retry-After (or the
//                                 configured default, 11 min), escalating
//                                 on repeats
//   feedback_required          → cooldown for the feedback period (12 h)
//   checkpoint_required,
//   challenge_required         → status challenge_required
//   bad_password, invalid_user → status login_failed
//   login_required             → session invalidated
//   two_factor_required, generic, ok → nothing
//
// Per-proxy cooldown: Instagram throttles addresses as well as accounts, so
// when `proxy_cooldown` is on (the default) a 429 or "please wait" that came
// through a proxy also penalizes the part "proxy:<id>" until the account's
// cooldown ends: the other accounts on that address wait too, rather than
// being throttled one by one.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>

#include "gramkit/accounts.hpp"
#include "gramkit/instagram.hpp"
#include "gramkit/log.hpp"
#include "gramkit/sessions.hpp"
#include "ratelimit/policy.hpp"

namespace gramkit::instagram {

struct AccountHealth {
    AccountService& accounts;
    SessionService& sessions;
    ratelimit::Limiter& limiter;
    const Clock& clock;
    Logger& log;
    const InstagramOptions& options;

    /// Applies `outcome` to the account and returns the error its caller
    /// should see (to_error(outcome), with the cooldown's end added to the
    /// message when one was set). A failure to apply is logged, not
    /// returned: the answer itself is the more useful error.
    Error apply(std::int64_t account_id, std::optional<std::int64_t> proxy_id, const LoginResult& outcome,
                std::optional<std::chrono::milliseconds> retry_after) const;
};

}  // namespace gramkit::instagram
