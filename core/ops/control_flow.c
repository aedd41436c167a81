/* control_flow.c — registry entries of MXNet's control-flow graph nodes
 * `_foreach`, `_while_loop` and `_cond`. They carry subgraphs, so they only
 * exist inside graphs: the graph executor runs, infers and differentiates
 * them in core/graph_control_flow.c. Here they get what every node needs
 * from the registry: MXNet's attributes (parsed and validated like any op's)
 * and their output count (`num_outputs`).
 *
 * The *_locs attributes (lists of any length, read by graph_control_flow.c,
 * not parsed here) say which subgraph input each node input feeds (the
 * subgraph's inputs are its variables in node order, as MXNet lists them):
 *   _foreach(data..., states..., free...)      in_data_locs, in_state_locs, remain_locs
 *   _while_loop(inputs...)                     cond_input_locs, func_input_locs (subgraph
 *                                              input k <- node input func_input_locs[k]),
 *                                              func_var_locs (loop var k is func input ...)
 *   _cond(inputs...)                           cond_input_locs, then_input_locs, else_input_locs */
#include "../op.h"

#define NA(t) .attrs = t, .n_attrs = (int)(sizeof t / sizeof t[0])
#define COMMON_ATTRS                                                                                       \
    {"num_args", MX_ATTR_INT, NULL, "Inputs of the node plus its subgraphs (MXNet counts both)."},        \
        {"num_outputs", MX_ATTR_INT, NULL, "Outputs of the node.", NULL, 1, 0, MX_MAX_OUTPUTS}

static const mx_attr_spec foreach_attrs[] = {
    COMMON_ATTRS,
    {"num_out_data", MX_ATTR_INT, "0", "Per-step outputs (stacked along axis 0); the rest are the states."},
};
static const mx_attr_spec while_attrs[] = {
    COMMON_ATTRS,
    {"num_out_data", MX_ATTR_INT, "0", "Per-step outputs (stacked, max_iterations rows); the rest are the loop vars."},
    {"max_iterations", MX_ATTR_INT, NULL, "Upper bound of the number of steps.", NULL, 1, 0, 1e9},
};
static const mx_attr_spec cond_attrs[] = {
    COMMON_ATTRS,
};

static int cf_num_outputs(const mx_call *c) { return (int)c->attrs[1].i; }

/* Outside a graph there is no subgraph to run: the bindings run control
 * flow as loops over ops (mx.nd.contrib.foreach ...). */
static int cf_outside_graph(mx_call *c) {
    return mxi_op_error(c, MX_ERR_UNSUPPORTED,
                        "runs only as a node of a graph (it carries subgraphs); call the binding's "
                        "contrib.foreach / while_loop / cond instead");
}

#define CF_OP(NAME, ATTRS, DOC)                                                                                 \
    {.name = NAME, .doc = DOC, .inputs = "*data", .num_outputs = 1, .num_outputs_fn = cf_num_outputs, NA(ATTRS), \
     .infer = cf_outside_graph, .cpu = cf_outside_graph, .grad = mxi_cf_grad,                                    \
     .flags = MX_OPF_INTERNAL | MX_OPF_SUBGRAPH, .dtypes = MX_DT_ALL}

static const mx_op_def ops[] = {
    CF_OP("_foreach", foreach_attrs, "Runs its body subgraph over axis 0 of the data inputs, carrying states."),
    CF_OP("_while_loop", while_attrs, "Runs its step subgraph while its condition subgraph is nonzero."),
    CF_OP("_cond", cond_attrs, "Runs its then or else subgraph, as its predicate subgraph says."),
};

void mxi_register_control_flow(void) { mxi_register_ops(ops, (int)(sizeof ops / sizeof ops[0])); }
