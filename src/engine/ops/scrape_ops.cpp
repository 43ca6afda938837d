// scrape.tasks.* operations → the ScrapeService (gramkit/scrape.hpp,
// docs/scrape.md). Runs happen on the job pool; these calls only change
// tasks and enqueue runs.
#include "engine/operation_registry.hpp"
#include "engine/ops/instagram_json.hpp"
#include "engine/ops/models.hpp"
#include "engine/ops/scrape_json.hpp"
#include "gramkit/engine.hpp"
#include "gramkit/scrape.hpp"
#include "scrape/options_json.hpp"

namespace gramkit::engine {
namespace {

using enum ParamType;

json::Value to_json(const scrape::Task& t) {
    json::Value o = json::Value::object();
    o.set("id", t.id);
    o.set("kind", scrape::to_string(t.kind));
    o.set("target", t.target);
    o.set("options", scrape::options_to_json(t.options));
    o.set("schedule_id", or_null(t.schedule_id));
    o.set("state", scrape::to_string(t.state));
    o.set("pages", t.pages);
    o.set("items", t.items);
    o.set("cursor", or_null(t.cursor));
    o.set("run_started_at", engine::to_json(t.run_started_at));
    o.set("current_job_id", or_null(t.current_job_id));
    o.set("account_id", or_null(t.account_id));
    json::Value last_run;
    if (t.last_run) {
        if (auto parsed = json::parse(*t.last_run)) last_run = std::move(*parsed);
    }
    o.set("last_run", std::move(last_run));
    o.set("last_error", or_null(t.last_error));
    o.set("created_at", engine::to_json(t.created_at));
    o.set("updated_at", engine::to_json(t.updated_at));
    return o;
}

json::Value to_json(const scrape::ResultItem& item) {
    json::Value o = json::Value::object();
    o.set("seq", item.seq);
    o.set("type", item.item_type);
    o.set("id", item.item_id);
    o.set("first_seen_at", engine::to_json(item.first_seen_at));
    json::Value post;
    if (item.post) {
        post = engine::to_json(item.post->post);
        post.set("first_seen_at", engine::to_json(item.post->first_seen_at));
        post.set("last_seen_at", engine::to_json(item.post->last_seen_at));
    }
    o.set("post", std::move(post));
    json::Value profile;
    if (item.profile) {
        profile = engine::to_json(item.profile->profile);
        profile.set("first_seen_at", engine::to_json(item.profile->first_seen_at));
        profile.set("last_seen_at", engine::to_json(item.profile->last_seen_at));
    }
    o.set("profile", std::move(profile));
    return o;
}

Result<json::Value> task_result(Result<scrape::Task> t) {
    if (!t) return fail(std::move(t).error());
    return to_json(*t);
}

Result<scrape::TaskSchedule> schedule_from(const json::Value& v) {
    json::ObjectReader r(v, "schedule");
    scrape::TaskSchedule s;
    GK_ASSIGN_OR_RETURN(s.cron, r.optional_string("cron"));
    GK_ASSIGN_OR_RETURN(auto interval, r.optional_int("interval_s", 1, 366LL * 24 * 3600));
    if (interval) s.interval = std::chrono::seconds(*interval);
    GK_TRY(r.reject_unknown_keys());
    return s;
}

Result<json::Value> create(Engine& e, const Params& p) {
    scrape::ScrapeService* svc = &e.scrape();
    scrape::NewTask spec;
    GK_ASSIGN_OR_RETURN(spec.kind, scrape::task_kind_from_string(p.string("kind")));
    spec.target = p.string("target");
    if (const json::Value* options = p.raw("options"); options != nullptr && !options->is_null()) {
        GK_ASSIGN_OR_RETURN(spec.options, scrape::options_from_json(*options, "options"));
    }
    if (const json::Value* schedule = p.raw("schedule"); schedule != nullptr && !schedule->is_null()) {
        GK_ASSIGN_OR_RETURN(spec.schedule, schedule_from(*schedule));
    }
    spec.start = p.opt_bool("start").value_or(true);
    return task_result(svc->create(spec));
}

Result<json::Value> list(Engine& e, const Params& p) {
    scrape::ScrapeService* svc = &e.scrape();
    scrape::TaskFilter f;
    if (auto state = p.opt_string("state")) {
        GK_ASSIGN_OR_RETURN(f.state, scrape::task_state_from_string(*state));
    }
    if (auto kind = p.opt_string("kind")) {
        GK_ASSIGN_OR_RETURN(f.kind, scrape::task_kind_from_string(*kind));
    }
    f.after = p.opt_integer("after");
    f.limit = limit_or(p.opt_integer("limit"), 50);
    GK_ASSIGN_OR_RETURN(auto page, svc->list(f));
    return page_json(page.items, page.next_after, [](const auto& item) { return to_json(item); });
}

Result<json::Value> results(Engine& e, const Params& p) {
    scrape::ScrapeService* svc = &e.scrape();
    GK_ASSIGN_OR_RETURN(auto page,
                        svc->results(p.integer("id"), p.opt_integer("after"), limit_or(p.opt_integer("limit"), 100)));
    return page_json(page.items, page.next_after, [](const auto& item) { return to_json(item); });
}

}  // namespace

void add_scrape_shapes(json::Value& types) {
    types.set("ScrapeTask",
              shape({{"id", "integer"},
                     {"kind", "string (profile|posts|hashtag|media)"},
                     {"target", "string"},
                     {"options", "{max_items: integer|null, since: string|null, page_delay_ms: integer, "
                                 "raw_retention_days: integer}"},
                     {"schedule_id", "integer|null"},
                     {"state", "string (active|paused|cancelled|completed|failed)"},
                     {"pages", "integer"},
                     {"items", "integer"},
                     {"cursor", "string|null (resume point of the run in progress)"},
                     {"run_started_at", "string|null"},
                     {"current_job_id", "integer|null"},
                     {"account_id", "integer|null"},
                     {"last_run", "{pages, items_new, items_seen, accounts_used, started_at, finished_at, "
                                  "stopped_because, job_id}|null"},
                     {"last_error", "string|null"},
                     {"created_at", "string"},
                     {"updated_at", "string"}}));
    types.set("ScrapeResult", shape({{"seq", "integer (keyset cursor)"},
                                     {"type", "string (post|profile)"},
                                     {"id", "string"},
                                     {"first_seen_at", "string"},
                                     {"post", "Post (+ first_seen_at, last_seen_at)|null"},
                                     {"profile", "Profile (+ first_seen_at, last_seen_at)|null"}}));
}

void register_scrape_operations(OperationRegistry& r) {
    const ParamSpec id{"id", integer, true, "scrape task id"};
    r.add({"scrape.tasks.create",
           "Create a scraping task (profile, posts, hashtag or media) and, unless start is false, enqueue its first run.",
           "scrape:write",
           {{"kind", string, true, "profile, posts, hashtag or media"},
            {"target", string, true, "username (profile, posts), tag (hashtag) or media id/shortcode (media)"},
            {"options", object, false,
             "{max_items (1-1000000), since (RFC 3339), page_delay_ms (0-120000, below the account lease), raw_retention_days (0-3650, "
             "default 7; 0 = keep no raw answers)}"},
            {"schedule", object, false, "{cron: 5-field UTC expression} or {interval_s: seconds}"},
            {"start", boolean, false, "enqueue the first run now (default true)"}},
           "ScrapeTask", create});
    r.add({"scrape.tasks.list", "Scraping tasks by id, keyset-paginated.", "scrape:read",
           {{"state", string, false, "only tasks in this state"},
            {"kind", string, false, "only tasks of this kind"},
            {"after", integer, false, "cursor"},
            {"limit", integer, false, "1-1000 (default 50)"}},
           "Page<ScrapeTask>", list});
    r.add({"scrape.tasks.get", "One scraping task with its progress and last run.", "scrape:read", {id}, "ScrapeTask",
           [](Engine& e, const Params& p) -> Result<json::Value> {
               scrape::ScrapeService* svc = &e.scrape();
               return task_result(svc->get(p.integer("id")));
           }});
    r.add({"scrape.tasks.start",
           "Run the task now (a completed or failed task becomes active again); returns the run's job id (the live one "
           "if a run is already queued or running).",
           "scrape:write", {id}, "{task_id: integer, job_id: integer}",
           [](Engine& e, const Params& p) -> Result<json::Value> {
               scrape::ScrapeService* svc = &e.scrape();
               GK_ASSIGN_OR_RETURN(auto job, svc->start(p.integer("id")));
               json::Value o = json::Value::object();
               o.set("task_id", p.integer("id"));
               o.set("job_id", job);
               return o;
           }});
    r.add({"scrape.tasks.pause", "Pause an active task; a running run stops after its current page, keeping its cursor.",
           "scrape:write", {id}, "ScrapeTask",
           [](Engine& e, const Params& p) -> Result<json::Value> {
               scrape::ScrapeService* svc = &e.scrape();
               return task_result(svc->pause(p.integer("id")));
           }});
    r.add({"scrape.tasks.resume", "Resume a paused task from its cursor.", "scrape:write", {id}, "ScrapeTask",
           [](Engine& e, const Params& p) -> Result<json::Value> {
               scrape::ScrapeService* svc = &e.scrape();
               return task_result(svc->resume(p.integer("id")));
           }});
    r.add({"scrape.tasks.cancel", "Cancel a task for good: its live run is cancelled and its cursor dropped.",
           "scrape:write", {id}, "ScrapeTask",
           [](Engine& e, const Params& p) -> Result<json::Value> {
               scrape::ScrapeService* svc = &e.scrape();
               return task_result(svc->cancel(p.integer("id")));
           }});
    r.add({"scrape.tasks.delete",
           "Delete a task with its item list, raw answers and schedule (stored posts and profiles stay).",
           "scrape:write", {id}, "Ok", [](Engine& e, const Params& p) -> Result<json::Value> {
               scrape::ScrapeService* svc = &e.scrape();
               GK_TRY(svc->remove(p.integer("id")));
               return json::Value(json::Value::Object{{"ok", true}});
           }});
    r.add({"scrape.tasks.results", "What the task found (posts, profiles), in the order found, keyset-paginated.",
           "scrape:read",
           {id, {"after", integer, false, "cursor (next_after of the previous page)"},
            {"limit", integer, false, "1-1000 (default 100)"}},
           "{items: ScrapeResult[], next_after: integer|null}", results});
}

}  // namespace gramkit::engine
