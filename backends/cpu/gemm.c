/* gemm.c — GEMM entry points. With MXCORE_HAVE_CBLAS the work goes to the
 * system BLAS (OpenBLAS); otherwise a portable cache-blocked kernel keeps a
 * compiler-only build working (correct, not fast).
 *
 * Threading: OpenBLAS runs single-threaded and large products are split into
 * row or column panels on mxcore's own pool. OpenBLAS's pthread workers spin
 * (sched_yield) between calls, which on 2-vCPU VMs steals the core the next
 * op needs; our pool's idle workers sleep. One pool, no oversubscription. */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "cpu.h"

#ifdef MXCORE_HAVE_CBLAS
#include <cblas.h>
/* the scipy-openblas wheels (used for pip builds) prefix every symbol */
#ifdef MXCORE_BLAS_SCIPY_PREFIX
#define MX_SGEMM scipy_cblas_sgemm
#define MX_DGEMM scipy_cblas_dgemm
#define MX_OPENBLAS_SET_THREADS scipy_openblas_set_num_threads
#define MX_OPENBLAS_CORENAME scipy_openblas_get_corename
#else
#define MX_SGEMM cblas_sgemm
#define MX_DGEMM cblas_dgemm
#define MX_OPENBLAS_SET_THREADS openblas_set_num_threads
#define MX_OPENBLAS_CORENAME openblas_get_corename
#endif
#ifdef MXCORE_HAVE_OPENBLAS_SET_THREADS
void MX_OPENBLAS_SET_THREADS(int n);
char *MX_OPENBLAS_CORENAME(void);
#endif
#endif

void mxi_blas_set_threads(int n) {
    (void)n; /* parallelism comes from our pool; the BLAS stays single-threaded */
#if defined(MXCORE_HAVE_CBLAS) && defined(MXCORE_HAVE_OPENBLAS_SET_THREADS)
    MX_OPENBLAS_SET_THREADS(1);
#endif
}

/* Below this many multiply-adds a product runs on the calling thread: waking
 * workers costs more than it saves. */
#define PARALLEL_MIN_MACS (1 << 19)

/* OpenBLAS on AVX-512 cores (SkylakeX and later) multiplies products of at
 * most 100^3 multiply-adds with a "small matrix" kernel that skips packing,
 * 1.3-1.5x faster per multiply-add than its packed path just above that size
 * (32x784 by 784x40: 29 us; by 784x36: 19 us). Mid-size products (an MLP
 * layer at batch 32: 2.5M) are therefore cut into panels under that size,
 * a few per thread: the seed MLP's weight-gradient GEMM went 43 -> 19 us
 * on 2 threads. Bigger products keep one panel per thread (at 10M the split
 * was already 5% slower for the weight gradient). */
#define SMALL_PANEL_MACS 1000000.0
#define SMALL_SPLIT_MAX_MACS (4.0 * SMALL_PANEL_MACS) /* per thread; above, big panels win again */

static int small_kernel_blas(void) {
    static atomic_int known = -1; /* every thread that races here computes the same answer */
    if (atomic_load_explicit(&known, memory_order_relaxed) < 0) {
        int yes = 0;
#if defined(MXCORE_HAVE_CBLAS) && defined(MXCORE_HAVE_OPENBLAS_SET_THREADS)
        const char *core = MX_OPENBLAS_CORENAME();
        char low[64] = {0};
        for (size_t i = 0; core && core[i] && i < sizeof low - 1; i++)
            low[i] = (char)(core[i] >= 'A' && core[i] <= 'Z' ? core[i] - 'A' + 'a' : core[i]);
        yes = strstr(low, "skylakex") || strstr(low, "cooperlake") || strstr(low, "sapphirerapids");
#endif
        atomic_store_explicit(&known, yes, memory_order_relaxed);
    }
    return atomic_load_explicit(&known, memory_order_relaxed);
}

typedef struct {
    int ta, tb, dbl;
    int64_t M, N, K, lda, ldb, ldc;
    double alpha, beta;
    const void *A, *B;
    void *C;
    int split_rows; /* 1: panels of C's rows, 0: panels of C's columns */
    int64_t step;   /* panel size */
} gemm_job;

static void gemm_serial(int ta, int tb, int64_t M, int64_t N, int64_t K, double alpha, const void *A, int64_t lda,
                        const void *B, int64_t ldb, double beta, void *C, int64_t ldc, int dbl);

static void gemm_panel(void *ctx, int64_t b, int64_t e) {
    gemm_job *j = ctx;
    size_t es = j->dbl ? sizeof(double) : sizeof(float);
    for (int64_t p = b; p < e; p++) {
        int64_t lo = p * j->step, hi = lo + j->step;
        if (j->split_rows) {
            if (hi > j->M) hi = j->M;
            if (lo >= hi) continue;
            /* rows lo..hi of op(A): A + lo*lda (no trans) or A + lo (trans) */
            const char *a = (const char *)j->A + (size_t)(j->ta ? lo : lo * j->lda) * es;
            gemm_serial(j->ta, j->tb, hi - lo, j->N, j->K, j->alpha, a, j->lda, j->B, j->ldb, j->beta,
                        (char *)j->C + (size_t)(lo * j->ldc) * es, j->ldc, j->dbl);
        } else {
            if (hi > j->N) hi = j->N;
            if (lo >= hi) continue;
            /* columns lo..hi of op(B): B + lo (no trans) or B + lo*ldb (trans) */
            const char *bb = (const char *)j->B + (size_t)(j->tb ? lo * j->ldb : lo) * es;
            gemm_serial(j->ta, j->tb, j->M, hi - lo, j->K, j->alpha, j->A, j->lda, bb, j->ldb, j->beta,
                        (char *)j->C + (size_t)lo * es, j->ldc, j->dbl);
        }
    }
}

/* Tall reductions: C is small and K long (a convolution's weight gradient over
 * a whole batch: 20x25 outputs, K = 36,864). Panels of C would leave each
 * thread packing the whole of K for a sliver of C, so K is split instead:
 * each chunk writes its own partial product, and C = beta*C + the partials
 * summed in chunk order (deterministic for any thread count). Chunks fit the
 * small-matrix kernel where there is one. LeNet conv1's weight gradient:
 * 0.86 -> ~0.3 ms. */
#define SPLITK_MAX_C 16384               /* elements of C */
#define SPLITK_MAX_PARTIALS (1 << 20)    /* elements of all partials together */

typedef struct {
    int ta, tb, dbl;
    int64_t M, N, K, lda, ldb, kc;
    double alpha;
    const void *A, *B;
    void *partial; /* chunk c at element c*M*N, row-major M x N */
} splitk_job;

static void splitk_chunk(void *ctx, int64_t b, int64_t e) {
    splitk_job *j = ctx;
    size_t es = j->dbl ? sizeof(double) : sizeof(float);
    for (int64_t c = b; c < e; c++) {
        int64_t k0 = c * j->kc, kk = j->K - k0 < j->kc ? j->K - k0 : j->kc;
        /* columns k0.. of op(A) and rows k0.. of op(B) */
        const char *a = (const char *)j->A + (size_t)(j->ta ? k0 * j->lda : k0) * es;
        const char *bb = (const char *)j->B + (size_t)(j->tb ? k0 : k0 * j->ldb) * es;
        gemm_serial(j->ta, j->tb, j->M, j->N, kk, j->alpha, a, j->lda, bb, j->ldb, 0,
                    (char *)j->partial + (size_t)(c * j->M * j->N) * es, j->N, j->dbl);
    }
}

/* Returns 0 when done, -1 when the shape does not qualify or memory ran out. */
static int gemm_split_k(int ta, int tb, int64_t M, int64_t N, int64_t K, double alpha, const void *A, int64_t lda,
                        const void *B, int64_t ldb, double beta, void *C, int64_t ldc, int dbl, int nt) {
    const int64_t mn = M * N;
    if (mn == 0 || mn > SPLITK_MAX_C || K < 8 * (M > N ? M : N)) return -1;
    int64_t kc = (K + nt - 1) / nt;
    if (!dbl && small_kernel_blas()) {
        int64_t small = (int64_t)(SMALL_PANEL_MACS / (double)mn);
        if (small >= 64 && small < kc) kc = small;
    }
    int64_t chunks = (K + kc - 1) / kc;
    if (chunks < 2 || chunks * mn > SPLITK_MAX_PARTIALS) return -1;
    size_t es = dbl ? sizeof(double) : sizeof(float);
    void *partial = malloc((size_t)(chunks * mn) * es);
    if (!partial) return -1;
    splitk_job j = {ta, tb, dbl, M, N, K, lda, ldb, kc, alpha, A, B, partial};
    mxi_parallel_for(chunks, 1, splitk_chunk, &j);
    for (int64_t i = 0; i < M; i++)
        for (int64_t jj = 0; jj < N; jj++) {
            double acc = 0;
            for (int64_t c = 0; c < chunks; c++)
                acc += dbl ? ((double *)partial)[c * mn + i * N + jj] : ((float *)partial)[c * mn + i * N + jj];
            if (dbl) {
                double *cp = (double *)C + i * ldc + jj;
                *cp = (beta == 0 ? 0 : beta * *cp) + acc;
            } else {
                float *cp = (float *)C + i * ldc + jj;
                *cp = (float)((beta == 0 ? 0 : beta * (double)*cp) + acc);
            }
        }
    free(partial);
    return 0;
}

/* Split C into panels along its longer side: one per thread, or (mid-size
 * products on a BLAS with a small-matrix kernel) as many as keep each panel
 * under SMALL_PANEL_MACS. */
static void gemm_dispatch(int ta, int tb, int64_t M, int64_t N, int64_t K, double alpha, const void *A, int64_t lda,
                          const void *B, int64_t ldb, double beta, void *C, int64_t ldc, int dbl) {
    int nt = mxi_num_threads();
    const double macs = (double)M * (double)N * (double)K;
    if (nt > 1 && macs >= PARALLEL_MIN_MACS &&
        gemm_split_k(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, dbl, nt) == 0)
        return;
    int64_t panels = nt > 1 && macs >= PARALLEL_MIN_MACS ? nt : 1;
    if (!dbl && macs > SMALL_PANEL_MACS && macs <= SMALL_SPLIT_MAX_MACS * nt && small_kernel_blas()) {
        int64_t want = (int64_t)(macs / SMALL_PANEL_MACS) + 1;
        panels = want > panels ? want : panels;
    }
    if (panels <= 1) {
        gemm_serial(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, dbl);
        return;
    }
    gemm_job j = {ta, tb, dbl, M, N, K, lda, ldb, ldc, alpha, beta, A, B, C, M >= N, 0};
    int64_t extent = j.split_rows ? M : N;
    if (panels > extent) panels = extent;
    j.step = (extent + panels - 1) / panels;
    /* column panels start vector-aligned when they are wide enough to care;
     * row panels need no alignment (each row starts its own run of memory) */
    if (!j.split_rows && j.step >= 64) j.step = (j.step + 15) & ~(int64_t)15;
    panels = (extent + j.step - 1) / j.step;
    mxi_parallel_for(panels, 1, gemm_panel, &j); /* inline on a 1-thread pool */
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

static void gemm_serial(int ta, int tb, int64_t M, int64_t N, int64_t K, double alpha, const void *A, int64_t lda,
                        const void *B, int64_t ldb, double beta, void *C, int64_t ldc, int dbl) {
    if (M == 0 || N == 0) return;
    if (K == 0) { /* BLAS leaves C untouched only for beta==1; be explicit */
        for (int64_t i = 0; i < M; i++)
            for (int64_t jj = 0; jj < N; jj++) {
                if (dbl) { double *c = (double *)C + i * ldc + jj; *c = beta == 0 ? 0 : beta * *c; }
                else { float *c = (float *)C + i * ldc + jj; *c = beta == 0 ? 0 : (float)beta * *c; }
            }
        return;
    }
#ifdef MXCORE_HAVE_CBLAS
    if (dbl)
        MX_DGEMM(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, (int)M, (int)N,
                    (int)K, alpha, A, (int)lda, B, (int)ldb, beta, C, (int)ldc);
    else
        MX_SGEMM(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, (int)M, (int)N,
                    (int)K, (float)alpha, A, (int)lda, B, (int)ldb, (float)beta, C, (int)ldc);
#else
    if (dbl) gemm_f64(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
    else gemm_f32(ta, tb, M, N, K, (float)alpha, A, lda, B, ldb, (float)beta, C, ldc);
#endif
}

void mxi_sgemm(int ta, int tb, int64_t M, int64_t N, int64_t K, float alpha, const float *A, int64_t lda,
               const float *B, int64_t ldb, float beta, float *C, int64_t ldc) {
    gemm_dispatch(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, 0);
}

void mxi_dgemm(int ta, int tb, int64_t M, int64_t N, int64_t K, double alpha, const double *A, int64_t lda,
               const double *B, int64_t ldb, double beta, double *C, int64_t ldc) {
    gemm_dispatch(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, 1);
}
