// gramkit::storage — ScheduleRepository over the SQL driver (both dialects):
// the periodic schedules of issue 6.
//
// Why a period fires once even when several processes see it due: `fire`
// advances next_fire_at with a compare-and-set (`WHERE next_fire_at =
// <the value the caller read>`) in the same transaction that inserts the
// job. On PostgreSQL the UPDATE locks the row, so a second firer waits, then
// (READ COMMITTED) re-checks the WHERE clause against the committed row and
// matches nothing; on SQLite BEGIN IMMEDIATE serialises the firers. The
// leader lock (src/jobs/leader_lock) normally keeps a second firer away
// altogether; the compare-and-set is what makes a brief overlap of two
// leaders harmless.
//
// The idempotency key of the fired job: a live job with the same key means
// the previous run is still going, so the period is skipped (the schedule
// advances, no job is queued). It is checked with a SELECT before the
// INSERT, because on PostgreSQL a failed INSERT aborts the whole
// transaction, which would undo the advance too. A job queued with the same
// key between that SELECT and the INSERT (by another path than this
// schedule) is caught by a SAVEPOINT around the INSERT: rolling back to it
// keeps the advance.
#include <string>
#include <utility>
#include <vector>

#include "storage/sql_repositories.hpp"

namespace gramkit::storage {
namespace {

using namespace sql_repo;

constexpr std::string_view kColumns =
    "id, name, kind, payload, priority, max_attempts, cron, interval_s, enabled, next_fire_at, last_fired_at, "
    "last_job_id, created_at, updated_at";

constexpr std::int64_t kMicrosPerSecond = 1'000'000;

/// `('queued', 'running', ...)`: the live job states, from the state table
/// (so this list cannot drift from job_state_is_live).
std::string live_states_sql() {
    std::string out = "(";
    for (const auto& [state, text] : kJobStateText) {
        if (!job_state_is_live(state)) continue;
        if (out.size() > 1) out += ", ";
        out += "'" + std::string(text) + "'";
    }
    return out + ")";
}

Result<ScheduleRecord> decode_schedule(const Row& r) {
    ScheduleRecord s;
    s.id = r.i64(0);
    s.name = r.text(1);
    s.kind = r.text(2);
    s.payload = r.text(3);
    s.priority = static_cast<int>(r.i64(4));
    s.max_attempts = static_cast<int>(r.i64(5));
    s.cron = r.opt_text(6);
    if (auto seconds = r.opt_i64(7)) s.interval = Duration{*seconds * kMicrosPerSecond};
    s.enabled = r.boolean(8);
    s.next_fire_at = r.time(9);
    s.last_fired_at = r.opt_time(10);
    s.last_job_id = r.opt_i64(11);
    s.created_at = r.time(12);
    s.updated_at = r.time(13);
    return s;
}

/// The checks shared by create and update; the interval in whole seconds
/// (nullopt for a cron schedule).
Result<std::optional<std::int64_t>> check_schedule(const ScheduleRecord& s) {
    if (s.name.empty()) return ::gramkit::fail(ErrorCode::invalid_argument, "schedule name must not be empty", "name");
    if (s.kind.empty()) return ::gramkit::fail(ErrorCode::invalid_argument, "schedule kind must not be empty", "kind");
    if (s.payload.empty()) {
        return ::gramkit::fail(ErrorCode::invalid_argument, "schedule payload must be JSON text, got nothing",
                               "payload");
    }
    if (s.max_attempts < 0) {
        return ::gramkit::fail(ErrorCode::invalid_argument,
                               "max_attempts must be 0 (the kind's default) or more, got " +
                                   std::to_string(s.max_attempts),
                               "max_attempts");
    }
    if (s.cron.has_value() == s.interval.has_value()) {
        return ::gramkit::fail(ErrorCode::invalid_argument,
                               s.cron ? "a schedule has either a cron expression or an interval, not both"
                                      : "a schedule needs a cron expression or an interval",
                               "cron");
    }
    if (s.cron) {
        if (s.cron->empty()) {
            return ::gramkit::fail(ErrorCode::invalid_argument, "cron expression must not be empty", "cron");
        }
        return std::optional<std::int64_t>();
    }
    const std::int64_t us = s.interval->count();
    if (us < kMicrosPerSecond || us % kMicrosPerSecond != 0) {
        return ::gramkit::fail(ErrorCode::invalid_argument,
                               "interval must be a whole number of seconds, at least 1 s, got " +
                                   std::to_string(us) + " µs",
                               "interval");
    }
    return std::optional<std::int64_t>(us / kMicrosPerSecond);
}

std::string schedule_name(std::int64_t id) { return "schedule " + std::to_string(id); }

Result<ScheduleRecord> get_schedule(Connection& c, std::int64_t id) {
    static const std::string sql = "SELECT " + std::string(kColumns) + " FROM schedules WHERE id = $1";
    GK_ASSIGN_OR_RETURN(auto found, query_optional<ScheduleRecord>(c, sql, params_of({id}), decode_schedule));
    if (!found) return ::gramkit::fail(not_found("schedule", id));
    return std::move(*found);
}

/// A unique violation of a write to `s`: the name or the id.
Error duplicate_schedule(Connection& c, const ScheduleRecord& s) {
    auto holder = query_int(c, "SELECT id FROM schedules WHERE name = $1", {s.name});
    if (holder && *holder && **holder != s.id) {
        return Error{ErrorCode::conflict, "a schedule named '" + s.name + "' already exists", "name"};
    }
    return Error{ErrorCode::conflict, schedule_name(s.id) + " already exists", "id"};
}

/// The id of a live job holding `key`, if any.
Result<std::optional<std::int64_t>> live_job_with_key(Connection& c, const std::string& key) {
    static const std::string sql = "SELECT id FROM jobs WHERE idempotency_key = $1 AND state IN " + live_states_sql();
    return query_int(c, sql, {key});
}

class SqlScheduleRepository final : public ScheduleRepository {
public:
    explicit SqlScheduleRepository(Database& db) : db_(db) {}

    Result<ScheduleRecord> create(const ScheduleRecord& s) override {
        GK_ASSIGN_OR_RETURN(std::optional<std::int64_t> interval_s, check_schedule(s));
        return with_connection(db_, [&](Connection& c) -> Result<ScheduleRecord> {
            Result<std::int64_t> inserted =
                exec(c,
                     "INSERT INTO schedules (id, name, kind, payload, priority, max_attempts, cron, interval_s, "
                     "enabled, next_fire_at, last_fired_at, last_job_id, created_at, updated_at) "
                     "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
                     {s.id, s.name, s.kind, s.payload, s.priority, s.max_attempts, s.cron, interval_s, s.enabled,
                      s.next_fire_at, s.last_fired_at, s.last_job_id, s.created_at, s.updated_at});
            if (!inserted) {
                if (is_constraint_violation(inserted.error(), "unique")) return ::gramkit::fail(duplicate_schedule(c, s));
                return ::gramkit::fail(inserted.error());
            }
            return get_schedule(c, s.id);
        });
    }

    Result<ScheduleRecord> update(const ScheduleRecord& s, Timestamp now) override {
        GK_ASSIGN_OR_RETURN(std::optional<std::int64_t> interval_s, check_schedule(s));
        return with_connection(db_, [&](Connection& c) -> Result<ScheduleRecord> {
            Status written = write_one(c,
                                       "UPDATE schedules SET name = $2, kind = $3, payload = $4, priority = $5, "
                                       "max_attempts = $6, cron = $7, interval_s = $8, enabled = $9, "
                                       "next_fire_at = $10, updated_at = $11 WHERE id = $1",
                                       params_of({s.id, s.name, s.kind, s.payload, s.priority, s.max_attempts, s.cron,
                                                  interval_s, s.enabled, s.next_fire_at, now}),
                                       "schedule", s.id);
            if (!written) {
                if (is_constraint_violation(written.error(), "unique")) return ::gramkit::fail(duplicate_schedule(c, s));
                return ::gramkit::fail(std::move(written).error());
            }
            return get_schedule(c, s.id);
        });
    }

    Result<ScheduleRecord> get(std::int64_t id) override {
        return with_connection(db_, [&](Connection& c) { return get_schedule(c, id); });
    }

    Result<ScheduleRecord> get_by_name(std::string_view name) override {
        static const std::string sql = "SELECT " + std::string(kColumns) + " FROM schedules WHERE name = $1";
        return with_connection(db_, [&](Connection& c) -> Result<ScheduleRecord> {
            GK_ASSIGN_OR_RETURN(auto found, query_optional<ScheduleRecord>(c, sql, params_of({name}), decode_schedule));
            if (!found) {
                return ::gramkit::fail(ErrorCode::not_found, "schedule '" + std::string(name) + "' not found");
            }
            return std::move(*found);
        });
    }

    Result<Page<ScheduleRecord>> list(const ScheduleFilter& filter) override {
        GK_TRY(check_page_limit(filter.limit));
        SqlParams params;
        std::string sql = "SELECT " + std::string(kColumns) + " FROM schedules WHERE id > " +
                          params.add(cursor_or_start(filter.after));
        if (filter.enabled) sql += " AND enabled = " + params.add(*filter.enabled);
        sql += " ORDER BY id LIMIT " + params.add(static_cast<std::int64_t>(filter.limit + 1));
        return with_connection(db_, [&](Connection& c) -> Result<Page<ScheduleRecord>> {
            GK_ASSIGN_OR_RETURN(auto rows, query_rows<ScheduleRecord>(c, sql, params.span(), decode_schedule));
            return to_page(std::move(rows), filter.limit, [](const ScheduleRecord& r) { return r.id; });
        });
    }

    Status remove(std::int64_t id) override {
        return with_connection(db_, [&](Connection& c) {
            return write_one(c, "DELETE FROM schedules WHERE id = $1", params_of({id}), "schedule", id);
        });
    }

    Result<std::vector<ScheduleRecord>> due(Timestamp now, std::size_t limit) override {
        GK_TRY(check_page_limit(limit));
        // enabled = 1 repeats the predicate of schedules_due_idx (see the
        // claim query of the job repository for why it must be literal).
        static const std::string sql = "SELECT " + std::string(kColumns) +
                                       " FROM schedules WHERE enabled = 1 AND next_fire_at <= $1 "
                                       "ORDER BY next_fire_at, id LIMIT $2";
        return with_connection(db_, [&](Connection& c) {
            return query_rows<ScheduleRecord>(c, sql, params_of({now, static_cast<std::int64_t>(limit)}),
                                              decode_schedule);
        });
    }

    Result<std::optional<JobRecord>> fire(std::int64_t id, Timestamp expected_next, Timestamp new_next,
                                          const NewJobRecord& job, Timestamp now) override {
        using Fired = std::optional<JobRecord>;
        return with_transaction(db_, [&](Connection& c) -> Result<Fired> {
            // The row lock taken by the UPDATE below must be followed by
            // reads of what committed meanwhile (the live-key check).
            GK_TRY(begin_assignment_isolation(c));
            GK_ASSIGN_OR_RETURN(std::int64_t advanced,
                                exec(c,
                                     "UPDATE schedules SET next_fire_at = $3, last_fired_at = $4, updated_at = $4 "
                                     "WHERE id = $1 AND next_fire_at = $2 AND enabled = 1",
                                     {id, expected_next, new_next, now}));
            if (advanced == 0) return Fired();  // fired by someone else (or disabled, or gone): nothing written
            if (job.idempotency_key) {
                GK_ASSIGN_OR_RETURN(auto live, live_job_with_key(c, *job.idempotency_key));
                if (live) return Fired();  // the previous run is still going: skip this period
            }
            GK_TRY(c.execute_script("SAVEPOINT schedule_fire_job"));
            Result<JobRecord> inserted = insert_job(c, job);
            if (!inserted) {
                GK_TRY(c.execute_script("ROLLBACK TO SAVEPOINT schedule_fire_job"));
                // On PostgreSQL insert_job could not ask which uniqueness
                // failed (the statement after the violation ran in an
                // aborted transaction), so ask now.
                if (is_constraint_violation(inserted.error(), "unique") || c.dialect() == Dialect::postgresql) {
                    if (job.idempotency_key) {
                        GK_ASSIGN_OR_RETURN(auto live, live_job_with_key(c, *job.idempotency_key));
                        if (live) return Fired();  // queued by another path since the check above
                    }
                    GK_ASSIGN_OR_RETURN(auto same_id, query_int(c, "SELECT id FROM jobs WHERE id = $1", {job.id}));
                    if (same_id) return ::gramkit::fail(ErrorCode::conflict, "job " + std::to_string(job.id) + " already exists", "id");
                }
                return ::gramkit::fail(std::move(inserted).error());  // the transaction rolls back: not advanced
            }
            GK_TRY(c.execute_script("RELEASE SAVEPOINT schedule_fire_job"));
            GK_TRY(exec(c, "UPDATE schedules SET last_job_id = $2 WHERE id = $1", {id, job.id}));
            return Fired(std::move(*inserted));
        });
    }

private:
    Database& db_;
};

}  // namespace

std::unique_ptr<ScheduleRepository> make_sql_schedule_repository(Database& db) {
    return std::make_unique<SqlScheduleRepository>(db);
}

}  // namespace gramkit::storage
