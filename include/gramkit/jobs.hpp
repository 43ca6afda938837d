// gramkit — durable jobs, the worker pool and periodic schedules (issue 6,
// docs/jobs.md).
//
// A job is a row in the storage backend: a kind, a JSON payload, a priority,
// a time it may run from, and a state (queued, running, failed_retrying,
// succeeded, dead, cancelled, paused, awaiting_input). Workers in any number
// of processes claim jobs under a lease they keep alive with heartbeats; a
// worker that dies loses its lease and the job is claimed again, and every
// write a worker makes is checked against its lease token, so a worker that
// was presumed dead and wakes up cannot overwrite the job's new owner.
//
// Hosts add job kinds by registering a handler (C++ here, a callback through
// the C ABI). The engine's worker pool runs handlers on its own threads with
// a concurrency limit per kind; `stop` (and the engine's destructor) stops
// claiming, waits for running handlers up to a grace period, then cancels
// them and hands their jobs back to the queue.
//
// Schedules fire a job kind with a payload by cron expression (5 fields,
// UTC) or fixed interval. A schedule that was due several times while no
// process ran fires once. Firing is a compare-and-set in the database, and
// only the process holding the leader lock fires at all (PostgreSQL
// advisory lock, Redis lock with expiry, or a lease row on SQLite).
//
// Thread-safety: every member of JobService may be called from any thread.
// JobContext belongs to the one handler invocation it was passed to and may
// be used only on that handler's thread, except `cancelled()` (any thread).
// Ownership: results are plain values owned by the caller.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "gramkit/clock.hpp"
#include "gramkit/error.hpp"
#include "gramkit/export.hpp"

namespace gramkit::jobs {

enum class JobState { queued, running, failed_retrying, succeeded, dead, cancelled, paused, awaiting_input };

/// "queued", "running", "failed_retrying", "succeeded", "dead", "cancelled",
/// "paused", "awaiting_input".
GRAMKIT_API std::string_view to_string(JobState s) noexcept;
/// `invalid_argument` naming the text when it is not a state.
GRAMKIT_API Result<JobState> job_state_from_string(std::string_view text);

/// A job as stored (the lease token, which proves ownership, is not part of
/// the public view).
struct Job {
    std::int64_t id = 0;
    std::string kind;
    std::string payload;  // JSON text
    int priority = 0;     // higher runs first
    Timestamp run_at{};   // not started before this
    int attempts = 0;     // claims so far
    int max_attempts = 1;
    JobState state = JobState::queued;
    std::optional<std::string> lease_owner;  // "<host>:<pid>:<n>" of the worker running it
    std::optional<Timestamp> lease_expires_at;
    std::optional<std::string> last_error;
    std::optional<std::string> idempotency_key;
    std::optional<std::string> progress;  // JSON the handler reported
    std::optional<std::string> result;    // JSON the handler returned
    std::optional<std::string> input;     // JSON given with provide_input
    std::optional<Timestamp> input_expires_at;
    Timestamp created_at{};
    Timestamp updated_at{};
    std::optional<Timestamp> finished_at;
};

/// Capped exponential backoff with full jitter between attempts:
/// delay = uniform[0, 1) × min(cap, base × multiplier^(attempt − 1)).
struct GRAMKIT_API BackoffPolicy {
    Duration base{};
    Duration cap{};
    double multiplier = 2.0;

    /// base > 0, cap >= base, multiplier a finite number >= 1.
    /// Errors: invalid_argument, "backoff: <field> ..." with details = the
    /// field name ("base", "cap", "multiplier").
    Status validate() const;
};

/// What to enqueue.
struct JobSpec {
    std::string kind;
    std::string payload = "{}";  // a JSON object
    int priority = 0;
    std::optional<Timestamp> run_at;  // nullopt = now
    std::optional<int> max_attempts;  // nullopt = the kind's default (3 when no handler is registered)
    /// While a job with this key is live (not succeeded, dead or cancelled),
    /// enqueueing the key again returns `conflict` whose details is the live
    /// job's id.
    std::optional<std::string> idempotency_key;
};

/// How a kind runs in this process.
struct KindOptions {
    int concurrency = 1;       // handlers of this kind running at once in this process (1..1024)
    int max_attempts = 3;      // default for jobs enqueued without one (1..1000)
    BackoffPolicy backoff{std::chrono::seconds(1), std::chrono::minutes(10), 2.0};
    Duration lease = std::chrono::seconds(30);  // renewed every lease/3 while the handler runs (1 s..1 h)
};

/// How a handler's invocation ended.
struct JobOutcome {
    enum class Kind {
        succeeded,       // result_json stored; the job is finished
        failed,          // retried after the kind's backoff while attempts remain, else dead
        failed_permanently,  // dead at once (bad payload, nothing a retry could fix)
        retry_after,     // not a failure of the job: run again after `delay` (e.g. every account is
                         // cooling down); the attempt is given back
        awaiting_input,  // wait up to `delay` for jobs.provide_input; the job then runs again with the input
    };
    Kind kind = Kind::succeeded;
    std::string result_json;  // succeeded: a JSON value ("" = none)
    std::string error;        // failed*: why (stored as last_error; never secrets)
    Duration delay{};         // retry_after, awaiting_input

    static JobOutcome success(std::string result_json = {}) { return {Kind::succeeded, std::move(result_json), {}, {}}; }
    static JobOutcome failure(std::string error) { return {Kind::failed, {}, std::move(error), {}}; }
    static JobOutcome permanent_failure(std::string error) {
        return {Kind::failed_permanently, {}, std::move(error), {}};
    }
    static JobOutcome retry_later(Duration delay, std::string why) { return {Kind::retry_after, {}, std::move(why), delay}; }
    static JobOutcome wait_for_input(Duration timeout) { return {Kind::awaiting_input, {}, {}, timeout}; }
};

/// What a handler gets: the job and the means to report progress and to
/// notice cancellation. Valid only during the handler call.
class GRAMKIT_API JobContext {
public:
    virtual ~JobContext() = default;
    virtual const Job& job() const noexcept = 0;
    /// True once the job was cancelled (by jobs.cancel here or in another
    /// process, noticed at the next heartbeat), its lease was lost, or the
    /// pool is shutting down past its grace period. The handler should
    /// return soon; its outcome is then discarded. Any thread.
    virtual bool cancelled() const noexcept = 0;
    /// Waits up to `d` (real time) and returns early, true, when cancelled.
    /// Handlers use it instead of sleeping.
    virtual bool wait_cancelled(std::chrono::milliseconds d) = 0;
    /// Stores progress (a JSON value) on the job and publishes job.progress.
    /// `conflict` when the lease was lost (the handler should stop).
    virtual Status progress(std::string_view json) = 0;
};

using Handler = std::function<JobOutcome(JobContext&)>;

/// True on a thread that is running a job handler (a pool thread or a
/// thread inside run_pending) or a worker pool's dispatcher. Such a thread
/// must not close the engine: the C ABI's gk_engine_close refuses there.
GRAMKIT_API bool on_job_thread() noexcept;

/// A periodic schedule.
struct Schedule {
    std::int64_t id = 0;
    std::string name;
    std::string kind;
    std::string payload = "{}";
    int priority = 0;
    int max_attempts = 0;  // 0 = the kind's default
    std::optional<std::string> cron;   // 5-field UTC cron expression (canonical form)
    std::optional<Duration> interval;  // or a fixed interval (whole seconds)
    bool enabled = true;
    Timestamp next_fire_at{};
    std::optional<Timestamp> last_fired_at;
    std::optional<std::int64_t> last_job_id;
    Timestamp created_at{};
    Timestamp updated_at{};
};

struct ScheduleSpec {
    std::string name;  // unique
    std::string kind;
    std::string payload = "{}";
    int priority = 0;
    int max_attempts = 0;
    std::optional<std::string> cron;   // exactly one of cron / interval
    std::optional<Duration> interval;  // ≥ 1 s, whole seconds
    bool enabled = true;
};

struct JobFilter {
    std::optional<JobState> state;
    std::optional<std::string> kind;
    std::optional<std::int64_t> after;  // id cursor
    std::size_t limit = 100;            // 1..1000
};

struct JobPage {
    std::vector<Job> items;
    std::optional<std::int64_t> next;  // cursor for the next page
};

struct SchedulePage {
    std::vector<Schedule> items;
    std::optional<std::int64_t> next;
};

struct WorkerOptions {
    /// How long an idle dispatcher waits before asking the database again
    /// (an enqueue in this process wakes it at once).
    std::chrono::milliseconds poll_interval{250};
    /// Jobs claimed per database round trip, at most (1..1000).
    std::size_t claim_batch = 32;
    /// On stop: how long running handlers may take to finish before they are
    /// cancelled and their jobs released back to the queue.
    std::chrono::milliseconds shutdown_grace{10000};
    /// Fire due schedules (when this process holds the leader lock).
    bool run_schedules = true;
    /// Leader lock: "auto" (PostgreSQL: advisory lock; SQLite: lease row),
    /// "table" (lease row on any backend) or a redis:// URL.
    std::string leader_lock = "auto";
    /// Leader lease duration for "table" and Redis locks (renewed at a third).
    std::chrono::milliseconds leader_lease{15000};
};

struct PoolStatus {
    bool running = false;
    bool leader = false;  // this process fires schedules
    std::string owner;    // this pool's lease owner name
    std::map<std::string, int> active;  // handlers running now, per kind
};

class GRAMKIT_API JobService {
public:
    virtual ~JobService() = default;

    // --- handlers and the pool -------------------------------------------------

    /// Adds (or replaces, while the pool is stopped) the handler of `kind`.
    /// `invalid_argument` naming the option when options are out of range;
    /// `failed_precondition` when replacing a kind while the pool runs.
    virtual Status register_handler(std::string kind, Handler handler, KindOptions options = {}) = 0;
    /// Kinds with a handler in this process.
    virtual std::vector<std::string> kinds() const = 0;
    /// Starts the worker pool: a dispatcher thread that claims jobs of the
    /// registered kinds, a thread per running handler (bounded by the kinds'
    /// concurrency), heartbeats, expiry of input waits, and (with
    /// run_schedules) the schedule firer. `failed_precondition` if running.
    virtual Status start(const WorkerOptions& options = {}) = 0;
    /// Stops claiming, waits up to shutdown_grace for running handlers, then
    /// cancels the rest and releases their jobs (queued again, attempt given
    /// back). Returns when every pool thread has ended; a concurrent second
    /// call waits for the first. Idempotent. Called from a handler (a pool
    /// thread, which cannot join itself) it only stops claiming and
    /// returns; a later call from outside the pool, at the latest the
    /// engine's close, finishes the stop. Never close the engine from a
    /// handler.
    virtual void stop() = 0;
    virtual PoolStatus status() const = 0;

    /// Claims and runs up to `max` due jobs of the registered kinds on the
    /// calling thread, one after the other; returns how many ran. For hosts
    /// without a pool and for deterministic tests.
    virtual Result<std::size_t> run_pending(std::size_t max = 1000) = 0;
    /// Fires every due schedule once (if this process is the leader or no
    /// pool runs) and moves expired input waits on. Returns the jobs queued.
    virtual Result<std::size_t> tick() = 0;

    // --- jobs ------------------------------------------------------------------

    /// Queues a job. `invalid_argument` for an empty kind, a payload that is
    /// not a JSON object, attempts out of 1..1000; `conflict` (details = id)
    /// for a live idempotency key.
    virtual Result<Job> enqueue(const JobSpec& spec) = 0;
    /// Queues up to 10 000 jobs in one transaction: all or none. A bad spec
    /// is `invalid_argument` with details "jobs[<index>].<field>".
    virtual Result<std::vector<Job>> enqueue_many(std::span<const JobSpec> specs) = 0;
    virtual Result<Job> get(std::int64_t id) = 0;
    virtual Result<JobPage> list(const JobFilter& filter) = 0;
    /// Every state with its count.
    virtual Result<std::map<std::string, std::int64_t>> counts() = 0;
    /// Any live state → cancelled; a running handler is signalled (here at
    /// once, in another process at its next heartbeat).
    virtual Result<Job> cancel(std::int64_t id) = 0;
    virtual Result<Job> pause(std::int64_t id) = 0;
    virtual Result<Job> resume(std::int64_t id) = 0;
    /// dead / failed_retrying / cancelled → queued now.
    virtual Result<Job> retry(std::int64_t id) = 0;
    /// Deletes a job that is not running.
    virtual Status remove(std::int64_t id) = 0;
    /// Gives input (a JSON value) to a job waiting for it; it runs again.
    virtual Result<Job> provide_input(std::int64_t id, std::string_view input_json) = 0;

    // --- schedules -------------------------------------------------------------

    /// `invalid_argument` naming the field (cron syntax errors name the
    /// cron field); `conflict` for a duplicate name.
    virtual Result<Schedule> create_schedule(const ScheduleSpec& spec) = 0;
    virtual Result<Schedule> get_schedule(std::int64_t id) = 0;
    virtual Result<SchedulePage> list_schedules(std::optional<std::int64_t> after, std::size_t limit) = 0;
    /// Replaces the schedule's definition; the next fire time is recomputed
    /// from now.
    virtual Result<Schedule> update_schedule(std::int64_t id, const ScheduleSpec& spec) = 0;
    virtual Result<Schedule> set_schedule_enabled(std::int64_t id, bool enabled) = 0;
    virtual Status remove_schedule(std::int64_t id) = 0;
    /// Queues the schedule's job now (does not move its next fire time).
    virtual Result<Job> run_schedule_now(std::int64_t id) = 0;
};

}  // namespace gramkit::jobs
