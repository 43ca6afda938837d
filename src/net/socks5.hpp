// gramkit::net — SOCKS5 client messages (RFC 1928, RFC 1929
// username/password). Encoding and decoding only; the I/O lives in
// exchange_engine.cpp. Pure so the byte layout is unit-tested.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "gramkit/error.hpp"

namespace gramkit::net::socks5 {

inline constexpr std::uint8_t version = 0x05;
inline constexpr std::uint8_t method_no_auth = 0x00;
inline constexpr std::uint8_t method_username_password = 0x02;
inline constexpr std::uint8_t method_none_acceptable = 0xFF;
inline constexpr std::uint8_t atyp_ipv4 = 0x01;
inline constexpr std::uint8_t atyp_domain = 0x03;
inline constexpr std::uint8_t atyp_ipv6 = 0x04;

/// Method selection: offers no-auth, plus username/password when credentials exist.
std::vector<std::uint8_t> encode_greeting(bool offer_username_password);
/// RFC 1929 sub-negotiation; invalid_argument if a field exceeds 255 bytes
/// (the message names the field, never its value).
Result<std::vector<std::uint8_t>> encode_auth(std::string_view username, std::string_view password);
/// CONNECT. IPv4/IPv6 literals go as ATYP 1/4; a name goes as ATYP 3 so the
/// proxy resolves it (remote DNS: the client's resolver never sees it).
Result<std::vector<std::uint8_t>> encode_connect(std::string_view host, std::uint16_t port);

/// The method the server chose (2 bytes); upstream_error if malformed.
Result<std::uint8_t> parse_method_reply(std::span<const std::uint8_t> reply);
/// True when RFC 1929 status is success (2 bytes).
Result<bool> parse_auth_reply(std::span<const std::uint8_t> reply);
/// Given the first 5 bytes of a CONNECT reply, how many bytes follow
/// (rest of the bound address + port); upstream_error if malformed.
Result<std::size_t> connect_reply_remaining(std::span<const std::uint8_t> first5);
/// RFC 1928 §6 reply field text ("connection refused", ...).
std::string reply_text(std::uint8_t rep);

}  // namespace gramkit::net::socks5
