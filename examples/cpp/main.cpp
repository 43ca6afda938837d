// gramkit C++ example: embed the engine through the typed C++ API.
//
// Opens an engine on a SQLite database in a fresh temporary directory,
// registers two accounts, lists them, shows that a duplicate username is a
// `conflict` error value (not an exception), runs one operation through the
// JSON face (Engine::call) and cleans up. Exits 0 only if every step behaved
// as expected, so it doubles as the test examples.cpp_installed.
//
// Build it against an installed gramkit: see CMakeLists.txt next to this file.
#include <gramkit/gramkit.hpp>

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <memory>
#include <string>
#include <system_error>
#include <unistd.h>

namespace {

namespace fs = std::filesystem;

// A private directory for the database and the key file, removed on exit.
class TempDir {
public:
    TempDir() {
        std::string pattern = (fs::temp_directory_path() / "gramkit-cpp-example.XXXXXX").string();
        if (::mkdtemp(pattern.data()) == nullptr) throw std::system_error(errno, std::generic_category(), "mkdtemp");
        path_ = pattern;
    }
    ~TempDir() {
        std::error_code ec;
        fs::remove_all(path_, ec);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const fs::path& path() const { return path_; }

private:
    fs::path path_;
};

int failures = 0;

void check(bool ok, const std::string& what) {
    if (!ok) {
        ++failures;
        std::cerr << "FAILED: " << what << '\n';
    }
}

void print(const gramkit::Account& a) {
    std::cout << "  #" << a.id << "  " << a.username << "  status=" << gramkit::to_string(a.status);
    if (a.email) std::cout << "  email=" << *a.email;
    std::cout << "  labels=[";
    for (std::size_t i = 0; i < a.labels.size(); ++i) std::cout << (i ? "," : "") << a.labels[i];
    std::cout << "]  created=" << gramkit::format_timestamp_utc(a.created_at) << '\n';
}

int run(const fs::path& dir) {
    std::cout << "gramkit " << gramkit::version() << '\n';

    // 1. Open an engine: SQLite database and key file inside `dir`.
    gramkit::EngineConfig config;
    config.data_dir = dir.string();
    config.log_level = gramkit::LogLevel::warn;
    auto opened = gramkit::Engine::open(std::move(config));
    if (!opened) {
        std::cerr << "cannot open the engine: " << opened.error().to_string() << '\n';
        return 1;
    }
    std::unique_ptr<gramkit::Engine> engine = std::move(*opened);
    std::cout << "storage: " << engine->storage_url() << '\n';

    // 2. Register accounts. Passwords are encrypted before they are stored.
    gramkit::AccountService& accounts = engine->accounts();
    auto alice = accounts.create(gramkit::NewAccount{
        .username = "example.alice",
        .password = "example-password-1",
        .email = "alice@example.org",
        .totp_seed = std::nullopt,
        .labels = {"demo", "team:a"},
    });
    check(alice.has_value(), "create example.alice");
    if (!alice) {
        std::cerr << "  " << alice.error().to_string() << '\n';
        return 1;
    }
    auto bob = accounts.create(gramkit::NewAccount{
        .username = "example.bob",
        .password = "example-password-2",
        .email = std::nullopt,
        .totp_seed = std::nullopt,
        .labels = {"demo"},
    });
    check(bob.has_value(), "create example.bob");
    std::cout << "registered example.alice (#" << alice->id << ")";
    if (bob) std::cout << " and example.bob (#" << bob->id << ")";
    std::cout << '\n';

    // 3. List accounts (one keyset-paginated page).
    auto page = accounts.list(gramkit::AccountFilter{.limit = 100});
    check(page.has_value(), "list accounts");
    if (page) {
        std::cout << "accounts (" << page->items.size() << "):\n";
        for (const auto& a : page->items) print(a);
        check(page->items.size() == 2, "the listing has 2 accounts");
        check(!page->items.empty() && page->items.front().username == "example.alice",
              "example.alice is listed first");
        check(!page->next_after.has_value(), "one page is enough");
    }

    // 4. Errors are values: a duplicate username is ErrorCode::conflict.
    auto duplicate = accounts.create(gramkit::NewAccount{
        .username = "example.alice",
        .password = "another-password",
        .email = std::nullopt,
        .totp_seed = std::nullopt,
        .labels = {},
    });
    check(!duplicate.has_value(), "a duplicate username is refused");
    if (!duplicate) {
        const gramkit::Error& e = duplicate.error();
        std::cout << "expected error: " << e.code << ": " << e.message << '\n';
        check(e.code == gramkit::ErrorCode::conflict, "the duplicate is a conflict error");
        check(!e.message.empty(), "the error has a message");
    }
    // Invalid input names the field.
    auto invalid = accounts.create(gramkit::NewAccount{
        .username = "bad..name",
        .password = "example-password-3",
        .email = std::nullopt,
        .totp_seed = std::nullopt,
        .labels = {},
    });
    check(!invalid && invalid.error().code == gramkit::ErrorCode::invalid_argument,
          "an invalid username is invalid_argument");
    if (!invalid) std::cout << "expected error: " << invalid.error().to_string() << '\n';

    // 5. The same operations exist as JSON operations (the C ABI and REST
    //    faces use these): accounts.get by id.
    auto json = engine->call("accounts.get", "{\"id\":" + std::to_string(alice->id) + "}");
    check(json.has_value() && json->find("\"example.alice\"") != std::string::npos,
          "accounts.get through Engine::call returns example.alice");
    if (json) std::cout << "accounts.get -> " << *json << '\n';
    auto missing = engine->call("accounts.get", "{\"id\":999999}");
    check(!missing && missing.error().code == gramkit::ErrorCode::not_found, "an unknown id is not_found");
    if (!missing) std::cout << "expected error: " << missing.error().to_string() << '\n';

    engine.reset();  // closes the database before the directory goes away
    return failures == 0 ? 0 : 1;
}

}  // namespace

int main() {
    try {
        TempDir dir;
        const int rc = run(dir.path());
        std::cout << (rc == 0 ? "OK" : "FAILED") << '\n';
        return rc;
    } catch (const std::exception& e) {
        // gramkit reports expected failures as values; this is for bugs only.
        std::cerr << "unexpected exception: " << e.what() << '\n';
        return 1;
    }
}
