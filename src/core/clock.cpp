// gramkit — the production clock (DESIGN.md §1: time is read through Clock).
#include "gramkit/clock.hpp"

namespace gramkit {

Timestamp SystemClock::now() const noexcept {
    // system_clock is UTC on every platform we support (C++20 guarantees
    // Unix time), so flooring to microseconds yields the storage format.
    return std::chrono::floor<Duration>(std::chrono::system_clock::now());
}

std::shared_ptr<const SystemClock> SystemClock::shared() {
    // Deliberately leaked: objects with static storage duration (loggers,
    // background threads shutting down late) may still read the clock while
    // other statics are being destroyed at exit. Copying the shared_ptr is
    // thread-safe; the function-local static is initialised exactly once.
    static const auto* const instance =
        new std::shared_ptr<const SystemClock>(std::make_shared<const SystemClock>());
    return *instance;
}

}  // namespace gramkit
