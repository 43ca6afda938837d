// Job and schedule views, and the range checks of the options hosts pass.
#include "jobs/job_records.hpp"

#include <cmath>
#include <string>

#include "core/json.hpp"

namespace gramkit::jobs {
namespace {

// The public enum mirrors the storage one value for value; the storage
// table of texts is the single source of the names.
static_assert(storage::kJobStateText.size() == 8);

Status out_of_range(std::string_view field, std::string_view what) {
    return fail(ErrorCode::invalid_argument, std::string(field) + " " + std::string(what), std::string(field));
}

}  // namespace

std::string_view to_string(JobState s) noexcept { return storage::job_state_text(to_storage(s)); }

Result<JobState> job_state_from_string(std::string_view text) {
    GK_ASSIGN_OR_RETURN(storage::JobState s, storage::job_state_from_text(text));
    return static_cast<JobState>(static_cast<int>(s));
}

storage::JobState to_storage(JobState s) noexcept { return static_cast<storage::JobState>(static_cast<int>(s)); }

Job to_job(const storage::JobRecord& r) {
    Job j;
    j.id = r.id;
    j.kind = r.kind;
    j.payload = r.payload;
    j.priority = r.priority;
    j.run_at = r.run_at;
    j.attempts = r.attempts;
    j.max_attempts = r.max_attempts;
    j.state = static_cast<JobState>(static_cast<int>(r.state));
    j.lease_owner = r.lease_owner;
    j.lease_expires_at = r.lease_expires_at;
    j.last_error = r.last_error;
    j.idempotency_key = r.idempotency_key;
    j.progress = r.progress;
    j.result = r.result;
    j.input = r.input;
    j.input_expires_at = r.input_expires_at;
    j.created_at = r.created_at;
    j.updated_at = r.updated_at;
    j.finished_at = r.finished_at;
    return j;
}

Schedule to_schedule(const storage::ScheduleRecord& r) {
    Schedule s;
    s.id = r.id;
    s.name = r.name;
    s.kind = r.kind;
    s.payload = r.payload;
    s.priority = r.priority;
    s.max_attempts = r.max_attempts;
    s.cron = r.cron;
    s.interval = r.interval;
    s.enabled = r.enabled;
    s.next_fire_at = r.next_fire_at;
    s.last_fired_at = r.last_fired_at;
    s.last_job_id = r.last_job_id;
    s.created_at = r.created_at;
    s.updated_at = r.updated_at;
    return s;
}

Status validate(const KindOptions& o) {
    if (o.concurrency < 1 || o.concurrency > 1024) return out_of_range("concurrency", "must be 1 to 1024");
    if (o.max_attempts < 1 || o.max_attempts > 1000) return out_of_range("max_attempts", "must be 1 to 1000");
    if (o.lease < std::chrono::seconds(1) || o.lease > std::chrono::hours(1))
        return out_of_range("lease", "must be 1 s to 1 h");
    if (Status s = o.backoff.validate(); !s)
        return fail(ErrorCode::invalid_argument, s.error().message, "backoff." + s.error().details);
    return {};
}

Status validate(const WorkerOptions& o) {
    if (o.poll_interval < std::chrono::milliseconds(1) || o.poll_interval > std::chrono::minutes(10))
        return out_of_range("poll_interval", "must be 1 ms to 10 min");
    if (o.claim_batch < 1 || o.claim_batch > 1000) return out_of_range("claim_batch", "must be 1 to 1000");
    if (o.shutdown_grace < std::chrono::milliseconds(0) || o.shutdown_grace > std::chrono::hours(1))
        return out_of_range("shutdown_grace", "must be 0 to 1 h");
    if (o.leader_lease < std::chrono::seconds(1) || o.leader_lease > std::chrono::hours(1))
        return out_of_range("leader_lease", "must be 1 s to 1 h");
    if (o.leader_lock.empty()) return out_of_range("leader_lock", "must be \"auto\", \"table\" or a redis:// URL");
    return {};
}

Status require_json_value(std::string_view json, std::string_view field) {
    auto v = json::parse(json);
    if (!v) return fail(ErrorCode::invalid_argument, std::string(field) + ": " + v.error().message, std::string(field));
    return {};
}

Status require_json_object(std::string_view json, std::string_view field) {
    auto v = json::parse(json);
    if (!v) return fail(ErrorCode::invalid_argument, std::string(field) + ": " + v.error().message, std::string(field));
    if (!v->is_object())
        return fail(ErrorCode::invalid_argument, std::string(field) + " must be a JSON object", std::string(field));
    return {};
}

}  // namespace gramkit::jobs
