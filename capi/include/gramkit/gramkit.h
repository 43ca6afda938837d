/*
 * gramkit — C ABI (DESIGN.md §2, §3).
 *
 * The ABI is deliberately tiny: an engine handle, one generic entry point
 * (gk_call) that runs any registered operation with JSON params and returns
 * a JSON result, an event queue, and typed helpers for hot paths added by
 * later releases. `gk_call(e, "meta.operations", NULL, &out)` lists every
 * operation with its params and result shape.
 *
 * Conventions
 *  - Every fallible function returns an int: GK_OK (0) or a negative GK_E*
 *    code. Codes are append-only and never renumbered.
 *  - On failure, gk_last_error() returns a message for the calling thread.
 *    It is owned by the library and valid until the next gk_* call on the
 *    same thread. It never contains secrets.
 *  - Out-parameters are set to NULL on failure, so a caller can always
 *    gk_free() them.
 *  - Every string the library returns through a `char **` is owned by the
 *    caller and must be released with gk_free(). Strings passed in are
 *    borrowed for the duration of the call only and must be UTF-8.
 *  - Thread-safety: a gk_engine may be used from any number of threads at
 *    once, except that gk_engine_close must not race with other calls on the
 *    same engine. No C++ exception ever crosses this boundary.
 */
#ifndef GRAMKIT_GRAMKIT_H
#define GRAMKIT_GRAMKIT_H

#include <stddef.h>
#include <stdint.h>

#if defined(GRAMKIT_C_STATIC)
#define GK_EXPORT
#elif defined(__GNUC__)
#define GK_EXPORT __attribute__((visibility("default")))
#else
#define GK_EXPORT
#endif

#ifdef __cplusplus
extern "C" {
#endif

#define GRAMKIT_VERSION_MAJOR 0
#define GRAMKIT_VERSION_MINOR 1
#define GRAMKIT_VERSION_PATCH 0
#define GRAMKIT_VERSION_STRING "0.1.0"
/* MAJOR * 10000 + MINOR * 100 + PATCH */
#define GRAMKIT_VERSION_NUMBER 100

/* Return codes: the negated values of gramkit::ErrorCode. */
#define GK_OK 0
#define GK_EINVALID_ARGUMENT (-1)
#define GK_ENOT_FOUND (-2)
#define GK_ECONFLICT (-3)
#define GK_EUNAUTHENTICATED (-4)
#define GK_EPERMISSION_DENIED (-5)
#define GK_ERATE_LIMITED (-6)
#define GK_EUPSTREAM (-7)
#define GK_ETIMEOUT (-8)
#define GK_EUNAVAILABLE (-9)
#define GK_EINTERNAL (-10)
#define GK_EFAILED_PRECONDITION (-11)
#define GK_ECANCELLED (-12)
#define GK_EDATA_LOSS (-13)
/* Out of memory (no C++ counterpart: it is an exception there). */
#define GK_ENOMEM (-100)

typedef struct gk_engine gk_engine;

/* Library version string ("0.1.0"); static storage, never freed. */
GK_EXPORT const char *gk_version(void);
/* GRAMKIT_VERSION_NUMBER of the loaded library (compare with the header's). */
GK_EXPORT int gk_version_number(void);

/* The calling thread's last error message ("" if none); library-owned. */
GK_EXPORT const char *gk_last_error(void);
/* The calling thread's last error code (GK_OK if none). */
GK_EXPORT int gk_last_error_code(void);
/* Stable name of a code ("ok", "invalid_argument", ..., "out_of_memory" for
 * GK_ENOMEM; "unknown" otherwise); static storage. */
GK_EXPORT const char *gk_error_name(int code);

/* Opens an engine from a JSON configuration (see docs/c-api.md; NULL or ""
 * means "{}": SQLite and a key file in the current directory). On success
 * *out receives a handle the caller closes with gk_engine_close. */
GK_EXPORT int gk_engine_open(gk_engine **out, const char *config_json);
/* Closes an engine and frees it. Accepts NULL. Threads blocked in
 * gk_next_event on this engine are woken (they return GK_ECANCELLED) and
 * waited for; any other call on the engine must have returned before
 * gk_engine_close starts, and none may start after it. Called from an event
 * callback or a job handler it closes nothing and sets the last error
 * (GK_EFAILED_PRECONDITION): the engine would have to free the thread it
 * runs on. */
GK_EXPORT void gk_engine_close(gk_engine *engine);

/* Runs an operation. params_json: a JSON object, or NULL for "{}".
 * On success *result_json receives a caller-owned JSON document (free with
 * gk_free). Errors: GK_EINVALID_ARGUMENT for NULL arguments, non-UTF-8 or
 * malformed JSON, wrong types and oversized params (the message names the
 * field); GK_ENOT_FOUND for an unknown operation; any other code the
 * operation returns. */
GK_EXPORT int gk_call(gk_engine *engine, const char *op, const char *params_json, char **result_json);

/* Waits up to timeout_ms (0 = just check, <0 = wait indefinitely until the
 * engine is closed) for the next event and returns it as a caller-owned JSON
 * object {"seq","type","at","data","dropped"}; "dropped" counts events this
 * queue lost (oldest first) just before this one because nobody polled.
 * Returns GK_ETIMEOUT with *event_json = NULL when none arrived, and
 * GK_ECANCELLED (*event_json = NULL) once the engine is being closed and
 * every queued event has been taken. */
GK_EXPORT int gk_next_event(gk_engine *engine, int timeout_ms, char **event_json);

/* Called with each event's JSON (borrowed: valid during the call only) on
 * the thread that caused the event, while the library holds the engine's
 * event lock: keep it short. gk_call, gk_set_event_callback and
 * gk_engine_close refuse to run inside it (GK_EFAILED_PRECONDITION) rather
 * than deadlock. Events reach the callback and the gk_next_event queue
 * alike. */
typedef void (*gk_event_callback)(const char *event_json, void *user_data);
/* Sets (or with cb = NULL removes) the engine's single event callback,
 * replacing any previous one. When it returns, the previous callback is not
 * running and will not be called again. */
GK_EXPORT int gk_set_event_callback(gk_engine *engine, gk_event_callback cb, void *user_data);

/* Rate-limit fast path (docs/c-api.md, docs/ratelimit.md): no JSON.
 * `key` is a comma-separated list of request parts ("kind:value"), e.g.
 * "account:42,action:hashtag,endpoint:graphql"; parts are taken verbatim
 * (no trimming) and none may be empty. The request must pass every
 * applicable rule and penalty, for `cost` units (>= 1).
 *  - GK_OK: allowed and consumed; *retry_after_us = 0.
 *  - GK_ERATE_LIMITED: denied, nothing consumed; *retry_after_us = how long
 *    to wait (microseconds) before the same request could pass;
 *    gk_last_error() names the binding rule ("penalty" for a penalty).
 *  - GK_EINVALID_ARGUMENT: NULL engine or key, an empty part, invalid
 *    UTF-8, cost 0 or a cost above an applicable rule's burst.
 *  - GK_EUNAVAILABLE (or another code): the limiter's store failed (e.g.
 *    Redis down with a fail-closed policy).
 * retry_after_us may be NULL; otherwise it is set on every return (0 unless
 * denied). Thread-safe; does not publish events. */
GK_EXPORT int gk_ratelimit_try(gk_engine *engine, const char *key, uint32_t cost, int64_t *retry_after_us);

/* Frees a string returned by the library. Accepts NULL. */
GK_EXPORT void gk_free(void *ptr);

#ifdef __cplusplus
}
#endif

/* Job handlers written in C (gk_jobs_register_handler). */
#include "gramkit/jobs.h"

#endif /* GRAMKIT_GRAMKIT_H */
