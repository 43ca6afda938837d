// gramkit::net — absolute http/https URLs: parsing and resolving a redirect's
// Location against the URL that produced it (RFC 3986 §5.2, the subset HTTP
// redirects need).
//
// Error messages never echo the query string: it may carry tokens.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "gramkit/error.hpp"

namespace gramkit::net {

struct Url {
    std::string scheme;  // "http" or "https", lower case
    std::string host;    // lower case; an IPv6 literal without its brackets
    std::uint16_t port = 0;  // explicit or the scheme's default
    std::string target;  // origin-form request target: path (starts with '/') + optional "?query"

    bool is_https() const noexcept { return scheme == "https"; }
    bool host_is_ipv6() const noexcept { return host.find(':') != std::string::npos; }
    /// A valid IPv4 (dotted quad) or IPv6 literal, by inet_pton.
    bool host_is_ip() const noexcept;
    bool has_default_port() const noexcept { return port == (is_https() ? 443 : 80); }
    /// The target without its query.
    std::string_view path() const noexcept;
    /// "host:port" ("[::1]:8443" for IPv6) — what error messages name.
    std::string host_port() const;
    /// The Host header value: the port only when it is not the default.
    std::string authority() const;
    /// scheme://authority/target
    std::string to_string() const;
    /// scheme://host:port/path — safe for messages (no query).
    std::string redacted() const;

    friend bool operator==(const Url&, const Url&) = default;
};

/// Parses an absolute http:// or https:// URL. Rejects user info, other
/// schemes, empty hosts, bad ports, whitespace/control characters, invalid
/// IPv6 literals and numeric-looking hosts (last label all digits or
/// 0x-hex) that are not a strict dotted-quad IPv4 address: "127.1",
/// "2130706433", "1.2.3", "0x7f.0.0.1", "127.0.0.01" (invalid_argument).
/// Such shorthands mean an IP to the resolver but not to TLS identity
/// checks, so they are refused rather than guessed at.
Result<Url> parse_url(std::string_view text);

/// Resolves `reference` (absolute, scheme-relative, absolute-path,
/// relative-path or query-only) against `base`; the fragment is dropped.
Result<Url> resolve_url(const Url& base, std::string_view reference);

}  // namespace gramkit::net
