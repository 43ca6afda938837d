// Helpers for the Redis rate-limit store tests: the shared server from
// GRAMKIT_TEST_REDIS_URL, private redis-server processes, child processes.
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <hiredis/hiredis.h>

#include "ratelimit/redis_connection.hpp"

extern char** environ;

namespace gramkit::ratelimit::testing {

/// The shared test server, or "" (see require_redis_url()).
inline std::string redis_url_from_env() {
    const char* v = std::getenv("GRAMKIT_TEST_REDIS_URL");
    return v != nullptr ? std::string(v) : std::string();
}

inline bool in_ci() {
    const char* v = std::getenv("CI");
    return v != nullptr && std::string(v) == "true";
}

/// In a test body: the shared server's URL; skips (or fails when CI=true)
/// when it is not configured.
#define GK_REQUIRE_REDIS_URL(var)                                                                           \
    const std::string var = ::gramkit::ratelimit::testing::redis_url_from_env();                            \
    if (var.empty()) {                                                                                      \
        if (::gramkit::ratelimit::testing::in_ci()) {                                                       \
            GTEST_FAIL() << "GRAMKIT_TEST_REDIS_URL is not set and CI=true: the Redis store must be tested " \
                            "in CI (eval \"$(tools/testenv/redis.sh start)\")";                             \
        }                                                                                                   \
        GTEST_SKIP() << "Redis not configured (GRAMKIT_TEST_REDIS_URL unset); run "                         \
                        "eval \"$(tools/testenv/redis.sh start)\"";                                         \
    }

/// A port that was free a moment ago (bind port 0, read it back, close).
inline int free_port() {
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

/// A raw connection for test-side commands (SCRIPT FLUSH, PTTL, ...).
inline std::unique_ptr<detail::RedisConnection> raw_connection(const std::string& url) {
    auto parsed = detail::parse_redis_url(url);
    if (!parsed) return nullptr;
    auto conn = detail::RedisConnection::open(*parsed, std::chrono::seconds(2), std::chrono::seconds(2));
    if (!conn) return nullptr;
    return std::move(*conn);
}

/// Integer reply of a command (or INT64_MIN on any failure).
inline long long raw_integer(detail::RedisConnection& conn, std::vector<std::string_view> argv) {
    auto r = conn.command(argv);
    if (!r || (*r)->type != REDIS_REPLY_INTEGER) return std::numeric_limits<long long>::min();
    return (*r)->integer;
}

/// Spawns argv[0] (PATH lookup) with stdout/stderr redirected to `out_fd`
/// (or /dev/null when -1). Returns the pid or -1.
inline pid_t spawn(const std::vector<std::string>& args, int out_fd = -1) {
    std::vector<char*> argv;
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    if (out_fd >= 0) {
        posix_spawn_file_actions_adddup2(&fa, out_fd, 1);
    } else {
        posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    }
    posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
    pid_t pid = -1;
    const int rc = posix_spawnp(&pid, argv[0], &fa, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    return rc == 0 ? pid : -1;
}

/// A private redis-server (a child process, no persistence) on a free
/// port; kill() and restart() keep the port. Stopped by the destructor.
class RedisServer {
public:
    RedisServer() {
        char tmpl[] = "/tmp/gramkit-redis-test.XXXXXX";
        if (::mkdtemp(tmpl) != nullptr) dir_ = tmpl;
    }
    ~RedisServer() {
        kill();
        if (!dir_.empty()) {
            std::error_code ec;
            std::filesystem::remove_all(dir_, ec);
        }
    }
    RedisServer(const RedisServer&) = delete;
    RedisServer& operator=(const RedisServer&) = delete;

    /// Starts on a free port (first call) or on the same port again.
    bool start() {
        if (dir_.empty()) return false;
        for (int attempt = 0; attempt < 20; ++attempt) {
            if (port_ == 0 || (attempt > 0 && !keep_port_)) port_ = free_port();
            const std::string port = std::to_string(port_);
            pid_ = spawn({"redis-server", "--port", port, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                          "--daemonize", "no", "--dir", dir_, "--logfile", dir_ + "/redis.log"});
            if (pid_ < 0) return false;
            for (int i = 0; i < 100; ++i) {
                if (auto c = raw_connection(url())) {
                    keep_port_ = true;
                    return true;
                }
                int status = 0;
                if (::waitpid(pid_, &status, WNOHANG) == pid_) {  // died (port taken?)
                    pid_ = -1;
                    break;
                }
                std::this_thread::sleep_for(std::chrono::milliseconds(20));
            }
            kill();
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
        return false;
    }
    /// SIGKILL, as a crash would.
    void kill() {
        if (pid_ > 0) {
            ::kill(pid_, SIGKILL);
            int status = 0;
            ::waitpid(pid_, &status, 0);
            pid_ = -1;
        }
    }
    bool running() const { return pid_ > 0; }
    int port() const { return port_; }
    std::string url() const { return "redis://127.0.0.1:" + std::to_string(port_) + "/0"; }

private:
    std::string dir_;
    int port_ = 0;
    bool keep_port_ = false;  // once started, restarts reuse the port
    pid_t pid_ = -1;
};

inline bool have_redis_server() {
    return std::system("command -v redis-server >/dev/null 2>&1") == 0;
}

#define GK_REQUIRE_REDIS_SERVER_BINARY()                                                              \
    if (!::gramkit::ratelimit::testing::have_redis_server()) {                                        \
        if (::gramkit::ratelimit::testing::in_ci()) GTEST_FAIL() << "redis-server not installed";     \
        GTEST_SKIP() << "redis-server not installed (apt-get install redis-server)";                  \
    }

}  // namespace gramkit::ratelimit::testing
