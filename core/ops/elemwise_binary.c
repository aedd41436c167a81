/* elemwise_binary.c — binary arithmetic with numpy broadcasting: elemwise_*
 * (same shape), broadcast_* (numpy rules) and their MXNet aliases.
 *
 * One kernel template per (op, dtype): a contiguous fast path for same-shape
 * inputs that the compiler vectorizes, and a strided broadcast walk otherwise.
 * Gradients reduce the output gradient back to each input's shape with
 * `_reduce_to_shape` style ops (sum over broadcast axes). */
#include <math.h>
#include <string.h>

#include "../../backends/cpu/cpu.h"
#include "../op.h"

/* ---- shape inference ---- */
static int infer_same_shape(mx_call *c) {
    MXI_TRY(mxi_require_same_dtype(c));
    const mx_tensor_s *a = c->in[0], *b = c->in[1];
    if (a->ndim != b->ndim || memcmp(a->shape, b->shape, sizeof(int64_t) * (size_t)a->ndim)) {
        char sa[128], sb[128];
        return mxi_op_error(c, MX_ERR_INVALID, "inputs must have the same shape, got %s and %s (use broadcast_%s for broadcasting)",
                            mxi_shape_str(a->shape, a->ndim, sa, sizeof sa), mxi_shape_str(b->shape, b->ndim, sb, sizeof sb),
                            c->op->name + 9);
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

/* ---- kernels ---- */
typedef struct {
    const void *a, *b;
    void *o;
} bin_args;

/* Broadcast index helper: strides of `t` aligned to the output rank, 0 on
 * broadcast dims. */
static void aligned_strides(const mx_tensor_s *t, const mx_tensor_s *out, int64_t *st) {
    int off = out->ndim - t->ndim;
    for (int i = 0; i < out->ndim; i++) {
        int j = i - off;
        st[i] = (j >= 0 && t->shape[j] != 1) ? t->strides[j] : 0;
    }
}

#define BIN_KERNEL(NAME, T, EXPR)                                                                   \
    static void NAME##_range(void *ctx, int64_t b0, int64_t e0) {                                   \
        bin_args *p = ctx;                                                                          \
        const T *A = p->a, *B = p->b;                                                               \
        T *O = p->o;                                                                                \
        for (int64_t i = b0; i < e0; i++) {                                                         \
            T x = A[i], y = B[i];                                                                   \
            O[i] = (T)(EXPR);                                                                       \
        }                                                                                           \
    }                                                                                               \
    static void NAME(mx_call *c) {                                                                  \
        mx_tensor_s *a = c->in[0], *b = c->in[1], *o = c->out[0];                                   \
        if (a->size == o->size && b->size == o->size) {                                             \
            bin_args p = {mxi_data(a), mxi_data(b), mxi_data(o)};                                   \
            mxi_parallel_for(o->size, 32768, NAME##_range, &p);                                     \
            return;                                                                                 \
        }                                                                                           \
        int64_t sa[MX_MAX_NDIM], sb[MX_MAX_NDIM], idx[MX_MAX_NDIM] = {0};                           \
        aligned_strides(a, o, sa);                                                                  \
        aligned_strides(b, o, sb);                                                                  \
        const T *A = mxi_data(a), *B = mxi_data(b);                                                 \
        T *O = mxi_data(o);                                                                         \
        int nd = o->ndim;                                                                           \
        int64_t inner = o->shape[nd - 1], ia = sa[nd - 1], ib = sb[nd - 1];                         \
        int64_t rows = inner ? o->size / inner : 0;                                                 \
        for (int64_t r = 0; r < rows; r++) {                                                        \
            int64_t oa = 0, ob = 0;                                                                 \
            for (int d = 0; d < nd - 1; d++) { oa += idx[d] * sa[d]; ob += idx[d] * sb[d]; }        \
            T *orow = O + r * inner;                                                                \
            for (int64_t j = 0; j < inner; j++) {                                                   \
                T x = A[oa + j * ia], y = B[ob + j * ib];                                           \
                orow[j] = (T)(EXPR);                                                                \
            }                                                                                       \
            for (int d = nd - 2; d >= 0; d--) {                                                     \
                if (++idx[d] < o->shape[d]) break;                                                  \
                idx[d] = 0;                                                                         \
            }                                                                                       \
        }                                                                                           \
    }

/* Instantiate one op for the dtypes the family supports natively. */
#define BIN_OP(OP, EXPR)                       \
    BIN_KERNEL(OP##_f32, float, EXPR)          \
    BIN_KERNEL(OP##_f64, double, EXPR)         \
    BIN_KERNEL(OP##_i32, int32_t, EXPR)        \
    BIN_KERNEL(OP##_i64, int64_t, EXPR)        \
    static int OP##_cpu(mx_call *c) {          \
        switch (c->in[0]->dtype) {             \
        case MX_FLOAT32: OP##_f32(c); break;   \
        case MX_FLOAT64: OP##_f64(c); break;   \
        case MX_INT32: OP##_i32(c); break;     \
        case MX_INT64: OP##_i64(c); break;     \
        default: return mxi_op_error(c, MX_ERR_DTYPE, "unsupported dtype"); \
        }                                      \
        return MX_OK;                          \
    }

BIN_OP(add, x + y)
BIN_OP(sub, x - y)
BIN_OP(mul, x * y)

#define BIN_DTYPES (MX_DT_FLOAT | MX_DT(MX_INT32) | MX_DT(MX_INT64))

/* ---- gradients ---- */
/* Sum `g` down to the shape of `like` (undo broadcasting); new reference. */
static mx_tensor_s *unbroadcast(mx_tensor_s *g, mx_tensor_s *like) {
    if (g->ndim == like->ndim && !memcmp(g->shape, like->shape, sizeof(int64_t) * (size_t)g->ndim)) {
        mxi_tensor_retain(g);
        return g;
    }
    return mxi_call1("_reduce_to_shape_like", NULL, 2, g, like);
}

static int add_grad(mx_grad_ctx *g) {
    g->igrad[0] = unbroadcast(g->ograd[0], g->in[0]);
    g->igrad[1] = unbroadcast(g->ograd[0], g->in[1]);
    return g->igrad[0] && g->igrad[1] ? MX_OK : mx_last_error_code();
}

static int sub_grad(mx_grad_ctx *g) {
    mx_tensor_s *neg = mxi_call1("negative", NULL, 1, g->ograd[0]);
    if (!neg) return mx_last_error_code();
    g->igrad[0] = unbroadcast(g->ograd[0], g->in[0]);
    g->igrad[1] = unbroadcast(neg, g->in[1]);
    mxi_tensor_release(neg);
    return g->igrad[0] && g->igrad[1] ? MX_OK : mx_last_error_code();
}

static int mul_grad(mx_grad_ctx *g) {
    mx_tensor_s *ga = mxi_call1("broadcast_mul", NULL, 2, g->ograd[0], g->in[1]);
    mx_tensor_s *gb = mxi_call1("broadcast_mul", NULL, 2, g->ograd[0], g->in[0]);
    if (ga) g->igrad[0] = unbroadcast(ga, g->in[0]);
    if (gb) g->igrad[1] = unbroadcast(gb, g->in[1]);
    mxi_tensor_release(ga);
    mxi_tensor_release(gb);
    return g->igrad[0] && g->igrad[1] ? MX_OK : mx_last_error_code();
}

static const mx_op_def ops[] = {
    {.name = "elemwise_add", .aliases = "_add,_plus,_Plus", .doc = "Adds two arrays of the same shape element-wise.",
     .inputs = "lhs,rhs", .num_outputs = 1, .infer = infer_same_shape, .cpu = add_cpu, .grad = add_grad,
     .dtypes = BIN_DTYPES, .flags = MX_OPF_WRITES_ALL | MX_OPF_INPLACE_OK},
    {.name = "elemwise_sub", .aliases = "_sub,_minus,_Minus", .doc = "Subtracts two arrays of the same shape element-wise.",
     .inputs = "lhs,rhs", .num_outputs = 1, .infer = infer_same_shape, .cpu = sub_cpu, .grad = sub_grad,
     .dtypes = BIN_DTYPES, .flags = MX_OPF_WRITES_ALL | MX_OPF_INPLACE_OK},
    {.name = "elemwise_mul", .aliases = "_mul,_Mul", .doc = "Multiplies two arrays of the same shape element-wise.",
     .inputs = "lhs,rhs", .num_outputs = 1, .infer = infer_same_shape, .cpu = mul_cpu, .grad = mul_grad,
     .dtypes = BIN_DTYPES, .flags = MX_OPF_WRITES_ALL | MX_OPF_INPLACE_OK},
    {.name = "broadcast_add", .aliases = "broadcast_plus", .doc = "Adds two arrays with numpy-style broadcasting.",
     .inputs = "lhs,rhs", .num_outputs = 1, .infer = infer_broadcast, .cpu = add_cpu, .grad = add_grad,
     .dtypes = BIN_DTYPES, .flags = MX_OPF_WRITES_ALL | MX_OPF_INPLACE_OK},
    {.name = "broadcast_sub", .aliases = "broadcast_minus", .doc = "Subtracts two arrays with numpy-style broadcasting.",
     .inputs = "lhs,rhs", .num_outputs = 1, .infer = infer_broadcast, .cpu = sub_cpu, .grad = sub_grad,
     .dtypes = BIN_DTYPES, .flags = MX_OPF_WRITES_ALL | MX_OPF_INPLACE_OK},
    {.name = "broadcast_mul", .doc = "Multiplies two arrays with numpy-style broadcasting.",
     .inputs = "lhs,rhs", .num_outputs = 1, .infer = infer_broadcast, .cpu = mul_cpu, .grad = mul_grad,
     .dtypes = BIN_DTYPES, .flags = MX_OPF_WRITES_ALL | MX_OPF_INPLACE_OK},
};

void mxi_register_elemwise_binary(void) { mxi_register_ops(ops, (int)(sizeof ops / sizeof ops[0])); }
