// gramkit::storage — repository interfaces (DESIGN.md §4).
//
// Services depend on these interfaces only. One implementation
// (sql_*_repository.cpp) serves both SQLite and PostgreSQL over the SQL
// driver in sql.hpp. Repositories store secrets as opaque envelope strings:
// encryption happens in the services, so a repository never sees plaintext.
//
// Threading: every repository is thread-safe (each call leases its own
// connection from the pool). Every method that writes more than one row does
// so in one transaction.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "gramkit/accounts.hpp"
#include "gramkit/proxies.hpp"
#include "gramkit/sessions.hpp"
#include "storage/sql.hpp"

namespace gramkit::storage {

// --- accounts ----------------------------------------------------------------

struct AccountRecord {
    Account account;                        // public fields (labels sorted)
    std::string password_envelope;          // v1:<key>:<...>
    std::optional<std::string> totp_envelope;
};

class AccountRepository {
public:
    virtual ~AccountRepository() = default;
    /// Inserts the row, its labels and a first status-history entry
    /// (from = to = its status, reason "created"). `conflict` on a duplicate
    /// username or id.
    virtual Status insert(const AccountRecord& record) = 0;
    /// Inserts several accounts in ONE transaction: all or none (the error
    /// names the first row that failed).
    virtual Status insert_many(std::span<const AccountRecord> records) = 0;
    virtual Result<AccountRecord> get(std::int64_t id) = 0;
    virtual Result<AccountRecord> get_by_username(std::string_view username) = 0;
    /// Ordered by id; at most filter.limit items; next_after set when more exist.
    virtual Result<Page<AccountRecord>> list(const AccountFilter& filter) = 0;
    /// Rewrites username, email, labels, secrets and updated_at (not status,
    /// not proxy). `not_found`, `conflict` on a duplicate username.
    virtual Status update(const AccountRecord& record) = 0;
    /// Deletes the account; its labels, session and status history go with
    /// it (ON DELETE CASCADE). `not_found`.
    virtual Status remove(std::int64_t id) = 0;
    /// Compare-and-set of the status: succeeds only if the current status is
    /// `change.from` (otherwise `conflict`, so a racing change is never
    /// silently overwritten); sets status, reason, cooldown_until
    /// (= change.until), updated_at (= change.at) and appends `change` to the
    /// history, in one transaction.
    virtual Status change_status(const StatusChange& change) = 0;
    /// Newest first.
    virtual Result<std::vector<StatusChange>> history(std::int64_t account_id, std::size_t limit) = 0;
};

// --- proxies -----------------------------------------------------------------

struct ProxyRecord {
    Proxy proxy;  // assigned_accounts computed on read; `url` left empty (the service formats it)
    std::optional<std::string> password_envelope;
};

class ProxyRepository {
public:
    virtual ~ProxyRepository() = default;
    /// `conflict` if (scheme, host, port, username) exists.
    virtual Status insert(const ProxyRecord& record) = 0;
    virtual Result<ProxyRecord> get(std::int64_t id) = 0;
    virtual Result<Page<ProxyRecord>> list(const ProxyFilter& filter) = 0;
    /// `failed_precondition` if accounts are assigned; `not_found`.
    virtual Status remove(std::int64_t id) = 0;
    virtual Status set_max_accounts(std::int64_t id, int max_accounts, Timestamp now) = 0;
    /// Sets health; healthy also resets failure_count to 0.
    virtual Status set_health(std::int64_t id, ProxyHealth health, Timestamp now) = 0;
    /// Atomically increments failure_count; marks unhealthy when it reaches
    /// `threshold`.
    virtual Status record_failure(std::int64_t id, int threshold, Timestamp now) = 0;
    /// Sticky assignment in one transaction (proxy rows locked on
    /// PostgreSQL, write lock on SQLite): keeps a healthy current proxy,
    /// else picks the healthy proxy with the fewest accounts that has room
    /// (ties → lowest id). Returns the proxy id; `unavailable` if none;
    /// `not_found` if the account does not exist.
    virtual Result<std::int64_t> assign_least_loaded(std::int64_t account_id, Timestamp now) = 0;
    /// Assigns a specific proxy; `failed_precondition` if it is full (an
    /// account already on it does not count twice); `not_found`.
    virtual Status assign_to(std::int64_t account_id, std::int64_t proxy_id, Timestamp now) = 0;
    virtual Status unassign(std::int64_t account_id, Timestamp now) = 0;
};

// --- sessions ----------------------------------------------------------------

struct SessionRecord {
    Session session;               // cookie_count/expires_at as computed by the service
    std::string cookies_envelope;  // encrypted JSON array of cookies
};

/// An account the session manager may hand out.
struct CheckoutCandidate {
    std::int64_t account_id = 0;
    std::string username;
    std::optional<std::int64_t> proxy_id;
};

class SessionRepository {
public:
    virtual ~SessionRepository() = default;
    /// Insert or replace the account's session. `not_found` if the account
    /// does not exist.
    virtual Status upsert(const SessionRecord& record) = 0;
    virtual Result<SessionRecord> get(std::int64_t account_id) = 0;
    virtual Status invalidate(std::int64_t account_id, std::string_view reason) = 0;
    virtual Status touch(std::int64_t account_id, Timestamp now) = 0;
    virtual Result<Page<SessionRecord>> list(const SessionFilter& filter) = 0;
    /// Accounts with status `active` and a valid session, least recently
    /// used first (last_used_at, then account id), at most `limit`.
    virtual Result<std::vector<CheckoutCandidate>> checkout_candidates(std::size_t limit) = 0;
};

// --- secrets (key rotation) ---------------------------------------------------

/// An encrypted column: rows are identified by `id_column`; the associated
/// data of each envelope is "<table>/<column>/<row id>".
struct SecretColumn {
    std::string_view table;
    std::string_view column;
    std::string_view id_column;
};

/// The encrypted columns of the schema: accounts.password,
/// accounts.totp_seed, proxies.password, sessions.cookies.
std::span<const SecretColumn> secret_columns() noexcept;

/// "<table>/<column>/<row id>" — the associated data for a stored secret.
std::string secret_aad(const SecretColumn& column, std::int64_t row_id);

class SecretRepository {
public:
    virtual ~SecretRepository() = default;
    /// Calls `rewrap(row_id, envelope)` for every non-NULL value of the
    /// column and stores what it returns when it differs. Runs in batches,
    /// each batch in one transaction; returns how many rows were rewritten.
    /// Stops at the first error (already committed batches stay).
    virtual Result<std::size_t> rewrap(const SecretColumn& column,
                                       const std::function<Result<std::string>(std::int64_t, std::string_view)>& rewrap) = 0;
};

// --- rate-limit state -------------------------------------------------------------

/// One key of the in-process rate-limit store (µs since the epoch).
struct RateLimitStateRecord {
    std::string key;
    std::int64_t tat = 0;
    std::int64_t penalty_until = 0;
};

/// Where an engine with the in-process limiter keeps its state across
/// restarts. Several processes may save into one table (PostgreSQL): a save
/// merges, keeping the later tat and penalty of each key, so no process can
/// make another's state more permissive.
class RateLimitStateRepository {
public:
    virtual ~RateLimitStateRepository() = default;
    /// Upserts `records` (per key the maximum of stored and new values) and
    /// deletes rows that no longer matter at `now` (tat and penalty both
    /// past). One transaction.
    virtual Status save(std::span<const RateLimitStateRecord> records, std::int64_t now) = 0;
    /// Rows that still matter at `now`.
    virtual Result<std::vector<RateLimitStateRecord>> load(std::int64_t now) = 0;
};

// --- the action log --------------------------------------------------------------

/// One request made on an account's behalf (DESIGN.md §7: every request and
/// outcome is recorded). `outcome` is "ok" or the name of what went wrong
/// (e.g. "rate_limited", "checkpoint_required", "unavailable").
struct ActionRecord {
    std::int64_t id = 0;
    std::optional<std::int64_t> account_id;
    std::optional<std::int64_t> proxy_id;
    std::string action;  // login, profile, feed, hashtag, media, download
    std::string target;  // username, tag, media id or shortcode
    std::string outcome;
    int http_status = 0;  // 0 when no response arrived
    std::int64_t latency_us = 0;
    Timestamp created_at{};

    friend bool operator==(const ActionRecord&, const ActionRecord&) = default;
};

struct ActionFilter {
    std::optional<std::int64_t> account_id;
    std::optional<std::string> action;
    std::optional<Timestamp> since;  // created_at ≥ since
    std::optional<std::int64_t> after;  // id cursor (ids are time-ordered)
    std::size_t limit = 100;           // 1..1000
};

class ActionRepository {
public:
    virtual ~ActionRepository() = default;
    virtual Status insert(const ActionRecord& record) = 0;
    /// Oldest first (by id), at most filter.limit, with a next cursor.
    virtual Result<Page<ActionRecord>> list(const ActionFilter& filter) = 0;
};

// --- the backend: a database plus its repositories ---------------------------

/// The gramkit schema, per dialect (schema.cpp).
std::span<const Migration> gramkit_migrations() noexcept;

class Backend {
public:
    /// Opens the database from a URL and applies the gramkit migrations.
    static Result<std::unique_ptr<Backend>> open(std::string_view url, const OpenOptions& options = {});
    ~Backend();

    Database& database() noexcept;
    AccountRepository& accounts() noexcept;
    ProxyRepository& proxies() noexcept;
    SessionRepository& sessions() noexcept;
    SecretRepository& secrets() noexcept;
    RateLimitStateRepository& ratelimit_state() noexcept;
    ActionRepository& actions() noexcept;

private:
    struct Impl;
    explicit Backend(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

}  // namespace gramkit::storage
