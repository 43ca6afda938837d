// Scraping tasks end to end: a real engine (SQLite file, manual clock, runs
// through engine->jobs().run_pending() on the test thread) against igsim
// over HTTPS, on SQLite (file) and PostgreSQL (GRAMKIT_TEST_POSTGRES_URL; skipped
// when unset, a failure when CI=true). The world has one hashtag on every post (40 users × 25 posts =
// 1 000 posts tagged #bigtag), so a hashtag scrape walks 112 pages of 9.
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <set>

#include "app.hpp"
#include "backends.hpp"
#include "core/json.hpp"
#include "engine_fixture.hpp"
#include "igsim_admin.hpp"
#include "gramkit/jobs.hpp"
#include "gramkit/scrape.hpp"
#include "ratelimit/policy.hpp"
#include "scrape/scrape_service.hpp"
#include "scrape/scrape_store.hpp"
#include "server.hpp"
#include "storage/repositories.hpp"
#include "storage/sql_repositories.hpp"

namespace gramkit {
namespace {

using namespace std::chrono_literals;

constexpr std::int64_t kUnixNow = 1'700'000'000;
constexpr const char* kTag = "bigtag";
constexpr int kUsers = 40;
constexpr int kPostsPerUser = 25;

igsim::BotAccount bot(std::string username) {
    igsim::BotAccount a;
    a.username = std::move(username);
    a.password = "pw-" + a.username;
    a.outcome = igsim::LoginOutcome::ok;
    return a;
}

class ScrapeServiceTest : public ::testing::TestWithParam<test::BackendParam> {
protected:
    void SetUp() override {
        if (test::is_postgres_backend(GetParam()) && test::postgres_test_url().empty()) {
            if (test::running_in_ci()) FAIL() << "GRAMKIT_TEST_POSTGRES_URL is not set (CI must test PostgreSQL)";
            GTEST_SKIP() << "GRAMKIT_TEST_POSTGRES_URL is not set";
        }
        auto fresh_db = test::FreshDatabase::create(GetParam());
        ASSERT_TRUE(fresh_db) << fresh_db.error().to_string();
        fresh = std::move(*fresh_db);
        igsim::ServerOptions o;
        o.world.seed = 23;
        o.world.users = kUsers;
        o.world.posts_per_user = kPostsPerUser;
        o.world.hashtags = {kTag};
        o.behaviour.clock = kUnixNow;
        o.accounts = {bot("bot_a"), bot("bot_b")};
        server = std::make_unique<igsim::Server>(std::move(o));
        server->start();
        ca_file = (dir.path() / "igsim-ca.pem").string();
        std::ofstream(ca_file) << server->certificate_pem();
        clock->set(from_micros(kUnixNow * 1'000'000));

        EngineConfig cfg = testing::igsim_engine_config(dir.str(), base_url(), ca_file, clock, log.sink());
        cfg.storage_url = fresh->url();
        // igsim's 429s are what these tests are about: the local limiter is
        // set wide open so it never decides first.
        cfg.ratelimit_rules = std::vector<ratelimit::Rule>{
            {"account.all", ratelimit::Limit{1'000'000, std::chrono::minutes(11), 100'000}, {"account"}}};
        auto e = Engine::open(cfg);
        ASSERT_TRUE(e) << e.error().to_string();
        engine = std::move(*e);
        engine->events().subscribe([this](const Event& ev) {
            if (ev.type != "scrape.page") return;
            std::lock_guard g(events_mu);
            page_events.push_back(ev.data_json);
            if (on_page) on_page(ev);
        });
        for (const char* name : {"bot_a", "bot_b"}) bots.push_back(logged_in_bot(name));
    }

    void TearDown() override {
        engine.reset();
        server.reset();
        fresh.reset();
    }

    std::string base_url() const { return "https://127.0.0.1:" + std::to_string(server->https_port()); }
    const igsim::World& world() { return server->app().world(); }

    Account logged_in_bot(const std::string& username) {
        NewAccount spec;
        spec.username = username;
        spec.password = "pw-" + username;
        auto a = engine->accounts().create(spec);
        EXPECT_TRUE(a) << a.error().to_string();
        auto r = engine->instagram().login({a->id});
        EXPECT_TRUE(r) << r.error().to_string();
        return *a;
    }

    void configure_igsim(const std::string& json) {
        ASSERT_TRUE(testing::configure_igsim(base_url(), ca_file, json));
    }

    // Runs due jobs until none is due; returns how many ran.
    std::size_t run_due() {
        std::size_t total = 0;
        for (;;) {
            auto ran = engine->jobs().run_pending();
            EXPECT_TRUE(ran) << ran.error().to_string();
            if (!ran || *ran == 0) return total;
            total += *ran;
        }
    }

    // The n-th user whose posts are public.
    const igsim::User& public_user(std::size_t n) {
        for (const auto& u : world().users())
            if (!u.is_private && n-- == 0) return u;
        throw std::logic_error("not enough public users");
    }

    scrape::Task task(std::int64_t id) {
        auto t = engine->scrape().get(id);
        EXPECT_TRUE(t) << t.error().to_string();
        return t.value_or(scrape::Task{});
    }

    // The same database, opened beside the engine (as the action-log tests do).
    std::unique_ptr<storage::Backend> backend() {
        auto b = storage::Backend::open(fresh->url());
        EXPECT_TRUE(b) << b.error().to_string();
        return b ? std::move(*b) : nullptr;
    }

    std::int64_t count(const std::string& sql) {
        auto b = backend();
        auto n = storage::sql_repo::with_connection(b->database(), [&](storage::Connection& c) {
            return storage::sql_repo::query_int(c, sql, {});
        });
        EXPECT_TRUE(n) << n.error().to_string();
        return n && *n ? **n : -1;
    }

    // A statement on the same database, beside the engine.
    void sql(const std::string& statement) {
        auto b = backend();
        ASSERT_TRUE(b);
        auto n = storage::sql_repo::with_connection(b->database(), [&](storage::Connection& c) {
            return storage::exec(c, statement);
        });
        ASSERT_TRUE(n) << statement << ": " << n.error().to_string();
    }

    std::int64_t ok_fetches(const std::string& action) {
        std::int64_t ok = 0;
        for (const auto& a : actions(action)) ok += a.outcome == "ok" ? 1 : 0;
        return ok;
    }

    std::vector<storage::ActionRecord> actions(const std::string& action) {
        auto b = backend();
        std::vector<storage::ActionRecord> out;
        storage::ActionFilter f;
        f.action = action;
        f.limit = 1000;
        for (;;) {
            auto page = b->actions().list(f);
            EXPECT_TRUE(page) << page.error().to_string();
            if (!page) break;
            out.insert(out.end(), page->items.begin(), page->items.end());
            if (!page->next_after) break;
            f.after = page->next_after;
        }
        return out;
    }

    std::vector<std::string> result_ids(std::int64_t task_id, std::string_view type = "post") {
        std::vector<std::string> ids;
        std::optional<std::int64_t> after;
        do {
            auto page = engine->scrape().results(task_id, after, 1000);
            EXPECT_TRUE(page) << page.error().to_string();
            if (!page) break;
            for (const auto& item : page->items)
                if (item.item_type == type) ids.push_back(item.item_id);
            after = page->next_after;
        } while (after);
        return ids;
    }

    // Run now, then every due job: the kTag run ends complete.
    scrape::Task start_and_run_the_whole_tag(std::int64_t id) {
        auto job = engine->scrape().start(id);
        EXPECT_TRUE(job) << job.error().to_string();
        run_due();
        scrape::Task done = task(id);
        EXPECT_EQ(done.state, scrape::TaskState::completed);
        EXPECT_EQ(done.pages, 112);
        EXPECT_EQ(done.items, 1000);
        return done;
    }

    // A hashtag task on kTag, created without a run; 0 on error.
    std::int64_t unstarted_hashtag_task() {
        scrape::NewTask spec;
        spec.kind = scrape::TaskKind::hashtag;
        spec.target = kTag;
        spec.start = false;
        auto created = engine->scrape().create(spec);
        EXPECT_TRUE(created) << created.error().to_string();
        return created ? created->id : 0;
    }

    json::Value last_run(const scrape::Task& t) {
        EXPECT_TRUE(t.last_run.has_value());
        auto v = json::parse(t.last_run.value_or("{}"));
        EXPECT_TRUE(v);
        return v.value_or(json::Value::object());
    }

    testing::TempDir dir;
    std::unique_ptr<test::FreshDatabase> fresh;
    std::shared_ptr<ManualClock> clock = std::make_shared<ManualClock>();
    testing::CapturedLog log;
    std::unique_ptr<igsim::Server> server;
    std::string ca_file;
    std::unique_ptr<Engine> engine;
    std::vector<Account> bots;
    std::mutex events_mu;
    std::vector<std::string> page_events;
    std::function<void(const Event&)> on_page;
};

scrape::NewTask new_task(scrape::TaskKind kind, std::string target) {
    scrape::NewTask t;
    t.kind = kind;
    t.target = std::move(target);
    return t;
}

// --- THE issue test ---------------------------------------------------------------------

TEST_P(ScrapeServiceTest, HashtagScrapeOfAThousandPostsWith429sStoresEveryPostOnceAndResumes) {
    const igsim::Hashtag* tag = world().find_hashtag(kTag);
    ASSERT_NE(tag, nullptr);
    ASSERT_EQ(tag->recent.size(), 1000u);
    const std::int64_t pages_needed = (1000 + 8) / 9;  // web_info pages hold 9 recent posts

    // Each session may make 40 requests per 10 minutes; then 429 with
    // Retry-After 300 s. Two accounts cover 80 pages per window: the run
    // switches from one to the other, then has to wait for the cooldowns.
    configure_igsim(R"({"rate_limit": {"limit": 40, "window_seconds": 600, "scope": "session", "retry_after": 300}})");
    // "#BigTag": the target is stored as Instagram treats it, "bigtag".
    auto spec = new_task(scrape::TaskKind::hashtag, "#BigTag");
    spec.options.raw_retention_days = 1;
    auto created = engine->scrape().create(spec);
    ASSERT_TRUE(created) << created.error().to_string();
    EXPECT_EQ(created->target, kTag);
    const std::int64_t id = created->id;

    int waits = 0;
    std::int64_t igsim_now = kUnixNow;
    std::vector<std::int64_t> pages_before_wait;
    for (int round = 0; round < 10 && task(id).state == scrape::TaskState::active; ++round) {
        run_due();
        scrape::Task t = task(id);
        if (t.state != scrape::TaskState::active) break;
        // The run is waiting for a cooldown with its cursor kept.
        ASSERT_TRUE(t.cursor.has_value()) << "round " << round;
        ASSERT_TRUE(t.run_started_at.has_value());
        pages_before_wait.push_back(t.pages);
        ++waits;
        clock->advance(301s);
        igsim_now += 601;  // igsim's windows start over
        configure_igsim(R"({"clock": )" + std::to_string(igsim_now) + "}");
    }
    scrape::Task done = task(id);
    ASSERT_EQ(done.state, scrape::TaskState::completed) << done.last_error.value_or("");
    EXPECT_GE(waits, 1);
    ASSERT_FALSE(pages_before_wait.empty());
    EXPECT_GT(pages_before_wait.front(), 0);  // resumed from where it stopped, not from the start
    EXPECT_FALSE(done.cursor.has_value());
    EXPECT_EQ(done.pages, pages_needed);  // pages committed = pages needed
    EXPECT_EQ(done.items, 1000);

    // Every post once, exactly the hashtag's posts.
    EXPECT_EQ(count("SELECT COUNT(*) FROM scrape_posts"), 1000);
    EXPECT_EQ(count("SELECT COUNT(*) FROM scrape_task_items WHERE task_id = " + std::to_string(id)), 1000);
    EXPECT_EQ(count("SELECT COUNT(*) FROM scrape_post_hashtags WHERE tag = 'bigtag'"), 1000);
    EXPECT_EQ(count("SELECT media_count FROM scrape_hashtags WHERE tag = 'bigtag'"), 1000);
    std::set<std::string> expected;
    for (std::size_t i : tag->recent) expected.insert(world().posts()[i].pk);
    auto ids = result_ids(id);
    EXPECT_EQ(ids.size(), 1000u);
    EXPECT_EQ(std::set<std::string>(ids.begin(), ids.end()), expected);

    // The action log: every page fetched successfully exactly once, the 429s
    // recorded, and more than one account used.
    auto log_rows = actions("hashtag");
    std::int64_t ok = 0;
    std::int64_t limited = 0;
    std::set<std::int64_t> ok_accounts;
    for (const auto& a : log_rows) {
        if (a.outcome == "ok") {
            ++ok;
            ok_accounts.insert(a.account_id.value_or(0));
        }
        if (a.http_status == 429) ++limited;
    }
    EXPECT_EQ(ok, pages_needed);  // no page fetched twice
    EXPECT_GE(limited, 2);
    EXPECT_EQ(ok_accounts.size(), 2u);

    json::Value summary = last_run(done);
    EXPECT_EQ(summary.find("stopped_because")->as_string(), "end");
    EXPECT_EQ(summary.find("accounts_used")->as_array().size(), 2u);
    {
        std::lock_guard g(events_mu);
        EXPECT_EQ(static_cast<std::int64_t>(page_events.size()), pages_needed);
    }
    // Raw answers, one per page, decompress to what igsim sent.
    auto b = backend();
    IdGenerator id_gen(clock);
    scrape::ScrapeStore store(b->database(), id_gen);
    auto raw = store.raw_documents(id, std::nullopt, 1000);
    ASSERT_TRUE(raw) << raw.error().to_string();
    EXPECT_EQ(static_cast<std::int64_t>(raw->size()), pages_needed);
    EXPECT_NE(raw->front().body.find(R"("recent")"), std::string::npos);
    // No account is left holding a run.
    EXPECT_EQ(count("SELECT COUNT(*) FROM scrape_account_runs"), 0);
    EXPECT_EQ(engine->session_manager().checked_out_count(), 0u);
}

// The same scrape on the engine's worker pool: two tasks at once, each run on
// its own account (the second run finds the first account taken).
TEST_P(ScrapeServiceTest, TwoTasksOnTheWorkerPoolRunOnSeparateAccounts) {
    auto first = engine->scrape().create(new_task(scrape::TaskKind::hashtag, kTag));
    auto second = engine->scrape().create(new_task(scrape::TaskKind::posts, public_user(0).username));
    ASSERT_TRUE(first && second);
    jobs::WorkerOptions w;
    w.poll_interval = std::chrono::milliseconds(20);
    ASSERT_TRUE(engine->jobs().start(w));
    // Wait for both job.finished events (bounded; the runs take ~5 s).
    int finished = 0;
    while (finished < 2) {
        auto ev = engine->events().next(std::chrono::seconds(60));
        ASSERT_TRUE(ev.has_value()) << "no event for 60 s";
        if (ev->type == "job.finished") ++finished;
    }
    engine->jobs().stop();
    scrape::Task a = task(first->id);
    scrape::Task b = task(second->id);
    EXPECT_EQ(a.state, scrape::TaskState::completed) << a.last_error.value_or("");
    EXPECT_EQ(b.state, scrape::TaskState::completed) << b.last_error.value_or("");
    EXPECT_EQ(a.items, 1000);
    EXPECT_EQ(b.items, kPostsPerUser);
    ASSERT_TRUE(a.account_id && b.account_id);
    EXPECT_NE(*a.account_id, *b.account_id);
    EXPECT_EQ(count("SELECT COUNT(*) FROM scrape_account_runs"), 0);
    std::int64_t ok = 0;
    for (const auto& act : actions("hashtag")) ok += act.outcome == "ok" ? 1 : 0;
    EXPECT_EQ(ok, 112);
}

// The handler called directly with an in-process JobContext: a job whose
// worker goes away mid-run (cancelled after 3 pages, then its lease lost
// after 2 more) leaves the cursor where the last committed page ended; the
// next run resumes there, so every page is fetched successfully once.
class FakeContext final : public jobs::JobContext {
public:
    FakeContext(std::int64_t job_id, std::int64_t task_id) {
        job_.id = job_id;
        job_.kind = "scrape.run";
        job_.payload = R"({"task_id":)" + std::to_string(task_id) + "}";
        job_.attempts = 1;
        job_.max_attempts = 5;
        job_.state = jobs::JobState::running;
    }
    const jobs::Job& job() const noexcept override { return job_; }
    bool cancelled() const noexcept override { return cancel_after >= 0 && progress_calls >= cancel_after; }
    bool wait_cancelled(std::chrono::milliseconds) override { return cancelled(); }
    Status progress(std::string_view json) override {
        ++progress_calls;
        last_progress = std::string(json);
        if (on_progress) on_progress(progress_calls);
        if (lose_lease_at >= 0 && progress_calls >= lose_lease_at) return fail(ErrorCode::conflict, "lease lost");
        return {};
    }

    jobs::Job job_;
    int progress_calls = 0;
    int cancel_after = -1;
    int lose_lease_at = -1;
    std::string last_progress;
    std::function<void(int)> on_progress;  // called in progress(), after each committed page
};

TEST_P(ScrapeServiceTest, AnInterruptedRunResumesFromItsLastCommittedPage) {
    auto* service = dynamic_cast<scrape::ScrapeServiceInternal*>(&engine->scrape());
    ASSERT_NE(service, nullptr);
    auto spec = new_task(scrape::TaskKind::hashtag, kTag);
    spec.start = false;
    auto created = engine->scrape().create(spec);
    ASSERT_TRUE(created);
    const std::int64_t id = created->id;

    FakeContext first(900001, id);
    first.cancel_after = 3;
    jobs::JobOutcome out1 = service->run(first);
    EXPECT_EQ(out1.kind, jobs::JobOutcome::Kind::failed);
    scrape::Task t1 = task(id);
    EXPECT_EQ(t1.pages, 3);
    ASSERT_TRUE(t1.cursor.has_value());
    EXPECT_FALSE(t1.current_job_id.has_value());  // detached: the next job may take the run
    EXPECT_EQ(engine->session_manager().checked_out_count(), 0u);
    EXPECT_EQ(count("SELECT COUNT(*) FROM scrape_account_runs"), 0);
    auto progress = json::parse(first.last_progress);
    ASSERT_TRUE(progress);
    EXPECT_EQ(progress->find("pages")->as_int(), 3);
    EXPECT_TRUE(progress->find("cursor_present")->as_bool());

    FakeContext second(900002, id);
    second.lose_lease_at = 2;
    jobs::JobOutcome out2 = service->run(second);
    EXPECT_EQ(out2.kind, jobs::JobOutcome::Kind::failed);
    EXPECT_EQ(task(id).pages, 5);
    EXPECT_EQ(engine->session_manager().checked_out_count(), 0u);

    // A real job finishes the run from page 6.
    ASSERT_TRUE(engine->scrape().start(id));
    run_due();
    scrape::Task done = task(id);
    EXPECT_EQ(done.state, scrape::TaskState::completed);
    EXPECT_EQ(done.pages, 112);
    EXPECT_EQ(done.items, 1000);
    EXPECT_EQ(last_run(done).find("pages")->as_int(), 112);
    std::int64_t ok = 0;
    for (const auto& a : actions("hashtag")) ok += a.outcome == "ok" ? 1 : 0;
    EXPECT_EQ(ok, 112);
    EXPECT_EQ(count("SELECT COUNT(*) FROM scrape_posts"), 1000);

    // A run of a task that is not active does nothing.
    FakeContext late(900003, id);
    jobs::JobOutcome skipped = service->run(late);
    EXPECT_EQ(skipped.kind, jobs::JobOutcome::Kind::succeeded);
    EXPECT_EQ(skipped.result_json, R"({"skipped":"completed"})");
    FakeContext bad(900004, id);
    bad.job_.payload = R"({"task_id":"seven"})";
    EXPECT_EQ(service->run(bad).kind, jobs::JobOutcome::Kind::failed_permanently);
}

// --- other kinds ---------------------------------------------------------------------------

TEST_P(ScrapeServiceTest, ProfileTaskStoresTheProfileAndACountHistoryPerRun) {
    const igsim::User& user = public_user(1);
    auto created = engine->scrape().create(new_task(scrape::TaskKind::profile, user.username));
    ASSERT_TRUE(created) << created.error().to_string();
    EXPECT_EQ(run_due(), 1u);
    scrape::Task t = task(created->id);
    EXPECT_EQ(t.state, scrape::TaskState::completed);
    EXPECT_EQ(t.pages, 1);
    auto results = engine->scrape().results(created->id, std::nullopt, 100);
    ASSERT_TRUE(results);
    ASSERT_FALSE(results->items.empty());
    ASSERT_TRUE(results->items[0].profile.has_value());
    EXPECT_EQ(results->items[0].profile->profile.username, user.username);
    EXPECT_EQ(results->items[0].profile->profile.followers, user.followers);
    EXPECT_EQ(result_ids(created->id).size(), 12u);  // the embedded first page of posts

    // Run it again later: one more history row, no duplicate items.
    clock->advance(1h);
    auto job = engine->scrape().start(created->id);
    ASSERT_TRUE(job) << job.error().to_string();
    EXPECT_EQ(run_due(), 1u);
    EXPECT_EQ(count("SELECT COUNT(*) FROM scrape_profile_history WHERE user_id = '" + user.id + "'"), 2);
    EXPECT_EQ(count("SELECT COUNT(*) FROM scrape_profiles"), 1);
    EXPECT_EQ(task(created->id).items, 13);
    EXPECT_EQ(last_run(task(created->id)).find("items_new")->as_int(), 0);
}

TEST_P(ScrapeServiceTest, PostsTaskWalksEveryPageInOrder) {
    const igsim::User* user = &public_user(0);
    auto created = engine->scrape().create(new_task(scrape::TaskKind::posts, user->username));
    ASSERT_TRUE(created) << created.error().to_string();
    run_due();
    scrape::Task t = task(created->id);
    EXPECT_EQ(t.state, scrape::TaskState::completed) << t.last_error.value_or("");
    EXPECT_EQ(t.pages, 3);  // 12 + 12 + 1
    std::vector<std::string> expected;
    for (std::size_t i : user->posts) expected.push_back(world().posts()[i].pk);
    EXPECT_EQ(result_ids(created->id), expected);
    EXPECT_EQ(count("SELECT COUNT(*) FROM scrape_raw_documents"), 3);

    // The same through the operations (the faces' view).
    auto page = engine->call("scrape.tasks.results", R"({"id":)" + std::to_string(created->id) + R"(,"limit":2})");
    ASSERT_TRUE(page) << page.error().to_string();
    auto v = json::parse(*page);
    ASSERT_TRUE(v);
    const auto& items = v->find("items")->as_array();
    ASSERT_EQ(items.size(), 2u);
    EXPECT_EQ(items[0].find("type")->as_string(), "post");
    EXPECT_EQ(items[0].find("post")->find("id")->as_string(), expected[0]);
    EXPECT_TRUE(items[0].find("post")->find("first_seen_at")->is_string());
    EXPECT_TRUE(items[0].find("profile")->is_null());
    EXPECT_TRUE(v->find("next_after")->is_int());
    auto got = engine->call("scrape.tasks.get", R"({"id":)" + std::to_string(created->id) + "}");
    ASSERT_TRUE(got);
    auto tv = json::parse(*got);
    ASSERT_TRUE(tv);
    EXPECT_EQ(tv->find("state")->as_string(), "completed");
    EXPECT_EQ(tv->find("last_run")->find("stopped_because")->as_string(), "end");
    EXPECT_EQ(tv->find("options")->find("raw_retention_days")->as_int(), 7);
}

TEST_P(ScrapeServiceTest, SinceStopsAtTheFirstOlderPost) {
    const igsim::User& user = public_user(0);
    // Keep the 15 newest posts: the run stops on page 2 (posts 13..24).
    const igsim::Post& fifteenth = world().posts()[user.posts[14]];
    auto spec = new_task(scrape::TaskKind::posts, user.username);
    spec.options.since = from_micros(fifteenth.taken_at * 1'000'000);
    auto created = engine->scrape().create(spec);
    ASSERT_TRUE(created);
    run_due();
    scrape::Task t = task(created->id);
    EXPECT_EQ(t.state, scrape::TaskState::completed);
    EXPECT_EQ(t.pages, 2);
    EXPECT_EQ(t.items, 15);
    EXPECT_EQ(last_run(t).find("stopped_because")->as_string(), "since");
    std::vector<std::string> expected;
    for (std::size_t k = 0; k < 15; ++k) expected.push_back(world().posts()[user.posts[k]].pk);
    EXPECT_EQ(result_ids(created->id), expected);
}

// With the default limiter rules (10 web requests at once per account, then
// one per ~10 s) the run uses up both accounts' bursts, then waits for the
// limiter instead of sending requests it knows would be refused.
TEST_P(ScrapeServiceTest, TheLimiterMakesTheRunWaitWithoutSending) {
    ASSERT_TRUE(engine->limiter().set_rules(ratelimit::default_rules()));
    auto spec = new_task(scrape::TaskKind::hashtag, kTag);
    spec.options.max_items = 25 * 9;
    auto created = engine->scrape().create(spec);
    ASSERT_TRUE(created);
    int waits = 0;
    for (int round = 0; round < 40 && task(created->id).state == scrape::TaskState::active; ++round) {
        run_due();
        if (task(created->id).state != scrape::TaskState::active) break;
        auto jobs = engine->jobs().list({});
        ASSERT_TRUE(jobs);
        ASSERT_EQ(jobs->items.size(), 1u);
        ASSERT_GT(jobs->items[0].run_at, clock->now());  // waiting, not failing
        // For as long as the limiter says (one request per 660 s / 65), not a default.
        EXPECT_LE(jobs->items[0].run_at - clock->now(), Duration(11s));
        ++waits;
        clock->set(jobs->items[0].run_at);
    }
    scrape::Task t = task(created->id);
    EXPECT_EQ(t.state, scrape::TaskState::completed);
    EXPECT_EQ(t.pages, 25);
    EXPECT_GE(waits, 1);
    std::int64_t ok = 0;
    for (const auto& a : actions("hashtag")) {
        EXPECT_NE(a.http_status, 429);
        ok += a.outcome == "ok" ? 1 : 0;
    }
    EXPECT_EQ(ok, 25);
    EXPECT_EQ(last_run(t).find("accounts_used")->as_array().size(), 2u);
    // Accounts were changed before a request was refused, never after.
    EXPECT_EQ(log.all().find("scrape.account_switch"), std::string::npos);
}

TEST_P(ScrapeServiceTest, MediaTaskAndMaxItems) {
    const igsim::Post& wanted = world().posts()[5];
    auto media = engine->scrape().create(new_task(scrape::TaskKind::media, wanted.shortcode));
    ASSERT_TRUE(media) << media.error().to_string();
    auto limited_spec = new_task(scrape::TaskKind::hashtag, kTag);
    limited_spec.options.max_items = 20;
    limited_spec.options.raw_retention_days = 0;
    auto limited = engine->scrape().create(limited_spec);
    ASSERT_TRUE(limited) << limited.error().to_string();
    run_due();
    EXPECT_EQ(result_ids(media->id), std::vector<std::string>{wanted.pk});
    scrape::Task t = task(limited->id);
    EXPECT_EQ(t.state, scrape::TaskState::completed);
    EXPECT_EQ(t.pages, 3);  // 9, 18, 27 recent posts seen: stops at the page that reaches 20
    EXPECT_EQ(last_run(t).find("stopped_because")->as_string(), "max_items");
    EXPECT_EQ(count("SELECT COUNT(*) FROM scrape_raw_documents WHERE task_id = " + std::to_string(limited->id)), 0);
}

TEST_P(ScrapeServiceTest, PausedMidRunResumesFromTheCursorWithoutRefetching) {
    auto spec = new_task(scrape::TaskKind::hashtag, kTag);
    auto created = engine->scrape().create(spec);
    ASSERT_TRUE(created);
    const std::int64_t id = created->id;
    // Pause from inside the run, after its 5th page.
    on_page = [&](const Event& ev) {
        auto v = json::parse(ev.data_json);
        if (v && v->find("page")->as_int() == 5) (void)engine->scrape().pause(id);
    };
    run_due();
    on_page = nullptr;
    scrape::Task paused = task(id);
    EXPECT_EQ(paused.state, scrape::TaskState::paused);
    EXPECT_EQ(paused.pages, 5);
    ASSERT_TRUE(paused.cursor.has_value());
    EXPECT_FALSE(paused.current_job_id.has_value());
    // Starting a paused task is refused; resuming continues the same run.
    EXPECT_EQ(engine->scrape().start(id).error().code, ErrorCode::failed_precondition);
    auto resumed = engine->scrape().resume(id);
    ASSERT_TRUE(resumed) << resumed.error().to_string();
    run_due();
    scrape::Task done = task(id);
    EXPECT_EQ(done.state, scrape::TaskState::completed);
    EXPECT_EQ(done.pages, 112);
    EXPECT_EQ(done.items, 1000);
    std::int64_t ok = 0;
    for (const auto& a : actions("hashtag")) ok += a.outcome == "ok" ? 1 : 0;
    EXPECT_EQ(ok, 112);
    EXPECT_EQ(last_run(done).find("pages")->as_int(), 112);
}

TEST_P(ScrapeServiceTest, AnUnknownTargetFailsTheTaskWithoutRetries) {
    auto created = engine->scrape().create(new_task(scrape::TaskKind::hashtag, "nosuchtag"));
    ASSERT_TRUE(created);
    EXPECT_EQ(run_due(), 1u);
    scrape::Task t = task(created->id);
    EXPECT_EQ(t.state, scrape::TaskState::failed);
    ASSERT_TRUE(t.last_error.has_value());
    EXPECT_NE(t.last_error->find("not_found"), std::string::npos) << *t.last_error;
    EXPECT_FALSE(t.cursor.has_value());
    auto jobs = engine->jobs().list({});
    ASSERT_TRUE(jobs);
    ASSERT_EQ(jobs->items.size(), 1u);
    EXPECT_EQ(jobs->items[0].state, jobs::JobState::dead);
    EXPECT_EQ(engine->session_manager().checked_out_count(), 0u);
    // Run now makes it active again (and it fails again).
    ASSERT_TRUE(engine->scrape().start(created->id));
    EXPECT_EQ(task(created->id).state, scrape::TaskState::active);
    run_due();
    EXPECT_EQ(task(created->id).state, scrape::TaskState::failed);
}

TEST_P(ScrapeServiceTest, RunNowNeverMakesTwoLiveRuns) {
    auto spec = new_task(scrape::TaskKind::profile, public_user(0).username);
    spec.start = false;
    auto created = engine->scrape().create(spec);
    ASSERT_TRUE(created);
    auto first = engine->scrape().start(created->id);
    auto second = engine->scrape().start(created->id);
    ASSERT_TRUE(first) << first.error().to_string();
    ASSERT_TRUE(second) << second.error().to_string();
    EXPECT_EQ(*first, *second);
    EXPECT_EQ(run_due(), 1u);
}

TEST_P(ScrapeServiceTest, NoEligibleAccountWaitsForTheEarliestCooldown) {
    for (const auto& b : bots) ASSERT_TRUE(engine->accounts().cooldown(b.id, clock->now() + (b.id == bots[0].id ? 120s : 600s), "test"));
    auto created = engine->scrape().create(new_task(scrape::TaskKind::profile, public_user(0).username));
    ASSERT_TRUE(created);
    run_due();
    scrape::Task waiting = task(created->id);
    EXPECT_EQ(waiting.state, scrape::TaskState::active);
    auto jobs = engine->jobs().list({});
    ASSERT_TRUE(jobs);
    ASSERT_EQ(jobs->items.size(), 1u);
    EXPECT_EQ(jobs->items[0].run_at, clock->now() + 120s);
    clock->advance(121s);
    run_due();
    EXPECT_EQ(task(created->id).state, scrape::TaskState::completed);
    EXPECT_EQ(last_run(task(created->id)).find("accounts_used")->as_array().size(), 1u);
}

// --- control and bad input -------------------------------------------------------------

TEST_P(ScrapeServiceTest, OperationsRejectBadInputNamingTheField) {
    auto code_and_field = [&](std::string_view op, std::string_view params) {
        auto r = engine->call(op, params);
        EXPECT_FALSE(r) << op << " " << params << " -> " << r.value_or("");
        return r ? std::pair<ErrorCode, std::string>{ErrorCode::ok, ""}
                 : std::pair<ErrorCode, std::string>{r.error().code, r.error().details};
    };
    using P = std::pair<ErrorCode, std::string>;
    EXPECT_EQ(code_and_field("scrape.tasks.create", R"({"kind":"reels","target":"x"})"),
              (P{ErrorCode::invalid_argument, "kind"}));
    EXPECT_EQ(code_and_field("scrape.tasks.create", R"({"kind":"hashtag","target":""})"),
              (P{ErrorCode::invalid_argument, "target"}));
    EXPECT_EQ(code_and_field("scrape.tasks.create", R"({"kind":"posts","target":"../etc"})"),
              (P{ErrorCode::invalid_argument, "target"}));
    EXPECT_EQ(code_and_field("scrape.tasks.create", R"({"kind":"hashtag","target":"x","options":{"max_items":"lots"}})"),
              (P{ErrorCode::invalid_argument, "options.max_items"}));
    EXPECT_EQ(code_and_field("scrape.tasks.create", R"({"kind":"hashtag","target":"x","options":"all"})").first,
              ErrorCode::invalid_argument);
    EXPECT_EQ(code_and_field("scrape.tasks.create", R"({"kind":"hashtag","target":"x","options":{"max_items":1000000000}})"),
              (P{ErrorCode::invalid_argument, "options.max_items"}));
    EXPECT_EQ(code_and_field("scrape.tasks.create", R"({"kind":"hashtag","target":"x","options":{"since":"yesterday"}})"),
              (P{ErrorCode::invalid_argument, "options.since"}));
    EXPECT_EQ(code_and_field("scrape.tasks.create", R"({"kind":"hashtag","target":"x","options":{"colour":"red"}})").first,
              ErrorCode::invalid_argument);
    // Finding B: the pause between pages stays well under the account lease.
    EXPECT_EQ(code_and_field("scrape.tasks.create", R"({"kind":"hashtag","target":"x","options":{"page_delay_ms":600000}})"),
              (P{ErrorCode::invalid_argument, "options.page_delay_ms"}));
    EXPECT_EQ(code_and_field("scrape.tasks.create", R"({"kind":"hashtag","target":"x","schedule":{}})"),
              (P{ErrorCode::invalid_argument, "schedule"}));
    EXPECT_EQ(code_and_field("scrape.tasks.create", R"({"kind":"hashtag","target":"x","schedule":{"cron":"61 * * * *"}})").first,
              ErrorCode::invalid_argument);
    EXPECT_EQ(code_and_field("scrape.tasks.get", R"({"id":424242})").first, ErrorCode::not_found);
    EXPECT_EQ(code_and_field("scrape.tasks.start", R"({"id":424242})").first, ErrorCode::not_found);
    EXPECT_EQ(code_and_field("scrape.tasks.results", R"({"id":424242})").first, ErrorCode::not_found);
    EXPECT_EQ(code_and_field("scrape.tasks.delete", R"({"id":424242})").first, ErrorCode::not_found);
    EXPECT_EQ(code_and_field("scrape.tasks.list", R"({"state":"sleeping"})"), (P{ErrorCode::invalid_argument, "state"}));
    EXPECT_EQ(code_and_field("scrape.tasks.list", R"({"limit":0})").first, ErrorCode::invalid_argument);
    // Nothing was stored by the refused creates.
    EXPECT_EQ(count("SELECT COUNT(*) FROM scrape_tasks"), 0);
    EXPECT_EQ(count("SELECT COUNT(*) FROM jobs"), 0);
}

TEST_P(ScrapeServiceTest, CancelledTaskKeepsNoCursorAndCannotRunAgain) {
    auto created = engine->call("scrape.tasks.create", R"({"kind":"hashtag","target":"bigtag","start":false})");
    ASSERT_TRUE(created) << created.error().to_string();
    auto v = json::parse(*created);
    ASSERT_TRUE(v);
    const std::int64_t id = v->find("id")->as_int();
    // One page, then cancel from inside the run.
    on_page = [&](const Event&) { (void)engine->scrape().cancel(id); };
    ASSERT_TRUE(engine->call("scrape.tasks.start", R"({"id":)" + std::to_string(id) + "}"));
    run_due();
    on_page = nullptr;
    scrape::Task t = task(id);
    EXPECT_EQ(t.state, scrape::TaskState::cancelled);
    EXPECT_FALSE(t.cursor.has_value());
    EXPECT_FALSE(t.run_started_at.has_value());
    EXPECT_EQ(t.pages, 1);
    EXPECT_EQ(engine->scrape().start(id).error().code, ErrorCode::failed_precondition);
    EXPECT_EQ(engine->scrape().resume(id).error().code, ErrorCode::conflict);
    EXPECT_EQ(engine->scrape().cancel(id).error().code, ErrorCode::conflict);
    // Its results stay readable until it is deleted.
    EXPECT_EQ(result_ids(id).size(), 18u);  // 9 recent + 9 top on the first page
    auto listed = engine->call("scrape.tasks.list", R"({"state":"cancelled"})");
    ASSERT_TRUE(listed);
    EXPECT_NE(listed->find(std::to_string(id)), std::string::npos);
    ASSERT_TRUE(engine->call("scrape.tasks.delete", R"({"id":)" + std::to_string(id) + "}"));
    EXPECT_EQ(engine->scrape().get(id).error().code, ErrorCode::not_found);
    EXPECT_EQ(count("SELECT COUNT(*) FROM scrape_task_items"), 0);
    EXPECT_EQ(count("SELECT COUNT(*) FROM scrape_posts"), 18);  // shared results stay
}

TEST_P(ScrapeServiceTest, ScheduledTaskStaysActiveAndSkipsWhilePaused) {
    auto created = engine->call("scrape.tasks.create",
                                R"({"kind":"profile","target":")" + public_user(2).username +
                                    R"(","schedule":{"interval_s":3600},"start":false})");
    ASSERT_TRUE(created) << created.error().to_string();
    auto v = json::parse(*created);
    const std::int64_t id = v->find("id")->as_int();
    ASSERT_FALSE(v->find("schedule_id")->is_null());
    auto schedule = engine->jobs().get_schedule(v->find("schedule_id")->as_int());
    ASSERT_TRUE(schedule);
    EXPECT_EQ(schedule->kind, "scrape.run");
    ASSERT_TRUE(engine->scrape().start(id));
    run_due();
    EXPECT_EQ(task(id).state, scrape::TaskState::active);  // scheduled: not completed
    EXPECT_EQ(task(id).pages, 1);
    ASSERT_TRUE(engine->scrape().pause(id));
    ASSERT_TRUE(engine->scrape().start(id).error().code == ErrorCode::failed_precondition);
    clock->advance(2h);
    ASSERT_TRUE(engine->jobs().tick());
    run_due();
    EXPECT_EQ(task(id).pages, 1);  // the scheduled run skipped the paused task
    auto page = engine->jobs().list({});
    ASSERT_TRUE(page);
    bool skipped = false;
    for (const auto& j : page->items) skipped = skipped || (j.result && j.result->find("paused") != std::string::npos);
    EXPECT_TRUE(skipped);
}

// --- ownership of the run and recovery (review findings A, B, C) -----------------------

// Finding A: process A's invocation loses its lease mid-run and the same job
// is claimed again (B, here nested inside A's page callback) and resumed from
// the same cursor. A must write nothing afterwards and never report success.
TEST_P(ScrapeServiceTest, AZombieInvocationCannotWriteTheRunItLost) {
    auto* service = dynamic_cast<scrape::ScrapeServiceInternal*>(&engine->scrape());
    ASSERT_NE(service, nullptr);
    const std::int64_t id = unstarted_hashtag_task();
    ASSERT_NE(id, 0);

    FakeContext zombie(900020, id);
    FakeContext owner(900020, id);  // the same job, claimed again
    owner.cancel_after = 1;         // one page, then it is stopped too
    std::optional<jobs::JobOutcome> owner_out;
    // After the zombie's 2nd page (its lease is lost by then), the job runs again.
    zombie.on_progress = [&](int calls) {
        if (calls == 2) owner_out = service->run(owner);
    };
    jobs::JobOutcome zombie_out = service->run(zombie);
    ASSERT_TRUE(owner_out.has_value());
    EXPECT_EQ(owner_out->kind, jobs::JobOutcome::Kind::failed);  // "cancelled"
    EXPECT_EQ(zombie_out.kind, jobs::JobOutcome::Kind::failed) << zombie_out.result_json;
    EXPECT_EQ(zombie.progress_calls, 2);  // it committed nothing after the takeover
    scrape::Task t = task(id);
    EXPECT_EQ(t.state, scrape::TaskState::active);
    EXPECT_EQ(t.pages, 3);
    ASSERT_TRUE(t.cursor.has_value());
    EXPECT_FALSE(t.current_job_id.has_value());
    EXPECT_FALSE(t.last_error.has_value());
    EXPECT_EQ(count("SELECT COUNT(*) FROM scrape_account_runs"), 0);
    EXPECT_EQ(engine->session_manager().checked_out_count(), 0u);

    scrape::Task done = start_and_run_the_whole_tag(id);
    EXPECT_EQ(ok_fetches("hashtag"), 112);  // no page fetched twice
}

// Finding B: the account row is re-verified right before each fetch; a row
// taken over by another run means another account, without a fetch.
TEST_P(ScrapeServiceTest, ARunWhoseAccountRowWasTakenOverSwitchesBeforeFetching) {
    auto created = engine->scrape().create(new_task(scrape::TaskKind::hashtag, kTag));
    ASSERT_TRUE(created);
    const std::int64_t id = created->id;
    std::optional<std::int64_t> stolen;
    on_page = [&](const Event& ev) {
        auto v = json::parse(ev.data_json);
        if (!stolen && v && v->find("page")->as_int() == 2) {
            stolen = v->find("account_id")->as_int();
            sql("UPDATE scrape_account_runs SET task_id = 777777, token = 12345, expires_at = 9000000000000000 "
                "WHERE account_id = " + std::to_string(*stolen));
        }
    };
    run_due();
    on_page = nullptr;
    ASSERT_TRUE(stolen.has_value());
    scrape::Task done = task(id);
    EXPECT_EQ(done.state, scrape::TaskState::completed);
    EXPECT_EQ(done.pages, 112);
    std::lock_guard g(events_mu);
    ASSERT_EQ(page_events.size(), 112u);
    for (std::size_t i = 2; i < page_events.size(); ++i) {
        auto v = json::parse(page_events[i]);
        ASSERT_TRUE(v);
        EXPECT_NE(v->find("account_id")->as_int(), *stolen) << "page " << i + 1;
    }
    std::int64_t by_stolen = 0;
    for (const auto& a : actions("hashtag")) by_stolen += a.account_id == stolen ? 1 : 0;
    EXPECT_EQ(by_stolen, 2);
    // The other holder's row was left alone.
    EXPECT_EQ(count("SELECT token FROM scrape_account_runs WHERE account_id = " + std::to_string(*stolen)), 12345);
}

// Finding C: a failure that is not the fetch's (here the commit) is handled
// like a fetch error: kept for the retry, and on the last attempt the task
// fails with the error; `start` then resumes from the cursor.
TEST_P(ScrapeServiceTest, ACommitErrorOnTheLastAttemptFailsTheTask) {
    auto* service = dynamic_cast<scrape::ScrapeServiceInternal*>(&engine->scrape());
    ASSERT_NE(service, nullptr);
    const std::int64_t id = unstarted_hashtag_task();
    ASSERT_NE(id, 0);
    // After page 2, raw answers cannot be stored: the next commit fails.
    on_page = [&](const Event& ev) {
        auto v = json::parse(ev.data_json);
        if (v && v->find("page")->as_int() == 2)
            sql("ALTER TABLE scrape_raw_documents RENAME TO scrape_raw_documents_off");
    };
    FakeContext first(900030, id);  // attempt 1 of 5
    EXPECT_EQ(service->run(first).kind, jobs::JobOutcome::Kind::failed);
    on_page = nullptr;
    scrape::Task retrying = task(id);
    EXPECT_EQ(retrying.state, scrape::TaskState::active);
    EXPECT_EQ(retrying.pages, 2);
    ASSERT_TRUE(retrying.cursor.has_value());
    EXPECT_TRUE(retrying.last_error.has_value());
    EXPECT_FALSE(retrying.current_job_id.has_value());

    FakeContext last(900030, id);
    last.job_.attempts = 5;  // the last attempt
    EXPECT_EQ(service->run(last).kind, jobs::JobOutcome::Kind::failed);
    scrape::Task failed = task(id);
    EXPECT_EQ(failed.state, scrape::TaskState::failed);
    EXPECT_EQ(failed.pages, 2);
    EXPECT_EQ(failed.cursor, retrying.cursor);
    ASSERT_TRUE(failed.last_error.has_value());
    EXPECT_NE(failed.last_error->find("scrape_raw_documents"), std::string::npos) << *failed.last_error;
    EXPECT_EQ(count("SELECT COUNT(*) FROM scrape_account_runs"), 0);
    EXPECT_EQ(engine->session_manager().checked_out_count(), 0u);

    sql("ALTER TABLE scrape_raw_documents_off RENAME TO scrape_raw_documents");
    scrape::Task done = start_and_run_the_whole_tag(id);
    EXPECT_FALSE(done.last_error.has_value());
}

// Finding C: a run job cancelled directly (jobs.cancel, not the task's
// cancel) leaves the task active with its cursor and no job; `start` works
// and resumes, also when the task still names the non-live job.
TEST_P(ScrapeServiceTest, ARunJobCancelledDirectlyLeavesATaskThatStartResumes) {
    const std::int64_t id = unstarted_hashtag_task();
    ASSERT_NE(id, 0);
    auto job = engine->scrape().start(id);
    ASSERT_TRUE(job) << job.error().to_string();
    on_page = [&](const Event& ev) {
        auto v = json::parse(ev.data_json);
        if (v && v->find("page")->as_int() == 3) (void)engine->jobs().cancel(*job);
    };
    run_due();
    on_page = nullptr;
    EXPECT_EQ(engine->jobs().get(*job)->state, jobs::JobState::cancelled);
    scrape::Task stopped = task(id);
    EXPECT_EQ(stopped.state, scrape::TaskState::active);
    EXPECT_EQ(stopped.pages, 3);
    ASSERT_TRUE(stopped.cursor.has_value());
    EXPECT_FALSE(stopped.current_job_id.has_value());
    EXPECT_EQ(count("SELECT COUNT(*) FROM scrape_account_runs"), 0);

    // As if the handler had died without detaching: the task still names the job.
    sql("UPDATE scrape_tasks SET current_job_id = " + std::to_string(*job) + " WHERE id = " + std::to_string(id));
    auto again = engine->scrape().start(id);
    ASSERT_TRUE(again) << again.error().to_string();
    EXPECT_NE(*again, *job);
    EXPECT_FALSE(task(id).current_job_id.has_value());
    scrape::Task done = start_and_run_the_whole_tag(id);  // a second start keeps the queued job
    EXPECT_EQ(ok_fetches("hashtag"), 112);
}

INSTANTIATE_TEST_SUITE_P(Backends, ScrapeServiceTest,
                         ::testing::ValuesIn(test::storage_backends_where(test::shares_data_across_opens)),
                         test::backend_test_name);

}  // namespace
}  // namespace gramkit
