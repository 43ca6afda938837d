// The worker pool (see worker_pool.hpp).
#include "jobs/worker_pool.hpp"

#include <algorithm>

#include "jobs/leader_lock.hpp"
#include "jobs/schedule_firer.hpp"

namespace gramkit::jobs {

using SteadyClock = std::chrono::steady_clock;

// --- KindTable -------------------------------------------------------------------

void KindTable::set(std::string kind, Entry entry) {
    std::lock_guard lock(mu_);
    entries_.insert_or_assign(std::move(kind), std::move(entry));
}

std::optional<KindTable::Entry> KindTable::find(std::string_view kind) const {
    std::lock_guard lock(mu_);
    auto it = entries_.find(kind);
    if (it == entries_.end()) return std::nullopt;
    return it->second;
}

std::vector<std::string> KindTable::kinds() const {
    std::lock_guard lock(mu_);
    std::vector<std::string> out;
    for (const auto& [k, _] : entries_) out.push_back(k);
    return out;
}

int KindTable::default_max_attempts(std::string_view kind) const {
    std::lock_guard lock(mu_);
    auto it = entries_.find(kind);
    return it == entries_.end() ? KindOptions{}.max_attempts : it->second.options.max_attempts;
}

// --- RunningSet ------------------------------------------------------------------

void RunningSet::add(const std::shared_ptr<RunningJob>& job) {
    std::lock_guard lock(mu_);
    auto& slot = jobs_[job->record.id];
    if (slot) slot->signal(StopReason::lease_lost);
    slot = job;
}

void RunningSet::remove(const std::shared_ptr<RunningJob>& job) {
    std::lock_guard lock(mu_);
    auto it = jobs_.find(job->record.id);
    if (it != jobs_.end() && it->second == job) jobs_.erase(it);
    cv_.notify_all();
}

std::shared_ptr<RunningJob> RunningSet::find(std::int64_t id) const {
    std::lock_guard lock(mu_);
    auto it = jobs_.find(id);
    return it == jobs_.end() ? nullptr : it->second;
}

std::vector<std::shared_ptr<RunningJob>> RunningSet::all() const {
    std::lock_guard lock(mu_);
    std::vector<std::shared_ptr<RunningJob>> out;
    for (const auto& [_, j] : jobs_) out.push_back(j);
    return out;
}

std::map<std::string, int> RunningSet::per_kind() const {
    std::lock_guard lock(mu_);
    std::map<std::string, int> out;
    for (const auto& [_, j] : jobs_) ++out[j->record.kind];
    return out;
}

int RunningSet::count(std::string_view kind) const {
    std::lock_guard lock(mu_);
    return static_cast<int>(std::count_if(jobs_.begin(), jobs_.end(),
                                          [&](const auto& e) { return e.second->record.kind == kind; }));
}

std::size_t RunningSet::size() const {
    std::lock_guard lock(mu_);
    return jobs_.size();
}

bool RunningSet::wait_empty(SteadyClock::time_point deadline) const {
    std::unique_lock lock(mu_);
    return cv_.wait_until(lock, deadline, [&] { return jobs_.empty(); });
}

// --- WorkerPool ------------------------------------------------------------------

namespace {

// How often expired input waits are moved on and due schedules looked for.
constexpr auto kScheduleTick = std::chrono::seconds(1);

}  // namespace

WorkerPool::WorkerPool(PoolDeps deps) : deps_(std::move(deps)) {}

WorkerPool::~WorkerPool() { stop(); }

Status WorkerPool::start(const WorkerOptions& options) {
    std::unique_lock lock(mu_);
    if (started_) return fail(ErrorCode::failed_precondition, "the worker pool is already running");
    options_ = options;
    if (options.run_schedules) {
        GK_ASSIGN_OR_RETURN(leader_lock_, make_leader_lock(options.leader_lock, deps_.backend, deps_.owner,
                                                           options.leader_lease, deps_.clock_ptr));
    }
    started_ = true;
    draining_ = stopping_ = woken_ = leader_ = false;
    next_leader_check_ = next_schedule_tick_ = SteadyClock::now();
    dispatcher_ = std::thread([this] { dispatch_loop(); });
    deps_.log.info("jobs", "pool.started", {{"owner", deps_.owner}});
    return {};
}

bool WorkerPool::running() const {
    std::lock_guard lock(mu_);
    return started_ && !draining_;
}

bool WorkerPool::leader() const {
    std::lock_guard lock(mu_);
    return leader_;
}

void WorkerPool::wake() {
    std::lock_guard lock(mu_);
    woken_ = true;
    cv_.notify_all();
}

namespace {
// The pool whose thread this is (dispatcher or handler), so stop() can tell
// a call from inside the pool, which must not join itself.
thread_local const WorkerPool* t_pool_of_this_thread = nullptr;
}  // namespace

bool on_job_thread() noexcept { return t_pool_of_this_thread != nullptr || in_job_handler(); }

void WorkerPool::stop() {
    if (t_pool_of_this_thread == this) {
        // A handler (or a callback it made) asked: stop claiming now; the
        // threads are joined by the next stop() from outside the pool (at the
        // latest when the engine closes).
        std::lock_guard lock(mu_);
        draining_ = true;
        cv_.notify_all();
        deps_.log.warn("jobs", "pool.stop_from_pool_thread",
                       {{"effect", "claiming stopped; call stop() from outside the pool to finish"}});
        return;
    }
    // One stop at a time: a second caller waits until the first has joined
    // every thread, so stop() always returns with the pool gone.
    std::lock_guard stop_lock(stop_mu_);
    {
        std::lock_guard lock(mu_);
        if (!started_) return;
        draining_ = true;
        cv_.notify_all();
    }
    drain();
    {
        std::lock_guard lock(mu_);
        stopping_ = true;
        cv_.notify_all();
    }
    if (dispatcher_.joinable()) dispatcher_.join();
    std::map<std::uint64_t, std::thread> threads;
    {
        std::lock_guard lock(mu_);
        threads.swap(handler_threads_);
        finished_.clear();
    }
    for (auto& [_, t] : threads) t.join();
    if (leader_lock_) {
        leader_lock_->release();
        leader_lock_.reset();
    }
    std::lock_guard lock(mu_);
    started_ = false;
    leader_ = false;
    deps_.log.info("jobs", "pool.stopped", {{"owner", deps_.owner}});
}

// Waits out the grace period while the dispatcher keeps heartbeating, then
// stops whatever still runs and hands its job back to the queue.
void WorkerPool::drain() {
    const auto deadline = SteadyClock::now() + options_.shutdown_grace;
    if (deps_.running.wait_empty(deadline)) return;
    for (const auto& job : deps_.running.all()) {
        // Release first: once the row is queued again another worker may
        // take it, and this handler's late writes are rejected by the token.
        job->signal(StopReason::shutdown);
        if (Status s = deps_.backend.jobs().release(job->record.id, job->token, deps_.clock.now(), deps_.clock.now());
            !s) {
            deps_.log.warn("jobs", "job.release_failed",
                           {{"id", std::to_string(job->record.id)}, {"error", s.error().message}});
        } else {
            deps_.log.info("jobs", "job.released", {{"id", std::to_string(job->record.id)}, {"reason", "shutdown"}});
        }
    }
}

void WorkerPool::dispatch_loop() {
    t_pool_of_this_thread = this;
    for (;;) {
        reap_finished();
        heartbeat_due();
        bool draining = false;
        {
            std::lock_guard lock(mu_);
            if (stopping_) break;
            draining = draining_;
        }
        if (!draining) {
            run_schedules();
            claim_and_launch();
        }
        std::unique_lock lock(mu_);
        // Heartbeats are due every lease/3; never sleep past the shortest.
        auto wait = options_.poll_interval;
        for (const auto& job : deps_.running.all()) {
            auto until = job->last_heartbeat + job->lease / 3 - SteadyClock::now();
            wait = std::min(wait, std::max(std::chrono::milliseconds(1),
                                           std::chrono::duration_cast<std::chrono::milliseconds>(until)));
        }
        cv_.wait_for(lock, wait, [&] { return woken_ || stopping_ || !finished_.empty(); });
        woken_ = false;
    }
    reap_finished();
}

void WorkerPool::heartbeat_due() {
    const auto steady_now = SteadyClock::now();
    for (const auto& job : deps_.running.all()) {
        if (job->stop_reason() != StopReason::none || job->finishing.load(std::memory_order_acquire)) continue;
        if (steady_now - job->last_heartbeat < job->lease / 3) continue;
        job->last_heartbeat = steady_now;
        Status s = deps_.backend.jobs().heartbeat(job->record.id, job->token, deps_.clock.now() + job->lease);
        if (s) continue;
        // Cancelled or re-leased elsewhere (this process was presumed dead):
        // the handler must stop; its outcome will be discarded.
        if (s.error().code == ErrorCode::conflict || s.error().code == ErrorCode::not_found) {
            auto row = deps_.backend.jobs().get(job->record.id);
            const bool cancelled = row && row->state == storage::JobState::cancelled;
            job->signal(cancelled ? StopReason::cancelled : StopReason::lease_lost);
            deps_.log.info("jobs", cancelled ? "job.cancel_noticed" : "job.lease_lost",
                           {{"id", std::to_string(job->record.id)}});
        } else {
            deps_.log.warn("jobs", "job.heartbeat_failed",
                           {{"id", std::to_string(job->record.id)}, {"error", s.error().message}});
        }
    }
}

void WorkerPool::run_schedules() {
    const auto now = SteadyClock::now();
    if (now < next_schedule_tick_) return;
    next_schedule_tick_ = now + kScheduleTick;
    // Anyone may move expired input waits and exhausted leases on: the
    // updates are idempotent.
    if (auto moved = deps_.backend.jobs().expire_inputs(deps_.clock.now()); !moved)
        deps_.log.warn("jobs", "jobs.expire_inputs_failed", {{"error", moved.error().message}});
    if (auto dead = deps_.backend.jobs().expire_leases(deps_.clock.now()); !dead) {
        deps_.log.warn("jobs", "jobs.expire_leases_failed", {{"error", dead.error().message}});
    } else if (*dead > 0) {
        deps_.log.warn("jobs", "jobs.lost_on_last_attempt", {{"count", std::to_string(*dead)}});
    }
    if (!leader_lock_) return;
    if (now >= next_leader_check_) {
        next_leader_check_ = now + options_.leader_lease / 3;
        auto held = leader_lock_->try_acquire();
        const bool is_leader = held && *held;
        if (!held)
            deps_.log.warn("jobs", "leader.check_failed", {{"lock", std::string(leader_lock_->kind())}, {"error", held.error().message}});
        bool changed = false;
        {
            std::lock_guard lock(mu_);
            changed = leader_ != is_leader;
            leader_ = is_leader;
        }
        if (changed) deps_.log.info("jobs", is_leader ? "leader.acquired" : "leader.lost", {{"owner", deps_.owner}});
    }
    if (!leader()) return;
    FirerDeps firer{deps_.backend.schedules(), deps_.clock, deps_.ids, deps_.log,
                    [this](std::string_view kind) { return deps_.kinds.default_max_attempts(kind); }};
    if (auto fired = fire_due_schedules(firer, deps_.clock.now()); !fired)
        deps_.log.warn("jobs", "schedules.fire_failed", {{"error", fired.error().message}});
}

void WorkerPool::claim_and_launch() {
    for (const std::string& kind : deps_.kinds.kinds()) {
        auto entry = deps_.kinds.find(kind);
        if (!entry) continue;
        const int free = entry->options.concurrency - deps_.running.count(kind);
        if (free <= 0) continue;
        const std::size_t want = std::min<std::size_t>(static_cast<std::size_t>(free), options_.claim_batch);
        const std::string kinds[] = {kind};
        auto claimed = deps_.backend.jobs().claim(deps_.owner, want, entry->options.lease, deps_.clock.now(), kinds);
        if (!claimed) {
            deps_.log.warn("jobs", "jobs.claim_failed", {{"kind", kind}, {"error", claimed.error().message}});
            continue;
        }
        for (auto& record : *claimed) {
            auto job = std::make_shared<RunningJob>(std::move(record));
            job->lease = entry->options.lease;
            launch(std::move(job), *entry);
        }
    }
}

void WorkerPool::launch(std::shared_ptr<RunningJob> job, KindTable::Entry entry) {
    std::lock_guard lock(mu_);
    if (draining_) {
        // stop() began while this batch was being claimed; drain() only sees
        // jobs in the running set, so hand this one straight back.
        if (Status s = deps_.backend.jobs().release(job->record.id, job->token, deps_.clock.now(), deps_.clock.now());
            !s) {
            deps_.log.warn("jobs", "job.release_failed",
                           {{"id", std::to_string(job->record.id)}, {"error", s.error().message}});
        }
        return;
    }
    // Added under mu_, and draining_ is set under mu_ before drain() looks:
    // every launched job is either seen by drain() or released above.
    deps_.running.add(job);
    const std::uint64_t key = ++launches_;
    handler_threads_[key] = std::thread([this, key, job = std::move(job), entry = std::move(entry)] {
        t_pool_of_this_thread = this;
        RunnerDeps runner{deps_.backend.jobs(), deps_.clock, deps_.log, deps_.events};
        run_job(runner, *job, entry.handler, entry.options);
        deps_.running.remove(job);
        std::lock_guard inner(mu_);
        finished_.push_back(key);
        cv_.notify_all();
    });
}

void WorkerPool::reap_finished() {
    std::vector<std::thread> done;
    {
        std::lock_guard lock(mu_);
        for (std::uint64_t key : finished_) {
            auto it = handler_threads_.find(key);
            if (it == handler_threads_.end()) continue;
            done.push_back(std::move(it->second));
            handler_threads_.erase(it);
        }
        finished_.clear();
    }
    for (auto& t : done) t.join();
}

}  // namespace gramkit::jobs
