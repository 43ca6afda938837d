// RFC 6238 TOTP / RFC 4226 HOTP (see totp.hpp).
#include "core/totp.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <array>

namespace gramkit::totp {

Result<std::vector<std::uint8_t>> base32_decode(std::string_view text) {
    std::vector<std::uint8_t> out;
    std::uint32_t buffer = 0;
    int bits = 0;
    bool padding = false;
    for (char ch : text) {
        if (ch == ' ' || ch == '-') continue;
        if (ch == '=') {
            padding = true;
            continue;
        }
        int v = -1;
        if (ch >= 'A' && ch <= 'Z') v = ch - 'A';
        else if (ch >= 'a' && ch <= 'z') v = ch - 'a';
        else if (ch >= '2' && ch <= '7') v = ch - '2' + 26;
        // Deliberately no character in the message: it would be part of a secret.
        if (v < 0 || padding) return fail(ErrorCode::invalid_argument, "TOTP seed is not base32 (RFC 4648)", "totp_seed");
        buffer = (buffer << 5) | static_cast<std::uint32_t>(v);
        bits += 5;
        if (bits >= 8) {
            bits -= 8;
            out.push_back(static_cast<std::uint8_t>((buffer >> bits) & 0xFF));
        }
    }
    if (bits > 0 && (buffer & ((1u << bits) - 1)) != 0)
        return fail(ErrorCode::invalid_argument, "TOTP seed is not base32 (trailing bits)", "totp_seed");
    return out;
}

std::string hotp(const std::vector<std::uint8_t>& key, std::uint64_t counter, int digits) {
    std::array<std::uint8_t, 8> message{};
    for (int i = 7; i >= 0; --i) {
        message[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(counter & 0xFF);
        counter >>= 8;
    }
    std::array<std::uint8_t, EVP_MAX_MD_SIZE> mac{};
    unsigned int mac_len = 0;
    HMAC(EVP_sha1(), key.data(), static_cast<int>(key.size()), message.data(), message.size(), mac.data(), &mac_len);
    // Dynamic truncation (RFC 4226 §5.3).
    const unsigned offset = mac[mac_len - 1] & 0x0F;
    const std::uint32_t binary = (static_cast<std::uint32_t>(mac[offset] & 0x7F) << 24) |
                                 (static_cast<std::uint32_t>(mac[offset + 1]) << 16) |
                                 (static_cast<std::uint32_t>(mac[offset + 2]) << 8) |
                                 static_cast<std::uint32_t>(mac[offset + 3]);
    std::uint32_t modulus = 1;
    for (int i = 0; i < digits; ++i) modulus *= 10;
    std::string code = std::to_string(binary % modulus);
    if (code.size() < static_cast<std::size_t>(digits)) code.insert(0, static_cast<std::size_t>(digits) - code.size(), '0');
    return code;
}

Result<std::string> code_at(std::string_view base32_seed, Timestamp at, int digits, std::chrono::seconds step) {
    if (digits < 6 || digits > 8) return fail(ErrorCode::invalid_argument, "TOTP digits must be 6..8", "digits");
    if (step.count() < 1) return fail(ErrorCode::invalid_argument, "TOTP step must be at least 1 s", "step");
    GK_ASSIGN_OR_RETURN(auto key, base32_decode(base32_seed));
    if (key.empty()) return fail(ErrorCode::invalid_argument, "TOTP seed is empty", "totp_seed");
    const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(at.time_since_epoch()).count();
    if (seconds < 0) return fail(ErrorCode::invalid_argument, "TOTP time is before 1970", "at");
    return hotp(key, static_cast<std::uint64_t>(seconds / step.count()), digits);
}

}  // namespace gramkit::totp
