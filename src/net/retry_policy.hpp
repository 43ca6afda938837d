// gramkit::net — when and how long HttpClient waits before repeating a
// request: exponential backoff with full jitter, and Retry-After parsing.
// Pure functions so the formulas are unit-tested without a network.
#pragma once

#include <chrono>
#include <optional>
#include <string_view>

#include "gramkit/clock.hpp"

namespace gramkit::net {

struct RetryPolicy {
    int max_attempts = 3;  // exchanges per URL, the first one included; 1 = never retry
    std::chrono::milliseconds base_delay{250};
    std::chrono::milliseconds max_delay{10'000};
    /// A Retry-After longer than this is not waited for: the 429/503 goes
    /// back to the caller (whose cooldown logic knows better than to block
    /// a thread for minutes).
    std::chrono::milliseconds max_retry_after{30'000};
    /// false: a 429 goes straight back to the caller, Retry-After or not
    /// (for callers whose own cooldown logic owns rate limiting). 5xx
    /// answers are still retried.
    bool retry_on_429 = true;
};

/// Full jitter (AWS architecture blog): uniform in [0, min(max, base·2^(n-1))]
/// for the n-th retry (n ≥ 1). `unit_random` is a sample of [0, 1).
std::chrono::milliseconds backoff_delay(int retry_number, std::chrono::milliseconds base, std::chrono::milliseconds max,
                                        double unit_random);

/// Retry-After as delta-seconds or an HTTP date (relative to `now`; a date
/// in the past means 0). nullopt when unparsable.
std::optional<std::chrono::milliseconds> parse_retry_after(std::string_view value, Timestamp now);

/// Statuses worth repeating an idempotent request for: 429 and 5xx.
bool is_retryable_status(int status) noexcept;

}  // namespace gramkit::net
