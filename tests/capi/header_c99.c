/*
 * Compiles capi/include/gramkit/gramkit.h alone as strict C99
 * (-std=c99 -pedantic -Werror -Wall -Wextra): the header must need nothing
 * but the C standard library. Built as an object only; never run.
 */
#include "gramkit/gramkit.h"

/* Use every declaration once so a typo in a prototype fails here. */
typedef const char *(*gk_version_fn)(void);
typedef int (*gk_version_number_fn)(void);
typedef const char *(*gk_last_error_fn)(void);
typedef int (*gk_last_error_code_fn)(void);
typedef const char *(*gk_error_name_fn)(int);
typedef int (*gk_engine_open_fn)(gk_engine **, const char *);
typedef void (*gk_engine_close_fn)(gk_engine *);
typedef int (*gk_call_fn)(gk_engine *, const char *, const char *, char **);
typedef int (*gk_next_event_fn)(gk_engine *, int, char **);
typedef int (*gk_set_event_callback_fn)(gk_engine *, gk_event_callback, void *);
typedef void (*gk_free_fn)(void *);

struct gramkit_c_abi_table {
    gk_version_fn version;
    gk_version_number_fn version_number;
    gk_last_error_fn last_error;
    gk_last_error_code_fn last_error_code;
    gk_error_name_fn error_name;
    gk_engine_open_fn engine_open;
    gk_engine_close_fn engine_close;
    gk_call_fn call;
    gk_next_event_fn next_event;
    gk_set_event_callback_fn set_event_callback;
    gk_free_fn free_string;
};

const struct gramkit_c_abi_table gramkit_c_abi_table = {
    gk_version, gk_version_number, gk_last_error, gk_last_error_code, gk_error_name, gk_engine_open,
    gk_engine_close, gk_call, gk_next_event, gk_set_event_callback, gk_free,
};

/* The codes are plain int constant expressions. */
typedef char gramkit_codes_are_constants[(GK_OK == 0 && GK_EDATA_LOSS == -13 && GK_ENOMEM == -100) ? 1 : -1];
typedef char gramkit_version_is_a_number[(GRAMKIT_VERSION_NUMBER >= 100) ? 1 : -1];
