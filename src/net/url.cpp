// URL parsing and reference resolution (see url.hpp).
#include "net/url.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <vector>

namespace gramkit::net {

namespace {

std::string lower(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

bool has_forbidden_chars(std::string_view s) {
    return std::any_of(s.begin(), s.end(), [](unsigned char c) { return c <= 0x20 || c == 0x7f; });
}

// RFC 3986 §5.2.4 for an absolute path (starts with '/'), no query.
std::string remove_dot_segments(std::string_view path) {
    std::vector<std::string_view> kept;
    bool ends_in_directory = false;
    std::size_t pos = 1;  // skip the leading '/'
    while (pos <= path.size()) {
        std::size_t next = std::min(path.find('/', pos), path.size());
        std::string_view seg = path.substr(pos, next - pos);
        const bool last = next == path.size();
        if (seg == "..") {
            if (!kept.empty()) kept.pop_back();
            ends_in_directory = last;
        } else if (seg == ".") {
            ends_in_directory = last;
        } else {
            kept.push_back(seg);
            ends_in_directory = false;
        }
        pos = next + 1;
    }
    std::string result;
    for (std::string_view seg : kept) {
        result += '/';
        result += seg;
    }
    if (result.empty() || ends_in_directory) result += '/';
    return result;
}

bool is_ipv4(const std::string& host) {
    in_addr a{};
    return ::inet_pton(AF_INET, host.c_str(), &a) == 1;
}

bool is_ipv6(const std::string& host) {
    in6_addr a{};
    return ::inet_pton(AF_INET6, host.c_str(), &a) == 1;
}

// WHATWG URL "ends in a number": the last label (ignoring one trailing
// dot) is all digits or 0x-hex. Browsers and inet_aton read such hosts as
// IPv4 in shorthand forms ("127.1", "2130706433", "0x7f.1", "1.2.3").
bool looks_numeric(std::string_view host) {
    if (host.ends_with('.')) host.remove_suffix(1);
    const auto dot = host.rfind('.');
    std::string_view last = dot == std::string_view::npos ? host : host.substr(dot + 1);
    if (last.empty()) return false;
    if (std::all_of(last.begin(), last.end(), [](unsigned char c) { return std::isdigit(c); })) return true;
    if (last.size() >= 2 && last[0] == '0' && (last[1] == 'x' || last[1] == 'X'))
        return std::all_of(last.begin() + 2, last.end(), [](unsigned char c) { return std::isxdigit(c); });
    return false;
}

}  // namespace

bool Url::host_is_ip() const noexcept { return host_is_ipv6() ? is_ipv6(host) : is_ipv4(host); }

std::string_view Url::path() const noexcept {
    std::string_view t = target;
    return t.substr(0, t.find('?'));
}

std::string Url::host_port() const {
    std::string h = host_is_ipv6() ? "[" + host + "]" : host;
    return h + ":" + std::to_string(port);
}

std::string Url::authority() const {
    std::string h = host_is_ipv6() ? "[" + host + "]" : host;
    return has_default_port() ? h : h + ":" + std::to_string(port);
}

std::string Url::to_string() const { return scheme + "://" + authority() + target; }

std::string Url::redacted() const { return scheme + "://" + host_port() + std::string(path()); }

Result<Url> parse_url(std::string_view text) {
    if (text.empty()) return fail(ErrorCode::invalid_argument, "empty URL");
    if (has_forbidden_chars(text)) return fail(ErrorCode::invalid_argument, "URL contains whitespace or control characters");
    const auto colon = text.find("://");
    if (colon == std::string_view::npos) return fail(ErrorCode::invalid_argument, "URL is not absolute (no scheme://)");
    Url url;
    url.scheme = lower(text.substr(0, colon));
    if (url.scheme != "http" && url.scheme != "https")
        return fail(ErrorCode::invalid_argument, "unsupported URL scheme '" + url.scheme + "' (http or https only)");
    std::string_view rest = text.substr(colon + 3);
    rest = rest.substr(0, rest.find('#'));
    const auto authority_end = rest.find_first_of("/?");
    std::string_view authority = rest.substr(0, authority_end);
    std::string_view target = authority_end == std::string_view::npos ? std::string_view{} : rest.substr(authority_end);
    if (authority.find('@') != std::string_view::npos)
        return fail(ErrorCode::invalid_argument, "URLs with user info are not supported");

    std::string_view host;
    std::string_view port_text;
    if (authority.starts_with('[')) {
        const auto close = authority.find(']');
        if (close == std::string_view::npos) return fail(ErrorCode::invalid_argument, "unterminated IPv6 literal in URL");
        host = authority.substr(1, close - 1);
        std::string_view after = authority.substr(close + 1);
        if (!after.empty()) {
            if (after[0] != ':') return fail(ErrorCode::invalid_argument, "unexpected characters after IPv6 literal in URL");
            port_text = after.substr(1);
        }
        if (host.find_first_not_of("0123456789abcdefABCDEF:.") != std::string_view::npos || !is_ipv6(std::string(host)))
            return fail(ErrorCode::invalid_argument, "invalid IPv6 literal in URL");
    } else {
        const auto c = authority.rfind(':');
        host = authority.substr(0, c);
        if (c != std::string_view::npos) port_text = authority.substr(c + 1);
        if (host.find_first_of("[]") != std::string_view::npos)
            return fail(ErrorCode::invalid_argument, "invalid host in URL");
    }
    if (host.empty()) return fail(ErrorCode::invalid_argument, "URL has no host");
    url.host = lower(host);
    // A numeric-looking host must be a strict dotted-quad: the resolver
    // would read "127.1" or "2130706433" as an address, but TLS identity
    // checks (and cookie domain rules) would not recognise it as one.
    if (!url.host_is_ipv6() && looks_numeric(url.host) && !is_ipv4(url.host))
        return fail(ErrorCode::invalid_argument,
                    "numeric host '" + url.host + "' in URL is not a dotted-quad IPv4 address (a.b.c.d)");
    url.port = url.is_https() ? 443 : 80;
    if (authority.find(':', authority.starts_with('[') ? authority.find(']') : 0) != std::string_view::npos) {
        unsigned value = 0;
        auto [ptr, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), value);
        if (port_text.empty() || ec != std::errc{} || ptr != port_text.data() + port_text.size() || value == 0 || value > 65535)
            return fail(ErrorCode::invalid_argument, "invalid port in URL for host " + url.host);
        url.port = static_cast<std::uint16_t>(value);
    }
    if (target.empty() || target[0] == '?') url.target = "/" + std::string(target);
    else url.target = std::string(target);
    return url;
}

Result<Url> resolve_url(const Url& base, std::string_view reference) {
    reference = reference.substr(0, reference.find('#'));
    // Surrounding whitespace is tolerated in Location values; inner is not.
    while (!reference.empty() && (reference.front() == ' ' || reference.front() == '\t')) reference.remove_prefix(1);
    while (!reference.empty() && (reference.back() == ' ' || reference.back() == '\t')) reference.remove_suffix(1);
    if (has_forbidden_chars(reference)) return fail(ErrorCode::invalid_argument, "redirect location contains whitespace or control characters");

    const auto scheme_end = reference.find(':');
    const auto first_delim = reference.find_first_of("/?");
    if (scheme_end != std::string_view::npos && (first_delim == std::string_view::npos || scheme_end < first_delim))
        return parse_url(reference);
    if (reference.starts_with("//")) return parse_url(base.scheme + ":" + std::string(reference));

    Url out = base;
    if (reference.empty()) return out;
    if (reference.starts_with('?')) {
        out.target = std::string(base.path()) + std::string(reference);
        return out;
    }
    const auto q = reference.find('?');
    std::string_view ref_path = reference.substr(0, q);
    std::string_view ref_query = q == std::string_view::npos ? std::string_view{} : reference.substr(q);
    std::string merged;
    if (ref_path.starts_with('/')) {
        merged = std::string(ref_path);
    } else {
        std::string_view base_path = base.path();
        merged = std::string(base_path.substr(0, base_path.rfind('/') + 1)) + std::string(ref_path);
    }
    out.target = remove_dot_segments(merged) + std::string(ref_query);
    return out;
}

}  // namespace gramkit::net
