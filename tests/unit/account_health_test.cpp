// How Instagram's answers change an account (src/instagram/account_health):
// the cases the igsim suite cannot produce — a Retry-After of zero or in
// the past — and the startup warnings for insecure HTTP settings.
#include "engine_fixture.hpp"
#include "instagram/account_health.hpp"
#include "ratelimit/policy.hpp"

namespace gramkit {
namespace {

using namespace std::chrono_literals;

class AccountHealthTest : public testing::EngineTest {
protected:
    instagram::AccountHealth health() {
        return instagram::AccountHealth{engine->accounts(), engine->sessions(), engine->limiter(), *clock,
                                        engine->logger(), options};
    }
    instagram::InstagramOptions options;
};

TEST_F(AccountHealthTest, ZeroOrPastRetryAfterFallsBackToTheDefaultCooldown) {
    auto a = make_account("zero_retry");
    instagram::LoginResult answer;
    answer.kind = instagram::ApiErrorKind::rate_limited;
    answer.http_status = 429;
    for (auto retry_after : {std::chrono::milliseconds(0), std::chrono::milliseconds(-5000)}) {
        Error e = health().apply(a.id, std::nullopt, answer, retry_after);
        EXPECT_EQ(e.code, ErrorCode::rate_limited);
        auto cooled = engine->accounts().get(a.id);
        ASSERT_TRUE(cooled);
        ASSERT_EQ(cooled->status, AccountStatus::cooldown) << retry_after.count();
        EXPECT_GE(*cooled->cooldown_until, clock->now() + std::chrono::duration_cast<Duration>(options.rate_limit_cooldown));
    }
}

TEST_F(AccountHealthTest, APositiveRetryAfterIsHonoured) {
    auto a = make_account("honoured");
    instagram::LoginResult answer;
    answer.kind = instagram::ApiErrorKind::please_wait;
    Error e = health().apply(a.id, std::nullopt, answer, std::chrono::milliseconds(90'000));
    EXPECT_EQ(e.details, "please_wait");
    EXPECT_EQ(engine->accounts().get(a.id)->cooldown_until, clock->now() + 90s);
}

TEST_F(AccountHealthTest, InsecureHttpSettingsAreLoggedAtOpen) {
    engine.reset();
    EngineConfig cfg;
    cfg.data_dir = dir.str();
    cfg.clock = clock;
    cfg.log_sink = log.sink();
    cfg.http_verify_tls = false;
    cfg.instagram.web_base_url = "http://127.0.0.1:9";
    auto e = Engine::open(cfg);
    ASSERT_TRUE(e) << e.error().to_string();
    EXPECT_NE(log.all().find("http.tls_verification_off"), std::string::npos);
    EXPECT_NE(log.all().find("instagram.plaintext_base_url"), std::string::npos);
}

}  // namespace
}  // namespace gramkit
