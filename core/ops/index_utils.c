/* index_utils.c — op family "index_utils": small index and counting ops of
 * MXNet 1.x: cumsum (_np_cumsum), histogram (_histogram and the Python-API
 * form histogram), ravel_multi_index / unravel_index and fill_element_0index.
 *
 * Indices are read as doubles whatever their dtype and truncated, as MXNet
 * does; unlike MXNet, an index outside its dimension is an error naming the
 * op, the position and the bound (MXNet wraps, skips or returns garbage). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "../op.h"

#define NA(t) .attrs = t, .n_attrs = (int)(sizeof t / sizeof t[0])

static inline double ld(const mx_tensor_s *t, int64_t i) { return mxi_load_as_double(mxi_data(t), t->dtype, i); }

static inline int64_t ld_int(const mx_tensor_s *t, int64_t i) {
    return t->dtype == MX_INT64 ? MXI_PTR(int64_t, t)[i] : (int64_t)ld(t, i);
}

static inline void st_int(mx_tensor_s *t, int64_t i, int64_t v) {
    if (t->dtype == MX_INT64) MXI_PTR(int64_t, t)[i] = v;
    else mxi_store_from_double(mxi_data(t), t->dtype, i, (double)v);
}

/* ================= cumsum ================= */
enum { CS_AXIS, CS_DTYPE };
static const mx_attr_spec cumsum_attrs[] = {
    {"axis", MX_ATTR_OPT_INT, "None", "Axis along which to sum; None sums the flattened array."},
    {"dtype", MX_ATTR_DTYPE, "None",
     "Output dtype; None keeps the input's dtype (bool becomes int64), as MXNet does."},
};

/* (outer, n, inner) of the summed axis; axis None is the flattened array. */
static int cumsum_geom(const mx_call *c, const mx_tensor_s *x, int64_t *outer, int64_t *n, int64_t *inner) {
    const mx_attr_val *a = &c->attrs[CS_AXIS];
    *outer = *inner = 1;
    *n = x->size;
    if (a->is_none) return MX_OK;
    if (x->ndim == 0) return mxi_op_error(c, MX_ERR_INVALID, "axis %lld given for a 0-d input", (long long)a->i);
    int ax;
    MXI_TRY(mxi_norm_axis(c, a->i, x->ndim, &ax));
    *n = x->shape[ax];
    for (int i = 0; i < ax; i++) *outer *= x->shape[i];
    for (int i = ax + 1; i < x->ndim; i++) *inner *= x->shape[i];
    return MX_OK;
}

static int cumsum_infer(mx_call *c) {
    const mx_tensor_s *x = c->in[0];
    int64_t o, n, in;
    MXI_TRY(cumsum_geom(c, x, &o, &n, &in));
    int dt = (int)c->attrs[CS_DTYPE].i;
    if (dt < 0) dt = x->dtype == MX_BOOL ? MX_INT64 : x->dtype;
    if (c->attrs[CS_AXIS].is_none) {
        int64_t s = x->size;
        mxi_set_out(c, 0, &s, 1, dt);
    } else {
        mxi_set_out(c, 0, x->shape, x->ndim, dt);
    }
    return MX_OK;
}

/* y = running sum of x along (outer, n, inner), from the end when rev.
 * The sum is kept in y's dtype (rounded at every step) as MXNet and numpy do. */
static void cumsum_run(const mx_tensor_s *x, mx_tensor_s *y, int64_t outer, int64_t n, int64_t inner, int rev) {
    for (int64_t o = 0; o < outer; o++)
        for (int64_t i = 0; i < inner; i++) {
            const int64_t base = o * n * inner + i, step = rev ? -inner : inner;
            int64_t p = rev ? base + (n - 1) * inner : base;
            if (x->dtype == MX_FLOAT32 && y->dtype == MX_FLOAT32) {
                const float *xs = mxi_data(x);
                float *ys = mxi_data(y), acc = 0;
                for (int64_t k = 0; k < n; k++, p += step) ys[p] = acc += xs[p];
            } else if (x->dtype == MX_FLOAT64 && y->dtype == MX_FLOAT64) {
                const double *xs = mxi_data(x);
                double *ys = mxi_data(y), acc = 0;
                for (int64_t k = 0; k < n; k++, p += step) ys[p] = acc += xs[p];
            } else if (!mxi_dtype_is_float(y->dtype)) {
                int64_t acc = 0;
                for (int64_t k = 0; k < n; k++, p += step) {
                    acc += ld_int(x, p);
                    st_int(y, p, acc);
                }
            } else {
                double acc = 0;
                for (int64_t k = 0; k < n; k++, p += step) {
                    mxi_store_from_double(mxi_data(y), y->dtype, p, acc + ld(x, p));
                    acc = ld(y, p);
                }
            }
        }
}

static int cumsum_cpu(mx_call *c) {
    int64_t o, n, in;
    MXI_TRY(cumsum_geom(c, c->in[0], &o, &n, &in));
    cumsum_run(c->in[0], c->out[0], o, n, in, 0);
    return MX_OK;
}

/* The gradient of a running sum is the running sum from the end. */
static int cumsum_grad(mx_grad_ctx *g) {
    char at[160];
    MXI_TRY(mxi_attrs_string(g->call, at, sizeof at));
    g->igrad[0] = mxi_call1("_backward_np_cumsum", at, 2, g->ograd[0], g->in[0]);
    return g->igrad[0] ? MX_OK : mx_last_error_code();
}

/* _backward_np_cumsum(ograd, data): reverse running sum of ograd, in data's
 * shape and dtype. */
static int cumsum_bw_infer(mx_call *c) {
    const mx_tensor_s *og = c->in[0], *x = c->in[1];
    int64_t o, n, in;
    MXI_TRY(cumsum_geom(c, x, &o, &n, &in));
    if (og->size != x->size) return mxi_op_error(c, MX_ERR_INVALID, "ograd must have data's size");
    mxi_same_as_in(c, 0, 1);
    return MX_OK;
}

static int cumsum_bw_cpu(mx_call *c) {
    int64_t o, n, in;
    MXI_TRY(cumsum_geom(c, c->in[1], &o, &n, &in));
    cumsum_run(c->in[0], c->out[0], o, n, in, 1);
    return MX_OK;
}

/* reverse running sum is linear: its gradient w.r.t. ograd is a forward one */
static int cumsum_bw_grad(mx_grad_ctx *g) {
    if (!mxi_grad_needed(g, 0)) return MX_OK;
    char at[192];
    const mx_attr_val *a = &g->call->attrs[CS_AXIS];
    if (a->is_none) snprintf(at, sizeof at, "dtype=%s", mxi_dtype_name(g->in[0]->dtype));
    else snprintf(at, sizeof at, "axis=%lld;dtype=%s", (long long)a->i, mxi_dtype_name(g->in[0]->dtype));
    mx_tensor_s *s = mxi_call1("_np_cumsum", at, 1, g->ograd[0]);
    g->igrad[0] = mxi_chain2("reshape_like", NULL, s, g->in[0]);
    mxi_tensor_release(s);
    return g->igrad[0] ? MX_OK : mx_last_error_code();
}

/* ================= histogram ================= */
/* _histogram(data[, bins]) is MXNet's op: bin_cnt + range, or a bins array
 * of edges. histogram(a, bins=10, range=None) is the Python-API form (MXNet
 * builds it in Python); a missing range is the data's min/max, as numpy. */
enum { H_CNT, H_RANGE };
static const mx_attr_spec hist_attrs[] = {
    {"bin_cnt", MX_ATTR_OPT_INT, "None", "Number of equal-width bins over range; None: the bins input gives the edges.",
     NULL, 1, 1, 1e15},
    {"range", MX_ATTR_FLOATS, "None", "(lower, upper) of the bins; None: the data's min and max."},
};
static const mx_attr_spec hist_py_attrs[] = {
    {"bins", MX_ATTR_INT, "10", "Number of equal-width bins (for explicit edges call _histogram(data, bins)).", NULL,
     1, 1, 1e15},
    {"range", MX_ATTR_FLOATS, "None", "(lower, upper) of the bins; None: the data's min and max."},
};

static int hist_edges_input(const mx_call *c) { return c->op->attrs == hist_attrs && c->attrs[H_CNT].is_none; }
static int hist_nin(const mx_call *c) { return hist_edges_input(c) ? 2 : 1; }

static int hist_infer(mx_call *c) {
    const mx_tensor_s *x = c->in[0];
    int64_t nb;
    if (hist_edges_input(c)) {
        const mx_tensor_s *b = c->in[1];
        if (b->ndim != 1 || b->size < 2)
            return mxi_op_error(c, MX_ERR_INVALID, "bins must be a 1-d array of at least 2 bin edges");
        if (b->dtype != x->dtype)
            return mxi_op_error(c, MX_ERR_INVALID, "bins must have data's dtype %s, got %s", mxi_dtype_name(x->dtype),
                                mxi_dtype_name(b->dtype));
        if (!c->attrs[H_RANGE].is_none)
            return mxi_op_error(c, MX_ERR_INVALID, "range is only used with bin_cnt, not with a bins array");
        nb = b->size - 1;
    } else {
        nb = c->attrs[H_CNT].i;
        const mx_attr_val *r = &c->attrs[H_RANGE];
        if (!r->is_none && r->n != 2)
            return mxi_op_error(c, MX_ERR_INVALID, "range must be (lower, upper), got %d values", r->n);
        if (!r->is_none && !(r->fv[0] <= r->fv[1]))
            return mxi_op_error(c, MX_ERR_INVALID, "range lower %g must be <= upper %g", r->fv[0], r->fv[1]);
    }
    int64_t ne = nb + 1;
    mxi_set_out(c, 0, &nb, 1, MX_INT64);
    mxi_set_out(c, 1, &ne, 1, x->dtype);
    return MX_OK;
}

/* Bin of v given the edges e[0..nb] (increasing): e[t] <= v < e[t+1], the
 * last bin closed; -1 outside [e[0], e[nb]] or NaN. `guess` (>= 0) is the
 * equal-width estimate, corrected against the stored edges. */
static int64_t hist_bin(const double *e, int64_t nb, double v, int64_t guess) {
    if (!(v >= e[0] && v <= e[nb])) return -1;
    int64_t t;
    if (guess >= 0) {
        t = guess < nb ? guess : nb - 1;
        while (t > 0 && v < e[t]) t--;
        while (t < nb - 1 && v >= e[t + 1]) t++;
        return t;
    }
    int64_t lo = 0, hi = nb - 1; /* largest t <= nb-1 with e[t] <= v */
    while (lo < hi) {
        int64_t mid = (lo + hi + 1) / 2;
        if (e[mid] <= v) lo = mid;
        else hi = mid - 1;
    }
    return lo;
}

static int hist_cpu(mx_call *c) {
    const mx_tensor_s *x = c->in[0];
    mx_tensor_s *cnt = c->out[0], *edges = c->out[1];
    const int64_t nb = cnt->size;
    double *e = mxi_scratch_alloc(sizeof(double) * (size_t)(nb + 1));
    if (!e) return mxi_op_error(c, MX_ERR_MEMORY, "out of memory for %lld bin edges", (long long)nb + 1);
    const int uniform = !hist_edges_input(c);
    double lo = 0, hi = 1;
    if (uniform) {
        const mx_attr_val *r = &c->attrs[H_RANGE];
        if (!r->is_none) {
            lo = r->fv[0], hi = r->fv[1];
        } else if (x->size) {
            int seen = 0;
            for (int64_t i = 0; i < x->size; i++) {
                double v = ld(x, i);
                if (isnan(v)) continue;
                if (!seen || v < lo) lo = v;
                if (!seen || v > hi) hi = v;
                seen = 1;
            }
            if (!seen) lo = 0, hi = 1;
            if (!isfinite(lo) || !isfinite(hi)) {
                mxi_scratch_free(e, sizeof(double) * (size_t)(nb + 1));
                return mxi_op_error(c, MX_ERR_INVALID, "the data's range [%g, %g] is not finite; give range", lo, hi);
            }
        }
        if (lo == hi) lo -= 0.5, hi += 0.5; /* numpy's and MXNet's empty-range rule */
        for (int64_t k = 0; k <= nb; k++) {
            mxi_store_from_double(mxi_data(edges), edges->dtype, k, k == nb ? hi : lo + (hi - lo) * (double)k / (double)nb);
            e[k] = ld(edges, k); /* bin against the edges as stored (int dtypes truncate them) */
        }
    } else {
        const mx_tensor_s *b = c->in[1];
        for (int64_t k = 0; k <= nb; k++) {
            e[k] = ld(b, k);
            if (k && !(e[k] >= e[k - 1])) {
                mxi_scratch_free(e, sizeof(double) * (size_t)(nb + 1));
                return mxi_op_error(c, MX_ERR_INVALID, "bins must increase monotonically (bins[%lld]=%g < bins[%lld]=%g)",
                                    (long long)k, ld(b, k), (long long)k - 1, ld(b, k - 1));
            }
        }
        memcpy(mxi_data(edges), mxi_data(b), mxi_dtype_size(b->dtype) * (size_t)b->size);
    }
    int64_t *counts = mxi_data(cnt);
    memset(counts, 0, sizeof(int64_t) * (size_t)nb);
    for (int64_t i = 0; i < x->size; i++) {
        double v = ld(x, i);
        int64_t guess = -1;
        if (uniform && v >= lo && v <= hi) guess = (int64_t)((v - lo) * (double)nb / (hi - lo));
        int64_t t = hist_bin(e, nb, v, guess);
        if (t >= 0) counts[t]++;
    }
    mxi_scratch_free(e, sizeof(double) * (size_t)(nb + 1));
    return MX_OK;
}

/* ================= ravel_multi_index / unravel_index ================= */
static const mx_attr_spec ravel_attrs[] = {
    {"shape", MX_ATTR_SHAPE, "None", "Shape of the array the flat indices refer to (the first dim may be -1: unbounded)."},
};

/* The dims of `shape`: entries >= 1, the first may be -1 (unbounded), as in
 * MXNet where the first dim never enters the arithmetic. */
static int ravel_shape(const mx_call *c, const mx_attr_val **out) {
    const mx_attr_val *s = &c->attrs[0];
    if (s->is_none || s->n < 1)
        return mxi_op_error(c, MX_ERR_INVALID, "shape must be given (at least one dim)");
    for (int k = 0; k < s->n; k++)
        if (s->v[k] < 1 && !(k == 0 && s->v[k] == -1))
            return mxi_op_error(c, MX_ERR_INVALID, "shape dims must be >= 1 (the first may be -1), got %lld at %d",
                                (long long)s->v[k], k);
    *out = s;
    return MX_OK;
}

static int ravel_infer(mx_call *c) {
    const mx_tensor_s *x = c->in[0];
    const mx_attr_val *s = NULL;
    MXI_TRY(ravel_shape(c, &s));
    if (x->ndim < 1 || x->shape[0] != s->n)
        return mxi_op_error(c, MX_ERR_INVALID, "data must be (%d, ...): one row of indices per dim of shape", s->n);
    mxi_set_out(c, 0, x->shape + 1, x->ndim - 1, x->dtype);
    return MX_OK;
}

static int ravel_cpu(mx_call *c) {
    const mx_tensor_s *x = c->in[0];
    mx_tensor_s *y = c->out[0];
    const mx_attr_val *s = NULL;
    MXI_TRY(ravel_shape(c, &s));
    const int64_t m = y->size;
    for (int64_t j = 0; j < m; j++) {
        int64_t flat = 0;
        for (int k = 0; k < s->n; k++) {
            int64_t v = ld_int(x, k * m + j);
            if (v < 0 || (s->v[k] > 0 && v >= s->v[k]))
                return mxi_op_error(c, MX_ERR_INVALID, "index %lld at data[%d, %lld] is out of range for dim %d of shape "
                                    "(size %lld)", (long long)v, k, (long long)j, k, (long long)s->v[k]);
            flat = flat * (k ? s->v[k] : 1) + v;
        }
        st_int(y, j, flat);
    }
    return MX_OK;
}

static int unravel_infer(mx_call *c) {
    const mx_tensor_s *x = c->in[0];
    const mx_attr_val *s = NULL;
    MXI_TRY(ravel_shape(c, &s));
    if (x->ndim >= MX_MAX_NDIM) return mxi_op_error(c, MX_ERR_INVALID, "data has too many dims");
    int64_t os[MX_MAX_NDIM];
    os[0] = s->n;
    memcpy(os + 1, x->shape, sizeof(int64_t) * (size_t)x->ndim);
    mxi_set_out(c, 0, os, x->ndim + 1, x->dtype);
    return MX_OK;
}

static int unravel_cpu(mx_call *c) {
    const mx_tensor_s *x = c->in[0];
    mx_tensor_s *y = c->out[0];
    const mx_attr_val *s = NULL;
    MXI_TRY(ravel_shape(c, &s));
    int64_t total = 1; /* -1 when the first dim is unbounded */
    for (int k = 0; k < s->n && total > 0; k++) total = s->v[k] < 0 ? -1 : total * s->v[k];
    const int64_t m = x->size;
    for (int64_t j = 0; j < m; j++) {
        int64_t v = ld_int(x, j);
        if (v < 0 || (total > 0 && v >= total))
            return mxi_op_error(c, MX_ERR_INVALID, "flat index %lld at data[%lld] is out of range [0, %lld) for shape",
                                (long long)v, (long long)j, (long long)total);
        for (int k = s->n - 1; k >= 0; k--) {
            if (k == 0) {
                st_int(y, j, v);
            } else {
                st_int(y, (int64_t)k * m + j, v % s->v[k]);
                v /= s->v[k];
            }
        }
    }
    return MX_OK;
}

/* ================= fill_element_0index ================= */
/* out = lhs with out[i, rhs[i]] = mhs[i] */
static int fe_infer(mx_call *c) {
    const mx_tensor_s *l = c->in[0], *m = c->in[1], *r = c->in[2];
    if (l->ndim != 2 || m->ndim != 1 || r->ndim != 1 || m->shape[0] != l->shape[0] || r->shape[0] != l->shape[0])
        return mxi_op_error(c, MX_ERR_INVALID, "expected lhs (N, M), mhs (N,) and rhs (N,)");
    if (m->dtype != l->dtype)
        return mxi_op_error(c, MX_ERR_INVALID, "mhs must have lhs's dtype %s", mxi_dtype_name(l->dtype));
    mxi_same_as_in(c, 0, 0);
    return MX_OK;
}

static int fe_cpu(mx_call *c) {
    const mx_tensor_s *l = c->in[0], *m = c->in[1], *r = c->in[2];
    const size_t es = mxi_dtype_size(l->dtype);
    const int64_t N = l->shape[0], M = l->shape[1];
    char *y = mxi_data(c->out[0]);
    memcpy(y, mxi_data(l), es * (size_t)l->size);
    for (int64_t i = 0; i < N; i++) {
        double v = ld(r, i);
        if (!(v >= 0 && v < (double)M))
            return mxi_op_error(c, MX_ERR_INVALID, "rhs[%lld] = %g is out of range [0, %lld) for lhs's columns",
                                (long long)i, v, (long long)M);
        memcpy(y + ((size_t)i * (size_t)M + (size_t)v) * es, (const char *)mxi_data(m) + (size_t)i * es, es);
    }
    return MX_OK;
}

/* Not differentiable in MXNet; here d lhs is the gradient with the written
 * elements zeroed and d mhs the gradient at them. */
static int fe_grad(mx_grad_ctx *g) {
    if (mxi_grad_needed(g, 0)) {
        mx_tensor_s *z = mxi_call1("zeros_like", NULL, 1, g->in[1]);
        g->igrad[0] = z ? mxi_call1("fill_element_0index", NULL, 3, g->ograd[0], z, g->in[2]) : NULL;
        mxi_tensor_release(z);
        if (!g->igrad[0]) return mx_last_error_code();
    }
    if (mxi_grad_needed(g, 1)) {
        g->igrad[1] = mxi_call1("pick", "axis=1", 2, g->ograd[0], g->in[2]);
        if (!g->igrad[1]) return mx_last_error_code();
    }
    return MX_OK;
}

#define ANY (MX_OPF_NO_INPUT_CAST | MX_OPF_WRITES_ALL)

static const mx_op_def ops[] = {
    {.name = "_np_cumsum", .aliases = "cumsum",
     .doc = "Cumulative sum along an axis (of the flattened array when axis is None).", .inputs = "a",
     .num_outputs = 1, NA(cumsum_attrs), .infer = cumsum_infer, .cpu = cumsum_cpu, .grad = cumsum_grad,
     .dtypes = MX_DT_ALL, .flags = ANY},
    {.name = "_backward_np_cumsum", .doc = "Gradient of cumsum: the running sum of the output gradient from the end.",
     .inputs = "ograd,data", .num_outputs = 1, NA(cumsum_attrs), .infer = cumsum_bw_infer, .cpu = cumsum_bw_cpu,
     .grad = cumsum_bw_grad, .dtypes = MX_DT_ALL, .flags = ANY | MX_OPF_INTERNAL},
    {.name = "_histogram",
     .doc = "Histogram of the data: counts (int64) and bin edges (data's dtype), from bin_cnt and range or from a "
            "bins array of edges. Bins are [e_k, e_k+1), the last one closed; values outside are not counted.",
     .inputs = "data,bins", .num_inputs_fn = hist_nin, .num_outputs = 2, NA(hist_attrs), .infer = hist_infer,
     .cpu = hist_cpu, .dtypes = MX_DT_ALL, .flags = ANY | MX_OPF_NO_GRAD},
    {.name = "histogram",
     .doc = "Histogram of the data in `bins` equal-width bins over range (default: the data's min and max): counts "
            "(int64) and bin edges (data's dtype).",
     .inputs = "a", .num_outputs = 2, NA(hist_py_attrs), .infer = hist_infer, .cpu = hist_cpu, .dtypes = MX_DT_ALL,
     .flags = ANY | MX_OPF_NO_GRAD},
    {.name = "_ravel_multi_index", .aliases = "ravel_multi_index",
     .doc = "Flat indices (data's dtype) of the index tuples in the columns of data (len(shape), ...) into an array "
            "of the given shape.",
     .inputs = "data", .num_outputs = 1, NA(ravel_attrs), .infer = ravel_infer, .cpu = ravel_cpu,
     .dtypes = MX_DT_ALL, .flags = ANY | MX_OPF_NO_GRAD},
    {.name = "_unravel_index", .aliases = "unravel_index",
     .doc = "Index tuples (len(shape), ...) of the flat indices in data into an array of the given shape.",
     .inputs = "data", .num_outputs = 1, NA(ravel_attrs), .infer = unravel_infer, .cpu = unravel_cpu,
     .dtypes = MX_DT_ALL, .flags = ANY | MX_OPF_NO_GRAD},
    {.name = "fill_element_0index", .doc = "Copy of lhs (N, M) with element [i, rhs[i]] set to mhs[i] for each row i.",
     .inputs = "lhs,mhs,rhs", .num_outputs = 1, .infer = fe_infer, .cpu = fe_cpu, .grad = fe_grad,
     .dtypes = MX_DT_ALL, .flags = ANY},
};

void mxi_register_index_utils(void) { mxi_register_ops(ops, (int)(sizeof ops / sizeof ops[0])); }
