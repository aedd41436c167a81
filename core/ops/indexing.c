/* indexing.c — take, pick, one_hot, where, gather_nd, scatter_nd, topk, sort,
 * argsort, SequenceMask/Last/Reverse, boolean_mask and the internal
 * _slice_assign/_slice_assign_scalar used by __setitem__.
 *
 * Data movement copies elements by size (any dtype); indices are read as
 * doubles whatever their dtype. Backward kernels scatter-add in float/double. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../../backends/cpu/cpu.h"
#include "../op.h"
#include "sort_order.h"
#include "shape_util.h"

static char *sstr(const int64_t *s, int n, char *b) { return mxi_shape_str(s, n, b, 160); }

static inline double ld(const mx_tensor_s *t, int64_t i) { return mxi_load_as_double(mxi_data(t), t->dtype, i); }

static inline void cpy(char *dst, int64_t di, const char *src, int64_t si, size_t esz, int64_t n) {
    memcpy(dst + (size_t)di * esz, src + (size_t)si * esz, (size_t)n * esz);
}

static inline void addv(void *dst, int64_t di, const void *src, int64_t si, int dtype, int64_t n) {
    if (dtype == MX_FLOAT64) for (int64_t j = 0; j < n; j++) ((double *)dst)[di + j] += ((const double *)src)[si + j];
    else for (int64_t j = 0; j < n; j++) ((float *)dst)[di + j] += ((const float *)src)[si + j];
}

/* index normalisation: mode 0 clip, 1 wrap, 2 raise (returns -1 if bad) */
static inline int64_t norm_index(double v, int64_t n, int mode) {
    int64_t i = (int64_t)floor(v);
    if (mode == 1) return n ? ((i % n) + n) % n : 0;
    if (mode == 2) return (i < -n || i >= n) ? -1 : (i < 0 ? i + n : i);
    return i < 0 ? 0 : (i >= n ? n - 1 : i);
}

#define IDX_ANY (MX_DT_ALL)

/* ---- take ---- */
enum { TK_AXIS, TK_MODE };
static int take_infer(mx_call *c) {
    const mx_tensor_s *a = c->in[0], *idx = c->in[1];
    int ax;
    if (a->ndim == 0) return mxi_op_error(c, MX_ERR_INVALID, "data must be at least 1-d");
    MXI_TRY(mxi_norm_axis(c, c->attrs[TK_AXIS].i, a->ndim, &ax));
    if (a->ndim - 1 + idx->ndim > MX_MAX_NDIM) return mxi_op_error(c, MX_ERR_INVALID, "output would have too many dims");
    int64_t s[MX_MAX_NDIM];
    int n = 0;
    for (int i = 0; i < ax; i++) s[n++] = a->shape[i];
    for (int i = 0; i < idx->ndim; i++) s[n++] = idx->shape[i];
    for (int i = ax + 1; i < a->ndim; i++) s[n++] = a->shape[i];
    mxi_set_out(c, 0, s, n, a->dtype);
    return MX_OK;
}

static void take_dims(const mx_call *c, const mx_tensor_s *a, int64_t *outer, int64_t *n, int64_t *inner) {
    int ax = (int)((c->attrs[TK_AXIS].i + a->ndim) % a->ndim);
    *outer = 1; *inner = 1;
    for (int i = 0; i < ax; i++) *outer *= a->shape[i];
    for (int i = ax + 1; i < a->ndim; i++) *inner *= a->shape[i];
    *n = a->shape[ax];
}

static int take_cpu(mx_call *c) {
    const mx_tensor_s *a = c->in[0], *idx = c->in[1];
    int64_t outer, n, inner, m = idx->size;
    take_dims(c, a, &outer, &n, &inner);
    size_t esz = mxi_dtype_size(a->dtype);
    int mode = (int)c->attrs[TK_MODE].i;
    if (n == 0 && m) return mxi_op_error(c, MX_ERR_INVALID, "cannot take from an empty axis");
    for (int64_t j = 0; j < m; j++) {
        double v = ld(idx, j);
        int64_t k = norm_index(v, n, mode);
        if (k < 0) return mxi_op_error(c, MX_ERR_INVALID, "index %g is out of range for axis of size %lld (mode=raise)", v, (long long)n);
        for (int64_t o = 0; o < outer; o++) cpy(mxi_data(c->out[0]), (o * m + j) * inner, mxi_data(a), (o * n + k) * inner, esz, inner);
    }
    return MX_OK;
}

/* _backward_take(ograd, indices, data): zeros(data) with rows += ograd */
static int take_bw_infer(mx_call *c) {
    const mx_tensor_s *og = c->in[0], *idx = c->in[1], *a = c->in[2];
    int ax;
    if (a->ndim == 0) return mxi_op_error(c, MX_ERR_INVALID, "data must be at least 1-d");
    MXI_TRY(mxi_norm_axis(c, c->attrs[TK_AXIS].i, a->ndim, &ax));
    if (og->size != a->size / (a->shape[ax] ? a->shape[ax] : 1) * idx->size || (a->shape[ax] == 0 && og->size))
        return mxi_op_error(c, MX_ERR_INVALID, "output gradient size %lld does not match take's output for these indices",
                            (long long)og->size);
    mxi_set_out(c, 0, a->shape, a->ndim, og->dtype);
    return MX_OK;
}

static int take_bw_cpu(mx_call *c) {
    const mx_tensor_s *og = c->in[0], *idx = c->in[1], *a = c->in[2];
    int64_t outer, n, inner, m = idx->size;
    take_dims(c, a, &outer, &n, &inner);
    int mode = (int)c->attrs[TK_MODE].i;
    for (int64_t j = 0; j < m; j++) {
        int64_t k = norm_index(ld(idx, j), n, mode);
        if (k < 0) continue;
        for (int64_t o = 0; o < outer; o++) addv(mxi_data(c->out[0]), (o * n + k) * inner, mxi_data(og), (o * m + j) * inner, og->dtype, inner);
    }
    return MX_OK;
}

static int take_grad(mx_grad_ctx *g) {
    char a[256];
    MXI_TRY(mxi_attrs_string(g->call, a, sizeof a));
    g->igrad[0] = mxi_call1("_backward_take", a, 3, g->ograd[0], g->in[1], g->in[0]);
    return g->igrad[0] ? MX_OK : mx_last_error_code();
}

/* ---- pick ---- */
enum { PK_AXIS, PK_KEEPDIMS, PK_MODE };
static int pick_axis(const mx_call *c, const mx_tensor_s *x, int *ax) {
    if (c->attrs[PK_AXIS].is_none) return mxi_op_error(c, MX_ERR_INVALID, "axis=None is not supported");
    return mxi_norm_axis(c, c->attrs[PK_AXIS].i, x->ndim, ax);
}

static int pick_infer(mx_call *c) {
    const mx_tensor_s *x = c->in[0], *idx = c->in[1];
    int ax;
    if (x->ndim == 0) return mxi_op_error(c, MX_ERR_INVALID, "data must be at least 1-d");
    MXI_TRY(pick_axis(c, x, &ax));
    int64_t s[MX_MAX_NDIM];
    int n = 0;
    for (int i = 0; i < x->ndim; i++) {
        if (i != ax) s[n++] = x->shape[i];
        else if (c->attrs[PK_KEEPDIMS].i) s[n++] = 1;
    }
    if (mxi_shape_size(s, n) != idx->size) {
        char s1[160], s2[160];
        return mxi_op_error(c, MX_ERR_INVALID, "index shape %s does not match data %s without axis %d",
                            sstr(idx->shape, idx->ndim, s1), sstr(x->shape, x->ndim, s2), ax);
    }
    mxi_set_out(c, 0, s, n, x->dtype);
    return MX_OK;
}

static void pick_walk(mx_call *c, const mx_tensor_s *x, const mx_tensor_s *idx, void *dst, const void *src, int bw) {
    int ax;
    pick_axis(c, x, &ax);
    int64_t outer = 1, inner = 1, n = x->shape[ax];
    for (int i = 0; i < ax; i++) outer *= x->shape[i];
    for (int i = ax + 1; i < x->ndim; i++) inner *= x->shape[i];
    int mode = c->attrs[PK_MODE].i ? 1 : 0;
    size_t esz = mxi_dtype_size(x->dtype);
    for (int64_t o = 0; o < outer; o++)
        for (int64_t j = 0; j < inner; j++) {
            int64_t k = norm_index(ld(idx, o * inner + j), n, mode);
            int64_t xi = (o * n + k) * inner + j, oi = o * inner + j;
            if (bw) addv(dst, xi, src, oi, x->dtype, 1);
            else cpy(dst, oi, src, xi, esz, 1);
        }
}

static int pick_cpu(mx_call *c) {
    if (c->in[0]->shape[0] == 0 || c->in[0]->size == 0) return MX_OK;
    pick_walk(c, c->in[0], c->in[1], mxi_data(c->out[0]), mxi_data(c->in[0]), 0);
    return MX_OK;
}

/* _backward_pick(ograd, index, data): ograd and index hold one value per
 * position of data without `axis` */
static int pick_bw_infer(mx_call *c) {
    const mx_tensor_s *og = c->in[0], *idx = c->in[1], *x = c->in[2];
    int ax;
    if (x->ndim == 0) return mxi_op_error(c, MX_ERR_INVALID, "data must be at least 1-d");
    MXI_TRY(pick_axis(c, x, &ax));
    int64_t per = x->shape[ax] ? x->size / x->shape[ax] : mxi_shape_size(x->shape, ax) * mxi_shape_size(x->shape + ax + 1, x->ndim - ax - 1);
    if (og->size != per || idx->size != per)
        return mxi_op_error(c, MX_ERR_INVALID, "ograd and index must hold %lld values (data without axis %d)", (long long)per, ax);
    mxi_set_out(c, 0, x->shape, x->ndim, og->dtype);
    return MX_OK;
}

static int pick_bw_cpu(mx_call *c) {
    /* (ograd, index, data) */
    if (c->in[2]->size == 0) return MX_OK;
    mx_tensor_s *x = c->out[0];
    pick_walk(c, x, c->in[1], mxi_data(c->out[0]), mxi_data(c->in[0]), 1);
    return MX_OK;
}

static int pick_grad(mx_grad_ctx *g) {
    char a[256];
    MXI_TRY(mxi_attrs_string(g->call, a, sizeof a));
    g->igrad[0] = mxi_call1("_backward_pick", a, 3, g->ograd[0], g->in[1], g->in[0]);
    return g->igrad[0] ? MX_OK : mx_last_error_code();
}

/* ---- one_hot ---- */
enum { OH_DEPTH, OH_ON, OH_OFF, OH_DTYPE };
static int one_hot_infer(mx_call *c) {
    const mx_tensor_s *idx = c->in[0];
    if (idx->ndim >= MX_MAX_NDIM) return mxi_op_error(c, MX_ERR_INVALID, "indices have too many dims");
    int64_t s[MX_MAX_NDIM];
    memcpy(s, idx->shape, sizeof(int64_t) * (size_t)idx->ndim);
    s[idx->ndim] = c->attrs[OH_DEPTH].i;
    mxi_set_out(c, 0, s, idx->ndim + 1, c->attrs[OH_DTYPE].i < 0 ? MX_FLOAT32 : (int)c->attrs[OH_DTYPE].i);
    return MX_OK;
}

static int one_hot_cpu(mx_call *c) {
    const mx_tensor_s *idx = c->in[0];
    mx_tensor_s *o = c->out[0];
    int64_t d = c->attrs[OH_DEPTH].i;
    double on = c->attrs[OH_ON].f, off = c->attrs[OH_OFF].f;
    void *p = mxi_data(o);
    for (int64_t i = 0; i < idx->size; i++) {
        int64_t k = (int64_t)floor(ld(idx, i));
        for (int64_t j = 0; j < d; j++) mxi_store_from_double(p, o->dtype, i * d + j, j == k ? on : off);
    }
    return MX_OK;
}

/* ---- where ---- */
static int where_infer(mx_call *c) {
    const mx_tensor_s *cd = c->in[0], *x = c->in[1], *y = c->in[2];
    char s1[160], s2[160], s3[160];
    if (!mxr_same_shape(x, y) || x->dtype != y->dtype)
        return mxi_op_error(c, MX_ERR_INVALID, "x %s and y %s must have the same shape and dtype",
                            sstr(x->shape, x->ndim, s1), sstr(y->shape, y->ndim, s2));
    int ok = mxr_same_shape(cd, x) || (cd->ndim == 1 && x->ndim >= 1 && cd->shape[0] == x->shape[0]);
    if (!ok)
        return mxi_op_error(c, MX_ERR_INVALID, "condition %s must have the shape of x %s or be 1-d over its first axis",
                            sstr(cd->shape, cd->ndim, s3), sstr(x->shape, x->ndim, s1));
    mxi_same_as_in(c, 0, 1);
    return MX_OK;
}

/* out = cond != 0 ? x : y elementwise, float32 condition, 4-byte values:
 * the common case in one selecting loop (per element the general path
 * converts the condition to double and calls memcpy) */
static void where_f32_cond4(const float *cd, const uint32_t *x, const uint32_t *y, uint32_t *o, int64_t n) {
    for (int64_t i = 0; i < n; i++) o[i] = cd[i] != 0 ? x[i] : y[i];
}

static int where_cpu(mx_call *c) {
    const mx_tensor_s *cd = c->in[0], *x = c->in[1], *y = c->in[2];
    int64_t inner = (cd->size == x->size) ? 1 : (cd->size ? x->size / cd->size : 0);
    size_t esz = mxi_dtype_size(x->dtype);
    if (inner == 1 && cd->dtype == MX_FLOAT32 && esz == 4) {
        where_f32_cond4(mxi_data(cd), mxi_data(x), mxi_data(y), mxi_data(c->out[0]), cd->size);
        return MX_OK;
    }
    for (int64_t i = 0; i < cd->size; i++) {
        const mx_tensor_s *src = ld(cd, i) != 0 ? x : y;
        cpy(mxi_data(c->out[0]), i * inner, mxi_data(src), i * inner, esz, inner);
    }
    return MX_OK;
}

static int where_grad(mx_grad_ctx *g) {
    mx_tensor_s *z = mxi_call1("zeros_like", NULL, 1, g->ograd[0]);
    if (!z) return mx_last_error_code();
    g->igrad[1] = mxi_call1("where", NULL, 3, g->in[0], g->ograd[0], z);
    g->igrad[2] = g->igrad[1] ? mxi_call1("where", NULL, 3, g->in[0], z, g->ograd[0]) : NULL;
    mxi_tensor_release(z);
    return g->igrad[2] ? MX_OK : mx_last_error_code();
}

/* ---- gather_nd / scatter_nd ---- */
static int gnd_check(mx_call *c, const mx_tensor_s *data_like, const int64_t *dshape, int dnd, const mx_tensor_s *idx) {
    (void)data_like;
    char s1[160], s2[160];
    if (idx->ndim < 1 || idx->shape[0] > dnd || idx->shape[0] < 1)
        return mxi_op_error(c, MX_ERR_INVALID, "indices %s: first dim must be between 1 and the data rank of %s",
                            sstr(idx->shape, idx->ndim, s1), sstr(dshape, dnd, s2));
    return MX_OK;
}

static int gather_nd_infer(mx_call *c) {
    const mx_tensor_s *d = c->in[0], *idx = c->in[1];
    MXI_TRY(gnd_check(c, d, d->shape, d->ndim, idx));
    int m = (int)idx->shape[0];
    int64_t s[MX_MAX_NDIM];
    int n = 0;
    for (int i = 1; i < idx->ndim; i++) s[n++] = idx->shape[i];
    for (int i = m; i < d->ndim; i++) s[n++] = d->shape[i];
    if (n > MX_MAX_NDIM) return mxi_op_error(c, MX_ERR_INVALID, "output would have too many dims");
    mxi_set_out(c, 0, s, n, d->dtype);
    return MX_OK;
}

/* walk: for each index tuple j, data offset (in units of `inner`) or -1 */
static int64_t gnd_offset(const mx_tensor_s *idx, const int64_t *dshape, int64_t j, int64_t cnt) {
    int m = (int)idx->shape[0];
    int64_t off = 0;
    for (int k = 0; k < m; k++) {
        int64_t v = (int64_t)floor(ld(idx, k * cnt + j));
        if (v < 0) v += dshape[k];
        if (v < 0 || v >= dshape[k]) return -1;
        off = off * dshape[k] + v;
    }
    return off;
}

static int gather_nd_cpu(mx_call *c) {
    const mx_tensor_s *d = c->in[0], *idx = c->in[1];
    int m = (int)idx->shape[0];
    int64_t cnt = idx->size / m, inner = 1;
    for (int i = m; i < d->ndim; i++) inner *= d->shape[i];
    size_t esz = mxi_dtype_size(d->dtype);
    for (int64_t j = 0; j < cnt; j++) {
        int64_t off = gnd_offset(idx, d->shape, j, cnt);
        if (off < 0) return mxi_op_error(c, MX_ERR_INVALID, "index tuple %lld is out of bounds", (long long)j);
        cpy(mxi_data(c->out[0]), j * inner, mxi_data(d), off * inner, esz, inner);
    }
    return MX_OK;
}

/* scatter into a tensor of shape `shape`: out[idx[:, j]] (+)= data[j] */
static int scatter_nd_into(mx_call *c, const mx_tensor_s *data, const mx_tensor_s *idx, mx_tensor_s *out, int add) {
    int m = (int)idx->shape[0];
    int64_t cnt = idx->size / m, inner = 1;
    for (int i = m; i < out->ndim; i++) inner *= out->shape[i];
    size_t esz = mxi_dtype_size(out->dtype);
    for (int64_t j = 0; j < cnt; j++) {
        int64_t off = gnd_offset(idx, out->shape, j, cnt);
        if (off < 0) return mxi_op_error(c, MX_ERR_INVALID, "index tuple %lld is out of bounds", (long long)j);
        if (add) addv(mxi_data(out), off * inner, mxi_data(data), j * inner, out->dtype, inner);
        else cpy(mxi_data(out), off * inner, mxi_data(data), j * inner, esz, inner);
    }
    return MX_OK;
}

/* Validate scattering `d` through `idx` into shape (shape, n) and set the
 * output (scatter_nd, and gather_nd's backward into data's shape). */
static int scatter_shape_infer(mx_call *c, const mx_tensor_s *d, const mx_tensor_s *idx, const int64_t *shape, int nsh) {
    if (nsh > MX_MAX_NDIM) return mxi_op_error(c, MX_ERR_INVALID, "shape has too many dims");
    MXI_TRY(gnd_check(c, d, shape, nsh, idx));
    int m = (int)idx->shape[0];
    int64_t want[MX_MAX_NDIM];
    int n = 0;
    for (int i = 1; i < idx->ndim; i++) want[n++] = idx->shape[i];
    for (int i = m; i < nsh; i++) want[n++] = shape[i];
    if (n != d->ndim || memcmp(want, d->shape, sizeof(int64_t) * (size_t)n)) {
        char s1[160], s2[160];
        return mxi_op_error(c, MX_ERR_INVALID, "data shape %s does not match the expected %s",
                            sstr(d->shape, d->ndim, s1), sstr(want, n, s2));
    }
    mxi_set_out(c, 0, shape, nsh, d->dtype);
    return MX_OK;
}

static int scatter_nd_infer(mx_call *c) {
    return scatter_shape_infer(c, c->in[0], c->in[1], c->attrs[0].v, c->attrs[0].n);
}

/* _backward_gather_nd(ograd, indices, data) */
static int gnd_bw_infer(mx_call *c) {
    return scatter_shape_infer(c, c->in[0], c->in[1], c->in[2]->shape, c->in[2]->ndim);
}

static int scatter_nd_cpu(mx_call *c) { return scatter_nd_into(c, c->in[0], c->in[1], c->out[0], 0); }
static int gnd_bw_cpu(mx_call *c) { return scatter_nd_into(c, c->in[0], c->in[1], c->out[0], 1); }

static int gather_nd_grad(mx_grad_ctx *g) {
    g->igrad[0] = mxi_call1("_backward_gather_nd", NULL, 3, g->ograd[0], g->in[1], g->in[0]);
    return g->igrad[0] ? MX_OK : mx_last_error_code();
}

static int scatter_nd_grad(mx_grad_ctx *g) {
    g->igrad[0] = mxi_call1("gather_nd", NULL, 2, g->ograd[0], g->in[1]);
    return g->igrad[0] ? MX_OK : mx_last_error_code();
}

/* ---- sort / argsort / topk ---- */
/* sorted order along an axis (or flattened): calls fn(line, rank, src_index) */
typedef struct {
    int64_t outer, n, inner;
} line_dims;

static int sort_dims(const mx_call *c, const mx_attr_val *axis, const mx_tensor_s *x, line_dims *d, int *ax) {
    if (axis->is_none) { d->outer = 1; d->n = x->size; d->inner = 1; *ax = -1; return MX_OK; }
    if (x->ndim == 0) return mxi_op_error(c, MX_ERR_INVALID, "data must be at least 1-d");
    MXI_TRY(mxi_norm_axis(c, axis->i, x->ndim, ax));
    d->outer = 1; d->inner = 1;
    for (int i = 0; i < *ax; i++) d->outer *= x->shape[i];
    for (int i = *ax + 1; i < x->ndim; i++) d->inner *= x->shape[i];
    d->n = x->shape[*ax];
    return MX_OK;
}

/* order[line * k + r] = source position (0..n-1) of rank r, for the first k ranks (sort_order.c) */
static int64_t *sorted_order(const mx_tensor_s *x, const line_dims *d, int asc, int64_t k) {
    return mxi_sorted_order(x, d->outer, d->n, d->inner, asc != 0, k);
}

/* out[(o*k + r)*inner + j] = x[(o*n + order[l*k + r])*inner + j]: the ranked
 * values, copied by element size (a memcpy call per element cost more than
 * the ranking) */
static void put_values(void *out, const void *x, size_t esz, const line_dims *d, int64_t k, const int64_t *order) {
    for (int64_t l = 0; l < d->outer * d->inner; l++) {
        const int64_t o = l / d->inner, j = l % d->inner, in0 = o * d->n * d->inner + j, out0 = o * k * d->inner + j;
        const int64_t *ord = order + l * k;
        if (esz == 4) {
            for (int64_t r = 0; r < k; r++)
                ((uint32_t *)out)[out0 + r * d->inner] = ((const uint32_t *)x)[in0 + ord[r] * d->inner];
        } else if (esz == 8) {
            for (int64_t r = 0; r < k; r++)
                ((uint64_t *)out)[out0 + r * d->inner] = ((const uint64_t *)x)[in0 + ord[r] * d->inner];
        } else {
            for (int64_t r = 0; r < k; r++) cpy(out, out0 + r * d->inner, x, in0 + ord[r] * d->inner, esz, 1);
        }
    }
}

/* the ranked positions as numbers of out's dtype, laid out as put_values */
static void put_indices(mx_tensor_s *out, const line_dims *d, int64_t k, const int64_t *order) {
    void *p = mxi_data(out);
    for (int64_t l = 0; l < d->outer * d->inner; l++) {
        const int64_t o = l / d->inner, j = l % d->inner, out0 = o * k * d->inner + j;
        const int64_t *ord = order + l * k;
        switch (out->dtype) {
        case MX_FLOAT32: for (int64_t r = 0; r < k; r++) ((float *)p)[out0 + r * d->inner] = (float)ord[r]; break;
        case MX_FLOAT64: for (int64_t r = 0; r < k; r++) ((double *)p)[out0 + r * d->inner] = (double)ord[r]; break;
        case MX_INT32: for (int64_t r = 0; r < k; r++) ((int32_t *)p)[out0 + r * d->inner] = (int32_t)ord[r]; break;
        case MX_INT64: for (int64_t r = 0; r < k; r++) ((int64_t *)p)[out0 + r * d->inner] = ord[r]; break;
        default:
            for (int64_t r = 0; r < k; r++) mxi_store_from_double(p, out->dtype, out0 + r * d->inner, (double)ord[r]);
        }
    }
}

enum { TOPK_AXIS, TOPK_K, TOPK_RET, TOPK_ASC, TOPK_DTYPE };
enum { RET_VALUE, RET_INDICES, RET_MASK, RET_BOTH };

static int topk_nout(const mx_call *c) { return c->attrs[TOPK_RET].i == RET_BOTH ? 2 : 1; }

static int64_t topk_k(const mx_call *c, const line_dims *d) {
    int64_t k = c->attrs[TOPK_K].i;
    return (k <= 0 || k > d->n) ? d->n : k;
}

static int topk_infer(mx_call *c) {
    const mx_tensor_s *x = c->in[0];
    line_dims d = {0, 0, 0};
    int ax;
    MXI_TRY(sort_dims(c, &c->attrs[TOPK_AXIS], x, &d, &ax));
    int64_t k = c->attrs[TOPK_K].i;
    if (k > d.n) return mxi_op_error(c, MX_ERR_INVALID, "k=%lld is larger than the axis size %lld", (long long)k, (long long)d.n);
    k = topk_k(c, &d);
    int64_t s[MX_MAX_NDIM];
    int n;
    if (ax < 0) { s[0] = k; n = 1; }
    else { memcpy(s, x->shape, sizeof(int64_t) * (size_t)x->ndim); s[ax] = k; n = x->ndim; }
    int idt = c->attrs[TOPK_DTYPE].i < 0 ? MX_FLOAT32 : (int)c->attrs[TOPK_DTYPE].i;
    switch (c->attrs[TOPK_RET].i) {
    case RET_VALUE: mxi_set_out(c, 0, s, n, x->dtype); break;
    case RET_INDICES: mxi_set_out(c, 0, s, n, idt); break;
    case RET_MASK: mxi_same_as_in(c, 0, 0); break;
    default: mxi_set_out(c, 0, s, n, x->dtype); mxi_set_out(c, 1, s, n, idt); break;
    }
    return MX_OK;
}

static int topk_cpu(mx_call *c) {
    const mx_tensor_s *x = c->in[0];
    line_dims d = {0, 0, 0};
    int ax;
    MXI_TRY(sort_dims(c, &c->attrs[TOPK_AXIS], x, &d, &ax));
    int64_t k = topk_k(c, &d);
    int64_t *order = sorted_order(x, &d, (int)c->attrs[TOPK_ASC].i, k);
    if (!order) return mx_last_error_code();
    int ret = (int)c->attrs[TOPK_RET].i;
    if (ret == RET_MASK) {
        for (int64_t l = 0; l < d.outer * d.inner; l++) {
            int64_t o = l / d.inner, j = l % d.inner;
            for (int64_t r = 0; r < k; r++)
                mxi_store_from_double(mxi_data(c->out[0]), x->dtype, (o * d.n + order[l * k + r]) * d.inner + j, 1.0);
        }
    }
    if (ret == RET_VALUE || ret == RET_BOTH)
        put_values(mxi_data(c->out[0]), mxi_data(x), mxi_dtype_size(x->dtype), &d, k, order);
    if (ret == RET_INDICES || ret == RET_BOTH) put_indices(ret == RET_INDICES ? c->out[0] : c->out[1], &d, k, order);
    free(order);
    return MX_OK;
}

/* _backward_topk(ograd, data): zeros(data) with the top-k positions += ograd */
static int topk_bw_infer(mx_call *c) {
    mxi_set_out(c, 0, c->in[1]->shape, c->in[1]->ndim, c->in[0]->dtype);
    return MX_OK;
}

static int topk_bw_cpu(mx_call *c) {
    const mx_tensor_s *og = c->in[0], *x = c->in[1];
    line_dims d = {0, 0, 0};
    int ax;
    MXI_TRY(sort_dims(c, &c->attrs[TOPK_AXIS], x, &d, &ax));
    int64_t k = topk_k(c, &d);
    int64_t *order = sorted_order(x, &d, (int)c->attrs[TOPK_ASC].i, k);
    if (!order) return mx_last_error_code();
    for (int64_t l = 0; l < d.outer * d.inner; l++) {
        int64_t o = l / d.inner, j = l % d.inner;
        for (int64_t r = 0; r < k; r++)
            addv(mxi_data(c->out[0]), (o * d.n + order[l * k + r]) * d.inner + j, mxi_data(og), (o * k + r) * d.inner + j, og->dtype, 1);
    }
    free(order);
    return MX_OK;
}

static int topk_grad(mx_grad_ctx *g) {
    int ret = (int)g->call->attrs[TOPK_RET].i;
    if (ret != RET_VALUE && ret != RET_BOTH) {
        g->igrad[0] = mxi_call1("zeros_like", NULL, 1, g->in[0]);
        return g->igrad[0] ? MX_OK : mx_last_error_code();
    }
    char a[512];
    MXI_TRY(mxi_attrs_string(g->call, a, sizeof a));
    g->igrad[0] = mxi_call1("_backward_topk", a, 2, g->ograd[0], g->in[0]);
    return g->igrad[0] ? MX_OK : mx_last_error_code();
}

enum { SO_AXIS, SO_ASC, SO_DTYPE };
static int sort_infer(mx_call *c) {
    line_dims d = {0, 0, 0};
    int ax;
    MXI_TRY(sort_dims(c, &c->attrs[SO_AXIS], c->in[0], &d, &ax));
    int is_arg = c->op->n_attrs == 3;
    int dt = is_arg ? (c->attrs[SO_DTYPE].i < 0 ? MX_FLOAT32 : (int)c->attrs[SO_DTYPE].i) : c->in[0]->dtype;
    if (ax < 0) { int64_t s[1] = {d.n}; mxi_set_out(c, 0, s, 1, dt); }
    else mxi_set_out(c, 0, c->in[0]->shape, c->in[0]->ndim, dt);
    return MX_OK;
}

static int sort_cpu(mx_call *c) {
    const mx_tensor_s *x = c->in[0];
    line_dims d = {0, 0, 0};
    int ax;
    MXI_TRY(sort_dims(c, &c->attrs[SO_AXIS], x, &d, &ax));
    int64_t *order = sorted_order(x, &d, (int)c->attrs[SO_ASC].i, d.n);
    if (!order) return mx_last_error_code();
    if (c->op->n_attrs == 3) put_indices(c->out[0], &d, d.n, order); /* argsort */
    else put_values(mxi_data(c->out[0]), mxi_data(x), mxi_dtype_size(x->dtype), &d, d.n, order);
    free(order);
    return MX_OK;
}

static int sort_grad(mx_grad_ctx *g) {
    char a[256];
    const mx_attr_val *ax = &g->call->attrs[SO_AXIS];
    if (ax->is_none) snprintf(a, sizeof a, "axis=None;k=0;ret_typ=value;is_ascend=%s", g->call->attrs[SO_ASC].i ? "True" : "False");
    else snprintf(a, sizeof a, "axis=%lld;k=0;ret_typ=value;is_ascend=%s", (long long)ax->i, g->call->attrs[SO_ASC].i ? "True" : "False");
    g->igrad[0] = mxi_call1("_backward_topk", a, 2, g->ograd[0], g->in[0]);
    return g->igrad[0] ? MX_OK : mx_last_error_code();
}

/* ---- Sequence ops: data (T, B, ...) for axis 0 or (B, T, ...) for axis 1 ---- */
enum { SQ_USE, SQ_VALUE_OR_AXIS, SQ_AXIS };
static int seq_nin(const mx_call *c) { return c->attrs[SQ_USE].i ? 2 : 1; }
static int seq_axis(const mx_call *c) { return (int)c->attrs[c->op->n_attrs == 3 ? SQ_AXIS : 1].i; }

static int seq_check(mx_call *c) {
    const mx_tensor_s *x = c->in[0];
    int ax = seq_axis(c);
    if (x->ndim < 2) return mxi_op_error(c, MX_ERR_INVALID, "data must have at least 2 dims (time and batch)");
    if (ax != 0 && ax != 1) return mxi_op_error(c, MX_ERR_INVALID, "axis must be 0 or 1, got %d", ax);
    if (c->n_in == 2) {
        const mx_tensor_s *l = c->in[1];
        int64_t B = x->shape[1 - ax];
        if (l->ndim != 1 || l->shape[0] != B) {
            char s1[160], s2[160];
            return mxi_op_error(c, MX_ERR_INVALID, "sequence_length %s must be 1-d of the batch size %lld of data %s",
                                sstr(l->shape, l->ndim, s1), (long long)B, sstr(x->shape, x->ndim, s2));
        }
    }
    return MX_OK;
}

/* element offset of (t, b) (in units of `inner`) */
static inline int64_t seq_off(int ax, int64_t T, int64_t B, int64_t t, int64_t b) {
    (void)B;
    return ax == 0 ? t * B + b : b * T + t;
}

/* x as (T, B, inner) or (B, T, inner) for the call's axis; returns the axis */
static int seq_geom(const mx_call *c, const mx_tensor_s *x, int64_t *T, int64_t *B, int64_t *inner) {
    int ax = seq_axis(c);
    *T = x->shape[ax], *B = x->shape[1 - ax];
    *inner = x->size / ((*T * *B) != 0 ? *T * *B : 1);
    return ax;
}

static int64_t seq_len(const mx_call *c, int64_t b, int64_t T) {
    if (!c->attrs[SQ_USE].i) return T;
    int64_t v = (int64_t)ld(c->in[1], b);
    return v < 0 ? 0 : (v > T ? T : v);
}

static int seqmask_infer(mx_call *c) {
    MXI_TRY(seq_check(c));
    mxi_same_as_in(c, 0, 0);
    return MX_OK;
}

static int seqmask_cpu(mx_call *c) {
    const mx_tensor_s *x = c->in[0];
    int64_t T, B, inner;
    int ax = seq_geom(c, x, &T, &B, &inner);
    double val = c->attrs[SQ_VALUE_OR_AXIS].f;
    size_t esz = mxi_dtype_size(x->dtype);
    if (x->size) memcpy(mxi_data(c->out[0]), mxi_data(x), (size_t)x->size * esz);
    for (int64_t b = 0; b < B; b++)
        for (int64_t t = seq_len(c, b, T); t < T; t++)
            for (int64_t j = 0; j < inner; j++)
                mxi_store_from_double(mxi_data(c->out[0]), x->dtype, seq_off(ax, T, B, t, b) * inner + j, val);
    return MX_OK;
}

/* SequenceMask (with value 0) and SequenceReverse are their own adjoints:
 * the gradient is the same op on ograd with the same lengths and axis. */
static int seq_self_grad(mx_grad_ctx *g, const char *op, const char *extra) {
    char a[128];
    snprintf(a, sizeof a, "use_sequence_length=%s;%saxis=%d", g->call->n_in == 2 ? "True" : "False", extra, seq_axis(g->call));
    mx_tensor_s *in[2] = {g->ograd[0], g->call->n_in == 2 ? g->in[1] : NULL};
    return mxi_call(op, in, g->call->n_in, a, g->igrad, 1);
}

static int seqmask_grad(mx_grad_ctx *g) { return seq_self_grad(g, "SequenceMask", "value=0;"); }

static int seqlast_infer(mx_call *c) {
    MXI_TRY(seq_check(c));
    const mx_tensor_s *x = c->in[0];
    int ax = seq_axis(c);
    int64_t s[MX_MAX_NDIM];
    int n = 0;
    for (int i = 0; i < x->ndim; i++) if (i != ax) s[n++] = x->shape[i];
    mxi_set_out(c, 0, s, n, x->dtype);
    return MX_OK;
}

static void seqlast_walk(mx_call *c, const mx_tensor_s *x, void *dst, const void *src, int bw) {
    int64_t T, B, inner;
    int ax = seq_geom(c, x, &T, &B, &inner);
    for (int64_t b = 0; b < B; b++) {
        int64_t t = seq_len(c, b, T) - 1;
        if (t < 0) continue;
        int64_t xo = seq_off(ax, T, B, t, b) * inner;
        if (bw) addv(dst, xo, src, b * inner, x->dtype, inner);
        else cpy(dst, b * inner, src, xo, mxi_dtype_size(x->dtype), inner);
    }
}

static int seqlast_cpu(mx_call *c) {
    if (c->in[0]->size) seqlast_walk(c, c->in[0], mxi_data(c->out[0]), mxi_data(c->in[0]), 0);
    return MX_OK;
}

/* _backward_SequenceLast(data, [sequence_length,] ograd): ograd is the last input */
static int seqlast_bw_nin(const mx_call *c) { return c->attrs[SQ_USE].i ? 3 : 2; }
static int seqlast_bw_infer(mx_call *c) {
    mxi_set_out(c, 0, c->in[0]->shape, c->in[0]->ndim, c->in[c->n_in - 1]->dtype);
    return MX_OK;
}
static int seqlast_bw_cpu(mx_call *c) {
    if (c->out[0]->size) seqlast_walk(c, c->out[0], mxi_data(c->out[0]), mxi_data(c->in[c->n_in - 1]), 1);
    return MX_OK;
}

static int seqlast_grad(mx_grad_ctx *g) {
    char a[128];
    snprintf(a, sizeof a, "use_sequence_length=%s;axis=%d", g->call->n_in == 2 ? "True" : "False", seq_axis(g->call));
    mx_tensor_s *in[3] = {g->in[0], g->call->n_in > 1 ? g->in[1] : NULL, NULL}; /* in[1] exists only then */
    in[g->call->n_in] = g->ograd[0];
    return mxi_call("_backward_SequenceLast", in, g->call->n_in + 1, a, g->igrad, 1);
}

static int seqrev_cpu(mx_call *c) {
    const mx_tensor_s *x = c->in[0];
    int64_t T, B, inner;
    int ax = seq_geom(c, x, &T, &B, &inner);
    size_t esz = mxi_dtype_size(x->dtype);
    for (int64_t b = 0; b < B; b++) {
        int64_t L = seq_len(c, b, T);
        for (int64_t t = 0; t < T; t++) {
            int64_t s = t < L ? L - 1 - t : t;
            cpy(mxi_data(c->out[0]), seq_off(ax, T, B, t, b) * inner, mxi_data(x), seq_off(ax, T, B, s, b) * inner, esz, inner);
        }
    }
    return MX_OK;
}

static int seqrev_grad(mx_grad_ctx *g) { return seq_self_grad(g, "SequenceReverse", ""); }

/* ---- boolean_mask ---- */
static int bmask_infer(mx_call *c) {
    const mx_tensor_s *x = c->in[0], *m = c->in[1];
    if (c->attrs[0].i != 0) return mxi_op_error(c, MX_ERR_INVALID, "only axis=0 is supported");
    if (!m->storage) /* a graph's shape inference runs on shape-only tensors */
        return mxi_op_error(c, MX_ERR_UNSUPPORTED, "its output shape depends on the values of index, which a "
                            "graph's shape inference does not have");
    if (x->ndim < 1 || m->ndim != 1 || m->shape[0] != x->shape[0]) {
        char s1[160], s2[160];
        return mxi_op_error(c, MX_ERR_INVALID, "index %s must be 1-d with the length of data's first axis %s",
                            sstr(m->shape, m->ndim, s1), sstr(x->shape, x->ndim, s2));
    }
    int64_t n = 0;
    for (int64_t i = 0; i < m->size; i++) n += ld(m, i) != 0;
    int64_t s[MX_MAX_NDIM];
    memcpy(s, x->shape, sizeof(int64_t) * (size_t)x->ndim);
    s[0] = n;
    mxi_set_out(c, 0, s, x->ndim, x->dtype);
    return MX_OK;
}

static void bmask_walk(const mx_tensor_s *x, const mx_tensor_s *m, void *dst, const void *src, int bw) {
    int64_t inner = x->shape[0] ? x->size / x->shape[0] : 0, k = 0;
    for (int64_t i = 0; i < m->size; i++) {
        if (ld(m, i) == 0) continue;
        if (bw) addv(dst, i * inner, src, k * inner, x->dtype, inner);
        else cpy(dst, k * inner, src, i * inner, mxi_dtype_size(x->dtype), inner);
        k++;
    }
}

static int bmask_cpu(mx_call *c) {
    bmask_walk(c->in[0], c->in[1], mxi_data(c->out[0]), mxi_data(c->in[0]), 0);
    return MX_OK;
}

/* _backward_boolean_mask(ograd, data, index) */
static int bmask_bw_infer(mx_call *c) {
    mxi_set_out(c, 0, c->in[1]->shape, c->in[1]->ndim, c->in[0]->dtype);
    return MX_OK;
}
static int bmask_bw_cpu(mx_call *c) {
    bmask_walk(c->out[0], c->in[2], mxi_data(c->out[0]), mxi_data(c->in[0]), 1);
    return MX_OK;
}
static int bmask_grad(mx_grad_ctx *g) {
    g->igrad[0] = mxi_call1("_backward_boolean_mask", NULL, 3, g->ograd[0], g->in[0], g->in[1]);
    return g->igrad[0] ? MX_OK : mx_last_error_code();
}

/* ---- _slice_assign / _slice_assign_scalar ---- */
static int slice_view(const mx_call *c, const mx_tensor_s *x, const mx_attr_val *b, const mx_attr_val *e,
                      const mx_attr_val *s, mxv_view *v) {
    if (b->n != e->n || b->n > x->ndim || (!s->is_none && s->n && s->n != b->n))
        return mxi_op_error(c, MX_ERR_INVALID, "begin/end/step lengths (%d/%d/%d) do not fit a %d-d input", b->n, e->n,
                            s->is_none ? 0 : s->n, x->ndim);
    v->nd = x->ndim;
    v->off = 0;
    memcpy(v->shape, x->shape, sizeof(int64_t) * (size_t)x->ndim);
    mxr_strides(x->shape, x->ndim, v->st);
    for (int i = 0; i < b->n; i++) {
        int64_t st = (!s->is_none && i < s->n && s->v[i] != INT64_MIN) ? s->v[i] : 1;
        if (st == 0) return mxi_op_error(c, MX_ERR_INVALID, "step cannot be 0 (axis %d)", i);
        int64_t start, cnt;
        mxv_slice_axis(x->shape[i], b->v[i], e->v[i], st, &start, &cnt);
        if (cnt) v->off += start * v->st[i];
        v->shape[i] = cnt;
        v->st[i] *= st;
    }
    return MX_OK;
}

enum { SA_BEGIN, SA_END, SA_STEP };
static int sa_infer(mx_call *c) {
    mxv_view v;
    MXI_TRY(slice_view(c, c->in[0], &c->attrs[SA_BEGIN], &c->attrs[SA_END], &c->attrs[SA_STEP], &v));
    if (c->n_in == 2) {
        const mx_tensor_s *r = c->in[1];
        int64_t tmp[MX_MAX_NDIM];
        int n;
        MXI_TRY(mxi_broadcast_shapes(c, v.shape, v.nd, r->shape, r->ndim, tmp, &n));
        if (n != v.nd || memcmp(tmp, v.shape, sizeof(int64_t) * (size_t)n)) {
            char s1[160], s2[160];
            return mxi_op_error(c, MX_ERR_INVALID, "value of shape %s cannot be assigned to a slice of shape %s",
                                sstr(r->shape, r->ndim, s1), sstr(v.shape, v.nd, s2));
        }
    }
    mxi_same_as_in(c, 0, 0);
    return MX_OK;
}

static int sa_cpu(mx_call *c) {
    const mx_tensor_s *x = c->in[0];
    int is_scalar = c->n_in == 1;
    const mx_attr_val *A = c->attrs + (is_scalar ? 1 : 0);
    mxv_view v;
    MXI_TRY(slice_view(c, x, &A[SA_BEGIN], &A[SA_END], &A[SA_STEP], &v));
    size_t esz = mxi_dtype_size(x->dtype);
    if (x->size) memcpy(mxi_data(c->out[0]), mxi_data(x), (size_t)x->size * esz);
    int64_t n = mxv_size(&v);
    if (!n) return MX_OK;
    char *buf = malloc((size_t)n * esz);
    if (!buf) return mxi_error(MX_ERR_MEMORY, "%s: out of memory", c->op->name);
    if (is_scalar) {
        for (int64_t i = 0; i < n; i++) mxi_store_from_double(buf, x->dtype, i, c->attrs[0].f);
    } else {
        mx_tensor_s *r = c->in[1];
        mx_tensor_s *rc = r->dtype == x->dtype ? (mxi_tensor_retain(r), r) : mxi_cast(r, x->dtype);
        if (!rc) { free(buf); return mx_last_error_code(); }
        mxv_view bv = {.nd = v.nd, .off = 0};
        int64_t rst[MX_MAX_NDIM];
        mxr_strides(rc->shape, rc->ndim, rst);
        for (int i = 0; i < v.nd; i++) {
            int j = i - (v.nd - rc->ndim);
            bv.shape[i] = v.shape[i];
            bv.st[i] = (j >= 0 && rc->shape[j] != 1) ? rst[j] : 0;
        }
        mxv_copy(&bv, mxi_data(rc), buf, esz, 0);
        mxi_tensor_release(rc);
    }
    mxv_copy(&v, buf, mxi_data(c->out[0]), esz, 1);
    free(buf);
    return MX_OK;
}

static int slice_attr_str(const mx_call *c, int first, char *a, size_t cap) {
    /* begin/end/step at attrs[first..first+2], serialised via a temp call view */
    mx_call tmp;
    static const mx_attr_spec names[3] = {
        {"begin", MX_ATTR_SHAPE, NULL, "b", NULL, 0, 0, 0},
        {"end", MX_ATTR_SHAPE, NULL, "e", NULL, 0, 0, 0},
        {"step", MX_ATTR_SHAPE, NULL, "s", NULL, 0, 0, 0},
    };
    static const mx_op_def fake = {.name = "slice", .attrs = names, .n_attrs = 3};
    tmp.op = &fake;
    memcpy(tmp.attrs, c->attrs + first, sizeof(mx_attr_val) * 3);
    return mxi_attrs_string(&tmp, a, cap);
}

static int sa_grad(mx_grad_ctx *g) {
    char a[900], b[1000];
    MXI_TRY(slice_attr_str(g->call, g->call->n_in == 1 ? 1 : 0, a, sizeof a));
    snprintf(b, sizeof b, "scalar=0;%s", a);
    g->igrad[0] = mxi_call1("_slice_assign_scalar", b, 1, g->ograd[0]);
    if (!g->igrad[0]) return mx_last_error_code();
    if (g->call->n_in == 2) {
        mx_tensor_s *s = mxi_call1("slice", a, 1, g->ograd[0]);
        if (!s) return mx_last_error_code();
        if (mxr_same_shape(s, g->in[1])) g->igrad[1] = s;
        else {
            g->igrad[1] = mxi_call1("_reduce_to_shape_like", NULL, 2, s, g->in[1]);
            mxi_tensor_release(s);
            if (!g->igrad[1]) return mx_last_error_code();
        }
    }
    return MX_OK;
}

/* ---- attribute tables ---- */
static const mx_attr_spec take_attrs[] = {
    {"axis", MX_ATTR_INT, "0", "Axis of data to take elements from.", NULL, 0, 0, 0},
    {"mode", MX_ATTR_ENUM, "clip", "Out-of-range indices: clip to the range, wrap around, or raise an error.", "clip,wrap,raise", 0, 0, 0},
};
static const mx_attr_spec pick_attrs[] = {
    {"axis", MX_ATTR_OPT_INT, "-1", "Axis to pick along.", NULL, 0, 0, 0},
    {"keepdims", MX_ATTR_BOOL, "False", "Keep the picked axis with size 1.", NULL, 0, 0, 0},
    {"mode", MX_ATTR_ENUM, "clip", "Out-of-range indices: clip or wrap.", "clip,wrap", 0, 0, 0},
};
static const mx_attr_spec one_hot_attrs[] = {
    {"depth", MX_ATTR_INT, NULL, "Size of the one-hot dimension.", NULL, 1, 0, 1e15},
    {"on_value", MX_ATTR_FLOAT, "1", "Value at the index position.", NULL, 0, 0, 0},
    {"off_value", MX_ATTR_FLOAT, "0", "Value everywhere else.", NULL, 0, 0, 0},
    {"dtype", MX_ATTR_DTYPE, "float32", "Output dtype.", NULL, 0, 0, 0},
};
static const mx_attr_spec scatter_nd_attrs[] = {
    {"shape", MX_ATTR_SHAPE, NULL, "Shape of the output.", NULL, 0, 0, 0},
};
static const mx_attr_spec topk_attrs[] = {
    {"axis", MX_ATTR_OPT_INT, "-1", "Axis to search along; None searches the flattened array.", NULL, 0, 0, 0},
    {"k", MX_ATTR_INT, "1", "Number of elements to return (k < 1 returns all).", NULL, 0, 0, 0},
    {"ret_typ", MX_ATTR_ENUM, "indices", "What to return: value, indices, mask or both (value and indices).", "value,indices,mask,both", 0, 0, 0},
    {"is_ascend", MX_ATTR_BOOL, "False", "Return the smallest instead of the largest elements.", NULL, 0, 0, 0},
    {"dtype", MX_ATTR_DTYPE, "float32", "Dtype of the returned indices.", NULL, 0, 0, 0},
};
static const mx_attr_spec sort_attrs[] = {
    {"axis", MX_ATTR_OPT_INT, "-1", "Axis to sort along; None sorts the flattened array.", NULL, 0, 0, 0},
    {"is_ascend", MX_ATTR_BOOL, "True", "Sort in ascending order.", NULL, 0, 0, 0},
};
static const mx_attr_spec argsort_attrs[] = {
    {"axis", MX_ATTR_OPT_INT, "-1", "Axis to sort along; None sorts the flattened array.", NULL, 0, 0, 0},
    {"is_ascend", MX_ATTR_BOOL, "True", "Sort in ascending order.", NULL, 0, 0, 0},
    {"dtype", MX_ATTR_DTYPE, "float32", "Dtype of the returned indices.", NULL, 0, 0, 0},
};
static const mx_attr_spec seqmask_attrs[] = {
    {"use_sequence_length", MX_ATTR_BOOL, "False", "Use the sequence_length input; otherwise all sequences are full length.", NULL, 0, 0, 0},
    {"value", MX_ATTR_FLOAT, "0", "Value written beyond each sequence's length.", NULL, 0, 0, 0},
    {"axis", MX_ATTR_INT, "0", "Time axis: 0 for (T, B, ...), 1 for (B, T, ...).", NULL, 0, 0, 0},
};
static const mx_attr_spec seq_attrs[] = {
    {"use_sequence_length", MX_ATTR_BOOL, "False", "Use the sequence_length input; otherwise all sequences are full length.", NULL, 0, 0, 0},
    {"axis", MX_ATTR_INT, "0", "Time axis: 0 for (T, B, ...), 1 for (B, T, ...).", NULL, 0, 0, 0},
};
static const mx_attr_spec bmask_attrs[] = {
    {"axis", MX_ATTR_INT, "0", "Axis to mask along (only 0 is supported).", NULL, 0, 0, 0},
};
static const mx_attr_spec sa_attrs[] = {
    {"begin", MX_ATTR_SHAPE, NULL, "Start index per axis (None = from the start).", NULL, 0, 0, 0},
    {"end", MX_ATTR_SHAPE, NULL, "Stop index per axis (None = to the end).", NULL, 0, 0, 0},
    {"step", MX_ATTR_SHAPE, "()", "Step per axis (None or missing = 1).", NULL, 0, 0, 0},
};
static const mx_attr_spec sas_attrs[] = {
    {"scalar", MX_ATTR_FLOAT, "0", "Value written into the slice.", NULL, 0, 0, 0},
    {"begin", MX_ATTR_SHAPE, NULL, "Start index per axis (None = from the start).", NULL, 0, 0, 0},
    {"end", MX_ATTR_SHAPE, NULL, "Stop index per axis (None = to the end).", NULL, 0, 0, 0},
    {"step", MX_ATTR_SHAPE, "()", "Step per axis (None or missing = 1).", NULL, 0, 0, 0},
};

/* ---- _contrib_index_array: the index of every element, int64 (shape + (len(axes) or ndim,)) ---- */
enum { IA_AXES };
static const mx_attr_spec ia_attrs[] = {
    {"axes", MX_ATTR_SHAPE, "None", "Axes whose indices to give, in this order (None: all)."},
};

static int ia_axes(const mx_call *c, const mx_tensor_s *x, int64_t *axes, int *n) {
    const mx_attr_val *a = &c->attrs[IA_AXES];
    *n = a->is_none ? x->ndim : a->n;
    for (int i = 0; i < *n; i++) {
        int64_t v = a->is_none ? i : a->v[i];
        if (v < 0) v += x->ndim;
        if (v < 0 || v >= x->ndim)
            return mxi_op_error(c, MX_ERR_INVALID, "axis %lld out of range for %d-d data", (long long)a->v[i], x->ndim);
        axes[i] = v;
    }
    return MX_OK;
}

static int ia_infer(mx_call *c) {
    const mx_tensor_s *x = c->in[0];
    int64_t axes[MX_MAX_NDIM], os[MX_MAX_NDIM + 1];
    int n = 0;
    if (x->ndim >= MX_MAX_NDIM) return mxi_op_error(c, MX_ERR_INVALID, "data has too many dimensions");
    MXI_TRY(ia_axes(c, x, axes, &n));
    memcpy(os, x->shape, sizeof(int64_t) * (size_t)x->ndim);
    os[x->ndim] = n;
    mxi_set_out(c, 0, os, x->ndim + 1, MX_INT64);
    return MX_OK;
}

static int ia_cpu(mx_call *c) {
    const mx_tensor_s *x = c->in[0];
    int64_t axes[MX_MAX_NDIM], idx[MX_MAX_NDIM];
    int n = 0;
    MXI_TRY(ia_axes(c, x, axes, &n));
    int64_t *y = mxi_data(c->out[0]);
    for (int64_t i = 0; i < x->size; i++) {
        int64_t r = i;
        for (int d = x->ndim - 1; d >= 0; d--) idx[d] = r % x->shape[d], r /= x->shape[d];
        for (int k = 0; k < n; k++) y[i * n + k] = idx[axes[k]];
    }
    return MX_OK;
}

/* ---- _contrib_index_copy(old, index, new): old with rows index[i] replaced by new[i] ---- */
static int ic_infer(mx_call *c) {
    const mx_tensor_s *o = c->in[0], *ix = c->in[1], *nw = c->in[2];
    if (o->ndim < 1 || ix->ndim != 1 || nw->ndim != o->ndim || nw->shape[0] != ix->shape[0] ||
        memcmp(o->shape + 1, nw->shape + 1, sizeof(int64_t) * (size_t)(o->ndim - 1)) || nw->dtype != o->dtype)
        return mxi_op_error(c, MX_ERR_INVALID, "expected old (N, ...), index (K,) and new (K, ...) with old's row "
                                               "shape and dtype");
    mxi_same_as_in(c, 0, 0);
    return MX_OK;
}

static int ic_cpu(mx_call *c) {
    const mx_tensor_s *o = c->in[0], *ix = c->in[1], *nw = c->in[2];
    const size_t row = (size_t)(o->shape[0] ? o->size / o->shape[0] : 0) * mxi_dtype_size(o->dtype);
    char *y = mxi_data(c->out[0]);
    memcpy(y, mxi_data(o), row * (size_t)o->shape[0]);
    for (int64_t k = 0; k < ix->size; k++) {
        double v = mxi_load_as_double(mxi_data(ix), ix->dtype, k);
        if (!(v >= 0 && v < (double)o->shape[0]))
            return mxi_op_error(c, MX_ERR_INVALID, "index %g outside [0, %lld)", v, (long long)o->shape[0]);
        memcpy(y + (size_t)v * row, (const char *)mxi_data(nw) + (size_t)k * row, row);
    }
    return MX_OK;
}

/* d old = the gradient with the replaced rows zeroed (an index_copy of zeros),
 * d new = the gradient's replaced rows (take) */
static int ic_grad(mx_grad_ctx *g) {
    if (mxi_grad_needed(g, 0)) {
        mx_tensor_s *z = mxi_call1("zeros_like", NULL, 1, g->in[2]);
        g->igrad[0] = z ? mxi_call1("_contrib_index_copy", NULL, 3, g->ograd[0], g->in[1], z) : NULL;
        mxi_tensor_release(z);
        if (!g->igrad[0]) return mx_last_error_code();
    }
    if (mxi_grad_needed(g, 2)) {
        g->igrad[2] = mxi_call1("take", "axis=0", 2, g->ograd[0], g->in[1]);
        if (!g->igrad[2]) return mx_last_error_code();
    }
    return MX_OK;
}

#define NA(t) .attrs = t, .n_attrs = (int)(sizeof t / sizeof t[0])
#define ANY (MX_OPF_NO_INPUT_CAST)

static int sas_infer(mx_call *c) {
    mxv_view v;
    MXI_TRY(slice_view(c, c->in[0], &c->attrs[1], &c->attrs[2], &c->attrs[3], &v));
    mxi_same_as_in(c, 0, 0);
    return MX_OK;
}

static const mx_op_def ops[] = {
    {.name = "_contrib_index_array", .doc = "The index (along axes, default all) of every element of the input, int64.",
     .inputs = "data", .num_outputs = 1, NA(ia_attrs), .infer = ia_infer, .cpu = ia_cpu,
     .flags = MX_OPF_NO_GRAD | MX_OPF_NO_INPUT_CAST | MX_OPF_WRITES_ALL, .dtypes = MX_DT_ALL},
    {.name = "_contrib_index_copy", .doc = "old with its rows index[i] replaced by new[i].",
     .inputs = "old_tensor,index_vector,new_tensor", .num_outputs = 1, .infer = ic_infer, .cpu = ic_cpu,
     .grad = ic_grad, .flags = MX_OPF_WRITES_ALL | MX_OPF_NO_INPUT_CAST, .dtypes = MX_DT_ALL},
    {.name = "take", .doc = "Takes elements of data along an axis at the given indices.", .inputs = "a,indices",
     .num_outputs = 1, NA(take_attrs), .infer = take_infer, .cpu = take_cpu, .grad = take_grad, .dtypes = IDX_ANY,
     .flags = ANY | MX_OPF_WRITES_ALL},
    {.name = "_backward_take", .doc = "Gradient of take: scatter-adds the output gradient into the taken rows.",
     .inputs = "ograd,indices,a", .num_outputs = 1, NA(take_attrs), .infer = take_bw_infer, .cpu = take_bw_cpu,
     .dtypes = MX_DT_FLOAT, .flags = MX_OPF_INTERNAL | MX_OPF_NO_GRAD},
    {.name = "pick", .aliases = "choose_element_0index", .doc = "Picks one element per position along an axis using an index array.", .inputs = "data,index",
     .num_outputs = 1, NA(pick_attrs), .infer = pick_infer, .cpu = pick_cpu, .grad = pick_grad, .dtypes = IDX_ANY,
     .flags = ANY | MX_OPF_WRITES_ALL},
    /* MXNet's deprecated batch_take(a, indices): pick along the last axis of a
     * 2-d array, out-of-range indices clipped; its own input names */
    {.name = "batch_take", .doc = "a[i, indices[i]] for each row i of a 2-d array (indices clipped; use pick).",
     .inputs = "a,indices", .num_outputs = 1, NA(pick_attrs), .infer = pick_infer, .cpu = pick_cpu, .grad = pick_grad,
     .dtypes = IDX_ANY, .flags = ANY | MX_OPF_WRITES_ALL},
    {.name = "_backward_pick", .doc = "Gradient of pick.", .inputs = "ograd,index,data", .num_outputs = 1, NA(pick_attrs),
     .infer = pick_bw_infer, .cpu = pick_bw_cpu, .dtypes = MX_DT_FLOAT, .flags = MX_OPF_INTERNAL | MX_OPF_NO_GRAD},
    {.name = "one_hot", .doc = "One-hot encoding of integer indices (out-of-range rows are all off_value).",
     .inputs = "indices", .num_outputs = 1, NA(one_hot_attrs), .infer = one_hot_infer, .cpu = one_hot_cpu,
     .dtypes = IDX_ANY, .flags = ANY | MX_OPF_WRITES_ALL | MX_OPF_NO_GRAD},
    {.name = "where", .doc = "Elements of x where condition is non-zero, else of y (condition same shape, or 1-d over axis 0).",
     .inputs = "condition,x,y", .num_outputs = 1, .infer = where_infer, .cpu = where_cpu, .grad = where_grad,
     .dtypes = IDX_ANY, .flags = ANY | MX_OPF_WRITES_ALL},
    {.name = "gather_nd", .doc = "Gathers slices of data at N-d index tuples (indices shape (M, ...)).",
     .inputs = "data,indices", .num_outputs = 1, .infer = gather_nd_infer, .cpu = gather_nd_cpu, .grad = gather_nd_grad,
     .dtypes = IDX_ANY, .flags = ANY | MX_OPF_WRITES_ALL},
    {.name = "_backward_gather_nd", .doc = "Gradient of gather_nd: scatter-add into zeros of data's shape.",
     .inputs = "ograd,indices,data", .num_outputs = 1, .infer = gnd_bw_infer, .cpu = gnd_bw_cpu,
     .dtypes = MX_DT_FLOAT, .flags = MX_OPF_INTERNAL | MX_OPF_NO_GRAD},
    {.name = "scatter_nd", .doc = "Scatters data into a zero array of the given shape at N-d index tuples.",
     .inputs = "data,indices", .num_outputs = 1, NA(scatter_nd_attrs), .infer = scatter_nd_infer, .cpu = scatter_nd_cpu,
     .grad = scatter_nd_grad, .dtypes = IDX_ANY, .flags = ANY},
    {.name = "topk", .doc = "Top k elements along an axis: values, indices, a mask, or both values and indices.",
     .inputs = "data", .num_outputs_fn = topk_nout, NA(topk_attrs), .infer = topk_infer, .cpu = topk_cpu,
     .grad = topk_grad, .dtypes = IDX_ANY, .flags = ANY},
    {.name = "_backward_topk", .doc = "Gradient of topk/sort values: scatter-add back to the selected positions.",
     .inputs = "ograd,data", .num_outputs = 1, NA(topk_attrs), .infer = topk_bw_infer, .cpu = topk_bw_cpu,
     .dtypes = MX_DT_FLOAT, .flags = MX_OPF_INTERNAL | MX_OPF_NO_GRAD},
    {.name = "sort", .output_names = "output0", .doc = "Sorts along an axis (flattened if axis is None).", .inputs = "data", .num_outputs = 1,
     NA(sort_attrs), .infer = sort_infer, .cpu = sort_cpu, .grad = sort_grad, .dtypes = IDX_ANY,
     .flags = ANY | MX_OPF_WRITES_ALL},
    {.name = "argsort", .doc = "Indices that sort the array along an axis.", .inputs = "data", .num_outputs = 1,
     NA(argsort_attrs), .infer = sort_infer, .cpu = sort_cpu, .dtypes = IDX_ANY,
     .flags = ANY | MX_OPF_WRITES_ALL | MX_OPF_NO_GRAD},
    {.name = "SequenceMask", .aliases = "sequence_mask", .doc = "Sets elements beyond each sequence's length to value.",
     .inputs = "data,sequence_length", .num_inputs_fn = seq_nin, .num_outputs = 1, NA(seqmask_attrs),
     .infer = seqmask_infer, .cpu = seqmask_cpu, .grad = seqmask_grad, .dtypes = IDX_ANY, .flags = ANY | MX_OPF_WRITES_ALL},
    {.name = "SequenceLast", .doc = "The last element of each sequence (by sequence_length).",
     .inputs = "data,sequence_length", .num_inputs_fn = seq_nin, .num_outputs = 1, NA(seq_attrs),
     .infer = seqlast_infer, .cpu = seqlast_cpu, .grad = seqlast_grad, .dtypes = IDX_ANY, .flags = ANY | MX_OPF_WRITES_ALL},
    {.name = "_backward_SequenceLast", .doc = "Gradient of SequenceLast.", .inputs = "data,sequence_length,ograd",
     .num_inputs_fn = seqlast_bw_nin, .num_outputs = 1, NA(seq_attrs), .infer = seqlast_bw_infer,
     .cpu = seqlast_bw_cpu, .dtypes = MX_DT_FLOAT, .flags = MX_OPF_INTERNAL | MX_OPF_NO_GRAD},
    {.name = "SequenceReverse", .doc = "Reverses the first sequence_length elements of each sequence.",
     .inputs = "data,sequence_length", .num_inputs_fn = seq_nin, .num_outputs = 1, NA(seq_attrs),
     .infer = seqmask_infer, .cpu = seqrev_cpu, .grad = seqrev_grad, .dtypes = IDX_ANY, .flags = ANY | MX_OPF_WRITES_ALL},
    {.name = "boolean_mask", .aliases = "_contrib_boolean_mask", .doc = "Rows of data where the 1-d index is non-zero.",
     .inputs = "data,index", .num_outputs = 1, NA(bmask_attrs), .infer = bmask_infer, .cpu = bmask_cpu,
     .grad = bmask_grad, .dtypes = IDX_ANY, .flags = ANY | MX_OPF_WRITES_ALL},
    {.name = "_backward_boolean_mask", .doc = "Gradient of boolean_mask.", .inputs = "ograd,data,index",
     .num_outputs = 1, .infer = bmask_bw_infer, .cpu = bmask_bw_cpu, .dtypes = MX_DT_FLOAT,
     .flags = MX_OPF_INTERNAL | MX_OPF_NO_GRAD},
    {.name = "_slice_assign", .aliases = "_crop_assign", .doc = "Copy of lhs with lhs[begin:end:step] = rhs (rhs broadcast to the slice).",
     .inputs = "lhs,rhs", .num_outputs = 1, NA(sa_attrs), .infer = sa_infer, .cpu = sa_cpu, .grad = sa_grad,
     .dtypes = IDX_ANY, .flags = ANY | MX_OPF_WRITES_ALL | MX_OPF_INTERNAL},
    {.name = "_slice_assign_scalar", .aliases = "_crop_assign_scalar", .doc = "Copy of data with data[begin:end:step] = scalar.",
     .inputs = "data", .num_outputs = 1, NA(sas_attrs), .infer = sas_infer, .cpu = sa_cpu, .grad = sa_grad,
     .dtypes = IDX_ANY, .flags = ANY | MX_OPF_WRITES_ALL | MX_OPF_INTERNAL},
};

void mxi_register_indexing(void) { mxi_register_ops(ops, (int)(sizeof ops / sizeof ops[0])); }
