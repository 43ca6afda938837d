// gramkit — time-based one-time passwords (RFC 6238 over RFC 4226 HOTP,
// HMAC-SHA1, the variant authenticator apps and Instagram's two-factor
// login use). Private to the library: the Instagram login step computes the
// code from an account's stored seed, so a host never handles the seed.
//
// The seed is a secret: no error message here contains it or any part of it.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "gramkit/clock.hpp"
#include "gramkit/error.hpp"

namespace gramkit::totp {

/// RFC 4648 base32, as authenticator apps show seeds: case-insensitive,
/// spaces and '-' ignored, '=' padding optional. invalid_argument for any
/// other character or a dangling group of bits that is not zero.
Result<std::vector<std::uint8_t>> base32_decode(std::string_view text);

/// RFC 4226 HOTP value for `counter`, zero-padded to `digits` (6..8).
std::string hotp(const std::vector<std::uint8_t>& key, std::uint64_t counter, int digits = 6);

/// RFC 6238 code at `at` for a base32 seed: T = floor(unix seconds / step).
/// invalid_argument when the seed is not base32, empty, or digits/step are
/// out of range (digits 6..8, step ≥ 1 s).
Result<std::string> code_at(std::string_view base32_seed, Timestamp at, int digits = 6,
                            std::chrono::seconds step = std::chrono::seconds(30));

}  // namespace gramkit::totp
