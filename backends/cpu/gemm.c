/* gemm.c — GEMM entry points. With MXCORE_HAVE_CBLAS the work goes to the
 * system BLAS (OpenBLAS); otherwise a portable cache-blocked kernel keeps a
 * compiler-only build working (correct, not fast). */
#include <stdlib.h>
#include <string.h>

#include "cpu.h"

#ifdef MXCORE_HAVE_CBLAS
#include <cblas.h>
#ifdef MXCORE_HAVE_OPENBLAS_SET_THREADS
void openblas_set_num_threads(int n);
#endif
#endif

void mxi_blas_set_threads(int n) {
#if defined(MXCORE_HAVE_CBLAS) && defined(MXCORE_HAVE_OPENBLAS_SET_THREADS)
    openblas_set_num_threads(n);
#else
    (void)n;
#endif
}

const char *mxi_blas_name(void) {
#ifdef MXCORE_HAVE_CBLAS
    return MXCORE_BLAS_NAME;
#else
    return "builtin";
#endif
}

#ifndef MXCORE_HAVE_CBLAS
/* Portable fallback: C += alpha * op(A) op(B) with 64x64x256 blocking; element
 * access through strides so transposes cost nothing extra. */
#define FALLBACK_GEMM(NAME, T)                                                                           \
    static void NAME(int ta, int tb, int64_t M, int64_t N, int64_t K, T alpha, const T *A, int64_t lda,  \
                     const T *B, int64_t ldb, T beta, T *C, int64_t ldc) {                               \
        for (int64_t i = 0; i < M; i++)                                                                  \
            for (int64_t j = 0; j < N; j++) C[i * ldc + j] = beta == 0 ? 0 : beta * C[i * ldc + j];      \
        int64_t as_i = ta ? 1 : lda, as_k = ta ? lda : 1, bs_k = tb ? 1 : ldb, bs_j = tb ? ldb : 1;      \
        for (int64_t i0 = 0; i0 < M; i0 += 64)                                                           \
            for (int64_t k0 = 0; k0 < K; k0 += 256)                                                      \
                for (int64_t i = i0; i < M && i < i0 + 64; i++)                                          \
                    for (int64_t k = k0; k < K && k < k0 + 256; k++) {                                   \
                        T a = alpha * A[i * as_i + k * as_k];                                            \
                        const T *b = B + k * bs_k;                                                       \
                        T *c = C + i * ldc;                                                              \
                        if (bs_j == 1)                                                                   \
                            for (int64_t j = 0; j < N; j++) c[j] += a * b[j];                            \
                        else                                                                             \
                            for (int64_t j = 0; j < N; j++) c[j] += a * b[j * bs_j];                     \
                    }                                                                                    \
    }
FALLBACK_GEMM(gemm_f32, float)
FALLBACK_GEMM(gemm_f64, double)
#endif

void mxi_sgemm(int ta, int tb, int64_t M, int64_t N, int64_t K, float alpha, const float *A, int64_t lda,
               const float *B, int64_t ldb, float beta, float *C, int64_t ldc) {
    if (M == 0 || N == 0) return;
#ifdef MXCORE_HAVE_CBLAS
    if (K == 0) { /* BLAS leaves C untouched only for beta==1; be explicit */
        for (int64_t i = 0; i < M; i++)
            for (int64_t j = 0; j < N; j++) C[i * ldc + j] = beta == 0 ? 0 : beta * C[i * ldc + j];
        return;
    }
    cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, (int)M, (int)N,
                (int)K, alpha, A, (int)lda, B, (int)ldb, beta, C, (int)ldc);
#else
    gemm_f32(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
#endif
}

void mxi_dgemm(int ta, int tb, int64_t M, int64_t N, int64_t K, double alpha, const double *A, int64_t lda,
               const double *B, int64_t ldb, double beta, double *C, int64_t ldc) {
    if (M == 0 || N == 0) return;
#ifdef MXCORE_HAVE_CBLAS
    if (K == 0) {
        for (int64_t i = 0; i < M; i++)
            for (int64_t j = 0; j < N; j++) C[i * ldc + j] = beta == 0 ? 0 : beta * C[i * ldc + j];
        return;
    }
    cblas_dgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, (int)M, (int)N,
                (int)K, alpha, A, (int)lda, B, (int)ldb, beta, C, (int)ldc);
#else
    gemm_f64(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
#endif
}
