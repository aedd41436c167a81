/* vec16.h — 16 floats as one GCC vector (64 bytes), for reductions the
 * auto-vectorizer leaves scalar when written with per-lane arrays (a row's
 * max or sum). Functions built per ISA (MXI_CPU_CLONES) get one 64-byte
 * register on AVX-512, two on AVX2, four on SSE2. */
#ifndef MXCORE_CORE_OPS_VEC16_H
#define MXCORE_CORE_OPS_VEC16_H

#include <math.h>
#include <stdint.h>
#include <string.h>

typedef float mxi_v16f __attribute__((vector_size(64)));
typedef int32_t mxi_v16i __attribute__((vector_size(64)));

static inline __attribute__((always_inline)) mxi_v16f mxi_v16_load(const float *p) {
    mxi_v16f v;
    memcpy(&v, p, sizeof v);
    return v;
}

static inline __attribute__((always_inline)) mxi_v16f mxi_v16_fill(float x) {
    mxi_v16f v;
    for (int q = 0; q < 16; q++) v[q] = x;
    return v;
}

/* per lane: v where v > m, else m (NaNs in v are skipped, like the scalar
 * select x > m ? x : m) */
static inline __attribute__((always_inline)) mxi_v16f mxi_v16_max_skipnan(mxi_v16f m, mxi_v16f v) {
    const mxi_v16i k = v > m;
    return (mxi_v16f)(((mxi_v16i)v & k) | ((mxi_v16i)m & ~k));
}

/* the largest lane (NaN-free lanes assumed: mxi_v16_max_skipnan keeps them out) */
static inline __attribute__((always_inline)) float mxi_v16_hmax(mxi_v16f m) {
    float r = -INFINITY;
    for (int q = 0; q < 16; q++) r = m[q] > r ? m[q] : r;
    return r;
}

#endif
