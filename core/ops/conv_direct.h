/* conv_direct.h — convolutions without im2col, included by conv_kernels.h
 * once per dtype (T, SFX, CK defined there). Kernels: row tiles
 * (conv_direct_rows.h) and filter vectors (conv_direct_fvec.h) for the
 * forward, filter vectors for the weight gradient (conv_direct_wgrad.h; row
 * tiles for depthwise layers, conv_direct_dwgrad.h), and the data gradient
 * as a forward convolution (conv_dgrad_direct, below); each
 * built twice, with 64-byte vectors for AVX-512 CPUs and 32-byte ones for
 * AVX2 (conv_direct_width.h), and the width's conv_direct_kind() /
 * conv_wgrad_ok() pick a kernel or none (im2col + GEMM then). Here: what the
 * widths share (the job, padding copies, chunking) and the dispatch on the
 * CPU (mxi_cpu_vector_isa; MXCORE_CPU_ISA caps it).
 *
 * Why: im2col writes a column matrix (taps) times the size of the input and
 * hands the BLAS products that are thin where CNNs spend much of their time:
 * LeNet's conv1 reduces over 25 values for 20 filters (the BLAS runs at a
 * sixth of its peak), its conv2 over 8-pixel rows. The direct kernels keep a
 * block of outputs in vector registers while the taps stream over the input.
 * Measured against the im2col build on 2 threads (AVX-512, float32): LeNet
 * conv1 forward (batch 64) 0.65 -> 0.29 ms, conv2 2.16 -> 1.00 ms, 3x3 layers
 * of 3-64 channels 2-3.3x faster, ResNet's 7x7/2 stem 2x, a 1x1 layer of 64
 * channels 3x; LeNet training +28-33% with the weight gradient's kernel.
 *
 * Padding is applied by copying the input into a zero-bordered buffer first
 * (per chunk of items), so every tap of every tile reads inside memory
 * without checks. */
#ifndef CONV_DIRECT_MAX_K
/* taps (channels per group x kernel elements), at most, for any direct
 * kernel: ResNet's 3x3 layers of 128 and 256 channels (1152, 2304 taps) ran
 * 4-10% slower direct than through im2col + GEMM, its 64-channel ones (576)
 * faster (see conv_direct_kind, conv_wgrad_ok, conv_dgrad_geom) */
#define CONV_DIRECT_MAX_K 640
enum { CONV_NONE, CONV_ROWS, CONV_FVEC }; /* conv_direct_kind() */
#define CONV_DF 4 /* filters per tile (named accumulators below) */
#endif

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
 * least one item), so padding never doubles the input's memory. */
static int64_t CK(direct_chunking)(const conv_geom *g, conv_geom *pg) {
    *pg = *g;
    for (int i = 0; i < 3; i++) {
        pg->in[i] += 2 * g->p[i];
        pg->p[i] = 0;
    }
    const int padded = g->p[0] || g->p[1] || g->p[2];
    const int64_t per = padded ? (int64_t)sizeof(T) * g->C * pg->in[0] * pg->in[1] * pg->in[2] : 0;
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

/* db[f] += sum of dy over items and positions; task = filter. */
static void CK(direct_bgrad_range)(void *ctx, int64_t b, int64_t e) {
    const CK(direct_job) *j = ctx;
    const conv_geom *g = j->orig;
    const int64_t OSP = g->out[0] * g->out[1] * g->out[2];
    for (int64_t f = b; f < e; f++)
        for (int64_t n = 0; n < g->N; n++) j->db[f] += CK(row_sum)(j->dy + (n * g->F + f) * OSP, OSP);
}

#define DV 64
#include "conv_direct_width.h"
#undef DV
#define DV 32
#include "conv_direct_width.h"
#undef DV

/* The vector width of the direct kernels this CPU runs well: 64 bytes with
 * AVX-512, 32 with AVX2 + FMA, 0 (none: im2col + GEMM) otherwise. */
static int CK(direct_width)(void) {
    const int isa = mxi_cpu_vector_isa();
    return isa >= 512 ? 64 : isa >= 256 ? 32 : 0;
}

static int CK(conv_direct_ok)(const conv_geom *g) {
    const int w = CK(direct_width)();
    return w == 64 ? CK(conv_direct_kind_64)(g) != CONV_NONE : w == 32 ? CK(conv_direct_kind_32)(g) != CONV_NONE : 0;
}

/* y = conv(x, w) + bias when conv_direct_ok(g). */
static int CK(conv_forward_direct)(const conv_geom *g, const T *x, const T *w, const T *bias, T *y) {
    return CK(direct_width)() == 64 ? CK(conv_forward_direct_64)(g, x, w, bias, y)
                                    : CK(conv_forward_direct_32)(g, x, w, bias, y);
}

static int CK(conv_wgrad_ok)(const conv_geom *g) {
    const int w = CK(direct_width)();
    return w == 64 ? CK(conv_wgrad_ok_64)(g) : w == 32 ? CK(conv_wgrad_ok_32)(g) : 0;
}

/* dw (and db) += the weight (and bias) gradients when conv_wgrad_ok(g). */
static int CK(conv_wgrad_direct)(const conv_geom *g, const T *x, const T *dy, T *dw, T *db) {
    return CK(direct_width)() == 64 ? CK(conv_wgrad_direct_64)(g, x, dy, dw, db)
                                    : CK(conv_wgrad_direct_32)(g, x, dy, dw, db);
}

/* The data gradient of a convolution with unit strides is itself one: dy
 * convolved with the weights flipped in space and with data and filter
 * channels swapped, padded by dilate*(kernel-1) - pad. Fills t with that
 * geometry and says whether the direct forward should run it: the kernel
 * accepts it, the padding is >= 0 and gives back the input's size, and the
 * correlation over the padded dy does at most twice the multiply-adds of the
 * gradient itself (input over output area: 1 for 'same' layers, 2.25 for
 * LeNet's 'valid' 5x5 on 12x12, where im2col + col2im stays). Measured against im2col + col2im (2 threads,
 * AVX-512, float32), forward + both gradients of 3x3 'same' layers: 32
 * channels on 32x32 16.4 -> 7.7 ms, 64 on 16x16 10.3 -> 5.6 ms, 64 on 56x56
 * 25.5 -> 20.7 ms; at 1152 taps no gain, at 2304 taps 1.3x slower (the GEMM
 * with K = channels is efficient there). */
static int CK(conv_dgrad_geom)(const conv_geom *g, conv_geom *t) {
    *t = (conv_geom){.N = g->N, .C = g->F, .F = g->C, .G = g->G};
    for (int i = 0; i < 3; i++) {
        t->in[i] = g->out[i], t->out[i] = g->in[i], t->k[i] = g->k[i], t->s[i] = 1, t->d[i] = g->d[i];
        t->p[i] = g->d[i] * (g->k[i] - 1) - g->p[i];
        if (g->s[i] != 1 || t->p[i] < 0 || t->in[i] + 2 * t->p[i] - t->d[i] * (t->k[i] - 1) != t->out[i]) return 0;
    }
    const double waste = (double)(g->in[0] * g->in[1] * g->in[2]) / (double)(g->out[0] * g->out[1] * g->out[2]);
    return waste <= 2.0 && CK(conv_direct_ok)(t);
}

/* dx = the data gradient (written: callers pass it zeroed) for a geometry
 * conv_dgrad_geom() accepted as t. */
static int CK(conv_dgrad_direct)(const conv_geom *g, const conv_geom *t, const T *w, const T *dy, T *dx) {
    const int64_t Cg = g->C / g->G, Fg = g->F / g->G, k0 = g->k[0], k1 = g->k[1], k2 = g->k[2];
    const size_t bytes = sizeof(T) * (size_t)(g->C * Fg * k0 * k1 * k2);
    T *wt = mxi_scratch_alloc(bytes);
    if (!wt) return mxi_error(MX_ERR_MEMORY, "Convolution: out of memory for the flipped weights");
    for (int64_t gi = 0; gi < g->G; gi++)
        for (int64_t c = 0; c < Cg; c++)
            for (int64_t fl = 0; fl < Fg; fl++)
                for (int64_t kd = 0; kd < k0; kd++)
                    for (int64_t kh = 0; kh < k1; kh++)
                        for (int64_t kw = 0; kw < k2; kw++)
                            wt[((((gi * Cg + c) * Fg + fl) * k0 + kd) * k1 + kh) * k2 + kw] =
                                w[((((gi * Fg + fl) * Cg + c) * k0 + k0 - 1 - kd) * k1 + k1 - 1 - kh) * k2 + k2 - 1 - kw];
    const int rc = CK(conv_forward_direct)(t, dy, wt, NULL, dx);
    mxi_scratch_free(wt, bytes);
    return rc;
}
