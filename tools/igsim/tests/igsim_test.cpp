// igsim tests: an in-process igsim::Server spoken to over real loopback
// HTTP and HTTPS (tests/http_test_client.hpp), checking shapes, pagination,
// login flows, misbehaviour and determinism.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <zlib.h>

#include "app.hpp"
#include "core/json.hpp"
#include "http_test_client.hpp"
#include "http_util.hpp"
#include "server.hpp"
#include "totp.hpp"

namespace igsim {
namespace {

using gramkit::json::Value;
using test::Client;
using test::HttpResult;

constexpr const char* kAppId = "936619743392459";

Value parse(const std::string& text) {
    auto v = gramkit::json::parse(text);
    if (!v) {
        ADD_FAILURE() << "not JSON: " << text.substr(0, 300);
        return Value();
    }
    return std::move(*v);
}

// Walks "a.b.0.c" through objects and arrays; a missing step fails the test.
const Value& at(const Value& root, const std::string& path) {
    static const Value null;
    const Value* v = &root;
    std::size_t start = 0;
    while (start <= path.size()) {
        const auto dot = path.find('.', start);
        const auto step = path.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
        if (v->is_array() && !step.empty() && std::isdigit(static_cast<unsigned char>(step[0]))) {
            const auto i = std::stoul(step);
            if (i >= v->as_array().size()) {
                ADD_FAILURE() << "no index " << path;
                return null;
            }
            v = &v->as_array()[i];
        } else {
            const Value* next = v->find(step);
            if (!next) {
                ADD_FAILURE() << "no member " << path;
                return null;
            }
            v = next;
        }
        if (dot == std::string::npos) break;
        start = dot + 1;
    }
    return *v;
}

std::string str(const Value& root, const std::string& path) {
    const Value& v = at(root, path);
    return v.is_string() ? v.as_string() : std::string();
}

std::string path_of(const std::string& url) {  // "https://localhost/media/1.png" → "/media/1.png"
    const auto scheme_end = url.find("://");
    return url.substr(url.find('/', scheme_end + 3));
}

ServerOptions small_world(std::uint64_t seed = 7) {
    ServerOptions o;
    o.world.seed = seed;
    o.world.users = 6;
    o.world.posts_per_user = 40;
    o.behaviour.clock = 1700000000;  // fixed: TOTP and rate windows are deterministic
    o.accounts = {
        {"bot_ok", "pw-ok", LoginOutcome::ok, "", "", ""},
        {"bot_checkpoint", "pw-cp", LoginOutcome::checkpoint, "", "", ""},
        {"bot_2fa", "pw-2fa", LoginOutcome::two_factor, "JBSWY3DPEHPK3PXP", "", ""},
        {"bot_bad", "pw-bad", LoginOutcome::bad_password, "", "", ""},
    };
    return o;
}

class IgsimTest : public ::testing::Test {
protected:
    void start(ServerOptions options = small_world()) {
        server_ = std::make_unique<Server>(std::move(options));
        server_->start();
    }
    void SetUp() override { start(); }

    Client http() { return Client(server_->http_port()); }
    Client https() { return Client(server_->https_port(), server_->certificate_pem()); }

    // A public user with posts, straight from the world.
    const User& public_user() {
        for (const auto& u : server_->app().world().users())
            if (!u.is_private && !u.posts.empty()) return u;
        throw std::runtime_error("no public user");
    }

    void admin(Client& c, const std::string& config) {
        auto r = c.request("POST", "/__igsim/config", {{"Content-Type", "application/json"}}, config);
        ASSERT_EQ(r.status, 200) << r.body;
    }

    struct Session {
        std::string csrf;
        std::string sessionid;
        std::string cookie() const { return "csrftoken=" + csrf + "; sessionid=" + sessionid; }
    };

    HttpResult login_request(Client& c, const std::string& user, const std::string& password, std::string& csrf) {
        auto home = c.get("/");
        EXPECT_EQ(home.status, 200);
        csrf = home.set_cookie("csrftoken");
        EXPECT_FALSE(home.set_cookie("mid").empty());
        const auto form = "username=" + url_encode(user) + "&enc_password=" +
                          url_encode("#PWD_INSTAGRAM_BROWSER:0:1700000000:" + password);
        return c.request("POST", "/api/v1/web/accounts/login/ajax/",
                         {{"Content-Type", "application/x-www-form-urlencoded"},
                          {"X-CSRFToken", csrf},
                          {"Cookie", "csrftoken=" + csrf}},
                         form);
    }

    Session login(Client& c, const std::string& user = "bot_ok", const std::string& password = "pw-ok") {
        Session s;
        auto r = login_request(c, user, password, s.csrf);
        EXPECT_EQ(r.status, 200) << r.body;
        s.sessionid = r.set_cookie("sessionid");
        EXPECT_FALSE(s.sessionid.empty());
        return s;
    }

    std::map<std::string, std::string> auth(const Session& s) {
        return {{"Cookie", s.cookie()}, {"X-IG-App-ID", kAppId}};
    }

    std::unique_ptr<Server> server_;
};

TEST(IgsimUnits, TotpMatchesRfc6238Vector) {
    // RFC 6238 appendix B, SHA1, T=59: 94287082 (the last 6 digits).
    EXPECT_EQ(totp_code("12345678901234567890", 59), "287082");
    EXPECT_EQ(totp_code("12345678901234567890", 1111111109), "081804");
    EXPECT_EQ(*base32_decode("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"), "12345678901234567890");
}

TEST(IgsimUnits, RangeHeaderParsing) {
    ByteRange r;
    EXPECT_EQ(parse_range("bytes=0-9", 100, r), RangeResult::satisfiable);
    EXPECT_EQ(r.last, 9u);
    EXPECT_EQ(parse_range("bytes=-10", 100, r), RangeResult::satisfiable);
    EXPECT_EQ(r.first, 90u);
    EXPECT_EQ(parse_range("bytes=95-", 100, r), RangeResult::satisfiable);
    EXPECT_EQ(r.last, 99u);
    EXPECT_EQ(parse_range("bytes=100-", 100, r), RangeResult::unsatisfiable);
    EXPECT_EQ(parse_range("bytes=0-1,5-6", 100, r), RangeResult::none);
    EXPECT_EQ(parse_range("items=0-1", 100, r), RangeResult::none);
}

TEST_F(IgsimTest, ProfileOverTlsHasFixtureShape) {
    auto c = https();  // the handshake verifies the generated certificate for "localhost"
    auto s = login(c);
    const User& user = public_user();
    auto r = c.get("/api/v1/users/web_profile_info/?username=" + user.username, auth(s));
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.header("content-type"), "application/json; charset=utf-8");
    const Value v = parse(r.body);
    EXPECT_EQ(str(v, "status"), "ok");
    EXPECT_EQ(str(v, "data.user.username"), user.username);
    const auto id = str(v, "data.user.id");
    EXPECT_GE(id.size(), 8u);
    EXPECT_LE(id.size(), 19u);
    EXPECT_TRUE(std::ranges::all_of(id, [](char ch) { return ch >= '0' && ch <= '9'; }));
    EXPECT_EQ(at(v, "data.user.edge_followed_by.count").as_int(), user.followers);
    EXPECT_EQ(at(v, "data.user.edge_owner_to_timeline_media.count").as_int(), 40);
    EXPECT_EQ(at(v, "data.user.edge_owner_to_timeline_media.edges").as_array().size(), 12u);
    EXPECT_TRUE(at(v, "data.user.edge_owner_to_timeline_media.page_info.has_next_page").as_bool());
    EXPECT_EQ(str(v, "data.user.edge_owner_to_timeline_media.edges.0.node.owner.id"), user.id);
    EXPECT_TRUE(str(v, "data.user.profile_pic_url").starts_with("https://localhost/media/"));
}

TEST_F(IgsimTest, ProfileNeedsAppIdSessionAndKnownUser) {
    auto c = http();
    const User& user = public_user();
    auto anonymous = c.get("/api/v1/users/web_profile_info/?username=" + user.username, {{"X-IG-App-ID", kAppId}});
    EXPECT_EQ(anonymous.status, 401);
    EXPECT_EQ(str(parse(anonymous.body), "message"), "login_required");
    EXPECT_TRUE(at(parse(anonymous.body), "require_login").as_bool());

    auto s = login(c);
    auto no_app_id = c.get("/api/v1/users/web_profile_info/?username=" + user.username, {{"Cookie", s.cookie()}});
    EXPECT_EQ(no_app_id.status, 400);
    auto unknown = c.get("/api/v1/users/web_profile_info/?username=nobody_here_42", auth(s));
    EXPECT_EQ(unknown.status, 404);
    EXPECT_EQ(str(parse(unknown.body), "status"), "fail");
}

TEST_F(IgsimTest, GraphqlQueryHashPaginatesEveryPostOnceInOrder) {
    auto c = http();
    auto s = login(c);
    const User& user = public_user();
    std::vector<std::string> seen;
    std::string after;
    for (int page = 0; page < 100; ++page) {
        std::string vars = R"({"id":")" + user.id + R"(","first":7)";
        if (!after.empty()) vars += R"(,"after":")" + after + "\"";
        vars += "}";
        auto r = c.get("/graphql/query/?query_hash=e769aa130647d2354c40ea6a439bfc08&variables=" + url_encode(vars), auth(s));
        ASSERT_EQ(r.status, 200) << r.body;
        const Value v = parse(r.body);
        const Value& media = at(v, "data.user.edge_owner_to_timeline_media");
        for (const auto& edge : at(media, "edges").as_array()) seen.push_back(str(edge, "node.id"));
        if (!at(media, "page_info.has_next_page").as_bool()) {
            EXPECT_TRUE(at(media, "page_info.end_cursor").is_null());
            break;
        }
        after = str(media, "page_info.end_cursor");
    }
    std::vector<std::string> expected;
    for (auto i : user.posts) expected.push_back(server_->app().world().posts()[i].pk);
    EXPECT_EQ(seen, expected);  // every post exactly once, newest first
}

TEST_F(IgsimTest, XdtDocIdPaginatesEveryPostOnceViaPostForm) {
    auto c = https();
    auto s = login(c);
    const User& user = public_user();
    std::vector<std::string> seen;
    std::string after;
    for (int page = 0; page < 100; ++page) {
        std::string vars = R"({"username":")" + user.username + R"(","data":{"count":12},"after":)" +
                           (after.empty() ? std::string("null") : "\"" + after + "\"") + "}";
        auto headers = auth(s);
        headers["Content-Type"] = "application/x-www-form-urlencoded";
        headers["X-CSRFToken"] = s.csrf;
        auto r = c.request("POST", "/graphql/query", headers, "doc_id=7950326061742207&variables=" + url_encode(vars));
        ASSERT_EQ(r.status, 200) << r.body;
        const Value v = parse(r.body);
        const Value& conn = at(v, "data.xdt_api__v1__feed__user_timeline_graphql_connection");
        for (const auto& edge : at(conn, "edges").as_array()) {
            seen.push_back(str(edge, "node.pk"));
            EXPECT_EQ(str(edge, "node.user.pk"), user.id);
            EXPECT_EQ(str(edge, "node.id"), str(edge, "node.pk") + "_" + user.id);
        }
        EXPECT_TRUE(at(v, "extensions.is_final").as_bool());
        if (!at(conn, "page_info.has_next_page").as_bool()) break;
        after = str(conn, "page_info.end_cursor");
        EXPECT_TRUE(after.ends_with("_" + user.id));
    }
    std::vector<std::string> expected;
    for (auto i : user.posts) expected.push_back(server_->app().world().posts()[i].pk);
    EXPECT_EQ(seen, expected);
}

TEST_F(IgsimTest, MediaInfoAndShortcodeAgree) {
    auto c = http();
    auto s = login(c);
    const World& world = server_->app().world();
    // One post of each kind, including a carousel.
    std::set<MediaKind> kinds;
    for (const auto& post : world.posts()) {
        if (!kinds.insert(post.kind).second) continue;
        auto info = c.get("/api/v1/media/" + post.pk + "/info/", auth(s));
        ASSERT_EQ(info.status, 200) << info.body;
        const Value item = at(parse(info.body), "items.0");
        EXPECT_EQ(str(item, "code"), post.shortcode);
        // Fixture 05 (2022 private API) has numeric pks, unlike 04's strings.
        ASSERT_TRUE(at(item, "pk").is_int());
        EXPECT_EQ(std::to_string(at(item, "pk").as_int()), post.pk);
        EXPECT_EQ(at(item, "media_type").as_int(), static_cast<int>(post.kind));
        EXPECT_EQ(str(item, "caption.text"), post.caption);
        auto sc = c.get("/p/" + post.shortcode + "/?__a=1&__d=dis", auth(s));
        ASSERT_EQ(sc.status, 200) << sc.body;
        const Value media = at(parse(sc.body), "graphql.shortcode_media");
        EXPECT_EQ(str(media, "id"), post.pk);
        if (post.kind == MediaKind::carousel) {
            EXPECT_EQ(str(media, "__typename"), "GraphSidecar");
            EXPECT_EQ(at(media, "edge_sidecar_to_children.edges").as_array().size(), post.children.size());
            EXPECT_EQ(at(item, "carousel_media").as_array().size(), post.children.size());
        }
    }
    EXPECT_EQ(kinds.size(), 3u);
    EXPECT_EQ(c.get("/api/v1/media/123/info/", auth(s)).status, 404);
}

TEST_F(IgsimTest, HashtagEndpointsPaginateAllTaggedPosts) {
    auto c = http();
    auto s = login(c);
    const Hashtag& tag = server_->app().world().hashtags().front();
    ASSERT_GT(tag.recent.size(), 9u);
    // tags/web_info, following recent.next_max_id.
    std::vector<std::string> seen;
    std::string max_id;
    for (int page = 0; page < 200; ++page) {
        auto r = c.get("/api/v1/tags/web_info/?tag_name=" + tag.name + (max_id.empty() ? "" : "&max_id=" + url_encode(max_id)), auth(s));
        ASSERT_EQ(r.status, 200) << r.body;
        const Value v = parse(r.body);
        EXPECT_EQ(str(v, "data.name"), tag.name);
        for (const auto& section : at(v, "data.recent.sections").as_array())
            for (const auto& m : at(section, "layout_content.medias").as_array()) seen.push_back(str(m, "media.pk"));
        if (!at(v, "data.recent.more_available").as_bool()) break;
        max_id = str(v, "data.recent.next_max_id");
    }
    EXPECT_EQ(seen.size(), tag.recent.size());
    EXPECT_EQ(std::set<std::string>(seen.begin(), seen.end()).size(), seen.size());

    // /explore/tags/<tag>/?__a=1, following end_cursor as max_id.
    std::vector<std::string> explored;
    max_id.clear();
    for (int page = 0; page < 200; ++page) {
        auto r = c.get("/explore/tags/" + tag.name + "/?__a=1" + (max_id.empty() ? "" : "&max_id=" + url_encode(max_id)), auth(s));
        ASSERT_EQ(r.status, 200) << r.body;
        const Value media = at(parse(r.body), "graphql.hashtag.edge_hashtag_to_media");
        for (const auto& e : at(media, "edges").as_array()) explored.push_back(str(e, "node.id"));
        if (!at(media, "page_info.has_next_page").as_bool()) break;
        max_id = str(media, "page_info.end_cursor");
    }
    EXPECT_EQ(explored, seen);
}

TEST_F(IgsimTest, LoginOutcomes) {
    auto c = http();
    std::string csrf;
    auto ok = login_request(c, "bot_ok", "pw-ok", csrf);
    ASSERT_EQ(ok.status, 200);
    const Value okv = parse(ok.body);
    EXPECT_TRUE(at(okv, "authenticated").as_bool());
    EXPECT_EQ(str(okv, "status"), "ok");
    EXPECT_EQ(ok.set_cookie("ds_user_id"), str(okv, "userId"));

    auto wrong = login_request(c, "bot_ok", "nope", csrf);
    EXPECT_EQ(wrong.status, 200);
    EXPECT_FALSE(at(parse(wrong.body), "authenticated").as_bool());
    EXPECT_TRUE(wrong.set_cookie("sessionid").empty());

    auto bad = login_request(c, "bot_bad", "pw-bad", csrf);
    EXPECT_FALSE(at(parse(bad.body), "authenticated").as_bool());

    auto cp = login_request(c, "bot_checkpoint", "pw-cp", csrf);
    EXPECT_EQ(cp.status, 400);
    EXPECT_EQ(str(parse(cp.body), "message"), "checkpoint_required");
    EXPECT_TRUE(str(parse(cp.body), "checkpoint_url").starts_with("/challenge/"));

    auto unknown = login_request(c, "who", "x", csrf);
    EXPECT_FALSE(at(parse(unknown.body), "user").as_bool());
}

TEST_F(IgsimTest, TwoFactorWithTotpAtTheFakeClock) {
    auto c = https();
    std::string csrf;
    auto first = login_request(c, "bot_2fa", "pw-2fa", csrf);
    ASSERT_EQ(first.status, 400) << first.body;
    const Value v = parse(first.body);
    EXPECT_TRUE(at(v, "two_factor_required").as_bool());
    const auto identifier = str(v, "two_factor_info.two_factor_identifier");
    ASSERT_FALSE(identifier.empty());

    auto send_code = [&](const std::string& code) {
        return c.request("POST", "/api/v1/web/accounts/login/ajax/two_factor/",
                         {{"Content-Type", "application/x-www-form-urlencoded"},
                          {"X-CSRFToken", csrf},
                          {"Cookie", "csrftoken=" + csrf}},
                         "username=bot_2fa&verificationCode=" + code + "&identifier=" + identifier);
    };
    const auto key = *base32_decode("JBSWY3DPEHPK3PXP");
    const auto good = totp_code(key, 1700000000);
    const auto bad_code = good == "000000" ? std::string("111111") : std::string("000000");
    auto rejected = send_code(bad_code);
    EXPECT_EQ(rejected.status, 400);
    EXPECT_TRUE(rejected.set_cookie("sessionid").empty());
    // A code for far away from the fake clock is refused too.
    EXPECT_EQ(send_code(totp_code(key, 1700000000 + 3600)).status, 400);

    auto accepted = send_code(good);
    ASSERT_EQ(accepted.status, 200) << accepted.body;
    EXPECT_TRUE(at(parse(accepted.body), "authenticated").as_bool());
    const auto sessionid = accepted.set_cookie("sessionid");
    ASSERT_FALSE(sessionid.empty());
    // The session works for reads.
    auto r = c.get("/api/v1/users/web_profile_info/?username=" + public_user().username,
                   {{"Cookie", "sessionid=" + sessionid}, {"X-IG-App-ID", kAppId}});
    EXPECT_EQ(r.status, 200);
}

TEST_F(IgsimTest, LoginWithoutMatchingCsrfIsForbidden) {
    auto c = http();
    auto home = c.get("/");
    const auto csrf = home.set_cookie("csrftoken");
    const std::string form = "username=bot_ok&enc_password=" + url_encode("#PWD_INSTAGRAM_BROWSER:0:1:pw-ok");
    auto mismatch = c.request("POST", "/api/v1/web/accounts/login/ajax/",
                              {{"Content-Type", "application/x-www-form-urlencoded"},
                               {"X-CSRFToken", "other"},
                               {"Cookie", "csrftoken=" + csrf}},
                              form);
    EXPECT_EQ(mismatch.status, 403);
    EXPECT_EQ(str(parse(mismatch.body), "status"), "fail");
    auto missing = c.request("POST", "/api/v1/web/accounts/login/ajax/",
                             {{"Content-Type", "application/x-www-form-urlencoded"}}, form);
    EXPECT_EQ(missing.status, 403);
}

TEST_F(IgsimTest, RateLimitAnswers429WithRetryAfterUntilTheWindowEnds) {
    auto c = http();
    auto s = login(c);
    admin(c, R"({"rate_limit":{"limit":3,"window_seconds":60}})");
    const auto target = "/api/v1/users/web_profile_info/?username=" + public_user().username;
    for (int i = 0; i < 3; ++i) EXPECT_EQ(c.get(target, auth(s)).status, 200) << i;
    auto limited = c.get(target, auth(s));
    EXPECT_EQ(limited.status, 429);
    EXPECT_EQ(limited.header("retry-after"), "60");
    EXPECT_EQ(limited.body, R"({"message": "Please wait a few minutes before you try again.", "status": "fail"})");
    // Another session has its own window.
    auto other = login(c);
    EXPECT_EQ(c.get(target, auth(other)).status, 200);
    // Move the fake clock past the window.
    admin(c, R"({"clock":1700000061})");
    EXPECT_EQ(c.get(target, auth(s)).status, 200);
}

TEST_F(IgsimTest, PleaseWaitForTheNextRequestsThenNormal) {
    auto c = http();
    auto s = login(c);
    admin(c, R"({"please_wait":2})");
    const auto target = "/api/v1/users/web_profile_info/?username=" + public_user().username;
    for (int i = 0; i < 2; ++i) {
        auto r = c.get(target, auth(s));
        EXPECT_EQ(r.status, 400);
        EXPECT_EQ(r.body, R"({"message":"Please wait a few minutes before you try again.","status":"fail"})");
    }
    EXPECT_EQ(c.get(target, auth(s)).status, 200);
}

TEST_F(IgsimTest, FeedbackRequiredForOneAccount) {
    auto c = http();
    auto s = login(c);
    admin(c, R"({"feedback_required":["bot_ok"]})");
    auto r = c.get("/api/v1/users/web_profile_info/?username=" + public_user().username, auth(s));
    EXPECT_EQ(r.status, 400);
    EXPECT_EQ(str(parse(r.body), "message"), "feedback_required");
    EXPECT_EQ(str(parse(r.body), "error_type"), "signup_block");
}

TEST_F(IgsimTest, DroppedConnectionEveryNthRequest) {
    auto c = http();
    admin(c, R"({"drop_every":2,"allow_anonymous":true})");
    // Admin requests are not counted: request 1 is answered, request 2 dropped.
    EXPECT_EQ(c.get("/").status, 200);
    auto dropped = c.get("/");
    EXPECT_FALSE(dropped.ok);
    EXPECT_EQ(dropped.status, 0);
    auto fresh = http();
    EXPECT_EQ(fresh.get("/").status, 200);  // request 3
}

TEST_F(IgsimTest, TruncatedBodyClosesEarly) {
    auto c = http();
    admin(c, R"({"truncate_every":1,"allow_anonymous":true})");
    auto r = c.get("/api/v1/users/web_profile_info/?username=" + public_user().username, {{"X-IG-App-ID", kAppId}});
    EXPECT_FALSE(r.ok);
    EXPECT_TRUE(r.partial) << r.error;
    EXPECT_EQ(r.status, 200);
    EXPECT_LT(r.body.size(), std::stoul(r.header("content-length")));
}

TEST_F(IgsimTest, SlowResponsesUseTheConfiguredDelay) {
    auto c = http();
    admin(c, R"({"delay_ms":150})");
    const auto t0 = std::chrono::steady_clock::now();
    EXPECT_EQ(c.get("/").status, 200);
    EXPECT_GE(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(150));
}

TEST_F(IgsimTest, DelayDoesNotBlockOtherConnections) {
    // One I/O thread: if the delay blocked it, three delayed requests in
    // parallel would take at least 3 x 400 ms; on a timer they overlap.
    auto options = small_world();
    options.threads = 1;
    options.behaviour.delay_ms = 400;
    start(std::move(options));
    std::vector<Client> clients;
    for (int i = 0; i < 3; ++i) clients.push_back(http());
    const auto t0 = std::chrono::steady_clock::now();
    std::vector<std::thread> threads;
    std::vector<int> statuses(3);
    for (int i = 0; i < 3; ++i) threads.emplace_back([&, i] { statuses[i] = clients[i].get("/").status; });
    for (auto& t : threads) t.join();
    const auto elapsed = std::chrono::steady_clock::now() - t0;
    EXPECT_EQ(statuses, (std::vector<int>{200, 200, 200}));
    EXPECT_GE(elapsed, std::chrono::milliseconds(400));
    EXPECT_LT(elapsed, std::chrono::milliseconds(1200));
}

TEST_F(IgsimTest, MediaFilesArePngsWithRangeSupport) {
    auto c = https();
    auto s = login(c);
    const Post& post = server_->app().world().posts()[public_user().posts.front()];
    auto info = c.get("/api/v1/media/" + post.pk + "/info/", auth(s));
    const Value item = at(parse(info.body), "items.0");
    const Value& candidate = at(item, post.kind == MediaKind::carousel ? "carousel_media.0.image_versions2.candidates.0"
                                                                       : "image_versions2.candidates.0");
    const auto target = path_of(str(candidate, "url"));
    auto full = c.get(target);  // media files need no session, like the CDN
    ASSERT_EQ(full.status, 200);
    EXPECT_EQ(full.header("content-type"), "image/png");
    EXPECT_EQ(full.header("accept-ranges"), "bytes");
    ASSERT_GT(full.body.size(), 300u);
    EXPECT_EQ(full.body.substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8));
    // IHDR width/height match the JSON dimensions.
    auto be32 = [&](std::size_t at) {
        return (static_cast<unsigned char>(full.body[at]) << 24) | (static_cast<unsigned char>(full.body[at + 1]) << 16) |
               (static_cast<unsigned char>(full.body[at + 2]) << 8) | static_cast<unsigned char>(full.body[at + 3]);
    };
    EXPECT_EQ(be32(16), at(candidate, "width").as_int());
    EXPECT_EQ(be32(20), at(candidate, "height").as_int());

    auto part = c.get(target, {{"Range", "bytes=100-299"}});
    EXPECT_EQ(part.status, 206);
    EXPECT_EQ(part.header("content-range"), "bytes 100-299/" + std::to_string(full.body.size()));
    EXPECT_EQ(part.body, full.body.substr(100, 200));
    auto tail = c.get(target, {{"Range", "bytes=250-"}});
    EXPECT_EQ(tail.status, 206);
    EXPECT_EQ(tail.body, full.body.substr(250));
    auto beyond = c.get(target, {{"Range", "bytes=" + std::to_string(full.body.size()) + "-"}});
    EXPECT_EQ(beyond.status, 416);
    EXPECT_EQ(c.get("/media/999.png").status, 404);
}

TEST_F(IgsimTest, SameSeedSameBodiesDifferentSeedDifferent) {
    const auto fetch = [&](Server& server) {
        Client c(server.http_port());
        auto s = login(c);
        const User& user = server.app().world().users().front();
        auto headers = auth(s);
        headers["Host"] = "igsim.test";
        return c.get("/api/v1/users/web_profile_info/?username=" + user.username, headers).body +
               c.get("/api/v1/media/" + server.app().world().posts()[3].pk + "/info/", headers).body;
    };
    Server same(small_world(7));
    same.start();
    Server other(small_world(8));
    other.start();
    const auto a = fetch(*server_);
    EXPECT_EQ(a, fetch(same));
    EXPECT_NE(a, fetch(other));
    EXPECT_GT(a.size(), 1000u);
}

TEST_F(IgsimTest, GzipWhenEnabledAndAccepted) {
    auto c = http();
    admin(c, R"({"gzip":true,"allow_anonymous":true})");
    const auto target = "/api/v1/users/web_profile_info/?username=" + public_user().username;
    auto plain = c.get(target, {{"X-IG-App-ID", kAppId}});
    EXPECT_TRUE(plain.header("content-encoding").empty());
    auto zipped = c.get(target, {{"X-IG-App-ID", kAppId}, {"Accept-Encoding", "gzip, deflate"}});
    ASSERT_EQ(zipped.header("content-encoding"), "gzip");
    z_stream zs{};
    ASSERT_EQ(inflateInit2(&zs, 15 + 16), Z_OK);
    std::string out(plain.body.size() + 16, '\0');
    zs.next_in = reinterpret_cast<Bytef*>(zipped.body.data());
    zs.avail_in = static_cast<uInt>(zipped.body.size());
    zs.next_out = reinterpret_cast<Bytef*>(out.data());
    zs.avail_out = static_cast<uInt>(out.size());
    EXPECT_EQ(inflate(&zs, Z_FINISH), Z_STREAM_END);
    out.resize(zs.total_out);
    inflateEnd(&zs);
    EXPECT_EQ(out, plain.body);
}

TEST_F(IgsimTest, StatsCountRequestsPerPathAndSession) {
    auto c = http();
    auto s = login(c);
    c.get("/api/v1/users/web_profile_info/?username=" + public_user().username, auth(s));
    c.get("/api/v1/users/web_profile_info/?username=" + public_user().username, auth(s));
    const Value stats = parse(c.get("/__igsim/stats").body);
    EXPECT_EQ(at(stats, "by_path./api/v1/users/web_profile_info/").as_int(), 2);
    EXPECT_EQ(at(stats, "by_path./").as_int(), 1);
    EXPECT_EQ(at(stats, "total").as_int(), 4);  // GET /, login, 2 profiles
    EXPECT_EQ(c.request("POST", "/__igsim/reset").status, 200);
    EXPECT_EQ(at(parse(c.get("/__igsim/stats").body), "total").as_int(), 0);
}

TEST_F(IgsimTest, BadInputGetsClearErrorsAndTheServerSurvives) {
    auto c = http();
    auto s = login(c);
    auto bad_vars = c.get("/graphql/query/?query_hash=x&variables=%7Bnot-json", auth(s));
    EXPECT_EQ(bad_vars.status, 400);
    EXPECT_EQ(str(parse(bad_vars.body), "status"), "fail");
    auto bad_cursor = c.get("/graphql/query/?query_hash=x&variables=" + url_encode(R"({"id":"1","after":"zzz"})"), auth(s));
    EXPECT_EQ(bad_cursor.status, 400);
    auto bad_config = c.request("POST", "/__igsim/config", {}, R"({"drop_evry":1})");
    EXPECT_EQ(bad_config.status, 400);
    EXPECT_NE(bad_config.body.find("drop_evry"), std::string::npos);

    Client raw(server_->http_port());
    auto garbage = raw.raw("THIS IS NOT HTTP\r\n\r\n");
    EXPECT_EQ(garbage.status, 400);
    EXPECT_EQ(http().get("/").status, 200);
}

}  // namespace
}  // namespace igsim
