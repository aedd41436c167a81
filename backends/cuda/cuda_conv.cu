// cuda_conv.cu — Convolution forward and backward as GEMMs (cuBLAS through
// gemm() in cuda_backend.cu), the way the CPU op does it (core/ops/conv.c):
//   cols (C*KK, N*OSP)   im2col of the input, zero padding
//   Yt   (F, N*OSP)      = W (F, C*KK) cols, per group; then Y (N, F, OSP) + bias
//   dcols                = W^T dYt, gathered back into dX (col2im, no atomics)
//   dW                   = dYt cols^T, dbias = row sums of dYt
// The one-thread-per-element kernels in cuda_nn.cu loop over whole batches
// per weight gradient element (LeNet's conv1: 500 threads of 36,864 steps);
// this path runs 3-4x faster there and like cuBLAS at larger sizes. Samples
// go in chunks so the column buffer stays under cols_limit() elements.
#include <cstdlib>

#include "../common/call_geometry.h"
#include "cuda_internal.h"

namespace mxcu {
namespace {

#define GID (blockIdx.x * (long long)blockDim.x + threadIdx.x)
// elements of the column buffer: 2^26 (256 MiB in float32), or
// MXCORE_CUDA_CONV_COLS (the GPU check sets it tiny to test the chunking)
long long cols_limit() {
    static long long lim = [] {
        const char *v = getenv("MXCORE_CUDA_CONV_COLS");
        long long x = v ? atoll(v) : 0;
        return x > 0 ? x : 1ll << 26;
    }();
    return lim;
}

struct Geo {  // the chunk's sizes, derived once from cg_t
    long long KK, CKK, OSP, ISP, NSP;
};
Geo geo(const cg_t &g) {
    Geo e;
    e.KK = g.k[0] * g.k[1] * g.k[2];
    e.CKK = g.C * e.KK;
    e.OSP = g.out[0] * g.out[1] * g.out[2];
    e.ISP = g.in[0] * g.in[1] * g.in[2];
    e.NSP = g.N * e.OSP;
    return e;
}

template <typename T> __global__ void im2col(const T *X, T *cols, cg_t g, Geo e) {
    long long i = GID;
    if (i >= e.CKK * e.NSP) return;
    long long j = i % e.NSP, r = i / e.NSP, n = j / e.OSP, sp = j % e.OSP, ch = r / e.KK, kk = r % e.KK;
    long long kw = kk % g.k[2], kh = (kk / g.k[2]) % g.k[1], kd = kk / (g.k[2] * g.k[1]);
    long long ow = sp % g.out[2], oh = (sp / g.out[2]) % g.out[1], od = sp / (g.out[2] * g.out[1]);
    long long id = od * g.s[0] - g.p[0] + kd * g.d[0], ih = oh * g.s[1] - g.p[1] + kh * g.d[1],
              iw = ow * g.s[2] - g.p[2] + kw * g.d[2];
    bool in = id >= 0 && id < g.in[0] && ih >= 0 && ih < g.in[1] && iw >= 0 && iw < g.in[2];
    cols[i] = in ? X[((n * g.C + ch) * g.in[0] + id) * g.in[1] * g.in[2] + ih * g.in[2] + iw] : (T)0;
}

// one input position of spatial dim `dim` from output coordinate candidates: o with o*s - p + k*d == x
__device__ inline bool out_of(const cg_t &g, int dim, long long x, long long k, long long &o) {
    long long t = x + g.p[dim] - k * g.d[dim];
    if (t < 0 || t % g.s[dim]) return false;
    o = t / g.s[dim];
    return o < g.out[dim];
}

template <typename T> __global__ void col2im(const T *dcols, T *DX, cg_t g, Geo e) {
    long long i = GID;
    if (i >= g.N * g.C * e.ISP) return;
    long long sp = i % e.ISP, nc = i / e.ISP, ch = nc % g.C, n = nc / g.C;
    long long iw = sp % g.in[2], ih = (sp / g.in[2]) % g.in[1], id = sp / (g.in[2] * g.in[1]);
    T acc = 0;
    for (long long kd = 0; kd < g.k[0]; kd++) {
        long long od;
        if (!out_of(g, 0, id, kd, od)) continue;
        for (long long kh = 0; kh < g.k[1]; kh++) {
            long long oh;
            if (!out_of(g, 1, ih, kh, oh)) continue;
            for (long long kw = 0; kw < g.k[2]; kw++) {
                long long ow;
                if (!out_of(g, 2, iw, kw, ow)) continue;
                long long r = ch * e.KK + (kd * g.k[1] + kh) * g.k[2] + kw;
                acc += dcols[r * e.NSP + n * e.OSP + (od * g.out[1] + oh) * g.out[2] + ow];
            }
        }
    }
    DX[i] = acc;
}

// Y (N, F, OSP) <- Yt (F, N*OSP) + bias[f]
template <typename T> __global__ void fn_to_nf(const T *Yt, T *Y, const T *bias, long long N, long long F, long long OSP) {
    long long i = GID;
    if (i >= N * F * OSP) return;
    long long sp = i % OSP, f = (i / OSP) % F, n = i / (OSP * F);
    Y[i] = Yt[f * N * OSP + n * OSP + sp] + (bias ? bias[f] : (T)0);
}

// dYt (F, N*OSP) <- dY (N, F, OSP)
template <typename T> __global__ void nf_to_fn(const T *DY, T *DYt, long long N, long long F, long long OSP) {
    long long i = GID;
    if (i >= N * F * OSP) return;
    long long sp = i % OSP, n = (i / OSP) % N, f = i / (OSP * N);
    DYt[i] = DY[(n * F + f) * OSP + sp];
}

// O[row] (+)= sum of A[row, 0..len): one block per row, fixed reduction order
template <typename T> __global__ void row_sums(const T *A, T *O, long long len, int accumulate) {
    __shared__ T part[256];
    const T *a = A + blockIdx.x * len;
    T s = 0;
    for (long long j = threadIdx.x; j < len; j += blockDim.x) s += a[j];
    part[threadIdx.x] = s;
    __syncthreads();
    for (int w = blockDim.x / 2; w > 0; w /= 2) {
        if (threadIdx.x < w) part[threadIdx.x] += part[threadIdx.x + w];
        __syncthreads();
    }
    if (threadIdx.x == 0) O[blockIdx.x] = accumulate ? O[blockIdx.x] + part[0] : part[0];
}

// Samples per chunk so that cols stays under cols_limit() (at least one).
long long chunk_of(const cg_t &g) {
    long long per = geo(g).CKK * g.out[0] * g.out[1] * g.out[2];
    long long nb = per ? cols_limit() / per : g.N;
    return nb < 1 ? 1 : nb > g.N ? g.N : nb;
}

// One call's chunking and device buffers: the column buffer and an (F, chunk
// N*OSP) buffer, returned to the pool when the call's work is queued.
template <typename T> struct Work {
    Dev &d;
    long long N, nb, Cg, Fg;
    Geo full;
    T *cols = nullptr, *fbuf = nullptr;
    Work(Dev &dev, const cg_t &g) : d(dev), N(g.N), nb(chunk_of(g)), Cg(g.C / g.G), Fg(g.F / g.G), full(geo(g)) {
        cg_t h = g;
        h.N = nb;
        Geo e = geo(h);
        cols = (T *)scratch_alloc(d, sizeof(T) * e.CKK * e.NSP);
        fbuf = cols ? (T *)scratch_alloc(d, sizeof(T) * g.F * e.NSP) : nullptr;
    }
    ~Work() {
        if (cols) scratch_free(d, cols);
        if (fbuf) scratch_free(d, fbuf);
    }
    bool ok() const { return fbuf != nullptr; }
    Geo chunk(cg_t &g, long long n0) const {  // g.N becomes the size of the chunk starting at sample n0
        g.N = n0 + nb <= N ? nb : N - n0;
        return geo(g);
    }
};

template <typename T>
int fw(Dev &d, const mxb_call *c, cg_t g, bool has_bias, char *err, size_t errlen) {
    const T *X = (const T *)c->in[0].buf, *W = (const T *)c->in[1].buf, *B = has_bias ? (const T *)c->in[2].buf : nullptr;
    T *Y = (T *)c->out[0].buf;
    Work<T> w(d, g);
    if (!w.ok()) return fail(err, errlen, "%s: out of device memory for the column buffer", c->op);
    const long long Cg = w.Cg, Fg = w.Fg;
    T *cols = w.cols, *Yt = w.fbuf;
    for (long long n0 = 0; n0 < w.N; n0 += w.nb) {
        Geo e = w.chunk(g, n0);
        im2col<T><<<blocks(e.CKK * e.NSP), 256, 0, d.stream>>>(X + n0 * g.C * w.full.ISP, cols, g, e);
        for (long long grp = 0; grp < g.G; grp++)
            if (gemm(d, c->op, sizeof(T) == 4 ? MXB_F32 : MXB_F64, Fg, e.NSP, Cg * e.KK, W + grp * Fg * Cg * e.KK,
                     Cg * e.KK, 1, cols + grp * Cg * e.KK * e.NSP, e.NSP, 1, Yt + grp * Fg * e.NSP, 1, 0, err, errlen))
                return MXB_ERROR;
        fn_to_nf<T><<<blocks(g.F * e.NSP), 256, 0, d.stream>>>(Yt, Y + n0 * g.F * e.OSP, B, g.N, g.F, e.OSP);
    }
    return launched(d, c->op, err, errlen);
}

// _backward_Convolution(ograd, data, weight) -> (ddata, dweight, dbias) by mask
template <typename T>
int bw(Dev &d, const mxb_call *c, cg_t g, int mask, char *err, size_t errlen) {
    const T *DY = (const T *)c->in[0].buf, *X = (const T *)c->in[1].buf, *W = (const T *)c->in[2].buf;
    T *DX = mask & 1 ? (T *)c->out[0].buf : nullptr, *DW = mask & 2 ? (T *)c->out[1].buf : nullptr,
      *DB = mask & 4 ? (T *)c->out[2].buf : nullptr;
    const int dt = sizeof(T) == 4 ? MXB_F32 : MXB_F64;
    Work<T> w(d, g);
    if (!w.ok()) return fail(err, errlen, "%s: out of device memory for the column buffer", c->op);
    const long long Cg = w.Cg, Fg = w.Fg;
    T *cols = w.cols, *DYt = w.fbuf;
    for (long long n0 = 0; n0 < w.N; n0 += w.nb) {
        Geo e = w.chunk(g, n0);
        double beta = n0 ? 1 : 0;  // weight and bias gradients add up over chunks
        nf_to_fn<T><<<blocks(g.F * e.NSP), 256, 0, d.stream>>>(DY + n0 * g.F * e.OSP, DYt, g.N, g.F, e.OSP);
        if (DB) row_sums<T><<<(unsigned)g.F, 256, 0, d.stream>>>(DYt, DB, e.NSP, n0 ? 1 : 0);
        if (DW) {
            im2col<T><<<blocks(e.CKK * e.NSP), 256, 0, d.stream>>>(X + n0 * g.C * w.full.ISP, cols, g, e);
            for (long long grp = 0; grp < g.G; grp++)  // dW_g (Fg, Cg*KK) = dYt_g cols_g^T
                if (gemm(d, c->op, dt, Fg, Cg * e.KK, e.NSP, DYt + grp * Fg * e.NSP, e.NSP, 1,
                         cols + grp * Cg * e.KK * e.NSP, 1, e.NSP, DW + grp * Fg * Cg * e.KK, 1, beta, err, errlen))
                    return MXB_ERROR;
        }
        if (DX) {
            for (long long grp = 0; grp < g.G; grp++)  // dcols_g (Cg*KK, NSP) = W_g^T dYt_g
                if (gemm(d, c->op, dt, Cg * e.KK, e.NSP, Fg, W + grp * Fg * Cg * e.KK, 1, Cg * e.KK,
                         DYt + grp * Fg * e.NSP, e.NSP, 1, cols + grp * Cg * e.KK * e.NSP, 1, 0, err, errlen))
                    return MXB_ERROR;
            col2im<T><<<blocks(g.N * g.C * e.ISP), 256, 0, d.stream>>>(cols, DX + n0 * g.C * w.full.ISP, g, e);
        }
    }
    return launched(d, c->op, err, errlen);
}

bool usable(const Dev &d, const cg_t &g) {  // cuBLAS loaded and nothing empty (no zero-sized launches)
    return d.cublas && g.N > 0 && g.C > 0 && g.F > 0 && g.G > 0 && geo(g).OSP > 0 && geo(g).ISP > 0 && geo(g).KK > 0;
}

}  // namespace

int conv_gemm_fw(Dev &d, const mxb_call *c, const cg_t &g, bool has_bias, int dt, char *err, size_t errlen) {
    if (!usable(d, g)) return MXB_UNSUPPORTED;  // the direct kernels beat a naive GEMM
    cudaSetDevice(d.id);
    return dt == MXB_F32 ? fw<float>(d, c, g, has_bias, err, errlen) : fw<double>(d, c, g, has_bias, err, errlen);
}

int conv_gemm_bw(Dev &d, const mxb_call *c, const cg_t &g, int mask, int dt, char *err, size_t errlen) {
    if (!usable(d, g)) return MXB_UNSUPPORTED;
    if ((mask & 2) && c->n_out < 2) mask &= ~2;
    if ((mask & 4) && c->n_out < 3) mask &= ~4;
    cudaSetDevice(d.id);
    return dt == MXB_F32 ? bw<float>(d, c, g, mask, err, errlen) : bw<double>(d, c, g, mask, err, errlen);
}

}  // namespace mxcu
