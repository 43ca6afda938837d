// Where the engine's key ring comes from: a key file (created with one
// fresh key on first use, mode 0600) or an environment variable.
#pragma once

#include <memory>
#include <string>

#include "gramkit/crypto.hpp"
#include "gramkit/log.hpp"

namespace gramkit::engine {

/// Loads the key file, creating it with one new key "k1" if it does not
/// exist (and logging that it did). Refuses a key file that others can read.
Result<std::unique_ptr<crypto::KeyRing>> load_or_create_key_file(const std::string& path, Logger& log);
/// Loads keys from an environment variable (key-file format; ';' also
/// separates lines). `failed_precondition` if the variable is unset.
Result<std::unique_ptr<crypto::KeyRing>> load_keys_from_env(const std::string& variable);
/// Writes the ring to `path` atomically (temp file, fsync, rename), 0600.
Status write_key_file(const std::string& path, const crypto::KeyRing& keys);

}  // namespace gramkit::engine
