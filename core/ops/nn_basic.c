/* nn_basic.c — op family "nn_basic": FullyConnected, softmax / log_softmax /
 * softmin, SoftmaxActivation, Dropout and Embedding (MXNet 1.x names,
 * attributes and semantics).
 *
 * Matmul-like work goes to BLAS (mxi_sgemm/mxi_dgemm). Backward passes that
 * need dedicated kernels are internal `_backward_*` ops registered here. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "../../backends/cpu/cpu.h"
#include "../autograd.h"
#include "../op.h"
#include "../philox.h"
#include "fast_mathf.h"
#include "vec16.h"

static int64_t prod(const int64_t *s, int a, int b) {
    int64_t p = 1;
    for (int i = a; i < b; i++) p *= s[i];
    return p;
}

static int shape_eq(const int64_t *a, int na, const int64_t *b, int nb) {
    return na == nb && !memcmp(a, b, sizeof(int64_t) * (size_t)na);
}

static int grad_err(mx_grad_ctx *g, int n) {
    for (int i = 0; i < n; i++)
        if (g->igrad[i]) return MX_OK;
    return mx_last_error_code();
}

/* ======================================================================
 * FullyConnected
 * ====================================================================== */
enum { FC_NUM_HIDDEN, FC_NO_BIAS, FC_FLATTEN };
static const mx_attr_spec fc_attrs[] = {
    {"num_hidden", MX_ATTR_INT, NULL, "Number of hidden units (output features).", NULL, 1, 1, 9.2e18},
    {"no_bias", MX_ATTR_BOOL, "False", "Whether to disable the bias input.", NULL, 0, 0, 0},
    {"flatten", MX_ATTR_BOOL, "True",
     "Whether to collapse all but the first axis of the input (True) or apply to the last axis only (False).", NULL, 0, 0, 0},
};

/* the backward op has one more attribute: whether the data gradient is wanted
 * (the first layer's input needs none: that skips a third of the GEMM work) */
enum { FCB_DATA_GRAD = 3 };
static const mx_attr_spec fcb_attrs[] = {
    {"num_hidden", MX_ATTR_INT, NULL, "Number of hidden units (output features).", NULL, 1, 1, 9.2e18},
    {"no_bias", MX_ATTR_BOOL, "False", "Whether to disable the bias input.", NULL, 0, 0, 0},
    {"flatten", MX_ATTR_BOOL, "True",
     "Whether to collapse all but the first axis of the input (True) or apply to the last axis only (False).", NULL, 0, 0, 0},
    {"data_grad", MX_ATTR_BOOL, "True", "Compute the data gradient; when False output 0 is an empty (0,) array.", NULL, 0, 0, 0},
};

static int fc_num_inputs(const mx_call *c) { return c->attrs[FC_NO_BIAS].i ? 2 : 3; }

/* M rows, K inputs per row for data under `flatten`. */
static void fc_dims(const mx_tensor_s *d, int flatten, int64_t *M, int64_t *K) {
    if (flatten) {
        *M = d->shape[0];
        *K = prod(d->shape, 1, d->ndim);
    } else {
        *K = d->shape[d->ndim - 1];
        *M = prod(d->shape, 0, d->ndim - 1);
    }
}

static int fc_infer(mx_call *c) {
    const mx_tensor_s *d = c->in[0], *w = c->in[1];
    int64_t nh = c->attrs[FC_NUM_HIDDEN].i;
    int flatten = (int)c->attrs[FC_FLATTEN].i;
    char a[128], b[128];
    if (d->ndim < 1) return mxi_op_error(c, MX_ERR_INVALID, "data must have at least 1 dimension");
    MXI_TRY(mxi_require_same_dtype(c));
    if (!mxi_dtype_is_float(d->dtype))
        return mxi_op_error(c, MX_ERR_DTYPE, "data must be a floating point array, got %s", mxi_dtype_name(d->dtype));
    int64_t M, K;
    fc_dims(d, flatten, &M, &K);
    int64_t ws[2] = {nh, K};
    if (!shape_eq(w->shape, w->ndim, ws, 2))
        return mxi_op_error(c, MX_ERR_INVALID, "weight must have shape %s (num_hidden, input features), got %s",
                            mxi_shape_str(ws, 2, a, sizeof a), mxi_shape_str(w->shape, w->ndim, b, sizeof b));
    if (c->n_in > 2) {
        const mx_tensor_s *bias = c->in[2];
        if (!(bias->ndim == 1 && bias->shape[0] == nh))
            return mxi_op_error(c, MX_ERR_INVALID, "bias must have shape (%lld,), got %s", (long long)nh,
                                mxi_shape_str(bias->shape, bias->ndim, b, sizeof b));
    }
    int64_t os[MX_MAX_NDIM];
    int nd;
    if (flatten) {
        os[0] = d->shape[0];
        os[1] = nh;
        nd = 2;
    } else {
        memcpy(os, d->shape, sizeof(int64_t) * (size_t)d->ndim);
        os[d->ndim - 1] = nh;
        nd = d->ndim;
    }
    mxi_set_out(c, 0, os, nd, d->dtype);
    return MX_OK;
}

#define FC_FWD(SUF, T, GEMM)                                                          \
    static void fc_fwd_##SUF(mx_call *c, int64_t M, int64_t N, int64_t K) {           \
        const T *X = mxi_data(c->in[0]), *W = mxi_data(c->in[1]);                     \
        T *O = mxi_data(c->out[0]);                                                   \
        T beta = 0;                                                                   \
        if (c->n_in > 2) {                                                            \
            const T *B = mxi_data(c->in[2]);                                          \
            for (int64_t i = 0; i < M; i++) memcpy(O + i * N, B, sizeof(T) * (size_t)N); \
            beta = 1;                                                                 \
        }                                                                             \
        if (M > 0 && N > 0 && K > 0) GEMM(0, 1, M, N, K, 1, X, K, W, K, beta, O, N);  \
        else if (beta == 0) memset(O, 0, sizeof(T) * (size_t)(M * N));               \
    }
FC_FWD(f32, float, mxi_sgemm)
FC_FWD(f64, double, mxi_dgemm)

static int fc_cpu(mx_call *c) {
    int64_t M, K, N = c->attrs[FC_NUM_HIDDEN].i;
    fc_dims(c->in[0], (int)c->attrs[FC_FLATTEN].i, &M, &K);
    if (c->in[0]->dtype == MX_FLOAT64) fc_fwd_f64(c, M, N, K);
    else fc_fwd_f32(c, M, N, K);
    return MX_OK;
}

/* _backward_FullyConnected(ograd, data, weight) -> dgrad, wgrad[, bgrad] */
static int fcb_num_outputs(const mx_call *c) { return c->attrs[FC_NO_BIAS].i ? 2 : 3; }

static int fcb_infer(mx_call *c) {
    MXI_TRY(mxi_require_same_dtype(c));
    mxi_same_as_in(c, 0, 1);
    if (!c->attrs[FCB_DATA_GRAD].i) {
        static const int64_t zero = 0;
        mxi_set_out(c, 0, &zero, 1, c->in[0]->dtype);
    }
    mxi_same_as_in(c, 1, 2);
    if (c->n_out > 2) {
        int64_t s = c->attrs[FC_NUM_HIDDEN].i;
        mxi_set_out(c, 2, &s, 1, c->in[0]->dtype);
    }
    return MX_OK;
}

#define FC_BWD(SUF, T, GEMM)                                                             \
    static void fc_bwd_##SUF(mx_call *c, int64_t M, int64_t N, int64_t K) {              \
        const T *G = mxi_data(c->in[0]), *X = mxi_data(c->in[1]), *W = mxi_data(c->in[2]); \
        T *DX = mxi_data(c->out[0]), *DW = mxi_data(c->out[1]);                          \
        if (M > 0 && K > 0 && c->attrs[FCB_DATA_GRAD].i) {                               \
            if (N > 0) GEMM(0, 0, M, K, N, 1, G, N, W, K, 0, DX, K);                     \
            else memset(DX, 0, sizeof(T) * (size_t)(M * K));                             \
        }                                                                                \
        if (N > 0 && K > 0) {                                                            \
            if (M > 0) GEMM(1, 0, N, K, M, 1, G, N, X, K, 0, DW, K);                     \
            else memset(DW, 0, sizeof(T) * (size_t)(N * K));                             \
        }                                                                                \
        if (c->n_out > 2) {                                                              \
            T *DB = mxi_data(c->out[2]);                                                 \
            for (int64_t j = 0; j < N; j++) DB[j] = 0;                                   \
            for (int64_t i = 0; i < M; i++) {                                            \
                const T *g = G + i * N;                                                  \
                for (int64_t j = 0; j < N; j++) DB[j] += g[j];                           \
            }                                                                            \
        }                                                                                \
    }
FC_BWD(f32, float, mxi_sgemm)
FC_BWD(f64, double, mxi_dgemm)

static int fcb_cpu(mx_call *c) {
    int64_t M, K, N = c->attrs[FC_NUM_HIDDEN].i;
    fc_dims(c->in[1], (int)c->attrs[FC_FLATTEN].i, &M, &K);
    if (c->in[0]->dtype == MX_FLOAT64) fc_bwd_f64(c, M, N, K);
    else fc_bwd_f32(c, M, N, K);
    return MX_OK;
}

/* The FullyConnected gradient from differentiable ops (dot, sum, reshape),
 * for backward with create_graph: dX = G W, dW = G^T X, db = sum_rows G, with
 * X and G flattened to 2-D the way the forward saw them. */
static int fc_grad_composed(mx_grad_ctx *g) {
    const mx_call *c = g->call;
    const mx_tensor_s *x = g->in[0];
    const int flatten = (int)c->attrs[FC_FLATTEN].i;
    const int64_t H = c->attrs[FC_NUM_HIDDEN].i, K = x->ndim ? (flatten ? x->size / (x->shape[0] ? x->shape[0] : 1)
                                                                       : x->shape[x->ndim - 1]) : 1;
    char a[96];
    snprintf(a, sizeof a, "shape=(-1,%lld)", (long long)K);
    mx_tensor_s *x2 = mxi_call1("reshape", a, 1, g->in[0]);
    snprintf(a, sizeof a, "shape=(-1,%lld)", (long long)H);
    mx_tensor_s *g2 = x2 ? mxi_call1("reshape", a, 1, g->ograd[0]) : NULL;
    int rc = g2 ? MX_OK : mx_last_error_code();
    if (rc == MX_OK && mxi_grad_needed(g, 0)) {
        mx_tensor_s *dx2 = mxi_call1("dot", NULL, 2, g2, g->in[1]);
        g->igrad[0] = mxi_chain2("reshape_like", NULL, dx2, g->in[0]);
        mxi_tensor_release(dx2);
        if (!g->igrad[0]) rc = mx_last_error_code();
    }
    if (rc == MX_OK && mxi_grad_needed(g, 1)) {
        g->igrad[1] = mxi_call1("dot", "transpose_a=True", 2, g2, x2);
        if (!g->igrad[1]) rc = mx_last_error_code();
    }
    if (rc == MX_OK && c->n_in > 2 && mxi_grad_needed(g, 2)) {
        g->igrad[2] = mxi_call1("sum", "axis=0", 1, g2);
        if (!g->igrad[2]) rc = mx_last_error_code();
    }
    mxi_tensor_release(x2);
    mxi_tensor_release(g2);
    return rc;
}

static int fc_grad(mx_grad_ctx *g) {
    const mx_call *c = g->call;
    if (mxi_ag_recording()) return fc_grad_composed(g);
    char attrs[128];
    int data_grad = mxi_grad_needed(g, 0);
    snprintf(attrs, sizeof attrs, "num_hidden=%lld;no_bias=%d;flatten=%d;data_grad=%d", (long long)c->attrs[FC_NUM_HIDDEN].i,
             (int)c->attrs[FC_NO_BIAS].i, (int)c->attrs[FC_FLATTEN].i, data_grad);
    mx_tensor_s *in[3] = {g->ograd[0], g->in[0], g->in[1]};
    mx_tensor_s *out[MX_MAX_OUTPUTS] = {0};
    MXI_TRY(mxi_call("_backward_FullyConnected", in, 3, attrs, out, MX_MAX_OUTPUTS));
    for (int i = 0; i < c->n_in; i++) g->igrad[i] = out[i];
    if (!data_grad) { /* nobody needs it: no gradient rather than an empty one */
        mxi_tensor_release(g->igrad[0]);
        g->igrad[0] = NULL;
    }
    return MX_OK;
}

/* ======================================================================
 * softmax / log_softmax / softmin
 * ====================================================================== */
enum { SM_AXIS, SM_TEMP, SM_DTYPE, SM_USE_LENGTH };
static const mx_attr_spec sm_attrs[] = {
    {"axis", MX_ATTR_INT, "-1", "The axis along which to compute softmax.", NULL, 0, 0, 0},
    {"temperature", MX_ATTR_FLOATS, "None", "Temperature parameter in softmax (None means 1.0).", NULL, 0, 0, 0},
    {"dtype", MX_ATTR_DTYPE, "None", "Output dtype (float16/float32/float64); None means the input's dtype.", NULL, 0, 0, 0},
    {"use_length", MX_ATTR_BOOL, "False", "Whether to use the length input as a mask over the axis.", NULL, 0, 0, 0},
};
enum { SM_SOFTMAX, SM_LOG, SM_MIN };

static int sm_num_inputs(const mx_call *c) { return c->attrs[SM_USE_LENGTH].i ? 2 : 1; }

static double sm_temp(const mx_call *c) {
    const mx_attr_val *t = &c->attrs[SM_TEMP];
    return (t->is_none || t->n < 1) ? 1.0 : t->fv[0];
}

/* Geometry of a softmax along axis: outer x A x inner. */
typedef struct {
    int64_t outer, A, inner;
} sm_geom;

static int sm_geometry(const mx_call *c, const mx_tensor_s *d, sm_geom *gm, int *axis) {
    if (d->ndim == 0) return mxi_op_error(c, MX_ERR_INVALID, "data must have at least 1 dimension");
    MXI_TRY(mxi_norm_axis(c, c->attrs[SM_AXIS].i, d->ndim, axis));
    gm->outer = prod(d->shape, 0, *axis);
    gm->A = d->shape[*axis];
    gm->inner = prod(d->shape, *axis + 1, d->ndim);
    return MX_OK;
}

static int sm_check_common(mx_call *c, const mx_tensor_s *d, int axis) {
    const mx_attr_val *t = &c->attrs[SM_TEMP];
    if (!t->is_none && t->n != 1) return mxi_op_error(c, MX_ERR_INVALID, "temperature must be a single number");
    if (!t->is_none && t->fv[0] == 0) return mxi_op_error(c, MX_ERR_INVALID, "temperature must be non-zero");
    int dt = (int)c->attrs[SM_DTYPE].i;
    if (dt >= 0 && !mxi_dtype_is_float(dt))
        return mxi_op_error(c, MX_ERR_DTYPE, "dtype must be a floating point type, got %s", mxi_dtype_name(dt));
    if (c->attrs[SM_USE_LENGTH].i) {
        const mx_tensor_s *l = c->in[c->n_in - 1];
        int64_t want[MX_MAX_NDIM];
        int nw = 0;
        for (int i = 0; i < d->ndim; i++)
            if (i != axis) want[nw++] = d->shape[i];
        if (!shape_eq(l->shape, l->ndim, want, nw)) {
            char a[128], b[128];
            return mxi_op_error(c, MX_ERR_INVALID, "length must have shape %s (data shape without the axis), got %s",
                                mxi_shape_str(want, nw, a, sizeof a), mxi_shape_str(l->shape, l->ndim, b, sizeof b));
        }
    }
    return MX_OK;
}

static int sm_infer(mx_call *c) {
    const mx_tensor_s *d = c->in[0];
    sm_geom gm;
    int axis;
    MXI_TRY(sm_geometry(c, d, &gm, &axis));
    MXI_TRY(sm_check_common(c, d, axis));
    if (!mxi_dtype_is_float(d->dtype))
        return mxi_op_error(c, MX_ERR_DTYPE, "data must be a floating point array, got %s", mxi_dtype_name(d->dtype));
    int dt = (int)c->attrs[SM_DTYPE].i;
    mxi_set_out(c, 0, d->shape, d->ndim, dt >= 0 ? dt : d->dtype);
    return MX_OK;
}

/* Per-call arguments for the parallel kernels. */
typedef struct {
    const mx_call *c;
    sm_geom gm;
    int kind;
    double temp;
    const void *x;   /* forward: data; backward: ograd */
    const void *y;   /* backward: forward output */
    void *o;
    const mx_tensor_s *len;
} sm_args;

static int64_t sm_len(const sm_args *p, int64_t o, int64_t j) {
    if (!p->len) return p->gm.A;
    double v = mxi_load_as_double(mxi_data(p->len), p->len->dtype, o * p->gm.inner + j);
    int64_t l = (int64_t)v;
    if (l < 0) l = 0;
    if (l > p->gm.A) l = p->gm.A;
    return l;
}

/* Forward over outer rows [b, e): contiguous axis when inner == 1, else a
 * strided walk per inner column. TI: input type, TO: output type. */
#define SM_FWD(SUF, TI, TO)                                                               \
    static void sm_fwd_##SUF(void *ctx, int64_t b, int64_t e) {                            \
        sm_args *p = ctx;                                                                  \
        const TI *X = p->x;                                                                \
        TO *O = p->o;                                                                      \
        int64_t A = p->gm.A, inner = p->gm.inner;                                          \
        double it = 1.0 / p->temp;                                                         \
        double sgn = p->kind == SM_MIN ? -1.0 : 1.0;                                       \
        for (int64_t r = b; r < e; r++) {                                                  \
            int64_t o = r / inner, j = r % inner;                                          \
            const TI *x = X + o * A * inner + j;                                           \
            TO *y = O + o * A * inner + j;                                                 \
            int64_t L = sm_len(p, o, j);                                                   \
            double s = sgn * it;                                                           \
            double mx = -INFINITY;                                                         \
            for (int64_t a = 0; a < L; a++) {                                              \
                double v = (double)x[a * inner] * s;                                       \
                mx = v > mx ? v : mx;                                                      \
            }                                                                              \
            double sum = 0;                                                                \
            if (p->kind == SM_LOG) {                                                       \
                for (int64_t a = 0; a < L; a++) sum += exp((double)x[a * inner] * s - mx); \
                double ls = log(sum) + mx;                                                 \
                for (int64_t a = 0; a < L; a++) y[a * inner] = (TO)((double)x[a * inner] * s - ls); \
            } else {                                                                       \
                for (int64_t a = 0; a < L; a++) {                                          \
                    double ev = exp((double)x[a * inner] * s - mx);                        \
                    y[a * inner] = (TO)ev;                                                 \
                    sum += ev;                                                             \
                }                                                                          \
                double inv = 1.0 / sum;                                                    \
                for (int64_t a = 0; a < L; a++) y[a * inner] = (TO)((double)y[a * inner] * inv); \
            }                                                                              \
            for (int64_t a = L; a < A; a++) y[a * inner] = 0;                              \
        }                                                                                  \
    }

/* Fast float32 path for a contiguous last axis (the common case): mxi_expf
 * (fast_mathf.h: inline, so the loops vectorize), and the row's max and sum
 * over 16 lanes of GCC vector types: written as per-lane arrays the
 * vectorizer left both reductions scalar (a third of the kernel's time),
 * and one running value would be a dependent operation per element. libm's
 * expf and fmaxf had been calls per element. */
static MXI_CPU_CLONES void sm_fwd_f32_last(void *ctx, int64_t b, int64_t e) {
    sm_args *p = ctx;
    const float *X = p->x;
    float *O = p->o;
    int64_t A = p->gm.A;
    float s = (float)((p->kind == SM_MIN ? -1.0 : 1.0) / p->temp);
    for (int64_t r = b; r < e; r++) {
        const float *x = X + r * A;
        float *y = O + r * A;
        mxi_v16f m16 = mxi_v16_fill(-INFINITY), part = {0};
        float sum = 0;
        int64_t a = 0;
        /* a select, not fmaxf, with fmaxf's NaN rule: NaNs are skipped */
        for (; a + 16 <= A; a += 16) m16 = mxi_v16_max_skipnan(m16, mxi_v16_load(x + a) * s);
        float mx = mxi_v16_hmax(m16);
        for (; a < A; a++) mx = x[a] * s > mx ? x[a] * s : mx;
        /* exps in one plain loop (the vectorizer if-converts mxi_expf's
         * selects there), then their sum over 16 lanes */
        for (a = 0; a < A; a++) y[a] = mxi_expf(x[a] * s - mx);
        for (a = 0; a + 16 <= A; a += 16) part += mxi_v16_load(y + a);
        for (; a < A; a++) sum += y[a];
        for (int q = 0; q < 16; q++) sum += part[q];
        if (p->kind == SM_LOG) {
            const float ls = logf(sum) + mx;
            for (a = 0; a < A; a++) y[a] = x[a] * s - ls;
        } else {
            const float inv = 1.0f / sum;
            for (a = 0; a < A; a++) y[a] *= inv;
        }
    }
}

SM_FWD(ff, float, float)
SM_FWD(fd, float, double)
SM_FWD(df, double, float)
SM_FWD(dd, double, double)

static int64_t sm_grain(int64_t A) { return A > 0 ? (32768 / A) + 1 : 32768; }

/* _backward_<softmax>(ograd, out[, length]); attr dtype = the data's dtype
 * (the gradient's dtype). */
static int smb_num_inputs(const mx_call *c) { return c->attrs[SM_USE_LENGTH].i ? 3 : 2; }

static int smb_infer(mx_call *c) {
    const mx_tensor_s *g = c->in[0], *y = c->in[1];
    if (!shape_eq(g->shape, g->ndim, y->shape, y->ndim))
        return mxi_op_error(c, MX_ERR_INVALID, "ograd and output shapes differ");
    sm_geom gm;
    int axis;
    MXI_TRY(sm_geometry(c, g, &gm, &axis));
    int dt = (int)c->attrs[SM_DTYPE].i;
    mxi_set_out(c, 0, g->shape, g->ndim, dt >= 0 ? dt : g->dtype);
    return MX_OK;
}

/* softmax: dx = (g - sum(g*y)) * y * s; log_softmax: dx = (g - exp(y) sum(g)) * s;
 * softmin: dx = -(g - sum(g*y)) * y / T.   s = 1/T */
#define SM_BWD(SUF, TI, TO)                                                               \
    static void sm_bwd_##SUF(void *ctx, int64_t b, int64_t e) {                            \
        sm_args *p = ctx;                                                                  \
        const TI *G = p->x, *Y = p->y;                                                     \
        TO *O = p->o;                                                                      \
        int64_t A = p->gm.A, inner = p->gm.inner;                                          \
        double s = (p->kind == SM_MIN ? -1.0 : 1.0) / p->temp;                             \
        for (int64_t r = b; r < e; r++) {                                                  \
            int64_t o = r / inner, j = r % inner, base = o * A * inner + j;                \
            const TI *g = G + base, *y = Y + base;                                         \
            TO *dx = O + base;                                                             \
            int64_t L = sm_len(p, o, j);                                                   \
            double acc = 0;                                                                \
            if (p->kind == SM_LOG) {                                                       \
                for (int64_t a = 0; a < L; a++) acc += (double)g[a * inner];               \
                for (int64_t a = 0; a < L; a++)                                            \
                    dx[a * inner] = (TO)(((double)g[a * inner] - exp((double)y[a * inner]) * acc) * s); \
            } else {                                                                       \
                for (int64_t a = 0; a < L; a++) acc += (double)g[a * inner] * (double)y[a * inner]; \
                for (int64_t a = 0; a < L; a++)                                            \
                    dx[a * inner] = (TO)(((double)g[a * inner] - acc) * (double)y[a * inner] * s); \
            }                                                                              \
            for (int64_t a = L; a < A; a++) dx[a * inner] = 0;                             \
        }                                                                                  \
    }
SM_BWD(ff, float, float)
SM_BWD(fd, float, double)
SM_BWD(df, double, float)
SM_BWD(dd, double, double)

#include "softmax_cols.h"

static MXI_CPU_CLONES void sm_bwd_f32_last(void *ctx, int64_t b, int64_t e) {
    sm_args *p = ctx;
    const float *G = p->x, *Y = p->y;
    float *O = p->o;
    int64_t A = p->gm.A;
    float s = (float)((p->kind == SM_MIN ? -1.0 : 1.0) / p->temp);
    for (int64_t r = b; r < e; r++) {
        const float *g = G + r * A, *y = Y + r * A;
        float *dx = O + r * A;
        float acc = 0;
        if (p->kind == SM_LOG) {
            for (int64_t a = 0; a < A; a++) acc += g[a];
            for (int64_t a = 0; a < A; a++) dx[a] = (g[a] - mxi_expf(y[a]) * acc) * s;
        } else {
            for (int64_t a = 0; a < A; a++) acc += g[a] * y[a];
            for (int64_t a = 0; a < A; a++) dx[a] = (g[a] - acc) * y[a] * s;
        }
    }
}

/* One launcher for the softmax family and SoftmaxActivation, forward
 * (data[, length]) and backward (ograd, out[, length]) over an outer x A x
 * inner geometry: kernels picked by (in, out) dtype, the float32 last-axis
 * fast path when no lengths mask rows. */
static int sm_launch_geom(mx_call *c, int kind, int backward, const sm_geom *gm, double temp,
                          const mx_tensor_s *len) {
    static const mxi_range_fn fwd[2][2] = {{sm_fwd_ff, sm_fwd_fd}, {sm_fwd_df, sm_fwd_dd}};
    static const mxi_range_fn bwd[2][2] = {{sm_bwd_ff, sm_bwd_fd}, {sm_bwd_df, sm_bwd_dd}};
    sm_args p;
    p.gm = *gm;
    p.c = c;
    p.kind = kind;
    p.temp = temp;
    p.x = mxi_data(c->in[0]);
    p.y = backward ? mxi_data(c->in[1]) : NULL;
    p.o = mxi_data(c->out[0]);
    p.len = len;
    int64_t rows = p.gm.outer * p.gm.inner;
    if (p.gm.A == 0 || rows == 0) return MX_OK;
    if (backward && c->in[0]->dtype != c->in[1]->dtype) return mxi_op_error(c, MX_ERR_DTYPE, "ograd and output dtypes differ");
    int fi = c->in[0]->dtype == MX_FLOAT64, fo = c->out[0]->dtype == MX_FLOAT64;
    mxi_range_fn fn = (backward ? bwd : fwd)[fi][fo];
    if (!fi && !fo && p.gm.inner == 1 && !p.len) fn = backward ? sm_bwd_f32_last : sm_fwd_f32_last;
    if (!fi && !fo && p.gm.inner > 1 && !p.len) { /* blocks of contiguous columns (softmax_cols.h) */
        int64_t per_unit = p.gm.A * (p.gm.inner < SMC_COLS ? p.gm.inner : SMC_COLS);
        mxi_parallel_for(smc_units(&p.gm), 32768 / (per_unit + 1) + 1, backward ? sm_bwd_f32_cols : sm_fwd_f32_cols,
                         &p);
        return MX_OK;
    }
    mxi_parallel_for(rows, sm_grain(p.gm.A), fn, &p);
    return MX_OK;
}

/* The softmax family's kernels: geometry from the axis attribute. */
static int sm_launch(mx_call *c, int kind, int backward) {
    sm_geom gm;
    int axis;
    MXI_TRY(sm_geometry(c, c->in[0], &gm, &axis));
    return sm_launch_geom(c, kind, backward, &gm, sm_temp(c),
                          c->attrs[SM_USE_LENGTH].i ? c->in[backward ? 2 : 1] : NULL);
}

static int softmax_cpu(mx_call *c) { return sm_launch(c, SM_SOFTMAX, 0); }
static int log_softmax_cpu(mx_call *c) { return sm_launch(c, SM_LOG, 0); }
static int softmin_cpu(mx_call *c) { return sm_launch(c, SM_MIN, 0); }
static int softmax_bwd_cpu(mx_call *c) { return sm_launch(c, SM_SOFTMAX, 1); }
static int log_softmax_bwd_cpu(mx_call *c) { return sm_launch(c, SM_LOG, 1); }
static int softmin_bwd_cpu(mx_call *c) { return sm_launch(c, SM_MIN, 1); }

static int sm_grad_common(mx_grad_ctx *g, const char *bwd) {
    const mx_call *c = g->call;
    char attrs[160], temp[48] = "None";
    if (!c->attrs[SM_TEMP].is_none) snprintf(temp, sizeof temp, "%.17g", sm_temp(c));
    snprintf(attrs, sizeof attrs, "axis=%lld;temperature=%s;dtype=%s;use_length=%d", (long long)c->attrs[SM_AXIS].i,
             temp, mxi_dtype_name(g->in[0]->dtype), (int)c->attrs[SM_USE_LENGTH].i);
    mx_tensor_s *in[3] = {g->ograd[0], g->out[0], c->n_in > 1 ? g->in[1] : NULL};
    mx_tensor_s *out[MX_MAX_OUTPUTS] = {0};
    MXI_TRY(mxi_call(bwd, in, c->n_in > 1 ? 3 : 2, attrs, out, MX_MAX_OUTPUTS));
    g->igrad[0] = out[0];
    return MX_OK;
}
static int softmax_grad(mx_grad_ctx *g) { return sm_grad_common(g, "_backward_softmax"); }
static int log_softmax_grad(mx_grad_ctx *g) { return sm_grad_common(g, "_backward_log_softmax"); }
static int softmin_grad(mx_grad_ctx *g) { return sm_grad_common(g, "_backward_softmin"); }

/* ======================================================================
 * SoftmaxActivation (MXNet's legacy op; softmax with a mode instead of an axis)
 *   instance: softmax over the last axis of every instance. MXNet 1.x flattens
 *             the data to 2-D as (all leading axes, last axis), so for N-D data
 *             this is the last axis, not all non-batch axes; 2-D data: axis 1.
 *   channel:  softmax over axis 1 at every spatial position (data rank >= 3).
 * The same kernels as softmax (sm_launch_geom); the gradient is softmax's,
 * along the matching axis. (MXNet 1.9.1's own instance-mode backward on N-D
 * data reduces over axis 1, which does not match its forward; this is the
 * true gradient of the forward, as for 2-D data, where both agree.)
 * ====================================================================== */
enum { SA_MODE };
enum { SA_INSTANCE, SA_CHANNEL };
static const mx_attr_spec sa_attrs[] = {
    {"mode", MX_ATTR_ENUM, "instance",
     "instance: softmax over the last axis (for 2-D data, over each row); channel: softmax over axis 1 at each "
     "spatial position (needs at least 3 dimensions).",
     "instance,channel", 0, 0, 0},
};

static int sa_geometry(const mx_call *c, const mx_tensor_s *d, sm_geom *gm) {
    if (c->attrs[SA_MODE].i == SA_CHANNEL) {
        if (d->ndim < 3) {
            char b[128];
            return mxi_op_error(c, MX_ERR_INVALID, "mode=channel needs data with at least 3 dimensions (N, C, ...), got %s",
                                mxi_shape_str(d->shape, d->ndim, b, sizeof b));
        }
        gm->outer = d->shape[0];
        gm->A = d->shape[1];
        gm->inner = prod(d->shape, 2, d->ndim);
        return MX_OK;
    }
    if (d->ndim < 1) return mxi_op_error(c, MX_ERR_INVALID, "data must have at least 1 dimension");
    gm->outer = prod(d->shape, 0, d->ndim - 1);
    gm->A = d->shape[d->ndim - 1];
    gm->inner = 1;
    return MX_OK;
}

static int sa_infer(mx_call *c) {
    const mx_tensor_s *d = c->in[0];
    sm_geom gm;
    MXI_TRY(sa_geometry(c, d, &gm));
    if (!mxi_dtype_is_float(d->dtype))
        return mxi_op_error(c, MX_ERR_DTYPE, "data must be a floating point array, got %s", mxi_dtype_name(d->dtype));
    mxi_same_as_in(c, 0, 0);
    return MX_OK;
}

static int sa_cpu(mx_call *c) {
    sm_geom gm;
    MXI_TRY(sa_geometry(c, c->in[0], &gm));
    return sm_launch_geom(c, SM_SOFTMAX, 0, &gm, 1.0, NULL);
}

/* softmax's backward along the mode's axis (last, or 1) from (ograd, out) */
static int sa_grad(mx_grad_ctx *g) {
    const mx_call *c = g->call;
    char attrs[96];
    snprintf(attrs, sizeof attrs, "axis=%d;dtype=%s", c->attrs[SA_MODE].i == SA_CHANNEL ? 1 : -1,
             mxi_dtype_name(g->in[0]->dtype));
    g->igrad[0] = mxi_call1("_backward_softmax", attrs, 2, g->ograd[0], g->out[0]);
    return g->igrad[0] ? MX_OK : mx_last_error_code();
}

/* ======================================================================
 * Dropout
 * ====================================================================== */
enum { DO_P, DO_MODE, DO_AXES, DO_CUDNN_OFF };
static const mx_attr_spec do_attrs[] = {
    {"p", MX_ATTR_FLOAT, "0.5", "Fraction of the input that gets dropped out during training.", NULL, 1, 0, 1},
    {"mode", MX_ATTR_ENUM, "training", "Whether to only turn on dropout during training (training) or always (always).",
     "training,always", 0, 0, 0},
    {"axes", MX_ATTR_SHAPE, "()", "Axes along which the dropout mask is shared.", NULL, 0, 0, 0},
    {"cudnn_off", MX_ATTR_BOOL, "False", "Ignored (cuDNN selection in MXNet).", NULL, 0, 0, 0},
};

static int do_active(const mx_call *c) { return c->attrs[DO_MODE].i == 1 || c->training; }

static int do_infer(mx_call *c) {
    const mx_tensor_s *d = c->in[0];
    if (!mxi_dtype_is_float(d->dtype))
        return mxi_op_error(c, MX_ERR_DTYPE, "data must be a floating point array, got %s", mxi_dtype_name(d->dtype));
    int64_t ms[MX_MAX_NDIM];
    memcpy(ms, d->shape, sizeof(int64_t) * (size_t)d->ndim);
    const mx_attr_val *ax = &c->attrs[DO_AXES];
    for (int i = 0; !ax->is_none && i < ax->n; i++) {
        int a;
        MXI_TRY(mxi_norm_axis(c, ax->v[i], d->ndim, &a));
        ms[a] = 1;
    }
    mxi_same_as_in(c, 0, 0);
    mxi_set_out(c, 1, ms, d->ndim, d->dtype);
    return MX_OK;
}

typedef struct {
    const mx_call *c;
    void *mask;
    double p, scale;
    int f64;
} do_args;

/* keep element i when its uniform draw u = x / 2^53 (mxi_rng_uniform) is >= p,
 * i.e. when the integer x >= ceil(p * 2^53) (exact: both sides are integers);
 * the Philox block inline (philox.h) and an integer compare let the loop
 * vectorize: 1M floats 19 -> ~2 ms on one thread */
static MXI_CPU_CLONES void do_mask_range(void *ctx, int64_t b, int64_t e) {
    do_args *a = ctx;
    const uint64_t keep_from = (uint64_t)ceil(a->p * 9007199254740992.0);
    const uint64_t seed = a->c->rng_seed, off = a->c->rng_offset;
    if (a->f64) {
        double *m = a->mask;
        for (int64_t i = b; i < e; i++) m[i] = mxi_philox_u53(seed, off + (uint64_t)i) >= keep_from ? a->scale : 0.0;
    } else {
        float *m = a->mask;
        float s = (float)a->scale;
        for (int64_t i = b; i < e; i++) m[i] = mxi_philox_u53(seed, off + (uint64_t)i) >= keep_from ? s : 0.0f;
    }
}

#define DO_APPLY(SUF, T)                                                                     \
    static void do_apply_##SUF(mx_call *c) {                                                 \
        const mx_tensor_s *d = c->in[0], *mk = c->out[1];                                    \
        const T *X = mxi_data(d), *Mk = mxi_data(mk);                                        \
        T *O = mxi_data(c->out[0]);                                                          \
        if (mk->size == d->size) {                                                           \
            for (int64_t i = 0; i < d->size; i++) O[i] = X[i] * Mk[i];                       \
            return;                                                                          \
        }                                                                                    \
        int nd = d->ndim;                                                                    \
        int64_t ms[MX_MAX_NDIM], idx[MX_MAX_NDIM] = {0};                                     \
        int64_t st = 1;                                                                      \
        for (int i = nd - 1; i >= 0; i--) {                                                  \
            ms[i] = mk->shape[i] == 1 ? 0 : st;                                              \
            st *= mk->shape[i];                                                              \
        }                                                                                    \
        for (int64_t i = 0; i < d->size; i++) {                                              \
            int64_t off = 0;                                                                 \
            for (int k = 0; k < nd; k++) off += idx[k] * ms[k];                              \
            O[i] = X[i] * Mk[off];                                                           \
            for (int k = nd - 1; k >= 0; k--) {                                              \
                if (++idx[k] < d->shape[k]) break;                                           \
                idx[k] = 0;                                                                  \
            }                                                                                \
        }                                                                                    \
    }
DO_APPLY(f32, float)
DO_APPLY(f64, double)

static int do_cpu(mx_call *c) {
    mx_tensor_s *d = c->in[0], *mk = c->out[1];
    int f64 = d->dtype == MX_FLOAT64;
    double p = c->attrs[DO_P].f;
    if (!do_active(c) || p == 0) {
        size_t es = mxi_dtype_size(d->dtype);
        if (d->size) memcpy(mxi_data(c->out[0]), mxi_data(d), es * (size_t)d->size);
        for (int64_t i = 0; i < mk->size; i++) {
            if (f64) MXI_PTR(double, mk)[i] = 1.0;
            else MXI_PTR(float, mk)[i] = 1.0f;
        }
        return MX_OK;
    }
    do_args a = {c, mxi_data(mk), p, p >= 1 ? 0.0 : 1.0 / (1.0 - p), f64};
    mxi_parallel_for(mk->size, 16384, do_mask_range, &a);
    if (f64) do_apply_f64(c);
    else do_apply_f32(c);
    return MX_OK;
}

static int do_grad(mx_grad_ctx *g) {
    const mx_call *c = g->call;
    if (!do_active(c) || c->attrs[DO_P].f == 0) {
        mxi_tensor_retain(g->ograd[0]);
        g->igrad[0] = g->ograd[0];
        return MX_OK;
    }
    g->igrad[0] = mxi_call1("broadcast_mul", NULL, 2, g->ograd[0], g->out[1]);
    return grad_err(g, 1);
}

/* ======================================================================
 * Embedding
 * ====================================================================== */
enum { EM_INPUT_DIM, EM_OUTPUT_DIM, EM_DTYPE, EM_SPARSE_GRAD };
static const mx_attr_spec em_attrs[] = {
    {"input_dim", MX_ATTR_INT, NULL, "Vocabulary size of the input indices.", NULL, 1, 1, 9.2e18},
    {"output_dim", MX_ATTR_INT, NULL, "Dimension of the embedding vectors.", NULL, 1, 0, 9.2e18},
    {"dtype", MX_ATTR_DTYPE, "float32", "Data type of the weight (the output takes the weight's dtype).", NULL, 0, 0, 0},
    {"sparse_grad", MX_ATTR_BOOL, "False", "Ignored: gradients are always dense here.", NULL, 0, 0, 0},
};

static int em_infer(mx_call *c) {
    const mx_tensor_s *d = c->in[0], *w = c->in[1];
    int64_t ws[2] = {c->attrs[EM_INPUT_DIM].i, c->attrs[EM_OUTPUT_DIM].i};
    if (!shape_eq(w->shape, w->ndim, ws, 2)) {
        char a[128], b[128];
        return mxi_op_error(c, MX_ERR_INVALID, "weight must have shape %s (input_dim, output_dim), got %s",
                            mxi_shape_str(ws, 2, a, sizeof a), mxi_shape_str(w->shape, w->ndim, b, sizeof b));
    }
    if (!mxi_dtype_is_float(w->dtype))
        return mxi_op_error(c, MX_ERR_DTYPE, "weight must be a floating point array, got %s", mxi_dtype_name(w->dtype));
    if (d->ndim + 1 > MX_MAX_NDIM) return mxi_op_error(c, MX_ERR_INVALID, "data has too many dimensions");
    int64_t os[MX_MAX_NDIM];
    memcpy(os, d->shape, sizeof(int64_t) * (size_t)d->ndim);
    os[d->ndim] = ws[1];
    mxi_set_out(c, 0, os, d->ndim + 1, w->dtype);
    return MX_OK;
}

static int64_t em_index(const mx_tensor_s *d, int64_t i, int64_t n) {
    double v;
    switch (d->dtype) {
    case MX_FLOAT32: v = MXI_PTR(float, d)[i]; break;
    case MX_FLOAT64: v = MXI_PTR(double, d)[i]; break;
    case MX_INT32: v = MXI_PTR(int32_t, d)[i]; break;
    case MX_INT64: {
        int64_t k = MXI_PTR(int64_t, d)[i];
        return k < 0 ? 0 : (k >= n ? n - 1 : k);
    }
    default: v = mxi_load_as_double(mxi_data(d), d->dtype, i);
    }
    int64_t k = (int64_t)v; /* MXNet casts then clips */
    return k < 0 ? 0 : (k >= n ? n - 1 : k);
}

static int em_cpu(mx_call *c) {
    const mx_tensor_s *d = c->in[0], *w = c->in[1];
    int64_t n = w->shape[0], D = w->shape[1];
    size_t row = mxi_dtype_size(w->dtype) * (size_t)D;
    const char *W = mxi_data(w);
    char *O = mxi_data(c->out[0]);
    for (int64_t i = 0; i < d->size; i++) memcpy(O + (size_t)i * row, W + (size_t)em_index(d, i, n) * row, row);
    return MX_OK;
}

/* _backward_Embedding(ograd, data) -> weight gradient (scatter-add) */
static int emb_infer(mx_call *c) {
    int64_t ws[2] = {c->attrs[EM_INPUT_DIM].i, c->attrs[EM_OUTPUT_DIM].i};
    mxi_set_out(c, 0, ws, 2, c->in[0]->dtype);
    return MX_OK;
}

static int emb_cpu(mx_call *c) {
    const mx_tensor_s *g = c->in[0], *d = c->in[1];
    int64_t n = c->attrs[EM_INPUT_DIM].i, D = c->attrs[EM_OUTPUT_DIM].i;
    if (g->size != d->size * D) return mxi_op_error(c, MX_ERR_INVALID, "ograd size does not match data");
    if (g->dtype == MX_FLOAT64) {
        const double *G = mxi_data(g);
        double *O = mxi_data(c->out[0]);
        for (int64_t i = 0; i < d->size; i++) {
            double *o = O + em_index(d, i, n) * D;
            const double *gi = G + i * D;
            for (int64_t j = 0; j < D; j++) o[j] += gi[j];
        }
    } else {
        const float *G = mxi_data(g);
        float *O = mxi_data(c->out[0]);
        for (int64_t i = 0; i < d->size; i++) {
            float *o = O + em_index(d, i, n) * D;
            const float *gi = G + i * D;
            for (int64_t j = 0; j < D; j++) o[j] += gi[j];
        }
    }
    return MX_OK;
}

static int em_grad(mx_grad_ctx *g) {
    const mx_call *c = g->call;
    char attrs[96];
    snprintf(attrs, sizeof attrs, "input_dim=%lld;output_dim=%lld", (long long)c->attrs[EM_INPUT_DIM].i,
             (long long)c->attrs[EM_OUTPUT_DIM].i);
    g->igrad[0] = NULL;
    g->igrad[1] = mxi_call1("_backward_Embedding", attrs, 2, g->ograd[0], g->in[0]);
    return g->igrad[1] ? MX_OK : mx_last_error_code();
}

/* Parameter shapes from the data (graph inference of unknown weights):
 * FullyConnected weight (num_hidden, in_units) and bias (num_hidden,),
 * Embedding weight (input_dim, output_dim) of its dtype attribute. */
static int fc_param_shape(const mx_call *c, int slot, int64_t *shape, int *ndim, int *dtype) {
    const mx_tensor_s *x = c->in[0];
    shape[0] = c->attrs[FC_NUM_HIDDEN].i;
    if (slot == 2) return (*ndim = 1, 0);
    if (slot != 1 || x->ndim < 1) return 1;
    int64_t k = x->shape[x->ndim - 1];
    if (c->attrs[FC_FLATTEN].i) {
        k = 1;
        for (int d = 1; d < x->ndim; d++) k *= x->shape[d];
    }
    shape[1] = k;
    *ndim = 2;
    return 0;
}

static int em_param_shape(const mx_call *c, int slot, int64_t *shape, int *ndim, int *dtype) {
    if (slot != 1) return 1;
    shape[0] = c->attrs[EM_INPUT_DIM].i;
    shape[1] = c->attrs[EM_OUTPUT_DIM].i;
    *ndim = 2;
    *dtype = (int)c->attrs[EM_DTYPE].i;
    return 0;
}

#define NA(a) (int)(sizeof a / sizeof a[0])
#define IDX_DTYPES (MX_DT_FLOAT | MX_DT(MX_INT32) | MX_DT(MX_INT64) | MX_DT(MX_UINT8) | MX_DT(MX_INT8))

static const mx_op_def ops[] = {
    {.name = "FullyConnected", .doc = "Applies a linear transformation: out = data * weight^T + bias. With flatten=True "
                                      "the data is reshaped to (batch, rest); otherwise the last axis is transformed.",
     .inputs = "data,weight,bias", .num_outputs = 1, .attrs = fc_attrs, .n_attrs = NA(fc_attrs),
     .num_inputs_fn = fc_num_inputs, .infer = fc_infer, .param_shape = fc_param_shape, .cpu = fc_cpu, .grad = fc_grad,
     .flags = MX_OPF_WRITES_ALL, .dtypes = MX_DT_FLOAT},
    {.name = "_backward_FullyConnected", .doc = "Gradient of FullyConnected w.r.t. data, weight and bias.",
     .inputs = "ograd,data,weight", .num_outputs = 3, .attrs = fcb_attrs, .n_attrs = NA(fcb_attrs),
     .num_outputs_fn = fcb_num_outputs, .infer = fcb_infer, .cpu = fcb_cpu,
     .flags = MX_OPF_INTERNAL | MX_OPF_WRITES_ALL, .dtypes = MX_DT_FLOAT},

    {.name = "softmax", .doc = "Softmax along an axis: exp(x/T) / sum(exp(x/T)), computed stably.",
     .inputs = "data,length", .num_outputs = 1, .attrs = sm_attrs, .n_attrs = NA(sm_attrs),
     .num_inputs_fn = sm_num_inputs, .infer = sm_infer, .cpu = softmax_cpu, .grad = softmax_grad,
     .flags = MX_OPF_WRITES_ALL, .dtypes = MX_DT_FLOAT}, /* every kernel writes all outputs */
    {.name = "log_softmax", .doc = "Log of softmax along an axis, computed stably.",
     .inputs = "data,length", .num_outputs = 1, .attrs = sm_attrs, .n_attrs = NA(sm_attrs),
     .num_inputs_fn = sm_num_inputs, .infer = sm_infer, .cpu = log_softmax_cpu, .grad = log_softmax_grad,
     .flags = MX_OPF_WRITES_ALL, .dtypes = MX_DT_FLOAT}, /* every kernel writes all outputs */
    {.name = "softmin", .doc = "Softmin along an axis: softmax(-x/T).",
     .inputs = "data,length", .num_outputs = 1, .attrs = sm_attrs, .n_attrs = NA(sm_attrs),
     .num_inputs_fn = sm_num_inputs, .infer = sm_infer, .cpu = softmin_cpu, .grad = softmin_grad,
     .flags = MX_OPF_WRITES_ALL, .dtypes = MX_DT_FLOAT}, /* every kernel writes all outputs */
    {.name = "_backward_softmax", .doc = "Gradient of softmax from (ograd, output).", .inputs = "ograd,out,length",
     .num_outputs = 1, .attrs = sm_attrs, .n_attrs = NA(sm_attrs), .num_inputs_fn = smb_num_inputs,
     .infer = smb_infer, .cpu = softmax_bwd_cpu, .flags = MX_OPF_INTERNAL | MX_OPF_WRITES_ALL,
     .dtypes = MX_DT_FLOAT},
    {.name = "_backward_log_softmax", .doc = "Gradient of log_softmax from (ograd, output).",
     .inputs = "ograd,out,length", .num_outputs = 1, .attrs = sm_attrs, .n_attrs = NA(sm_attrs),
     .num_inputs_fn = smb_num_inputs, .infer = smb_infer, .cpu = log_softmax_bwd_cpu, .flags = MX_OPF_INTERNAL | MX_OPF_WRITES_ALL,
     .dtypes = MX_DT_FLOAT},
    {.name = "_backward_softmin", .doc = "Gradient of softmin from (ograd, output).", .inputs = "ograd,out,length",
     .num_outputs = 1, .attrs = sm_attrs, .n_attrs = NA(sm_attrs), .num_inputs_fn = smb_num_inputs,
     .infer = smb_infer, .cpu = softmin_bwd_cpu, .flags = MX_OPF_INTERNAL | MX_OPF_WRITES_ALL,
     .dtypes = MX_DT_FLOAT},

    {.name = "SoftmaxActivation",
     .doc = "MXNet's legacy softmax: mode=instance applies softmax over the last axis (each row of 2-D data), "
            "mode=channel over axis 1 at each spatial position of N-D (rank >= 3) data.",
     .inputs = "data", .num_outputs = 1, .attrs = sa_attrs, .n_attrs = NA(sa_attrs), .infer = sa_infer,
     .cpu = sa_cpu, .grad = sa_grad, .flags = MX_OPF_WRITES_ALL, .dtypes = MX_DT_FLOAT},

    {.name = "Dropout", .doc = "Randomly zeroes elements with probability p during training and scales the rest by "
                               "1/(1-p); identity at inference unless mode='always'.",
     .inputs = "data", .num_outputs = 2, .num_visible_outputs = 1, .attrs = do_attrs, .n_attrs = NA(do_attrs),
     .infer = do_infer, .cpu = do_cpu, .grad = do_grad, .flags = MX_OPF_RANDOM | MX_OPF_WRITES_ALL,
     .dtypes = MX_DT_FLOAT},

    {.name = "Embedding", .doc = "Maps integer indices to rows of a weight matrix (indices are clipped to the vocabulary).",
     .inputs = "data,weight", .num_outputs = 1, .attrs = em_attrs, .n_attrs = NA(em_attrs), .infer = em_infer,
     .param_shape = em_param_shape, .cpu = em_cpu, .grad = em_grad, .flags = MX_OPF_WRITES_ALL, .dtypes = IDX_DTYPES},
    {.name = "_backward_Embedding", .doc = "Gradient of Embedding w.r.t. the weight (scatter-add of ograd rows).",
     .inputs = "ograd,data", .num_outputs = 1, .attrs = em_attrs, .n_attrs = NA(em_attrs), .infer = emb_infer,
     .cpu = emb_cpu, .flags = MX_OPF_INTERNAL, .dtypes = IDX_DTYPES},
};

void mxi_register_nn_basic(void) { mxi_register_ops(ops, NA(ops)); }
