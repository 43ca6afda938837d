// gramkit — time-ordered 64-bit ids (layout documented in gramkit/ids.hpp).
#include "gramkit/ids.hpp"

#include <unistd.h>

#include <algorithm>
#include <random>

namespace gramkit {
namespace {

constexpr int kSequenceBits = 19;
constexpr std::int64_t kMaxMillis = (std::int64_t{1} << 44) - 1;
// The random start stays in the lower half of the sequence space so that at
// least 2^18 ids fit into the same millisecond before the sequence carries
// into the millisecond bits (which is harmless, just less tidy).
constexpr std::uint64_t kRandomStartLimit = std::uint64_t{1} << (kSequenceBits - 1);

// Random sequence start. Each thread owns its engine, so no lock is needed.
// The engine is re-seeded when the process id changes: a host that forks
// after loading gramkit (Python multiprocessing, pre-forking servers) would
// otherwise give parent and child the same "random" starts and thus the
// same ids in the same millisecond.
std::uint64_t random_sequence_start() {
    thread_local std::mt19937_64 engine;
    thread_local pid_t seeded_for_pid = 0;
    const pid_t pid = ::getpid();
    if (pid != seeded_for_pid) {
        std::random_device device;
        std::seed_seq seed{device(), device(), device(), device()};
        engine.seed(seed);
        seeded_for_pid = pid;
    }
    return std::uniform_int_distribution<std::uint64_t>(0, kRandomStartLimit - 1)(engine);
}

}  // namespace

IdGenerator::IdGenerator(std::shared_ptr<const Clock> clock) : clock_(std::move(clock)) {}

std::int64_t IdGenerator::next() {
    // Read the clock outside the lock: it may be slow (virtual call, vDSO)
    // and ordering is enforced against last_ below anyway.
    const std::int64_t millis = std::clamp<std::int64_t>(
        std::chrono::floor<std::chrono::milliseconds>(clock_->now()).time_since_epoch().count(), 0,
        kMaxMillis);

    std::lock_guard lock(mu_);
    const std::int64_t last_millis = last_ >> kSequenceBits;
    if (millis > last_millis) {
        // A new millisecond: start the sequence at a random point so that
        // other processes generating ids right now rarely pick the same one.
        last_ = (millis << kSequenceBits) | static_cast<std::int64_t>(random_sequence_start());
    } else {
        // Same millisecond, or the clock went backwards (NTP step, manual
        // clock set into the past): keep counting from the last id so ids
        // stay strictly increasing.
        ++last_;
    }
    return last_;
}

}  // namespace gramkit
