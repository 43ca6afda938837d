// JSON views of jobs, schedules and the worker pool, and the reader of
// worker options shared by the engine configuration ("workers") and the
// workers.start operation.
#pragma once

#include "core/json.hpp"
#include "gramkit/jobs.hpp"

namespace gramkit::engine {

json::Value to_json(const jobs::Job& j);
json::Value to_json(const jobs::Schedule& s);
json::Value to_json(const jobs::PoolStatus& s);

/// Reads {poll_interval_ms, claim_batch, shutdown_grace_ms, run_schedules,
/// leader_lock, leader_lease_ms}; errors name "<prefix>.<key>".
Result<jobs::WorkerOptions> worker_options_from_json(const json::Value& v, std::string prefix);

/// Adds Job, Schedule and PoolStatus to meta.operations' types.
void add_job_shapes(json::Value& types);

}  // namespace gramkit::engine
