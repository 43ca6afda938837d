// Tests of the leader locks (src/jobs/leader_lock.hpp) that live on the
// storage backends: the table lease on every backend and the PostgreSQL
// advisory lock on PostgreSQL. The Redis lock is tested in
// tests/ratelimit/redis_leader_lock_test.cpp.
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "backend_fixture.hpp"
#include "jobs/leader_lock.hpp"
#include "storage/repositories.hpp"
#include "support/result_assertions.hpp"

namespace gramkit::jobs {
namespace {

using gramkit::test::at;
using gramkit::test::BackendFixture;
using namespace std::chrono_literals;

bool acquired(LeaderLock& lock) {
    auto r = lock.try_acquire();
    EXPECT_TRUE(r.has_value()) << r.error().to_string();
    return r && *r;
}

// --- table lease (every backend) ---------------------------------------------------------------

class TableLeaderLockTest : public BackendFixture {
protected:
    std::unique_ptr<LeaderLock> table_lock(std::string owner, Duration lease = 30s) {
        auto lock = make_table_leader_lock(backend_->leases(), "scheduler", std::move(owner), lease, clock_);
        EXPECT_TRUE(lock.has_value()) << lock.error().to_string();
        return lock ? std::move(*lock) : nullptr;
    }

    std::shared_ptr<ManualClock> clock_ = std::make_shared<ManualClock>(at(0));
};

TEST_P(TableLeaderLockTest, OneOwnerAtATimeAndTakeoverAfterExpiry) {
    auto a = table_lock("a");
    auto b = table_lock("b");
    ASSERT_TRUE(a && b);
    EXPECT_EQ(a->kind(), "table");
    EXPECT_TRUE(acquired(*a));
    EXPECT_FALSE(acquired(*b));

    // a renews every lease/3, so it keeps the lock past the first lease.
    for (int i = 0; i < 6; ++i) {
        clock_->advance(10s);
        EXPECT_TRUE(acquired(*a)) << "renewal " << i;
        EXPECT_FALSE(acquired(*b)) << "renewal " << i;
    }

    // a stops renewing (paused, crashed): b takes over once the lease is past.
    clock_->advance(30s);
    EXPECT_FALSE(acquired(*b));  // exactly at the expiry: still a's
    clock_->advance(1us);
    EXPECT_TRUE(acquired(*b));
    EXPECT_FALSE(acquired(*a));  // a finds out on its next call

    // a's release must not free b's lease.
    a->release();
    GK_ASSERT_OK_AND_ASSIGN(auto holder, backend_->leases().holder("scheduler"));
    ASSERT_TRUE(holder);
    EXPECT_EQ(holder->first, "b");

    b->release();
    b->release();  // idempotent
    GK_ASSERT_OK_AND_ASSIGN(holder, backend_->leases().holder("scheduler"));
    EXPECT_FALSE(holder);
    EXPECT_TRUE(acquired(*a));
}

TEST_P(TableLeaderLockTest, DestructorReleases) {
    {
        auto a = table_lock("a");
        ASSERT_TRUE(a);
        EXPECT_TRUE(acquired(*a));
    }
    auto b = table_lock("b");
    EXPECT_TRUE(acquired(*b));
}

TEST_P(TableLeaderLockTest, FactoryChecksArguments) {
    auto no_owner = make_table_leader_lock(backend_->leases(), "scheduler", "", 30s, clock_);
    ASSERT_FALSE(no_owner);
    EXPECT_EQ(no_owner.error().details, "owner");
    auto no_name = make_table_leader_lock(backend_->leases(), "", "a", 30s, clock_);
    ASSERT_FALSE(no_name);
    EXPECT_EQ(no_name.error().details, "name");
    auto no_lease = make_table_leader_lock(backend_->leases(), "scheduler", "a", 0s, clock_);
    ASSERT_FALSE(no_lease);
    EXPECT_EQ(no_lease.error().details, "lease");
}

TEST_P(TableLeaderLockTest, MakeLeaderLockPicksByBackendAndSpec) {
    GK_ASSERT_OK_AND_ASSIGN(auto automatic, make_leader_lock("auto", *backend_, "a", 30s, clock_));
    EXPECT_EQ(automatic->kind(), is_postgres() ? "postgres_advisory" : "table");
    GK_ASSERT_OK_AND_ASSIGN(auto table, make_leader_lock("table", *backend_, "a", 30s, clock_));
    EXPECT_EQ(table->kind(), "table");
    GK_ASSERT_OK_AND_ASSIGN(auto redis, make_leader_lock("redis://127.0.0.1:1/0", *backend_, "a", 30s, clock_));
    EXPECT_EQ(redis->kind(), "redis");  // connects on first use only

    for (std::string_view bad : {"", "postgres", "advisory", "Auto", "memcached://x"}) {
        auto r = make_leader_lock(bad, *backend_, "a", 30s, clock_);
        ASSERT_FALSE(r) << bad;
        EXPECT_EQ(r.error().code, ErrorCode::invalid_argument) << bad;
        EXPECT_EQ(r.error().details, "leader_lock") << bad;
    }
    auto no_owner = make_leader_lock("auto", *backend_, "", 30s, clock_);
    ASSERT_FALSE(no_owner);
    EXPECT_EQ(no_owner.error().details, "owner");
}

GRAMKIT_INSTANTIATE_STORAGE_BACKENDS(TableLeaderLockTest);

// --- PostgreSQL advisory lock ---------------------------------------------------------------

class PostgresLeaderLockTest : public BackendFixture {
protected:
    std::unique_ptr<LeaderLock> advisory_lock(storage::Database& db, std::string_view name = "scheduler") {
        auto lock = make_postgres_leader_lock(db, name);
        EXPECT_TRUE(lock.has_value()) << lock.error().to_string();
        return lock ? std::move(*lock) : nullptr;
    }

    /// The backend pid holding the advisory lock `name` (0 if none), asked
    /// on a connection of `db`.
    std::int64_t holder_pid(storage::Database& db, std::string_view name) {
        auto scoped = scoped_advisory_lock_key(db, name);
        EXPECT_TRUE(scoped.has_value());
        if (!scoped) return 0;
        const auto key = static_cast<std::uint64_t>(*scoped);
        std::int64_t pid = 0;
        auto conn = db.connection();
        EXPECT_TRUE(conn.has_value());
        if (!conn) return 0;
        auto s = storage::query(**conn,
                                "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted AND objsubid = 1 "
                                "AND CAST(classid AS BIGINT) = $1 AND CAST(objid AS BIGINT) = $2",
                                {static_cast<std::int64_t>(key >> 32), static_cast<std::int64_t>(key & 0xffffffffULL)},
                                [&](const storage::Row& r) -> Status {
                                    pid = r.i64(0);
                                    return {};
                                });
        EXPECT_TRUE(s.has_value()) << s.error().to_string();
        return pid;
    }
};

TEST_P(PostgresLeaderLockTest, SecondProcessWaitsUntilTheFirstReleases) {
    GK_ASSERT_OK_AND_ASSIGN(auto db1, open_again());
    GK_ASSERT_OK_AND_ASSIGN(auto db2, open_again());
    auto first = advisory_lock(*db1);
    auto second = advisory_lock(*db2);
    ASSERT_TRUE(first && second);
    EXPECT_EQ(first->kind(), "postgres_advisory");

    EXPECT_TRUE(acquired(*first));
    EXPECT_FALSE(acquired(*second));
    EXPECT_TRUE(acquired(*first));  // keeping it (re-checks, does not stack)
    EXPECT_FALSE(acquired(*second));

    // A different name is a different lock.
    auto other = advisory_lock(*db2, "other");
    EXPECT_TRUE(acquired(*other));

    first->release();
    EXPECT_EQ(holder_pid(db(), "scheduler"), 0);  // one release frees it (no stacked holds)
    first->release();                             // idempotent
    EXPECT_TRUE(acquired(*second));
    EXPECT_FALSE(acquired(*first));
    second->release();
    EXPECT_TRUE(acquired(*first));
}

TEST_P(PostgresLeaderLockTest, TwoLocksOnOneDatabaseUseSeparateSessions) {
    auto a = advisory_lock(db());
    auto b = advisory_lock(db());
    EXPECT_TRUE(acquired(*a));
    EXPECT_FALSE(acquired(*b));
    a.reset();  // the destructor releases and gives the connection back
    EXPECT_TRUE(acquired(*b));
}

TEST_P(PostgresLeaderLockTest, DeploymentsInOtherSchemasElectTheirOwnLeader) {
    // Advisory locks are per database; the key must include the schema, or
    // one deployment's leader would silence every other deployment's
    // schedules in the same database.
    auto other_schema = test::FreshDatabase::create(GetParam());
    GK_ASSERT_OK(other_schema);
    GK_ASSERT_OK_AND_ASSIGN(auto other_db, storage::Database::open((*other_schema)->url()));
    auto here = advisory_lock(db());
    auto there = advisory_lock(*other_db);
    ASSERT_TRUE(here && there);
    EXPECT_TRUE(acquired(*here));
    EXPECT_TRUE(acquired(*there));
    there.reset();
}

TEST_P(PostgresLeaderLockTest, AKilledSessionLosesTheLockToTheNextProcess) {
    // What happens when the leader crashes or its connection drops: the
    // server ends the session and releases its advisory locks by itself.
    GK_ASSERT_OK_AND_ASSIGN(auto db1, open_again());
    GK_ASSERT_OK_AND_ASSIGN(auto db2, open_again());
    auto first = advisory_lock(*db1);
    auto second = advisory_lock(*db2);
    ASSERT_TRUE(acquired(*first));
    ASSERT_FALSE(acquired(*second));

    const std::int64_t pid = holder_pid(db(), "scheduler");
    ASSERT_NE(pid, 0);
    {
        auto conn = db().connection();
        ASSERT_TRUE(conn.has_value());
        std::int64_t terminated = 0;
        // The timeout form waits until the backend has exited (PostgreSQL ≥ 14).
        GK_ASSERT_OK(storage::query(**conn,
                                    "SELECT CASE WHEN pg_terminate_backend(CAST($1 AS INTEGER), 10000) THEN 1 ELSE 0 END",
                                    {pid}, [&](const storage::Row& r) -> Status {
                                        terminated = r.i64(0);
                                        return {};
                                    }));
        ASSERT_EQ(terminated, 1);
    }
    EXPECT_TRUE(acquired(*second));
    // The old leader notices on its next call: its session (even if the
    // driver reconnected) no longer holds the lock.
    auto lost = first->try_acquire();
    EXPECT_FALSE(lost && *lost);
    EXPECT_FALSE(acquired(*first));  // and it stays out while second leads
    second->release();
    EXPECT_TRUE(acquired(*first));  // and it can lead again later
}

TEST(PostgresLeaderLockFactory, RefusesSqlite) {
    auto db = storage::Database::open("sqlite::memory:");
    ASSERT_TRUE(db.has_value()) << db.error().to_string();
    auto lock = make_postgres_leader_lock(**db, "scheduler");
    ASSERT_FALSE(lock);
    EXPECT_EQ(lock.error().code, ErrorCode::failed_precondition);
}

TEST(AdvisoryLockKey, IsStableFnv1a) {
    // FNV-1a 64 test vectors: the key must never change between releases,
    // or two versions of gramkit would lead at the same time.
    EXPECT_EQ(static_cast<std::uint64_t>(advisory_lock_key("")), 0xcbf29ce484222325ULL);
    EXPECT_EQ(static_cast<std::uint64_t>(advisory_lock_key("a")), 0xaf63dc4c8601ec8cULL);
    EXPECT_EQ(static_cast<std::uint64_t>(advisory_lock_key("foobar")), 0x85944171f73967e8ULL);
}

GRAMKIT_INSTANTIATE_STORAGE_BACKENDS_WHERE(PostgresLeaderLockTest, gramkit::test::is_postgres_backend);

}  // namespace
}  // namespace gramkit::jobs
