// Strict UTF-8 validation for strings entering the C ABI. Private to capi/.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace gramkit::capi {

/// The byte offset of the first byte that is not part of a well-formed
/// UTF-8 sequence (RFC 3629: no overlong forms, no surrogates, nothing above
/// U+10FFFF, no truncated sequence), or nullopt if `text` is valid.
std::optional<std::size_t> find_invalid_utf8(std::string_view text) noexcept;

/// `text` with every byte that is not part of a well-formed sequence
/// replaced by U+FFFD. Used on messages leaving the ABI, so a host can
/// always decode them.
std::string repair_utf8(std::string_view text);

}  // namespace gramkit::capi
