// Conformance tests of ScheduleRepository and LeaseRepository
// (src/storage/repositories.hpp) through storage::Backend, on every backend
// (SQLite memory, SQLite file, PostgreSQL), each test on a fresh database.
#include <gtest/gtest.h>

#include <atomic>
#include <latch>
#include <string>
#include <thread>
#include <vector>

#include "backend_fixture.hpp"
#include "storage/repositories.hpp"
#include "support/result_assertions.hpp"

namespace gramkit::storage {
namespace {

using gramkit::test::at;
using gramkit::test::BackendFixture;
using namespace std::chrono_literals;

ScheduleRecord interval_schedule(std::int64_t id, std::string name, Duration interval = 60s,
                                 Timestamp next = at(60)) {
    ScheduleRecord s;
    s.id = id;
    s.name = std::move(name);
    s.kind = "scrape.profile";
    s.payload = R"({"username":"nina"})";
    s.interval = interval;
    s.next_fire_at = next;
    s.created_at = at(0);
    s.updated_at = at(0);
    return s;
}

ScheduleRecord cron_schedule(std::int64_t id, std::string name, Timestamp next = at(60)) {
    ScheduleRecord s = interval_schedule(id, std::move(name), 60s, next);
    s.interval.reset();
    s.cron = "*/5 * * * *";
    return s;
}

NewJobRecord fired_job(std::int64_t id, std::optional<std::string> key = std::nullopt) {
    NewJobRecord j;
    j.id = id;
    j.kind = "scrape.profile";
    j.payload = R"({"username":"nina"})";
    j.run_at = at(60);
    j.max_attempts = 3;
    j.idempotency_key = std::move(key);
    j.created_at = at(60);
    return j;
}

std::vector<std::int64_t> ids_of(const std::vector<ScheduleRecord>& rows) {
    std::vector<std::int64_t> ids;
    for (const ScheduleRecord& s : rows) ids.push_back(s.id);
    return ids;
}

class ScheduleRepositoryTest : public BackendFixture {
protected:
    ScheduleRepository& schedules() { return backend_->schedules(); }
    JobRepository& jobs() { return backend_->jobs(); }

    std::vector<JobRecord> all_jobs() {
        JobFilter f;
        f.limit = 1000;
        auto page = jobs().list(f);
        EXPECT_TRUE(page.has_value()) << page.error().to_string();
        return page ? page->items : std::vector<JobRecord>{};
    }
};

// --- create / get / update / remove ---------------------------------------------------------

TEST_P(ScheduleRepositoryTest, CreateAndGetRoundTrip) {
    ScheduleRecord s = interval_schedule(7, "nina-hourly", 3600s);
    s.priority = 4;
    s.max_attempts = 2;
    GK_ASSERT_OK_AND_ASSIGN(ScheduleRecord created, schedules().create(s));
    EXPECT_EQ(created, s);
    GK_ASSERT_OK_AND_ASSIGN(ScheduleRecord got, schedules().get(7));
    EXPECT_EQ(got, s);
    EXPECT_EQ(got.interval, std::optional<Duration>(3600s));
    EXPECT_FALSE(got.cron);
    GK_ASSERT_OK_AND_ASSIGN(ScheduleRecord by_name, schedules().get_by_name("nina-hourly"));
    EXPECT_EQ(by_name, s);

    ScheduleRecord c = cron_schedule(8, "every-five");
    c.enabled = false;
    c.last_fired_at = at(5);
    c.last_job_id = 99;
    GK_ASSERT_OK(schedules().create(c));
    GK_ASSERT_OK_AND_ASSIGN(ScheduleRecord got_c, schedules().get(8));
    EXPECT_EQ(got_c, c);

    GK_EXPECT_CODE(schedules().get(9), ErrorCode::not_found);
    GK_EXPECT_CODE(schedules().get_by_name("nope"), ErrorCode::not_found);
}

TEST_P(ScheduleRepositoryTest, ValidationErrorsNameTheField) {
    auto expect_invalid = [&](const ScheduleRecord& s, std::string_view field) {
        auto r = schedules().create(s);
        ASSERT_FALSE(r.has_value()) << "accepted a schedule with a bad " << field;
        EXPECT_EQ(r.error().code, ErrorCode::invalid_argument) << r.error().to_string();
        EXPECT_EQ(r.error().details, field) << r.error().to_string();
    };
    ScheduleRecord s = interval_schedule(1, "");
    expect_invalid(s, "name");
    s = interval_schedule(1, "a");
    s.kind.clear();
    expect_invalid(s, "kind");
    s = interval_schedule(1, "a");
    s.payload.clear();
    expect_invalid(s, "payload");
    s = interval_schedule(1, "a");
    s.max_attempts = -1;
    expect_invalid(s, "max_attempts");
    s = interval_schedule(1, "a");
    s.interval.reset();
    expect_invalid(s, "cron");  // neither
    s = interval_schedule(1, "a");
    s.cron = "* * * * *";
    expect_invalid(s, "cron");  // both
    s = cron_schedule(1, "a");
    s.cron = "";
    expect_invalid(s, "cron");
    expect_invalid(interval_schedule(1, "a", 999ms), "interval");
    expect_invalid(interval_schedule(1, "a", 1500ms), "interval");
    expect_invalid(interval_schedule(1, "a", 0s), "interval");
    expect_invalid(interval_schedule(1, "a", -5s), "interval");
    GK_EXPECT_OK(schedules().create(interval_schedule(1, "a", 1s)));

    // update runs the same checks
    GK_EXPECT_CODE(schedules().update(interval_schedule(1, "a", 1500ms), at(1)), ErrorCode::invalid_argument);
    GK_ASSERT_OK_AND_ASSIGN(ScheduleRecord kept, schedules().get(1));
    EXPECT_EQ(kept.interval, std::optional<Duration>(1s));
}

TEST_P(ScheduleRepositoryTest, DuplicateNameOrIdIsAConflictNamingIt) {
    GK_ASSERT_OK(schedules().create(interval_schedule(1, "daily")));
    auto dup_name = schedules().create(interval_schedule(2, "daily"));
    ASSERT_FALSE(dup_name.has_value());
    EXPECT_EQ(dup_name.error().code, ErrorCode::conflict);
    EXPECT_EQ(dup_name.error().details, "name");
    auto dup_id = schedules().create(interval_schedule(1, "weekly"));
    ASSERT_FALSE(dup_id.has_value());
    EXPECT_EQ(dup_id.error().code, ErrorCode::conflict);
    EXPECT_EQ(dup_id.error().details, "id");

    // Renaming onto another schedule's name.
    GK_ASSERT_OK(schedules().create(interval_schedule(2, "weekly")));
    auto renamed = schedules().update(interval_schedule(2, "daily"), at(1));
    ASSERT_FALSE(renamed.has_value());
    EXPECT_EQ(renamed.error().code, ErrorCode::conflict);
    EXPECT_EQ(renamed.error().details, "name");
}

TEST_P(ScheduleRepositoryTest, UpdateReplacesFieldsAndKeepsHistory) {
    ScheduleRecord s = interval_schedule(1, "a");
    s.last_fired_at = at(3);
    s.last_job_id = 44;
    GK_ASSERT_OK(schedules().create(s));

    ScheduleRecord changed = cron_schedule(1, "b", at(300));
    changed.kind = "scrape.hashtag";
    changed.payload = R"({"tag":"cats"})";
    changed.priority = -2;
    changed.max_attempts = 5;
    changed.enabled = false;
    changed.created_at = at(999);  // ignored: not replaced by update
    changed.last_fired_at.reset();  // ignored
    GK_ASSERT_OK_AND_ASSIGN(ScheduleRecord updated, schedules().update(changed, at(10)));
    EXPECT_EQ(updated.name, "b");
    EXPECT_EQ(updated.kind, "scrape.hashtag");
    EXPECT_EQ(updated.payload, R"({"tag":"cats"})");
    EXPECT_EQ(updated.priority, -2);
    EXPECT_EQ(updated.max_attempts, 5);
    EXPECT_EQ(updated.cron, std::optional<std::string>("*/5 * * * *"));
    EXPECT_FALSE(updated.interval);
    EXPECT_FALSE(updated.enabled);
    EXPECT_EQ(updated.next_fire_at, at(300));
    EXPECT_EQ(updated.created_at, at(0));
    EXPECT_EQ(updated.updated_at, at(10));
    EXPECT_EQ(updated.last_fired_at, std::optional<Timestamp>(at(3)));
    EXPECT_EQ(updated.last_job_id, std::optional<std::int64_t>(44));
    GK_ASSERT_OK_AND_ASSIGN(ScheduleRecord got, schedules().get(1));
    EXPECT_EQ(got, updated);

    GK_EXPECT_CODE(schedules().update(interval_schedule(2, "c"), at(10)), ErrorCode::not_found);
}

TEST_P(ScheduleRepositoryTest, Remove) {
    GK_ASSERT_OK(schedules().create(interval_schedule(1, "a")));
    GK_ASSERT_OK(schedules().remove(1));
    GK_EXPECT_CODE(schedules().get(1), ErrorCode::not_found);
    GK_EXPECT_CODE(schedules().remove(1), ErrorCode::not_found);
    // The name is free again.
    GK_EXPECT_OK(schedules().create(interval_schedule(2, "a")));
}

TEST_P(ScheduleRepositoryTest, ListPagesAndFilters) {
    for (int i = 1; i <= 7; ++i) {
        ScheduleRecord s = interval_schedule(i * 10, "s" + std::to_string(i));
        s.enabled = i % 2 == 1;
        GK_ASSERT_OK(schedules().create(s));
    }
    ScheduleFilter f;
    f.limit = 3;
    std::vector<std::int64_t> seen;
    for (int page_no = 0; page_no < 10; ++page_no) {
        GK_ASSERT_OK_AND_ASSIGN(auto page, schedules().list(f));
        for (auto id : ids_of(page.items)) seen.push_back(id);
        if (!page.next_after) break;
        EXPECT_EQ(page.items.size(), 3u);
        f.after = page.next_after;
    }
    EXPECT_EQ(seen, (std::vector<std::int64_t>{10, 20, 30, 40, 50, 60, 70}));

    ScheduleFilter enabled;
    enabled.enabled = true;
    GK_ASSERT_OK_AND_ASSIGN(auto on, schedules().list(enabled));
    EXPECT_EQ(ids_of(on.items), (std::vector<std::int64_t>{10, 30, 50, 70}));
    EXPECT_FALSE(on.next_after);
    enabled.enabled = false;
    GK_ASSERT_OK_AND_ASSIGN(auto off, schedules().list(enabled));
    EXPECT_EQ(ids_of(off.items), (std::vector<std::int64_t>{20, 40, 60}));

    ScheduleFilter bad;
    bad.limit = 0;
    GK_EXPECT_CODE(schedules().list(bad), ErrorCode::invalid_argument);
    bad.limit = 1001;
    GK_EXPECT_CODE(schedules().list(bad), ErrorCode::invalid_argument);
}

TEST_P(ScheduleRepositoryTest, DueIsEnabledAndEarliestFirst) {
    GK_ASSERT_OK(schedules().create(interval_schedule(1, "late", 60s, at(50))));
    GK_ASSERT_OK(schedules().create(interval_schedule(2, "early", 60s, at(10))));
    GK_ASSERT_OK(schedules().create(interval_schedule(3, "tie", 60s, at(10))));
    GK_ASSERT_OK(schedules().create(interval_schedule(4, "future", 60s, at(100))));
    ScheduleRecord off = interval_schedule(5, "off", 60s, at(1));
    off.enabled = false;
    GK_ASSERT_OK(schedules().create(off));

    GK_ASSERT_OK_AND_ASSIGN(auto due, schedules().due(at(50), 10));
    EXPECT_EQ(ids_of(due), (std::vector<std::int64_t>{2, 3, 1}));  // next_fire_at ≤ now is due
    GK_ASSERT_OK_AND_ASSIGN(auto first, schedules().due(at(50), 1));
    EXPECT_EQ(ids_of(first), (std::vector<std::int64_t>{2}));
    GK_ASSERT_OK_AND_ASSIGN(auto none, schedules().due(at(9), 10));
    EXPECT_TRUE(none.empty());
    GK_EXPECT_CODE(schedules().due(at(50), 0), ErrorCode::invalid_argument);
    GK_EXPECT_CODE(schedules().due(at(50), 1001), ErrorCode::invalid_argument);
}

// --- fire ---------------------------------------------------------------------------------

TEST_P(ScheduleRepositoryTest, FireAdvancesAndEnqueues) {
    GK_ASSERT_OK(schedules().create(interval_schedule(1, "a", 60s, at(60))));
    GK_ASSERT_OK_AND_ASSIGN(auto fired, schedules().fire(1, at(60), at(120), fired_job(500, "sched:1"), at(61)));
    ASSERT_TRUE(fired.has_value());
    EXPECT_EQ(fired->id, 500);
    EXPECT_EQ(fired->state, JobState::queued);
    EXPECT_EQ(fired->idempotency_key, std::optional<std::string>("sched:1"));
    GK_ASSERT_OK_AND_ASSIGN(ScheduleRecord after, schedules().get(1));
    EXPECT_EQ(after.next_fire_at, at(120));
    EXPECT_EQ(after.last_fired_at, std::optional<Timestamp>(at(61)));
    EXPECT_EQ(after.last_job_id, std::optional<std::int64_t>(500));
    EXPECT_EQ(after.updated_at, at(61));
    GK_ASSERT_OK_AND_ASSIGN(JobRecord job, jobs().get(500));
    EXPECT_EQ(job, *fired);
    GK_ASSERT_OK_AND_ASSIGN(auto due, schedules().due(at(100), 10));
    EXPECT_TRUE(due.empty());
}

TEST_P(ScheduleRepositoryTest, StaleExpectedNextWritesNothing) {
    GK_ASSERT_OK(schedules().create(interval_schedule(1, "a", 60s, at(60))));
    GK_ASSERT_OK_AND_ASSIGN(ScheduleRecord before, schedules().get(1));
    GK_ASSERT_OK_AND_ASSIGN(auto fired, schedules().fire(1, at(59), at(120), fired_job(500), at(61)));
    EXPECT_FALSE(fired.has_value());
    GK_ASSERT_OK_AND_ASSIGN(ScheduleRecord after, schedules().get(1));
    EXPECT_EQ(after, before);
    EXPECT_TRUE(all_jobs().empty());

    // Disabled and missing schedules do not fire either.
    ScheduleRecord off = interval_schedule(2, "off", 60s, at(60));
    off.enabled = false;
    GK_ASSERT_OK(schedules().create(off));
    GK_ASSERT_OK_AND_ASSIGN(auto fired_off, schedules().fire(2, at(60), at(120), fired_job(501), at(61)));
    EXPECT_FALSE(fired_off.has_value());
    GK_ASSERT_OK_AND_ASSIGN(auto fired_missing, schedules().fire(3, at(60), at(120), fired_job(502), at(61)));
    EXPECT_FALSE(fired_missing.has_value());
    EXPECT_TRUE(all_jobs().empty());
}

TEST_P(ScheduleRepositoryTest, LiveIdempotencyKeySkipsThePeriodButAdvances) {
    GK_ASSERT_OK(schedules().create(interval_schedule(1, "a", 60s, at(60))));
    GK_ASSERT_OK_AND_ASSIGN(auto first, schedules().fire(1, at(60), at(120), fired_job(500, "sched:1"), at(61)));
    ASSERT_TRUE(first.has_value());

    // Job 500 is still queued (live): the next period is skipped.
    GK_ASSERT_OK_AND_ASSIGN(auto second, schedules().fire(1, at(120), at(180), fired_job(501, "sched:1"), at(121)));
    EXPECT_FALSE(second.has_value());
    GK_ASSERT_OK_AND_ASSIGN(ScheduleRecord after, schedules().get(1));
    EXPECT_EQ(after.next_fire_at, at(180));
    EXPECT_EQ(after.last_fired_at, std::optional<Timestamp>(at(121)));
    EXPECT_EQ(after.last_job_id, std::optional<std::int64_t>(500));  // still the job it enqueued
    GK_EXPECT_CODE(jobs().get(501), ErrorCode::not_found);
    EXPECT_EQ(all_jobs().size(), 1u);

    // Once the job has ended, the key is free and the next period fires.
    GK_ASSERT_OK(jobs().cancel(500, at(150)));
    GK_ASSERT_OK_AND_ASSIGN(auto third, schedules().fire(1, at(180), at(240), fired_job(502, "sched:1"), at(181)));
    ASSERT_TRUE(third.has_value());
    EXPECT_EQ(third->id, 502);
    EXPECT_EQ(all_jobs().size(), 2u);
}

TEST_P(ScheduleRepositoryTest, FailedEnqueueRollsTheAdvanceBack) {
    GK_ASSERT_OK(schedules().create(interval_schedule(1, "a", 60s, at(60))));
    GK_ASSERT_OK(jobs().enqueue(fired_job(500)));  // the id the schedule will try to use
    auto dup = schedules().fire(1, at(60), at(120), fired_job(500), at(61));
    ASSERT_FALSE(dup.has_value());
    EXPECT_EQ(dup.error().code, ErrorCode::conflict) << dup.error().to_string();
    EXPECT_EQ(dup.error().details, "id");
    NewJobRecord bad = fired_job(501);
    bad.kind.clear();
    GK_EXPECT_CODE(schedules().fire(1, at(60), at(120), bad, at(61)), ErrorCode::invalid_argument);
    GK_ASSERT_OK_AND_ASSIGN(ScheduleRecord after, schedules().get(1));
    EXPECT_EQ(after.next_fire_at, at(60));
    EXPECT_FALSE(after.last_fired_at);
    EXPECT_EQ(all_jobs().size(), 1u);
}

TEST_P(ScheduleRepositoryTest, ConcurrentFiresOfOnePeriodEnqueueOnce) {
    GK_ASSERT_OK(schedules().create(interval_schedule(1, "a", 60s, at(60))));
    constexpr int kThreads = 8;
    std::latch start(kThreads);
    std::atomic<int> won{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&, t] {
            start.arrive_and_wait();
            // Distinct job ids, so only the compare-and-set can stop a second job.
            auto r = schedules().fire(1, at(60), at(120), fired_job(1000 + t), at(61));
            if (!r) {
                ADD_FAILURE() << r.error().to_string();
                return;
            }
            if (r->has_value()) ++won;
        });
    }
    for (auto& thread : threads) thread.join();
    EXPECT_EQ(won.load(), 1);
    const std::vector<JobRecord> rows = all_jobs();
    ASSERT_EQ(rows.size(), 1u);
    GK_ASSERT_OK_AND_ASSIGN(ScheduleRecord after, schedules().get(1));
    EXPECT_EQ(after.next_fire_at, at(120));
    EXPECT_EQ(after.last_job_id, std::optional<std::int64_t>(rows.front().id));
}

GRAMKIT_INSTANTIATE_STORAGE_BACKENDS(ScheduleRepositoryTest);

// --- leases ---------------------------------------------------------------------------------

class LeaseRepositoryTest : public BackendFixture {
protected:
    LeaseRepository& leases() { return backend_->leases(); }
};

TEST_P(LeaseRepositoryTest, AcquireRenewAndHolder) {
    GK_ASSERT_OK_AND_ASSIGN(auto none, leases().holder("scheduler"));
    EXPECT_FALSE(none);
    GK_ASSERT_OK_AND_ASSIGN(bool a, leases().acquire("scheduler", "a", at(0), at(30)));
    EXPECT_TRUE(a);
    GK_ASSERT_OK_AND_ASSIGN(auto held, leases().holder("scheduler"));
    ASSERT_TRUE(held);
    EXPECT_EQ(held->first, "a");
    EXPECT_EQ(held->second, at(30));

    // Someone else while it is live: refused, nothing changes.
    GK_ASSERT_OK_AND_ASSIGN(bool b, leases().acquire("scheduler", "b", at(10), at(40)));
    EXPECT_FALSE(b);
    GK_ASSERT_OK_AND_ASSIGN(bool b_at_expiry, leases().acquire("scheduler", "b", at(30), at(60)));
    EXPECT_FALSE(b_at_expiry);  // expires_at < now, so at the expiry instant it still holds
    // The owner renews.
    GK_ASSERT_OK_AND_ASSIGN(bool renewed, leases().acquire("scheduler", "a", at(20), at(50)));
    EXPECT_TRUE(renewed);
    GK_ASSERT_OK_AND_ASSIGN(held, leases().holder("scheduler"));
    EXPECT_EQ(held->second, at(50));

    // Another name is independent.
    GK_ASSERT_OK_AND_ASSIGN(bool other, leases().acquire("other", "b", at(20), at(50)));
    EXPECT_TRUE(other);
}

TEST_P(LeaseRepositoryTest, ExpiredLeaseCanBeTakenOver) {
    GK_ASSERT_OK_AND_ASSIGN(bool a, leases().acquire("scheduler", "a", at(0), at(30)));
    ASSERT_TRUE(a);
    GK_ASSERT_OK_AND_ASSIGN(bool b, leases().acquire("scheduler", "b", at(31), at(61)));
    EXPECT_TRUE(b);
    GK_ASSERT_OK_AND_ASSIGN(auto held, leases().holder("scheduler"));
    EXPECT_EQ(held->first, "b");
    EXPECT_EQ(held->second, at(61));
    // The old owner cannot renew what it lost.
    GK_ASSERT_OK_AND_ASSIGN(bool a_again, leases().acquire("scheduler", "a", at(32), at(62)));
    EXPECT_FALSE(a_again);
}

TEST_P(LeaseRepositoryTest, ReleaseOnlyByTheOwner) {
    GK_ASSERT_OK_AND_ASSIGN(bool a, leases().acquire("scheduler", "a", at(0), at(30)));
    ASSERT_TRUE(a);
    GK_ASSERT_OK(leases().release("scheduler", "b"));  // not b's: does nothing
    GK_ASSERT_OK_AND_ASSIGN(auto held, leases().holder("scheduler"));
    ASSERT_TRUE(held);
    EXPECT_EQ(held->first, "a");
    GK_ASSERT_OK(leases().release("scheduler", "a"));
    GK_ASSERT_OK_AND_ASSIGN(held, leases().holder("scheduler"));
    EXPECT_FALSE(held);
    GK_ASSERT_OK(leases().release("scheduler", "a"));  // idempotent
    GK_ASSERT_OK_AND_ASSIGN(bool b, leases().acquire("scheduler", "b", at(1), at(31)));
    EXPECT_TRUE(b);
}

TEST_P(LeaseRepositoryTest, BadArgumentsNameTheField) {
    auto r = leases().acquire("", "a", at(0), at(30));
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().details, "name");
    r = leases().acquire("x", "", at(0), at(30));
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().details, "owner");
    r = leases().acquire("x", "a", at(30), at(30));
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, ErrorCode::invalid_argument);
    EXPECT_EQ(r.error().details, "expires_at");
}

TEST_P(LeaseRepositoryTest, RacingAcquirersExactlyOneWins) {
    constexpr int kThreads = 8;
    // Once on a free lease, once on an expired one.
    for (int round = 0; round < 2; ++round) {
        std::latch start(kThreads);
        std::atomic<int> won{0};
        std::vector<std::thread> threads;
        const Timestamp now = at(round * 100);
        for (int t = 0; t < kThreads; ++t) {
            threads.emplace_back([&, t] {
                start.arrive_and_wait();
                auto r = leases().acquire("scheduler", "owner-" + std::to_string(round) + "-" + std::to_string(t),
                                          now, now + 30s);
                if (!r) {
                    ADD_FAILURE() << r.error().to_string();
                    return;
                }
                if (*r) ++won;
            });
        }
        for (auto& thread : threads) thread.join();
        EXPECT_EQ(won.load(), 1) << "round " << round;
    }
}

GRAMKIT_INSTANTIATE_STORAGE_BACKENDS(LeaseRepositoryTest);

}  // namespace
}  // namespace gramkit::storage
