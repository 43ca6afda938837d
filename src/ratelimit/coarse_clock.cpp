// gramkit — CoarseClock (see coarse_clock.hpp).
#include "ratelimit/coarse_clock.hpp"

#include <time.h>

#include <chrono>

namespace gramkit::ratelimit {

namespace {
#ifdef CLOCK_REALTIME_COARSE
constexpr clockid_t kCoarse = CLOCK_REALTIME_COARSE;
#else
constexpr clockid_t kCoarse = CLOCK_REALTIME;
#endif
}  // namespace

Timestamp CoarseClock::now() const noexcept {
    timespec ts{};
    ::clock_gettime(kCoarse, &ts);
    return from_micros(static_cast<std::int64_t>(ts.tv_sec) * 1'000'000 + ts.tv_nsec / 1000);
}

Duration CoarseClock::resolution() noexcept {
    timespec ts{};
    if (::clock_getres(kCoarse, &ts) != 0) return Duration{0};
    return Duration{static_cast<std::int64_t>(ts.tv_sec) * 1'000'000 + ts.tv_nsec / 1000};
}

std::shared_ptr<const CoarseClock> CoarseClock::shared() {
    // Leaked on purpose: usable from static destructors of other objects.
    static auto* instance = new std::shared_ptr<const CoarseClock>(std::make_shared<const CoarseClock>());
    return *instance;
}

}  // namespace gramkit::ratelimit
