// gramkit::storage — PostgreSQL driver over libpq.
//
// Statements are server-side prepared statements (one name per SQL text and
// connection), executed with text-format parameters and results. Values are
// never interpolated into SQL.
//
// Lost connections: before each command a dead connection is re-established
// (PQreset) unless a transaction is open, in which case the transaction is
// reported lost. A command that fails because the connection died is retried
// once on a fresh connection only when it certainly did not run: it was never
// sent, it is idempotent, or the server said it terminated the session
// before running it (SQLSTATE 57P01/57P02/57P03). Otherwise the caller gets
// `unavailable`, because re-running an INSERT whose reply was lost could
// apply it twice.
#include "storage/postgres_driver.hpp"

#include <libpq-fe.h>

#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <string>
#include <unordered_map>
#include <utility>

namespace gramkit::storage {
namespace {

struct ResultDeleter {
    void operator()(PGresult* r) const noexcept { PQclear(r); }
};
using PgResult = std::unique_ptr<PGresult, ResultDeleter>;

// Replaces every occurrence of each secret with "***".
std::string scrub(std::string text, const std::vector<std::string>& secrets) {
    for (const std::string& secret : secrets) {
        if (secret.empty()) continue;
        for (std::size_t pos = text.find(secret); pos != std::string::npos; pos = text.find(secret, pos + 3)) {
            text.replace(pos, secret.size(), "***");
        }
    }
    return text;
}

// libpq messages end in newlines and sometimes span lines; make them one line.
std::string one_line(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    bool pending_space = false;
    for (char ch : text) {
        if (ch == '\n' || ch == '\r' || ch == '\t') {
            pending_space = !out.empty();
            continue;
        }
        if (pending_space && ch != ' ') out.push_back(' ');
        pending_space = false;
        out.push_back(ch);
    }
    while (!out.empty() && out.back() == ' ') out.pop_back();
    return out;
}

// Data-exception messages quote the offending input ('invalid input syntax
// for type integer: "abc"'); that input is a bound value and must not leak.
std::string hide_quoted(std::string_view text) {
    std::string out;
    bool inside = false;
    for (char ch : text) {
        if (ch == '"') {
            out.append(inside ? "\"" : "\"...");
            inside = !inside;
        } else if (!inside) {
            out.push_back(ch);
        }
    }
    return out;
}

bool starts_with(std::string_view s, std::string_view prefix) { return s.substr(0, prefix.size()) == prefix; }

// Server-reported "your session was terminated before your command ran".
bool session_terminated_before_running(std::string_view sqlstate) {
    return sqlstate == "57P01" || sqlstate == "57P02" || sqlstate == "57P03";
}

std::string_view field(const PGresult* r, int code) {
    const char* v = r != nullptr ? PQresultErrorField(r, code) : nullptr;
    return v != nullptr ? std::string_view(v) : std::string_view();
}

bool result_ok(const PGresult* r) {
    if (r == nullptr) return false;
    const ExecStatusType st = PQresultStatus(r);
    return st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK || st == PGRES_EMPTY_QUERY;
}

// Server notices ("table does not exist, skipping") would go to stderr by
// default; a library must not write there.
void ignore_notice(void*, const PGresult*) {}

}  // namespace

Error postgres_error(std::string_view sqlstate, std::string_view primary) {
    const std::string msg(primary);
    auto constraint = [&](const char* kind, const char* text) {
        return Error{ErrorCode::conflict, std::string(text) + " violation: " + msg, kind};
    };
    if (sqlstate == "23505") return constraint("unique", "unique constraint");
    if (sqlstate == "23503") return constraint("foreign_key", "foreign key constraint");
    if (sqlstate == "23502") return constraint("not_null", "not-null constraint");
    if (sqlstate == "23514") return constraint("check", "check constraint");
    if (sqlstate == "23P01") return constraint("exclusion", "exclusion constraint");
    if (starts_with(sqlstate, "23")) return constraint("constraint", "integrity constraint");
    if (sqlstate == "40001" || sqlstate == "40P01") {
        return Error{ErrorCode::unavailable, "postgresql: " + msg + " (retry the transaction)"};
    }
    if (sqlstate == "57014") return Error{ErrorCode::timeout, "postgresql: " + msg};
    if (starts_with(sqlstate, "08") || starts_with(sqlstate, "53") || starts_with(sqlstate, "57P") ||
        sqlstate == "55P03") {
        return Error{ErrorCode::unavailable, "postgresql: " + msg};
    }
    if (starts_with(sqlstate, "22")) return Error{ErrorCode::invalid_argument, "postgresql: " + hide_quoted(msg)};
    if (sqlstate == "25P02") {
        return Error{ErrorCode::failed_precondition,
                     "postgresql: " + msg + " (an earlier statement in this transaction failed; roll back)"};
    }
    if (sqlstate == "42501") return Error{ErrorCode::permission_denied, "postgresql: " + msg};
    return Error{ErrorCode::internal, "postgresql: " + msg};
}

namespace {

class PgConnection;

class PgStatement final : public Statement {
public:
    PgStatement(PgConnection& conn, std::string sql, std::string name)
        : conn_(conn), sql_(std::move(sql)), name_(std::move(name)) {}

    Status bind(std::span<const Param> params) override;
    Result<bool> step() override;

    int column_count() const override { return result_ ? PQnfields(result_.get()) : 0; }
    bool is_null(int col) const override { return !has_cell(col) || PQgetisnull(result_.get(), row_, col) != 0; }
    std::int64_t get_int64(int col) const override;
    double get_double(int col) const override;
    std::string_view get_text(int col) const override {
        if (!has_cell(col)) return {};
        return {PQgetvalue(result_.get(), row_, col),
                static_cast<std::size_t>(PQgetlength(result_.get(), row_, col))};
    }
    std::int64_t rows_affected() const override { return rows_affected_; }
    void reset() noexcept override {
        result_.reset();
        if (phase_ != Phase::unbound) phase_ = Phase::done;
    }

    // Used by PgConnection.
    const std::string& sql() const noexcept { return sql_; }
    const std::string& name() const noexcept { return name_; }
    bool prepared_in(std::uint64_t generation) const noexcept { return prepared_generation_ == generation; }
    void mark_prepared(std::uint64_t generation, int nparams) noexcept {
        prepared_generation_ = generation;
        nparams_ = nparams;
    }
    int nparams() const noexcept { return nparams_; }
    const std::vector<const char*>& param_pointers() const noexcept { return pointers_; }

private:
    enum class Phase { unbound, ready, rows, done };
    bool has_cell(int col) const noexcept {
        return result_ && row_ >= 0 && row_ < rows_ && col >= 0 && col < PQnfields(result_.get());
    }

    PgConnection& conn_;
    std::string sql_;
    std::string name_;
    std::uint64_t prepared_generation_ = std::numeric_limits<std::uint64_t>::max();
    int nparams_ = 0;

    std::vector<std::string> values_;    // text form of the bound parameters
    std::vector<const char*> pointers_;  // into values_; nullptr = SQL NULL
    Phase phase_ = Phase::unbound;
    PgResult result_;
    int rows_ = 0;
    int row_ = -1;
    std::int64_t rows_affected_ = 0;
};

struct TextHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
};

class PgConnection final : public Connection {
public:
    PgConnection(PGconn* conn, PostgresOptions options) noexcept : conn_(conn), options_(std::move(options)) {}
    ~PgConnection() override {
        cache_.clear();
        PQfinish(conn_);  // the server rolls back an open transaction
    }
    PgConnection(const PgConnection&) = delete;
    PgConnection& operator=(const PgConnection&) = delete;

    Dialect dialect() const noexcept override { return Dialect::postgresql; }

    Status execute_script(std::string_view sql) override {
        const std::string text(sql);
        GK_TRY(run([&] { return simple_query(text.c_str()); }, /*idempotent=*/false));
        return {};
    }

    Result<Statement*> prepare(std::string_view sql) override {
        if (auto it = cache_.find(sql); it != cache_.end()) return it->second.get();
        auto stmt = std::make_unique<PgStatement>(*this, std::string(sql), "gk" + std::to_string(++statement_counter_));
        GK_TRY(run([&] { return prepare_raw(*stmt); }, /*idempotent=*/true));
        Statement* result = stmt.get();
        cache_.emplace(std::string(sql), std::move(stmt));
        return result;
    }

    Status begin(TransactionMode) override {
        // PostgreSQL takes row locks as it writes, so both modes are BEGIN
        // (READ COMMITTED, the server default).
        if (txn_open_) return fail(ErrorCode::failed_precondition, "a transaction is already open on this connection");
        GK_TRY(run([&] { return simple_query("BEGIN"); }, /*idempotent=*/true));
        txn_open_ = true;
        return {};
    }

    Status commit() override {
        if (!txn_open_) return fail(ErrorCode::failed_precondition, "commit() without an open transaction");
        Result<PgResult> r = run([&] { return simple_query("COMMIT"); }, /*idempotent=*/false);
        const bool lost = txn_lost_;
        end_transaction();
        if (!r) {
            if (lost) {
                return fail(ErrorCode::unavailable,
                            "connection to PostgreSQL lost during COMMIT; the transaction may or may not have "
                            "been committed");
            }
            return fail(std::move(r).error());
        }
        // COMMIT of a transaction that already failed "succeeds" by rolling
        // back; surface that instead of pretending the writes were kept.
        if (std::strcmp(PQcmdStatus(r->get()), "ROLLBACK") == 0) {
            return fail(ErrorCode::failed_precondition,
                        "transaction was rolled back because an earlier statement in it failed");
        }
        return {};
    }

    Status rollback() override {
        if (!txn_open_) return {};
        if (txn_lost_) {  // the server discarded it together with the session
            end_transaction();
            return {};
        }
        Result<PgResult> r = run([&] { return simple_query("ROLLBACK"); }, /*idempotent=*/true);
        const bool lost = txn_lost_;
        end_transaction();
        if (!r && !lost) return fail(std::move(r).error());
        return {};
    }

    bool in_transaction() const noexcept override { return txn_open_; }

    Status ping() override {
        GK_TRY(run([&] { return simple_query("SELECT 1"); }, /*idempotent=*/true));
        return {};
    }

    // --- used by PgStatement ---------------------------------------------------

    Result<PgResult> execute(PgStatement& stmt) {
        return run(
            [&]() -> Outcome {
                if (!stmt.prepared_in(generation_)) {  // first use, or after a reconnect
                    Outcome prepared = prepare_raw(stmt);
                    if (!result_ok(prepared.result.get())) return prepared;
                }
                const auto& ptrs = stmt.param_pointers();
                if (PQsendQueryPrepared(conn_, stmt.name().c_str(), static_cast<int>(ptrs.size()), ptrs.data(),
                                        nullptr, nullptr, /*resultFormat=text*/ 0) == 0) {
                    return {nullptr, false};
                }
                return {collect(), true};
            },
            /*idempotent=*/false);
    }

private:
    // The result of one try at a command. `sent` = the command may have
    // reached the server (so its effects are unknown if the reply was lost).
    struct Outcome {
        PgResult result;
        bool sent = false;
    };

    // Reads every result of the command in flight. Keeps the first error:
    // when the server terminates the session, that result carries SQLSTATE
    // 57P01 and libpq adds a second, field-less "connection lost" result.
    PgResult collect() {
        PgResult kept;
        while (PGresult* raw = PQgetResult(conn_)) {
            PgResult r(raw);
            if (kept && !result_ok(kept.get())) continue;
            kept = std::move(r);
        }
        return kept;
    }

    Outcome simple_query(const char* sql) {
        if (PQsendQuery(conn_, sql) == 0) return {nullptr, false};
        return {collect(), true};
    }

    // Prepares `stmt` on the current session and learns its parameter count.
    // Preparing has no side effects, so it never counts as "sent".
    Outcome prepare_raw(PgStatement& stmt) {
        if (PQsendPrepare(conn_, stmt.name().c_str(), stmt.sql().c_str(), 0, nullptr) == 0) return {nullptr, false};
        PgResult r = collect();
        if (!result_ok(r.get())) return {std::move(r), false};
        if (PQsendDescribePrepared(conn_, stmt.name().c_str()) == 0) return {nullptr, false};
        PgResult d = collect();
        if (result_ok(d.get())) stmt.mark_prepared(generation_, PQnparams(d.get()));
        return {std::move(d), false};
    }

    template <class Attempt>
    Result<PgResult> run(Attempt&& attempt, bool idempotent) {
        for (int tries = 0;; ++tries) {
            if (txn_lost_) return fail(lost_transaction_error());
            if (PQstatus(conn_) != CONNECTION_OK) {
                if (txn_open_) {
                    txn_lost_ = true;
                    return fail(lost_transaction_error());
                }
                GK_TRY(reconnect());
            }
            Outcome o = attempt();
            if (result_ok(o.result.get())) return std::move(o.result);
            if (PQstatus(conn_) == CONNECTION_OK) return fail(error_from(o.result.get()));

            // The connection died under this command.
            if (txn_open_) {
                txn_lost_ = true;
                return fail(lost_transaction_error());
            }
            const bool certainly_not_run =
                idempotent || !o.sent || session_terminated_before_running(field(o.result.get(), PG_DIAG_SQLSTATE));
            if (!certainly_not_run || tries > 0) {
                // Reconnect lazily on the next command.
                return fail(ErrorCode::unavailable,
                            "connection to PostgreSQL at " + options_.display_name +
                                " was lost while running a statement; it may or may not have been applied (" +
                                libpq_message() + ")");
            }
            GK_TRY(reconnect());
        }
    }

    Status reconnect() {
        PQreset(conn_);
        if (PQstatus(conn_) != CONNECTION_OK) {
            return fail(ErrorCode::unavailable, "cannot reconnect to PostgreSQL at " + options_.display_name + ": " +
                                                    libpq_message());
        }
        // The new session has no prepared statements; every cached
        // statement re-prepares itself on next use (pointers stay valid).
        ++generation_;
        return {};
    }

    void end_transaction() noexcept {
        txn_open_ = false;
        txn_lost_ = false;
    }

    Error lost_transaction_error() const {
        return Error{ErrorCode::unavailable,
                     "connection to PostgreSQL at " + options_.display_name +
                         " was lost inside a transaction; the transaction was rolled back (roll back and retry it)"};
    }

    std::string libpq_message() const { return scrub(one_line(PQerrorMessage(conn_)), options_.secrets); }

    Error error_from(const PGresult* r) const {
        if (r == nullptr || PQresultErrorField(r, PG_DIAG_SQLSTATE) == nullptr) {
            return Error{ErrorCode::internal, "postgresql: " + libpq_message()};
        }
        // Only the primary message: DETAIL repeats the offending values.
        Error e = postgres_error(field(r, PG_DIAG_SQLSTATE), field(r, PG_DIAG_MESSAGE_PRIMARY));
        e.message = scrub(std::move(e.message), options_.secrets);
        return e;
    }

    friend class PgStatement;

    PGconn* conn_;
    PostgresOptions options_;
    std::uint64_t generation_ = 0;  // bumped by every reconnect
    std::uint64_t statement_counter_ = 0;
    bool txn_open_ = false;
    bool txn_lost_ = false;  // the connection died inside the open transaction
    std::unordered_map<std::string, std::unique_ptr<PgStatement>, TextHash, std::equal_to<>> cache_;
};

// --- PgStatement ----------------------------------------------------------------

std::string double_to_text(double d) {
    if (std::isnan(d)) return "NaN";
    if (std::isinf(d)) return d > 0 ? "Infinity" : "-Infinity";
    char buf[32];
    const int n = std::snprintf(buf, sizeof buf, "%.17g", d);  // round-trips exactly
    return std::string(buf, static_cast<std::size_t>(n));
}

Status PgStatement::bind(std::span<const Param> params) {
    result_.reset();
    phase_ = Phase::unbound;
    rows_affected_ = 0;
    if (params.size() != static_cast<std::size_t>(nparams_)) {
        return fail(ErrorCode::invalid_argument, "statement expects " + std::to_string(nparams_) +
                                                     " parameter(s), got " + std::to_string(params.size()));
    }
    values_.assign(params.size(), std::string());
    pointers_.assign(params.size(), nullptr);
    for (std::size_t k = 0; k < params.size(); ++k) {
        const Param::Value& v = params[k].value();
        if (std::holds_alternative<std::monostate>(v)) continue;  // nullptr = NULL
        if (const auto* i = std::get_if<std::int64_t>(&v)) {
            char buf[24];
            const auto res = std::to_chars(buf, buf + sizeof buf, *i);
            values_[k].assign(buf, res.ptr);
        } else if (const auto* d = std::get_if<double>(&v)) {
            values_[k] = double_to_text(*d);
        } else {
            const auto& s = std::get<std::string_view>(v);
            // Text parameters travel as C strings; a NUL would silently cut
            // the value short.
            if (s.find('\0') != std::string_view::npos) {
                return fail(ErrorCode::invalid_argument,
                            "text parameter $" + std::to_string(k + 1) + " contains a NUL byte");
            }
            values_[k].assign(s);
        }
    }
    // Pointers are taken after all strings are in place (no reallocation).
    for (std::size_t k = 0; k < params.size(); ++k) {
        if (!params[k].is_null()) pointers_[k] = values_[k].c_str();
    }
    phase_ = Phase::ready;
    return {};
}

Result<bool> PgStatement::step() {
    switch (phase_) {
        case Phase::unbound:
            return fail(ErrorCode::invalid_argument,
                        "statement has " + std::to_string(nparams_) + " parameter(s) but bind() was not called");
        case Phase::done: return false;
        case Phase::ready: {
            phase_ = Phase::done;  // stays so if execution fails
            GK_ASSIGN_OR_RETURN(result_, conn_.execute(*this));
            rows_ = PQntuples(result_.get());
            row_ = -1;
            // Only DML counts, as on SQLite (PostgreSQL also counts SELECT rows).
            const std::string_view status = PQcmdStatus(result_.get());
            rows_affected_ = 0;
            if (starts_with(status, "INSERT") || starts_with(status, "UPDATE") || starts_with(status, "DELETE") ||
                starts_with(status, "MERGE")) {
                rows_affected_ = std::strtoll(PQcmdTuples(result_.get()), nullptr, 10);
            }
            phase_ = Phase::rows;
            break;
        }
        case Phase::rows: break;
    }
    if (++row_ < rows_) return true;
    phase_ = Phase::done;
    result_.reset();  // free the buffered rows as soon as they are consumed
    return false;
}

std::int64_t PgStatement::get_int64(int col) const {
    const std::string_view text = get_text(col);
    if (text.empty()) return 0;
    // Boolean expressions (EXISTS, comparisons) come back as 't'/'f'.
    if (text == "t") return 1;
    if (text == "f") return 0;
    std::int64_t v = 0;
    const auto res = std::from_chars(text.data(), text.data() + text.size(), v);
    if (res.ec == std::errc() && res.ptr == text.data() + text.size()) return v;
    // numeric results such as "2.50" or "1e3": go through double, truncating.
    const double d = get_double(col);
    if (!(d >= -9.2233720368547758e18 && d < 9.2233720368547758e18)) return 0;  // NaN or out of range
    return static_cast<std::int64_t>(d);
}

double PgStatement::get_double(int col) const {
    const std::string_view text = get_text(col);
    if (text.empty()) return 0.0;
    if (text == "Infinity") return std::numeric_limits<double>::infinity();
    if (text == "-Infinity") return -std::numeric_limits<double>::infinity();
    if (text == "NaN") return std::numeric_limits<double>::quiet_NaN();
    double v = 0.0;
    const auto res = std::from_chars(text.data(), text.data() + text.size(), v);
    return res.ec == std::errc() ? v : 0.0;
}

}  // namespace

// --- connecting -----------------------------------------------------------------

Result<std::unique_ptr<Connection>> open_postgres(const std::string& conninfo, const PostgresOptions& options) {
    // Reject a malformed URL before trying the network.
    char* parse_error = nullptr;
    if (PQconninfoOption* parsed = PQconninfoParse(conninfo.c_str(), &parse_error)) {
        PQconninfoFree(parsed);
    } else {
        std::string why = parse_error != nullptr ? one_line(parse_error) : "out of memory";
        PQfreemem(parse_error);
        return fail(ErrorCode::invalid_argument,
                    "invalid PostgreSQL URL " + options.display_name + ": " + scrub(std::move(why), options.secrets));
    }

    const auto secs = std::chrono::ceil<std::chrono::seconds>(options.connect_timeout).count();
    const std::string timeout = std::to_string(secs < 1 ? 1 : secs);
    // Keywords before "dbname" are defaults the URL may override; keywords
    // after it are forced (libpq processes them in order).
    const char* keywords[] = {"connect_timeout",
                              "keepalives",
                              "keepalives_idle",
                              "keepalives_interval",
                              "keepalives_count",
                              "fallback_application_name",
                              "dbname",
                              "client_encoding",
                              nullptr};
    const char* values[] = {timeout.c_str(), "1", "30", "10", "3", "gramkit", conninfo.c_str(), "UTF8", nullptr};

    PGconn* conn = PQconnectdbParams(keywords, values, /*expand_dbname=*/1);
    if (conn == nullptr) return fail(ErrorCode::unavailable, "cannot connect to PostgreSQL: out of memory");
    if (PQstatus(conn) != CONNECTION_OK) {
        std::string why = scrub(one_line(PQerrorMessage(conn)), options.secrets);
        PQfinish(conn);
        return fail(ErrorCode::unavailable, "cannot connect to PostgreSQL at " + options.display_name + ": " + why);
    }
    PQsetNoticeReceiver(conn, ignore_notice, nullptr);
    return std::unique_ptr<Connection>(std::make_unique<PgConnection>(conn, options));
}

}  // namespace gramkit::storage
