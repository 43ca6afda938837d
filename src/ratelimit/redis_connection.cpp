// gramkit — blocking hiredis connections and their pool (see redis_connection.hpp).
#include "ratelimit/redis_connection.hpp"

#include <hiredis/hiredis.h>
#include <sys/time.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <string>

namespace gramkit::ratelimit::detail {
namespace {

constexpr std::string_view kScheme = "redis://";

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

std::string percent_decode(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '%' && i + 2 < s.size() && hex_value(s[i + 1]) >= 0 &&
            hex_value(s[i + 2]) >= 0) {
            out.push_back(static_cast<char>(hex_value(s[i + 1]) * 16 + hex_value(s[i + 2])));
            i += 2;
        } else {
            out.push_back(s[i]);
        }
    }
    return out;
}

timeval to_timeval(Duration d) {
    if (d.count() < 0) d = Duration{0};
    timeval tv{};
    tv.tv_sec = static_cast<decltype(tv.tv_sec)>(d.count() / 1'000'000);
    tv.tv_usec = static_cast<decltype(tv.tv_usec)>(d.count() % 1'000'000);
    return tv;
}

bool parse_int(std::string_view s, int& out) {
    if (s.empty()) return false;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    return ec == std::errc{} && p == s.data() + s.size();
}

}  // namespace

std::string redact_redis_url(std::string_view url) {
    const std::size_t start = url.starts_with(kScheme) ? kScheme.size() : (url.find("://") == std::string_view::npos ? 0 : url.find("://") + 3);
    const std::size_t auth_end = std::min(url.find_first_of("/?#", start), url.size());
    const std::string_view authority = url.substr(start, auth_end - start);
    const std::size_t at = authority.rfind('@');
    if (at == std::string_view::npos) return std::string(url);
    const std::string_view userinfo = authority.substr(0, at);
    const std::size_t colon = userinfo.find(':');
    if (colon == std::string_view::npos) return std::string(url);  // user name only
    std::string out(url.substr(0, start));
    out.append(userinfo.substr(0, colon + 1));
    out.append("***");
    out.append(url.substr(start + at));
    return out;
}

Result<RedisUrl> parse_redis_url(std::string_view url) {
    RedisUrl out;
    out.redacted = redact_redis_url(url);
    auto bad = [&](std::string_view why) {
        return fail(ErrorCode::invalid_argument, "invalid Redis URL '" + out.redacted + "': " + std::string(why), "url");
    };
    if (!url.starts_with(kScheme)) return bad("expected redis://host:port/db");
    std::string_view rest = url.substr(kScheme.size());
    if (rest.find_first_of("?#") != std::string_view::npos) return bad("query parameters are not supported");
    const std::size_t slash = rest.find('/');
    std::string_view authority = rest.substr(0, slash);
    std::string_view path = slash == std::string_view::npos ? std::string_view{} : rest.substr(slash + 1);

    if (const std::size_t at = authority.rfind('@'); at != std::string_view::npos) {
        const std::string_view userinfo = authority.substr(0, at);
        authority = authority.substr(at + 1);
        const std::size_t colon = userinfo.find(':');
        if (colon == std::string_view::npos) {
            out.user = percent_decode(userinfo);
        } else {
            out.user = percent_decode(userinfo.substr(0, colon));
            out.password = percent_decode(userinfo.substr(colon + 1));
        }
    }
    std::string_view host = authority;
    std::string_view port;
    if (authority.starts_with('[')) {
        const std::size_t close = authority.find(']');
        if (close == std::string_view::npos) return bad("unterminated IPv6 address");
        host = authority.substr(1, close - 1);
        std::string_view after = authority.substr(close + 1);
        if (!after.empty()) {
            if (after[0] != ':') return bad("unexpected text after the IPv6 address");
            port = after.substr(1);
        }
    } else if (const std::size_t colon = authority.rfind(':'); colon != std::string_view::npos) {
        host = authority.substr(0, colon);
        port = authority.substr(colon + 1);
    }
    if (host.empty()) return bad("missing host");
    out.host = std::string(host);
    if (!port.empty() && (!parse_int(port, out.port) || out.port <= 0 || out.port > 65535)) return bad("bad port");
    if (!path.empty() && (!parse_int(path, out.db) || out.db < 0)) return bad("bad database number");
    return out;
}

void ReplyDeleter::operator()(redisReply* r) const noexcept { freeReplyObject(r); }

RedisConnection::~RedisConnection() {
    if (ctx_ != nullptr) redisFree(ctx_);
}

Error RedisConnection::io_error(std::string_view what) {
    broken_ = true;
    const bool timed_out = ctx_->err == REDIS_ERR_IO && (errno == EAGAIN || errno == EWOULDBLOCK || errno == ETIMEDOUT);
    std::string msg = "Redis " + redacted_ + ": " + std::string(what) + ": " +
                      (ctx_->errstr[0] != '\0' ? std::string(ctx_->errstr) : std::string("connection error"));
    return Error{timed_out ? ErrorCode::timeout : ErrorCode::unavailable, std::move(msg)};
}

Result<std::unique_ptr<RedisConnection>> RedisConnection::open(const RedisUrl& url, Duration connect_timeout,
                                                                Duration command_timeout) {
    redisContext* ctx = redisConnectWithTimeout(url.host.c_str(), url.port, to_timeval(connect_timeout));
    if (ctx == nullptr) return fail(ErrorCode::unavailable, "Redis " + url.redacted + ": cannot allocate a connection");
    if (ctx->err != 0) {
        std::string msg = "Redis " + url.redacted + ": cannot connect: " + ctx->errstr;
        redisFree(ctx);
        return fail(ErrorCode::unavailable, std::move(msg));
    }
    std::unique_ptr<RedisConnection> conn(new RedisConnection(ctx, url.redacted));
    if (redisSetTimeout(ctx, to_timeval(command_timeout)) != REDIS_OK) {
        return fail(conn->io_error("cannot set the command timeout"));
    }
    redisEnableKeepAlive(ctx);

    auto check_ok = [&](std::span<const std::string_view> argv, std::string_view what) -> Status {
        GK_ASSIGN_OR_RETURN(ReplyPtr reply, conn->command(argv));
        if (reply->type == REDIS_REPLY_ERROR) {
            // The server's message (e.g. WRONGPASS) never contains the password.
            const ErrorCode code = std::string_view(reply->str, reply->len).starts_with("WRONGPASS") ||
                                           std::string_view(reply->str, reply->len).starts_with("NOAUTH")
                                       ? ErrorCode::unauthenticated
                                       : ErrorCode::unavailable;
            return fail(code, "Redis " + url.redacted + ": " + std::string(what) + " failed: " +
                                  std::string(reply->str, reply->len));
        }
        return {};
    };
    if (!url.password.empty()) {
        if (url.user.empty()) {
            const std::string_view argv[] = {"AUTH", url.password};
            GK_TRY(check_ok(argv, "AUTH"));
        } else {
            const std::string_view argv[] = {"AUTH", url.user, url.password};
            GK_TRY(check_ok(argv, "AUTH"));
        }
    }
    if (url.db != 0) {
        const std::string db = std::to_string(url.db);
        const std::string_view argv[] = {"SELECT", db};
        GK_TRY(check_ok(argv, "SELECT"));
    }
    return conn;
}

Status RedisConnection::append(std::span<const std::string_view> argv) {
    if (broken_) return fail(ErrorCode::unavailable, "Redis " + redacted_ + ": connection is broken");
    constexpr std::size_t kMaxArgs = 16;
    if (argv.size() > kMaxArgs) return fail(ErrorCode::internal, "too many Redis command arguments");
    const char* ptrs[kMaxArgs];
    std::size_t lens[kMaxArgs];
    for (std::size_t i = 0; i < argv.size(); ++i) {
        ptrs[i] = argv[i].data();
        lens[i] = argv[i].size();
    }
    if (redisAppendCommandArgv(ctx_, static_cast<int>(argv.size()), ptrs, lens) != REDIS_OK) {
        return fail(io_error("cannot queue a command"));
    }
    return {};
}

Result<ReplyPtr> RedisConnection::read_reply() {
    if (broken_) return fail(ErrorCode::unavailable, "Redis " + redacted_ + ": connection is broken");
    void* raw = nullptr;
    errno = 0;
    if (redisGetReply(ctx_, &raw) != REDIS_OK || raw == nullptr) {
        if (raw != nullptr) freeReplyObject(raw);
        return fail(io_error("no reply"));
    }
    return ReplyPtr(static_cast<redisReply*>(raw));
}

Result<ReplyPtr> RedisConnection::command(std::span<const std::string_view> argv) {
    GK_TRY(append(argv));
    return read_reply();
}

// ---- pool -------------------------------------------------------------------

RedisPool::RedisPool(RedisUrl url, std::size_t size, Duration connect_timeout, Duration command_timeout)
    : url_(std::move(url)),
      size_(size == 0 ? 1 : size),
      connect_timeout_(connect_timeout),
      command_timeout_(command_timeout) {}

RedisPool::~RedisPool() = default;  // every Lease must have ended

void RedisPool::Lease::release() noexcept {
    if (pool_ != nullptr && conn_) pool_->give_back(std::move(conn_));
    pool_ = nullptr;
}

void RedisPool::give_back(std::unique_ptr<RedisConnection> conn) noexcept {
    {
        std::lock_guard lock(mu_);
        if (conn->broken()) {
            --open_;  // dropped: the next acquire reconnects
        } else {
            idle_.push_back(std::move(conn));
        }
    }
    cv_.notify_one();
    // A broken connection is freed here, outside the lock.
}

Result<RedisPool::Lease> RedisPool::acquire() {
    std::unique_lock lock(mu_);
    const auto deadline = std::chrono::steady_clock::now() + command_timeout_;
    while (idle_.empty() && open_ >= size_) {
        if (cv_.wait_until(lock, deadline) == std::cv_status::timeout && idle_.empty() && open_ >= size_) {
            return fail(ErrorCode::timeout, "Redis " + url_.redacted + ": all " + std::to_string(size_) +
                                                " pooled connections are busy");
        }
    }
    if (!idle_.empty()) {
        auto conn = std::move(idle_.back());
        idle_.pop_back();
        return Lease(this, std::move(conn));
    }
    ++open_;
    lock.unlock();
    auto conn = RedisConnection::open(url_, connect_timeout_, command_timeout_);
    if (!conn) {
        {
            std::lock_guard relock(mu_);
            --open_;
        }
        cv_.notify_one();
        return fail(std::move(conn).error());
    }
    return Lease(this, std::move(*conn));
}

}  // namespace gramkit::ratelimit::detail
