// gramkit — login sessions (cookie jars) and the multi-account session
// manager.
//
// Each account has at most one session: a cookie jar stored encrypted, the
// user agent and device fields it was made with, timestamps and a valid
// flag. Cookie values are secrets: never log them.
// Thread-safety: SessionService and SessionManager may be called from any
// thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gramkit/accounts.hpp"
#include "gramkit/clock.hpp"
#include "gramkit/error.hpp"
#include "gramkit/export.hpp"

namespace gramkit {

struct Cookie {
    std::string name;
    std::string value;  // secret
    std::string domain;  // e.g. ".instagram.com"
    std::string path = "/";
    std::optional<Timestamp> expires;  // nullopt = session cookie
    bool secure = false;
    bool http_only = false;

    friend bool operator==(const Cookie&, const Cookie&) = default;
};

/// Device fields the session was created with (sent as headers later).
struct DeviceInfo {
    std::string user_agent;
    std::string device_id;
    std::string locale = "en_US";
};

struct Session {
    std::int64_t account_id = 0;
    DeviceInfo device;
    std::size_t cookie_count = 0;
    bool valid = true;
    std::string invalid_reason;
    Timestamp created_at{};
    Timestamp last_used_at{};
    std::optional<Timestamp> expires_at;  // earliest expiry among persistent cookies
};

struct SessionFilter {
    bool valid_only = false;
    std::optional<std::int64_t> after;  // account id cursor
    std::size_t limit = 50;             // 1..1000
};

/// Parses cookies exported by a browser or another tool: a JSON array of
/// objects (name, value, domain, path, expirationDate|expires (seconds),
/// secure, httpOnly) or a Netscape cookies.txt. Errors name the entry/line.
GRAMKIT_API Result<std::vector<Cookie>> parse_cookie_export(std::string_view text);

class GRAMKIT_API SessionService {
public:
    virtual ~SessionService() = default;

    /// The account's session; `not_found` if it has none.
    virtual Result<Session> get(std::int64_t account_id) = 0;
    /// Merges cookies into the jar (same name+domain+path replaces; an
    /// expired cookie deletes), creating the session if needed, and marks
    /// it valid. `device` replaces the device fields when given.
    virtual Result<Session> save_cookies(std::int64_t account_id, const std::vector<Cookie>& cookies,
                                         const std::optional<DeviceInfo>& device = std::nullopt) = 0;
    /// Replaces the whole jar.
    virtual Result<Session> replace_cookies(std::int64_t account_id, const std::vector<Cookie>& cookies,
                                            const std::optional<DeviceInfo>& device = std::nullopt) = 0;
    /// Applies what HTTP responses did to the jar: `changes` are the cookies
    /// they set (an expired one deletes), merged into the stored jar under
    /// the account's lock, so concurrent requests of one account do not
    /// overwrite each other's cookies. Unlike save_cookies it leaves the
    /// session's validity as it is (a request still in flight when the
    /// session was invalidated must not revive it), keeps the device, and
    /// drops cookies that cannot be stored (bad name, oversize) instead of
    /// failing. Creates the session when the account has none.
    virtual Result<Session> apply_response_cookies(std::int64_t account_id, const std::vector<Cookie>& changes) = 0;
    /// The jar, without cookies that have expired by now.
    virtual Result<std::vector<Cookie>> load_cookies(std::int64_t account_id) = 0;
    /// Marks the session invalid (for example after `login_required`).
    virtual Status invalidate(std::int64_t account_id, std::string_view reason) = 0;
    virtual Result<Page<Session>> list(const SessionFilter& filter) = 0;
};

/// An account handed out by the session manager.
struct CheckedOutAccount {
    std::int64_t account_id = 0;
    std::string username;
    std::optional<std::int64_t> proxy_id;
};

/// Hands out accounts for work: the least-recently-used account whose
/// status is `active` and whose session is valid, never to two holders at
/// once (within this process).
class GRAMKIT_API SessionManager {
public:
    virtual ~SessionManager() = default;
    /// `unavailable` if no eligible account is free.
    virtual Result<CheckedOutAccount> checkout() = 0;
    /// Returns an account; marks its session used now. `failed_precondition`
    /// if it was not checked out.
    virtual Status checkin(std::int64_t account_id) = 0;
    virtual std::size_t checked_out_count() const = 0;
};

}  // namespace gramkit
