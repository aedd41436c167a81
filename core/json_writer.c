/* json_writer.c — see json_writer.h. */
#include "json_writer.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void put(mxi_json *j, const char *s, size_t n) {
    if (j->len + n + 1 > j->cap) {
        while (j->len + n + 1 > j->cap) j->cap = j->cap ? j->cap * 2 : 4096;
        j->buf = realloc(j->buf, j->cap);
    }
    memcpy(j->buf + j->len, s, n);
    j->len += n;
    j->buf[j->len] = 0;
}

static void puts_(mxi_json *j, const char *s) { put(j, s, strlen(s)); }

/* comma before a value unless it follows a key */
static void value_prefix(mxi_json *j) {
    if (j->after_key) {
        j->after_key = 0;
        return;
    }
    if (j->need_comma[j->depth]) put(j, ",", 1);
    j->need_comma[j->depth] = 1;
}

void mxi_json_init(mxi_json *j) {
    memset(j, 0, sizeof *j);
    put(j, "", 0);
}

static void open_(mxi_json *j, const char *c) {
    value_prefix(j);
    puts_(j, c);
    if (j->depth < 63) j->depth++;
    j->need_comma[j->depth] = 0;
}

static void close_(mxi_json *j, const char *c) {
    if (j->depth > 0) j->depth--;
    puts_(j, c);
}

void mxi_json_begin_object(mxi_json *j) { open_(j, "{"); }
void mxi_json_end_object(mxi_json *j) { close_(j, "}"); }
void mxi_json_begin_array(mxi_json *j) { open_(j, "["); }
void mxi_json_end_array(mxi_json *j) { close_(j, "]"); }

void mxi_json_string_n(mxi_json *j, const char *s, size_t n) {
    value_prefix(j);
    put(j, "\"", 1);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        char esc[8];
        if (c == '"' || c == '\\') {
            esc[0] = '\\';
            esc[1] = (char)c;
            put(j, esc, 2);
        } else if (c == '\n') {
            put(j, "\\n", 2);
        } else if (c == '\t') {
            put(j, "\\t", 2);
        } else if (c < 0x20) {
            snprintf(esc, sizeof esc, "\\u%04x", c);
            put(j, esc, 6);
        } else {
            put(j, (const char *)&s[i], 1);
        }
    }
    put(j, "\"", 1);
}

void mxi_json_string(mxi_json *j, const char *s) { mxi_json_string_n(j, s, strlen(s)); }

void mxi_json_key(mxi_json *j, const char *key) {
    mxi_json_string(j, key);
    put(j, ":", 1);
    j->after_key = 1;
}

void mxi_json_int(mxi_json *j, int64_t v) {
    char b[32];
    value_prefix(j);
    snprintf(b, sizeof b, "%lld", (long long)v);
    puts_(j, b);
}

void mxi_json_double(mxi_json *j, double v) {
    char b[40];
    value_prefix(j);
    if (isinf(v)) snprintf(b, sizeof b, "%s", v > 0 ? "1e308" : "-1e308");
    else if (isnan(v)) snprintf(b, sizeof b, "null");
    else snprintf(b, sizeof b, "%.17g", v);
    puts_(j, b);
}

void mxi_json_bool(mxi_json *j, int v) {
    value_prefix(j);
    puts_(j, v ? "true" : "false");
}

void mxi_json_null(mxi_json *j) {
    value_prefix(j);
    puts_(j, "null");
}

void mxi_json_raw(mxi_json *j, const char *raw) {
    value_prefix(j);
    puts_(j, raw);
}

char *mxi_json_take(mxi_json *j) {
    char *b = j->buf;
    j->buf = NULL;
    j->len = j->cap = 0;
    return b;
}
