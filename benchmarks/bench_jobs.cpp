// Job throughput through gramkit's durable job queue (storage::JobRepository)
// against a plain SQL loop doing the same SKIP LOCKED / write-transaction
// claim, on SQLite and PostgreSQL, measured in the same run (DESIGN.md §9,
// issue 6: ≥ 1.0× of the plain loop including completion, and batched claims
// ≥ 10× a Celery-class 1–2 k jobs/s, i.e. ≥ 10–20 k jobs/s).
//
//   build/h_bench2/benchmarks/bench_jobs --benchmark_repetitions=5 \
//       --benchmark_report_aggregates_only=true --benchmark_enable_random_interleaving=true
//
// PostgreSQL: GRAMKIT_BENCH_PG_URL, else GRAMKIT_TEST_POSTGRES_URL (what
// `eval "$(tools/testenv/postgres.sh start)"` exports). Without either, the
// PostgreSQL benchmarks report an error and the SQLite ones still run. The
// benchmark empties the `jobs` table of that database (TRUNCATE).
//
// Benchmarks: BM_Jobs/<backend>/<scope>/<claim>/<side>
//   backend  sqlite (a file in a temporary directory, WAL) or postgres
//   scope    cycle: one iteration = enqueue kJobs jobs, then claim and
//                   complete until a claim comes back empty — all timed
//                   (the enqueue → claim → complete)
//            drain: the same, with the enqueue done while timing is paused
//                   (claim + complete only, to see what the claim path alone
//                   reaches)
//   claim    single:  enqueue one job per call, claim(max = 1) + complete
//                     per job
//            batch100: enqueue 100 jobs per call (enqueue_many, one
//                     transaction), claim(max = 100) + complete_many of the
//                     batch
//   side     gramkit: Backend::open(url) → jobs().enqueue / enqueue_many /
//                     claim / complete / complete_many
//            raw:     the same work written directly against the C API
//                     (sqlite3 / libpq prepared statements), see below
//            raw_txn: (postgres/cycle/batch100 only) raw, but the batched
//                     enqueue is BEGIN + 100 single-row INSERTs + COMMIT,
//                     as gramkit's enqueue_many does it, instead of one
//                     multi-row INSERT
// items/s = jobs per second through the whole timed part. Every iteration
// starts from an empty table (emptied with timing paused) and reuses the same
// ids 1..kJobs, so the table and its indexes have the same shape on every
// iteration and for every benchmark; iteration order does not matter, which
// keeps --benchmark_enable_random_interleaving meaningful.
//
// Both sides: the schema made by gramkit's migrations (a Backend opens the
// database first; migration 7: OR chains instead of IN lists), the same rows
// (kind "bench.noop", payload "{}", priority 0, run_at = created_at = T0,
// max_attempts 1, no idempotency key), the same fixed `now` (T0 + 1 s; no
// clock reads), a 30 s lease, owner "bench-worker", a no-op handler (result
// NULL). Before timing, each side runs one untimed cycle of a few jobs so
// gramkit's lazily prepared statements are ready, as the raw side's are.
// Wall-clock time (UseRealTime): the database server is another process.
//
// The raw loop ("plain SQL loop"), as a competent engineer would write it
// against the same schema, and using every trick gramkit uses:
//   enqueue   single: the INSERT of JobRepository::enqueue without its
//             RETURNING (the loop does not need the row back), autocommit.
//             batch100, SQLite: BEGIN; the same prepared INSERT 100 times;
//             COMMIT (statements are in-process calls, one commit per batch).
//             batch100, PostgreSQL: one INSERT … SELECT FROM unnest(<eight
//             parallel arrays>) per 100 jobs: one round trip, every column
//             passed per row (raw_txn: BEGIN, 100 INSERTs, COMMIT).
//   SQLite    claim: exactly gramkit's statements: BEGIN IMMEDIATE; SELECT id
//             FROM jobs INDEXED BY jobs_claim_idx WHERE <claimable> ORDER BY
//             priority DESC, run_at, id LIMIT n; one UPDATE … RETURNING <all
//             columns> per picked row; COMMIT. Every column is copied into a
//             JobRecord, as the repository returns. Tokens: mt19937_64
//             (gramkit: the OS CSPRNG, one getrandom per claim).
//   PostgreSQL claim: the textbook single statement
//             UPDATE jobs SET ... WHERE id IN (SELECT id FROM jobs WHERE
//             <claimable> ORDER BY ... LIMIT n FOR UPDATE SKIP LOCKED)
//             RETURNING <all columns>, every column copied into a JobRecord.
//             The plain loop draws the lease token in SQL (random());
//             gramkit draws tokens from the OS CSPRNG in C++ and passes them
//             as an array joined by row number, so each token is
//             independently unpredictable (see sql_job_repository.cpp).
//   complete  the completion UPDATE guarded by `state = 'running' AND
//             lease_token = $token`, checked to have changed one row.
//             single: autocommit. batch100, SQLite: BEGIN … one UPDATE per
//             job … COMMIT (what complete_many does). batch100, PostgreSQL:
//             gramkit's one UPDATE jobs … FROM unnest(ids, tokens, results),
//             checked to have changed n rows (gramkit returns the matched
//             ids to give each job its own status).
// Claimable = the repository's WHERE clause, copied verbatim below.
#include <benchmark/benchmark.h>
#include <libpq-fe.h>
#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <optional>
#include <random>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "bench_support.hpp"
#include "storage/repositories.hpp"

namespace {

using gramkit::Duration;
using gramkit::Timestamp;
using gramkit::storage::Backend;
using gramkit::storage::JobRecord;
using gramkit::storage::JobRepository;
using gramkit::storage::JobState;
using gramkit::storage::NewJobRecord;

constexpr int kJobs = 1000;  // jobs per iteration
constexpr int kBatch = 100;  // enqueue and claim size of the batched variants
constexpr int kWarmupJobs = 3;
constexpr std::int64_t kT0 = 1'767'225'600'000'000;  // 2026-01-01T00:00:00Z in µs
constexpr std::int64_t kNow = kT0 + 1'000'000;
constexpr std::int64_t kLeaseUs = 30'000'000;
constexpr std::string_view kKind = "bench.noop";
constexpr std::string_view kPayload = "{}";
constexpr std::string_view kOwner = "bench-worker";

using gramkit::bench::die;
using gramkit::bench::TempDir;

enum class Db { sqlite, postgres };
enum class Scope { cycle, drain };
enum class Who { gramkit, raw, raw_txn };

struct Config {
    Db db;
    Scope scope;
    int batch;  // claim and enqueue size: 1 or kBatch
};

// --- temporary files ----------------------------------------------------------

TempDir& temp_dir() {
    static TempDir dir("gramkit-bench-jobs");
    return dir;
}

std::string fresh_sqlite_file() {
    static int counter = 0;
    return temp_dir().file("jobs-" + std::to_string(++counter) + ".db");
}

std::optional<std::string> postgres_url() {
    for (const char* var : {"GRAMKIT_BENCH_PG_URL", "GRAMKIT_TEST_POSTGRES_URL"}) {
        if (const char* v = std::getenv(var); v != nullptr && *v != '\0') return std::string(v);
    }
    return std::nullopt;
}

// --- shared SQL ---------------------------------------------------------------

// The repository's claimable predicate (sql_job_repository.cpp,
// kClaimableWhere, migration-7 form: OR chains repeating jobs_claim_idx's
// predicate), with $1 = now.
constexpr std::string_view kClaimableWhere =
    "(state = 'queued' OR state = 'failed_retrying' OR state = 'running') "
    "AND (((state = 'queued' OR state = 'failed_retrying') AND run_at <= $1) "
    "OR (state = 'running' AND lease_expires_at < $1 AND attempts < max_attempts))";

constexpr std::string_view kClaimOrder = " ORDER BY priority DESC, run_at, id";

constexpr std::string_view kColumns =
    "id, kind, payload, priority, run_at, attempts, max_attempts, state, lease_owner, lease_token, "
    "lease_expires_at, last_error, idempotency_key, progress, result, input, input_expires_at, created_at, "
    "updated_at, finished_at";

constexpr std::string_view kInsertSql =
    "INSERT INTO jobs (id, kind, payload, priority, run_at, attempts, max_attempts, state, "
    "idempotency_key, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, 0, $6, 'queued', $7, $8, $8)";

constexpr std::string_view kCompleteSql =
    "UPDATE jobs SET state = 'succeeded', result = $3, lease_owner = NULL, lease_token = NULL, "
    "lease_expires_at = NULL, updated_at = $4, finished_at = $4 "
    "WHERE id = $1 AND state = 'running' AND lease_token = $2";

// SQLite spells placeholders ?N.
std::string sqlite_placeholders(std::string_view sql) {
    std::string out(sql);
    for (char& ch : out) {
        if (ch == '$') ch = '?';
    }
    return out;
}

JobState state_from_text(std::string_view t) {
    auto s = gramkit::storage::job_state_from_text(t);
    if (!s) die("bad job state in row");
    return *s;
}

// Copies one row of kColumns into a JobRecord, as the repository does.
// `Cell` provides is_null(col), i64(col) and text(col) → string_view.
template <class Cell>
JobRecord decode_row(const Cell& c) {
    auto opt_text = [&](int col) { return c.is_null(col) ? std::nullopt : std::optional<std::string>(c.text(col)); };
    auto opt_i64 = [&](int col) { return c.is_null(col) ? std::nullopt : std::optional<std::int64_t>(c.i64(col)); };
    auto opt_time = [&](int col) {
        return c.is_null(col) ? std::nullopt : std::optional<Timestamp>(gramkit::from_micros(c.i64(col)));
    };
    JobRecord j;
    j.id = c.i64(0);
    j.kind = std::string(c.text(1));
    j.payload = std::string(c.text(2));
    j.priority = static_cast<int>(c.i64(3));
    j.run_at = gramkit::from_micros(c.i64(4));
    j.attempts = static_cast<int>(c.i64(5));
    j.max_attempts = static_cast<int>(c.i64(6));
    j.state = state_from_text(c.text(7));
    j.lease_owner = opt_text(8);
    j.lease_token = opt_i64(9);
    j.lease_expires_at = opt_time(10);
    j.last_error = opt_text(11);
    j.idempotency_key = opt_text(12);
    j.progress = opt_text(13);
    j.result = opt_text(14);
    j.input = opt_text(15);
    j.input_expires_at = opt_time(16);
    j.created_at = gramkit::from_micros(c.i64(17));
    j.updated_at = gramkit::from_micros(c.i64(18));
    j.finished_at = opt_time(19);
    return j;
}

// --- the side interface -----------------------------------------------------------

// One side of the comparison: what a producer and a worker loop need.
class Side {
public:
    virtual ~Side() = default;
    virtual void enqueue(std::int64_t id) = 0;
    /// Enqueues ids first .. first + n - 1 in one call (one transaction).
    virtual void enqueue_many(std::int64_t first, int n) = 0;
    /// Claims up to `max` jobs into `out` (cleared first).
    virtual void claim(int max, std::vector<JobRecord>& out) = 0;
    virtual void complete(const JobRecord& job) = 0;
    virtual void complete_many(const std::vector<JobRecord>& jobs) = 0;
};

// Empties the jobs table between iterations (timing paused).
class Cleaner {
public:
    virtual ~Cleaner() = default;
    virtual void empty_jobs() = 0;
};

// --- gramkit ------------------------------------------------------------------------

NewJobRecord bench_job(std::int64_t id) {
    NewJobRecord j;
    j.id = id;
    j.kind = std::string(kKind);
    j.payload = std::string(kPayload);
    j.priority = 0;
    j.run_at = gramkit::from_micros(kT0);
    j.max_attempts = 1;
    j.created_at = gramkit::from_micros(kT0);
    return j;
}

class GramkitSide final : public Side {
public:
    explicit GramkitSide(const std::string& url) {
        auto b = Backend::open(url);
        if (!b) die("Backend::open: " + b.error().to_string());
        backend_ = std::move(*b);
        jobs_ = &backend_->jobs();
    }

    void enqueue(std::int64_t id) override {
        auto r = jobs_->enqueue(bench_job(id));
        if (!r) die("enqueue: " + r.error().to_string());
    }

    void enqueue_many(std::int64_t first, int n) override {
        batch_.clear();
        for (int i = 0; i < n; ++i) batch_.push_back(bench_job(first + i));
        auto r = jobs_->enqueue_many(batch_);
        if (!r) die("enqueue_many: " + r.error().to_string());
        if (r->size() != static_cast<std::size_t>(n)) die("enqueue_many: wrong number of rows back");
    }

    void claim(int max, std::vector<JobRecord>& out) override {
        auto r = jobs_->claim(kOwner, static_cast<std::size_t>(max), Duration{kLeaseUs}, gramkit::from_micros(kNow));
        if (!r) die("claim: " + r.error().to_string());
        out = std::move(*r);
    }

    void complete(const JobRecord& job) override {
        auto s = jobs_->complete(job.id, *job.lease_token, std::nullopt, gramkit::from_micros(kNow));
        if (!s) die("complete: " + s.error().to_string());
    }

    void complete_many(const std::vector<JobRecord>& jobs) override {
        done_.clear();
        for (const JobRecord& j : jobs) done_.push_back({j.id, *j.lease_token, std::nullopt});
        auto r = jobs_->complete_many(done_, gramkit::from_micros(kNow));
        if (!r) die("complete_many: " + r.error().to_string());
        for (const auto& s : *r) {
            if (!s) die("complete_many element: " + s.error().to_string());
        }
    }

private:
    std::unique_ptr<Backend> backend_;
    JobRepository* jobs_ = nullptr;
    std::vector<NewJobRecord> batch_;
    std::vector<JobRepository::Completion> done_;
};

// --- raw sqlite3 --------------------------------------------------------------------

class SqliteStmt {
public:
    SqliteStmt(sqlite3* db, const std::string& sql) {
        if (sqlite3_prepare_v3(db, sql.c_str(), -1, SQLITE_PREPARE_PERSISTENT, &s_, nullptr) != SQLITE_OK) {
            die(std::string("prepare: ") + sqlite3_errmsg(db));
        }
    }
    ~SqliteStmt() { sqlite3_finalize(s_); }
    SqliteStmt(const SqliteStmt&) = delete;
    SqliteStmt& operator=(const SqliteStmt&) = delete;
    sqlite3_stmt* get() const noexcept { return s_; }

    void run() const {
        const int rc = sqlite3_step(s_);
        sqlite3_reset(s_);
        if (rc != SQLITE_DONE) die(std::string("step: ") + sqlite3_errstr(rc));
    }

private:
    sqlite3_stmt* s_ = nullptr;
};

struct SqliteCell {
    sqlite3_stmt* s;
    bool is_null(int c) const { return sqlite3_column_type(s, c) == SQLITE_NULL; }
    std::int64_t i64(int c) const { return sqlite3_column_int64(s, c); }
    std::string_view text(int c) const {
        const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(s, c));
        return {p != nullptr ? p : "", static_cast<std::size_t>(sqlite3_column_bytes(s, c))};
    }
};

// Opens a connection with the flags and PRAGMAs of gramkit's SQLite driver.
sqlite3* open_sqlite(const std::string& path) {
    sqlite3* db = nullptr;
    const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
    if (sqlite3_open_v2(path.c_str(), &db, flags, nullptr) != SQLITE_OK) die("sqlite3_open_v2 failed");
    sqlite3_extended_result_codes(db, 1);
    sqlite3_busy_timeout(db, 5000);
    if (sqlite3_exec(db, "PRAGMA foreign_keys=ON; PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;", nullptr,
                     nullptr, nullptr) != SQLITE_OK) {
        die(std::string("pragmas: ") + sqlite3_errmsg(db));
    }
    return db;
}

void bind_sv(sqlite3_stmt* s, int i, std::string_view v) {
    sqlite3_bind_text(s, i, v.data(), static_cast<int>(v.size()), SQLITE_STATIC);
}

class RawSqliteSide final : public Side {
public:
    explicit RawSqliteSide(const std::string& path) : db_(open_sqlite(path)) {
        begin_ = std::make_unique<SqliteStmt>(db_, "BEGIN IMMEDIATE");
        commit_ = std::make_unique<SqliteStmt>(db_, "COMMIT");
        insert_ = std::make_unique<SqliteStmt>(db_, sqlite_placeholders(kInsertSql));
        select_ = std::make_unique<SqliteStmt>(
            db_, sqlite_placeholders("SELECT id FROM jobs INDEXED BY jobs_claim_idx WHERE " +
                                     std::string(kClaimableWhere) + std::string(kClaimOrder) + " LIMIT $2"));
        lease_ = std::make_unique<SqliteStmt>(
            db_, sqlite_placeholders("UPDATE jobs SET state = 'running', attempts = attempts + 1, lease_owner = $2, "
                                     "lease_token = $3, lease_expires_at = $4, updated_at = $5 WHERE id = $1 "
                                     "RETURNING " + std::string(kColumns)));
        complete_ = std::make_unique<SqliteStmt>(db_, sqlite_placeholders(kCompleteSql));
    }
    ~RawSqliteSide() override {
        begin_.reset();
        commit_.reset();
        insert_.reset();
        select_.reset();
        lease_.reset();
        complete_.reset();
        sqlite3_close_v2(db_);
    }

    void enqueue(std::int64_t id) override { insert_one(id); }

    void enqueue_many(std::int64_t first, int n) override {
        begin_->run();
        for (int i = 0; i < n; ++i) insert_one(first + i);
        commit_->run();
    }

    void claim(int max, std::vector<JobRecord>& out) override {
        out.clear();
        ids_.clear();
        begin_->run();
        sqlite3_stmt* s = select_->get();
        sqlite3_bind_int64(s, 1, kNow);
        sqlite3_bind_int64(s, 2, max);
        int rc;
        while ((rc = sqlite3_step(s)) == SQLITE_ROW) ids_.push_back(sqlite3_column_int64(s, 0));
        sqlite3_reset(s);
        if (rc != SQLITE_DONE) die(std::string("claim select: ") + sqlite3_errstr(rc));
        sqlite3_stmt* u = lease_->get();
        for (std::int64_t id : ids_) {
            sqlite3_bind_int64(u, 1, id);
            bind_sv(u, 2, kOwner);
            sqlite3_bind_int64(u, 3, static_cast<std::int64_t>(rng_()));
            sqlite3_bind_int64(u, 4, kNow + kLeaseUs);
            sqlite3_bind_int64(u, 5, kNow);
            rc = sqlite3_step(u);
            if (rc != SQLITE_ROW) {
                sqlite3_reset(u);
                die(std::string("claim update: ") + sqlite3_errstr(rc));
            }
            out.push_back(decode_row(SqliteCell{u}));
            rc = sqlite3_step(u);
            sqlite3_reset(u);
            if (rc != SQLITE_DONE) die(std::string("claim update: ") + sqlite3_errstr(rc));
        }
        commit_->run();
    }

    void complete(const JobRecord& job) override { complete_one(job); }

    void complete_many(const std::vector<JobRecord>& jobs) override {
        begin_->run();
        for (const JobRecord& j : jobs) complete_one(j);
        commit_->run();
    }

private:
    void insert_one(std::int64_t id) {
        sqlite3_stmt* s = insert_->get();
        sqlite3_bind_int64(s, 1, id);
        bind_sv(s, 2, kKind);
        bind_sv(s, 3, kPayload);
        sqlite3_bind_int64(s, 4, 0);
        sqlite3_bind_int64(s, 5, kT0);
        sqlite3_bind_int64(s, 6, 1);
        sqlite3_bind_null(s, 7);
        sqlite3_bind_int64(s, 8, kT0);
        insert_->run();
    }

    void complete_one(const JobRecord& j) {
        sqlite3_stmt* s = complete_->get();
        sqlite3_bind_int64(s, 1, j.id);
        sqlite3_bind_int64(s, 2, *j.lease_token);
        sqlite3_bind_null(s, 3);
        sqlite3_bind_int64(s, 4, kNow);
        complete_->run();
        if (sqlite3_changes(db_) != 1) die("complete: lease lost");
    }

    sqlite3* db_ = nullptr;
    std::unique_ptr<SqliteStmt> begin_, commit_, insert_, select_, lease_, complete_;
    std::vector<std::int64_t> ids_;
    std::mt19937_64 rng_{42};
};

class SqliteCleaner final : public Cleaner {
public:
    explicit SqliteCleaner(const std::string& path) : db_(open_sqlite(path)) {}
    ~SqliteCleaner() override { sqlite3_close_v2(db_); }
    void empty_jobs() override {
        if (sqlite3_exec(db_, "DELETE FROM jobs", nullptr, nullptr, nullptr) != SQLITE_OK) {
            die(std::string("DELETE FROM jobs: ") + sqlite3_errmsg(db_));
        }
    }

private:
    sqlite3* db_ = nullptr;
};

// --- raw libpq ------------------------------------------------------------------------

struct PgResultDeleter {
    void operator()(PGresult* r) const noexcept { PQclear(r); }
};
using PgResult = std::unique_ptr<PGresult, PgResultDeleter>;

PGconn* connect_pg(const std::string& url) {
    PGconn* c = PQconnectdb(url.c_str());
    if (PQstatus(c) != CONNECTION_OK) {
        std::string why = PQerrorMessage(c);
        PQfinish(c);
        die("PQconnectdb: " + why);
    }
    return c;
}

PgResult pg_check(PGconn* c, PGresult* r, const char* what) {
    PgResult res(r);
    const ExecStatusType st = PQresultStatus(r);
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) die(std::string(what) + ": " + PQerrorMessage(c));
    return res;
}

struct PgCell {
    const PGresult* r;
    int row;
    bool is_null(int c) const { return PQgetisnull(r, row, c) != 0; }
    std::int64_t i64(int c) const { return std::strtoll(PQgetvalue(r, row, c), nullptr, 10); }
    std::string_view text(int c) const {
        return {PQgetvalue(r, row, c), static_cast<std::size_t>(PQgetlength(r, row, c))};
    }
};

// PostgreSQL array literals ("{a,b,...}"), passed as text parameters.
void append_array_element(std::string& out, std::string_view v, bool quote) {
    if (out.size() > 1) out += ',';
    if (!quote) {
        out += v;
        return;
    }
    out += '"';
    for (char ch : v) {
        if (ch == '"' || ch == '\\') out += '\\';
        out += ch;
    }
    out += '"';
}

class RawPgSide final : public Side {
public:
    RawPgSide(const std::string& url, bool txn_enqueue) : c_(connect_pg(url)), txn_enqueue_(txn_enqueue) {
        prepare("ins", std::string(kInsertSql));
        // A batch of jobs in one statement: every column as a parallel array.
        prepare("ins_many",
                "INSERT INTO jobs (id, kind, payload, priority, run_at, attempts, max_attempts, state, "
                "idempotency_key, created_at, updated_at) "
                "SELECT id, kind, payload, priority, run_at, 0, max_attempts, 'queued', idempotency_key, "
                "created_at, created_at FROM unnest(CAST($1 AS BIGINT[]), CAST($2 AS TEXT[]), CAST($3 AS TEXT[]), "
                "CAST($4 AS INTEGER[]), CAST($5 AS BIGINT[]), CAST($6 AS INTEGER[]), CAST($7 AS TEXT[]), "
                "CAST($8 AS BIGINT[])) AS t(id, kind, payload, priority, run_at, max_attempts, idempotency_key, "
                "created_at)");
        // The textbook SKIP LOCKED claim. The token: random() is in [0, 1),
        // scaled below 2^63.
        prepare("claim",
                "UPDATE jobs SET state = 'running', attempts = attempts + 1, lease_owner = $2, "
                "lease_token = CAST(random() * 9.0e18 AS BIGINT), lease_expires_at = $3, updated_at = $1 "
                "WHERE id IN (SELECT id FROM jobs WHERE " + std::string(kClaimableWhere) +
                    std::string(kClaimOrder) + " LIMIT $4 FOR UPDATE SKIP LOCKED) RETURNING " +
                    std::string(kColumns));
        prepare("complete", std::string(kCompleteSql));
        // gramkit's batched completion: one statement per batch.
        prepare("complete_many",
                "UPDATE jobs AS j SET state = 'succeeded', result = d.result, lease_owner = NULL, "
                "lease_token = NULL, lease_expires_at = NULL, updated_at = $4, finished_at = $4 "
                "FROM unnest(CAST($1 AS BIGINT[]), CAST($2 AS BIGINT[]), CAST($3 AS TEXT[])) AS d(id, token, result) "
                "WHERE j.id = d.id AND j.state = 'running' AND j.lease_token = d.token");
    }
    ~RawPgSide() override { PQfinish(c_); }

    void enqueue(std::int64_t id) override { insert_one(id); }

    void enqueue_many(std::int64_t first, int n) override {
        if (txn_enqueue_) {
            pg_check(c_, PQexec(c_, "BEGIN"), "BEGIN");
            for (int i = 0; i < n; ++i) insert_one(first + i);
            pg_check(c_, PQexec(c_, "COMMIT"), "COMMIT");
            return;
        }
        std::string a[8];
        for (std::string& s : a) s = "{";
        for (int i = 0; i < n; ++i) {
            append_array_element(a[0], std::to_string(first + i), false);
            append_array_element(a[1], kKind, true);
            append_array_element(a[2], kPayload, true);
            append_array_element(a[3], "0", false);
            append_array_element(a[4], t0_, false);
            append_array_element(a[5], "1", false);
            append_array_element(a[6], "NULL", false);  // no idempotency key
            append_array_element(a[7], t0_, false);
        }
        const char* v[8];
        for (int i = 0; i < 8; ++i) {
            a[i] += '}';
            v[i] = a[i].c_str();
        }
        PgResult r = exec("ins_many", 8, v, "insert many");
        if (std::string_view(PQcmdTuples(r.get())) != std::to_string(n)) die("insert many: wrong row count");
    }

    void claim(int max, std::vector<JobRecord>& out) override {
        out.clear();
        const std::string n = std::to_string(max);
        const char* v[4] = {now_.c_str(), kOwner.data(), expires_.c_str(), n.c_str()};
        PgResult r = exec("claim", 4, v, "claim");
        const int rows = PQntuples(r.get());
        out.reserve(static_cast<std::size_t>(rows));
        for (int i = 0; i < rows; ++i) out.push_back(decode_row(PgCell{r.get(), i}));
        // RETURNING has no order; the claim order is priority DESC, run_at,
        // id (all equal but id here), as the repository sorts it.
        std::sort(out.begin(), out.end(), [](const JobRecord& a, const JobRecord& b) {
            if (a.priority != b.priority) return a.priority > b.priority;
            if (a.run_at != b.run_at) return a.run_at < b.run_at;
            return a.id < b.id;
        });
    }

    void complete(const JobRecord& job) override {
        const std::string id = std::to_string(job.id);
        const std::string token = std::to_string(*job.lease_token);
        const char* v[4] = {id.c_str(), token.c_str(), nullptr, now_.c_str()};
        PgResult r = exec("complete", 4, v, "complete");
        if (std::string_view(PQcmdTuples(r.get())) != "1") die("complete: lease lost");
    }

    void complete_many(const std::vector<JobRecord>& jobs) override {
        std::string ids = "{", tokens = "{", results = "{";
        for (const JobRecord& j : jobs) {
            append_array_element(ids, std::to_string(j.id), false);
            append_array_element(tokens, std::to_string(*j.lease_token), false);
            append_array_element(results, "NULL", false);  // no-op handler: no result
        }
        ids += '}';
        tokens += '}';
        results += '}';
        const char* v[4] = {ids.c_str(), tokens.c_str(), results.c_str(), now_.c_str()};
        PgResult r = exec("complete_many", 4, v, "complete many");
        if (std::string_view(PQcmdTuples(r.get())) != std::to_string(jobs.size())) die("complete many: lease lost");
    }

private:
    void prepare(const char* name, const std::string& sql) {
        pg_check(c_, PQprepare(c_, name, sql.c_str(), 0, nullptr), name);
    }
    PgResult exec(const char* name, int n, const char* const* values, const char* what) {
        return pg_check(c_, PQexecPrepared(c_, name, n, values, nullptr, nullptr, 0), what);
    }
    void insert_one(std::int64_t id) {
        const std::string ids = std::to_string(id);
        const char* v[8] = {ids.c_str(), kKind.data(), kPayload.data(), "0", t0_.c_str(), "1", nullptr, t0_.c_str()};
        exec("ins", 8, v, "insert");
    }

    PGconn* c_ = nullptr;
    bool txn_enqueue_ = false;
    const std::string t0_ = std::to_string(kT0);
    const std::string now_ = std::to_string(kNow);
    const std::string expires_ = std::to_string(kNow + kLeaseUs);
};

class PgCleaner final : public Cleaner {
public:
    explicit PgCleaner(const std::string& url) : c_(connect_pg(url)) {}
    ~PgCleaner() override { PQfinish(c_); }
    void empty_jobs() override { pg_check(c_, PQexec(c_, "TRUNCATE jobs"), "TRUNCATE jobs"); }

private:
    PGconn* c_ = nullptr;
};

// --- the benchmark ----------------------------------------------------------------------

// Claims and completes until a claim comes back empty; returns the jobs done.
__attribute__((noinline)) int drain(Side& side, int batch, std::vector<JobRecord>& claimed) {
    int done = 0;
    for (;;) {
        side.claim(batch, claimed);
        if (claimed.empty()) return done;
        if (batch == 1) {
            side.complete(claimed.front());
        } else {
            side.complete_many(claimed);
        }
        done += static_cast<int>(claimed.size());
    }
}

// Enqueues ids 1..n: one per call (batch 1) or `batch` per enqueue_many.
__attribute__((noinline)) void enqueue_all(Side& side, int n, int batch) {
    if (batch == 1) {
        for (int i = 1; i <= n; ++i) side.enqueue(i);
        return;
    }
    for (int first = 1; first <= n; first += batch) side.enqueue_many(first, std::min(batch, n - first + 1));
}

void run_jobs(benchmark::State& state, Config cfg, Who who) {
    std::string url;
    std::string sqlite_path;
    if (cfg.db == Db::postgres) {
        auto pg = postgres_url();
        if (!pg) {
            state.SkipWithError("no PostgreSQL: set GRAMKIT_BENCH_PG_URL or GRAMKIT_TEST_POSTGRES_URL");
            return;
        }
        url = *pg;
    } else {
        sqlite_path = fresh_sqlite_file();
        url = "sqlite://" + sqlite_path;
    }
    try {
        // gramkit makes the schema (migrations) before anything else connects.
        std::unique_ptr<Side> side;
        if (who == Who::gramkit) {
            side = std::make_unique<GramkitSide>(url);
        } else {
            {
                auto b = Backend::open(url);
                if (!b) die("Backend::open: " + b.error().to_string());
            }
            if (cfg.db == Db::postgres) {
                side = std::make_unique<RawPgSide>(url, who == Who::raw_txn);
            } else {
                side = std::make_unique<RawSqliteSide>(sqlite_path);
            }
        }
        std::unique_ptr<Cleaner> cleaner;
        if (cfg.db == Db::postgres) {
            cleaner = std::make_unique<PgCleaner>(url);
        } else {
            cleaner = std::make_unique<SqliteCleaner>(sqlite_path);
        }

        std::vector<JobRecord> claimed;
        claimed.reserve(static_cast<std::size_t>(cfg.batch));
        // Untimed warm-up: prepares every statement of the cycle.
        cleaner->empty_jobs();
        enqueue_all(*side, kWarmupJobs, cfg.batch);
        if (drain(*side, cfg.batch, claimed) != kWarmupJobs) die("warm-up did not finish every job");
        cleaner->empty_jobs();

        for (auto _ : state) {
            if (cfg.scope == Scope::drain) {
                state.PauseTiming();
                enqueue_all(*side, kJobs, cfg.batch);
                state.ResumeTiming();
            } else {
                enqueue_all(*side, kJobs, cfg.batch);
            }
            const int done = drain(*side, cfg.batch, claimed);
            state.PauseTiming();
            if (done != kJobs) die("finished " + std::to_string(done) + " of " + std::to_string(kJobs) + " jobs");
            cleaner->empty_jobs();
            state.ResumeTiming();
        }
        state.SetItemsProcessed(state.iterations() * kJobs);
    } catch (const std::exception& e) {
        state.SkipWithError(e.what());
    }
}

// GRAMKIT_BENCH_ITERATIONS=N runs every benchmark exactly N iterations, for
// instruction counting under callgrind (see bench_storage.cpp).
void fixed_iterations(benchmark::internal::Benchmark* b) {
    if (const char* n = std::getenv("GRAMKIT_BENCH_ITERATIONS"); n != nullptr && std::atoll(n) > 0) {
        b->Iterations(std::atoll(n));
    }
}

void register_all() {
    for (Db db : {Db::sqlite, Db::postgres}) {
        for (Scope scope : {Scope::cycle, Scope::drain}) {
            for (int batch : {1, kBatch}) {
                for (Who who : {Who::gramkit, Who::raw, Who::raw_txn}) {
                    // raw_txn differs from raw only in the batched PostgreSQL
                    // enqueue, which only the cycle times.
                    if (who == Who::raw_txn && !(db == Db::postgres && scope == Scope::cycle && batch == kBatch)) {
                        continue;
                    }
                    const std::string name = std::string("BM_Jobs/") + (db == Db::sqlite ? "sqlite" : "postgres") +
                                             (scope == Scope::cycle ? "/cycle" : "/drain") +
                                             (batch == 1 ? "/single" : "/batch100") +
                                             (who == Who::gramkit ? "/gramkit"
                                              : who == Who::raw   ? "/raw"
                                                                  : "/raw_txn");
                    const Config cfg{db, scope, batch};
                    benchmark::RegisterBenchmark(name.c_str(),
                                                 [cfg, who](benchmark::State& s) { run_jobs(s, cfg, who); })
                        ->UseRealTime()
                        ->Unit(benchmark::kMillisecond)
                        ->Apply(fixed_iterations);
                }
            }
        }
    }
}

}  // namespace

int main(int argc, char** argv) {
    register_all();
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
