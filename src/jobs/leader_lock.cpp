// The leader lock implementations (see leader_lock.hpp).
#include "jobs/leader_lock.hpp"

#include <hiredis/hiredis.h>

#include <algorithm>
#include <mutex>
#include <optional>
#include <string>
#include <utility>

#include "ratelimit/redis_connection.hpp"
#include "storage/repositories.hpp"
#include "storage/sql.hpp"

namespace gramkit::jobs {

LeaderLock::~LeaderLock() = default;

std::int64_t advisory_lock_key(std::string_view name) noexcept {
    // FNV-1a, 64 bits: stable across processes, builds and machines (unlike
    // std::hash), which is what makes every process agree on the key.
    std::uint64_t h = 0xcbf29ce484222325ULL;
    for (const char ch : name) {
        h ^= static_cast<unsigned char>(ch);
        h *= 0x100000001b3ULL;
    }
    return static_cast<std::int64_t>(h);
}

namespace {

/// The integer in the first column of the first row (0 when there is none).
Result<std::int64_t> query_one_int(storage::Connection& c, std::string_view sql,
                                   std::initializer_list<storage::Param> params) {
    std::int64_t out = 0;
    GK_TRY(storage::query(c, sql, params, [&](const storage::Row& r) -> Status {
        out = r.i64(0);
        return {};
    }));
    return out;
}

Status check_lock_args(std::string_view name, std::string_view owner, Duration lease) {
    if (name.empty()) return fail(ErrorCode::invalid_argument, "leader lock name must not be empty", "name");
    if (owner.empty()) return fail(ErrorCode::invalid_argument, "leader lock owner must not be empty", "owner");
    if (lease <= Duration::zero()) return fail(ErrorCode::invalid_argument, "leader lease must be positive", "lease");
    return {};
}

// --- PostgreSQL advisory lock --------------------------------------------------------
//
// The lock belongs to the session (connection) that took it, so the lock
// keeps that connection leased for as long as it holds the lock. The driver
// reconnects a dropped connection transparently; the new session does not
// hold the lock, which is why "still held?" asks pg_locks about this very
// session instead of only pinging. A bigint advisory key shows up in
// pg_locks as classid = high 32 bits, objid = low 32 bits, objsubid = 1.

class PostgresLeaderLock final : public LeaderLock {
public:
    PostgresLeaderLock(storage::Database& db, std::int64_t key) : db_(db), key_(key) {}
    ~PostgresLeaderLock() override { release(); }

    Result<bool> try_acquire() override {
        std::lock_guard lock(mu_);
        if (held_) {
            Result<bool> still = still_held(**held_);
            if (still && *still) return true;
            // Dead connection, or a new session after a reconnect: the lock
            // is gone (PostgreSQL dropped it with the old session). If the
            // check failed for another reason (a timeout), the session may
            // still hold it: give_back unlocks before the pool gets it.
            give_back();
            return false;
        }
        auto lease = db_.connection();
        if (!lease) return fail(std::move(lease).error());
        GK_ASSIGN_OR_RETURN(
            auto got, query_one_int(**lease, "SELECT CASE WHEN pg_try_advisory_lock($1) THEN 1 ELSE 0 END", {key_}));
        if (got != 1) return false;  // someone else leads; the connection goes back to the pool
        held_ = std::move(*lease);
        return true;
    }

    void release() override {
        std::lock_guard lock(mu_);
        if (held_) give_back();
    }

    std::string_view kind() const noexcept override { return "postgres_advisory"; }

private:
    /// Unlocks and returns the kept connection to the pool. Never hands
    /// back a connection that may still hold the lock: if the plain unlock
    /// fails, every advisory lock of the session goes (pooled sessions hold
    /// no others). On a dead connection both fail harmlessly: PostgreSQL
    /// released the lock with the session.
    void give_back() {
        storage::Connection& c = **held_;
        auto unlocked = query_one_int(c, "SELECT CASE WHEN pg_advisory_unlock($1) THEN 1 ELSE 0 END", {key_});
        if (!unlocked || *unlocked != 1) {
            (void)query_one_int(c, "SELECT 1 FROM (SELECT pg_advisory_unlock_all()) AS unlocked", {});
        }
        held_.reset();
    }

    Result<bool> still_held(storage::Connection& c) const {
        const auto u = static_cast<std::uint64_t>(key_);
        GK_ASSIGN_OR_RETURN(std::int64_t n,
                            query_one_int(
                                c,
                                "SELECT COUNT(*) FROM pg_locks WHERE locktype = 'advisory' AND granted "
                                "AND pid = pg_backend_pid() AND objsubid = 1 "
                                "AND CAST(classid AS BIGINT) = $1 AND CAST(objid AS BIGINT) = $2",
                                {static_cast<std::int64_t>(u >> 32), static_cast<std::int64_t>(u & 0xffffffffULL)}));
        return n > 0;
    }

    storage::Database& db_;
    const std::int64_t key_;
    std::mutex mu_;
    std::optional<storage::ConnectionPool::Lease> held_;
};

// --- table lease ------------------------------------------------------------------------

class TableLeaderLock final : public LeaderLock {
public:
    TableLeaderLock(storage::LeaseRepository& leases, std::string name, std::string owner, Duration lease,
                    std::shared_ptr<const Clock> clock)
        : leases_(leases), name_(std::move(name)), owner_(std::move(owner)), lease_(lease), clock_(std::move(clock)) {}
    ~TableLeaderLock() override { release(); }

    Result<bool> try_acquire() override {
        std::lock_guard lock(mu_);
        const Timestamp now = clock_->now();
        Result<bool> got = leases_.acquire(name_, owner_, now, now + lease_);
        acquired_ = got && *got;
        return got;
    }

    void release() override {
        std::lock_guard lock(mu_);
        if (!acquired_) return;  // never held: nothing of ours to delete
        (void)leases_.release(name_, owner_);  // on failure the lease simply expires
        acquired_ = false;
    }

    std::string_view kind() const noexcept override { return "table"; }

private:
    storage::LeaseRepository& leases_;
    const std::string name_;
    const std::string owner_;
    const Duration lease_;
    const std::shared_ptr<const Clock> clock_;
    std::mutex mu_;
    bool acquired_ = false;
};

// --- Redis ------------------------------------------------------------------------------

using ratelimit::detail::RedisConnection;
using ratelimit::detail::RedisUrl;
using ratelimit::detail::ReplyPtr;

// KEYS[1] = lock key, ARGV[1] = owner, ARGV[2] = lease in ms. 1 = extended.
constexpr std::string_view kRenewScript =
    "if redis.call('GET', KEYS[1]) == ARGV[1] then "
    "return redis.call('PEXPIRE', KEYS[1], ARGV[2]) else return 0 end";
// KEYS[1] = lock key, ARGV[1] = owner. 1 = deleted.
constexpr std::string_view kReleaseScript =
    "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end";

constexpr Duration kRedisTimeout = std::chrono::seconds(2);

class RedisLeaderLock final : public LeaderLock {
public:
    RedisLeaderLock(RedisUrl url, std::string name, std::string owner, Duration lease)
        : url_(std::move(url)),
          key_("gramkit:leader:" + name),
          owner_(std::move(owner)),
          lease_ms_(std::to_string(std::max<std::int64_t>(
              1, std::chrono::duration_cast<std::chrono::milliseconds>(lease).count()))) {}
    ~RedisLeaderLock() override { release(); }

    Result<bool> try_acquire() override {
        std::lock_guard lock(mu_);
        Result<bool> r = acquire_locked();
        if (!r) drop();
        return r;
    }

    void release() override {
        std::lock_guard lock(mu_);
        if (!held_ || !conn_ || conn_->broken()) {
            held_ = false;
            return;
        }
        const std::string_view argv[] = {"EVAL", kReleaseScript, "1", key_, owner_};
        (void)conn_->command(argv);  // on failure the key simply expires
        held_ = false;
    }

    std::string_view kind() const noexcept override { return "redis"; }

private:
    Result<bool> acquire_locked() {
        if (!conn_ || conn_->broken()) {
            conn_.reset();
            GK_ASSIGN_OR_RETURN(conn_, RedisConnection::open(url_, kRedisTimeout, kRedisTimeout));
        }
        // Renew first: also covers a key that is still ours although this
        // object lost track (an earlier error after the key was set).
        const std::string_view renew[] = {"EVAL", kRenewScript, "1", key_, owner_, lease_ms_};
        GK_ASSIGN_OR_RETURN(ReplyPtr renewed, conn_->command(renew));
        GK_ASSIGN_OR_RETURN(std::int64_t extended, integer_reply(*renewed, "EVAL (renew)"));
        if (extended == 1) return held_ = true;

        const std::string_view take[] = {"SET", key_, owner_, "NX", "PX", lease_ms_};
        GK_ASSIGN_OR_RETURN(ReplyPtr set, conn_->command(take));
        if (set->type == REDIS_REPLY_ERROR) return fail(reply_error(*set, "SET NX"));
        held_ = set->type == REDIS_REPLY_STATUS;  // "OK"; nil when someone else holds it
        return held_;
    }

    Result<std::int64_t> integer_reply(const redisReply& r, std::string_view what) const {
        if (r.type == REDIS_REPLY_INTEGER) return static_cast<std::int64_t>(r.integer);
        if (r.type == REDIS_REPLY_ERROR) return fail(reply_error(r, what));
        return fail(ErrorCode::internal,
                    "Redis " + url_.redacted + ": unexpected reply type " + std::to_string(r.type) + " to " +
                        std::string(what));
    }

    Error reply_error(const redisReply& r, std::string_view what) const {
        return Error{ErrorCode::unavailable, "Redis " + url_.redacted + ": " + std::string(what) + " failed: " +
                                                 std::string(r.str != nullptr ? std::string_view(r.str, r.len) : "")};
    }

    /// After an error: not leader, and a fresh connection next time.
    void drop() noexcept {
        held_ = false;
        conn_.reset();
    }

    const RedisUrl url_;
    const std::string key_;
    const std::string owner_;
    const std::string lease_ms_;
    std::mutex mu_;
    std::unique_ptr<RedisConnection> conn_;
    bool held_ = false;
};

}  // namespace

Result<std::unique_ptr<LeaderLock>> make_postgres_leader_lock(storage::Database& db, std::string_view name) {
    if (name.empty()) return fail(ErrorCode::invalid_argument, "leader lock name must not be empty", "name");
    if (db.dialect() != storage::Dialect::postgresql) {
        return fail(ErrorCode::failed_precondition,
                    "an advisory leader lock needs PostgreSQL, not " + std::string(storage::to_string(db.dialect())),
                    "leader_lock");
    }
    GK_ASSIGN_OR_RETURN(std::int64_t key, scoped_advisory_lock_key(db, name));
    return std::unique_ptr<LeaderLock>(new PostgresLeaderLock(db, key));
}

Result<std::int64_t> scoped_advisory_lock_key(storage::Database& db, std::string_view name) {
    // Advisory locks are per database, not per schema: deployments that
    // share a database in different schemas (and parallel test runs) would
    // otherwise elect one leader among them all, and the others' schedules
    // would never fire.
    GK_ASSIGN_OR_RETURN(auto lease, db.connection());
    std::string scope;
    GK_TRY(storage::query(*lease, "SELECT current_database() || '.' || current_schema()", {},
                          [&](const storage::Row& r) -> Status {
                              scope = r.text(0);
                              return {};
                          }));
    return advisory_lock_key(std::string(name) + "@" + scope);
}

Result<std::unique_ptr<LeaderLock>> make_table_leader_lock(storage::LeaseRepository& leases, std::string name,
                                                           std::string owner, Duration lease,
                                                           std::shared_ptr<const Clock> clock) {
    GK_TRY(check_lock_args(name, owner, lease));
    if (!clock) return fail(ErrorCode::invalid_argument, "leader lock needs a clock", "clock");
    return std::unique_ptr<LeaderLock>(
        new TableLeaderLock(leases, std::move(name), std::move(owner), lease, std::move(clock)));
}

Result<std::unique_ptr<LeaderLock>> make_redis_leader_lock(std::string_view redis_url, std::string name,
                                                           std::string owner, Duration lease) {
    GK_TRY(check_lock_args(name, owner, lease));
    GK_ASSIGN_OR_RETURN(RedisUrl url, ratelimit::detail::parse_redis_url(redis_url));
    return std::unique_ptr<LeaderLock>(new RedisLeaderLock(std::move(url), std::move(name), std::move(owner), lease));
}

Result<std::unique_ptr<LeaderLock>> make_leader_lock(std::string_view spec, storage::Backend& backend,
                                                     std::string owner, Duration lease,
                                                     std::shared_ptr<const Clock> clock) {
    const std::string name(kSchedulerLockName);
    // One Redis may serve several deployments: the key names the database.
    if (spec.starts_with("redis://"))
        return make_redis_leader_lock(spec, name + "@" + backend.database().redacted_url(), std::move(owner), lease);
    const bool table = spec == "table" || (spec == "auto" && backend.database().dialect() != storage::Dialect::postgresql);
    if (table) return make_table_leader_lock(backend.leases(), name, std::move(owner), lease, std::move(clock));
    if (spec == "auto") {
        GK_TRY(check_lock_args(name, owner, lease));  // same checks as the other kinds
        return make_postgres_leader_lock(backend.database(), name);
    }
    return fail(ErrorCode::invalid_argument,
                "leader_lock must be \"auto\", \"table\" or a redis:// URL, got \"" +
                    storage::redact_database_url(spec) + "\"",
                "leader_lock");
}

}  // namespace gramkit::jobs
