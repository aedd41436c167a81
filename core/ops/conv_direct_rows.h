/* conv_direct_rows.h — the row-tile direct convolution kernel, included by
 * conv_direct_width.h once per dtype and vector width (T, CK, DK, DK(vec),
 * DK_VL, DK_TARGET defined there). Two tiles of DK_VL outputs along a row
 * for CONV_DF filters stay in registers while the taps stream over the
 * input rows; each input load feeds CONV_DF FMAs with broadcast weights. */

/* a_f += input tile under row[0] * weight of filter f, b_f += tile under
 * row[1] * same, over all taps. Named accumulators: GCC keeps them in
 * registers (an array of them it spills). */
#define CONV_TAP_LOOP()                                                                                           \
    for (int64_t tp = 0; tp < ntaps; tp++) {                                                                      \
        const T *wp = wl + tp * CONV_DF;                                                                          \
        DK(vec) u, v;                                                                                             \
        memcpy(&u, row[0] + toff[tp], sizeof u);                                                                  \
        memcpy(&v, row[1] + toff[tp], sizeof v);                                                                  \
        a0 += u * wp[0], a1 += u * wp[1], a2 += u * wp[2], a3 += u * wp[3];                                       \
        b0 += v * wp[0], b1 += v * wp[1], b2 += v * wp[2], b3 += v * wp[3];                                       \
    }

/* Forward: task t = (item, group, block of CONV_DF filters); y is written.
 * Output tiles are computed two at a time: 8 independent accumulators hide
 * the FMA latency. */
static DK_TARGET void DK(direct_fwd_range)(void *ctx, int64_t b, int64_t e) {
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
        T wl[CONV_DIRECT_MAX_K * CONV_DF], bias[CONV_DF];
        for (int64_t tp = 0; tp < ntaps; tp++)
            for (int fb = 0; fb < CONV_DF; fb++) wl[tp * CONV_DF + fb] = fb < nf ? j->w[(f0 + fb) * ntaps + tp] : (T)0;
        for (int fb = 0; fb < CONV_DF; fb++) bias[fb] = fb < nf && j->bias ? j->bias[f0 + fb] : (T)0;
        const T *xn = j->x + (n * g->C + gi * Cg) * ISP;
        T *yn = j->y + (n * g->F + f0) * OD * OH * OW;
        /* units: tiles in row order, tpr per output row, the last one of a row
         * ending at the row's end (overlapping the one before); two at a time */
        const int64_t tpr = (OW + DK_VL - 1) / DK_VL, units = OD * OH * tpr;
        for (int64_t u0 = 0; u0 < units; u0 += 2) {
            const T *row[2];
            int64_t yoff[2];
            for (int tl = 0; tl < 2; tl++) {
                const int64_t uk = u0 + tl < units ? u0 + tl : u0; /* an odd last unit pairs with itself */
                const int64_t r = uk / tpr, od = r / OH, oh = r % OH;
                const int64_t o = uk % tpr * DK_VL + DK_VL <= OW ? uk % tpr * DK_VL : OW - DK_VL;
                row[tl] = xn + (od * g->s[0] * IH + oh * g->s[1]) * IW + o;
                yoff[tl] = r * OW + o;
            }
            DK(vec) a0 = (DK(vec)){0} + bias[0], a1 = (DK(vec)){0} + bias[1];
            DK(vec) a2 = (DK(vec)){0} + bias[2], a3 = (DK(vec)){0} + bias[3];
            DK(vec) b0 = a0, b1 = a1, b2 = a2, b3 = a3;
            CONV_TAP_LOOP()
            const DK(vec) out[2][CONV_DF] = {{a0, a1, a2, a3}, {b0, b1, b2, b3}};
            for (int tl = 0; tl < 2; tl++)
                for (int fb = 0; fb < nf; fb++)
                    memcpy(yn + fb * OD * OH * OW + yoff[tl], &out[tl][fb], sizeof out[tl][fb]);
        }
    }
}
#undef CONV_TAP_LOOP
