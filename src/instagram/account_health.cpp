// Instagram answers → account status (see account_health.hpp).
#include "instagram/account_health.hpp"

#include <string>

#include "gramkit/time_format.hpp"

namespace gramkit::instagram {
namespace {

// A status change that is not allowed from where the account is (it was
// changed concurrently, or is already there) is not worth an error.
void change_status(const AccountHealth& h, std::int64_t id, AccountStatus to, const std::string& reason) {
    auto changed = h.accounts.change_status(id, to, reason);
    if (!changed && changed.error().code != ErrorCode::conflict) {
        h.log.warn("instagram", "account.status_change_failed",
                   {{"account_id", std::to_string(id)}, {"to", std::string(to_string(to))},
                    {"error", changed.error().message}});
    }
}

}  // namespace

Error AccountHealth::apply(std::int64_t account_id, std::optional<std::int64_t> proxy_id, const LoginResult& outcome,
                           std::optional<std::chrono::milliseconds> retry_after) const {
    Error error = to_error(outcome);
    const std::string reason = "instagram: " + std::string(to_string(outcome.kind));
    std::optional<Timestamp> until;
    bool escalate = false;
    switch (outcome.kind) {
        case ApiErrorKind::rate_limited:
        case ApiErrorKind::please_wait:
            // "Retry-After: 0" or a date already past would mean no cooldown
            // at all; the configured default applies then.
            until = clock.now() + (retry_after && retry_after->count() > 0
                                       ? std::chrono::duration_cast<Duration>(*retry_after)
                                       : std::chrono::duration_cast<Duration>(options.rate_limit_cooldown));
            escalate = true;
            break;
        case ApiErrorKind::feedback_required:
            until = clock.now() + std::chrono::duration_cast<Duration>(options.feedback_cooldown);
            break;
        case ApiErrorKind::checkpoint_required:
        case ApiErrorKind::challenge_required:
            change_status(*this, account_id, AccountStatus::challenge_required, reason);
            break;
        case ApiErrorKind::bad_password:
        case ApiErrorKind::invalid_user:
            change_status(*this, account_id, AccountStatus::login_failed, reason);
            break;
        case ApiErrorKind::login_required:
            if (auto s = sessions.invalidate(account_id, "login_required"); !s && s.error().code != ErrorCode::not_found)
                log.warn("instagram", "session.invalidate_failed",
                         {{"account_id", std::to_string(account_id)}, {"error", s.error().message}});
            break;
        case ApiErrorKind::ok:
        case ApiErrorKind::two_factor_required:
        case ApiErrorKind::generic:
            break;
    }
    if (until) {
        auto cooled = accounts.cooldown(account_id, *until, reason, escalate);
        if (cooled && cooled->cooldown_until) {
            error.message += "; account " + std::to_string(account_id) + " cools down until " +
                             format_timestamp_utc(*cooled->cooldown_until);
            if (proxy_id && escalate && options.proxy_cooldown) {
                const std::string part = "proxy:" + std::to_string(*proxy_id);
                if (auto p = limiter.penalize(part, *cooled->cooldown_until); p) {
                    error.message += ", and so does proxy " + std::to_string(*proxy_id);
                } else {
                    log.warn("instagram", "proxy.cooldown_failed", {{"proxy_id", std::to_string(*proxy_id)}, {"error", p.error().message}});
                }
            }
        } else if (!cooled) {
            log.warn("instagram", "account.cooldown_failed",
                     {{"account_id", std::to_string(account_id)}, {"error", cooled.error().message}});
        }
    }
    return error;
}

}  // namespace gramkit::instagram
