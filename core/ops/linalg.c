/* linalg.c — matrix products: dot (MXNet's N-d semantics), batch_dot,
 * linalg_gemm2, linalg_gemm and khatri_rao.
 *
 * Every product goes straight to mxi_sgemm/mxi_dgemm on the (contiguous)
 * input buffers: transposes are passed as BLAS flags, never materialised, so
 * the hot path does no copies. Gradients are written with the same ops
 * (dot/batch_dot/linalg_gemm2 with swapped transpose flags), so they can be
 * recorded for higher-order gradients. */
#include <stdio.h>
#include <string.h>

#include "../../backends/cpu/cpu.h"
#include "../op.h"

#define LA_DTYPES MX_DT_FLOAT
#define ATTR(N, T, D, DOC) {.name = N, .type = T, .def = D, .doc = DOC}
#define ATTR_ENUM(N, D, DOC, CH) {.name = N, .type = MX_ATTR_ENUM, .def = D, .doc = DOC, .choices = CH}

/* C[M,N] = alpha * op(A) op(B) + beta * C for the call's dtype. */
static void gemm_any(int dtype, int ta, int tb, int64_t M, int64_t N, int64_t K, double alpha, const void *A,
                     int64_t lda, const void *B, int64_t ldb, double beta, void *C, int64_t ldc) {
    if (dtype == MX_FLOAT64)
        mxi_dgemm(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
    else
        mxi_sgemm(ta, tb, M, N, K, (float)alpha, A, lda, B, ldb, (float)beta, C, ldc);
}

static int64_t prod(const int64_t *s, int lo, int hi) {
    int64_t p = 1;
    for (int i = lo; i < hi; i++) p *= s[i];
    return p;
}

static int shape_err(const mx_call *c, const char *what) {
    char a[128], b[128];
    const mx_tensor_s *l = c->in[0], *r = c->in[1];
    return mxi_op_error(c, MX_ERR_INVALID, "%s: %s X %s", what, mxi_shape_str(l->shape, l->ndim, a, sizeof a),
                        mxi_shape_str(r->shape, r->ndim, b, sizeof b));
}

/* ---------------------------------------------------------------- dot ---- */
enum { DOT_TA, DOT_TB, DOT_STYPE };
static const mx_attr_spec dot_attrs[] = {
    ATTR("transpose_a", MX_ATTR_BOOL, "False", "If true then transpose the first input before dot."),
    ATTR("transpose_b", MX_ATTR_BOOL, "False", "If true then transpose the second input before dot."),
    ATTR_ENUM("forward_stype", "None", "Desired storage type of the output (accepted and ignored: dense only).", "None,csr,default,row_sparse"),
};

/* MXNet's dot: lhs viewed as a matrix (M,K) — (prod(shape[:-1]), shape[-1]),
 * or with transpose_a (shape[0], prod(shape[1:])) transposed — and rhs as
 * (K,N) — (shape[0], prod(shape[1:])), or with transpose_b
 * (prod(shape[:-1]), shape[-1]) transposed. */
typedef struct {
    int64_t M, N, K;
} dot_dims;

static int dot_geometry(const mx_call *c, dot_dims *d, int64_t *oshape, int *ond) {
    const mx_tensor_s *l = c->in[0], *r = c->in[1];
    int ta = (int)c->attrs[DOT_TA].i, tb = (int)c->attrs[DOT_TB].i;
    if (l->ndim == 0 || r->ndim == 0) return shape_err(c, "dot does not accept 0-d inputs");
    int n = 0;
    if (l->ndim == 1 && r->ndim == 1) {
        if (ta || tb) return shape_err(c, "dot of two vectors does not support transpose_a/transpose_b");
        if (l->shape[0] != r->shape[0]) return shape_err(c, "dot shape error (vector lengths differ)");
        d->M = 1, d->N = 1, d->K = l->shape[0];
        oshape[0] = 1;
        *ond = 1;
        return MX_OK;
    }
    int64_t lk, rk;
    if (ta) {
        d->M = l->ndim > 1 ? prod(l->shape, 1, l->ndim) : 1;
        lk = l->shape[0];
        if (l->ndim > 1)
            for (int i = 1; i < l->ndim; i++) oshape[n++] = l->shape[i];
    } else {
        d->M = l->ndim > 1 ? prod(l->shape, 0, l->ndim - 1) : 1;
        lk = l->shape[l->ndim - 1];
        if (l->ndim > 1)
            for (int i = 0; i < l->ndim - 1; i++) oshape[n++] = l->shape[i];
    }
    if (tb) {
        d->N = r->ndim > 1 ? prod(r->shape, 0, r->ndim - 1) : 1;
        rk = r->shape[r->ndim - 1];
        if (r->ndim > 1)
            for (int i = 0; i < r->ndim - 1; i++) oshape[n++] = r->shape[i];
    } else {
        d->N = r->ndim > 1 ? prod(r->shape, 1, r->ndim) : 1;
        rk = r->shape[0];
        if (r->ndim > 1)
            for (int i = 1; i < r->ndim; i++) oshape[n++] = r->shape[i];
    }
    if (lk != rk) return shape_err(c, "dot shape error (contracted dimensions differ)");
    if (n > MX_MAX_NDIM) return shape_err(c, "dot output has too many dimensions");
    d->K = lk;
    *ond = n;
    return MX_OK;
}

static int dot_infer(mx_call *c) {
    MXI_TRY(mxi_require_same_dtype(c));
    dot_dims d;
    int64_t shape[2 * MX_MAX_NDIM];
    int nd;
    MXI_TRY(dot_geometry(c, &d, shape, &nd));
    mxi_set_out(c, 0, shape, nd, c->in[0]->dtype);
    return MX_OK;
}

static int dot_cpu(mx_call *c) {
    dot_dims d;
    int64_t shape[2 * MX_MAX_NDIM];
    int nd;
    MXI_TRY(dot_geometry(c, &d, shape, &nd));
    int ta = (int)c->attrs[DOT_TA].i, tb = (int)c->attrs[DOT_TB].i;
    /* stored layouts: A is (M,K) or (K,M) if ta; B is (K,N) or (N,K) if tb */
    gemm_any(c->out[0]->dtype, ta, tb, d.M, d.N, d.K, 1.0, mxi_data(c->in[0]), ta ? d.M : d.K, mxi_data(c->in[1]),
             tb ? d.K : d.N, 0.0, mxi_data(c->out[0]), d.N);
    return MX_OK;
}

/* reshape helper for gradients: returns a new reference (retained input when
 * the shape already matches). */
static mx_tensor_s *reshape_to(mx_tensor_s *t, const int64_t *shape, int nd) {
    if (t->ndim == nd && !memcmp(t->shape, shape, sizeof(int64_t) * (size_t)nd)) {
        mxi_tensor_retain(t);
        return t;
    }
    char buf[512];
    int m = snprintf(buf, sizeof buf, "shape=(");
    for (int i = 0; i < nd; i++) m += snprintf(buf + m, sizeof buf - (size_t)m, "%lld,", (long long)shape[i]);
    snprintf(buf + m, sizeof buf - (size_t)m, ")");
    return mxi_call1("reshape", buf, 1, t);
}

/* Matrix-product gradient shared by dot / batch_dot / linalg_gemm2:
 * out = alpha * op(A) op(B) in terms of `prod_op` (an op with transpose_a,
 * transpose_b attributes and optional alpha). A, B, G are the (matrix-shaped)
 * lhs, rhs and output gradient. */
static int matmul_grads(const char *prod_op, const char *extra, int ta, int tb, mx_tensor_s *A, mx_tensor_s *B,
                        mx_tensor_s *G, mx_tensor_s **gA, mx_tensor_s **gB) {
    char at[160];
    extra = extra ? extra : "";
    if (!ta) {
        snprintf(at, sizeof at, "transpose_a=False;transpose_b=%s%s", tb ? "False" : "True", extra);
        *gA = mxi_call1(prod_op, at, 2, G, B); /* G op(B)^T */
    } else {
        snprintf(at, sizeof at, "transpose_a=%s;transpose_b=True%s", tb ? "True" : "False", extra);
        *gA = mxi_call1(prod_op, at, 2, B, G); /* op(B) G^T */
    }
    if (!tb) {
        snprintf(at, sizeof at, "transpose_a=%s;transpose_b=False%s", ta ? "False" : "True", extra);
        *gB = mxi_call1(prod_op, at, 2, A, G); /* op(A)^T G */
    } else {
        snprintf(at, sizeof at, "transpose_a=True;transpose_b=%s%s", ta ? "True" : "False", extra);
        *gB = mxi_call1(prod_op, at, 2, G, A); /* G^T op(A) */
    }
    return *gA && *gB ? MX_OK : mx_last_error_code();
}

static int dot_grad(mx_grad_ctx *g) {
    const mx_call *c = g->call;
    mx_tensor_s *l = g->in[0], *r = g->in[1], *G = g->ograd[0];
    int ta = (int)c->attrs[DOT_TA].i, tb = (int)c->attrs[DOT_TB].i;
    /* view everything as matrices (2-D operands need no reshape) */
    dot_dims d;
    int64_t shape[2 * MX_MAX_NDIM];
    int nd;
    MXI_TRY(dot_geometry(c, &d, shape, &nd));
    int64_t ls[2] = {ta ? d.K : d.M, ta ? d.M : d.K};
    int64_t rs[2] = {tb ? d.N : d.K, tb ? d.K : d.N};
    int64_t gs[2] = {d.M, d.N};
    mx_tensor_s *A = reshape_to(l, ls, 2), *B = reshape_to(r, rs, 2), *Gm = reshape_to(G, gs, 2);
    mx_tensor_s *gA = NULL, *gB = NULL;
    int rc = (A && B && Gm) ? matmul_grads("dot", NULL, ta, tb, A, B, Gm, &gA, &gB) : mx_last_error_code();
    if (rc == MX_OK) {
        g->igrad[0] = reshape_to(gA, l->shape, l->ndim);
        g->igrad[1] = reshape_to(gB, r->shape, r->ndim);
        if (!g->igrad[0] || !g->igrad[1]) rc = mx_last_error_code();
    }
    mxi_tensor_release(A);
    mxi_tensor_release(B);
    mxi_tensor_release(Gm);
    mxi_tensor_release(gA);
    mxi_tensor_release(gB);
    return rc;
}

/* ---------------------------------------------------------- batch_dot ---- */
typedef struct {
    int64_t batch, M, N, K;
} bdot_dims;

/* lhs (..., M, K) or (..., K, M); rhs (..., K, N) or (..., N, K); batch dims equal. */
static int bmm_geometry(const mx_call *c, int ta, int tb, bdot_dims *d, const char *opname) {
    const mx_tensor_s *l = c->in[0], *r = c->in[1];
    (void)opname;
    if (l->ndim < 3 || r->ndim != l->ndim)
        return shape_err(c, "batch_dot expects inputs of the same rank >= 3 (batch, rows, cols)");
    int n = l->ndim;
    for (int i = 0; i < n - 2; i++)
        if (l->shape[i] != r->shape[i]) return shape_err(c, "batch sizes differ");
    int64_t lm = ta ? l->shape[n - 1] : l->shape[n - 2], lk = ta ? l->shape[n - 2] : l->shape[n - 1];
    int64_t rk = tb ? r->shape[n - 1] : r->shape[n - 2], rn = tb ? r->shape[n - 2] : r->shape[n - 1];
    if (lk != rk) return shape_err(c, "contracted dimensions differ");
    d->batch = prod(l->shape, 0, n - 2);
    d->M = lm, d->N = rn, d->K = lk;
    return MX_OK;
}

typedef struct {
    const mx_call *c;
    int ta, tb, dtype;
    bdot_dims d;
    double alpha, beta;
    const char *A, *B;
    char *C;
    size_t es;
} bmm_args;

static void bmm_range(void *ctx, int64_t b0, int64_t b1) {
    bmm_args *p = ctx;
    const bdot_dims *d = &p->d;
    for (int64_t b = b0; b < b1; b++)
        gemm_any(p->dtype, p->ta, p->tb, d->M, d->N, d->K, p->alpha, p->A + (size_t)(b * d->M * d->K) * p->es,
                 p->ta ? d->M : d->K, p->B + (size_t)(b * d->K * d->N) * p->es, p->tb ? d->K : d->N, p->beta,
                 p->C + (size_t)(b * d->M * d->N) * p->es, d->N);
}

static void bmm_run(mx_call *c, int ta, int tb, const bdot_dims *d, double alpha, double beta) {
    bmm_args p = {c, ta, tb, c->out[0]->dtype, *d, alpha, beta, mxi_data(c->in[0]), mxi_data(c->in[1]),
                  mxi_data(c->out[0]), mxi_dtype_size(c->out[0]->dtype)};
    int64_t work = d->M * d->N * d->K;
    /* big matrices: let BLAS thread each product; small ones: spread batches */
    if (work >= 128 * 128 * 128)
        bmm_range(&p, 0, d->batch);
    else
        mxi_parallel_for(d->batch, work ? (32768 / work) + 1 : d->batch + 1, bmm_range, &p);
}

enum { BD_TA, BD_TB, BD_STYPE };
static const mx_attr_spec batch_dot_attrs[] = {
    ATTR("transpose_a", MX_ATTR_BOOL, "False", "If true then transpose the first input's matrices before dot."),
    ATTR("transpose_b", MX_ATTR_BOOL, "False", "If true then transpose the second input's matrices before dot."),
    ATTR_ENUM("forward_stype", "None", "Desired storage type of the output (accepted and ignored: dense only).", "None,csr,default,row_sparse"),
};

/* Output of a batched product: lhs's batch dims, then (M, N). */
static int set_batched_out(mx_call *c, const bdot_dims *d) {
    int64_t shape[MX_MAX_NDIM];
    int n = c->in[0]->ndim;
    memcpy(shape, c->in[0]->shape, sizeof(int64_t) * (size_t)(n - 2));
    shape[n - 2] = d->M, shape[n - 1] = d->N;
    mxi_set_out(c, 0, shape, n, c->in[0]->dtype);
    return MX_OK;
}

static int batch_dot_infer(mx_call *c) {
    MXI_TRY(mxi_require_same_dtype(c));
    bdot_dims d = {0};
    MXI_TRY(bmm_geometry(c, (int)c->attrs[BD_TA].i, (int)c->attrs[BD_TB].i, &d, "batch_dot"));
    return set_batched_out(c, &d);
}

static int batch_dot_cpu(mx_call *c) {
    int ta = (int)c->attrs[BD_TA].i, tb = (int)c->attrs[BD_TB].i;
    bdot_dims d = {0};
    MXI_TRY(bmm_geometry(c, ta, tb, &d, "batch_dot"));
    bmm_run(c, ta, tb, &d, 1.0, 0.0);
    return MX_OK;
}

static int batch_dot_grad(mx_grad_ctx *g) {
    const mx_call *c = g->call;
    return matmul_grads("batch_dot", NULL, (int)c->attrs[BD_TA].i, (int)c->attrs[BD_TB].i, g->in[0], g->in[1],
                        g->ograd[0], &g->igrad[0], &g->igrad[1]);
}

/* ------------------------------------------------- linalg_gemm/gemm2 ---- */
enum { G2_TA, G2_TB, G2_ALPHA, G2_AXIS };
static const mx_attr_spec gemm2_attrs[] = {
    ATTR("transpose_a", MX_ATTR_BOOL, "False", "Multiply with transposed of first input (A)."),
    ATTR("transpose_b", MX_ATTR_BOOL, "False", "Multiply with transposed of second input (B)."),
    ATTR("alpha", MX_ATTR_FLOAT, "1.0", "Scalar factor multiplied with A*B."),
    ATTR("axis", MX_ATTR_INT, "-2", "Axis corresponding to the matrix rows (the columns are the last axis; the "
                               "other axes are batch axes)."),
};
enum { G_TA, G_TB, G_ALPHA, G_BETA, G_AXIS };
static const mx_attr_spec gemm_attrs[] = {
    ATTR("transpose_a", MX_ATTR_BOOL, "False", "Multiply with transposed of first input (A)."),
    ATTR("transpose_b", MX_ATTR_BOOL, "False", "Multiply with transposed of second input (B)."),
    ATTR("alpha", MX_ATTR_FLOAT, "1.0", "Scalar factor multiplied with A*B."),
    ATTR("beta", MX_ATTR_FLOAT, "1.0", "Scalar factor multiplied with C."),
    ATTR("axis", MX_ATTR_INT, "-2", "Axis corresponding to the matrix rows (the columns are the last axis; the "
                               "other axes are batch axes)."),
};

/* The row axis of gemm/gemm2 (attr `axis`), normalised; the column axis is always the last one. */
static int la_row_axis(const mx_call *c, int64_t axis, int n, int *ax) {
    int64_t a = axis < 0 ? axis + n : axis;
    if (a < 0 || a > n - 2)
        return mxi_op_error(c, MX_ERR_INVALID, "axis=%lld is out of range for %d-d inputs (expected an axis before "
                            "the last one, in [%d, %d])", (long long)axis, n, -n, n - 2);
    *ax = (int)a;
    return MX_OK;
}

/* linalg ops accept 2-D matrices too (batch of one). A row axis other than n-2
 * is read as if swapped with axis n-2 (the kernels then see the usual layout). */
static int la_geometry(const mx_call *c, int ta, int tb, int64_t axis, bdot_dims *d) {
    const mx_tensor_s *l = c->in[0], *r = c->in[1];
    if (l->ndim < 2 || r->ndim != l->ndim) return shape_err(c, "inputs must have the same rank >= 2");
    int n = l->ndim, ax = n - 2;
    MXI_TRY(la_row_axis(c, axis, n, &ax));
    int64_t ls[MX_MAX_NDIM], rs[MX_MAX_NDIM];
    memcpy(ls, l->shape, sizeof(int64_t) * (size_t)n);
    memcpy(rs, r->shape, sizeof(int64_t) * (size_t)n);
    ls[ax] = l->shape[n - 2], ls[n - 2] = l->shape[ax];
    rs[ax] = r->shape[n - 2], rs[n - 2] = r->shape[ax];
    for (int i = 0; i < n - 2; i++)
        if (ls[i] != rs[i]) return shape_err(c, "batch dimensions differ");
    int64_t lm = ta ? ls[n - 1] : ls[n - 2], lk = ta ? ls[n - 2] : ls[n - 1];
    int64_t rk = tb ? rs[n - 1] : rs[n - 2], rn = tb ? rs[n - 2] : rs[n - 1];
    if (lk != rk) return shape_err(c, "matrix dimensions do not match for the product");
    d->batch = prod(ls, 0, n - 2);
    d->M = lm, d->N = rn, d->K = lk;
    return MX_OK;
}

/* Output shape of gemm/gemm2: A's batch axes with M rows at the row axis and N columns last. */
static void la_out_shape(const mx_call *c, int64_t axis, const bdot_dims *d, int64_t *shape) {
    int n = c->in[0]->ndim, ax = (int)(axis < 0 ? axis + n : axis);
    memcpy(shape, c->in[0]->shape, sizeof(int64_t) * (size_t)n);
    shape[ax] = shape[n - 2];
    shape[n - 2] = d->M, shape[n - 1] = d->N;
    int64_t t = shape[ax]; shape[ax] = shape[n - 2], shape[n - 2] = t;
}

/* gemm/gemm2 with a row axis other than n-2: swap it to n-2, run the op with the default axis and
 * swap the result back into out. */
static int la_swapped_run(mx_call *c, const char *op, const char *attrs, int ax) {
    int n = c->in[0]->ndim, rc = MX_OK;
    char sw[64];
    snprintf(sw, sizeof sw, "dim1=%d;dim2=%d", ax, n - 2);
    mx_tensor_s *in[3] = {NULL, NULL, NULL}, *o2 = NULL, *o = NULL;
    for (int i = 0; i < c->n_in && rc == MX_OK; i++)
        if (!(in[i] = mxi_call1("swapaxes", sw, 1, c->in[i]))) rc = mx_last_error_code();
    if (rc == MX_OK)
        o2 = c->n_in == 3 ? mxi_call1(op, attrs, 3, in[0], in[1], in[2]) : mxi_call1(op, attrs, 2, in[0], in[1]);
    if (rc == MX_OK && !(o2 && (o = mxi_call1("swapaxes", sw, 1, o2)))) rc = mx_last_error_code();
    if (rc == MX_OK && c->out[0]->size)
        memcpy(mxi_data(c->out[0]), mxi_data(o), (size_t)c->out[0]->size * mxi_dtype_size(c->out[0]->dtype));
    for (int i = 0; i < 3; i++) mxi_tensor_release(in[i]);
    mxi_tensor_release(o2);
    mxi_tensor_release(o);
    return rc;
}

static int gemm2_infer(mx_call *c) {
    MXI_TRY(mxi_require_same_dtype(c));
    bdot_dims d = {0};
    MXI_TRY(la_geometry(c, (int)c->attrs[G2_TA].i, (int)c->attrs[G2_TB].i, c->attrs[G2_AXIS].i, &d));
    int64_t shape[MX_MAX_NDIM];
    la_out_shape(c, c->attrs[G2_AXIS].i, &d, shape);
    mxi_set_out(c, 0, shape, c->in[0]->ndim, c->in[0]->dtype);
    return MX_OK;
}

static int gemm2_cpu(mx_call *c) {
    int ta = (int)c->attrs[G2_TA].i, tb = (int)c->attrs[G2_TB].i;
    bdot_dims d = {0};
    MXI_TRY(la_geometry(c, ta, tb, c->attrs[G2_AXIS].i, &d));
    int n = c->in[0]->ndim, ax = n - 2;
    MXI_TRY(la_row_axis(c, c->attrs[G2_AXIS].i, n, &ax));
    if (ax != n - 2) {
        char at[160];
        snprintf(at, sizeof at, "transpose_a=%d;transpose_b=%d;alpha=%.17g", ta, tb, c->attrs[G2_ALPHA].f);
        return la_swapped_run(c, "linalg_gemm2", at, ax);
    }
    bmm_run(c, ta, tb, &d, c->attrs[G2_ALPHA].f, 0.0);
    return MX_OK;
}

static int gemm2_grad(mx_grad_ctx *g) {
    const mx_call *c = g->call;
    char extra[96];
    snprintf(extra, sizeof extra, ";alpha=%.17g;axis=%lld", c->attrs[G2_ALPHA].f, (long long)c->attrs[G2_AXIS].i);
    return matmul_grads("linalg_gemm2", extra, (int)c->attrs[G2_TA].i, (int)c->attrs[G2_TB].i, g->in[0], g->in[1],
                        g->ograd[0], &g->igrad[0], &g->igrad[1]);
}

static int gemm_infer(mx_call *c) {
    MXI_TRY(mxi_require_same_dtype(c));
    bdot_dims d = {0};
    MXI_TRY(la_geometry(c, (int)c->attrs[G_TA].i, (int)c->attrs[G_TB].i, c->attrs[G_AXIS].i, &d));
    int64_t shape[MX_MAX_NDIM];
    int n = c->in[0]->ndim;
    la_out_shape(c, c->attrs[G_AXIS].i, &d, shape);
    const mx_tensor_s *C = c->in[2];
    if (C->ndim != n || memcmp(C->shape, shape, sizeof(int64_t) * (size_t)n)) {
        char a[128], b[128];
        return mxi_op_error(c, MX_ERR_INVALID, "C has shape %s, expected %s (the shape of op(A)*op(B))",
                            mxi_shape_str(C->shape, C->ndim, a, sizeof a), mxi_shape_str(shape, n, b, sizeof b));
    }
    mxi_set_out(c, 0, shape, n, c->in[0]->dtype);
    return MX_OK;
}

static int gemm_cpu(mx_call *c) {
    int ta = (int)c->attrs[G_TA].i, tb = (int)c->attrs[G_TB].i;
    bdot_dims d = {0};
    MXI_TRY(la_geometry(c, ta, tb, c->attrs[G_AXIS].i, &d));
    int n = c->in[0]->ndim, ax = n - 2;
    MXI_TRY(la_row_axis(c, c->attrs[G_AXIS].i, n, &ax));
    if (ax != n - 2) {
        char at[200];
        snprintf(at, sizeof at, "transpose_a=%d;transpose_b=%d;alpha=%.17g;beta=%.17g", ta, tb, c->attrs[G_ALPHA].f,
                 c->attrs[G_BETA].f);
        return la_swapped_run(c, "linalg_gemm", at, ax);
    }
    mx_tensor_s *o = c->out[0];
    if (o->size) memcpy(mxi_data(o), mxi_data(c->in[2]), (size_t)o->size * mxi_dtype_size(o->dtype));
    bmm_run(c, ta, tb, &d, c->attrs[G_ALPHA].f, c->attrs[G_BETA].f);
    return MX_OK;
}

static int gemm_grad(mx_grad_ctx *g) {
    const mx_call *c = g->call;
    char extra[96];
    snprintf(extra, sizeof extra, ";alpha=%.17g;axis=%lld", c->attrs[G_ALPHA].f, (long long)c->attrs[G_AXIS].i);
    MXI_TRY(matmul_grads("linalg_gemm2", extra, (int)c->attrs[G_TA].i, (int)c->attrs[G_TB].i, g->in[0], g->in[1],
                         g->ograd[0], &g->igrad[0], &g->igrad[1]));
    char at[64];
    snprintf(at, sizeof at, "scalar=%.17g", c->attrs[G_BETA].f);
    g->igrad[2] = mxi_call1("_mul_scalar", at, 1, g->ograd[0]);
    return g->igrad[2] ? MX_OK : mx_last_error_code();
}

/* --------------------------------------------------------- khatri_rao ---- */
enum { KR_NUM_ARGS };
static const mx_attr_spec kr_attrs[] = {
    {.name = "num_args", .type = MX_ATTR_INT, .doc = "Number of input matrices.", .bounded = 1, .lo = 1, .hi = 512},
};

static int kr_infer(mx_call *c) {
    MXI_TRY(mxi_require_same_dtype(c));
    int64_t rows = 1, k = -1;
    for (int i = 0; i < c->n_in; i++) {
        const mx_tensor_s *t = c->in[i];
        if (t->ndim != 2) return mxi_op_error(c, MX_ERR_INVALID, "input %d must be a 2-D matrix", i);
        if (k >= 0 && t->shape[1] != k)
            return mxi_op_error(c, MX_ERR_INVALID, "all inputs must have the same number of columns");
        k = t->shape[1];
        rows *= t->shape[0];
    }
    int64_t shape[2] = {rows, k};
    mxi_set_out(c, 0, shape, 2, c->in[0]->dtype);
    return MX_OK;
}

/* row r of the output = elementwise product of rows (r decomposed in mixed
 * radix, first input most significant) of every input */
#define KR_KERNEL(NAME, T)                                                                \
    static void NAME(mx_call *c) {                                                        \
        int n = c->n_in;                                                                  \
        int64_t k = c->out[0]->shape[1], rows = c->out[0]->shape[0];                      \
        T *O = mxi_data(c->out[0]);                                                       \
        for (int64_t r = 0; r < rows; r++) {                                              \
            T *orow = O + r * k;                                                          \
            for (int64_t j = 0; j < k; j++) orow[j] = 1;                                  \
            int64_t rem = r;                                                              \
            for (int i = n - 1; i >= 0; i--) {                                            \
                int64_t ni = c->in[i]->shape[0], ri = rem % ni;                           \
                rem /= ni;                                                                \
                const T *src = (const T *)mxi_data(c->in[i]) + ri * k;                    \
                for (int64_t j = 0; j < k; j++) orow[j] *= src[j];                        \
            }                                                                             \
        }                                                                                 \
    }
KR_KERNEL(kr_f32, float)
KR_KERNEL(kr_f64, double)

static int kr_cpu(mx_call *c) {
    if (c->out[0]->dtype == MX_FLOAT64) kr_f64(c);
    else kr_f32(c);
    return MX_OK;
}

/* _backward_khatri_rao(ograd, A1..An) -> (dA1..dAn):
 * dAi[ri, j] = sum over rows r with digit i == ri of G[r,j] * prod_{m!=i} Am[rm, j] */
static int kr_bwd_nout(const mx_call *c) { return c->n_in >= 2 ? c->n_in - 1 : 1; }
static int kr_bwd_nin(const mx_call *c) { return c->n_in >= 2 ? c->n_in : 2; }

static int kr_bwd_infer(mx_call *c) {
    MXI_TRY(mxi_require_same_dtype(c));
    if (c->n_in < 2 || c->n_in - 1 > MX_MAX_OUTPUTS)
        return mxi_op_error(c, MX_ERR_INVALID, "expected ograd and 1..%d matrices", MX_MAX_OUTPUTS);
    const mx_tensor_s *G = c->in[0];
    if (G->ndim != 2) return mxi_op_error(c, MX_ERR_INVALID, "ograd must be 2-D");
    int64_t rows = 1;
    for (int i = 1; i < c->n_in; i++) {
        const mx_tensor_s *t = c->in[i];
        if (t->ndim != 2 || t->shape[1] != G->shape[1])
            return mxi_op_error(c, MX_ERR_INVALID, "input %d must be 2-D with %lld columns", i, (long long)G->shape[1]);
        rows *= t->shape[0];
    }
    if (rows != G->shape[0]) return mxi_op_error(c, MX_ERR_INVALID, "ograd rows must equal the product of the rows");
    for (int i = 1; i < c->n_in; i++) mxi_same_as_in(c, i - 1, i);
    return MX_OK;
}

#define KR_BWD_KERNEL(NAME, T)                                                            \
    static void NAME(mx_call *c) {                                                        \
        int n = c->n_in - 1;                                                              \
        const mx_tensor_s *G = c->in[0];                                                  \
        int64_t k = G->shape[1], rows = G->shape[0];                                      \
        const T *g = mxi_data(G);                                                         \
        for (int64_t r = 0; r < rows; r++) {                                              \
            int64_t idx[MX_MAX_INPUTS];                                                   \
            int64_t rem = r;                                                              \
            for (int i = n - 1; i >= 0; i--) {                                            \
                int64_t ni = c->in[i + 1]->shape[0];                                      \
                idx[i] = rem % ni;                                                        \
                rem /= ni;                                                                \
            }                                                                             \
            for (int i = 0; i < n; i++) {                                                 \
                T *dst = (T *)mxi_data(c->out[i]) + idx[i] * k;                           \
                for (int64_t j = 0; j < k; j++) {                                         \
                    T v = g[r * k + j];                                                   \
                    for (int m = 0; m < n; m++)                                           \
                        if (m != i) v *= ((const T *)mxi_data(c->in[m + 1]))[idx[m] * k + j]; \
                    dst[j] += v;                                                          \
                }                                                                         \
            }                                                                             \
        }                                                                                 \
    }
KR_BWD_KERNEL(kr_bwd_f32, float)
KR_BWD_KERNEL(kr_bwd_f64, double)

static int kr_bwd_cpu(mx_call *c) {
    if (c->in[0]->dtype == MX_FLOAT64) kr_bwd_f64(c);
    else kr_bwd_f32(c);
    return MX_OK;
}

static int kr_grad(mx_grad_ctx *g) {
    const mx_call *c = g->call;
    mx_tensor_s *ins[MX_MAX_INPUTS];
    ins[0] = g->ograd[0];
    for (int i = 0; i < c->n_in; i++) ins[i + 1] = g->in[i];
    return mxi_call("_backward_khatri_rao", ins, c->n_in + 1, NULL, g->igrad, c->n_in);
}

static const mx_op_def ops[] = {
    {.name = "dot",
     .doc = "Dot product of two arrays. N-d inputs: the last axis of lhs (first, with transpose_a) is contracted "
            "with the first axis of rhs (last, with transpose_b); 1-D x 1-D gives shape (1,).",
     .inputs = "lhs,rhs", .num_outputs = 1, .attrs = dot_attrs, .n_attrs = 3, .infer = dot_infer, .cpu = dot_cpu,
     .grad = dot_grad, .flags = MX_OPF_WRITES_ALL, .dtypes = LA_DTYPES},
    {.name = "batch_dot",
     .doc = "Batchwise matrix product: out[b] = op(lhs[b]) * op(rhs[b]) for inputs of shape (batch, M, K) and "
            "(batch, K, N).",
     .inputs = "lhs,rhs", .num_outputs = 1, .attrs = batch_dot_attrs, .n_attrs = 3, .infer = batch_dot_infer,
     .cpu = batch_dot_cpu, .grad = batch_dot_grad, .flags = MX_OPF_WRITES_ALL, .dtypes = LA_DTYPES},
    {.name = "linalg_gemm2", .aliases = "_linalg_gemm2",
     .doc = "Matrix product out = alpha * op(A) * op(B) over the last two axes, batched over leading axes.",
     .inputs = "A,B", .num_outputs = 1, .attrs = gemm2_attrs, .n_attrs = 4, .infer = gemm2_infer, .cpu = gemm2_cpu,
     .grad = gemm2_grad, .flags = MX_OPF_WRITES_ALL, .dtypes = LA_DTYPES},
    {.name = "linalg_gemm", .aliases = "_linalg_gemm",
     .doc = "General matrix multiply-add out = alpha * op(A) * op(B) + beta * C over the last two axes, batched "
            "over leading axes.",
     .inputs = "A,B,C", .num_outputs = 1, .attrs = gemm_attrs, .n_attrs = 5, .infer = gemm_infer, .cpu = gemm_cpu,
     .grad = gemm_grad, .flags = MX_OPF_WRITES_ALL, .dtypes = LA_DTYPES},
    {.name = "khatri_rao",
     .doc = "Column-wise Khatri-Rao product of matrices (n_i, k): the output (prod n_i, k) holds, per column, the "
            "Kronecker product of the inputs' columns.",
     .inputs = "*args", .num_outputs = 1, .attrs = kr_attrs, .n_attrs = 1, .infer = kr_infer, .cpu = kr_cpu,
     .grad = kr_grad, .flags = MX_OPF_WRITES_ALL, .dtypes = LA_DTYPES},
    {.name = "_backward_khatri_rao", .doc = "Gradient of khatri_rao: inputs (ograd, A1..An), outputs (dA1..dAn).",
     .inputs = "*args", .num_outputs_fn = kr_bwd_nout, .num_inputs_fn = kr_bwd_nin, .infer = kr_bwd_infer,
     .cpu = kr_bwd_cpu, .flags = MX_OPF_INTERNAL | MX_OPF_NO_GRAD, .dtypes = LA_DTYPES},
};

void mxi_register_attention(void); /* attention.c */
void mxi_register_linalg(void) {
    mxi_register_ops(ops, (int)(sizeof ops / sizeof ops[0]));
    mxi_register_attention();
}
