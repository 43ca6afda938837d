// gramkit::net — one HTTP/1.1 exchange (one request, one response) over a
// pooled keep-alive connection or a new one: DNS, TCP, proxy tunnel (HTTP
// CONNECT or SOCKS5), TLS, write, read, per-phase timeouts and size
// limits. Redirects, retries, cookies and content decoding are the
// caller's (HttpClient's) business.
//
// This header is Beast-free; all Asio/Beast code lives in
// exchange_engine.cpp, the one heavy translation unit of src/net.
//
// Execution model: the engine owns an io_context run by ONE internal
// thread (the coroutines use no strand, so a second thread would race);
// perform() launches a coroutine there and blocks the
// calling thread on its future. perform() must therefore never be called
// from one of the engine's own threads (no caller does: it is private to
// HttpClient).
//
// Thread-safety: perform() may be called from any (other) thread
// concurrently. The destructor requires that no perform() is in flight.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>

#include "gramkit/error.hpp"
#include "net/http_types.hpp"
#include "net/url.hpp"

namespace gramkit::net {

struct ExchangeRequest {
    Url url;  // origin (scheme, host, port) and request target
    std::optional<ProxyConfig> proxy;
    std::string method;
    Headers headers;  // complete: the engine adds nothing but Content-Length
    std::string body;
    bool idempotent = true;
    Timeouts timeouts;
    std::chrono::steady_clock::time_point deadline;  // end of the `total` budget
};

/// Where an exchange failed: decides whether HttpClient may retry.
enum class FailureStage {
    none,
    connect,  // DNS, TCP connect to origin or proxy: nothing reached the origin
    proxy,    // the proxy refused the tunnel (auth, target): deterministic
    tls,      // TLS handshake / certificate verification: deterministic
    send,     // writing the request
    receive,  // reading the response
};

struct RawResponse {
    int status = 0;
    Headers headers;
    std::string body;  // as received (Content-Encoding not removed)
};

struct ExchangeOutcome {
    Result<RawResponse> response;
    FailureStage stage = FailureStage::none;
    bool request_sent = false;      // at least one byte of the request was written
    bool response_started = false;  // at least one byte of a response was read
};

struct EngineOptions {
    std::optional<std::string> ca_file;  // nullopt = the system store
    bool verify_peer = true;
    std::size_t max_response_bytes = 32u << 20;
    std::size_t max_header_bytes = 64u << 10;
    std::size_t max_idle_per_host = 4;
    std::chrono::milliseconds idle_timeout{60'000};
};

class ExchangeEngine {
public:
    /// unavailable/invalid_argument when the CA file cannot be loaded.
    static Result<std::unique_ptr<ExchangeEngine>> create(const EngineOptions& options);
    ~ExchangeEngine();
    ExchangeEngine(const ExchangeEngine&) = delete;
    ExchangeEngine& operator=(const ExchangeEngine&) = delete;

    /// Blocking. A keep-alive connection that turns out dead before any
    /// response byte is replaced by a fresh one once, but only when that
    /// cannot duplicate the request: the request is idempotent, or none of
    /// its bytes were written (a POST whose write "succeeded" into a dead
    /// socket is NOT repeated — the server may have read it).
    ExchangeOutcome perform(const ExchangeRequest& request);

    /// Idle pooled connections, all hosts (for tests and metrics).
    std::size_t idle_connections() const;

    struct Impl;

private:
    explicit ExchangeEngine(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

}  // namespace gramkit::net
