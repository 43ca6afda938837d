// gramkit — RFC 3339 text form of timestamps (logs, JSON results, REST).
//
// Thread-safety: pure functions; callable from any thread.
#pragma once

#include <string>
#include <string_view>

#include "gramkit/clock.hpp"
#include "gramkit/error.hpp"
#include "gramkit/export.hpp"

namespace gramkit {

/// "2026-11-25T11:00:00.123456Z": UTC, always six fractional digits, so the
/// strings sort like the instants they name. Years outside 0000..9999 cannot
/// be written in RFC 3339; they are printed with a sign/extra digits and
/// `parse_timestamp_utc` rejects them.
GRAMKIT_API std::string format_timestamp_utc(Timestamp t);

/// Parses "YYYY-MM-DDTHH:MM:SS[.f]Z" where the fraction has 1..9 digits
/// (digits beyond microseconds are truncated) and the zone is "Z" or a
/// numeric offset "+HH:MM"/"-HH:MM" ("+00:00" is the usual one; other offsets
/// are converted to UTC). 't' and 'z' are accepted in lower case, as RFC 3339
/// allows. Leap seconds (":60") are rejected.
/// Errors: invalid_argument quoting (a prefix of) the input.
GRAMKIT_API Result<Timestamp> parse_timestamp_utc(std::string_view text);

}  // namespace gramkit
