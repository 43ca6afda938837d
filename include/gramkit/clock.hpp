// gramkit — injectable time source (DESIGN.md §1: time is always read through
// a Clock so that limiter, lease, cooldown and retry logic is testable).
//
// Thread-safety: `SystemClock` and `ManualClock` may be read and (for the
// manual clock) advanced from any thread concurrently.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>

#include "gramkit/export.hpp"

namespace gramkit {

/// Wall-clock instant with microsecond precision, UTC. This is also the
/// storage format: integer microseconds since the Unix epoch.
using Timestamp = std::chrono::sys_time<std::chrono::microseconds>;
using Duration = std::chrono::microseconds;

inline std::int64_t to_micros(Timestamp t) noexcept { return t.time_since_epoch().count(); }
inline Timestamp from_micros(std::int64_t us) noexcept { return Timestamp{Duration{us}}; }

class GRAMKIT_API Clock {
public:
    virtual ~Clock() = default;
    /// Current wall-clock time.
    virtual Timestamp now() const noexcept = 0;
};

/// Reads std::chrono::system_clock.
class GRAMKIT_API SystemClock final : public Clock {
public:
    Timestamp now() const noexcept override;
    /// A process-wide instance (never destroyed before exit).
    static std::shared_ptr<const SystemClock> shared();
};

/// A clock that only moves when told to; for tests and simulations.
class GRAMKIT_API ManualClock final : public Clock {
public:
    explicit ManualClock(Timestamp start = from_micros(1'700'000'000'000'000)) noexcept
        : now_us_(to_micros(start)) {}
    Timestamp now() const noexcept override { return from_micros(now_us_.load(std::memory_order_acquire)); }
    void set(Timestamp t) noexcept { now_us_.store(to_micros(t), std::memory_order_release); }
    void advance(Duration d) noexcept { now_us_.fetch_add(d.count(), std::memory_order_acq_rel); }

private:
    std::atomic<std::int64_t> now_us_;
};

}  // namespace gramkit
