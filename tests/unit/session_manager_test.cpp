// The multi-account session manager: LRU order, eligibility, and no account
// ever handed to two holders at once.
#include <atomic>
#include <barrier>
#include <set>
#include <thread>

#include "engine_fixture.hpp"

namespace gramkit {
namespace {

using testing::EngineTest;

class SessionManagerTest : public EngineTest {
protected:
    std::int64_t ready_account(const std::string& name) {
        auto a = make_account(name);
        Cookie c{"sessionid", "v", ".instagram.com", "/", std::nullopt, true, true};
        EXPECT_TRUE(engine->sessions().save_cookies(a.id, {c}));
        clock->advance(std::chrono::seconds(1));  // distinct last_used times
        return a.id;
    }
};

TEST_F(SessionManagerTest, ChecksOutLeastRecentlyUsedEligibleAccounts) {
    auto first = ready_account("first");
    auto second = ready_account("second");
    auto paused = ready_account("paused_one");
    ASSERT_TRUE(engine->accounts().change_status(paused, AccountStatus::paused, "operator"));
    auto invalid = ready_account("invalid_one");
    ASSERT_TRUE(engine->sessions().invalidate(invalid, "login_required"));
    make_account("no_session");

    auto a = engine->session_manager().checkout();
    ASSERT_TRUE(a) << a.error().to_string();
    EXPECT_EQ(a->account_id, first);
    EXPECT_EQ(a->username, "first");
    auto b = engine->session_manager().checkout();
    ASSERT_TRUE(b);
    EXPECT_EQ(b->account_id, second);
    auto none = engine->session_manager().checkout();
    ASSERT_FALSE(none);
    EXPECT_EQ(none.error().code, ErrorCode::unavailable);
    EXPECT_EQ(engine->session_manager().checked_out_count(), 2u);

    clock->advance(std::chrono::seconds(10));
    ASSERT_TRUE(engine->session_manager().checkin(second));
    clock->advance(std::chrono::seconds(10));
    ASSERT_TRUE(engine->session_manager().checkin(first));
    // `second` was used longer ago now, so it comes first.
    EXPECT_EQ(engine->session_manager().checkout()->account_id, second);
    auto twice = engine->session_manager().checkin(first);
    ASSERT_FALSE(twice);
    EXPECT_EQ(twice.error().code, ErrorCode::failed_precondition);
}

TEST_F(SessionManagerTest, EightThreadsNeverShareAnAccount) {
    constexpr int kAccounts = 5, kThreads = 8, kRounds = 200;
    for (int i = 0; i < kAccounts; ++i) ready_account("worker" + std::to_string(i));

    std::mutex mu;
    std::set<std::int64_t> held;  // what threads believe they hold right now
    std::atomic<int> overlaps{0}, checkouts{0}, unavailable{0}, other_errors{0};
    std::barrier start(kThreads);
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&] {
            start.arrive_and_wait();
            for (int r = 0; r < kRounds; ++r) {
                auto got = engine->session_manager().checkout();
                if (!got) {
                    (got.error().code == ErrorCode::unavailable ? unavailable : other_errors)++;
                    continue;
                }
                {
                    std::lock_guard g(mu);
                    if (!held.insert(got->account_id).second) overlaps++;
                }
                checkouts++;
                {
                    std::lock_guard g(mu);
                    held.erase(got->account_id);
                }
                if (!engine->session_manager().checkin(got->account_id)) other_errors++;
            }
        });
    }
    for (auto& t : threads) t.join();
    EXPECT_EQ(overlaps.load(), 0);
    EXPECT_EQ(other_errors.load(), 0);
    EXPECT_EQ(checkouts.load() + unavailable.load(), kThreads * kRounds);
    EXPECT_GT(checkouts.load(), 0);
    EXPECT_EQ(engine->session_manager().checked_out_count(), 0u);
}

}  // namespace
}  // namespace gramkit
