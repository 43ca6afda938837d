// JSON views of jobs and schedules (see jobs_json.hpp).
#include "engine/ops/jobs_json.hpp"

#include "engine/ops/models.hpp"

namespace gramkit::engine {
namespace {

// Stored JSON columns are embedded as JSON, not as strings; a value that no
// longer parses (written by hand) is shown as the raw text.
json::Value embedded(const std::optional<std::string>& text) {
    if (!text) return json::Value();
    auto v = json::parse(*text);
    return v ? std::move(*v) : json::Value(*text);
}


}  // namespace

json::Value to_json(const jobs::Job& j) {
    json::Value o = json::Value::object();
    o.set("id", j.id);
    o.set("kind", j.kind);
    o.set("payload", embedded(j.payload));
    o.set("priority", j.priority);
    o.set("run_at", to_json(j.run_at));
    o.set("attempts", j.attempts);
    o.set("max_attempts", j.max_attempts);
    o.set("state", std::string(jobs::to_string(j.state)));
    o.set("lease_owner", or_null(j.lease_owner));
    o.set("lease_expires_at", to_json(j.lease_expires_at));
    o.set("last_error", or_null(j.last_error));
    o.set("idempotency_key", or_null(j.idempotency_key));
    o.set("progress", embedded(j.progress));
    o.set("result", embedded(j.result));
    o.set("input_expires_at", to_json(j.input_expires_at));
    o.set("created_at", to_json(j.created_at));
    o.set("updated_at", to_json(j.updated_at));
    o.set("finished_at", to_json(j.finished_at));
    return o;
}

json::Value to_json(const jobs::Schedule& s) {
    json::Value o = json::Value::object();
    o.set("id", s.id);
    o.set("name", s.name);
    o.set("kind", s.kind);
    o.set("payload", embedded(s.payload));
    o.set("priority", s.priority);
    o.set("max_attempts", s.max_attempts);
    o.set("cron", or_null(s.cron));
    o.set("interval_s", s.interval ? json::Value(std::chrono::duration_cast<std::chrono::seconds>(*s.interval).count())
                                   : json::Value());
    o.set("enabled", s.enabled);
    o.set("next_fire_at", to_json(s.next_fire_at));
    o.set("last_fired_at", to_json(s.last_fired_at));
    o.set("last_job_id", or_null(s.last_job_id));
    o.set("created_at", to_json(s.created_at));
    o.set("updated_at", to_json(s.updated_at));
    return o;
}

json::Value to_json(const jobs::PoolStatus& s) {
    json::Value o = json::Value::object();
    o.set("running", s.running);
    o.set("leader", s.leader);
    o.set("owner", s.owner);
    json::Value active = json::Value::object();
    for (const auto& [kind, n] : s.active) active.set(kind, n);
    o.set("active", std::move(active));
    return o;
}

Result<jobs::WorkerOptions> worker_options_from_json(const json::Value& v, std::string prefix) {
    json::ObjectReader r(v, std::move(prefix));
    jobs::WorkerOptions o;
    GK_ASSIGN_OR_RETURN(auto poll, r.optional_int("poll_interval_ms", 1, 600000));
    if (poll) o.poll_interval = std::chrono::milliseconds(*poll);
    GK_ASSIGN_OR_RETURN(auto batch, r.optional_int("claim_batch", 1, 1000));
    if (batch) o.claim_batch = static_cast<std::size_t>(*batch);
    GK_ASSIGN_OR_RETURN(auto grace, r.optional_int("shutdown_grace_ms", 0, 3600000));
    if (grace) o.shutdown_grace = std::chrono::milliseconds(*grace);
    GK_ASSIGN_OR_RETURN(auto schedules, r.optional_bool("run_schedules"));
    if (schedules) o.run_schedules = *schedules;
    GK_ASSIGN_OR_RETURN(auto lock, r.optional_string("leader_lock"));
    if (lock) o.leader_lock = *lock;
    GK_ASSIGN_OR_RETURN(auto lease, r.optional_int("leader_lease_ms", 1000, 3600000));
    if (lease) o.leader_lease = std::chrono::milliseconds(*lease);
    GK_TRY(r.reject_unknown_keys());
    return o;
}

void add_job_shapes(json::Value& types) {
    types.set("Job", shape({{"id", "integer"}, {"kind", "string"}, {"payload", "object"}, {"priority", "integer"},
                            {"run_at", "timestamp"}, {"attempts", "integer"}, {"max_attempts", "integer"},
                            {"state", "queued|running|failed_retrying|succeeded|dead|cancelled|paused|awaiting_input"},
                            {"lease_owner", "string|null"}, {"lease_expires_at", "timestamp|null"},
                            {"last_error", "string|null"}, {"idempotency_key", "string|null"},
                            {"progress", "any|null"}, {"result", "any|null"}, {"input_expires_at", "timestamp|null"},
                            {"created_at", "timestamp"}, {"updated_at", "timestamp"},
                            {"finished_at", "timestamp|null"}}));
    types.set("Schedule", shape({{"id", "integer"}, {"name", "string"}, {"kind", "string"}, {"payload", "object"},
                                 {"priority", "integer"}, {"max_attempts", "integer (0 = the kind's default)"},
                                 {"cron", "string|null"}, {"interval_s", "integer|null"}, {"enabled", "boolean"},
                                 {"next_fire_at", "timestamp"}, {"last_fired_at", "timestamp|null"},
                                 {"last_job_id", "integer|null"}, {"created_at", "timestamp"},
                                 {"updated_at", "timestamp"}}));
    types.set("PoolStatus", shape({{"running", "boolean"}, {"leader", "boolean"}, {"owner", "string"},
                                   {"active", "{kind: integer}"}}));
}

}  // namespace gramkit::engine
