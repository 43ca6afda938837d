// gramkit::storage — SQLite driver.
//
// One SqliteConnection wraps one sqlite3 handle, used by one thread at a time
// (hence SQLITE_OPEN_NOMUTEX). Prepared statements are cached per connection
// by their original SQL text and live until the connection closes.
#include "storage/sqlite_driver.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <cctype>
#include <limits>
#include <string>
#include <unordered_map>
#include <utility>

namespace gramkit::storage {
namespace {

// --- placeholder rewriting ----------------------------------------------------

bool is_identifier_byte(char ch) {
    const auto u = static_cast<unsigned char>(ch);
    // Bytes >= 0x80 belong to UTF-8 identifier characters on both dialects.
    return std::isalnum(u) != 0 || ch == '_' || ch == '$' || u >= 0x80;
}

bool is_digit(char ch) { return ch >= '0' && ch <= '9'; }

// Strict UTF-8 check (no overlong forms, surrogates or code points past
// U+10FFFF). PostgreSQL rejects such text; checking here too makes SQLite
// fail the same way instead of storing bytes the other backend refuses.
bool valid_utf8(std::string_view s) {
    const auto* p = reinterpret_cast<const unsigned char*>(s.data());
    const auto* end = p + s.size();
    while (p < end) {
        const unsigned char b = *p;
        if (b < 0x80) {
            ++p;
            continue;
        }
        int len = 0;
        unsigned char lo = 0x80, hi = 0xBF;  // allowed range of the second byte
        if (b >= 0xC2 && b <= 0xDF) {
            len = 2;
        } else if (b >= 0xE0 && b <= 0xEF) {
            len = 3;
            if (b == 0xE0) lo = 0xA0;  // overlong
            if (b == 0xED) hi = 0x9F;  // surrogates
        } else if (b >= 0xF0 && b <= 0xF4) {
            len = 4;
            if (b == 0xF0) lo = 0x90;  // overlong
            if (b == 0xF4) hi = 0x8F;  // > U+10FFFF
        } else {
            return false;
        }
        if (end - p < len || p[1] < lo || p[1] > hi) return false;
        for (int k = 2; k < len; ++k) {
            if (p[k] < 0x80 || p[k] > 0xBF) return false;
        }
        p += len;
    }
    return true;
}

}  // namespace

std::string rewrite_placeholders_for_sqlite(std::string_view sql) {
    std::string out;
    out.reserve(sql.size());
    const std::size_t n = sql.size();
    std::size_t i = 0;
    // Copies sql[i..] up to and including the first `close` (or to the end).
    auto copy_until = [&](std::string_view close) {
        const std::size_t end = sql.find(close, i);
        const std::size_t stop = end == std::string_view::npos ? n : end + close.size();
        out.append(sql.substr(i, stop - i));
        i = stop;
    };
    while (i < n) {
        const char ch = sql[i];
        if (ch == '\'' || ch == '"' || ch == '`') {
            // A doubled quote inside a literal ('it''s') simply closes and
            // reopens it, which this scan handles without special casing.
            out.push_back(ch);
            ++i;
            copy_until(std::string_view(&sql[i - 1], 1));
        } else if (ch == '[') {
            copy_until("]");  // SQLite's bracket-quoted identifier
        } else if (ch == '-' && i + 1 < n && sql[i + 1] == '-') {
            copy_until("\n");
        } else if (ch == '/' && i + 1 < n && sql[i + 1] == '*') {
            out.append("/*");
            i += 2;
            copy_until("*/");
        } else if (ch == '$' && i + 1 < n && is_digit(sql[i + 1]) && (i == 0 || !is_identifier_byte(sql[i - 1]))) {
            out.push_back('?');
            ++i;
            while (i < n && is_digit(sql[i])) out.push_back(sql[i++]);
        } else {
            out.push_back(ch);
            ++i;
        }
    }
    return out;
}

namespace {

// --- errors -------------------------------------------------------------------

// Builds an Error from a result code. The message is SQLite's own text for
// the connection (names tables, columns and constraints, never bound values).
Error sqlite_error(sqlite3* db, int rc) {
    const int primary = rc & 0xff;
    std::string msg = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    switch (primary) {
        case SQLITE_CONSTRAINT: {
            const char* kind = "constraint";
            const char* text = "constraint";
            switch (rc) {
                case SQLITE_CONSTRAINT_UNIQUE:
                case SQLITE_CONSTRAINT_PRIMARYKEY: kind = "unique"; text = "unique constraint"; break;
                case SQLITE_CONSTRAINT_FOREIGNKEY: kind = "foreign_key"; text = "foreign key constraint"; break;
                case SQLITE_CONSTRAINT_NOTNULL: kind = "not_null"; text = "not-null constraint"; break;
                case SQLITE_CONSTRAINT_CHECK: kind = "check"; text = "check constraint"; break;
                case SQLITE_CONSTRAINT_TRIGGER:
                    // ON DELETE RESTRICT is enforced by SQLite's internal
                    // FK trigger and reported with this extended code.
                    if (msg.find("FOREIGN KEY") != std::string::npos) {
                        kind = "foreign_key";
                        text = "foreign key constraint";
                    }
                    break;
                default: break;
            }
            return Error{ErrorCode::conflict, std::string(text) + " violation: " + msg, kind};
        }
        case SQLITE_BUSY:
        case SQLITE_LOCKED:
            return Error{ErrorCode::unavailable, "sqlite: database is locked (" + msg + ")"};
        case SQLITE_TOOBIG:
        case SQLITE_MISMATCH:
        case SQLITE_RANGE:
            return Error{ErrorCode::invalid_argument, "sqlite: " + msg};
        case SQLITE_CANTOPEN:
        case SQLITE_FULL:
        case SQLITE_IOERR:
        case SQLITE_PERM:
        case SQLITE_READONLY:
            return Error{ErrorCode::unavailable, "sqlite: " + msg};
        case SQLITE_CORRUPT:
        case SQLITE_NOTADB:
            return Error{ErrorCode::data_loss, "sqlite: " + msg};
        case SQLITE_INTERRUPT:
            return Error{ErrorCode::cancelled, "sqlite: " + msg};
        default:
            return Error{ErrorCode::internal, "sqlite: " + msg};
    }
}

// --- statement ----------------------------------------------------------------

class SqliteStatement final : public Statement {
public:
    SqliteStatement(sqlite3* db, sqlite3_stmt* stmt) noexcept
        : db_(db), stmt_(stmt), param_count_(sqlite3_bind_parameter_count(stmt)),
          phase_(param_count_ > 0 ? Phase::unbound : Phase::ready) {}
    ~SqliteStatement() override { sqlite3_finalize(stmt_); }
    SqliteStatement(const SqliteStatement&) = delete;
    SqliteStatement& operator=(const SqliteStatement&) = delete;

    Status bind(std::span<const Param> params) override {
        // No sqlite3_clear_bindings: the count check below guarantees every
        // parameter is bound again, and clearing costs a pass over them.
        sqlite3_reset(stmt_);
        phase_ = Phase::unbound;
        rows_affected_ = 0;
        if (params.size() != static_cast<std::size_t>(param_count_)) {
            return fail(ErrorCode::invalid_argument, "statement expects " + std::to_string(param_count_) +
                                                         " parameter(s), got " + std::to_string(params.size()));
        }
        for (std::size_t k = 0; k < params.size(); ++k) {
            const int index = static_cast<int>(k) + 1;
            const Param::Value& v = params[k].value();
            int rc = SQLITE_OK;
            if (std::holds_alternative<std::monostate>(v)) {
                rc = sqlite3_bind_null(stmt_, index);
            } else if (const auto* i = std::get_if<std::int64_t>(&v)) {
                rc = sqlite3_bind_int64(stmt_, index, *i);
            } else if (const auto* d = std::get_if<double>(&v)) {
                rc = sqlite3_bind_double(stmt_, index, *d);
            } else {
                const auto& s = std::get<std::string_view>(v);
                // Same rules as PostgreSQL text, so code tested on SQLite
                // does not fail there later.
                if (s.find('\0') != std::string_view::npos) {
                    return fail(ErrorCode::invalid_argument, "text parameter $" + std::to_string(index) + " contains a NUL byte");
                }
                if (!valid_utf8(s)) {
                    return fail(ErrorCode::invalid_argument, "text parameter $" + std::to_string(index) + " is not valid UTF-8");
                }
                // SQLITE_TRANSIENT: SQLite copies the text now. The caller's
                // string only has to outlive bind(), not the later step().
                rc = sqlite3_bind_text64(stmt_, index, s.data(), s.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
            }
            if (rc != SQLITE_OK) return fail(sqlite_error(db_, rc));
        }
        phase_ = Phase::ready;
        return {};
    }

    Result<bool> step() override {
        switch (phase_) {
            case Phase::done: return false;  // like PostgreSQL: re-running needs a new bind()
            case Phase::unbound:
                return fail(ErrorCode::invalid_argument,
                            "statement has " + std::to_string(param_count_) + " parameter(s) but bind() was not called");
            case Phase::ready: changes_before_ = sqlite3_total_changes64(db_); break;
            case Phase::rows: break;
        }
        const int rc = sqlite3_step(stmt_);
        if (rc == SQLITE_ROW) {
            phase_ = Phase::rows;
            return true;
        }
        phase_ = Phase::done;
        if (rc == SQLITE_DONE) {
            // sqlite3_changes64() keeps the count of the last DML statement,
            // so a DDL or SELECT would report a stale number; only trust it
            // when this statement actually changed something.
            rows_affected_ = sqlite3_total_changes64(db_) != changes_before_ ? sqlite3_changes64(db_) : 0;
            sqlite3_reset(stmt_);  // ends the implicit read transaction now
            return false;
        }
        Error e = sqlite_error(db_, rc);
        sqlite3_reset(stmt_);
        return fail(std::move(e));
    }

    int column_count() const override { return sqlite3_column_count(stmt_); }
    bool is_null(int col) const override { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }
    std::int64_t get_int64(int col) const override { return sqlite3_column_int64(stmt_, col); }
    double get_double(int col) const override { return sqlite3_column_double(stmt_, col); }
    std::string_view get_text(int col) const override {
        // text before bytes: the documented order that avoids a second conversion.
        const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, col));
        if (p == nullptr) return {};
        return {p, static_cast<std::size_t>(sqlite3_column_bytes(stmt_, col))};
    }
    std::int64_t rows_affected() const override { return rows_affected_; }

    void reset() noexcept override {
        sqlite3_reset(stmt_);
        if (phase_ != Phase::unbound) phase_ = Phase::done;
    }

private:
    enum class Phase { unbound, ready, rows, done };
    sqlite3* db_;
    sqlite3_stmt* stmt_;
    int param_count_;
    Phase phase_;
    std::int64_t rows_affected_ = 0;
    std::int64_t changes_before_ = 0;
};

// --- connection ---------------------------------------------------------------

// Hash that accepts std::string_view, so cache lookups do not allocate.
struct TextHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
};

bool only_separators(const char* p) {
    for (; *p != '\0'; ++p) {
        if (std::isspace(static_cast<unsigned char>(*p)) == 0 && *p != ';') return false;
    }
    return true;
}

class SqliteConnection final : public Connection {
public:
    explicit SqliteConnection(sqlite3* db) noexcept : db_(db) {}
    ~SqliteConnection() override {
        last_ = nullptr;
        cache_.clear();  // statements must be finalized before the handle closes
        sqlite3_close_v2(db_);  // rolls back an open transaction
    }
    SqliteConnection(const SqliteConnection&) = delete;
    SqliteConnection& operator=(const SqliteConnection&) = delete;

    Dialect dialect() const noexcept override { return Dialect::sqlite; }

    Status execute_script(std::string_view sql) override {
        const std::string text(sql);  // sqlite3_exec needs NUL termination
        const int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, nullptr);
        if (rc != SQLITE_OK) return fail(sqlite_error(db_, rc));
        return {};
    }

    Result<Statement*> prepare(std::string_view sql) override {
        // Most-recently-used first: a repository repeats the same statement
        // in loops, and comparing the text is cheaper than hashing it.
        if (last_ != nullptr && last_->first == sql) return last_->second.get();
        if (auto it = cache_.find(sql); it != cache_.end()) {
            last_ = &*it;
            return it->second.get();
        }
        const std::string rewritten = rewrite_placeholders_for_sqlite(sql);
        sqlite3_stmt* raw = nullptr;
        const char* tail = nullptr;
        // +1: passing the length including the terminator lets SQLite skip a copy.
        const int rc = sqlite3_prepare_v3(db_, rewritten.c_str(), static_cast<int>(rewritten.size() + 1),
                                          SQLITE_PREPARE_PERSISTENT, &raw, &tail);
        if (rc != SQLITE_OK) return fail(sqlite_error(db_, rc));
        if (raw == nullptr) return fail(ErrorCode::invalid_argument, "empty SQL statement");
        if (tail != nullptr && !only_separators(tail)) {
            sqlite3_finalize(raw);
            return fail(ErrorCode::invalid_argument,
                        "prepare() takes a single SQL statement; use execute_script() for several");
        }
        auto stmt = std::make_unique<SqliteStatement>(db_, raw);
        Statement* result = stmt.get();
        last_ = &*cache_.emplace(std::string(sql), std::move(stmt)).first;
        return result;
    }

    Status begin(TransactionMode mode) override {
        if (in_transaction()) return fail(ErrorCode::failed_precondition, "a transaction is already open on this connection");
        // IMMEDIATE takes the write lock now (waiting up to busy_timeout)
        // instead of failing with SQLITE_BUSY at the first write.
        return run_simple(mode == TransactionMode::immediate ? "BEGIN IMMEDIATE" : "BEGIN");
    }

    Status commit() override {
        if (!in_transaction()) return fail(ErrorCode::failed_precondition, "commit() without an open transaction");
        Status s = run_simple("COMMIT");
        // A failed COMMIT (e.g. busy) leaves the transaction open; roll it
        // back so the connection is clean and the caller sees one outcome.
        if (!s && in_transaction()) (void)run_simple("ROLLBACK");
        return s;
    }

    Status rollback() override {
        // Some errors (SQLITE_FULL, IOERR, ...) already rolled back; then
        // there is nothing left to do.
        if (!in_transaction()) return {};
        return run_simple("ROLLBACK");
    }

    bool in_transaction() const noexcept override { return sqlite3_get_autocommit(db_) == 0; }

    Status ping() override { return {}; }  // an in-process database cannot drop

private:
    Status run_simple(std::string_view sql) {
        GK_ASSIGN_OR_RETURN(Statement * stmt, prepare(sql));
        GK_TRY(stmt->bind({}));
        GK_TRY(stmt->step());
        return {};
    }

    sqlite3* db_;
    std::unordered_map<std::string, std::unique_ptr<SqliteStatement>, TextHash, std::equal_to<>> cache_;
    // Points into cache_ (node-based: stable across rehashing); reset with it.
    std::pair<const std::string, std::unique_ptr<SqliteStatement>>* last_ = nullptr;
};

}  // namespace

Result<std::unique_ptr<Connection>> open_sqlite(const std::string& path, const SqliteOptions& options) {
    sqlite3* db = nullptr;
    const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
    int rc = sqlite3_open_v2(path.c_str(), &db, flags, nullptr);
    if (rc != SQLITE_OK) {
        std::string why = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
        sqlite3_close_v2(db);  // a handle is returned even on failure
        return fail(ErrorCode::unavailable, "cannot open SQLite database '" + path + "': " + why);
    }
    auto conn = std::make_unique<SqliteConnection>(db);  // owns db from here on
    sqlite3_extended_result_codes(db, 1);  // distinguishes UNIQUE from FOREIGN KEY violations

    const auto busy_ms = std::clamp<std::int64_t>(
        std::chrono::duration_cast<std::chrono::milliseconds>(options.busy_timeout).count(), 0,
        std::numeric_limits<int>::max());
    sqlite3_busy_timeout(db, static_cast<int>(busy_ms));

    // The first statement reads the file header: a non-database file fails here.
    std::string pragmas = "PRAGMA foreign_keys=ON;";
    if (path != ":memory:" && !path.empty()) pragmas += "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;";
    if (Status s = conn->execute_script(pragmas); !s) {
        Error e = std::move(s).error();
        e.message = "cannot open SQLite database '" + path + "': " + e.message;
        return fail(std::move(e));
    }
    return std::unique_ptr<Connection>(std::move(conn));
}

}  // namespace gramkit::storage
