// Small text helpers for messages.
#pragma once

#include <string>
#include <string_view>

namespace gramkit {

/// At most `max` bytes of `text` for quoting in an error message, cut at a
/// UTF-8 character boundary (never half a character) with "..." appended
/// when shortened.
inline std::string quote_for_message(std::string_view text, std::size_t max = 64) {
    if (text.size() <= max) return std::string(text);
    std::size_t cut = max;
    while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;  // continuation byte
    return std::string(text.substr(0, cut)) + "...";
}

}  // namespace gramkit
