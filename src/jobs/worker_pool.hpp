// The engine's worker pool: one dispatcher thread that claims jobs of the
// registered kinds (within each kind's concurrency), keeps their leases
// alive, moves expired input waits on and, while this process holds the
// leader lock, fires due schedules; plus one thread per running handler.
//
// Shutdown (stop): the dispatcher stops claiming but keeps heartbeating;
// running handlers get `shutdown_grace` to finish; the rest are told to stop
// (JobContext::cancelled) and their jobs are released back to the queue
// with the attempt given back, so another worker takes them at once instead
// of after the lease runs out; then every thread is joined.
//
// Thread-safety: KindTable and RunningSet may be used from any thread;
// WorkerPool's start/stop/status likewise (stop waits for the pool).
#pragma once

#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "gramkit/events.hpp"
#include "gramkit/ids.hpp"
#include "gramkit/jobs.hpp"
#include "gramkit/log.hpp"
#include "jobs/job_runner.hpp"
#include "storage/repositories.hpp"

namespace gramkit::jobs {

class LeaderLock;

/// Handlers registered in this process, by kind.
class KindTable {
public:
    struct Entry {
        Handler handler;
        KindOptions options;
    };
    void set(std::string kind, Entry entry);
    std::optional<Entry> find(std::string_view kind) const;
    std::vector<std::string> kinds() const;
    /// The kind's max_attempts, or 3 for a kind without a handler here.
    int default_max_attempts(std::string_view kind) const;

private:
    mutable std::mutex mu_;
    std::map<std::string, Entry, std::less<>> entries_;
};

/// Jobs whose handler runs in this process, so cancel() can signal them
/// and the dispatcher can heartbeat them.
class RunningSet {
public:
    /// A job claimed again while an older run of it is still here (its
    /// lease expired and this process took it back) replaces the entry; the
    /// old run was already told it lost its lease.
    void add(const std::shared_ptr<RunningJob>& job);
    /// Removes `job` if it is still the entry for its id.
    void remove(const std::shared_ptr<RunningJob>& job);
    std::shared_ptr<RunningJob> find(std::int64_t id) const;
    std::vector<std::shared_ptr<RunningJob>> all() const;
    std::map<std::string, int> per_kind() const;
    int count(std::string_view kind) const;
    std::size_t size() const;
    /// Waits until empty or until `deadline`; true when empty.
    bool wait_empty(std::chrono::steady_clock::time_point deadline) const;

private:
    mutable std::mutex mu_;
    mutable std::condition_variable cv_;
    std::map<std::int64_t, std::shared_ptr<RunningJob>> jobs_;
};

struct PoolDeps {
    storage::Backend& backend;
    const Clock& clock;
    std::shared_ptr<const Clock> clock_ptr;  // for the leader lock
    IdGenerator& ids;
    Logger& log;
    EventBus* events;
    KindTable& kinds;
    RunningSet& running;
    std::string owner;  // lease owner name of this process's workers
};

class WorkerPool {
public:
    explicit WorkerPool(PoolDeps deps);
    ~WorkerPool();  // stop()
    WorkerPool(const WorkerPool&) = delete;
    WorkerPool& operator=(const WorkerPool&) = delete;

    Status start(const WorkerOptions& options);
    void stop();
    bool running() const;
    bool leader() const;
    /// Wakes the dispatcher (a job was queued or a handler finished).
    void wake();

private:
    void dispatch_loop();
    void heartbeat_due();
    void claim_and_launch();
    void run_schedules();
    void launch(std::shared_ptr<RunningJob> job, KindTable::Entry entry);
    void reap_finished();
    void drain();

    PoolDeps deps_;
    WorkerOptions options_;
    std::unique_ptr<LeaderLock> leader_lock_;

    std::mutex stop_mu_;  // serialises stop()
    mutable std::mutex mu_;
    std::condition_variable cv_;
    bool started_ = false;
    bool draining_ = false;  // stop claiming
    bool stopping_ = false;  // end the dispatcher
    bool woken_ = false;
    bool leader_ = false;
    std::thread dispatcher_;
    // Keyed by launch number, not job id: a job can be claimed again while
    // its previous (lease-lost) handler has not returned yet.
    std::map<std::uint64_t, std::thread> handler_threads_;
    std::vector<std::uint64_t> finished_;
    std::uint64_t launches_ = 0;
    std::chrono::steady_clock::time_point next_leader_check_{};
    std::chrono::steady_clock::time_point next_schedule_tick_{};
};

}  // namespace gramkit::jobs
