// gramkit::storage — AccountRepository over the SQL driver (both dialects).
#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "storage/sql_repositories.hpp"

namespace gramkit::storage {
namespace {

using namespace sql_repo;

// The account columns, in the order decode_account() reads them, followed by
// one label (NULL for an account without labels).
constexpr std::string_view kAccountColumns =
    "id, username, email, password, totp_seed, status, status_reason, cooldown_until, proxy_id, created_at, "
    "updated_at";

/// SELECT of accounts with their labels in one statement: the accounts
/// matching `where_and_limit` (a clause over table `accounts`, e.g.
/// "WHERE id = $1" or a keyset page), each repeated once per label.
std::string accounts_with_labels_sql(std::string_view where_and_limit) {
    std::string sql = "SELECT a.*, l.label FROM (SELECT ";
    sql += kAccountColumns;
    sql += " FROM accounts ";
    sql += where_and_limit;
    sql += ") a LEFT JOIN account_labels l ON l.account_id = a.id ORDER BY a.id";
    return sql;
}

Result<AccountRecord> decode_account(const Row& r) {
    AccountRecord rec;
    Account& a = rec.account;
    a.id = r.i64(0);
    a.username = r.text(1);
    a.email = r.opt_text(2);
    rec.password_envelope = r.text(3);
    rec.totp_envelope = r.opt_text(4);
    a.has_totp_seed = rec.totp_envelope.has_value();
    GK_ASSIGN_OR_RETURN(a.status, enum_from_text(kAccountStatusText, r.view(5), "accounts.status"));
    a.status_reason = r.text(6);
    a.cooldown_until = r.opt_time(7);
    a.proxy_id = r.opt_i64(8);
    a.created_at = r.time(9);
    a.updated_at = r.time(10);
    return rec;
}

constexpr int kLabelColumn = 11;

Result<StatusChange> decode_status_change(const Row& r) {
    StatusChange ch;
    ch.account_id = r.i64(0);
    GK_ASSIGN_OR_RETURN(ch.from, enum_from_text(kAccountStatusText, r.view(1), "account_status_history.from_status"));
    GK_ASSIGN_OR_RETURN(ch.to, enum_from_text(kAccountStatusText, r.view(2), "account_status_history.to_status"));
    ch.reason = r.text(3);
    ch.until = r.opt_time(4);
    ch.at = r.time(5);
    return ch;
}

/// Runs a query built by accounts_with_labels_sql() and folds the label
/// rows into records.
Result<std::vector<AccountRecord>> select_accounts(Connection& c, std::string_view sql,
                                                   std::span<const Param> params) {
    std::vector<AccountRecord> out;
    GK_TRY(query(c, sql, params, [&](const Row& r) -> Status {
        if (out.empty() || out.back().account.id != r.i64(0)) {
            GK_ASSIGN_OR_RETURN(AccountRecord rec, decode_account(r));
            out.push_back(std::move(rec));
        }
        if (!r.is_null(kLabelColumn)) out.back().account.labels.push_back(r.text(kLabelColumn));
        return {};
    }));
    // Sorted here, not in SQL: PostgreSQL would order by the database's
    // collation, SQLite by bytes; the API promises one order.
    for (AccountRecord& rec : out) std::sort(rec.account.labels.begin(), rec.account.labels.end());
    return out;
}

Result<AccountRecord> select_one_account(Connection& c, std::string_view sql, std::span<const Param> params,
                                         const std::function<Error()>& missing) {
    GK_ASSIGN_OR_RETURN(auto found, select_accounts(c, sql, params));
    if (found.empty()) return fail(missing());
    return std::move(found.front());
}

Status insert_labels(Connection& c, std::int64_t account_id, const std::vector<std::string>& labels) {
    std::vector<std::string> unique_labels = labels;
    std::sort(unique_labels.begin(), unique_labels.end());
    unique_labels.erase(std::unique(unique_labels.begin(), unique_labels.end()), unique_labels.end());
    for (const std::string& label : unique_labels) {
        GK_TRY(exec(c, "INSERT INTO account_labels (account_id, label) VALUES ($1, $2)", {account_id, label}));
    }
    return {};
}

Status append_history(Connection& c, const StatusChange& change) {
    GK_TRY(exec(c,
                "INSERT INTO account_status_history (account_id, from_status, to_status, reason, cooldown_until, "
                "changed_at) VALUES ($1, $2, $3, $4, $5, $6)",
                {change.account_id, status_text(change.from), status_text(change.to), change.reason, change.until,
                 change.at}));
    return {};
}

/// Driver errors of writes to `accounts`, in words the caller can act on.
/// The driver's own text names an index, which differs per dialect.
Error explain_write_error(Error e, const Account& a) {
    if (is_constraint_violation(e, "unique")) {
        // Both dialects name the violated column or its index
        // ("accounts.username" / "accounts_username_key").
        if (e.message.find("username") != std::string::npos) {
            return Error{ErrorCode::conflict, "username '" + a.username + "' is already taken", "username"};
        }
        return Error{ErrorCode::conflict, "account " + std::to_string(a.id) + " already exists", "id"};
    }
    if (is_constraint_violation(e, "foreign_key") && a.proxy_id) return not_found("proxy", *a.proxy_id);
    return e;
}

class SqlAccountRepository final : public AccountRepository {
public:
    explicit SqlAccountRepository(Database& db) : db_(db) {}

    Status insert(const AccountRecord& record) override { return insert_many(std::span(&record, 1)); }

    Status insert_many(std::span<const AccountRecord> records) override {
        const AccountRecord* current = nullptr;  // the row a failure belongs to
        Status s = with_transaction(db_, [&](Connection& c) -> Status {
            for (const AccountRecord& record : records) {
                current = &record;
                const Account& a = record.account;
                GK_TRY(exec(c,
                            "INSERT INTO accounts (id, username, email, password, totp_seed, status, status_reason, "
                            "cooldown_until, proxy_id, created_at, updated_at) "
                            "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
                            {a.id, a.username, a.email, record.password_envelope, record.totp_envelope,
                             status_text(a.status), a.status_reason, a.cooldown_until, a.proxy_id, a.created_at,
                             a.updated_at}));
                GK_TRY(insert_labels(c, a.id, a.labels));
                GK_TRY(append_history(
                    c, StatusChange{a.id, a.status, a.status, "created", a.cooldown_until, a.created_at}));
            }
            return Status{};
        });
        if (!s) return fail(explain_write_error(std::move(s).error(), current ? current->account : Account{}));
        return {};
    }

    Result<AccountRecord> get(std::int64_t id) override {
        // Built once: the statement cache is keyed by the SQL text.
        static const std::string sql = accounts_with_labels_sql("WHERE id = $1");
        return with_connection(db_, [&](Connection& c) {
            return select_one_account(c, sql, params_of({id}), [&] { return not_found("account", id); });
        });
    }

    Result<AccountRecord> get_by_username(std::string_view username) override {
        static const std::string sql = accounts_with_labels_sql("WHERE username = $1");
        return with_connection(db_, [&](Connection& c) {
            return select_one_account(c, sql, params_of({username}), [&] {
                return Error{ErrorCode::not_found, "account '" + std::string(username) + "' not found"};
            });
        });
    }

    Result<Page<AccountRecord>> list(const AccountFilter& filter) override {
        GK_TRY(check_page_limit(filter.limit));
        SqlParams params;
        std::string clause = "WHERE id > " + params.add(cursor_or_start(filter.after));
        if (filter.status) clause += " AND status = " + params.add(status_text(*filter.status));
        if (filter.label) {
            clause += " AND EXISTS (SELECT 1 FROM account_labels f WHERE f.account_id = accounts.id AND f.label = " +
                      params.add(*filter.label) + ")";
        }
        clause += " ORDER BY id LIMIT " + params.add(static_cast<std::int64_t>(filter.limit + 1));
        return with_connection(db_, [&](Connection& c) -> Result<Page<AccountRecord>> {
            GK_ASSIGN_OR_RETURN(auto rows, select_accounts(c, accounts_with_labels_sql(clause), params.span()));
            return to_page(std::move(rows), filter.limit, [](const AccountRecord& r) { return r.account.id; });
        });
    }

    Status update(const AccountRecord& record) override {
        const Account& a = record.account;
        Status s = with_transaction(db_, [&](Connection& c) -> Status {
            GK_TRY(write_one(c,
                             "UPDATE accounts SET username = $2, email = $3, password = $4, totp_seed = $5, "
                             "updated_at = $6 WHERE id = $1",
                             params_of({a.id, a.username, a.email, record.password_envelope, record.totp_envelope,
                                        a.updated_at}),
                             "account", a.id));
            GK_TRY(exec(c, "DELETE FROM account_labels WHERE account_id = $1", {a.id}));
            return insert_labels(c, a.id, a.labels);
        });
        if (!s) return fail(explain_write_error(std::move(s).error(), a));
        return {};
    }

    Status remove(std::int64_t id) override {
        // Labels, session and history go with it (ON DELETE CASCADE).
        return with_connection(db_, [&](Connection& c) {
            return write_one(c, "DELETE FROM accounts WHERE id = $1", params_of({id}), "account", id);
        });
    }

    Status change_status(const StatusChange& change) override {
        return with_transaction(db_, [&](Connection& c) -> Status {
            // The status test in WHERE is the compare-and-set: a change that
            // raced ahead of us makes this update match nothing.
            GK_ASSIGN_OR_RETURN(std::int64_t changed,
                                exec(c,
                                     "UPDATE accounts SET status = $3, status_reason = $4, cooldown_until = $5, "
                                     "updated_at = $6 WHERE id = $1 AND status = $2",
                                     {change.account_id, status_text(change.from), status_text(change.to),
                                      change.reason, change.until, change.at}));
            if (changed == 0) {
                GK_ASSIGN_OR_RETURN(auto current,
                                    query_optional<std::string>(c, "SELECT status FROM accounts WHERE id = $1",
                                                                params_of({change.account_id}),
                                                                [](const Row& r) -> Result<std::string> {
                                                                    return r.text(0);
                                                                }));
                if (!current) return fail(not_found("account", change.account_id));
                return fail(ErrorCode::conflict, "account " + std::to_string(change.account_id) + " is " + *current +
                                                     ", not " + std::string(status_text(change.from)) +
                                                     " (its status changed meanwhile)",
                            "status");
            }
            return append_history(c, change);
        });
    }

    Result<std::vector<StatusChange>> history(std::int64_t account_id, std::size_t limit) override {
        GK_TRY(check_page_limit(limit));
        return with_connection(db_, [&](Connection& c) -> Result<std::vector<StatusChange>> {
            GK_ASSIGN_OR_RETURN(auto changes,
                                query_rows<StatusChange>(
                                    c,
                                    "SELECT account_id, from_status, to_status, reason, cooldown_until, changed_at "
                                    "FROM account_status_history WHERE account_id = $1 ORDER BY id DESC LIMIT $2",
                                    params_of({account_id, static_cast<std::int64_t>(limit)}), decode_status_change));
            // Every account has its "created" entry, so no rows means no account.
            if (changes.empty()) {
                GK_ASSIGN_OR_RETURN(auto exists, query_int(c, "SELECT 1 FROM accounts WHERE id = $1", {account_id}));
                if (!exists) return fail(not_found("account", account_id));
            }
            return changes;
        });
    }

private:
    Database& db_;
};

}  // namespace

std::unique_ptr<AccountRepository> make_sql_account_repository(Database& db) {
    return std::make_unique<SqlAccountRepository>(db);
}

}  // namespace gramkit::storage
