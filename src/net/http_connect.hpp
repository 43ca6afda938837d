// gramkit::net — the HTTP CONNECT request that opens a tunnel through an
// HTTP proxy (RFC 9110 §9.3.6), with Basic proxy credentials (RFC 7617).
// Pure text building, unit-tested; the I/O is in exchange_engine.cpp.
#pragma once

#include <string>
#include <string_view>

namespace gramkit::net {

/// RFC 4648 base64 with padding.
std::string base64_encode(std::string_view data);

/// "CONNECT host:port HTTP/1.1" with Host and, when `username` is not
/// empty, "Proxy-Authorization: Basic base64(username:password)". The
/// result contains the password (encoded): write it to the proxy only.
std::string connect_request(std::string_view authority, std::string_view username, std::string_view password);

}  // namespace gramkit::net
