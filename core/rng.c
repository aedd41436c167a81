/* rng.c — the global seed/counter and the Philox4x32-10 draws (philox.h). */
#include "rng.h"

#include <math.h>
#include <stdatomic.h>

#include "op.h"
#include "philox.h"

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

void mxi_philox(uint64_t seed, uint64_t ctr, uint32_t out[4]) { mxi_philox4x32(seed, ctr, out); }

double mxi_rng_uniform(const mx_call *c, uint64_t i) {
    /* 53-bit mantissa from two words: uniform in [0, 1) */
    return (double)mxi_philox_u53(c->rng_seed, c->rng_offset + i) * (1.0 / 9007199254740992.0);
}

double mxi_rng_normal(const mx_call *c, uint64_t i) {
    uint32_t w[4];
    mxi_philox(c->rng_seed, c->rng_offset + i, w);
    double u1 = ((double)w[2] + 1.0) * (1.0 / 4294967297.0); /* (0, 1) */
    double u2 = (double)w[3] * (1.0 / 4294967296.0);
    return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}
