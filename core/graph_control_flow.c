/* graph_control_flow.c — MXNet's control-flow nodes inside core graphs:
 * `_foreach`, `_while_loop` and `_cond` (registry entries and attributes in
 * core/ops/control_flow.c). Each node owns its subgraphs (MXNet's JSON
 * "subgraphs" field), which are graphs like any other.
 *
 * Running: the node calls its subgraphs once per step with the step's
 * inputs. The subgraph's inputs are its variables in node order (MXNet's
 * list_inputs order, which the *_locs attributes index).
 *   - Under a whole-graph tape (graph_backward.c) every step keeps its values
 *     (a saved run per step, kept as the node's call state) and the node's
 *     gradient is a reverse pass over the steps: each step's vector-Jacobian
 *     product (mxi_graph_vjp), carrying the states' gradients backwards and
 *     summing the loop-invariant inputs' gradients.
 *   - Otherwise each step is an ordinary graph run (recorded on the eager
 *     tape when autograd records), with slicing and stacking through
 *     registry ops, so autograd sees everything.
 * Shape inference infers the body subgraph from the step shapes; a
 * loop-invariant input the body's ops can size (a weight) is filled in.
 *
 * Semantics: foreach slices every data input along axis 0 and stacks the
 * per-step outputs along axis 0. while_loop runs at most max_iterations
 * steps while the condition subgraph gives a nonzero scalar; its per-step
 * outputs have max_iterations rows, the rows of steps that did not run are
 * zeros (MXNet leaves them uninitialised). cond runs one branch. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "autograd.h"
#include "graph_internal.h"
#include "json_reader.h"
#include "json_writer.h"

enum { CF_FOREACH, CF_WHILE, CF_COND };

#define CF_MAX_LOCS MX_MAX_INPUTS

struct mxi_cf {
    int kind;
    int n_sub;
    mx_graph_s **sub;     /* foreach: body; while: cond, func; cond: pred, then, else */
    int num_out_data;     /* foreach/while: per-step outputs */
    int64_t max_iter;     /* while */
    /* foreach: in_data, in_state, remain; while: cond_input, func_input, func_var;
     * cond: cond_input, then_input, else_input */
    int n_locs[3];
    int *locs[3];
};

/* ---- load / free / JSON ---- */

/* "[1, 2, 0]" (any length) -> ints */
static int parse_locs(const char *s, const char *node, const char *key, int **out, int *n) {
    int cap = 8, k = 0;
    int *v = malloc(sizeof(int) * (size_t)cap);
    if (!v) return mxi_error(MX_ERR_MEMORY, "graph: out of memory");
    const char *p = s;
    while (*p) {
        if ((*p >= '0' && *p <= '9') || *p == '-') {
            char *end;
            long x = strtol(p, &end, 10);
            if (x < 0 || x >= CF_MAX_LOCS) {
                free(v);
                return mxi_error(MX_ERR_INVALID, "graph node '%s': %s entry %ld is out of range", node, key, x);
            }
            if (k == cap) {
                int *nv = realloc(v, sizeof(int) * (size_t)(cap *= 2));
                if (!nv) { free(v); return mxi_error(MX_ERR_MEMORY, "graph: out of memory"); }
                v = nv;
            }
            v[k++] = (int)x;
            p = end;
        } else if (strchr("[]() ,L", *p)) {
            p++;
        } else {
            free(v);
            return mxi_error(MX_ERR_INVALID, "graph node '%s': attribute %s = '%s' is not a list of ints", node, key, s);
        }
    }
    *out = v;
    *n = k;
    return MX_OK;
}

static const char *node_attr(const gnode *n, const char *key) {
    for (int a = 0; a < n->n_attrs; a++)
        if (!strcmp(n->keys[a], key)) return n->vals[a];
    return NULL;
}

void mxi_cf_free(gnode *n) {
    mxi_cf *cf = n->cf;
    if (!cf) return;
    for (int s = 0; s < cf->n_sub; s++)
        if (cf->sub[s]) mxi_graph_drop(cf->sub[s]);
    free(cf->sub);
    for (int k = 0; k < 3; k++) free(cf->locs[k]);
    free(cf);
    n->cf = NULL;
}

/* the subgraph inputs `locs` index must exist, and node inputs they map to */
static int check_locs(const gnode *n, const char *key, const int *locs, int nl, int limit) {
    for (int k = 0; k < nl; k++)
        if (locs[k] >= limit)
            return mxi_error(MX_ERR_INVALID, "graph node '%s' (op %s): %s entry %d is %d, but there are only %d",
                             n->name, n->op->name, key, k, locs[k], limit);
    return MX_OK;
}

int mxi_cf_load(gnode *n, const mxi_jv *subgraphs) {
    static const char *const keys[3][3] = {{"in_data_locs", "in_state_locs", "remain_locs"},
                                           {"cond_input_locs", "func_input_locs", "func_var_locs"},
                                           {"cond_input_locs", "then_input_locs", "else_input_locs"}};
    static const int n_subs[3] = {1, 2, 3};
    mxi_cf *cf = calloc(1, sizeof *cf);
    if (!cf) return mxi_error(MX_ERR_MEMORY, "graph: out of memory");
    n->cf = cf;
    cf->kind = !strcmp(n->op->name, "_foreach") ? CF_FOREACH : !strcmp(n->op->name, "_while_loop") ? CF_WHILE : CF_COND;
    int want = n_subs[cf->kind];
    if (!subgraphs || subgraphs->type != MXI_JV_ARR || subgraphs->n != want)
        return mxi_error(MX_ERR_INVALID, "graph node '%s' (op %s) needs a \"subgraphs\" array of %d graph(s)", n->name,
                         n->op->name, want);
    cf->sub = calloc((size_t)want, sizeof *cf->sub);
    if (!cf->sub) return mxi_error(MX_ERR_MEMORY, "graph: out of memory");
    cf->n_sub = want;
    for (int s = 0; s < want; s++) {
        int rc = mxi_graph_from_jv(&subgraphs->items[s], &cf->sub[s]);
        if (rc != MX_OK) return mxi_error_prefix(rc, "graph node '%s' subgraph %d", n->name, s);
    }
    for (int k = 0; k < 3; k++) {
        const char *v = node_attr(n, keys[cf->kind][k]);
        if (!v) return mxi_error(MX_ERR_INVALID, "graph node '%s' (op %s) lacks attribute %s", n->name, n->op->name,
                                 keys[cf->kind][k]);
        MXI_TRY(parse_locs(v, n->name, keys[cf->kind][k], &cf->locs[k], &cf->n_locs[k]));
    }
    if (cf->kind != CF_COND) cf->num_out_data = (int)n->parsed[2].i;
    if (cf->kind == CF_WHILE) cf->max_iter = n->parsed[3].i;
    /* every map must point at existing subgraph inputs / node inputs */
    if (cf->kind == CF_FOREACH) {
        const mx_graph_s *b = cf->sub[0];
        for (int k = 0; k < 3; k++) MXI_TRY(check_locs(n, keys[0][k], cf->locs[k], cf->n_locs[k], b->n_inputs));
        if (cf->n_locs[0] + cf->n_locs[1] + cf->n_locs[2] != n->n_in || b->n_inputs != n->n_in)
            return mxi_error(MX_ERR_INVALID, "graph node '%s' (_foreach): %d data + %d state + %d remaining inputs, "
                             "but the node has %d inputs and its body %d", n->name, cf->n_locs[0], cf->n_locs[1],
                             cf->n_locs[2], n->n_in, b->n_inputs);
        if (b->n_heads != cf->num_out_data + cf->n_locs[1] || n->n_out != b->n_heads)
            return mxi_error(MX_ERR_INVALID, "graph node '%s' (_foreach): its body has %d outputs, expected %d per-step "
                             "outputs + %d states (the node's %d outputs)", n->name, b->n_heads, cf->num_out_data,
                             cf->n_locs[1], n->n_out);
    } else if (cf->kind == CF_WHILE) {
        MXI_TRY(check_locs(n, keys[1][0], cf->locs[0], cf->n_locs[0], n->n_in));
        MXI_TRY(check_locs(n, keys[1][1], cf->locs[1], cf->n_locs[1], n->n_in));
        MXI_TRY(check_locs(n, keys[1][2], cf->locs[2], cf->n_locs[2], cf->n_locs[1]));
        if (cf->sub[0]->n_inputs != cf->n_locs[0] || cf->sub[1]->n_inputs != cf->n_locs[1] || cf->sub[0]->n_heads != 1)
            return mxi_error(MX_ERR_INVALID, "graph node '%s' (_while_loop): the condition takes %d inputs (%d mapped) "
                             "and must give 1 output (%d); the step takes %d inputs (%d mapped)", n->name,
                             cf->sub[0]->n_inputs, cf->n_locs[0], cf->sub[0]->n_heads, cf->sub[1]->n_inputs,
                             cf->n_locs[1]);
        if (cf->sub[1]->n_heads != cf->num_out_data + cf->n_locs[2] || n->n_out != cf->sub[1]->n_heads)
            return mxi_error(MX_ERR_INVALID, "graph node '%s' (_while_loop): its step has %d outputs, expected %d "
                             "per-step outputs + %d loop variables", n->name, cf->sub[1]->n_heads, cf->num_out_data,
                             cf->n_locs[2]);
    } else {
        for (int k = 0; k < 3; k++) {
            MXI_TRY(check_locs(n, keys[2][k], cf->locs[k], cf->n_locs[k], n->n_in));
            if (cf->sub[k]->n_inputs != cf->n_locs[k])
                return mxi_error(MX_ERR_INVALID, "graph node '%s' (_cond): subgraph %d takes %d inputs, %s maps %d",
                                 n->name, k, cf->sub[k]->n_inputs, keys[2][k], cf->n_locs[k]);
        }
        if (cf->sub[0]->n_heads != 1 || cf->sub[1]->n_heads != n->n_out || cf->sub[2]->n_heads != n->n_out)
            return mxi_error(MX_ERR_INVALID, "graph node '%s' (_cond): the predicate must give 1 output and both "
                             "branches %d (got %d, %d, %d)", n->name, n->n_out, cf->sub[0]->n_heads,
                             cf->sub[1]->n_heads, cf->sub[2]->n_heads);
    }
    return MX_OK;
}

int mxi_cf_write_json(const gnode *n, mxi_json *j) {
    mxi_json_key(j, "subgraphs");
    mxi_json_begin_array(j);
    for (int s = 0; s < n->cf->n_sub; s++) {
        const char *text;
        MXI_TRY(mx_graph_to_json(n->cf->sub[s], &text));
        mxi_json_raw(j, text);
    }
    mxi_json_end_array(j);
    return MX_OK;
}

/* ---- helpers over tensors ---- */

static mx_tensor_s *row_of(mx_tensor_s *x, int64_t i) {
    char a[96];
    snprintf(a, sizeof a, "axis=0;begin=%lld;end=%lld", (long long)i, (long long)i + 1);
    mx_tensor_s *r = mxi_call1("slice_axis", a, 1, x);
    if (!r || x->ndim < 2) return r;
    mx_tensor_s *s = mxi_call1("squeeze", "axis=0", 1, r);
    mxi_tensor_release(r);
    return s;
}

/* stack along a new axis 0 (in chunks: an op takes at most MX_MAX_INPUTS) */
static mx_tensor_s *stack_rows(mx_tensor_s **rows, int64_t n) {
    const int64_t chunk = MX_MAX_INPUTS;
    char a[64];
    if (n <= chunk) {
        snprintf(a, sizeof a, "axis=0;num_args=%lld", (long long)n);
        mx_tensor_s *out = NULL;
        int rc = mxi_call("stack", rows, (int)n, a, &out, 1);
        return rc == MX_OK ? out : NULL;
    }
    int64_t nc = (n + chunk - 1) / chunk;
    if (nc > chunk) { mxi_error(MX_ERR_UNSUPPORTED, "control flow: %lld steps are too many to stack", (long long)n); return NULL; }
    mx_tensor_s *parts[MX_MAX_INPUTS];
    int rc = MX_OK;
    for (int64_t c = 0; c < nc && rc == MX_OK; c++) {
        int64_t len = c == nc - 1 ? n - c * chunk : chunk;
        parts[c] = stack_rows(rows + c * chunk, len);
        if (!parts[c]) { rc = mx_last_error_code(); nc = c; }
    }
    mx_tensor_s *out = NULL;
    if (rc == MX_OK) {
        snprintf(a, sizeof a, "dim=0;num_args=%lld", (long long)nc);
        if (mxi_call("concat", parts, (int)nc, a, &out, 1) != MX_OK) out = NULL;
    }
    for (int64_t c = 0; c < nc; c++) mxi_tensor_release(parts[c]);
    return out;
}

/* zeros of shape/dtype where `like` lives (rows of a while_loop's steps that
 * did not run): made on the host, then moved to like's device */
static mx_tensor_s *zeros_where(const int64_t *shape, int ndim, int dtype, const mx_tensor_s *like) {
    mx_tensor_s *z = mxi_tensor_new(shape, ndim, dtype);
    mx_device dev = like->storage->dev;
    if (!z || dev.type == MX_DEV_CPU || dev.type == MX_DEV_CPU_PINNED) {
        if (z) z->storage->dev = dev; /* the same context, as op results */
        return z;
    }
    mx_tensor d = NULL;
    int rc = mx_tensor_to_device(z, dev, &d);
    mxi_tensor_release(z);
    return rc == MX_OK ? d : NULL;
}

/* a one-element predicate as a truth value (copied to the host) */
static int truth(const gnode *n, mx_tensor_s *p, int *out) {
    if (p->size != 1)
        return mxi_error(MX_ERR_INVALID, "graph node '%s' (op %s): the condition must give one element, got %lld",
                         n->name, n->op->name, (long long)p->size);
    mx_tensor_s *c = mxi_call1("_copy", NULL, 1, p); /* contiguous */
    if (!c) return mx_last_error_code();
    unsigned char buf[16] = {0};
    int rc = mx_tensor_copy_to_host(c, buf, mxi_dtype_size(c->dtype));
    if (rc == MX_OK) *out = mxi_load_as_double(buf, c->dtype, 0) != 0;
    mxi_tensor_release(c);
    return rc;
}

/* ---- one subgraph step: plain (maybe recorded on the eager tape) or saved ---- */

typedef struct {
    const gnode *node;     /* the node (its graph outlives the tape holding this) */
    int n;                 /* steps kept */
    mxi_graph_tape **tape; /* per step; cond: [0] is the branch taken */
    int branch;            /* cond: 1 then, 2 else */
    int64_t steps;         /* foreach/while: steps run */
} cf_state;

static void cf_state_free(void *p) {
    cf_state *s = p;
    if (!s) return;
    for (int k = 0; k < s->n; k++) mxi_graph_tape_free(s->tape[k]);
    free(s->tape);
    free(s);
}

static int state_push(cf_state *s, mxi_graph_tape *t) {
    mxi_graph_tape **nt = realloc(s->tape, sizeof *nt * (size_t)(s->n + 1));
    if (!nt) { mxi_graph_tape_free(t); return mxi_error(MX_ERR_MEMORY, "control flow: out of memory"); }
    s->tape = nt;
    s->tape[s->n++] = t;
    return MX_OK;
}

/* run sub on `in` (its inputs in node order); heads new references; with st
 * the step's values are kept for the gradient */
static int run_step(mx_graph_s *sub, mx_tensor_s **in, mx_tensor_s **heads, cf_state *st) {
    if (!st) return mxi_graph_run_inputs(sub, in, heads);
    mxi_graph_tape *t = NULL;
    MXI_TRY(mxi_graph_run_saved(sub, in, &t, heads));
    return state_push(st, t);
}

/* ---- forward ---- */

static int foreach_forward(const gnode *n, mx_tensor_s **ins, mx_tensor_s **outs, cf_state *st) {
    const mxi_cf *cf = n->cf;
    mx_graph_s *b = cf->sub[0];
    const int nd = cf->n_locs[0], ns = cf->n_locs[1], nr = cf->n_locs[2], no = cf->num_out_data;
    int64_t len = nd ? ins[0]->shape[0] : 0;
    for (int k = 0; k < nd; k++)
        if (ins[k]->ndim < 1 || ins[k]->shape[0] != len)
            return mxi_error(MX_ERR_INVALID, "graph node '%s' (_foreach): every data input needs the same length "
                             "along axis 0 (%lld), data %d has shape[0] = %lld", n->name, (long long)len, k,
                             ins[k]->ndim ? (long long)ins[k]->shape[0] : -1LL);
    if (len == 0) return mxi_error(MX_ERR_INVALID, "graph node '%s' (_foreach): the data has length 0 along axis 0", n->name);
    mx_tensor_s **bin = calloc((size_t)b->n_inputs + 1, sizeof *bin);
    mx_tensor_s **heads = calloc((size_t)b->n_heads + 1, sizeof *heads);
    mx_tensor_s **state = calloc((size_t)ns + 1, sizeof *state);
    mx_tensor_s **steps = calloc((size_t)(no * len) + 1, sizeof *steps); /* [k * len + i] */
    int rc = (bin && heads && state && steps) ? MX_OK : mxi_error(MX_ERR_MEMORY, "_foreach: out of memory");
    for (int s = 0; s < ns && rc == MX_OK; s++) { state[s] = ins[nd + s]; mxi_tensor_retain(state[s]); }
    for (int64_t i = 0; i < len && rc == MX_OK; i++) {
        for (int k = 0; k < nd && rc == MX_OK; k++)
            if (!(bin[cf->locs[0][k]] = row_of(ins[k], i))) rc = mx_last_error_code();
        for (int s = 0; s < ns; s++) bin[cf->locs[1][s]] = state[s];
        for (int r = 0; r < nr; r++) bin[cf->locs[2][r]] = ins[nd + ns + r];
        if (rc == MX_OK) rc = run_step(b, bin, heads, st);
        for (int k = 0; k < nd; k++) { mxi_tensor_release(bin[cf->locs[0][k]]); bin[cf->locs[0][k]] = NULL; }
        if (rc != MX_OK) break;
        for (int k = 0; k < no; k++) steps[k * len + i] = heads[k];
        for (int s = 0; s < ns; s++) { mxi_tensor_release(state[s]); state[s] = heads[no + s]; }
    }
    for (int k = 0; k < no && rc == MX_OK; k++)
        if (!(outs[k] = stack_rows(steps + k * len, len))) rc = mx_last_error_code();
    for (int s = 0; s < ns && rc == MX_OK; s++) { outs[no + s] = state[s]; state[s] = NULL; }
    if (rc != MX_OK) mxi_error_prefix(rc, "graph node '%s' (_foreach)", n->name);
    if (steps) mxi_tensors_release(steps, no * len);
    if (state) mxi_tensors_release(state, ns);
    if (st) st->steps = len;
    free(bin);
    free(heads);
    free(state);
    free(steps);
    return rc;
}

/* while_loop: node input j's current value (loop variables replace theirs) */
static mx_tensor_s *while_input(const mxi_cf *cf, mx_tensor_s **ins, mx_tensor_s **vars, int j) {
    for (int v = 0; v < cf->n_locs[2]; v++)
        if (cf->locs[1][cf->locs[2][v]] == j) return vars[v];
    return ins[j];
}

/* zeros of the step outputs' shapes (with max_iterations rows) when no step ran */
static int while_zero_outputs(const gnode *n, mx_tensor_s **ins, mx_tensor_s **outs);

static int while_forward(const gnode *n, mx_tensor_s **ins, mx_tensor_s **outs, cf_state *st) {
    const mxi_cf *cf = n->cf;
    mx_graph_s *cg = cf->sub[0], *fg = cf->sub[1];
    const int nv = cf->n_locs[2], no = cf->num_out_data;
    const int64_t maxit = cf->max_iter;
    mx_tensor_s **vars = calloc((size_t)nv + 1, sizeof *vars);
    mx_tensor_s **cin = calloc((size_t)cg->n_inputs + 1, sizeof *cin);
    mx_tensor_s **fin = calloc((size_t)fg->n_inputs + 1, sizeof *fin);
    mx_tensor_s **heads = calloc((size_t)fg->n_heads + 1, sizeof *heads);
    mx_tensor_s **steps = calloc((size_t)(no * maxit) + 1, sizeof *steps);
    int rc = (vars && cin && fin && heads && steps) ? MX_OK : mxi_error(MX_ERR_MEMORY, "_while_loop: out of memory");
    for (int v = 0; v < nv && rc == MX_OK; v++) {
        vars[v] = ins[cf->locs[1][cf->locs[2][v]]];
        mxi_tensor_retain(vars[v]);
    }
    int64_t it = 0;
    for (; it < maxit && rc == MX_OK; it++) {
        for (int k = 0; k < cg->n_inputs; k++) cin[k] = while_input(cf, ins, vars, cf->locs[0][k]);
        mx_tensor_s *p = NULL;
        int prev;
        mx_autograd_set_recording(0, &prev); /* the condition has no gradient */
        rc = mxi_graph_run_inputs(cg, cin, &p);
        mx_autograd_set_recording(prev, NULL);
        int go = 0;
        if (rc == MX_OK) rc = truth(n, p, &go);
        mxi_tensor_release(p);
        if (rc != MX_OK || !go) break;
        for (int k = 0; k < fg->n_inputs; k++) fin[k] = while_input(cf, ins, vars, cf->locs[1][k]);
        rc = run_step(fg, fin, heads, st);
        if (rc != MX_OK) break;
        for (int k = 0; k < no; k++) steps[k * maxit + it] = heads[k];
        for (int v = 0; v < nv; v++) { mxi_tensor_release(vars[v]); vars[v] = heads[no + v]; }
    }
    if (rc == MX_OK && no && it == 0) rc = while_zero_outputs(n, ins, outs);
    for (int k = 0; k < no && rc == MX_OK && it > 0; k++) {
        mx_tensor_s *y = stack_rows(steps + k * maxit, it);
        if (y && it < maxit) { /* zero rows for the steps that did not run */
            int64_t shp[MX_MAX_NDIM];
            memcpy(shp, y->shape, sizeof(int64_t) * (size_t)y->ndim);
            shp[0] = maxit - it;
            mx_tensor_s *z = zeros_where(shp, y->ndim, y->dtype, y);
            mx_tensor_s *parts[2] = {y, z}, *cat = NULL;
            if (z && mxi_call("concat", parts, 2, "dim=0;num_args=2", &cat, 1) != MX_OK) cat = NULL;
            mxi_tensor_release(z);
            mxi_tensor_release(y);
            y = cat;
        }
        if (!(outs[k] = y)) rc = mx_last_error_code();
    }
    for (int v = 0; v < nv && rc == MX_OK; v++) { outs[no + v] = vars[v]; vars[v] = NULL; }
    if (rc != MX_OK) mxi_error_prefix(rc, "graph node '%s' (_while_loop)", n->name);
    if (st) st->steps = it;
    if (steps) mxi_tensors_release(steps, no * maxit);
    if (vars) mxi_tensors_release(vars, nv);
    free(vars);
    free(cin);
    free(fin);
    free(heads);
    free(steps);
    return rc;
}

static int cond_forward(const gnode *n, mx_tensor_s **ins, mx_tensor_s **outs, cf_state *st) {
    const mxi_cf *cf = n->cf;
    mx_tensor_s *in[MX_MAX_INPUTS], *p = NULL;
    for (int k = 0; k < cf->n_locs[0]; k++) in[k] = ins[cf->locs[0][k]];
    int prev, go = 0;
    mx_autograd_set_recording(0, &prev);
    int rc = mxi_graph_run_inputs(cf->sub[0], in, &p);
    mx_autograd_set_recording(prev, NULL);
    if (rc == MX_OK) rc = truth(n, p, &go);
    mxi_tensor_release(p);
    if (rc != MX_OK) return mxi_error_prefix(rc, "graph node '%s' (_cond)", n->name);
    int b = go ? 1 : 2;
    for (int k = 0; k < cf->n_locs[b]; k++) in[k] = ins[cf->locs[b][k]];
    if (st) st->branch = b;
    rc = run_step(cf->sub[b], in, outs, st);
    return rc == MX_OK ? MX_OK : mxi_error_prefix(rc, "graph node '%s' (_cond, %s branch)", n->name, go ? "then" : "else");
}

int mxi_cf_forward(gnode *n, mx_tensor_s **ins, mx_tensor_s **outs, mxi_call_info *info) {
    cf_state *st = NULL;
    if (info) {
        st = calloc(1, sizeof *st);
        if (!st) return mxi_error(MX_ERR_MEMORY, "graph node '%s' (%s): out of memory", n->name, n->op->name);
        st->node = n;
        info->training = mxi_ag_training();
    }
    int rc = n->cf->kind == CF_FOREACH ? foreach_forward(n, ins, outs, st)
             : n->cf->kind == CF_WHILE ? while_forward(n, ins, outs, st)
                                        : cond_forward(n, ins, outs, st);
    /* an output that is one of the inputs (a loop that ran no step, a branch
     * returning its input) becomes a copy: a node's outputs are its own */
    for (int k = 0; rc == MX_OK && k < n->n_out; k++)
        for (int j = 0; j < n->n_in; j++) {
            if (outs[k] != ins[j]) continue;
            mx_tensor_s *cp = mxi_call1("_copy", NULL, 1, outs[k]);
            if (!cp) { rc = mx_last_error_code(); break; }
            mxi_tensor_release(outs[k]);
            outs[k] = cp;
            break;
        }
    if (rc != MX_OK || !info) { cf_state_free(st); return rc; }
    info->state = st;
    info->state_free = cf_state_free;
    return MX_OK;
}

/* ---- shape inference ---- */

/* shapes of sub's heads (and of its inputs it sized) from its input shapes
 * (NULL: unknown), through mx_graph_infer */
static int infer_sub(mx_graph_s *sub, mx_tensor_s *const *in, mx_tensor_s *in_filled, mx_tensor_s *heads,
                     bool *complete) {
    mxi_json j;
    mxi_json_init(&j);
    mxi_json_begin_object(&j);
    for (int k = 0; k < sub->n_inputs; k++) {
        if (!in[k]) continue;
        mxi_json_key(&j, sub->nodes[sub->inputs[k]].name);
        mxi_json_begin_object(&j);
        mxi_json_key(&j, "shape");
        mxi_json_begin_array(&j);
        for (int d = 0; d < in[k]->ndim; d++) mxi_json_int(&j, in[k]->shape[d]);
        mxi_json_end_array(&j);
        mxi_json_key(&j, "dtype");
        mxi_json_string(&j, mxi_dtype_name(in[k]->dtype));
        mxi_json_end_object(&j);
    }
    mxi_json_end_object(&j);
    char *known = mxi_json_take(&j);
    const char *res = NULL;
    int rc = known ? mx_graph_infer(sub, known, 1, &res) : mxi_error(MX_ERR_MEMORY, "infer_shape: out of memory");
    free(known);
    mxi_jv *root = NULL;
    if (rc == MX_OK) rc = mxi_jv_parse(res, "subgraph inference", &root);
    if (rc != MX_OK) return rc;
    const mxi_jv *args = mxi_jv_get(root, "arguments"), *aux = mxi_jv_get(root, "aux_states"),
                 *outs = mxi_jv_get(root, "outputs");
    *complete = true;
    for (int h = 0; h < sub->n_heads; h++) {
        const mxi_jv *o = &outs->items[h];
        const mxi_jv *shape = o->type == MXI_JV_OBJ ? mxi_jv_get(o, "shape") : NULL;
        const mxi_jv *dt = o->type == MXI_JV_OBJ ? mxi_jv_get(o, "dtype") : NULL;
        if (!shape || !dt) { *complete = false; heads[h].ndim = -1; continue; }
        heads[h].ndim = shape->n;
        for (int d = 0; d < shape->n; d++) heads[h].shape[d] = (int64_t)shape->items[d].num;
        heads[h].dtype = mxi_dtype_from_name(dt->str);
    }
    for (int k = 0; k < sub->n_inputs && in_filled; k++) {
        const char *name = sub->nodes[sub->inputs[k]].name;
        const mxi_jv *o = mxi_jv_get(args, name);
        if (!o) o = mxi_jv_get(aux, name);
        const mxi_jv *shape = o && o->type == MXI_JV_OBJ ? mxi_jv_get(o, "shape") : NULL;
        const mxi_jv *dt = o && o->type == MXI_JV_OBJ ? mxi_jv_get(o, "dtype") : NULL;
        in_filled[k].ndim = -1;
        if (!shape || !dt) continue;
        in_filled[k].ndim = shape->n;
        for (int d = 0; d < shape->n; d++) in_filled[k].shape[d] = (int64_t)shape->items[d].num;
        in_filled[k].dtype = mxi_dtype_from_name(dt->str);
    }
    mxi_jv_free(root);
    return MX_OK;
}

static void set_out_with_rows(mx_call *c, int k, int64_t rows, const mx_tensor_s *t) {
    int64_t s[MX_MAX_NDIM];
    s[0] = rows;
    memcpy(s + 1, t->shape, sizeof(int64_t) * (size_t)t->ndim);
    mxi_set_out(c, k, s, t->ndim + 1, t->dtype);
}

int mxi_cf_infer(gnode *n, mx_tensor_s **ins, mx_tensor_s *filled, mx_call *c, bool *done) {
    const mxi_cf *cf = n->cf;
    int g = cf->kind == CF_COND ? 1 : cf->kind == CF_WHILE ? 1 : 0; /* the subgraph giving the outputs */
    mx_graph_s *sub = cf->sub[g];
    mx_tensor_s *sin[MX_MAX_INPUTS] = {0};
    mx_tensor_s *heads = calloc((size_t)sub->n_heads + 1, sizeof *heads);
    mx_tensor_s *sfill = calloc((size_t)sub->n_inputs + 1, sizeof *sfill);
    mx_tensor_s *rows = calloc((size_t)sub->n_inputs + 1, sizeof *rows); /* data slices' shapes (heap: nesting recurses) */
    if (!heads || !sfill || !rows) {
        free(heads);
        free(sfill);
        free(rows);
        return mxi_error(MX_ERR_MEMORY, "infer_shape: out of memory");
    }
    int map[MX_MAX_INPUTS]; /* subgraph input -> node input */
    if (cf->kind == CF_FOREACH) {
        for (int k = 0; k < cf->n_locs[0]; k++) map[cf->locs[0][k]] = k;
        for (int s = 0; s < cf->n_locs[1]; s++) map[cf->locs[1][s]] = cf->n_locs[0] + s;
        for (int r = 0; r < cf->n_locs[2]; r++) map[cf->locs[2][r]] = cf->n_locs[0] + cf->n_locs[1] + r;
    } else {
        for (int k = 0; k < cf->n_locs[g]; k++) map[k] = cf->locs[g][k];
    }
    for (int k = 0; k < sub->n_inputs; k++) {
        mx_tensor_s *t = ins[map[k]];
        if (t && cf->kind == CF_FOREACH && map[k] < cf->n_locs[0]) { /* a data input: one step's slice */
            rows[k] = *t;
            rows[k].ndim = t->ndim > 1 ? t->ndim - 1 : 1;
            if (t->ndim > 1) memmove(rows[k].shape, t->shape + 1, sizeof(int64_t) * (size_t)(t->ndim - 1));
            else rows[k].shape[0] = 1;
            t = &rows[k];
        }
        sin[k] = t;
    }
    bool complete = false;
    int rc = infer_sub(sub, sin, sfill, heads, &complete);
    /* a foreach's per-step outputs need the data's length too */
    *done = rc == MX_OK && complete && (cf->kind != CF_FOREACH || (cf->n_locs[0] && ins[0]));
    /* inputs the body sized (weights of its layers) */
    for (int k = 0; rc == MX_OK && k < sub->n_inputs; k++)
        if (!ins[map[k]] && sfill[k].ndim >= 0) filled[map[k]] = sfill[k];
    if (rc == MX_OK && *done) {
        c->n_out = n->n_out;
        int64_t rows_out = cf->kind == CF_FOREACH ? ins[0]->shape[0] : cf->kind == CF_WHILE ? cf->max_iter : 0;
        for (int k = 0; k < n->n_out; k++) {
            if (cf->kind != CF_COND && k < cf->num_out_data) set_out_with_rows(c, k, rows_out, &heads[k]);
            else mxi_set_out(c, k, heads[k].shape, heads[k].ndim, heads[k].dtype);
        }
    }
    free(heads);
    free(sfill);
    free(rows);
    return rc == MX_OK ? MX_OK : mxi_error_prefix(rc, "graph node '%s' (op %s)", n->name, n->op->name);
}

static int while_zero_outputs(const gnode *n, mx_tensor_s **ins, mx_tensor_s **outs) {
    mx_tensor_s *filled = calloc((size_t)n->n_in + 1, sizeof *filled);
    mx_call *c = calloc(1, sizeof *c);
    bool done = false;
    int rc = filled && c ? mxi_cf_infer((gnode *)n, ins, filled, c, &done) : mxi_error(MX_ERR_MEMORY, "out of memory");
    if (rc == MX_OK && !done)
        rc = mxi_error(MX_ERR_INVALID, "graph node '%s' (_while_loop): no step ran and the step outputs' shapes "
                       "cannot be inferred", n->name);
    for (int k = 0; k < n->cf->num_out_data && rc == MX_OK; k++)
        if (!(outs[k] = zeros_where(c->out_shape[k], c->out_ndim[k], c->out_dtype[k], ins[0])))
            rc = mx_last_error_code();
    free(filled);
    free(c);
    return rc;
}

/* ---- gradient (whole-graph tape) ---- */

static int acc_add(mx_tensor_s **acc, mx_tensor_s *g) {
    if (!g) return MX_OK;
    return mxi_ag_accumulate(acc, g);
}

static int foreach_grad(mx_grad_ctx *gc, const gnode *n, cf_state *st) {
    const mxi_cf *cf = n->cf;
    mx_graph_s *b = cf->sub[0];
    const int nd = cf->n_locs[0], ns = cf->n_locs[1], nr = cf->n_locs[2], no = cf->num_out_data;
    const int64_t len = st->steps;
    mx_tensor_s *og[MX_MAX_OUTPUTS] = {0}, *ig[MX_MAX_INPUTS] = {0}, *carry[MX_MAX_INPUTS] = {0};
    mx_tensor_s *acc_r[MX_MAX_INPUTS] = {0};
    mx_tensor_s **dsteps = calloc((size_t)(nd * len) + 1, sizeof *dsteps);
    bool need[MX_MAX_INPUTS];
    int rc = dsteps ? MX_OK : mxi_error(MX_ERR_MEMORY, "_foreach backward: out of memory");
    for (int k = 0; k < nd; k++) need[cf->locs[0][k]] = mxi_grad_needed(gc, k);
    for (int s = 0; s < ns; s++) need[cf->locs[1][s]] = true; /* earlier steps may need it */
    for (int r = 0; r < nr; r++) need[cf->locs[2][r]] = mxi_grad_needed(gc, nd + ns + r);
    for (int s = 0; s < ns; s++) {
        carry[s] = gc->ograd[no + s];
        if (carry[s]) mxi_tensor_retain(carry[s]);
    }
    for (int64_t i = len - 1; i >= 0 && rc == MX_OK; i--) {
        for (int k = 0; k < no && rc == MX_OK; k++)
            if (gc->ograd[k] && !(og[k] = row_of(gc->ograd[k], i))) rc = mx_last_error_code();
        for (int s = 0; s < ns; s++) og[no + s] = carry[s];
        if (rc == MX_OK) rc = mxi_graph_vjp(st->tape[i], og, need, ig);
        for (int k = 0; k < no; k++) { mxi_tensor_release(og[k]); og[k] = NULL; }
        for (int s = 0; s < ns; s++) { mxi_tensor_release(carry[s]); carry[s] = NULL; og[no + s] = NULL; }
        if (rc != MX_OK) break;
        for (int k = 0; k < nd; k++) { dsteps[k * len + i] = ig[cf->locs[0][k]]; ig[cf->locs[0][k]] = NULL; }
        for (int s = 0; s < ns; s++) { carry[s] = ig[cf->locs[1][s]]; ig[cf->locs[1][s]] = NULL; }
        for (int r = 0; r < nr && rc == MX_OK; r++) {
            rc = acc_add(&acc_r[r], ig[cf->locs[2][r]]);
            ig[cf->locs[2][r]] = NULL;
        }
        mxi_tensors_release(ig, b->n_inputs);
    }
    /* data gradients: the steps' slices stacked (zeros where a step gave none) */
    for (int k = 0; k < nd && rc == MX_OK; k++) {
        if (!mxi_grad_needed(gc, k)) continue;
        for (int64_t i = 0; i < len && rc == MX_OK; i++) {
            if (dsteps[k * len + i]) continue;
            mx_tensor_s *row = row_of(gc->in[k], i);
            if (!row || !(dsteps[k * len + i] = mxi_call1("zeros_like", NULL, 1, row))) rc = mx_last_error_code();
            mxi_tensor_release(row);
        }
        if (rc == MX_OK) {
            mx_tensor_s *y = stack_rows(dsteps + k * len, len);
            if (y && gc->in[k]->ndim == 1) { /* rows of a 1-d input were (1,) */
                mx_tensor_s *r = mxi_call1("reshape", "shape=(-1,)", 1, y);
                mxi_tensor_release(y);
                y = r;
            }
            if (!(gc->igrad[k] = y)) rc = mx_last_error_code();
        }
    }
    for (int s = 0; s < ns && rc == MX_OK; s++) { gc->igrad[nd + s] = carry[s]; carry[s] = NULL; }
    for (int r = 0; r < nr && rc == MX_OK; r++) { gc->igrad[nd + ns + r] = acc_r[r]; acc_r[r] = NULL; }
    if (dsteps) mxi_tensors_release(dsteps, nd * len);
    mxi_tensors_release(carry, ns);
    mxi_tensors_release(acc_r, nr);
    free(dsteps);
    return rc;
}

static int while_grad(mx_grad_ctx *gc, const gnode *n, cf_state *st) {
    const mxi_cf *cf = n->cf;
    mx_graph_s *fg = cf->sub[1];
    const int nv = cf->n_locs[2], no = cf->num_out_data;
    const int64_t steps = st->steps;
    mx_tensor_s *og[MX_MAX_OUTPUTS] = {0}, *ig[MX_MAX_INPUTS] = {0}, *carry[MX_MAX_INPUTS] = {0};
    mx_tensor_s *acc_in[MX_MAX_INPUTS] = {0}; /* per node input (loop-invariant ones) */
    bool need[MX_MAX_INPUTS];
    bool is_var[MX_MAX_INPUTS] = {0};
    int rc = MX_OK;
    for (int v = 0; v < nv; v++) is_var[cf->locs[1][cf->locs[2][v]]] = true;
    for (int k = 0; k < fg->n_inputs; k++) {
        int j = cf->locs[1][k];
        need[k] = is_var[j] || mxi_grad_needed(gc, j);
    }
    for (int v = 0; v < nv; v++) {
        carry[v] = gc->ograd[no + v];
        if (carry[v]) mxi_tensor_retain(carry[v]);
    }
    for (int64_t i = steps - 1; i >= 0 && rc == MX_OK; i--) {
        for (int k = 0; k < no && rc == MX_OK; k++)
            if (gc->ograd[k] && !(og[k] = row_of(gc->ograd[k], i))) rc = mx_last_error_code();
        for (int v = 0; v < nv; v++) og[no + v] = carry[v];
        if (rc == MX_OK) rc = mxi_graph_vjp(st->tape[i], og, need, ig);
        for (int k = 0; k < no; k++) { mxi_tensor_release(og[k]); og[k] = NULL; }
        for (int v = 0; v < nv; v++) { mxi_tensor_release(carry[v]); carry[v] = NULL; og[no + v] = NULL; }
        if (rc != MX_OK) break;
        for (int v = 0; v < nv; v++) { carry[v] = ig[cf->locs[2][v]]; ig[cf->locs[2][v]] = NULL; }
        for (int k = 0; k < fg->n_inputs && rc == MX_OK; k++) {
            int j = cf->locs[1][k];
            if (!ig[k] || is_var[j]) continue;
            rc = acc_add(&acc_in[j], ig[k]);
            ig[k] = NULL;
        }
        mxi_tensors_release(ig, fg->n_inputs);
    }
    for (int v = 0; v < nv && rc == MX_OK; v++) {
        int j = cf->locs[1][cf->locs[2][v]];
        rc = acc_add(&acc_in[j], carry[v]);
        carry[v] = NULL;
    }
    for (int j = 0; j < n->n_in && rc == MX_OK; j++) { gc->igrad[j] = acc_in[j]; acc_in[j] = NULL; }
    mxi_tensors_release(carry, nv);
    mxi_tensors_release(acc_in, n->n_in);
    return rc;
}

static int cond_grad(mx_grad_ctx *gc, const gnode *n, cf_state *st) {
    const mxi_cf *cf = n->cf;
    const int b = st->branch;
    mx_tensor_s *ig[MX_MAX_INPUTS] = {0};
    bool need[MX_MAX_INPUTS];
    for (int k = 0; k < cf->n_locs[b]; k++) need[k] = mxi_grad_needed(gc, cf->locs[b][k]);
    MXI_TRY(mxi_graph_vjp(st->tape[0], gc->ograd, need, ig));
    int rc = MX_OK;
    for (int k = 0; k < cf->n_locs[b] && rc == MX_OK; k++) {
        rc = acc_add(&gc->igrad[cf->locs[b][k]], ig[k]);
        ig[k] = NULL;
    }
    mxi_tensors_release(ig, cf->n_locs[b]);
    return rc;
}

int mxi_cf_grad(mx_grad_ctx *gc) {
    cf_state *st = gc->state;
    const gnode *n = st ? st->node : NULL;
    if (!n || !n->cf || !st)
        return mxi_error(MX_ERR_UNSUPPORTED, "%s: gradients flow through it only inside a graph run", gc->call->op->name);
    if (mxi_ag_recording())
        return mxi_error(MX_ERR_UNSUPPORTED, "graph node '%s' (op %s): higher-order gradients (create_graph) "
                         "through control flow are not supported", n->name, n->op->name);
    int rc = n->cf->kind == CF_FOREACH ? foreach_grad(gc, n, st)
             : n->cf->kind == CF_WHILE ? while_grad(gc, n, st)
                                        : cond_grad(gc, n, st);
    return rc == MX_OK ? MX_OK : mxi_error_prefix(rc, "backward of graph node '%s' (op %s)", n->name, n->op->name);
}
