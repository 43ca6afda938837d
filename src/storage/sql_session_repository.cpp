// gramkit::storage — SessionRepository over the SQL driver (both dialects).
#include <algorithm>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "storage/sql_repositories.hpp"

namespace gramkit::storage {
namespace {

using namespace sql_repo;

constexpr std::string_view kSelectSessions =
    "SELECT account_id, cookies, user_agent, device_id, locale, cookie_count, valid, invalid_reason, created_at, "
    "last_used_at, expires_at FROM sessions ";

Result<SessionRecord> decode_session(const Row& r) {
    SessionRecord rec;
    Session& s = rec.session;
    s.account_id = r.i64(0);
    rec.cookies_envelope = r.text(1);
    s.device.user_agent = r.text(2);
    s.device.device_id = r.text(3);
    s.device.locale = r.text(4);
    s.cookie_count = static_cast<std::size_t>(r.i64(5));
    s.valid = r.boolean(6);
    s.invalid_reason = r.text(7);
    s.created_at = r.time(8);
    s.last_used_at = r.time(9);
    s.expires_at = r.opt_time(10);
    return rec;
}

// Sessions are keyed by their account: "session of account 7 not found".
constexpr std::string_view kSessionOfAccount = "session of account";

class SqlSessionRepository final : public SessionRepository {
public:
    explicit SqlSessionRepository(Database& db) : db_(db) {}

    Status upsert(const SessionRecord& record) override {
        const Session& s = record.session;
        Status done = with_connection(db_, [&](Connection& c) -> Status {
            // The same upsert syntax works on SQLite (3.24+) and PostgreSQL.
            GK_TRY(exec(c,
                        "INSERT INTO sessions (account_id, cookies, user_agent, device_id, locale, cookie_count, "
                        "valid, invalid_reason, created_at, last_used_at, expires_at) "
                        "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) "
                        "ON CONFLICT (account_id) DO UPDATE SET cookies = excluded.cookies, "
                        "user_agent = excluded.user_agent, device_id = excluded.device_id, locale = excluded.locale, "
                        "cookie_count = excluded.cookie_count, valid = excluded.valid, "
                        "invalid_reason = excluded.invalid_reason, created_at = excluded.created_at, "
                        "last_used_at = excluded.last_used_at, expires_at = excluded.expires_at",
                        {s.account_id, record.cookies_envelope, s.device.user_agent, s.device.device_id,
                         s.device.locale, static_cast<std::int64_t>(s.cookie_count), s.valid, s.invalid_reason,
                         s.created_at, s.last_used_at, s.expires_at}));
            return {};
        });
        // The only foreign key of sessions is the account.
        if (!done && is_constraint_violation(done.error(), "foreign_key")) {
            return fail(not_found("account", s.account_id));
        }
        return done;
    }

    Result<SessionRecord> get(std::int64_t account_id) override {
        static const std::string sql = std::string(kSelectSessions) + "WHERE account_id = $1";
        return with_connection(db_, [&](Connection& c) -> Result<SessionRecord> {
            GK_ASSIGN_OR_RETURN(auto found,
                                query_optional<SessionRecord>(c, sql, params_of({account_id}), decode_session));
            if (!found) return fail(not_found(kSessionOfAccount, account_id));
            return std::move(*found);
        });
    }

    Status invalidate(std::int64_t account_id, std::string_view reason) override {
        return update_session(account_id, "UPDATE sessions SET valid = 0, invalid_reason = $2 WHERE account_id = $1",
                              params_of({account_id, reason}));
    }

    Status touch(std::int64_t account_id, Timestamp now) override {
        return update_session(account_id, "UPDATE sessions SET last_used_at = $2 WHERE account_id = $1",
                              params_of({account_id, now}));
    }

    Result<Page<SessionRecord>> list(const SessionFilter& filter) override {
        GK_TRY(check_page_limit(filter.limit));
        SqlParams params;
        std::string sql =
            std::string(kSelectSessions) + "WHERE account_id > " + params.add(cursor_or_start(filter.after));
        if (filter.valid_only) sql += " AND valid = 1";
        sql += " ORDER BY account_id LIMIT " + params.add(static_cast<std::int64_t>(filter.limit + 1));
        return with_connection(db_, [&](Connection& c) -> Result<Page<SessionRecord>> {
            GK_ASSIGN_OR_RETURN(auto rows, query_rows<SessionRecord>(c, sql, params.span(), decode_session));
            return to_page(std::move(rows), filter.limit, [](const SessionRecord& r) { return r.session.account_id; });
        });
    }

    Result<std::vector<CheckoutCandidate>> checkout_candidates(std::size_t limit) override {
        // Not a listing page: the session manager may need to look past
        // every account it already holds, so only 0 is refused.
        if (limit == 0) return fail(ErrorCode::invalid_argument, "limit must be at least 1", "limit");
        const auto bounded = static_cast<std::int64_t>(
            std::min<std::size_t>(limit, static_cast<std::size_t>(std::numeric_limits<std::int64_t>::max())));
        return with_connection(db_, [&](Connection& c) {
            return query_rows<CheckoutCandidate>(
                c,
                "SELECT a.id, a.username, a.proxy_id FROM sessions s JOIN accounts a ON a.id = s.account_id "
                "WHERE s.valid = 1 AND a.status = $1 ORDER BY s.last_used_at, s.account_id LIMIT $2",
                params_of({status_text(AccountStatus::active), bounded}),
                [](const Row& r) -> Result<CheckoutCandidate> {
                    return CheckoutCandidate{r.i64(0), r.text(1), r.opt_i64(2)};
                });
        });
    }

private:
    Status update_session(std::int64_t account_id, std::string_view sql, std::span<const Param> params) {
        return with_connection(db_,
                               [&](Connection& c) { return write_one(c, sql, params, kSessionOfAccount, account_id); });
    }

    Database& db_;
};

}  // namespace

std::unique_ptr<SessionRepository> make_sql_session_repository(Database& db) {
    return std::make_unique<SqlSessionRepository>(db);
}

}  // namespace gramkit::storage
