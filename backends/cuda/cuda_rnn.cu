// cuda_rnn.cu — the fused RNN op on CUDA devices: the device primitives of
// backends/common/rnn_driver.h (which holds the algorithm, shared with the
// OpenCL module): GEMMs on pointer offsets through cuBLAS and the per-step
// gate kernels, each the OpenCL one (backends/opencl/kernels_rnn_cl.h)
// written in CUDA; one thread per (batch row n, hidden unit j).
#include <cmath>
#include <cstring>

#include "../common/rnn_driver.h"
#include "cuda_internal.h"

namespace mxcu {
namespace {

#define GID (blockIdx.x * (long long)blockDim.x + threadIdx.x)

template <typename T> __device__ inline T rsig(T v) { return 1 / (1 + exp(-v)); }

template <typename T> __global__ void rnn_bias(T *G, const T *P, long long rows, long long Gn, long long Gb) {
    long long i = GID;
    if (i >= rows * Gn) return;
    long long j = i % Gn;
    G[i] += P[j] + (j < Gb ? P[Gn + j] : (T)0);
}

template <typename T>
__global__ void lstm_fw(T *Gt, const T *Cp, T *Ct, T *Y, long long ldo, long long N, long long H, T lo, T hi) {
    long long i = GID;
    if (i >= N * H) return;
    long long n = i / H, j = i % H;
    T *g = Gt + n * 4 * H;
    T ig = rsig(g[j]), fg = rsig(g[H + j]), gg = tanh(g[2 * H + j]), og = rsig(g[3 * H + j]);
    T cv = fg * Cp[n * H + j] + ig * gg;
    cv = cv < lo ? lo : cv;
    cv = cv > hi ? hi : cv;
    Ct[n * H + j] = cv;
    Y[n * ldo + j] = og * tanh(cv);
    g[j] = ig, g[H + j] = fg, g[2 * H + j] = gg, g[3 * H + j] = og;
}

template <typename T>
__global__ void gru_fw(T *Gt, const T *HR, const T *Bhn, const T *Hp, long long ldp, T *HN, T *Y, long long ldo,
                       long long N, long long H) {
    long long i = GID;
    if (i >= N * H) return;
    long long n = i / H, j = i % H;
    T *g = Gt + n * 3 * H;
    const T *hr = HR + n * 3 * H;
    T r = rsig(g[j] + hr[j]), z = rsig(g[H + j] + hr[H + j]), hnv = hr[2 * H + j] + Bhn[j];
    T nn = tanh(g[2 * H + j] + r * hnv);
    Y[n * ldo + j] = (1 - z) * nn + z * Hp[n * ldp + j];
    HN[n * H + j] = hnv;
    g[j] = r, g[H + j] = z, g[2 * H + j] = nn;
}

template <typename T> __global__ void act_fw(T *Gt, T *Y, long long ldo, long long N, long long H, int relu) {
    long long i = GID;
    if (i >= N * H) return;
    long long n = i / H, j = i % H;
    T a = relu ? (Gt[i] > 0 ? Gt[i] : (T)0) : tanh(Gt[i]);
    Gt[i] = a;
    Y[n * ldo + j] = a;
}

template <typename T>
__global__ void lstm_bw(const T *Gt, const T *Ct, const T *Cp, const T *DY, long long ldy, const T *DH, T *DC, T *DG,
                        long long N, long long H) {
    long long i = GID;
    if (i >= N * H) return;
    long long n = i / H, j = i % H;
    const T *g = Gt + n * 4 * H;
    T ig = g[j], fg = g[H + j], gg = g[2 * H + j], og = g[3 * H + j];
    T dhj = DY[n * ldy + j] + DH[n * H + j], tc = tanh(Ct[n * H + j]);
    T dcj = DC[n * H + j] + dhj * og * (1 - tc * tc);
    T *o = DG + n * 4 * H;
    o[j] = dcj * gg * ig * (1 - ig);
    o[H + j] = dcj * Cp[n * H + j] * fg * (1 - fg);
    o[2 * H + j] = dcj * ig * (1 - gg * gg);
    o[3 * H + j] = dhj * tc * og * (1 - og);
    DC[n * H + j] = dcj * fg;
}

template <typename T>
__global__ void gru_bw(const T *Gt, const T *HN, const T *Hp, long long ldp, const T *DY, long long ldy, T *DH, T *DG,
                       T *DR, long long N, long long H) {
    long long i = GID;
    if (i >= N * H) return;
    long long n = i / H, j = i % H;
    const T *g = Gt + n * 3 * H;
    T r = g[j], z = g[H + j], nn = g[2 * H + j], dhj = DY[n * ldy + j] + DH[n * H + j];
    T dan = dhj * (1 - z) * (1 - nn * nn), daz = dhj * (Hp[n * ldp + j] - nn) * z * (1 - z);
    T dar = dan * HN[n * H + j] * r * (1 - r);
    T *o = DG + n * 3 * H, *q = DR + n * 3 * H;
    o[j] = dar, o[H + j] = daz, o[2 * H + j] = dan;
    q[j] = dar, q[H + j] = daz, q[2 * H + j] = dan * r;
    DH[n * H + j] = dhj * z;
}

template <typename T>
__global__ void act_bw(const T *Gt, const T *DY, long long ldy, const T *DH, T *DG, long long N, long long H, int relu) {
    long long i = GID;
    if (i >= N * H) return;
    long long n = i / H, j = i % H;
    T a = Gt[i], s = DY[n * ldy + j] + DH[i];
    DG[i] = relu ? (a > 0 ? s : (T)0) : s * (1 - a * a);
}

template <typename T> __global__ void col_sum(const T *A, long long R, long long Gn, T *O) {
    long long j = GID;
    if (j >= Gn) return;
    T s = 0;
    for (long long r = 0; r < R; r++) s += A[r * Gn + j];
    O[j] = s;
}

template <typename T> __global__ void fill_k(T *D, long long n, T v) {
    long long i = GID;
    if (i < n) D[i] = v;
}

// the CPU op's stream: element e keeps iff word e % 4 of Philox(seed, offset + e / 4) >= thr
template <typename T>
__global__ void dropout_k(const T *S, T *D, long long n, long long base, unsigned long long seed,
                          unsigned long long offset, unsigned long long thr, T scale) {
    long long i = GID;
    if (i >= n) return;
    unsigned long long e = (unsigned long long)(base + i);
    unsigned w[4];
    philox(seed, offset + e / 4, w);
    D[i] = (unsigned long long)w[e % 4] >= thr ? S[i] * scale : (T)0;
}

// rows whose sample ended before step t (LEN[n] <= t) take S's row, or 0 without S
template <typename T>
__global__ void keep_rows_k(T *D, long long ldd, const T *S, long long lds, const T *LEN, long long t, long long N,
                            long long W) {
    long long i = GID;
    if (i >= N * W) return;
    long long n = i / W, j = i % W;
    if ((T)t < LEN[n]) return;
    D[n * ldd + j] = S ? S[n * lds + j] : (T)0;
}

Dev &dev(const rnn_ops *o) { return *(Dev *)o->ctx; }
template <typename T> T *at(rnn_buf b) { return (T *)b.buf + b.off; }
size_t es(const rnn_ops *o) { return mxb_dtype_size(o->dt); }
int done(const rnn_ops *o) { return launched(dev(o), "RNN", o->err, o->errlen); }

// F<float>(...) or F<double>(...) by the ops' dtype; ARGS use T
#define BY_T(o, LAUNCH)              \
    do {                             \
        if ((o)->dt == MXB_F32) {    \
            typedef float T;         \
            LAUNCH;                  \
        } else {                     \
            typedef double T;        \
            LAUNCH;                  \
        }                            \
    } while (0)
#define L1(n) blocks(n), 256, 0, dev(o).stream

int o_gemm(const rnn_ops *o, int64_t M, int64_t N, int64_t K, rnn_buf A, int64_t ars, int64_t acs, rnn_buf B,
           int64_t brs, int64_t bcs, rnn_buf C, double alpha, double beta) {
    return gemm(dev(o), "RNN", o->dt, M, N, K, (const char *)A.buf + A.off * es(o), ars, acs,
                (const char *)B.buf + B.off * es(o), brs, bcs, (char *)C.buf + C.off * es(o), alpha, beta, o->err,
                o->errlen);
}

int o_bias(const rnn_ops *o, rnn_buf G, rnn_buf P, int64_t rows, int64_t Gn, int64_t Gb) {
    if (!rows || !Gn) return MXB_OK;
    BY_T(o, (rnn_bias<T><<<L1(rows * Gn)>>>(at<T>(G), at<T>(P), rows, Gn, Gb)));
    return done(o);
}

int o_lstm_fw(const rnn_ops *o, rnn_buf G, rnn_buf Cp, rnn_buf Ct, rnn_buf Y, int64_t ldo, int64_t N, int64_t H,
              double lo, double hi) {
    if (!N) return MXB_OK;
    BY_T(o, (lstm_fw<T><<<L1(N * H)>>>(at<T>(G), at<T>(Cp), at<T>(Ct), at<T>(Y), ldo, N, H, (T)lo, (T)hi)));
    return done(o);
}

int o_gru_fw(const rnn_ops *o, rnn_buf G, rnn_buf HR, rnn_buf Bhn, rnn_buf Hp, int64_t ldp, rnn_buf HN, rnn_buf Y,
             int64_t ldo, int64_t N, int64_t H) {
    if (!N) return MXB_OK;
    BY_T(o, (gru_fw<T><<<L1(N * H)>>>(at<T>(G), at<T>(HR), at<T>(Bhn), at<T>(Hp), ldp, at<T>(HN), at<T>(Y), ldo, N, H)));
    return done(o);
}

int o_act_fw(const rnn_ops *o, rnn_buf G, rnn_buf Y, int64_t ldo, int64_t N, int64_t H, int relu) {
    if (!N) return MXB_OK;
    BY_T(o, (act_fw<T><<<L1(N * H)>>>(at<T>(G), at<T>(Y), ldo, N, H, relu)));
    return done(o);
}

int o_lstm_bw(const rnn_ops *o, rnn_buf G, rnn_buf Ct, rnn_buf Cp, rnn_buf DY, int64_t ldy, rnn_buf DH, rnn_buf DC,
              rnn_buf DG, int64_t N, int64_t H) {
    if (!N) return MXB_OK;
    BY_T(o, (lstm_bw<T><<<L1(N * H)>>>(at<T>(G), at<T>(Ct), at<T>(Cp), at<T>(DY), ldy, at<T>(DH), at<T>(DC), at<T>(DG), N,
                                       H)));
    return done(o);
}

int o_gru_bw(const rnn_ops *o, rnn_buf G, rnn_buf HN, rnn_buf Hp, int64_t ldp, rnn_buf DY, int64_t ldy, rnn_buf DH,
             rnn_buf DG, rnn_buf DR, int64_t N, int64_t H) {
    if (!N) return MXB_OK;
    BY_T(o, (gru_bw<T><<<L1(N * H)>>>(at<T>(G), at<T>(HN), at<T>(Hp), ldp, at<T>(DY), ldy, at<T>(DH), at<T>(DG), at<T>(DR),
                                      N, H)));
    return done(o);
}

int o_act_bw(const rnn_ops *o, rnn_buf G, rnn_buf DY, int64_t ldy, rnn_buf DH, rnn_buf DG, int64_t N, int64_t H,
             int relu) {
    if (!N) return MXB_OK;
    BY_T(o, (act_bw<T><<<L1(N * H)>>>(at<T>(G), at<T>(DY), ldy, at<T>(DH), at<T>(DG), N, H, relu)));
    return done(o);
}

int o_col_sum(const rnn_ops *o, rnn_buf A, int64_t R, int64_t Gn, rnn_buf O) {
    if (!Gn) return MXB_OK;
    BY_T(o, (col_sum<T><<<L1(Gn)>>>(at<T>(A), R, Gn, at<T>(O))));
    return done(o);
}

int o_copy_rows(const rnn_ops *o, rnn_buf S, int64_t lds, rnn_buf D, int64_t ldd, int64_t rows, int64_t W) {
    const size_t e = es(o);
    if (!rows || !W) return MXB_OK;
    char *err = o->err;
    size_t errlen = o->errlen;
    CUCHECK(cudaMemcpy2DAsync((char *)D.buf + D.off * e, (size_t)ldd * e, (const char *)S.buf + S.off * e,
                              (size_t)lds * e, (size_t)W * e, (size_t)rows, cudaMemcpyDeviceToDevice, dev(o).stream),
            "RNN copy");
    return MXB_OK;
}

int o_fill(const rnn_ops *o, rnn_buf D, int64_t n, double v) {
    if (!n) return MXB_OK;
    BY_T(o, (fill_k<T><<<L1(n)>>>(at<T>(D), n, (T)v)));
    return done(o);
}

int o_dropout(const rnn_ops *o, rnn_buf S, rnn_buf D, int64_t n, int64_t base, uint64_t seed, uint64_t offset,
              double p) {
    if (!n) return MXB_OK;
    unsigned long long thr = (unsigned long long)ceil(p * 4294967296.0);
    BY_T(o, (dropout_k<T><<<L1(n)>>>(at<T>(S), at<T>(D), n, base, seed, offset, thr, (T)(1.0 / (1.0 - p)))));
    return done(o);
}

int o_keep_rows(const rnn_ops *o, rnn_buf D, int64_t ldd, rnn_buf S, int64_t lds, rnn_buf LEN, int64_t t, int64_t N,
                int64_t W) {
    if (!N || !W) return MXB_OK;
    BY_T(o, (keep_rows_k<T><<<L1(N * W)>>>(at<T>(D), ldd, S.buf ? at<T>(S) : (T *)nullptr, lds, at<T>(LEN), t, N, W)));
    return done(o);
}

// cudaFree waits for the stream (cu_free), so released workspaces are safe
void *o_tmp(const rnn_ops *o, int64_t n) {
    void *p = nullptr;
    cudaSetDevice(dev(o).id);
    if (cudaMalloc(&p, (size_t)(n > 0 ? n : 1) * es(o)) != cudaSuccess) {
        fail(o->err, o->errlen, "RNN workspace (%lld elements): out of device memory", (long long)n);
        return nullptr;
    }
    return p;
}

void o_release(const rnn_ops *o, void *buf) {
    cudaSetDevice(dev(o).id);
    cudaStreamSynchronize(dev(o).stream);  // queued kernels may still use it
    cudaFree(buf);
}

int ops_for(void *ctx, const mxb_call *c, rnn_ops *o, char *err, size_t errlen) {
    int dt = call_dtype(c, c->n_in);
    if (dt < 0) return MXB_UNSUPPORTED;
    memset(o, 0, sizeof *o);
    o->ctx = ctx;
    o->dt = dt;
    o->err = err;
    o->errlen = errlen;
    o->gemm = o_gemm;
    o->bias = o_bias;
    o->lstm_fw = o_lstm_fw;
    o->gru_fw = o_gru_fw;
    o->act_fw = o_act_fw;
    o->lstm_bw = o_lstm_bw;
    o->gru_bw = o_gru_bw;
    o->act_bw = o_act_bw;
    o->col_sum = o_col_sum;
    o->copy_rows = o_copy_rows;
    o->fill = o_fill;
    o->dropout = o_dropout;
    o->keep_rows = o_keep_rows;
    o->tmp = o_tmp;
    o->release = o_release;
    cudaSetDevice(((Dev *)ctx)->id);
    return MXB_OK;
}

}  // namespace

// RNN, _rnn_with_reserve and _backward_RNN (rnn_driver.h)
int k_rnn(void *ctx, const mxb_call *c, char *err, size_t errlen) {
    rnn_ops o;
    int rc = ops_for(ctx, c, &o, err, errlen);
    return rc != MXB_OK ? rc : rnn_d_run(&o, c);
}

// _rnn_param_flat and its backward: byte copies on the stream
static int flat_copy(void *ctx, const mxb_tensor *whole, size_t off, const mxb_tensor *part, size_t nbytes, int to_part,
                     char *err, size_t errlen) {
    Dev &d = *(Dev *)ctx;
    cudaSetDevice(d.id);
    if (to_part)
        CUCHECK(cudaMemcpyAsync(part->buf, (const char *)whole->buf + off, nbytes, cudaMemcpyDeviceToDevice, d.stream),
                "RNN params");
    else
        CUCHECK(cudaMemcpyAsync((char *)whole->buf + off, part->buf, nbytes, cudaMemcpyDeviceToDevice, d.stream),
                "RNN params");
    d.last_op = "_rnn_param_flat";
    return MXB_OK;
}

int k_rnn_param_flat(void *ctx, const mxb_call *c, char *err, size_t errlen) {
    return rnn_d_param_flat(ctx, c, flat_copy, err, errlen);
}

}  // namespace mxcu
