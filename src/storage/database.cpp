// gramkit::storage — opening a database from a URL, and schema migrations.
#include <algorithm>
#include <cctype>
#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include "storage/postgres_driver.hpp"
#include "storage/sql.hpp"
#include "storage/sqlite_driver.hpp"

namespace gramkit::storage {
namespace {

// The key of the PostgreSQL advisory lock that serialises migrations across
// processes: the bytes of "gk_migra" read as a big-endian integer.
constexpr const char* kMigrationLockSql = "SELECT pg_advisory_xact_lock(7452154931939078753)";

int hex_value(char ch) {
    if (ch >= '0' && ch <= '9') return ch - '0';
    if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F') return ch - 'A' + 10;
    return -1;
}

std::string percent_decode(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '%' && i + 2 < s.size() && hex_value(s[i + 1]) >= 0 && hex_value(s[i + 2]) >= 0) {
            out.push_back(static_cast<char>(hex_value(s[i + 1]) * 16 + hex_value(s[i + 2])));
            i += 2;
        } else {
            out.push_back(s[i]);
        }
    }
    return out;
}

std::string lower(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(), [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
    return out;
}

// Where the secrets of a URL sit, as [begin, end) offsets into it.
struct SecretSpans {
    std::vector<std::pair<std::size_t, std::size_t>> spans;
};

// Finds the password in `scheme://user:password@host/...` and the values of
// query parameters whose name contains "password" (password, sslpassword).
// The userinfo ends at the first '@' before any '/', as libpq reads it.
SecretSpans find_secrets(std::string_view url) {
    SecretSpans found;
    const std::size_t scheme_end = url.find("://");
    if (scheme_end == std::string_view::npos) return found;
    const std::size_t start = scheme_end + 3;
    const std::size_t stop = url.find_first_of("@/", start);
    std::size_t after_userinfo = start;
    if (stop != std::string_view::npos && url[stop] == '@') {
        const std::size_t colon = url.find(':', start);
        if (colon != std::string_view::npos && colon < stop && colon + 1 < stop) {
            found.spans.emplace_back(colon + 1, stop);
        }
        after_userinfo = stop + 1;
    }
    const std::size_t query = url.find('?', after_userinfo);
    if (query == std::string_view::npos) return found;
    std::size_t pos = query + 1;
    while (pos <= url.size()) {
        std::size_t amp = url.find('&', pos);
        if (amp == std::string_view::npos) amp = url.size();
        const std::string_view pair = url.substr(pos, amp - pos);
        const std::size_t eq = pair.find('=');
        if (eq != std::string_view::npos && eq + 1 < pair.size() &&
            lower(percent_decode(pair.substr(0, eq))).find("password") != std::string::npos) {
            found.spans.emplace_back(pos + eq + 1, amp);
        }
        pos = amp + 1;
    }
    return found;
}

std::vector<std::string> secrets_of(std::string_view url) {
    std::vector<std::string> out;
    for (auto [b, e] : find_secrets(url).spans) {
        const std::string_view raw = url.substr(b, e - b);
        out.emplace_back(raw);
        std::string decoded = percent_decode(raw);
        if (decoded != raw) out.push_back(std::move(decoded));
    }
    return out;
}

std::int64_t unix_micros_now() {
    return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

struct ParsedUrl {
    Dialect dialect = Dialect::sqlite;
    std::string target;  // SQLite path (":memory:" too) or the libpq URL
};

Result<ParsedUrl> parse_url(std::string_view url, const std::string& redacted) {
    const std::size_t colon = url.find(':');
    const std::string_view scheme = colon == std::string_view::npos ? std::string_view() : url.substr(0, colon);
    const bool scheme_ok = !scheme.empty() && std::all_of(scheme.begin(), scheme.end(), [](char ch) {
        return std::isalnum(static_cast<unsigned char>(ch)) != 0 || ch == '+' || ch == '-' || ch == '.';
    });
    if (!scheme_ok) {
        return fail(ErrorCode::invalid_argument,
                    "database URL '" + redacted + "' has no scheme (expected sqlite:// or postgresql://)", "url");
    }
    const std::string scheme_lc = lower(scheme);
    const std::string_view rest = url.substr(colon + 1);
    if (scheme_lc == "sqlite") {
        if (rest == ":memory:" || rest == "//:memory:") return ParsedUrl{Dialect::sqlite, ":memory:"};
        if (rest.starts_with("//") && rest.size() > 2) {
            // sqlite:///abs/path keeps its leading '/'; sqlite://rel/path is
            // relative to the working directory. The path is used verbatim.
            return ParsedUrl{Dialect::sqlite, std::string(rest.substr(2))};
        }
        return fail(ErrorCode::invalid_argument,
                    "malformed SQLite URL '" + redacted +
                        "' (expected sqlite:///absolute/path, sqlite://relative/path or sqlite::memory:)",
                    "url");
    }
    if (scheme_lc == "postgresql" || scheme_lc == "postgres") {
        return ParsedUrl{Dialect::postgresql, std::string(url)};
    }
    return fail(ErrorCode::invalid_argument,
                "unsupported database URL scheme '" + std::string(scheme) + "' (expected sqlite or postgresql)", "url");
}

}  // namespace

std::string redact_database_url(std::string_view url) {
    std::string out;
    std::size_t pos = 0;
    for (auto [b, e] : find_secrets(url).spans) {
        out.append(url.substr(pos, b - pos));
        out.append("***");
        pos = e;
    }
    out.append(url.substr(pos));
    return out;
}

struct Database::Impl {
    Dialect dialect = Dialect::sqlite;
    std::string redacted_url;
    std::unique_ptr<ConnectionPool> pool;
};

Database::Database(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Database::~Database() = default;

Dialect Database::dialect() const noexcept { return impl_->dialect; }
const std::string& Database::redacted_url() const noexcept { return impl_->redacted_url; }
Result<ConnectionPool::Lease> Database::connection() { return impl_->pool->acquire(); }
ConnectionPool& Database::pool() noexcept { return *impl_->pool; }

Result<std::unique_ptr<Database>> Database::open(std::string_view url, const OpenOptions& options) {
    auto impl = std::make_unique<Impl>();
    impl->redacted_url = redact_database_url(url);
    if (options.pool_size == 0) return fail(ErrorCode::invalid_argument, "pool_size must be at least 1", "pool_size");
    GK_ASSIGN_OR_RETURN(ParsedUrl parsed, parse_url(url, impl->redacted_url));
    impl->dialect = parsed.dialect;

    std::size_t pool_size = options.pool_size;
    ConnectionPool::Factory factory;
    if (parsed.dialect == Dialect::sqlite) {
        // Every ":memory:" connection is a separate, empty database, so the
        // pool must never hold more than one.
        if (parsed.target == ":memory:") pool_size = 1;
        factory = [path = parsed.target, sqlite = SqliteOptions{options.busy_timeout}] {
            return open_sqlite(path, sqlite);
        };
    } else {
        PostgresOptions pg;
        pg.connect_timeout = options.connect_timeout;
        pg.display_name = impl->redacted_url;
        pg.secrets = secrets_of(url);
        factory = [conninfo = parsed.target, pg = std::move(pg)] { return open_postgres(conninfo, pg); };
    }
    impl->pool = std::make_unique<ConnectionPool>(std::move(factory), pool_size, options.acquire_timeout);

    // Connect once now, so a wrong URL or unreachable server fails here
    // rather than at first use. The connection stays in the pool.
    if (auto lease = impl->pool->acquire(); !lease) {
        Error e = std::move(lease).error();
        // Drivers name the server (redacted URL) or file already; add the
        // URL only where they did not.
        const std::string_view named =
            parsed.dialect == Dialect::sqlite ? std::string_view(parsed.target) : std::string_view(impl->redacted_url);
        if (e.message.find(named) == std::string::npos) {
            e.message = "cannot open database " + impl->redacted_url + ": " + e.message;
        }
        return fail(std::move(e));
    }
    return std::unique_ptr<Database>(new Database(std::move(impl)));
}

Status Database::migrate(std::span<const Migration> migrations) {
    for (std::size_t i = 0; i < migrations.size(); ++i) {
        if (migrations[i].version <= 0 || (i > 0 && migrations[i].version <= migrations[i - 1].version)) {
            return fail(ErrorCode::invalid_argument,
                        "migration versions must be positive and strictly increasing (at '" +
                            std::string(migrations[i].name) + "')");
        }
    }
    const int newest = migrations.empty() ? 0 : migrations.back().version;
    GK_ASSIGN_OR_RETURN(auto lease, connection());
    Connection& c = *lease;
    const bool postgres = c.dialect() == Dialect::postgresql;

    // One transaction per migration. Each one first takes the migration lock
    // (PostgreSQL advisory lock; SQLite's write lock via BEGIN IMMEDIATE) and
    // re-reads the version, so concurrent openers apply each step once.
    for (;;) {
        bool up_to_date = false;
        const Migration* current_step = nullptr;
        Status s = in_transaction(
            c,
            [&]() -> Status {
                if (postgres) GK_TRY(query(c, kMigrationLockSql, {}, [](const Row&) -> Status { return {}; }));
                GK_TRY(c.execute_script(
                    "CREATE TABLE IF NOT EXISTS schema_migrations ("
                    "version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)"));
                std::int64_t applied = 0;
                GK_TRY(query(c, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations", {},
                             [&](const Row& r) -> Status {
                                 applied = r.i64(0);
                                 return {};
                             }));
                if (applied > newest) {
                    return fail(ErrorCode::failed_precondition,
                                "database schema version " + std::to_string(applied) +
                                    " is newer than this gramkit supports (" + std::to_string(newest) +
                                    "); upgrade gramkit");
                }
                auto next = std::find_if(migrations.begin(), migrations.end(),
                                         [&](const Migration& m) { return m.version > applied; });
                if (next == migrations.end()) {
                    up_to_date = true;
                    return {};
                }
                current_step = &*next;
                GK_TRY(c.execute_script(postgres ? next->postgres_sql : next->sqlite_sql));
                GK_TRY(exec(c, "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)",
                            {next->version, next->name, unix_micros_now()}));
                return {};
            },
            TransactionMode::immediate);
        if (!s) {
            Error e = std::move(s).error();
            if (current_step != nullptr) {
                e.message = "migration " + std::to_string(current_step->version) + " (" +
                            std::string(current_step->name) + ") failed: " + e.message;
            }
            return fail(std::move(e));
        }
        if (up_to_date) return {};
    }
}

Result<int> Database::schema_version() {
    GK_ASSIGN_OR_RETURN(auto lease, connection());
    Connection& c = *lease;
    const char* exists_sql =
        c.dialect() == Dialect::postgresql
            ? "SELECT CASE WHEN to_regclass('schema_migrations') IS NULL THEN 0 ELSE 1 END"
            : "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'";
    bool exists = false;
    GK_TRY(query(c, exists_sql, {}, [&](const Row& r) -> Status {
        exists = r.i64(0) != 0;
        return {};
    }));
    if (!exists) return 0;
    int version = 0;
    GK_TRY(query(c, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations", {}, [&](const Row& r) -> Status {
        version = static_cast<int>(r.i64(0));
        return {};
    }));
    return version;
}

}  // namespace gramkit::storage
