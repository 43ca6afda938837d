// gramkit — the in-process rate-limit store (private; the public entry point
// is make_in_process_store in gramkit/ratelimit.hpp).
//
// Layout: `shards` (power of two) shards chosen by the high bits of the key
// hash; each shard is an unordered_map key → ref-counted Node under a
// shared_mutex. A Node holds atomics tat and penalty_until (µs) and a
// reference count (see "Node lifetime" below).
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
//
// Resolved keys (like a prepared statement): handle(key) looks the key up
// once (creating it) and returns a KeyHandle that points straight at the
// key's node; try_acquire(handle, prepared, cost) then reads the clock,
// loads the penalty and runs the CAS loop on the node's tat — no hashing,
// no lock, no division (PreparedLimit carries T, τ and a reciprocal of T).
// Decisions are identical to the string-key path, which shares the node:
// a key used through a handle and through its string sees one state.
//
// Node lifetime: a node carries an intrusive reference count; the shard map
// holds one reference and every KeyHandle one more. Eviction skips nodes
// that have handles (refs > 1 under the exclusive lock is stable: a new
// handle is made either under the shard lock or by copying an existing
// handle), and reset() on such a key clears its state in place instead of
// erasing it. Whoever drops the last reference frees the node, so a handle
// may even outlive its store (it is then merely useless). A handle must be
// used only with the store that made it.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>
#include <string_view>
#include <utility>

#include "gramkit/ratelimit.hpp"
#include "ratelimit/gcra.hpp"

namespace gramkit::ratelimit {

namespace detail {

// Per-key state. tat and penalty_until share the first 16 bytes, so they
// sit in one cache line whatever the allocator's 16-byte alignment.
struct RateNode {
    std::atomic<std::int64_t> tat{gcra::kNever};
    std::atomic<std::int64_t> penalty_until{gcra::kNever};
    std::atomic<std::uint32_t> refs{1};  // the map's reference

    void ref() noexcept { refs.fetch_add(1, std::memory_order_relaxed); }
    void unref() noexcept {
        if (refs.fetch_sub(1, std::memory_order_acq_rel) == 1) delete this;
    }
};

}  // namespace detail

/// A key resolved once by InProcessStore::handle(). Cheap to copy (one
/// atomic increment) and to move; keeps the key's state alive and
/// unevictable while it exists. Default-constructed: empty (unusable).
class KeyHandle {
public:
    KeyHandle() noexcept = default;
    KeyHandle(const KeyHandle& o) noexcept : node_(o.node_) {
        if (node_) node_->ref();
    }
    KeyHandle(KeyHandle&& o) noexcept : node_(o.node_) { o.node_ = nullptr; }
    KeyHandle& operator=(KeyHandle o) noexcept {
        std::swap(node_, o.node_);
        return *this;
    }
    ~KeyHandle() {
        if (node_) node_->unref();
    }
    explicit operator bool() const noexcept { return node_ != nullptr; }

private:
    friend class InProcessStore;
    explicit KeyHandle(detail::RateNode* adopted) noexcept : node_(adopted) {}  // takes over one reference
    detail::RateNode* node_ = nullptr;
};

/// A validated limit with T, τ and T's reciprocal precomputed.
using PreparedLimit = gcra::Prepared;

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

    /// Validates `limit` once (invalid_argument as Store::try_acquire) and
    /// precomputes what the handle path needs.
    static Result<PreparedLimit> prepare(const Limit& limit);
    /// Resolves `key` (creating its state if absent); see KeyHandle.
    KeyHandle handle(std::string_view key);

    /// Same decision as try_acquire(key, limit, cost) for the handle's key,
    /// without lookup or lock. cost 0 behaves like peek; a cost above the
    /// burst is invalid_argument. `h` must be non-empty and from this store.
    Result<Decision> try_acquire(const KeyHandle& h, const PreparedLimit& limit, std::uint32_t cost) {
        if (cost == 0 || static_cast<std::int64_t>(cost) > limit.params.burst) [[unlikely]]
            return probe_slow(h, limit, cost);
        return to_result(acquire_step(*h.node_, to_micros(clock_->now()), limit, cost));
    }
    /// Convenience: prepares `limit` on every call (one division).
    Result<Decision> try_acquire(const KeyHandle& h, const Limit& limit, std::uint32_t cost);
    /// Same as peek(key, limit) for the handle's key.
    Result<Decision> peek(const KeyHandle& h, const PreparedLimit& limit);

    /// An acquire's outcome plus the penalty that denied it, if any.
    struct Step {
        gcra::Outcome outcome;
        std::int64_t penalty_until = gcra::kNever;
        bool penalized = false;
    };

    /// The CAS step shared by both paths (P = gcra::Params or PreparedLimit);
    /// 1 ≤ cost ≤ burst. Returns plain values (registers once inlined): the
    /// Result is built only after the CAS (to_result), because stores into
    /// it before the CAS could be neither elided nor store-forwarded and
    /// cost more than the check itself.
    template <class P>
    static Step acquire_step(detail::RateNode& node, std::int64_t now, const P& p, std::int64_t cost) noexcept {
        // Ask for the line in exclusive state up front: on a contended key
        // the load below and the CAS then cost one cache-line transfer, not
        // a shared fetch followed by an upgrade.
        __builtin_prefetch(&node.tat, 1, 3);
        std::int64_t tat = node.tat.load(std::memory_order_acquire);
        const std::int64_t pen = node.penalty_until.load(std::memory_order_acquire);
        if (gcra::penalized(pen, now)) [[unlikely]] {
            return Step{gcra::apply_penalty(gcra::acquire(tat, now, p, cost), tat, pen, now), pen, true};
        }
        for (;;) {
            // gcra::acquire split around the CAS: remaining/reset_at are
            // computed once, after the CAS, off the contended critical path.
            gcra::Outcome o = gcra::decide(tat, now, p, cost);
            if (!o.allowed ||
                node.tat.compare_exchange_weak(tat, o.new_tat, std::memory_order_acq_rel, std::memory_order_acquire)) {
                gcra::fill_remaining(o, o.new_tat, now, p);
                return Step{o, gcra::kNever, false};
            }
        }
    }

    /// Builds the Result directly in the caller's slot (no Decision copy).
    static Result<Decision> to_result(const Step& s) noexcept {
        return Result<Decision>(std::in_place, s.outcome.allowed, Duration{s.outcome.retry_after},
                                static_cast<std::uint64_t>(s.outcome.remaining), from_micros(s.outcome.reset_at),
                                s.penalized ? std::optional<Timestamp>(from_micros(s.penalty_until)) : std::nullopt);
    }

    static void to_decision(const gcra::Outcome& o, Decision& d) noexcept {
        d.allowed = o.allowed;
        d.retry_after = Duration{o.retry_after};
        d.remaining = static_cast<std::uint64_t>(o.remaining);
        d.reset_at = from_micros(o.reset_at);
    }
    static Decision to_decision(const gcra::Outcome& o) noexcept {
        Decision d;
        to_decision(o, d);
        return d;
    }

    /// One key's raw state (µs since the epoch; gcra::kNever = unset), for
    /// persistence across restarts (docs/ratelimit.md, "Persistence").
    struct KeyState {
        std::string key;
        std::int64_t tat = gcra::kNever;
        std::int64_t penalty_until = gcra::kNever;
    };
    /// The keys whose state still matters now (not back to full, or
    /// penalized); a key missing from a snapshot is full. Takes each shard's
    /// shared lock in turn, so concurrent checks go on; the snapshot is
    /// per-key consistent, not a global instant.
    std::vector<KeyState> snapshot() const;
    /// Merges saved state in: per key the later tat and penalty win, so a
    /// restore never makes the store more permissive than it is.
    void restore(std::span<const KeyState> saved);

    /// Keys currently held (all shards; takes each shard's shared lock).
    std::size_t size() const;
    /// Evicts every full, unpenalized key now (normally done lazily).
    std::size_t evict_full();

private:
    Result<Decision> probe_slow(const KeyHandle& h, const PreparedLimit& limit, std::uint32_t cost);

    struct Impl;
    std::unique_ptr<Impl> impl_;
    const Clock* clock_ = nullptr;  // impl_->clock, for the inline handle path
};

}  // namespace gramkit::ratelimit
