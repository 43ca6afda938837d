// Periodic schedules: when they fire next, and firing the due ones.
//
// A schedule row holds its next fire time. Firing advances it with a
// compare-and-set in the same transaction that queues the job
// (ScheduleRepository::fire), so processes that race on one due schedule
// queue one job between them; the leader lock only keeps them from trying.
// The next fire time is computed from *now*, not from the missed one, so a
// schedule that was due many times during a downtime fires once.
//
// Thread-safety: free functions; the repositories are thread-safe.
#pragma once

#include <cstddef>
#include <functional>
#include <optional>

#include "gramkit/ids.hpp"
#include "gramkit/jobs.hpp"
#include "gramkit/log.hpp"
#include "storage/repositories.hpp"

namespace gramkit::jobs {

/// The first fire time strictly after `now`: for cron, its next minute that
/// matches; for an interval, the smallest `anchor + k × interval` after now
/// (so interval schedules keep their phase). nullopt when a cron expression
/// never fires again within its search window.
Result<std::optional<Timestamp>> next_fire_time(const std::optional<std::string>& cron,
                                                const std::optional<Duration>& interval, Timestamp anchor,
                                                Timestamp now);

/// Checks a spec and turns it into a record (canonical cron text, next fire
/// time from now). `invalid_argument` naming the field.
Result<storage::ScheduleRecord> schedule_record_from(const ScheduleSpec& spec, std::int64_t id, Timestamp now);

struct FirerDeps {
    storage::ScheduleRepository& schedules;
    const Clock& clock;
    IdGenerator& ids;
    Logger& log;
    /// max_attempts for a schedule that leaves it 0 (the kind's default).
    std::function<int(std::string_view kind)> default_max_attempts;
};

/// Fires every schedule due at `now` once. Returns how many jobs it queued.
/// A schedule whose job could not be queued is logged and skipped; the
/// others still fire.
Result<std::size_t> fire_due_schedules(const FirerDeps& deps, Timestamp now);

/// The job a schedule fires: its kind, payload and priority, an
/// idempotency key per schedule (a period is skipped while the previous
/// run is still live) and the attempts default.
storage::NewJobRecord job_for(const storage::ScheduleRecord& s, std::int64_t job_id, int max_attempts,
                              Timestamp now);

}  // namespace gramkit::jobs
