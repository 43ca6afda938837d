// Redis rate-limit store throughput vs. redis-benchmark running the same Lua
// script (EVALSHA, same arguments) at the same pipeline depth and client
// count. Issue 4 goal: the store reaches ≥ 0.9× of redis-benchmark.
//
// The benchmark starts its own redis-server (no persistence) on a free port
// and stops it at exit; redis-server and redis-benchmark must be on PATH.
//
//   build/redis/benchmarks/bench_redis --benchmark_repetitions=3 \
//       --benchmark_report_aggregates_only=true
//
// Pairs (compare items_per_second):
//   BM_Store_TryAcquire/threads:1            vs BM_RedisBenchmark/clients:1/pipeline:1
//   BM_Store_TryAcquire/threads:2            vs BM_RedisBenchmark/clients:2/pipeline:1
//   BM_Store_TryAcquireMany/16/threads:1     vs BM_RedisBenchmark/clients:1/pipeline:16
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <benchmark/benchmark.h>

#include "ratelimit/gcra.hpp"
#include "ratelimit/redis_connection.hpp"
#include "ratelimit/redis_store.hpp"

extern char** environ;

namespace {

using namespace gramkit;
using namespace gramkit::ratelimit;

// Mostly allowed, sometimes denied: both sides run the same script with the
// same arguments on the same key, so the work per call is identical.
const Limit kLimit{1'000'000, std::chrono::seconds(1), 1'000'000};
constexpr const char* kPrefix = "gk:rlbench:";
constexpr const char* kKey = "hot";

int g_port = 0;
pid_t g_server = -1;
std::string g_dir;

int free_port() {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    socklen_t len = sizeof addr;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
    ::close(fd);
    return ntohs(addr.sin_port);
}

pid_t spawn(const std::vector<std::string>& args) {
    std::vector<char*> argv;
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    pid_t pid = -1;
    const int rc = posix_spawnp(&pid, argv[0], &fa, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    return rc == 0 ? pid : -1;
}

std::string url() { return "redis://127.0.0.1:" + std::to_string(g_port) + "/0"; }

bool start_server() {
    char tmpl[] = "/tmp/gramkit-redis-bench.XXXXXX";
    if (::mkdtemp(tmpl) == nullptr) return false;
    g_dir = tmpl;
    for (int attempt = 0; attempt < 5; ++attempt) {
        g_port = free_port();
        g_server = spawn({"redis-server", "--port", std::to_string(g_port), "--bind", "127.0.0.1", "--save", "",
                          "--appendonly", "no", "--daemonize", "no", "--dir", g_dir, "--logfile", g_dir + "/redis.log"});
        if (g_server < 0) return false;
        auto parsed = detail::parse_redis_url(url());
        for (int i = 0; i < 100; ++i) {
            if (detail::RedisConnection::open(*parsed, std::chrono::seconds(1), std::chrono::seconds(1))) return true;
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        ::kill(g_server, SIGKILL);
        ::waitpid(g_server, nullptr, 0);
    }
    return false;
}

void stop_server() {
    if (g_server > 0) {
        ::kill(g_server, SIGKILL);
        ::waitpid(g_server, nullptr, 0);
    }
    std::error_code ec;
    if (!g_dir.empty()) std::filesystem::remove_all(g_dir, ec);
}

std::unique_ptr<RedisStore> open_store(std::size_t pool) {
    RedisOptions o;
    o.url = url();
    o.pool_size = pool;
    o.key_prefix = kPrefix;
    auto s = RedisStore::open(std::move(o));
    if (!s) {
        std::fprintf(stderr, "bench_redis: %s\n", s.error().to_string().c_str());
        std::exit(1);
    }
    return std::move(*s);
}

RedisStore* shared_store() {
    static std::unique_ptr<RedisStore> store = open_store(4);
    return store.get();
}

void BM_Store_TryAcquire(benchmark::State& state) {
    RedisStore* store = shared_store();
    for (auto _ : state) {
        auto d = store->try_acquire(kKey, kLimit, 1);
        if (!d) {
            state.SkipWithError(d.error().to_string().c_str());
            break;
        }
        benchmark::DoNotOptimize(d->allowed);
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Store_TryAcquire)->Threads(1)->Threads(2)->UseRealTime()->MinTime(1.0);

void BM_Store_TryAcquireMany(benchmark::State& state) {
    RedisStore* store = shared_store();
    const auto depth = static_cast<std::size_t>(state.range(0));
    std::vector<RedisStore::Request> batch(depth, RedisStore::Request{kKey, kLimit, 1});
    for (auto _ : state) {
        auto ds = store->try_acquire_many(batch);
        if (!ds) {
            state.SkipWithError(ds.error().to_string().c_str());
            break;
        }
        benchmark::DoNotOptimize(ds->data());
    }
    state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(depth));
}
BENCHMARK(BM_Store_TryAcquireMany)->Arg(16)->Threads(1)->UseRealTime()->MinTime(1.0);

// redis-benchmark with the same EVALSHA call: -c clients, -P pipeline depth.
// One iteration = one redis-benchmark run of `requests` calls; the reported
// time per iteration is scaled to one call and items_per_second is its rps.
void BM_RedisBenchmark(benchmark::State& state) {
    const auto clients = state.range(0);
    const auto pipeline = state.range(1);
    const long requests = 200'000;
    const std::string interval =
        std::to_string(gcra::params(kLimit.period.count(), kLimit.rate, kLimit.burst).interval);
    const std::string cmd = "redis-benchmark -h 127.0.0.1 -p " + std::to_string(g_port) + " -c " +
                            std::to_string(clients) + " -P " + std::to_string(pipeline) + " -n " +
                            std::to_string(requests) + " --csv EVALSHA " + std::string(RedisStore::script_sha()) +
                            " 1 " + kPrefix + kKey + " a " + interval + " " + std::to_string(kLimit.burst) +
                            " 1 2>/dev/null";
    double last_rps = 0;
    for (auto _ : state) {
        FILE* p = ::popen(cmd.c_str(), "r");
        if (p == nullptr) {
            state.SkipWithError("cannot run redis-benchmark");
            break;
        }
        char line[512];
        double rps = 0;
        while (std::fgets(line, sizeof line, p) != nullptr) {
            // CSV: "test","rps","avg_latency_ms",... — the data line has the rps.
            double v = 0;
            const char* comma = std::strchr(line, ',');
            if (comma != nullptr && std::sscanf(comma + 1, "\"%lf\"", &v) == 1 && v > 0) rps = v;
        }
        ::pclose(p);
        if (rps <= 0) {
            state.SkipWithError("could not parse redis-benchmark output");
            break;
        }
        last_rps = rps;
        state.SetIterationTime(1.0 / rps);  // seconds per call
    }
    state.counters["items_per_second"] = last_rps;
}
BENCHMARK(BM_RedisBenchmark)
    ->ArgNames({"clients", "pipeline"})
    ->Args({1, 1})
    ->Args({2, 1})
    ->Args({1, 16})
    ->UseManualTime()
    ->Iterations(1);

}  // namespace

int main(int argc, char** argv) {
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
    if (!start_server()) {
        std::fprintf(stderr, "bench_redis: cannot start redis-server (apt-get install redis-server)\n");
        return 1;
    }
    // Load the script (the store does it too; redis-benchmark needs it).
    (void)shared_store();
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    stop_server();
    return 0;
}
