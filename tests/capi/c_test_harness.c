/* The C ABI tests' framework (see c_test_harness.h). */
#define _POSIX_C_SOURCE 200809L

#include "c_test_harness.h"

#include <errno.h>
#include <stdlib.h>
#include <time.h>

#include "json_scan.h"

const char *g_test_name = "";
int g_test_failed = 0;

void report_failure(const char *file, int line, const char *what) {
    fprintf(stderr, "%s:%d: [%s] %s\n", file, line, g_test_name, what);
    g_test_failed = 1;
}

void check_rc_at(const char *file, int line, const char *expr, int rc, int expected) {
    char msg[1024];
    if (rc == expected) return;
    snprintf(msg, sizeof msg, "%s returned %d (%s), expected %d (%s); last error: %s", expr, rc, gk_error_name(rc),
             expected, gk_error_name(expected), gk_last_error());
    report_failure(file, line, msg);
}

void check_error_mentions_at(const char *file, int line, const char *needle) {
    char msg[1024];
    if (strstr(gk_last_error(), needle) != NULL) return;
    snprintf(msg, sizeof msg, "last error \"%s\" does not mention \"%s\"", gk_last_error(), needle);
    report_failure(file, line, msg);
}

void sleep_ms(long ms) {
    struct timespec ts;
    ts.tv_sec = ms / 1000;
    ts.tv_nsec = (ms % 1000) * 1000000L;
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

gk_engine *open_memory_engine(void) {
    gk_engine *e = NULL;
    int rc = gk_engine_open(
        &e, "{\"storage_url\":\"sqlite::memory:\",\"key_env\":\"GK_TEST_KEYS\",\"log_level\":\"off\"}");
    if (rc != GK_OK) {
        char msg[1024];
        snprintf(msg, sizeof msg, "gk_engine_open failed: %d %.500s", rc, gk_last_error());
        report_failure(__FILE__, __LINE__, msg);
        return NULL;
    }
    return e;
}

char *call_ok_at(const char *file, int line, gk_engine *e, const char *op, const char *params) {
    char *out = NULL;
    int rc = gk_call(e, op, params, &out);
    if (rc != GK_OK) {
        char msg[1024];
        snprintf(msg, sizeof msg, "gk_call(%s, %.200s) failed: %d %s: %s", op, params ? params : "NULL", rc,
                 gk_error_name(rc), gk_last_error());
        report_failure(file, line, msg);
        gk_free(out);
        return NULL;
    }
    if (out == NULL || !json_valid(out)) {
        char msg[1024];
        snprintf(msg, sizeof msg, "gk_call(%s) returned invalid JSON: %.300s", op, out ? out : "(NULL)");
        report_failure(file, line, msg);
    }
    return out;
}

static int selected(const char *name, int argc, char **argv) {
    int i;
    if (argc <= 1) return 1;
    for (i = 1; i < argc; ++i)
        if (strcmp(argv[i], name) == 0) return 1;
    return 0;
}

int run_tests(const struct test_case *tests, size_t count, int argc, char **argv) {
    size_t i;
    int passed = 0, failed = 0, ran = 0;
    if (argc == 2 && strcmp(argv[1], "--list") == 0) {
        for (i = 0; i < count; ++i) printf("%s\n", tests[i].name);
        return 0;
    }
    if (setenv("GK_TEST_KEYS", TEST_KEYS, 1) != 0) {
        perror("setenv");
        return 2;
    }
    for (i = 0; i < count; ++i) {
        if (!selected(tests[i].name, argc, argv)) continue;
        g_test_name = tests[i].name;
        g_test_failed = 0;
        tests[i].fn();
        ++ran;
        if (g_test_failed) {
            ++failed;
            printf("FAIL %s\n", tests[i].name);
        } else {
            ++passed;
            printf("ok   %s\n", tests[i].name);
        }
        fflush(stdout);
    }
    if (ran == 0) {
        fprintf(stderr, "no test matched\n");
        return 2;
    }
    printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}
