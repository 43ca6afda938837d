/*
 * A tiny test framework for the C ABI tests (C99): checks that report and
 * carry on, checks that stop the test, the runner behind main(), and the
 * gk_call helpers every C test needs.
 *
 *   <test>            run every test
 *   <test> NAME...    run the named tests
 *   <test> --list     print the test names
 *
 * Prints "N passed, M failed"; the runner returns 1 on failure, 2 when no
 * test matched.
 */
#ifndef GRAMKIT_TESTS_C_TEST_HARNESS_H
#define GRAMKIT_TESTS_C_TEST_HARNESS_H

#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "gramkit/gramkit.h"

/* The key ring the tests' engines read from GK_TEST_KEYS. */
#define TEST_KEYS "k1 AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="

extern const char *g_test_name;
extern int g_test_failed;

/* Prints "file:line: [test] what" and marks the running test failed. */
void report_failure(const char *file, int line, const char *what);

#define CHECK(cond)                                                                  \
    do {                                                                             \
        if (!(cond)) report_failure(__FILE__, __LINE__, "CHECK(" #cond ") failed"); \
    } while (0)

/* Stops the current test when `cond` fails (later steps depend on it). */
#define REQUIRE(cond)                                                        \
    do {                                                                     \
        if (!(cond)) {                                                       \
            report_failure(__FILE__, __LINE__, "REQUIRE(" #cond ") failed"); \
            return;                                                          \
        }                                                                    \
    } while (0)

/* Reports a return code other than `expected`, with both names and the last error. */
void check_rc_at(const char *file, int line, const char *expr, int rc, int expected);
#define CHECK_RC(expr, expected) check_rc_at(__FILE__, __LINE__, #expr, (expr), (expected))

/* Reports a last error message that does not contain `needle`. */
void check_error_mentions_at(const char *file, int line, const char *needle);
#define CHECK_ERROR_MENTIONS(needle) check_error_mentions_at(__FILE__, __LINE__, (needle))

typedef void (*test_fn)(void);
struct test_case {
    const char *name;
    test_fn fn;
};

/* Sets GK_TEST_KEYS and runs the tests the command line selects. */
int run_tests(const struct test_case *tests, size_t count, int argc, char **argv);

void sleep_ms(long ms);

/* Opens an engine on sqlite::memory: with the test keys, no logging; NULL
 * (after reporting) on failure. */
gk_engine *open_memory_engine(void);

/* Runs an operation that must succeed and return valid JSON; returns the
 * result (gk_free it) or NULL after reporting. */
char *call_ok_at(const char *file, int line, gk_engine *e, const char *op, const char *params);
#define call_ok(e, op, params) call_ok_at(__FILE__, __LINE__, (e), (op), (params))

#endif
