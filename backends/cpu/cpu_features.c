/* cpu_features.c — what the CPU can run, for kernels whose speed (not
 * correctness) depends on it. MXI_CPU_CLONES picks an ISA per function by
 * itself; this is for choosing between whole algorithms.
 *
 * MXCORE_CPU_ISA=avx2 (or any value other than avx512) makes the library
 * behave as on a CPU without AVX-512, to test and compare those paths. */
#include <stdlib.h>
#include <string.h>

#include "cpu.h"

int mxi_cpu_has_avx512(void) {
#if defined(__GNUC__) && defined(__x86_64__)
    static int known = -1; /* every thread that races here computes the same answer */
    if (known < 0) {
        const char *cap = getenv("MXCORE_CPU_ISA");
        __builtin_cpu_init();
        known = __builtin_cpu_supports("avx512f") && (!cap || !*cap || strcmp(cap, "avx512") == 0) ? 1 : 0;
    }
    return known;
#else
    return 0;
#endif
}
