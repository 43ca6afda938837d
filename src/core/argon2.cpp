// gramkit — Argon2id password hashes in PHC string format (DESIGN.md §5).
//
//   $argon2id$v=19$m=<KiB>,t=<iterations>,p=<lanes>$<salt>$<hash>
//   (salt and hash in standard base64 without padding)
//
// The PHC string is parsed here rather than by libargon2's argon2id_verify
// so that (1) hostile parameters are rejected *before* anything is
// allocated — a stored string with m=4294967295 would otherwise ask for
// 4 TiB — (2) malformed strings get a message naming the problem, and
// (3) needs_rehash can read the parameters back with the same parser.
// libargon2 only computes the raw hash.
#include <argon2.h>

#include <charconv>
#include <climits>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <openssl/crypto.h>

#include "gramkit/crypto.hpp"

namespace gramkit::crypto {

namespace {

constexpr std::string_view kAlgorithm = "argon2id";
constexpr std::uint32_t kVersion = ARGON2_VERSION_13;  // 19

// Sanity limits: generous for real deployments, small enough that a
// tampered PHC string cannot exhaust memory or CPU.
constexpr std::uint32_t kMaxMemoryKib = 1u << 20;  // 1 GiB
constexpr std::uint32_t kMaxIterations = 64;
constexpr std::uint32_t kMaxParallelism = 16;
constexpr std::uint32_t kMinSaltLen = ARGON2_MIN_SALT_LENGTH;  // 8
constexpr std::uint32_t kMaxSaltLen = 64;
constexpr std::uint32_t kMinHashLen = ARGON2_MIN_OUTLEN;  // 4
constexpr std::uint32_t kMaxHashLen = 64;

struct PhcHash {
    std::uint32_t memory_kib = 0;
    std::uint32_t iterations = 0;
    std::uint32_t parallelism = 0;
    Bytes salt;
    Bytes hash;
};

std::unexpected<Error> malformed(std::string_view problem) {
    return fail(ErrorCode::invalid_argument, "malformed argon2id PHC string: " + std::string(problem), "phc");
}

// Checks the cost parameters shared by hashing and parsing. Returns the
// problem, or an empty string if they are acceptable.
std::string check_costs(std::uint32_t m, std::uint32_t t, std::uint32_t p) {
    if (p < 1 || p > kMaxParallelism) return "parallelism must be 1.." + std::to_string(kMaxParallelism);
    if (t < 1 || t > kMaxIterations) return "iterations must be 1.." + std::to_string(kMaxIterations);
    // Argon2 needs at least 8 KiB per lane.
    if (m < 8 * p || m > kMaxMemoryKib) {
        return "memory must be " + std::to_string(8 * p) + ".." + std::to_string(kMaxMemoryKib) + " KiB";
    }
    return {};
}

std::string unpadded_base64(std::span<const std::uint8_t> data) {
    std::string text = base64_encode(data);
    while (!text.empty() && text.back() == '=') text.pop_back();
    return text;
}

// PHC uses base64 without padding; restore the padding and reuse the strict
// decoder, which also rejects non-canonical trailing bits.
std::optional<Bytes> decode_unpadded_base64(std::string_view text) {
    if (text.find('=') != std::string_view::npos || text.size() % 4 == 1) return std::nullopt;
    std::string padded(text);
    padded.append((4 - text.size() % 4) % 4, '=');
    auto decoded = base64_decode(padded);
    if (!decoded) return std::nullopt;
    return std::move(*decoded);
}

// A decimal uint32 without sign or leading zeros, as PHC requires.
std::optional<std::uint32_t> parse_decimal(std::string_view text) {
    if (text.empty() || text.size() > 10 || (text.size() > 1 && text.front() == '0')) return std::nullopt;
    std::uint64_t value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end != text.data() + text.size() || value > UINT32_MAX) return std::nullopt;
    return static_cast<std::uint32_t>(value);
}

// Reads "<name>=<decimal>".
std::optional<std::uint32_t> parse_named(std::string_view field, std::string_view name) {
    if (field.size() <= name.size() + 1 || field.substr(0, name.size()) != name || field[name.size()] != '=') {
        return std::nullopt;
    }
    return parse_decimal(field.substr(name.size() + 1));
}

std::vector<std::string_view> split(std::string_view text, char sep) {
    std::vector<std::string_view> parts;
    std::size_t start = 0;
    while (true) {
        const std::size_t end = text.find(sep, start);
        if (end == std::string_view::npos) {
            parts.push_back(text.substr(start));
            return parts;
        }
        parts.push_back(text.substr(start, end - start));
        start = end + 1;
    }
}

Result<PhcHash> parse_phc(std::string_view phc) {
    // "" / "argon2id" / "v=19" / "m=..,t=..,p=.." / salt / hash
    const auto parts = split(phc, '$');
    if (parts.size() != 6 || !parts[0].empty()) {
        return malformed("expected $argon2id$v=19$m=..,t=..,p=..$<salt>$<hash>");
    }
    if (parts[1] != kAlgorithm) return malformed("algorithm is not argon2id");
    const auto version = parse_named(parts[2], "v");
    if (!version) return malformed("bad version field");
    if (*version != kVersion) return malformed("unsupported argon2 version (expected v=19)");

    const auto costs = split(parts[3], ',');
    if (costs.size() != 3) return malformed("parameters must be exactly m=..,t=..,p=..");
    const auto m = parse_named(costs[0], "m");
    const auto t = parse_named(costs[1], "t");
    const auto p = parse_named(costs[2], "p");
    if (!m) return malformed("bad memory parameter m");
    if (!t) return malformed("bad iterations parameter t");
    if (!p) return malformed("bad parallelism parameter p");
    if (auto problem = check_costs(*m, *t, *p); !problem.empty()) return malformed(problem);

    auto salt = decode_unpadded_base64(parts[4]);
    if (!salt) return malformed("salt is not valid unpadded base64");
    if (salt->size() < kMinSaltLen || salt->size() > kMaxSaltLen) {
        return malformed("salt must be " + std::to_string(kMinSaltLen) + ".." + std::to_string(kMaxSaltLen) + " bytes");
    }
    auto hash = decode_unpadded_base64(parts[5]);
    if (!hash) return malformed("hash is not valid unpadded base64");
    if (hash->size() < kMinHashLen || hash->size() > kMaxHashLen) {
        return malformed("hash must be " + std::to_string(kMinHashLen) + ".." + std::to_string(kMaxHashLen) + " bytes");
    }
    return PhcHash{*m, *t, *p, std::move(*salt), std::move(*hash)};
}

Status compute(std::string_view password, std::uint32_t m, std::uint32_t t, std::uint32_t p,
               std::span<const std::uint8_t> salt, std::span<std::uint8_t> out) {
    if (password.size() > ARGON2_MAX_PWD_LENGTH) {
        return fail(ErrorCode::invalid_argument, "password is too long", "password");
    }
    const int rc = argon2id_hash_raw(t, m, p, password.data(), password.size(), salt.data(), salt.size(), out.data(),
                                     out.size());
    if (rc == ARGON2_MEMORY_ALLOCATION_ERROR) {
        return fail(ErrorCode::unavailable, "argon2id: not enough memory to hash");
    }
    if (rc != ARGON2_OK) {
        return fail(ErrorCode::internal, std::string("argon2id failed: ") + argon2_error_message(rc));
    }
    return {};
}

}  // namespace

Result<std::string> argon2id_hash(std::string_view password, const Argon2Params& params) {
    if (auto problem = check_costs(params.memory_kib, params.iterations, params.parallelism); !problem.empty()) {
        return fail(ErrorCode::invalid_argument, "argon2id parameters: " + problem, "params");
    }
    if (params.salt_len < kMinSaltLen || params.salt_len > kMaxSaltLen) {
        return fail(ErrorCode::invalid_argument,
                    "argon2id parameters: salt_len must be " + std::to_string(kMinSaltLen) + ".." +
                        std::to_string(kMaxSaltLen),
                    "salt_len");
    }
    if (params.hash_len < kMinHashLen || params.hash_len > kMaxHashLen) {
        return fail(ErrorCode::invalid_argument,
                    "argon2id parameters: hash_len must be " + std::to_string(kMinHashLen) + ".." +
                        std::to_string(kMaxHashLen),
                    "hash_len");
    }

    Bytes salt(params.salt_len);
    GK_TRY(random_bytes(std::span<std::uint8_t>(salt)));
    Bytes hash(params.hash_len);
    GK_TRY(compute(password, params.memory_kib, params.iterations, params.parallelism, salt, hash));

    std::string phc = "$argon2id$v=" + std::to_string(kVersion) + "$m=" + std::to_string(params.memory_kib) +
                      ",t=" + std::to_string(params.iterations) + ",p=" + std::to_string(params.parallelism) + "$";
    phc += unpadded_base64(salt);
    phc += '$';
    phc += unpadded_base64(hash);
    return phc;
}

Result<bool> argon2id_verify(std::string_view password, std::string_view phc) {
    GK_ASSIGN_OR_RETURN(auto parsed, parse_phc(phc));
    Bytes computed(parsed.hash.size());
    GK_TRY(compute(password, parsed.memory_kib, parsed.iterations, parsed.parallelism, parsed.salt, computed));
    const bool match = constant_time_equal(computed, parsed.hash);
    OPENSSL_cleanse(computed.data(), computed.size());
    return match;
}

Result<bool> argon2id_needs_rehash(std::string_view phc, const Argon2Params& params) {
    GK_ASSIGN_OR_RETURN(auto parsed, parse_phc(phc));
    return parsed.memory_kib != params.memory_kib || parsed.iterations != params.iterations ||
           parsed.parallelism != params.parallelism || parsed.salt.size() != params.salt_len ||
           parsed.hash.size() != params.hash_len;
}

}  // namespace gramkit::crypto
