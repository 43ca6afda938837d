// AccountService: validation, encryption of secrets and the guarded status
// machine on top of AccountRepository.
#include <cctype>
#include <string>

#include "accounts/secret_codec.hpp"
#include "accounts/notify.hpp"
#include "accounts/services.hpp"
#include "accounts/validation.hpp"
#include "gramkit/time_format.hpp"

namespace gramkit::accounts {
namespace {

// Instagram usernames are case-insensitive; store and look them up in
// lower case so "Alice" and "alice" are one account.
std::string canonical_username(std::string_view u) {
    std::string out(u);
    for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

class AccountServiceImpl final : public AccountService {
public:
    explicit AccountServiceImpl(const ServiceContext& ctx) : ctx_(ctx), repo_(ctx.backend.accounts()) {}

    Result<Account> create(const NewAccount& spec) override {
        GK_ASSIGN_OR_RETURN(auto rec, prepare(spec));
        GK_TRY(repo_.insert(rec));
        notify(ctx_, "accounts", "account.created", {{"account_id", rec.account.id}, {"username", rec.account.username}});
        return std::move(rec.account);
    }

    Result<std::vector<Account>> create_many(const std::vector<NewAccount>& specs) override {
        if (specs.size() > 10000)
            return fail(ErrorCode::invalid_argument, "at most 10000 accounts per call", "accounts");
        std::vector<storage::AccountRecord> records;
        records.reserve(specs.size());
        for (std::size_t i = 0; i < specs.size(); ++i) {
            auto rec = prepare(specs[i]);
            if (!rec) {
                Error e = std::move(rec).error();
                e.message = "accounts[" + std::to_string(i) + "]: " + e.message;
                e.details = "accounts[" + std::to_string(i) + "]." + e.details;
                return fail(std::move(e));
            }
            records.push_back(std::move(*rec));
        }
        GK_TRY(repo_.insert_many(records));
        std::vector<Account> out;
        out.reserve(records.size());
        for (auto& rec : records) {
            notify(ctx_, "accounts", "account.created", {{"account_id", rec.account.id}, {"username", rec.account.username}});
            out.push_back(std::move(rec.account));
        }
        return out;
    }

    // Validates a spec and builds its row with sealed secrets.
    Result<storage::AccountRecord> prepare(const NewAccount& spec) {
        GK_TRY(validate_username(spec.username));
        GK_TRY(validate_password(spec.password));
        if (spec.email) GK_TRY(validate_email(*spec.email));
        if (spec.totp_seed) GK_TRY(validate_password(*spec.totp_seed, "totp_seed"));
        GK_ASSIGN_OR_RETURN(auto labels, normalize_labels(spec.labels));

        storage::AccountRecord rec;
        Account& a = rec.account;
        a.id = ctx_.ids.next();
        a.username = canonical_username(spec.username);
        a.email = spec.email;
        a.labels = std::move(labels);
        a.status = AccountStatus::active;
        a.status_reason = "created";
        a.has_totp_seed = spec.totp_seed.has_value();
        a.created_at = a.updated_at = ctx_.clock.now();
        GK_ASSIGN_OR_RETURN(rec.password_envelope, seal_secret(ctx_.keys, kAccountPassword, a.id, spec.password));
        if (spec.totp_seed) {
            GK_ASSIGN_OR_RETURN(rec.totp_envelope, seal_secret(ctx_.keys, kAccountTotpSeed, a.id, *spec.totp_seed));
        }
        return rec;
    }

    Result<Account> get(std::int64_t id) override {
        GK_ASSIGN_OR_RETURN(auto rec, repo_.get(id));
        return end_cooldown_if_over(std::move(rec.account));
    }

    Result<Account> get_by_username(std::string_view username) override {
        GK_ASSIGN_OR_RETURN(auto rec, repo_.get_by_username(canonical_username(username)));
        return end_cooldown_if_over(std::move(rec.account));
    }

    Result<Page<Account>> list(const AccountFilter& filter) override {
        GK_TRY(validate_limit(filter.limit));
        if (filter.label) GK_TRY(validate_label(*filter.label));
        GK_ASSIGN_OR_RETURN(auto page, repo_.list(filter));
        Page<Account> out;
        out.next_after = page.next_after;
        out.items.reserve(page.items.size());
        for (auto& rec : page.items) out.items.push_back(std::move(rec.account));
        return out;
    }

    Result<Account> update(std::int64_t id, const AccountUpdate& u) override {
        GK_ASSIGN_OR_RETURN(auto rec, repo_.get(id));
        Account& a = rec.account;
        if (u.username) {
            GK_TRY(validate_username(*u.username));
            a.username = canonical_username(*u.username);
        }
        if (u.password) {
            GK_TRY(validate_password(*u.password));
            GK_ASSIGN_OR_RETURN(rec.password_envelope, seal_secret(ctx_.keys, kAccountPassword, id, *u.password));
        }
        if (u.email) {
            if (*u.email) GK_TRY(validate_email(**u.email));
            a.email = *u.email;
        }
        if (u.totp_seed) {
            if (*u.totp_seed) {
                GK_TRY(validate_password(**u.totp_seed, "totp_seed"));
                GK_ASSIGN_OR_RETURN(rec.totp_envelope, seal_secret(ctx_.keys, kAccountTotpSeed, id, **u.totp_seed));
            } else {
                rec.totp_envelope.reset();
            }
            a.has_totp_seed = rec.totp_envelope.has_value();
        }
        if (u.labels) {
            GK_ASSIGN_OR_RETURN(a.labels, normalize_labels(*u.labels));
        }
        a.updated_at = ctx_.clock.now();
        GK_TRY(repo_.update(rec));
        notify(ctx_, "accounts", "account.updated", {{"account_id", id}});
        return std::move(a);
    }

    Status remove(std::int64_t id) override {
        GK_TRY(repo_.remove(id));
        notify(ctx_, "accounts", "account.deleted", {{"account_id", id}});
        return {};
    }

    Result<Account> change_status(std::int64_t id, AccountStatus to, std::string_view reason,
                                  std::optional<Timestamp> until) override {
        if (reason.size() > 500) return fail(ErrorCode::invalid_argument, "reason must be at most 500 bytes", "reason");
        const Timestamp now = ctx_.clock.now();
        if (to == AccountStatus::cooldown) {
            if (!until) return fail(ErrorCode::invalid_argument, "a cooldown needs an 'until' time", "until");
            if (*until <= now) return fail(ErrorCode::invalid_argument, "cooldown 'until' must be in the future", "until");
        } else if (until) {
            return fail(ErrorCode::invalid_argument, "'until' is only allowed with status cooldown", "until");
        }
        GK_ASSIGN_OR_RETURN(auto current, get(id));
        return change_status_from(std::move(current), to, reason, until);
    }

    Result<Account> change_status_from(Account current, AccountStatus to, std::string_view reason,
                                       std::optional<Timestamp> until) {
        const std::int64_t id = current.id;
        const Timestamp now = ctx_.clock.now();
        if (!status_transition_allowed(current.status, to)) {
            return fail(ErrorCode::conflict,
                        "account " + std::to_string(id) + " cannot go from " + std::string(to_string(current.status)) +
                            " to " + std::string(to_string(to)),
                        "status");
        }
        StatusChange change{id, current.status, to, std::string(reason), until, now};
        // Compare-and-set in the repository: a concurrent change between our
        // read and this write turns into `conflict` instead of a lost update.
        GK_TRY(repo_.change_status(change));
        notify(ctx_, "accounts", "account.status_changed",
               {{"account_id", id},
                {"from", to_string(current.status)},
                {"to", to_string(to)},
                {"reason", reason},
                {"until", until ? json::Value(format_timestamp_utc(*until)) : json::Value()}});
        current.status = to;
        current.status_reason = std::string(reason);
        current.cooldown_until = until;
        current.updated_at = now;
        return current;
    }

    Result<Account> cooldown(std::int64_t id, Timestamp until, std::string_view reason, bool escalate) override {
        if (until <= ctx_.clock.now())
            return fail(ErrorCode::invalid_argument, "cooldown 'until' must be in the future", "until");
        if (ctx_.limiter) {
            // Penalize first: even if the status change races and fails, no
            // process sends requests for the account until `until`.
            GK_ASSIGN_OR_RETURN(until, ctx_.limiter->penalize("account:" + std::to_string(id), until, escalate));
        }
        return change_status(id, AccountStatus::cooldown, reason, until);
    }

    Result<std::size_t> expire_cooldowns() override {
        std::size_t ended = 0;
        AccountFilter f;
        f.status = AccountStatus::cooldown;
        f.limit = 1000;
        for (;;) {
            GK_ASSIGN_OR_RETURN(auto page, repo_.list(f));
            for (auto& rec : page.items) {
                auto before = rec.account.status;
                GK_ASSIGN_OR_RETURN(auto after, end_cooldown_if_over(std::move(rec.account)));
                if (before != after.status) ++ended;
            }
            if (!page.next_after) break;
            f.after = page.next_after;
        }
        return ended;
    }

    Result<std::vector<StatusChange>> status_history(std::int64_t id, std::size_t limit) override {
        GK_TRY(validate_limit(limit));
        return repo_.history(id, limit);  // not_found for an unknown account
    }

    Result<std::string> reveal_password(std::int64_t id) override {
        GK_ASSIGN_OR_RETURN(auto rec, repo_.get(id));
        return open_secret(ctx_.keys, kAccountPassword, id, rec.password_envelope);
    }

    Result<std::optional<std::string>> reveal_totp_seed(std::int64_t id) override {
        GK_ASSIGN_OR_RETURN(auto rec, repo_.get(id));
        if (!rec.totp_envelope) return std::optional<std::string>{};
        GK_ASSIGN_OR_RETURN(auto seed, open_secret(ctx_.keys, kAccountTotpSeed, id, *rec.totp_envelope));
        return std::optional<std::string>(std::move(seed));
    }

private:
    // A cooldown whose time has passed ends on the next read. A concurrent
    // reader may have ended it first (conflict): then re-read.
    Result<Account> end_cooldown_if_over(Account a) {
        if (a.status != AccountStatus::cooldown || !a.cooldown_until || *a.cooldown_until > ctx_.clock.now()) return a;
        auto changed = change_status_from(a, AccountStatus::active, "cooldown ended", std::nullopt);
        if (changed) return changed;
        if (changed.error().code != ErrorCode::conflict) return changed;
        GK_ASSIGN_OR_RETURN(auto rec, repo_.get(a.id));
        return std::move(rec.account);
    }

    ServiceContext ctx_;
    storage::AccountRepository& repo_;
};

}  // namespace

std::unique_ptr<AccountService> make_account_service(const ServiceContext& ctx) {
    return std::make_unique<AccountServiceImpl>(ctx);
}

}  // namespace gramkit::accounts
