// HTTP/cookie dates, Retry-After and the backoff formula.
#include <gtest/gtest.h>

#include "net/http_date.hpp"
#include "net/retry_policy.hpp"

namespace gramkit::net {
namespace {

using namespace std::chrono_literals;

// 1994-11-06 08:49:37 UTC
constexpr std::int64_t kNov6_1994 = 784111777;

Timestamp at(std::int64_t unix_seconds) { return from_micros(unix_seconds * 1'000'000); }

TEST(HttpDate, AcceptsTheCommonFormats) {
    for (const char* text : {"Sun, 06 Nov 1994 08:49:37 GMT", "Sunday, 06-Nov-94 08:49:37 GMT", "Sun Nov  6 08:49:37 1994",
                             "Sun, 06-Nov-1994 08:49:37 GMT", "sun, 6 nov 1994 08:49:37 gmt"}) {
        auto t = parse_http_date(text);
        ASSERT_TRUE(t) << text;
        EXPECT_EQ(*t, at(kNov6_1994)) << text;
    }
}

TEST(HttpDate, TwoDigitYearsFollowRfc6265) {
    EXPECT_EQ(parse_http_date("Thu, 01-Jan-70 00:00:01 GMT"), at(1));
    auto t = parse_http_date("Wed, 01-Jan-25 00:00:00 GMT");
    ASSERT_TRUE(t);
    EXPECT_EQ(*t, at(1735689600));
}

TEST(HttpDate, RejectsGarbageAndImpossibleDates) {
    for (const char* text : {"", "tomorrow", "Sun, 06 Nov 1994", "Sun, 31 Feb 2020 10:00:00 GMT",
                             "Sun, 06 Nov 1994 25:00:00 GMT", "Sun, 06 Foo 1994 08:49:37 GMT"})
        EXPECT_FALSE(parse_http_date(text)) << text;
}

TEST(RetryAfter, SecondsAndDates) {
    const Timestamp now = at(kNov6_1994);
    EXPECT_EQ(parse_retry_after("120", now), 120s);
    EXPECT_EQ(parse_retry_after(" 0 ", now), 0s);
    EXPECT_EQ(parse_retry_after("Sun, 06 Nov 1994 08:50:07 GMT", now), 30s);
    EXPECT_EQ(parse_retry_after("Sun, 06 Nov 1994 08:00:00 GMT", now), 0ms);  // in the past
    EXPECT_FALSE(parse_retry_after("-5", now));
    EXPECT_FALSE(parse_retry_after("soon", now));
    EXPECT_FALSE(parse_retry_after("", now));
    EXPECT_GE(*parse_retry_after("99999999999999999999999", now), std::chrono::milliseconds(24h));
}

TEST(Backoff, FullJitterWithinTheExponentialCeiling) {
    EXPECT_EQ(backoff_delay(1, 100ms, 10s, 0.0), 0ms);
    EXPECT_EQ(backoff_delay(1, 100ms, 10s, 0.5), 50ms);
    EXPECT_EQ(backoff_delay(2, 100ms, 10s, 0.5), 100ms);
    EXPECT_EQ(backoff_delay(3, 100ms, 10s, 0.999), 399ms);
    EXPECT_EQ(backoff_delay(10, 100ms, 10s, 0.5), 5000ms);  // capped at max
    EXPECT_EQ(backoff_delay(200, 100ms, 10s, 1.0), 10s);    // no overflow
}

TEST(Backoff, RetryableStatuses) {
    EXPECT_TRUE(is_retryable_status(429));
    EXPECT_TRUE(is_retryable_status(500));
    EXPECT_TRUE(is_retryable_status(503));
    EXPECT_FALSE(is_retryable_status(404));
    EXPECT_FALSE(is_retryable_status(200));
    EXPECT_FALSE(is_retryable_status(301));
}

}  // namespace
}  // namespace gramkit::net
