// The Engine: builds the object graph from a configuration. This is the only
// place that picks concrete classes (DESIGN.md §1).
#include "gramkit/engine.hpp"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>

#include "accounts/services.hpp"
#include "engine/key_store.hpp"
#include "engine/operation_registry.hpp"
#include "gramkit/ids.hpp"
#include "instagram/service.hpp"
#include "jobs/job_service.hpp"
#include "scrape/scrape_service.hpp"
#include "net/http_client.hpp"
#include "ratelimit/coarse_clock.hpp"
#include "ratelimit/in_process_store.hpp"
#include "ratelimit/policy.hpp"
#include "ratelimit/redis_store.hpp"
#include "storage/repositories.hpp"

namespace gramkit {

struct Engine::Impl {
    EngineConfig config;
    std::shared_ptr<const Clock> clock;
    std::unique_ptr<Logger> logger;
    std::unique_ptr<IdGenerator> ids;
    std::unique_ptr<crypto::KeyRing> keys;
    std::unique_ptr<storage::Backend> backend;
    std::string redacted_url;
    std::unique_ptr<AccountService> accounts;
    std::unique_ptr<ProxyService> proxies;
    std::unique_ptr<SessionService> sessions;
    std::unique_ptr<SessionManager> session_manager;
    std::unique_ptr<Vault> vault;
    std::unique_ptr<EventBus> events;
    std::unique_ptr<ratelimit::Limiter> limiter;
    std::unique_ptr<net::HttpClient> http;
    std::unique_ptr<instagram::InstagramService> instagram;
    // Declared after every service a handler may use; ~Engine stops its
    // pool before anything else goes away.
    std::unique_ptr<jobs::JobService> jobs;
    std::unique_ptr<scrape::ScrapeServiceInternal> scrape;
    // The in-process store when ratelimit_store is "memory" and
    // ratelimit_persist is on (its state is saved/restored), else null.
    std::shared_ptr<ratelimit::InProcessStore> persisted_store;
    engine::OperationRegistry operations;

    Result<std::size_t> save_ratelimit_state();
    Status restore_ratelimit_state();
};

Result<std::size_t> Engine::Impl::save_ratelimit_state() {
    if (!persisted_store) return std::size_t{0};
    std::vector<storage::RateLimitStateRecord> records;
    for (auto& k : persisted_store->snapshot())
        records.push_back(storage::RateLimitStateRecord{std::move(k.key), k.tat, k.penalty_until});
    GK_TRY(backend->ratelimit_state().save(records, to_micros(clock->now())));
    return records.size();
}

Status Engine::Impl::restore_ratelimit_state() {
    if (!persisted_store) return {};
    GK_ASSIGN_OR_RETURN(auto rows, backend->ratelimit_state().load(to_micros(clock->now())));
    std::vector<ratelimit::InProcessStore::KeyState> saved;
    saved.reserve(rows.size());
    for (auto& r : rows) saved.push_back({std::move(r.key), r.tat, r.penalty_until});
    persisted_store->restore(saved);
    if (!saved.empty()) logger->info("engine", "ratelimit.restored", {{"keys", std::to_string(saved.size())}});
    return {};
}

namespace {

std::string join_path(const std::string& dir, const std::string& file) {
    if (dir.empty()) return file;
    return dir.back() == '/' ? dir + file : dir + "/" + file;
}

Result<std::shared_ptr<ratelimit::Store>> open_ratelimit_store(const EngineConfig& config,
                                                               std::shared_ptr<const Clock> clock) {
    const std::string& where = config.ratelimit_store;
    if (where.empty() || where == "memory") {
        // The hot path reads the coarse clock unless a test injected one.
        std::shared_ptr<const Clock> store_clock =
            config.clock ? clock : std::static_pointer_cast<const Clock>(ratelimit::CoarseClock::shared());
        return std::shared_ptr<ratelimit::Store>(
            std::make_shared<ratelimit::InProcessStore>(std::move(store_clock), ratelimit::InProcessOptions{}));
    }
    if (where.starts_with("redis://")) {
        ratelimit::RedisOptions options;
        options.url = where;
        options.clock = clock;
        options.fail_policy = config.ratelimit_fail_open ? ratelimit::RedisOptions::FailPolicy::open
                                                         : ratelimit::RedisOptions::FailPolicy::closed;
        auto store = ratelimit::make_redis_store(std::move(options));
        if (!store) return fail(store.error().code, "ratelimit_store: " + store.error().message, "ratelimit_store");
        return std::shared_ptr<ratelimit::Store>(std::move(*store));
    }
    return fail(ErrorCode::invalid_argument, "ratelimit_store must be \"memory\" or a redis:// URL",
                "ratelimit_store");
}

// The base URLs are spliced into every request: refuse a bad one at open,
// not at the first request.
Status check_instagram_urls(const instagram::InstagramOptions& o) {
    for (const auto& [name, url] : {std::pair<const char*, const std::string*>{"instagram.web_base_url", &o.web_base_url},
                                    {"instagram.api_base_url", &o.api_base_url}}) {
        auto parsed = net::parse_url(*url);
        if (!parsed) return fail(ErrorCode::invalid_argument, std::string(name) + ": " + parsed.error().message, name);
        if (parsed->target != "/")
            return fail(ErrorCode::invalid_argument, std::string(name) + " must be scheme://host[:port] without a path",
                        name);
    }
    if (o.page_size < 1 || o.page_size > 50)
        return fail(ErrorCode::invalid_argument, "instagram.page_size must be 1 to 50", "instagram.page_size");
    return {};
}

Status ensure_directory(const std::string& dir) {
    if (dir.empty()) return {};
    if (::mkdir(dir.c_str(), 0700) == 0 || errno == EEXIST) return {};
    return fail(ErrorCode::unavailable, "cannot create data directory " + dir + ": " + std::strerror(errno), "data_dir");
}

}  // namespace

Result<std::unique_ptr<Engine>> Engine::open(EngineConfig config) {
    auto impl = std::make_unique<Impl>();
    impl->clock = config.clock ? config.clock : SystemClock::shared();
    impl->logger = std::make_unique<Logger>(impl->clock, config.log_level, config.log_sink);
    impl->ids = std::make_unique<IdGenerator>(impl->clock);
    impl->events = std::make_unique<EventBus>(impl->clock, config.event_queue_capacity);

    const std::string data_dir = config.data_dir.empty() ? "." : config.data_dir;
    const bool needs_data_dir = config.storage_url.empty() || (config.key_env.empty() && config.key_file.empty());
    if (needs_data_dir) GK_TRY(ensure_directory(data_dir));

    // Keys first: a storage URL that works with a missing key would let the
    // engine start and then fail on the first secret.
    if (!config.key_env.empty()) {
        GK_ASSIGN_OR_RETURN(impl->keys, engine::load_keys_from_env(config.key_env));
    } else {
        if (config.key_file.empty()) config.key_file = join_path(data_dir, "gramkit.keys");
        GK_ASSIGN_OR_RETURN(impl->keys, engine::load_or_create_key_file(config.key_file, *impl->logger));
    }

    if (config.storage_url.empty()) config.storage_url = "sqlite://" + join_path(data_dir, "gramkit.db");
    storage::OpenOptions options;
    options.pool_size = config.storage_pool_size;
    GK_ASSIGN_OR_RETURN(impl->backend, storage::Backend::open(config.storage_url, options));
    impl->redacted_url = impl->backend->database().redacted_url();

    GK_ASSIGN_OR_RETURN(auto ratelimit_store, open_ratelimit_store(config, impl->clock));
    if (config.ratelimit_persist)
        impl->persisted_store = std::dynamic_pointer_cast<ratelimit::InProcessStore>(ratelimit_store);
    impl->limiter = std::make_unique<ratelimit::Limiter>(std::move(ratelimit_store), impl->clock);
    if (config.ratelimit_rules) {
        if (Status s = impl->limiter->set_rules(*config.ratelimit_rules); !s)
            return fail(s.error().code, "ratelimit_rules: " + s.error().message, "ratelimit_rules");
    }
    if (Status s = impl->restore_ratelimit_state(); !s)
        return fail(s.error().code, "cannot restore the rate-limit state: " + s.error().message, "ratelimit_persist");

    accounts::ServiceContext ctx{*impl->backend, *impl->keys, *impl->clock, *impl->ids, *impl->logger,
                                 config.proxy_failure_threshold, impl->events.get(), impl->limiter.get()};
    impl->accounts = accounts::make_account_service(ctx);
    impl->proxies = accounts::make_proxy_service(ctx);
    impl->sessions = accounts::make_session_service(ctx);
    impl->session_manager = accounts::make_session_manager(ctx, *impl->accounts);
    accounts::KeyRingPersister persist;
    if (config.key_env.empty()) {
        persist = [path = config.key_file](const crypto::KeyRing& keys) { return engine::write_key_file(path, keys); };
    }
    impl->vault = accounts::make_vault(ctx, std::move(persist));

    GK_TRY(check_instagram_urls(config.instagram));
    net::ClientOptions http_options;
    if (!config.http_ca_file.empty()) http_options.ca_file = config.http_ca_file;
    http_options.verify_peer = config.http_verify_tls;
    // Allowed (tests, local simulators) but never silent: both send
    // passwords and session cookies where anyone on the path can read them.
    if (!config.http_verify_tls)
        impl->logger->warn("engine", "http.tls_verification_off", {{"effect", "server certificates are not checked"}});
    for (const std::string* url : {&config.instagram.web_base_url, &config.instagram.api_base_url}) {
        if (url->starts_with("http://"))
            impl->logger->warn("engine", "instagram.plaintext_base_url",
                               {{"url", *url}, {"effect", "logins and cookies travel unencrypted"}});
    }
    http_options.clock = impl->clock;
    // A 429 is Instagram asking the account to cool down, which the
    // Instagram service does: the transport must neither retry it nor sit
    // out its Retry-After (5xx and connect errors are still retried).
    http_options.retry.retry_on_429 = false;
    http_options.retry.max_retry_after = std::chrono::milliseconds(0);
    GK_ASSIGN_OR_RETURN(impl->http, net::HttpClient::create(std::move(http_options)));
    impl->instagram = instagram::make_instagram_service(instagram::ServiceDeps{
        *impl->accounts, *impl->proxies, *impl->sessions, *impl->limiter, impl->backend->actions(), *impl->http,
        impl->clock, *impl->ids, *impl->logger, config.instagram});

    impl->jobs = jobs::make_job_service(
        jobs::JobServiceDeps{*impl->backend, impl->clock, *impl->ids, *impl->logger, impl->events.get()});
    impl->scrape = scrape::make_scrape_service(scrape::ScrapeDeps{
        impl->backend->database(), *impl->jobs, *impl->instagram, *impl->session_manager, *impl->accounts,
        impl->limiter.get(), impl->clock, *impl->ids, *impl->logger, impl->events.get()});
    GK_TRY(impl->scrape->register_handlers());

    engine::register_account_operations(impl->operations);
    engine::register_proxy_operations(impl->operations);
    engine::register_session_operations(impl->operations);
    engine::register_vault_operations(impl->operations);
    engine::register_ratelimit_operations(impl->operations);
    engine::register_instagram_operations(impl->operations);
    engine::register_job_operations(impl->operations);
    engine::register_scrape_operations(impl->operations);
    engine::register_meta_operations(impl->operations);

    // Last: from here on handlers may run on the pool's threads.
    if (config.workers) {
        if (Status s = impl->jobs->start(*config.workers); !s)
            return fail(s.error().code, "workers: " + s.error().message, "workers." + s.error().details);
    }

    impl->logger->info("engine", "engine.opened",
                       {{"storage", impl->redacted_url}, {"key_id", impl->keys->newest_key_id()}});
    impl->config = std::move(config);
    return std::unique_ptr<Engine>(new Engine(std::move(impl)));
}

Result<std::unique_ptr<Engine>> Engine::open(std::string_view config_json) {
    GK_ASSIGN_OR_RETURN(auto config, parse_engine_config(config_json));
    return open(std::move(config));
}

Engine::Engine(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Engine::~Engine() {
    if (!impl_) return;
    // Handlers use every other service: let them finish (or hand their jobs
    // back) first.
    if (impl_->jobs) impl_->jobs->stop();
    // Wake pollers blocked in next() before the bus goes away.
    if (impl_->events) impl_->events->close();
    // A failed save must not throw from a destructor; it costs only the
    // quota memory of this process, so it is logged and the close goes on.
    if (auto saved = impl_->save_ratelimit_state(); !saved)
        impl_->logger->warn("engine", "ratelimit.save_failed", {{"error", saved.error().message}});
}

Result<std::size_t> Engine::save_ratelimit_state() { return impl_->save_ratelimit_state(); }

AccountService& Engine::accounts() noexcept { return *impl_->accounts; }
ProxyService& Engine::proxies() noexcept { return *impl_->proxies; }
SessionService& Engine::sessions() noexcept { return *impl_->sessions; }
SessionManager& Engine::session_manager() noexcept { return *impl_->session_manager; }
Vault& Engine::vault() noexcept { return *impl_->vault; }
Logger& Engine::logger() noexcept { return *impl_->logger; }
const Clock& Engine::clock() const noexcept { return *impl_->clock; }
const std::string& Engine::storage_url() const noexcept { return impl_->redacted_url; }
EventBus& Engine::events() noexcept { return *impl_->events; }
ratelimit::Limiter& Engine::limiter() noexcept { return *impl_->limiter; }
instagram::InstagramService& Engine::instagram() noexcept { return *impl_->instagram; }
jobs::JobService& Engine::jobs() noexcept { return *impl_->jobs; }
scrape::ScrapeService& Engine::scrape() noexcept { return *impl_->scrape; }

Result<ratelimit::Verdict> Engine::ratelimit_check(const ratelimit::Request& request, std::uint32_t cost) {
    return impl_->limiter->check(request, cost);
}

Result<std::string> Engine::call(std::string_view op, std::string_view params_json) {
    return impl_->operations.call(*this, op, params_json, impl_->config.max_params_bytes);
}

const char* version() noexcept { return "0.1.0"; }

}  // namespace gramkit
