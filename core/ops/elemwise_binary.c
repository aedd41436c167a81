/* elemwise_binary.c — binary arithmetic, comparison and logic ops with numpy
 * broadcasting: elemwise_* (same shape), broadcast_* (numpy rules), the
 * scalar forms (_plus_scalar ... with attr `scalar`), add_n, and their MXNet
 * aliases.
 *
 * One kernel template per (op, dtype): a contiguous fast path for same-shape
 * inputs that the compiler vectorizes, a broadcast walk over coalesced dims
 * (parallel over rows, inner loops specialised for stride 0/1), and scalar
 * forms. Gradients are written with registered ops; broadcast gradients are
 * reduced back to each input's shape with `_reduce_to_shape_like`. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <tgmath.h>

#include "../../backends/cpu/cpu.h"
#include "../op.h"
#include "vec_libm.h" /* pow, hypot: vectorized through libmvec */

#define GRAIN 32768

/* Large fresh outputs: ask for transparent huge pages before first touch
 * (as numpy does), which cuts page-fault time on big allocations. The core
 * allocator should do this itself; harmless when it already does. */
static void hugepage_hint(void *p, size_t n) {
#ifdef MADV_HUGEPAGE
    if (n < ((size_t)4 << 20)) return;
    uintptr_t b = ((uintptr_t)p + 0x1FFFFF) & ~(uintptr_t)0x1FFFFF;
    uintptr_t e = ((uintptr_t)p + n) & ~(uintptr_t)0x1FFFFF;
    if (e > b) madvise((void *)b, e - b, MADV_HUGEPAGE);
#else
    (void)p;
    (void)n;
#endif
}

/* ---- shape inference ---- */
static int infer_same_shape(mx_call *c) {
    MXI_TRY(mxi_require_same_dtype(c));
    const mx_tensor_s *a = c->in[0], *b = c->in[1];
    if (a->ndim != b->ndim || memcmp(a->shape, b->shape, sizeof(int64_t) * (size_t)a->ndim)) {
        char sa[128], sb[128];
        const char *n = c->op->name;
        if (!strncmp(n, "elemwise_", 9)) n += 9;
        else if (n[0] == '_') n += 1; /* _power -> broadcast_power */
        return mxi_op_error(c, MX_ERR_INVALID, "inputs must have the same shape, got %s and %s (use broadcast_%s for broadcasting)",
                            mxi_shape_str(a->shape, a->ndim, sa, sizeof sa), mxi_shape_str(b->shape, b->ndim, sb, sizeof sb), n);
    }
    mxi_same_as_in(c, 0, 0);
    return MX_OK;
}

static int infer_broadcast(mx_call *c) {
    MXI_TRY(mxi_require_same_dtype(c));
    int64_t shape[MX_MAX_NDIM];
    int nd;
    MXI_TRY(mxi_broadcast_shapes(c, c->in[0]->shape, c->in[0]->ndim, c->in[1]->shape, c->in[1]->ndim, shape, &nd));
    mxi_set_out(c, 0, shape, nd, c->in[0]->dtype);
    return MX_OK;
}

static int infer_unary(mx_call *c) {
    mxi_same_as_in(c, 0, 0);
    return MX_OK;
}

/* ---- broadcast plan: output dims with size-1 dims dropped and adjacent dims
 * merged where both inputs walk them contiguously (or both broadcast) ---- */
typedef struct {
    int nd;
    int64_t shape[MX_MAX_NDIM], sa[MX_MAX_NDIM], sb[MX_MAX_NDIM];
    int64_t inner, rows;
} bplan;

static void aligned_strides(const mx_tensor_s *t, const mx_tensor_s *out, int64_t *st) {
    int off = out->ndim - t->ndim;
    for (int i = 0; i < out->ndim; i++) {
        int j = i - off;
        st[i] = (j >= 0 && t->shape[j] != 1) ? t->strides[j] : 0;
    }
}

static void make_plan(const mx_tensor_s *a, const mx_tensor_s *b, const mx_tensor_s *o, bplan *p) {
    int64_t sa[MX_MAX_NDIM], sb[MX_MAX_NDIM];
    aligned_strides(a, o, sa);
    aligned_strides(b, o, sb);
    int nd = 0;
    for (int d = 0; d < o->ndim; d++) {
        int64_t n = o->shape[d];
        if (n == 1) continue;
        if (nd > 0 && p->sa[nd - 1] == sa[d] * n && p->sb[nd - 1] == sb[d] * n) {
            p->shape[nd - 1] *= n;
            p->sa[nd - 1] = sa[d];
            p->sb[nd - 1] = sb[d];
        } else {
            p->shape[nd] = n;
            p->sa[nd] = sa[d];
            p->sb[nd] = sb[d];
            nd++;
        }
    }
    if (nd == 0) {
        p->shape[0] = 1;
        p->sa[0] = p->sb[0] = 0;
        nd = 1;
    }
    p->nd = nd;
    p->inner = p->shape[nd - 1];
    p->rows = 1;
    for (int d = 0; d < nd - 1; d++) p->rows *= p->shape[d];
}

typedef struct {
    const void *a, *b;
    void *o;
    double s;
    const bplan *plan;
} bin_args;

/* Kernels for one op and one type: same-shape, broadcast, scalar and
 * reversed-scalar. EXPR is written in terms of x (lhs) and y (rhs). */
#define BIN_KERNEL(NAME, T, EXPR) BIN_KERNEL_ATTR(NAME, T, EXPR, )
#define BIN_KERNEL_ATTR(NAME, T, EXPR, ATTR)                                                        \
    static ATTR void NAME##_same(void *ctx, int64_t b0, int64_t e0) {                               \
        bin_args *p = ctx;                                                                          \
        const T *A = p->a, *B = p->b;                                                               \
        T *O = p->o;                                                                                \
        for (int64_t i = b0; i < e0; i++) {                                                         \
            T x = A[i], y = B[i];                                                                   \
            O[i] = (T)(EXPR);                                                                       \
        }                                                                                           \
    }                                                                                               \
    static ATTR void NAME##_scal(void *ctx, int64_t b0, int64_t e0) {                               \
        bin_args *p = ctx;                                                                          \
        const T *A = p->a;                                                                          \
        T *O = p->o;                                                                                \
        const T y = (T)p->s;                                                                        \
        for (int64_t i = b0; i < e0; i++) {                                                         \
            T x = A[i];                                                                             \
            O[i] = (T)(EXPR);                                                                       \
        }                                                                                           \
    }                                                                                               \
    static ATTR void NAME##_rscal(void *ctx, int64_t b0, int64_t e0) {                              \
        bin_args *p = ctx;                                                                          \
        const T *B = p->a;                                                                          \
        T *O = p->o;                                                                                \
        const T x = (T)p->s;                                                                        \
        for (int64_t i = b0; i < e0; i++) {                                                         \
            T y = B[i];                                                                             \
            O[i] = (T)(EXPR);                                                                       \
        }                                                                                           \
    }                                                                                               \
    static ATTR void NAME##_bcast(void *ctx, int64_t r0, int64_t r1) {                              \
        bin_args *p = ctx;                                                                          \
        const bplan *pl = p->plan;                                                                  \
        const T *A = p->a, *B = p->b;                                                               \
        T *O = p->o;                                                                                \
        int nd = pl->nd;                                                                            \
        int64_t inner = pl->inner, ia = pl->sa[nd - 1], ib = pl->sb[nd - 1];                        \
        int64_t idx[MX_MAX_NDIM] = {0}, rem = r0;                                                   \
        for (int d = nd - 2; d >= 0; d--) {                                                         \
            idx[d] = rem % pl->shape[d];                                                            \
            rem /= pl->shape[d];                                                                    \
        }                                                                                           \
        for (int64_t r = r0; r < r1; r++) {                                                         \
            int64_t oa = 0, ob = 0;                                                                 \
            for (int d = 0; d < nd - 1; d++) {                                                      \
                oa += idx[d] * pl->sa[d];                                                           \
                ob += idx[d] * pl->sb[d];                                                           \
            }                                                                                       \
            const T *ar = A + oa, *br = B + ob;                                                     \
            T *orow = O + r * inner;                                                                \
            if (ia == 1 && ib == 1) {                                                               \
                for (int64_t j = 0; j < inner; j++) {                                               \
                    T x = ar[j], y = br[j];                                                         \
                    orow[j] = (T)(EXPR);                                                            \
                }                                                                                   \
            } else if (ia == 1 && ib == 0) {                                                        \
                const T y = br[0];                                                                  \
                for (int64_t j = 0; j < inner; j++) {                                               \
                    T x = ar[j];                                                                    \
                    orow[j] = (T)(EXPR);                                                            \
                }                                                                                   \
            } else if (ia == 0 && ib == 1) {                                                        \
                const T x = ar[0];                                                                  \
                for (int64_t j = 0; j < inner; j++) {                                               \
                    T y = br[j];                                                                    \
                    orow[j] = (T)(EXPR);                                                            \
                }                                                                                   \
            } else {                                                                                \
                for (int64_t j = 0; j < inner; j++) {                                               \
                    T x = ar[j * ia], y = br[j * ib];                                               \
                    orow[j] = (T)(EXPR);                                                            \
                }                                                                                   \
            }                                                                                       \
            for (int d = nd - 2; d >= 0; d--) {                                                     \
                if (++idx[d] < pl->shape[d]) break;                                                 \
                idx[d] = 0;                                                                         \
            }                                                                                       \
        }                                                                                           \
    }                                                                                               \
    static void NAME(mx_call *c, int mode) {                                                        \
        mx_tensor_s *a = c->in[0], *o = c->out[0];                                                  \
        if (o->size == 0) return;                                                                   \
        hugepage_hint(mxi_data(o), (size_t)o->size * sizeof(T));                                    \
        bin_args p = {mxi_data(a), NULL, mxi_data(o), 0, NULL};                                     \
        if (mode) {                                                                                 \
            p.s = c->attrs[0].f;                                                                    \
            mxi_parallel_for(o->size, GRAIN, mode == 1 ? NAME##_scal : NAME##_rscal, &p);           \
            return;                                                                                 \
        }                                                                                           \
        mx_tensor_s *b = c->in[1];                                                                  \
        p.b = mxi_data(b);                                                                          \
        if (a->size == o->size && b->size == o->size) {                                             \
            mxi_parallel_for(o->size, GRAIN, NAME##_same, &p);                                      \
            return;                                                                                 \
        }                                                                                           \
        bplan pl;                                                                                   \
        make_plan(a, b, o, &pl);                                                                    \
        p.plan = &pl;                                                                               \
        int64_t grain = GRAIN / (pl.inner ? pl.inner : 1);                                          \
        mxi_parallel_for(pl.rows, grain < 1 ? 1 : grain, NAME##_bcast, &p);                         \
    }

/* numpy-style modulo (result takes the divisor's sign); 0 for a zero divisor
 * as in MXNet. */
#define FMOD_EXPR (y == 0 ? 0 : (fmod(x, y) != 0 && ((fmod(x, y) < 0) != (y < 0)) ? fmod(x, y) + y : fmod(x, y)))
#define IMOD_EXPR (y == 0 || y == -1 ? 0 : ((x % y) != 0 && (((x % y) < 0) != (y < 0)) ? (x % y) + y : (x % y)))
#define IDIV_EXPR (y == 0 ? 0 : (y == -1 ? -x : x / y))

/* Instantiate one op for the dtypes the family supports natively: mode 0 =
 * binary, 1 = x op scalar, 2 = scalar op x. */
#define BIN_OP2(OP, FEXPR, IEXPR) BIN_OP2_ATTR(OP, FEXPR, IEXPR, )
/* FATTR: for the float and double kernels (MXI_CPU_CLONES where they call libm) */
#define BIN_OP2_ATTR(OP, FEXPR, IEXPR, FATTR)                                      \
    BIN_KERNEL_ATTR(OP##_f32, float, FEXPR, FATTR)                                 \
    BIN_KERNEL_ATTR(OP##_f64, double, FEXPR, FATTR)                                \
    BIN_KERNEL(OP##_i32, int32_t, IEXPR)                                           \
    BIN_KERNEL(OP##_i64, int64_t, IEXPR)                                           \
    static int OP##_run(mx_call *c, int mode) {                                    \
        switch (c->in[0]->dtype) {                                                 \
        case MX_FLOAT32: OP##_f32(c, mode); break;                                 \
        case MX_FLOAT64: OP##_f64(c, mode); break;                                 \
        case MX_INT32: OP##_i32(c, mode); break;                                   \
        case MX_INT64: OP##_i64(c, mode); break;                                   \
        default: return mxi_op_error(c, MX_ERR_DTYPE, "unsupported dtype");        \
        }                                                                          \
        return MX_OK;                                                              \
    }                                                                              \
    static int OP##_cpu(mx_call *c) { return OP##_run(c, 0); }                     \
    static int OP##_scalar_cpu(mx_call *c) { return OP##_run(c, 1); }              \
    __attribute__((unused)) static int OP##_rscalar_cpu(mx_call *c) { return OP##_run(c, 2); }
#define BIN_OP(OP, EXPR) BIN_OP2(OP, EXPR, EXPR)

BIN_OP(add, x + y)
BIN_OP(sub, x - y)
BIN_OP(mul, x * y)
BIN_OP2(div, x / y, IDIV_EXPR)
BIN_OP2(mod, FMOD_EXPR, IMOD_EXPR)
/* pow/hypot kernels are cloned per ISA so their loops call libmvec's vector
 * powf/hypotf (vec_libm.h): x ** 2.5 on 1M floats, see bench/README */
BIN_OP2_ATTR(power, MXI_POW(x, y), pow((double)x, (double)y), MXI_CPU_CLONES)

/* x ** s for the exponents user code writes most ((a - b) ** 2, ** 0.5,
 * ** -1) as the operations they equal, instead of a pow call per element
 * (x ** 2 on 1M floats: 5.1 ms, nd.square 0.35 ms). Each gives pow's
 * result: a correctly rounded square or reciprocal, and sqrt with pow's
 * signs at -0 and -inf (+0 and +inf). Other exponents, and integer
 * dtypes, keep the pow kernel. */
#define POW_SPECIAL(T)                                                                   \
    static bool pow_special_##T(const T *x, T *o, int64_t n, double s) {                 \
        if (s == 2) { for (int64_t i = 0; i < n; i++) o[i] = x[i] * x[i]; }              \
        else if (s == 1) { for (int64_t i = 0; i < n; i++) o[i] = x[i]; }                \
        else if (s == -1) { for (int64_t i = 0; i < n; i++) o[i] = (T)1 / x[i]; }        \
        else if (s == 0.5) {                                                             \
            for (int64_t i = 0; i < n; i++)                                              \
                o[i] = x[i] == -(T)INFINITY ? (T)INFINITY : sqrt(x[i]) + (T)0;           \
        } else return false;                                                             \
        return true;                                                                     \
    }
POW_SPECIAL(float)
POW_SPECIAL(double)

static int power_scalar_special_cpu(mx_call *c) {
    const mx_tensor_s *x = c->in[0];
    mx_tensor_s *o = c->out[0];
    const double s = c->attrs[0].f;
    if (x->dtype == MX_FLOAT32 && pow_special_float(mxi_data(x), mxi_data(o), o->size, s)) return MX_OK;
    if (x->dtype == MX_FLOAT64 && pow_special_double(mxi_data(x), mxi_data(o), o->size, s)) return MX_OK;
    return power_scalar_cpu(c);
}
/* NaN in either operand gives NaN, as MXNet's maximum/minimum (x != x is NaN's test;
 * integer types compile it away) */
BIN_OP(maximum, (x > y || x != x) ? x : y)
BIN_OP(minimum, (x < y || x != x) ? x : y)
BIN_OP2_ATTR(hypot, MXI_HYPOT(x, y), hypot((double)x, (double)y), MXI_CPU_CLONES)
BIN_OP(equal, x == y)
BIN_OP(not_equal, x != y)
BIN_OP(greater, x > y)
BIN_OP(greater_equal, x >= y)
BIN_OP(lesser, x < y)
BIN_OP(lesser_equal, x <= y)
BIN_OP(logical_and, (x != 0) && (y != 0))
BIN_OP(logical_or, (x != 0) || (y != 0))
BIN_OP(logical_xor, (x != 0) != (y != 0))

#define BIN_DTYPES (MX_DT_FLOAT | MX_DT(MX_INT32) | MX_DT(MX_INT64))

/* ---- add_n ---- */
static int infer_add_n(mx_call *c) {
    MXI_TRY(mxi_require_same_dtype(c));
    const mx_tensor_s *a = c->in[0];
    for (int i = 1; i < c->n_in; i++) {
        const mx_tensor_s *b = c->in[i];
        if (a->ndim != b->ndim || memcmp(a->shape, b->shape, sizeof(int64_t) * (size_t)a->ndim)) {
            char sa[128], sb[128];
            return mxi_op_error(c, MX_ERR_INVALID, "all inputs must have the same shape, got %s (input 0) and %s (input %d)",
                                mxi_shape_str(a->shape, a->ndim, sa, sizeof sa), mxi_shape_str(b->shape, b->ndim, sb, sizeof sb), i);
        }
    }
    mxi_same_as_in(c, 0, 0);
    return MX_OK;
}

typedef struct {
    mx_call *c;
} addn_args;

/* The graph planner may give the output the buffer of any donated input, not
 * only the first (MX_OPF_INPLACE_OK), so a block of every input is summed in a
 * local accumulator before the output block is written: writing O = in[0]
 * first would overwrite in[k] before it is read. */
#define ADDN_BLOCK 256
#define ADDN_KERNEL(NAME, T)                                                       \
    static void NAME(void *ctx, int64_t b0, int64_t e0) {                          \
        mx_call *c = ((addn_args *)ctx)->c;                                        \
        T *O = mxi_data(c->out[0]);                                                \
        T acc[ADDN_BLOCK];                                                         \
        for (int64_t s = b0; s < e0; s += ADDN_BLOCK) {                            \
            int64_t n = e0 - s < ADDN_BLOCK ? e0 - s : ADDN_BLOCK;                 \
            const T *A = (const T *)mxi_data(c->in[0]) + s;                        \
            for (int64_t i = 0; i < n; i++) acc[i] = A[i];                         \
            for (int k = 1; k < c->n_in; k++) {                                    \
                const T *B = (const T *)mxi_data(c->in[k]) + s;                    \
                for (int64_t i = 0; i < n; i++) acc[i] += B[i];                    \
            }                                                                      \
            for (int64_t i = 0; i < n; i++) O[s + i] = acc[i];                     \
        }                                                                          \
    }
ADDN_KERNEL(addn_f32, float)
ADDN_KERNEL(addn_f64, double)
ADDN_KERNEL(addn_i32, int32_t)
ADDN_KERNEL(addn_i64, int64_t)

static int add_n_cpu(mx_call *c) {
    addn_args p = {c};
    mxi_range_fn fn;
    switch (c->in[0]->dtype) {
    case MX_FLOAT32: fn = addn_f32; break;
    case MX_FLOAT64: fn = addn_f64; break;
    case MX_INT32: fn = addn_i32; break;
    case MX_INT64: fn = addn_i64; break;
    default: return mxi_op_error(c, MX_ERR_DTYPE, "unsupported dtype");
    }
    mxi_parallel_for(c->out[0]->size, GRAIN, fn, &p);
    return MX_OK;
}

static int add_n_grad(mx_grad_ctx *g) {
    for (int i = 0; i < g->call->n_in; i++) {
        mxi_tensor_retain(g->ograd[0]);
        g->igrad[i] = g->ograd[0];
    }
    return MX_OK;
}

/* ---- gradients ---- */

/* Sum `g` down to the shape of `like` (undo broadcasting); new reference. */
static mx_tensor_s *unbroadcast(mx_tensor_s *g, mx_tensor_s *like) {
    if (!g) return NULL;
    if (g->ndim == like->ndim && !memcmp(g->shape, like->shape, sizeof(int64_t) * (size_t)g->ndim)) {
        mxi_tensor_retain(g);
        return g;
    }
    return mxi_call1("_reduce_to_shape_like", NULL, 2, g, like);
}

/* Set igrad[0]/[1] from full-shape gradients ga/gb (consumed; may be NULL =
 * no gradient wanted). */
static int finish2(mx_grad_ctx *g, mx_tensor_s *ga, mx_tensor_s *gb, int want_a, int want_b) {
    int ok = 1;
    if (want_a) { g->igrad[0] = unbroadcast(ga, g->in[0]); ok &= g->igrad[0] != NULL; }
    if (want_b) { g->igrad[1] = unbroadcast(gb, g->in[1]); ok &= g->igrad[1] != NULL; }
    mxi_tensor_release(ga);
    mxi_tensor_release(gb);
    return ok ? MX_OK : mx_last_error_code();
}

static mx_tensor_s *scal_call(const char *op, mx_tensor_s *x, double s) {
    char buf[64];
    snprintf(buf, sizeof buf, "scalar=%.17g", s);
    return mxi_call1(op, buf, 1, x);
}

static int add_grad(mx_grad_ctx *g) {
    mxi_tensor_retain(g->ograd[0]);
    mxi_tensor_retain(g->ograd[0]);
    return finish2(g, g->ograd[0], g->ograd[0], 1, 1);
}

static int sub_grad(mx_grad_ctx *g) {
    mx_tensor_s *neg = mxi_call1("negative", NULL, 1, g->ograd[0]);
    if (!neg) return mx_last_error_code();
    mxi_tensor_retain(g->ograd[0]);
    return finish2(g, g->ograd[0], neg, 1, 1);
}

static int mul_grad(mx_grad_ctx *g) {
    mx_tensor_s *ga = mxi_call1("broadcast_mul", NULL, 2, g->ograd[0], g->in[1]);
    mx_tensor_s *gb = mxi_call1("broadcast_mul", NULL, 2, g->ograd[0], g->in[0]);
    return finish2(g, ga, gb, 1, 1);
}

/* d(a/b): og/b, -og*out/b */
static int div_grad(mx_grad_ctx *g) {
    mx_tensor_s *ga = mxi_call1("broadcast_div", NULL, 2, g->ograd[0], g->in[1]);
    mx_tensor_s *t = mxi_call1("broadcast_mul", NULL, 2, g->ograd[0], g->out[0]);
    mx_tensor_s *t2 = t ? mxi_call1("broadcast_div", NULL, 2, t, g->in[1]) : NULL;
    mx_tensor_s *gb = t2 ? mxi_call1("negative", NULL, 1, t2) : NULL;
    mxi_tensor_release(t);
    mxi_tensor_release(t2);
    return finish2(g, ga, gb, 1, 1);
}

/* d(a mod b): og, -og*floor(a/b) */
static int mod_grad(mx_grad_ctx *g) {
    mx_tensor_s *q = mxi_call1("broadcast_div", NULL, 2, g->in[0], g->in[1]);
    mx_tensor_s *f = q ? mxi_call1("floor", NULL, 1, q) : NULL;
    mx_tensor_s *t = f ? mxi_call1("broadcast_mul", NULL, 2, g->ograd[0], f) : NULL;
    mx_tensor_s *gb = t ? mxi_call1("negative", NULL, 1, t) : NULL;
    mxi_tensor_release(q);
    mxi_tensor_release(f);
    mxi_tensor_release(t);
    mxi_tensor_retain(g->ograd[0]);
    return finish2(g, g->ograd[0], gb, 1, 1);
}

/* d(a^b): og*b*a^(b-1), og*out*log(a) */
static int power_grad(mx_grad_ctx *g) {
    mx_tensor_s *bm1 = scal_call("_plus_scalar", g->in[1], -1.0);
    mx_tensor_s *p = bm1 ? mxi_call1("broadcast_power", NULL, 2, g->in[0], bm1) : NULL;
    mx_tensor_s *t = p ? mxi_call1("broadcast_mul", NULL, 2, p, g->in[1]) : NULL;
    mx_tensor_s *ga = t ? mxi_call1("broadcast_mul", NULL, 2, g->ograd[0], t) : NULL;
    mx_tensor_s *la = mxi_call1("log", NULL, 1, g->in[0]);
    mx_tensor_s *u = la ? mxi_call1("broadcast_mul", NULL, 2, g->out[0], la) : NULL;
    mx_tensor_s *gb = u ? mxi_call1("broadcast_mul", NULL, 2, g->ograd[0], u) : NULL;
    mxi_tensor_release(bm1);
    mxi_tensor_release(p);
    mxi_tensor_release(t);
    mxi_tensor_release(la);
    mxi_tensor_release(u);
    return finish2(g, ga, gb, 1, 1);
}

/* masks: maximum -> a>=b for lhs, a<b for rhs; minimum -> a<=b, a>b */
static int minmax_grad(mx_grad_ctx *g, const char *ma, const char *mb) {
    mx_tensor_s *ka = mxi_call1(ma, NULL, 2, g->in[0], g->in[1]);
    mx_tensor_s *kb = mxi_call1(mb, NULL, 2, g->in[0], g->in[1]);
    mx_tensor_s *ga = ka ? mxi_call1("broadcast_mul", NULL, 2, g->ograd[0], ka) : NULL;
    mx_tensor_s *gb = kb ? mxi_call1("broadcast_mul", NULL, 2, g->ograd[0], kb) : NULL;
    mxi_tensor_release(ka);
    mxi_tensor_release(kb);
    return finish2(g, ga, gb, 1, 1);
}
static int maximum_grad(mx_grad_ctx *g) { return minmax_grad(g, "broadcast_greater_equal", "broadcast_lesser"); }
static int minimum_grad(mx_grad_ctx *g) { return minmax_grad(g, "broadcast_lesser_equal", "broadcast_greater"); }

/* d hypot: og*a/out, og*b/out */
static int hypot_grad(mx_grad_ctx *g) {
    mx_tensor_s *r = mxi_call1("broadcast_div", NULL, 2, g->ograd[0], g->out[0]);
    mx_tensor_s *ga = r ? mxi_call1("broadcast_mul", NULL, 2, r, g->in[0]) : NULL;
    mx_tensor_s *gb = r ? mxi_call1("broadcast_mul", NULL, 2, r, g->in[1]) : NULL;
    mxi_tensor_release(r);
    return finish2(g, ga, gb, 1, 1);
}

/* ---- scalar gradients ---- */
static double sattr(mx_grad_ctx *g) { return g->call->attrs[0].f; }
static int set1(mx_grad_ctx *g, mx_tensor_s *t) {
    g->igrad[0] = t;
    return t ? MX_OK : mx_last_error_code();
}
static int id_grad(mx_grad_ctx *g) {
    mxi_tensor_retain(g->ograd[0]);
    return set1(g, g->ograd[0]);
}
static int neg_grad(mx_grad_ctx *g) { return set1(g, mxi_call1("negative", NULL, 1, g->ograd[0])); }
static int mul_scalar_grad(mx_grad_ctx *g) { return set1(g, scal_call("_mul_scalar", g->ograd[0], sattr(g))); }
static int div_scalar_grad(mx_grad_ctx *g) { return set1(g, scal_call("_div_scalar", g->ograd[0], sattr(g))); }
/* s/x: -og*out/x */
static int rdiv_scalar_grad(mx_grad_ctx *g) {
    mx_tensor_s *t = mxi_call1("elemwise_mul", NULL, 2, g->ograd[0], g->out[0]);
    mx_tensor_s *t2 = t ? mxi_call1("elemwise_div", NULL, 2, t, g->in[0]) : NULL;
    mx_tensor_s *r = t2 ? mxi_call1("negative", NULL, 1, t2) : NULL;
    mxi_tensor_release(t);
    mxi_tensor_release(t2);
    return set1(g, r);
}
/* s mod x: -og*floor(s/x) */
static int rmod_scalar_grad(mx_grad_ctx *g) {
    mx_tensor_s *q = scal_call("_rdiv_scalar", g->in[0], sattr(g));
    mx_tensor_s *f = q ? mxi_call1("floor", NULL, 1, q) : NULL;
    mx_tensor_s *t = f ? mxi_call1("elemwise_mul", NULL, 2, g->ograd[0], f) : NULL;
    mx_tensor_s *r = t ? mxi_call1("negative", NULL, 1, t) : NULL;
    mxi_tensor_release(q);
    mxi_tensor_release(f);
    mxi_tensor_release(t);
    return set1(g, r);
}
/* x^s: og*s*x^(s-1) */
static int power_scalar_grad(mx_grad_ctx *g) {
    double s = sattr(g);
    mx_tensor_s *p = scal_call("_power_scalar", g->in[0], s - 1);
    mx_tensor_s *t = p ? scal_call("_mul_scalar", p, s) : NULL;
    mx_tensor_s *r = t ? mxi_call1("elemwise_mul", NULL, 2, g->ograd[0], t) : NULL;
    mxi_tensor_release(p);
    mxi_tensor_release(t);
    return set1(g, r);
}
/* s^x: og*out*log(s) */
static int rpower_scalar_grad(mx_grad_ctx *g) {
    mx_tensor_s *t = mxi_call1("elemwise_mul", NULL, 2, g->ograd[0], g->out[0]);
    mx_tensor_s *r = t ? scal_call("_mul_scalar", t, log(sattr(g))) : NULL;
    mxi_tensor_release(t);
    return set1(g, r);
}
static int mask_scalar_grad(mx_grad_ctx *g, const char *mop) {
    mx_tensor_s *k = scal_call(mop, g->in[0], sattr(g));
    mx_tensor_s *r = k ? mxi_call1("elemwise_mul", NULL, 2, g->ograd[0], k) : NULL;
    mxi_tensor_release(k);
    return set1(g, r);
}
static int maximum_scalar_grad(mx_grad_ctx *g) { return mask_scalar_grad(g, "_greater_equal_scalar"); }
static int minimum_scalar_grad(mx_grad_ctx *g) { return mask_scalar_grad(g, "_lesser_equal_scalar"); }
/* hypot(x, s): og*x/out */
static int hypot_scalar_grad(mx_grad_ctx *g) {
    mx_tensor_s *r = mxi_call1("elemwise_div", NULL, 2, g->ograd[0], g->out[0]);
    mx_tensor_s *t = r ? mxi_call1("elemwise_mul", NULL, 2, r, g->in[0]) : NULL;
    mxi_tensor_release(r);
    return set1(g, t);
}

static const mx_attr_spec scalar_attrs[] = {
    {.name = "scalar", .type = MX_ATTR_FLOAT, .def = "1", .doc = "The scalar operand."},
};
static const mx_attr_spec add_n_attrs[] = {
    {.name = "num_args", .type = MX_ATTR_INT, .def = NULL, .doc = "Number of inputs to be summed.", .bounded = 1,
     .lo = 1, .hi = MX_MAX_INPUTS},
};

#define EW_FLAGS (MX_OPF_WRITES_ALL | MX_OPF_INPLACE_OK)
#define CMP_FLAGS (MX_OPF_WRITES_ALL | MX_OPF_INPLACE_OK | MX_OPF_NO_GRAD)
#define DEF_EW(NAME, ALIASES, DOC, CPU, GRAD, FLAGS)                                                           \
    {.name = NAME, .aliases = ALIASES, .doc = DOC, .inputs = "lhs,rhs", .num_outputs = 1, .infer = infer_same_shape, \
     .cpu = CPU, .grad = GRAD, .dtypes = BIN_DTYPES, .flags = FLAGS}
#define DEF_BC(NAME, ALIASES, DOC, CPU, GRAD, FLAGS)                                                          \
    {.name = NAME, .aliases = ALIASES, .doc = DOC, .inputs = "lhs,rhs", .num_outputs = 1, .infer = infer_broadcast, \
     .cpu = CPU, .grad = GRAD, .dtypes = BIN_DTYPES, .flags = FLAGS}
#define DEF_SC(NAME, ALIASES, DOC, CPU, GRAD, FLAGS)                                                          \
    {.name = NAME, .aliases = ALIASES, .doc = DOC, .inputs = "data", .num_outputs = 1, .attrs = scalar_attrs,    \
     .n_attrs = 1, .infer = infer_unary, .cpu = CPU, .grad = GRAD, .dtypes = BIN_DTYPES, .flags = FLAGS}

static const mx_op_def ops[] = {
    /* same shape */
    DEF_EW("elemwise_add", "_add,_plus,_Plus,_grad_add", "Adds two arrays of the same shape element-wise.", add_cpu, add_grad, EW_FLAGS),
    DEF_EW("elemwise_sub", "_sub,_minus,_Minus", "Subtracts two arrays of the same shape element-wise.", sub_cpu, sub_grad, EW_FLAGS),
    DEF_EW("elemwise_mul", "_mul,_Mul", "Multiplies two arrays of the same shape element-wise.", mul_cpu, mul_grad, EW_FLAGS),
    DEF_EW("elemwise_div", "_div,_Div", "Divides two arrays of the same shape element-wise (integer division by zero gives 0).",
           div_cpu, div_grad, EW_FLAGS),
    DEF_EW("_mod", "_Mod", "Element-wise modulo of two same-shape arrays; the result takes the divisor's sign (0 for a zero divisor).",
           mod_cpu, mod_grad, EW_FLAGS),
    DEF_EW("_power", "_Power", "Element-wise power lhs ** rhs of two same-shape arrays.", power_cpu, power_grad, EW_FLAGS),
    DEF_EW("_maximum", "_Maximum", "Element-wise maximum of two same-shape arrays.", maximum_cpu, maximum_grad, EW_FLAGS),
    DEF_EW("_minimum", "_Minimum", "Element-wise minimum of two same-shape arrays.", minimum_cpu, minimum_grad, EW_FLAGS),
    DEF_EW("_hypot", "_Hypot", "Element-wise sqrt(lhs**2 + rhs**2) of two same-shape arrays.", hypot_cpu, hypot_grad, EW_FLAGS),
    DEF_EW("_equal", "_Equal", "1 where lhs == rhs else 0 (same shape; input dtype).", equal_cpu, NULL, CMP_FLAGS),
    DEF_EW("_not_equal", "_Not_Equal", "1 where lhs != rhs else 0 (same shape; input dtype).", not_equal_cpu, NULL, CMP_FLAGS),
    DEF_EW("_greater", "_Greater", "1 where lhs > rhs else 0 (same shape; input dtype).", greater_cpu, NULL, CMP_FLAGS),
    DEF_EW("_greater_equal", "_Greater_Equal", "1 where lhs >= rhs else 0 (same shape; input dtype).", greater_equal_cpu, NULL, CMP_FLAGS),
    DEF_EW("_lesser", "_Lesser", "1 where lhs < rhs else 0 (same shape; input dtype).", lesser_cpu, NULL, CMP_FLAGS),
    DEF_EW("_lesser_equal", "_Lesser_Equal", "1 where lhs <= rhs else 0 (same shape; input dtype).", lesser_equal_cpu, NULL, CMP_FLAGS),
    DEF_EW("_logical_and", "_Logical_And", "Element-wise logical AND (1/0 in the input dtype) of same-shape arrays.", logical_and_cpu, NULL,
           CMP_FLAGS),
    DEF_EW("_logical_or", "_Logical_Or", "Element-wise logical OR (1/0 in the input dtype) of same-shape arrays.", logical_or_cpu, NULL,
           CMP_FLAGS),
    DEF_EW("_logical_xor", "_Logical_Xor", "Element-wise logical XOR (1/0 in the input dtype) of same-shape arrays.", logical_xor_cpu, NULL,
           CMP_FLAGS),
    /* broadcasting */
    DEF_BC("broadcast_add", "broadcast_plus", "Adds two arrays with numpy-style broadcasting.", add_cpu, add_grad, EW_FLAGS),
    DEF_BC("broadcast_sub", "broadcast_minus", "Subtracts two arrays with numpy-style broadcasting.", sub_cpu, sub_grad, EW_FLAGS),
    DEF_BC("broadcast_mul", NULL, "Multiplies two arrays with numpy-style broadcasting.", mul_cpu, mul_grad, EW_FLAGS),
    DEF_BC("broadcast_div", NULL, "Divides two arrays with numpy-style broadcasting.", div_cpu, div_grad, EW_FLAGS),
    DEF_BC("broadcast_mod", NULL, "Modulo with numpy-style broadcasting; the result takes the divisor's sign.", mod_cpu, mod_grad,
           EW_FLAGS),
    DEF_BC("broadcast_power", NULL, "lhs ** rhs with numpy-style broadcasting.", power_cpu, power_grad, EW_FLAGS),
    DEF_BC("broadcast_maximum", NULL, "Element-wise maximum with numpy-style broadcasting.", maximum_cpu, maximum_grad, EW_FLAGS),
    DEF_BC("broadcast_minimum", NULL, "Element-wise minimum with numpy-style broadcasting.", minimum_cpu, minimum_grad, EW_FLAGS),
    DEF_BC("broadcast_hypot", NULL, "sqrt(lhs**2 + rhs**2) with numpy-style broadcasting.", hypot_cpu, hypot_grad, EW_FLAGS),
    DEF_BC("broadcast_equal", NULL, "1 where lhs == rhs else 0, with broadcasting.", equal_cpu, NULL, CMP_FLAGS),
    DEF_BC("broadcast_not_equal", NULL, "1 where lhs != rhs else 0, with broadcasting.", not_equal_cpu, NULL, CMP_FLAGS),
    DEF_BC("broadcast_greater", NULL, "1 where lhs > rhs else 0, with broadcasting.", greater_cpu, NULL, CMP_FLAGS),
    DEF_BC("broadcast_greater_equal", NULL, "1 where lhs >= rhs else 0, with broadcasting.", greater_equal_cpu, NULL, CMP_FLAGS),
    DEF_BC("broadcast_lesser", NULL, "1 where lhs < rhs else 0, with broadcasting.", lesser_cpu, NULL, CMP_FLAGS),
    DEF_BC("broadcast_lesser_equal", NULL, "1 where lhs <= rhs else 0, with broadcasting.", lesser_equal_cpu, NULL, CMP_FLAGS),
    DEF_BC("broadcast_logical_and", NULL, "Element-wise logical AND with broadcasting (1/0 in the input dtype).", logical_and_cpu,
           NULL, CMP_FLAGS),
    DEF_BC("broadcast_logical_or", NULL, "Element-wise logical OR with broadcasting (1/0 in the input dtype).", logical_or_cpu, NULL,
           CMP_FLAGS),
    DEF_BC("broadcast_logical_xor", NULL, "Element-wise logical XOR with broadcasting (1/0 in the input dtype).", logical_xor_cpu,
           NULL, CMP_FLAGS),
    /* scalar */
    DEF_SC("_plus_scalar", "_PlusScalar", "Adds a scalar to every element.", add_scalar_cpu, id_grad, EW_FLAGS),
    DEF_SC("_minus_scalar", "_MinusScalar", "Subtracts a scalar from every element.", sub_scalar_cpu, id_grad, EW_FLAGS),
    DEF_SC("_rminus_scalar", "_RMinusScalar", "Computes scalar - x element-wise.", sub_rscalar_cpu, neg_grad, EW_FLAGS),
    DEF_SC("_mul_scalar", "_MulScalar", "Multiplies every element by a scalar.", mul_scalar_cpu, mul_scalar_grad, EW_FLAGS),
    DEF_SC("_div_scalar", "_DivScalar", "Divides every element by a scalar.", div_scalar_cpu, div_scalar_grad, EW_FLAGS),
    DEF_SC("_rdiv_scalar", "_RDivScalar", "Computes scalar / x element-wise.", div_rscalar_cpu, rdiv_scalar_grad, EW_FLAGS),
    DEF_SC("_mod_scalar", "_ModScalar", "Computes x mod scalar (result takes the divisor's sign).", mod_scalar_cpu, id_grad,
           EW_FLAGS),
    DEF_SC("_rmod_scalar", "_RModScalar", "Computes scalar mod x (result takes the divisor's sign).", mod_rscalar_cpu,
           rmod_scalar_grad, EW_FLAGS),
    DEF_SC("_power_scalar", "_PowerScalar", "Computes x ** scalar element-wise.", power_scalar_special_cpu,
           power_scalar_grad, EW_FLAGS),
    DEF_SC("_rpower_scalar", "_RPowerScalar", "Computes scalar ** x element-wise.", power_rscalar_cpu, rpower_scalar_grad,
           EW_FLAGS),
    DEF_SC("_maximum_scalar", "_MaximumScalar", "Element-wise maximum of x and a scalar.", maximum_scalar_cpu, maximum_scalar_grad,
           EW_FLAGS),
    DEF_SC("_minimum_scalar", "_MinimumScalar", "Element-wise minimum of x and a scalar.", minimum_scalar_cpu, minimum_scalar_grad,
           EW_FLAGS),
    DEF_SC("_hypot_scalar", "_HypotScalar", "Element-wise sqrt(x**2 + scalar**2).", hypot_scalar_cpu, hypot_scalar_grad, EW_FLAGS),
    DEF_SC("_equal_scalar", "_EqualScalar", "1 where x == scalar else 0 (input dtype).", equal_scalar_cpu, NULL, CMP_FLAGS),
    DEF_SC("_not_equal_scalar", "_NotEqualScalar", "1 where x != scalar else 0 (input dtype).", not_equal_scalar_cpu, NULL,
           CMP_FLAGS),
    DEF_SC("_greater_scalar", "_GreaterScalar", "1 where x > scalar else 0 (input dtype).", greater_scalar_cpu, NULL, CMP_FLAGS),
    DEF_SC("_greater_equal_scalar", "_GreaterEqualScalar", "1 where x >= scalar else 0 (input dtype).", greater_equal_scalar_cpu,
           NULL, CMP_FLAGS),
    DEF_SC("_lesser_scalar", "_LesserScalar", "1 where x < scalar else 0 (input dtype).", lesser_scalar_cpu, NULL, CMP_FLAGS),
    DEF_SC("_lesser_equal_scalar", "_LesserEqualScalar", "1 where x <= scalar else 0 (input dtype).", lesser_equal_scalar_cpu, NULL,
           CMP_FLAGS),
    DEF_SC("_logical_and_scalar", "_LogicalAndScalar", "Logical AND of x and a scalar (1/0 in the input dtype).", logical_and_scalar_cpu, NULL,
           CMP_FLAGS),
    DEF_SC("_logical_or_scalar", "_LogicalOrScalar", "Logical OR of x and a scalar (1/0 in the input dtype).", logical_or_scalar_cpu, NULL,
           CMP_FLAGS),
    DEF_SC("_logical_xor_scalar", "_LogicalXorScalar", "Logical XOR of x and a scalar (1/0 in the input dtype).", logical_xor_scalar_cpu, NULL,
           CMP_FLAGS),
    /* variadic sum */
    {.name = "add_n", .aliases = "ElementWiseSum", .doc = "Adds all input arguments element-wise (same shapes).",
     .inputs = "*args", .num_outputs = 1, .attrs = add_n_attrs, .n_attrs = 1, .infer = infer_add_n, .cpu = add_n_cpu,
     .grad = add_n_grad, .dtypes = BIN_DTYPES, .flags = MX_OPF_WRITES_ALL | MX_OPF_INPLACE_OK},
};

void mxi_register_elemwise_binary(void) { mxi_register_ops(ops, (int)(sizeof ops / sizeof ops[0])); }
