// gramkit — hashing, MACs, randomness, hex and base64 (DESIGN.md §5).
//
// Digests and randomness come from OpenSSL. Base64 is written by hand
// because OpenSSL's EVP_DecodeBlock is lenient (it skips whitespace and
// accepts non-canonical trailing bits), while envelopes and PHC strings need
// one canonical spelling per byte string.
#include <algorithm>
#include <array>
#include <climits>
#include <cstdint>
#include <cstdlib>
#include <cstdio>
#include <stdexcept>
#include <string>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "gramkit/crypto.hpp"

namespace gramkit::crypto {

// ---------------------------------------------------------------------------
// Randomness
// ---------------------------------------------------------------------------

Status random_bytes(std::span<std::uint8_t> out) {
    // RAND_bytes takes an int length; feed very large requests in chunks.
    constexpr std::size_t kChunk = 1u << 30;
    std::size_t done = 0;
    while (done < out.size()) {
        const std::size_t n = std::min(kChunk, out.size() - done);
        if (RAND_bytes(out.data() + done, static_cast<int>(n)) != 1) {
            return fail(ErrorCode::internal, "the operating system random number generator failed");
        }
        done += n;
    }
    return {};
}

Bytes random_bytes(std::size_t n) {
    Bytes out(n);
    if (!random_bytes(std::span<std::uint8_t>(out))) {
        // Keys and nonces made from anything but the CSPRNG would silently
        // weaken every secret; stopping is the only safe answer.
        std::fputs("gramkit: CSPRNG failure, aborting\n", stderr);
        std::abort();
    }
    return out;
}

// ---------------------------------------------------------------------------
// Digests
// ---------------------------------------------------------------------------

namespace {

// OpenSSL wants non-null pointers even for zero-length inputs.
const unsigned char* nonnull(const std::uint8_t* p) {
    static const unsigned char kEmpty = 0;
    return p != nullptr ? p : &kEmpty;
}

std::span<const std::uint8_t> as_bytes(std::string_view s) {
    return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

}  // namespace

Sha256Digest sha256(std::span<const std::uint8_t> data) {
    Sha256Digest out{};
    unsigned int len = 0;
    // EVP_Digest only fails on allocation failure or a broken provider setup;
    // both are bugs/out-of-memory, which this API reports by exception.
    if (EVP_Digest(nonnull(data.data()), data.size(), out.data(), &len, EVP_sha256(), nullptr) != 1 ||
        len != out.size()) {
        throw std::runtime_error("gramkit: SHA-256 failed inside OpenSSL");
    }
    return out;
}

Sha256Digest sha256(std::string_view data) { return sha256(as_bytes(data)); }

Sha256Digest hmac_sha256(std::span<const std::uint8_t> key, std::span<const std::uint8_t> data) {
    if (key.size() > static_cast<std::size_t>(INT_MAX)) {
        throw std::length_error("gramkit: HMAC key too long");
    }
    Sha256Digest out{};
    unsigned int len = 0;
    if (HMAC(EVP_sha256(), nonnull(key.data()), static_cast<int>(key.size()), nonnull(data.data()),
             data.size(), out.data(), &len) == nullptr ||
        len != out.size()) {
        throw std::runtime_error("gramkit: HMAC-SHA256 failed inside OpenSSL");
    }
    return out;
}

Sha256Digest hmac_sha256(std::string_view key, std::string_view data) {
    return hmac_sha256(as_bytes(key), as_bytes(data));
}

// ---------------------------------------------------------------------------
// Hex and comparison
// ---------------------------------------------------------------------------

std::string to_hex(std::span<const std::uint8_t> data) {
    static constexpr char kDigits[] = "0123456789abcdef";
    std::string out;
    out.resize(data.size() * 2);
    for (std::size_t i = 0; i < data.size(); ++i) {
        out[2 * i] = kDigits[data[i] >> 4];
        out[2 * i + 1] = kDigits[data[i] & 0x0f];
    }
    return out;
}

bool constant_time_equal(std::span<const std::uint8_t> a, std::span<const std::uint8_t> b) noexcept {
    // Lengths are not secret (a MAC or hash has a fixed, public length), so
    // an early exit on them leaks nothing; the contents are compared by
    // CRYPTO_memcmp, which always reads every byte.
    if (a.size() != b.size()) return false;
    if (a.empty()) return true;
    return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

bool constant_time_equal(std::string_view a, std::string_view b) noexcept {
    return constant_time_equal(as_bytes(a), as_bytes(b));
}

// ---------------------------------------------------------------------------
// Base64 (RFC 4648 §4)
// ---------------------------------------------------------------------------

namespace {

constexpr char kBase64Alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

// Maps a character to its 6-bit value, or -1 if it is not in the alphabet.
constexpr std::array<std::int8_t, 256> make_decode_table() {
    std::array<std::int8_t, 256> table{};
    for (auto& v : table) v = -1;
    for (int i = 0; i < 64; ++i) table[static_cast<unsigned char>(kBase64Alphabet[i])] = static_cast<std::int8_t>(i);
    return table;
}
constexpr auto kBase64Decode = make_decode_table();

}  // namespace

std::string base64_encode(std::span<const std::uint8_t> data) {
    // Sized once and written by index: envelopes base64 every sealed secret.
    std::string out((data.size() + 2) / 3 * 4, '\0');
    char* o = out.data();
    const std::uint8_t* in = data.data();
    std::size_t i = 0;
    for (; i + 3 <= data.size(); i += 3, o += 4) {
        const std::uint32_t v = (std::uint32_t{in[i]} << 16) | (std::uint32_t{in[i + 1]} << 8) | in[i + 2];
        o[0] = kBase64Alphabet[(v >> 18) & 63];
        o[1] = kBase64Alphabet[(v >> 12) & 63];
        o[2] = kBase64Alphabet[(v >> 6) & 63];
        o[3] = kBase64Alphabet[v & 63];
    }
    const std::size_t rest = data.size() - i;
    if (rest != 0) {
        const std::uint32_t v = (std::uint32_t{in[i]} << 16) | (rest == 2 ? std::uint32_t{in[i + 1]} << 8 : 0);
        o[0] = kBase64Alphabet[(v >> 18) & 63];
        o[1] = kBase64Alphabet[(v >> 12) & 63];
        o[2] = rest == 2 ? kBase64Alphabet[(v >> 6) & 63] : '=';
        o[3] = '=';
    }
    return out;
}

namespace {

// Slow path for error reporting: the offset of the first character that is
// not in the alphabet (the caller knows there is one).
std::unexpected<Error> base64_bad_character(std::string_view text, std::size_t limit) {
    std::size_t i = 0;
    while (i < limit && kBase64Decode[static_cast<unsigned char>(text[i])] >= 0) ++i;
    // Messages give offsets only: the text may be (part of) a secret.
    return fail(ErrorCode::invalid_argument,
                (i < text.size() && text[i] == '=') ? "base64: padding before the end at offset " + std::to_string(i)
                                                    : "base64: invalid character at offset " + std::to_string(i));
}

}  // namespace

Result<Bytes> base64_decode(std::string_view text) {
    if (text.size() % 4 != 0) {
        return fail(ErrorCode::invalid_argument, "base64: length is not a multiple of 4");
    }
    if (text.empty()) return Bytes{};

    // Padding may only appear as the last one or two characters.
    std::size_t padding = 0;
    if (text.back() == '=') padding = (text[text.size() - 2] == '=') ? 2 : 1;
    const std::size_t data_chars = text.size() - padding;
    // Quads without padding decode 4 characters -> 3 bytes.
    const std::size_t full_quads = (padding == 0) ? text.size() / 4 : text.size() / 4 - 1;

    Bytes out(text.size() / 4 * 3 - padding);
    const auto* in = reinterpret_cast<const unsigned char*>(text.data());
    std::uint8_t* o = out.data();
    for (std::size_t q = 0; q < full_quads; ++q, in += 4, o += 3) {
        const int a = kBase64Decode[in[0]], b = kBase64Decode[in[1]], c = kBase64Decode[in[2]], d = kBase64Decode[in[3]];
        // Any invalid character makes the OR negative.
        if ((a | b | c | d) < 0) return base64_bad_character(text, data_chars);
        const std::uint32_t v = (std::uint32_t(a) << 18) | (std::uint32_t(b) << 12) | (std::uint32_t(c) << 6) | std::uint32_t(d);
        o[0] = static_cast<std::uint8_t>(v >> 16);
        o[1] = static_cast<std::uint8_t>(v >> 8);
        o[2] = static_cast<std::uint8_t>(v);
    }
    if (padding != 0) {
        // Last quad: "xx==" (1 byte) or "xxx=" (2 bytes).
        const int a = kBase64Decode[in[0]], b = kBase64Decode[in[1]];
        const int c = (padding == 1) ? kBase64Decode[in[2]] : 0;
        if ((a | b | c) < 0) return base64_bad_character(text, data_chars);
        const std::uint32_t v = (std::uint32_t(a) << 18) | (std::uint32_t(b) << 12) | (std::uint32_t(c) << 6);
        // The bits below the last full byte must be zero, otherwise several
        // spellings would decode to the same bytes.
        const std::uint32_t unused = (padding == 2) ? (v & 0xffff) : (v & 0xff);
        if (unused != 0) {
            return fail(ErrorCode::invalid_argument, "base64: non-zero bits before the padding");
        }
        o[0] = static_cast<std::uint8_t>(v >> 16);
        if (padding == 1) o[1] = static_cast<std::uint8_t>(v >> 8);
    }
    return out;
}

}  // namespace gramkit::crypto
