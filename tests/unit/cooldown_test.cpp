// Account cooldowns: the account status and the rate-limit penalty move
// together, escalate on repeats, and end by themselves (lazily and by the
// sweep) — all on the manual clock.
#include "core/json.hpp"
#include "engine_fixture.hpp"

namespace gramkit {
namespace {

using namespace std::chrono_literals;

class CooldownTest : public testing::EngineTest {};

TEST_F(CooldownTest, CooldownPenalizesTheAccountsRequestsUntilItEnds) {
    auto a = make_account("cooled");
    ratelimit::Request req{{"account:" + std::to_string(a.id), "action:profile", "endpoint:web"}};
    ASSERT_TRUE(engine->ratelimit_check(req)->allowed);

    auto c = engine->accounts().cooldown(a.id, clock->now() + 11min, "429 please wait");
    ASSERT_TRUE(c) << c.error().to_string();
    EXPECT_EQ(c->status, AccountStatus::cooldown);
    EXPECT_EQ(c->cooldown_until, clock->now() + 11min);
    auto denied = engine->ratelimit_check(req);
    ASSERT_TRUE(denied);
    EXPECT_FALSE(denied->allowed);
    EXPECT_EQ(denied->rule, "penalty");
    EXPECT_EQ(denied->retry_after, 11min);

    clock->advance(11min);
    // The next read ends the cooldown; the penalty has expired too.
    auto back = engine->accounts().get(a.id);
    ASSERT_TRUE(back);
    EXPECT_EQ(back->status, AccountStatus::active);
    EXPECT_FALSE(back->cooldown_until.has_value());
    EXPECT_EQ(engine->accounts().status_history(a.id)->front().reason, "cooldown ended");
    EXPECT_TRUE(engine->ratelimit_check(req)->allowed);
}

TEST_F(CooldownTest, RepeatedCooldownsEscalateWhenAsked) {
    auto a = make_account("repeat_offender");
    auto first = engine->accounts().cooldown(a.id, clock->now() + 11min, "429", /*escalate=*/true);
    ASSERT_TRUE(first);
    EXPECT_EQ(*first->cooldown_until, clock->now() + 11min);
    clock->advance(11min);
    ASSERT_EQ(engine->accounts().get(a.id)->status, AccountStatus::active);
    auto second = engine->accounts().cooldown(a.id, clock->now() + 11min, "429 again", true);
    ASSERT_TRUE(second);
    EXPECT_EQ(*second->cooldown_until, clock->now() + 22min);  // doubled
    clock->advance(22min);
    auto third = engine->accounts().cooldown(a.id, clock->now() + 11min, "429 again", true);
    EXPECT_EQ(*third->cooldown_until, clock->now() + 44min);
    // Without escalate the requested time is used as is.
    auto b = make_account("first_timer");
    EXPECT_EQ(*engine->accounts().cooldown(b.id, clock->now() + 11min, "429")->cooldown_until, clock->now() + 11min);
}

TEST_F(CooldownTest, SweepReturnsEveryExpiredCooldownAndCheckoutSeesThem) {
    std::vector<std::int64_t> ids;
    for (int i = 0; i < 3; ++i) {
        auto a = make_account("sweep" + std::to_string(i));
        Cookie c{"sessionid", "v", ".instagram.com", "/", std::nullopt, true, true};
        ASSERT_TRUE(engine->sessions().save_cookies(a.id, {c}));
        ASSERT_TRUE(engine->accounts().cooldown(a.id, clock->now() + (i + 1) * 1min, "429"));
        ids.push_back(a.id);
    }
    EXPECT_EQ(engine->session_manager().checkout().error().code, ErrorCode::unavailable);
    clock->advance(2min);
    EXPECT_EQ(engine->accounts().expire_cooldowns().value(), 2u);
    EXPECT_EQ(engine->accounts().list({.status = AccountStatus::cooldown})->items.size(), 1u);
    clock->advance(1min);
    auto out = engine->session_manager().checkout();  // sweeps first
    ASSERT_TRUE(out) << out.error().to_string();
    EXPECT_EQ(engine->accounts().list({.status = AccountStatus::active})->items.size(), 3u);
}

TEST_F(CooldownTest, RateLimitOperationsRoundTrip) {
    auto set = engine->call("ratelimit.policies.set",
                            R"({"rules":[{"name":"tiny","rate":1,"period_ms":60000,"burst":2,"match":["account"]}]})");
    ASSERT_TRUE(set) << set.error().to_string();
    auto check = [&] { return json::parse(engine->call("ratelimit.check", R"({"parts":["account:1"]})").value()).value(); };
    EXPECT_TRUE(check().find("allowed")->as_bool());
    EXPECT_TRUE(check().find("allowed")->as_bool());
    auto denied = check();
    EXPECT_FALSE(denied.find("allowed")->as_bool());
    EXPECT_EQ(denied.find("rule")->as_string(), "tiny");
    EXPECT_DOUBLE_EQ(denied.find("retry_after_ms")->as_double(), 60000.0);
    auto status = json::parse(engine->call("ratelimit.status", R"({"parts":["account:1"]})").value()).value();
    EXPECT_EQ(status.find("items")->as_array().at(0).find("remaining")->as_int(), 0);
    ASSERT_TRUE(engine->call("ratelimit.reset", R"({"parts":["account:1"]})"));
    EXPECT_TRUE(check().find("allowed")->as_bool());
    auto policies = json::parse(engine->call("ratelimit.policies.get", "{}").value()).value();
    EXPECT_EQ(policies.find("rules")->as_array().size(), 1u);

    auto bad = engine->call("ratelimit.policies.set", R"({"rules":[{"name":"x","rate":0,"period_ms":1,"burst":1,"match":["account"]}]})");
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().details, "rules[0].rate");
    bad = engine->call("ratelimit.check", R"({"parts":["account:1"],"cost":-5})");
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().details, "cost");
    // A failed policies.set leaves the rules in force.
    EXPECT_EQ(json::parse(engine->call("ratelimit.policies.get", "{}").value())->find("rules")->as_array().size(), 1u);
}

TEST(EngineOpenTest, BadRateLimitStoreIsNamed) {
    auto r = Engine::open(R"({"storage_url":"sqlite::memory:","key_env":"GRAMKIT_TEST_KEYS_RL","ratelimit_store":"memcached://x"})");
    ASSERT_FALSE(r);
    // The key variable is checked first; set it and try again.
    ::setenv("GRAMKIT_TEST_KEYS_RL", "k1 AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", 1);
    r = Engine::open(R"({"storage_url":"sqlite::memory:","key_env":"GRAMKIT_TEST_KEYS_RL","log_level":"off","ratelimit_store":"memcached://x"})");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, ErrorCode::invalid_argument);
    EXPECT_EQ(r.error().details, "ratelimit_store");
}

}  // namespace
}  // namespace gramkit
