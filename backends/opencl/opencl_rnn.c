/* opencl_rnn.c — the fused RNN op on OpenCL devices: the device primitives
 * of backends/common/rnn_driver.h (which holds the algorithm, shared with
 * the CUDA module): GEMMs on buffer offsets and the gate kernels of
 * kernels_rnn_cl.h. Also _rnn_param_flat, which Gluon's RNN layers use to
 * build the flat parameter vector. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../common/rnn_driver.h"
#include "opencl_internal.h"

#define CTX(o) ((cl_dev *)(o)->ctx)
#define CLB(b) ((cl_mem)(b).buf)

static int o_gemm(const rnn_ops *o, int64_t M, int64_t N, int64_t K, rnn_buf A, int64_t ars, int64_t acs, rnn_buf B,
                  int64_t brs, int64_t bcs, rnn_buf C, double alpha, double beta) {
    return gemm_at(CTX(o), "RNN", o->dt, M, N, K, CLB(A), A.off, ars, acs, CLB(B), B.off, brs, bcs, CLB(C), C.off, alpha,
                   beta, o->err, o->errlen);
}

/* launch kernel `name` (dtype suffix added) over n work items */
static int o_launch(const rnn_ops *o, const char *name, int64_t n, const karg *a, int na) {
    return launch(CTX(o), "RNN", name, o->dt, (size_t)n, a, na, o->err, o->errlen);
}

static int o_bias(const rnn_ops *o, rnn_buf G, rnn_buf P, int64_t rows, int64_t Gn, int64_t Gb) {
    cl_mem g = CLB(G), p = CLB(P);
    cl_long go = G.off, po = P.off, r = rows, gn = Gn, gb = Gb;
    karg a[] = {KA(g), KA(go), KA(p), KA(po), KA(r), KA(gn), KA(gb)};
    return o_launch(o, "rnn_bias", rows * Gn, a, NARGS(a));
}

static int o_lstm_fw(const rnn_ops *o, rnn_buf G, rnn_buf Cp, rnn_buf Ct, rnn_buf Y, int64_t ldo, int64_t N, int64_t H,
                     double lo, double hi) {
    cl_mem g = CLB(G), cp = CLB(Cp), ct = CLB(Ct), y = CLB(Y);
    cl_long go = G.off, cpo = Cp.off, cto = Ct.off, yo = Y.off, l = ldo, n = N, h = H;
    TSCALAR(clo, o->dt, lo);
    TSCALAR(chi, o->dt, hi);
    karg a[] = {KA(g), KA(go), KA(cp), KA(cpo), KA(ct), KA(cto), KA(y), KA(yo), KA(l), KA(n), KA(h), clo, chi};
    return o_launch(o, "lstm_fw", N * H, a, NARGS(a));
}

static int o_gru_fw(const rnn_ops *o, rnn_buf G, rnn_buf HR, rnn_buf Bhn, rnn_buf Hp, int64_t ldp, rnn_buf HN,
                    rnn_buf Y, int64_t ldo, int64_t N, int64_t H) {
    cl_mem g = CLB(G), hr = CLB(HR), b = CLB(Bhn), hp = CLB(Hp), hn = CLB(HN), y = CLB(Y);
    cl_long go = G.off, bo = Bhn.off, hpo = Hp.off, lp = ldp, hno = HN.off, yo = Y.off, l = ldo, n = N, h = H;
    karg a[] = {KA(g), KA(go), KA(hr), KA(b), KA(bo), KA(hp), KA(hpo), KA(lp), KA(hn), KA(hno), KA(y), KA(yo), KA(l),
                KA(n), KA(h)};
    return o_launch(o, "gru_fw", N * H, a, NARGS(a));
}

static int o_act_fw(const rnn_ops *o, rnn_buf G, rnn_buf Y, int64_t ldo, int64_t N, int64_t H, int relu) {
    cl_mem g = CLB(G), y = CLB(Y);
    cl_long go = G.off, yo = Y.off, l = ldo, n = N, h = H;
    cl_int r = relu;
    karg a[] = {KA(g), KA(go), KA(y), KA(yo), KA(l), KA(n), KA(h), KA(r)};
    return o_launch(o, "rnn_act_fw", N * H, a, NARGS(a));
}

static int o_lstm_bw(const rnn_ops *o, rnn_buf G, rnn_buf Ct, rnn_buf Cp, rnn_buf DY, int64_t ldy, rnn_buf DH,
                     rnn_buf DC, rnn_buf DG, int64_t N, int64_t H) {
    cl_mem g = CLB(G), ct = CLB(Ct), cp = CLB(Cp), dy = CLB(DY), dh = CLB(DH), dc = CLB(DC), dg = CLB(DG);
    cl_long go = G.off, cto = Ct.off, cpo = Cp.off, dyo = DY.off, l = ldy, dgo = DG.off, n = N, h = H;
    karg a[] = {KA(g), KA(go), KA(ct), KA(cto), KA(cp), KA(cpo), KA(dy), KA(dyo), KA(l), KA(dh), KA(dc), KA(dg), KA(dgo),
                KA(n), KA(h)};
    return o_launch(o, "lstm_bw", N * H, a, NARGS(a));
}

static int o_gru_bw(const rnn_ops *o, rnn_buf G, rnn_buf HN, rnn_buf Hp, int64_t ldp, rnn_buf DY, int64_t ldy,
                    rnn_buf DH, rnn_buf DG, rnn_buf DR, int64_t N, int64_t H) {
    cl_mem g = CLB(G), hn = CLB(HN), hp = CLB(Hp), dy = CLB(DY), dh = CLB(DH), dg = CLB(DG), dr = CLB(DR);
    cl_long go = G.off, hno = HN.off, hpo = Hp.off, lp = ldp, dyo = DY.off, l = ldy, dgo = DG.off, dro = DR.off, n = N,
            h = H;
    karg a[] = {KA(g), KA(go), KA(hn), KA(hno), KA(hp), KA(hpo), KA(lp), KA(dy), KA(dyo), KA(l), KA(dh), KA(dg), KA(dgo),
                KA(dr), KA(dro), KA(n), KA(h)};
    return o_launch(o, "gru_bw", N * H, a, NARGS(a));
}

static int o_act_bw(const rnn_ops *o, rnn_buf G, rnn_buf DY, int64_t ldy, rnn_buf DH, rnn_buf DG, int64_t N, int64_t H,
                    int relu) {
    cl_mem g = CLB(G), dy = CLB(DY), dh = CLB(DH), dg = CLB(DG);
    cl_long go = G.off, dyo = DY.off, l = ldy, dgo = DG.off, n = N, h = H;
    cl_int r = relu;
    karg a[] = {KA(g), KA(go), KA(dy), KA(dyo), KA(l), KA(dh), KA(dg), KA(dgo), KA(n), KA(h), KA(r)};
    return o_launch(o, "rnn_act_bw", N * H, a, NARGS(a));
}

static int o_col_sum(const rnn_ops *o, rnn_buf A, int64_t R, int64_t Gn, rnn_buf O) {
    cl_mem s = CLB(A), d = CLB(O);
    cl_long r = R, gn = Gn, oo = O.off;
    karg a[] = {KA(s), KA(r), KA(gn), KA(d), KA(oo)};
    return o_launch(o, "rnn_col_sum", Gn, a, NARGS(a));
}

static int o_copy_rows(const rnn_ops *o, rnn_buf S, int64_t lds, rnn_buf D, int64_t ldd, int64_t rows, int64_t W) {
    cl_mem s = CLB(S), d = CLB(D);
    cl_long so = S.off, ls = lds, dso = D.off, ld = ldd, r = rows, w = W;
    karg a[] = {KA(s), KA(so), KA(ls), KA(d), KA(dso), KA(ld), KA(r), KA(w)};
    return o_launch(o, "rnn_copy", rows * W, a, NARGS(a));
}

static int o_fill(const rnn_ops *o, rnn_buf D, int64_t n, double v) {
    cl_mem d = CLB(D);
    cl_long dso = D.off, nn = n;
    TSCALAR(val, o->dt, v);
    karg a[] = {KA(d), KA(dso), KA(nn), val};
    return o_launch(o, "rnn_fill", n, a, NARGS(a));
}

static int o_dropout(const rnn_ops *o, rnn_buf S, rnn_buf D, int64_t n, int64_t base, uint64_t seed, uint64_t offset,
                     double p) {
    cl_mem s = CLB(S), d = CLB(D);
    cl_long so = S.off, dso = D.off, nn = n, b = base;
    cl_ulong sd = seed, off = offset, thr = (cl_ulong)ceil(p * 4294967296.0);
    TSCALAR(scale, o->dt, 1.0 / (1.0 - p));
    karg a[] = {KA(s), KA(so), KA(d), KA(dso), KA(nn), KA(b), KA(sd), KA(off), KA(thr), scale};
    return o_launch(o, "rnn_dropout", n, a, NARGS(a));
}

static int o_keep_rows(const rnn_ops *o, rnn_buf D, int64_t ldd, rnn_buf S, int64_t lds, rnn_buf LEN, int64_t t,
                       int64_t N, int64_t W) {
    cl_mem d = CLB(D), s = S.buf ? CLB(S) : CLB(D), len = CLB(LEN); /* no S: any valid buffer, unread */
    cl_long dso = D.off, ld = ldd, so = S.off, ls = lds, lo = LEN.off, tt = t, n = N, w = W;
    cl_int has_s = S.buf != NULL;
    karg a[] = {KA(d), KA(dso), KA(ld), KA(s), KA(so), KA(ls), KA(has_s), KA(len), KA(lo), KA(tt), KA(n), KA(w)};
    return o_launch(o, "rnn_keep_rows", N * W, a, NARGS(a));
}

/* clReleaseMemObject is safe right after enqueueing: the runtime keeps the
 * buffer for the queued work */
static void *o_tmp(const rnn_ops *o, int64_t n) {
    cl_int e;
    cl_mem m = clCreateBuffer(CTX(o)->ctx, CL_MEM_READ_WRITE, (size_t)(n > 0 ? n : 1) * mxb_dtype_size(o->dt), NULL, &e);
    if (e != CL_SUCCESS) {
        mxcl_fail(o->err, o->errlen, "RNN workspace (%lld elements): %s", (long long)n, cl_err_name(e));
        return NULL;
    }
    return m;
}

static void o_release(const rnn_ops *o, void *buf) {
    (void)o;
    clReleaseMemObject((cl_mem)buf);
}

static int ops_for(cl_dev *d, const mxb_call *c, rnn_ops *o, char *err, size_t errlen) {
    int dt = call_dtype(d, c, c->n_in);
    if (dt < 0) return MXB_UNSUPPORTED;
    *o = (rnn_ops){.ctx = d, .dt = dt, .err = err, .errlen = errlen, .gemm = o_gemm, .bias = o_bias,
                   .lstm_fw = o_lstm_fw, .gru_fw = o_gru_fw, .act_fw = o_act_fw, .lstm_bw = o_lstm_bw,
                   .gru_bw = o_gru_bw, .act_bw = o_act_bw, .col_sum = o_col_sum, .copy_rows = o_copy_rows,
                   .fill = o_fill, .dropout = o_dropout, .keep_rows = o_keep_rows, .tmp = o_tmp,
                   .release = o_release};
    return MXB_OK;
}

/* RNN, _rnn_with_reserve and _backward_RNN (rnn_driver.h) */
int k_rnn(void *ctx, const mxb_call *c, char *err, size_t errlen) {
    rnn_ops o;
    int rc = ops_for(ctx, c, &o, err, errlen);
    return rc != MXB_OK ? rc : rnn_d_run(&o, c);
}

/* _rnn_param_flat and its backward: byte copies on the device queue */
static int flat_copy(void *ctx, const mxb_tensor *whole, size_t off, const mxb_tensor *part, size_t nbytes, int to_part,
                     char *err, size_t errlen) {
    cl_dev *d = ctx;
    if (to_part) CLCHECK(clEnqueueCopyBuffer(d->q, BUF(*whole), BUF(*part), off, 0, nbytes, 0, NULL, NULL), "RNN params");
    else CLCHECK(clEnqueueCopyBuffer(d->q, BUF(*part), BUF(*whole), 0, off, nbytes, 0, NULL, NULL), "RNN params");
    d->last_op = "_rnn_param_flat";
    return MXB_OK;
}

int k_rnn_param_flat(void *ctx, const mxb_call *c, char *err, size_t errlen) {
    return rnn_d_param_flat(ctx, c, flat_copy, err, errlen);
}
