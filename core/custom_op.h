/* custom_op.h — graph nodes computed by the host ("Custom", MXNet's
 * mx.sym.Custom), implemented in core/ops/custom.c over the handler a
 * binding registers with mx_custom_op_set_handler. The graph executor
 * (graph.c, graph_backward.c) calls these for nodes whose op has
 * MX_OPF_HOST. Not installed. */
#ifndef MXCORE_CORE_CUSTOM_OP_H
#define MXCORE_CORE_CUSTOM_OP_H

#include "graph_internal.h"

/* At load: ask the host for the node's counts (n_out, n_visible, which
 * inputs are aux states) and check them against its inputs. Errors name the
 * node and op_type. */
int mxi_custom_load(gnode *n);
/* Free what mxi_custom_load and the runs attached to the node. NULL-safe. */
void mxi_custom_free(gnode *n);
/* Whether input j of the node is an auxiliary state (updated in place). */
bool mxi_custom_is_aux_input(const gnode *n, int j);
/* Name of output k ("output"): start and length, for "<node>_<name>". */
const char *mxi_custom_output_name(const gnode *n, int k, size_t *len);
/* Shape inference: ins[j] known (shape-only tensor) or NULL. On success the
 * outputs are in c (n_out, out_ndim/out_shape/out_dtype) and every input the
 * host filled in has ins[j] pointing at filled[j]. */
int mxi_custom_infer(const gnode *n, mx_tensor_s **ins, mx_tensor_s *filled, mx_call *c);
/* Run the node on ins; outs receive n->n_out new tensors. info (optional)
 * receives the training flag and a reference to the operator state (its
 * state/state_free, dropped by mxi_call_info_clear). Under per-op recording the call is recorded
 * on the tape with its backward. */
int mxi_custom_forward(gnode *n, mx_tensor_s *const *ins, mx_tensor_s **outs, mxi_call_info *info);
/* The op's gradient (gc->state: the operator state of the forward). */
int mxi_custom_grad(mx_grad_ctx *gc);

#endif
