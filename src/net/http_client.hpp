// gramkit::net — HttpClient, the production HttpTransport: Boost.Beast over
// OpenSSL with keep-alive pooling, per-request proxies (HTTP CONNECT,
// SOCKS5), bounded redirects, gzip/deflate decoding, retries with backoff
// and cookie jars. docs/http.md describes the behaviour in full.
//
// Thread-safety: send() may be called from any thread concurrently (a
// CookieJar's on_change callback runs on the thread that called send()).
// The destructor requires that no send() is in flight.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "gramkit/clock.hpp"
#include "gramkit/error.hpp"
#include "net/http_types.hpp"
#include "net/retry_policy.hpp"
#include "net/url.hpp"

namespace gramkit::net {

class ExchangeEngine;

struct PoolOptions {
    std::size_t max_idle_per_host = 4;  // per (scheme, host, port, proxy); 0 disables keep-alive reuse
    std::chrono::milliseconds idle_timeout{60'000};  // an older idle connection is closed, not reused
};

struct ClientOptions {
    std::optional<std::string> ca_file;  // PEM bundle; nullopt = the system store
    bool verify_peer = true;             // false only for tests against throwaway servers
    int max_redirects = 5;
    std::size_t max_request_bytes = 32u << 20;   // request body
    std::size_t max_response_bytes = 32u << 20;  // response body, on the wire and decoded
    std::size_t max_header_bytes = 64u << 10;    // response header block
    std::string user_agent = "gramkit/0.1";      // sent when the request has no User-Agent
    Timeouts timeouts;                            // default for requests without their own
    RetryPolicy retry;
    PoolOptions pool;
    /// Reads "now" for Retry-After HTTP dates. null = SystemClock.
    /// (Cookie expiry uses each CookieJar's own clock.)
    std::shared_ptr<const Clock> clock;
    /// Waits between attempts; tests inject one that records and returns.
    /// null = std::this_thread::sleep_for.
    std::function<void(std::chrono::milliseconds)> sleep;
    /// Uniform sample of [0, 1) for backoff jitter; null = a thread-local PRNG.
    std::function<double()> random;
    /// Ignored: the engine always runs its io_context on exactly one
    /// thread (its coroutines use no strand; more threads would race).
    /// Kept so existing code compiles; one thread serves any number of
    /// concurrent send() calls.
    int io_threads = 1;
};

class HttpClient final : public HttpTransport {
public:
    /// invalid_argument when the options are unusable (e.g. unreadable CA file).
    static Result<std::unique_ptr<HttpClient>> create(ClientOptions options = {});
    ~HttpClient() override;
    HttpClient(const HttpClient&) = delete;
    HttpClient& operator=(const HttpClient&) = delete;

    /// Sends `request`, following redirects and retrying per the policy.
    /// Never throws. Errors: invalid_argument (bad URL, method, header,
    /// proxy, an oversized body or header, a shorthand numeric host such as
    /// "127.1"), unavailable (DNS, refused, reset, TLS or proxy
    /// failures), permission_denied (proxy rejected the credentials),
    /// timeout (names the timeout), upstream_error (malformed HTTP, size
    /// limits, redirect loops or https→http downgrades, bad encoding).
    Result<HttpResponse> send(const HttpRequest& request) override;

    const ClientOptions& options() const noexcept { return options_; }
    /// Idle keep-alive connections currently pooled (all hosts).
    std::size_t idle_connections() const;

private:
    struct Hop;
    struct HopResult;
    HttpClient(ClientOptions options, std::unique_ptr<ExchangeEngine> engine);
    Result<HttpResponse> send_unguarded(const HttpRequest& request);
    Result<HopResult> send_hop(const Hop& hop, const HttpRequest& request, const Timeouts& timeouts,
                               std::chrono::steady_clock::time_point deadline);

    ClientOptions options_;
    std::unique_ptr<ExchangeEngine> engine_;
};

}  // namespace gramkit::net
