// cuda_internal.h — what the CUDA module's source files share: the
// per-device state and the launch, error, dtype, broadcast, scratch memory
// and GEMM helpers (cuda_backend.cu), and the op families in their own files
// (cuda_nn.cu, cuda_conv.cu, cuda_rnn.cu).
// Not installed.
#ifndef MXCORE_CUDA_INTERNAL_H
#define MXCORE_CUDA_INTERNAL_H

#include <cuda_runtime.h>

#include "../common/call_geometry.h"
#include "mxcore/backend.h"

namespace mxcu {

constexpr int MAX_DEV = 16;

struct Dev {
    int id;
    cudaStream_t stream;
    void *cublas;
    bool pooled;  // buffers come from the stream-ordered pool (cudaMallocAsync)
    const char *last_op;
    char sticky[512];
    char info[1024];
    cudaDeviceProp prop;
};

// Write a message into err (errlen bytes); returns MXB_ERROR.
int fail(char *err, size_t n, const char *fmt, ...);
// Return MXB_ERROR with a message naming `what` when a CUDA call fails
// (needs err/errlen in scope).
#define CUCHECK(call, what)                                                                         \
    do {                                                                                            \
        cudaError_t e_ = (call);                                                                    \
        if (e_ != cudaSuccess) return fail(err, errlen, "%s: %s", what, cudaGetErrorString(e_));    \
    } while (0)
// After a launch: report a launch error, else remember op as the last one queued.
int launched(Dev &d, const char *op, char *err, size_t errlen);
// every element of o (float32/float64) set to v (cuda_backend.cu)
int fill_launch(Dev &d, const char *op, const mxb_tensor &o, double v, char *err, size_t errlen);
// Scalar helpers shared by the elementwise and activation kernels.
template <typename T> __device__ inline T sigm(T x) { return 1 / (1 + exp(-x)); }
template <typename T> __device__ inline T softplus(T x) { return x > 20 ? x : log1p(exp(x)); }
template <typename T> __device__ inline T fmodp(T a, T b) {  // modulo with the sign of b, 0 when b == 0
    if (b == 0) return 0;
    T m = fmod(a, b);
    return (m != 0 && ((m < 0) != (b < 0))) ? m + b : m;
}
// Blocks of 256 threads covering n work items.
inline unsigned blocks(long long n) { return (unsigned)((n + 255) / 256); }
// The common float dtype of a call's first n_check inputs and its outputs, or -1.
int call_dtype(const mxb_call *c, int n_check);

// Philox4x32-10, the CPU's stream (core/rng.c): 4 words for counter ctr
__device__ inline void philox(unsigned long long seed, unsigned long long ctr, unsigned *out) {
    unsigned c0 = (unsigned)ctr, c1 = (unsigned)(ctr >> 32), c2 = 0, c3 = 0, k0 = (unsigned)seed, k1 = (unsigned)(seed >> 32);
    for (int r = 0; r < 10; r++) {
        unsigned hi0 = __umulhi(0xD2511F53u, c0), lo0 = 0xD2511F53u * c0;
        unsigned hi1 = __umulhi(0xCD9E8D57u, c2), lo1 = 0xCD9E8D57u * c2;
        unsigned n0 = hi1 ^ c1 ^ k0, n1 = lo1, n2 = hi0 ^ c3 ^ k1, n3 = lo0;
        c0 = n0, c1 = n1, c2 = n2, c3 = n3;
        k0 += 0x9E3779B9u;
        k1 += 0xBB67AE85u;
    }
    out[0] = c0, out[1] = c1, out[2] = c2, out[3] = c3;
}

// broadcast strides of two operands against an output, dims collapsed (<= 6)
struct Bcast {
    int nd;
    long long shape[6], sa[6], sb[6];
};
int make_bcast(const mxb_tensor &a, const mxb_tensor &b, const mxb_tensor &o, Bcast &p);

// row-major C(M,N) = alpha A B + beta C, A(i,k) = A[i*ars + k*acs],
// B(k,j) = B[k*brs + j*bcs], C contiguous (cuBLAS when loaded)
int gemm(Dev &d, const char *op, int dt, long long M, long long N, long long K, const void *A, long long ars,
         long long acs, const void *B, long long brs, long long bcs, void *C, double alpha, double beta, char *err,
         size_t errlen);

// Scratch device memory for one call's temporaries, ordered on d's stream
// (freeing it does not wait for the kernels queued on it). NULL when out of
// memory. Not zero-filled.
void *scratch_alloc(Dev &d, size_t nbytes);
void scratch_free(Dev &d, void *p);

// Y = A * B over n output elements with broadcast strides p
int mul_bcast(Dev &d, const char *op, int dt, const void *A, const void *B, void *Y, long long n, const Bcast &p,
              char *err, size_t errlen);
// sgd / sgd_mom update of n elements (Mo NULL: plain sgd), as sgd_update
int sgd_launch(Dev &d, const char *op, int dt, const void *W, const void *G, void *Mo, void *O, long long n, double lr,
               double wd, double rs, double clip, double mom, char *err, size_t errlen);

// cuda_nn.cu: NN layers, shape and indexing ops, parametrised activations
int k_conv(void *ctx, const mxb_call *c, char *err, size_t errlen);
int k_conv_bw(void *ctx, const mxb_call *c, char *err, size_t errlen);
int k_pool(void *ctx, const mxb_call *c, char *err, size_t errlen);
int k_pool_bw(void *ctx, const mxb_call *c, char *err, size_t errlen);
int k_batchnorm(void *ctx, const mxb_call *c, char *err, size_t errlen);
int k_batchnorm_bw(void *ctx, const mxb_call *c, char *err, size_t errlen);
int k_rownorm(void *ctx, const mxb_call *c, char *err, size_t errlen);
int k_rownorm_bw(void *ctx, const mxb_call *c, char *err, size_t errlen);
int k_dropout(void *ctx, const mxb_call *c, char *err, size_t errlen);
int k_embedding(void *ctx, const mxb_call *c, char *err, size_t errlen);
int k_embedding_bw(void *ctx, const mxb_call *c, char *err, size_t errlen);
int k_pick(void *ctx, const mxb_call *c, char *err, size_t errlen);
int k_clip(void *ctx, const mxb_call *c, char *err, size_t errlen);
int k_argext(void *ctx, const mxb_call *c, char *err, size_t errlen);
int k_where(void *ctx, const mxb_call *c, char *err, size_t errlen);
int k_broadcast(void *ctx, const mxb_call *c, char *err, size_t errlen);
int k_view(void *ctx, const mxb_call *c, char *err, size_t errlen);
int k_join_split(void *ctx, const mxb_call *c, char *err, size_t errlen);
int k_batch_dot(void *ctx, const mxb_call *c, char *err, size_t errlen);
int k_multi_sgd(void *ctx, const mxb_call *c, char *err, size_t errlen);
int k_act_param(void *ctx, const mxb_call *c, char *err, size_t errlen);
int k_backward_act_param(void *ctx, const mxb_call *c, char *err, size_t errlen);

// cuda_conv.cu: Convolution through im2col + GEMM (MXB_UNSUPPORTED without
// cuBLAS or for empty shapes: the direct kernels of cuda_nn.cu run instead)
int conv_gemm_fw(Dev &d, const mxb_call *c, const cg_t &g, bool has_bias, int dt, char *err, size_t errlen);
int conv_gemm_bw(Dev &d, const mxb_call *c, const cg_t &g, int mask, int dt, char *err, size_t errlen);

// cuda_rnn.cu: the fused RNN op and its backward (backends/common/rnn_driver.h), _rnn_param_flat
int k_rnn(void *ctx, const mxb_call *c, char *err, size_t errlen);
int k_rnn_param_flat(void *ctx, const mxb_call *c, char *err, size_t errlen);

}  // namespace mxcu

#endif
