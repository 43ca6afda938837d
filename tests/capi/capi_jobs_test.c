/*
 * Tests of the C job handlers (capi/include/gramkit/jobs.h), written in C99
 * and linked against the shared library like any C host. Jobs are queued,
 * run and inspected through gk_call ("jobs.enqueue", "jobs.run_pending",
 * "jobs.get", ...), as a C host would.
 *
 * Each test opens its own engine on `sqlite::memory:` with the key in the
 * environment. The runner (c_test_harness.h) takes test names or --list.
 */
#define _POSIX_C_SOURCE 200809L

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "c_test_harness.h"
#include "gramkit/gramkit.h"
#include "json_scan.h"

/* ---- helpers ------------------------------------------------------------------ */

/* Queues a job of `kind` with `extra` members (",\"max_attempts\":2" or "");
 * returns its id or -1. */
static long long enqueue_at(const char *file, int line, gk_engine *e, const char *kind, const char *payload,
                            const char *extra) {
    char params[1024];
    char *out;
    long long id = -1;
    snprintf(params, sizeof params, "{\"kind\":\"%s\",\"payload\":%s%s}", kind, payload, extra);
    out = call_ok_at(file, line, e, "jobs.enqueue", params);
    if (out && !json_int(out, "id", &id)) report_failure(file, line, "jobs.enqueue result has no id");
    gk_free(out);
    return id;
}
#define enqueue(e, kind, payload, extra) enqueue_at(__FILE__, __LINE__, (e), (kind), (payload), (extra))

/* jobs.run_pending; returns how many ran or -1. */
static long long run_pending_max(gk_engine *e, const char *params) {
    char *out = call_ok(e, "jobs.run_pending", params);
    long long ran = -1;
    if (out && !json_int(out, "ran", &ran)) report_failure(__FILE__, __LINE__, "jobs.run_pending has no ran");
    gk_free(out);
    return ran;
}
#define run_pending(e) run_pending_max((e), NULL)
/* One job at most: a retry due at once would otherwise run in the same call. */
#define run_one(e) run_pending_max((e), "{\"max\":1}")

/* jobs.get as JSON (gk_free it), or NULL after reporting. */
static char *get_job(gk_engine *e, long long id) {
    char params[64];
    snprintf(params, sizeof params, "{\"id\":%lld}", id);
    return call_ok(e, "jobs.get", params);
}

/* 1 if job `id` is in `state` now. */
static int job_in_state(gk_engine *e, long long id, const char *state) {
    char *job = get_job(e, id);
    int ok = job != NULL && json_str_eq(job, "state", state);
    gk_free(job);
    return ok;
}

/* Polls until job `id` is in `state` or `timeout_ms` pass; 1 if it got there. */
static int wait_for_state(gk_engine *e, long long id, const char *state, long timeout_ms) {
    long waited = 0;
    for (;;) {
        if (job_in_state(e, id, state)) return 1;
        if (waited >= timeout_ms) return 0;
        sleep_ms(10);
        waited += 10;
    }
}

/* 1 if string member `key` of `object` contains `needle`. */
static int member_mentions(const char *object, const char *key, const char *needle) {
    const char *value = json_member(object, key);
    const char *end;
    if (value == NULL || *value != '"') return 0;
    end = strchr(value + 1, '"');
    while (end != NULL && end[-1] == '\\') end = strchr(end + 1, '"');
    if (end == NULL) return 0;
    {
        const char *hit = strstr(value, needle);
        return hit != NULL && hit < end;
    }
}

/* Drains the queued events; counts those of `type`. */
static int count_events(gk_engine *e, const char *type) {
    int n = 0;
    char *event = NULL;
    while (gk_next_event(e, 0, &event) == GK_OK) {
        if (json_str_eq(event, "type", type)) ++n;
        gk_free(event);
        event = NULL;
    }
    return n;
}

/* ---- handlers --------------------------------------------------------------------- */

/* What a handler saw, filled under its mutex (pool threads write it). */
struct seen {
    pthread_mutex_t mu;
    int calls;
    long long last_id;
    int last_attempt;
    char last_kind[64];
    char last_payload[256];
    char last_input[256];
    int saw_input;
    int cancelled_seen;
    int nested_rc;
    int set_result_bad_rc;
    int set_delay_bad_rc;
    int progress_bad_rc;
    int running; /* handlers inside their wait */
};

static void seen_init(struct seen *s) {
    memset(s, 0, sizeof *s);
    pthread_mutex_init(&s->mu, NULL);
}

static void seen_destroy(struct seen *s) { pthread_mutex_destroy(&s->mu); }

/* A test's engine and what its handler saw: opened together, closed together. */
static gk_engine *open_seen(struct seen *s) {
    gk_engine *e = open_memory_engine();
    seen_init(s);
    if (e == NULL) seen_destroy(s);
    return e;
}

/* Registers `fn` (with `s` as user_data and default options) for `kind` and
 * queues one job of it; returns the job id or -1. */
static long long register_and_enqueue(gk_engine *e, const char *kind, gk_job_handler_fn fn, struct seen *s,
                                      const char *payload, const char *extra) {
    CHECK_RC(gk_jobs_register_handler(e, kind, fn, s, NULL), GK_OK);
    return enqueue(e, kind, payload, extra);
}

static void close_seen(gk_engine *e, struct seen *s) {
    gk_engine_close(e);
    seen_destroy(s);
}

static void record(gk_job_context *ctx, struct seen *s) {
    const char *kind = gk_job_context_kind(ctx);
    const char *payload = gk_job_context_payload(ctx);
    const char *input = gk_job_context_input(ctx);
    pthread_mutex_lock(&s->mu);
    ++s->calls;
    s->last_id = (long long)gk_job_context_id(ctx);
    s->last_attempt = gk_job_context_attempt(ctx);
    snprintf(s->last_kind, sizeof s->last_kind, "%s", kind ? kind : "(null)");
    snprintf(s->last_payload, sizeof s->last_payload, "%s", payload ? payload : "(null)");
    s->saw_input = input != NULL;
    snprintf(s->last_input, sizeof s->last_input, "%s", input ? input : "");
    pthread_mutex_unlock(&s->mu);
}

/* Succeeds with {"echo": <payload>}, after reporting progress; checks the
 * setters refuse bad values. */
static int succeed_handler(gk_job_context *ctx, void *user_data) {
    struct seen *s = (struct seen *)user_data;
    char result[512];
    record(ctx, s);
    s->progress_bad_rc = gk_job_context_progress(ctx, "{not json");
    if (gk_job_context_progress(ctx, "{\"step\":1,\"of\":2}") != GK_OK) return GK_JOB_FAILED;
    s->set_result_bad_rc = gk_job_context_set_result(ctx, "[1,");
    s->set_delay_bad_rc = gk_job_context_set_delay_ms(ctx, -1);
    snprintf(result, sizeof result, "{\"echo\":%s}", gk_job_context_payload(ctx));
    if (gk_job_context_set_result(ctx, "\"replaced\"") != GK_OK) return GK_JOB_FAILED;
    if (gk_job_context_set_result(ctx, result) != GK_OK) return GK_JOB_FAILED;
    return GK_JOB_SUCCEEDED;
}

static int fail_handler(gk_job_context *ctx, void *user_data) {
    char message[128];
    record(ctx, (struct seen *)user_data);
    snprintf(message, sizeof message, "boom on attempt %d", gk_job_context_attempt(ctx));
    gk_job_context_set_error(ctx, message);
    return GK_JOB_FAILED;
}

static int permanent_handler(gk_job_context *ctx, void *user_data) {
    record(ctx, (struct seen *)user_data);
    gk_job_context_set_error(ctx, "payload is hopeless");
    return GK_JOB_FAILED_PERMANENTLY;
}

static int unknown_code_handler(gk_job_context *ctx, void *user_data) {
    record(ctx, (struct seen *)user_data);
    return 42;
}

static int retry_later_handler(gk_job_context *ctx, void *user_data) {
    record(ctx, (struct seen *)user_data);
    gk_job_context_set_delay_ms(ctx, 3600 * 1000);
    gk_job_context_set_error(ctx, "every account is cooling down");
    return GK_JOB_RETRY_LATER;
}

/* First run: asks for input. Second run: succeeds with the input. */
static int input_handler(gk_job_context *ctx, void *user_data) {
    const char *input = gk_job_context_input(ctx);
    record(ctx, (struct seen *)user_data);
    if (input == NULL) {
        gk_job_context_set_delay_ms(ctx, 60 * 1000);
        return GK_JOB_AWAIT_INPUT;
    }
    gk_job_context_set_result(ctx, input);
    return GK_JOB_SUCCEEDED;
}

/* Waits (cooperatively) until cancelled, at most 10 s. */
static int wait_handler(gk_job_context *ctx, void *user_data) {
    struct seen *s = (struct seen *)user_data;
    int cancelled;
    record(ctx, s);
    pthread_mutex_lock(&s->mu);
    ++s->running;
    pthread_mutex_unlock(&s->mu);
    cancelled = gk_job_context_wait_cancelled(ctx, 10000);
    pthread_mutex_lock(&s->mu);
    s->cancelled_seen = cancelled == 1 && gk_job_context_cancelled(ctx) == 1;
    --s->running;
    pthread_mutex_unlock(&s->mu);
    return GK_JOB_SUCCEEDED;
}

/* Queues a follow-up job through gk_call from inside the handler. */
static gk_engine *g_nested_engine = NULL;
static int nested_call_handler(gk_job_context *ctx, void *user_data) {
    struct seen *s = (struct seen *)user_data;
    char *out = NULL;
    record(ctx, s);
    s->nested_rc = gk_call(g_nested_engine, "jobs.enqueue", "{\"kind\":\"test.followup\",\"payload\":{\"n\":2}}", &out);
    gk_free(out);
    return s->nested_rc == GK_OK ? GK_JOB_SUCCEEDED : GK_JOB_FAILED;
}

/* Tries to close the engine from inside its own handler: refused. */
static int close_from_handler_handler(gk_job_context *ctx, void *user_data) {
    struct seen *s = (struct seen *)user_data;
    record(ctx, s);
    gk_engine_close(g_nested_engine);
    s->nested_rc = gk_last_error_code();
    return GK_JOB_SUCCEEDED;
}

static int record_handler(gk_job_context *ctx, void *user_data) {
    record(ctx, (struct seen *)user_data);
    return GK_JOB_SUCCEEDED;
}

static int noop_handler(gk_job_context *ctx, void *user_data) {
    (void)ctx;
    (void)user_data;
    return GK_JOB_SUCCEEDED;
}

/* ---- tests ---------------------------------------------------------------------- */

static void test_handler_succeeds_with_result_and_progress(void) {
    struct seen s;
    long long id;
    char *job;
    const char *result;
    gk_engine *e = open_seen(&s);
    REQUIRE(e != NULL);
    id = register_and_enqueue(e, "test.echo", succeed_handler, &s, "{\"n\":7}", "");
    REQUIRE(id > 0);
    CHECK(count_events(e, "job.finished") == 0);
    CHECK(run_pending(e) == 1);
    CHECK(s.calls == 1);
    CHECK(s.last_id == id);
    CHECK(s.last_attempt == 1);
    CHECK(strcmp(s.last_kind, "test.echo") == 0);
    CHECK(strcmp(s.last_payload, "{\"n\":7}") == 0);
    CHECK(!s.saw_input);
    CHECK(s.progress_bad_rc == GK_EINVALID_ARGUMENT);
    CHECK(s.set_result_bad_rc == GK_EINVALID_ARGUMENT);
    CHECK(s.set_delay_bad_rc == GK_EINVALID_ARGUMENT);
    job = get_job(e, id);
    REQUIRE(job != NULL);
    CHECK(json_str_eq(job, "state", "succeeded"));
    result = json_member(job, "result");
    REQUIRE(result != NULL);
    {
        long long n = 0;
        const char *echo = json_member(result, "echo");
        CHECK(echo != NULL && json_int(echo, "n", &n) && n == 7);
    }
    {
        long long step = 0;
        const char *progress = json_member(job, "progress");
        CHECK(progress != NULL && json_int(progress, "step", &step) && step == 1);
    }
    CHECK(json_is_null(job, "last_error"));
    gk_free(job);
    /* job.started, job.progress and job.finished were published. */
    {
        char *event = NULL;
        int started = 0, progress = 0, finished = 0;
        while (gk_next_event(e, 0, &event) == GK_OK) {
            if (json_str_eq(event, "type", "job.started")) ++started;
            if (json_str_eq(event, "type", "job.progress")) ++progress;
            if (json_str_eq(event, "type", "job.finished")) {
                const char *data = json_member(event, "data");
                ++finished;
                CHECK(data != NULL && json_str_eq(data, "state", "succeeded"));
            }
            gk_free(event);
            event = NULL;
        }
        CHECK(started == 1 && progress == 1 && finished == 1);
    }
    /* Nothing left to run. */
    CHECK(run_pending(e) == 0);
    close_seen(e, &s);
}

static void test_failing_handler_retried_then_dead(void) {
    struct seen s;
    gk_job_kind_options opts = GK_JOB_KIND_OPTIONS_INIT;
    long long id;
    char *job;
    long long attempts = 0;
    gk_engine *e = open_seen(&s);
    REQUIRE(e != NULL);
    /* 1 ms backoff: the retry is due almost at once. */
    opts.max_attempts = 3;
    opts.backoff_base_ms = 1;
    opts.backoff_cap_ms = 1;
    CHECK_RC(gk_jobs_register_handler(e, "test.fail", fail_handler, &s, &opts), GK_OK);
    id = enqueue(e, "test.fail", "{}", "");
    REQUIRE(id > 0);
    CHECK(run_one(e) == 1);
    job = get_job(e, id);
    REQUIRE(job != NULL);
    CHECK(json_str_eq(job, "state", "failed_retrying"));
    CHECK(json_int(job, "max_attempts", &attempts) && attempts == 3); /* the kind's default */
    CHECK(member_mentions(job, "last_error", "boom on attempt 1"));
    gk_free(job);
    sleep_ms(5);
    CHECK(run_one(e) == 1);
    CHECK(job_in_state(e, id, "failed_retrying"));
    sleep_ms(5);
    CHECK(run_one(e) == 1);
    job = get_job(e, id);
    REQUIRE(job != NULL);
    CHECK(json_str_eq(job, "state", "dead"));
    CHECK(json_int(job, "attempts", &attempts) && attempts == 3);
    CHECK(member_mentions(job, "last_error", "boom on attempt 3"));
    gk_free(job);
    sleep_ms(5);
    CHECK(run_one(e) == 0);
    CHECK(s.calls == 3);
    /* A dead job runs again when retried by hand. */
    {
        char params[64];
        char *out;
        snprintf(params, sizeof params, "{\"id\":%lld}", id);
        out = call_ok(e, "jobs.retry", params);
        CHECK(out != NULL && json_str_eq(out, "state", "queued"));
        gk_free(out);
        CHECK(run_one(e) == 1);
        CHECK(s.calls == 4);
    }
    close_seen(e, &s);
}

static void test_permanent_failure_and_unknown_code(void) {
    struct seen s;
    long long id1, id2;
    char *job;
    gk_engine *e = open_seen(&s);
    REQUIRE(e != NULL);
    id1 = register_and_enqueue(e, "test.permanent", permanent_handler, &s, "{}", ",\"max_attempts\":5");
    id2 = register_and_enqueue(e, "test.unknown", unknown_code_handler, &s, "{}", ",\"max_attempts\":1");
    REQUIRE(id1 > 0 && id2 > 0);
    CHECK(run_pending(e) == 2);
    job = get_job(e, id1);
    REQUIRE(job != NULL);
    CHECK(json_str_eq(job, "state", "dead"));
    CHECK(member_mentions(job, "last_error", "payload is hopeless"));
    gk_free(job);
    job = get_job(e, id2);
    REQUIRE(job != NULL);
    CHECK(json_str_eq(job, "state", "dead"));
    CHECK(member_mentions(job, "last_error", "unknown outcome code 42"));
    gk_free(job);
    close_seen(e, &s);
}

static void test_retry_later_gives_the_attempt_back(void) {
    struct seen s;
    long long id, attempts = -1;
    char *job;
    gk_engine *e = open_seen(&s);
    REQUIRE(e != NULL);
    id = register_and_enqueue(e, "test.later", retry_later_handler, &s, "{}", ",\"max_attempts\":1");
    REQUIRE(id > 0);
    CHECK(run_pending(e) == 1);
    job = get_job(e, id);
    REQUIRE(job != NULL);
    CHECK(json_str_eq(job, "state", "queued"));
    CHECK(json_int(job, "attempts", &attempts) && attempts == 0);
    gk_free(job);
    /* Not due for an hour. */
    CHECK(run_pending(e) == 0);
    close_seen(e, &s);
}

static void test_await_input_then_provide_input(void) {
    struct seen s;
    long long id;
    char params[128];
    char *out;
    gk_engine *e = open_seen(&s);
    REQUIRE(e != NULL);
    id = register_and_enqueue(e, "test.input", input_handler, &s, "{}", "");
    REQUIRE(id > 0);
    CHECK(run_pending(e) == 1);
    CHECK(job_in_state(e, id, "awaiting_input"));
    CHECK(!s.saw_input);
    snprintf(params, sizeof params, "{\"id\":%lld,\"input\":{\"code\":\"123456\"}}", id);
    out = call_ok(e, "jobs.provide_input", params);
    CHECK(out != NULL && json_str_eq(out, "state", "queued"));
    gk_free(out);
    CHECK(run_pending(e) == 1);
    CHECK(s.saw_input);
    CHECK(strstr(s.last_input, "123456") != NULL);
    out = get_job(e, id);
    REQUIRE(out != NULL);
    CHECK(json_str_eq(out, "state", "succeeded"));
    {
        const char *result = json_member(out, "result");
        CHECK(result != NULL && json_str_eq(result, "code", "123456"));
    }
    gk_free(out);
    close_seen(e, &s);
}

static void test_handler_may_call_the_engine(void) {
    struct seen s;
    struct seen followups;
    long long id;
    gk_engine *e = open_seen(&s);
    REQUIRE(e != NULL);
    seen_init(&followups);
    g_nested_engine = e;
    CHECK_RC(gk_jobs_register_handler(e, "test.followup", record_handler, &followups, NULL), GK_OK);
    id = register_and_enqueue(e, "test.nested", nested_call_handler, &s, "{}", "");
    REQUIRE(id > 0);
    CHECK(run_pending(e) == 2); /* the job, then the follow-up it queued */
    CHECK_RC(s.nested_rc, GK_OK);
    CHECK(job_in_state(e, id, "succeeded"));
    CHECK(followups.calls == 1);
    CHECK(strcmp(followups.last_payload, "{\"n\":2}") == 0);
    g_nested_engine = NULL;
    close_seen(e, &s);
    seen_destroy(&followups);
}

static void test_closing_the_engine_from_a_handler_is_refused(void) {
    struct seen s;
    long long id;
    gk_engine *e = open_seen(&s);
    REQUIRE(e != NULL);
    g_nested_engine = e;
    id = register_and_enqueue(e, "test.close", close_from_handler_handler, &s, "{}", "");
    REQUIRE(id > 0);
    CHECK(run_pending(e) == 1);
    CHECK(s.nested_rc == GK_EFAILED_PRECONDITION);
    CHECK(job_in_state(e, id, "succeeded")); /* the engine is still open and usable */
    g_nested_engine = NULL;
    close_seen(e, &s);
}

static void test_pool_runs_handler_and_cancel_reaches_it(void) {
    struct seen s;
    gk_job_kind_options opts;
    long long id;
    char *out;
    int i, running = 0;
    gk_engine *e = open_seen(&s);
    REQUIRE(e != NULL);
    CHECK_RC(gk_job_kind_options_init(&opts, GK_JOB_KIND_OPTIONS_VERSION), GK_OK);
    opts.concurrency = 2;
    CHECK_RC(gk_jobs_register_handler(e, "test.wait", wait_handler, &s, &opts), GK_OK);
    out = call_ok(e, "workers.start", "{\"options\":{\"poll_interval_ms\":10,\"run_schedules\":false}}");
    CHECK(out != NULL && json_member(out, "running") != NULL && strncmp(json_member(out, "running"), "true", 4) == 0);
    gk_free(out);
    /* Replacing a kind's handler while the pool runs is refused. */
    CHECK_RC(gk_jobs_register_handler(e, "test.wait", noop_handler, NULL, NULL), GK_EFAILED_PRECONDITION);
    CHECK_ERROR_MENTIONS("kind");
    id = enqueue(e, "test.wait", "{}", "");
    REQUIRE(id > 0);
    for (i = 0; i < 500 && !running; ++i) {
        pthread_mutex_lock(&s.mu);
        running = s.running;
        pthread_mutex_unlock(&s.mu);
        if (!running) sleep_ms(10);
    }
    CHECK(running == 1);
    CHECK(job_in_state(e, id, "running"));
    {
        char params[64];
        snprintf(params, sizeof params, "{\"id\":%lld}", id);
        out = call_ok(e, "jobs.cancel", params);
        CHECK(out != NULL && json_str_eq(out, "state", "cancelled"));
        gk_free(out);
    }
    for (i = 0; i < 500 && running; ++i) {
        pthread_mutex_lock(&s.mu);
        running = s.running;
        pthread_mutex_unlock(&s.mu);
        if (running) sleep_ms(10);
    }
    CHECK(running == 0);
    CHECK(s.cancelled_seen);
    /* The handler's "succeeded" came after the cancel: discarded. */
    CHECK(wait_for_state(e, id, "cancelled", 1000));
    out = call_ok(e, "workers.stop", NULL);
    CHECK(out != NULL && json_member(out, "running") != NULL && strncmp(json_member(out, "running"), "false", 5) == 0);
    gk_free(out);
    close_seen(e, &s);
}

static void test_register_null_arguments(void) {
    gk_engine *e = open_memory_engine();
    REQUIRE(e != NULL);
    CHECK_RC(gk_jobs_register_handler(NULL, "k", noop_handler, NULL, NULL), GK_EINVALID_ARGUMENT);
    CHECK_ERROR_MENTIONS("gk_jobs_register_handler: engine must not be NULL");
    CHECK(gk_last_error_code() == GK_EINVALID_ARGUMENT);
    CHECK_RC(gk_jobs_register_handler(e, NULL, noop_handler, NULL, NULL), GK_EINVALID_ARGUMENT);
    CHECK_ERROR_MENTIONS("kind must not be NULL");
    CHECK_RC(gk_jobs_register_handler(e, "k", NULL, NULL, NULL), GK_EINVALID_ARGUMENT);
    CHECK_ERROR_MENTIONS("handler must not be NULL");
    CHECK_RC(gk_jobs_register_handler(e, "", noop_handler, NULL, NULL), GK_EINVALID_ARGUMENT);
    CHECK_ERROR_MENTIONS("kind");
    CHECK_RC(gk_jobs_register_handler(e, "bad\xff", noop_handler, NULL, NULL), GK_EINVALID_ARGUMENT);
    CHECK_ERROR_MENTIONS("kind is not valid UTF-8");
    /* Success clears the error. */
    CHECK_RC(gk_jobs_register_handler(e, "k", noop_handler, NULL, NULL), GK_OK);
    CHECK(gk_last_error_code() == GK_OK && gk_last_error()[0] == '\0');
    gk_engine_close(e);
}

/* One field out of range per row: the defaults with that field changed. */
#define V GK_JOB_KIND_OPTIONS_VERSION
static const struct {
    const char *field;
    gk_job_kind_options opts;
} g_bad_options[] = {
    /*                       version concurrency attempts lease_ms base_ms cap_ms multiplier */
    {"opts->version", {0, 1, 3, 30000, 1000, 600000, 2.0}},
    {"opts->version", {V + 1, 1, 3, 30000, 1000, 600000, 2.0}},
    {"opts->concurrency", {V, 0, 3, 30000, 1000, 600000, 2.0}},
    {"opts->concurrency", {V, 1025, 3, 30000, 1000, 600000, 2.0}},
    {"opts->max_attempts", {V, 1, 1001, 30000, 1000, 600000, 2.0}},
    {"opts->lease_ms", {V, 1, 3, 10, 1000, 600000, 2.0}},
    {"opts->lease_ms", {V, 1, 3, INT64_MAX, 1000, 600000, 2.0}},
    {"opts->backoff_base_ms", {V, 1, 3, 30000, 0, 600000, 2.0}},
    {"opts->backoff_base_ms", {V, 1, 3, 30000, INT64_MIN, 600000, 2.0}},
    {"opts->backoff_cap_ms", {V, 1, 3, 30000, 100, 10, 2.0}},
    {"opts->backoff_multiplier", {V, 1, 3, 30000, 1000, 600000, 0.5}},
};
#undef V

static void test_register_bad_options(void) {
    gk_engine *e = open_memory_engine();
    gk_job_kind_options good = GK_JOB_KIND_OPTIONS_INIT;
    size_t i;
    REQUIRE(e != NULL);
    for (i = 0; i < sizeof g_bad_options / sizeof g_bad_options[0]; ++i) {
        CHECK_RC(gk_jobs_register_handler(e, "k", noop_handler, NULL, &g_bad_options[i].opts),
                 GK_EINVALID_ARGUMENT);
        CHECK_ERROR_MENTIONS(g_bad_options[i].field);
    }
    good.backoff_multiplier = 1.5;
    CHECK_RC(gk_jobs_register_handler(e, "k", noop_handler, NULL, &good), GK_OK);
    gk_engine_close(e);
}

static void test_options_init(void) {
    gk_job_kind_options opts;
    const gk_job_kind_options macro = GK_JOB_KIND_OPTIONS_INIT;
    memset(&opts, 0x55, sizeof opts);
    CHECK_RC(gk_job_kind_options_init(&opts, GK_JOB_KIND_OPTIONS_VERSION), GK_OK);
    CHECK(opts.version == GK_JOB_KIND_OPTIONS_VERSION);
    CHECK(opts.concurrency == macro.concurrency && opts.concurrency == 1);
    CHECK(opts.max_attempts == macro.max_attempts && opts.max_attempts == 3);
    CHECK(opts.lease_ms == macro.lease_ms && opts.lease_ms == 30000);
    CHECK(opts.backoff_base_ms == macro.backoff_base_ms && opts.backoff_cap_ms == macro.backoff_cap_ms);
    CHECK(opts.backoff_multiplier == macro.backoff_multiplier);
    CHECK_RC(gk_job_kind_options_init(NULL, GK_JOB_KIND_OPTIONS_VERSION), GK_EINVALID_ARGUMENT);
    CHECK_ERROR_MENTIONS("opts must not be NULL");
    CHECK_RC(gk_job_kind_options_init(&opts, 99), GK_EINVALID_ARGUMENT);
    CHECK_ERROR_MENTIONS("version");
}

static void test_context_null_arguments(void) {
    CHECK(gk_job_context_id(NULL) == 0);
    CHECK(gk_job_context_kind(NULL) == NULL);
    CHECK(gk_job_context_payload(NULL) == NULL);
    CHECK(gk_job_context_attempt(NULL) == 0);
    CHECK(gk_job_context_input(NULL) == NULL);
    CHECK_RC(gk_job_context_cancelled(NULL), GK_EINVALID_ARGUMENT);
    CHECK_ERROR_MENTIONS("ctx must not be NULL");
    CHECK_RC(gk_job_context_wait_cancelled(NULL, 1), GK_EINVALID_ARGUMENT);
    CHECK_RC(gk_job_context_progress(NULL, "{}"), GK_EINVALID_ARGUMENT);
    CHECK_ERROR_MENTIONS("gk_job_context_progress: ctx must not be NULL");
    CHECK_RC(gk_job_context_set_result(NULL, "{}"), GK_EINVALID_ARGUMENT);
    CHECK_RC(gk_job_context_set_error(NULL, "x"), GK_EINVALID_ARGUMENT);
    CHECK_RC(gk_job_context_set_delay_ms(NULL, 1), GK_EINVALID_ARGUMENT);
}

/* ---- main ----------------------------------------------------------------------- */

static const struct test_case g_tests[] = {
    {"handler_succeeds_with_result_and_progress", test_handler_succeeds_with_result_and_progress},
    {"failing_handler_retried_then_dead", test_failing_handler_retried_then_dead},
    {"permanent_failure_and_unknown_code", test_permanent_failure_and_unknown_code},
    {"retry_later_gives_the_attempt_back", test_retry_later_gives_the_attempt_back},
    {"await_input_then_provide_input", test_await_input_then_provide_input},
    {"handler_may_call_the_engine", test_handler_may_call_the_engine},
    {"closing_the_engine_from_a_handler_is_refused", test_closing_the_engine_from_a_handler_is_refused},
    {"pool_runs_handler_and_cancel_reaches_it", test_pool_runs_handler_and_cancel_reaches_it},
    {"register_null_arguments", test_register_null_arguments},
    {"register_bad_options", test_register_bad_options},
    {"options_init", test_options_init},
    {"context_null_arguments", test_context_null_arguments},
};

int main(int argc, char **argv) { return run_tests(g_tests, sizeof g_tests / sizeof g_tests[0], argc, argv); }
