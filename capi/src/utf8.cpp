// Strict UTF-8 validation (RFC 3629, Table 3-7 of the Unicode standard).
#include "utf8.hpp"

namespace gramkit::capi {

std::optional<std::size_t> find_invalid_utf8(std::string_view text) noexcept {
    const auto* s = reinterpret_cast<const unsigned char*>(text.data());
    const std::size_t n = text.size();
    std::size_t i = 0;
    while (i < n) {
        // ASCII fast path: eight bytes at a time while none has the top bit.
        while (i + 8 <= n) {
            unsigned char any = 0;
            for (std::size_t k = 0; k < 8; ++k) any |= s[i + k];
            if (any & 0x80) break;
            i += 8;
        }
        if (i >= n) break;
        const unsigned char b = s[i];
        if (b < 0x80) {
            ++i;
            continue;
        }
        std::size_t len = 0;
        // Allowed range of the second byte; later bytes are 0x80..0xBF.
        unsigned char lo = 0x80, hi = 0xBF;
        if (b >= 0xC2 && b <= 0xDF) {
            len = 2;
        } else if (b >= 0xE0 && b <= 0xEF) {
            len = 3;
            if (b == 0xE0) lo = 0xA0;       // overlong
            else if (b == 0xED) hi = 0x9F;  // UTF-16 surrogates
        } else if (b >= 0xF0 && b <= 0xF4) {
            len = 4;
            if (b == 0xF0) lo = 0x90;       // overlong
            else if (b == 0xF4) hi = 0x8F;  // above U+10FFFF
        } else {
            return i;  // continuation byte without a lead, C0/C1, F5..FF
        }
        if (n - i < len) return i;
        if (s[i + 1] < lo || s[i + 1] > hi) return i;
        for (std::size_t k = 2; k < len; ++k) {
            if (s[i + k] < 0x80 || s[i + k] > 0xBF) return i;
        }
        i += len;
    }
    return std::nullopt;
}

std::string repair_utf8(std::string_view text) {
    std::string out;
    out.reserve(text.size() + 8);
    while (!text.empty()) {
        const auto bad = find_invalid_utf8(text);
        if (!bad) {
            out.append(text);
            break;
        }
        out.append(text.substr(0, *bad));
        out.append("\xEF\xBF\xBD");  // U+FFFD REPLACEMENT CHARACTER
        text.remove_prefix(*bad + 1);
    }
    return out;
}

}  // namespace gramkit::capi
