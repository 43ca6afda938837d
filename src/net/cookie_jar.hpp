// gramkit::net — an RFC 6265 cookie jar (the subset a scraping client
// needs): Set-Cookie parsing, domain/path matching, expiry via the injected
// Clock, secure-only cookies, and conversion to/from the persisted
// gramkit::Cookie form of the account session.
//
// Not implemented: the public suffix list (a server may set a cookie for a
// registrable parent such as ".com" if the request host domain-matches it),
// SameSite enforcement (parsed and ignored), cookie count caps.
//
// Size and lifetime caps (RFC 6265bis): a Set-Cookie whose name + value
// exceed 4096 bytes is ignored, an expiry (Max-Age or Expires) is clamped
// to 400 days from now, and cookie_header_for() sends at most 8 KiB.
//
// Mapping to gramkit::Cookie (what the session store persists):
//   host-only cookie     -> domain "www.example.com"   (no leading dot)
//   domain cookie        -> domain ".example.com"      (leading dot)
// and back the same way. Browser exports that write a domain cookie without
// the dot therefore load as host-only: they are still sent to that host.
//
// Thread-safety: every member may be called from any thread concurrently.
// on_change callbacks run on the thread that made the change, after the
// jar's lock is released (so they may call to_cookies()).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gramkit/clock.hpp"
#include "gramkit/sessions.hpp"
#include "net/http_types.hpp"
#include "net/url.hpp"

namespace gramkit::net {

/// RFC 6265bis §5.6: longer name + value pairs are ignored.
inline constexpr std::size_t kMaxCookieNameValueBytes = 4096;
/// RFC 6265bis §5.5/§5.6: Max-Age and Expires are clamped to 400 days.
inline constexpr std::chrono::seconds kMaxCookieLifetime{400LL * 24 * 3600};
/// cookie_header_for() never returns more than this many bytes.
inline constexpr std::size_t kMaxCookieHeaderBytes = 8192;

/// One cookie as the jar holds it (RFC 6265 §5.3 storage model, trimmed).
struct StoredCookie {
    std::string name;
    std::string value;
    std::string domain;  // lower case, never with a leading dot
    bool host_only = true;
    std::string path = "/";
    std::optional<Timestamp> expires;  // nullopt = session cookie
    bool secure = false;
    bool http_only = false;
};

/// Parses one Set-Cookie value received in answer to `request_url`
/// (§5.2 + §5.3). nullopt when the cookie must be ignored: a control
/// character other than HTAB anywhere (RFC 6265bis §5.6), no '=' in the
/// name-value pair, empty name, a name that is not an RFC 9110 token (space,
/// separators such as ()<>@,;:\"/[]?={}), name + value over
/// kMaxCookieNameValueBytes, a Domain the host does not domain-match, or
/// Secure set over plain http. An expiry in the past is returned as is (it
/// deletes a stored cookie); one beyond now + kMaxCookieLifetime is clamped
/// to it.
std::optional<StoredCookie> parse_set_cookie(std::string_view header_value, const Url& request_url, Timestamp now);

/// §5.1.3: `host` equals `domain` or ends with "." + domain (never for IP hosts).
bool domain_matches(std::string_view host, std::string_view domain);
/// §5.1.4.
bool path_matches(std::string_view request_path, std::string_view cookie_path);
/// §5.1.4 default-path of a request path.
std::string default_cookie_path(std::string_view request_path);

class CookieJar {
public:
    explicit CookieJar(std::shared_ptr<const Clock> clock = SystemClock::shared());

    /// Applies one Set-Cookie value; true if the jar changed.
    bool set_cookie(const Url& request_url, std::string_view set_cookie_value);
    /// Applies every Set-Cookie header of a response; true if the jar changed.
    bool update_from_response(const Url& request_url, const Headers& response_headers);

    /// The Cookie header value for a request to `url` ("" when none match):
    /// unexpired cookies whose domain and path match, secure ones only over
    /// https, longer paths first, then older first. A cookie that would make
    /// the value longer than kMaxCookieHeaderBytes is left out (the rest
    /// keep their order).
    std::string cookie_header_for(const Url& url) const;

    /// Unexpired cookies in the persisted form (see the mapping above).
    std::vector<Cookie> to_cookies() const;
    /// Replaces the content with `cookies` (expired ones skipped). Does not
    /// call on_change: loading is not a change to save back.
    void load(const std::vector<Cookie>& cookies);

    /// Called after every change made by set_cookie/update_from_response, so
    /// the owner can save the session back. Replaces any earlier callback.
    void on_change(std::function<void()> callback);
    /// Increases on every change; lets a caller compare before/after.
    std::uint64_t version() const;
    /// Number of unexpired cookies.
    std::size_t size() const;

private:
    struct Entry {
        StoredCookie cookie;
        std::uint64_t created_seq;  // tie-breaker for the send order
    };
    // Applies under lock; true if changed.
    bool apply_locked(StoredCookie cookie, Timestamp now);
    void notify_if(bool changed);

    std::shared_ptr<const Clock> clock_;
    mutable std::mutex mutex_;
    std::vector<Entry> entries_;
    std::uint64_t next_seq_ = 0;
    std::uint64_t version_ = 0;
    std::function<void()> on_change_;
};

}  // namespace gramkit::net
