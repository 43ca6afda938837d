// SessionService: encrypted cookie jars per account.
//
// Merging reads, changes and rewrites the jar; a per-account lock in this
// process keeps two concurrent saves from losing each other's cookies.
// (Across processes the last writer wins; the HTTP layer saves after each
// response, so a lost cookie is refreshed by the next response.)
#include <map>
#include <mutex>

#include "accounts/cookie_jar.hpp"
#include "accounts/secret_codec.hpp"
#include "accounts/notify.hpp"
#include "accounts/services.hpp"
#include "accounts/validation.hpp"

namespace gramkit::accounts {
namespace {

Status validate_device(const DeviceInfo& d) {
    auto bad = [](const std::string& s, std::size_t max) {
        return s.size() > max || std::any_of(s.begin(), s.end(), [](unsigned char c) { return c < 0x20 || c == 0x7f; });
    };
    if (bad(d.user_agent, 512)) return fail(ErrorCode::invalid_argument, "user_agent is too long or has control characters", "user_agent");
    if (bad(d.device_id, 128)) return fail(ErrorCode::invalid_argument, "device_id is too long or has control characters", "device_id");
    if (bad(d.locale, 32)) return fail(ErrorCode::invalid_argument, "locale is too long or has control characters", "locale");
    return {};
}

std::optional<Timestamp> earliest_expiry(const std::vector<Cookie>& jar) {
    std::optional<Timestamp> out;
    for (const auto& c : jar)
        if (c.expires && (!out || *c.expires < *out)) out = c.expires;
    return out;
}

class SessionServiceImpl final : public SessionService {
public:
    explicit SessionServiceImpl(const ServiceContext& ctx) : ctx_(ctx), repo_(ctx.backend.sessions()) {}

    Result<Session> get(std::int64_t account_id) override {
        GK_ASSIGN_OR_RETURN(auto rec, repo_.get(account_id));
        return std::move(rec.session);
    }

    Result<Session> save_cookies(std::int64_t account_id, const std::vector<Cookie>& cookies,
                                 const std::optional<DeviceInfo>& device) override {
        return write_jar(account_id, cookies, device, /*merge=*/true);
    }

    Result<Session> replace_cookies(std::int64_t account_id, const std::vector<Cookie>& cookies,
                                    const std::optional<DeviceInfo>& device) override {
        return write_jar(account_id, cookies, device, /*merge=*/false);
    }

    Result<Session> apply_response_cookies(std::int64_t account_id, const std::vector<Cookie>& changes) override {
        std::vector<Cookie> storable;
        storable.reserve(changes.size());
        for (std::size_t i = 0; i < changes.size(); ++i)
            if (validate_cookie(changes[i], i)) storable.push_back(changes[i]);
        if (storable.size() != changes.size()) {
            ctx_.log.warn("sessions", "session.cookies_dropped",
                          {{"account_id", std::to_string(account_id)},
                           {"dropped", std::to_string(changes.size() - storable.size())}});
        }
        if (storable.size() > 1000) storable.resize(1000);
        return write_jar(account_id, storable, std::nullopt, /*merge=*/true, /*keep_validity=*/true);
    }

    Result<std::vector<Cookie>> load_cookies(std::int64_t account_id) override {
        GK_ASSIGN_OR_RETURN(auto rec, repo_.get(account_id));
        GK_ASSIGN_OR_RETURN(auto jar, open_jar(rec));
        drop_expired(jar, ctx_.clock.now());
        return jar;
    }

    Status invalidate(std::int64_t account_id, std::string_view reason) override {
        if (reason.size() > 500) return fail(ErrorCode::invalid_argument, "reason must be at most 500 bytes", "reason");
        GK_TRY(repo_.invalidate(account_id, reason));
        notify(ctx_, "sessions", "session.invalidated", {{"account_id", account_id}, {"reason", reason}});
        return {};
    }

    Result<Page<Session>> list(const SessionFilter& filter) override {
        GK_TRY(validate_limit(filter.limit));
        GK_ASSIGN_OR_RETURN(auto page, repo_.list(filter));
        Page<Session> out;
        out.next_after = page.next_after;
        for (auto& rec : page.items) out.items.push_back(std::move(rec.session));
        return out;
    }

private:
    Result<std::vector<Cookie>> open_jar(const storage::SessionRecord& rec) {
        GK_ASSIGN_OR_RETURN(auto plain, open_secret(ctx_.keys, kSessionCookies, rec.session.account_id, rec.cookies_envelope));
        return decode_cookie_jar(plain);
    }

    std::shared_ptr<std::mutex> lock_for(std::int64_t account_id) {
        std::lock_guard g(locks_mu_);
        auto& m = locks_[account_id];
        if (!m) m = std::make_shared<std::mutex>();
        return m;
    }

    Result<Session> write_jar(std::int64_t account_id, const std::vector<Cookie>& cookies,
                              const std::optional<DeviceInfo>& device, bool merge, bool keep_validity = false) {
        if (cookies.size() > 1000) return fail(ErrorCode::invalid_argument, "too many cookies (at most 1000)", "cookies");
        for (std::size_t i = 0; i < cookies.size(); ++i) GK_TRY(validate_cookie(cookies[i], i));
        if (device) GK_TRY(validate_device(*device));

        auto account_lock = lock_for(account_id);
        std::lock_guard g(*account_lock);
        const Timestamp now = ctx_.clock.now();

        storage::SessionRecord rec;
        std::vector<Cookie> jar;
        auto existing = repo_.get(account_id);
        if (existing) {
            rec = std::move(*existing);
            if (merge) {
                GK_ASSIGN_OR_RETURN(jar, open_jar(rec));
            }
        } else if (existing.error().code != ErrorCode::not_found) {
            return fail(std::move(existing).error());
        } else {
            rec.session.account_id = account_id;
            rec.session.created_at = now;
        }
        merge_cookies(jar, cookies, now);
        if (device) rec.session.device = *device;
        rec.session.cookie_count = jar.size();
        rec.session.expires_at = earliest_expiry(jar);
        if (!keep_validity || !existing) {
            rec.session.valid = true;
            rec.session.invalid_reason.clear();
        }
        rec.session.last_used_at = now;
        GK_ASSIGN_OR_RETURN(rec.cookies_envelope, seal_secret(ctx_.keys, kSessionCookies, account_id, encode_cookie_jar(jar)));
        GK_TRY(repo_.upsert(rec));
        notify(ctx_, "sessions", merge ? "session.cookies_saved" : "session.cookies_replaced",
               {{"account_id", account_id}, {"cookies", jar.size()}});
        return std::move(rec.session);
    }

    ServiceContext ctx_;
    storage::SessionRepository& repo_;
    std::mutex locks_mu_;
    std::map<std::int64_t, std::shared_ptr<std::mutex>> locks_;
};

// Hands out accounts least-recently-used first. The set of checked-out ids
// lives in this process; the mutex makes "pick a candidate not held" and
// "mark it held" one step, so no account goes to two holders.
class SessionManagerImpl final : public SessionManager {
public:
    SessionManagerImpl(const ServiceContext& ctx, AccountService& accounts)
        : ctx_(ctx), repo_(ctx.backend.sessions()), accounts_(accounts) {}

    Result<CheckedOutAccount> checkout() override {
        // Accounts whose cooldown is over become eligible again.
        GK_TRY(accounts_.expire_cooldowns());
        std::lock_guard g(mu_);
        // Ask for one more candidate than we hold, so at least one is free
        // if any eligible account exists.
        GK_ASSIGN_OR_RETURN(auto candidates, repo_.checkout_candidates(held_.size() + 1));
        for (auto& c : candidates) {
            if (held_.contains(c.account_id)) continue;
            held_.insert({c.account_id, true});
            // Touch now so a second process (or a host that forgets to check
            // in) rotates through accounts instead of reusing this one.
            GK_TRY(repo_.touch(c.account_id, ctx_.clock.now()));
            return CheckedOutAccount{c.account_id, std::move(c.username), c.proxy_id};
        }
        return fail(ErrorCode::unavailable,
                    held_.empty() ? "no account is active with a valid session"
                                  : "every eligible account is checked out (" + std::to_string(held_.size()) + ")");
    }

    Status checkin(std::int64_t account_id) override {
        std::lock_guard g(mu_);
        if (held_.erase(account_id) == 0)
            return fail(ErrorCode::failed_precondition, "account " + std::to_string(account_id) + " is not checked out");
        auto touched = repo_.touch(account_id, ctx_.clock.now());
        // The account may have been deleted while it was out; that is fine.
        if (!touched && touched.error().code != ErrorCode::not_found) return touched;
        return {};
    }

    std::size_t checked_out_count() const override {
        std::lock_guard g(mu_);
        return held_.size();
    }

private:
    ServiceContext ctx_;
    storage::SessionRepository& repo_;
    AccountService& accounts_;
    mutable std::mutex mu_;
    std::map<std::int64_t, bool> held_;
};

}  // namespace

std::unique_ptr<SessionService> make_session_service(const ServiceContext& ctx) {
    return std::make_unique<SessionServiceImpl>(ctx);
}

std::unique_ptr<SessionManager> make_session_manager(const ServiceContext& ctx, AccountService& accounts) {
    return std::make_unique<SessionManagerImpl>(ctx, accounts);
}

}  // namespace gramkit::accounts
