// gramkit::storage — SQLite implementation of the SQL driver interface.
//
// Internal header (src/ only). A connection is opened with SQLITE_OPEN_NOMUTEX:
// the pool guarantees one thread at a time per connection.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "storage/sql.hpp"

namespace gramkit::storage {

struct SqliteOptions {
    Duration busy_timeout = std::chrono::seconds(5);
};

/// Opens (creating if needed) the SQLite database at `path`, or a private
/// in-memory database for ":memory:". File databases use WAL journaling and
/// synchronous=NORMAL; every connection enforces foreign keys.
/// Errors: unavailable (cannot open/lock), data_loss (not a database file).
Result<std::unique_ptr<Connection>> open_sqlite(const std::string& path, const SqliteOptions& options);

/// Rewrites PostgreSQL-style `$N` placeholders to SQLite's `?N`, leaving
/// string literals, quoted identifiers, comments and `$` inside identifiers
/// untouched. Exposed for tests.
std::string rewrite_placeholders_for_sqlite(std::string_view sql);

}  // namespace gramkit::storage
