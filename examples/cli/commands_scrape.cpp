// gramkit CLI — `gramkit scrape profile|posts|hashtag|media ...` (create a
// scraping task and follow its run in the foreground with a live progress
// display) and `gramkit scrape list|get|results|start|pause|resume|cancel|delete`.
//
// Following a run: the command starts this process's worker pool (without
// firing schedules), shows the task's progress from the `scrape.page` and
// `job.*` events of the engine's bus, and stops the pool when the run's job
// is finished: succeeded (exit 0), dead or cancelled (exit 1). A job that
// another process claimed is followed by polling its row. Ctrl-C pauses the
// task (the run stops after its current page, the cursor stays), stops the
// pool gracefully and exits 1; `gramkit scrape resume ID` goes on from there.
//
// Text output comes from the typed C++ API (gramkit/scrape.hpp); with --json
// a command prints the result of the matching scrape.tasks.* operation, and a
// followed run prints one JSON line per event of the task and its job, then
// the task.
#include <CLI/CLI.hpp>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <functional>
#include <iostream>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include "commands.hpp"
#include "context.hpp"
#include "gramkit/events.hpp"
#include "gramkit/jobs.hpp"
#include "gramkit/scrape.hpp"
#include "output.hpp"
#include "values.hpp"

namespace gramkit::cli {
namespace {

using scrape::Task;
using scrape::TaskKind;
using Clock = std::chrono::steady_clock;

// --- a reader for the flat JSON objects of events, results and summaries ------

// The top-level scalar members of a JSON object text (nested values are
// skipped): strings unescaped (\uXXXX kept as written), numbers and literals
// as written. The CLI only reads what the library itself wrote, so a
// malformed text simply yields fewer members.
class FlatJson {
public:
    explicit FlatJson(std::string_view text) : s_(text) { parse(); }

    std::optional<std::string> string(std::string_view key) const {
        auto it = members_.find(key);
        if (it == members_.end()) return std::nullopt;
        return it->second;
    }
    std::optional<std::int64_t> integer(std::string_view key) const {
        auto v = string(key);
        if (!v || v->empty()) return std::nullopt;
        try {
            std::size_t used = 0;
            const long long n = std::stoll(*v, &used);
            if (used == v->size()) return n;
        } catch (...) {
        }
        return std::nullopt;
    }

private:
    void ws() {
        while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\n' || s_[i_] == '\t' || s_[i_] == '\r')) ++i_;
    }
    bool read_string(std::string& out) {
        if (i_ >= s_.size() || s_[i_] != '"') return false;
        for (++i_; i_ < s_.size(); ++i_) {
            const char c = s_[i_];
            if (c == '"') {
                ++i_;
                return true;
            }
            if (c != '\\') {
                out += c;
                continue;
            }
            if (++i_ >= s_.size()) return false;
            switch (s_[i_]) {
                case 'n': out += '\n'; break;
                case 't': out += '\t'; break;
                case 'r': out += '\r'; break;
                case 'b': out += '\b'; break;
                case 'f': out += '\f'; break;
                case 'u': out += "\\u"; break;
                default: out += s_[i_];
            }
        }
        return false;
    }
    void skip_nested() {
        int depth = 0;
        while (i_ < s_.size()) {
            const char c = s_[i_];
            if (c == '"') {
                std::string ignored;
                if (!read_string(ignored)) return;
                continue;
            }
            if (c == '{' || c == '[') ++depth;
            if (c == '}' || c == ']') --depth;
            ++i_;
            if (depth == 0) return;
        }
    }
    void parse() {
        ws();
        if (i_ >= s_.size() || s_[i_] != '{') return;
        ++i_;
        for (;;) {
            ws();
            std::string key;
            if (!read_string(key)) return;
            ws();
            if (i_ >= s_.size() || s_[i_] != ':') return;
            ++i_;
            ws();
            if (i_ >= s_.size()) return;
            if (s_[i_] == '"') {
                std::string value;
                if (!read_string(value)) return;
                members_.emplace(std::move(key), std::move(value));
            } else if (s_[i_] == '{' || s_[i_] == '[') {
                skip_nested();
            } else {
                const std::size_t start = i_;
                while (i_ < s_.size() && s_[i_] != ',' && s_[i_] != '}' && s_[i_] != ' ') ++i_;
                members_.emplace(std::move(key), std::string(s_.substr(start, i_ - start)));
            }
            ws();
            if (i_ >= s_.size() || s_[i_] != ',') return;
            ++i_;
        }
    }

    std::string_view s_;
    std::size_t i_ = 0;
    std::map<std::string, std::string, std::less<>> members_;
};

// --- shared ----------------------------------------------------------------------

bool print_op_json(Context& ctx, std::string_view op, const Json& params) {
    if (!ctx.json()) return false;
    std::cout << unwrap(ctx.engine().call(op, params.dump())) << '\n';
    return true;
}

Json id_params(std::int64_t id) { return Json::object().set("id", id); }

std::string or_dash(const std::optional<std::string>& s) { return s ? sanitize(*s) : std::string("-"); }
std::string or_dash(const std::optional<std::int64_t>& n) { return n ? std::to_string(*n) : std::string("-"); }

std::string describe(const Task& t) {
    return std::string(scrape::to_string(t.kind)) + ' ' + (t.kind == TaskKind::hashtag ? "#" : "") + sanitize(t.target);
}

// "gramkit: <code>: <message>" for a stored "<code>: <message>" text.
CommandError stored_error(std::string_view text, ErrorCode fallback) {
    const auto colon = text.find(": ");
    if (colon != std::string_view::npos) {
        for (int c = 1; c <= static_cast<int>(ErrorCode::data_loss); ++c) {
            const auto code = static_cast<ErrorCode>(c);
            if (gramkit::to_string(code) == text.substr(0, colon))
                return CommandError(code, std::string(text.substr(colon + 2)));
        }
    }
    return CommandError(fallback, std::string(text));
}

void print_task(const Task& t) {
    std::string schedule = t.schedule_id ? "schedule " + std::to_string(*t.schedule_id) : "-";
    print_fields(std::cout, {
                                {"id", std::to_string(t.id)},
                                {"kind", std::string(scrape::to_string(t.kind))},
                                {"target", sanitize(t.target)},
                                {"state", std::string(scrape::to_string(t.state))},
                                {"pages", std::to_string(t.pages)},
                                {"items", std::to_string(t.items)},
                                {"max items", or_dash(t.options.max_items)},
                                {"since", format_time(t.options.since)},
                                {"page delay", std::to_string(t.options.page_delay.count()) + " ms"},
                                {"raw kept", std::to_string(t.options.raw_retention_days) + " days"},
                                {"schedule", schedule},
                                {"cursor", t.cursor ? "yes (a run is in progress)" : "-"},
                                {"run started", format_time(t.run_started_at)},
                                {"current job", or_dash(t.current_job_id)},
                                {"last account", or_dash(t.account_id)},
                                {"last run", or_dash(t.last_run)},
                                {"last error", or_dash(t.last_error)},
                                {"created", format_time(t.created_at)},
                                {"updated", format_time(t.updated_at)},
                            });
}

// --- following a run ------------------------------------------------------------------

volatile std::sig_atomic_t g_interrupted = 0;

void on_interrupt(int sig) {
    g_interrupted = sig;
    std::signal(sig, SIG_DFL);  // a second Ctrl-C ends the process at once
}

struct FollowOptions {
    bool detach = false;
    std::string grace = "10s";
};

void add_follow_options(CLI::App& cmd, FollowOptions& o) {
    cmd.add_flag("--detach", o.detach, "Only queue the run (for 'gramkit workers run' or another process)");
    cmd.add_option("--grace", o.grace, "On Ctrl-C: how long the current page may take to finish")
        ->capture_default_str();
}

class RunFollower {
public:
    RunFollower(Context& ctx, Task task, std::int64_t job_id)
        : ctx_(ctx),
          engine_(ctx.engine()),
          task_(std::move(task)),
          job_id_(job_id),
          tty_(!ctx.json() && ::isatty(STDOUT_FILENO) == 1),
          started_(Clock::now()) {}

    void run(const FollowOptions& o) {
        jobs::WorkerOptions options;
        options.run_schedules = false;  // this command runs its task, not the periodic ones
        try {
            options.shutdown_grace = std::chrono::duration_cast<std::chrono::milliseconds>(parse_duration(o.grace));
        } catch (const UsageError&) {
            throw UsageError("--grace: expected a duration such as 10s, 2m or 1m30s, got '" + sanitize(o.grace) + "'");
        }
        auto& pool = engine_.jobs();
        unwrap(pool.start(options));
        g_interrupted = 0;
        std::signal(SIGINT, on_interrupt);
        std::signal(SIGTERM, on_interrupt);
        if (!ctx_.json())
            std::cerr << "gramkit: following scrape task " << task_.id << " (" << describe(task_) << "), run job "
                      << job_id_ << "; Ctrl-C pauses it\n";
        EventBus& bus = engine_.events();
        auto last_poll = Clock::now();
        while (!finished_ && g_interrupted == 0) {
            if (auto event = bus.next(std::chrono::milliseconds(200))) on_event(*event);
            if (Clock::now() - last_poll >= std::chrono::seconds(1)) {
                poll_job();
                last_poll = Clock::now();
            }
            if (tty_ && !finished_) draw();
        }
        const bool interrupted = !finished_;
        std::optional<Task> paused;
        if (interrupted) {
            state_ = "pausing";
            if (tty_) draw();
            auto p = engine_.scrape().pause(task_.id);
            if (p) paused = std::move(*p);
        }
        pool.stop();
        while (auto event = bus.next(std::chrono::milliseconds(0))) on_event(*event);
        if (interrupted) state_ = paused ? "paused" : "stopped";
        std::signal(SIGINT, SIG_DFL);
        std::signal(SIGTERM, SIG_DFL);
        if (tty_) {
            draw();
            std::cout << std::endl;
        }
        if (interrupted) {
            const Task t = paused ? *paused : unwrap(engine_.scrape().get(task_.id));
            throw CommandError(ErrorCode::cancelled,
                               "interrupted: scrape task " + std::to_string(t.id) + " is " +
                                   std::string(scrape::to_string(t.state)) + " after " + std::to_string(t.pages) +
                                   " pages, " + std::to_string(t.items) + " items; go on with: gramkit scrape resume " +
                                   std::to_string(t.id));
        }
        conclude();
    }

private:
    void on_event(const Event& event) {
        const bool page = event.type == "scrape.page";
        const bool job = event.type == "job.started" || event.type == "job.finished";
        if (!page && !job) return;
        const FlatJson data(event.data_json);
        if (page && data.integer("task_id") != task_.id) return;
        if (job && data.integer("id") != job_id_) return;
        if (ctx_.json()) {
            // Event::to_json is not exported from libgramkit.so; data_json is
            // the library's own JSON object, embedded as is.
            std::cout << "{\"seq\":" << event.seq << ",\"type\":" << Json(event.type).dump()
                      << ",\"at\":" << Json(event.at).dump() << ",\"data\":" << event.data_json << '}' << std::endl;
        }
        if (page) {
            pages_ = data.integer("page").value_or(pages_ + 1);
            run_new_ += data.integer("items_new").value_or(0);
            if (auto account = data.integer("account_id")) set_account(*account);
            if (auto t = engine_.scrape().get(task_.id)) items_ = t->items;
            state_ = "running";
            if (!tty_ && !ctx_.json()) {
                std::cout << format_time(event.at) << " page " << pages_ << ": +"
                          << data.integer("items_new").value_or(0) << " new items (" << items_ << " in all), account "
                          << account_text() << '\n'
                          << std::flush;
            }
            return;
        }
        if (event.type == "job.started") {
            state_ = "running";
            return;
        }
        if (event.type != "job.finished") return;
        const std::string state = data.string("state").value_or("?");
        const std::string error = data.string("error").value_or("");
        if (!tty_ && !ctx_.json()) {
            std::cout << format_time(event.at) << " run job " << job_id_ << ' ' << sanitize(state)
                      << (error.empty() ? "" : ": " + sanitize(error)) << '\n'
                      << std::flush;
        }
        on_job_state(state, error);
    }

    // The job's row: catches a run claimed by another process and outcomes
    // whose event this process did not see.
    void poll_job() {
        auto job = engine_.jobs().get(job_id_);
        if (!job) {
            if (job.error().code == ErrorCode::not_found) {
                finished_ = true;
                outcome_ = "deleted";
            }
            return;
        }
        const std::string state(jobs::to_string(job->state));
        if (job->state == jobs::JobState::running && state_ == "queued") state_ = "running";
        if (job->state == jobs::JobState::succeeded || job->state == jobs::JobState::dead ||
            job->state == jobs::JobState::cancelled)
            on_job_state(state, job->last_error.value_or(""));
        if (job->state == jobs::JobState::running && job->progress) {
            const FlatJson progress(*job->progress);
            if (auto p = progress.integer("pages"); p && *p > pages_) pages_ = *p;
            if (auto a = progress.integer("account_id")) set_account(*a);
        }
        if (job->state == jobs::JobState::running || job->state == jobs::JobState::queued) {
            if (auto t = engine_.scrape().get(task_.id)) items_ = t->items;
        }
    }

    void on_job_state(const std::string& state, const std::string& error) {
        if (state == "succeeded") {
            // A run that found another live run of its task follows that one.
            auto job = engine_.jobs().get(job_id_);
            if (job && job->result) {
                const FlatJson result(*job->result);
                if (result.string("skipped") == "running") {
                    if (auto other = result.integer("job_id"); other && *other != job_id_) {
                        job_id_ = *other;
                        state_ = "running";
                        return;
                    }
                }
            }
        }
        if (state == "succeeded" || state == "dead" || state == "cancelled") {
            finished_ = true;
            outcome_ = state;
            error_ = error;
            state_ = state;
            return;
        }
        // queued (no eligible account: retried later), failed_retrying,
        // lease_lost, shutdown: the run goes on later.
        if (state == "queued") state_ = "waiting for an account";  // the reason is always that
        else if (state == "failed_retrying") state_ = "retrying after: " + error;
        else state_ = state;
        if (auto job = engine_.jobs().get(job_id_); job && job->state == jobs::JobState::queued)
            state_ += ", next try at " + format_time(job->run_at).substr(11, 8) + " UTC";
    }

    void set_account(std::int64_t id) {
        if (account_id_ == id) return;
        account_id_ = id;
        account_name_.clear();
        if (auto a = engine_.accounts().get(id)) account_name_ = a->username;
    }

    std::string account_text() const {
        if (!account_id_) return "-";
        return std::to_string(*account_id_) + (account_name_.empty() ? "" : " (" + sanitize(account_name_) + ")");
    }

    void draw() {
        const auto now = Clock::now();
        const auto secs = std::chrono::duration_cast<std::chrono::seconds>(now - started_).count();
        std::string line = "task " + std::to_string(task_.id) + ' ' + describe(task_) + " | " +
                           std::to_string(secs / 60) + ':' + (secs % 60 < 10 ? "0" : "") + std::to_string(secs % 60) +
                           " | page " + std::to_string(pages_) + " | items " + std::to_string(items_) + " (+" +
                           std::to_string(run_new_) + " this run) | account " + account_text() + " | " +
                           sanitize(state_);
        // One terminal line: cut rather than wrap (the line is redrawn in place).
        if (line.size() > 160) line = line.substr(0, 157) + "...";
        if (line == drawn_) return;
        drawn_ = line;
        std::cout << "\r\x1b[K" << line << std::flush;
    }

    void conclude() {
        const Task t = unwrap(engine_.scrape().get(task_.id));
        if (ctx_.json()) {
            std::cout << unwrap(engine_.call("scrape.tasks.get", id_params(t.id).dump())) << '\n';
        } else {
            std::string because;
            if (t.last_run) because = FlatJson(*t.last_run).string("stopped_because").value_or("");
            std::cout << "scrape task " << t.id << " (" << describe(t) << ") is " << scrape::to_string(t.state)
                      << ": " << t.pages << " pages, " << t.items << " items in all";
            if (!because.empty()) std::cout << "; the run stopped: " << sanitize(because);
            std::cout << '\n';
            if (t.items > 0) std::cout << "results: gramkit scrape results " << t.id << '\n';
        }
        if (outcome_ == "dead" || t.state == scrape::TaskState::failed)
            throw stored_error(t.last_error.value_or(error_.empty() ? "the run failed" : error_),
                               ErrorCode::upstream_error);
        if (outcome_ == "cancelled" || t.state == scrape::TaskState::cancelled)
            throw CommandError(ErrorCode::cancelled, "the run (job " + std::to_string(job_id_) + ") was cancelled");
        if (outcome_ == "deleted")
            throw CommandError(ErrorCode::not_found, "the run's job " + std::to_string(job_id_) + " was deleted");
    }

    Context& ctx_;
    Engine& engine_;
    Task task_;
    std::int64_t job_id_;
    bool tty_;
    Clock::time_point started_;
    std::string drawn_;  // the line on the terminal now
    std::int64_t pages_ = 0;
    std::int64_t run_new_ = 0;
    std::int64_t items_ = 0;
    std::optional<std::int64_t> account_id_;
    std::string account_name_;
    std::string state_ = "queued";
    bool finished_ = false;
    std::string outcome_;
    std::string error_;
};

// Queues a run of the task (or finds its live one) and, unless detached,
// follows it.
void run_and_follow(Context& ctx, const Task& task, const FollowOptions& o) {
    const std::int64_t job_id = unwrap(ctx.engine().scrape().start(task.id));
    if (o.detach) {
        if (print_op_json(ctx, "scrape.tasks.get", id_params(task.id))) return;
        std::cout << "scrape task " << task.id << " (" << describe(task) << "): run queued as job " << job_id
                  << "\nrun it with: gramkit workers run; follow it with: gramkit scrape get " << task.id << '\n';
        return;
    }
    RunFollower(ctx, unwrap(ctx.engine().scrape().get(task.id)), job_id).run(o);
}

// --- creating tasks ---------------------------------------------------------------

// --max not given (0 and negatives go to the library, which names the field).
constexpr std::int64_t kUnset = std::numeric_limits<std::int64_t>::min();

struct CreateOptions {
    std::string target;
    std::int64_t max_items = kUnset;
    std::string since;
    std::int64_t page_delay_ms = 0;
    int raw_days = 7;
    std::string every;
    std::string cron;
    FollowOptions follow;
};

// RFC 3339, or a plain date (midnight UTC).
Timestamp since_option(const std::string& text) {
    const bool date_only = text.size() == 10 && text[4] == '-' && text[7] == '-';
    return parse_time_option("--since", date_only ? text + "T00:00:00Z" : text);
}

void run_create(Context& ctx, TaskKind kind, const CreateOptions& o) {
    scrape::NewTask spec;
    spec.kind = kind;
    spec.target = o.target;
    if (o.max_items != kUnset) spec.options.max_items = o.max_items;
    if (!o.since.empty()) spec.options.since = since_option(o.since);
    spec.options.page_delay = std::chrono::milliseconds(o.page_delay_ms);
    spec.options.raw_retention_days = o.raw_days;
    if (!o.every.empty() && !o.cron.empty()) throw UsageError("give at most one of --every and --cron");
    if (!o.every.empty() || !o.cron.empty()) {
        scrape::TaskSchedule schedule;
        if (!o.cron.empty()) schedule.cron = o.cron;
        if (!o.every.empty()) schedule.interval = parse_duration(o.every);
        spec.schedule = schedule;
    }
    spec.start = false;  // started below, which tells the run's job id
    const Task task = unwrap(ctx.engine().scrape().create(spec));
    if (!ctx.json() && !o.follow.detach)
        std::cerr << "gramkit: created scrape task " << task.id << " (" << describe(task) << ")\n";
    run_and_follow(ctx, task, o.follow);
}

void add_create_command(CLI::App& group, Context& ctx, TaskKind kind, const std::string& help,
                        const std::string& target_help, bool paged) {
    auto o = std::make_shared<CreateOptions>();
    auto* cmd = group.add_subcommand(std::string(scrape::to_string(kind)), help);
    cmd->add_option("TARGET", o->target, target_help)->required();
    if (paged) {
        cmd->add_option("--max", o->max_items, "Stop after the page on which this many posts were seen (1..1000000)");
        cmd->add_option("--since", o->since, "Only posts taken since DATE (YYYY-MM-DD or RFC 3339); stop there");
        cmd->add_option("--page-delay-ms", o->page_delay_ms, "Pause between two pages (0..120000)");
    }
    cmd->add_option("--keep-raw-days", o->raw_days, "Days the raw answers are kept (0..3650; 0 = none)")
        ->capture_default_str();
    cmd->add_option("--every", o->every, "Also run by itself at this interval (45s, 30m, 2h, 1d)");
    cmd->add_option("--cron", o->cron, "Also run by itself on this 5-field UTC cron expression");
    add_follow_options(*cmd, o->follow);
    cmd->callback([&ctx, kind, o] { run_create(ctx, kind, *o); });
}

// --- managing tasks ------------------------------------------------------------------

struct ListOptions {
    std::string state;
    std::string kind;
    std::size_t limit = 50;
    std::int64_t after = 0;
};

// A --state / --kind filter: parsed for the typed call, passed as given to
// the operation for --json.
template <class Parse>
auto enum_filter(const char* option, const std::string& text, Parse parse, Json& params)
    -> std::optional<std::remove_cvref_t<decltype(*parse(text))>> {
    if (text.empty()) return std::nullopt;
    auto value = parse(text);
    if (!value) throw UsageError(std::string(option) + ": " + value.error().message);
    params.set(std::string(option + 2), text);
    return *value;
}

void run_list(Context& ctx, const ListOptions& o) {
    scrape::TaskFilter filter;
    Json params = Json::object();
    filter.state = enum_filter("--state", o.state, scrape::task_state_from_string, params);
    filter.kind = enum_filter("--kind", o.kind, scrape::task_kind_from_string, params);
    if (o.after > 0) {
        filter.after = o.after;
        params.set("after", o.after);
    }
    filter.limit = o.limit;
    params.set("limit", o.limit);
    if (print_op_json(ctx, "scrape.tasks.list", params)) return;
    const auto page = unwrap(ctx.engine().scrape().list(filter));
    if (page.items.empty()) {
        std::cout << "no scrape tasks\n";
        return;
    }
    Table t({"ID", "KIND", "TARGET", "STATE", "PAGES", "ITEMS", "UPDATED", "LAST ERROR"});
    for (const auto& task : page.items) {
        t.add({std::to_string(task.id), std::string(scrape::to_string(task.kind)), task.target,
               std::string(scrape::to_string(task.state)), std::to_string(task.pages), std::to_string(task.items),
               format_time(task.updated_at), task.last_error.value_or("-")});
    }
    t.print(std::cout);
    if (page.next_after) std::cout << "more: gramkit scrape list --after " << *page.next_after << '\n';
}

void run_get(Context& ctx, std::int64_t id) {
    if (print_op_json(ctx, "scrape.tasks.get", id_params(id))) return;
    print_task(unwrap(ctx.engine().scrape().get(id)));
}

struct ResultsOptions {
    std::int64_t id = 0;
    std::size_t limit = 100;
    std::int64_t after = 0;
};

std::string one_line(std::string_view text, std::size_t max) {
    std::string out;
    for (char c : text) out += (c == '\n' || c == '\r' || c == '\t') ? ' ' : c;
    if (out.size() > max) {
        out.resize(max);
        // Do not cut a UTF-8 sequence in two.
        while (!out.empty() && (static_cast<unsigned char>(out.back()) & 0xC0) == 0x80) out.pop_back();
        if (!out.empty() && (static_cast<unsigned char>(out.back()) & 0x80) != 0) out.pop_back();
        out += "...";
    }
    return out;
}

void run_results(Context& ctx, const ResultsOptions& o) {
    Json params = id_params(o.id).set("limit", o.limit);
    std::optional<std::int64_t> after;
    if (o.after > 0) {
        after = o.after;
        params.set("after", o.after);
    }
    if (print_op_json(ctx, "scrape.tasks.results", params)) return;
    const auto page = unwrap(ctx.engine().scrape().results(o.id, after, o.limit));
    if (page.items.empty()) {
        std::cout << "no results\n";
        return;
    }
    Table t({"SEQ", "TYPE", "ID", "WHAT", "FIRST SEEN"});
    for (const auto& item : page.items) {
        std::string what = "-";
        if (item.post) {
            const auto& p = item.post->post;
            what = p.shortcode + ' ' + format_time(p.taken_at).substr(0, 10) + ' ' + std::to_string(p.like_count) +
                   " likes " + std::to_string(p.comment_count) + " comments " + one_line(p.caption, 40);
        } else if (item.profile) {
            const auto& p = item.profile->profile;
            what = '@' + p.username + ' ' + std::to_string(p.followers) + " followers " +
                   std::to_string(p.following) + " following " + std::to_string(p.post_count) + " posts";
        }
        t.add({std::to_string(item.seq), item.item_type, item.item_id, what, format_time(item.first_seen_at)});
    }
    t.print(std::cout);
    if (page.next_after)
        std::cout << "more: gramkit scrape results " << o.id << " --after " << *page.next_after << '\n';
}

void run_start(Context& ctx, std::int64_t id, const FollowOptions& o) {
    run_and_follow(ctx, unwrap(ctx.engine().scrape().get(id)), o);
}

// A paused task is resumed; an active one (for example after Ctrl-C from a
// run that was not paused) gets its live run or a new one; anything else is
// the library's answer to resume.
void run_resume(Context& ctx, std::int64_t id, const FollowOptions& o) {
    auto& service = ctx.engine().scrape();
    Task task = unwrap(service.get(id));
    if (task.state != scrape::TaskState::active) task = unwrap(service.resume(id));
    run_and_follow(ctx, task, o);
}

using TaskAction = Result<Task> (scrape::ScrapeService::*)(std::int64_t);

void run_action(Context& ctx, std::string_view op, TaskAction action, std::int64_t id) {
    if (print_op_json(ctx, op, id_params(id))) return;
    const Task t = unwrap((ctx.engine().scrape().*action)(id));
    std::cout << "scrape task " << t.id << " (" << describe(t) << ") is " << scrape::to_string(t.state) << '\n';
}

void run_delete(Context& ctx, std::int64_t id) {
    if (print_op_json(ctx, "scrape.tasks.delete", id_params(id))) return;
    unwrap(ctx.engine().scrape().remove(id));
    std::cout << "deleted scrape task " << id << '\n';
}

CLI::App* add_id_command(CLI::App& parent, const std::string& name, const std::string& help,
                         std::shared_ptr<std::int64_t> id) {
    auto* cmd = parent.add_subcommand(name, help);
    cmd->add_option("ID", *id, "Scrape task id")->required();
    return cmd;
}

}  // namespace

void register_scrape_commands(CLI::App& app, Context& ctx) {
    auto* group = app.add_subcommand(
        "scrape", "Scraping tasks: collect profiles, posts and hashtags with the stored accounts, and read the results");
    group->require_subcommand(1);
    add_create_command(*group, ctx, TaskKind::profile, "Scrape a profile (its counts and first page of posts)",
                       "Username", false);
    add_create_command(*group, ctx, TaskKind::posts, "Scrape a user's posts, newest first", "Username", true);
    add_create_command(*group, ctx, TaskKind::hashtag, "Scrape a hashtag's posts, newest first", "Tag (with or without #)",
                       true);
    add_create_command(*group, ctx, TaskKind::media, "Scrape one post", "Numeric media id or shortcode", false);
    {
        auto o = std::make_shared<ListOptions>();
        auto* cmd = group->add_subcommand("list", "List scrape tasks by id");
        cmd->add_option("--state", o->state, "Only tasks in this state: active, paused, cancelled, completed, failed");
        cmd->add_option("--kind", o->kind, "Only tasks of this kind: profile, posts, hashtag, media");
        cmd->add_option("--limit", o->limit, "Page size (1..1000)")->capture_default_str();
        cmd->add_option("--after", o->after, "Start after this task id");
        cmd->callback([&ctx, o] { run_list(ctx, *o); });
    }
    {
        auto id = std::make_shared<std::int64_t>(0);
        add_id_command(*group, "get", "A task with its progress and last run", id)->callback([&ctx, id] {
            run_get(ctx, *id);
        });
    }
    {
        auto o = std::make_shared<ResultsOptions>();
        auto* cmd = group->add_subcommand("results", "What a task found (posts, profiles), in the order found");
        cmd->add_option("ID", o->id, "Scrape task id")->required();
        cmd->add_option("--limit", o->limit, "Page size (1..1000)")->capture_default_str();
        cmd->add_option("--after", o->after, "Start after this sequence number");
        cmd->callback([&ctx, o] { run_results(ctx, *o); });
    }
    {
        auto id = std::make_shared<std::int64_t>(0);
        auto follow = std::make_shared<FollowOptions>();
        auto* cmd = add_id_command(*group, "start",
                                   "Run a task now (a completed or failed one becomes active again) and follow the run",
                                   id);
        add_follow_options(*cmd, *follow);
        cmd->callback([&ctx, id, follow] { run_start(ctx, *id, *follow); });
    }
    {
        auto id = std::make_shared<std::int64_t>(0);
        auto follow = std::make_shared<FollowOptions>();
        auto* cmd = add_id_command(*group, "resume", "Resume a paused task from its cursor and follow the run", id);
        add_follow_options(*cmd, *follow);
        cmd->callback([&ctx, id, follow] { run_resume(ctx, *id, *follow); });
    }
    const struct {
        const char* name;
        const char* op;
        TaskAction action;
        const char* help;
    } actions[] = {
        {"pause", "scrape.tasks.pause", &scrape::ScrapeService::pause,
         "Pause a task (a running run stops after its page; the cursor stays)"},
        {"cancel", "scrape.tasks.cancel", &scrape::ScrapeService::cancel,
         "Cancel a task for good (its run is cancelled, its cursor dropped)"},
    };
    for (const auto& a : actions) {
        auto id = std::make_shared<std::int64_t>(0);
        add_id_command(*group, a.name, a.help, id)
            ->callback([&ctx, id, op = std::string(a.op), action = a.action] { run_action(ctx, op, action, *id); });
    }
    {
        auto id = std::make_shared<std::int64_t>(0);
        add_id_command(*group, "delete", "Delete a task, its item list and raw answers (stored posts stay)", id)
            ->callback([&ctx, id] { run_delete(ctx, *id); });
    }
}

}  // namespace gramkit::cli
