/* graph.c — the graph IR and executor behind mx.sym, hybridize and MXNet
 * model files.
 *
 * A graph is MXNet's symbol JSON made explicit: variable nodes (arguments
 * and auxiliary states), op nodes with string attributes, and heads. Passes:
 *   - validation + output counts (registry inference of num_outputs),
 *   - dead-code elimination (only nodes reachable from the heads run),
 *   - shape/dtype inference over shape-only tensors (mx_graph_infer),
 *   - constant folding (zero-input, non-random subgraphs computed once),
 *   - memory planning: each intermediate is released right after its last
 *     consumer runs, so its buffer is reused by later allocations.
 * Running is one ABI call; ops go through the same invoke path as eager
 * calls. Under autograd recording the whole run becomes one tape node whose
 * backward walks the graph in reverse (graph_backward.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attrs.h"
#include "autograd.h"
#include "rng.h"
#include "json_reader.h"
#include "json_writer.h"
#include "custom_op.h"
#include "graph_internal.h"
#include "op.h"


/* MXNet graph-only op names that map onto registry ops. A graph's RNN node
 * runs as _rnn_with_reserve: the same op with the forward's saved gates as a
 * hidden output, so training through the graph does not recompute the
 * forward in backward (the JSON keeps the name "RNN"). */
static const char *canonical_op(const char *name) {
    if (!strcmp(name, "_rnn_param_concat")) return "concat";
    if (!strcmp(name, "RNN")) return "_rnn_with_reserve";
    return name;
}

static bool graph_check(const mx_graph_s *g, const char *fn) {
    if (!g) { mxi_error(MX_ERR_HANDLE, "%s: graph handle is NULL", fn); return false; }
    if (g->magic != MX_MAGIC_GRAPH) { mxi_error(MX_ERR_HANDLE, "%s: not a live graph handle", fn); return false; }
    return true;
}

static char *dupstr(const char *s) {
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d) memcpy(d, s, n);
    return d;
}

static void graph_free(mx_graph_s *g) {
    if (!g) return;
    for (int i = 0; i < g->n_nodes; i++) {
        gnode *n = &g->nodes[i];
        free(n->name);
        free(n->op_name);
        for (int a = 0; a < n->n_attrs; a++) { free(n->keys[a]); free(n->vals[a]); }
        free(n->keys);
        free(n->vals);
        free(n->in);
        free(n->last_use);
        free(n->parsed);
        mxi_cf_free(n);
        mxi_custom_free(n);
        if (n->consts)
            for (int k = 0; k < n->n_out; k++) mxi_tensor_release(n->consts[k]);
        free(n->consts);
    }
    free(g->nodes);
    free(g->heads);
    free(g->args);
    free(g->aux);
    free(g->inputs);
    free(g->arg_names);
    free(g->aux_names);
    free(g->out_names);
    if (g->out_name_store)
        for (int i = 0; i < g->n_heads; i++) free(g->out_name_store[i]);
    free(g->out_name_store);
    free(g->json);
    free(g->infer_json);
    g->magic = 0;
    free(g);
}

/* Attribute value as MXNet writes it: strings, or (legacy) numbers. */
static char *attr_value_string(const mxi_jv *v) {
    char buf[64];
    if (v->type == MXI_JV_STR) return dupstr(v->str);
    if (v->type == MXI_JV_NUM) { /* the shortest form that reads back the same (0.1, not 0.10000000000000001) */
        for (int prec = 15; prec <= 17; prec++) {
            snprintf(buf, sizeof buf, "%.*g", prec, v->num);
            if (strtod(buf, NULL) == v->num) break;
        }
        return dupstr(buf);
    }
    if (v->type == MXI_JV_BOOL) return dupstr(v->num ? "True" : "False");
    return dupstr("None");
}

static int add_attrs(gnode *n, const mxi_jv *obj) {
    /* an empty object adds nothing (realloc to 0 bytes would free the arrays) */
    if (!obj || obj->type != MXI_JV_OBJ || obj->n == 0) return MX_OK;
    char **nk = realloc(n->keys, sizeof *nk * (size_t)(n->n_attrs + obj->n));
    char **nv = realloc(n->vals, sizeof *nv * (size_t)(n->n_attrs + obj->n));
    if (nk) n->keys = nk;
    if (nv) n->vals = nv;
    if (!nk || !nv) return mxi_error(MX_ERR_MEMORY, "graph: out of memory");
    for (int i = 0; i < obj->n; i++) {
        n->keys[n->n_attrs] = dupstr(obj->keys[i]);
        n->vals[n->n_attrs] = attr_value_string(&obj->items[i]);
        n->n_attrs++;
    }
    return MX_OK;
}

/* Registry attrs only (drop "__x__" hints MXNet stores on nodes). */
static int op_attrs(const gnode *n, const char **keys, const char **vals) {
    int k = 0;
    for (int a = 0; a < n->n_attrs && k < MX_MAX_ATTRS * 2; a++) {
        size_t len = strlen(n->keys[a]);
        if (len >= 4 && !strncmp(n->keys[a], "__", 2) && !strcmp(n->keys[a] + len - 2, "__")) continue;
        /* control-flow maps are lists of any length, read by graph_control_flow.c */
        if (n->op && (n->op->flags & MX_OPF_SUBGRAPH) && len > 5 && !strcmp(n->keys[a] + len - 5, "_locs")) continue;
        keys[k] = n->keys[a];
        vals[k] = n->vals[a];
        k++;
    }
    return k;
}

static int node_output_count(mx_graph_s *g, gnode *n) {
    if (!n->op) { n->n_out = n->n_visible = 1; return MX_OK; }
    if (n->op->flags & MX_OPF_HOST) return mxi_custom_load(n); /* the host says */
    /* count outputs with the registry: parse attrs into a scratch call */
    mx_call *c = calloc(1, sizeof *c);
    if (!c) return mxi_error(MX_ERR_MEMORY, "graph: out of memory");
    const char *keys[MX_MAX_ATTRS * 2], *vals[MX_MAX_ATTRS * 2];
    int na = op_attrs(n, keys, vals);
    int idx = mxi_op_index(n->op);
    int rc = mxi_parse_attrs(n->op, mxi_op_defaults(idx), keys, vals, na, c);
    if (rc == MX_OK) {
        /* count functions look at the op, attrs and input count, never data */
        c->op = n->op;
        c->n_in = n->n_in;
        n->n_out = n->op->num_outputs_fn ? n->op->num_outputs_fn(c) : n->op->num_outputs;
        int nv = n->op->num_visible_fn ? n->op->num_visible_fn(c) : n->op->num_visible_outputs;
        n->n_visible = (nv > 0 && nv < n->n_out) ? nv : n->n_out;
        n->n_parsed = c->n_attrs;
        n->parsed = malloc(sizeof(mx_attr_val) * (size_t)(c->n_attrs ? c->n_attrs : 1));
        if (!n->parsed) rc = mxi_error(MX_ERR_MEMORY, "graph: out of memory");
        else memcpy(n->parsed, c->attrs, sizeof(mx_attr_val) * (size_t)c->n_attrs);
    } else {
        mxi_error_prefix(rc, "graph node '%s'", n->name);
    }
    free(c);
    (void)g;
    return rc;
}

static int parse_ref(const mxi_jv *e, gref *r, const char *where, int limit) {
    if (!e || e->type != MXI_JV_ARR || e->n < 2 || e->items[0].type != MXI_JV_NUM || e->items[1].type != MXI_JV_NUM)
        return mxi_error(MX_ERR_INVALID, "graph: %s has a malformed input entry (expected [node, output, version])", where);
    r->node = (int)e->items[0].num;
    r->index = (int)e->items[1].num;
    r->version = e->n >= 3 && e->items[2].type == MXI_JV_NUM ? (int)e->items[2].num : 0;
    if (r->node < 0 || r->node >= limit)
        return mxi_error(MX_ERR_INVALID, "graph: %s refers to node %d, which is not an earlier node (graph must be topologically sorted)",
                         where, r->node);
    if (r->index < 0) return mxi_error(MX_ERR_INVALID, "graph: %s refers to output %d of node %d", where, r->index, r->node);
    return MX_OK;
}

static int build_names(mx_graph_s *g) {
    g->arg_names = calloc((size_t)g->n_args + 1, sizeof(char *));
    g->aux_names = calloc((size_t)g->n_aux + 1, sizeof(char *));
    g->out_names = calloc((size_t)g->n_heads + 1, sizeof(char *));
    g->out_name_store = calloc((size_t)g->n_heads + 1, sizeof(char *));
    if (!g->arg_names || !g->aux_names || !g->out_names || !g->out_name_store)
        return mxi_error(MX_ERR_MEMORY, "graph: out of memory");
    for (int i = 0; i < g->n_args; i++) g->arg_names[i] = g->nodes[g->args[i]].name;
    for (int i = 0; i < g->n_aux; i++) g->aux_names[i] = g->nodes[g->aux[i]].name;
    for (int h = 0; h < g->n_heads; h++) {
        gnode *n = &g->nodes[g->heads[h].node];
        char buf[512];
        size_t len = 0;
        const char *listed = NULL;
        if (n->host) listed = mxi_custom_output_name(n, g->heads[h].index, &len);
        else if (n->op && (listed = mxi_output_name(n->op, g->heads[h].index))) len = strcspn(listed, ",");
        if (!n->op) snprintf(buf, sizeof buf, "%s", n->name);
        else if (len) snprintf(buf, sizeof buf, "%s_%.*s", n->name, (int)len, listed);
        else if (n->n_visible > 1) snprintf(buf, sizeof buf, "%s_output%d", n->name, g->heads[h].index);
        else snprintf(buf, sizeof buf, "%s_output", n->name);
        g->out_name_store[h] = dupstr(buf);
        g->out_names[h] = g->out_name_store[h];
    }
    return MX_OK;
}

/* Mark reachable nodes, aux variables and last uses. */
static int analyse(mx_graph_s *g) {
    for (int h = 0; h < g->n_heads; h++) {
        gnode *n = &g->nodes[g->heads[h].node];
        if (g->heads[h].index >= n->n_out)
            return mxi_error(MX_ERR_INVALID, "graph: head %d is output %d of '%s', which has %d output(s)", h,
                             g->heads[h].index, n->name, n->n_out);
        n->reachable = 1;
    }
    for (int i = g->n_nodes - 1; i >= 0; i--) {
        gnode *n = &g->nodes[i];
        if (!n->reachable) continue;
        for (int j = 0; j < n->n_in; j++) {
            gnode *p = &g->nodes[n->in[j].node];
            p->reachable = 1;
            if (n->in[j].index >= p->n_out)
                return mxi_error(MX_ERR_INVALID, "graph: node '%s' uses output %d of '%s', which has %d output(s)", n->name,
                                 n->in[j].index, p->name, p->n_out);
            if (!p->op && n->op && (mxi_op_mutates(n->op, j) || mxi_custom_is_aux_input(n, j)))
                p->is_aux = 1;
        }
    }
    for (int i = 0; i < g->n_nodes; i++) {
        gnode *n = &g->nodes[i];
        n->last_use = malloc(sizeof(int) * (size_t)(n->n_out ? n->n_out : 1));
        if (!n->last_use) return mxi_error(MX_ERR_MEMORY, "graph: out of memory");
        for (int k = 0; k < n->n_out; k++) n->last_use[k] = -1;
    }
    for (int i = 0; i < g->n_nodes; i++) {
        gnode *n = &g->nodes[i];
        if (!n->reachable) continue;
        for (int j = 0; j < n->n_in; j++) g->nodes[n->in[j].node].last_use[n->in[j].index] = i;
    }
    for (int h = 0; h < g->n_heads; h++) g->nodes[g->heads[h].node].last_use[g->heads[h].index] = g->n_nodes; /* kept */
    /* arguments: reachable variables in node order (MXNet's list order) */
    g->args = malloc(sizeof(int) * (size_t)(g->n_nodes + 1));
    g->aux = malloc(sizeof(int) * (size_t)(g->n_nodes + 1));
    g->inputs = malloc(sizeof(int) * (size_t)(g->n_nodes + 1));
    if (!g->args || !g->aux || !g->inputs) return mxi_error(MX_ERR_MEMORY, "graph: out of memory");
    for (int i = 0; i < g->n_nodes; i++) {
        gnode *n = &g->nodes[i];
        if (n->op || !n->reachable) continue;
        g->inputs[g->n_inputs++] = i;
        if (n->is_aux) g->aux[g->n_aux++] = i;
        else g->args[g->n_args++] = i;
    }
    mxi_fuse_plan(g);
    return build_names(g);
}

static int graph_from_jv(const mxi_jv *root, int version, mx_graph_s **out);

int mx_graph_from_json(const char *json, mx_graph *out) {
    if (!out) return mxi_error(MX_ERR_INVALID, "mx_graph_from_json: out is NULL");
    mxi_jv *root = NULL;
    MXI_TRY(mxi_jv_parse(json, "symbol JSON", &root));
    int rc = graph_from_jv(root, mxi_graph_json_version(root), out);
    mxi_jv_free(root);
    return rc;
}

/* Control-flow subgraphs carry no version of their own: read as current. */
int mxi_graph_from_jv(const mxi_jv *root, mx_graph_s **out) { return graph_from_jv(root, MXI_JSON_VERSION, out); }

static int graph_from_jv(const mxi_jv *root, int version, mx_graph_s **out) {
    int rc = MX_OK;
    mx_graph_s *g = calloc(1, sizeof *g);
    const mxi_jv *nodes = mxi_jv_get(root, "nodes"), *heads = mxi_jv_get(root, "heads");
    if (!g) { rc = mxi_error(MX_ERR_MEMORY, "graph: out of memory"); goto done; }
    g->magic = MX_MAGIC_GRAPH;
    atomic_init(&g->refs, 1);
    if (!nodes || nodes->type != MXI_JV_ARR || !heads || heads->type != MXI_JV_ARR) {
        rc = mxi_error(MX_ERR_INVALID, "symbol JSON: expected an object with \"nodes\" and \"heads\" arrays");
        goto done;
    }
    g->nodes = calloc((size_t)nodes->n + 1, sizeof *g->nodes);
    if (!g->nodes) { rc = mxi_error(MX_ERR_MEMORY, "graph: out of memory"); goto done; }
    for (int i = 0; i < nodes->n && rc == MX_OK; i++) {
        const mxi_jv *jn = &nodes->items[i];
        gnode *n = &g->nodes[i];
        g->n_nodes = i + 1;
        const mxi_jv *op = mxi_jv_get(jn, "op"), *name = mxi_jv_get(jn, "name"), *ins = mxi_jv_get(jn, "inputs");
        if (!op || op->type != MXI_JV_STR || !name || name->type != MXI_JV_STR) {
            rc = mxi_error(MX_ERR_INVALID, "symbol JSON: node %d lacks a string \"op\" or \"name\"", i);
            break;
        }
        n->name = dupstr(name->str);
        n->op_name = dupstr(op->str);
        if (strcmp(op->str, "null") != 0) {
            n->op = mxi_find_op(canonical_op(op->str));
            if (n->op && !strncmp(n->op->name, "_backward_", 10)) {
                rc = mxi_error(MX_ERR_INVALID, "symbol JSON: node '%s' uses the internal gradient kernel '%s'", name->str,
                               op->str);
                break;
            }
            if (!n->op) {
                rc = mxi_error(MX_ERR_NOT_FOUND, "symbol JSON: node '%s' uses unknown op '%s'", name->str, op->str);
                break;
            }
        }
        rc = add_attrs(n, mxi_jv_get(jn, "attrs"));
        if (rc == MX_OK) rc = add_attrs(n, mxi_jv_get(jn, "attr"));
        if (rc == MX_OK) rc = add_attrs(n, mxi_jv_get(jn, "param"));
        if (rc == MX_OK) rc = mxi_graph_upgrade_hints(n, version);
        if (rc != MX_OK) break;
        if (ins && ins->type == MXI_JV_ARR && ins->n) {
            n->in = calloc((size_t)ins->n, sizeof *n->in);
            if (!n->in) { rc = mxi_error(MX_ERR_MEMORY, "graph: out of memory"); break; }
            for (int j = 0; j < ins->n && rc == MX_OK; j++) {
                char where[300];
                snprintf(where, sizeof where, "node '%s' input %d", n->name, j);
                rc = parse_ref(&ins->items[j], &n->in[j], where, i);
            }
            n->n_in = ins->n;
            if (rc) break;
            if (!n->op) { rc = mxi_error(MX_ERR_INVALID, "symbol JSON: variable '%s' has inputs", n->name); break; }
        }
        if (rc == MX_OK) rc = mxi_graph_upgrade_input_hints(g, n);
        if (rc == MX_OK) rc = node_output_count(g, n);
        if (rc == MX_OK && n->op && (n->op->flags & MX_OPF_SUBGRAPH)) rc = mxi_cf_load(n, mxi_jv_get(jn, "subgraphs"));
    }
    if (rc == MX_OK) {
        g->heads = calloc((size_t)heads->n + 1, sizeof *g->heads);
        g->n_heads = heads->n;
        if (!g->heads) rc = mxi_error(MX_ERR_MEMORY, "graph: out of memory");
        for (int h = 0; h < heads->n && rc == MX_OK; h++) rc = parse_ref(&heads->items[h], &g->heads[h], "heads", g->n_nodes);
        if (rc == MX_OK && !heads->n) rc = mxi_error(MX_ERR_INVALID, "symbol JSON: the graph has no heads (outputs)");
    }
    if (rc == MX_OK) rc = mxi_graph_upgrade_aux(g, version);
    if (rc == MX_OK) rc = analyse(g);
done:
    if (rc != MX_OK) {
        graph_free(g);
        return rc;
    }
    *out = g;
    return MX_OK;
}

int *mxi_graph_rows(const mx_graph_s *g, int *total) {
    int *row = malloc(sizeof(int) * (size_t)(g->n_nodes + 1));
    int n = 0;
    for (int i = 0; row && i < g->n_nodes; i++) {
        row[i] = n;
        n += g->nodes[i].n_out;
    }
    *total = n;
    return row;
}

void mxi_graph_retain(mx_graph_s *g) { atomic_fetch_add(&g->refs, 1); }

void mxi_graph_drop(mx_graph_s *g) {
    if (atomic_fetch_sub(&g->refs, 1) == 1) graph_free(g);
}

int mx_graph_release(mx_graph g) {
    if (!g) return MX_OK;
    if (!graph_check(g, "mx_graph_release")) return MX_ERR_HANDLE;
    g->magic = 0; /* dead to the caller; a tape node may still hold it */
    mxi_graph_drop(g);
    return MX_OK;
}

int mx_graph_list(mx_graph g, int what, int *n, const char *const **names) {
    if (!graph_check(g, "mx_graph_list")) return MX_ERR_HANDLE;
    if (!n || !names) return mxi_error(MX_ERR_INVALID, "mx_graph_list: NULL out-parameter");
    switch (what) {
    case MX_GRAPH_ARGUMENTS: *n = g->n_args; *names = g->arg_names; break;
    case MX_GRAPH_AUX_STATES: *n = g->n_aux; *names = g->aux_names; break;
    case MX_GRAPH_OUTPUTS: *n = g->n_heads; *names = g->out_names; break;
    default: return mxi_error(MX_ERR_INVALID, "mx_graph_list: 'what' must be 0 (arguments), 1 (aux states) or 2 (outputs), got %d", what);
    }
    return MX_OK;
}

int mx_graph_to_json(mx_graph g, const char **json) {
    if (!graph_check(g, "mx_graph_to_json")) return MX_ERR_HANDLE;
    if (!json) return mxi_error(MX_ERR_INVALID, "mx_graph_to_json: json is NULL");
    mxi_json j;
    mxi_json_init(&j);
    mxi_json_begin_object(&j);
    mxi_json_key(&j, "nodes");
    mxi_json_begin_array(&j);
    for (int i = 0; i < g->n_nodes; i++) {
        gnode *n = &g->nodes[i];
        mxi_json_begin_object(&j);
        mxi_json_key(&j, "op");
        mxi_json_string(&j, n->op ? n->op_name : "null");
        mxi_json_key(&j, "name");
        mxi_json_string(&j, n->name);
        if (n->n_attrs) {
            mxi_json_key(&j, "attrs");
            mxi_json_begin_object(&j);
            /* in key order, as MXNet writes them (its attributes live in a std::map) */
            int *order = malloc(sizeof(int) * (size_t)n->n_attrs);
            if (!order) {
                free(mxi_json_take(&j));
                return mxi_error(MX_ERR_MEMORY, "mx_graph_to_json: out of memory");
            }
            for (int a = 0; a < n->n_attrs; a++) {
                int b = a;
                for (; b > 0 && strcmp(n->keys[order[b - 1]], n->keys[a]) > 0; b--) order[b] = order[b - 1];
                order[b] = a;
            }
            for (int a = 0; a < n->n_attrs; a++) {
                mxi_json_key(&j, n->keys[order[a]]);
                mxi_json_string(&j, n->vals[order[a]]);
            }
            free(order);
            mxi_json_end_object(&j);
        }
        mxi_json_key(&j, "inputs");
        mxi_json_begin_array(&j);
        for (int k = 0; k < n->n_in; k++) {
            mxi_json_begin_array(&j);
            mxi_json_int(&j, n->in[k].node);
            mxi_json_int(&j, n->in[k].index);
            mxi_json_int(&j, n->in[k].version);
            mxi_json_end_array(&j);
        }
        mxi_json_end_array(&j);
        if (n->cf && mxi_cf_write_json(n, &j) != MX_OK) {
            free(mxi_json_take(&j));
            return mx_last_error_code();
        }
        mxi_json_end_object(&j);
    }
    mxi_json_end_array(&j);
    mxi_json_key(&j, "arg_nodes");
    mxi_json_begin_array(&j);
    for (int i = 0; i < g->n_nodes; i++)
        if (!g->nodes[i].op) mxi_json_int(&j, i);
    mxi_json_end_array(&j);
    mxi_json_key(&j, "node_row_ptr");
    mxi_json_begin_array(&j);
    int row = 0;
    for (int i = 0; i < g->n_nodes; i++) {
        mxi_json_int(&j, row);
        /* an RNN node's saved gates (it runs as _rnn_with_reserve) are not an output MXNet knows */
        const gnode *n = &g->nodes[i];
        row += n->n_out - (n->op && n->op_name && !strcmp(n->op_name, "RNN") && n->n_visible < n->n_out);
    }
    mxi_json_int(&j, row);
    mxi_json_end_array(&j);
    mxi_json_key(&j, "heads");
    mxi_json_begin_array(&j);
    for (int h = 0; h < g->n_heads; h++) {
        mxi_json_begin_array(&j);
        mxi_json_int(&j, g->heads[h].node);
        mxi_json_int(&j, g->heads[h].index);
        mxi_json_int(&j, g->heads[h].version);
        mxi_json_end_array(&j);
    }
    mxi_json_end_array(&j);
    mxi_json_key(&j, "attrs");
    char version[64];
    snprintf(version, sizeof version, "{\"mxnet_version\":[\"int\",%d]}", MXI_JSON_VERSION);
    mxi_json_raw(&j, version);
    mxi_json_end_object(&j);
    free(g->json);
    g->json = mxi_json_take(&j);
    *json = g->json;
    return MX_OK;
}

/* MXNet graphs create begin states as `_zeros(shape=(L, 0, H))`: a 0 dim
 * means "fill in from the consumer" (MXNet's bidirectional shape inference).
 * Such nodes are inferred and run lazily, when their consumer is, with the 0
 * dims taken from the consumer's other inputs. */
static const char *shape_attr(const gnode *n) {
    for (int a = 0; a < n->n_attrs; a++)
        if (!strcmp(n->keys[a], "shape")) return n->vals[a];
    return NULL;
}

static bool is_deferred(const gnode *n) {
    if (!n->op || n->n_in) return false;
    const char *sh = shape_attr(n);
    if (!sh) return false;
    /* any dimension equal to 0 */
    for (const char *p = sh; *p; p++) {
        if (*p == '0' && (p == sh || p[-1] == '(' || p[-1] == ',' || p[-1] == ' ' || p[-1] == '[') &&
            (p[1] == ',' || p[1] == ')' || p[1] == ']' || p[1] == 0))
            return true;
    }
    return false;
}

/* Ops whose inputs and output all share one shape (MXNet's ElemwiseShape):
 * in partial inference the output follows any known input, so a graph with
 * one branch unknown still reports the shapes that branch cannot change. */
static bool same_shape_op(const mx_op_def *op) {
    return !strncmp(op->name, "elemwise_", 9) || !strcmp(op->name, "add_n");
}

/* Whether any of the n tensors has a 0 (in MXNet 1.x's partial inference: unknown) dim. */
static bool has_unknown_dim(mx_tensor_s *const *ins, int n) {
    for (int j = 0; j < n; j++)
        for (int d = 0; ins[j] && d < ins[j]->ndim; d++)
            if (ins[j]->shape[d] == 0) return true;
    return false;
}

/* Whether input j of op is a learned parameter (weight, bias, gamma, ...):
 * its shape says nothing about the data's, so it never lends a 0 dim. */
static bool is_param_input(const mx_op_def *op, int j) {
    static const char *const params[] = {"weight", "bias", "gamma", "beta", "moving_mean", "moving_var", "parameters"};
    const char *p = op->inputs ? op->inputs : "";
    for (int k = 0; k < j && p; k++) {
        p = strchr(p, ',');
        if (p) p++;
    }
    if (!p) return false;
    size_t len = strcspn(p, ",");
    for (size_t k = 0; k < sizeof params / sizeof *params; k++)
        if (strlen(params[k]) == len && !strncmp(p, params[k], len)) return true;
    return false;
}

/* The attributes of deferred node d with its 0 dims filled from input `slot`
 * of `consumer`, whose other inputs are `known` (NULL where unknown): an RNN
 * state (layers*dirs, batch, hidden) takes the batch from the data (T, N, C);
 * any other consumer lends the dims of its first other input of the same
 * rank (the operand of an elementwise op). `shape` (256 chars) holds the new
 * shape string that vals points to. Errors name both nodes. */
/* Known value/shape of output `index` of node `node`, or NULL: the slots of
 * shape inference or the values of a run. */
typedef struct {
    mx_tensor_s *const *table; /* by row */
    const int *row;
    const void *slots;         /* shape_slot array (inference) instead of table */
} known_lookup;

static const mx_tensor_s *lookup_known(const known_lookup *k, int node, int index);

/* The batch (dim 0) of an operand combined with node ci's output further on:
 * MXNet's step cells add h2h = FullyConnected(zeros(0, H)) to i2h =
 * FullyConnected(x_t) (LSTM), or first split both (GRU), so the zeros' batch is
 * the i2h's; the convolutional cells do the same with Convolution. Walks through single-input consumers (split, activations: they
 * keep dim 0) at most `depth` deep; 0 if no known operand is found. */
static int64_t sibling_batch(const mx_graph_s *g, int ci, const known_lookup *k, int depth) {
    for (int j = ci + 1; j < g->n_nodes; j++) {
        const gnode *n = &g->nodes[j];
        for (int a = 0; a < n->n_in; a++) {
            if (n->in[a].node != ci) continue;
            for (int b = 0; b < n->n_in; b++) {
                const mx_tensor_s *t = b == a ? NULL : lookup_known(k, n->in[b].node, n->in[b].index);
                if (t && t->ndim >= 1 && t->shape[0] > 0) return t->shape[0];
            }
            if (n->n_in == 1 && depth > 0) {
                int64_t b = sibling_batch(g, j, k, depth - 1);
                if (b > 0) return b;
            }
        }
    }
    return 0;
}

static int deferred_attrs(const mx_graph_s *g, int d, const gnode *consumer, int slot, mx_tensor_s *const *known,
                          const known_lookup *look, char *shape, const char **keys, const char **vals, int *na) {
    const gnode *n = &g->nodes[d];
    int64_t dims[MX_MAX_NDIM];
    int nd = 0;
    const char *p = shape_attr(n);
    while (*p && nd < MX_MAX_NDIM) {
        while (*p && (*p < '0' || *p > '9') && *p != '-') p++;
        if (!*p) break;
        char *end;
        dims[nd++] = strtoll(p, &end, 10);
        p = end;
    }
    const mx_tensor_s *ref = NULL;
    if (!strcmp(consumer->op->name, "RNN") && slot >= 2 && known[0]) {
        if (nd == 3 && dims[1] == 0 && known[0]->ndim == 3) dims[1] = known[0]->shape[1];
    } else if ((!strcmp(consumer->op->name, "FullyConnected") || !strcmp(consumer->op->name, "Convolution")) &&
               slot == 0) {
        if (nd >= 1 && dims[0] == 0) dims[0] = sibling_batch(g, (int)(consumer - g->nodes), look, 3);
    } else {
        for (int j = 0; j < consumer->n_in && !ref; j++)
            if (j != slot && known[j] && known[j]->ndim == nd && !is_param_input(consumer->op, j)) ref = known[j];
        for (int k = 0; ref && k < nd; k++)
            if (dims[k] == 0) dims[k] = ref->shape[k];
    }
    for (int k = 0; k < nd; k++)
        if (dims[k] == 0)
            return mxi_error(MX_ERR_INVALID, "graph node '%s': cannot infer the 0 (unknown) dims of its shape from consumer '%s'",
                             n->name, consumer->name);
    size_t len = (size_t)snprintf(shape, 256, "(");
    for (int k = 0; k < nd; k++) len += (size_t)snprintf(shape + len, 256 - len, "%s%lld", k ? "," : "", (long long)dims[k]);
    snprintf(shape + len, 256 - len, ")");
    *na = op_attrs(n, keys, vals);
    for (int a = 0; a < *na; a++)
        if (!strcmp(keys[a], "shape")) vals[a] = shape;
    return MX_OK;
}

/* ---- shape inference over shape-only tensors ---- */

/* A tensor header with a shape and dtype but no data (storage NULL): infer
 * functions only look at shapes and dtypes. */
typedef struct {
    mx_tensor_s t;
    int known;
} shape_slot;

static int set_slot_from_json(shape_slot *s, const mxi_jv *spec, const char *name) {
    const mxi_jv *shape = mxi_jv_get(spec, "shape"), *dtype = mxi_jv_get(spec, "dtype");
    if (!shape || shape->type != MXI_JV_ARR || shape->n > MX_MAX_NDIM)
        return mxi_error(MX_ERR_INVALID, "infer_shape: '%s' needs a \"shape\" array of at most %d dims", name, MX_MAX_NDIM);
    s->t.ndim = shape->n;
    for (int d = 0; d < shape->n; d++) {
        if (shape->items[d].type != MXI_JV_NUM || shape->items[d].num < 0)
            return mxi_error(MX_ERR_INVALID, "infer_shape: '%s' has a bad dimension at position %d", name, d);
        s->t.shape[d] = (int64_t)shape->items[d].num;
    }
    s->t.dtype = MX_FLOAT32;
    if (dtype && dtype->type == MXI_JV_STR) {
        int dt = mxi_dtype_from_name(dtype->str);
        if (dt < 0) return mxi_error(MX_ERR_DTYPE, "infer_shape: '%s' has unknown dtype '%s'", name, dtype->str);
        s->t.dtype = dt;
    }
    s->t.size = mxi_shape_size(s->t.shape, s->t.ndim);
    mxi_set_contiguous_strides(&s->t);
    s->known = 1;
    return MX_OK;
}

static const mx_tensor_s *lookup_known(const known_lookup *k, int node, int index) {
    if (k->slots) {
        const shape_slot *s = (const shape_slot *)k->slots + k->row[node] + index;
        return s->known ? &s->t : NULL;
    }
    return k->table[k->row[node] + index];
}

/* Slot <- output k of an inferred call. */
static void slot_from_call(shape_slot *s, const mx_call *c, int k) {
    s->t.ndim = c->out_ndim[k];
    memcpy(s->t.shape, c->out_shape[k], sizeof(int64_t) * (size_t)c->out_ndim[k]);
    s->t.dtype = c->out_dtype[k];
    s->t.size = mxi_shape_size(s->t.shape, s->t.ndim);
    mxi_set_contiguous_strides(&s->t);
    s->known = 1;
}

static void write_slot(mxi_json *j, const shape_slot *s) {
    if (!s->known) { mxi_json_null(j); return; }
    mxi_json_begin_object(j);
    mxi_json_key(j, "shape");
    mxi_json_begin_array(j);
    for (int d = 0; d < s->t.ndim; d++) mxi_json_int(j, s->t.shape[d]);
    mxi_json_end_array(j);
    mxi_json_key(j, "dtype");
    mxi_json_string(j, mxi_dtype_name(s->t.dtype));
    mxi_json_end_object(j);
}

/* Unknown variable inputs of node n (weights, biases, labels, states) get
 * the shapes its op derives from the known data input: MXNet's backward
 * inference of parameter shapes, in the same pass. */
static void fill_param_shapes(const mx_graph_s *g, const gnode *n, mx_tensor_s **ins, shape_slot *slots,
                              const int *row, mx_call *c) {
    const char *keys[MX_MAX_ATTRS * 2], *vals[MX_MAX_ATTRS * 2];
    int na = op_attrs(n, keys, vals), idx = mxi_op_index(n->op);
    c->op = n->op;
    c->n_in = n->n_in;
    memcpy(c->in, ins, sizeof(mx_tensor_s *) * (size_t)n->n_in);
    if (idx < 0 || mxi_parse_attrs(n->op, mxi_op_defaults(idx), keys, vals, na, c) != MX_OK) {
        mxi_error_clear(); /* the node's own infer reports bad attributes */
        return;
    }
    for (int j = 1; j < n->n_in; j++) {
        const gnode *p = &g->nodes[n->in[j].node];
        if (ins[j] || p->op) continue;
        shape_slot *s = &slots[row[n->in[j].node] + n->in[j].index];
        int nd = 0, dt = ins[0]->dtype;
        if (n->op->param_shape(c, j, s->t.shape, &nd, &dt) != 0) continue;
        s->t.ndim = nd;
        s->t.dtype = dt;
        s->t.size = mxi_shape_size(s->t.shape, nd);
        mxi_set_contiguous_strides(&s->t);
        s->known = 1;
        ins[j] = &s->t;
    }
}

/* A control-flow node infers once every input an op computes is known (it
 * may size variable inputs its body's layers determine, e.g. a weight). */
static int infer_cf_node(mx_graph_s *g, int i, mx_tensor_s **ins, shape_slot *slots, const int *row, mx_call *c,
                         int partial, bool *complete) {
    gnode *n = &g->nodes[i];
    for (int j = 0; j < n->n_in; j++)
        if (!ins[j] && g->nodes[n->in[j].node].op) { *complete = false; return MX_OK; }
    mx_tensor_s *filled = calloc((size_t)n->n_in + 1, sizeof *filled);
    if (!filled) return mxi_error(MX_ERR_MEMORY, "infer_shape: out of memory");
    for (int j = 0; j < n->n_in; j++) filled[j].ndim = -1;
    bool done = false;
    int rc = mxi_cf_infer(n, ins, filled, c, &done);
    if (rc != MX_OK) mxi_error_prefix(rc, "infer_shape");
    for (int j = 0; j < n->n_in && rc == MX_OK; j++) {
        shape_slot *s = &slots[row[n->in[j].node] + n->in[j].index];
        if (!ins[j] && filled[j].ndim >= 0) {
            s->t = filled[j];
            s->known = 1;
        } else if (!ins[j] && !partial) {
            rc = mxi_error(MX_ERR_INVALID, "infer_shape: cannot infer the shape of '%s' (input %d of node '%s', op %s); "
                           "provide it", g->nodes[n->in[j].node].name, j, n->name, n->op->name);
        }
    }
    if (rc == MX_OK && done)
        for (int k = 0; k < c->n_out && k < n->n_out; k++) slot_from_call(&slots[row[i] + k], c, k);
    else if (rc == MX_OK)
        *complete = false;
    free(filled);
    return rc;
}

/* A host-computed (Custom) node infers once every input an op computes is
 * known; variables it leaves unknown (a label, a state) the host may fill
 * in, as MXNet's custom infer_shape does. */
static int infer_host_node(mx_graph_s *g, int i, mx_tensor_s **ins, shape_slot *slots, const int *row, mx_call *c,
                           int partial, bool *complete) {
    gnode *n = &g->nodes[i];
    bool any = n->n_in == 0, waiting = false;
    for (int j = 0; j < n->n_in; j++) {
        if (ins[j]) any = true;
        else if (g->nodes[n->in[j].node].op) waiting = true; /* an op's output still unknown */
    }
    if (waiting || !any) { *complete = false; return MX_OK; }
    mx_tensor_s *filled = calloc((size_t)n->n_in + 1, sizeof *filled);
    if (!filled) return mxi_error(MX_ERR_MEMORY, "infer_shape: out of memory");
    int rc = mxi_custom_infer(n, ins, filled, c);
    if (rc != MX_OK) mxi_error_prefix(rc, "infer_shape");
    for (int j = 0; j < n->n_in && rc == MX_OK; j++) {
        shape_slot *s = &slots[row[n->in[j].node] + n->in[j].index];
        if (ins[j] == &filled[j]) { s->t = filled[j]; s->known = 1; ins[j] = &s->t; }
        if (ins[j]) continue;
        *complete = false;
        if (!partial)
            rc = mxi_error(MX_ERR_INVALID, "infer_shape: cannot infer the shape of '%s' (input %d of node '%s', op "
                           "Custom); provide it", g->nodes[n->in[j].node].name, j, n->name);
    }
    for (int k = 0; k < c->n_out && k < n->n_out && rc == MX_OK; k++) slot_from_call(&slots[row[i] + k], c, k);
    free(filled);
    return rc;
}

int mx_graph_infer(mx_graph g, const char *known_json, int partial, const char **result_json) {
    if (!graph_check(g, "mx_graph_infer")) return MX_ERR_HANDLE;
    if (!result_json) return mxi_error(MX_ERR_INVALID, "mx_graph_infer: result_json is NULL");
    mxi_jv *known = NULL;
    MXI_TRY(mxi_jv_parse(known_json ? known_json : "{}", "infer_shape request", &known));
    int total = 0;
    int *row = mxi_graph_rows(g, &total);
    shape_slot *slots = calloc((size_t)total + 1, sizeof *slots);
    mx_call *c = malloc(sizeof *c);
    int rc = MX_OK;
    if (!row || !slots || !c) { rc = mxi_error(MX_ERR_MEMORY, "infer_shape: out of memory"); goto done; }
    for (int i = 0; i < known->n && known->type == MXI_JV_OBJ && rc == MX_OK; i++) {
        int found = -1;
        for (int v = 0; v < g->n_nodes; v++)
            if (!g->nodes[v].op && !strcmp(g->nodes[v].name, known->keys[i])) { found = v; break; }
        if (found < 0) { rc = mxi_error(MX_ERR_NOT_FOUND, "infer_shape: '%s' is not an argument or aux state of the graph", known->keys[i]); break; }
        rc = set_slot_from_json(&slots[row[found]], &known->items[i], known->keys[i]);
    }
    bool complete = true;
    for (int i = 0; i < g->n_nodes && rc == MX_OK; i++) {
        gnode *n = &g->nodes[i];
        if (!n->op || !n->reachable || is_deferred(n)) continue;
        mx_tensor_s *ins[MX_MAX_INPUTS];
        bool ready = n->n_in <= MX_MAX_INPUTS;
        for (int j = 0; j < n->n_in && ready; j++) {
            shape_slot *s = &slots[row[n->in[j].node] + n->in[j].index];
            ins[j] = s->known ? &s->t : NULL;
        }
        /* deferred inputs (0 dims) take their shape from this consumer's other inputs */
        for (int j = 0; j < n->n_in && ready && rc == MX_OK; j++) {
            int d = n->in[j].node;
            if (ins[j] || !is_deferred(&g->nodes[d])) continue;
            char shape[256];
            const char *dkeys[MX_MAX_ATTRS * 2], *dvals[MX_MAX_ATTRS * 2];
            int dna = 0;
            known_lookup look = {NULL, row, slots};
            if (deferred_attrs(g, d, n, j, ins, &look, shape, dkeys, dvals, &dna) != MX_OK) {
                if (partial) { mxi_error_clear(); continue; }
                rc = mxi_error_prefix(MX_ERR_INVALID, "infer_shape");
                break;
            }
            rc = mxi_infer_kv(g->nodes[d].op, NULL, 0, dkeys, dvals, dna, c);
            if (rc != MX_OK) { mxi_error_prefix(rc, "infer_shape: node '%s'", g->nodes[d].name); break; }
            slot_from_call(&slots[row[d]], c, 0);
            ins[j] = &slots[row[d]].t;
        }
        if (rc != MX_OK) break;
        if (n->cf || n->host) {
            rc = n->cf ? infer_cf_node(g, i, ins, slots, row, c, partial, &complete)
                       : infer_host_node(g, i, ins, slots, row, c, partial, &complete);
            continue;
        }
        if (ready && n->op->param_shape && n->n_in > 1 && ins[0]) fill_param_shapes(g, n, ins, slots, row, c);
        for (int j = 0; j < n->n_in && ready; j++)
            if (!ins[j]) ready = false;
        if (!ready) {
            complete = false;
            if (partial && same_shape_op(n->op) && n->n_out == 1)
                for (int j = 0; j < n->n_in; j++)
                    if (ins[j]) {
                        shape_slot *o = &slots[row[i]];
                        o->t = *ins[j];
                        o->t.storage = NULL;
                        o->known = 1;
                        break;
                    }
            if (!partial) {
                for (int j = 0; j < n->n_in; j++) {
                    gnode *p = &g->nodes[n->in[j].node];
                    if (!slots[row[n->in[j].node] + n->in[j].index].known && !p->op) {
                        rc = mxi_error(MX_ERR_INVALID, "infer_shape: cannot infer the shape of '%s' (input %d of node '%s', op %s); provide it",
                                       p->name, j, n->name, n->op->name);
                        break;
                    }
                }
            }
            continue;
        }
        const char *keys[MX_MAX_ATTRS * 2], *vals[MX_MAX_ATTRS * 2];
        int na = op_attrs(n, keys, vals);
        rc = mxi_infer_kv(n->op, ins, n->n_in, keys, vals, na, c);
        if (rc != MX_OK && partial && has_unknown_dim(ins, n->n_in)) {
            /* a 0 dim is unknown (MXNet 1.x): what the op cannot check yet stays undecided */
            mxi_error_clear();
            rc = MX_OK;
            complete = false;
            continue;
        }
        if (rc != MX_OK) { mxi_error_prefix(rc, "infer_shape: node '%s' (op %s)", n->name, n->op_name); break; }
        for (int k = 0; k < c->n_out && k < n->n_out; k++) slot_from_call(&slots[row[i] + k], c, k);
    }
    if (rc == MX_OK) {
        mxi_json j;
        mxi_json_init(&j);
        mxi_json_begin_object(&j);
        for (int i = 0; i < g->n_args; i++) complete &= slots[row[g->args[i]]].known != 0;
        mxi_json_key(&j, "complete");
        mxi_json_bool(&j, complete);
        mxi_json_key(&j, "arguments");
        mxi_json_begin_object(&j);
        for (int i = 0; i < g->n_args; i++) { mxi_json_key(&j, g->arg_names[i]); write_slot(&j, &slots[row[g->args[i]]]); }
        mxi_json_end_object(&j);
        mxi_json_key(&j, "aux_states");
        mxi_json_begin_object(&j);
        for (int i = 0; i < g->n_aux; i++) { mxi_json_key(&j, g->aux_names[i]); write_slot(&j, &slots[row[g->aux[i]]]); }
        mxi_json_end_object(&j);
        mxi_json_key(&j, "outputs");
        mxi_json_begin_array(&j);
        for (int h = 0; h < g->n_heads; h++) write_slot(&j, &slots[row[g->heads[h].node] + g->heads[h].index]);
        mxi_json_end_array(&j);
        mxi_json_key(&j, "plan"); /* what the executor will do besides running each node */
        mxi_json_begin_object(&j);
        mxi_json_key(&j, "fused_chains");
        mxi_json_int(&j, g->n_fused_chains);
        mxi_json_key(&j, "fused_nodes");
        mxi_json_int(&j, g->n_fused_nodes);
        mxi_json_end_object(&j);
        mxi_json_end_object(&j);
        free(g->infer_json);
        g->infer_json = mxi_json_take(&j);
        *result_json = g->infer_json;
    }
done:
    free(row);
    free(slots);
    free(c);
    mxi_jv_free(known);
    return rc;
}

/* ---- execution ---- */

static int run_deferred(mx_graph_s *g, int d, const gnode *consumer, int slot, mx_tensor_s *const *known,
                        mx_tensor_s *const *val, const int *row, mx_tensor_s **out) {
    char shape[256];
    const char *keys[MX_MAX_ATTRS * 2], *vals[MX_MAX_ATTRS * 2];
    int na = 0;
    known_lookup look = {val, row, NULL};
    MXI_TRY(deferred_attrs(g, d, consumer, slot, known, &look, shape, keys, vals, &na));
    mx_tensor_s *outs[MX_MAX_OUTPUTS];
    int got = 0;
    int rc = mxi_invoke_kv(g->nodes[d].op, NULL, 0, keys, vals, na, outs, MX_MAX_OUTPUTS, &got);
    if (rc != MX_OK) return mxi_error_prefix(rc, "graph node '%s'", g->nodes[d].name);
    for (int k = 1; k < got; k++) mxi_tensor_release(outs[k]);
    *out = outs[0];
    return MX_OK;
}

static bool subgraph_constant(mx_graph_s *g, int i) {
    gnode *n = &g->nodes[i];
    /* random ops, host (Custom) nodes that may keep state, and control flow are never folded */
    if (!n->op || (n->op->flags & (MX_OPF_RANDOM | MX_OPF_HOST | MX_OPF_SUBGRAPH))) return false;
    for (int j = 0; j < n->n_in; j++)
        if (!g->nodes[n->in[j].node].is_const) return false;
    return true;
}

/* Run every reachable op node in order, filling val (indexed by row).
 * Without `info` (inference, or no gradient wanted) the memory plan applies:
 * elementwise chains run fused, inputs are released after their last
 * consumer and donated to in-place ops. With `info` (the whole-graph tape
 * node needs every value for backward) all values stay, nothing is fused or
 * overwritten, and info[i] receives node i's call info. With `replay` (a
 * recomputation) all values stay too and random ops draw the streams
 * replay[i] recorded. */
int mxi_graph_forward(mx_graph_s *g, mx_tensor_s **val, const int *row, mxi_call_info *info,
                      const mxi_call_info *replay) {
    const bool plan = info == NULL && replay == NULL;
    int rc = MX_OK;
    mx_tensor_s *outs[MX_MAX_OUTPUTS];
    char *done = calloc((size_t)g->n_nodes + 1, 1); /* nodes run inside a fused chain */
    if (!done) return mxi_error(MX_ERR_MEMORY, "mx_graph_run: out of memory");
    for (int i = 0; i < g->n_nodes && rc == MX_OK; i++) {
        gnode *n = &g->nodes[i];
        if (!n->op || !n->reachable || is_deferred(n) || done[i]) continue;
        if (plan && n->fuse_head && val[row[n->in[0].node] + n->in[0].index]) {
            mx_tensor_s *y = NULL;
            int tail = -1;
            int frc = mxi_fuse_run(g, i, val[row[n->in[0].node] + n->in[0].index], &y, &tail);
            if (frc == MX_OK) {
                for (int k = i; k >= 0; k = g->nodes[k].fuse_next) {
                    done[k] = 1;
                    if (k == tail) break;
                }
                val[row[tail]] = y;
                gref r = n->in[0];
                if (g->nodes[r.node].last_use[r.index] == i) {
                    mxi_tensor_release(val[row[r.node] + r.index]);
                    val[row[r.node] + r.index] = NULL;
                }
                continue;
            }
            if (frc != MX_ERR_UNSUPPORTED) { rc = frc; break; }
        }
        if (n->is_const && n->consts) {
            for (int k = 0; k < n->n_out; k++) { val[row[i] + k] = n->consts[k]; mxi_tensor_retain(n->consts[k]); }
            continue;
        }
        mx_tensor_s *ins[MX_MAX_INPUTS];
        for (int j = 0; j < n->n_in; j++) ins[j] = val[row[n->in[j].node] + n->in[j].index];
        for (int j = 0; j < n->n_in && rc == MX_OK; j++) {
            int d = n->in[j].node;
            if (!ins[j] && is_deferred(&g->nodes[d])) {
                rc = run_deferred(g, d, n, j, ins, val, row, &val[row[d]]);
                ins[j] = val[row[d]];
            }
        }
        if (rc != MX_OK) break;
        /* in-place planning: intermediates consumed for the last time here */
        uint64_t donate = 0;
        for (int j = 0; plan && j < n->n_in && j < 64; j++) {
            gnode *p = &g->nodes[n->in[j].node];
            if (p->op && !p->is_const && !is_deferred(p) && p->last_use[n->in[j].index] == i) donate |= 1ull << j;
        }
        int got = 0;
        if (n->cf) { /* control flow: its subgraphs run (graph_control_flow.c) */
            rc = mxi_cf_forward(n, ins, outs, info ? &info[i] : NULL); /* its errors name the node */
            got = rc == MX_OK ? n->n_out : 0;
        } else if (n->host) { /* computed by the host handler (Custom); its errors name the node */
            rc = mxi_custom_forward(n, ins, outs, info ? &info[i] : NULL);
            got = n->n_out;
        } else {
            if (replay && (n->op->flags & MX_OPF_RANDOM)) mxi_rng_replay_next(replay[i].rng_seed, replay[i].rng_offset);
            rc = mxi_invoke_parsed(n->op, n->parsed, n->n_parsed, ins, n->n_in, donate, outs, MX_MAX_OUTPUTS, &got,
                                   info ? &info[i] : NULL);
            if (replay) mxi_rng_replay_clear(); /* unused when the call failed early */
            if (rc != MX_OK) mxi_error_prefix(rc, "graph node '%s' (op %s)", n->name, n->op_name);
        }
        if (rc != MX_OK) break;
        for (int k = 0; k < got; k++) {
            if (k < n->n_out) val[row[i] + k] = outs[k];
            else mxi_tensor_release(outs[k]);
        }
        /* fold constants once: zero-input (or all-constant-input) nodes */
        if (!g->consts_ready && subgraph_constant(g, i)) {
            n->consts = calloc((size_t)n->n_out, sizeof *n->consts);
            if (n->consts) {
                for (int k = 0; k < n->n_out; k++) { n->consts[k] = mxi_tensor_alias(val[row[i] + k]); }
                n->is_const = 1;
            }
        }
        /* memory planning: drop inputs after their last consumer, and outputs
         * nothing consumes (hidden ones: an RNN's saved gates, a BatchNorm's
         * batch statistics) at once */
        for (int j = 0; plan && j < n->n_in; j++) {
            gref r = n->in[j];
            if (g->nodes[r.node].last_use[r.index] == i) {
                mxi_tensor_release(val[row[r.node] + r.index]);
                val[row[r.node] + r.index] = NULL;
            }
        }
        for (int k = 0; plan && !n->is_const && k < n->n_out; k++)
            if (n->last_use[k] < 0) {
                mxi_tensor_release(val[row[i] + k]);
                val[row[i] + k] = NULL;
            }
    }
    free(done);
    if (rc == MX_OK) g->consts_ready = 1;
    return rc;
}

/* Record the run as one tape node (graph_backward.c) when autograd records
 * and some argument wants a gradient; MXCORE_GRAPH_BACKWARD=0 records the
 * graph's ops one by one instead (the eager tape). */
static bool whole_graph_tape(mx_graph_s *g, const mx_tensor *args) {
    static int enabled = -1;
    if (enabled < 0) {
        const char *e = getenv("MXCORE_GRAPH_BACKWARD");
        enabled = !(e && !strcmp(e, "0"));
    }
    if (!enabled || !mxi_ag_recording()) return false;
    for (int i = 0; i < g->n_args; i++)
        if (mxi_ag_wants_grad(args[i])) return true;
    return false;
}

int mx_graph_run(mx_graph g, const mx_tensor *args, int n_args, const mx_tensor *aux, int n_aux, int is_train,
                 mx_tensor *outputs, int max_out, int *n_out) {
    if (!graph_check(g, "mx_graph_run")) return MX_ERR_HANDLE;
    if (!n_out || (max_out && !outputs)) return mxi_error(MX_ERR_INVALID, "mx_graph_run: bad output arguments");
    if (n_args != g->n_args)
        return mxi_error(MX_ERR_INVALID, "mx_graph_run: graph has %d argument(s), %d given", g->n_args, n_args);
    if (n_aux != g->n_aux)
        return mxi_error(MX_ERR_INVALID, "mx_graph_run: graph has %d auxiliary state(s), %d given", g->n_aux, n_aux);
    if (max_out < g->n_heads)
        return mxi_error(MX_ERR_INVALID, "mx_graph_run: graph has %d output(s), room for %d", g->n_heads, max_out);
    for (int i = 0; i < n_args; i++)
        if (!mxi_tensor_check(args[i], g->arg_names[i])) return mxi_error_prefix(MX_ERR_HANDLE, "mx_graph_run: argument");
    for (int i = 0; i < n_aux; i++)
        if (!mxi_tensor_check(aux[i], g->aux_names[i])) return mxi_error_prefix(MX_ERR_HANDLE, "mx_graph_run: aux state");

    int total = 0;
    int *row = mxi_graph_rows(g, &total);
    if (!row) return mxi_error(MX_ERR_MEMORY, "mx_graph_run: out of memory");
    mx_tensor_s **val = calloc((size_t)total + 1, sizeof *val);
    bool tape = whole_graph_tape(g, args);
    mxi_call_info *info = tape ? calloc((size_t)g->n_nodes + 1, sizeof *info) : NULL;
    if (!val || (tape && !info)) {
        free(row);
        free(val);
        free(info);
        return mxi_error(MX_ERR_MEMORY, "mx_graph_run: out of memory");
    }
    for (int i = 0; i < n_args; i++) { val[row[g->args[i]]] = args[i]; mxi_tensor_retain(args[i]); }
    for (int i = 0; i < n_aux; i++) { val[row[g->aux[i]]] = aux[i]; mxi_tensor_retain(aux[i]); }

    int prev_train, prev_rec = 0;
    mx_autograd_set_training(is_train, &prev_train);
    if (tape) mx_autograd_set_recording(0, &prev_rec); /* one node for the whole graph, below */
    int rc = mxi_graph_forward(g, val, row, info, NULL);
    if (tape) mx_autograd_set_recording(prev_rec, NULL);
    mx_autograd_set_training(prev_train, NULL);
    for (int h = 0; h < g->n_heads && rc == MX_OK; h++) {
        mx_tensor_s *t = val[row[g->heads[h].node] + g->heads[h].index];
        mxi_tensor_retain(t);
        outputs[h] = t;
    }
    if (rc == MX_OK) *n_out = g->n_heads;
    if (rc == MX_OK && tape) {
        /* the tape node owns val, row and info from here on */
        rc = mxi_graph_record(g, val, row, info, args, outputs);
        if (rc != MX_OK)
            for (int h = 0; h < g->n_heads; h++) mxi_tensor_release(outputs[h]);
        return rc;
    }
    for (int k = 0; k < total; k++) mxi_tensor_release(val[k]);
    free(val);
    free(row);
    mxi_call_info_clear(info, g->n_nodes);
    free(info);
    return rc;
}

int mxi_graph_run_inputs(mx_graph_s *g, mx_tensor_s *const *inputs, mx_tensor_s **heads) {
    mx_tensor args[MX_MAX_INPUTS], aux[MX_MAX_INPUTS];
    if (g->n_args > MX_MAX_INPUTS || g->n_aux > MX_MAX_INPUTS)
        return mxi_error(MX_ERR_UNSUPPORTED, "graph: a subgraph with more than %d inputs", MX_MAX_INPUTS);
    for (int k = 0, a = 0, x = 0; k < g->n_inputs; k++) {
        if (g->nodes[g->inputs[k]].is_aux) aux[x++] = inputs[k];
        else args[a++] = inputs[k];
    }
    int n_out = 0;
    return mx_graph_run(g, args, g->n_args, aux, g->n_aux, mxi_ag_training(), heads, g->n_heads, &n_out);
}
