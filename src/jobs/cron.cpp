// Cron parsing and fire-time search. See cron.hpp for the contract.
#include "jobs/cron.hpp"

#include <algorithm>
#include <bit>
#include <chrono>
#include <vector>

namespace gramkit::jobs {

namespace {

using namespace std::chrono;

enum Field : int { kMinute = 0, kHour, kDayOfMonth, kMonth, kDayOfWeek };

struct FieldSpec {
    const char* name;
    int min;
    int max;                      // largest value accepted in the text
    const char* const* names;     // index = value - names_base; nullptr when none
    int names_base;
    int name_count;
    const char* name_hint;        // for "unknown name" messages
};

constexpr const char* kMonthNames[] = {"jan", "feb", "mar", "apr", "may", "jun",
                                       "jul", "aug", "sep", "oct", "nov", "dec"};
constexpr const char* kWeekdayNames[] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};

// Day-of-week accepts 0..7 because 7 is a common spelling of Sunday.
constexpr FieldSpec kSpecs[5] = {
    {"minute", 0, 59, nullptr, 0, 0, nullptr},
    {"hour", 0, 23, nullptr, 0, 0, nullptr},
    {"day-of-month", 1, 31, nullptr, 0, 0, nullptr},
    {"month", 1, 12, kMonthNames, 1, 12, "jan-dec"},
    {"day-of-week", 0, 7, kWeekdayNames, 0, 7, "sun-sat"},
};

bool is_blank(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

// User text goes into messages: keep it short and printable so a hostile or
// binary expression cannot garble logs.
std::string shown(std::string_view text) {
    constexpr std::size_t kMax = 32;
    std::string out;
    for (std::size_t i = 0; i < text.size() && i < kMax; ++i) {
        char c = text[i];
        out += (c >= 0x20 && c < 0x7f) ? c : '?';
    }
    if (text.size() > kMax) out += "...";
    return out;
}
std::string quoted(std::string_view text) { return "'" + shown(text) + "'"; }

bool iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (lower(a[i]) != lower(b[i])) return false;
    return true;
}

std::vector<std::string_view> split_blanks(std::string_view s) {
    std::vector<std::string_view> out;
    std::size_t i = 0;
    while (i < s.size()) {
        while (i < s.size() && is_blank(s[i])) ++i;
        std::size_t start = i;
        while (i < s.size() && !is_blank(s[i])) ++i;
        if (i > start) out.push_back(s.substr(start, i - start));
    }
    return out;
}

// --- search helpers -------------------------------------------------------

// Lowest set bit >= from (64 = none).
int bit_at_or_after(std::uint64_t set, int from) {
    if (from > 63) return 64;
    std::uint64_t masked = set & (~std::uint64_t{0} << from);
    return masked ? std::countr_zero(masked) : 64;
}

// Highest set bit <= upto (-1 = none).
int bit_at_or_before(std::uint64_t set, int upto) {
    if (upto < 0) return -1;
    std::uint64_t masked = upto >= 63 ? set : set & ((std::uint64_t{1} << (upto + 1)) - 1);
    return masked ? 63 - std::countl_zero(masked) : -1;
}

// The supported range is what year_month_day converts exactly and what
// RFC 3339 can print; it also keeps every chrono sum far from overflow.
constexpr sys_days kFirstDay = sys_days{year{1} / January / 1};
constexpr sys_days kLastDay = sys_days{year{9999} / December / 31};
constexpr Timestamp kFirstInstant = Timestamp{kFirstDay};
constexpr Timestamp kLastInstant = Timestamp{kLastDay} + hours{23} + minutes{59};

// 400 Gregorian years are exactly 146097 days = 20871 weeks, so the whole
// calendar, weekdays included, repeats with that period.
constexpr int kGregorianCycleDays = 146097;

}  // namespace

// --- parsing ----------------------------------------------------------------

struct CronParser {
    const FieldSpec& spec;
    std::uint64_t bits = 0;
    bool star = false;      // the field's first element begins with '*'
    int star_step = 0;      // step of that leading '*' element

    std::unexpected<Error> error(const std::string& problem) const {
        return fail(ErrorCode::invalid_argument, std::string("cron: ") + spec.name + " field: " + problem,
                    spec.name);
    }

    std::string range_text() const { return std::to_string(spec.min) + "-" + std::to_string(spec.max); }

    // A number or (where the field has them) a name; `text` is a non-empty
    // run of letters and digits.
    Result<int> value(std::string_view text) const {
        if (is_digit(text.front())) {
            for (char c : text)
                if (!is_digit(c)) return error(quoted(text) + " is not a number");
            // More than 9 digits cannot be in range; checking length first
            // keeps the accumulation below from overflowing.
            std::size_t first = text.find_first_not_of('0');
            std::string_view significant = first == std::string_view::npos ? "0" : text.substr(first);
            int v = spec.max + 1;
            if (significant.size() <= 9) {
                v = 0;
                for (char c : significant) v = v * 10 + (c - '0');
            }
            if (v < spec.min || v > spec.max)
                return error(shown(text) + " is out of range " + range_text());
            return v;
        }
        if (spec.names != nullptr) {
            for (int i = 0; i < spec.name_count; ++i)
                if (iequals(text, spec.names[i])) return spec.names_base + i;
            return error("unknown name " + quoted(text) + " (use " + range_text() + " or " + spec.name_hint + ")");
        }
        return error(quoted(text) + " is not a number");
    }

    Result<int> step(std::string_view text) const {
        int span = spec.max - spec.min + 1;
        if (spec.names == kWeekdayNames) span = 7;  // 0 and 7 are the same day
        if (text.empty()) return error("step after '/' is missing");
        for (char c : text)
            if (!is_digit(c)) return error("step " + quoted(text) + " is not a number");
        std::size_t first = text.find_first_not_of('0');
        std::string_view significant = first == std::string_view::npos ? "0" : text.substr(first);
        int v = span + 1;
        if (significant.size() <= 9) {
            v = 0;
            for (char c : significant) v = v * 10 + (c - '0');
        }
        if (v < 1 || v > span)
            return error("step " + shown(text) + " is out of range 1-" +
                         std::to_string(span));
        return v;
    }

    void set_range(int lo, int hi, int by) {
        for (int v = lo; v <= hi; v += by) {
            // Day-of-week 7 is Sunday (bit 0).
            int bit = (spec.names == kWeekdayNames && v == 7) ? 0 : v;
            bits |= std::uint64_t{1} << bit;
        }
    }

    // One list element: `*`, `*/n`, `a`, `a-b`, `a-b/n`.
    Status element(std::string_view text, bool first_element) {
        if (text.empty()) return error("empty list element (stray ',')");
        if (text.front() == '*') {
            int by = 1;
            std::string_view rest = text.substr(1);
            if (!rest.empty()) {
                if (rest.front() != '/')
                    return error("unexpected " + quoted(rest.substr(0, 1)) + " after '*' in " + quoted(text));
                GK_ASSIGN_OR_RETURN(by, step(rest.substr(1)));
            }
            set_range(spec.min, spec.names == kWeekdayNames ? 6 : spec.max, by);
            if (first_element) {
                star = true;
                star_step = by;
            }
            return {};
        }
        // a[-b][/n]
        auto token_end = [&](std::size_t from) {
            std::size_t i = from;
            while (i < text.size() && (is_digit(text[i]) || is_alpha(text[i]))) ++i;
            return i;
        };
        std::size_t a_end = token_end(0);
        if (a_end == 0) return error("unexpected " + quoted(text.substr(0, 1)) + " in " + quoted(text));
        GK_ASSIGN_OR_RETURN(int lo, value(text.substr(0, a_end)));
        std::size_t pos = a_end;
        int hi = lo;
        bool ranged = false;
        if (pos < text.size() && text[pos] == '-') {
            std::size_t b_end = token_end(pos + 1);
            if (b_end == pos + 1) return error("range " + quoted(text) + " is missing its end");
            std::string_view b_text = text.substr(pos + 1, b_end - pos - 1);
            GK_ASSIGN_OR_RETURN(hi, value(b_text));
            // "fri-sun": a range that ends on the name sun means 7, so it
            // reads as the week's end rather than an error.
            if (spec.names == kWeekdayNames && hi == 0 && lo > 0 && iequals(b_text, "sun")) hi = 7;
            if (lo > hi)
                return error("range " + quoted(text.substr(0, b_end)) + " is reversed (" + std::to_string(lo) + " > " +
                             std::to_string(hi) + ")");
            pos = b_end;
            ranged = true;
        }
        int by = 1;
        if (pos < text.size() && text[pos] == '/') {
            // Vixie reads "5/15" as just 5, other crons as 5-59/15; refuse to
            // guess.
            if (!ranged)
                return error("step needs '*' or a range before it in " + quoted(text) + " (write a-b/n or */n)");
            GK_ASSIGN_OR_RETURN(by, step(text.substr(pos + 1)));
            pos = text.size();
        }
        if (pos < text.size())
            return error("unexpected " + quoted(text.substr(pos, 1)) + " in " + quoted(text));
        set_range(lo, hi, by);
        return {};
    }

    Status field(std::string_view text) {
        std::size_t start = 0;
        bool first = true;
        while (true) {
            std::size_t comma = text.find(',', start);
            std::string_view part = text.substr(start, comma == std::string_view::npos ? std::string_view::npos
                                                                                        : comma - start);
            GK_TRY(element(part, first));
            first = false;
            if (comma == std::string_view::npos) break;
            start = comma + 1;
        }
        return {};
    }
};

Result<CronSchedule> CronSchedule::parse(std::string_view expression) {
    std::vector<std::string_view> fields = split_blanks(expression);
    if (fields.empty()) return fail(ErrorCode::invalid_argument, "cron: empty expression");

    if (fields.front().front() == '@') {
        static constexpr struct {
            const char* name;
            const char* expansion;
        } kMacros[] = {
            {"@yearly", "0 0 1 1 *"}, {"@annually", "0 0 1 1 *"}, {"@monthly", "0 0 1 * *"},
            {"@weekly", "0 0 * * 0"}, {"@daily", "0 0 * * *"},    {"@midnight", "0 0 * * *"},
            {"@hourly", "0 * * * *"},
        };
        for (const auto& m : kMacros) {
            if (!iequals(fields.front(), m.name)) continue;
            if (fields.size() > 1)
                return fail(ErrorCode::invalid_argument,
                            "cron: " + std::string(m.name) + " takes no fields, got " + quoted(fields[1]));
            return parse(m.expansion);
        }
        return fail(ErrorCode::invalid_argument,
                    "cron: unknown macro " + quoted(fields.front()) +
                        " (use @yearly, @annually, @monthly, @weekly, @daily, @midnight or @hourly)");
    }

    if (fields.size() != 5)
        return fail(ErrorCode::invalid_argument,
                    "cron: expected 5 fields (minute hour day-of-month month day-of-week), got " +
                        std::to_string(fields.size()));

    CronSchedule s;
    for (int f = 0; f < 5; ++f) {
        CronParser p{kSpecs[f]};
        GK_TRY(p.field(fields[static_cast<std::size_t>(f)]));
        s.star_step_[f] = static_cast<std::uint8_t>(p.star ? p.star_step : 0);
        switch (f) {
            case kMinute: s.minutes_ = p.bits; break;
            case kHour: s.hours_ = static_cast<std::uint32_t>(p.bits); break;
            case kDayOfMonth:
                s.days_ = static_cast<std::uint32_t>(p.bits);
                s.dom_star_ = p.star;
                break;
            case kMonth: s.months_ = static_cast<std::uint16_t>(p.bits); break;
            case kDayOfWeek:
                s.weekdays_ = static_cast<std::uint8_t>(p.bits);
                s.dow_star_ = p.star;
                break;
        }
    }
    return s;
}

// --- to_string --------------------------------------------------------------

namespace {

std::string render_field(std::uint64_t bits, int lo, int hi, int star_step) {
    std::string out;
    std::uint64_t rest = bits;
    if (star_step > 0) {
        out = star_step == 1 ? "*" : "*/" + std::to_string(star_step);
        for (int v = lo; v <= hi; v += star_step) rest &= ~(std::uint64_t{1} << v);
    }
    int v = lo;
    while (v <= hi) {
        if (!(rest >> v & 1)) {
            ++v;
            continue;
        }
        int end = v;
        while (end + 1 <= hi && (rest >> (end + 1) & 1)) ++end;
        auto add = [&](const std::string& piece) {
            if (!out.empty()) out += ',';
            out += piece;
        };
        if (end - v >= 2) {
            add(std::to_string(v) + "-" + std::to_string(end));
        } else {
            for (int x = v; x <= end; ++x) add(std::to_string(x));
        }
        v = end + 1;
    }
    return out;
}

}  // namespace

std::string CronSchedule::to_string() const {
    // A full field without a leading '*' (e.g. "0-59") is written '*' only
    // where that cannot change the day rule, i.e. outside the two day fields.
    auto field = [&](std::uint64_t bits, int f, int lo, int hi) {
        std::uint64_t full = 0;
        for (int v = lo; v <= hi; ++v) full |= std::uint64_t{1} << v;
        int step = star_step_[f];
        if (step == 0 && bits == full && f != kDayOfMonth && f != kDayOfWeek) step = 1;
        return render_field(bits, lo, hi, step);
    };
    return field(minutes_, kMinute, 0, 59) + " " + field(hours_, kHour, 0, 23) + " " +
           field(days_, kDayOfMonth, 1, 31) + " " + field(months_, kMonth, 1, 12) + " " +
           field(weekdays_, kDayOfWeek, 0, 6);
}

// --- search -----------------------------------------------------------------

struct CronSearch {
    const CronSchedule& s;

    bool month_ok(const year_month_day& ymd) const { return s.months_ >> unsigned(ymd.month()) & 1; }

    bool day_ok(sys_days day, const year_month_day& ymd) const {
        bool dom = s.days_ >> unsigned(ymd.day()) & 1;
        bool dow = s.weekdays_ >> weekday{day}.c_encoding() & 1;
        // Vixie: a '*'-led day field means "the other one decides".
        if (s.dom_star_ || s.dow_star_) return dom && dow;
        return dom || dow;
    }

    // First (hour, minute) >= (h0, m0) on a matching day, as minutes of day.
    std::optional<int> first_time(int h0, int m0) const {
        for (int h = bit_at_or_after(s.hours_, h0); h < 24; h = bit_at_or_after(s.hours_, h + 1)) {
            int m = bit_at_or_after(s.minutes_, h == h0 ? m0 : 0);
            if (m < 60) return h * 60 + m;
        }
        return std::nullopt;
    }

    // Last (hour, minute) <= (h0, m0), as minutes of day.
    std::optional<int> last_time(int h0, int m0) const {
        for (int h = bit_at_or_before(s.hours_, h0); h >= 0; h = bit_at_or_before(s.hours_, h - 1)) {
            int m = bit_at_or_before(s.minutes_, h == h0 ? m0 : 59);
            if (m >= 0) return h * 60 + m;
        }
        return std::nullopt;
    }

    // Earliest fire >= `from` (a whole minute) on a day <= `last`.
    std::optional<Timestamp> forward(Timestamp from, sys_days last) const {
        sys_days day = floor<days>(from);
        auto since_midnight = duration_cast<minutes>(from - day);
        int h0 = static_cast<int>(since_midnight.count() / 60);
        int m0 = static_cast<int>(since_midnight.count() % 60);
        while (day <= last) {
            year_month_day ymd{day};
            if (!month_ok(ymd)) {
                // Skip the whole month: no day in it can match.
                day = sys_days{year_month_day{ymd.year() / ymd.month() / 1} + months{1}};
                h0 = m0 = 0;
                continue;
            }
            if (day_ok(day, ymd)) {
                if (auto t = first_time(h0, m0)) return Timestamp{day} + minutes{*t};
            }
            day += days{1};
            h0 = m0 = 0;
        }
        return std::nullopt;
    }

    // Latest fire <= `upto` (a whole minute) on a day >= `first`.
    std::optional<Timestamp> backward(Timestamp upto, sys_days first) const {
        sys_days day = floor<days>(upto);
        auto since_midnight = duration_cast<minutes>(upto - day);
        int h0 = static_cast<int>(since_midnight.count() / 60);
        int m0 = static_cast<int>(since_midnight.count() % 60);
        while (day >= first) {
            year_month_day ymd{day};
            if (!month_ok(ymd)) {
                day = sys_days{ymd.year() / ymd.month() / 1} - days{1};
                h0 = 23;
                m0 = 59;
                continue;
            }
            if (day_ok(day, ymd)) {
                if (auto t = last_time(h0, m0)) return Timestamp{day} + minutes{*t};
            }
            day -= days{1};
            h0 = 23;
            m0 = 59;
        }
        return std::nullopt;
    }
};

std::optional<Timestamp> CronSchedule::next_after(Timestamp t) const {
    if (t >= kLastInstant) return std::nullopt;
    if (t < kFirstInstant) t = kFirstInstant - Duration{1};
    Timestamp from = floor<minutes>(t) + minutes{1};
    sys_days last = std::min(floor<days>(from) + days{kSearchDays}, kLastDay);
    return CronSearch{*this}.forward(from, last);
}

std::optional<Timestamp> CronSchedule::latest_in(Timestamp after, Timestamp until) const {
    if (until < kFirstInstant || until <= after) return std::nullopt;
    if (until > kLastInstant) until = kLastInstant;
    if (after < kFirstInstant) after = kFirstInstant - Duration{1};
    Timestamp upto = floor<minutes>(until);
    sys_days first = std::max({floor<days>(after), floor<days>(upto) - days{kGregorianCycleDays}, kFirstDay});
    auto found = CronSearch{*this}.backward(upto, first);
    if (found && *found > after) return found;
    return std::nullopt;
}

std::optional<Timestamp> due_fire(const CronSchedule& schedule, std::optional<Timestamp> last_fired,
                                  Timestamp created_at, Timestamp now) {
    // Only the latest missed time matters: firing once for it is the whole
    // catch-up, however long the downtime was.
    return schedule.latest_in(last_fired.value_or(created_at), now);
}

}  // namespace gramkit::jobs
