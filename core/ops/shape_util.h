/* shape_util.h — strided views shared by the shape and indexing families:
 * gather a view of a contiguous input into a contiguous output, scatter
 * (assign / add) a contiguous source into a view of a destination, and
 * re-serialise a call's attributes for mxi_call1. */
#ifndef MXCORE_CORE_OPS_SHAPE_UTIL_H
#define MXCORE_CORE_OPS_SHAPE_UTIL_H

#include <stdio.h>
#include <string.h>

#include "../../backends/cpu/cpu.h"
#include "../op.h"
#include "reduce_util.h"

#define MXV_MAX (2 * MX_MAX_NDIM + 2)

/* A view of a contiguous buffer: element (i0, i1, ...) lives at
 * off + sum(ik * st[k]). Its row-major order is the output order. */
typedef struct {
    int nd;
    int64_t off;
    int64_t shape[MXV_MAX];
    int64_t st[MXV_MAX];
} mxv_view;

/* drop size-1 dims and merge dims that are contiguous with each other */
static inline void mxv_collapse(mxv_view *v) {
    int n = 0;
    int64_t sh[MXV_MAX], st[MXV_MAX];
    for (int i = 0; i < v->nd; i++) {
        if (v->shape[i] == 1) continue;
        if (n && st[n - 1] == v->st[i] * v->shape[i]) {
            sh[n - 1] *= v->shape[i];
            st[n - 1] = v->st[i];
        } else {
            sh[n] = v->shape[i];
            st[n] = v->st[i];
            n++;
        }
    }
    if (n == 0) { sh[0] = 1; st[0] = 1; n = 1; }
    v->nd = n;
    memcpy(v->shape, sh, sizeof(int64_t) * (size_t)n);
    memcpy(v->st, st, sizeof(int64_t) * (size_t)n);
}

/* shape.c: the strided view behind a view op (transpose, swapaxes, slice,
 * slice_axis, slice_like, flip, broadcast_to/axis/like, tile, repeat,
 * depth_to_space, space_to_depth) or its _backward_ op, for device backends
 * that run views as one gather kernel (forward: out[i] = src[view(i)]) or
 * one scatter kernel (backward: out[view(i)] = ograd[i], into zeros). A
 * scatter only works when no two positions share an element, so the
 * backward of an aliasing view (broadcast, tile, repeat) is not planned.
 * Returns MX_ERR_UNSUPPORTED (no error set) when there is no such plan. */
int mxi_view_plan(const mx_call *c, int *backward, mxv_view *v);
/* Which plans op `name` gets: 0 none, 1 a gather (a view op), 2 a scatter
 * (the backward of a non-aliasing view op). */
int mxi_view_kind(const char *name);

static inline int64_t mxv_size(const mxv_view *v) {
    int64_t s = 1;
    for (int i = 0; i < v->nd; i++) s *= v->shape[i];
    return s;
}

typedef struct {
    const mxv_view *v;
    const char *src;
    char *dst;
    size_t esz;
    int64_t inner;
    int mode; /* 0 gather, 1 scatter-assign */
} mxv_ctx;

static inline void mxv_rows(void *ctx, int64_t r0, int64_t r1) {
    mxv_ctx *p = ctx;
    const mxv_view *v = p->v;
    int nd = v->nd;
    int64_t inner = p->inner, ist = v->st[nd - 1];
    size_t esz = p->esz;
    for (int64_t r = r0; r < r1; r++) {
        int64_t idx = r, off = v->off;
        for (int d = nd - 2; d >= 0; d--) {
            int64_t q = idx / v->shape[d];
            off += (idx - q * v->shape[d]) * v->st[d];
            idx = q;
        }
        char *lin = (p->mode ? (char *)p->src : p->dst) + (size_t)(r * inner) * esz;
        char *vw = (p->mode ? p->dst : (char *)p->src);
        if (ist == 1) {
            if (p->mode) memcpy(vw + (size_t)off * esz, lin, (size_t)inner * esz);
            else memcpy(lin, vw + (size_t)off * esz, (size_t)inner * esz);
            continue;
        }
#define MXV_LOOP(T)                                                                        \
    {                                                                                      \
        T *L = (T *)lin, *V = (T *)vw + off;                                               \
        if (p->mode) for (int64_t j = 0; j < inner; j++) V[j * ist] = L[j];                \
        else for (int64_t j = 0; j < inner; j++) L[j] = V[j * ist];                        \
    }
        switch (esz) {
        case 1: MXV_LOOP(uint8_t) break;
        case 2: MXV_LOOP(uint16_t) break;
        case 4: MXV_LOOP(uint32_t) break;
        default: MXV_LOOP(uint64_t) break;
        }
#undef MXV_LOOP
    }
}

/* dst (contiguous, mxv_size elements) = view of src; mode 1: view of dst = src.
 * Scatter-assign requires a non-overlapping view. */
static inline void mxv_copy(const mxv_view *view, const void *src, void *dst, size_t esz, int mode) {
    mxv_view v = *view;
    mxv_collapse(&v);
    int64_t total = mxv_size(&v);
    if (total == 0) return;
    int64_t inner = v.shape[v.nd - 1];
    mxv_ctx p = {&v, src, dst, esz, inner, mode};
    int64_t rows = total / inner;
    int64_t grain = inner >= 32768 ? 1 : 32768 / inner;
    mxi_parallel_for(rows, grain, mxv_rows, &p);
}

/* view of dst += src (contiguous), float/double, sequential (views may overlap) */
static inline void mxv_scatter_add(const mxv_view *view, const void *src, void *dst, int dtype) {
    mxv_view v = *view;
    mxv_collapse(&v);
    int64_t total = mxv_size(&v);
    if (total == 0) return;
    int64_t idx[MXV_MAX] = {0}, off = v.off;
    for (int64_t i = 0; i < total; i++) {
        if (dtype == MX_FLOAT64) ((double *)dst)[off] += ((const double *)src)[i];
        else ((float *)dst)[off] += ((const float *)src)[i];
        for (int d = v.nd - 1; d >= 0; d--) {
            off += v.st[d];
            if (++idx[d] < v.shape[d]) break;
            off -= v.st[d] * v.shape[d];
            idx[d] = 0;
        }
    }
}


/* numpy/MXNet slice of one axis: normalised start and count, python rules. */
static inline void mxv_slice_axis(int64_t n, int64_t b, int64_t e, int64_t s, int64_t *start, int64_t *count) {
    if (s > 0) {
        if (b == INT64_MIN) b = 0;
        if (e == INT64_MIN) e = n;
        if (b < 0) b += n;
        if (e < 0) e += n;
        b = b < 0 ? 0 : (b > n ? n : b);
        e = e < 0 ? 0 : (e > n ? n : e);
        *start = b;
        *count = e > b ? (e - b + s - 1) / s : 0;
    } else {
        if (b == INT64_MIN) b = n - 1;
        else if (b < 0) b += n;
        if (e == INT64_MIN) e = -1;
        else if (e < 0) e += n;
        b = b < -1 ? -1 : (b > n - 1 ? n - 1 : b);
        e = e < -1 ? -1 : (e > n - 1 ? n - 1 : e);
        *start = b;
        *count = b > e ? (b - e + (-s) - 1) / (-s) : 0;
    }
}

#endif
