// gramkit::storage — ActionRepository over the SQL driver (both dialects):
// the action log analytics is built on.
#include <string>
#include <utility>

#include "storage/sql_repositories.hpp"

namespace gramkit::storage {
namespace {

using namespace sql_repo;

constexpr std::string_view kInsertSql =
    "INSERT INTO actions (id, account_id, proxy_id, action, target, outcome, http_status, latency_us, created_at) "
    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)";

constexpr std::string_view kSelect =
    "SELECT id, account_id, proxy_id, action, target, outcome, http_status, latency_us, created_at FROM actions ";

Result<ActionRecord> decode_action(const Row& r) {
    ActionRecord a;
    a.id = r.i64(0);
    a.account_id = r.opt_i64(1);
    a.proxy_id = r.opt_i64(2);
    a.action = r.text(3);
    a.target = r.text(4);
    a.outcome = r.text(5);
    a.http_status = static_cast<int>(r.i64(6));
    a.latency_us = r.i64(7);
    a.created_at = r.time(8);
    return a;
}

class SqlActionRepository final : public ActionRepository {
public:
    explicit SqlActionRepository(Database& db) : db_(db) {}

    Status insert(const ActionRecord& a) override {
        return with_connection(db_, [&](Connection& c) -> Status {
            GK_TRY(exec(c, kInsertSql,
                        {a.id, a.account_id, a.proxy_id, a.action, a.target, a.outcome, a.http_status, a.latency_us,
                         a.created_at}));
            return {};
        });
    }

    Result<Page<ActionRecord>> list(const ActionFilter& filter) override {
        GK_TRY(check_page_limit(filter.limit));
        SqlParams params;
        std::string sql = std::string(kSelect) + "WHERE id > " + params.add(cursor_or_start(filter.after));
        if (filter.account_id) sql += " AND account_id = " + params.add(*filter.account_id);
        if (filter.action) sql += " AND action = " + params.add(std::string_view(*filter.action));
        if (filter.since) sql += " AND created_at >= " + params.add(*filter.since);
        sql += " ORDER BY id LIMIT " + params.add(static_cast<std::int64_t>(filter.limit + 1));
        return with_connection(db_, [&](Connection& c) -> Result<Page<ActionRecord>> {
            GK_ASSIGN_OR_RETURN(auto rows, query_rows<ActionRecord>(c, sql, params.span(), decode_action));
            return to_page(std::move(rows), filter.limit, [](const ActionRecord& r) { return r.id; });
        });
    }

private:
    Database& db_;
};

}  // namespace

std::unique_ptr<ActionRepository> make_sql_action_repository(Database& db) {
    return std::make_unique<SqlActionRepository>(db);
}

}  // namespace gramkit::storage
