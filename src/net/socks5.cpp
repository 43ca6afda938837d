// SOCKS5 message encoding (see socks5.hpp).
#include "net/socks5.hpp"

#include <arpa/inet.h>

#include <array>

namespace gramkit::net::socks5 {

std::vector<std::uint8_t> encode_greeting(bool offer_username_password) {
    if (offer_username_password) return {version, 2, method_no_auth, method_username_password};
    return {version, 1, method_no_auth};
}

Result<std::vector<std::uint8_t>> encode_auth(std::string_view username, std::string_view password) {
    if (username.empty() || username.size() > 255)
        return fail(ErrorCode::invalid_argument, "SOCKS5 username must be 1..255 bytes", "proxy.username");
    if (password.size() > 255)
        return fail(ErrorCode::invalid_argument, "SOCKS5 password must be at most 255 bytes", "proxy.password");
    std::vector<std::uint8_t> out{0x01, static_cast<std::uint8_t>(username.size())};
    out.insert(out.end(), username.begin(), username.end());
    out.push_back(static_cast<std::uint8_t>(password.size()));
    out.insert(out.end(), password.begin(), password.end());
    return out;
}

Result<std::vector<std::uint8_t>> encode_connect(std::string_view host, std::uint16_t port) {
    std::vector<std::uint8_t> out{version, 0x01 /* CONNECT */, 0x00};
    const std::string h(host);
    std::array<std::uint8_t, 16> addr{};
    if (inet_pton(AF_INET, h.c_str(), addr.data()) == 1) {
        out.push_back(atyp_ipv4);
        out.insert(out.end(), addr.begin(), addr.begin() + 4);
    } else if (inet_pton(AF_INET6, h.c_str(), addr.data()) == 1) {
        out.push_back(atyp_ipv6);
        out.insert(out.end(), addr.begin(), addr.end());
    } else {
        if (host.empty() || host.size() > 255)
            return fail(ErrorCode::invalid_argument, "host name too long for SOCKS5 (max 255 bytes)");
        out.push_back(atyp_domain);
        out.push_back(static_cast<std::uint8_t>(host.size()));
        out.insert(out.end(), host.begin(), host.end());
    }
    out.push_back(static_cast<std::uint8_t>(port >> 8));
    out.push_back(static_cast<std::uint8_t>(port & 0xFF));
    return out;
}

Result<std::uint8_t> parse_method_reply(std::span<const std::uint8_t> reply) {
    if (reply.size() != 2 || reply[0] != version)
        return fail(ErrorCode::upstream_error, "malformed SOCKS5 method reply");
    return reply[1];
}

Result<bool> parse_auth_reply(std::span<const std::uint8_t> reply) {
    if (reply.size() != 2 || reply[0] != 0x01) return fail(ErrorCode::upstream_error, "malformed SOCKS5 auth reply");
    return reply[1] == 0x00;
}

Result<std::size_t> connect_reply_remaining(std::span<const std::uint8_t> first5) {
    if (first5.size() != 5 || first5[0] != version) return fail(ErrorCode::upstream_error, "malformed SOCKS5 reply");
    switch (first5[3]) {
        case atyp_ipv4: return std::size_t{4 - 1 + 2};
        case atyp_ipv6: return std::size_t{16 - 1 + 2};
        case atyp_domain: return std::size_t{first5[4]} + 2;
        default: return fail(ErrorCode::upstream_error, "malformed SOCKS5 reply (unknown address type)");
    }
}

std::string reply_text(std::uint8_t rep) {
    switch (rep) {
        case 0x00: return "succeeded";
        case 0x01: return "general SOCKS server failure";
        case 0x02: return "connection not allowed by ruleset";
        case 0x03: return "network unreachable";
        case 0x04: return "host unreachable";
        case 0x05: return "connection refused";
        case 0x06: return "TTL expired";
        case 0x07: return "command not supported";
        case 0x08: return "address type not supported";
        default: return "unknown reply " + std::to_string(rep);
    }
}

}  // namespace gramkit::net::socks5
