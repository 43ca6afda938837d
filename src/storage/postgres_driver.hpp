// gramkit::storage — PostgreSQL (libpq) implementation of the SQL driver
// interface. Internal header (src/ only); libpq stays out of it.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "storage/sql.hpp"

namespace gramkit::storage {

struct PostgresOptions {
    /// libpq connect_timeout (whole seconds, at least 1; libpq treats < 2 as 2).
    /// A `connect_timeout` in the URL itself takes precedence.
    Duration connect_timeout = std::chrono::seconds(5);
    /// How to name the server in messages: the redacted URL.
    std::string display_name;
    /// Strings (the raw and decoded password) scrubbed from every message.
    std::vector<std::string> secrets;
};

/// Connects with `conninfo` (a postgresql:// URL or key=value string), adding
/// TCP keepalives (idle 30 s, interval 10 s, count 3), connect_timeout and
/// client_encoding=UTF8. Errors: unavailable (with the display name and
/// libpq's reason, never the password), invalid_argument (malformed URL).
Result<std::unique_ptr<Connection>> open_postgres(const std::string& conninfo, const PostgresOptions& options);

/// Maps a SQLSTATE and primary message to a gramkit Error (see sql.hpp).
/// Exposed for tests.
Error postgres_error(std::string_view sqlstate, std::string_view primary_message);

}  // namespace gramkit::storage
