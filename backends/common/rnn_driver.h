/* rnn_driver.h — the fused RNN op for device modules: RNN / _rnn_with_reserve
 * (forward) and _backward_RNN (BPTT), every mode (rnn_relu, rnn_tanh, lstm,
 * gru), stacked and bidirectional, LSTM state clipping and dropout between
 * layers, written once over a table of device primitives (rnn_ops) that each
 * module fills: GEMM on buffer offsets, the per-step gate kernels, copies,
 * fills, dropout, column sums and workspace buffers.
 *
 * The algorithm and the reserve layout are core/ops/rnn.c's (see
 * rnn_kernels.h there): per (layer, direction) one GEMM projects all time
 * steps, then each step is one h2h GEMM plus one gate kernel; BPTT runs one
 * GEMM per step for the recurrent gradient and one GEMM each for the weight
 * gradients of all steps. The reserve holds the same values at the same
 * offsets as on the CPU, so a forward on a device and a backward on the CPU
 * (or the reverse) agree. An LSTM projection (projection_size P: the cell
 * output o * tanh(c) goes to the reserve, then h = W_r of it by one GEMM per
 * step; BPTT adds four GEMMs per step for dW_r and the cell output's grad)
 * runs on these same primitives. Per-sample lengths (use_sequence_length, in
 * the data's dtype) use one more, keep_rows: rows past their length carry the
 * state forward (and their state gradients backward) and get zero gate
 * gradients, as in the CPU op; the last layer's outputs stay in the reserve
 * and y is them zeroed past each length. Lengths are not validated on the
 * device (a value >= seq_length acts as the full length). Calls the driver
 * does not cover (integer lengths, a module without keep_rows) and any the CPU
 * op rejects return MXB_UNSUPPORTED, so the core runs the CPU op with copies
 * (one warning; MXCORE_STRICT_DEVICE=1 refuses) and reports its errors. C and
 * C++ (both modules include it). */
#ifndef MXCORE_BACKENDS_RNN_DRIVER_H
#define MXCORE_BACKENDS_RNN_DRIVER_H

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mxcore/backend.h"

enum { RNN_M_RELU, RNN_M_TANH, RNN_M_LSTM, RNN_M_GRU };

/* a device buffer (cl_mem, CUDA pointer) and an element offset into it */
typedef struct {
    void *buf;
    int64_t off;
} rnn_buf;

static inline rnn_buf rnn_at(rnn_buf b, int64_t off) {
    rnn_buf r = {b.buf, b.off + off};
    return r;
}

/* Device primitives. Every function returns MXB_OK or an error with a
 * message in err/errlen; ctx is the module's device context, dt the dtype. */
typedef struct rnn_ops {
    void *ctx;
    int dt;
    char *err;
    size_t errlen;
    /* C(M,N) = alpha A B + beta C, A(i,k) = A[i*ars + k*acs], B(k,j) =
     * B[k*brs + j*bcs], C contiguous with row stride N */
    int (*gemm)(const struct rnn_ops *o, int64_t M, int64_t N, int64_t K, rnn_buf A, int64_t ars, int64_t acs,
                rnn_buf B, int64_t brs, int64_t bcs, rnn_buf C, double alpha, double beta);
    /* gates (rows, Gn) += i2h bias (+ h2h bias for the first Gb columns); P+bxo */
    int (*bias)(const struct rnn_ops *o, rnn_buf G, rnn_buf P, int64_t rows, int64_t Gn, int64_t Gb);
    /* one step, N x H work items (kernels_rnn_cl.h / cuda_rnn.cu) */
    int (*lstm_fw)(const struct rnn_ops *o, rnn_buf G, rnn_buf Cp, rnn_buf Ct, rnn_buf Y, int64_t ldo, int64_t N,
                   int64_t H, double lo, double hi);
    int (*gru_fw)(const struct rnn_ops *o, rnn_buf G, rnn_buf HR, rnn_buf Bhn, rnn_buf Hp, int64_t ldp, rnn_buf HN,
                  rnn_buf Y, int64_t ldo, int64_t N, int64_t H);
    int (*act_fw)(const struct rnn_ops *o, rnn_buf G, rnn_buf Y, int64_t ldo, int64_t N, int64_t H, int relu);
    int (*lstm_bw)(const struct rnn_ops *o, rnn_buf G, rnn_buf Ct, rnn_buf Cp, rnn_buf DY, int64_t ldy, rnn_buf DH,
                   rnn_buf DC, rnn_buf DG, int64_t N, int64_t H);
    int (*gru_bw)(const struct rnn_ops *o, rnn_buf G, rnn_buf HN, rnn_buf Hp, int64_t ldp, rnn_buf DY, int64_t ldy,
                  rnn_buf DH, rnn_buf DG, rnn_buf DR, int64_t N, int64_t H);
    int (*act_bw)(const struct rnn_ops *o, rnn_buf G, rnn_buf DY, int64_t ldy, rnn_buf DH, rnn_buf DG, int64_t N,
                  int64_t H, int relu);
    /* O[j] = column sums of the (R, Gn) matrix A */
    int (*col_sum)(const struct rnn_ops *o, rnn_buf A, int64_t R, int64_t Gn, rnn_buf O);
    /* rows x W block copy between strided row sets */
    int (*copy_rows)(const struct rnn_ops *o, rnn_buf S, int64_t lds, rnn_buf D, int64_t ldd, int64_t rows, int64_t W);
    int (*fill)(const struct rnn_ops *o, rnn_buf D, int64_t n, double v);
    /* inter-layer dropout of n elements starting at element `base` of the
     * stream: keep iff word e % 4 of Philox(seed, offset + e / 4) >= ceil(p 2^32) */
    int (*dropout)(const struct rnn_ops *o, rnn_buf S, rnn_buf D, int64_t n, int64_t base, uint64_t seed,
                   uint64_t offset, double p);
    /* rows n < N of D (row stride ldd) whose sample ends before step t (LEN[n]
     * <= t, LEN in the dtype dt): their W elements become S's (row stride lds),
     * or 0 where S.buf is NULL; the other rows are left as they are */
    int (*keep_rows)(const struct rnn_ops *o, rnn_buf D, int64_t ldd, rnn_buf S, int64_t lds, rnn_buf LEN, int64_t t,
                     int64_t N, int64_t W);
    /* workspace of n elements (NULL with err set on failure), and its release
     * (safe right after enqueueing work that uses it) */
    void *(*tmp)(const struct rnn_ops *o, int64_t n);
    void (*release)(const struct rnn_ops *o, void *buf);
} rnn_ops;

typedef struct {
    int mode, state_outputs, dropout, proj, use_len;
    rnn_buf len; /* use_sequence_length: the (N,) lengths */
    int64_t S, N, I, H, P, L, D, ng, G; /* P: state/output size per direction (projection_size, else H) */
    double p, lo, hi;
    uint64_t seed, offset;
} rnn_cfg_d;

/* ---- layout (rnn.c: rnn_wx_off, rnn_wh_off, rnn_wr_off, rnn_b_off, rnn_reserve_size) ---- */
static inline int64_t rnn_d_wblock(const rnn_cfg_d *c, int64_t l) { /* i2h, h2h[, h2r] of one (l, d) */
    return c->G * ((l == 0 ? c->I : c->D * c->P) + c->P) + (c->proj ? c->P * c->H : 0);
}
static inline int64_t rnn_d_wx_off(const rnn_cfg_d *c, int64_t l, int64_t d) {
    int64_t off = 0;
    for (int64_t ll = 0; ll < l; ll++) off += c->D * rnn_d_wblock(c, ll);
    return off + d * rnn_d_wblock(c, l);
}
static inline int64_t rnn_d_wh_off(const rnn_cfg_d *c, int64_t l, int64_t d) {
    return rnn_d_wx_off(c, l, d) + c->G * (l == 0 ? c->I : c->D * c->P);
}
static inline int64_t rnn_d_wr_off(const rnn_cfg_d *c, int64_t l, int64_t d) {
    return rnn_d_wh_off(c, l, d) + c->G * c->P;
}
static inline int64_t rnn_d_b_off(const rnn_cfg_d *c, int64_t l, int64_t d) {
    return rnn_d_wx_off(c, c->L, 0) + (l * c->D + d) * 2 * c->G;
}

typedef struct {
    int64_t cells, hpre, ys, xd, total; /* element offsets into the reserve (gates at 0) */
} rnn_layout;

static inline rnn_layout rnn_d_layout(const rnn_cfg_d *c) {
    const int64_t TN = c->S * c->N, K = c->L * c->D, TND = TN * c->D * c->P;
    rnn_layout r;
    r.cells = K * TN * c->G;
    r.hpre = r.cells + (c->mode == RNN_M_LSTM || c->mode == RNN_M_GRU ? K * TN * c->H : 0);
    r.ys = r.hpre + (c->proj ? K * TN * c->H : 0);
    r.xd = r.ys + (c->L - 1 + c->use_len) * TND; /* with lengths the last layer's outputs too */
    r.total = r.xd + (c->p > 0 && c->L > 1 ? (c->L - 1) * TND : 0);
    return r;
}

static inline int rnn_d_clip(const mxb_call *c, const char *name, double *v) {
    const mxb_attr *a = mxb_attr_find(c, name);
    if (!a || !a->s || !*a->s || !strcmp(a->s, "None")) return 0;
    char *end;
    *v = strtod(a->s, &end);
    return end != a->s && !*end ? 0 : -1;
}

/* Config from the attrs and data (in[0]); non-zero for what the CPU op
 * rejects itself. */
static inline int rnn_d_config(const mxb_call *c, rnn_cfg_d *r) {
    memset(r, 0, sizeof *r);
    const mxb_attr *proj = mxb_attr_find(c, "projection_size");
    if (c->in[0].ndim != 3) return -1;
    r->use_len = mxb_attr_i(c, "use_sequence_length", 0) != 0;
    r->mode = (int)mxb_attr_i(c, "mode", -1);
    r->H = mxb_attr_i(c, "state_size", 0);
    r->proj = proj && !proj->is_none;
    r->P = r->proj ? proj->i : r->H;
    if (r->proj && (r->mode != RNN_M_LSTM || r->P <= 0)) return -1;
    r->L = mxb_attr_i(c, "num_layers", 0);
    r->D = mxb_attr_i(c, "bidirectional", 0) ? 2 : 1;
    r->ng = r->mode == RNN_M_LSTM ? 4 : r->mode == RNN_M_GRU ? 3 : 1;
    r->G = r->ng * r->H;
    r->p = mxb_attr_f(c, "p", 0);
    r->state_outputs = (int)mxb_attr_i(c, "state_outputs", 0);
    r->lo = -INFINITY;
    r->hi = INFINITY;
    if (r->mode < 0 || r->H <= 0 || r->L <= 0 || r->p >= 1 || rnn_d_clip(c, "lstm_state_clip_min", &r->lo) ||
        rnn_d_clip(c, "lstm_state_clip_max", &r->hi))
        return -1;
    if (r->mode != RNN_M_LSTM) r->lo = -INFINITY, r->hi = INFINITY;
    r->S = c->in[0].shape[0];
    r->N = c->in[0].shape[1];
    r->I = c->in[0].shape[2];
    if (c->in[1].size != rnn_d_b_off(r, r->L, 0)) return -1; /* the CPU op names the expected size */
    return 0;
}

static inline rnn_buf rnn_tensor(const mxb_tensor *t) {
    rnn_buf b = {t->buf, 0};
    return b;
}

/* the input of layer l: x, or the previous layer's (dropped-out) output */
static inline rnn_buf rnn_d_layer_input(const rnn_cfg_d *r, const rnn_layout *lo, rnn_buf X, rnn_buf R, int64_t l) {
    const int64_t TND = r->S * r->N * r->D * r->P;
    if (l == 0) return X;
    return rnn_at(R, (r->dropout ? lo->xd : lo->ys) + (l - 1) * TND);
}

#define RNN_TRY(x)                          \
    do {                                    \
        if ((rc = (x)) != MXB_OK) goto out; \
    } while (0)

/* Forward of all layers into Y, the reserve R and optionally HY/CY (buf NULL: none). */
static inline int rnn_d_forward(const rnn_ops *o, const rnn_cfg_d *r, rnn_buf X, rnn_buf P, rnn_buf H0, rnn_buf C0,
                                rnn_buf Y, rnn_buf HY, rnn_buf CY, rnn_buf R) {
    /* Ps: h's size (projection_size, else H); DH: a layer output row (D * Ps) */
    const int64_t N = r->N, H = r->H, Ps = r->P, D = r->D, G = r->G, S = r->S, TN = S * N, DH = D * Ps, TND = TN * DH;
    const rnn_layout lo = rnn_d_layout(r);
    int rc = MXB_OK;
    void *hw = r->mode == RNN_M_GRU ? o->tmp(o, N * G) : r->proj ? o->tmp(o, N * Ps) : NULL;
    if ((r->mode == RNN_M_GRU || r->proj) && !hw) return MXB_ERROR;
    rnn_buf HW = {hw, 0}; /* GRU: the h2h products; projection: one step's h before its strided copy */
    for (int64_t l = 0; l < r->L; l++) {
        const int64_t I = l == 0 ? r->I : DH;
        if (l > 0 && r->dropout)
            RNN_TRY(o->dropout(o, rnn_at(R, lo.ys + (l - 1) * TND), rnn_at(R, lo.xd + (l - 1) * TND), TND, (l - 1) * TND,
                               r->seed, r->offset, r->p));
        rnn_buf xin = rnn_d_layer_input(r, &lo, X, R, l);
        rnn_buf yl = l == r->L - 1 && !r->use_len ? Y : rnn_at(R, lo.ys + l * TND);
        for (int64_t dir = 0; dir < D; dir++) {
            const int64_t k = l * D + dir, bxo = rnn_d_b_off(r, l, dir), Gb = r->mode == RNN_M_GRU ? 2 * H : G;
            rnn_buf gates = rnn_at(R, k * TN * G), Wh = rnn_at(P, rnn_d_wh_off(r, l, dir));
            RNN_TRY(o->gemm(o, TN, G, I, xin, I, 1, rnn_at(P, rnn_d_wx_off(r, l, dir)), 1, I, gates, 1, 0));
            RNN_TRY(o->bias(o, gates, rnn_at(P, bxo), TN, G, Gb));
            int64_t tprev = 0;
            for (int64_t s = 0; s < S; s++) {
                const int64_t t = dir ? S - 1 - s : s;
                rnn_buf gt = rnn_at(gates, t * N * G), yt = rnn_at(yl, t * N * DH + dir * Ps);
                rnn_buf hp = s == 0 ? rnn_at(H0, k * N * Ps) : rnn_at(yl, tprev * N * DH + dir * Ps);
                const int64_t ldp = s == 0 ? Ps : DH;
                if (r->mode == RNN_M_GRU) {
                    RNN_TRY(o->gemm(o, N, G, H, hp, ldp, 1, Wh, 1, H, HW, 1, 0));
                    RNN_TRY(o->gru_fw(o, gt, HW, rnn_at(P, bxo + G + 2 * H), hp, ldp,
                                      rnn_at(R, lo.cells + k * TN * H + t * N * H), yt, DH, N, H));
                } else {
                    RNN_TRY(o->gemm(o, N, G, Ps, hp, ldp, 1, Wh, 1, Ps, gt, 1, 1));
                    if (r->mode == RNN_M_LSTM) {
                        rnn_buf cp = s == 0 ? rnn_at(C0, k * N * H) : rnn_at(R, lo.cells + k * TN * H + tprev * N * H);
                        rnn_buf ct = rnn_at(R, lo.cells + k * TN * H + t * N * H);
                        if (r->proj) { /* o * tanh(c) to the reserve, then h = it W_rᵀ */
                            rnn_buf hc = rnn_at(R, lo.hpre + k * TN * H + t * N * H);
                            RNN_TRY(o->lstm_fw(o, gt, cp, ct, hc, H, N, H, r->lo, r->hi));
                            RNN_TRY(o->gemm(o, N, Ps, H, hc, H, 1, rnn_at(P, rnn_d_wr_off(r, l, dir)), 1, H, HW, 1, 0));
                            RNN_TRY(o->copy_rows(o, HW, Ps, yt, DH, N, Ps));
                        } else {
                            RNN_TRY(o->lstm_fw(o, gt, cp, ct, yt, DH, N, H, r->lo, r->hi));
                        }
                    } else {
                        RNN_TRY(o->act_fw(o, gt, yt, DH, N, H, r->mode == RNN_M_RELU));
                    }
                }
                if (r->use_len) { /* samples past their length keep their states */
                    RNN_TRY(o->keep_rows(o, yt, DH, hp, ldp, r->len, t, N, Ps));
                    if (r->mode == RNN_M_LSTM)
                        RNN_TRY(o->keep_rows(o, rnn_at(R, lo.cells + k * TN * H + t * N * H), H,
                                             s == 0 ? rnn_at(C0, k * N * H) : rnn_at(R, lo.cells + k * TN * H + tprev * N * H),
                                             H, r->len, t, N, H));
                }
                tprev = t;
            }
            const int64_t tl = dir ? 0 : S - 1; /* last step in processing order */
            if (HY.buf) {
                if (S) RNN_TRY(o->copy_rows(o, rnn_at(yl, tl * N * DH + dir * Ps), DH, rnn_at(HY, k * N * Ps), Ps, N, Ps));
                else RNN_TRY(o->copy_rows(o, rnn_at(H0, k * N * Ps), Ps, rnn_at(HY, k * N * Ps), Ps, N, Ps));
            }
            if (CY.buf && r->mode == RNN_M_LSTM) {
                if (S)
                    RNN_TRY(o->copy_rows(o, rnn_at(R, lo.cells + k * TN * H + tl * N * H), H, rnn_at(CY, k * N * H), H, N, H));
                else
                    RNN_TRY(o->copy_rows(o, rnn_at(C0, k * N * H), H, rnn_at(CY, k * N * H), H, N, H));
            }
        }
    }
    if (r->use_len && TN) { /* y: the last layer's outputs, zero past each length */
        rnn_buf none = {NULL, 0};
        RNN_TRY(o->copy_rows(o, rnn_at(R, lo.ys + (r->L - 1) * TND), DH, Y, DH, TN, DH));
        for (int64_t t = 0; t < S; t++) RNN_TRY(o->keep_rows(o, rnn_at(Y, t * N * DH), DH, none, 0, r->len, t, N, DH));
    }
out:
    if (hw) o->release(o, hw);
    return rc;
}

/* RNN (outputs y[, hy[, cy]]) and _rnn_with_reserve (then the reserve) */
static inline int rnn_d_run_forward(rnn_ops *o, const mxb_call *c) {
    rnn_cfg_d r;
    if (rnn_d_config(c, &r)) return MXB_UNSUPPORTED;
    const int lstm = r.mode == RNN_M_LSTM, nv = r.state_outputs ? (lstm ? 3 : 2) : 1;
    if (c->n_in != (lstm ? 4 : 3) + r.use_len || c->n_out < nv || (r.use_len && !o->keep_rows)) return MXB_UNSUPPORTED;
    if (r.use_len) r.len = rnn_tensor(&c->in[c->n_in - 1]);
    r.dropout = c->training && r.p > 0 && r.L > 1;
    r.seed = c->rng_seed;
    r.offset = c->rng_offset;
    const rnn_layout lo = rnn_d_layout(&r);
    if (c->n_out > nv && c->out[nv].size != lo.total) return MXB_UNSUPPORTED;
    void *res = c->n_out > nv ? c->out[nv].buf : o->tmp(o, lo.total);
    if (!res) return MXB_ERROR;
    rnn_buf none = {NULL, 0}, R = {res, 0};
    int rc = rnn_d_forward(o, &r, rnn_tensor(&c->in[0]), rnn_tensor(&c->in[1]), rnn_tensor(&c->in[2]),
                           lstm ? rnn_tensor(&c->in[3]) : none, rnn_tensor(&c->out[0]),
                           nv > 1 ? rnn_tensor(&c->out[1]) : none, nv > 2 ? rnn_tensor(&c->out[2]) : none, R);
    if (c->n_out <= nv) o->release(o, res);
    return rc;
}

/* _backward_RNN: (data, parameters, state, state_cell, dy, dhy, dcy[,
 * reserve, out]) -> (ddata, dparameters, dstate, dstate_cell); without the
 * reserve the forward is recomputed into a workspace first. */
static inline int rnn_d_run_backward(rnn_ops *o, const mxb_call *c) {
    rnn_cfg_d r;
    if (rnn_d_config(c, &r)) return MXB_UNSUPPORTED;
    const int lstm = r.mode == RNN_M_LSTM, gru = r.mode == RNN_M_GRU, given = (int)mxb_attr_i(c, "has_reserve", 0);
    if (c->n_in != (given ? 9 : 7) + r.use_len || c->n_out != 4 || (r.use_len && !o->keep_rows)) return MXB_UNSUPPORTED;
    if (r.use_len) r.len = rnn_tensor(&c->in[c->n_in - 1]);
    r.dropout = mxb_attr_i(c, "fwd_training", 0) && r.p > 0 && r.L > 1;
    r.seed = (uint64_t)mxb_attr_i(c, "seed", 0);
    r.offset = (uint64_t)mxb_attr_i(c, "offset", 0);
    const int64_t N = r.N, H = r.H, Ps = r.P, D = r.D, G = r.G, S = r.S, TN = S * N, DH = D * Ps, TND = TN * DH;
    const rnn_layout lo = rnn_d_layout(&r);
    if (given && c->in[7].size != lo.total) return MXB_UNSUPPORTED;
    if (TN == 0) return MXB_UNSUPPORTED; /* nothing ran: the CPU op writes the pass-through states */
    rnn_buf X = rnn_tensor(&c->in[0]), P = rnn_tensor(&c->in[1]), H0 = rnn_tensor(&c->in[2]);
    rnn_buf C0 = rnn_tensor(&c->in[3]), DY = rnn_tensor(&c->in[4]), DHY = rnn_tensor(&c->in[5]);
    rnn_buf DCY = rnn_tensor(&c->in[6]), DX = rnn_tensor(&c->out[0]), DP = rnn_tensor(&c->out[1]);
    rnn_buf DH0 = rnn_tensor(&c->out[2]), DC0 = rnn_tensor(&c->out[3]), none = {NULL, 0};
    void *res = NULL, *ys = NULL, *dg = NULL, *dr = NULL, *da = NULL, *db = NULL, *dhb = NULL, *dcb = NULL;
    void *pjb = NULL, *zb = NULL; /* projection: the cell output's grad (N, H); N*H zeros */
    void *lnb = NULL; /* lengths: saved dh (N, Ps), dc (N, H); projection: masked dy, dh (N, Ps) each */
    int rc = MXB_OK;
    if (given) {
        res = c->in[7].buf;
        ys = c->in[8].buf;
    } else {
        res = o->tmp(o, lo.total);
        ys = res ? o->tmp(o, TND) : NULL;
        if (!res || !ys) { rc = MXB_ERROR; goto out; }
    }
    {
        rnn_buf R = {res, 0}, Y = {ys, 0};
        if (!given) RNN_TRY(rnn_d_forward(o, &r, X, P, H0, lstm ? C0 : none, Y, none, none, R));
        dg = o->tmp(o, TN * G);
        dr = gru && dg ? o->tmp(o, TN * G) : dg;
        da = dr && r.L > 1 ? o->tmp(o, TND) : NULL;
        db = da ? o->tmp(o, TND) : NULL;
        dhb = (dr && (r.L == 1 || db)) ? o->tmp(o, N * Ps) : NULL;
        dcb = dhb ? o->tmp(o, N * H) : NULL;
        pjb = dcb && r.proj ? o->tmp(o, N * H) : NULL;
        if (!dcb || (r.proj && !pjb)) { rc = MXB_ERROR; goto out; }
        rnn_buf dG = {dg, 0}, dR = {dr, 0}, dya = {da, 0}, dyb = {db, 0}, dh = {dhb, 0}, dc = {dcb, 0};
        /* separate buffers: the OpenCL step kernels take DH/DC without an offset */
        zb = pjb ? o->tmp(o, N * H) : NULL;
        if (r.proj && !zb) { rc = MXB_ERROR; goto out; }
        rnn_buf dhp = {pjb, 0}, zero = {zb, 0};
        if (r.proj) RNN_TRY(o->fill(o, zero, N * H, 0));
        lnb = r.use_len ? o->tmp(o, N * (3 * Ps + H)) : NULL;
        if (r.use_len && !lnb) { rc = MXB_ERROR; goto out; }
        rnn_buf lnv = {lnb, 0}, nob = {NULL, 0};
        rnn_buf dhs = lnv, dcs = rnn_at(lnv, N * Ps), mdy = rnn_at(lnv, N * (Ps + H)), mdh = rnn_at(lnv, N * (2 * Ps + H));
        if (!lstm) RNN_TRY(o->fill(o, DC0, r.L * D * N * H, 0)); /* unused output */
        rnn_buf dyl = DY;
        for (int64_t l = r.L - 1; l >= 0; l--) {
            const int64_t I = l == 0 ? r.I : DH;
            rnn_buf xin = rnn_d_layer_input(&r, &lo, X, R, l);
            rnn_buf yl = l == r.L - 1 && !r.use_len ? Y : rnn_at(R, lo.ys + l * TND), dxl = l == 0 ? DX : dyb;
            for (int64_t dir = 0; dir < D; dir++) {
                const int64_t k = l * D + dir, dbx = rnn_d_b_off(&r, l, dir);
                rnn_buf Wh = rnn_at(P, rnn_d_wh_off(&r, l, dir)), Wx = rnn_at(P, rnn_d_wx_off(&r, l, dir));
                rnn_buf dWh = rnn_at(DP, rnn_d_wh_off(&r, l, dir)), dWx = rnn_at(DP, rnn_d_wx_off(&r, l, dir));
                rnn_buf gates = rnn_at(R, k * TN * G), st = rnn_at(R, lo.cells + k * TN * H);
                if (r.state_outputs) RNN_TRY(o->copy_rows(o, rnn_at(DHY, k * N * Ps), Ps, dh, Ps, N, Ps));
                else RNN_TRY(o->fill(o, dh, N * Ps, 0));
                if (lstm && r.state_outputs) RNN_TRY(o->copy_rows(o, rnn_at(DCY, k * N * H), H, dc, H, N, H));
                else RNN_TRY(o->fill(o, dc, N * H, 0));
                for (int64_t s = S - 1; s >= 0; s--) {
                    const int64_t t = dir ? S - 1 - s : s, tp = dir ? t + 1 : t - 1;
                    rnn_buf gt = rnn_at(gates, t * N * G), dyt = rnn_at(dyl, t * N * DH + dir * Ps);
                    rnn_buf dgt = rnn_at(dG, t * N * G), drt = rnn_at(dR, t * N * G);
                    if (r.use_len) { /* rows past their length pass dh, dc on: keep them */
                        RNN_TRY(o->copy_rows(o, dh, Ps, dhs, Ps, N, Ps));
                        if (lstm) RNN_TRY(o->copy_rows(o, dc, H, dcs, H, N, H));
                    }
                    if (lstm && r.proj) {
                        /* dh_t = dy_t + dh: dW_r += dh_tᵀ (o * tanh(c)_t), the cell output's grad is dh_t W_r */
                        const int64_t wr = rnn_d_wr_off(&r, l, dir);
                        rnn_buf hc = rnn_at(R, lo.hpre + k * TN * H + t * N * H), Wr = rnn_at(P, wr);
                        rnn_buf cp = s == 0 ? rnn_at(C0, k * N * H) : rnn_at(st, tp * N * H);
                        rnn_buf dyv = dyt, dhv = dh;
                        int64_t ldv = DH;
                        if (r.use_len) { /* rows past their length add nothing to dW_r */
                            RNN_TRY(o->copy_rows(o, dyt, DH, mdy, Ps, N, Ps));
                            RNN_TRY(o->keep_rows(o, mdy, Ps, nob, 0, r.len, t, N, Ps));
                            RNN_TRY(o->copy_rows(o, dh, Ps, mdh, Ps, N, Ps));
                            RNN_TRY(o->keep_rows(o, mdh, Ps, nob, 0, r.len, t, N, Ps));
                            dyv = mdy, dhv = mdh, ldv = Ps;
                        }
                        RNN_TRY(o->gemm(o, Ps, H, N, dyv, 1, ldv, hc, H, 1, rnn_at(DP, wr), 1, s == S - 1 ? 0 : 1));
                        RNN_TRY(o->gemm(o, Ps, H, N, dhv, 1, Ps, hc, H, 1, rnn_at(DP, wr), 1, 1));
                        RNN_TRY(o->gemm(o, N, H, Ps, dyv, ldv, 1, Wr, H, 1, dhp, 1, 0));
                        RNN_TRY(o->gemm(o, N, H, Ps, dhv, Ps, 1, Wr, H, 1, dhp, 1, 1));
                        RNN_TRY(o->lstm_bw(o, gt, rnn_at(st, t * N * H), cp, dhp, H, zero, dc, dgt, N, H));
                    } else if (lstm) {
                        rnn_buf cp = s == 0 ? rnn_at(C0, k * N * H) : rnn_at(st, tp * N * H);
                        RNN_TRY(o->lstm_bw(o, gt, rnn_at(st, t * N * H), cp, dyt, DH, dh, dc, dgt, N, H));
                    } else if (gru) {
                        rnn_buf hp = s == 0 ? rnn_at(H0, k * N * H) : rnn_at(yl, tp * N * DH + dir * H);
                        RNN_TRY(o->gru_bw(o, gt, rnn_at(st, t * N * H), hp, s == 0 ? H : DH, dyt, DH, dh, dgt, drt, N, H));
                    } else {
                        RNN_TRY(o->act_bw(o, gt, dyt, DH, dh, dgt, N, H, r.mode == RNN_M_RELU));
                    }
                    if (r.use_len) { /* no gate gradients past a length; the cell gradient passes */
                        RNN_TRY(o->keep_rows(o, dgt, G, nob, 0, r.len, t, N, G));
                        if (gru) RNN_TRY(o->keep_rows(o, drt, G, nob, 0, r.len, t, N, G));
                        if (lstm) RNN_TRY(o->keep_rows(o, dc, H, dcs, H, r.len, t, N, H));
                    }
                    /* dh_{t-1} = dR_t Wh (+ the direct GRU path already in dh) */
                    RNN_TRY(o->gemm(o, N, Ps, G, drt, G, 1, Wh, Ps, 1, dh, 1, gru ? 1 : 0));
                    if (r.use_len) RNN_TRY(o->keep_rows(o, dh, Ps, dhs, Ps, r.len, t, N, Ps));
                }
                /* weight and bias gradients of all steps at once (see rnn_kernels.h) */
                RNN_TRY(o->gemm(o, G, Ps, N, rnn_at(dR, dir ? (S - 1) * N * G : 0), 1, G, rnn_at(H0, k * N * Ps), Ps, 1,
                                dWh, 1, 0));
                if (S > 1)
                    RNN_TRY(o->gemm(o, G, Ps, (S - 1) * N, rnn_at(dR, dir ? 0 : N * G), 1, G,
                                    rnn_at(yl, (dir ? N * DH : 0) + dir * Ps), DH, 1, dWh, 1, 1));
                RNN_TRY(o->col_sum(o, dG, TN, G, rnn_at(DP, dbx)));
                if (gru) RNN_TRY(o->col_sum(o, dR, TN, G, rnn_at(DP, dbx + G)));
                else RNN_TRY(o->copy_rows(o, rnn_at(DP, dbx), G, rnn_at(DP, dbx + G), G, 1, G));
                RNN_TRY(o->gemm(o, G, I, TN, dG, 1, G, xin, I, 1, dWx, 1, 0));
                RNN_TRY(o->gemm(o, TN, I, G, dG, G, 1, Wx, I, 1, dxl, 1, dir ? 1 : 0)); /* directions add up */
                RNN_TRY(o->copy_rows(o, dh, Ps, rnn_at(DH0, k * N * Ps), Ps, N, Ps));
                if (lstm) RNN_TRY(o->copy_rows(o, dc, H, rnn_at(DC0, k * N * H), H, N, H));
            }
            if (l > 0) {
                /* through the dropout between layer l-1 and l */
                if (r.dropout) {
                    RNN_TRY(o->dropout(o, dyb, dya, TND, (l - 1) * TND, r.seed, r.offset, r.p));
                } else {
                    rnn_buf tmp = dya;
                    dya = dyb, dyb = tmp;
                }
                dyl = dya;
            }
        }
    }
out:
    if (!given) {
        if (res) o->release(o, res);
        if (ys) o->release(o, ys);
    }
    if (dr && dr != dg) o->release(o, dr);
    if (dg) o->release(o, dg);
    if (da) o->release(o, da);
    if (db) o->release(o, db);
    if (dhb) o->release(o, dhb);
    if (dcb) o->release(o, dcb);
    if (pjb) o->release(o, pjb);
    if (zb) o->release(o, zb);
    if (lnb) o->release(o, lnb);
    return rc;
}

#undef RNN_TRY

/* RNN / _rnn_with_reserve / _backward_RNN */
static inline int rnn_d_run(rnn_ops *o, const mxb_call *c) {
    return !strcmp(c->op, "_backward_RNN") ? rnn_d_run_backward(o, c) : rnn_d_run_forward(o, c);
}

/* _rnn_param_flat (parts in, the whole vector out) and its backward (the
 * whole gradient in, the parts out): parts lie back to back in the whole.
 * copy(ctx, whole, byte offset, part, bytes, to_part) moves one part. */
typedef int (*rnn_flat_copy_fn)(void *ctx, const mxb_tensor *whole, size_t off, const mxb_tensor *part, size_t nbytes,
                                int to_part, char *err, size_t errlen);

static inline int rnn_d_param_flat(void *ctx, const mxb_call *c, rnn_flat_copy_fn copy, char *err, size_t errlen) {
    const int bw = !strncmp(c->op, "_backward_", 10), n = bw ? c->n_out : c->n_in;
    const mxb_tensor *whole = bw ? &c->in[0] : &c->out[0];
    const size_t es = mxb_dtype_size(whole->dtype), total = (size_t)whole->size * es;
    size_t off = 0;
    for (int i = 0; i < n; i++) {
        const mxb_tensor *part = bw ? &c->out[i] : &c->in[i];
        const size_t nb = (size_t)part->size * es;
        if (part->dtype != whole->dtype || off + nb > total) return MXB_UNSUPPORTED;
        int rc = nb ? copy(ctx, whole, off, part, nb, bw, err, errlen) : MXB_OK;
        if (rc != MXB_OK) return rc;
        off += nb;
    }
    return MXB_OK;
}

#endif
