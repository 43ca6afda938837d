// gramkit — a cheap wall clock for the limiter's hot path.
//
// CoarseClock reads CLOCK_REALTIME_COARSE: the kernel's last timer-tick
// value, served from the vDSO without touching the hardware counter. It is
// typically 3-10× cheaper than clock_gettime(CLOCK_REALTIME) (and much
// cheaper when the clock source is not vDSO-capable, e.g. some VMs), at the
// cost of resolution: it advances once per tick, 1-4 ms (resolution() says
// how much on this machine).
//
// Precision trade-off: a limiter reading a clock that lags real time by up
// to one tick δ makes each decision as if it happened up to δ earlier. Rates
// are still enforced against that clock, so the number allowed in any real
// window W is at most rate × (W + δ) / period + burst, i.e. at most one extra
// emission interval's worth over a few milliseconds. For limits measured in
// minutes (200 per 11 min: T = 3.3 s) this is noise; retry_after may be up
// to δ too long or too short. Do not use it for limits whose emission
// interval is close to δ (hundreds of requests per second per key) — give
// such stores SystemClock.
//
// Thread-safety: stateless; any thread.
#pragma once

#include <memory>

#include "gramkit/clock.hpp"

namespace gramkit::ratelimit {

class CoarseClock final : public Clock {
public:
    Timestamp now() const noexcept override;
    /// Tick length reported by clock_getres(CLOCK_REALTIME_COARSE).
    static Duration resolution() noexcept;
    /// A process-wide instance.
    static std::shared_ptr<const CoarseClock> shared();
};

}  // namespace gramkit::ratelimit
