// gramkit::storage — Backend: a database opened from a URL, migrated to the
// gramkit schema, with the SQL repositories over it.
#include <array>
#include <string>
#include <utility>

#include "storage/sql_repositories.hpp"

namespace gramkit::storage {

namespace {

constexpr std::array<SecretColumn, 4> kSecretColumns{{
    {"accounts", "password", "id"},
    {"accounts", "totp_seed", "id"},
    {"proxies", "password", "id"},
    {"sessions", "cookies", "account_id"},
}};

}  // namespace

std::span<const SecretColumn> secret_columns() noexcept { return kSecretColumns; }

std::string secret_aad(const SecretColumn& column, std::int64_t row_id) {
    std::string aad;
    aad.reserve(column.table.size() + column.column.size() + 22);
    aad.append(column.table).append("/").append(column.column).append("/").append(std::to_string(row_id));
    return aad;
}

struct Backend::Impl {
    // Declared first so it is destroyed last: the repositories refer to it.
    std::unique_ptr<Database> database;
    std::unique_ptr<AccountRepository> accounts;
    std::unique_ptr<ProxyRepository> proxies;
    std::unique_ptr<SessionRepository> sessions;
    std::unique_ptr<SecretRepository> secrets;
    std::unique_ptr<RateLimitStateRepository> ratelimit_state;
    std::unique_ptr<ActionRepository> actions;
    std::unique_ptr<JobRepository> jobs;
    std::unique_ptr<ScheduleRepository> schedules;
    std::unique_ptr<LeaseRepository> leases;
};

Backend::Backend(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Backend::~Backend() = default;

Result<std::unique_ptr<Backend>> Backend::open(std::string_view url, const OpenOptions& options) {
    auto impl = std::make_unique<Impl>();
    GK_ASSIGN_OR_RETURN(impl->database, Database::open(url, options));
    if (Status migrated = impl->database->migrate(gramkit_migrations()); !migrated) {
        Error e = std::move(migrated).error();
        e.message = "cannot migrate database " + impl->database->redacted_url() + ": " + e.message;
        return fail(std::move(e));
    }
    Database& db = *impl->database;
    impl->accounts = make_sql_account_repository(db);
    impl->proxies = make_sql_proxy_repository(db);
    impl->sessions = make_sql_session_repository(db);
    impl->secrets = make_sql_secret_repository(db);
    impl->ratelimit_state = make_sql_ratelimit_state_repository(db);
    impl->actions = make_sql_action_repository(db);
    impl->jobs = make_sql_job_repository(db);
    impl->schedules = make_sql_schedule_repository(db);
    impl->leases = make_sql_lease_repository(db);
    return std::unique_ptr<Backend>(new Backend(std::move(impl)));
}

Database& Backend::database() noexcept { return *impl_->database; }
AccountRepository& Backend::accounts() noexcept { return *impl_->accounts; }
ProxyRepository& Backend::proxies() noexcept { return *impl_->proxies; }
SessionRepository& Backend::sessions() noexcept { return *impl_->sessions; }
SecretRepository& Backend::secrets() noexcept { return *impl_->secrets; }
RateLimitStateRepository& Backend::ratelimit_state() noexcept { return *impl_->ratelimit_state; }
ActionRepository& Backend::actions() noexcept { return *impl_->actions; }
JobRepository& Backend::jobs() noexcept { return *impl_->jobs; }
ScheduleRepository& Backend::schedules() noexcept { return *impl_->schedules; }
LeaseRepository& Backend::leases() noexcept { return *impl_->leases; }

}  // namespace gramkit::storage
