// gramkit::storage — SecretRepository over the SQL driver (both dialects):
// re-encrypting the secret columns under the newest key (DESIGN.md §5).
#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "storage/sql_repositories.hpp"

namespace gramkit::storage {
namespace {

using namespace sql_repo;

// Rows per transaction: large enough to amortise commits, small enough that
// SQLite's write lock is released often while a big table is rewrapped.
constexpr std::int64_t kRewrapBatchSize = 200;

struct StoredSecret {
    std::int64_t row_id = 0;
    std::string envelope;
};

/// Table and column names are spliced into SQL, so only the columns of
/// secret_columns() are accepted.
bool is_secret_column(const SecretColumn& column) {
    const auto known = secret_columns();
    return std::any_of(known.begin(), known.end(), [&](const SecretColumn& k) {
        return k.table == column.table && k.column == column.column && k.id_column == column.id_column;
    });
}

class SqlSecretRepository final : public SecretRepository {
public:
    explicit SqlSecretRepository(Database& db) : db_(db) {}

    Result<std::size_t> rewrap(
        const SecretColumn& column,
        const std::function<Result<std::string>(std::int64_t, std::string_view)>& rewrap) override {
        if (!is_secret_column(column)) {
            return fail(ErrorCode::invalid_argument,
                        "'" + std::string(column.table) + "." + std::string(column.column) +
                            "' is not an encrypted column",
                        "column");
        }
        const std::string table(column.table), value(column.column), id(column.id_column);
        const std::string select_sql = "SELECT " + id + ", " + value + " FROM " + table + " WHERE " + id +
                                       " > $1 AND " + value + " IS NOT NULL ORDER BY " + id + " LIMIT $2";
        // Compare-and-set on the old envelope: a value rewritten by the
        // application meanwhile (already under the newest key) is left alone.
        const std::string update_sql =
            "UPDATE " + table + " SET " + value + " = $3 WHERE " + id + " = $1 AND " + value + " = $2";

        return with_connection(db_, [&](Connection& c) -> Result<std::size_t> {
            std::size_t rewritten = 0;
            std::int64_t cursor = kCursorStart;
            for (;;) {
                std::size_t batch_rows = 0;
                std::size_t batch_rewritten = 0;
                GK_TRY(in_transaction(c, [&]() -> Status {
                    // Read the whole batch first: a cached statement must not
                    // run again while its rows are still being read.
                    GK_ASSIGN_OR_RETURN(auto batch, query_rows<StoredSecret>(
                                                        c, select_sql, params_of({cursor, kRewrapBatchSize}),
                                                        [](const Row& r) -> Result<StoredSecret> {
                                                            return StoredSecret{r.i64(0), r.text(1)};
                                                        }));
                    for (const StoredSecret& secret : batch) {
                        GK_ASSIGN_OR_RETURN(std::string replacement, rewrap(secret.row_id, secret.envelope));
                        if (replacement == secret.envelope) continue;
                        GK_ASSIGN_OR_RETURN(std::int64_t changed,
                                            exec(c, update_sql, {secret.row_id, secret.envelope, replacement}));
                        batch_rewritten += static_cast<std::size_t>(changed);
                    }
                    batch_rows = batch.size();
                    if (!batch.empty()) cursor = batch.back().row_id;
                    return {};
                }));
                rewritten += batch_rewritten;  // counted only once committed
                if (batch_rows < static_cast<std::size_t>(kRewrapBatchSize)) return rewritten;
            }
        });
    }

private:
    Database& db_;
};

}  // namespace

std::unique_ptr<SecretRepository> make_sql_secret_repository(Database& db) {
    return std::make_unique<SqlSecretRepository>(db);
}

}  // namespace gramkit::storage
