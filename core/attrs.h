/* attrs.h — attribute parsing (attrs.c) and registry internals shared with
 * invoke.c. */
#ifndef MXCORE_CORE_ATTRS_H
#define MXCORE_CORE_ATTRS_H

#include "op.h"

/* Parse the defaults of every attribute that has one into `defaults`. */
int mxi_parse_defaults(const mx_op_def *op, mx_attr_val *defaults);
/* Fill c->attrs: start from `defaults`, apply the given key/value strings,
 * check required ones are present. */
int mxi_parse_attrs(const mx_op_def *op, const mx_attr_val *defaults, const char *const *keys,
                    const char *const *vals, int n, mx_call *c);
/* Index of attribute `name` in op's table, or -1. */
int mxi_attr_index(const mx_op_def *op, const char *name);

/* registry.c: validated index of an op handle (-1 if not a registered op)
 * and its pre-parsed default attribute values. */
int mxi_op_index(const mx_op_def *d);
const mx_attr_val *mxi_op_defaults(int index);
int mxi_registry_count(void);
const mx_op_def *mxi_registry_at(int i);

/* invoke.c: invoke with string attrs returning ALL outputs (graph executor),
 * and inference only (fills c->n_out, out_ndim/out_shape/out_dtype). */
int mxi_invoke_kv(const mx_op_def *op, mx_tensor_s *const *in, int n_in, const char *const *keys,
                  const char *const *vals, int n_attr, mx_tensor_s **out, int max_out, int *n_out);
/* What a gradient needs to know of a call besides its values: the training
 * flag and the RNG stream it drew from. */
typedef struct mxi_call_info {
    int training;
    uint64_t rng_seed, rng_offset;
    /* a node's private state from its forward for its gradient (control-flow
     * nodes keep their steps' saved runs, Custom nodes their operator), freed
     * by state_free */
    void *state;
    void (*state_free)(void *state);
} mxi_call_info;

/* Free the states of n call infos (the array itself stays). */
static inline void mxi_call_info_clear(mxi_call_info *info, int n) {
    for (int i = 0; info && i < n; i++)
        if (info[i].state && info[i].state_free) {
            info[i].state_free(info[i].state);
            info[i].state = NULL;
        }
}

/* Invoke with attributes already parsed (graph nodes parse once). `donate`
 * marks inputs the caller gives up (bit i: input i), which an in-place-capable
 * op may overwrite with its output. `info` (optional) receives the call's
 * training flag and RNG stream, for a backward run without the tape. */
int mxi_invoke_parsed(const mx_op_def *op, const mx_attr_val *attrs, int n_attrs, mx_tensor_s *const *in, int n_in,
                      uint64_t donate, mx_tensor_s **out, int max_out, int *n_out, mxi_call_info *info);
int mxi_infer_kv(const mx_op_def *op, mx_tensor_s *const *in, int n_in, const char *const *keys,
                 const char *const *vals, int n_attr, mx_call *c);

#endif
