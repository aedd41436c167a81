/* detection_util.h — helpers shared by the detection op files
 * (detection_multibox.c, detection_proposal.c, deformable_psroi.c). */
#ifndef MXCORE_CORE_OPS_DETECTION_UTIL_H
#define MXCORE_CORE_OPS_DETECTION_UTIL_H

#include <stdint.h>

#include "../op.h"

/* A float key with its position; qsort with by_key_desc sorts keys descending
 * with ties in position order (a stable sort, as MXNet's detection ops). */
typedef struct {
    float key;
    int64_t index;
} keyed;

static inline int by_key_desc(const void *pa, const void *pb) {
    const keyed *a = pa, *b = pb;
    if (a->key != b->key) return a->key < b->key ? 1 : -1;
    return a->index < b->index ? -1 : a->index > b->index;
}

/* v rounded to float when f32: a double computation that stores where
 * MXNet's float kernel stores, so floors and comparisons fall the same way. */
static inline double rnd(int f32, double v) { return f32 ? (double)(float)v : v; }

/* Gradient of ops MXNet treats as constants (proposal, target, detection
 * ops): zeros for every input that wants one. */
static inline int zero_grads(mx_grad_ctx *g) {
    for (int i = 0; i < g->call->n_in; i++) {
        if (!mxi_grad_needed(g, i)) continue;
        g->igrad[i] = mxi_call1("zeros_like", NULL, 1, g->in[i]);
        if (!g->igrad[i]) return mx_last_error_code();
    }
    return MX_OK;
}

#endif
