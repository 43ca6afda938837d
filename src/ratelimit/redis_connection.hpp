// gramkit — a small pool of blocking hiredis connections (internal; used by
// the Redis rate-limit store, src/ratelimit/redis_store.*).
//
// URL form: redis://[[user]:password@]host[:port][/db]  (port 6379, db 0 by
// default). Messages name the server by its redacted URL: the password never
// appears in an Error, a log line or an exception.
//
// Thread-safety: RedisPool may be used from any thread; a Lease (one
// connection) belongs to one thread at a time.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "gramkit/clock.hpp"
#include "gramkit/error.hpp"

struct redisContext;
struct redisReply;

namespace gramkit::ratelimit::detail {

struct RedisUrl {
    std::string host;
    int port = 6379;
    int db = 0;
    std::string user;      // empty: AUTH with the password only (or no AUTH)
    std::string password;  // empty: no AUTH
    std::string redacted;  // the URL with the password replaced by "***"
};

/// Parses redis://... (invalid_argument on anything else; the message shows
/// the redacted URL).
Result<RedisUrl> parse_redis_url(std::string_view url);
/// `url` with any password replaced by "***"; safe to log.
std::string redact_redis_url(std::string_view url);

/// Frees a hiredis reply (unique_ptr deleter).
struct ReplyDeleter {
    void operator()(redisReply* r) const noexcept;
};
using ReplyPtr = std::unique_ptr<redisReply, ReplyDeleter>;

/// One blocking connection with connect and command timeouts.
class RedisConnection {
public:
    ~RedisConnection();
    RedisConnection(const RedisConnection&) = delete;
    RedisConnection& operator=(const RedisConnection&) = delete;

    /// Connects, authenticates and selects the database.
    static Result<std::unique_ptr<RedisConnection>> open(const RedisUrl& url, Duration connect_timeout,
                                                         Duration command_timeout);

    /// Sends one command and reads its reply. An I/O or protocol error
    /// (unavailable / timeout) makes the connection broken. A Redis error
    /// reply is returned as a reply of type REDIS_REPLY_ERROR, not an Error.
    Result<ReplyPtr> command(std::span<const std::string_view> argv);
    /// Pipelining: queue commands, then read one reply per queued command.
    Status append(std::span<const std::string_view> argv);
    Result<ReplyPtr> read_reply();

    bool broken() const noexcept { return broken_; }
    void mark_broken() noexcept { broken_ = true; }

private:
    RedisConnection(redisContext* ctx, std::string redacted) : ctx_(ctx), redacted_(std::move(redacted)) {}
    Error io_error(std::string_view what);

    redisContext* ctx_;
    std::string redacted_;
    bool broken_ = false;
};

/// Up to `size` connections, created on demand. A connection that saw an
/// I/O error is dropped when its lease ends; the next acquire connects anew.
class RedisPool {
public:
    RedisPool(RedisUrl url, std::size_t size, Duration connect_timeout, Duration command_timeout);
    ~RedisPool();

    class Lease {
    public:
        Lease() = default;
        Lease(RedisPool* pool, std::unique_ptr<RedisConnection> conn) : pool_(pool), conn_(std::move(conn)) {}
        Lease(Lease&& o) noexcept = default;
        Lease& operator=(Lease&& o) noexcept {
            if (this != &o) {
                release();
                pool_ = o.pool_;
                conn_ = std::move(o.conn_);
            }
            return *this;
        }
        ~Lease() { release(); }
        RedisConnection* operator->() const noexcept { return conn_.get(); }
        RedisConnection& operator*() const noexcept { return *conn_; }

    private:
        void release() noexcept;
        RedisPool* pool_ = nullptr;
        std::unique_ptr<RedisConnection> conn_;
    };

    /// An idle connection, a new one (if fewer than `size` exist), or waits
    /// (up to the command timeout) for one to come back. Errors:
    /// unavailable (cannot connect), timeout (pool exhausted).
    Result<Lease> acquire();

    const RedisUrl& url() const noexcept { return url_; }

private:
    void give_back(std::unique_ptr<RedisConnection> conn) noexcept;

    RedisUrl url_;
    std::size_t size_;
    Duration connect_timeout_;
    Duration command_timeout_;
    std::mutex mu_;
    std::condition_variable cv_;
    std::vector<std::unique_ptr<RedisConnection>> idle_;
    std::size_t open_ = 0;  // idle + leased (+ being connected)
};

}  // namespace gramkit::ratelimit::detail
