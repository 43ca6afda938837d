// gramkit CLI — `gramkit jobs list|get|cancel|pause|resume|retry|delete|input|counts`,
// `gramkit schedules list|get|create|delete|enable|disable|run-now` and
// `gramkit workers run`.
//
// Text output comes from the typed C++ API (gramkit/jobs.hpp). With --json a
// command prints the result of the matching operation (jobs.get,
// schedules.list, ...) exactly as the C ABI, Python and REST return it, so
// payloads, progress and results appear as JSON rather than as text.
#include <CLI/CLI.hpp>

#include <chrono>
#include <csignal>
#include <functional>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "commands.hpp"
#include "context.hpp"
#include "gramkit/events.hpp"
#include "gramkit/jobs.hpp"
#include "output.hpp"
#include "prompt.hpp"
#include "values.hpp"

namespace gramkit::cli {
namespace {

using jobs::Job;
using jobs::Schedule;

// --- shared --------------------------------------------------------------------

// With --json: runs `op` and prints its result; returns true. Without: false
// (the caller prints text from the typed API).
bool print_op_json(Context& ctx, std::string_view op, const Json& params) {
    if (!ctx.json()) return false;
    std::cout << unwrap(ctx.engine().call(op, params.dump())) << '\n';
    return true;
}

Json id_params(std::int64_t id) { return Json::object().set("id", id); }

std::string or_dash(const std::optional<std::string>& s) { return s ? sanitize(*s) : std::string("-"); }

// "--every" takes the CLI's usual durations (45s, 30m, 2h, 1h30m).
Duration duration_option(std::string_view option, std::string_view text) {
    try {
        return parse_duration(text);
    } catch (const UsageError& e) {
        // parse_duration names its original option (--for) in the message.
        std::string message = e.what();
        const auto colon = message.find(": ");
        throw UsageError(std::string(option) + message.substr(colon == std::string::npos ? 0 : colon));
    }
}

void print_job(const Job& j) {
    print_fields(std::cout, {
                                {"id", std::to_string(j.id)},
                                {"kind", sanitize(j.kind)},
                                {"state", std::string(jobs::to_string(j.state))},
                                {"attempts", std::to_string(j.attempts) + " of " + std::to_string(j.max_attempts)},
                                {"priority", std::to_string(j.priority)},
                                {"run at", format_time(j.run_at)},
                                {"payload", sanitize(j.payload)},
                                {"progress", or_dash(j.progress)},
                                {"result", or_dash(j.result)},
                                {"last error", or_dash(j.last_error)},
                                {"lease owner", or_dash(j.lease_owner)},
                                {"lease expires", format_time(j.lease_expires_at)},
                                {"input expires", format_time(j.input_expires_at)},
                                {"idempotency key", or_dash(j.idempotency_key)},
                                {"created", format_time(j.created_at)},
                                {"updated", format_time(j.updated_at)},
                                {"finished", format_time(j.finished_at)},
                            });
}

std::string schedule_when(const Schedule& s) {
    if (s.cron) return "cron " + sanitize(*s.cron);
    if (s.interval)
        return "every " + std::to_string(std::chrono::duration_cast<std::chrono::seconds>(*s.interval).count()) + "s";
    return "-";
}

void print_schedule(const Schedule& s) {
    print_fields(std::cout, {
                                {"id", std::to_string(s.id)},
                                {"name", sanitize(s.name)},
                                {"kind", sanitize(s.kind)},
                                {"when", schedule_when(s)},
                                {"enabled", s.enabled ? "yes" : "no"},
                                {"payload", sanitize(s.payload)},
                                {"priority", std::to_string(s.priority)},
                                {"max attempts", s.max_attempts ? std::to_string(s.max_attempts) : "kind's default"},
                                {"next fire", format_time(s.next_fire_at)},
                                {"last fired", format_time(s.last_fired_at)},
                                {"last job", s.last_job_id ? std::to_string(*s.last_job_id) : "-"},
                            });
}

// --- jobs ------------------------------------------------------------------------

struct JobListOptions {
    std::string state;
    std::string kind;
    std::size_t limit = 50;
    std::int64_t after = 0;
};

void run_job_list(Context& ctx, const JobListOptions& o) {
    jobs::JobFilter filter;
    Json params = Json::object();
    if (!o.state.empty()) {
        auto s = jobs::job_state_from_string(o.state);
        if (!s) throw UsageError("--state: " + s.error().message);
        filter.state = *s;
        params.set("state", o.state);
    }
    if (!o.kind.empty()) {
        filter.kind = o.kind;
        params.set("kind", o.kind);
    }
    if (o.after > 0) {
        filter.after = o.after;
        params.set("after", o.after);
    }
    filter.limit = o.limit;
    params.set("limit", o.limit);
    if (print_op_json(ctx, "jobs.list", params)) return;
    const auto page = unwrap(ctx.engine().jobs().list(filter));
    if (page.items.empty()) {
        std::cout << "no jobs\n";
        return;
    }
    Table t({"ID", "KIND", "STATE", "ATTEMPTS", "RUN AT", "LAST ERROR"});
    for (const auto& j : page.items) {
        t.add({std::to_string(j.id), j.kind, std::string(jobs::to_string(j.state)),
               std::to_string(j.attempts) + "/" + std::to_string(j.max_attempts), format_time(j.run_at),
               j.last_error.value_or("-")});
    }
    t.print(std::cout);
    if (page.next) std::cout << "more: gramkit jobs list --after " << *page.next << '\n';
}

void run_job_get(Context& ctx, std::int64_t id) {
    if (print_op_json(ctx, "jobs.get", id_params(id))) return;
    print_job(unwrap(ctx.engine().jobs().get(id)));
}

// cancel, pause, resume, retry: one id in, the job out.
using JobAction = Result<Job> (jobs::JobService::*)(std::int64_t);

void run_job_action(Context& ctx, std::string_view op, JobAction action, std::int64_t id) {
    if (print_op_json(ctx, op, id_params(id))) return;
    const Job j = unwrap((ctx.engine().jobs().*action)(id));
    std::cout << "job " << j.id << " (" << sanitize(j.kind) << ") is " << jobs::to_string(j.state) << '\n';
}

void run_job_delete(Context& ctx, std::int64_t id) {
    if (print_op_json(ctx, "jobs.delete", id_params(id))) return;
    unwrap(ctx.engine().jobs().remove(id));
    std::cout << "deleted job " << id << '\n';
}

struct InputOptions {
    std::int64_t id = 0;
    std::string json;
    bool from_stdin = false;
};

void run_job_input(Context& ctx, InputOptions& o) {
    if (o.from_stdin == !o.json.empty())
        throw UsageError("jobs input: give the input as a JSON argument or with --stdin (not both)");
    // A two-factor code is a (short-lived) secret: --stdin keeps it off argv.
    std::string input = o.from_stdin ? read_secret("input", "Input (JSON): ", false) : o.json;
    auto job = ctx.engine().jobs().provide_input(o.id, input);
    wipe(input);
    const Job j = unwrap(std::move(job));
    if (ctx.json()) {
        // The input is not echoed: print the job as jobs.get shows it.
        print_op_json(ctx, "jobs.get", id_params(j.id));
        return;
    }
    std::cout << "job " << j.id << " (" << sanitize(j.kind) << ") got its input and is " << jobs::to_string(j.state)
              << '\n';
}

void run_job_counts(Context& ctx) {
    if (print_op_json(ctx, "jobs.counts", Json::object())) return;
    Table t({"STATE", "JOBS"});
    for (const auto& [state, n] : unwrap(ctx.engine().jobs().counts())) t.add({state, std::to_string(n)});
    t.print(std::cout);
}

void add_id_command(CLI::App& parent, Context& ctx, const std::string& name, const std::string& help,
                    std::function<void(Context&, std::int64_t)> run) {
    auto id = std::make_shared<std::int64_t>(0);
    auto* cmd = parent.add_subcommand(name, help);
    cmd->add_option("ID", *id, "Id")->required();
    cmd->callback([&ctx, id, run = std::move(run)] { run(ctx, *id); });
}

void register_job_subcommands(CLI::App& app, Context& ctx) {
    auto* group = app.add_subcommand("jobs", "Inspect and control durable jobs");
    group->require_subcommand(1);
    {
        auto o = std::make_shared<JobListOptions>();
        auto* cmd = group->add_subcommand("list", "List jobs by id");
        cmd->add_option("--state", o->state,
                        "Only jobs in this state: queued, running, failed_retrying, succeeded, dead, cancelled, "
                        "paused, awaiting_input");
        cmd->add_option("--kind", o->kind, "Only jobs of this kind");
        cmd->add_option("--limit", o->limit, "Page size (1..1000)")->capture_default_str();
        cmd->add_option("--after", o->after, "Start after this job id");
        cmd->callback([&ctx, o] { run_job_list(ctx, *o); });
    }
    add_id_command(*group, ctx, "get", "Every field of a job", run_job_get);
    const struct {
        const char* name;
        const char* op;
        JobAction action;
        const char* help;
    } actions[] = {
        {"cancel", "jobs.cancel", &jobs::JobService::cancel, "Cancel a live job (a running handler is told to stop)"},
        {"pause", "jobs.pause", &jobs::JobService::pause, "Hold a queued or retrying job"},
        {"resume", "jobs.resume", &jobs::JobService::resume, "Queue a paused job again"},
        {"retry", "jobs.retry", &jobs::JobService::retry, "Run a dead, retrying or cancelled job again now"},
    };
    for (const auto& a : actions) {
        add_id_command(*group, ctx, a.name, a.help,
                       [op = std::string(a.op), action = a.action](Context& c, std::int64_t id) {
                           run_job_action(c, op, action, id);
                       });
    }
    add_id_command(*group, ctx, "delete", "Delete a job that is not running", run_job_delete);
    {
        auto o = std::make_shared<InputOptions>();
        auto* cmd = group->add_subcommand("input", "Give a job waiting for input (e.g. a two-factor code) its input");
        cmd->add_option("ID", o->id, "Job id")->required();
        cmd->add_option("JSON", o->json, "The input, a JSON object such as '{\"code\":\"123456\"}'");
        cmd->add_flag("--stdin", o->from_stdin, "Read the input from stdin (prompted without echo on a terminal)");
        cmd->callback([&ctx, o] { run_job_input(ctx, *o); });
    }
    group->add_subcommand("counts", "Number of jobs in each state")->callback([&ctx] { run_job_counts(ctx); });
}

// --- schedules ---------------------------------------------------------------------

struct ScheduleListOptions {
    std::size_t limit = 50;
    std::int64_t after = 0;
};

void run_schedule_list(Context& ctx, const ScheduleListOptions& o) {
    Json params = Json::object().set("limit", o.limit);
    if (o.after > 0) params.set("after", o.after);
    if (print_op_json(ctx, "schedules.list", params)) return;
    std::optional<std::int64_t> after;
    if (o.after > 0) after = o.after;
    const auto page = unwrap(ctx.engine().jobs().list_schedules(after, o.limit));
    if (page.items.empty()) {
        std::cout << "no schedules\n";
        return;
    }
    Table t({"ID", "NAME", "KIND", "WHEN", "ENABLED", "NEXT FIRE", "LAST JOB"});
    for (const auto& s : page.items) {
        t.add({std::to_string(s.id), s.name, s.kind, schedule_when(s), s.enabled ? "yes" : "no",
               format_time(s.next_fire_at), s.last_job_id ? std::to_string(*s.last_job_id) : "-"});
    }
    t.print(std::cout);
    if (page.next) std::cout << "more: gramkit schedules list --after " << *page.next << '\n';
}

struct CreateOptions {
    std::string name;
    std::string kind;
    std::string cron;
    std::string every;
    std::string payload;
    int priority = 0;
    int max_attempts = 0;
    bool disabled = false;
};

void run_schedule_create(Context& ctx, const CreateOptions& o) {
    if (o.cron.empty() == o.every.empty())
        throw UsageError("schedules create: give exactly one of --cron EXPR or --every DURATION");
    jobs::ScheduleSpec spec;
    spec.name = o.name;
    spec.kind = o.kind;
    if (!o.payload.empty()) spec.payload = o.payload;
    spec.priority = o.priority;
    spec.max_attempts = o.max_attempts;
    if (!o.cron.empty()) spec.cron = o.cron;
    if (!o.every.empty()) spec.interval = duration_option("--every", o.every);
    spec.enabled = !o.disabled;
    const Schedule s = unwrap(ctx.engine().jobs().create_schedule(spec));
    if (print_op_json(ctx, "schedules.get", id_params(s.id))) return;
    std::cout << "created schedule " << s.id << " (" << sanitize(s.name) << ", " << schedule_when(s)
              << "), next fire " << format_time(s.next_fire_at) << '\n';
}

void run_schedule_get(Context& ctx, std::int64_t id) {
    if (print_op_json(ctx, "schedules.get", id_params(id))) return;
    print_schedule(unwrap(ctx.engine().jobs().get_schedule(id)));
}

void run_schedule_enable(Context& ctx, std::int64_t id, bool enabled) {
    if (print_op_json(ctx, enabled ? "schedules.enable" : "schedules.disable", id_params(id))) return;
    const Schedule s = unwrap(ctx.engine().jobs().set_schedule_enabled(id, enabled));
    std::cout << "schedule " << s.id << " (" << sanitize(s.name) << ") is " << (s.enabled ? "enabled" : "disabled");
    if (s.enabled) std::cout << ", next fire " << format_time(s.next_fire_at);
    std::cout << '\n';
}

void run_schedule_delete(Context& ctx, std::int64_t id) {
    if (print_op_json(ctx, "schedules.delete", id_params(id))) return;
    unwrap(ctx.engine().jobs().remove_schedule(id));
    std::cout << "deleted schedule " << id << '\n';
}

void run_schedule_now(Context& ctx, std::int64_t id) {
    if (print_op_json(ctx, "schedules.run_now", id_params(id))) return;
    const Job j = unwrap(ctx.engine().jobs().run_schedule_now(id));
    std::cout << "queued job " << j.id << " (" << sanitize(j.kind) << ") from schedule " << id << '\n';
}

void register_schedule_subcommands(CLI::App& app, Context& ctx) {
    auto* group = app.add_subcommand("schedules", "Periodic schedules that queue jobs (cron or fixed interval)");
    group->require_subcommand(1);
    {
        auto o = std::make_shared<ScheduleListOptions>();
        auto* cmd = group->add_subcommand("list", "List schedules by id");
        cmd->add_option("--limit", o->limit, "Page size (1..1000)")->capture_default_str();
        cmd->add_option("--after", o->after, "Start after this schedule id");
        cmd->callback([&ctx, o] { run_schedule_list(ctx, *o); });
    }
    {
        auto o = std::make_shared<CreateOptions>();
        auto* cmd = group->add_subcommand("create", "Create a schedule that queues a job of KIND periodically");
        cmd->add_option("NAME", o->name, "Unique name")->required();
        cmd->add_option("KIND", o->kind, "Job kind to queue")->required();
        cmd->add_option("--cron", o->cron, "5-field UTC cron expression, e.g. '*/15 * * * *'");
        cmd->add_option("--every", o->every, "Fixed interval: 45s, 30m, 2h, 1d, 1h30m");
        cmd->add_option("--payload", o->payload, "Job payload, a JSON object (default {})");
        cmd->add_option("--priority", o->priority, "Job priority (higher runs first)")->capture_default_str();
        cmd->add_option("--max-attempts", o->max_attempts, "Job attempts, 1..1000 (default: the kind's)");
        cmd->add_flag("--disabled", o->disabled, "Create it disabled");
        cmd->callback([&ctx, o] { run_schedule_create(ctx, *o); });
    }
    add_id_command(*group, ctx, "get", "Every field of a schedule", run_schedule_get);
    add_id_command(*group, ctx, "enable", "Enable a schedule (next fire time from now)",
                   [](Context& c, std::int64_t id) { run_schedule_enable(c, id, true); });
    add_id_command(*group, ctx, "disable", "Disable a schedule",
                   [](Context& c, std::int64_t id) { run_schedule_enable(c, id, false); });
    add_id_command(*group, ctx, "delete", "Delete a schedule (jobs it queued stay)", run_schedule_delete);
    add_id_command(*group, ctx, "run-now", "Queue the schedule's job now (its next fire time stays)",
                   run_schedule_now);
}

// --- workers ------------------------------------------------------------------------

// Set by SIGINT/SIGTERM; the loop in run_workers polls it.
volatile std::sig_atomic_t g_stop_signal = 0;

void on_stop_signal(int sig) {
    g_stop_signal = sig;
    // A second Ctrl-C ends the process at once.
    std::signal(sig, SIG_DFL);
}

struct WorkersOptions {
    std::int64_t poll_interval_ms = 250;
    std::size_t claim_batch = 32;
    std::string grace = "10s";
    bool no_schedules = false;
    std::string leader_lock = "auto";
};

// One line per job.started / job.finished event (other events are skipped);
// --json prints every job.* event as the JSON the library publishes.
void print_job_event(const Context& ctx, const Event& event) {
    if (!event.type.starts_with("job.")) return;
    if (ctx.json()) {
        // Event::to_json is not exported from libgramkit.so; data_json is the
        // library's own JSON object, embedded as is.
        std::cout << "{\"seq\":" << event.seq << ",\"type\":" << Json(event.type).dump()
                  << ",\"at\":" << Json(event.at).dump() << ",\"data\":" << event.data_json << '}' << std::endl;
        return;
    }
    if (event.type != "job.started" && event.type != "job.finished") return;
    std::cout << format_time(event.at) << ' ' << event.type << ' ' << sanitize(event.data_json) << std::endl;
}

void run_workers(Context& ctx, const WorkersOptions& o) {
    jobs::WorkerOptions options;
    if (o.poll_interval_ms < 1) throw UsageError("--poll-interval-ms: must be at least 1");
    options.poll_interval = std::chrono::milliseconds(o.poll_interval_ms);
    options.claim_batch = o.claim_batch;
    options.shutdown_grace = std::chrono::duration_cast<std::chrono::milliseconds>(duration_option("--grace", o.grace));
    options.run_schedules = !o.no_schedules;
    options.leader_lock = o.leader_lock;

    Engine& engine = ctx.engine();
    auto& service = engine.jobs();
    EventBus& bus = engine.events();
    unwrap(service.start(options));
    g_stop_signal = 0;
    std::signal(SIGINT, on_stop_signal);
    std::signal(SIGTERM, on_stop_signal);
    const auto status = service.status();
    std::string kinds;
    for (const auto& k : service.kinds()) kinds += (kinds.empty() ? "" : ", ") + k;
    std::cerr << "gramkit: workers running as " << sanitize(status.owner) << " for kinds: "
              << (kinds.empty() ? "(none)" : sanitize(kinds)) << "; Ctrl-C or SIGTERM stops them\n";
    while (g_stop_signal == 0) {
        if (auto event = bus.next(std::chrono::milliseconds(200))) print_job_event(ctx, *event);
    }
    std::cerr << "gramkit: stopping: running jobs get " << sanitize(o.grace)
              << " to finish, then go back to the queue\n";
    service.stop();
    while (auto event = bus.next(std::chrono::milliseconds(0))) print_job_event(ctx, *event);
    std::signal(SIGINT, SIG_DFL);
    std::signal(SIGTERM, SIG_DFL);
    std::cerr << "gramkit: workers stopped\n";
}

void register_worker_subcommands(CLI::App& app, Context& ctx) {
    auto* group = app.add_subcommand("workers", "Run this process's job workers");
    group->require_subcommand(1);
    auto o = std::make_shared<WorkersOptions>();
    auto* cmd = group->add_subcommand(
        "run",
        "Run the worker pool in the foreground, printing jobs as they start and finish, until Ctrl-C or SIGTERM");
    cmd->add_option("--poll-interval-ms", o->poll_interval_ms, "Idle wait between queue checks (1..600000)")
        ->capture_default_str();
    cmd->add_option("--claim-batch", o->claim_batch, "Jobs claimed per database round trip (1..1000)")
        ->capture_default_str();
    cmd->add_option("--grace", o->grace, "On stop: how long running jobs may take to finish")->capture_default_str();
    cmd->add_flag("--no-schedules", o->no_schedules, "Do not fire periodic schedules from this process");
    cmd->add_option("--leader-lock", o->leader_lock, "Schedule leader lock: auto, table or a redis:// URL")
        ->capture_default_str();
    cmd->callback([&ctx, o] { run_workers(ctx, *o); });
}

}  // namespace

void register_jobs_commands(CLI::App& app, Context& ctx) {
    register_job_subcommands(app, ctx);
    register_schedule_subcommands(app, ctx);
    register_worker_subcommands(app, ctx);
}

}  // namespace gramkit::cli
