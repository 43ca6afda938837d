// Storage backends for value-parameterised conformance suites.
//
// Every suite that must pass on all backends derives its fixture from
// StorageBackendTest and instantiates it with
// GRAMKIT_INSTANTIATE_STORAGE_BACKENDS(MySuite). Each test then gets a fresh,
// empty database:
//   - SqliteMemory: sqlite::memory: (pool size is always 1)
//   - SqliteFile:   a file in a new temp directory, deleted at teardown
//   - Postgres:     the server named by GRAMKIT_TEST_POSTGRES_URL, with a
//                   new schema per test put first on the search_path (so
//                   tests may run in parallel, e.g. `ctest -j`); the schema is
//                   dropped at teardown.
// When GRAMKIT_TEST_POSTGRES_URL is unset, the Postgres cases are skipped
// with a message, or FAIL when CI=true (a CI run must never silently skip a
// backend, DESIGN.md §4). tools/testenv/postgres.sh starts a server.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "storage/sql.hpp"

namespace gramkit::test {

enum class BackendKind { sqlite_memory, sqlite_file, postgresql };

struct BackendParam {
    std::string name;  // used in test names: SqliteMemory, SqliteFile, Postgres
    BackendKind kind = BackendKind::sqlite_memory;
    storage::Dialect dialect = storage::Dialect::sqlite;
    /// False for sqlite::memory:, where every open is a separate database.
    bool shares_data_across_opens = true;
};

/// Lets GoogleTest print a parameter by name in failure messages.
void PrintTo(const BackendParam& param, std::ostream* os);

/// All backends, PostgreSQL included even when it is not configured (so its
/// cases show up as skipped or failed, never silently absent).
std::vector<BackendParam> storage_backends();

/// The backends `keep` accepts: for tests of a behaviour only some
/// backends have (instantiate those suites on just them instead of skipping).
std::vector<BackendParam> storage_backends_where(bool (*keep)(const BackendParam&));
bool is_postgres_backend(const BackendParam& b);
bool shares_data_across_opens(const BackendParam& b);

/// Test-name generator for INSTANTIATE_TEST_SUITE_P.
std::string backend_test_name(const ::testing::TestParamInfo<BackendParam>& info);

/// GRAMKIT_TEST_POSTGRES_URL, or "" when unset.
std::string postgres_test_url();

/// True when the environment says this is a CI run (CI=true).
bool running_in_ci();

/// A fresh empty database for one test; removes it in the destructor.
class FreshDatabase {
public:
    /// Fails (not skips) if the backend is not configured; check with
    /// StorageBackendTest or postgres_test_url() first.
    static Result<std::unique_ptr<FreshDatabase>> create(const BackendParam& backend);
    ~FreshDatabase();
    FreshDatabase(const FreshDatabase&) = delete;
    FreshDatabase& operator=(const FreshDatabase&) = delete;

    /// URL to pass to storage::Database::open (every open of a file or
    /// PostgreSQL URL sees the same data).
    const std::string& url() const noexcept { return url_; }

private:
    FreshDatabase() = default;
    BackendKind kind_ = BackendKind::sqlite_memory;
    std::string url_;
    std::string temp_dir_;     // SQLite file: directory to delete
    std::string schema_;       // PostgreSQL: schema to drop
    std::string admin_url_;    // PostgreSQL: base URL (no search_path)
};

/// Base fixture: SetUp makes a fresh database and opens it with options().
/// A derived fixture's SetUp must call this one first and then
/// `if (IsSkipped() || HasFatalFailure()) return;`.
class StorageBackendTest : public ::testing::TestWithParam<BackendParam> {
protected:
    void SetUp() override;
    void TearDown() override;

    /// Options used to open db(); override to change pool size etc.
    virtual storage::OpenOptions options() const;

    storage::Database& db() { return *db_; }
    const std::string& url() const { return fresh_->url(); }
    storage::Dialect dialect() const { return GetParam().dialect; }
    bool is_postgres() const { return GetParam().kind == BackendKind::postgresql; }

    /// Opens another Database on the same data (not meaningful for
    /// SqliteMemory: check GetParam().shares_data_across_opens).
    Result<std::unique_ptr<storage::Database>> open_again(const storage::OpenOptions& options = {}) const;

private:
    std::unique_ptr<FreshDatabase> fresh_;
    std::unique_ptr<storage::Database> db_;
};

}  // namespace gramkit::test

#define GRAMKIT_INSTANTIATE_STORAGE_BACKENDS(Suite)                                          \
    INSTANTIATE_TEST_SUITE_P(Backends, Suite, ::testing::ValuesIn(::gramkit::test::storage_backends()), \
                             ::gramkit::test::backend_test_name)

/// Instantiates a suite on the backends `keep` accepts (see storage_backends_where).
#define GRAMKIT_INSTANTIATE_STORAGE_BACKENDS_WHERE(Suite, keep)                                        \
    INSTANTIATE_TEST_SUITE_P(Backends, Suite, ::testing::ValuesIn(::gramkit::test::storage_backends_where(keep)), \
                             ::gramkit::test::backend_test_name)
