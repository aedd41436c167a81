/* json_reader.c — recursive-descent JSON parser (see json_reader.h). Depth
 * is bounded so hostile input cannot overflow the stack. */
#include "json_reader.h"

#include <stdlib.h>
#include <string.h>

#include "error.h"

#define MAX_DEPTH 64

typedef struct {
    const char *s, *p;
    const char *what;
    int failed;
} parser;

static int fail(parser *ps, const char *msg) {
    if (!ps->failed)
        mxi_error(MX_ERR_INVALID, "%s: malformed JSON at byte %ld: %s", ps->what, (long)(ps->p - ps->s), msg);
    ps->failed = 1;
    return -1;
}

static void ws(parser *ps) {
    while (*ps->p == ' ' || *ps->p == '\n' || *ps->p == '\r' || *ps->p == '\t') ps->p++;
}

static void free_value(mxi_jv *v) {
    if (v->type == MXI_JV_STR) free(v->str);
    if (v->type == MXI_JV_ARR || v->type == MXI_JV_OBJ) {
        for (int i = 0; i < v->n; i++) {
            free_value(&v->items[i]);
            if (v->keys) free(v->keys[i]);
        }
        free(v->items);
        free(v->keys);
    }
}

static void put_utf8(char *o, size_t *k, unsigned cp) {
    if (cp < 0x80) o[(*k)++] = (char)cp;
    else if (cp < 0x800) { o[(*k)++] = (char)(0xC0 | (cp >> 6)); o[(*k)++] = (char)(0x80 | (cp & 0x3F)); }
    else { o[(*k)++] = (char)(0xE0 | (cp >> 12)); o[(*k)++] = (char)(0x80 | ((cp >> 6) & 0x3F)); o[(*k)++] = (char)(0x80 | (cp & 0x3F)); }
}

static char *parse_string(parser *ps) {
    if (*ps->p != '"') { fail(ps, "expected a string"); return NULL; }
    ps->p++;
    const char *start = ps->p;
    size_t len = 0;
    while (*ps->p && *ps->p != '"') {
        if (*ps->p == '\\' && ps->p[1]) ps->p++;
        ps->p++;
        len++;
    }
    if (*ps->p != '"') { fail(ps, "unterminated string"); return NULL; }
    char *o = malloc(len * 3 + 1);
    if (!o) { fail(ps, "out of memory"); return NULL; }
    size_t k = 0;
    for (const char *q = start; q < ps->p; q++) {
        if (*q != '\\') { o[k++] = *q; continue; }
        q++;
        switch (*q) {
        case 'n': o[k++] = '\n'; break;
        case 't': o[k++] = '\t'; break;
        case 'r': o[k++] = '\r'; break;
        case 'b': o[k++] = '\b'; break;
        case 'f': o[k++] = '\f'; break;
        case 'u': {
            unsigned cp = 0;
            int i = 0;
            for (; i < 4 && q[1]; i++) {
                char c = *++q;
                cp = cp * 16 + (unsigned)(c >= 'a' ? c - 'a' + 10 : c >= 'A' ? c - 'A' + 10 : c - '0');
            }
            put_utf8(o, &k, cp);
            break;
        }
        default: o[k++] = *q; break;
        }
    }
    o[k] = 0;
    ps->p++;
    return o;
}

static int parse_value(parser *ps, mxi_jv *v, int depth);

static int parse_container(parser *ps, mxi_jv *v, int depth, int is_obj) {
    char close = is_obj ? '}' : ']';
    ps->p++;
    int cap = 0;
    v->type = is_obj ? MXI_JV_OBJ : MXI_JV_ARR;
    ws(ps);
    if (*ps->p == close) { ps->p++; return 0; }
    for (;;) {
        if (v->n == cap) {
            cap = cap ? cap * 2 : 8;
            mxi_jv *ni = realloc(v->items, sizeof *ni * (size_t)cap);
            if (!ni) return fail(ps, "out of memory");
            v->items = ni;
            if (is_obj) {
                char **nk = realloc(v->keys, sizeof *nk * (size_t)cap);
                if (!nk) return fail(ps, "out of memory");
                v->keys = nk;
            }
        }
        memset(&v->items[v->n], 0, sizeof v->items[0]);
        if (is_obj) {
            ws(ps);
            char *key = parse_string(ps);
            if (!key) return -1;
            v->keys[v->n] = key;
            ws(ps);
            if (*ps->p != ':') { v->n++; return fail(ps, "expected ':'"); }
            ps->p++;
        }
        int rc = parse_value(ps, &v->items[v->n], depth + 1);
        v->n++;
        if (rc) return rc;
        ws(ps);
        if (*ps->p == ',') { ps->p++; continue; }
        if (*ps->p == close) { ps->p++; return 0; }
        return fail(ps, is_obj ? "expected ',' or '}'" : "expected ',' or ']'");
    }
}

static int parse_value(parser *ps, mxi_jv *v, int depth) {
    if (depth > MAX_DEPTH) return fail(ps, "nesting too deep");
    ws(ps);
    char c = *ps->p;
    if (c == '{') return parse_container(ps, v, depth, 1);
    if (c == '[') return parse_container(ps, v, depth, 0);
    if (c == '"') {
        v->type = MXI_JV_STR;
        v->str = parse_string(ps);
        return v->str ? 0 : -1;
    }
    if (!strncmp(ps->p, "true", 4)) { v->type = MXI_JV_BOOL; v->num = 1; ps->p += 4; return 0; }
    if (!strncmp(ps->p, "false", 5)) { v->type = MXI_JV_BOOL; v->num = 0; ps->p += 5; return 0; }
    if (!strncmp(ps->p, "null", 4)) { v->type = MXI_JV_NULL; ps->p += 4; return 0; }
    if (c == '-' || (c >= '0' && c <= '9')) {
        char *end;
        v->type = MXI_JV_NUM;
        v->num = strtod(ps->p, &end);
        if (end == ps->p) return fail(ps, "bad number");
        ps->p = end;
        return 0;
    }
    return fail(ps, c ? "unexpected character" : "unexpected end of input");
}

int mxi_jv_parse(const char *text, const char *what, mxi_jv **out) {
    if (!text) return mxi_error(MX_ERR_INVALID, "%s: JSON text is NULL", what);
    parser ps = {text, text, what, 0};
    mxi_jv *v = calloc(1, sizeof *v);
    if (!v) return mxi_error(MX_ERR_MEMORY, "%s: out of memory", what);
    if (parse_value(&ps, v, 0) == 0) {
        ws(&ps);
        if (*ps.p) fail(&ps, "trailing characters after the JSON value");
    }
    if (ps.failed) {
        free_value(v);
        free(v);
        return MX_ERR_INVALID;
    }
    *out = v;
    return MX_OK;
}

void mxi_jv_free(mxi_jv *v) {
    if (!v) return;
    free_value(v);
    free(v);
}

const mxi_jv *mxi_jv_get(const mxi_jv *obj, const char *key) {
    if (!obj || obj->type != MXI_JV_OBJ) return NULL;
    for (int i = 0; i < obj->n; i++)
        if (!strcmp(obj->keys[i], key)) return &obj->items[i];
    return NULL;
}
