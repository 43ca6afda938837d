// JobService: the public face of the job queue, the schedules and the
// worker pool (gramkit/jobs.hpp, docs/jobs.md).
#include "jobs/job_service.hpp"

#include <unistd.h>

#include <array>
#include <cstdio>

#include "gramkit/crypto.hpp"
#include "jobs/job_records.hpp"
#include "jobs/job_runner.hpp"
#include "jobs/schedule_firer.hpp"
#include "jobs/worker_pool.hpp"

namespace gramkit::jobs {

std::string make_worker_owner_name() {
    std::array<char, 256> host{};
    if (::gethostname(host.data(), host.size() - 1) != 0) host = {'?'};
    std::array<std::uint8_t, 4> r{};
    (void)crypto::random_bytes(std::span<std::uint8_t>(r));
    char suffix[16];
    std::snprintf(suffix, sizeof suffix, "%02x%02x%02x%02x", r[0], r[1], r[2], r[3]);
    return std::string(host.data()) + ":" + std::to_string(::getpid()) + ":" + suffix;
}

namespace {

constexpr std::size_t kMaxIdempotencyKey = 200;
constexpr std::size_t kMaxKind = 100;
constexpr std::size_t kMaxBatch = 10000;

Error bad(std::string_view field, std::string message) {
    return Error{ErrorCode::invalid_argument, std::move(message), std::string(field)};
}

Result<Job> job_result(Result<storage::JobRecord> r) {
    if (!r) return fail(std::move(r).error());
    return to_job(*r);
}

Result<Schedule> schedule_result(Result<storage::ScheduleRecord> r) {
    if (!r) return fail(std::move(r).error());
    return to_schedule(*r);
}

class JobServiceImpl final : public JobService {
public:
    explicit JobServiceImpl(JobServiceDeps deps)
        : deps_(std::move(deps)),
          owner_(make_worker_owner_name()),
          pool_(PoolDeps{deps_.backend, *deps_.clock, deps_.clock, deps_.ids, deps_.log, deps_.events, kinds_,
                         running_, owner_}) {}

    ~JobServiceImpl() override { pool_.stop(); }

    Status register_handler(std::string kind, Handler handler, KindOptions options) override {
        if (kind.empty()) return fail(bad("kind", "job kind must not be empty"));
        if (kind.size() > kMaxKind) return fail(bad("kind", "job kind must be at most 100 bytes"));
        if (!handler) return fail(bad("handler", "handler must not be empty"));
        GK_TRY(validate(options));
        if (pool_.running() && kinds_.find(kind))
            return fail(ErrorCode::failed_precondition, "cannot replace the handler of '" + kind +
                                                            "' while the worker pool runs; stop it first", "kind");
        kinds_.set(std::move(kind), KindTable::Entry{std::move(handler), options});
        pool_.wake();
        return {};
    }

    std::vector<std::string> kinds() const override { return kinds_.kinds(); }

    Status start(const WorkerOptions& options) override {
        GK_TRY(validate(options));
        return pool_.start(options);
    }

    void stop() override { pool_.stop(); }

    PoolStatus status() const override {
        PoolStatus s;
        s.running = pool_.running();
        s.leader = pool_.leader();
        s.owner = owner_;
        s.active = running_.per_kind();
        return s;
    }

    Result<std::size_t> run_pending(std::size_t max) override {
        std::size_t ran = 0;
        while (ran < max) {
            const auto kinds = kinds_.kinds();
            if (kinds.empty()) break;
            GK_ASSIGN_OR_RETURN(auto claimed,
                                deps_.backend.jobs().claim(owner_, 1, longest_lease(kinds), deps_.clock->now(), kinds));
            if (claimed.empty()) break;
            auto entry = kinds_.find(claimed.front().kind);
            auto job = std::make_shared<RunningJob>(std::move(claimed.front()));
            if (!entry) break;  // unregistered meanwhile; the lease will expire
            job->lease = entry->options.lease;
            running_.add(job);
            RunnerDeps runner{deps_.backend.jobs(), *deps_.clock, deps_.log, deps_.events};
            run_job(runner, *job, entry->handler, entry->options);
            running_.remove(job);
            ++ran;
        }
        return ran;
    }

    Result<std::size_t> tick() override {
        GK_TRY(deps_.backend.jobs().expire_inputs(deps_.clock->now()));
        GK_TRY(deps_.backend.jobs().expire_leases(deps_.clock->now()));
        // With a pool, its leader fires schedules; firing here too would be
        // harmless (compare-and-set) but would bypass the leader lock.
        if (pool_.running() && !pool_.leader()) return std::size_t{0};
        return fire_due_schedules(firer(), deps_.clock->now());
    }

    Result<Job> enqueue(const JobSpec& spec) override {
        GK_ASSIGN_OR_RETURN(auto record, new_job_record(spec, deps_.clock->now()));
        auto job = job_result(deps_.backend.jobs().enqueue(record));
        if (job) pool_.wake();
        return job;
    }

    Result<std::vector<Job>> enqueue_many(std::span<const JobSpec> specs) override {
        if (specs.size() > kMaxBatch) return fail(bad("jobs", "at most 10000 jobs per batch"));
        const Timestamp now = deps_.clock->now();
        std::vector<storage::NewJobRecord> records;
        records.reserve(specs.size());
        for (std::size_t i = 0; i < specs.size(); ++i) {
            auto record = new_job_record(specs[i], now);
            if (!record) {
                const std::string at = "jobs[" + std::to_string(i) + "]";
                return fail(ErrorCode::invalid_argument, at + ": " + record.error().message,
                            at + "." + record.error().details);
            }
            records.push_back(std::move(*record));
        }
        GK_ASSIGN_OR_RETURN(auto stored, deps_.backend.jobs().enqueue_many(records));
        std::vector<Job> out;
        out.reserve(stored.size());
        for (const auto& r : stored) out.push_back(to_job(r));
        if (!out.empty()) pool_.wake();
        return out;
    }

    Result<Job> get(std::int64_t id) override { return job_result(deps_.backend.jobs().get(id)); }

    Result<JobPage> list(const JobFilter& filter) override {
        storage::JobFilter f;
        if (filter.state) f.state = to_storage(*filter.state);
        f.kind = filter.kind;
        f.after = filter.after;
        f.limit = filter.limit;
        GK_ASSIGN_OR_RETURN(auto page, deps_.backend.jobs().list(f));
        JobPage out;
        for (const auto& r : page.items) out.items.push_back(to_job(r));
        out.next = page.next_after;
        return out;
    }

    Result<std::map<std::string, std::int64_t>> counts() override { return deps_.backend.jobs().count_by_state(); }

    Result<Job> cancel(std::int64_t id) override {
        GK_ASSIGN_OR_RETURN(auto cancelled, deps_.backend.jobs().cancel(id, deps_.clock->now()));
        if (cancelled.previous == storage::JobState::running) {
            if (auto job = running_.find(id)) job->signal(StopReason::cancelled);
        }
        deps_.log.info("jobs", "job.cancelled",
                       {{"id", std::to_string(id)}, {"was", std::string(storage::job_state_text(cancelled.previous))}});
        return to_job(cancelled.job);
    }

    Result<Job> pause(std::int64_t id) override { return job_result(deps_.backend.jobs().pause(id, deps_.clock->now())); }
    Result<Job> resume(std::int64_t id) override {
        auto job = job_result(deps_.backend.jobs().resume(id, deps_.clock->now()));
        if (job) pool_.wake();
        return job;
    }
    Result<Job> retry(std::int64_t id) override {
        auto job = job_result(deps_.backend.jobs().retry_now(id, deps_.clock->now()));
        if (job) pool_.wake();
        return job;
    }
    Status remove(std::int64_t id) override { return deps_.backend.jobs().remove(id); }

    Result<Job> provide_input(std::int64_t id, std::string_view input_json) override {
        GK_TRY(require_json_value(input_json, "input"));
        auto job = job_result(deps_.backend.jobs().provide_input(id, input_json, deps_.clock->now()));
        if (job) pool_.wake();
        return job;
    }

    Result<Schedule> create_schedule(const ScheduleSpec& spec) override {
        const Timestamp now = deps_.clock->now();
        GK_ASSIGN_OR_RETURN(auto record, schedule_record_from(spec, deps_.ids.next(), now));
        return schedule_result(deps_.backend.schedules().create(record));
    }

    Result<Schedule> get_schedule(std::int64_t id) override {
        return schedule_result(deps_.backend.schedules().get(id));
    }

    Result<SchedulePage> list_schedules(std::optional<std::int64_t> after, std::size_t limit) override {
        storage::ScheduleFilter f;
        f.after = after;
        f.limit = limit;
        GK_ASSIGN_OR_RETURN(auto page, deps_.backend.schedules().list(f));
        SchedulePage out;
        for (const auto& r : page.items) out.items.push_back(to_schedule(r));
        out.next = page.next_after;
        return out;
    }

    Result<Schedule> update_schedule(std::int64_t id, const ScheduleSpec& spec) override {
        const Timestamp now = deps_.clock->now();
        GK_ASSIGN_OR_RETURN(auto existing, deps_.backend.schedules().get(id));
        GK_ASSIGN_OR_RETURN(auto record, schedule_record_from(spec, id, now));
        record.created_at = existing.created_at;
        record.last_fired_at = existing.last_fired_at;
        record.last_job_id = existing.last_job_id;
        return schedule_result(deps_.backend.schedules().update(record, now));
    }

    Result<Schedule> set_schedule_enabled(std::int64_t id, bool enabled) override {
        const Timestamp now = deps_.clock->now();
        GK_ASSIGN_OR_RETURN(auto record, deps_.backend.schedules().get(id));
        if (enabled && !record.enabled) {
            // Re-enabled: the next fire time counts from now, so the time it
            // was off does not come back as a missed run.
            GK_ASSIGN_OR_RETURN(auto next, next_fire_time(record.cron, record.interval, now, now));
            if (!next) return fail(bad("cron", "the schedule's cron expression never fires again"));
            record.next_fire_at = *next;
        }
        record.enabled = enabled;
        return schedule_result(deps_.backend.schedules().update(record, now));
    }

    Status remove_schedule(std::int64_t id) override { return deps_.backend.schedules().remove(id); }

    Result<Job> run_schedule_now(std::int64_t id) override {
        GK_ASSIGN_OR_RETURN(auto s, deps_.backend.schedules().get(id));
        const Timestamp now = deps_.clock->now();
        auto job = job_result(
            deps_.backend.jobs().enqueue(job_for(s, deps_.ids.next(), kinds_.default_max_attempts(s.kind), now)));
        if (job) pool_.wake();
        return job;
    }

private:
    /// Checks a spec and fills in the defaults; errors name the field.
    Result<storage::NewJobRecord> new_job_record(const JobSpec& spec, Timestamp now) {
        if (spec.kind.empty()) return fail(bad("kind", "job kind must not be empty"));
        if (spec.kind.size() > kMaxKind) return fail(bad("kind", "job kind must be at most 100 bytes"));
        GK_TRY(require_json_object(spec.payload, "payload"));
        if (spec.max_attempts && (*spec.max_attempts < 1 || *spec.max_attempts > 1000))
            return fail(bad("max_attempts", "max_attempts must be 1 to 1000"));
        if (spec.idempotency_key &&
            (spec.idempotency_key->empty() || spec.idempotency_key->size() > kMaxIdempotencyKey))
            return fail(bad("idempotency_key", "idempotency_key must be 1 to 200 bytes"));
        storage::NewJobRecord r;
        r.id = deps_.ids.next();
        r.kind = spec.kind;
        r.payload = spec.payload;
        r.priority = spec.priority;
        r.run_at = spec.run_at.value_or(now);
        r.max_attempts = spec.max_attempts.value_or(kinds_.default_max_attempts(spec.kind));
        r.idempotency_key = spec.idempotency_key;
        r.created_at = now;
        return r;
    }

    FirerDeps firer() {
        return FirerDeps{deps_.backend.schedules(), *deps_.clock, deps_.ids, deps_.log,
                         [this](std::string_view kind) { return kinds_.default_max_attempts(kind); }};
    }

    Duration longest_lease(const std::vector<std::string>& kinds) const {
        Duration lease = KindOptions{}.lease;
        for (const auto& k : kinds) {
            if (auto e = kinds_.find(k)) lease = std::max(lease, e->options.lease);
        }
        return lease;
    }

    JobServiceDeps deps_;
    std::string owner_;
    KindTable kinds_;
    RunningSet running_;
    WorkerPool pool_;
};

}  // namespace

std::unique_ptr<JobService> make_job_service(JobServiceDeps deps) {
    return std::make_unique<JobServiceImpl>(std::move(deps));
}

}  // namespace gramkit::jobs
