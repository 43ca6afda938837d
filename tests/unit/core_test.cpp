// Unit tests for the core layer: clocks, ids, logging, timestamp text and
// the internal JSON toolkit.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <limits>
#include <random>
#include <stdexcept>
#include <string>
#include <thread>
#include <unordered_set>
#include <vector>

#include "core/json.hpp"
#include "gramkit/clock.hpp"
#include "gramkit/ids.hpp"
#include "gramkit/log.hpp"
#include "gramkit/time_format.hpp"

namespace gramkit {
namespace {

using namespace std::chrono_literals;

// ------------------------------------------------------------------ clock ---

TEST(ManualClockTest, StartsAtGivenTimeAndMovesOnlyWhenTold) {
    ManualClock clock(from_micros(1'000'000));
    EXPECT_EQ(to_micros(clock.now()), 1'000'000);
    EXPECT_EQ(to_micros(clock.now()), 1'000'000);

    clock.advance(2500ms);
    EXPECT_EQ(to_micros(clock.now()), 3'500'000);

    clock.advance(-Duration{500'000});
    EXPECT_EQ(to_micros(clock.now()), 3'000'000);

    clock.set(from_micros(42));
    EXPECT_EQ(to_micros(clock.now()), 42);
}

TEST(ManualClockTest, DefaultStartIsNovember2023) {
    ManualClock clock;
    EXPECT_EQ(to_micros(clock.now()), 1'700'000'000'000'000);
}

TEST(SystemClockTest, TracksSystemClockAndDoesNotRunBackwardsMeaningfully) {
    const auto clock = SystemClock::shared();
    ASSERT_NE(clock, nullptr);
    EXPECT_EQ(clock.get(), SystemClock::shared().get()) << "shared() must return one instance";

    const auto reference = std::chrono::floor<Duration>(std::chrono::system_clock::now());
    const Timestamp first = clock->now();
    EXPECT_LT(std::chrono::abs(first - reference), Duration{5s});
    // After 2023 and before 2100: catches unit mix-ups (ms vs us vs ns).
    EXPECT_GT(to_micros(first), 1'700'000'000'000'000);
    EXPECT_LT(to_micros(first), 4'102'444'800'000'000);

    Timestamp previous = first;
    for (int i = 0; i < 1000; ++i) {
        const Timestamp now = clock->now();
        // The wall clock may be stepped by NTP; only a large jump is a bug.
        EXPECT_GT(now, previous - Duration{1s});
        previous = now;
    }
    std::this_thread::sleep_for(2ms);
    EXPECT_GE(clock->now() - first, Duration{1ms});
}

// -------------------------------------------------------------------- ids ---

constexpr int kSequenceBits = 19;

TEST(IdGeneratorTest, UniqueAndStrictlyIncreasingAcrossThreads) {
    IdGenerator generator(SystemClock::shared());
    constexpr int kThreads = 8;
    constexpr int kPerThread = 10'000;
    std::vector<std::vector<std::int64_t>> per_thread(kThreads);
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&, t] {
            auto& ids = per_thread[t];
            ids.reserve(kPerThread);
            for (int i = 0; i < kPerThread; ++i) ids.push_back(generator.next());
        });
    }
    for (auto& thread : threads) thread.join();

    std::unordered_set<std::int64_t> seen;
    for (const auto& ids : per_thread) {
        for (std::size_t i = 0; i < ids.size(); ++i) {
            ASSERT_GT(ids[i], 0);
            if (i > 0) {
                ASSERT_GT(ids[i], ids[i - 1]) << "ids of one thread must increase";
            }
            ASSERT_TRUE(seen.insert(ids[i]).second) << "duplicate id " << ids[i];
        }
    }
    EXPECT_EQ(seen.size(), static_cast<std::size_t>(kThreads * kPerThread));
}

TEST(IdGeneratorTest, EncodesTheClockMillisecondAndFollowsItsOrder) {
    auto clock = std::make_shared<ManualClock>(from_micros(1'700'000'000'123'456));
    IdGenerator generator(clock);

    const std::int64_t a = generator.next();
    EXPECT_EQ(a >> kSequenceBits, 1'700'000'000'123);
    EXPECT_LT(a & ((1 << kSequenceBits) - 1), 1 << (kSequenceBits - 1)) << "random start in the lower half";

    clock->advance(1ms);
    const std::int64_t b = generator.next();
    EXPECT_EQ(b >> kSequenceBits, 1'700'000'000'124);
    EXPECT_GT(b, a);

    clock->advance(10s);
    const std::int64_t c = generator.next();
    EXPECT_EQ(c >> kSequenceBits, 1'700'000'010'124);
    EXPECT_GT(c, b);
}

TEST(IdGeneratorTest, SameMillisecondCountsUp) {
    auto clock = std::make_shared<ManualClock>();
    IdGenerator generator(clock);
    const std::int64_t first = generator.next();
    for (int i = 1; i <= 100; ++i) EXPECT_EQ(generator.next(), first + i);
}

TEST(IdGeneratorTest, StaysIncreasingWhenTheClockGoesBackwards) {
    auto clock = std::make_shared<ManualClock>();
    IdGenerator generator(clock);
    const std::int64_t before = generator.next();
    clock->advance(-Duration{1h});
    const std::int64_t after_step_back = generator.next();
    EXPECT_EQ(after_step_back, before + 1);
    clock->advance(Duration{1h});  // back where it was: still the same millisecond
    EXPECT_EQ(generator.next(), before + 2);
    clock->advance(1ms);
    EXPECT_GT(generator.next(), before + 2);
}

TEST(IdGeneratorTest, SequenceOverflowCarriesIntoTheNextMillisecond) {
    auto clock = std::make_shared<ManualClock>();
    IdGenerator generator(clock);
    std::int64_t previous = generator.next();
    // More ids than one millisecond's sequence space can hold.
    for (int i = 0; i < (1 << kSequenceBits) + 10; ++i) {
        const std::int64_t id = generator.next();
        ASSERT_EQ(id, previous + 1);
        previous = id;
    }
    EXPECT_GT(previous >> kSequenceBits, to_micros(clock->now()) / 1000);
}

TEST(IdGeneratorTest, TimesBeforeTheEpochStillGivePositiveIds) {
    auto clock = std::make_shared<ManualClock>(from_micros(-5'000'000));
    IdGenerator generator(clock);
    const std::int64_t id = generator.next();
    EXPECT_GT(id, 0);
    EXPECT_GT(generator.next(), id);
}

TEST(IdGeneratorTest, StartsAtRandomPointsEachMillisecond) {
    auto clock = std::make_shared<ManualClock>();
    std::unordered_set<std::int64_t> starts;
    for (int i = 0; i < 8; ++i) {
        IdGenerator generator(clock);
        starts.insert(generator.next());
    }
    // Eight draws from 2^18 values: all equal only with negligible probability.
    EXPECT_GT(starts.size(), 1u);
}

// ---------------------------------------------------------------- logging ---

struct CapturedRecord {
    Timestamp time;
    LogLevel level;
    std::string component;
    std::string event;
    std::vector<LogField> fields;
};

// A sink that copies records (the views in LogRecord die after the call).
struct CapturingSink {
    std::shared_ptr<std::vector<CapturedRecord>> records = std::make_shared<std::vector<CapturedRecord>>();
    LogSink sink() const {
        return [records = records](const LogRecord& r) {
            records->push_back({r.time, r.level, std::string(r.component), std::string(r.event),
                                std::vector<LogField>(r.fields.begin(), r.fields.end())});
        };
    }
};

TEST(LogLevelTest, NamesRoundTrip) {
    for (LogLevel level : {LogLevel::trace, LogLevel::debug, LogLevel::info, LogLevel::warn, LogLevel::error,
                           LogLevel::off}) {
        auto parsed = parse_log_level(to_string(level));
        ASSERT_TRUE(parsed.has_value()) << to_string(level);
        EXPECT_EQ(*parsed, level);
    }
    EXPECT_EQ(to_string(LogLevel::warn), "warn");
    EXPECT_EQ(to_string(static_cast<LogLevel>(99)), "unknown");
}

TEST(LogLevelTest, ParseIsCaseInsensitiveAndAcceptsWarning) {
    EXPECT_EQ(parse_log_level("INFO").value(), LogLevel::info);
    EXPECT_EQ(parse_log_level("Debug").value(), LogLevel::debug);
    EXPECT_EQ(parse_log_level("warning").value(), LogLevel::warn);
}

TEST(LogLevelTest, ParseRejectsUnknownNamesAndNamesThem) {
    for (std::string_view bad : {"verbose", "", " info", "info ", "3"}) {
        auto parsed = parse_log_level(bad);
        ASSERT_FALSE(parsed.has_value()) << bad;
        EXPECT_EQ(parsed.error().code, ErrorCode::invalid_argument);
        EXPECT_NE(parsed.error().message.find("\"" + std::string(bad) + "\""), std::string::npos)
            << parsed.error().message;
    }
    // Control characters in the rejected value are escaped, not echoed raw.
    auto parsed = parse_log_level("a\nb");
    ASSERT_FALSE(parsed.has_value());
    EXPECT_NE(parsed.error().message.find("a\\nb"), std::string::npos);
}

TEST(LoggerTest, FiltersByLevel) {
    CapturingSink capture;
    Logger logger(std::make_shared<ManualClock>(), LogLevel::warn, capture.sink());
    EXPECT_FALSE(logger.enabled(LogLevel::info));
    EXPECT_TRUE(logger.enabled(LogLevel::warn));
    EXPECT_TRUE(logger.enabled(LogLevel::error));
    EXPECT_EQ(logger.level(), LogLevel::warn);

    logger.trace("c", "e.trace");
    logger.debug("c", "e.debug");
    logger.info("c", "e.info");
    logger.warn("c", "e.warn");
    logger.error("c", "e.error");
    ASSERT_EQ(capture.records->size(), 2u);
    EXPECT_EQ((*capture.records)[0].event, "e.warn");
    EXPECT_EQ((*capture.records)[1].event, "e.error");

    logger.set_level(LogLevel::trace);
    logger.trace("c", "e.trace");
    EXPECT_EQ(capture.records->size(), 3u);

    logger.set_level(LogLevel::off);
    EXPECT_FALSE(logger.enabled(LogLevel::error));
    EXPECT_FALSE(logger.enabled(LogLevel::off));
    logger.error("c", "e.error");
    logger.log(LogLevel::off, "c", "e.off");
    EXPECT_EQ(capture.records->size(), 3u);
}

TEST(LoggerTest, SinkReceivesTimeLevelComponentEventAndFields) {
    auto clock = std::make_shared<ManualClock>(from_micros(1'795'604'400'123'456));
    CapturingSink capture;
    Logger logger(clock, LogLevel::info, capture.sink());

    logger.info("accounts", "account.created", {{"account_id", "42"}, {"username", "alice"}});
    clock->advance(1s);
    const std::vector<LogField> dynamic{{"k", "v"}};
    logger.log(LogLevel::error, "jobs", "job.failed", std::span<const LogField>(dynamic));

    ASSERT_EQ(capture.records->size(), 2u);
    const CapturedRecord& first = (*capture.records)[0];
    EXPECT_EQ(to_micros(first.time), 1'795'604'400'123'456);
    EXPECT_EQ(first.level, LogLevel::info);
    EXPECT_EQ(first.component, "accounts");
    EXPECT_EQ(first.event, "account.created");
    ASSERT_EQ(first.fields.size(), 2u);
    EXPECT_EQ(first.fields[0].key, "account_id");
    EXPECT_EQ(first.fields[0].value, "42");
    EXPECT_EQ(first.fields[1].key, "username");
    EXPECT_EQ(first.fields[1].value, "alice");

    const CapturedRecord& second = (*capture.records)[1];
    EXPECT_EQ(to_micros(second.time), 1'795'604'401'123'456);
    EXPECT_EQ(second.level, LogLevel::error);
    ASSERT_EQ(second.fields.size(), 1u);
    EXPECT_EQ(second.fields[0].value, "v");
}

TEST(LoggerTest, DefaultSinkWritesLogfmtToStderr) {
    Logger logger(std::make_shared<ManualClock>(from_micros(1'795'604'400'123'456)));
    testing::internal::CaptureStderr();
    logger.info("accounts", "account.created", {{"account_id", "42"}});
    const std::string output = testing::internal::GetCapturedStderr();
    EXPECT_EQ(output,
              "ts=2026-11-25T11:00:00.123456Z level=info component=accounts event=account.created account_id=42\n");
}

TEST(LoggerTest, SetSinkNullRestoresTheDefaultSink) {
    CapturingSink capture;
    Logger logger(std::make_shared<ManualClock>(), LogLevel::info, capture.sink());
    logger.info("c", "to.capture");
    logger.set_sink(nullptr);
    testing::internal::CaptureStderr();
    logger.info("c", "to.stderr");
    const std::string output = testing::internal::GetCapturedStderr();
    EXPECT_EQ(capture.records->size(), 1u);
    EXPECT_NE(output.find("event=to.stderr"), std::string::npos) << output;
}

TEST(LoggerTest, SinkExceptionsAreSwallowed) {
    int calls = 0;
    Logger logger(std::make_shared<ManualClock>(), LogLevel::info, [&](const LogRecord&) {
        ++calls;
        throw std::runtime_error("disk full");
    });
    EXPECT_NO_THROW(logger.info("c", "e"));
    EXPECT_NO_THROW(logger.info("c", "e"));
    EXPECT_EQ(calls, 2);
}

TEST(LoggerTest, LoggingFromInsideTheSinkIsDroppedNotDeadlocked) {
    int calls = 0;
    Logger logger(std::make_shared<ManualClock>());
    Logger other(std::make_shared<ManualClock>(), LogLevel::info, [&](const LogRecord&) {
        logger.info("c", "via.other");  // loops back into logger's running sink
    });
    logger.set_sink([&](const LogRecord& r) {
        ++calls;
        logger.info("c", "nested");  // would deadlock without the guard
        other.info("c", std::string(r.event));
    });
    logger.info("c", "outer");
    EXPECT_EQ(calls, 1);
    logger.info("c", "again");  // the guard is released after the call
    EXPECT_EQ(calls, 2);
}

TEST(LoggerTest, SinkCallsAreSerialised) {
    // The sink increments a plain int: correct totals (and a quiet TSan/ASan
    // run) rely on the logger calling it one record at a time.
    long count = 0;
    Logger logger(std::make_shared<ManualClock>(), LogLevel::info, [&](const LogRecord&) { ++count; });
    constexpr int kThreads = 4;
    constexpr int kPerThread = 2000;
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&] {
            for (int i = 0; i < kPerThread; ++i) logger.info("c", "e", {{"i", std::to_string(i)}});
        });
    }
    // Swap sinks and levels concurrently with logging.
    for (int i = 0; i < 50; ++i) logger.set_level(i % 2 ? LogLevel::info : LogLevel::debug);
    for (auto& thread : threads) thread.join();
    EXPECT_EQ(count, kThreads * kPerThread);
}

LogRecord make_record(std::string_view component, std::string_view event, std::span<const LogField> fields) {
    return LogRecord{from_micros(1'795'604'400'123'456), LogLevel::warn, component, event, fields};
}

TEST(LogfmtTest, FormatsThePlainCase) {
    const LogField fields[] = {{"account_id", "42"}, {"path", "C:\\tmp\\x"}};
    EXPECT_EQ(format_logfmt(make_record("accounts", "account.created", fields)),
              "ts=2026-11-25T11:00:00.123456Z level=warn component=accounts event=account.created "
              "account_id=42 path=C:\\tmp\\x");
}

TEST(LogfmtTest, QuotesAndEscapesValuesThatNeedIt) {
    const LogField fields[] = {
        {"space", "two words"},
        {"quote", "say \"hi\""},
        {"equals", "a=b"},
        {"newline", "line1\nline2\r\t"},
        {"control", std::string("bell\x07 nul\0x", 11)},
        {"del", "a\x7f"},
        {"backslash_quoted", "a \\ b"},
        {"empty", ""},
        {"utf8", "caf\xC3\xA9"},
        {"bad_utf8", "x\xFFy\xC3"},
    };
    const std::string line = format_logfmt(make_record("c", "e", fields));
    EXPECT_NE(line.find(" space=\"two words\""), std::string::npos) << line;
    EXPECT_NE(line.find(" quote=\"say \\\"hi\\\"\""), std::string::npos) << line;
    EXPECT_NE(line.find(" equals=\"a=b\""), std::string::npos) << line;
    EXPECT_NE(line.find(" newline=\"line1\\nline2\\r\\t\""), std::string::npos) << line;
    EXPECT_NE(line.find(" control=\"bell\\u0007 nul\\u0000x\""), std::string::npos) << line;
    EXPECT_NE(line.find(" del=\"a\\u007f\""), std::string::npos) << line;
    EXPECT_NE(line.find(" backslash_quoted=\"a \\\\ b\""), std::string::npos) << line;
    EXPECT_NE(line.find(" empty=\"\""), std::string::npos) << line;
    EXPECT_NE(line.find(" utf8=caf\xC3\xA9"), std::string::npos) << line;
    EXPECT_NE(line.find(" bad_utf8=\"x\\xffy\\xc3\""), std::string::npos) << line;
    // The line stays one line of valid UTF-8.
    EXPECT_EQ(line.find('\n'), std::string::npos);
    std::string as_json;
    json::Writer(as_json).value(line);
    EXPECT_EQ(as_json.find("\xEF\xBF\xBD"), std::string::npos) << "no invalid UTF-8 was emitted";
}

TEST(LogfmtTest, SanitisesKeysAndQuotesComponentAndEvent) {
    const LogField fields[] = {{"bad key=\"x\"", "v"}, {"", "empty key"}};
    const std::string line = format_logfmt(make_record("my component", "", fields));
    EXPECT_NE(line.find(" component=\"my component\""), std::string::npos) << line;
    EXPECT_NE(line.find(" event=\"\""), std::string::npos) << line;
    EXPECT_NE(line.find(" bad_key__x_=v"), std::string::npos) << line;
    EXPECT_NE(line.find(" _=\"empty key\""), std::string::npos) << line;
}

// ------------------------------------------------------------ time format ---

TEST(TimeFormatTest, FormatsRfc3339WithMicroseconds) {
    EXPECT_EQ(format_timestamp_utc(from_micros(0)), "1970-01-01T00:00:00.000000Z");
    EXPECT_EQ(format_timestamp_utc(from_micros(1'795'604'400'123'456)), "2026-11-25T11:00:00.123456Z");
    EXPECT_EQ(format_timestamp_utc(from_micros(-1)), "1969-12-31T23:59:59.999999Z");
    EXPECT_EQ(format_timestamp_utc(from_micros(951'782'400'000'001)), "2000-02-29T00:00:00.000001Z");
}

TEST(TimeFormatTest, ParseRoundTripsFormat) {
    std::mt19937_64 rng(12345);
    // 1900 .. 2500
    std::uniform_int_distribution<std::int64_t> micros(-2'208'988'800'000'000, 16'725'225'600'000'000);
    for (int i = 0; i < 2000; ++i) {
        const Timestamp t = from_micros(micros(rng));
        const std::string text = format_timestamp_utc(t);
        auto parsed = parse_timestamp_utc(text);
        ASSERT_TRUE(parsed.has_value()) << text << ": " << parsed.error().message;
        ASSERT_EQ(*parsed, t) << text;
    }
}

TEST(TimeFormatTest, ParseAcceptsVariants) {
    const std::int64_t base = 1'795'604'400'000'000;  // 2026-11-25T11:00:00Z
    EXPECT_EQ(to_micros(parse_timestamp_utc("2026-11-25T11:00:00Z").value()), base);
    EXPECT_EQ(to_micros(parse_timestamp_utc("2026-11-25T11:00:00+00:00").value()), base);
    EXPECT_EQ(to_micros(parse_timestamp_utc("2026-11-25T11:00:00-00:00").value()), base);
    EXPECT_EQ(to_micros(parse_timestamp_utc("2026-11-25t11:00:00z").value()), base);
    EXPECT_EQ(to_micros(parse_timestamp_utc("2026-11-25T11:00:00.5Z").value()), base + 500'000);
    EXPECT_EQ(to_micros(parse_timestamp_utc("2026-11-25T11:00:00.123Z").value()), base + 123'000);
    EXPECT_EQ(to_micros(parse_timestamp_utc("2026-11-25T11:00:00.123456789Z").value()), base + 123'456);
    EXPECT_EQ(to_micros(parse_timestamp_utc("2026-11-25T13:00:00+02:00").value()), base);
    EXPECT_EQ(to_micros(parse_timestamp_utc("2026-11-25T06:30:00-04:30").value()), base);
}

TEST(TimeFormatTest, ParseRejectsBadInput) {
    for (std::string_view bad : {
             "",
             "2026-11-25",
             "2026-11-25T11:00:00",          // no zone
             "2026-11-25 08:06:40Z",         // space instead of T
             "2026-13-01T00:00:00Z",         // month 13
             "2026-02-29T00:00:00Z",         // not a leap year
             "2026-11-31T00:00:00Z",         // November has 30 days
             "2026-11-25T24:00:00Z",         // hour 24
             "2026-11-25T23:60:00Z",         // minute 60
             "2026-12-31T23:59:60Z",         // leap second
             "2026-11-25T11:00:00.Z",        // empty fraction
             "2026-11-25T11:00:00.1234567890Z",  // 10 fraction digits
             "2026-11-25T11:00:00+0000",     // offset without colon
             "2026-11-25T11:00:00+24:00",    // offset hour out of range
             "2026-11-25T11:00:00Zjunk",     // trailing characters
             "2026-11-25T11:00:00Z ",        // trailing space
             "+2026-11-25T11:00:00Z",
             "2026-1-25T08:06:40Z",
             "2026-11-25T8:06:40Z",
             "20x6-11-25T08:06:40Z",
         }) {
        auto parsed = parse_timestamp_utc(bad);
        ASSERT_FALSE(parsed.has_value()) << "accepted: " << bad;
        EXPECT_EQ(parsed.error().code, ErrorCode::invalid_argument);
        EXPECT_NE(parsed.error().message.find("invalid timestamp"), std::string::npos);
    }
    // Long input is quoted only in part.
    const std::string long_input(10'000, '9');
    auto parsed = parse_timestamp_utc(long_input);
    ASSERT_FALSE(parsed.has_value());
    EXPECT_LT(parsed.error().message.size(), 200u);
}

// ------------------------------------------------------------------- JSON ---

TEST(JsonParseTest, ParsesAllTypes) {
    auto parsed = json::parse(
        R"( {"null": null, "t": true, "f": false, "int": -42, "big": 9223372036854775807,
             "double": 2.5, "exp": 1e3, "str": "h\u00e9llo \"q\" \\ \n", "arr": [1, "two", [3]],
             "obj": {"nested": {}}, "empty_arr": []} )");
    ASSERT_TRUE(parsed.has_value()) << parsed.error().message;
    const json::Value& v = *parsed;
    ASSERT_TRUE(v.is_object());
    EXPECT_TRUE(v.find("null")->is_null());
    EXPECT_EQ(v.find("t")->as_bool(), true);
    EXPECT_EQ(v.find("f")->as_bool(), false);
    EXPECT_EQ(v.find("int")->as_int(), -42);
    EXPECT_EQ(v.find("big")->as_int(), std::numeric_limits<std::int64_t>::max());
    EXPECT_TRUE(v.find("double")->is_double());
    EXPECT_EQ(v.find("double")->as_double(), 2.5);
    EXPECT_TRUE(v.find("exp")->is_double());
    EXPECT_EQ(v.find("exp")->as_double(), 1000.0);
    EXPECT_EQ(v.find("str")->as_string(), "h\xC3\xA9llo \"q\" \\ \n");
    const auto& arr = v.find("arr")->as_array();
    ASSERT_EQ(arr.size(), 3u);
    EXPECT_EQ(arr[0].as_int(), 1);
    EXPECT_EQ(arr[1].as_string(), "two");
    EXPECT_EQ(arr[2].as_array()[0].as_int(), 3);
    EXPECT_TRUE(v.find("obj")->find("nested")->is_object());
    EXPECT_TRUE(v.find("empty_arr")->as_array().empty());
    EXPECT_EQ(v.find("missing"), nullptr);
    EXPECT_EQ(v.find("int")->find("x"), nullptr) << "find on a non-object";

    // Members keep document order.
    const auto& members = v.as_object();
    ASSERT_EQ(members.size(), 11u);
    EXPECT_EQ(members.front().first, "null");
    EXPECT_EQ(members.back().first, "empty_arr");
}

TEST(JsonParseTest, ParsesScalarsAtTopLevelAndEmbeddedNul) {
    EXPECT_TRUE(json::parse("null").value().is_null());
    EXPECT_EQ(json::parse(" 7 ").value().as_int(), 7);
    EXPECT_EQ(json::parse(R"("a\u0000b")").value().as_string(), std::string("a\0b", 3));
    EXPECT_EQ(json::parse(R"("\ud83d\ude00")").value().as_string(), "\xF0\x9F\x98\x80");
}

TEST(JsonParseTest, DuplicateKeysAreKeptAndFindReturnsTheFirst) {
    auto v = json::parse(R"({"a": 1, "a": 2})").value();
    EXPECT_EQ(v.as_object().size(), 2u);
    EXPECT_EQ(v.find("a")->as_int(), 1);
}

TEST(JsonParseTest, RejectsMalformedJson) {
    for (std::string_view bad : {"", "   ", "{", "[1,]", "{\"a\" 1}", "tru", "01", "1 2", "[1] x", "'a'",
                                 "{\"a\":1,}", "\"unterminated", "NaN", "Infinity", "\"\\x\"",
                                 "\"\\ud800\"" /* lone surrogate */, "\"tab\there\""}) {
        auto parsed = json::parse(bad);
        ASSERT_FALSE(parsed.has_value()) << "accepted: " << bad;
        EXPECT_EQ(parsed.error().code, ErrorCode::invalid_argument);
        EXPECT_EQ(parsed.error().message.rfind("malformed JSON: ", 0), 0u) << parsed.error().message;
    }
}

TEST(JsonParseTest, RejectsInvalidUtf8) {
    for (std::string_view bad : {"\"\xff\"", "\"\xC3\"", "\"\xED\xA0\x80\"" /* UTF-8 surrogate */,
                                 "\"\xC0\xAF\"" /* overlong */, "{\"\xff\": 1}"}) {
        auto parsed = json::parse(bad);
        ASSERT_FALSE(parsed.has_value());
        EXPECT_EQ(parsed.error().code, ErrorCode::invalid_argument);
        EXPECT_NE(parsed.error().message.find("UTF-8"), std::string::npos) << parsed.error().message;
    }
}

std::string nested_arrays(std::size_t depth, std::string_view inner = "1") {
    return std::string(depth, '[') + std::string(inner) + std::string(depth, ']');
}

TEST(JsonParseTest, EnforcesMaximumDepth) {
    EXPECT_TRUE(json::parse(nested_arrays(64)).has_value());
    EXPECT_TRUE(json::parse(nested_arrays(64, "")).has_value());
    EXPECT_TRUE(json::parse(nested_arrays(63, "{}")).has_value());

    for (const std::string& too_deep :
         {nested_arrays(65), nested_arrays(65, ""), nested_arrays(64, "{}"), nested_arrays(100'000)}) {
        auto parsed = json::parse(too_deep);
        ASSERT_FALSE(parsed.has_value());
        EXPECT_EQ(parsed.error().code, ErrorCode::invalid_argument);
        EXPECT_EQ(parsed.error().message, "JSON nesting deeper than 64");
    }

    EXPECT_TRUE(json::parse(R"({"a": [1]})", 2).has_value());
    EXPECT_FALSE(json::parse(R"({"a": [[1]]})", 2).has_value());
    EXPECT_FALSE(json::parse(R"({"a": [[]]})", 2).has_value());
    EXPECT_TRUE(json::parse("5", 0).has_value());
    EXPECT_FALSE(json::parse("[]", 0).has_value());
    // The limit is clamped, so huge requests cannot exhaust the stack.
    auto clamped = json::parse(nested_arrays(5000), 1'000'000);
    ASSERT_FALSE(clamped.has_value());
    EXPECT_EQ(clamped.error().message, "JSON nesting deeper than 1024");
}

TEST(JsonParseTest, NumbersBeyondInt64) {
    // Documented behaviour: (INT64_MAX, UINT64_MAX] becomes a double; beyond
    // UINT64_MAX (and beyond the double range) is rejected.
    auto big = json::parse("9223372036854775808");
    ASSERT_TRUE(big.has_value());
    EXPECT_TRUE(big->is_double());
    EXPECT_EQ(big->as_double(), 9223372036854775808.0);

    auto max_u64 = json::parse("18446744073709551615");
    ASSERT_TRUE(max_u64.has_value());
    EXPECT_TRUE(max_u64->is_double());

    auto min_i64 = json::parse("-9223372036854775808");
    ASSERT_TRUE(min_i64.has_value());
    EXPECT_EQ(min_i64->as_int(), std::numeric_limits<std::int64_t>::min());

    for (std::string_view bad : {"18446744073709551616", "-9223372036854775809", "123456789012345678901234567890",
                                 "1e400"}) {
        auto parsed = json::parse(bad);
        ASSERT_FALSE(parsed.has_value()) << bad;
        EXPECT_EQ(parsed.error().message.rfind("malformed JSON: ", 0), 0u);
    }
    // Large but representable doubles are fine.
    EXPECT_EQ(json::parse("1.5e300").value().as_double(), 1.5e300);
}

TEST(JsonParseTest, LargeDocumentsAndRepeatedParsesWork) {
    // Crosses the per-thread parser size so both code paths run.
    std::string big = "[";
    for (int i = 0; i < 30'000; ++i) big += (i ? ",\"" : "\"") + std::to_string(i) + "\"";
    big += "]";
    auto parsed = json::parse(big);
    ASSERT_TRUE(parsed.has_value());
    EXPECT_EQ(parsed->as_array().size(), 30'000u);
    EXPECT_EQ(json::parse("[1]", 3).value().as_array().size(), 1u);
    EXPECT_EQ(json::parse("[1]").value().as_array().size(), 1u);
}

TEST(JsonParseTest, ConcurrentParsesAreIndependent) {
    std::vector<std::thread> threads;
    std::atomic<int> failures{0};
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&, t] {
            for (int i = 0; i < 500; ++i) {
                const std::string text = "{\"t\":" + std::to_string(t) + ",\"i\":" + std::to_string(i) + "}";
                auto v = json::parse(text);
                if (!v || v->find("t")->as_int() != t || v->find("i")->as_int() != i) ++failures;
            }
        });
    }
    for (auto& thread : threads) thread.join();
    EXPECT_EQ(failures.load(), 0);
}

TEST(JsonValueTest, ConstructionAndEquality) {
    json::Value obj = json::Value::object();
    obj.set("a", 1).set("b", "text").set("c", json::Value::array());
    obj.as_object().back().second.push_back(true).push_back(nullptr).push_back(2.5);
    EXPECT_EQ(json::to_string(obj), R"({"a":1,"b":"text","c":[true,null,2.5]})");

    EXPECT_TRUE(json::Value(std::size_t{3}).is_int());
    EXPECT_TRUE(json::Value(std::numeric_limits<std::uint64_t>::max()).is_double());
    EXPECT_TRUE(json::Value(std::string_view("x")).is_string());
    EXPECT_NE(json::Value(1), json::Value(1.0));
    EXPECT_EQ(json::Value(1), json::Value(std::int64_t{1}));
    EXPECT_EQ(json::Value(1).as_double(), 1.0);
    EXPECT_THROW((void)json::Value(1).as_string(), std::bad_variant_access);
    EXPECT_EQ(json::type_name(json::Type::floating), "number");
    EXPECT_EQ(json::type_name(json::Value().type()), "null");
}

std::string write_string(std::string_view s) {
    std::string out;
    json::Writer(out).value(s);
    return out;
}

TEST(JsonWriterTest, EscapesQuotesBackslashAndControlCharacters) {
    EXPECT_EQ(write_string("plain"), R"("plain")");
    EXPECT_EQ(write_string("q\"b\\"), R"("q\"b\\")");
    EXPECT_EQ(write_string("\b\f\n\r\t"), R"("\b\f\n\r\t")");
    EXPECT_EQ(write_string(std::string_view("\0\x01\x1f", 3)), R"("\u0000\u0001\u001f")");
    EXPECT_EQ(write_string("\x7f/"), "\"\x7f/\"") << "DEL and '/' need no escaping";
    EXPECT_EQ(write_string("caf\xC3\xA9 \xF0\x9F\x98\x80"), "\"caf\xC3\xA9 \xF0\x9F\x98\x80\"");
}

TEST(JsonWriterTest, ReplacesInvalidUtf8) {
    const std::string fffd = "\xEF\xBF\xBD";
    EXPECT_EQ(write_string("a\xFF" "b"), "\"a" + fffd + "b\"");
    EXPECT_EQ(write_string("\xC3"), "\"" + fffd + "\"") << "truncated sequence at the end";
    EXPECT_EQ(write_string("\xC0\xAF"), "\"" + fffd + fffd + "\"") << "overlong";
    EXPECT_EQ(write_string("\xED\xA0\x80"), "\"" + fffd + fffd + fffd + "\"") << "surrogate";
    EXPECT_EQ(write_string("\xF4\x90\x80\x80"), "\"" + fffd + fffd + fffd + fffd + "\"") << "above U+10FFFF";
    EXPECT_EQ(write_string("\xE2\x82x"), "\"" + fffd + "x\"") << "maximal subpart is one U+FFFD";
    EXPECT_EQ(write_string("\xF0\x9F\x98"), "\"" + fffd + "\"");
}

TEST(JsonWriterTest, AnyBytesProduceParseableJson) {
    std::mt19937 rng(7);
    std::uniform_int_distribution<int> byte(0, 255);
    std::uniform_int_distribution<int> length(0, 40);
    for (int i = 0; i < 3000; ++i) {
        std::string s(static_cast<std::size_t>(length(rng)), '\0');
        for (char& c : s) c = static_cast<char>(byte(rng));
        std::string out;
        json::Writer(out).begin_object().key(s).value(s).end_object();
        auto parsed = json::parse(out);
        ASSERT_TRUE(parsed.has_value()) << parsed.error().message;
    }
    // Every valid string survives unchanged.
    const std::string valid = "line\n\"quoted\" \\ \x01 caf\xC3\xA9 \xF0\x9F\x98\x80";
    EXPECT_EQ(json::parse(write_string(valid)).value().as_string(), valid);
}

TEST(JsonWriterTest, InsertsCommasAndColons) {
    std::string out;
    json::Writer w(out);
    EXPECT_FALSE(w.complete());
    w.begin_object()
        .key("a").value(1)
        .key("b").begin_array().value("x").value(true).value(nullptr).begin_object().end_object().end_array()
        .key("c").begin_object().key("d").value(false).end_object()
        .key("e").raw(R"({"pre":"built"})")
        .key("f").begin_array().end_array()
        .end_object();
    EXPECT_TRUE(w.complete());
    EXPECT_EQ(out, R"({"a":1,"b":["x",true,null,{}],"c":{"d":false},"e":{"pre":"built"},"f":[]})");
}

TEST(JsonWriterTest, AppendsToExistingText) {
    std::string out = "prefix:";
    json::Writer(out).value(5);
    EXPECT_EQ(out, "prefix:5");
}

TEST(JsonWriterTest, FormatsNumbers) {
    auto write = [](auto v) {
        std::string out;
        json::Writer(out).value(v);
        return out;
    };
    EXPECT_EQ(write(0), "0");
    EXPECT_EQ(write(-7), "-7");
    EXPECT_EQ(write(std::numeric_limits<std::int64_t>::min()), "-9223372036854775808");
    EXPECT_EQ(write(std::numeric_limits<std::uint64_t>::max()), "18446744073709551615");
    EXPECT_EQ(write(static_cast<unsigned short>(65535)), "65535");
    EXPECT_EQ(write(0.1), "0.1");
    EXPECT_EQ(write(3.0), "3.0");
    EXPECT_EQ(write(-0.0), "-0.0");
    EXPECT_EQ(write(1e100), "1e+100");
    EXPECT_EQ(write(1.5e-7), "1.5e-07");
    EXPECT_EQ(write(std::numeric_limits<double>::quiet_NaN()), "null");
    EXPECT_EQ(write(std::numeric_limits<double>::infinity()), "null");
    EXPECT_EQ(write(-std::numeric_limits<double>::infinity()), "null");
    // Shortest text round-trips exactly and stays a double.
    for (double d : {0.1, 1.0 / 3.0, 123456789.125, 5e-324, 1.7976931348623157e308, 2.0}) {
        auto parsed = json::parse(write(d));
        ASSERT_TRUE(parsed.has_value());
        EXPECT_TRUE(parsed->is_double());
        EXPECT_EQ(parsed->as_double(), d);
    }
}

TEST(JsonWriterTest, MisuseIsALogicError) {
    std::string out;
    {
        json::Writer w(out);
        w.begin_object();
        EXPECT_THROW(w.value(1), std::logic_error) << "value without key";
    }
    {
        json::Writer w(out);
        EXPECT_THROW(w.key("k"), std::logic_error) << "key outside an object";
    }
    {
        json::Writer w(out);
        w.begin_array();
        EXPECT_THROW(w.end_object(), std::logic_error);
        EXPECT_THROW(w.key("k"), std::logic_error);
    }
    {
        json::Writer w(out);
        w.begin_object().key("k");
        EXPECT_THROW(w.key("k2"), std::logic_error);
        EXPECT_THROW(w.end_object(), std::logic_error) << "dangling key";
    }
    {
        json::Writer w(out);
        w.value(1);
        EXPECT_THROW(w.value(2), std::logic_error) << "second top-level value";
        EXPECT_THROW(w.end_array(), std::logic_error);
    }
}

TEST(JsonRoundTripTest, ParseToStringParseIsStable) {
    const std::string documents[] = {
        R"({"a":[1,2.5,-3,"x",true,false,null],"b":{"c":{"d":[]}},"e":"\u0001\"\\\/é😀"})",
        R"([0.1,1e-300,-0.0,9007199254740993,1.0,3])",
        R"("just a string")",
        R"({"dup":1,"dup":2,"":{"":""}})",
        "[]",
        "{}",
        "null",
    };
    for (const std::string& text : documents) {
        auto first = json::parse(text);
        ASSERT_TRUE(first.has_value()) << text << ": " << first.error().message;
        const std::string serialised = json::to_string(*first);
        auto second = json::parse(serialised);
        ASSERT_TRUE(second.has_value()) << serialised;
        EXPECT_EQ(*first, *second) << text << " -> " << serialised;
        EXPECT_EQ(json::to_string(*second), serialised) << "serialisation is a fixed point";
    }
}

TEST(JsonRoundTripTest, NonFiniteDoublesBecomeNull) {
    json::Value v = json::Value::array();
    v.push_back(std::numeric_limits<double>::quiet_NaN());
    EXPECT_EQ(json::to_string(v), "[null]");
}

// ---------------------------------------------------------- ObjectReader ---

json::Value parse_or_die(std::string_view text) {
    auto parsed = json::parse(text);
    if (!parsed) throw std::runtime_error(parsed.error().message);
    return std::move(*parsed);
}

TEST(ObjectReaderTest, ReadsEveryType) {
    const json::Value v = parse_or_die(R"({"name":"n","port":8080,"ratio":0.5,"on":true,
                                           "sub":{"x":1},"list":[1,2],"whole":16.0,"nothing":null})");
    json::ObjectReader r(v, "cfg");
    EXPECT_EQ(r.required_string("name").value(), "n");
    EXPECT_EQ(r.optional_string("name").value(), std::optional<std::string>("n"));
    EXPECT_EQ(r.optional_string("absent").value(), std::nullopt);
    EXPECT_EQ(r.required_int("port", 1, 65535).value(), 8080);
    EXPECT_EQ(r.optional_int("port").value(), std::optional<std::int64_t>(8080));
    EXPECT_EQ(r.optional_int("whole").value(), std::optional<std::int64_t>(16)) << "integral double";
    EXPECT_EQ(r.optional_double("ratio", 0.0, 1.0).value(), std::optional<double>(0.5));
    EXPECT_EQ(r.required_double("port").value(), 8080.0) << "integers are numbers";
    EXPECT_EQ(r.required_bool("on").value(), true);
    EXPECT_EQ(r.optional_bool("absent").value(), std::nullopt);
    EXPECT_EQ(r.required_object("sub").value()->find("x")->as_int(), 1);
    EXPECT_EQ(r.optional_array("list").value()->as_array().size(), 2u);
    EXPECT_EQ(r.optional_object("absent").value(), nullptr);
    EXPECT_EQ(r.optional_array("absent").value(), nullptr);
    // Explicit null is "absent" for optional lookups.
    EXPECT_EQ(r.optional_string("nothing").value(), std::nullopt);
    EXPECT_EQ(r.optional_int("nothing").value(), std::nullopt);
    EXPECT_EQ(r.optional_object("nothing").value(), nullptr);
    EXPECT_TRUE(r.get("nothing").value()->is_null()) << "get() sees the raw null";
    EXPECT_TRUE(r.reject_unknown_keys().has_value());
}

template <class T>
void expect_error(const std::expected<T, Error>& result, std::string_view message, std::string_view details) {
    ASSERT_FALSE(result.has_value()) << "expected error: " << message;
    EXPECT_EQ(result.error().code, ErrorCode::invalid_argument);
    EXPECT_EQ(result.error().message, message);
    EXPECT_EQ(result.error().details, details);
}

TEST(ObjectReaderTest, WrongTypesNameThePath) {
    const json::Value v = parse_or_die(R"({"s":1,"i":"1","b":"true","d":[],"o":[],"a":{},"n":null,"f":1.5})");
    json::ObjectReader r(v, "storage");
    expect_error(r.optional_string("s"), "'storage.s' must be a string (got number)", "storage.s");
    expect_error(r.required_string("s"), "'storage.s' must be a string (got number)", "storage.s");
    expect_error(r.optional_int("i"), "'storage.i' must be an integer (got string)", "storage.i");
    expect_error(r.optional_int("f"), "'storage.f' must be an integer (got a fractional number)", "storage.f");
    expect_error(r.optional_bool("b"), "'storage.b' must be a boolean (got string)", "storage.b");
    expect_error(r.optional_double("d"), "'storage.d' must be a number (got array)", "storage.d");
    expect_error(r.optional_object("o"), "'storage.o' must be an object (got array)", "storage.o");
    expect_error(r.required_array("a"), "'storage.a' must be an array (got object)", "storage.a");
    expect_error(r.required_string("n"), "'storage.n' must be a string (got null)", "storage.n");
    expect_error(r.required_int("n"), "'storage.n' must be an integer (got null)", "storage.n");
}

TEST(ObjectReaderTest, MissingRequiredKeys) {
    const json::Value v = parse_or_die("{}");
    json::ObjectReader r(v, "storage");
    expect_error(r.required_string("url"), "'storage.url' is required", "storage.url");
    expect_error(r.required_int("n"), "'storage.n' is required", "storage.n");
    expect_error(r.required_bool("b"), "'storage.b' is required", "storage.b");
    expect_error(r.required_double("d"), "'storage.d' is required", "storage.d");
    expect_error(r.required_object("o"), "'storage.o' is required", "storage.o");
    expect_error(r.required_array("a"), "'storage.a' is required", "storage.a");
}

TEST(ObjectReaderTest, RangeChecks) {
    const json::Value v = parse_or_die(
        R"({"port":0,"big":1e19,"huge_int":18446744073709551615,"neg":-5,"ratio":1.5,"ok":65535})");
    json::ObjectReader r(v, "server");
    expect_error(r.optional_int("port", 1, 65535), "'server.port' must be between 1 and 65535", "server.port");
    expect_error(r.optional_int("big", 1, 10), "'server.big' must be between 1 and 10", "server.big");
    expect_error(r.optional_int("huge_int"),
                 "'server.huge_int' must be between -9223372036854775808 and 9223372036854775807",
                 "server.huge_int");
    expect_error(r.required_int("neg", 0, 100), "'server.neg' must be between 0 and 100", "server.neg");
    expect_error(r.optional_double("ratio", 0.0, 1.0), "'server.ratio' must be between 0 and 1", "server.ratio");
    EXPECT_TRUE(r.optional_double("ratio", 0.25, std::numeric_limits<double>::infinity()).has_value());
    expect_error(r.optional_double("ratio", -std::numeric_limits<double>::infinity(), 0.5),
                 "'server.ratio' must be between -inf and 0.5", "server.ratio");
    EXPECT_EQ(r.required_int("ok", 1, 65535).value(), 65535);
}

TEST(ObjectReaderTest, RejectsUnknownKeys) {
    const json::Value v = parse_or_die(R"({"url":"x","pool_szie":4,"other":1})");
    json::ObjectReader r(v, "storage");
    ASSERT_TRUE(r.required_string("url").has_value());
    ASSERT_TRUE(r.optional_int("pool_size").has_value());  // absent: the typo is not it
    expect_error(r.reject_unknown_keys(), "unknown key 'storage.pool_szie'", "storage.pool_szie");

    // Any lookup counts as "asked for", including failing ones.
    (void)r.optional_string("pool_szie");
    (void)r.get("other");
    EXPECT_TRUE(r.reject_unknown_keys().has_value());
}

TEST(ObjectReaderTest, PathsWithoutPrefixAndNested) {
    const json::Value v = parse_or_die(R"({"limits":{"rate":"fast"},"extra":true})");
    json::ObjectReader root(v, "");
    EXPECT_EQ(root.path("limits"), "limits");
    const json::Value* limits = root.required_object("limits").value();
    json::ObjectReader nested(*limits, root.path("limits"));
    expect_error(nested.optional_int("rate"), "'limits.rate' must be an integer (got string)", "limits.rate");
    expect_error(root.reject_unknown_keys(), "unknown key 'extra'", "extra");

    json::ObjectReader deeper(*limits, "a.b");
    EXPECT_EQ(deeper.path("c"), "a.b.c");
}

TEST(ObjectReaderTest, NonObjectInputAndDuplicateKeys) {
    const json::Value array = parse_or_die("[1]");
    json::ObjectReader r(array, "params");
    expect_error(r.optional_string("x"), "'params' must be an object (got array)", "params");
    expect_error(r.reject_unknown_keys(), "'params' must be an object (got array)", "params");
    json::ObjectReader root(array, "");
    expect_error(root.optional_string("x"), "'(root)' must be an object (got array)", "(root)");

    const json::Value dup = parse_or_die(R"({"a":1,"a":2,"b":3})");
    json::ObjectReader d(dup, "p");
    expect_error(d.optional_int("a"), "duplicate key 'p.a'", "p.a");
    EXPECT_EQ(d.optional_int("b").value(), std::optional<std::int64_t>(3));
}

TEST(ObjectReaderTest, LongKeysAreShortenedInMessages) {
    const std::string long_key(1000, 'k');
    json::Value v = json::Value::object();
    v.set(long_key, 1);
    json::ObjectReader r(v, "p");
    auto status = r.reject_unknown_keys();
    ASSERT_FALSE(status.has_value());
    EXPECT_LT(status.error().message.size(), 120u);
    EXPECT_NE(status.error().message.find("..."), std::string::npos);
}

}  // namespace
}  // namespace gramkit
