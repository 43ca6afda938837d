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

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
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

// --- durable jobs ------------------------------------------------------------------
//
// Rows of the job queue (DESIGN.md §7, issue 6). The repository is the whole
// state machine: every transition is one guarded statement or one short
// transaction, so two processes sharing a PostgreSQL database never hold the
// same job's lease at once and never both finish it. All times are passed in by the caller (the
// service reads its injectable clock); the SQL never asks the database for
// the time.
//
//   queued ──claim──▶ running ──complete──▶ succeeded
//     ▲  ▲              │ │ └──fail──▶ failed_retrying (retry_at given and
//     │  │              │ │            attempts < max_attempts) ──▶ claimable
//     │  │              │ │            at run_at; otherwise dead
//     │  │              │ └─await_input──▶ awaiting_input ─provide_input─▶ queued
//     │  │              │                      └─expire_inputs─▶ failed_retrying / dead
//     │  │              └─lease expires──▶ claimable again (new token)
//     │  └──resume── paused ◀──pause── queued / failed_retrying
//     └──retry_now── dead / failed_retrying / cancelled
//   cancel: any live state ──▶ cancelled

/// The states a job row can be in. The texts in kJobStateText are part of
/// the schema (migration 4 lists them in a CHECK constraint).
enum class JobState {
    queued,
    running,
    failed_retrying,
    succeeded,
    dead,
    cancelled,
    paused,
    awaiting_input,
};

inline constexpr std::array<std::pair<JobState, std::string_view>, 8> kJobStateText{{
    {JobState::queued, "queued"},
    {JobState::running, "running"},
    {JobState::failed_retrying, "failed_retrying"},
    {JobState::succeeded, "succeeded"},
    {JobState::dead, "dead"},
    {JobState::cancelled, "cancelled"},
    {JobState::paused, "paused"},
    {JobState::awaiting_input, "awaiting_input"},
}};

constexpr std::string_view job_state_text(JobState s) noexcept {
    for (const auto& [state, text] : kJobStateText) {
        if (state == s) return text;
    }
    return {};
}

/// `invalid_argument` naming the text when it is not a state.
inline Result<JobState> job_state_from_text(std::string_view text) {
    for (const auto& [state, name] : kJobStateText) {
        if (name == text) return state;
    }
    return fail(ErrorCode::invalid_argument, "unknown job state '" + std::string(text) + "'", "state");
}

/// Live jobs still have work ahead of them; the idempotency key is unique
/// among live jobs only, so a key can be used again once its job has ended.
constexpr bool job_state_is_live(JobState s) noexcept {
    return s == JobState::queued || s == JobState::running || s == JobState::failed_retrying ||
           s == JobState::paused || s == JobState::awaiting_input;
}

/// What `enqueue` needs; everything else starts empty (state queued,
/// attempts 0, created_at = updated_at = created_at).
struct NewJobRecord {
    std::int64_t id = 0;  // application-generated (ids.hpp)
    std::string kind;
    std::string payload = "{}";  // JSON text, stored as given
    int priority = 0;            // higher runs first
    Timestamp run_at{};          // not claimable before this
    int max_attempts = 1;        // ≥ 1
    std::optional<std::string> idempotency_key;
    Timestamp created_at{};
};

struct JobRecord {
    std::int64_t id = 0;
    std::string kind;
    std::string payload;
    int priority = 0;
    Timestamp run_at{};
    int attempts = 0;  // claims so far (a claim counts, not a success)
    int max_attempts = 1;
    JobState state = JobState::queued;
    std::optional<std::string> lease_owner;        // set while running
    std::optional<std::int64_t> lease_token;       // set while running; proves the lease
    std::optional<Timestamp> lease_expires_at;     // set while running
    std::optional<std::string> last_error;
    std::optional<std::string> idempotency_key;
    std::optional<std::string> progress;  // JSON
    std::optional<std::string> result;    // JSON
    std::optional<std::string> input;     // JSON, from provide_input
    std::optional<Timestamp> input_expires_at;
    Timestamp created_at{};
    Timestamp updated_at{};
    std::optional<Timestamp> finished_at;  // set on succeeded, dead, cancelled

    friend bool operator==(const JobRecord&, const JobRecord&) = default;
};

/// The outcome of `cancel`: the cancelled row and the state it left, so the
/// caller knows whether a handler is running and must be signalled.
struct CancelledJob {
    JobRecord job;
    JobState previous = JobState::queued;
};

struct JobFilter {
    std::optional<JobState> state;
    std::optional<std::string> kind;
    std::optional<std::int64_t> after;  // id cursor
    std::size_t limit = 100;            // 1..1000
};

class JobRepository {
public:
    virtual ~JobRepository() = default;

    /// Inserts a queued job. A live job with the same idempotency key →
    /// `conflict` whose details is that job's id (decimal), so the caller
    /// can hand it back instead of queuing a duplicate; a duplicate id →
    /// `conflict` with details "id". Bad fields → `invalid_argument`.
    virtual Result<JobRecord> enqueue(const NewJobRecord& job) = 0;
    /// Inserts every job in one transaction: all or none. The first error is
    /// enqueue's, its message prefixed with "jobs[<index>]: ".
    virtual Result<std::vector<JobRecord>> enqueue_many(std::span<const NewJobRecord> jobs) = 0;

    /// Leases up to `max` (1..1000) claimable jobs to `owner`: queued or
    /// failed_retrying with run_at ≤ now, or running with an expired lease
    /// (lease_expires_at < now) and attempts left (attempts < max_attempts;
    /// see expire_leases for the others). Claim order: priority DESC, run_at, id; the
    /// result is in that order. Each claimed job becomes running with
    /// attempts + 1, a fresh random lease token and lease_expires_at =
    /// now + lease. `kinds` empty = any kind. Concurrent claimers never get
    /// the same job (PostgreSQL: SKIP LOCKED; SQLite: the write lock).
    virtual Result<std::vector<JobRecord>> claim(std::string_view owner, std::size_t max, Duration lease,
                                                 Timestamp now, std::span<const std::string> kinds = {}) = 0;

    // The calls below that take a lease token succeed only while the job is
    // running under that token; otherwise `conflict` ("lease lost": the job
    // was re-leased, cancelled or finished) or `not_found`. A lease that has
    // expired but was not yet re-claimed still counts: nobody else owns it.

    /// Extends the lease to `new_expiry`.
    virtual Status heartbeat(std::int64_t id, std::int64_t token, Timestamp new_expiry) = 0;
    /// running → succeeded, storing `result_json`.
    virtual Status complete(std::int64_t id, std::int64_t token, std::optional<std::string> result_json,
                            Timestamp now) = 0;
    /// One `complete` per element, all in one transaction (a batch of
    /// finished jobs costs one commit). Each element succeeds or fails on its
    /// own: the result holds one Status per element, in order; the call
    /// itself fails only when the database does.
    struct Completion {
        std::int64_t id = 0;
        std::int64_t token = 0;
        std::optional<std::string> result_json;
    };
    virtual Result<std::vector<Status>> complete_many(std::span<const Completion> done, Timestamp now) = 0;
    /// running → queued with the given run_at and the attempt given back
    /// (attempts - 1): the job did not fail — the worker is shutting down and
    /// hands it on (run_at = now), or the handler asked to run again later.
    virtual Status release(std::int64_t id, std::int64_t token, Timestamp run_at, Timestamp now) = 0;
    /// running → failed_retrying with run_at = *retry_at when retry_at is
    /// given and attempts < max_attempts; otherwise → dead. Stores `error`.
    virtual Status fail(std::int64_t id, std::int64_t token, std::string_view error,
                        std::optional<Timestamp> retry_at, Timestamp now) = 0;
    /// Stores the handler's progress (JSON text).
    virtual Status set_progress(std::int64_t id, std::int64_t token, std::string_view json, Timestamp now) = 0;
    /// running → awaiting_input until `expires_at` (> now); the lease ends.
    virtual Status await_input(std::int64_t id, std::int64_t token, Timestamp expires_at, Timestamp now) = 0;

    /// awaiting_input → queued (run_at = now) with `input_json` stored. The
    /// wait was part of the attempt that asked for input, so the attempt
    /// count goes back by one (the next claim counts it again).
    /// `failed_precondition` in any other state or after the expiry.
    virtual Result<JobRecord> provide_input(std::int64_t id, std::string_view input_json, Timestamp now) = 0;
    /// awaiting_input with input_expires_at < now → failed_retrying (run_at =
    /// now) while attempts < max_attempts, else dead; last_error "input not
    /// provided in time". Returns how many jobs it moved.
    virtual Result<std::size_t> expire_inputs(Timestamp now) = 0;
    /// running with an expired lease and no attempts left (attempts ≥
    /// max_attempts) → dead, last_error "worker lost during the last attempt
    /// (lease expired)". Such jobs are never re-claimed: a job that crashes
    /// its worker every time ends after max_attempts instead of looping.
    /// Returns how many jobs it moved.
    virtual Result<std::size_t> expire_leases(Timestamp now) = 0;

    // Operator control. An illegal transition is `conflict` naming the
    // current state.

    /// Any live state → cancelled (a running job's lease is revoked, so its
    /// handler's later writes are rejected).
    virtual Result<CancelledJob> cancel(std::int64_t id, Timestamp now) = 0;
    /// queued / failed_retrying → paused.
    virtual Result<JobRecord> pause(std::int64_t id, Timestamp now) = 0;
    /// paused → queued (run_at kept).
    virtual Result<JobRecord> resume(std::int64_t id, Timestamp now) = 0;
    /// dead / failed_retrying / cancelled → queued with run_at = now; a dead
    /// job also gets its attempts back (attempts = 0).
    virtual Result<JobRecord> retry_now(std::int64_t id, Timestamp now) = 0;
    /// Deletes the row; `failed_precondition` while it is running (cancel it
    /// first), `not_found`.
    virtual Status remove(std::int64_t id) = 0;

    virtual Result<JobRecord> get(std::int64_t id) = 0;
    /// By id, at most filter.limit, with a next cursor.
    virtual Result<Page<JobRecord>> list(const JobFilter& filter) = 0;
    /// Number of jobs per state text; every state is present (0 if none).
    virtual Result<std::map<std::string, std::int64_t>> count_by_state() = 0;
};

// --- schedules (issue 6) -------------------------------------------------------

/// A periodic schedule: fires a job of `kind` with `payload` at each cron
/// fire time or every `interval`. Exactly one of cron / interval is set.
struct ScheduleRecord {
    std::int64_t id = 0;  // application-generated (ids.hpp)
    std::string name;     // unique
    std::string kind;     // job kind fired
    std::string payload = "{}";
    int priority = 0;
    int max_attempts = 0;  // 0 = the kind's default
    std::optional<std::string> cron;   // canonical text (CronSchedule::to_string)
    std::optional<Duration> interval;  // whole seconds, ≥ 1 s
    bool enabled = true;
    Timestamp next_fire_at{};
    std::optional<Timestamp> last_fired_at;
    std::optional<std::int64_t> last_job_id;
    Timestamp created_at{};
    Timestamp updated_at{};

    friend bool operator==(const ScheduleRecord&, const ScheduleRecord&) = default;
};

struct ScheduleFilter {
    std::optional<bool> enabled;
    std::optional<std::int64_t> after;  // id cursor
    std::size_t limit = 100;            // 1..1000
};

class ScheduleRepository {
public:
    virtual ~ScheduleRepository() = default;

    /// Inserts a schedule. Duplicate name → `conflict` (details "name");
    /// duplicate id → `conflict` ("id"); neither or both of cron/interval,
    /// empty name or kind, interval < 1 s → `invalid_argument` naming it.
    virtual Result<ScheduleRecord> create(const ScheduleRecord& s) = 0;
    /// Replaces name, kind, payload, priority, max_attempts, cron, interval,
    /// enabled and next_fire_at of an existing schedule (same checks as
    /// create); updated_at = now.
    virtual Result<ScheduleRecord> update(const ScheduleRecord& s, Timestamp now) = 0;
    virtual Result<ScheduleRecord> get(std::int64_t id) = 0;
    virtual Result<ScheduleRecord> get_by_name(std::string_view name) = 0;
    virtual Result<Page<ScheduleRecord>> list(const ScheduleFilter& filter) = 0;
    virtual Status remove(std::int64_t id) = 0;
    /// Enabled schedules with next_fire_at ≤ now, earliest first, at most
    /// `limit` (1..1000).
    virtual Result<std::vector<ScheduleRecord>> due(Timestamp now, std::size_t limit) = 0;
    /// Fires one schedule: in one transaction, advances next_fire_at from
    /// `expected_next` to `new_next` (compare-and-set; also sets
    /// last_fired_at = now and last_job_id = job.id) and enqueues `job`.
    /// Returns the job, or nullopt when next_fire_at was no longer
    /// `expected_next` (another process fired it first; nothing is written).
    /// A live job with the same idempotency key also yields nullopt with the
    /// schedule advanced (the previous run is still going; the period is
    /// skipped rather than queued twice).
    virtual Result<std::optional<JobRecord>> fire(std::int64_t id, Timestamp expected_next, Timestamp new_next,
                                                  const NewJobRecord& job, Timestamp now) = 0;
};

/// Named leases with an expiry: the leader lock on SQLite (src/jobs/leader_lock).
class LeaseRepository {
public:
    virtual ~LeaseRepository() = default;
    /// Takes the lease `name` for `owner` until `expires_at` when it is free,
    /// expired (expires_at < now) or already owner's (a renewal). True when
    /// `owner` holds it afterwards.
    virtual Result<bool> acquire(std::string_view name, std::string_view owner, Timestamp now,
                                 Timestamp expires_at) = 0;
    /// Gives the lease up if `owner` holds it (otherwise does nothing).
    virtual Status release(std::string_view name, std::string_view owner) = 0;
    /// The current holder and expiry, if any row exists.
    virtual Result<std::optional<std::pair<std::string, Timestamp>>> holder(std::string_view name) = 0;
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
    JobRepository& jobs() noexcept;
    ScheduleRepository& schedules() noexcept;
    LeaseRepository& leases() noexcept;

private:
    struct Impl;
    explicit Backend(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

}  // namespace gramkit::storage
