// igsim — RFC 6238 TOTP (HMAC-SHA1, 30 s steps, 6 digits), the scheme of
// Instagram's authenticator-app two-factor login.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace igsim {

/// RFC 4648 base32 (case-insensitive, '=' padding and spaces ignored);
/// nullopt on any other character.
std::optional<std::string> base32_decode(std::string_view text);

/// The 6-digit code for `key` at `unix_time`.
std::string totp_code(std::string_view key, std::int64_t unix_time);

/// Whether `code` matches at unix_time, allowing one step of clock drift
/// either way (as Instagram does).
bool totp_accepts(std::string_view key, std::int64_t unix_time, std::string_view code);

}  // namespace igsim
