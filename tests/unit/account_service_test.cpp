// AccountService through a real Engine on SQLite: validation, the status
// machine, secrets at rest, deletion.
#include <fstream>
#include <sstream>

#include "engine_fixture.hpp"
#include "storage/repositories.hpp"

namespace gramkit {
namespace {

using testing::EngineTest;

constexpr AccountStatus kAll[] = {AccountStatus::active,   AccountStatus::paused,
                                  AccountStatus::cooldown, AccountStatus::challenge_required,
                                  AccountStatus::login_failed, AccountStatus::disabled};

TEST(AccountStatusTest, NamesRoundTrip) {
    for (auto s : kAll) {
        auto parsed = parse_account_status(to_string(s));
        ASSERT_TRUE(parsed);
        EXPECT_EQ(*parsed, s);
    }
    auto bad = parse_account_status("sleeping");
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().code, ErrorCode::invalid_argument);
    EXPECT_NE(bad.error().message.find("sleeping"), std::string::npos);
}

TEST(AccountStatusTest, SameStateIsNeverATransitionExceptCooldownExtension) {
    for (auto s : kAll) EXPECT_EQ(status_transition_allowed(s, s), s == AccountStatus::cooldown) << to_string(s);
}

TEST(AccountStatusTest, PausedAndDisabledAccountsCannotBeMovedByInstagramAnswers) {
    for (auto from : {AccountStatus::paused, AccountStatus::disabled})
        for (auto to : {AccountStatus::cooldown, AccountStatus::challenge_required, AccountStatus::login_failed})
            EXPECT_FALSE(status_transition_allowed(from, to)) << to_string(from) << "->" << to_string(to);
}

// Every (from, to) pair through the service: the service accepts exactly the
// pairs the table allows, records each accepted one, and rejects the rest
// with `conflict` without changing anything.
TEST_F(EngineTest, EveryStatusTransitionIsGuardedAndRecorded) {
    int n = 0;
    for (auto from : kAll) {
        for (auto to : kAll) {
            auto a = make_account("user_" + std::to_string(n++));
            auto& svc = engine->accounts();
            const auto until = clock->now() + std::chrono::minutes(11);
            if (from != AccountStatus::active) {
                auto moved = svc.change_status(a.id, from, "setup",
                                               from == AccountStatus::cooldown ? std::optional(until) : std::nullopt);
                ASSERT_TRUE(moved) << moved.error().to_string();
            }
            auto r = svc.change_status(a.id, to, "test",
                                       to == AccountStatus::cooldown ? std::optional(until) : std::nullopt);
            auto now = svc.get(a.id);
            ASSERT_TRUE(now);
            if (status_transition_allowed(from, to)) {
                ASSERT_TRUE(r) << to_string(from) << "->" << to_string(to) << ": " << r.error().to_string();
                EXPECT_EQ(now->status, to);
                EXPECT_EQ(now->status_reason, "test");
                auto h = svc.status_history(a.id);
                ASSERT_TRUE(h);
                ASSERT_FALSE(h->empty());
                EXPECT_EQ(h->front().from, from);
                EXPECT_EQ(h->front().to, to);
                EXPECT_EQ(h->front().reason, "test");
                EXPECT_EQ(h->front().at, clock->now());
            } else {
                ASSERT_FALSE(r) << to_string(from) << "->" << to_string(to) << " should be illegal";
                EXPECT_EQ(r.error().code, ErrorCode::conflict);
                EXPECT_NE(r.error().message.find(std::string(to_string(to))), std::string::npos);
                EXPECT_EQ(now->status, from);
            }
        }
    }
}

TEST_F(EngineTest, CooldownNeedsAFutureUntilAndOthersRejectOne) {
    auto a = make_account("cool");
    auto& svc = engine->accounts();
    auto r = svc.change_status(a.id, AccountStatus::cooldown, "429");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, ErrorCode::invalid_argument);
    EXPECT_EQ(r.error().details, "until");
    r = svc.change_status(a.id, AccountStatus::cooldown, "429", clock->now() - std::chrono::seconds(1));
    ASSERT_FALSE(r);
    r = svc.change_status(a.id, AccountStatus::paused, "x", clock->now() + std::chrono::hours(1));
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, ErrorCode::invalid_argument);
    auto until = clock->now() + std::chrono::minutes(11);
    r = svc.change_status(a.id, AccountStatus::cooldown, "please wait", until);
    ASSERT_TRUE(r) << r.error().to_string();
    EXPECT_EQ(svc.get(a.id)->cooldown_until, until);
    // Leaving cooldown clears the until time.
    ASSERT_TRUE(svc.change_status(a.id, AccountStatus::active, "cooldown over"));
    EXPECT_FALSE(svc.get(a.id)->cooldown_until.has_value());
}

TEST_F(EngineTest, BadAccountInputIsRejectedNamingTheField) {
    auto& svc = engine->accounts();
    struct Case {
        std::string username, password, email, label, field;
    };
    const Case cases[] = {
        {"", "pw", "", "", "username"},
        {std::string(31, 'a'), "pw", "", "", "username"},
        {"bad name", "pw", "", "", "username"},
        {"bad/name", "pw", "", "", "username"},
        {".dot", "pw", "", "", "username"},
        {"dot.", "pw", "", "", "username"},
        {"two..dots", "pw", "", "", "username"},
        {"ok_name", "", "", "", "password"},
        {"ok_name", std::string(257, 'p'), "", "", "password"},
        {"ok_name", "pw", "not-an-email", "", "email"},
        {"ok_name", "pw", "", "has space", "labels"},
    };
    for (const auto& c : cases) {
        NewAccount spec;
        spec.username = c.username;
        spec.password = c.password;
        if (!c.email.empty()) spec.email = c.email;
        if (!c.label.empty()) spec.labels = {c.label};
        auto r = svc.create(spec);
        ASSERT_FALSE(r) << "accepted username '" << c.username << "'";
        EXPECT_EQ(r.error().code, ErrorCode::invalid_argument);
        EXPECT_EQ(r.error().details, c.field) << r.error().message;
    }
    EXPECT_EQ(svc.list({})->items.size(), 0u);
}

TEST_F(EngineTest, DuplicateUsernameIsConflict) {
    make_account("twin");
    NewAccount spec{"TWIN", "other-password", {}, {}, {}};  // usernames are case-insensitive
    auto r = engine->accounts().create(spec);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, ErrorCode::conflict);
    // Renaming another account onto a taken name is a conflict too.
    EXPECT_EQ(engine->accounts().get_by_username("Twin")->username, "twin");
    auto b = make_account("other");
    AccountUpdate u;
    u.username = "twin";
    auto ur = engine->accounts().update(b.id, u);
    ASSERT_FALSE(ur);
    EXPECT_EQ(ur.error().code, ErrorCode::conflict);
}

TEST_F(EngineTest, CreateManyIsAllOrNothingAndNamesTheBadEntry) {
    std::vector<NewAccount> specs;
    for (int i = 0; i < 5; ++i) specs.push_back({"bulk" + std::to_string(i), "pw", {}, {}, {"bulk"}});
    auto made = engine->accounts().create_many(specs);
    ASSERT_TRUE(made) << made.error().to_string();
    ASSERT_EQ(made->size(), 5u);
    EXPECT_EQ(engine->accounts().get((*made)[3].id)->username, "bulk3");

    // A bad entry: nothing of the batch is stored.
    std::vector<NewAccount> bad{{"fresh_one", "pw", {}, {}, {}}, {"bad name", "pw", {}, {}, {}}};
    auto r = engine->accounts().create_many(bad);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().details, "accounts[1].username");
    // A duplicate inside the database: rolled back as a whole.
    std::vector<NewAccount> dup{{"fresh_two", "pw", {}, {}, {}}, {"bulk0", "pw", {}, {}, {}}};
    r = engine->accounts().create_many(dup);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, ErrorCode::conflict);
    EXPECT_EQ(engine->accounts().get_by_username("fresh_one").error().code, ErrorCode::not_found);
    EXPECT_EQ(engine->accounts().get_by_username("fresh_two").error().code, ErrorCode::not_found);
    EXPECT_EQ(engine->accounts().list({})->items.size(), 5u);
}

TEST_F(EngineTest, SecretsAreEncryptedAtRestAndNeverLogged) {
    NewAccount spec{"secretive", "hunter2-very-secret", std::string("me@example.com"),
                    std::string("JBSWY3DPEHPK3PXP"), {"fleet:a"}};
    auto a = engine->accounts().create(spec);
    ASSERT_TRUE(a) << a.error().to_string();
    EXPECT_TRUE(a->has_totp_seed);
    EXPECT_EQ(engine->accounts().reveal_password(a->id).value(), "hunter2-very-secret");
    EXPECT_EQ(engine->accounts().reveal_totp_seed(a->id).value(), std::optional<std::string>("JBSWY3DPEHPK3PXP"));

    engine.reset();  // flush and close the database
    for (const auto& entry : std::filesystem::directory_iterator(dir.path())) {
        std::ifstream in(entry.path(), std::ios::binary);
        std::stringstream ss;
        ss << in.rdbuf();
        EXPECT_EQ(ss.str().find("hunter2-very-secret"), std::string::npos) << entry.path();
        EXPECT_EQ(ss.str().find("JBSWY3DPEHPK3PXP"), std::string::npos) << entry.path();
    }
    EXPECT_EQ(log.all().find("hunter2"), std::string::npos);
    EXPECT_EQ(log.all().find("JBSWY3DPEHPK3PXP"), std::string::npos);
}

TEST_F(EngineTest, UpdateChangesOnlyTheGivenFields) {
    NewAccount spec{"upd", "first-password", std::string("a@b.c"), std::nullopt, {"x", "a", "x"}};
    auto a = engine->accounts().create(spec).value();
    EXPECT_EQ(a.labels, (std::vector<std::string>{"a", "x"}));  // sorted, de-duplicated
    clock->advance(std::chrono::seconds(5));
    AccountUpdate u;
    u.password = "second-password";
    u.email = std::optional<std::string>{};  // clear
    u.totp_seed = std::optional<std::string>("SEEDSEED");
    auto b = engine->accounts().update(a.id, u);
    ASSERT_TRUE(b) << b.error().to_string();
    EXPECT_EQ(b->username, "upd");
    EXPECT_FALSE(b->email.has_value());
    EXPECT_TRUE(b->has_totp_seed);
    EXPECT_EQ(b->labels, a.labels);
    EXPECT_EQ(b->updated_at, clock->now());
    EXPECT_EQ(engine->accounts().reveal_password(a.id).value(), "second-password");
    auto missing = engine->accounts().update(a.id + 12345, u);
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.error().code, ErrorCode::not_found);
}

TEST_F(EngineTest, ListFiltersAndPaginatesWithoutGapsOrRepeats) {
    for (int i = 0; i < 7; ++i) {
        NewAccount spec{"acct" + std::to_string(i), "pw", std::nullopt, std::nullopt,
                        {i % 2 ? "odd" : "even"}};
        ASSERT_TRUE(engine->accounts().create(spec));
    }
    auto odd = engine->accounts().list({.label = "odd"}).value();
    EXPECT_EQ(odd.items.size(), 3u);
    std::vector<std::int64_t> seen;
    AccountFilter f;
    f.limit = 3;
    for (;;) {
        auto page = engine->accounts().list(f).value();
        for (auto& a : page.items) seen.push_back(a.id);
        if (!page.next_after) break;
        f.after = page.next_after;
    }
    EXPECT_EQ(seen.size(), 7u);
    EXPECT_TRUE(std::is_sorted(seen.begin(), seen.end()));
    EXPECT_EQ(std::adjacent_find(seen.begin(), seen.end()), seen.end());
    auto bad = engine->accounts().list({.limit = 0});
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().details, "limit");
}

TEST_F(EngineTest, DeletingAnAccountDeletesItsSessionAndSecrets) {
    auto a = make_account("doomed");
    Cookie c{"sessionid", "abc", ".instagram.com", "/", std::nullopt, true, true};
    ASSERT_TRUE(engine->sessions().save_cookies(a.id, {c}));
    ASSERT_TRUE(engine->accounts().remove(a.id));
    EXPECT_EQ(engine->accounts().get(a.id).error().code, ErrorCode::not_found);
    EXPECT_EQ(engine->sessions().get(a.id).error().code, ErrorCode::not_found);
    EXPECT_EQ(engine->accounts().reveal_password(a.id).error().code, ErrorCode::not_found);
    EXPECT_EQ(engine->accounts().remove(a.id).error().code, ErrorCode::not_found);
    EXPECT_EQ(engine->accounts().status_history(a.id).error().code, ErrorCode::not_found);
}

}  // namespace
}  // namespace gramkit
