// TOTP against the RFC 6238 Appendix B test vectors (SHA-1 seed
// "12345678901234567890") and base32 edge cases.
#include <gtest/gtest.h>

#include "core/totp.hpp"

namespace gramkit {
namespace {

// "12345678901234567890" in base32.
constexpr std::string_view kRfcSeed = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";

Timestamp unix_seconds(std::int64_t s) { return Timestamp{std::chrono::seconds(s)}; }

TEST(TotpTest, Rfc6238AppendixBVectors) {
    const std::pair<std::int64_t, const char*> vectors[] = {
        {59, "94287082"},         {1111111109, "07081804"}, {1111111111, "14050471"},
        {1234567890, "89005924"}, {2000000000, "69279037"}, {20000000000, "65353130"},
    };
    for (const auto& [t, expected] : vectors) {
        auto code = totp::code_at(kRfcSeed, unix_seconds(t), 8);
        ASSERT_TRUE(code) << code.error().to_string();
        EXPECT_EQ(*code, expected) << "t=" << t;
    }
    // Six digits are the last six of the eight-digit value.
    EXPECT_EQ(totp::code_at(kRfcSeed, unix_seconds(59)).value(), "287082");
}

TEST(TotpTest, Base32AcceptsAppFormatting) {
    auto plain = totp::base32_decode("GEZDGNBVGY3TQOJQ");
    auto spaced = totp::base32_decode("gezd gnbv-gy3t qojq");
    ASSERT_TRUE(plain && spaced);
    EXPECT_EQ(*plain, *spaced);
    EXPECT_EQ(std::string(plain->begin(), plain->end()), "1234567890");
    auto padded = totp::base32_decode("MY======");
    ASSERT_TRUE(padded);
    EXPECT_EQ(std::string(padded->begin(), padded->end()), "f");
}

TEST(TotpTest, BadSeedsAreRejectedWithoutEchoingThem) {
    for (std::string_view bad : {"GEZD1GNB", "GEZD=GNB", "MZ", "secret!!"}) {
        auto r = totp::code_at(bad, unix_seconds(59));
        ASSERT_FALSE(r) << bad;
        EXPECT_EQ(r.error().code, ErrorCode::invalid_argument);
        EXPECT_EQ(r.error().message.find(bad), std::string::npos) << r.error().message;
    }
    EXPECT_FALSE(totp::code_at("", unix_seconds(59)));
    EXPECT_FALSE(totp::code_at(kRfcSeed, unix_seconds(59), 5));
    EXPECT_FALSE(totp::code_at(kRfcSeed, unix_seconds(59), 6, std::chrono::seconds(0)));
}

}  // namespace
}  // namespace gramkit
