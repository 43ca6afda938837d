// gramkit::storage — JobRepository over the SQL driver (both dialects): the
// durable job queue of issue 6.
//
// Why a zombie worker cannot overwrite a job: every write a worker makes
// (heartbeat, progress, completion, failure, waiting for input) is one
// UPDATE guarded by `state = 'running' AND lease_token = <its token>`, and
// every claim, including the re-claim of an expired lease, draws a new
// token. A worker whose lease was taken over therefore matches no row and
// gets `conflict` ("lease lost"). Tokens come from the OS CSPRNG, so a
// stale or guessed token collides with probability 2^-64.
//
// Claiming differs per dialect (the only place it does):
//   - PostgreSQL: one statement. The inner SELECT picks and locks due rows
//     with FOR UPDATE SKIP LOCKED, so concurrent claimers pass over each
//     other's rows instead of waiting or double-claiming; under READ
//     COMMITTED a row updated by a claimer that committed first is
//     re-checked against the WHERE clause before it is locked, so it is
//     dropped when no longer claimable. Tokens are generated in C++ and
//     passed as one BIGINT[] parameter; the i-th locked row (in claim order)
//     takes the i-th token. That keeps every token independently random
//     (deriving them in SQL from a base plus the id would let anyone who
//     saw one token compute the others of the batch) and still costs one
//     round trip per batch.
//   - SQLite: BEGIN IMMEDIATE takes the database's single write lock, then
//     the same SELECT (without row locks) and one UPDATE per picked row.
//     Writers are serialised, so nobody else can claim in between.
#include <algorithm>
#include <array>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "gramkit/crypto.hpp"
#include "storage/sql_repositories.hpp"

namespace gramkit::storage {
namespace {

using namespace sql_repo;

constexpr std::string_view kColumns =
    "id, kind, payload, priority, run_at, attempts, max_attempts, state, lease_owner, lease_token, "
    "lease_expires_at, last_error, idempotency_key, progress, result, input, input_expires_at, created_at, "
    "updated_at, finished_at";

// The same columns qualified by the alias used by the PostgreSQL claim.
constexpr std::string_view kColumnsJ =
    "j.id, j.kind, j.payload, j.priority, j.run_at, j.attempts, j.max_attempts, j.state, j.lease_owner, "
    "j.lease_token, j.lease_expires_at, j.last_error, j.idempotency_key, j.progress, j.result, j.input, "
    "j.input_expires_at, j.created_at, j.updated_at, j.finished_at";

// Claimable rows, with $1 = now. The leading (state = ... OR ...) term repeats the
// predicate of jobs_claim_idx literally: SQLite uses a partial index only
// when its WHERE terms appear as AND-terms of the query, and PostgreSQL
// then needs no proof either.
constexpr std::string_view kClaimableWhere =
    "(state = 'queued' OR state = 'failed_retrying' OR state = 'running') "
    "AND (((state = 'queued' OR state = 'failed_retrying') AND run_at <= $1) "
    "OR (state = 'running' AND lease_expires_at < $1 AND attempts < max_attempts))";

constexpr std::string_view kClaimOrder = " ORDER BY priority DESC, run_at, id";

// The live-key index's predicate (migration 7), repeated literally so that
// lookups by key can use it. OR chains, not IN lists: see schema.cpp.
constexpr std::string_view kLiveStateCondition =
    "(state = 'queued' OR state = 'running' OR state = 'failed_retrying' OR state = 'paused' "
    "OR state = 'awaiting_input')";

constexpr std::string_view kCompleteSql =
    "UPDATE jobs SET state = 'succeeded', result = $3, lease_owner = NULL, lease_token = NULL, "
    "lease_expires_at = NULL, updated_at = $4, finished_at = $4 "
    "WHERE id = $1 AND state = 'running' AND lease_token = $2";

constexpr std::string_view kLeaseLostError = "worker lost during the last attempt (lease expired)";

constexpr std::string_view kInputTimeoutError = "input not provided in time";

Result<JobRecord> decode_job(const Row& r) {
    JobRecord j;
    j.id = r.i64(0);
    j.kind = r.text(1);
    j.payload = r.text(2);
    j.priority = static_cast<int>(r.i64(3));
    j.run_at = r.time(4);
    j.attempts = static_cast<int>(r.i64(5));
    j.max_attempts = static_cast<int>(r.i64(6));
    auto state = job_state_from_text(r.view(7));
    if (!state) {
        // A row written by something else (a newer gramkit, a manual edit).
        return ::gramkit::fail(ErrorCode::internal, "unknown value '" + r.text(7) + "' stored in jobs.state");
    }
    j.state = *state;
    j.lease_owner = r.opt_text(8);
    j.lease_token = r.opt_i64(9);
    j.lease_expires_at = r.opt_time(10);
    j.last_error = r.opt_text(11);
    j.idempotency_key = r.opt_text(12);
    j.progress = r.opt_text(13);
    j.result = r.opt_text(14);
    j.input = r.opt_text(15);
    j.input_expires_at = r.opt_time(16);
    j.created_at = r.time(17);
    j.updated_at = r.time(18);
    j.finished_at = r.opt_time(19);
    return j;
}

/// Claim order, for results whose order the database does not guarantee
/// (RETURNING).
bool claim_order_less(const JobRecord& a, const JobRecord& b) {
    if (a.priority != b.priority) return a.priority > b.priority;
    if (a.run_at != b.run_at) return a.run_at < b.run_at;
    return a.id < b.id;
}

Result<std::vector<std::int64_t>> new_lease_tokens(std::size_t n) {
    std::vector<std::int64_t> tokens(n);
    std::vector<std::uint8_t> bytes(n * sizeof(std::int64_t));
    GK_TRY(crypto::random_bytes(std::span<std::uint8_t>(bytes)));
    for (std::size_t i = 0; i < n; ++i) std::memcpy(&tokens[i], bytes.data() + i * sizeof(std::int64_t), 8);
    return tokens;
}

// PostgreSQL array literals, passed as one text parameter and cast in SQL.
std::string bigint_array(std::span<const std::int64_t> values) {
    std::string out = "{";
    for (std::size_t i = 0; i < values.size(); ++i) {
        if (i > 0) out += ',';
        out += std::to_string(values[i]);
    }
    return out + '}';
}

// Each element double-quoted with '"' and '\\' escaped; NULL unquoted.
std::string text_array(std::span<const std::optional<std::string>> values) {
    std::string out = "{";
    for (std::size_t i = 0; i < values.size(); ++i) {
        if (i > 0) out += ',';
        if (!values[i]) {
            out += "NULL";
            continue;
        }
        out += '"';
        for (char ch : *values[i]) {
            if (ch == '"' || ch == '\\') out += '\\';
            out += ch;
        }
        out += '"';
    }
    return out + '}';
}

std::string job_name(std::int64_t id) { return "job " + std::to_string(id); }

Result<std::optional<JobRecord>> find_job(Connection& c, std::int64_t id, bool lock = false) {
    const std::string sql = "SELECT " + std::string(kColumns) + " FROM jobs WHERE id = $1" +
                            std::string(lock ? row_lock_suffix(c.dialect()) : "");
    return query_optional<JobRecord>(c, sql, params_of({id}), decode_job);
}

Result<JobRecord> get_job(Connection& c, std::int64_t id, bool lock = false) {
    GK_ASSIGN_OR_RETURN(auto found, find_job(c, id, lock));
    if (!found) return ::gramkit::fail(not_found("job", id));
    return std::move(*found);
}

/// Runs a write guarded by the lease (`WHERE id = $1 AND state = 'running'
/// AND lease_token = $2`); when it matched nothing, says why.
Status leased_write(Connection& c, std::string_view sql, std::span<const Param> params, std::int64_t id) {
    GK_ASSIGN_OR_RETURN(std::int64_t changed, exec(c, sql, params));
    if (changed > 0) return {};
    GK_ASSIGN_OR_RETURN(auto job, find_job(c, id));
    if (!job) return ::gramkit::fail(not_found("job", id));
    if (job->state == JobState::running) {
        return ::gramkit::fail(ErrorCode::conflict,
                               job_name(id) + ": lease lost (the job was claimed again under a new lease)", "lease");
    }
    return ::gramkit::fail(ErrorCode::conflict,
                           job_name(id) + ": lease lost (the job is " + std::string(job_state_text(job->state)) + ")",
                           "lease");
}

Error illegal_transition(std::int64_t id, JobState from, std::string_view action) {
    return Error{ErrorCode::conflict,
                 "cannot " + std::string(action) + " " + job_name(id) + ": it is " + std::string(job_state_text(from)),
                 "state"};
}

bool state_in(JobState s, std::initializer_list<JobState> allowed) {
    return std::find(allowed.begin(), allowed.end(), s) != allowed.end();
}

}  // namespace

namespace {

Status check_new_job(const NewJobRecord& job) {
    if (job.kind.empty()) return ::gramkit::fail(ErrorCode::invalid_argument, "job kind must not be empty", "kind");
    if (job.payload.empty()) {
        return ::gramkit::fail(ErrorCode::invalid_argument, "job payload must be JSON text, got nothing", "payload");
    }
    if (job.max_attempts < 1) {
        return ::gramkit::fail(ErrorCode::invalid_argument,
                               "max_attempts must be at least 1, got " + std::to_string(job.max_attempts),
                               "max_attempts");
    }
    if (job.idempotency_key && job.idempotency_key->empty()) {
        return ::gramkit::fail(ErrorCode::invalid_argument, "idempotency key must not be empty", "idempotency_key");
    }
    return {};
}

// The row an INSERT of `job` stores is fully determined by it, so it is
// built here instead of read back (RETURNING costs SQLite a temporary table
// per statement and PostgreSQL the decoding of every column).
JobRecord stored_record(const NewJobRecord& job) {
    JobRecord r;
    r.id = job.id;
    r.kind = job.kind;
    r.payload = job.payload;
    r.priority = job.priority;
    r.run_at = job.run_at;
    r.max_attempts = job.max_attempts;
    r.idempotency_key = job.idempotency_key;
    r.created_at = r.updated_at = job.created_at;
    return r;
}

// Runs `fn` inside a savepoint when on PostgreSQL inside a transaction,
// where a failed statement would otherwise abort the whole transaction and
// the lookups that explain the failure could not run.
template <class F>
auto in_savepoint(Connection& c, std::string_view name, F&& fn) -> decltype(fn()) {
    const bool savepoint = c.dialect() == Dialect::postgresql && c.in_transaction();
    if (savepoint) GK_TRY(c.execute_script("SAVEPOINT " + std::string(name)));
    auto result = fn();
    if (savepoint) {
        GK_TRY(c.execute_script((result ? "RELEASE SAVEPOINT " : "ROLLBACK TO SAVEPOINT ") + std::string(name)));
    }
    return result;
}

// After a unique violation: which uniqueness was it? Asking the table is
// exact on both dialects (their messages name the index differently).
Error explain_duplicate(Connection& c, const NewJobRecord& job) {
    if (job.idempotency_key) {
        auto existing = query_int(c,
                                  "SELECT id FROM jobs WHERE idempotency_key IS NOT NULL AND idempotency_key = $1 AND " +
                                      std::string(kLiveStateCondition),
                                  {*job.idempotency_key});
        if (!existing) return std::move(existing).error();
        if (*existing) {
            return Error{ErrorCode::conflict, "a live job with this idempotency key exists: " + job_name(**existing),
                         std::to_string(**existing)};
        }
    }
    return Error{ErrorCode::conflict, job_name(job.id) + " already exists", "id"};
}

}  // namespace

Result<JobRecord> insert_job(Connection& c, const NewJobRecord& job) {
    GK_TRY(check_new_job(job));
    Status inserted = in_savepoint(c, "gramkit_insert_job", [&]() -> Status {
        GK_TRY(exec(c,
                    "INSERT INTO jobs (id, kind, payload, priority, run_at, attempts, max_attempts, state, "
                    "idempotency_key, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, 0, $6, 'queued', $7, $8, $8)",
                    {job.id, job.kind, job.payload, job.priority, job.run_at, job.max_attempts, job.idempotency_key,
                     job.created_at}));
        return {};
    });
    if (!inserted) {
        if (!is_constraint_violation(inserted.error(), "unique")) return ::gramkit::fail(inserted.error());
        return ::gramkit::fail(explain_duplicate(c, job));
    }
    return stored_record(job);
}

namespace {

class SqlJobRepository final : public JobRepository {
public:
    explicit SqlJobRepository(Database& db) : db_(db) {}

    Result<JobRecord> enqueue(const NewJobRecord& job) override {
        return with_connection(db_, [&](Connection& c) { return insert_job(c, job); });
    }

    Result<std::vector<JobRecord>> enqueue_many(std::span<const NewJobRecord> jobs) override {
        if (jobs.empty()) return std::vector<JobRecord>{};
        if (db_.dialect() == Dialect::postgresql) return enqueue_many_postgres(jobs);
        return with_transaction(db_, [&](Connection& c) -> Result<std::vector<JobRecord>> {
            std::vector<JobRecord> out;
            out.reserve(jobs.size());
            for (std::size_t i = 0; i < jobs.size(); ++i) {
                auto job = insert_job(c, jobs[i]);
                if (!job) {
                    Error e = std::move(job).error();
                    e.message = "jobs[" + std::to_string(i) + "]: " + e.message;
                    return ::gramkit::fail(std::move(e));
                }
                out.push_back(std::move(*job));
            }
            return out;
        });
    }

    // PostgreSQL: the batch as one INSERT … SELECT FROM unnest(<columns as
    // arrays>), one round trip. On a unique violation the batch is retried
    // row by row inside the same transaction, only to name the row.
    Result<std::vector<JobRecord>> enqueue_many_postgres(std::span<const NewJobRecord> jobs) {
        std::vector<std::int64_t> ids, priorities, run_ats, attempts, created;
        std::vector<std::optional<std::string>> kinds, payloads, keys;
        for (std::size_t i = 0; i < jobs.size(); ++i) {
            if (Status s = check_new_job(jobs[i]); !s) {
                Error e = std::move(s).error();
                e.message = "jobs[" + std::to_string(i) + "]: " + e.message;
                return ::gramkit::fail(std::move(e));
            }
            ids.push_back(jobs[i].id);
            kinds.emplace_back(jobs[i].kind);
            payloads.emplace_back(jobs[i].payload);
            priorities.push_back(jobs[i].priority);
            run_ats.push_back(to_micros(jobs[i].run_at));
            attempts.push_back(jobs[i].max_attempts);
            keys.push_back(jobs[i].idempotency_key);
            created.push_back(to_micros(jobs[i].created_at));
        }
        const std::string a1 = bigint_array(ids), a2 = text_array(kinds), a3 = text_array(payloads),
                          a4 = bigint_array(priorities), a5 = bigint_array(run_ats), a6 = bigint_array(attempts),
                          a7 = text_array(keys), a8 = bigint_array(created);
        static const std::string sql =
            "INSERT INTO jobs (id, kind, payload, priority, run_at, attempts, max_attempts, state, idempotency_key, "
            "created_at, updated_at) "
            "SELECT id, kind, payload, priority, run_at, 0, max_attempts, 'queued', key, created_at, created_at "
            "FROM unnest(CAST($1 AS BIGINT[]), CAST($2 AS TEXT[]), CAST($3 AS TEXT[]), CAST($4 AS INTEGER[]), "
            "CAST($5 AS BIGINT[]), CAST($6 AS INTEGER[]), CAST($7 AS TEXT[]), CAST($8 AS BIGINT[])) "
            "AS t(id, kind, payload, priority, run_at, max_attempts, key, created_at)";
        return with_transaction(db_, [&](Connection& c) -> Result<std::vector<JobRecord>> {
            Status batch = in_savepoint(c, "gramkit_enqueue_many", [&]() -> Status {
                GK_TRY(exec(c, sql,
                            params_of({std::string_view(a1), std::string_view(a2), std::string_view(a3),
                                       std::string_view(a4), std::string_view(a5), std::string_view(a6),
                                       std::string_view(a7), std::string_view(a8)})));
                return {};
            });
            std::vector<JobRecord> out;
            out.reserve(jobs.size());
            if (!batch) {
                if (!is_constraint_violation(batch.error(), "unique")) return ::gramkit::fail(batch.error());
                // Row by row to find (and name) the duplicate; the
                // transaction rolls everything back on the way out.
                for (std::size_t i = 0; i < jobs.size(); ++i) {
                    if (auto one = insert_job(c, jobs[i]); !one) {
                        Error e = std::move(one).error();
                        e.message = "jobs[" + std::to_string(i) + "]: " + e.message;
                        return ::gramkit::fail(std::move(e));
                    }
                }
                return ::gramkit::fail(batch.error());  // a duplicate within the batch itself
            }
            for (const auto& j : jobs) out.push_back(stored_record(j));
            return out;
        });
    }

    Result<std::vector<JobRecord>> claim(std::string_view owner, std::size_t max, Duration lease, Timestamp now,
                                         std::span<const std::string> kinds) override {
        if (owner.empty()) return ::gramkit::fail(ErrorCode::invalid_argument, "lease owner must not be empty", "owner");
        if (max < 1 || max > kMaxPageLimit) {
            return ::gramkit::fail(ErrorCode::invalid_argument,
                                   "max must be between 1 and " + std::to_string(kMaxPageLimit) + ", got " +
                                       std::to_string(max),
                                   "max");
        }
        if (lease <= Duration::zero()) {
            return ::gramkit::fail(ErrorCode::invalid_argument, "lease must be positive", "lease");
        }
        for (const std::string& k : kinds) {
            if (k.empty()) return ::gramkit::fail(ErrorCode::invalid_argument, "job kinds must not be empty", "kinds");
        }
        GK_ASSIGN_OR_RETURN(std::vector<std::int64_t> tokens, new_lease_tokens(max));
        const Timestamp expires = now + lease;
        if (db_.dialect() == Dialect::postgresql) return claim_postgres(owner, max, expires, now, kinds, tokens);
        return claim_sqlite(owner, max, expires, now, kinds, tokens);
    }

    Status heartbeat(std::int64_t id, std::int64_t token, Timestamp new_expiry) override {
        return with_connection(db_, [&](Connection& c) {
            return leased_write(c,
                                "UPDATE jobs SET lease_expires_at = $3 "
                                "WHERE id = $1 AND state = 'running' AND lease_token = $2",
                                params_of({id, token, new_expiry}), id);
        });
    }

    Status complete(std::int64_t id, std::int64_t token, std::optional<std::string> result_json,
                    Timestamp now) override {
        return with_connection(db_, [&](Connection& c) {
            return leased_write(c, kCompleteSql, params_of({id, token, result_json, now}), id);
        });
    }

    Result<std::vector<Status>> complete_many(std::span<const Completion> done, Timestamp now) override {
        if (done.empty()) return std::vector<Status>{};
        if (db_.dialect() == Dialect::postgresql) return complete_many_postgres(done, now);
        // SQLite: the statements are in-process calls; one transaction makes
        // the batch one commit.
        return with_transaction(db_, [&](Connection& c) -> Result<std::vector<Status>> {
            std::vector<Status> out;
            out.reserve(done.size());
            for (const Completion& d : done) {
                Status s = leased_write(c, kCompleteSql, params_of({d.id, d.token, d.result_json, now}), d.id);
                // A database failure aborts the batch (the transaction is
                // rolled back); a lost lease is that element's answer only.
                if (!s && s.error().code != ErrorCode::conflict && s.error().code != ErrorCode::not_found)
                    return ::gramkit::fail(std::move(s).error());
                out.push_back(std::move(s));
            }
            return out;
        });
    }

    Status release(std::int64_t id, std::int64_t token, Timestamp run_at, Timestamp now) override {
        return with_connection(db_, [&](Connection& c) {
            return leased_write(c,
                                "UPDATE jobs SET state = 'queued', run_at = $3, "
                                "attempts = CASE WHEN attempts > 0 THEN attempts - 1 ELSE 0 END, "
                                "lease_owner = NULL, lease_token = NULL, lease_expires_at = NULL, updated_at = $4 "
                                "WHERE id = $1 AND state = 'running' AND lease_token = $2",
                                params_of({id, token, run_at, now}), id);
        });
    }

    Status fail(std::int64_t id, std::int64_t token, std::string_view error, std::optional<Timestamp> retry_at,
                Timestamp now) override {
        // One statement decides retry vs dead from the row itself, so the
        // attempt count it compares is the one the lease was granted with.
        return with_connection(db_, [&](Connection& c) {
            return leased_write(c,
                                "UPDATE jobs SET "
                                "state = CASE WHEN $4 = 1 AND attempts < max_attempts "
                                "THEN 'failed_retrying' ELSE 'dead' END, "
                                "run_at = CASE WHEN $4 = 1 AND attempts < max_attempts "
                                "THEN CAST($5 AS BIGINT) ELSE run_at END, "
                                "finished_at = CASE WHEN $4 = 1 AND attempts < max_attempts "
                                "THEN NULL ELSE CAST($6 AS BIGINT) END, "
                                "last_error = $3, lease_owner = NULL, lease_token = NULL, lease_expires_at = NULL, "
                                "updated_at = $6 "
                                "WHERE id = $1 AND state = 'running' AND lease_token = $2",
                                params_of({id, token, error, retry_at.has_value(), retry_at, now}), id);
        });
    }

    Status set_progress(std::int64_t id, std::int64_t token, std::string_view json, Timestamp now) override {
        if (json.empty()) return ::gramkit::fail(ErrorCode::invalid_argument, "progress must be JSON text", "progress");
        return with_connection(db_, [&](Connection& c) {
            return leased_write(c,
                                "UPDATE jobs SET progress = $3, updated_at = $4 "
                                "WHERE id = $1 AND state = 'running' AND lease_token = $2",
                                params_of({id, token, json, now}), id);
        });
    }

    Status await_input(std::int64_t id, std::int64_t token, Timestamp expires_at, Timestamp now) override {
        if (expires_at <= now) {
            return ::gramkit::fail(ErrorCode::invalid_argument, "input expiry must be in the future", "expires_at");
        }
        return with_connection(db_, [&](Connection& c) {
            return leased_write(c,
                                "UPDATE jobs SET state = 'awaiting_input', input = NULL, input_expires_at = $3, "
                                "lease_owner = NULL, lease_token = NULL, lease_expires_at = NULL, updated_at = $4 "
                                "WHERE id = $1 AND state = 'running' AND lease_token = $2",
                                params_of({id, token, expires_at, now}), id);
        });
    }

    Result<JobRecord> provide_input(std::int64_t id, std::string_view input_json, Timestamp now) override {
        if (input_json.empty()) {
            return ::gramkit::fail(ErrorCode::invalid_argument, "input must be JSON text", "input");
        }
        return with_transaction(db_, [&](Connection& c) -> Result<JobRecord> {
            GK_ASSIGN_OR_RETURN(JobRecord job, get_job(c, id, /*lock=*/true));
            if (job.state != JobState::awaiting_input) {
                return ::gramkit::fail(ErrorCode::failed_precondition,
                                       job_name(id) + " is not waiting for input (it is " +
                                           std::string(job_state_text(job.state)) + ")",
                                       "state");
            }
            if (job.input_expires_at && *job.input_expires_at < now) {
                return ::gramkit::fail(ErrorCode::failed_precondition,
                                       job_name(id) + " stopped waiting for input (the time ran out)", "state");
            }
            GK_TRY(exec(c,
                        "UPDATE jobs SET state = 'queued', input = $2, input_expires_at = NULL, run_at = $3, "
                        "attempts = CASE WHEN attempts > 0 THEN attempts - 1 ELSE 0 END, updated_at = $3 "
                        "WHERE id = $1",
                        {id, input_json, now}));
            return get_job(c, id);
        });
    }

    Result<std::size_t> expire_inputs(Timestamp now) override {
        return with_connection(db_, [&](Connection& c) -> Result<std::size_t> {
            GK_ASSIGN_OR_RETURN(
                std::int64_t changed,
                exec(c,
                     "UPDATE jobs SET "
                     "state = CASE WHEN attempts < max_attempts THEN 'failed_retrying' ELSE 'dead' END, "
                     "run_at = CASE WHEN attempts < max_attempts THEN CAST($1 AS BIGINT) ELSE run_at END, "
                     "finished_at = CASE WHEN attempts < max_attempts THEN NULL ELSE CAST($1 AS BIGINT) END, "
                     "last_error = $2, input_expires_at = NULL, updated_at = $1 "
                     "WHERE state = 'awaiting_input' AND input_expires_at < $1",
                     {now, kInputTimeoutError}));
            return static_cast<std::size_t>(changed);
        });
    }

    Result<std::size_t> expire_leases(Timestamp now) override {
        return with_connection(db_, [&](Connection& c) -> Result<std::size_t> {
            GK_ASSIGN_OR_RETURN(std::int64_t moved,
                                exec(c,
                                     "UPDATE jobs SET state = 'dead', last_error = $2, lease_owner = NULL, "
                                     "lease_token = NULL, lease_expires_at = NULL, updated_at = $1, finished_at = $1 "
                                     "WHERE state = 'running' AND lease_expires_at < $1 AND attempts >= max_attempts",
                                     {now, kLeaseLostError}));
            return static_cast<std::size_t>(moved);
        });
    }

    Result<CancelledJob> cancel(std::int64_t id, Timestamp now) override {
        return with_transaction(db_, [&](Connection& c) -> Result<CancelledJob> {
            GK_ASSIGN_OR_RETURN(JobRecord job, get_job(c, id, /*lock=*/true));
            if (!job_state_is_live(job.state)) return ::gramkit::fail(illegal_transition(id, job.state, "cancel"));
            // Clearing the token revokes the lease: a running handler's
            // later writes match no row.
            GK_TRY(exec(c,
                        "UPDATE jobs SET state = 'cancelled', lease_owner = NULL, lease_token = NULL, "
                        "lease_expires_at = NULL, input_expires_at = NULL, updated_at = $2, finished_at = $2 "
                        "WHERE id = $1",
                        {id, now}));
            GK_ASSIGN_OR_RETURN(JobRecord after, get_job(c, id));
            return CancelledJob{std::move(after), job.state};
        });
    }

    Result<JobRecord> pause(std::int64_t id, Timestamp now) override {
        return transition(id, "pause", {JobState::queued, JobState::failed_retrying},
                          "UPDATE jobs SET state = 'paused', updated_at = $2 WHERE id = $1", now);
    }

    Result<JobRecord> resume(std::int64_t id, Timestamp now) override {
        return transition(id, "resume", {JobState::paused},
                          "UPDATE jobs SET state = 'queued', updated_at = $2 WHERE id = $1", now);
    }

    Result<JobRecord> retry_now(std::int64_t id, Timestamp now) override {
        // A dead job used up its attempts; retrying it by hand grants a
        // fresh set. The others still have attempts left.
        Result<JobRecord> r = transition(id, "retry", {JobState::dead, JobState::failed_retrying, JobState::cancelled},
                                         "UPDATE jobs SET state = 'queued', run_at = $2, finished_at = NULL, "
                                         "attempts = CASE WHEN state = 'dead' THEN 0 ELSE attempts END, "
                                         "updated_at = $2 WHERE id = $1",
                                         now);
        if (!r && is_constraint_violation(r.error(), "unique")) {
            // Back to live while another live job took its idempotency key.
            return ::gramkit::fail(ErrorCode::conflict,
                                   "cannot retry " + job_name(id) +
                                       ": another live job has the same idempotency key",
                                   "idempotency_key");
        }
        return r;
    }

    Status remove(std::int64_t id) override {
        return with_connection(db_, [&](Connection& c) -> Status {
            // The state guard is in the DELETE itself, so a claim racing the
            // removal cannot slip in between a check and the delete.
            GK_ASSIGN_OR_RETURN(std::int64_t deleted,
                                exec(c, "DELETE FROM jobs WHERE id = $1 AND state <> 'running'", {id}));
            if (deleted > 0) return {};
            GK_ASSIGN_OR_RETURN(auto job, find_job(c, id));
            if (!job) return ::gramkit::fail(not_found("job", id));
            return ::gramkit::fail(ErrorCode::failed_precondition,
                                   "cannot delete " + job_name(id) + " while it is running; cancel it first", "state");
        });
    }

    Result<JobRecord> get(std::int64_t id) override {
        return with_connection(db_, [&](Connection& c) { return get_job(c, id); });
    }

    Result<Page<JobRecord>> list(const JobFilter& filter) override {
        GK_TRY(check_page_limit(filter.limit));
        SqlParams params;
        std::string sql =
            "SELECT " + std::string(kColumns) + " FROM jobs WHERE id > " + params.add(cursor_or_start(filter.after));
        if (filter.state) sql += " AND state = " + params.add(job_state_text(*filter.state));
        if (filter.kind) sql += " AND kind = " + params.add(std::string_view(*filter.kind));
        sql += " ORDER BY id LIMIT " + params.add(static_cast<std::int64_t>(filter.limit + 1));
        return with_connection(db_, [&](Connection& c) -> Result<Page<JobRecord>> {
            GK_ASSIGN_OR_RETURN(auto rows, query_rows<JobRecord>(c, sql, params.span(), decode_job));
            return to_page(std::move(rows), filter.limit, [](const JobRecord& r) { return r.id; });
        });
    }

    Result<std::map<std::string, std::int64_t>> count_by_state() override {
        std::map<std::string, std::int64_t> counts;
        for (const auto& [state, text] : kJobStateText) counts.emplace(std::string(text), 0);
        GK_TRY(with_connection(db_, [&](Connection& c) -> Status {
            return query(c, "SELECT state, COUNT(*) FROM jobs GROUP BY state", std::span<const Param>(), [&](const Row& r) -> Status {
                counts[r.text(0)] = r.i64(1);
                return {};
            });
        }));
        return counts;
    }

private:
    /// `kind IN ($k, ...)` for a non-empty kinds filter ("" otherwise).
    static std::string kinds_clause(SqlParams& params, std::span<const std::string> kinds) {
        if (kinds.empty()) return {};
        std::string clause = " AND kind IN (";
        for (std::size_t i = 0; i < kinds.size(); ++i) {
            if (i > 0) clause += ", ";
            clause += params.add(std::string_view(kinds[i]));
        }
        return clause + ")";
    }

    // PostgreSQL: one UPDATE for the whole batch (ids, tokens and results
    // as parallel arrays), so a batch costs one round trip; only the jobs
    // it did not match are looked at again, to say why.
    Result<std::vector<Status>> complete_many_postgres(std::span<const Completion> done, Timestamp now) {
        std::vector<std::int64_t> ids, tokens;
        std::vector<std::optional<std::string>> results;
        for (const Completion& d : done) {
            ids.push_back(d.id);
            tokens.push_back(d.token);
            results.push_back(d.result_json);
        }
        const std::string id_array = bigint_array(ids), token_array = bigint_array(tokens);
        const std::string result_array = text_array(results);
        static const std::string sql =
            "UPDATE jobs AS j SET state = 'succeeded', result = d.result, lease_owner = NULL, lease_token = NULL, "
            "lease_expires_at = NULL, updated_at = $4, finished_at = $4 "
            "FROM unnest(CAST($1 AS BIGINT[]), CAST($2 AS BIGINT[]), CAST($3 AS TEXT[])) AS d(id, token, result) "
            "WHERE j.id = d.id AND j.state = 'running' AND j.lease_token = d.token RETURNING j.id";
        return with_connection(db_, [&](Connection& c) -> Result<std::vector<Status>> {
            std::vector<std::int64_t> matched;
            GK_TRY(query(c, sql,
                         params_of({std::string_view(id_array), std::string_view(token_array),
                                    std::string_view(result_array), now}),
                         [&](const Row& r) -> Status {
                             matched.push_back(r.i64(0));
                             return {};
                         }));
            std::sort(matched.begin(), matched.end());
            std::vector<Status> out;
            out.reserve(done.size());
            for (const Completion& d : done) {
                if (std::binary_search(matched.begin(), matched.end(), d.id)) {
                    out.emplace_back();
                    continue;
                }
                // The same guarded write again: it matches nothing and
                // reports the reason (lease lost, not found).
                Status s = leased_write(c, kCompleteSql, params_of({d.id, d.token, d.result_json, now}), d.id);
                if (!s && s.error().code != ErrorCode::conflict && s.error().code != ErrorCode::not_found)
                    return ::gramkit::fail(std::move(s).error());
                out.push_back(std::move(s));
            }
            return out;
        });
    }

    Result<std::vector<JobRecord>> claim_postgres(std::string_view owner, std::size_t max, Timestamp expires,
                                                  Timestamp now, std::span<const std::string> kinds,
                                                  std::span<const std::int64_t> tokens) {
        const std::string token_array = bigint_array(tokens);

        SqlParams params;
        const std::string p_now = params.add(now);  // $1, as kClaimableWhere expects
        const std::string p_owner = params.add(owner);
        const std::string p_expires = params.add(expires);
        const std::string p_limit = params.add(static_cast<std::int64_t>(max));
        const std::string p_tokens = params.add(std::string_view(token_array));
        const std::string kind_filter = kinds_clause(params, kinds);
        // row_number() may not sit in the same SELECT as FOR UPDATE, hence
        // the extra level: `locked` locks, `picked` numbers in claim order.
        const std::string sql =
            "UPDATE jobs AS j SET state = 'running', attempts = j.attempts + 1, lease_owner = " + p_owner +
            ", lease_token = t.token, lease_expires_at = " + p_expires + ", updated_at = " + p_now +
            " FROM (SELECT id, row_number() OVER (ORDER BY priority DESC, run_at, id) AS n FROM ("
            "SELECT id, priority, run_at FROM jobs WHERE " + std::string(kClaimableWhere) + kind_filter +
            std::string(kClaimOrder) + " LIMIT " + p_limit + " FOR UPDATE SKIP LOCKED) AS locked) AS picked"
            " JOIN unnest(CAST(" + p_tokens + " AS BIGINT[])) WITH ORDINALITY AS t(token, n) ON t.n = picked.n"
            " WHERE j.id = picked.id RETURNING " + std::string(kColumnsJ);
        return with_connection(db_, [&](Connection& c) -> Result<std::vector<JobRecord>> {
            GK_ASSIGN_OR_RETURN(auto jobs, query_rows<JobRecord>(c, sql, params.span(), decode_job));
            std::sort(jobs.begin(), jobs.end(), claim_order_less);
            return jobs;
        });
    }

    Result<std::vector<JobRecord>> claim_sqlite(std::string_view owner, std::size_t max, Timestamp expires,
                                                Timestamp now, std::span<const std::string> kinds,
                                                std::span<const std::int64_t> tokens) {
        SqlParams params;
        params.add(now);  // $1, as kClaimableWhere expects
        const std::string kind_filter = kinds_clause(params, kinds);
        // INDEXED BY: without statistics SQLite plans this as a search of
        // jobs_state_idx per state plus a sort of every claimable row, which
        // costs O(queue) per claim; walking jobs_claim_idx in claim order
        // stops after LIMIT rows.
        const std::string select = "SELECT id FROM jobs INDEXED BY jobs_claim_idx WHERE " +
                                   std::string(kClaimableWhere) + kind_filter + std::string(kClaimOrder) +
                                   " LIMIT " + params.add(static_cast<std::int64_t>(max));
        static const std::string lease_sql =
            "UPDATE jobs SET state = 'running', attempts = attempts + 1, lease_owner = $2, lease_token = $3, "
            "lease_expires_at = $4, updated_at = $5 WHERE id = $1 RETURNING " +
            std::string(kColumns);
        return with_transaction(db_, [&](Connection& c) -> Result<std::vector<JobRecord>> {
            std::vector<std::int64_t> ids;
            GK_TRY(query(c, select, params.span(), [&](const Row& r) -> Status {
                ids.push_back(r.i64(0));
                return {};
            }));
            std::vector<JobRecord> jobs;
            jobs.reserve(ids.size());
            for (std::size_t i = 0; i < ids.size(); ++i) {
                GK_ASSIGN_OR_RETURN(auto job, query_optional<JobRecord>(c, lease_sql,
                                                                        params_of({ids[i], owner, tokens[i], expires, now}),
                                                                        decode_job));
                if (!job) return ::gramkit::fail(not_found("job", ids[i]));
                jobs.push_back(std::move(*job));
            }
            return jobs;
        });
    }

    /// A control transition: locks the row, checks its state is one of
    /// `allowed` (else `conflict` naming it), runs `update_sql` ($1 = id,
    /// $2 = now) and returns the new row.
    Result<JobRecord> transition(std::int64_t id, std::string_view action, std::initializer_list<JobState> allowed,
                                 std::string_view update_sql, Timestamp now) {
        return with_transaction(db_, [&](Connection& c) -> Result<JobRecord> {
            GK_ASSIGN_OR_RETURN(JobRecord job, get_job(c, id, /*lock=*/true));
            if (!state_in(job.state, allowed)) return ::gramkit::fail(illegal_transition(id, job.state, action));
            GK_TRY(exec(c, update_sql, {id, now}));
            return get_job(c, id);
        });
    }

    Database& db_;
};

}  // namespace

std::unique_ptr<JobRepository> make_sql_job_repository(Database& db) {
    return std::make_unique<SqlJobRepository>(db);
}

}  // namespace gramkit::storage
