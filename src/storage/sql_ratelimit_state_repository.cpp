// gramkit::storage — RateLimitStateRepository over the SQL driver (both
// dialects): the in-process limiter's state across restarts.
#include <utility>
#include <vector>

#include "storage/sql_repositories.hpp"

namespace gramkit::storage {
namespace {

using namespace sql_repo;

// CASE instead of max()/GREATEST(): the one spelling both dialects accept.
constexpr std::string_view kUpsertSql =
    "INSERT INTO ratelimit_state (key, tat, penalty_until, saved_at) VALUES ($1, $2, $3, $4) "
    "ON CONFLICT (key) DO UPDATE SET "
    "tat = CASE WHEN excluded.tat > ratelimit_state.tat THEN excluded.tat ELSE ratelimit_state.tat END, "
    "penalty_until = CASE WHEN excluded.penalty_until > ratelimit_state.penalty_until "
    "THEN excluded.penalty_until ELSE ratelimit_state.penalty_until END, "
    "saved_at = excluded.saved_at";

constexpr std::string_view kPruneSql = "DELETE FROM ratelimit_state WHERE tat <= $1 AND penalty_until <= $1";

constexpr std::string_view kLoadSql =
    "SELECT key, tat, penalty_until FROM ratelimit_state WHERE tat > $1 OR penalty_until > $1 ORDER BY key";

class SqlRateLimitStateRepository final : public RateLimitStateRepository {
public:
    explicit SqlRateLimitStateRepository(Database& db) : db_(db) {}

    Status save(std::span<const RateLimitStateRecord> records, std::int64_t now) override {
        return with_transaction(db_, [&](Connection& c) -> Status {
            for (const auto& r : records) GK_TRY(exec(c, kUpsertSql, {r.key, r.tat, r.penalty_until, now}));
            GK_TRY(exec(c, kPruneSql, {now}));
            return {};
        });
    }

    Result<std::vector<RateLimitStateRecord>> load(std::int64_t now) override {
        return with_connection(db_, [&](Connection& c) {
            return query_rows<RateLimitStateRecord>(c, kLoadSql, params_of({now}),
                                                    [](const Row& r) -> Result<RateLimitStateRecord> {
                                                        return RateLimitStateRecord{r.text(0), r.i64(1), r.i64(2)};
                                                    });
        });
    }

private:
    Database& db_;
};

}  // namespace

std::unique_ptr<RateLimitStateRepository> make_sql_ratelimit_state_repository(Database& db) {
    return std::make_unique<SqlRateLimitStateRepository>(db);
}

}  // namespace gramkit::storage
