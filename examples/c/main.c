/*
 * gramkit from C: open an engine, register an account, list accounts and
 * handle an error (a duplicate username).
 *
 *   gramkit_c_example [DATA_DIR]
 *
 * Without DATA_DIR the example works in a fresh temporary directory and
 * removes it at the end. The engine creates its database and key file
 * there (DESIGN.md §5: back the key file up in real deployments).
 */
#define _POSIX_C_SOURCE 200809L

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gramkit/gramkit.h"

/* Prints the failed step with the library's code name and message. */
static int report(const char *what, int rc) {
    fprintf(stderr, "%s failed: %s (%d): %s\n", what, gk_error_name(rc), rc, gk_last_error());
    return rc;
}

static void remove_data_dir(const char *dir) {
    static const char *const files[] = {"gramkit.db", "gramkit.db-wal", "gramkit.db-shm", "gramkit.keys"};
    char path[1100];
    size_t i;
    for (i = 0; i < sizeof files / sizeof files[0]; ++i) {
        snprintf(path, sizeof path, "%s/%s", dir, files[i]);
        unlink(path);
    }
    rmdir(dir);
}

static int run(const char *dir) {
    char config[1200];
    gk_engine *engine = NULL;
    char *result = NULL;
    int rc;

    printf("gramkit %s (header %s)\n", gk_version(), GRAMKIT_VERSION_STRING);
    if (gk_version_number() != GRAMKIT_VERSION_NUMBER)
        fprintf(stderr, "note: the loaded library is not the version this program was built with\n");

    /* Strings going in are JSON; a real host would escape `dir`. */
    snprintf(config, sizeof config, "{\"data_dir\":\"%s\",\"log_level\":\"error\"}", dir);
    rc = gk_engine_open(&engine, config);
    if (rc != GK_OK) return report("gk_engine_open", rc);

    /* 1. Register an account. The password is encrypted at rest and never
     *    returned. */
    rc = gk_call(engine, "accounts.create",
                 "{\"username\":\"example.bot\",\"password\":\"correct horse\",\"labels\":[\"demo\"]}", &result);
    if (rc != GK_OK) {
        report("accounts.create", rc);
        gk_engine_close(engine);
        return rc;
    }
    printf("created: %s\n", result);
    gk_free(result);
    result = NULL;

    /* 2. List accounts (one page; pass "next_after" back as "after"). */
    rc = gk_call(engine, "accounts.list", "{\"limit\":10}", &result);
    if (rc != GK_OK) {
        report("accounts.list", rc);
        gk_engine_close(engine);
        return rc;
    }
    printf("accounts: %s\n", result);
    gk_free(result);
    result = NULL;

    /* 3. Handle an error: the username is taken. The code says what kind of
     *    failure it is, gk_last_error() says what happened. */
    rc = gk_call(engine, "accounts.create", "{\"username\":\"example.bot\",\"password\":\"another\"}", &result);
    if (rc == GK_ECONFLICT) {
        printf("expected error: %s: %s\n", gk_error_name(rc), gk_last_error());
    } else {
        if (rc == GK_OK) gk_free(result);
        fprintf(stderr, "a duplicate username should be a conflict, got %s\n", gk_error_name(rc));
        gk_engine_close(engine);
        return rc == GK_OK ? GK_EINTERNAL : rc;
    }

    /* 4. Events: the account creation above is waiting in the queue. */
    rc = gk_next_event(engine, 0, &result);
    if (rc == GK_OK) {
        printf("event: %s\n", result);
        gk_free(result);
    } else {
        report("gk_next_event", rc);
    }

    gk_engine_close(engine);
    return rc == GK_OK ? 0 : rc;
}

int main(int argc, char **argv) {
    char temp[512];
    const char *dir;
    int rc;
    if (argc > 1) {
        dir = argv[1];
    } else {
        const char *base = getenv("TMPDIR");
        snprintf(temp, sizeof temp, "%s/gramkit-c-example-XXXXXX", base && *base ? base : "/tmp");
        if (mkdtemp(temp) == NULL) {
            perror("mkdtemp");
            return 1;
        }
        dir = temp;
    }
    rc = run(dir);
    if (argc <= 1) remove_data_dir(temp);
    return rc == 0 ? 0 : 1;
}
