// Cost of the secrets envelope (DESIGN.md §5) on a session-cookie-sized
// secret, against a baseline measured in the same run: raw OpenSSL
// AES-256-GCM encrypt + decrypt of the same bytes, without the key ring,
// random nonce, header AAD or base64.
//
//   bench_envelope --benchmark_min_time=0.5
//
// Compare BM_EnvelopeSealOpen with BM_RawAesGcmEncryptDecrypt; the ratio is
// what the envelope adds (nonce generation, base64, allocation, locking).
#include <benchmark/benchmark.h>

#include <openssl/evp.h>

#include <array>
#include <cstdlib>
#include <string>

#include "gramkit/crypto.hpp"

namespace {

using gramkit::crypto::Bytes;
using gramkit::crypto::Key;
using gramkit::crypto::KeyRing;

constexpr std::size_t kCookieJarSize = 1024;
constexpr std::string_view kAssociated = "sessions/cookies/1234567";

// A 1 KiB JSON cookie jar of the shape the Instagram session store keeps.
std::string cookie_jar_json() {
    std::string json = R"({"cookies":[)"
                       R"({"name":"csrftoken","value":"mZ3kQ8vYp2LxN7tR4wE9aS1dF6gH0jKl","domain":".instagram.com","path":"/","secure":true},)"
                       R"({"name":"sessionid","value":"48213377%3AaBcDeFgHiJkLmN%3A12%3AAYfQwErTyUiOpAsDfGhJkLzXcVbNm","domain":".instagram.com","path":"/","secure":true,"http_only":true},)"
                       R"({"name":"ds_user_id","value":"48213377","domain":".instagram.com","path":"/","secure":true},)"
                       R"({"name":"mid","value":"ZfX1aQALAAE3k9vQwErTyUiOpAsD","domain":".instagram.com","path":"/","secure":true},)"
                       R"({"name":"ig_did","value":"6C1D2E3F-4A5B-6C7D-8E9F-0A1B2C3D4E5F","domain":".instagram.com","path":"/","secure":true,"http_only":true},)"
                       R"({"name":"rur","value":"\"NCG\\05448213377\\0541767225600:01f7a9b8c7d6e5f4\"","domain":".instagram.com","path":"/","secure":true}],)"
                       R"("user_agent":"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36","padding":")";
    // Pad to exactly 1 KiB so both benchmarks move the same number of bytes.
    while (json.size() < kCookieJarSize - 2) json.push_back('x');
    json += "\"}";
    json.resize(kCookieJarSize);
    return json;
}

void BM_EnvelopeSealOpen(benchmark::State& state) {
    KeyRing ring;
    if (!ring.generate_key("bench-old") || !ring.generate_key("bench")) {
        state.SkipWithError("cannot create keys");
        return;
    }
    const std::string plaintext = cookie_jar_json();
    std::size_t envelope_bytes = 0;
    for (auto _ : state) {
        auto envelope = ring.seal(plaintext, kAssociated);
        auto opened = ring.open(*envelope, kAssociated);
        if (!opened || opened->size() != plaintext.size()) {
            state.SkipWithError("envelope round trip failed");
            break;
        }
        envelope_bytes = envelope->size();
        benchmark::DoNotOptimize(opened->data());
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * plaintext.size()));
    state.counters["envelope_bytes"] = static_cast<double>(envelope_bytes);
}
BENCHMARK(BM_EnvelopeSealOpen);

void BM_EnvelopeSeal(benchmark::State& state) {
    KeyRing ring;
    if (!ring.generate_key("bench")) {
        state.SkipWithError("cannot create key");
        return;
    }
    const std::string plaintext = cookie_jar_json();
    for (auto _ : state) {
        auto envelope = ring.seal(plaintext, kAssociated);
        benchmark::DoNotOptimize(envelope->data());
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * plaintext.size()));
}
BENCHMARK(BM_EnvelopeSeal);

void BM_EnvelopeOpen(benchmark::State& state) {
    KeyRing ring;
    if (!ring.generate_key("bench")) {
        state.SkipWithError("cannot create key");
        return;
    }
    const std::string plaintext = cookie_jar_json();
    const std::string envelope = *ring.seal(plaintext, kAssociated);
    for (auto _ : state) {
        auto opened = ring.open(envelope, kAssociated);
        benchmark::DoNotOptimize(opened->data());
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * plaintext.size()));
}
BENCHMARK(BM_EnvelopeOpen);

// Baseline: the same AES-256-GCM work straight on EVP with a fixed nonce
// (acceptable only in a benchmark), one fetched cipher, a fresh context per
// operation as the envelope uses, caller-provided buffers, no base64.
void BM_RawAesGcmEncryptDecrypt(benchmark::State& state) {
    EVP_CIPHER* cipher = EVP_CIPHER_fetch(nullptr, "AES-256-GCM", nullptr);
    if (cipher == nullptr) {
        state.SkipWithError("AES-256-GCM unavailable");
        return;
    }
    const Bytes key = gramkit::crypto::random_bytes(32);
    const Bytes nonce = gramkit::crypto::random_bytes(12);
    const std::string plaintext = cookie_jar_json();
    const auto* in = reinterpret_cast<const unsigned char*>(plaintext.data());
    const auto* aad = reinterpret_cast<const unsigned char*>(kAssociated.data());
    const int n = static_cast<int>(plaintext.size());
    Bytes ciphertext(plaintext.size());
    Bytes decrypted(plaintext.size());
    std::array<unsigned char, 16> tag{};

    for (auto _ : state) {
        int len = 0;
        bool ok = true;
        EVP_CIPHER_CTX* enc = EVP_CIPHER_CTX_new();
        ok &= EVP_EncryptInit_ex2(enc, cipher, key.data(), nonce.data(), nullptr) == 1;
        ok &= EVP_EncryptUpdate(enc, nullptr, &len, aad, static_cast<int>(kAssociated.size())) == 1;
        ok &= EVP_EncryptUpdate(enc, ciphertext.data(), &len, in, n) == 1;
        ok &= EVP_EncryptFinal_ex(enc, ciphertext.data() + len, &len) == 1;
        ok &= EVP_CIPHER_CTX_ctrl(enc, EVP_CTRL_GCM_GET_TAG, 16, tag.data()) == 1;
        EVP_CIPHER_CTX_free(enc);

        EVP_CIPHER_CTX* dec = EVP_CIPHER_CTX_new();
        ok &= EVP_DecryptInit_ex2(dec, cipher, key.data(), nonce.data(), nullptr) == 1;
        ok &= EVP_DecryptUpdate(dec, nullptr, &len, aad, static_cast<int>(kAssociated.size())) == 1;
        ok &= EVP_DecryptUpdate(dec, decrypted.data(), &len, ciphertext.data(), n) == 1;
        ok &= EVP_CIPHER_CTX_ctrl(dec, EVP_CTRL_GCM_SET_TAG, 16, tag.data()) == 1;
        ok &= EVP_DecryptFinal_ex(dec, decrypted.data() + len, &len) == 1;
        EVP_CIPHER_CTX_free(dec);
        if (!ok) {
            state.SkipWithError("raw AES-GCM round trip failed");
            break;
        }
        benchmark::DoNotOptimize(decrypted.data());
        benchmark::ClobberMemory();
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * plaintext.size()));
    EVP_CIPHER_free(cipher);
}
BENCHMARK(BM_RawAesGcmEncryptDecrypt);

}  // namespace

BENCHMARK_MAIN();
