// gramkit::storage — dialect-independent helpers and the connection pool.
#include "storage/sql.hpp"

#include <optional>

#include <condition_variable>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace gramkit::storage {

std::string_view to_string(Dialect d) noexcept {
    switch (d) {
        case Dialect::sqlite: return "sqlite";
        case Dialect::postgresql: return "postgresql";
    }
    return "unknown";
}

// --- exec / query -------------------------------------------------------------

Result<std::int64_t> exec(Connection& c, std::string_view sql, std::initializer_list<Param> params) {
    return exec(c, sql, std::span<const Param>(params.begin(), params.size()));
}

Result<std::int64_t> exec(Connection& c, std::string_view sql, std::span<const Param> params) {
    GK_ASSIGN_OR_RETURN(Statement* stmt, c.prepare(sql));
    GK_TRY(stmt->bind(params));
    // Drain any rows (e.g. INSERT ... RETURNING run for its side effect) so the
    // statement completes and rows_affected() is final.
    for (;;) {
        GK_ASSIGN_OR_RETURN(bool has_row, stmt->step());
        if (!has_row) break;
    }
    return stmt->rows_affected();
}

Status query(Connection& c, std::string_view sql, std::span<const Param> params,
             const std::function<Status(const Row&)>& on_row) {
    GK_ASSIGN_OR_RETURN(Statement* stmt, c.prepare(sql));
    GK_TRY(stmt->bind(params));
    const Row row(*stmt);
    for (;;) {
        GK_ASSIGN_OR_RETURN(bool has_row, stmt->step());
        if (!has_row) return {};
        if (on_row) {
            Status s = on_row(row);
            if (!s) {
                // Stopping early: release the snapshot/result now rather than
                // whenever this cached statement is next used.
                stmt->reset();
                return s;
            }
        }
    }
}

// --- pool -------------------------------------------------------------------

struct ConnectionPool::State {
    Factory factory;
    std::size_t max_size;
    Duration acquire_timeout;

    std::mutex mutex;
    std::condition_variable available;          // signalled when idle gains a connection or a slot frees up
    std::vector<std::unique_ptr<Connection>> idle;  // guarded by mutex
    std::size_t open = 0;                        // leased + idle + being opened; guarded by mutex
};

ConnectionPool::ConnectionPool(Factory factory, std::size_t max_size, Duration acquire_timeout)
    : st_(std::make_unique<State>()) {
    st_->factory = std::move(factory);
    st_->max_size = max_size == 0 ? 1 : max_size;
    st_->acquire_timeout = acquire_timeout;
    st_->idle.reserve(st_->max_size);
}

// Leases must not outlive their pool (they hold a raw back pointer); the
// idle connections close here.
ConnectionPool::~ConnectionPool() = default;

std::size_t ConnectionPool::max_size() const noexcept { return st_->max_size; }

Result<ConnectionPool::Lease> ConnectionPool::acquire() {
    State& st = *st_;
    // The clock is read only when we have to wait (the common case is an
    // idle connection, on every repository call).
    std::optional<std::chrono::steady_clock::time_point> deadline;
    std::unique_lock lock(st.mutex);
    for (;;) {
        if (!st.idle.empty()) {
            std::unique_ptr<Connection> c = std::move(st.idle.back());
            st.idle.pop_back();
            return Lease(this, std::move(c));
        }
        if (st.open < st.max_size) {
            // Reserve the slot, then connect without holding the lock:
            // opening a PostgreSQL connection can take a network round trip
            // (or the whole connect timeout).
            ++st.open;
            lock.unlock();
            Result<std::unique_ptr<Connection>> made = [&] {
                try {
                    return st.factory();
                } catch (...) {  // out of memory: give the slot back, then rethrow
                    std::lock_guard relock(st.mutex);
                    --st.open;
                    st.available.notify_one();
                    throw;
                }
            }();
            if (made && *made) return Lease(this, std::move(*made));
            lock.lock();
            --st.open;
            st.available.notify_one();  // another waiter may try its luck
            // The driver's error says best why (unreachable server, malformed
            // URL, not a database file).
            if (!made) return fail(std::move(made).error());
            return fail(ErrorCode::internal, "connection factory returned no connection");
        }
        if (!deadline) deadline = std::chrono::steady_clock::now() + st.acquire_timeout;
        if (st.available.wait_until(lock, *deadline) == std::cv_status::timeout &&
            st.idle.empty() && st.open >= st.max_size) {
            const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(st.acquire_timeout).count();
            return fail(ErrorCode::unavailable, "no database connection became free within " +
                                                    std::to_string(ms) + " ms (pool size " +
                                                    std::to_string(st.max_size) + ")");
        }
    }
}

void ConnectionPool::release(std::unique_ptr<Connection> c) noexcept {
    bool keep = true;
    if (c->in_transaction()) {
        // A lease dropped mid-transaction (early return, exception): the
        // next user must start clean. If even the rollback fails, check the
        // connection; a dead one is closed rather than handed out again.
        if (!c->rollback() || c->in_transaction()) keep = c->ping().has_value() && !c->in_transaction();
    }
    State& st = *st_;
    std::unique_ptr<Connection> to_close;
    {
        std::lock_guard lock(st.mutex);
        if (keep) {
            st.idle.push_back(std::move(c));
        } else {
            --st.open;
            to_close = std::move(c);
        }
    }
    st.available.notify_one();
    // to_close (if any) is destroyed here, outside the lock.
}

ConnectionPool::Lease::Lease(Lease&& o) noexcept : pool_(std::exchange(o.pool_, nullptr)), conn_(std::move(o.conn_)) {}

ConnectionPool::Lease& ConnectionPool::Lease::operator=(Lease&& o) noexcept {
    if (this != &o) {
        if (pool_ && conn_) pool_->release(std::move(conn_));
        pool_ = std::exchange(o.pool_, nullptr);
        conn_ = std::move(o.conn_);
    }
    return *this;
}

ConnectionPool::Lease::~Lease() {
    if (pool_ && conn_) pool_->release(std::move(conn_));
}

}  // namespace gramkit::storage
