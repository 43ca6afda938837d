// gramkit::scrape — the repository of the scraping tables (migration 6,
// schema.cpp), one implementation over the SQL driver for SQLite and
// PostgreSQL (the statements are identical on both).
//
// The two guarantees of docs/scrape.md live here, as single statements or
// single transactions:
//   - commit_page: results upserted, task items inserted once (counting the
//     new ones), the raw answer stored, and the task's cursor advanced by
//     compare-and-set from the (run_seq, run_page, cursor) the page was
//     fetched at — all in ONE transaction. A second commit of the same page
//     (a zombie runner, a retry) fails the compare-and-set with `conflict`
//     and stores nothing.
//   - acquire_account: at most one active run per account, by the primary
//     key of scrape_account_runs; an expired row is taken over by the same
//     upsert (compare-and-set on expires_at).
//
// Thread-safety: every member may be called from any thread (each call
// leases its own connection). Times are passed in by the caller.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "gramkit/ids.hpp"
#include "gramkit/instagram_models.hpp"
#include "gramkit/scrape.hpp"
#include "storage/sql.hpp"

namespace gramkit::scrape {

/// A task row: the public view plus the bookkeeping of the run in progress.
struct TaskRow {
    Task task;
    std::int64_t run_seq = 0;   // bumped when a run starts
    std::int64_t run_page = 0;  // pages committed in the current run
    std::int64_t run_seen = 0;  // posts seen in the current run
    std::int64_t run_new = 0;   // items first found in the current run
    std::string run_accounts = "[]";  // JSON array of account ids used by the current run
    /// The random token of the handler invocation that owns the run in
    /// progress (set by begin_run, cleared by detach_job, finish_run and a
    /// transition that drops the run). Every write of the run is guarded by
    /// it, so a stale invocation (a zombie whose lease was lost) writes nothing.
    std::optional<std::int64_t> run_token;
};

/// One fetched page, ready to commit.
struct PageCommit {
    std::int64_t task_id = 0;
    // Where the page was fetched from (the compare-and-set point).
    std::int64_t run_seq = 0;
    std::int64_t run_page = 0;
    std::optional<std::string> from_cursor;
    std::int64_t run_token = 0;  // the committing invocation's run token
    // Where the next page starts; nullopt on the last page.
    std::optional<std::string> next_cursor;
    std::optional<std::int64_t> account_id;
    std::vector<instagram::Post> posts;
    std::optional<instagram::Profile> profile;
    std::optional<std::string> hashtag;  // the tag a hashtag page is about
    std::optional<std::int64_t> hashtag_media_count;
    std::int64_t seen = 0;  // posts seen on this page (run_seen += seen)
    // The raw answer; not stored when empty.
    std::string raw_endpoint;
    std::string raw_body;
    Timestamp now{};
};

struct CommitResult {
    std::int64_t items_new = 0;  // task items this page added
    std::int64_t run_page = 0;   // pages committed in the run, this one included
    std::int64_t run_seen = 0;
    std::int64_t run_new = 0;
};

/// A raw answer as stored, decompressed.
struct RawDocument {
    std::int64_t id = 0;
    std::int64_t task_id = 0;
    std::string endpoint;
    std::optional<std::string> cursor;
    Timestamp fetched_at{};
    std::int64_t size = 0;  // uncompressed bytes
    std::string body;
};

struct AccountRun {
    std::int64_t account_id = 0;
    std::int64_t task_id = 0;
    std::optional<std::int64_t> job_id;
    std::int64_t token = 0;
    Timestamp acquired_at{};
    Timestamp expires_at{};
};

class ScrapeStore {
public:
    ScrapeStore(storage::Database& db, IdGenerator& ids) : db_(db), ids_(ids) {}

    // --- tasks -------------------------------------------------------------------
    Status insert_task(const Task& task);
    /// `not_found` ("scrape task N not found").
    Result<TaskRow> get_task(std::int64_t id);
    Result<TaskPage> list_tasks(const TaskFilter& filter);
    /// Compare-and-set of the state: moves to `to` only from one of `from`;
    /// `conflict` naming the current state otherwise. With `drop_run`, the
    /// run in progress is forgotten (cursor, run counters, current job).
    Result<TaskRow> transition(std::int64_t id, std::initializer_list<TaskState> from, TaskState to, Timestamp now,
                               bool drop_run = false);
    Status set_schedule(std::int64_t id, std::optional<std::int64_t> schedule_id, Timestamp now);
    /// Deletes the task with its items, raw answers and account-run row.
    Status remove_task(std::int64_t id);

    // --- runs ----------------------------------------------------------------------
    /// Claims the task's run for `job_id`: succeeds when no other job is
    /// recorded as running it (`expected_job`, as read, is the
    /// compare-and-set point). A task without a run in progress starts one
    /// (run_seq + 1, counters and cursor reset, run_started_at = now); one
    /// with a run in progress is resumed from its cursor. Either way the run
    /// becomes owned by `run_token` (the invocation's random token): every
    /// later write of the run must present it. `conflict` when another
    /// runner changed the task in between.
    Result<TaskRow> begin_run(std::int64_t id, std::int64_t job_id, std::optional<std::int64_t> expected_job,
                              std::int64_t run_token, Timestamp now);
    /// Records the account now used by the run (and the run's account list);
    /// a no-op unless `run_token` owns the run.
    Status note_account(std::int64_t id, std::int64_t run_token, std::int64_t account_id, std::string run_accounts_json,
                        Timestamp now);
    /// The page commit (see the header comment). `conflict` when the task's
    /// (run_seq, run_page, cursor) is no longer where the page was fetched
    /// from (someone committed it, or the run was dropped, first) or when
    /// page.run_token no longer owns the run.
    Result<CommitResult> commit_page(const PageCommit& page);
    /// Ends the run: cursor and run bookkeeping cleared, last_run and
    /// last_error (`error`, NULL when not given) stored, state set to
    /// `new_state` when given (only from active). Only the run owned by
    /// `run_token` is ended (`conflict` otherwise).
    Status finish_run(std::int64_t id, std::int64_t run_token, std::string_view last_run_json,
                      std::optional<TaskState> new_state, Timestamp now,
                      std::optional<std::string> error = std::nullopt);
    /// Stores the last error and, when given, moves an active task to
    /// `state`. `conflict` (nothing written) unless `run_token` owns the run.
    Status record_error(std::int64_t id, std::int64_t run_token, std::string_view error,
                        std::optional<TaskState> state, Timestamp now);
    /// Forgets which job runs the task and who owns the run (the job ended
    /// without finishing the run; the cursor stays for the next one). A
    /// no-op unless (job_id, run_token) still own it.
    Status detach_job(std::int64_t id, std::int64_t job_id, std::int64_t run_token, Timestamp now);
    /// Recovery (`start` on an active task): forgets `job_id` as the task's
    /// job and the run's owner, whoever that invocation was, when it is
    /// still recorded. The caller has checked that the job is not live. The
    /// cursor stays, so the next run resumes.
    Status release_run(std::int64_t id, std::int64_t job_id, Timestamp now);

    // --- one run per account -----------------------------------------------------
    /// Takes `account_id` for `task_id`: inserts the row, or takes over one
    /// that expired before `now` or already belongs to this task. Any other
    /// row of the task is removed first (a task uses one account at a time).
    /// true = acquired.
    Result<bool> acquire_account(std::int64_t account_id, std::int64_t task_id, std::optional<std::int64_t> job_id,
                                 std::int64_t token, Timestamp now, Timestamp expires_at);
    /// Extends the holder's row; false when the row is no longer `token`'s.
    Result<bool> renew_account(std::int64_t account_id, std::int64_t token, Timestamp expires_at);
    Status release_account(std::int64_t account_id, std::int64_t token);
    Result<std::optional<AccountRun>> account_run(std::int64_t account_id);

    // --- results and raw answers -----------------------------------------------
    Result<ResultPage> results(std::int64_t task_id, std::optional<std::int64_t> after, std::size_t limit);
    /// Deletes the task's raw answers fetched before `cutoff`; returns how many.
    Result<std::int64_t> prune_raw(std::int64_t task_id, Timestamp cutoff);
    /// The task's raw answers decompressed, by id ascending, at most `limit`
    /// (1..1000) after id `after` (keyset). `invalid_argument` for a bad limit.
    Result<std::vector<RawDocument>> raw_documents(std::int64_t task_id, std::optional<std::int64_t> after,
                                                   std::size_t limit);
    /// Rows of the stored profile's count history, oldest first:
    /// (observed_at, followers, following, post_count).
    Result<std::vector<std::tuple<Timestamp, std::int64_t, std::int64_t, std::int64_t>>> profile_history(
        std::string_view user_id);

private:
    storage::Database& db_;
    IdGenerator& ids_;
};

/// zlib (deflate, zlib wrapper) then base64: the stored form of a raw answer.
std::string pack_raw_body(std::string_view body);
/// The inverse; `data_loss` for a body that does not decode.
Result<std::string> unpack_raw_body(std::string_view stored);

}  // namespace gramkit::scrape
