/* conv_direct_width.h — the direct convolution kernels and their drivers for
 * one vector width, included by conv_direct.h once per dtype with DV = 64
 * (AVX-512: 16 floats or 8 doubles per vector) and DV = 32 (AVX2 + FMA: 8
 * or 4). Names get the width: DK(conv_forward_direct) is
 * conv_forward_direct_64_f32 for DV 64 and float. Each kernel is compiled
 * for its ISA only; conv_direct.h calls it only on a CPU that has it. */
#define DK_CAT2(a, b) a##_##b
#define DK_CAT(a, b) DK_CAT2(a, b)
#define DK(name) CK(DK_CAT(name, DV))
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
#if DV == 64
#define DK_TARGET __attribute__((target("avx512f")))
#else
#define DK_TARGET __attribute__((target("avx2,fma")))
#endif
#else
#define DK_TARGET
#endif

/* A tile: DV bytes of outputs as a GCC vector, so the accumulators stay in
 * registers (one each). */
typedef T DK(vec) __attribute__((vector_size(DV)));
#define DK_VL ((int64_t)(DV / sizeof(T)))

/* Which direct kernel, if any, runs a convolution of at most
 * CONV_DIRECT_MAX_K taps: the row-tile kernel (conv_direct_rows.h) for unit
 * width stride, rows at least a tile wide and few filters; the filter-vector
 * kernel (conv_direct_fvec.h) for the others but strided 1x1 layers; else
 * none (im2col + GEMM). Measured on 2 threads (AVX-512), float32:
 * - row tiles beat filter vectors where filters are few (LeNet conv1, 20
 *   filters: 0.29 vs 0.40 ms; 32 filters on 32-pixel rows: 2.9 vs 3.2 ms);
 * - filter vectors beat im2col + GEMM 1.2-2.2x up to 576 taps at any width
 *   (LeNet conv2, 8-pixel rows: 2.16 -> 1.00 ms; ResNet's 7x7/2 stem 2x);
 *   on strided 1x1 layers (ResNet's downsampling) the GEMM was ahead;
 * - row tiles of two half tiles for 8-float rows measured no faster than
 *   im2col (filter vectors there instead).
 * The same rules for the 32-byte build, measured with MXCORE_CPU_ISA=avx2 and
 * OpenBLAS on its Haswell kernels (this machine has AVX-512; no AVX2-only CPU
 * was at hand): 1.0-1.7x faster than im2col, except 0.9x at 576 taps on
 * 56-pixel rows. */
static int DK(conv_direct_kind)(const conv_geom *g) {
    const int64_t KK = g->k[0] * g->k[1] * g->k[2], ntaps = g->C / g->G * KK;
    if (ntaps > CONV_DIRECT_MAX_K || (g->s[2] != 1 && KK == 1)) return CONV_NONE;
    if (g->s[2] == 1 && g->out[2] >= DK_VL && g->F / g->G <= 2 * DK_VL) return CONV_ROWS;
    return CONV_FVEC;
}

/* Depthwise layers (one input channel per group) with unit width stride and
 * rows a tile wide: their own weight-gradient kernel (conv_direct_dwgrad.h).
 * Backward of 3x3 depthwise layers at batch 8 (2 threads, AVX-512): 32
 * channels on 112x112 23.1 -> 4.8 ms, 128 on 56x56 24.1 -> 5.2 ms. */
static int DK(dwgrad_ok)(const conv_geom *g) { return g->C == g->G && g->s[2] == 1 && g->out[2] >= DK_VL; }

/* Whether the weight gradient runs without im2col (conv_direct_wgrad.h): up to
 * CONV_DIRECT_MAX_K taps, not 1x1, with at most a quarter of the filter
 * vectors' lanes idle. Measured on 2 threads (AVX-512, float32) against im2col + GEMM:
 * LeNet conv2 (50 filters) 2.13 -> 1.36 ms, 3x3 layers of 32-64 filters and
 * ResNet's 7x7/2 stem 1.2-1.5x faster; slower for LeNet conv1 (20 filters in
 * 32 lanes: 0.71 vs 0.86 ms), 4% slower at 1152 taps (ResNet's 128-channel
 * 3x3) and up to 1.5x slower on 1x1 layers (a plain GEMM there). The 32-byte
 * build (as above): 0.95-1.23x im2col's speed. */
static int DK(conv_wgrad_ok)(const conv_geom *g) {
    const int64_t Fg = g->F / g->G, lanes = (Fg + DK_VL - 1) / DK_VL * DK_VL, KK = g->k[0] * g->k[1] * g->k[2];
    return KK > 1 && g->C / g->G * KK <= CONV_DIRECT_MAX_K && (3 * lanes <= 4 * Fg || DK(dwgrad_ok)(g));
}

#include "conv_direct_rows.h"
#include "conv_direct_fvec.h"
#include "conv_direct_wgrad.h"
#include "conv_direct_dwgrad.h"

/* y = conv(x, w) + bias, for shapes conv_direct_ok() accepts. */
static int DK(conv_forward_direct)(const conv_geom *g, const T *x, const T *w, const T *bias, T *y) {
    const int64_t Fg = g->F / g->G, OSP = g->out[0] * g->out[1] * g->out[2];
    const int64_t ntaps = g->C / g->G * g->k[0] * g->k[1] * g->k[2];
    conv_geom pg;
    const int64_t NB = CK(direct_chunking)(g, &pg);
    const int rows = DK(conv_direct_kind)(g) == CONV_ROWS;
    const int64_t fblocks = rows ? (Fg + CONV_DF - 1) / CONV_DF : (Fg + DK_VL - 1) / DK_VL;
    const size_t wt_bytes = rows ? 0 : sizeof(T) * (size_t)(g->G * fblocks * ntaps * DK_VL);
    CK(direct_job) j = {.g = &pg, .w = w, .bias = bias, .fblocks = fblocks, .orig = g};
    size_t pad_bytes;
    MXI_TRY(CK(direct_scratch)(&j, &pg, NB, wt_bytes, &pad_bytes));
    if (!rows) mxi_parallel_for(g->G * fblocks, 1, DK(fvec_weights_range), &j);
    const int64_t per_task = (rows ? CONV_DF : DK_VL) * OSP * ntaps;
    for (int64_t n0 = 0; n0 < g->N; n0 += NB) {
        const int64_t nb = g->N - n0 < NB ? g->N - n0 : NB;
        CK(direct_chunk_input)(&j, &pg, x, n0, nb);
        j.y = y + n0 * g->F * OSP;
        mxi_parallel_for(nb * g->G * j.fblocks, CK(grain_for)(per_task / 8),
                         rows ? DK(direct_fwd_range) : DK(fvec_fwd_range), &j);
    }
    mxi_scratch_free(j.xpad, pad_bytes);
    mxi_scratch_free(j.wt, wt_bytes);
    return MX_OK;
}

/* The depthwise weight gradient (and db): one task per filter over all items;
 * padding through the chunked zero-bordered copies. */
static int DK(conv_dwgrad_direct)(const conv_geom *g, const T *x, const T *dy, T *dw, T *db) {
    const int64_t OSP = g->out[0] * g->out[1] * g->out[2];
    conv_geom pg;
    const int64_t NB = CK(direct_chunking)(g, &pg);
    CK(direct_job) j = {.g = &pg, .orig = g, .dw = dw, .db = db};
    size_t pad_bytes;
    MXI_TRY(CK(direct_scratch)(&j, &pg, NB, 0, &pad_bytes));
    for (int64_t n0 = 0; n0 < g->N; n0 += NB) {
        const int64_t nb = g->N - n0 < NB ? g->N - n0 : NB;
        CK(direct_chunk_input)(&j, &pg, x, n0, nb);
        j.dy = dy + n0 * g->F * OSP;
        mxi_parallel_for(g->F, 1, DK(dwgrad_range), &j);
    }
    j.dy = dy;
    if (db) mxi_parallel_for(g->F, CK(grain_for)(g->N * OSP), CK(direct_bgrad_range), &j);
    mxi_scratch_free(j.xpad, pad_bytes);
    return MX_OK;
}

/* dw += the weight gradient, db += the bias gradient (db may be NULL) of
 * y = conv(x, w) + bias, for shapes conv_wgrad_ok() accepts. */
static int DK(conv_wgrad_direct)(const conv_geom *g, const T *x, const T *dy, T *dw, T *db) {
    if (DK(dwgrad_ok)(g)) return DK(conv_dwgrad_direct)(g, x, dy, dw, db);
    const int64_t Fg = g->F / g->G, OSP = g->out[0] * g->out[1] * g->out[2];
    const int64_t ntaps = g->C / g->G * g->k[0] * g->k[1] * g->k[2], fblocks = (Fg + DK_VL - 1) / DK_VL;
    conv_geom pg;
    const int64_t NB = CK(direct_chunking)(g, &pg);
    int64_t ipt = (CONV_WPOS + OSP - 1) / OSP; /* items per task */
    ipt = ipt > NB ? NB : ipt;
    const int64_t max_tasks = g->G * fblocks * ((NB + ipt - 1) / ipt);
    const size_t dyt_bytes = sizeof(T) * (size_t)(max_tasks * ipt * OSP * DK_VL);
    const size_t part_bytes = sizeof(T) * (size_t)(max_tasks * ntaps * DK_VL);
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
        mxi_parallel_for(g->G * fblocks * ((nb + ipt - 1) / ipt), 1, DK(wgrad_range), &j);
        mxi_parallel_for(g->G * fblocks, 1, DK(wgrad_reduce_range), &j);
    }
    j.dy = dy;
    if (db) mxi_parallel_for(g->F, CK(grain_for)(g->N * OSP), CK(direct_bgrad_range), &j);
    mxi_scratch_free(j.xpad, pad_bytes);
    mxi_scratch_free(j.wt, dyt_bytes);
    mxi_scratch_free(j.y, part_bytes);
    return MX_OK;
}

#undef DK_VL
#undef DK_TARGET
#undef DK
#undef DK_CAT
#undef DK_CAT2
