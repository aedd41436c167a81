/* rnn_kernels.h — dtype-generic fused RNN forward and BPTT, included by rnn.c
 * once per dtype with T, SFX, GEMM, EXPF and TANHF defined (EXPF/TANHF are
 * inline, call-free versions for float so the gate loops vectorize).
 *
 * The forward writes every activated gate, LSTM cell state, GRU h2h n-gate
 * product, layer output and dropped-out layer input into the reserve (the
 * op's hidden output); BPTT reads them instead of recomputing the forward. */
#define RK_CAT2(a, b) a##_##b
#define RK_CAT(a, b) RK_CAT2(a, b)
#define RK(name) RK_CAT(name, SFX)

MXI_RNN_INLINE T RK(sigm)(T x) { return (T)1 / ((T)1 + EXPF(-x)); }

/* Views into the reserve; sizes as rnn_reserve_size() (K = L*D slices). */
typedef struct {
    T *gates; /* per (l,d): (S, N, ng*H) activated gates */
    T *cells; /* LSTM: per (l,d): (S, N, H) cell states */
    T *hn;    /* GRU: per (l,d): (S, N, H) Wh_n h + bh_n */
    T *hpre;  /* LSTM projection: per (l,d): (S, N, H) o * tanh(c) before W_r */
    T *ys;    /* per layer but the last (that is y; with lengths the last too): (S, N, D*P) outputs before dropout */
    T *xd;    /* per layer >= 1: dropped-out inputs (S, N, D*P) */
} RK(rnn_res);

static void RK(res_view)(const rnn_cfg *c, T *p, RK(rnn_res) *v) {
    const int64_t TN = c->S * c->N, K = c->L * c->D, TND = TN * c->D * c->P;
    memset(v, 0, sizeof *v);
    v->gates = p;
    p += K * TN * c->ng * c->H;
    if (c->mode == RNN_LSTM) v->cells = p;
    if (c->mode == RNN_GRU) v->hn = p;
    if (c->mode == RNN_LSTM || c->mode == RNN_GRU) p += K * TN * c->H;
    if (c->proj) v->hpre = p, p += K * TN * c->H;
    v->ys = p;
    p += rnn_ys_layers(c) * TND;
    if (rnn_has_xd(c)) v->xd = p;
}

static const T *RK(layer_input)(const rnn_cfg *c, const RK(rnn_res) *v, const T *x, int64_t l) {
    if (l == 0) return x;
    const int64_t TND = c->S * c->N * c->D * c->P;
    return (c->dropout ? v->xd : v->ys) + (l - 1) * TND;
}

/* where layer l's output lives: the reserve, or y for the last layer
 * without lengths */
static T *RK(layer_output)(const rnn_cfg *c, const RK(rnn_res) *v, T *y, int64_t l) {
    return l == c->L - 1 && !c->use_len ? y : v->ys + l * c->S * c->N * c->D * c->P;
}

/* ---- gate math of one step for one batch row ---- */

MXI_RNN_INLINE void RK(lstm_fwd_row)(T *restrict gi, T *restrict gf, T *restrict gg, T *restrict go,
                                    const T *restrict cp, T *restrict ct, T *restrict ho, int64_t H, T lo, T hi) {
    for (int64_t j = 0; j < H; j++) {
        T i = RK(sigm)(gi[j]), f = RK(sigm)(gf[j]), g = TANHF(gg[j]), o = RK(sigm)(go[j]);
        T cv = f * cp[j] + i * g;
        cv = cv < lo ? lo : cv; /* no-op for the default (-inf, inf); NaN passes */
        cv = cv > hi ? hi : cv;
        ct[j] = cv;
        ho[j] = o * TANHF(cv);
        gi[j] = i, gf[j] = f, gg[j] = g, go[j] = o;
    }
}

MXI_RNN_INLINE void RK(gru_fwd_row)(T *restrict gr, T *restrict gz, T *restrict gn, const T *restrict hr,
                                   const T *restrict hz, const T *restrict hnr, const T *restrict bhn,
                                   const T *restrict hp, T *restrict hns, T *restrict ho, int64_t H) {
    for (int64_t j = 0; j < H; j++) {
        T r = RK(sigm)(gr[j] + hr[j]);
        T z = RK(sigm)(gz[j] + hz[j]);
        T hnv = hnr[j] + bhn[j];
        T n = TANHF(gn[j] + r * hnv);
        ho[j] = (1 - z) * n + z * hp[j];
        hns[j] = hnv;
        gr[j] = r, gz[j] = z, gn[j] = n;
    }
}

MXI_RNN_INLINE void RK(lstm_bwd_row)(const T *restrict gi, const T *restrict gf, const T *restrict gg,
                                    const T *restrict go, const T *restrict ct, const T *restrict cp,
                                    const T *restrict dy, const T *restrict dh, T *restrict dc, T *restrict di,
                                    T *restrict df, T *restrict dgg, T *restrict dgo, int64_t H) {
    for (int64_t j = 0; j < H; j++) {
        T i = gi[j], f = gf[j], g = gg[j], o = go[j];
        T dhj = dy[j] + dh[j];
        T tc = TANHF(ct[j]);
        T dcj = dc[j] + dhj * o * (1 - tc * tc);
        di[j] = dcj * g * i * (1 - i);
        df[j] = dcj * cp[j] * f * (1 - f);
        dgg[j] = dcj * i * (1 - g * g);
        dgo[j] = dhj * tc * o * (1 - o);
        dc[j] = dcj * f;
    }
}

MXI_RNN_INLINE void RK(gru_bwd_row)(const T *restrict gr, const T *restrict gz, const T *restrict gn,
                                   const T *restrict hnt, const T *restrict hp, const T *restrict dy,
                                   T *restrict dh, T *restrict dgr, T *restrict dgz, T *restrict dgn,
                                   T *restrict drr, T *restrict drz, T *restrict drn, int64_t H) {
    for (int64_t j = 0; j < H; j++) {
        T r = gr[j], z = gz[j], n = gn[j];
        T dhj = dy[j] + dh[j];
        T dan = dhj * (1 - z) * (1 - n * n);
        T daz = dhj * (hp[j] - n) * z * (1 - z);
        T dar = dan * hnt[j] * r * (1 - r);
        dgr[j] = dar, dgz[j] = daz, dgn[j] = dan;
        drr[j] = dar, drz[j] = daz, drn[j] = dan * r;
        dh[j] = dhj * z; /* direct path; the GEMM part is added after */
    }
}

/* ---- the recurrence of one (layer, direction) over a slice of the batch ----
 * Batch rows never interact, so each pool task runs every time step for its
 * own rows: no synchronisation per step, only per-step GEMMs on fewer rows. */

typedef struct {
    const rnn_cfg *c;
    int64_t d, ldo;         /* direction; row stride of the layer output (D*P) */
    const T *Wh, *bh;       /* h2h weight (G, P) and bias */
    const T *Wr;            /* LSTM projection: h2r weight (P, H), else NULL */
    const T *h0, *c0;       /* (N, P) / (N, H) initial states of this (l, d) */
    T *gates;               /* (S, N, G) input projections in; activated gates out */
    T *cells, *hn;          /* LSTM cells / GRU h2h n-gate products (S, N, H) */
    T *hpre;                /* LSTM projection: (S, N, H) o * tanh(c) */
    T *yl;                  /* (S, N, ldo) layer output; this direction at column d*P */
    T *hw;                  /* GRU: (N, G) scratch for the h2h products */
} RK(fwd_seq);

static MXI_RNN_CLONES void RK(fwd_seq_rows)(void *ctx, int64_t n0, int64_t n1) {
    const RK(fwd_seq) *q = ctx;
    const rnn_cfg *c = q->c;
    const int64_t N = c->N, H = c->H, P = c->P, G = c->ng * H, S = c->S, ldo = q->ldo, nr = n1 - n0;
    const T lo = (T)c->clip_min, hi = (T)c->clip_max;
    const T *hp = q->h0 + n0 * P, *cp = q->c0 ? q->c0 + n0 * H : NULL;
    int64_t ldp = P;
    for (int64_t s = 0; s < S; s++) {
        const int64_t t = q->d ? S - 1 - s : s;
        T *gt = q->gates + (t * N + n0) * G;
        T *ho = q->yl + (t * N + n0) * ldo + q->d * P;
        if (c->mode == RNN_GRU) {
            T *hr = q->hw + n0 * G, *hnt = q->hn + (t * N + n0) * H;
            GEMM(0, 1, nr, G, H, 1, hp, ldp, q->Wh, H, 0, hr, G);
            for (int64_t n = 0; n < nr; n++)
                RK(gru_fwd_row)(gt + n * G, gt + n * G + H, gt + n * G + 2 * H, hr + n * G, hr + n * G + H,
                                hr + n * G + 2 * H, q->bh + 2 * H, hp + n * ldp, hnt + n * H, ho + n * ldo, H);
        } else {
            GEMM(0, 1, nr, G, P, 1, hp, ldp, q->Wh, P, 1, gt, G);
            if (c->mode == RNN_LSTM) {
                T *ct = q->cells + (t * N + n0) * H;
                /* with a projection the cell output goes to hpre, then h = hpre W_rᵀ */
                T *hc = q->Wr ? q->hpre + (t * N + n0) * H : ho;
                const int64_t ldc = q->Wr ? H : ldo;
                for (int64_t n = 0; n < nr; n++) {
                    T *g = gt + n * G;
                    RK(lstm_fwd_row)(g, g + H, g + 2 * H, g + 3 * H, cp + n * H, ct + n * H, hc + n * ldc, H, lo, hi);
                }
                if (q->Wr) GEMM(0, 1, nr, P, H, 1, hc, H, q->Wr, H, 0, ho, ldo);
                if (c->len) /* samples past their length keep their cell state */
                    for (int64_t n = 0; n < nr; n++)
                        if (!rnn_valid(c, t, n0 + n)) memcpy(ct + n * H, cp + n * H, sizeof(T) * (size_t)H);
                cp = ct;
            } else if (c->mode == RNN_RELU) {
                for (int64_t n = 0; n < nr; n++) {
                    T *restrict g = gt + n * G, *restrict o = ho + n * ldo;
                    for (int64_t j = 0; j < H; j++) {
                        T a = g[j] > 0 ? g[j] : 0;
                        g[j] = a, o[j] = a;
                    }
                }
            } else {
                for (int64_t n = 0; n < nr; n++) {
                    T *restrict g = gt + n * G, *restrict o = ho + n * ldo;
                    for (int64_t j = 0; j < H; j++) {
                        T a = TANHF(g[j]);
                        g[j] = a, o[j] = a;
                    }
                }
            }
        }
        if (c->len) /* samples past their length keep their state */
            for (int64_t n = 0; n < nr; n++)
                if (!rnn_valid(c, t, n0 + n)) memcpy(ho + n * ldo, hp + n * ldp, sizeof(T) * (size_t)P);
        hp = ho;
        ldp = ldo;
    }
}

/* Rows per pool task: enough that the per-step GEMMs stay efficient. */
static int64_t RK(seq_grain)(const rnn_cfg *c) { return c->N >= 32 ? 16 : c->N; }

/* Forward over all layers: the last layer's output goes to y, everything
 * BPTT needs to the reserve. hy/cy may be NULL. */
static int RK(rnn_forward)(const rnn_cfg *c, const T *x, const T *params, const T *h0, const T *c0, T *y, T *hy,
                           T *cy, T *reserve) {
    const int64_t N = c->N, H = c->H, P = c->P, D = c->D, G = c->ng * H, TN = c->S * c->N, DH = D * P, S = c->S;
    RK(rnn_res) v;
    RK(res_view)(c, reserve, &v);
    T *hw = NULL;
    size_t hw_bytes = sizeof(T) * (size_t)(N * G + 1);
    if (c->mode == RNN_GRU) {
        hw = mxi_scratch_alloc(hw_bytes);
        if (!hw) return mxi_error(MX_ERR_MEMORY, "RNN: out of memory for the workspace");
    }
    for (int64_t l = 0; l < c->L; l++) {
        const int64_t I = l == 0 ? c->I : DH;
        if (l > 0 && c->dropout) {
            const T *src = v.ys + (l - 1) * TN * DH;
            T *dst = v.xd + (l - 1) * TN * DH;
            const T scale = (T)(1.0 / (1.0 - c->p));
            for (int64_t i = 0; i < TN * DH; i++) dst[i] = rnn_keep(c, (l - 1) * TN * DH + i) ? src[i] * scale : 0;
        }
        const T *xin = RK(layer_input)(c, &v, x, l);
        T *yl = RK(layer_output)(c, &v, y, l);
        for (int64_t d = 0; d < D; d++) {
            const int64_t k = l * D + d;
            const T *Wx = params + rnn_wx_off(c, l, d);
            const T *bx = params + rnn_b_off(c, l, d), *bh = bx + G;
            T *gates = v.gates + k * TN * G;
            /* input projection of all steps in one GEMM, both biases folded in
             * (GRU keeps bh_n apart: it sits inside r * (Wh_n h + bh_n)) */
            GEMM(0, 1, TN, G, I, 1, xin, I, Wx, I, 0, gates, G);
            const int64_t Gb = c->mode == RNN_GRU ? 2 * H : G;
            for (int64_t r = 0; r < TN; r++) {
                T *restrict gr = gates + r * G;
                for (int64_t j = 0; j < Gb; j++) gr[j] += bx[j] + bh[j];
                for (int64_t j = Gb; j < G; j++) gr[j] += bx[j];
            }
            RK(fwd_seq) q = {.c = c, .d = d, .ldo = DH, .Wh = params + rnn_wh_off(c, l, d), .bh = bh,
                             .Wr = c->proj ? params + rnn_wr_off(c, l, d) : NULL, .h0 = h0 + k * N * P,
                             .c0 = c0 ? c0 + k * N * H : NULL, .gates = gates,
                             .cells = v.cells ? v.cells + k * TN * H : NULL, .hn = v.hn ? v.hn + k * TN * H : NULL,
                             .hpre = v.hpre ? v.hpre + k * TN * H : NULL, .yl = yl, .hw = hw};
            mxi_parallel_for(N, RK(seq_grain)(c), RK(fwd_seq_rows), &q);
            /* last step in processing order (past the lengths the state is carried there) */
            const int64_t tl = d ? 0 : S - 1;
            if (hy) {
                for (int64_t n = 0; n < N; n++)
                    memcpy(hy + (k * N + n) * P, S ? yl + (tl * N + n) * DH + d * P : q.h0 + n * P,
                           sizeof(T) * (size_t)P);
            }
            if (cy && q.cells) memcpy(cy + k * N * H, S ? q.cells + tl * N * H : q.c0, sizeof(T) * (size_t)(N * H));
        }
    }
    if (c->use_len) { /* y: the last layer's outputs, zero past each length */
        const T *yl = v.ys + (c->L - 1) * TN * DH;
        for (int64_t t = 0; t < S; t++)
            for (int64_t n = 0; n < N; n++) {
                T *o = y + (t * N + n) * DH;
                if (rnn_valid(c, t, n)) memcpy(o, yl + (t * N + n) * DH, sizeof(T) * (size_t)DH);
                else memset(o, 0, sizeof(T) * (size_t)DH);
            }
    }
    if (hw) mxi_scratch_free(hw, hw_bytes);
    return MX_OK;
}

typedef struct {
    const rnn_cfg *c;
    int64_t d, ldy;
    const T *Wh, *Wr;       /* h2h weight (G, P); LSTM projection h2r weight (P, H) or NULL */
    const T *h0, *c0;       /* (N, P) / (N, H) initial states of this (l, d) */
    const T *gates, *cells, *hn, *yl, *dy;
    T *dG, *dR;             /* (S, N, G) grads of the pre-activations / h2h products */
    T *dh, *dc;             /* (N, P) / (N, H) grads of h and c flowing back in time */
    T *dP, *dhp;            /* projection: (S, N, P) grads of h, (N, H) grads of o * tanh(c) */
    const T *zero;          /* projection: H zeros */
} RK(bwd_seq);

static MXI_RNN_CLONES void RK(bwd_seq_rows)(void *ctx, int64_t n0, int64_t n1) {
    const RK(bwd_seq) *q = ctx;
    const rnn_cfg *c = q->c;
    const int64_t N = c->N, H = c->H, P = c->P, G = c->ng * H, S = c->S, ldy = q->ldy, nr = n1 - n0, DH = ldy;
    T *dh = q->dh + n0 * P, *dc = q->dc + n0 * H;
    for (int64_t s = S - 1; s >= 0; s--) {
        const int64_t t = q->d ? S - 1 - s : s;
        const int64_t tp = q->d ? t + 1 : t - 1; /* previous step in processing order */
        const T *gt = q->gates + (t * N + n0) * G, *dy = q->dy + (t * N + n0) * ldy + q->d * P;
        T *dg = q->dG + (t * N + n0) * G, *dr = q->dR + (t * N + n0) * G;
        if (c->mode == RNN_LSTM) {
            const T *ct = q->cells + (t * N + n0) * H, *cp = s == 0 ? q->c0 + n0 * H : q->cells + (tp * N + n0) * H;
            /* with a projection: dP = dy + dh, then the cell output's grad is dP W_r */
            const T *dyc = dy, *dhc = dh;
            int64_t ldyc = ldy, ldhc = P;
            if (q->Wr) {
                T *dp = q->dP + (t * N + n0) * P;
                for (int64_t n = 0; n < nr; n++)
                    for (int64_t j = 0; j < P; j++)
                        dp[n * P + j] = rnn_valid(c, t, n0 + n) ? dy[n * ldy + j] + dh[n * P + j] : 0;
                GEMM(0, 0, nr, H, P, 1, dp, P, q->Wr, H, 0, q->dhp + n0 * H, H);
                dyc = q->dhp + n0 * H, ldyc = H, dhc = q->zero, ldhc = 0;
            }
            for (int64_t n = 0; n < nr; n++) {
                const T *g = gt + n * G;
                T *o = dg + n * G;
                if (!rnn_valid(c, t, n0 + n)) { /* the cell state passed through: dc flows on as is */
                    memset(o, 0, sizeof(T) * (size_t)G);
                    continue;
                }
                RK(lstm_bwd_row)(g, g + H, g + 2 * H, g + 3 * H, ct + n * H, cp + n * H, dyc + n * ldyc, dhc + n * ldhc,
                                 dc + n * H, o, o + H, o + 2 * H, o + 3 * H, H);
            }
        } else if (c->mode == RNN_GRU) {
            const T *hnt = q->hn + (t * N + n0) * H;
            const T *hp = s == 0 ? q->h0 + n0 * P : q->yl + (tp * N + n0) * DH + q->d * P;
            const int64_t ldp = s == 0 ? P : DH;
            for (int64_t n = 0; n < nr; n++) {
                const T *g = gt + n * G;
                T *o = dg + n * G, *r = dr + n * G;
                if (!rnn_valid(c, t, n0 + n)) { /* dh passes through (the GEMM below adds 0) */
                    memset(o, 0, sizeof(T) * (size_t)G);
                    memset(r, 0, sizeof(T) * (size_t)G);
                    continue;
                }
                RK(gru_bwd_row)(g, g + H, g + 2 * H, hnt + n * H, hp + n * ldp, dy + n * ldy, dh + n * H, o, o + H,
                                o + 2 * H, r, r + H, r + 2 * H, H);
            }
        } else {
            for (int64_t n = 0; n < nr; n++) {
                const T *restrict g = gt + n * G, *restrict dyv = dy + n * ldy, *restrict dhv = dh + n * H;
                T *restrict o = dg + n * G;
                if (!rnn_valid(c, t, n0 + n))
                    memset(o, 0, sizeof(T) * (size_t)G);
                else if (c->mode == RNN_RELU)
                    for (int64_t j = 0; j < H; j++) o[j] = g[j] > 0 ? dyv[j] + dhv[j] : 0;
                else
                    for (int64_t j = 0; j < H; j++) o[j] = (dyv[j] + dhv[j]) * (1 - g[j] * g[j]);
            }
        }
        /* dh_{t-1} = dR_t Wh (+ the direct GRU path already in dh). With
         * lengths the GEMM accumulates, so rows past their length keep dh:
         * the other rows' dh is spent, clear it first. */
        const int keep = c->mode == RNN_GRU || c->len;
        if (c->len && c->mode != RNN_GRU)
            for (int64_t n = 0; n < nr; n++)
                if (rnn_valid(c, t, n0 + n)) memset(dh + n * P, 0, sizeof(T) * (size_t)P);
        GEMM(0, 0, nr, P, G, 1, dr, G, q->Wh, P, keep ? 1 : 0, dh, P);
    }
}

/* out[j] += column sums of the (R, G) matrix a */
static void RK(col_sums)(const T *restrict a, int64_t R, int64_t G, T *restrict out) {
    for (int64_t r = 0; r < R; r++)
        for (int64_t j = 0; j < G; j++) out[j] += a[r * G + j];
}

/* BPTT from the reserve filled by rnn_forward and its output y. dy (S,N,DH);
 * dhy/dcy may be NULL. Writes every element of dx, dparams, dh0 and dc0. */
static int RK(rnn_backward)(const rnn_cfg *c, const T *x, const T *params, const T *h0, const T *c0, const T *dy,
                            const T *dhy, const T *dcy, const T *reserve, const T *y, T *dx, T *dparams, T *dh0,
                            T *dc0) {
    const int64_t N = c->N, H = c->H, P = c->P, D = c->D, G = c->ng * H, TN = c->S * c->N, DH = D * P, S = c->S;
    RK(rnn_res) v;
    RK(res_view)(c, (T *)reserve, &v);
    const int gru = c->mode == RNN_GRU;
    /* dya/dyb: grads of a hidden layer's output / input (swapped per layer);
     * dhc: the (N, P) h and (N, H) c grads; pj: the projection's dP, dhp, zeros */
    size_t b_g = sizeof(T) * (size_t)(TN * G + 1), b_y = sizeof(T) * (size_t)(c->L > 1 ? TN * DH + 1 : 1),
           b_h = sizeof(T) * (size_t)(N * (P + H) + 1), b_p = sizeof(T) * (size_t)(c->proj ? TN * P + N * H + H : 1);
    T *dG = mxi_scratch_alloc(b_g);
    T *dR = gru ? mxi_scratch_alloc(b_g) : dG;
    T *dya = mxi_scratch_alloc(b_y), *dyb = mxi_scratch_alloc(b_y);
    T *dhc = mxi_scratch_alloc(b_h), *pj = mxi_scratch_alloc(b_p);
    int rc = MX_OK;
    if (!dG || !dR || !dya || !dyb || !dhc || !pj) {
        rc = mxi_error(MX_ERR_MEMORY, "RNN: out of memory for the backward workspace");
        goto done;
    }
    if (TN == 0) { /* nothing ran: all grads are zero, the states' pass through */
        memset(dx, 0, sizeof(T) * (size_t)(TN * c->I));
        memset(dparams, 0, sizeof(T) * (size_t)rnn_param_size(c));
        const int64_t nh = c->L * D * N * P, nc = c->L * D * N * H;
        if (dhy && c->state_outputs) memcpy(dh0, dhy, sizeof(T) * (size_t)nh);
        else memset(dh0, 0, sizeof(T) * (size_t)nh);
        if (c->mode == RNN_LSTM && dcy && c->state_outputs) memcpy(dc0, dcy, sizeof(T) * (size_t)nc);
        else memset(dc0, 0, sizeof(T) * (size_t)nc);
        goto done;
    }
    if (c->proj) memset(pj + TN * P + N * H, 0, sizeof(T) * (size_t)H);
    if (c->mode != RNN_LSTM) memset(dc0, 0, sizeof(T) * (size_t)(c->L * D * N * H)); /* unused output */
    const T *dyl = dy; /* grad of this layer's output */
    for (int64_t l = c->L - 1; l >= 0; l--) {
        const int64_t I = l == 0 ? c->I : DH;
        const T *xin = RK(layer_input)(c, &v, x, l);
        const T *yl = RK(layer_output)(c, &v, (T *)y, l);
        T *dxl = l == 0 ? dx : dyb;
        for (int64_t d = 0; d < D; d++) {
            const int64_t k = l * D + d;
            const T *Wx = params + rnn_wx_off(c, l, d), *Wh = params + rnn_wh_off(c, l, d);
            T *dWx = dparams + rnn_wx_off(c, l, d), *dWh = dparams + rnn_wh_off(c, l, d);
            T *dbx = dparams + rnn_b_off(c, l, d), *dbh = dbx + G;
            const T *gates = v.gates + k * TN * G;
            const T *cells = v.cells ? v.cells + k * TN * H : NULL;
            const T *hn = v.hn ? v.hn + k * TN * H : NULL;
            T *dhn = dhc, *dcn = dhc + N * P;
            if (dhy && c->state_outputs) memcpy(dhn, dhy + k * N * P, sizeof(T) * (size_t)(N * P));
            else memset(dhn, 0, sizeof(T) * (size_t)(N * P));
            if (c->mode == RNN_LSTM && dcy && c->state_outputs) memcpy(dcn, dcy + k * N * H, sizeof(T) * (size_t)(N * H));
            else memset(dcn, 0, sizeof(T) * (size_t)(N * H));
            RK(bwd_seq) q = {.c = c, .d = d, .ldy = DH, .Wh = Wh, .Wr = c->proj ? params + rnn_wr_off(c, l, d) : NULL,
                             .h0 = h0 + k * N * P, .c0 = c0 ? c0 + k * N * H : NULL, .gates = gates, .cells = cells,
                             .hn = hn, .yl = yl, .dy = dyl, .dG = dG, .dR = dR, .dh = dhn, .dc = dcn, .dP = pj,
                             .dhp = pj + TN * P, .zero = pj + TN * P + N * H};
            mxi_parallel_for(N, RK(seq_grain)(c), RK(bwd_seq_rows), &q);
            /* weight and bias grads of all steps at once:
             * dWh += dRᵀ [h_prev of every step]; the first processed step's
             * h_prev is h0, the others' are rows of this layer's output */
            const T *dR0 = dR + (d ? (S - 1) * N * G : 0); /* rows of the step reading h0 */
            GEMM(1, 0, G, P, N, 1, dR0, G, h0 + k * N * P, P, 0, dWh, P);
            if (S > 1) {
                if (d == 0) GEMM(1, 0, G, P, (S - 1) * N, 1, dR + N * G, G, yl + d * P, DH, 1, dWh, P);
                else GEMM(1, 0, G, P, (S - 1) * N, 1, dR, G, yl + N * DH + d * P, DH, 1, dWh, P);
            }
            if (c->proj) /* dW_r = dPᵀ [o * tanh(c) of every step] */
                GEMM(1, 0, P, H, TN, 1, pj, P, v.hpre + k * TN * H, H, 0, dparams + rnn_wr_off(c, l, d), H);
            memset(dbx, 0, sizeof(T) * (size_t)G);
            RK(col_sums)(dG, TN, G, dbx);
            if (gru) {
                memset(dbh, 0, sizeof(T) * (size_t)G);
                RK(col_sums)(dR, TN, G, dbh);
            } else {
                memcpy(dbh, dbx, sizeof(T) * (size_t)G);
            }
            GEMM(1, 0, G, I, TN, 1, dG, G, xin, I, 0, dWx, I);
            GEMM(0, 0, TN, I, G, 1, dG, G, Wx, I, d ? 1 : 0, dxl, I); /* directions add up */
            memcpy(dh0 + k * N * P, dhn, sizeof(T) * (size_t)(N * P));
            if (c->mode == RNN_LSTM) memcpy(dc0 + k * N * H, dcn, sizeof(T) * (size_t)(N * H));
        }
        if (l > 0) {
            /* through the dropout between layer l-1 and l */
            if (c->dropout) {
                const T scale = (T)(1.0 / (1.0 - c->p));
                for (int64_t i = 0; i < TN * DH; i++) dya[i] = rnn_keep(c, (l - 1) * TN * DH + i) ? dyb[i] * scale : 0;
            } else {
                T *tmp = dya;
                dya = dyb, dyb = tmp;
            }
            dyl = dya;
        }
    }
done:
    mxi_scratch_free(dG, b_g);
    if (gru) mxi_scratch_free(dR, b_g);
    mxi_scratch_free(dya, b_y);
    mxi_scratch_free(dyb, b_y);
    mxi_scratch_free(dhc, b_h);
    mxi_scratch_free(pj, b_p);
    return rc;
}

#undef RK
#undef RK_CAT
#undef RK_CAT2
