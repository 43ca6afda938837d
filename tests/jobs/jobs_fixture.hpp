// An Engine on a fresh database of each storage backend, with a manual
// clock, plus a way to wait for job events without sleeping: tests block on
// a condition variable fed by the engine's event bus.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "backends.hpp"
#include "core/json.hpp"
#include "gramkit/engine.hpp"

namespace gramkit::test {

class JobsTest : public StorageBackendTest {
protected:
    void SetUp() override {
        StorageBackendTest::SetUp();
        if (IsSkipped() || HasFatalFailure()) return;
        data_dir_ = std::filesystem::temp_directory_path() /
                    ("gramkit-jobs-" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) + "-" +
                     std::to_string(reinterpret_cast<std::uintptr_t>(this)));
        std::filesystem::create_directories(data_dir_);
        clock = std::make_shared<ManualClock>();
        EngineConfig config;
        config.storage_url = url();
        config.data_dir = data_dir_.string();
        config.clock = clock;
        config.log_level = LogLevel::error;  // quiet: the key-file notice on every open
        config.storage_pool_size = 8;
        auto opened = Engine::open(std::move(config));
        ASSERT_TRUE(opened.has_value()) << opened.error().to_string();
        engine = std::move(*opened);
        subscription_ = engine->events().subscribe([this](const Event& e) { on_event(e); });
    }

    void TearDown() override {
        if (engine) {
            engine->jobs().stop();
            engine->events().unsubscribe(subscription_);
        }
        engine.reset();
        std::error_code ec;
        std::filesystem::remove_all(data_dir_, ec);
        StorageBackendTest::TearDown();
    }

    jobs::JobService& jobs() { return engine->jobs(); }

    jobs::Job enqueue(std::string kind, std::string payload = "{}") {
        jobs::JobSpec spec;
        spec.kind = std::move(kind);
        spec.payload = std::move(payload);
        auto job = jobs().enqueue(spec);
        EXPECT_TRUE(job.has_value()) << job.error().to_string();
        return job.value_or(jobs::Job{});
    }

    jobs::Job get(std::int64_t id) {
        auto job = jobs().get(id);
        EXPECT_TRUE(job.has_value()) << job.error().to_string();
        return job.value_or(jobs::Job{});
    }

    /// Waits (bounded, generous) until job `id` has published job.finished
    /// `count` times; returns the states it reported, in order.
    std::vector<std::string> await_finished(std::int64_t id, std::size_t count = 1) {
        std::unique_lock lock(mu_);
        cv_.wait_for(lock, std::chrono::seconds(60), [&] { return finished_[id].size() >= count; });
        return finished_[id];
    }

    /// Waits until job `id` has published job.started `count` times.
    bool await_started(std::int64_t id, std::size_t count = 1) {
        std::unique_lock lock(mu_);
        return cv_.wait_for(lock, std::chrono::seconds(60), [&] { return started_[id] >= count; });
    }

    std::vector<std::string> event_types() {
        std::lock_guard lock(mu_);
        return types_;
    }

    jobs::WorkerOptions fast_pool() {
        jobs::WorkerOptions o;
        o.poll_interval = std::chrono::milliseconds(5);
        o.shutdown_grace = std::chrono::milliseconds(0);
        o.run_schedules = false;
        return o;
    }

    std::shared_ptr<ManualClock> clock;
    std::unique_ptr<Engine> engine;

private:
    void on_event(const Event& e) {
        if (!e.type.starts_with("job.")) return;
        auto data = json::parse(e.data_json);
        if (!data) return;
        const json::Value* id = data->find("id");
        if (!id || !id->is_int()) return;
        std::lock_guard lock(mu_);
        types_.push_back(e.type);
        if (e.type == "job.started") ++started_[id->as_int()];
        if (e.type == "job.finished") {
            const json::Value* state = data->find("state");
            finished_[id->as_int()].push_back(state && state->is_string() ? state->as_string() : "?");
        }
        cv_.notify_all();
    }

    std::filesystem::path data_dir_;
    std::uint64_t subscription_ = 0;
    std::mutex mu_;
    std::condition_variable cv_;
    std::map<std::int64_t, std::vector<std::string>> finished_;
    std::map<std::int64_t, std::size_t> started_;
    std::vector<std::string> types_;
};

}  // namespace gramkit::test
