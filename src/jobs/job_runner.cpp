// One job from claim to outcome (see job_runner.hpp).
#include "jobs/job_runner.hpp"

#include <exception>
#include <random>
#include <string>

#include "core/json.hpp"
#include "jobs/backoff.hpp"
#include "jobs/job_records.hpp"

namespace gramkit::jobs {

void RunningJob::signal(StopReason why) {
    int expected = 0;
    reason.compare_exchange_strong(expected, static_cast<int>(why), std::memory_order_acq_rel);
    std::lock_guard lock(mu);
    cv.notify_all();
}

bool RunningJob::wait(std::chrono::milliseconds d) {
    std::unique_lock lock(mu);
    return cv.wait_for(lock, d, [&] { return stop_reason() != StopReason::none; });
}

namespace {

// Full jitter needs a uniform draw per failure; a per-thread engine avoids a
// shared lock (the draw is not a secret).
double unit_random() {
    thread_local std::mt19937_64 engine{std::random_device{}()};
    return std::uniform_real_distribution<double>(0.0, 1.0)(engine);
}

std::string_view stop_reason_text(StopReason r) {
    switch (r) {
        case StopReason::cancelled: return "cancelled";
        case StopReason::lease_lost: return "lease_lost";
        case StopReason::shutdown: return "shutdown";
        case StopReason::none: break;
    }
    return "none";
}

class Context final : public JobContext {
public:
    Context(const RunnerDeps& deps, RunningJob& job) : deps_(deps), job_(job), view_(to_job(job.record)) {}

    const Job& job() const noexcept override { return view_; }
    bool cancelled() const noexcept override { return job_.stop_reason() != StopReason::none; }
    bool wait_cancelled(std::chrono::milliseconds d) override { return job_.wait(d); }

    Status progress(std::string_view json) override {
        GK_TRY(require_json_value(json, "progress"));
        Status s = deps_.repo.set_progress(job_.record.id, job_.token, json, deps_.clock.now());
        if (!s) {
            if (s.error().code == ErrorCode::conflict) job_.signal(StopReason::lease_lost);
            return s;
        }
        if (deps_.events) {
            json::Value data = json::Value::object();
            data.set("id", job_.record.id);
            data.set("kind", job_.record.kind);
            auto parsed = json::parse(json);
            data.set("progress", parsed ? std::move(*parsed) : json::Value());
            deps_.events->publish("job.progress", json::to_string(data));
        }
        return {};
    }

private:
    const RunnerDeps& deps_;
    RunningJob& job_;
    Job view_;
};

void publish_finished(const RunnerDeps& deps, const RunningJob& job, std::string_view state,
                      const std::string& error) {
    if (!deps.events) return;
    json::Value data = json::Value::object();
    data.set("id", job.record.id);
    data.set("kind", job.record.kind);
    data.set("state", std::string(state));
    data.set("attempt", job.record.attempts);
    if (!error.empty()) data.set("error", error);
    deps.events->publish("job.finished", json::to_string(data));
}

// Records the handler's outcome; returns the state the job went to (for
// the event) or an error when the lease was lost meanwhile.
Result<std::string> record_outcome(const RunnerDeps& deps, RunningJob& job, const JobOutcome& out,
                                   const KindOptions& options) {
    auto& repo = deps.repo;
    const auto id = job.record.id;
    const Timestamp now = deps.clock.now();
    switch (out.kind) {
        case JobOutcome::Kind::succeeded: {
            std::optional<std::string> result;
            if (!out.result_json.empty()) {
                if (Status s = require_json_value(out.result_json, "result"); !s) {
                    GK_TRY(repo.fail(id, job.token, "handler returned a result that is not JSON", std::nullopt, now));
                    return std::string("dead");
                }
                result = out.result_json;
            }
            GK_TRY(repo.complete(id, job.token, std::move(result), now));
            return std::string("succeeded");
        }
        case JobOutcome::Kind::failed: {
            const bool retry = job.record.attempts < job.record.max_attempts;
            std::optional<Timestamp> retry_at;
            if (retry) retry_at = now + retry_delay(options.backoff, job.record.attempts, unit_random());
            GK_TRY(repo.fail(id, job.token, out.error.empty() ? "handler failed" : out.error, retry_at, now));
            return std::string(retry ? "failed_retrying" : "dead");
        }
        case JobOutcome::Kind::failed_permanently:
            GK_TRY(repo.fail(id, job.token, out.error.empty() ? "handler failed" : out.error, std::nullopt, now));
            return std::string("dead");
        case JobOutcome::Kind::retry_after: {
            const Duration delay = out.delay < Duration::zero() ? Duration::zero() : out.delay;
            GK_TRY(repo.release(id, job.token, now + delay, now));
            return std::string("queued");
        }
        case JobOutcome::Kind::awaiting_input: {
            const Duration wait = out.delay > Duration::zero() ? out.delay : std::chrono::minutes(10);
            GK_TRY(repo.await_input(id, job.token, now + wait, now));
            return std::string("awaiting_input");
        }
    }
    return fail(ErrorCode::internal, "unknown job outcome");
}

}  // namespace

namespace {
thread_local int t_handler_depth = 0;  // > 0 while a handler runs on this thread

struct HandlerScope {
    HandlerScope() noexcept { ++t_handler_depth; }
    ~HandlerScope() { --t_handler_depth; }
    HandlerScope(const HandlerScope&) = delete;
    HandlerScope& operator=(const HandlerScope&) = delete;
};
}  // namespace

bool in_job_handler() noexcept { return t_handler_depth > 0; }

void run_job(const RunnerDeps& deps, RunningJob& job, const Handler& handler, const KindOptions& options) {
    const std::string id_text = std::to_string(job.record.id);
    if (deps.events) {
        json::Value data = json::Value::object();
        data.set("id", job.record.id);
        data.set("kind", job.record.kind);
        data.set("attempt", job.record.attempts);
        deps.events->publish("job.started", json::to_string(data));
    }
    Context ctx(deps, job);
    JobOutcome outcome;
    try {
        HandlerScope scope;
        outcome = handler(ctx);
    } catch (const std::exception& e) {
        outcome = JobOutcome::failure(std::string("handler threw: ") + e.what());
    } catch (...) {
        outcome = JobOutcome::failure("handler threw a non-standard exception");
    }
    if (StopReason r = job.stop_reason(); r != StopReason::none) {
        // The row already says what happened (cancelled, re-leased, or
        // released by the shutdown); the handler's word no longer counts.
        deps.log.info("jobs", "job.outcome_discarded",
                      {{"id", id_text}, {"kind", job.record.kind}, {"reason", std::string(stop_reason_text(r))}});
        publish_finished(deps, job, stop_reason_text(r), {});
        return;
    }
    // From here the token is about to be spent: heartbeats must not take
    // the conflict that follows for a lost lease.
    job.finishing.store(true, std::memory_order_release);
    auto state = record_outcome(deps, job, outcome, options);
    if (!state) {
        const bool lost = state.error().code == ErrorCode::conflict || state.error().code == ErrorCode::not_found;
        if (lost) job.signal(StopReason::lease_lost);
        deps.log.warn("jobs", lost ? "job.lease_lost" : "job.outcome_not_saved",
                      {{"id", id_text}, {"kind", job.record.kind}, {"error", state.error().message}});
        publish_finished(deps, job, lost ? "lease_lost" : "error", state.error().message);
        return;
    }
    const std::string error = outcome.kind == JobOutcome::Kind::succeeded ? std::string() : outcome.error;
    deps.log.debug("jobs", "job.finished", {{"id", id_text}, {"kind", job.record.kind}, {"state", *state}});
    publish_finished(deps, job, *state, error);
}

}  // namespace gramkit::jobs
