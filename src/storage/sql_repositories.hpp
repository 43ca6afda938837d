// gramkit::storage — the SQL implementation of the repositories (private to
// src/storage). One implementation serves SQLite and PostgreSQL; the few
// places where the dialects differ go through the helpers below
// (row_lock_suffix, begin_assignment_isolation), never through `if` chains in
// the repositories.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "storage/repositories.hpp"
#include "storage/sql.hpp"

namespace gramkit::storage {

std::unique_ptr<AccountRepository> make_sql_account_repository(Database& db);
std::unique_ptr<ProxyRepository> make_sql_proxy_repository(Database& db);
std::unique_ptr<SessionRepository> make_sql_session_repository(Database& db);
std::unique_ptr<SecretRepository> make_sql_secret_repository(Database& db);
std::unique_ptr<RateLimitStateRepository> make_sql_ratelimit_state_repository(Database& db);
std::unique_ptr<ActionRepository> make_sql_action_repository(Database& db);
std::unique_ptr<JobRepository> make_sql_job_repository(Database& db);
std::unique_ptr<ScheduleRepository> make_sql_schedule_repository(Database& db);
std::unique_ptr<LeaseRepository> make_sql_lease_repository(Database& db);

/// Inserts a queued job row on `c` (the INSERT of JobRepository::enqueue,
/// after its field checks), so other repositories can enqueue inside their
/// own transaction. Errors as enqueue.
Result<JobRecord> insert_job(Connection& c, const NewJobRecord& job);

namespace sql_repo {

// --- enum columns ----------------------------------------------------------------
//
// The text stored for enum values is part of the schema: the CHECK
// constraints of migration 1 (schema.cpp) list exactly these strings, and
// migrations are frozen once released. That is why storage keeps its own
// table instead of reusing the display names of the public API: renaming a
// value there must not silently change what is written to disk.

template <class E>
struct EnumText {
    E value;
    std::string_view text;
};

inline constexpr std::array<EnumText<AccountStatus>, 6> kAccountStatusText{{
    {AccountStatus::active, "active"},
    {AccountStatus::paused, "paused"},
    {AccountStatus::cooldown, "cooldown"},
    {AccountStatus::challenge_required, "challenge_required"},
    {AccountStatus::login_failed, "login_failed"},
    {AccountStatus::disabled, "disabled"},
}};

inline constexpr std::array<EnumText<ProxyScheme>, 3> kProxySchemeText{{
    {ProxyScheme::http, "http"},
    {ProxyScheme::https, "https"},
    {ProxyScheme::socks5, "socks5"},
}};

inline constexpr std::array<EnumText<ProxyHealth>, 2> kProxyHealthText{{
    {ProxyHealth::healthy, "healthy"},
    {ProxyHealth::unhealthy, "unhealthy"},
}};

template <class E, std::size_t N>
constexpr std::string_view enum_text(const std::array<EnumText<E>, N>& table, E value) noexcept {
    for (const auto& entry : table) {
        if (entry.value == value) return entry.text;
    }
    return {};  // unreachable for valid enumerators; the CHECK constraint rejects ""
}

/// Decodes a stored enum; an unknown value means the row was written by
/// something else (a newer gramkit or a manual edit), so the error names the
/// column and the value (enum text is never secret).
template <class E, std::size_t N>
Result<E> enum_from_text(const std::array<EnumText<E>, N>& table, std::string_view text, std::string_view column) {
    for (const auto& entry : table) {
        if (entry.text == text) return entry.value;
    }
    return fail(ErrorCode::internal, "unknown value '" + std::string(text) + "' stored in " + std::string(column));
}

inline std::string_view status_text(AccountStatus s) noexcept { return enum_text(kAccountStatusText, s); }
inline std::string_view health_text(ProxyHealth h) noexcept { return enum_text(kProxyHealthText, h); }
inline std::string_view scheme_text(ProxyScheme s) noexcept { return enum_text(kProxySchemeText, s); }

// --- connections and transactions ------------------------------------------------

/// Leases one connection for the duration of a repository call and runs
/// `fn(Connection&)` on it. A call never leases twice: with a pool of one
/// (sqlite::memory:) a second lease would wait for itself.
template <class F>
auto with_connection(Database& db, F&& fn) -> decltype(fn(std::declval<Connection&>())) {
    auto lease = db.connection();
    if (!lease) return fail(std::move(lease).error());
    return fn(**lease);
}

/// Like with_connection, with `fn` run inside one write transaction.
template <class F>
auto with_transaction(Database& db, F&& fn) -> decltype(fn(std::declval<Connection&>())) {
    return with_connection(db, [&](Connection& c) { return in_transaction(c, [&] { return fn(c); }); });
}

/// Appended to a SELECT that must lock the rows it reads until the end of
/// the transaction. PostgreSQL needs FOR UPDATE; SQLite has no row locks and
/// does not need them, because BEGIN IMMEDIATE already holds the database's
/// single write lock.
inline std::string_view row_lock_suffix(Dialect d) noexcept {
    return d == Dialect::postgresql ? " FOR UPDATE" : "";
}

/// First statement of a transaction that locks a row and then re-reads
/// other rows to decide: the re-read must see everything committed before it
/// started, which PostgreSQL guarantees only under READ COMMITTED (a server
/// configured for REPEATABLE READ would keep the snapshot from before the
/// lock wait). SQLite serialises writers anyway.
inline Status begin_assignment_isolation(Connection& c) {
    if (c.dialect() != Dialect::postgresql) return {};
    return c.execute_script("SET TRANSACTION ISOLATION LEVEL READ COMMITTED");
}

// --- queries -------------------------------------------------------------------------

/// Parameters of a statement whose SQL is assembled piece by piece: `add`
/// stores the value and returns its placeholder ("$3"), so numbering cannot
/// get out of step with the text.
class SqlParams {
public:
    std::string add(Param p) {
        params_.push_back(p);
        return "$" + std::to_string(params_.size());
    }
    std::span<const Param> span() const noexcept { return params_; }

private:
    std::vector<Param> params_;
};

/// Collects every row of a query, decoded by `decode`.
template <class T>
Result<std::vector<T>> query_rows(Connection& c, std::string_view sql, std::span<const Param> params,
                                  const std::function<Result<T>(const Row&)>& decode) {
    std::vector<T> out;
    GK_TRY(query(c, sql, params, [&](const Row& row) -> Status {
        GK_ASSIGN_OR_RETURN(T value, decode(row));
        out.push_back(std::move(value));
        return {};
    }));
    return out;
}

/// The first row of a query (decoded), or nullopt when there is none.
template <class T>
Result<std::optional<T>> query_optional(Connection& c, std::string_view sql, std::span<const Param> params,
                                        const std::function<Result<T>(const Row&)>& decode) {
    std::optional<T> out;
    GK_TRY(query(c, sql, params, [&](const Row& row) -> Status {
        if (out) return {};  // only the first row counts
        GK_ASSIGN_OR_RETURN(T value, decode(row));
        out = std::move(value);
        return {};
    }));
    return out;
}

/// Reads one integer column of the first row; nullopt when there is no row.
inline Result<std::optional<std::int64_t>> query_int(Connection& c, std::string_view sql,
                                                     std::initializer_list<Param> params) {
    return query_optional<std::int64_t>(c, sql, std::span<const Param>(params.begin(), params.size()),
                                        [](const Row& r) -> Result<std::int64_t> { return r.i64(0); });
}

inline std::span<const Param> params_of(std::initializer_list<Param> params) noexcept {
    return {params.begin(), params.size()};
}

// --- pagination ------------------------------------------------------------------------

inline constexpr std::size_t kMaxPageLimit = 1000;

/// Listing limits are 1..1000 everywhere (the public filters document it).
inline Status check_page_limit(std::size_t limit) {
    if (limit < 1 || limit > kMaxPageLimit) {
        return fail(ErrorCode::invalid_argument,
                    "limit must be between 1 and " + std::to_string(kMaxPageLimit) + ", got " + std::to_string(limit),
                    "limit");
    }
    return {};
}

/// A keyset cursor before every id.
inline constexpr std::int64_t kCursorStart = std::numeric_limits<std::int64_t>::min();

/// The keyset cursor as a bindable value: no cursor means "from the start".
inline std::int64_t cursor_or_start(const std::optional<std::int64_t>& after) noexcept {
    return after.value_or(kCursorStart);
}

/// A page from `limit + 1` fetched rows: the extra row is not returned, it
/// only proves that a next page exists (so the last page never points at an
/// empty one).
template <class T, class IdOf>
Page<T> to_page(std::vector<T> rows, std::size_t limit, IdOf&& id_of) {
    Page<T> page;
    if (rows.size() > limit) {
        rows.resize(limit);
        page.next_after = id_of(rows.back());
    }
    page.items = std::move(rows);
    return page;
}

// --- errors ----------------------------------------------------------------------------

/// "account 7 not found".
inline Error not_found(std::string_view what, std::int64_t id) {
    return Error{ErrorCode::not_found, std::string(what) + " " + std::to_string(id) + " not found"};
}

/// Runs a write addressed to one row; `not_found` naming `what` and `id`
/// when no row matched.
inline Status write_one(Connection& c, std::string_view sql, std::span<const Param> params, std::string_view what,
                        std::int64_t id) {
    GK_ASSIGN_OR_RETURN(std::int64_t changed, exec(c, sql, params));
    if (changed == 0) return fail(not_found(what, id));
    return {};
}

/// Whether `e` is the driver's report of a violated constraint of `kind`
/// ("unique", "foreign_key", ...; see sql.hpp).
inline bool is_constraint_violation(const Error& e, std::string_view kind) {
    return e.code == ErrorCode::conflict && e.details == kind;
}

}  // namespace sql_repo
}  // namespace gramkit::storage
