// The Instagram service end to end: a real engine (SQLite file, manual
// clock) talking HTTPS to igsim over loopback, certificate verified against
// igsim's generated CA. Login variants, every page of a timeline and a
// hashtag, media by id and shortcode, every answer mapped onto the account,
// cookies kept across engines, and the action log.
#include <gtest/gtest.h>

#include <fstream>
#include <set>

#include "core/json.hpp"
#include "engine_fixture.hpp"
#include "gramkit/instagram.hpp"
#include "net/http_client.hpp"
#include "app.hpp"
#include "ratelimit/policy.hpp"
#include "server.hpp"
#include "support/test_servers.hpp"
#include "storage/repositories.hpp"

namespace gramkit {
namespace {

using namespace std::chrono_literals;

// igsim's and the engine's clocks agree on this instant (TOTP codes and
// cookie expiry depend on it): 2023-11-14T22:13:20Z.
constexpr std::int64_t kUnixNow = 1'700'000'000;
// RFC 6238's test seed ("12345678901234567890").
constexpr const char* kTotpSeed = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";

igsim::BotAccount bot(std::string username, std::string password, igsim::LoginOutcome outcome,
                      std::string seed = "", std::string code = "") {
    igsim::BotAccount a;
    a.username = std::move(username);
    a.password = std::move(password);
    a.outcome = outcome;
    a.totp_seed_base32 = std::move(seed);
    a.two_factor_code = std::move(code);
    return a;
}

class InstagramServiceTest : public ::testing::Test {
protected:
    void SetUp() override {
        igsim::ServerOptions o;
        o.world.seed = 11;
        o.world.users = 4;
        o.world.posts_per_user = 29;  // three pages of 12, the last one short
        o.behaviour.clock = kUnixNow;
        o.accounts = {bot("bot_ok", "pw-ok", igsim::LoginOutcome::ok),
                      bot("bot_badpw", "the-right-one", igsim::LoginOutcome::ok),
                      bot("bot_totp", "pw-totp", igsim::LoginOutcome::two_factor, kTotpSeed),
                      bot("bot_code", "pw-code", igsim::LoginOutcome::two_factor, "", "424242"),
                      bot("bot_checkpoint", "pw-cp", igsim::LoginOutcome::checkpoint)};
        server = std::make_unique<igsim::Server>(std::move(o));
        server->start();
        ca_file = (dir.path() / "igsim-ca.pem").string();
        std::ofstream(ca_file) << server->certificate_pem();
        clock->set(from_micros(kUnixNow * 1'000'000));
        open_engine();
    }

    void open_engine() {
        engine.reset();
        EngineConfig cfg;
        cfg.data_dir = dir.str();
        cfg.clock = clock;
        cfg.log_sink = log.sink();
        cfg.log_level = LogLevel::debug;
        cfg.http_ca_file = ca_file;
        cfg.instagram.web_base_url = base_url();
        cfg.instagram.api_base_url = base_url();
        auto e = Engine::open(cfg);
        ASSERT_TRUE(e) << e.error().to_string();
        engine = std::move(*e);
    }

    std::string base_url() const { return "https://127.0.0.1:" + std::to_string(server->https_port()); }

    Account add_bot(const std::string& username, const std::string& password,
                    std::optional<std::string> seed = std::nullopt) {
        NewAccount spec;
        spec.username = username;
        spec.password = password;
        spec.totp_seed = std::move(seed);
        auto a = engine->accounts().create(spec);
        EXPECT_TRUE(a) << a.error().to_string();
        return a.value_or(Account{});
    }

    Account logged_in_bot() {
        Account a = add_bot("bot_ok", "pw-ok");
        auto r = engine->instagram().login({a.id});
        EXPECT_TRUE(r) << r.error().to_string();
        return a;
    }

    // Changes igsim's behaviour through its admin API (our own client).
    void configure_igsim(const std::string& json) {
        net::ClientOptions options;
        options.ca_file = ca_file;
        auto client = net::HttpClient::create(options);
        ASSERT_TRUE(client);
        net::HttpRequest r;
        r.method = "POST";
        r.url = base_url() + "/__igsim/config";
        r.body = json;
        r.headers.emplace_back("Content-Type", "application/json");
        auto response = (*client)->send(r);
        ASSERT_TRUE(response) << response.error().to_string();
        ASSERT_EQ(response->status, 200) << response->body;
    }

    AccountStatus status_of(std::int64_t id) { return engine->accounts().get(id).value().status; }

    std::vector<storage::ActionRecord> actions_of(std::int64_t id);

    const igsim::World& world() { return server->app().world(); }

    testing::TempDir dir;
    std::shared_ptr<ManualClock> clock = std::make_shared<ManualClock>();
    testing::CapturedLog log;
    std::unique_ptr<igsim::Server> server;
    std::string ca_file;
    std::unique_ptr<Engine> engine;
};

// The action log through the same storage the engine wrote it to.
std::vector<storage::ActionRecord> InstagramServiceTest::actions_of(std::int64_t id) {
    auto backend = storage::Backend::open("sqlite://" + (dir.path() / "gramkit.db").string());
    EXPECT_TRUE(backend) << backend.error().to_string();
    storage::ActionFilter f;
    f.account_id = id;
    f.limit = 1000;
    auto page = (*backend)->actions().list(f);
    EXPECT_TRUE(page) << page.error().to_string();
    return page ? page->items : std::vector<storage::ActionRecord>{};
}

// --- login -------------------------------------------------------------------------

TEST_F(InstagramServiceTest, LoginStoresTheSessionCookies) {
    Account a = add_bot("bot_ok", "pw-ok");
    auto r = engine->instagram().login({a.id});
    ASSERT_TRUE(r) << r.error().to_string();
    EXPECT_TRUE(r->ok());
    ASSERT_TRUE(r->user_id.has_value());
    auto cookies = engine->sessions().load_cookies(a.id);
    ASSERT_TRUE(cookies);
    std::set<std::string> names;
    for (const auto& c : *cookies) names.insert(c.name);
    EXPECT_TRUE(names.contains("sessionid"));
    EXPECT_TRUE(names.contains("csrftoken"));
    EXPECT_TRUE(engine->sessions().get(a.id)->valid);
    // The password went to igsim and nowhere else.
    EXPECT_EQ(log.all().find("pw-ok"), std::string::npos);
    auto actions = actions_of(a.id);
    ASSERT_EQ(actions.size(), 2u);  // the home page (CSRF cookie), then the login form
    EXPECT_EQ(actions[0].action, "login");
    EXPECT_EQ(actions[1].outcome, "ok");
    EXPECT_EQ(actions[1].http_status, 200);
}

TEST_F(InstagramServiceTest, BadPasswordMarksTheAccountLoginFailed) {
    Account a = add_bot("bot_badpw", "a-wrong-one");
    auto r = engine->instagram().login({a.id});
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, ErrorCode::unauthenticated);
    EXPECT_EQ(r.error().details, "bad_password");
    EXPECT_EQ(status_of(a.id), AccountStatus::login_failed);
    // Reads are refused until a login succeeds; a login is allowed.
    auto read = engine->instagram().profile(a.id, world().users()[0].username);
    ASSERT_FALSE(read);
    EXPECT_EQ(read.error().code, ErrorCode::failed_precondition);
    AccountUpdate fix;
    fix.password = "the-right-one";
    ASSERT_TRUE(engine->accounts().update(a.id, fix));
    ASSERT_TRUE(engine->instagram().login({a.id}));
    EXPECT_EQ(status_of(a.id), AccountStatus::active);
}

TEST_F(InstagramServiceTest, CheckpointMarksTheAccountChallengeRequired) {
    Account a = add_bot("bot_checkpoint", "pw-cp");
    auto r = engine->instagram().login({a.id});
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, ErrorCode::failed_precondition);
    EXPECT_EQ(r.error().details, "checkpoint_required");
    EXPECT_EQ(status_of(a.id), AccountStatus::challenge_required);
    auto again = engine->instagram().login({a.id});
    ASSERT_FALSE(again);  // refused locally: a person has to solve it
    EXPECT_EQ(again.error().code, ErrorCode::failed_precondition);
}

TEST_F(InstagramServiceTest, TwoFactorWithAStoredSeedCompletesByItself) {
    Account a = add_bot("bot_totp", "pw-totp", kTotpSeed);
    auto r = engine->instagram().login({a.id});
    ASSERT_TRUE(r) << r.error().to_string();
    EXPECT_TRUE(r->ok());
    EXPECT_EQ(actions_of(a.id).size(), 3u);  // home, password, code
}

TEST_F(InstagramServiceTest, TwoFactorWithoutASeedWaitsForTheOperatorsCode) {
    Account a = add_bot("bot_code", "pw-code");
    auto first = engine->instagram().login({a.id});
    ASSERT_TRUE(first) << first.error().to_string();
    EXPECT_EQ(first->kind, instagram::ApiErrorKind::two_factor_required);
    ASSERT_TRUE(first->two_factor_identifier.has_value());

    instagram::LoginRequest wrong{a.id, "000000", first->two_factor_identifier};
    auto rejected = engine->instagram().login(wrong);
    ASSERT_FALSE(rejected);
    EXPECT_EQ(rejected.error().details, "two_factor_code");
    EXPECT_EQ(rejected.error().message.find("000000"), std::string::npos);

    instagram::LoginRequest right{a.id, "424242", first->two_factor_identifier};
    auto done = engine->instagram().login(right);
    ASSERT_TRUE(done) << done.error().to_string();
    EXPECT_TRUE(done->ok());
}

// --- reads -------------------------------------------------------------------------

TEST_F(InstagramServiceTest, ProfileMatchesTheWorld) {
    Account a = logged_in_bot();
    const igsim::User& user = world().users()[1];
    auto p = engine->instagram().profile(a.id, user.username);
    ASSERT_TRUE(p) << p.error().to_string();
    EXPECT_EQ(p->id, user.id);
    EXPECT_EQ(p->username, user.username);
    EXPECT_EQ(p->full_name, user.full_name);
    EXPECT_EQ(p->followers, user.followers);
    EXPECT_EQ(p->following, user.following);
    EXPECT_EQ(p->post_count, static_cast<std::int64_t>(user.posts.size()));
    EXPECT_EQ(p->is_private, user.is_private);

    auto missing = engine->instagram().profile(a.id, "nobody_here_at_all");
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.error().code, ErrorCode::not_found);
    auto bad = engine->instagram().profile(a.id, "no spaces/please");
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().code, ErrorCode::invalid_argument);
    EXPECT_EQ(bad.error().details, "username");
}

TEST_F(InstagramServiceTest, TimelinePaginatesToTheEndWithEveryPostOnce) {
    Account a = logged_in_bot();
    const igsim::User& user = world().users()[2];
    std::vector<std::string> seen;
    std::optional<std::string> cursor;
    int pages = 0;
    do {
        auto page = engine->instagram().posts({a.id, user.username, cursor});
        ASSERT_TRUE(page) << page.error().to_string();
        for (const auto& post : page->items) seen.push_back(post.id);
        cursor = page->next_cursor;
        ASSERT_EQ(page->has_next, cursor.has_value());
        ASSERT_LT(++pages, 10);
    } while (cursor);
    std::vector<std::string> expected;
    for (std::size_t i : user.posts) expected.push_back(world().posts()[i].pk);
    EXPECT_EQ(seen, expected);
    EXPECT_EQ(pages, 3);
}

TEST_F(InstagramServiceTest, HashtagAndMediaReads) {
    Account a = logged_in_bot();
    const igsim::Hashtag& tag = world().hashtags().front();
    auto page = engine->instagram().hashtag({a.id, "#" + tag.name, std::nullopt});
    ASSERT_TRUE(page) << page.error().to_string();
    EXPECT_EQ(page->name, tag.name);
    EXPECT_FALSE(page->recent_posts.empty());
    for (const auto& post : page->recent_posts) {
        EXPECT_NE(std::find(post.hashtags.begin(), post.hashtags.end(), tag.name), post.hashtags.end())
            << post.caption;
    }

    const igsim::Post& wanted = world().posts()[3];
    auto by_id = engine->instagram().media(a.id, wanted.pk);
    ASSERT_TRUE(by_id) << by_id.error().to_string();
    EXPECT_EQ(by_id->id, wanted.pk);
    EXPECT_EQ(by_id->shortcode, wanted.shortcode);
    EXPECT_EQ(by_id->caption, wanted.caption);
    EXPECT_FALSE(by_id->media.empty());
    auto by_code = engine->instagram().media(a.id, wanted.shortcode);
    ASSERT_TRUE(by_code) << by_code.error().to_string();
    EXPECT_EQ(by_code->id, wanted.pk);
    EXPECT_EQ(by_code->media.size(), by_id->media.size());

    auto bad = engine->instagram().media(a.id, "../../etc/passwd");
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().code, ErrorCode::invalid_argument);
}

// --- Instagram's answers, applied to the account -------------------------------------

TEST_F(InstagramServiceTest, TooManyRequestsCoolsTheAccountDownUntilRetryAfter) {
    Account a = logged_in_bot();
    configure_igsim(R"({"rate_limit": {"limit": 2, "window_seconds": 600, "scope": "session", "retry_after": 300}})");
    const std::string user = world().users()[0].username;
    ASSERT_TRUE(engine->instagram().profile(a.id, user));
    ASSERT_TRUE(engine->instagram().profile(a.id, user));
    auto limited = engine->instagram().profile(a.id, user);
    ASSERT_FALSE(limited);
    EXPECT_EQ(limited.error().code, ErrorCode::rate_limited);
    EXPECT_NE(limited.error().message.find("cools down until"), std::string::npos) << limited.error().message;
    Account cooled = engine->accounts().get(a.id).value();
    EXPECT_EQ(cooled.status, AccountStatus::cooldown);
    EXPECT_EQ(cooled.cooldown_until, clock->now() + 300s);

    // While cooling down nothing is sent.
    auto refused = engine->instagram().profile(a.id, user);
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().code, ErrorCode::rate_limited);
    const auto sent_before = actions_of(a.id).size();

    // After the cooldown (and igsim's window) the account works again.
    clock->advance(601s);
    configure_igsim(R"({"clock": )" + std::to_string(kUnixNow + 601) + "}");
    auto again = engine->instagram().profile(a.id, user);
    ASSERT_TRUE(again) << again.error().to_string();
    EXPECT_EQ(status_of(a.id), AccountStatus::active);
    auto actions = actions_of(a.id);
    EXPECT_EQ(actions.size(), sent_before + 1);
    EXPECT_EQ(actions[actions.size() - 2].outcome, "rate_limited");
    EXPECT_EQ(actions[actions.size() - 2].http_status, 429);
}

TEST_F(InstagramServiceTest, PleaseWaitAndFeedbackRequiredCoolDown) {
    Account a = logged_in_bot();
    const std::string user = world().users()[0].username;
    configure_igsim(R"({"please_wait": 1})");
    auto wait = engine->instagram().profile(a.id, user);
    ASSERT_FALSE(wait);
    EXPECT_EQ(wait.error().code, ErrorCode::rate_limited);
    EXPECT_EQ(wait.error().details, "please_wait");
    EXPECT_EQ(engine->accounts().get(a.id)->cooldown_until, clock->now() + 11min);

    clock->advance(11min);
    configure_igsim(R"({"feedback_required": ["bot_ok"]})");
    auto blocked = engine->instagram().profile(a.id, user);
    ASSERT_FALSE(blocked);
    EXPECT_EQ(blocked.error().details, "feedback_required");
    EXPECT_EQ(engine->accounts().get(a.id)->cooldown_until, clock->now() + 12h);
}

TEST_F(InstagramServiceTest, LoginRequiredInvalidatesTheSession) {
    Account a = add_bot("bot_ok", "pw-ok");
    // A session igsim has never issued.
    std::vector<Cookie> stale{{"sessionid", "not-a-real-session", "127.0.0.1", "/", std::nullopt, true, true}};
    ASSERT_TRUE(engine->sessions().save_cookies(a.id, stale));
    auto r = engine->instagram().profile(a.id, world().users()[0].username);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, ErrorCode::unauthenticated);
    EXPECT_EQ(r.error().details, "login_required");
    EXPECT_FALSE(engine->sessions().get(a.id)->valid);
    auto refused = engine->instagram().profile(a.id, world().users()[0].username);
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().code, ErrorCode::failed_precondition);
    ASSERT_TRUE(engine->instagram().login({a.id}));
    EXPECT_TRUE(engine->instagram().profile(a.id, world().users()[0].username));
}

TEST_F(InstagramServiceTest, CookiesAreReusedByTheNextEngine) {
    Account a = logged_in_bot();
    open_engine();  // same data directory: same database and keys
    auto p = engine->instagram().profile(a.id, world().users()[0].username);
    ASSERT_TRUE(p) << p.error().to_string();
    for (const auto& action : actions_of(a.id)) EXPECT_NE(action.outcome, "login_required");
}

TEST_F(InstagramServiceTest, LocalRateLimitDeniesBeforeSending) {
    Account a = logged_in_bot();
    ASSERT_TRUE(engine->limiter().set_rules({{"tiny", {1, 1h, 1}, {"account", "action:profile"}}}));
    const std::string user = world().users()[0].username;
    ASSERT_TRUE(engine->instagram().profile(a.id, user));
    const auto sent = actions_of(a.id).size();
    auto denied = engine->instagram().profile(a.id, user);
    ASSERT_FALSE(denied);
    EXPECT_EQ(denied.error().code, ErrorCode::rate_limited);
    EXPECT_EQ(denied.error().details, "tiny");
    EXPECT_EQ(actions_of(a.id).size(), sent);  // nothing went out
    EXPECT_EQ(status_of(a.id), AccountStatus::active);
}

TEST_F(InstagramServiceTest, DroppedConnectionsAreRetriedAndTruncatedBodiesAreErrors) {
    Account a = logged_in_bot();
    const std::string user = world().users()[0].username;
    configure_igsim(R"({"drop_every": 2})");  // every second request: closed without an answer
    for (int i = 0; i < 3; ++i) {
        auto p = engine->instagram().profile(a.id, user);
        ASSERT_TRUE(p) << i << ": " << p.error().to_string();  // GETs are retried on a fresh connection
    }
    configure_igsim(R"({"drop_every": 0, "truncate_every": 1})");
    auto cut = engine->instagram().profile(a.id, user);
    ASSERT_FALSE(cut);
    EXPECT_TRUE(cut.error().code == ErrorCode::upstream_error || cut.error().code == ErrorCode::unavailable)
        << cut.error().to_string();
    EXPECT_EQ(status_of(a.id), AccountStatus::active);  // a broken transport is not the account's fault
    configure_igsim(R"({"truncate_every": 0})");
    EXPECT_TRUE(engine->instagram().profile(a.id, user));
}

// --- proxies ------------------------------------------------------------------------

TEST_F(InstagramServiceTest, RequestsGoThroughTheAccountsHttpConnectProxy) {
    net::testing::ConnectProxy proxy("proxy-user", "proxy-secret-1");
    Account a = add_bot("bot_ok", "pw-ok");
    auto p = engine->proxies().create({"http://proxy-user:proxy-secret-1@127.0.0.1:" + std::to_string(proxy.port())});
    ASSERT_TRUE(p) << p.error().to_string();
    ASSERT_TRUE(engine->proxies().assign_to(a.id, p->id));
    ASSERT_TRUE(engine->instagram().login({a.id}));
    ASSERT_TRUE(engine->instagram().profile(a.id, world().users()[0].username));
    EXPECT_GE(proxy.tunnels_opened(), 1);
    const auto targets = proxy.targets();
    ASSERT_FALSE(targets.empty());
    EXPECT_EQ(targets.front(), "127.0.0.1:" + std::to_string(server->https_port()));
    for (const auto& action : actions_of(a.id)) EXPECT_EQ(action.proxy_id, p->id);
}

TEST_F(InstagramServiceTest, RequestsGoThroughASocks5ProxyWithRemoteDns) {
    net::testing::Socks5Proxy proxy("socks-user", "socks-secret-2");
    Account a = add_bot("bot_ok", "pw-ok");
    auto p = engine->proxies().create({"socks5://socks-user:socks-secret-2@127.0.0.1:" + std::to_string(proxy.port())});
    ASSERT_TRUE(p) << p.error().to_string();
    ASSERT_TRUE(engine->proxies().assign_to(a.id, p->id));
    ASSERT_TRUE(engine->instagram().login({a.id}));
    const auto connects = proxy.connects();
    ASSERT_FALSE(connects.empty());
    EXPECT_EQ(connects.front().port, server->https_port());
    EXPECT_EQ(proxy.auth_failures(), 0);
}

TEST_F(InstagramServiceTest, TooManyRequestsThroughAProxyCoolsTheProxyDownForEveryAccountOnIt) {
    net::testing::ConnectProxy proxy("", "");
    auto p = engine->proxies().create({"http://127.0.0.1:" + std::to_string(proxy.port())});
    ASSERT_TRUE(p) << p.error().to_string();
    Account first = add_bot("bot_ok", "pw-ok");
    Account second = add_bot("bot_totp", "pw-totp", kTotpSeed);
    for (const Account& a : {first, second}) {
        ASSERT_TRUE(engine->proxies().assign_to(a.id, p->id));
        ASSERT_TRUE(engine->instagram().login({a.id}));
    }
    configure_igsim(R"({"rate_limit": {"limit": 1, "window_seconds": 600, "scope": "session", "retry_after": 120}})");
    const std::string user = world().users()[0].username;
    ASSERT_TRUE(engine->instagram().profile(first.id, user));
    auto limited = engine->instagram().profile(first.id, user);
    ASSERT_FALSE(limited);
    EXPECT_NE(limited.error().message.find("and so does proxy " + std::to_string(p->id)), std::string::npos)
        << limited.error().message;

    // The second account did nothing wrong, but shares the address: it waits
    // without sending, and its own status stays active.
    const auto sent = actions_of(second.id).size();
    auto waits = engine->instagram().profile(second.id, user);
    ASSERT_FALSE(waits);
    EXPECT_EQ(waits.error().code, ErrorCode::rate_limited);
    EXPECT_EQ(waits.error().details, "penalty");
    EXPECT_EQ(actions_of(second.id).size(), sent);
    EXPECT_EQ(status_of(second.id), AccountStatus::active);

    clock->advance(121s);
    EXPECT_TRUE(engine->instagram().profile(second.id, user));
}

TEST_F(InstagramServiceTest, AnUnhealthyProxyIsReplacedAndNeverBypassed) {
    net::testing::ConnectProxy first_proxy("", "");
    net::testing::ConnectProxy second_proxy("", "");
    Account a = add_bot("bot_ok", "pw-ok");
    auto p1 = engine->proxies().create({"http://127.0.0.1:" + std::to_string(first_proxy.port())});
    ASSERT_TRUE(p1);
    ASSERT_TRUE(engine->proxies().assign_to(a.id, p1->id));
    ASSERT_TRUE(engine->proxies().set_health(p1->id, ProxyHealth::unhealthy));

    // No healthy proxy to move to: refused, not sent direct.
    auto refused = engine->instagram().login({a.id});
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().code, ErrorCode::unavailable);
    EXPECT_EQ(refused.error().details, "proxy");
    EXPECT_TRUE(actions_of(a.id).empty());
    EXPECT_EQ(first_proxy.tunnels_opened(), 0);

    // With a healthy one, the account moves there and stays.
    auto p2 = engine->proxies().create({"http://127.0.0.1:" + std::to_string(second_proxy.port())});
    ASSERT_TRUE(p2);
    ASSERT_TRUE(engine->instagram().login({a.id}));
    EXPECT_EQ(engine->accounts().get(a.id)->proxy_id, p2->id);
    EXPECT_GE(second_proxy.tunnels_opened(), 1);
    EXPECT_EQ(first_proxy.tunnels_opened(), 0);
}

TEST_F(InstagramServiceTest, ProxyAuthFailureIsClearAndCountsAgainstTheProxy) {
    net::testing::ConnectProxy proxy("proxy-user", "the-real-secret");
    Account a = add_bot("bot_ok", "pw-ok");
    auto p = engine->proxies().create({"http://proxy-user:a-wrong-secret@127.0.0.1:" + std::to_string(proxy.port())});
    ASSERT_TRUE(p);
    ASSERT_TRUE(engine->proxies().assign_to(a.id, p->id));
    auto r = engine->instagram().login({a.id});
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message.find("407"), std::string::npos) << r.error().message;
    EXPECT_EQ(r.error().message.find("a-wrong-secret"), std::string::npos) << r.error().message;
    EXPECT_EQ(log.all().find("a-wrong-secret"), std::string::npos);
    EXPECT_EQ(status_of(a.id), AccountStatus::active);  // the account did nothing wrong
    EXPECT_EQ(engine->proxies().get(p->id)->failure_count, 1);
    auto actions = actions_of(a.id);
    ASSERT_EQ(actions.size(), 1u);
    EXPECT_EQ(actions[0].http_status, 0);
    EXPECT_NE(actions[0].outcome, "ok");
}

TEST_F(InstagramServiceTest, OperationsSpeakJson) {
    Account a = add_bot("bot_ok", "pw-ok");
    auto login = engine->call("instagram.login", R"({"account_id": )" + std::to_string(a.id) + "}");
    ASSERT_TRUE(login) << login.error().to_string();
    EXPECT_EQ(json::parse(*login)->find("status")->as_string(), "ok");
    const std::string user = world().users()[0].username;
    auto profile = engine->call("instagram.profile",
                                R"({"account_id": )" + std::to_string(a.id) + R"(, "username": ")" + user + "\"}");
    ASSERT_TRUE(profile) << profile.error().to_string();
    auto doc = json::parse(*profile);
    EXPECT_EQ(doc->find("username")->as_string(), user);
    EXPECT_TRUE(doc->find("id")->is_string());  // ids stay text
    auto wrong = engine->call("instagram.profile", R"({"account_id": "seven", "username": 5})");
    ASSERT_FALSE(wrong);
    EXPECT_EQ(wrong.error().code, ErrorCode::invalid_argument);
}

}  // namespace
}  // namespace gramkit
