// The operation registry through Engine::call: the JSON face every host
// uses (C ABI, REST, Python). Checks params validation, error mapping,
// meta.operations and events.
#include "core/json.hpp"
#include "core/text.hpp"
#include "engine_fixture.hpp"

namespace gramkit {
namespace {

class OperationsTest : public testing::EngineTest {
protected:
    json::Value ok(std::string_view op, std::string_view params) {
        auto r = engine->call(op, params);
        EXPECT_TRUE(r) << op << " " << params << ": " << r.error().to_string();
        if (!r) return {};
        auto doc = json::parse(*r);
        EXPECT_TRUE(doc) << *r;
        return doc.value_or(json::Value{});
    }
    Error err(std::string_view op, std::string_view params) {
        auto r = engine->call(op, params);
        EXPECT_FALSE(r) << op << " " << params << " unexpectedly succeeded: " << r.value_or("");
        return r ? Error{} : r.error();
    }
};

TEST_F(OperationsTest, AccountRoundTrip) {
    auto a = ok("accounts.create", R"({"username":"json_user","password":"pw-secret","labels":["b","a"]})");
    ASSERT_TRUE(a.is_object());
    auto id = a.find("id")->as_int();
    EXPECT_EQ(a.find("status")->as_string(), "active");
    EXPECT_EQ(a.find("labels")->as_array().size(), 2u);
    EXPECT_EQ(a.find("password"), nullptr);
    auto got = ok("accounts.get", R"({"id":)" + std::to_string(id) + "}");
    EXPECT_EQ(got.find("username")->as_string(), "json_user");
    auto upd = ok("accounts.update", R"({"id":)" + std::to_string(id) + R"(,"email":"x@y.z"})");
    EXPECT_EQ(upd.find("email")->as_string(), "x@y.z");
    upd = ok("accounts.update", R"({"id":)" + std::to_string(id) + R"(,"email":null})");
    EXPECT_TRUE(upd.find("email")->is_null());
    auto st = ok("accounts.set_status", R"({"id":)" + std::to_string(id) +
                                            R"(,"status":"cooldown","reason":"429","until":"2030-01-01T00:00:00Z"})");
    EXPECT_EQ(st.find("cooldown_until")->as_string(), "2030-01-01T00:00:00.000000Z");
    auto hist = ok("accounts.history", R"({"id":)" + std::to_string(id) + "}");
    EXPECT_EQ(hist.find("items")->as_array().front().find("to")->as_string(), "cooldown");
    auto page = ok("accounts.list", R"({"limit":1})");
    EXPECT_EQ(page.find("items")->as_array().size(), 1u);
    ok("accounts.delete", R"({"id":)" + std::to_string(id) + "}");
    EXPECT_EQ(err("accounts.get", R"({"id":)" + std::to_string(id) + "}").code, ErrorCode::not_found);
    EXPECT_EQ(log.all().find("pw-secret"), std::string::npos);
}

TEST_F(OperationsTest, BadParamsAreRejectedNamingTheField) {
    struct Case {
        const char* op;
        const char* params;
        ErrorCode code;
        const char* field;
    };
    const Case cases[] = {
        {"accounts.create", R"({"username":5,"password":"x"})", ErrorCode::invalid_argument, "username"},
        {"accounts.create", R"({"password":"x"})", ErrorCode::invalid_argument, "username"},
        {"accounts.create", R"({"username":"a","password":"x","colour":"red"})", ErrorCode::invalid_argument, "colour"},
        {"accounts.create", R"({"username":"a","password":null})", ErrorCode::invalid_argument, "password"},
        {"accounts.create", R"({"username":"a","password":"x","labels":[1]})", ErrorCode::invalid_argument, "labels"},
        {"accounts.create", R"({"username":"a","username":"b","password":"x"})", ErrorCode::invalid_argument, "username"},
        {"accounts.get", R"({"id":"7"})", ErrorCode::invalid_argument, "id"},
        {"accounts.get", R"({"id":1.5})", ErrorCode::invalid_argument, "id"},
        {"accounts.get", R"({"id":99999999999999999999999})", ErrorCode::invalid_argument, "params"},
        {"accounts.list", R"({"limit":-1})", ErrorCode::invalid_argument, "limit"},
        {"accounts.list", R"({"limit":100000000000})", ErrorCode::invalid_argument, "limit"},
        {"accounts.list", R"({"status":"sleepy"})", ErrorCode::invalid_argument, "status"},
        {"accounts.set_status", R"({"id":1,"status":"paused","reason":"x","until":"tomorrow"})",
         ErrorCode::invalid_argument, "until"},
        {"accounts.get", R"([1])", ErrorCode::invalid_argument, "params"},
        {"accounts.get", R"({"id":)", ErrorCode::invalid_argument, "params"},
        {"accounts.get", "{\"id\":\"\xff\"}", ErrorCode::invalid_argument, "params"},
        {"proxies.create", R"({"url":"ftp://h:1"})", ErrorCode::invalid_argument, "url"},
        {"proxies.create", R"({"url":"http://h:1","max_accounts":99999999999})", ErrorCode::invalid_argument,
         "max_accounts"},
        {"sessions.save_cookies", R"({"account_id":1,"cookies":[{"name":"a"}]})", ErrorCode::invalid_argument,
         "cookies[0].value"},
        {"no.such.op", "{}", ErrorCode::not_found, "op"},
    };
    for (const auto& c : cases) {
        auto e = err(c.op, c.params);
        EXPECT_EQ(e.code, c.code) << c.op << " " << c.params << ": " << e.message;
        EXPECT_EQ(e.details, c.field) << c.op << " " << c.params << ": " << e.message;
    }
    // Nothing was stored by any of the failed calls.
    EXPECT_EQ(ok("accounts.list", "{}").find("items")->as_array().size(), 0u);
}

TEST_F(OperationsTest, OversizedParamsAreRejectedBeforeParsing) {
    std::string big = R"({"username":")" + std::string(2 * 1024 * 1024, 'a') + R"(","password":"x"})";
    auto e = err("accounts.create", big);
    EXPECT_EQ(e.code, ErrorCode::invalid_argument);
    EXPECT_NE(e.message.find("too large"), std::string::npos);
}

TEST_F(OperationsTest, EmptyParamsMeanAnEmptyObject) {
    auto v = ok("meta.version", "");
    EXPECT_EQ(v.find("version")->as_string(), version());
}

TEST_F(OperationsTest, MetaOperationsListsEveryOperationWithItsShape) {
    auto m = ok("meta.operations", "{}");
    const auto& ops = m.find("operations")->as_array();
    std::vector<std::string> names;
    for (const auto& op : ops) {
        names.push_back(op.find("name")->as_string());
        EXPECT_FALSE(op.find("permission")->as_string().empty());
        EXPECT_FALSE(op.find("summary")->as_string().empty());
        EXPECT_TRUE(op.find("params")->is_array());
    }
    for (const char* expected : {"accounts.create", "accounts.list", "accounts.set_status", "proxies.assign",
                                 "sessions.save_cookies", "sessions.checkout", "vault.rewrap", "meta.operations"})
        EXPECT_NE(std::find(names.begin(), names.end(), expected), names.end()) << expected;
    EXPECT_NE(m.find("types")->find("Account"), nullptr);
}

TEST_F(OperationsTest, ServicesPublishEventsWithoutSecrets) {
    auto a = ok("accounts.create", R"({"username":"evented","password":"evt-secret"})");
    auto id = std::to_string(a.find("id")->as_int());
    ok("accounts.set_status", R"({"id":)" + id + R"(,"status":"paused","reason":"operator"})");
    auto e1 = engine->events().next(std::chrono::milliseconds(0));
    ASSERT_TRUE(e1);
    EXPECT_EQ(e1->type, "account.created");
    auto e2 = engine->events().next(std::chrono::milliseconds(0));
    ASSERT_TRUE(e2);
    EXPECT_EQ(e2->type, "account.status_changed");
    EXPECT_GT(e2->seq, e1->seq);
    auto data = json::parse(e2->data_json).value();
    EXPECT_EQ(data.find("to")->as_string(), "paused");
    EXPECT_EQ(e1->to_json().find("evt-secret"), std::string::npos);
    EXPECT_FALSE(engine->events().next(std::chrono::milliseconds(0)));
}

TEST(EventBusTest, SlowPollersLoseTheOldestEventsAndAreToldHowMany) {
    auto clock = std::make_shared<ManualClock>();
    EventBus bus(clock, 3);
    std::vector<std::string> seen_by_subscriber;
    auto sub = bus.subscribe([&](const Event& e) { seen_by_subscriber.push_back(e.type); });
    for (int i = 0; i < 5; ++i) bus.publish("t" + std::to_string(i), "{}");
    auto first = bus.next(std::chrono::milliseconds(0));
    ASSERT_TRUE(first);
    EXPECT_EQ(first->type, "t2");
    EXPECT_EQ(first->dropped, 2u);
    EXPECT_EQ(bus.next(std::chrono::milliseconds(0))->dropped, 0u);
    EXPECT_EQ(bus.dropped_total(), 2u);
    EXPECT_EQ(seen_by_subscriber.size(), 5u);  // subscribers see everything
    bus.unsubscribe(sub);
    bus.publish("after", "{}");
    EXPECT_EQ(seen_by_subscriber.size(), 5u);
    bus.close();
    EXPECT_EQ(bus.next(std::chrono::milliseconds(0))->type, "t4");
}

}  // namespace
}  // namespace gramkit

namespace gramkit {
namespace {

TEST(QuoteForMessageTest, NeverCutsACharacterInHalf) {
    std::string s(63, 'a');
    s += "\xc3\xa9\xc3\xa9";  // "éé": byte 64 is the middle of the first é
    auto q = quote_for_message(s);
    EXPECT_EQ(q, std::string(63, 'a') + "...");
    EXPECT_EQ(quote_for_message("short"), "short");
}

TEST_F(OperationsTest, UnknownOperationMessagesStayValidUtf8) {
    std::string op(63, 'x');
    op += "\xe2\x82\xac\xe2\x82\xac";  // €€
    auto e = err(op, "{}");
    EXPECT_EQ(e.code, ErrorCode::not_found);
    EXPECT_EQ(e.message.find("\xe2\x82"), std::string::npos);
}

}  // namespace
}  // namespace gramkit
