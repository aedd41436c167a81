/* activation.c — activation functions: relu, sigmoid, hard_sigmoid,
 * softsign, softrelu (softplus), gelu, swish, log_sigmoid, mish, the
 * `Activation` op (act_type) and `LeakyReLU` (elu, gelu, leaky, prelu, rrelu,
 * selu).
 *
 * Every activation is one line of ACT_LIST (forward in x, derivative in x and
 * y = output, with parameters a and b). Gradients go through the internal
 * `_backward_act` op (ograd * f'(x)); PReLU has `_backward_prelu` which also
 * returns the gradient of gamma. */
#include <stdio.h>
#include <string.h>
#include <tgmath.h>

#include "../../backends/cpu/cpu.h"
#include "../op.h"
#include "fast_mathf.h" /* float exp/tanh/log1p inline: sigmoid, tanh, softrelu, swish, mish loops vectorize */

#define GRAIN 32768
#define SELU_L 1.0507009873554804934193349852946
#define SELU_A 1.6732632423543772848170429916717
#define INV_SQRT2 0.70710678118654752440
#define INV_SQRT2PI 0.39894228040143267794

/* softplus log(1 + e^x), stable for large |x| */
#define SOFTPLUS(x) _Generic((x), float: mxi_softplusf, default: softplus_d)(x)
#define SIGM(x) (1 / (1 + MXI_EXP(-(x))))

/* the double form of mxi_softplusf (fast_mathf.h): max(x, 0) + log1p(e^-|x|) */
static inline double softplus_d(double x) { return (x > 0 ? x : 0) + log1p(exp(-fabs(x))); }

/* X(kind, name, forward(x; a, b), derivative(x, y; a, b)) */
#define ACT_LIST(X)                                                                                     \
    X(K_RELU, relu, (x > 0 ? x : 0), (x > 0 ? 1 : 0))                                                   \
    X(K_SIGMOID, sigmoid, SIGM(x), (y * (1 - y)))                                                       \
    X(K_TANH, tanh, MXI_TANH(x), (1 - y * y))                                                               \
    X(K_SOFTRELU, softrelu, SOFTPLUS(x), SIGM(x))                                                       \
    X(K_SOFTSIGN, softsign, (x / (1 + fabs(x))), (1 / ((1 + fabs(x)) * (1 + fabs(x)))))                 \
    X(K_LOGSIG, log_sigmoid, (-SOFTPLUS(-x)), SIGM(-x))                                                \
    X(K_MISH, mish, (x * MXI_TANH(SOFTPLUS(x))),                                                        \
      (MXI_TANH(SOFTPLUS(x)) + x * SIGM(x) * (1 - MXI_TANH(SOFTPLUS(x)) * MXI_TANH(SOFTPLUS(x)))))      \
    X(K_HARDSIG, hard_sigmoid, (a * x + b < 0 ? 0 : (a * x + b > 1 ? 1 : a * x + b)),                   \
      (a * x + b > 0 && a * x + b < 1 ? a : 0))                                                         \
    X(K_GELU, gelu, (0.5f * x * MXI_TWO_PHI(x)),                                                        \
      (0.5f * MXI_TWO_PHI(x) + x * (__typeof__(x))INV_SQRT2PI * MXI_EXP(-0.5f * x * x)))               \
    X(K_SWISH, swish, (x * SIGM(b * x)), (SIGM(b * x) + b * x * SIGM(b * x) * (1 - SIGM(b * x))))       \
    X(K_LEAKY, leaky, (x > 0 ? x : a * x), (x > 0 ? 1 : a))                                             \
    X(K_ELU, elu, (x > 0 ? x : a * (exp(x) - 1)), (x > 0 ? 1 : y + a))                                  \
    X(K_SELU, selu, (x > 0 ? SELU_L * x : SELU_L * SELU_A * (exp(x) - 1)),                              \
      (x > 0 ? SELU_L : y + SELU_L * SELU_A))                                                           \
    X(K_RRELU, rrelu, (x > 0 ? x : 0.5 * (a + b) * x), (x > 0 ? 1 : (x < 0 ? y / x : 0.5 * (a + b))))  \
    X(K_RELU_NAN, relu_nan, ((x > 0 || x != x) ? x : 0), (x != x ? x : (x > 0 ? 1 : 0)))

#define KIND_ENUM(K, N, F, D) K,
enum { ACT_LIST(KIND_ENUM) K_COUNT };
/* the device modules number the kinds too (backends/common/call_geometry.h ACTP_*) */
_Static_assert(K_LOGSIG == 5 && K_RRELU == 13 && K_RELU_NAN == 14, "ACTP_* in backends/common/call_geometry.h");

typedef struct {
    const void *x, *g, *y;
    void *o;
    double a, b;
    const mx_call *c;
    void *m; /* rrelu's mask output (the slopes), or NULL */
} act_args;

#define ACT_KERNELS(K, N, FWD, DER)                                             \
    static MXI_CPU_CLONES void N##_fwd_f32(void *ctx, int64_t b0, int64_t e0) { \
        act_args *p = ctx;                                                      \
        const float *X = p->x;                                                  \
        float *O = p->o;                                                        \
        const float a = (float)p->a, b = (float)p->b;                           \
        (void)a;                                                                \
        (void)b;                                                                \
        for (int64_t i0 = b0; i0 < e0; i0 += MXI_PF_BLOCK) { /* cpu.h */        \
            const int64_t i1 = i0 + MXI_PF_BLOCK < e0 ? i0 + MXI_PF_BLOCK : e0; \
            mxi_prefetch_next_block(X, sizeof *X, i1, e0);                      \
            for (int64_t i = i0; i < i1; i++) {                                 \
                float x = X[i];                                                 \
                O[i] = (float)(FWD);                                            \
            }                                                                   \
        }                                                                       \
    }                                                                           \
    static void N##_fwd_f64(void *ctx, int64_t b0, int64_t e0) {                \
        act_args *p = ctx;                                                      \
        const double *X = p->x;                                                 \
        double *O = p->o;                                                       \
        const double a = p->a, b = p->b;                                        \
        (void)a;                                                                \
        (void)b;                                                                \
        for (int64_t i = b0; i < e0; i++) {                                     \
            double x = X[i];                                                    \
            O[i] = (FWD);                                                       \
        }                                                                       \
    }                                                                           \
    static MXI_CPU_CLONES void N##_bwd_f32(void *ctx, int64_t b0, int64_t e0) { \
        act_args *p = ctx;                                                      \
        const float *X = p->x, *G = p->g, *Y = p->y;                            \
        float *O = p->o;                                                        \
        const float a = (float)p->a, b = (float)p->b;                           \
        (void)a;                                                                \
        (void)b;                                                                \
        for (int64_t i = b0; i < e0; i++) {                                     \
            float x = X[i], y = Y[i];                                           \
            (void)x;                                                            \
            (void)y;                                                            \
            O[i] = G[i] * (float)(DER);                                         \
        }                                                                       \
    }                                                                           \
    static void N##_bwd_f64(void *ctx, int64_t b0, int64_t e0) {                \
        act_args *p = ctx;                                                      \
        const double *X = p->x, *G = p->g, *Y = p->y;                           \
        double *O = p->o;                                                       \
        const double a = p->a, b = p->b;                                        \
        (void)a;                                                                \
        (void)b;                                                                \
        for (int64_t i = b0; i < e0; i++) {                                     \
            double x = X[i], y = Y[i];                                          \
            (void)x;                                                            \
            (void)y;                                                            \
            O[i] = G[i] * (DER);                                                \
        }                                                                       \
    }
ACT_LIST(ACT_KERNELS)

#define FN_F32(K, N, F, D) N##_fwd_f32,
#define FN_F64(K, N, F, D) N##_fwd_f64,
#define BN_F32(K, N, F, D) N##_bwd_f32,
#define BN_F64(K, N, F, D) N##_bwd_f64,
static const mxi_range_fn fwd_f32[] = {ACT_LIST(FN_F32)};
static const mxi_range_fn fwd_f64[] = {ACT_LIST(FN_F64)};
static const mxi_range_fn bwd_f32[] = {ACT_LIST(BN_F32)};
static const mxi_range_fn bwd_f64[] = {ACT_LIST(BN_F64)};

/* ---- attributes ---- */
static const mx_attr_spec hsig_attrs[] = {
    {.name = "alpha", .type = MX_ATTR_FLOAT, .def = "0.2", .doc = "Slope of the hard sigmoid."},
    {.name = "beta", .type = MX_ATTR_FLOAT, .def = "0.5", .doc = "Bias of the hard sigmoid."},
};
static const mx_attr_spec swish_attrs[] = {
    {.name = "beta", .type = MX_ATTR_FLOAT, .def = "1.0", .doc = "Scale of x inside the sigmoid: x * sigmoid(beta * x)."},
};
static const mx_attr_spec act_attrs[] = {
    {.name = "act_type", .type = MX_ATTR_ENUM, .def = NULL, .doc = "Activation function to apply.",
     .choices = "relu,sigmoid,tanh,softrelu,softsign,log_sigmoid,mish"},
};
enum { LR_ACT, LR_SLOPE, LR_LOWER, LR_UPPER };
enum { LR_ELU, LR_GELU, LR_LEAKY, LR_PRELU, LR_RRELU, LR_SELU };
static const mx_attr_spec lrelu_attrs[] = {
    {.name = "act_type", .type = MX_ATTR_ENUM, .def = "leaky", .doc = "Activation function to apply.",
     .choices = "elu,gelu,leaky,prelu,rrelu,selu"},
    {.name = "slope", .type = MX_ATTR_FLOAT, .def = "0.25", .doc = "Slope for leaky (negative side) and alpha for elu."},
    {.name = "lower_bound", .type = MX_ATTR_FLOAT, .def = "0.125", .doc = "Lower bound of the random slope (rrelu)."},
    {.name = "upper_bound", .type = MX_ATTR_FLOAT, .def = "0.334", .doc = "Upper bound of the random slope (rrelu)."},
};
static const mx_attr_spec bwd_attrs[] = {
    {.name = "act", .type = MX_ATTR_INT, .def = NULL, .doc = "Index of the activation (ACT_LIST order) to differentiate.",
     .bounded = 1, .lo = 0, .hi = K_COUNT - 1},
    {.name = "alpha", .type = MX_ATTR_FLOAT, .def = "0", .doc = "First parameter (slope/alpha/lower bound)."},
    {.name = "beta", .type = MX_ATTR_FLOAT, .def = "0", .doc = "Second parameter (beta/upper bound)."},
};

/* Resolve an op call to (kind, a, b); kind -1 = prelu. */
static int resolve(const mx_call *c, double *a, double *b) {
    const char *n = c->op->name;
    *a = *b = 0;
    if (!strcmp(n, "Activation")) return (int)c->attrs[0].i;
    if (!strcmp(n, "LeakyReLU")) {
        *a = c->attrs[LR_SLOPE].f;
        switch ((int)c->attrs[LR_ACT].i) {
        case LR_ELU: return K_ELU;
        case LR_GELU: return K_GELU;
        case LR_LEAKY: return K_LEAKY;
        case LR_PRELU: return -1;
        case LR_RRELU: *a = c->attrs[LR_LOWER].f; *b = c->attrs[LR_UPPER].f; return K_RRELU;
        default: return K_SELU;
        }
    }
    if (!strcmp(n, "hard_sigmoid")) {
        *a = c->attrs[0].f;
        *b = c->attrs[1].f;
        return K_HARDSIG;
    }
    if (!strcmp(n, "swish")) {
        *b = c->attrs[0].f;
        return K_SWISH;
    }
    if (!strcmp(n, "_backward_act")) {
        *a = c->attrs[1].f;
        *b = c->attrs[2].f;
        return (int)c->attrs[0].i;
    }
    /* the standalone relu op passes NaN through (value and gradient) as MXNet's
     * nd.relu does; Activation(act_type='relu') maps NaN to 0, as MXNet's CPU build */
    if (!strcmp(n, "relu")) return K_RELU_NAN;
#define KIND_BY_NAME(K, N, F, D) if (!strcmp(n, #N)) return K;
    ACT_LIST(KIND_BY_NAME)
    if (!strcmp(n, "softplus")) return K_SOFTRELU;
    return K_RELU;
}

/* ---- infer ---- */
static int infer_act(mx_call *c) {
    mxi_same_as_in(c, 0, 0);
    return MX_OK;
}

static int infer_lrelu(mx_call *c) {
    if (c->attrs[LR_ACT].i == LR_PRELU) {
        const mx_tensor_s *x = c->in[0], *g = c->in[1];
        int64_t ch = x->ndim >= 2 ? x->shape[1] : 1;
        if (g->dtype != x->dtype)
            return mxi_op_error(c, MX_ERR_DTYPE, "gamma dtype %s must match data dtype %s", mxi_dtype_name(g->dtype),
                                mxi_dtype_name(x->dtype));
        if (!(g->size == 1 || g->size == ch) || g->ndim > 1) {
            char sg[128], sx[128];
            return mxi_op_error(c, MX_ERR_INVALID, "prelu gamma must have shape (1,) or (%lld,) (data axis 1), got %s for data %s",
                                (long long)ch, mxi_shape_str(g->shape, g->ndim, sg, sizeof sg),
                                mxi_shape_str(x->shape, x->ndim, sx, sizeof sx));
        }
    } else if (c->attrs[LR_ACT].i == LR_RRELU && c->attrs[LR_LOWER].f > c->attrs[LR_UPPER].f) {
        return mxi_op_error(c, MX_ERR_INVALID, "lower_bound (%g) must not exceed upper_bound (%g)", c->attrs[LR_LOWER].f,
                            c->attrs[LR_UPPER].f);
    }
    mxi_same_as_in(c, 0, 0);
    if (c->n_out > 1) mxi_same_as_in(c, 1, 0);
    return MX_OK;
}

static int lrelu_num_inputs(const mx_call *c) { return c->attrs[LR_ACT].i == LR_PRELU ? 2 : 1; }
/* rrelu has a second output, as in MXNet: the slope each element got */
static int lrelu_num_outputs(const mx_call *c) { return c->attrs[LR_ACT].i == LR_RRELU ? 2 : 1; }

static int same_shape3(mx_call *c) {
    for (int i = 1; i < c->n_in; i++) {
        const mx_tensor_s *a = c->in[0], *b = c->in[i];
        if (a->ndim != b->ndim || memcmp(a->shape, b->shape, sizeof(int64_t) * (size_t)a->ndim) || a->dtype != b->dtype) {
            char sa[128], sb[128];
            return mxi_op_error(c, MX_ERR_INVALID, "input %d %s must match input 0 %s in shape and dtype", i,
                                mxi_shape_str(b->shape, b->ndim, sb, sizeof sb), mxi_shape_str(a->shape, a->ndim, sa, sizeof sa));
        }
    }
    mxi_same_as_in(c, 0, 0);
    return MX_OK;
}

/* ---- prelu kernels ---- */
static void prelu_geom(const mx_tensor_s *x, const mx_tensor_s *g, int64_t *ch, int64_t *inner) {
    *ch = g->size;
    *inner = 1;
    for (int d = 2; d < x->ndim; d++) *inner *= x->shape[d];
}

#define PRELU_T(T)                                                                                   \
    static void prelu_fwd_##T(const mx_tensor_s *xt, const mx_tensor_s *gt, mx_tensor_s *ot) {       \
        int64_t ch, inner;                                                                           \
        prelu_geom(xt, gt, &ch, &inner);                                                             \
        const T *X = mxi_data(xt), *G = mxi_data(gt);                                                \
        T *O = mxi_data(ot);                                                                         \
        for (int64_t i = 0; i < xt->size; i++) {                                                     \
            T s = G[ch == 1 ? 0 : (i / inner) % ch];                                                 \
            O[i] = X[i] > 0 ? X[i] : s * X[i];                                                       \
        }                                                                                            \
    }                                                                                                \
    static void prelu_bwd_##T(const mx_tensor_s *og, const mx_tensor_s *xt, const mx_tensor_s *gt,  \
                              mx_tensor_s *dx, mx_tensor_s *dg) {                                    \
        int64_t ch, inner;                                                                           \
        prelu_geom(xt, gt, &ch, &inner);                                                             \
        const T *X = mxi_data(xt), *G = mxi_data(gt), *OG = mxi_data(og);                            \
        T *DX = mxi_data(dx), *DG = mxi_data(dg);                                                    \
        for (int64_t k = 0; k < ch; k++) DG[k] = 0;                                                  \
        for (int64_t i = 0; i < xt->size; i++) {                                                     \
            int64_t k = ch == 1 ? 0 : (i / inner) % ch;                                              \
            if (X[i] > 0) {                                                                          \
                DX[i] = OG[i];                                                                       \
            } else {                                                                                 \
                DX[i] = G[k] * OG[i];                                                                \
                DG[k] += OG[i] * X[i];                                                               \
            }                                                                                        \
        }                                                                                            \
    }
PRELU_T(float)
PRELU_T(double)

/* ---- rrelu training forward (random slope per element) ----
 * The slope of element i is a function of i and the call's random stream, so
 * the mask output (p->m, every element's slope, as MXNet's) draws the same. */
#define RRELU_T(T)                                                              \
    static void rrelu_train_##T(void *ctx, int64_t b0, int64_t e0) {            \
        act_args *p = ctx;                                                      \
        const T *X = p->x;                                                      \
        T *O = p->o, *M = p->m;                                            \
        for (int64_t i = b0; i < e0; i++) {                                     \
            T x = X[i];                                                         \
            double r = (x > 0 && !M) ? 1 : p->a + (p->b - p->a) * mxi_rng_uniform(p->c, (uint64_t)i); \
            O[i] = x > 0 ? x : (T)(r * x);                                      \
            if (M) M[i] = (T)r;                                                 \
        }                                                                       \
    }
RRELU_T(float)
RRELU_T(double)

/* ---- cpu ---- */
static int act_cpu(mx_call *c) {
    double a, b;
    int k = resolve(c, &a, &b);
    mx_tensor_s *x = c->in[0], *o = c->out[0];
    int f64 = x->dtype == MX_FLOAT64;
    if (k < 0) {
        if (f64) prelu_fwd_double(x, c->in[1], o);
        else prelu_fwd_float(x, c->in[1], o);
        return MX_OK;
    }
    mx_tensor_s *mask = k == K_RRELU && c->n_out > 1 ? c->out[1] : NULL;
    act_args p = {mxi_data(x), NULL, NULL, mxi_data(o), a, b, c};
    mxi_range_fn fn = f64 ? fwd_f64[k] : fwd_f32[k];
    if (k == K_RRELU && c->training) {
        fn = f64 ? rrelu_train_double : rrelu_train_float;
        p.m = mask ? mxi_data(mask) : NULL;
    } else if (mask) { /* inference: every element's slope is the mean */
        for (int64_t i = 0; i < mask->size; i++) mxi_store_from_double(mxi_data(mask), mask->dtype, i, 0.5 * (a + b));
    }
    mxi_parallel_for(o->size, GRAIN, fn, &p);
    return MX_OK;
}

static int bwd_act_cpu(mx_call *c) {
    double a, b;
    int k = resolve(c, &a, &b);
    if (k < 0 || k >= K_COUNT) return mxi_op_error(c, MX_ERR_INVALID, "unknown activation");
    int f64 = c->in[0]->dtype == MX_FLOAT64;
    act_args p = {mxi_data(c->in[1]), mxi_data(c->in[0]), mxi_data(c->in[2]), mxi_data(c->out[0]), a, b, c};
    mxi_parallel_for(c->out[0]->size, GRAIN, f64 ? bwd_f64[k] : bwd_f32[k], &p);
    return MX_OK;
}

static int infer_bwd_prelu(mx_call *c) {
    MXI_TRY(mxi_require_same_dtype(c));
    mxi_same_as_in(c, 0, 1);
    mxi_same_as_in(c, 1, 2);
    return MX_OK;
}

static int bwd_prelu_cpu(mx_call *c) {
    if (c->in[1]->dtype == MX_FLOAT64) prelu_bwd_double(c->in[0], c->in[1], c->in[2], c->out[0], c->out[1]);
    else prelu_bwd_float(c->in[0], c->in[1], c->in[2], c->out[0], c->out[1]);
    return MX_OK;
}

/* ---- gradient ---- */

/* f'(x) from differentiable ops, for backward with create_graph; NULL with
 * MX_ERR_UNSUPPORTED for rrelu (its training slope is random per element;
 * only the internal kernel has it). Step-like masks (x > 0) are comparisons:
 * constant for the next derivative, as f'' is zero away from the kink. */
static mx_tensor_s *act_derivative(int k, double a, double b, mx_tensor_s *x, mx_tensor_s *y) {
    char s[64];
    mx_tensor_s *t = NULL, *r = NULL;
    switch (k) {
    case K_SOFTSIGN: /* 1 / (1 + |x|)^2 */
    {
        mx_tensor_s *ab = mxi_call1("abs", NULL, 1, x);
        mx_tensor_s *p1 = mxi_chain1("_plus_scalar", "scalar=1", ab);
        mx_tensor_s *sq = mxi_chain1("square", NULL, p1);
        r = mxi_chain1("reciprocal", NULL, sq);
        mx_tensor_s *tmp[] = {ab, p1, sq};
        mxi_tensors_release(tmp, 3);
        return r;
    }
    case K_LOGSIG: /* 1 / (1 + exp(x)) = sigmoid(-x) */
        t = mxi_call1("negative", NULL, 1, x);
        r = mxi_chain1("sigmoid", NULL, t);
        mxi_tensor_release(t);
        return r;
    case K_MISH: /* tanh(sp(x)) + x sigmoid(x) (1 - tanh(sp(x))^2) */
    {
        mx_tensor_s *sp = mxi_call1("softrelu", NULL, 1, x);
        mx_tensor_s *th = mxi_chain1("tanh", NULL, sp);
        mx_tensor_s *th2 = mxi_chain1("square", NULL, th);
        mx_tensor_s *om = mxi_chain1("_rminus_scalar", "scalar=1", th2);
        mx_tensor_s *sg = mxi_chain1("sigmoid", NULL, om ? x : NULL);
        mx_tensor_s *xs = mxi_chain2("elemwise_mul", NULL, x, sg);
        mx_tensor_s *xso = mxi_chain2("elemwise_mul", NULL, xs, om);
        r = mxi_chain2("elemwise_add", NULL, th, xso);
        mx_tensor_s *tmp[] = {sp, th, th2, om, sg, xs, xso};
        mxi_tensors_release(tmp, 7);
        return r;
    }
    case K_HARDSIG: /* a where 0 < a x + b < 1, else 0 */
    {
        snprintf(s, sizeof s, "scalar=%.17g", a);
        mx_tensor_s *ax = mxi_call1("_mul_scalar", s, 1, x);
        snprintf(s, sizeof s, "scalar=%.17g", b);
        mx_tensor_s *u = mxi_chain1("_plus_scalar", s, ax);
        mx_tensor_s *lo = mxi_chain1("_greater_scalar", "scalar=0", u);
        mx_tensor_s *hi = mxi_chain1("_lesser_scalar", "scalar=1", u);
        mx_tensor_s *m = mxi_chain2("elemwise_mul", NULL, lo, hi);
        snprintf(s, sizeof s, "scalar=%.17g", a);
        r = mxi_chain1("_mul_scalar", s, m);
        mx_tensor_s *tmp[] = {ax, u, lo, hi, m};
        mxi_tensors_release(tmp, 5);
        return r;
    }
    case K_SWISH: /* s + b x s (1 - s), s = sigmoid(b x) */
    {
        snprintf(s, sizeof s, "scalar=%.17g", b);
        mx_tensor_s *bx = mxi_call1("_mul_scalar", s, 1, x);
        mx_tensor_s *sg = mxi_chain1("sigmoid", NULL, bx);
        mx_tensor_s *om = mxi_chain1("_rminus_scalar", "scalar=1", sg);
        mx_tensor_s *v = mxi_chain2("elemwise_mul", NULL, sg, om);
        mx_tensor_s *bxv = mxi_chain2("elemwise_mul", NULL, bx, v);
        r = mxi_chain2("elemwise_add", NULL, sg, bxv);
        mx_tensor_s *tmp[] = {bx, sg, om, v, bxv};
        mxi_tensors_release(tmp, 5);
        return r;
    }
    case K_RELU:
    case K_RELU_NAN: /* NaN's derivative is 0 here, not NaN: only a higher-order gradient sees it */
        return mxi_call1("_greater_scalar", "scalar=0", 1, x);
    case K_LEAKY: /* 1 where x > 0, a elsewhere: mask * (1 - a) + a */
        t = mxi_call1("_greater_scalar", "scalar=0", 1, x);
        snprintf(s, sizeof s, "scalar=%.17g", 1.0 - a);
        r = mxi_chain1("_mul_scalar", s, t);
        mxi_tensor_release(t);
        snprintf(s, sizeof s, "scalar=%.17g", a);
        t = mxi_chain1("_plus_scalar", s, r);
        mxi_tensor_release(r);
        return t;
    case K_SIGMOID: /* y (1 - y) */
        t = mxi_call1("_rminus_scalar", "scalar=1", 1, y);
        r = mxi_chain2("elemwise_mul", NULL, y, t);
        mxi_tensor_release(t);
        return r;
    case K_TANH: /* 1 - y^2 */
        t = mxi_call1("square", NULL, 1, y);
        r = mxi_chain1("_rminus_scalar", "scalar=1", t);
        mxi_tensor_release(t);
        return r;
    case K_SOFTRELU: return mxi_call1("sigmoid", NULL, 1, x);
    case K_ELU:  /* 1 where x > 0, y + a elsewhere */
    case K_SELU: /* lambda where x > 0, y + lambda alpha elsewhere */
    {
        const double pos = k == K_ELU ? 1.0 : SELU_L, neg = k == K_ELU ? a : SELU_L * SELU_A;
        mx_tensor_s *mask = mxi_call1("_greater_scalar", "scalar=0", 1, x);
        t = mxi_chain1("ones_like", NULL, mask ? y : NULL);
        snprintf(s, sizeof s, "scalar=%.17g", pos);
        mx_tensor_s *one = mxi_chain1("_mul_scalar", s, t);
        mxi_tensor_release(t);
        snprintf(s, sizeof s, "scalar=%.17g", neg);
        mx_tensor_s *ya = mxi_chain1("_plus_scalar", s, one ? y : NULL);
        r = ya ? mxi_call1("where", NULL, 3, mask, one, ya) : NULL;
        mxi_tensor_release(mask);
        mxi_tensor_release(one);
        mxi_tensor_release(ya);
        return r;
    }
    case K_GELU: /* Phi(x) + x phi(x) = 0.5 (1 + erf(x / sqrt 2)) + x exp(-x^2 / 2) / sqrt(2 pi) */
    {
        snprintf(s, sizeof s, "scalar=%.17g", INV_SQRT2);
        mx_tensor_s *u = mxi_call1("_mul_scalar", s, 1, x);
        mx_tensor_s *e = mxi_chain1("erf", NULL, u);
        mx_tensor_s *cdf = mxi_chain1("_plus_scalar", "scalar=1", e);
        mx_tensor_s *half = mxi_chain1("_mul_scalar", "scalar=0.5", cdf);
        mx_tensor_s *sq = mxi_chain1("square", NULL, half ? x : NULL);
        mx_tensor_s *nsq = mxi_chain1("_mul_scalar", "scalar=-0.5", sq);
        mx_tensor_s *ex = mxi_chain1("exp", NULL, nsq);
        snprintf(s, sizeof s, "scalar=%.17g", INV_SQRT2PI);
        mx_tensor_s *pdf = mxi_chain1("_mul_scalar", s, ex);
        mx_tensor_s *xp = mxi_chain2("elemwise_mul", NULL, x, pdf);
        r = mxi_chain2("elemwise_add", NULL, half, xp);
        mx_tensor_s *tmp[] = {u, e, cdf, half, sq, nsq, ex, pdf, xp};
        mxi_tensors_release(tmp, sizeof tmp / sizeof tmp[0]);
        return r;
    }
    default:
        mxi_error(MX_ERR_UNSUPPORTED, "no differentiable form of this activation's derivative");
        return NULL;
    }
}

static int act_grad(mx_grad_ctx *g) {
    double a, b;
    int k = resolve(g->call, &a, &b);
    if (k >= 0 && mxi_ag_recording()) {
        mx_tensor_s *d = act_derivative(k, a, b, g->in[0], g->out[0]);
        if (d) {
            g->igrad[0] = mxi_call1("elemwise_mul", NULL, 2, g->ograd[0], d);
            mxi_tensor_release(d);
            return g->igrad[0] ? MX_OK : mx_last_error_code();
        }
        if (mx_last_error_code() != MX_ERR_UNSUPPORTED) return mx_last_error_code();
        /* no differentiable form: the first-order gradient still comes from the
         * kernel; only a further derivative through it reports the gap */
    }
    if (k < 0) {
        mx_tensor_s *in[3] = {g->ograd[0], g->in[0], g->in[1]};
        mx_tensor_s *out[2] = {NULL, NULL};
        int rc = mxi_call("_backward_prelu", in, 3, NULL, out, 2);
        if (rc != MX_OK) return rc;
        g->igrad[0] = out[0];
        g->igrad[1] = out[1];
        return MX_OK;
    }
    char attrs[160];
    snprintf(attrs, sizeof attrs, "act=%d;alpha=%.17g;beta=%.17g", k, a, b);
    g->igrad[0] = mxi_call1("_backward_act", attrs, 3, g->ograd[0], g->in[0], g->out[0]);
    return g->igrad[0] ? MX_OK : mx_last_error_code();
}

#define ACT_FLAGS (MX_OPF_WRITES_ALL | MX_OPF_INPLACE_OK)
#define SIMPLE(NAME, AL, DOC)                                                                                 \
    {.name = NAME, .aliases = AL, .doc = DOC, .inputs = "data", .num_outputs = 1, .infer = infer_act,          \
     .cpu = act_cpu, .grad = act_grad, .dtypes = MX_DT_FLOAT, .flags = ACT_FLAGS}

/* prelu's gamma: one slope per channel (axis 1), as MXNet infers it */
static int lr_param_shape(const mx_call *c, int slot, int64_t *shape, int *ndim, int *dtype) {
    if (slot != 1 || c->attrs[LR_ACT].i != LR_PRELU) return 1;
    shape[0] = c->in[0]->ndim > 1 ? c->in[0]->shape[1] : 1;
    *ndim = 1;
    return 0;
}

static const mx_op_def ops[] = {
    SIMPLE("relu", NULL, "Rectified linear unit: max(x, 0)."),
    SIMPLE("sigmoid", NULL, "Logistic sigmoid 1 / (1 + exp(-x))."),
    SIMPLE("softsign", NULL, "Softsign x / (1 + |x|)."),
    SIMPLE("softrelu", "softplus", "Softplus log(1 + exp(x))."),
    SIMPLE("gelu", NULL, "Gaussian error linear unit 0.5 x (1 + erf(x / sqrt(2)))."),
    SIMPLE("log_sigmoid", NULL, "log(sigmoid(x)), computed stably."),
    SIMPLE("mish", NULL, "Mish: x * tanh(softplus(x))."),
    {.name = "hard_sigmoid", .doc = "Hard sigmoid max(0, min(1, alpha * x + beta)).", .inputs = "data", .num_outputs = 1,
     .attrs = hsig_attrs, .n_attrs = 2, .infer = infer_act, .cpu = act_cpu, .grad = act_grad, .dtypes = MX_DT_FLOAT,
     .flags = ACT_FLAGS},
    {.name = "swish", .doc = "Swish x * sigmoid(beta * x).", .inputs = "data", .num_outputs = 1, .attrs = swish_attrs,
     .n_attrs = 1, .infer = infer_act, .cpu = act_cpu, .grad = act_grad, .dtypes = MX_DT_FLOAT, .flags = ACT_FLAGS},
    {.name = "Activation", .doc = "Applies an activation function element-wise (act_type).", .inputs = "data",
     .num_outputs = 1, .attrs = act_attrs, .n_attrs = 1, .infer = infer_act, .cpu = act_cpu, .grad = act_grad,
     .dtypes = MX_DT_FLOAT, .flags = ACT_FLAGS},
    {.name = "LeakyReLU", .doc = "Leaky rectifiers: elu, gelu, leaky, prelu (learned gamma along axis 1), rrelu (random "
                                 "slope in training, mean slope in inference), selu.",
     .inputs = "data,gamma", .num_outputs = 1, .output_names = "output,mask", .attrs = lrelu_attrs, .n_attrs = 4,
     .num_inputs_fn = lrelu_num_inputs, .num_outputs_fn = lrelu_num_outputs,
     .infer = infer_lrelu, .param_shape = lr_param_shape, .cpu = act_cpu, .grad = act_grad, .dtypes = MX_DT_FLOAT, .flags = ACT_FLAGS | MX_OPF_RANDOM},
    {.name = "_backward_act", .doc = "Backward of the activations: ograd * f'(data).", .inputs = "ograd,data,output",
     .num_outputs = 1, .attrs = bwd_attrs, .n_attrs = 3, .infer = same_shape3, .cpu = bwd_act_cpu, .dtypes = MX_DT_FLOAT,
     .flags = MX_OPF_INTERNAL | ACT_FLAGS},
    {.name = "_backward_prelu", .doc = "Backward of PReLU: gradients of data and gamma.", .inputs = "ograd,data,gamma",
     .num_outputs = 2, .infer = infer_bwd_prelu, .cpu = bwd_prelu_cpu, .dtypes = MX_DT_FLOAT,
     .flags = MX_OPF_INTERNAL | MX_OPF_WRITES_ALL},
};

void mxi_register_activation(void) { mxi_register_ops(ops, (int)(sizeof ops / sizeof ops[0])); }
