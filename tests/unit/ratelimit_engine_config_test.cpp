// The engine's rate-limit settings: rules from the configuration, state
// that survives a restart (ratelimit_persist), and ratelimit.status showing
// the account's cooldown beside the limiter's keys — on the manual clock.
#include "core/json.hpp"
#include "engine_fixture.hpp"
#include "ratelimit/policy.hpp"

namespace gramkit {
namespace {

using namespace std::chrono_literals;

class RateLimitEngineConfigTest : public testing::EngineTest {
protected:
    // Reopens the engine on the same data directory and clock with `edit`
    // applied to the configuration.
    template <class Edit>
    Result<std::unique_ptr<Engine>> open_with(Edit edit) {
        engine.reset();  // closes (and saves) the previous one first
        EngineConfig cfg;
        cfg.data_dir = dir.str();
        cfg.clock = clock;
        cfg.log_sink = log.sink();
        edit(cfg);
        return Engine::open(cfg);
    }

    static std::vector<ratelimit::Rule> three_per_minute() {
        return {ratelimit::Rule{"account.tiny", ratelimit::Limit{3, 1min, 3}, {"account"}}};
    }

    const ratelimit::Request req{{"account:7", "endpoint:web"}};
};

TEST_F(RateLimitEngineConfigTest, RulesFromTheConfigurationAreInForce) {
    auto e = open_with([](EngineConfig& c) { c.ratelimit_rules = three_per_minute(); });
    ASSERT_TRUE(e) << e.error().to_string();
    EXPECT_EQ((*e)->limiter().rules(), three_per_minute());
    for (int i = 0; i < 3; ++i) EXPECT_TRUE((*e)->ratelimit_check(req)->allowed) << i;
    auto denied = (*e)->ratelimit_check(req);
    ASSERT_TRUE(denied);
    EXPECT_FALSE(denied->allowed);
    EXPECT_EQ(denied->rule, "account.tiny");
    EXPECT_EQ(denied->retry_after, 20s);
}

TEST_F(RateLimitEngineConfigTest, RulesFromJsonConfigurationAndTheirErrors) {
    auto ok = parse_engine_config(
        R"({"ratelimit_rules": [{"name": "a", "rate": 3, "period_ms": 60000, "burst": 3, "match": ["account"]}],
            "ratelimit_persist": false})");
    ASSERT_TRUE(ok) << ok.error().to_string();
    ASSERT_TRUE(ok->ratelimit_rules.has_value());
    EXPECT_EQ(*ok->ratelimit_rules, (std::vector<ratelimit::Rule>{{"a", {3, 1min, 3}, {"account"}}}));
    EXPECT_FALSE(ok->ratelimit_persist);

    auto wrong_type = parse_engine_config(R"({"ratelimit_rules": {"name": "a"}})");
    ASSERT_FALSE(wrong_type);
    EXPECT_EQ(wrong_type.error().details, "ratelimit_rules");
    auto bad_rate = parse_engine_config(
        R"({"ratelimit_rules": [{"name": "a", "rate": 0, "period_ms": 1000, "burst": 1, "match": ["account"]}]})");
    ASSERT_FALSE(bad_rate);
    EXPECT_NE(bad_rate.error().message.find("ratelimit_rules[0]"), std::string::npos) << bad_rate.error().message;
    auto bad_match = parse_engine_config(
        R"({"ratelimit_rules": [{"name": "a", "rate": 1, "period_ms": 1000, "burst": 1, "match": [7]}]})");
    ASSERT_FALSE(bad_match);
    EXPECT_EQ(bad_match.error().details, "ratelimit_rules[0].match");

    // Shapes pass the parser, the set as a whole is checked at open.
    auto dup = open_with([](EngineConfig& c) {
        c.ratelimit_rules = {{"same", {1, 1s, 1}, {"account"}}, {"same", {1, 1s, 1}, {"proxy"}}};
    });
    ASSERT_FALSE(dup);
    EXPECT_EQ(dup.error().code, ErrorCode::invalid_argument);
    EXPECT_EQ(dup.error().details, "ratelimit_rules");
    EXPECT_NE(dup.error().message.find("duplicate"), std::string::npos) << dup.error().message;
}

TEST_F(RateLimitEngineConfigTest, SpentQuotaAndPenaltiesSurviveARestart) {
    auto first = open_with([](EngineConfig& c) { c.ratelimit_rules = three_per_minute(); });
    ASSERT_TRUE(first) << first.error().to_string();
    for (int i = 0; i < 3; ++i) ASSERT_TRUE((*first)->ratelimit_check(req)->allowed);
    ASSERT_TRUE((*first)->limiter().penalize("proxy:9", clock->now() + 1h));
    engine = std::move(*first);

    clock->advance(20s);  // one unit back
    auto second = open_with([](EngineConfig& c) { c.ratelimit_rules = three_per_minute(); });
    ASSERT_TRUE(second) << second.error().to_string();
    EXPECT_TRUE((*second)->ratelimit_check(req)->allowed);   // the one unit refilled
    auto denied = (*second)->ratelimit_check(req);          // not a fresh quota of 3
    ASSERT_TRUE(denied);
    EXPECT_FALSE(denied->allowed);
    EXPECT_EQ(denied->rule, "account.tiny");
    auto penalized = (*second)->ratelimit_check(ratelimit::Request{{"proxy:9"}});
    ASSERT_TRUE(penalized);
    EXPECT_FALSE(penalized->allowed);
    EXPECT_EQ(penalized->rule, "penalty");
    EXPECT_EQ(penalized->retry_after, 1h - 20s);
    EXPECT_NE(log.all().find("ratelimit.restored"), std::string::npos);
}

TEST_F(RateLimitEngineConfigTest, WithoutPersistenceARestartStartsFull) {
    auto first = open_with([](EngineConfig& c) {
        c.ratelimit_rules = three_per_minute();
        c.ratelimit_persist = false;
    });
    ASSERT_TRUE(first);
    for (int i = 0; i < 3; ++i) ASSERT_TRUE((*first)->ratelimit_check(req)->allowed);
    EXPECT_EQ((*first)->save_ratelimit_state().value_or(99), 0u);
    engine = std::move(*first);
    auto second = open_with([](EngineConfig& c) {
        c.ratelimit_rules = three_per_minute();
        c.ratelimit_persist = false;
    });
    ASSERT_TRUE(second);
    for (int i = 0; i < 3; ++i) EXPECT_TRUE((*second)->ratelimit_check(req)->allowed) << i;
}

TEST_F(RateLimitEngineConfigTest, SaveOperationReportsTheKeysWritten) {
    ASSERT_TRUE(engine->ratelimit_check(ratelimit::Request{{"account:1", "endpoint:web"}})->allowed);
    ASSERT_TRUE(engine->ratelimit_check(ratelimit::Request{{"account:2", "endpoint:web"}})->allowed);
    auto saved = engine->call("ratelimit.save", "{}");
    ASSERT_TRUE(saved) << saved.error().to_string();
    auto doc = json::parse(*saved);
    ASSERT_TRUE(doc);
    EXPECT_EQ(doc->find("saved")->as_int(), 2);
}

TEST_F(RateLimitEngineConfigTest, StatusShowsTheAccountsCooldown) {
    auto a = make_account("status_cooldown");
    const std::string part = "account:" + std::to_string(a.id);
    const std::string params = R"({"parts": [")" + part + R"(", "endpoint:web"]})";
    auto before = json::parse(*engine->call("ratelimit.status", params));
    ASSERT_TRUE(before);
    EXPECT_EQ(before->find("account")->find("status")->as_string(), "active");
    EXPECT_TRUE(before->find("account")->find("cooldown_until")->is_null());

    ASSERT_TRUE(engine->accounts().cooldown(a.id, clock->now() + 11min, "429"));
    auto during = engine->call("ratelimit.status", params);
    ASSERT_TRUE(during) << during.error().to_string();
    auto doc = json::parse(*during);
    ASSERT_TRUE(doc);
    const json::Value* account = doc->find("account");
    ASSERT_NE(account, nullptr);
    EXPECT_EQ(account->find("id")->as_int(), a.id);
    EXPECT_EQ(account->find("status")->as_string(), "cooldown");
    EXPECT_TRUE(account->find("cooldown_until")->is_string());
    bool penalty_listed = false;
    for (const auto& item : doc->find("items")->as_array())
        penalty_listed |= item.find("rule")->as_string() == "penalty";
    EXPECT_TRUE(penalty_listed) << *during;

    // Parts are free-form keys: no account part, a non-numeric one or an
    // unknown id simply report no account.
    for (const char* parts : {R"(["proxy:1"])", R"(["account:alice"])", R"(["account:424242"])"}) {
        auto r = engine->call("ratelimit.status", std::string(R"({"parts": )") + parts + "}");
        ASSERT_TRUE(r) << parts << ": " << r.error().to_string();
        EXPECT_EQ(json::parse(*r)->find("account"), nullptr) << parts;
    }
}

}  // namespace
}  // namespace gramkit
