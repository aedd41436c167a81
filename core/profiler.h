/* profiler.h — per-op kernel time accounting, on when MXCORE_PROFILE=1.
 * At exit a table (op, calls, total ms, mean us) is printed to stderr,
 * sorted by total time: the first place to look when a model is slow. */
#ifndef MXCORE_CORE_PROFILER_H
#define MXCORE_CORE_PROFILER_H

#include <stdbool.h>
#include <stdint.h>

struct mx_op_def;

bool mxi_profiling(void);
uint64_t mxi_now_ns(void);
void mxi_profile_add(const struct mx_op_def *op, uint64_t ns);

#endif
