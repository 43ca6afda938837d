// gramkit — the Engine: the composition root (DESIGN.md §1). It opens the
// storage backend and the key ring from a configuration and owns every
// service. Hosts create one Engine per data store and share it between
// threads.
//
// Ownership: `Engine::open` returns a unique_ptr the caller owns; the
// service references it hands out live as long as the Engine.
// Thread-safety: every method and every service may be used from any thread.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gramkit/accounts.hpp"
#include "gramkit/clock.hpp"
#include "gramkit/error.hpp"
#include "gramkit/events.hpp"
#include "gramkit/instagram.hpp"
#include "gramkit/jobs.hpp"
#include "gramkit/export.hpp"
#include "gramkit/log.hpp"
#include "gramkit/proxies.hpp"
#include "gramkit/ratelimit.hpp"
#include "gramkit/scrape.hpp"
#include "gramkit/sessions.hpp"
#include "gramkit/vault.hpp"

namespace gramkit {

namespace ratelimit {
class Limiter;  // src/ratelimit/policy.hpp (internal)
}

struct EngineConfig {
    /// `sqlite:///abs/path.db`, `sqlite://relative.db`, `sqlite::memory:` or
    /// `postgresql://user:pass@host:port/db`. Empty = `sqlite://<data_dir>/gramkit.db`.
    std::string storage_url;
    /// Directory for the default database and key file. Empty = ".".
    std::string data_dir;
    /// Key file ("<key-id> <base64 key>" per line). Empty =
    /// `<data_dir>/gramkit.keys`, created with one fresh key (mode 0600) on
    /// first use, with a log line saying so.
    std::string key_file;
    /// If set, keys are read from this environment variable instead (same
    /// format; lines may be separated by ';' as well) and never written.
    std::string key_env;
    LogLevel log_level = LogLevel::info;
    std::size_t storage_pool_size = 4;
    /// Consecutive failures that mark a proxy unhealthy.
    int proxy_failure_threshold = 3;
    /// Time source; nullptr = system clock. Tests inject a ManualClock.
    std::shared_ptr<const Clock> clock;
    /// Log sink; nullptr = logfmt lines on stderr.
    LogSink log_sink;
    /// Capacity of the event queue for pollers (oldest dropped when full).
    std::size_t event_queue_capacity = 1024;
    /// Largest params document `call` accepts, in bytes.
    std::size_t max_params_bytes = 1024 * 1024;
    /// Where rate-limit state lives: "memory" (this process) or a
    /// `redis://[:password@]host:port/db` URL shared by a fleet.
    std::string ratelimit_store = "memory";
    /// With Redis: when it is unreachable, allow requests (true) or refuse
    /// them with `unavailable` (false, the default).
    bool ratelimit_fail_open = false;
    /// Rate-limit rules in force at start; nullopt = the defaults
    /// (docs/ratelimit.md). Replaceable at run time (ratelimit.policies.set).
    std::optional<std::vector<ratelimit::Rule>> ratelimit_rules;
    /// With the "memory" store: save the limiter's state (every key not back
    /// to full, and penalties) to the storage backend when the engine
    /// closes or on `ratelimit.save`, and merge it back in when an engine
    /// opens, so a restart does not hand out a fresh quota. Redis keeps its
    /// own state; this setting is then ignored.
    bool ratelimit_persist = true;
    /// Where Instagram is and how to treat its answers (gramkit/instagram.hpp).
    instagram::InstagramOptions instagram;
    /// PEM bundle of trusted CAs for HTTPS; empty = the system store.
    std::string http_ca_file;
    /// Verify server certificates (on by default; off only for throwaway
    /// test servers).
    bool http_verify_tls = true;
    /// Start the worker pool when the engine opens (after the built-in job
    /// kinds are registered) with these options; nullopt = the host starts
    /// it with `jobs().start()` when it wants workers in this process.
    std::optional<jobs::WorkerOptions> workers;
};

/// Reads a configuration from a JSON object. Keys: storage_url, data_dir,
/// key_file, key_env, log_level ("trace".."off"), storage_pool_size (1..64),
/// proxy_failure_threshold (1..1000), event_queue_capacity (1..1000000),
/// max_params_bytes (64..67108864), ratelimit_store ("memory" or a redis://
/// URL), ratelimit_fail_open (boolean), ratelimit_rules (array of
/// {name, rate, period_ms, burst, match}), ratelimit_persist (boolean),
/// http_ca_file, http_verify_tls, instagram (object: web_base_url,
/// api_base_url, app_id, timeline_doc_id, user_agent,
/// rate_limit_cooldown_s, feedback_cooldown_s, proxy_cooldown, require_proxy,
/// page_size), workers (object: poll_interval_ms, claim_batch,
/// shutdown_grace_ms, run_schedules, leader_lock, leader_lease_ms; present =
/// start the pool at open).
/// Unknown keys and wrong types are
/// `invalid_argument` errors naming the key.
GRAMKIT_API Result<EngineConfig> parse_engine_config(std::string_view json);

class GRAMKIT_API Engine {
public:
    /// Opens storage (applying migrations), loads or creates the key ring
    /// and builds the services.
    static Result<std::unique_ptr<Engine>> open(EngineConfig config);
    /// Same, from a JSON configuration (see parse_engine_config).
    static Result<std::unique_ptr<Engine>> open(std::string_view config_json);
    ~Engine();
    Engine(const Engine&) = delete;
    Engine& operator=(const Engine&) = delete;

    AccountService& accounts() noexcept;
    ProxyService& proxies() noexcept;
    SessionService& sessions() noexcept;
    SessionManager& session_manager() noexcept;
    Vault& vault() noexcept;
    Logger& logger() noexcept;
    const Clock& clock() const noexcept;
    EventBus& events() noexcept;

    /// Rate-limit check of a request described by its parts ("account:42",
    /// "action:hashtag", "endpoint:graphql", "proxy:7"): it must pass every
    /// applicable rule and penalty (docs/ratelimit.md). Consumes `cost` only
    /// when allowed; a denial names the binding rule and how long to wait.
    Result<ratelimit::Verdict> ratelimit_check(const ratelimit::Request& request, std::uint32_t cost = 1);
    /// With the in-process limiter and ratelimit_persist: writes every key
    /// whose state still matters to the storage backend (merged with what
    /// is there) and returns how many; 0 otherwise. Also done on close.
    /// Any thread.
    Result<std::size_t> save_ratelimit_state();
    /// Login and the Instagram read endpoints (gramkit/instagram.hpp).
    instagram::InstagramService& instagram() noexcept;
    /// Durable jobs, the worker pool and schedules (gramkit/jobs.hpp). The
    /// pool is stopped (gracefully) when the engine closes.
    jobs::JobService& jobs() noexcept;
    /// Scraping tasks run as "scrape.run" jobs (gramkit/scrape.hpp).
    scrape::ScrapeService& scrape() noexcept;
    /// The limiter itself (internal type; used by the operation handlers).
    ratelimit::Limiter& limiter() noexcept;

    /// Runs a registered operation (DESIGN.md §2): `op` such as
    /// "accounts.create", `params_json` a JSON object (empty = {}). Returns
    /// the result as a JSON document. Bad params are `invalid_argument`
    /// naming the field; an unknown operation is `not_found`.
    /// `meta.operations` lists every operation with its params and result.
    Result<std::string> call(std::string_view op, std::string_view params_json);
    /// The storage URL with any password hidden.
    const std::string& storage_url() const noexcept;

private:
    struct Impl;
    explicit Engine(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

/// "0.1.0"
GRAMKIT_API const char* version() noexcept;

}  // namespace gramkit
