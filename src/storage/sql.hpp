// gramkit::storage — the small internal SQL driver interface (DESIGN.md §4).
//
// Two drivers implement it: SQLite (sqlite_driver.cpp) and PostgreSQL via
// libpq (postgres_driver.cpp). Repositories are written once against this
// interface; SQL text uses PostgreSQL-style `$1..$n` placeholders on both
// dialects (the SQLite driver rewrites them to `?NNN` once, at prepare time).
//
// Ownership and threading: a Connection is used by one thread at a time (the
// pool hands it out exclusively). Statements are owned by their
// connection's statement cache and stay valid until the connection is
// closed or reconnected; callers never delete them.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>

#include "gramkit/clock.hpp"
#include "gramkit/error.hpp"

namespace gramkit::storage {

enum class Dialect { sqlite, postgresql };
std::string_view to_string(Dialect d) noexcept;

/// One bound parameter. Strings are viewed, not copied: the viewed text must
/// outlive the `bind` call only (drivers copy or bind transiently as needed).
class Param {
public:
    using Value = std::variant<std::monostate, std::int64_t, double, std::string_view>;

    Param() noexcept = default;  // NULL
    Param(std::nullopt_t) noexcept {}
    Param(std::int64_t v) noexcept : v_(v) {}
    Param(int v) noexcept : v_(static_cast<std::int64_t>(v)) {}
    Param(std::uint32_t v) noexcept : v_(static_cast<std::int64_t>(v)) {}
    Param(bool v) noexcept : v_(static_cast<std::int64_t>(v ? 1 : 0)) {}  // stored as 0/1 integers
    Param(double v) noexcept : v_(v) {}
    Param(std::string_view v) noexcept : v_(v) {}
    Param(const char* v) noexcept : v_(std::string_view(v)) {}
    Param(const std::string& v) noexcept : v_(std::string_view(v)) {}
    Param(Timestamp t) noexcept : v_(to_micros(t)) {}
    template <class T>
    Param(const std::optional<T>& o) noexcept : Param() {
        if (o) *this = Param(*o);
    }

    const Value& value() const noexcept { return v_; }
    bool is_null() const noexcept { return std::holds_alternative<std::monostate>(v_); }

private:
    Value v_;
};

/// A prepared statement. `bind` resets it and binds all parameters; `step`
/// advances to the next result row. Column indexes are 0-based.
class Statement {
public:
    virtual ~Statement() = default;
    virtual Status bind(std::span<const Param> params) = 0;
    /// Runs/advances. true = a row is available, false = done.
    virtual Result<bool> step() = 0;
    virtual int column_count() const = 0;
    virtual bool is_null(int col) const = 0;
    virtual std::int64_t get_int64(int col) const = 0;
    virtual double get_double(int col) const = 0;
    /// Valid until the next step/bind on this statement.
    virtual std::string_view get_text(int col) const = 0;
    /// Rows changed by the last completed INSERT/UPDATE/DELETE.
    virtual std::int64_t rows_affected() const = 0;
    /// Ends the current execution early and releases what it holds (SQLite:
    /// the read snapshot; PostgreSQL: the buffered result). `query` calls it
    /// when the row callback stops early; `bind` implies it.
    virtual void reset() noexcept {}
};

// Errors from drivers (both dialects map the same way):
//   constraint violations -> conflict, with Error::details naming the kind:
//     "unique", "foreign_key", "not_null", "check", "exclusion" or "constraint"
//   lock contention / serialization failure / lost connection -> unavailable
//   statement timeout -> timeout; malformed values -> invalid_argument
//   anything else (SQL errors are bugs) -> internal
// Messages name tables/columns/constraints but never bound parameter values.
//
// A cached statement is shared by every user of the same SQL text on one
// connection: do not run a statement's SQL again (nested) while iterating
// its rows.

enum class TransactionMode {
    deferred,   // reads first (SQLite BEGIN DEFERRED, PostgreSQL BEGIN)
    immediate,  // will write: takes SQLite's write lock up front (PostgreSQL BEGIN)
};

class Connection {
public:
    virtual ~Connection() = default;
    virtual Dialect dialect() const noexcept = 0;
    /// Runs one or more statements without parameters or results (DDL).
    virtual Status execute_script(std::string_view sql) = 0;
    /// A cached prepared statement for `sql` (placeholders `$1..$n`).
    virtual Result<Statement*> prepare(std::string_view sql) = 0;
    virtual Status begin(TransactionMode mode = TransactionMode::immediate) = 0;
    virtual Status commit() = 0;
    virtual Status rollback() = 0;
    virtual bool in_transaction() const noexcept = 0;
    /// Cheap liveness check; reconnects a dropped PostgreSQL connection.
    virtual Status ping() = 0;
};

// --- helpers shared by every repository -------------------------------------

/// Read-only view of the current row of a statement.
class Row {
public:
    explicit Row(const Statement& s) noexcept : s_(s) {}
    bool is_null(int c) const { return s_.is_null(c); }
    std::int64_t i64(int c) const { return s_.get_int64(c); }
    double f64(int c) const { return s_.get_double(c); }
    bool boolean(int c) const { return s_.get_int64(c) != 0; }
    std::string_view view(int c) const { return s_.get_text(c); }
    std::string text(int c) const { return std::string(s_.get_text(c)); }
    Timestamp time(int c) const { return from_micros(s_.get_int64(c)); }
    std::optional<std::int64_t> opt_i64(int c) const {
        return is_null(c) ? std::nullopt : std::optional<std::int64_t>(i64(c));
    }
    std::optional<std::string> opt_text(int c) const {
        return is_null(c) ? std::nullopt : std::optional<std::string>(text(c));
    }
    std::optional<Timestamp> opt_time(int c) const {
        return is_null(c) ? std::nullopt : std::optional<Timestamp>(time(c));
    }

private:
    const Statement& s_;
};

/// Runs a statement that returns no rows; returns rows affected.
Result<std::int64_t> exec(Connection& c, std::string_view sql, std::initializer_list<Param> params = {});
Result<std::int64_t> exec(Connection& c, std::string_view sql, std::span<const Param> params);

/// Runs a query and calls `on_row(const Row&)` for each row. `on_row` may
/// return void, or Status to stop early with an error.
Status query(Connection& c, std::string_view sql, std::span<const Param> params,
             const std::function<Status(const Row&)>& on_row);
inline Status query(Connection& c, std::string_view sql, std::initializer_list<Param> params,
                    const std::function<Status(const Row&)>& on_row) {
    return query(c, sql, std::span<const Param>(params.begin(), params.size()), on_row);
}

/// Runs `fn()` inside a transaction: commits if it returns a value, rolls
/// back if it returns an error (or throws). Nested use joins the outer
/// transaction.
template <class F>
auto in_transaction(Connection& c, F&& fn, TransactionMode mode = TransactionMode::immediate)
    -> decltype(fn()) {
    if (c.in_transaction()) return fn();
    if (auto s = c.begin(mode); !s) return fail(std::move(s).error());
    try {
        auto r = fn();
        if (!r) {
            (void)c.rollback();
            return r;
        }
        if (auto s = c.commit(); !s) return fail(std::move(s).error());
        return r;
    } catch (...) {
        (void)c.rollback();
        throw;
    }
}

// --- pool -------------------------------------------------------------------

/// A bounded pool of connections. Thread-safe. A Lease gives one thread
/// exclusive use of a connection and returns it on destruction; a
/// connection returned inside an open transaction is rolled back first.
class ConnectionPool {
public:
    using Factory = std::function<Result<std::unique_ptr<Connection>>()>;

    ConnectionPool(Factory factory, std::size_t max_size, Duration acquire_timeout);
    ~ConnectionPool();
    ConnectionPool(const ConnectionPool&) = delete;
    ConnectionPool& operator=(const ConnectionPool&) = delete;

    class Lease {
    public:
        Lease() = default;
        Lease(Lease&& o) noexcept;
        Lease& operator=(Lease&& o) noexcept;
        ~Lease();
        Connection& operator*() const noexcept { return *conn_; }
        Connection* operator->() const noexcept { return conn_.get(); }

    private:
        friend class ConnectionPool;
        Lease(ConnectionPool* pool, std::unique_ptr<Connection> c) noexcept : pool_(pool), conn_(std::move(c)) {}
        ConnectionPool* pool_ = nullptr;
        std::unique_ptr<Connection> conn_;
    };

    /// Waits up to the acquire timeout; `unavailable` if none is free. If a
    /// new connection cannot be opened, the driver's error (normally
    /// `unavailable`; `invalid_argument` for a malformed URL).
    Result<Lease> acquire();
    std::size_t max_size() const noexcept;

private:
    void release(std::unique_ptr<Connection> c) noexcept;
    struct State;
    std::unique_ptr<State> st_;
};

// --- opening a database from a URL ------------------------------------------

struct OpenOptions {
    std::size_t pool_size = 4;                       // SQLite :memory: always uses 1
    Duration busy_timeout = std::chrono::seconds(5);  // SQLite busy_timeout; PostgreSQL lock_timeout is not set
    Duration connect_timeout = std::chrono::seconds(5);
    Duration acquire_timeout = std::chrono::seconds(10);
};

/// A migration: one numbered schema step, with SQL per dialect.
struct Migration {
    int version;
    std::string_view name;
    std::string_view sqlite_sql;
    std::string_view postgres_sql;
};

/// `url` with any password (userinfo or `password=` query parameter)
/// replaced by "***"; safe to log. Non-URL text is returned unchanged.
std::string redact_database_url(std::string_view url);

/// A database: dialect + pool. Open with a URL:
///   sqlite:///abs/path.db   sqlite://relative/path.db   sqlite::memory:
///   postgresql://user:pass@host:port/db?sslmode=disable   (postgres:// too)
class Database {
public:
    static Result<std::unique_ptr<Database>> open(std::string_view url, const OpenOptions& options = {});
    ~Database();

    Dialect dialect() const noexcept;
    /// The URL with any password replaced by "***" (safe to log).
    const std::string& redacted_url() const noexcept;
    Result<ConnectionPool::Lease> connection();
    ConnectionPool& pool() noexcept;

    /// Applies pending migrations in order, each in its own transaction,
    /// recording them in `schema_migrations (version, name, applied_at)`.
    /// Fails with `failed_precondition` if the database already has a
    /// version newer than the newest in `migrations` (an older library
    /// opening a newer schema). Safe against concurrent openers.
    Status migrate(std::span<const Migration> migrations);
    /// Highest applied migration version (0 when none).
    Result<int> schema_version();

private:
    struct Impl;
    explicit Database(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

}  // namespace gramkit::storage
