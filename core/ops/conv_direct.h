/* conv_direct.h — direct (no im2col) forward convolutions, included by
 * conv_kernels.h once per dtype (T, SFX, CK defined there). Two kernels:
 * row tiles (here) and filter vectors (conv_direct_fvec.h);
 * conv_direct_kind() picks one or neither (im2col + GEMM then).
 *
 * Why: im2col writes a column matrix (taps) times the size of the input and
 * hands the BLAS products that are thin where CNNs spend much of their time:
 * LeNet's conv1 reduces over 25 values for 20 filters (the BLAS runs at a
 * sixth of its peak), its conv2 over 8-pixel rows. The direct kernels keep a
 * block of outputs in vector registers while the taps stream over the input.
 * Measured against the im2col build on 2 threads (AVX-512, float32): LeNet
 * conv1 forward (batch 64) 0.65 -> 0.29 ms, conv2 2.16 -> 1.00 ms, 3x3 layers
 * of 3-64 channels 2-3.3x faster, ResNet's 7x7/2 stem 2x, a 1x1 layer of 64
 * channels 3x; LeNet training +16-19%.
 *
 * Padding is applied by copying the input into a zero-bordered buffer first
 * (per chunk of items), so every tap of every tile reads inside memory
 * without checks. */
#ifndef CONV_DIRECT_MAX_K
/* taps (channels per group x kernel elements), at most, for the row-tile
 * kernel and for either kernel (see conv_direct_kind) */
#define CONV_ROWS_MAX_K 640
#define CONV_DIRECT_MAX_K 2304
#define CONV_WGRAD_MAX_K 1152
enum { CONV_NONE, CONV_ROWS, CONV_FVEC }; /* conv_direct_kind() */
#define CONV_DF 4 /* filters per tile (named accumulators below) */
#endif

/* A tile: 64 bytes of outputs (16 floats, 8 doubles) as a GCC vector, so the
 * accumulators stay in registers (one AVX-512 register each; the AVX2 and
 * default clones split it). */
typedef T CK(vec) __attribute__((vector_size(64)));
#define CK_VL ((int64_t)(64 / sizeof(T)))

/* Which direct kernel, if any, runs a convolution: the row-tile kernel here
 * for unit width stride, rows at least a tile wide and few filters; the
 * filter-vector kernel (conv_direct_fvec.h) for other reductions up to
 * CONV_ROWS_MAX_K taps, and up to CONV_DIRECT_MAX_K with unit width stride;
 * else none (im2col + GEMM). Measured on 2 threads (AVX-512), float32:
 * - row tiles beat filter vectors where filters are few (LeNet conv1, 20
 *   filters: 0.29 vs 0.40 ms; 32 filters on 32-pixel rows: 2.9 vs 3.2 ms);
 * - filter vectors beat im2col + GEMM 1.2-2.2x up to 576 taps at any width
 *   (LeNet conv2, 8-pixel rows: 2.16 -> 1.00 ms; ResNet's 7x7/2 stem 2x) and
 *   1.1-1.25x up to 2304 taps with unit stride; at 4608 taps and on strided
 *   1152-tap layers the GEMM was ahead;
 * - row tiles of two half tiles for 8-float rows measured no faster than
 *   im2col (filter vectors there instead).
 * Only with AVX-512 (mxi_cpu_has_avx512: compiled for AVX2 the 64-byte
 * accumulators spill and the kernels ran 4-50x slower than im2col). */
static int CK(conv_direct_kind)(const conv_geom *g) {
    const int64_t ntaps = g->C / g->G * g->k[0] * g->k[1] * g->k[2];
    if (!mxi_cpu_has_avx512() || ntaps > CONV_DIRECT_MAX_K || (ntaps > CONV_ROWS_MAX_K && g->s[2] != 1))
        return CONV_NONE;
    if (g->s[2] == 1 && g->out[2] >= CK_VL && g->F / g->G <= 2 * CK_VL && ntaps <= CONV_ROWS_MAX_K) return CONV_ROWS;
    return CONV_FVEC;
}

static int CK(conv_direct_ok)(const conv_geom *g) { return CK(conv_direct_kind)(g) != CONV_NONE; }

/* Whether the weight gradient runs without im2col (conv_direct_wgrad.h): up to
 * CONV_WGRAD_MAX_K taps with at most a quarter of the filter vectors' lanes
 * idle. Measured on 2 threads (AVX-512, float32) against im2col + GEMM:
 * LeNet conv2 (50 filters) 2.13 -> 1.36 ms, 3x3 layers of 32-64 filters and
 * ResNet's 7x7/2 stem 1.2-1.5x faster; slower for LeNet conv1 (20 filters in
 * 32 lanes: 0.71 vs 0.86 ms) and equal at 2304 taps. */
static int CK(conv_wgrad_ok)(const conv_geom *g) {
    const int64_t Fg = g->F / g->G, lanes = (Fg + CK_VL - 1) / CK_VL * CK_VL;
    return mxi_cpu_has_avx512() && g->C / g->G * g->k[0] * g->k[1] * g->k[2] <= CONV_WGRAD_MAX_K &&
           3 * lanes <= 4 * Fg;
}

typedef struct {
    const conv_geom *g; /* unpadded geometry (p all 0): x is already padded */
    const T *x, *w, *bias;
    T *y;
    int64_t fblocks; /* filter blocks per group */
    T *wt;           /* filter vectors: the weights per filter block; weight gradient: dyt */
    const T *dy;     /* weight gradient: the output gradient (of the chunk) ... */
    T *dw, *db;      /* ... and the gradients it accumulates into */
    int64_t items_per_task; /* weight gradient; its per-task partials go to y */
    T *xpad;         /* padding copy: the zero-bordered input ... */
    const T *xsrc;   /* ... of this one */
    const conv_geom *orig;
} CK(direct_job);

/* Each tap's input offset from the element under output (od, oh, 0) of an
 * unpadded geometry, in weight order (channel, kd, kh, kw). */
static void CK(direct_tap_offsets)(const conv_geom *g, int64_t *toff) {
    const int64_t IH = g->in[1], IW = g->in[2], ISP = g->in[0] * IH * IW;
    int64_t tp = 0;
    for (int64_t cl = 0; cl < g->C / g->G; cl++)
        for (int64_t kd = 0; kd < g->k[0]; kd++)
            for (int64_t kh = 0; kh < g->k[1]; kh++)
                for (int64_t kw = 0; kw < g->k[2]; kw++)
                    toff[tp++] = cl * ISP + (kd * g->d[0] * IH + kh * g->d[1]) * IW + kw * g->d[2];
}

/* a_f += input tile under row[0] * weight of filter f, b_f += tile under
 * row[1] * same, over all taps. Named accumulators: GCC keeps them in
 * registers (an array of them it spills). */
#define CONV_TAP_LOOP()                                                                                           \
    for (int64_t tp = 0; tp < ntaps; tp++) {                                                                      \
        const T *wp = wl + tp * CONV_DF;                                                                          \
        CK(vec) u, v;                                                                                             \
        memcpy(&u, row[0] + toff[tp], sizeof u);                                                                  \
        memcpy(&v, row[1] + toff[tp], sizeof v);                                                                  \
        a0 += u * wp[0], a1 += u * wp[1], a2 += u * wp[2], a3 += u * wp[3];                                       \
        b0 += v * wp[0], b1 += v * wp[1], b2 += v * wp[2], b3 += v * wp[3];                                       \
    }

/* Forward: task t = (item, group, block of CONV_DF filters); y is written.
 * Output tiles are computed two at a time: 8 independent accumulators hide
 * the FMA latency. */
static MXI_CPU_CLONES void CK(direct_fwd_range)(void *ctx, int64_t b, int64_t e) {
    const CK(direct_job) *j = ctx;
    const conv_geom *g = j->g;
    const int64_t ID = g->in[0], IH = g->in[1], IW = g->in[2], ISP = ID * IH * IW;
    const int64_t OD = g->out[0], OH = g->out[1], OW = g->out[2];
    const int64_t Cg = g->C / g->G, Fg = g->F / g->G, ntaps = Cg * g->k[0] * g->k[1] * g->k[2];
    int64_t toff[CONV_DIRECT_MAX_K];
    CK(direct_tap_offsets)(g, toff);
    for (int64_t t = b; t < e; t++) {
        const int64_t n = t / (g->G * j->fblocks), gi = t / j->fblocks % g->G;
        const int64_t fl = t % j->fblocks * CONV_DF, f0 = gi * Fg + fl;
        const int64_t nf = Fg - fl < CONV_DF ? Fg - fl : CONV_DF;
        /* this block's weights, tap-major with the filters side by side; missing
         * filters (the last block of a group) are zeros, so the loop has no branch */
        T wl[CONV_ROWS_MAX_K * CONV_DF], bias[CONV_DF];
        for (int64_t tp = 0; tp < ntaps; tp++)
            for (int fb = 0; fb < CONV_DF; fb++) wl[tp * CONV_DF + fb] = fb < nf ? j->w[(f0 + fb) * ntaps + tp] : (T)0;
        for (int fb = 0; fb < CONV_DF; fb++) bias[fb] = fb < nf && j->bias ? j->bias[f0 + fb] : (T)0;
        const T *xn = j->x + (n * g->C + gi * Cg) * ISP;
        T *yn = j->y + (n * g->F + f0) * OD * OH * OW;
        /* units: tiles in row order, tpr per output row, the last one of a row
         * ending at the row's end (overlapping the one before); two at a time */
        const int64_t tpr = (OW + CK_VL - 1) / CK_VL, units = OD * OH * tpr;
        for (int64_t u0 = 0; u0 < units; u0 += 2) {
            const T *row[2];
            int64_t yoff[2];
            for (int tl = 0; tl < 2; tl++) {
                const int64_t uk = u0 + tl < units ? u0 + tl : u0; /* an odd last unit pairs with itself */
                const int64_t r = uk / tpr, od = r / OH, oh = r % OH;
                const int64_t o = uk % tpr * CK_VL + CK_VL <= OW ? uk % tpr * CK_VL : OW - CK_VL;
                row[tl] = xn + (od * g->s[0] * IH + oh * g->s[1]) * IW + o;
                yoff[tl] = r * OW + o;
            }
            CK(vec) a0 = (CK(vec)){0} + bias[0], a1 = (CK(vec)){0} + bias[1];
            CK(vec) a2 = (CK(vec)){0} + bias[2], a3 = (CK(vec)){0} + bias[3];
            CK(vec) b0 = a0, b1 = a1, b2 = a2, b3 = a3;
            CONV_TAP_LOOP()
            const CK(vec) out[2][CONV_DF] = {{a0, a1, a2, a3}, {b0, b1, b2, b3}};
            for (int tl = 0; tl < 2; tl++)
                for (int fb = 0; fb < nf; fb++)
                    memcpy(yn + fb * OD * OH * OW + yoff[tl], &out[tl][fb], sizeof out[tl][fb]);
        }
    }
}
#undef CONV_TAP_LOOP

#include "conv_direct_fvec.h"
#include "conv_direct_wgrad.h"

/* Padding copy: task = one (item, channel) plane of the original input into
 * the middle of its zeroed, bigger plane in xpad. */
static void CK(direct_pad_range)(void *ctx, int64_t b, int64_t e) {
    const CK(direct_job) *j = ctx;
    const conv_geom *o = j->orig, *p = j->g;
    const int64_t ISP = o->in[0] * o->in[1] * o->in[2], PSP = p->in[0] * p->in[1] * p->in[2];
    for (int64_t t = b; t < e; t++) {
        T *dst = j->xpad + t * PSP;
        memset(dst, 0, sizeof(T) * (size_t)PSP);
        for (int64_t id = 0; id < o->in[0]; id++)
            for (int64_t ih = 0; ih < o->in[1]; ih++)
                memcpy(dst + ((id + o->p[0]) * p->in[1] + ih + o->p[1]) * p->in[2] + o->p[2],
                       j->xsrc + t * ISP + (id * o->in[1] + ih) * o->in[2], sizeof(T) * (size_t)o->in[2]);
    }
}

/* The padded geometry (p all 0) of g, and the items per chunk: a padded
 * convolution runs over chunks whose zero-bordered copy stays under ~4 MB (at
 * least one item), so padding never doubles the input's memory; `extra` more
 * bytes per item (the weight gradient's transposed output gradient) count too. */
static int64_t CK(direct_chunking)(const conv_geom *g, conv_geom *pg, int64_t extra) {
    *pg = *g;
    for (int i = 0; i < 3; i++) {
        pg->in[i] += 2 * g->p[i];
        pg->p[i] = 0;
    }
    const int padded = g->p[0] || g->p[1] || g->p[2];
    const int64_t per = (padded ? (int64_t)sizeof(T) * g->C * pg->in[0] * pg->in[1] * pg->in[2] : 0) + extra;
    int64_t nb = per > 0 ? (4LL << 20) / per : g->N;
    return nb < 1 ? 1 : nb > g->N ? g->N : nb;
}

/* Points j->x at the input of items [n0, n0 + nb) (with j->g->N = nb): x itself,
 * or its zero-bordered copy in j->xpad when g pads. */
static void CK(direct_chunk_input)(CK(direct_job) *j, conv_geom *pg, const T *x, int64_t n0, int64_t nb) {
    const conv_geom *g = j->orig;
    pg->N = nb;
    if (g->p[0] || g->p[1] || g->p[2]) {
        j->xsrc = x + n0 * g->C * g->in[0] * g->in[1] * g->in[2];
        mxi_parallel_for(nb * g->C, CK(grain_for)(pg->in[0] * pg->in[1] * pg->in[2]), CK(direct_pad_range), j);
        j->x = j->xpad;
    } else {
        j->x = x + n0 * g->C * g->in[0] * g->in[1] * g->in[2];
    }
}

/* Scratch for the padded copy of NB items (none when g does not pad) and `wt_bytes`. */
static int CK(direct_scratch)(CK(direct_job) *j, const conv_geom *pg, int64_t NB, size_t wt_bytes, size_t *pad_bytes) {
    const conv_geom *g = j->orig;
    *pad_bytes = g->p[0] || g->p[1] || g->p[2] ? sizeof(T) * (size_t)(NB * g->C * pg->in[0] * pg->in[1] * pg->in[2]) : 0;
    j->xpad = *pad_bytes ? mxi_scratch_alloc(*pad_bytes) : NULL;
    j->wt = wt_bytes ? mxi_scratch_alloc(wt_bytes) : NULL;
    if ((*pad_bytes && !j->xpad) || (wt_bytes && !j->wt)) {
        mxi_scratch_free(j->xpad, *pad_bytes);
        mxi_scratch_free(j->wt, wt_bytes);
        return mxi_error(MX_ERR_MEMORY, "Convolution: out of memory for the direct kernel's buffers");
    }
    return MX_OK;
}

/* y = conv(x, w) + bias, for shapes conv_direct_ok() accepts. */
static int CK(conv_forward_direct)(const conv_geom *g, const T *x, const T *w, const T *bias, T *y) {
    const int64_t Fg = g->F / g->G, OSP = g->out[0] * g->out[1] * g->out[2];
    const int64_t ntaps = g->C / g->G * g->k[0] * g->k[1] * g->k[2];
    conv_geom pg;
    const int64_t NB = CK(direct_chunking)(g, &pg, 0);
    const int rows = CK(conv_direct_kind)(g) == CONV_ROWS;
    const int64_t fblocks = rows ? (Fg + CONV_DF - 1) / CONV_DF : (Fg + CK_VL - 1) / CK_VL;
    const size_t wt_bytes = rows ? 0 : sizeof(T) * (size_t)(g->G * fblocks * ntaps * CK_VL);
    CK(direct_job) j = {.g = &pg, .w = w, .bias = bias, .fblocks = fblocks, .orig = g};
    size_t pad_bytes;
    MXI_TRY(CK(direct_scratch)(&j, &pg, NB, wt_bytes, &pad_bytes));
    if (!rows) mxi_parallel_for(g->G * fblocks, 1, CK(fvec_weights_range), &j);
    const int64_t per_task = (rows ? CONV_DF : CK_VL) * OSP * ntaps;
    for (int64_t n0 = 0; n0 < g->N; n0 += NB) {
        const int64_t nb = g->N - n0 < NB ? g->N - n0 : NB;
        CK(direct_chunk_input)(&j, &pg, x, n0, nb);
        j.y = y + n0 * g->F * OSP;
        mxi_parallel_for(nb * g->G * j.fblocks, CK(grain_for)(per_task / 8),
                         rows ? CK(direct_fwd_range) : CK(fvec_fwd_range), &j);
    }
    mxi_scratch_free(j.xpad, pad_bytes);
    mxi_scratch_free(j.wt, wt_bytes);
    return MX_OK;
}

/* db[f] += sum of dy over items and positions; task = filter. */
static void CK(direct_bgrad_range)(void *ctx, int64_t b, int64_t e) {
    const CK(direct_job) *j = ctx;
    const conv_geom *g = j->orig;
    const int64_t OSP = g->out[0] * g->out[1] * g->out[2];
    for (int64_t f = b; f < e; f++)
        for (int64_t n = 0; n < g->N; n++) j->db[f] += CK(row_sum)(j->dy + (n * g->F + f) * OSP, OSP);
}

/* dw += the weight gradient, db += the bias gradient (db may be NULL) of
 * y = conv(x, w) + bias, for shapes conv_wgrad_ok() accepts. */
static int CK(conv_wgrad_direct)(const conv_geom *g, const T *x, const T *dy, T *dw, T *db) {
    const int64_t Fg = g->F / g->G, OSP = g->out[0] * g->out[1] * g->out[2];
    const int64_t ntaps = g->C / g->G * g->k[0] * g->k[1] * g->k[2], fblocks = (Fg + CK_VL - 1) / CK_VL;
    conv_geom pg;
    const int64_t NB = CK(direct_chunking)(g, &pg, 0);
    int64_t ipt = (CONV_WPOS + OSP - 1) / OSP; /* items per task */
    ipt = ipt > NB ? NB : ipt;
    const int64_t max_tasks = g->G * fblocks * ((NB + ipt - 1) / ipt);
    const size_t dyt_bytes = sizeof(T) * (size_t)(max_tasks * ipt * OSP * CK_VL);
    const size_t part_bytes = sizeof(T) * (size_t)(max_tasks * ntaps * CK_VL);
    CK(direct_job) j = {.g = &pg, .fblocks = fblocks, .orig = g, .dw = dw, .db = db, .items_per_task = ipt};
    size_t pad_bytes;
    MXI_TRY(CK(direct_scratch)(&j, &pg, NB, dyt_bytes, &pad_bytes));
    if (!(j.y = mxi_scratch_alloc(part_bytes))) {
        mxi_scratch_free(j.xpad, pad_bytes);
        mxi_scratch_free(j.wt, dyt_bytes);
        return mxi_error(MX_ERR_MEMORY, "Convolution: out of memory for the weight gradient's partial sums");
    }
    for (int64_t n0 = 0; n0 < g->N; n0 += NB) {
        const int64_t nb = g->N - n0 < NB ? g->N - n0 : NB;
        CK(direct_chunk_input)(&j, &pg, x, n0, nb);
        j.dy = dy + n0 * g->F * OSP;
        mxi_parallel_for(g->G * fblocks * ((nb + ipt - 1) / ipt), 1, CK(wgrad_range), &j);
        mxi_parallel_for(g->G * fblocks, 1, CK(wgrad_reduce_range), &j);
    }
    j.dy = dy;
    if (db) mxi_parallel_for(g->F, CK(grain_for)(g->N * OSP), CK(direct_bgrad_range), &j);
    mxi_scratch_free(j.xpad, pad_bytes);
    mxi_scratch_free(j.wt, dyt_bytes);
    mxi_scratch_free(j.y, part_bytes);
    return MX_OK;
}
