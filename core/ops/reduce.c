/* reduce.c — reductions over axes: sum, mean, prod, max, min, nansum, nanprod,
 * norm, logsumexp, argmax/argmin/argmax_channel, and the internal
 * _reduce_to_shape_like that undoes numpy broadcasting in every broadcast
 * gradient.
 *
 * Plan: the input's axes are marked reduced/kept, size-1 axes dropped and
 * neighbours of the same kind merged. Two kernel shapes then cover every case:
 *  - innermost axis reduced: each output reduces contiguous runs (lane-blocked
 *    accumulation that gcc vectorizes; float32 sums accumulate blocks of 4096
 *    in 32 float lanes, then the blocks in double);
 *  - innermost axis kept: outputs come in contiguous rows; rows of the input are
 *    accumulated element-wise into a chunk of accumulators.
 * Work is split over output blocks with mxi_parallel_for, or, for a full
 * reduction, over chunks of the contiguous run. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../../backends/cpu/cpu.h"
#include "../op.h"
#include "reduce_util.h"
#include "vec16.h"

enum { R_SUM, R_MEAN, R_PROD, R_MAX, R_MIN, R_NANSUM, R_NANPROD, R_NORM1, R_NORM2, R_LSE };

/* ---- plan ---- */
typedef struct {
    const void *x;
    void *acc;           /* OT[n_out] accumulators */
    const double *shift; /* logsumexp: per-output max */
    int nk, nr;          /* outer kept / outer reduced dims */
    int64_t kshape[MX_MAX_NDIM], kstride[MX_MAX_NDIM];
    int64_t rshape[MX_MAX_NDIM], rstride[MX_MAX_NDIM];
    int last_red;
    int64_t L, n_blocks, n_red, n_chunks, count;
    /* split mode: one contiguous run split across threads */
    int64_t split_base, split_block;
    void *partial;
    int64_t split_chunk;
} rplan;

#define CHUNK 256   /* accumulators per task when the innermost axis is kept */
#define LANES 32
#define BLOCK 4096

/* red[i] != 0 for reduced axes of shape (nd). */
static void make_plan(rplan *p, const int64_t *shape, int nd, const int *red) {
    int64_t sh[MX_MAX_NDIM + 1];
    int rd[MX_MAX_NDIM + 1];
    int n = 0;
    for (int i = 0; i < nd; i++) {
        if (shape[i] == 1) continue;
        if (n && rd[n - 1] == (red[i] != 0)) sh[n - 1] *= shape[i];
        else { sh[n] = shape[i]; rd[n] = red[i] != 0; n++; }
    }
    if (n == 0) { sh[0] = 1; rd[0] = 1; n = 1; }
    int64_t st[MX_MAX_NDIM + 1];
    mxr_strides(sh, n, st);
    p->last_red = rd[n - 1];
    p->L = sh[n - 1];
    p->nk = p->nr = 0;
    p->n_blocks = p->n_red = 1;
    p->count = 1;
    for (int i = 0; i < n; i++) if (rd[i]) p->count *= sh[i];
    for (int i = 0; i < n - 1; i++) {
        if (rd[i]) { p->rshape[p->nr] = sh[i]; p->rstride[p->nr++] = st[i]; p->n_red *= sh[i]; }
        else { p->kshape[p->nk] = sh[i]; p->kstride[p->nk++] = st[i]; p->n_blocks *= sh[i]; }
    }
    p->n_chunks = p->last_red ? 1 : (p->L + CHUNK - 1) / CHUNK;
}

/* ---- per-op element combinators ---- */
#define C_SUM(a, x, s) ((a) + (x))
#define C_PROD(a, x, s) ((a) * (x))
/* max/min propagate NaN, as numpy and MXNet do (x != x only for NaN) */
#define C_MAX(a, x, s) ((x) > (a) || (x) != (x) ? (x) : (a))
#define C_MIN(a, x, s) ((x) < (a) || (x) != (x) ? (x) : (a))
#define C_NANSUM(a, x, s) ((x) == (x) ? (a) + (x) : (a))
#define C_NANPROD(a, x, s) ((x) == (x) ? (a) * (x) : (a))
#define C_ABS(a, x, s) ((a) + ((x) < 0 ? -(x) : (x)))
#define C_SQ(a, x, s) ((a) + (double)(x) * (double)(x))
#define C_LSE(a, x, s) ((a) + exp((double)(x) - (s)))
#define M_ADD(a, b) ((a) + (b))
#define M_MUL(a, b) ((a) * (b))

#define RED_KERNEL(NAME, T, LT, OT, INIT, COMB, MERGE)                                               \
    static OT NAME##_run(const T *x, int64_t n, double s) {                                          \
        OT acc = (OT)(INIT);                                                                         \
        for (int64_t i = 0; i < n; i += BLOCK) {                                                     \
            int64_t m = n - i < BLOCK ? n - i : BLOCK;                                               \
            const T *xb = x + i;                                                                     \
            LT lanes[LANES];                                                                         \
            for (int j = 0; j < LANES; j++) lanes[j] = (LT)(INIT);                                   \
            int64_t k = 0;                                                                           \
            for (; k + LANES <= m; k += LANES)                                                       \
                for (int j = 0; j < LANES; j++) lanes[j] = (LT)COMB(lanes[j], (LT)xb[k + j], s);   \
            LT r = (LT)(INIT);                                                                       \
            for (int j = 0; j < LANES; j++) r = (LT)MERGE(r, lanes[j]);                              \
            for (; k < m; k++) r = (LT)COMB(r, (LT)xb[k], s);                                        \
            acc = (OT)MERGE(acc, (OT)r);                                                             \
        }                                                                                            \
        return acc;                                                                                  \
    }                                                                                                \
    static void NAME##_task(void *ctx, int64_t t0, int64_t t1) {                                     \
        rplan *p = ctx;                                                                              \
        const T *X = p->x;                                                                           \
        OT *A = p->acc;                                                                              \
        for (int64_t t = t0; t < t1; t++) {                                                          \
            int64_t b = t / p->n_chunks, ch = t - b * p->n_chunks;                                   \
            int64_t base = mxr_decomp(b, p->nk, p->kshape, p->kstride);                                  \
            if (p->last_red) {                                                                       \
                double s = p->shift ? p->shift[b] : 0.0;                                             \
                OT acc = (OT)(INIT);                                                                 \
                for (int64_t r = 0; r < p->n_red; r++) {                                             \
                    int64_t off = base + mxr_decomp(r, p->nr, p->rshape, p->rstride);                    \
                    acc = (OT)MERGE(acc, NAME##_run(X + off, p->L, s));                              \
                }                                                                                    \
                A[b] = acc;                                                                          \
            } else {                                                                                 \
                int64_t j0 = ch * CHUNK, len = p->L - j0 < CHUNK ? p->L - j0 : CHUNK;                \
                OT lanes[CHUNK];                                                                     \
                double sh[CHUNK];                                                                    \
                for (int64_t j = 0; j < len; j++) {                                                  \
                    lanes[j] = (OT)(INIT);                                                           \
                    sh[j] = p->shift ? p->shift[b * p->L + j0 + j] : 0.0;                            \
                }                                                                                    \
                (void)sh;                                                                            \
                for (int64_t r = 0; r < p->n_red; r++) {                                             \
                    const T *xr = X + base + mxr_decomp(r, p->nr, p->rshape, p->rstride) + j0;           \
                    for (int64_t j = 0; j < len; j++) lanes[j] = (OT)COMB(lanes[j], (OT)xr[j], sh[j]); \
                }                                                                                    \
                memcpy(A + b * p->L + j0, lanes, sizeof(OT) * (size_t)len);                          \
            }                                                                                        \
        }                                                                                            \
    }                                                                                                \
    static void NAME##_split(void *ctx, int64_t c0, int64_t c1) {                                    \
        rplan *p = ctx;                                                                              \
        const T *X = (const T *)p->x + p->split_base;                                                \
        OT *P = p->partial;                                                                          \
        double s = p->shift ? p->shift[p->split_block] : 0.0;                                        \
        for (int64_t c = c0; c < c1; c++) {                                                          \
            int64_t b = c * p->split_chunk, e = b + p->split_chunk < p->L ? b + p->split_chunk : p->L; \
            P[c] = NAME##_run(X + b, e - b, s);                                                      \
        }                                                                                            \
    }                                                                                                \
    static void NAME##_go(rplan *p) {                                                                \
        int64_t tasks = p->n_blocks * p->n_chunks;                                                   \
        int64_t work = p->n_red * (p->last_red ? p->L : (p->L < CHUNK ? p->L : CHUNK));              \
        int nt = mxi_num_threads();                                                                  \
        if (p->last_red && p->n_red == 1 && tasks < 2 * nt && p->L >= (1 << 17)) {                   \
            p->split_chunk = 1 << 16;                                                                \
            int64_t nc = (p->L + p->split_chunk - 1) / p->split_chunk;                               \
            OT *part = malloc(sizeof(OT) * (size_t)nc);                                              \
            if (part) {                                                                              \
                p->partial = part;                                                                   \
                OT *A = p->acc;                                                                      \
                for (int64_t b = 0; b < p->n_blocks; b++) {                                          \
                    p->split_base = mxr_decomp(b, p->nk, p->kshape, p->kstride);                         \
                    p->split_block = b;                                                              \
                    mxi_parallel_for(nc, 1, NAME##_split, p);                                        \
                    OT acc = (OT)(INIT);                                                             \
                    for (int64_t c = 0; c < nc; c++) acc = (OT)MERGE(acc, part[c]);                  \
                    A[b] = acc;                                                                      \
                }                                                                                    \
                free(part);                                                                          \
                return;                                                                              \
            }                                                                                        \
        }                                                                                            \
        int64_t grain = work >= 32768 ? 1 : 32768 / (work ? work : 1);                               \
        mxi_parallel_for(tasks, grain, NAME##_task, p);                                              \
    }

#define M_MAX(a, b) C_MAX(a, b, 0)
#define M_MIN(a, b) C_MIN(a, b, 0)

/* accumulate types: float -> float lanes, double accumulators; ints -> int64 */
#define RED_FAMILY(OP, INITF, INITI, COMB, MERGE)                               \
    RED_KERNEL(OP##_f32, float, float, double, INITF, COMB, MERGE)              \
    RED_KERNEL(OP##_f64, double, double, double, INITF, COMB, MERGE)            \
    RED_KERNEL(OP##_i32, int32_t, int64_t, int64_t, INITI, COMB, MERGE)         \
    RED_KERNEL(OP##_i64, int64_t, int64_t, int64_t, INITI, COMB, MERGE)
#define RED_FFAMILY(OP, INIT, COMB, MERGE)                                      \
    RED_KERNEL(OP##_f32, float, double, double, INIT, COMB, MERGE)              \
    RED_KERNEL(OP##_f64, double, double, double, INIT, COMB, MERGE)

RED_FAMILY(rsum, 0, 0, C_SUM, M_ADD)
RED_FAMILY(rprod, 1, 1, C_PROD, M_MUL)
RED_FAMILY(rmax, -INFINITY, INT64_MIN, C_MAX, M_MAX)
RED_FAMILY(rmin, INFINITY, INT64_MAX, C_MIN, M_MIN)
RED_FFAMILY(rnansum, 0, C_NANSUM, M_ADD)
RED_FFAMILY(rnanprod, 1, C_NANPROD, M_MUL)
RED_FFAMILY(rabs, 0, C_ABS, M_ADD)
RED_FFAMILY(rsq, 0, C_SQ, M_ADD)
RED_FFAMILY(rlse, 0, C_LSE, M_ADD)

typedef void (*go_fn)(rplan *);
#define GO4(OP) {OP##_f32_go, OP##_f64_go, OP##_i32_go, OP##_i64_go}
#define GO2(OP) {OP##_f32_go, OP##_f64_go, NULL, NULL}
static const go_fn go_table[][4] = {
    [R_SUM] = GO4(rsum),       [R_MEAN] = GO4(rsum),        [R_PROD] = GO4(rprod), [R_MAX] = GO4(rmax),
    [R_MIN] = GO4(rmin),       [R_NANSUM] = GO2(rnansum),   [R_NANPROD] = GO2(rnanprod),
    [R_NORM1] = GO2(rabs),     [R_NORM2] = GO2(rsq),        [R_LSE] = GO2(rlse),
};

static int dt_index(int dt) {
    switch (dt) {
    case MX_FLOAT32: return 0;
    case MX_FLOAT64: return 1;
    case MX_INT32: return 2;
    case MX_INT64: return 3;
    default: return -1;
    }
}

/* Reduce x (contiguous) over axes red[] into out (contiguous, same element
 * count as the kept axes). */
static int run_reduce(mx_call *c, int kind, const int *red, const mx_tensor_s *x, mx_tensor_s *out) {
    int di = dt_index(x->dtype);
    if (kind == R_NANSUM && di >= 2) kind = R_SUM;
    if (kind == R_NANPROD && di >= 2) kind = R_PROD;
    go_fn go = di >= 0 ? go_table[kind][di] : NULL;
    if (!go) return mxi_op_error(c, MX_ERR_DTYPE, "unsupported dtype %s", mxi_dtype_name(x->dtype));
    rplan p;
    make_plan(&p, x->shape, x->ndim, red);
    int64_t n_out = out->size;
    int isf = di < 2;
    void *acc = malloc((size_t)(n_out ? n_out : 1) * 8);
    double *shift = NULL;
    if (!acc) return mxi_error(MX_ERR_MEMORY, "%s: out of memory", c->op->name);
    p.x = mxi_data(x);
    p.shift = NULL;
    if (kind == R_LSE) {
        shift = malloc((size_t)(n_out ? n_out : 1) * 8);
        if (!shift) { free(acc); return mxi_error(MX_ERR_MEMORY, "%s: out of memory", c->op->name); }
        p.acc = shift;
        go_table[R_MAX][di](&p);
        for (int64_t i = 0; i < n_out; i++) if (!isfinite(shift[i])) shift[i] = isnan(shift[i]) ? shift[i] : 0.0;
        p.shift = shift;
    }
    p.acc = acc;
    go(&p);
    double cnt = (double)p.count;
    void *o = mxi_data(out);
    for (int64_t i = 0; i < n_out; i++) {
        if (isf) {
            double v = ((double *)acc)[i];
            switch (kind) {
            case R_MEAN: v = v / cnt; break;
            case R_NORM2: v = sqrt(v); break;
            case R_LSE: v = log(v) + shift[i]; break;
            default: break;
            }
            if (x->dtype == MX_FLOAT32) ((float *)o)[i] = (float)v;
            else ((double *)o)[i] = v;
        } else {
            int64_t v = ((int64_t *)acc)[i];
            if (kind == R_MEAN) v = p.count ? v / p.count : 0;
            if (x->dtype == MX_INT32) ((int32_t *)o)[i] = (int32_t)v;
            else ((int64_t *)o)[i] = v;
        }
    }
    free(acc);
    free(shift);
    return MX_OK;
}

/* ---- attributes and inference ---- */
static const mx_attr_spec red_attrs[] = {
    {"axis", MX_ATTR_SHAPE, "None", "Axis or axes to reduce over; None (or ()) reduces over all axes.", NULL, 0, 0, 0},
    {"keepdims", MX_ATTR_BOOL, "False", "If True, reduced axes are kept as dimensions of size 1.", NULL, 0, 0, 0},
    {"exclude", MX_ATTR_BOOL, "False", "If True, reduce over all axes except the ones in `axis`.", NULL, 0, 0, 0},
};
static const mx_attr_spec norm_attrs[] = {
    {"ord", MX_ATTR_INT, "2", "Order of the norm: 1 (sum of absolute values) or 2 (Euclidean).", NULL, 1, 1, 2},
    {"axis", MX_ATTR_SHAPE, "None", "Axis or axes to compute the norm over; None means all axes.", NULL, 0, 0, 0},
    {"out_dtype", MX_ATTR_DTYPE, "None", "Output dtype; None keeps the input dtype.", NULL, 0, 0, 0},
    {"keepdims", MX_ATTR_BOOL, "False", "If True, reduced axes are kept as dimensions of size 1.", NULL, 0, 0, 0},
};
static const mx_attr_spec arg_attrs[] = {
    {"axis", MX_ATTR_OPT_INT, "None", "Axis along which to find the index; None searches the flattened array.", NULL, 0, 0, 0},
    {"keepdims", MX_ATTR_BOOL, "False", "If True, the reduced axis is kept with size 1.", NULL, 0, 0, 0},
};

static int op_kind(const mx_call *c) {
    const char *n = c->op->name;
    if (!strcmp(n, "sum")) return R_SUM;
    if (!strcmp(n, "mean")) return R_MEAN;
    if (!strcmp(n, "prod")) return R_PROD;
    if (!strcmp(n, "max")) return R_MAX;
    if (!strcmp(n, "min")) return R_MIN;
    if (!strcmp(n, "nansum")) return R_NANSUM;
    if (!strcmp(n, "nanprod")) return R_NANPROD;
    if (!strcmp(n, "logsumexp")) return R_LSE;
    if (!strcmp(n, "norm")) return c->attrs[0].i == 1 ? R_NORM1 : R_NORM2;
    return R_SUM;
}

static int is_norm(const mx_call *c) { return !strcmp(c->op->name, "norm"); }

/* reduced-axis mask and the kept ("keepdims") shape */
static int red_axes(const mx_call *c, int nd, int *red) {
    const mx_attr_val *axis = &c->attrs[is_norm(c) ? 1 : 0];
    int exclude = is_norm(c) ? 0 : (int)c->attrs[2].i;
    if (axis->is_none || axis->n == 0) {
        for (int i = 0; i < nd; i++) red[i] = 1;
        return MX_OK;
    }
    int mark[MX_MAX_NDIM] = {0};
    for (int k = 0; k < axis->n; k++) {
        int a;
        if (axis->v[k] == INT64_MIN) return mxi_op_error(c, MX_ERR_INVALID, "axis entries cannot be None");
        if (nd == 0) return mxi_op_error(c, MX_ERR_INVALID, "axis %lld is out of range for a 0-d input", (long long)axis->v[k]);
        MXI_TRY(mxi_norm_axis(c, axis->v[k], nd, &a));
        if (mark[a]) return mxi_op_error(c, MX_ERR_INVALID, "axis %d appears more than once", a);
        mark[a] = 1;
    }
    for (int i = 0; i < nd; i++) red[i] = exclude ? !mark[i] : mark[i];
    return MX_OK;
}

static void out_shape(const mx_tensor_s *x, const int *red, int keepdims, int64_t *shape, int *nd) {
    int n = 0;
    for (int i = 0; i < x->ndim; i++) {
        if (!red[i]) shape[n++] = x->shape[i];
        else if (keepdims) shape[n++] = 1;
    }
    if (n == 0) { shape[0] = 1; n = 1; }
    *nd = n;
}

static int keepdims_of(const mx_call *c) { return (int)c->attrs[is_norm(c) ? 3 : 1].i; }

static int infer_reduce(mx_call *c) {
    int red[MX_MAX_NDIM];
    MXI_TRY(red_axes(c, c->in[0]->ndim, red));
    int64_t shape[MX_MAX_NDIM];
    int nd;
    out_shape(c->in[0], red, keepdims_of(c), shape, &nd);
    int dt = c->in[0]->dtype;
    if (is_norm(c) && c->attrs[2].i >= 0) dt = (int)c->attrs[2].i;
    mxi_set_out(c, 0, shape, nd, dt);
    return MX_OK;
}

static int reduce_cpu(mx_call *c) {
    int red[MX_MAX_NDIM];
    MXI_TRY(red_axes(c, c->in[0]->ndim, red));
    mx_tensor_s *out = c->out[0];
    if (out->dtype != c->in[0]->dtype) {
        /* norm out_dtype: compute in the input dtype, convert */
        mx_tensor_s *tmp = mxi_tensor_new(out->shape, out->ndim, c->in[0]->dtype);
        if (!tmp) return mx_last_error_code();
        int rc = run_reduce(c, op_kind(c), red, c->in[0], tmp);
        if (rc == MX_OK) mxi_convert(mxi_data(tmp), tmp->dtype, mxi_data(out), out->dtype, out->size);
        mxi_tensor_release(tmp);
        return rc;
    }
    return run_reduce(c, op_kind(c), red, c->in[0], out);
}

/* ---- _reduce_to_shape_like ---- */
static int infer_rtsl(mx_call *c) {
    const mx_tensor_s *g = c->in[0], *l = c->in[1];
    int off = g->ndim - l->ndim;
    int ok = off >= 0;
    for (int i = 0; ok && i < l->ndim; i++) ok = l->shape[i] == g->shape[i + off] || l->shape[i] == 1;
    if (!ok) {
        char a[160], b[160];
        return mxi_op_error(c, MX_ERR_INVALID, "cannot reduce shape %s to %s (not a numpy broadcast of it)",
                            mxi_shape_str(g->shape, g->ndim, a, sizeof a), mxi_shape_str(l->shape, l->ndim, b, sizeof b));
    }
    mxi_set_out(c, 0, l->shape, l->ndim, g->dtype);
    return MX_OK;
}

static int rtsl_cpu(mx_call *c) {
    const mx_tensor_s *g = c->in[0], *l = c->in[1];
    int red[MX_MAX_NDIM], off = g->ndim - l->ndim;
    for (int i = 0; i < g->ndim; i++) red[i] = i < off || (l->shape[i - off] == 1 && g->shape[i] != 1);
    return run_reduce(c, R_SUM, red, g, c->out[0]);
}

/* ---- gradients ---- */
/* keepdims shape of x for the reduction of call c */
static int keep_shape(const mx_call *c, const mx_tensor_s *x, int64_t *shape, int *nd) {
    int red[MX_MAX_NDIM];
    MXI_TRY(red_axes(c, x->ndim, red));
    for (int i = 0; i < x->ndim; i++) shape[i] = red[i] ? 1 : x->shape[i];
    *nd = x->ndim;
    return MX_OK;
}

static mx_tensor_s *to_keep(mx_tensor_s *t, const int64_t *shape, int nd) {
    if (t->ndim == nd && !memcmp(t->shape, shape, sizeof(int64_t) * (size_t)nd)) {
        mxi_tensor_retain(t);
        return t;
    }
    return mxr_reshape(t, shape, nd);
}

static int sum_grad(mx_grad_ctx *g) {
    int64_t ks[MX_MAX_NDIM];
    int nd;
    MXI_TRY(keep_shape(g->call, g->in[0], ks, &nd));
    mx_tensor_s *r = to_keep(g->ograd[0], ks, nd);
    if (!r) return mx_last_error_code();
    mx_tensor_s *b = mxi_call1("broadcast_like", NULL, 2, r, g->in[0]);
    mxi_tensor_release(r);
    if (!b) return mx_last_error_code();
    if (!strcmp(g->call->op->name, "mean")) {
        int red[MX_MAX_NDIM];
        MXI_TRY(red_axes(g->call, g->in[0]->ndim, red));
        int64_t cnt = 1;
        for (int i = 0; i < g->in[0]->ndim; i++) if (red[i]) cnt *= g->in[0]->shape[i];
        char a[64];
        snprintf(a, sizeof a, "scalar=%.17g", cnt ? 1.0 / (double)cnt : 0.0);
        mx_tensor_s *m = mxi_call1("_mul_scalar", a, 1, b);
        mxi_tensor_release(b);
        if (!m) return mx_last_error_code();
        b = m;
    }
    g->igrad[0] = b;
    return MX_OK;
}

static const char *bw_kinds = "max,min,prod,nansum,nanprod,norm1,norm2,logsumexp";
enum { BW_MAX, BW_MIN, BW_PROD, BW_NANSUM, BW_NANPROD, BW_NORM1, BW_NORM2, BW_LSE };

static int other_grad(mx_grad_ctx *g) {
    int64_t ks[MX_MAX_NDIM];
    int nd;
    MXI_TRY(keep_shape(g->call, g->in[0], ks, &nd));
    int kind = op_kind(g->call);
    const char *kn;
    switch (kind) {
    case R_MAX: kn = "max"; break;
    case R_MIN: kn = "min"; break;
    case R_PROD: kn = "prod"; break;
    case R_NANSUM: kn = "nansum"; break;
    case R_NANPROD: kn = "nanprod"; break;
    case R_NORM1: kn = "norm1"; break;
    case R_NORM2: kn = "norm2"; break;
    default: kn = "logsumexp"; break;
    }
    mx_tensor_s *og = to_keep(g->ograd[0], ks, nd);
    mx_tensor_s *o = og ? to_keep(g->out[0], ks, nd) : NULL;
    if (o) {
        char a[64];
        snprintf(a, sizeof a, "kind=%s", kn);
        g->igrad[0] = mxi_call1("_backward_reduce", a, 3, og, g->in[0], o);
    }
    mxi_tensor_release(og);
    mxi_tensor_release(o);
    return g->igrad[0] ? MX_OK : mx_last_error_code();
}

static const mx_attr_spec bw_attrs[] = {
    {"kind", MX_ATTR_ENUM, "max", "Which reduction is being differentiated.", "max,min,prod,nansum,nanprod,norm1,norm2,logsumexp", 0, 0, 0},
};

static int infer_bw(mx_call *c) {
    mxi_same_as_in(c, 0, 1);
    return MX_OK;
}

#define BW_KERNEL(NAME, T)                                                                         \
    static void NAME(mx_call *c) {                                                                 \
        const mx_tensor_s *x = c->in[1];                                                           \
        const T *G = mxi_data(c->in[0]), *X = mxi_data(x), *O = mxi_data(c->in[2]);                \
        T *R = mxi_data(c->out[0]);                                                                \
        int kind = (int)c->attrs[0].i, nd = x->ndim;                                               \
        int64_t st[MX_MAX_NDIM], ks[MX_MAX_NDIM], idx[MX_MAX_NDIM] = {0};                          \
        mxr_strides(c->in[0]->shape, nd, ks);                                                      \
        for (int d = 0; d < nd; d++) st[d] = c->in[0]->shape[d] == 1 ? 0 : ks[d];                  \
        int64_t ko = 0;                                                                            \
        for (int64_t i = 0; i < x->size; i++) {                                                    \
            double gv = (double)G[ko], xv = (double)X[i], ov = (double)O[ko], r;                   \
            switch (kind) {                                                                        \
            case BW_MAX: case BW_MIN: r = xv == ov ? gv : 0.0; break;                              \
            case BW_PROD: r = gv * ov / xv; break;                                                 \
            case BW_NANSUM: r = xv == xv ? gv : 0.0; break;                                        \
            case BW_NANPROD: r = xv == xv ? gv * ov / xv : 0.0; break;                             \
            case BW_NORM1: r = xv > 0 ? gv : (xv < 0 ? -gv : 0.0); break;                          \
            case BW_NORM2: r = ov == 0 ? 0.0 : gv * xv / ov; break;                                \
            default: r = gv * exp(xv - ov); break;                                                 \
            }                                                                                      \
            R[i] = (T)r;                                                                           \
            for (int d = nd - 1; d >= 0; d--) {                                                    \
                ko += st[d];                                                                       \
                if (++idx[d] < x->shape[d]) break;                                                 \
                ko -= st[d] * x->shape[d];                                                         \
                idx[d] = 0;                                                                        \
            }                                                                                      \
        }                                                                                          \
    }
BW_KERNEL(bw_f32, float)
BW_KERNEL(bw_f64, double)

static int bw_cpu(mx_call *c) {
    if (c->in[1]->dtype == MX_FLOAT64) bw_f64(c);
    else bw_f32(c);
    return MX_OK;
}

static int rtsl_grad(mx_grad_ctx *g) {
    g->igrad[0] = mxi_call1("broadcast_like", NULL, 2, g->ograd[0], g->in[0]);
    return g->igrad[0] ? MX_OK : mx_last_error_code();
}

/* ---- argmax / argmin ---- */
static int infer_arg(mx_call *c) {
    const mx_tensor_s *x = c->in[0];
    int64_t shape[MX_MAX_NDIM];
    int nd = 0;
    if (c->attrs[0].is_none) {
        if (c->attrs[1].i) for (int i = 0; i < x->ndim; i++) shape[nd++] = 1;
    } else {
        int a;
        MXI_TRY(mxi_norm_axis(c, c->attrs[0].i, x->ndim, &a));
        if (x->ndim && x->shape[a] == 0) return mxi_op_error(c, MX_ERR_INVALID, "cannot take %s over an empty axis", c->op->name);
        for (int i = 0; i < x->ndim; i++) {
            if (i != a) shape[nd++] = x->shape[i];
            else if (c->attrs[1].i) shape[nd++] = 1;
        }
    }
    if (x->size == 0 && c->attrs[0].is_none) return mxi_op_error(c, MX_ERR_INVALID, "cannot take %s of an empty array", c->op->name);
    if (nd == 0) shape[nd++] = 1;
    mxi_set_out(c, 0, shape, nd, x->dtype); /* MXNet 1.x: indices in the input's dtype */
    return MX_OK;
}

/* index of the max (mx) or min along the middle of (outer, n, inner), first
 * occurrence wins and NaN beats any number; written as OT */
#define ARG_KERNEL(NAME, T, OT)                                                                 \
    static void NAME(const T *X, OT *O, int64_t outer, int64_t n, int64_t inner, int mx) {      \
        for (int64_t o = 0; o < outer; o++)                                                     \
            for (int64_t j = 0; j < inner; j++) {                                               \
                const T *p = X + o * n * inner + j;                                             \
                int64_t best = 0;                                                               \
                T bv = p[0];                                                                    \
                for (int64_t k = 1; k < n; k++) {                                               \
                    T v = p[k * inner];                                                         \
                    if (mx ? (v > bv || (bv != bv ? 0 : v != v)) : (v < bv || (bv != bv ? 0 : v != v))) { bv = v; best = k; } \
                }                                                                               \
                O[o * inner + j] = (OT)best;                                                    \
            }                                                                                   \
    }
ARG_KERNEL(argc_f32, float, float)
ARG_KERNEL(argc_f64, double, double)
ARG_KERNEL(argc_i32, int32_t, int32_t)
ARG_KERNEL(argc_i64, int64_t, int64_t)

/* argmax/argmin of float32 rows along a contiguous axis: the extreme value
 * over 16 lanes of a GCC vector (NaNs skipped, and noted), then the first
 * position holding it, or the first NaN when the row has one (NaN beats any
 * number, as the general kernel's rule; vec16.h). The general kernel's
 * branchy compare per element ran at a fifth of numpy's speed. Rows in
 * parallel. */
typedef struct {
    const float *x;
    float *o;
    int64_t n;
    int mx;
} arg_rows_job;

static MXI_CPU_CLONES void arg_rows_f32(void *ctx, int64_t b, int64_t e) {
    const arg_rows_job *j = ctx;
    const int64_t n = j->n;
    const float sgn = j->mx ? 1.0f : -1.0f; /* argmin as argmax of -x */
    for (int64_t r = b; r < e; r++) {
        const float *x = j->x + r * n;
        mxi_v16f best = mxi_v16_fill(-INFINITY);
        mxi_v16i nan = {0};
        int64_t i = 0;
        for (; i + 16 <= n; i += 16) {
            const mxi_v16f v = mxi_v16_load(x + i) * sgn;
            best = mxi_v16_max_skipnan(best, v);
            nan |= v != v;
        }
        float m = mxi_v16_hmax(best);
        int has_nan = 0;
        for (int q = 0; q < 16; q++) has_nan |= nan[q] != 0;
        for (int64_t t = i; t < n; t++) {
            const float v = x[t] * sgn;
            m = v > m ? v : m;
            has_nan |= v != v;
        }
        int64_t at = 0;
        if (has_nan) {
            while (at < n && x[at] == x[at]) at++;
        } else {
            while (at < n - 1 && !(x[at] * sgn == m)) at++;
        }
        j->o[r] = (float)at;
    }
}

static int arg_cpu(mx_call *c) {
    const mx_tensor_s *x = c->in[0];
    int64_t outer = 1, n = x->size, inner = 1;
    if (!c->attrs[0].is_none) {
        int a;
        MXI_TRY(mxi_norm_axis(c, c->attrs[0].i, x->ndim, &a));
        outer = 1;
        for (int i = 0; i < a; i++) outer *= x->shape[i];
        n = x->ndim ? x->shape[a] : 1;
        inner = 1;
        for (int i = a + 1; i < x->ndim; i++) inner *= x->shape[i];
    }
    int mx = !strcmp(c->op->name, "argmax");
    void *O = mxi_data(c->out[0]);
    if (x->dtype == MX_FLOAT32 && inner == 1 && n > 0) {
        arg_rows_job j = {mxi_data(x), O, n, mx};
        mxi_parallel_for(outer, 65536 / n + 1, arg_rows_f32, &j);
        return MX_OK;
    }
    switch (x->dtype) {
    case MX_FLOAT64: argc_f64(mxi_data(x), O, outer, n, inner, mx); break;
    case MX_INT32: argc_i32(mxi_data(x), O, outer, n, inner, mx); break;
    case MX_INT64: argc_i64(mxi_data(x), O, outer, n, inner, mx); break;
    default: argc_f32(mxi_data(x), O, outer, n, inner, mx); break;
    }
    return MX_OK;
}

/* ---- argmax_channel: MXNet's argmax over axis 1 (the channel axis of
 * (batch, channel, ...) data), without keepdims; unlike argmax the indices
 * keep the input's dtype, as in MXNet ---- */
static int infer_argc(mx_call *c) {
    const mx_tensor_s *x = c->in[0];
    char sb[128];
    if (x->ndim < 2)
        return mxi_op_error(c, MX_ERR_INVALID, "input must have at least 2 dims (batch, channel, ...), got %s",
                            mxi_shape_str(x->shape, x->ndim, sb, sizeof sb));
    if (x->shape[1] == 0) return mxi_op_error(c, MX_ERR_INVALID, "cannot take argmax over an empty channel axis");
    int64_t shape[MX_MAX_NDIM];
    int nd = 0;
    for (int i = 0; i < x->ndim; i++)
        if (i != 1) shape[nd++] = x->shape[i];
    mxi_set_out(c, 0, shape, nd, x->dtype);
    return MX_OK;
}

static int argc_cpu(mx_call *c) {
    const mx_tensor_s *x = c->in[0];
    int64_t outer = x->shape[0], n = x->shape[1], inner = 1;
    for (int i = 2; i < x->ndim; i++) inner *= x->shape[i];
    void *O = mxi_data(c->out[0]);
    switch (x->dtype) {
    case MX_FLOAT32: argc_f32(mxi_data(x), O, outer, n, inner, 1); break;
    case MX_FLOAT64: argc_f64(mxi_data(x), O, outer, n, inner, 1); break;
    case MX_INT32: argc_i32(mxi_data(x), O, outer, n, inner, 1); break;
    case MX_INT64: argc_i64(mxi_data(x), O, outer, n, inner, 1); break;
    default: return mxi_op_error(c, MX_ERR_DTYPE, "unsupported dtype %s", mxi_dtype_name(x->dtype));
    }
    return MX_OK;
}

#define RED_DT (MX_DT_FLOAT | MX_DT(MX_INT32) | MX_DT(MX_INT64))
#define NRED (int)(sizeof red_attrs / sizeof red_attrs[0])
#define RED_OP(NAME, ALIASES, DOC, GRAD)                                                                   \
    {.name = NAME, .aliases = ALIASES, .doc = DOC, .inputs = "data", .num_outputs = 1, .attrs = red_attrs, \
     .n_attrs = NRED, .infer = infer_reduce, .cpu = reduce_cpu, .grad = GRAD, .dtypes = RED_DT,           \
     .flags = MX_OPF_WRITES_ALL}

static const mx_op_def ops[] = {
    RED_OP("sum", "sum_axis", "Sum of array elements over the given axes.", sum_grad),
    RED_OP("mean", NULL, "Mean of array elements over the given axes.", sum_grad),
    RED_OP("prod", NULL, "Product of array elements over the given axes.", other_grad),
    RED_OP("max", "max_axis", "Maximum of array elements over the given axes.", other_grad),
    RED_OP("min", "min_axis", "Minimum of array elements over the given axes.", other_grad),
    {.name = "nansum", .doc = "Sum of array elements over the given axes, treating NaN as zero.", .inputs = "data",
     .num_outputs = 1, .attrs = red_attrs, .n_attrs = NRED, .infer = infer_reduce, .cpu = reduce_cpu,
     .grad = other_grad, .dtypes = RED_DT, .flags = MX_OPF_WRITES_ALL},
    {.name = "nanprod", .doc = "Product of array elements over the given axes, treating NaN as one.", .inputs = "data",
     .num_outputs = 1, .attrs = red_attrs, .n_attrs = NRED, .infer = infer_reduce, .cpu = reduce_cpu,
     .grad = other_grad, .dtypes = RED_DT, .flags = MX_OPF_WRITES_ALL},
    {.name = "logsumexp", .doc = "log(sum(exp(x))) over the given axes, computed stably (max-shifted).",
     .inputs = "data", .num_outputs = 1, .attrs = red_attrs, .n_attrs = NRED, .infer = infer_reduce,
     .cpu = reduce_cpu, .grad = other_grad, .dtypes = MX_DT_FLOAT, .flags = MX_OPF_WRITES_ALL},
    {.name = "norm", .doc = "L1 or L2 norm of the array over the given axes (all axes by default).",
     .inputs = "data", .num_outputs = 1, .attrs = norm_attrs, .n_attrs = 4, .infer = infer_reduce,
     .cpu = reduce_cpu, .grad = other_grad, .dtypes = MX_DT_FLOAT, .flags = MX_OPF_WRITES_ALL},
    {.name = "argmax", .doc = "Indices (in the input's dtype, as MXNet 1.x) of the maximum values along an axis (flattened if axis is None).",
     .inputs = "data", .num_outputs = 1, .attrs = arg_attrs, .n_attrs = 2, .infer = infer_arg, .cpu = arg_cpu,
     .dtypes = RED_DT, .flags = MX_OPF_WRITES_ALL | MX_OPF_NO_GRAD},
    {.name = "argmin", .doc = "Indices (in the input's dtype, as MXNet 1.x) of the minimum values along an axis (flattened if axis is None).",
     .inputs = "data", .num_outputs = 1, .attrs = arg_attrs, .n_attrs = 2, .infer = infer_arg, .cpu = arg_cpu,
     .dtypes = RED_DT, .flags = MX_OPF_WRITES_ALL | MX_OPF_NO_GRAD},
    {.name = "argmax_channel",
     .doc = "Indices of the maximum values along axis 1 (the channel axis), which is removed; indices keep the input's dtype.",
     .inputs = "data", .num_outputs = 1, .infer = infer_argc, .cpu = argc_cpu, .dtypes = RED_DT,
     .flags = MX_OPF_WRITES_ALL | MX_OPF_NO_GRAD},
    {.name = "_reduce_to_shape_like", .doc = "Sums input 0 down to the shape of input 1 (undoes numpy broadcasting).",
     .inputs = "data,like", .num_outputs = 1, .infer = infer_rtsl, .cpu = rtsl_cpu, .grad = rtsl_grad,
     .dtypes = RED_DT, .flags = MX_OPF_WRITES_ALL | MX_OPF_INTERNAL},
    {.name = "_backward_reduce", .doc = "Gradient of max/min/prod/nansum/nanprod/norm/logsumexp reductions.",
     .inputs = "ograd,data,out", .num_outputs = 1, .attrs = bw_attrs, .n_attrs = 1, .infer = infer_bw,
     .cpu = bw_cpu, .dtypes = MX_DT_FLOAT, .flags = MX_OPF_WRITES_ALL | MX_OPF_INTERNAL | MX_OPF_NO_GRAD},
};

void mxi_register_reduce(void) {
    (void)bw_kinds;
    mxi_register_ops(ops, (int)(sizeof ops / sizeof ops[0]));
}
