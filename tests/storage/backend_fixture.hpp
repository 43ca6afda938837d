// A storage::Backend (database migrated to the gramkit schema, with its
// repositories) opened fresh for each test on each storage backend, with
// enough pooled connections for the concurrency tests (sqlite::memory:
// always has one, so there concurrent callers take turns). Shared by the
// repository suites.
#pragma once

#include <cstdint>
#include <memory>

#include "backends.hpp"
#include "gramkit/clock.hpp"
#include "storage/repositories.hpp"

namespace gramkit::test {

class BackendFixture : public StorageBackendTest {
protected:
    void SetUp() override {
        StorageBackendTest::SetUp();
        if (IsSkipped() || HasFatalFailure()) return;
        auto opened = storage::Backend::open(url(), options());
        ASSERT_TRUE(opened.has_value()) << opened.error().to_string();
        backend_ = std::move(*opened);
    }
    void TearDown() override {
        backend_.reset();
        StorageBackendTest::TearDown();
    }
    storage::OpenOptions options() const override {
        storage::OpenOptions o = StorageBackendTest::options();
        o.pool_size = 8;
        return o;
    }

    std::unique_ptr<storage::Backend> backend_;
};

/// A fixed instant (2023-11-14T22:13:20Z) plus `seconds`: readable test times.
inline Timestamp at(std::int64_t seconds) { return from_micros(1'700'000'000'000'000 + seconds * 1'000'000); }

}  // namespace gramkit::test
