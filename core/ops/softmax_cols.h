/* softmax_cols.h — float32 softmax / log_softmax / softmin over an axis that
 * is not the last (inner > 1: channels of NCHW, axis 0 of a matrix), forward
 * and backward. Included once, by nn_basic.c, after sm_args and the SM_*
 * kinds are defined.
 *
 * The generic kernel walked each (outer, column) line with a stride of
 * `inner` elements and libm's double exp: a cache miss per element, and
 * softmax over axis 0 of a 1024x1024 matrix took 34x the last-axis time.
 * Here a work unit is a block of up to SMC_COLS adjacent columns of one
 * outer index; every pass reads whole contiguous rows of the block, with the
 * per-column maxima and sums (double) in small arrays, so the loops run
 * along memory and vectorize. */
#ifndef MXCORE_CORE_OPS_SOFTMAX_COLS_H
#define MXCORE_CORE_OPS_SOFTMAX_COLS_H

#define SMC_COLS 256

/* unit u covers outer index u / blocks, columns [j0, j0 + w) */
static inline void smc_unit(const sm_args *p, int64_t u, int64_t *base, int64_t *w) {
    const int64_t inner = p->gm.inner, blocks = (inner + SMC_COLS - 1) / SMC_COLS;
    const int64_t o = u / blocks, j0 = (u % blocks) * SMC_COLS;
    *w = inner - j0 < SMC_COLS ? inner - j0 : SMC_COLS;
    *base = o * p->gm.A * inner + j0;
}

static MXI_CPU_CLONES void sm_fwd_f32_cols(void *ctx, int64_t b, int64_t e) {
    const sm_args *p = ctx;
    const int64_t A = p->gm.A, inner = p->gm.inner;
    const float s = (float)((p->kind == SM_MIN ? -1.0 : 1.0) / p->temp);
    float mx[SMC_COLS], ls[SMC_COLS];
    double sum[SMC_COLS];
    for (int64_t u = b; u < e; u++) {
        int64_t base, w;
        smc_unit(p, u, &base, &w);
        const float *X = (const float *)p->x + base;
        float *Y = (float *)p->o + base;
        for (int64_t j = 0; j < w; j++) { mx[j] = -INFINITY; sum[j] = 0; }
        for (int64_t a = 0; a < A; a++) {
            const float *x = X + a * inner;
            /* a select, not fmaxf: NaNs are skipped, as in the last-axis kernel */
            for (int64_t j = 0; j < w; j++) mx[j] = x[j] * s > mx[j] ? x[j] * s : mx[j];
        }
        if (p->kind == SM_LOG) {
            for (int64_t a = 0; a < A; a++) {
                const float *x = X + a * inner;
                for (int64_t j = 0; j < w; j++) sum[j] += mxi_expf(x[j] * s - mx[j]);
            }
            for (int64_t j = 0; j < w; j++) ls[j] = (float)log(sum[j]) + mx[j];
            for (int64_t a = 0; a < A; a++) {
                const float *x = X + a * inner;
                float *y = Y + a * inner;
                for (int64_t j = 0; j < w; j++) y[j] = x[j] * s - ls[j];
            }
        } else {
            for (int64_t a = 0; a < A; a++) {
                const float *x = X + a * inner;
                float *y = Y + a * inner;
                for (int64_t j = 0; j < w; j++) {
                    y[j] = mxi_expf(x[j] * s - mx[j]);
                    sum[j] += y[j];
                }
            }
            for (int64_t j = 0; j < w; j++) ls[j] = (float)(1.0 / sum[j]);
            for (int64_t a = 0; a < A; a++) {
                float *y = Y + a * inner;
                for (int64_t j = 0; j < w; j++) y[j] *= ls[j];
            }
        }
    }
}

/* softmax: dx = (g - sum(g*y)) * y * s; log_softmax: dx = (g - exp(y) sum(g)) * s */
static MXI_CPU_CLONES void sm_bwd_f32_cols(void *ctx, int64_t b, int64_t e) {
    const sm_args *p = ctx;
    const int64_t A = p->gm.A, inner = p->gm.inner;
    const float s = (float)((p->kind == SM_MIN ? -1.0 : 1.0) / p->temp);
    double acc[SMC_COLS];
    float accf[SMC_COLS];
    for (int64_t u = b; u < e; u++) {
        int64_t base, w;
        smc_unit(p, u, &base, &w);
        const float *G = (const float *)p->x + base, *Yv = (const float *)p->y + base;
        float *D = (float *)p->o + base;
        for (int64_t j = 0; j < w; j++) acc[j] = 0;
        for (int64_t a = 0; a < A; a++) {
            const float *g = G + a * inner, *y = Yv + a * inner;
            if (p->kind == SM_LOG)
                for (int64_t j = 0; j < w; j++) acc[j] += g[j];
            else
                for (int64_t j = 0; j < w; j++) acc[j] += (double)g[j] * y[j];
        }
        for (int64_t j = 0; j < w; j++) accf[j] = (float)acc[j];
        for (int64_t a = 0; a < A; a++) {
            const float *g = G + a * inner, *y = Yv + a * inner;
            float *d = D + a * inner;
            if (p->kind == SM_LOG)
                for (int64_t j = 0; j < w; j++) d[j] = (g[j] - mxi_expf(y[j]) * accf[j]) * s;
            else
                for (int64_t j = 0; j < w; j++) d[j] = (g[j] - accf[j]) * y[j] * s;
        }
    }
}

/* work units of the column kernels: blocks of columns times outer indices */
static inline int64_t smc_units(const sm_geom *gm) { return gm->outer * ((gm->inner + SMC_COLS - 1) / SMC_COLS); }

#endif
