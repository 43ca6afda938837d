// Engine configuration, key file handling and key rotation with rewrap.
#include <sys/stat.h>

#include <cstdlib>
#include <fstream>

#include "engine_fixture.hpp"
#include "storage/repositories.hpp"

namespace gramkit {
namespace {

using testing::EngineTest;
using testing::TempDir;

TEST(EngineConfigTest, ParsesKnownKeys) {
    auto c = parse_engine_config(R"({"storage_url":"sqlite::memory:","log_level":"debug","storage_pool_size":2,
                                      "proxy_failure_threshold":5,"data_dir":"/tmp/x"})");
    ASSERT_TRUE(c) << c.error().to_string();
    EXPECT_EQ(c->storage_url, "sqlite::memory:");
    EXPECT_EQ(c->log_level, LogLevel::debug);
    EXPECT_EQ(c->storage_pool_size, 2u);
    EXPECT_EQ(c->proxy_failure_threshold, 5);
}

TEST(EngineConfigTest, BadConfigurationNamesTheKey) {
    struct Case {
        const char* json;
        const char* must_mention;
    };
    const Case cases[] = {
        {R"({"storge_url":"x"})", "storge_url"},
        {R"({"storage_url":5})", "storage_url"},
        {R"({"log_level":"loud"})", "log_level"},
        {R"({"storage_pool_size":0})", "storage_pool_size"},
        {R"({"storage_pool_size":1e30})", "storage_pool_size"},
        {R"({"proxy_failure_threshold":"3"})", "proxy_failure_threshold"},
        {R"([1,2])", "object"},
        {R"({"storage_url":)", "malformed JSON"},
        {"\xff\xfe", "malformed JSON"},
    };
    for (const auto& c : cases) {
        auto r = parse_engine_config(c.json);
        ASSERT_FALSE(r) << c.json;
        EXPECT_EQ(r.error().code, ErrorCode::invalid_argument);
        EXPECT_NE(r.error().message.find(c.must_mention), std::string::npos) << r.error().message;
    }
}

TEST(EngineOpenTest, UnknownStorageSchemeAndUnreadableKeysFailClearly) {
    TempDir dir;
    auto r = Engine::open(R"({"storage_url":"mysql://x/y","data_dir":")" + dir.str() + R"("})");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, ErrorCode::invalid_argument);
    EXPECT_NE(r.error().message.find("mysql"), std::string::npos) << r.error().message;

    // A key file others can read is refused.
    std::string keys = dir.str() + "/open.keys";
    { std::ofstream(keys) << "k1 AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n"; }
    ::chmod(keys.c_str(), 0644);
    r = Engine::open(R"({"storage_url":"sqlite::memory:","key_file":")" + keys + R"("})");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, ErrorCode::failed_precondition);
    EXPECT_NE(r.error().message.find("chmod 600"), std::string::npos);

    r = Engine::open(R"({"storage_url":"sqlite::memory:","key_env":"GRAMKIT_TEST_NO_SUCH_VAR"})");
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message.find("GRAMKIT_TEST_NO_SUCH_VAR"), std::string::npos);
}

TEST_F(EngineTest, FirstOpenCreatesAPrivateKeyFileAndSaysSo) {
    struct stat st {};
    ASSERT_EQ(::stat((dir.str() + "/gramkit.keys").c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600);
    EXPECT_NE(log.all().find("vault.key_file_created"), std::string::npos);
    EXPECT_EQ(engine->vault().key_ids(), std::vector<std::string>{"k1"});
}

TEST_F(EngineTest, RotationAddsAKeyAndRewrapMovesEverySecret) {
    NewAccount spec{"rotor", "rotor-password", std::nullopt, std::string("TOTPSEED"), {}};
    auto a = engine->accounts().create(spec).value();
    auto p = engine->proxies().create({"socks5://u:proxy-pw@127.0.0.1:1080", 3}).value();
    Cookie c{"sessionid", "cookie-value", ".instagram.com", "/", std::nullopt, true, true};
    ASSERT_TRUE(engine->sessions().save_cookies(a.id, {c}));

    auto id = engine->vault().add_key();
    ASSERT_TRUE(id) << id.error().to_string();
    EXPECT_EQ(*id, "k2");
    EXPECT_EQ(engine->vault().newest_key_id(), "k2");
    auto report = engine->vault().rewrap();
    ASSERT_TRUE(report) << report.error().to_string();
    EXPECT_EQ(report->key_id, "k2");
    EXPECT_EQ(report->examined, 4u);  // password, totp seed, proxy password, cookie jar
    EXPECT_EQ(report->rewrapped, 4u);
    auto again = engine->vault().rewrap();
    ASSERT_TRUE(again);
    EXPECT_EQ(again->rewrapped, 0u);

    // Every stored envelope now names k2.
    auto backend = storage::Backend::open("sqlite://" + dir.str() + "/gramkit.db").value();
    auto rec = backend->accounts().get(a.id).value();
    EXPECT_EQ(crypto::inspect_envelope(rec.password_envelope)->key_id, "k2");
    EXPECT_EQ(crypto::inspect_envelope(*rec.totp_envelope)->key_id, "k2");
    EXPECT_EQ(crypto::inspect_envelope(*backend->proxies().get(p.id)->password_envelope)->key_id, "k2");
    EXPECT_EQ(crypto::inspect_envelope(backend->sessions().get(a.id)->cookies_envelope)->key_id, "k2");
    backend.reset();

    // After a restart (key file re-read) everything still decrypts.
    reopen();
    EXPECT_EQ(engine->vault().key_ids(), (std::vector<std::string>{"k1", "k2"}));
    EXPECT_EQ(engine->accounts().reveal_password(a.id).value(), "rotor-password");
    EXPECT_EQ(engine->accounts().reveal_totp_seed(a.id).value(), std::optional<std::string>("TOTPSEED"));
    EXPECT_EQ(engine->proxies().reveal_url(p.id).value(), "socks5://u:proxy-pw@127.0.0.1:1080");
    EXPECT_EQ(engine->sessions().load_cookies(a.id)->at(0).value, "cookie-value");
    EXPECT_EQ(engine->vault().add_key("k2").error().code, ErrorCode::conflict);
}

TEST_F(EngineTest, WrongKeyFileMeansDataLossNotGarbage) {
    auto a = make_account("lost");
    engine.reset();
    std::filesystem::remove(dir.path() / "gramkit.keys");  // a new key k1 is generated on open
    reopen();
    auto r = engine->accounts().reveal_password(a.id);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, ErrorCode::data_loss);
    EXPECT_NE(r.error().message.find("accounts.password"), std::string::npos) << r.error().message;
}

TEST(EngineOpenTest, KeysFromTheEnvironmentCannotBeRotatedInPlace) {
    TempDir dir;
    ::setenv("GRAMKIT_TEST_KEYS", "k1 AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=;k2 AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=", 1);
    auto e = Engine::open(R"({"storage_url":"sqlite::memory:","key_env":"GRAMKIT_TEST_KEYS","log_level":"off"})");
    ASSERT_TRUE(e) << e.error().to_string();
    EXPECT_EQ((*e)->vault().newest_key_id(), "k2");
    auto r = (*e)->vault().add_key();
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, ErrorCode::failed_precondition);
}

}  // namespace
}  // namespace gramkit
