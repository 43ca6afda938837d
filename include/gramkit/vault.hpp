// gramkit — the secrets vault: the key ring that encrypts stored secrets
// (DESIGN.md §5) and key rotation.
//
// Rotation is two steps: `add_key` makes a new newest key (new secrets are
// sealed with it, old ones still open with their key), then `rewrap`
// re-encrypts every stored secret under the newest key. Old keys stay on the
// ring (and in the key file) until the operator removes them by hand after a
// rewrap.
// Thread-safety: callable from any thread; `add_key` and `rewrap` serialise
// with each other.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "gramkit/error.hpp"
#include "gramkit/export.hpp"

namespace gramkit {

struct RewrapReport {
    std::string key_id;          // the key every secret is now sealed with
    std::size_t rewrapped = 0;   // secrets re-encrypted
    std::size_t examined = 0;    // secrets looked at
};

class GRAMKIT_API Vault {
public:
    virtual ~Vault() = default;
    /// Key ids on the ring, oldest first (never the key material).
    virtual std::vector<std::string> key_ids() const = 0;
    virtual std::string newest_key_id() const = 0;
    /// Generates a new random key, makes it the newest and persists the key
    /// file (atomically, mode 0600). `id` empty = "k<N>" with N = ring size+1.
    /// `failed_precondition` when keys came from the environment, which the
    /// library cannot rewrite.
    virtual Result<std::string> add_key(const std::string& id = {}) = 0;
    /// Re-encrypts every stored secret that is not under the newest key.
    virtual Result<RewrapReport> rewrap() = 0;
};

}  // namespace gramkit
