// gramkit — scraping tasks (issue 6, docs/scrape.md).
//
// A scraping task is a user-level object: what to collect (a profile, a
// user's posts, a hashtag, one post), options (max items per run, a "since"
// date, the pause between pages, how long raw answers are kept), an optional
// schedule, and a state:
//
//   active ──pause──▶ paused ──resume──▶ active
//   active ──run ends (no schedule)──▶ completed ──start──▶ active
//   active ──target gone / attempts exhausted──▶ failed ──start──▶ active
//   active / paused / completed / failed ──cancel──▶ cancelled (final)
//
// Runs are durable jobs of kind "scrape.run" (gramkit/jobs.hpp) with the
// payload {"task_id": N}. A run takes an account from the session manager
// (at most one active run per account, enforced by the database), fetches
// pages from the task's cursor, and commits each page in one transaction:
// the results (profiles with a history of their counts, posts, hashtags),
// the task's items (each counted once), the raw answer, and the cursor
// advanced by compare-and-set, so a crash or a switch of account resumes
// where it stopped and no page is committed twice. Each page publishes a
// `scrape.page` event.
//
// Thread-safety: every member of ScrapeService may be called from any
// thread. Ownership: results are plain values owned by the caller.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gramkit/clock.hpp"
#include "gramkit/error.hpp"
#include "gramkit/export.hpp"
#include "gramkit/instagram_models.hpp"

namespace gramkit::scrape {

enum class TaskKind { profile, posts, hashtag, media };
enum class TaskState { active, paused, cancelled, completed, failed };

/// "profile", "posts", "hashtag", "media".
GRAMKIT_API std::string_view to_string(TaskKind k) noexcept;
/// "active", "paused", "cancelled", "completed", "failed".
GRAMKIT_API std::string_view to_string(TaskState s) noexcept;
/// `invalid_argument` (details "kind") for anything else.
GRAMKIT_API Result<TaskKind> task_kind_from_string(std::string_view text);
/// `invalid_argument` (details "state") for anything else.
GRAMKIT_API Result<TaskState> task_state_from_string(std::string_view text);

/// Upper bound of TaskOptions::max_items.
inline constexpr std::int64_t kMaxItemsLimit = 1'000'000;
/// Upper bound of TaskOptions::page_delay in milliseconds (2 min): well
/// under the account lease (default 5 min), which a run renews right before
/// and right after each page, so a run never waits out its hold on an account.
inline constexpr std::int64_t kMaxPageDelayMs = 120'000;

struct TaskOptions {
    /// A run stops after the page on which it has seen this many posts
    /// (1..kMaxItemsLimit); nullopt = no limit.
    std::optional<std::int64_t> max_items;
    /// posts / hashtag: posts taken before this are not stored, and a run
    /// stops at the first page that reaches them.
    std::optional<Timestamp> since;
    /// Pause between two pages (0..kMaxPageDelayMs, and shorter than the
    /// service's account lease); cancellation interrupts it.
    std::chrono::milliseconds page_delay{0};
    /// Raw answers older than this many days are deleted at the end of each
    /// run (0..3650); 0 = raw answers are not kept at all.
    int raw_retention_days = 7;

    /// `invalid_argument` naming the field ("options.max_items", ...).
    GRAMKIT_API Status validate() const;
};

/// When a task runs by itself (exactly one of cron / interval).
struct TaskSchedule {
    std::optional<std::string> cron;   // 5-field UTC cron expression
    std::optional<Duration> interval;  // ≥ 1 s, whole seconds
};

struct NewTask {
    TaskKind kind = TaskKind::profile;
    /// profile / posts: a username; hashtag: a tag (with or without '#');
    /// media: a numeric media id or a shortcode.
    std::string target;
    TaskOptions options;
    std::optional<TaskSchedule> schedule;
    /// Enqueue the first run at once.
    bool start = true;
};

struct Task {
    std::int64_t id = 0;
    TaskKind kind = TaskKind::profile;
    std::string target;  // normalised (a tag without '#', lower case)
    TaskOptions options;
    std::optional<std::int64_t> schedule_id;
    TaskState state = TaskState::active;
    std::int64_t pages = 0;  // pages committed over all runs
    std::int64_t items = 0;  // distinct items found over all runs
    /// Resume point of the run in progress (nullopt: none, or it is at its
    /// first page).
    std::optional<std::string> cursor;
    std::optional<Timestamp> run_started_at;  // set while a run is in progress
    std::optional<std::int64_t> current_job_id;
    std::optional<std::int64_t> account_id;  // last account used
    /// JSON summary of the last finished run: {pages, items_new, items_seen,
    /// accounts_used: [ids], finished_at, stopped_because}.
    std::optional<std::string> last_run;
    std::optional<std::string> last_error;
    Timestamp created_at{};
    Timestamp updated_at{};
};

struct TaskFilter {
    std::optional<TaskState> state;
    std::optional<TaskKind> kind;
    std::optional<std::int64_t> after;  // id cursor
    std::size_t limit = 50;             // 1..1000
};

struct TaskPage {
    std::vector<Task> items;
    std::optional<std::int64_t> next_after;
};

/// A stored post: the post as last seen (media, hashtags and mentions
/// included) and when it was first and last seen by any task.
struct StoredPost {
    instagram::Post post;
    Timestamp first_seen_at{};
    Timestamp last_seen_at{};
};

/// A stored profile: the profile as last seen (without its posts and
/// external URL, which are not stored) and when it was first and last seen.
struct StoredProfile {
    instagram::Profile profile;
    Timestamp first_seen_at{};
    Timestamp last_seen_at{};
};

/// One item a task found: a post or a profile, as stored now.
struct ResultItem {
    std::int64_t seq = 0;    // keyset position within the task
    std::string item_type;   // "post" or "profile"
    std::string item_id;
    Timestamp first_seen_at{};  // when this task first found it
    std::optional<StoredPost> post;
    std::optional<StoredProfile> profile;
};

struct ResultPage {
    std::vector<ResultItem> items;
    std::optional<std::int64_t> next_after;
};

class GRAMKIT_API ScrapeService {
public:
    virtual ~ScrapeService() = default;

    /// Validates and stores a task (state active); with a schedule, creates
    /// the jobs schedule that fires its runs; with `start`, enqueues the
    /// first run. `invalid_argument` naming the field ("kind", "target",
    /// "options.max_items", "schedule.cron", ...).
    virtual Result<Task> create(const NewTask& spec) = 0;
    virtual Result<Task> get(std::int64_t id) = 0;
    /// By id, ascending.
    virtual Result<TaskPage> list(const TaskFilter& filter) = 0;
    /// Run now: makes a completed or failed task active again and enqueues a
    /// run (idempotency key "scrape:<id>": while a run is queued or running
    /// the existing job is kept). Returns the job id. `failed_precondition`
    /// for a paused or cancelled task.
    virtual Result<std::int64_t> start(std::int64_t id) = 0;
    /// active → paused; a running run stops after its current page and
    /// keeps its cursor. `conflict` from another state.
    virtual Result<Task> pause(std::int64_t id) = 0;
    /// paused → active, and a run is enqueued that resumes from the cursor.
    virtual Result<Task> resume(std::int64_t id) = 0;
    /// → cancelled (final): the live run's job is cancelled, the cursor
    /// dropped and the schedule disabled. `conflict` if already cancelled.
    virtual Result<Task> cancel(std::int64_t id) = 0;
    /// Deletes the task, its item list, raw answers and schedule (stored
    /// posts and profiles stay: other tasks may share them). Cancels a live run.
    virtual Status remove(std::int64_t id) = 0;
    /// The task's items in the order found (keyset by seq).
    /// `invalid_argument` for a limit outside 1..1000.
    virtual Result<ResultPage> results(std::int64_t id, std::optional<std::int64_t> after, std::size_t limit) = 0;
};

}  // namespace gramkit::scrape
