/* graph_backward.c — training through a graph: one tape node per run.
 *
 * A graph run under autograd recording (mx_graph_run) executes its ops with
 * per-op recording off, keeps every node's values, and records a single
 * autograd node over the graph's arguments. Its backward is a planned pass
 * over the graph in reverse: only nodes on a path from an argument that
 * wants a gradient run (decided once, when the node is recorded), each
 * calls its op's registered gradient with the saved values, gradients
 * accumulate per node output and are freed as soon as their node has used
 * them, and each op is told which of its inputs need a gradient at all, so
 * e.g. the first layer never computes the gradient of the data.
 *
 * Compared with recording every op on the tape this saves a tape node per
 * op per step, the per-backward topological sort, and the gradient kernels
 * nobody needs.
 *
 * Higher-order gradients (backward with create_graph) need gradients whose
 * history reaches back through the forward values, which the saved values
 * lack. Then the forward is recomputed first with per-op recording from the
 * arguments (random ops replay their recorded streams, auxiliary states are
 * copied so running statistics are not updated twice) and the reverse pass
 * runs, recorded, over the recomputed values. */
#include <stdlib.h>
#include <string.h>

#include "autograd.h"
#include "custom_op.h"
#include "graph_internal.h"

typedef struct mxi_graph_tape {
    mx_graph_s *g;         /* retained */
    mx_tensor_s **val;     /* every node output (row-indexed), owned */
    int *row;              /* first val slot of each node */
    mxi_call_info *info;   /* per node: training flag and RNG stream */
    bool *need;            /* per node: an argument that wants a gradient, or an op
                              node with an input on a path from one */
    int total;             /* val slots */
} graph_tape;

static void tape_release(void *p) {
    graph_tape *t = p;
    for (int k = 0; k < t->total; k++) mxi_tensor_release(t->val[k]);
    free(t->val);
    free(t->row);
    mxi_call_info_clear(t->info, t->g->n_nodes);
    free(t->info);
    free(t->need);
    mxi_graph_drop(t->g);
    free(t);
}

/* Gradient of node i from the accumulated gradients of its outputs, with
 * the forward values vals (row-indexed). */
static int node_backward(graph_tape *t, mx_tensor_s *const *vals, int i, mx_tensor_s **acc, mx_call *c) {
    const gnode *n = &t->g->nodes[i];
    const int base = t->row[i];
    bool any = false;
    for (int k = 0; k < n->n_out; k++) any |= acc[base + k] != NULL;
    if (!any) return MX_OK;
    if (!n->op->grad)
        return mxi_error(MX_ERR_UNSUPPORTED, "backward: graph node '%s' (op %s) has no gradient defined", n->name,
                         n->op->name);
    c->op = n->op;
    c->n_attrs = n->n_parsed;
    memcpy(c->attrs, n->parsed, sizeof *n->parsed * (size_t)n->n_parsed);
    c->n_in = n->n_in;
    for (int j = 0; j < n->n_in; j++) c->in[j] = vals[t->row[n->in[j].node] + n->in[j].index];
    c->n_out = n->n_out;
    for (int k = 0; k < n->n_out; k++) {
        c->out[k] = vals[base + k];
        mxi_set_out(c, k, c->out[k]->shape, c->out[k]->ndim, c->out[k]->dtype);
    }
    c->training = t->info[i].training;
    c->rng_seed = t->info[i].rng_seed;
    c->rng_offset = t->info[i].rng_offset;
    c->donate = 0;
    /* as on the tape: visible outputs nobody differentiated get zeros,
     * hidden ones (masks, saved statistics) stay NULL */
    int nv = n->n_visible > 0 && n->n_visible < n->n_out ? n->n_visible : n->n_out;
    for (int k = 0; k < nv; k++) {
        if (!acc[base + k]) {
            acc[base + k] = mxi_call1("zeros_like", NULL, 1, c->out[k]);
            if (!acc[base + k]) return mx_last_error_code();
        }
    }
    bool need[MX_MAX_INPUTS];
    for (int j = 0; j < n->n_in; j++) need[j] = t->need[n->in[j].node];
    mx_tensor_s *igrad[MX_MAX_INPUTS];
    memset(igrad, 0, sizeof *igrad * (size_t)n->n_in);
    /* state kept by the node's forward: a control-flow node's saved steps, a
     * host-computed (Custom) node's operator */
    mx_grad_ctx gc = {c, c->in, c->out, acc + base, igrad, need, t->info[i].state};
    int rc = n->op->grad(&gc);
    if (rc != MX_OK) mxi_error_prefix(rc, "backward of graph node '%s'", n->name);
    for (int j = 0; j < n->n_in; j++) {
        mx_tensor_s *gi = igrad[j];
        if (!gi) continue;
        if (rc == MX_OK && need[j]) rc = mxi_ag_check_grad_shape(gi, c->in[j], n->name, j);
        if (rc != MX_OK || !need[j]) { mxi_tensor_release(gi); continue; }
        rc = mxi_ag_accumulate(&acc[t->row[n->in[j].node] + n->in[j].index], gi);
    }
    /* this node's output gradients are used up */
    for (int k = 0; k < n->n_out; k++) {
        mxi_tensor_release(acc[base + k]);
        acc[base + k] = NULL;
    }
    return rc;
}

/* The forward again, recorded op by op, from the arguments the node saved
 * (they carry their own history): *out gets every value, row-indexed. */
static int recompute(graph_tape *t, mx_tensor_s ***out) {
    mx_graph_s *g = t->g;
    mx_tensor_s **v = calloc((size_t)t->total + 1, sizeof *v);
    if (!v) return mxi_error(MX_ERR_MEMORY, "backward of a graph: out of memory");
    int rc = MX_OK, train = 0, prev_rec, prev_train;
    for (int i = 0; i < g->n_nodes; i++)
        if (g->nodes[i].op && g->nodes[i].reachable) { train = t->info[i].training; break; }
    for (int a = 0; a < g->n_args; a++) {
        v[t->row[g->args[a]]] = t->val[t->row[g->args[a]]];
        mxi_tensor_retain(v[t->row[g->args[a]]]);
    }
    mx_autograd_set_recording(0, &prev_rec); /* running statistics update copies, unrecorded */
    for (int a = 0; a < g->n_aux && rc == MX_OK; a++) {
        mx_tensor_s *cp = mxi_call1("_copy", NULL, 1, t->val[t->row[g->aux[a]]]);
        if (!cp) rc = mx_last_error_code();
        v[t->row[g->aux[a]]] = cp;
    }
    mx_autograd_set_recording(prev_rec, NULL);
    mx_autograd_set_training(train, &prev_train);
    if (rc == MX_OK) rc = mxi_graph_forward(g, v, t->row, NULL, t->info);
    mx_autograd_set_training(prev_train, NULL);
    if (rc != MX_OK) {
        for (int k = 0; k < t->total; k++) mxi_tensor_release(v[k]);
        free(v);
        return mxi_error_prefix(rc, "recomputing a hybridized graph for create_graph");
    }
    *out = v;
    return MX_OK;
}

static int graph_grad(mx_grad_ctx *gc) {
    graph_tape *t = gc->state;
    mx_graph_s *g = t->g;
    mx_tensor_s **recomputed = NULL;
    int rc = mxi_ag_recording() ? recompute(t, &recomputed) : MX_OK; /* create_graph */
    if (rc != MX_OK) return rc;
    mx_tensor_s *const *vals = recomputed ? recomputed : t->val;
    mx_tensor_s **acc = calloc((size_t)t->total + 1, sizeof *acc);
    mx_call *c = malloc(sizeof *c);
    if (!acc || !c) rc = mxi_error(MX_ERR_MEMORY, "backward of a graph: out of memory");
    for (int h = 0; rc == MX_OK && h < g->n_heads; h++) {
        if (!gc->ograd[h]) continue;
        mxi_tensor_retain(gc->ograd[h]);
        rc = mxi_ag_accumulate(&acc[t->row[g->heads[h].node] + g->heads[h].index], gc->ograd[h]);
    }
    for (int i = g->n_nodes - 1; i >= 0 && rc == MX_OK; i--) {
        const gnode *n = &g->nodes[i];
        if (n->op && n->reachable && t->need[i]) rc = node_backward(t, vals, i, acc, c);
    }
    for (int a = 0; rc == MX_OK && a < g->n_args; a++) {
        mx_tensor_s **slot = &acc[t->row[g->args[a]]];
        if (t->need[g->args[a]]) { gc->igrad[a] = *slot; *slot = NULL; }
    }
    for (int k = 0; k < t->total; k++) {
        if (acc) mxi_tensor_release(acc[k]);
        if (recomputed) mxi_tensor_release(recomputed[k]);
    }
    free(acc);
    free(recomputed);
    free(c);
    return rc;
}

/* Private op definition of the tape node: not in the registry, so it can
 * only be recorded, never invoked. */
static const mx_op_def graph_def = {.name = "_graph", .doc = "A hybridized graph run, recorded as one node.",
                                    .grad = graph_grad, .flags = MX_OPF_INTERNAL};

/* which nodes lie on a path from a variable marked in need (nodes are in
 * topological order) */
static void propagate_need(const mx_graph_s *g, bool *need) {
    for (int i = 0; i < g->n_nodes; i++) {
        const gnode *n = &g->nodes[i];
        /* non-differentiable ops (zeros_like, argmax, comparisons) stop the
         * gradient here, as they do on the eager tape, which never records them */
        if (!n->op || !n->reachable || n->is_const || (n->op->flags & MX_OPF_NO_GRAD)) continue;
        need[i] = false;
        for (int j = 0; j < n->n_in && !need[i]; j++) need[i] = need[n->in[j].node];
    }
}

int mxi_graph_record(mx_graph_s *g, mx_tensor_s **val, int *row, mxi_call_info *info, const mx_tensor *args,
                     mx_tensor *heads) {
    int total = row[g->n_nodes - 1] + g->nodes[g->n_nodes - 1].n_out;
    graph_tape *t = calloc(1, sizeof *t);
    mx_call *c = calloc(1, sizeof *c);
    int rc = MX_OK;
    if (t) {
        *t = (graph_tape){.g = g, .val = val, .row = row, .info = info, .total = total};
        mxi_graph_retain(g);
        t->need = calloc((size_t)g->n_nodes + 1, sizeof *t->need);
    }
    if (!t || !c || !t->need) rc = mxi_error(MX_ERR_MEMORY, "graph run: out of memory recording it");
    if (!t) {
        for (int k = 0; k < total; k++) mxi_tensor_release(val[k]);
        free(val);
        free(row);
        mxi_call_info_clear(info, g->n_nodes);
        free(info);
        free(c);
        return rc;
    }
    for (int a = 0; rc == MX_OK && a < g->n_args; a++) t->need[g->args[a]] = mxi_ag_wants_grad(args[a]);
    if (rc == MX_OK) propagate_need(g, t->need);
    /* Each head gets its own tensor that nothing else holds: a variable, a
     * cached constant or a repeated head is copied. The saved value of a
     * head becomes a value-only alias, so the head (which holds the tape
     * node) is not also held by the node's state — no reference cycle. */
    for (int h = 0; rc == MX_OK && h < g->n_heads; h++) {
        const gnode *n = &g->nodes[g->heads[h].node];
        bool shared = !n->op || n->is_const;
        for (int q = 0; q < h; q++) shared |= heads[q] == heads[h];
        if (shared) {
            int prev;
            mx_autograd_set_recording(0, &prev); /* the graph node records it */
            mx_tensor_s *cp = mxi_call1("_copy", NULL, 1, heads[h]);
            mx_autograd_set_recording(prev, NULL);
            if (!cp) { rc = mx_last_error_code(); break; }
            mxi_tensor_release(heads[h]);
            heads[h] = cp;
            continue;
        }
        mx_tensor_s **slot = &val[row[g->heads[h].node] + g->heads[h].index];
        if (*slot == heads[h]) {
            mx_tensor_s *alias = mxi_tensor_alias(heads[h]);
            if (!alias) { rc = mx_last_error_code(); break; }
            mxi_tensor_release(*slot);
            *slot = alias;
        }
    }
    if (rc != MX_OK) {
        tape_release(t);
        free(c);
        return rc;
    }
    c->op = &graph_def;
    c->n_in = g->n_args;
    memcpy(c->in, args, sizeof(mx_tensor) * (size_t)g->n_args);
    c->n_out = g->n_heads;
    memcpy(c->out, heads, sizeof(mx_tensor) * (size_t)g->n_heads);
    c->training = mxi_ag_training();
    rc = mxi_ag_record_stateful(c, t, tape_release);
    free(c);
    return rc;
}

/* ---- a subgraph's vector-Jacobian product (control-flow steps) ---- */

int mxi_graph_run_saved(mx_graph_s *g, mx_tensor_s *const *inputs, mxi_graph_tape **tape, mx_tensor_s **heads) {
    int total = 0;
    graph_tape *t = calloc(1, sizeof *t);
    int *row = mxi_graph_rows(g, &total);
    mx_tensor_s **val = calloc((size_t)total + 1, sizeof *val);
    mxi_call_info *info = calloc((size_t)g->n_nodes + 1, sizeof *info);
    bool *need = calloc((size_t)g->n_nodes + 1, sizeof *need);
    if (!t || !row || !val || !info || !need) {
        free(t);
        free(row);
        free(val);
        free(info);
        free(need);
        return mxi_error(MX_ERR_MEMORY, "graph run: out of memory");
    }
    *t = (graph_tape){.g = g, .val = val, .row = row, .info = info, .need = need, .total = total};
    mxi_graph_retain(g);
    for (int k = 0; k < g->n_inputs; k++) {
        val[row[g->inputs[k]]] = inputs[k];
        mxi_tensor_retain(inputs[k]);
    }
    int prev;
    mx_autograd_set_recording(0, &prev); /* the values are kept; the caller differentiates */
    int rc = mxi_graph_forward(g, val, row, info, NULL);
    mx_autograd_set_recording(prev, NULL);
    if (rc != MX_OK) {
        tape_release(t);
        return rc;
    }
    for (int h = 0; h < g->n_heads; h++) {
        heads[h] = val[row[g->heads[h].node] + g->heads[h].index];
        mxi_tensor_retain(heads[h]);
    }
    *tape = t;
    return MX_OK;
}

int mxi_graph_vjp(mxi_graph_tape *t, mx_tensor_s *const *ograds, const bool *need, mx_tensor_s **igrads) {
    mx_graph_s *g = t->g;
    for (int i = 0; i < g->n_nodes; i++) t->need[i] = false;
    for (int k = 0; k < g->n_inputs; k++) t->need[g->inputs[k]] = need[k] && !g->nodes[g->inputs[k]].is_aux;
    propagate_need(g, t->need);
    mx_tensor_s **acc = calloc((size_t)t->total + 1, sizeof *acc);
    mx_call *c = malloc(sizeof *c);
    int rc = acc && c ? MX_OK : mxi_error(MX_ERR_MEMORY, "backward of a subgraph: out of memory");
    for (int h = 0; rc == MX_OK && h < g->n_heads; h++) {
        if (!ograds[h]) continue;
        mxi_tensor_retain(ograds[h]);
        rc = mxi_ag_accumulate(&acc[t->row[g->heads[h].node] + g->heads[h].index], ograds[h]);
    }
    for (int i = g->n_nodes - 1; i >= 0 && rc == MX_OK; i--) {
        const gnode *n = &g->nodes[i];
        if (n->op && n->reachable && t->need[i]) rc = node_backward(t, t->val, i, acc, c);
    }
    for (int k = 0; k < g->n_inputs; k++) {
        mx_tensor_s **slot = acc ? &acc[t->row[g->inputs[k]]] : NULL;
        igrads[k] = NULL;
        if (rc == MX_OK && slot && t->need[g->inputs[k]]) { igrads[k] = *slot; *slot = NULL; }
    }
    for (int k = 0; acc && k < t->total; k++) mxi_tensor_release(acc[k]);
    free(acc);
    free(c);
    return rc;
}

void mxi_graph_tape_free(mxi_graph_tape *t) {
    if (t) tape_release(t);
}
