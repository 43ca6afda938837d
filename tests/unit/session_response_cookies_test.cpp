// SessionService::apply_response_cookies: what an HTTP exchange changed is
// merged into the stored jar (so concurrent requests of one account keep
// each other's cookies), validity is left alone, unstorable cookies are
// dropped rather than failing the save.
#include "engine_fixture.hpp"

namespace gramkit {
namespace {

using namespace std::chrono_literals;

class ResponseCookiesTest : public testing::EngineTest {
protected:
    static Cookie cookie(std::string name, std::string value) {
        return Cookie{std::move(name), std::move(value), "127.0.0.1", "/", std::nullopt, true, true};
    }
    std::map<std::string, std::string> stored(std::int64_t id) {
        std::map<std::string, std::string> out;
        const std::vector<Cookie> jar = engine->sessions().load_cookies(id).value();  // keep it alive for the loop
        for (const auto& c : jar) out[c.name] = c.value;
        return out;
    }
};

TEST_F(ResponseCookiesTest, ChangesMergeIntoWhatOthersSavedMeanwhile) {
    auto a = make_account("merger");
    ASSERT_TRUE(engine->sessions().save_cookies(a.id, {cookie("sessionid", "s1"), cookie("csrftoken", "t1")}));
    // A login saved a new sessionid while a read was in flight; the read's
    // answer only rotated csrftoken and dropped "rur": the new sessionid stays.
    ASSERT_TRUE(engine->sessions().save_cookies(a.id, {cookie("sessionid", "s2"), cookie("rur", "x")}));
    Cookie gone = cookie("rur", "");
    gone.expires = Timestamp{};
    ASSERT_TRUE(engine->sessions().apply_response_cookies(a.id, {cookie("csrftoken", "t2"), gone}));
    EXPECT_EQ(stored(a.id), (std::map<std::string, std::string>{{"csrftoken", "t2"}, {"sessionid", "s2"}}));
}

TEST_F(ResponseCookiesTest, ValidityIsLeftAloneAndBadCookiesAreDropped) {
    auto a = make_account("invalidated");
    ASSERT_TRUE(engine->sessions().save_cookies(a.id, {cookie("sessionid", "s1")}));
    ASSERT_TRUE(engine->sessions().invalidate(a.id, "login_required"));
    Cookie bad = cookie("has space", "v");
    auto s = engine->sessions().apply_response_cookies(a.id, {cookie("csrftoken", "t"), bad});
    ASSERT_TRUE(s) << s.error().to_string();
    EXPECT_FALSE(s->valid);  // a late answer must not revive an invalidated session
    EXPECT_EQ(s->invalid_reason, "login_required");
    EXPECT_EQ(stored(a.id).count("csrftoken"), 1u);
    EXPECT_EQ(stored(a.id).count("has space"), 0u);
    EXPECT_NE(log.all().find("session.cookies_dropped"), std::string::npos);

    // An account without a session gets a valid one.
    auto b = make_account("fresh");
    auto created = engine->sessions().apply_response_cookies(b.id, {cookie("csrftoken", "t")});
    ASSERT_TRUE(created);
    EXPECT_TRUE(created->valid);
}

}  // namespace
}  // namespace gramkit
