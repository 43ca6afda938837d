// gramkit::storage — ProxyRepository over the SQL driver (both dialects).
//
// How assignment stays within max_accounts under concurrency: every
// transaction that adds an account to a proxy first locks that proxy's row
// and only then counts the accounts already on it, in a separate statement.
// On PostgreSQL the lock is FOR UPDATE and the count, run under READ
// COMMITTED after the lock was granted, sees every assignment committed by
// earlier lock holders. On SQLite BEGIN IMMEDIATE gives the whole
// transaction the database's only write lock, which serialises assigners
// outright.
#include <string>
#include <utility>
#include <vector>

#include "storage/sql_repositories.hpp"

namespace gramkit::storage {
namespace {

using namespace sql_repo;

// Accounts currently on proxy `p`; computed on read, never stored, so it
// cannot drift from accounts.proxy_id.
#define GK_PROXY_ASSIGNED_COUNT "(SELECT COUNT(*) FROM accounts a WHERE a.proxy_id = p.id)"

constexpr std::string_view kSelectProxies =
    "SELECT p.id, p.scheme, p.host, p.port, p.username, p.password, p.health, p.failure_count, p.max_accounts, "
    "p.created_at, p.updated_at, " GK_PROXY_ASSIGNED_COUNT " FROM proxies p ";

// The healthy proxy with room and the fewest accounts; ties go to the lowest id.
constexpr std::string_view kLeastLoadedSql =
    "SELECT id FROM (SELECT p.id, p.max_accounts, " GK_PROXY_ASSIGNED_COUNT " AS assigned "
    "FROM proxies p WHERE p.health = $1) candidates "
    "WHERE assigned < max_accounts ORDER BY assigned, id LIMIT 1";

#undef GK_PROXY_ASSIGNED_COUNT

// A proxy assignment that lost a race restarts in a new transaction; each
// restart means another assigner filled a proxy, so this bound is only hit
// under pathological churn.
constexpr int kMaxAssignAttempts = 64;

Result<ProxyRecord> decode_proxy(const Row& r) {
    ProxyRecord rec;
    Proxy& p = rec.proxy;
    p.id = r.i64(0);
    GK_ASSIGN_OR_RETURN(p.scheme, enum_from_text(kProxySchemeText, r.view(1), "proxies.scheme"));
    p.host = r.text(2);
    p.port = static_cast<std::uint16_t>(r.i64(3));  // CHECK keeps it within 1..65535
    p.username = r.opt_text(4);
    rec.password_envelope = r.opt_text(5);
    p.has_password = rec.password_envelope.has_value();
    GK_ASSIGN_OR_RETURN(p.health, enum_from_text(kProxyHealthText, r.view(6), "proxies.health"));
    p.failure_count = static_cast<int>(r.i64(7));
    p.max_accounts = static_cast<int>(r.i64(8));
    p.created_at = r.time(9);
    p.updated_at = r.time(10);
    p.assigned_accounts = static_cast<int>(r.i64(11));
    return rec;
}

/// "socks5://user@host:1080": the endpoint for messages (never the password).
std::string describe_endpoint(const Proxy& p) {
    std::string out(scheme_text(p.scheme));
    out += "://";
    if (p.username) out += *p.username + "@";
    out += p.host + ":" + std::to_string(p.port);
    return out;
}

/// The account row, locked for the rest of the transaction on PostgreSQL so
/// that two assignments of the same account run one after the other.
struct LockedAccount {
    std::optional<std::int64_t> proxy_id;
};

Result<LockedAccount> lock_account(Connection& c, std::int64_t account_id) {
    const std::string sql = "SELECT proxy_id FROM accounts WHERE id = $1" + std::string(row_lock_suffix(c.dialect()));
    GK_ASSIGN_OR_RETURN(auto found, query_optional<LockedAccount>(c, sql, params_of({account_id}),
                                                                  [](const Row& r) -> Result<LockedAccount> {
                                                                      return LockedAccount{r.opt_i64(0)};
                                                                  }));
    if (!found) return fail(not_found("account", account_id));
    return *found;
}

struct ProxyRoom {
    ProxyHealth health = ProxyHealth::healthy;
    std::int64_t max_accounts = 0;
    std::int64_t assigned = 0;
    bool has_room() const noexcept { return assigned < max_accounts; }
};

// Reads (health, max_accounts); `assigned` is counted separately.
Result<ProxyRoom> decode_proxy_room(const Row& r) {
    ProxyRoom room;
    GK_ASSIGN_OR_RETURN(room.health, enum_from_text(kProxyHealthText, r.view(0), "proxies.health"));
    room.max_accounts = r.i64(1);
    return room;
}

/// Locks the proxy row, then counts its accounts (see the top of this file
/// for why these must be two statements). nullopt if the proxy is gone.
Result<std::optional<ProxyRoom>> lock_proxy_room(Connection& c, std::int64_t proxy_id) {
    const std::string lock_sql =
        "SELECT health, max_accounts FROM proxies WHERE id = $1" + std::string(row_lock_suffix(c.dialect()));
    GK_ASSIGN_OR_RETURN(auto room, query_optional<ProxyRoom>(c, lock_sql, params_of({proxy_id}), decode_proxy_room));
    if (!room) return std::optional<ProxyRoom>();
    GK_ASSIGN_OR_RETURN(auto assigned, query_int(c, "SELECT COUNT(*) FROM accounts WHERE proxy_id = $1", {proxy_id}));
    room->assigned = assigned.value_or(0);
    return room;
}

Status set_account_proxy(Connection& c, std::int64_t account_id, std::optional<std::int64_t> proxy_id, Timestamp now) {
    return write_one(c, "UPDATE accounts SET proxy_id = $2, updated_at = $3 WHERE id = $1",
                     params_of({account_id, proxy_id, now}), "account", account_id);
}

class SqlProxyRepository final : public ProxyRepository {
public:
    explicit SqlProxyRepository(Database& db) : db_(db) {}

    Status insert(const ProxyRecord& record) override {
        const Proxy& p = record.proxy;
        Status s = with_connection(db_, [&](Connection& c) -> Status {
            GK_TRY(exec(c,
                        "INSERT INTO proxies (id, scheme, host, port, username, password, health, failure_count, "
                        "max_accounts, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
                        {p.id, scheme_text(p.scheme), p.host, static_cast<int>(p.port), p.username,
                         record.password_envelope, health_text(p.health), p.failure_count, p.max_accounts,
                         p.created_at, p.updated_at}));
            return {};
        });
        if (!s && is_constraint_violation(s.error(), "unique")) {
            // Either the endpoint index or the primary key.
            if (s.error().message.find("proxies_endpoint_key") != std::string::npos) {
                return fail(ErrorCode::conflict, "proxy " + describe_endpoint(p) + " already exists", "url");
            }
            return fail(ErrorCode::conflict, "proxy " + std::to_string(p.id) + " already exists", "id");
        }
        return s;
    }

    Result<ProxyRecord> get(std::int64_t id) override {
        static const std::string sql = std::string(kSelectProxies) + "WHERE p.id = $1";
        return with_connection(db_, [&](Connection& c) -> Result<ProxyRecord> {
            GK_ASSIGN_OR_RETURN(auto found, query_optional<ProxyRecord>(c, sql, params_of({id}), decode_proxy));
            if (!found) return fail(not_found("proxy", id));
            return std::move(*found);
        });
    }

    Result<Page<ProxyRecord>> list(const ProxyFilter& filter) override {
        GK_TRY(check_page_limit(filter.limit));
        SqlParams params;
        std::string sql = std::string(kSelectProxies) + "WHERE p.id > " + params.add(cursor_or_start(filter.after));
        if (filter.health) sql += " AND p.health = " + params.add(health_text(*filter.health));
        sql += " ORDER BY p.id LIMIT " + params.add(static_cast<std::int64_t>(filter.limit + 1));
        return with_connection(db_, [&](Connection& c) -> Result<Page<ProxyRecord>> {
            GK_ASSIGN_OR_RETURN(auto rows, query_rows<ProxyRecord>(c, sql, params.span(), decode_proxy));
            return to_page(std::move(rows), filter.limit, [](const ProxyRecord& r) { return r.proxy.id; });
        });
    }

    Status remove(std::int64_t id) override {
        Status s = with_connection(db_, [&](Connection& c) {
            return write_one(c, "DELETE FROM proxies WHERE id = $1", params_of({id}), "proxy", id);
        });
        // accounts.proxy_id is ON DELETE RESTRICT: the database itself refuses
        // to orphan assigned accounts, so no check-then-delete race exists.
        // Both drivers report that as a foreign_key violation.
        if (!s && is_constraint_violation(s.error(), "foreign_key")) {
            return fail(ErrorCode::failed_precondition,
                        "proxy " + std::to_string(id) + " still has accounts assigned; unassign them first");
        }
        return s;
    }

    Status set_max_accounts(std::int64_t id, int max_accounts, Timestamp now) override {
        return update_proxy(id, "UPDATE proxies SET max_accounts = $2, updated_at = $3 WHERE id = $1",
                            params_of({id, max_accounts, now}));
    }

    Status set_health(std::int64_t id, ProxyHealth health, Timestamp now) override {
        // A proxy declared healthy starts counting failures afresh.
        return update_proxy(id,
                            "UPDATE proxies SET health = $2, "
                            "failure_count = CASE WHEN $3 = 1 THEN 0 ELSE failure_count END, "
                            "updated_at = $4 WHERE id = $1",
                            params_of({id, health_text(health), health == ProxyHealth::healthy, now}));
    }

    Status record_failure(std::int64_t id, int threshold, Timestamp now) override {
        // One statement, so concurrent reports each count (no lost updates);
        // the right-hand sides read the row as it was before this update.
        return update_proxy(id,
                            "UPDATE proxies SET failure_count = failure_count + 1, health = CASE WHEN "
                            "failure_count + 1 >= $2 THEN $3 ELSE health END, updated_at = $4 WHERE id = $1",
                            params_of({id, threshold, health_text(ProxyHealth::unhealthy), now}));
    }

    Result<std::int64_t> assign_least_loaded(std::int64_t account_id, Timestamp now) override {
        return with_connection(db_, [&](Connection& c) -> Result<std::int64_t> {
            for (int attempt = 0; attempt < kMaxAssignAttempts; ++attempt) {
                // nullopt: the chosen proxy filled up before we locked it; the
                // retry runs in a fresh transaction, so we never hold one
                // proxy's lock while waiting for another's (no deadlocks).
                GK_ASSIGN_OR_RETURN(std::optional<std::int64_t> chosen,
                                    in_transaction(c, [&] { return try_assign_least_loaded(c, account_id, now); }));
                if (chosen) return *chosen;
            }
            return fail(ErrorCode::unavailable, "proxy assignment for account " + std::to_string(account_id) +
                                                    " kept losing races with concurrent assignments; try again");
        });
    }

    Status assign_to(std::int64_t account_id, std::int64_t proxy_id, Timestamp now) override {
        return with_transaction(db_, [&](Connection& c) -> Status {
            GK_TRY(begin_assignment_isolation(c));
            GK_ASSIGN_OR_RETURN(LockedAccount account, lock_account(c, account_id));
            if (account.proxy_id == proxy_id) return {};  // already there: it does not count twice
            GK_ASSIGN_OR_RETURN(std::optional<ProxyRoom> room, lock_proxy_room(c, proxy_id));
            if (!room) return fail(not_found("proxy", proxy_id));
            if (!room->has_room()) {
                return fail(ErrorCode::failed_precondition,
                            "proxy " + std::to_string(proxy_id) + " is full (" + std::to_string(room->assigned) +
                                " of " + std::to_string(room->max_accounts) + " accounts assigned)",
                            "proxy_id");
            }
            return set_account_proxy(c, account_id, proxy_id, now);
        });
    }

    Status unassign(std::int64_t account_id, Timestamp now) override {
        return with_connection(db_, [&](Connection& c) { return set_account_proxy(c, account_id, std::nullopt, now); });
    }

private:
    Status update_proxy(std::int64_t id, std::string_view sql, std::span<const Param> params) {
        return with_connection(db_, [&](Connection& c) { return write_one(c, sql, params, "proxy", id); });
    }

    /// One attempt, inside a transaction: the assigned proxy, or nullopt
    /// when the attempt lost a race and must be retried.
    static Result<std::optional<std::int64_t>> try_assign_least_loaded(Connection& c, std::int64_t account_id,
                                                                       Timestamp now) {
        GK_TRY(begin_assignment_isolation(c));
        GK_ASSIGN_OR_RETURN(LockedAccount account, lock_account(c, account_id));
        if (account.proxy_id) {
            GK_ASSIGN_OR_RETURN(auto health, query_optional<std::string>(c, "SELECT health FROM proxies WHERE id = $1",
                                                                         params_of({*account.proxy_id}),
                                                                         [](const Row& r) -> Result<std::string> {
                                                                             return r.text(0);
                                                                         }));
            if (health == health_text(ProxyHealth::healthy)) return account.proxy_id;  // sticky
        }
        GK_ASSIGN_OR_RETURN(auto candidate, query_int(c, kLeastLoadedSql, {health_text(ProxyHealth::healthy)}));
        if (!candidate) {
            return fail(ErrorCode::unavailable,
                        "no healthy proxy has room for account " + std::to_string(account_id));
        }
        // The choice above used a snapshot; confirm it under the lock.
        GK_ASSIGN_OR_RETURN(std::optional<ProxyRoom> room, lock_proxy_room(c, *candidate));
        if (!room || room->health != ProxyHealth::healthy || !room->has_room()) return std::optional<std::int64_t>();
        GK_TRY(set_account_proxy(c, account_id, *candidate, now));
        return candidate;
    }

    Database& db_;
};

}  // namespace

std::unique_ptr<ProxyRepository> make_sql_proxy_repository(Database& db) {
    return std::make_unique<SqlProxyRepository>(db);
}

}  // namespace gramkit::storage
