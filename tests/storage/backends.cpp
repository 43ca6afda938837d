#include "backends.hpp"

#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <random>

namespace gramkit::test {

std::vector<BackendParam> storage_backends() {
    return {
        {"SqliteMemory", BackendKind::sqlite_memory, storage::Dialect::sqlite, false},
        {"SqliteFile", BackendKind::sqlite_file, storage::Dialect::sqlite, true},
        {"Postgres", BackendKind::postgresql, storage::Dialect::postgresql, true},
    };
}

std::vector<BackendParam> storage_backends_where(bool (*keep)(const BackendParam&)) {
    std::vector<BackendParam> out;
    for (auto& b : storage_backends())
        if (keep(b)) out.push_back(b);
    return out;
}

bool is_postgres_backend(const BackendParam& b) { return b.kind == BackendKind::postgresql; }
bool shares_data_across_opens(const BackendParam& b) { return b.shares_data_across_opens; }

void PrintTo(const BackendParam& param, std::ostream* os) { *os << param.name; }

std::string backend_test_name(const ::testing::TestParamInfo<BackendParam>& info) { return info.param.name; }

std::string postgres_test_url() {
    const char* v = std::getenv("GRAMKIT_TEST_POSTGRES_URL");
    return v != nullptr ? std::string(v) : std::string();
}

bool running_in_ci() {
    const char* v = std::getenv("CI");
    return v != nullptr && std::string_view(v) == "true";
}

namespace {

// Unique per process and per test, also across processes run in parallel.
std::string unique_suffix() {
    static std::atomic<unsigned> counter{0};
    static const unsigned salt = std::random_device{}();
    return std::to_string(::getpid()) + "_" + std::to_string(salt % 100000) + "_" + std::to_string(++counter);
}

Status run_admin_script(const std::string& url, const std::string& sql) {
    storage::OpenOptions o;
    o.pool_size = 1;
    GK_ASSIGN_OR_RETURN(auto admin, storage::Database::open(url, o));
    GK_ASSIGN_OR_RETURN(auto lease, admin->connection());
    return lease->execute_script(sql);
}

}  // namespace

Result<std::unique_ptr<FreshDatabase>> FreshDatabase::create(const BackendParam& backend) {
    std::unique_ptr<FreshDatabase> fresh(new FreshDatabase());
    fresh->kind_ = backend.kind;
    switch (backend.kind) {
        case BackendKind::sqlite_memory:
            fresh->url_ = "sqlite::memory:";
            break;
        case BackendKind::sqlite_file: {
            std::error_code ec;
            const auto dir = std::filesystem::temp_directory_path(ec) / ("gramkit-test-" + unique_suffix());
            if (!std::filesystem::create_directories(dir, ec)) {
                return fail(ErrorCode::internal, "cannot create temp directory " + dir.string() + ": " + ec.message());
            }
            fresh->temp_dir_ = dir.string();
            fresh->url_ = "sqlite://" + (dir / "test.db").string();  // absolute: sqlite:///tmp/...
            break;
        }
        case BackendKind::postgresql: {
            const std::string base = postgres_test_url();
            if (base.empty()) return fail(ErrorCode::failed_precondition, "GRAMKIT_TEST_POSTGRES_URL is not set");
            fresh->schema_ = "gk_test_" + unique_suffix();
            GK_TRY(run_admin_script(base, "CREATE SCHEMA " + fresh->schema_));
            fresh->admin_url_ = base;
            // libpq `options` sets search_path for every pooled connection.
            const char sep = base.find('?') == std::string::npos ? '?' : '&';
            fresh->url_ = base + sep + "options=-csearch_path%3D" + fresh->schema_;
            break;
        }
    }
    return fresh;
}

FreshDatabase::~FreshDatabase() {
    if (!temp_dir_.empty()) {
        std::error_code ec;
        std::filesystem::remove_all(temp_dir_, ec);
    }
    if (!schema_.empty() && !admin_url_.empty()) {
        (void)run_admin_script(admin_url_, "DROP SCHEMA IF EXISTS " + schema_ + " CASCADE");
    }
}

storage::OpenOptions StorageBackendTest::options() const {
    storage::OpenOptions o;
    o.busy_timeout = std::chrono::seconds(10);
    o.connect_timeout = std::chrono::seconds(5);
    o.acquire_timeout = std::chrono::seconds(10);
    return o;
}

void StorageBackendTest::SetUp() {
    if (GetParam().kind == BackendKind::postgresql && postgres_test_url().empty()) {
        const char* how = "start one with: eval \"$(tools/testenv/postgres.sh start)\"";
        if (running_in_ci()) {
            GTEST_FAIL() << "GRAMKIT_TEST_POSTGRES_URL is not set and CI=true: the PostgreSQL backend must be "
                            "tested in CI; "
                         << how;
        }
        GTEST_SKIP() << "PostgreSQL backend not configured (GRAMKIT_TEST_POSTGRES_URL unset); " << how;
    }
    auto fresh = FreshDatabase::create(GetParam());
    ASSERT_TRUE(fresh.has_value()) << "cannot prepare a fresh " << GetParam().name
                                   << " database: " << fresh.error().message;
    fresh_ = std::move(*fresh);
    auto opened = storage::Database::open(fresh_->url(), options());
    ASSERT_TRUE(opened.has_value()) << "cannot open " << fresh_->url() << ": " << opened.error().message;
    db_ = std::move(*opened);
}

void StorageBackendTest::TearDown() {
    db_.reset();  // close connections before the schema/file goes away
    fresh_.reset();
}

Result<std::unique_ptr<storage::Database>> StorageBackendTest::open_again(const storage::OpenOptions& o) const {
    return storage::Database::open(fresh_->url(), o);
}

}  // namespace gramkit::test
