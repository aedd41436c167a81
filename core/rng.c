/* rng.c — Philox4x32-10 (Salmon et al., SC'11) and the global seed/counter. */
#include "rng.h"

#include <math.h>
#include <stdatomic.h>

#include "op.h"

static _Atomic uint64_t g_seed = 0x5eed5eedULL;
static _Atomic uint64_t g_counter = 0;

static _Thread_local int replay_pending;
static _Thread_local uint64_t replay_seed, replay_offset;

void mxi_rng_replay_next(uint64_t seed, uint64_t offset) {
    replay_pending = 1;
    replay_seed = seed;
    replay_offset = offset;
}

void mxi_rng_replay_clear(void) { replay_pending = 0; }

void mxi_rng_reserve(uint64_t n, uint64_t *seed, uint64_t *offset) {
    if (replay_pending) {
        replay_pending = 0;
        *seed = replay_seed;
        *offset = replay_offset;
        return;
    }
    *seed = atomic_load(&g_seed);
    *offset = atomic_fetch_add(&g_counter, n);
}

int mx_random_seed(uint64_t seed) {
    atomic_store(&g_seed, seed);
    atomic_store(&g_counter, 0);
    return MX_OK;
}

static inline void mulhilo(uint32_t a, uint32_t b, uint32_t *hi, uint32_t *lo) {
    uint64_t p = (uint64_t)a * b;
    *hi = (uint32_t)(p >> 32);
    *lo = (uint32_t)p;
}

void mxi_philox(uint64_t seed, uint64_t ctr, uint32_t out[4]) {
    uint32_t c0 = (uint32_t)ctr, c1 = (uint32_t)(ctr >> 32), c2 = 0, c3 = 0;
    uint32_t k0 = (uint32_t)seed, k1 = (uint32_t)(seed >> 32);
    for (int r = 0; r < 10; r++) {
        uint32_t hi0, lo0, hi1, lo1;
        mulhilo(0xD2511F53u, c0, &hi0, &lo0);
        mulhilo(0xCD9E8D57u, c2, &hi1, &lo1);
        uint32_t n0 = hi1 ^ c1 ^ k0, n1 = lo1, n2 = hi0 ^ c3 ^ k1, n3 = lo0;
        c0 = n0; c1 = n1; c2 = n2; c3 = n3;
        k0 += 0x9E3779B9u;
        k1 += 0xBB67AE85u;
    }
    out[0] = c0; out[1] = c1; out[2] = c2; out[3] = c3;
}

double mxi_rng_uniform(const mx_call *c, uint64_t i) {
    uint32_t w[4];
    mxi_philox(c->rng_seed, c->rng_offset + i, w);
    /* 53-bit mantissa from two words: uniform in [0, 1) */
    uint64_t x = ((uint64_t)w[0] << 21) ^ (w[1] >> 11);
    return (double)(x & ((1ULL << 53) - 1)) * (1.0 / 9007199254740992.0);
}

double mxi_rng_normal(const mx_call *c, uint64_t i) {
    uint32_t w[4];
    mxi_philox(c->rng_seed, c->rng_offset + i, w);
    double u1 = ((double)w[2] + 1.0) * (1.0 / 4294967297.0); /* (0, 1) */
    double u2 = (double)w[3] * (1.0 / 4294967296.0);
    return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}
