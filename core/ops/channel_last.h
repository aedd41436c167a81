/* channel_last.h — channel-last layouts (NWC, NHWC, NDHWC) for the conv
 * family's CPU kernels (Convolution, Deconvolution, Pooling and their
 * backward ops), which are written for channel-first (NC...) buffers. */
#ifndef MXCORE_CORE_OPS_CHANNEL_LAST_H
#define MXCORE_CORE_OPS_CHANNEL_LAST_H

#include "../op.h"

/* True for "NWC", "NHWC" and "NDHWC". */
int mxi_layout_channel_last(const char *layout);

/* Run `cf`, the op's channel-first CPU kernel, for a channel-last call `c`
 * whose layout attribute is attrs[layout_attr]: every input and output of
 * `nd` dims (data, weight, output and their gradients, which all keep the
 * channel axis last in these layouts: weight (F, k..., C/g)) goes to `cf` as a
 * channel-first copy (last axis moved to axis 1) and outputs come back the same
 * way; 1-d inputs and outputs (bias, its gradient) are passed as they are.
 * `cf` sees the call with layout None.
 *
 * Cost: one extra copy of each such input and output per call, and the
 * memory for it. Small next to a convolution's arithmetic, not next to a
 * pooling's (2 threads, float32: 3x3 Convolution 64 -> 64 of (8, 56, 56, 64)
 * 9.4 ms NCHW vs 11.7 ms NHWC; 2x2 max Pooling 0.4 vs 1.2 ms). Direct
 * channel-last kernels would remove it; correctness came first.
 * Errors: out of memory, or the kernel's own. */
int mxi_run_channel_first(mx_call *c, int layout_attr, int nd, int (*cf)(mx_call *));

#endif
