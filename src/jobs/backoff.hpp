// Retry delays for failed jobs (issue 6): exponential backoff with full
// jitter, capped.
//
//   upper(attempt) = min(cap, base × multiplier^(attempt − 1))
//   delay(attempt) = unit_random × upper(attempt)      (rounded down)
//
// "Full jitter" draws the whole delay uniformly from [0, upper): retries of
// many jobs that failed together (an outage) spread out instead of
// returning in synchronized waves. The random number is a parameter so the
// formula is deterministic under test; the caller supplies a uniform
// [0, 1) value. docs/jobs.md, "Schedules and retry backoff".
//
// Thread-safety: pure functions over plain values.
#pragma once

#include "gramkit/clock.hpp"
#include "gramkit/error.hpp"
#include "gramkit/jobs.hpp"

namespace gramkit::jobs {

// BackoffPolicy is public (gramkit/jobs.hpp): KindOptions carries one.

/// The upper bound of the delay before retry `attempt` (1 = first retry):
/// min(cap, base × multiplier^(attempt − 1)), rounded to whole microseconds.
/// Never overflows, whatever the attempt count; attempts below 1 count as 1.
/// For a policy that fails validate() the result is still within
/// [0, max(cap, 0)] (a non-finite or < 1 multiplier counts as 1).
Duration max_retry_delay(const BackoffPolicy& policy, int attempt);

/// unit_random × max_retry_delay(policy, attempt), rounded down, so the
/// delay lies in [0, bound) for a positive bound. unit_random is clamped
/// into [0, 1) (NaN counts as 0).
Duration retry_delay(const BackoffPolicy& policy, int attempt, double unit_random);

}  // namespace gramkit::jobs
