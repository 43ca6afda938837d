// CONNECT request text and base64 (see http_connect.hpp).
#include "net/http_connect.hpp"

namespace gramkit::net {

std::string base64_encode(std::string_view data) {
    static constexpr char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    out.reserve((data.size() + 2) / 3 * 4);
    std::size_t i = 0;
    for (; i + 3 <= data.size(); i += 3) {
        const unsigned v = (static_cast<unsigned char>(data[i]) << 16) | (static_cast<unsigned char>(data[i + 1]) << 8) |
                           static_cast<unsigned char>(data[i + 2]);
        out += alphabet[(v >> 18) & 63];
        out += alphabet[(v >> 12) & 63];
        out += alphabet[(v >> 6) & 63];
        out += alphabet[v & 63];
    }
    const std::size_t rest = data.size() - i;
    if (rest > 0) {
        unsigned v = static_cast<unsigned char>(data[i]) << 16;
        if (rest == 2) v |= static_cast<unsigned char>(data[i + 1]) << 8;
        out += alphabet[(v >> 18) & 63];
        out += alphabet[(v >> 12) & 63];
        out += rest == 2 ? alphabet[(v >> 6) & 63] : '=';
        out += '=';
    }
    return out;
}

std::string connect_request(std::string_view authority, std::string_view username, std::string_view password) {
    std::string req = "CONNECT ";
    req += authority;
    req += " HTTP/1.1\r\nHost: ";
    req += authority;
    req += "\r\n";
    if (!username.empty()) {
        std::string credentials(username);
        credentials += ':';
        credentials += password;
        req += "Proxy-Authorization: Basic " + base64_encode(credentials) + "\r\n";
    }
    req += "\r\n";
    return req;
}

}  // namespace gramkit::net
