/* shape.c — shape manipulation: reshape family (reshape, reshape_like,
 * flatten, expand_dims, squeeze), view ops (transpose, swapaxes, slice,
 * slice_axis, slice_like, flip, broadcast_*, tile, repeat, diag,
 * depth_to_space, space_to_depth), concat/stack/split/split_v2, Crop, pad,
 * shape_array and size_array.
 *
 * Every view op describes its output as a strided view of its (contiguous)
 * input (view_fn); the forward gathers that view, and its internal backward
 * `_backward_<op>` scatter-adds the output gradient through the same view
 * into zeros of the input's shape (grad of that backward is the op itself). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../../backends/cpu/cpu.h"
#include "../op.h"
#include "shape_util.h"

typedef int (*view_fn)(const mx_call *c, mx_tensor_s *const *in, mxv_view *v, int64_t *oshape, int *ond);

static void base_view(const mx_tensor_s *x, mxv_view *v) {
    v->nd = x->ndim;
    v->off = 0;
    memcpy(v->shape, x->shape, sizeof(int64_t) * (size_t)x->ndim);
    mxr_strides(x->shape, x->ndim, v->st);
}

static void view_out_same(const mxv_view *v, int64_t *oshape, int *ond) {
    *ond = v->nd;
    memcpy(oshape, v->shape, sizeof(int64_t) * (size_t)v->nd);
}

static char *sstr(const int64_t *s, int n, char *b) { return mxi_shape_str(s, n, b, 160); }

/* ---- transpose / swapaxes ---- */
static int v_transpose(const mx_call *c, mx_tensor_s *const *in, mxv_view *v, int64_t *os, int *ond) {
    const mx_tensor_s *x = in[0];
    mxv_view b;
    base_view(x, &b);
    const mx_attr_val *ax = &c->attrs[0];
    int perm[MX_MAX_NDIM], seen[MX_MAX_NDIM] = {0};
    if (ax->is_none || ax->n == 0) {
        for (int i = 0; i < x->ndim; i++) perm[i] = x->ndim - 1 - i;
    } else {
        if (ax->n != x->ndim)
            return mxi_op_error(c, MX_ERR_INVALID, "axes has %d entries, input has %d dims", ax->n, x->ndim);
        for (int i = 0; i < ax->n; i++) {
            int a;
            MXI_TRY(mxi_norm_axis(c, ax->v[i], x->ndim, &a));
            if (seen[a]) return mxi_op_error(c, MX_ERR_INVALID, "axes is not a permutation (axis %d repeated)", a);
            seen[a] = 1;
            perm[i] = a;
        }
    }
    v->nd = x->ndim;
    v->off = 0;
    for (int i = 0; i < x->ndim; i++) { v->shape[i] = b.shape[perm[i]]; v->st[i] = b.st[perm[i]]; }
    view_out_same(v, os, ond);
    return MX_OK;
}

static int v_swapaxes(const mx_call *c, mx_tensor_s *const *in, mxv_view *v, int64_t *os, int *ond) {
    const mx_tensor_s *x = in[0];
    int a, b;
    MXI_TRY(mxi_norm_axis(c, c->attrs[0].i, x->ndim, &a));
    MXI_TRY(mxi_norm_axis(c, c->attrs[1].i, x->ndim, &b));
    base_view(x, v);
    int64_t t = v->shape[a]; v->shape[a] = v->shape[b]; v->shape[b] = t;
    t = v->st[a]; v->st[a] = v->st[b]; v->st[b] = t;
    view_out_same(v, os, ond);
    return MX_OK;
}

/* ---- slicing ---- */
static int v_slice(const mx_call *c, mx_tensor_s *const *in, mxv_view *v, int64_t *os, int *ond) {
    const mx_tensor_s *x = in[0];
    const mx_attr_val *b = &c->attrs[0], *e = &c->attrs[1], *s = &c->attrs[2];
    if (b->n != e->n) return mxi_op_error(c, MX_ERR_INVALID, "begin has %d entries but end has %d", b->n, e->n);
    if (b->n > x->ndim) return mxi_op_error(c, MX_ERR_INVALID, "begin/end have %d entries, more than the input's %d dims", b->n, x->ndim);
    if (!s->is_none && s->n && s->n != b->n) return mxi_op_error(c, MX_ERR_INVALID, "step has %d entries but begin has %d", s->n, b->n);
    base_view(x, v);
    for (int i = 0; i < b->n; i++) {
        int64_t st = (!s->is_none && i < s->n && s->v[i] != INT64_MIN) ? s->v[i] : 1;
        if (st == 0) return mxi_op_error(c, MX_ERR_INVALID, "step cannot be 0 (axis %d)", i);
        int64_t start, cnt;
        mxv_slice_axis(x->shape[i], b->v[i], e->v[i], st, &start, &cnt);
        if (cnt) v->off += start * v->st[i];
        v->shape[i] = cnt;
        v->st[i] *= st;
    }
    view_out_same(v, os, ond);
    return MX_OK;
}

static int v_slice_axis(const mx_call *c, mx_tensor_s *const *in, mxv_view *v, int64_t *os, int *ond) {
    const mx_tensor_s *x = in[0];
    int a;
    MXI_TRY(mxi_norm_axis(c, c->attrs[0].i, x->ndim, &a));
    int64_t n = x->shape[a], b = c->attrs[1].i, e = c->attrs[2].is_none ? n : c->attrs[2].i;
    if (b < 0) b += n;
    if (e < 0) e += n;
    if (b < 0 || e > n || b > e)
        return mxi_op_error(c, MX_ERR_INVALID, "slice [%lld, %lld) is invalid for axis %d of size %lld",
                            (long long)c->attrs[1].i, (long long)(c->attrs[2].is_none ? n : c->attrs[2].i), a, (long long)n);
    base_view(x, v);
    v->off = b * v->st[a];
    v->shape[a] = e - b;
    view_out_same(v, os, ond);
    return MX_OK;
}

static int v_slice_like(const mx_call *c, mx_tensor_s *const *in, mxv_view *v, int64_t *os, int *ond) {
    const mx_tensor_s *x = in[0], *l = in[1];
    const mx_attr_val *ax = &c->attrs[0];
    base_view(x, v);
    int mark[MX_MAX_NDIM] = {0};
    if (ax->is_none || ax->n == 0) {
        if (l->ndim != x->ndim) {
            char s1[160], s2[160];
            return mxi_op_error(c, MX_ERR_INVALID, "data %s and shape_like %s must have the same rank when axes is empty",
                                sstr(x->shape, x->ndim, s1), sstr(l->shape, l->ndim, s2));
        }
        for (int i = 0; i < x->ndim; i++) mark[i] = 1;
    } else {
        for (int i = 0; i < ax->n; i++) {
            int a;
            MXI_TRY(mxi_norm_axis(c, ax->v[i], x->ndim, &a));
            if (a >= l->ndim) return mxi_op_error(c, MX_ERR_INVALID, "axis %d is out of range for shape_like", a);
            mark[a] = 1;
        }
    }
    for (int i = 0; i < x->ndim; i++) {
        if (!mark[i]) continue;
        if (l->shape[i] > x->shape[i]) {
            char s1[160], s2[160];
            return mxi_op_error(c, MX_ERR_INVALID, "shape_like %s is larger than data %s on axis %d",
                                sstr(l->shape, l->ndim, s1), sstr(x->shape, x->ndim, s2), i);
        }
        v->shape[i] = l->shape[i];
    }
    view_out_same(v, os, ond);
    return MX_OK;
}

static int v_flip(const mx_call *c, mx_tensor_s *const *in, mxv_view *v, int64_t *os, int *ond) {
    const mx_tensor_s *x = in[0];
    base_view(x, v);
    const mx_attr_val *ax = &c->attrs[0];
    int seen[MX_MAX_NDIM] = {0};
    for (int i = 0; i < ax->n; i++) {
        int a;
        MXI_TRY(mxi_norm_axis(c, ax->v[i], x->ndim, &a));
        if (seen[a]++) continue;
        if (v->shape[a] > 0) v->off += (v->shape[a] - 1) * v->st[a];
        v->st[a] = -v->st[a];
    }
    view_out_same(v, os, ond);
    return MX_OK;
}

/* ---- broadcasting ---- */
/* view of x broadcast to shape tgt (numpy rules, x aligned right) */
static int bcast_view(const mx_call *c, const mx_tensor_s *x, const int64_t *tgt, int nt, mxv_view *v) {
    char s1[160], s2[160];
    if (nt < x->ndim)
        return mxi_op_error(c, MX_ERR_INVALID, "cannot broadcast %s to %s", sstr(x->shape, x->ndim, s1), sstr(tgt, nt, s2));
    int64_t st[MX_MAX_NDIM];
    mxr_strides(x->shape, x->ndim, st);
    v->nd = nt;
    v->off = 0;
    int off = nt - x->ndim;
    for (int i = 0; i < nt; i++) {
        int j = i - off;
        int64_t d = j >= 0 ? x->shape[j] : 1;
        if (d != tgt[i] && d != 1)
            return mxi_op_error(c, MX_ERR_INVALID, "cannot broadcast %s to %s", sstr(x->shape, x->ndim, s1), sstr(tgt, nt, s2));
        v->shape[i] = tgt[i];
        v->st[i] = (j >= 0 && d != 1) ? st[j] : 0;
    }
    return MX_OK;
}

static int v_broadcast_to(const mx_call *c, mx_tensor_s *const *in, mxv_view *v, int64_t *os, int *ond) {
    const mx_tensor_s *x = in[0];
    const mx_attr_val *s = &c->attrs[0];
    int64_t tgt[MX_MAX_NDIM];
    if (s->n > MX_MAX_NDIM) return mxi_op_error(c, MX_ERR_INVALID, "shape has too many dims");
    int off = s->n - x->ndim;
    for (int i = 0; i < s->n; i++) {
        tgt[i] = s->v[i];
        if (tgt[i] == 0 && i - off >= 0) tgt[i] = x->shape[i - off];
        if (tgt[i] < 0) return mxi_op_error(c, MX_ERR_INVALID, "shape has a negative dim");
    }
    MXI_TRY(bcast_view(c, x, tgt, s->n, v));
    view_out_same(v, os, ond);
    return MX_OK;
}

static int v_broadcast_axis(const mx_call *c, mx_tensor_s *const *in, mxv_view *v, int64_t *os, int *ond) {
    const mx_tensor_s *x = in[0];
    const mx_attr_val *ax = &c->attrs[0], *sz = &c->attrs[1];
    if (ax->n != sz->n) return mxi_op_error(c, MX_ERR_INVALID, "axis has %d entries but size has %d", ax->n, sz->n);
    int64_t tgt[MX_MAX_NDIM];
    memcpy(tgt, x->shape, sizeof(int64_t) * (size_t)x->ndim);
    for (int i = 0; i < ax->n; i++) {
        int a;
        MXI_TRY(mxi_norm_axis(c, ax->v[i], x->ndim, &a));
        if (x->shape[a] != 1)
            return mxi_op_error(c, MX_ERR_INVALID, "axis %d has size %lld, broadcast_axis needs size 1", a, (long long)x->shape[a]);
        tgt[a] = sz->v[i];
    }
    MXI_TRY(bcast_view(c, x, tgt, x->ndim, v));
    view_out_same(v, os, ond);
    return MX_OK;
}

static int v_broadcast_like(const mx_call *c, mx_tensor_s *const *in, mxv_view *v, int64_t *os, int *ond) {
    const mx_tensor_s *x = in[0], *l = in[1];
    const mx_attr_val *la = &c->attrs[0], *ra = &c->attrs[1];
    int64_t tgt[MX_MAX_NDIM];
    int nt;
    if (la->is_none && ra->is_none) {
        nt = l->ndim;
        memcpy(tgt, l->shape, sizeof(int64_t) * (size_t)nt);
        if (x->ndim > nt) {
            char s1[160], s2[160];
            return mxi_op_error(c, MX_ERR_INVALID, "cannot broadcast %s like %s", sstr(x->shape, x->ndim, s1), sstr(l->shape, l->ndim, s2));
        }
    } else {
        if (la->is_none || ra->is_none || ra->n != la->n)
            return mxi_op_error(c, MX_ERR_INVALID, "lhs_axes and rhs_axes must have the same length");
        if (la->n == 0)  /* MXNet: an explicit () is an error, not "all axes" */
            return mxi_op_error(c, MX_ERR_INVALID, "Empty axes tuple is not allowed");
        nt = x->ndim;
        memcpy(tgt, x->shape, sizeof(int64_t) * (size_t)nt);
        for (int i = 0; i < la->n; i++) {
            int a, b;
            MXI_TRY(mxi_norm_axis(c, la->v[i], x->ndim, &a));
            MXI_TRY(mxi_norm_axis(c, ra->v[i], l->ndim, &b));
            tgt[a] = l->shape[b];
        }
    }
    MXI_TRY(bcast_view(c, x, tgt, nt, v));
    view_out_same(v, os, ond);
    return MX_OK;
}

/* ---- tile / repeat ---- */
static int v_tile(const mx_call *c, mx_tensor_s *const *in, mxv_view *v, int64_t *os, int *ond) {
    const mx_tensor_s *x = in[0];
    const mx_attr_val *r = &c->attrs[0];
    int m = r->n > x->ndim ? r->n : x->ndim;
    if (m > MX_MAX_NDIM) return mxi_op_error(c, MX_ERR_INVALID, "reps has too many entries");
    int64_t st[MX_MAX_NDIM];
    mxr_strides(x->shape, x->ndim, st);
    v->nd = 2 * m;
    v->off = 0;
    for (int i = 0; i < m; i++) {
        int j = i - (m - x->ndim), k = i - (m - r->n);
        int64_t d = j >= 0 ? x->shape[j] : 1, rep = k >= 0 ? r->v[k] : 1;
        /* MXNet 1.x (legacy shape semantics, where 0 means unknown) rejects 0 too */
        if (rep < 1) return mxi_op_error(c, MX_ERR_INVALID, "reps must be positive, got %lld at entry %d",
                                         (long long)rep, k);
        v->shape[2 * i] = rep;
        v->st[2 * i] = 0;
        v->shape[2 * i + 1] = d;
        v->st[2 * i + 1] = j >= 0 ? st[j] : 0;
        os[i] = d * rep;
    }
    *ond = m;
    return MX_OK;
}

static int v_repeat(const mx_call *c, mx_tensor_s *const *in, mxv_view *v, int64_t *os, int *ond) {
    const mx_tensor_s *x = in[0];
    int64_t rep = c->attrs[0].i;
    if (rep < 0) return mxi_op_error(c, MX_ERR_INVALID, "repeats must be non-negative, got %lld", (long long)rep);
    if (c->attrs[1].is_none) {
        v->nd = 2; v->off = 0;
        v->shape[0] = x->size; v->st[0] = 1;
        v->shape[1] = rep; v->st[1] = 0;
        os[0] = x->size * rep;
        *ond = 1;
        return MX_OK;
    }
    int a;
    MXI_TRY(mxi_norm_axis(c, c->attrs[1].i, x->ndim, &a));
    int64_t st[MX_MAX_NDIM];
    mxr_strides(x->shape, x->ndim, st);
    v->nd = 0; v->off = 0;
    for (int i = 0; i < x->ndim; i++) {
        v->shape[v->nd] = x->shape[i]; v->st[v->nd++] = st[i];
        if (i == a) { v->shape[v->nd] = rep; v->st[v->nd++] = 0; }
        os[i] = x->shape[i] * (i == a ? rep : 1);
    }
    *ond = x->ndim;
    return MX_OK;
}

/* ---- diag (extraction for >= 2-d inputs; 1-d handled separately) ---- */
static int v_diag(const mx_call *c, mx_tensor_s *const *in, mxv_view *v, int64_t *os, int *ond) {
    const mx_tensor_s *x = in[0];
    int a1, a2;
    MXI_TRY(mxi_norm_axis(c, c->attrs[1].i, x->ndim, &a1));
    MXI_TRY(mxi_norm_axis(c, c->attrs[2].i, x->ndim, &a2));
    if (a1 == a2) return mxi_op_error(c, MX_ERR_INVALID, "axis1 and axis2 cannot refer to the same axis %d", a1);
    int64_t st[MX_MAX_NDIM], k = c->attrs[0].i;
    mxr_strides(x->shape, x->ndim, st);
    v->nd = 0; v->off = 0;
    for (int i = 0; i < x->ndim; i++) {
        if (i == a1 || i == a2) continue;
        v->shape[v->nd] = x->shape[i]; v->st[v->nd++] = st[i];
    }
    int64_t n1 = x->shape[a1], n2 = x->shape[a2], len;
    if (k >= 0) { len = n1 < n2 - k ? n1 : n2 - k; if (len > 0) v->off = k * st[a2]; }
    else { len = n1 + k < n2 ? n1 + k : n2; if (len > 0) v->off = -k * st[a1]; }
    /* MXNet: a diagonal of length 0 (offset just past the edge) is empty, beyond that it is an error */
    if (len < 0)
        return mxi_op_error(c, MX_ERR_INVALID, "diagonal k=%lld does not exist for axes of length %lld and %lld",
                            (long long)k, (long long)n1, (long long)n2);
    v->shape[v->nd] = len; v->st[v->nd++] = st[a1] + st[a2];
    view_out_same(v, os, ond);
    return MX_OK;
}

/* ---- depth_to_space / space_to_depth (NCHW) ---- */
/* MXNet 1.x rejects a zero-length axis in either op (its shapes treat 0 as unknown). */
static int nchw_nonempty(const mx_call *c, const mx_tensor_s *x) {
    static const char *names[4] = {"batch", "depth", "height", "width"};
    if (x->ndim != 4) return mxi_op_error(c, MX_ERR_INVALID, "expected a 4-d NCHW input, got %d-d", x->ndim);
    for (int i = 0; i < 4; i++)
        if (x->shape[i] == 0)
            return mxi_op_error(c, MX_ERR_INVALID, "the %s axis (%d) has length 0; expected a non-empty NCHW input",
                                names[i], i);
    return MX_OK;
}

static int v_d2s(const mx_call *c, mx_tensor_s *const *in, mxv_view *v, int64_t *os, int *ond) {
    const mx_tensor_s *x = in[0];
    int64_t b = c->attrs[0].i;
    MXI_TRY(nchw_nonempty(c, x));
    if (b <= 0 || x->shape[1] % (b * b))
        return mxi_op_error(c, MX_ERR_INVALID, "channels %lld must be divisible by block_size^2 (block_size=%lld)",
                            (long long)x->shape[1], (long long)b);
    int64_t N = x->shape[0], C = x->shape[1] / (b * b), H = x->shape[2], W = x->shape[3];
    /* input viewed as (N, b1, b2, C', H, W); output order (N, C', H, b1, W, b2) */
    int64_t sW = 1, sH = W, sC = H * W, sb2 = C * H * W, sb1 = b * sb2, sN = b * sb1;
    int64_t sh[6] = {N, C, H, b, W, b}, st[6] = {sN, sC, sH, sb1, sW, sb2};
    v->nd = 6; v->off = 0;
    memcpy(v->shape, sh, sizeof sh);
    memcpy(v->st, st, sizeof st);
    os[0] = N; os[1] = C; os[2] = H * b; os[3] = W * b;
    *ond = 4;
    return MX_OK;
}

static int v_s2d(const mx_call *c, mx_tensor_s *const *in, mxv_view *v, int64_t *os, int *ond) {
    const mx_tensor_s *x = in[0];
    int64_t b = c->attrs[0].i;
    MXI_TRY(nchw_nonempty(c, x));
    if (b <= 0 || x->shape[2] % b || x->shape[3] % b)
        return mxi_op_error(c, MX_ERR_INVALID, "height %lld and width %lld must be divisible by block_size %lld",
                            (long long)x->shape[2], (long long)x->shape[3], (long long)b);
    int64_t N = x->shape[0], C = x->shape[1], H = x->shape[2], W = x->shape[3];
    /* output (N, b1, b2, C, H/b, W/b) */
    int64_t sh[6] = {N, b, b, C, H / b, W / b}, st[6] = {C * H * W, W, 1, H * W, b * W, b};
    v->nd = 6; v->off = 0;
    memcpy(v->shape, sh, sizeof sh);
    memcpy(v->st, st, sizeof st);
    os[0] = N; os[1] = C * b * b; os[2] = H / b; os[3] = W / b;
    *ond = 4;
    return MX_OK;
}

/* ---- view op table ---- */
typedef struct { const char *name; view_fn fn; } view_entry;
static const view_entry views[] = {
    {"transpose", v_transpose},       {"swapaxes", v_swapaxes},   {"slice", v_slice},
    {"slice_axis", v_slice_axis},     {"slice_like", v_slice_like}, {"flip", v_flip},
    {"broadcast_to", v_broadcast_to}, {"broadcast_axis", v_broadcast_axis},
    {"broadcast_like", v_broadcast_like}, {"tile", v_tile},   {"repeat", v_repeat},
    {"diag", v_diag},                 {"depth_to_space", v_d2s}, {"space_to_depth", v_s2d},
};

static view_fn find_view(const char *name) {
    if (!strncmp(name, "_backward_", 10)) name += 10;
    for (size_t i = 0; i < sizeof views / sizeof views[0]; i++)
        if (!strcmp(views[i].name, name)) return views[i].fn;
    return NULL;
}

int mxi_view_kind(const char *name) {
    const int backward = !strncmp(name, "_backward_", 10);
    const char *base = backward ? name + 10 : name;
    if (!find_view(name) || !strcmp(base, "diag")) return 0;
    if (!backward) return 1;
    return !strncmp(base, "broadcast_", 10) || !strcmp(base, "tile") || !strcmp(base, "repeat") ? 0 : 2;
}

int mxi_view_plan(const mx_call *c, int *backward, mxv_view *v) {
    const int kind = mxi_view_kind(c->op->name);
    if (!kind) return MX_ERR_UNSUPPORTED;
    *backward = kind == 2;
    view_fn fn = find_view(c->op->name);
    int64_t os[MX_MAX_NDIM];
    int ond;
    if (fn(c, *backward ? c->in + 1 : c->in, v, os, &ond) != MX_OK) return MX_ERR_UNSUPPORTED;
    return MX_OK;
}

static int view_infer(mx_call *c) {
    mxv_view v;
    int64_t os[MX_MAX_NDIM];
    int ond;
    MXI_TRY(find_view(c->op->name)(c, c->in, &v, os, &ond));
    mxi_set_out(c, 0, os, ond, c->in[0]->dtype);
    return MX_OK;
}

static int view_cpu(mx_call *c) {
    mxv_view v;
    int64_t os[MX_MAX_NDIM];
    int ond;
    MXI_TRY(find_view(c->op->name)(c, c->in, &v, os, &ond));
    mxv_copy(&v, mxi_data(c->in[0]), mxi_data(c->out[0]), mxi_dtype_size(c->in[0]->dtype), 0);
    return MX_OK;
}

/* generic backward: inputs (ograd, data[, like]) -> zeros(data) with the view += ograd */
static int vbw_infer(mx_call *c) {
    mxi_set_out(c, 0, c->in[1]->shape, c->in[1]->ndim, c->in[0]->dtype);
    return MX_OK;
}

static int vbw_cpu(mx_call *c) {
    mxv_view v;
    int64_t os[MX_MAX_NDIM];
    int ond;
    MXI_TRY(find_view(c->op->name)(c, c->in + 1, &v, os, &ond));
    if (mxi_shape_size(os, ond) != c->in[0]->size) return mxi_op_error(c, MX_ERR_INVALID, "output gradient has the wrong size");
    mxv_scatter_add(&v, mxi_data(c->in[0]), mxi_data(c->out[0]), c->in[0]->dtype);
    return MX_OK;
}

static int vbw_grad(mx_grad_ctx *g) {
    /* the backward is linear in ograd; its own gradient is the forward view */
    char a[1024];
    MXI_TRY(mxi_attrs_string(g->call, a, sizeof a));
    mx_tensor_s *in[2] = {g->ograd[0], g->call->n_in == 3 ? g->in[2] : NULL};
    mx_tensor_s *out[MX_MAX_OUTPUTS] = {0};
    MXI_TRY(mxi_call(g->call->op->name + 10, in, g->call->n_in - 1, a, out, MX_MAX_OUTPUTS));
    g->igrad[0] = out[0];
    return MX_OK;
}

static int view_grad(mx_grad_ctx *g) {
    char bw[64], a[1024];
    snprintf(bw, sizeof bw, "_backward_%s", g->call->op->name);
    MXI_TRY(mxi_attrs_string(g->call, a, sizeof a));
    mx_tensor_s *in[3] = {g->ograd[0], g->in[0], g->call->n_in > 1 ? g->in[1] : NULL};
    mx_tensor_s *out[MX_MAX_OUTPUTS] = {0};
    MXI_TRY(mxi_call(bw, in, g->call->n_in + 1, a, out, MX_MAX_OUTPUTS));
    g->igrad[0] = out[0];
    return MX_OK;
}

/* tile / repeat: their view repeats input elements along stride-0 axes, in
 * output order, so the gradient is the output gradient reshaped to the view's
 * shape, summed over those axes and reshaped to the input — registered ops
 * only (every device runs them; differentiable again). Views with more axes
 * than a tensor can have take the scatter-add kernel instead. */
static int repeating_view_grad(mx_grad_ctx *g) {
    mxv_view v;
    int64_t os[MX_MAX_NDIM];
    int ond;
    MXI_TRY(find_view(g->call->op->name)(g->call, g->in, &v, os, &ond));
    if (v.nd > MX_MAX_NDIM) return view_grad(g);
    int64_t axes[MXV_MAX];
    int na = 0;
    for (int i = 0; i < v.nd; i++)
        if (v.st[i] == 0 && v.shape[i] != 1) axes[na++] = i;
    char b1[512], b2[512], a[600];
    snprintf(a, sizeof a, "shape=%s", mxr_tuple_str(v.shape, v.nd, b1, sizeof b1));
    mx_tensor_s *r = mxi_call1("reshape", a, 1, g->ograd[0]);
    if (!r) return mx_last_error_code();
    if (na) {
        snprintf(a, sizeof a, "axis=%s", mxr_tuple_str(axes, na, b2, sizeof b2));
        mx_tensor_s *s = mxi_call1("sum", a, 1, r);
        mxi_tensor_release(r);
        if (!(r = s)) return mx_last_error_code();
    }
    g->igrad[0] = mxi_call1("reshape_like", NULL, 2, r, g->in[0]);
    mxi_tensor_release(r);
    return g->igrad[0] ? MX_OK : mx_last_error_code();
}

/* broadcast ops: gradient sums back with _reduce_to_shape_like */
static int bcast_grad(mx_grad_ctx *g) {
    g->igrad[0] = mxi_call1("_reduce_to_shape_like", NULL, 2, g->ograd[0], g->in[0]);
    return g->igrad[0] ? MX_OK : mx_last_error_code();
}

static int transpose_grad(mx_grad_ctx *g) {
    const mx_attr_val *ax = &g->call->attrs[0];
    int nd = g->in[0]->ndim;
    if (ax->is_none || ax->n == 0) {
        g->igrad[0] = mxi_call1("transpose", NULL, 1, g->ograd[0]);
    } else {
        int64_t inv[MX_MAX_NDIM];
        for (int i = 0; i < nd; i++) inv[(ax->v[i] + nd) % nd] = i;
        char b[256], a[300];
        snprintf(a, sizeof a, "axes=%s", mxr_tuple_str(inv, nd, b, sizeof b));
        g->igrad[0] = mxi_call1("transpose", a, 1, g->ograd[0]);
    }
    return g->igrad[0] ? MX_OK : mx_last_error_code();
}

static int self_grad(mx_grad_ctx *g) { /* swapaxes / flip are their own inverse */
    char a[1024];
    MXI_TRY(mxi_attrs_string(g->call, a, sizeof a));
    g->igrad[0] = mxi_call1(g->call->op->name, a, 1, g->ograd[0]);
    return g->igrad[0] ? MX_OK : mx_last_error_code();
}

/* ---- diag: 1-d input builds a matrix ---- */
static int diag_infer(mx_call *c) {
    const mx_tensor_s *x = c->in[0];
    if (x->ndim == 0) return mxi_op_error(c, MX_ERR_INVALID, "input must be at least 1-d");
    if (x->ndim == 1) {
        int64_t k = c->attrs[0].i, n = x->shape[0] + (k < 0 ? -k : k);
        int64_t s[2] = {n, n};
        mxi_set_out(c, 0, s, 2, x->dtype);
        return MX_OK;
    }
    return view_infer(c);
}

static int diag_cpu(mx_call *c) {
    const mx_tensor_s *x = c->in[0];
    if (x->ndim != 1) return view_cpu(c);
    int64_t k = c->attrs[0].i, n = c->out[0]->shape[0];
    mxv_view v = {.nd = 1, .off = k >= 0 ? k : -k * n, .shape = {x->shape[0]}, .st = {n + 1}};
    mxv_copy(&v, mxi_data(x), mxi_data(c->out[0]), mxi_dtype_size(x->dtype), 1);
    return MX_OK;
}

static int diag_grad(mx_grad_ctx *g) {
    if (g->in[0]->ndim == 1) {
        char a[64];
        snprintf(a, sizeof a, "k=%lld", (long long)g->call->attrs[0].i);
        g->igrad[0] = mxi_call1("diag", a, 1, g->ograd[0]);
        return g->igrad[0] ? MX_OK : mx_last_error_code();
    }
    return view_grad(g);
}

/* ---- reshape family (copies of contiguous data) ---- */
static int copy_cpu(mx_call *c) {
    size_t n = (size_t)c->in[0]->size * mxi_dtype_size(c->in[0]->dtype);
    if (n) memcpy(mxi_data(c->out[0]), mxi_data(c->in[0]), n);
    return MX_OK;
}

static int reshape_like_grad(mx_grad_ctx *g) {
    g->igrad[0] = mxi_call1("reshape_like", NULL, 2, g->ograd[0], g->in[0]);
    return g->igrad[0] ? MX_OK : mx_last_error_code();
}

static int size_mismatch(mx_call *c, const int64_t *s, int n) {
    char s1[160], s2[160];
    return mxi_op_error(c, MX_ERR_INVALID, "cannot reshape %s (size %lld) to %s",
                        sstr(c->in[0]->shape, c->in[0]->ndim, s1), (long long)c->in[0]->size, sstr(s, n, s2));
}

/* The deprecated target_shape form that files from MXNet before 0.9 use: the
 * dims as given, one 0 inferred from the size, and with keep_highest the first
 * dim taken from the input. */
static int reshape_target_infer(mx_call *c) {
    const mx_tensor_s *x = c->in[0];
    const mx_attr_val *ts = &c->attrs[2];
    int64_t out[MX_MAX_NDIM];
    int n = ts->n, inf = -1, first = c->attrs[3].i ? 1 : 0;
    if (n > MX_MAX_NDIM) return mxi_op_error(c, MX_ERR_INVALID, "target_shape has too many dims");
    if (first && x->ndim == 0) return mxi_op_error(c, MX_ERR_INVALID, "keep_highest needs an input with a dim");
    for (int i = 0; i < n; i++) {
        out[i] = i < first ? x->shape[0] : ts->v[i];
        if (i >= first && out[i] == 0) {
            if (inf >= 0) return mxi_op_error(c, MX_ERR_INVALID, "target_shape can contain at most one 0");
            inf = i;
        } else if (out[i] < 0) {
            return mxi_op_error(c, MX_ERR_INVALID, "target_shape dim %d is negative (%lld)", i, (long long)out[i]);
        }
    }
    if (inf >= 0) {
        out[inf] = 1;
        int64_t rest = mxi_shape_size(out, n);
        if (rest == 0 || x->size % rest) return size_mismatch(c, out, n);
        out[inf] = x->size / rest;
    }
    if (mxi_shape_size(out, n) != x->size) return size_mismatch(c, out, n);
    mxi_set_out(c, 0, out, n, x->dtype);
    return MX_OK;
}

static int reshape_infer(mx_call *c) {
    const mx_tensor_s *x = c->in[0];
    const mx_attr_val *sp = &c->attrs[0];
    if ((sp->is_none || sp->n == 0) && !c->attrs[2].is_none && c->attrs[2].n > 0) return reshape_target_infer(c);
    int rev = (int)c->attrs[1].i;
    int64_t d[MX_MAX_NDIM], spec[MX_MAX_TUPLE], out[MX_MAX_NDIM + MX_MAX_TUPLE];
    int nd = x->ndim, ns = sp->is_none ? 0 : sp->n, no = 0, inf = -1;
    for (int i = 0; i < nd; i++) d[i] = rev ? x->shape[nd - 1 - i] : x->shape[i];
    for (int i = 0; i < ns; i++) spec[i] = rev ? sp->v[ns - 1 - i] : sp->v[i];
    int src = 0;
    for (int i = 0; i < ns; i++) {
        int64_t p = spec[i];
        if (no >= MX_MAX_NDIM) return mxi_op_error(c, MX_ERR_INVALID, "target shape has too many dims");
        if (p > 0) { out[no++] = p; src++; }
        else if (p == 0) {
            if (src >= nd) return mxi_op_error(c, MX_ERR_INVALID, "shape code 0 at position %d has no matching input dim", i);
            out[no++] = d[src++];
        } else if (p == -1) {
            if (inf >= 0) return mxi_op_error(c, MX_ERR_INVALID, "shape can contain at most one -1");
            inf = no; out[no++] = 1; src++;
        } else if (p == -2) {
            while (src < nd && no < MX_MAX_NDIM) out[no++] = d[src++];
        } else if (p == -3) {
            if (src + 1 >= nd) return mxi_op_error(c, MX_ERR_INVALID, "shape code -3 needs two input dims");
            out[no++] = d[src] * d[src + 1]; src += 2;
        } else if (p == -4) {
            if (i + 2 >= ns || src >= nd) return mxi_op_error(c, MX_ERR_INVALID, "shape code -4 needs two following values and an input dim");
            int64_t a = spec[i + 1], b = spec[i + 2];
            if (a == -1 && b == -1) return mxi_op_error(c, MX_ERR_INVALID, "shape code -4 cannot split into -1,-1");
            if (a == -1) a = b ? d[src] / b : 0;
            if (b == -1) b = a ? d[src] / a : 0;
            if (a * b != d[src]) return mxi_op_error(c, MX_ERR_INVALID, "shape code -4: %lld x %lld != %lld", (long long)a, (long long)b, (long long)d[src]);
            out[no++] = a; out[no++] = b; src++; i += 2;
        } else {
            return mxi_op_error(c, MX_ERR_INVALID, "invalid shape code %lld", (long long)p);
        }
    }
    if (inf >= 0) {
        int64_t rest = 1;
        for (int i = 0; i < no; i++) if (i != inf) rest *= out[i];
        if (rest == 0 || x->size % rest) return size_mismatch(c, out, no);
        out[inf] = x->size / rest;
    }
    if (rev) for (int i = 0; i < no / 2; i++) { int64_t t = out[i]; out[i] = out[no - 1 - i]; out[no - 1 - i] = t; }
    if (mxi_shape_size(out, no) != x->size) return size_mismatch(c, out, no);
    mxi_set_out(c, 0, out, no, x->dtype);
    return MX_OK;
}

/* reshape_like's optional [begin, end) ranges: lhs dims [lhs_begin, lhs_end) are
 * replaced by rhs dims [rhs_begin, rhs_end); negative values count from the end,
 * None means the whole shape (MXNet 1.x). */
static const mx_attr_spec reshape_like_attrs[] = {
    {"lhs_begin", MX_ATTR_OPT_INT, "None", "First lhs dim replaced (None: 0).", NULL, 0, 0, 0},
    {"lhs_end", MX_ATTR_OPT_INT, "None", "End of the replaced lhs dims (None: ndim).", NULL, 0, 0, 0},
    {"rhs_begin", MX_ATTR_OPT_INT, "None", "First rhs dim used (None: 0).", NULL, 0, 0, 0},
    {"rhs_end", MX_ATTR_OPT_INT, "None", "End of the rhs dims used (None: ndim).", NULL, 0, 0, 0},
};

static int like_range(mx_call *c, int k, const char *name, int ndim, int dflt, int *out) {
    if (c->n_attrs <= k || c->attrs[k].is_none) {
        *out = dflt;
        return MX_OK;
    }
    int64_t v = c->attrs[k].i;
    if (v < 0) v += ndim;
    if (v < 0 || v > ndim)
        return mxi_op_error(c, MX_ERR_INVALID, "%s=%lld is out of range for a %d-d input", name,
                            (long long)c->attrs[k].i, ndim);
    *out = (int)v;
    return MX_OK;
}

static int reshape_like_infer(mx_call *c) {
    const mx_tensor_s *l = c->in[0], *r = c->in[1];
    int lb = 0, le = 0, rb = 0, re = 0;
    MXI_TRY(like_range(c, 0, "lhs_begin", l->ndim, 0, &lb));
    MXI_TRY(like_range(c, 1, "lhs_end", l->ndim, l->ndim, &le));
    MXI_TRY(like_range(c, 2, "rhs_begin", r->ndim, 0, &rb));
    MXI_TRY(like_range(c, 3, "rhs_end", r->ndim, r->ndim, &re));
    /* with no ranges given the whole shapes are used, which may be 0-d (numpy-mode scalars) */
    int whole = 1;
    for (int k = 0; k < 4 && k < c->n_attrs; k++) whole &= c->attrs[k].is_none;
    if (!whole && (le <= lb || re <= rb))
        return mxi_op_error(c, MX_ERR_INVALID, "begin must be less than end: lhs [%d,%d), rhs [%d,%d)", lb, le, rb, re);
    int64_t s[2 * MX_MAX_NDIM];
    int n = 0;
    for (int i = 0; i < lb; i++) s[n++] = l->shape[i];
    for (int i = rb; i < re; i++) s[n++] = r->shape[i];
    for (int i = le; i < l->ndim; i++) s[n++] = l->shape[i];
    if (n > MX_MAX_NDIM) return mxi_op_error(c, MX_ERR_INVALID, "result has %d dims (at most %d)", n, MX_MAX_NDIM);
    if (mxi_shape_size(s, n) != l->size) return size_mismatch(c, s, n);
    mxi_set_out(c, 0, s, n, l->dtype);
    return MX_OK;
}

static int flatten_infer(mx_call *c) {
    const mx_tensor_s *x = c->in[0];
    int64_t s[2] = {x->ndim ? x->shape[0] : 1, 1};
    for (int i = 1; i < x->ndim; i++) s[1] *= x->shape[i];
    mxi_set_out(c, 0, s, 2, x->dtype);
    return MX_OK;
}

static int expand_dims_infer(mx_call *c) {
    const mx_tensor_s *x = c->in[0];
    if (x->ndim >= MX_MAX_NDIM) return mxi_op_error(c, MX_ERR_INVALID, "input already has the maximum number of dims");
    int a;
    MXI_TRY(mxi_norm_axis(c, c->attrs[0].i, x->ndim + 1, &a));
    int64_t s[MX_MAX_NDIM];
    int n = 0;
    for (int i = 0; i <= x->ndim; i++) {
        if (i == a) s[n++] = 1;
        if (i < x->ndim) s[n++] = x->shape[i];
    }
    mxi_set_out(c, 0, s, n, x->dtype);
    return MX_OK;
}

static int squeeze_infer(mx_call *c) {
    const mx_tensor_s *x = c->in[0];
    const mx_attr_val *ax = &c->attrs[0];
    int mark[MX_MAX_NDIM] = {0};
    if (ax->is_none) {
        for (int i = 0; i < x->ndim; i++) mark[i] = x->shape[i] == 1;
    } else {
        for (int i = 0; i < ax->n; i++) {
            int a;
            MXI_TRY(mxi_norm_axis(c, ax->v[i], x->ndim, &a));
            if (x->shape[a] != 1)
                return mxi_op_error(c, MX_ERR_INVALID, "cannot squeeze axis %d of size %lld", a, (long long)x->shape[a]);
            mark[a] = 1;
        }
    }
    int64_t s[MX_MAX_NDIM];
    int n = 0;
    for (int i = 0; i < x->ndim; i++) if (!mark[i]) s[n++] = x->shape[i];
    if (n == 0 && x->ndim > 0) s[n++] = 1;
    mxi_set_out(c, 0, s, n, x->dtype);
    return MX_OK;
}

/* ---- concat / stack / split ---- */
enum { CAT_NUM_ARGS, CAT_DIM };

static int concat_infer(mx_call *c) {
    MXI_TRY(mxi_require_same_dtype(c));
    const mx_tensor_s *x = c->in[0];
    int a;
    if (x->ndim == 0) return mxi_op_error(c, MX_ERR_INVALID, "cannot concatenate 0-d arrays");
    MXI_TRY(mxi_norm_axis(c, c->attrs[CAT_DIM].i, x->ndim, &a));
    int64_t s[MX_MAX_NDIM];
    memcpy(s, x->shape, sizeof(int64_t) * (size_t)x->ndim);
    for (int i = 1; i < c->n_in; i++) {
        const mx_tensor_s *y = c->in[i];
        int ok = y->ndim == x->ndim;
        for (int d = 0; ok && d < x->ndim; d++) ok = d == a || y->shape[d] == x->shape[d];
        if (!ok) {
            char s1[160], s2[160];
            return mxi_op_error(c, MX_ERR_INVALID, "input %d has shape %s, incompatible with %s for concatenation on dim %d",
                                i, sstr(y->shape, y->ndim, s1), sstr(x->shape, x->ndim, s2), a);
        }
        s[a] += y->shape[a];
    }
    mxi_set_out(c, 0, s, x->ndim, x->dtype);
    return MX_OK;
}

/* copy blocks: out[o, off_i : off_i + blk_i] = in_i[o, :] for each outer o */
static void block_join(mx_call *c, int64_t outer, const int64_t *blk, int n, void *out, int64_t row, size_t esz, int split) {
    int64_t off = 0;
    for (int i = 0; i < n; i++) {
        char *src = mxi_data(split ? c->out[i] : c->in[i]);
        mxv_view v = {.nd = 2, .off = off, .shape = {outer, blk[i]}, .st = {row, 1}};
        if (split) mxv_copy(&v, out, src, esz, 0);
        else mxv_copy(&v, src, out, esz, 1);
        off += blk[i];
    }
}

static int concat_cpu(mx_call *c) {
    const mx_tensor_s *x = c->in[0];
    int a;
    MXI_TRY(mxi_norm_axis(c, c->attrs[CAT_DIM].i, x->ndim, &a));
    int64_t outer = 1, inner = 1, blk[MX_MAX_INPUTS];
    for (int d = 0; d < a; d++) outer *= x->shape[d];
    for (int d = a + 1; d < x->ndim; d++) inner *= x->shape[d];
    for (int i = 0; i < c->n_in; i++) blk[i] = c->in[i]->shape[a] * inner;
    block_join(c, outer, blk, c->n_in, mxi_data(c->out[0]), c->out[0]->shape[a] * inner, mxi_dtype_size(x->dtype), 0);
    return MX_OK;
}

static int concat_grad(mx_grad_ctx *g) {
    int a = (int)((g->call->attrs[CAT_DIM].i + g->in[0]->ndim) % g->in[0]->ndim);
    int64_t off = 0;
    for (int i = 0; i < g->call->n_in; i++) {
        char s[128];
        int64_t n = g->in[i]->shape[a];
        snprintf(s, sizeof s, "axis=%d;begin=%lld;end=%lld", a, (long long)off, (long long)(off + n));
        g->igrad[i] = mxi_call1("slice_axis", s, 1, g->ograd[0]);
        if (!g->igrad[i]) return mx_last_error_code();
        off += n;
    }
    return MX_OK;
}

static int stack_infer(mx_call *c) {
    MXI_TRY(mxi_require_same_dtype(c));
    const mx_tensor_s *x = c->in[0];
    int a;
    if (x->ndim >= MX_MAX_NDIM) return mxi_op_error(c, MX_ERR_INVALID, "inputs have too many dims");
    MXI_TRY(mxi_norm_axis(c, c->attrs[1].i, x->ndim + 1, &a));
    for (int i = 1; i < c->n_in; i++) {
        if (!mxr_same_shape(c->in[i], x)) {
            char s1[160], s2[160];
            return mxi_op_error(c, MX_ERR_INVALID, "all inputs must have the same shape, input %d is %s, input 0 is %s", i,
                                sstr(c->in[i]->shape, c->in[i]->ndim, s1), sstr(x->shape, x->ndim, s2));
        }
    }
    int64_t s[MX_MAX_NDIM];
    int n = 0;
    for (int i = 0; i <= x->ndim; i++) {
        if (i == a) s[n++] = c->n_in;
        if (i < x->ndim) s[n++] = x->shape[i];
    }
    mxi_set_out(c, 0, s, n, x->dtype);
    return MX_OK;
}

static int stack_cpu(mx_call *c) {
    const mx_tensor_s *x = c->in[0];
    int a = c->out[0]->ndim;
    MXI_TRY(mxi_norm_axis(c, c->attrs[1].i, x->ndim + 1, &a));
    int64_t outer = 1, inner = 1, blk[MX_MAX_INPUTS];
    for (int d = 0; d < a; d++) outer *= x->shape[d];
    for (int d = a; d < x->ndim; d++) inner *= x->shape[d];
    for (int i = 0; i < c->n_in; i++) blk[i] = inner;
    block_join(c, outer, blk, c->n_in, mxi_data(c->out[0]), inner * c->n_in, mxi_dtype_size(x->dtype), 0);
    return MX_OK;
}

/* split of the output gradient, in blocks of at most MX_MAX_OUTPUTS inputs
 * (a split has that many outputs at most; stack takes up to MX_MAX_INPUTS) */
static int stack_grad(mx_grad_ctx *g) {
    char s[128];
    const int n = g->call->n_in;
    int a = (int)((g->call->attrs[1].i + g->in[0]->ndim + 1) % (g->in[0]->ndim + 1));
    int rc = MX_OK;
    for (int lo = 0; lo < n && rc == MX_OK; lo += MX_MAX_OUTPUTS) {
        int len = n - lo < MX_MAX_OUTPUTS ? n - lo : MX_MAX_OUTPUTS;
        mx_tensor_s *block = g->ograd[0];
        if (len < n) {
            snprintf(s, sizeof s, "axis=%d;begin=%d;end=%d", a, lo, lo + len);
            if (!(block = mxi_call1("slice_axis", s, 1, g->ograd[0]))) return mx_last_error_code();
        } else {
            mxi_tensor_retain(block);
        }
        snprintf(s, sizeof s, "num_outputs=%d;axis=%d;squeeze_axis=True", len, a);
        rc = mxi_call("split", &block, 1, s, g->igrad + lo, len);
        mxi_tensor_release(block);
    }
    return rc;
}

enum { SP_NUM, SP_AXIS, SP_SQUEEZE };
static int split_nout(const mx_call *c) { return (int)c->attrs[SP_NUM].i; }

static int split_infer(mx_call *c) {
    const mx_tensor_s *x = c->in[0];
    int a;
    if (x->ndim == 0) return mxi_op_error(c, MX_ERR_INVALID, "cannot split a 0-d array");
    MXI_TRY(mxi_norm_axis(c, c->attrs[SP_AXIS].i, x->ndim, &a));
    int64_t n = c->attrs[SP_NUM].i;
    if (x->shape[a] % n)
        return mxi_op_error(c, MX_ERR_INVALID, "axis %d of size %lld is not divisible by num_outputs=%lld", a,
                            (long long)x->shape[a], (long long)n);
    if (c->attrs[SP_SQUEEZE].i && x->shape[a] != n)
        return mxi_op_error(c, MX_ERR_INVALID, "squeeze_axis needs axis %d of size num_outputs=%lld, got %lld", a,
                            (long long)n, (long long)x->shape[a]);
    int64_t s[MX_MAX_NDIM];
    int m = 0;
    for (int i = 0; i < x->ndim; i++) {
        if (i == a) { if (!c->attrs[SP_SQUEEZE].i) s[m++] = x->shape[a] / n; }
        else s[m++] = x->shape[i];
    }
    for (int k = 0; k < n; k++) mxi_set_out(c, k, s, m, x->dtype);
    return MX_OK;
}

static int split_cpu(mx_call *c) {
    const mx_tensor_s *x = c->in[0];
    int a;
    MXI_TRY(mxi_norm_axis(c, c->attrs[SP_AXIS].i, x->ndim, &a));
    int64_t outer = 1, inner = 1, blk[MX_MAX_OUTPUTS];
    for (int d = 0; d < a; d++) outer *= x->shape[d];
    for (int d = a + 1; d < x->ndim; d++) inner *= x->shape[d];
    for (int i = 0; i < c->n_out; i++) blk[i] = x->shape[a] / c->n_out * inner;
    block_join(c, outer, blk, c->n_out, mxi_data(x), x->shape[a] * inner, mxi_dtype_size(x->dtype), 1);
    return MX_OK;
}

static int split_grad(mx_grad_ctx *g) {
    int n = g->call->n_out, a;
    const mx_tensor_s *x = g->in[0];
    a = (int)((g->call->attrs[SP_AXIS].i + x->ndim) % x->ndim);
    mx_tensor_s *parts[MX_MAX_OUTPUTS] = {0};
    int rc = MX_OK;
    for (int k = 0; k < n && rc == MX_OK; k++) {
        if (g->call->attrs[SP_SQUEEZE].i) {
            char s[64];
            snprintf(s, sizeof s, "axis=%d", a);
            parts[k] = mxi_call1("expand_dims", s, 1, g->ograd[k]);
            if (!parts[k]) rc = mx_last_error_code();
        } else {
            parts[k] = g->ograd[k];
            mxi_tensor_retain(parts[k]);
        }
    }
    if (rc == MX_OK) {
        char s[64];
        snprintf(s, sizeof s, "num_args=%d;dim=%d", n, a);
        rc = mxi_call("concat", parts, n, s, g->igrad, 1);
    }
    for (int k = 0; k < n; k++) mxi_tensor_release(parts[k]);
    return rc;
}

/* ---- split_v2: numpy.split-style parts (equal sections or split points) ----
 * The user form is indices_or_sections: a bare integer means that many equal
 * parts, a tuple means split points (MXNet's Python front end makes the same
 * int/tuple distinction, which a shape attribute cannot keep, hence a string).
 * MXNet writes the op into symbol files as `_split_v2` with its internal form:
 * indices = part starts (a leading 0 added), sections = equal parts (0: use
 * indices); both forms are accepted. Every part is described by its start on
 * the axis; it ends where the next one starts (the last at the axis end). */
enum { SV2_IOS, SV2_AXIS, SV2_SQUEEZE, SV2_INDICES, SV2_SECTIONS };

typedef struct {
    int sections;                 /* > 0: equal parts; 0: starts[] */
    int n;                        /* number of parts */
    int64_t starts[MX_MAX_OUTPUTS];
} sv2_plan;

/* Parse the attributes into a plan (no shape checks). A malformed or
 * conflicting value returns an error, reported (naming the op and inputs)
 * only when `report`: output counting runs on calls without inputs. */
#define SV2_ERR(...) (report ? mxi_op_error(c, MX_ERR_INVALID, __VA_ARGS__) : MX_ERR_INVALID)
static int sv2_parse(const mx_call *c, sv2_plan *p, int report) {
    const char *s = c->attrs[SV2_IOS].s;
    const mx_attr_val *ind = &c->attrs[SV2_INDICES];
    int64_t sec = c->attrs[SV2_SECTIONS].i;
    while (*s == ' ') s++;
    int given = *s && strcmp(s, "None") != 0;
    memset(p, 0, sizeof *p);
    if (given && (sec != 0 || ind->n > 0))
        return SV2_ERR("give indices_or_sections or MXNet's internal indices/sections, not both");
    if (given && (*s == '(' || *s == '[')) { /* split points: parts start at 0 and at each point */
        const char close = *s == '(' ? ')' : ']';
        const char *q = s + 1;
        p->starts[p->n++] = 0;
        for (;;) {
            while (*q == ' ' || *q == ',') q++;
            if (*q == close) break;
            char *end;
            long long v = strtoll(q, &end, 10);
            if (end == q)
                return SV2_ERR("indices_or_sections '%s' is neither an integer nor a tuple of integers", s);
            if (p->n >= MX_MAX_OUTPUTS)
                return SV2_ERR("indices_or_sections gives more than %d parts", MX_MAX_OUTPUTS);
            p->starts[p->n++] = v;
            q = end;
        }
        return MX_OK;
    }
    if (given) { /* a bare integer: equal sections */
        char *end;
        long long v = strtoll(s, &end, 10);
        while (*end == ' ') end++;
        if (end == s || *end)
            return SV2_ERR("indices_or_sections '%s' is neither an integer nor a tuple of integers", s);
        sec = v;
    } else if (sec == 0 && ind->n == 0) {
        return SV2_ERR("indices_or_sections is required (an integer or a tuple of split points)");
    }
    if (given || sec != 0) {
        if (sec < 1 || sec > MX_MAX_OUTPUTS)
            return SV2_ERR("the number of sections must be in [1, %d], got %lld", MX_MAX_OUTPUTS, (long long)sec);
        p->sections = (int)sec;
        p->n = (int)sec;
        return MX_OK;
    }
    p->n = ind->n; /* internal form: indices are the part starts themselves */
    memcpy(p->starts, ind->v, sizeof(int64_t) * (size_t)ind->n);
    return MX_OK;
}
#undef SV2_ERR

/* output count before inference: a malformed value gives 1 and infer reports it */
static int sv2_nout(const mx_call *c) {
    sv2_plan p;
    return sv2_parse(c, &p, 0) == MX_OK && p.n > 0 ? p.n : 1;
}

/* plan + axis, with the part starts checked against the input; len[k] is part k's size */
static int sv2_resolve(const mx_call *c, sv2_plan *p, int *axis, int64_t *len) {
    const mx_tensor_s *x = c->in[0];
    char sb[160];
    MXI_TRY(sv2_parse(c, p, 1));
    if (x->ndim == 0) return mxi_op_error(c, MX_ERR_INVALID, "cannot split a 0-d array");
    MXI_TRY(mxi_norm_axis(c, c->attrs[SV2_AXIS].i, x->ndim, axis));
    const int64_t n = x->shape[*axis];
    if (p->sections) {
        if (n % p->sections)
            return mxi_op_error(c, MX_ERR_INVALID, "axis %d of size %lld does not split into %d equal sections", *axis,
                                (long long)n, p->sections);
        for (int k = 0; k < p->n; k++) { p->starts[k] = k * (n / p->sections); len[k] = n / p->sections; }
    } else {
        for (int k = 0; k < p->n; k++) {
            int64_t b = p->starts[k], e = k + 1 < p->n ? p->starts[k + 1] : n;
            if (b < 0 || b > e || e > n)
                return mxi_op_error(c, MX_ERR_INVALID,
                                    "split points must be non-decreasing within [0, %lld] (axis %d of %s); part %d would be [%lld, %lld)",
                                    (long long)n, *axis, sstr(x->shape, x->ndim, sb), k, (long long)b, (long long)e);
            len[k] = e - b;
        }
    }
    if (c->attrs[SV2_SQUEEZE].i)
        for (int k = 0; k < p->n; k++)
            if (len[k] != 1)
                return mxi_op_error(c, MX_ERR_INVALID, "squeeze_axis needs every part to have size 1 on axis %d, part %d has %lld",
                                    *axis, k, (long long)len[k]);
    return MX_OK;
}

static int split_v2_infer(mx_call *c) {
    const mx_tensor_s *x = c->in[0];
    sv2_plan p;
    int a;
    int64_t len[MX_MAX_OUTPUTS];
    MXI_TRY(sv2_resolve(c, &p, &a, len));
    if (p.n != c->n_out) return mxi_op_error(c, MX_ERR_INTERNAL, "plan has %d parts for %d outputs", p.n, c->n_out);
    for (int k = 0; k < p.n; k++) {
        int64_t s[MX_MAX_NDIM];
        int m = 0;
        for (int i = 0; i < x->ndim; i++) {
            if (i != a) s[m++] = x->shape[i];
            else if (!c->attrs[SV2_SQUEEZE].i) s[m++] = len[k];
        }
        mxi_set_out(c, k, s, m, x->dtype);
    }
    return MX_OK;
}

static int split_v2_cpu(mx_call *c) {
    const mx_tensor_s *x = c->in[0];
    sv2_plan p;
    int a;
    int64_t len[MX_MAX_OUTPUTS], outer = 1, inner = 1;
    MXI_TRY(sv2_resolve(c, &p, &a, len));
    for (int d = 0; d < a; d++) outer *= x->shape[d];
    for (int d = a + 1; d < x->ndim; d++) inner *= x->shape[d];
    const int64_t row = x->shape[a] * inner;
    for (int k = 0; k < p.n; k++) { /* part k: rows of len[k]*inner from offset start*inner */
        mxv_view v = {.nd = 2, .off = p.starts[k] * inner, .shape = {outer, len[k] * inner}, .st = {row, 1}};
        mxv_copy(&v, mxi_data(x), mxi_data(c->out[k]), mxi_dtype_size(x->dtype), 0);
    }
    return MX_OK;
}

/* the parts' gradients joined back on the axis (empty parts add nothing);
 * internal-form starts beyond 0 leave the head of the axis with zero gradient */
static int split_v2_grad(mx_grad_ctx *g) {
    sv2_plan p;
    int a;
    int64_t len[MX_MAX_OUTPUTS];
    MXI_TRY(sv2_resolve(g->call, &p, &a, len));
    mx_tensor_s *parts[MX_MAX_OUTPUTS] = {0};
    int n = 0, rc = MX_OK;
    char s[128];
    for (int k = 0; k < p.n && rc == MX_OK; k++) {
        if (len[k] == 0) continue;
        if (g->call->attrs[SV2_SQUEEZE].i) {
            snprintf(s, sizeof s, "axis=%d", a);
            if (!(parts[n++] = mxi_call1("expand_dims", s, 1, g->ograd[k]))) rc = mx_last_error_code();
        } else {
            mxi_tensor_retain(g->ograd[k]);
            parts[n++] = g->ograd[k];
        }
    }
    mx_tensor_s *joined = NULL;
    if (rc == MX_OK && n == 0) {
        joined = mxi_call1("zeros_like", NULL, 1, g->in[0]);
    } else if (rc == MX_OK) {
        snprintf(s, sizeof s, "num_args=%d;dim=%d", n, a);
        rc = mxi_call("concat", parts, n, s, &joined, 1);
    }
    for (int k = 0; k < n; k++) mxi_tensor_release(parts[k]);
    if (rc == MX_OK && joined && n > 0 && p.starts[0] > 0) {
        snprintf(s, sizeof s, "axis=%d;begin=%lld;end=None", a, (long long)p.starts[0]);
        mx_tensor_s *full = mxi_call1("_backward_slice_axis", s, 2, joined, g->in[0]);
        mxi_tensor_release(joined);
        joined = full;
    }
    if (rc != MX_OK) return rc;
    g->igrad[0] = joined;
    return joined ? MX_OK : mx_last_error_code();
}

/* ---- Crop: MXNet's legacy 2-D crop of NCHW data ----
 * The window is h_w (num_args=1) or the spatial size of the second input
 * crop_like (num_args=2), placed at offset (y, x) or centred (offset floored,
 * as MXNet does). The gradient scatters back into zeros with
 * _backward_slice (differentiable again); crop_like gets none. */
enum { CROP_NUM_ARGS, CROP_OFFSET, CROP_HW, CROP_CENTER };

/* window (h, w) and its top-left corner (y, x), checked against the input */
static int crop_window(const mx_call *c, int64_t *h, int64_t *w, int64_t *y, int64_t *x) {
    const mx_tensor_s *d = c->in[0];
    const mx_attr_val *off = &c->attrs[CROP_OFFSET], *hw = &c->attrs[CROP_HW];
    char s1[160], s2[160];
    if (d->ndim != 4)
        return mxi_op_error(c, MX_ERR_INVALID, "data must be 4-d (batch, channel, height, width), got %s",
                            sstr(d->shape, d->ndim, s1));
    if (off->is_none || off->n != 2) return mxi_op_error(c, MX_ERR_INVALID, "offset must have 2 entries (y, x)");
    if (hw->is_none || hw->n != 2) return mxi_op_error(c, MX_ERR_INVALID, "h_w must have 2 entries (height, width)");
    if (c->attrs[CROP_NUM_ARGS].i == 2) {
        const mx_tensor_s *l = c->in[1];
        if (l->ndim != 4)
            return mxi_op_error(c, MX_ERR_INVALID, "crop_like must be 4-d (its last two dims give the window), got %s",
                                sstr(l->shape, l->ndim, s1));
        *h = l->shape[2];
        *w = l->shape[3];
    } else {
        *h = hw->v[0];
        *w = hw->v[1];
        if (*h < 1 || *w < 1)
            return mxi_op_error(c, MX_ERR_INVALID, "h_w (%lld,%lld) must be at least 1 each (with num_args=1 it gives the window)",
                                (long long)*h, (long long)*w);
    }
    if (*h > d->shape[2] || *w > d->shape[3])
        return mxi_op_error(c, MX_ERR_INVALID, "window (%lld,%lld) is larger than the data's spatial size in %s",
                            (long long)*h, (long long)*w, sstr(d->shape, d->ndim, s2));
    if (c->attrs[CROP_CENTER].i) {
        *y = (d->shape[2] - *h) / 2;
        *x = (d->shape[3] - *w) / 2;
    } else {
        *y = off->v[0];
        *x = off->v[1];
        if (*y < 0 || *x < 0 || *y + *h > d->shape[2] || *x + *w > d->shape[3])
            return mxi_op_error(c, MX_ERR_INVALID, "offset (%lld,%lld) puts the (%lld,%lld) window outside the data %s",
                                (long long)*y, (long long)*x, (long long)*h, (long long)*w, sstr(d->shape, d->ndim, s2));
    }
    return MX_OK;
}

static int crop_infer(mx_call *c) {
    int64_t h = 0, w = 0, y = 0, x = 0;
    MXI_TRY(crop_window(c, &h, &w, &y, &x));
    const int64_t *s = c->in[0]->shape;
    int64_t o[4] = {s[0], s[1], h, w};
    mxi_set_out(c, 0, o, 4, c->in[0]->dtype);
    return MX_OK;
}

static int crop_cpu(mx_call *c) {
    int64_t h = 0, w = 0, y = 0, x = 0;
    MXI_TRY(crop_window(c, &h, &w, &y, &x));
    const int64_t *s = c->in[0]->shape;
    mxv_view v = {.nd = 4, .off = y * s[3] + x, .shape = {s[0], s[1], h, w}, .st = {s[1] * s[2] * s[3], s[2] * s[3], s[3], 1}};
    mxv_copy(&v, mxi_data(c->in[0]), mxi_data(c->out[0]), mxi_dtype_size(c->in[0]->dtype), 0);
    return MX_OK;
}

static int crop_grad(mx_grad_ctx *g) {
    int64_t h = 0, w = 0, y = 0, x = 0;
    MXI_TRY(crop_window(g->call, &h, &w, &y, &x));
    const int64_t *s = g->in[0]->shape;
    char a[256];
    snprintf(a, sizeof a, "begin=(0,0,%lld,%lld);end=(%lld,%lld,%lld,%lld)", (long long)y, (long long)x,
             (long long)s[0], (long long)s[1], (long long)(y + h), (long long)(x + w));
    g->igrad[0] = mxi_call1("_backward_slice", a, 2, g->ograd[0], g->in[0]);
    return g->igrad[0] ? MX_OK : mx_last_error_code();
}

/* ---- pad ---- */
enum { PAD_MODE, PAD_WIDTH, PAD_VALUE };

static int pad_infer(mx_call *c) {
    const mx_tensor_s *x = c->in[0];
    const mx_attr_val *w = &c->attrs[PAD_WIDTH];
    if (w->n != 2 * x->ndim)
        return mxi_op_error(c, MX_ERR_INVALID, "pad_width must have 2*ndim = %d entries, got %d", 2 * x->ndim, w->n);
    int64_t s[MX_MAX_NDIM];
    for (int i = 0; i < x->ndim; i++) {
        if (w->v[2 * i] < 0 || w->v[2 * i + 1] < 0) return mxi_op_error(c, MX_ERR_INVALID, "pad_width entries must be non-negative");
        if (c->attrs[PAD_MODE].i == 2 && (w->v[2 * i] >= x->shape[i] || w->v[2 * i + 1] >= x->shape[i]))
            return mxi_op_error(c, MX_ERR_INVALID, "reflect padding on axis %d must be smaller than its size %lld", i, (long long)x->shape[i]);
        if (c->attrs[PAD_MODE].i == 1 && x->shape[i] == 0 && (w->v[2 * i] || w->v[2 * i + 1]))
            return mxi_op_error(c, MX_ERR_INVALID, "edge padding of an empty axis %d", i);
        s[i] = x->shape[i] + w->v[2 * i] + w->v[2 * i + 1];
    }
    mxi_set_out(c, 0, s, x->ndim, x->dtype);
    return MX_OK;
}

/* source index along one axis for output index o, or -1 (constant) */
static inline int64_t pad_src(int64_t o, int64_t before, int64_t n, int mode) {
    int64_t i = o - before;
    if (i >= 0 && i < n) return i;
    if (mode == 0) return -1;
    if (mode == 1) return i < 0 ? 0 : n - 1;
    if (n == 1) return 0;
    int64_t per = 2 * (n - 1);
    i = ((i % per) + per) % per;
    return i < n ? i : per - i;
}

#define PAD_KERNEL(NAME, T)                                                                          \
    static void NAME(mx_call *c, const T *X, T *Y, int backward) {                                   \
        const mx_tensor_s *x = c->in[backward], *y = backward ? c->in[0] : c->out[0];                \
        const int64_t *w = c->attrs[PAD_WIDTH].v;                                                    \
        int mode = (int)c->attrs[PAD_MODE].i, nd = x->ndim;                                          \
        T cv = (T)c->attrs[PAD_VALUE].f;                                                             \
        int64_t xst[MX_MAX_NDIM], idx[MX_MAX_NDIM] = {0};                                            \
        mxr_strides(x->shape, nd, xst);                                                              \
        for (int64_t i = 0; i < y->size; i++) {                                                      \
            int64_t off = 0;                                                                         \
            int in = 1;                                                                              \
            for (int d = 0; d < nd && in; d++) {                                                     \
                int64_t s = pad_src(idx[d], w[2 * d], x->shape[d], mode);                            \
                if (s < 0) in = 0;                                                                   \
                else off += s * xst[d];                                                              \
            }                                                                                        \
            if (!backward) Y[i] = in ? X[off] : cv;                                                  \
            else if (in) Y[off] += X[i];                                                             \
            for (int d = nd - 1; d >= 0; d--) {                                                      \
                if (++idx[d] < y->shape[d]) break;                                                   \
                idx[d] = 0;                                                                          \
            }                                                                                        \
        }                                                                                            \
    }
PAD_KERNEL(pad_f32, float)
PAD_KERNEL(pad_f64, double)

static int pad_cpu(mx_call *c) {
    if (c->in[0]->dtype == MX_FLOAT64) pad_f64(c, mxi_data(c->in[0]), mxi_data(c->out[0]), 0);
    else pad_f32(c, mxi_data(c->in[0]), mxi_data(c->out[0]), 0);
    return MX_OK;
}

static int pad_bw_infer(mx_call *c) {
    mxi_set_out(c, 0, c->in[1]->shape, c->in[1]->ndim, c->in[0]->dtype);
    return MX_OK;
}

static int pad_bw_cpu(mx_call *c) {
    /* in[0] = ograd (padded shape), in[1] = data; out = zeros(data) += mapped ograd */
    if (c->in[0]->dtype == MX_FLOAT64) pad_f64(c, mxi_data(c->in[0]), mxi_data(c->out[0]), 1);
    else pad_f32(c, mxi_data(c->in[0]), mxi_data(c->out[0]), 1);
    return MX_OK;
}

static int pad_grad(mx_grad_ctx *g) {
    char a[1024];
    MXI_TRY(mxi_attrs_string(g->call, a, sizeof a));
    g->igrad[0] = mxi_call1("_backward_pad", a, 2, g->ograd[0], g->in[0]);
    return g->igrad[0] ? MX_OK : mx_last_error_code();
}

/* ---- shape_array / size_array ---- */
static int shape_array_infer(mx_call *c) {
    int64_t s[1] = {c->in[0]->ndim};
    mxi_set_out(c, 0, s, 1, MX_INT64);
    return MX_OK;
}
static int shape_array_cpu(mx_call *c) {
    memcpy(mxi_data(c->out[0]), c->in[0]->shape, sizeof(int64_t) * (size_t)c->in[0]->ndim);
    return MX_OK;
}
static int size_array_infer(mx_call *c) {
    int64_t s[1] = {1};
    mxi_set_out(c, 0, s, 1, MX_INT64);
    return MX_OK;
}
static int size_array_cpu(mx_call *c) {
    *MXI_PTR(int64_t, c->out[0]) = c->in[0]->size;
    return MX_OK;
}

/* ---- attribute tables ---- */
static const mx_attr_spec reshape_attrs[] = {
    {"shape", MX_ATTR_SHAPE, "()", "Target shape; 0 copies an input dim, -1 infers one dim, -2 copies the rest, -3 merges two dims, -4 splits one dim into the next two values.", NULL, 0, 0, 0},
    {"reverse", MX_ATTR_BOOL, "False", "Apply the special codes from right to left.", NULL, 0, 0, 0},
    {"target_shape", MX_ATTR_SHAPE, "()", "(Deprecated, use shape) Target shape; one 0 dim is inferred.", NULL, 0, 0, 0},
    {"keep_highest", MX_ATTR_BOOL, "False", "(Deprecated) With target_shape: keep the first input dim.", NULL, 0, 0, 0},
};
static const mx_attr_spec transpose_attrs[] = {
    {"axes", MX_ATTR_SHAPE, "()", "Permutation of the axes; empty reverses them.", NULL, 0, 0, 0},
};
static const mx_attr_spec swap_attrs[] = {
    {"dim1", MX_ATTR_INT, "0", "First axis to swap.", NULL, 0, 0, 0},
    {"dim2", MX_ATTR_INT, "0", "Second axis to swap.", NULL, 0, 0, 0},
};
static const mx_attr_spec expand_attrs[] = {
    {"axis", MX_ATTR_INT, NULL, "Position of the new size-1 axis (negative counts from the end).", NULL, 0, 0, 0},
};
static const mx_attr_spec squeeze_attrs[] = {
    {"axis", MX_ATTR_SHAPE, "None", "Size-1 axes to remove; None removes all of them.", NULL, 0, 0, 0},
};
static const mx_attr_spec concat_attrs[] = {
    {"num_args", MX_ATTR_INT, NULL, "Number of inputs to concatenate.", NULL, 1, 1, MX_MAX_INPUTS},
    {"dim", MX_ATTR_INT, "1", "Axis along which to concatenate.", NULL, 0, 0, 0},
};
static const mx_attr_spec stack_attrs[] = {
    {"num_args", MX_ATTR_INT, NULL, "Number of inputs to stack.", NULL, 1, 1, MX_MAX_INPUTS},
    {"axis", MX_ATTR_INT, "0", "Position of the new axis in the output.", NULL, 0, 0, 0},
};
static const mx_attr_spec split_attrs[] = {
    {"num_outputs", MX_ATTR_INT, NULL, "Number of equal parts to split into.", NULL, 1, 1, MX_MAX_OUTPUTS},
    {"axis", MX_ATTR_INT, "1", "Axis along which to split.", NULL, 0, 0, 0},
    {"squeeze_axis", MX_ATTR_BOOL, "False", "Remove the split axis from the outputs (its size must equal num_outputs).", NULL, 0, 0, 0},
};
static const mx_attr_spec split_v2_attrs[] = {
    {"indices_or_sections", MX_ATTR_STR, "None", "An integer n: n equal parts; a tuple: split points along the axis (non-decreasing, within the axis), like numpy.split.", NULL, 0, 0, 0},
    {"axis", MX_ATTR_INT, "0", "Axis along which to split (negative counts from the end).", NULL, 0, 0, 0},
    {"squeeze_axis", MX_ATTR_BOOL, "False", "Remove the split axis from the outputs (every part must have size 1 on it).", NULL, 0, 0, 0},
    {"indices", MX_ATTR_SHAPE, "()", "MXNet's internal form (symbol files of _split_v2): the parts' start indices, with a leading 0.", NULL, 0, 0, 0},
    {"sections", MX_ATTR_INT, "0", "MXNet's internal form: number of equal parts (0: use indices).", NULL, 0, 0, 0},
};
static const mx_attr_spec crop_attrs[] = {
    {"num_args", MX_ATTR_INT, NULL, "Number of inputs: 1 crops to h_w, 2 crops to the height and width of the second input (crop_like).", NULL, 1, 1, 2},
    {"offset", MX_ATTR_SHAPE, "(0,0)", "Top-left corner (y, x) of the window (ignored with center_crop).", NULL, 0, 0, 0},
    {"h_w", MX_ATTR_SHAPE, "(0,0)", "Window (height, width) when num_args is 1.", NULL, 0, 0, 0},
    {"center_crop", MX_ATTR_BOOL, "False", "Centre the window (offset = floor((size - window) / 2)) instead of using offset.", NULL, 0, 0, 0},
};
static const mx_attr_spec slice_attrs[] = {
    {"begin", MX_ATTR_SHAPE, NULL, "Start index per axis (None = from the start).", NULL, 0, 0, 0},
    {"end", MX_ATTR_SHAPE, NULL, "Stop index per axis, exclusive (None = to the end).", NULL, 0, 0, 0},
    {"step", MX_ATTR_SHAPE, "()", "Step per axis (None or missing = 1; negative walks backwards).", NULL, 0, 0, 0},
};
static const mx_attr_spec slice_axis_attrs[] = {
    {"axis", MX_ATTR_INT, NULL, "Axis to slice.", NULL, 0, 0, 0},
    {"begin", MX_ATTR_INT, NULL, "Start index (negative counts from the end).", NULL, 0, 0, 0},
    {"end", MX_ATTR_OPT_INT, NULL, "Stop index, exclusive (None = the end).", NULL, 0, 0, 0},
};
static const mx_attr_spec slice_like_attrs[] = {
    {"axes", MX_ATTR_SHAPE, "()", "Axes to slice like shape_like; empty means all axes.", NULL, 0, 0, 0},
};
static const mx_attr_spec flip_attrs[] = {
    {"axis", MX_ATTR_SHAPE, NULL, "Axis or axes to reverse.", NULL, 0, 0, 0},
};
static const mx_attr_spec bto_attrs[] = {
    {"shape", MX_ATTR_SHAPE, "()", "Target shape; 0 keeps the input's dim.", NULL, 0, 0, 0},
};
static const mx_attr_spec baxis_attrs[] = {
    {"axis", MX_ATTR_SHAPE, "()", "Size-1 axes to broadcast.", NULL, 0, 0, 0},
    {"size", MX_ATTR_SHAPE, "()", "Target size for each axis.", NULL, 0, 0, 0},
};
static const mx_attr_spec blike_attrs[] = {
    {"lhs_axes", MX_ATTR_SHAPE, "None", "Axes of lhs to broadcast (None: broadcast to rhs's whole shape).", NULL, 0, 0, 0},
    {"rhs_axes", MX_ATTR_SHAPE, "None", "Axes of rhs giving the target sizes.", NULL, 0, 0, 0},
};
static const mx_attr_spec tile_attrs[] = {
    {"reps", MX_ATTR_SHAPE, NULL, "Number of repetitions per axis.", NULL, 0, 0, 0},
};
static const mx_attr_spec repeat_attrs[] = {
    {"repeats", MX_ATTR_INT, NULL, "Number of repetitions of each element.", NULL, 0, 0, 0},
    {"axis", MX_ATTR_OPT_INT, "None", "Axis to repeat along; None repeats the flattened input.", NULL, 0, 0, 0},
};
static const mx_attr_spec pad_attrs[] = {
    {"mode", MX_ATTR_ENUM, "constant", "Padding mode: constant, edge or reflect.", "constant,edge,reflect", 0, 0, 0},
    {"pad_width", MX_ATTR_SHAPE, NULL, "Padding (before, after) per axis, flattened: 2*ndim values.", NULL, 0, 0, 0},
    {"constant_value", MX_ATTR_FLOAT, "0", "Value used in constant mode.", NULL, 0, 0, 0},
};
static const mx_attr_spec diag_attrs[] = {
    {"k", MX_ATTR_INT, "0", "Diagonal offset: >0 above the main diagonal, <0 below.", NULL, 0, 0, 0},
    {"axis1", MX_ATTR_INT, "0", "First axis of the 2-d sub-arrays (inputs of 2+ dims).", NULL, 0, 0, 0},
    {"axis2", MX_ATTR_INT, "1", "Second axis of the 2-d sub-arrays (inputs of 2+ dims).", NULL, 0, 0, 0},
};
static const mx_attr_spec block_attrs[] = {
    {"block_size", MX_ATTR_INT, NULL, "Size of the spatial blocks.", NULL, 1, 1, 1 << 20},
};

#define NA(t) .attrs = t, .n_attrs = (int)(sizeof t / sizeof t[0])
#define VIEW(NAME, AL, DOC, ATTRS, GRAD)                                                                  \
    {.name = NAME, .aliases = AL, .doc = DOC, .inputs = "data", .num_outputs = 1, NA(ATTRS),              \
     .infer = view_infer, .cpu = view_cpu, .grad = GRAD, .dtypes = MX_DT_ALL,                             \
     .flags = MX_OPF_WRITES_ALL | MX_OPF_NO_INPUT_CAST}
#define VBW(NAME, ATTRS, INPUTS)                                                                          \
    {.name = "_backward_" NAME, .doc = "Gradient of " NAME ": scatter-adds the output gradient through the view.", \
     .inputs = INPUTS, .num_outputs = 1, NA(ATTRS), .infer = vbw_infer, .cpu = vbw_cpu, .grad = vbw_grad,   \
     .dtypes = MX_DT_FLOAT, .flags = MX_OPF_INTERNAL}
#define COPYOP(NAME, AL, DOC, INPUTS, INFER, GRAD)                                                        \
    {.name = NAME, .aliases = AL, .doc = DOC, .inputs = INPUTS, .num_outputs = 1, .infer = INFER,         \
     .cpu = copy_cpu, .grad = GRAD, .dtypes = MX_DT_ALL, .flags = MX_OPF_WRITES_ALL | MX_OPF_NO_INPUT_CAST

static const mx_op_def ops[] = {
    COPYOP("reshape", "Reshape", "Gives the input a new shape (MXNet special codes 0, -1, -2, -3, -4).", "data",
           reshape_infer, reshape_like_grad), NA(reshape_attrs)},
    COPYOP("reshape_like", NULL, "Reshapes lhs to the shape of rhs, or replaces lhs dims [lhs_begin, lhs_end) "
           "by rhs dims [rhs_begin, rhs_end) (same size).", "lhs,rhs", reshape_like_infer, reshape_like_grad),
           NA(reshape_like_attrs)},
    COPYOP("flatten", "Flatten", "Flattens the input to 2-d (N, rest).", "data", flatten_infer, reshape_like_grad)},
    COPYOP("expand_dims", NULL, "Inserts a size-1 axis.", "data", expand_dims_infer, reshape_like_grad), NA(expand_attrs)},
    COPYOP("squeeze", NULL, "Removes size-1 axes.", "data", squeeze_infer, reshape_like_grad), NA(squeeze_attrs)},
    VIEW("transpose", NULL, "Permutes the axes (reverses them by default).", transpose_attrs, transpose_grad),
    VIEW("swapaxes", "SwapAxis", "Interchanges two axes.", swap_attrs, self_grad),
    VIEW("slice", "crop", "Slices with begin/end/step per axis (None entries, negative indices and steps allowed).", slice_attrs, view_grad),
    VIEW("slice_axis", NULL, "Slices one axis from begin to end.", slice_axis_attrs, view_grad),
    {.name = "slice_like", .doc = "Slices data to the shape of shape_like on the given axes.", .inputs = "data,shape_like",
     .num_outputs = 1, NA(slice_like_attrs), .infer = view_infer, .cpu = view_cpu, .grad = view_grad,
     .dtypes = MX_DT_ALL, .flags = MX_OPF_WRITES_ALL | MX_OPF_NO_INPUT_CAST},
    VIEW("flip", "reverse", "Reverses the order of elements along the given axes.", flip_attrs, self_grad),
    VIEW("broadcast_to", NULL, "Broadcasts the input to a shape (0 keeps the input's dim).", bto_attrs, bcast_grad),
    VIEW("broadcast_axis", "broadcast_axes", "Broadcasts size-1 axes to the given sizes.", baxis_attrs, bcast_grad),
    {.name = "broadcast_like", .doc = "Broadcasts lhs to the shape of rhs (or to rhs's sizes on the given axes).",
     .inputs = "lhs,rhs", .num_outputs = 1, NA(blike_attrs), .infer = view_infer, .cpu = view_cpu,
     .grad = bcast_grad, .dtypes = MX_DT_ALL, .flags = MX_OPF_WRITES_ALL | MX_OPF_NO_INPUT_CAST},
    VIEW("tile", NULL, "Repeats the whole array reps times along each axis.", tile_attrs, repeating_view_grad),
    VIEW("repeat", NULL, "Repeats each element along an axis (or of the flattened array).", repeat_attrs,
         repeating_view_grad),
    {.name = "diag", .doc = "Extracts a diagonal (inputs of 2+ dims) or builds a diagonal matrix (1-d input).",
     .inputs = "data", .num_outputs = 1, NA(diag_attrs), .infer = diag_infer, .cpu = diag_cpu, .grad = diag_grad,
     .dtypes = MX_DT_ALL, .flags = MX_OPF_NO_INPUT_CAST},
    VIEW("depth_to_space", NULL, "Rearranges depth (channel) blocks into spatial blocks (NCHW).", block_attrs, view_grad),
    VIEW("space_to_depth", NULL, "Rearranges spatial blocks into depth (channels) (NCHW).", block_attrs, view_grad),
    VBW("transpose", transpose_attrs, "ograd,data"),
    VBW("slice", slice_attrs, "ograd,data"),
    VBW("slice_axis", slice_axis_attrs, "ograd,data"),
    VBW("slice_like", slice_like_attrs, "ograd,data,shape_like"),
    VBW("tile", tile_attrs, "ograd,data"),
    VBW("repeat", repeat_attrs, "ograd,data"),
    VBW("diag", diag_attrs, "ograd,data"),
    VBW("depth_to_space", block_attrs, "ograd,data"),
    VBW("space_to_depth", block_attrs, "ograd,data"),
    {.name = "concat", .aliases = "Concat,_rnn_param_concat", .doc = "Joins arrays along an existing axis.", .inputs = "*data",
     .num_outputs = 1, NA(concat_attrs), .infer = concat_infer, .cpu = concat_cpu, .grad = concat_grad,
     .dtypes = MX_DT_ALL, .flags = MX_OPF_WRITES_ALL | MX_OPF_NO_INPUT_CAST},
    {.name = "stack", .doc = "Joins arrays of the same shape along a new axis.", .inputs = "*data",
     .num_outputs = 1, NA(stack_attrs), .infer = stack_infer, .cpu = stack_cpu, .grad = stack_grad,
     .dtypes = MX_DT_ALL, .flags = MX_OPF_WRITES_ALL | MX_OPF_NO_INPUT_CAST},
    {.name = "split", .aliases = "SliceChannel", .doc = "Splits an array into equal parts along an axis.",
     .inputs = "data", .num_outputs_fn = split_nout, NA(split_attrs), .infer = split_infer, .cpu = split_cpu,
     .grad = split_grad, .dtypes = MX_DT_ALL, .flags = MX_OPF_WRITES_ALL | MX_OPF_NO_INPUT_CAST},
    {.name = "split_v2", .aliases = "_split_v2",
     .doc = "Splits an array along an axis into equal sections or at split points (numpy.split semantics).",
     .inputs = "data", .num_outputs_fn = sv2_nout, NA(split_v2_attrs), .infer = split_v2_infer, .cpu = split_v2_cpu,
     .grad = split_v2_grad, .dtypes = MX_DT_ALL, .flags = MX_OPF_WRITES_ALL | MX_OPF_NO_INPUT_CAST},
    {.name = "Crop", .doc = "Crops the height and width of NCHW data to h_w or to the spatial size of a second input.",
     .inputs = "*data", .num_outputs = 1, NA(crop_attrs), .infer = crop_infer, .cpu = crop_cpu, .grad = crop_grad,
     .dtypes = MX_DT_ALL, .flags = MX_OPF_WRITES_ALL | MX_OPF_NO_INPUT_CAST},
    {.name = "pad", .aliases = "Pad", .doc = "Pads an array (constant, edge or reflect mode).", .inputs = "data",
     .num_outputs = 1, NA(pad_attrs), .infer = pad_infer, .cpu = pad_cpu, .grad = pad_grad,
     .dtypes = MX_DT_FLOAT, .flags = MX_OPF_WRITES_ALL},
    {.name = "_backward_pad", .doc = "Gradient of pad: sums the output gradient back onto the source elements.",
     .inputs = "ograd,data", .num_outputs = 1, NA(pad_attrs), .infer = pad_bw_infer, .cpu = pad_bw_cpu,
     .dtypes = MX_DT_FLOAT, .flags = MX_OPF_INTERNAL},
    {.name = "shape_array", .doc = "Returns the shape of the input as an int64 1-d array.", .inputs = "data",
     .num_outputs = 1, .infer = shape_array_infer, .cpu = shape_array_cpu, .dtypes = MX_DT_ALL,
     .flags = MX_OPF_WRITES_ALL | MX_OPF_NO_INPUT_CAST | MX_OPF_NO_GRAD},
    {.name = "size_array", .doc = "Returns the number of elements of the input as an int64 array of shape (1,).",
     .inputs = "data", .num_outputs = 1, .infer = size_array_infer, .cpu = size_array_cpu, .dtypes = MX_DT_ALL,
     .flags = MX_OPF_WRITES_ALL | MX_OPF_NO_INPUT_CAST | MX_OPF_NO_GRAD},
};

void mxi_register_image(void); /* image.c */
void mxi_register_shape(void) {
    mxi_register_ops(ops, (int)(sizeof ops / sizeof ops[0]));
    mxi_register_image();
}
