/* call_geometry.h — what device modules read off an mxb_call
 * (include/mxcore/backend.h) the same way: the geometry of Convolution and
 * Pooling windows, BatchNorm's (outer, C, inner), the row normalisations'
 * rows, an axis as (outer, n, inner), the reduced axes, the parts of concat/stack/split, the
 * parametrised activations' kind, and the weight groups of the
 * multi-weight optimizer updates, from
 * the call's attributes and inputs, computed exactly as the CPU ops do
 * (core/ops/conv.c, pooling.c, norm.c, optimizer.c). Shared by the OpenCL
 * and CUDA modules (C and C++); each returns non-zero / 0 for a call it does
 * not cover, which the module answers with MXB_UNSUPPORTED. */
#ifndef MXCORE_BACKENDS_CALL_GEOMETRY_H
#define MXCORE_BACKENDS_CALL_GEOMETRY_H

#include <stdint.h>
#include <string.h>

#include "mxcore/backend.h"

/* Spatial geometry is always 3-D: 1-D/2-D layers use leading size-1 dims. */
typedef struct { int64_t N, C, F, G, in[3], out[3], k[3], s[3], d[3], p[3]; } cg_t;
typedef struct { int64_t planes, in[3], out[3], k[3], s[3], p[3], type, cip; } pg_t;

/* spatial tuple attr (empty: def), right-aligned into 3 dims like conv.c */
static inline int spatial3(const mxb_call *c, const char *name, int nsp, int64_t def, int64_t *out) {
    const mxb_attr *a = mxb_attr_find(c, name);
    for (int i = 0; i < 3; i++) out[i] = def;
    if (!a || a->is_none || a->n == 0) return 0;
    if (a->n != nsp) return -1;
    for (int i = 0; i < nsp; i++) out[3 - nsp + i] = a->v[i];
    return 0;
}

static inline int channel_first(const mxb_call *c) {
    const mxb_attr *l = mxb_attr_find(c, "layout");
    return !l || !l->s || !strcmp(l->s, "None") || !strncmp(l->s, "NC", 2);
}

/* Convolution geometry from data x and the call's attrs (core/ops/conv.c) */
static inline int conv_geom(const mxb_call *c, const mxb_tensor *x, cg_t *g) {
    const mxb_attr *k = mxb_attr_find(c, "kernel");
    if (!k || k->is_none || k->n < 1 || k->n > 3 || x->ndim != k->n + 2 || !channel_first(c)) return -1;
    int nsp = k->n;
    memset(g, 0, sizeof *g);
    for (int i = 0; i < 3; i++) g->k[i] = 1, g->in[i] = 1;
    for (int i = 0; i < nsp; i++) g->k[3 - nsp + i] = k->v[i], g->in[3 - nsp + i] = x->shape[2 + i];
    if (spatial3(c, "stride", nsp, 1, g->s) || spatial3(c, "dilate", nsp, 1, g->d) || spatial3(c, "pad", nsp, 0, g->p))
        return -1;
    g->N = x->shape[0];
    g->C = x->shape[1];
    g->F = mxb_attr_i(c, "num_filter", 0);
    g->G = mxb_attr_i(c, "num_group", 1);
    if (g->G < 1 || g->F < 1 || g->C % g->G || g->F % g->G) return -1;
    for (int i = 0; i < 3; i++) {
        int64_t dk = g->d[i] * (g->k[i] - 1) + 1, padded = g->in[i] + 2 * g->p[i];
        if (dk > padded || g->s[i] < 1) return -1;
        g->out[i] = (padded - dk) / g->s[i] + 1;
    }
    return 0;
}

/* Pooling geometry (core/ops/pooling.c pool_geom_of); lp pooling is left to the CPU */
static inline int pool_geom(const mxb_call *c, const mxb_tensor *x, pg_t *g) {
    if (x->ndim < 3 || x->ndim > 5 || !channel_first(c)) return -1;
    int nsp = x->ndim - 2;
    memset(g, 0, sizeof *g);
    g->planes = x->shape[0] * x->shape[1];
    g->type = mxb_attr_i(c, "pool_type", 0);
    if (g->type > 2) return -1;
    g->cip = mxb_attr_i(c, "count_include_pad", 1);
    for (int i = 0; i < 3; i++) g->in[i] = g->out[i] = g->k[i] = g->s[i] = 1, g->p[i] = 0;
    for (int i = 0; i < nsp; i++) g->in[3 - nsp + i] = x->shape[2 + i];
    if (mxb_attr_i(c, "global_pool", 0)) {
        for (int i = 0; i < 3; i++) g->k[i] = g->in[i], g->out[i] = 1;
        return 0;
    }
    const mxb_attr *kv = mxb_attr_find(c, "kernel");
    if (!kv || kv->is_none || kv->n != nsp) return -1;
    if (spatial3(c, "stride", nsp, 1, g->s) || spatial3(c, "pad", nsp, 0, g->p)) return -1;
    for (int i = 0; i < nsp; i++) g->k[3 - nsp + i] = kv->v[i];
    int conv = (int)mxb_attr_i(c, "pooling_convention", 0);
    for (int j = 3 - nsp; j < 3; j++) {
        if (g->k[j] < 1 || g->s[j] < 1 || g->p[j] < 0) return -1;
        int64_t padded = g->in[j] + 2 * g->p[j];
        if (conv == 2) {
            g->out[j] = (g->in[j] + g->s[j] - 1) / g->s[j];
            int64_t tot = (g->out[j] - 1) * g->s[j] + g->k[j] - g->in[j];
            g->p[j] = tot > 0 ? tot / 2 : 0;
            continue;
        }
        if (g->k[j] > padded) return -1;
        int64_t r = padded - g->k[j];
        g->out[j] = 1 + (conv == 1 ? (r + g->s[j] - 1) / g->s[j] : r / g->s[j]);
    }
    return 0;
}

static inline int bn_dims(const mxb_call *c, const mxb_tensor *x, int64_t *outer, int64_t *C, int64_t *inner) {
    int64_t ax = mxb_attr_i(c, "axis", 1);
    if (ax < 0) ax += x->ndim;
    if (ax < 0 || ax >= x->ndim) return -1;
    *outer = 1; *inner = 1;
    for (int i = 0; i < ax; i++) *outer *= x->shape[i];
    for (int i = (int)ax + 1; i < x->ndim; i++) *inner *= x->shape[i];
    *C = x->shape[ax];
    return 0;
}

/* Row normalisations (core/ops/norm.c): LayerNorm, InstanceNorm, GroupNorm
 * and their _backward_ ops share one geometry, the CPU's rn_geom. */
typedef struct { int kind; int64_t R, M, inner, pdiv, C, G; } rn_geom;

/* gamma: the call's gamma input (GroupNorm's parameters are per group when it
 * has num_groups entries, as core/ops/norm.c rn_geometry decides). */
static inline int rn_dims(const mxb_call *c, const mxb_tensor *x, const mxb_tensor *gamma, rn_geom *g) {
    const char *n = c->op;
    g->kind = strstr(n, "LayerNorm") ? 0 : strstr(n, "InstanceNorm") ? 1 : 2;
    if (g->kind == 0) {
        int64_t ax = mxb_attr_i(c, "axis", -1);
        if (x->ndim < 1) return -1;
        if (ax < 0) ax += x->ndim;
        if (ax < 0 || ax >= x->ndim) return -1;
        g->M = x->shape[ax];
        g->inner = 1;
        for (int i = (int)ax + 1; i < x->ndim; i++) g->inner *= x->shape[i];
        g->R = g->inner;
        for (int i = 0; i < ax; i++) g->R *= x->shape[i];
        g->pdiv = 1;
        g->C = g->M;
        g->G = 1;
        return 0;
    }
    if (x->ndim < (g->kind == 1 ? 3 : 2)) return -1;
    int64_t N = x->shape[0], C = x->shape[1], S = 1;
    for (int i = 2; i < x->ndim; i++) S *= x->shape[i];
    g->C = C;
    g->inner = 1;
    g->pdiv = S;
    if (g->kind == 1) {
        g->G = C;
        g->R = N * C;
        g->M = S;
    } else {
        int64_t G = mxb_attr_i(c, "num_groups", 1);
        if (G < 1 || C % G) return -1;
        g->G = G;
        g->R = N * G;
        g->M = (C / G) * S;
        if (gamma && gamma->ndim == 1 && gamma->shape[0] == G && G != C) g->C = G, g->pdiv = g->M;
    }
    return 0;
}


/* x viewed as (outer, n, inner) around `axis` (negative counts from the
 * end); a NULL or None axis means the flattened data (outer = inner = 1).
 * Non-zero for an axis out of range. */
static inline int axis_geom(const mxb_tensor *x, const mxb_attr *axis, int64_t *outer, int64_t *n, int64_t *inner) {
    *outer = 1, *n = x->size, *inner = 1;
    if (!axis || axis->is_none) return 0;
    int64_t a = axis->i < 0 ? axis->i + x->ndim : axis->i;
    if (a < 0 || a >= x->ndim) return -1;
    *n = x->shape[a];
    for (int64_t i = 0; i < a; i++) *outer *= x->shape[i];
    for (int64_t i = a + 1; i < x->ndim; i++) *inner *= x->shape[i];
    return 0;
}

/* concat / stack (parts in, the whole out) and split (the whole in, parts
 * out): the whole is `outer` rows of `pitch` bytes and part p the block of
 * rows x join_width(p) bytes at the column after the parts before it.
 * Non-zero unless the parts tile the rows exactly in one dtype. */
typedef struct {
    const mxb_tensor *whole;
    int parts, split;
    size_t outer, pitch, es;
} join_geom;

static inline const mxb_tensor *join_part(const mxb_call *c, const join_geom *g, int p) {
    return g->split ? &c->out[p] : &c->in[p];
}
static inline size_t join_width(const join_geom *g, const mxb_tensor *part) {
    return g->outer ? (size_t)part->size * g->es / g->outer : 0;
}

static inline int join_split_geom(const mxb_call *c, join_geom *g) {
    const int stack = !strcmp(c->op, "stack");
    g->split = !strcmp(c->op, "split");
    g->whole = g->split ? &c->in[0] : &c->out[0];
    g->parts = g->split ? c->n_out : c->n_in;
    g->es = mxb_dtype_size(g->whole->dtype);
    int64_t axis = g->split ? mxb_attr_i(c, "axis", 1) : stack ? mxb_attr_i(c, "axis", 0) : mxb_attr_i(c, "dim", 1);
    if (axis < 0) axis += g->whole->ndim;
    if (axis < 0 || axis >= g->whole->ndim) return -1;
    size_t inner = g->es;
    g->outer = 1;
    for (int64_t i = 0; i < axis; i++) g->outer *= (size_t)g->whole->shape[i];
    for (int64_t i = axis + 1; i < g->whole->ndim; i++) inner *= (size_t)g->whole->shape[i];
    g->pitch = (size_t)g->whole->shape[axis] * inner;
    size_t cols = 0;
    for (int p = 0; p < g->parts; p++) {
        const mxb_tensor *t = join_part(c, g, p);
        if (t->dtype != g->whole->dtype) return -1;
        cols += join_width(g, t);
    }
    return g->outer && cols != g->pitch ? -1 : 0;
}

/* sum / mean / max / min / prod: the kind (0..4 in that order; any other op
 * counts as prod) and which of in[0]'s dims are reduced, from axis (None or
 * () for all) and exclude, as core/ops/reduce.c reads them. Non-zero for an
 * axis out of range. */
static inline int reduce_axes(const mxb_call *c, int red[MXB_MAX_NDIM], int *kind) {
    const char *op = c->op;
    *kind = !strcmp(op, "sum") ? 0 : !strcmp(op, "mean") ? 1 : !strcmp(op, "max") ? 2 : !strcmp(op, "min") ? 3 : 4;
    const int nd = c->in[0].ndim;
    const mxb_attr *ax = mxb_attr_find(c, "axis");
    const int all = !ax || ax->is_none || ax->n == 0;
    for (int i = 0; i < MXB_MAX_NDIM; i++) red[i] = i < nd && all;
    if (all) return 0;
    for (int j = 0; j < ax->n; j++) {
        int64_t a = ax->v[j] < 0 ? ax->v[j] + nd : ax->v[j];
        if (a < 0 || a >= nd) return -1;
        red[a] = 1;
    }
    if (mxb_attr_i(c, "exclude", 0))
        for (int i = 0; i < nd; i++) red[i] = !red[i];
    return 0;
}

/* The parametrised activations, numbered as core/ops/activation.c's
 * ACT_LIST (what _backward_act's `act` attribute holds). */
enum { ACTP_LOGSIG = 5, ACTP_MISH, ACTP_HARDSIG, ACTP_GELU, ACTP_SWISH, ACTP_LEAKY, ACTP_ELU, ACTP_SELU, ACTP_RRELU,
       ACTP_RELU_NAN /* the standalone relu op, NaN passing: the shared "relu" unary formula */ };

/* The kind and parameters a, b of gelu / log_sigmoid / mish / hard_sigmoid /
 * swish / Activation(log_sigmoid, mish) / LeakyReLU (all but prelu, and
 * rrelu in training, whose slopes are random); -1 for anything else. */
static inline int act_param_kind(const mxb_call *c, double *a, double *b) {
    const char *op = c->op;
    *a = *b = 0;
    if (!strcmp(op, "Activation")) {
        const mxb_attr *t = mxb_attr_find(c, "act_type");
        if (t && t->s && !strcmp(t->s, "log_sigmoid")) return ACTP_LOGSIG;
        if (t && t->s && !strcmp(t->s, "mish")) return ACTP_MISH;
        return -1;
    }
    if (!strcmp(op, "gelu")) return ACTP_GELU;
    if (!strcmp(op, "log_sigmoid")) return ACTP_LOGSIG;
    if (!strcmp(op, "mish")) return ACTP_MISH;
    if (!strcmp(op, "hard_sigmoid")) {
        *a = mxb_attr_f(c, "alpha", 0.2), *b = mxb_attr_f(c, "beta", 0.5);
        return ACTP_HARDSIG;
    }
    if (!strcmp(op, "swish")) {
        *b = mxb_attr_f(c, "beta", 1);
        return ACTP_SWISH;
    }
    if (strcmp(op, "LeakyReLU")) return -1;
    static const int kinds[] = {ACTP_ELU, ACTP_GELU, ACTP_LEAKY, -1, ACTP_RRELU, ACTP_SELU}; /* act_type order */
    int64_t t = mxb_attr_i(c, "act_type", 2);
    if (t < 0 || t > 5 || kinds[t] < 0 || (kinds[t] == ACTP_RRELU && c->training)) return -1;
    if (kinds[t] == ACTP_RRELU) *a = mxb_attr_f(c, "lower_bound", 0.125), *b = mxb_attr_f(c, "upper_bound", 0.334);
    else *a = mxb_attr_f(c, "slope", 0.25);
    return kinds[t];
}

/* multi_sgd_update (groups weight, grad) / multi_sgd_mom_update (weight,
 * grad, mom): the group size when every group matches its output and lrs /
 * wds have one entry per weight, else 0 */
static inline int multi_sgd_group_size(const mxb_call *c) {
    const int gs = !strcmp(c->op, "multi_sgd_mom_update") ? 3 : 2, nw = c->n_out;
    const mxb_attr *lrs = mxb_attr_find(c, "lrs"), *wds = mxb_attr_find(c, "wds");
    if (!lrs || !wds || lrs->n != nw || wds->n != nw || c->n_in != nw * gs) return 0;
    for (int k = 0; k < nw; k++)
        for (int j = 0; j < gs; j++)
            if (c->in[k * gs + j].size != c->out[k].size) return 0;
    return gs;
}

#endif
