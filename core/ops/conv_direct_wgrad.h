/* conv_direct_wgrad.h — the weight gradient of a convolution without im2col,
 * vectorized over filters (the backward twin of conv_direct_fvec.h).
 * Included by conv_direct_width.h once per dtype and vector width (T, CK,
 * DK, DK(vec), DK_VL, DK_TARGET defined there).
 *
 * dw[f][tap] = sum over items and output positions p of dy[n][f][p] times the
 * input element under tap at p. Each task first transposes its share of the
 * output gradient to position-major rows of DK_VL filters, so one load gives
 * the filters at a position; it multiplies a broadcast input element per tap
 * into CONV_WT named accumulators. */
#ifndef CONV_WT
#define CONV_WT 8           /* taps per pass (named accumulators below) */
#define CONV_WPOS 2048      /* output positions per task, at least (whole items) */
#endif

/* Task t = (group, filter block, run of `ipt` items of the chunk): transposes
 * its slice of dy into its part of j->wt (position-major rows of DK_VL
 * filters, zeros past the group's last filter, ~128 KB: it stays in cache),
 * then passes over it once per block of CONV_WT taps; the sums go to the
 * task's row of partials j->y (ntaps x DK_VL), reduced into dw afterwards. */
static DK_TARGET void DK(wgrad_range)(void *ctx, int64_t b, int64_t e) {
    const CK(direct_job) *j = ctx;
    const conv_geom *g = j->g;
    const int64_t ID = g->in[0], IH = g->in[1], IW = g->in[2], ISP = ID * IH * IW;
    const int64_t OD = g->out[0], OH = g->out[1], OW = g->out[2], OSP = OD * OH * OW;
    const int64_t Cg = g->C / g->G, Fg = g->F / g->G, ntaps = Cg * g->k[0] * g->k[1] * g->k[2];
    const int64_t ipt = j->items_per_task, runs = (g->N + ipt - 1) / ipt, s2 = g->s[2];
    int64_t toff[CONV_DIRECT_MAX_K + CONV_WT];
    CK(direct_tap_offsets)(g, toff);
    for (int64_t k = ntaps; k < ntaps + CONV_WT; k++) toff[k] = toff[0]; /* past the last tap: computed, not kept */
    for (int64_t t = b; t < e; t++) {
        const int64_t gi = t / (j->fblocks * runs), fb = t / runs % j->fblocks, n0 = t % runs * ipt;
        const int64_t n1 = n0 + ipt < g->N ? n0 + ipt : g->N, f0 = gi * Fg + fb * DK_VL;
        const int64_t nf = Fg - fb * DK_VL < DK_VL ? Fg - fb * DK_VL : DK_VL;
        T *dyt = j->wt + t * ipt * OSP * DK_VL;
        for (int64_t n = n0; n < n1; n++)
            for (int64_t l = 0; l < DK_VL; l++) {
                const T *src = j->dy + (n * g->F + f0 + l) * OSP;
                T *dst = dyt + (n - n0) * OSP * DK_VL + l;
                if (l < nf)
                    for (int64_t q = 0; q < OSP; q++) dst[q * DK_VL] = src[q];
                else
                    for (int64_t q = 0; q < OSP; q++) dst[q * DK_VL] = 0;
            }
        T *part = j->y + t * ntaps * DK_VL;
        for (int64_t t0 = 0; t0 < ntaps; t0 += CONV_WT) {
            DK(vec) s0 = {0}, s1 = {0}, s2v = {0}, s3 = {0}, s4 = {0}, s5 = {0}, s6 = {0}, s7 = {0};
            for (int64_t n = n0; n < n1; n++) {
                const T *xn = j->x + (n * g->C + gi * Cg) * ISP;
                const T *x0 = xn + toff[t0], *x1 = xn + toff[t0 + 1], *x2 = xn + toff[t0 + 2];
                const T *x3 = xn + toff[t0 + 3], *x4 = xn + toff[t0 + 4], *x5 = xn + toff[t0 + 5];
                const T *x6 = xn + toff[t0 + 6], *x7 = xn + toff[t0 + 7];
                const T *d = dyt + (n - n0) * OSP * DK_VL;
                /* per item sums, then into the totals: float32 sums run over one item */
                DK(vec) a0 = {0}, a1 = {0}, a2 = {0}, a3 = {0}, a4 = {0}, a5 = {0}, a6 = {0}, a7 = {0};
                for (int64_t od = 0; od < OD; od++)
                    for (int64_t oh = 0; oh < OH; oh++) {
                        const int64_t rowq = (od * g->s[0] * IH + oh * g->s[1]) * IW;
                        const T *drow = d + (od * OH + oh) * OW * DK_VL;
                        for (int64_t ow = 0; ow < OW; ow++) {
                            DK(vec) dv;
                            memcpy(&dv, drow + ow * DK_VL, sizeof dv);
                            const int64_t q = rowq + ow * s2;
                            a0 += dv * x0[q], a1 += dv * x1[q], a2 += dv * x2[q], a3 += dv * x3[q];
                            a4 += dv * x4[q], a5 += dv * x5[q], a6 += dv * x6[q], a7 += dv * x7[q];
                        }
                    }
                s0 += a0, s1 += a1, s2v += a2, s3 += a3, s4 += a4, s5 += a5, s6 += a6, s7 += a7;
            }
            const DK(vec) acc[CONV_WT] = {s0, s1, s2v, s3, s4, s5, s6, s7};
            for (int64_t k = 0; k < CONV_WT && t0 + k < ntaps; k++) memcpy(part + (t0 + k) * DK_VL, &acc[k], sizeof acc[k]);
        }
    }
}

/* dw[f][tap] += the partials of every item run; task = (group, filter block). */
static void DK(wgrad_reduce_range)(void *ctx, int64_t b, int64_t e) {
    const CK(direct_job) *j = ctx;
    const conv_geom *g = j->g;
    const int64_t Fg = g->F / g->G, ntaps = g->C / g->G * g->k[0] * g->k[1] * g->k[2];
    const int64_t runs = (g->N + j->items_per_task - 1) / j->items_per_task;
    for (int64_t t = b; t < e; t++) {
        const int64_t gi = t / j->fblocks, fb = t % j->fblocks, f0 = gi * Fg + fb * DK_VL;
        const int64_t nf = Fg - fb * DK_VL < DK_VL ? Fg - fb * DK_VL : DK_VL;
        for (int64_t r = 0; r < runs; r++) {
            const T *part = j->y + (t * runs + r) * ntaps * DK_VL;
            for (int64_t tap = 0; tap < ntaps; tap++)
                for (int64_t l = 0; l < nf; l++) j->dw[(f0 + l) * ntaps + tap] += part[tap * DK_VL + l];
        }
    }
}
