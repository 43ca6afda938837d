// gramkit::scrape — the scrape service's dependencies, its factory and the
// run handler (docs/scrape.md). The engine is the only caller of the
// factory: it owns everything referenced by ScrapeDeps and must keep it
// alive longer than the service, and it must stop the job pool (which runs
// the handler) before destroying the service.
//
// Thread-safety: every member may be called from any thread; `run` is
// called by the job pool's worker threads (one call per job invocation) or
// by JobService::run_pending on the calling thread.
#pragma once

#include <chrono>
#include <memory>

#include "gramkit/accounts.hpp"
#include "gramkit/events.hpp"
#include "gramkit/ids.hpp"
#include "gramkit/instagram.hpp"
#include "gramkit/jobs.hpp"
#include "gramkit/log.hpp"
#include "gramkit/scrape.hpp"
#include "gramkit/sessions.hpp"
#include "scrape/scrape_store.hpp"
#include "storage/sql.hpp"

namespace gramkit::ratelimit {
class Limiter;
}

namespace gramkit::scrape {

/// The job kind that runs a task; its payload is {"task_id": N}.
inline constexpr std::string_view kRunJobKind = "scrape.run";

struct ScrapeSettings {
    /// How long an account-run row holds without renewal (renewed every page).
    Duration account_lease = std::chrono::minutes(5);
    /// Wait before the next attempt when no account is eligible and no
    /// cooldown end or limiter wait says better.
    Duration default_retry_delay = std::chrono::minutes(1);
    /// Accounts a run may switch to within one job invocation before it
    /// waits (retry_later) instead.
    int max_account_switches = 16;
    /// Runs of this kind at once in this process.
    int concurrency = 4;
    int max_attempts = 5;
};

struct ScrapeDeps {
    storage::Database& db;
    jobs::JobService& jobs;
    instagram::InstagramService& instagram;
    SessionManager& sessions;
    AccountService& accounts;
    /// Optional: used only to peek (never consume) whether an account would
    /// be allowed now, so a run skips accounts the limiter holds.
    ratelimit::Limiter* limiter;
    std::shared_ptr<const Clock> clock;
    IdGenerator& ids;
    Logger& log;
    EventBus* events;  // optional: scrape.page events
    ScrapeSettings settings{};
};

/// The service plus what only the engine and tests need.
class ScrapeServiceInternal : public ScrapeService {
public:
    /// Registers the "scrape.run" handler with the JobService (call once,
    /// before the pool starts).
    virtual Status register_handlers() = 0;
    /// The handler body: one invocation of a "scrape.run" job.
    virtual jobs::JobOutcome run(jobs::JobContext& ctx) = 0;
    virtual ScrapeStore& store() noexcept = 0;
};

std::unique_ptr<ScrapeServiceInternal> make_scrape_service(ScrapeDeps deps);

}  // namespace gramkit::scrape
