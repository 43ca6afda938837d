/*
 * A tiny JSON scanner for the C ABI tests (C99, no dependencies): validates
 * a document and finds members of objects. It is deliberately minimal: it
 * reads what the library writes, nothing more.
 */
#ifndef GRAMKIT_TESTS_JSON_SCAN_H
#define GRAMKIT_TESTS_JSON_SCAN_H

#include <stddef.h>

/* 1 if `text` is exactly one well-formed JSON value (surrounding whitespace
 * allowed), 0 otherwise. */
int json_valid(const char *text);

/* Points at the value of member `key` of the object starting at `object`
 * (leading whitespace allowed); NULL if absent or `object` is no object.
 * Only keys without escapes are compared. */
const char *json_member(const char *object, const char *key);

/* Reads an integer member; returns 1 and sets *out on success. */
int json_int(const char *object, const char *key, long long *out);

/* 1 if member `key` is a string equal to `expected` (no escapes). */
int json_str_eq(const char *object, const char *key, const char *expected);

/* 1 if member `key` is null. */
int json_is_null(const char *object, const char *key);

/* Number of elements of the array starting at `array`; -1 if none. */
int json_array_count(const char *array);

/* Points at element `index` of the array starting at `array`; NULL if out
 * of range. */
const char *json_array_at(const char *array, int index);

/* 1 if `text` is well-formed UTF-8 (RFC 3629), 0 otherwise. */
int utf8_valid(const char *text);

#endif
