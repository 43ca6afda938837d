// Conformance tests of JobRepository (src/storage/repositories.hpp) through
// storage::Backend, on every backend (SQLite memory, SQLite file,
// PostgreSQL), each test on a fresh database.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <latch>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "backend_fixture.hpp"
#include "support/result_assertions.hpp"
#include "storage/repositories.hpp"

namespace gramkit::storage {
namespace {

using gramkit::test::at;
using gramkit::test::BackendFixture;
using namespace std::chrono_literals;


NewJobRecord new_job(std::int64_t id, std::string kind = "noop", int priority = 0, Timestamp run_at = at(0),
                     int max_attempts = 3, std::optional<std::string> key = std::nullopt) {
    NewJobRecord j;
    j.id = id;
    j.kind = std::move(kind);
    j.payload = R"({"n":)" + std::to_string(id) + "}";
    j.priority = priority;
    j.run_at = run_at;
    j.max_attempts = max_attempts;
    j.idempotency_key = std::move(key);
    j.created_at = at(0);
    return j;
}

std::vector<std::int64_t> ids_of(const std::vector<JobRecord>& jobs) {
    std::vector<std::int64_t> ids;
    for (const JobRecord& j : jobs) ids.push_back(j.id);
    return ids;
}

class JobRepositoryTest : public BackendFixture {
protected:
    JobRepository& jobs() { return backend_->jobs(); }

    /// Claims exactly one job (the test's only due one) for `owner`.
    Result<JobRecord> claim_one(std::string_view owner, Timestamp now, Duration lease = 30s) {
        GK_ASSIGN_OR_RETURN(auto claimed, jobs().claim(owner, 1, lease, now));
        if (claimed.size() != 1) {
            return ::gramkit::fail(ErrorCode::internal, "claimed " + std::to_string(claimed.size()) + " jobs");
        }
        return std::move(claimed.front());
    }
};

// --- enqueue ---------------------------------------------------------------------

TEST_P(JobRepositoryTest, EnqueueAndGetRoundTrip) {
    NewJobRecord n = new_job(42, "scrape.profile", 5, at(10), 4, "profile:nina");
    n.payload = R"({"username":"nina","max":10})";
    GK_ASSERT_OK_AND_ASSIGN(JobRecord created, jobs().enqueue(n));
    GK_ASSERT_OK_AND_ASSIGN(JobRecord got, jobs().get(42));
    EXPECT_EQ(created, got);
    EXPECT_EQ(got.id, 42);
    EXPECT_EQ(got.kind, "scrape.profile");
    EXPECT_EQ(got.payload, n.payload);
    EXPECT_EQ(got.priority, 5);
    EXPECT_EQ(got.run_at, at(10));
    EXPECT_EQ(got.attempts, 0);
    EXPECT_EQ(got.max_attempts, 4);
    EXPECT_EQ(got.state, JobState::queued);
    EXPECT_EQ(got.idempotency_key, "profile:nina");
    EXPECT_FALSE(got.lease_owner || got.lease_token || got.lease_expires_at);
    EXPECT_FALSE(got.last_error || got.progress || got.result || got.input || got.input_expires_at);
    EXPECT_EQ(got.created_at, at(0));
    EXPECT_EQ(got.updated_at, at(0));
    EXPECT_FALSE(got.finished_at);
    GK_EXPECT_CODE(jobs().get(43), ErrorCode::not_found);
}

TEST_P(JobRepositoryTest, EnqueueRejectsBadFieldsAndDuplicateIds) {
    NewJobRecord n = new_job(1);
    n.kind = "";
    GK_EXPECT_CODE(jobs().enqueue(n), ErrorCode::invalid_argument);
    n = new_job(1);
    n.max_attempts = 0;
    GK_EXPECT_CODE(jobs().enqueue(n), ErrorCode::invalid_argument);
    n = new_job(1);
    n.payload = "";
    GK_EXPECT_CODE(jobs().enqueue(n), ErrorCode::invalid_argument);
    n = new_job(1, "noop", 0, at(0), 3, std::string());
    GK_EXPECT_CODE(jobs().enqueue(n), ErrorCode::invalid_argument);

    GK_ASSERT_OK(jobs().enqueue(new_job(1)));
    auto dup = jobs().enqueue(new_job(1, "other"));
    ASSERT_FALSE(dup.has_value());
    EXPECT_EQ(dup.error().code, ErrorCode::conflict);
    EXPECT_EQ(dup.error().details, "id");
}

TEST_P(JobRepositoryTest, IdempotencyKeyIsUniqueWhileLiveOnly) {
    GK_ASSERT_OK(jobs().enqueue(new_job(1, "noop", 0, at(0), 3, "k")));
    auto dup = jobs().enqueue(new_job(2, "noop", 0, at(0), 3, "k"));
    ASSERT_FALSE(dup.has_value());
    EXPECT_EQ(dup.error().code, ErrorCode::conflict);
    EXPECT_EQ(dup.error().details, "1");  // the existing job, for the caller to return
    GK_EXPECT_CODE(jobs().get(2), ErrorCode::not_found);

    // Still live while running.
    GK_ASSERT_OK_AND_ASSIGN(JobRecord running, claim_one("w", at(1)));
    GK_EXPECT_CODE(jobs().enqueue(new_job(2, "noop", 0, at(0), 3, "k")), ErrorCode::conflict);

    // Finished: the key is free again. Jobs without a key never collide.
    GK_ASSERT_OK(jobs().complete(1, *running.lease_token, R"({"ok":true})", at(2)));
    GK_ASSERT_OK(jobs().enqueue(new_job(2, "noop", 0, at(0), 3, "k")));
    GK_ASSERT_OK(jobs().enqueue(new_job(3)));
    GK_ASSERT_OK(jobs().enqueue(new_job(4)));

    // Retrying the finished job by hand would make two live jobs share the key.
    GK_ASSERT_OK_AND_ASSIGN(auto cancelled, jobs().cancel(2, at(3)));
    EXPECT_EQ(cancelled.previous, JobState::queued);
    GK_ASSERT_OK(jobs().enqueue(new_job(5, "noop", 0, at(0), 3, "k")));
    GK_EXPECT_CODE(jobs().retry_now(2, at(4)), ErrorCode::conflict);
    GK_ASSERT_OK_AND_ASSIGN(JobRecord still, jobs().get(2));
    EXPECT_EQ(still.state, JobState::cancelled);
}

// --- claiming ------------------------------------------------------------------------

TEST_P(JobRepositoryTest, ClaimOrderIsPriorityThenRunAtThenId) {
    GK_ASSERT_OK(jobs().enqueue(new_job(1, "noop", 0, at(5))));
    GK_ASSERT_OK(jobs().enqueue(new_job(2, "noop", 10, at(8))));
    GK_ASSERT_OK(jobs().enqueue(new_job(3, "noop", 10, at(2))));
    GK_ASSERT_OK(jobs().enqueue(new_job(4, "noop", 0, at(1))));
    GK_ASSERT_OK(jobs().enqueue(new_job(5, "noop", 0, at(1))));
    GK_ASSERT_OK(jobs().enqueue(new_job(6, "noop", 99, at(100))));  // not due yet
    GK_ASSERT_OK(jobs().enqueue(new_job(7, "noop", -5, at(0))));

    // Leases outlast the test, so only job 6 becomes claimable later.
    GK_ASSERT_OK_AND_ASSIGN(auto first, jobs().claim("w1", 3, 1000s, at(10)));
    EXPECT_EQ(ids_of(first), (std::vector<std::int64_t>{3, 2, 4}));
    GK_ASSERT_OK_AND_ASSIGN(auto rest, jobs().claim("w2", 10, 1000s, at(10)));
    EXPECT_EQ(ids_of(rest), (std::vector<std::int64_t>{5, 1, 7}));
    GK_ASSERT_OK_AND_ASSIGN(auto none, jobs().claim("w3", 10, 30s, at(10)));
    EXPECT_TRUE(none.empty());

    std::set<std::int64_t> tokens;
    for (const JobRecord& j : first) {
        EXPECT_EQ(j.state, JobState::running);
        EXPECT_EQ(j.attempts, 1);
        EXPECT_EQ(j.lease_owner, "w1");
        ASSERT_TRUE(j.lease_token.has_value());
        tokens.insert(*j.lease_token);
        EXPECT_EQ(j.lease_expires_at, at(1010));
        EXPECT_EQ(j.updated_at, at(10));
        GK_ASSERT_OK_AND_ASSIGN(JobRecord stored, jobs().get(j.id));
        EXPECT_EQ(stored, j);
    }
    for (const JobRecord& j : rest) tokens.insert(*j.lease_token);
    EXPECT_EQ(tokens.size(), 6u) << "every claimed job gets its own token";

    // Exactly at run_at counts as due.
    GK_ASSERT_OK_AND_ASSIGN(auto due, jobs().claim("w4", 10, 30s, at(100)));
    EXPECT_EQ(ids_of(due), (std::vector<std::int64_t>{6}));
}

TEST_P(JobRepositoryTest, ClaimFiltersByKindAndHonoursBatchSize) {
    for (int i = 1; i <= 6; ++i) GK_ASSERT_OK(jobs().enqueue(new_job(i, i % 2 ? "odd" : "even")));
    GK_ASSERT_OK(jobs().enqueue(new_job(7, "third")));
    const std::vector<std::string> even{"even"};
    GK_ASSERT_OK_AND_ASSIGN(auto evens, jobs().claim("w", 2, 30s, at(1), even));
    EXPECT_EQ(ids_of(evens), (std::vector<std::int64_t>{2, 4}));
    const std::vector<std::string> odd_or_third{"odd", "third"};
    GK_ASSERT_OK_AND_ASSIGN(auto others, jobs().claim("w", 10, 30s, at(1), odd_or_third));
    EXPECT_EQ(ids_of(others), (std::vector<std::int64_t>{1, 3, 5, 7}));
    GK_ASSERT_OK_AND_ASSIGN(auto any, jobs().claim("w", 10, 30s, at(1)));
    EXPECT_EQ(ids_of(any), (std::vector<std::int64_t>{6}));
}

TEST_P(JobRepositoryTest, BadArgumentsAreInvalid) {
    GK_ASSERT_OK(jobs().enqueue(new_job(1)));
    GK_EXPECT_CODE(jobs().claim("w", 0, 30s, at(1)), ErrorCode::invalid_argument);
    GK_EXPECT_CODE(jobs().claim("w", 1001, 30s, at(1)), ErrorCode::invalid_argument);
    const int negative = -1;
    GK_EXPECT_CODE(jobs().claim("w", static_cast<std::size_t>(negative), 30s, at(1)), ErrorCode::invalid_argument);
    GK_EXPECT_CODE(jobs().claim("", 1, 30s, at(1)), ErrorCode::invalid_argument);
    GK_EXPECT_CODE(jobs().claim("w", 1, 0s, at(1)), ErrorCode::invalid_argument);
    const std::vector<std::string> empty_kind{""};
    GK_EXPECT_CODE(jobs().claim("w", 1, 30s, at(1), empty_kind), ErrorCode::invalid_argument);
    JobFilter f;
    f.limit = 0;
    GK_EXPECT_CODE(jobs().list(f), ErrorCode::invalid_argument);
    f.limit = 1001;
    GK_EXPECT_CODE(jobs().list(f), ErrorCode::invalid_argument);
    GK_ASSERT_OK_AND_ASSIGN(JobRecord job, claim_one("w", at(1)));
    GK_EXPECT_CODE(jobs().await_input(1, *job.lease_token, at(1), at(1)), ErrorCode::invalid_argument);
    GK_EXPECT_CODE(jobs().set_progress(1, *job.lease_token, "", at(1)), ErrorCode::invalid_argument);
    // Nothing above changed the job.
    GK_ASSERT_OK_AND_ASSIGN(JobRecord after, jobs().get(1));
    EXPECT_EQ(after, job);
}

TEST_P(JobRepositoryTest, ConcurrentClaimersNeverShareAJob) {
    constexpr int kJobs = 240, kThreads = 8;
    for (int i = 1; i <= kJobs; ++i) GK_ASSERT_OK(jobs().enqueue(new_job(i, "noop", i % 7)));
    std::mutex mu;
    std::map<std::int64_t, int> times_claimed;
    std::latch start(kThreads);
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&, t] {
            start.arrive_and_wait();
            const std::string owner = "worker-" + std::to_string(t);
            for (;;) {
                auto batch = jobs().claim(owner, 1 + t % 4, 60s, at(1));
                if (!batch) {
                    ADD_FAILURE() << batch.error().to_string();
                    return;
                }
                if (batch->empty()) return;
                std::lock_guard lock(mu);
                for (const JobRecord& j : *batch) {
                    ++times_claimed[j.id];
                    EXPECT_EQ(j.lease_owner, owner);
                }
            }
        });
    }
    for (auto& thread : threads) thread.join();
    EXPECT_EQ(times_claimed.size(), static_cast<std::size_t>(kJobs));
    for (const auto& [id, n] : times_claimed) EXPECT_EQ(n, 1) << "job " << id;
    GK_ASSERT_OK_AND_ASSIGN(auto counts, jobs().count_by_state());
    EXPECT_EQ(counts["running"], kJobs);
    EXPECT_EQ(counts["queued"], 0);
}

// --- leases --------------------------------------------------------------------------

TEST_P(JobRepositoryTest, ExpiredLeaseIsReclaimedAndTheZombieIsRejected) {
    GK_ASSERT_OK(jobs().enqueue(new_job(1)));
    GK_ASSERT_OK_AND_ASSIGN(JobRecord first, claim_one("zombie", at(0), 10s));
    // Not expired yet (and not at the boundary): nobody else gets it.
    GK_ASSERT_OK_AND_ASSIGN(auto early, jobs().claim("rescuer", 5, 10s, at(10)));
    EXPECT_TRUE(early.empty());

    GK_ASSERT_OK_AND_ASSIGN(JobRecord second, claim_one("rescuer", at(11), 10s));
    EXPECT_EQ(second.id, 1);
    EXPECT_EQ(second.lease_owner, "rescuer");
    EXPECT_EQ(second.attempts, 2);
    EXPECT_NE(second.lease_token, first.lease_token);

    const std::int64_t stale = *first.lease_token;
    GK_EXPECT_CODE(jobs().heartbeat(1, stale, at(100)), ErrorCode::conflict);
    GK_EXPECT_CODE(jobs().set_progress(1, stale, R"({"page":9})", at(12)), ErrorCode::conflict);
    GK_EXPECT_CODE(jobs().complete(1, stale, R"({"zombie":true})", at(12)), ErrorCode::conflict);
    GK_EXPECT_CODE(jobs().fail(1, stale, "zombie", at(50), at(12)), ErrorCode::conflict);
    GK_EXPECT_CODE(jobs().await_input(1, stale, at(50), at(12)), ErrorCode::conflict);
    GK_ASSERT_OK_AND_ASSIGN(JobRecord untouched, jobs().get(1));
    EXPECT_EQ(untouched, second);

    GK_ASSERT_OK(jobs().set_progress(1, *second.lease_token, R"({"page":1})", at(13)));
    GK_ASSERT_OK(jobs().complete(1, *second.lease_token, R"({"items":3})", at(14)));
    GK_ASSERT_OK_AND_ASSIGN(JobRecord done, jobs().get(1));
    EXPECT_EQ(done.state, JobState::succeeded);
    EXPECT_EQ(done.result, R"({"items":3})");
    EXPECT_EQ(done.progress, R"({"page":1})");
    EXPECT_EQ(done.finished_at, at(14));
    EXPECT_FALSE(done.lease_token || done.lease_expires_at || done.lease_owner);
    // Finished: even the rightful token is refused now, and it is never claimed again.
    GK_EXPECT_CODE(jobs().complete(1, *second.lease_token, std::nullopt, at(15)), ErrorCode::conflict);
    GK_ASSERT_OK_AND_ASSIGN(auto later, jobs().claim("w", 5, 10s, at(1000)));
    EXPECT_TRUE(later.empty());
    // Unknown jobs are not_found, not conflicts.
    GK_EXPECT_CODE(jobs().heartbeat(99, stale, at(100)), ErrorCode::not_found);
    GK_EXPECT_CODE(jobs().complete(99, stale, std::nullopt, at(100)), ErrorCode::not_found);
}

TEST_P(JobRepositoryTest, HeartbeatExtendsTheLease) {
    GK_ASSERT_OK(jobs().enqueue(new_job(1)));
    GK_ASSERT_OK_AND_ASSIGN(JobRecord job, claim_one("w", at(0), 10s));
    GK_ASSERT_OK(jobs().heartbeat(1, *job.lease_token, at(60)));
    GK_ASSERT_OK_AND_ASSIGN(auto stolen, jobs().claim("other", 5, 10s, at(30)));
    EXPECT_TRUE(stolen.empty());
    GK_ASSERT_OK_AND_ASSIGN(JobRecord got, jobs().get(1));
    EXPECT_EQ(got.lease_expires_at, at(60));
    // A lease that expired but was not re-claimed still belongs to its holder.
    GK_ASSERT_OK(jobs().heartbeat(1, *job.lease_token, at(200)));
    GK_EXPECT_CODE(jobs().heartbeat(1, *job.lease_token ^ 1, at(300)), ErrorCode::conflict);
}

// --- failures and retries ------------------------------------------------------------

TEST_P(JobRepositoryTest, FailRetriesUntilMaxAttemptsThenDead) {
    GK_ASSERT_OK(jobs().enqueue(new_job(1, "flaky", 0, at(0), 3)));
    GK_ASSERT_OK_AND_ASSIGN(JobRecord a1, claim_one("w", at(0)));
    GK_ASSERT_OK(jobs().fail(1, *a1.lease_token, "boom 1", at(20), at(1)));
    GK_ASSERT_OK_AND_ASSIGN(JobRecord r1, jobs().get(1));
    EXPECT_EQ(r1.state, JobState::failed_retrying);
    EXPECT_EQ(r1.run_at, at(20));
    EXPECT_EQ(r1.attempts, 1);
    EXPECT_EQ(r1.last_error, "boom 1");
    EXPECT_FALSE(r1.lease_token || r1.finished_at);
    GK_ASSERT_OK_AND_ASSIGN(auto too_early, jobs().claim("w", 5, 30s, at(19)));
    EXPECT_TRUE(too_early.empty());

    GK_ASSERT_OK_AND_ASSIGN(JobRecord a2, claim_one("w", at(20)));
    EXPECT_EQ(a2.attempts, 2);
    GK_ASSERT_OK(jobs().fail(1, *a2.lease_token, "boom 2", at(40), at(21)));
    GK_ASSERT_OK_AND_ASSIGN(JobRecord a3, claim_one("w", at(40)));
    EXPECT_EQ(a3.attempts, 3);
    // The last attempt failed: dead although a retry time was offered.
    GK_ASSERT_OK(jobs().fail(1, *a3.lease_token, "boom 3", at(60), at(41)));
    GK_ASSERT_OK_AND_ASSIGN(JobRecord dead, jobs().get(1));
    EXPECT_EQ(dead.state, JobState::dead);
    EXPECT_EQ(dead.attempts, 3);
    EXPECT_EQ(dead.last_error, "boom 3");
    EXPECT_EQ(dead.finished_at, at(41));
    GK_ASSERT_OK_AND_ASSIGN(auto never, jobs().claim("w", 5, 30s, at(1000)));
    EXPECT_TRUE(never.empty());

    // Without a retry time a failure is final at once.
    GK_ASSERT_OK(jobs().enqueue(new_job(2, "fatal", 0, at(0), 5)));
    GK_ASSERT_OK_AND_ASSIGN(JobRecord b1, claim_one("w", at(50)));
    GK_ASSERT_OK(jobs().fail(2, *b1.lease_token, "bad payload", std::nullopt, at(51)));
    GK_ASSERT_OK_AND_ASSIGN(JobRecord b, jobs().get(2));
    EXPECT_EQ(b.state, JobState::dead);
    EXPECT_EQ(b.attempts, 1);
}

// --- waiting for input ------------------------------------------------------------

TEST_P(JobRepositoryTest, AwaitInputThenProvideInputRequeues) {
    GK_ASSERT_OK(jobs().enqueue(new_job(1, "login", 0, at(0), 2)));
    GK_ASSERT_OK_AND_ASSIGN(JobRecord job, claim_one("w", at(0)));
    GK_EXPECT_CODE(jobs().provide_input(1, R"({"code":"123456"})", at(1)), ErrorCode::failed_precondition);
    GK_ASSERT_OK(jobs().await_input(1, *job.lease_token, at(300), at(1)));
    GK_ASSERT_OK_AND_ASSIGN(JobRecord waiting, jobs().get(1));
    EXPECT_EQ(waiting.state, JobState::awaiting_input);
    EXPECT_EQ(waiting.input_expires_at, at(300));
    EXPECT_FALSE(waiting.lease_token || waiting.lease_owner || waiting.lease_expires_at);
    // The old lease cannot write, and nothing claims a waiting job.
    GK_EXPECT_CODE(jobs().complete(1, *job.lease_token, std::nullopt, at(2)), ErrorCode::conflict);
    GK_ASSERT_OK_AND_ASSIGN(auto none, jobs().claim("w", 5, 30s, at(10)));
    EXPECT_TRUE(none.empty());

    GK_ASSERT_OK_AND_ASSIGN(JobRecord queued, jobs().provide_input(1, R"({"code":"123456"})", at(20)));
    EXPECT_EQ(queued.state, JobState::queued);
    EXPECT_EQ(queued.input, R"({"code":"123456"})");
    EXPECT_EQ(queued.run_at, at(20));
    EXPECT_EQ(queued.attempts, 0);  // the wait was part of the first attempt
    EXPECT_FALSE(queued.input_expires_at);
    GK_EXPECT_CODE(jobs().provide_input(1, R"({"code":"1"})", at(21)), ErrorCode::failed_precondition);
    GK_ASSERT_OK_AND_ASSIGN(JobRecord resumed, claim_one("w", at(21)));
    EXPECT_EQ(resumed.attempts, 1);
    EXPECT_EQ(resumed.input, R"({"code":"123456"})");
    GK_EXPECT_CODE(jobs().provide_input(99, "{}", at(21)), ErrorCode::not_found);
}

TEST_P(JobRepositoryTest, ExpireInputsRetriesOrKillsWaitingJobs) {
    // 1: attempts left → failed_retrying; 2: last attempt → dead; 3: not expired.
    GK_ASSERT_OK(jobs().enqueue(new_job(1, "login", 0, at(0), 3)));
    GK_ASSERT_OK(jobs().enqueue(new_job(2, "login", 0, at(0), 1)));
    GK_ASSERT_OK(jobs().enqueue(new_job(3, "login", 0, at(0), 3)));
    GK_ASSERT_OK_AND_ASSIGN(auto claimed, jobs().claim("w", 3, 30s, at(0)));
    ASSERT_EQ(ids_of(claimed), (std::vector<std::int64_t>{1, 2, 3}));
    GK_ASSERT_OK(jobs().await_input(1, *claimed[0].lease_token, at(100), at(1)));
    GK_ASSERT_OK(jobs().await_input(2, *claimed[1].lease_token, at(100), at(1)));
    GK_ASSERT_OK(jobs().await_input(3, *claimed[2].lease_token, at(500), at(1)));

    GK_ASSERT_OK_AND_ASSIGN(std::size_t at_expiry, jobs().expire_inputs(at(100)));
    EXPECT_EQ(at_expiry, 0u) << "the expiry instant itself is still in time";
    GK_EXPECT_CODE(jobs().provide_input(1, "{}", at(101)), ErrorCode::failed_precondition);
    GK_ASSERT_OK_AND_ASSIGN(std::size_t expired, jobs().expire_inputs(at(101)));
    EXPECT_EQ(expired, 2u);

    GK_ASSERT_OK_AND_ASSIGN(JobRecord j1, jobs().get(1));
    EXPECT_EQ(j1.state, JobState::failed_retrying);
    EXPECT_EQ(j1.run_at, at(101));
    EXPECT_EQ(j1.last_error, "input not provided in time");
    EXPECT_FALSE(j1.input_expires_at || j1.finished_at);
    GK_ASSERT_OK_AND_ASSIGN(JobRecord j2, jobs().get(2));
    EXPECT_EQ(j2.state, JobState::dead);
    EXPECT_EQ(j2.last_error, "input not provided in time");
    EXPECT_EQ(j2.finished_at, at(101));
    GK_ASSERT_OK_AND_ASSIGN(JobRecord j3, jobs().get(3));
    EXPECT_EQ(j3.state, JobState::awaiting_input);
    GK_ASSERT_OK_AND_ASSIGN(std::size_t again, jobs().expire_inputs(at(101)));
    EXPECT_EQ(again, 0u);
}

// --- control ---------------------------------------------------------------------------

TEST_P(JobRepositoryTest, CancelFromEveryLiveStateAndNotAfter) {
    // queued, running, failed_retrying, paused, awaiting_input
    for (int i = 1; i <= 5; ++i) GK_ASSERT_OK(jobs().enqueue(new_job(i, "noop", 10 - i)));
    GK_ASSERT_OK_AND_ASSIGN(auto claimed, jobs().claim("w", 3, 30s, at(1)));  // 1, 2, 3
    ASSERT_EQ(ids_of(claimed), (std::vector<std::int64_t>{1, 2, 3}));
    GK_ASSERT_OK(jobs().fail(3, *claimed[2].lease_token, "later", at(50), at(2)));
    GK_ASSERT_OK(jobs().await_input(1, *claimed[0].lease_token, at(50), at(2)));
    GK_ASSERT_OK(jobs().pause(4, at(2)));

    const std::map<std::int64_t, JobState> before{{1, JobState::awaiting_input},
                                                  {2, JobState::running},
                                                  {3, JobState::failed_retrying},
                                                  {4, JobState::paused},
                                                  {5, JobState::queued}};
    for (const auto& [id, state] : before) {
        GK_ASSERT_OK_AND_ASSIGN(CancelledJob c, jobs().cancel(id, at(3)));
        EXPECT_EQ(c.previous, state) << "job " << id;
        EXPECT_EQ(c.job.state, JobState::cancelled);
        EXPECT_EQ(c.job.finished_at, at(3));
        EXPECT_FALSE(c.job.lease_token);
    }
    // The running job's handler lost its lease.
    GK_EXPECT_CODE(jobs().complete(2, *claimed[1].lease_token, std::nullopt, at(4)), ErrorCode::conflict);
    GK_EXPECT_CODE(jobs().heartbeat(2, *claimed[1].lease_token, at(40)), ErrorCode::conflict);
    // Ended jobs cannot be cancelled; the error names the state.
    auto again = jobs().cancel(5, at(4));
    ASSERT_FALSE(again.has_value());
    EXPECT_EQ(again.error().code, ErrorCode::conflict);
    EXPECT_NE(again.error().message.find("cancelled"), std::string::npos) << again.error().message;
    GK_EXPECT_CODE(jobs().cancel(99, at(4)), ErrorCode::not_found);
    GK_ASSERT_OK_AND_ASSIGN(auto none, jobs().claim("w", 10, 30s, at(1000)));
    EXPECT_TRUE(none.empty());
}

TEST_P(JobRepositoryTest, PauseResumeAndTheirIllegalCases) {
    GK_ASSERT_OK(jobs().enqueue(new_job(1, "noop", 0, at(5))));
    GK_ASSERT_OK(jobs().enqueue(new_job(2)));
    GK_ASSERT_OK_AND_ASSIGN(JobRecord paused, jobs().pause(1, at(1)));
    EXPECT_EQ(paused.state, JobState::paused);
    EXPECT_EQ(paused.updated_at, at(1));
    GK_EXPECT_CODE(jobs().pause(1, at(1)), ErrorCode::conflict);
    GK_ASSERT_OK_AND_ASSIGN(auto claimed, jobs().claim("w", 10, 30s, at(10)));
    EXPECT_EQ(ids_of(claimed), (std::vector<std::int64_t>{2}));
    auto pause_running = jobs().pause(2, at(11));
    ASSERT_FALSE(pause_running.has_value());
    EXPECT_EQ(pause_running.error().code, ErrorCode::conflict);
    EXPECT_NE(pause_running.error().message.find("running"), std::string::npos);
    GK_EXPECT_CODE(jobs().resume(2, at(11)), ErrorCode::conflict);

    GK_ASSERT_OK_AND_ASSIGN(JobRecord resumed, jobs().resume(1, at(12)));
    EXPECT_EQ(resumed.state, JobState::queued);
    EXPECT_EQ(resumed.run_at, at(5));
    GK_EXPECT_CODE(jobs().resume(1, at(12)), ErrorCode::conflict);
    GK_ASSERT_OK_AND_ASSIGN(auto now_claimed, jobs().claim("w", 10, 30s, at(12)));
    EXPECT_EQ(ids_of(now_claimed), (std::vector<std::int64_t>{1}));

    // A job waiting to retry can be paused too, and keeps its retry time.
    GK_ASSERT_OK(jobs().fail(1, *now_claimed[0].lease_token, "x", at(90), at(13)));
    GK_ASSERT_OK(jobs().pause(1, at(14)));
    GK_ASSERT_OK_AND_ASSIGN(JobRecord back, jobs().resume(1, at(15)));
    EXPECT_EQ(back.run_at, at(90));
    GK_EXPECT_CODE(jobs().pause(99, at(1)), ErrorCode::not_found);
}

TEST_P(JobRepositoryTest, RetryNowFromDeadFailedAndCancelled) {
    GK_ASSERT_OK(jobs().enqueue(new_job(1, "noop", 0, at(0), 1)));
    GK_ASSERT_OK(jobs().enqueue(new_job(2, "noop", 0, at(0), 3)));
    GK_ASSERT_OK(jobs().enqueue(new_job(3)));
    GK_ASSERT_OK_AND_ASSIGN(auto claimed, jobs().claim("w", 2, 30s, at(1)));
    ASSERT_EQ(ids_of(claimed), (std::vector<std::int64_t>{1, 2}));
    GK_ASSERT_OK(jobs().fail(1, *claimed[0].lease_token, "dead now", at(50), at(2)));
    GK_ASSERT_OK(jobs().fail(2, *claimed[1].lease_token, "retry later", at(500), at(2)));
    GK_ASSERT_OK(jobs().cancel(3, at(2)));

    GK_ASSERT_OK_AND_ASSIGN(JobRecord r1, jobs().retry_now(1, at(10)));
    EXPECT_EQ(r1.state, JobState::queued);
    EXPECT_EQ(r1.attempts, 0);
    EXPECT_EQ(r1.run_at, at(10));
    EXPECT_FALSE(r1.finished_at);
    EXPECT_EQ(r1.last_error, "dead now");  // kept for the operator
    GK_ASSERT_OK_AND_ASSIGN(JobRecord r2, jobs().retry_now(2, at(10)));
    EXPECT_EQ(r2.state, JobState::queued);
    EXPECT_EQ(r2.attempts, 1);
    EXPECT_EQ(r2.run_at, at(10));
    GK_ASSERT_OK_AND_ASSIGN(JobRecord r3, jobs().retry_now(3, at(10)));
    EXPECT_EQ(r3.state, JobState::queued);
    EXPECT_FALSE(r3.finished_at);

    GK_EXPECT_CODE(jobs().retry_now(1, at(11)), ErrorCode::conflict);  // queued
    GK_ASSERT_OK_AND_ASSIGN(auto again, jobs().claim("w", 3, 30s, at(11)));
    EXPECT_EQ(again.size(), 3u);
    GK_EXPECT_CODE(jobs().retry_now(1, at(11)), ErrorCode::conflict);  // running
    GK_ASSERT_OK(jobs().complete(1, *again[0].lease_token, std::nullopt, at(12)));
    GK_EXPECT_CODE(jobs().retry_now(1, at(13)), ErrorCode::conflict);  // succeeded
    GK_EXPECT_CODE(jobs().retry_now(99, at(13)), ErrorCode::not_found);
}

TEST_P(JobRepositoryTest, RemoveRefusesRunningJobs) {
    GK_ASSERT_OK(jobs().enqueue(new_job(1)));
    GK_ASSERT_OK(jobs().enqueue(new_job(2)));
    GK_ASSERT_OK_AND_ASSIGN(JobRecord running, claim_one("w", at(1)));
    ASSERT_EQ(running.id, 1);
    GK_EXPECT_CODE(jobs().remove(1), ErrorCode::failed_precondition);
    GK_ASSERT_OK(jobs().remove(2));
    GK_EXPECT_CODE(jobs().get(2), ErrorCode::not_found);
    GK_EXPECT_CODE(jobs().remove(2), ErrorCode::not_found);
    GK_ASSERT_OK(jobs().complete(1, *running.lease_token, std::nullopt, at(2)));
    GK_ASSERT_OK(jobs().remove(1));
    GK_ASSERT_OK_AND_ASSIGN(auto counts, jobs().count_by_state());
    for (const auto& [state, n] : counts) EXPECT_EQ(n, 0) << state;
}

// --- listing ---------------------------------------------------------------------------

TEST_P(JobRepositoryTest, ListPagesFiltersAndCounts) {
    for (int i = 1; i <= 7; ++i) GK_ASSERT_OK(jobs().enqueue(new_job(i * 10, i <= 4 ? "a" : "b")));
    GK_ASSERT_OK(jobs().pause(20, at(1)));
    GK_ASSERT_OK(jobs().pause(60, at(1)));

    JobFilter f;
    f.limit = 3;
    std::vector<std::int64_t> seen;
    for (int page = 0; page < 5; ++page) {
        GK_ASSERT_OK_AND_ASSIGN(auto p, jobs().list(f));
        for (const JobRecord& j : p.items) seen.push_back(j.id);
        if (!p.next_after) break;
        EXPECT_EQ(p.items.size(), 3u);
        f.after = p.next_after;
    }
    EXPECT_EQ(seen, (std::vector<std::int64_t>{10, 20, 30, 40, 50, 60, 70}));

    JobFilter paused;
    paused.state = JobState::paused;
    GK_ASSERT_OK_AND_ASSIGN(auto p1, jobs().list(paused));
    EXPECT_EQ(ids_of(p1.items), (std::vector<std::int64_t>{20, 60}));
    EXPECT_FALSE(p1.next_after);
    paused.kind = "b";
    GK_ASSERT_OK_AND_ASSIGN(auto p2, jobs().list(paused));
    EXPECT_EQ(ids_of(p2.items), (std::vector<std::int64_t>{60}));
    JobFilter kind_a;
    kind_a.kind = "a";
    kind_a.after = 20;
    GK_ASSERT_OK_AND_ASSIGN(auto p3, jobs().list(kind_a));
    EXPECT_EQ(ids_of(p3.items), (std::vector<std::int64_t>{30, 40}));

    GK_ASSERT_OK_AND_ASSIGN(auto counts, jobs().count_by_state());
    EXPECT_EQ(counts.size(), kJobStateText.size());
    EXPECT_EQ(counts["queued"], 5);
    EXPECT_EQ(counts["paused"], 2);
    EXPECT_EQ(counts["dead"], 0);
}

TEST_P(JobRepositoryTest, StateTextsRoundTrip) {
    for (const auto& [state, text] : kJobStateText) {
        EXPECT_EQ(job_state_text(state), text);
        auto back = job_state_from_text(text);
        ASSERT_TRUE(back.has_value());
        EXPECT_EQ(*back, state);
    }
    GK_EXPECT_CODE(job_state_from_text("finished"), ErrorCode::invalid_argument);
}

}  // namespace

TEST_P(JobRepositoryTest, EnqueueManyIsAllOrNothing) {
    std::vector<NewJobRecord> batch{new_job(1), new_job(2, "other", 3), new_job(3)};
    auto stored = jobs().enqueue_many(batch);
    GK_ASSERT_OK(stored);
    ASSERT_EQ(stored->size(), 3u);
    EXPECT_EQ((*stored)[1].kind, "other");
    EXPECT_EQ((*stored)[1].priority, 3);
    EXPECT_EQ((*stored)[2].state, JobState::queued);
    // A duplicate id in the middle rolls the whole batch back.
    std::vector<NewJobRecord> bad{new_job(10), new_job(2), new_job(11)};
    auto refused = jobs().enqueue_many(bad);
    GK_EXPECT_CODE(refused, ErrorCode::conflict);
    EXPECT_NE(refused.error().message.find("jobs[1]"), std::string::npos) << refused.error().message;
    GK_EXPECT_CODE(jobs().get(10), ErrorCode::not_found);
    EXPECT_EQ(jobs().count_by_state()->at("queued"), 3);
    // A live idempotency key inside the batch is named as such on every
    // dialect (PostgreSQL aborts a transaction on the first error).
    GK_ASSERT_OK(jobs().enqueue(new_job(20, "noop", 0, at(0), 3, "nightly")));
    std::vector<NewJobRecord> keyed{new_job(21), new_job(22, "noop", 0, at(0), 3, "nightly")};
    auto dup_key = jobs().enqueue_many(keyed);
    GK_EXPECT_CODE(dup_key, ErrorCode::conflict);
    EXPECT_EQ(dup_key.error().details, "20") << dup_key.error().to_string();
    GK_EXPECT_CODE(jobs().get(21), ErrorCode::not_found);
}

TEST_P(JobRepositoryTest, CompleteManyAnswersPerJob) {
    std::vector<NewJobRecord> batch{new_job(1), new_job(2), new_job(3)};
    GK_ASSERT_OK(jobs().enqueue_many(batch));
    auto claimed = jobs().claim("w", 3, 30s, at(1));
    GK_ASSERT_OK(claimed);
    ASSERT_EQ(claimed->size(), 3u);
    // Job 2 is cancelled meanwhile: its completion must be refused alone.
    GK_ASSERT_OK(jobs().cancel(2, at(2)));
    std::vector<JobRepository::Completion> done;
    for (const auto& j : *claimed)
        done.push_back({j.id, *j.lease_token, j.id == 3 ? std::optional<std::string>(R"({"quote":"a\"b"})")
                                                        : std::nullopt});
    done.push_back({99, 1, std::nullopt});  // never existed
    auto answers = jobs().complete_many(done, at(3));
    GK_ASSERT_OK(answers);
    ASSERT_EQ(answers->size(), 4u);
    for (std::size_t i = 0; i < 3; ++i) {
        const auto id = done[i].id;
        if (id == 2) {
            GK_EXPECT_CODE((*answers)[i], ErrorCode::conflict);
        } else {
            EXPECT_TRUE((*answers)[i].has_value()) << "job " << id;
        }
    }
    GK_EXPECT_CODE((*answers)[3], ErrorCode::not_found);
    EXPECT_EQ(jobs().get(1)->state, JobState::succeeded);
    EXPECT_EQ(jobs().get(2)->state, JobState::cancelled);
    EXPECT_EQ(jobs().get(3)->result, R"({"quote":"a\"b"})");
    EXPECT_EQ(jobs().get(3)->finished_at, at(3));
}

TEST_P(JobRepositoryTest, ReleaseGivesTheAttemptBack) {
    GK_ASSERT_OK(jobs().enqueue(new_job(1)));
    auto job = claim_one("w", at(1));
    GK_ASSERT_OK(job);
    EXPECT_EQ(job->attempts, 1);
    GK_ASSERT_OK(jobs().release(1, *job->lease_token, at(60), at(2)));
    auto back = jobs().get(1);
    EXPECT_EQ(back->state, JobState::queued);
    EXPECT_EQ(back->attempts, 0);
    EXPECT_EQ(back->run_at, at(60));
    EXPECT_FALSE(back->lease_token.has_value());
    // Not claimable before run_at; the old token no longer works.
    EXPECT_TRUE(jobs().claim("w", 1, 30s, at(59))->empty());
    GK_EXPECT_CODE(jobs().release(1, *job->lease_token, at(3), at(3)), ErrorCode::conflict);
}

TEST_P(JobRepositoryTest, AnExpiredLeaseOnTheLastAttemptEndsTheJob) {
    // A job that takes its worker down every time must not loop for ever.
    GK_ASSERT_OK(jobs().enqueue(new_job(1, "crashy", 0, at(0), 2)));
    GK_ASSERT_OK(claim_one("w1", at(1), 10s));  // attempt 1; the worker dies
    auto second = claim_one("w2", at(20), 10s);  // lease expired: attempt 2
    GK_ASSERT_OK(second);
    EXPECT_EQ(second->attempts, 2);
    // Attempt 2's worker dies too: no third claim, and the sweep ends it.
    GK_ASSERT_OK_AND_ASSIGN(auto none, jobs().claim("w3", 1, 10s, at(40)));
    EXPECT_TRUE(none.empty());
    GK_ASSERT_OK_AND_ASSIGN(std::size_t moved, jobs().expire_leases(at(40)));
    EXPECT_EQ(moved, 1u);
    GK_ASSERT_OK_AND_ASSIGN(JobRecord dead, jobs().get(1));
    EXPECT_EQ(dead.state, JobState::dead);
    EXPECT_EQ(dead.last_error, "worker lost during the last attempt (lease expired)");
    EXPECT_EQ(dead.finished_at, at(40));
    EXPECT_FALSE(dead.lease_token.has_value());
    // A live lease is left alone.
    GK_ASSERT_OK(jobs().enqueue(new_job(2, "fine", 0, at(0), 1)));
    GK_ASSERT_OK(claim_one("w4", at(50), 10s));
    EXPECT_EQ(*jobs().expire_leases(at(55)), 0u);
    EXPECT_EQ(jobs().get(2)->state, JobState::running);
}

// Needs two opens of one database: not on sqlite::memory:.
class JobMigrationTest : public JobRepositoryTest {};

TEST_P(JobMigrationTest, MigrationSevenKeepsEveryJobRow) {
    // Migration 7 rebuilds the jobs table (OR chains instead of IN lists);
    // rows written under migration 6 must come through unchanged.
    backend_.reset();
    auto fresh = test::FreshDatabase::create(GetParam());
    GK_ASSERT_OK(fresh);
    {
        GK_ASSERT_OK_AND_ASSIGN(auto db, Database::open((*fresh)->url()));
        GK_ASSERT_OK(db->migrate(gramkit_migrations().first(6)));
        GK_ASSERT_OK_AND_ASSIGN(auto conn, db->connection());
        GK_ASSERT_OK((*conn).execute_script(
            "INSERT INTO jobs (id, kind, payload, priority, run_at, attempts, max_attempts, state, "
            "idempotency_key, progress, created_at, updated_at) "
            "VALUES (5, 'old', '{\"a\":1}', 2, 100, 1, 3, 'failed_retrying', 'key-5', '{\"p\":1}', 50, 60)"));
    }
    GK_ASSERT_OK_AND_ASSIGN(auto upgraded, Backend::open((*fresh)->url()));
    GK_ASSERT_OK_AND_ASSIGN(int version, upgraded->database().schema_version());
    EXPECT_EQ(version, 7);
    GK_ASSERT_OK_AND_ASSIGN(JobRecord job, upgraded->jobs().get(5));
    EXPECT_EQ(job.kind, "old");
    EXPECT_EQ(job.payload, R"({"a":1})");
    EXPECT_EQ(job.state, JobState::failed_retrying);
    EXPECT_EQ(job.attempts, 1);
    EXPECT_EQ(job.idempotency_key, "key-5");
    EXPECT_EQ(job.progress, R"({"p":1})");
    // The live-key index came back too.
    GK_EXPECT_CODE(upgraded->jobs().enqueue(new_job(6, "noop", 0, at(0), 3, "key-5")), ErrorCode::conflict);
}

GRAMKIT_INSTANTIATE_STORAGE_BACKENDS(JobRepositoryTest);
GRAMKIT_INSTANTIATE_STORAGE_BACKENDS_WHERE(JobMigrationTest, ::gramkit::test::shares_data_across_opens);

}  // namespace gramkit::storage
