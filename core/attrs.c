/* attrs.c — parse string attributes (MXNet's "key"="value" form) into typed
 * values according to an op's attribute table, with defaults, bounds and
 * choices checked. Errors name the op, the attribute and what was expected. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attrs.h"

static bool is_none(const char *v) { return !strcmp(v, "None") || !strcmp(v, "none") || !strcmp(v, ""); }

static int parse_int(const char *v, int64_t *out) {
    char *end;
    errno = 0;
    while (isspace((unsigned char)*v)) v++;
    long long x = strtoll(v, &end, 10);
    if (end == v || errno) return -1;
    /* accept "3.0" (Python floats stringified) but not "3.5" */
    if (*end == '.') {
        char *e2;
        double d = strtod(v, &e2);
        if (d != (double)x) return -1;
        end = e2;
    }
    if (*end == 'L') end++;
    while (isspace((unsigned char)*end)) end++;
    if (*end) return -1;
    *out = x;
    return 0;
}

static int parse_float(const char *v, double *out) {
    char *end;
    while (isspace((unsigned char)*v)) v++;
    if (!strcmp(v, "inf") || !strcmp(v, "Inf")) { *out = INFINITY; return 0; }
    if (!strcmp(v, "-inf") || !strcmp(v, "-Inf")) { *out = -INFINITY; return 0; }
    double x = strtod(v, &end);
    if (end == v) return -1;
    while (isspace((unsigned char)*end)) end++;
    if (*end) return -1;
    *out = x;
    return 0;
}

static int parse_bool(const char *v, int64_t *out) {
    if (!strcmp(v, "True") || !strcmp(v, "true") || !strcmp(v, "1")) { *out = 1; return 0; }
    if (!strcmp(v, "False") || !strcmp(v, "false") || !strcmp(v, "0")) { *out = 0; return 0; }
    return -1;
}

/* "(2, 3)", "[2,3]", "2", "(2,)", "()" -> ints or floats */
static int parse_tuple(const char *v, int as_float, int64_t *iv, double *fv, int *n) {
    const char *p = v;
    while (isspace((unsigned char)*p)) p++;
    char close = 0;
    if (*p == '(') { close = ')'; p++; }
    else if (*p == '[') { close = ']'; p++; }
    int k = 0;
    for (;;) {
        while (isspace((unsigned char)*p) || *p == ',') p++;
        if (*p == close || !*p) break;
        if (k >= MX_MAX_TUPLE) return -1;
        char *end;
        if (as_float) {
            fv[k] = strtod(p, &end);
        } else {
            if (!strncmp(p, "None", 4)) { iv[k] = INT64_MIN; end = (char *)p + 4; }
            else iv[k] = strtoll(p, &end, 10);
            if (*end == 'L') end++;
        }
        if (end == p) return -1;
        k++;
        p = end;
        while (isspace((unsigned char)*p)) p++;
        if (*p && *p != ',' && *p != close) return -1;
    }
    if (close && *p != close) return -1;
    *n = k;
    return 0;
}

static int parse_one(const mx_op_def *op, const mx_attr_spec *s, const char *v, mx_attr_val *out) {
    mx_attr_val r;
    memset(&r, 0, sizeof r);
    int bad = 0;
    switch (s->type) {
    case MX_ATTR_INT: bad = parse_int(v, &r.i); break;
    case MX_ATTR_OPT_INT:
        if (is_none(v)) r.is_none = 1;
        else bad = parse_int(v, &r.i);
        break;
    case MX_ATTR_FLOAT: bad = parse_float(v, &r.f); break;
    case MX_ATTR_BOOL: bad = parse_bool(v, &r.i); break;
    case MX_ATTR_STR:
        if (strlen(v) >= sizeof r.s) bad = 1;
        else strcpy(r.s, v);
        break;
    case MX_ATTR_ENUM: {
        bad = 1;
        int idx = 0;
        const char *p = s->choices;
        while (p && *p) {
            const char *e = strchr(p, ',');
            size_t len = e ? (size_t)(e - p) : strlen(p);
            if (strlen(v) == len && !strncmp(p, v, len)) {
                bad = 0;
                r.i = idx;
                strcpy(r.s, v);
                break;
            }
            idx++;
            if (!e) break;
            p = e + 1;
        }
        if (bad)
            return mxi_error(MX_ERR_INVALID, "%s: attribute '%s' got '%s', expected one of {%s}", op->name,
                             s->name, v, s->choices);
        break;
    }
    case MX_ATTR_SHAPE:
        if (is_none(v)) r.is_none = 1;
        else bad = parse_tuple(v, 0, r.v, NULL, &r.n);
        break;
    case MX_ATTR_FLOATS:
        if (is_none(v)) r.is_none = 1;
        else bad = parse_tuple(v, 1, NULL, r.fv, &r.n);
        break;
    case MX_ATTR_DTYPE:
        if (is_none(v)) { r.is_none = 1; r.i = -1; }
        else {
            int d = mxi_dtype_from_name(v);
            if (d < 0) bad = 1;
            r.i = d;
        }
        break;
    }
    if (bad) {
        static const char *what[] = {"an integer", "a float", "a bool (True/False)", "a string of < 64 chars",
                                     "a choice", "an int tuple like (2,3)", "a float tuple",
                                     "a dtype name (float32, int64, ...)", "an integer or None"};
        return mxi_error(MX_ERR_INVALID, "%s: attribute '%s' got '%s', expected %s", op->name, s->name, v,
                         what[s->type]);
    }
    if (s->bounded && !r.is_none) {
        double x = (s->type == MX_ATTR_FLOAT) ? r.f : (double)r.i;
        if (s->type == MX_ATTR_INT || s->type == MX_ATTR_FLOAT || s->type == MX_ATTR_OPT_INT) {
            if (x < s->lo || x > s->hi)
                return mxi_error(MX_ERR_INVALID, "%s: attribute '%s' = %s is out of bounds [%g, %g]", op->name,
                                 s->name, v, s->lo, s->hi);
        }
    }
    *out = r;
    return MX_OK;
}

/* Keys MXNet front ends pass that carry no meaning for the kernel. */
static bool ignorable_key(const char *k) {
    size_t n = strlen(k);
    if (n >= 4 && k[0] == '_' && k[1] == '_' && k[n - 1] == '_' && k[n - 2] == '_') return true;
    return !strcmp(k, "name") || !strcmp(k, "ctx");
}

int mxi_parse_defaults(const mx_op_def *op, mx_attr_val *defaults) {
    for (int a = 0; a < op->n_attrs; a++) {
        memset(&defaults[a], 0, sizeof defaults[a]);
        if (op->attrs[a].def) MXI_TRY(parse_one(op, &op->attrs[a], op->attrs[a].def, &defaults[a]));
    }
    return MX_OK;
}

int mxi_parse_attrs(const mx_op_def *op, const mx_attr_val *defaults, const char *const *keys,
                    const char *const *vals, int n, mx_call *c) {
    unsigned char given[MX_MAX_ATTRS] = {0};
    c->n_attrs = op->n_attrs;
    if (op->n_attrs) memcpy(c->attrs, defaults, sizeof(mx_attr_val) * (size_t)op->n_attrs);
    for (int i = 0; i < n; i++) {
        const char *k = keys[i], *v = vals[i];
        if (!k || !v) return mxi_error(MX_ERR_INVALID, "%s: attribute %d has a NULL key or value", op->name, i);
        int found = -1;
        for (int a = 0; a < op->n_attrs; a++)
            if (!strcmp(op->attrs[a].name, k)) { found = a; break; }
        if (found < 0) {
            if (ignorable_key(k)) continue;
            char known[1024];
            size_t m = 0;
            known[0] = 0;
            for (int a = 0; a < op->n_attrs && m < sizeof known - 64; a++)
                m += (size_t)snprintf(known + m, sizeof known - m, a ? ", %s" : "%s", op->attrs[a].name);
            return mxi_error(MX_ERR_NOT_FOUND, "%s: unknown attribute '%s' (known: %s)", op->name, k,
                             op->n_attrs ? known : "none");
        }
        MXI_TRY(parse_one(op, &op->attrs[found], v, &c->attrs[found]));
        given[found] = 1;
    }
    for (int a = 0; a < op->n_attrs; a++) {
        if (!given[a] && !op->attrs[a].def)
            return mxi_error(MX_ERR_INVALID, "%s: required attribute '%s' is missing (%s)", op->name,
                             op->attrs[a].name, op->attrs[a].doc ? op->attrs[a].doc : "");
    }
    return MX_OK;
}

int mxi_attr_index(const mx_op_def *op, const char *name) {
    for (int a = 0; a < op->n_attrs; a++)
        if (!strcmp(op->attrs[a].name, name)) return a;
    return -1;
}

/* A float as Python's str() writes it (the shortest text that reads back the
 * same, with ".0" on whole numbers), or with all 17 digits. */
static void float_str(double f, int pretty, char *buf, size_t n) {
    int p = pretty ? 1 : 17;
    for (; p < 17; p++) {
        snprintf(buf, n, "%.*g", p, f);
        if (strtod(buf, NULL) == f) break;
    }
    snprintf(buf, n, "%.*g", p, f);
    if (pretty && !strpbrk(buf, ".eEni") && strlen(buf) + 3 <= n) strcat(buf, ".0");
}

void mxi_attr_value_str(const mx_attr_spec *s, const mx_attr_val *v, int pretty, char *val, size_t n) {
    size_t m = 0;
    char f[40];
    if (v->is_none && s->type != MX_ATTR_BOOL) {
        snprintf(val, n, "None");
        return;
    }
    switch (s->type) {
    case MX_ATTR_INT: case MX_ATTR_OPT_INT: snprintf(val, n, "%lld", (long long)v->i); break;
    case MX_ATTR_BOOL: snprintf(val, n, "%s", v->i ? "True" : "False"); break;
    case MX_ATTR_FLOAT: float_str(v->f, pretty, val, n); break;
    case MX_ATTR_STR: case MX_ATTR_ENUM: snprintf(val, n, "%s", v->s); break;
    case MX_ATTR_DTYPE: snprintf(val, n, "%s", v->i < 0 ? "None" : mxi_dtype_name((int)v->i)); break;
    case MX_ATTR_SHAPE: case MX_ATTR_FLOATS:
        m = (size_t)snprintf(val, n, "(");
        for (int j = 0; j < v->n && m < n; j++) {
            const char *sep = j ? (pretty ? ", " : ",") : "";
            if (s->type == MX_ATTR_FLOATS) {
                float_str(v->fv[j], pretty, f, sizeof f);
                m += (size_t)snprintf(val + m, n - m, "%s%s", sep, f);
            } else if (v->v[j] == INT64_MIN) {
                m += (size_t)snprintf(val + m, n - m, "%sNone", sep);
            } else {
                m += (size_t)snprintf(val + m, n - m, "%s%lld", sep, (long long)v->v[j]);
            }
        }
        if (m < n) snprintf(val + m, n - m, pretty && v->n == 1 && s->type == MX_ATTR_SHAPE ? ",)" : ")");
        break;
    }
}

int mxi_attrs_string(const mx_call *c, char *buf, size_t n) {
    size_t k = 0;
    if (!n) return MX_ERR_INVALID;
    buf[0] = 0;
    for (int i = 0; i < c->op->n_attrs; i++) {
        const mx_attr_spec *s = &c->op->attrs[i];
        char val[32 * MX_MAX_TUPLE];
        mxi_attr_value_str(s, &c->attrs[i], 0, val, sizeof val);
        int w = snprintf(buf + k, n - k, "%s%s=%s", i ? ";" : "", s->name, val);
        if (w < 0 || (size_t)w >= n - k) {
            buf[k] = 0;
            return mxi_error(MX_ERR_INTERNAL, "%s: attribute string longer than %zu bytes", c->op->name, n);
        }
        k += (size_t)w;
    }
    return MX_OK;
}
