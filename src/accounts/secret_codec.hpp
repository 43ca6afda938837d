// Seals and opens stored secrets with the associated data that binds each
// envelope to its table, column and row (DESIGN.md §5), so a ciphertext
// copied to another row or column does not decrypt.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "gramkit/crypto.hpp"
#include "storage/repositories.hpp"

namespace gramkit::accounts {

inline constexpr storage::SecretColumn kAccountPassword{"accounts", "password", "id"};
inline constexpr storage::SecretColumn kAccountTotpSeed{"accounts", "totp_seed", "id"};
inline constexpr storage::SecretColumn kProxyPassword{"proxies", "password", "id"};
inline constexpr storage::SecretColumn kSessionCookies{"sessions", "cookies", "account_id"};

inline Result<std::string> seal_secret(const crypto::KeyRing& keys, const storage::SecretColumn& column,
                                       std::int64_t row_id, std::string_view plaintext) {
    return keys.seal(plaintext, storage::secret_aad(column, row_id));
}

inline Result<std::string> open_secret(const crypto::KeyRing& keys, const storage::SecretColumn& column,
                                       std::int64_t row_id, std::string_view envelope) {
    auto r = keys.open(envelope, storage::secret_aad(column, row_id));
    if (!r) {
        // Say which secret could not be read (never its value).
        r.error().message = std::string(column.table) + "." + std::string(column.column) + " of row " +
                            std::to_string(row_id) + ": " + r.error().message;
    }
    return r;
}

}  // namespace gramkit::accounts
