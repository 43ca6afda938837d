// gramkit CLI — parsing and formatting of command-line values (ids,
// durations, times) shared by the commands.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "gramkit/clock.hpp"

namespace gramkit::cli {

/// A positive decimal int64, or nullopt if `text` is not one.
std::optional<std::int64_t> parse_id(std::string_view text);

/// "45s", "30m", "2h", "7d", or a sum such as "1h30m". Throws UsageError.
Duration parse_duration(std::string_view text);

/// RFC 3339 time for an option; throws UsageError naming the option.
Timestamp parse_time_option(std::string_view option, std::string_view text);

/// RFC 3339 UTC, or "-" when absent.
std::string format_time(const std::optional<Timestamp>& t);

/// `text` with control characters and invalid UTF-8 shown as \xNN, so that
/// stored text cannot drive the terminal.
std::string sanitize(std::string_view text);

}  // namespace gramkit::cli
