/* channel_last.c — channel-last calls of the conv family run on channel-first
 * copies (channel_last.h). A channel-last array (B, S, C) — B the leading dim,
 * S the product of the spatial dims — is the batched transpose of the
 * channel-first (B, C, S), so both directions are one tiled 2-D transpose per
 * leading index. */
#include <stdlib.h>
#include <string.h>

#include "../../backends/cpu/cpu.h"
#include "channel_last.h"

int mxi_layout_channel_last(const char *layout) {
    return !strcmp(layout, "NWC") || !strcmp(layout, "NHWC") || !strcmp(layout, "NDHWC");
}

enum { TILE = 32 };

typedef struct {
    const char *src;
    char *dst;
    int64_t R, C;  /* each of the B matrices of src is R x C, dst holds C x R */
    int64_t tiles; /* row tiles per matrix */
    size_t es;     /* element size */
} tr_job;

#define TR_BODY(T)                                                                                    \
    for (int64_t t = begin; t < end; t++) {                                                          \
        const int64_t b = t / j->tiles, r0 = (t % j->tiles) * TILE;                                  \
        const int64_t r1 = r0 + TILE < j->R ? r0 + TILE : j->R;                                      \
        const T *s = (const T *)j->src + b * j->R * j->C;                                            \
        T *d = (T *)j->dst + b * j->R * j->C;                                                        \
        for (int64_t c0 = 0; c0 < j->C; c0 += TILE) {                                                \
            const int64_t c1 = c0 + TILE < j->C ? c0 + TILE : j->C;                                  \
            for (int64_t r = r0; r < r1; r++)                                                        \
                for (int64_t c = c0; c < c1; c++) d[c * j->R + r] = s[r * j->C + c];                 \
        }                                                                                            \
    }

static void tr_range(void *ctx, int64_t begin, int64_t end) {
    const tr_job *j = ctx;
    if (j->es == 8) {
        TR_BODY(uint64_t)
    } else {
        TR_BODY(uint32_t)
    }
}

/* dst[b] = src[b]^T for B matrices of R x C (4- or 8-byte elements) */
static void batched_transpose(const void *src, void *dst, int64_t B, int64_t R, int64_t C, size_t es) {
    if (B * R * C == 0) return;
    tr_job j = {.src = src, .dst = dst, .R = R, .C = C, .tiles = (R + TILE - 1) / TILE, .es = es};
    int64_t per_tile = TILE * C, grain = 65536 / (per_tile > 0 ? per_tile : 1);
    mxi_parallel_for(B * j.tiles, grain < 1 ? 1 : grain, tr_range, &j);
}

/* (B, S, C) sizes of a channel-last tensor */
static void cl_dims(const mx_tensor_s *t, int64_t *B, int64_t *S, int64_t *C) {
    *B = t->shape[0];
    *C = t->shape[t->ndim - 1];
    *S = 1;
    for (int i = 1; i < t->ndim - 1; i++) *S *= t->shape[i];
}

/* A channel-first tensor for channel-last t: its data transposed (copy), or
 * zeroed / left uninitialised for an output. NULL with the error set. */
static mx_tensor_s *cf_tensor(const mx_tensor_s *t, int copy, int zeroed) {
    int64_t B, S, C, shp[MX_MAX_NDIM];
    cl_dims(t, &B, &S, &C);
    shp[0] = B, shp[1] = C;
    for (int d = 1; d < t->ndim - 1; d++) shp[d + 1] = t->shape[d];
    mx_tensor_s *r = zeroed ? mxi_tensor_new(shp, t->ndim, t->dtype) : mxi_tensor_new_uninit(shp, t->ndim, t->dtype);
    if (r && copy) batched_transpose(mxi_data(t), mxi_data(r), B, S, C, mxi_dtype_size(t->dtype));
    return r;
}

int mxi_run_channel_first(mx_call *c, int layout_attr, int nd, int (*cf)(mx_call *)) {
    mx_call *cc = malloc(sizeof *cc);
    if (!cc) return mxi_op_error(c, MX_ERR_MEMORY, "out of memory for a channel-first copy of the call");
    memcpy(cc, c, sizeof *cc);
    cc->attrs[layout_attr].i = 0; /* "None" leads every layout attribute's choices */
    strcpy(cc->attrs[layout_attr].s, "None");
    /* cc holds its own references, released at the end */
    for (int i = 0; i < c->n_in; i++) cc->in[i] = NULL;
    for (int k = 0; k < c->n_out; k++) cc->out[k] = NULL;
    const int zero_outs = !(c->op->flags & MX_OPF_WRITES_ALL);
    int rc = MX_OK;
    for (int i = 0; i < c->n_in + c->n_out && rc == MX_OK; i++) {
        const int is_in = i < c->n_in;
        mx_tensor_s *t = is_in ? c->in[i] : c->out[i - c->n_in], **slot = is_in ? &cc->in[i] : &cc->out[i - c->n_in];
        if (t && t->ndim == nd) {
            *slot = cf_tensor(t, is_in, !is_in && zero_outs);
            if (!*slot) rc = mx_last_error_code();
        } else if (t) {
            mxi_tensor_retain(t);
            *slot = t;
        }
    }
    if (rc == MX_OK) rc = cf(cc);
    for (int k = 0; k < c->n_out && rc == MX_OK; k++) {
        mx_tensor_s *y = c->out[k];
        int64_t B, S, C;
        if (!y || y->ndim != nd) continue;
        cl_dims(y, &B, &S, &C); /* channel-first (B, C, S) back to (B, S, C) */
        batched_transpose(mxi_data(cc->out[k]), mxi_data(y), B, C, S, mxi_dtype_size(y->dtype));
    }
    mxi_tensors_release(cc->in, c->n_in);
    mxi_tensors_release(cc->out, c->n_out);
    free(cc);
    return rc;
}
