// gramkit — the in-process rate-limit store (private; the public entry point
// is make_in_process_store in gramkit/ratelimit.hpp).
//
// Layout: `shards` (power of two) shards chosen by the high bits of the key
// hash; each shard is an unordered_map key → unique_ptr<Node> under a
// shared_mutex. A Node holds two atomics: tat and penalty_until (µs).
//
// Hot path (existing key): hash once, shared lock, heterogeneous find (no
// std::string is built; the precomputed hash is reused), CAS loop on tat,
// unlock. Only creating a key, reset() and eviction take the exclusive
// lock. Nodes are freed only under the exclusive lock, so a node pointer
// found under the shared lock stays valid until that lock is released.
//
// Memory: a shard holds about max_keys / shards keys. When an insert finds
// the shard at its threshold it evicts every key that is back to full
// (tat ≤ now) and not penalized — forgetting such a key changes no
// decision, because a missing key is full. Keys that are not full are never
// evicted (that would make the limiter more permissive); if a shard is still
// over its share after eviction, the next scan waits until it has grown by
// half again, so scans stay amortised O(1) per insert. Memory is therefore
// bounded by about max(max_keys, 1.5 × keys-not-full-at-once).
#pragma once

#include <cstddef>
#include <memory>

#include "gramkit/ratelimit.hpp"

namespace gramkit::ratelimit {

class InProcessStore final : public Store {
public:
    InProcessStore(std::shared_ptr<const Clock> clock, InProcessOptions options);
    ~InProcessStore() override;

    Result<Decision> try_acquire(std::string_view key, const Limit& limit, std::uint32_t cost) override;
    Result<Decision> peek(std::string_view key, const Limit& limit) override;
    Result<Decision> probe(std::string_view key, const Limit& limit, std::uint32_t cost) override;
    Result<Duration> reserve(std::string_view key, const Limit& limit, std::uint32_t cost) override;
    Status reset(std::string_view key) override;
    Status penalize(std::string_view key, Timestamp until) override;

    /// Keys currently held (all shards; takes each shard's shared lock).
    std::size_t size() const;
    /// Evicts every full, unpenalized key now (normally done lazily).
    std::size_t evict_full();

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace gramkit::ratelimit
