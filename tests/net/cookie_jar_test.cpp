// Set-Cookie parsing, domain/path matching, expiry and persistence mapping.
#include <gtest/gtest.h>

#include "net/cookie_jar.hpp"

namespace gramkit::net {
namespace {

using namespace std::chrono_literals;

Url url(const char* text) {
    auto u = parse_url(text);
    EXPECT_TRUE(u) << text;
    return *u;
}

class CookieJarTest : public ::testing::Test {
protected:
    std::shared_ptr<ManualClock> clock = std::make_shared<ManualClock>();
    CookieJar jar{clock};
};

TEST(SetCookieParse, AttributesAndDefaults) {
    const Timestamp now = from_micros(1'700'000'000'000'000);
    auto c = parse_set_cookie("sessionid=abc123; Path=/api; Secure; HttpOnly; SameSite=Lax", url("https://www.instagram.com/x"), now);
    ASSERT_TRUE(c);
    EXPECT_EQ(c->name, "sessionid");
    EXPECT_EQ(c->value, "abc123");
    EXPECT_EQ(c->domain, "www.instagram.com");
    EXPECT_TRUE(c->host_only);
    EXPECT_EQ(c->path, "/api");
    EXPECT_TRUE(c->secure);
    EXPECT_TRUE(c->http_only);
    EXPECT_FALSE(c->expires);
}

TEST(SetCookieParse, MaxAgeBeatsExpires) {
    const Timestamp now = from_micros(1'700'000'000'000'000);
    auto c = parse_set_cookie("a=1; Expires=Wed, 21 Oct 2015 07:28:00 GMT; Max-Age=60", url("http://h.test/"), now);
    ASSERT_TRUE(c);
    EXPECT_EQ(c->expires, now + 60s);
    auto d = parse_set_cookie("a=1; Max-Age=60; Expires=Wed, 21 Oct 2015 07:28:00 GMT", url("http://h.test/"), now);
    ASSERT_TRUE(d);
    EXPECT_EQ(d->expires, now + 60s);  // order of attributes does not matter
    auto e = parse_set_cookie("a=1; Expires=Wed, 21-Oct-2037 07:28:00 GMT", url("http://h.test/"), now);
    ASSERT_TRUE(e);
    ASSERT_TRUE(e->expires);
    EXPECT_GT(*e->expires, now);
}

TEST(SetCookieParse, DomainRules) {
    const Timestamp now{};
    auto ok = parse_set_cookie("a=1; Domain=.Instagram.com", url("https://www.instagram.com/"), now);
    ASSERT_TRUE(ok);
    EXPECT_EQ(ok->domain, "instagram.com");
    EXPECT_FALSE(ok->host_only);
    EXPECT_FALSE(parse_set_cookie("a=1; Domain=evil.com", url("https://www.instagram.com/"), now));
    EXPECT_FALSE(parse_set_cookie("a=1; Domain=ww.instagram.com", url("https://www.instagram.com/"), now));
    EXPECT_FALSE(parse_set_cookie("a=1; Domain=0.0.1", url("http://127.0.0.1/"), now));
}

TEST(SetCookieParse, IgnoredForms) {
    const Timestamp now{};
    EXPECT_FALSE(parse_set_cookie("novalue", url("http://h.test/"), now));
    EXPECT_FALSE(parse_set_cookie("=x", url("http://h.test/"), now));
    EXPECT_FALSE(parse_set_cookie("a=1; Secure", url("http://h.test/"), now)) << "Secure over plain http";
}

// Found by the Instagram fuzz target: a CR/LF in a value used to be stored
// and written back into the Cookie header.
TEST(SetCookieParse, ControlCharactersVoidTheWholeLine) {
    const Timestamp now{};
    EXPECT_FALSE(parse_set_cookie("a=1\r\nX-Injected: yes", url("http://h.test/"), now));
    EXPECT_FALSE(parse_set_cookie("a=1; Path=/\n", url("http://h.test/"), now));
    EXPECT_FALSE(parse_set_cookie(std::string_view("a=1\0b", 5), url("http://h.test/"), now));
    EXPECT_FALSE(parse_set_cookie("a=\x7f", url("http://h.test/"), now));
    EXPECT_TRUE(parse_set_cookie("a=1;\tPath=/", url("http://h.test/"), now)) << "HTAB is allowed";
}

// Max-Age=9223372036854775807 used to overflow now + seconds (UB) and come
// out "expired"; RFC 6265bis clamps every lifetime to 400 days.
TEST(SetCookieParse, LifetimeIsClampedTo400Days) {
    const Timestamp now = from_micros(1'700'000'000'000'000);
    const Timestamp cap = now + std::chrono::hours(24 * 400);
    for (const char* line : {"a=1; Max-Age=9223372036854775807", "a=1; Max-Age=99999999999999999999999",
                             "a=1; Max-Age=99999999999", "a=1; Expires=Fri, 31 Dec 9999 23:59:59 GMT",
                             "a=1; Expires=Wed, 21-Oct-2037 07:28:00 GMT"}) {
        auto c = parse_set_cookie(line, url("http://h.test/"), now);
        ASSERT_TRUE(c) << line;
        ASSERT_TRUE(c->expires) << line;
        EXPECT_EQ(*c->expires, cap) << line;
    }
    auto short_lived = parse_set_cookie("a=1; Max-Age=3600", url("http://h.test/"), now);
    ASSERT_TRUE(short_lived);
    EXPECT_EQ(short_lived->expires, now + 3600s) << "shorter lifetimes are untouched";
}

TEST_F(CookieJarTest, HugeMaxAgeKeepsTheCookie) {
    const Url origin = url("https://www.instagram.com/");
    EXPECT_TRUE(jar.set_cookie(origin, "sessionid=s; Max-Age=9223372036854775807"));
    EXPECT_EQ(jar.cookie_header_for(origin), "sessionid=s");
    clock->advance(std::chrono::hours(24 * 400) - 1s);
    EXPECT_EQ(jar.size(), 1u);
    clock->advance(1s);
    EXPECT_EQ(jar.size(), 0u);
}

TEST(SetCookieParse, SizeAndNameLimits) {
    const Timestamp now{};
    EXPECT_TRUE(parse_set_cookie("a=" + std::string(4095, 'v'), url("http://h.test/"), now)) << "4096 bytes";
    EXPECT_FALSE(parse_set_cookie("a=" + std::string(4096, 'v'), url("http://h.test/"), now)) << "4097 bytes";
    EXPECT_FALSE(parse_set_cookie(std::string(4097, 'n') + "=", url("http://h.test/"), now));
    for (const char* bad : {"a b=1", "a(b=1", "a\"b=1", "a/b=1", "a,b=1", "a@b=1", "a[b]=1", "a:b=1", "a{b=1"})
        EXPECT_FALSE(parse_set_cookie(bad, url("http://h.test/"), now)) << bad;
    for (const char* good : {"csrftoken=x", "ds_user_id=1", "ig-did=2", " padded =3", "a.b!#$%&'*+^`|~=4"})
        EXPECT_TRUE(parse_set_cookie(good, url("http://h.test/"), now)) << good;
}

TEST_F(CookieJarTest, CookieHeaderIsCappedKeepingTheOrder) {
    const Url origin = url("https://www.instagram.com/a/b/c");
    const std::string big(3000, 'x');
    EXPECT_TRUE(jar.set_cookie(origin, "p3=" + big + "; Path=/a/b/c"));
    EXPECT_TRUE(jar.set_cookie(origin, "p2=" + big + "; Path=/a/b"));
    EXPECT_TRUE(jar.set_cookie(origin, "p1=" + big + "; Path=/a"));  // would pass 8 KiB: skipped
    EXPECT_TRUE(jar.set_cookie(origin, "small=1; Path=/"));
    const std::string header = jar.cookie_header_for(origin);
    EXPECT_LE(header.size(), kMaxCookieHeaderBytes);
    EXPECT_EQ(header, "p3=" + big + "; p2=" + big + "; small=1");
    EXPECT_EQ(jar.size(), 4u) << "the cap limits what is sent, not what is stored";
}

TEST(CookiePaths, DefaultPathAndMatching) {
    EXPECT_EQ(default_cookie_path(""), "/");
    EXPECT_EQ(default_cookie_path("/"), "/");
    EXPECT_EQ(default_cookie_path("/accounts"), "/");
    EXPECT_EQ(default_cookie_path("/accounts/login/"), "/accounts/login");
    EXPECT_EQ(default_cookie_path("/a/b"), "/a");
    EXPECT_TRUE(path_matches("/api/v1", "/api"));
    EXPECT_TRUE(path_matches("/api/", "/api/"));
    EXPECT_TRUE(path_matches("/api", "/api"));
    EXPECT_FALSE(path_matches("/apix", "/api"));
    EXPECT_FALSE(path_matches("/", "/api"));
    EXPECT_TRUE(domain_matches("www.instagram.com", "instagram.com"));
    EXPECT_FALSE(domain_matches("notinstagram.com", "instagram.com"));
    EXPECT_FALSE(domain_matches("1.127.0.0.1", "127.0.0.1"));
}

TEST_F(CookieJarTest, SendsMatchingCookiesLongestPathFirst) {
    const Url origin = url("https://www.instagram.com/accounts/login/");
    EXPECT_TRUE(jar.set_cookie(origin, "csrftoken=t1; Path=/; Domain=instagram.com"));
    EXPECT_TRUE(jar.set_cookie(origin, "deep=d; Path=/api/v1"));
    EXPECT_TRUE(jar.set_cookie(origin, "mid=m; Path=/"));
    EXPECT_TRUE(jar.set_cookie(origin, "sec=s; Path=/; Secure"));
    EXPECT_EQ(jar.cookie_header_for(url("https://www.instagram.com/api/v1/users")), "deep=d; csrftoken=t1; mid=m; sec=s");
    // Domain cookie reaches the subdomain; host-only ones do not; Secure stays off plain http.
    EXPECT_EQ(jar.cookie_header_for(url("https://i.instagram.com/")), "csrftoken=t1");
    EXPECT_EQ(jar.cookie_header_for(url("http://www.instagram.com/")), "csrftoken=t1; mid=m");
    EXPECT_EQ(jar.cookie_header_for(url("https://example.com/")), "");
}

TEST_F(CookieJarTest, ReplacesByNameDomainPathAndReportsChanges) {
    const Url origin = url("https://www.instagram.com/");
    EXPECT_TRUE(jar.set_cookie(origin, "a=1"));
    EXPECT_FALSE(jar.set_cookie(origin, "a=1")) << "identical cookie is no change";
    EXPECT_TRUE(jar.set_cookie(origin, "a=2"));
    EXPECT_TRUE(jar.set_cookie(origin, "a=3; Path=/other"));
    EXPECT_EQ(jar.size(), 2u);
    EXPECT_EQ(jar.cookie_header_for(url("https://www.instagram.com/")), "a=2");
}

TEST_F(CookieJarTest, ExpiresWithTheClockAndDeletesOnPastExpiry) {
    const Url origin = url("https://www.instagram.com/");
    jar.set_cookie(origin, "short=1; Max-Age=10");
    jar.set_cookie(origin, "gone=1");
    EXPECT_EQ(jar.size(), 2u);
    clock->advance(9s);
    EXPECT_EQ(jar.cookie_header_for(origin), "short=1; gone=1");
    clock->advance(1s);
    EXPECT_EQ(jar.cookie_header_for(origin), "gone=1");
    EXPECT_TRUE(jar.set_cookie(origin, "gone=deleted; Expires=Thu, 01 Jan 1970 00:00:00 GMT"));
    EXPECT_EQ(jar.cookie_header_for(origin), "");
    EXPECT_FALSE(jar.set_cookie(origin, "never=x; Max-Age=0")) << "deleting an absent cookie changes nothing";
    EXPECT_EQ(jar.size(), 0u);
}

TEST_F(CookieJarTest, UpdateFromResponseUsesEverySetCookieAndCallsOnChange) {
    int calls = 0;
    jar.on_change([&] { ++calls; });
    const Url origin = url("https://www.instagram.com/");
    const Headers headers{{"Content-Type", "text/html"}, {"set-cookie", "a=1"}, {"Set-Cookie", "b=2; Path=/"}};
    const auto before = jar.version();
    EXPECT_TRUE(jar.update_from_response(origin, headers));
    EXPECT_EQ(calls, 1) << "one callback per response";
    EXPECT_GT(jar.version(), before);
    EXPECT_FALSE(jar.update_from_response(origin, headers));
    EXPECT_EQ(calls, 1);
    EXPECT_EQ(jar.cookie_header_for(origin), "a=1; b=2");
}

TEST_F(CookieJarTest, RoundTripsThroughThePersistedForm) {
    const Url origin = url("https://www.instagram.com/");
    jar.set_cookie(origin, "host=1; HttpOnly");
    jar.set_cookie(origin, "dom=2; Domain=instagram.com; Max-Age=3600; Secure");
    auto cookies = jar.to_cookies();
    ASSERT_EQ(cookies.size(), 2u);
    EXPECT_EQ(cookies[0].domain, "www.instagram.com");
    EXPECT_TRUE(cookies[0].http_only);
    EXPECT_FALSE(cookies[0].expires);
    EXPECT_EQ(cookies[1].domain, ".instagram.com");
    EXPECT_EQ(cookies[1].expires, clock->now() + 3600s);
    EXPECT_TRUE(cookies[1].secure);

    CookieJar other(clock);
    int calls = 0;
    other.on_change([&] { ++calls; });
    other.load(cookies);
    EXPECT_EQ(calls, 0) << "loading is not a change to save back";
    EXPECT_EQ(other.to_cookies(), cookies);
    EXPECT_EQ(other.cookie_header_for(url("https://i.instagram.com/")), "dom=2");
}

TEST_F(CookieJarTest, LoadSkipsExpiredCookies) {
    Cookie old{"old", "v", ".instagram.com", "/", clock->now() - 1s, false, false};
    Cookie fresh{"fresh", "v", ".instagram.com", "/", clock->now() + 1h, false, false};
    jar.load({old, fresh});
    EXPECT_EQ(jar.size(), 1u);
    EXPECT_EQ(jar.cookie_header_for(url("http://instagram.com/")), "fresh=v");
}

}  // namespace
}  // namespace gramkit::net
