// ScrapeStore conformance on every storage backend (SQLite in memory, SQLite
// file, PostgreSQL): tasks, the one-transaction page commit and its
// compare-and-set, one active run per account (with a race), results,
// profile history and raw answers.
#include <gtest/gtest.h>

#include <atomic>
#include <barrier>
#include <thread>

#include "backend_fixture.hpp"
#include "result_assertions.hpp"
#include "scrape/scrape_store.hpp"
#include "storage/sql_repositories.hpp"

namespace gramkit::scrape {
namespace {

using test::at;

instagram::Post post(std::string id, std::int64_t taken_s = 0, std::vector<std::string> tags = {"travel"}) {
    instagram::Post p;
    p.id = std::move(id);
    p.shortcode = "C" + p.id;
    p.owner_id = "42";
    p.owner_username = "someone";
    p.caption = "a caption #travel @friend";
    p.hashtags = std::move(tags);
    p.mentions = {"friend"};
    p.taken_at = at(taken_s);
    p.like_count = 5;
    p.comment_count = 1;
    p.media_type = instagram::MediaType::image;
    p.media.push_back({"https://cdn.example/x.jpg", 320, 320, instagram::MediaKind::image});
    return p;
}

class ScrapeStoreTest : public test::BackendFixture {
protected:
    void SetUp() override {
        BackendFixture::SetUp();
        if (IsSkipped() || HasFatalFailure()) return;
        store_ = std::make_unique<ScrapeStore>(backend_->database(), ids_);
    }
    void TearDown() override {
        store_.reset();
        BackendFixture::TearDown();
    }

    Task make_task(TaskKind kind = TaskKind::hashtag, std::string target = "travel") {
        Task t;
        t.id = ids_.next();
        t.kind = kind;
        t.target = std::move(target);
        t.created_at = at(0);
        t.updated_at = at(0);
        auto s = store_->insert_task(t);
        EXPECT_TRUE(s) << s.error().to_string();
        return t;
    }

    std::int64_t count(const std::string& sql) {
        auto n = storage::sql_repo::with_connection(backend_->database(), [&](storage::Connection& c) {
            return storage::sql_repo::query_int(c, sql, {});
        });
        EXPECT_TRUE(n) << n.error().to_string();
        return n && *n ? **n : -1;
    }

    PageCommit page_of(const TaskRow& row, std::vector<instagram::Post> posts, std::optional<std::string> next) {
        PageCommit c;
        c.task_id = row.task.id;
        c.run_seq = row.run_seq;
        c.run_page = row.run_page;
        c.from_cursor = row.task.cursor;
        c.run_token = row.run_token.value_or(0);
        c.next_cursor = std::move(next);
        c.seen = static_cast<std::int64_t>(posts.size());
        c.posts = std::move(posts);
        c.account_id = 7;
        c.now = at(10);
        return c;
    }

    std::shared_ptr<ManualClock> clock_ = std::make_shared<ManualClock>();
    IdGenerator ids_{clock_};
    std::unique_ptr<ScrapeStore> store_;
};

TEST_P(ScrapeStoreTest, TasksRoundTripAndList) {
    Task a = make_task(TaskKind::hashtag, "travel");
    Task b = make_task(TaskKind::posts, "some.user");
    Task c;
    c.id = ids_.next();
    c.kind = TaskKind::media;
    c.target = "CxYz";
    c.options.max_items = 250;
    c.options.since = at(-3600);
    c.options.page_delay = std::chrono::milliseconds(1500);
    c.options.raw_retention_days = 0;
    c.created_at = c.updated_at = at(1);
    GK_ASSERT_OK(store_->insert_task(c));
    GK_ASSERT_OK_AND_ASSIGN(TaskRow with_options, store_->get_task(c.id));
    EXPECT_EQ(with_options.task.options.max_items, 250);
    EXPECT_EQ(with_options.task.options.since, at(-3600));
    EXPECT_EQ(with_options.task.options.page_delay, std::chrono::milliseconds(1500));
    EXPECT_EQ(with_options.task.options.raw_retention_days, 0);
    GK_ASSERT_OK_AND_ASSIGN(TaskRow got, store_->get_task(a.id));
    EXPECT_EQ(got.task.kind, TaskKind::hashtag);
    EXPECT_EQ(got.task.target, "travel");
    EXPECT_EQ(got.task.state, TaskState::active);
    EXPECT_EQ(got.task.options.raw_retention_days, 7);
    EXPECT_FALSE(got.task.cursor.has_value());

    TaskFilter f;
    f.limit = 1;
    GK_ASSERT_OK_AND_ASSIGN(TaskPage first, store_->list_tasks(f));
    ASSERT_EQ(first.items.size(), 1u);
    EXPECT_EQ(first.items[0].id, a.id);
    ASSERT_TRUE(first.next_after.has_value());
    f.after = first.next_after;
    GK_ASSERT_OK_AND_ASSIGN(TaskPage second, store_->list_tasks(f));
    ASSERT_EQ(second.items.size(), 1u);
    EXPECT_EQ(second.items[0].id, b.id);
    EXPECT_TRUE(second.next_after.has_value());  // c follows

    TaskFilter by_kind;
    by_kind.kind = TaskKind::posts;
    GK_ASSERT_OK_AND_ASSIGN(TaskPage posts_only, store_->list_tasks(by_kind));
    ASSERT_EQ(posts_only.items.size(), 1u);
    EXPECT_EQ(posts_only.items[0].id, b.id);

    auto missing = store_->get_task(12345);
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.error().code, ErrorCode::not_found);
    TaskFilter bad;
    bad.limit = 0;
    EXPECT_EQ(store_->list_tasks(bad).error().code, ErrorCode::invalid_argument);
}

TEST_P(ScrapeStoreTest, StateTransitionsAreCompareAndSet) {
    Task t = make_task();
    GK_ASSERT_OK_AND_ASSIGN(TaskRow paused, store_->transition(t.id, {TaskState::active}, TaskState::paused, at(1)));
    EXPECT_EQ(paused.task.state, TaskState::paused);
    auto again = store_->transition(t.id, {TaskState::active}, TaskState::paused, at(2));
    ASSERT_FALSE(again);
    EXPECT_EQ(again.error().code, ErrorCode::conflict);
    EXPECT_NE(again.error().message.find("paused"), std::string::npos);
}

TEST_P(ScrapeStoreTest, PageCommitIsIdempotentAndCountsItemsOnce) {
    Task t = make_task();
    GK_ASSERT_OK_AND_ASSIGN(TaskRow row, store_->begin_run(t.id, 100, std::nullopt, 1, at(1)));
    EXPECT_EQ(row.run_seq, 1);
    EXPECT_TRUE(row.task.run_started_at.has_value());

    PageCommit first = page_of(row, {post("1"), post("2"), post("3")}, "cursor-1");
    first.hashtag = "travel";
    first.hashtag_media_count = 1000;
    GK_ASSERT_OK_AND_ASSIGN(CommitResult r1, store_->commit_page(first));
    EXPECT_EQ(r1.items_new, 3);
    EXPECT_EQ(r1.run_page, 1);

    // The same page again (a zombie, a retry): refused, nothing stored twice.
    auto dup = store_->commit_page(first);
    ASSERT_FALSE(dup);
    EXPECT_EQ(dup.error().code, ErrorCode::conflict);
    EXPECT_EQ(count("SELECT COUNT(*) FROM scrape_posts"), 3);
    EXPECT_EQ(count("SELECT COUNT(*) FROM scrape_task_items"), 3);
    EXPECT_EQ(count("SELECT COUNT(*) FROM scrape_post_hashtags"), 3);
    EXPECT_EQ(count("SELECT media_count FROM scrape_hashtags WHERE tag = 'travel'"), 1000);

    GK_ASSERT_OK_AND_ASSIGN(TaskRow after1, store_->get_task(t.id));
    EXPECT_EQ(after1.task.cursor, "cursor-1");
    EXPECT_EQ(after1.task.pages, 1);
    EXPECT_EQ(after1.task.items, 3);
    EXPECT_EQ(after1.task.account_id, 7);

    // The next page overlaps the first (post 3): only the new ones count.
    PageCommit second = page_of(after1, {post("3"), post("4")}, std::nullopt);
    GK_ASSERT_OK_AND_ASSIGN(CommitResult r2, store_->commit_page(second));
    EXPECT_EQ(r2.items_new, 1);
    EXPECT_EQ(r2.run_page, 2);
    EXPECT_EQ(r2.run_seen, 5);
    EXPECT_EQ(r2.run_new, 4);
    // A page fetched from a stale cursor cannot be committed.
    EXPECT_EQ(store_->commit_page(page_of(after1, {post("9")}, "x")).error().code, ErrorCode::conflict);
    EXPECT_EQ(count("SELECT COUNT(*) FROM scrape_posts"), 4);

    GK_ASSERT_OK(store_->finish_run(t.id, 1, R"({"pages":2})", TaskState::completed, at(20)));
    GK_ASSERT_OK_AND_ASSIGN(TaskRow done, store_->get_task(t.id));
    EXPECT_EQ(done.task.state, TaskState::completed);
    EXPECT_FALSE(done.task.cursor.has_value());
    EXPECT_FALSE(done.task.run_started_at.has_value());
    EXPECT_EQ(done.task.last_run, R"({"pages":2})");
    EXPECT_EQ(done.task.items, 4);
    // The run is over: a late commit of any of its pages and a second finish are refused.
    EXPECT_EQ(store_->commit_page(second).error().code, ErrorCode::conflict);
    EXPECT_EQ(store_->finish_run(t.id, 1, "{}", std::nullopt, at(21)).error().code, ErrorCode::conflict);
}

TEST_P(ScrapeStoreTest, BeginRunResumesFromTheCursorAndRefusesAnotherJob) {
    Task t = make_task();
    GK_ASSERT_OK_AND_ASSIGN(TaskRow row, store_->begin_run(t.id, 100, std::nullopt, 1, at(1)));
    GK_ASSERT_OK(store_->commit_page(page_of(row, {post("1")}, "c1")));
    // Another job that read "no job" loses the compare-and-set.
    EXPECT_EQ(store_->begin_run(t.id, 200, std::nullopt, 2, at(2)).error().code, ErrorCode::conflict);
    // The job itself (after a crash it is claimed again) resumes the run.
    GK_ASSERT_OK_AND_ASSIGN(TaskRow resumed, store_->begin_run(t.id, 100, 100, 3, at(3)));
    EXPECT_EQ(resumed.run_seq, 1);
    EXPECT_EQ(resumed.run_page, 1);
    EXPECT_EQ(resumed.task.cursor, "c1");
    // Detached (the job ended without finishing), the next job resumes it.
    GK_ASSERT_OK(store_->detach_job(t.id, 100, 3, at(4)));
    GK_ASSERT_OK_AND_ASSIGN(TaskRow next, store_->begin_run(t.id, 300, std::nullopt, 4, at(5)));
    EXPECT_EQ(next.task.cursor, "c1");
    EXPECT_EQ(next.task.current_job_id, 300);
    // Cancelling drops the run: its cursor cannot be committed from any more.
    GK_ASSERT_OK_AND_ASSIGN(TaskRow cancelled,
                            store_->transition(t.id, {TaskState::active}, TaskState::cancelled, at(6), true));
    EXPECT_FALSE(cancelled.task.cursor.has_value());
    EXPECT_FALSE(cancelled.task.current_job_id.has_value());
    EXPECT_EQ(store_->commit_page(page_of(next, {post("2")}, "c2")).error().code, ErrorCode::conflict);
}

// Finding A: a zombie invocation (its lease lost, the same job claimed again
// and resumed from the same cursor) must not be able to write the run: every
// write is guarded by the owning invocation's run token.
TEST_P(ScrapeStoreTest, RunWritesAreGuardedByTheOwningInvocation) {
    Task t = make_task();
    GK_ASSERT_OK_AND_ASSIGN(TaskRow zombie, store_->begin_run(t.id, 100, std::nullopt, 11, at(1)));
    EXPECT_EQ(zombie.run_token, 11);
    // The same job claimed again by another process: it resumes the run.
    GK_ASSERT_OK_AND_ASSIGN(TaskRow owner, store_->begin_run(t.id, 100, 100, 22, at(2)));
    EXPECT_EQ(owner.run_token, 22);
    EXPECT_EQ(owner.run_seq, zombie.run_seq);
    // Both fetched page 1 from the same cursor: the zombie's commit is refused.
    EXPECT_EQ(store_->commit_page(page_of(zombie, {post("1")}, "c1")).error().code, ErrorCode::conflict);
    EXPECT_EQ(count("SELECT COUNT(*) FROM scrape_posts"), 0);
    GK_ASSERT_OK(store_->commit_page(page_of(owner, {post("1")}, "c1")));
    // Nor can it finish, fail, detach or re-point the run.
    EXPECT_EQ(store_->finish_run(t.id, 11, "{}", TaskState::completed, at(3)).error().code, ErrorCode::conflict);
    EXPECT_EQ(store_->record_error(t.id, 11, "boom", TaskState::failed, at(3)).error().code, ErrorCode::conflict);
    GK_ASSERT_OK(store_->detach_job(t.id, 100, 11, at(3)));
    GK_ASSERT_OK(store_->note_account(t.id, 11, 99, "[99]", at(3)));
    GK_ASSERT_OK_AND_ASSIGN(TaskRow after, store_->get_task(t.id));
    EXPECT_EQ(after.task.state, TaskState::active);
    EXPECT_EQ(after.task.current_job_id, 100);
    EXPECT_EQ(after.run_token, 22);
    EXPECT_EQ(after.task.cursor, "c1");
    EXPECT_EQ(after.task.account_id, 7);
    EXPECT_FALSE(after.task.last_error.has_value());
    // The owner's writes go through.
    GK_ASSERT_OK(store_->record_error(t.id, 22, "transient", std::nullopt, at(4)));
    GK_ASSERT_OK(store_->detach_job(t.id, 100, 22, at(4)));
    GK_ASSERT_OK_AND_ASSIGN(TaskRow detached, store_->get_task(t.id));
    EXPECT_FALSE(detached.task.current_job_id.has_value());
    EXPECT_FALSE(detached.run_token.has_value());
    EXPECT_EQ(detached.task.cursor, "c1");
    // release_run (start's recovery) clears a job still recorded.
    GK_ASSERT_OK_AND_ASSIGN(TaskRow next, store_->begin_run(t.id, 300, std::nullopt, 33, at(5)));
    GK_ASSERT_OK(store_->release_run(t.id, 300, at(6)));
    GK_ASSERT_OK_AND_ASSIGN(TaskRow released, store_->get_task(t.id));
    EXPECT_FALSE(released.task.current_job_id.has_value());
    EXPECT_FALSE(released.run_token.has_value());
    EXPECT_EQ(released.task.cursor, "c1");
    EXPECT_EQ(store_->commit_page(page_of(next, {post("2")}, "c2")).error().code, ErrorCode::conflict);
    // A failure on the last attempt, with the error, by the owner.
    GK_ASSERT_OK_AND_ASSIGN(TaskRow last, store_->begin_run(t.id, 400, std::nullopt, 44, at(7)));
    EXPECT_EQ(last.task.cursor, "c1");
    GK_ASSERT_OK(store_->record_error(t.id, 44, "gave up", TaskState::failed, at(8)));
    GK_ASSERT_OK_AND_ASSIGN(TaskRow failed, store_->get_task(t.id));
    EXPECT_EQ(failed.task.state, TaskState::failed);
    EXPECT_EQ(failed.task.last_error, "gave up");
}

TEST_P(ScrapeStoreTest, ProfilesKeepAHistoryOfTheirCounts) {
    Task t = make_task(TaskKind::profile, "some.user");
    instagram::Profile p;
    p.id = "42";
    p.username = "some.user";
    p.followers = 100;
    p.following = 10;
    p.post_count = 3;
    for (int run = 0; run < 2; ++run) {
        GK_ASSERT_OK_AND_ASSIGN(TaskRow row, store_->begin_run(t.id, 100 + run, std::nullopt, 10 + run, at(run)));
        PageCommit c = page_of(row, {}, std::nullopt);
        c.profile = p;
        c.now = at(100 + run);
        GK_ASSERT_OK_AND_ASSIGN(CommitResult r, store_->commit_page(c));
        EXPECT_EQ(r.items_new, run == 0 ? 1 : 0);
        GK_ASSERT_OK(store_->finish_run(t.id, 10 + run, "{}", std::nullopt, at(100 + run)));
        p.followers += 50;
    }
    EXPECT_EQ(count("SELECT COUNT(*) FROM scrape_profiles"), 1);
    EXPECT_EQ(count("SELECT followers FROM scrape_profiles"), 150);
    GK_ASSERT_OK_AND_ASSIGN(auto history, store_->profile_history("42"));
    ASSERT_EQ(history.size(), 2u);
    EXPECT_EQ(std::get<1>(history[0]), 100);
    EXPECT_EQ(std::get<1>(history[1]), 150);

    GK_ASSERT_OK_AND_ASSIGN(ResultPage results, store_->results(t.id, std::nullopt, 10));
    ASSERT_EQ(results.items.size(), 1u);
    ASSERT_TRUE(results.items[0].profile.has_value());
    EXPECT_EQ(results.items[0].profile->profile.followers, 150);
    EXPECT_EQ(results.items[0].profile->first_seen_at, at(100));
    EXPECT_EQ(results.items[0].profile->last_seen_at, at(101));
}

TEST_P(ScrapeStoreTest, ResultsAreKeysetPagedInTheOrderFound) {
    Task t = make_task();
    GK_ASSERT_OK_AND_ASSIGN(TaskRow row, store_->begin_run(t.id, 100, std::nullopt, 1, at(1)));
    GK_ASSERT_OK(store_->commit_page(page_of(row, {post("5"), post("3"), post("8")}, std::nullopt)));
    std::vector<std::string> seen;
    std::optional<std::int64_t> after;
    int pages = 0;
    do {
        GK_ASSERT_OK_AND_ASSIGN(ResultPage page, store_->results(t.id, after, 2));
        for (const auto& item : page.items) {
            EXPECT_EQ(item.item_type, "post");
            ASSERT_TRUE(item.post.has_value());
            EXPECT_EQ(item.post->post.hashtags, std::vector<std::string>{"travel"});
            EXPECT_EQ(item.post->post.mentions, std::vector<std::string>{"friend"});
            EXPECT_EQ(item.post->post.owner_username, "someone");
            // Everything stored comes back.
            const instagram::Post want = post(item.item_id);
            const instagram::Post& got = item.post->post;
            EXPECT_EQ(got.shortcode, want.shortcode);
            EXPECT_EQ(got.owner_id, want.owner_id);
            EXPECT_EQ(got.caption, want.caption);
            EXPECT_EQ(got.taken_at, want.taken_at);
            EXPECT_EQ(got.like_count, want.like_count);
            EXPECT_EQ(got.comment_count, want.comment_count);
            EXPECT_EQ(got.media_type, want.media_type);
            EXPECT_EQ(got.media, want.media);
            seen.push_back(item.item_id);
        }
        after = page.next_after;
        ++pages;
    } while (after);
    EXPECT_EQ(seen, (std::vector<std::string>{"5", "3", "8"}));
    EXPECT_EQ(pages, 2);
    EXPECT_EQ(store_->results(999, std::nullopt, 10).error().code, ErrorCode::not_found);
    EXPECT_EQ(store_->results(t.id, std::nullopt, 0).error().code, ErrorCode::invalid_argument);
    EXPECT_EQ(store_->results(t.id, std::nullopt, 1001).error().code, ErrorCode::invalid_argument);
}

TEST_P(ScrapeStoreTest, RawAnswersAreStoredCompressedAndPruned) {
    Task t = make_task();
    GK_ASSERT_OK_AND_ASSIGN(TaskRow row, store_->begin_run(t.id, 100, std::nullopt, 1, at(1)));
    std::string body = R"({"data":{"name":"travel"},"pad":")" + std::string(5000, 'x') + "\"}";
    body.push_back('\0');  // a NUL byte, which a TEXT column could not hold unencoded
    PageCommit c = page_of(row, {post("1")}, "c1");
    c.raw_endpoint = "hashtag";
    c.raw_body = body;
    c.now = at(50);
    GK_ASSERT_OK(store_->commit_page(c));
    GK_ASSERT_OK_AND_ASSIGN(auto docs, store_->raw_documents(t.id, std::nullopt, 10));
    ASSERT_EQ(docs.size(), 1u);
    EXPECT_EQ(docs[0].body, body);
    EXPECT_EQ(docs[0].size, static_cast<std::int64_t>(body.size()));
    EXPECT_EQ(docs[0].endpoint, "hashtag");
    EXPECT_FALSE(docs[0].cursor.has_value());  // fetched from the start
    EXPECT_LT(count("SELECT LENGTH(body) FROM scrape_raw_documents"), 1000);  // compressed
    // Finding E: read back a page at a time (keyset on id).
    PageCommit c2 = page_of(row, {post("2")}, "c2");
    c2.from_cursor = "c1";
    c2.run_page = 1;
    c2.raw_endpoint = "hashtag";
    c2.raw_body = "second";
    c2.now = at(50);
    GK_ASSERT_OK(store_->commit_page(c2));
    GK_ASSERT_OK_AND_ASSIGN(auto one, store_->raw_documents(t.id, std::nullopt, 1));
    ASSERT_EQ(one.size(), 1u);
    EXPECT_EQ(one[0].body, body);
    GK_ASSERT_OK_AND_ASSIGN(auto two, store_->raw_documents(t.id, one[0].id, 1));
    ASSERT_EQ(two.size(), 1u);
    EXPECT_EQ(two[0].body, "second");
    EXPECT_EQ(two[0].cursor, "c1");
    GK_ASSERT_OK_AND_ASSIGN(auto none, store_->raw_documents(t.id, two[0].id, 1));
    EXPECT_TRUE(none.empty());
    EXPECT_EQ(store_->raw_documents(t.id, std::nullopt, 0).error().code, ErrorCode::invalid_argument);
    EXPECT_EQ(store_->raw_documents(t.id, std::nullopt, 1001).error().code, ErrorCode::invalid_argument);
    GK_ASSERT_OK_AND_ASSIGN(std::int64_t kept, store_->prune_raw(t.id, at(50)));
    EXPECT_EQ(kept, 0);
    GK_ASSERT_OK_AND_ASSIGN(std::int64_t pruned, store_->prune_raw(t.id, at(51)));
    EXPECT_EQ(pruned, 2);
    EXPECT_EQ(unpack_raw_body("not base64!").error().code, ErrorCode::data_loss);
}

TEST_P(ScrapeStoreTest, OneActiveRunPerAccount) {
    Task a = make_task();
    Task b = make_task();
    GK_ASSERT_OK_AND_ASSIGN(bool first, store_->acquire_account(7, a.id, 1, 111, at(0), at(60)));
    EXPECT_TRUE(first);
    GK_ASSERT_OK_AND_ASSIGN(bool second, store_->acquire_account(7, b.id, 2, 222, at(1), at(61)));
    EXPECT_FALSE(second);
    // The holder renews; a stranger cannot.
    GK_ASSERT_OK_AND_ASSIGN(bool renewed, store_->renew_account(7, 111, at(90)));
    EXPECT_TRUE(renewed);
    GK_ASSERT_OK_AND_ASSIGN(bool stolen, store_->renew_account(7, 222, at(90)));
    EXPECT_FALSE(stolen);
    // Expired: taken over; the old holder's renewal now fails.
    GK_ASSERT_OK_AND_ASSIGN(bool takeover, store_->acquire_account(7, b.id, 2, 222, at(91), at(150)));
    EXPECT_TRUE(takeover);
    GK_ASSERT_OK_AND_ASSIGN(bool lost, store_->renew_account(7, 111, at(200)));
    EXPECT_FALSE(lost);
    GK_ASSERT_OK_AND_ASSIGN(auto holder, store_->account_run(7));
    ASSERT_TRUE(holder.has_value());
    EXPECT_EQ(holder->task_id, b.id);
    // A task holds one account: taking another releases the first.
    GK_ASSERT_OK_AND_ASSIGN(bool other, store_->acquire_account(8, b.id, 2, 222, at(92), at(150)));
    EXPECT_TRUE(other);
    GK_ASSERT_OK_AND_ASSIGN(auto gone, store_->account_run(7));
    EXPECT_FALSE(gone.has_value());
    GK_ASSERT_OK(store_->release_account(8, 222));
    GK_ASSERT_OK_AND_ASSIGN(auto released, store_->account_run(8));
    EXPECT_FALSE(released.has_value());
    EXPECT_EQ(store_->acquire_account(9, a.id, 1, 1, at(5), at(5)).error().code, ErrorCode::invalid_argument);
}

TEST_P(ScrapeStoreTest, TwoRunnersRaceForOneAccountAndExactlyOneWins) {
    constexpr int kRounds = 10;
    for (int round = 0; round < kRounds; ++round) {
        Task a = make_task();
        Task b = make_task();
        const std::int64_t account = 1000 + round;
        std::barrier sync(2);
        std::atomic<int> wins{0};
        std::atomic<int> errors{0};
        auto runner = [&](std::int64_t task, std::int64_t token) {
            sync.arrive_and_wait();
            auto got = store_->acquire_account(account, task, std::nullopt, token, at(0), at(60));
            if (!got) {
                ++errors;
                ADD_FAILURE() << got.error().to_string();
            } else if (*got) {
                ++wins;
            }
        };
        std::thread t1(runner, a.id, 1);
        std::thread t2(runner, b.id, 2);
        t1.join();
        t2.join();
        EXPECT_EQ(errors.load(), 0);
        EXPECT_EQ(wins.load(), 1) << "round " << round;
    }
}

GRAMKIT_INSTANTIATE_STORAGE_BACKENDS(ScrapeStoreTest);

}  // namespace
}  // namespace gramkit::scrape
