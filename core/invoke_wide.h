/* invoke_wide.h — variadic ops with more inputs than one call holds
 * (invoke_wide.c), and the invoke entry they re-enter (invoke.c). */
#ifndef MXCORE_CORE_INVOKE_WIDE_H
#define MXCORE_CORE_INVOKE_WIDE_H

#include <stdbool.h>

#include "op.h"

/* Whether `op` can take more than MX_MAX_INPUTS inputs by combining partial
 * results (add_n, concat, stack). */
bool mxi_wide_op(const mx_op_def *op);

/* Run a wide op on n_in > MX_MAX_INPUTS inputs as calls of at most
 * MX_MAX_INPUTS inputs each plus a combining call, with the caller's string
 * attributes (num_args, when given, must equal n_in). outputs/n_given/
 * max_out/n_out as mx_op_invoke: n_given > 0 writes into the given tensors,
 * else outputs[0] receives a new reference. Errors name the op and the
 * range of inputs whose call failed; nothing is written on failure. */
int mxi_invoke_wide(const mx_op_def *op, mx_tensor_s *const *inputs, int n_in, const char *const *keys,
                    const char *const *vals, int n_attr, mx_tensor_s **outputs, int n_given, int max_out,
                    int *n_out);

/* num_outputs when `op` is split and its string attributes ask for more
 * than MX_MAX_OUTPUTS parts (split through mxi_invoke_wide_split), else 0. */
int mxi_wide_split_outputs(const mx_op_def *op, const char *const *keys, const char *const *vals, int n_attr);

/* split of x into n_parts > MX_MAX_OUTPUTS parts, as blocks of at most
 * MX_MAX_OUTPUTS parts (slice_axis, then split); outputs receives n_parts
 * new references (max_out must be at least n_parts). Errors name the op and
 * the block of outputs whose call failed; nothing is returned on failure. */
int mxi_invoke_wide_split(const mx_op_def *op, mx_tensor_s *x, int n_parts, const char *const *keys,
                          const char *const *vals, int n_attr, mx_tensor_s **outputs, int max_out, int *n_out);

/* invoke.c: one op call as mx_op_invoke makes it (visible outputs only,
 * optional given outputs), for internal callers. */
int mxi_invoke_given(const mx_op_def *op, mx_tensor_s *const *inputs, int n_in, const char *const *keys,
                     const char *const *vals, int n_attr, mx_tensor_s **outputs, int n_given, int max_out,
                     int *n_out);

#endif
