/* custom.c — MXNet's "Custom" op: graph nodes computed by the host.
 *
 * A binding registers one mx_custom_handler (Python: mx.operator's
 * CustomOpProp / CustomOp). At graph load a Custom node asks the host for
 * its input/output counts; at run time it keeps one operator state per input
 * signature — MXNet creates the operator once per bound node — made on the
 * first run and shared by that forward and its backward, even when a later
 * run with other shapes replaces it: states are reference counted (the node
 * holds one, each recorded run another). A failing callback fails the graph
 * call with a message naming the op_type, the node, the stage and the
 * host's reason; nothing is left half-written in the graph.
 *
 * The op is also in the registry (internal, flag MX_OPF_HOST) so that
 * graphs find it by name and its gradient is the registry's; invoking it
 * eagerly is an error, the bindings run custom ops eagerly themselves. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../autograd.h"
#include "../custom_op.h"

#define HOST_ERR_LEN 1024
#define NAMES_LEN 1024
#define WHAT_LEN 200

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER; /* the handler, nodes' current states */
static mx_custom_handler handler;
static bool have_handler;
static _Thread_local char host_err[HOST_ERR_LEN];

/* One operator state of a node for one input signature. */
typedef struct custom_inst {
    atomic_int refs;
    mx_custom_handler h;  /* the handler that created the state destroys it */
    void *state;
    int n_args, n_aux, n_out;
    int ndim[MX_MAX_INPUTS + MX_MAX_OUTPUTS]; /* inputs, then outputs */
    int dtype[MX_MAX_INPUTS + MX_MAX_OUTPUTS];
    int64_t *shape;       /* (n_in + n_out) * MX_MAX_NDIM */
    char what[WHAT_LEN];  /* "Custom op_type='x' (node 'n')" */
} custom_inst;

/* What a Custom graph node keeps. */
typedef struct custom_node {
    int n_attr;
    const char **keys, **vals;  /* borrowed from the gnode; no "__x__" hints */
    int n_args, n_aux, n_out;
    char out_names[NAMES_LEN];
    char what[WHAT_LEN];
    custom_inst *inst;          /* current state (one reference), under lock */
} custom_node;

int mx_custom_op_set_handler(const mx_custom_handler *h) {
    if (h && h->version != MX_CUSTOM_HANDLER_VERSION)
        return mxi_error(MX_ERR_INVALID, "mx_custom_op_set_handler: handler version %d, this library reads version %d",
                         (int)h->version, MX_CUSTOM_HANDLER_VERSION);
    if (h && (!h->describe || !h->infer || !h->create || !h->forward))
        return mxi_error(MX_ERR_INVALID,
                         "mx_custom_op_set_handler: describe, infer, create and forward are required (NULL given)");
    pthread_mutex_lock(&lock);
    if (h) handler = *h;
    have_handler = h != NULL;
    pthread_mutex_unlock(&lock);
    return MX_OK;
}

int mx_custom_op_set_error(const char *message) {
    if (!message) host_err[0] = 0;
    else snprintf(host_err, sizeof host_err, "%s", message);
    return MX_OK;
}

static bool current_handler(mx_custom_handler *out) {
    pthread_mutex_lock(&lock);
    bool ok = have_handler;
    if (ok) *out = handler;
    pthread_mutex_unlock(&lock);
    return ok;
}

/* Callbacks run with recording off (the host's own eager ops are not part of
 * the graph's gradient) and with a clean reason slot. */
static int host_begin(void) {
    int prev = 0;
    mx_autograd_set_recording(0, &prev);
    host_err[0] = 0;
    return prev;
}

static void host_end(int prev_recording) { mx_autograd_set_recording(prev_recording, NULL); }

static int host_failed(const char *what, const char *stage, int code) {
    if (host_err[0]) return mxi_error(MX_ERR_INVALID, "%s: %s failed: %s", what, stage, host_err);
    return mxi_error(MX_ERR_INVALID, "%s: %s failed (the host returned %d without a reason)", what, stage, code);
}

static void inst_release(custom_inst *s) {
    if (!s || atomic_fetch_sub(&s->refs, 1) != 1) return;
    if (s->h.destroy) {
        int prev = host_begin();
        s->h.destroy(s->h.ctx, s->state);
        host_end(prev);
    }
    free(s->shape);
    free(s);
}

static void inst_release_void(void *p) { inst_release(p); }

/* ---- load ---- */

int mxi_custom_load(gnode *n) {
    custom_node *cn = calloc(1, sizeof *cn);
    if (cn) {
        cn->keys = calloc((size_t)n->n_attrs + 1, sizeof *cn->keys);
        cn->vals = calloc((size_t)n->n_attrs + 1, sizeof *cn->vals);
    }
    n->parsed = calloc(1, sizeof *n->parsed); /* no registry attrs: the host parses them */
    n->n_parsed = 0;
    if (!cn || !cn->keys || !cn->vals || !n->parsed) {
        if (cn) { free(cn->keys); free(cn->vals); }
        free(cn);
        return mxi_error(MX_ERR_MEMORY, "graph: out of memory");
    }
    n->host = cn;
    const char *op_type = NULL;
    for (int a = 0; a < n->n_attrs; a++) {
        size_t len = strlen(n->keys[a]);
        if (len >= 4 && !strncmp(n->keys[a], "__", 2) && !strcmp(n->keys[a] + len - 2, "__")) continue;
        if (!strcmp(n->keys[a], "op_type")) op_type = n->vals[a];
        cn->keys[cn->n_attr] = n->keys[a];
        cn->vals[cn->n_attr++] = n->vals[a];
    }
    snprintf(cn->what, sizeof cn->what, "Custom op_type='%s' (node '%s')", op_type ? op_type : "", n->name);
    if (!op_type) return mxi_error(MX_ERR_INVALID, "%s: the node has no op_type attribute", cn->what);
    mx_custom_handler h;
    if (!current_handler(&h))
        return mxi_error(MX_ERR_UNSUPPORTED,
                         "%s: no host handler for Custom ops is registered (a language binding registers one with "
                         "mx_custom_op_set_handler)", cn->what);
    int na = -1, nx = -1, no = -1;
    int prev = host_begin();
    int hrc = h.describe(h.ctx, cn->n_attr, cn->keys, cn->vals, &na, &nx, &no, cn->out_names, sizeof cn->out_names);
    host_end(prev);
    cn->out_names[sizeof cn->out_names - 1] = 0;
    if (hrc) return host_failed(cn->what, "describe", hrc);
    if (na < 0 || nx < 0 || no < 1 || no > MX_MAX_OUTPUTS || na + nx > MX_MAX_INPUTS)
        return mxi_error(MX_ERR_INVALID, "%s: the host described %d arguments, %d auxiliary states, %d outputs "
                         "(need >= 0, >= 0 and 1..%d)", cn->what, na, nx, no, MX_MAX_OUTPUTS);
    if (na + nx != n->n_in)
        return mxi_error(MX_ERR_INVALID, "%s: the operator takes %d inputs (%d arguments + %d auxiliary states), "
                         "the node has %d", cn->what, na + nx, na, nx, n->n_in);
    cn->n_args = na;
    cn->n_aux = nx;
    cn->n_out = no;
    n->n_out = n->n_visible = no;
    return MX_OK;
}

void mxi_custom_free(gnode *n) {
    custom_node *cn = n ? n->host : NULL;
    if (!cn) return;
    inst_release(cn->inst);
    free(cn->keys);
    free(cn->vals);
    free(cn);
    n->host = NULL;
}

bool mxi_custom_is_aux_input(const gnode *n, int j) {
    const custom_node *cn = n->host;
    return cn && j >= cn->n_args;
}

const char *mxi_custom_output_name(const gnode *n, int k, size_t *len) {
    const custom_node *cn = n->host;
    const char *p = cn ? cn->out_names : "";
    for (int i = 0; i < k && p; i++) {
        p = strchr(p, ',');
        if (p) p++;
    }
    *len = p ? strcspn(p, ",") : 0;
    return *len ? p : NULL;
}

/* ---- inference ---- */

static char *shape_text(const int64_t *shape, int ndim, char *buf, size_t n) {
    if (ndim < 0) { snprintf(buf, n, "unknown"); return buf; }
    return mxi_shape_str(shape, ndim, buf, n);
}

/* Ask the host for every shape and dtype. ndim/shape/dtype hold n_in inputs
 * (known ones set, unknown ones -1) followed by n_out outputs; the host may
 * fill unknown inputs, must not change known ones and must give valid
 * outputs. Unknown dtypes it leaves take the first known input's. */
static int host_infer(const mx_custom_handler *h, const custom_node *cn, int *ndim, int64_t *shape, int *dtype) {
    const int n_in = cn->n_args + cn->n_aux, n_out = cn->n_out;
    int ndim0[MX_MAX_INPUTS], dtype0[MX_MAX_INPUTS];
    int64_t *shape0 = malloc(sizeof(int64_t) * MX_MAX_NDIM * (size_t)(n_in ? n_in : 1));
    if (!shape0) return mxi_error(MX_ERR_MEMORY, "%s: out of memory", cn->what);
    memcpy(ndim0, ndim, sizeof(int) * (size_t)n_in);
    memcpy(dtype0, dtype, sizeof(int) * (size_t)n_in);
    memcpy(shape0, shape, sizeof(int64_t) * MX_MAX_NDIM * (size_t)n_in);
    for (int k = n_in; k < n_in + n_out; k++) ndim[k] = dtype[k] = -1;
    int prev = host_begin();
    int hrc = h->infer(h->ctx, cn->n_attr, cn->keys, cn->vals, n_in, ndim, shape, dtype, n_out, ndim + n_in,
                       shape + (size_t)n_in * MX_MAX_NDIM, dtype + n_in);
    host_end(prev);
    int rc = hrc ? host_failed(cn->what, "infer_shape/infer_type", hrc) : MX_OK;
    int fallback = -1;
    for (int j = 0; j < n_in && fallback < 0; j++) fallback = dtype0[j];
    if (fallback < 0) fallback = MX_FLOAT32;
    char a[128], b[128];
    for (int j = 0; j < n_in + n_out && rc == MX_OK; j++) {
        const bool input = j < n_in;
        const char *kind = input ? "input" : "output";
        const int idx = input ? j : j - n_in;
        const int64_t *s = shape + (size_t)j * MX_MAX_NDIM;
        if (input && ndim0[j] >= 0) {
            if (ndim[j] != ndim0[j] || memcmp(s, shape0 + (size_t)j * MX_MAX_NDIM, sizeof(int64_t) * (size_t)ndim0[j]))
                rc = mxi_error(MX_ERR_INVALID, "%s: infer_shape gave input %d the shape %s, but it is %s", cn->what, idx,
                               shape_text(s, ndim[j], a, sizeof a),
                               shape_text(shape0 + (size_t)j * MX_MAX_NDIM, ndim0[j], b, sizeof b));
            else if (dtype0[j] >= 0 && dtype[j] >= 0 && dtype[j] != dtype0[j])
                rc = mxi_error(MX_ERR_INVALID, "%s: infer_type gave input %d the dtype %s, but it is %s", cn->what, idx,
                               mxi_dtype_name(dtype[j]), mxi_dtype_name(dtype0[j]));
            dtype[j] = dtype0[j];
            continue;
        }
        if (input && ndim[j] < 0) continue; /* still unknown */
        if (ndim[j] < 0 || ndim[j] > MX_MAX_NDIM) {
            rc = mxi_error(MX_ERR_INVALID, "%s: infer_shape gave %s %d %s (need 0..%d dims)", cn->what, kind, idx,
                           ndim[j] < 0 ? "no shape" : "too many dims", MX_MAX_NDIM);
            break;
        }
        for (int d = 0; d < ndim[j]; d++)
            if (s[d] < 0)
                rc = mxi_error(MX_ERR_INVALID, "%s: infer_shape gave %s %d the shape %s (negative dim)", cn->what, kind,
                               idx, shape_text(s, ndim[j], a, sizeof a));
        if (dtype[j] < 0) dtype[j] = fallback;
        else if (!mxi_dtype_valid(dtype[j]))
            rc = mxi_error(MX_ERR_DTYPE, "%s: infer_type gave %s %d the unknown dtype code %d", cn->what, kind, idx,
                           dtype[j]);
    }
    free(shape0);
    return rc;
}

static void header_from(mx_tensor_s *t, int ndim, const int64_t *shape, int dtype) {
    memset(t, 0, sizeof *t);
    t->ndim = ndim;
    memcpy(t->shape, shape, sizeof(int64_t) * (size_t)ndim);
    t->dtype = dtype;
    t->size = mxi_shape_size(t->shape, ndim);
    mxi_set_contiguous_strides(t);
}

int mxi_custom_infer(const gnode *n, mx_tensor_s **ins, mx_tensor_s *filled, mx_call *c) {
    const custom_node *cn = n->host;
    if (!cn) return mxi_error(MX_ERR_INTERNAL, "graph node '%s': Custom node not loaded", n->name);
    mx_custom_handler h;
    if (!current_handler(&h))
        return mxi_error(MX_ERR_UNSUPPORTED, "%s: no host handler for Custom ops is registered", cn->what);
    const int n_in = cn->n_args + cn->n_aux, total = n_in + cn->n_out;
    int ndim[MX_MAX_INPUTS + MX_MAX_OUTPUTS], dtype[MX_MAX_INPUTS + MX_MAX_OUTPUTS];
    int64_t *shape = calloc((size_t)total * MX_MAX_NDIM, sizeof *shape);
    if (!shape) return mxi_error(MX_ERR_MEMORY, "%s: out of memory", cn->what);
    for (int j = 0; j < n_in; j++) {
        ndim[j] = ins[j] ? ins[j]->ndim : -1;
        dtype[j] = ins[j] ? ins[j]->dtype : -1;
        if (ins[j]) memcpy(shape + (size_t)j * MX_MAX_NDIM, ins[j]->shape, sizeof(int64_t) * (size_t)ins[j]->ndim);
    }
    int rc = host_infer(&h, cn, ndim, shape, dtype);
    for (int j = 0; j < n_in && rc == MX_OK; j++) {
        if (ins[j] || ndim[j] < 0) continue;
        header_from(&filled[j], ndim[j], shape + (size_t)j * MX_MAX_NDIM, dtype[j]);
        ins[j] = &filled[j];
    }
    if (rc == MX_OK) {
        c->n_out = cn->n_out;
        for (int k = 0; k < cn->n_out; k++)
            mxi_set_out(c, k, shape + (size_t)(n_in + k) * MX_MAX_NDIM, ndim[n_in + k], dtype[n_in + k]);
    }
    free(shape);
    return rc;
}

/* ---- run ---- */

static bool inst_matches(const custom_inst *s, mx_tensor_s *const *ins, int n_in) {
    for (int j = 0; j < n_in; j++)
        if (s->ndim[j] != ins[j]->ndim || s->dtype[j] != ins[j]->dtype ||
            memcmp(s->shape + (size_t)j * MX_MAX_NDIM, ins[j]->shape, sizeof(int64_t) * (size_t)ins[j]->ndim))
            return false;
    return true;
}

/* The node's operator state for these inputs (a new reference): the
 * current one when the signature matches, else a new one (host infer +
 * create) that becomes current. No lock is held while the host runs, so a
 * callback may run other graphs. */
static int node_inst(custom_node *cn, mx_tensor_s *const *ins, custom_inst **out) {
    const int n_in = cn->n_args + cn->n_aux, total = n_in + cn->n_out;
    pthread_mutex_lock(&lock);
    custom_inst *s = cn->inst;
    if (s && inst_matches(s, ins, n_in)) atomic_fetch_add(&s->refs, 1);
    else s = NULL;
    pthread_mutex_unlock(&lock);
    if (s) { *out = s; return MX_OK; }

    s = calloc(1, sizeof *s);
    if (s) s->shape = calloc((size_t)total * MX_MAX_NDIM, sizeof *s->shape);
    if (!s || !s->shape) {
        if (s) free(s);
        return mxi_error(MX_ERR_MEMORY, "%s: out of memory", cn->what);
    }
    atomic_init(&s->refs, 1);
    s->n_args = cn->n_args;
    s->n_aux = cn->n_aux;
    s->n_out = cn->n_out;
    memcpy(s->what, cn->what, sizeof s->what);
    if (!current_handler(&s->h)) {
        free(s->shape);
        free(s);
        return mxi_error(MX_ERR_UNSUPPORTED, "%s: no host handler for Custom ops is registered", cn->what);
    }
    for (int j = 0; j < n_in; j++) {
        s->ndim[j] = ins[j]->ndim;
        s->dtype[j] = ins[j]->dtype;
        memcpy(s->shape + (size_t)j * MX_MAX_NDIM, ins[j]->shape, sizeof(int64_t) * (size_t)ins[j]->ndim);
    }
    mx_custom_handler h = s->h;
    s->h.destroy = NULL; /* nothing to destroy until create succeeds */
    int rc = host_infer(&h, cn, s->ndim, s->shape, s->dtype);
    if (rc == MX_OK) {
        mx_device dev = n_in ? ins[0]->storage->dev : (mx_device){MX_DEV_CPU, 0};
        int prev = host_begin();
        int hrc = h.create(h.ctx, cn->n_attr, cn->keys, cn->vals, dev, n_in, s->ndim, s->shape, s->dtype, &s->state);
        host_end(prev);
        if (hrc) rc = host_failed(cn->what, "create_operator", hrc);
        else s->h.destroy = h.destroy;
    }
    if (rc != MX_OK) {
        inst_release(s);
        return rc;
    }
    atomic_fetch_add(&s->refs, 1); /* the node's */
    pthread_mutex_lock(&lock);
    custom_inst *old = cn->inst;
    cn->inst = s;
    pthread_mutex_unlock(&lock);
    inst_release(old);
    *out = s;
    return MX_OK;
}

/* Under per-op recording (MXCORE_GRAPH_BACKWARD=0, or a run without the
 * whole-graph tape node) the call becomes its own tape node holding the
 * state, so backward reaches the host's backward. */
static int record_call(custom_inst *s, mx_tensor_s *const *ins, mx_tensor_s **outs, int training) {
    mx_call *c = calloc(1, sizeof *c);
    if (!c) return mxi_error(MX_ERR_MEMORY, "%s: out of memory recording it", s->what);
    c->op = mxi_find_op("Custom");
    c->n_in = s->n_args + s->n_aux;
    memcpy(c->in, ins, sizeof *ins * (size_t)c->n_in);
    c->n_out = s->n_out;
    for (int k = 0; k < s->n_out; k++) {
        c->out[k] = outs[k];
        mxi_set_out(c, k, outs[k]->shape, outs[k]->ndim, outs[k]->dtype);
    }
    c->training = training;
    int rc = MX_OK;
    if (mxi_ag_needs_record(c)) {
        atomic_fetch_add(&s->refs, 1);
        rc = mxi_ag_record_stateful(c, s, inst_release_void);
    }
    free(c);
    return rc;
}

int mxi_custom_forward(gnode *n, mx_tensor_s *const *ins, mx_tensor_s **outs, mxi_call_info *info) {
    custom_node *cn = n->host;
    if (!cn) return mxi_error(MX_ERR_INTERNAL, "graph node '%s': Custom node not loaded", n->name);
    const int n_in = cn->n_args + cn->n_aux;
    for (int j = 0; j < n_in; j++)
        if (!ins[j]) return mxi_error(MX_ERR_INTERNAL, "%s: input %d has no value", cn->what, j);
    custom_inst *s = NULL;
    MXI_TRY(node_inst(cn, ins, &s));
    mx_device dev = n_in ? ins[0]->storage->dev : (mx_device){MX_DEV_CPU, 0};
    mx_tensor_s *o[MX_MAX_OUTPUTS] = {0};
    int req[MX_MAX_OUTPUTS];
    int rc = MX_OK;
    for (int k = 0; k < s->n_out && rc == MX_OK; k++) {
        o[k] = mxi_tensor_new_dev(s->shape + (size_t)(n_in + k) * MX_MAX_NDIM, s->ndim[n_in + k], s->dtype[n_in + k],
                                  dev);
        if (!o[k]) rc = mxi_error_prefix(mx_last_error_code(), "%s: allocating output %d", s->what, k);
        req[k] = MX_GRAD_WRITE;
    }
    const int training = mxi_ag_training();
    int prev_rec = 0;
    if (rc == MX_OK) {
        prev_rec = host_begin();
        int hrc = s->h.forward(s->h.ctx, s->state, training, (const mx_tensor *)ins, s->n_args, (const mx_tensor *)o,
                               req, s->n_out, (const mx_tensor *)ins + s->n_args, s->n_aux);
        host_end(prev_rec);
        if (hrc) rc = host_failed(s->what, "forward", hrc);
    }
    if (rc == MX_OK && prev_rec) rc = record_call(s, ins, o, training);
    if (rc != MX_OK) {
        for (int k = 0; k < s->n_out; k++) mxi_tensor_release(o[k]);
        inst_release(s);
        return rc;
    }
    for (int k = 0; k < s->n_out; k++) outs[k] = o[k];
    if (info) {
        info->training = training;
        info->state = s; /* our reference moves there; mxi_call_info_clear drops it */
        info->state_free = inst_release_void;
    } else {
        inst_release(s);
    }
    return MX_OK;
}

/* Under create_graph the gradients are recorded as the output of a node
 * without a gradient of its own: the host's backward is not differentiable
 * (as in MXNet), so a second derivative through it is an error, not a
 * silent zero. */
static const mx_op_def backward_def = {.name = "_backward_Custom",
                                       .doc = "The gradients a Custom op's host backward computed.",
                                       .flags = MX_OPF_INTERNAL};

static int record_backward(const custom_inst *s, mx_tensor_s *const *og, mx_tensor_s *const *in, mx_tensor_s **ig,
                           const int *req) {
    mx_call *c = calloc(1, sizeof *c);
    if (!c) return mxi_error(MX_ERR_MEMORY, "%s: out of memory recording its backward", s->what);
    c->op = &backward_def;
    for (int k = 0; k < s->n_out; k++) c->in[c->n_in++] = og[k];
    for (int j = 0; j < s->n_args; j++) c->in[c->n_in++] = in[j];
    for (int j = 0; j < s->n_args; j++) {
        if (req[j] == MX_GRAD_NULL) continue;
        c->out[c->n_out] = ig[j];
        mxi_set_out(c, c->n_out++, ig[j]->shape, ig[j]->ndim, ig[j]->dtype);
    }
    c->training = mxi_ag_training();
    int rc = c->n_out && mxi_ag_needs_record(c) ? mxi_ag_record(c) : MX_OK;
    free(c);
    return rc;
}

int mxi_custom_grad(mx_grad_ctx *gc) {
    custom_inst *s = gc->state;
    const mx_call *c = gc->call;
    if (!s) return mxi_error(MX_ERR_INTERNAL, "Custom: backward without the operator state of its forward");
    if (!s->h.backward) return mxi_error(MX_ERR_UNSUPPORTED, "%s: the operator has no backward", s->what);
    if (c->n_in != s->n_args + s->n_aux || c->n_out != s->n_out)
        return mxi_error(MX_ERR_INTERNAL, "%s: backward called with %d inputs and %d outputs", s->what, c->n_in,
                         c->n_out);
    mx_tensor_s *og[MX_MAX_OUTPUTS] = {0}, *ig[MX_MAX_INPUTS] = {0};
    bool made[MX_MAX_OUTPUTS] = {0};
    int req[MX_MAX_INPUTS];
    int rc = MX_OK;
    for (int k = 0; k < s->n_out && rc == MX_OK; k++) {
        og[k] = gc->ograd[k];
        if (!og[k]) { /* an output nobody differentiated: zeros, as MXNet hands it */
            og[k] = mxi_tensor_like(gc->out[k], -1);
            made[k] = true;
            if (!og[k]) rc = mx_last_error_code();
        }
    }
    for (int j = 0; j < s->n_args && rc == MX_OK; j++) {
        ig[j] = mxi_tensor_like(gc->in[j], -1);
        if (!ig[j]) rc = mx_last_error_code();
        req[j] = mxi_grad_needed(gc, j) ? MX_GRAD_WRITE : MX_GRAD_NULL;
    }
    if (rc == MX_OK) {
        int prev_train = 0;
        mx_autograd_set_training(c->training, &prev_train);
        int prev = host_begin();
        int hrc = s->h.backward(s->h.ctx, s->state, (const mx_tensor *)og, s->n_out, (const mx_tensor *)gc->in,
                                s->n_args, (const mx_tensor *)gc->out, (const mx_tensor *)ig, req,
                                (const mx_tensor *)gc->in + s->n_args, s->n_aux);
        host_end(prev);
        mx_autograd_set_training(prev_train, NULL);
        if (hrc) rc = host_failed(s->what, "backward", hrc);
    }
    if (rc == MX_OK && mxi_ag_recording()) rc = record_backward(s, og, gc->in, ig, req);
    for (int k = 0; k < s->n_out; k++)
        if (made[k]) mxi_tensor_release(og[k]);
    for (int j = 0; j < s->n_args; j++) {
        if (rc == MX_OK && req[j] != MX_GRAD_NULL) gc->igrad[j] = ig[j];
        else mxi_tensor_release(ig[j]);
    }
    return rc;
}

/* ---- registry entry ---- */

static int eager_unsupported(mx_call *c) {
    (void)c;
    return mxi_error(MX_ERR_UNSUPPORTED,
                     "Custom: a host-computed op runs inside graphs only (mx_graph_run of a graph holding it, with "
                     "a handler registered by mx_custom_op_set_handler); eager calls go through the binding "
                     "(Python: mx.nd.Custom)");
}

static const mx_attr_spec custom_attrs[] = {
    {"op_type", MX_ATTR_STR, NULL, "The name the operator's property class was registered under "
                                   "(mx.operator.register); its other kwargs are passed to it as strings.", NULL, 0, 0, 0},
};

static const mx_op_def custom_defs[] = {
    {.name = "Custom",
     .doc = "A custom operator computed by the host (MXNet's mx.sym.Custom): inputs are its arguments then its "
            "auxiliary states, outputs and shapes come from the registered property (CustomOpProp).",
     .inputs = "*data",
     .num_outputs = 1,
     .attrs = custom_attrs,
     .n_attrs = 1,
     .infer = eager_unsupported,
     .cpu = eager_unsupported,
     .grad = mxi_custom_grad,
     .flags = MX_OPF_INTERNAL | MX_OPF_HOST | MX_OPF_NO_INPUT_CAST,
     .dtypes = MX_DT_ALL},
};

void mxi_register_custom(void) { mxi_register_ops(custom_defs, 1); }
