/* profiler.h — per-op CPU kernel time accounting: on when MXCORE_PROFILE=1
 * (then a table of op, calls, total ms, mean us, sorted by total time, is
 * printed to stderr at exit) or while mx_profiler_set_state runs it (then
 * mx_profiler_dumps returns the table and mx_profiler_dump_trace writes the
 * per-call events as a Chrome trace). The first place to look when a model
 * is slow. */
#ifndef MXCORE_CORE_PROFILER_H
#define MXCORE_CORE_PROFILER_H

#include <stdbool.h>
#include <stdint.h>

struct mx_op_def;

bool mxi_profiling(void);
uint64_t mxi_now_ns(void);
/* One call of `op` that started at t0 (mxi_now_ns) and took ns. */
void mxi_profile_add(const struct mx_op_def *op, uint64_t t0, uint64_t ns);

#endif
