/*
 * Tests of the C ABI (capi/include/gramkit/gramkit.h), written in C99 and
 * linked against the shared library like any C host.
 *
 *   capi_test            run every test
 *   capi_test NAME...    run the named tests
 *   capi_test --list     print the test names
 *
 * Each test opens its own engine on `sqlite::memory:` with the key in the
 * environment (GK_TEST_KEYS), so nothing is written to disk, except the
 * tests that need a database file, which use a fresh directory under
 * $TMPDIR and remove it. Prints "N passed, M failed"; exits 1 on failure.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "c_test_harness.h"
#include "gramkit/gramkit.h"
#include "json_scan.h"

/* ---- helpers ------------------------------------------------------------- */

#define TEST_KEYS_OTHER "k1 ZGVmZ2hpamtsbW5vcHFyc3R1dnd4eXp7fH1+f4CBgoM="

/* Opens an engine on sqlite::memory:; `extra` adds members to the config
 * (",\"event_queue_capacity\":2"), or is "". NULL on failure. */
static gk_engine *open_engine_with(const char *storage_url, const char *extra) {
    char config[1024];
    gk_engine *e = NULL;
    int rc;
    snprintf(config, sizeof config,
             "{\"storage_url\":\"%s\",\"key_env\":\"GK_TEST_KEYS\",\"log_level\":\"off\"%s}", storage_url, extra);
    rc = gk_engine_open(&e, config);
    if (rc != GK_OK) {
        char msg[1024];
        snprintf(msg, sizeof msg, "gk_engine_open(%.400s) failed: %d %.500s", config, rc, gk_last_error());
        report_failure(__FILE__, __LINE__, msg);
        return NULL;
    }
    return e;
}

static gk_engine *open_engine(void) { return open_engine_with("sqlite::memory:", ""); }

/* Runs an operation that must fail with `expected`; checks the out-param
 * is NULL and the message is non-empty. */
static void call_fails_at(const char *file, int line, gk_engine *e, const char *op, const char *params,
                          int expected) {
    char *out = (char *)"sentinel";
    int rc = gk_call(e, op, params, &out);
    if (rc != expected) {
        char msg[1024];
        snprintf(msg, sizeof msg, "gk_call(%s, %.200s) returned %d (%s), expected %d (%s); last error: %s", op,
                 params ? params : "NULL", rc, gk_error_name(rc), expected, gk_error_name(expected),
                 gk_last_error());
        report_failure(file, line, msg);
        if (rc == GK_OK) gk_free(out);
        return;
    }
    if (out != NULL) report_failure(file, line, "result_json was not set to NULL on failure");
    if (gk_last_error_code() != expected) report_failure(file, line, "gk_last_error_code() differs from the return");
    if (gk_last_error()[0] == '\0') report_failure(file, line, "gk_last_error() is empty after a failure");
}
#define call_fails(e, op, params, expected) call_fails_at(__FILE__, __LINE__, (e), (op), (params), (expected))

/* Creates an account; returns its id or -1. */
static long long create_account(gk_engine *e, const char *username) {
    char params[256];
    char *out;
    long long id = -1;
    snprintf(params, sizeof params, "{\"username\":\"%s\",\"password\":\"pw-%s\"}", username, username);
    out = call_ok(e, "accounts.create", params);
    if (out && !json_int(out, "id", &id)) report_failure(__FILE__, __LINE__, "accounts.create result has no id");
    gk_free(out);
    return id;
}

/* Counts every account through keyset pagination (`limit` per page). */
static int count_accounts(gk_engine *e, int limit) {
    long long after = 0;
    int total = 0;
    int pages = 0;
    for (;;) {
        char params[128];
        char *out;
        const char *items;
        int n;
        if (after > 0)
            snprintf(params, sizeof params, "{\"limit\":%d,\"after\":%lld}", limit, after);
        else
            snprintf(params, sizeof params, "{\"limit\":%d}", limit);
        out = call_ok(e, "accounts.list", params);
        if (!out) return -1;
        items = json_member(out, "items");
        n = json_array_count(items);
        if (n < 0) {
            report_failure(__FILE__, __LINE__, "accounts.list result has no items array");
            gk_free(out);
            return -1;
        }
        total += n;
        if (json_is_null(out, "next_after") || json_member(out, "next_after") == NULL) {
            gk_free(out);
            return total;
        }
        if (!json_int(out, "next_after", &after) || ++pages > 10000) {
            report_failure(__FILE__, __LINE__, "accounts.list next_after is neither null nor an integer");
            gk_free(out);
            return -1;
        }
        gk_free(out);
    }
}

/* A fresh directory under $TMPDIR (or /tmp); `dir` receives its path. */
static int make_temp_dir(char *dir, size_t size) {
    const char *base = getenv("TMPDIR");
    if (!base || !*base) base = "/tmp";
    snprintf(dir, size, "%s/gk-capi-XXXXXX", base);
    return mkdtemp(dir) != NULL;
}

/* Removes the files an engine leaves in `dir` and the directory itself. */
static void remove_temp_dir(const char *dir) {
    static const char *const names[] = {"g.db", "g.db-wal", "g.db-shm", "g.db-journal", "gramkit.keys", "gramkit.db"};
    size_t i;
    char path[1024];
    for (i = 0; i < sizeof names / sizeof names[0]; ++i) {
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        unlink(path);
    }
    if (rmdir(dir) != 0) fprintf(stderr, "note: could not remove %s: %s\n", dir, strerror(errno));
}

/* ---- version and error names --------------------------------------------- */

static void test_version(void) {
    CHECK(strcmp(gk_version(), GRAMKIT_VERSION_STRING) == 0);
    CHECK(gk_version_number() == GRAMKIT_VERSION_NUMBER);
    CHECK(GRAMKIT_VERSION_NUMBER ==
          GRAMKIT_VERSION_MAJOR * 10000 + GRAMKIT_VERSION_MINOR * 100 + GRAMKIT_VERSION_PATCH);
}

static void test_error_names(void) {
    static const struct {
        int code;
        const char *name;
    } names[] = {
        {GK_OK, "ok"},
        {GK_EINVALID_ARGUMENT, "invalid_argument"},
        {GK_ENOT_FOUND, "not_found"},
        {GK_ECONFLICT, "conflict"},
        {GK_EUNAUTHENTICATED, "unauthenticated"},
        {GK_EPERMISSION_DENIED, "permission_denied"},
        {GK_ERATE_LIMITED, "rate_limited"},
        {GK_EUPSTREAM, "upstream_error"},
        {GK_ETIMEOUT, "timeout"},
        {GK_EUNAVAILABLE, "unavailable"},
        {GK_EINTERNAL, "internal"},
        {GK_EFAILED_PRECONDITION, "failed_precondition"},
        {GK_ECANCELLED, "cancelled"},
        {GK_EDATA_LOSS, "data_loss"},
        {GK_ENOMEM, "out_of_memory"},
    };
    static const int unknown[] = {1, 2, 100, -14, -99, -101, -1000, -1001, INT_MIN, INT_MAX};
    size_t i;
    for (i = 0; i < sizeof names / sizeof names[0]; ++i) {
        const char *got = gk_error_name(names[i].code);
        if (got == NULL || strcmp(got, names[i].name) != 0) {
            char msg[256];
            snprintf(msg, sizeof msg, "gk_error_name(%d) = \"%s\", expected \"%s\"", names[i].code,
                     got ? got : "(NULL)", names[i].name);
            report_failure(__FILE__, __LINE__, msg);
        }
    }
    for (i = 0; i < sizeof unknown / sizeof unknown[0]; ++i) {
        const char *got = gk_error_name(unknown[i]);
        CHECK(got != NULL && strcmp(got, "unknown") == 0);
    }
    /* Codes are append-only: pin the numbers. */
    CHECK(GK_EINVALID_ARGUMENT == -1 && GK_EDATA_LOSS == -13 && GK_ENOMEM == -100);
}

/* ---- engine open/close ------------------------------------------------------ */

static void test_open_null_out(void) {
    CHECK_RC(gk_engine_open(NULL, "{}"), GK_EINVALID_ARGUMENT);
    CHECK_ERROR_MENTIONS("gk_engine_open");
    CHECK_ERROR_MENTIONS("out must not be NULL");
}

static void test_open_bad_configs(void) {
    static const char *const bad[] = {
        "not json",
        "{",
        "[]",
        "42",
        "null",
        "{\"storage_url\":5}",
        "{\"no_such_key\":1}",
        "{\"storage_url\":\"sqlite::memory:\",\"key_env\":\"GK_TEST_KEYS\",\"log_level\":\"loud\"}",
        "{\"storage_url\":\"\xff\xfe\"}",
        "{\"storage_url\":\"mysql://nope\",\"key_env\":\"GK_TEST_KEYS\",\"log_level\":\"off\"}",
    };
    size_t i;
    for (i = 0; i < sizeof bad / sizeof bad[0]; ++i) {
        gk_engine *e = (gk_engine *)&e; /* a non-NULL sentinel */
        int rc = gk_engine_open(&e, bad[i]);
        if (rc != GK_EINVALID_ARGUMENT || e != NULL || gk_last_error()[0] == '\0') {
            char msg[512];
            snprintf(msg, sizeof msg, "config #%u: rc %d (%s), handle %s, error \"%s\"", (unsigned)i, rc,
                     gk_error_name(rc), e ? "set" : "NULL", gk_last_error());
            report_failure(__FILE__, __LINE__, msg);
            if (rc == GK_OK) gk_engine_close(e);
        }
    }
    {
        gk_engine *e = NULL;
        CHECK_RC(gk_engine_open(&e, "{\"log_level\":7}"), GK_EINVALID_ARGUMENT);
        CHECK_ERROR_MENTIONS("log_level");
        CHECK(e == NULL);
    }
}

static void test_open_missing_key_env(void) {
    gk_engine *e = NULL;
    CHECK_RC(gk_engine_open(&e, "{\"storage_url\":\"sqlite::memory:\",\"key_env\":\"GK_TEST_NO_SUCH_VARIABLE\","
                                "\"log_level\":\"off\"}"),
             GK_EFAILED_PRECONDITION);
    CHECK_ERROR_MENTIONS("GK_TEST_NO_SUCH_VARIABLE");
    CHECK(e == NULL);
}

static void test_open_unavailable_storage(void) {
    gk_engine *e = NULL;
    CHECK_RC(gk_engine_open(&e, "{\"storage_url\":\"sqlite:///nonexistent-gramkit-dir/sub/g.db\","
                                "\"key_env\":\"GK_TEST_KEYS\",\"log_level\":\"off\"}"),
             GK_EUNAVAILABLE);
    CHECK(e == NULL);
}

static void test_close_null(void) {
    gk_engine_close(NULL);
    CHECK(gk_last_error_code() == GK_OK);
}

static void test_open_close_many(void) {
    int i;
    for (i = 0; i < 5; ++i) {
        gk_engine *e = open_engine();
        REQUIRE(e != NULL);
        CHECK(gk_last_error_code() == GK_OK);
        CHECK(strcmp(gk_last_error(), "") == 0);
        gk_engine_close(e);
    }
}

/* ---- gk_call argument checks -------------------------------------------------- */

static void test_call_null_arguments(void) {
    gk_engine *e = open_engine();
    char *out = (char *)"sentinel";
    REQUIRE(e != NULL);

    CHECK_RC(gk_call(NULL, "meta.version", NULL, &out), GK_EINVALID_ARGUMENT);
    CHECK_ERROR_MENTIONS("gk_call: engine must not be NULL");
    CHECK(out == NULL);

    out = (char *)"sentinel";
    CHECK_RC(gk_call(e, NULL, "{}", &out), GK_EINVALID_ARGUMENT);
    CHECK_ERROR_MENTIONS("gk_call: op must not be NULL");
    CHECK(out == NULL);

    CHECK_RC(gk_call(e, "meta.version", "{}", NULL), GK_EINVALID_ARGUMENT);
    CHECK_ERROR_MENTIONS("gk_call: result_json must not be NULL");

    CHECK_RC(gk_call(NULL, NULL, NULL, NULL), GK_EINVALID_ARGUMENT);

    CHECK_RC(gk_next_event(NULL, 0, &out), GK_EINVALID_ARGUMENT);
    CHECK_ERROR_MENTIONS("engine must not be NULL");
    CHECK(out == NULL);
    CHECK_RC(gk_next_event(e, 0, NULL), GK_EINVALID_ARGUMENT);
    CHECK_ERROR_MENTIONS("event_json must not be NULL");
    CHECK_RC(gk_set_event_callback(NULL, NULL, NULL), GK_EINVALID_ARGUMENT);
    CHECK_ERROR_MENTIONS("engine must not be NULL");

    gk_free(NULL);
    gk_engine_close(e);
}

static void test_call_null_params_means_empty_object(void) {
    gk_engine *e = open_engine();
    char *a, *b, *c;
    REQUIRE(e != NULL);
    a = call_ok(e, "meta.version", NULL);
    b = call_ok(e, "meta.version", "{}");
    c = call_ok(e, "meta.version", "  { }  ");
    CHECK(a && b && c && strcmp(a, b) == 0 && strcmp(b, c) == 0);
    if (a) CHECK(json_str_eq(a, "version", GRAMKIT_VERSION_STRING));
    gk_free(a);
    gk_free(b);
    gk_free(c);
    /* An operation with required params reports the missing field. */
    call_fails(e, "accounts.create", NULL, GK_EINVALID_ARGUMENT);
    CHECK_ERROR_MENTIONS("username");
    gk_engine_close(e);
}

static void test_call_bad_json(void) {
    static const char *const bad[] = {
        "{", "}", "nul", "{\"username\":}", "{\"username\":\"a\",}", "{'username':'a'}", "{\"a\":1} trailing",
        "{\"a\":\"unterminated}", "{\"a\":\"\\q\"}", "{\"a\":01}", "{\"a\":\"tab\there\"}",
    };
    gk_engine *e = open_engine();
    size_t i;
    REQUIRE(e != NULL);
    for (i = 0; i < sizeof bad / sizeof bad[0]; ++i) call_fails(e, "accounts.create", bad[i], GK_EINVALID_ARGUMENT);
    gk_engine_close(e);
}

static void test_call_non_object_json(void) {
    static const char *const bad[] = {"[]", "[1,2]", "42", "\"text\"", "null", "true", "-1.5e3"};
    gk_engine *e = open_engine();
    size_t i;
    REQUIRE(e != NULL);
    for (i = 0; i < sizeof bad / sizeof bad[0]; ++i) {
        call_fails(e, "accounts.list", bad[i], GK_EINVALID_ARGUMENT);
        call_fails(e, "meta.version", bad[i], GK_EINVALID_ARGUMENT);
    }
    gk_engine_close(e);
}

static void test_call_wrong_param_types(void) {
    gk_engine *e = open_engine();
    REQUIRE(e != NULL);
    call_fails(e, "accounts.create", "{\"username\":5,\"password\":\"x\"}", GK_EINVALID_ARGUMENT);
    CHECK_ERROR_MENTIONS("username");
    call_fails(e, "accounts.create", "{\"username\":\"alice\",\"password\":[\"x\"]}", GK_EINVALID_ARGUMENT);
    CHECK_ERROR_MENTIONS("password");
    call_fails(e, "accounts.create", "{\"username\":\"alice\",\"password\":\"x\",\"labels\":\"not-a-list\"}",
               GK_EINVALID_ARGUMENT);
    CHECK_ERROR_MENTIONS("labels");
    call_fails(e, "accounts.create", "{\"username\":\"alice\",\"password\":\"x\",\"labels\":[1]}",
               GK_EINVALID_ARGUMENT);
    CHECK_ERROR_MENTIONS("labels");
    call_fails(e, "accounts.get", "{\"id\":\"seven\"}", GK_EINVALID_ARGUMENT);
    CHECK_ERROR_MENTIONS("id");
    call_fails(e, "accounts.get", "{\"id\":1.5}", GK_EINVALID_ARGUMENT);
    CHECK_ERROR_MENTIONS("id");
    call_fails(e, "accounts.get", "{}", GK_EINVALID_ARGUMENT);
    CHECK_ERROR_MENTIONS("id");
    call_fails(e, "accounts.list", "{\"limit\":\"ten\"}", GK_EINVALID_ARGUMENT);
    CHECK_ERROR_MENTIONS("limit");
    call_fails(e, "accounts.list", "{\"limit\":0}", GK_EINVALID_ARGUMENT);
    CHECK_ERROR_MENTIONS("limit");
    call_fails(e, "accounts.list", "{\"status\":\"sleepy\"}", GK_EINVALID_ARGUMENT);
    CHECK_ERROR_MENTIONS("status");
    call_fails(e, "accounts.create", "{\"username\":\"bad name!\",\"password\":\"x\"}", GK_EINVALID_ARGUMENT);
    CHECK_ERROR_MENTIONS("username");
    call_fails(e, "proxies.create", "{\"url\":\"not a url\"}", GK_EINVALID_ARGUMENT);
    call_fails(e, "proxies.create", "{\"url\":\"http://10.0.0.1:8080\",\"max_accounts\":0}", GK_EINVALID_ARGUMENT);
    CHECK_ERROR_MENTIONS("max_accounts");
    call_fails(e, "accounts.set_status", "{\"id\":1,\"status\":\"cooldown\",\"reason\":\"r\",\"until\":\"tomorrow\"}",
               GK_EINVALID_ARGUMENT);
    /* Unknown fields are refused, so typos do not pass silently. */
    call_fails(e, "accounts.list", "{\"limt\":5}", GK_EINVALID_ARGUMENT);
    CHECK_ERROR_MENTIONS("limt");
    gk_engine_close(e);
}

static void test_call_invalid_utf8(void) {
    static const char *const bad[] = {
        "{\"username\":\"\xff\",\"password\":\"x\"}",         /* never valid */
        "{\"username\":\"\xc0\xaf\",\"password\":\"x\"}",     /* overlong '/' */
        "{\"username\":\"\xed\xa0\x80\",\"password\":\"x\"}", /* UTF-16 surrogate */
        "{\"username\":\"\xe2\x82\",\"password\":\"x\"}",     /* truncated */
        "{\"username\":\"\xf4\x90\x80\x80\",\"password\":\"x\"}", /* above U+10FFFF */
        "{\"username\":\"a\",\"password\":\"\x80\"}",         /* lone continuation */
        "{\"a\":1}\xe2",                                      /* truncated at the end */
    };
    gk_engine *e = open_engine();
    size_t i;
    REQUIRE(e != NULL);
    for (i = 0; i < sizeof bad / sizeof bad[0]; ++i) {
        call_fails(e, "accounts.create", bad[i], GK_EINVALID_ARGUMENT);
        CHECK_ERROR_MENTIONS("params_json is not valid UTF-8");
    }
    call_fails(e, "accounts\xff.create", "{}", GK_EINVALID_ARGUMENT);
    CHECK_ERROR_MENTIONS("op is not valid UTF-8");
    call_fails(e, "\xc3", NULL, GK_EINVALID_ARGUMENT);
    CHECK_ERROR_MENTIONS("op is not valid UTF-8");

    /* Valid multi-byte text passes the check (the username rules reject
     * it, naming the field, not the encoding). */
    call_fails(e, "accounts.create", "{\"username\":\"\xc3\xa9t\xc3\xa9\",\"password\":\"p\xe2\x82\xac\xf0\x9f\x98\x80\"}",
               GK_EINVALID_ARGUMENT);
    CHECK(strstr(gk_last_error(), "UTF-8") == NULL);
    CHECK_ERROR_MENTIONS("username");
    gk_engine_close(e);
}

static void test_call_unknown_operation(void) {
    gk_engine *e = open_engine();
    REQUIRE(e != NULL);
    call_fails(e, "no.such.operation", "{}", GK_ENOT_FOUND);
    CHECK_ERROR_MENTIONS("no.such.operation");
    call_fails(e, "accounts.create.extra", "{}", GK_ENOT_FOUND);
    call_fails(e, "ACCOUNTS.CREATE", "{}", GK_ENOT_FOUND);
    call_fails(e, "", "{}", GK_ENOT_FOUND);
    /* A long multi-byte name: the message quotes a prefix of it and must
     * still be valid UTF-8 (a cut inside a character is repaired). */
    {
        char op[200] = "x";
        int i;
        for (i = 0; i < 60; ++i) strcat(op, "\xc3\xa9"); /* e-acute, two bytes each */
        call_fails(e, op, "{}", GK_ENOT_FOUND);
        CHECK(utf8_valid(gk_last_error()));
    }
    gk_engine_close(e);
}

static void test_call_oversized_params(void) {
    gk_engine *e = open_engine_with("sqlite::memory:", ",\"max_params_bytes\":64");
    char big[256];
    REQUIRE(e != NULL);
    /* Exactly at the cap (64 bytes) is fine... */
    memset(big, ' ', sizeof big);
    big[0] = '{';
    big[63] = '}';
    big[64] = '\0';
    {
        char *out = call_ok(e, "meta.version", big);
        gk_free(out);
    }
    /* ...one byte more is not, whatever the content. */
    big[63] = ' ';
    big[64] = '}';
    big[65] = '\0';
    call_fails(e, "meta.version", big, GK_EINVALID_ARGUMENT);
    CHECK_ERROR_MENTIONS("64");
    snprintf(big, sizeof big, "{\"username\":\"%0200d\",\"password\":\"x\"}", 0);
    call_fails(e, "accounts.create", big, GK_EINVALID_ARGUMENT);
    gk_engine_close(e);

    {
        gk_engine *bad = NULL;
        CHECK_RC(gk_engine_open(&bad, "{\"storage_url\":\"sqlite::memory:\",\"key_env\":\"GK_TEST_KEYS\","
                                      "\"log_level\":\"off\",\"max_params_bytes\":1}"),
                 GK_EINVALID_ARGUMENT);
        CHECK_ERROR_MENTIONS("max_params_bytes");
        CHECK(bad == NULL);
    }
}

/* ---- operations and the error codes they reach ----------------------------------- */

static void test_meta_operations(void) {
    static const char *const expected[] = {
        "accounts.create", "accounts.get", "accounts.list", "accounts.update", "accounts.delete",
        "accounts.set_status", "accounts.history", "proxies.create", "proxies.assign", "proxies.delete",
        "sessions.save_cookies", "meta.version", "meta.operations",
    };
    gk_engine *e = open_engine();
    char *out;
    size_t i;
    REQUIRE(e != NULL);
    out = call_ok(e, "meta.operations", NULL);
    REQUIRE(out != NULL);
    for (i = 0; i < sizeof expected / sizeof expected[0]; ++i) {
        char quoted[128];
        snprintf(quoted, sizeof quoted, "\"%s\"", expected[i]);
        if (strstr(out, quoted) == NULL) {
            char msg[256];
            snprintf(msg, sizeof msg, "meta.operations does not list %s", expected[i]);
            report_failure(__FILE__, __LINE__, msg);
        }
    }
    gk_free(out);
    gk_engine_close(e);
}

static void test_account_round_trip(void) {
    gk_engine *e = open_engine();
    char params[512];
    char *out;
    long long id = -1, got_id = -1;
    REQUIRE(e != NULL);

    out = call_ok(e, "accounts.create",
                  "{\"username\":\"round.trip\",\"password\":\"s3cret-pass\",\"email\":\"rt@example.com\","
                  "\"labels\":[\"lab-1\",\"team:a\"]}");
    REQUIRE(out != NULL);
    CHECK(json_int(out, "id", &id) && id > 0);
    CHECK(json_str_eq(out, "username", "round.trip"));
    CHECK(json_member(out, "status") != NULL);
    CHECK(json_array_count(json_member(out, "labels")) == 2);
    CHECK(strstr(out, "s3cret-pass") == NULL); /* secrets never come back */
    gk_free(out);

    snprintf(params, sizeof params, "{\"id\":%lld}", id);
    out = call_ok(e, "accounts.get", params);
    CHECK(out && json_int(out, "id", &got_id) && got_id == id);
    CHECK(out && json_str_eq(out, "username", "round.trip"));
    gk_free(out);

    out = call_ok(e, "accounts.list", "{\"label\":\"lab-1\"}");
    CHECK(out && json_array_count(json_member(out, "items")) == 1);
    gk_free(out);
    out = call_ok(e, "accounts.list", "{\"label\":\"other\"}");
    CHECK(out && json_array_count(json_member(out, "items")) == 0);
    gk_free(out);

    snprintf(params, sizeof params, "{\"id\":%lld,\"labels\":[\"lab-2\"]}", id);
    out = call_ok(e, "accounts.update", params);
    CHECK(out && json_array_count(json_member(out, "labels")) == 1);
    gk_free(out);

    snprintf(params, sizeof params, "{\"id\":%lld,\"status\":\"paused\",\"reason\":\"test pause\"}", id);
    out = call_ok(e, "accounts.set_status", params);
    CHECK(out && json_str_eq(out, "status", "paused"));
    gk_free(out);

    snprintf(params, sizeof params, "{\"id\":%lld}", id);
    out = call_ok(e, "accounts.history", params);
    CHECK(out != NULL);
    gk_free(out);

    out = call_ok(e, "accounts.delete", params);
    gk_free(out);
    call_fails(e, "accounts.get", params, GK_ENOT_FOUND);
    gk_engine_close(e);
}

static void test_error_not_found(void) {
    gk_engine *e = open_engine();
    REQUIRE(e != NULL);
    call_fails(e, "accounts.get", "{\"id\":987654}", GK_ENOT_FOUND);
    CHECK_ERROR_MENTIONS("987654");
    call_fails(e, "accounts.delete", "{\"id\":987654}", GK_ENOT_FOUND);
    call_fails(e, "accounts.history", "{\"id\":987654}", GK_ENOT_FOUND);
    call_fails(e, "accounts.set_status", "{\"id\":987654,\"status\":\"paused\",\"reason\":\"x\"}", GK_ENOT_FOUND);
    call_fails(e, "proxies.delete", "{\"id\":987654}", GK_ENOT_FOUND);
    call_fails(e, "proxies.assign", "{\"account_id\":987654}", GK_ENOT_FOUND);
    gk_engine_close(e);
}

static void test_error_conflict(void) {
    gk_engine *e = open_engine();
    char params[256];
    char *out;
    long long id;
    REQUIRE(e != NULL);
    id = create_account(e, "dup.user");
    REQUIRE(id > 0);
    call_fails(e, "accounts.create", "{\"username\":\"dup.user\",\"password\":\"hunter2-other\"}", GK_ECONFLICT);
    CHECK_ERROR_MENTIONS("dup.user");
    CHECK(strstr(gk_last_error(), "hunter2-other") == NULL); /* never a secret in a message */

    /* An illegal status transition (to the same state) is a conflict too. */
    snprintf(params, sizeof params, "{\"id\":%lld}", id);
    out = call_ok(e, "accounts.get", params);
    REQUIRE(out != NULL);
    {
        const char *status = json_member(out, "status");
        char status_text[64] = "";
        const char *end = status ? strchr(status + 1, '"') : NULL;
        if (status && *status == '"' && end && (size_t)(end - status - 1) < sizeof status_text)
            memcpy(status_text, status + 1, (size_t)(end - status - 1));
        REQUIRE(status_text[0] != '\0');
        snprintf(params, sizeof params, "{\"id\":%lld,\"status\":\"%s\",\"reason\":\"again\"}", id, status_text);
        call_fails(e, "accounts.set_status", params, GK_ECONFLICT);
    }
    gk_free(out);

    out = call_ok(e, "proxies.create", "{\"url\":\"http://10.1.2.3:3128\"}");
    gk_free(out);
    call_fails(e, "proxies.create", "{\"url\":\"http://10.1.2.3:3128\"}", GK_ECONFLICT);
    gk_engine_close(e);
}

static void test_error_unavailable_and_failed_precondition(void) {
    gk_engine *e = open_engine();
    char params[256];
    char *out;
    long long account = -1, proxy = -1;
    REQUIRE(e != NULL);
    account = create_account(e, "needs.proxy");
    REQUIRE(account > 0);

    /* No proxy at all: the pool cannot serve. */
    snprintf(params, sizeof params, "{\"account_id\":%lld}", account);
    call_fails(e, "proxies.assign", params, GK_EUNAVAILABLE);

    out = call_ok(e, "proxies.create", "{\"url\":\"http://user:pw@10.9.8.7:8080\",\"max_accounts\":1}");
    REQUIRE(out != NULL);
    CHECK(json_int(out, "id", &proxy) && proxy > 0);
    CHECK(strstr(out, ":pw@") == NULL); /* the proxy password is a secret */
    gk_free(out);

    out = call_ok(e, "proxies.assign", params);
    CHECK(out != NULL);
    gk_free(out);

    /* Full proxy: a second account finds no room. */
    {
        long long second = create_account(e, "second.one");
        REQUIRE(second > 0);
        snprintf(params, sizeof params, "{\"account_id\":%lld}", second);
        call_fails(e, "proxies.assign", params, GK_EUNAVAILABLE);
    }

    /* A proxy with accounts on it cannot be deleted. */
    snprintf(params, sizeof params, "{\"id\":%lld}", proxy);
    call_fails(e, "proxies.delete", params, GK_EFAILED_PRECONDITION);
    gk_engine_close(e);
}

static void test_sessions_save_cookies(void) {
    gk_engine *e = open_engine();
    char params[512];
    char *out;
    long long id;
    REQUIRE(e != NULL);
    id = create_account(e, "with.cookies");
    REQUIRE(id > 0);
    snprintf(params, sizeof params,
             "{\"account_id\":%lld,\"cookies\":[{\"name\":\"sessionid\",\"value\":\"abc123secret\","
             "\"domain\":\".instagram.com\",\"path\":\"/\"}]}",
             id);
    out = call_ok(e, "sessions.save_cookies", params);
    CHECK(out == NULL || strstr(out, "abc123secret") == NULL);
    gk_free(out);
    call_fails(e, "sessions.save_cookies", "{\"account_id\":987654,\"cookies\":[]}", GK_ENOT_FOUND);
    snprintf(params, sizeof params, "{\"account_id\":%lld,\"cookies\":\"sessionid=1\"}", id);
    call_fails(e, "sessions.save_cookies", params, GK_EINVALID_ARGUMENT);
    CHECK_ERROR_MENTIONS("cookies");
    gk_engine_close(e);
}

/* ---- last error semantics ------------------------------------------------------- */

static void test_last_error_cleared_on_success(void) {
    gk_engine *e = open_engine();
    char *out;
    REQUIRE(e != NULL);
    call_fails(e, "no.such.op", NULL, GK_ENOT_FOUND);
    CHECK(gk_last_error_code() == GK_ENOT_FOUND);
    out = call_ok(e, "meta.version", NULL);
    gk_free(out);
    CHECK(gk_last_error_code() == GK_OK);
    CHECK(strcmp(gk_last_error(), "") == 0);
    gk_engine_close(e);
}

struct thread_error {
    gk_engine *engine;
    int code_before;
    int rc;
    int code_after;
    char message[256];
};

static void *error_in_thread(void *arg) {
    struct thread_error *t = (struct thread_error *)arg;
    char *out = NULL;
    t->code_before = gk_last_error_code();
    t->rc = gk_call(t->engine, "accounts.get", "{\"id\":424242}", &out);
    t->code_after = gk_last_error_code();
    snprintf(t->message, sizeof t->message, "%s", gk_last_error());
    gk_free(out);
    return NULL;
}

static void test_last_error_is_per_thread(void) {
    gk_engine *e = open_engine();
    struct thread_error t;
    pthread_t thread;
    REQUIRE(e != NULL);
    call_fails(e, "no.such.op", NULL, GK_ENOT_FOUND);
    memset(&t, 0, sizeof t);
    t.engine = e;
    REQUIRE(pthread_create(&thread, NULL, error_in_thread, &t) == 0);
    pthread_join(thread, NULL);
    CHECK(t.code_before == GK_OK); /* a new thread starts clean */
    CHECK(t.rc == GK_ENOT_FOUND && t.code_after == GK_ENOT_FOUND);
    CHECK(strstr(t.message, "424242") != NULL);
    /* This thread still has its own error. */
    CHECK(gk_last_error_code() == GK_ENOT_FOUND);
    CHECK_ERROR_MENTIONS("no.such.op");
    gk_engine_close(e);
}

/* ---- events ------------------------------------------------------------------- */

static void test_events_poll(void) {
    gk_engine *e = open_engine();
    char *event = (char *)"sentinel";
    long long id, seq = 0, data_id = -1, dropped = -1;
    REQUIRE(e != NULL);

    CHECK_RC(gk_next_event(e, 0, &event), GK_ETIMEOUT);
    CHECK(event == NULL);
    event = (char *)"sentinel";
    CHECK_RC(gk_next_event(e, 20, &event), GK_ETIMEOUT);
    CHECK(event == NULL);

    id = create_account(e, "evented");
    REQUIRE(id > 0);
    CHECK_RC(gk_next_event(e, 1000, &event), GK_OK);
    REQUIRE(event != NULL);
    CHECK(json_valid(event));
    CHECK(json_str_eq(event, "type", "account.created"));
    CHECK(json_int(event, "seq", &seq) && seq >= 1);
    CHECK(json_member(event, "at") != NULL && *json_member(event, "at") == '"');
    CHECK(json_int(event, "dropped", &dropped) && dropped == 0);
    CHECK(json_int(json_member(event, "data"), "account_id", &data_id) && data_id == id);
    gk_free(event);

    event = (char *)"sentinel";
    CHECK_RC(gk_next_event(e, 0, &event), GK_ETIMEOUT);
    CHECK(event == NULL);
    gk_engine_close(e);
}

static void test_events_overflow_reports_dropped(void) {
    gk_engine *e = open_engine_with("sqlite::memory:", ",\"event_queue_capacity\":2");
    char name[32];
    char *event = NULL;
    long long dropped = -1, total_dropped = 0;
    int i, received = 0;
    REQUIRE(e != NULL);
    for (i = 0; i < 7; ++i) {
        snprintf(name, sizeof name, "overflow%d", i);
        REQUIRE(create_account(e, name) > 0);
    }
    while (gk_next_event(e, 0, &event) == GK_OK) {
        CHECK(json_valid(event));
        CHECK(json_int(event, "dropped", &dropped));
        if (received == 0) CHECK(dropped == 5);
        else CHECK(dropped == 0);
        total_dropped += dropped;
        ++received;
        gk_free(event);
        event = NULL;
    }
    CHECK(received == 2);
    CHECK(total_dropped + received == 7);
    CHECK(gk_last_error_code() == GK_ETIMEOUT);
    gk_engine_close(e);
}

struct callback_log {
    pthread_mutex_t mu;
    int calls;
    int created;
    int invalid_json;
    int nested_rc;
    void *user_data_seen;
};

static void record_event(const char *event_json, void *user_data) {
    struct callback_log *log = (struct callback_log *)user_data;
    pthread_mutex_lock(&log->mu);
    ++log->calls;
    log->user_data_seen = user_data;
    if (!json_valid(event_json)) ++log->invalid_json;
    if (json_str_eq(event_json, "type", "account.created")) ++log->created;
    pthread_mutex_unlock(&log->mu);
}

static gk_engine *g_nested_engine = NULL;

static void call_back_into_engine(const char *event_json, void *user_data) {
    struct callback_log *log = (struct callback_log *)user_data;
    char *out = NULL;
    (void)event_json;
    log->nested_rc = gk_call(g_nested_engine, "meta.version", NULL, &out);
    gk_free(out);
    ++log->calls;
}

static void test_event_callback(void) {
    gk_engine *e = open_engine();
    struct callback_log first, second;
    memset(&first, 0, sizeof first);
    memset(&second, 0, sizeof second);
    pthread_mutex_init(&first.mu, NULL);
    pthread_mutex_init(&second.mu, NULL);
    REQUIRE(e != NULL);

    CHECK_RC(gk_set_event_callback(e, record_event, &first), GK_OK);
    REQUIRE(create_account(e, "cb.one") > 0);
    REQUIRE(create_account(e, "cb.two") > 0);
    CHECK(first.calls == 2 && first.created == 2 && first.invalid_json == 0);
    CHECK(first.user_data_seen == &first);

    /* Replacing: only the new callback runs. */
    CHECK_RC(gk_set_event_callback(e, record_event, &second), GK_OK);
    REQUIRE(create_account(e, "cb.three") > 0);
    CHECK(first.calls == 2);
    CHECK(second.calls == 1 && second.created == 1);

    /* Removing: nobody runs; removing twice is fine. */
    CHECK_RC(gk_set_event_callback(e, NULL, NULL), GK_OK);
    CHECK_RC(gk_set_event_callback(e, NULL, NULL), GK_OK);
    REQUIRE(create_account(e, "cb.four") > 0);
    CHECK(first.calls == 2 && second.calls == 1);

    /* The poll queue saw every event regardless of callbacks. */
    {
        char *event = NULL;
        int polled = 0;
        while (gk_next_event(e, 0, &event) == GK_OK) {
            ++polled;
            gk_free(event);
        }
        CHECK(polled == 4);
    }

    /* A callback that calls gk_call gets an error instead of a deadlock. */
    {
        struct callback_log nested;
        memset(&nested, 0, sizeof nested);
        g_nested_engine = e;
        CHECK_RC(gk_set_event_callback(e, call_back_into_engine, &nested), GK_OK);
        REQUIRE(create_account(e, "cb.nested") > 0);
        CHECK(nested.calls == 1);
        CHECK(nested.nested_rc == GK_EFAILED_PRECONDITION);
        /* ...and the outer call still reports plain success. */
        CHECK(gk_last_error_code() == GK_OK);
        g_nested_engine = NULL;
    }

    /* Closing with a callback registered is fine. */
    CHECK_RC(gk_set_event_callback(e, record_event, &first), GK_OK);
    gk_engine_close(e);
    pthread_mutex_destroy(&first.mu);
    pthread_mutex_destroy(&second.mu);
}

struct blocking_poll {
    gk_engine *engine;
    int timeout_ms;
    int rc;
    char *event;
};

/* Counts poller threads that are about to call gk_next_event. */
static pthread_mutex_t g_pollers_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t g_pollers_cv = PTHREAD_COND_INITIALIZER;
static int g_pollers_started = 0;

static void *poll_in_thread(void *arg) {
    struct blocking_poll *p = (struct blocking_poll *)arg;
    pthread_mutex_lock(&g_pollers_mu);
    ++g_pollers_started;
    pthread_cond_broadcast(&g_pollers_cv);
    pthread_mutex_unlock(&g_pollers_mu);
    p->rc = gk_next_event(p->engine, p->timeout_ms, &p->event);
    return NULL;
}

/* Waits until `n` pollers started, then gives them time to block inside
 * gk_next_event (the ABI offers no way to observe that directly). */
static void wait_for_pollers(int n) {
    pthread_mutex_lock(&g_pollers_mu);
    while (g_pollers_started < n) pthread_cond_wait(&g_pollers_cv, &g_pollers_mu);
    g_pollers_started = 0;
    pthread_mutex_unlock(&g_pollers_mu);
    sleep_ms(200);
}

static void test_next_event_waits_for_an_event(void) {
    gk_engine *e = open_engine();
    struct blocking_poll p;
    pthread_t thread;
    REQUIRE(e != NULL);
    memset(&p, 0, sizeof p);
    p.engine = e;
    p.timeout_ms = -1;
    REQUIRE(pthread_create(&thread, NULL, poll_in_thread, &p) == 0);
    wait_for_pollers(1);
    REQUIRE(create_account(e, "wake.up") > 0);
    pthread_join(thread, NULL);
    CHECK(p.rc == GK_OK);
    CHECK(p.event != NULL && json_str_eq(p.event, "type", "account.created"));
    gk_free(p.event);
    gk_engine_close(e);
}

static void test_close_wakes_blocked_poller(void) {
    gk_engine *e = open_engine();
    struct blocking_poll p[2];
    pthread_t threads[2];
    int i;
    REQUIRE(e != NULL);
    memset(p, 0, sizeof p);
    for (i = 0; i < 2; ++i) {
        p[i].engine = e;
        p[i].timeout_ms = i == 0 ? -1 : 600000;
        p[i].event = (char *)"sentinel";
        REQUIRE(pthread_create(&threads[i], NULL, poll_in_thread, &p[i]) == 0);
    }
    /* gk_engine_close may only race with threads already inside
     * gk_next_event, so they must be blocked there first. */
    wait_for_pollers(2);
    gk_engine_close(e);
    for (i = 0; i < 2; ++i) {
        pthread_join(threads[i], NULL);
        CHECK(p[i].rc == GK_ECANCELLED);
        CHECK(p[i].event == NULL);
    }
}

/* ---- concurrency ---------------------------------------------------------------- */

#define CONC_THREADS 8
#define CONC_ACCOUNTS 25

struct worker {
    gk_engine *engine;
    int index;
    int ok;
    int failed;
    char first_error[256];
};

static void *concurrent_worker(void *arg) {
    struct worker *w = (struct worker *)arg;
    int i;
    for (i = 0; i < CONC_ACCOUNTS; ++i) {
        char params[256];
        char *out = NULL;
        int rc;
        long long id = -1;
        snprintf(params, sizeof params, "{\"username\":\"worker%d_acct%d\",\"password\":\"pw%d\",\"labels\":[\"w%d\"]}",
                 w->index, i, i, w->index);
        rc = gk_call(w->engine, "accounts.create", params, &out);
        if (rc == GK_OK && out && json_valid(out) && json_int(out, "id", &id)) {
            ++w->ok;
        } else {
            if (w->failed++ == 0) snprintf(w->first_error, sizeof w->first_error, "create: %d %s", rc, gk_last_error());
        }
        gk_free(out);
        out = NULL;

        snprintf(params, sizeof params, "{\"id\":%lld}", id);
        rc = gk_call(w->engine, "accounts.get", params, &out);
        if (rc == GK_OK && out && json_valid(out)) ++w->ok;
        else if (w->failed++ == 0) snprintf(w->first_error, sizeof w->first_error, "get: %d %s", rc, gk_last_error());
        gk_free(out);
        out = NULL;

        rc = gk_call(w->engine, "accounts.list", "{\"limit\":20}", &out);
        if (rc == GK_OK && out && json_valid(out)) ++w->ok;
        else if (w->failed++ == 0) snprintf(w->first_error, sizeof w->first_error, "list: %d %s", rc, gk_last_error());
        gk_free(out);
    }
    return NULL;
}

static void run_concurrent(gk_engine *e) {
    pthread_t threads[CONC_THREADS];
    struct worker workers[CONC_THREADS];
    int i, ok = 0, failed = 0, created_events = 0;
    char *event = NULL;
    memset(workers, 0, sizeof workers);
    for (i = 0; i < CONC_THREADS; ++i) {
        workers[i].engine = e;
        workers[i].index = i;
        REQUIRE(pthread_create(&threads[i], NULL, concurrent_worker, &workers[i]) == 0);
    }
    for (i = 0; i < CONC_THREADS; ++i) {
        pthread_join(threads[i], NULL);
        ok += workers[i].ok;
        failed += workers[i].failed;
        if (workers[i].failed) fprintf(stderr, "worker %d: %s\n", i, workers[i].first_error);
    }
    CHECK(failed == 0);
    CHECK(ok == CONC_THREADS * CONC_ACCOUNTS * 3);
    CHECK(count_accounts(e, 7) == CONC_THREADS * CONC_ACCOUNTS);
    CHECK(count_accounts(e, 1000) == CONC_THREADS * CONC_ACCOUNTS);
    {
        char *out = call_ok(e, "accounts.list", "{\"label\":\"w3\",\"limit\":100}");
        CHECK(out && json_array_count(json_member(out, "items")) == CONC_ACCOUNTS);
        gk_free(out);
    }
    while (gk_next_event(e, 0, &event) == GK_OK) {
        if (json_str_eq(event, "type", "account.created")) ++created_events;
        gk_free(event);
        event = NULL;
    }
    CHECK(created_events == CONC_THREADS * CONC_ACCOUNTS);
}

static void test_concurrent_calls_memory(void) {
    gk_engine *e = open_engine();
    REQUIRE(e != NULL);
    run_concurrent(e);
    gk_engine_close(e);
}

static void test_concurrent_calls_file(void) {
    char dir[512], url[600];
    gk_engine *e;
    REQUIRE(make_temp_dir(dir, sizeof dir));
    snprintf(url, sizeof url, "sqlite://%s/g.db", dir);
    e = open_engine_with(url, ",\"storage_pool_size\":4");
    if (e != NULL) {
        run_concurrent(e);
        gk_engine_close(e);
    }
    remove_temp_dir(dir);
}

/* ---- data loss: secrets stored under another key ------------------------------- */

static void test_error_data_loss(void) {
    char dir[512], url[600], params[512];
    gk_engine *e;
    long long id = -1;
    REQUIRE(make_temp_dir(dir, sizeof dir));
    snprintf(url, sizeof url, "sqlite://%s/g.db", dir);
    e = open_engine_with(url, "");
    if (e != NULL) {
        char *out;
        id = create_account(e, "key.victim");
        snprintf(params, sizeof params,
                 "{\"account_id\":%lld,\"cookies\":[{\"name\":\"sessionid\",\"value\":\"victim-cookie\","
                 "\"domain\":\".instagram.com\"}]}",
                 id);
        out = call_ok(e, "sessions.save_cookies", params);
        gk_free(out);
        snprintf(params, sizeof params, "{\"account_id\":%lld}", id);
        out = call_ok(e, "sessions.cookies", params);
        /* Names come back, values (secrets) never do. */
        CHECK(out != NULL && strstr(out, "sessionid") != NULL && strstr(out, "victim-cookie") == NULL);
        gk_free(out);
        gk_engine_close(e);
    }
    /* Same key id, different key bytes: the stored cookie jar no longer
     * authenticates, and the engine says so instead of returning garbage. */
    setenv("GK_TEST_KEYS", TEST_KEYS_OTHER, 1);
    e = open_engine_with(url, "");
    setenv("GK_TEST_KEYS", TEST_KEYS, 1);
    if (e != NULL && id > 0) {
        snprintf(params, sizeof params, "{\"account_id\":%lld}", id);
        call_fails(e, "sessions.cookies", params, GK_EDATA_LOSS);
        CHECK(strstr(gk_last_error(), "victim-cookie") == NULL);
    }
    gk_engine_close(e);
    remove_temp_dir(dir);
}

static void test_open_corrupt_database_is_data_loss(void) {
    char dir[512], path[600], config[900];
    gk_engine *e = NULL;
    FILE *f;
    REQUIRE(make_temp_dir(dir, sizeof dir));
    snprintf(path, sizeof path, "%s/g.db", dir);
    f = fopen(path, "wb");
    if (f != NULL) {
        static const char garbage[] = "this is not an SQLite database, just some bytes that are long enough";
        size_t i;
        for (i = 0; i < 64; ++i) fwrite(garbage, 1, sizeof garbage - 1, f);
        fclose(f);
        snprintf(config, sizeof config,
                 "{\"storage_url\":\"sqlite://%s\",\"key_env\":\"GK_TEST_KEYS\",\"log_level\":\"off\"}", path);
        CHECK_RC(gk_engine_open(&e, config), GK_EDATA_LOSS);
        CHECK(e == NULL);
        gk_engine_close(e);
    } else {
        report_failure(__FILE__, __LINE__, "cannot create the test file");
    }
    remove_temp_dir(dir);
}

static void test_error_failed_precondition_and_unavailable_sessions(void) {
    gk_engine *e = open_engine();
    char params[128];
    long long id;
    REQUIRE(e != NULL);
    /* Keys came from the environment: the vault cannot add one. */
    call_fails(e, "vault.add_key", NULL, GK_EFAILED_PRECONDITION);
    CHECK_ERROR_MENTIONS("environment");
    /* Nothing to check out, and nothing checked out to check in. */
    call_fails(e, "sessions.checkout", NULL, GK_EUNAVAILABLE);
    id = create_account(e, "not.out");
    REQUIRE(id > 0);
    snprintf(params, sizeof params, "{\"account_id\":%lld}", id);
    call_fails(e, "sessions.checkin", params, GK_EFAILED_PRECONDITION);
    gk_engine_close(e);
}

/* ---- gk_ratelimit_try ---------------------------------------------------------- */

#define RL_ONE_RULE                                                                             \
    "{\"rules\":[{\"name\":\"t\",\"rate\":1,\"period_ms\":3600000,\"burst\":2,\"match\":[\"account\"]}]}"

/* An engine whose only rule is "t": 1 per hour per account, burst 2. */
static gk_engine *open_ratelimited_engine(void) {
    gk_engine *e = open_engine();
    char *out;
    if (e == NULL) return NULL;
    out = call_ok(e, "ratelimit.policies.set", RL_ONE_RULE);
    gk_free(out);
    return e;
}

static void test_ratelimit_try_burst_then_denied(void) {
    gk_engine *e = open_ratelimited_engine();
    int64_t retry = -1;
    REQUIRE(e != NULL);
    CHECK_RC(gk_ratelimit_try(e, "account:42,action:hashtag,endpoint:graphql", 1, &retry), GK_OK);
    CHECK(retry == 0);
    CHECK(strcmp(gk_last_error(), "") == 0);
    retry = -1;
    CHECK_RC(gk_ratelimit_try(e, "account:42,action:hashtag", 1, &retry), GK_OK);
    CHECK(retry == 0);
    /* Burst spent: denied, about one emission interval (1 h) to wait. */
    retry = -1;
    CHECK_RC(gk_ratelimit_try(e, "account:42", 1, &retry), GK_ERATE_LIMITED);
    CHECK(retry > 0);
    CHECK(retry > 3500LL * 1000000LL && retry <= 3600LL * 1000000LL);
    CHECK(gk_last_error_code() == GK_ERATE_LIMITED);
    CHECK_ERROR_MENTIONS("rule 't'");
    CHECK_ERROR_MENTIONS("account:42");
    /* Denial consumed nothing and repeats; NULL retry_after_us is allowed. */
    CHECK_RC(gk_ratelimit_try(e, "account:42", 1, NULL), GK_ERATE_LIMITED);
    CHECK_ERROR_MENTIONS("rule 't'");
    /* Another account has its own bucket; a request no rule applies to passes. */
    CHECK_RC(gk_ratelimit_try(e, "account:43", 2, NULL), GK_OK);
    CHECK_RC(gk_ratelimit_try(e, "account:43", 1, NULL), GK_ERATE_LIMITED);
    CHECK_RC(gk_ratelimit_try(e, "action:hashtag", 1, NULL), GK_OK);
    /* The JSON path sees the same state. */
    {
        char *out = call_ok(e, "ratelimit.check", "{\"parts\":[\"account:42\"]}");
        CHECK(out != NULL && strstr(out, "\"allowed\":false") != NULL);
        gk_free(out);
    }
    /* After a reset the account is back to full. */
    gk_free(call_ok(e, "ratelimit.reset", "{\"parts\":[\"account:42\"]}"));
    retry = -1;
    CHECK_RC(gk_ratelimit_try(e, "account:42", 2, &retry), GK_OK);
    CHECK(retry == 0);
    gk_engine_close(e);
}

static void test_ratelimit_try_cost_above_burst_and_zero(void) {
    gk_engine *e = open_ratelimited_engine();
    int64_t retry = -1;
    REQUIRE(e != NULL);
    CHECK_RC(gk_ratelimit_try(e, "account:1", 3, &retry), GK_EINVALID_ARGUMENT);
    CHECK(retry == 0);
    CHECK_RC(gk_ratelimit_try(e, "account:1", 0, &retry), GK_EINVALID_ARGUMENT);
    /* Neither consumed anything. */
    CHECK_RC(gk_ratelimit_try(e, "account:1", 2, &retry), GK_OK);
    gk_engine_close(e);
}

static void test_ratelimit_try_penalty(void) {
    gk_engine *e = open_ratelimited_engine();
    int64_t retry = -1;
    REQUIRE(e != NULL);
    gk_free(call_ok(e, "ratelimit.penalize", "{\"part\":\"proxy:7\",\"until\":\"2999-01-01T00:00:00Z\"}"));
    CHECK_RC(gk_ratelimit_try(e, "account:5,proxy:7", 1, &retry), GK_ERATE_LIMITED);
    CHECK(retry > 0);
    CHECK_ERROR_MENTIONS("penalty");
    CHECK_RC(gk_ratelimit_try(e, "account:5,proxy:8", 1, &retry), GK_OK);
    CHECK(retry == 0);
    gk_engine_close(e);
}

static void test_ratelimit_try_bad_arguments(void) {
    gk_engine *e = open_ratelimited_engine();
    int64_t retry = -1;
    REQUIRE(e != NULL);
    CHECK_RC(gk_ratelimit_try(NULL, "account:1", 1, &retry), GK_EINVALID_ARGUMENT);
    CHECK(retry == 0);
    CHECK_ERROR_MENTIONS("engine");
    retry = -1;
    CHECK_RC(gk_ratelimit_try(e, NULL, 1, &retry), GK_EINVALID_ARGUMENT);
    CHECK(retry == 0);
    CHECK_ERROR_MENTIONS("key");
    CHECK_RC(gk_ratelimit_try(NULL, NULL, 1, NULL), GK_EINVALID_ARGUMENT);
    CHECK_RC(gk_ratelimit_try(e, "", 1, NULL), GK_EINVALID_ARGUMENT);
    CHECK_ERROR_MENTIONS("empty part");
    CHECK_RC(gk_ratelimit_try(e, "account:1,", 1, NULL), GK_EINVALID_ARGUMENT);
    CHECK_RC(gk_ratelimit_try(e, ",account:1", 1, NULL), GK_EINVALID_ARGUMENT);
    CHECK_RC(gk_ratelimit_try(e, "account:1,,action:x", 1, NULL), GK_EINVALID_ARGUMENT);
    CHECK_RC(gk_ratelimit_try(e, "account:\xff", 1, NULL), GK_EINVALID_ARGUMENT);
    CHECK_ERROR_MENTIONS("UTF-8");
    /* None of the refused calls consumed anything. */
    CHECK_RC(gk_ratelimit_try(e, "account:1", 2, NULL), GK_OK);
    gk_engine_close(e);
}

/* ---- main ----------------------------------------------------------------------- */

static const struct test_case g_tests[] = {
    {"version", test_version},
    {"error_names", test_error_names},
    {"open_null_out", test_open_null_out},
    {"open_bad_configs", test_open_bad_configs},
    {"open_missing_key_env", test_open_missing_key_env},
    {"open_unavailable_storage", test_open_unavailable_storage},
    {"close_null", test_close_null},
    {"open_close_many", test_open_close_many},
    {"call_null_arguments", test_call_null_arguments},
    {"call_null_params_means_empty_object", test_call_null_params_means_empty_object},
    {"call_bad_json", test_call_bad_json},
    {"call_non_object_json", test_call_non_object_json},
    {"call_wrong_param_types", test_call_wrong_param_types},
    {"call_invalid_utf8", test_call_invalid_utf8},
    {"call_unknown_operation", test_call_unknown_operation},
    {"call_oversized_params", test_call_oversized_params},
    {"meta_operations", test_meta_operations},
    {"account_round_trip", test_account_round_trip},
    {"error_not_found", test_error_not_found},
    {"error_conflict", test_error_conflict},
    {"error_unavailable_and_failed_precondition", test_error_unavailable_and_failed_precondition},
    {"error_data_loss", test_error_data_loss},
    {"open_corrupt_database_is_data_loss", test_open_corrupt_database_is_data_loss},
    {"error_failed_precondition_and_unavailable_sessions", test_error_failed_precondition_and_unavailable_sessions},
    {"sessions_save_cookies", test_sessions_save_cookies},
    {"last_error_cleared_on_success", test_last_error_cleared_on_success},
    {"last_error_is_per_thread", test_last_error_is_per_thread},
    {"events_poll", test_events_poll},
    {"events_overflow_reports_dropped", test_events_overflow_reports_dropped},
    {"event_callback", test_event_callback},
    {"next_event_waits_for_an_event", test_next_event_waits_for_an_event},
    {"close_wakes_blocked_poller", test_close_wakes_blocked_poller},
    {"concurrent_calls_memory", test_concurrent_calls_memory},
    {"concurrent_calls_file", test_concurrent_calls_file},
    {"ratelimit_try_burst_then_denied", test_ratelimit_try_burst_then_denied},
    {"ratelimit_try_cost_above_burst_and_zero", test_ratelimit_try_cost_above_burst_and_zero},
    {"ratelimit_try_penalty", test_ratelimit_try_penalty},
    {"ratelimit_try_bad_arguments", test_ratelimit_try_bad_arguments},
};

int main(int argc, char **argv) { return run_tests(g_tests, sizeof g_tests / sizeof g_tests[0], argc, argv); }
