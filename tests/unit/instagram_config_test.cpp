// The engine's Instagram settings: read from JSON with errors naming the
// key, and checked again at open for hosts that build EngineConfig in C++.
#include "engine_fixture.hpp"

namespace gramkit {
namespace {

TEST(InstagramConfigTest, JsonKeysAndTheirErrors) {
    auto c = parse_engine_config(R"({"instagram": {"web_base_url": "https://127.0.0.1:8443", "page_size": 20,
                                     "rate_limit_cooldown_s": 60, "proxy_cooldown": false},
                                     "http_ca_file": "/tmp/ca.pem", "http_verify_tls": true})");
    ASSERT_TRUE(c) << c.error().to_string();
    EXPECT_EQ(c->instagram.web_base_url, "https://127.0.0.1:8443");
    EXPECT_EQ(c->instagram.api_base_url, "https://i.instagram.com");
    EXPECT_EQ(c->instagram.page_size, 20);
    EXPECT_EQ(c->instagram.rate_limit_cooldown, std::chrono::seconds(60));
    EXPECT_FALSE(c->instagram.proxy_cooldown);
    EXPECT_EQ(c->http_ca_file, "/tmp/ca.pem");

    auto unknown = parse_engine_config(R"({"instagram": {"web_url": "https://x"}})");
    ASSERT_FALSE(unknown);
    EXPECT_NE(unknown.error().message.find("web_url"), std::string::npos) << unknown.error().message;
    auto range = parse_engine_config(R"({"instagram": {"page_size": 500}})");
    ASSERT_FALSE(range);
    EXPECT_NE(range.error().message.find("page_size"), std::string::npos) << range.error().message;
    auto scheme = parse_engine_config(R"({"instagram": {"web_base_url": "ftp://x"}})");
    ASSERT_FALSE(scheme);
    EXPECT_EQ(scheme.error().code, ErrorCode::invalid_argument);
}

class InstagramOpenTest : public testing::EngineTest {};

TEST_F(InstagramOpenTest, BadBaseUrlsAreRefusedAtOpen) {
    for (const char* bad : {"not a url", "https://host/with/a/path", "gopher://x"}) {
        engine.reset();
        EngineConfig cfg;
        cfg.data_dir = dir.str();
        cfg.clock = clock;
        cfg.log_sink = log.sink();
        cfg.instagram.web_base_url = bad;
        auto e = Engine::open(cfg);
        ASSERT_FALSE(e) << bad;
        EXPECT_EQ(e.error().code, ErrorCode::invalid_argument) << bad;
        EXPECT_EQ(e.error().details, "instagram.web_base_url") << bad;
    }
}

}  // namespace
}  // namespace gramkit
