/* rng.h — the global counter-based RNG state (rng.c). Each random op call
 * reserves a block of counters; element i of that call uses counter
 * offset + i, so results depend only on the seed and the call sequence, never
 * on how the work is split across threads. */
#ifndef MXCORE_CORE_RNG_H
#define MXCORE_CORE_RNG_H

#include <stdint.h>

void mxi_rng_reserve(uint64_t n, uint64_t *seed, uint64_t *offset);
/* Make this thread's next reservation return (seed, offset) instead of
 * drawing new counters: a replay of a recorded call draws the same numbers
 * (graph_backward.c recomputes a forward for higher-order gradients). */
void mxi_rng_replay_next(uint64_t seed, uint64_t offset);
/* Drop a replay nobody consumed (the call failed before drawing). */
void mxi_rng_replay_clear(void);

#endif
