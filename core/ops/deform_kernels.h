/* deform_kernels.h — dtype-generic kernels of the deformable convolutions
 * (DCN v1 and the modulated DCN v2), included by deformable_conv.c once per
 * dtype with T (element type), SFX (name suffix) and GEMM (mxi_sgemm /
 * mxi_dgemm) defined.
 *
 * One item at a time: a deformable im2col samples the data at the offset
 * positions into a column matrix (C*KK, OSP) (times the mask for v2), one
 * GEMM per group multiplies it with the weight. The backward takes the
 * column gradient Wᵀ dy once and scatters it into the data (the transpose of
 * the sampling), into the offsets (the sampling's derivative along h and w)
 * and into the mask (the unmasked samples); dW = dy colᵀ by GEMM. */
#define DK_CAT2(a, b) a##_##b
#define DK_CAT(a, b) DK_CAT2(a, b)
#define DK(name) DK_CAT(name, SFX)

/* A sampling point: 4 corners (plane index or -1), their bilinear weights and
 * the weights' derivatives along h and w. */
typedef struct {
    int64_t idx[4];
    T wt[4], dh[4], dw[4];
} DK(taps);

/* Corners of the point (h, w) of an H x W plane under MXNet's CPU rules; 0
 * when the point samples nothing (its value and derivatives are 0).
 *  v1 (DeformableConvolution): only points in [0, H) x [0, W) sample; the
 *    last row/column is held (a point in [H-1, H) reads row H-1 alone).
 *  v2 (Modulated): points in (-1, H) x (-1, W) sample; corners outside the
 *    plane read 0. */
static int DK(taps_at)(const deform_geom *g, T h, T w, DK(taps) *t) {
    const int64_t H = g->H, W = g->W;
    if (g->modulated ? !(h > -1 && w > -1 && h < (T)H && w < (T)W) : !(h >= 0 && w >= 0 && h < (T)H && w < (T)W))
        return 0;
    int64_t r[2], q[2];
    r[0] = (int64_t)floor(h), q[0] = (int64_t)floor(w);
    r[1] = r[0] + 1, q[1] = q[0] + 1;
    T lh = h - (T)r[0], lw = w - (T)q[0], ch = 1, cw = 1; /* ch, cw: d lh/dh, d lw/dw */
    if (!g->modulated && r[0] >= H - 1) r[0] = r[1] = H - 1, lh = 0, ch = 0;
    if (!g->modulated && q[0] >= W - 1) q[0] = q[1] = W - 1, lw = 0, cw = 0;
    const T wr[2] = {1 - lh, lh}, wc[2] = {1 - lw, lw}, dr[2] = {-ch, ch}, dc[2] = {-cw, cw};
    for (int a = 0; a < 2; a++)
        for (int b = 0; b < 2; b++) {
            const int k = a * 2 + b;
            t->idx[k] = r[a] >= 0 && r[a] < H && q[b] >= 0 && q[b] < W ? r[a] * W + q[b] : -1;
            t->wt[k] = wr[a] * wc[b], t->dh[k] = dr[a] * wc[b], t->dw[k] = wr[a] * dc[b];
        }
    return 1;
}

/* Kernel tap k at output position o: the point it samples, from the offsets
 * of its deformable group (layout (2*KK, OSP): h of tap k at row 2k, w at 2k+1). */
static int DK(tap_of)(const deform_geom *g, const T *off, int64_t k, int64_t o, DK(taps) *t) {
    const int64_t OSP = g->OH * g->OW, oh = o / g->OW, ow = o % g->OW;
    const T h = (T)(oh * g->sh - g->ph + (k / g->kw) * g->dh) + off[2 * k * OSP + o];
    const T w = (T)(ow * g->sw - g->pw + (k % g->kw) * g->dw) + off[(2 * k + 1) * OSP + o];
    return DK(taps_at)(g, h, w, t);
}

typedef struct {
    const deform_geom *g;
    const T *x, *off, *mask; /* one item's data, offsets and mask (NULL: v1) */
    T *col, *dcol;           /* (C*KK, OSP) */
    T *dx, *doff, *dmask;    /* one item's gradients (NULL: not wanted) */
} DK(job);

/* Rows of channels [b, e): col[(c*KK + k), o] = mask * sample of plane c. */
static void DK(im2col_range)(void *ctx, int64_t b, int64_t e) {
    const DK(job) *j = ctx;
    const deform_geom *g = j->g;
    const int64_t KK = g->kh * g->kw, OSP = g->OH * g->OW, HW = g->H * g->W, cpg = g->C / g->DG;
    for (int64_t c = b; c < e; c++) {
        const T *plane = j->x + c * HW, *off = j->off + (c / cpg) * 2 * KK * OSP;
        const T *m = j->mask ? j->mask + (c / cpg) * KK * OSP : NULL;
        for (int64_t k = 0; k < KK; k++) {
            T *row = j->col + (c * KK + k) * OSP;
            for (int64_t o = 0; o < OSP; o++) {
                DK(taps) t;
                T v = 0;
                if (DK(tap_of)(g, off, k, o, &t))
                    for (int q = 0; q < 4; q++) v += t.idx[q] >= 0 ? t.wt[q] * plane[t.idx[q]] : 0;
                row[o] = m ? v * m[k * OSP + o] : v;
            }
        }
    }
}

/* Data gradient of channels [b, e): each column entry spread back over the
 * corners it was sampled from (the transpose of im2col_range). */
static void DK(col2im_range)(void *ctx, int64_t b, int64_t e) {
    const DK(job) *j = ctx;
    const deform_geom *g = j->g;
    const int64_t KK = g->kh * g->kw, OSP = g->OH * g->OW, HW = g->H * g->W, cpg = g->C / g->DG;
    for (int64_t c = b; c < e; c++) {
        T *plane = j->dx + c * HW;
        const T *off = j->off + (c / cpg) * 2 * KK * OSP;
        const T *m = j->mask ? j->mask + (c / cpg) * KK * OSP : NULL;
        for (int64_t k = 0; k < KK; k++) {
            const T *row = j->dcol + (c * KK + k) * OSP;
            for (int64_t o = 0; o < OSP; o++) {
                DK(taps) t;
                if (!DK(tap_of)(g, off, k, o, &t)) continue;
                const T gv = m ? row[o] * m[k * OSP + o] : row[o];
                for (int q = 0; q < 4; q++)
                    if (t.idx[q] >= 0) plane[t.idx[q]] += t.wt[q] * gv;
            }
        }
    }
}

/* Offset and mask gradients of (deformable group, tap) pairs [b, e): the
 * column gradient of every channel of the group times the sample's
 * derivative (offsets, times the mask) or the unmasked sample (mask). */
static void DK(coord_range)(void *ctx, int64_t b, int64_t e) {
    const DK(job) *j = ctx;
    const deform_geom *g = j->g;
    const int64_t KK = g->kh * g->kw, OSP = g->OH * g->OW, HW = g->H * g->W, cpg = g->C / g->DG;
    for (int64_t t0 = b; t0 < e; t0++) {
        const int64_t dg = t0 / KK, k = t0 % KK;
        const T *off = j->off + dg * 2 * KK * OSP;
        for (int64_t o = 0; o < OSP; o++) {
            DK(taps) t;
            T gh = 0, gw = 0, gm = 0;
            if (DK(tap_of)(g, off, k, o, &t))
                for (int64_t c = dg * cpg; c < (dg + 1) * cpg; c++) {
                    const T *plane = j->x + c * HW, gc = j->dcol[(c * KK + k) * OSP + o];
                    T v = 0, vh = 0, vw = 0;
                    for (int q = 0; q < 4; q++) {
                        if (t.idx[q] < 0) continue;
                        const T p = plane[t.idx[q]];
                        v += t.wt[q] * p, vh += t.dh[q] * p, vw += t.dw[q] * p;
                    }
                    gh += vh * gc, gw += vw * gc, gm += v * gc;
                }
            const T m = j->mask ? j->mask[(dg * KK + k) * OSP + o] : 1;
            if (j->doff) {
                j->doff[(dg * 2 * KK + 2 * k) * OSP + o] = gh * m;
                j->doff[(dg * 2 * KK + 2 * k + 1) * OSP + o] = gw * m;
            }
            if (j->dmask) j->dmask[(dg * KK + k) * OSP + o] = gm;
        }
    }
}

static int64_t DK(grain)(const deform_geom *g, int64_t rows_per_task) {
    const int64_t per = rows_per_task * g->OH * g->OW * 8;
    return per >= 32768 ? 1 : 32768 / (per > 0 ? per : 1);
}

static void DK(item_job)(const deform_geom *g, DK(job) *j, int64_t n, const T *x, const T *off, const T *mask) {
    const int64_t KK = g->kh * g->kw, OSP = g->OH * g->OW;
    j->g = g;
    j->x = x + n * g->C * g->H * g->W;
    j->off = off + n * g->DG * 2 * KK * OSP;
    j->mask = mask ? mask + n * g->DG * KK * OSP : NULL;
}

/* y = deformable conv(x, offsets, mask, w) + bias; y arrives zeroed. */
static int DK(deform_forward)(const deform_geom *g, const T *x, const T *off, const T *mask, const T *w,
                              const T *bias, T *y) {
    const int64_t KK = g->kh * g->kw, OSP = g->OH * g->OW, Cg = g->C / g->G, Fg = g->F / g->G;
    const size_t bytes = sizeof(T) * (size_t)(g->C * KK * OSP);
    T *col = bytes ? mxi_scratch_alloc(bytes) : NULL;
    if (bytes && !col) return mxi_error(MX_ERR_MEMORY, "%s: out of memory for the column buffer", g->op);
    for (int64_t n = 0; bytes && n < g->N; n++) {
        DK(job) j = {.col = col};
        DK(item_job)(g, &j, n, x, off, mask);
        mxi_parallel_for(g->C, DK(grain)(g, KK), DK(im2col_range), &j);
        for (int64_t gi = 0; gi < g->G; gi++)
            GEMM(0, 0, Fg, OSP, Cg * KK, 1, w + gi * Fg * Cg * KK, Cg * KK, col + gi * Cg * KK * OSP, OSP, 0,
                 y + (n * g->F + gi * Fg) * OSP, OSP);
    }
    mxi_scratch_free(col, bytes);
    if (bias)
        for (int64_t n = 0; n < g->N; n++)
            for (int64_t f = 0; f < g->F; f++)
                for (int64_t o = 0; o < OSP; o++) y[(n * g->F + f) * OSP + o] += bias[f];
    return MX_OK;
}

/* Gradients from dy; any of dx/doff/dmask/dw/db may be NULL. All arrive
 * zeroed (dw and db accumulate over the items). */
static int DK(deform_backward)(const deform_geom *g, const T *x, const T *off, const T *mask, const T *w,
                               const T *dy, T *dx, T *doff, T *dmask, T *dw, T *db) {
    const int64_t KK = g->kh * g->kw, OSP = g->OH * g->OW, Cg = g->C / g->G, Fg = g->F / g->G;
    if (db)
        for (int64_t n = 0; n < g->N; n++)
            for (int64_t f = 0; f < g->F; f++)
                for (int64_t o = 0; o < OSP; o++) db[f] += dy[(n * g->F + f) * OSP + o];
    if (g->N == 0 || OSP == 0 || g->F == 0 || g->C == 0) return MX_OK;
    const size_t bytes = sizeof(T) * (size_t)(g->C * KK * OSP);
    T *col = dw ? mxi_scratch_alloc(bytes) : NULL, *dcol = dx || doff || dmask ? mxi_scratch_alloc(bytes) : NULL;
    if ((dw && !col) || ((dx || doff || dmask) && !dcol)) {
        mxi_scratch_free(col, bytes);
        mxi_scratch_free(dcol, bytes);
        return mxi_error(MX_ERR_MEMORY, "%s: out of memory for the column buffers", g->op);
    }
    for (int64_t n = 0; n < g->N; n++) {
        const T *dyn = dy + n * g->F * OSP;
        DK(job) j = {.col = col, .dcol = dcol};
        DK(item_job)(g, &j, n, x, off, mask);
        if (dcol) {
            for (int64_t gi = 0; gi < g->G; gi++)
                GEMM(1, 0, Cg * KK, OSP, Fg, 1, w + gi * Fg * Cg * KK, Cg * KK, dyn + gi * Fg * OSP, OSP, 0,
                     dcol + gi * Cg * KK * OSP, OSP);
            j.dx = dx ? dx + n * g->C * g->H * g->W : NULL;
            j.doff = doff ? doff + n * g->DG * 2 * KK * OSP : NULL;
            j.dmask = dmask ? dmask + n * g->DG * KK * OSP : NULL;
            if (j.dx) mxi_parallel_for(g->C, DK(grain)(g, KK), DK(col2im_range), &j);
            if (j.doff || j.dmask) mxi_parallel_for(g->DG * KK, DK(grain)(g, g->C / g->DG), DK(coord_range), &j);
        }
        if (dw) {
            mxi_parallel_for(g->C, DK(grain)(g, KK), DK(im2col_range), &j);
            for (int64_t gi = 0; gi < g->G; gi++)
                GEMM(0, 1, Fg, Cg * KK, OSP, 1, dyn + gi * Fg * OSP, OSP, col + gi * Cg * KK * OSP, OSP, 1,
                     dw + gi * Fg * Cg * KK, Cg * KK);
        }
    }
    mxi_scratch_free(col, bytes);
    mxi_scratch_free(dcol, bytes);
    return MX_OK;
}

#undef DK
#undef DK_CAT
#undef DK_CAT2
