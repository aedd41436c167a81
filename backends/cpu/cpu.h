/* cpu.h — the CPU backend's shared services: one intra-op thread pool and
 * GEMM through a real BLAS (OpenBLAS when built with it, a portable blocked
 * kernel otherwise). Used by op kernels in core/ops/. */
#ifndef MXCORE_BACKENDS_CPU_H
#define MXCORE_BACKENDS_CPU_H

#include <stdint.h>

/* Body of a parallel loop: process [begin, end). */
typedef void (*mxi_range_fn)(void *ctx, int64_t begin, int64_t end);

/* Run fn over [0, n) split into chunks of at least `grain` iterations on the
 * pool. Runs inline on the caller when n <= grain, the pool has one thread, or
 * when called from inside a pool worker (no nested parallelism). Blocks until
 * done. Idle workers sleep on a condition variable (never spin). */
void mxi_parallel_for(int64_t n, int64_t grain, mxi_range_fn fn, void *ctx);
int mxi_num_threads(void);
void mxi_set_num_threads_internal(int n);

/* Row-major GEMM: C = alpha * op(A) * op(B) + beta * C, op = transpose if
 * trans*. A is MxK (or KxM if transA), B is KxN (or NxK), C is MxN; lda/ldb/ldc
 * are row strides in elements. */
void mxi_sgemm(int transA, int transB, int64_t M, int64_t N, int64_t K, float alpha,
               const float *A, int64_t lda, const float *B, int64_t ldb, float beta, float *C,
               int64_t ldc);
void mxi_dgemm(int transA, int transB, int64_t M, int64_t N, int64_t K, double alpha,
               const double *A, int64_t lda, const double *B, int64_t ldb, double beta,
               double *C, int64_t ldc);
/* Name of the BLAS in use ("openblas" / "builtin"). */
const char *mxi_blas_name(void);

/* The widest vector ISA the CPU runs, in bits: 512 (AVX-512F), 256 (AVX2 and
 * FMA) or 0 (baseline x86-64, or not x86), capped by MXCORE_CPU_ISA
 * (avx512 / avx2 / none). The direct convolution kernels
 * (core/ops/conv_direct.h) come in one build per width and keep 8-16
 * accumulators in registers: 64-byte vectors compiled for AVX2 spilled and
 * ran 4-50x slower than im2col + GEMM. */
int mxi_cpu_vector_isa(void);

/* Compile a hot loop function also for AVX2 and AVX-512 and pick the widest
 * the CPU has at load time (GCC function multiversioning). The library itself
 * is built for baseline x86-64, so without this its loops are 4 floats wide.
 * Functions a clone calls must be always_inline to share its ISA. */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__GLIBC__)
#define MXI_CPU_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define MXI_CPU_CLONES
#endif

/* Elementwise kernels doing tens of operations per element (erf, GELU,
 * tanh) run in blocks of MXI_PF_BLOCK elements and ask for the next block's
 * input first: the hardware prefetcher did not keep them fed from DRAM, and
 * on arrays past the last-level cache they ran at half their in-cache speed
 * (GELU on 6.3M floats: 3.7 -> 1.8 ns per element). */
#define MXI_PF_BLOCK 1024
static inline void mxi_prefetch_next_block(const void *base, size_t elem_size, int64_t from, int64_t end) {
    const char *p = (const char *)base;
    const int64_t stop = from + MXI_PF_BLOCK < end ? from + MXI_PF_BLOCK : end;
    for (int64_t q = from; q < stop; q += (int64_t)(64 / elem_size)) __builtin_prefetch(p + (size_t)q * elem_size);
}

#endif
