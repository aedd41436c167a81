/* conv_kernels.h — dtype-generic convolution kernels (im2col + GEMM), included
 * by conv_instances.h once per dtype with T (element type), SFX (name suffix) and GEMM
 * (mxi_sgemm / mxi_dgemm) defined. Everything is written for 3 spatial dims;
 * 1-D and 2-D convolutions are 3-D ones with leading size-1 dims. */
#define CK_CAT2(a, b) a##_##b
#define CK_CAT(a, b) CK_CAT2(a, b)
#define CK(name) CK_CAT(name, SFX)

/* One channel plane of one item into its KK rows of the column matrix. */
static void CK(im2col_plane)(const conv_geom *g, const T *x, T *col, int64_t ldcol) {
    const int64_t IH = g->in[1], IW = g->in[2];
    const int64_t OD = g->out[0], OH = g->out[1], OW = g->out[2];
    int64_t r = 0;
    for (int64_t kd = 0; kd < g->k[0]; kd++)
        for (int64_t kh = 0; kh < g->k[1]; kh++)
            for (int64_t kw = 0; kw < g->k[2]; kw++, r++) {
                T *row = col + r * ldcol;
                const int64_t off = kw * g->d[2] - g->p[2], s2 = g->s[2];
                /* valid ow: 0 <= ow*s2 + off < IW */
                int64_t lo = off >= 0 ? 0 : (-off + s2 - 1) / s2;
                int64_t hi = IW - off <= 0 ? 0 : (IW - off - 1) / s2 + 1;
                if (hi > OW) hi = OW;
                if (lo > hi) lo = hi;
                for (int64_t od = 0; od < OD; od++) {
                    const int64_t id = od * g->s[0] - g->p[0] + kd * g->d[0];
                    T *dplane = row + od * OH * OW;
                    if (id < 0 || id >= g->in[0]) {
                        memset(dplane, 0, sizeof(T) * (size_t)(OH * OW));
                        continue;
                    }
                    for (int64_t oh = 0; oh < OH; oh++) {
                        const int64_t ih = oh * g->s[1] - g->p[1] + kh * g->d[1];
                        T *dst = dplane + oh * OW;
                        if (ih < 0 || ih >= IH) {
                            memset(dst, 0, sizeof(T) * (size_t)OW);
                            continue;
                        }
                        const T *src = x + (id * IH + ih) * IW + off;
                        for (int64_t ow = 0; ow < lo; ow++) dst[ow] = 0;
                        if (s2 == 1) {
                            memcpy(dst + lo, src + lo, sizeof(T) * (size_t)(hi - lo));
                        } else {
                            for (int64_t ow = lo; ow < hi; ow++) dst[ow] = src[ow * s2];
                        }
                        for (int64_t ow = hi; ow < OW; ow++) dst[ow] = 0;
                    }
                }
            }
}

/* Transpose of im2col_plane: accumulate the KK rows back into a plane. */
static void CK(col2im_plane)(const conv_geom *g, const T *col, int64_t ldcol, T *x) {
    const int64_t IH = g->in[1], IW = g->in[2];
    const int64_t OD = g->out[0], OH = g->out[1], OW = g->out[2];
    int64_t r = 0;
    for (int64_t kd = 0; kd < g->k[0]; kd++)
        for (int64_t kh = 0; kh < g->k[1]; kh++)
            for (int64_t kw = 0; kw < g->k[2]; kw++, r++) {
                const T *row = col + r * ldcol;
                const int64_t off = kw * g->d[2] - g->p[2], s2 = g->s[2];
                int64_t lo = off >= 0 ? 0 : (-off + s2 - 1) / s2;
                int64_t hi = IW - off <= 0 ? 0 : (IW - off - 1) / s2 + 1;
                if (hi > OW) hi = OW;
                if (lo > hi) lo = hi;
                for (int64_t od = 0; od < OD; od++) {
                    const int64_t id = od * g->s[0] - g->p[0] + kd * g->d[0];
                    if (id < 0 || id >= g->in[0]) continue;
                    for (int64_t oh = 0; oh < OH; oh++) {
                        const int64_t ih = oh * g->s[1] - g->p[1] + kh * g->d[1];
                        if (ih < 0 || ih >= IH) continue;
                        const T *src = row + (od * OH + oh) * OW;
                        T *dst = x + (id * IH + ih) * IW + off;
                        if (s2 == 1) {
                            for (int64_t ow = lo; ow < hi; ow++) dst[ow] += src[ow];
                        } else {
                            for (int64_t ow = lo; ow < hi; ow++) dst[ow * s2] += src[ow];
                        }
                    }
                }
            }
}

typedef struct {
    const conv_geom *g;
    const T *x;    /* data (im2col source / col2im target) */
    T *xw;
    T *col;
    T *tmp;        /* (F, NB*OSP) */
    T *y;          /* (N, F, OSP) */
    const T *ycst;
    const T *bias;
    int64_t n0, ldcol;
} CK(conv_job);

static void CK(im2col_range)(void *ctx, int64_t b, int64_t e) {
    CK(conv_job) *j = ctx;
    const conv_geom *g = j->g;
    const int64_t ISP = g->in[0] * g->in[1] * g->in[2], OSP = g->out[0] * g->out[1] * g->out[2];
    const int64_t KK = g->k[0] * g->k[1] * g->k[2];
    for (int64_t t = b; t < e; t++) {
        int64_t nl = t / g->C, c = t % g->C;
        CK(im2col_plane)(g, j->x + ((j->n0 + nl) * g->C + c) * ISP, j->col + c * KK * j->ldcol + nl * OSP, j->ldcol);
    }
}

static void CK(col2im_range)(void *ctx, int64_t b, int64_t e) {
    CK(conv_job) *j = ctx;
    const conv_geom *g = j->g;
    const int64_t ISP = g->in[0] * g->in[1] * g->in[2], OSP = g->out[0] * g->out[1] * g->out[2];
    const int64_t KK = g->k[0] * g->k[1] * g->k[2];
    for (int64_t t = b; t < e; t++) {
        int64_t nl = t / g->C, c = t % g->C;
        CK(col2im_plane)(g, j->col + c * KK * j->ldcol + nl * OSP, j->ldcol, j->xw + ((j->n0 + nl) * g->C + c) * ISP);
    }
}

/* tmp (F, NB*OSP) -> y[n0+nl][f] (+ bias) */
static void CK(scatter_range)(void *ctx, int64_t b, int64_t e) {
    CK(conv_job) *j = ctx;
    const conv_geom *g = j->g;
    const int64_t OSP = g->out[0] * g->out[1] * g->out[2];
    for (int64_t t = b; t < e; t++) {
        int64_t nl = t / g->F, f = t % g->F;
        const T *src = j->tmp + f * j->ldcol + nl * OSP;
        T *dst = j->y + ((j->n0 + nl) * g->F + f) * OSP;
        const T bv = j->bias ? j->bias[f] : (T)0;
        for (int64_t o = 0; o < OSP; o++) dst[o] = src[o] + bv;
    }
}

/* y[n0+nl][f] -> tmp (F, NB*OSP) */
static void CK(gather_range)(void *ctx, int64_t b, int64_t e) {
    CK(conv_job) *j = ctx;
    const conv_geom *g = j->g;
    const int64_t OSP = g->out[0] * g->out[1] * g->out[2];
    for (int64_t t = b; t < e; t++) {
        int64_t nl = t / g->F, f = t % g->F;
        memcpy(j->tmp + f * j->ldcol + nl * OSP, j->ycst + ((j->n0 + nl) * g->F + f) * OSP, sizeof(T) * (size_t)OSP);
    }
}

static int64_t CK(grain_for)(int64_t per_task) {
    int64_t gr = 32768 / (per_task > 0 ? per_task : 1);
    return gr < 1 ? 1 : gr;
}

/* Sum of n elements with 8 independent partial sums (vectorizes without fast-math). */
static T CK(row_sum)(const T *r, int64_t n) {
    T acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    int64_t o = 0;
    for (; o + 8 <= n; o += 8)
        for (int q = 0; q < 8; q++) acc[q] += r[o + q];
    T s = 0;
    for (; o < n; o++) s += r[o];
    for (int q = 0; q < 8; q++) s += acc[q];
    return s;
}

/* db[f] += sum of row f of tmp (F, NB*OSP); j->y is db */
static void CK(bias_grad_range)(void *ctx, int64_t b, int64_t e) {
    CK(conv_job) *j = ctx;
    for (int64_t f = b; f < e; f++) j->y[f] += CK(row_sum)(j->tmp + f * j->ldcol, j->ldcol);
}

/* Items per chunk so that col + tmp stay under `bytes` (at least one item);
 * chunk_items: ~4 MB, big enough for efficient GEMMs (8 MB measured no
 * faster), small enough not to dominate peak memory; the buffers live in the
 * kernel workspace. */
static int64_t CK(chunk_items_within)(const conv_geom *g, int64_t bytes) {
    const int64_t OSP = g->out[0] * g->out[1] * g->out[2], KK = g->k[0] * g->k[1] * g->k[2];
    int64_t per = (g->C * KK + g->F) * OSP * (int64_t)sizeof(T);
    int64_t nb = per > 0 ? bytes / per : g->N;
    if (nb < 1) nb = 1;
    if (nb > g->N) nb = g->N;
    return nb;
}
static int64_t CK(chunk_items)(const conv_geom *g) { return CK(chunk_items_within)(g, 4LL << 20); }

#include "conv_direct.h"

/* y = conv(x, w) + bias. y is fully written. */
static int CK(conv_forward)(const conv_geom *g, const T *x, const T *w, const T *bias, T *y) {
    const int64_t OSP = g->out[0] * g->out[1] * g->out[2], KK = g->k[0] * g->k[1] * g->k[2];
    const int64_t Cg = g->C / g->G, Fg = g->F / g->G, ISP = g->in[0] * g->in[1] * g->in[2];
    if (g->N == 0 || OSP == 0 || g->F == 0) return MX_OK;
    if (CK(conv_direct_ok)(g)) return CK(conv_forward_direct)(g, x, w, bias, y);
    const int64_t NB = CK(chunk_items)(g);
    /* 1x1, stride 1, no pad, single item per chunk: the data is its own column matrix */
    const int pointwise = KK == 1 && g->s[0] == 1 && g->s[1] == 1 && g->s[2] == 1 && g->p[0] == 0 && g->p[1] == 0 &&
                          g->p[2] == 0 && ISP == OSP;
    const size_t col_bytes = sizeof(T) * (size_t)(g->C * KK * NB * OSP), tmp_bytes = sizeof(T) * (size_t)(g->F * NB * OSP);
    T *col = pointwise ? NULL : mxi_scratch_alloc(col_bytes);
    T *tmp = mxi_scratch_alloc(tmp_bytes);
    if ((!pointwise && !col) || !tmp) {
        mxi_scratch_free(col, col_bytes);
        mxi_scratch_free(tmp, tmp_bytes);
        return mxi_error(MX_ERR_MEMORY, "Convolution: out of memory for the column buffer");
    }
    for (int64_t n0 = 0; n0 < g->N; n0 += NB) {
        const int64_t nb = g->N - n0 < NB ? g->N - n0 : NB;
        CK(conv_job) j = {.g = g, .x = x, .col = col, .tmp = tmp, .y = y, .bias = bias, .n0 = n0, .ldcol = nb * OSP};
        if (pointwise) {
            for (int64_t nl = 0; nl < nb; nl++)
                for (int64_t gi = 0; gi < g->G; gi++)
                    GEMM(0, 0, Fg, OSP, Cg, 1, w + gi * Fg * Cg, Cg, x + ((n0 + nl) * g->C + gi * Cg) * OSP, OSP, 0,
                         tmp + gi * Fg * j.ldcol + nl * OSP, j.ldcol);
        } else {
            mxi_parallel_for(nb * g->C, CK(grain_for)(KK * OSP), CK(im2col_range), &j);
            for (int64_t gi = 0; gi < g->G; gi++)
                GEMM(0, 0, Fg, j.ldcol, Cg * KK, 1, w + gi * Fg * Cg * KK, Cg * KK, col + gi * Cg * KK * j.ldcol,
                     j.ldcol, 0, tmp + gi * Fg * j.ldcol, j.ldcol);
        }
        mxi_parallel_for(nb * g->F, CK(grain_for)(OSP), CK(scatter_range), &j);
    }
    mxi_scratch_free(col, col_bytes);
    mxi_scratch_free(tmp, tmp_bytes);
    return MX_OK;
}

/* Gradients of y = conv(x, w): dx += col2im(Wᵀ dy), dw += dy colᵀ, db += sum dy.
 * Any of dx/dw/db may be NULL; x is needed only for dw. Outputs accumulate
 * (callers pass zeroed buffers). */
static int CK(conv_backward)(const conv_geom *g, const T *x, const T *w, const T *dy, T *dx, T *dw, T *db) {
    const int64_t OSP = g->out[0] * g->out[1] * g->out[2], KK = g->k[0] * g->k[1] * g->k[2];
    const int64_t Cg = g->C / g->G, Fg = g->F / g->G;
    if (g->N == 0 || OSP == 0 || g->F == 0) return MX_OK;
    if (dw && CK(conv_wgrad_ok)(g)) { /* the weight and bias gradients without im2col */
        MXI_TRY(CK(conv_wgrad_direct)(g, x, dy, dw, db));
        dw = db = NULL;
    }
    conv_geom t;
    if (dx && CK(conv_dgrad_geom)(g, &t)) { /* the data gradient as a direct convolution */
        MXI_TRY(CK(conv_dgrad_direct)(g, &t, w, dy, dx));
        dx = NULL;
    }
    if (!dx && !dw && !db) return MX_OK;
    /* with a data gradient, chunks of ~1 MB: the column matrix its GEMM
     * writes is still in L2 when col2im reads it back. LeNet conv2's data
     * gradient, 1 thread, 3 interleaved runs on a busy machine: 3.3-3.9 ms
     * at 4 MB, 2.9-3.2 ms at 1 MB (perf: col2im stalled on its loads) */
    const int64_t NB = CK(chunk_items_within)(g, dx ? 1LL << 20 : 4LL << 20);
    const size_t col_bytes = sizeof(T) * (size_t)(g->C * KK * NB * OSP), tmp_bytes = sizeof(T) * (size_t)(g->F * NB * OSP);
    T *col = mxi_scratch_alloc(col_bytes);
    T *tmp = mxi_scratch_alloc(tmp_bytes);
    if (!col || !tmp) {
        mxi_scratch_free(col, col_bytes);
        mxi_scratch_free(tmp, tmp_bytes);
        return mxi_error(MX_ERR_MEMORY, "Convolution: out of memory for the column buffer");
    }
    for (int64_t n0 = 0; n0 < g->N; n0 += NB) {
        const int64_t nb = g->N - n0 < NB ? g->N - n0 : NB;
        CK(conv_job) j = {.g = g, .x = x, .xw = dx, .col = col, .tmp = tmp, .ycst = dy, .n0 = n0, .ldcol = nb * OSP};
        mxi_parallel_for(nb * g->F, CK(grain_for)(OSP), CK(gather_range), &j);
        if (db) {
            j.y = db; /* one filter's row sum per task: rows are long (nb * OSP) */
            mxi_parallel_for(g->F, CK(grain_for)(j.ldcol), CK(bias_grad_range), &j);
        }
        if (dw) {
            mxi_parallel_for(nb * g->C, CK(grain_for)(KK * OSP), CK(im2col_range), &j);
            for (int64_t gi = 0; gi < g->G; gi++)
                GEMM(0, 1, Fg, Cg * KK, j.ldcol, 1, tmp + gi * Fg * j.ldcol, j.ldcol, col + gi * Cg * KK * j.ldcol,
                     j.ldcol, 1, dw + gi * Fg * Cg * KK, Cg * KK);
        }
        if (dx) {
            for (int64_t gi = 0; gi < g->G; gi++)
                GEMM(1, 0, Cg * KK, j.ldcol, Fg, 1, w + gi * Fg * Cg * KK, Cg * KK, tmp + gi * Fg * j.ldcol, j.ldcol,
                     0, col + gi * Cg * KK * j.ldcol, j.ldcol);
            mxi_parallel_for(nb * g->C, CK(grain_for)(KK * OSP), CK(col2im_range), &j);
        }
    }
    mxi_scratch_free(col, col_bytes);
    mxi_scratch_free(tmp, tmp_bytes);
    return MX_OK;
}

/* Per-channel sum over (N, spatial) of a (N, C, SP) tensor, accumulated. */
static void CK(channel_sum)(const T *x, int64_t N, int64_t C, int64_t SP, T *out) {
    for (int64_t n = 0; n < N; n++)
        for (int64_t c = 0; c < C; c++) {
            out[c] += CK(row_sum)(x + (n * C + c) * SP, SP);
        }
}

/* Adds bias per channel to a (N, C, SP) tensor. */
static void CK(add_bias)(T *y, const T *b, int64_t N, int64_t C, int64_t SP) {
    for (int64_t n = 0; n < N; n++)
        for (int64_t c = 0; c < C; c++) {
            T *r = y + (n * C + c) * SP;
            const T bv = b[c];
            for (int64_t o = 0; o < SP; o++) r[o] += bv;
        }
}

#undef CK
#undef CK_CAT
#undef CK_CAT2
