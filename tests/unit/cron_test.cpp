// Cron expressions: every syntax form, the Vixie day rule, calendar edges,
// every error message, the "missed runs fire once" rule, and a seeded
// random-input run that must never crash.
#include <gtest/gtest.h>

#include <climits>
#include <random>
#include <string>
#include <vector>

#include "gramkit/time_format.hpp"
#include "jobs/cron.hpp"

namespace gramkit::jobs {
namespace {

using namespace std::chrono_literals;

Timestamp at(std::string_view rfc3339) {
    auto t = parse_timestamp_utc(rfc3339);
    EXPECT_TRUE(t) << rfc3339;
    return t ? *t : Timestamp{};
}

std::string text(std::optional<Timestamp> t) { return t ? format_timestamp_utc(*t) : std::string("none"); }

CronSchedule cron(std::string_view expr) {
    auto s = CronSchedule::parse(expr);
    EXPECT_TRUE(s) << expr << ": " << (s ? "" : s.error().to_string());
    return s ? *s : *CronSchedule::parse("* * * * *");
}

// The first `n` fire times after `from`, as RFC 3339 strings.
std::vector<std::string> fires(std::string_view expr, std::string_view from, int n) {
    CronSchedule s = cron(expr);
    std::vector<std::string> out;
    std::optional<Timestamp> t = at(from);
    for (int i = 0; i < n && t; ++i) {
        t = s.next_after(*t);
        out.push_back(text(t));
    }
    return out;
}

std::string error_of(std::string_view expr) {
    auto s = CronSchedule::parse(expr);
    if (s) return "parsed as " + s->to_string();
    EXPECT_EQ(s.error().code, ErrorCode::invalid_argument) << expr;
    return s.error().message;
}

// ---- syntax ---------------------------------------------------------------

TEST(CronSyntax, StarFiresEveryMinuteStrictlyAfter) {
    EXPECT_EQ(cron("* * * * *").to_string(), "* * * * *");
    EXPECT_EQ(fires("* * * * *", "2026-11-25T10:00:00Z", 2),
              (std::vector<std::string>{"2026-11-25T10:01:00.000000Z", "2026-11-25T10:02:00.000000Z"}));
    // Seconds and microseconds are dropped: fire times are whole minutes.
    EXPECT_EQ(fires("* * * * *", "2026-11-25T10:00:59.999999Z", 1),
              (std::vector<std::string>{"2026-11-25T10:01:00.000000Z"}));
}

TEST(CronSyntax, Numbers) {
    EXPECT_EQ(cron("5 4 3 2 1").to_string(), "5 4 3 2 1");
    EXPECT_EQ(fires("7 * * * *", "2026-11-25T10:07:00Z", 2),
              (std::vector<std::string>{"2026-11-25T11:07:00.000000Z", "2026-11-25T12:07:00.000000Z"}));
    // Leading zeros are plain numbers.
    EXPECT_EQ(cron("007 09 01 02 *"), cron("7 9 1 2 *"));
}

TEST(CronSyntax, Ranges) {
    EXPECT_EQ(cron("10-12 * * * *").to_string(), "10-12 * * * *");
    EXPECT_EQ(fires("10-12 * * * *", "2026-11-25T10:10:00Z", 3),
              (std::vector<std::string>{"2026-11-25T10:11:00.000000Z", "2026-11-25T10:12:00.000000Z",
                                        "2026-11-25T11:10:00.000000Z"}));
    EXPECT_EQ(cron("5-5 * * * *"), cron("5 * * * *"));
    EXPECT_EQ(cron("0-59 0-23 * 1-12 *").to_string(), "* * * * *");
}

TEST(CronSyntax, StarSteps) {
    EXPECT_EQ(cron("*/15 * * * *").to_string(), "*/15 * * * *");
    EXPECT_EQ(fires("*/15 * * * *", "2026-11-25T10:00:00Z", 4),
              (std::vector<std::string>{"2026-11-25T10:15:00.000000Z", "2026-11-25T10:30:00.000000Z",
                                        "2026-11-25T10:45:00.000000Z", "2026-11-25T11:00:00.000000Z"}));
    EXPECT_EQ(cron("0 */6 * * *"), cron("0 0,6,12,18 * * *"));
    // A step that does not divide the span restarts at the field's minimum.
    EXPECT_EQ(cron("*/7 * * * *"), cron("0,7,14,21,28,35,42,49,56 * * * *"));
    EXPECT_EQ(cron("* * * */5 *"), cron("* * * 1,6,11 *"));
    EXPECT_EQ(cron("*/1 * * * *").to_string(), "* * * * *");
}

TEST(CronSyntax, RangeSteps) {
    EXPECT_EQ(cron("10-30/10 * * * *").to_string(), "10,20,30 * * * *");
    EXPECT_EQ(cron("0 9-17/4 * * *"), cron("0 9,13,17 * * *"));
    EXPECT_EQ(fires("10-30/10 * * * *", "2026-11-25T10:30:00Z", 1),
              (std::vector<std::string>{"2026-11-25T11:10:00.000000Z"}));
}

TEST(CronSyntax, Lists) {
    EXPECT_EQ(cron("1,2,3,7 * * * *").to_string(), "1-3,7 * * * *");
    EXPECT_EQ(cron("30,0 8,20 * * *").to_string(), "0,30 8,20 * * *");
    // Elements of every kind mix; duplicates collapse.
    EXPECT_EQ(cron("*/20,5,1-3,50-58/4,5 * * * *").to_string(), "*/20,1-3,5,50,54,58 * * * *");
    EXPECT_EQ(fires("0 8,20 * * *", "2026-11-25T09:00:00Z", 2),
              (std::vector<std::string>{"2026-11-25T20:00:00.000000Z", "2026-11-26T08:00:00.000000Z"}));
}

TEST(CronSyntax, MonthAndWeekdayNamesInAnyCase) {
    EXPECT_EQ(cron("0 0 1 jan,JUL,Dec *").to_string(), "0 0 1 1,7,12 *");
    EXPECT_EQ(cron("0 0 1 feb-apr *"), cron("0 0 1 2-4 *"));
    EXPECT_EQ(cron("0 0 1 jan-dec/3 *"), cron("0 0 1 1,4,7,10 *"));
    EXPECT_EQ(cron("0 9 * * MON-fri").to_string(), "0 9 * * 1-5");
    EXPECT_EQ(cron("0 9 * * sun,Sat"), cron("0 9 * * 0,6"));
    // A range ending on the name sun means the week's end (7).
    EXPECT_EQ(cron("0 9 * * fri-sun").to_string(), "0 9 * * 0,5,6");
    EXPECT_EQ(cron("0 9 * * tue-thu/2"), cron("0 9 * * 2,4"));
}

TEST(CronSyntax, SevenIsSunday) {
    EXPECT_EQ(cron("0 0 * * 7"), cron("0 0 * * 0"));
    EXPECT_EQ(cron("0 0 * * 7"), cron("0 0 * * sun"));
    EXPECT_EQ(cron("0 0 * * 0-7"), cron("0 0 * * 0-6"));
    EXPECT_EQ(cron("0 0 * * 5-7").to_string(), "0 0 * * 0,5,6");
    EXPECT_EQ(cron("0 0 * * 1-7/2"), cron("0 0 * * 0,1,3,5"));
    // 2026-11-25 is a Wednesday; the next Sunday is the 29th.
    EXPECT_EQ(fires("0 0 * * 7", "2026-11-25T12:00:00Z", 2),
              (std::vector<std::string>{"2026-11-29T00:00:00.000000Z", "2026-12-06T00:00:00.000000Z"}));
}

TEST(CronSyntax, Macros) {
    EXPECT_EQ(cron("@yearly").to_string(), "0 0 1 1 *");
    EXPECT_EQ(cron("@annually").to_string(), "0 0 1 1 *");
    EXPECT_EQ(cron("@monthly").to_string(), "0 0 1 * *");
    EXPECT_EQ(cron("@weekly").to_string(), "0 0 * * 0");
    EXPECT_EQ(cron("@daily").to_string(), "0 0 * * *");
    EXPECT_EQ(cron("@midnight").to_string(), "0 0 * * *");
    EXPECT_EQ(cron("@hourly").to_string(), "0 * * * *");
    EXPECT_EQ(cron("  @DAILY\t"), cron("0 0 * * *"));
    EXPECT_EQ(fires("@weekly", "2026-11-25T12:00:00Z", 1), (std::vector<std::string>{"2026-11-29T00:00:00.000000Z"}));
    EXPECT_EQ(fires("@yearly", "2026-11-25T12:00:00Z", 1), (std::vector<std::string>{"2027-01-01T00:00:00.000000Z"}));
}

TEST(CronSyntax, BlanksBetweenFieldsAreFlexible) {
    EXPECT_EQ(cron("  0\t0   * *  *\n"), cron("0 0 * * *"));
}

TEST(CronSyntax, ToStringRoundTrips) {
    for (const char* e : {"*/15 9-17 * * mon-fri", "0 0 */2 * 1", "0 0 13 * 5", "1-31/3,2 * 1-31 * 0-6",
                          "0 0 * * */2,3", "59 23 31 12 *", "@weekly", "5 * * feb *", "0,1,2,3,4,5 * * * *"}) {
        CronSchedule s = cron(e);
        auto again = CronSchedule::parse(s.to_string());
        ASSERT_TRUE(again) << e << " -> " << s.to_string();
        EXPECT_EQ(*again, s) << e << " -> " << s.to_string();
        EXPECT_EQ(again->to_string(), s.to_string());
    }
    // A full day-of-month list is not '*': it keeps the OR rule.
    EXPECT_EQ(cron("0 0 1-31 * 1").to_string(), "0 0 1-31 * 1");
}

// ---- day-of-month vs day-of-week ------------------------------------------

TEST(CronDayRule, BothRestrictedMatchesEither) {
    // The 13th OR any Friday. November 2026: Fridays 6, 13, 20, 27; the
    // 13th is itself a Friday, so December shows the union better.
    EXPECT_EQ(fires("0 0 13 * 5", "2026-11-30T00:00:00Z", 6),
              (std::vector<std::string>{"2026-12-04T00:00:00.000000Z", "2026-12-11T00:00:00.000000Z",
                                        "2026-12-13T00:00:00.000000Z", "2026-12-18T00:00:00.000000Z",
                                        "2026-12-25T00:00:00.000000Z", "2027-01-01T00:00:00.000000Z"}));
    // Names, lists and ranges do not change the rule.
    EXPECT_EQ(fires("0 0 1,15 * sat", "2026-11-25T00:00:00Z", 3),
              (std::vector<std::string>{"2026-11-28T00:00:00.000000Z", "2026-12-01T00:00:00.000000Z",
                                        "2026-12-05T00:00:00.000000Z"}));
}

TEST(CronDayRule, StarInEitherDayFieldMeansBoth) {
    // Only day-of-week restricted: Mondays.
    EXPECT_EQ(fires("0 0 * * 1", "2026-11-25T00:00:00Z", 2),
              (std::vector<std::string>{"2026-11-30T00:00:00.000000Z", "2026-12-07T00:00:00.000000Z"}));
    // Only day-of-month restricted: the 1st.
    EXPECT_EQ(fires("0 0 1 * *", "2026-11-25T00:00:00Z", 2),
              (std::vector<std::string>{"2026-12-01T00:00:00.000000Z", "2027-01-01T00:00:00.000000Z"}));
    // Vixie: "*/2" begins with '*', so the day must be odd AND a Monday.
    // Mondays from 2026-11-30: Nov 30 (even), Dec 7 (odd), 14, 21 (odd).
    EXPECT_EQ(fires("0 0 */2 * 1", "2026-11-25T00:00:00Z", 2),
              (std::vector<std::string>{"2026-12-07T00:00:00.000000Z", "2026-12-21T00:00:00.000000Z"}));
    // Without the '*' the same days form an OR: odd days or Mondays.
    EXPECT_EQ(fires("0 0 1-31/2 * 1", "2026-11-28T00:00:00Z", 3),
              (std::vector<std::string>{"2026-11-29T00:00:00.000000Z", "2026-11-30T00:00:00.000000Z",
                                        "2026-12-01T00:00:00.000000Z"}));
    // A '*'-led day-of-week with a day-of-month: the 13th AND a Friday.
    EXPECT_EQ(fires("0 0 13 * */1", "2026-11-25T00:00:00Z", 1),
              (std::vector<std::string>{"2026-12-13T00:00:00.000000Z"}));
    // Only the first element counts: "*/7,5" (Sunday or Friday) is '*'-led.
    EXPECT_EQ(fires("0 0 13 * */7,5", "2026-11-01T00:00:00Z", 2),
              (std::vector<std::string>{"2026-11-13T00:00:00.000000Z", "2026-12-13T00:00:00.000000Z"}));
}

// ---- calendar edges ---------------------------------------------------------

TEST(CronCalendar, HourDayMonthAndYearRollover) {
    EXPECT_EQ(fires("30 * * * *", "2026-11-25T10:45:00Z", 1), (std::vector<std::string>{"2026-11-25T11:30:00.000000Z"}));
    EXPECT_EQ(fires("15 3 * * *", "2026-11-25T23:59:00Z", 1), (std::vector<std::string>{"2026-11-26T03:15:00.000000Z"}));
    EXPECT_EQ(fires("0 0 1 * *", "2026-01-31T12:00:00Z", 1), (std::vector<std::string>{"2026-02-01T00:00:00.000000Z"}));
    EXPECT_EQ(fires("59 23 31 12 *", "2026-12-31T23:59:00Z", 1),
              (std::vector<std::string>{"2027-12-31T23:59:00.000000Z"}));
    EXPECT_EQ(fires("* * * * *", "2026-12-31T23:59:30Z", 1), (std::vector<std::string>{"2027-01-01T00:00:00.000000Z"}));
    // Months without a 31st are skipped.
    EXPECT_EQ(fires("0 0 31 * *", "2026-01-31T00:00:00Z", 3),
              (std::vector<std::string>{"2026-03-31T00:00:00.000000Z", "2026-05-31T00:00:00.000000Z",
                                        "2026-07-31T00:00:00.000000Z"}));
    EXPECT_EQ(fires("0 12 * nov *", "2026-11-30T12:00:00Z", 1), (std::vector<std::string>{"2027-11-01T12:00:00.000000Z"}));
}

TEST(CronCalendar, LeapDays) {
    EXPECT_EQ(fires("0 0 29 2 *", "2026-01-01T00:00:00Z", 3),
              (std::vector<std::string>{"2028-02-29T00:00:00.000000Z", "2032-02-29T00:00:00.000000Z",
                                        "2036-02-29T00:00:00.000000Z"}));
    EXPECT_EQ(fires("0 0 * feb *", "2028-02-28T00:00:00Z", 2),
              (std::vector<std::string>{"2028-02-29T00:00:00.000000Z", "2029-02-01T00:00:00.000000Z"}));
    EXPECT_EQ(fires("0 0 * feb *", "2027-02-28T00:00:00Z", 1), (std::vector<std::string>{"2028-02-01T00:00:00.000000Z"}));
    // 2000 was a leap year (divisible by 400).
    EXPECT_EQ(fires("0 0 29 2 *", "1997-01-01T00:00:00Z", 1), (std::vector<std::string>{"2000-02-29T00:00:00.000000Z"}));
    // The documented horizon: 2100 is not a leap year, so after 2096 the next
    // Feb 29 is 2104, eight years away, past next_after's five years...
    EXPECT_EQ(text(cron("0 0 29 2 *").next_after(at("2096-03-01T00:00:00Z"))), "none");
    // ...while latest_in (and so due_fire) is exact over any span.
    EXPECT_EQ(text(cron("0 0 29 2 *").latest_in(at("2096-03-01T00:00:00Z"), at("2104-12-31T00:00:00Z"))),
              "2104-02-29T00:00:00.000000Z");
}

TEST(CronCalendar, ImpossibleDatesHaveNoFireTime) {
    for (const char* e : {"0 0 30 2 *", "0 0 31 feb *", "0 0 31 4,6,9,11 *", "* * 30-31 feb *"}) {
        CronSchedule s = cron(e);
        EXPECT_EQ(text(s.next_after(at("2026-11-25T00:00:00Z"))), "none") << e;
        EXPECT_EQ(text(s.latest_in(at("0001-01-01T00:00:00Z"), at("9999-12-31T00:00:00Z"))), "none") << e;
        EXPECT_EQ(text(due_fire(s, std::nullopt, at("2000-01-01T00:00:00Z"), at("2026-11-25T00:00:00Z"))), "none");
    }
    // The same day-of-month with an OR'd weekday is possible again.
    EXPECT_EQ(fires("0 0 30 2 mon", "2026-11-25T00:00:00Z", 1), (std::vector<std::string>{"2027-02-01T00:00:00.000000Z"}));
}

TEST(CronCalendar, ExtremeInstantsAreSafe) {
    CronSchedule s = cron("* * * * *");
    EXPECT_EQ(text(s.next_after(from_micros(INT64_MAX))), "none");
    EXPECT_EQ(text(s.next_after(at("9999-12-31T23:59:00Z"))), "none");
    EXPECT_EQ(text(s.next_after(at("9999-12-31T23:58:00Z"))), "9999-12-31T23:59:00.000000Z");
    EXPECT_EQ(text(s.next_after(from_micros(INT64_MIN))), "0001-01-01T00:00:00.000000Z");
    EXPECT_EQ(text(s.latest_in(from_micros(INT64_MIN), from_micros(INT64_MAX))), "9999-12-31T23:59:00.000000Z");
    EXPECT_EQ(text(s.latest_in(from_micros(INT64_MIN), from_micros(INT64_MIN + 1))), "none");
    EXPECT_EQ(text(due_fire(s, from_micros(INT64_MAX), from_micros(INT64_MIN), from_micros(INT64_MAX))), "none");
}

// ---- errors -----------------------------------------------------------------

TEST(CronErrors, WholeExpression) {
    EXPECT_EQ(error_of(""), "cron: empty expression");
    EXPECT_EQ(error_of(" \t\n"), "cron: empty expression");
    EXPECT_EQ(error_of("* * * *"), "cron: expected 5 fields (minute hour day-of-month month day-of-week), got 4");
    EXPECT_EQ(error_of("0 * * * * *"), "cron: expected 5 fields (minute hour day-of-month month day-of-week), got 6");
    EXPECT_EQ(error_of("@reboot"),
              "cron: unknown macro '@reboot' (use @yearly, @annually, @monthly, @weekly, @daily, @midnight or @hourly)");
    EXPECT_EQ(error_of("@"),
              "cron: unknown macro '@' (use @yearly, @annually, @monthly, @weekly, @daily, @midnight or @hourly)");
    EXPECT_EQ(error_of("@daily 5"), "cron: @daily takes no fields, got '5'");
    EXPECT_EQ(error_of("@Hourly * * * * *"), "cron: @hourly takes no fields, got '*'");
}

TEST(CronErrors, OutOfRangeNamesTheFieldAndTheRange) {
    EXPECT_EQ(error_of("61 * * * *"), "cron: minute field: 61 is out of range 0-59");
    EXPECT_EQ(error_of("60 * * * *"), "cron: minute field: 60 is out of range 0-59");
    EXPECT_EQ(error_of("* 24 * * *"), "cron: hour field: 24 is out of range 0-23");
    EXPECT_EQ(error_of("* * 0 * *"), "cron: day-of-month field: 0 is out of range 1-31");
    EXPECT_EQ(error_of("* * 32 * *"), "cron: day-of-month field: 32 is out of range 1-31");
    EXPECT_EQ(error_of("* * * 0 *"), "cron: month field: 0 is out of range 1-12");
    EXPECT_EQ(error_of("* * * 13 *"), "cron: month field: 13 is out of range 1-12");
    EXPECT_EQ(error_of("* * * * 8"), "cron: day-of-week field: 8 is out of range 0-7");
    EXPECT_EQ(error_of("1-99 * * * *"), "cron: minute field: 99 is out of range 0-59");
    EXPECT_EQ(error_of("99999999999999999999 * * * *"), "cron: minute field: 99999999999999999999 is out of range 0-59");
    EXPECT_EQ(error_of("0000000061 * * * *"), "cron: minute field: 0000000061 is out of range 0-59");
}

TEST(CronErrors, DetailsCarryTheFieldName) {
    const char* exprs[] = {"x * * * *", "* x * * *", "* * x * *", "* * * x *", "* * * * x"};
    const char* names[] = {"minute", "hour", "day-of-month", "month", "day-of-week"};
    for (int i = 0; i < 5; ++i) {
        auto s = CronSchedule::parse(exprs[i]);
        ASSERT_FALSE(s);
        EXPECT_EQ(s.error().code, ErrorCode::invalid_argument);
        EXPECT_EQ(s.error().details, names[i]);
        EXPECT_EQ(s.error().message.rfind(std::string("cron: ") + names[i] + " field: ", 0), 0u) << s.error().message;
    }
}

TEST(CronErrors, BadValuesAndNames) {
    EXPECT_EQ(error_of("x * * * *"), "cron: minute field: 'x' is not a number");
    EXPECT_EQ(error_of("5x * * * *"), "cron: minute field: '5x' is not a number");
    EXPECT_EQ(error_of("jan * * * *"), "cron: minute field: 'jan' is not a number");
    EXPECT_EQ(error_of("* * mon * *"), "cron: day-of-month field: 'mon' is not a number");
    EXPECT_EQ(error_of("* * * foo *"), "cron: month field: unknown name 'foo' (use 1-12 or jan-dec)");
    EXPECT_EQ(error_of("* * * january *"), "cron: month field: unknown name 'january' (use 1-12 or jan-dec)");
    EXPECT_EQ(error_of("* * * * funday"), "cron: day-of-week field: unknown name 'funday' (use 0-7 or sun-sat)");
    EXPECT_EQ(error_of("* * * * mon1"), "cron: day-of-week field: unknown name 'mon1' (use 0-7 or sun-sat)");
}

TEST(CronErrors, BadSyntax) {
    EXPECT_EQ(error_of("1,,2 * * * *"), "cron: minute field: empty list element (stray ',')");
    EXPECT_EQ(error_of("1, * * * *"), "cron: minute field: empty list element (stray ',')");
    EXPECT_EQ(error_of(",1 * * * *"), "cron: minute field: empty list element (stray ',')");
    EXPECT_EQ(error_of("*5 * * * *"), "cron: minute field: unexpected '5' after '*' in '*5'");
    EXPECT_EQ(error_of("*-5 * * * *"), "cron: minute field: unexpected '-' after '*' in '*-5'");
    EXPECT_EQ(error_of("-5 * * * *"), "cron: minute field: unexpected '-' in '-5'");
    EXPECT_EQ(error_of("1-2-3 * * * *"), "cron: minute field: unexpected '-' in '1-2-3'");
    EXPECT_EQ(error_of("? * * * *"), "cron: minute field: unexpected '?' in '?'");
    EXPECT_EQ(error_of("L * * * *"), "cron: minute field: 'L' is not a number");
    EXPECT_EQ(error_of("10- * * * *"), "cron: minute field: range '10-' is missing its end");
    EXPECT_EQ(error_of("10-/5 * * * *"), "cron: minute field: range '10-/5' is missing its end");
    EXPECT_EQ(error_of("30-10 * * * *"), "cron: minute field: range '30-10' is reversed (30 > 10)");
    EXPECT_EQ(error_of("* * * * sat-mon"), "cron: day-of-week field: range 'sat-mon' is reversed (6 > 1)");
    EXPECT_EQ(error_of("* * * dec-jan *"), "cron: month field: range 'dec-jan' is reversed (12 > 1)");
}

TEST(CronErrors, BadSteps) {
    EXPECT_EQ(error_of("*/ * * * *"), "cron: minute field: step after '/' is missing");
    EXPECT_EQ(error_of("*/x * * * *"), "cron: minute field: step 'x' is not a number");
    EXPECT_EQ(error_of("1-5/2/3 * * * *"), "cron: minute field: step '2/3' is not a number");
    EXPECT_EQ(error_of("*/0 * * * *"), "cron: minute field: step 0 is out of range 1-60");
    EXPECT_EQ(error_of("*/61 * * * *"), "cron: minute field: step 61 is out of range 1-60");
    EXPECT_EQ(error_of("* */25 * * *"), "cron: hour field: step 25 is out of range 1-24");
    EXPECT_EQ(error_of("* * */32 * *"), "cron: day-of-month field: step 32 is out of range 1-31");
    EXPECT_EQ(error_of("* * * */13 *"), "cron: month field: step 13 is out of range 1-12");
    EXPECT_EQ(error_of("* * * * */8"), "cron: day-of-week field: step 8 is out of range 1-7");
    EXPECT_EQ(error_of("*/99999999999 * * * *"), "cron: minute field: step 99999999999 is out of range 1-60");
    EXPECT_EQ(error_of("5/15 * * * *"),
              "cron: minute field: step needs '*' or a range before it in '5/15' (write a-b/n or */n)");
    EXPECT_EQ(error_of("* * * jan/2 *"),
              "cron: month field: step needs '*' or a range before it in 'jan/2' (write a-b/n or */n)");
}

TEST(CronErrors, QuotedInputIsShortAndPrintable) {
    EXPECT_EQ(error_of(std::string("\x01 * * * *")), "cron: minute field: unexpected '?' in '?'");
    EXPECT_EQ(error_of(std::string("1\xff * * * *")), "cron: minute field: unexpected '?' in '1?'");
    EXPECT_EQ(error_of(std::string(40, 'a') + " * * * *"),
              "cron: minute field: '" + std::string(32, 'a') + "...' is not a number");
}

// ---- missed runs fire once --------------------------------------------------

TEST(CronDueFire, LongDowntimeFiresOnceForTheLatestTime) {
    CronSchedule hourly = cron("0 * * * *");
    Timestamp created = at("2026-01-01T00:00:30Z");
    Timestamp last = at("2026-01-01T05:00:00Z");
    // Down from 05:xx on Jan 1 until Mar 10 17:42: ~1600 missed hours.
    Timestamp now = at("2026-03-10T17:42:13Z");
    auto due = due_fire(hourly, last, created, now);
    EXPECT_EQ(text(due), "2026-03-10T17:00:00.000000Z");
    // Recording that fire leaves nothing else due: the older ones are dropped.
    EXPECT_EQ(text(due_fire(hourly, *due, created, now)), "none");
    // The next one is due at the next period.
    EXPECT_EQ(text(due_fire(hourly, *due, created, at("2026-03-10T18:00:00Z"))), "2026-03-10T18:00:00.000000Z");
}

TEST(CronDueFire, ASchedulerLoopFiresOncePerPeriodAndOnceAfterDowntime) {
    CronSchedule every5 = cron("*/5 * * * *");
    Timestamp created = at("2026-11-25T00:00:00Z");
    std::optional<Timestamp> last;
    int fired = 0;
    auto poll = [&](Timestamp now) {
        if (auto due = due_fire(every5, last, created, now)) {
            last = due;
            ++fired;
        }
    };
    // Polling every 20 s for an hour: 12 periods, 12 fires.
    Timestamp now = created;
    for (int i = 0; i < 180; ++i) poll(now += 20s);
    EXPECT_EQ(fired, 12);
    EXPECT_EQ(text(last), "2026-11-25T01:00:00.000000Z");
    // Down for three days, then polling resumes: one catch-up fire.
    now += 72h;
    poll(now);
    EXPECT_EQ(fired, 13);
    EXPECT_EQ(text(last), "2026-11-28T01:00:00.000000Z");
    poll(now + 20s);
    EXPECT_EQ(fired, 13);
}

TEST(CronDueFire, NeverFiredCountsFromCreation) {
    CronSchedule daily = cron("@daily");
    // Created mid-day: the midnight before creation is not due.
    Timestamp created = at("2026-11-25T10:00:00Z");
    EXPECT_EQ(text(due_fire(daily, std::nullopt, created, at("2026-11-25T23:59:59Z"))), "none");
    EXPECT_EQ(text(due_fire(daily, std::nullopt, created, at("2026-11-26T00:00:00Z"))), "2026-11-26T00:00:00.000000Z");
    EXPECT_EQ(text(due_fire(daily, std::nullopt, created, at("2026-12-30T08:00:00Z"))), "2026-12-30T00:00:00.000000Z");
    // Created exactly on a fire time: that time is not due (the interval is
    // open at its start), as for last_fired.
    Timestamp midnight = at("2026-11-25T00:00:00Z");
    EXPECT_EQ(text(due_fire(daily, std::nullopt, midnight, midnight + 1h)), "none");
    EXPECT_EQ(text(due_fire(daily, midnight, at("2020-01-01T00:00:00Z"), midnight + 23h)), "none");
    // last_fired wins over created_at when present.
    EXPECT_EQ(text(due_fire(daily, midnight, at("2026-11-25T12:00:00Z"), at("2026-11-26T00:00:00Z"))),
              "2026-11-26T00:00:00.000000Z");
}

TEST(CronDueFire, ClockBehindTheStartMeansNothingDue) {
    CronSchedule s = cron("* * * * *");
    Timestamp last = at("2026-11-25T10:00:00Z");
    EXPECT_EQ(text(due_fire(s, last, last, last - 1h)), "none");
    EXPECT_EQ(text(due_fire(s, last, last, last)), "none");
}

TEST(CronDueFire, DowntimeLongerThanTheForwardHorizonIsStillExact) {
    CronSchedule leap = cron("0 0 29 2 *");
    EXPECT_EQ(text(due_fire(leap, at("2096-02-29T00:00:00Z"), at("2090-01-01T00:00:00Z"), at("2104-03-01T00:00:00Z"))),
              "2104-02-29T00:00:00.000000Z");
    EXPECT_EQ(text(due_fire(leap, at("2096-02-29T00:00:00Z"), at("2090-01-01T00:00:00Z"), at("2104-02-28T00:00:00Z"))),
              "none");
    // Centuries of downtime: still one fire, the latest.
    EXPECT_EQ(text(due_fire(cron("@yearly"), std::nullopt, at("1000-06-01T00:00:00Z"), at("2026-11-25T00:00:00Z"))),
              "2026-01-01T00:00:00.000000Z");
}

// ---- random input -------------------------------------------------------------

TEST(CronRandomInput, NeverCrashesAndRoundTrips) {
    std::mt19937_64 rng(20261125);
    const std::string alphabet = "0123456789*/-,@ \tabcdefjlmnorstuvyADFJMNOSTW?L#";
    const char* seeds[] = {"*/15 9-17 * * mon-fri", "0 0 29 2 *", "5 4 3 2 1", "@daily", "1-59/7 */3 1,15 jan-jun/2 7"};
    auto uniform = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
    int parsed = 0;
    for (int i = 0; i < 50000; ++i) {
        std::string expr;
        switch (uniform(0, 3)) {
            case 3: {  // five fields built from the grammar, now and then out of range or reversed
                static const int lo[] = {0, 0, 1, 1, 0}, hi[] = {59, 23, 31, 12, 7};
                static const char* month_names[] = {"jan", "Feb", "MAR", "jun", "dec"};
                static const char* day_names[] = {"sun", "MON", "tue", "Fri", "sat"};
                for (int f = 0; f < 5; ++f) {
                    auto number = [&] { return uniform(0, 19) == 0 ? uniform(0, 99) : uniform(lo[f], hi[f]); };
                    auto spell = [&](int v) -> std::string {
                        if (f == 3 && uniform(0, 4) == 0) return month_names[uniform(0, 4)];
                        if (f == 4 && uniform(0, 4) == 0) return day_names[uniform(0, 4)];
                        return std::to_string(v);
                    };
                    auto range = [&] {
                        int a = number(), b = number();
                        if (a > b && uniform(0, 9) != 0) std::swap(a, b);
                        return spell(a) + "-" + spell(b);
                    };
                    if (f) expr += ' ';
                    for (int e = uniform(1, 3); e > 0; --e) {
                        switch (uniform(0, 4)) {
                            case 0: expr += "*"; break;
                            case 1: expr += "*/" + std::to_string(uniform(1, 8)); break;
                            case 2: expr += spell(number()); break;
                            case 3: expr += range(); break;
                            default: expr += range() + "/" + std::to_string(uniform(1, 8));
                        }
                        if (e > 1) expr += ',';
                    }
                }
                break;
            }
            case 0: {  // characters that cron cares about
                int n = uniform(0, 30);
                for (int k = 0; k < n; ++k) expr += alphabet[static_cast<std::size_t>(uniform(0, int(alphabet.size()) - 1))];
                break;
            }
            case 1: {  // any bytes
                int n = uniform(0, 20);
                for (int k = 0; k < n; ++k) expr += static_cast<char>(uniform(0, 255));
                break;
            }
            default: {  // a valid expression with a few edits
                expr = seeds[uniform(0, 4)];
                for (int k = uniform(1, 3); k > 0; --k) {
                    auto pos = static_cast<std::size_t>(uniform(0, int(expr.size())));
                    char c = alphabet[static_cast<std::size_t>(uniform(0, int(alphabet.size()) - 1))];
                    if (uniform(0, 1) == 0 && pos < expr.size()) expr.erase(pos, 1);
                    else expr.insert(pos, 1, c);
                }
            }
        }
        auto s = CronSchedule::parse(expr);
        if (!s) {
            EXPECT_EQ(s.error().code, ErrorCode::invalid_argument);
            EXPECT_EQ(s.error().message.rfind("cron: ", 0), 0u) << s.error().message;
            continue;
        }
        ++parsed;
        auto again = CronSchedule::parse(s->to_string());
        ASSERT_TRUE(again) << expr << " -> " << s->to_string();
        EXPECT_EQ(*again, *s) << expr;
        Timestamp t = from_micros(std::uniform_int_distribution<std::int64_t>(-70'000'000'000'000'000,
                                                                              260'000'000'000'000'000)(rng));
        auto next = s->next_after(t);
        if (next) {
            EXPECT_GT(*next, t);
            // The search directions agree: nothing in (t, next), next itself.
            EXPECT_EQ(text(s->latest_in(t, *next)), text(next)) << expr;
            EXPECT_EQ(text(s->latest_in(t, *next - Duration{1})), "none") << expr;
        }
    }
    EXPECT_GT(parsed, 4000);  // the run exercised the search, not only errors
}

}  // namespace
}  // namespace gramkit::jobs
