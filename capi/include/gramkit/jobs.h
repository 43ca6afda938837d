/*
 * gramkit — C ABI: job handlers written in C (docs/c-api.md "Job handlers",
 * docs/jobs.md).
 *
 * Jobs themselves (enqueue, get, list, cancel, schedules, the worker pool)
 * are operations reached through gk_call: "jobs.enqueue", "jobs.get",
 * "jobs.run_pending", "workers.start", ... This header adds what JSON cannot
 * carry: a C function that runs jobs of a kind.
 *
 *     static int resize(gk_job_context *ctx, void *user_data) {
 *         const char *payload = gk_job_context_payload(ctx);  // JSON object
 *         ...
 *         if (gk_job_context_cancelled(ctx) == 1) return GK_JOB_FAILED;
 *         gk_job_context_progress(ctx, "{\"done\":50}");
 *         ...
 *         gk_job_context_set_result(ctx, "{\"width\":640}");
 *         return GK_JOB_SUCCEEDED;
 *     }
 *     gk_jobs_register_handler(engine, "images.resize", resize, NULL, NULL);
 *
 * Threading. A handler runs on a worker-pool thread (after gk_call(e,
 * "workers.start", ...)) or on the thread that calls gk_call(e,
 * "jobs.run_pending", ...). With concurrency > 1 several invocations of the
 * same handler run at once on different threads, so the handler and
 * whatever user_data points to must be thread-safe. A gk_job_context belongs
 * to one invocation: use it only on the handler's thread and only until the
 * handler returns, except gk_job_context_cancelled, which any thread may
 * call while the handler runs. Inside a handler the host may call gk_call
 * (e.g. to enqueue follow-up jobs). gk_engine_close there is refused
 * (GK_EFAILED_PRECONDITION, engine left open); "workers.stop" there only
 * stops claiming (a thread cannot wait for itself) and a later stop from
 * outside the pool, or gk_engine_close, finishes it.
 *
 * Ownership. Strings a gk_job_context_* accessor returns are borrowed: owned
 * by the library and valid until the handler returns (copy them to keep
 * them). Strings passed in are copied before the call returns. gramkit never
 * frees user_data; it must stay valid until the engine is closed (or, at the
 * earliest, until the worker pool is stopped and no jobs.run_pending is in
 * progress), even after the kind's handler was replaced.
 *
 * Errors follow gramkit.h: GK_OK or a negative GK_E* code, with a message
 * for the calling thread in gk_last_error().
 */
#ifndef GRAMKIT_JOBS_H
#define GRAMKIT_JOBS_H

#include "gramkit/gramkit.h"

#ifdef __cplusplus
extern "C" {
#endif

/* What a handler returns: how its invocation ended. Any other value fails
 * the job (retried like GK_JOB_FAILED) with an error naming the value. */
/* The job is done; the JSON set with gk_job_context_set_result (if any) is
 * stored as its result. */
#define GK_JOB_SUCCEEDED 0
/* The attempt failed (message from gk_job_context_set_error): retried
 * after the kind's backoff while attempts remain, then dead. */
#define GK_JOB_FAILED 1
/* Dead at once, no retry (bad payload: nothing a retry could fix). */
#define GK_JOB_FAILED_PERMANENTLY 2
/* Not a failure: run again after gk_job_context_set_delay_ms (default: the
 * kind's backoff_base_ms); the attempt is given back. */
#define GK_JOB_RETRY_LATER 3
/* Wait for "jobs.provide_input" for up to gk_job_context_set_delay_ms
 * (default 10 minutes); the job then runs again (the attempt is given back)
 * and gk_job_context_input returns the input. Without input in time the
 * attempt fails as with GK_JOB_FAILED. */
#define GK_JOB_AWAIT_INPUT 4

/* One handler invocation's view of its job (opaque). */
typedef struct gk_job_context gk_job_context;

/* A job handler. `user_data` is the pointer given at registration. Returns
 * a GK_JOB_* outcome. Must not unwind (C++ exceptions, longjmp) through the
 * library; a C++ host catches inside. */
typedef int (*gk_job_handler_fn)(gk_job_context *ctx, void *user_data);

/* --- the context (valid only during the handler call) ------------------- */

/* The job's id; 0 for a NULL ctx. */
GK_EXPORT int64_t gk_job_context_id(const gk_job_context *ctx);
/* The job's kind; borrowed. NULL for a NULL ctx. */
GK_EXPORT const char *gk_job_context_kind(const gk_job_context *ctx);
/* The job's payload, a JSON object text; borrowed. NULL for a NULL ctx. */
GK_EXPORT const char *gk_job_context_payload(const gk_job_context *ctx);
/* This attempt's number: 1 on the first run, counting claims. 0 for a NULL
 * ctx. */
GK_EXPORT int gk_job_context_attempt(const gk_job_context *ctx);
/* The JSON value given with "jobs.provide_input" after GK_JOB_AWAIT_INPUT;
 * borrowed. NULL when there is none (or for a NULL ctx). */
GK_EXPORT const char *gk_job_context_input(const gk_job_context *ctx);

/* 1 once the job was cancelled ("jobs.cancel"), its lease was lost, or the
 * pool is shutting down past its grace period: return soon, the outcome
 * will be discarded. 0 otherwise. GK_EINVALID_ARGUMENT for a NULL ctx. Any
 * thread, while the handler runs. */
GK_EXPORT int gk_job_context_cancelled(const gk_job_context *ctx);
/* Sleeps up to timeout_ms (>= 0) and returns early with 1 when the job is
 * cancelled; 0 when the time ran out. Use it instead of sleeping.
 * GK_EINVALID_ARGUMENT for a NULL ctx or a negative timeout. */
GK_EXPORT int gk_job_context_wait_cancelled(gk_job_context *ctx, int64_t timeout_ms);

/* Stores progress (any JSON value) on the job and publishes a
 * "job.progress" event. GK_EINVALID_ARGUMENT for NULL or invalid JSON;
 * GK_ECONFLICT when the lease was lost (the handler should stop). */
GK_EXPORT int gk_job_context_progress(gk_job_context *ctx, const char *json);
/* Sets the result (any JSON value) stored when the handler returns
 * GK_JOB_SUCCEEDED; a later call replaces it. GK_EINVALID_ARGUMENT for NULL
 * or invalid JSON (the result is then unchanged). */
GK_EXPORT int gk_job_context_set_result(gk_job_context *ctx, const char *json);
/* Sets the message stored as the job's last_error when the handler returns
 * GK_JOB_FAILED or GK_JOB_FAILED_PERMANENTLY (also logged as the reason of
 * GK_JOB_RETRY_LATER). UTF-8, never secrets. GK_EINVALID_ARGUMENT for NULL
 * or invalid UTF-8. */
GK_EXPORT int gk_job_context_set_error(gk_job_context *ctx, const char *message);
/* Sets the delay of GK_JOB_RETRY_LATER or the input wait of
 * GK_JOB_AWAIT_INPUT, in milliseconds (0 .. 31622400000, a year).
 * GK_EINVALID_ARGUMENT for a NULL ctx or a value out of range. */
GK_EXPORT int gk_job_context_set_delay_ms(gk_job_context *ctx, int64_t delay_ms);

/* --- registration ---------------------------------------------------------- */

#define GK_JOB_KIND_OPTIONS_VERSION 1

/* How a kind runs in this process. Initialise with GK_JOB_KIND_OPTIONS_INIT
 * or gk_job_kind_options_init, then change fields: fields added by later
 * versions get their defaults that way. */
typedef struct gk_job_kind_options {
    unsigned version;          /* GK_JOB_KIND_OPTIONS_VERSION */
    int concurrency;           /* handlers running at once in this process, 1..1024 (1) */
    int max_attempts;          /* default for jobs enqueued without one, 1..1000 (3) */
    int64_t lease_ms;          /* lease, renewed every third of it while running, 1000..3600000 (30000) */
    int64_t backoff_base_ms;   /* retry delay = uniform[0,1) x min(cap, base x multiplier^(attempt-1)); > 0 (1000) */
    int64_t backoff_cap_ms;    /* >= backoff_base_ms (600000) */
    double backoff_multiplier; /* finite, >= 1 (2.0) */
} gk_job_kind_options;

#define GK_JOB_KIND_OPTIONS_INIT {GK_JOB_KIND_OPTIONS_VERSION, 1, 3, 30000, 1000, 600000, 2.0}

/* Fills *opts with the defaults of `version` (GK_JOB_KIND_OPTIONS_VERSION).
 * GK_EINVALID_ARGUMENT for a NULL opts or a version this library does not
 * know. */
GK_EXPORT int gk_job_kind_options_init(gk_job_kind_options *opts, unsigned version);

/* Registers `handler` for jobs of `kind` (1..100 bytes of UTF-8) in this
 * engine, or replaces the kind's handler while the worker pool is stopped.
 * opts = NULL means the defaults. The handler runs for jobs of the kind
 * claimed by this process: by the worker pool or by "jobs.run_pending".
 * user_data is handed to every call and never freed (see the top of this
 * header for how long it must live).
 * Errors: GK_EINVALID_ARGUMENT for a NULL engine, kind or handler, invalid
 * UTF-8, an unknown opts->version or an option out of range (the message
 * names the field, e.g. "opts->lease_ms"); GK_EFAILED_PRECONDITION when
 * replacing a kind's handler while the pool runs. Thread-safe. */
GK_EXPORT int gk_jobs_register_handler(gk_engine *engine, const char *kind, gk_job_handler_fn handler,
                                       void *user_data, const gk_job_kind_options *opts);

#ifdef __cplusplus
}
#endif

#endif /* GRAMKIT_JOBS_H */
