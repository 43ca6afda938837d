// gramkit — cryptographic primitives and the secrets envelope (DESIGN.md §5).
//
// Everything here is implemented on OpenSSL (and libargon2 for Argon2id);
// this header needs only the standard library.
//
// Thread-safety: free functions are safe to call from any thread. A KeyRing
// may be read (seal/open) from many threads at once; `add_key` takes an
// internal exclusive lock, so it is safe against concurrent readers too.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <shared_mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "gramkit/error.hpp"
#include "gramkit/export.hpp"

namespace gramkit::crypto {

using Bytes = std::vector<std::uint8_t>;
using Sha256Digest = std::array<std::uint8_t, 32>;

/// Fills `out` from the operating system CSPRNG (OpenSSL RAND_bytes).
/// Returns `internal` only if the CSPRNG itself fails.
GRAMKIT_API Status random_bytes(std::span<std::uint8_t> out);
/// `n` random bytes; aborts the process if the CSPRNG fails (it never does
/// on a working system, and continuing without randomness is never safe).
GRAMKIT_API Bytes random_bytes(std::size_t n);

GRAMKIT_API Sha256Digest sha256(std::span<const std::uint8_t> data);
GRAMKIT_API Sha256Digest sha256(std::string_view data);
GRAMKIT_API Sha256Digest hmac_sha256(std::span<const std::uint8_t> key, std::span<const std::uint8_t> data);
GRAMKIT_API Sha256Digest hmac_sha256(std::string_view key, std::string_view data);

/// Lower-case hex of arbitrary bytes.
GRAMKIT_API std::string to_hex(std::span<const std::uint8_t> data);

/// Compares in time that depends only on the lengths, not on the contents.
GRAMKIT_API bool constant_time_equal(std::span<const std::uint8_t> a, std::span<const std::uint8_t> b) noexcept;
GRAMKIT_API bool constant_time_equal(std::string_view a, std::string_view b) noexcept;

/// Standard base64 (RFC 4648 §4, with padding).
GRAMKIT_API std::string base64_encode(std::span<const std::uint8_t> data);
/// Strict decoding: rejects bad characters, bad padding and bad lengths.
GRAMKIT_API Result<Bytes> base64_decode(std::string_view text);

// ---------------------------------------------------------------------------
// AES-256-GCM envelope:  v1:<key-id>:<base64(nonce[12] || ciphertext || tag[16])>
// The associated data (for stored secrets "table/column/row-id") is
// authenticated but not stored: opening with different associated data fails.
// ---------------------------------------------------------------------------

inline constexpr std::size_t kKeySize = 32;

/// A named 256-bit key. Key ids are 1..32 characters of [A-Za-z0-9_-].
struct Key {
    std::string id;
    std::array<std::uint8_t, kKeySize> material{};
};

/// Whether `id` is an acceptable key id.
GRAMKIT_API bool valid_key_id(std::string_view id) noexcept;

/// The parts of an envelope, parsed without decrypting.
struct EnvelopeInfo {
    std::string version;  // "v1"
    std::string key_id;
};
/// Parses the header of an envelope; `invalid_argument` if it is not one.
GRAMKIT_API Result<EnvelopeInfo> inspect_envelope(std::string_view envelope);

/// Several keys; encrypts with the newest (last added), decrypts with any.
class GRAMKIT_API KeyRing {
public:
    KeyRing() = default;
    /// Wipes the key material before the memory is released.
    ~KeyRing();
    KeyRing(const KeyRing&) = delete;
    KeyRing& operator=(const KeyRing&) = delete;

    /// Adds a key as the newest. `conflict` if the id exists,
    /// `invalid_argument` if the id is malformed.
    Status add_key(Key key);
    /// A new random key with the given id, added as the newest.
    Result<Key> generate_key(std::string id);

    bool empty() const;
    std::size_t size() const;
    /// Id of the newest key; empty string if there are none.
    std::string newest_key_id() const;
    std::vector<std::string> key_ids() const;  // oldest first

    /// Encrypts `plaintext` under the newest key. `failed_precondition` if
    /// the ring is empty.
    Result<std::string> seal(std::string_view plaintext, std::string_view associated_data) const;
    /// Decrypts an envelope made by `seal` with any key on the ring.
    /// `invalid_argument` if it is not an envelope, `data_loss` if the key id
    /// is unknown or authentication fails (tampered bytes, wrong associated
    /// data). Messages never include plaintext or key material.
    Result<std::string> open(std::string_view envelope, std::string_view associated_data) const;

    /// Serialises all keys in the key-file format: one line per key,
    /// "<key-id> <base64 key>", oldest first. Secret: handle like a key file.
    std::string to_key_file() const;
    /// Parses the key-file format (blank lines and '#' comments ignored).
    /// Errors name the line number, never the key material. A file with no
    /// keys is `invalid_argument`: it can never open anything.
    static Result<std::unique_ptr<KeyRing>> from_key_file(std::string_view text);

private:
    mutable std::shared_mutex mu_;
    std::vector<Key> keys_;  // oldest first
};

// ---------------------------------------------------------------------------
// Argon2id password hashing in PHC string format
//   $argon2id$v=19$m=19456,t=2,p=1$<salt b64>$<hash b64>
// ---------------------------------------------------------------------------

struct Argon2Params {
    std::uint32_t memory_kib = 19456;  // OWASP recommendation
    std::uint32_t iterations = 2;
    std::uint32_t parallelism = 1;
    std::uint32_t salt_len = 16;
    std::uint32_t hash_len = 32;
};

/// Hashes a password with a fresh random salt.
GRAMKIT_API Result<std::string> argon2id_hash(std::string_view password, const Argon2Params& params = {});
/// Verifies in constant time. Returns false for a wrong password,
/// `invalid_argument` for a malformed PHC string.
GRAMKIT_API Result<bool> argon2id_verify(std::string_view password, std::string_view phc);
/// True if `phc` was made with parameters other than `params` (so the
/// caller should rehash after a successful verify). `invalid_argument` for
/// a malformed PHC string.
GRAMKIT_API Result<bool> argon2id_needs_rehash(std::string_view phc, const Argon2Params& params = {});

}  // namespace gramkit::crypto
