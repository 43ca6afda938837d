// gramkit::storage — LeaseRepository over the SQL driver (both dialects):
// named leases with an expiry, the leader lock on SQLite (src/jobs/leader_lock).
//
// Taking or renewing a lease is one upsert, atomic on both dialects (SQLite
// ≥ 3.24 and PostgreSQL share the syntax):
//   INSERT ... ON CONFLICT (name) DO UPDATE ... WHERE <still ours or expired>
// A row that does not exist is inserted; an existing row is overwritten only
// when the caller already owns it or it has expired. When the WHERE clause
// of DO UPDATE is false, nothing changes and the statement reports 0 rows,
// so the row count alone says whether `owner` holds the lease afterwards.
// Concurrent callers cannot both win: PostgreSQL makes the loser of a
// simultaneous insert wait and then evaluate DO UPDATE against the winner's
// committed row; SQLite serialises writers.
#include <string>
#include <utility>

#include "storage/sql_repositories.hpp"

namespace gramkit::storage {
namespace {

using namespace sql_repo;

Status check_name_and_owner(std::string_view name, std::string_view owner) {
    if (name.empty()) return ::gramkit::fail(ErrorCode::invalid_argument, "lease name must not be empty", "name");
    if (owner.empty()) return ::gramkit::fail(ErrorCode::invalid_argument, "lease owner must not be empty", "owner");
    return {};
}

class SqlLeaseRepository final : public LeaseRepository {
public:
    explicit SqlLeaseRepository(Database& db) : db_(db) {}

    Result<bool> acquire(std::string_view name, std::string_view owner, Timestamp now,
                         Timestamp expires_at) override {
        GK_TRY(check_name_and_owner(name, owner));
        if (expires_at <= now) {
            return ::gramkit::fail(ErrorCode::invalid_argument, "lease expiry must be after now", "expires_at");
        }
        return with_connection(db_, [&](Connection& c) -> Result<bool> {
            GK_ASSIGN_OR_RETURN(
                std::int64_t changed,
                exec(c,
                     "INSERT INTO leader_leases (name, owner, expires_at) VALUES ($1, $2, $3) "
                     "ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at "
                     "WHERE leader_leases.owner = excluded.owner OR leader_leases.expires_at < $4",
                     {name, owner, expires_at, now}));
            return changed > 0;
        });
    }

    Status release(std::string_view name, std::string_view owner) override {
        GK_TRY(check_name_and_owner(name, owner));
        return with_connection(db_, [&](Connection& c) -> Status {
            GK_TRY(exec(c, "DELETE FROM leader_leases WHERE name = $1 AND owner = $2", {name, owner}));
            return {};
        });
    }

    Result<std::optional<std::pair<std::string, Timestamp>>> holder(std::string_view name) override {
        using Holder = std::pair<std::string, Timestamp>;
        return with_connection(db_, [&](Connection& c) {
            return query_optional<Holder>(c, "SELECT owner, expires_at FROM leader_leases WHERE name = $1",
                                          params_of({name}),
                                          [](const Row& r) -> Result<Holder> { return Holder{r.text(0), r.time(1)}; });
        });
    }

private:
    Database& db_;
};

}  // namespace

std::unique_ptr<LeaseRepository> make_sql_lease_repository(Database& db) {
    return std::make_unique<SqlLeaseRepository>(db);
}

}  // namespace gramkit::storage
