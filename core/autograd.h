/* autograd.h — the per-thread tape (autograd.c). invoke.c records a node for
 * each differentiable op call while recording is on. */
#ifndef MXCORE_CORE_AUTOGRAD_H
#define MXCORE_CORE_AUTOGRAD_H

#include "op.h"

/* Leaf information for a marked variable. */
typedef struct mx_ag_var {
    mx_tensor_s *grad; /* owned */
    int grad_req;
    int fresh; /* a backward wrote grad since the last mx_autograd_grad_fresh(clear) */
    uint64_t seq; /* numbers its get_symbol name, var<seq> */
} mx_ag_var;

/* A recorded op call (autograd.c owns the life cycle; autograd_symbol.c reads
 * the graph for get_symbol). */
typedef struct mx_ag_node {
    atomic_long refcount;
    const mx_op_def *op;
    uint64_t seq;          /* numbers its get_symbol name, node_<seq> */
    int n_attrs;
    mx_attr_val *attrs;
    int training;
    uint64_t rng_seed, rng_offset;
    int n_in, n_out;
    mx_tensor_s **inputs;  /* owned references (graph edges) */
    mx_tensor_s **outputs; /* owned value aliases */
    bool freed;            /* released by a backward without retain_graph */
    void *state;           /* mxi_ag_record_stateful: private state, */
    void (*release_state)(void *); /* freed with the node */
    /* backward scratch */
    uint64_t epoch;
    mx_tensor_s **ograd;
} mx_ag_node;

/* The next number of MXNet's shared variable counter (var<k> / null<k>). */
uint64_t mxi_ag_next_var_seq(void);

bool mxi_ag_training(void);
/* True if `t` carries live history or is a variable wanting a gradient
 * (backward kernels use it to skip gradients nobody needs). */
bool mxi_ag_wants_grad(const mx_tensor_s *t);
/* True if `t` is held by the tape: an output of a live recorded node or a
 * marked variable (writing into it while recording would corrupt gradients). */
bool mxi_ag_in_graph(const mx_tensor_s *t);
/* Public ops that are not differentiable (argmax, comparisons, creation
 * like zeros_like): recorded anyway when an input carries history, as MXNet
 * does, so a head computed from them is in the graph; their gradient is zero.
 * Internal kernels without a gradient are not (differentiating them is an
 * error, not a silent zero). */
bool mxi_ag_records_without_grad(const mx_op_def *op);
/* True if any input carries history or is a variable wanting a gradient. */
bool mxi_ag_needs_record(const mx_call *c);
/* Record call `c` (outputs already computed) on the tape; links outputs. */
int mxi_ag_record(const mx_call *c);
/* Record `c` as one node carrying private `state` (handed to its gradient as
 * mx_grad_ctx.state); `release` frees the state with the node, or at once if
 * recording fails. The graph executor records a whole graph this way. */
int mxi_ag_record_stateful(const mx_call *c, void *state, void (*release)(void *));
/* *acc += g, taking ownership of g (*acc NULL: g becomes it). */
int mxi_ag_accumulate(mx_tensor_s **acc, mx_tensor_s *g);
/* MX_OK when gradient gi has input x's shape, else an error naming `who`
 * (the op or graph node) and input i. */
int mxi_ag_check_grad_shape(const mx_tensor_s *gi, const mx_tensor_s *x, const char *who, int i);
/* Drop autograd links of a tensor being freed. */
void mxi_ag_tensor_cleanup(mx_tensor_s *t);

#endif
