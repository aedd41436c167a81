/* rnn_kernels.h — dtype-generic fused RNN forward and BPTT, included by rnn.c
 * once per dtype with T, SFX, GEMM, EXPF and TANHF defined. */
#define RK_CAT2(a, b) a##_##b
#define RK_CAT(a, b) RK_CAT2(a, b)
#define RK(name) RK_CAT(name, SFX)

static inline T RK(sigm)(T x) { return (T)1 / ((T)1 + EXPF(-x)); }

/* Working buffers of one forward pass. With `save` every layer/direction
 * keeps its own slice (needed by BPTT); otherwise slices are shared. */
typedef struct {
    T *gates;  /* per (l,d): (T, N, ng*H) activated gates */
    T *cells;  /* LSTM: per (l,d): (T, N, H) cell states */
    T *hn;     /* GRU: per (l,d): (T, N, H) Wh_n h + bh_n */
    T *ys;     /* per layer: (T, N, D*H) outputs before dropout */
    T *xd;     /* per layer >= 1: dropped-out inputs (T, N, D*H) */
    T *hw;     /* (N, ng*H) scratch */
} RK(rnn_ws);

static void RK(rnn_ws_free)(RK(rnn_ws) *w) {
    free(w->gates);
    free(w->cells);
    free(w->hn);
    free(w->ys);
    free(w->xd);
    free(w->hw);
}

static int RK(rnn_ws_alloc)(const rnn_cfg *c, RK(rnn_ws) *w, int save) {
    memset(w, 0, sizeof *w);
    int64_t TN = c->S * c->N, G = c->ng * c->H, K = save ? c->L * c->D : 1, Ly = save ? c->L : 2;
    size_t sz = sizeof(T);
    w->gates = malloc(sz * (size_t)(K * TN * G + 1));
    w->cells = c->mode == RNN_LSTM ? malloc(sz * (size_t)(K * TN * c->H + 1)) : NULL;
    w->hn = c->mode == RNN_GRU ? malloc(sz * (size_t)(K * TN * c->H + 1)) : NULL;
    w->ys = malloc(sz * (size_t)(Ly * TN * c->D * c->H + 1));
    w->xd = c->dropout && c->L > 1 ? malloc(sz * (size_t)((save ? c->L : 1) * TN * c->D * c->H + 1)) : NULL;
    w->hw = malloc(sz * (size_t)(c->N * G * 2 + c->N * c->H * 2 + 1));
    if (!w->gates || !w->ys || !w->hw || (c->mode == RNN_LSTM && !w->cells) || (c->mode == RNN_GRU && !w->hn) ||
        (c->dropout && c->L > 1 && !w->xd)) {
        RK(rnn_ws_free)(w);
        return mxi_error(MX_ERR_MEMORY, "RNN: out of memory for the workspace");
    }
    return MX_OK;
}

/* Pointers of one layer's input (after dropout) */
static const T *RK(layer_input)(const rnn_cfg *c, const RK(rnn_ws) *w, const T *x, int64_t l, int save) {
    if (l == 0) return x;
    int64_t TND = c->S * c->N * c->D * c->H;
    if (c->dropout) return w->xd + (save ? l : 0) * TND;
    return w->ys + (save ? l - 1 : (l - 1) % 2) * TND;
}

static T *RK(layer_out)(const rnn_cfg *c, const RK(rnn_ws) *w, int64_t l, int save) {
    return w->ys + (save ? l : l % 2) * c->S * c->N * c->D * c->H;
}

/* Forward over all layers. hy/cy may be NULL. */
static int RK(rnn_forward)(const rnn_cfg *c, const T *x, const T *params, const T *h0, const T *c0, T *y, T *hy,
                           T *cy, RK(rnn_ws) *w, int save) {
    const int64_t N = c->N, H = c->H, D = c->D, G = c->ng * H, TN = c->S * c->N, DH = D * H;
    for (int64_t l = 0; l < c->L; l++) {
        const int64_t I = l == 0 ? c->I : DH;
        if (l > 0 && c->dropout) {
            const T *src = RK(layer_out)(c, w, l - 1, save);
            T *dst = w->xd + (save ? l : 0) * TN * DH;
            const T scale = (T)(1.0 / (1.0 - c->p));
            for (int64_t i = 0; i < TN * DH; i++) dst[i] = rnn_keep(c, (l - 1) * TN * DH + i) ? src[i] * scale : 0;
        }
        const T *xin = RK(layer_input)(c, w, x, l, save);
        T *yl = RK(layer_out)(c, w, l, save);
        for (int64_t d = 0; d < D; d++) {
            const int64_t k = l * D + d, ks = save ? k : 0;
            const T *Wx = params + rnn_wx_off(c, l, d), *Wh = params + rnn_wh_off(c, l, d);
            const T *bx = params + rnn_b_off(c, l, d), *bh = bx + G;
            T *gates = w->gates + ks * TN * G;
            T *cells = w->cells ? w->cells + ks * TN * H : NULL;
            T *hn = w->hn ? w->hn + ks * TN * H : NULL;
            GEMM(0, 1, TN, G, I, 1, xin, I, Wx, I, 0, gates, G);
            for (int64_t r = 0; r < TN; r++)
                for (int64_t j = 0; j < G; j++) gates[r * G + j] += bx[j];
            const T *hprev = h0 + k * N * H, *cprev = c0 ? c0 + k * N * H : NULL;
            int64_t ldh = H;
            for (int64_t s = 0; s < c->S; s++) {
                const int64_t t = d ? c->S - 1 - s : s;
                T *hw = w->hw;
                GEMM(0, 1, N, G, H, 1, hprev, ldh, Wh, H, 0, hw, G);
                T *hout = yl + t * N * DH + d * H;
                for (int64_t n = 0; n < N; n++) {
                    T *gt = gates + (t * N + n) * G;
                    const T *hr = hw + n * G;
                    T *ho = hout + n * DH;
                    const T *hp = hprev + n * ldh;
                    if (c->mode == RNN_LSTM) {
                        T *ct = cells + (t * N + n) * H;
                        const T *cp = cprev + n * H;
                        for (int64_t j = 0; j < H; j++) {
                            T gi = RK(sigm)(gt[j] + hr[j] + bh[j]);
                            T gf = RK(sigm)(gt[H + j] + hr[H + j] + bh[H + j]);
                            T gg = TANHF(gt[2 * H + j] + hr[2 * H + j] + bh[2 * H + j]);
                            T go = RK(sigm)(gt[3 * H + j] + hr[3 * H + j] + bh[3 * H + j]);
                            T cv = gf * cp[j] + gi * gg;
                            if (c->clip) cv = cv < (T)c->clip_min ? (T)c->clip_min : cv > (T)c->clip_max ? (T)c->clip_max : cv;
                            ct[j] = cv;
                            ho[j] = go * TANHF(cv);
                            gt[j] = gi, gt[H + j] = gf, gt[2 * H + j] = gg, gt[3 * H + j] = go;
                        }
                    } else if (c->mode == RNN_GRU) {
                        T *hnt = hn + (t * N + n) * H;
                        for (int64_t j = 0; j < H; j++) {
                            T r = RK(sigm)(gt[j] + hr[j] + bh[j]);
                            T z = RK(sigm)(gt[H + j] + hr[H + j] + bh[H + j]);
                            T hnv = hr[2 * H + j] + bh[2 * H + j];
                            T nn = TANHF(gt[2 * H + j] + r * hnv);
                            ho[j] = (1 - z) * nn + z * hp[j];
                            hnt[j] = hnv;
                            gt[j] = r, gt[H + j] = z, gt[2 * H + j] = nn;
                        }
                    } else {
                        for (int64_t j = 0; j < H; j++) {
                            T a = gt[j] + hr[j] + bh[j];
                            a = c->mode == RNN_RELU ? (a > 0 ? a : 0) : TANHF(a);
                            ho[j] = a;
                            gt[j] = a;
                        }
                    }
                }
                hprev = hout;
                ldh = DH;
                if (cells) cprev = cells + t * N * H;
            }
            if (hy)
                for (int64_t n = 0; n < N; n++) memcpy(hy + (k * N + n) * H, hprev + n * ldh, sizeof(T) * (size_t)H);
            if (cy && cells) memcpy(cy + k * N * H, cprev, sizeof(T) * (size_t)(N * H));
        }
    }
    if (y) memcpy(y, RK(layer_out)(c, w, c->L - 1, save), sizeof(T) * (size_t)(TN * DH));
    return MX_OK;
}

/* BPTT after rnn_forward(save=1). dy (T,N,DH); dhy/dcy may be NULL.
 * Outputs dx, dparams, dh0, dc0 are zeroed on entry and accumulated. */
static int RK(rnn_backward)(const rnn_cfg *c, const T *x, const T *params, const T *h0, const T *c0, const T *dy,
                            const T *dhy, const T *dcy, T *dx, T *dparams, T *dh0, T *dc0, RK(rnn_ws) *w) {
    const int64_t N = c->N, H = c->H, D = c->D, G = c->ng * H, TN = c->S * c->N, DH = D * H;
    T *dyl = malloc(sizeof(T) * (size_t)(TN * DH + 1));      /* grad of this layer's output */
    T *dxin = malloc(sizeof(T) * (size_t)(TN * (c->I > DH ? c->I : DH) + 1));
    T *dxw = malloc(sizeof(T) * (size_t)(TN * G + 1));       /* grads of pre-activations (x part) */
    T *dhw = malloc(sizeof(T) * (size_t)(N * G + 1));        /* grads of pre-activations (h part) */
    T *dh = malloc(sizeof(T) * (size_t)(N * H * 3 + 1));     /* dh_next, dc_next, scratch */
    if (!dyl || !dxin || !dxw || !dhw || !dh) {
        free(dyl), free(dxin), free(dxw), free(dhw), free(dh);
        return mxi_error(MX_ERR_MEMORY, "RNN: out of memory for the backward workspace");
    }
    memcpy(dyl, dy, sizeof(T) * (size_t)(TN * DH));
    for (int64_t l = c->L - 1; l >= 0; l--) {
        const int64_t I = l == 0 ? c->I : DH;
        const T *xin = RK(layer_input)(c, w, x, l, 1);
        const T *yl = RK(layer_out)(c, w, l, 1);
        T *dxl = l == 0 ? dx : dxin;
        if (l > 0) memset(dxin, 0, sizeof(T) * (size_t)(TN * I));
        for (int64_t d = 0; d < D; d++) {
            const int64_t k = l * D + d;
            const T *Wx = params + rnn_wx_off(c, l, d), *Wh = params + rnn_wh_off(c, l, d);
            T *dWx = dparams + rnn_wx_off(c, l, d), *dWh = dparams + rnn_wh_off(c, l, d);
            T *dbx = dparams + rnn_b_off(c, l, d), *dbh = dbx + G;
            const T *gates = w->gates + k * TN * G;
            const T *cells = w->cells ? w->cells + k * TN * H : NULL;
            const T *hn = w->hn ? w->hn + k * TN * H : NULL;
            T *dhn = dh, *dcn = dh + N * H;
            if (dhy && c->state_outputs) memcpy(dhn, dhy + k * N * H, sizeof(T) * (size_t)(N * H));
            else memset(dhn, 0, sizeof(T) * (size_t)(N * H));
            if (c->mode == RNN_LSTM && dcy && c->state_outputs) memcpy(dcn, dcy + k * N * H, sizeof(T) * (size_t)(N * H));
            else memset(dcn, 0, sizeof(T) * (size_t)(N * H));
            for (int64_t s = c->S - 1; s >= 0; s--) {
                const int64_t t = d ? c->S - 1 - s : s;
                const int64_t tp = d ? t + 1 : t - 1; /* previous step in processing order */
                const T *hprev = s == 0 ? h0 + k * N * H : yl + tp * N * DH + d * H;
                const int64_t ldh = s == 0 ? H : DH;
                const T *cprev = c->mode == RNN_LSTM ? (s == 0 ? c0 + k * N * H : cells + tp * N * H) : NULL;
                for (int64_t n = 0; n < N; n++) {
                    const T *gt = gates + (t * N + n) * G;
                    T *dg = dxw + (t * N + n) * G, *dr = dhw + n * G;
                    T *dhv = dhn + n * H;
                    const T *dyv = dyl + (t * N + n) * DH + d * H;
                    const T *hp = hprev + n * ldh;
                    if (c->mode == RNN_LSTM) {
                        const T *ct = cells + (t * N + n) * H, *cp = cprev + n * H;
                        T *dcv = dcn + n * H;
                        for (int64_t j = 0; j < H; j++) {
                            T gi = gt[j], gf = gt[H + j], gg = gt[2 * H + j], go = gt[3 * H + j];
                            T dhj = dyv[j] + dhv[j];
                            T tc = TANHF(ct[j]);
                            T dcj = dcv[j] + dhj * go * (1 - tc * tc);
                            T dai = dcj * gg * gi * (1 - gi), daf = dcj * cp[j] * gf * (1 - gf);
                            T dag = dcj * gi * (1 - gg * gg), dao = dhj * tc * go * (1 - go);
                            dg[j] = dai, dg[H + j] = daf, dg[2 * H + j] = dag, dg[3 * H + j] = dao;
                            dr[j] = dai, dr[H + j] = daf, dr[2 * H + j] = dag, dr[3 * H + j] = dao;
                            dcv[j] = dcj * gf;
                        }
                    } else if (c->mode == RNN_GRU) {
                        const T *hnt = hn + (t * N + n) * H;
                        for (int64_t j = 0; j < H; j++) {
                            T r = gt[j], z = gt[H + j], nn = gt[2 * H + j];
                            T dhj = dyv[j] + dhv[j];
                            T dan = dhj * (1 - z) * (1 - nn * nn);
                            T daz = dhj * (hp[j] - nn) * z * (1 - z);
                            T dar = dan * hnt[j] * r * (1 - r);
                            dg[j] = dar, dg[H + j] = daz, dg[2 * H + j] = dan;
                            dr[j] = dar, dr[H + j] = daz, dr[2 * H + j] = dan * r;
                            dhv[j] = dhj * z; /* direct path; GEMM part added below */
                        }
                    } else {
                        for (int64_t j = 0; j < H; j++) {
                            T a = gt[j], dhj = dyv[j] + dhv[j];
                            T da = c->mode == RNN_RELU ? (a > 0 ? dhj : 0) : dhj * (1 - a * a);
                            dg[j] = da, dr[j] = da;
                        }
                    }
                }
                /* dWh += dHWᵀ h_prev; dbh += Σ dHW; dh_prev = dHW Wh (+ direct GRU path) */
                GEMM(1, 0, G, H, N, 1, dhw, G, hprev, ldh, 1, dWh, H);
                for (int64_t n = 0; n < N; n++)
                    for (int64_t j = 0; j < G; j++) dbh[j] += dhw[n * G + j];
                GEMM(0, 0, N, H, G, 1, dhw, G, Wh, H, c->mode == RNN_GRU ? 1 : 0, dhn, H);
            }
            GEMM(1, 0, G, I, TN, 1, dxw, G, xin, I, 1, dWx, I);
            for (int64_t r = 0; r < TN; r++)
                for (int64_t j = 0; j < G; j++) dbx[j] += dxw[r * G + j];
            GEMM(0, 0, TN, I, G, 1, dxw, G, Wx, I, 1, dxl, I);
            memcpy(dh0 + k * N * H, dhn, sizeof(T) * (size_t)(N * H));
            if (c->mode == RNN_LSTM) memcpy(dc0 + k * N * H, dcn, sizeof(T) * (size_t)(N * H));
        }
        if (l > 0) {
            /* through the dropout between layer l-1 and l */
            if (c->dropout) {
                const T scale = (T)(1.0 / (1.0 - c->p));
                for (int64_t i = 0; i < TN * DH; i++) dyl[i] = rnn_keep(c, (l - 1) * TN * DH + i) ? dxin[i] * scale : 0;
            } else {
                memcpy(dyl, dxin, sizeof(T) * (size_t)(TN * DH));
            }
        }
    }
    free(dyl), free(dxin), free(dxw), free(dhw), free(dh);
    return MX_OK;
}

#undef RK
#undef RK_CAT
#undef RK_CAT2
