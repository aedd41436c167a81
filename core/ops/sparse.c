/* sparse.c — kernels over the dense components of MXNet's sparse storage types.
 *
 * mxcore has no sparse tensor: a CSR matrix is the three dense tensors MXNet
 * exposes as .data (nnz values), .indices (nnz int64 column ids, sorted and
 * unique within a row) and .indptr (rows+1 int64 offsets, 0 first, nnz last),
 * plus its logical shape (the `shape` attribute); a row_sparse array is .data
 * (k rows of the array) and .indices (k sorted, unique int64 row ids). The
 * bindings build their CSRNDArray / RowSparseNDArray from these, and every op
 * here is an ordinary registry op over them (internal: names start with
 * `_sparse_`), so autograd, the graph and every binding can reach them.
 *
 * Every op validates its components first (csr_check / rsp_check) and names
 * the op, the shapes and what was expected; nothing reads out of range on bad
 * input. Outputs whose size depends on the values (conversions from dense,
 * unions of index sets) count in infer and fill in the kernel.
 * The lazy optimizer updates over row_sparse gradients live in optimizer.c
 * next to the dense kernels they reuse. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../backends/cpu/cpu.h"
#include "../op.h"

#define ATTR(N, T, D, DOC) {.name = N, .type = T, .def = D, .doc = DOC}
#define NA(a) .attrs = a, .n_attrs = (int)(sizeof a / sizeof a[0])
#define SP_FLAGS (MX_OPF_INTERNAL | MX_OPF_NO_INPUT_CAST | MX_OPF_NO_GRAD)
#define A_SHAPE ATTR("shape", MX_ATTR_SHAPE, NULL, "The logical (dense) shape of the sparse array.")

static const char *sstr(const mx_tensor_s *t, char *b, size_t n) { return mxi_shape_str(t->shape, t->ndim, b, n); }

static const int64_t *i64(const mx_tensor_s *t) { return MXI_PTR(const int64_t, t); }

/* Every op here reads its inputs' values in inference (to validate the indices
 * and to size value-dependent outputs); a graph's shape inference runs infer on
 * shape-only tensors, which have none. */
static int require_values(mx_call *c) {
    for (int i = 0; i < c->n_in; i++)
        if (!c->in[i]->storage)
            return mxi_op_error(c, MX_ERR_UNSUPPORTED, "it reads the values of its inputs to check them and size its "
                                "outputs, which a graph's shape inference does not have: call it on arrays");
    return MX_OK;
}

static int require_index(mx_call *c, const mx_tensor_s *t, const char *what) {
    char b[96];
    if (t->ndim != 1 || t->dtype != MX_INT64)
        return mxi_op_error(c, MX_ERR_INVALID, "%s must be a 1-d int64 array, got %s %s", what, sstr(t, b, sizeof b),
                            mxi_dtype_name(t->dtype));
    return MX_OK;
}

static int require_value_dtype(mx_call *c, const mx_tensor_s *t, int float_only) {
    int ok = float_only ? (t->dtype == MX_FLOAT32 || t->dtype == MX_FLOAT64) : mxi_dtype_valid(t->dtype);
    if (!ok) return mxi_op_error(c, MX_ERR_DTYPE, "values of dtype %s are not supported (expected float32 or float64)",
                                 mxi_dtype_name(t->dtype));
    return MX_OK;
}

/* A CSR triple (inputs first..first+2) for a matrix of shape (rows, cols):
 * component ranks and dtypes, indptr from 0 to nnz without decreasing, and
 * column ids in [0, cols) strictly increasing within each row. */
static int csr_check(mx_call *c, int first, int64_t rows, int64_t cols) {
    const mx_tensor_s *data = c->in[first], *idx = c->in[first + 1], *ptr = c->in[first + 2];
    char b1[96], b2[96];
    MXI_TRY(require_index(c, idx, "csr indices"));
    MXI_TRY(require_index(c, ptr, "csr indptr"));
    if (data->ndim != 1 || data->shape[0] != idx->shape[0])
        return mxi_op_error(c, MX_ERR_INVALID, "csr data %s and indices %s must be 1-d of the same length (nnz)",
                            sstr(data, b1, sizeof b1), sstr(idx, b2, sizeof b2));
    if (ptr->shape[0] != rows + 1)
        return mxi_op_error(c, MX_ERR_INVALID, "csr indptr %s must have rows+1 = %lld entries for %lld rows",
                            sstr(ptr, b1, sizeof b1), (long long)(rows + 1), (long long)rows);
    const int64_t *p = i64(ptr), *ix = i64(idx);
    int64_t nnz = idx->shape[0];
    if (p[0] != 0 || p[rows] != nnz)
        return mxi_op_error(c, MX_ERR_INVALID, "csr indptr must start at 0 and end at nnz = %lld, got %lld ... %lld",
                            (long long)nnz, (long long)p[0], (long long)p[rows]);
    for (int64_t r = 0; r < rows; r++) {
        if (p[r + 1] < p[r] || p[r + 1] > nnz)
            return mxi_op_error(c, MX_ERR_INVALID, "csr indptr must be non-decreasing within [0, nnz]: indptr[%lld] = "
                                "%lld, indptr[%lld] = %lld", (long long)r, (long long)p[r], (long long)(r + 1),
                                (long long)p[r + 1]);
        for (int64_t k = p[r]; k < p[r + 1]; k++) {
            if (ix[k] < 0 || ix[k] >= cols)
                return mxi_op_error(c, MX_ERR_INVALID, "csr column index %lld (row %lld) out of range [0, %lld)",
                                    (long long)ix[k], (long long)r, (long long)cols);
            if (k > p[r] && ix[k] <= ix[k - 1])
                return mxi_op_error(c, MX_ERR_INVALID, "csr column indices of row %lld must be sorted and unique, "
                                    "got %lld after %lld", (long long)r, (long long)ix[k], (long long)ix[k - 1]);
        }
    }
    return MX_OK;
}

/* A row_sparse pair (inputs first, first+1) for an array of shape/ndim: data
 * is (k, shape[1:]...), indices k sorted unique row ids in [0, shape[0]). */
static int rsp_check(mx_call *c, int first, const int64_t *shape, int ndim) {
    const mx_tensor_s *data = c->in[first], *idx = c->in[first + 1];
    char b1[96], b2[96], b3[96];
    MXI_TRY(require_index(c, idx, "row_sparse indices"));
    int bad = ndim < 1 || data->ndim != ndim || data->shape[0] != idx->shape[0];
    for (int d = 1; !bad && d < ndim; d++) bad = data->shape[d] != shape[d];
    if (bad)
        return mxi_op_error(c, MX_ERR_INVALID, "row_sparse data %s must be (len(indices), shape[1:]) for indices %s "
                            "and shape %s", sstr(data, b1, sizeof b1), sstr(idx, b2, sizeof b2),
                            mxi_shape_str(shape, ndim, b3, sizeof b3));
    const int64_t *ix = i64(idx);
    for (int64_t k = 0; k < idx->shape[0]; k++) {
        if (ix[k] < 0 || ix[k] >= shape[0])
            return mxi_op_error(c, MX_ERR_INVALID, "row_sparse index %lld out of range [0, %lld)", (long long)ix[k],
                                (long long)shape[0]);
        if (k && ix[k] <= ix[k - 1])
            return mxi_op_error(c, MX_ERR_INVALID, "row_sparse indices must be sorted and unique, got %lld after %lld",
                                (long long)ix[k], (long long)ix[k - 1]);
    }
    return MX_OK;
}

/* The `shape` attribute (attr 0) as a CSR matrix's (rows, cols). */
static int csr_shape(mx_call *c, int64_t *rows, int64_t *cols) {
    const mx_attr_val *s = &c->attrs[0];
    if (s->is_none || s->n != 2 || s->v[0] < 0 || s->v[1] < 0)
        return mxi_op_error(c, MX_ERR_INVALID, "shape must be a 2-d (rows, cols), got %d dims", s->is_none ? 0 : s->n);
    *rows = s->v[0];
    *cols = s->v[1];
    return MX_OK;
}

static int64_t row_len(const int64_t *shape, int ndim) { return mxi_shape_size(shape + 1, ndim - 1); }

/* The csr operand at inputs first..first+2 for the `shape` attribute: its
 * (rows, cols), value dtype (float32/float64 when float_only) and format. */
static int csr_operand(mx_call *c, int first, int float_only, int64_t *rows, int64_t *cols) {
    MXI_TRY(require_values(c));
    MXI_TRY(csr_shape(c, rows, cols));
    MXI_TRY(require_value_dtype(c, c->in[first], float_only));
    return csr_check(c, first, *rows, *cols);
}

/* A dot's dense operand d (input di): 2-d, of the csr's dtype (input ci) and
 * with `want` entries on axis `axis`. `role` names it in the message. */
static int dot_dense_operand(mx_call *c, int di, int ci, int axis, int64_t want, int64_t rows, int64_t cols,
                             const char *role) {
    const mx_tensor_s *d = c->in[di];
    char b1[96];
    if (d->ndim != 2 || d->shape[axis] != want || d->dtype != c->in[ci]->dtype)
        return mxi_op_error(c, MX_ERR_INVALID, "dot of a csr (%lld, %lld) with %s %s %s: expected a 2-d %s with %lld "
                            "%s and the csr's dtype %s", (long long)rows, (long long)cols, role, sstr(d, b1, sizeof b1),
                            mxi_dtype_name(d->dtype), role, (long long)want, axis ? "columns" : "rows",
                            mxi_dtype_name(c->in[ci]->dtype));
    return MX_OK;
}

/* Is element i of a contiguous tensor non-zero (any dtype)? */
static int nonzero_at(const mx_tensor_s *t, int64_t i) { return mxi_load_as_double(mxi_data(t), t->dtype, i) != 0; }

/* ---- dense -> csr: (data, indices, indptr) ---- */
static int d2csr_infer(mx_call *c) {
    const mx_tensor_s *x = c->in[0];
    char b[96];
    MXI_TRY(require_values(c));
    if (x->ndim != 2) return mxi_op_error(c, MX_ERR_INVALID, "csr needs a 2-d array, got %s", sstr(x, b, sizeof b));
    MXI_TRY(require_value_dtype(c, x, 0));
    int64_t nnz = 0;
    for (int64_t i = 0; i < x->size; i++) nnz += nonzero_at(x, i);
    int64_t s0 = nnz, s1 = x->shape[0] + 1;
    mxi_set_out(c, 0, &s0, 1, x->dtype);
    mxi_set_out(c, 1, &s0, 1, MX_INT64);
    mxi_set_out(c, 2, &s1, 1, MX_INT64);
    return MX_OK;
}
static int d2csr_cpu(mx_call *c) {
    const mx_tensor_s *x = c->in[0];
    int64_t rows = x->shape[0], cols = x->shape[1], k = 0;
    size_t es = mxi_dtype_size(x->dtype);
    int64_t *ix = MXI_PTR(int64_t, c->out[1]), *p = MXI_PTR(int64_t, c->out[2]);
    char *dst = mxi_data(c->out[0]);
    const char *src = mxi_data(x);
    p[0] = 0;
    for (int64_t r = 0; r < rows; r++) {
        for (int64_t j = 0; j < cols; j++) {
            if (!nonzero_at(x, r * cols + j)) continue;
            memcpy(dst + (size_t)k * es, src + (size_t)(r * cols + j) * es, es);
            ix[k++] = j;
        }
        p[r + 1] = k;
    }
    return MX_OK;
}

/* ---- dense -> row_sparse: (data, indices) of the rows holding a non-zero ---- */
#define ANY_NONZERO(NAME, T)                                     \
    static int NAME(const T *p, int64_t n) {                     \
        int64_t j = 0;                                           \
        for (; j + 32 <= n; j += 32) {                           \
            int any = 0;                                         \
            for (int k = 0; k < 32; k++) any |= p[j + k] != 0;   \
            if (any) return 1;                                   \
        }                                                        \
        for (; j < n; j++)                                       \
            if (p[j] != 0) return 1;                             \
        return 0;                                                \
    }
ANY_NONZERO(any_nonzero_f32, float)
ANY_NONZERO(any_nonzero_f64, double)

static int row_nonzero(const mx_tensor_s *x, int64_t r, int64_t w) {
    /* typed scans for the common dtypes (a gradient's zero rows are read in full), in
     * blocks without an early exit so that the compiler vectorizes them */
    if (x->dtype == MX_FLOAT32) return any_nonzero_f32(MXI_PTR(const float, x) + r * w, w);
    if (x->dtype == MX_FLOAT64) return any_nonzero_f64(MXI_PTR(const double, x) + r * w, w);
    for (int64_t j = 0; j < w; j++)
        if (nonzero_at(x, r * w + j)) return 1;
    return 0;
}
/* flags[r] = row r holds a non-zero, rows scanned on the thread pool */
typedef struct {
    const mx_tensor_s *x;
    int64_t w;
    unsigned char *flags;
} rowscan_ctx;
static void rowscan_range(void *ctx, int64_t b, int64_t e) {
    rowscan_ctx *s = ctx;
    for (int64_t r = b; r < e; r++) s->flags[r] = (unsigned char)row_nonzero(s->x, r, s->w);
}
/* the non-zero row flags of x (malloc'd, caller frees) and their count, or NULL (error set) */
static unsigned char *nonzero_rows(mx_call *c, const mx_tensor_s *x, int64_t *count) {
    int64_t rows = x->shape[0], w = row_len(x->shape, x->ndim);
    unsigned char *flags = malloc((size_t)rows + 1);
    if (!flags) {
        mxi_op_error(c, MX_ERR_MEMORY, "out of memory");
        return NULL;
    }
    rowscan_ctx s = {x, w, flags};
    mxi_parallel_for(rows, w ? 1 + 65536 / w : rows + 1, rowscan_range, &s);
    *count = 0;
    for (int64_t r = 0; r < rows; r++) *count += flags[r];
    return flags;
}
static int d2rsp_infer(mx_call *c) {
    const mx_tensor_s *x = c->in[0];
    MXI_TRY(require_values(c));
    if (x->ndim < 1) return mxi_op_error(c, MX_ERR_INVALID, "row_sparse needs an array of at least 1 dimension");
    MXI_TRY(require_value_dtype(c, x, 0));
    int64_t k = 0;
    unsigned char *flags = nonzero_rows(c, x, &k);
    if (!flags) return mx_last_error_code();
    free(flags);
    int64_t s[MX_MAX_NDIM];
    memcpy(s, x->shape, sizeof(int64_t) * (size_t)x->ndim);
    s[0] = k;
    mxi_set_out(c, 0, s, x->ndim, x->dtype);
    mxi_set_out(c, 1, &k, 1, MX_INT64);
    return MX_OK;
}
static int d2rsp_cpu(mx_call *c) {
    const mx_tensor_s *x = c->in[0];
    int64_t w = row_len(x->shape, x->ndim), k = 0, n = 0;
    unsigned char *flags = nonzero_rows(c, x, &n);
    if (!flags) return mx_last_error_code();
    size_t rb = (size_t)w * mxi_dtype_size(x->dtype);
    int64_t *ix = MXI_PTR(int64_t, c->out[1]);
    for (int64_t r = 0; r < x->shape[0]; r++) {
        if (!flags[r]) continue;
        memcpy((char *)mxi_data(c->out[0]) + (size_t)k * rb, (const char *)mxi_data(x) + (size_t)r * rb, rb);
        ix[k++] = r;
    }
    free(flags);
    return MX_OK;
}

/* ---- csr -> dense ---- */
static int csr2d_infer(mx_call *c) {
    int64_t rows = 0, cols = 0;
    MXI_TRY(csr_operand(c, 0, 0, &rows, &cols));
    int64_t s[2] = {rows, cols};
    mxi_set_out(c, 0, s, 2, c->in[0]->dtype);
    return MX_OK;
}
static int csr2d_cpu(mx_call *c) {
    const mx_tensor_s *data = c->in[0];
    const int64_t *ix = i64(c->in[1]), *p = i64(c->in[2]);
    int64_t rows = c->out_shape[0][0], cols = c->out_shape[0][1];
    size_t es = mxi_dtype_size(data->dtype);
    char *dst = mxi_data(c->out[0]);
    for (int64_t r = 0; r < rows; r++)
        for (int64_t k = p[r]; k < p[r + 1]; k++)
            memcpy(dst + (size_t)(r * cols + ix[k]) * es, (const char *)mxi_data(data) + (size_t)k * es, es);
    return MX_OK;
}

/* ---- row_sparse -> dense ---- */
static int rsp_shape_attr(mx_call *c, int64_t *shape, int *ndim) {
    const mx_attr_val *s = &c->attrs[0];
    if (s->is_none || s->n < 1) return mxi_op_error(c, MX_ERR_INVALID, "shape must have at least 1 dimension");
    for (int d = 0; d < s->n; d++) {
        if (s->v[d] < 0) return mxi_op_error(c, MX_ERR_INVALID, "shape has a negative dimension");
        shape[d] = s->v[d];
    }
    *ndim = s->n;
    return MX_OK;
}
/* The row_sparse operand at inputs first, first+1 for the `shape` attribute:
 * the shape (into shape/ndim), its value dtype and its format. */
static int rsp_operand(mx_call *c, int first, int float_only, int64_t *shape, int *ndim) {
    MXI_TRY(require_values(c));
    MXI_TRY(rsp_shape_attr(c, shape, ndim));
    MXI_TRY(require_value_dtype(c, c->in[first], float_only));
    return rsp_check(c, first, shape, *ndim);
}
static int rsp2d_infer(mx_call *c) {
    int64_t shape[MX_MAX_TUPLE];
    int nd = 0;
    MXI_TRY(rsp_operand(c, 0, 0, shape, &nd));
    mxi_set_out(c, 0, shape, nd, c->in[0]->dtype);
    return MX_OK;
}
static int rsp2d_cpu(mx_call *c) {
    const mx_tensor_s *data = c->in[0];
    const int64_t *ix = i64(c->in[1]);
    size_t rb = (size_t)row_len(c->out_shape[0], c->out_ndim[0]) * mxi_dtype_size(data->dtype);
    for (int64_t k = 0; k < c->in[1]->shape[0]; k++)
        memcpy((char *)mxi_data(c->out[0]) + (size_t)ix[k] * rb, (const char *)mxi_data(data) + (size_t)k * rb, rb);
    return MX_OK;
}

/* ---- format checks (check_format): validate and return nnz as (1,) int64 ---- */
static int csr_check_infer(mx_call *c) {
    int64_t rows = 0, cols = 0, one = 1;
    MXI_TRY(require_values(c));
    MXI_TRY(csr_shape(c, &rows, &cols));
    MXI_TRY(csr_check(c, 0, rows, cols));
    mxi_set_out(c, 0, &one, 1, MX_INT64);
    return MX_OK;
}
static int rsp_check_infer(mx_call *c) {
    int64_t shape[MX_MAX_TUPLE], one = 1;
    int nd = 0;
    MXI_TRY(require_values(c));
    MXI_TRY(rsp_shape_attr(c, shape, &nd));
    MXI_TRY(rsp_check(c, 0, shape, nd));
    mxi_set_out(c, 0, &one, 1, MX_INT64);
    return MX_OK;
}
static int nnz_cpu(mx_call *c) {
    MXI_PTR(int64_t, c->out[0])[0] = c->in[1]->shape[0];
    return MX_OK;
}

/* ---- csr . dense and csr^T . dense -> dense ---- */
enum { DOT_SHAPE, DOT_TA };
static int csr_dot_infer(mx_call *c) {
    int64_t rows = 0, cols = 0;
    MXI_TRY(csr_operand(c, 0, 1, &rows, &cols));
    int ta = (int)c->attrs[DOT_TA].i;
    MXI_TRY(dot_dense_operand(c, 3, 0, 0, ta ? rows : cols, rows, cols, ta ? "rhs (csr transposed)" : "rhs"));
    int64_t s[2] = {ta ? cols : rows, c->in[3]->shape[1]};
    mxi_set_out(c, 0, s, 2, c->in[3]->dtype);
    return MX_OK;
}

/* out[orow, :] += v * rhs[rrow, :] over n columns, typed */
static void axpy_row(const mx_tensor_s *rhs, mx_tensor_s *out, int64_t orow, int64_t rrow, double v, int64_t n) {
    if (out->dtype == MX_FLOAT64) {
        double *o = MXI_PTR(double, out) + orow * n;
        const double *r = MXI_PTR(const double, rhs) + rrow * n;
        for (int64_t j = 0; j < n; j++) o[j] += v * r[j];
    } else {
        float *o = MXI_PTR(float, out) + orow * n;
        const float *r = MXI_PTR(const float, rhs) + rrow * n;
        const float fv = (float)v;
        for (int64_t j = 0; j < n; j++) o[j] += fv * r[j];
    }
}

typedef struct {
    mx_call *c;
} dot_ctx;
/* rows [b, e) of csr . rhs: each output row is written by one job */
static void csr_dot_rows(void *ctx, int64_t b, int64_t e) {
    mx_call *c = ((dot_ctx *)ctx)->c;
    const int64_t *ix = i64(c->in[1]), *p = i64(c->in[2]);
    int64_t n = c->in[3]->shape[1];
    for (int64_t r = b; r < e; r++)
        for (int64_t k = p[r]; k < p[r + 1]; k++)
            axpy_row(c->in[3], c->out[0], r, ix[k], mxi_load_as_double(mxi_data(c->in[0]), c->in[0]->dtype, k), n);
}
static int csr_dot_cpu(mx_call *c) {
    const int64_t *ix = i64(c->in[1]), *p = i64(c->in[2]);
    int64_t rows = c->in[2]->shape[0] - 1, n = c->in[3]->shape[1];
    if (!c->attrs[DOT_TA].i) {
        dot_ctx d = {c};
        mxi_parallel_for(rows, 64, csr_dot_rows, &d);
        return MX_OK;
    }
    /* transposed: row r of the csr scatters into the output rows of its columns */
    for (int64_t r = 0; r < rows; r++)
        for (int64_t k = p[r]; k < p[r + 1]; k++)
            axpy_row(c->in[3], c->out[0], ix[k], r, mxi_load_as_double(mxi_data(c->in[0]), c->in[0]->dtype, k), n);
    return MX_OK;
}
/* d rhs = csr^T . dy (or csr . dy when transposed); the csr components get none */
static int csr_dot_grad(mx_grad_ctx *g) {
    if (!mxi_grad_needed(g, 3)) return MX_OK;
    char attrs[160], shp[96];
    const mx_call *c = g->call;
    mxi_attr_value_str(&c->op->attrs[DOT_SHAPE], &c->attrs[DOT_SHAPE], 0, shp, sizeof shp);
    snprintf(attrs, sizeof attrs, "shape=%s;transpose_a=%s", shp, c->attrs[DOT_TA].i ? "False" : "True");
    mx_tensor_s *in[4] = {g->in[0], g->in[1], g->in[2], g->ograd[0]};
    return mxi_call("_sparse_csr_dot", in, 4, attrs, &g->igrad[3], 1);
}

/* ---- csr^T . dense -> row_sparse (data, indices): rows = the csr's used columns ---- */
static int csr_tdot_infer(mx_call *c) {
    int64_t rows = 0, cols = 0;
    const mx_tensor_s *rhs = c->in[3];
    MXI_TRY(csr_operand(c, 0, 1, &rows, &cols));
    MXI_TRY(dot_dense_operand(c, 3, 0, 0, rows, rows, cols, "rhs (csr transposed)"));
    unsigned char *used = calloc((size_t)cols + 1, 1);
    if (!used) return mxi_op_error(c, MX_ERR_MEMORY, "out of memory");
    int64_t k = 0;
    for (int64_t i = 0; i < c->in[1]->shape[0]; i++) {
        int64_t j = i64(c->in[1])[i];
        k += !used[j];
        used[j] = 1;
    }
    free(used);
    int64_t s[2] = {k, rhs->shape[1]};
    mxi_set_out(c, 0, s, 2, rhs->dtype);
    mxi_set_out(c, 1, &k, 1, MX_INT64);
    return MX_OK;
}
static int csr_tdot_cpu(mx_call *c) {
    int64_t cols = c->attrs[0].v[1], rows = c->in[2]->shape[0] - 1, n = c->in[3]->shape[1];
    const int64_t *ix = i64(c->in[1]), *p = i64(c->in[2]);
    int64_t *slot = malloc(sizeof(int64_t) * (size_t)(cols + 1));
    if (!slot) return mxi_op_error(c, MX_ERR_MEMORY, "out of memory");
    for (int64_t j = 0; j < cols; j++) slot[j] = -1;
    for (int64_t i = 0; i < c->in[1]->shape[0]; i++) slot[ix[i]] = 0;
    int64_t k = 0, *oix = MXI_PTR(int64_t, c->out[1]);
    for (int64_t j = 0; j < cols; j++)
        if (slot[j] == 0) { slot[j] = k; oix[k++] = j; }
    for (int64_t r = 0; r < rows; r++)
        for (int64_t q = p[r]; q < p[r + 1]; q++)
            axpy_row(c->in[3], c->out[0], slot[ix[q]], r, mxi_load_as_double(mxi_data(c->in[0]), c->in[0]->dtype, q), n);
    free(slot);
    return MX_OK;
}

/* ---- dense . csr -> dense: lhs (m, rows) . csr (rows, cols) ---- */
static int dense_dot_csr_infer(mx_call *c) {
    int64_t rows = 0, cols = 0;
    MXI_TRY(csr_operand(c, 1, 1, &rows, &cols));
    MXI_TRY(dot_dense_operand(c, 0, 1, 1, rows, rows, cols, "lhs"));
    int64_t s[2] = {c->in[0]->shape[0], cols};
    mxi_set_out(c, 0, s, 2, c->in[0]->dtype);
    return MX_OK;
}
static int dense_dot_csr_cpu(mx_call *c) {
    const mx_tensor_s *lhs = c->in[0], *data = c->in[1];
    const int64_t *ix = i64(c->in[2]), *p = i64(c->in[3]);
    int64_t m = lhs->shape[0], rows = lhs->shape[1], cols = c->out_shape[0][1];
    for (int64_t i = 0; i < m; i++)
        for (int64_t r = 0; r < rows; r++) {
            double a = mxi_load_as_double(mxi_data(lhs), lhs->dtype, i * rows + r);
            if (a == 0) continue;
            for (int64_t k = p[r]; k < p[r + 1]; k++) {
                int64_t o = i * cols + ix[k];
                double v = mxi_load_as_double(mxi_data(c->out[0]), lhs->dtype, o);
                mxi_store_from_double(mxi_data(c->out[0]), lhs->dtype, o,
                                      v + a * mxi_load_as_double(mxi_data(data), data->dtype, k));
            }
        }
    return MX_OK;
}
/* d lhs = dy . csr^T = (csr . dy^T)^T */
static int dense_dot_csr_grad(mx_grad_ctx *g) {
    if (!mxi_grad_needed(g, 0)) return MX_OK;
    char attrs[160], shp[96];
    const mx_call *c = g->call;
    mxi_attr_value_str(&c->op->attrs[0], &c->attrs[0], 0, shp, sizeof shp);
    snprintf(attrs, sizeof attrs, "shape=%s", shp);
    mx_tensor_s *dyt = mxi_call1("transpose", NULL, 1, g->ograd[0]);
    if (!dyt) return mx_last_error_code();
    mx_tensor_s *in[4] = {g->in[1], g->in[2], g->in[3], dyt}, *prod = NULL;
    int rc = mxi_call("_sparse_csr_dot", in, 4, attrs, &prod, 1);
    mxi_tensor_release(dyt);
    if (rc != MX_OK) return rc;
    g->igrad[0] = mxi_call1("transpose", NULL, 1, prod);
    mxi_tensor_release(prod);
    return g->igrad[0] ? MX_OK : mx_last_error_code();
}

/* ---- merging two sorted index lists (row_sparse rows, csr columns of a row) ----
 * Walks ia[0..na) and ib[0..nb) in order; for each index in the union (add,
 * sub) or the intersection (mul) calls emit with the positions in a and b
 * (-1 where absent). Returns the count. */
enum { EW_ADD, EW_SUB, EW_MUL };
typedef void (*merge_fn)(void *ctx, int64_t idx, int64_t pa, int64_t pb);
static int64_t merge_sorted(const int64_t *ia, int64_t na, const int64_t *ib, int64_t nb, int op, merge_fn emit,
                            void *ctx) {
    int64_t i = 0, j = 0, n = 0;
    while (i < na || j < nb) {
        int64_t pa = -1, pb = -1, idx;
        if (j >= nb || (i < na && ia[i] < ib[j])) { idx = ia[i]; pa = i++; }
        else if (i >= na || ib[j] < ia[i]) { idx = ib[j]; pb = j++; }
        else { idx = ia[i]; pa = i++; pb = j++; }
        if (op == EW_MUL && (pa < 0 || pb < 0)) continue;
        if (emit) emit(ctx, idx, pa, pb);
        n++;
    }
    return n;
}

/* one merged entry: w values from a (row pa) and b (row pb) into out row k */
typedef struct {
    const mx_tensor_s *a, *b;
    mx_tensor_s *data, *idx;
    int64_t k, w, base_a, base_b;
    int op;
} ew_ctx;
static void ew_emit(void *ctx, int64_t idx, int64_t pa, int64_t pb) {
    ew_ctx *e = ctx;
    int dt = e->data->dtype;
    for (int64_t j = 0; j < e->w; j++) {
        double x = pa < 0 ? 0 : mxi_load_as_double(mxi_data(e->a), dt, (e->base_a + pa) * e->w + j);
        double y = pb < 0 ? 0 : mxi_load_as_double(mxi_data(e->b), dt, (e->base_b + pb) * e->w + j);
        double v = e->op == EW_ADD ? x + y : e->op == EW_SUB ? x - y : x * y;
        mxi_store_from_double(mxi_data(e->data), dt, e->k * e->w + j, v);
    }
    MXI_PTR(int64_t, e->idx)[e->k++] = idx;
}

static const mx_attr_spec ew_attrs[] = {
    A_SHAPE,
    {.name = "op", .type = MX_ATTR_ENUM, .def = "add", .choices = "add,sub,mul", .doc = "The elementwise operation."},
};
static int same_dtype2(mx_call *c, int a, int b) {
    MXI_TRY(require_value_dtype(c, c->in[a], 1));
    if (c->in[a]->dtype != c->in[b]->dtype)
        return mxi_op_error(c, MX_ERR_DTYPE, "both operands must have the same dtype, got %s and %s",
                            mxi_dtype_name(c->in[a]->dtype), mxi_dtype_name(c->in[b]->dtype));
    return MX_OK;
}
static int rsp_ew_infer(mx_call *c) {
    int64_t shape[MX_MAX_TUPLE];
    int nd = 0;
    MXI_TRY(require_values(c));
    MXI_TRY(rsp_shape_attr(c, shape, &nd));
    MXI_TRY(same_dtype2(c, 0, 2));
    MXI_TRY(rsp_check(c, 0, shape, nd));
    MXI_TRY(rsp_check(c, 2, shape, nd));
    int64_t k = merge_sorted(i64(c->in[1]), c->in[1]->shape[0], i64(c->in[3]), c->in[3]->shape[0],
                             (int)c->attrs[1].i, NULL, NULL);
    shape[0] = k;
    mxi_set_out(c, 0, shape, nd, c->in[0]->dtype);
    mxi_set_out(c, 1, &k, 1, MX_INT64);
    return MX_OK;
}
static int rsp_ew_cpu(mx_call *c) {
    ew_ctx e = {c->in[0], c->in[2], c->out[0], c->out[1], 0, row_len(c->out_shape[0], c->out_ndim[0]), 0, 0,
                (int)c->attrs[1].i};
    merge_sorted(i64(c->in[1]), c->in[1]->shape[0], i64(c->in[3]), c->in[3]->shape[0], e.op, ew_emit, &e);
    return MX_OK;
}

/* csr (op) csr, row by row */
static int csr_ew_infer(mx_call *c) {
    int64_t rows = 0, cols = 0;
    MXI_TRY(require_values(c));
    MXI_TRY(csr_shape(c, &rows, &cols));
    MXI_TRY(same_dtype2(c, 0, 3));
    MXI_TRY(csr_check(c, 0, rows, cols));
    MXI_TRY(csr_check(c, 3, rows, cols));
    const int64_t *pa = i64(c->in[2]), *pb = i64(c->in[5]), *ia = i64(c->in[1]), *ib = i64(c->in[4]);
    int64_t nnz = 0, np1 = rows + 1;
    for (int64_t r = 0; r < rows; r++)
        nnz += merge_sorted(ia + pa[r], pa[r + 1] - pa[r], ib + pb[r], pb[r + 1] - pb[r], (int)c->attrs[1].i, NULL, NULL);
    mxi_set_out(c, 0, &nnz, 1, c->in[0]->dtype);
    mxi_set_out(c, 1, &nnz, 1, MX_INT64);
    mxi_set_out(c, 2, &np1, 1, MX_INT64);
    return MX_OK;
}
static int csr_ew_cpu(mx_call *c) {
    int64_t rows = c->in[2]->shape[0] - 1;
    const int64_t *pa = i64(c->in[2]), *pb = i64(c->in[5]), *ia = i64(c->in[1]), *ib = i64(c->in[4]);
    int64_t *po = MXI_PTR(int64_t, c->out[2]);
    ew_ctx e = {c->in[0], c->in[3], c->out[0], c->out[1], 0, 1, 0, 0, (int)c->attrs[1].i};
    po[0] = 0;
    for (int64_t r = 0; r < rows; r++) {
        e.base_a = pa[r];
        e.base_b = pb[r];
        merge_sorted(ia + pa[r], pa[r + 1] - pa[r], ib + pb[r], pb[r + 1] - pb[r], e.op, ew_emit, &e);
        po[r + 1] = e.k;
    }
    return MX_OK;
}

/* ---- retain: the rows of a row_sparse array whose ids are in `keep` ---- */
static int cmp_i64(const void *a, const void *b) {
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}
static int in_sorted(const int64_t *v, int64_t n, int64_t key) {
    return bsearch(&key, v, (size_t)n, sizeof *v, cmp_i64) != NULL;
}
/* sorted copy of `keep` (any integer dtype) into a new int64 buffer */
static int64_t *sorted_keep(const mx_tensor_s *keep) {
    int64_t *v = malloc(sizeof(int64_t) * (size_t)(keep->size + 1));
    if (!v) return NULL;
    for (int64_t i = 0; i < keep->size; i++) v[i] = (int64_t)mxi_load_as_double(mxi_data(keep), keep->dtype, i);
    qsort(v, (size_t)keep->size, sizeof *v, cmp_i64);
    return v;
}
static int retain_infer(mx_call *c) {
    int64_t shape[MX_MAX_TUPLE];
    int nd = 0;
    MXI_TRY(rsp_operand(c, 0, 0, shape, &nd));
    if (c->in[2]->ndim != 1)
        return mxi_op_error(c, MX_ERR_INVALID, "the indices to retain must be 1-d, got %d dims", c->in[2]->ndim);
    int64_t *keep = sorted_keep(c->in[2]);
    if (!keep) return mxi_op_error(c, MX_ERR_MEMORY, "out of memory");
    int64_t k = 0;
    for (int64_t i = 0; i < c->in[1]->shape[0]; i++) k += in_sorted(keep, c->in[2]->size, i64(c->in[1])[i]);
    free(keep);
    shape[0] = k;
    mxi_set_out(c, 0, shape, nd, c->in[0]->dtype);
    mxi_set_out(c, 1, &k, 1, MX_INT64);
    return MX_OK;
}
static int retain_cpu(mx_call *c) {
    int64_t *keep = sorted_keep(c->in[2]);
    if (!keep) return mxi_op_error(c, MX_ERR_MEMORY, "out of memory");
    size_t rb = (size_t)row_len(c->in[0]->shape, c->in[0]->ndim) * mxi_dtype_size(c->in[0]->dtype);
    int64_t k = 0;
    for (int64_t i = 0; i < c->in[1]->shape[0]; i++) {
        int64_t id = i64(c->in[1])[i];
        if (!in_sorted(keep, c->in[2]->size, id)) continue;
        memcpy((char *)mxi_data(c->out[0]) + (size_t)k * rb, (const char *)mxi_data(c->in[0]) + (size_t)i * rb, rb);
        MXI_PTR(int64_t, c->out[1])[k++] = id;
    }
    free(keep);
    return MX_OK;
}

/* ---- sum / mean of a csr over an axis (None: all) ---- */
enum { SUM_SHAPE, SUM_AXIS, SUM_KEEP, SUM_MEAN };
static const mx_attr_spec csr_sum_attrs[] = {
    A_SHAPE,
    ATTR("axis", MX_ATTR_OPT_INT, "None", "0 (per column), 1 (per row) or None (everything)."),
    ATTR("keepdims", MX_ATTR_BOOL, "False", "Keep the reduced axis with length 1."),
    ATTR("mean", MX_ATTR_BOOL, "False", "Divide by the number of elements reduced (mean instead of sum)."),
};
static int csr_sum_infer(mx_call *c) {
    int64_t rows = 0, cols = 0;
    MXI_TRY(csr_operand(c, 0, 1, &rows, &cols));
    const mx_attr_val *ax = &c->attrs[SUM_AXIS];
    int keep = (int)c->attrs[SUM_KEEP].i;
    if (ax->is_none) {
        int64_t s[2] = {1, 1};
        mxi_set_out(c, 0, s, keep ? 2 : 1, c->in[0]->dtype);
        return MX_OK;
    }
    int a;
    MXI_TRY(mxi_norm_axis(c, ax->i, 2, &a));
    int64_t s[2] = {a == 0 ? 1 : rows, a == 0 ? cols : 1};
    if (keep) mxi_set_out(c, 0, s, 2, c->in[0]->dtype);
    else mxi_set_out(c, 0, a == 0 ? &s[1] : &s[0], 1, c->in[0]->dtype);
    return MX_OK;
}
static int csr_sum_cpu(mx_call *c) {
    int64_t rows = c->attrs[0].v[0], cols = c->attrs[0].v[1];
    const int64_t *ix = i64(c->in[1]), *p = i64(c->in[2]);
    const mx_attr_val *ax = &c->attrs[SUM_AXIS];
    int a = ax->is_none ? -1 : (ax->i < 0 ? (int)ax->i + 2 : (int)ax->i);
    void *o = mxi_data(c->out[0]);
    int dt = c->in[0]->dtype;
    for (int64_t r = 0; r < rows; r++)
        for (int64_t k = p[r]; k < p[r + 1]; k++) {
            int64_t slot = a < 0 ? 0 : a == 0 ? ix[k] : r;
            mxi_store_from_double(o, dt, slot, mxi_load_as_double(o, dt, slot) + mxi_load_as_double(mxi_data(c->in[0]), dt, k));
        }
    if (c->attrs[SUM_MEAN].i) {
        double n = a < 0 ? (double)rows * (double)cols : a == 0 ? (double)rows : (double)cols;
        for (int64_t i = 0; i < c->out[0]->size; i++)
            mxi_store_from_double(o, dt, i, n > 0 ? mxi_load_as_double(o, dt, i) / n : NAN);
    }
    return MX_OK;
}

static const mx_attr_spec shape_attrs[] = {A_SHAPE};
static const mx_attr_spec dot_attrs[] = {
    A_SHAPE,
    ATTR("transpose_a", MX_ATTR_BOOL, "False", "Use the transpose of the csr matrix."),
};

#define CSR_IN "data,indices,indptr"
#define RSP_IN "data,indices"
static const mx_op_def ops[] = {
    {.name = "_sparse_csr_from_dense", .doc = "Dense 2-d array -> the CSR components (data, indices, indptr).",
     .inputs = "data", .num_outputs = 3, .output_names = "data,indices,indptr", .infer = d2csr_infer,
     .cpu = d2csr_cpu, .dtypes = MX_DT_ALL, .flags = SP_FLAGS | MX_OPF_WRITES_ALL},
    {.name = "_sparse_rsp_from_dense", .doc = "Dense array -> the row_sparse components (data, indices) of its "
     "non-zero rows.", .inputs = "data", .num_outputs = 2, .output_names = "data,indices", .infer = d2rsp_infer,
     .cpu = d2rsp_cpu, .dtypes = MX_DT_ALL, .flags = SP_FLAGS | MX_OPF_WRITES_ALL},
    {.name = "_sparse_csr_to_dense", .doc = "The dense matrix of CSR components of the given shape.",
     .inputs = CSR_IN, .num_outputs = 1, NA(shape_attrs), .infer = csr2d_infer, .cpu = csr2d_cpu,
     .dtypes = MX_DT_ALL, .flags = SP_FLAGS},
    {.name = "_sparse_rsp_to_dense", .doc = "The dense array of row_sparse components of the given shape.",
     .inputs = RSP_IN, .num_outputs = 1, NA(shape_attrs), .infer = rsp2d_infer, .cpu = rsp2d_cpu,
     .dtypes = MX_DT_ALL, .flags = SP_FLAGS},
    {.name = "_sparse_csr_check", .doc = "Validates CSR components for a shape (sorted, in-range indices; "
     "consistent indptr); returns nnz as a (1,) int64 array.", .inputs = CSR_IN, .num_outputs = 1,
     NA(shape_attrs), .infer = csr_check_infer, .cpu = nnz_cpu, .dtypes = MX_DT_ALL, .flags = SP_FLAGS},
    {.name = "_sparse_rsp_check", .doc = "Validates row_sparse components for a shape (sorted, in-range, unique row "
     "ids); returns the row count as a (1,) int64 array.", .inputs = RSP_IN, .num_outputs = 1,
     NA(shape_attrs), .infer = rsp_check_infer, .cpu = nnz_cpu, .dtypes = MX_DT_ALL, .flags = SP_FLAGS},
    {.name = "_sparse_csr_dot", .doc = "csr . rhs (or csr^T . rhs with transpose_a) as a dense matrix; "
     "differentiable in rhs.", .inputs = CSR_IN ",rhs", .num_outputs = 1, NA(dot_attrs), .infer = csr_dot_infer,
     .cpu = csr_dot_cpu, .grad = csr_dot_grad, .dtypes = MX_DT_ALL,
     .flags = MX_OPF_INTERNAL | MX_OPF_NO_INPUT_CAST},
    {.name = "_sparse_csr_t_dot_rsp", .doc = "csr^T . rhs as row_sparse components (data, indices): rows are the "
     "csr's used columns.", .inputs = CSR_IN ",rhs", .num_outputs = 2, .output_names = "data,indices",
     NA(shape_attrs), .infer = csr_tdot_infer, .cpu = csr_tdot_cpu, .dtypes = MX_DT_ALL, .flags = SP_FLAGS},
    {.name = "_sparse_dense_dot_csr", .doc = "lhs . csr as a dense matrix; differentiable in lhs.",
     .inputs = "lhs," CSR_IN, .num_outputs = 1, NA(shape_attrs), .infer = dense_dot_csr_infer,
     .cpu = dense_dot_csr_cpu, .grad = dense_dot_csr_grad, .dtypes = MX_DT_ALL,
     .flags = MX_OPF_INTERNAL | MX_OPF_NO_INPUT_CAST},
    {.name = "_sparse_rsp_elemwise", .doc = "Two row_sparse arrays of one shape combined elementwise (add, sub: the "
     "union of their rows; mul: the rows both hold) as row_sparse components.", .inputs = "lhs_data,lhs_indices,"
     "rhs_data,rhs_indices", .num_outputs = 2, .output_names = "data,indices", NA(ew_attrs),
     .infer = rsp_ew_infer, .cpu = rsp_ew_cpu, .dtypes = MX_DT_ALL, .flags = SP_FLAGS | MX_OPF_WRITES_ALL},
    {.name = "_sparse_csr_elemwise", .doc = "Two csr matrices of one shape combined elementwise (add, sub: the union "
     "of their entries; mul: the common ones) as CSR components.", .inputs = "lhs_data,lhs_indices,lhs_indptr,"
     "rhs_data,rhs_indices,rhs_indptr", .num_outputs = 3, .output_names = "data,indices,indptr", NA(ew_attrs),
     .infer = csr_ew_infer, .cpu = csr_ew_cpu, .dtypes = MX_DT_ALL, .flags = SP_FLAGS | MX_OPF_WRITES_ALL},
    {.name = "_sparse_retain", .doc = "The rows of a row_sparse array whose ids appear in `keep` (row_sparse "
     "components).", .inputs = RSP_IN ",keep", .num_outputs = 2, .output_names = "data,indices",
     NA(shape_attrs), .infer = retain_infer, .cpu = retain_cpu, .dtypes = MX_DT_ALL,
     .flags = SP_FLAGS | MX_OPF_WRITES_ALL},
    {.name = "_sparse_csr_sum", .doc = "Sum (or mean) of a csr matrix over axis 0, 1 or everything, as a dense "
     "array.", .inputs = CSR_IN, .num_outputs = 1, NA(csr_sum_attrs), .infer = csr_sum_infer, .cpu = csr_sum_cpu,
     .dtypes = MX_DT_ALL, .flags = SP_FLAGS},
};

void mxi_register_sparse(void) { mxi_register_ops(ops, (int)(sizeof ops / sizeof ops[0])); }
