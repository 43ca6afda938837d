// Running one claimed job: the handler's context (progress, cancellation)
// and turning its outcome into the job's next state. Shared by the worker
// pool (a thread per job) and JobService::run_pending (the caller's thread).
//
// Thread-safety: a RunningJob is shared between the thread running its
// handler, the dispatcher (heartbeats) and whoever cancels it; its mutable
// state is atomics plus a mutex/condvar for wait_cancelled.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

#include "gramkit/events.hpp"
#include "gramkit/jobs.hpp"
#include "gramkit/log.hpp"
#include "storage/repositories.hpp"

namespace gramkit::jobs {

/// Why a handler was told to stop.
enum class StopReason : int { none = 0, cancelled = 1, lease_lost = 2, shutdown = 3 };

struct RunningJob {
    explicit RunningJob(storage::JobRecord r) : record(std::move(r)), token(record.lease_token.value_or(0)) {}

    storage::JobRecord record;  // as claimed
    std::int64_t token;
    Duration lease{};
    std::atomic<bool> finishing{false};  // the handler returned; its outcome is being recorded
    std::chrono::steady_clock::time_point last_heartbeat = std::chrono::steady_clock::now();

    /// Asks the handler to stop (first reason wins); wakes wait_cancelled.
    void signal(StopReason why);
    StopReason stop_reason() const noexcept { return static_cast<StopReason>(reason.load(std::memory_order_acquire)); }
    /// Waits up to `d`; true when signalled.
    bool wait(std::chrono::milliseconds d);

private:
    std::atomic<int> reason{0};
    std::mutex mu;
    std::condition_variable cv;
};

/// True while a handler runs on this thread (see on_job_thread).
bool in_job_handler() noexcept;

/// What running a job needs from the service.
struct RunnerDeps {
    storage::JobRepository& repo;
    const Clock& clock;
    Logger& log;
    EventBus* events;  // nullable
};

/// Runs `handler` for `job` and records the outcome (complete, fail with the
/// kind's backoff, release for retry_after, await_input). A handler that
/// throws is a failure naming the exception; an outcome after the job was
/// cancelled or its lease lost is discarded (logged). Publishes job.started
/// and job.finished.
void run_job(const RunnerDeps& deps, RunningJob& job, const Handler& handler, const KindOptions& options);

}  // namespace gramkit::jobs
