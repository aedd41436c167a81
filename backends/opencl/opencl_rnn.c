/* opencl_rnn.c — the fused RNN op on OpenCL devices: RNN / _rnn_with_reserve
 * (forward) and _backward_RNN (BPTT), every mode (rnn_relu, rnn_tanh, lstm,
 * gru), stacked and bidirectional, LSTM state clipping and dropout between
 * layers.
 *
 * The algorithm and the reserve layout are core/ops/rnn.c's (see
 * rnn_kernels.h there): per (layer, direction) one GEMM projects all time
 * steps, then each step is one h2h GEMM plus one gate kernel
 * (kernels_rnn_cl.h); BPTT runs one GEMM per step for the recurrent
 * gradient and one GEMM each for the weight gradients of all steps. The
 * reserve holds the same values at the same offsets as on the CPU, so a
 * forward on the device and a backward on the CPU (or the reverse) agree.
 * Configurations the CPU op rejects (projection_size, use_sequence_length)
 * return MXB_UNSUPPORTED, so the CPU op reports the error. Also here:
 * _rnn_param_flat, which Gluon's RNN layers use to build the flat parameter
 * vector. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "opencl_internal.h"

enum { M_RELU, M_TANH, M_LSTM, M_GRU };

typedef struct {
    int mode, state_outputs, dropout, dt;
    cl_long S, N, I, H, L, D, ng, G;
    double p, lo, hi;
    uint64_t seed, offset;
    size_t es;
} rcfg;

/* ---- layout (rnn.c: rnn_wx_off, rnn_wh_off, rnn_b_off, rnn_reserve_size) ---- */
static cl_long wx_off(const rcfg *c, cl_long l, cl_long d) {
    cl_long off = 0, DH = c->D * c->H;
    for (cl_long ll = 0; ll < l; ll++) off += c->D * c->G * ((ll == 0 ? c->I : DH) + c->H);
    return off + d * c->G * ((l == 0 ? c->I : DH) + c->H);
}
static cl_long wh_off(const rcfg *c, cl_long l, cl_long d) { return wx_off(c, l, d) + c->G * (l == 0 ? c->I : c->D * c->H); }
static cl_long b_off(const rcfg *c, cl_long l, cl_long d) { return wx_off(c, c->L, 0) + (l * c->D + d) * 2 * c->G; }
static int has_xd(const rcfg *c) { return c->p > 0 && c->L > 1; }

typedef struct {
    cl_long gates, cells, ys, xd, total; /* element offsets into the reserve */
} rlayout;

static rlayout layout(const rcfg *c) {
    const cl_long TN = c->S * c->N, K = c->L * c->D, TND = TN * c->D * c->H;
    rlayout r = {0};
    r.cells = K * TN * c->G;
    r.ys = r.cells + (c->mode == M_LSTM || c->mode == M_GRU ? K * TN * c->H : 0);
    r.xd = r.ys + (c->L - 1) * TND;
    r.total = r.xd + (has_xd(c) ? (c->L - 1) * TND : 0);
    return r;
}

static int parse_clip(const mxb_call *c, const char *name, double *v) {
    const mxb_attr *a = mxb_attr_find(c, name);
    if (!a || !a->s || !*a->s || !strcmp(a->s, "None")) return 0;
    char *end;
    *v = strtod(a->s, &end);
    return end != a->s && !*end ? 0 : -1;
}

/* Config from the attrs and data (in[0]); MXB_UNSUPPORTED for what the
 * CPU op handles (or rejects) itself. */
static int config(cl_dev *d, const mxb_call *c, rcfg *r) {
    memset(r, 0, sizeof *r);
    r->dt = call_dtype(d, c, c->n_in);
    const mxb_attr *proj = mxb_attr_find(c, "projection_size");
    if (r->dt < 0 || (proj && !proj->is_none) || mxb_attr_i(c, "use_sequence_length", 0) || c->in[0].ndim != 3)
        return MXB_UNSUPPORTED;
    r->mode = (int)mxb_attr_i(c, "mode", -1);
    r->H = mxb_attr_i(c, "state_size", 0);
    r->L = mxb_attr_i(c, "num_layers", 0);
    r->D = mxb_attr_i(c, "bidirectional", 0) ? 2 : 1;
    r->ng = r->mode == M_LSTM ? 4 : r->mode == M_GRU ? 3 : 1;
    r->G = r->ng * r->H;
    r->p = mxb_attr_f(c, "p", 0);
    r->state_outputs = (int)mxb_attr_i(c, "state_outputs", 0);
    r->lo = -INFINITY;
    r->hi = INFINITY;
    if (r->mode < 0 || r->H <= 0 || r->L <= 0 || r->p >= 1 || parse_clip(c, "lstm_state_clip_min", &r->lo) ||
        parse_clip(c, "lstm_state_clip_max", &r->hi))
        return MXB_UNSUPPORTED;
    if (r->mode != M_LSTM) r->lo = -INFINITY, r->hi = INFINITY;
    r->S = c->in[0].shape[0];
    r->N = c->in[0].shape[1];
    r->I = c->in[0].shape[2];
    r->es = mxb_dtype_size(r->dt);
    if (c->in[1].size != b_off(r, r->L, 0)) return MXB_UNSUPPORTED; /* the CPU op names the expected size */
    return MXB_OK;
}

/* A device buffer of n elements, released by the caller (clReleaseMemObject
 * is safe right after enqueueing: the runtime keeps it for queued work). */
static cl_mem tmp_buf(cl_dev *d, const rcfg *r, cl_long n, char *err, size_t errlen) {
    cl_int e;
    cl_mem m = clCreateBuffer(d->ctx, CL_MEM_READ_WRITE, (size_t)(n > 0 ? n : 1) * r->es, NULL, &e);
    if (e != CL_SUCCESS) {
        mxcl_fail(err, errlen, "RNN workspace (%lld elements): %s", (long long)n, cl_err_name(e));
        return NULL;
    }
    return m;
}

static int copy_rows(cl_dev *d, const rcfg *r, cl_mem S, cl_long so, cl_long lds, cl_mem D, cl_long dso, cl_long ldd,
                     cl_long rows, cl_long W, char *err, size_t errlen) {
    karg a[] = {KA(S), KA(so), KA(lds), KA(D), KA(dso), KA(ldd), KA(rows), KA(W)};
    return launch(d, "RNN", "rnn_copy", r->dt, (size_t)(rows * W), a, NARGS(a), err, errlen);
}

static int fill_at(cl_dev *d, const rcfg *r, cl_mem D, cl_long dso, cl_long n, double v, char *err, size_t errlen) {
    TSCALAR(val, r->dt, v);
    karg a[] = {KA(D), KA(dso), KA(n), val};
    return launch(d, "RNN", "rnn_fill", r->dt, (size_t)n, a, NARGS(a), err, errlen);
}

/* dropout of n elements of the inter-layer stream starting at element base */
static int dropout(cl_dev *d, const rcfg *r, cl_mem S, cl_long so, cl_mem D, cl_long dso, cl_long n, cl_long base,
                   char *err, size_t errlen) {
    cl_ulong seed = r->seed, off = r->offset, thr = (cl_ulong)ceil(r->p * 4294967296.0);
    TSCALAR(scale, r->dt, 1.0 / (1.0 - r->p));
    karg a[] = {KA(S), KA(so), KA(D), KA(dso), KA(n), KA(base), KA(seed), KA(off), KA(thr), scale};
    return launch(d, "RNN", "rnn_dropout", r->dt, (size_t)n, a, NARGS(a), err, errlen);
}

/* the input of layer l: x, or the previous layer's (dropped-out) output */
static void layer_input(const rcfg *r, const rlayout *lo, cl_mem X, cl_mem R, cl_long l, cl_mem *buf, cl_long *off) {
    const cl_long TND = r->S * r->N * r->D * r->H;
    if (l == 0) { *buf = X; *off = 0; return; }
    *buf = R;
    *off = (r->dropout ? lo->xd : lo->ys) + (l - 1) * TND;
}

#define TRY(x)                              \
    do {                                    \
        if ((rc = (x)) != MXB_OK) goto out; \
    } while (0)

/* Forward of all layers into Y, the reserve R and optionally HY/CY. */
static int forward(cl_dev *d, const rcfg *r, cl_mem X, cl_mem P, cl_mem H0, cl_mem C0, cl_mem Y, cl_mem HY, cl_mem CY,
                   cl_mem R, char *err, size_t errlen) {
    const cl_long N = r->N, H = r->H, D = r->D, G = r->G, S = r->S, TN = S * N, DH = D * H, TND = TN * DH;
    const rlayout lo = layout(r);
    int rc = MXB_OK;
    cl_mem HW = r->mode == M_GRU ? tmp_buf(d, r, N * G, err, errlen) : NULL;
    if (r->mode == M_GRU && !HW) return MXB_ERROR;
    for (cl_long l = 0; l < r->L; l++) {
        const cl_long I = l == 0 ? r->I : DH;
        if (l > 0 && r->dropout) TRY(dropout(d, r, R, lo.ys + (l - 1) * TND, R, lo.xd + (l - 1) * TND, TND, (l - 1) * TND, err, errlen));
        cl_mem xin, yl = l == r->L - 1 ? Y : R;
        cl_long xo, ylo = l == r->L - 1 ? 0 : lo.ys + l * TND;
        layer_input(r, &lo, X, R, l, &xin, &xo);
        for (cl_long dir = 0; dir < D; dir++) {
            const cl_long k = l * D + dir, go = k * TN * G, bxo = b_off(r, l, dir), who = wh_off(r, l, dir);
            const cl_long Gb = r->mode == M_GRU ? 2 * H : G;
            TRY(gemm_at(d, "RNN", r->dt, TN, G, I, xin, xo, I, 1, P, wx_off(r, l, dir), 1, I, R, go, 1, 0, err, errlen));
            karg ab[] = {KA(R), KA(go), KA(P), KA(bxo), KA(TN), KA(G), KA(Gb)};
            TRY(launch(d, "RNN", "rnn_bias", r->dt, (size_t)(TN * G), ab, NARGS(ab), err, errlen));
            cl_long tprev = 0;
            for (cl_long s = 0; s < S; s++) {
                const cl_long t = dir ? S - 1 - s : s, gt = go + t * N * G, yo = ylo + t * N * DH + dir * H;
                cl_mem hp = s == 0 ? H0 : yl;
                cl_long hpo = s == 0 ? k * N * H : ylo + tprev * N * DH + dir * H, ldp = s == 0 ? H : DH;
                if (r->mode == M_GRU) {
                    TRY(gemm_at(d, "RNN", r->dt, N, G, H, hp, hpo, ldp, 1, P, who, 1, H, HW, 0, 1, 0, err, errlen));
                    cl_long bhno = bxo + G + 2 * H, hno = lo.cells + k * TN * H + t * N * H;
                    karg a[] = {KA(R), KA(gt), KA(HW), KA(P), KA(bhno), KA(hp), KA(hpo), KA(ldp), KA(R), KA(hno),
                                KA(yl), KA(yo), KA(DH), KA(N), KA(H)};
                    TRY(launch(d, "RNN", "gru_fw", r->dt, (size_t)(N * H), a, NARGS(a), err, errlen));
                } else {
                    TRY(gemm_at(d, "RNN", r->dt, N, G, H, hp, hpo, ldp, 1, P, who, 1, H, R, gt, 1, 1, err, errlen));
                    if (r->mode == M_LSTM) {
                        cl_mem cp = s == 0 ? C0 : R;
                        cl_long cpo = s == 0 ? k * N * H : lo.cells + k * TN * H + tprev * N * H;
                        cl_long cto = lo.cells + k * TN * H + t * N * H;
                        TSCALAR(clo, r->dt, r->lo);
                        TSCALAR(chi, r->dt, r->hi);
                        karg a[] = {KA(R), KA(gt), KA(cp), KA(cpo), KA(R), KA(cto), KA(yl), KA(yo), KA(DH), KA(N), KA(H),
                                    clo, chi};
                        TRY(launch(d, "RNN", "lstm_fw", r->dt, (size_t)(N * H), a, NARGS(a), err, errlen));
                    } else {
                        int relu = r->mode == M_RELU;
                        karg a[] = {KA(R), KA(gt), KA(yl), KA(yo), KA(DH), KA(N), KA(H), KA(relu)};
                        TRY(launch(d, "RNN", "rnn_act_fw", r->dt, (size_t)(N * H), a, NARGS(a), err, errlen));
                    }
                }
                tprev = t;
            }
            const cl_long tl = dir ? 0 : S - 1; /* last step in processing order */
            if (HY) {
                if (S) TRY(copy_rows(d, r, yl, ylo + tl * N * DH + dir * H, DH, HY, k * N * H, H, N, H, err, errlen));
                else TRY(copy_rows(d, r, H0, k * N * H, H, HY, k * N * H, H, N, H, err, errlen));
            }
            if (CY && r->mode == M_LSTM) {
                if (S) TRY(copy_rows(d, r, R, lo.cells + k * TN * H + tl * N * H, H, CY, k * N * H, H, N, H, err, errlen));
                else TRY(copy_rows(d, r, C0, k * N * H, H, CY, k * N * H, H, N, H, err, errlen));
            }
        }
    }
out:
    if (HW) clReleaseMemObject(HW);
    return rc;
}

/* RNN (outputs y[, hy[, cy]]) and _rnn_with_reserve (then the reserve) */
int k_rnn(void *ctx, const mxb_call *c, char *err, size_t errlen) {
    cl_dev *d = ctx;
    rcfg r;
    int rc = config(d, c, &r);
    if (rc != MXB_OK) return rc;
    const int lstm = r.mode == M_LSTM, nv = r.state_outputs ? (lstm ? 3 : 2) : 1;
    if (c->n_in != (lstm ? 4 : 3) || c->n_out < nv) return MXB_UNSUPPORTED;
    r.dropout = c->training && r.p > 0 && r.L > 1;
    r.seed = c->rng_seed;
    r.offset = c->rng_offset;
    const rlayout lo = layout(&r);
    cl_mem R = c->n_out > nv ? BUF(c->out[nv]) : tmp_buf(d, &r, lo.total, err, errlen);
    if (!R) return MXB_ERROR;
    if (c->n_out > nv && c->out[nv].size != lo.total) return MXB_UNSUPPORTED;
    rc = forward(d, &r, BUF(c->in[0]), BUF(c->in[1]), BUF(c->in[2]), lstm ? BUF(c->in[3]) : NULL, BUF(c->out[0]),
                 nv > 1 ? BUF(c->out[1]) : NULL, nv > 2 ? BUF(c->out[2]) : NULL, R, err, errlen);
    if (c->n_out <= nv) clReleaseMemObject(R);
    return rc;
}

/* _backward_RNN: (data, parameters, state, state_cell, dy, dhy, dcy[,
 * reserve, out]) -> (ddata, dparameters, dstate, dstate_cell); without the
 * reserve the forward is recomputed into a workspace first. */
int k_rnn_bw(void *ctx, const mxb_call *c, char *err, size_t errlen) {
    cl_dev *d = ctx;
    rcfg r;
    int rc = config(d, c, &r);
    if (rc != MXB_OK) return rc;
    const int lstm = r.mode == M_LSTM, gru = r.mode == M_GRU, given = (int)mxb_attr_i(c, "has_reserve", 0);
    if (c->n_in != (given ? 9 : 7) || c->n_out != 4) return MXB_UNSUPPORTED;
    r.dropout = mxb_attr_i(c, "fwd_training", 0) && r.p > 0 && r.L > 1;
    r.seed = (uint64_t)mxb_attr_i(c, "seed", 0);
    r.offset = (uint64_t)mxb_attr_i(c, "offset", 0);
    const cl_long N = r.N, H = r.H, D = r.D, G = r.G, S = r.S, TN = S * N, DH = D * H, TND = TN * DH;
    const rlayout lo = layout(&r);
    if (given && c->in[7].size != lo.total) return MXB_UNSUPPORTED;
    if (TN == 0) return MXB_UNSUPPORTED; /* nothing ran: the CPU op writes the pass-through states */
    cl_mem X = BUF(c->in[0]), P = BUF(c->in[1]), H0 = BUF(c->in[2]), C0 = BUF(c->in[3]), DY = BUF(c->in[4]);
    cl_mem DHY = BUF(c->in[5]), DCY = BUF(c->in[6]);
    cl_mem DX = BUF(c->out[0]), DP = BUF(c->out[1]), DH0 = BUF(c->out[2]), DC0 = BUF(c->out[3]);
    cl_mem R = NULL, Y = NULL, dG = NULL, dR = NULL, dya = NULL, dyb = NULL, dh = NULL, dc = NULL;
    if (given) {
        R = BUF(c->in[7]);
        Y = BUF(c->in[8]);
    } else {
        R = tmp_buf(d, &r, lo.total, err, errlen);
        Y = R ? tmp_buf(d, &r, TND, err, errlen) : NULL;
        if (!R || !Y) { rc = MXB_ERROR; goto out; }
        TRY(forward(d, &r, X, P, H0, lstm ? C0 : NULL, Y, NULL, NULL, R, err, errlen));
    }
    dG = tmp_buf(d, &r, TN * G, err, errlen);
    dR = gru && dG ? tmp_buf(d, &r, TN * G, err, errlen) : dG;
    dya = dR && r.L > 1 ? tmp_buf(d, &r, TND, err, errlen) : NULL;
    dyb = dya ? tmp_buf(d, &r, TND, err, errlen) : NULL;
    dh = (dR && (r.L == 1 || dyb)) ? tmp_buf(d, &r, N * H, err, errlen) : NULL;
    dc = dh ? tmp_buf(d, &r, N * H, err, errlen) : NULL;
    if (!dc) { rc = MXB_ERROR; goto out; }
    if (!lstm) TRY(fill_at(d, &r, DC0, 0, r.L * D * N * H, 0, err, errlen)); /* unused output */
    cl_mem dyl = DY;
    for (cl_long l = r.L - 1; l >= 0; l--) {
        const cl_long I = l == 0 ? r.I : DH;
        cl_mem xin, yl = l == r.L - 1 ? Y : R, dxl = l == 0 ? DX : dyb;
        cl_long xo, ylo = l == r.L - 1 ? 0 : lo.ys + l * TND;
        layer_input(&r, &lo, X, R, l, &xin, &xo);
        for (cl_long dir = 0; dir < D; dir++) {
            const cl_long k = l * D + dir, go = k * TN * G, who = wh_off(&r, l, dir), wxo = wx_off(&r, l, dir);
            const cl_long dbx = b_off(&r, l, dir), dbh = dbx + G;
            if (r.state_outputs) TRY(copy_rows(d, &r, DHY, k * N * H, H, dh, 0, H, N, H, err, errlen));
            else TRY(fill_at(d, &r, dh, 0, N * H, 0, err, errlen));
            if (lstm && r.state_outputs) TRY(copy_rows(d, &r, DCY, k * N * H, H, dc, 0, H, N, H, err, errlen));
            else TRY(fill_at(d, &r, dc, 0, N * H, 0, err, errlen));
            for (cl_long s = S - 1; s >= 0; s--) {
                const cl_long t = dir ? S - 1 - s : s, tp = dir ? t + 1 : t - 1;
                const cl_long gt = go + t * N * G, dyo = t * N * DH + dir * H, dgo = t * N * G;
                if (lstm) {
                    cl_mem cp = s == 0 ? C0 : R;
                    cl_long cto = lo.cells + k * TN * H + t * N * H;
                    cl_long cpo = s == 0 ? k * N * H : lo.cells + k * TN * H + tp * N * H;
                    karg a[] = {KA(R), KA(gt), KA(R), KA(cto), KA(cp), KA(cpo), KA(dyl), KA(dyo), KA(DH), KA(dh), KA(dc),
                                KA(dG), KA(dgo), KA(N), KA(H)};
                    TRY(launch(d, "_backward_RNN", "lstm_bw", r.dt, (size_t)(N * H), a, NARGS(a), err, errlen));
                } else if (gru) {
                    cl_mem hp = s == 0 ? H0 : yl;
                    cl_long hpo = s == 0 ? k * N * H : ylo + tp * N * DH + dir * H, ldp = s == 0 ? H : DH;
                    cl_long hno = lo.cells + k * TN * H + t * N * H;
                    karg a[] = {KA(R), KA(gt), KA(R), KA(hno), KA(hp), KA(hpo), KA(ldp), KA(dyl), KA(dyo), KA(DH), KA(dh),
                                KA(dG), KA(dgo), KA(dR), KA(dgo), KA(N), KA(H)};
                    TRY(launch(d, "_backward_RNN", "gru_bw", r.dt, (size_t)(N * H), a, NARGS(a), err, errlen));
                } else {
                    int relu = r.mode == M_RELU;
                    karg a[] = {KA(R), KA(gt), KA(dyl), KA(dyo), KA(DH), KA(dh), KA(dG), KA(dgo), KA(N), KA(H), KA(relu)};
                    TRY(launch(d, "_backward_RNN", "rnn_act_bw", r.dt, (size_t)(N * H), a, NARGS(a), err, errlen));
                }
                /* dh_{t-1} = dR_t Wh (+ the direct GRU path already in dh) */
                TRY(gemm_at(d, "_backward_RNN", r.dt, N, H, G, dR, dgo, G, 1, P, who, H, 1, dh, 0, 1, gru ? 1 : 0, err,
                            errlen));
            }
            /* weight and bias gradients of all steps at once (see rnn_kernels.h) */
            const cl_long dr0 = dir ? (S - 1) * N * G : 0;
            TRY(gemm_at(d, "_backward_RNN", r.dt, G, H, N, dR, dr0, 1, G, H0, k * N * H, H, 1, DP, who, 1, 0, err, errlen));
            if (S > 1) {
                cl_long ao = dir ? 0 : N * G, bo = dir ? ylo + N * DH + dir * H : ylo + dir * H;
                TRY(gemm_at(d, "_backward_RNN", r.dt, G, H, (S - 1) * N, dR, ao, 1, G, yl, bo, DH, 1, DP, who, 1, 1, err,
                            errlen));
            }
            karg sb[] = {KA(dG), KA(TN), KA(G), KA(DP), KA(dbx)};
            TRY(launch(d, "_backward_RNN", "rnn_col_sum", r.dt, (size_t)G, sb, NARGS(sb), err, errlen));
            if (gru) {
                karg sh[] = {KA(dR), KA(TN), KA(G), KA(DP), KA(dbh)};
                TRY(launch(d, "_backward_RNN", "rnn_col_sum", r.dt, (size_t)G, sh, NARGS(sh), err, errlen));
            } else {
                TRY(copy_rows(d, &r, DP, dbx, G, DP, dbh, G, 1, G, err, errlen));
            }
            TRY(gemm_at(d, "_backward_RNN", r.dt, G, I, TN, dG, 0, 1, G, xin, xo, I, 1, DP, wxo, 1, 0, err, errlen));
            TRY(gemm_at(d, "_backward_RNN", r.dt, TN, I, G, dG, 0, G, 1, P, wxo, I, 1, dxl, 0, 1, dir ? 1 : 0, err,
                        errlen)); /* directions add up */
            TRY(copy_rows(d, &r, dh, 0, H, DH0, k * N * H, H, N, H, err, errlen));
            if (lstm) TRY(copy_rows(d, &r, dc, 0, H, DC0, k * N * H, H, N, H, err, errlen));
        }
        if (l > 0) {
            /* through the dropout between layer l-1 and l */
            if (r.dropout) {
                TRY(dropout(d, &r, dyb, 0, dya, 0, TND, (l - 1) * TND, err, errlen));
            } else {
                cl_mem tmp = dya;
                dya = dyb, dyb = tmp;
            }
            dyl = dya;
        }
    }
out:
    if (!given) {
        if (R) clReleaseMemObject(R);
        if (Y) clReleaseMemObject(Y);
    }
    if (dR && dR != dG) clReleaseMemObject(dR);
    if (dG) clReleaseMemObject(dG);
    if (dya) clReleaseMemObject(dya);
    if (dyb) clReleaseMemObject(dyb);
    if (dh) clReleaseMemObject(dh);
    if (dc) clReleaseMemObject(dc);
    return rc;
}

/* _rnn_param_flat: the inputs (Gluon's per-layer weights and biases) back to
 * back in one vector, and its backward, which hands each input its slice.
 * Byte copies on the device queue, any dtype. */
int k_rnn_param_flat(void *ctx, const mxb_call *c, char *err, size_t errlen) {
    cl_dev *d = ctx;
    const int bw = !strncmp(c->op, "_backward_", 10);
    const mxb_tensor *whole = bw ? &c->in[0] : &c->out[0];
    const int n = bw ? c->n_out : c->n_in;
    size_t off = 0, es = mxb_dtype_size(whole->dtype);
    for (int i = 0; i < n; i++) {
        const mxb_tensor *part = bw ? &c->out[i] : &c->in[i];
        if (part->dtype != whole->dtype) return MXB_UNSUPPORTED;
        size_t nb = (size_t)part->size * es;
        if (off + nb > (size_t)whole->size * es) return MXB_UNSUPPORTED;
        if (nb && bw) CLCHECK(clEnqueueCopyBuffer(d->q, BUF(*whole), BUF(*part), off, 0, nb, 0, NULL, NULL), c->op);
        if (nb && !bw) CLCHECK(clEnqueueCopyBuffer(d->q, BUF(*part), BUF(*whole), 0, off, nb, 0, NULL, NULL), c->op);
        off += nb;
    }
    d->last_op = c->op;
    return MXB_OK;
}
