// gramkit — in-process GCRA store (see in_process_store.hpp for the layout
// and src/ratelimit/gcra.hpp for the arithmetic).
#include "ratelimit/in_process_store.hpp"

#include <atomic>
#include <bit>
#include <functional>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "ratelimit/gcra.hpp"

namespace gramkit::ratelimit {

namespace {

using Node = detail::RateNode;

// The map's reference to a node (see in_process_store.hpp: lifetime).
struct Unref {
    void operator()(Node* n) const noexcept { n->unref(); }
};
using NodePtr = std::unique_ptr<Node, Unref>;

// A key with its hash computed once: used for the shard choice and for the
// map lookup (heterogeneous find), so the hot path neither allocates a
// std::string nor hashes twice.
struct HashedKey {
    std::string_view text;
    std::size_t hash;
};

inline std::size_t hash_text(std::string_view s) noexcept { return std::hash<std::string_view>{}(s); }

struct KeyHash {
    using is_transparent = void;
    // Deliberately not noexcept for the stored key type: libstdc++ then
    // caches each node's hash code (like it does for std::hash<std::string>),
    // so walking a bucket chain compares cached hashes instead of rehashing
    // every stored string.
    std::size_t operator()(const std::string& s) const { return hash_text(s); }
    std::size_t operator()(std::string_view s) const noexcept { return hash_text(s); }
    std::size_t operator()(const HashedKey& k) const noexcept { return k.hash; }
};

struct KeyEq {
    using is_transparent = void;
    static std::string_view view(const std::string& s) noexcept { return s; }
    static std::string_view view(std::string_view s) noexcept { return s; }
    static std::string_view view(const HashedKey& k) noexcept { return k.text; }
    template <class A, class B>
    bool operator()(const A& a, const B& b) const noexcept { return view(a) == view(b); }
};

using Map = std::unordered_map<std::string, NodePtr, KeyHash, KeyEq>;

// One shard per cache line pair, so shards do not share lock lines.
struct alignas(64) Shard {
    mutable std::shared_mutex mutex;
    Map map;
    std::size_t next_scan = 0;  // evict when an insert finds size() ≥ next_scan
};

Status invalid_limit(const Limit& limit) {
    auto s = limit.validate();
    if (s) return fail(ErrorCode::internal, "rate limit: limit rejected without reason");
    return s;
}

Status bad_cost() {
    return fail(ErrorCode::invalid_argument, "rate limit: cost exceeds burst and could never be allowed", "cost");
}

// Validates and derives T/τ with a single division (gcra::valid would need a
// second one; here the tolerance overflow check is a multiplication).
inline bool fast_params(const Limit& limit, gcra::Params& out) noexcept {
    const std::int64_t p = limit.period.count();
    if (limit.rate < 1 || limit.burst < 1 || p < 1 || p > gcra::kMaxSpan) [[unlikely]]
        return false;
    if (limit.rate > static_cast<std::uint64_t>(p)) [[unlikely]]
        return false;
    if (limit.burst > static_cast<std::uint64_t>(gcra::kMaxSpan)) [[unlikely]]
        return false;
    const auto r = static_cast<std::int64_t>(limit.rate);
    const std::int64_t t = p / r + (p % r != 0 ? 1 : 0);
    std::int64_t tol = 0;
    if (__builtin_mul_overflow(t, static_cast<std::int64_t>(limit.burst), &tol) || tol > gcra::kMaxSpan) [[unlikely]]
        return false;
    out = gcra::Params{t, tol, static_cast<std::int64_t>(limit.burst)};
    return true;
}

inline Decision to_decision(const gcra::Outcome& o) noexcept { return InProcessStore::to_decision(o); }

// Only the map references the node: no KeyHandle exists, and none can be
// made while the caller holds the shard's exclusive lock.
inline bool unreferenced(const Node& n) noexcept { return n.refs.load(std::memory_order_acquire) == 1; }

}  // namespace

struct InProcessStore::Impl {
    std::shared_ptr<const Clock> clock;
    std::vector<Shard> shards;
    unsigned shift = 0;            // hash >> shift = shard index (high bits)
    std::size_t per_shard = 1;     // max_keys / shards

    Impl(std::shared_ptr<const Clock> c, InProcessOptions o) : clock(std::move(c)) {
        std::size_t n = o.shards == 0 ? 1 : std::bit_ceil(o.shards);
        if (n > 65536) n = 65536;
        shards = std::vector<Shard>(n);
        const int bits = std::countr_zero(n);
        shift = static_cast<unsigned>(64 - bits);
        per_shard = o.max_keys / n;
        if (per_shard == 0) per_shard = 1;
        for (auto& s : shards) s.next_scan = per_shard;
    }

    std::int64_t now() const noexcept { return to_micros(clock->now()); }

    Shard& shard_for(std::size_t h) noexcept {
        // 64-bit size_t: the top bits select the shard (bits == 0 → shift 64
        // is undefined, so handle the single-shard case explicitly).
        return shift >= 64 ? shards[0] : shards[static_cast<std::uint64_t>(h) >> shift];
    }

    // Evicts full, unpenalized keys without handles; caller holds the
    // exclusive lock.
    static std::size_t evict_locked(Shard& s, std::int64_t now) {
        std::size_t n = 0;
        for (auto it = s.map.begin(); it != s.map.end();) {
            const Node& node = *it->second;
            if (unreferenced(node) && node.tat.load(std::memory_order_relaxed) <= now &&
                !gcra::penalized(node.penalty_until.load(std::memory_order_relaxed), now)) {
                it = s.map.erase(it);
                ++n;
            } else {
                ++it;
            }
        }
        return n;
    }

    // Runs f(Node*) with the node for `key` under the shard's shared lock;
    // f(nullptr) if absent and !create. With create, an absent key is
    // inserted under the exclusive lock (evicting first if the shard is at
    // its threshold) and f runs under that exclusive lock.
    template <class F>
    auto with_node(std::string_view key, bool create, std::int64_t now, F&& f) {
        const HashedKey hk{key, hash_text(key)};
        Shard& s = shard_for(hk.hash);
        {
            std::shared_lock lock(s.mutex);
            auto it = s.map.find(hk);
            if (it != s.map.end()) return f(it->second.get());
            if (!create) return f(static_cast<Node*>(nullptr));
        }
        std::unique_lock lock(s.mutex);
        auto it = s.map.find(hk);
        if (it == s.map.end()) {
            if (s.map.size() >= s.next_scan) {
                evict_locked(s, now);
                const std::size_t left = s.map.size();
                s.next_scan = left < per_shard ? per_shard : left + left / 2 + 1;
            }
            it = s.map.emplace(std::string(key), NodePtr(new Node())).first;
        }
        return f(it->second.get());
    }
};

InProcessStore::InProcessStore(std::shared_ptr<const Clock> clock, InProcessOptions options)
    : impl_(std::make_unique<Impl>(clock ? std::move(clock) : SystemClock::shared(), options)),
      clock_(impl_->clock.get()) {}

InProcessStore::~InProcessStore() = default;

Result<Decision> InProcessStore::try_acquire(std::string_view key, const Limit& limit, std::uint32_t cost) {
    gcra::Params p;
    if (!fast_params(limit, p)) [[unlikely]]
        return fail(invalid_limit(limit).error());
    if (cost == 0) return peek(key, limit);
    if (!gcra::cost_ok(p, cost)) [[unlikely]]
        return fail(bad_cost().error());
    const std::int64_t now = impl_->now();
    return impl_->with_node(key, /*create=*/true, now,
                            [&](Node* node) { return to_result(acquire_step(*node, now, p, cost)); });
}

Result<PreparedLimit> InProcessStore::prepare(const Limit& limit) {
    gcra::Params p;
    if (!fast_params(limit, p)) return fail(invalid_limit(limit).error());
    return gcra::prepare(p);
}

KeyHandle InProcessStore::handle(std::string_view key) {
    return impl_->with_node(key, /*create=*/true, impl_->now(), [](Node* node) {
        node->ref();  // under the shard lock: eviction cannot run concurrently
        return KeyHandle(node);
    });
}

Result<Decision> InProcessStore::try_acquire(const KeyHandle& h, const Limit& limit, std::uint32_t cost) {
    auto p = prepare(limit);
    if (!p) return fail(p.error());
    return try_acquire(h, *p, cost);
}

// cost 0 (peek semantics) or cost above the burst (invalid_argument).
Result<Decision> InProcessStore::probe_slow(const KeyHandle& h, const PreparedLimit& limit, std::uint32_t cost) {
    if (!gcra::cost_ok(limit.params, cost)) return fail(bad_cost().error());
    return peek(h, limit);
}

Result<Decision> InProcessStore::peek(const KeyHandle& h, const PreparedLimit& limit) {
    const std::int64_t now = impl_->now();
    const Node& node = *h.node_;
    const std::int64_t tat = node.tat.load(std::memory_order_acquire);
    const std::int64_t pen = node.penalty_until.load(std::memory_order_acquire);
    gcra::Outcome o = gcra::probe(tat, now, limit, 1);
    if (gcra::penalized(pen, now)) {
        Decision d = to_decision(gcra::apply_penalty(o, tat, pen, now));
        d.penalized_until = from_micros(pen);
        return d;
    }
    return to_decision(o);
}

Result<Decision> InProcessStore::probe(std::string_view key, const Limit& limit, std::uint32_t cost) {
    gcra::Params p;
    if (!fast_params(limit, p)) return fail(invalid_limit(limit).error());
    if (!gcra::cost_ok(p, cost)) return fail(bad_cost().error());
    const std::int64_t now = impl_->now();
    const std::int64_t c = cost == 0 ? 1 : cost;
    return impl_->with_node(key, /*create=*/false, now, [&](Node* node) -> Result<Decision> {
        const std::int64_t tat = node ? node->tat.load(std::memory_order_acquire) : gcra::kNever;
        const std::int64_t pen = node ? node->penalty_until.load(std::memory_order_acquire) : gcra::kNever;
        gcra::Outcome o = gcra::probe(tat, now, p, c);
        if (gcra::penalized(pen, now)) {
            Decision d = to_decision(gcra::apply_penalty(o, tat, pen, now));
            d.penalized_until = from_micros(pen);
            return d;
        }
        return to_decision(o);
    });
}

Result<Decision> InProcessStore::peek(std::string_view key, const Limit& limit) { return probe(key, limit, 1); }

Result<Duration> InProcessStore::reserve(std::string_view key, const Limit& limit, std::uint32_t cost) {
    gcra::Params p;
    if (!fast_params(limit, p)) return fail(invalid_limit(limit).error());
    if (!gcra::cost_ok(p, cost)) return fail(bad_cost().error());
    if (cost == 0) return Duration{0};
    const std::int64_t now = impl_->now();
    return impl_->with_node(key, /*create=*/true, now, [&](Node* node) -> Result<Duration> {
        std::int64_t tat = node->tat.load(std::memory_order_acquire);
        const std::int64_t pen = node->penalty_until.load(std::memory_order_acquire);
        for (;;) {
            const gcra::Reservation r = gcra::reserve(tat, now, p, cost, pen);
            if (!r.ok) {
                return fail(ErrorCode::rate_limited, "rate limit: reservation backlog would exceed 2^50 µs");
            }
            if (node->tat.compare_exchange_weak(tat, r.new_tat, std::memory_order_acq_rel,
                                                std::memory_order_acquire)) {
                return Duration{r.wait};
            }
        }
    });
}

Status InProcessStore::reset(std::string_view key) {
    const HashedKey hk{key, hash_text(key)};
    Shard& s = impl_->shard_for(hk.hash);
    std::unique_lock lock(s.mutex);
    auto it = s.map.find(hk);
    if (it == s.map.end()) return {};
    if (unreferenced(*it->second)) {
        s.map.erase(it);
    } else {
        // Handles point at this node: forget its state in place, so the
        // handles and the string key keep sharing one state.
        it->second->tat.store(gcra::kNever, std::memory_order_release);
        it->second->penalty_until.store(gcra::kNever, std::memory_order_release);
    }
    return {};
}

Status InProcessStore::penalize(std::string_view key, Timestamp until) {
    const std::int64_t u = to_micros(until);
    const std::int64_t now = impl_->now();
    if (u <= now) return {};  // already over: nothing to store
    return impl_->with_node(key, /*create=*/true, now, [&](Node* node) -> Status {
        std::int64_t cur = node->penalty_until.load(std::memory_order_acquire);
        // A later penalty replaces an earlier one; an earlier one is ignored.
        while (cur < u &&
               !node->penalty_until.compare_exchange_weak(cur, u, std::memory_order_acq_rel, std::memory_order_acquire)) {
        }
        return {};
    });
}

std::vector<InProcessStore::KeyState> InProcessStore::snapshot() const {
    const std::int64_t now = impl_->now();
    std::vector<KeyState> out;
    for (auto& s : impl_->shards) {
        std::shared_lock lock(s.mutex);
        for (const auto& [key, node] : s.map) {
            const std::int64_t tat = node->tat.load(std::memory_order_acquire);
            const std::int64_t pen = node->penalty_until.load(std::memory_order_acquire);
            if (tat > now || gcra::penalized(pen, now)) out.push_back(KeyState{key, tat, pen});
        }
    }
    return out;
}

namespace {
void store_max(std::atomic<std::int64_t>& a, std::int64_t v) noexcept {
    std::int64_t cur = a.load(std::memory_order_relaxed);
    while (v > cur && !a.compare_exchange_weak(cur, v, std::memory_order_acq_rel, std::memory_order_relaxed)) {
    }
}
}  // namespace

void InProcessStore::restore(std::span<const KeyState> saved) {
    const std::int64_t now = impl_->now();
    for (const auto& k : saved) {
        impl_->with_node(k.key, /*create=*/true, now, [&](Node* node) {
            store_max(node->tat, k.tat);
            store_max(node->penalty_until, k.penalty_until);
        });
    }
}

std::size_t InProcessStore::size() const {
    std::size_t n = 0;
    for (auto& s : impl_->shards) {
        std::shared_lock lock(s.mutex);
        n += s.map.size();
    }
    return n;
}

std::size_t InProcessStore::evict_full() {
    const std::int64_t now = impl_->now();
    std::size_t n = 0;
    for (auto& s : impl_->shards) {
        std::unique_lock lock(s.mutex);
        n += Impl::evict_locked(s, now);
    }
    return n;
}

std::unique_ptr<Store> make_in_process_store(std::shared_ptr<const Clock> clock, InProcessOptions options) {
    return std::make_unique<InProcessStore>(std::move(clock), options);
}

}  // namespace gramkit::ratelimit
