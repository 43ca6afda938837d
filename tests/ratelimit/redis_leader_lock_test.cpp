// Tests of the Redis leader lock (src/jobs/leader_lock.hpp; label `redis`).
// The shared server comes from GRAMKIT_TEST_REDIS_URL; the failure test
// starts its own redis-server on a free port. Expiry is never waited for:
// the tests play the expired key's part themselves (DEL, PEXPIRE, SET).
#include <unistd.h>

#include <chrono>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <hiredis/hiredis.h>

#include "jobs/leader_lock.hpp"
#include "ratelimit/redis_connection.hpp"
#include "redis_support.hpp"

namespace gramkit::jobs {
namespace {

using namespace std::chrono_literals;
using ratelimit::testing::raw_connection;
using ratelimit::testing::raw_integer;

/// A lock name of its own for every test (and process): tests running in
/// parallel on one server never share a key.
std::string unique_name() {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    return "test:" + std::to_string(::getpid()) + ":" + info->test_suite_name() + "." + info->name();
}

std::string key_of(const std::string& name) { return "gramkit:leader:" + name; }

std::unique_ptr<LeaderLock> redis_lock(const std::string& url, const std::string& name, std::string owner,
                                       Duration lease = 60s) {
    auto lock = make_redis_leader_lock(url, name, std::move(owner), lease);
    EXPECT_TRUE(lock.has_value()) << lock.error().to_string();
    return lock ? std::move(*lock) : nullptr;
}

bool acquired(LeaderLock& lock) {
    auto r = lock.try_acquire();
    EXPECT_TRUE(r.has_value()) << r.error().to_string();
    return r && *r;
}

/// GET key as text ("" when missing or on error).
std::string raw_get(ratelimit::detail::RedisConnection& conn, const std::string& key) {
    const std::vector<std::string_view> argv{"GET", key};
    auto r = conn.command(argv);
    if (!r || (*r)->type != REDIS_REPLY_STRING) return {};
    return std::string((*r)->str, (*r)->len);
}

/// The shared server, a lock name of the test's own and a raw connection
/// for playing the other side (an expiry, another process).
class RedisLeaderLockTest : public ::testing::Test {
protected:
    void SetUp() override {
        GK_REQUIRE_REDIS_URL(url);
        url_ = url;
        raw_ = raw_connection(url_);
        ASSERT_TRUE(raw_) << "cannot connect to " << url_;
    }
    std::unique_ptr<LeaderLock> lock(std::string owner, Duration lease = 60s) {
        return redis_lock(url_, name_, std::move(owner), lease);
    }
    std::string value() { return raw_get(*raw_, key_); }
    long long integer(std::string_view command) { return raw_integer(*raw_, {command, key_}); }

    std::string url_;
    const std::string name_ = unique_name();
    const std::string key_ = key_of(name_);
    std::unique_ptr<ratelimit::detail::RedisConnection> raw_;
};

TEST_F(RedisLeaderLockTest, OneOwnerAtATime) {
    auto a = lock("a");
    auto b = lock("b");
    ASSERT_TRUE(a && b);
    EXPECT_EQ(a->kind(), "redis");

    EXPECT_TRUE(acquired(*a));
    EXPECT_EQ(value(), "a");
    const long long ttl = integer("PTTL");
    EXPECT_GT(ttl, 0);
    EXPECT_LE(ttl, 60'000);
    EXPECT_FALSE(acquired(*b));
    EXPECT_TRUE(acquired(*a));  // renewal
    EXPECT_FALSE(acquired(*b));

    a->release();
    EXPECT_EQ(integer("EXISTS"), 0);
    a->release();  // idempotent
    EXPECT_TRUE(acquired(*b));
    EXPECT_FALSE(acquired(*a));
    b.reset();  // the destructor releases
    EXPECT_EQ(integer("EXISTS"), 0);
}

TEST_F(RedisLeaderLockTest, RenewalExtendsTheExpiry) {
    auto a = lock("a", 60s);
    ASSERT_TRUE(acquired(*a));
    // As if most of the lease had passed.
    ASSERT_EQ(raw_integer(*raw_, {"PEXPIRE", key_, "1000"}), 1);
    EXPECT_TRUE(acquired(*a));
    EXPECT_GT(integer("PTTL"), 1000);
}

TEST_F(RedisLeaderLockTest, AnExpiredLeaseGoesToTheNextOwner) {
    auto a = lock("a");
    auto b = lock("b");
    ASSERT_TRUE(acquired(*a));
    ASSERT_FALSE(acquired(*b));

    ASSERT_EQ(integer("DEL"), 1);  // a's lease ran out
    EXPECT_TRUE(acquired(*b));
    EXPECT_FALSE(acquired(*a));  // a's renewal must not extend b's key
    EXPECT_EQ(value(), "b");

    // a's release must not delete b's key (compare-and-delete).
    a->release();
    EXPECT_EQ(value(), "b");
}

TEST_F(RedisLeaderLockTest, AStaleHolderNoticesTheTakeover) {
    auto a = lock("a");
    ASSERT_TRUE(acquired(*a));
    // a paused past its lease while another process took the key.
    const std::vector<std::string_view> set{"SET", key_, "c", "PX", "60000"};
    ASSERT_TRUE(raw_->command(set).has_value());
    EXPECT_FALSE(acquired(*a));
    a->release();
    EXPECT_EQ(value(), "c");
    EXPECT_EQ(integer("DEL"), 1);
}

TEST_F(RedisLeaderLockTest, AKeyStillOwnedIsKeptByANewLockObject) {
    // A restarted process with the same owner id picks its lock up again
    // instead of waiting for its own lease to expire.
    const std::vector<std::string_view> set{"SET", key_, "a", "PX", "60000"};
    ASSERT_TRUE(raw_->command(set).has_value());
    auto a = lock("a");
    EXPECT_TRUE(acquired(*a));
    a.reset();
    EXPECT_EQ(integer("EXISTS"), 0);
}

TEST(RedisLeaderLockFailures, ServerFailureIsAnErrorNotACrash) {
    GK_REQUIRE_REDIS_SERVER_BINARY();
    ratelimit::testing::RedisServer server;
    ASSERT_TRUE(server.start());
    auto a = redis_lock(server.url(), "scheduler", "a");
    ASSERT_TRUE(a);
    EXPECT_TRUE(acquired(*a));

    server.kill();
    auto down = a->try_acquire();
    ASSERT_FALSE(down.has_value());
    EXPECT_TRUE(down.error().code == ErrorCode::unavailable || down.error().code == ErrorCode::timeout)
        << down.error().to_string();
    a->release();  // no crash, no error to report

    ASSERT_TRUE(server.start());  // same port, empty
    EXPECT_TRUE(acquired(*a));     // reconnects and takes it again
}

TEST(RedisLeaderLockFailures, UnreachableServerAndBadArguments) {
    const int port = ratelimit::testing::free_port();
    auto a = redis_lock("redis://127.0.0.1:" + std::to_string(port) + "/0", "scheduler", "a");
    ASSERT_TRUE(a);
    auto r = a->try_acquire();
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().code, ErrorCode::unavailable) << r.error().to_string();

    auto bad_url = make_redis_leader_lock("http://127.0.0.1:6379", "scheduler", "a", 60s);
    ASSERT_FALSE(bad_url);
    EXPECT_EQ(bad_url.error().code, ErrorCode::invalid_argument);
    auto password = make_redis_leader_lock("redis://:s3cret@127.0.0.1:" + std::to_string(port) + "/0", "x", "a", 60s);
    ASSERT_TRUE(password.has_value());
    auto refused = (*password)->try_acquire();
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().message.find("s3cret"), std::string::npos) << refused.error().message;
    auto no_owner = make_redis_leader_lock("redis://127.0.0.1:6379/0", "scheduler", "", 60s);
    ASSERT_FALSE(no_owner);
    EXPECT_EQ(no_owner.error().details, "owner");
    auto no_lease = make_redis_leader_lock("redis://127.0.0.1:6379/0", "scheduler", "a", 0s);
    ASSERT_FALSE(no_lease);
    EXPECT_EQ(no_lease.error().details, "lease");
}

}  // namespace
}  // namespace gramkit::jobs
