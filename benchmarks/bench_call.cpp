// Cost of the operation registry and of the C ABI (issue 3, DESIGN.md §2):
// one `accounts.get` by id, three ways, measured in the same run on the same
// SQLite file database (1000 accounts with two labels each, WAL, in a
// temporary directory):
//
//   BM_AccountsGet_Direct      engine.accounts().get(id) -> Result<Account>:
//                              the typed C++ call, the baseline
//   BM_AccountsGet_EngineCall  engine.call("accounts.get", R"({"id":N})") ->
//                              JSON string: params parsed and validated, the
//                              result written as JSON, no C boundary
//   BM_AccountsGet_GkCall      gk_call(e, "accounts.get", "{\"id\":N}", &out)
//                              + gk_free(out): the full C ABI round trip
//                              (argument checks, UTF-8 validation, exception
//                              guard, thread-local error state, result copied
//                              into a malloc'd buffer)
//
// Goal (issue 3): gk_call − direct < 5 µs per call.
//
//   build/dev/benchmarks/bench_call --benchmark_min_time=0.2 \
//       --benchmark_repetitions=3 --benchmark_enable_random_interleaving=true \
//       --benchmark_report_aggregates_only=true
//
// (run it 3 times and take the medians; docs/benchmarks.md has the numbers).
//
// Direct and EngineCall share one Engine; gk_call runs on a second engine
// opened with gk_engine_open on the same database file and key file (the C
// handle does not expose its C++ Engine). Every variant reads the ids in the
// same pseudo-random order and has a warm page cache after the first pass.
// The params strings are prepared in advance for both JSON variants: writing
// `{"id":N}` is the host's cost, not gramkit's.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <random>
#include <stdexcept>
#include <string>
#include <system_error>
#include <unistd.h>
#include <vector>

#include "bench_support.hpp"
#include "gramkit/engine.hpp"
#include "gramkit/gramkit.h"

namespace {


constexpr int kAccounts = 1000;

using gramkit::bench::die;
using gramkit::bench::TempDir;

// Minimal JSON string escaping for the config (paths from mkdtemp are plain,
// but stay correct for any TMPDIR).
std::string json_string(const std::string& s) {
    std::string out = "\"";
    for (const char c : s) {
        if (c == '"' || c == '\\') out += '\\';
        out += c;
    }
    return out + '"';
}

struct Fixture {
    TempDir dir{"gramkit-bench-call"};  // declared first: removed last
    std::unique_ptr<gramkit::Engine> engine;
    gk_engine* c_engine = nullptr;
    std::vector<std::int64_t> ids;     // pseudo-random read order
    std::vector<std::string> params;   // {"id":N} for ids[i]

    Fixture() {
        gramkit::EngineConfig config;
        config.data_dir = dir.path().string();
        config.log_level = gramkit::LogLevel::warn;
        auto opened = gramkit::Engine::open(std::move(config));
        if (!opened) die("Engine::open: " + opened.error().to_string());
        engine = std::move(*opened);

        ids.reserve(kAccounts);
        for (int i = 0; i < kAccounts; ++i) {
            gramkit::NewAccount spec;
            spec.username = "bench.user" + std::to_string(i);
            spec.password = "bench-password-" + std::to_string(i);
            if (i % 2 == 0) spec.email = "user" + std::to_string(i) + "@example.org";
            spec.labels = {"bench", i % 3 == 0 ? "group:a" : "group:b"};
            auto created = engine->accounts().create(spec);
            if (!created) die("create: " + created.error().to_string());
            ids.push_back(created->id);
        }
        std::mt19937_64 rng(20240601);
        std::shuffle(ids.begin(), ids.end(), rng);
        params.reserve(ids.size());
        for (const auto id : ids) params.push_back("{\"id\":" + std::to_string(id) + "}");

        const std::string c_config = "{\"data_dir\":" + json_string(dir.path().string()) + ",\"log_level\":\"warn\"}";
        if (gk_engine_open(&c_engine, c_config.c_str()) != GK_OK)
            die(std::string("gk_engine_open: ") + gk_last_error());

        // The three faces must agree before they are timed.
        const auto direct = engine->accounts().get(ids.front());
        if (!direct) die("get: " + direct.error().to_string());
        const auto via_call = engine->call("accounts.get", params.front());
        if (!via_call || via_call->find('"' + direct->username + '"') == std::string::npos)
            die("Engine::call accounts.get does not return " + direct->username);
        char* out = nullptr;
        if (gk_call(c_engine, "accounts.get", params.front().c_str(), &out) != GK_OK)
            die(std::string("gk_call: ") + gk_last_error());
        const bool same = std::string(out) == *via_call;
        gk_free(out);
        if (!same) die("gk_call and Engine::call disagree on accounts.get");
    }
    ~Fixture() {
        gk_engine_close(c_engine);
        engine.reset();
    }
    Fixture(const Fixture&) = delete;
    Fixture& operator=(const Fixture&) = delete;
};

Fixture& fixture() {
    static Fixture f;
    return f;
}

void BM_AccountsGet_Direct(benchmark::State& state) {
    Fixture& f = fixture();
    gramkit::AccountService& accounts = f.engine->accounts();
    std::size_t i = 0;
    for (auto _ : state) {
        auto account = accounts.get(f.ids[i]);
        if (!account) {
            state.SkipWithError(account.error().to_string().c_str());
            break;
        }
        benchmark::DoNotOptimize(account);
        if (++i == f.ids.size()) i = 0;
    }
    state.SetItemsProcessed(state.iterations());
}

void BM_AccountsGet_EngineCall(benchmark::State& state) {
    Fixture& f = fixture();
    std::size_t i = 0;
    for (auto _ : state) {
        auto json = f.engine->call("accounts.get", f.params[i]);
        if (!json) {
            state.SkipWithError(json.error().to_string().c_str());
            break;
        }
        benchmark::DoNotOptimize(json);
        if (++i == f.params.size()) i = 0;
    }
    state.SetItemsProcessed(state.iterations());
}

void BM_AccountsGet_GkCall(benchmark::State& state) {
    Fixture& f = fixture();
    std::size_t i = 0;
    for (auto _ : state) {
        char* out = nullptr;
        const int rc = gk_call(f.c_engine, "accounts.get", f.params[i].c_str(), &out);
        if (rc != GK_OK) {
            state.SkipWithError(gk_last_error());
            break;
        }
        benchmark::DoNotOptimize(out);
        gk_free(out);
        if (++i == f.params.size()) i = 0;
    }
    state.SetItemsProcessed(state.iterations());
}

}  // namespace

BENCHMARK(BM_AccountsGet_Direct)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_AccountsGet_EngineCall)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_AccountsGet_GkCall)->Unit(benchmark::kMicrosecond);

BENCHMARK_MAIN();
