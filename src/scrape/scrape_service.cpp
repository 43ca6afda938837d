// gramkit::scrape — task control and the run handler (docs/scrape.md, "The
// run"). The store does the transactional work; this file decides.
#include "scrape/scrape_service.hpp"

#include <algorithm>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "core/json.hpp"
#include "gramkit/crypto.hpp"
#include "gramkit/time_format.hpp"
#include "instagram/endpoints.hpp"
#include "instagram/raw_capture.hpp"
#include "ratelimit/policy.hpp"

namespace gramkit::scrape {
namespace {

constexpr std::string_view kComponent = "scrape";

bool is_live(jobs::JobState s) noexcept {
    using enum jobs::JobState;
    return s == queued || s == running || s == failed_retrying || s == paused || s == awaiting_input;
}

// An account-level refusal: another account may do better.
bool is_account_problem(ErrorCode c) noexcept {
    return c == ErrorCode::rate_limited || c == ErrorCode::failed_precondition || c == ErrorCode::unauthenticated;
}

// A per-invocation token from the CSPRNG (never the id generator, whose
// values are sequential and guessable): positive and non-zero.
std::int64_t random_token() {
    for (;;) {
        const crypto::Bytes b = crypto::random_bytes(8);
        std::uint64_t v = 0;
        for (auto byte : b) v = (v << 8) | byte;
        const auto token = static_cast<std::int64_t>(v & 0x7fff'ffff'ffff'ffffULL);
        if (token != 0) return token;
    }
}

std::string run_key(std::int64_t task_id) { return "scrape:" + std::to_string(task_id); }

std::string payload_for(std::int64_t task_id) {
    std::string out;
    json::Writer(out).begin_object().key("task_id").value(task_id).end_object();
    return out;
}

// Where the limiter would send a request of this kind.
std::pair<std::string_view, std::string_view> action_of(const Task& t) {
    switch (t.kind) {
        case TaskKind::profile: return {"profile", "web"};
        case TaskKind::posts: return {"feed", "graphql"};
        case TaskKind::hashtag: return {"hashtag", "web"};
        case TaskKind::media:
            return instagram::endpoints::is_media_id(t.target) ? std::pair<std::string_view, std::string_view>{"media", "mobile"}
                                                               : std::pair<std::string_view, std::string_view>{"media", "web"};
    }
    return {"", ""};
}

Result<std::string> normalize_target(TaskKind kind, std::string_view target) {
    if (target.empty()) return fail(ErrorCode::invalid_argument, "'target' must not be empty", "target");
    auto bad = [](const Error& e) { return fail(ErrorCode::invalid_argument, "'target': " + e.message, "target"); };
    switch (kind) {
        case TaskKind::profile:
        case TaskKind::posts:
            if (auto s = instagram::endpoints::check_username(target); !s) return bad(s.error());
            return std::string(target);
        case TaskKind::hashtag: {
            auto tag = instagram::endpoints::normalize_tag(target);
            if (!tag) return bad(tag.error());
            // Instagram's tags are case-insensitive: #Travel and #travel are
            // one tag, so they must be one task target (and one stored tag).
            for (char& c : *tag) {
                if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
            }
            return std::move(*tag);
        }
        case TaskKind::media:
            if (!instagram::endpoints::is_media_id(target) && !instagram::endpoints::is_shortcode(target))
                return fail(ErrorCode::invalid_argument, "'target' must be a numeric media id or a shortcode", "target");
            return std::string(target);
    }
    return fail(ErrorCode::invalid_argument, "'kind' is not a task kind", "kind");
}

// One page as fetched, before it is committed.
struct Fetched {
    PageCommit commit;
    bool since_reached = false;
};

class ScrapeServiceImpl final : public ScrapeServiceInternal {
public:
    explicit ScrapeServiceImpl(ScrapeDeps deps) : d_(std::move(deps)), store_(d_.db, d_.ids) {}

    ScrapeStore& store() noexcept override { return store_; }

    Status register_handlers() override {
        jobs::KindOptions o;
        o.concurrency = d_.settings.concurrency;
        o.max_attempts = d_.settings.max_attempts;
        return d_.jobs.register_handler(std::string(kRunJobKind), [this](jobs::JobContext& ctx) { return run(ctx); }, o);
    }

    // --- control ---------------------------------------------------------------------

    Result<Task> create(const NewTask& spec) override {
        GK_ASSIGN_OR_RETURN(std::string target, normalize_target(spec.kind, spec.target));
        GK_TRY(spec.options.validate());
        if (spec.options.page_delay >= d_.settings.account_lease) {
            return fail(ErrorCode::invalid_argument,
                        "'options.page_delay_ms' must be shorter than the account lease (" +
                            std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(d_.settings.account_lease).count()) +
                            " ms)",
                        "options.page_delay_ms");
        }
        if (spec.schedule) {
            const bool cron = spec.schedule->cron.has_value();
            const bool interval = spec.schedule->interval.has_value();
            if (cron == interval)
                return fail(ErrorCode::invalid_argument, "'schedule' needs exactly one of cron and interval", "schedule");
        }
        const Timestamp now = d_.clock->now();
        Task t;
        t.id = d_.ids.next();
        t.kind = spec.kind;
        t.target = std::move(target);
        t.options = spec.options;
        t.state = TaskState::active;
        t.created_at = now;
        t.updated_at = now;
        GK_TRY(store_.insert_task(t));
        if (spec.schedule) {
            jobs::ScheduleSpec s;
            s.name = "scrape.task." + std::to_string(t.id);
            s.kind = std::string(kRunJobKind);
            s.payload = payload_for(t.id);
            s.cron = spec.schedule->cron;
            s.interval = spec.schedule->interval;
            auto created = d_.jobs.create_schedule(s);
            if (!created) {
                (void)store_.remove_task(t.id);
                Error e = std::move(created).error();
                if (e.code == ErrorCode::invalid_argument)
                    e.details = e.details.empty() ? "schedule" : "schedule." + e.details;
                return fail(std::move(e));
            }
            GK_TRY(store_.set_schedule(t.id, created->id, now));
            t.schedule_id = created->id;
        }
        d_.log.info(kComponent, "scrape.task_created",
                    {{"task_id", std::to_string(t.id)}, {"kind", std::string(to_string(t.kind))}, {"target", t.target}});
        if (spec.start) GK_TRY(enqueue_run(t.id));
        return get(t.id);
    }

    Result<Task> get(std::int64_t id) override {
        GK_ASSIGN_OR_RETURN(TaskRow row, store_.get_task(id));
        return std::move(row.task);
    }

    Result<TaskPage> list(const TaskFilter& filter) override { return store_.list_tasks(filter); }

    Result<std::int64_t> start(std::int64_t id) override {
        GK_ASSIGN_OR_RETURN(TaskRow row, store_.get_task(id));
        switch (row.task.state) {
            case TaskState::paused:
                return fail(ErrorCode::failed_precondition,
                            "scrape task " + std::to_string(id) + " is paused (resume it instead)", "state");
            case TaskState::cancelled:
                return fail(ErrorCode::failed_precondition, "scrape task " + std::to_string(id) + " is cancelled",
                            "state");
            case TaskState::completed:
            case TaskState::failed: {
                auto moved = store_.transition(id, {TaskState::completed, TaskState::failed}, TaskState::active,
                                               d_.clock->now());
                if (!moved && moved.error().code != ErrorCode::conflict) return fail(std::move(moved).error());
                break;
            }
            case TaskState::active:
                // Recovery: a run recorded as held by a job that is no longer
                // live (cancelled directly, dead after losing its worker on
                // the last attempt, ...) is released, so the run enqueued
                // below resumes from the cursor.
                if (row.task.current_job_id) {
                    auto holder = d_.jobs.get(*row.task.current_job_id);
                    if (!holder || !is_live(holder->state))
                        GK_TRY(store_.release_run(id, *row.task.current_job_id, d_.clock->now()));
                }
                break;
        }
        return enqueue_run(id);
    }

    Result<Task> pause(std::int64_t id) override {
        GK_ASSIGN_OR_RETURN(TaskRow row, store_.transition(id, {TaskState::active}, TaskState::paused, d_.clock->now()));
        d_.log.info(kComponent, "scrape.task_paused", {{"task_id", std::to_string(id)}});
        return std::move(row.task);
    }

    Result<Task> resume(std::int64_t id) override {
        GK_TRY(store_.transition(id, {TaskState::paused}, TaskState::active, d_.clock->now()));
        GK_TRY(enqueue_run(id));
        d_.log.info(kComponent, "scrape.task_resumed", {{"task_id", std::to_string(id)}});
        return get(id);
    }

    Result<Task> cancel(std::int64_t id) override {
        GK_ASSIGN_OR_RETURN(TaskRow before, store_.get_task(id));
        GK_ASSIGN_OR_RETURN(TaskRow row,
                            store_.transition(id, {TaskState::active, TaskState::paused, TaskState::completed,
                                                   TaskState::failed},
                                              TaskState::cancelled, d_.clock->now(), /*drop_run=*/true));
        if (before.task.current_job_id) cancel_job(*before.task.current_job_id);
        if (row.task.schedule_id) (void)d_.jobs.set_schedule_enabled(*row.task.schedule_id, false);
        d_.log.info(kComponent, "scrape.task_cancelled", {{"task_id", std::to_string(id)}});
        return std::move(row.task);
    }

    Status remove(std::int64_t id) override {
        GK_ASSIGN_OR_RETURN(TaskRow row, store_.get_task(id));
        if (row.task.current_job_id) cancel_job(*row.task.current_job_id);
        if (row.task.schedule_id) {
            auto removed = d_.jobs.remove_schedule(*row.task.schedule_id);
            if (!removed && removed.error().code != ErrorCode::not_found) return removed;
        }
        GK_TRY(store_.remove_task(id));
        d_.log.info(kComponent, "scrape.task_deleted", {{"task_id", std::to_string(id)}});
        return {};
    }

    Result<ResultPage> results(std::int64_t id, std::optional<std::int64_t> after, std::size_t limit) override {
        return store_.results(id, after, limit);
    }

    // --- the run ----------------------------------------------------------------------

    jobs::JobOutcome run(jobs::JobContext& ctx) override;

private:
    struct Run;

    Result<std::int64_t> enqueue_run(std::int64_t id) {
        jobs::JobSpec spec;
        spec.kind = std::string(kRunJobKind);
        spec.payload = payload_for(id);
        spec.idempotency_key = run_key(id);
        auto job = d_.jobs.enqueue(spec);
        if (job) return job->id;
        // A live run exists already: that is the run.
        if (job.error().code == ErrorCode::conflict) {
            try {
                return std::stoll(job.error().details);
            } catch (...) {
            }
        }
        return fail(std::move(job).error());
    }

    void cancel_job(std::int64_t job_id) {
        auto cancelled = d_.jobs.cancel(job_id);
        if (!cancelled && cancelled.error().code != ErrorCode::conflict && cancelled.error().code != ErrorCode::not_found)
            d_.log.warn(kComponent, "scrape.job_cancel_failed",
                        {{"job_id", std::to_string(job_id)}, {"error", cancelled.error().message}});
    }

    Duration wait_for_accounts(std::optional<Duration> limiter_wait);
    /// How long the limiter would hold a request of the task's kind by this
    /// account (peeked, nothing consumed); nullopt = it would pass now.
    std::optional<Duration> limiter_wait_for(const Task& task, const CheckedOutAccount& account);
    std::optional<Duration> take_account(Run& run);
    Result<Fetched> fetch(const Run& run, std::int64_t account_id);
    jobs::JobOutcome finish(Run& run, std::string_view stopped_because);
    /// An attempt that failed without finishing the run: the error is
    /// recorded; on the job's last attempt the task becomes `failed` (the
    /// cursor stays, so `start` resumes), else it stays active for the
    /// retry. The account is released and the job detached. All writes are
    /// guarded by the invocation's run token (a stale one writes nothing).
    jobs::JobOutcome fail_attempt(Run& run, const std::string& error);
    /// Keeps the account row ours right before a fetch (renewed); false when
    /// another run holds it now (the account was dropped without a fetch).
    Result<bool> keep_account(Run& run);
    void release(Run& run);

    ScrapeDeps d_;
    ScrapeStore store_;
};

// The state of one handler invocation.
struct ScrapeServiceImpl::Run {
    Run(jobs::JobContext& c, TaskRow r) : ctx(c), row(std::move(r)) {}
    jobs::JobContext& ctx;
    TaskRow row;
    std::int64_t token = 0;
    std::optional<CheckedOutAccount> account;
    std::set<std::int64_t> refused;  // accounts that failed in this invocation
    std::vector<std::int64_t> accounts_used;
    int switches = 0;
};

void ScrapeServiceImpl::release(Run& run) {
    if (!run.account) return;
    const std::int64_t id = run.account->account_id;
    if (auto s = store_.release_account(id, run.token); !s)
        d_.log.warn(kComponent, "scrape.release_failed", {{"account_id", std::to_string(id)}, {"error", s.error().message}});
    (void)d_.sessions.checkin(id);
    run.account.reset();
}

jobs::JobOutcome ScrapeServiceImpl::fail_attempt(Run& run, const std::string& error) {
    const jobs::Job& job = run.ctx.job();
    const std::int64_t task_id = run.row.task.id;
    const bool last_attempt = job.attempts >= job.max_attempts;
    release(run);
    const Timestamp now = d_.clock->now();
    if (auto s = store_.record_error(task_id, run.token, error,
                                     last_attempt ? std::optional(TaskState::failed) : std::nullopt, now);
        !s && s.error().code != ErrorCode::conflict) {
        d_.log.warn(kComponent, "scrape.record_error_failed",
                    {{"task_id", std::to_string(task_id)}, {"error", s.error().message}});
    }
    (void)store_.detach_job(task_id, job.id, run.token, now);
    return jobs::JobOutcome::failure(error);
}

Result<bool> ScrapeServiceImpl::keep_account(Run& run) {
    const std::int64_t id = run.account->account_id;
    GK_ASSIGN_OR_RETURN(bool ours, store_.renew_account(id, run.token, d_.clock->now() + d_.settings.account_lease));
    if (ours) return true;
    // Another run took the row over (ours had expired): the account is not
    // ours any more. Check it in without deleting the other holder's row.
    d_.log.warn(kComponent, "scrape.account_lost",
                {{"task_id", std::to_string(run.row.task.id)}, {"account_id", std::to_string(id)}});
    (void)d_.sessions.checkin(id);
    run.account.reset();
    return false;
}

Duration ScrapeServiceImpl::wait_for_accounts(std::optional<Duration> limiter_wait) {
    const Timestamp now = d_.clock->now();
    std::optional<Duration> best = limiter_wait;
    AccountFilter f;
    f.status = AccountStatus::cooldown;
    f.limit = 1000;
    if (auto page = d_.accounts.list(f)) {
        for (const auto& a : page->items) {
            if (!a.cooldown_until) continue;
            const Duration left = std::max(Duration{0}, *a.cooldown_until - now);
            if (!best || left < *best) best = left;
        }
    }
    Duration wait = best.value_or(d_.settings.default_retry_delay);
    return std::clamp<Duration>(wait, std::chrono::seconds(1), std::chrono::hours(24));
}

std::optional<Duration> ScrapeServiceImpl::limiter_wait_for(const Task& task, const CheckedOutAccount& account) {
    if (d_.limiter == nullptr) return std::nullopt;
    const auto [action, endpoint] = action_of(task);
    ratelimit::Request probe{{"account:" + std::to_string(account.account_id), "action:" + std::string(action),
                              "endpoint:" + std::string(endpoint)}};
    if (account.proxy_id) probe.parts.push_back("proxy:" + std::to_string(*account.proxy_id));
    auto statuses = d_.limiter->status(probe);
    if (!statuses) return std::nullopt;  // the request itself will say
    std::optional<Duration> longest;
    for (const auto& s : *statuses) {
        Duration wait{0};
        if (s.decision.penalized_until) wait = *s.decision.penalized_until - d_.clock->now();
        else if (s.decision.remaining == 0) wait = s.decision.retry_after;
        if (wait > Duration{0} && (!longest || wait > *longest)) longest = wait;
    }
    return longest;
}

Result<Fetched> ScrapeServiceImpl::fetch(const Run& run, std::int64_t account_id) {
    const Task& t = run.row.task;
    Fetched f;
    PageCommit& c = f.commit;
    c.task_id = t.id;
    c.run_seq = run.row.run_seq;
    c.run_page = run.row.run_page;
    c.from_cursor = t.cursor;
    c.account_id = account_id;
    const auto keep = [&](const instagram::Post& p) { return !t.options.since || p.taken_at >= *t.options.since; };
    // A newest-first list: posts before `since` are dropped and end the run.
    const auto take_newest_first = [&](std::vector<instagram::Post>& posts) {
        for (auto& post : posts) {
            if (keep(post)) c.posts.push_back(std::move(post));
            else f.since_reached = true;
        }
    };

    instagram::RawBodyCapture capture;
    switch (t.kind) {
        case TaskKind::profile: {
            GK_ASSIGN_OR_RETURN(instagram::Profile p, d_.instagram.profile(account_id, t.target));
            for (auto& post : p.recent_posts.items)
                if (keep(post)) c.posts.push_back(std::move(post));
            p.recent_posts.items.clear();
            c.profile = std::move(p);
            break;
        }
        case TaskKind::posts: {
            GK_ASSIGN_OR_RETURN(instagram::PostsPage page, d_.instagram.posts({account_id, t.target, t.cursor}));
            take_newest_first(page.items);
            if (page.has_next) c.next_cursor = std::move(page.next_cursor);
            break;
        }
        case TaskKind::hashtag: {
            GK_ASSIGN_OR_RETURN(instagram::HashtagPage page, d_.instagram.hashtag({account_id, t.target, t.cursor}));
            take_newest_first(page.recent_posts);
            const auto recent = static_cast<std::int64_t>(c.posts.size());
            for (auto& post : page.top_posts)
                if (keep(post)) c.posts.push_back(std::move(post));
            c.seen = recent;
            c.hashtag = page.name.empty() ? t.target : page.name;
            c.hashtag_media_count = page.media_count;
            if (page.has_next) c.next_cursor = std::move(page.next_cursor);
            break;
        }
        case TaskKind::media: {
            GK_ASSIGN_OR_RETURN(instagram::Post post, d_.instagram.media(account_id, t.target));
            c.posts.push_back(std::move(post));
            break;
        }
    }
    if (t.kind != TaskKind::hashtag) c.seen = static_cast<std::int64_t>(c.posts.size());
    if (c.next_cursor && c.next_cursor == c.from_cursor) {
        // A list that hands back the cursor it was asked with would loop
        // forever: treat it as the end.
        d_.log.warn(kComponent, "scrape.cursor_repeated", {{"task_id", std::to_string(t.id)}});
        c.next_cursor.reset();
    }
    if (t.options.raw_retention_days > 0) {
        c.raw_endpoint = capture.action();
        c.raw_body = capture.body();
    }
    c.now = d_.clock->now();
    return f;
}

jobs::JobOutcome ScrapeServiceImpl::finish(Run& run, std::string_view stopped_because) {
    const Task& t = run.row.task;
    const Timestamp now = d_.clock->now();
    std::string summary;
    json::Writer w(summary);
    w.begin_object()
        .key("pages").value(run.row.run_page)
        .key("items_new").value(run.row.run_new)
        .key("items_seen").value(run.row.run_seen)
        .key("accounts_used").begin_array();
    for (auto id : run.accounts_used) w.value(id);
    w.end_array();
    w.key("started_at").value(t.run_started_at ? format_timestamp_utc(*t.run_started_at) : std::string());
    w.key("finished_at").value(format_timestamp_utc(now));
    w.key("stopped_because").value(stopped_because);
    w.key("job_id").value(run.ctx.job().id);
    w.end_object();

    release(run);
    const std::optional<TaskState> next = t.schedule_id ? std::nullopt : std::optional(TaskState::completed);
    if (auto s = store_.finish_run(t.id, run.token, summary, next, now); !s) {
        // conflict: the run was dropped (cancel) or another invocation owns
        // it now: this one did not finish it, so it does not report success.
        if (s.error().code == ErrorCode::conflict) return jobs::JobOutcome::failure(s.error().to_string());
        return fail_attempt(run, s.error().to_string());
    }
    if (t.options.raw_retention_days > 0) {
        auto pruned = store_.prune_raw(t.id, now - std::chrono::hours(24) * t.options.raw_retention_days);
        if (!pruned)
            d_.log.warn(kComponent, "scrape.prune_failed", {{"task_id", std::to_string(t.id)}, {"error", pruned.error().message}});
    }
    d_.log.info(kComponent, "scrape.run_finished",
                {{"task_id", std::to_string(t.id)},
                 {"pages", std::to_string(run.row.run_page)},
                 {"items_new", std::to_string(run.row.run_new)},
                 {"stopped_because", std::string(stopped_because)}});
    return jobs::JobOutcome::success(std::move(summary));
}

// Checks out the least recently used account that is not refused in this
// invocation, that the limiter would let through now and that no other run
// holds (acquired in the database). Returns nullopt with run.account set, or
// how long to wait when no account is eligible.
std::optional<Duration> ScrapeServiceImpl::take_account(Run& run) {
    const std::int64_t task_id = run.row.task.id;
    std::optional<Duration> limiter_wait;
    std::vector<std::int64_t> passed_over;
    for (int i = 0; i < 64 && !run.account; ++i) {
        auto out = d_.sessions.checkout();
        if (!out) break;
        const std::int64_t id = out->account_id;
        bool usable = !run.refused.contains(id);
        // Peeked even for refused accounts: their wait counts for when to come back.
        if (auto wait = limiter_wait_for(run.row.task, *out)) {
            usable = false;
            if (!limiter_wait || *wait < *limiter_wait) limiter_wait = wait;
        }
        if (usable) {
            const Timestamp now = d_.clock->now();
            auto got = store_.acquire_account(id, task_id, run.ctx.job().id, run.token, now, now + d_.settings.account_lease);
            usable = got && *got;
        }
        if (usable) run.account = std::move(*out);
        else passed_over.push_back(id);
    }
    for (auto id : passed_over) (void)d_.sessions.checkin(id);
    if (!run.account) return wait_for_accounts(limiter_wait);

    const std::int64_t id = run.account->account_id;
    if (std::find(run.accounts_used.begin(), run.accounts_used.end(), id) == run.accounts_used.end())
        run.accounts_used.push_back(id);
    std::string used;
    json::Writer w(used);
    w.begin_array();
    for (auto a : run.accounts_used) w.value(a);
    w.end_array();
    (void)store_.note_account(task_id, run.token, id, used, d_.clock->now());
    return std::nullopt;
}

jobs::JobOutcome ScrapeServiceImpl::run(jobs::JobContext& ctx) {
    const jobs::Job& job = ctx.job();
    // 1. The payload.
    auto payload = json::parse(job.payload);
    const json::Value* task_field = payload && payload->is_object() ? payload->find("task_id") : nullptr;
    if (task_field == nullptr || !task_field->is_int())
        return jobs::JobOutcome::permanent_failure("payload: 'task_id' must be an integer");
    const std::int64_t task_id = task_field->as_int();

    // 2. The task, and the right to run it.
    auto loaded = store_.get_task(task_id);
    if (!loaded) {
        if (loaded.error().code == ErrorCode::not_found) return jobs::JobOutcome::success(R"({"skipped":"deleted"})");
        return jobs::JobOutcome::failure(loaded.error().to_string());
    }
    if (loaded->task.state != TaskState::active) {
        return jobs::JobOutcome::success("{\"skipped\":\"" + std::string(to_string(loaded->task.state)) + "\"}");
    }
    const std::optional<std::int64_t> holder = loaded->task.current_job_id;
    if (holder && *holder != job.id) {
        auto other = d_.jobs.get(*holder);
        if (other && is_live(other->state))
            return jobs::JobOutcome::success("{\"skipped\":\"running\",\"job_id\":" + std::to_string(*holder) + "}");
    }
    // This invocation's token: it owns the run from begin_run on (every
    // write of the run presents it), and it holds the account rows.
    const std::int64_t token = random_token();
    auto begun = store_.begin_run(task_id, job.id, holder, token, d_.clock->now());
    if (!begun) {
        if (begun.error().code == ErrorCode::conflict) return jobs::JobOutcome::success(R"({"skipped":"running"})");
        return jobs::JobOutcome::failure(begun.error().to_string());
    }

    Run run(ctx, std::move(*begun));
    run.token = token;
    if (auto used = json::parse(run.row.run_accounts); used && used->is_array())
        for (const auto& v : used->as_array())
            if (v.is_int()) run.accounts_used.push_back(v.as_int());

    // Stops without finishing the run: the cursor stays, the task stays
    // active with no job recorded (a retry of this job, `start` or the
    // schedule resumes it).
    const auto stop = [&](jobs::JobOutcome outcome) {
        release(run);
        (void)store_.detach_job(task_id, job.id, run.token, d_.clock->now());
        return outcome;
    };

    // 3. Pages until done.
    int conflicts = 0;
    for (;;) {
        // Cancelled (jobs.cancel), lease lost or pool shutting down: the
        // outcome is discarded; the run is left resumable (docs/scrape.md).
        if (ctx.cancelled()) return stop(jobs::JobOutcome::failure("cancelled"));
        // The task may have been paused, cancelled or deleted meanwhile, or
        // the run taken over by another invocation.
        auto fresh = store_.get_task(task_id);
        if (!fresh) {
            if (fresh.error().code == ErrorCode::not_found) {
                release(run);
                return jobs::JobOutcome::success(R"({"stopped_because":"deleted"})");
            }
            return fail_attempt(run, fresh.error().to_string());
        }
        if (fresh->task.state != TaskState::active) {
            release(run);
            if (fresh->task.state == TaskState::paused)
                (void)store_.detach_job(task_id, job.id, run.token, d_.clock->now());
            return jobs::JobOutcome::success("{\"stopped_because\":\"" + std::string(to_string(fresh->task.state)) + "\"}");
        }
        if (fresh->run_token != run.token || fresh->run_seq != run.row.run_seq) {
            // Another invocation owns the run (this one was presumed dead and
            // the job claimed again): write nothing more.
            release(run);
            d_.log.warn(kComponent, "scrape.superseded", {{"task_id", std::to_string(task_id)}, {"job_id", std::to_string(job.id)}});
            return jobs::JobOutcome::failure("scrape task " + std::to_string(task_id) +
                                             ": the run is owned by another invocation");
        }
        // Ours: continue from the task's state as stored.
        run.row.run_page = fresh->run_page;
        run.row.run_seen = fresh->run_seen;
        run.row.run_new = fresh->run_new;
        run.row.task.cursor = fresh->task.cursor;
        run.row.task.run_started_at = fresh->task.run_started_at;

        // An account: the one in hand (its row renewed right before the
        // fetch, so it is still ours), or the least recently used eligible one.
        if (run.account) {
            auto kept = keep_account(run);
            if (!kept) return fail_attempt(run, kept.error().to_string());
        }
        if (!run.account) {
            if (auto wait = take_account(run)) {
                d_.log.info(kComponent, "scrape.waiting_for_accounts",
                            {{"task_id", std::to_string(task_id)},
                             {"wait_ms", std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(*wait).count())}});
                return stop(jobs::JobOutcome::retry_later(*wait, "no eligible account for scrape task " + std::to_string(task_id)));
            }
        }
        const std::int64_t account_id = run.account->account_id;
        // The limiter would refuse the next request: change accounts before
        // sending instead of after.
        if (limiter_wait_for(run.row.task, *run.account)) {
            run.refused.insert(account_id);
            release(run);
            continue;
        }

        // One page from the cursor.
        auto fetched = fetch(run, account_id);
        if (!fetched) {
            const Error& e = fetched.error();
            if (is_account_problem(e.code)) {
                // Cooldown, challenge, lost session or limiter: this account
                // is done for now; the same cursor goes to another one.
                d_.log.info(kComponent, "scrape.account_switch",
                            {{"task_id", std::to_string(task_id)},
                             {"account_id", std::to_string(account_id)},
                             {"error", e.to_string()}});
                run.refused.insert(account_id);
                release(run);
                if (++run.switches > d_.settings.max_account_switches) {
                    return stop(jobs::JobOutcome::retry_later(wait_for_accounts(std::nullopt), e.to_string()));
                }
                continue;
            }
            if (e.code == ErrorCode::not_found || e.code == ErrorCode::invalid_argument) {
                // The target is gone or cannot be asked for: no retry helps.
                release(run);
                (void)store_.finish_run(task_id, run.token, "{\"stopped_because\":\"failed\"}", TaskState::failed,
                                        d_.clock->now(), e.to_string());
                return jobs::JobOutcome::permanent_failure(e.to_string());
            }
            return fail_attempt(run, e.to_string());
        }

        // Commit it: results, items, raw answer and cursor in one transaction.
        const bool since_reached = fetched->since_reached;
        fetched->commit.run_token = run.token;
        auto committed = store_.commit_page(fetched->commit);
        if (!committed) {
            if (committed.error().code == ErrorCode::conflict && ++conflicts <= 3) {
                // The task moved under us (cancelled, or the run taken over):
                // the loop re-reads it and stops, or continues from its
                // state if the run is still ours. Never "success" here.
                continue;
            }
            return fail_attempt(run, committed.error().to_string());
        }
        run.row.run_page = committed->run_page;
        run.row.run_seen = committed->run_seen;
        run.row.run_new = committed->run_new;
        run.row.task.cursor = fetched->commit.next_cursor;
        const bool more = fetched->commit.next_cursor.has_value();

        // Extend the account row over the page delay. Lost: the account is
        // dropped here and another one taken before the next fetch.
        auto renewed = keep_account(run);
        if (!renewed) return fail_attempt(run, renewed.error().to_string());

        std::string progress;
        json::Writer(progress)
            .begin_object()
            .key("pages").value(run.row.run_page)
            .key("items").value(run.row.run_new)
            .key("items_seen").value(run.row.run_seen)
            .key("cursor_present").value(more)
            .key("account_id").value(account_id)
            .end_object();
        if (auto s = ctx.progress(progress); !s && s.error().code == ErrorCode::conflict) {
            // The job's lease is lost: on its last attempt the job system
            // makes it dead, so the task fails with it (resumable by start).
            return fail_attempt(run, "scrape task " + std::to_string(task_id) + ": lease lost");
        }
        if (d_.events != nullptr) {
            std::string event;
            json::Writer(event)
                .begin_object()
                .key("task_id").value(task_id)
                .key("job_id").value(job.id)
                .key("page").value(run.row.run_page)
                .key("items_new").value(committed->items_new)
                .key("cursor_present").value(more)
                .key("account_id").value(account_id)
                .end_object();
            d_.events->publish("scrape.page", std::move(event));
        }

        // Done?
        const auto& options = run.row.task.options;
        if (!more) return finish(run, "end");
        if (since_reached) return finish(run, "since");
        if (options.max_items && run.row.run_seen >= *options.max_items) return finish(run, "max_items");
        if (options.page_delay.count() > 0 && ctx.wait_cancelled(options.page_delay)) {
            return stop(jobs::JobOutcome::failure("cancelled"));
        }
    }
}

}  // namespace

std::unique_ptr<ScrapeServiceInternal> make_scrape_service(ScrapeDeps deps) {
    return std::make_unique<ScrapeServiceImpl>(std::move(deps));
}

}  // namespace gramkit::scrape
