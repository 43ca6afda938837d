// SOCKS5 messages, the CONNECT request and content decoding.
#include <gtest/gtest.h>

#include "net/content_decoding.hpp"
#include "net/http_connect.hpp"
#include "net/socks5.hpp"
#include "support/test_servers.hpp"

namespace gramkit::net {
namespace {

using Bytes = std::vector<std::uint8_t>;

TEST(Socks5, GreetingOffersAuthOnlyWithCredentials) {
    EXPECT_EQ(socks5::encode_greeting(false), (Bytes{5, 1, 0}));
    EXPECT_EQ(socks5::encode_greeting(true), (Bytes{5, 2, 0, 2}));
}

TEST(Socks5, AuthMessage) {
    auto auth = socks5::encode_auth("bob", "pw");
    ASSERT_TRUE(auth);
    EXPECT_EQ(*auth, (Bytes{1, 3, 'b', 'o', 'b', 2, 'p', 'w'}));
    auto too_long = socks5::encode_auth("u", std::string(256, 'x'));
    ASSERT_FALSE(too_long);
    EXPECT_EQ(too_long.error().details, "proxy.password");
    EXPECT_EQ(too_long.error().message.find("xxx"), std::string::npos);
}

TEST(Socks5, ConnectSendsNamesForRemoteDns) {
    auto name = socks5::encode_connect("localhost", 443);
    ASSERT_TRUE(name);
    EXPECT_EQ(*name, (Bytes{5, 1, 0, 3, 9, 'l', 'o', 'c', 'a', 'l', 'h', 'o', 's', 't', 0x01, 0xBB}));
    auto v4 = socks5::encode_connect("10.1.2.3", 8080);
    ASSERT_TRUE(v4);
    EXPECT_EQ(*v4, (Bytes{5, 1, 0, 1, 10, 1, 2, 3, 0x1F, 0x90}));
    auto v6 = socks5::encode_connect("::1", 80);
    ASSERT_TRUE(v6);
    EXPECT_EQ(v6->size(), 4u + 16u + 2u);
    EXPECT_EQ((*v6)[3], socks5::atyp_ipv6);
    EXPECT_FALSE(socks5::encode_connect(std::string(256, 'a'), 80));
}

TEST(Socks5, Replies) {
    EXPECT_EQ(socks5::parse_method_reply(Bytes{5, 2}).value(), 2);
    EXPECT_FALSE(socks5::parse_method_reply(Bytes{4, 0}));
    EXPECT_TRUE(socks5::parse_auth_reply(Bytes{1, 0}).value());
    EXPECT_FALSE(socks5::parse_auth_reply(Bytes{1, 1}).value());
    EXPECT_EQ(socks5::connect_reply_remaining(Bytes{5, 0, 0, 1, 127}).value(), 5u);
    EXPECT_EQ(socks5::connect_reply_remaining(Bytes{5, 0, 0, 3, 9}).value(), 11u);
    EXPECT_EQ(socks5::connect_reply_remaining(Bytes{5, 0, 0, 4, 0}).value(), 17u);
    EXPECT_FALSE(socks5::connect_reply_remaining(Bytes{5, 0, 0, 9, 0}));
    EXPECT_EQ(socks5::reply_text(5), "connection refused");
}

TEST(HttpConnect, RequestWithBasicAuth) {
    EXPECT_EQ(base64_encode(""), "");
    EXPECT_EQ(base64_encode("f"), "Zg==");
    EXPECT_EQ(base64_encode("fo"), "Zm8=");
    EXPECT_EQ(base64_encode("foo"), "Zm9v");
    EXPECT_EQ(base64_encode("Aladdin:open sesame"), "QWxhZGRpbjpvcGVuIHNlc2FtZQ==");
    EXPECT_EQ(connect_request("example.com:443", "", ""), "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n");
    EXPECT_EQ(connect_request("[::1]:443", "Aladdin", "open sesame"),
              "CONNECT [::1]:443 HTTP/1.1\r\nHost: [::1]:443\r\n"
              "Proxy-Authorization: Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==\r\n\r\n");
}

TEST(ContentDecoding, GzipZlibAndRawDeflate) {
    const std::string text(10000, 'z');
    using testing::Compression;
    EXPECT_EQ(decode_content("gzip", testing::compress(text, Compression::gzip), 1 << 20).value(), text);
    EXPECT_EQ(decode_content("x-gzip", testing::compress(text, Compression::gzip), 1 << 20).value(), text);
    EXPECT_EQ(decode_content("deflate", testing::compress(text, Compression::zlib), 1 << 20).value(), text);
    EXPECT_EQ(decode_content("deflate", testing::compress(text, Compression::raw_deflate), 1 << 20).value(), text);
    EXPECT_EQ(decode_content("identity", "plain", 100).value(), "plain");
    EXPECT_EQ(decode_content("", "plain", 100).value(), "plain");
    // Applied in order gzip then deflate: undone right to left.
    const std::string twice = testing::compress(testing::compress(text, Compression::gzip), Compression::zlib);
    EXPECT_EQ(decode_content("gzip, deflate", twice, 1 << 20).value(), text);
}

TEST(ContentDecoding, EmptyBodyIsNotInflated) {
    for (const char* coding : {"gzip", "deflate", "x-gzip", "gzip, deflate"}) {
        auto decoded = decode_content(coding, "", 1000);
        ASSERT_TRUE(decoded) << coding << ": " << decoded.error().message;
        EXPECT_EQ(*decoded, "");
    }
}

TEST(ContentDecoding, ErrorsNameTheProblem) {
    const std::string bomb = testing::compress(std::string(1 << 20, 'a'), testing::Compression::gzip);
    auto limited = decode_content("gzip", bomb, 4096);
    ASSERT_FALSE(limited);
    EXPECT_EQ(limited.error().code, ErrorCode::upstream_error);
    EXPECT_NE(limited.error().message.find("max_response_bytes"), std::string::npos);
    auto corrupt = decode_content("gzip", "definitely not gzip", 4096);
    ASSERT_FALSE(corrupt);
    EXPECT_EQ(corrupt.error().code, ErrorCode::upstream_error);
    const std::string gz = testing::compress("hello world, hello world", testing::Compression::gzip);
    EXPECT_FALSE(decode_content("gzip", gz.substr(0, gz.size() / 2), 4096)) << "truncated";
    auto unknown = decode_content("br", "x", 10);
    ASSERT_FALSE(unknown);
    EXPECT_NE(unknown.error().message.find("br"), std::string::npos);
}

}  // namespace
}  // namespace gramkit::net
