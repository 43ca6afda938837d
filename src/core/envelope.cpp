// gramkit — the AES-256-GCM secrets envelope and its key ring (DESIGN.md §5).
//
// Envelope:  v1:<key-id>:<base64(nonce[12] || ciphertext || tag[16])>
//
// GCM authenticates  "v1:<key-id>:" || associated_data  as AAD. Binding the
// header means an attacker who can edit stored rows cannot relabel an
// envelope with another key id (for example one that maps to the same key
// material after a botched rotation) without detection. The header cannot
// contain ':' inside the key id, so the concatenation is unambiguous.
#include <algorithm>
#include <climits>
#include <cstring>
#include <mutex>
#include <optional>
#include <string>
#include <utility>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "gramkit/crypto.hpp"

namespace gramkit::crypto {

namespace {

constexpr std::string_view kVersion = "v1";
constexpr std::size_t kNonceSize = 12;
constexpr std::size_t kTagSize = 16;
constexpr std::size_t kMaxKeyIdLength = 32;

// OpenSSL 3 resolves EVP_aes_256_gcm() through the provider on every init;
// fetching once avoids that lookup per seal/open. The pointer is kept for
// the life of the process on purpose: freeing it from a static destructor
// could run after OpenSSL's own atexit cleanup.
const EVP_CIPHER* aes_256_gcm() {
    static EVP_CIPHER* const cipher = EVP_CIPHER_fetch(nullptr, "AES-256-GCM", nullptr);
    return cipher;
}

struct CipherCtxDeleter {
    void operator()(EVP_CIPHER_CTX* ctx) const noexcept { EVP_CIPHER_CTX_free(ctx); }
};
using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, CipherCtxDeleter>;

void wipe(void* p, std::size_t n) noexcept {
    if (n != 0) OPENSSL_cleanse(p, n);
}

std::unexpected<Error> crypto_failure(std::string_view what) {
    return fail(ErrorCode::internal, "AES-256-GCM " + std::string(what) + " failed inside OpenSSL");
}

std::string make_header(std::string_view key_id) {
    std::string header;
    header.reserve(kVersion.size() + key_id.size() + 2);
    header.append(kVersion).append(":").append(key_id).append(":");
    return header;
}

// Feeds header || associated data to GCM as AAD. `encrypt` picks the
// matching EVP update function.
bool feed_aad(EVP_CIPHER_CTX* ctx, bool encrypt, std::string_view header, std::string_view associated_data) {
    for (std::string_view part : {header, associated_data}) {
        if (part.empty()) continue;
        int len = 0;
        const auto* p = reinterpret_cast<const unsigned char*>(part.data());
        const int n = static_cast<int>(part.size());
        const int ok = encrypt ? EVP_EncryptUpdate(ctx, nullptr, &len, p, n) : EVP_DecryptUpdate(ctx, nullptr, &len, p, n);
        if (ok != 1) return false;
    }
    return true;
}

// An envelope split into its parts; `header` is "v1:<key-id>:".
struct ParsedEnvelope {
    std::string_view header;
    std::string_view key_id;
    Bytes payload;  // nonce || ciphertext || tag
};

// Messages never quote the input: a caller that passes a plaintext secret
// by mistake must not see it echoed into logs.
Result<ParsedEnvelope> parse_envelope(std::string_view envelope) {
    if (envelope.empty()) {
        return fail(ErrorCode::invalid_argument, "not an envelope: empty string");
    }
    const std::size_t version_end = envelope.find(':');
    if (version_end == std::string_view::npos) {
        return fail(ErrorCode::invalid_argument, "not an envelope: missing 'v1:' prefix");
    }
    if (envelope.substr(0, version_end) != kVersion) {
        return fail(ErrorCode::invalid_argument, "not an envelope: unsupported version (expected 'v1:')");
    }
    const std::size_t id_begin = version_end + 1;
    const std::size_t id_end = envelope.find(':', id_begin);
    if (id_end == std::string_view::npos) {
        return fail(ErrorCode::invalid_argument, "not an envelope: missing key id");
    }
    const std::string_view key_id = envelope.substr(id_begin, id_end - id_begin);
    if (!valid_key_id(key_id)) {
        return fail(ErrorCode::invalid_argument, "not an envelope: malformed key id");
    }
    auto payload = base64_decode(envelope.substr(id_end + 1));
    if (!payload) {
        return fail(ErrorCode::invalid_argument, "not an envelope: payload is not valid base64");
    }
    if (payload->size() < kNonceSize + kTagSize) {
        return fail(ErrorCode::invalid_argument, "not an envelope: payload is too short");
    }
    return ParsedEnvelope{envelope.substr(0, id_end + 1), key_id, std::move(*payload)};
}

}  // namespace

bool valid_key_id(std::string_view id) noexcept {
    if (id.empty() || id.size() > kMaxKeyIdLength) return false;
    return std::all_of(id.begin(), id.end(), [](char c) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
    });
}

Result<EnvelopeInfo> inspect_envelope(std::string_view envelope) {
    GK_ASSIGN_OR_RETURN(auto parsed, parse_envelope(envelope));
    return EnvelopeInfo{std::string(kVersion), std::string(parsed.key_id)};
}

// ---------------------------------------------------------------------------
// KeyRing
// ---------------------------------------------------------------------------

KeyRing::~KeyRing() {
    for (auto& key : keys_) wipe(key.material.data(), key.material.size());
}

Status KeyRing::add_key(Key key) {
    // The caller's copy lives in `key`; wipe it on every path out.
    struct WipeOnExit {
        Key& k;
        ~WipeOnExit() { wipe(k.material.data(), k.material.size()); }
    } wipe_key{key};

    if (!valid_key_id(key.id)) {
        // The bad id is not quoted: a mangled key-file line can put key
        // bytes where the id belongs.
        return fail(ErrorCode::invalid_argument, "key id must be 1..32 characters of [A-Za-z0-9_-]", "id");
    }
    std::unique_lock lock(mu_);
    for (const auto& existing : keys_) {
        if (existing.id == key.id) {
            return fail(ErrorCode::conflict, "key id '" + key.id + "' is already on the key ring", "id");
        }
    }
    if (keys_.size() == keys_.capacity()) {
        // Grow by hand so the old buffer's key material is wiped rather than
        // handed back to the allocator intact.
        std::vector<Key> grown;
        grown.reserve(std::max<std::size_t>(4, keys_.capacity() * 2));
        for (const auto& k : keys_) grown.push_back(k);
        for (auto& k : keys_) wipe(k.material.data(), k.material.size());
        keys_.swap(grown);
    }
    keys_.push_back(Key{key.id, key.material});
    return {};
}

Result<Key> KeyRing::generate_key(std::string id) {
    Key key{std::move(id), {}};
    GK_TRY(random_bytes(std::span<std::uint8_t>(key.material)));
    Key returned = key;
    if (auto added = add_key(std::move(key)); !added) {
        wipe(returned.material.data(), returned.material.size());
        return fail(std::move(added).error());
    }
    return returned;
}

bool KeyRing::empty() const {
    std::shared_lock lock(mu_);
    return keys_.empty();
}

std::size_t KeyRing::size() const {
    std::shared_lock lock(mu_);
    return keys_.size();
}

std::string KeyRing::newest_key_id() const {
    std::shared_lock lock(mu_);
    return keys_.empty() ? std::string() : keys_.back().id;
}

std::vector<std::string> KeyRing::key_ids() const {
    std::shared_lock lock(mu_);
    std::vector<std::string> ids;
    ids.reserve(keys_.size());
    for (const auto& k : keys_) ids.push_back(k.id);
    return ids;
}

Result<std::string> KeyRing::seal(std::string_view plaintext, std::string_view associated_data) const {
    if (plaintext.size() > static_cast<std::size_t>(INT_MAX) - kNonceSize - kTagSize ||
        associated_data.size() > static_cast<std::size_t>(INT_MAX)) {
        return fail(ErrorCode::invalid_argument, "plaintext or associated data too large to seal");
    }
    const EVP_CIPHER* cipher = aes_256_gcm();
    if (cipher == nullptr) return crypto_failure("cipher lookup");

    // nonce || ciphertext || tag, filled in place.
    Bytes payload(kNonceSize + plaintext.size() + kTagSize);
    unsigned char* nonce = payload.data();
    unsigned char* ciphertext = nonce + kNonceSize;
    unsigned char* tag = ciphertext + plaintext.size();
    // A fresh random nonce per seal; with 96-bit nonces the collision risk
    // stays negligible far beyond the number of secrets a fleet stores.
    GK_TRY(random_bytes(std::span<std::uint8_t>(nonce, kNonceSize)));

    std::shared_lock lock(mu_);
    if (keys_.empty()) {
        return fail(ErrorCode::failed_precondition, "cannot seal: the key ring has no keys");
    }
    const Key& key = keys_.back();
    const std::string header = make_header(key.id);

    CipherCtx ctx(EVP_CIPHER_CTX_new());
    if (!ctx) return crypto_failure("context allocation");
    // GCM's default IV length is 12 bytes, which is what kNonceSize is.
    if (EVP_EncryptInit_ex2(ctx.get(), cipher, key.material.data(), nonce, nullptr) != 1) {
        return crypto_failure("encrypt init");
    }
    lock.unlock();  // the context holds its own copy of the key schedule

    if (!feed_aad(ctx.get(), true, header, associated_data)) return crypto_failure("AAD");
    int len = 0;
    if (!plaintext.empty()) {
        if (EVP_EncryptUpdate(ctx.get(), ciphertext, &len, reinterpret_cast<const unsigned char*>(plaintext.data()),
                              static_cast<int>(plaintext.size())) != 1 ||
            static_cast<std::size_t>(len) != plaintext.size()) {
            return crypto_failure("encrypt");
        }
    }
    if (EVP_EncryptFinal_ex(ctx.get(), ciphertext + plaintext.size(), &len) != 1 || len != 0) {
        return crypto_failure("encrypt final");
    }
    if (EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, static_cast<int>(kTagSize), tag) != 1) {
        return crypto_failure("tag");
    }

    std::string out = header;
    out += base64_encode(payload);
    return out;
}

Result<std::string> KeyRing::open(std::string_view envelope, std::string_view associated_data) const {
    GK_ASSIGN_OR_RETURN(auto parsed, parse_envelope(envelope));
    if (associated_data.size() > static_cast<std::size_t>(INT_MAX) ||
        parsed.payload.size() > static_cast<std::size_t>(INT_MAX)) {
        return fail(ErrorCode::invalid_argument, "envelope or associated data too large to open");
    }
    const EVP_CIPHER* cipher = aes_256_gcm();
    if (cipher == nullptr) return crypto_failure("cipher lookup");

    const unsigned char* nonce = parsed.payload.data();
    const unsigned char* ciphertext = nonce + kNonceSize;
    const std::size_t ciphertext_size = parsed.payload.size() - kNonceSize - kTagSize;
    // EVP_CTRL_GCM_SET_TAG takes a non-const pointer; give it a copy.
    std::array<unsigned char, kTagSize> tag{};
    std::memcpy(tag.data(), ciphertext + ciphertext_size, kTagSize);

    CipherCtx ctx(EVP_CIPHER_CTX_new());
    if (!ctx) return crypto_failure("context allocation");
    {
        std::shared_lock lock(mu_);
        const auto it = std::find_if(keys_.begin(), keys_.end(), [&](const Key& k) { return k.id == parsed.key_id; });
        if (it == keys_.end()) {
            return fail(ErrorCode::data_loss,
                        "cannot open envelope: key id '" + std::string(parsed.key_id) + "' is not on the key ring");
        }
        if (EVP_DecryptInit_ex2(ctx.get(), cipher, it->material.data(), nonce, nullptr) != 1) {
            return crypto_failure("decrypt init");
        }
    }

    if (!feed_aad(ctx.get(), false, parsed.header, associated_data)) return crypto_failure("AAD");
    std::string plaintext(ciphertext_size, '\0');
    auto* out = reinterpret_cast<unsigned char*>(plaintext.data());
    int len = 0;
    if (ciphertext_size != 0) {
        if (EVP_DecryptUpdate(ctx.get(), out, &len, ciphertext, static_cast<int>(ciphertext_size)) != 1 ||
            static_cast<std::size_t>(len) != ciphertext_size) {
            wipe(plaintext.data(), plaintext.size());
            return crypto_failure("decrypt");
        }
    }
    if (EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, static_cast<int>(kTagSize), tag.data()) != 1) {
        wipe(plaintext.data(), plaintext.size());
        return crypto_failure("set tag");
    }
    if (EVP_DecryptFinal_ex(ctx.get(), out + ciphertext_size, &len) != 1) {
        // Unauthenticated plaintext must never leave this function.
        wipe(plaintext.data(), plaintext.size());
        return fail(ErrorCode::data_loss,
                    "cannot open envelope sealed with key id '" + std::string(parsed.key_id) +
                        "': authentication failed (tampered data, wrong key or wrong associated data)");
    }
    return plaintext;
}

// ---------------------------------------------------------------------------
// Key file
// ---------------------------------------------------------------------------

std::string KeyRing::to_key_file() const {
    std::shared_lock lock(mu_);
    std::string out;
    for (const auto& key : keys_) {
        out += key.id;
        out += ' ';
        out += base64_encode(key.material);
        out += '\n';
    }
    return out;
}

namespace {

bool is_space(char c) { return c == ' ' || c == '\t'; }

std::string_view trim(std::string_view s) {
    while (!s.empty() && (is_space(s.front()) || s.front() == '\r')) s.remove_prefix(1);
    while (!s.empty() && (is_space(s.back()) || s.back() == '\r')) s.remove_suffix(1);
    return s;
}

// Splits on runs of spaces/tabs.
std::vector<std::string_view> split_fields(std::string_view line) {
    std::vector<std::string_view> fields;
    std::size_t i = 0;
    while (i < line.size()) {
        while (i < line.size() && is_space(line[i])) ++i;
        const std::size_t start = i;
        while (i < line.size() && !is_space(line[i])) ++i;
        if (i > start) fields.push_back(line.substr(start, i - start));
    }
    return fields;
}

}  // namespace

Result<std::unique_ptr<KeyRing>> KeyRing::from_key_file(std::string_view text) {
    auto ring = std::make_unique<KeyRing>();
    std::size_t line_no = 0;
    std::size_t pos = 0;
    while (pos < text.size()) {
        std::size_t end = text.find('\n', pos);
        if (end == std::string_view::npos) end = text.size();
        const std::string_view line = trim(text.substr(pos, end - pos));
        pos = end + 1;
        ++line_no;
        if (line.empty() || line.front() == '#') continue;

        // Every message below names the line and the problem only: the
        // fields may hold key bytes.
        const std::string where = "key file line " + std::to_string(line_no) + ": ";
        const auto fields = split_fields(line);
        if (fields.size() != 2) {
            return fail(ErrorCode::invalid_argument, where + "expected '<key-id> <base64 key>'");
        }
        if (!valid_key_id(fields[0])) {
            return fail(ErrorCode::invalid_argument, where + "key id must be 1..32 characters of [A-Za-z0-9_-]");
        }
        auto material = base64_decode(fields[1]);
        if (!material) {
            return fail(ErrorCode::invalid_argument, where + "key is not valid base64");
        }
        if (material->size() != kKeySize) {
            const std::size_t got = material->size();
            wipe(material->data(), material->size());
            return fail(ErrorCode::invalid_argument,
                        where + "key must be " + std::to_string(kKeySize) + " bytes, got " + std::to_string(got));
        }
        Key key{std::string(fields[0]), {}};
        std::memcpy(key.material.data(), material->data(), kKeySize);
        wipe(material->data(), material->size());
        if (auto added = ring->add_key(std::move(key)); !added) {
            return fail(added.error().code, where + added.error().message);
        }
    }
    if (ring->empty()) {
        return fail(ErrorCode::invalid_argument, "key file contains no keys");
    }
    return ring;
}

}  // namespace gramkit::crypto
