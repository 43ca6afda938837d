// The leader lock (issue 6): only one process fires periodic schedules at a
// time. The pool's scheduler thread calls try_acquire every lease/3; while it
// returns true this process is the leader and fires due schedules. A lost
// lock (expiry, a dead connection, an error) answers false or an error, and
// the caller stops firing until it gets true again. Two leaders for a moment
// (a paused leader whose lease ran out) cannot double-fire a period: firing
// is a compare-and-set on the schedule row (ScheduleRepository::fire).
//
// Implementations:
//   - PostgreSQL advisory lock (make_postgres_leader_lock): a session-level
//     pg_try_advisory_lock held on one pooled connection. PostgreSQL releases
//     it by itself when that session ends, so a crashed or killed leader
//     never blocks the others (no expiry to wait for beyond the server
//     noticing the dead connection).
//   - Table lease (make_table_leader_lock): a row in leader_leases with an
//     owner and an expiry (LeaseRepository). The SQLite default; selectable
//     on any backend. A crashed leader blocks the others until its lease
//     expires.
//   - Redis (make_redis_leader_lock): SET key owner NX PX, renewed and
//     released by Lua scripts that act only while the key still holds the
//     owner's value.
//
// Thread-safety: every method may be called from any thread; calls are
// serialised inside each lock.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "gramkit/clock.hpp"
#include "gramkit/error.hpp"

namespace gramkit::storage {
class Backend;
class Database;
class LeaseRepository;
}  // namespace gramkit::storage

namespace gramkit::jobs {

class LeaderLock {
public:
    virtual ~LeaderLock();

    /// Takes the lock or keeps it; true while held. Called every lease/3 by
    /// the pool's scheduler thread. An error means "not leader" as well (the
    /// lock could not be checked); the next call tries again.
    virtual Result<bool> try_acquire() = 0;
    /// Gives it up (idempotent). Errors are swallowed: a lock that cannot be
    /// released explicitly ends with its session (PostgreSQL) or lease
    /// (table, Redis).
    virtual void release() = 0;
    /// "postgres_advisory", "table" or "redis".
    virtual std::string_view kind() const noexcept = 0;
};

/// The name make_leader_lock gives the scheduler's lock.
inline constexpr std::string_view kSchedulerLockName = "gramkit.scheduler";

/// The 64-bit PostgreSQL advisory-lock key for `name` (FNV-1a of the name).
std::int64_t advisory_lock_key(std::string_view name) noexcept;

/// A session-level advisory lock on `db` (PostgreSQL only: anything else is
/// `failed_precondition`). While held, it keeps one connection leased from
/// db's pool (so the pool has one connection fewer for everything else) and
/// checks on each try_acquire that this session still holds the lock; if the
/// connection died (the driver reconnects transparently, to a session that
/// does not hold it), leadership is lost: false, and the next call tries to
/// take it again. `db` must outlive the lock.
/// The key make_postgres_leader_lock uses: advisory_lock_key of
/// "<name>@<database>.<schema>", so deployments in different schemas of one
/// database elect separate leaders.
Result<std::int64_t> scoped_advisory_lock_key(storage::Database& db, std::string_view name);

Result<std::unique_ptr<LeaderLock>> make_postgres_leader_lock(storage::Database& db, std::string_view name);

/// A lease row `name` held by `owner` for `lease` from each successful
/// try_acquire (times from `clock`). `leases` must outlive the lock.
Result<std::unique_ptr<LeaderLock>> make_table_leader_lock(storage::LeaseRepository& leases, std::string name,
                                                           std::string owner, Duration lease,
                                                           std::shared_ptr<const Clock> clock);

/// The Redis key "gramkit:leader:<name>" holding `owner`, with a TTL of
/// `lease` (whole milliseconds, ≥ 1 ms). One connection, opened on first use
/// (2 s connect and command timeouts) and again after an error. A Redis
/// error is an error Result (never a crash) and the lock counts as lost.
/// URL: redis://[[user]:password@]host[:port][/db].
Result<std::unique_ptr<LeaderLock>> make_redis_leader_lock(std::string_view redis_url, std::string name,
                                                           std::string owner, Duration lease);

/// The scheduler's lock from the `leader_lock` setting:
///   "auto"       PostgreSQL advisory lock on PostgreSQL, table lease on SQLite
///   "table"      table lease on any backend
///   "redis://…"  Redis lock
/// Anything else → `invalid_argument` (details "leader_lock"). The lock is
/// named kSchedulerLockName; `backend` must outlive it.
Result<std::unique_ptr<LeaderLock>> make_leader_lock(std::string_view spec, storage::Backend& backend,
                                                     std::string owner, Duration lease,
                                                     std::shared_ptr<const Clock> clock);

}  // namespace gramkit::jobs
