// Multi-process tests of the durable job system (issue 6, "Tests"):
//   - exactly-once completion while worker processes are SIGKILLed mid-job;
//   - a SIGSTOPped worker loses its job to another worker and, resumed,
//     cannot overwrite the other worker's outcome;
//   - two engine processes on one PostgreSQL share 10 000 jobs and one
//     interval schedule.
// Workers are real processes (gramkit_job_worker, job_worker.cpp) started
// with posix_spawn; the test synchronises on their stdout lines and on the
// database, never on sleeps. No assertion depends on how long anything
// took: waits have generous deadlines only so that a bug fails the test
// instead of hanging it.
//
// Environment: GRAMKIT_TEST_POSTGRES_URL (tools/testenv/postgres.sh) for the
// PostgreSQL cases; GRAMKIT_TEST_SEED to replay test (a) with another kill
// sequence; GRAMKIT_TEST_VERBOSE=1 echoes every worker line to stderr.
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "backends.hpp"
#include "core/json.hpp"
#include "gramkit/engine.hpp"
#include "storage/sql.hpp"

extern char** environ;

namespace gramkit::test {
namespace {

constexpr int kCrashTolerantAttempts = 100;


using namespace std::chrono_literals;
using SteadyClock = std::chrono::steady_clock;

#ifndef GRAMKIT_JOB_WORKER
#error "GRAMKIT_JOB_WORKER must name the gramkit_job_worker executable"
#endif
constexpr const char* kWorkerPath = GRAMKIT_JOB_WORKER;

// Deadlines for waits. They only turn a hang into a failure.
constexpr auto kLineDeadline = 60s;
constexpr auto kDrainDeadline = 300s;

bool verbose() {
    const char* v = std::getenv("GRAMKIT_TEST_VERBOSE");
    return v != nullptr && *v != '\0' && std::string_view(v) != "0";
}

// --- a child process with its stdout collected line by line ---------------------

class Child {
public:
    static std::unique_ptr<Child> spawn(std::string name, const std::vector<std::string>& args) {
        int out[2];
        int in[2];
        if (::pipe2(out, O_CLOEXEC) != 0) return nullptr;
        if (::pipe2(in, O_CLOEXEC) != 0) {
            ::close(out[0]);
            ::close(out[1]);
            return nullptr;
        }
        posix_spawn_file_actions_t actions;
        posix_spawn_file_actions_init(&actions);
        posix_spawn_file_actions_adddup2(&actions, in[0], STDIN_FILENO);
        posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
        std::vector<std::string> argv_s;
        argv_s.push_back(kWorkerPath);
        argv_s.insert(argv_s.end(), args.begin(), args.end());
        std::vector<char*> argv;
        for (auto& a : argv_s) argv.push_back(a.data());
        argv.push_back(nullptr);
        pid_t pid = -1;
        const int rc = ::posix_spawn(&pid, kWorkerPath, &actions, nullptr, argv.data(), environ);
        posix_spawn_file_actions_destroy(&actions);
        ::close(out[1]);
        ::close(in[0]);
        if (rc != 0) {
            ::close(out[0]);
            ::close(in[1]);
            return nullptr;
        }
        std::unique_ptr<Child> c(new Child(std::move(name), pid, out[0], in[1]));
        c->reader_ = std::thread([p = c.get()] { p->read_loop(); });
        return c;
    }

    ~Child() {
        if (!exited_) {
            ::kill(pid_, SIGKILL);  // works on a stopped process too
            int status = 0;
            ::waitpid(pid_, &status, 0);
        }
        if (stdin_fd_ >= 0) ::close(stdin_fd_);
        if (reader_.joinable()) reader_.join();  // EOF once the process is gone
        ::close(stdout_fd_);
    }

    const std::string& name() const { return name_; }
    pid_t pid() const { return pid_; }

    void signal(int sig) { ASSERT_EQ(::kill(pid_, sig), 0) << name_ << ": kill(" << sig << ")"; }

    void write_stdin(std::string_view text) {
        ASSERT_EQ(::write(stdin_fd_, text.data(), text.size()), static_cast<ssize_t>(text.size())) << name_;
    }

    /// Waits until `n` lines satisfy `pred` (or the process closed stdout,
    /// or the deadline passed); returns the n-th such line.
    std::optional<std::string> wait_line(const std::function<bool(const std::string&)>& pred, std::size_t n = 1,
                                         std::chrono::seconds deadline = kLineDeadline) {
        std::unique_lock lock(mu_);
        std::optional<std::string> found;
        auto check = [&] {
            std::size_t seen = 0;
            for (const auto& l : lines_) {
                if (pred(l) && ++seen == n) {
                    found = l;
                    return true;
                }
            }
            return eof_;
        };
        cv_.wait_for(lock, deadline, check);
        return found;
    }

    std::optional<std::string> wait_prefix(std::string_view prefix, std::size_t n = 1,
                                           std::chrono::seconds deadline = kLineDeadline) {
        return wait_line([&](const std::string& l) { return l.starts_with(prefix); }, n, deadline);
    }

    std::size_t count(const std::function<bool(const std::string&)>& pred) {
        std::lock_guard lock(mu_);
        return static_cast<std::size_t>(std::count_if(lines_.begin(), lines_.end(), pred));
    }

    std::vector<std::string> lines() {
        std::lock_guard lock(mu_);
        return lines_;
    }

    /// Waits for the process to end (bounded); its wait status, or nullopt.
    std::optional<int> wait_exit(std::chrono::seconds deadline = kLineDeadline) {
        const auto until = SteadyClock::now() + deadline;
        while (!exited_) {
            int status = 0;
            const pid_t r = ::waitpid(pid_, &status, WNOHANG);
            if (r == pid_) {
                exited_ = true;
                status_ = status;
                break;
            }
            if (r < 0 || SteadyClock::now() > until) return std::nullopt;
            std::this_thread::sleep_for(5ms);  // polling interval only
        }
        return status_;
    }

    /// SIGKILL and reap.
    void kill_now() {
        signal(SIGKILL);
        (void)wait_exit();
    }

private:
    Child(std::string name, pid_t pid, int out, int in) : name_(std::move(name)), pid_(pid), stdout_fd_(out), stdin_fd_(in) {}

    void read_loop() {
        std::string buf;
        char chunk[4096];
        for (;;) {
            const ssize_t n = ::read(stdout_fd_, chunk, sizeof chunk);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) break;
            buf.append(chunk, static_cast<std::size_t>(n));
            std::size_t pos;
            std::vector<std::string> fresh;
            while ((pos = buf.find('\n')) != std::string::npos) {
                fresh.push_back(buf.substr(0, pos));
                buf.erase(0, pos + 1);
            }
            if (fresh.empty()) continue;
            if (verbose())
                for (const auto& l : fresh) std::cerr << "[" << name_ << "] " << l << "\n";
            std::lock_guard lock(mu_);
            lines_.insert(lines_.end(), fresh.begin(), fresh.end());
            cv_.notify_all();
        }
        std::lock_guard lock(mu_);
        eof_ = true;
        cv_.notify_all();
    }

    std::string name_;
    pid_t pid_;
    int stdout_fd_;
    int stdin_fd_;
    std::thread reader_;
    std::mutex mu_;
    std::condition_variable cv_;
    std::vector<std::string> lines_;
    bool eof_ = false;
    bool exited_ = false;
    int status_ = 0;
};

std::string describe_status(const std::optional<int>& st) {
    if (!st) return "still running";
    if (WIFEXITED(*st)) return "exited " + std::to_string(WEXITSTATUS(*st));
    if (WIFSIGNALED(*st)) return "killed by signal " + std::to_string(WTERMSIG(*st));
    return "status " + std::to_string(*st);
}

bool has_field(const std::string& line, std::string_view field) {
    // logfmt fields are separated by spaces; match " key=value" exactly.
    const std::string needle = " " + std::string(field);
    for (std::size_t pos = line.find(needle); pos != std::string::npos; pos = line.find(needle, pos + 1)) {
        const std::size_t end = pos + needle.size();
        if (end == line.size() || line[end] == ' ') return true;
    }
    return false;
}

/// The "worker" member of a job result, or "".
std::string result_worker(const std::optional<std::string>& result) {
    if (!result) return {};
    auto v = json::parse(*result);
    if (!v || !v->is_object()) return {};
    const json::Value* w = v->find("worker");
    return w && w->is_string() ? w->as_string() : std::string();
}

// --- the fixture --------------------------------------------------------------------

class JobProcessTest : public StorageBackendTest {
protected:
    void SetUp() override {
        StorageBackendTest::SetUp();
        if (IsSkipped() || HasFatalFailure()) return;
        data_dir_ = std::filesystem::temp_directory_path() /
                    ("gramkit-jobproc-" + std::to_string(::getpid()) + "-" +
                     std::to_string(reinterpret_cast<std::uintptr_t>(this)));
        std::filesystem::create_directories(data_dir_);
        // This engine (no pool) enqueues and inspects; opening it first
        // creates the key file every worker then shares through data_dir.
        EngineConfig config;
        config.storage_url = url();
        config.data_dir = data_dir_.string();
        config.log_level = LogLevel::warn;
        config.storage_pool_size = 4;
        auto opened = Engine::open(std::move(config));
        ASSERT_TRUE(opened.has_value()) << opened.error().to_string();
        engine_ = std::move(*opened);
        // Created here, before any worker, so concurrent workers' CREATE ...
        // IF NOT EXISTS never race each other.
        auto c = db().connection();
        ASSERT_TRUE(c.has_value()) << c.error().to_string();
        auto s = (*c)->execute_script(
            "CREATE TABLE IF NOT EXISTS test_executions (job_id BIGINT NOT NULL, worker TEXT NOT NULL, "
            "attempt INTEGER NOT NULL, at BIGINT NOT NULL);"
            "CREATE TABLE IF NOT EXISTS test_effects (job_id BIGINT PRIMARY KEY, worker TEXT NOT NULL, "
            "at BIGINT NOT NULL);");
        ASSERT_TRUE(s.has_value()) << s.error().to_string();
    }

    void TearDown() override {
        if (HasFailure()) {
            for (const auto& c : children_) {
                const auto lines = c->lines();
                std::cerr << "--- last lines of worker " << c->name() << " (pid " << c->pid() << ")\n";
                for (std::size_t i = lines.size() > 40 ? lines.size() - 40 : 0; i < lines.size(); ++i)
                    std::cerr << "  " << lines[i] << "\n";
            }
        }
        children_.clear();  // SIGKILL + reap whatever still runs
        engine_.reset();
        std::error_code ec;
        if (!data_dir_.empty()) std::filesystem::remove_all(data_dir_, ec);
        StorageBackendTest::TearDown();
    }

    jobs::JobService& jobs() { return engine_->jobs(); }

    Child& spawn_worker(const std::string& name, std::vector<std::string> args) {
        std::vector<std::string> all = {"--storage-url", url(), "--data-dir", data_dir_.string(), "--name", name,
                                        "--parent-pid", std::to_string(::getpid())};
        all.insert(all.end(), args.begin(), args.end());
        auto c = Child::spawn(name, all);
        EXPECT_NE(c, nullptr) << "cannot spawn " << kWorkerPath;
        if (!c) throw std::runtime_error("spawn failed");
        children_.push_back(std::move(c));
        return *children_.back();
    }

    /// SIGTERM: the worker stops its pool gracefully and exits 0.
    void stop_gracefully(Child& c) {
        c.signal(SIGTERM);
        const auto st = c.wait_exit();
        EXPECT_TRUE(st && WIFEXITED(*st) && WEXITSTATUS(*st) == 0)
            << c.name() << " after SIGTERM: " << describe_status(st);
    }

    std::vector<std::int64_t> enqueue_many(int n, std::string kind = "test.effect") {
        std::vector<std::int64_t> ids;
        ids.reserve(static_cast<std::size_t>(n));
        // One transaction per 1000: the 10 000-job test enqueues in seconds.
        // Attempts: a killed worker's lease expiry counts as an attempt, and
        // a job out of attempts goes dead; these jobs must survive 20 kills.
        for (int first = 0; first < n; first += 1000) {
            std::vector<jobs::JobSpec> specs;
            for (int i = first; i < std::min(n, first + 1000); ++i) {
                jobs::JobSpec spec;
                spec.kind = kind;
                spec.payload = "{\"n\":" + std::to_string(i) + "}";
                spec.max_attempts = kCrashTolerantAttempts;
                specs.push_back(std::move(spec));
            }
            auto batch = jobs().enqueue_many(specs);
            EXPECT_TRUE(batch.has_value()) << batch.error().to_string();
            if (!batch) break;
            for (const auto& job : *batch) ids.push_back(job.id);
        }
        return ids;
    }

    std::int64_t scalar(std::string_view sql, std::initializer_list<storage::Param> params = {}) {
        auto c = db().connection();
        EXPECT_TRUE(c.has_value()) << c.error().to_string();
        if (!c) return -1;
        std::int64_t out = -1;
        auto s = storage::query(**c, sql, params, [&](const storage::Row& r) -> Status {
            out = r.is_null(0) ? 0 : r.i64(0);
            return {};
        });
        EXPECT_TRUE(s.has_value()) << sql << ": " << s.error().to_string();
        return out;
    }

    /// Polls `pred` (each poll a short pause, the only sleep allowed)
    /// until it holds or the deadline passes.
    bool eventually(const std::function<bool()>& pred, std::chrono::seconds deadline = kDrainDeadline) {
        const auto until = SteadyClock::now() + deadline;
        for (;;) {
            if (pred()) return true;
            if (HasFatalFailure() || SteadyClock::now() > until) return false;
            std::this_thread::sleep_for(20ms);  // polling interval only
        }
    }

    std::int64_t count_state(std::string_view kind, std::string_view state) {
        return scalar("SELECT COUNT(*) FROM jobs WHERE kind = $1 AND state = $2", {kind, state});
    }

    std::unique_ptr<Engine> engine_;
    std::filesystem::path data_dir_;
    std::vector<std::unique_ptr<Child>> children_;
};

// ==== (a) exactly once under SIGKILL ================================================

class JobCrashTest : public JobProcessTest {};

TEST_P(JobCrashTest, EveryJobSucceedsExactlyOnceWhileWorkersAreKilled) {
    constexpr int kJobs = 200;
    constexpr int kKills = 20;
    unsigned seed = 20240601;
    if (const char* s = std::getenv("GRAMKIT_TEST_SEED")) seed = static_cast<unsigned>(std::strtoul(s, nullptr, 10));
    std::cerr << "kill sequence seed: " << seed << " (GRAMKIT_TEST_SEED to replay)\n";
    std::mt19937 rng(seed);

    const auto ids = enqueue_many(kJobs);
    ASSERT_EQ(ids.size(), static_cast<std::size_t>(kJobs));

    // The execution each killed worker was stalled in when it died, as
    // (worker, job id): it cannot have completed (its handler was blocked,
    // not writing), so the job must have been run again by someone else.
    // (Other executions the kill seemed to interrupt may still complete: on
    // PostgreSQL a statement the worker sent just before dying is finished
    // and committed by the server.)
    std::vector<std::pair<std::string, std::int64_t>> stalled;
    for (int k = 0; k < kKills; ++k) {
        const std::int64_t unfinished = kJobs - count_state("test.effect", "succeeded");
        ASSERT_GT(unfinished, 0) << "every job finished before kill " << k << "; make the workers slower";
        // Kill once this worker has started the stall-th handler; that
        // handler holds until the lease is lost, so the kill always lands
        // mid-job, while the worker's other handlers (concurrency 4, short
        // random holds) are at arbitrary points: claiming, inserting the
        // execution row, holding, inserting the effect, completing.
        const long stall = std::uniform_int_distribution<long>(1, std::min<std::int64_t>(unfinished, 12))(rng);
        const int hold = std::uniform_int_distribution<int>(0, 25)(rng);
        const std::string name = "kill" + std::to_string(k);
        Child& w = spawn_worker(name, {"--concurrency", "4", "--lease-ms", "1000", "--hold-ms", std::to_string(hold),
                                       "--stall-at", std::to_string(stall), "--poll-ms", "20"});
        const auto line = w.wait_prefix("exec ", static_cast<std::size_t>(stall));
        ASSERT_TRUE(line) << name << " never started its execution #" << stall;
        w.kill_now();
        const auto st = w.wait_exit();
        ASSERT_TRUE(st && WIFSIGNALED(*st) && WTERMSIG(*st) == SIGKILL) << name << ": " << describe_status(st);
        stalled.emplace_back(name, std::stoll(line->substr(5)));  // "exec <id> <attempt>"
    }

    Child& last = spawn_worker("final", {"--concurrency", "4", "--lease-ms", "1000", "--poll-ms", "20"});
    ASSERT_TRUE(last.wait_prefix("ready"));
    ASSERT_TRUE(eventually([&] { return count_state("test.effect", "succeeded") == kJobs; }))
        << "only " << count_state("test.effect", "succeeded") << " of " << kJobs << " jobs succeeded";
    stop_gracefully(last);

    // None lost, none in another state.
    auto counts = jobs().counts();
    ASSERT_TRUE(counts.has_value()) << counts.error().to_string();
    for (const auto& [state, n] : *counts) EXPECT_EQ(n, state == "succeeded" ? kJobs : 0) << "state " << state;

    // The idempotent effect exists exactly once per job (primary key), for
    // every job and only for these jobs.
    EXPECT_EQ(scalar("SELECT COUNT(*) FROM test_effects"), kJobs);
    EXPECT_EQ(scalar("SELECT COUNT(*) FROM test_effects f JOIN jobs j ON j.id = f.job_id"), kJobs);

    // Re-runs happened: every stalled execution was followed by another
    // one that produced the result.
    const std::int64_t executions = scalar("SELECT COUNT(*) FROM test_executions");
    EXPECT_GE(executions, kJobs + kKills);
    for (const auto& [worker, id] : stalled) {
        auto job = jobs().get(id);
        ASSERT_TRUE(job.has_value()) << job.error().to_string();
        EXPECT_NE(result_worker(job->result), worker) << "job " << id << " stalled in " << worker;
        EXPECT_GE(job->attempts, 2) << "job " << id;
    }
    EXPECT_EQ(scalar("SELECT COUNT(DISTINCT job_id) FROM test_executions"), kJobs);

    // Completed exactly once: no handler started after its job succeeded,
    // and the stored result names a worker that did run the job.
    EXPECT_EQ(scalar("SELECT COUNT(*) FROM test_executions e JOIN jobs j ON j.id = e.job_id "
                     "WHERE e.at > j.finished_at"),
              0);
    std::int64_t attempts_max = 0;
    std::int64_t over_max = 0;
    jobs::JobFilter filter;
    filter.limit = 1000;
    auto page = jobs().list(filter);
    ASSERT_TRUE(page.has_value()) << page.error().to_string();
    ASSERT_EQ(page->items.size(), static_cast<std::size_t>(kJobs));
    for (const auto& job : page->items) {
        const std::string worker = result_worker(job.result);
        EXPECT_FALSE(worker.empty()) << "job " << job.id << " result " << job.result.value_or("<none>");
        EXPECT_EQ(scalar("SELECT COUNT(*) FROM test_executions WHERE job_id = $1 AND worker = $2", {job.id, worker}), 1)
            << "job " << job.id << ": its result names " << worker << ", which must have run it exactly once";
        EXPECT_FALSE(job.lease_owner.has_value());
        attempts_max = std::max<std::int64_t>(attempts_max, job.attempts);
        if (job.attempts > job.max_attempts) ++over_max;
    }
    EXPECT_EQ(over_max, 0) << "a re-claim after a lost lease must count against max_attempts";
    std::cerr << "jobs " << kJobs << ", executions " << executions << " (re-runs " << executions - kJobs << ")"
              << ", most attempts of one job " << attempts_max << "\n";
}

GRAMKIT_INSTANTIATE_STORAGE_BACKENDS_WHERE(JobCrashTest, shares_data_across_opens);

// ==== (b) SIGSTOP: the zombie is overtaken and cannot overwrite ======================

class JobZombieTest : public JobProcessTest {
protected:
    /// Waits until job `id` succeeded; returns it.
    jobs::Job await_succeeded(std::int64_t id) {
        jobs::Job out;
        const bool done = eventually(
            [&] {
                auto j = jobs().get(id);
                if (!j) return false;
                out = *j;
                return j->state == jobs::JobState::succeeded;
            },
            120s);
        EXPECT_TRUE(done) << "job " << id << " is " << jobs::to_string(out.state);
        return out;
    }

    std::string effect_worker(std::int64_t id) {
        auto c = db().connection();
        EXPECT_TRUE(c.has_value());
        std::string out;
        if (!c) return out;
        (void)storage::query(**c, "SELECT worker FROM test_effects WHERE job_id = $1", {id}, [&](const storage::Row& r) -> Status {
            out = r.text(0);
            return {};
        });
        return out;
    }
};

// Worker A holds the job (its handler waits); the test freezes A with
// SIGSTOP; A's lease (1 s) runs out, B claims the job and finishes it. A,
// resumed, learns at its next heartbeat that the lease is gone: its handler
// is told to stop and its outcome is discarded. B's result stands.
TEST_P(JobZombieTest, StoppedWorkerPastItsLeaseIsOvertakenAndItsOutcomeDiscarded) {
    const auto ids = enqueue_many(1);
    ASSERT_EQ(ids.size(), 1u);
    const std::int64_t id = ids[0];
    const std::string id_field = "id=" + std::to_string(id);

    Child& a = spawn_worker("A", {"--lease-ms", "1000", "--hold-ms", "600000", "--poll-ms", "20"});
    ASSERT_TRUE(a.wait_prefix("exec " + std::to_string(id) + " ")) << "A never started the job";
    a.signal(SIGSTOP);

    Child& b = spawn_worker("B", {"--lease-ms", "1000", "--poll-ms", "20"});
    const jobs::Job finished = await_succeeded(id);
    ASSERT_EQ(finished.state, jobs::JobState::succeeded);
    EXPECT_EQ(result_worker(finished.result), "B");
    EXPECT_EQ(finished.attempts, 2);
    EXPECT_EQ(effect_worker(id), "B");

    a.signal(SIGCONT);
    // A's handler wakes (lease lost), does its idempotent effect anyway and
    // returns success, which the runner must discard.
    ASSERT_TRUE(a.wait_prefix("done " + std::to_string(id))) << "A's handler never returned";
    const auto rejected = a.wait_line([&](const std::string& l) {
        return l.starts_with("log ") && has_field(l, id_field) &&
               (has_field(l, "event=job.outcome_discarded") || has_field(l, "event=job.lease_lost"));
    });
    ASSERT_TRUE(rejected) << "A never reported that its outcome was rejected";
    std::cerr << "A: " << *rejected << "\n";
    // The runner logs the discard after the handler returned; wait for it so
    // that A has written everything it ever will before the last check.
    ASSERT_TRUE(a.wait_line([&](const std::string& l) {
        return has_field(l, id_field) &&
               (has_field(l, "event=job.outcome_discarded") ||
                (has_field(l, "event=job.lease_lost") && l.find(" error=") != std::string::npos));
    }));

    auto after = jobs().get(id);
    ASSERT_TRUE(after.has_value());
    EXPECT_EQ(after->state, jobs::JobState::succeeded);
    EXPECT_EQ(result_worker(after->result), "B");
    EXPECT_EQ(after->finished_at, finished.finished_at);
    EXPECT_EQ(effect_worker(id), "B");
    EXPECT_EQ(scalar("SELECT COUNT(*) FROM test_executions WHERE job_id = $1", {id}), 2);
    EXPECT_EQ(scalar("SELECT COUNT(*) FROM test_executions WHERE job_id = $1 AND worker = 'A' AND attempt = 1", {id}), 1);
    EXPECT_EQ(scalar("SELECT COUNT(*) FROM test_executions WHERE job_id = $1 AND worker = 'B' AND attempt = 2", {id}), 1);

    stop_gracefully(a);
    stop_gracefully(b);
}

// The same, but the zombie's handler finishes on its own once resumed, so
// its completion reaches the database and must be refused by the lease
// token. A's lease is 1 h (its next heartbeat is 20 min away, far beyond
// this test), so nothing but the token can stop the write; the lease is
// made to run out by moving its expiry into the past while A is stopped,
// exactly what the clock would do.
TEST_P(JobZombieTest, ResumedZombieCompletionIsRejectedByTheLeaseToken) {
    const auto ids = enqueue_many(1);
    ASSERT_EQ(ids.size(), 1u);
    const std::int64_t id = ids[0];
    const std::string id_field = "id=" + std::to_string(id);

    Child& a = spawn_worker("A", {"--lease-ms", "3600000", "--hold-until-release", "--poll-ms", "20"});
    ASSERT_TRUE(a.wait_prefix("exec " + std::to_string(id) + " ")) << "A never started the job";
    a.signal(SIGSTOP);
    ASSERT_EQ(scalar("SELECT COUNT(*) FROM jobs WHERE id = $1 AND state = 'running' AND lease_owner IS NOT NULL", {id}), 1);
    {
        auto c = db().connection();
        ASSERT_TRUE(c.has_value());
        auto n = storage::exec(**c, "UPDATE jobs SET lease_expires_at = $2 WHERE id = $1 AND state = 'running'",
                               {id, std::int64_t{1}});
        ASSERT_TRUE(n.has_value()) << n.error().to_string();
        ASSERT_EQ(*n, 1);
    }

    Child& b = spawn_worker("B", {"--lease-ms", "1000", "--poll-ms", "20"});
    const jobs::Job finished = await_succeeded(id);
    ASSERT_EQ(finished.state, jobs::JobState::succeeded);
    EXPECT_EQ(result_worker(finished.result), "B");

    a.write_stdin("release\n");
    a.signal(SIGCONT);
    ASSERT_TRUE(a.wait_prefix("done " + std::to_string(id))) << "A's handler never returned";
    const auto rejected = a.wait_line([&](const std::string& l) {
        return l.starts_with("log ") && has_field(l, id_field) &&
               (has_field(l, "event=job.outcome_discarded") || has_field(l, "event=job.lease_lost"));
    });
    ASSERT_TRUE(rejected) << "A never reported that its outcome was rejected";
    std::cerr << "A: " << *rejected << "\n";
    // The completion itself was attempted and refused (not discarded before
    // reaching the database): the runner's lease_lost carries the error.
    EXPECT_TRUE(has_field(*rejected, "event=job.lease_lost")) << *rejected;
    EXPECT_NE(rejected->find("lease lost"), std::string::npos) << *rejected;

    auto after = jobs().get(id);
    ASSERT_TRUE(after.has_value());
    EXPECT_EQ(after->state, jobs::JobState::succeeded);
    EXPECT_EQ(result_worker(after->result), "B");
    EXPECT_EQ(after->finished_at, finished.finished_at);
    EXPECT_EQ(effect_worker(id), "B");
    EXPECT_EQ(scalar("SELECT COUNT(*) FROM test_executions WHERE job_id = $1", {id}), 2);

    stop_gracefully(a);
    stop_gracefully(b);
}

GRAMKIT_INSTANTIATE_STORAGE_BACKENDS_WHERE(JobZombieTest, shares_data_across_opens);

// ==== (c) two engines on one PostgreSQL ================================================

class JobTwoEnginesTest : public JobProcessTest {};

TEST_P(JobTwoEnginesTest, TenThousandJobsRunOnceAndTheScheduleFiresOncePerPeriod) {
    constexpr int kJobs = 10000;
    constexpr auto kInterval = std::chrono::seconds(1);

    jobs::ScheduleSpec spec;
    spec.name = "tick";
    spec.kind = "test.tick";
    spec.interval = kInterval;
    spec.priority = 10;
    auto schedule = jobs().create_schedule(spec);
    ASSERT_TRUE(schedule.has_value()) << schedule.error().to_string();

    const auto t0 = SteadyClock::now();
    const auto ids = enqueue_many(kJobs);
    ASSERT_EQ(ids.size(), static_cast<std::size_t>(kJobs));
    const auto t1 = SteadyClock::now();

    const std::vector<std::string> args = {"--kind", "test.effect", "--kind", "test.tick", "--concurrency", "8",
                                           "--lease-ms", "5000", "--claim-batch", "32", "--poll-ms", "20",
                                           "--schedules", "--leader-lease-ms", "3000"};
    Child& p1 = spawn_worker("P1", args);
    Child& p2 = spawn_worker("P2", args);
    ASSERT_TRUE(p1.wait_prefix("ready"));
    ASSERT_TRUE(p2.wait_prefix("ready"));

    ASSERT_TRUE(eventually([&] { return count_state("test.effect", "succeeded") == kJobs; }))
        << count_state("test.effect", "succeeded") << " of " << kJobs << " succeeded";
    const auto t2 = SteadyClock::now();
    // The schedule must have fired; wait for two of its jobs to be done
    // (bounded: another process on this database may hold the scheduler's
    // advisory lock for a while).
    ASSERT_TRUE(eventually([&] { return count_state("test.tick", "succeeded") >= 2; }, 120s))
        << "the schedule fired " << scalar("SELECT COUNT(*) FROM jobs WHERE kind = 'test.tick'") << " times";
    stop_gracefully(p1);
    stop_gracefully(p2);

    std::cerr << "enqueue " << std::chrono::duration_cast<std::chrono::milliseconds>(t1 - t0).count()
              << " ms, processing " << std::chrono::duration_cast<std::chrono::milliseconds>(t2 - t1).count()
              << " ms\n";

    // Every job ran exactly once and its effect exists exactly once.
    EXPECT_EQ(count_state("test.effect", "succeeded"), kJobs);
    EXPECT_EQ(scalar("SELECT COUNT(*) FROM test_executions e JOIN jobs j ON j.id = e.job_id "
                     "WHERE j.kind = 'test.effect'"),
              kJobs);
    EXPECT_EQ(scalar("SELECT COUNT(DISTINCT e.job_id) FROM test_executions e JOIN jobs j ON j.id = e.job_id "
                     "WHERE j.kind = 'test.effect'"),
              kJobs);
    EXPECT_EQ(scalar("SELECT COUNT(*) FROM test_effects f JOIN jobs j ON j.id = f.job_id WHERE j.kind = 'test.effect'"),
              kJobs);
    EXPECT_EQ(scalar("SELECT COUNT(*) FROM jobs WHERE kind = 'test.effect' AND attempts <> 1"), 0);
    const std::int64_t by_p1 = scalar("SELECT COUNT(*) FROM test_executions WHERE worker = 'P1'");
    const std::int64_t by_p2 = scalar("SELECT COUNT(*) FROM test_executions WHERE worker = 'P2'");
    std::cerr << "executions: P1 " << by_p1 << ", P2 " << by_p2 << "\n";
    EXPECT_GT(by_p1, 0);
    EXPECT_GT(by_p2, 0);

    // The schedule fired at most once per period: the period of each fired
    // job (from the schedule's creation, the phase fire times keep) is
    // distinct. Each fired job also ran exactly once.
    const std::int64_t created = to_micros(schedule->created_at);
    const std::int64_t interval_us = std::chrono::duration_cast<std::chrono::microseconds>(kInterval).count();
    std::vector<std::int64_t> periods;
    {
        auto c = db().connection();
        ASSERT_TRUE(c.has_value());
        auto s = storage::query(**c, "SELECT created_at FROM jobs WHERE kind = 'test.tick' ORDER BY created_at",
                                std::span<const storage::Param>(),
                                [&](const storage::Row& r) -> Status {
                                    periods.push_back((r.i64(0) - created) / interval_us);
                                    return {};
                                });
        ASSERT_TRUE(s.has_value()) << s.error().to_string();
    }
    ASSERT_GE(periods.size(), 1u);
    const std::set<std::int64_t> distinct(periods.begin(), periods.end());
    EXPECT_EQ(distinct.size(), periods.size()) << "two jobs fired in the same period";
    for (std::int64_t p : periods) EXPECT_GE(p, 1) << "fired before its first period ended";
    EXPECT_EQ(scalar("SELECT COUNT(*) FROM (SELECT e.job_id FROM test_executions e JOIN jobs j ON j.id = e.job_id "
                     "WHERE j.kind = 'test.tick' GROUP BY e.job_id HAVING COUNT(*) > 1) AS twice"),
              0);
    EXPECT_EQ(scalar("SELECT COUNT(*) FROM jobs j WHERE j.kind = 'test.tick' AND j.state = 'succeeded' AND NOT EXISTS "
                     "(SELECT 1 FROM test_executions e WHERE e.job_id = j.id)"),
              0);
    const auto fired_lines = [](Child& c) {
        return c.count([](const std::string& l) { return has_field(l, "event=schedule.fired"); });
    };
    const auto leader_lines = [](Child& c) {
        return c.count([](const std::string& l) { return has_field(l, "event=leader.acquired"); });
    };
    std::cerr << "schedule fired " << periods.size() << " times (P1 " << fired_lines(p1) << ", P2 " << fired_lines(p2)
              << "); leader.acquired: P1 " << leader_lines(p1) << ", P2 " << leader_lines(p2) << "\n";
    EXPECT_EQ(fired_lines(p1) + fired_lines(p2), periods.size());
}

GRAMKIT_INSTANTIATE_STORAGE_BACKENDS_WHERE(JobTwoEnginesTest, is_postgres_backend);

}  // namespace
}  // namespace gramkit::test
