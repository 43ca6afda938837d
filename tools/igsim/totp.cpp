// igsim — TOTP (see totp.hpp); HMAC from OpenSSL.
#include "totp.hpp"

#include <array>
#include <cctype>
#include <cstdio>

#include <openssl/evp.h>
#include <openssl/hmac.h>

namespace igsim {

std::optional<std::string> base32_decode(std::string_view text) {
    std::string out;
    unsigned buffer = 0;
    int bits = 0;
    for (char raw : text) {
        if (raw == '=' || raw == ' ' || raw == '-') continue;
        const char c = static_cast<char>(std::toupper(static_cast<unsigned char>(raw)));
        int value;
        if (c >= 'A' && c <= 'Z') value = c - 'A';
        else if (c >= '2' && c <= '7') value = c - '2' + 26;
        else return std::nullopt;
        buffer = (buffer << 5) | static_cast<unsigned>(value);
        bits += 5;
        if (bits >= 8) {
            bits -= 8;
            out += static_cast<char>((buffer >> bits) & 0xFF);
        }
    }
    return out;
}

std::string totp_code(std::string_view key, std::int64_t unix_time) {
    const auto counter = static_cast<std::uint64_t>(unix_time < 0 ? 0 : unix_time / 30);
    std::array<unsigned char, 8> message{};
    for (int i = 0; i < 8; ++i) message[static_cast<std::size_t>(7 - i)] = static_cast<unsigned char>(counter >> (8 * i));
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int digest_len = 0;
    HMAC(EVP_sha1(), key.data(), static_cast<int>(key.size()), message.data(), message.size(), digest, &digest_len);
    // RFC 4226 dynamic truncation.
    const unsigned offset = digest[digest_len - 1] & 0x0F;
    const std::uint32_t binary = ((digest[offset] & 0x7Fu) << 24) | (digest[offset + 1] << 16) |
                                 (digest[offset + 2] << 8) | digest[offset + 3];
    char code[7];
    std::snprintf(code, sizeof code, "%06u", static_cast<unsigned>(binary % 1000000));
    return code;
}

bool totp_accepts(std::string_view key, std::int64_t unix_time, std::string_view code) {
    for (std::int64_t step : {0, -30, 30})
        if (totp_code(key, unix_time + step) == code) return true;
    return false;
}

}  // namespace igsim
