// Conformance tests of the storage repositories (src/storage/repositories.hpp)
// through storage::Backend: every test runs on SQLite (memory), SQLite
// (file) and PostgreSQL, on a fresh database each.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <functional>
#include <latch>
#include <map>
#include <numeric>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "backend_fixture.hpp"
#include "support/result_assertions.hpp"
#include "storage/repositories.hpp"
#include "storage/sql.hpp"

namespace gramkit::storage {
namespace {

using gramkit::test::at;
using gramkit::test::BackendFixture;
using namespace std::chrono_literals;


constexpr AccountStatus kAllStatuses[] = {AccountStatus::active,    AccountStatus::paused,
                                          AccountStatus::cooldown,  AccountStatus::challenge_required,
                                          AccountStatus::login_failed, AccountStatus::disabled};

AccountRecord make_account(std::int64_t id, std::string username, std::vector<std::string> labels = {},
                           AccountStatus status = AccountStatus::active) {
    AccountRecord rec;
    rec.account.id = id;
    rec.account.username = std::move(username);
    rec.account.labels = std::move(labels);
    rec.account.status = status;
    rec.account.created_at = at(0);
    rec.account.updated_at = at(0);
    rec.password_envelope = "v1:old:password-" + std::to_string(id);
    return rec;
}

ProxyRecord make_proxy(std::int64_t id, std::string host, int max_accounts = 3,
                       std::optional<std::string> username = std::nullopt, std::uint16_t port = 8080) {
    ProxyRecord rec;
    rec.proxy.id = id;
    rec.proxy.scheme = ProxyScheme::http;
    rec.proxy.host = std::move(host);
    rec.proxy.port = port;
    rec.proxy.username = std::move(username);
    rec.proxy.max_accounts = max_accounts;
    rec.proxy.created_at = at(0);
    rec.proxy.updated_at = at(0);
    return rec;
}

SessionRecord make_session(std::int64_t account_id, Timestamp last_used, bool valid = true) {
    SessionRecord rec;
    rec.session.account_id = account_id;
    rec.session.device = DeviceInfo{"Instagram 300.0 Android", "android-" + std::to_string(account_id), "en_US"};
    rec.session.cookie_count = 3;
    rec.session.valid = valid;
    rec.session.invalid_reason = valid ? "" : "login_required";
    rec.session.created_at = at(0);
    rec.session.last_used_at = last_used;
    rec.session.expires_at = at(86'400);
    rec.cookies_envelope = "v1:old:cookies-" + std::to_string(account_id);
    return rec;
}

/// Runs fn(0..n-1) on n threads released together, so that their calls
/// overlap as much as possible.
void run_concurrently(int n, const std::function<void(int)>& fn) {
    std::latch start(n);
    std::vector<std::thread> threads;
    for (int t = 0; t < n; ++t) {
        threads.emplace_back([&, t] {
            start.arrive_and_wait();
            fn(t);
        });
    }
    for (auto& thread : threads) thread.join();
}

template <class Record, class IdOf>
std::vector<std::int64_t> ids_of(const std::vector<Record>& records, IdOf id_of) {
    std::vector<std::int64_t> ids;
    for (const auto& r : records) ids.push_back(id_of(r));
    return ids;
}

class RepositoryConformance : public BackendFixture {
protected:
    AccountRepository& accounts() { return backend_->accounts(); }
    ProxyRepository& proxies() { return backend_->proxies(); }
    SessionRepository& sessions() { return backend_->sessions(); }
    SecretRepository& secrets() { return backend_->secrets(); }

    void insert_accounts(std::initializer_list<AccountRecord> records) {
        for (const AccountRecord& r : records) GK_EXPECT_OK(accounts().insert(r));
    }

    /// Runs a COUNT(*)-style query straight against the backend's database.
    std::int64_t count(std::string_view sql, std::initializer_list<Param> params = {}) {
        auto lease = backend_->database().connection();
        EXPECT_TRUE(lease.has_value());
        if (!lease) return -1;
        std::int64_t value = -1;
        Status s = query(**lease, sql, params, [&](const Row& r) -> Status {
            value = r.i64(0);
            return {};
        });
        EXPECT_TRUE(s.has_value()) << sql << ": " << (s ? "" : s.error().message);
        return value;
    }

    int assigned_to(std::int64_t proxy_id) {
        auto p = proxies().get(proxy_id);
        EXPECT_TRUE(p.has_value());
        return p ? p->proxy.assigned_accounts : -1;
    }
};

// --- accounts ------------------------------------------------------------------

TEST_P(RepositoryConformance, AccountInsertAndGetRoundTrip) {
    AccountRecord rec = make_account(101, "alice.one", {"scrape", "eu:west", "scrape", "a-team"});
    rec.account.email = "alice@example.com";
    rec.account.status = AccountStatus::cooldown;
    rec.account.status_reason = "imported";
    rec.account.cooldown_until = at(3600);
    rec.account.created_at = at(10);
    rec.account.updated_at = at(20);
    rec.totp_envelope = "v1:old:totp-101";
    GK_ASSERT_OK(accounts().insert(rec));

    GK_ASSERT_OK_AND_ASSIGN(AccountRecord got, accounts().get(101));
    const Account& a = got.account;
    EXPECT_EQ(a.id, 101);
    EXPECT_EQ(a.username, "alice.one");
    EXPECT_EQ(a.email, std::optional<std::string>("alice@example.com"));
    EXPECT_EQ(a.labels, (std::vector<std::string>{"a-team", "eu:west", "scrape"}));  // sorted, unique
    EXPECT_EQ(a.status, AccountStatus::cooldown);
    EXPECT_EQ(a.status_reason, "imported");
    EXPECT_EQ(a.cooldown_until, std::optional<Timestamp>(at(3600)));
    EXPECT_EQ(a.proxy_id, std::nullopt);
    EXPECT_TRUE(a.has_totp_seed);
    EXPECT_EQ(a.created_at, at(10));
    EXPECT_EQ(a.updated_at, at(20));
    EXPECT_EQ(got.password_envelope, "v1:old:password-101");
    EXPECT_EQ(got.totp_envelope, std::optional<std::string>("v1:old:totp-101"));

    GK_ASSERT_OK_AND_ASSIGN(AccountRecord by_name, accounts().get_by_username("alice.one"));
    EXPECT_EQ(by_name.account.id, 101);
    EXPECT_EQ(by_name.account.labels, a.labels);

    // A minimal account: no email, no TOTP, no labels.
    GK_ASSERT_OK(accounts().insert(make_account(102, "bob")));
    GK_ASSERT_OK_AND_ASSIGN(AccountRecord bob, accounts().get(102));
    EXPECT_EQ(bob.account.email, std::nullopt);
    EXPECT_FALSE(bob.account.has_totp_seed);
    EXPECT_EQ(bob.totp_envelope, std::nullopt);
    EXPECT_TRUE(bob.account.labels.empty());
}

TEST_P(RepositoryConformance, AccountInsertRecordsCreatedHistoryEntry) {
    AccountRecord rec = make_account(7, "carol", {}, AccountStatus::paused);
    rec.account.created_at = at(5);
    GK_ASSERT_OK(accounts().insert(rec));
    GK_ASSERT_OK_AND_ASSIGN(auto history, accounts().history(7, 10));
    ASSERT_EQ(history.size(), 1u);
    EXPECT_EQ(history[0].account_id, 7);
    EXPECT_EQ(history[0].from, AccountStatus::paused);
    EXPECT_EQ(history[0].to, AccountStatus::paused);
    EXPECT_EQ(history[0].reason, "created");
    EXPECT_EQ(history[0].at, at(5));
}

TEST_P(RepositoryConformance, AccountNotFound) {
    auto by_id = accounts().get(42);
    GK_EXPECT_CODE(by_id, ErrorCode::not_found);
    if (!by_id) {
        EXPECT_NE(by_id.error().message.find("account 42 not found"), std::string::npos) << by_id.error().message;
    }
    GK_EXPECT_CODE(accounts().get_by_username("nobody"), ErrorCode::not_found);
    GK_EXPECT_CODE(accounts().update(make_account(42, "nobody")), ErrorCode::not_found);
    GK_EXPECT_CODE(accounts().remove(42), ErrorCode::not_found);
    GK_EXPECT_CODE(accounts().history(42, 10), ErrorCode::not_found);
    GK_EXPECT_CODE(accounts().change_status(StatusChange{42, AccountStatus::active, AccountStatus::paused, "x",
                                                         std::nullopt, at(1)}),
                   ErrorCode::not_found);
}

TEST_P(RepositoryConformance, AccountDuplicatesAreConflictsAndLeaveNothingBehind) {
    GK_ASSERT_OK(accounts().insert(make_account(1, "dave")));

    auto same_name = accounts().insert(make_account(2, "dave", {"x"}));
    GK_EXPECT_CODE(same_name, ErrorCode::conflict);
    if (!same_name) {
        EXPECT_EQ(same_name.error().details, "username");
        EXPECT_EQ(same_name.error().message.find("v1:old"), std::string::npos) << "secret in message";
    }
    auto same_id = accounts().insert(make_account(1, "erin", {"x"}));
    GK_EXPECT_CODE(same_id, ErrorCode::conflict);
    if (!same_id) {
        EXPECT_EQ(same_id.error().details, "id");
    }

    // The failed inserts ran in transactions: no stray labels or history.
    EXPECT_EQ(count("SELECT COUNT(*) FROM account_labels"), 0);
    EXPECT_EQ(count("SELECT COUNT(*) FROM account_status_history"), 1);
    EXPECT_EQ(count("SELECT COUNT(*) FROM accounts"), 1);
}

TEST_P(RepositoryConformance, AccountUpdateRewritesFieldsButNotStatusOrProxy) {
    AccountRecord rec = make_account(5, "frank", {"old", "keep"});
    rec.account.email = "frank@example.com";
    rec.totp_envelope = "v1:old:totp-5";
    GK_ASSERT_OK(accounts().insert(rec));
    GK_ASSERT_OK(proxies().insert(make_proxy(900, "10.0.0.1")));
    GK_ASSERT_OK(proxies().assign_to(5, 900, at(1)));

    AccountRecord changed = rec;
    changed.account.username = "frank.two";
    changed.account.email = std::nullopt;
    changed.account.labels = {"new", "keep"};
    changed.account.status = AccountStatus::disabled;  // ignored by update
    changed.account.proxy_id = std::nullopt;           // ignored by update
    changed.account.updated_at = at(50);
    changed.password_envelope = "v1:new:password-5";
    changed.totp_envelope = std::nullopt;
    GK_ASSERT_OK(accounts().update(changed));

    GK_ASSERT_OK_AND_ASSIGN(AccountRecord got, accounts().get(5));
    EXPECT_EQ(got.account.username, "frank.two");
    EXPECT_EQ(got.account.email, std::nullopt);
    EXPECT_EQ(got.account.labels, (std::vector<std::string>{"keep", "new"}));
    EXPECT_EQ(got.account.status, AccountStatus::active);
    EXPECT_EQ(got.account.proxy_id, std::optional<std::int64_t>(900));
    EXPECT_EQ(got.account.updated_at, at(50));
    EXPECT_EQ(got.account.created_at, at(0));
    EXPECT_EQ(got.password_envelope, "v1:new:password-5");
    EXPECT_FALSE(got.account.has_totp_seed);
    GK_EXPECT_CODE(accounts().get_by_username("frank"), ErrorCode::not_found);
}

TEST_P(RepositoryConformance, AccountUpdateToTakenUsernameConflictsAndRollsBack) {
    insert_accounts({make_account(1, "gina", {"a"}), make_account(2, "hank", {"b"})});
    AccountRecord changed = make_account(2, "gina", {"c", "d"});
    auto r = accounts().update(changed);
    GK_EXPECT_CODE(r, ErrorCode::conflict);
    if (!r) {
        EXPECT_EQ(r.error().details, "username");
    }
    GK_ASSERT_OK_AND_ASSIGN(AccountRecord hank, accounts().get(2));
    EXPECT_EQ(hank.account.username, "hank");
    EXPECT_EQ(hank.account.labels, std::vector<std::string>{"b"});
}

TEST_P(RepositoryConformance, AccountRemoveCascadesLabelsSessionAndHistory) {
    insert_accounts({make_account(1, "ivan", {"x", "y"}), make_account(2, "jane", {"x"})});
    GK_ASSERT_OK(accounts().change_status(
        StatusChange{1, AccountStatus::active, AccountStatus::paused, "operator", std::nullopt, at(1)}));
    GK_ASSERT_OK(sessions().upsert(make_session(1, at(2))));
    GK_ASSERT_OK(sessions().upsert(make_session(2, at(2))));

    GK_ASSERT_OK(accounts().remove(1));
    GK_EXPECT_CODE(accounts().get(1), ErrorCode::not_found);
    GK_EXPECT_CODE(sessions().get(1), ErrorCode::not_found);
    EXPECT_EQ(count("SELECT COUNT(*) FROM account_labels WHERE account_id = $1", {1}), 0);
    EXPECT_EQ(count("SELECT COUNT(*) FROM account_status_history WHERE account_id = $1", {1}), 0);
    EXPECT_EQ(count("SELECT COUNT(*) FROM sessions WHERE account_id = $1", {1}), 0);
    GK_EXPECT_CODE(accounts().remove(1), ErrorCode::not_found);

    // The other account is untouched.
    GK_ASSERT_OK_AND_ASSIGN(AccountRecord jane, accounts().get(2));
    EXPECT_EQ(jane.account.labels, std::vector<std::string>{"x"});
    GK_EXPECT_OK(sessions().get(2));
    EXPECT_EQ(count("SELECT COUNT(*) FROM account_status_history WHERE account_id = $1", {2}), 1);
}

TEST_P(RepositoryConformance, AccountListFiltersByStatusAndLabel) {
    insert_accounts({make_account(1, "a1", {"eu", "scrape"}), make_account(2, "a2", {"us"}),
                     make_account(3, "a3", {"eu"}, AccountStatus::paused),
                     make_account(4, "a4", {}, AccountStatus::paused), make_account(5, "a5", {"eu"})});
    auto ids = [](const Page<AccountRecord>& p) {
        return ids_of(p.items, [](const AccountRecord& r) { return r.account.id; });
    };

    AccountFilter all;
    GK_ASSERT_OK_AND_ASSIGN(auto page, accounts().list(all));
    EXPECT_EQ(ids(page), (std::vector<std::int64_t>{1, 2, 3, 4, 5}));
    EXPECT_EQ(page.next_after, std::nullopt);
    EXPECT_EQ(page.items[0].account.labels, (std::vector<std::string>{"eu", "scrape"}));
    EXPECT_EQ(page.items[0].password_envelope, "v1:old:password-1");

    AccountFilter paused;
    paused.status = AccountStatus::paused;
    GK_ASSERT_OK_AND_ASSIGN(page, accounts().list(paused));
    EXPECT_EQ(ids(page), (std::vector<std::int64_t>{3, 4}));

    AccountFilter eu;
    eu.label = "eu";
    GK_ASSERT_OK_AND_ASSIGN(page, accounts().list(eu));
    EXPECT_EQ(ids(page), (std::vector<std::int64_t>{1, 3, 5}));
    // A label filter selects accounts, it does not trim their labels.
    EXPECT_EQ(page.items[0].account.labels, (std::vector<std::string>{"eu", "scrape"}));

    AccountFilter active_eu = eu;
    active_eu.status = AccountStatus::active;
    GK_ASSERT_OK_AND_ASSIGN(page, accounts().list(active_eu));
    EXPECT_EQ(ids(page), (std::vector<std::int64_t>{1, 5}));

    AccountFilter none;
    none.label = "nowhere";
    GK_ASSERT_OK_AND_ASSIGN(page, accounts().list(none));
    EXPECT_TRUE(page.items.empty());
    EXPECT_EQ(page.next_after, std::nullopt);
}

TEST_P(RepositoryConformance, AccountKeysetPaginationAcrossThreePages) {
    // Ids inserted out of order and with gaps; every fourth account is paused.
    std::vector<std::int64_t> ids(25);
    for (std::size_t i = 0; i < ids.size(); ++i) ids[i] = 1000 + static_cast<std::int64_t>(i) * 7;
    std::vector<std::int64_t> shuffled = ids;
    std::shuffle(shuffled.begin(), shuffled.end(), std::mt19937(42));
    for (std::int64_t id : shuffled) {
        GK_ASSERT_OK(accounts().insert(make_account(id, "user" + std::to_string(id), {"l" + std::to_string(id % 3)})));
    }

    AccountFilter filter;
    filter.limit = 10;
    std::vector<std::int64_t> seen;
    std::vector<std::size_t> page_sizes;
    for (int pages = 0; pages < 10; ++pages) {
        GK_ASSERT_OK_AND_ASSIGN(auto page, accounts().list(filter));
        page_sizes.push_back(page.items.size());
        for (const auto& r : page.items) {
            seen.push_back(r.account.id);
            EXPECT_EQ(r.account.labels, std::vector<std::string>{"l" + std::to_string(r.account.id % 3)});
        }
        if (!page.next_after) break;
        EXPECT_EQ(*page.next_after, page.items.back().account.id);
        filter.after = page.next_after;
    }
    EXPECT_EQ(page_sizes, (std::vector<std::size_t>{10, 10, 5}));
    EXPECT_EQ(seen, ids);  // ordered, no duplicates, no gaps

    // A last page that is exactly full does not point at an empty one.
    AccountFilter exact;
    exact.limit = 5;
    exact.after = ids[19];
    GK_ASSERT_OK_AND_ASSIGN(auto last, accounts().list(exact));
    EXPECT_EQ(last.items.size(), 5u);
    EXPECT_EQ(last.next_after, std::nullopt);

    // Filters combine with the cursor.
    AccountFilter labelled;
    labelled.label = "l0";
    labelled.limit = 3;
    std::vector<std::int64_t> expected;
    for (std::int64_t id : ids) {
        if (id % 3 == 0) expected.push_back(id);
    }
    seen.clear();
    for (int pages = 0; pages < 10; ++pages) {
        GK_ASSERT_OK_AND_ASSIGN(auto page, accounts().list(labelled));
        for (const auto& r : page.items) seen.push_back(r.account.id);
        if (!page.next_after) break;
        labelled.after = page.next_after;
    }
    EXPECT_EQ(seen, expected);
}

TEST_P(RepositoryConformance, ListingLimitsAreBounded) {
    GK_ASSERT_OK(accounts().insert(make_account(1, "kim")));
    for (std::size_t bad : {std::size_t{0}, std::size_t{1001}}) {
        AccountFilter af;
        af.limit = bad;
        auto r = accounts().list(af);
        GK_EXPECT_CODE(r, ErrorCode::invalid_argument);
        if (!r) {
            EXPECT_EQ(r.error().details, "limit");
        }
        ProxyFilter pf;
        pf.limit = bad;
        GK_EXPECT_CODE(proxies().list(pf), ErrorCode::invalid_argument);
        SessionFilter sf;
        sf.limit = bad;
        GK_EXPECT_CODE(sessions().list(sf), ErrorCode::invalid_argument);
        GK_EXPECT_CODE(accounts().history(1, bad), ErrorCode::invalid_argument);
    }
    for (std::size_t good : {std::size_t{1}, std::size_t{1000}}) {
        AccountFilter af;
        af.limit = good;
        GK_EXPECT_OK(accounts().list(af));
        ProxyFilter pf;
        pf.limit = good;
        GK_EXPECT_OK(proxies().list(pf));
        SessionFilter sf;
        sf.limit = good;
        GK_EXPECT_OK(sessions().list(sf));
        GK_EXPECT_OK(accounts().history(1, good));
    }
}

TEST_P(RepositoryConformance, ChangeStatusIsCompareAndSetWithHistory) {
    GK_ASSERT_OK(accounts().insert(make_account(1, "lena")));
    GK_ASSERT_OK(accounts().change_status(
        StatusChange{1, AccountStatus::active, AccountStatus::cooldown, "429 from /api/v1/feed", at(600), at(10)}));

    GK_ASSERT_OK_AND_ASSIGN(AccountRecord got, accounts().get(1));
    EXPECT_EQ(got.account.status, AccountStatus::cooldown);
    EXPECT_EQ(got.account.status_reason, "429 from /api/v1/feed");
    EXPECT_EQ(got.account.cooldown_until, std::optional<Timestamp>(at(600)));
    EXPECT_EQ(got.account.updated_at, at(10));

    // A second writer still believing the account is active loses.
    auto stale = accounts().change_status(
        StatusChange{1, AccountStatus::active, AccountStatus::disabled, "operator", std::nullopt, at(11)});
    GK_EXPECT_CODE(stale, ErrorCode::conflict);
    GK_ASSERT_OK_AND_ASSIGN(got, accounts().get(1));
    EXPECT_EQ(got.account.status, AccountStatus::cooldown);

    // Leaving cooldown clears cooldown_until.
    GK_ASSERT_OK(accounts().change_status(
        StatusChange{1, AccountStatus::cooldown, AccountStatus::active, "cooldown over", std::nullopt, at(700)}));
    GK_ASSERT_OK_AND_ASSIGN(got, accounts().get(1));
    EXPECT_EQ(got.account.status, AccountStatus::active);
    EXPECT_EQ(got.account.cooldown_until, std::nullopt);

    GK_ASSERT_OK_AND_ASSIGN(auto history, accounts().history(1, 100));
    ASSERT_EQ(history.size(), 3u);  // the stale change left no trace
    EXPECT_EQ(history[0].from, AccountStatus::cooldown);
    EXPECT_EQ(history[0].to, AccountStatus::active);
    EXPECT_EQ(history[0].reason, "cooldown over");
    EXPECT_EQ(history[0].at, at(700));
    EXPECT_EQ(history[0].until, std::nullopt);
    EXPECT_EQ(history[1].from, AccountStatus::active);
    EXPECT_EQ(history[1].to, AccountStatus::cooldown);
    EXPECT_EQ(history[1].until, std::optional<Timestamp>(at(600)));
    EXPECT_EQ(history[2].reason, "created");

    GK_ASSERT_OK_AND_ASSIGN(auto newest, accounts().history(1, 2));
    ASSERT_EQ(newest.size(), 2u);
    EXPECT_EQ(newest[0].reason, "cooldown over");
    EXPECT_EQ(newest[1].to, AccountStatus::cooldown);
}

TEST_P(RepositoryConformance, EveryStatusCanBeStored) {
    GK_ASSERT_OK(accounts().insert(make_account(1, "mona")));
    AccountStatus current = AccountStatus::active;
    std::int64_t t = 1;
    for (AccountStatus next : kAllStatuses) {
        GK_ASSERT_OK(accounts().change_status(StatusChange{1, current, next, "walk", std::nullopt, at(t++)}));
        GK_ASSERT_OK_AND_ASSIGN(AccountRecord got, accounts().get(1));
        EXPECT_EQ(got.account.status, next);
        AccountFilter filter;
        filter.status = next;
        GK_ASSERT_OK_AND_ASSIGN(auto page, accounts().list(filter));
        EXPECT_EQ(page.items.size(), 1u);
        current = next;
    }
}

TEST_P(RepositoryConformance, ConcurrentStatusChangesFromSameStateHaveOneWinner) {
    GK_ASSERT_OK(accounts().insert(make_account(1, "nina")));
    std::atomic<int> won{0}, conflicted{0};
    run_concurrently(8, [&](int k) {
        auto r = accounts().change_status(StatusChange{1, AccountStatus::active, AccountStatus::paused,
                                                       "racer " + std::to_string(k), std::nullopt, at(k)});
        if (r) {
            ++won;
        } else if (r.error().code == ErrorCode::conflict) {
            ++conflicted;
        } else {
            ADD_FAILURE() << r.error().to_string();
        }
    });
    EXPECT_EQ(won.load(), 1);
    EXPECT_EQ(conflicted.load(), 7);
    GK_ASSERT_OK_AND_ASSIGN(auto history, accounts().history(1, 100));
    EXPECT_EQ(history.size(), 2u);
}

// --- proxies -------------------------------------------------------------------

TEST_P(RepositoryConformance, ProxyInsertAndGetRoundTrip) {
    ProxyRecord rec = make_proxy(10, "proxy.example.net", 5, "bob", 1080);
    rec.proxy.scheme = ProxyScheme::socks5;
    rec.proxy.created_at = at(1);
    rec.proxy.updated_at = at(2);
    rec.password_envelope = "v1:old:proxy-10";
    GK_ASSERT_OK(proxies().insert(rec));
    GK_ASSERT_OK(proxies().insert(make_proxy(11, "10.1.1.1")));

    GK_ASSERT_OK_AND_ASSIGN(ProxyRecord got, proxies().get(10));
    const Proxy& p = got.proxy;
    EXPECT_EQ(p.id, 10);
    EXPECT_EQ(p.scheme, ProxyScheme::socks5);
    EXPECT_EQ(p.host, "proxy.example.net");
    EXPECT_EQ(p.port, 1080);
    EXPECT_EQ(p.username, std::optional<std::string>("bob"));
    EXPECT_TRUE(p.has_password);
    EXPECT_EQ(got.password_envelope, std::optional<std::string>("v1:old:proxy-10"));
    EXPECT_EQ(p.health, ProxyHealth::healthy);
    EXPECT_EQ(p.failure_count, 0);
    EXPECT_EQ(p.max_accounts, 5);
    EXPECT_EQ(p.assigned_accounts, 0);
    EXPECT_EQ(p.created_at, at(1));
    EXPECT_EQ(p.updated_at, at(2));
    EXPECT_TRUE(p.url.empty());  // the service formats it

    GK_ASSERT_OK_AND_ASSIGN(ProxyRecord plain, proxies().get(11));
    EXPECT_EQ(plain.proxy.username, std::nullopt);
    EXPECT_FALSE(plain.proxy.has_password);
    EXPECT_EQ(plain.password_envelope, std::nullopt);

    auto missing = proxies().get(99);
    GK_EXPECT_CODE(missing, ErrorCode::not_found);
    if (!missing) {
        EXPECT_NE(missing.error().message.find("proxy 99 not found"), std::string::npos);
    }
}

TEST_P(RepositoryConformance, ProxyDuplicatesAreConflicts) {
    ProxyRecord with_user = make_proxy(1, "h.example", 3, "user");
    with_user.password_envelope = "v1:old:secret-proxy-password";
    GK_ASSERT_OK(proxies().insert(with_user));
    GK_ASSERT_OK(proxies().insert(make_proxy(2, "h.example")));  // same endpoint, no user

    ProxyRecord dup_user = make_proxy(3, "h.example", 3, "user");
    dup_user.password_envelope = "v1:old:secret-proxy-password";
    auto r = proxies().insert(dup_user);
    GK_EXPECT_CODE(r, ErrorCode::conflict);
    if (!r) {
        EXPECT_EQ(r.error().message.find("secret-proxy-password"), std::string::npos) << r.error().message;
        EXPECT_NE(r.error().message.find("h.example"), std::string::npos) << r.error().message;
    }
    // NULL usernames must collide too (a plain UNIQUE would let them through).
    GK_EXPECT_CODE(proxies().insert(make_proxy(4, "h.example")), ErrorCode::conflict);
    auto same_id = proxies().insert(make_proxy(1, "other.example"));
    GK_EXPECT_CODE(same_id, ErrorCode::conflict);
    if (!same_id) {
        EXPECT_EQ(same_id.error().details, "id");
    }

    // Any differing part makes a different endpoint.
    GK_EXPECT_OK(proxies().insert(make_proxy(5, "h.example", 3, "other-user")));
    GK_EXPECT_OK(proxies().insert(make_proxy(6, "h.example", 3, std::nullopt, 8081)));
    ProxyRecord https = make_proxy(7, "h.example");
    https.proxy.scheme = ProxyScheme::https;
    GK_EXPECT_OK(proxies().insert(https));
    EXPECT_EQ(count("SELECT COUNT(*) FROM proxies"), 5);
}

TEST_P(RepositoryConformance, ProxyListFiltersByHealthAndPages) {
    for (std::int64_t id = 1; id <= 7; ++id) {
        GK_ASSERT_OK(proxies().insert(make_proxy(id, "p" + std::to_string(id) + ".example")));
    }
    GK_ASSERT_OK(proxies().set_health(3, ProxyHealth::unhealthy, at(1)));
    GK_ASSERT_OK(proxies().set_health(6, ProxyHealth::unhealthy, at(1)));
    auto ids = [](const Page<ProxyRecord>& p) {
        return ids_of(p.items, [](const ProxyRecord& r) { return r.proxy.id; });
    };

    ProxyFilter unhealthy;
    unhealthy.health = ProxyHealth::unhealthy;
    GK_ASSERT_OK_AND_ASSIGN(auto page, proxies().list(unhealthy));
    EXPECT_EQ(ids(page), (std::vector<std::int64_t>{3, 6}));

    ProxyFilter healthy;
    healthy.health = ProxyHealth::healthy;
    healthy.limit = 2;
    std::vector<std::int64_t> seen;
    for (int pages = 0; pages < 10; ++pages) {
        GK_ASSERT_OK_AND_ASSIGN(page, proxies().list(healthy));
        for (auto id : ids(page)) seen.push_back(id);
        if (!page.next_after) break;
        healthy.after = page.next_after;
    }
    EXPECT_EQ(seen, (std::vector<std::int64_t>{1, 2, 4, 5, 7}));
}

TEST_P(RepositoryConformance, AssignLeastLoadedPicksLeastLoadedAndIsSticky) {
    GK_ASSERT_OK(proxies().insert(make_proxy(1, "p1", 3)));
    GK_ASSERT_OK(proxies().insert(make_proxy(2, "p2", 3)));
    for (std::int64_t id = 10; id < 14; ++id) {
        GK_ASSERT_OK(accounts().insert(make_account(id, "u" + std::to_string(id))));
    }

    // Ties go to the lowest id, then load balances.
    GK_ASSERT_OK_AND_ASSIGN(auto first, proxies().assign_least_loaded(10, at(1)));
    EXPECT_EQ(first, 1);
    GK_ASSERT_OK_AND_ASSIGN(auto second, proxies().assign_least_loaded(11, at(1)));
    EXPECT_EQ(second, 2);
    GK_ASSERT_OK_AND_ASSIGN(auto third, proxies().assign_least_loaded(12, at(1)));
    EXPECT_EQ(third, 1);
    GK_ASSERT_OK_AND_ASSIGN(auto fourth, proxies().assign_least_loaded(13, at(1)));
    EXPECT_EQ(fourth, 2);

    // Sticky: asking again keeps the proxy, even when another is emptier now.
    GK_ASSERT_OK(proxies().unassign(11, at(2)));
    GK_ASSERT_OK(proxies().unassign(13, at(2)));
    GK_ASSERT_OK_AND_ASSIGN(auto again, proxies().assign_least_loaded(10, at(3)));
    EXPECT_EQ(again, 1);
    EXPECT_EQ(assigned_to(1), 2);
    EXPECT_EQ(assigned_to(2), 0);

    GK_ASSERT_OK_AND_ASSIGN(AccountRecord acc, accounts().get(10));
    EXPECT_EQ(acc.account.proxy_id, std::optional<std::int64_t>(1));
    EXPECT_EQ(acc.account.updated_at, at(1));
}

TEST_P(RepositoryConformance, AssignLeastLoadedSkipsUnhealthyAndFullProxies) {
    GK_ASSERT_OK(proxies().insert(make_proxy(1, "sick", 10)));
    GK_ASSERT_OK(proxies().insert(make_proxy(2, "small", 1)));
    GK_ASSERT_OK(proxies().insert(make_proxy(3, "big", 2)));
    GK_ASSERT_OK(proxies().set_health(1, ProxyHealth::unhealthy, at(0)));
    for (std::int64_t id = 10; id < 15; ++id) {
        GK_ASSERT_OK(accounts().insert(make_account(id, "u" + std::to_string(id))));
    }

    GK_ASSERT_OK_AND_ASSIGN(auto a, proxies().assign_least_loaded(10, at(1)));
    EXPECT_EQ(a, 2);
    GK_ASSERT_OK_AND_ASSIGN(auto b, proxies().assign_least_loaded(11, at(1)));
    EXPECT_EQ(b, 3);  // 2 is full
    GK_ASSERT_OK_AND_ASSIGN(auto c, proxies().assign_least_loaded(12, at(1)));
    EXPECT_EQ(c, 3);
    auto none = proxies().assign_least_loaded(13, at(1));
    GK_EXPECT_CODE(none, ErrorCode::unavailable);
    GK_ASSERT_OK_AND_ASSIGN(AccountRecord left_out, accounts().get(13));
    EXPECT_EQ(left_out.account.proxy_id, std::nullopt);

    GK_EXPECT_CODE(proxies().assign_least_loaded(999, at(1)), ErrorCode::not_found);

    // An account whose proxy turned unhealthy moves to a healthy one.
    GK_ASSERT_OK(proxies().set_max_accounts(2, 2, at(2)));
    GK_ASSERT_OK(proxies().set_health(3, ProxyHealth::unhealthy, at(2)));
    GK_ASSERT_OK_AND_ASSIGN(auto moved, proxies().assign_least_loaded(11, at(3)));
    EXPECT_EQ(moved, 2);
    EXPECT_EQ(assigned_to(2), 2);
    EXPECT_EQ(assigned_to(3), 1);
}

TEST_P(RepositoryConformance, AssignToRespectsCapacity) {
    GK_ASSERT_OK(proxies().insert(make_proxy(1, "one-slot", 1)));
    GK_ASSERT_OK(proxies().insert(make_proxy(2, "other", 3)));
    insert_accounts({make_account(10, "x10"), make_account(11, "x11")});

    GK_ASSERT_OK(proxies().assign_to(10, 1, at(1)));
    // Re-assigning the account that is already there does not count twice.
    GK_EXPECT_OK(proxies().assign_to(10, 1, at(2)));
    auto full = proxies().assign_to(11, 1, at(2));
    GK_EXPECT_CODE(full, ErrorCode::failed_precondition);
    if (!full) {
        EXPECT_NE(full.error().message.find("full"), std::string::npos) << full.error().message;
    }

    // Operator override also works on an unhealthy proxy.
    GK_ASSERT_OK(proxies().set_health(2, ProxyHealth::unhealthy, at(3)));
    GK_EXPECT_OK(proxies().assign_to(11, 2, at(3)));
    // Moving an account frees its old slot.
    GK_EXPECT_OK(proxies().assign_to(10, 2, at(4)));
    EXPECT_EQ(assigned_to(1), 0);
    EXPECT_EQ(assigned_to(2), 2);

    GK_EXPECT_CODE(proxies().assign_to(10, 99, at(5)), ErrorCode::not_found);
    GK_EXPECT_CODE(proxies().assign_to(99, 1, at(5)), ErrorCode::not_found);
    GK_EXPECT_CODE(proxies().unassign(99, at(5)), ErrorCode::not_found);

    GK_ASSERT_OK(proxies().unassign(10, at(6)));
    EXPECT_EQ(assigned_to(2), 1);
    GK_ASSERT_OK_AND_ASSIGN(AccountRecord acc, accounts().get(10));
    EXPECT_EQ(acc.account.proxy_id, std::nullopt);
    EXPECT_EQ(acc.account.updated_at, at(6));
}

TEST_P(RepositoryConformance, ProxyRemoveRefusesWhileAccountsAreAssigned) {
    GK_ASSERT_OK(proxies().insert(make_proxy(1, "busy")));
    GK_ASSERT_OK(accounts().insert(make_account(10, "y10")));
    GK_ASSERT_OK(proxies().assign_to(10, 1, at(1)));

    GK_EXPECT_CODE(proxies().remove(1), ErrorCode::failed_precondition);
    GK_EXPECT_OK(proxies().get(1));

    GK_ASSERT_OK(proxies().unassign(10, at(2)));
    GK_EXPECT_OK(proxies().remove(1));
    GK_EXPECT_CODE(proxies().get(1), ErrorCode::not_found);
    GK_EXPECT_CODE(proxies().remove(1), ErrorCode::not_found);
}

TEST_P(RepositoryConformance, ProxyHealthFailuresAndCapacity) {
    GK_ASSERT_OK(proxies().insert(make_proxy(1, "flaky", 3)));
    GK_ASSERT_OK(proxies().record_failure(1, 3, at(1)));
    GK_ASSERT_OK(proxies().record_failure(1, 3, at(2)));
    GK_ASSERT_OK_AND_ASSIGN(ProxyRecord p, proxies().get(1));
    EXPECT_EQ(p.proxy.failure_count, 2);
    EXPECT_EQ(p.proxy.health, ProxyHealth::healthy);
    EXPECT_EQ(p.proxy.updated_at, at(2));

    GK_ASSERT_OK(proxies().record_failure(1, 3, at(3)));
    GK_ASSERT_OK_AND_ASSIGN(p, proxies().get(1));
    EXPECT_EQ(p.proxy.failure_count, 3);
    EXPECT_EQ(p.proxy.health, ProxyHealth::unhealthy);

    // Marking unhealthy keeps the count; healthy resets it.
    GK_ASSERT_OK(proxies().set_health(1, ProxyHealth::unhealthy, at(4)));
    GK_ASSERT_OK_AND_ASSIGN(p, proxies().get(1));
    EXPECT_EQ(p.proxy.failure_count, 3);
    GK_ASSERT_OK(proxies().set_health(1, ProxyHealth::healthy, at(5)));
    GK_ASSERT_OK_AND_ASSIGN(p, proxies().get(1));
    EXPECT_EQ(p.proxy.failure_count, 0);
    EXPECT_EQ(p.proxy.health, ProxyHealth::healthy);
    EXPECT_EQ(p.proxy.updated_at, at(5));

    GK_ASSERT_OK(proxies().set_max_accounts(1, 7, at(6)));
    GK_ASSERT_OK_AND_ASSIGN(p, proxies().get(1));
    EXPECT_EQ(p.proxy.max_accounts, 7);
    EXPECT_EQ(p.proxy.updated_at, at(6));

    GK_EXPECT_CODE(proxies().record_failure(9, 3, at(7)), ErrorCode::not_found);
    GK_EXPECT_CODE(proxies().set_health(9, ProxyHealth::healthy, at(7)), ErrorCode::not_found);
    GK_EXPECT_CODE(proxies().set_max_accounts(9, 2, at(7)), ErrorCode::not_found);
}

TEST_P(RepositoryConformance, ConcurrentFailureReportsAreAllCounted) {
    GK_ASSERT_OK(proxies().insert(make_proxy(1, "racy")));
    run_concurrently(8, [&](int) {
        for (int i = 0; i < 5; ++i) GK_EXPECT_OK(proxies().record_failure(1, 1000, at(i)));
    });
    GK_ASSERT_OK_AND_ASSIGN(ProxyRecord p, proxies().get(1));
    EXPECT_EQ(p.proxy.failure_count, 40);
}

TEST_P(RepositoryConformance, ConcurrentAssignmentNeverExceedsCapacity) {
    // Each round adds 2 proxies × 2 slots and lets 8 new accounts race for
    // them (older proxies are full by then). Rounds repeat the race so that
    // a missing lock shows up reliably, not once in a while.
    constexpr int kRounds = 12, kThreads = 8, kProxiesPerRound = 2, kSlots = 2;
    for (int round = 0; round < kRounds; ++round) {
        std::vector<std::int64_t> round_proxies;
        for (int p = 0; p < kProxiesPerRound; ++p) {
            const std::int64_t id = 1000 + round * kProxiesPerRound + p;
            GK_ASSERT_OK(proxies().insert(make_proxy(id, "pool" + std::to_string(id), kSlots)));
            round_proxies.push_back(id);
        }
        for (int t = 0; t < kThreads; ++t) {
            const std::int64_t id = round * kThreads + t;
            GK_ASSERT_OK(accounts().insert(make_account(id, "acct" + std::to_string(id))));
        }
        std::atomic<int> assigned{0}, unavailable{0};
        run_concurrently(kThreads, [&](int t) {
            auto r = proxies().assign_least_loaded(round * kThreads + t, at(round));
            if (r) {
                ++assigned;
                EXPECT_TRUE(std::find(round_proxies.begin(), round_proxies.end(), *r) != round_proxies.end()) << *r;
            } else if (r.error().code == ErrorCode::unavailable) {
                ++unavailable;
            } else {
                ADD_FAILURE() << r.error().to_string();
            }
        });
        EXPECT_EQ(assigned.load(), kProxiesPerRound * kSlots) << "round " << round;
        EXPECT_EQ(unavailable.load(), kThreads - kProxiesPerRound * kSlots) << "round " << round;
        for (std::int64_t id : round_proxies) EXPECT_EQ(assigned_to(id), kSlots) << "proxy " << id;
    }
}

TEST_P(RepositoryConformance, ConcurrentAssignToTheLastSlotHasOneWinner) {
    constexpr int kRounds = 12, kThreads = 8;
    for (int round = 0; round < kRounds; ++round) {
        const std::int64_t proxy_id = 500 + round;
        GK_ASSERT_OK(proxies().insert(make_proxy(proxy_id, "last-slot" + std::to_string(round), 1)));
        for (int t = 0; t < kThreads; ++t) {
            const std::int64_t id = round * kThreads + t;
            GK_ASSERT_OK(accounts().insert(make_account(id, "acct" + std::to_string(id))));
        }
        std::atomic<int> won{0}, refused{0};
        run_concurrently(kThreads, [&](int t) {
            auto r = proxies().assign_to(round * kThreads + t, proxy_id, at(round));
            if (r) {
                ++won;
            } else if (r.error().code == ErrorCode::failed_precondition) {
                ++refused;
            } else {
                ADD_FAILURE() << r.error().to_string();
            }
        });
        EXPECT_EQ(won.load(), 1) << "round " << round;
        EXPECT_EQ(refused.load(), kThreads - 1) << "round " << round;
        EXPECT_EQ(assigned_to(proxy_id), 1) << "round " << round;
    }
}

// --- sessions ------------------------------------------------------------------

TEST_P(RepositoryConformance, SessionUpsertAndGetRoundTrip) {
    GK_ASSERT_OK(accounts().insert(make_account(1, "olga")));
    SessionRecord rec = make_session(1, at(30));
    GK_ASSERT_OK(sessions().upsert(rec));

    GK_ASSERT_OK_AND_ASSIGN(SessionRecord got, sessions().get(1));
    const Session& s = got.session;
    EXPECT_EQ(s.account_id, 1);
    EXPECT_EQ(s.device.user_agent, "Instagram 300.0 Android");
    EXPECT_EQ(s.device.device_id, "android-1");
    EXPECT_EQ(s.device.locale, "en_US");
    EXPECT_EQ(s.cookie_count, 3u);
    EXPECT_TRUE(s.valid);
    EXPECT_EQ(s.invalid_reason, "");
    EXPECT_EQ(s.created_at, at(0));
    EXPECT_EQ(s.last_used_at, at(30));
    EXPECT_EQ(s.expires_at, std::optional<Timestamp>(at(86'400)));
    EXPECT_EQ(got.cookies_envelope, "v1:old:cookies-1");

    // A second upsert replaces every field.
    SessionRecord replaced = make_session(1, at(40), /*valid=*/false);
    replaced.session.device = DeviceInfo{"UA 2", "dev-2", "de_DE"};
    replaced.session.cookie_count = 9;
    replaced.session.expires_at = std::nullopt;
    replaced.session.created_at = at(35);
    replaced.cookies_envelope = "v1:new:cookies-1";
    GK_ASSERT_OK(sessions().upsert(replaced));
    GK_ASSERT_OK_AND_ASSIGN(got, sessions().get(1));
    EXPECT_EQ(got.session.device.user_agent, "UA 2");
    EXPECT_EQ(got.session.device.device_id, "dev-2");
    EXPECT_EQ(got.session.device.locale, "de_DE");
    EXPECT_EQ(got.session.cookie_count, 9u);
    EXPECT_FALSE(got.session.valid);
    EXPECT_EQ(got.session.invalid_reason, "login_required");
    EXPECT_EQ(got.session.created_at, at(35));
    EXPECT_EQ(got.session.last_used_at, at(40));
    EXPECT_EQ(got.session.expires_at, std::nullopt);
    EXPECT_EQ(got.cookies_envelope, "v1:new:cookies-1");
    EXPECT_EQ(count("SELECT COUNT(*) FROM sessions"), 1);

    auto orphan = sessions().upsert(make_session(77, at(1)));
    GK_EXPECT_CODE(orphan, ErrorCode::not_found);
    if (!orphan) {
        EXPECT_NE(orphan.error().message.find("account 77"), std::string::npos) << orphan.error().message;
    }
    GK_EXPECT_CODE(sessions().get(77), ErrorCode::not_found);
}

TEST_P(RepositoryConformance, SessionInvalidateAndTouch) {
    GK_ASSERT_OK(accounts().insert(make_account(1, "pia")));
    GK_ASSERT_OK(sessions().upsert(make_session(1, at(10))));

    GK_ASSERT_OK(sessions().touch(1, at(20)));
    GK_ASSERT_OK_AND_ASSIGN(SessionRecord got, sessions().get(1));
    EXPECT_EQ(got.session.last_used_at, at(20));
    EXPECT_TRUE(got.session.valid);

    GK_ASSERT_OK(sessions().invalidate(1, "login_required"));
    GK_ASSERT_OK_AND_ASSIGN(got, sessions().get(1));
    EXPECT_FALSE(got.session.valid);
    EXPECT_EQ(got.session.invalid_reason, "login_required");
    EXPECT_EQ(got.cookies_envelope, "v1:old:cookies-1");  // the jar stays for inspection

    GK_ASSERT_OK(accounts().insert(make_account(2, "quinn")));  // an account without a session
    GK_EXPECT_CODE(sessions().touch(2, at(1)), ErrorCode::not_found);
    GK_EXPECT_CODE(sessions().invalidate(2, "x"), ErrorCode::not_found);
    GK_EXPECT_CODE(sessions().touch(99, at(1)), ErrorCode::not_found);
}

TEST_P(RepositoryConformance, SessionListValidOnlyAndPagination) {
    for (std::int64_t id = 1; id <= 9; ++id) {
        GK_ASSERT_OK(accounts().insert(make_account(id, "s" + std::to_string(id))));
        GK_ASSERT_OK(sessions().upsert(make_session(id, at(id), /*valid=*/id % 3 != 0)));
    }
    auto collect = [&](SessionFilter filter) {
        std::vector<std::int64_t> seen;
        std::vector<std::size_t> sizes;
        for (int pages = 0; pages < 20; ++pages) {
            auto page = sessions().list(filter);
            EXPECT_TRUE(page.has_value());
            if (!page) break;
            sizes.push_back(page->items.size());
            for (const auto& r : page->items) seen.push_back(r.session.account_id);
            if (!page->next_after) break;
            filter.after = page->next_after;
        }
        return std::pair(seen, sizes);
    };
    SessionFilter all;
    all.limit = 4;
    auto [all_ids, all_sizes] = collect(all);
    EXPECT_EQ(all_ids, (std::vector<std::int64_t>{1, 2, 3, 4, 5, 6, 7, 8, 9}));
    EXPECT_EQ(all_sizes, (std::vector<std::size_t>{4, 4, 1}));

    SessionFilter valid = all;
    valid.valid_only = true;
    auto [valid_ids, valid_sizes] = collect(valid);
    EXPECT_EQ(valid_ids, (std::vector<std::int64_t>{1, 2, 4, 5, 7, 8}));
    EXPECT_EQ(valid_sizes, (std::vector<std::size_t>{4, 2}));
}

TEST_P(RepositoryConformance, CheckoutCandidatesAreActiveValidLeastRecentlyUsed) {
    // id: status, session (last used, valid)
    insert_accounts({make_account(1, "c1"), make_account(2, "c2"), make_account(3, "c3"),
                     make_account(4, "c4", {}, AccountStatus::paused), make_account(5, "c5"),
                     make_account(6, "c6", {}, AccountStatus::cooldown), make_account(7, "c7")});
    GK_ASSERT_OK(sessions().upsert(make_session(1, at(50))));
    GK_ASSERT_OK(sessions().upsert(make_session(2, at(10))));
    GK_ASSERT_OK(sessions().upsert(make_session(3, at(10))));            // tie with 2: lower id first
    GK_ASSERT_OK(sessions().upsert(make_session(4, at(1))));             // paused: excluded
    GK_ASSERT_OK(sessions().upsert(make_session(5, at(2), false)));      // invalid session: excluded
    GK_ASSERT_OK(sessions().upsert(make_session(6, at(1))));             // cooldown: excluded
    // 7 has no session: excluded.
    GK_ASSERT_OK(proxies().insert(make_proxy(900, "px")));
    GK_ASSERT_OK(proxies().assign_to(3, 900, at(0)));

    GK_ASSERT_OK_AND_ASSIGN(auto candidates, sessions().checkout_candidates(10));
    ASSERT_EQ(candidates.size(), 3u);
    EXPECT_EQ(candidates[0].account_id, 2);
    EXPECT_EQ(candidates[0].username, "c2");
    EXPECT_EQ(candidates[0].proxy_id, std::nullopt);
    EXPECT_EQ(candidates[1].account_id, 3);
    EXPECT_EQ(candidates[1].proxy_id, std::optional<std::int64_t>(900));
    EXPECT_EQ(candidates[2].account_id, 1);

    GK_ASSERT_OK_AND_ASSIGN(auto first_two, sessions().checkout_candidates(2));
    EXPECT_EQ(first_two.size(), 2u);

    // Touching moves an account to the back of the queue.
    GK_ASSERT_OK(sessions().touch(2, at(100)));
    GK_ASSERT_OK_AND_ASSIGN(candidates, sessions().checkout_candidates(10));
    EXPECT_EQ(ids_of(candidates, [](const CheckoutCandidate& c) { return c.account_id; }),
              (std::vector<std::int64_t>{3, 1, 2}));

    GK_EXPECT_CODE(sessions().checkout_candidates(0), ErrorCode::invalid_argument);
}

// --- secrets -------------------------------------------------------------------

TEST_P(RepositoryConformance, SecretColumnsAndAssociatedData) {
    const auto columns = secret_columns();
    std::set<std::string> names;
    for (const SecretColumn& c : columns) names.insert(std::string(c.table) + "." + std::string(c.column));
    EXPECT_EQ(names, (std::set<std::string>{"accounts.password", "accounts.totp_seed", "proxies.password",
                                            "sessions.cookies"}));
    EXPECT_EQ(secret_aad(SecretColumn{"accounts", "password", "id"}, 42), "accounts/password/42");
    EXPECT_EQ(secret_aad(SecretColumn{"sessions", "cookies", "account_id"}, -7), "sessions/cookies/-7");
}

// Moves "v1:old:..." envelopes to "v1:new:..." and leaves everything else.
Result<std::string> old_to_new(std::int64_t, std::string_view envelope) {
    if (envelope.starts_with("v1:old:")) return "v1:new:" + std::string(envelope.substr(7));
    return std::string(envelope);
}

TEST_P(RepositoryConformance, RewrapRewritesOnlyChangedValuesInEachColumn) {
    // Accounts 1..6: even ids already on the new key; totp only on 1..3.
    for (std::int64_t id = 1; id <= 6; ++id) {
        AccountRecord rec = make_account(id, "r" + std::to_string(id));
        if (id % 2 == 0) rec.password_envelope = "v1:new:password-" + std::to_string(id);
        if (id <= 3) rec.totp_envelope = "v1:old:totp-" + std::to_string(id);
        GK_ASSERT_OK(accounts().insert(rec));
    }
    ProxyRecord with_password = make_proxy(1, "a");
    with_password.password_envelope = "v1:old:proxy-1";
    GK_ASSERT_OK(proxies().insert(with_password));
    GK_ASSERT_OK(proxies().insert(make_proxy(2, "b")));  // no password: never offered
    GK_ASSERT_OK(sessions().upsert(make_session(1, at(1))));
    SessionRecord fresh = make_session(2, at(1));
    fresh.cookies_envelope = "v1:new:cookies-2";
    GK_ASSERT_OK(sessions().upsert(fresh));

    const std::map<std::string, std::pair<std::size_t, std::size_t>> expected = {
        // column: {values offered, values rewritten}
        {"accounts.password", {6, 3}},
        {"accounts.totp_seed", {3, 3}},
        {"proxies.password", {1, 1}},
        {"sessions.cookies", {2, 1}},
    };
    for (const SecretColumn& column : secret_columns()) {
        const std::string name = std::string(column.table) + "." + std::string(column.column);
        std::size_t offered = 0;
        GK_ASSERT_OK_AND_ASSIGN(std::size_t rewritten,
                                secrets().rewrap(column, [&](std::int64_t row_id, std::string_view envelope) {
                                    ++offered;
                                    // The row id lets the caller rebuild the associated data.
                                    EXPECT_NE(envelope.find(std::to_string(row_id)), std::string_view::npos)
                                        << name << " " << envelope;
                                    return old_to_new(row_id, envelope);
                                }));
        EXPECT_EQ(offered, expected.at(name).first) << name;
        EXPECT_EQ(rewritten, expected.at(name).second) << name;

        // A second pass finds nothing left to do.
        GK_ASSERT_OK_AND_ASSIGN(std::size_t again, secrets().rewrap(column, old_to_new));
        EXPECT_EQ(again, 0u) << name;
    }
    GK_ASSERT_OK_AND_ASSIGN(AccountRecord one, accounts().get(1));
    EXPECT_EQ(one.password_envelope, "v1:new:password-1");
    EXPECT_EQ(one.totp_envelope, std::optional<std::string>("v1:new:totp-1"));
    GK_ASSERT_OK_AND_ASSIGN(ProxyRecord p2, proxies().get(2));
    EXPECT_EQ(p2.password_envelope, std::nullopt);
    GK_ASSERT_OK_AND_ASSIGN(SessionRecord s1, sessions().get(1));
    EXPECT_EQ(s1.cookies_envelope, "v1:new:cookies-1");
}

TEST_P(RepositoryConformance, RewrapRunsInBatchesAndStopsAtFirstError) {
    // More rows than one batch, so several transactions are involved.
    constexpr int kRows = 450;
    for (int id = 1; id <= kRows; ++id) GK_ASSERT_OK(accounts().insert(make_account(id, "b" + std::to_string(id))));
    const SecretColumn passwords = secret_columns()[0];
    ASSERT_EQ(passwords.column, "password");
    ASSERT_EQ(passwords.table, "accounts");

    auto failed = secrets().rewrap(passwords, [](std::int64_t row_id, std::string_view envelope) {
        if (row_id == 300) {
            return Result<std::string>(fail(ErrorCode::data_loss, "cannot decrypt accounts/password/300"));
        }
        return old_to_new(row_id, envelope);
    });
    GK_EXPECT_CODE(failed, ErrorCode::data_loss);
    // Rows before the failing batch stay rewritten; the failing batch rolled back.
    const std::int64_t moved = count("SELECT COUNT(*) FROM accounts WHERE password LIKE 'v1:new:%'");
    EXPECT_GT(moved, 0);
    EXPECT_LT(moved, 300);
    GK_ASSERT_OK_AND_ASSIGN(AccountRecord first, accounts().get(1));
    EXPECT_EQ(first.password_envelope, "v1:new:password-1");
    GK_ASSERT_OK_AND_ASSIGN(AccountRecord at_299, accounts().get(299));
    EXPECT_EQ(at_299.password_envelope, "v1:old:password-299");

    GK_ASSERT_OK_AND_ASSIGN(std::size_t rest, secrets().rewrap(passwords, old_to_new));
    EXPECT_EQ(rest, static_cast<std::size_t>(kRows - moved));
    EXPECT_EQ(count("SELECT COUNT(*) FROM accounts WHERE password LIKE 'v1:new:%'"), kRows);
}

TEST_P(RepositoryConformance, RewrapRejectsColumnsOutsideTheSchema) {
    int calls = 0;
    auto counting = [&](std::int64_t, std::string_view e) -> Result<std::string> {
        ++calls;
        return std::string(e);
    };
    GK_EXPECT_CODE(secrets().rewrap(SecretColumn{"accounts", "username", "id"}, counting), ErrorCode::invalid_argument);
    GK_EXPECT_CODE(secrets().rewrap(SecretColumn{"accounts; DROP TABLE accounts", "password", "id"}, counting),
                   ErrorCode::invalid_argument);
    EXPECT_EQ(calls, 0);
}

// --- rate-limit state ------------------------------------------------------------

TEST_P(RepositoryConformance, RateLimitStateSaveMergesKeepingTheLaterValues) {
    auto& state = backend_->ratelimit_state();
    const std::int64_t now = 1'000'000;
    const RateLimitStateRecord a{"account.web|account:1|endpoint:web", now + 500, INT64_MIN};
    const RateLimitStateRecord b{"penalty|account:2", now - 10, now + 9'000};
    const std::vector<RateLimitStateRecord> first{a, b};
    GK_ASSERT_OK(state.save(first, now));
    // A second process saves an older tat for `a` and a newer one for `b`:
    // per key the later value wins, never the last writer.
    const std::vector<RateLimitStateRecord> second{{a.key, now + 100, INT64_MIN}, {b.key, now + 70, now + 1}};
    GK_ASSERT_OK(state.save(second, now));
    GK_ASSERT_OK_AND_ASSIGN(auto rows, state.load(now));
    ASSERT_EQ(rows.size(), 2u);
    EXPECT_EQ(rows[0].key, a.key);
    EXPECT_EQ(rows[0].tat, now + 500);
    EXPECT_EQ(rows[0].penalty_until, INT64_MIN);
    EXPECT_EQ(rows[1].key, b.key);
    EXPECT_EQ(rows[1].tat, now + 70);
    EXPECT_EQ(rows[1].penalty_until, now + 9'000);
}

TEST_P(RepositoryConformance, RateLimitStateForgetsRowsThatNoLongerMatter) {
    auto& state = backend_->ratelimit_state();
    const std::vector<RateLimitStateRecord> rows{{"k.short", 100, INT64_MIN}, {"k.long", 5'000, INT64_MIN}};
    GK_ASSERT_OK(state.save(rows, 0));
    GK_ASSERT_OK_AND_ASSIGN(auto at_200, state.load(200));  // k.short is back to full
    ASSERT_EQ(at_200.size(), 1u);
    EXPECT_EQ(at_200[0].key, "k.long");
    GK_ASSERT_OK(state.save({}, 6'000));  // a save prunes what is over
    GK_ASSERT_OK_AND_ASSIGN(auto at_0, state.load(0));
    EXPECT_TRUE(at_0.empty());
}

// --- action log -------------------------------------------------------------------

TEST_P(RepositoryConformance, ActionLogRoundTripsAndFilters) {
    auto& log = backend_->actions();
    std::vector<ActionRecord> written;
    for (int i = 0; i < 5; ++i) {
        ActionRecord a;
        a.id = 100 + i;
        a.account_id = i % 2 == 0 ? std::optional<std::int64_t>(7) : std::nullopt;
        a.proxy_id = i == 1 ? std::optional<std::int64_t>(3) : std::nullopt;
        a.action = i < 3 ? "profile" : "hashtag";
        a.target = "target_" + std::to_string(i);
        a.outcome = i == 4 ? "rate_limited" : "ok";
        a.http_status = i == 4 ? 429 : 200;
        a.latency_us = 1000 * (i + 1);
        a.created_at = at(i * 60);
        GK_ASSERT_OK(log.insert(a));
        written.push_back(a);
    }
    GK_ASSERT_OK_AND_ASSIGN(auto all, log.list({}));
    EXPECT_EQ(all.items, written);
    EXPECT_FALSE(all.next_after.has_value());

    ActionFilter by_account;
    by_account.account_id = 7;
    by_account.limit = 2;
    GK_ASSERT_OK_AND_ASSIGN(auto first, log.list(by_account));
    ASSERT_EQ(first.items.size(), 2u);
    EXPECT_EQ(first.items[0].id, 100);
    EXPECT_EQ(first.items[1].id, 102);
    ASSERT_TRUE(first.next_after.has_value());
    by_account.after = first.next_after;
    GK_ASSERT_OK_AND_ASSIGN(auto second, log.list(by_account));
    ASSERT_EQ(second.items.size(), 1u);
    EXPECT_EQ(second.items[0].id, 104);

    ActionFilter recent_hashtags;
    recent_hashtags.action = "hashtag";
    recent_hashtags.since = at(4 * 60);
    GK_ASSERT_OK_AND_ASSIGN(auto recent, log.list(recent_hashtags));
    ASSERT_EQ(recent.items.size(), 1u);
    EXPECT_EQ(recent.items[0].outcome, "rate_limited");

    GK_EXPECT_CODE(log.insert(written[0]), ErrorCode::conflict);  // ids are unique
    ActionFilter too_many;
    too_many.limit = 5000;
    GK_EXPECT_CODE(log.list(too_many), ErrorCode::invalid_argument);
}

// --- migrations ----------------------------------------------------------------

TEST_P(RepositoryConformance, OpeningTwiceKeepsSchemaAndData) {
    GK_ASSERT_OK_AND_ASSIGN(int version, backend_->database().schema_version());
    ASSERT_FALSE(gramkit_migrations().empty());
    EXPECT_EQ(version, gramkit_migrations().back().version);
    EXPECT_EQ(gramkit_migrations().back().version, 7);
    GK_ASSERT_OK(backend_->database().migrate(gramkit_migrations()));  // again: nothing to do

    if (!GetParam().shares_data_across_opens) return;  // every sqlite::memory: open is a new database
    GK_ASSERT_OK(accounts().insert(make_account(1, "persist", {"kept"})));
    auto second = Backend::open(url(), options());
    ASSERT_TRUE(second.has_value()) << second.error().to_string();
    GK_ASSERT_OK_AND_ASSIGN(int again, (*second)->database().schema_version());
    EXPECT_EQ(again, version);
    GK_ASSERT_OK_AND_ASSIGN(AccountRecord seen, (*second)->accounts().get(1));
    EXPECT_EQ(seen.account.labels, std::vector<std::string>{"kept"});
}

GRAMKIT_INSTANTIATE_STORAGE_BACKENDS(RepositoryConformance);

}  // namespace
}  // namespace gramkit::storage
