/* autograd.c — reverse-mode autodiff over registry ops.
 *
 * The "tape" is the graph itself: every recorded output tensor holds a
 * reference to the node that produced it; a node holds its inputs (which
 * hold their producers) and value-only aliases of its outputs (so there is no
 * reference cycle). Backward sorts the nodes reachable from the heads,
 * walks them in reverse and calls each op's gradient — itself made of
 * registered ops, so with create_graph the backward pass is recorded too. */
#include "autograd.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static _Thread_local bool g_recording = false;
static _Thread_local bool g_training = false;
static _Atomic uint64_t g_epoch = 1;
/* names for get_symbol, as MXNet numbers them: one counter for recorded nodes
 * (node_<k>), one for variables and constant leaves (var<k>, null<k>) */
static _Atomic uint64_t g_node_seq = 0;
static _Atomic uint64_t g_var_seq = 0;

uint64_t mxi_ag_next_var_seq(void) { return atomic_fetch_add(&g_var_seq, 1); }

bool mxi_ag_recording(void) { return g_recording; }
bool mxi_ag_training(void) { return g_training; }

bool mxi_ag_wants_grad(const mx_tensor_s *t) {
    return (t->node && !t->node->freed) || (t->var && t->var->grad_req != MX_GRAD_NULL);
}

bool mxi_ag_records_without_grad(const mx_op_def *op) {
    return (op->flags & MX_OPF_NO_GRAD) && !(op->flags & MX_OPF_INTERNAL);
}

bool mxi_ag_in_graph(const mx_tensor_s *t) { return (t->node && !t->node->freed) || t->var; }

bool mxi_ag_needs_record(const mx_call *c) {
    for (int i = 0; i < c->n_in; i++)
        if (mxi_ag_wants_grad(c->in[i])) return true;
    return false;
}

/* ---- node lifetime: iterative release so long chains don't recurse ---- */
static _Thread_local mx_ag_node **free_stack;
static _Thread_local size_t free_len, free_cap;
static _Thread_local bool draining;

static void node_drop_saved(mx_ag_node *n) {
    if (n->release_state) n->release_state(n->state); /* saved by the node's owner */
    n->release_state = NULL;
    n->state = NULL;
    for (int i = 0; i < n->n_in; i++) mxi_tensor_release(n->inputs[i]);
    for (int k = 0; k < n->n_out; k++) mxi_tensor_release(n->outputs[k]);
    memset(n->inputs, 0, sizeof *n->inputs * (size_t)n->n_in);
    memset(n->outputs, 0, sizeof *n->outputs * (size_t)n->n_out);
}

static void node_destroy(mx_ag_node *n) {
    node_drop_saved(n);
    free(n->inputs);
    free(n->outputs);
    free(n->attrs);
    free(n->ograd);
    free(n);
}

static void node_release(mx_ag_node *n) {
    if (!n || atomic_fetch_sub(&n->refcount, 1) != 1) return;
    if (free_len == free_cap) {
        free_cap = free_cap ? free_cap * 2 : 64;
        free_stack = realloc(free_stack, sizeof *free_stack * free_cap);
    }
    free_stack[free_len++] = n;
    if (draining) return;
    draining = true;
    while (free_len) node_destroy(free_stack[--free_len]);
    draining = false;
    free(free_stack);
    free_stack = NULL;
    free_cap = 0;
}

static void node_retain(mx_ag_node *n) { atomic_fetch_add(&n->refcount, 1); }

void mxi_ag_tensor_cleanup(mx_tensor_s *t) {
    if (t->node) {
        node_release(t->node);
        t->node = NULL;
    }
    if (t->var) {
        mxi_tensor_release(t->var->grad);
        free(t->var);
        t->var = NULL;
    }
}

int mxi_ag_record(const mx_call *c) {
    mx_ag_node *n = calloc(1, sizeof *n);
    if (!n) return mxi_error(MX_ERR_MEMORY, "%s: out of memory recording autograd node", c->op->name);
    atomic_init(&n->refcount, 0);
    n->op = c->op;
    n->seq = atomic_fetch_add(&g_node_seq, 1);
    n->n_attrs = c->n_attrs;
    n->attrs = malloc(sizeof *n->attrs * (size_t)(c->n_attrs ? c->n_attrs : 1));
    n->inputs = calloc((size_t)(c->n_in ? c->n_in : 1), sizeof *n->inputs);
    n->outputs = calloc((size_t)(c->n_out ? c->n_out : 1), sizeof *n->outputs);
    if (!n->attrs || !n->inputs || !n->outputs) {
        free(n->attrs); free(n->inputs); free(n->outputs); free(n);
        return mxi_error(MX_ERR_MEMORY, "%s: out of memory recording autograd node", c->op->name);
    }
    memcpy(n->attrs, c->attrs, sizeof *n->attrs * (size_t)c->n_attrs);
    n->training = c->training;
    n->rng_seed = c->rng_seed;
    n->rng_offset = c->rng_offset;
    n->n_in = c->n_in;
    n->n_out = c->n_out;
    for (int i = 0; i < c->n_in; i++) {
        mxi_tensor_retain(c->in[i]);
        n->inputs[i] = c->in[i];
    }
    for (int k = 0; k < c->n_out; k++) {
        n->outputs[k] = mxi_tensor_alias(c->out[k]);
        if (!n->outputs[k]) { node_destroy(n); return mx_last_error_code(); }
    }
    for (int k = 0; k < c->n_out; k++) {
        mx_tensor_s *o = c->out[k];
        if (o->node) node_release(o->node);
        node_retain(n);
        o->node = n;
        o->out_index = k;
    }
    return MX_OK;
}

/* ---- public flags ---- */

int mx_autograd_set_recording(int recording, int *prev) {
    if (prev) *prev = g_recording;
    g_recording = recording != 0;
    return MX_OK;
}

int mx_autograd_is_recording(int *recording) {
    if (!recording) return mxi_error(MX_ERR_INVALID, "mx_autograd_is_recording: NULL argument");
    *recording = g_recording;
    return MX_OK;
}

int mx_autograd_set_training(int training, int *prev) {
    if (prev) *prev = g_training;
    g_training = training != 0;
    return MX_OK;
}

int mx_autograd_is_training(int *training) {
    if (!training) return mxi_error(MX_ERR_INVALID, "mx_autograd_is_training: NULL argument");
    *training = g_training;
    return MX_OK;
}

int mx_autograd_mark_variables(const mx_tensor *vars, const int *grad_reqs, const mx_tensor *grads, int n) {
    if (n < 0 || (n && !vars)) return mxi_error(MX_ERR_INVALID, "mark_variables: bad arguments");
    for (int i = 0; i < n; i++) {
        if (!mxi_tensor_check(vars[i], "mark_variables")) return MX_ERR_HANDLE;
        if (grads && grads[i] && !mxi_tensor_check(grads[i], "mark_variables")) return MX_ERR_HANDLE;
        int req = grad_reqs ? grad_reqs[i] : MX_GRAD_WRITE;
        if (req != MX_GRAD_NULL && req != MX_GRAD_WRITE && req != MX_GRAD_ADD)
            return mxi_error(MX_ERR_INVALID, "mark_variables: grad_req %d is not one of null(0), write(1), add(3)", req);
        if (grads && grads[i] && (grads[i]->ndim != vars[i]->ndim ||
                                  memcmp(grads[i]->shape, vars[i]->shape, sizeof(int64_t) * (size_t)vars[i]->ndim))) {
            char a[128], b[128];
            return mxi_error(MX_ERR_INVALID, "mark_variables: gradient buffer %s does not match variable %s",
                             mxi_shape_str(grads[i]->shape, grads[i]->ndim, a, sizeof a),
                             mxi_shape_str(vars[i]->shape, vars[i]->ndim, b, sizeof b));
        }
    }
    for (int i = 0; i < n; i++) {
        mx_tensor_s *t = vars[i];
        mx_tensor_s *g = grads ? grads[i] : NULL; /* NULL: allocated lazily (var_grad_buffer) */
        if (g) mxi_tensor_retain(g);
        if (!t->var) {
            t->var = calloc(1, sizeof *t->var);
            if (!t->var) { mxi_tensor_release(g); return mxi_error(MX_ERR_MEMORY, "mark_variables: out of memory"); }
            t->var->seq = mxi_ag_next_var_seq();
        }
        mxi_tensor_release(t->var->grad);
        t->var->grad = g;
        t->var->grad_req = grad_reqs ? grad_reqs[i] : MX_GRAD_WRITE;
        if (t->node) { node_release(t->node); t->node = NULL; }
    }
    return MX_OK;
}

/* ---- backward ---- */

typedef struct {
    mx_ag_node **nodes;
    int n, cap;
    mx_tensor_s **vars; /* leaves reached, retained */
    mx_tensor_s **var_acc;
    int nv, capv;
} bw_state;

static int push_node(bw_state *s, mx_ag_node *n) {
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 64;
        mx_ag_node **p = realloc(s->nodes, sizeof *p * (size_t)s->cap);
        if (!p) return mxi_error(MX_ERR_MEMORY, "backward: out of memory");
        s->nodes = p;
    }
    node_retain(n);
    s->nodes[s->n++] = n;
    return MX_OK;
}

static int var_slot(bw_state *s, mx_tensor_s *v);

/* Post-order DFS (iterative) so s->nodes ends up in topological order. The
 * marked variables reached get a slot too: one that no gradient reaches is
 * written zeros (grad_req write), as MXNet does for a variable behind only
 * non-differentiable ops. */
static int topo_sort(bw_state *s, mx_ag_node *root, uint64_t epoch) {
    if (root->epoch == epoch) return MX_OK;
    typedef struct { mx_ag_node *n; int next; } frame;
    int cap = 64, top = 0;
    frame *st = malloc(sizeof *st * (size_t)cap);
    if (!st) return mxi_error(MX_ERR_MEMORY, "backward: out of memory");
    root->epoch = epoch;
    st[top++] = (frame){root, 0};
    int rc = MX_OK;
    while (top) {
        frame *f = &st[top - 1];
        if (f->n->freed) {
            rc = mxi_error(MX_ERR_INVALID, "backward: the graph through op '%s' was already freed by a previous backward; pass retain_graph=True to the first backward",
                           f->n->op->name);
            break;
        }
        if (f->next < f->n->n_in) {
            mx_tensor_s *in = f->n->inputs[f->next++];
            mx_ag_node *p = in->node;
            if (!p && in->var && in->var->grad_req != MX_GRAD_NULL && var_slot(s, in) < 0) {
                rc = mx_last_error_code();
                break;
            }
            if (p && p->epoch != epoch) {
                p->epoch = epoch;
                if (top == cap) {
                    cap *= 2;
                    frame *ns = realloc(st, sizeof *st * (size_t)cap);
                    if (!ns) { rc = mxi_error(MX_ERR_MEMORY, "backward: out of memory"); break; }
                    st = ns;
                }
                st[top++] = (frame){p, 0};
            }
        } else {
            rc = push_node(s, f->n);
            if (rc) break;
            top--;
        }
    }
    free(st);
    return rc;
}

int mxi_ag_check_grad_shape(const mx_tensor_s *gi, const mx_tensor_s *x, const char *who, int i) {
    if (gi->ndim == x->ndim && !memcmp(gi->shape, x->shape, sizeof(int64_t) * (size_t)gi->ndim)) return MX_OK;
    char a[128], b[128];
    return mxi_error(MX_ERR_INTERNAL, "backward of %s: gradient for input %d has shape %s, input is %s", who, i,
                     mxi_shape_str(gi->shape, gi->ndim, a, sizeof a), mxi_shape_str(x->shape, x->ndim, b, sizeof b));
}

int mxi_ag_accumulate(mx_tensor_s **acc, mx_tensor_s *g) {
    if (!*acc) {
        *acc = g;
        return MX_OK;
    }
    mx_tensor_s *sum = mxi_call1("elemwise_add", NULL, 2, *acc, g);
    mxi_tensor_release(g);
    if (!sum) return mx_last_error_code();
    mxi_tensor_release(*acc);
    *acc = sum;
    return MX_OK;
}

static int var_slot(bw_state *s, mx_tensor_s *v) {
    for (int i = 0; i < s->nv; i++)
        if (s->vars[i] == v) return i;
    if (s->nv == s->capv) {
        s->capv = s->capv ? s->capv * 2 : 16;
        s->vars = realloc(s->vars, sizeof *s->vars * (size_t)s->capv);
        s->var_acc = realloc(s->var_acc, sizeof *s->var_acc * (size_t)s->capv);
    }
    mxi_tensor_retain(v);
    s->vars[s->nv] = v;
    s->var_acc[s->nv] = NULL;
    return s->nv++;
}

static int route_grad(bw_state *s, mx_tensor_s *target, mx_tensor_s *g) {
    if (target->node && !target->node->freed) {
        mx_ag_node *p = target->node;
        return mxi_ag_accumulate(&p->ograd[target->out_index], g);
    }
    if (target->var && target->var->grad_req != MX_GRAD_NULL) {
        int k = var_slot(s, target);
        return mxi_ag_accumulate(&s->var_acc[k], g);
    }
    mxi_tensor_release(g);
    return MX_OK;
}

static int run_node(mx_ag_node *n, bw_state *s) {
    bool any = false;
    for (int k = 0; k < n->n_out; k++) any |= n->ograd[k] != NULL;
    if (!any) return MX_OK;
    if (!n->op->grad) {
        if (mxi_ag_records_without_grad(n->op)) return MX_OK; /* argmax, comparisons: zero gradient */
        return mxi_error(MX_ERR_UNSUPPORTED, "backward: op '%s' has no gradient defined", n->op->name);
    }
    mx_call *c = malloc(sizeof *c);
    mx_tensor_s **igrad = calloc((size_t)n->n_in + 1, sizeof *igrad);
    if (!c || !igrad) { free(c); free(igrad); return mxi_error(MX_ERR_MEMORY, "backward: out of memory"); }
    c->op = n->op;
    c->n_attrs = n->n_attrs;
    memcpy(c->attrs, n->attrs, sizeof *n->attrs * (size_t)n->n_attrs);
    c->n_in = n->n_in;
    memcpy(c->in, n->inputs, sizeof *n->inputs * (size_t)n->n_in);
    c->n_out = n->n_out;
    for (int k = 0; k < n->n_out; k++) {
        c->out[k] = n->outputs[k];
        mxi_set_out(c, k, n->outputs[k]->shape, n->outputs[k]->ndim, n->outputs[k]->dtype);
    }
    c->training = n->training;
    c->rng_seed = n->rng_seed;
    c->rng_offset = n->rng_offset;
    /* visible outputs nobody differentiated get zeros; hidden ones (saved
     * masks, statistics, RNN reserve) stay NULL — no op differentiates them,
     * and zero-filling a large reserve costs real time every step */
    int nv = n->op->num_visible_fn ? n->op->num_visible_fn(c) : n->op->num_visible_outputs;
    if (nv <= 0 || nv > n->n_out) nv = n->n_out;
    for (int k = 0; k < nv; k++) {
        if (!n->ograd[k]) {
            n->ograd[k] = mxi_call1("zeros_like", NULL, 1, n->outputs[k]);
            if (!n->ograd[k]) { free(igrad); free(c); return mx_last_error_code(); }
        }
    }
    bool need[MX_MAX_INPUTS];
    for (int i = 0; i < n->n_in; i++) need[i] = mxi_ag_wants_grad(n->inputs[i]);
    /* The node keeps its outputs as value-only aliases (no reference
     * cycle). With create_graph a gradient that reads an output (tanh, exp,
     * sigmoid ...) must see it with this node as its history, or the second
     * derivative misses the terms through the output. */
    mx_tensor_s *hist[MX_MAX_OUTPUTS];
    int n_hist = 0, rc = MX_OK;
    for (; g_recording && n_hist < n->n_out && rc == MX_OK; n_hist++) {
        hist[n_hist] = mxi_tensor_alias(n->outputs[n_hist]);
        if (!hist[n_hist]) { rc = mx_last_error_code(); break; }
        node_retain(n);
        hist[n_hist]->node = n;
        hist[n_hist]->out_index = n_hist;
    }
    mx_grad_ctx g = {c, n->inputs, g_recording ? hist : n->outputs, n->ograd, igrad, need, n->state};
    if (rc == MX_OK) rc = n->op->grad(&g);
    for (int k = 0; k < n_hist; k++) mxi_tensor_release(hist[k]);
    if (rc != MX_OK) {
        if (!strstr(mx_last_error(), n->op->name)) mxi_error_prefix(rc, "backward of %s", n->op->name);
    }
    for (int i = 0; i < n->n_in; i++) {
        mx_tensor_s *gi = igrad[i];
        if (!gi) continue;
        if (rc == MX_OK) rc = mxi_ag_check_grad_shape(gi, n->inputs[i], n->op->name, i);
        if (rc == MX_OK) rc = route_grad(s, n->inputs[i], gi);
        else mxi_tensor_release(gi);
    }
    free(igrad);
    free(c);
    return rc;
}

/* A new buffer holding `src` (gradients are never adopted: src may be a
 * caller's head gradient or shared with the tape). */
static mx_tensor_s *fresh_copy(mx_tensor_s *src) {
    mx_tensor_s *t = mxi_tensor_new_dev(src->shape, src->ndim, src->dtype, src->storage->dev);
    if (t && mxi_assign(t, src) != MX_OK) {
        mxi_tensor_release(t);
        return NULL;
    }
    return t;
}

/* grad_req='write' without a copy: when the accumulated gradient and the
 * variable's gradient buffer are both private (one handle, one storage
 * reference, plain contiguous memory of the same layout), they swap
 * storages. The gradient handle the user holds stays the same; only its
 * buffer is new. Saves a full copy of every weight gradient per step. */
static bool adopt_buffer(mx_tensor_s *dst, mx_tensor_s *src) {
    if (atomic_load(&src->refcount) != 1 || src->node || src->var || src->dtype != dst->dtype ||
        src->ndim != dst->ndim || memcmp(src->shape, dst->shape, sizeof(int64_t) * (size_t)dst->ndim))
        return false;
    mx_storage *a = dst->storage, *b = src->storage;
    if (atomic_load(&a->refcount) != 1 || atomic_load(&b->refcount) != 1 || a->deleter || b->deleter ||
        a->dev.type != b->dev.type || a->dev.id != b->dev.id || dst->offset || src->offset ||
        !mxi_is_contiguous(dst) || !mxi_is_contiguous(src))
        return false;
    dst->storage = b;
    src->storage = a;
    mxi_bump_version(dst);
    return true;
}

static int backward_impl(const mx_tensor *heads, const mx_tensor *head_grads, int n_heads, const mx_tensor *vars,
                         int n_vars, int retain_graph, int create_graph, mx_tensor *grads_out) {
    if (n_heads <= 0 || !heads) return mxi_error(MX_ERR_INVALID, "backward: no heads given");
    for (int i = 0; i < n_heads; i++) {
        if (!mxi_tensor_check(heads[i], "backward")) return MX_ERR_HANDLE;
        if (head_grads && head_grads[i] && !mxi_tensor_check(head_grads[i], "backward")) return MX_ERR_HANDLE;
        if (!mxi_ag_wants_grad(heads[i]))
            return mxi_error(MX_ERR_INVALID,
                             "backward: head %d is not part of a recorded graph (compute it inside autograd.record() from variables with attach_grad())", i);
        if (head_grads && head_grads[i] &&
            (head_grads[i]->ndim != heads[i]->ndim ||
             memcmp(head_grads[i]->shape, heads[i]->shape, sizeof(int64_t) * (size_t)heads[i]->ndim))) {
            char a[128], b[128];
            return mxi_error(MX_ERR_INVALID, "backward: head gradient %d has shape %s, head is %s", i,
                             mxi_shape_str(head_grads[i]->shape, head_grads[i]->ndim, a, sizeof a),
                             mxi_shape_str(heads[i]->shape, heads[i]->ndim, b, sizeof b));
        }
    }
    for (int i = 0; i < n_vars; i++)
        if (!mxi_tensor_check(vars[i], "autograd.grad")) return MX_ERR_HANDLE;

    bool prev_rec = g_recording;
    g_recording = create_graph != 0;
    bw_state s = {0};
    uint64_t epoch = atomic_fetch_add(&g_epoch, 1);
    int rc = MX_OK;
    for (int i = 0; i < n_heads && rc == MX_OK; i++)
        if (heads[i]->node) rc = topo_sort(&s, heads[i]->node, epoch);
    /* for autograd.grad, make sure requested vars get a slot even if unreached */
    for (int i = 0; i < n_vars && rc == MX_OK; i++) {
        if (!vars[i]->var) { rc = mxi_error(MX_ERR_INVALID, "autograd.grad: variable %d was not marked (attach_grad)", i); break; }
        var_slot(&s, vars[i]);
    }
    for (int j = 0; j < s.n && rc == MX_OK; j++) {
        s.nodes[j]->ograd = calloc((size_t)s.nodes[j]->n_out, sizeof(mx_tensor_s *));
        if (!s.nodes[j]->ograd) rc = mxi_error(MX_ERR_MEMORY, "backward: out of memory");
    }
    for (int i = 0; i < n_heads && rc == MX_OK; i++) {
        mx_tensor_s *hg;
        if (head_grads && head_grads[i]) {
            hg = head_grads[i];
            mxi_tensor_retain(hg);
        } else {
            hg = mxi_call1("ones_like", NULL, 1, heads[i]);
            if (!hg) { rc = mx_last_error_code(); break; }
        }
        rc = route_grad(&s, heads[i], hg);
    }
    for (int j = s.n - 1; j >= 0 && rc == MX_OK; j--) rc = run_node(s.nodes[j], &s);

    if (rc == MX_OK) {
        if (grads_out) {
            for (int i = 0; i < n_vars; i++) {
                int k = var_slot(&s, vars[i]);
                mx_tensor_s *acc = s.var_acc[k];
                if (acc) {
                    mxi_tensor_retain(acc);
                    grads_out[i] = acc;
                } else {
                    grads_out[i] = mxi_call1("zeros_like", NULL, 1, vars[i]);
                }
            }
        } else {
            for (int k = 0; k < s.nv && rc == MX_OK; k++) {
                mx_ag_var *v = s.vars[k]->var;
                mx_tensor_s *acc = s.var_acc[k];
                if (v->grad_req == MX_GRAD_NULL) continue;
                if (!acc) { /* reached only through non-differentiable ops: zeros (MXNet) */
                    if (v->grad_req != MX_GRAD_WRITE) continue;
                    acc = s.var_acc[k] = mxi_call1("zeros_like", NULL, 1, s.vars[k]);
                    if (!acc) { rc = mx_last_error_code(); break; }
                }
                v->fresh = 1;
                if (!v->grad) { /* first gradient of a lazily buffered variable */
                    v->grad = fresh_copy(acc);
                    if (!v->grad) rc = mx_last_error_code();
                    continue;
                }
                if (v->grad_req == MX_GRAD_WRITE) {
                    if (create_graph) { /* keep the history so the grad can be differentiated */
                        mxi_tensor_retain(acc);
                        mxi_tensor_release(v->grad);
                        v->grad = acc;
                    } else if (!adopt_buffer(v->grad, acc)) {
                        rc = mxi_assign(v->grad, acc);
                    }
                } else {
                    mx_tensor_s *in[2] = {v->grad, acc};
                    mx_tensor_s *out[1] = {v->grad};
                    int nout = 1;
                    bool r = g_recording;
                    g_recording = false;
                    rc = mx_op_invoke((mx_op)mxi_find_op("elemwise_add"), in, 2, NULL, NULL, 0, out, 1, &nout);
                    g_recording = r;
                }
            }
        }
    }
    /* cleanup */
    for (int j = 0; j < s.n; j++) {
        mx_ag_node *n = s.nodes[j];
        if (n->ograd) {
            for (int k = 0; k < n->n_out; k++) mxi_tensor_release(n->ograd[k]);
            free(n->ograd);
            n->ograd = NULL;
        }
        if (rc == MX_OK && !retain_graph) {
            n->freed = true;
            node_drop_saved(n);
        }
    }
    for (int j = 0; j < s.n; j++) node_release(s.nodes[j]);
    for (int k = 0; k < s.nv; k++) {
        mxi_tensor_release(s.var_acc[k]);
        mxi_tensor_release(s.vars[k]);
    }
    free(s.nodes);
    free(s.vars);
    free(s.var_acc);
    g_recording = prev_rec;
    return rc;
}

int mx_autograd_grad_fresh(const mx_tensor *vars, int n, int *fresh, int clear) {
    if (n < 0 || (n && (!vars || !fresh))) return mxi_error(MX_ERR_INVALID, "mx_autograd_grad_fresh: bad arguments");
    for (int i = 0; i < n; i++)
        if (!mxi_tensor_check(vars[i], "mx_autograd_grad_fresh")) return MX_ERR_HANDLE;
    for (int i = 0; i < n; i++) {
        mx_ag_var *v = vars[i]->var;
        fresh[i] = v ? v->fresh : 0;
        if (v && clear) v->fresh = 0;
    }
    return MX_OK;
}

int mx_autograd_backward(const mx_tensor *heads, const mx_tensor *head_grads, int n_heads, int retain_graph,
                         int create_graph) {
    return backward_impl(heads, head_grads, n_heads, NULL, 0, retain_graph, create_graph, NULL);
}

int mx_autograd_grad(const mx_tensor *heads, const mx_tensor *head_grads, int n_heads, const mx_tensor *vars,
                     int n_vars, int retain_graph, int create_graph, mx_tensor *grads_out) {
    if (!grads_out || n_vars <= 0 || !vars) return mxi_error(MX_ERR_INVALID, "autograd.grad: no variables given");
    return backward_impl(heads, head_grads, n_heads, vars, n_vars, retain_graph, create_graph, grads_out);
}

int mxi_ag_record_stateful(const mx_call *c, void *state, void (*release)(void *)) {
    int rc = c->n_out > 0 ? mxi_ag_record(c)
                          : mxi_error(MX_ERR_INVALID, "%s: a recorded node needs an output", c->op->name);
    if (rc != MX_OK) {
        if (release) release(state);
        return rc;
    }
    mx_ag_node *n = c->out[0]->node;
    n->state = state;
    n->release_state = release;
    return MX_OK;
}

/* ---- custom nodes (autograd.Function) ----
 * The node's state is the callback, its context and release function; its
 * op is a private definition that is not in the registry (so it cannot be
 * invoked, only recorded). */
typedef struct {
    mx_custom_backward_fn fn;
    void *ctx;
    void (*release)(void *ctx);
} custom_state;

static void custom_release(void *p) {
    custom_state *s = p;
    if (s->release) s->release(s->ctx);
    free(s);
}

static int custom_grad(mx_grad_ctx *g) {
    const mx_call *c = g->call;
    const custom_state *s = g->state;
    mx_tensor *og = (mx_tensor *)g->ograd;
    int rc = s->fn(s->ctx, (const mx_tensor *)og, c->n_out, g->igrad, c->n_in);
    if (rc != 0) {
        for (int i = 0; i < c->n_in; i++) { mxi_tensor_release(g->igrad[i]); g->igrad[i] = NULL; }
        return mxi_error(MX_ERR_INVALID, "backward of a custom Function failed (code %d)", rc);
    }
    for (int i = 0; i < c->n_in; i++) {
        if (g->igrad[i] && !mxi_tensor_check(g->igrad[i], "custom Function backward")) {
            g->igrad[i] = NULL; /* not ours to release */
            return MX_ERR_HANDLE;
        }
    }
    return MX_OK;
}

static const mx_op_def custom_def = {.name = "_custom_function", .doc = "A node recorded by mx_autograd_record_custom.",
                                     .grad = custom_grad, .flags = MX_OPF_INTERNAL};

int mx_autograd_record_custom(const mx_tensor *inputs, int n_in, const mx_tensor *outputs, int n_out,
                              mx_custom_backward_fn fn, void *ctx, void (*release)(void *ctx)) {
    int rc = MX_OK;
    if (!fn) rc = mxi_error(MX_ERR_INVALID, "record_custom: backward function is NULL");
    else if (n_in < 0 || n_in > MX_MAX_INPUTS || (n_in && !inputs))
        rc = mxi_error(MX_ERR_INVALID, "record_custom: bad inputs (n_in %d)", n_in);
    else if (n_out <= 0 || n_out > MX_MAX_OUTPUTS || !outputs)
        rc = mxi_error(MX_ERR_INVALID, "record_custom: bad outputs (n_out %d)", n_out);
    for (int i = 0; i < n_in && rc == MX_OK; i++)
        if (!mxi_tensor_check(inputs[i], "record_custom")) rc = MX_ERR_HANDLE;
    for (int k = 0; k < n_out && rc == MX_OK; k++)
        if (!mxi_tensor_check(outputs[k], "record_custom")) rc = MX_ERR_HANDLE;
    mx_call *c = rc == MX_OK ? calloc(1, sizeof *c) : NULL;
    custom_state *s = rc == MX_OK ? malloc(sizeof *s) : NULL;
    if (rc == MX_OK && (!c || !s)) rc = mxi_error(MX_ERR_MEMORY, "record_custom: out of memory");
    if (rc != MX_OK) {
        free(c);
        free(s);
        if (release) release(ctx);
        return rc;
    }
    *s = (custom_state){fn, ctx, release};
    c->op = &custom_def;
    c->n_in = n_in;
    memcpy(c->in, inputs, sizeof(mx_tensor) * (size_t)n_in);
    c->n_out = n_out;
    memcpy(c->out, outputs, sizeof(mx_tensor) * (size_t)n_out);
    c->training = g_training;
    rc = mxi_ag_record_stateful(c, s, custom_release);
    free(c);
    return rc;
}

int mx_tensor_grad(mx_tensor t, mx_tensor *grad) {
    if (!mxi_tensor_check(t, "mx_tensor_grad")) return MX_ERR_HANDLE;
    if (!grad) return mxi_error(MX_ERR_INVALID, "mx_tensor_grad: grad is NULL");
    if (t->var && !t->var->grad && t->var->grad_req != MX_GRAD_NULL) {
        /* lazily buffered variable read before any backward: zeros */
        t->var->grad = mxi_tensor_new_dev(t->shape, t->ndim, t->dtype, t->storage->dev);
        if (!t->var->grad) return mx_last_error_code();
    }
    *grad = t->var ? t->var->grad : NULL;
    if (*grad) mxi_tensor_retain(*grad);
    return MX_OK;
}

int mx_tensor_detach(mx_tensor t, mx_tensor *out) {
    if (!mxi_tensor_check(t, "detach")) return MX_ERR_HANDLE;
    if (!out) return mxi_error(MX_ERR_INVALID, "detach: out is NULL");
    mx_tensor_s *a = mxi_tensor_alias(t);
    if (!a) return mx_last_error_code();
    *out = a;
    return MX_OK;
}

int mx_tensor_requires_grad(mx_tensor t, int *requires_grad) {
    if (!mxi_tensor_check(t, "requires_grad")) return MX_ERR_HANDLE;
    if (!requires_grad) return mxi_error(MX_ERR_INVALID, "requires_grad: NULL argument");
    *requires_grad = mxi_ag_wants_grad(t);
    return MX_OK;
}
