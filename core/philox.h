/* philox.h — Philox4x32-10 (Salmon et al., SC'11) as an inline function, so
 * loops that draw one block per element (Dropout's mask, the samplers)
 * vectorize instead of calling mxi_philox per element. Same stream as
 * mxi_philox (rng.c wraps this) and as the OpenCL and CUDA kernels. */
#ifndef MXCORE_CORE_PHILOX_H
#define MXCORE_CORE_PHILOX_H

#include <stdint.h>

static inline __attribute__((always_inline)) void mxi_philox4x32(uint64_t seed, uint64_t ctr, uint32_t out[4]) {
    uint32_t c0 = (uint32_t)ctr, c1 = (uint32_t)(ctr >> 32), c2 = 0, c3 = 0;
    uint32_t k0 = (uint32_t)seed, k1 = (uint32_t)(seed >> 32);
    for (int r = 0; r < 10; r++) {
        uint64_t p0 = (uint64_t)0xD2511F53u * c0, p1 = (uint64_t)0xCD9E8D57u * c2;
        uint32_t n0 = (uint32_t)(p1 >> 32) ^ c1 ^ k0, n1 = (uint32_t)p1;
        uint32_t n2 = (uint32_t)(p0 >> 32) ^ c3 ^ k1, n3 = (uint32_t)p0;
        c0 = n0; c1 = n1; c2 = n2; c3 = n3;
        k0 += 0x9E3779B9u;
        k1 += 0xBB67AE85u;
    }
    out[0] = c0; out[1] = c1; out[2] = c2; out[3] = c3;
}

/* The 53-bit integer behind mxi_rng_uniform's double (u = x / 2^53). */
static inline __attribute__((always_inline)) uint64_t mxi_philox_u53(uint64_t seed, uint64_t ctr) {
    uint32_t w[4];
    mxi_philox4x32(seed, ctr, w);
    return (((uint64_t)w[0] << 21) ^ (w[1] >> 11)) & ((1ULL << 53) - 1);
}

#endif
