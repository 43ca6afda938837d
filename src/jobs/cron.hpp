// Cron schedules for periodic jobs (issue 6): parsing a 5-field cron
// expression and computing fire times, all in UTC.
//
// Supported syntax (docs/jobs.md, "Schedules and retry backoff"):
//   minute hour day-of-month month day-of-week
//   each field a comma list of elements: `*`, `*/n`, `a`, `a-b`, `a-b/n`;
//   month names jan..dec and weekday names sun..sat (any case); in
//   day-of-week 7 means Sunday as well as 0; the macros @yearly/@annually,
//   @monthly, @weekly, @daily/@midnight and @hourly.
//
// Day-of-month vs day-of-week follows Vixie cron: when the day-of-month or
// the day-of-week field begins with `*` (including `*/n`) a day must match
// both fields; otherwise (both restricted) a day matches when EITHER does.
//
// Thread-safety: CronSchedule is an immutable value; share it freely.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "gramkit/clock.hpp"
#include "gramkit/error.hpp"

namespace gramkit::jobs {

class CronSchedule {
public:
    /// How far `next_after` looks ahead: five years plus a leap day.
    static constexpr int kSearchDays = 5 * 365 + 2;

    /// Parses an expression (leading/trailing/repeated blanks are fine).
    /// Errors: invalid_argument, "cron: <field> field: <problem>" with
    /// `details` = the field name ("minute", "hour", "day-of-month", "month",
    /// "day-of-week"), or "cron: ..." for whole-expression problems (wrong
    /// field count, unknown macro). Any input is safe to pass.
    static Result<CronSchedule> parse(std::string_view expression);

    /// The first fire time strictly after `t`, or nullopt when there is none
    /// within kSearchDays (an impossible date such as Feb 30, or a Feb 29
    /// schedule across the non-leap year 2100). Fire times are whole
    /// minutes. Years outside 0001..9999 are outside the supported range and
    /// yield nullopt.
    std::optional<Timestamp> next_after(Timestamp t) const;

    /// The latest fire time f with `after` < f <= `until`, or nullopt. Exact
    /// over any span: the Gregorian calendar (weekdays included) repeats
    /// every 400 years, so at most 400 years before `until` are searched.
    std::optional<Timestamp> latest_in(Timestamp after, Timestamp until) const;

    /// Canonical numeric form: macros expanded, names replaced by numbers,
    /// full minute/hour/month fields as `*` (a full day field without a
    /// leading `*` stays a list: it keeps the OR rule), a leading `*/n`
    /// element kept (it decides the day rule too), other values as ascending lists with
    /// runs of three or more written `a-b`; Sunday is 0. Parsing the result
    /// gives an equal schedule.
    std::string to_string() const;

    /// Same fire times field by field (sets and the Vixie `*` flags).
    friend bool operator==(const CronSchedule& a, const CronSchedule& b) noexcept {
        return a.minutes_ == b.minutes_ && a.hours_ == b.hours_ && a.days_ == b.days_ &&
               a.months_ == b.months_ && a.weekdays_ == b.weekdays_ && a.dom_star_ == b.dom_star_ &&
               a.dow_star_ == b.dow_star_;
    }

private:
    CronSchedule() = default;

    // One bit per allowed value: minute 0..59, hour 0..23, day 1..31,
    // month 1..12, weekday 0..6 (0 = Sunday).
    std::uint64_t minutes_ = 0;
    std::uint32_t hours_ = 0;
    std::uint32_t days_ = 0;
    std::uint16_t months_ = 0;
    std::uint8_t weekdays_ = 0;
    // Vixie's "field begins with *" flags, which select AND vs OR.
    bool dom_star_ = false;
    bool dow_star_ = false;
    // Step of each field's leading `*` element (0 = none), kept only so
    // to_string can write `*/n` back; not part of equality.
    std::uint8_t star_step_[5] = {0, 0, 0, 0, 0};

    friend struct CronParser;
    friend struct CronSearch;
};

/// "Missed runs after downtime fire once": the single most recent fire time
/// in (last_fired, now], or in (created_at, now] when the schedule never
/// fired. A scheduler that was down for N periods calls this once, runs the
/// job once for the returned time and records it as `last_fired`; the N-1
/// older missed times are deliberately dropped (never queued as a burst).
/// nullopt when nothing is due (including `now` not after the start, e.g. a
/// clock that moved backwards).
std::optional<Timestamp> due_fire(const CronSchedule& schedule, std::optional<Timestamp> last_fired,
                                  Timestamp created_at, Timestamp now);

}  // namespace gramkit::jobs
