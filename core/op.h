/* op.h — how an op is defined. Every op family in core/ops/<family>.c includes
 * this, defines a static table of mx_op_def and registers it from its
 * mxi_register_<family>() function (listed in core/ops/families.h).
 *
 * An op is defined once: name + MXNet aliases, inputs, typed attributes, shape
 * and dtype inference, a CPU kernel, and a gradient written with registered
 * ops (mxi_call*), so backward runs on every backend and can be recorded
 * (gradient of gradient). */
#ifndef MXCORE_CORE_OP_H
#define MXCORE_CORE_OP_H

#include "error.h"
#include "tensor.h"

#define MX_MAX_INPUTS 512
#define MX_MAX_OUTPUTS 64
#define MX_MAX_ATTRS 24
#define MX_MAX_TUPLE 20

/* ---- typed attributes ---- */
typedef enum {
    MX_ATTR_INT,    /* int64 */
    MX_ATTR_FLOAT,  /* double */
    MX_ATTR_BOOL,   /* "True"/"False"/"1"/"0" */
    MX_ATTR_STR,    /* free string (<= 63 chars) */
    MX_ATTR_ENUM,   /* one of `choices` ("a,b,c"); value .i is the index */
    MX_ATTR_SHAPE,  /* int tuple "(2,3)", "[2,3]", "2" or "None" (is_none) */
    MX_ATTR_FLOATS, /* float tuple */
    MX_ATTR_DTYPE,  /* dtype name, value .i is mx_dtype, or -1 for "None" */
    MX_ATTR_OPT_INT /* int or "None" (is_none) */
} mx_attr_type;

typedef struct mx_attr_spec {
    const char *name;
    mx_attr_type type;
    const char *def;     /* default in string form; NULL = required */
    const char *doc;
    const char *choices; /* MX_ATTR_ENUM: "a,b,c" */
    int bounded;         /* 1: lo <= value <= hi enforced (INT, FLOAT, OPT_INT) */
    double lo, hi;
} mx_attr_spec;

typedef struct mx_attr_val {
    int is_none;            /* "None" given for SHAPE/OPT_INT/DTYPE */
    int64_t i;              /* INT, BOOL, ENUM index, DTYPE, OPT_INT */
    double f;               /* FLOAT */
    int n;                  /* SHAPE / FLOATS length */
    int64_t v[MX_MAX_TUPLE];/* SHAPE */
    double fv[MX_MAX_TUPLE];/* FLOATS */
    char s[64];             /* STR and ENUM (the chosen text) */
} mx_attr_val;

/* ---- op flags ---- */
enum {
    MX_OPF_INTERNAL = 1u << 0,   /* backward helper: not in public bindings */
    MX_OPF_NO_GRAD = 1u << 1,    /* not differentiable (argmax, comparisons ...) */
    MX_OPF_RANDOM = 1u << 2,     /* draws from the RNG */
    MX_OPF_STRIDED = 1u << 3,    /* kernel accepts non-contiguous inputs */
    MX_OPF_NO_INPUT_CAST = 1u << 4, /* don't upcast unsupported input dtypes */
    MX_OPF_WRITES_ALL = 1u << 5,  /* kernel writes every output element: skip zeroing */
    MX_OPF_INPLACE_OK = 1u << 6,  /* kernel is correct when an output is the same
                                     buffer as an input (elementwise) */
    MX_OPF_HOST = 1u << 7,        /* computed by the host handler (Custom): the graph
                                     executor dispatches it to core/ops/custom.c; it is
                                     never folded, fused or invoked eagerly */
    MX_OPF_SUBGRAPH = 1u << 8     /* a control-flow node carrying subgraphs: only the
                                     graph executor runs it (graph_control_flow.c) */
};

/* dtype masks for mx_op_def.dtypes (kernels' native dtypes). Inputs of other
 * dtypes are converted to float32 before the kernel and outputs converted
 * back to the inferred dtype, unless MX_OPF_NO_INPUT_CAST. */
#define MX_DT(d) (1u << (d))
#define MX_DT_F32 MX_DT(MX_FLOAT32)
#define MX_DT_FLOAT (MX_DT(MX_FLOAT32) | MX_DT(MX_FLOAT64))
#define MX_DT_INT (MX_DT(MX_UINT8) | MX_DT(MX_INT8) | MX_DT(MX_INT32) | MX_DT(MX_INT64) | MX_DT(MX_BOOL))
#define MX_DT_ALL (MX_DT_FLOAT | MX_DT_INT | MX_DT(MX_FLOAT16) | MX_DT(MX_BFLOAT16))

struct mx_op_def;

/* One call of an op: parsed attrs (indexed like the op's attr table), inputs,
 * outputs, and the inferred output shapes/dtypes. */
typedef struct mx_call {
    const struct mx_op_def *op;
    int n_attrs;
    mx_attr_val attrs[MX_MAX_ATTRS];
    int n_in;
    mx_tensor_s *in[MX_MAX_INPUTS];
    int n_out;
    mx_tensor_s *out[MX_MAX_OUTPUTS];
    int out_ndim[MX_MAX_OUTPUTS];
    int64_t out_shape[MX_MAX_OUTPUTS][MX_MAX_NDIM];
    int out_dtype[MX_MAX_OUTPUTS];
    int training;            /* autograd training flag at call time */
    uint64_t rng_seed;       /* MX_OPF_RANDOM ops: Philox key and */
    uint64_t rng_offset;     /* first counter reserved for this call */
    uint64_t donate;         /* inputs the caller gives up (graph executor): an
                                in-place-capable op may write its output into them */
} mx_call;

/* Gradient context: fill igrad[i] (new reference, or NULL for "no gradient")
 * for each input from ograd — non-NULL (zeros where unused) for the visible
 * outputs; hidden outputs' entries are NULL unless something differentiated
 * them. in/out hold the forward inputs and outputs (values only).
 * need[i] says whether anybody wants input i's gradient (NULL: all inputs);
 * a gradient may skip work for the others (mxi_grad_needed). state is the
 * private state of a node recorded with mxi_ag_record_stateful, else NULL. */
typedef struct mx_grad_ctx {
    const mx_call *call;
    mx_tensor_s *const *in;
    mx_tensor_s *const *out;
    mx_tensor_s *const *ograd;
    mx_tensor_s **igrad;
    const bool *need;
    void *state;
} mx_grad_ctx;

static inline bool mxi_grad_needed(const mx_grad_ctx *g, int i) { return !g->need || g->need[i]; }

/* True while autograd records on this thread; inside a gradient, while a
 * backward with create_graph runs: a gradient whose fast path is an internal
 * kernel without a gradient of its own builds itself from differentiable
 * registered ops instead, so second derivatives (gradient penalties) work.
 * (autograd.c) */
bool mxi_ag_recording(void);

typedef struct mx_op_def {
    const char *name;
    const char *aliases;   /* comma separated MXNet aliases, or NULL */
    const char *doc;
    /* comma-separated input names; a leading '*' on the only name means
     * variadic (count from attr "num_args" if the op has one, else any). */
    const char *inputs;
    int num_outputs;       /* fixed output count (ignored if num_outputs_fn) */
    /* outputs shown to users (the rest are hidden helpers such as Dropout's
     * mask or BatchNorm's saved mean/var); 0 = all. Optional fn wins. */
    int num_visible_outputs;
    int (*num_visible_fn)(const mx_call *c);
    /* comma-separated names of the outputs in symbol output lists, as MXNet
     * names them ("output,state_output" -> "<node>_state_output"); NULL means
     * "output" for one visible output, "output<k>" for several. Index-named
     * ops with hidden outputs (MXNet's topk, sort) list "output0,...". */
    const char *output_names;
    const mx_attr_spec *attrs;
    int n_attrs;
    /* optional: actual input count from attrs (e.g. FullyConnected no_bias) */
    int (*num_inputs_fn)(const mx_call *c);
    /* optional: output count from attrs (e.g. split num_outputs) */
    int (*num_outputs_fn)(const mx_call *c);
    /* required: validate inputs, fill out_ndim/out_shape/out_dtype for n_out
     * outputs. Errors must name the op, the shapes and the expectation. */
    int (*infer)(mx_call *c);
    /* optional: the shape (and dtype, preset to the data's) of input `slot`,
     * a learned parameter or label left unknown in a graph, from the call's
     * attrs and its data input in[0] (other inputs may be NULL): what MXNet
     * infers backwards (fc1_weight from the data and num_hidden). Returns 0
     * when it filled shape/ndim, nonzero when it cannot (no error is set). */
    int (*param_shape)(const mx_call *c, int slot, int64_t *shape, int *ndim, int *dtype);
    /* required: compute outputs (allocated, contiguous; zeroed unless
     * MX_OPF_WRITES_ALL) from inputs (contiguous unless MX_OPF_STRIDED). */
    int (*cpu)(mx_call *c);
    /* optional: gradient with registered ops; NULL + !MX_OPF_NO_GRAD means
     * "not differentiable yet" (backward raises). */
    int (*grad)(mx_grad_ctx *g);
    unsigned flags;
    unsigned dtypes;       /* MX_DT_* mask of natively supported input dtypes */
    /* bitmask of input indices the kernel writes in place (BatchNorm running
     * stats, optimizer state). Those inputs are never copied or cast. */
    uint64_t mutates;
} mx_op_def;

/* True if `op` writes input i in place (its `mutates` bit; inputs past 64, such
 * as a stack of many arrays, never are). */
static inline bool mxi_op_mutates(const mx_op_def *op, int i) { return i >= 0 && i < 64 && ((op->mutates >> i) & 1); }

/* ---- element access for kernels that compute in double ----
 * Element i of a contiguous float32 / float64 tensor as a double, written
 * back, and accumulated (detection, spatial transformer ops). */
static inline double mxi_fget(const mx_tensor_s *t, int64_t i) {
    return t->dtype == MX_FLOAT64 ? MXI_PTR(double, t)[i] : (double)MXI_PTR(float, t)[i];
}
static inline void mxi_fset(mx_tensor_s *t, int64_t i, double v) {
    if (t->dtype == MX_FLOAT64) MXI_PTR(double, t)[i] = v;
    else MXI_PTR(float, t)[i] = (float)v;
}
static inline void mxi_fadd(mx_tensor_s *t, int64_t i, double v) { mxi_fset(t, i, mxi_fget(t, i) + v); }

/* Gradient of a control-flow node (_foreach, _while_loop, _cond) from the
 * steps its forward saved (graph_control_flow.c). */
int mxi_cf_grad(mx_grad_ctx *g);

/* ---- registration (registry.c) ---- */
/* Register `n` ops; the table must have static storage duration. */
void mxi_register_ops(const mx_op_def *defs, int n);
const mx_op_def *mxi_find_op(const char *name);
/* Start of output k's name in op->output_names (ends at ',' or NUL), or NULL
 * when the op lists no name for it. */
const char *mxi_output_name(const mx_op_def *op, int k);

/* ---- calling ops from gradients / composite code (invoke.c) ----
 * attrs is "key=value;key=value" or NULL. These go through the full invoke
 * path (validation, dtype fallback, autograd recording). */
int mxi_call(const char *op, mx_tensor_s *const *in, int n_in, const char *attrs,
             mx_tensor_s **out, int n_out);
/* Single output convenience: returns a new reference or NULL (error set). */
mx_tensor_s *mxi_call1(const char *op, const char *attrs, int n_in, ...);
/* Steps of a chain of registered ops (gradients composed for create_graph):
 * each returns NULL without calling when an input is NULL, i.e. an earlier
 * step failed and left its error set, so a chain needs one check at its end. */
static inline mx_tensor_s *mxi_chain1(const char *op, const char *attrs, mx_tensor_s *a) {
    return a ? mxi_call1(op, attrs, 1, a) : NULL;
}
static inline mx_tensor_s *mxi_chain2(const char *op, const char *attrs, mx_tensor_s *a, mx_tensor_s *b) {
    return a && b ? mxi_call1(op, attrs, 2, a, b) : NULL;
}

/* The call's attributes back in "k=v;k=v" form (attrs.c), for a gradient
 * that calls a backward op with its forward's attributes. Errors (with the
 * op name) if `n` bytes are not enough. */
int mxi_attrs_string(const mx_call *c, char *buf, size_t n);
/* One attribute value as text into val (n bytes): "None", True/False, tuples
 * "(2,3)". pretty: as MXNet's Python writes it, floats shortest with ".0"
 * ("2.0", "0.1") and tuples "(2, 3)"; else floats with all 17 digits. */
void mxi_attr_value_str(const mx_attr_spec *s, const mx_attr_val *v, int pretty, char *val, size_t n);

/* ---- helpers for infer functions (infer_util.c) ---- */
/* Standard error text: "<op>: <what> (inputs: data=(2,3) float32, ...)". */
int mxi_op_error(const mx_call *c, int code, const char *fmt, ...) MXI_PRINTF(3, 4);
/* Set output k to shape/ndim/dtype. */
void mxi_set_out(mx_call *c, int k, const int64_t *shape, int ndim, int dtype);
/* Output k takes input i's shape and dtype. */
void mxi_same_as_in(mx_call *c, int k, int i);
/* numpy broadcast of two shapes; error names op. */
int mxi_broadcast_shapes(const mx_call *c, const int64_t *a, int na, const int64_t *b, int nb,
                         int64_t *out, int *nout);
/* Normalise an axis (negative allowed) for rank ndim; error names op. */
int mxi_norm_axis(const mx_call *c, int64_t axis, int ndim, int *out);
/* Require all inputs to share dtype with input 0. */
int mxi_require_same_dtype(const mx_call *c);
/* Require input i to have ndim in [lo, hi]. */
int mxi_require_ndim(const mx_call *c, int i, int lo, int hi);

/* ---- RNG (rng.c): Philox4x32-10, counter-based ---- */
/* 4 uint32 random words for counter `ctr` under key `seed`. */
void mxi_philox(uint64_t seed, uint64_t ctr, uint32_t out[4]);
/* Uniform [0,1) float for element index i of the call's stream. */
double mxi_rng_uniform(const mx_call *c, uint64_t i);
/* Standard normal for element index i (Box-Muller on two words). */
double mxi_rng_normal(const mx_call *c, uint64_t i);

#endif
