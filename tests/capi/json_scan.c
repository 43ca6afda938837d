/* A tiny JSON scanner for the C ABI tests; see json_scan.h. */
#include "json_scan.h"

#include <stdlib.h>
#include <string.h>

#define JSON_MAX_DEPTH 256

static const char *skip_ws(const char *p) {
    while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r') ++p;
    return p;
}

static int is_hex(char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* Returns the position after the string starting at p (which is '"'). */
static const char *skip_string(const char *p) {
    if (*p != '"') return NULL;
    ++p;
    for (;;) {
        unsigned char c = (unsigned char)*p;
        if (c == '\0' || c < 0x20) return NULL;
        if (c == '"') return p + 1;
        if (c == '\\') {
            ++p;
            switch (*p) {
                case '"': case '\\': case '/': case 'b': case 'f': case 'n': case 'r': case 't':
                    ++p;
                    break;
                case 'u':
                    if (!is_hex(p[1]) || !is_hex(p[2]) || !is_hex(p[3]) || !is_hex(p[4])) return NULL;
                    p += 5;
                    break;
                default:
                    return NULL;
            }
            continue;
        }
        ++p;
    }
}

static const char *skip_number(const char *p) {
    if (*p == '-') ++p;
    if (*p == '0') {
        ++p;
    } else if (*p >= '1' && *p <= '9') {
        while (*p >= '0' && *p <= '9') ++p;
    } else {
        return NULL;
    }
    if (*p == '.') {
        ++p;
        if (!(*p >= '0' && *p <= '9')) return NULL;
        while (*p >= '0' && *p <= '9') ++p;
    }
    if (*p == 'e' || *p == 'E') {
        ++p;
        if (*p == '+' || *p == '-') ++p;
        if (!(*p >= '0' && *p <= '9')) return NULL;
        while (*p >= '0' && *p <= '9') ++p;
    }
    return p;
}

/* Returns the position after the value starting at p (no leading space). */
static const char *skip_value(const char *p, int depth) {
    if (depth > JSON_MAX_DEPTH) return NULL;
    switch (*p) {
        case '"':
            return skip_string(p);
        case '{':
            p = skip_ws(p + 1);
            if (*p == '}') return p + 1;
            for (;;) {
                p = skip_string(p);
                if (!p) return NULL;
                p = skip_ws(p);
                if (*p != ':') return NULL;
                p = skip_value(skip_ws(p + 1), depth + 1);
                if (!p) return NULL;
                p = skip_ws(p);
                if (*p == '}') return p + 1;
                if (*p != ',') return NULL;
                p = skip_ws(p + 1);
            }
        case '[':
            p = skip_ws(p + 1);
            if (*p == ']') return p + 1;
            for (;;) {
                p = skip_value(p, depth + 1);
                if (!p) return NULL;
                p = skip_ws(p);
                if (*p == ']') return p + 1;
                if (*p != ',') return NULL;
                p = skip_ws(p + 1);
            }
        case 't':
            return strncmp(p, "true", 4) == 0 ? p + 4 : NULL;
        case 'f':
            return strncmp(p, "false", 5) == 0 ? p + 5 : NULL;
        case 'n':
            return strncmp(p, "null", 4) == 0 ? p + 4 : NULL;
        default:
            return skip_number(p);
    }
}

int json_valid(const char *text) {
    const char *end;
    if (!text) return 0;
    end = skip_value(skip_ws(text), 0);
    return end != NULL && *skip_ws(end) == '\0';
}

const char *json_member(const char *object, const char *key) {
    const char *p;
    size_t key_len = strlen(key);
    if (!object) return NULL;
    p = skip_ws(object);
    if (*p != '{') return NULL;
    p = skip_ws(p + 1);
    if (*p == '}') return NULL;
    for (;;) {
        const char *key_start = p + 1;
        const char *key_end = skip_string(p);
        if (!key_end) return NULL;
        p = skip_ws(key_end);
        if (*p != ':') return NULL;
        p = skip_ws(p + 1);
        if ((size_t)(key_end - 1 - key_start) == key_len && strncmp(key_start, key, key_len) == 0) return p;
        p = skip_value(p, 1);
        if (!p) return NULL;
        p = skip_ws(p);
        if (*p != ',') return NULL;
        p = skip_ws(p + 1);
    }
}

int json_int(const char *object, const char *key, long long *out) {
    const char *v = json_member(object, key);
    char *end;
    long long n;
    if (!v || !(*v == '-' || (*v >= '0' && *v <= '9'))) return 0;
    n = strtoll(v, &end, 10);
    if (*end == '.' || *end == 'e' || *end == 'E') return 0;
    *out = n;
    return 1;
}

int json_str_eq(const char *object, const char *key, const char *expected) {
    const char *v = json_member(object, key);
    size_t n = strlen(expected);
    if (!v || *v != '"') return 0;
    return strncmp(v + 1, expected, n) == 0 && v[1 + n] == '"';
}

int json_is_null(const char *object, const char *key) {
    const char *v = json_member(object, key);
    return v != NULL && strncmp(v, "null", 4) == 0;
}

const char *json_array_at(const char *array, int index) {
    const char *p;
    int i = 0;
    if (!array) return NULL;
    p = skip_ws(array);
    if (*p != '[') return NULL;
    p = skip_ws(p + 1);
    if (*p == ']') return NULL;
    for (;;) {
        if (i == index) return p;
        p = skip_value(p, 1);
        if (!p) return NULL;
        p = skip_ws(p);
        if (*p != ',') return NULL;
        p = skip_ws(p + 1);
        ++i;
    }
}

int json_array_count(const char *array) {
    const char *p;
    int n = 0;
    if (!array) return -1;
    p = skip_ws(array);
    if (*p != '[') return -1;
    p = skip_ws(p + 1);
    if (*p == ']') return 0;
    for (;;) {
        p = skip_value(p, 1);
        if (!p) return -1;
        ++n;
        p = skip_ws(p);
        if (*p == ']') return n;
        if (*p != ',') return -1;
        p = skip_ws(p + 1);
    }
}

int utf8_valid(const char *text) {
    const unsigned char *s = (const unsigned char *)text;
    while (*s) {
        unsigned char lo = 0x80, hi = 0xBF;
        int len, k;
        if (*s < 0x80) {
            ++s;
            continue;
        }
        if (*s >= 0xC2 && *s <= 0xDF) {
            len = 2;
        } else if (*s >= 0xE0 && *s <= 0xEF) {
            len = 3;
            if (*s == 0xE0) lo = 0xA0;
            if (*s == 0xED) hi = 0x9F;
        } else if (*s >= 0xF0 && *s <= 0xF4) {
            len = 4;
            if (*s == 0xF0) lo = 0x90;
            if (*s == 0xF4) hi = 0x8F;
        } else {
            return 0;
        }
        if (s[1] < lo || s[1] > hi) return 0;
        for (k = 2; k < len; ++k)
            if (s[k] < 0x80 || s[k] > 0xBF) return 0;
        s += len;
    }
    return 1;
}
