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
/* Record `c` as one node carrying private `state` (handed to its gradient as
 * mx_grad_ctx.state); `release` frees the state with the node, or at once if
 * recording fails. The graph executor records a whole graph this way. */
int mxi_ag_record_stateful(const mx_call *c, void *state, void (*release)(void *));
/* Drop autograd links of a tensor being freed. */
void mxi_ag_tensor_cleanup(mx_tensor_s *t);

#endif
