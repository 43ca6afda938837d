// jobs.*, schedules.* and workers.* operations → JobService
// (gramkit/jobs.hpp). Handlers are registered from C++ or C, not here:
// operations control jobs and schedules of any kind.
#include "core/json.hpp"
#include "engine/operation_registry.hpp"
#include "engine/ops/jobs_json.hpp"
#include "engine/ops/models.hpp"
#include "gramkit/engine.hpp"

namespace gramkit::engine {
namespace {

using enum ParamType;

const ParamSpec kId{"id", integer, true, "job id"};
const ParamSpec kScheduleId{"id", integer, true, "schedule id"};

json::Value ok() { return json::Value(json::Value::Object{{"ok", true}}); }

template <class T>
Result<json::Value> as_json(Result<T> r) {
    if (!r) return fail(std::move(r).error());
    return to_json(*r);
}

std::string payload_text(const Params& p) {
    const json::Value* payload = p.raw("payload");
    return payload && !payload->is_null() ? json::to_string(*payload) : std::string("{}");
}

std::optional<int> opt_int(const Params& p, std::string_view name) {
    auto v = p.opt_integer(name);
    if (!v) return std::nullopt;
    // Out-of-int values become an out-of-range value the service rejects by name.
    if (*v < 0 || *v > 1'000'000) return -1;
    return static_cast<int>(*v);
}

Result<int> priority(const Params& p) {
    auto v = p.opt_integer("priority").value_or(0);
    if (v < -1'000'000 || v > 1'000'000)
        return fail(ErrorCode::invalid_argument, "priority must be between -1000000 and 1000000", "priority");
    return static_cast<int>(v);
}

Result<json::Value> enqueue(Engine& e, const Params& p) {
    jobs::JobSpec spec;
    spec.kind = p.string("kind");
    spec.payload = payload_text(p);
    GK_ASSIGN_OR_RETURN(spec.priority, priority(p));
    spec.run_at = p.opt_timestamp("run_at");
    spec.max_attempts = opt_int(p, "max_attempts");
    spec.idempotency_key = p.opt_string("idempotency_key");
    return as_json(e.jobs().enqueue(spec));
}

Result<json::Value> list(Engine& e, const Params& p) {
    jobs::JobFilter f;
    if (auto state = p.opt_string("state")) {
        auto s = jobs::job_state_from_string(*state);
        if (!s) return fail(ErrorCode::invalid_argument, s.error().message, "state");
        f.state = *s;
    }
    f.kind = p.opt_string("kind");
    f.after = p.opt_integer("after");
    f.limit = limit_or(p.opt_integer("limit"), 100);
    GK_ASSIGN_OR_RETURN(auto page, e.jobs().list(f));
    return page_json(page.items, page.next, [](const auto& item) { return to_json(item); });
}

Result<json::Value> counts(Engine& e, const Params&) {
    GK_ASSIGN_OR_RETURN(auto counts, e.jobs().counts());
    json::Value o = json::Value::object();
    for (const auto& [state, n] : counts) o.set(state, n);
    return o;
}

Result<jobs::ScheduleSpec> schedule_spec(const Params& p) {
    jobs::ScheduleSpec s;
    s.name = p.string("name");
    s.kind = p.string("kind");
    s.payload = payload_text(p);
    GK_ASSIGN_OR_RETURN(s.priority, priority(p));
    s.max_attempts = opt_int(p, "max_attempts").value_or(0);
    s.cron = p.opt_string("cron");
    if (auto secs = p.opt_integer("interval_s")) {
        if (*secs < 1 || *secs > 366LL * 24 * 3600)
            return fail(ErrorCode::invalid_argument, "interval_s must be 1 to 31622400", "interval_s");
        s.interval = std::chrono::seconds(*secs);
    }
    s.enabled = p.opt_bool("enabled").value_or(true);
    return s;
}

Result<json::Value> schedule_list(Engine& e, const Params& p) {
    GK_ASSIGN_OR_RETURN(auto page,
                        e.jobs().list_schedules(p.opt_integer("after"), limit_or(p.opt_integer("limit"), 100)));
    return page_json(page.items, page.next, [](const auto& item) { return to_json(item); });
}

Result<json::Value> workers_start(Engine& e, const Params& p) {
    const json::Value* options = p.raw("options");
    jobs::WorkerOptions o;
    if (options && !options->is_null()) {
        GK_ASSIGN_OR_RETURN(o, worker_options_from_json(*options, "options"));
    }
    GK_TRY(e.jobs().start(o));
    return to_json(e.jobs().status());
}

std::vector<ParamSpec> schedule_params() {
    return {{"name", string, true, "unique name"},
            {"kind", string, true, "job kind fired"},
            {"payload", object, false, "job payload (default {})"},
            {"priority", integer, false, "job priority (default 0)"},
            {"max_attempts", integer, false, "job attempts (0 = the kind's default)"},
            {"cron", string, false, "5-field UTC cron expression (or interval_s)"},
            {"interval_s", integer, false, "fixed interval in seconds (or cron)"},
            {"enabled", boolean, false, "default true"}};
}

}  // namespace

void register_job_operations(OperationRegistry& r) {
    r.add({"jobs.enqueue", "Queue a job of any kind (runs where a handler for the kind is registered).",
           "jobs:write",
           {{"kind", string, true, "job kind"},
            {"payload", object, false, "JSON object handed to the handler (default {})"},
            {"priority", integer, false, "higher runs first (default 0)"},
            {"run_at", timestamp, false, "not before this time (default now)"},
            {"max_attempts", integer, false, "1-1000 (default: the kind's)"},
            {"idempotency_key", string, false, "refuse a duplicate while a job with this key is live"}},
           "Job", enqueue});
    r.add({"jobs.get", "A job by id.", "jobs:read", {kId}, "Job",
           [](Engine& e, const Params& p) { return as_json(e.jobs().get(p.integer("id"))); }});
    r.add({"jobs.list", "Jobs by id, optionally of one state or kind.", "jobs:read",
           {{"state", string, false, "queued, running, failed_retrying, succeeded, dead, cancelled, paused, awaiting_input"},
            {"kind", string, false, "job kind"},
            {"after", integer, false, "cursor"},
            {"limit", integer, false, "1-1000 (default 100)"}},
           "Page<Job>", list});
    r.add({"jobs.counts", "Number of jobs in each state.", "jobs:read", {}, "{<state>: integer}", counts});
    r.add({"jobs.cancel", "Cancel a live job; a running handler is told to stop.", "jobs:write", {kId}, "Job",
           [](Engine& e, const Params& p) { return as_json(e.jobs().cancel(p.integer("id"))); }});
    r.add({"jobs.pause", "Hold a queued or retrying job.", "jobs:write", {kId}, "Job",
           [](Engine& e, const Params& p) { return as_json(e.jobs().pause(p.integer("id"))); }});
    r.add({"jobs.resume", "Queue a paused job again.", "jobs:write", {kId}, "Job",
           [](Engine& e, const Params& p) { return as_json(e.jobs().resume(p.integer("id"))); }});
    r.add({"jobs.retry", "Run a dead, retrying or cancelled job again now.", "jobs:write", {kId}, "Job",
           [](Engine& e, const Params& p) { return as_json(e.jobs().retry(p.integer("id"))); }});
    r.add({"jobs.delete", "Delete a job that is not running.", "jobs:write", {kId}, "Ok",
           [](Engine& e, const Params& p) -> Result<json::Value> {
               GK_TRY(e.jobs().remove(p.integer("id")));
               return ok();
           }});
    r.add({"jobs.provide_input", "Give a job waiting for input (e.g. a two-factor code) what it asked for.",
           "jobs:write", {kId, {"input", object, true, "JSON object handed to the handler"}}, "Job",
           [](Engine& e, const Params& p) {
               return as_json(e.jobs().provide_input(p.integer("id"), json::to_string(*p.raw("input"))));
           }});
    r.add({"jobs.run_pending", "Run due jobs of the kinds registered here on the calling thread.", "jobs:write",
           {{"max", integer, false, "at most this many (1-100000, default 1000)"}}, "{ran: integer}",
           [](Engine& e, const Params& p) -> Result<json::Value> {
               auto max = p.opt_integer("max").value_or(1000);
               if (max < 1 || max > 100000)
                   return fail(ErrorCode::invalid_argument, "max must be 1 to 100000", "max");
               GK_ASSIGN_OR_RETURN(auto ran, e.jobs().run_pending(static_cast<std::size_t>(max)));
               return json::Value(json::Value::Object{{"ran", ran}});
           }});
    r.add({"jobs.tick", "Fire due schedules and expire input waits now.", "jobs:write", {}, "{queued: integer}",
           [](Engine& e, const Params&) -> Result<json::Value> {
               GK_ASSIGN_OR_RETURN(auto queued, e.jobs().tick());
               return json::Value(json::Value::Object{{"queued", queued}});
           }});

    r.add({"schedules.create", "Create a periodic schedule (cron or fixed interval).", "schedules:write",
           schedule_params(), "Schedule", [](Engine& e, const Params& p) -> Result<json::Value> {
               GK_ASSIGN_OR_RETURN(auto spec, schedule_spec(p));
               return as_json(e.jobs().create_schedule(spec));
           }});
    auto update_params = schedule_params();
    update_params.insert(update_params.begin(), kScheduleId);
    r.add({"schedules.update", "Replace a schedule's definition; its next fire time counts from now.",
           "schedules:write", update_params, "Schedule", [](Engine& e, const Params& p) -> Result<json::Value> {
               GK_ASSIGN_OR_RETURN(auto spec, schedule_spec(p));
               return as_json(e.jobs().update_schedule(p.integer("id"), spec));
           }});
    r.add({"schedules.get", "A schedule by id.", "schedules:read", {kScheduleId}, "Schedule",
           [](Engine& e, const Params& p) { return as_json(e.jobs().get_schedule(p.integer("id"))); }});
    r.add({"schedules.list", "Schedules by id.", "schedules:read",
           {{"after", integer, false, "cursor"}, {"limit", integer, false, "1-1000 (default 100)"}}, "Page<Schedule>",
           schedule_list});
    r.add({"schedules.enable", "Enable a schedule (next fire time from now).", "schedules:write", {kScheduleId},
           "Schedule",
           [](Engine& e, const Params& p) { return as_json(e.jobs().set_schedule_enabled(p.integer("id"), true)); }});
    r.add({"schedules.disable", "Disable a schedule.", "schedules:write", {kScheduleId}, "Schedule",
           [](Engine& e, const Params& p) { return as_json(e.jobs().set_schedule_enabled(p.integer("id"), false)); }});
    r.add({"schedules.delete", "Delete a schedule (jobs it queued stay).", "schedules:write", {kScheduleId}, "Ok",
           [](Engine& e, const Params& p) -> Result<json::Value> {
               GK_TRY(e.jobs().remove_schedule(p.integer("id")));
               return ok();
           }});
    r.add({"schedules.run_now", "Queue the schedule's job now (its next fire time stays).", "schedules:write",
           {kScheduleId}, "Job",
           [](Engine& e, const Params& p) { return as_json(e.jobs().run_schedule_now(p.integer("id"))); }});

    r.add({"workers.start", "Start this engine's worker pool.", "workers:write",
           {{"options", object, false,
             "{poll_interval_ms, claim_batch, shutdown_grace_ms, run_schedules, leader_lock, leader_lease_ms}"}},
           "PoolStatus", workers_start});
    r.add({"workers.stop", "Stop the pool gracefully (running jobs finish or go back to the queue).",
           "workers:write", {}, "PoolStatus", [](Engine& e, const Params&) -> Result<json::Value> {
               e.jobs().stop();
               return to_json(e.jobs().status());
           }});
    r.add({"workers.status", "Whether the pool runs, leads schedules, and what it runs.", "workers:read", {},
           "PoolStatus", [](Engine& e, const Params&) -> Result<json::Value> { return to_json(e.jobs().status()); }});
}

}  // namespace gramkit::engine
