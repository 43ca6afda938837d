// The C ABI's job handlers (capi/include/gramkit/jobs.h): a C function
// pointer and its user_data wrapped into a gramkit::jobs::Handler, and the
// gk_job_context accessors the function uses during its call.
//
// Every fallible extern "C" function runs its body through capi::guarded
// (one exception boundary each); the plain accessors cannot fail and touch
// no allocation.
#include <chrono>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "capi_shared.hpp"
#include "core/json.hpp"
#include "gramkit/engine.hpp"
#include "gramkit/gramkit.h"
#include "gramkit/jobs.h"
#include "gramkit/jobs.hpp"
#include "last_error.hpp"

using gramkit::ErrorCode;
using gramkit::Result;
using gramkit::Status;
using gramkit::capi::guarded;
using gramkit::capi::null_argument;
using gramkit::capi::require_utf8;

// One handler invocation: the C++ context it wraps and what the C function
// set for the outcome. Lives on the stack of the wrapping Handler.
struct gk_job_context {
    explicit gk_job_context(gramkit::jobs::JobContext& c) : job(c) {}

    gramkit::jobs::JobContext& job;
    std::optional<std::string> result;
    std::string error;
    std::optional<std::chrono::milliseconds> delay;
};

namespace {

namespace jobs = gramkit::jobs;

// Longest delay, input wait and wait_cancelled slice: a (leap) year.
constexpr std::int64_t kMaxDelayMs = 366LL * 24 * 3600 * 1000;
// Above this, milliseconds → microseconds would overflow int64.
constexpr std::int64_t kMaxMsField = std::numeric_limits<std::int64_t>::max() / 1000;

std::unexpected<gramkit::Error> bad_argument(const char* fn, std::string_view name, const std::string& what) {
    return gramkit::fail(ErrorCode::invalid_argument, std::string(fn) + ": " + std::string(name) + " " + what,
                         std::string(name));
}

Status require_json(const char* fn, const char* name, const char* text) {
    if (text == nullptr) return null_argument(fn, name);
    const std::string_view view(text);
    GK_TRY(require_utf8(fn, name, view));
    if (auto parsed = gramkit::json::parse(view); !parsed)
        return bad_argument(fn, name, "is not valid JSON: " + parsed.error().message);
    return {};
}

std::string outcome_name_list() {
    return "GK_JOB_SUCCEEDED (0), GK_JOB_FAILED (1), GK_JOB_FAILED_PERMANENTLY (2), GK_JOB_RETRY_LATER (3), "
           "GK_JOB_AWAIT_INPUT (4)";
}

// The C function's return code and what it set, as the service's outcome.
jobs::JobOutcome to_outcome(int code, gk_job_context& ctx, gramkit::Duration default_retry) {
    switch (code) {
        case GK_JOB_SUCCEEDED:
            return jobs::JobOutcome::success(ctx.result.value_or(std::string()));
        case GK_JOB_FAILED:
            return jobs::JobOutcome::failure(ctx.error.empty() ? "handler returned GK_JOB_FAILED" : ctx.error);
        case GK_JOB_FAILED_PERMANENTLY:
            return jobs::JobOutcome::permanent_failure(
                ctx.error.empty() ? "handler returned GK_JOB_FAILED_PERMANENTLY" : ctx.error);
        case GK_JOB_RETRY_LATER:
            return jobs::JobOutcome::retry_later(ctx.delay ? gramkit::Duration(*ctx.delay) : default_retry,
                                                 ctx.error);
        case GK_JOB_AWAIT_INPUT:
            // A zero wait lets the service apply its default (10 minutes).
            return jobs::JobOutcome::wait_for_input(ctx.delay ? gramkit::Duration(*ctx.delay) : gramkit::Duration{});
        default:
            return jobs::JobOutcome::failure("handler returned unknown outcome code " + std::to_string(code) +
                                             "; expected " + outcome_name_list());
    }
}

// Milliseconds from a C option field, refusing values whose conversion to
// microseconds would overflow (the service checks the real range).
Result<gramkit::Duration> ms_field(std::int64_t ms, const char* name) {
    if (ms > kMaxMsField || ms < -kMaxMsField)
        return bad_argument("gk_jobs_register_handler", name, "is out of range (" + std::to_string(ms) + " ms)");
    return gramkit::Duration(std::chrono::milliseconds(ms));
}

Result<jobs::KindOptions> kind_options(const gk_job_kind_options* opts) {
    jobs::KindOptions o;
    if (opts == nullptr) return o;
    if (opts->version < 1 || opts->version > GK_JOB_KIND_OPTIONS_VERSION) {
        return bad_argument("gk_jobs_register_handler", "opts->version",
                            std::to_string(opts->version) + " is not supported (this library knows 1 to " +
                                std::to_string(GK_JOB_KIND_OPTIONS_VERSION) +
                                "); initialise the options with GK_JOB_KIND_OPTIONS_INIT or gk_job_kind_options_init");
    }
    o.concurrency = opts->concurrency;
    o.max_attempts = opts->max_attempts;
    GK_ASSIGN_OR_RETURN(o.lease, ms_field(opts->lease_ms, "opts->lease_ms"));
    GK_ASSIGN_OR_RETURN(o.backoff.base, ms_field(opts->backoff_base_ms, "opts->backoff_base_ms"));
    GK_ASSIGN_OR_RETURN(o.backoff.cap, ms_field(opts->backoff_cap_ms, "opts->backoff_cap_ms"));
    o.backoff.multiplier = opts->backoff_multiplier;
    return o;
}

// The service names KindOptions fields; a C host knows the struct's.
std::string c_field_name(std::string_view field) {
    if (field == "lease") return "opts->lease_ms";
    if (field == "backoff.base") return "opts->backoff_base_ms";
    if (field == "backoff.cap") return "opts->backoff_cap_ms";
    if (field == "backoff.multiplier") return "opts->backoff_multiplier";
    if (field == "concurrency" || field == "max_attempts") return "opts->" + std::string(field);
    return std::string(field);
}

jobs::Handler wrap(gk_job_handler_fn fn, void* user_data, gramkit::Duration default_retry) {
    return [fn, user_data, default_retry](jobs::JobContext& job) {
        gk_job_context ctx(job);
        const int code = fn(&ctx, user_data);
        return to_outcome(code, ctx, default_retry);
    };
}

// Runs `body` (returning Result<int>) guarded; its value on success, the
// error code otherwise. For the context functions that answer 1/0.
template <class Body>
int guarded_answer(const char* fn, Body&& body) noexcept {
    int answer = 0;
    const int rc = guarded(fn, [&]() -> Status {
        GK_ASSIGN_OR_RETURN(answer, body());
        return {};
    });
    return rc == GK_OK ? answer : rc;
}

}  // namespace

extern "C" {

GK_EXPORT int64_t gk_job_context_id(const gk_job_context* ctx) { return ctx ? ctx->job.job().id : 0; }

GK_EXPORT const char* gk_job_context_kind(const gk_job_context* ctx) {
    return ctx ? ctx->job.job().kind.c_str() : nullptr;
}

GK_EXPORT const char* gk_job_context_payload(const gk_job_context* ctx) {
    return ctx ? ctx->job.job().payload.c_str() : nullptr;
}

GK_EXPORT int gk_job_context_attempt(const gk_job_context* ctx) { return ctx ? ctx->job.job().attempts : 0; }

GK_EXPORT const char* gk_job_context_input(const gk_job_context* ctx) {
    if (ctx == nullptr || !ctx->job.job().input) return nullptr;
    return ctx->job.job().input->c_str();
}

GK_EXPORT int gk_job_context_cancelled(const gk_job_context* ctx) {
    return guarded_answer("gk_job_context_cancelled", [&]() -> Result<int> {
        if (ctx == nullptr) return null_argument("gk_job_context_cancelled", "ctx");
        return ctx->job.cancelled() ? 1 : 0;
    });
}

GK_EXPORT int gk_job_context_wait_cancelled(gk_job_context* ctx, int64_t timeout_ms) {
    return guarded_answer("gk_job_context_wait_cancelled", [&]() -> Result<int> {
        if (ctx == nullptr) return null_argument("gk_job_context_wait_cancelled", "ctx");
        if (timeout_ms < 0)
            return bad_argument("gk_job_context_wait_cancelled", "timeout_ms",
                                "must be >= 0 (got " + std::to_string(timeout_ms) + ")");
        const std::int64_t ms = timeout_ms > kMaxDelayMs ? kMaxDelayMs : timeout_ms;
        return ctx->job.wait_cancelled(std::chrono::milliseconds(ms)) ? 1 : 0;
    });
}

GK_EXPORT int gk_job_context_progress(gk_job_context* ctx, const char* json) {
    return guarded("gk_job_context_progress", [&]() -> Status {
        if (ctx == nullptr) return null_argument("gk_job_context_progress", "ctx");
        GK_TRY(require_json("gk_job_context_progress", "json", json));
        return ctx->job.progress(json);
    });
}

GK_EXPORT int gk_job_context_set_result(gk_job_context* ctx, const char* json) {
    return guarded("gk_job_context_set_result", [&]() -> Status {
        if (ctx == nullptr) return null_argument("gk_job_context_set_result", "ctx");
        GK_TRY(require_json("gk_job_context_set_result", "json", json));
        ctx->result = std::string(json);
        return {};
    });
}

GK_EXPORT int gk_job_context_set_error(gk_job_context* ctx, const char* message) {
    return guarded("gk_job_context_set_error", [&]() -> Status {
        if (ctx == nullptr) return null_argument("gk_job_context_set_error", "ctx");
        if (message == nullptr) return null_argument("gk_job_context_set_error", "message");
        GK_TRY(require_utf8("gk_job_context_set_error", "message", message));
        ctx->error = message;
        return {};
    });
}

GK_EXPORT int gk_job_context_set_delay_ms(gk_job_context* ctx, int64_t delay_ms) {
    return guarded("gk_job_context_set_delay_ms", [&]() -> Status {
        if (ctx == nullptr) return null_argument("gk_job_context_set_delay_ms", "ctx");
        if (delay_ms < 0 || delay_ms > kMaxDelayMs)
            return bad_argument("gk_job_context_set_delay_ms", "delay_ms",
                                "must be 0 to " + std::to_string(kMaxDelayMs) + " (got " + std::to_string(delay_ms) +
                                    ")");
        ctx->delay = std::chrono::milliseconds(delay_ms);
        return {};
    });
}

GK_EXPORT int gk_job_kind_options_init(gk_job_kind_options* opts, unsigned version) {
    return guarded("gk_job_kind_options_init", [&]() -> Status {
        if (opts == nullptr) return null_argument("gk_job_kind_options_init", "opts");
        if (version < 1 || version > GK_JOB_KIND_OPTIONS_VERSION) {
            return bad_argument("gk_job_kind_options_init", "version",
                                std::to_string(version) + " is not supported (this library knows 1 to " +
                                    std::to_string(GK_JOB_KIND_OPTIONS_VERSION) + ")");
        }
        const gk_job_kind_options defaults = GK_JOB_KIND_OPTIONS_INIT;
        *opts = defaults;
        opts->version = version;
        return {};
    });
}

GK_EXPORT int gk_jobs_register_handler(gk_engine* engine, const char* kind, gk_job_handler_fn handler,
                                       void* user_data, const gk_job_kind_options* opts) {
    return guarded("gk_jobs_register_handler", [&]() -> Status {
        constexpr const char* fn = "gk_jobs_register_handler";
        if (engine == nullptr) return null_argument(fn, "engine");
        if (kind == nullptr) return null_argument(fn, "kind");
        if (handler == nullptr) return null_argument(fn, "handler");
        GK_TRY(require_utf8(fn, "kind", kind));
        GK_ASSIGN_OR_RETURN(const jobs::KindOptions options, kind_options(opts));
        Status s = engine->engine->jobs().register_handler(kind, wrap(handler, user_data, options.backoff.base),
                                                           options);
        if (!s) {
            const std::string field = c_field_name(s.error().details);
            return gramkit::fail(s.error().code, std::string(fn) + ": " + field + ": " + s.error().message, field);
        }
        return {};
    });
}

}  // extern "C"
