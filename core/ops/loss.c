/* loss.c — op family "loss": SoftmaxOutput, softmax_cross_entropy (summed
 * and per sample), MakeLoss, smooth_l1, the regression outputs
 * (Linear/Logistic/MAE) and CTCLoss, MXNet 1.x semantics.
 *
 * The *Output ops are MXNet's "loss layers": the forward returns the
 * prediction and the backward ignores the head gradient (unless out_grad),
 * returning d(loss)/d(data) scaled by grad_scale. Backward kernels are
 * internal `_backward_*` ops. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../backends/cpu/cpu.h"
#include "../op.h"
#include "fast_mathf.h"

#define NA(a) (int)(sizeof a / sizeof a[0])

static int64_t prod(const int64_t *s, int a, int b) {
    int64_t p = 1;
    for (int i = a; i < b; i++) p *= s[i];
    return p;
}

static int require_float(const mx_call *c, int i) {
    if (mxi_dtype_is_float(c->in[i]->dtype)) return MX_OK;
    return mxi_op_error(c, MX_ERR_DTYPE, "input %d must be a floating point array, got %s", i,
                        mxi_dtype_name(c->in[i]->dtype));
}

static double ld(const mx_tensor_s *t, int64_t i) { return mxi_load_as_double(mxi_data(t), t->dtype, i); }

/* ======================================================================
 * SoftmaxOutput
 * ====================================================================== */
enum { SO_GRAD_SCALE, SO_IGNORE_LABEL, SO_MULTI, SO_USE_IGNORE, SO_PRESERVE, SO_NORM, SO_OUT_GRAD, SO_SMOOTH };
static const mx_attr_spec so_attrs[] = {
    {"grad_scale", MX_ATTR_FLOAT, "1", "Scales the gradient.", NULL, 0, 0, 0},
    {"ignore_label", MX_ATTR_FLOAT, "-1", "Label value ignored in the gradient when use_ignore is set.", NULL, 0, 0, 0},
    {"multi_output", MX_ATTR_BOOL, "False", "Softmax over axis 1 of (N, C, d1, ...) with labels (N, d1, ...).", NULL, 0, 0, 0},
    {"use_ignore", MX_ATTR_BOOL, "False", "Zero the gradient where label == ignore_label.", NULL, 0, 0, 0},
    {"preserve_shape", MX_ATTR_BOOL, "False", "Softmax over the last axis, keeping the shape.", NULL, 0, 0, 0},
    {"normalization", MX_ATTR_ENUM, "null", "Gradient normalisation: null, batch (divide by batch size) or valid "
                                            "(divide by the number of non-ignored labels).", "null,batch,valid", 0, 0, 0},
    {"out_grad", MX_ATTR_BOOL, "False", "Multiply the gradient by the head gradient.", NULL, 0, 0, 0},
    {"smooth_alpha", MX_ATTR_FLOAT, "0", "Label smoothing: alpha spread over the other classes.", NULL, 1, 0, 1},
};

typedef struct {
    int64_t outer, A, inner;
} so_geom;

static int so_geometry(const mx_call *c, const mx_tensor_s *d, so_geom *g) {
    if (d->ndim < 1) return mxi_op_error(c, MX_ERR_INVALID, "data must have at least 1 dimension");
    if (c->attrs[SO_MULTI].i) {
        if (d->ndim < 2) return mxi_op_error(c, MX_ERR_INVALID, "multi_output needs data of shape (N, C, ...)");
        g->outer = d->shape[0];
        g->A = d->shape[1];
        g->inner = prod(d->shape, 2, d->ndim);
    } else if (c->attrs[SO_PRESERVE].i) {
        g->A = d->shape[d->ndim - 1];
        g->outer = prod(d->shape, 0, d->ndim - 1);
        g->inner = 1;
    } else {
        g->outer = d->shape[0];
        g->A = prod(d->shape, 1, d->ndim);
        g->inner = 1;
    }
    return MX_OK;
}

/* MXNet: a label of data's own shape holds target probabilities (soft labels) */
static int so_soft_label(const mx_tensor_s *d, const mx_tensor_s *l) {
    return l->ndim == d->ndim && !memcmp(l->shape, d->shape, sizeof(int64_t) * (size_t)d->ndim);
}

static int so_infer(mx_call *c) {
    const mx_tensor_s *d = c->in[0], *l = c->in[1];
    so_geom g = {0, 0, 0};
    MXI_TRY(so_geometry(c, d, &g));
    MXI_TRY(require_float(c, 0));
    if (l->size != g.outer * g.inner && !so_soft_label(d, l)) {
        char a[128], b[128];
        return mxi_op_error(c, MX_ERR_INVALID, "label has shape %s but data %s needs %lld labels (or "
                            "probabilities of data's shape)",
                            mxi_shape_str(l->shape, l->ndim, a, sizeof a), mxi_shape_str(d->shape, d->ndim, b, sizeof b),
                            (long long)(g.outer * g.inner));
    }
    mxi_same_as_in(c, 0, 0);
    return MX_OK;
}

/* softmax over A for every (outer, inner) */
#define SO_SOFTMAX(SUF, T)                                                                  \
    static void so_softmax_##SUF(const T *X, T *Y, const so_geom *g) {                       \
        int64_t A = g->A, in = g->inner;                                                     \
        for (int64_t o = 0; o < g->outer; o++)                                               \
            for (int64_t j = 0; j < in; j++) {                                               \
                const T *x = X + o * A * in + j;                                             \
                T *y = Y + o * A * in + j;                                                   \
                double mx = -INFINITY, s = 0;                                                \
                for (int64_t a = 0; a < A; a++) mx = x[a * in] > mx ? x[a * in] : mx;        \
                for (int64_t a = 0; a < A; a++) {                                            \
                    double e = exp(x[a * in] - mx);                                          \
                    y[a * in] = (T)e;                                                        \
                    s += e;                                                                  \
                }                                                                            \
                for (int64_t a = 0; a < A; a++) y[a * in] = (T)(y[a * in] / s);              \
            }                                                                                \
    }
SO_SOFTMAX(f32, float)
SO_SOFTMAX(f64, double)

static int so_cpu(mx_call *c) {
    so_geom g = {0, 0, 0};
    MXI_TRY(so_geometry(c, c->in[0], &g));
    if (c->in[0]->dtype == MX_FLOAT64) so_softmax_f64(mxi_data(c->in[0]), mxi_data(c->out[0]), &g);
    else so_softmax_f32(mxi_data(c->in[0]), mxi_data(c->out[0]), &g);
    return MX_OK;
}

/* _backward_SoftmaxOutput(out, label) -> (out - target) * grad_scale / norm */
static int sob_infer(mx_call *c) {
    so_geom g = {0, 0, 0};
    MXI_TRY(so_geometry(c, c->in[0], &g));
    mxi_same_as_in(c, 0, 0);
    return MX_OK;
}

#define SO_BWD(SUF, T)                                                                      \
    static void so_bwd_##SUF(const mx_call *c, const so_geom *g) {                           \
        const T *Y = mxi_data(c->in[0]);                                                     \
        const mx_tensor_s *L = c->in[1];                                                     \
        T *D = mxi_data(c->out[0]);                                                          \
        int64_t A = g->A, in = g->inner, nl = g->outer * in;                                 \
        double ign = c->attrs[SO_IGNORE_LABEL].f, alpha = c->attrs[SO_SMOOTH].f;             \
        int use_ign = (int)c->attrs[SO_USE_IGNORE].i;                                        \
        int64_t valid = 0;                                                                   \
        for (int64_t i = 0; i < nl; i++) valid += ld(L, i) != ign; /* MXNet: even without use_ignore */ \
        double scale = c->attrs[SO_GRAD_SCALE].f;                                            \
        int norm = (int)c->attrs[SO_NORM].i; /* MXNet: null divides by the positions per sample */ \
        if (norm == 0) scale /= (double)(in > 0 ? in : 1);                                   \
        else if (norm == 1) scale /= (double)(nl > 0 ? nl : 1);                              \
        else if (norm == 2) scale /= (double)(valid > 0 ? valid : 1);                        \
        double off = A > 1 ? alpha / (double)(A - 1) : 0.0;                                  \
        for (int64_t o = 0; o < g->outer; o++)                                               \
            for (int64_t j = 0; j < in; j++) {                                               \
                double lv = ld(L, o * in + j);                                               \
                const T *y = Y + o * A * in + j;                                             \
                T *d = D + o * A * in + j;                                                   \
                if (use_ign && lv == ign) {                                                  \
                    for (int64_t a = 0; a < A; a++) d[a * in] = 0;                           \
                    continue;                                                                \
                }                                                                            \
                int64_t k = (int64_t)lv;                                                     \
                for (int64_t a = 0; a < A; a++) {                                            \
                    double t = alpha > 0 ? (a == k ? 1.0 - alpha : off) : (a == k ? 1.0 : 0.0); \
                    d[a * in] = (T)((y[a * in] - t) * scale);                                \
                }                                                                            \
            }                                                                                \
    }
SO_BWD(f32, float)
SO_BWD(f64, double)

static int sob_cpu(mx_call *c) {
    so_geom g = {0, 0, 0};
    MXI_TRY(so_geometry(c, c->in[0], &g));
    if (so_soft_label(c->in[0], c->in[1])) { /* (out - probabilities) * grad_scale, no normalisation (MXNet) */
        const double scale = c->attrs[SO_GRAD_SCALE].f;
        for (int64_t i = 0; i < c->out[0]->size; i++)
            mxi_store_from_double(mxi_data(c->out[0]), c->out[0]->dtype, i, (ld(c->in[0], i) - ld(c->in[1], i)) * scale);
        return MX_OK;
    }
    if (c->in[0]->dtype == MX_FLOAT64) so_bwd_f64(c, &g);
    else so_bwd_f32(c, &g);
    return MX_OK;
}

static int so_grad(mx_grad_ctx *g) {
    const mx_call *c = g->call;
    char attrs[320];
    snprintf(attrs, sizeof attrs,
             "grad_scale=%.17g;ignore_label=%.17g;multi_output=%d;use_ignore=%d;preserve_shape=%d;normalization=%s;"
             "smooth_alpha=%.17g",
             c->attrs[SO_GRAD_SCALE].f, c->attrs[SO_IGNORE_LABEL].f, (int)c->attrs[SO_MULTI].i,
             (int)c->attrs[SO_USE_IGNORE].i, (int)c->attrs[SO_PRESERVE].i, c->attrs[SO_NORM].s,
             c->attrs[SO_SMOOTH].f);
    mx_tensor_s *d = mxi_call1("_backward_SoftmaxOutput", attrs, 2, g->out[0], g->in[1]);
    if (!d) return mx_last_error_code();
    if (c->attrs[SO_OUT_GRAD].i) {
        g->igrad[0] = mxi_call1("elemwise_mul", NULL, 2, d, g->ograd[0]);
        mxi_tensor_release(d);
        return g->igrad[0] ? MX_OK : mx_last_error_code();
    }
    g->igrad[0] = d;
    return MX_OK;
}

/* ======================================================================
 * softmax_cross_entropy(data (N, C), label (N,)) -> (1,) sum of CE
 * ====================================================================== */
static int sce_infer(mx_call *c) {
    const mx_tensor_s *d = c->in[0], *l = c->in[1];
    MXI_TRY(require_float(c, 0));
    if (d->ndim != 2 || l->ndim != 1 || l->shape[0] != d->shape[0]) {
        char a[128], b[128];
        return mxi_op_error(c, MX_ERR_INVALID, "expected data (N, C) and label (N,), got %s and %s",
                            mxi_shape_str(d->shape, d->ndim, a, sizeof a), mxi_shape_str(l->shape, l->ndim, b, sizeof b));
    }
    int64_t one = 1;
    mxi_set_out(c, 0, &one, 1, d->dtype);
    return MX_OK;
}

static int64_t clip_label(double v, int64_t C) {
    int64_t k = (int64_t)v;
    return k < 0 ? 0 : (k >= C ? C - 1 : k);
}

static int sce_cpu(mx_call *c) {
    const mx_tensor_s *d = c->in[0], *l = c->in[1];
    int64_t N = d->shape[0], C = d->shape[1];
    double tot = 0;
    for (int64_t i = 0; i < N && C > 0; i++) {
        double mx = -INFINITY, s = 0;
        for (int64_t a = 0; a < C; a++) mx = fmax(mx, ld(d, i * C + a));
        for (int64_t a = 0; a < C; a++) s += exp(ld(d, i * C + a) - mx);
        tot += log(s) + mx - ld(d, i * C + clip_label(ld(l, i), C));
    }
    mxi_store_from_double(mxi_data(c->out[0]), c->out[0]->dtype, 0, tot);
    return MX_OK;
}

/* _backward_softmax_cross_entropy(ograd (1,), data, label) -> (softmax - onehot) * ograd */
static int sceb_infer(mx_call *c) {
    mxi_same_as_in(c, 0, 1);
    return MX_OK;
}

static int sceb_cpu(mx_call *c) {
    const mx_tensor_s *d = c->in[1], *l = c->in[2];
    int64_t N = d->shape[0], C = d->shape[1];
    double go = ld(c->in[0], 0);
    for (int64_t i = 0; i < N && C > 0; i++) {
        double mx = -INFINITY, s = 0;
        for (int64_t a = 0; a < C; a++) mx = fmax(mx, ld(d, i * C + a));
        for (int64_t a = 0; a < C; a++) s += exp(ld(d, i * C + a) - mx);
        int64_t k = clip_label(ld(l, i), C);
        for (int64_t a = 0; a < C; a++) {
            double p = exp(ld(d, i * C + a) - mx) / s - (a == k);
            mxi_store_from_double(mxi_data(c->out[0]), c->out[0]->dtype, i * C + a, p * go);
        }
    }
    return MX_OK;
}

static int sce_grad(mx_grad_ctx *g) {
    g->igrad[0] = mxi_call1("_backward_softmax_cross_entropy", NULL, 3, g->ograd[0], g->in[0], g->in[1]);
    return g->igrad[0] ? MX_OK : mx_last_error_code();
}

/* ======================================================================
 * _sparse_softmax_ce(data (N, C), label (N,)) -> (N,) per-sample CE
 *
 * What gluon's SoftmaxCrossEntropyLoss computes for class-index labels
 * (log_softmax, pick, negate: three ops and three tape nodes each way), as
 * one kernel per direction. Labels are clipped into [0, C) after floor, as
 * pick's default mode does.
 * ====================================================================== */
static int sce_rows_infer(mx_call *c) {
    MXI_TRY(sce_infer(c));
    mxi_set_out(c, 0, c->in[0]->shape, 1, c->in[0]->dtype);
    return MX_OK;
}

typedef struct {
    const mx_tensor_s *data, *label, *ograd; /* ograd NULL: forward */
    mx_tensor_s *out;
    int64_t C;
} sce_rows_job;

/* Per row: lse = log(sum(exp(x - max))) + max; forward writes lse - x[k],
 * backward writes (exp(x - lse) - onehot(k)) * ograd[i]. float rows use the
 * inline exp (fast_mathf.h): libm's was a call per element, a tenth of a small
 * MLP's training step at batch 32. */
static inline __attribute__((always_inline)) float sce_exp_f32(float v) { return mxi_expf(v); }
static inline __attribute__((always_inline)) double sce_exp_f64(double v) { return exp(v); }
#define SCE_ROWS(SUF, T)                                                                    \
    static MXI_CPU_CLONES void sce_rows_##SUF(void *ctx, int64_t r0, int64_t r1) {          \
        const sce_rows_job *j = ctx;                                                        \
        const int64_t C = j->C;                                                             \
        const T *x = MXI_PTR(T, j->data), *go = j->ograd ? MXI_PTR(T, j->ograd) : NULL;     \
        T *o = MXI_PTR(T, j->out);                                                          \
        for (int64_t i = r0; i < r1; i++) {                                                 \
            const T *row = x + i * C;                                                       \
            T m = row[0];                                                                   \
            for (int64_t a = 1; a < C; a++) m = row[a] > m ? row[a] : m;                    \
            T s = 0;                                                                        \
            for (int64_t a = 0; a < C; a++) s += sce_exp_##SUF(row[a] - m);                \
            const T lse = (T)log((double)s) + m;                                            \
            int64_t k = (int64_t)floor(ld(j->label, i));                                    \
            k = k < 0 ? 0 : (k >= C ? C - 1 : k);                                           \
            if (!go) {                                                                      \
                o[i] = lse - row[k];                                                        \
                continue;                                                                   \
            }                                                                               \
            T *d = o + i * C;                                                               \
            for (int64_t a = 0; a < C; a++) d[a] = sce_exp_##SUF(row[a] - lse) * go[i];     \
            d[k] -= go[i];                                                                  \
        }                                                                                   \
    }
SCE_ROWS(f32, float)
SCE_ROWS(f64, double)

static int sce_rows_run(mx_call *c, const mx_tensor_s *data, const mx_tensor_s *label, const mx_tensor_s *ograd) {
    const int64_t N = data->shape[0], C = data->shape[1];
    if (N == 0) return MX_OK;
    if (C == 0) return mxi_op_error(c, MX_ERR_INVALID, "data has no classes (shape (%lld, 0))", (long long)N);
    sce_rows_job j = {data, label, ograd, c->out[0], C};
    int64_t grain = 16384 / C + 1;
    mxi_parallel_for(N, grain, data->dtype == MX_FLOAT64 ? sce_rows_f64 : sce_rows_f32, &j);
    return MX_OK;
}

static int sce_rows_cpu(mx_call *c) { return sce_rows_run(c, c->in[0], c->in[1], NULL); }

/* _backward_sparse_softmax_ce(ograd (N,), data, label) -> ddata (N, C) */
static int sce_rows_bwd_cpu(mx_call *c) { return sce_rows_run(c, c->in[1], c->in[2], c->in[0]); }

static int sce_rows_grad(mx_grad_ctx *g) {
    if (!mxi_grad_needed(g, 0)) return MX_OK; /* labels get no gradient, as with pick */
    g->igrad[0] = mxi_call1("_backward_sparse_softmax_ce", NULL, 3, g->ograd[0], g->in[0], g->in[1]);
    return g->igrad[0] ? MX_OK : mx_last_error_code();
}

/* ======================================================================
 * MakeLoss(data) -> data; its gradient ignores the head gradient
 * ====================================================================== */
enum { ML_GRAD_SCALE, ML_VALID_THRESH, ML_NORM };
enum { ML_NORM_NULL, ML_NORM_BATCH, ML_NORM_VALID };
static const mx_attr_spec ml_attrs[] = {
    {"grad_scale", MX_ATTR_FLOAT, "1", "Scales the gradient.", NULL, 0, 0, 0},
    {"valid_thresh", MX_ATTR_FLOAT, "0", "normalization='valid' counts the elements greater than this.", NULL, 0, 0,
     0},
    {"normalization", MX_ATTR_ENUM, "null",
     "Gradient normalisation: null (none), batch (divide by the rows of data flattened to 2-D: the product "
     "of all but its last axis) or valid (divide by "
     "the number of elements greater than valid_thresh, at least 1).", "null,batch,valid", 0, 0, 0},
};

static int ml_infer(mx_call *c) {
    MXI_TRY(require_float(c, 0));
    mxi_same_as_in(c, 0, 0);
    return MX_OK;
}

static int ml_cpu(mx_call *c) {
    if (c->out[0]->storage != c->in[0]->storage || c->out[0]->offset != c->in[0]->offset)
        memcpy(mxi_data(c->out[0]), mxi_data(c->in[0]), (size_t)c->in[0]->size * mxi_dtype_size(c->in[0]->dtype));
    return MX_OK;
}

/* grad_scale * ones, divided per `normalization`; written with registered
 * ops, so it runs on any device and has its own (zero) gradient. */
static int ml_grad(mx_grad_ctx *g) {
    const mx_call *c = g->call;
    const mx_tensor_s *x = g->in[0];
    double scale = c->attrs[ML_GRAD_SCALE].f;
    int norm = (int)c->attrs[ML_NORM].i;
    if (norm == ML_NORM_BATCH) { /* MXNet's batch is the rows of data flattened to 2-D: all but the
                                    last axis (1 for a vector), so (2, 3, 4) divides by 6 */
        double rows = 1;
        for (int i = 0; i + 1 < x->ndim; i++) rows *= (double)x->shape[i];
        if (rows > 0) scale /= rows;
    }
    char a[64];
    mx_tensor_s *ones = mxi_call1("ones_like", NULL, 1, g->in[0]);
    if (!ones) return mx_last_error_code();
    snprintf(a, sizeof a, "scalar=%.17g", scale);
    mx_tensor_s *gs = mxi_call1("_mul_scalar", a, 1, ones);
    mxi_tensor_release(ones);
    if (!gs || norm != ML_NORM_VALID) {
        g->igrad[0] = gs;
        return gs ? MX_OK : mx_last_error_code();
    }
    snprintf(a, sizeof a, "scalar=%.17g", c->attrs[ML_VALID_THRESH].f);
    mx_tensor_s *mask = mxi_call1("_greater_scalar", a, 1, g->in[0]);
    mx_tensor_s *cnt = mxi_chain1("sum", NULL, mask);
    mx_tensor_s *den = mxi_chain1("_maximum_scalar", "scalar=1", cnt);
    g->igrad[0] = mxi_chain2("broadcast_div", NULL, gs, den);
    mxi_tensor_release(mask);
    mxi_tensor_release(cnt);
    mxi_tensor_release(den);
    mxi_tensor_release(gs);
    return g->igrad[0] ? MX_OK : mx_last_error_code();
}

/* ======================================================================
 * smooth_l1(data; scalar s): 0.5 (s x)^2 where |x| < 1/s^2, else |x| - 0.5/s^2
 * ====================================================================== */
static const mx_attr_spec sl1_attrs[] = {
    {"scalar", MX_ATTR_FLOAT, "1", "sigma: the quadratic zone is |x| < 1/sigma^2.", NULL, 0, 0, 0},
};

#define SL1(SUF, T)                                                                                     \
    static void sl1_##SUF(const mx_call *c, int backward) {                                             \
        const double s2 = c->attrs[0].f * c->attrs[0].f, lim = s2 > 0 ? 1.0 / s2 : INFINITY;             \
        const T *x = MXI_PTR(T, c->in[backward]), *go = backward ? MXI_PTR(T, c->in[0]) : NULL;          \
        T *y = MXI_PTR(T, c->out[0]);                                                                   \
        for (int64_t i = 0; i < c->out[0]->size; i++) {                                                 \
            const double v = (double)x[i], a = fabs(v);                                                 \
            if (!backward) y[i] = (T)(a < lim ? 0.5 * s2 * v * v : a - 0.5 * (s2 > 0 ? 1.0 / s2 : 0));  \
            else y[i] = (T)((a < lim ? s2 * v : (v > 0) - (v < 0)) * (double)go[i]);                   \
        }                                                                                               \
    }
SL1(f32, float)
SL1(f64, double)

static int sl1_infer(mx_call *c) {
    MXI_TRY(require_float(c, 0));
    mxi_same_as_in(c, 0, 0);
    return MX_OK;
}

static int sl1_cpu(mx_call *c) {
    if (c->in[0]->dtype == MX_FLOAT64) sl1_f64(c, 0);
    else sl1_f32(c, 0);
    return MX_OK;
}

/* _backward_smooth_l1(ograd, data) -> ograd * d smooth_l1 / d data */
static int sl1_bwd_infer(mx_call *c) {
    mxi_same_as_in(c, 0, 1);
    return MX_OK;
}

static int sl1_bwd_cpu(mx_call *c) {
    if (c->in[1]->dtype == MX_FLOAT64) sl1_f64(c, 1);
    else sl1_f32(c, 1);
    return MX_OK;
}

static int sl1_grad(mx_grad_ctx *g) {
    char a[64];
    snprintf(a, sizeof a, "scalar=%.17g", g->call->attrs[0].f);
    g->igrad[0] = mxi_call1("_backward_smooth_l1", a, 2, g->ograd[0], g->in[0]);
    return g->igrad[0] ? MX_OK : mx_last_error_code();
}

/* ======================================================================
 * LinearRegressionOutput / LogisticRegressionOutput / MAERegressionOutput
 * ====================================================================== */
enum { RG_GRAD_SCALE };
static const mx_attr_spec rg_attrs[] = {
    {"grad_scale", MX_ATTR_FLOAT, "1", "Scales the gradient.", NULL, 0, 0, 0},
};
enum { RG_LINEAR, RG_LOGISTIC, RG_MAE };

static int rg_kind(const mx_call *c) {
    const char *n = c->op->name;
    if (strstr(n, "Logistic")) return RG_LOGISTIC;
    if (strstr(n, "MAE")) return RG_MAE;
    return RG_LINEAR;
}

static int rg_infer(mx_call *c) {
    const mx_tensor_s *d = c->in[0], *l = c->in[1];
    MXI_TRY(require_float(c, 0));
    if (l->size != d->size || (d->ndim >= 1 && l->ndim >= 1 && l->shape[0] != d->shape[0])) {
        char a[128], b[128];
        return mxi_op_error(c, MX_ERR_INVALID, "label shape %s does not match data shape %s",
                            mxi_shape_str(l->shape, l->ndim, a, sizeof a), mxi_shape_str(d->shape, d->ndim, b, sizeof b));
    }
    mxi_same_as_in(c, 0, 0);
    return MX_OK;
}

static int rg_cpu(mx_call *c) {
    const mx_tensor_s *d = c->in[0];
    int k = rg_kind(c);
    if (d->dtype == MX_FLOAT64) {
        const double *x = mxi_data(d);
        double *y = mxi_data(c->out[0]);
        if (k == RG_LOGISTIC)
            for (int64_t i = 0; i < d->size; i++) y[i] = 1.0 / (1.0 + exp(-x[i]));
        else
            memcpy(y, x, sizeof(double) * (size_t)d->size);
    } else {
        const float *x = mxi_data(d);
        float *y = mxi_data(c->out[0]);
        if (k == RG_LOGISTIC)
            for (int64_t i = 0; i < d->size; i++) y[i] = 1.0f / (1.0f + expf(-x[i]));
        else
            memcpy(y, x, sizeof(float) * (size_t)d->size);
    }
    return MX_OK;
}

/* _backward_*RegressionOutput(out, label) -> grad_scale / num_output * f(out - label),
 * num_output = label.size / label.shape[0] */
static int rgb_infer(mx_call *c) {
    const mx_tensor_s *y = c->in[0], *l = c->in[1];
    if (l->size != y->size) {
        char a[128], b[128];
        return mxi_op_error(c, MX_ERR_INVALID, "label shape %s does not match output shape %s",
                            mxi_shape_str(l->shape, l->ndim, a, sizeof a), mxi_shape_str(y->shape, y->ndim, b, sizeof b));
    }
    mxi_same_as_in(c, 0, 0);
    return MX_OK;
}

static int rgb_cpu(mx_call *c) {
    const mx_tensor_s *y = c->in[0], *l = c->in[1];
    int k = rg_kind(c);
    double nout = (l->ndim >= 1 && l->shape[0] > 0) ? (double)l->size / (double)l->shape[0] : 1.0;
    double s = c->attrs[RG_GRAD_SCALE].f / (nout > 0 ? nout : 1.0);
    for (int64_t i = 0; i < y->size; i++) {
        double d = ld(y, i) - ld(l, i);
        if (k == RG_MAE) d = (d > 0) - (d < 0);
        mxi_store_from_double(mxi_data(c->out[0]), c->out[0]->dtype, i, d * s);
    }
    return MX_OK;
}

static int rg_grad(mx_grad_ctx *g) {
    const mx_call *c = g->call;
    char attrs[64], name[64];
    snprintf(attrs, sizeof attrs, "grad_scale=%.17g", c->attrs[RG_GRAD_SCALE].f);
    snprintf(name, sizeof name, "_backward_%s", c->op->name);
    g->igrad[0] = mxi_call1(name, attrs, 2, g->out[0], g->in[1]);
    return g->igrad[0] ? MX_OK : mx_last_error_code();
}


/* ======================================================================
 * SVMOutput(data (N, C...), label (N,)): identity forward; the backward is
 * the one-vs-all (squared, or linear with use_linear) hinge gradient
 * ====================================================================== */
enum { SVM_MARGIN, SVM_REG, SVM_LINEAR };
static const mx_attr_spec svm_attrs[] = {
    {"margin", MX_ATTR_FLOAT, "1", "The hinge margin."},
    {"regularization_coefficient", MX_ATTR_FLOAT, "1", "Scales the gradient."},
    {"use_linear", MX_ATTR_BOOL, "False", "L1 (linear) hinge instead of the squared hinge."},
};

static int svm_infer(mx_call *c) {
    const mx_tensor_s *d = c->in[0], *l = c->in[1];
    MXI_TRY(require_float(c, 0));
    if (d->ndim < 2 || l->size != d->shape[0]) {
        char a[128], b[128];
        return mxi_op_error(c, MX_ERR_INVALID, "data must be (N, classes...) and label (N,); got data %s, label %s",
                            mxi_shape_str(d->shape, d->ndim, b, sizeof b), mxi_shape_str(l->shape, l->ndim, a, sizeof a));
    }
    mxi_same_as_in(c, 0, 0);
    return MX_OK;
}

/* _backward_SVMOutput(data, label) -> ddata (the head gradient is not used: a loss layer) */
static int svmb_cpu(mx_call *c) {
    const mx_tensor_s *d = c->in[0], *l = c->in[1];
    const int64_t N = d->shape[0], C = N ? d->size / N : 0;
    const double m = c->attrs[SVM_MARGIN].f, reg = c->attrs[SVM_REG].f;
    const int lin = (int)c->attrs[SVM_LINEAR].i;
    for (int64_t n = 0; n < N; n++) {
        const int64_t k = (int64_t)ld(l, n);
        if (k < 0 || k >= C)
            return mxi_op_error(c, MX_ERR_INVALID, "label %lld of sample %lld outside [0, %lld)", (long long)k,
                                (long long)n, (long long)C);
        for (int64_t j = 0; j < C; j++) {
            const double s = ld(d, n * C + j);
            double g;
            if (j == k) g = m > s ? (lin ? -1.0 : -2.0 * (m - s)) : 0.0;
            else g = m > -s ? (lin ? 1.0 : 2.0 * (m + s)) : 0.0;
            mxi_store_from_double(mxi_data(c->out[0]), c->out[0]->dtype, n * C + j, g * reg);
        }
    }
    return MX_OK;
}

static int svm_grad(mx_grad_ctx *g) {
    char attrs[256];
    MXI_TRY(mxi_attrs_string(g->call, attrs, sizeof attrs));
    g->igrad[0] = mxi_call1("_backward_SVMOutput", attrs, 2, g->in[0], g->in[1]);
    return g->igrad[0] ? MX_OK : mx_last_error_code();
}


/* ======================================================================
 * CTCLoss(data (T, N, C) unnormalised activations, label (N, L)
 *         [, data_lengths (N,)] [, label_lengths (N,)]) -> loss (N,)
 * Hidden output 1: d(loss)/d(data) (softmax applied inside), computed with
 * the forward-backward algorithm in log space.
 * blank_label=first: blank is 0, labels 1..C-1, padding 0;
 * blank_label=last: blank is C-1, labels 0..C-2, padding -1.
 * ====================================================================== */
enum { CTC_USE_DL, CTC_USE_LL, CTC_BLANK };
static const mx_attr_spec ctc_attrs[] = {
    {"use_data_lengths", MX_ATTR_BOOL, "False", "Whether the data_lengths input is given.", NULL, 0, 0, 0},
    {"use_label_lengths", MX_ATTR_BOOL, "False", "Whether the label_lengths input is given (else labels end at the "
                                                 "first padding value).", NULL, 0, 0, 0},
    {"blank_label", MX_ATTR_ENUM, "first", "Blank label position: first (0) or last (C-1).", "first,last", 0, 0, 0},
};

static int ctc_num_inputs(const mx_call *c) { return 2 + (int)c->attrs[CTC_USE_DL].i + (int)c->attrs[CTC_USE_LL].i; }
static int ctc_dl_idx(const mx_call *c) { return c->attrs[CTC_USE_DL].i ? 2 : -1; }
static int ctc_ll_idx(const mx_call *c) { return c->attrs[CTC_USE_LL].i ? (c->attrs[CTC_USE_DL].i ? 3 : 2) : -1; }

static int ctc_infer(mx_call *c) {
    const mx_tensor_s *d = c->in[0], *l = c->in[1];
    char a[128], b[128];
    MXI_TRY(require_float(c, 0));
    if (d->ndim != 3) return mxi_op_error(c, MX_ERR_INVALID, "data must have shape (T, N, C)");
    int64_t N = d->shape[1];
    if (l->ndim != 2 || l->shape[0] != N)
        return mxi_op_error(c, MX_ERR_INVALID, "label must have shape (N, L) with N=%lld, got %s and data %s",
                            (long long)N, mxi_shape_str(l->shape, l->ndim, a, sizeof a),
                            mxi_shape_str(d->shape, d->ndim, b, sizeof b));
    int idx[2] = {ctc_dl_idx(c), ctc_ll_idx(c)};
    for (int k = 0; k < 2; k++) {
        if (idx[k] < 0) continue;
        const mx_tensor_s *t = c->in[idx[k]];
        if (t->ndim != 1 || t->shape[0] != N)
            return mxi_op_error(c, MX_ERR_INVALID, "%s must have shape (%lld,), got %s",
                                k ? "label_lengths" : "data_lengths", (long long)N,
                                mxi_shape_str(t->shape, t->ndim, a, sizeof a));
    }
    mxi_set_out(c, 0, &N, 1, d->dtype);
    mxi_set_out(c, 1, d->shape, 3, d->dtype);
    return MX_OK;
}

static double lse2(double a, double b) {
    if (a == -INFINITY) return b;
    if (b == -INFINITY) return a;
    return a > b ? a + log1p(exp(b - a)) : b + log1p(exp(a - b));
}

typedef struct {
    const mx_call *c;
    int64_t T, N, C, L;
    int blank;
    int64_t *lab;  /* N x L labels (already trimmed) */
    int64_t *lens; /* label lengths */
    int64_t *tlens;
    double *loss;
} ctc_args;

static void ctc_range(void *ctx, int64_t b0, int64_t e0) {
    ctc_args *p = ctx;
    const mx_tensor_s *d = p->c->in[0];
    mx_tensor_s *go = p->c->out[1];
    int64_t N = p->N, C = p->C;
    for (int64_t n = b0; n < e0; n++) {
        int64_t Tn = p->tlens[n], Ln = p->lens[n], S = 2 * Ln + 1;
        const int64_t *lab = p->lab + n * p->L;
        double *lp = malloc(sizeof(double) * (size_t)(Tn * C + 1));
        double *al = malloc(sizeof(double) * (size_t)(Tn * S + 1));
        double *be = malloc(sizeof(double) * (size_t)(Tn * S + 1));
        if (!lp || !al || !be) {
            free(lp); free(al); free(be);
            p->loss[n] = NAN;
            continue;
        }
        for (int64_t t = 0; t < Tn; t++) { /* log_softmax over C */
            double mx = -INFINITY, s = 0;
            for (int64_t k = 0; k < C; k++) mx = fmax(mx, ld(d, (t * N + n) * C + k));
            for (int64_t k = 0; k < C; k++) s += exp(ld(d, (t * N + n) * C + k) - mx);
            double ls = log(s) + mx;
            for (int64_t k = 0; k < C; k++) lp[t * C + k] = ld(d, (t * N + n) * C + k) - ls;
        }
#define EXT(s) ((s) % 2 ? lab[(s) / 2] : (int64_t)p->blank)
        /* Skips (s-2 -> s) need a label differing from the one two back; a label equal to
         * the blank index never takes part in one (as MXNet 1.9.1, both directions keyed
         * on the earlier state s in the backward pass). */
        for (int64_t i = 0; i < Tn * S; i++) al[i] = be[i] = -INFINITY;
        double logP = -INFINITY;
        if (Tn > 0) {
            al[0] = lp[EXT(0)];
            if (S > 1) al[1] = lp[EXT(1)];
            for (int64_t t = 1; t < Tn; t++)
                for (int64_t s = 0; s < S; s++) {
                    double v = al[(t - 1) * S + s];
                    if (s >= 1) v = lse2(v, al[(t - 1) * S + s - 1]);
                    if (s >= 2 && s % 2 && EXT(s) != p->blank && EXT(s) != EXT(s - 2)) v = lse2(v, al[(t - 1) * S + s - 2]);
                    al[t * S + s] = v == -INFINITY ? v : v + lp[t * C + EXT(s)];
                }
            be[(Tn - 1) * S + S - 1] = lp[(Tn - 1) * C + EXT(S - 1)];
            if (S > 1) be[(Tn - 1) * S + S - 2] = lp[(Tn - 1) * C + EXT(S - 2)];
            for (int64_t t = Tn - 2; t >= 0; t--)
                for (int64_t s = 0; s < S; s++) {
                    double v = be[(t + 1) * S + s];
                    if (s + 1 < S) v = lse2(v, be[(t + 1) * S + s + 1]);
                    if (s + 2 < S && s % 2 && EXT(s) != p->blank && EXT(s) != EXT(s + 2)) v = lse2(v, be[(t + 1) * S + s + 2]);
                    be[t * S + s] = v == -INFINITY ? v : v + lp[t * C + EXT(s)];
                }
            logP = al[(Tn - 1) * S + S - 1];
            if (S > 1) logP = lse2(logP, al[(Tn - 1) * S + S - 2]);
        } else if (Ln == 0) {
            logP = 0;
        }
        p->loss[n] = -logP;
        void *G = mxi_data(go);
        if (logP > -INFINITY) {
            double *occ = malloc(sizeof(double) * (size_t)(C ? C : 1));
            for (int64_t t = 0; t < Tn && occ; t++) {
                for (int64_t k = 0; k < C; k++) occ[k] = -INFINITY;
                for (int64_t s = 0; s < S; s++) {
                    int64_t k = EXT(s);
                    occ[k] = lse2(occ[k], al[t * S + s] + be[t * S + s] - lp[t * C + k]);
                }
                for (int64_t k = 0; k < C; k++)
                    mxi_store_from_double(G, go->dtype, (t * N + n) * C + k,
                                          exp(lp[t * C + k]) - exp(occ[k] - logP));
            }
            free(occ);
        }
#undef EXT
        free(lp);
        free(al);
        free(be);
    }
}

static int ctc_cpu(mx_call *c) {
    const mx_tensor_s *d = c->in[0], *l = c->in[1];
    ctc_args p;
    p.c = c;
    p.T = d->shape[0];
    p.N = d->shape[1];
    p.C = d->shape[2];
    p.L = l->shape[1];
    int last = c->attrs[CTC_BLANK].i == 1;
    p.blank = last ? (int)(p.C - 1) : 0;
    double pad = last ? -1 : 0;
    p.lab = malloc(sizeof(int64_t) * (size_t)(p.N * p.L + 1));
    p.lens = malloc(sizeof(int64_t) * (size_t)(p.N + 1));
    p.tlens = malloc(sizeof(int64_t) * (size_t)(p.N + 1));
    p.loss = malloc(sizeof(double) * (size_t)(p.N + 1));
    int rc = MX_OK;
    if (!p.lab || !p.lens || !p.tlens || !p.loss) {
        rc = mxi_op_error(c, MX_ERR_MEMORY, "out of memory");
        goto done;
    }
    int dli = ctc_dl_idx(c), lli = ctc_ll_idx(c);
    for (int64_t n = 0; n < p.N; n++) {
        int64_t tl = dli >= 0 ? (int64_t)ld(c->in[dli], n) : p.T;
        p.tlens[n] = tl < 0 ? 0 : (tl > p.T ? p.T : tl);
        int64_t len = 0;
        if (lli >= 0) {
            len = (int64_t)ld(c->in[lli], n);
            len = len < 0 ? 0 : (len > p.L ? p.L : len);
        } else {
            /* MXNet rounds labels to the nearest integer (half away from zero):
             * 0.001 is padding 0, 2.5 is class 3, -0.6 is padding -1 */
            while (len < p.L && round(ld(l, n * p.L + len)) != pad) len++;
        }
        p.lens[n] = len;
        for (int64_t j = 0; j < len; j++) {
            double v = ld(l, n * p.L + j);
            int64_t k = (int64_t)round(v); /* rounded as MXNet rounds (see above) */
            /* A label equal to the blank index inside the label length is taken as a
             * label (MXNet 1.9.1 does the same); only indices outside 0..C-1 fail. */
            if (k < 0 || k >= p.C) {
                rc = mxi_op_error(c, MX_ERR_INVALID, "label %g at (%lld, %lld) is out of range for %lld classes "
                                  "with blank_label=%s", v, (long long)n, (long long)j, (long long)p.C,
                                  c->attrs[CTC_BLANK].s);
                goto done;
            }
            p.lab[n * p.L + j] = k;
        }
    }
    mxi_parallel_for(p.N, 1, ctc_range, &p);
    for (int64_t n = 0; n < p.N; n++) mxi_store_from_double(mxi_data(c->out[0]), c->out[0]->dtype, n, p.loss[n]);
done:
    free(p.lab);
    free(p.lens);
    free(p.tlens);
    free(p.loss);
    return rc;
}

/* _backward_CTCLoss(ograd (N,), grad (T, N, C)) -> grad * ograd[n] */
static int ctcb_infer(mx_call *c) {
    mxi_same_as_in(c, 0, 1);
    return MX_OK;
}

static int ctcb_cpu(mx_call *c) {
    const mx_tensor_s *og = c->in[0], *g = c->in[1];
    int64_t T = g->shape[0], N = g->shape[1], C = g->shape[2];
    for (int64_t t = 0; t < T; t++)
        for (int64_t n = 0; n < N; n++) {
            double s = ld(og, n);
            for (int64_t k = 0; k < C; k++) {
                int64_t i = (t * N + n) * C + k;
                mxi_store_from_double(mxi_data(c->out[0]), c->out[0]->dtype, i, ld(g, i) * s);
            }
        }
    return MX_OK;
}

static int ctc_grad(mx_grad_ctx *g) {
    g->igrad[0] = mxi_call1("_backward_CTCLoss", NULL, 2, g->ograd[0], g->out[1]);
    return g->igrad[0] ? MX_OK : mx_last_error_code();
}

/* Label shapes from the data (graph inference of an unknown label): the
 * class index per sample (per position with multi_output; all but the last
 * axis with preserve_shape) for SoftmaxOutput, per sample for SVMOutput, the
 * data's own shape for the regression outputs. */
static int so_param_shape(const mx_call *c, int slot, int64_t *shape, int *ndim, int *dtype) {
    const mx_tensor_s *x = c->in[0];
    if (slot != 1 || x->ndim < 1) return 1;
    if (c->attrs[SO_PRESERVE].i) {
        *ndim = x->ndim - 1;
        memcpy(shape, x->shape, sizeof(int64_t) * (size_t)*ndim);
    } else if (c->attrs[SO_MULTI].i && x->ndim > 2) {
        *ndim = x->ndim - 1;
        shape[0] = x->shape[0];
        memcpy(shape + 1, x->shape + 2, sizeof(int64_t) * (size_t)(x->ndim - 2));
    } else {
        *ndim = 1;
        shape[0] = x->shape[0];
    }
    return 0;
}

static int svm_param_shape(const mx_call *c, int slot, int64_t *shape, int *ndim, int *dtype) {
    if (slot != 1 || c->in[0]->ndim < 1) return 1;
    shape[0] = c->in[0]->shape[0];
    *ndim = 1;
    return 0;
}

static int rg_param_shape(const mx_call *c, int slot, int64_t *shape, int *ndim, int *dtype) {
    if (slot != 1) return 1;
    const mx_tensor_s *x = c->in[0];
    /* MXNet gives a one-output regression, data (N, 1), the label (N,) */
    *ndim = x->ndim == 2 && x->shape[1] == 1 ? 1 : x->ndim;
    memcpy(shape, x->shape, sizeof(int64_t) * (size_t)*ndim);
    return 0;
}

#define RG_DEF(NAME, DOC)                                                                           \
    {.name = NAME, .doc = DOC, .inputs = "data,label", .num_outputs = 1, .attrs = rg_attrs,        \
     .n_attrs = NA(rg_attrs), .infer = rg_infer, .param_shape = rg_param_shape, .cpu = rg_cpu, .grad = rg_grad, \
     .flags = MX_OPF_WRITES_ALL, .dtypes = MX_DT_FLOAT},                                            \
    {.name = "_backward_" NAME, .doc = "Gradient of " NAME ".", .inputs = "out,label", .num_outputs = 1, \
     .attrs = rg_attrs, .n_attrs = NA(rg_attrs), .infer = rgb_infer, .cpu = rgb_cpu,                \
     .flags = MX_OPF_INTERNAL | MX_OPF_WRITES_ALL, .dtypes = MX_DT_FLOAT}

static const mx_op_def ops[] = {
    {.name = "SoftmaxOutput", .aliases = "Softmax",
     .doc = "Softmax with a cross-entropy loss gradient: the forward returns softmax(data); the backward returns "
            "(softmax - onehot(label)) * grad_scale (normalised), ignoring the head gradient.",
     .inputs = "data,label", .num_outputs = 1, .attrs = so_attrs, .n_attrs = NA(so_attrs), .infer = so_infer,
     .param_shape = so_param_shape, .cpu = so_cpu, .grad = so_grad, .flags = MX_OPF_WRITES_ALL, .dtypes = MX_DT_FLOAT},
    {.name = "_backward_SoftmaxOutput", .doc = "Gradient of SoftmaxOutput from (output, label).",
     .inputs = "out,label", .num_outputs = 1, .attrs = so_attrs, .n_attrs = NA(so_attrs), .infer = sob_infer,
     .cpu = sob_cpu, .flags = MX_OPF_INTERNAL | MX_OPF_WRITES_ALL, .dtypes = MX_DT_FLOAT},
    {.name = "softmax_cross_entropy", .doc = "Sum over the batch of the softmax cross-entropy of data (N, C) and "
                                             "integer labels (N,); returns shape (1,).",
     .inputs = "data,label", .num_outputs = 1, .infer = sce_infer, .cpu = sce_cpu, .grad = sce_grad,
     .flags = MX_OPF_WRITES_ALL, .dtypes = MX_DT_FLOAT},
    {.name = "_backward_softmax_cross_entropy", .doc = "Gradient of softmax_cross_entropy.",
     .inputs = "ograd,data,label", .num_outputs = 1, .infer = sceb_infer, .cpu = sceb_cpu,
     .flags = MX_OPF_INTERNAL | MX_OPF_WRITES_ALL, .dtypes = MX_DT_FLOAT},
    {.name = "_sparse_softmax_ce",
     .doc = "Per-sample softmax cross-entropy of data (N, C) against class indices label (N,): "
            "-log_softmax(data)[i, label[i]], shape (N,). Labels are floored and clipped into [0, C) like pick. "
            "Gluon's SoftmaxCrossEntropyLoss uses it for CPU arrays in place of log_softmax + pick + negation.",
     .inputs = "data,label", .num_outputs = 1, .infer = sce_rows_infer, .cpu = sce_rows_cpu, .grad = sce_rows_grad,
     .flags = MX_OPF_WRITES_ALL, .dtypes = MX_DT_FLOAT},
    {.name = "_backward_sparse_softmax_ce", .doc = "Gradient of _sparse_softmax_ce: (softmax(data) - onehot) * ograd.",
     .inputs = "ograd,data,label", .num_outputs = 1, .infer = sceb_infer, .cpu = sce_rows_bwd_cpu,
     .flags = MX_OPF_INTERNAL | MX_OPF_WRITES_ALL, .dtypes = MX_DT_FLOAT},
    {.name = "MakeLoss",
     .doc = "Marks data as a loss: the forward returns data; the backward ignores the head gradient and returns "
            "grad_scale * ones, normalised per `normalization` (custom losses in symbolic graphs).",
     .inputs = "data", .num_outputs = 1, .attrs = ml_attrs, .n_attrs = NA(ml_attrs), .infer = ml_infer,
     .cpu = ml_cpu, .grad = ml_grad, .flags = MX_OPF_WRITES_ALL | MX_OPF_INPLACE_OK, .dtypes = MX_DT_FLOAT},
    {.name = "smooth_l1", .doc = "Smooth L1 (Huber-like) of data: 0.5 (scalar*x)^2 where |x| < 1/scalar^2, "
                                 "|x| - 0.5/scalar^2 elsewhere.",
     .inputs = "data", .num_outputs = 1, .attrs = sl1_attrs, .n_attrs = NA(sl1_attrs), .infer = sl1_infer,
     .cpu = sl1_cpu, .grad = sl1_grad, .flags = MX_OPF_WRITES_ALL | MX_OPF_INPLACE_OK, .dtypes = MX_DT_FLOAT},
    {.name = "_backward_smooth_l1", .doc = "Gradient of smooth_l1 from (ograd, data).", .inputs = "ograd,data",
     .num_outputs = 1, .attrs = sl1_attrs, .n_attrs = NA(sl1_attrs), .infer = sl1_bwd_infer, .cpu = sl1_bwd_cpu,
     .flags = MX_OPF_INTERNAL | MX_OPF_WRITES_ALL, .dtypes = MX_DT_FLOAT},
    {.name = "CTCLoss", .output_names = "output0,output1", .aliases = "ctc_loss,_contrib_CTCLoss,_contrib_ctc_loss",
     .doc = "Connectionist Temporal Classification loss of data (T, N, C) (softmax applied inside) against labels "
            "(N, L); returns the per-sequence negative log-likelihood (N,).",
     .inputs = "data,label,data_lengths,label_lengths", .num_outputs = 2, .num_visible_outputs = 1,
     .attrs = ctc_attrs, .n_attrs = NA(ctc_attrs), .num_inputs_fn = ctc_num_inputs, .infer = ctc_infer,
     .cpu = ctc_cpu, .grad = ctc_grad, .dtypes = MX_DT_FLOAT},
    {.name = "_backward_CTCLoss", .doc = "Gradient of CTCLoss: the saved gradient scaled per sequence.",
     .inputs = "ograd,grad", .num_outputs = 1, .infer = ctcb_infer, .cpu = ctcb_cpu,
     .flags = MX_OPF_INTERNAL | MX_OPF_WRITES_ALL, .dtypes = MX_DT_FLOAT},
    {.name = "SVMOutput", .doc = "Identity forward; backward returns the one-vs-all hinge gradient (squared, or "
                                 "linear with use_linear) times regularization_coefficient (support vector machine).",
     .inputs = "data,label", .num_outputs = 1, .attrs = svm_attrs, .n_attrs = NA(svm_attrs), .infer = svm_infer,
     .param_shape = svm_param_shape, .cpu = rg_cpu, .grad = svm_grad, .dtypes = MX_DT_FLOAT, .flags = MX_OPF_WRITES_ALL},
    {.name = "_backward_SVMOutput", .doc = "Gradient of SVMOutput.", .inputs = "data,label", .num_outputs = 1,
     .attrs = svm_attrs, .n_attrs = NA(svm_attrs), .infer = svm_infer, .cpu = svmb_cpu, .dtypes = MX_DT_FLOAT,
     .flags = MX_OPF_INTERNAL | MX_OPF_WRITES_ALL},
    RG_DEF("LinearRegressionOutput", "Identity forward; backward returns (out - label) * grad_scale / num_output "
                                     "(squared loss)."),
    RG_DEF("LogisticRegressionOutput", "Sigmoid forward; backward returns (out - label) * grad_scale / num_output "
                                       "(logistic loss)."),
    RG_DEF("MAERegressionOutput", "Identity forward; backward returns sign(out - label) * grad_scale / num_output "
                                  "(absolute loss)."),
};

void mxi_register_hawkesll(void); /* hawkesll.c */
void mxi_register_loss(void) {
    mxi_register_ops(ops, NA(ops));
    mxi_register_hawkesll();
}
