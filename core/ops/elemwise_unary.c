/* elemwise_unary.c — element-wise math on one array: rounding, exp/log,
 * powers and roots, trigonometric and hyperbolic functions, erf/gamma,
 * logical_not, identity/BlockGrad/make_loss, cast and clip, and the AMP
 * helpers amp_cast, amp_multicast, all_finite and multi_all_finite.
 *
 * Each op is one line of UNARY_LIST: name, aliases, doc, forward expression
 * in x, derivative expression in x and y (= forward output), whether integer
 * kernels are native, and the gradient function. Kernels use <tgmath.h> so
 * one expression serves float32 and float64. Ops whose gradient is
 * "ug_bwd" get an internal `_backward_<name>` op computing ograd * f'(x);
 * the most used ones (exp, log, sqrt, square, negative, ...) have gradients
 * composed of registered ops instead (so they are twice differentiable). */
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <tgmath.h>

#include "../../backends/cpu/cpu.h"
#include "fast_mathf.h" /* float exp/tanh/log/log1p inline: their loops vectorize */
#include "special_math.h"
#include "vec_libm.h" /* sin, cos, tan, ...: vectorized through libmvec */
#include "../op.h"

#define GRAIN 32768
#define PI_D 3.14159265358979323846

/* ---- scalar helpers ---- */
static double erfinv_d(double y) {
    if (y <= -1) return y == -1 ? -HUGE_VAL : NAN;
    if (y >= 1) return y == 1 ? HUGE_VAL : NAN;
    /* initial guess (Giles' single-precision approximation), then Newton */
    double w = -log((1.0 - y) * (1.0 + y)), x;
    if (w < 5.0) {
        w -= 2.5;
        x = 2.81022636e-08;
        x = 3.43273939e-07 + x * w;
        x = -3.5233877e-06 + x * w;
        x = -4.39150654e-06 + x * w;
        x = 0.00021858087 + x * w;
        x = -0.00125372503 + x * w;
        x = -0.00417768164 + x * w;
        x = 0.246640727 + x * w;
        x = 1.50140941 + x * w;
    } else {
        w = sqrt(w) - 3.0;
        x = -0.000200214257;
        x = 0.000100950558 + x * w;
        x = 0.00134934322 + x * w;
        x = -0.00367342844 + x * w;
        x = 0.00573950773 + x * w;
        x = -0.0076224613 + x * w;
        x = 0.00943887047 + x * w;
        x = 1.00167406 + x * w;
        x = 2.83297682 + x * w;
    }
    x *= y;
    for (int k = 0; k < 3; k++) {
        double err = erf(x) - y;
        x -= err / (2.0 / sqrt(PI_D) * exp(-x * x));
    }
    return x;
}

#define SIGNX(x) (((x) > 0) - ((x) < 0))

/* X(name, aliases, doc, forward(x), derivative(x, y), int_native, grad) */
#define UNARY_LIST(X)                                                                                                     \
    X(abs, NULL, "Element-wise absolute value.", (x < 0 ? -x : x), SIGNX(x), 1, g_abs)                                    \
    X(sign, NULL, "Element-wise sign: -1, 0 or 1.", SIGNX(x), 0, 1, g_zero)                                               \
    X(ceil, NULL, "Element-wise ceiling.", ceil(x), 0, 1, g_zero)                                                         \
    X(floor, NULL, "Element-wise floor.", floor(x), 0, 1, g_zero)                                                         \
    X(round, NULL, "Rounds to the nearest integer, halves away from zero.", round(x), 0, 1, g_zero)                       \
    X(rint, NULL, "Rounds to the nearest integer; exact halves go down (MXNet: rint(2.5) = 2, rint(-2.5) = -3).", (x - floor(x) <= ceil(x) - x ? floor(x) : ceil(x)), 0, 1, g_zero)                                \
    X(trunc, NULL, "Truncates toward zero.", trunc(x), 0, 1, g_zero)                                                      \
    X(fix, NULL, "Rounds toward zero (same as trunc).", trunc(x), 0, 1, g_zero)                                           \
    X(exp, NULL, "Element-wise exponential.", MXI_EXP(x), y, 0, g_exp)                                                        \
    X(expm1, NULL, "Computes exp(x) - 1 accurately for small x.", MXI_EXPM1(x), (y + 1), 0, ug_bwd)                           \
    X(log, NULL, "Element-wise natural logarithm.", MXI_LOG(x), (1 / x), 0, g_log)                                            \
    X(log10, NULL, "Element-wise base-10 logarithm.", MXI_LOG10(x), (1 / (x * 2.302585092994045684)), 0, ug_bwd)              \
    X(log2, NULL, "Element-wise base-2 logarithm.", MXI_LOG2(x), (1 / (x * 0.693147180559945309)), 0, ug_bwd)                 \
    X(log1p, NULL, "Computes log(1 + x) accurately for small x.", MXI_LOG1P(x), (1 / (1 + x)), 0, ug_bwd)                     \
    X(sqrt, NULL, "Element-wise square root.", sqrt(x), (0.5 / y), 0, g_sqrt)                                             \
    X(rsqrt, NULL, "Element-wise 1/sqrt(x).", (1 / sqrt(x)), (-0.5 * y / x), 0, ug_bwd)                                   \
    X(cbrt, NULL, "Element-wise cube root.", MXI_CBRT(x), (1 / (3 * y * y)), 0, ug_bwd)                                       \
    X(rcbrt, NULL, "Element-wise 1/cbrt(x).", (1 / MXI_CBRT(x)), (-y / (3 * x)), 0, ug_bwd)                                   \
    X(square, NULL, "Element-wise square.", (x * x), (2 * x), 1, g_square)                                                \
    X(reciprocal, NULL, "Element-wise 1/x.", (1 / x), (-y * y), 0, ug_bwd)                                                \
    X(negative, NULL, "Element-wise numerical negative.", (-x), -1, 1, g_negative)                                        \
    X(sin, NULL, "Element-wise sine (radians).", MXI_SIN(x), MXI_COS(x), 0, g_sin)                                                \
    X(cos, NULL, "Element-wise cosine (radians).", MXI_COS(x), (-MXI_SIN(x)), 0, g_cos)                                           \
    X(tan, NULL, "Element-wise tangent (radians).", MXI_TAN(x), (1 + y * y), 0, ug_bwd)                                       \
    X(arcsin, NULL, "Element-wise inverse sine.", MXI_ASIN(x), (1 / sqrt(1 - x * x)), 0, ug_bwd)                              \
    X(arccos, NULL, "Element-wise inverse cosine.", MXI_ACOS(x), (-1 / sqrt(1 - x * x)), 0, ug_bwd)                           \
    X(arctan, NULL, "Element-wise inverse tangent.", MXI_ATAN(x), (1 / (1 + x * x)), 0, ug_bwd)                               \
    X(sinh, NULL, "Element-wise hyperbolic sine.", MXI_SINH(x), MXI_COSH(x), 0, ug_bwd)                                           \
    X(cosh, NULL, "Element-wise hyperbolic cosine.", MXI_COSH(x), MXI_SINH(x), 0, ug_bwd)                                         \
    X(tanh, NULL, "Element-wise hyperbolic tangent.", MXI_TANH(x), (1 - y * y), 0, g_tanh)                                    \
    X(arcsinh, NULL, "Element-wise inverse hyperbolic sine.", MXI_ASINH(x), (1 / sqrt(x * x + 1)), 0, ug_bwd)                 \
    X(arccosh, NULL, "Element-wise inverse hyperbolic cosine.", MXI_ACOSH(x), (1 / sqrt(x * x - 1)), 0, ug_bwd)               \
    X(arctanh, NULL, "Element-wise inverse hyperbolic tangent.", MXI_ATANH(x), (1 / (1 - x * x)), 0, ug_bwd)                  \
    X(degrees, NULL, "Converts radians to degrees.", (x * (180.0 / PI_D)), (180.0 / PI_D), 0, ug_bwd)                     \
    X(radians, NULL, "Converts degrees to radians.", (x * (PI_D / 180.0)), (PI_D / 180.0), 0, ug_bwd)                     \
    X(erf, NULL, "Element-wise Gauss error function.", MXI_ERF(x), (1.1283791670955126 * exp(-x * x)), 0, ug_bwd)        \
    X(erfinv, NULL, "Element-wise inverse error function.", erfinv_d((double)x), (0.886226925452758014 * exp(y * y)), 0,  \
      ug_bwd)                                                                                                             \
    X(gamma, NULL, "Element-wise gamma function.", tgamma(x), (y * mxi_digamma((double)x)), 0, ug_bwd)                      \
    X(gammaln, NULL, "Element-wise log of the absolute gamma function.", lgamma(x), mxi_digamma((double)x), 0, ug_bwd)       \
    X(logical_not, NULL, "Element-wise logical NOT: 1 where x == 0 else 0 (input dtype).", (x == 0), 0, 1, g_nograd)      \
    X(identity, "_copy,_copyto,_CrossDeviceCopy", "Returns a copy of the input.", x, 1, 1, g_identity)                                             \
    X(BlockGrad, "stop_gradient", "Passes the input through; its gradient is zero.", x, 0, 1, g_zero)                     \
    X(make_loss, NULL, "Identity whose gradient with respect to the input is ones (marks a loss).", x, 1, 1, g_ones)

typedef struct {
    const void *a, *g;
    void *o;
    const void *y;
} un_args;

/* forward and backward kernels for one op and type */
#define UN_KERNEL(NAME, T, FWD) UN_KERNEL_ATTR(NAME, T, FWD, )
/* float and double kernels are built per vector ISA (MXI_CPU_CLONES): exp and
 * tanh (fast_mathf.h) run 4x faster on 64-byte vectors than on the baseline's
 * 16, and each clone calls libmvec's sin, cos, ... for its ISA (vec_libm.h) */
#define UN_KERNEL_ATTR(NAME, T, FWD, ATTR)                                        \
    static ATTR void NAME##_fwd_##T(void *ctx, int64_t b0, int64_t e0) {          \
        un_args *p = ctx;                                                         \
        const T *A = p->a;                                                        \
        T *O = p->o;                                                              \
        for (int64_t i0 = b0; i0 < e0; i0 += MXI_PF_BLOCK) { /* cpu.h */          \
            const int64_t i1 = i0 + MXI_PF_BLOCK < e0 ? i0 + MXI_PF_BLOCK : e0;   \
            mxi_prefetch_next_block(A, sizeof *A, i1, e0);                        \
            for (int64_t i = i0; i < i1; i++) {                                   \
                T x = A[i];                                                       \
                O[i] = (T)(FWD);                                                  \
            }                                                                     \
        }                                                                         \
    }
#define UN_BKERNEL(NAME, T, DER) UN_BKERNEL_ATTR(NAME, T, DER, )
#define UN_BKERNEL_ATTR(NAME, T, DER, ATTR)                                       \
    static ATTR void NAME##_bwd_##T(void *ctx, int64_t b0, int64_t e0) {          \
        un_args *p = ctx;                                                         \
        const T *A = p->a, *G = p->g, *Y = p->y;                                  \
        T *O = p->o;                                                              \
        for (int64_t i = b0; i < e0; i++) {                                       \
            T x = A[i], y = Y[i];                                                 \
            (void)x;                                                              \
            (void)y;                                                              \
            O[i] = (T)(G[i] * (T)(DER));                                          \
        }                                                                         \
    }

typedef int32_t i32;
typedef int64_t i64;
typedef uint8_t u8;
typedef int8_t i8;

#define GEN_KERNELS(NAME, AL, DOC, FWD, DER, INTN, GRAD) \
    UN_KERNEL_ATTR(NAME, float, FWD, MXI_CPU_CLONES)     \
    UN_KERNEL_ATTR(NAME, double, FWD, MXI_CPU_CLONES)    \
    UN_KERNEL(NAME, i32, FWD)                            \
    UN_KERNEL(NAME, i64, FWD)                            \
    UN_KERNEL(NAME, u8, FWD)                             \
    UN_KERNEL(NAME, i8, FWD)                             \
    UN_BKERNEL_ATTR(NAME, float, DER, MXI_CPU_CLONES)    \
    UN_BKERNEL(NAME, double, DER)
#if defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wbool-operation"
#pragma GCC diagnostic ignored "-Wtype-limits"
#endif
UNARY_LIST(GEN_KERNELS)
#if defined(__GNUC__)
#pragma GCC diagnostic pop
#endif

static int run_range(mx_call *c, mxi_range_fn fn, const void *g, const void *y) {
    if (!fn) return mxi_op_error(c, MX_ERR_DTYPE, "unsupported dtype %s", mxi_dtype_name(c->in[0]->dtype));
    un_args p = {mxi_data(c->in[c->n_in == 3 ? 1 : 0]), g, mxi_data(c->out[0]), y};
    mxi_parallel_for(c->out[0]->size, GRAIN, fn, &p);
    return MX_OK;
}

#define GEN_CPU(NAME, AL, DOC, FWD, DER, INTN, GRAD)                                       \
    static int NAME##_cpu(mx_call *c) {                                                    \
        mxi_range_fn fn = NULL;                                                            \
        switch (c->in[0]->dtype) {                                                         \
        case MX_FLOAT32: fn = NAME##_fwd_float; break;                                     \
        case MX_FLOAT64: fn = NAME##_fwd_double; break;                                    \
        case MX_INT32: fn = NAME##_fwd_i32; break;                                         \
        case MX_INT64: fn = NAME##_fwd_i64; break;                                         \
        case MX_UINT8: fn = NAME##_fwd_u8; break;                                          \
        case MX_INT8: fn = NAME##_fwd_i8; break;                                           \
        default: break;                                                                    \
        }                                                                                  \
        return run_range(c, fn, NULL, NULL);                                               \
    }                                                                                      \
    static int NAME##_bwd_cpu(mx_call *c) {                                                \
        mxi_range_fn fn = c->in[0]->dtype == MX_FLOAT64 ? NAME##_bwd_double                \
                          : c->in[0]->dtype == MX_FLOAT32 ? NAME##_bwd_float : NULL;       \
        return run_range(c, fn, mxi_data(c->in[0]), mxi_data(c->in[2]));                   \
    }
UNARY_LIST(GEN_CPU)

/* ---- shape inference ---- */
static int infer_unary(mx_call *c) {
    mxi_same_as_in(c, 0, 0);
    return MX_OK;
}

static int infer_bwd(mx_call *c) {
    for (int i = 1; i < 3; i++) {
        const mx_tensor_s *a = c->in[0], *b = c->in[i];
        if (a->ndim != b->ndim || memcmp(a->shape, b->shape, sizeof(int64_t) * (size_t)a->ndim) || a->dtype != b->dtype) {
            char sa[128], sb[128];
            return mxi_op_error(c, MX_ERR_INVALID, "ograd %s and input %d %s must match in shape and dtype",
                                mxi_shape_str(a->shape, a->ndim, sa, sizeof sa), i, mxi_shape_str(b->shape, b->ndim, sb, sizeof sb));
        }
    }
    mxi_same_as_in(c, 0, 0);
    return MX_OK;
}

/* ---- gradients ---- */
static int set1(mx_grad_ctx *g, mx_tensor_s *t) {
    g->igrad[0] = t;
    return t ? MX_OK : mx_last_error_code();
}
static mx_tensor_s *scal_call(const char *op, mx_tensor_s *x, double s) {
    char buf[64];
    snprintf(buf, sizeof buf, "scalar=%.17g", s);
    return mxi_call1(op, buf, 1, x);
}
/* og * t, consuming t */
static int set_mul(mx_grad_ctx *g, mx_tensor_s *t) {
    if (!t) return mx_last_error_code();
    mx_tensor_s *r = mxi_call1("elemwise_mul", NULL, 2, g->ograd[0], t);
    mxi_tensor_release(t);
    return set1(g, r);
}
static int ug_bwd(mx_grad_ctx *g) {
    char name[96];
    snprintf(name, sizeof name, "_backward_%s", g->call->op->name);
    return set1(g, mxi_call1(name, NULL, 3, g->ograd[0], g->in[0], g->out[0]));
}
static int g_zero(mx_grad_ctx *g) { return set1(g, mxi_call1("zeros_like", NULL, 1, g->in[0])); }
static int g_ones(mx_grad_ctx *g) { return set1(g, mxi_call1("ones_like", NULL, 1, g->in[0])); }
static int g_identity(mx_grad_ctx *g) {
    mxi_tensor_retain(g->ograd[0]);
    return set1(g, g->ograd[0]);
}
static int g_negative(mx_grad_ctx *g) { return set1(g, mxi_call1("negative", NULL, 1, g->ograd[0])); }
static int g_abs(mx_grad_ctx *g) { return set_mul(g, mxi_call1("sign", NULL, 1, g->in[0])); }
static int g_exp(mx_grad_ctx *g) { return set_mul(g, (mxi_tensor_retain(g->out[0]), g->out[0])); }
static int g_log(mx_grad_ctx *g) { return set1(g, mxi_call1("elemwise_div", NULL, 2, g->ograd[0], g->in[0])); }
static int g_sqrt(mx_grad_ctx *g) {
    mx_tensor_s *t = scal_call("_mul_scalar", g->out[0], 2.0);
    mx_tensor_s *r = t ? mxi_call1("elemwise_div", NULL, 2, g->ograd[0], t) : NULL;
    mxi_tensor_release(t);
    return set1(g, r);
}
static int g_square(mx_grad_ctx *g) { return set_mul(g, scal_call("_mul_scalar", g->in[0], 2.0)); }
static int g_sin(mx_grad_ctx *g) { return set_mul(g, mxi_call1("cos", NULL, 1, g->in[0])); }
static int g_cos(mx_grad_ctx *g) {
    mx_tensor_s *s = mxi_call1("sin", NULL, 1, g->in[0]);
    mx_tensor_s *n = s ? mxi_call1("negative", NULL, 1, s) : NULL;
    mxi_tensor_release(s);
    return set_mul(g, n);
}
static int g_tanh(mx_grad_ctx *g) {
    mx_tensor_s *s = mxi_call1("square", NULL, 1, g->out[0]);
    mx_tensor_s *t = s ? scal_call("_rminus_scalar", s, 1.0) : NULL;
    mxi_tensor_release(s);
    return set_mul(g, t);
}
#define g_nograd NULL

/* ---- cast ---- */
enum { CAST_DTYPE };
static const mx_attr_spec cast_attrs[] = {
    {.name = "dtype", .type = MX_ATTR_DTYPE, .def = NULL, .doc = "Output data type."},
};
static const mx_attr_spec amp_cast_attrs[] = {
    {.name = "dtype", .type = MX_ATTR_DTYPE, .def = NULL,
     .doc = "Output data type for float16/bfloat16/float32 inputs; other inputs keep their dtype."},
};
static const mx_attr_spec amp_multicast_attrs[] = {
    {.name = "num_outputs", .type = MX_ATTR_INT, .def = NULL, .doc = "Number of inputs (and outputs).",
     .bounded = 1, .lo = 1, .hi = MX_MAX_OUTPUTS},
    {.name = "cast_narrow", .type = MX_ATTR_BOOL, .def = "False",
     .doc = "Cast to the narrowest AMP dtype among the inputs instead of the widest."},
};
static const mx_attr_spec all_finite_attrs[] = {
    {.name = "init_output", .type = MX_ATTR_BOOL, .def = "True",
     .doc = "Set the output to 1 before checking; False only clears it (AND into an out= array)."},
};
static const mx_attr_spec multi_all_finite_attrs[] = {
    {.name = "num_arrays", .type = MX_ATTR_INT, .def = "1", .doc = "Number of input arrays.",
     .bounded = 1, .lo = 1, .hi = MX_MAX_INPUTS},
    {.name = "init_output", .type = MX_ATTR_BOOL, .def = "True",
     .doc = "Set the output to 1 before checking; False only clears it (AND into an out= array)."},
};
static int infer_cast(mx_call *c) {
    if (c->attrs[CAST_DTYPE].is_none || c->attrs[CAST_DTYPE].i < 0)
        return mxi_op_error(c, MX_ERR_INVALID, "dtype must be a concrete data type, got None");
    mxi_set_out(c, 0, c->in[0]->shape, c->in[0]->ndim, (int)c->attrs[CAST_DTYPE].i);
    return MX_OK;
}
static int cast_cpu(mx_call *c) {
    mxi_convert(mxi_data(c->in[0]), c->in[0]->dtype, mxi_data(c->out[0]), c->out[0]->dtype, c->out[0]->size);
    return MX_OK;
}
static int cast_grad(mx_grad_ctx *g) {
    char buf[64];
    snprintf(buf, sizeof buf, "dtype=%s", mxi_dtype_name(g->in[0]->dtype));
    return set1(g, mxi_call1("Cast", buf, 1, g->ograd[0]));
}

/* ---- AMP casts (MXNet's automatic mixed precision) ----
 * AMP-converted symbol files wrap ops in amp_cast / amp_multicast. Both only
 * touch the "AMP" dtypes (float16, bfloat16, float32) and pass any other
 * dtype (float64, integers) through unchanged, as MXNet does. Gradients cast
 * each output gradient back to its input's dtype. */
static bool amp_dtype(int d) { return d == MX_FLOAT16 || d == MX_BFLOAT16 || d == MX_FLOAT32; }

static int infer_amp_cast(mx_call *c) {
    MXI_TRY(infer_cast(c));
    if (!amp_dtype(c->in[0]->dtype)) c->out_dtype[0] = c->in[0]->dtype;
    return MX_OK;
}

/* output dtype of every AMP input: widest (float32 if any input is float32,
 * or if float16 and bfloat16 meet) or, with cast_narrow, the low-precision one */
enum { AMC_NUM, AMC_NARROW };
static int amc_num(const mx_call *c) { return (int)c->attrs[AMC_NUM].i; }

static int infer_amp_multicast(mx_call *c) {
    bool f16 = false, bf16 = false, f32 = false;
    for (int i = 0; i < c->n_in; i++) {
        f16 |= c->in[i]->dtype == MX_FLOAT16;
        bf16 |= c->in[i]->dtype == MX_BFLOAT16;
        f32 |= c->in[i]->dtype == MX_FLOAT32;
    }
    int target;
    if (c->attrs[AMC_NARROW].i) {
        if (f16 && bf16)
            return mxi_op_error(c, MX_ERR_INVALID, "cast_narrow has no narrowest type for inputs mixing float16 and bfloat16");
        target = f16 ? MX_FLOAT16 : bf16 ? MX_BFLOAT16 : MX_FLOAT32;
    } else {
        target = f32 || (f16 && bf16) ? MX_FLOAT32 : f16 ? MX_FLOAT16 : MX_BFLOAT16;
    }
    for (int i = 0; i < c->n_in; i++) {
        const mx_tensor_s *x = c->in[i];
        mxi_set_out(c, i, x->shape, x->ndim, amp_dtype(x->dtype) ? target : x->dtype);
    }
    return MX_OK;
}

static int amp_multicast_cpu(mx_call *c) {
    for (int i = 0; i < c->n_in; i++)
        mxi_convert(mxi_data(c->in[i]), c->in[i]->dtype, mxi_data(c->out[i]), c->out[i]->dtype, c->out[i]->size);
    return MX_OK;
}

static int amp_multicast_grad(mx_grad_ctx *g) {
    for (int i = 0; i < g->call->n_in; i++) {
        if (!mxi_grad_needed(g, i)) continue;
        if (g->ograd[i]->dtype == g->in[i]->dtype) {
            mxi_tensor_retain(g->ograd[i]);
            g->igrad[i] = g->ograd[i];
            continue;
        }
        char buf[64];
        snprintf(buf, sizeof buf, "dtype=%s", mxi_dtype_name(g->in[i]->dtype));
        if (!(g->igrad[i] = mxi_call1("Cast", buf, 1, g->ograd[i]))) return mx_last_error_code();
    }
    return MX_OK;
}

/* ---- all_finite / multi_all_finite (AMP overflow checks) ----
 * Output (1,) float32: 1 when every element of every input is finite, else 0.
 * init_output=False keeps the output's current value and only clears it on a
 * non-finite element, so repeated calls with out= AND their results (MXNet's
 * loss scaler does this over chunks of gradients); a fresh output's starting
 * value is then unspecified, as in MXNet. Finiteness is read from the
 * exponent bits (all ones = inf or NaN), whatever the compiler's float mode. */
enum { AF_INIT };
enum { MAF_NUM, MAF_INIT };
static int maf_num(const mx_call *c) { return (int)c->attrs[MAF_NUM].i; }

typedef struct {
    const void *x;
    int dtype;
    atomic_int *bad;
} af_args;

static void af_range(void *ctx, int64_t b0, int64_t e0) {
    af_args *p = ctx;
    if (atomic_load_explicit(p->bad, memory_order_relaxed)) return; /* another chunk found one */
    int bad = 0;
    switch (p->dtype) {
    case MX_FLOAT32: {
        const uint32_t *X = p->x;
        for (int64_t i = b0; i < e0; i++) bad |= (X[i] & 0x7F800000u) == 0x7F800000u;
        break;
    }
    case MX_FLOAT64: {
        const uint64_t *X = p->x;
        for (int64_t i = b0; i < e0; i++) bad |= (X[i] & 0x7FF0000000000000ull) == 0x7FF0000000000000ull;
        break;
    }
    case MX_FLOAT16: {
        const uint16_t *X = p->x;
        for (int64_t i = b0; i < e0; i++) bad |= (X[i] & 0x7C00u) == 0x7C00u;
        break;
    }
    default: { /* bfloat16 */
        const uint16_t *X = p->x;
        for (int64_t i = b0; i < e0; i++) bad |= (X[i] & 0x7F80u) == 0x7F80u;
        break;
    }
    }
    if (bad) atomic_store_explicit(p->bad, 1, memory_order_relaxed);
}

static int infer_all_finite(mx_call *c) {
    for (int i = 0; i < c->n_in; i++)
        if (!mxi_dtype_is_float(c->in[i]->dtype))
            return mxi_op_error(c, MX_ERR_DTYPE, "input %d is %s: only floating-point arrays can be checked", i,
                                mxi_dtype_name(c->in[i]->dtype));
    const int64_t one = 1;
    mxi_set_out(c, 0, &one, 1, MX_FLOAT32);
    return MX_OK;
}

static int all_finite_cpu(mx_call *c) {
    const int init = (int)c->attrs[strcmp(c->op->name, "all_finite") ? MAF_INIT : AF_INIT].i;
    float *out = mxi_data(c->out[0]);
    atomic_int bad = 0;
    for (int i = 0; i < c->n_in && !atomic_load(&bad); i++) {
        af_args p = {mxi_data(c->in[i]), c->in[i]->dtype, &bad};
        mxi_parallel_for(c->in[i]->size, GRAIN * 8, af_range, &p);
    }
    if (init) out[0] = 1.0f;
    if (atomic_load(&bad)) out[0] = 0.0f;
    return MX_OK;
}

/* ---- clip ---- */
enum { CLIP_MIN, CLIP_MAX };
static const mx_attr_spec clip_attrs[] = {
    {.name = "a_min", .type = MX_ATTR_FLOAT, .def = NULL, .doc = "Minimum value."},
    {.name = "a_max", .type = MX_ATTR_FLOAT, .def = NULL, .doc = "Maximum value."},
};
typedef struct {
    const void *a;
    void *o;
    double lo, hi;
} clip_args;
#define CLIP_KERNEL(T)                                                   \
    static void clip_##T(void *ctx, int64_t b0, int64_t e0) {            \
        clip_args *p = ctx;                                              \
        const T *A = p->a;                                               \
        T *O = p->o;                                                     \
        const T lo = (T)p->lo, hi = (T)p->hi;                            \
        for (int64_t i = b0; i < e0; i++) {                              \
            T x = A[i];                                                  \
            x = x < lo ? lo : x;                                         \
            O[i] = x > hi ? hi : x;                                      \
        }                                                                \
    }
CLIP_KERNEL(float)
CLIP_KERNEL(double)
CLIP_KERNEL(i32)
CLIP_KERNEL(i64)
static int infer_clip(mx_call *c) {
    if (c->attrs[CLIP_MIN].f > c->attrs[CLIP_MAX].f)
        return mxi_op_error(c, MX_ERR_INVALID, "a_min (%g) must not exceed a_max (%g)", c->attrs[CLIP_MIN].f,
                            c->attrs[CLIP_MAX].f);
    mxi_same_as_in(c, 0, 0);
    return MX_OK;
}
static int clip_cpu(mx_call *c) {
    clip_args p = {mxi_data(c->in[0]), mxi_data(c->out[0]), c->attrs[CLIP_MIN].f, c->attrs[CLIP_MAX].f};
    mxi_range_fn fn;
    switch (c->in[0]->dtype) {
    case MX_FLOAT32: fn = clip_float; break;
    case MX_FLOAT64: fn = clip_double; break;
    case MX_INT32: fn = clip_i32; break;
    case MX_INT64: fn = clip_i64; break;
    default: return mxi_op_error(c, MX_ERR_DTYPE, "unsupported dtype");
    }
    mxi_parallel_for(c->out[0]->size, GRAIN, fn, &p);
    return MX_OK;
}
/* og where a_min <= x <= a_max, else 0 */
static int clip_grad(mx_grad_ctx *g) {
    mx_tensor_s *k1 = scal_call("_greater_equal_scalar", g->in[0], g->call->attrs[CLIP_MIN].f);
    mx_tensor_s *k2 = scal_call("_lesser_equal_scalar", g->in[0], g->call->attrs[CLIP_MAX].f);
    mx_tensor_s *k = k1 && k2 ? mxi_call1("elemwise_mul", NULL, 2, k1, k2) : NULL;
    mxi_tensor_release(k1);
    mxi_tensor_release(k2);
    return set_mul(g, k);
}

#define UN_FLAGS (MX_OPF_WRITES_ALL | MX_OPF_INPLACE_OK)
#define UN_DT_INT (MX_DT_FLOAT | MX_DT(MX_INT32) | MX_DT(MX_INT64) | MX_DT(MX_UINT8) | MX_DT(MX_INT8))
#define GEN_DEF(NAME, AL, DOC, FWD, DER, INTN, GRAD)                                                         \
    {.name = #NAME, .aliases = AL, .doc = DOC, .inputs = "data", .num_outputs = 1, .infer = infer_unary,      \
     .cpu = NAME##_cpu, .grad = GRAD, .dtypes = (INTN) ? UN_DT_INT : MX_DT_FLOAT, .flags = UN_FLAGS},
#define GEN_BDEF(NAME, AL, DOC, FWD, DER, INTN, GRAD)                                                       \
    {.name = "_backward_" #NAME, .doc = "Backward of " #NAME ": ograd * derivative at data.",                \
     .inputs = "ograd,data,output", .num_outputs = 1, .infer = infer_bwd, .cpu = NAME##_bwd_cpu,             \
     .dtypes = MX_DT_FLOAT, .flags = MX_OPF_INTERNAL | UN_FLAGS},

static mx_op_def ops[] = {
    UNARY_LIST(GEN_DEF) UNARY_LIST(GEN_BDEF)
    {.name = "Cast", .aliases = "cast", .doc = "Casts all elements of the input to a new dtype.", .inputs = "data",
     .num_outputs = 1, .attrs = cast_attrs, .n_attrs = 1, .infer = infer_cast, .cpu = cast_cpu, .grad = cast_grad,
     .dtypes = MX_DT_ALL, .flags = MX_OPF_WRITES_ALL | MX_OPF_NO_INPUT_CAST},
    {.name = "amp_cast", .doc = "AMP cast: casts float16/bfloat16/float32 inputs to dtype; other dtypes pass through.",
     .inputs = "data", .num_outputs = 1, .attrs = amp_cast_attrs, .n_attrs = 1, .infer = infer_amp_cast,
     .cpu = cast_cpu, .grad = cast_grad, .dtypes = MX_DT_ALL, .flags = MX_OPF_WRITES_ALL | MX_OPF_NO_INPUT_CAST},
    {.name = "amp_multicast",
     .doc = "AMP cast of several arrays to their widest (or narrowest) float16/bfloat16/float32 dtype; other "
            "dtypes pass through.",
     .inputs = "*data", .num_inputs_fn = amc_num, .num_outputs_fn = amc_num, .attrs = amp_multicast_attrs,
     .n_attrs = 2, .infer = infer_amp_multicast, .cpu = amp_multicast_cpu, .grad = amp_multicast_grad,
     .dtypes = MX_DT_ALL, .flags = MX_OPF_WRITES_ALL | MX_OPF_NO_INPUT_CAST},
    {.name = "all_finite", .doc = "(1,) float32: 1 if every element of the input is finite (no inf or NaN), else 0.",
     .inputs = "data", .num_outputs = 1, .attrs = all_finite_attrs, .n_attrs = 1, .infer = infer_all_finite,
     .cpu = all_finite_cpu, .dtypes = MX_DT_FLOAT | MX_DT(MX_FLOAT16) | MX_DT(MX_BFLOAT16),
     .flags = MX_OPF_WRITES_ALL | MX_OPF_NO_INPUT_CAST | MX_OPF_NO_GRAD},
    {.name = "multi_all_finite",
     .doc = "(1,) float32: 1 if every element of all num_arrays inputs is finite (no inf or NaN), else 0.",
     .inputs = "*data", .num_inputs_fn = maf_num, .num_outputs = 1, .attrs = multi_all_finite_attrs, .n_attrs = 2,
     .infer = infer_all_finite, .cpu = all_finite_cpu, .dtypes = MX_DT_FLOAT | MX_DT(MX_FLOAT16) | MX_DT(MX_BFLOAT16),
     .flags = MX_OPF_WRITES_ALL | MX_OPF_NO_INPUT_CAST | MX_OPF_NO_GRAD},
    {.name = "clip", .doc = "Clips (limits) the values of an array to [a_min, a_max].", .inputs = "data", .num_outputs = 1,
     .attrs = clip_attrs, .n_attrs = 2, .infer = infer_clip, .cpu = clip_cpu, .grad = clip_grad,
     .dtypes = MX_DT_FLOAT | MX_DT(MX_INT32) | MX_DT(MX_INT64), .flags = UN_FLAGS},
};

void mxi_register_contrib_elemwise(void); /* contrib_elemwise.c */
void mxi_register_elemwise_unary(void) {
    mxi_register_contrib_elemwise();
    int n = (int)(sizeof ops / sizeof ops[0]);
    for (int i = 0; i < n; i++)
        if (!strcmp(ops[i].name, "logical_not")) ops[i].flags |= MX_OPF_NO_GRAD;
    mxi_register_ops(ops, n);
}
