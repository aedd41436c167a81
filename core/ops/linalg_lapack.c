/* linalg_lapack.c — MXNet 1.x's factorisation and triangular linalg ops:
 * potrf, potri, trmm, trsm, syrk, gelqf, syevd, inverse, det, slogdet (LAPACK
 * and BLAS from the linked OpenBLAS), and the copy ops sumlogdiag,
 * extractdiag, makediag, extracttrian, maketrian (plain loops).
 *
 * All operate on the last two axes, batched over the leading ones, in float32
 * and float64. Matrices are row-major; LAPACK is column-major, so every call
 * works on the transpose that the same buffer is in column-major order: a
 * row-major lower triangle is a column-major upper one (uplo flips), a
 * row-major left product is a column-major right product (side flips), and
 * MXNet's LQ of A is LAPACK's QR of A^T. Nothing is copied for that.
 *
 * Singular or non-positive-definite input is an error naming the op and the
 * matrix of the batch (det and slogdet excepted: a singular matrix has
 * determinant 0, log|det| = -inf, as in MXNet and numpy).
 *
 * Gradients follow MXNet 1.9.1: the ops that read one triangle of a
 * symmetric input (potrf, syevd) return the symmetric gradient; the
 * triangular ops (potri, trmm, trsm) return the gradient of the triangle they
 * read (zeros elsewhere). They are written with registered ops (so they
 * record for higher orders) except syevd's, an internal kernel. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../backends/cpu/cpu.h"
#include "../op.h"

#define ATTR(N, T, D, DOC) {.name = N, .type = T, .def = D, .doc = DOC}

/* ------------------------------------------------------ LAPACK / BLAS ---- */
/* Fortran interface (32-bit integers: OpenBLAS's default and the
 * scipy-openblas32 wheel). Character arguments carry gfortran's hidden length
 * arguments; the C-implemented routines ignore them. */
#ifdef MXCORE_HAVE_LAPACK
#ifdef MXCORE_BLAS_SCIPY_PREFIX
#define LAPACK(f) scipy_##f##_
#else
#define LAPACK(f) f##_
#endif
typedef int la_int;
#define LA_DECL_POTRF(f, T) void LAPACK(f)(const char *, const la_int *, T *, const la_int *, la_int *, size_t);
LA_DECL_POTRF(spotrf, float)
LA_DECL_POTRF(dpotrf, double)
LA_DECL_POTRF(spotri, float)
LA_DECL_POTRF(dpotri, double)
#define LA_DECL_TRXM(f, T)                                                                                       \
    void LAPACK(f)(const char *, const char *, const char *, const char *, const la_int *, const la_int *,       \
                   const T *, const T *, const la_int *, T *, const la_int *, size_t, size_t, size_t, size_t);
LA_DECL_TRXM(strmm, float)
LA_DECL_TRXM(dtrmm, double)
LA_DECL_TRXM(strsm, float)
LA_DECL_TRXM(dtrsm, double)
#define LA_DECL_SYRK(f, T)                                                                                       \
    void LAPACK(f)(const char *, const char *, const la_int *, const la_int *, const T *, const T *,             \
                   const la_int *, const T *, T *, const la_int *, size_t, size_t);
LA_DECL_SYRK(ssyrk, float)
LA_DECL_SYRK(dsyrk, double)
#define LA_DECL_GEQRF(f, T) \
    void LAPACK(f)(const la_int *, const la_int *, T *, const la_int *, T *, T *, const la_int *, la_int *);
LA_DECL_GEQRF(sgeqrf, float)
LA_DECL_GEQRF(dgeqrf, double)
#define LA_DECL_ORGQR(f, T)                                                                                      \
    void LAPACK(f)(const la_int *, const la_int *, const la_int *, T *, const la_int *, const T *, T *,          \
                   const la_int *, la_int *);
LA_DECL_ORGQR(sorgqr, float)
LA_DECL_ORGQR(dorgqr, double)
#define LA_DECL_SYEVD(f, T)                                                                                      \
    void LAPACK(f)(const char *, const char *, const la_int *, T *, const la_int *, T *, T *, const la_int *,    \
                   la_int *, const la_int *, la_int *, size_t, size_t);
LA_DECL_SYEVD(ssyevd, float)
LA_DECL_SYEVD(dsyevd, double)
#define LA_DECL_GETRF(f, T) void LAPACK(f)(const la_int *, const la_int *, T *, const la_int *, la_int *, la_int *);
LA_DECL_GETRF(sgetrf, float)
LA_DECL_GETRF(dgetrf, double)
#define LA_DECL_GETRI(f, T) \
    void LAPACK(f)(const la_int *, T *, const la_int *, const la_int *, T *, const la_int *, la_int *);
LA_DECL_GETRI(sgetri, float)
LA_DECL_GETRI(dgetri, double)
#define HAVE_LA 1
#else
#define HAVE_LA 0
#endif

/* ------------------------------------------------------------ helpers ---- */
static int64_t prod(const int64_t *s, int lo, int hi) {
    int64_t p = 1;
    for (int i = lo; i < hi; i++) p *= s[i];
    return p;
}

static int is_float(int dt) { return dt == MX_FLOAT32 || dt == MX_FLOAT64; }

/* Inputs of the LAPACK ops must be floating point (float16/bfloat16 are
 * computed in float32 by the invoke path's dtype fallback). */
static int require_float(const mx_call *c) {
    for (int i = 0; i < c->n_in; i++) {
        int dt = c->in[i]->dtype;
        if (!is_float(dt) && dt != MX_FLOAT16 && dt != MX_BFLOAT16)
            return mxi_op_error(c, MX_ERR_DTYPE, "expects floating-point matrices (float32 or float64), got %s",
                                mxi_dtype_name(dt));
    }
    return mxi_require_same_dtype(c);
}

/* Input i holds square matrices on its last two axes: batch count and order. */
static int square_batch(const mx_call *c, int i, const char *what, int64_t *batch, int64_t *n) {
    const mx_tensor_s *t = c->in[i];
    if (t->ndim < 2 || t->shape[t->ndim - 1] != t->shape[t->ndim - 2]) {
        char b[128];
        return mxi_op_error(c, MX_ERR_INVALID, "%s must hold square matrices on its last two axes, got shape %s",
                            what, mxi_shape_str(t->shape, t->ndim, b, sizeof b));
    }
    if (t->shape[t->ndim - 1] > 0x7fffffff)
        return mxi_op_error(c, MX_ERR_UNSUPPORTED, "%s: matrices larger than 2^31-1 rows are not supported", what);
    *n = t->shape[t->ndim - 1];
    *batch = prod(t->shape, 0, t->ndim - 2);
    return MX_OK;
}

/* Output shape of a per-matrix scalar (sumlogdiag, det, slogdet): the batch
 * axes, or (1,) for a single matrix as in MXNet. */
static void set_scalar_out(mx_call *c, int k, const mx_tensor_s *a) {
    int64_t shape[MX_MAX_NDIM];
    int nd = a->ndim - 2;
    if (nd == 0) {
        shape[0] = 1;
        nd = 1;
    } else {
        memcpy(shape, a->shape, sizeof(int64_t) * (size_t)nd);
    }
    mxi_set_out(c, k, shape, nd, a->dtype);
}

static int no_lapack(const mx_call *c) {
    return mxi_op_error(c, MX_ERR_UNSUPPORTED,
                        "this build of mxcore has no LAPACK (it was built without OpenBLAS); rebuild with "
                        "OpenBLAS to use the linalg factorisations");
}

static int batch_err(const mx_call *c, int64_t b, int64_t nb, const char *fmt_tail, long long v) {
    char tail[200];
    snprintf(tail, sizeof tail, fmt_tail, v);
    return mxi_op_error(c, MX_ERR_INVALID, "matrix %lld of the batch of %lld %s", (long long)b, (long long)nb, tail);
}

static int oom(const mx_call *c) { return mxi_op_error(c, MX_ERR_MEMORY, "out of memory for LAPACK workspace"); }

static void *mat(const mx_tensor_s *t, int64_t b, int64_t elems) {
    return (char *)mxi_data(t) + (size_t)(b * elems) * mxi_dtype_size(t->dtype);
}

/* Row-major n x n: copy the lower triangle to the upper one. */
static void mirror_lower(void *a, int64_t n, int dbl) {
    for (int64_t i = 0; i < n; i++)
        for (int64_t j = i + 1; j < n; j++) {
            if (dbl) ((double *)a)[i * n + j] = ((double *)a)[j * n + i];
            else ((float *)a)[i * n + j] = ((float *)a)[j * n + i];
        }
}

/* Row-major n x n: zero the strict upper (lower=1) or strict lower triangle. */
static void zero_other_triangle(void *a, int64_t n, int dbl, int keep_lower) {
    for (int64_t i = 0; i < n; i++)
        for (int64_t j = 0; j < n; j++) {
            if (keep_lower ? j <= i : j >= i) continue;
            if (dbl) ((double *)a)[i * n + j] = 0;
            else ((float *)a)[i * n + j] = 0;
        }
}

/* Row-major n x n, in place: a = a^T (how potrf/potri's lower=False reuse the lower-triangle path). */
static void transpose_sq(void *a, int64_t n, int dbl) {
    for (int64_t i = 0; i < n; i++)
        for (int64_t j = i + 1; j < n; j++) {
            if (dbl) {
                double t = ((double *)a)[i * n + j];
                ((double *)a)[i * n + j] = ((double *)a)[j * n + i];
                ((double *)a)[j * n + i] = t;
            } else {
                float t = ((float *)a)[i * n + j];
                ((float *)a)[i * n + j] = ((float *)a)[j * n + i];
                ((float *)a)[j * n + i] = t;
            }
        }
}

static void copy_all(mx_tensor_s *dst, const mx_tensor_s *src) {
    if (dst->size) memcpy(mxi_data(dst), mxi_data(src), (size_t)dst->size * mxi_dtype_size(dst->dtype));
}

/* ---- gradient helpers: a scope of temporaries, released together ---- */
typedef struct {
    mx_tensor_s *t[48];
    int n;
} scope;

static mx_tensor_s *keep(scope *s, mx_tensor_s *t) {
    if (t && s->n < 48) s->t[s->n++] = t;
    else if (t) { /* cannot happen with the fixed gradients below; never leak */
        mxi_tensor_release(t);
        mxi_error(MX_ERR_INTERNAL, "linalg gradient: too many temporaries");
        return NULL;
    }
    return t;
}
static void drop(scope *s) {
    for (int i = 0; i < s->n; i++) mxi_tensor_release(s->t[i]);
    s->n = 0;
}
static mx_tensor_s *op1(scope *s, const char *op, const char *attrs, mx_tensor_s *a) {
    return a ? keep(s, mxi_call1(op, attrs, 1, a)) : NULL;
}
static mx_tensor_s *op2(scope *s, const char *op, const char *attrs, mx_tensor_s *a, mx_tensor_s *b) {
    return a && b ? keep(s, mxi_call1(op, attrs, 2, a, b)) : NULL;
}
/* alpha * op(a) op(b) over the last two axes */
static mx_tensor_s *mm(scope *s, mx_tensor_s *a, int ta, mx_tensor_s *b, int tb, double alpha) {
    char at[128];
    snprintf(at, sizeof at, "transpose_a=%d;transpose_b=%d;alpha=%.17g", ta, tb, alpha);
    return op2(s, "linalg_gemm2", at, a, b);
}
static mx_tensor_s *tr(scope *s, mx_tensor_s *a) { /* swap the last two axes */
    if (!a) return NULL;
    char at[64];
    snprintf(at, sizeof at, "dim1=%d;dim2=%d", a->ndim - 2, a->ndim - 1);
    return op1(s, "swapaxes", at, a);
}
static mx_tensor_s *add(scope *s, mx_tensor_s *a, mx_tensor_s *b) { return op2(s, "elemwise_add", NULL, a, b); }
static mx_tensor_s *sub(scope *s, mx_tensor_s *a, mx_tensor_s *b) { return op2(s, "elemwise_sub", NULL, a, b); }
static mx_tensor_s *scale(scope *s, mx_tensor_s *a, double k) {
    char at[64];
    snprintf(at, sizeof at, "scalar=%.17g", k);
    return op1(s, "_mul_scalar", at, a);
}
/* triangle of square matrices (diagonal included), zeros elsewhere */
static mx_tensor_s *tri(scope *s, mx_tensor_s *a, int lower, int offset) {
    char at[64];
    snprintf(at, sizeof at, "offset=%d;lower=%d", offset, lower);
    return op1(s, "linalg_maketrian", at, op1(s, "linalg_extracttrian", at, a));
}
/* a with its last two axes replaced by (1,1) [or `keep_last` kept]: a
 * per-matrix scalar shaped to broadcast against the matrices of `like`. */
static mx_tensor_s *as_batch(scope *s, mx_tensor_s *a, const mx_tensor_s *like, int trailing_ones) {
    if (!a) return NULL;
    char at[400];
    int m = snprintf(at, sizeof at, "shape=(");
    for (int i = 0; i < like->ndim - 2; i++) m += snprintf(at + m, sizeof at - (size_t)m, "%lld,", (long long)like->shape[i]);
    for (int i = 0; i < trailing_ones; i++) m += snprintf(at + m, sizeof at - (size_t)m, "1,");
    snprintf(at + m, sizeof at - (size_t)m, ")");
    return op1(s, "reshape", at, a);
}
/* Hand `t` (kept in s) to the caller as a new reference. */
static int give(mx_tensor_s *t, mx_tensor_s **dst) {
    if (!t) return mx_last_error_code();
    mxi_tensor_retain(t);
    *dst = t;
    return MX_OK;
}

/* ---------------------------------------------------------------- potrf -- */
/* potrf/potri's one attribute: lower=False works with U = L^T (A = U^T U), reading the upper triangle */
static const mx_attr_spec po_attrs[] = {
    ATTR("lower", MX_ATTR_BOOL, "True", "True if the triangular matrix is lower triangular, false if it is upper "
                                        "triangular."),
};

static int potrf_infer(mx_call *c) {
    int64_t b = 0, n = 0;
    MXI_TRY(require_float(c));
    MXI_TRY(square_batch(c, 0, "A", &b, &n));
    mxi_same_as_in(c, 0, 0);
    return MX_OK;
}

static int potrf_cpu(mx_call *c) {
    int64_t nb = 0, n = 0;
    MXI_TRY(square_batch(c, 0, "A", &nb, &n));
    if (!HAVE_LA) return no_lapack(c);
#if HAVE_LA
    int dbl = c->out[0]->dtype == MX_FLOAT64;
    la_int ln = (la_int)n, info = 0;
    int upper = !c->attrs[0].i;
    copy_all(c->out[0], c->in[0]);
    for (int64_t b = 0; b < nb && n; b++) {
        void *a = mat(c->out[0], b, n * n);
        if (upper) transpose_sq(a, n, dbl);
        /* row-major lower = column-major upper */
        if (dbl) LAPACK(dpotrf)("U", &ln, a, &ln, &info, 1);
        else LAPACK(spotrf)("U", &ln, a, &ln, &info, 1);
        if (info > 0)
            return batch_err(c, b, nb, "is not symmetric positive definite (its leading minor of order %lld is not "
                                       "positive); potrf expects symmetric positive-definite matrices", (long long)info);
        zero_other_triangle(a, n, dbl, 1);
        if (upper) transpose_sq(a, n, dbl);
    }
#endif
    return MX_OK;
}

/* dA = sym(L^-T Phi(L^T dL) L^-1), Phi = lower triangle with halved diagonal (L = U^T, dL = dU^T if upper) */
static int potrf_grad(mx_grad_ctx *g) {
    scope s = {0};
    int upper = !g->call->attrs[0].i;
    mx_tensor_s *L = upper ? tr(&s, g->out[0]) : g->out[0], *dL = upper ? tr(&s, g->ograd[0]) : g->ograd[0];
    mx_tensor_s *P = mm(&s, L, 1, dL, 0, 1.0);
    mx_tensor_s *phi = sub(&s, tri(&s, P, 1, 0), scale(&s, op1(&s, "linalg_makediag", NULL,
                                                                 op1(&s, "linalg_extractdiag", NULL, P)), 0.5));
    mx_tensor_s *Z = op2(&s, "linalg_trsm", "transpose=1;lower=1", L, phi);     /* L^-T phi */
    mx_tensor_s *G = op2(&s, "linalg_trsm", "rightside=1;lower=1", L, Z);       /* ... L^-1 */
    int rc = give(scale(&s, add(&s, G, tr(&s, G)), 0.5), &g->igrad[0]);
    drop(&s);
    return rc;
}

/* ---------------------------------------------------------------- potri -- */
static int potri_cpu(mx_call *c) {
    int64_t nb = 0, n = 0;
    MXI_TRY(square_batch(c, 0, "A", &nb, &n));
    if (!HAVE_LA) return no_lapack(c);
#if HAVE_LA
    int dbl = c->out[0]->dtype == MX_FLOAT64;
    la_int ln = (la_int)n, info = 0;
    int upper = !c->attrs[0].i;
    copy_all(c->out[0], c->in[0]);
    for (int64_t b = 0; b < nb && n; b++) {
        void *a = mat(c->out[0], b, n * n);
        if (upper) transpose_sq(a, n, dbl);
        if (dbl) LAPACK(dpotri)("U", &ln, a, &ln, &info, 1);
        else LAPACK(spotri)("U", &ln, a, &ln, &info, 1);
        if (info > 0)
            return batch_err(c, b, nb, "is singular (diagonal element %lld of the Cholesky factor is zero); potri "
                                       "expects a lower-triangular Cholesky factor with a nonzero diagonal",
                             (long long)info);
        mirror_lower(a, n, dbl);
    }
#endif
    return MX_OK;
}

/* out = (L L^T)^-1: dL = tril((W + W^T) L), W = -out dout out; upper: L = U^T, dU = dL^T */
static int potri_grad(mx_grad_ctx *g) {
    scope s = {0};
    int upper = !g->call->attrs[0].i;
    mx_tensor_s *O = g->out[0], *L = upper ? tr(&s, g->in[0]) : g->in[0];
    mx_tensor_s *W = mm(&s, mm(&s, O, 0, g->ograd[0], 0, 1.0), 0, O, 0, -1.0);
    mx_tensor_s *dL = tri(&s, mm(&s, add(&s, W, tr(&s, W)), 0, L, 0, 1.0), 1, 0);
    int rc = give(upper ? tr(&s, dL) : dL, &g->igrad[0]);
    drop(&s);
    return rc;
}

/* ------------------------------------------------------- trmm / trsm ---- */
enum { TR_TRANSPOSE, TR_RIGHTSIDE, TR_LOWER, TR_ALPHA };
static const mx_attr_spec trmm_attrs[] = {
    ATTR("transpose", MX_ATTR_BOOL, "False", "Use transposed of the triangular matrix"),
    ATTR("rightside", MX_ATTR_BOOL, "False", "Multiply triangular matrix from the right to non-triangular one."),
    ATTR("lower", MX_ATTR_BOOL, "True", "True if the triangular matrix is lower triangular, false if it is upper "
                                        "triangular."),
    ATTR("alpha", MX_ATTR_FLOAT, "1.0", "Scalar factor to be applied to the result."),
};

static int tr_infer(mx_call *c) {
    int64_t nb = 0, n = 0;
    MXI_TRY(require_float(c));
    MXI_TRY(square_batch(c, 0, "A", &nb, &n));
    const mx_tensor_s *A = c->in[0], *B = c->in[1];
    int right = (int)c->attrs[TR_RIGHTSIDE].i;
    char a[128], b[128];
    if (B->ndim != A->ndim || memcmp(A->shape, B->shape, sizeof(int64_t) * (size_t)(A->ndim - 2)) ||
        B->shape[B->ndim - (right ? 1 : 2)] != n)
        return mxi_op_error(c, MX_ERR_INVALID, "B has shape %s; with A of shape %s and rightside=%d it must have the "
                            "same batch axes and %s = %lld", mxi_shape_str(B->shape, B->ndim, b, sizeof b),
                            mxi_shape_str(A->shape, A->ndim, a, sizeof a), right,
                            right ? "columns" : "rows", (long long)n);
    if (B->shape[B->ndim - 1] > 0x7fffffff || B->shape[B->ndim - 2] > 0x7fffffff)
        return mxi_op_error(c, MX_ERR_UNSUPPORTED, "matrices larger than 2^31-1 rows are not supported");
    mxi_same_as_in(c, 0, 1);
    return MX_OK;
}

/* out = alpha op(A) B (or B op(A)) [mm], or the solution X of op(A) X = alpha B
 * (X op(A) = alpha B) [sm], in place on a copy of B. */
static int tr_cpu(mx_call *c, int solve) {
    int64_t nb = 0, n = 0;
    MXI_TRY(square_batch(c, 0, "A", &nb, &n));
    if (!HAVE_LA) return no_lapack(c);
#if HAVE_LA
    const mx_tensor_s *A = c->in[0];
    mx_tensor_s *O = c->out[0];
    int dbl = O->dtype == MX_FLOAT64;
    int tp = (int)c->attrs[TR_TRANSPOSE].i, right = (int)c->attrs[TR_RIGHTSIDE].i, lower = (int)c->attrs[TR_LOWER].i;
    int64_t rows = O->shape[O->ndim - 2], cols = O->shape[O->ndim - 1];
    copy_all(O, c->in[1]);
    if (!rows || !cols) return MX_OK;
    /* column-major view: B^T (cols x rows); side and uplo flip */
    const char *side = right ? "L" : "R", *uplo = lower ? "U" : "L", *trans = tp ? "T" : "N";
    la_int m = (la_int)cols, nn = (la_int)rows, lda = (la_int)n, ldb = (la_int)cols;
    double alpha = c->attrs[TR_ALPHA].f;
    float alphaf = (float)alpha;
    for (int64_t b = 0; b < nb; b++) {
        const void *a = mat(A, b, n * n);
        void *x = mat(O, b, rows * cols);
        if (solve) {
            for (int64_t i = 0; i < n; i++)
                if ((dbl ? ((const double *)a)[i * n + i] : ((const float *)a)[i * n + i]) == 0)
                    return batch_err(c, b, nb, "of A is singular (diagonal element %lld is zero); trsm expects "
                                               "triangular matrices with a nonzero diagonal", (long long)i);
            if (dbl) LAPACK(dtrsm)(side, uplo, trans, "N", &m, &nn, &alpha, a, &lda, x, &ldb, 1, 1, 1, 1);
            else LAPACK(strsm)(side, uplo, trans, "N", &m, &nn, &alphaf, a, &lda, x, &ldb, 1, 1, 1, 1);
        } else {
            if (dbl) LAPACK(dtrmm)(side, uplo, trans, "N", &m, &nn, &alpha, a, &lda, x, &ldb, 1, 1, 1, 1);
            else LAPACK(strmm)(side, uplo, trans, "N", &m, &nn, &alphaf, a, &lda, x, &ldb, 1, 1, 1, 1);
        }
    }
#endif
    return MX_OK;
}
static int trmm_cpu(mx_call *c) { return tr_cpu(c, 0); }
static int trsm_cpu(mx_call *c) { return tr_cpu(c, 1); }

static void tr_attr_str(const mx_call *c, char *buf, size_t n, int flip_transpose, double alpha) {
    snprintf(buf, n, "transpose=%d;rightside=%d;lower=%d;alpha=%.17g",
             (int)(c->attrs[TR_TRANSPOSE].i ^ flip_transpose), (int)c->attrs[TR_RIGHTSIDE].i,
             (int)c->attrs[TR_LOWER].i, alpha);
}

/* out = alpha op(A) B: dB = alpha op(A)^T dout, d op(A) = alpha dout B^T;
 * rightside: dB = alpha dout op(A)^T, d op(A) = alpha B^T dout. */
static int trmm_grad(mx_grad_ctx *g) {
    const mx_call *c = g->call;
    scope s = {0};
    int tp = (int)c->attrs[TR_TRANSPOSE].i, right = (int)c->attrs[TR_RIGHTSIDE].i;
    int lower = (int)c->attrs[TR_LOWER].i;
    double alpha = c->attrs[TR_ALPHA].f;
    mx_tensor_s *A = g->in[0], *B = g->in[1], *G = g->ograd[0];
    char at[160];
    int rc = MX_OK;
    if (mxi_grad_needed(g, 0)) {
        mx_tensor_s *dA;
        if (!right) dA = tp ? mm(&s, B, 0, G, 1, alpha) : mm(&s, G, 0, B, 1, alpha);
        else dA = tp ? mm(&s, G, 1, B, 0, alpha) : mm(&s, B, 1, G, 0, alpha);
        rc = give(tri(&s, dA, lower, 0), &g->igrad[0]);
    }
    if (rc == MX_OK && mxi_grad_needed(g, 1)) {
        tr_attr_str(c, at, sizeof at, 1, alpha);
        rc = give(op2(&s, "linalg_trmm", at, A, G), &g->igrad[1]);
    }
    drop(&s);
    return rc;
}

/* X = alpha op(A)^-1 B: Y = op(A)^-T dX, dB = alpha Y, d op(A) = -Y X^T;
 * rightside X = alpha B op(A)^-1: Y = dX op(A)^-T, d op(A) = -X^T Y. */
static int trsm_grad(mx_grad_ctx *g) {
    const mx_call *c = g->call;
    scope s = {0};
    int tp = (int)c->attrs[TR_TRANSPOSE].i, right = (int)c->attrs[TR_RIGHTSIDE].i;
    int lower = (int)c->attrs[TR_LOWER].i;
    double alpha = c->attrs[TR_ALPHA].f;
    mx_tensor_s *A = g->in[0], *X = g->out[0], *G = g->ograd[0];
    char at[160];
    tr_attr_str(c, at, sizeof at, 1, 1.0);
    mx_tensor_s *Y = op2(&s, "linalg_trsm", at, A, G);
    int rc = MX_OK;
    if (mxi_grad_needed(g, 0)) {
        mx_tensor_s *dA;
        if (!right) dA = tp ? mm(&s, X, 0, Y, 1, -1.0) : mm(&s, Y, 0, X, 1, -1.0);
        else dA = tp ? mm(&s, Y, 1, X, 0, -1.0) : mm(&s, X, 1, Y, 0, -1.0);
        rc = give(tri(&s, dA, lower, 0), &g->igrad[0]);
    }
    if (rc == MX_OK && mxi_grad_needed(g, 1)) rc = give(alpha == 1.0 ? Y : scale(&s, Y, alpha), &g->igrad[1]);
    drop(&s);
    return rc;
}

/* ----------------------------------------------------------------- syrk -- */
enum { SY_TRANSPOSE, SY_ALPHA };
static const mx_attr_spec syrk_attrs[] = {
    ATTR("transpose", MX_ATTR_BOOL, "False", "Use transpose of input matrix."),
    ATTR("alpha", MX_ATTR_FLOAT, "1.0", "Scalar factor to be applied to the result."),
};

static int syrk_infer(mx_call *c) {
    MXI_TRY(require_float(c));
    MXI_TRY(mxi_require_ndim(c, 0, 2, MX_MAX_NDIM));
    const mx_tensor_s *A = c->in[0];
    int64_t shape[MX_MAX_NDIM];
    memcpy(shape, A->shape, sizeof(int64_t) * (size_t)A->ndim);
    int64_t k = c->attrs[SY_TRANSPOSE].i ? A->shape[A->ndim - 1] : A->shape[A->ndim - 2];
    if (A->shape[A->ndim - 1] > 0x7fffffff || A->shape[A->ndim - 2] > 0x7fffffff)
        return mxi_op_error(c, MX_ERR_UNSUPPORTED, "matrices larger than 2^31-1 rows are not supported");
    shape[A->ndim - 2] = shape[A->ndim - 1] = k;
    mxi_set_out(c, 0, shape, A->ndim, A->dtype);
    return MX_OK;
}

static int syrk_cpu(mx_call *c) {
    if (!HAVE_LA) return no_lapack(c);
#if HAVE_LA
    const mx_tensor_s *A = c->in[0];
    mx_tensor_s *O = c->out[0];
    int dbl = O->dtype == MX_FLOAT64, tp = (int)c->attrs[SY_TRANSPOSE].i;
    int64_t r = A->shape[A->ndim - 2], cc = A->shape[A->ndim - 1], nb = prod(A->shape, 0, A->ndim - 2);
    int64_t k = tp ? cc : r; /* output order */
    /* column-major view of A is A^T (cc x r): A A^T = (A^T)^T A^T ("T"), A^T A ("N") */
    la_int n = (la_int)k, kk = (la_int)(tp ? r : cc), lda = (la_int)cc, ldc = (la_int)k;
    double alpha = c->attrs[SY_ALPHA].f, beta = 0;
    float alphaf = (float)alpha, betaf = 0;
    for (int64_t b = 0; b < nb && k; b++) {
        const void *a = mat(A, b, r * cc);
        void *o = mat(O, b, k * k);
        if (kk == 0) { memset(o, 0, (size_t)(k * k) * mxi_dtype_size(O->dtype)); continue; }
        /* column-major upper = row-major lower */
        if (dbl) LAPACK(dsyrk)("U", tp ? "N" : "T", &n, &kk, &alpha, a, &lda, &beta, o, &ldc, 1, 1);
        else LAPACK(ssyrk)("U", tp ? "N" : "T", &n, &kk, &alphaf, a, &lda, &betaf, o, &ldc, 1, 1);
        mirror_lower(o, k, dbl);
    }
#endif
    return MX_OK;
}

/* out = alpha A A^T: dA = alpha (G + G^T) A; transpose: dA = alpha A (G + G^T) */
static int syrk_grad(mx_grad_ctx *g) {
    scope s = {0};
    mx_tensor_s *A = g->in[0], *G = g->ograd[0];
    double alpha = g->call->attrs[SY_ALPHA].f;
    mx_tensor_s *r;
    if (g->call->attrs[SY_TRANSPOSE].i) r = add(&s, mm(&s, A, 0, G, 0, alpha), mm(&s, A, 0, G, 1, alpha));
    else r = add(&s, mm(&s, G, 0, A, 0, alpha), mm(&s, G, 1, A, 0, alpha));
    int rc = give(r, &g->igrad[0]);
    drop(&s);
    return rc;
}

/* ---------------------------------------------------------------- gelqf -- */
static int gelqf_infer(mx_call *c) {
    MXI_TRY(require_float(c));
    MXI_TRY(mxi_require_ndim(c, 0, 2, MX_MAX_NDIM));
    const mx_tensor_s *A = c->in[0];
    int64_t m = A->shape[A->ndim - 2], n = A->shape[A->ndim - 1];
    char b[128];
    if (m > n)
        return mxi_op_error(c, MX_ERR_INVALID, "A has shape %s: gelqf expects matrices with no more rows than "
                            "columns (m <= n)", mxi_shape_str(A->shape, A->ndim, b, sizeof b));
    if (n > 0x7fffffff) return mxi_op_error(c, MX_ERR_UNSUPPORTED, "matrices larger than 2^31-1 columns are not supported");
    int64_t shape[MX_MAX_NDIM];
    memcpy(shape, A->shape, sizeof(int64_t) * (size_t)A->ndim);
    mxi_set_out(c, 0, shape, A->ndim, A->dtype); /* Q: m x n */
    shape[A->ndim - 1] = m;
    mxi_set_out(c, 1, shape, A->ndim, A->dtype); /* L: m x m */
    return MX_OK;
}

static int gelqf_cpu(mx_call *c) {
    if (!HAVE_LA) return no_lapack(c);
#if HAVE_LA
    const mx_tensor_s *A = c->in[0];
    mx_tensor_s *Q = c->out[0], *L = c->out[1];
    int dbl = A->dtype == MX_FLOAT64;
    size_t es = mxi_dtype_size(A->dtype);
    int64_t m = A->shape[A->ndim - 2], n = A->shape[A->ndim - 1], nb = prod(A->shape, 0, A->ndim - 2);
    copy_all(Q, A);
    if (!m) return MX_OK;
    /* LQ of A (row-major m x n) = QR of the column-major n x m view A^T */
    la_int M = (la_int)n, N = (la_int)m, lda = (la_int)n, info = 0, lwork = -1;
    double q1 = 0, q2 = 0;
    float f1 = 0, f2 = 0;
    if (dbl) {
        LAPACK(dgeqrf)(&M, &N, NULL, &lda, NULL, &q1, &lwork, &info);
        LAPACK(dorgqr)(&M, &N, &N, NULL, &lda, NULL, &q2, &lwork, &info);
    } else {
        LAPACK(sgeqrf)(&M, &N, NULL, &lda, NULL, &f1, &lwork, &info);
        LAPACK(sorgqr)(&M, &N, &N, NULL, &lda, NULL, &f2, &lwork, &info);
        q1 = f1, q2 = f2;
    }
    lwork = (la_int)(q1 > q2 ? q1 : q2);
    if (lwork < (la_int)m) lwork = (la_int)m;
    void *tau = malloc((size_t)m * es), *work = malloc((size_t)lwork * es);
    if (!tau || !work) {
        free(tau);
        free(work);
        return oom(c);
    }
    for (int64_t b = 0; b < nb; b++) {
        void *q = mat(Q, b, m * n), *l = mat(L, b, m * m);
        if (dbl) LAPACK(dgeqrf)(&M, &N, q, &lda, tau, work, &lwork, &info);
        else LAPACK(sgeqrf)(&M, &N, q, &lda, tau, work, &lwork, &info);
        /* R (column-major upper, R[i][j] at i + j*n) is L^T */
        for (int64_t j = 0; j < m; j++)
            for (int64_t i = 0; i < m; i++) {
                if (dbl) ((double *)l)[j * m + i] = i <= j ? ((double *)q)[i + j * n] : 0;
                else ((float *)l)[j * m + i] = i <= j ? ((float *)q)[i + j * n] : 0;
            }
        if (dbl) LAPACK(dorgqr)(&M, &N, &N, q, &lda, tau, work, &lwork, &info);
        else LAPACK(sorgqr)(&M, &N, &N, q, &lda, tau, work, &lwork, &info);
    }
    free(tau);
    free(work);
#endif
    return MX_OK;
}

/* A = L Q: dA = L^-T (dQ + copyltu(M) Q), M = L^T dL - dQ Q^T, copyltu(M) the
 * symmetric matrix with M's lower triangle. */
static int gelqf_grad(mx_grad_ctx *g) {
    scope s = {0};
    mx_tensor_s *Q = g->out[0], *L = g->out[1], *dQ = g->ograd[0], *dL = g->ograd[1];
    mx_tensor_s *M = sub(&s, mm(&s, L, 1, dL, 0, 1.0), mm(&s, dQ, 0, Q, 1, 1.0));
    /* 1 x 1 matrices have no strict lower triangle (extracttrian rejects offset=-1 there) */
    mx_tensor_s *sym = M && M->shape[M->ndim - 1] == 1 ? M : add(&s, tri(&s, M, 1, 0), tr(&s, tri(&s, M, 1, -1)));
    mx_tensor_s *Z = add(&s, dQ, mm(&s, sym, 0, Q, 0, 1.0));
    int rc = give(op2(&s, "linalg_trsm", "transpose=1;lower=1", L, Z), &g->igrad[0]);
    drop(&s);
    return rc;
}

/* ---------------------------------------------------------------- syevd -- */
static int syevd_infer(mx_call *c) {
    int64_t nb = 0, n = 0;
    MXI_TRY(require_float(c));
    MXI_TRY(square_batch(c, 0, "A", &nb, &n));
    mxi_same_as_in(c, 0, 0);
    const mx_tensor_s *A = c->in[0];
    mxi_set_out(c, 1, A->shape, A->ndim - 1, A->dtype);
    return MX_OK;
}

/* MXNet's sign convention: each eigenvector (row of U) has its entry of
 * largest magnitude (the first such) positive. */
static void fix_signs(void *u, int64_t n, int dbl) {
    for (int64_t r = 0; r < n; r++) {
        int64_t best = 0;
        double bv = -1;
        for (int64_t j = 0; j < n; j++) {
            double v = fabs(dbl ? ((double *)u)[r * n + j] : ((float *)u)[r * n + j]);
            if (v > bv) bv = v, best = j;
        }
        double lead = dbl ? ((double *)u)[r * n + best] : ((float *)u)[r * n + best];
        if (lead < 0)
            for (int64_t j = 0; j < n; j++) {
                if (dbl) ((double *)u)[r * n + j] = -((double *)u)[r * n + j];
                else ((float *)u)[r * n + j] = -((float *)u)[r * n + j];
            }
    }
}

static int syevd_cpu(mx_call *c) {
    int64_t nb = 0, n = 0;
    MXI_TRY(square_batch(c, 0, "A", &nb, &n));
    if (!HAVE_LA) return no_lapack(c);
#if HAVE_LA
    mx_tensor_s *U = c->out[0], *W = c->out[1];
    int dbl = U->dtype == MX_FLOAT64;
    size_t es = mxi_dtype_size(U->dtype);
    copy_all(U, c->in[0]);
    if (!n) return MX_OK;
    la_int N = (la_int)n, info = 0, lwork = -1, liwork = -1, iw = 0;
    double q = 0;
    float qf = 0;
    /* column-major upper = row-major lower; eigenvectors come back as
     * column-major columns = row-major rows */
    if (dbl) LAPACK(dsyevd)("V", "U", &N, NULL, &N, NULL, &q, &lwork, &iw, &liwork, &info, 1, 1);
    else {
        LAPACK(ssyevd)("V", "U", &N, NULL, &N, NULL, &qf, &lwork, &iw, &liwork, &info, 1, 1);
        q = qf;
    }
    lwork = (la_int)q + 1;
    liwork = iw > 1 ? iw : 1;
    void *work = malloc((size_t)lwork * es);
    la_int *iwork = malloc((size_t)liwork * sizeof(la_int));
    if (!work || !iwork) {
        free(work);
        free(iwork);
        return oom(c);
    }
    int rc = MX_OK;
    for (int64_t b = 0; b < nb; b++) {
        void *u = mat(U, b, n * n), *w = mat(W, b, n);
        if (dbl) LAPACK(dsyevd)("V", "U", &N, u, &N, w, work, &lwork, iwork, &liwork, &info, 1, 1);
        else LAPACK(ssyevd)("V", "U", &N, u, &N, w, work, &lwork, iwork, &liwork, &info, 1, 1);
        if (info != 0) {
            rc = batch_err(c, b, nb, "did not converge in the eigensolver (LAPACK syevd info=%lld); syevd expects a "
                                     "symmetric matrix with finite entries", (long long)info);
            break;
        }
        fix_signs(u, n, dbl);
    }
    free(work);
    free(iwork);
    return rc;
#else
    return MX_OK;
#endif
}

/* A = U^T diag(l) U (rows of U are eigenvectors):
 * dA = U^T sym(F o (U dU^T) + diag(dl)) U with F_ij = 1/(l_j - l_i), i != j
 * (0 for equal eigenvalues, where the eigenvectors are not unique). */
static int syevd_bwd_infer(mx_call *c) {
    int64_t nb = 0, n = 0;
    MXI_TRY(mxi_require_same_dtype(c));
    MXI_TRY(square_batch(c, 0, "U", &nb, &n));
    const mx_tensor_s *U = c->in[0];
    for (int i = 1; i < 4; i++) {
        const mx_tensor_s *t = c->in[i];
        int want = i == 2 ? U->ndim : U->ndim - 1;
        if (t->ndim != want || memcmp(t->shape, U->shape, sizeof(int64_t) * (size_t)want))
            return mxi_op_error(c, MX_ERR_INVALID, "inputs must be (U, L, dU, dL) of syevd's output shapes");
    }
    mxi_same_as_in(c, 0, 0);
    return MX_OK;
}

#define SYEVD_BWD(NAME, T, GEMM)                                                                          \
    static int NAME(mx_call *c, int64_t nb, int64_t n) {                                                 \
        T *K = malloc(sizeof(T) * (size_t)(2 * n * n));                                                  \
        if (!K) return oom(c);                                                                           \
        T *P = K + n * n;                                                                                \
        for (int64_t b = 0; b < nb; b++) {                                                               \
            const T *u = mat(c->in[0], b, n * n), *l = mat(c->in[1], b, n);                              \
            const T *du = mat(c->in[2], b, n * n), *dl = mat(c->in[3], b, n);                            \
            T *o = mat(c->out[0], b, n * n);                                                             \
            GEMM(0, 1, n, n, n, 1, u, n, du, n, 0, K, n); /* U dU^T */                                   \
            for (int64_t i = 0; i < n; i++) {                                                            \
                K[i * n + i] = dl[i];                                                                    \
                for (int64_t j = i + 1; j < n; j++) {                                                    \
                    T d = l[j] - l[i];                                                           \
                    T kij = d != 0 ? K[i * n + j] / d : 0, kji = d != 0 ? -K[j * n + i] / d : 0;         \
                    K[i * n + j] = K[j * n + i] = (T)0.5 * (kij + kji);                                  \
                }                                                                                        \
            }                                                                                            \
            GEMM(0, 0, n, n, n, 1, K, n, u, n, 0, P, n);  /* S U */                                      \
            GEMM(1, 0, n, n, n, 1, u, n, P, n, 0, o, n);  /* U^T S U */                                  \
        }                                                                                                \
        free(K);                                                                                         \
        return MX_OK;                                                                                    \
    }
SYEVD_BWD(syevd_bwd_f32, float, mxi_sgemm)
SYEVD_BWD(syevd_bwd_f64, double, mxi_dgemm)

static int syevd_bwd_cpu(mx_call *c) {
    int64_t nb = 0, n = 0;
    MXI_TRY(square_batch(c, 0, "U", &nb, &n));
    if (!n) return MX_OK;
    return c->out[0]->dtype == MX_FLOAT64 ? syevd_bwd_f64(c, nb, n) : syevd_bwd_f32(c, nb, n);
}

static int syevd_grad(mx_grad_ctx *g) {
    mx_tensor_s *ins[4] = {g->out[0], g->out[1], g->ograd[0], g->ograd[1]};
    return mxi_call("_backward_linalg_syevd", ins, 4, NULL, &g->igrad[0], 1);
}

/* ------------------------------------------------ inverse, det, slogdet -- */
static int inverse_cpu(mx_call *c) {
    int64_t nb = 0, n = 0;
    MXI_TRY(square_batch(c, 0, "A", &nb, &n));
    if (!HAVE_LA) return no_lapack(c);
#if HAVE_LA
    mx_tensor_s *O = c->out[0];
    int dbl = O->dtype == MX_FLOAT64;
    size_t es = mxi_dtype_size(O->dtype);
    copy_all(O, c->in[0]);
    if (!n) return MX_OK;
    /* inv(A^T) = inv(A)^T: the column-major view needs no transposes */
    la_int N = (la_int)n, info = 0, lwork = -1;
    double q = 0;
    float qf = 0;
    if (dbl) LAPACK(dgetri)(&N, NULL, &N, NULL, &q, &lwork, &info);
    else {
        LAPACK(sgetri)(&N, NULL, &N, NULL, &qf, &lwork, &info);
        q = qf;
    }
    lwork = (la_int)q > N ? (la_int)q : N;
    la_int *ipiv = malloc(sizeof(la_int) * (size_t)n);
    void *work = malloc((size_t)lwork * es);
    if (!ipiv || !work) {
        free(ipiv);
        free(work);
        return oom(c);
    }
    int rc = MX_OK;
    for (int64_t b = 0; b < nb; b++) {
        void *a = mat(O, b, n * n);
        if (dbl) LAPACK(dgetrf)(&N, &N, a, &N, ipiv, &info);
        else LAPACK(sgetrf)(&N, &N, a, &N, ipiv, &info);
        if (info == 0) {
            if (dbl) LAPACK(dgetri)(&N, a, &N, ipiv, work, &lwork, &info);
            else LAPACK(sgetri)(&N, a, &N, ipiv, work, &lwork, &info);
        }
        if (info > 0) {
            rc = batch_err(c, b, nb, "is singular (pivot %lld of its LU factorisation is exactly zero); inverse "
                                     "expects invertible matrices", (long long)info);
            break;
        }
    }
    free(ipiv);
    free(work);
    return rc;
#else
    return MX_OK;
#endif
}

/* dA = -out^T dout out^T */
static int inverse_grad(mx_grad_ctx *g) {
    scope s = {0};
    mx_tensor_s *O = g->out[0];
    int rc = give(mm(&s, mm(&s, O, 1, g->ograd[0], 0, 1.0), 0, O, 1, -1.0), &g->igrad[0]);
    drop(&s);
    return rc;
}

static int scalar_per_matrix_infer(mx_call *c) {
    int64_t nb = 0, n = 0;
    MXI_TRY(require_float(c));
    MXI_TRY(square_batch(c, 0, "A", &nb, &n));
    for (int k = 0; k < c->n_out; k++) set_scalar_out(c, k, c->in[0]);
    return MX_OK;
}

/* det through LU: sign from the pivots and the diagonal, log|det| summed.
 * want_log: outputs (sign, log|det|); else det. */
static int det_run(mx_call *c, int want_log) {
    int64_t nb = 0, n = 0;
    MXI_TRY(square_batch(c, 0, "A", &nb, &n));
    if (!HAVE_LA) return no_lapack(c);
#if HAVE_LA
    const mx_tensor_s *A = c->in[0];
    int dbl = A->dtype == MX_FLOAT64;
    size_t es = mxi_dtype_size(A->dtype);
    void *lu = malloc((size_t)(n ? n * n : 1) * es);
    la_int *ipiv = malloc(sizeof(la_int) * (size_t)(n ? n : 1));
    if (!lu || !ipiv) {
        free(lu);
        free(ipiv);
        return oom(c);
    }
    la_int N = (la_int)n, info = 0;
    for (int64_t b = 0; b < nb; b++) {
        double sign = 1, logabs = 0, det = 1;
        if (n) {
            memcpy(lu, mat(A, b, n * n), (size_t)(n * n) * es);
            if (dbl) LAPACK(dgetrf)(&N, &N, lu, &N, ipiv, &info);
            else LAPACK(sgetrf)(&N, &N, lu, &N, ipiv, &info);
            for (int64_t i = 0; i < n; i++) {
                double d = dbl ? ((double *)lu)[i * n + i] : ((float *)lu)[i * n + i];
                if (ipiv[i] != i + 1) sign = -sign, det = -det;
                if (d < 0) sign = -sign;
                if (d == 0) sign = 0;
                logabs += log(fabs(d));
                det *= d;
            }
            if (sign == 0) logabs = -INFINITY;
        }
        if (want_log) {
            mxi_fset(c->out[0], b, sign);
            mxi_fset(c->out[1], b, logabs);
        } else {
            mxi_fset(c->out[0], b, det);
        }
    }
    free(lu);
    free(ipiv);
#endif
    return MX_OK;
}
static int det_cpu(mx_call *c) { return det_run(c, 0); }
static int slogdet_cpu(mx_call *c) { return det_run(c, 1); }

/* d det / dA = det * A^-T;  d log|det| / dA = A^-T (sign has no gradient) */
static int det_grad_common(mx_grad_ctx *g, mx_tensor_s *w) {
    scope s = {0};
    mx_tensor_s *A = g->in[0];
    mx_tensor_s *inv = op1(&s, "linalg_inverse", NULL, A);
    int rc = give(op2(&s, "broadcast_mul", NULL, as_batch(&s, w, A, 2), tr(&s, inv)), &g->igrad[0]);
    drop(&s);
    return rc;
}
static int det_grad(mx_grad_ctx *g) {
    mx_tensor_s *w = mxi_call1("elemwise_mul", NULL, 2, g->ograd[0], g->out[0]);
    if (!w) return mx_last_error_code();
    int rc = det_grad_common(g, w);
    mxi_tensor_release(w);
    return rc;
}
static int slogdet_grad(mx_grad_ctx *g) { return det_grad_common(g, g->ograd[1]); }

/* ------------------------------------------------------------ sumlogdiag -- */
#define SUMLOGDIAG(NAME, T)                                                      \
    static void NAME(mx_call *c, int64_t nb, int64_t n) {                        \
        const T *a = mxi_data(c->in[0]);                                         \
        T *o = mxi_data(c->out[0]);                                              \
        for (int64_t b = 0; b < nb; b++) {                                       \
            T acc = 0;                                                           \
            for (int64_t i = 0; i < n; i++) acc += log(a[b * n * n + i * n + i]); \
            o[b] = acc;                                                          \
        }                                                                        \
    }
SUMLOGDIAG(sumlogdiag_f32, float)
SUMLOGDIAG(sumlogdiag_f64, double)

static int sumlogdiag_cpu(mx_call *c) {
    int64_t nb = 0, n = 0;
    MXI_TRY(square_batch(c, 0, "A", &nb, &n));
    if (c->out[0]->dtype == MX_FLOAT64) sumlogdiag_f64(c, nb, n);
    else sumlogdiag_f32(c, nb, n);
    return MX_OK;
}

/* dA = diag(dout / diag(A)) */
static int sumlogdiag_grad(mx_grad_ctx *g) {
    scope s = {0};
    mx_tensor_s *A = g->in[0];
    mx_tensor_s *d = op1(&s, "linalg_extractdiag", NULL, A);
    mx_tensor_s *w = A->ndim == 2 ? g->ograd[0] : as_batch(&s, g->ograd[0], A, 1);
    int rc = give(op1(&s, "linalg_makediag", NULL, op2(&s, "broadcast_div", NULL, w, d)), &g->igrad[0]);
    drop(&s);
    return rc;
}

/* ----------------------------------------- diagonal and triangle copies -- */
enum { DG_OFFSET };
static const mx_attr_spec diag_attrs[] = {
    ATTR("offset", MX_ATTR_INT, "0", "Offset of the diagonal versus the main diagonal. 0 corresponds to the main "
                                     "diagonal, a negative/positive value to diagonals below/above the main "
                                     "diagonal."),
};
enum { TRI_OFFSET, TRI_LOWER };
static const mx_attr_spec trian_attrs[] = {
    ATTR("offset", MX_ATTR_INT, "0", "Offset of the diagonal versus the main diagonal. 0 corresponds to the main "
                                     "diagonal, a negative/positive value to diagonals below/above the main "
                                     "diagonal."),
    ATTR("lower", MX_ATTR_BOOL, "True", "Refer to the lower triangular matrix if lower=true, refer to the upper "
                                        "otherwise. Only relevant when offset=0"),
};

static int64_t iabs64(int64_t v) { return v < 0 ? -v : v; }

/* |offset| must leave a non-empty diagonal/triangle of an n x n matrix */
static int check_offset(const mx_call *c, int64_t offset, int64_t n) {
    if (iabs64(offset) >= n && !(n == 0 && offset == 0))
        return mxi_op_error(c, MX_ERR_INVALID, "offset=%lld selects nothing of %lld x %lld matrices (expected "
                            "|offset| < %lld)", (long long)offset, (long long)n, (long long)n, (long long)n);
    return MX_OK;
}

static int extractdiag_infer(mx_call *c) {
    int64_t nb = 0, n = 0;
    MXI_TRY(square_batch(c, 0, "A", &nb, &n));
    int64_t off = c->attrs[DG_OFFSET].i;
    MXI_TRY(check_offset(c, off, n));
    const mx_tensor_s *A = c->in[0];
    int64_t shape[MX_MAX_NDIM];
    memcpy(shape, A->shape, sizeof(int64_t) * (size_t)A->ndim);
    shape[A->ndim - 2] = n - iabs64(off);
    mxi_set_out(c, 0, shape, A->ndim - 1, A->dtype);
    return MX_OK;
}

static int makediag_infer(mx_call *c) {
    MXI_TRY(mxi_require_ndim(c, 0, 1, MX_MAX_NDIM - 1));
    const mx_tensor_s *a = c->in[0];
    int64_t shape[MX_MAX_NDIM], n = a->shape[a->ndim - 1] + iabs64(c->attrs[DG_OFFSET].i);
    memcpy(shape, a->shape, sizeof(int64_t) * (size_t)a->ndim);
    shape[a->ndim - 1] = shape[a->ndim] = n;
    mxi_set_out(c, 0, shape, a->ndim + 1, a->dtype);
    return MX_OK;
}

/* element k of diagonal `off` of an n x n matrix */
static int64_t diag_index(int64_t k, int64_t n, int64_t off) {
    return (k + (off < 0 ? -off : 0)) * n + k + (off > 0 ? off : 0);
}

/* extract (to_vec=1) or make (0): copy elements between a stack of n x n
 * matrices and a stack of vectors, element k of vector <-> matrix index idx[k] */
static void gather_scatter(mx_tensor_s *mats, mx_tensor_s *vecs, const int64_t *idx, int64_t len, int64_t n,
                           int to_vec) {
    size_t es = mxi_dtype_size(mats->dtype);
    int64_t nb = n ? mats->size / (n * n) : 0;
    char *m = mxi_data(mats), *v = mxi_data(vecs);
    for (int64_t b = 0; b < nb; b++)
        for (int64_t k = 0; k < len; k++) {
            char *pm = m + (size_t)(b * n * n + idx[k]) * es, *pv = v + (size_t)(b * len + k) * es;
            if (to_vec) memcpy(pv, pm, es);
            else memcpy(pm, pv, es);
        }
}

static int diag_run(mx_call *c, int extract) {
    mx_tensor_s *M = extract ? c->in[0] : c->out[0], *V = extract ? c->out[0] : c->in[0];
    int64_t n = M->shape[M->ndim - 1], off = c->attrs[DG_OFFSET].i, len = V->shape[V->ndim - 1];
    int64_t *idx = malloc(sizeof(int64_t) * (size_t)(len ? len : 1));
    if (!idx) return oom(c);
    for (int64_t k = 0; k < len; k++) idx[k] = diag_index(k, n, off);
    gather_scatter(M, V, idx, len, n, extract);
    free(idx);
    return MX_OK;
}
static int extractdiag_cpu(mx_call *c) { return diag_run(c, 1); }
static int makediag_cpu(mx_call *c) { return diag_run(c, 0); }

static int extractdiag_grad(mx_grad_ctx *g) {
    char at[48];
    snprintf(at, sizeof at, "offset=%lld", (long long)g->call->attrs[DG_OFFSET].i);
    g->igrad[0] = mxi_call1("linalg_makediag", at, 1, g->ograd[0]);
    return g->igrad[0] ? MX_OK : mx_last_error_code();
}
static int makediag_grad(mx_grad_ctx *g) {
    char at[48];
    snprintf(at, sizeof at, "offset=%lld", (long long)g->call->attrs[DG_OFFSET].i);
    g->igrad[0] = mxi_call1("linalg_extractdiag", at, 1, g->ograd[0]);
    return g->igrad[0] ? MX_OK : mx_last_error_code();
}

/* Triangle selected by (offset, lower) of an n x n matrix, in MXNet's order:
 * a lower triangle (offset < 0, or 0 with lower) row by row; an upper one
 * (offset > 0, or 0 with !lower) column by column, i.e. the lower triangle of
 * the transpose row by row. Writes len = m(m+1)/2 indices, m = n - |offset|. */
static int64_t *trian_indices(int64_t n, int64_t off, int lower, int64_t *len) {
    int upper = off > 0 || (off == 0 && !lower);
    int64_t d = iabs64(off), m = n - d;
    *len = m > 0 ? m * (m + 1) / 2 : 0;
    int64_t *idx = malloc(sizeof(int64_t) * (size_t)(*len ? *len : 1));
    if (!idx) return NULL;
    int64_t k = 0;
    for (int64_t i = d; i < n; i++)
        for (int64_t j = 0; j <= i - d; j++) idx[k++] = upper ? j * n + i : i * n + j;
    return idx;
}

static int extracttrian_infer(mx_call *c) {
    int64_t nb = 0, n = 0;
    MXI_TRY(square_batch(c, 0, "A", &nb, &n));
    int64_t off = c->attrs[TRI_OFFSET].i;
    MXI_TRY(check_offset(c, off, n));
    const mx_tensor_s *A = c->in[0];
    int64_t shape[MX_MAX_NDIM], m = n - iabs64(off);
    memcpy(shape, A->shape, sizeof(int64_t) * (size_t)A->ndim);
    shape[A->ndim - 2] = m * (m + 1) / 2;
    mxi_set_out(c, 0, shape, A->ndim - 1, A->dtype);
    return MX_OK;
}

static int maketrian_infer(mx_call *c) {
    MXI_TRY(mxi_require_ndim(c, 0, 1, MX_MAX_NDIM - 1));
    const mx_tensor_s *a = c->in[0];
    int64_t len = a->shape[a->ndim - 1];
    /* m(m+1)/2 = len */
    int64_t m = (int64_t)floor((sqrt(8.0 * (double)len + 1.0) - 1.0) / 2.0);
    while (m * (m + 1) / 2 < len) m++;
    while (m > 0 && m * (m + 1) / 2 > len) m--;
    if (m * (m + 1) / 2 != len)
        return mxi_op_error(c, MX_ERR_INVALID, "the last axis has length %lld, which is not a triangular number "
                            "m*(m+1)/2 (the length of a packed triangle)", (long long)len);
    int64_t shape[MX_MAX_NDIM], n = m + iabs64(c->attrs[TRI_OFFSET].i);
    memcpy(shape, a->shape, sizeof(int64_t) * (size_t)a->ndim);
    shape[a->ndim - 1] = shape[a->ndim] = n;
    mxi_set_out(c, 0, shape, a->ndim + 1, a->dtype);
    return MX_OK;
}

static int trian_run(mx_call *c, int extract) {
    mx_tensor_s *M = extract ? c->in[0] : c->out[0], *V = extract ? c->out[0] : c->in[0];
    int64_t n = M->shape[M->ndim - 1], len;
    int64_t *idx = trian_indices(n, c->attrs[TRI_OFFSET].i, (int)c->attrs[TRI_LOWER].i, &len);
    if (!idx) return oom(c);
    gather_scatter(M, V, idx, len, n, extract);
    free(idx);
    return MX_OK;
}
static int extracttrian_cpu(mx_call *c) { return trian_run(c, 1); }
static int maketrian_cpu(mx_call *c) { return trian_run(c, 0); }

static int trian_grad(mx_grad_ctx *g, const char *op) {
    char at[64];
    snprintf(at, sizeof at, "offset=%lld;lower=%d", (long long)g->call->attrs[TRI_OFFSET].i,
             (int)g->call->attrs[TRI_LOWER].i);
    g->igrad[0] = mxi_call1(op, at, 1, g->ograd[0]);
    return g->igrad[0] ? MX_OK : mx_last_error_code();
}
static int extracttrian_grad(mx_grad_ctx *g) { return trian_grad(g, "linalg_maketrian"); }
static int maketrian_grad(mx_grad_ctx *g) { return trian_grad(g, "linalg_extracttrian"); }

/* --------------------------------------------------------------- table -- */
#define LA MX_DT_FLOAT
#define COPY_FLAGS (MX_OPF_NO_INPUT_CAST)
static const mx_op_def ops[] = {
    {.name = "linalg_potrf", .aliases = "_linalg_potrf",
     .doc = "Cholesky factorization of symmetric positive-definite matrices: out = L with A = L L^T, L lower "
            "triangular (upper part zero). Only the lower triangle of A is read. Batched over leading axes.",
     .inputs = "A", .num_outputs = 1, .attrs = po_attrs, .n_attrs = 1, .infer = potrf_infer, .cpu = potrf_cpu,
     .grad = potrf_grad,
     .flags = MX_OPF_WRITES_ALL, .dtypes = LA},
    {.name = "linalg_potri", .aliases = "_linalg_potri",
     .doc = "Inverse of a symmetric positive-definite matrix from its Cholesky factor: out = (L L^T)^-1 for lower "
            "triangular L (as returned by potrf; its upper part is ignored).",
     .inputs = "A", .num_outputs = 1, .attrs = po_attrs, .n_attrs = 1, .infer = potrf_infer, .cpu = potri_cpu,
     .grad = potri_grad,
     .flags = MX_OPF_WRITES_ALL, .dtypes = LA},
    {.name = "linalg_trmm", .aliases = "_linalg_trmm",
     .doc = "Triangular matrix multiply: out = alpha * op(A) * B (or alpha * B * op(A) with rightside), A "
            "triangular (lower or upper; the other triangle is ignored), op(A) = A or A^T.",
     .inputs = "A,B", .num_outputs = 1, .attrs = trmm_attrs, .n_attrs = 4, .infer = tr_infer, .cpu = trmm_cpu,
     .grad = trmm_grad, .flags = MX_OPF_WRITES_ALL, .dtypes = LA},
    {.name = "linalg_trsm", .aliases = "_linalg_trsm",
     .doc = "Triangular solve: out = alpha * op(A)^-1 * B (or alpha * B * op(A)^-1 with rightside), A triangular "
            "with a nonzero diagonal (the other triangle is ignored), op(A) = A or A^T.",
     .inputs = "A,B", .num_outputs = 1, .attrs = trmm_attrs, .n_attrs = 4, .infer = tr_infer, .cpu = trsm_cpu,
     .grad = trsm_grad, .flags = MX_OPF_WRITES_ALL, .dtypes = LA},
    {.name = "linalg_sumlogdiag", .aliases = "_linalg_sumlogdiag",
     .doc = "Sum of the logarithms of the diagonal elements of square matrices; shape: the batch axes ((1,) for a "
            "single matrix).",
     .inputs = "A", .num_outputs = 1, .infer = scalar_per_matrix_infer, .cpu = sumlogdiag_cpu,
     .grad = sumlogdiag_grad, .flags = MX_OPF_WRITES_ALL, .dtypes = LA},
    {.name = "linalg_syrk", .aliases = "_linalg_syrk",
     .doc = "Symmetric rank-k update: out = alpha * A * A^T (or alpha * A^T * A with transpose).",
     .inputs = "A", .num_outputs = 1, .attrs = syrk_attrs, .n_attrs = 2, .infer = syrk_infer, .cpu = syrk_cpu,
     .grad = syrk_grad, .flags = MX_OPF_WRITES_ALL, .dtypes = LA},
    {.name = "linalg_gelqf", .aliases = "_linalg_gelqf",
     .doc = "LQ factorization A = L * Q of m x n matrices with m <= n: outputs Q (m x n, orthonormal rows) and L "
            "(m x m, lower triangular), with LAPACK's sign convention.",
     .inputs = "A", .num_outputs = 2, .infer = gelqf_infer, .cpu = gelqf_cpu, .grad = gelqf_grad,
     .flags = MX_OPF_WRITES_ALL, .dtypes = LA},
    {.name = "linalg_syevd", .aliases = "_linalg_syevd",
     .doc = "Eigendecomposition of symmetric matrices A = U^T diag(L) U: outputs U (rows are the eigenvectors, "
            "each with its largest-magnitude entry positive) and L (eigenvalues, ascending). Only the lower "
            "triangle of A is read.",
     .inputs = "A", .num_outputs = 2, .infer = syevd_infer, .cpu = syevd_cpu, .grad = syevd_grad,
     .flags = MX_OPF_WRITES_ALL, .dtypes = LA},
    {.name = "_backward_linalg_syevd",
     .doc = "Gradient of linalg_syevd: inputs (U, L, dU, dL), output dA (symmetric).",
     .inputs = "U,L,dU,dL", .num_outputs = 1, .infer = syevd_bwd_infer, .cpu = syevd_bwd_cpu,
     .flags = MX_OPF_INTERNAL | MX_OPF_NO_GRAD | MX_OPF_WRITES_ALL, .dtypes = LA},
    {.name = "linalg_inverse", .aliases = "_linalg_inverse",
     .doc = "Inverse of square matrices (LU factorization); a singular matrix is an error.",
     .inputs = "A", .num_outputs = 1, .infer = potrf_infer, .cpu = inverse_cpu, .grad = inverse_grad,
     .flags = MX_OPF_WRITES_ALL, .dtypes = LA},
    {.name = "linalg_det", .aliases = "_linalg_det",
     .doc = "Determinant of square matrices (LU factorization); shape: the batch axes ((1,) for a single matrix).",
     .inputs = "A", .num_outputs = 1, .infer = scalar_per_matrix_infer, .cpu = det_cpu, .grad = det_grad,
     .flags = MX_OPF_WRITES_ALL, .dtypes = LA},
    {.name = "linalg_slogdet", .aliases = "_linalg_slogdet",
     .doc = "Sign and natural log of the absolute value of the determinant of square matrices: outputs (sign, "
            "logabsdet); a singular matrix gives (0, -inf).",
     .inputs = "A", .num_outputs = 2, .infer = scalar_per_matrix_infer, .cpu = slogdet_cpu, .grad = slogdet_grad,
     .flags = MX_OPF_WRITES_ALL, .dtypes = LA},
    {.name = "linalg_extractdiag", .aliases = "_linalg_extractdiag",
     .doc = "Extract a diagonal (offset: above > 0, below < 0) of square matrices as vectors.",
     .inputs = "A", .num_outputs = 1, .attrs = diag_attrs, .n_attrs = 1, .infer = extractdiag_infer,
     .cpu = extractdiag_cpu, .grad = extractdiag_grad, .flags = COPY_FLAGS | MX_OPF_WRITES_ALL,
     .dtypes = MX_DT_ALL},
    {.name = "linalg_makediag", .aliases = "_linalg_makediag",
     .doc = "Square matrices with the given vectors on a diagonal (offset: above > 0, below < 0), zeros "
            "elsewhere; order = length + |offset|.",
     .inputs = "A", .num_outputs = 1, .attrs = diag_attrs, .n_attrs = 1, .infer = makediag_infer,
     .cpu = makediag_cpu, .grad = makediag_grad, .flags = COPY_FLAGS, .dtypes = MX_DT_ALL},
    {.name = "linalg_extracttrian", .aliases = "_linalg_extracttrian",
     .doc = "Extract a triangle of square matrices as vectors: lower triangles (offset < 0, or 0 with lower) row "
            "by row, upper ones (offset > 0, or 0 with lower=False) column by column, as MXNet.",
     .inputs = "A", .num_outputs = 1, .attrs = trian_attrs, .n_attrs = 2, .infer = extracttrian_infer,
     .cpu = extracttrian_cpu, .grad = extracttrian_grad, .flags = COPY_FLAGS | MX_OPF_WRITES_ALL,
     .dtypes = MX_DT_ALL},
    {.name = "linalg_maketrian", .aliases = "_linalg_maketrian",
     .doc = "Triangular matrices from packed triangles (the inverse of extracttrian with the same offset and "
            "lower); order = m + |offset| for vectors of length m(m+1)/2.",
     .inputs = "A", .num_outputs = 1, .attrs = trian_attrs, .n_attrs = 2, .infer = maketrian_infer,
     .cpu = maketrian_cpu, .grad = maketrian_grad, .flags = COPY_FLAGS, .dtypes = MX_DT_ALL},
};

void mxi_register_linalg_lapack(void) { mxi_register_ops(ops, (int)(sizeof ops / sizeof ops[0])); }
