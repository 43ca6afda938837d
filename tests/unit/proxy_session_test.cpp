// Proxies (URL parsing, sticky assignment, health) and sessions (cookie
// import, merge, expiry, invalidation) through a real Engine on SQLite.
#include "engine_fixture.hpp"

namespace gramkit {
namespace {

using testing::EngineTest;

TEST(ProxyUrlTest, ParsesSchemesCredentialsAndIpv6) {
    auto u = parse_proxy_url("socks5://bob:p%40ss@Proxy.Example.com:1080");
    ASSERT_TRUE(u) << u.error().to_string();
    EXPECT_EQ(u->scheme, ProxyScheme::socks5);
    EXPECT_EQ(u->host, "proxy.example.com");
    EXPECT_EQ(u->port, 1080);
    EXPECT_EQ(u->username, "bob");
    EXPECT_EQ(u->password, "p@ss");
    EXPECT_EQ(u->redacted(), "socks5://bob:***@proxy.example.com:1080");
    EXPECT_EQ(u->full(), "socks5://bob:p%40ss@proxy.example.com:1080");
    auto v6 = parse_proxy_url("http://[::1]:3128/");
    ASSERT_TRUE(v6);
    EXPECT_EQ(v6->host, "::1");
    EXPECT_EQ(v6->redacted(), "http://[::1]:3128");
}

TEST(ProxyUrlTest, RejectsBadUrlsWithoutEchoingThePassword) {
    for (const char* bad : {"ftp://h:1", "h:1", "http://h", "http://h:0", "http://h:65536", "http://h:12ab",
                            "http://:80", "http://h:80/path", "socks4://h:1", "http://u:pw%zz@h:80"}) {
        auto r = parse_proxy_url(bad);
        ASSERT_FALSE(r) << bad;
        EXPECT_EQ(r.error().code, ErrorCode::invalid_argument) << bad;
    }
    auto r = parse_proxy_url("http://user:TopSecretPw@host");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().message.find("TopSecretPw"), std::string::npos);
    auto scheme = parse_proxy_url("gopher://h:70");
    EXPECT_NE(scheme.error().message.find("gopher"), std::string::npos);
}

TEST_F(EngineTest, ProxyPasswordIsEncryptedAndRedacted) {
    auto p = engine->proxies().create({"http://user:ProxyPw123@10.0.0.1:8080", 2});
    ASSERT_TRUE(p) << p.error().to_string();
    EXPECT_TRUE(p->has_password);
    EXPECT_EQ(p->url, "http://user:***@10.0.0.1:8080");
    EXPECT_EQ(engine->proxies().get(p->id)->url, p->url);
    EXPECT_EQ(engine->proxies().reveal_url(p->id).value(), "http://user:ProxyPw123@10.0.0.1:8080");
    auto dup = engine->proxies().create({"http://user:other@10.0.0.1:8080", 2});
    ASSERT_FALSE(dup);
    EXPECT_EQ(dup.error().code, ErrorCode::conflict);
    EXPECT_EQ(log.all().find("ProxyPw123"), std::string::npos);
    auto bad_max = engine->proxies().create({"http://10.0.0.2:8080", 0});
    ASSERT_FALSE(bad_max);
    EXPECT_EQ(bad_max.error().details, "max_accounts");
}

TEST_F(EngineTest, AssignmentIsStickyAndPicksTheLeastLoadedHealthyProxy) {
    auto p1 = engine->proxies().create({"http://10.0.0.1:8080", 2}).value();
    auto p2 = engine->proxies().create({"http://10.0.0.2:8080", 2}).value();
    auto a = make_account("a1"), b = make_account("b1"), c = make_account("c1");
    EXPECT_EQ(engine->proxies().assign(a.id)->id, p1.id);  // tie → lowest id
    EXPECT_EQ(engine->proxies().assign(b.id)->id, p2.id);  // p1 has 1, p2 has 0
    EXPECT_EQ(engine->proxies().assign(a.id)->id, p1.id);  // sticky
    EXPECT_EQ(engine->accounts().get(a.id)->proxy_id, p1.id);
    // An unhealthy proxy is skipped and its accounts move on reassignment.
    for (int i = 0; i < 3; ++i) ASSERT_TRUE(engine->proxies().report_failure(p1.id));
    EXPECT_EQ(engine->proxies().get(p1.id)->health, ProxyHealth::unhealthy);
    EXPECT_EQ(engine->proxies().assign(c.id)->id, p2.id);
    auto moved = engine->proxies().assign(a.id);
    EXPECT_FALSE(moved);  // p2 is now full (b, c) and p1 is unhealthy
    EXPECT_EQ(moved.error().code, ErrorCode::unavailable);
    ASSERT_TRUE(engine->proxies().report_success(p1.id));
    EXPECT_EQ(engine->proxies().get(p1.id)->failure_count, 0);
    auto full = engine->proxies().assign_to(a.id, p2.id);
    ASSERT_FALSE(full);
    EXPECT_EQ(full.error().code, ErrorCode::failed_precondition);
    auto in_use = engine->proxies().remove(p2.id);
    ASSERT_FALSE(in_use);
    EXPECT_EQ(in_use.error().code, ErrorCode::failed_precondition);
}

TEST(CookieExportTest, ParsesBrowserJsonAndNetscapeFormats) {
    auto json = parse_cookie_export(R"([
      {"name":"sessionid","value":"abc%3A1","domain":".instagram.com","path":"/","expirationDate":1893456000.5,
       "secure":true,"httpOnly":true,"sameSite":"lax","hostOnly":false},
      {"name":"csrftoken","value":"tok","domain":".instagram.com","session":true}
    ])");
    ASSERT_TRUE(json) << json.error().to_string();
    ASSERT_EQ(json->size(), 2u);
    EXPECT_TRUE((*json)[0].http_only);
    EXPECT_EQ((*json)[0].expires, from_micros(1893456000500000));
    EXPECT_FALSE((*json)[1].expires.has_value());

    auto txt = parse_cookie_export(
        "# Netscape HTTP Cookie File\n"
        "#HttpOnly_.instagram.com\tTRUE\t/\tTRUE\t1893456000\tsessionid\tabc\n"
        ".instagram.com\tTRUE\t/\tTRUE\t0\tcsrftoken\ttok\r\n");
    ASSERT_TRUE(txt) << txt.error().to_string();
    ASSERT_EQ(txt->size(), 2u);
    EXPECT_TRUE((*txt)[0].http_only);
    EXPECT_FALSE((*txt)[1].http_only);
    EXPECT_FALSE((*txt)[1].expires.has_value());
}

TEST(CookieExportTest, BadExportsNameTheEntryAndNeverTheValue) {
    auto r = parse_cookie_export(R"([{"name":"a","value":"SECRETVALUE1"},{"name":"b"}])");
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message.find("cookies[1]"), std::string::npos) << r.error().message;
    r = parse_cookie_export(R"([{"name":"bad;name","value":"SECRETVALUE2"}])");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().message.find("SECRETVALUE2"), std::string::npos);
    r = parse_cookie_export("[{]");
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message.find("malformed JSON"), std::string::npos);
    r = parse_cookie_export(".instagram.com\tTRUE\t/\n");
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message.find("line 1"), std::string::npos);
    r = parse_cookie_export(R"({"not":"cookies"})");
    ASSERT_FALSE(r);
    r = parse_cookie_export("   ");
    ASSERT_FALSE(r);
}

TEST_F(EngineTest, CookiesMergeReplaceExpireAndStayEncrypted) {
    auto a = make_account("cookie_monster");
    auto far = clock->now() + std::chrono::hours(24 * 90);
    Cookie sid{"sessionid", "SID-SECRET-1", ".instagram.com", "/", far, true, true};
    Cookie csrf{"csrftoken", "CSRF-1", ".instagram.com", "/", std::nullopt, true, false};
    auto s = engine->sessions().save_cookies(a.id, {sid, csrf}, DeviceInfo{"Mozilla/5.0 test", "dev-1", "en_US"});
    ASSERT_TRUE(s) << s.error().to_string();
    EXPECT_EQ(s->cookie_count, 2u);
    EXPECT_EQ(s->expires_at, far);
    EXPECT_TRUE(s->valid);

    // Merge: same name/domain/path replaces, an expired one deletes.
    Cookie sid2 = sid;
    sid2.value = "SID-SECRET-2";
    Cookie csrf_gone = csrf;
    csrf_gone.expires = clock->now() - std::chrono::seconds(1);
    ASSERT_TRUE(engine->sessions().save_cookies(a.id, {sid2, csrf_gone}));
    auto jar = engine->sessions().load_cookies(a.id).value();
    ASSERT_EQ(jar.size(), 1u);
    EXPECT_EQ(jar[0].value, "SID-SECRET-2");
    EXPECT_EQ(engine->sessions().get(a.id)->device.user_agent, "Mozilla/5.0 test");  // kept

    // Time passes: load drops what has expired.
    Cookie short_lived{"ds_user_id", "42", ".instagram.com", "/", clock->now() + std::chrono::minutes(5), false, false};
    ASSERT_TRUE(engine->sessions().save_cookies(a.id, {short_lived}));
    EXPECT_EQ(engine->sessions().load_cookies(a.id)->size(), 2u);
    clock->advance(std::chrono::minutes(6));
    EXPECT_EQ(engine->sessions().load_cookies(a.id)->size(), 1u);

    // Replace wipes the jar.
    ASSERT_TRUE(engine->sessions().replace_cookies(a.id, {csrf}));
    jar = engine->sessions().load_cookies(a.id).value();
    ASSERT_EQ(jar.size(), 1u);
    EXPECT_EQ(jar[0], csrf);

    ASSERT_TRUE(engine->sessions().invalidate(a.id, "login_required"));
    auto inv = engine->sessions().get(a.id).value();
    EXPECT_FALSE(inv.valid);
    EXPECT_EQ(inv.invalid_reason, "login_required");
    EXPECT_EQ(engine->sessions().list({.valid_only = true})->items.size(), 0u);
    EXPECT_EQ(engine->sessions().list({})->items.size(), 1u);
    EXPECT_EQ(log.all().find("SID-SECRET"), std::string::npos);

    auto missing = engine->sessions().save_cookies(a.id + 999, {csrf});
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.error().code, ErrorCode::not_found);
}

}  // namespace
}  // namespace gramkit
