// Periodic schedules through JobService on every backend, on the manual
// clock: fire times, one fire after a downtime, skipped periods while the
// previous run is live, enable/disable, and the checks of a spec.
#include "jobs_fixture.hpp"

namespace gramkit::test {
namespace {

using namespace std::chrono_literals;
using jobs::JobOutcome;
using jobs::JobState;

class ScheduleServiceTest : public JobsTest {
protected:
    std::vector<jobs::Job> jobs_of(std::string_view kind) {
        jobs::JobFilter f;
        f.kind = std::string(kind);
        auto page = jobs().list(f);
        EXPECT_TRUE(page.has_value());
        return page ? page->items : std::vector<jobs::Job>{};
    }
    std::size_t tick() {
        auto queued = jobs().tick();
        EXPECT_TRUE(queued.has_value()) << queued.error().to_string();
        return queued.value_or(0);
    }
};

TEST_P(ScheduleServiceTest, AnIntervalScheduleFiresOncePerPeriodAndOnceAfterDowntime) {
    ASSERT_TRUE(jobs().register_handler("report", [](jobs::JobContext&) { return JobOutcome::success(); }));
    const Timestamp t0 = clock->now();
    auto s = jobs().create_schedule({.name = "hourly-report", .kind = "report", .payload = R"({"scope":"all"})",
                                     .interval = 1h});
    ASSERT_TRUE(s) << s.error().to_string();
    EXPECT_EQ(s->next_fire_at, t0 + 1h);
    EXPECT_EQ(tick(), 0u);

    clock->advance(1h);
    EXPECT_EQ(tick(), 1u);
    EXPECT_EQ(tick(), 0u);  // once per period, however often the firer looks
    auto fired = jobs_of("report");
    ASSERT_EQ(fired.size(), 1u);
    EXPECT_EQ(fired[0].payload, R"({"scope":"all"})");
    EXPECT_EQ(fired[0].idempotency_key, "schedule:" + std::to_string(s->id));
    auto after = jobs().get_schedule(s->id);
    EXPECT_EQ(after->next_fire_at, t0 + 2h);
    EXPECT_EQ(after->last_job_id, fired[0].id);

    // The previous run is still queued: the next period is skipped, not
    // queued behind it.
    clock->advance(1h);
    EXPECT_EQ(tick(), 0u);
    EXPECT_EQ(jobs_of("report").size(), 1u);
    EXPECT_EQ(jobs().get_schedule(s->id)->next_fire_at, t0 + 3h);

    ASSERT_EQ(*jobs().run_pending(), 1u);
    // Ten periods pass with nobody firing: one job, and the phase is kept.
    clock->advance(10h + 30min);
    EXPECT_EQ(tick(), 1u);
    EXPECT_EQ(tick(), 0u);
    EXPECT_EQ(jobs_of("report").size(), 2u);
    EXPECT_EQ(jobs().get_schedule(s->id)->next_fire_at, t0 + 13h);  // now is t0 + 12h30
}

TEST_P(ScheduleServiceTest, ACronScheduleFiresOnItsMinutes) {
    // The manual clock starts at 2023-11-14T22:13:20Z.
    auto s = jobs().create_schedule({.name = "five", .kind = "k", .cron = "*/5 * * * *"});
    ASSERT_TRUE(s) << s.error().to_string();
    EXPECT_EQ(s->cron, "*/5 * * * *");
    EXPECT_EQ(to_micros(s->next_fire_at), to_micros(clock->now() + 1min + 40s));  // 22:15:00
    clock->set(s->next_fire_at);
    EXPECT_EQ(tick(), 1u);
    EXPECT_EQ(jobs().get_schedule(s->id)->next_fire_at, s->next_fire_at + 5min);
    // Names and macros are stored in canonical form.
    auto named = jobs().create_schedule({.name = "weekdays", .kind = "k", .cron = "0 9 * * MON-fri"});
    ASSERT_TRUE(named);
    EXPECT_EQ(named->cron, "0 9 * * 1-5");
}

TEST_P(ScheduleServiceTest, DisabledSchedulesDoNotFireAndReenablingCountsFromNow) {
    auto s = jobs().create_schedule({.name = "s", .kind = "k", .interval = 10min});
    ASSERT_TRUE(s);
    ASSERT_TRUE(jobs().set_schedule_enabled(s->id, false));
    clock->advance(1h);
    EXPECT_EQ(tick(), 0u);
    auto on = jobs().set_schedule_enabled(s->id, true);
    ASSERT_TRUE(on);
    EXPECT_TRUE(on->enabled);
    EXPECT_GT(on->next_fire_at, clock->now());  // the hour it was off is not a missed run
    EXPECT_EQ(tick(), 0u);
}

TEST_P(ScheduleServiceTest, RunNowQueuesWithoutMovingTheNextFireTime) {
    auto s = jobs().create_schedule({.name = "s", .kind = "k", .payload = R"({"x":1})", .interval = 1h});
    ASSERT_TRUE(s);
    auto job = jobs().run_schedule_now(s->id);
    ASSERT_TRUE(job) << job.error().to_string();
    EXPECT_EQ(job->kind, "k");
    EXPECT_EQ(job->payload, R"({"x":1})");
    EXPECT_EQ(jobs().get_schedule(s->id)->next_fire_at, s->next_fire_at);
    // While that run is live, a second run-now is refused as a duplicate.
    auto again = jobs().run_schedule_now(s->id);
    ASSERT_FALSE(again);
    EXPECT_EQ(again.error().code, ErrorCode::conflict);
}

TEST_P(ScheduleServiceTest, UpdateAndDeleteAndList) {
    auto a = jobs().create_schedule({.name = "a", .kind = "k", .interval = 1h});
    auto b = jobs().create_schedule({.name = "b", .kind = "k", .cron = "@daily"});
    ASSERT_TRUE(a && b);
    auto updated = jobs().update_schedule(a->id, {.name = "a2", .kind = "k2", .interval = 2h});
    ASSERT_TRUE(updated) << updated.error().to_string();
    EXPECT_EQ(updated->name, "a2");
    EXPECT_EQ(updated->kind, "k2");
    EXPECT_EQ(updated->next_fire_at, clock->now() + 2h);
    EXPECT_EQ(updated->created_at, a->created_at);
    auto page = jobs().list_schedules(std::nullopt, 1);
    ASSERT_TRUE(page);
    ASSERT_EQ(page->items.size(), 1u);
    ASSERT_TRUE(page->next.has_value());
    auto rest = jobs().list_schedules(page->next, 10);
    ASSERT_TRUE(rest);
    EXPECT_EQ(rest->items.size(), 1u);
    ASSERT_TRUE(jobs().remove_schedule(b->id));
    auto gone = jobs().get_schedule(b->id);
    ASSERT_FALSE(gone);
    EXPECT_EQ(gone.error().code, ErrorCode::not_found);
}

TEST_P(ScheduleServiceTest, BadSpecsAreRefusedByName) {
    auto expect_bad = [&](const jobs::ScheduleSpec& spec, std::string_view field, std::string_view mentions = {}) {
        auto r = jobs().create_schedule(spec);
        ASSERT_FALSE(r.has_value()) << spec.name;
        EXPECT_EQ(r.error().code, ErrorCode::invalid_argument) << r.error().to_string();
        EXPECT_EQ(r.error().details, field) << r.error().to_string();
        if (!mentions.empty()) EXPECT_NE(r.error().message.find(mentions), std::string::npos) << r.error().message;
    };
    expect_bad({.name = "", .kind = "k", .interval = 1h}, "name");
    expect_bad({.name = "n", .kind = "", .interval = 1h}, "kind");
    expect_bad({.name = "n", .kind = "k"}, "cron", "exactly one");
    expect_bad({.name = "n", .kind = "k", .cron = "* * * * *", .interval = 1h}, "cron", "exactly one");
    expect_bad({.name = "n", .kind = "k", .cron = "61 * * * *"}, "cron", "minute");
    expect_bad({.name = "n", .kind = "k", .cron = "0 0 30 2 *"}, "cron", "never fires");
    expect_bad({.name = "n", .kind = "k", .interval = 1500ms}, "interval");
    expect_bad({.name = "n", .kind = "k", .payload = "[]", .interval = 1h}, "payload");
    expect_bad({.name = "n", .kind = "k", .max_attempts = -1, .interval = 1h}, "max_attempts");
    ASSERT_TRUE(jobs().create_schedule({.name = "dup", .kind = "k", .interval = 1h}));
    auto dup = jobs().create_schedule({.name = "dup", .kind = "k", .interval = 2h});
    ASSERT_FALSE(dup);
    EXPECT_EQ(dup.error().code, ErrorCode::conflict);
    EXPECT_EQ(dup.error().details, "name");
    EXPECT_EQ(jobs().list_schedules(std::nullopt, 100)->items.size(), 1u);
}

TEST_P(ScheduleServiceTest, ThePoolsLeaderFiresDueSchedules) {
    std::mutex mu;
    std::condition_variable cv;
    int ran = 0;
    ASSERT_TRUE(jobs().register_handler("beat", [&](jobs::JobContext&) {
        std::lock_guard lock(mu);
        ++ran;
        cv.notify_all();
        return JobOutcome::success();
    }));
    auto s = jobs().create_schedule({.name = "beat", .kind = "beat", .interval = 1min});
    ASSERT_TRUE(s);
    clock->advance(1min);
    auto options = fast_pool();
    options.run_schedules = true;
    options.leader_lock = "table";  // the lease row works on every backend
    ASSERT_TRUE(jobs().start(options));
    std::unique_lock lock(mu);
    ASSERT_TRUE(cv.wait_for(lock, 60s, [&] { return ran == 1; }));
    EXPECT_TRUE(jobs().status().leader);
}

GRAMKIT_INSTANTIATE_STORAGE_BACKENDS(ScheduleServiceTest);

}  // namespace
}  // namespace gramkit::test
