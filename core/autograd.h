/* autograd.h — the per-thread tape (autograd.c). invoke.c records a node for
 * each differentiable op call while recording is on. */
#ifndef MXCORE_CORE_AUTOGRAD_H
#define MXCORE_CORE_AUTOGRAD_H

#include "op.h"

/* Leaf information for a marked variable. */
typedef struct mx_ag_var {
    mx_tensor_s *grad; /* owned */
    int grad_req;
} mx_ag_var;

bool mxi_ag_recording(void);
bool mxi_ag_training(void);
/* True if `t` carries live history or is a variable wanting a gradient
 * (backward kernels use it to skip gradients nobody needs). */
bool mxi_ag_wants_grad(const mx_tensor_s *t);
/* True if any input carries history or is a variable wanting a gradient. */
bool mxi_ag_needs_record(const mx_call *c);
/* Record call `c` (outputs already computed) on the tape; links outputs. */
int mxi_ag_record(const mx_call *c);
/* Drop autograd links of a tensor being freed. */
void mxi_ag_tensor_cleanup(mx_tensor_s *t);

#endif
