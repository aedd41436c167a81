/* conv_direct_fvec.h — the direct forward convolution vectorized over
 * filters, for rows too narrow for the row tiles of conv_direct_rows.h
 * (LeNet's second layer: 8 outputs per row), width strides and many
 * filters. Included by
 * conv_direct_width.h once per dtype and vector width (T, CK, DK, DK(vec),
 * DK_VL, DK_TARGET defined there).
 *
 * One tile is CONV_FR output positions of one row for DK_VL filters: a
 * vector of the filters' weights for a tap times each position's input
 * element (a broadcast from memory) accumulates into CONV_FR named vectors.
 * The weights are laid out tap-major per block of DK_VL filters first
 * (zeros past the group's last filter), so each tap is one aligned load. */
#ifndef CONV_FR
#define CONV_FR 8 /* output positions per tile (named accumulators below) */
#endif

/* wt[((gi * fvblocks + fb) * ntaps + tap) * VL + l] = w[gi*Fg + fb*VL + l][tap] (0 past Fg) */
static void DK(fvec_weights_range)(void *ctx, int64_t b, int64_t e) {
    const CK(direct_job) *j = ctx;
    const conv_geom *g = j->g;
    const int64_t Fg = g->F / g->G, ntaps = g->C / g->G * g->k[0] * g->k[1] * g->k[2];
    for (int64_t blk = b; blk < e; blk++) { /* blk = gi * fvblocks + fb */
        const int64_t gi = blk / j->fblocks, f0 = blk % j->fblocks * DK_VL;
        T *dst = j->wt + blk * ntaps * DK_VL;
        for (int64_t tap = 0; tap < ntaps; tap++)
            for (int64_t l = 0; l < DK_VL; l++)
                dst[tap * DK_VL + l] = f0 + l < Fg ? j->w[(gi * Fg + f0 + l) * ntaps + tap] : (T)0;
    }
}

/* Task t = (item, group, block of DK_VL filters); y is written. */
static DK_TARGET void DK(fvec_fwd_range)(void *ctx, int64_t b, int64_t e) {
    const CK(direct_job) *j = ctx;
    const conv_geom *g = j->g;
    const int64_t ID = g->in[0], IH = g->in[1], IW = g->in[2], ISP = ID * IH * IW;
    const int64_t OD = g->out[0], OH = g->out[1], OW = g->out[2], OSP = OD * OH * OW;
    const int64_t Cg = g->C / g->G, Fg = g->F / g->G, ntaps = Cg * g->k[0] * g->k[1] * g->k[2];
    const int64_t s2 = g->s[2];
    int64_t toff[CONV_DIRECT_MAX_K];
    CK(direct_tap_offsets)(g, toff);
    /* positions of a tile: o + r for r < CONV_FR, clamped to the row (a row
     * narrower than a tile computes its last position more than once) */
    int64_t pos[CONV_FR];
    for (int64_t t = b; t < e; t++) {
        const int64_t n = t / (g->G * j->fblocks), gi = t / j->fblocks % g->G, fb = t % j->fblocks;
        const int64_t f0 = gi * Fg + fb * DK_VL, nf = Fg - fb * DK_VL < DK_VL ? Fg - fb * DK_VL : DK_VL;
        const T *wt = j->wt + (gi * j->fblocks + fb) * ntaps * DK_VL;
        DK(vec) bias = {0};
        for (int64_t l = 0; l < nf && j->bias; l++) bias[l] = j->bias[f0 + l];
        const T *xn = j->x + (n * g->C + gi * Cg) * ISP;
        T *yn = j->y + (n * g->F + f0) * OSP;
        for (int64_t od = 0; od < OD; od++)
            for (int64_t oh = 0; oh < OH; oh++) {
                const T *row = xn + (od * g->s[0] * IH + oh * g->s[1]) * IW;
                for (int64_t ow0 = 0; ow0 < OW; ow0 += CONV_FR) {
                    /* the last tile of a row ends at its end, overlapping the one before */
                    const int64_t o = ow0 + CONV_FR <= OW || OW < CONV_FR ? ow0 : OW - CONV_FR;
                    for (int r = 0; r < CONV_FR; r++) pos[r] = (o + r < OW ? o + r : OW - 1) * s2;
                    DK(vec) a0 = bias, a1 = bias, a2 = bias, a3 = bias, a4 = bias, a5 = bias, a6 = bias, a7 = bias;
                    const T *x0 = row + pos[0], *x1 = row + pos[1], *x2 = row + pos[2], *x3 = row + pos[3];
                    const T *x4 = row + pos[4], *x5 = row + pos[5], *x6 = row + pos[6], *x7 = row + pos[7];
                    for (int64_t tp = 0; tp < ntaps; tp++) {
                        DK(vec) wv;
                        memcpy(&wv, wt + tp * DK_VL, sizeof wv);
                        const int64_t q = toff[tp];
                        a0 += wv * x0[q], a1 += wv * x1[q], a2 += wv * x2[q], a3 += wv * x3[q];
                        a4 += wv * x4[q], a5 += wv * x5[q], a6 += wv * x6[q], a7 += wv * x7[q];
                    }
                    const DK(vec) acc[CONV_FR] = {a0, a1, a2, a3, a4, a5, a6, a7};
                    T *yrow = yn + (od * OH + oh) * OW;
                    for (int r = 0; r < CONV_FR && o + r < OW; r++)
                        for (int64_t l = 0; l < nf; l++) yrow[l * OSP + o + r] = acc[r][l];
                }
            }
    }
}
