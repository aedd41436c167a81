/* graph_internal.h — the graph IR shared by the executor (graph.c) and its
 * passes (graph_fuse.c). Not installed. */
#ifndef MXCORE_CORE_GRAPH_INTERNAL_H
#define MXCORE_CORE_GRAPH_INTERNAL_H

#include <stdatomic.h>

#include "attrs.h"
#include "op.h"

#define MX_MAGIC_GRAPH 0x6A7A9001u

typedef struct {
    int node, index;
    int version; /* NNVM's entry version, kept as read and written back (aux inputs: 1) */
} gref;

typedef struct {
    char *name;
    const mx_op_def *op; /* NULL: variable */
    char *op_name;       /* as written in the JSON */
    int n_attrs;
    char **keys, **vals;
    int n_in;
    gref *in;
    int n_out;
    int n_visible;       /* outputs users see (heads name only these) */
    int is_aux;
    int reachable;
    int *last_use;       /* per output: index of the last node consuming it */
    mx_attr_val *parsed; /* registry attrs parsed once at load */
    int n_parsed;
    int is_const;        /* folded: value cached in consts */
    mx_tensor_s **consts;
    /* elementwise fusion plan (graph_fuse.c) */
    int fuse_next;       /* next node of this node's fused chain, or -1 */
    int fuse_head;       /* first node of a chain of >= 2 fusable nodes */
    struct mxi_cf *cf;   /* control-flow nodes: subgraphs (graph_control_flow.c) */
    void *host;          /* MX_OPF_HOST (Custom) nodes: core/ops/custom.c's record */
} gnode;

typedef struct mx_graph_s mx_graph_s;
struct mx_graph_s {
    uint32_t magic;
    atomic_int refs;                /* the handle + tape nodes that ran it */
    int n_nodes;
    gnode *nodes;
    int n_heads;
    gref *heads;
    int n_args, n_aux;
    int *args, *aux;                /* node indices */
    int n_inputs, *inputs;          /* all variables in node order (MXNet's list_inputs;
                                       what control-flow *_locs index) */
    const char **arg_names, **aux_names, **out_names;
    char **out_name_store;
    char *json;                     /* cache for to_json */
    char *infer_json;               /* cache for infer */
    int consts_ready;
    int n_fused_chains, n_fused_nodes; /* fusion plan summary */
};


struct mxi_json;
struct mxi_jv;
typedef struct mxi_cf mxi_cf;
typedef struct mxi_graph_tape mxi_graph_tape;

/* graph.c: the row-indexed value slots of g (malloc'd; NULL when out of
 * memory): row[i] is node i's first output's slot; *total the slot count. */
int *mxi_graph_rows(const mx_graph_s *g, int *total);
/* graph.c: a graph from a parsed JSON object (the top level or a node's
 * subgraph); caller owns *out. */
int mxi_graph_from_jv(const struct mxi_jv *root, mx_graph_s **out);
/* graph.c: run g on its inputs (node order) as mx_graph_run does (recorded
 * when autograd records); heads[k] new references. */
int mxi_graph_run_inputs(mx_graph_s *g, mx_tensor_s *const *inputs, mx_tensor_s **heads);

/* graph_backward.c: run g on its inputs (node order) keeping every value,
 * unrecorded: *tape is what mxi_graph_vjp needs; heads[k] new references. */
int mxi_graph_run_saved(mx_graph_s *g, mx_tensor_s *const *inputs, mxi_graph_tape **tape, mx_tensor_s **heads);
/* graph_backward.c: gradients of the inputs (node order; igrads[k] new
 * reference or NULL) for head gradients ograds (NULL: zero), computing only
 * what need[k] (per input) asks for. The tape stays usable. */
int mxi_graph_vjp(mxi_graph_tape *t, mx_tensor_s *const *ograds, const bool *need, mx_tensor_s **igrads);
void mxi_graph_tape_free(mxi_graph_tape *t);

/* graph_control_flow.c: a control-flow node's subgraphs and maps (load),
 * freeing, its "subgraphs" JSON, shape inference (ins NULL = unknown; it may
 * size unknown variable inputs in filled[j], whose ndim the caller sets to
 * -1; *done when the outputs are known, in c), and running (info: keep the
 * steps for the gradient, as node state). */
int mxi_cf_load(gnode *n, const struct mxi_jv *subgraphs);
void mxi_cf_free(gnode *n);
int mxi_cf_write_json(const gnode *n, struct mxi_json *j);
int mxi_cf_infer(gnode *n, mx_tensor_s **ins, mx_tensor_s *filled, mx_call *c, bool *done);
int mxi_cf_forward(gnode *n, mx_tensor_s **ins, mx_tensor_s **outs, mxi_call_info *info);

/* The MXNet version whose symbol JSON we read and write (1.9.1). */
#define MXI_JSON_VERSION 10901

/* graph_legacy.c: the "mxnet_version" of a symbol JSON root (0 if absent);
 * rename a node's unprefixed hints (lr_mult -> __lr_mult__) for files older
 * than MXI_JSON_VERSION; insert the auxiliary-state variables files older
 * than 0.9 left out (after nodes and heads are read, before analysis). */
int mxi_graph_json_version(const struct mxi_jv *root);
int mxi_graph_upgrade_hints(gnode *n, int version);
int mxi_graph_upgrade_aux(mx_graph_s *g, int version);
/* An op node's "<input>_lr_mult"-style keys become hints of its variable inputs. */
int mxi_graph_upgrade_input_hints(mx_graph_s *g, gnode *n);

/* graph_fuse.c: find chains of single-input elementwise nodes whose
 * intermediates have exactly one consumer (run after analysis). */
void mxi_fuse_plan(mx_graph_s *g);
/* Run the chain starting at `head` on input x blockwise (intermediates stay
 * in cache-sized buffers). *out receives the tail's output. Returns
 * MX_ERR_UNSUPPORTED (no error set) when this input cannot take the fused
 * path; the caller then runs the nodes one by one. */
int mxi_fuse_run(mx_graph_s *g, int head, mx_tensor_s *x, mx_tensor_s **out, int *tail);

/* graph.c: run the graph's op nodes into val (args/aux rows filled by the
 * caller); info (optional) receives each node's call info and keeps every
 * value; replay (optional) makes random ops redraw recorded streams. */
int mxi_graph_forward(mx_graph_s *g, mx_tensor_s **val, const int *row, mxi_call_info *info,
                      const mxi_call_info *replay);
/* graph.c: reference counting (mx_graph_release drops the handle's). */
void mxi_graph_retain(mx_graph_s *g);
void mxi_graph_drop(mx_graph_s *g);

/* graph_backward.c: record a finished run as one autograd node over `args`
 * whose outputs are `heads` (one per graph head; replaced by copies where a
 * head is a variable, a folded constant or repeats another head). Takes
 * ownership of val/row/info (every node's values and call info, as
 * run_nodes left them with info), also on error. */
int mxi_graph_record(mx_graph_s *g, mx_tensor_s **val, int *row, mxi_call_info *info, const mx_tensor *args,
                     mx_tensor *heads);

#endif
