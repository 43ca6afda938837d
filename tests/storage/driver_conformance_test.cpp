// Conformance tests of the SQL driver interface (src/storage/sql.hpp): every
// parameterised test runs on SQLite (memory), SQLite (file) and PostgreSQL.
#include <gtest/gtest.h>

#include <sys/socket.h>
#include <netinet/in.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <limits>
#include <mutex>
#include <thread>
#include <vector>

#include "backends.hpp"
#include "storage/postgres_driver.hpp"
#include "storage/sql.hpp"
#include "storage/sqlite_driver.hpp"

namespace gramkit::storage {
namespace {

using gramkit::test::StorageBackendTest;
using namespace std::chrono_literals;

#define ASSERT_OK(expr)                                                                          \
    do {                                                                                         \
        const auto& gk_ok_ = (expr);                                                             \
        ASSERT_TRUE(gk_ok_.has_value()) << #expr << " failed: " << gk_ok_.error().message;      \
    } while (0)

#define EXPECT_ERROR_CODE(expr, expected_code)                                                   \
    do {                                                                                         \
        const auto& gk_err_ = (expr);                                                            \
        ASSERT_FALSE(gk_err_.has_value()) << #expr << " unexpectedly succeeded";                 \
        EXPECT_EQ(gk_err_.error().code, (expected_code)) << gk_err_.error().message;             \
    } while (0)

// Reads the single int64 the query returns (or -1 with a test failure).
std::int64_t scalar(Connection& c, std::string_view sql, std::initializer_list<Param> params = {}) {
    std::int64_t value = -1;
    int rows = 0;
    Status s = query(c, sql, params, [&](const Row& r) -> Status {
        value = r.i64(0);
        ++rows;
        return {};
    });
    EXPECT_TRUE(s.has_value()) << sql << ": " << (s ? "" : s.error().message);
    EXPECT_EQ(rows, 1) << sql;
    return value;
}

// A port nothing listens on: bind port 0, read it back, close.
int closed_port() {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    socklen_t len = sizeof addr;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
    ::close(fd);
    return ntohs(addr.sin_port);
}

class DriverConformance : public StorageBackendTest {
protected:
    void SetUp() override {
        StorageBackendTest::SetUp();
        if (IsSkipped() || HasFatalFailure()) return;
        auto lease = db().connection();
        ASSERT_TRUE(lease.has_value()) << lease.error().message;
        lease_ = std::move(*lease);
    }
    void TearDown() override {
        lease_ = ConnectionPool::Lease();
        StorageBackendTest::TearDown();
    }
    Connection& conn() { return *lease_; }

    void create_people() {
        ASSERT_OK(conn().execute_script(
            "CREATE TABLE people (id BIGINT PRIMARY KEY, name TEXT NOT NULL UNIQUE, age INTEGER CHECK (age >= 0));"
            "CREATE TABLE pets (id BIGINT PRIMARY KEY, owner BIGINT NOT NULL REFERENCES people(id), name TEXT)"));
    }

    ConnectionPool::Lease lease_;
};

// --- binding and reading values ---------------------------------------------------

TEST_P(DriverConformance, BindsAndReadsEveryTypeIncludingNull) {
    ASSERT_OK(conn().execute_script(
        "CREATE TABLE kinds (id BIGINT PRIMARY KEY, i BIGINT, d DOUBLE PRECISION, t TEXT, flag INTEGER, at BIGINT)"));
    const Timestamp when = from_micros(1'700'000'123'456'789);
    const std::string utf8 = "h\xC3\xA9llo w\xC3\xB6rld \xE2\x80\x94 \xE6\x97\xA5\xE6\x9C\xAC \xF0\x9F\x8E\x89";
    const std::string quotes = "it's \"quoted\" and 'single'; DROP TABLE kinds; -- $1 ?1 \\n";
    const char* insert = "INSERT INTO kinds (id, i, d, t, flag, at) VALUES ($1, $2, $3, $4, $5, $6)";
    ASSERT_OK(exec(conn(), insert, {1, std::numeric_limits<std::int64_t>::min(), 0.1, "plain", true, when}));
    ASSERT_OK(exec(conn(), insert, {2, std::numeric_limits<std::int64_t>::max(), -1e300, utf8, false, when}));
    ASSERT_OK(exec(conn(), insert, {3, std::int64_t{0}, -0.5, quotes, 7, when}));
    ASSERT_OK(exec(conn(), insert,
                   {4, Param(), std::nullopt, std::optional<std::string>(), std::optional<int>(), Param()}));
    ASSERT_OK(exec(conn(), insert, {5, std::optional<std::int64_t>(42), 2.5, std::string_view(""), 0, when}));

    struct Seen {
        std::int64_t id;
        std::optional<std::int64_t> i;
        double d;
        bool d_null;
        std::optional<std::string> t;
        bool flag;
        std::optional<Timestamp> at;
        int columns;
    };
    std::vector<Seen> rows;
    ASSERT_OK(query(conn(), "SELECT id, i, d, t, flag, at FROM kinds ORDER BY id", {}, [&](const Row& r) -> Status {
        rows.push_back({r.i64(0), r.opt_i64(1), r.f64(2), r.is_null(2), r.opt_text(3),
                        !r.is_null(4) && r.boolean(4), r.opt_time(5), 0});
        return {};
    }));
    ASSERT_EQ(rows.size(), 5u);
    EXPECT_EQ(rows[0].i, std::numeric_limits<std::int64_t>::min());
    EXPECT_EQ(rows[0].d, 0.1);  // exact round trip
    EXPECT_EQ(rows[0].t, "plain");
    EXPECT_TRUE(rows[0].flag);
    EXPECT_EQ(rows[0].at, when);
    EXPECT_EQ(rows[1].i, std::numeric_limits<std::int64_t>::max());
    EXPECT_EQ(rows[1].d, -1e300);
    EXPECT_EQ(rows[1].t, utf8);
    EXPECT_FALSE(rows[1].flag);
    EXPECT_EQ(rows[2].t, quotes);
    EXPECT_EQ(rows[2].d, -0.5);
    EXPECT_EQ(rows[3].i, std::nullopt);
    EXPECT_TRUE(rows[3].d_null);
    EXPECT_EQ(rows[3].t, std::nullopt);
    EXPECT_EQ(rows[3].at, std::nullopt);
    EXPECT_EQ(rows[4].i, 42);
    EXPECT_EQ(rows[4].t, std::optional<std::string>(""));  // empty text is not NULL

    auto stmt = conn().prepare("SELECT id, t FROM kinds WHERE id = $1");
    ASSERT_OK(stmt);
    ASSERT_OK((*stmt)->bind(std::vector<Param>{Param(2)}));
    auto has_row = (*stmt)->step();
    ASSERT_OK(has_row);
    ASSERT_TRUE(*has_row);
    EXPECT_EQ((*stmt)->column_count(), 2);
    EXPECT_EQ((*stmt)->get_text(1), utf8);
    has_row = (*stmt)->step();
    ASSERT_OK(has_row);
    EXPECT_FALSE(*has_row);
    has_row = (*stmt)->step();  // stays done until the next bind
    ASSERT_OK(has_row);
    EXPECT_FALSE(*has_row);
}

TEST_P(DriverConformance, AggregatesAndBooleansReadPortably) {
    create_people();
    ASSERT_OK(exec(conn(), "INSERT INTO people (id, name, age) VALUES ($1, $2, $3)", {1, "ann", 30}));
    ASSERT_OK(exec(conn(), "INSERT INTO people (id, name, age) VALUES ($1, $2, $3)", {2, "bob", 41}));
    // PostgreSQL returns SUM(bigint) as numeric and booleans as 't'/'f'.
    EXPECT_EQ(scalar(conn(), "SELECT SUM(id) FROM people"), 3);
    EXPECT_EQ(scalar(conn(), "SELECT MAX(age) FROM people"), 41);
    EXPECT_EQ(scalar(conn(), "SELECT EXISTS (SELECT 1 FROM people WHERE name = $1)", {"bob"}), 1);
    EXPECT_EQ(scalar(conn(), "SELECT EXISTS (SELECT 1 FROM people WHERE name = $1)", {"zed"}), 0);
    EXPECT_EQ(scalar(conn(), "SELECT COUNT(*) > 1 FROM people"), 1);
    // Parameters in expressions need a type on PostgreSQL; CAST works on both.
    EXPECT_EQ(scalar(conn(), "SELECT CAST($1 AS BIGINT) + 1", {std::int64_t{5'000'000'000}}), 5'000'000'001);
    EXPECT_EQ(scalar(conn(), "SELECT CASE WHEN CAST($1 AS TEXT) IS NULL THEN 1 ELSE 0 END", {Param()}), 1);
    double avg = 0;
    ASSERT_OK(query(conn(), "SELECT AVG(age) FROM people", {}, [&](const Row& r) -> Status {
        avg = r.f64(0);
        return {};
    }));
    EXPECT_DOUBLE_EQ(avg, 35.5);
}

TEST_P(DriverConformance, RejectsTextTheOtherBackendCouldNotStore) {
    ASSERT_OK(conn().execute_script("CREATE TABLE notes (body TEXT)"));
    const std::string with_nul("a\0b", 3);
    EXPECT_ERROR_CODE(exec(conn(), "INSERT INTO notes (body) VALUES ($1)", {with_nul}), ErrorCode::invalid_argument);
    EXPECT_ERROR_CODE(exec(conn(), "INSERT INTO notes (body) VALUES ($1)", {"bad \xFF utf8"}),
                      ErrorCode::invalid_argument);
    EXPECT_EQ(scalar(conn(), "SELECT COUNT(*) FROM notes"), 0);
}

TEST_P(DriverConformance, PlaceholdersOutOfOrderAndRepeated) {
    ASSERT_OK(conn().execute_script("CREATE TABLE pairs (a BIGINT, b TEXT, c BIGINT, \"note $1\" TEXT)"));
    ASSERT_OK(exec(conn(), "INSERT INTO pairs (b, a, c) VALUES ($2, $1, $1)", {7, "seven"}));
    ASSERT_OK(exec(conn(), "INSERT INTO pairs (b, a, c) VALUES ($2, $1, $1)", {8, "eight"}));
    EXPECT_EQ(scalar(conn(), "SELECT a + c FROM pairs WHERE b = $2 AND (a = $1 OR c = $1)", {7, "seven"}), 14);
    EXPECT_EQ(scalar(conn(), "SELECT COUNT(*) FROM pairs WHERE c = $3 OR a = $1 OR b = $2", {8, "none", 7}), 2);
}

TEST_P(DriverConformance, DollarPlaceholderInsideLiteralsIsUntouched) {
    ASSERT_OK(conn().execute_script("CREATE TABLE pairs (a BIGINT, b TEXT, \"col $1\" TEXT)"));
    ASSERT_OK(exec(conn(), "INSERT INTO pairs (a, b, \"col $1\") VALUES ($1, 'costs $1 or $2 -- ''$3''', $2)",
                   {1, "identifier-quoted"}));
    std::string b, col;
    ASSERT_OK(query(conn(), "SELECT b, \"col $1\" FROM pairs /* $9 */ WHERE a = $1 -- $2\n", {1},
                    [&](const Row& r) -> Status {
                        b = r.text(0);
                        col = r.text(1);
                        return {};
                    }));
    EXPECT_EQ(b, "costs $1 or $2 -- '$3'");
    EXPECT_EQ(col, "identifier-quoted");
    EXPECT_EQ(scalar(conn(), "SELECT COUNT(*) FROM pairs WHERE b <> '$1' AND a = $1", {1}), 1);
}

TEST_P(DriverConformance, RowsAffectedCountsOnlyChangedRows) {
    create_people();
    const char* insert = "INSERT INTO people (id, name, age) VALUES ($1, $2, $3)";
    auto n = exec(conn(), insert, {1, "ann", 30});
    ASSERT_OK(n);
    EXPECT_EQ(*n, 1);
    ASSERT_OK(exec(conn(), insert, {2, "bob", 40}));
    ASSERT_OK(exec(conn(), insert, {3, "cy", 50}));
    n = exec(conn(), "UPDATE people SET age = age + 1 WHERE age >= $1", {40});
    ASSERT_OK(n);
    EXPECT_EQ(*n, 2);
    n = exec(conn(), "UPDATE people SET age = 0 WHERE id = $1", {99});
    ASSERT_OK(n);
    EXPECT_EQ(*n, 0);
    n = exec(conn(), "SELECT id FROM people");
    ASSERT_OK(n);
    EXPECT_EQ(*n, 0);  // a SELECT changes nothing (PostgreSQL would report 3 rows)
    n = exec(conn(), "DELETE FROM people WHERE id = $1", {1});
    ASSERT_OK(n);
    EXPECT_EQ(*n, 1);
    n = exec(conn(), "CREATE TABLE other (x INTEGER)");
    ASSERT_OK(n);
    EXPECT_EQ(*n, 0);  // DDL: not the stale count of the DELETE
    std::int64_t returned = 0;
    n = exec(conn(), "INSERT INTO people (id, name, age) VALUES ($1, $2, $3) RETURNING id", {4, "dee", 1});
    ASSERT_OK(n);
    EXPECT_EQ(*n, 1);
    ASSERT_OK(query(conn(), "INSERT INTO people (id, name, age) VALUES ($1, $2, $3) RETURNING id", {5, "eve", 2},
                    [&](const Row& r) -> Status {
                        returned = r.i64(0);
                        return {};
                    }));
    EXPECT_EQ(returned, 5);
}

// --- errors ---------------------------------------------------------------------------

TEST_P(DriverConformance, UniqueViolationIsConflictWithoutValues) {
    create_people();
    const char* insert = "INSERT INTO people (id, name, age) VALUES ($1, $2, $3)";
    ASSERT_OK(exec(conn(), insert, {1, "sensitive-value-42", 30}));
    auto dup = exec(conn(), insert, {2, "sensitive-value-42", 31});
    EXPECT_ERROR_CODE(dup, ErrorCode::conflict);
    EXPECT_EQ(dup.error().details, "unique");
    EXPECT_EQ(dup.error().message.find("sensitive-value-42"), std::string::npos) << dup.error().message;
    auto dup_pk = exec(conn(), insert, {1, "other", 31});
    EXPECT_ERROR_CODE(dup_pk, ErrorCode::conflict);
    EXPECT_EQ(dup_pk.error().details, "unique");
    // The connection is still usable after the error (outside a transaction).
    EXPECT_EQ(scalar(conn(), "SELECT COUNT(*) FROM people"), 1);
}

TEST_P(DriverConformance, ForeignKeyViolationIsConflict) {
    create_people();
    auto orphan = exec(conn(), "INSERT INTO pets (id, owner, name) VALUES ($1, $2, $3)", {1, 999, "rex"});
    EXPECT_ERROR_CODE(orphan, ErrorCode::conflict);
    EXPECT_EQ(orphan.error().details, "foreign_key");
    EXPECT_NE(orphan.error().message.find("foreign key"), std::string::npos) << orphan.error().message;
}

TEST_P(DriverConformance, NotNullAndCheckViolationsAreConflicts) {
    create_people();
    auto null_name = exec(conn(), "INSERT INTO people (id, name, age) VALUES ($1, $2, $3)", {1, Param(), 3});
    EXPECT_ERROR_CODE(null_name, ErrorCode::conflict);
    EXPECT_EQ(null_name.error().details, "not_null");
    auto negative = exec(conn(), "INSERT INTO people (id, name, age) VALUES ($1, $2, $3)", {1, "ann", -5});
    EXPECT_ERROR_CODE(negative, ErrorCode::conflict);
    EXPECT_EQ(negative.error().details, "check");
}

TEST_P(DriverConformance, SqlErrorsAreInternalAndLeaveConnectionUsable) {
    EXPECT_ERROR_CODE(conn().prepare("SELECT * FROM no_such_table"), ErrorCode::internal);
    EXPECT_ERROR_CODE(conn().prepare("SELEC 1"), ErrorCode::internal);
    EXPECT_EQ(scalar(conn(), "SELECT 1"), 1);
}

TEST_P(DriverConformance, ParameterCountMustMatch) {
    create_people();
    EXPECT_ERROR_CODE(exec(conn(), "SELECT name FROM people WHERE id = $1 AND age = $2", {1}),
                      ErrorCode::invalid_argument);
    auto stmt = conn().prepare("SELECT name FROM people WHERE id = $1");
    ASSERT_OK(stmt);
    (*stmt)->reset();
    ASSERT_OK((*stmt)->bind(std::vector<Param>{Param(1)}));
    ASSERT_OK((*stmt)->step());
    EXPECT_ERROR_CODE((*stmt)->bind(std::vector<Param>{}), ErrorCode::invalid_argument);
    EXPECT_ERROR_CODE((*stmt)->step(), ErrorCode::invalid_argument);  // not bound
}

// --- transactions ---------------------------------------------------------------------

TEST_P(DriverConformance, TransactionCommitAndRollback) {
    create_people();
    EXPECT_FALSE(conn().in_transaction());
    ASSERT_OK(conn().begin());
    EXPECT_TRUE(conn().in_transaction());
    EXPECT_ERROR_CODE(conn().begin(), ErrorCode::failed_precondition);
    ASSERT_OK(exec(conn(), "INSERT INTO people (id, name) VALUES ($1, $2)", {1, "ann"}));
    ASSERT_OK(conn().rollback());
    EXPECT_FALSE(conn().in_transaction());
    EXPECT_EQ(scalar(conn(), "SELECT COUNT(*) FROM people"), 0);

    ASSERT_OK(conn().begin(TransactionMode::deferred));
    ASSERT_OK(exec(conn(), "INSERT INTO people (id, name) VALUES ($1, $2)", {1, "ann"}));
    ASSERT_OK(conn().commit());
    EXPECT_FALSE(conn().in_transaction());
    EXPECT_EQ(scalar(conn(), "SELECT COUNT(*) FROM people"), 1);

    EXPECT_ERROR_CODE(conn().commit(), ErrorCode::failed_precondition);
    ASSERT_OK(conn().rollback());  // no transaction: a no-op
}

TEST_P(DriverConformance, NestedInTransactionJoinsTheOuterOne) {
    create_people();
    Status outcome = in_transaction(conn(), [&]() -> Status {
        GK_TRY(exec(conn(), "INSERT INTO people (id, name) VALUES ($1, $2)", {1, "ann"}));
        GK_TRY(in_transaction(conn(), [&]() -> Status {
            EXPECT_TRUE(conn().in_transaction());
            GK_TRY(exec(conn(), "INSERT INTO people (id, name) VALUES ($1, $2)", {2, "bob"}));
            return {};
        }));
        EXPECT_TRUE(conn().in_transaction());  // the inner call did not commit
        return fail(ErrorCode::conflict, "changed my mind");
    });
    EXPECT_ERROR_CODE(outcome, ErrorCode::conflict);
    EXPECT_FALSE(conn().in_transaction());
    EXPECT_EQ(scalar(conn(), "SELECT COUNT(*) FROM people"), 0);

    Result<int> ok = in_transaction(conn(), [&]() -> Result<int> {
        GK_TRY(exec(conn(), "INSERT INTO people (id, name) VALUES ($1, $2)", {1, "ann"}));
        return in_transaction(conn(), [&]() -> Result<int> {
            GK_TRY(exec(conn(), "INSERT INTO people (id, name) VALUES ($1, $2)", {2, "bob"}));
            return 2;
        });
    });
    ASSERT_OK(ok);
    EXPECT_EQ(*ok, 2);
    EXPECT_EQ(scalar(conn(), "SELECT COUNT(*) FROM people"), 2);

    EXPECT_THROW((void)in_transaction(conn(),
                                      [&]() -> Status {
                                          (void)exec(conn(), "INSERT INTO people (id, name) VALUES ($1, $2)",
                                                     {3, "cy"});
                                          throw std::runtime_error("bug");
                                      }),
                 std::runtime_error);
    EXPECT_FALSE(conn().in_transaction());
    EXPECT_EQ(scalar(conn(), "SELECT COUNT(*) FROM people"), 2);
}

TEST_P(DriverConformance, CommitAfterAFailedStatementDoesNotLoseWritesSilently) {
    create_people();
    ASSERT_OK(conn().begin());
    ASSERT_OK(exec(conn(), "INSERT INTO people (id, name) VALUES ($1, $2)", {1, "ann"}));
    EXPECT_ERROR_CODE(exec(conn(), "INSERT INTO people (id, name) VALUES ($1, $2)", {1, "ann"}), ErrorCode::conflict);
    Status committed = conn().commit();
    EXPECT_FALSE(conn().in_transaction());
    // SQLite keeps the transaction after a failed statement; PostgreSQL
    // aborts it, and then the commit must report that nothing was written.
    if (is_postgres()) {
        EXPECT_ERROR_CODE(committed, ErrorCode::failed_precondition);
        EXPECT_EQ(scalar(conn(), "SELECT COUNT(*) FROM people"), 0);
    } else {
        ASSERT_OK(committed);
        EXPECT_EQ(scalar(conn(), "SELECT COUNT(*) FROM people"), 1);
    }
}

// --- statement cache --------------------------------------------------------------------

TEST_P(DriverConformance, StatementCacheReturnsTheSameStatement) {
    create_people();
    const char* sql = "INSERT INTO people (id, name) VALUES ($1, $2)";
    auto first = conn().prepare(sql);
    ASSERT_OK(first);
    auto again = conn().prepare(std::string(sql));  // equal text, different buffer
    ASSERT_OK(again);
    EXPECT_EQ(*first, *again);
    auto other = conn().prepare("SELECT COUNT(*) FROM people");
    ASSERT_OK(other);
    EXPECT_NE(*first, *other);
    for (int i = 0; i < 200; ++i) ASSERT_OK(exec(conn(), sql, {i, "name-" + std::to_string(i)}));
    EXPECT_EQ(scalar(conn(), "SELECT COUNT(*) FROM people"), 200);
}

TEST_P(DriverConformance, QueryStoppedEarlyReleasesTheStatement) {
    create_people();
    for (int i = 0; i < 5; ++i) ASSERT_OK(exec(conn(), "INSERT INTO people (id, name) VALUES ($1, $2)", {i, std::to_string(i)}));
    int seen = 0;
    Status stopped = query(conn(), "SELECT id FROM people ORDER BY id", {}, [&](const Row&) -> Status {
        ++seen;
        return fail(ErrorCode::cancelled, "enough");
    });
    EXPECT_ERROR_CODE(stopped, ErrorCode::cancelled);
    EXPECT_EQ(seen, 1);
    // Another connection writes; this one must see it (no stale snapshot).
    if (GetParam().shares_data_across_opens) {
        auto other = db().connection();
        ASSERT_OK(other);
        ASSERT_OK(exec(**other, "INSERT INTO people (id, name) VALUES ($1, $2)", {10, "ten"}));
    } else {
        ASSERT_OK(exec(conn(), "INSERT INTO people (id, name) VALUES ($1, $2)", {10, "ten"}));
    }
    seen = 0;
    ASSERT_OK(query(conn(), "SELECT id FROM people ORDER BY id", {}, [&](const Row&) -> Status {
        ++seen;
        return {};
    }));
    EXPECT_EQ(seen, 6);
}

// --- migrations ---------------------------------------------------------------------------

const Migration kMigrations[] = {
    {1, "create_people", "CREATE TABLE people (id BIGINT PRIMARY KEY, name TEXT NOT NULL)",
     "CREATE TABLE people (id BIGINT PRIMARY KEY, name TEXT NOT NULL)"},
    {2, "seed_people",
     "CREATE TABLE seeds (n INTEGER); INSERT INTO people (id, name) VALUES (1, 'root'); INSERT INTO seeds VALUES (1)",
     "CREATE TABLE seeds (n INTEGER); INSERT INTO people (id, name) VALUES (1, 'root'); INSERT INTO seeds VALUES (1)"},
};

TEST_P(DriverConformance, MigrationsAreAppliedOnceAndRecorded) {
    lease_ = ConnectionPool::Lease();  // migrate() needs a connection of its own on a pool of one
    auto before = db().schema_version();
    ASSERT_OK(before);
    EXPECT_EQ(*before, 0);
    const auto start_us = to_micros(std::chrono::time_point_cast<std::chrono::microseconds>(std::chrono::system_clock::now()));
    ASSERT_OK(db().migrate(kMigrations));
    ASSERT_OK(db().migrate(kMigrations));  // second run: nothing to do
    auto version = db().schema_version();
    ASSERT_OK(version);
    EXPECT_EQ(*version, 2);

    auto lease = db().connection();
    ASSERT_OK(lease);
    Connection& c = **lease;
    EXPECT_EQ(scalar(c, "SELECT COUNT(*) FROM seeds"), 1);  // migration 2 ran once
    std::vector<std::pair<std::int64_t, std::string>> recorded;
    ASSERT_OK(query(c, "SELECT version, name, applied_at FROM schema_migrations ORDER BY version", {},
                    [&](const Row& r) -> Status {
                        recorded.emplace_back(r.i64(0), r.text(1));
                        EXPECT_GE(r.i64(2), start_us);
                        return {};
                    }));
    ASSERT_EQ(recorded.size(), 2u);
    EXPECT_EQ(recorded[0], (std::pair<std::int64_t, std::string>{1, "create_people"}));
    EXPECT_EQ(recorded[1], (std::pair<std::int64_t, std::string>{2, "seed_people"}));
}

TEST_P(DriverConformance, MigrationsApplyIncrementally) {
    lease_ = ConnectionPool::Lease();
    ASSERT_OK(db().migrate(std::span<const Migration>(kMigrations, 1)));
    EXPECT_EQ(db().schema_version().value_or(-1), 1);
    ASSERT_OK(db().migrate(kMigrations));
    EXPECT_EQ(db().schema_version().value_or(-1), 2);
}

TEST_P(DriverConformance, NewerSchemaIsFailedPrecondition) {
    lease_ = ConnectionPool::Lease();
    ASSERT_OK(db().migrate(kMigrations));
    Status older = db().migrate(std::span<const Migration>(kMigrations, 1));
    EXPECT_ERROR_CODE(older, ErrorCode::failed_precondition);
    EXPECT_EQ(older.error().message,
              "database schema version 2 is newer than this gramkit supports (1); upgrade gramkit");
}

TEST_P(DriverConformance, FailedMigrationIsRolledBack) {
    lease_ = ConnectionPool::Lease();
    const Migration broken[] = {
        kMigrations[0],
        {2, "broken", "CREATE TABLE half (x INTEGER); INSERT INTO nowhere VALUES (1)",
         "CREATE TABLE half (x INTEGER); INSERT INTO nowhere VALUES (1)"},
    };
    Status s = db().migrate(broken);
    ASSERT_FALSE(s.has_value());
    EXPECT_NE(s.error().message.find("migration 2 (broken) failed"), std::string::npos) << s.error().message;
    EXPECT_EQ(db().schema_version().value_or(-1), 1);
    auto lease = db().connection();
    ASSERT_OK(lease);
    EXPECT_ERROR_CODE((*lease)->prepare("SELECT x FROM half"), ErrorCode::internal);  // table creation undone
}

TEST_P(DriverConformance, MigrationsRejectUnorderedVersions) {
    lease_ = ConnectionPool::Lease();
    const Migration unordered[] = {kMigrations[1], kMigrations[0]};
    EXPECT_ERROR_CODE(db().migrate(unordered), ErrorCode::invalid_argument);
}

// Needs a database that several opens share (not sqlite::memory:, where
// every open is a separate database).
class SharedDatabaseDriverTest : public DriverConformance {};
GRAMKIT_INSTANTIATE_STORAGE_BACKENDS_WHERE(SharedDatabaseDriverTest, ::gramkit::test::shares_data_across_opens);

TEST_P(SharedDatabaseDriverTest, ConcurrentOpenersMigrateOnce) {
    constexpr int kOpeners = 4;
    std::vector<std::thread> threads;
    std::atomic<int> succeeded{0};
    std::mutex errors_mutex;
    std::vector<std::string> errors;
    for (int t = 0; t < kOpeners; ++t) {
        threads.emplace_back([&] {
            OpenOptions o;
            o.pool_size = 1;
            o.busy_timeout = 20s;
            auto other = open_again(o);
            Status s = other ? (*other)->migrate(kMigrations) : Status(fail(other.error()));
            if (s) {
                ++succeeded;
            } else {
                std::lock_guard lock(errors_mutex);
                errors.push_back(s.error().message);
            }
        });
    }
    for (auto& t : threads) t.join();
    EXPECT_EQ(succeeded.load(), kOpeners) << (errors.empty() ? "" : errors.front());
    EXPECT_EQ(scalar(conn(), "SELECT COUNT(*) FROM schema_migrations"), 2);
    EXPECT_EQ(scalar(conn(), "SELECT COUNT(*) FROM seeds"), 1);
}

// --- pool ---------------------------------------------------------------------------------

TEST_P(DriverConformance, ManyThreadsShareASmallPool) {
    lease_ = ConnectionPool::Lease();
    OpenOptions o;
    o.pool_size = 2;
    o.busy_timeout = 20s;
    o.acquire_timeout = 30s;
    std::unique_ptr<Database> small;
    if (GetParam().shares_data_across_opens) {
        auto opened = open_again(o);
        ASSERT_OK(opened);
        small = std::move(*opened);
    }
    Database& target = small ? *small : db();
    {
        auto lease = target.connection();
        ASSERT_OK(lease);
        ASSERT_OK((*lease)->execute_script("CREATE TABLE hits (thread INTEGER, n INTEGER)"));
    }
    constexpr int kThreads = 8, kIterations = 40;
    std::atomic<int> failures{0}, in_use{0}, max_in_use{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&, t] {
            for (int i = 0; i < kIterations; ++i) {
                auto lease = target.connection();
                if (!lease) {
                    ++failures;
                    continue;
                }
                const int now = ++in_use;
                int seen = max_in_use.load();
                while (now > seen && !max_in_use.compare_exchange_weak(seen, now)) {
                }
                if (!exec(**lease, "INSERT INTO hits (thread, n) VALUES ($1, $2)", {t, i})) ++failures;
                --in_use;
            }
        });
    }
    for (auto& t : threads) t.join();
    EXPECT_EQ(failures.load(), 0);
    EXPECT_LE(max_in_use.load(), static_cast<int>(target.pool().max_size()));
    auto lease = target.connection();
    ASSERT_OK(lease);
    EXPECT_EQ(scalar(**lease, "SELECT COUNT(*) FROM hits"), kThreads * kIterations);
}

TEST_P(DriverConformance, AcquireTimesOutWhenPoolIsExhausted) {
    lease_ = ConnectionPool::Lease();
    OpenOptions o;
    o.pool_size = 1;
    o.acquire_timeout = 100ms;
    std::unique_ptr<Database> tiny;
    auto opened = GetParam().shares_data_across_opens ? open_again(o) : Database::open("sqlite::memory:", o);
    ASSERT_OK(opened);
    tiny = std::move(*opened);
    auto held = tiny->connection();
    ASSERT_OK(held);
    const auto start = std::chrono::steady_clock::now();
    auto waited = tiny->connection();
    const auto elapsed = std::chrono::steady_clock::now() - start;
    EXPECT_ERROR_CODE(waited, ErrorCode::unavailable);
    EXPECT_GE(elapsed, 90ms);
    EXPECT_LT(elapsed, 5s);

    // A waiter gets a connection as soon as it is released.
    std::thread releaser([&] {
        std::this_thread::sleep_for(20ms);
        *held = ConnectionPool::Lease();
    });
    auto later = tiny->connection();
    releaser.join();
    ASSERT_OK(later);
}

TEST_P(DriverConformance, LeaseReturnedInsideATransactionIsRolledBack) {
    lease_ = ConnectionPool::Lease();
    OpenOptions o;
    o.pool_size = 1;
    std::unique_ptr<Database> single;
    if (GetParam().shares_data_across_opens) {
        auto opened = open_again(o);
        ASSERT_OK(opened);
        single = std::move(*opened);
    }
    Database& target = single ? *single : db();  // memory: already a pool of one
    {
        auto lease = target.connection();
        ASSERT_OK(lease);
        ASSERT_OK((*lease)->execute_script("CREATE TABLE t (x INTEGER)"));
        ASSERT_OK((*lease)->begin());
        ASSERT_OK(exec(**lease, "INSERT INTO t (x) VALUES ($1)", {1}));
    }  // returned mid-transaction
    auto lease = target.connection();
    ASSERT_OK(lease);
    EXPECT_FALSE((*lease)->in_transaction());
    EXPECT_EQ(scalar(**lease, "SELECT COUNT(*) FROM t"), 0);
}

// --- PostgreSQL connection loss -----------------------------------------------------------

// Terminates the server session behind `victim` from another connection and
// waits until it is gone.
void kill_backend(Database& db, Connection& victim) {
    const std::int64_t pid = scalar(victim, "SELECT pg_backend_pid()");
    auto killer = db.connection();
    ASSERT_OK(killer);
    // The second argument makes the server wait (ms) until the backend exited.
    EXPECT_EQ(scalar(**killer, "SELECT CASE WHEN pg_terminate_backend(CAST($1 AS INTEGER), 5000) THEN 1 ELSE 0 END",
                     {pid}),
              1);
}

// Behaviour of the PostgreSQL driver only (a server that drops sessions).
class PostgresDriverTest : public DriverConformance {};
GRAMKIT_INSTANTIATE_STORAGE_BACKENDS_WHERE(PostgresDriverTest, ::gramkit::test::is_postgres_backend);

TEST_P(PostgresDriverTest, ReconnectsAfterTheServerKillsTheSession) {
    create_people();
    const char* insert = "INSERT INTO people (id, name) VALUES ($1, $2)";
    ASSERT_OK(exec(conn(), insert, {1, "ann"}));  // prepared on the first session
    const std::int64_t first_pid = scalar(conn(), "SELECT pg_backend_pid()");
    ASSERT_NO_FATAL_FAILURE(kill_backend(db(), conn()));
    // The next command notices, reconnects, re-prepares and runs once.
    auto n = exec(conn(), insert, {2, "bob"});
    ASSERT_OK(n);
    EXPECT_EQ(*n, 1);
    EXPECT_EQ(scalar(conn(), "SELECT COUNT(*) FROM people"), 2);
    EXPECT_NE(scalar(conn(), "SELECT pg_backend_pid()"), first_pid);  // really a new session

    ASSERT_NO_FATAL_FAILURE(kill_backend(db(), conn()));
    ASSERT_OK(conn().ping());
    EXPECT_EQ(scalar(conn(), "SELECT 1"), 1);
}

TEST_P(PostgresDriverTest, TransactionIsLostWhenTheSessionDies) {
    create_people();
    ASSERT_OK(conn().begin());
    ASSERT_OK(exec(conn(), "INSERT INTO people (id, name) VALUES ($1, $2)", {1, "ann"}));
    ASSERT_NO_FATAL_FAILURE(kill_backend(db(), conn()));
    EXPECT_ERROR_CODE(exec(conn(), "INSERT INTO people (id, name) VALUES ($1, $2)", {2, "bob"}),
                      ErrorCode::unavailable);
    EXPECT_TRUE(conn().in_transaction());  // until the caller rolls back
    EXPECT_ERROR_CODE(exec(conn(), "SELECT 1"), ErrorCode::unavailable);
    ASSERT_OK(conn().rollback());
    EXPECT_FALSE(conn().in_transaction());
    EXPECT_EQ(scalar(conn(), "SELECT COUNT(*) FROM people"), 0);
}

TEST_P(PostgresDriverTest, CommitOnALostSessionReportsUnavailable) {
    create_people();
    ASSERT_OK(conn().begin());
    ASSERT_OK(exec(conn(), "INSERT INTO people (id, name) VALUES ($1, $2)", {1, "ann"}));
    ASSERT_NO_FATAL_FAILURE(kill_backend(db(), conn()));
    EXPECT_ERROR_CODE(conn().commit(), ErrorCode::unavailable);
    EXPECT_FALSE(conn().in_transaction());
    EXPECT_EQ(scalar(conn(), "SELECT COUNT(*) FROM people"), 0);
}

GRAMKIT_INSTANTIATE_STORAGE_BACKENDS(DriverConformance);

// --- URL handling (no server needed) ------------------------------------------------------

TEST(DatabaseUrl, UnknownSchemeIsInvalidArgument) {
    auto db = Database::open("mysql://user:pw@localhost/db");
    EXPECT_ERROR_CODE(db, ErrorCode::invalid_argument);
    EXPECT_NE(db.error().message.find("'mysql'"), std::string::npos) << db.error().message;
    EXPECT_EQ(db.error().message.find("pw@"), std::string::npos) << db.error().message;
    EXPECT_ERROR_CODE(Database::open("just-a-path.db"), ErrorCode::invalid_argument);
    EXPECT_ERROR_CODE(Database::open("sqlite:"), ErrorCode::invalid_argument);
    EXPECT_ERROR_CODE(Database::open("sqlite://"), ErrorCode::invalid_argument);
    OpenOptions zero;
    zero.pool_size = 0;
    EXPECT_ERROR_CODE(Database::open("sqlite::memory:", zero), ErrorCode::invalid_argument);
}

TEST(DatabaseUrl, RedactsPasswords) {
    EXPECT_EQ(redact_database_url("postgresql://alice:s3cr%40t@db.example:5432/app?sslmode=disable"),
              "postgresql://alice:***@db.example:5432/app?sslmode=disable");
    EXPECT_EQ(redact_database_url("postgres://bob@db/app?password=hunter2&sslpassword=x&application_name=a"),
              "postgres://bob@db/app?password=***&sslpassword=***&application_name=a");
    EXPECT_EQ(redact_database_url("postgresql://bob@db/app"), "postgresql://bob@db/app");
    EXPECT_EQ(redact_database_url("postgresql://db/app"), "postgresql://db/app");
    EXPECT_EQ(redact_database_url("sqlite:///var/lib/gramkit.db"), "sqlite:///var/lib/gramkit.db");
    EXPECT_EQ(redact_database_url("sqlite::memory:"), "sqlite::memory:");
}

TEST(DatabaseUrl, UnreachablePostgresIsUnavailableAndHidesThePassword) {
    const int port = closed_port();
    const std::string url = "postgresql://gk_user:hunter2-secret@127.0.0.1:" + std::to_string(port) + "/gramkit";
    OpenOptions o;
    o.connect_timeout = 2s;
    auto db = Database::open(url, o);
    EXPECT_ERROR_CODE(db, ErrorCode::unavailable);
    const std::string& msg = db.error().message;
    EXPECT_EQ(msg.find("hunter2"), std::string::npos) << msg;
    EXPECT_NE(msg.find("postgresql://gk_user:***@127.0.0.1:" + std::to_string(port) + "/gramkit"), std::string::npos)
        << msg;
}

TEST(DatabaseUrl, MalformedPostgresUrlHidesThePassword) {
    auto db = Database::open("postgresql://gk_user:pw%zzsecret@127.0.0.1:1/gramkit");
    ASSERT_FALSE(db.has_value());
    EXPECT_EQ(db.error().message.find("zzsecret"), std::string::npos) << db.error().message;
    auto bad_param = Database::open("postgresql://u:secret-pw@127.0.0.1:1/db?no_such_option=1");
    EXPECT_ERROR_CODE(bad_param, ErrorCode::invalid_argument);
    EXPECT_EQ(bad_param.error().message.find("secret-pw"), std::string::npos) << bad_param.error().message;
}

TEST(DatabaseUrl, SqliteMemoryAlwaysUsesOneConnection) {
    OpenOptions o;
    o.pool_size = 8;
    auto db = Database::open("sqlite::memory:", o);
    ASSERT_OK(db);
    EXPECT_EQ((*db)->pool().max_size(), 1u);
    EXPECT_EQ((*db)->dialect(), Dialect::sqlite);
    auto alt = Database::open("sqlite://:memory:", o);
    ASSERT_OK(alt);
    EXPECT_EQ((*alt)->pool().max_size(), 1u);
}

TEST(DatabaseUrl, SqliteRelativeAndAbsolutePaths) {
    const auto dir = std::filesystem::temp_directory_path() / ("gramkit-url-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    const auto old_cwd = std::filesystem::current_path();
    std::filesystem::current_path(dir);
    {
        auto rel = Database::open("sqlite://relative.db");
        ASSERT_OK(rel);
        auto abs = Database::open("sqlite://" + (dir / "absolute.db").string());
        ASSERT_OK(abs);
    }
    EXPECT_TRUE(std::filesystem::exists(dir / "relative.db"));
    EXPECT_TRUE(std::filesystem::exists(dir / "absolute.db"));
    std::filesystem::current_path(old_cwd);
    std::filesystem::remove_all(dir);
}

TEST(DatabaseUrl, SqliteOpenFailures) {
    auto missing_dir = Database::open("sqlite:///nonexistent-gramkit-dir/sub/x.db");
    EXPECT_ERROR_CODE(missing_dir, ErrorCode::unavailable);
    EXPECT_NE(missing_dir.error().message.find("/nonexistent-gramkit-dir/sub/x.db"), std::string::npos);

    const auto garbage = std::filesystem::temp_directory_path() / ("gramkit-garbage-" + std::to_string(::getpid()));
    {
        std::ofstream out(garbage);
        out << std::string(4096, 'x');
    }
    EXPECT_ERROR_CODE(Database::open("sqlite://" + garbage.string()), ErrorCode::data_loss);
    std::filesystem::remove(garbage);
}

// --- driver internals -------------------------------------------------------------------------

TEST(SqlitePlaceholders, RewritesOnlyRealPlaceholders) {
    EXPECT_EQ(rewrite_placeholders_for_sqlite("SELECT $1, $2, $10"), "SELECT ?1, ?2, ?10");
    EXPECT_EQ(rewrite_placeholders_for_sqlite("SELECT $2 + $1 + $2"), "SELECT ?2 + ?1 + ?2");
    EXPECT_EQ(rewrite_placeholders_for_sqlite("SELECT '$1', 'it''s $2', $3"), "SELECT '$1', 'it''s $2', ?3");
    EXPECT_EQ(rewrite_placeholders_for_sqlite("SELECT \"a$1\", `b$1`, [c $1] FROM t WHERE x=$1"),
              "SELECT \"a$1\", `b$1`, [c $1] FROM t WHERE x=?1");
    EXPECT_EQ(rewrite_placeholders_for_sqlite("SELECT x$1 FROM t -- $1\nWHERE y = $1 /* $2 */"),
              "SELECT x$1 FROM t -- $1\nWHERE y = ?1 /* $2 */");
    EXPECT_EQ(rewrite_placeholders_for_sqlite("SELECT $ , $a, '$1"), "SELECT $ , $a, '$1");  // unterminated literal
    EXPECT_EQ(rewrite_placeholders_for_sqlite("($1)"), "(?1)");
}

TEST(PostgresErrors, SqlstateMapping) {
    struct Case {
        const char* state;
        ErrorCode code;
        const char* details;
    };
    const Case cases[] = {
        {"23505", ErrorCode::conflict, "unique"},     {"23503", ErrorCode::conflict, "foreign_key"},
        {"23502", ErrorCode::conflict, "not_null"},   {"23514", ErrorCode::conflict, "check"},
        {"23P01", ErrorCode::conflict, "exclusion"},  {"23000", ErrorCode::conflict, "constraint"},
        {"40001", ErrorCode::unavailable, ""},        {"40P01", ErrorCode::unavailable, ""},
        {"57014", ErrorCode::timeout, ""},            {"08006", ErrorCode::unavailable, ""},
        {"57P01", ErrorCode::unavailable, ""},        {"53300", ErrorCode::unavailable, ""},
        {"22P02", ErrorCode::invalid_argument, ""},   {"25P02", ErrorCode::failed_precondition, ""},
        {"42P01", ErrorCode::internal, ""},           {"XX000", ErrorCode::internal, ""},
    };
    for (const Case& c : cases) {
        const Error e = postgres_error(c.state, "primary");
        EXPECT_EQ(e.code, c.code) << c.state;
        EXPECT_EQ(e.details, c.details) << c.state;
    }
    const Error data = postgres_error("22P02", "invalid input syntax for type bigint: \"my-secret\"");
    EXPECT_EQ(data.message.find("my-secret"), std::string::npos) << data.message;
}

// A connection double for pool tests: records rollbacks, can fail them.
class FakeConnection final : public Connection {
public:
    explicit FakeConnection(std::atomic<int>& closed) : closed_(closed) {}
    ~FakeConnection() override { ++closed_; }
    Dialect dialect() const noexcept override { return Dialect::sqlite; }
    Status execute_script(std::string_view) override { return {}; }
    Result<Statement*> prepare(std::string_view) override { return fail(ErrorCode::internal, "fake"); }
    Status begin(TransactionMode) override {
        txn = true;
        return {};
    }
    Status commit() override {
        txn = false;
        return {};
    }
    Status rollback() override {
        ++rollbacks;
        if (broken) return fail(ErrorCode::unavailable, "gone");
        txn = false;
        return {};
    }
    bool in_transaction() const noexcept override { return txn; }
    Status ping() override {
        if (broken) return fail(ErrorCode::unavailable, "gone");
        return {};
    }
    bool txn = false;
    bool broken = false;
    int rollbacks = 0;

private:
    std::atomic<int>& closed_;
};

TEST(ConnectionPoolTest, OpensLazilyUpToMaxAndReuses) {
    std::atomic<int> made{0}, closed{0};
    {
        ConnectionPool pool(
            [&]() -> Result<std::unique_ptr<Connection>> {
                ++made;
                return std::unique_ptr<Connection>(std::make_unique<FakeConnection>(closed));
            },
            2, 50ms);
        EXPECT_EQ(made.load(), 0);
        {
            auto a = pool.acquire();
            ASSERT_OK(a);
            EXPECT_EQ(made.load(), 1);
        }
        {
            auto a = pool.acquire();  // reuses the idle one
            ASSERT_OK(a);
            EXPECT_EQ(made.load(), 1);
            auto b = pool.acquire();
            ASSERT_OK(b);
            EXPECT_EQ(made.load(), 2);
            EXPECT_ERROR_CODE(pool.acquire(), ErrorCode::unavailable);
            ConnectionPool::Lease moved = std::move(*a);  // moving keeps the lease single-owner
            EXPECT_FALSE(moved->in_transaction());
        }
        EXPECT_EQ(closed.load(), 0);
    }
    EXPECT_EQ(closed.load(), 2);  // the pool closes idle connections
}

TEST(ConnectionPoolTest, FactoryFailureIsReportedAndFreesTheSlot) {
    std::atomic<int> attempts{0}, closed{0};
    ConnectionPool pool(
        [&]() -> Result<std::unique_ptr<Connection>> {
            if (++attempts == 1) return fail(ErrorCode::unavailable, "server down");
            return std::unique_ptr<Connection>(std::make_unique<FakeConnection>(closed));
        },
        1, 50ms);
    auto first = pool.acquire();
    EXPECT_ERROR_CODE(first, ErrorCode::unavailable);
    EXPECT_EQ(first.error().message, "server down");
    ASSERT_OK(pool.acquire());  // the failed attempt did not leak the slot
}

TEST(ConnectionPoolTest, RollsBackOnReturnAndDropsDeadConnections) {
    std::atomic<int> made{0}, closed{0};
    FakeConnection* last = nullptr;
    ConnectionPool pool(
        [&]() -> Result<std::unique_ptr<Connection>> {
            ++made;
            auto c = std::make_unique<FakeConnection>(closed);
            last = c.get();
            return std::unique_ptr<Connection>(std::move(c));
        },
        1, 50ms);
    {
        auto lease = pool.acquire();
        ASSERT_OK(lease);
        (void)(*lease)->begin(TransactionMode::immediate);
    }
    EXPECT_EQ(last->rollbacks, 1);
    EXPECT_FALSE(last->txn);
    EXPECT_EQ(closed.load(), 0);
    {
        auto lease = pool.acquire();
        ASSERT_OK(lease);
        EXPECT_EQ(made.load(), 1);
        (void)(*lease)->begin(TransactionMode::immediate);
        last->broken = true;  // rollback and ping fail: the pool must drop it
    }
    EXPECT_EQ(closed.load(), 1);
    auto fresh = pool.acquire();
    ASSERT_OK(fresh);
    EXPECT_EQ(made.load(), 2);
}

}  // namespace
}  // namespace gramkit::storage
