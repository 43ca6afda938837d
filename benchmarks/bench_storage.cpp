// Account writes and point reads through gramkit's SQLite backend, against a
// raw sqlite3 C API loop on the same schema, measured in the same run
// (DESIGN.md §9, issue 2: goals ≥ 0.85× raw for batched inserts, ≥ 0.9× raw
// for point reads).
//
//   build/dev/benchmarks/bench_storage --benchmark_repetitions=5 \
//       --benchmark_report_aggregates_only=true
//
// Both sides use the schema made by gramkit's migrations, the same
// connection flags (SQLITE_OPEN_NOMUTEX, busy_timeout 5 s) and the same
// PRAGMAs (journal_mode=WAL, synchronous=NORMAL, foreign_keys=ON), on files
// in a temporary directory.
//
// Inserts. AccountRepository::insert writes the account row, its labels and
// the first status-history row in one transaction of its own;
// insert_many writes a whole batch in one transaction (what
// AccountService::create_many and accounts.create_many use). One iteration
// inserts a batch of 100 accounts with two labels each:
//   BM_Insert_Gramkit          100 × repository insert (100 transactions)
//   BM_Insert_RawTxPerAccount  the same 4 INSERTs per account, each account
//                              in its own BEGIN IMMEDIATE … COMMIT — the
//                              baseline of BM_Insert_Gramkit
//   BM_InsertMany_Gramkit      one insert_many of the batch (1 transaction)
//   BM_Insert_RawOneTxPerBatch the same 400 INSERTs in one transaction per
//                              batch — the baseline of BM_InsertMany_Gramkit
//                              (the "batched inserts" goal)
// Point reads. AccountRepository::get returns the account with its labels;
// the raw loop runs the same SELECT (accounts LEFT JOIN account_labels by
// id) through a prepared statement and copies every column into an
// equivalent struct (strings copied, status decoded, labels sorted). Both
// read the same database file of 10 000 accounts in the same pseudo-random
// id order.
#include <benchmark/benchmark.h>
#include <sqlite3.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "bench_support.hpp"
#include "gramkit/crypto.hpp"
#include "storage/repositories.hpp"

namespace {

using gramkit::Account;
using gramkit::AccountStatus;
using gramkit::storage::AccountRecord;
using gramkit::storage::Backend;

constexpr int kBatch = 100;
constexpr int kReadAccounts = 10'000;
constexpr std::int64_t kCreatedAt = 1'767'225'600'000'000;  // 2026-01-01T00:00:00Z in µs

using gramkit::bench::die;
using gramkit::bench::TempDir;

// --- temporary files -----------------------------------------------------------

TempDir& temp_dir() {
    static TempDir dir("gramkit-bench");
    return dir;
}

std::string fresh_file(const std::string& stem) {
    static int counter = 0;
    return temp_dir().file(stem + "-" + std::to_string(++counter) + ".db");
}

// --- data ----------------------------------------------------------------------

// A real envelope of a typical password (the repository stores envelopes as
// opaque text; sealing is the services' work and not measured here).
const std::string& password_envelope() {
    static const std::string envelope = [] {
        gramkit::crypto::KeyRing ring;
        if (!ring.generate_key("k1")) die("cannot generate a key");
        auto sealed = ring.seal("correct horse battery staple 42", "accounts/password/1");
        if (!sealed) die("cannot seal");
        return *sealed;
    }();
    return envelope;
}

AccountRecord make_record(std::int64_t id) {
    AccountRecord r;
    Account& a = r.account;
    a.id = id;
    a.username = "bench_user_" + std::to_string(id);
    a.email = "user" + std::to_string(id) + "@example.com";
    a.labels = {"bench", "batch-" + std::to_string(id % 7)};
    std::sort(a.labels.begin(), a.labels.end());
    a.status = AccountStatus::active;
    a.status_reason = "created";
    a.created_at = gramkit::from_micros(kCreatedAt + id);
    a.updated_at = a.created_at;
    r.password_envelope = password_envelope();
    return r;
}

// The records of one batch, built before timing starts.
std::vector<AccountRecord> make_batch(std::int64_t first_id) {
    std::vector<AccountRecord> batch;
    batch.reserve(kBatch);
    for (int i = 0; i < kBatch; ++i) batch.push_back(make_record(first_id + i));
    return batch;
}

// Opens a gramkit backend on `path`: creates the file and the schema.
std::unique_ptr<Backend> open_backend(const std::string& path) {
    auto backend = Backend::open("sqlite://" + path);
    if (!backend) die("Backend::open: " + backend.error().to_string());
    return std::move(*backend);
}

// --- the raw sqlite3 side ---------------------------------------------------------

class RawStmt {
public:
    RawStmt(sqlite3* db, const char* sql) {
        if (sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &s_, nullptr) != SQLITE_OK) {
            die(std::string("prepare: ") + sqlite3_errmsg(db));
        }
    }
    ~RawStmt() { sqlite3_finalize(s_); }
    RawStmt(const RawStmt&) = delete;
    RawStmt& operator=(const RawStmt&) = delete;
    sqlite3_stmt* get() const noexcept { return s_; }

    // Runs a statement that returns no rows.
    void run() const {
        const int rc = sqlite3_step(s_);
        sqlite3_reset(s_);
        if (rc != SQLITE_DONE) die(std::string("step: ") + sqlite3_errstr(rc));
    }

private:
    sqlite3_stmt* s_ = nullptr;
};

void bind_text(sqlite3_stmt* s, int i, const std::string& v) {
    sqlite3_bind_text(s, i, v.data(), static_cast<int>(v.size()), SQLITE_STATIC);
}
void bind_opt_text(sqlite3_stmt* s, int i, const std::optional<std::string>& v) {
    if (v) bind_text(s, i, *v); else sqlite3_bind_null(s, i);
}
void bind_opt_int(sqlite3_stmt* s, int i, const std::optional<std::int64_t>& v) {
    if (v) sqlite3_bind_int64(s, i, *v); else sqlite3_bind_null(s, i);
}

std::string_view status_text(AccountStatus s) {
    switch (s) {
        case AccountStatus::active: return "active";
        case AccountStatus::paused: return "paused";
        case AccountStatus::cooldown: return "cooldown";
        case AccountStatus::challenge_required: return "challenge_required";
        case AccountStatus::login_failed: return "login_failed";
        case AccountStatus::disabled: return "disabled";
    }
    return "";
}

AccountStatus status_from_text(std::string_view t) {
    for (auto s : {AccountStatus::active, AccountStatus::paused, AccountStatus::cooldown,
                   AccountStatus::challenge_required, AccountStatus::login_failed, AccountStatus::disabled}) {
        if (status_text(s) == t) return s;
    }
    die("bad status in row");
}

// A raw connection with the same flags and PRAGMAs as gramkit's SQLite
// driver, and the statements an account insert and a point read need.
class RawDb {
public:
    explicit RawDb(const std::string& path) {
        const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
        if (sqlite3_open_v2(path.c_str(), &db_, flags, nullptr) != SQLITE_OK) die("sqlite3_open_v2 failed");
        sqlite3_extended_result_codes(db_, 1);
        sqlite3_busy_timeout(db_, 5000);
        if (sqlite3_exec(db_, "PRAGMA foreign_keys=ON; PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
                         nullptr, nullptr, nullptr) != SQLITE_OK) {
            die(std::string("pragmas: ") + sqlite3_errmsg(db_));
        }
        begin_ = std::make_unique<RawStmt>(db_, "BEGIN IMMEDIATE");
        commit_ = std::make_unique<RawStmt>(db_, "COMMIT");
        insert_account_ = std::make_unique<RawStmt>(
            db_,
            "INSERT INTO accounts (id, username, email, password, totp_seed, status, status_reason, "
            "cooldown_until, proxy_id, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)");
        insert_label_ = std::make_unique<RawStmt>(db_, "INSERT INTO account_labels (account_id, label) VALUES (?1, ?2)");
        insert_history_ = std::make_unique<RawStmt>(
            db_,
            "INSERT INTO account_status_history (account_id, from_status, to_status, reason, cooldown_until, "
            "changed_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
        select_ = std::make_unique<RawStmt>(
            db_,
            "SELECT a.*, l.label FROM (SELECT id, username, email, password, totp_seed, status, status_reason, "
            "cooldown_until, proxy_id, created_at, updated_at FROM accounts WHERE id = ?1) a "
            "LEFT JOIN account_labels l ON l.account_id = a.id ORDER BY a.id");
    }
    ~RawDb() {
        begin_.reset();
        commit_.reset();
        insert_account_.reset();
        insert_label_.reset();
        insert_history_.reset();
        select_.reset();
        sqlite3_close_v2(db_);
    }
    RawDb(const RawDb&) = delete;
    RawDb& operator=(const RawDb&) = delete;

    void begin() { begin_->run(); }
    void commit() { commit_->run(); }

    // The rows AccountRepository::insert writes: account, labels, history.
    void insert_rows(const AccountRecord& r) {
        const Account& a = r.account;
        const std::string status(status_text(a.status));
        sqlite3_stmt* s = insert_account_->get();
        sqlite3_bind_int64(s, 1, a.id);
        bind_text(s, 2, a.username);
        bind_opt_text(s, 3, a.email);
        bind_text(s, 4, r.password_envelope);
        bind_opt_text(s, 5, r.totp_envelope);
        bind_text(s, 6, status);
        bind_text(s, 7, a.status_reason);
        bind_opt_int(s, 8, a.cooldown_until ? std::optional<std::int64_t>(gramkit::to_micros(*a.cooldown_until))
                                            : std::nullopt);
        bind_opt_int(s, 9, a.proxy_id);
        sqlite3_bind_int64(s, 10, gramkit::to_micros(a.created_at));
        sqlite3_bind_int64(s, 11, gramkit::to_micros(a.updated_at));
        insert_account_->run();

        sqlite3_stmt* l = insert_label_->get();
        for (const std::string& label : a.labels) {
            sqlite3_bind_int64(l, 1, a.id);
            bind_text(l, 2, label);
            insert_label_->run();
        }

        sqlite3_stmt* h = insert_history_->get();
        sqlite3_bind_int64(h, 1, a.id);
        bind_text(h, 2, status);
        bind_text(h, 3, status);
        sqlite3_bind_text(h, 4, "created", -1, SQLITE_STATIC);
        sqlite3_bind_null(h, 5);
        sqlite3_bind_int64(h, 6, gramkit::to_micros(a.created_at));
        insert_history_->run();
    }

    // Reads one account with its labels into `out`; false if it is missing.
    bool get(std::int64_t id, AccountRecord& out) {
        sqlite3_stmt* s = select_->get();
        sqlite3_bind_int64(s, 1, id);
        bool found = false;
        int rc;
        while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
            if (!found) {
                found = true;
                Account& a = out.account;
                a.id = sqlite3_column_int64(s, 0);
                a.username = text(s, 1);
                a.email = opt_text(s, 2);
                out.password_envelope = text(s, 3);
                out.totp_envelope = opt_text(s, 4);
                a.has_totp_seed = out.totp_envelope.has_value();
                a.status = status_from_text(text(s, 5));
                a.status_reason = text(s, 6);
                a.cooldown_until = sqlite3_column_type(s, 7) == SQLITE_NULL
                                       ? std::nullopt
                                       : std::optional(gramkit::from_micros(sqlite3_column_int64(s, 7)));
                a.proxy_id = sqlite3_column_type(s, 8) == SQLITE_NULL
                                 ? std::nullopt
                                 : std::optional<std::int64_t>(sqlite3_column_int64(s, 8));
                a.created_at = gramkit::from_micros(sqlite3_column_int64(s, 9));
                a.updated_at = gramkit::from_micros(sqlite3_column_int64(s, 10));
                a.labels.clear();
            }
            if (sqlite3_column_type(s, 11) != SQLITE_NULL) out.account.labels.push_back(text(s, 11));
        }
        sqlite3_reset(s);
        if (rc != SQLITE_DONE) die(std::string("select: ") + sqlite3_errstr(rc));
        std::sort(out.account.labels.begin(), out.account.labels.end());
        return found;
    }

private:
    static std::string text(sqlite3_stmt* s, int col) {
        const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(s, col));
        return std::string(p != nullptr ? p : "", static_cast<std::size_t>(sqlite3_column_bytes(s, col)));
    }
    static std::optional<std::string> opt_text(sqlite3_stmt* s, int col) {
        if (sqlite3_column_type(s, col) == SQLITE_NULL) return std::nullopt;
        return text(s, col);
    }

    sqlite3* db_ = nullptr;
    std::unique_ptr<RawStmt> begin_, commit_, insert_account_, insert_label_, insert_history_, select_;
};

// A raw database file with gramkit's schema: gramkit creates it, then lets go.
std::unique_ptr<RawDb> open_raw_with_schema(const std::string& path) {
    open_backend(path).reset();
    return std::make_unique<RawDb>(path);
}

// --- inserts ----------------------------------------------------------------------

void BM_Insert_Gramkit(benchmark::State& state) {
    auto backend = open_backend(fresh_file("insert-gramkit"));
    auto& accounts = backend->accounts();
    std::int64_t next_id = 1;
    for (auto _ : state) {
        state.PauseTiming();
        const auto batch = make_batch(next_id);
        next_id += kBatch;
        state.ResumeTiming();
        for (const auto& r : batch) {
            if (auto s = accounts.insert(r); !s) {
                state.SkipWithError(s.error().to_string().c_str());
                return;
            }
        }
    }
    state.SetItemsProcessed(state.iterations() * kBatch);
}

void BM_InsertMany_Gramkit(benchmark::State& state) {
    auto backend = open_backend(fresh_file("insert-many-gramkit"));
    auto& accounts = backend->accounts();
    std::int64_t next_id = 1;
    for (auto _ : state) {
        state.PauseTiming();
        const auto batch = make_batch(next_id);
        next_id += kBatch;
        state.ResumeTiming();
        if (auto s = accounts.insert_many(batch); !s) {
            state.SkipWithError(s.error().to_string().c_str());
            return;
        }
    }
    state.SetItemsProcessed(state.iterations() * kBatch);
}

void BM_Insert_RawTxPerAccount(benchmark::State& state) {
    auto raw = open_raw_with_schema(fresh_file("insert-raw-tx"));
    std::int64_t next_id = 1;
    for (auto _ : state) {
        state.PauseTiming();
        const auto batch = make_batch(next_id);
        next_id += kBatch;
        state.ResumeTiming();
        for (const auto& r : batch) {
            raw->begin();
            raw->insert_rows(r);
            raw->commit();
        }
    }
    state.SetItemsProcessed(state.iterations() * kBatch);
}

void BM_Insert_RawOneTxPerBatch(benchmark::State& state) {
    auto raw = open_raw_with_schema(fresh_file("insert-raw-batch"));
    std::int64_t next_id = 1;
    for (auto _ : state) {
        state.PauseTiming();
        const auto batch = make_batch(next_id);
        next_id += kBatch;
        state.ResumeTiming();
        raw->begin();
        for (const auto& r : batch) raw->insert_rows(r);
        raw->commit();
    }
    state.SetItemsProcessed(state.iterations() * kBatch);
}

// --- point reads ------------------------------------------------------------------

// One database of kReadAccounts accounts, shared by both read benchmarks, and
// the pseudo-random order in which both look them up.
struct ReadFixture {
    std::string path;
    std::vector<std::int64_t> ids;
};

const ReadFixture& read_fixture() {
    static const ReadFixture fixture = [] {
        ReadFixture f;
        f.path = fresh_file("read");
        {
            auto raw = open_raw_with_schema(f.path);
            raw->begin();
            for (int i = 1; i <= kReadAccounts; ++i) raw->insert_rows(make_record(i));
            raw->commit();
        }
        f.ids.resize(kReadAccounts);
        for (int i = 0; i < kReadAccounts; ++i) f.ids[static_cast<std::size_t>(i)] = i + 1;
        std::mt19937_64 rng(42);
        std::shuffle(f.ids.begin(), f.ids.end(), rng);
        return f;
    }();
    return fixture;
}

void BM_GetById_Gramkit(benchmark::State& state) {
    const auto& fixture = read_fixture();
    auto backend = open_backend(fixture.path);
    auto& accounts = backend->accounts();
    std::size_t i = 0;
    for (auto _ : state) {
        auto r = accounts.get(fixture.ids[i]);
        if (!r) {
            state.SkipWithError(r.error().to_string().c_str());
            return;
        }
        benchmark::DoNotOptimize(r->account.username.data());
        if (++i == fixture.ids.size()) i = 0;
    }
    state.SetItemsProcessed(state.iterations());
}

void BM_GetById_Raw(benchmark::State& state) {
    const auto& fixture = read_fixture();
    RawDb raw(fixture.path);
    std::size_t i = 0;
    for (auto _ : state) {
        AccountRecord r;  // a fresh result per call, as the repository returns
        if (!raw.get(fixture.ids[i], r)) {
            state.SkipWithError("account not found");
            return;
        }
        benchmark::DoNotOptimize(r.account.username.data());
        if (++i == fixture.ids.size()) i = 0;
    }
    state.SetItemsProcessed(state.iterations());
}

// GRAMKIT_BENCH_ITERATIONS=N runs every benchmark exactly N iterations,
// for instruction counting: under `valgrind --tool=callgrind`, the
// difference between two runs with different N divided by the difference in
// N is the cost of one iteration, with all setup cancelled out.
void fixed_iterations(benchmark::internal::Benchmark* b) {
    if (const char* n = std::getenv("GRAMKIT_BENCH_ITERATIONS"); n != nullptr && std::atoll(n) > 0) {
        b->Iterations(std::atoll(n));
    }
}

// Inserts wait on the disk as well as the CPU: timing by wall clock keeps
// the comparison honest.
BENCHMARK(BM_Insert_Gramkit)->UseRealTime()->Unit(benchmark::kMillisecond)->Apply(fixed_iterations);
BENCHMARK(BM_Insert_RawTxPerAccount)->UseRealTime()->Unit(benchmark::kMillisecond)->Apply(fixed_iterations);
BENCHMARK(BM_InsertMany_Gramkit)->UseRealTime()->Unit(benchmark::kMillisecond)->Apply(fixed_iterations);
BENCHMARK(BM_Insert_RawOneTxPerBatch)->UseRealTime()->Unit(benchmark::kMillisecond)->Apply(fixed_iterations);
BENCHMARK(BM_GetById_Gramkit)->UseRealTime()->Unit(benchmark::kMicrosecond)->Apply(fixed_iterations);
BENCHMARK(BM_GetById_Raw)->UseRealTime()->Unit(benchmark::kMicrosecond)->Apply(fixed_iterations);

}  // namespace

BENCHMARK_MAIN();
