// cuda_nn.cu — the CUDA module's NN layers (Convolution, Pooling, BatchNorm,
// LayerNorm/InstanceNorm/GroupNorm, Dropout, Embedding), shape and indexing
// ops (views planned by the core, concat/stack/split, broadcast, pick,
// where, clip, batch_dot), the multi-weight SGD updates and the
// parametrised activations. Each kernel is the OpenCL module's
// (backends/opencl/kernels_cl.h) written in CUDA, so both devices compute
// what the CPU ops compute; the layer geometry is shared
// (backends/common/call_geometry.h). Statistics accumulate in double like
// the CPU's.
#include <cmath>
#include <cstring>

#include "../common/call_geometry.h"
#include "cuda_internal.h"

namespace mxcu {
namespace {

#define GID (blockIdx.x * (long long)blockDim.x + threadIdx.x)

// run F<float> or F<double> by the call's dtype (dt from call_dtype)
#define BY_DTYPE(dt, CALL_F, CALL_D) ((dt) == MXB_F32 ? (CALL_F) : (CALL_D))

// ---- Convolution: one thread per output / input / weight element (without cuBLAS;
// with it, cuda_conv.cu runs convolutions as GEMMs) ----
template <typename T> __global__ void conv_fw(const T *X, const T *W, const T *Bv, T *Y, cg_t g, int has_bias) {
    long long i = GID, OSP = g.out[0] * g.out[1] * g.out[2];
    if (i >= g.N * g.F * OSP) return;
    long long sp = i % OSP, nf = i / OSP, f = nf % g.F, n = nf / g.F;
    long long ow = sp % g.out[2], oh = (sp / g.out[2]) % g.out[1], od = sp / (g.out[2] * g.out[1]);
    long long Cg = g.C / g.G, Fg = g.F / g.G, grp = f / Fg, KK = g.k[0] * g.k[1] * g.k[2];
    T acc = 0;
    for (long long c = 0; c < Cg; c++) {
        long long ci = grp * Cg + c;
        const T *x = X + (n * g.C + ci) * g.in[0] * g.in[1] * g.in[2], *w = W + (f * Cg + c) * KK;
        for (long long kd = 0; kd < g.k[0]; kd++) {
            long long id = od * g.s[0] - g.p[0] + kd * g.d[0];
            if (id < 0 || id >= g.in[0]) continue;
            for (long long kh = 0; kh < g.k[1]; kh++) {
                long long ih = oh * g.s[1] - g.p[1] + kh * g.d[1];
                if (ih < 0 || ih >= g.in[1]) continue;
                for (long long kw = 0; kw < g.k[2]; kw++) {
                    long long iw = ow * g.s[2] - g.p[2] + kw * g.d[2];
                    if (iw < 0 || iw >= g.in[2]) continue;
                    acc += x[(id * g.in[1] + ih) * g.in[2] + iw] * w[(kd * g.k[1] + kh) * g.k[2] + kw];
                }
            }
        }
    }
    Y[i] = has_bias ? acc + Bv[f] : acc;
}

template <typename T> __global__ void conv_bw_data(const T *DY, const T *W, T *DX, cg_t g) {
    long long ISP = g.in[0] * g.in[1] * g.in[2], OSP = g.out[0] * g.out[1] * g.out[2], i = GID;
    if (i >= g.N * g.C * ISP) return;
    long long sp = i % ISP, nc = i / ISP, ci = nc % g.C, n = nc / g.C;
    long long iw = sp % g.in[2], ih = (sp / g.in[2]) % g.in[1], id = sp / (g.in[2] * g.in[1]);
    long long Cg = g.C / g.G, Fg = g.F / g.G, grp = ci / Cg, c = ci % Cg, KK = g.k[0] * g.k[1] * g.k[2];
    T acc = 0;
    for (long long fl = 0; fl < Fg; fl++) {
        long long f = grp * Fg + fl;
        const T *dy = DY + (n * g.F + f) * OSP, *w = W + (f * Cg + c) * KK;
        for (long long kd = 0; kd < g.k[0]; kd++) {
            long long td = id + g.p[0] - kd * g.d[0];
            if (td < 0 || td % g.s[0]) continue;
            long long od = td / g.s[0];
            if (od >= g.out[0]) continue;
            for (long long kh = 0; kh < g.k[1]; kh++) {
                long long th = ih + g.p[1] - kh * g.d[1];
                if (th < 0 || th % g.s[1]) continue;
                long long oh = th / g.s[1];
                if (oh >= g.out[1]) continue;
                for (long long kw = 0; kw < g.k[2]; kw++) {
                    long long tw = iw + g.p[2] - kw * g.d[2];
                    if (tw < 0 || tw % g.s[2]) continue;
                    long long ow = tw / g.s[2];
                    if (ow >= g.out[2]) continue;
                    acc += dy[(od * g.out[1] + oh) * g.out[2] + ow] * w[(kd * g.k[1] + kh) * g.k[2] + kw];
                }
            }
        }
    }
    DX[i] = acc;
}

template <typename T> __global__ void conv_bw_weight(const T *X, const T *DY, T *DW, cg_t g) {
    long long Cg = g.C / g.G, Fg = g.F / g.G, KK = g.k[0] * g.k[1] * g.k[2], i = GID;
    if (i >= g.F * Cg * KK) return;
    long long kk = i % KK, fc = i / KK, c = fc % Cg, f = fc / Cg, ci = (f / Fg) * Cg + c;
    long long kw = kk % g.k[2], kh = (kk / g.k[2]) % g.k[1], kd = kk / (g.k[2] * g.k[1]);
    long long ISP = g.in[0] * g.in[1] * g.in[2], OSP = g.out[0] * g.out[1] * g.out[2];
    T acc = 0;
    for (long long n = 0; n < g.N; n++) {
        const T *x = X + (n * g.C + ci) * ISP, *dy = DY + (n * g.F + f) * OSP;
        for (long long od = 0; od < g.out[0]; od++) {
            long long id = od * g.s[0] - g.p[0] + kd * g.d[0];
            if (id < 0 || id >= g.in[0]) continue;
            for (long long oh = 0; oh < g.out[1]; oh++) {
                long long ih = oh * g.s[1] - g.p[1] + kh * g.d[1];
                if (ih < 0 || ih >= g.in[1]) continue;
                for (long long ow = 0; ow < g.out[2]; ow++) {
                    long long iw = ow * g.s[2] - g.p[2] + kw * g.d[2];
                    if (iw < 0 || iw >= g.in[2]) continue;
                    acc += dy[(od * g.out[1] + oh) * g.out[2] + ow] * x[(id * g.in[1] + ih) * g.in[2] + iw];
                }
            }
        }
    }
    DW[i] = acc;
}

template <typename T> __global__ void chan_sum(const T *G, T *O, long long N, long long C, long long SP) {
    long long c = GID;
    if (c >= C) return;
    T s = 0;
    for (long long n = 0; n < N; n++)
        for (long long j = 0; j < SP; j++) s += G[(n * C + c) * SP + j];
    O[c] = s;
}

// ---- Pooling (max 0, avg 1, sum 2), windows as core/ops/pooling.c ----
__device__ inline void pwin(const pg_t &g, long long o, int dim, long long &lo, long long &hi, long long &pd) {
    long long a = o * g.s[dim] - g.p[dim], b = a + g.k[dim];
    if (b > g.in[dim] + g.p[dim]) b = g.in[dim] + g.p[dim];
    pd = b - a;
    lo = a < 0 ? 0 : a;
    hi = b > g.in[dim] ? g.in[dim] : b;
}

template <typename T> __global__ void pool_fw(const T *X, T *Y, pg_t g) {
    long long OSP = g.out[0] * g.out[1] * g.out[2], i = GID;
    if (i >= g.planes * OSP) return;
    long long sp = i % OSP, pl = i / OSP, ow = sp % g.out[2], oh = (sp / g.out[2]) % g.out[1], od = sp / (g.out[2] * g.out[1]);
    const T *x = X + pl * g.in[0] * g.in[1] * g.in[2];
    long long d0, d1, pd, h0, h1, ph, w0, w1, pw;
    pwin(g, od, 0, d0, d1, pd);
    pwin(g, oh, 1, h0, h1, ph);
    pwin(g, ow, 2, w0, w1, pw);
    T r;
    if (g.type == 0) {
        T m = -INFINITY;
        for (long long d = d0; d < d1; d++)
            for (long long h = h0; h < h1; h++)
                for (long long w = w0; w < w1; w++) {
                    T v = x[(d * g.in[1] + h) * g.in[2] + w];
                    m = v > m ? v : m;
                }
        r = m;
    } else {
        T s = 0;
        for (long long d = d0; d < d1; d++)
            for (long long h = h0; h < h1; h++)
                for (long long w = w0; w < w1; w++) s += x[(d * g.in[1] + h) * g.in[2] + w];
        if (g.type == 1) {
            long long cnt = g.cip ? pd * ph * pw : (d1 - d0) * (h1 - h0) * (w1 - w0);
            s = cnt > 0 ? s / (T)cnt : 0;
        }
        r = s;
    }
    Y[i] = r;
}

template <typename T> __global__ void pool_bw(const T *DY, const T *X, T *DX, pg_t g) {
    long long ISP = g.in[0] * g.in[1] * g.in[2], OSP = g.out[0] * g.out[1] * g.out[2], i = GID;
    if (i >= g.planes * ISP) return;
    long long sp = i % ISP, pl = i / ISP, iw = sp % g.in[2], ih = (sp / g.in[2]) % g.in[1], id = sp / (g.in[2] * g.in[1]);
    const T *x = X + pl * ISP, *dy = DY + pl * OSP;
    long long lo[3], hi[3], pos[3] = {id, ih, iw};
    for (int k = 0; k < 3; k++) {
        long long t = pos[k] + g.p[k] - g.k[k] + 1;
        lo[k] = t <= 0 ? 0 : (t + g.s[k] - 1) / g.s[k];
        hi[k] = (pos[k] + g.p[k]) / g.s[k];
        if (hi[k] > g.out[k] - 1) hi[k] = g.out[k] - 1;
    }
    T acc = 0;
    for (long long od = lo[0]; od <= hi[0]; od++) {
        long long d0, d1, pd;
        pwin(g, od, 0, d0, d1, pd);
        if (id < d0 || id >= d1) continue;
        for (long long oh = lo[1]; oh <= hi[1]; oh++) {
            long long h0, h1, ph;
            pwin(g, oh, 1, h0, h1, ph);
            if (ih < h0 || ih >= h1) continue;
            for (long long ow = lo[2]; ow <= hi[2]; ow++) {
                long long w0, w1, pw;
                pwin(g, ow, 2, w0, w1, pw);
                if (iw < w0 || iw >= w1) continue;
                T gy = dy[(od * g.out[1] + oh) * g.out[2] + ow];
                if (g.type == 0) {  // only where it is the window's first argmax
                    T m = -INFINITY;
                    long long arg = -1;
                    for (long long d = d0; d < d1; d++)
                        for (long long h = h0; h < h1; h++)
                            for (long long w = w0; w < w1; w++) {
                                T v = x[(d * g.in[1] + h) * g.in[2] + w];
                                if (v > m || arg < 0) { m = v; arg = (d * g.in[1] + h) * g.in[2] + w; }
                            }
                    if (arg == sp) acc += gy;
                } else if (g.type == 1) {
                    long long cnt = g.cip ? pd * ph * pw : (d1 - d0) * (h1 - h0) * (w1 - w0);
                    acc += cnt > 0 ? gy / (T)cnt : 0;
                } else {
                    acc += gy;
                }
            }
        }
    }
    DX[i] = acc;
}

// ---- BatchNorm: one thread per channel ----
template <typename T>
__global__ void bn_fw(const T *X, const T *Ga, const T *Be, const T *MM, const T *MV, T *Y, T *Mo, T *Vo, long long outer,
                      long long C, long long inner, double eps, int train, int fix_gamma) {
    long long ch = GID;
    if (ch >= C) return;
    double cnt = (double)(outer * inner), m, v;
    if (train) {
        double s = 0, q = 0;
        for (long long o = 0; o < outer; o++)
            for (long long j = 0; j < inner; j++) s += X[(o * C + ch) * inner + j];
        m = cnt > 0 ? s / cnt : 0;
        for (long long o = 0; o < outer; o++)
            for (long long j = 0; j < inner; j++) {
                double dd = X[(o * C + ch) * inner + j] - m;
                q += dd * dd;
            }
        v = cnt > 0 ? q / cnt : 0;
    } else {
        m = MM[ch];
        v = MV[ch];
    }
    double inv = 1 / sqrt(v + eps), gm = fix_gamma ? 1 : (double)Ga[ch];
    T sc = (T)(gm * inv), sh = (T)((double)Be[ch] - m * gm * inv);
    for (long long o = 0; o < outer; o++)
        for (long long j = 0; j < inner; j++) {
            long long k = (o * C + ch) * inner + j;
            Y[k] = X[k] * sc + sh;
        }
    Mo[ch] = (T)m;
    Vo[ch] = (T)inv; // MXNet's third output: the inverse std of the statistics used (core/ops/norm.c)
}

template <typename T>
__global__ void bn_bw(const T *G, const T *X, const T *Ga, const T *Me, const T *Va, T *DX, T *DG, T *DB, long long outer,
                      long long C, long long inner, double eps, int fix_gamma, int compute_stats) {
    long long ch = GID;
    if (ch >= C) return;
    double cnt = (double)(outer * inner), m = Me[ch], inv = 1 / sqrt((double)Va[ch] + eps), sg = 0, sgx = 0;
    for (long long o = 0; o < outer; o++)
        for (long long j = 0; j < inner; j++) {
            long long k = (o * C + ch) * inner + j;
            sg += G[k];
            sgx += G[k] * (X[k] - m);
        }
    double gm = fix_gamma ? 1 : (double)Ga[ch];
    DB[ch] = (T)sg;
    DG[ch] = fix_gamma ? (T)0 : (T)(sgx * inv);
    double a = gm * inv, bb = 0, cc = 0;
    if (compute_stats && cnt > 0) {
        bb = sg / cnt;
        cc = sgx * inv * inv / cnt;
    }
    for (long long o = 0; o < outer; o++)
        for (long long j = 0; j < inner; j++) {
            long long k = (o * C + ch) * inner + j;
            DX[k] = (T)(a * (G[k] - bb - (X[k] - m) * cc));
        }
}

// ---- row normalisations (LayerNorm 0, InstanceNorm 1, GroupNorm 2), as core/ops/norm.c ----
__device__ inline long long rn_base(const rn_geom &g, long long r) { return (r / g.inner) * g.M * g.inner + r % g.inner; }
__device__ inline long long rn_pbase(const rn_geom &g, long long r) {
    return g.kind == 1 ? r % g.C : g.kind == 2 ? (r % g.G) * (g.C / g.G) : 0;
}

template <typename T>
__global__ void rn_fw(const T *X, const T *Ga, const T *Be, T *Y, T *MEAN, T *STD, rn_geom g, double eps) {
    long long r = GID;
    if (r >= g.R) return;
    long long base = rn_base(g, r), nseg = g.pdiv ? g.M / g.pdiv : 0, pb = rn_pbase(g, r);
    double s = 0, v = 0;
    for (long long k = 0; k < g.M; k++) s += X[base + k * g.inner];
    double m = g.M ? s / (double)g.M : 0;
    for (long long k = 0; k < g.M; k++) {
        double dd = X[base + k * g.inner] - m;
        v += dd * dd;
    }
    double sd = sqrt((g.M ? v / (double)g.M : 0) + eps), inv = 1 / sd;
    MEAN[r] = (T)m;
    STD[r] = (T)sd;
    for (long long sg = 0; sg < nseg; sg++) {
        double ga = (double)Ga[pb + sg] * inv;
        T sc = (T)ga, sh = (T)((double)Be[pb + sg] - m * ga);
        for (long long t = 0; t < g.pdiv; t++) {
            long long k = base + (sg * g.pdiv + t) * g.inner;
            Y[k] = X[k] * sc + sh;
        }
    }
}

// dx = inv * (gp - mean(gp) - xhat * mean(gp * xhat)), gp = g * gamma
template <typename T>
__global__ void rn_bw(const T *G, const T *X, const T *Ga, const T *MEAN, const T *STD, T *DX, rn_geom g) {
    long long r = GID;
    if (r >= g.R) return;
    long long base = rn_base(g, r), nseg = g.pdiv ? g.M / g.pdiv : 0, pb = rn_pbase(g, r);
    double m = MEAN[r], inv = 1 / (double)STD[r], s1 = 0, s2 = 0;
    for (long long sg = 0; sg < nseg; sg++) {
        double ga = Ga[pb + sg];
        for (long long t = 0; t < g.pdiv; t++) {
            long long k = base + (sg * g.pdiv + t) * g.inner;
            double gp = G[k] * ga;
            s1 += gp;
            s2 += gp * (X[k] - m) * inv;
        }
    }
    s1 /= (double)g.M;
    s2 /= (double)g.M;
    for (long long sg = 0; sg < nseg; sg++) {
        double ga = Ga[pb + sg];
        for (long long t = 0; t < g.pdiv; t++) {
            long long k = base + (sg * g.pdiv + t) * g.inner;
            DX[k] = (T)(inv * (G[k] * ga - s1 - (X[k] - m) * inv * s2));
        }
    }
}

// dgamma/dbeta: one thread per parameter, its rows in increasing order like the CPU
template <typename T>
__global__ void rn_pgrad(const T *G, const T *X, const T *MEAN, const T *STD, T *DG, T *DB, rn_geom g) {
    long long p = GID;
    if (p >= g.C) return;
    long long r0, step, sg;
    if (g.kind == 0) { r0 = 0; step = 1; sg = p; }
    else if (g.kind == 1) { r0 = p; step = g.C; sg = 0; }
    else { long long cg = g.C / g.G; r0 = p / cg; step = g.G; sg = p % cg; }
    double dg = 0, db = 0;
    for (long long r = r0; r < g.R; r += step) {
        long long base = rn_base(g, r);
        double m = MEAN[r], inv = 1 / (double)STD[r], a = 0, bb = 0;
        for (long long t = 0; t < g.pdiv; t++) {
            long long k = base + (sg * g.pdiv + t) * g.inner;
            a += G[k] * (X[k] - m);
            bb += G[k];
        }
        dg += a * inv;
        db += bb;
    }
    DG[p] = (T)dg;
    DB[p] = (T)db;
}

// ---- Dropout: the CPU's Philox4x32-10 stream (core/rng.c) ----
// keep iff the 53-bit uniform integer >= thr = ceil(p * 2^53)
template <typename T>
__global__ void dropout_mask(T *Mk, long long n, unsigned long long seed, unsigned long long offset,
                             unsigned long long thr, T scale) {
    long long i = GID;
    if (i >= n) return;
    unsigned w[4];
    philox(seed, offset + (unsigned long long)i, w);
    unsigned long long x = (((unsigned long long)w[0] << 21) ^ (unsigned long long)(w[1] >> 11)) & ((1ULL << 53) - 1);
    Mk[i] = x >= thr ? scale : (T)0;
}

// ---- indexing and elementwise odds and ends ----
template <typename T> __global__ void embedding(const T *I, const T *W, T *O, long long n, long long D, long long V) {
    long long i = GID;
    if (i >= n * D) return;
    long long r = i / D, c = i % D, k = (long long)I[r];
    k = k < 0 ? 0 : (k >= V ? V - 1 : k);
    O[i] = W[k * D + c];
}

// embedding backward: one thread per column adds the rows in index order
// (no two threads touch one element; the sums round like the CPU's)
template <typename T> __global__ void embedding_bw(const T *G, const T *I, T *O, long long n, long long D, long long V) {
    long long j = GID;
    if (j >= D) return;
    for (long long i = 0; i < n; i++) {
        long long k = (long long)I[i];
        k = k < 0 ? 0 : (k >= V ? V - 1 : k);
        O[k * D + j] += G[i * D + j];
    }
}

template <typename T> __device__ inline long long pick_k(T v, long long n, int wrap) {
    long long k = (long long)floor((double)v);
    return wrap ? ((k % n) + n) % n : (k < 0 ? 0 : (k >= n ? n - 1 : k));
}
template <typename T>
__global__ void pick(const T *X, const T *I, T *Y, long long outer, long long n, long long inner, int wrap) {
    long long i = GID;
    if (i >= outer * inner) return;
    Y[i] = X[((i / inner) * n + pick_k(I[i], n, wrap)) * inner + i % inner];
}
template <typename T>
__global__ void pick_bw(const T *G, const T *I, T *DX, long long outer, long long n, long long inner, int wrap) {
    long long i = GID;
    if (i >= outer * n * inner) return;
    long long o = i / (n * inner), r = i % (n * inner), j = r % inner;
    DX[i] = r / inner == pick_k(I[o * inner + j], n, wrap) ? G[o * inner + j] : (T)0;
}

// argmax (mx 1) / argmin along (outer, n, inner): float indices, the first NaN wins
template <typename T> __global__ void argext(const T *X, T *O, long long outer, long long n, long long inner, int mx) {
    long long i = GID;
    if (i >= outer * inner) return;
    const T *p = X + (i / inner) * n * inner + i % inner;
    long long best = 0;
    T bv = p[0];
    for (long long k = 1; k < n; k++) {
        T v = p[k * inner];
        if (mx ? (v > bv || (isnan(bv) ? 0 : isnan(v))) : (v < bv || (isnan(bv) ? 0 : isnan(v)))) {
            bv = v;
            best = k;
        }
    }
    O[i] = (T)best;
}

template <typename T> __global__ void clip_k(const T *X, T *Y, long long n, T lo, T hi) {
    long long i = GID;
    if (i >= n) return;
    T x = X[i];
    x = x < lo ? lo : x;
    Y[i] = x > hi ? hi : x;
}

template <typename T> __global__ void where_k(const T *Cd, const T *X, const T *Yv, T *O, long long n, long long inner) {
    long long i = GID;
    if (i < n) O[i] = Cd[i / inner] != 0 ? X[i] : Yv[i];
}

template <typename T> __global__ void bcast_k(const T *A, T *Y, long long n, Bcast p) {
    long long i = GID;
    if (i >= n) return;
    long long r = i, ia = 0;
    for (int d = p.nd - 1; d >= 0; d--) {
        long long c = r % p.shape[d];
        r /= p.shape[d];
        ia += c * p.sa[d];
    }
    Y[i] = A[ia];
}

// strided views planned by the core: element i of the contiguous side at
// off + sum(coord_d * st[d]) of the strided side; by element size
struct View {
    int nd;
    long long shape[6], st[6], off;
};
template <typename U> __global__ void view_k(const U *S, U *D, long long n, View p, int scatter) {
    long long i = GID;
    if (i >= n) return;
    long long r = i, o = p.off;
    for (int d = p.nd - 1; d >= 0; d--) {
        long long c = r % p.shape[d];
        r /= p.shape[d];
        o += c * p.st[d];
    }
    if (scatter) D[o] = S[i];
    else D[i] = S[o];
}

// parametrised activations, kind = ACTP_* (call_geometry.h, core/ops/activation.c ACT_LIST)
#define SELU_L 1.0507009873554804934193349852946
#define SELU_A 1.6732632423543772848170429916717

template <typename T> __global__ void act_p(const T *X, T *Y, long long n, int kind, T a, T b) {
    long long i = GID;
    if (i >= n) return;
    T x = X[i], r = x, v;
    switch (kind) {
    case ACTP_LOGSIG: r = x >= 0 ? -log1p(exp(-x)) : x - log1p(exp(x)); break;
    case ACTP_MISH: r = x * tanh(softplus(x)); break;
    case ACTP_HARDSIG: v = a * x + b; r = v < 0 ? 0 : (v > 1 ? 1 : v); break;
    case ACTP_GELU: r = (T)0.5 * x * (1 + erf(x * (T)0.70710678118654752440)); break;
    case ACTP_SWISH: r = x * sigm(b * x); break;
    case ACTP_LEAKY: r = x > 0 ? x : a * x; break;
    case ACTP_ELU: r = x > 0 ? x : a * (exp(x) - 1); break;
    case ACTP_SELU: r = x > 0 ? (T)SELU_L * x : (T)(SELU_L * SELU_A) * (exp(x) - 1); break;
    case ACTP_RRELU: r = x > 0 ? x : (T)0.5 * (a + b) * x; break;
    }
    Y[i] = r;
}

template <typename T> __global__ void act_p_bw(const T *G, const T *X, const T *Yv, T *O, long long n, int kind, T a, T b) {
    long long i = GID;
    if (i >= n) return;
    T x = X[i], y = Yv[i], dv = 1, v, s, t;
    switch (kind) {
    case ACTP_LOGSIG: dv = 1 / (1 + exp(x)); break;
    case ACTP_MISH: t = tanh(softplus(x)); dv = t + x * sigm(x) * (1 - t * t); break;
    case ACTP_HARDSIG: v = a * x + b; dv = v > 0 && v < 1 ? a : 0; break;
    case ACTP_GELU:
        dv = (T)0.5 * (1 + erf(x * (T)0.70710678118654752440)) + x * (T)0.39894228040143267794 * exp((T)-0.5 * x * x);
        break;
    case ACTP_SWISH: s = sigm(b * x); dv = s + b * x * s * (1 - s); break;
    case ACTP_LEAKY: dv = x > 0 ? 1 : a; break;
    case ACTP_ELU: dv = x > 0 ? 1 : y + a; break;
    case ACTP_SELU: dv = x > 0 ? (T)SELU_L : y + (T)(SELU_L * SELU_A); break;
    case ACTP_RRELU: dv = x > 0 ? 1 : (x < 0 ? y / x : (T)0.5 * (a + b)); break;
    }
    O[i] = G[i] * dv;
}

template <typename T> const T *cin(const mxb_call *c, int i) { return (const T *)c->in[i].buf; }
template <typename T> T *cout(const mxb_call *c, int k) { return (T *)c->out[k].buf; }

int act_p_launch(Dev &d, const mxb_call *c, int kind, double a, double b, int bw, char *err, size_t errlen) {
    int dt = call_dtype(c, c->n_in);
    long long n = c->out[0].size;
    if (dt < 0 || (bw && c->n_in < 3)) return MXB_UNSUPPORTED;
    if (!n) return MXB_OK;
    cudaSetDevice(d.id);
    if (!bw)
        BY_DTYPE(dt, (act_p<float><<<blocks(n), 256, 0, d.stream>>>(cin<float>(c, 0), cout<float>(c, 0), n, kind, (float)a, (float)b), 0),
                 (act_p<double><<<blocks(n), 256, 0, d.stream>>>(cin<double>(c, 0), cout<double>(c, 0), n, kind, a, b), 0));
    else
        BY_DTYPE(dt, (act_p_bw<float><<<blocks(n), 256, 0, d.stream>>>(cin<float>(c, 0), cin<float>(c, 1), cin<float>(c, 2), cout<float>(c, 0), n, kind, (float)a, (float)b), 0),
                 (act_p_bw<double><<<blocks(n), 256, 0, d.stream>>>(cin<double>(c, 0), cin<double>(c, 1), cin<double>(c, 2), cout<double>(c, 0), n, kind, a, b), 0));
    return launched(d, c->op, err, errlen);
}

}  // namespace

// ---- host entry points (declared in cuda_internal.h) ----

int k_conv(void *ctx, const mxb_call *c, char *err, size_t errlen) {
    Dev &d = *(Dev *)ctx;
    int dt = call_dtype(c, c->n_in);
    cg_t g;
    if (dt < 0 || conv_geom(c, &c->in[0], &g)) return MXB_UNSUPPORTED;
    int hb = !mxb_attr_i(c, "no_bias", 0) && c->n_in >= 3;
    long long n = c->out[0].size;
    if (!n) return MXB_OK;
    int rc = conv_gemm_fw(d, c, g, hb, dt, err, errlen);
    if (rc != MXB_UNSUPPORTED) return rc;
    cudaSetDevice(d.id);
    BY_DTYPE(dt, (conv_fw<float><<<blocks(n), 256, 0, d.stream>>>(cin<float>(c, 0), cin<float>(c, 1), hb ? cin<float>(c, 2) : nullptr, cout<float>(c, 0), g, hb), 0),
             (conv_fw<double><<<blocks(n), 256, 0, d.stream>>>(cin<double>(c, 0), cin<double>(c, 1), hb ? cin<double>(c, 2) : nullptr, cout<double>(c, 0), g, hb), 0));
    return launched(d, c->op, err, errlen);
}

// _backward_Convolution(ograd, data, weight) -> (ddata, dweight, dbias) by grad_mask
int k_conv_bw(void *ctx, const mxb_call *c, char *err, size_t errlen) {
    Dev &d = *(Dev *)ctx;
    int dt = call_dtype(c, c->n_in);
    cg_t g;
    if (dt < 0 || c->n_in < 3 || conv_geom(c, &c->in[1], &g)) return MXB_UNSUPPORTED;
    int m = (int)mxb_attr_i(c, "grad_mask", 7);
    int rc = conv_gemm_bw(d, c, g, m, dt, err, errlen);
    if (rc != MXB_UNSUPPORTED) return rc;
    cudaSetDevice(d.id);
    long long n0 = c->out[0].size, n1 = c->n_out >= 2 ? c->out[1].size : 0, SP = g.out[0] * g.out[1] * g.out[2];
    if ((m & 1) && n0)
        BY_DTYPE(dt, (conv_bw_data<float><<<blocks(n0), 256, 0, d.stream>>>(cin<float>(c, 0), cin<float>(c, 2), cout<float>(c, 0), g), 0),
                 (conv_bw_data<double><<<blocks(n0), 256, 0, d.stream>>>(cin<double>(c, 0), cin<double>(c, 2), cout<double>(c, 0), g), 0));
    if ((m & 2) && n1)
        BY_DTYPE(dt, (conv_bw_weight<float><<<blocks(n1), 256, 0, d.stream>>>(cin<float>(c, 1), cin<float>(c, 0), cout<float>(c, 1), g), 0),
                 (conv_bw_weight<double><<<blocks(n1), 256, 0, d.stream>>>(cin<double>(c, 1), cin<double>(c, 0), cout<double>(c, 1), g), 0));
    if ((m & 4) && c->n_out >= 3 && g.F)
        BY_DTYPE(dt, (chan_sum<float><<<blocks(g.F), 256, 0, d.stream>>>(cin<float>(c, 0), cout<float>(c, 2), g.N, g.F, SP), 0),
                 (chan_sum<double><<<blocks(g.F), 256, 0, d.stream>>>(cin<double>(c, 0), cout<double>(c, 2), g.N, g.F, SP), 0));
    return launched(d, c->op, err, errlen);
}

int k_pool(void *ctx, const mxb_call *c, char *err, size_t errlen) {
    Dev &d = *(Dev *)ctx;
    int dt = call_dtype(c, c->n_in);
    pg_t g;
    if (dt < 0 || pool_geom(c, &c->in[0], &g)) return MXB_UNSUPPORTED;
    long long n = c->out[0].size;
    if (!n) return MXB_OK;
    cudaSetDevice(d.id);
    BY_DTYPE(dt, (pool_fw<float><<<blocks(n), 256, 0, d.stream>>>(cin<float>(c, 0), cout<float>(c, 0), g), 0),
             (pool_fw<double><<<blocks(n), 256, 0, d.stream>>>(cin<double>(c, 0), cout<double>(c, 0), g), 0));
    return launched(d, c->op, err, errlen);
}

// _backward_Pooling(ograd, data, output) -> ddata
int k_pool_bw(void *ctx, const mxb_call *c, char *err, size_t errlen) {
    Dev &d = *(Dev *)ctx;
    int dt = call_dtype(c, c->n_in);
    pg_t g;
    if (dt < 0 || c->n_in < 2 || pool_geom(c, &c->in[1], &g)) return MXB_UNSUPPORTED;
    long long n = c->out[0].size;
    if (!n) return MXB_OK;
    cudaSetDevice(d.id);
    BY_DTYPE(dt, (pool_bw<float><<<blocks(n), 256, 0, d.stream>>>(cin<float>(c, 0), cin<float>(c, 1), cout<float>(c, 0), g), 0),
             (pool_bw<double><<<blocks(n), 256, 0, d.stream>>>(cin<double>(c, 0), cin<double>(c, 1), cout<double>(c, 0), g), 0));
    return launched(d, c->op, err, errlen);
}

// BatchNorm(data, gamma, beta, moving_mean, moving_var) -> (out, mean, var);
// the moving statistics are read (inference), never written: the backward
// updates them, as MXNet's CPU build does (core/ops/norm.c, bn_update_moving)
int k_batchnorm(void *ctx, const mxb_call *c, char *err, size_t errlen) {
    Dev &d = *(Dev *)ctx;
    int dt = call_dtype(c, c->n_in);
    int64_t outer, C, inner;
    if (dt < 0 || c->n_in < 5 || c->n_out < 3 || bn_dims(c, &c->in[0], &outer, &C, &inner)) return MXB_UNSUPPORTED;
    for (int i = 1; i < 5; i++)
        if (c->in[i].size != C) return MXB_UNSUPPORTED;
    if (!C) return MXB_OK;
    int train = c->training && !mxb_attr_i(c, "use_global_stats", 0), fg = (int)mxb_attr_i(c, "fix_gamma", 1);
    double eps = mxb_attr_f(c, "eps", 1e-3);
    cudaSetDevice(d.id);
#define BN_FW(T)                                                                                                     \
    bn_fw<T><<<blocks(C), 256, 0, d.stream>>>(cin<T>(c, 0), cin<T>(c, 1), cin<T>(c, 2), (T *)c->in[3].buf + c->in[3].offset, \
                                              (T *)c->in[4].buf + c->in[4].offset, cout<T>(c, 0), cout<T>(c, 1),           \
                                              cout<T>(c, 2), outer, C, inner, eps, train, fg)
    BY_DTYPE(dt, (BN_FW(float), 0), (BN_FW(double), 0));
#undef BN_FW
    return launched(d, c->op, err, errlen);
}

// _backward_BatchNorm(ograd, data, gamma, mean, var) -> (ddata, dgamma, dbeta)
int k_batchnorm_bw(void *ctx, const mxb_call *c, char *err, size_t errlen) {
    Dev &d = *(Dev *)ctx;
    int dt = call_dtype(c, c->n_in);
    int64_t outer, C, inner;
    if (dt < 0 || c->n_in < 5 || c->n_out < 3 || bn_dims(c, &c->in[1], &outer, &C, &inner)) return MXB_UNSUPPORTED;
    if (!C) return MXB_OK;
    int fg = (int)mxb_attr_i(c, "fix_gamma", 1), cs = !mxb_attr_i(c, "use_global_stats", 0);
    double eps = mxb_attr_f(c, "eps", 1e-3);
    cudaSetDevice(d.id);
#define BN_BW(T)                                                                                                    \
    bn_bw<T><<<blocks(C), 256, 0, d.stream>>>(cin<T>(c, 0), cin<T>(c, 1), cin<T>(c, 2), cin<T>(c, 3), cin<T>(c, 4), \
                                              cout<T>(c, 0), cout<T>(c, 1), cout<T>(c, 2), outer, C, inner, eps, fg, cs)
    BY_DTYPE(dt, (BN_BW(float), 0), (BN_BW(double), 0));
#undef BN_BW
    return launched(d, c->op, err, errlen);
}

// LayerNorm/InstanceNorm/GroupNorm(data, gamma, beta) -> (out, mean, std)
int k_rownorm(void *ctx, const mxb_call *c, char *err, size_t errlen) {
    Dev &d = *(Dev *)ctx;
    int dt = call_dtype(c, c->n_in);
    rn_geom g;
    if (dt < 0 || c->n_in < 3 || c->n_out < 3 || rn_dims(c, &c->in[0], &c->in[1], &g)) return MXB_UNSUPPORTED;
    if (c->in[1].size != g.C || c->in[2].size != g.C || c->out[1].size != g.R) return MXB_UNSUPPORTED;
    if (!g.R) return MXB_OK;
    double eps = mxb_attr_f(c, "eps", g.kind == 1 ? 1e-3 : 1e-5);
    cudaSetDevice(d.id);
#define RN_FW(T)                                                                                                    \
    rn_fw<T><<<blocks(g.R), 256, 0, d.stream>>>(cin<T>(c, 0), cin<T>(c, 1), cin<T>(c, 2), cout<T>(c, 0), cout<T>(c, 1), \
                                                cout<T>(c, 2), g, eps)
    BY_DTYPE(dt, (RN_FW(float), 0), (RN_FW(double), 0));
#undef RN_FW
    return launched(d, c->op, err, errlen);
}

// _backward_<norm>(ograd, data, gamma, mean, std) -> (ddata, dgamma, dbeta)
int k_rownorm_bw(void *ctx, const mxb_call *c, char *err, size_t errlen) {
    Dev &d = *(Dev *)ctx;
    int dt = call_dtype(c, c->n_in);
    rn_geom g;
    if (dt < 0 || c->n_in < 5 || c->n_out < 3 || rn_dims(c, &c->in[1], &c->in[2], &g)) return MXB_UNSUPPORTED;
    if (c->in[2].size != g.C || c->in[3].size != g.R || c->in[4].size != g.R || c->out[1].size != g.C)
        return MXB_UNSUPPORTED;
    if (!g.R || !g.C) return MXB_OK;
    cudaSetDevice(d.id);
#define RN_BW(T)                                                                                                    \
    rn_bw<T><<<blocks(g.R), 256, 0, d.stream>>>(cin<T>(c, 0), cin<T>(c, 1), cin<T>(c, 2), cin<T>(c, 3), cin<T>(c, 4),   \
                                                cout<T>(c, 0), g);                                                   \
    rn_pgrad<T><<<blocks(g.C), 256, 0, d.stream>>>(cin<T>(c, 0), cin<T>(c, 1), cin<T>(c, 3), cin<T>(c, 4),             \
                                                   cout<T>(c, 1), cout<T>(c, 2), g)
    if (dt == MXB_F32) { RN_BW(float); } else { RN_BW(double); }
#undef RN_BW
    return launched(d, c->op, err, errlen);
}

// Dropout(data) -> (out, mask): the CPU's Philox stream, so masks agree bit for bit
int k_dropout(void *ctx, const mxb_call *c, char *err, size_t errlen) {
    Dev &d = *(Dev *)ctx;
    int dt = call_dtype(c, c->n_in);
    if (dt < 0 || c->n_out < 2) return MXB_UNSUPPORTED;
    const mxb_tensor &x = c->in[0], &mk = c->out[1], &o = c->out[0];
    double p = mxb_attr_f(c, "p", 0.5);
    int active = mxb_attr_i(c, "mode", 0) == 1 || c->training;
    long long nm = mk.size, n = o.size;
    Bcast bp;
    if (mk.size != x.size && make_bcast(x, mk, o, bp)) return MXB_UNSUPPORTED;
    cudaSetDevice(d.id);
    size_t es = mxb_dtype_size(dt);
    if (!active || p == 0) {
        if (n) CUCHECK(cudaMemcpyAsync(o.buf, x.buf, (size_t)n * es, cudaMemcpyDeviceToDevice, d.stream), "Dropout copy");
        if (nm)
            BY_DTYPE(dt, (dropout_mask<float><<<blocks(nm), 256, 0, d.stream>>>((float *)mk.buf, nm, 0, 0, 0, 1.0f), 0),
                     (dropout_mask<double><<<blocks(nm), 256, 0, d.stream>>>((double *)mk.buf, nm, 0, 0, 0, 1.0), 0));
        return launched(d, c->op, err, errlen);
    }
    unsigned long long thr = (unsigned long long)ceil(p * 9007199254740992.0);
    double scale = p >= 1 ? 0.0 : 1.0 / (1.0 - p);
    if (nm)
        BY_DTYPE(dt, (dropout_mask<float><<<blocks(nm), 256, 0, d.stream>>>((float *)mk.buf, nm, c->rng_seed, c->rng_offset, thr, (float)scale), 0),
                 (dropout_mask<double><<<blocks(nm), 256, 0, d.stream>>>((double *)mk.buf, nm, c->rng_seed, c->rng_offset, thr, scale), 0));
    if (mk.size == x.size) {  // same-shape mask: a broadcast with equal strides
        bp.nd = 1;
        bp.shape[0] = n;
        bp.sa[0] = bp.sb[0] = 1;
    }
    return mul_bcast(d, c->op, dt, x.buf, mk.buf, o.buf, n, bp, err, errlen);
}

int k_embedding(void *ctx, const mxb_call *c, char *err, size_t errlen) {
    Dev &d = *(Dev *)ctx;
    int dt = call_dtype(c, c->n_in);
    if (dt < 0 || c->in[1].ndim != 2) return MXB_UNSUPPORTED;
    long long n = c->in[0].size, D = c->in[1].shape[1], V = c->in[1].shape[0];
    if (n == 0 || D == 0) return MXB_OK;
    cudaSetDevice(d.id);
    BY_DTYPE(dt, (embedding<float><<<blocks(n * D), 256, 0, d.stream>>>(cin<float>(c, 0), cin<float>(c, 1), cout<float>(c, 0), n, D, V), 0),
             (embedding<double><<<blocks(n * D), 256, 0, d.stream>>>(cin<double>(c, 0), cin<double>(c, 1), cout<double>(c, 0), n, D, V), 0));
    return launched(d, c->op, err, errlen);
}

// _backward_Embedding(ograd, data) -> weight gradient (zero-filled output)
int k_embedding_bw(void *ctx, const mxb_call *c, char *err, size_t errlen) {
    Dev &d = *(Dev *)ctx;
    int dt = call_dtype(c, c->n_in);
    const mxb_tensor &o = c->out[0];
    if (dt < 0 || o.ndim != 2 || c->in[0].size != c->in[1].size * o.shape[1]) return MXB_UNSUPPORTED;
    long long n = c->in[1].size, D = o.shape[1], V = o.shape[0];
    if (!D) return MXB_OK;
    cudaSetDevice(d.id);
    BY_DTYPE(dt, (embedding_bw<float><<<blocks(D), 256, 0, d.stream>>>(cin<float>(c, 0), cin<float>(c, 1), cout<float>(c, 0), n, D, V), 0),
             (embedding_bw<double><<<blocks(D), 256, 0, d.stream>>>(cin<double>(c, 0), cin<double>(c, 1), cout<double>(c, 0), n, D, V), 0));
    return launched(d, c->op, err, errlen);
}

// pick(data, index) and _backward_pick(ograd, index, data)
int k_pick(void *ctx, const mxb_call *c, char *err, size_t errlen) {
    Dev &d = *(Dev *)ctx;
    const int bw = !strncmp(c->op, "_backward_", 10);
    const mxb_attr *ax = mxb_attr_find(c, "axis");
    int dt = call_dtype(c, c->n_in);
    const mxb_tensor &x = bw ? c->in[2] : c->in[0];
    int64_t outer, n, inner;
    if (dt < 0 || !ax || ax->is_none || x.ndim == 0 || axis_geom(&x, ax, &outer, &n, &inner)) return MXB_UNSUPPORTED;
    int wrap = (int)mxb_attr_i(c, "mode", 0) == 1;
    if (!n) return bw ? MXB_OK : MXB_UNSUPPORTED;
    long long total = bw ? outer * n * inner : outer * inner;
    if (!total) return MXB_OK;
    cudaSetDevice(d.id);
    if (bw)
        BY_DTYPE(dt, (pick_bw<float><<<blocks(total), 256, 0, d.stream>>>(cin<float>(c, 0), cin<float>(c, 1), cout<float>(c, 0), outer, n, inner, wrap), 0),
                 (pick_bw<double><<<blocks(total), 256, 0, d.stream>>>(cin<double>(c, 0), cin<double>(c, 1), cout<double>(c, 0), outer, n, inner, wrap), 0));
    else
        BY_DTYPE(dt, (pick<float><<<blocks(total), 256, 0, d.stream>>>(cin<float>(c, 0), cin<float>(c, 1), cout<float>(c, 0), outer, n, inner, wrap), 0),
                 (pick<double><<<blocks(total), 256, 0, d.stream>>>(cin<double>(c, 0), cin<double>(c, 1), cout<double>(c, 0), outer, n, inner, wrap), 0));
    return launched(d, c->op, err, errlen);
}

// argmax / argmin along an axis (or the flattened data) -> indices in the data's dtype
int k_argext(void *ctx, const mxb_call *c, char *err, size_t errlen) {
    Dev &d = *(Dev *)ctx;
    const mxb_tensor &x = c->in[0];
    int dt = x.dtype;
    if ((dt != MXB_F32 && dt != MXB_F64) || c->out[0].dtype != dt || !x.size) return MXB_UNSUPPORTED;
    int64_t outer, n, inner;
    if (axis_geom(&x, mxb_attr_find(c, "axis"), &outer, &n, &inner)) return MXB_UNSUPPORTED;
    if (!n) return MXB_UNSUPPORTED;
    int mx = !strcmp(c->op, "argmax");
    cudaSetDevice(d.id);
    BY_DTYPE(dt, (argext<float><<<blocks(outer * inner), 256, 0, d.stream>>>(cin<float>(c, 0), cout<float>(c, 0), outer, n, inner, mx), 0),
             (argext<double><<<blocks(outer * inner), 256, 0, d.stream>>>(cin<double>(c, 0), cout<double>(c, 0), outer, n, inner, mx), 0));
    return launched(d, c->op, err, errlen);
}

int k_clip(void *ctx, const mxb_call *c, char *err, size_t errlen) {
    Dev &d = *(Dev *)ctx;
    int dt = call_dtype(c, 1);
    long long n = c->out[0].size;
    if (dt < 0) return MXB_UNSUPPORTED;
    if (!n) return MXB_OK;
    double lo = mxb_attr_f(c, "a_min", 0), hi = mxb_attr_f(c, "a_max", 0);
    cudaSetDevice(d.id);
    BY_DTYPE(dt, (clip_k<float><<<blocks(n), 256, 0, d.stream>>>(cin<float>(c, 0), cout<float>(c, 0), n, (float)lo, (float)hi), 0),
             (clip_k<double><<<blocks(n), 256, 0, d.stream>>>(cin<double>(c, 0), cout<double>(c, 0), n, lo, hi), 0));
    return launched(d, c->op, err, errlen);
}

// where(condition, x, y): condition in the data's dtype (else the CPU runs it)
int k_where(void *ctx, const mxb_call *c, char *err, size_t errlen) {
    Dev &d = *(Dev *)ctx;
    int dt = call_dtype(c, 3);
    if (dt < 0 || !c->in[0].size) return MXB_UNSUPPORTED;
    long long n = c->out[0].size, inner = n / c->in[0].size;
    if (!n) return MXB_OK;
    cudaSetDevice(d.id);
    BY_DTYPE(dt, (where_k<float><<<blocks(n), 256, 0, d.stream>>>(cin<float>(c, 0), cin<float>(c, 1), cin<float>(c, 2), cout<float>(c, 0), n, inner), 0),
             (where_k<double><<<blocks(n), 256, 0, d.stream>>>(cin<double>(c, 0), cin<double>(c, 1), cin<double>(c, 2), cout<double>(c, 0), n, inner), 0));
    return launched(d, c->op, err, errlen);
}

// broadcast_to / broadcast_axis / broadcast_like: read the input with stride 0 on its size-1 axes
int k_broadcast(void *ctx, const mxb_call *c, char *err, size_t errlen) {
    Dev &d = *(Dev *)ctx;
    int dt = call_dtype(c, 1);
    const mxb_tensor &x = c->in[0], &o = c->out[0];
    if (dt < 0 || x.ndim > o.ndim) return MXB_UNSUPPORTED;
    for (int i = 0; i < x.ndim; i++) {
        int64_t xd = x.shape[i], od = o.shape[i + o.ndim - x.ndim];
        if (xd != od && xd != 1) return MXB_UNSUPPORTED;
    }
    Bcast p;
    if (make_bcast(x, o, o, p)) return MXB_UNSUPPORTED;
    long long n = o.size;
    if (!n) return MXB_OK;
    cudaSetDevice(d.id);
    BY_DTYPE(dt, (bcast_k<float><<<blocks(n), 256, 0, d.stream>>>(cin<float>(c, 0), cout<float>(c, 0), n, p), 0),
             (bcast_k<double><<<blocks(n), 256, 0, d.stream>>>(cin<double>(c, 0), cout<double>(c, 0), n, p), 0));
    return launched(d, c->op, err, errlen);
}

// _view_gather / _view_scatter: a strided view planned by the core; any dtype, by element size
int k_view(void *ctx, const mxb_call *c, char *err, size_t errlen) {
    Dev &d = *(Dev *)ctx;
    const int scatter = !strcmp(c->op, "_view_scatter") || !strncmp(c->op, "_backward_", 10);
    const mxb_attr *sh = mxb_attr_find(c, "shape"), *st = mxb_attr_find(c, "strides");
    size_t es = mxb_dtype_size(c->out[0].dtype);
    if (!sh || !st || sh->n != st->n || sh->n > 6 || c->n_in < 1 || mxb_dtype_size(c->in[0].dtype) != es)
        return MXB_UNSUPPORTED;
    View p;
    p.nd = sh->n;
    p.off = mxb_attr_i(c, "offset", 0);
    long long n = 1;
    for (int i = 0; i < sh->n; i++) {
        p.shape[i] = sh->v[i];
        p.st[i] = st->v[i];
        n *= sh->v[i];
    }
    if (n != (scatter ? c->in[0].size : c->out[0].size)) return MXB_UNSUPPORTED;
    if (!n) return MXB_OK;
    cudaSetDevice(d.id);
    const void *S = c->in[0].buf;
    void *D = c->out[0].buf;
    switch (es) {
    case 1: view_k<unsigned char><<<blocks(n), 256, 0, d.stream>>>((const unsigned char *)S, (unsigned char *)D, n, p, scatter); break;
    case 2: view_k<unsigned short><<<blocks(n), 256, 0, d.stream>>>((const unsigned short *)S, (unsigned short *)D, n, p, scatter); break;
    case 4: view_k<unsigned><<<blocks(n), 256, 0, d.stream>>>((const unsigned *)S, (unsigned *)D, n, p, scatter); break;
    case 8: view_k<unsigned long long><<<blocks(n), 256, 0, d.stream>>>((const unsigned long long *)S, (unsigned long long *)D, n, p, scatter); break;
    default: return MXB_UNSUPPORTED;
    }
    return launched(d, c->op, err, errlen);
}

// concat / stack / split: each part is a block of rows (outer x width bytes)
// at a column offset of the whole, one 2-D copy per part (any dtype)
int k_join_split(void *ctx, const mxb_call *c, char *err, size_t errlen) {
    Dev &d = *(Dev *)ctx;
    join_geom g;
    if (join_split_geom(c, &g)) return MXB_UNSUPPORTED;
    cudaSetDevice(d.id);
    size_t col = 0;
    for (int p = 0; p < g.parts; p++) {
        const mxb_tensor *t = join_part(c, &g, p);
        size_t width = join_width(&g, t);
        if (width && g.outer) {
            if (g.split)
                CUCHECK(cudaMemcpy2DAsync(t->buf, width, (const char *)g.whole->buf + col, g.pitch, width, g.outer,
                                          cudaMemcpyDeviceToDevice, d.stream), c->op);
            else
                CUCHECK(cudaMemcpy2DAsync((char *)g.whole->buf + col, g.pitch, t->buf, width, width, g.outer,
                                          cudaMemcpyDeviceToDevice, d.stream), c->op);
        }
        col += width;
    }
    d.last_op = c->op;
    return MXB_OK;
}

// batch_dot: one GEMM per batch entry
int k_batch_dot(void *ctx, const mxb_call *c, char *err, size_t errlen) {
    Dev &d = *(Dev *)ctx;
    int dt = call_dtype(c, 2);
    const mxb_tensor &l = c->in[0], &r = c->in[1];
    if (dt < 0 || l.ndim < 3 || r.ndim != l.ndim) return MXB_UNSUPPORTED;
    const int nd = l.ndim, ta = (int)mxb_attr_i(c, "transpose_a", 0), tb = (int)mxb_attr_i(c, "transpose_b", 0);
    long long M = ta ? l.shape[nd - 1] : l.shape[nd - 2], K = ta ? l.shape[nd - 2] : l.shape[nd - 1];
    long long N = tb ? r.shape[nd - 2] : r.shape[nd - 1], B = M * K != 0 ? l.size / (M * K) : 0;
    size_t es = mxb_dtype_size(dt);
    for (long long b = 0; b < B; b++) {
        int rc = gemm(d, c->op, dt, M, N, K, (const char *)l.buf + (size_t)(b * M * K) * es, ta ? 1 : K, ta ? M : 1,
                      (const char *)r.buf + (size_t)(b * K * N) * es, tb ? 1 : N, tb ? K : 1,
                      (char *)c->out[0].buf + (size_t)(b * M * N) * es, 1, 0, err, errlen);
        if (rc != MXB_OK) return rc;
    }
    return MXB_OK;
}

// multi_sgd_update / multi_sgd_mom_update: the sgd kernel once per group
int k_multi_sgd(void *ctx, const mxb_call *c, char *err, size_t errlen) {
    Dev &d = *(Dev *)ctx;
    const int dt = call_dtype(c, c->n_in), gs = multi_sgd_group_size(c), mom = gs == 3, nw = c->n_out;
    const mxb_attr *lrs = mxb_attr_find(c, "lrs"), *wds = mxb_attr_find(c, "wds");
    if (dt < 0 || !gs) return MXB_UNSUPPORTED;
    double rs = mxb_attr_f(c, "rescale_grad", 1), clip = mxb_attr_f(c, "clip_gradient", -1), mo = mxb_attr_f(c, "momentum", 0);
    size_t es = mxb_dtype_size(dt);
    for (int k = 0; k < nw; k++) {
        const mxb_tensor &st = c->in[k * gs + (mom ? 2 : 0)];
        void *M = mom ? (char *)st.buf + (size_t)st.offset * es : nullptr;
        int rc = sgd_launch(d, c->op, dt, c->in[k * gs].buf, c->in[k * gs + 1].buf, M, c->out[k].buf, c->out[k].size,
                            lrs->fv[k], wds->fv[k], rs, clip, mo, err, errlen);
        if (rc != MXB_OK) return rc;
    }
    return MXB_OK;
}

// gelu, log_sigmoid, mish, hard_sigmoid, swish, Activation(log_sigmoid/mish), LeakyReLU
int k_act_param(void *ctx, const mxb_call *c, char *err, size_t errlen) {
    double a, b;
    int kind = act_param_kind(c, &a, &b);
    if (kind < 0) return MXB_UNSUPPORTED;
    int rc = act_p_launch(*(Dev *)ctx, c, kind, a, b, 0, err, errlen);
    // rrelu's mask output in inference: every element's slope is the mean
    if (rc == MXB_OK && kind == ACTP_RRELU && c->n_out > 1) rc = fill_launch(*(Dev *)ctx, c->op, c->out[1], 0.5 * (a + b), err, errlen);
    return rc;
}

// _backward_act for the parametrised kinds (>= 5)
int k_backward_act_param(void *ctx, const mxb_call *c, char *err, size_t errlen) {
    int64_t k = mxb_attr_i(c, "act", -1);
    if (k < ACTP_LOGSIG || k > ACTP_RRELU) return MXB_UNSUPPORTED;
    return act_p_launch(*(Dev *)ctx, c, (int)k, mxb_attr_f(c, "alpha", 0), mxb_attr_f(c, "beta", 0), 1, err, errlen);
}

}  // namespace mxcu
