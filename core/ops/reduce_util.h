/* reduce_util.h — small helpers shared by the reduce, norm, shape and
 * indexing op families (attribute formatting for mxi_call1, contiguous
 * strides, strided offsets). */
#ifndef MXCORE_CORE_OPS_REDUCE_UTIL_H
#define MXCORE_CORE_OPS_REDUCE_UTIL_H

#include <stdio.h>
#include <string.h>

#include "../op.h"

/* "(2,1,3)" for attribute strings (a 1-tuple keeps its comma: "(4,)"). */
static inline char *mxr_tuple_str(const int64_t *v, int n, char *buf, size_t cap) {
    size_t k = 0;
    k += (size_t)snprintf(buf + k, cap - k, "(");
    for (int i = 0; i < n && k < cap; i++) k += (size_t)snprintf(buf + k, cap - k, "%s%lld", i ? "," : "", (long long)v[i]);
    if (n == 1 && k < cap) k += (size_t)snprintf(buf + k, cap - k, ",");
    if (k < cap) snprintf(buf + k, cap - k, ")");
    return buf;
}

/* Row-major strides (elements) of a shape. */
static inline void mxr_strides(const int64_t *shape, int nd, int64_t *st) {
    int64_t s = 1;
    for (int i = nd - 1; i >= 0; i--) {
        st[i] = s;
        s *= shape[i];
    }
}

/* Element offset of the idx-th position (row-major over `shape`) in a
 * strided layout: walks the dims innermost first. */
static inline int64_t mxr_decomp(int64_t idx, int n, const int64_t *shape, const int64_t *stride) {
    int64_t off = 0;
    for (int d = n - 1; d >= 0; d--) {
        int64_t q = idx / shape[d];
        off += (idx - q * shape[d]) * stride[d];
        idx = q;
    }
    return off;
}

static inline int mxr_same_shape(const mx_tensor_s *a, const mx_tensor_s *b) {
    return a->ndim == b->ndim && !memcmp(a->shape, b->shape, sizeof(int64_t) * (size_t)a->ndim);
}

/* reshape `t` to shape (new reference, via the registered op). */
static inline mx_tensor_s *mxr_reshape(mx_tensor_s *t, const int64_t *shape, int nd) {
    char buf[400], a[420];
    snprintf(a, sizeof a, "shape=%s", mxr_tuple_str(shape, nd, buf, sizeof buf));
    return mxi_call1("reshape", a, 1, t);
}

#endif
