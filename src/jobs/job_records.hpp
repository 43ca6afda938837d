// Conversions between the storage rows of jobs and schedules and their public
// views (gramkit/jobs.hpp), and the checks of what hosts pass in. Kept apart
// from the service so the operation handlers and the C ABI reuse them.
#pragma once

#include "gramkit/jobs.hpp"
#include "storage/repositories.hpp"

namespace gramkit::jobs {

Job to_job(const storage::JobRecord& r);
storage::JobState to_storage(JobState s) noexcept;
Schedule to_schedule(const storage::ScheduleRecord& r);

/// Checks a KindOptions; `invalid_argument` naming the option
/// ("concurrency", "max_attempts", "lease", "backoff.base", ...).
Status validate(const KindOptions& o);
/// Checks a WorkerOptions; `invalid_argument` naming the option.
Status validate(const WorkerOptions& o);
/// `invalid_argument` unless `json` is a JSON object (names `field`).
Status require_json_object(std::string_view json, std::string_view field);
/// `invalid_argument` unless `json` is any JSON value (names `field`).
Status require_json_value(std::string_view json, std::string_view field);

}  // namespace gramkit::jobs
