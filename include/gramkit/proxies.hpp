// gramkit — proxies and sticky per-account proxy assignment.
//
// Ownership: returned values belong to the caller. A proxy password is
// encrypted at rest and appears only in `reveal_url`.
// Thread-safety: a ProxyService may be called from any thread; assignment is
// atomic in the database, so concurrent `assign` calls never overfill a proxy.
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

enum class ProxyScheme { http, https, socks5 };
enum class ProxyHealth { healthy, unhealthy };

GRAMKIT_API std::string_view to_string(ProxyScheme s) noexcept;
GRAMKIT_API std::string_view to_string(ProxyHealth h) noexcept;
GRAMKIT_API Result<ProxyHealth> parse_proxy_health(std::string_view text);

/// A parsed proxy URL: scheme://[user[:password]@]host:port
struct ProxyUrl {
    ProxyScheme scheme = ProxyScheme::http;
    std::string host;
    std::uint16_t port = 0;
    std::optional<std::string> username;
    std::optional<std::string> password;
    /// The URL without the password ("http://user@host:8080"), safe to show.
    std::string redacted() const;
    /// The full URL including the password. Secret.
    std::string full() const;
};
/// `invalid_argument` naming the problem (unknown scheme, missing port, ...);
/// the message never contains the password.
GRAMKIT_API Result<ProxyUrl> parse_proxy_url(std::string_view url);

struct Proxy {
    std::int64_t id = 0;
    ProxyScheme scheme = ProxyScheme::http;
    std::string host;
    std::uint16_t port = 0;
    std::optional<std::string> username;
    bool has_password = false;
    std::string url;  // redacted: no password
    ProxyHealth health = ProxyHealth::healthy;
    int failure_count = 0;
    int max_accounts = 3;
    int assigned_accounts = 0;
    Timestamp created_at{};
    Timestamp updated_at{};
};

struct NewProxy {
    std::string url;
    int max_accounts = 3;  // 1..10000
};

struct ProxyFilter {
    std::optional<ProxyHealth> health;
    std::optional<std::int64_t> after;
    std::size_t limit = 50;  // 1..1000
};

class GRAMKIT_API ProxyService {
public:
    virtual ~ProxyService() = default;

    /// `conflict` if the same scheme/host/port/username exists.
    virtual Result<Proxy> create(const NewProxy& spec) = 0;
    virtual Result<Proxy> get(std::int64_t id) = 0;
    virtual Result<Page<Proxy>> list(const ProxyFilter& filter) = 0;
    /// `failed_precondition` while accounts are still assigned to it.
    virtual Status remove(std::int64_t id) = 0;
    virtual Result<Proxy> set_max_accounts(std::int64_t id, int max_accounts) = 0;
    virtual Result<Proxy> set_health(std::int64_t id, ProxyHealth health) = 0;
    /// Counts a failure; at `failure_threshold` consecutive failures the
    /// proxy becomes unhealthy.
    virtual Result<Proxy> report_failure(std::int64_t id) = 0;
    /// Resets the failure count and marks the proxy healthy.
    virtual Result<Proxy> report_success(std::int64_t id) = 0;

    /// Sticky assignment: returns the account's proxy if it has one that is
    /// healthy; otherwise assigns the least-loaded healthy proxy with room
    /// (ties → lowest id). `unavailable` when no healthy proxy has room.
    virtual Result<Proxy> assign(std::int64_t account_id) = 0;
    /// Assigns a specific proxy (operator override). `failed_precondition`
    /// if it is full.
    virtual Result<Proxy> assign_to(std::int64_t account_id, std::int64_t proxy_id) = 0;
    virtual Status unassign(std::int64_t account_id) = 0;

    /// The full URL with password, for the HTTP layer. Secret.
    virtual Result<std::string> reveal_url(std::int64_t id) = 0;
};

}  // namespace gramkit
