// A test Engine on a fresh SQLite file in a temporary directory, with a
// manual clock and a log sink that keeps every line (so tests can check that
// no secret is ever logged).
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <mutex>
#include <random>
#include <string>
#include <vector>

#include "gramkit/gramkit.hpp"

namespace gramkit::testing {

class TempDir {
public:
    TempDir() {
        std::random_device rd;
        path_ = std::filesystem::temp_directory_path() /
                ("gramkit-test-" + std::to_string(rd()) + "-" + std::to_string(rd()));
        std::filesystem::create_directories(path_);
    }
    ~TempDir() {
        std::error_code ec;
        std::filesystem::remove_all(path_, ec);
    }
    const std::filesystem::path& path() const { return path_; }
    std::string str() const { return path_.string(); }

private:
    std::filesystem::path path_;
};

class CapturedLog {
public:
    LogSink sink() {
        return [this](const LogRecord& r) {
            std::lock_guard g(mu_);
            lines_.push_back(format_logfmt(r));
        };
    }
    std::string all() const {
        std::lock_guard g(mu_);
        std::string s;
        for (const auto& l : lines_) s += l + "\n";
        return s;
    }

private:
    mutable std::mutex mu_;
    std::vector<std::string> lines_;
};

class EngineTest : public ::testing::Test {
protected:
    void SetUp() override { reopen(); }

    void reopen() {
        engine.reset();
        EngineConfig cfg;
        cfg.data_dir = dir.str();
        cfg.clock = clock;
        cfg.log_level = LogLevel::debug;
        cfg.log_sink = log.sink();
        auto e = Engine::open(cfg);
        ASSERT_TRUE(e) << e.error().to_string();
        engine = std::move(*e);
    }

    Account make_account(const std::string& username, const std::string& password = "s3cret-pass") {
        NewAccount spec;
        spec.username = username;
        spec.password = password;
        auto a = engine->accounts().create(spec);
        EXPECT_TRUE(a) << a.error().to_string();
        return a.value_or(Account{});
    }

    TempDir dir;
    std::shared_ptr<ManualClock> clock = std::make_shared<ManualClock>();
    CapturedLog log;
    std::unique_ptr<Engine> engine;
};

}  // namespace gramkit::testing
