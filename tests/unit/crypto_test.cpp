// Unit tests for gramkit/crypto.hpp: digests, base64, the AES-256-GCM
// envelope and key ring, the key-file format and Argon2id PHC hashes.
#include <argon2.h>
#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "gramkit/crypto.hpp"
#include "gramkit/error.hpp"

namespace gramkit::crypto {
namespace {

Bytes bytes_of(std::string_view s) { return Bytes(s.begin(), s.end()); }

std::string hex(const Sha256Digest& d) { return to_hex(d); }

Key make_key(std::string id, std::uint8_t fill) {
    Key key{std::move(id), {}};
    key.material.fill(fill);
    return key;
}

// Splits an envelope into "v1:<id>:" and the decoded payload.
std::pair<std::string, Bytes> split_envelope(const std::string& envelope) {
    const std::size_t cut = envelope.find(':', 3) + 1;
    auto payload = base64_decode(std::string_view(envelope).substr(cut));
    EXPECT_TRUE(payload.has_value());
    return {envelope.substr(0, cut), payload.value_or(Bytes{})};
}

constexpr std::string_view kSecret = "hunter2-very-secret-password";
constexpr std::string_view kAssociated = "accounts/password/42";

// Small Argon2 costs so the suite stays fast; one test uses the defaults.
const Argon2Params kFastParams{.memory_kib = 1024, .iterations = 1, .parallelism = 1, .salt_len = 16, .hash_len = 32};

// ---------------------------------------------------------------------------
// Error names (src/core/error.cpp)
// ---------------------------------------------------------------------------

TEST(CryptoSupport, ErrorCodeNamesMatchIdentifiers) {
    EXPECT_EQ(to_string(ErrorCode::ok), "ok");
    EXPECT_EQ(to_string(ErrorCode::invalid_argument), "invalid_argument");
    EXPECT_EQ(to_string(ErrorCode::not_found), "not_found");
    EXPECT_EQ(to_string(ErrorCode::conflict), "conflict");
    EXPECT_EQ(to_string(ErrorCode::unauthenticated), "unauthenticated");
    EXPECT_EQ(to_string(ErrorCode::permission_denied), "permission_denied");
    EXPECT_EQ(to_string(ErrorCode::rate_limited), "rate_limited");
    EXPECT_EQ(to_string(ErrorCode::upstream_error), "upstream_error");
    EXPECT_EQ(to_string(ErrorCode::timeout), "timeout");
    EXPECT_EQ(to_string(ErrorCode::unavailable), "unavailable");
    EXPECT_EQ(to_string(ErrorCode::internal), "internal");
    EXPECT_EQ(to_string(ErrorCode::failed_precondition), "failed_precondition");
    EXPECT_EQ(to_string(ErrorCode::cancelled), "cancelled");
    EXPECT_EQ(to_string(ErrorCode::data_loss), "data_loss");
    EXPECT_EQ(to_string(static_cast<ErrorCode>(9999)), "unknown");
    EXPECT_EQ(Error(ErrorCode::not_found, "account 7 not found").to_string(), "not_found: account 7 not found");
}

// ---------------------------------------------------------------------------
// Digests and helpers
// ---------------------------------------------------------------------------

TEST(CryptoDigest, Sha256KnownAnswers) {
    // FIPS 180-2 appendix B.1 and B.2, plus the empty message.
    EXPECT_EQ(hex(sha256("abc")), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    EXPECT_EQ(hex(sha256("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")),
              "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    EXPECT_EQ(hex(sha256("")), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    const Bytes abc = bytes_of("abc");
    EXPECT_EQ(sha256(std::span<const std::uint8_t>(abc)), sha256("abc"));
}

TEST(CryptoDigest, HmacSha256Rfc4231) {
    // Test case 1.
    const Bytes key1(20, 0x0b);
    const Bytes data1 = bytes_of("Hi There");
    EXPECT_EQ(hex(hmac_sha256(key1, data1)), "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
    // Test case 2.
    EXPECT_EQ(hex(hmac_sha256("Jefe", "what do ya want for nothing?")),
              "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    // Test case 3.
    const Bytes key3(20, 0xaa);
    const Bytes data3(50, 0xdd);
    EXPECT_EQ(hex(hmac_sha256(key3, data3)), "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe");
    // An empty key is legal HMAC and must not crash.
    EXPECT_EQ(hmac_sha256("", "x").size(), 32u);
}

TEST(CryptoDigest, ToHexAndConstantTimeEqual) {
    const Bytes b{0x00, 0x0f, 0xa5, 0xff};
    EXPECT_EQ(to_hex(b), "000fa5ff");
    EXPECT_EQ(to_hex(Bytes{}), "");

    EXPECT_TRUE(constant_time_equal("", ""));
    EXPECT_TRUE(constant_time_equal("abc", "abc"));
    EXPECT_FALSE(constant_time_equal("abc", "abd"));
    EXPECT_FALSE(constant_time_equal("abc", "ab"));
    EXPECT_FALSE(constant_time_equal("", "a"));
    const Bytes x{1, 2, 3}, y{1, 2, 3}, z{1, 2, 4};
    EXPECT_TRUE(constant_time_equal(x, y));
    EXPECT_FALSE(constant_time_equal(x, z));
}

TEST(CryptoDigest, RandomBytes) {
    const Bytes a = random_bytes(32);
    const Bytes b = random_bytes(32);
    EXPECT_EQ(a.size(), 32u);
    EXPECT_NE(a, b);  // 2^-256 chance of a false failure
    EXPECT_TRUE(random_bytes(0).empty());
    std::array<std::uint8_t, 16> buf{};
    EXPECT_TRUE(random_bytes(std::span<std::uint8_t>(buf)).has_value());
}

// ---------------------------------------------------------------------------
// Base64
// ---------------------------------------------------------------------------

TEST(CryptoBase64, Rfc4648Vectors) {
    const std::pair<std::string_view, std::string_view> vectors[] = {
        {"", ""},         {"f", "Zg=="},         {"fo", "Zm8="},         {"foo", "Zm9v"},
        {"foob", "Zm9vYg=="}, {"fooba", "Zm9vYmE="}, {"foobar", "Zm9vYmFy"},
    };
    for (const auto& [plain, encoded] : vectors) {
        EXPECT_EQ(base64_encode(bytes_of(plain)), encoded);
        auto decoded = base64_decode(encoded);
        ASSERT_TRUE(decoded.has_value()) << encoded;
        EXPECT_EQ(*decoded, bytes_of(plain));
    }
}

TEST(CryptoBase64, RoundTripsEveryLengthAndByte) {
    Bytes all(256);
    for (int i = 0; i < 256; ++i) all[i] = static_cast<std::uint8_t>(i);
    for (std::size_t len = 0; len <= all.size(); ++len) {
        const Bytes data(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(len));
        auto decoded = base64_decode(base64_encode(data));
        ASSERT_TRUE(decoded.has_value()) << len;
        EXPECT_EQ(*decoded, data);
    }
    for (int i = 0; i < 50; ++i) {
        const Bytes data = random_bytes(static_cast<std::size_t>(i) * 7);
        EXPECT_EQ(base64_decode(base64_encode(data)).value(), data);
    }
}

TEST(CryptoBase64, StrictRejections) {
    const std::string_view bad[] = {
        "Zg",        // missing padding
        "Zg=",       // length not a multiple of 4
        "Z===",      // too much padding
        "====",      // padding only
        "Zm=v",      // padding in the middle of a quad
        "Zg==Zg==",  // padding before the end
        "Zh==",      // non-zero unused bits (non-canonical "f")
        "Zm9=",      // non-zero unused bits (non-canonical "fo")
        "Zm9\n",     // whitespace
        " Zm9v",     // leading space (also bad length)
        "Zm9-",      // URL-safe alphabet
        "Zm9_",      // URL-safe alphabet
        "Zm9v!!!!",
    };
    for (std::string_view text : bad) {
        auto decoded = base64_decode(text);
        ASSERT_FALSE(decoded.has_value()) << "accepted: " << text;
        EXPECT_EQ(decoded.error().code, ErrorCode::invalid_argument);
    }
    // NUL bytes inside a string_view are characters too.
    EXPECT_FALSE(base64_decode(std::string_view("Zm9v\0\0\0\0", 8)).has_value());
}

TEST(CryptoBase64, AcceptsOnlyCanonicalSpellings) {
    // Strictness as a property: whatever the decoder accepts must be the
    // exact encoding of what it returns. Inputs mix valid characters,
    // padding and a few invalid ones.
    constexpr std::string_view kChars = "AQgwBZaz09+/=-_ \n";
    std::size_t accepted = 0;
    for (int round = 0; round < 20000; ++round) {
        const Bytes noise = random_bytes(13);
        const std::size_t len = (noise[0] % 4) * 4;
        std::string text;
        for (std::size_t i = 0; i < len; ++i) text.push_back(kChars[noise[1 + i] % kChars.size()]);
        auto decoded = base64_decode(text);
        if (decoded) {
            ++accepted;
            EXPECT_EQ(base64_encode(*decoded), text);
        }
    }
    EXPECT_GT(accepted, 0u);
}

// ---------------------------------------------------------------------------
// Envelope
// ---------------------------------------------------------------------------

class CryptoEnvelope : public ::testing::Test {
protected:
    void SetUp() override { ASSERT_TRUE(ring.add_key(make_key("k1", 0x11)).has_value()); }
    KeyRing ring;
};

TEST_F(CryptoEnvelope, RoundTrip) {
    auto envelope = ring.seal(kSecret, kAssociated);
    ASSERT_TRUE(envelope.has_value()) << envelope.error().to_string();
    EXPECT_TRUE(envelope->starts_with("v1:k1:"));
    EXPECT_EQ(envelope->find(kSecret), std::string::npos);

    const auto [header, payload] = split_envelope(*envelope);
    EXPECT_EQ(header, "v1:k1:");
    EXPECT_EQ(payload.size(), 12 + kSecret.size() + 16);

    auto opened = ring.open(*envelope, kAssociated);
    ASSERT_TRUE(opened.has_value()) << opened.error().to_string();
    EXPECT_EQ(*opened, kSecret);

    auto info = inspect_envelope(*envelope);
    ASSERT_TRUE(info.has_value());
    EXPECT_EQ(info->version, "v1");
    EXPECT_EQ(info->key_id, "k1");
}

TEST_F(CryptoEnvelope, EmptyAndBinaryPlaintexts) {
    for (const std::string& plain : {std::string(), std::string("\0\x01\xff:v1:", 7), std::string(5000, 'x')}) {
        for (const std::string_view ad : {std::string_view(), kAssociated}) {
            auto envelope = ring.seal(plain, ad);
            ASSERT_TRUE(envelope.has_value());
            auto opened = ring.open(*envelope, ad);
            ASSERT_TRUE(opened.has_value()) << opened.error().to_string();
            EXPECT_EQ(*opened, plain);
        }
    }
}

TEST_F(CryptoEnvelope, FreshNoncePerSeal) {
    const auto a = ring.seal(kSecret, kAssociated).value();
    const auto b = ring.seal(kSecret, kAssociated).value();
    EXPECT_NE(a, b);
    const Bytes payload_a = split_envelope(a).second;
    const Bytes payload_b = split_envelope(b).second;
    const Bytes nonce_a(payload_a.begin(), payload_a.begin() + 12);
    const Bytes nonce_b(payload_b.begin(), payload_b.begin() + 12);
    EXPECT_NE(nonce_a, nonce_b);
}

TEST_F(CryptoEnvelope, TamperingAnyPayloadByteIsDataLoss) {
    const std::string envelope = ring.seal(kSecret, kAssociated).value();
    const auto [header, payload] = split_envelope(envelope);
    for (std::size_t i = 0; i < payload.size(); ++i) {
        for (const std::uint8_t flip : {std::uint8_t{0x01}, std::uint8_t{0x80}, std::uint8_t{0xff}}) {
            Bytes tampered = payload;
            tampered[i] ^= flip;
            auto opened = ring.open(header + base64_encode(tampered), kAssociated);
            ASSERT_FALSE(opened.has_value()) << "byte " << i << " flip " << int(flip);
            EXPECT_EQ(opened.error().code, ErrorCode::data_loss) << "byte " << i;
            EXPECT_EQ(opened.error().message.find(kSecret), std::string::npos);
            EXPECT_EQ(opened.error().message.find(kAssociated), std::string::npos);
        }
    }
    // Truncating the tag (still long enough to parse) or appending bytes also fails.
    Bytes shorter(payload.begin(), payload.end() - 1);
    EXPECT_EQ(ring.open(header + base64_encode(shorter), kAssociated).error().code, ErrorCode::data_loss);
    Bytes longer = payload;
    longer.push_back(0);
    EXPECT_EQ(ring.open(header + base64_encode(longer), kAssociated).error().code, ErrorCode::data_loss);
}

TEST_F(CryptoEnvelope, DifferentAssociatedDataIsDataLoss) {
    const std::string envelope = ring.seal(kSecret, "accounts/password/42").value();
    for (const std::string_view other : {"accounts/password/43", "accounts/password/4", "accounts/password/42 ",
                                         "proxies/password/42", ""}) {
        auto opened = ring.open(envelope, other);
        ASSERT_FALSE(opened.has_value()) << other;
        EXPECT_EQ(opened.error().code, ErrorCode::data_loss);
        EXPECT_EQ(opened.error().message.find("accounts/password"), std::string::npos);
        EXPECT_EQ(opened.error().message.find(kSecret), std::string::npos);
    }
}

TEST(CryptoEnvelopeHeader, KeyIdIsAuthenticated) {
    // Two ids with the same key material: without header authentication a
    // relabelled envelope would still open.
    KeyRing ring;
    ASSERT_TRUE(ring.add_key(make_key("old", 0x42)).has_value());
    ASSERT_TRUE(ring.add_key(make_key("alias", 0x42)).has_value());
    const std::string envelope = ring.seal(kSecret, kAssociated).value();
    ASSERT_TRUE(envelope.starts_with("v1:alias:"));
    const std::string relabelled = "v1:old:" + envelope.substr(std::string("v1:alias:").size());
    auto opened = ring.open(relabelled, kAssociated);
    ASSERT_FALSE(opened.has_value());
    EXPECT_EQ(opened.error().code, ErrorCode::data_loss);
    EXPECT_TRUE(ring.open(envelope, kAssociated).has_value());
}

TEST_F(CryptoEnvelope, UnknownKeyIdIsDataLoss) {
    KeyRing other;
    ASSERT_TRUE(other.add_key(make_key("k9", 0x99)).has_value());
    const std::string envelope = other.seal(kSecret, kAssociated).value();
    auto opened = ring.open(envelope, kAssociated);
    ASSERT_FALSE(opened.has_value());
    EXPECT_EQ(opened.error().code, ErrorCode::data_loss);
    EXPECT_NE(opened.error().message.find("k9"), std::string::npos);  // names the key id
}

TEST_F(CryptoEnvelope, WrongKeyMaterialIsDataLoss) {
    KeyRing other;
    ASSERT_TRUE(other.add_key(make_key("k1", 0x12)).has_value());  // same id, other bytes
    const std::string envelope = other.seal(kSecret, kAssociated).value();
    EXPECT_EQ(ring.open(envelope, kAssociated).error().code, ErrorCode::data_loss);
}

TEST_F(CryptoEnvelope, NonEnvelopesAreInvalidArgument) {
    const std::string valid_payload = base64_encode(Bytes(40, 0x00));
    const std::string short_payload = base64_encode(Bytes(27, 0x00));
    const std::string inputs[] = {
        "",
        "hunter2",
        "v1",
        "v1:",
        "v1:k1",
        "v1:k1:",                     // empty payload: too short
        "v2:k1:" + valid_payload,     // unknown version
        "V1:k1:" + valid_payload,     // versions are case-sensitive
        ":k1:" + valid_payload,       // missing version
        "v1::" + valid_payload,       // empty key id
        "v1:bad id:" + valid_payload, // malformed key id
        "v1:" + std::string(33, 'k') + ":" + valid_payload,
        "v1:k1:!!!!",                 // bad base64 characters
        "v1:k1:" + valid_payload.substr(1),  // bad base64 length
        "v1:k1:" + valid_payload + "\n",
        "v1:k1:" + short_payload,     // shorter than nonce + tag
        "v1:k1:" + valid_payload + ":extra",
    };
    for (const std::string& input : inputs) {
        auto opened = ring.open(input, kAssociated);
        ASSERT_FALSE(opened.has_value()) << input;
        EXPECT_EQ(opened.error().code, ErrorCode::invalid_argument) << input;
        auto info = inspect_envelope(input);
        ASSERT_FALSE(info.has_value()) << input;
        EXPECT_EQ(info.error().code, ErrorCode::invalid_argument) << input;
    }
    // A plaintext secret passed by mistake must not be echoed.
    auto opened = ring.open("v9:hunter2-secret", kAssociated);
    ASSERT_FALSE(opened.has_value());
    EXPECT_EQ(opened.error().message.find("hunter2"), std::string::npos);
}

TEST(CryptoKeyRing, EmptyRingCannotSeal) {
    KeyRing ring;
    EXPECT_TRUE(ring.empty());
    EXPECT_EQ(ring.size(), 0u);
    EXPECT_EQ(ring.newest_key_id(), "");
    auto sealed = ring.seal("x", "y");
    ASSERT_FALSE(sealed.has_value());
    EXPECT_EQ(sealed.error().code, ErrorCode::failed_precondition);
}

TEST(CryptoKeyRing, SealsWithNewestOpensWithAny) {
    KeyRing ring;
    ASSERT_TRUE(ring.add_key(make_key("2023-a", 0x01)).has_value());
    const std::string old_envelope = ring.seal("old secret", "t/c/1").value();
    ASSERT_TRUE(ring.add_key(make_key("2024-b", 0x02)).has_value());
    const std::string mid_envelope = ring.seal("mid secret", "t/c/2").value();
    auto generated = ring.generate_key("2025_c");
    ASSERT_TRUE(generated.has_value());
    EXPECT_EQ(generated->id, "2025_c");
    const std::string new_envelope = ring.seal("new secret", "t/c/3").value();

    EXPECT_EQ(inspect_envelope(old_envelope)->key_id, "2023-a");
    EXPECT_EQ(inspect_envelope(mid_envelope)->key_id, "2024-b");
    EXPECT_EQ(inspect_envelope(new_envelope)->key_id, "2025_c");
    EXPECT_EQ(ring.open(old_envelope, "t/c/1").value(), "old secret");
    EXPECT_EQ(ring.open(mid_envelope, "t/c/2").value(), "mid secret");
    EXPECT_EQ(ring.open(new_envelope, "t/c/3").value(), "new secret");

    EXPECT_EQ(ring.size(), 3u);
    EXPECT_FALSE(ring.empty());
    EXPECT_EQ(ring.newest_key_id(), "2025_c");
    EXPECT_EQ(ring.key_ids(), (std::vector<std::string>{"2023-a", "2024-b", "2025_c"}));
}

TEST(CryptoKeyRing, GeneratedKeysAreRandom) {
    KeyRing ring;
    auto a = ring.generate_key("a");
    auto b = ring.generate_key("b");
    ASSERT_TRUE(a.has_value());
    ASSERT_TRUE(b.has_value());
    EXPECT_NE(a->material, b->material);
    EXPECT_NE(a->material, (std::array<std::uint8_t, kKeySize>{}));
}

TEST(CryptoKeyRing, DuplicateIdIsConflict) {
    KeyRing ring;
    ASSERT_TRUE(ring.add_key(make_key("k1", 1)).has_value());
    auto again = ring.add_key(make_key("k1", 2));
    ASSERT_FALSE(again.has_value());
    EXPECT_EQ(again.error().code, ErrorCode::conflict);
    auto generated = ring.generate_key("k1");
    ASSERT_FALSE(generated.has_value());
    EXPECT_EQ(generated.error().code, ErrorCode::conflict);
    EXPECT_EQ(ring.size(), 1u);
}

TEST(CryptoKeyRing, KeyIdValidation) {
    EXPECT_TRUE(valid_key_id("k1"));
    EXPECT_TRUE(valid_key_id("A-z_09"));
    EXPECT_TRUE(valid_key_id(std::string(32, 'x')));
    KeyRing ring;
    for (const std::string& bad : {std::string(), std::string(33, 'x'), std::string("a b"), std::string("a:b"),
                                  std::string("a/b"), std::string("a.b"), std::string("\xc3\xa4"),
                                  std::string("k\n"), std::string("a\0b", 3)}) {
        EXPECT_FALSE(valid_key_id(bad)) << bad;
        auto added = ring.add_key(make_key(bad, 1));
        ASSERT_FALSE(added.has_value()) << bad;
        EXPECT_EQ(added.error().code, ErrorCode::invalid_argument);
        EXPECT_EQ(ring.generate_key(bad).error().code, ErrorCode::invalid_argument);
    }
    EXPECT_TRUE(ring.empty());
}

TEST(CryptoKeyRing, ConcurrentSealOpenWhileAddingKeys) {
    KeyRing ring;
    ASSERT_TRUE(ring.add_key(make_key("k0", 0)).has_value());
    std::atomic<int> failures{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&, t] {
            const std::string ad = "t/c/" + std::to_string(t);
            for (int i = 0; i < 200; ++i) {
                const std::string plain = "secret " + std::to_string(i);
                auto envelope = ring.seal(plain, ad);
                if (!envelope) { ++failures; continue; }
                auto opened = ring.open(*envelope, ad);
                if (!opened || *opened != plain) ++failures;
            }
        });
    }
    threads.emplace_back([&] {
        for (int k = 1; k <= 20; ++k) {
            if (!ring.add_key(make_key("k" + std::to_string(k), static_cast<std::uint8_t>(k)))) ++failures;
        }
    });
    for (auto& th : threads) th.join();
    EXPECT_EQ(failures.load(), 0);
    EXPECT_EQ(ring.size(), 21u);
}

// ---------------------------------------------------------------------------
// Key file
// ---------------------------------------------------------------------------

TEST(CryptoKeyFile, RoundTrip) {
    KeyRing ring;
    ASSERT_TRUE(ring.generate_key("k1").has_value());
    const std::string old_envelope = ring.seal(kSecret, kAssociated).value();
    ASSERT_TRUE(ring.generate_key("k2").has_value());
    const std::string new_envelope = ring.seal("newer", kAssociated).value();

    const std::string file = ring.to_key_file();
    EXPECT_TRUE(file.starts_with("k1 "));
    auto loaded = KeyRing::from_key_file(file);
    ASSERT_TRUE(loaded.has_value()) << loaded.error().to_string();
    EXPECT_EQ((*loaded)->key_ids(), ring.key_ids());
    EXPECT_EQ((*loaded)->newest_key_id(), "k2");
    EXPECT_EQ((*loaded)->open(old_envelope, kAssociated).value(), kSecret);
    EXPECT_EQ((*loaded)->open(new_envelope, kAssociated).value(), "newer");
    EXPECT_EQ((*loaded)->to_key_file(), file);
}

TEST(CryptoKeyFile, CommentsBlankLinesAndCrlf) {
    const std::string k1 = base64_encode(Bytes(32, 0x01));
    const std::string k2 = base64_encode(Bytes(32, 0x02));
    const std::string text = "# gramkit keys, oldest first\r\n\r\n   \n  k1 \t" + k1 + "  \r\n# rotated\nk2 " + k2;
    auto ring = KeyRing::from_key_file(text);
    ASSERT_TRUE(ring.has_value()) << ring.error().to_string();
    EXPECT_EQ((*ring)->key_ids(), (std::vector<std::string>{"k1", "k2"}));

    KeyRing expected;
    ASSERT_TRUE(expected.add_key(make_key("k1", 0x01)).has_value());
    ASSERT_TRUE(expected.add_key(make_key("k2", 0x02)).has_value());
    EXPECT_EQ((*ring)->to_key_file(), expected.to_key_file());
}

TEST(CryptoKeyFile, BadLinesNameTheLineAndNotTheKey) {
    const std::string good = base64_encode(Bytes(32, 0x5a));
    const std::string key_b64 = base64_encode(Bytes(32, 0xc3));  // a "secret" that must not leak
    const std::string short_key = base64_encode(Bytes(16, 0xc3));
    struct Case {
        std::string text;
        int line;
    };
    const Case cases[] = {
        {"k0 " + good + "\n" + key_b64 + "\n", 2},                        // key without id
        {"# c\n\nk1 " + key_b64 + " extra\n", 3},                          // three fields
        {"k0 " + good + "\nbad/id " + key_b64 + "\n", 2},                  // malformed id
        {key_b64 + " " + key_b64 + "\n", 1},                               // key bytes in the id slot
        {"k1 " + key_b64.substr(0, 43) + "!\n", 1},                        // bad base64
        {"k1 " + key_b64.substr(1) + "\n", 1},                             // bad base64 length
        {"k1 " + short_key + "\n", 1},                                     // 16-byte key
        {"k0 " + good + "\n\nk1 " + key_b64 + "\nk0 " + key_b64 + "\n", 4},  // duplicate id
    };
    for (const Case& c : cases) {
        auto ring = KeyRing::from_key_file(c.text);
        ASSERT_FALSE(ring.has_value()) << c.text;
        const Error& e = ring.error();
        EXPECT_NE(e.code, ErrorCode::ok);
        EXPECT_TRUE(e.message.starts_with("key file line " + std::to_string(c.line) + ": ")) << e.message;
        EXPECT_EQ(e.message.find(key_b64), std::string::npos) << e.message;
        EXPECT_EQ(e.message.find(key_b64.substr(0, 12)), std::string::npos) << e.message;
        EXPECT_EQ(e.message.find(short_key.substr(0, 12)), std::string::npos) << e.message;
        EXPECT_EQ(e.message.find(good.substr(0, 12)), std::string::npos) << e.message;
        EXPECT_EQ(e.message.find("\xc3\xc3"), std::string::npos);
    }
    EXPECT_EQ(KeyRing::from_key_file("k0 " + good + "\nk0 " + good).error().code, ErrorCode::conflict);
    EXPECT_EQ(KeyRing::from_key_file("k1 " + short_key).error().code, ErrorCode::invalid_argument);
}

TEST(CryptoKeyFile, EmptyFileIsInvalid) {
    for (const std::string_view text : {"", "\n\n", "# only a comment\n"}) {
        auto ring = KeyRing::from_key_file(text);
        ASSERT_FALSE(ring.has_value());
        EXPECT_EQ(ring.error().code, ErrorCode::invalid_argument);
    }
}

// ---------------------------------------------------------------------------
// Argon2id
// ---------------------------------------------------------------------------

TEST(CryptoArgon2, RoundTripWithSmallParams) {
    auto phc = argon2id_hash("correct horse battery staple", kFastParams);
    ASSERT_TRUE(phc.has_value()) << phc.error().to_string();
    EXPECT_TRUE(phc->starts_with("$argon2id$v=19$m=1024,t=1,p=1$")) << *phc;
    // Salt and hash use base64 without padding.
    EXPECT_EQ(phc->substr(phc->find("p=1$") + 4).find('='), std::string::npos) << *phc;
    EXPECT_EQ(phc->find("correct"), std::string::npos);

    EXPECT_EQ(argon2id_verify("correct horse battery staple", *phc).value(), true);
    EXPECT_EQ(argon2id_verify("correct horse battery stapl", *phc).value(), false);
    EXPECT_EQ(argon2id_verify("", *phc).value(), false);

    // A fresh salt each time.
    EXPECT_NE(*phc, argon2id_hash("correct horse battery staple", kFastParams).value());

    auto empty = argon2id_hash("", kFastParams);
    ASSERT_TRUE(empty.has_value());
    EXPECT_TRUE(argon2id_verify("", *empty).value());
    EXPECT_FALSE(argon2id_verify("x", *empty).value());
}

TEST(CryptoArgon2, DefaultParamsAreOwasp) {
    auto phc = argon2id_hash("operator password");
    ASSERT_TRUE(phc.has_value()) << phc.error().to_string();
    EXPECT_TRUE(phc->starts_with("$argon2id$v=19$m=19456,t=2,p=1$")) << *phc;
    EXPECT_TRUE(argon2id_verify("operator password", *phc).value());
    EXPECT_FALSE(argon2id_verify("operator passwore", *phc).value());
    EXPECT_FALSE(argon2id_needs_rehash(*phc).value());
    EXPECT_TRUE(argon2id_needs_rehash(*phc, kFastParams).value());
}

TEST(CryptoArgon2, InteroperatesWithReferenceEncoder) {
    // libargon2's own encoder and verifier agree with ours in both directions.
    const std::string password = "interop";
    const Bytes salt = bytes_of("saltsaltsaltsalt");
    const std::size_t len = argon2_encodedlen(1, 1024, 1, static_cast<std::uint32_t>(salt.size()), 32, Argon2_id);
    std::string encoded(len, '\0');
    ASSERT_EQ(argon2id_hash_encoded(1, 1024, 1, password.data(), password.size(), salt.data(), salt.size(), 32,
                                    encoded.data(), encoded.size()),
              ARGON2_OK);
    encoded.resize(encoded.find('\0'));
    EXPECT_TRUE(argon2id_verify(password, encoded).value()) << encoded;
    EXPECT_FALSE(argon2id_verify("other", encoded).value());
    EXPECT_FALSE(argon2id_needs_rehash(encoded, kFastParams).value());

    const std::string ours = argon2id_hash(password, kFastParams).value();
    EXPECT_EQ(::argon2id_verify(ours.c_str(), password.data(), password.size()), ARGON2_OK);
}

TEST(CryptoArgon2, NeedsRehash) {
    const std::string phc = argon2id_hash("pw", kFastParams).value();
    EXPECT_FALSE(argon2id_needs_rehash(phc, kFastParams).value());

    Argon2Params p = kFastParams;
    p.memory_kib = 2048;
    EXPECT_TRUE(argon2id_needs_rehash(phc, p).value());
    p = kFastParams;
    p.iterations = 2;
    EXPECT_TRUE(argon2id_needs_rehash(phc, p).value());
    p = kFastParams;
    p.parallelism = 2;
    EXPECT_TRUE(argon2id_needs_rehash(phc, p).value());
    p = kFastParams;
    p.salt_len = 32;
    EXPECT_TRUE(argon2id_needs_rehash(phc, p).value());
    p = kFastParams;
    p.hash_len = 16;
    EXPECT_TRUE(argon2id_needs_rehash(phc, p).value());
    EXPECT_TRUE(argon2id_needs_rehash(phc).value());  // defaults differ from the fast params
}

TEST(CryptoArgon2, MalformedPhcIsInvalidArgument) {
    const std::string salt = "c2FsdHNhbHRzYWx0c2FsdA";                       // 16 bytes, unpadded
    const std::string hash = "aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g";  // 32 bytes, unpadded
    const std::string params = "$m=1024,t=1,p=1$";
    // Sanity: the pieces form a well-formed string (wrong password → false).
    ASSERT_EQ(argon2id_verify("pw", "$argon2id$v=19" + params + salt + "$" + hash).value(), false);

    const std::string bad[] = {
        "",
        "argon2id",
        "$argon2id",
        "$argon2id$v=19$m=1024,t=1,p=1",
        "$argon2id$v=19" + params + salt,
        "$argon2id$v=19" + params + salt + "$",
        "$argon2id$v=19" + params + salt + "$" + hash + "$",
        "argon2id$v=19" + params + salt + "$" + hash,           // no leading '$'
        "$argon2i$v=19" + params + salt + "$" + hash,           // other variant
        "$argon2d$v=19" + params + salt + "$" + hash,
        "$argon2id$v=16" + params + salt + "$" + hash,          // old version
        "$argon2id" + params + salt + "$" + hash,               // missing version
        "$argon2id$v=019" + params + salt + "$" + hash,         // leading zero
        "$argon2id$v=19$m=1024,t=1$" + salt + "$" + hash,       // missing p
        "$argon2id$v=19$t=1,m=1024,p=1$" + salt + "$" + hash,   // wrong order
        "$argon2id$v=19$m=1024,t=1,p=1,x=2$" + salt + "$" + hash,
        "$argon2id$v=19$m=abc,t=1,p=1$" + salt + "$" + hash,
        "$argon2id$v=19$m=01024,t=1,p=1$" + salt + "$" + hash,
        "$argon2id$v=19$m=-1024,t=1,p=1$" + salt + "$" + hash,
        "$argon2id$v=19$m=+1024,t=1,p=1$" + salt + "$" + hash,
        "$argon2id$v=19$m=,t=1,p=1$" + salt + "$" + hash,
        "$argon2id$v=19$m=1024 ,t=1,p=1$" + salt + "$" + hash,
        "$argon2id$v=19" + params + salt + "==$" + hash,        // padded salt
        "$argon2id$v=19" + params + salt + "$" + hash + "=",
        "$argon2id$v=19" + params + "c2Fs!HNhbHRzYWx0c2FsdA$" + hash,  // bad character
        "$argon2id$v=19" + params + salt.substr(1) + "$" + hash,       // impossible length
        "$argon2id$v=19" + params + "c2FsdA$" + hash,           // 4-byte salt: too short
        "$argon2id$v=19" + params + salt + "$aGFz",             // 3-byte hash: too short
        "$argon2id$v=19" + params + "$" + hash,                 // empty salt
        "$argon2id$v=19" + params + salt + "$",                 // empty hash
    };
    for (const std::string& phc : bad) {
        auto verified = argon2id_verify("pw", phc);
        ASSERT_FALSE(verified.has_value()) << phc;
        EXPECT_EQ(verified.error().code, ErrorCode::invalid_argument) << phc;
        EXPECT_FALSE(verified.error().message.empty());
        auto rehash = argon2id_needs_rehash(phc);
        ASSERT_FALSE(rehash.has_value()) << phc;
        EXPECT_EQ(rehash.error().code, ErrorCode::invalid_argument) << phc;
    }
}

TEST(CryptoArgon2, HostileParametersRejectedBeforeHashing) {
    const std::string tail = "$c2FsdHNhbHRzYWx0c2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g";
    const std::string hostile[] = {
        "$argon2id$v=19$m=4294967295,t=1,p=1" + tail,  // 4 TiB
        "$argon2id$v=19$m=4294967296,t=1,p=1" + tail,  // overflows uint32
        "$argon2id$v=19$m=99999999999999999999,t=1,p=1" + tail,
        "$argon2id$v=19$m=1048577,t=1,p=1" + tail,     // just over 1 GiB
        "$argon2id$v=19$m=1024,t=4294967295,p=1" + tail,
        "$argon2id$v=19$m=1024,t=65,p=1" + tail,
        "$argon2id$v=19$m=1024,t=0,p=1" + tail,
        "$argon2id$v=19$m=1024,t=1,p=0" + tail,
        "$argon2id$v=19$m=1024,t=1,p=17" + tail,
        "$argon2id$v=19$m=1024,t=1,p=16777215" + tail,
        "$argon2id$v=19$m=8,t=1,p=2" + tail,           // less than 8 KiB per lane
        "$argon2id$v=19$m=0,t=1,p=1" + tail,
        // Oversized salt and hash.
        "$argon2id$v=19$m=1024,t=1,p=1$" + std::string(base64_encode(Bytes(65, 1))).substr(0, 87) +
            "$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g",
        "$argon2id$v=19$m=1024,t=1,p=1$c2FsdHNhbHRzYWx0c2FsdA$" + std::string(base64_encode(Bytes(66, 1))),
    };
    for (const std::string& phc : hostile) {
        auto verified = argon2id_verify("pw", phc);
        ASSERT_FALSE(verified.has_value()) << phc;
        EXPECT_EQ(verified.error().code, ErrorCode::invalid_argument) << phc;
        EXPECT_EQ(argon2id_needs_rehash(phc).error().code, ErrorCode::invalid_argument) << phc;
    }
    // The largest accepted values parse (checked without hashing: 1 GiB).
    EXPECT_TRUE(argon2id_needs_rehash("$argon2id$v=19$m=1048576,t=64,p=16" + tail).value());
}

TEST(CryptoArgon2, BadHashParamsAreInvalidArgument) {
    const Argon2Params bad[] = {
        {.memory_kib = 1024, .iterations = 0, .parallelism = 1, .salt_len = 16, .hash_len = 32},
        {.memory_kib = 1024, .iterations = 1, .parallelism = 0, .salt_len = 16, .hash_len = 32},
        {.memory_kib = 4, .iterations = 1, .parallelism = 1, .salt_len = 16, .hash_len = 32},
        {.memory_kib = 4u << 20, .iterations = 1, .parallelism = 1, .salt_len = 16, .hash_len = 32},
        {.memory_kib = 1024, .iterations = 1, .parallelism = 1, .salt_len = 4, .hash_len = 32},
        {.memory_kib = 1024, .iterations = 1, .parallelism = 1, .salt_len = 16, .hash_len = 2},
        {.memory_kib = 1024, .iterations = 1, .parallelism = 1, .salt_len = 16, .hash_len = 1000},
    };
    for (const Argon2Params& p : bad) {
        auto phc = argon2id_hash("pw", p);
        ASSERT_FALSE(phc.has_value());
        EXPECT_EQ(phc.error().code, ErrorCode::invalid_argument);
    }
}

}  // namespace
}  // namespace gramkit::crypto
