// Fire times and firing of periodic schedules (see schedule_firer.hpp).
#include "jobs/schedule_firer.hpp"

#include <string>

#include "jobs/cron.hpp"
#include "jobs/job_records.hpp"

namespace gramkit::jobs {
namespace {

constexpr std::size_t kFireBatch = 100;

Error bad(std::string_view field, std::string message) {
    return Error{ErrorCode::invalid_argument, std::move(message), std::string(field)};
}

}  // namespace

Result<std::optional<Timestamp>> next_fire_time(const std::optional<std::string>& cron,
                                                const std::optional<Duration>& interval, Timestamp anchor,
                                                Timestamp now) {
    if (cron) {
        GK_ASSIGN_OR_RETURN(CronSchedule parsed, CronSchedule::parse(*cron));
        return parsed.next_after(now);
    }
    if (!interval || *interval <= Duration::zero()) return fail(bad("interval", "interval must be positive"));
    if (anchor > now) return std::optional<Timestamp>(anchor);
    const auto periods = (now - anchor) / *interval + 1;
    return std::optional<Timestamp>(anchor + periods * *interval);
}

Result<storage::ScheduleRecord> schedule_record_from(const ScheduleSpec& spec, std::int64_t id, Timestamp now) {
    if (spec.name.empty()) return fail(bad("name", "schedule name must not be empty"));
    if (spec.name.size() > 200) return fail(bad("name", "schedule name must be at most 200 bytes"));
    if (spec.kind.empty()) return fail(bad("kind", "job kind must not be empty"));
    if (spec.cron.has_value() == spec.interval.has_value())
        return fail(bad("cron", "a schedule needs exactly one of cron and interval"));
    if (spec.max_attempts < 0 || spec.max_attempts > 1000)
        return fail(bad("max_attempts", "max_attempts must be 0 (the kind's default) to 1000"));
    GK_TRY(require_json_object(spec.payload, "payload"));
    storage::ScheduleRecord r;
    r.id = id;
    r.name = spec.name;
    r.kind = spec.kind;
    r.payload = spec.payload;
    r.priority = spec.priority;
    r.max_attempts = spec.max_attempts;
    r.enabled = spec.enabled;
    if (spec.cron) {
        auto parsed = CronSchedule::parse(*spec.cron);
        if (!parsed) return fail(bad("cron", parsed.error().message));
        r.cron = parsed->to_string();
    } else {
        if (*spec.interval < std::chrono::seconds(1) || *spec.interval % std::chrono::seconds(1) != Duration::zero())
            return fail(bad("interval", "interval must be a whole number of seconds, at least 1"));
        if (*spec.interval > std::chrono::hours(24 * 366))
            return fail(bad("interval", "interval must be at most 366 days"));
        r.interval = spec.interval;
    }
    GK_ASSIGN_OR_RETURN(auto next, next_fire_time(r.cron, r.interval, now, now));
    if (!next) return fail(bad("cron", "the cron expression never fires (for example Feb 30)"));
    r.next_fire_at = *next;
    r.created_at = r.updated_at = now;
    return r;
}

storage::NewJobRecord job_for(const storage::ScheduleRecord& s, std::int64_t job_id, int max_attempts,
                              Timestamp now) {
    storage::NewJobRecord job;
    job.id = job_id;
    job.kind = s.kind;
    job.payload = s.payload;
    job.priority = s.priority;
    job.run_at = now;
    job.max_attempts = s.max_attempts > 0 ? s.max_attempts : max_attempts;
    job.idempotency_key = "schedule:" + std::to_string(s.id);
    job.created_at = now;
    return job;
}

Result<std::size_t> fire_due_schedules(const FirerDeps& deps, Timestamp now) {
    GK_ASSIGN_OR_RETURN(auto due, deps.schedules.due(now, kFireBatch));
    std::size_t queued = 0;
    for (const auto& s : due) {
        const std::string id = std::to_string(s.id);
        auto next = next_fire_time(s.cron, s.interval, s.next_fire_at, now);
        if (!next || !*next) {
            // A stored expression that no longer parses, or one that never
            // fires again: switch it off rather than fire it every tick.
            storage::ScheduleRecord off = s;
            off.enabled = false;
            if (auto r = deps.schedules.update(off, now); !r)
                deps.log.warn("jobs", "schedule.disable_failed", {{"schedule", id}, {"error", r.error().message}});
            deps.log.warn("jobs", "schedule.disabled", {{"schedule", id}, {"reason", "no next fire time"}});
            continue;
        }
        const int attempts = deps.default_max_attempts(s.kind);
        auto fired = deps.schedules.fire(s.id, s.next_fire_at, **next, job_for(s, deps.ids.next(), attempts, now), now);
        if (!fired) {
            deps.log.warn("jobs", "schedule.fire_failed", {{"schedule", id}, {"error", fired.error().message}});
            continue;
        }
        if (*fired) {
            ++queued;
            deps.log.info("jobs", "schedule.fired", {{"schedule", id}, {"job", std::to_string((*fired)->id)}});
        }
    }
    return queued;
}

}  // namespace gramkit::jobs
