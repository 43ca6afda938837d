// gramkit_job_worker: one engine process with a worker pool, driven by
// job_process_test.cpp (crashes, SIGSTOP zombies, two engines on one
// PostgreSQL). It is a test tool, not an example of a good worker.
//
//   gramkit_job_worker --storage-url URL --data-dir DIR --name NAME
//       [--kind KIND]... --concurrency N --lease-ms MS [--hold-ms MS]
//       [--stall-at K] [--hold-until-release] [--schedules]
//       [--leader-lease-ms MS] [--poll-ms MS] [--claim-batch N]
//       [--parent-pid PID]   (SIGKILLed when that parent dies)
//
// The handler (the same for every --kind) does, in order:
//   1. INSERT a row into test_executions (job_id, worker, attempt): NOT
//      idempotent, one row per handler start, so the test counts executions;
//   2. prints "exec <job id> <attempt>";
//   3. holds: --hold-ms via ctx.wait_cancelled (never a sleep); the K-th
//      execution of this process with --stall-at K, and every execution with
//      --hold-until-release, hold until the job is cancelled / its lease is
//      lost (or, for --hold-until-release, a "release" line on stdin);
//   4. INSERT INTO test_effects (job_id, worker, at) ON CONFLICT DO NOTHING:
//      the idempotent side effect, whatever happened in 3 (a zombie that
//      does not check ctx.cancelled() would do the same);
//   5. prints "done <job id>" and returns success with the result
//      {"worker": NAME, "pid": PID}.
//
// stdout, one line per event, written with one write(2) each: "ready" once
// the pool runs; "exec ..."/"done ..." as above; "log <logfmt record>" for
// every engine log record at info level or above (job.lease_lost,
// job.outcome_discarded, leader.acquired, schedule.fired, ...); "stopped"
// after SIGTERM/SIGINT has stopped the pool gracefully (exit status 0).
#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "core/json.hpp"
#include "gramkit/engine.hpp"
#include "storage/sql.hpp"

using namespace gramkit;

namespace {

struct Options {
    std::string storage_url;
    std::string data_dir;
    std::string name;
    std::vector<std::string> kinds;
    int concurrency = 1;
    int lease_ms = 1000;
    int hold_ms = 0;
    long stall_at = 0;  // 0 = never
    bool hold_until_release = false;
    bool schedules = false;
    int leader_lease_ms = 3000;
    int poll_ms = 50;
    int claim_batch = 32;
    long parent_pid = 0;  // 0 = outlive the parent
};

void emit(std::string line) {
    line += '\n';
    // One write per line: lines of concurrent handlers never interleave
    // (a pipe write of at most PIPE_BUF bytes is atomic).
    std::string_view rest = line;
    while (!rest.empty()) {
        const ssize_t n = ::write(STDOUT_FILENO, rest.data(), rest.size());
        if (n <= 0) return;
        rest.remove_prefix(static_cast<std::size_t>(n));
    }
}

[[noreturn]] void usage(std::string_view why) {
    std::cerr << "gramkit_job_worker: " << why << "\n";
    std::exit(2);
}

Options parse_args(int argc, char** argv) {
    Options o;
    for (int i = 1; i < argc; ++i) {
        const std::string_view a = argv[i];
        auto value = [&]() -> std::string {
            if (i + 1 >= argc) usage(std::string(a) + " needs a value");
            return argv[++i];
        };
        auto number = [&]() -> long {
            const std::string v = value();
            char* end = nullptr;
            const long n = std::strtol(v.c_str(), &end, 10);
            if (end == v.c_str() || *end != '\0' || n < 0) usage(std::string(a) + ": not a number: " + v);
            return n;
        };
        if (a == "--storage-url") o.storage_url = value();
        else if (a == "--data-dir") o.data_dir = value();
        else if (a == "--name") o.name = value();
        else if (a == "--kind") o.kinds.push_back(value());
        else if (a == "--concurrency") o.concurrency = static_cast<int>(number());
        else if (a == "--lease-ms") o.lease_ms = static_cast<int>(number());
        else if (a == "--hold-ms") o.hold_ms = static_cast<int>(number());
        else if (a == "--stall-at") o.stall_at = number();
        else if (a == "--hold-until-release") o.hold_until_release = true;
        else if (a == "--schedules") o.schedules = true;
        else if (a == "--leader-lease-ms") o.leader_lease_ms = static_cast<int>(number());
        else if (a == "--poll-ms") o.poll_ms = static_cast<int>(number());
        else if (a == "--claim-batch") o.claim_batch = static_cast<int>(number());
        else if (a == "--parent-pid") o.parent_pid = number();
        else usage("unknown argument " + std::string(a));
    }
    if (o.storage_url.empty() || o.data_dir.empty()) usage("--storage-url and --data-dir are required");
    if (o.name.empty()) o.name = "w" + std::to_string(::getpid());
    if (o.kinds.empty()) o.kinds.push_back("test.effect");
    return o;
}

constexpr std::string_view kTestTables =
    "CREATE TABLE IF NOT EXISTS test_executions (job_id BIGINT NOT NULL, worker TEXT NOT NULL, "
    "attempt INTEGER NOT NULL, at BIGINT NOT NULL);"
    "CREATE TABLE IF NOT EXISTS test_effects (job_id BIGINT PRIMARY KEY, worker TEXT NOT NULL, at BIGINT NOT NULL);";

// "release" lines on stdin (for --hold-until-release).
struct ReleaseGate {
    std::mutex mu;
    std::condition_variable cv;
    bool released = false;

    void open() {
        std::lock_guard lock(mu);
        released = true;
        cv.notify_all();
    }
    /// Until released or the job is cancelled (checked at least every
    /// 20 ms: JobContext offers no way to wait on both at once).
    void wait(jobs::JobContext& ctx) {
        std::unique_lock lock(mu);
        while (!released && !ctx.cancelled()) cv.wait_for(lock, std::chrono::milliseconds(20));
    }
};

}  // namespace

int main(int argc, char** argv) {
    const Options opt = parse_args(argc, argv);

    // Die with the test process even when it is killed without running
    // its destructors (a ctest timeout): no orphaned workers.
    if (opt.parent_pid != 0) {
        ::prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (::getppid() != static_cast<pid_t>(opt.parent_pid)) return 3;  // already gone
    }

    // SIGTERM/SIGINT are taken by sigwait below; block them before any
    // thread exists so that every thread inherits the mask.
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGTERM);
    sigaddset(&stop_signals, SIGINT);
    pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
    ::signal(SIGPIPE, SIG_IGN);

    storage::OpenOptions db_options;
    db_options.pool_size = static_cast<std::size_t>(opt.concurrency) * opt.kinds.size() + 2;
    db_options.busy_timeout = std::chrono::seconds(30);
    db_options.acquire_timeout = std::chrono::seconds(30);
    auto db = storage::Database::open(opt.storage_url, db_options);
    if (!db) {
        std::cerr << "cannot open the test database: " << db.error().to_string() << "\n";
        return 1;
    }
    {
        auto c = (*db)->connection();
        if (!c) {
            std::cerr << "no connection: " << c.error().to_string() << "\n";
            return 1;
        }
        if (auto s = (*c)->execute_script(kTestTables); !s) {
            std::cerr << "cannot create the test tables: " << s.error().to_string() << "\n";
            return 1;
        }
    }

    auto config = parse_engine_config(R"({"log_level":"info"})");
    if (!config) {
        std::cerr << config.error().to_string() << "\n";
        return 1;
    }
    config->storage_url = opt.storage_url;
    config->data_dir = opt.data_dir;
    config->storage_pool_size = static_cast<std::size_t>(opt.concurrency) * opt.kinds.size() + 4;
    config->log_sink = [](const LogRecord& r) {
        if (r.level >= LogLevel::info) emit("log " + format_logfmt(r));
    };
    auto engine = Engine::open(std::move(*config));
    if (!engine) {
        std::cerr << "cannot open the engine: " << engine.error().to_string() << "\n";
        return 1;
    }

    ReleaseGate gate;
    if (opt.hold_until_release) {
        std::thread([&gate] {
            std::string line;
            while (std::getline(std::cin, line))
                if (line == "release") gate.open();
        }).detach();
    }

    std::atomic<long> executions{0};
    storage::Database& test_db = **db;
    const std::string pid = std::to_string(::getpid());
    jobs::Handler handler = [&](jobs::JobContext& ctx) -> jobs::JobOutcome {
        const jobs::Job& job = ctx.job();
        const std::int64_t now = to_micros(SystemClock::shared()->now());
        {
            auto c = test_db.connection();
            if (!c) return jobs::JobOutcome::failure("test db: " + c.error().message);
            if (auto r = storage::exec(**c, "INSERT INTO test_executions (job_id, worker, attempt, at) VALUES ($1, $2, $3, $4)",
                                       {job.id, opt.name, job.attempts, now});
                !r)
                return jobs::JobOutcome::failure("test_executions: " + r.error().message);
        }
        const long n = ++executions;
        emit("exec " + std::to_string(job.id) + " " + std::to_string(job.attempts));
        if (opt.hold_until_release) {
            gate.wait(ctx);
        } else if (opt.stall_at > 0 && n == opt.stall_at) {
            while (!ctx.wait_cancelled(std::chrono::hours(1))) {
            }
        } else if (opt.hold_ms > 0) {
            ctx.wait_cancelled(std::chrono::milliseconds(opt.hold_ms));
        }
        {
            auto c = test_db.connection();
            if (!c) return jobs::JobOutcome::failure("test db: " + c.error().message);
            if (auto r = storage::exec(**c,
                                       "INSERT INTO test_effects (job_id, worker, at) VALUES ($1, $2, $3) "
                                       "ON CONFLICT (job_id) DO NOTHING",
                                       {job.id, opt.name, to_micros(SystemClock::shared()->now())});
                !r)
                return jobs::JobOutcome::failure("test_effects: " + r.error().message);
        }
        emit("done " + std::to_string(job.id));
        json::Value result = json::Value::object();
        result.set("worker", opt.name);
        result.set("pid", static_cast<std::int64_t>(::getpid()));
        return jobs::JobOutcome::success(json::to_string(result));
    };

    jobs::JobService& js = (*engine)->jobs();
    for (const std::string& kind : opt.kinds) {
        jobs::KindOptions k;
        k.concurrency = opt.concurrency;
        k.lease = std::chrono::milliseconds(opt.lease_ms);
        if (auto s = js.register_handler(kind, handler, k); !s) {
            std::cerr << "register_handler(" << kind << "): " << s.error().to_string() << "\n";
            return 1;
        }
    }
    jobs::WorkerOptions w;
    w.poll_interval = std::chrono::milliseconds(opt.poll_ms);
    w.claim_batch = static_cast<std::size_t>(opt.claim_batch);
    w.shutdown_grace = std::chrono::milliseconds(2000);
    w.run_schedules = opt.schedules;
    w.leader_lock = "auto";
    w.leader_lease = std::chrono::milliseconds(opt.leader_lease_ms);
    if (auto s = js.start(w); !s) {
        std::cerr << "start: " << s.error().to_string() << "\n";
        return 1;
    }
    emit("ready " + pid + " " + js.status().owner);

    int sig = 0;
    sigwait(&stop_signals, &sig);
    emit("stopping");
    js.stop();
    engine->reset();
    emit("stopped");
    return 0;
}
