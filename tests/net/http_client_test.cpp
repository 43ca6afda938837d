// HttpClient against real loopback servers (support/test_servers.hpp):
// TLS verification, keep-alive, redirects, decoding, limits, timeouts,
// retries, proxies and cookies. No test sleeps: retry waits go through the
// injected sleep function, which records them.
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <mutex>
#include <thread>

#include "net/cookie_jar.hpp"
#include "net/http_client.hpp"
#include "support/test_servers.hpp"

namespace gramkit::net {
namespace {

using namespace std::chrono_literals;
using testing::OriginServer;
using testing::ReceivedRequest;
using testing::ScriptedReply;
using Action = ScriptedReply::Action;

ScriptedReply ok(std::string body, Headers headers = {}) {
    ScriptedReply r;
    r.body = std::move(body);
    r.headers = std::move(headers);
    return r;
}
ScriptedReply status(int code, Headers headers = {}) {
    ScriptedReply r;
    r.status = code;
    r.headers = std::move(headers);
    return r;
}
ScriptedReply action(Action a, std::string body = {}) {
    ScriptedReply r;
    r.action = a;
    r.body = std::move(body);
    return r;
}

class HttpClientTest : public ::testing::Test {
protected:
    static testing::TestCertificate& certificate() {
        static testing::TestCertificate cert("DNS:localhost");
        return cert;
    }

    // Short timeouts so failure tests finish fast; retry waits recorded.
    ClientOptions options() {
        ClientOptions o;
        o.ca_file = certificate().ca_file();
        o.timeouts = Timeouts{2s, 2s, 2s, 2s, 10s};
        o.sleep = [this](std::chrono::milliseconds d) {
            std::lock_guard lock(mutex_);
            delays_.push_back(d);
        };
        o.random = [] { return 0.5; };
        o.retry.base_delay = 100ms;
        return o;
    }
    std::unique_ptr<HttpClient> client(ClientOptions o) {
        auto c = HttpClient::create(std::move(o));
        EXPECT_TRUE(c) << c.error().message;
        return std::move(*c);
    }
    std::unique_ptr<HttpClient> client() { return client(options()); }
    std::vector<std::chrono::milliseconds> delays() {
        std::lock_guard lock(mutex_);
        return delays_;
    }
    static HttpRequest get(std::string url) {
        HttpRequest r;
        r.url = std::move(url);
        return r;
    }

    std::mutex mutex_;
    std::vector<std::chrono::milliseconds> delays_;
};

// ---- basics, TLS ---------------------------------------------------------------

TEST_F(HttpClientTest, PlainGetSendsDefaultHeaders) {
    OriginServer server([](const ReceivedRequest&) { return ok("hello", {{"X-Multi", "1"}, {"x-multi", "2"}}); });
    auto response = client()->send(get(server.url("/path?q=1")));
    ASSERT_TRUE(response) << response.error().message;
    EXPECT_EQ(response->status, 200);
    EXPECT_EQ(response->body, "hello");
    EXPECT_EQ(response->attempts, 1);
    EXPECT_EQ(response->redirects, 0);
    EXPECT_EQ(response->final_url, server.url("/path?q=1"));
    EXPECT_EQ(response->header("x-MULTI"), "1");
    EXPECT_EQ(response->header_values("X-Multi").size(), 2u);
    auto seen = server.requests();
    ASSERT_EQ(seen.size(), 1u);
    EXPECT_EQ(seen[0].target, "/path?q=1");
    EXPECT_EQ(seen[0].header("Host"), "127.0.0.1:" + std::to_string(server.port()));
    EXPECT_EQ(seen[0].header("User-Agent"), "gramkit/0.1");
    EXPECT_EQ(seen[0].header("Accept-Encoding"), "gzip, deflate");
}

TEST_F(HttpClientTest, HttpsWithTrustedCertificate) {
    OriginServer server([](const ReceivedRequest& r) { return ok("secure " + r.method); }, &certificate());
    auto response = client()->send(get(server.url("/", "localhost")));
    ASSERT_TRUE(response) << response.error().message;
    EXPECT_EQ(response->body, "secure GET");
    EXPECT_EQ(server.server_names(), std::vector<std::string>{"localhost"}) << "SNI";
}

TEST_F(HttpClientTest, HttpsFailsWithoutTheCaFile) {
    OriginServer server([](const ReceivedRequest&) { return ok("never"); }, &certificate());
    auto o = options();
    o.ca_file.reset();  // the system store does not know our self-signed certificate
    auto response = client(o)->send(get(server.url("/", "localhost")));
    ASSERT_FALSE(response);
    EXPECT_EQ(response.error().code, ErrorCode::unavailable);
    EXPECT_NE(response.error().message.find("certificate verification failed for host localhost"), std::string::npos)
        << response.error().message;
    EXPECT_TRUE(server.requests().empty());
    EXPECT_EQ(delays().size(), 0u) << "verification failures are not retried";
}

TEST_F(HttpClientTest, HttpsFailsOnHostnameMismatch) {
    OriginServer server([](const ReceivedRequest&) { return ok("never"); }, &certificate());
    auto response = client()->send(get(server.url("/", "127.0.0.1")));  // certificate names only localhost
    ASSERT_FALSE(response);
    EXPECT_EQ(response.error().code, ErrorCode::unavailable);
    EXPECT_NE(response.error().message.find("certificate verification failed for host 127.0.0.1"), std::string::npos)
        << response.error().message;
    EXPECT_TRUE(server.requests().empty());
}

TEST_F(HttpClientTest, ShorthandNumericHostsAreRejectedBeforeConnecting) {
    auto c = client();
    for (const char* url : {"https://127.1/", "https://2130706433/", "https://1.2.3/", "https://0x7f.0.0.1/"}) {
        auto response = c->send(get(url));
        ASSERT_FALSE(response) << url;
        EXPECT_EQ(response.error().code, ErrorCode::invalid_argument) << url;
    }
    EXPECT_TRUE(delays().empty());
}

TEST_F(HttpClientTest, UnreadableCaFileIsAnInvalidOption) {
    auto o = options();
    o.ca_file = "/nonexistent/ca.pem";
    auto c = HttpClient::create(o);
    ASSERT_FALSE(c);
    EXPECT_EQ(c.error().code, ErrorCode::invalid_argument);
}

TEST_F(HttpClientTest, InvalidRequestsAreRejectedBeforeConnecting) {
    auto c = client();
    auto bad_url = c->send(get("ftp://example.com/"));
    ASSERT_FALSE(bad_url);
    EXPECT_EQ(bad_url.error().code, ErrorCode::invalid_argument);
    HttpRequest bad_method = get("http://127.0.0.1:1/");
    bad_method.method = "GE T";
    EXPECT_EQ(c->send(bad_method).error().code, ErrorCode::invalid_argument);
    HttpRequest injected = get("http://127.0.0.1:1/");
    injected.headers = {{"X-Note", "a\r\nX-Evil: 1"}};
    auto rejected = c->send(injected);
    ASSERT_FALSE(rejected);
    EXPECT_EQ(rejected.error().code, ErrorCode::invalid_argument);
    EXPECT_EQ(rejected.error().details, "headers");
    injected.headers = {{"Bad Name", "x"}};
    EXPECT_EQ(c->send(injected).error().code, ErrorCode::invalid_argument);
    EXPECT_TRUE(delays().empty()) << "nothing was attempted";
}

// ---- keep-alive ------------------------------------------------------------------

TEST_F(HttpClientTest, KeepAliveReusesOneConnection) {
    OriginServer server([](const ReceivedRequest&) { return ok("x"); });
    auto c = client();
    for (int i = 0; i < 3; ++i) ASSERT_TRUE(c->send(get(server.url("/n"))));
    EXPECT_EQ(server.connections_accepted(), 1);
    EXPECT_EQ(c->idle_connections(), 1u);
    auto seen = server.requests();
    ASSERT_EQ(seen.size(), 3u);
    EXPECT_EQ(seen[2].connection, 1);
}

TEST_F(HttpClientTest, KeepAliveOverTls) {
    OriginServer server([](const ReceivedRequest&) { return ok("x"); }, &certificate());
    auto c = client();
    for (int i = 0; i < 3; ++i) ASSERT_TRUE(c->send(get(server.url("/n", "localhost"))));
    EXPECT_EQ(server.connections_accepted(), 1);
}

// A server that sends a second, unasked-for response right after the first
// must not have it read as the answer to the next request. Over TLS the
// extra bytes are invisible to poll(): Asio read both records from the
// socket at once and parked the second in OpenSSL's read BIO (two records,
// corked into one segment), or Beast's buffer holds it (one record).
TEST_F(HttpClientTest, ExtraResponseOverTlsIsNeverReadAsTheNextAnswer) {
    const std::string first = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nfirst";
    const std::string evil = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nEVIL!";
    for (bool separate_records : {true, false}) {
        OriginServer server([&](const ReceivedRequest& r) {
            if (r.target != "/first") return ok("fresh " + r.target);
            ScriptedReply reply;
            reply.action = Action::raw_parts_keep_open;
            if (separate_records) reply.raw_parts = {first, evil};
            else reply.raw_parts = {first + evil};
            return reply;
        }, &certificate());
        auto c = client();
        auto one = c->send(get(server.url("/first", "localhost")));
        ASSERT_TRUE(one) << one.error().message;
        EXPECT_EQ(one->body, "first");
        auto two = c->send(get(server.url("/second", "localhost")));
        ASSERT_TRUE(two) << two.error().message;
        EXPECT_EQ(two->body, "fresh /second") << (separate_records ? "two TLS records" : "one TLS record");
        EXPECT_EQ(server.connections_accepted(), 2) << "the connection with unread bytes was not reused";
    }
}

TEST_F(HttpClientTest, ExtraResponseOverPlainHttpIsNeverReadAsTheNextAnswer) {
    OriginServer server([](const ReceivedRequest& r) {
        if (r.target != "/first") return ok("fresh");
        ScriptedReply reply;
        reply.action = Action::raw_parts_keep_open;
        reply.raw_parts = {"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nfirst",
                           "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nEVIL!"};
        return reply;
    });
    auto c = client();
    ASSERT_TRUE(c->send(get(server.url("/first"))));
    auto two = c->send(get(server.url("/second")));
    ASSERT_TRUE(two) << two.error().message;
    EXPECT_EQ(two->body, "fresh");
}

TEST_F(HttpClientTest, IdleTimeoutRetiresPooledConnections) {
    OriginServer first([](const ReceivedRequest&) { return ok("x"); });
    OriginServer second([](const ReceivedRequest&) { return ok("y"); });
    auto o = options();
    o.pool.idle_timeout = 0ms;  // every idle connection is already too old
    auto c = client(o);
    ASSERT_TRUE(c->send(get(first.url("/"))));
    ASSERT_TRUE(c->send(get(first.url("/"))));
    EXPECT_EQ(first.connections_accepted(), 2) << "an expired connection is not reused";
    ASSERT_TRUE(c->send(get(second.url("/"))));
    EXPECT_EQ(c->idle_connections(), 1u) << "the other key's expired connection was swept";
}

TEST_F(HttpClientTest, ConnectionCloseIsNotPooled) {
    OriginServer server([](const ReceivedRequest&) {
        auto r = ok("x");
        r.close_after = true;
        return r;
    });
    auto c = client();
    ASSERT_TRUE(c->send(get(server.url("/"))));
    ASSERT_TRUE(c->send(get(server.url("/"))));
    EXPECT_EQ(server.connections_accepted(), 2);
    EXPECT_EQ(c->idle_connections(), 0u);
}

TEST_F(HttpClientTest, ConnectionClosedByServerWhileIdleIsReplacedEvenForPost) {
    // The server promises keep-alive, then closes right after answering: the
    // pooled connection is dead before the next request is written.
    OriginServer liar([](const ReceivedRequest&) { return action(Action::raw, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"); });
    auto c = client();
    ASSERT_TRUE(c->send(get(liar.url("/"))));
    HttpRequest post = get(liar.url("/"));
    post.method = "POST";
    post.body = "payload";
    auto second = c->send(post);
    ASSERT_TRUE(second) << second.error().message;
    EXPECT_EQ(second->body, "ok");
    EXPECT_EQ(liar.connections_accepted(), 2);
    EXPECT_EQ(liar.requests().size(), 2u) << "the POST reached the server exactly once";
}

// io_threads > 1 raced (no strand): the engine always runs one I/O thread.
TEST_F(HttpClientTest, IoThreadsIsClampedToOne) {
    auto threads_now = [] {
        return std::distance(std::filesystem::directory_iterator("/proc/self/task"), std::filesystem::directory_iterator{});
    };
    const auto before = threads_now();
    auto o = options();
    o.io_threads = 8;
    auto c = client(o);
    EXPECT_EQ(threads_now() - before, 1);
    OriginServer server([](const ReceivedRequest&) { return ok("x"); });
    EXPECT_TRUE(c->send(get(server.url("/"))));
}

TEST_F(HttpClientTest, ConcurrentSendsShareThePool) {
    OriginServer server([](const ReceivedRequest& r) { return ok(r.target); });
    auto c = client();
    std::atomic<int> good{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t)
        threads.emplace_back([&, t] {
            for (int i = 0; i < 10; ++i) {
                const std::string path = "/t" + std::to_string(t) + "/" + std::to_string(i);
                auto r = c->send(get(server.url(path)));
                if (r && r->body == path) ++good;
            }
        });
    for (auto& t : threads) t.join();
    EXPECT_EQ(good.load(), 40);
    EXPECT_LE(server.connections_accepted(), 4);
    EXPECT_LE(c->idle_connections(), 4u);
}

// ---- redirects -----------------------------------------------------------------------

TEST_F(HttpClientTest, FollowsRedirectsAndChangesMethodLikeBrowsers) {
    OriginServer server([](const ReceivedRequest& r) {
        if (r.target == "/see-other") return status(303, {{"Location", "/landing"}});
        if (r.target == "/temporary") return status(307, {{"Location", "landing?kept=1"}});
        return ok(r.method + " " + r.target + " body=" + r.body);
    });
    auto c = client();
    HttpRequest post = get(server.url("/see-other"));
    post.method = "POST";
    post.body = "form=1";
    post.headers = {{"Content-Type", "application/x-www-form-urlencoded"}};
    auto r303 = c->send(post);
    ASSERT_TRUE(r303) << r303.error().message;
    EXPECT_EQ(r303->body, "GET /landing body=");
    EXPECT_EQ(r303->redirects, 1);
    EXPECT_EQ(r303->final_url, server.url("/landing"));
    EXPECT_FALSE(server.requests().back().header("Content-Type"));

    post.url = server.url("/temporary");
    auto r307 = c->send(post);
    ASSERT_TRUE(r307) << r307.error().message;
    EXPECT_EQ(r307->body, "POST /landing?kept=1 body=form=1");
}

TEST_F(HttpClientTest, RedirectLimit) {
    OriginServer server([](const ReceivedRequest&) { return status(302, {{"Location", "/again"}}); });
    auto o = options();
    o.max_redirects = 2;
    auto response = client(o)->send(get(server.url("/start")));
    ASSERT_FALSE(response);
    EXPECT_EQ(response.error().code, ErrorCode::upstream_error);
    EXPECT_NE(response.error().message.find("too many redirects"), std::string::npos);
    EXPECT_EQ(server.requests().size(), 3u);
}

TEST_F(HttpClientTest, NeverFollowsHttpsToHttp) {
    OriginServer plain([](const ReceivedRequest&) { return ok("downgraded"); });
    OriginServer secure([&](const ReceivedRequest&) { return status(301, {{"Location", plain.url("/")}}); }, &certificate());
    auto response = client()->send(get(secure.url("/", "localhost")));
    ASSERT_FALSE(response);
    EXPECT_EQ(response.error().code, ErrorCode::upstream_error);
    EXPECT_NE(response.error().message.find("plain http"), std::string::npos);
    EXPECT_TRUE(plain.requests().empty());
}

TEST_F(HttpClientTest, CrossOriginRedirectDropsCallerCredentials) {
    OriginServer other([](const ReceivedRequest& r) { return ok(r.header("Authorization").value_or("<none>")); });
    OriginServer first([&](const ReceivedRequest& r) {
        if (r.target == "/same") return status(302, {{"Location", "/echo"}});
        if (r.target == "/echo") return ok(r.header("Authorization").value_or("<none>"));
        return status(302, {{"Location", other.url("/")}});
    });
    auto c = client();
    HttpRequest request = get(first.url("/same"));
    request.headers = {{"Authorization", "Bearer t0ken"}};
    auto same = c->send(request);
    ASSERT_TRUE(same);
    EXPECT_EQ(same->body, "Bearer t0ken");
    request.url = first.url("/elsewhere");
    auto cross = c->send(request);
    ASSERT_TRUE(cross) << cross.error().message;
    EXPECT_EQ(cross->body, "<none>");
}

TEST_F(HttpClientTest, FollowRedirectsFalseReturnsThe3xx) {
    OriginServer server([](const ReceivedRequest& r) {
        if (r.target == "/moved") return status(302, {{"Location", "/target"}});
        return ok("followed");
    });
    HttpRequest request = get(server.url("/moved"));
    request.follow_redirects = false;
    auto response = client()->send(request);
    ASSERT_TRUE(response) << response.error().message;
    EXPECT_EQ(response->status, 302);
    EXPECT_EQ(response->header("Location"), "/target");
    EXPECT_EQ(response->redirects, 0);
    EXPECT_EQ(response->final_url, server.url("/moved"));
    EXPECT_EQ(server.requests().size(), 1u);
    request.follow_redirects = true;  // the default
    auto followed = client()->send(request);
    ASSERT_TRUE(followed);
    EXPECT_EQ(followed->body, "followed");
}

TEST_F(HttpClientTest, CrossOrigin307And308DoNotReplayTheBody) {
    OriginServer other([](const ReceivedRequest& r) { return ok("other got " + r.body); });
    OriginServer first([&](const ReceivedRequest& r) {
        if (r.target == "/307") return status(307, {{"Location", other.url("/sink")}});
        if (r.target == "/308") return status(308, {{"Location", other.url("/sink")}});
        if (r.target == "/same") return status(307, {{"Location", "/here"}});
        return ok("same origin got " + r.body);
    });
    auto c = client();
    for (const char* path : {"/307", "/308"}) {
        HttpRequest post = get(first.url(path));
        post.method = "POST";
        post.body = "password=hunter2";
        post.headers = {{"Content-Type", "application/x-www-form-urlencoded"}};
        auto response = c->send(post);
        ASSERT_TRUE(response) << response.error().message;
        EXPECT_EQ(response->status, std::string_view(path) == "/307" ? 307 : 308);
        EXPECT_EQ(response->header("Location"), other.url("/sink"));
        EXPECT_EQ(response->redirects, 0);
    }
    EXPECT_TRUE(other.requests().empty()) << "the body never went to another origin";

    HttpRequest same = get(first.url("/same"));
    same.method = "POST";
    same.body = "b=1";
    auto followed = c->send(same);
    ASSERT_TRUE(followed);
    EXPECT_EQ(followed->body, "same origin got b=1") << "same-origin 307 still repeats the body";
}

TEST_F(HttpClientTest, CrossOriginRedirectKeepsOnlySafeHeaders) {
    OriginServer other([](const ReceivedRequest&) { return ok("landed"); });
    OriginServer first([&](const ReceivedRequest& r) {
        if (r.target == "/form") return status(303, {{"Location", other.url("/after-post")}});
        return status(302, {{"Location", other.url("/elsewhere")}});
    });
    const Headers sent = {{"Authorization", "Bearer t0ken"},  {"Proxy-Authorization", "Basic cHc="},
                          {"Cookie", "sessionid=s"},           {"X-CSRFToken", "csrf"},
                          {"X-IG-App-ID", "936619743392459"},  {"X-IG-WWW-Claim", "hmac.claim"},
                          {"X-Custom", "private"},             {"Host", "spoofed.example"},
                          {"Accept", "application/json"},      {"Accept-Language", "en-US"},
                          {"User-Agent", "custom-agent/1"},    {"Content-Type", "text/plain"}};
    auto c = client();
    HttpRequest request = get(first.url("/go"));
    request.headers = sent;
    ASSERT_TRUE(c->send(request));
    request.url = first.url("/form");
    request.method = "POST";
    request.body = "x=1";
    ASSERT_TRUE(c->send(request));  // 303: becomes a GET without body

    auto seen = other.requests();
    ASSERT_EQ(seen.size(), 2u);
    for (const auto& r : seen) {
        Headers expected = {{"Accept", "application/json"},
                            {"Accept-Language", "en-US"},
                            {"User-Agent", "custom-agent/1"},
                            {"Host", "127.0.0.1:" + std::to_string(other.port())},
                            {"Accept-Encoding", "gzip, deflate"}};
        Headers got;
        for (const auto& h : r.headers)
            if (!iequals(h.first, "Content-Length")) got.push_back(h);
        EXPECT_EQ(got, expected) << r.target;
        EXPECT_EQ(r.method, "GET");
        EXPECT_EQ(r.body, "");
    }
    // Same-origin hops keep everything.
    EXPECT_EQ(first.requests().back().header("X-CSRFToken"), "csrf");
}

// ---- bodies and limits --------------------------------------------------------------------

TEST_F(HttpClientTest, DecodesGzipAndDeflateBodies) {
    const std::string text = "{\"data\": \"" + std::string(5000, 'a') + "\"}";
    OriginServer server([&](const ReceivedRequest& r) {
        if (r.target == "/gzip") return ok(testing::compress(text, testing::Compression::gzip), {{"Content-Encoding", "gzip"}});
        return ok(testing::compress(text, testing::Compression::zlib), {{"Content-Encoding", "deflate"}});
    });
    auto c = client();
    auto gz = c->send(get(server.url("/gzip")));
    ASSERT_TRUE(gz) << gz.error().message;
    EXPECT_EQ(gz->body, text);
    auto deflated = c->send(get(server.url("/deflate")));
    ASSERT_TRUE(deflated) << deflated.error().message;
    EXPECT_EQ(deflated->body, text);
}

TEST_F(HttpClientTest, EmptyEncodedBodiesAreNotDecoded) {
    OriginServer server([](const ReceivedRequest& r) {
        if (r.target == "/429") return status(429, {{"Content-Encoding", "gzip"}});
        if (r.target == "/204") return status(204, {{"Content-Encoding", "gzip"}});
        if (r.target == "/304") return status(304, {{"Content-Encoding", "deflate"}});
        return ok("", {{"Content-Encoding", "gzip"}});
    });
    auto o = options();
    o.retry.retry_on_429 = false;
    auto c = client(o);
    for (auto [path, code] : {std::pair{"/429", 429}, {"/204", 204}, {"/304", 304}, {"/200", 200}}) {
        auto response = c->send(get(server.url(path)));
        ASSERT_TRUE(response) << path << ": " << response.error().message;
        EXPECT_EQ(response->status, code);
        EXPECT_EQ(response->body, "");
    }
}

// Beast 1.74 applies neither header_limit nor body_limit to chunk-size
// lines or trailers: only the bounded read buffer stops these.
TEST_F(HttpClientTest, EndlessChunkExtensionOrTrailerHitsTheBufferLimit) {
    for (const char* head : {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1;x=",
                             "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX-Trailer: "}) {
        OriginServer server([&](const ReceivedRequest&) {
            ScriptedReply reply;
            reply.action = Action::endless;
            reply.body = head;
            reply.repeat = std::string(16384, 'a');
            return reply;
        });
        auto o = options();
        o.max_header_bytes = 4096;
        auto response = client(o)->send(get(server.url("/")));
        ASSERT_FALSE(response);
        EXPECT_EQ(response.error().code, ErrorCode::upstream_error) << response.error().message;
        EXPECT_NE(response.error().message.find("read buffer limit (max_header_bytes + 64 KiB = 69632 bytes)"),
                  std::string::npos)
            << response.error().message;
        EXPECT_EQ(server.requests().size(), 1u) << "not retried";
    }
}

TEST_F(HttpClientTest, SizeLimitsNameTheLimit) {
    OriginServer server([](const ReceivedRequest& r) {
        if (r.target == "/big-header") return ok("x", {{"X-Huge", std::string(4000, 'h')}});
        if (r.target == "/bomb")
            return ok(testing::compress(std::string(100000, 'b'), testing::Compression::gzip), {{"Content-Encoding", "gzip"}});
        return ok(std::string(5000, 'x'));
    });
    auto o = options();
    o.max_response_bytes = 2000;
    o.max_header_bytes = 1024;
    o.max_request_bytes = 10;
    auto c = client(o);
    auto big = c->send(get(server.url("/big")));
    ASSERT_FALSE(big);
    EXPECT_EQ(big.error().code, ErrorCode::upstream_error);
    EXPECT_NE(big.error().message.find("max_response_bytes (2000)"), std::string::npos) << big.error().message;
    auto header = c->send(get(server.url("/big-header")));
    ASSERT_FALSE(header);
    EXPECT_NE(header.error().message.find("max_header_bytes (1024)"), std::string::npos) << header.error().message;
    auto bomb = c->send(get(server.url("/bomb")));
    ASSERT_FALSE(bomb);
    EXPECT_NE(bomb.error().message.find("max_response_bytes"), std::string::npos) << bomb.error().message;
    HttpRequest upload = get(server.url("/upload"));
    upload.method = "POST";
    upload.body = std::string(11, 'u');
    auto too_big = c->send(upload);
    ASSERT_FALSE(too_big);
    EXPECT_EQ(too_big.error().code, ErrorCode::invalid_argument);
    EXPECT_NE(too_big.error().message.find("max_request_bytes (10)"), std::string::npos);
}

TEST_F(HttpClientTest, InterimResponsesAreSkipped) {
    OriginServer server([](const ReceivedRequest&) {
        return action(Action::raw,
                      "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a.css>\r\n\r\n"
                      "HTTP/1.1 201 Created\r\nContent-Length: 4\r\nConnection: close\r\n\r\ndone");
    });
    HttpRequest post = get(server.url("/"));
    post.method = "POST";
    post.body = "x";
    auto response = client()->send(post);
    ASSERT_TRUE(response) << response.error().message;
    EXPECT_EQ(response->status, 201);
    EXPECT_EQ(response->body, "done");
}

TEST_F(HttpClientTest, MalformedResponseIsAnUpstreamError) {
    OriginServer server([](const ReceivedRequest&) { return action(Action::raw, "SPDY/9 what\r\n\r\n"); });
    auto response = client()->send(get(server.url("/")));
    ASSERT_FALSE(response);
    EXPECT_EQ(response.error().code, ErrorCode::upstream_error);
    EXPECT_NE(response.error().message.find("malformed HTTP response from 127.0.0.1:"), std::string::npos)
        << response.error().message;
}

// ---- timeouts ------------------------------------------------------------------------------

TEST_F(HttpClientTest, HeaderTimeoutIsNamed) {
    OriginServer server([](const ReceivedRequest&) { return action(Action::never_answer); });
    HttpRequest request = get(server.url("/slow?token=SECRET"));
    request.timeouts = Timeouts{2s, 2s, 150ms, 2s, 10s};
    auto response = client()->send(request);
    ASSERT_FALSE(response);
    EXPECT_EQ(response.error().code, ErrorCode::timeout);
    EXPECT_NE(response.error().message.find("header timeout (150 ms)"), std::string::npos) << response.error().message;
    EXPECT_EQ(response.error().message.find("SECRET"), std::string::npos);
    EXPECT_EQ(server.requests().size(), 1u) << "a slow server is not asked again";
}

TEST_F(HttpClientTest, TotalTimeoutIsNamedWhenItBinds) {
    OriginServer server([](const ReceivedRequest&) { return action(Action::never_answer); });
    HttpRequest request = get(server.url("/slow"));
    request.timeouts = Timeouts{2s, 2s, 5s, 5s, 200ms};
    auto response = client()->send(request);
    ASSERT_FALSE(response);
    EXPECT_EQ(response.error().code, ErrorCode::timeout);
    EXPECT_NE(response.error().message.find("total timeout (200 ms)"), std::string::npos) << response.error().message;
}

// ---- retries -------------------------------------------------------------------------------

TEST_F(HttpClientTest, RetriesIdempotentRequestsHonouringRetryAfter) {
    auto clock = std::make_shared<ManualClock>(from_micros(784111777LL * 1'000'000));  // Sun, 06 Nov 1994 08:49:37 GMT
    int calls = 0;
    OriginServer server([&](const ReceivedRequest&) {
        ++calls;
        if (calls == 1) return status(503, {{"Retry-After", "2"}});
        if (calls == 2) return status(429, {{"Retry-After", "Sun, 06 Nov 1994 08:49:40 GMT"}});
        return ok("finally");
    });
    auto o = options();
    o.clock = clock;
    o.retry.max_attempts = 3;
    auto response = client(o)->send(get(server.url("/")));
    ASSERT_TRUE(response) << response.error().message;
    EXPECT_EQ(response->body, "finally");
    EXPECT_EQ(response->attempts, 3);
    EXPECT_EQ(delays(), (std::vector<std::chrono::milliseconds>{2000ms, 3000ms}));
}

TEST_F(HttpClientTest, BackoffWithJitterWithoutRetryAfterAndLastResponseReturned) {
    OriginServer server([](const ReceivedRequest&) { return status(502); });
    auto response = client()->send(get(server.url("/")));
    ASSERT_TRUE(response) << response.error().message;
    EXPECT_EQ(response->status, 502);
    EXPECT_EQ(response->attempts, 3);
    // random() = 0.5: half of base·2^(n-1) with base 100 ms.
    EXPECT_EQ(delays(), (std::vector<std::chrono::milliseconds>{50ms, 100ms}));
}

TEST_F(HttpClientTest, RetryAfterBeyondTheCapIsLeftToTheCaller) {
    OriginServer server([](const ReceivedRequest&) { return status(429, {{"Retry-After", "3600"}}); });
    auto response = client()->send(get(server.url("/")));
    ASSERT_TRUE(response);
    EXPECT_EQ(response->status, 429);
    EXPECT_EQ(response->attempts, 1);
    EXPECT_TRUE(delays().empty());
}

TEST_F(HttpClientTest, NoRetryWhenTheWaitWouldOutlastTheTotalTimeout) {
    OriginServer server([](const ReceivedRequest&) { return status(503, {{"Retry-After", "5"}}); });
    HttpRequest request = get(server.url("/"));
    request.timeouts = Timeouts{2s, 2s, 2s, 2s, 1s};
    auto response = client()->send(request);
    ASSERT_TRUE(response);
    EXPECT_EQ(response->status, 503);
    EXPECT_EQ(response->attempts, 1);
    EXPECT_TRUE(delays().empty());
}

TEST_F(HttpClientTest, IdempotentOverrideAllowsRetryingAPost) {
    int calls = 0;
    OriginServer server([&](const ReceivedRequest&) { return ++calls == 1 ? status(503) : ok("read-only query"); });
    HttpRequest request = get(server.url("/graphql"));
    request.method = "POST";
    request.body = "{}";
    request.idempotent = true;
    auto response = client()->send(request);
    ASSERT_TRUE(response);
    EXPECT_EQ(response->body, "read-only query");
    EXPECT_EQ(response->attempts, 2);
    ASSERT_EQ(server.requests().size(), 2u);
    EXPECT_EQ(server.requests()[1].body, "{}");
}

TEST_F(HttpClientTest, RetryOn429CanBeTurnedOff) {
    OriginServer server([](const ReceivedRequest& r) { return r.target == "/busy" ? status(429) : status(503); });
    auto o = options();
    o.retry.retry_on_429 = false;
    auto c = client(o);
    auto busy = c->send(get(server.url("/busy")));
    ASSERT_TRUE(busy);
    EXPECT_EQ(busy->status, 429);
    EXPECT_EQ(busy->attempts, 1);
    auto down = c->send(get(server.url("/down")));
    ASSERT_TRUE(down);
    EXPECT_EQ(down->attempts, 3) << "5xx still retried";
}

TEST_F(HttpClientTest, PostIsNotRetriedAfterItWasSent) {
    OriginServer unavailable([](const ReceivedRequest&) { return status(503, {{"Retry-After", "1"}}); });
    OriginServer hangs_up([](const ReceivedRequest&) { return action(Action::close); });
    auto c = client();
    HttpRequest post = get(unavailable.url("/"));
    post.method = "POST";
    post.body = "once";
    auto r = c->send(post);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 503);
    EXPECT_EQ(unavailable.requests().size(), 1u);

    post.url = hangs_up.url("/");
    auto broken = c->send(post);
    ASSERT_FALSE(broken);
    EXPECT_EQ(broken.error().code, ErrorCode::unavailable);
    EXPECT_EQ(hangs_up.requests().size(), 1u);
    EXPECT_TRUE(delays().empty());

    // The same failure for a GET is retried.
    auto get_broken = c->send(get(hangs_up.url("/")));
    ASSERT_FALSE(get_broken);
    EXPECT_EQ(hangs_up.requests().size(), 4u);
    EXPECT_EQ(delays().size(), 2u);
}

TEST_F(HttpClientTest, ConnectionRefusedIsUnavailableAndRetried) {
    std::uint16_t port;
    {
        OriginServer gone([](const ReceivedRequest&) { return ok(""); });
        port = gone.port();
    }
    HttpRequest post = get("http://127.0.0.1:" + std::to_string(port) + "/x?secret=1");
    post.method = "POST";  // nothing was sent: even a POST may be retried
    auto response = client()->send(post);
    ASSERT_FALSE(response);
    EXPECT_EQ(response.error().code, ErrorCode::unavailable);
    EXPECT_NE(response.error().message.find("127.0.0.1:" + std::to_string(port)), std::string::npos);
    EXPECT_EQ(response.error().message.find("secret"), std::string::npos);
    EXPECT_EQ(delays().size(), 2u);
}

// ---- proxies ---------------------------------------------------------------------------

TEST_F(HttpClientTest, HttpConnectProxyWithBasicAuth) {
    OriginServer origin([](const ReceivedRequest& r) { return ok("via proxy " + r.target); }, &certificate());
    testing::ConnectProxy proxy("proxyuser", "s3cr3t-pass");
    HttpRequest request = get(origin.url("/p", "localhost"));
    request.proxy = ProxyConfig{ProxyConfig::http, "127.0.0.1", proxy.port(), "proxyuser", "s3cr3t-pass"};
    auto c = client();
    auto response = c->send(request);
    ASSERT_TRUE(response) << response.error().message;
    EXPECT_EQ(response->body, "via proxy /p");
    ASSERT_EQ(proxy.targets().size(), 1u);
    EXPECT_EQ(proxy.targets()[0], "localhost:" + std::to_string(origin.port()));
    ASSERT_TRUE(c->send(request));
    EXPECT_EQ(proxy.tunnels_opened(), 1) << "the tunnel is pooled like any connection";

    request.proxy->password = "wrong-pass";
    auto denied = c->send(request);
    ASSERT_FALSE(denied);
    EXPECT_EQ(denied.error().code, ErrorCode::permission_denied);
    EXPECT_NE(denied.error().message.find("proxy 127.0.0.1:" + std::to_string(proxy.port()) +
                                          " rejected the credentials (HTTP 407)"),
              std::string::npos)
        << denied.error().message;
    EXPECT_EQ(denied.error().message.find("wrong-pass"), std::string::npos);
    EXPECT_TRUE(delays().empty()) << "a refusal is not retried";
}

TEST_F(HttpClientTest, PlainHttpThroughConnectProxy) {
    OriginServer origin([](const ReceivedRequest&) { return ok("plain via proxy"); });
    testing::ConnectProxy proxy("", "");
    HttpRequest request = get(origin.url("/"));
    request.proxy = ProxyConfig{ProxyConfig::http, "127.0.0.1", proxy.port(), "", ""};
    auto response = client()->send(request);
    ASSERT_TRUE(response) << response.error().message;
    EXPECT_EQ(response->body, "plain via proxy");
}

TEST_F(HttpClientTest, ProxyThatCannotReachTheTargetIsUnavailableAndNotRetried) {
    std::uint16_t closed_port;
    {
        OriginServer gone([](const ReceivedRequest&) { return ok(""); });
        closed_port = gone.port();
    }
    testing::ConnectProxy proxy("", "");
    HttpRequest request = get("http://127.0.0.1:" + std::to_string(closed_port) + "/");
    request.proxy = ProxyConfig{ProxyConfig::http, "127.0.0.1", proxy.port(), "", ""};
    auto response = client()->send(request);
    ASSERT_FALSE(response);
    EXPECT_EQ(response.error().code, ErrorCode::unavailable);
    EXPECT_NE(response.error().message.find("HTTP 502"), std::string::npos) << response.error().message;
    EXPECT_EQ(proxy.targets().size(), 1u);
    EXPECT_TRUE(delays().empty());
}

TEST_F(HttpClientTest, Socks5ProxyWithAuthAndRemoteDns) {
    OriginServer origin([](const ReceivedRequest&) { return ok("via socks"); }, &certificate());
    testing::Socks5Proxy proxy("sockuser", "s0cks-pass");
    HttpRequest request = get(origin.url("/s", "localhost"));
    request.proxy = ProxyConfig{ProxyConfig::socks5, "127.0.0.1", proxy.port(), "sockuser", "s0cks-pass"};
    auto c = client();
    auto response = c->send(request);
    ASSERT_TRUE(response) << response.error().message;
    EXPECT_EQ(response->body, "via socks");
    auto seen = proxy.connects();
    ASSERT_EQ(seen.size(), 1u);
    EXPECT_EQ(seen[0].atyp, 3);
    EXPECT_EQ(seen[0].host, "localhost");
    EXPECT_EQ(seen[0].port, origin.port());

    request.proxy->password = "bad-s0cks";
    auto denied = c->send(request);
    ASSERT_FALSE(denied);
    EXPECT_EQ(denied.error().code, ErrorCode::permission_denied);
    EXPECT_NE(denied.error().message.find("rejected the credentials"), std::string::npos) << denied.error().message;
    EXPECT_EQ(denied.error().message.find("bad-s0cks"), std::string::npos);
    EXPECT_EQ(proxy.auth_failures(), 1);
}

// ---- cookies -------------------------------------------------------------------------------

TEST_F(HttpClientTest, CookiesSetByResponsesAreSentBack) {
    OriginServer server([](const ReceivedRequest& r) {
        if (r.target == "/login") return status(302, {{"Set-Cookie", "sessionid=abc; Path=/; HttpOnly"}, {"Location", "/home"}});
        if (r.target == "/home") return ok("home", {{"Set-Cookie", "csrftoken=t; Path=/"}});
        return ok(r.header("Cookie").value_or("<none>"));
    });
    CookieJar jar;
    int changes = 0;
    jar.on_change([&] { ++changes; });
    auto c = client();
    HttpRequest login = get(server.url("/login"));
    login.cookies = &jar;
    auto home = c->send(login);
    ASSERT_TRUE(home) << home.error().message;
    EXPECT_EQ(home->body, "home");
    EXPECT_EQ(server.requests().back().header("Cookie"), "sessionid=abc") << "the redirect hop's cookie is used at once";
    EXPECT_EQ(changes, 2);

    HttpRequest me = get(server.url("/me"));
    me.cookies = &jar;
    me.headers = {{"Cookie", "extra=1"}};
    auto echoed = c->send(me);
    ASSERT_TRUE(echoed);
    EXPECT_EQ(echoed->body, "extra=1; sessionid=abc; csrftoken=t");
    EXPECT_EQ(jar.to_cookies().size(), 2u);
}

// Without a cap, ~30 cookies of 4 KB make a Cookie header Beast 1.74 cannot
// hold (length_error): every later request to the host would fail.
TEST_F(HttpClientTest, AJarFullOfLargeCookiesStillProducesASendableRequest) {
    OriginServer server([](const ReceivedRequest& r) {
        if (r.target == "/set") {
            Headers set;
            for (int i = 0; i < 30; ++i)
                set.emplace_back("Set-Cookie", "big" + std::to_string(i) + "=" + std::string(4000, 'v') + "; Path=/");
            return ok("set", std::move(set));
        }
        return ok(std::to_string(r.header("Cookie").value_or("").size()));
    });
    CookieJar jar;
    auto o = options();
    o.max_header_bytes = 1u << 20;  // the 30 Set-Cookie lines themselves are ~120 KB
    auto c = client(o);
    HttpRequest request = get(server.url("/set"));
    request.cookies = &jar;
    ASSERT_TRUE(c->send(request));
    EXPECT_EQ(jar.size(), 30u);
    request.url = server.url("/echo");
    for (int i = 0; i < 2; ++i) {
        auto echoed = c->send(request);
        ASSERT_TRUE(echoed) << echoed.error().message;
        EXPECT_GT(std::stoul(echoed->body), 0u);
        EXPECT_LE(std::stoul(echoed->body), kMaxCookieHeaderBytes);
    }
}

TEST_F(HttpClientTest, OversizedCallerHeaderIsAnInvalidArgument) {
    HttpRequest request = get("http://127.0.0.1:1/");
    request.headers = {{"Cookie", std::string(70000, 'c')}};
    auto response = client()->send(request);
    ASSERT_FALSE(response);
    EXPECT_EQ(response.error().code, ErrorCode::invalid_argument);
    EXPECT_EQ(response.error().details, "headers");
}

}  // namespace
}  // namespace gramkit::net
