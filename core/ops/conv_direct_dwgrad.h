/* conv_direct_dwgrad.h — the weight gradient of depthwise convolutions (one
 * input channel per group: MobileNet's 3x3 layers), without im2col. Included
 * by conv_direct_width.h once per dtype and vector width (T, CK, DK, DK(vec),
 * DK_VL, DK_TARGET defined there).
 *
 * Why: im2col + GEMM there is one product per group with M = 1 filter row:
 * a (8, 32, 112, 112) layer's weight gradient took ~18 ms for 29M
 * multiply-adds (the whole backward 23.1 ms; 4.8 ms with this kernel). Here a task is one filter; tiles of DK_VL outputs along a
 * row hold its output gradient and feed CONV_DWT tap accumulators, each with
 * the input tile under its tap. Rows must be a tile wide with unit width
 * stride; the last tile of a row ends at its end and masks the lanes the tile
 * before counted. Per item sums, then running totals. */
#ifndef CONV_DWT
#define CONV_DWT 9 /* taps per pass: a 3x3 kernel in one (named accumulators below) */
#endif

static DK_TARGET void DK(dwgrad_range)(void *ctx, int64_t b, int64_t e) {
    const CK(direct_job) *j = ctx;
    const conv_geom *g = j->g;
    const int64_t ID = g->in[0], IH = g->in[1], IW = g->in[2], ISP = ID * IH * IW;
    const int64_t OD = g->out[0], OH = g->out[1], OW = g->out[2], OSP = OD * OH * OW;
    const int64_t Fg = g->F / g->G, ntaps = g->k[0] * g->k[1] * g->k[2];
    int64_t toff[CONV_DIRECT_MAX_K + CONV_DWT];
    CK(direct_tap_offsets)(g, toff);
    for (int64_t k = ntaps; k < ntaps + CONV_DWT; k++) toff[k] = toff[0]; /* past the last tap: not kept */
    DK(vec) tail; /* 0 on the lanes of the last tile that the tile before covered */
    for (int64_t q = 0; q < DK_VL; q++) tail[q] = q < (DK_VL - OW % DK_VL) % DK_VL ? (T)0 : (T)1;
    for (int64_t f = b; f < e; f++) {
        const int64_t gi = f / Fg;
        for (int64_t t0 = 0; t0 < ntaps; t0 += CONV_DWT) {
            DK(vec) s0 = {0}, s1 = {0}, s2 = {0}, s3 = {0}, s4 = {0}, s5 = {0}, s6 = {0}, s7 = {0}, s8 = {0};
            for (int64_t n = 0; n < g->N; n++) {
                const T *xn = j->x + (n * g->C + gi) * ISP, *dyf = j->dy + (n * g->F + f) * OSP;
                const T *x0 = xn + toff[t0], *x1 = xn + toff[t0 + 1], *x2 = xn + toff[t0 + 2];
                const T *x3 = xn + toff[t0 + 3], *x4 = xn + toff[t0 + 4], *x5 = xn + toff[t0 + 5];
                const T *x6 = xn + toff[t0 + 6], *x7 = xn + toff[t0 + 7], *x8 = xn + toff[t0 + 8];
                DK(vec) a0 = {0}, a1 = {0}, a2 = {0}, a3 = {0}, a4 = {0}, a5 = {0}, a6 = {0}, a7 = {0}, a8 = {0};
                for (int64_t od = 0; od < OD; od++)
                    for (int64_t oh = 0; oh < OH; oh++) {
                        const int64_t rowq = (od * g->s[0] * IH + oh * g->s[1]) * IW;
                        const T *drow = dyf + (od * OH + oh) * OW;
                        for (int64_t ow0 = 0; ow0 < OW; ow0 += DK_VL) {
                            const int64_t o = ow0 + DK_VL <= OW ? ow0 : OW - DK_VL, q = rowq + o;
                            DK(vec) d, u;
                            memcpy(&d, drow + o, sizeof d);
                            if (o < ow0) d *= tail;
#define CONV_DW_FMA(k) memcpy(&u, x##k + q, sizeof u), a##k += d * u
                            CONV_DW_FMA(0), CONV_DW_FMA(1), CONV_DW_FMA(2), CONV_DW_FMA(3), CONV_DW_FMA(4);
                            CONV_DW_FMA(5), CONV_DW_FMA(6), CONV_DW_FMA(7), CONV_DW_FMA(8);
#undef CONV_DW_FMA
                        }
                    }
                s0 += a0, s1 += a1, s2 += a2, s3 += a3, s4 += a4, s5 += a5, s6 += a6, s7 += a7, s8 += a8;
            }
            const DK(vec) acc[CONV_DWT] = {s0, s1, s2, s3, s4, s5, s6, s7, s8};
            for (int64_t k = 0; k < CONV_DWT && t0 + k < ntaps; k++) {
                T sum = 0;
                for (int64_t q = 0; q < DK_VL; q++) sum += acc[k][q];
                j->dw[f * ntaps + t0 + k] += sum;
            }
        }
    }
}
