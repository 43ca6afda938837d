// Proxy URL parsing: scheme://[user[:password]@]host:port[/]
// Percent-encoded user and password are decoded. Error messages never
// contain the password (they may show the redacted form).
#include <algorithm>
#include <charconv>

#include "core/text.hpp"
#include "gramkit/proxies.hpp"

namespace gramkit {
namespace {

Result<std::string> percent_decode(std::string_view in, std::string_view field) {
    std::string out;
    out.reserve(in.size());
    for (std::size_t i = 0; i < in.size(); ++i) {
        if (in[i] != '%') {
            out.push_back(in[i]);
            continue;
        }
        unsigned v = 0;
        if (i + 2 >= in.size() || std::from_chars(in.data() + i + 1, in.data() + i + 3, v, 16).ptr != in.data() + i + 3)
            return fail(ErrorCode::invalid_argument, "proxy URL " + std::string(field) + " has a bad %-escape", "url");
        out.push_back(static_cast<char>(v));
        i += 2;
    }
    return out;
}

std::string percent_encode(std::string_view in) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    std::string out;
    for (unsigned char c : in) {
        bool plain = std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~';
        if (plain) {
            out.push_back(static_cast<char>(c));
        } else {
            out.push_back('%');
            out.push_back(kHex[c >> 4]);
            out.push_back(kHex[c & 15]);
        }
    }
    return out;
}

std::string format(const ProxyUrl& u, bool with_password) {
    std::string s(to_string(u.scheme));
    s += "://";
    if (u.username) {
        s += percent_encode(*u.username);
        if (u.password) s += with_password ? ":" + percent_encode(*u.password) : std::string(":***");
        s += '@';
    }
    bool ipv6 = u.host.find(':') != std::string::npos;
    s += ipv6 ? "[" + u.host + "]" : u.host;
    s += ':' + std::to_string(u.port);
    return s;
}

}  // namespace

std::string_view to_string(ProxyScheme s) noexcept {
    switch (s) {
        case ProxyScheme::http: return "http";
        case ProxyScheme::https: return "https";
        case ProxyScheme::socks5: return "socks5";
    }
    return "unknown";
}

std::string_view to_string(ProxyHealth h) noexcept {
    return h == ProxyHealth::healthy ? "healthy" : "unhealthy";
}

Result<ProxyHealth> parse_proxy_health(std::string_view text) {
    if (text == "healthy") return ProxyHealth::healthy;
    if (text == "unhealthy") return ProxyHealth::unhealthy;
    return fail(ErrorCode::invalid_argument, "proxy health must be 'healthy' or 'unhealthy'", "health");
}

std::string ProxyUrl::redacted() const { return format(*this, false); }
std::string ProxyUrl::full() const { return format(*this, true); }

Result<ProxyUrl> parse_proxy_url(std::string_view url) {
    if (url.size() > 2048) return fail(ErrorCode::invalid_argument, "proxy URL is too long (at most 2048 bytes)", "url");
    ProxyUrl u;
    auto sep = url.find("://");
    if (sep == std::string_view::npos)
        return fail(ErrorCode::invalid_argument, "proxy URL must start with http://, https:// or socks5://", "url");
    std::string scheme(url.substr(0, sep));
    std::transform(scheme.begin(), scheme.end(), scheme.begin(), [](unsigned char c) { return std::tolower(c); });
    if (scheme == "http") u.scheme = ProxyScheme::http;
    else if (scheme == "https") u.scheme = ProxyScheme::https;
    else if (scheme == "socks5" || scheme == "socks5h") u.scheme = ProxyScheme::socks5;
    else
        return fail(ErrorCode::invalid_argument,
                    "unsupported proxy scheme '" + quote_for_message(scheme, 16) + "' (expected http, https or socks5)", "url");

    std::string_view rest = url.substr(sep + 3);
    if (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);
    if (rest.find_first_of("/?#") != std::string_view::npos)
        return fail(ErrorCode::invalid_argument, "proxy URL must not have a path, query or fragment", "url");

    if (auto at = rest.rfind('@'); at != std::string_view::npos) {
        std::string_view userinfo = rest.substr(0, at);
        rest = rest.substr(at + 1);
        auto colon = userinfo.find(':');
        GK_ASSIGN_OR_RETURN(auto user, percent_decode(userinfo.substr(0, colon), "username"));
        if (user.empty()) return fail(ErrorCode::invalid_argument, "proxy URL has an empty username", "url");
        u.username = std::move(user);
        if (colon != std::string_view::npos) {
            GK_ASSIGN_OR_RETURN(auto pass, percent_decode(userinfo.substr(colon + 1), "password"));
            u.password = std::move(pass);
        }
    }

    std::string_view port_text;
    if (!rest.empty() && rest.front() == '[') {  // [IPv6]:port
        auto close = rest.find(']');
        if (close == std::string_view::npos)
            return fail(ErrorCode::invalid_argument, "proxy URL has an unterminated IPv6 address", "url");
        u.host = std::string(rest.substr(1, close - 1));
        rest = rest.substr(close + 1);
        if (rest.empty() || rest.front() != ':')
            return fail(ErrorCode::invalid_argument, "proxy URL needs a port (host:port)", "url");
        port_text = rest.substr(1);
    } else {
        auto colon = rest.rfind(':');
        if (colon == std::string_view::npos)
            return fail(ErrorCode::invalid_argument, "proxy URL needs a port (host:port)", "url");
        u.host = std::string(rest.substr(0, colon));
        port_text = rest.substr(colon + 1);
    }
    if (u.host.empty() || u.host.size() > 253)
        return fail(ErrorCode::invalid_argument, "proxy URL needs a host", "url");
    if (std::any_of(u.host.begin(), u.host.end(), [](unsigned char c) { return c <= 0x20 || c == '@' || c >= 0x7f; }))
        return fail(ErrorCode::invalid_argument, "proxy host contains invalid characters", "url");
    unsigned port = 0;
    auto [p, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (ec != std::errc{} || p != port_text.data() + port_text.size() || port == 0 || port > 65535)
        return fail(ErrorCode::invalid_argument, "proxy port must be a number from 1 to 65535", "url");
    u.port = static_cast<std::uint16_t>(port);
    std::transform(u.host.begin(), u.host.end(), u.host.begin(), [](unsigned char c) { return std::tolower(c); });
    return u;
}

}  // namespace gramkit
