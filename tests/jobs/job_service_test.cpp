// JobService through the Engine on every backend: handler outcomes, retries
// with backoff on the manual clock, input waits, cancellation of a running
// handler, graceful shutdown and per-kind concurrency.
#include <atomic>
#include <thread>

#include "jobs/backoff.hpp"
#include "jobs_fixture.hpp"

namespace gramkit::test {
namespace {

using namespace std::chrono_literals;
using jobs::JobOutcome;
using jobs::JobState;

class JobServiceTest : public JobsTest {};

TEST_P(JobServiceTest, HandlerResultIsStoredAndEventsArePublished) {
    ASSERT_TRUE(jobs().register_handler("echo", [](jobs::JobContext& ctx) {
        return JobOutcome::success("{\"echo\":" + ctx.job().payload + "}");
    }));
    auto job = enqueue("echo", R"({"n":7})");
    EXPECT_EQ(job.state, JobState::queued);
    EXPECT_EQ(job.max_attempts, 3);  // the kind's default

    auto ran = jobs().run_pending();
    ASSERT_TRUE(ran) << ran.error().to_string();
    EXPECT_EQ(*ran, 1u);
    auto done = get(job.id);
    EXPECT_EQ(done.state, JobState::succeeded);
    EXPECT_EQ(done.attempts, 1);
    EXPECT_EQ(done.result, R"({"echo":{"n":7}})");
    EXPECT_TRUE(done.finished_at.has_value());
    EXPECT_EQ(await_finished(job.id), std::vector<std::string>{"succeeded"});
    auto types = event_types();
    ASSERT_EQ(types.size(), 2u);
    EXPECT_EQ(types[0], "job.started");
    EXPECT_EQ(types[1], "job.finished");
    // Nothing left to run.
    EXPECT_EQ(*jobs().run_pending(), 0u);
}

TEST_P(JobServiceTest, JobsOfKindsWithoutAHandlerHereAreNotClaimed) {
    ASSERT_TRUE(jobs().register_handler("mine", [](jobs::JobContext&) { return JobOutcome::success(); }));
    auto other = enqueue("someone.elses");
    EXPECT_EQ(*jobs().run_pending(), 0u);
    EXPECT_EQ(get(other.id).state, JobState::queued);
}

TEST_P(JobServiceTest, FailuresRetryWithinTheBackoffBoundAndDieAfterMaxAttempts) {
    jobs::KindOptions options;
    options.max_attempts = 4;
    options.backoff = {10s, 25s, 2.0};
    ASSERT_TRUE(jobs().register_handler(
        "flaky", [](jobs::JobContext& ctx) { return JobOutcome::failure("boom " + std::to_string(ctx.job().attempts)); },
        options));
    auto job = enqueue("flaky");
    for (int attempt = 1; attempt <= 4; ++attempt) {
        const Timestamp before = clock->now();
        ASSERT_EQ(*jobs().run_pending(), 1u) << "attempt " << attempt;
        auto after = get(job.id);
        EXPECT_EQ(after.attempts, attempt);
        EXPECT_EQ(after.last_error, "boom " + std::to_string(attempt));
        if (attempt < 4) {
            ASSERT_EQ(after.state, JobState::failed_retrying);
            // Full jitter: the delay lies in [0, min(cap, base × 2^(attempt−1))).
            const Duration bound = jobs::max_retry_delay(options.backoff, attempt);
            EXPECT_EQ(bound, std::min<Duration>(25s, 10s * (1 << (attempt - 1))));
            EXPECT_GE(after.run_at, before);
            EXPECT_LT(after.run_at, before + bound);
            // Not runnable before its time (unless the draw was 0).
            if (after.run_at > clock->now()) {
                EXPECT_EQ(*jobs().run_pending(), 0u);
            }
            clock->set(after.run_at);
        } else {
            EXPECT_EQ(after.state, JobState::dead);
            EXPECT_TRUE(after.finished_at.has_value());
        }
    }
    EXPECT_EQ(*jobs().run_pending(), 0u);
    // A dead job is kept, listed, and can be retried by hand.
    jobs::JobFilter dead;
    dead.state = JobState::dead;
    auto listed = jobs().list(dead);
    ASSERT_TRUE(listed);
    ASSERT_EQ(listed->items.size(), 1u);
    EXPECT_EQ(listed->items[0].id, job.id);
    auto retried = jobs().retry(job.id);
    ASSERT_TRUE(retried) << retried.error().to_string();
    EXPECT_EQ(retried->state, JobState::queued);
    EXPECT_EQ(retried->attempts, 0);
}

TEST_P(JobServiceTest, PermanentFailuresAndExceptionsAreRecorded) {
    ASSERT_TRUE(jobs().register_handler(
        "bad_payload", [](jobs::JobContext&) { return JobOutcome::permanent_failure("payload lacks 'user'"); }));
    ASSERT_TRUE(jobs().register_handler("thrower", [](jobs::JobContext&) -> JobOutcome {
        throw std::runtime_error("disk on fire");
    }));
    auto a = enqueue("bad_payload");
    auto b = enqueue("thrower");
    EXPECT_EQ(*jobs().run_pending(), 2u);
    auto dead = get(a.id);
    EXPECT_EQ(dead.state, JobState::dead);
    EXPECT_EQ(dead.attempts, 1);
    EXPECT_EQ(dead.last_error, "payload lacks 'user'");
    auto threw = get(b.id);
    EXPECT_EQ(threw.state, JobState::failed_retrying);
    EXPECT_EQ(threw.last_error, "handler threw: disk on fire");
}

TEST_P(JobServiceTest, RetryLaterGivesTheAttemptBackAndWaits) {
    ASSERT_TRUE(jobs().register_handler("patient", [](jobs::JobContext& ctx) {
        if (ctx.job().attempts == 1 && !ctx.job().progress) {
            EXPECT_TRUE(ctx.progress(R"({"waiting":true})"));
            return JobOutcome::retry_later(5min, "every account is cooling down");
        }
        return JobOutcome::success();
    }, jobs::KindOptions{.max_attempts = 1}));
    auto job = enqueue("patient");
    ASSERT_EQ(*jobs().run_pending(), 1u);
    auto waiting = get(job.id);
    EXPECT_EQ(waiting.state, JobState::queued);
    EXPECT_EQ(waiting.attempts, 0);  // not a failure: max_attempts 1 still allows the next run
    EXPECT_EQ(waiting.run_at, clock->now() + 5min);
    EXPECT_EQ(*jobs().run_pending(), 0u);
    clock->advance(5min);
    ASSERT_EQ(*jobs().run_pending(), 1u);
    EXPECT_EQ(get(job.id).state, JobState::succeeded);
}

TEST_P(JobServiceTest, AJobCanWaitForInputAndResumeWithIt) {
    ASSERT_TRUE(jobs().register_handler("login", [](jobs::JobContext& ctx) {
        if (!ctx.job().input) return JobOutcome::wait_for_input(10min);
        return JobOutcome::success(*ctx.job().input);
    }));
    auto job = enqueue("login");
    ASSERT_EQ(*jobs().run_pending(), 1u);
    auto waiting = get(job.id);
    EXPECT_EQ(waiting.state, JobState::awaiting_input);
    EXPECT_EQ(waiting.input_expires_at, clock->now() + 10min);

    // Bad input is refused by name and changes nothing.
    auto bad = jobs().provide_input(job.id, "{not json");
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().code, ErrorCode::invalid_argument);
    EXPECT_EQ(bad.error().details, "input");
    EXPECT_EQ(get(job.id).state, JobState::awaiting_input);

    auto given = jobs().provide_input(job.id, R"({"code":"123456"})");
    ASSERT_TRUE(given) << given.error().to_string();
    EXPECT_EQ(given->state, JobState::queued);
    ASSERT_EQ(*jobs().run_pending(), 1u);
    auto done = get(job.id);
    EXPECT_EQ(done.state, JobState::succeeded);
    EXPECT_EQ(done.result, R"({"code":"123456"})");
    EXPECT_EQ(done.attempts, 1);  // the wait was part of the first attempt
}

TEST_P(JobServiceTest, AnInputWaitThatRunsOutFailsTheAttempt) {
    ASSERT_TRUE(jobs().register_handler("login", [](jobs::JobContext&) { return JobOutcome::wait_for_input(1min); },
                                        jobs::KindOptions{.max_attempts = 1}));
    auto job = enqueue("login");
    ASSERT_EQ(*jobs().run_pending(), 1u);
    clock->advance(2min);
    ASSERT_TRUE(jobs().tick());
    auto dead = get(job.id);
    EXPECT_EQ(dead.state, JobState::dead);
    EXPECT_EQ(dead.last_error, "input not provided in time");
    auto late = jobs().provide_input(job.id, "{}");
    ASSERT_FALSE(late);
    EXPECT_EQ(late.error().code, ErrorCode::failed_precondition);
}

TEST_P(JobServiceTest, CancellingARunningJobStopsItsHandler) {
    std::atomic<bool> saw_cancel{false};
    ASSERT_TRUE(jobs().register_handler("long", [&](jobs::JobContext& ctx) {
        // Returns only when told to (bounded by the test's own deadline).
        saw_cancel = ctx.wait_cancelled(60s);
        return JobOutcome::success("{\"finished\":true}");
    }));
    ASSERT_TRUE(jobs().start(fast_pool()));
    auto job = enqueue("long");
    ASSERT_TRUE(await_started(job.id));
    EXPECT_EQ(get(job.id).state, JobState::running);
    auto cancelled = jobs().cancel(job.id);
    ASSERT_TRUE(cancelled) << cancelled.error().to_string();
    EXPECT_EQ(cancelled->state, JobState::cancelled);
    EXPECT_EQ(await_finished(job.id), std::vector<std::string>{"cancelled"});
    EXPECT_TRUE(saw_cancel.load());
    // The handler's late "success" was discarded.
    auto after = get(job.id);
    EXPECT_EQ(after.state, JobState::cancelled);
    EXPECT_FALSE(after.result.has_value());
}

TEST_P(JobServiceTest, StopReleasesJobsWhoseHandlersOutlastTheGracePeriod) {
    std::atomic<bool> told{false};
    ASSERT_TRUE(jobs().register_handler("stubborn", [&](jobs::JobContext& ctx) {
        told = ctx.wait_cancelled(60s);
        return JobOutcome::success();
    }));
    ASSERT_TRUE(jobs().start(fast_pool()));
    auto job = enqueue("stubborn");
    ASSERT_TRUE(await_started(job.id));
    jobs().stop();  // grace 0: release at once
    EXPECT_TRUE(told.load());
    EXPECT_FALSE(jobs().status().running);
    auto released = get(job.id);
    EXPECT_EQ(released.state, JobState::queued);
    EXPECT_EQ(released.attempts, 0);  // handed on, not failed
    EXPECT_FALSE(released.lease_owner.has_value());
    jobs().stop();  // idempotent
}

TEST_P(JobServiceTest, StopWaitsForHandlersThatFinishWithinTheGracePeriod) {
    std::mutex mu;
    std::condition_variable cv;
    bool release_handler = false;
    ASSERT_TRUE(jobs().register_handler("quick", [&](jobs::JobContext&) {
        std::unique_lock lock(mu);
        cv.wait_for(lock, 60s, [&] { return release_handler; });
        return JobOutcome::success("1");
    }));
    auto options = fast_pool();
    options.shutdown_grace = 60s;
    ASSERT_TRUE(jobs().start(options));
    auto job = enqueue("quick");
    ASSERT_TRUE(await_started(job.id));
    std::thread stopper([&] { jobs().stop(); });
    {
        std::lock_guard lock(mu);
        release_handler = true;
    }
    cv.notify_all();
    stopper.join();
    auto done = get(job.id);
    EXPECT_EQ(done.state, JobState::succeeded);
    EXPECT_EQ(done.result, "1");
}

TEST_P(JobServiceTest, StopCalledFromAHandlerOnlyStopsClaiming) {
    std::atomic<bool> stopped_inside{false};
    ASSERT_TRUE(jobs().register_handler("self_stop", [&](jobs::JobContext&) {
        jobs().stop();  // a pool thread: must not join itself
        stopped_inside = true;
        return JobOutcome::success();
    }));
    ASSERT_TRUE(jobs().start(fast_pool()));
    auto first = enqueue("self_stop");
    EXPECT_EQ(await_finished(first.id), std::vector<std::string>{"succeeded"});
    EXPECT_TRUE(stopped_inside.load());
    EXPECT_FALSE(jobs().status().running);  // no longer claiming
    auto second = enqueue("self_stop");
    jobs().stop();  // from outside: joins the pool's threads
    EXPECT_EQ(get(second.id).state, JobState::queued);
    ASSERT_TRUE(jobs().start(fast_pool()));  // and it can start again
    EXPECT_EQ(await_finished(second.id), std::vector<std::string>{"succeeded"});
}

TEST_P(JobServiceTest, ThePoolRespectsEachKindsConcurrency) {
    // Handlers hold until the test admits them one by one, so whenever the
    // pool could overrun the limit it has the chance to.
    std::mutex mu;
    std::condition_variable cv;
    int active = 0, peak = 0, admitted = 0, done = 0;
    jobs::KindOptions options;
    options.concurrency = 2;
    ASSERT_TRUE(jobs().register_handler("pair", [&](jobs::JobContext&) {
        std::unique_lock lock(mu);
        peak = std::max(peak, ++active);
        cv.notify_all();
        cv.wait_for(lock, 60s, [&] { return admitted > 0; });
        --admitted;
        --active;
        ++done;
        cv.notify_all();
        return JobOutcome::success();
    }, options));
    constexpr int kJobs = 6;
    std::vector<std::int64_t> ids;
    for (int i = 0; i < kJobs; ++i) ids.push_back(enqueue("pair").id);
    ASSERT_TRUE(jobs().start(fast_pool()));
    for (int i = 0; i < kJobs; ++i) {
        std::unique_lock lock(mu);
        const int expect_active = std::min(2, kJobs - i);
        ASSERT_TRUE(cv.wait_for(lock, 60s, [&] { return active == expect_active; })) << "round " << i;
        ++admitted;
        cv.notify_all();
        ASSERT_TRUE(cv.wait_for(lock, 60s, [&] { return done == i + 1; })) << "round " << i;
    }
    for (auto id : ids) EXPECT_EQ(await_finished(id), std::vector<std::string>{"succeeded"});
    std::lock_guard lock(mu);
    EXPECT_EQ(peak, 2);
}

TEST_P(JobServiceTest, ProgressIsStoredAndPublished) {
    ASSERT_TRUE(jobs().register_handler("counting", [](jobs::JobContext& ctx) {
        for (int i = 1; i <= 3; ++i) {
            if (Status s = ctx.progress("{\"page\":" + std::to_string(i) + "}"); !s) return JobOutcome::failure("lost");
        }
        auto bad = ctx.progress("not json");
        if (bad || bad.error().details != "progress") return JobOutcome::failure("bad progress accepted");
        return JobOutcome::success();
    }));
    auto job = enqueue("counting");
    ASSERT_EQ(*jobs().run_pending(), 1u);
    auto done = get(job.id);
    EXPECT_EQ(done.state, JobState::succeeded) << done.last_error.value_or("");
    EXPECT_EQ(done.progress, R"({"page":3})");
    auto types = event_types();
    EXPECT_EQ(std::count(types.begin(), types.end(), "job.progress"), 3);
}

TEST_P(JobServiceTest, BadSpecsAndOptionsAreRefusedByName) {
    auto expect_bad = [](auto r, std::string_view field) {
        ASSERT_FALSE(r.has_value());
        EXPECT_EQ(r.error().code, ErrorCode::invalid_argument) << r.error().to_string();
        EXPECT_EQ(r.error().details, field) << r.error().to_string();
    };
    expect_bad(jobs().enqueue({.kind = ""}), "kind");
    expect_bad(jobs().enqueue({.kind = "k", .payload = "[1,2]"}), "payload");
    expect_bad(jobs().enqueue({.kind = "k", .payload = "{\"a\":"}), "payload");
    expect_bad(jobs().enqueue({.kind = "k", .max_attempts = 0}), "max_attempts");
    expect_bad(jobs().enqueue({.kind = "k", .idempotency_key = std::string(500, 'x')}), "idempotency_key");
    auto noop = [](jobs::JobContext&) { return JobOutcome::success(); };
    expect_bad(jobs().register_handler("k", noop, {.concurrency = 0}), "concurrency");
    expect_bad(jobs().register_handler("k", noop, {.lease = 10ms}), "lease");
    expect_bad(jobs().register_handler("k", noop, {.backoff = {0s, 1s, 2.0}}), "backoff.base");
    expect_bad(jobs().register_handler("k", nullptr), "handler");
    jobs::WorkerOptions w;
    w.claim_batch = 0;
    expect_bad(jobs().start(w), "claim_batch");
    w = {};
    w.leader_lock = "zookeeper://nope";
    expect_bad(jobs().start(w), "leader_lock");
    EXPECT_FALSE(jobs().status().running);
    // Nothing was queued by the refused calls.
    auto counts = jobs().counts();
    ASSERT_TRUE(counts);
    for (const auto& [state, n] : *counts) EXPECT_EQ(n, 0) << state;
}

TEST_P(JobServiceTest, EnqueueManyQueuesABatchOrNothing) {
    std::vector<jobs::JobSpec> specs{{.kind = "a"}, {.kind = "b", .payload = R"({"x":1})", .priority = 2}};
    auto queued = jobs().enqueue_many(specs);
    ASSERT_TRUE(queued) << queued.error().to_string();
    ASSERT_EQ(queued->size(), 2u);
    EXPECT_EQ((*queued)[1].payload, R"({"x":1})");
    specs.push_back({.kind = "c", .payload = "[]"});
    auto refused = jobs().enqueue_many(specs);
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().code, ErrorCode::invalid_argument);
    EXPECT_EQ(refused.error().details, "jobs[2].payload");
    EXPECT_EQ(jobs().counts()->at("queued"), 2);
}

TEST_P(JobServiceTest, IdempotencyKeyRefusesALiveDuplicate) {
    jobs::JobSpec spec{.kind = "k", .idempotency_key = "daily-report"};
    auto first = jobs().enqueue(spec);
    ASSERT_TRUE(first);
    auto dup = jobs().enqueue(spec);
    ASSERT_FALSE(dup);
    EXPECT_EQ(dup.error().code, ErrorCode::conflict);
    EXPECT_EQ(dup.error().details, std::to_string(first->id));
    ASSERT_TRUE(jobs().cancel(first->id));
    EXPECT_TRUE(jobs().enqueue(spec));  // the key is free once the job ended
}

GRAMKIT_INSTANTIATE_STORAGE_BACKENDS(JobServiceTest);

}  // namespace
}  // namespace gramkit::test
