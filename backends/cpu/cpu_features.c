/* cpu_features.c — what the CPU can run, for kernels whose speed (not
 * correctness) depends on it. MXI_CPU_CLONES picks an ISA per function by
 * itself; this is for choosing between whole algorithms.
 *
 * MXCORE_CPU_ISA caps the answer (avx512, avx2, or none: baseline x86-64),
 * to test and compare the paths a CPU with less would take. */
#include <stdlib.h>
#include <string.h>

#include "cpu.h"

int mxi_cpu_vector_isa(void) {
#if defined(__GNUC__) && defined(__x86_64__)
    static int known = -1; /* every thread that races here computes the same answer */
    if (known < 0) {
        __builtin_cpu_init();
        int isa = __builtin_cpu_supports("avx512f")                                          ? 512
                  : __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") ? 256
                                                                                        : 0;
        const char *cap = getenv("MXCORE_CPU_ISA");
        if (cap && *cap) {
            const int lim = strcmp(cap, "avx512") == 0 ? 512 : strcmp(cap, "avx2") == 0 ? 256 : 0;
            isa = isa < lim ? isa : lim;
        }
        known = isa;
    }
    return known;
#else
    return 0;
#endif
}
