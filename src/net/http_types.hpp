// gramkit::net — the value types of an HTTP exchange and the HttpTransport
// interface the Instagram services depend on (DESIGN.md §1: services depend
// on interfaces, the engine picks HttpClient). Beast-free on purpose, so a
// service and its fakes compile without Boost.
//
// Thread-safety: plain values; HttpTransport implementations must allow
// send() from any thread concurrently.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "gramkit/error.hpp"

namespace gramkit::net {

class CookieJar;

using Headers = std::vector<std::pair<std::string, std::string>>;

/// A proxy for one request. `password` is a secret: it is only ever written
/// to the proxy, never into an error message or a log line.
struct ProxyConfig {
    enum Kind { http, socks5 };
    Kind kind = http;
    std::string host;
    std::uint16_t port = 0;
    std::string username;
    std::string password;
};

/// Per-phase limits. `total` bounds the whole send(): every redirect hop,
/// every retry and every backoff sleep.
struct Timeouts {
    std::chrono::milliseconds connect{10'000};  // DNS + TCP connect + proxy handshake
    std::chrono::milliseconds tls{10'000};      // TLS handshake
    std::chrono::milliseconds header{15'000};   // writing the request + reading the response header
    std::chrono::milliseconds body{30'000};     // reading the response body
    std::chrono::milliseconds total{60'000};
};

struct HttpRequest {
    std::string method = "GET";
    std::string url;  // absolute http:// or https:// URL
    /// Sent as given (values up to 32 KiB); Host, User-Agent, Accept-Encoding
    /// added when absent. A redirect to another origin keeps only Accept,
    /// Accept-Language, Accept-Encoding, User-Agent (and Content-Type while
    /// a body is still sent).
    Headers headers;
    std::string body;
    /// Whether the request may be repeated safely; nullopt = by method
    /// (GET, HEAD, OPTIONS, PUT, DELETE are idempotent).
    std::optional<bool> idempotent;
    std::optional<ProxyConfig> proxy;
    std::optional<Timeouts> timeouts;  // nullopt = the client's defaults
    /// true = 301/302/303/307/308 with a Location are followed (up to
    /// ClientOptions::max_redirects); false = a 3xx is returned to the
    /// caller as the response (redirects == 0), never an error. Even when
    /// true, a cross-origin 307/308 that would re-send a non-empty body is
    /// returned unfollowed.
    bool follow_redirects = true;
    /// Read before each hop (Cookie header) and updated from every response,
    /// redirect hops and retried responses included. Not owned.
    CookieJar* cookies = nullptr;
};

struct HttpResponse {
    int status = 0;
    Headers headers;  // in received order; repeated fields (Set-Cookie) kept
    std::string body;  // Content-Encoding (gzip/deflate) already removed
    std::string final_url;  // the URL that produced this response (after redirects)
    int redirects = 0;  // redirect hops followed
    int attempts = 0;   // exchanges made for the final URL (1 = no retry)

    /// First value of a header, case-insensitively; nullopt when absent.
    std::optional<std::string_view> header(std::string_view name) const;
    /// Every value of a header (e.g. all Set-Cookie lines), in order.
    std::vector<std::string_view> header_values(std::string_view name) const;
};

/// Blocking HTTP exchange with redirects, retries and cookies handled.
/// HTTP error statuses (4xx/5xx) are responses, not errors; errors are
/// transport failures (unavailable, timeout, upstream_error, ...).
class HttpTransport {
public:
    virtual ~HttpTransport();
    virtual Result<HttpResponse> send(const HttpRequest& request) = 0;
};

/// ASCII case-insensitive equality (header names, schemes, hosts).
bool iequals(std::string_view a, std::string_view b) noexcept;
/// First value of `name` in `headers`, case-insensitively.
std::optional<std::string_view> find_header(const Headers& headers, std::string_view name);
bool has_header(const Headers& headers, std::string_view name);
/// GET, HEAD, OPTIONS, PUT, DELETE (RFC 9110 §9.2.2; TRACE left out on purpose).
bool is_idempotent_method(std::string_view method) noexcept;

}  // namespace gramkit::net
