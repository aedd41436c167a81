/* invoke.c — the one path every op call takes (mx_op_invoke, mxi_call):
 * validate handles and attrs, infer shapes/dtypes, prepare kernel inputs
 * (contiguous, natively supported dtype), allocate or check outputs, run the
 * kernel, write results, and record the call on the autograd tape. */
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "attrs.h"
#include "invoke_wide.h"
#include "autograd.h"
#include "profiler.h"
#include "rng.h"

int mxi_device_invoke(mx_call *c, mx_device dev); /* backend_registry.c */

static int count_names(const char *csv) {
    if (!csv || !*csv) return 0;
    int n = 1;
    for (const char *p = csv; *p; p++) n += *p == ',';
    return n;
}

static int expected_inputs(const mx_call *c) {
    const mx_op_def *op = c->op;
    if (op->num_inputs_fn) return op->num_inputs_fn(c);
    if (op->inputs && op->inputs[0] == '*') {
        int a = mxi_attr_index(op, "num_args");
        return a >= 0 ? (int)c->attrs[a].i : -1;
    }
    return count_names(op->inputs);
}

/* MXNet casts a scalar operand to the input's dtype before computing (the
 * native int32/int64 kernels do the same): x + 1.7 on int8 adds 1, x * 0.5 on
 * uint8 multiplies by 0, 7.9 - x on float16 subtracts from half(7.9). The
 * float32 kernel that runs for those dtypes gets the scalar so rounded. */
static double scalar_in_dtype(double s, int dtype) {
    if (!isfinite(s)) return s;
    switch (dtype) {
    case MX_FLOAT16: return mxi_half_to_float(mxi_float_to_half((float)s));
    case MX_UINT8:
    case MX_INT8: {
        /* truncate, then wrap modulo 256 (no out-of-range float-to-int cast) */
        double w = fmod(trunc(s), 256.0);
        if (w < 0) w += 256.0;
        return dtype == MX_INT8 && w > 127 ? w - 256.0 : w;
    }
    default: return s;
    }
}

static bool is_host(mx_device d) { return d.type == MX_DEV_CPU || d.type == MX_DEV_CPU_PINNED; }
/* host memory is one space: cpu(0), cpu(1) and pinned arrays mix, as in MXNet */
static bool same_device(mx_device a, mx_device b) {
    return (is_host(a) && is_host(b)) || (a.type == b.type && a.id == b.id);
}


/* In-place memory planning: an input the caller donated (its last use in a
 * graph) can hold output k when the op is elementwise-safe, writes every
 * element, and nobody else can observe the buffer: one handle, one storage
 * reference, same shape and dtype, no autograd recording (the tape would
 * need the input's value), and not consumed twice by this call. */
static mx_tensor_s *donated_input(mx_call *c, int k, mx_tensor_s *const *kin) {
    const mx_op_def *op = c->op;
    if (!c->donate || (op->flags & (MX_OPF_INPLACE_OK | MX_OPF_WRITES_ALL)) != (MX_OPF_INPLACE_OK | MX_OPF_WRITES_ALL) ||
        mxi_ag_recording())
        return NULL;
    for (int i = 0; i < c->n_in && i < 64; i++) {
        mx_tensor_s *t = c->in[i];
        if (!((c->donate >> i) & 1) || kin[i] || t->dtype != c->out_dtype[k] || t->ndim != c->out_ndim[k] ||
            memcmp(t->shape, c->out_shape[k], sizeof(int64_t) * (size_t)t->ndim) ||
            atomic_load(&t->refcount) != 1 || atomic_load(&t->storage->refcount) != 1 || t->storage->deleter ||
            t->var || !mxi_is_contiguous(t) || t->storage->dev.type != MX_DEV_CPU)
            continue;
        bool twice = false;
        for (int j = 0; j < c->n_in; j++)
            if (j != i && c->in[j]->storage == t->storage) twice = true;
        for (int q = 0; q < k; q++)
            if (c->out[q] == t) twice = true;
        if (!twice) return t;
    }
    return NULL;
}

/* Core of every invoke. `c` has op and attrs parsed and inputs set (borrowed).
 * outs: caller-provided outputs (n_given > 0) or filled with new references. */
/* Input count, output count and shape/dtype inference for a parsed call. */
static int prepare_call(mx_call *c) {
    const mx_op_def *op = c->op;
    int want = expected_inputs(c);
    if (want >= 0 && c->n_in != want)
        return mxi_op_error(c, MX_ERR_INVALID, "expected %d input(s) (%s), got %d", want,
                            op->inputs ? op->inputs : "", c->n_in);
    c->n_out = op->num_outputs_fn ? op->num_outputs_fn(c) : op->num_outputs;
    if (c->n_out < 0 || c->n_out > MX_MAX_OUTPUTS)
        return mxi_op_error(c, MX_ERR_INVALID, "invalid number of outputs %d", c->n_out);
    c->training = mxi_ag_training();
    return op->infer(c);
}

static int invoke_call(mx_call *c, mx_tensor_s **outs, int n_given, int max_out, int *n_out, bool visible_only) {
    const mx_op_def *op = c->op;
    MXI_TRY(prepare_call(c));
    /* the public ABI returns (and accepts out= for) visible outputs only */
    int n_ret = c->n_out;
    if (visible_only) {
        int nv = op->num_visible_fn ? op->num_visible_fn(c) : op->num_visible_outputs;
        if (nv > 0 && nv < c->n_out) n_ret = nv;
    }
    if (n_given > 0 && n_given != n_ret)
        return mxi_op_error(c, MX_ERR_INVALID, "out= has %d tensor(s), op produces %d", n_given, n_ret);
    if (n_given == 0 && max_out < n_ret)
        return mxi_op_error(c, MX_ERR_INVALID, "output array holds %d, op produces %d", max_out, n_ret);
    for (int k = 0; k < n_given; k++) {
        mx_tensor_s *o = outs[k];
        /* Writing into a tensor the tape already holds (an op result or a
         * marked variable) would change values its recorded nodes depend on
         * and silently corrupt the gradient: refuse, as MXNet does. */
        if (mxi_ag_recording() && mxi_ag_in_graph(o))
            return mxi_op_error(c, MX_ERR_INVALID,
                                "out= tensor %d is already in a computational graph: assigning to it while recording "
                                "would make its gradients wrong. Call backward first or do this outside of a record "
                                "section; in-place operations (+=, *=, x[idx] = v, out=x) are not allowed on recorded "
                                "arrays inside record()", k);
        if (o->ndim != c->out_ndim[k] || memcmp(o->shape, c->out_shape[k], sizeof(int64_t) * (size_t)o->ndim)) {
            char a[128], b[128];
            return mxi_op_error(c, MX_ERR_INVALID, "out= tensor %d has shape %s, expected %s", k,
                                mxi_shape_str(o->shape, o->ndim, a, sizeof a),
                                mxi_shape_str(c->out_shape[k], c->out_ndim[k], b, sizeof b));
        }
    }

    /* device: every input must live on one device */
    mx_device dev = {MX_DEV_CPU, 0};
    if (c->n_in) dev = c->in[0]->storage->dev;
    for (int i = 1; i < c->n_in; i++) {
        if (!same_device(c->in[i]->storage->dev, dev))
            return mxi_op_error(c, MX_ERR_DEVICE, "inputs live on different devices (%d:%d and %d:%d); copy them with as_in_context first",
                                dev.type, dev.id, c->in[i]->storage->dev.type, c->in[i]->storage->dev.id);
    }
    if (op->flags & MX_OPF_RANDOM) {
        int64_t draws = 0;
        for (int k = 0; k < c->n_out; k++) draws += mxi_shape_size(c->out_shape[k], c->out_ndim[k]);
        for (int i = 0; i < c->n_in; i++) draws += c->in[i]->size; /* shuffle/multinomial draw per input */
        mxi_rng_reserve((uint64_t)draws + 1, &c->rng_seed, &c->rng_offset);
    }

    mx_tensor_s *orig_in[MX_MAX_INPUTS];
    memcpy(orig_in, c->in, sizeof(mx_tensor_s *) * (size_t)c->n_in);
    int final_dtype[MX_MAX_OUTPUTS];
    memcpy(final_dtype, c->out_dtype, sizeof(int) * (size_t)c->n_out);
    mx_tensor_s *kin[MX_MAX_INPUTS]; /* owned temporaries (NULL = use original) */
    mx_tensor_s *kout[MX_MAX_OUTPUTS];
    /* zero only the slots in use: these arrays are kilobytes, calls are hot */
    memset(kin, 0, sizeof(mx_tensor_s *) * (size_t)c->n_in);
    memset(kout, 0, sizeof(mx_tensor_s *) * (size_t)c->n_out);
    int rc = MX_OK;

    bool is_dev = dev.type != MX_DEV_CPU && dev.type != MX_DEV_CPU_PINNED;
    if (is_dev) {
        /* device path: backends take the call as is (they allocate outputs) */
        rc = mxi_device_invoke(c, dev);
        if (rc != MX_OK) return rc;
        for (int k = 0; k < c->n_out; k++) kout[k] = c->out[k];
        goto write_outputs;
    }

    /* kernel inputs: contiguous and in a dtype the kernel handles */
    bool cast = false;
    for (int i = 0; i < c->n_in; i++) {
        mx_tensor_s *t = c->in[i];
        bool mut = mxi_op_mutates(op, i);
        bool bad_dtype = !(op->dtypes & MX_DT(t->dtype)) && !(op->flags & MX_OPF_NO_INPUT_CAST);
        if (mut) {
            /* state updated in place in a float dtype the kernel does not
             * take (float16 optimizer state): the kernel updates a float32
             * copy, written back after it ran */
            if (bad_dtype && mxi_dtype_is_float(t->dtype)) {
                if (!(kin[i] = mxi_cast(t, MX_FLOAT32))) { rc = mx_last_error_code(); goto fail; }
                c->in[i] = kin[i];
                cast = true;
            }
            continue;
        }
        if (bad_dtype) {
            kin[i] = mxi_cast(t, MX_FLOAT32);
            cast = true;
        } else if (!(op->flags & MX_OPF_STRIDED) && !mxi_is_contiguous(t)) {
            kin[i] = mxi_contiguous(t);
        }
        if ((bad_dtype || kin[i]) && !kin[i]) { rc = mx_last_error_code(); goto fail; }
        if (kin[i]) c->in[i] = kin[i];
    }
    if (cast) {
        /* re-infer for the float32 kernel; results are cast back below */
        rc = op->infer(c);
        if (rc != MX_OK) goto fail;
        if (op->n_attrs > 0 && op->attrs[0].type == MX_ATTR_FLOAT && !strcmp(op->attrs[0].name, "scalar"))
            c->attrs[0].f = scalar_in_dtype(c->attrs[0].f, orig_in[0]->dtype);
    }
    /* an output dtype the kernel does not write (float16 asked for by a dtype
     * attribute): the kernel writes float32, converted below like a cast */
    for (int k = 0; k < c->n_out; k++)
        if (mxi_dtype_is_float(c->out_dtype[k]) && !(op->dtypes & MX_DT(c->out_dtype[k])) &&
            !(op->flags & MX_OPF_NO_INPUT_CAST))
            c->out_dtype[k] = MX_FLOAT32;

    /* kernel outputs */
    for (int k = 0; k < c->n_out; k++) {
        mx_tensor_s *given = k < n_given ? outs[k] : NULL;
        bool direct = given && given->dtype == c->out_dtype[k] && mxi_is_contiguous(given);
        if (direct && !(op->flags & MX_OPF_INPLACE_OK)) {
            for (int i = 0; i < c->n_in; i++)
                if (c->in[i]->storage == given->storage) { direct = false; break; }
        }
        mx_tensor_s *reuse = given ? NULL : donated_input(c, k, kin);
        if (direct) {
            mxi_tensor_retain(given);
            kout[k] = given;
            if (!(op->flags & MX_OPF_WRITES_ALL) && given->size)
                memset(mxi_data(given), 0, (size_t)given->size * mxi_dtype_size(given->dtype));
        } else if (reuse) {
            mxi_tensor_retain(reuse);
            kout[k] = reuse;
        } else {
            kout[k] = (op->flags & MX_OPF_WRITES_ALL)
                          ? mxi_tensor_new_uninit(c->out_shape[k], c->out_ndim[k], c->out_dtype[k])
                          : mxi_tensor_new(c->out_shape[k], c->out_ndim[k], c->out_dtype[k]);
            if (!kout[k]) { rc = mx_last_error_code(); goto fail; }
        }
        c->out[k] = kout[k];
    }
    if (mxi_profiling()) {
        uint64_t t0 = mxi_now_ns();
        rc = op->cpu(c);
        mxi_profile_add(op, t0, mxi_now_ns() - t0);
    } else {
        rc = op->cpu(c);
    }
    if (rc != MX_OK) {
        if (!strstr(mx_last_error(), op->name)) mxi_error_prefix(rc, "%s", op->name);
        goto fail;
    }
    for (int i = 0; i < c->n_in && i < 64; i++)
        if (mxi_op_mutates(op, i) && kin[i] && (rc = mxi_assign(orig_in[i], kin[i])) != MX_OK) goto fail;

write_outputs:
    for (int k = 0; k < c->n_out; k++) {
        mx_tensor_s *res = kout[k];
        if (k < n_given) {
            if (res != outs[k]) {
                rc = mxi_assign(outs[k], res);
                if (rc != MX_OK) goto fail;
            } else {
                mxi_bump_version(res);
            }
            c->out[k] = outs[k];
        } else {
            if (res->dtype != final_dtype[k]) {
                mx_tensor_s *conv = mxi_cast(res, final_dtype[k]);
                if (!conv) { rc = mx_last_error_code(); goto fail; }
                mxi_tensor_release(res);
                kout[k] = res = conv;
            }
            c->out[k] = res;
        }
    }
    /* new results live where the first input does: cpu(1) data gives cpu(1)
     * results (one memory, but contexts are how Gluon and Module keep
     * per-device copies apart) */
    if (dev.type == MX_DEV_CPU && dev.id != 0)
        for (int k = n_given; k < c->n_out; k++)
            if (c->out[k]->storage->dev.type == MX_DEV_CPU) c->out[k]->storage->dev.id = dev.id;
    memcpy(c->in, orig_in, sizeof(mx_tensor_s *) * (size_t)c->n_in);
    mxi_tensors_release(kin, c->n_in);
    if (mxi_ag_recording() && (!(op->flags & MX_OPF_NO_GRAD) || mxi_ag_records_without_grad(op)) &&
        mxi_ag_needs_record(c)) {
        rc = mxi_ag_record(c);
        if (rc != MX_OK) {
            mxi_tensors_release(kout, c->n_out);
            return rc;
        }
    }
    if (n_given) {
        mxi_tensors_release(kout, c->n_out);
    } else {
        for (int k = 0; k < n_ret; k++) outs[k] = kout[k];
        for (int k = n_ret; k < c->n_out; k++) mxi_tensor_release(kout[k]); /* hidden outputs */
    }
    *n_out = n_ret;
    return MX_OK;

fail:
    memcpy(c->in, orig_in, sizeof(mx_tensor_s *) * (size_t)c->n_in);
    mxi_tensors_release(kin, c->n_in);
    mxi_tensors_release(kout, c->n_out);
    return rc;
}

/* mx_call is large (kilobytes): keep one per thread per nesting depth instead
 * of on the stack or the heap for every call. Gradients call ops from inside
 * ops, so allow some depth. */
#define MAX_DEPTH 16
static _Thread_local mx_call *call_stack[MAX_DEPTH];
static _Thread_local int call_depth;
static _Thread_local bool call_key_set; /* this thread registered free_calls */

static mx_call *call_acquire(void) {
    if (call_depth >= MAX_DEPTH) return NULL;
    mx_call **slot = &call_stack[call_depth];
    if (!*slot) *slot = malloc(sizeof(mx_call));
    if (!*slot) return NULL;
    call_depth++;
    (*slot)->donate = 0;
    return *slot;
}

static void call_release(void) { call_depth--; }

/* Free the per-thread call buffers when a thread exits (keeps LSan quiet). */
#include <pthread.h>
static pthread_key_t call_key;
static pthread_once_t call_key_once = PTHREAD_ONCE_INIT;
static void free_calls(void *p) {
    (void)p;
    for (int i = 0; i < MAX_DEPTH; i++) { free(call_stack[i]); call_stack[i] = NULL; }
}
static void make_key(void) { pthread_key_create(&call_key, free_calls); }
__attribute__((destructor)) static void free_main_calls(void) { free_calls(NULL); }

static int invoke_common(const mx_op_def *op, mx_tensor_s *const *inputs, int n_in, const char *const *keys,
                         const char *const *vals, int n_attr, mx_tensor_s **outputs, int n_given, int max_out,
                         int *n_out, bool visible_only) {
    int idx = mxi_op_index(op);
    if (idx < 0) return mxi_error(MX_ERR_HANDLE, "mx_op_invoke: invalid op handle");
    /* gradient kernels take inputs the library itself produced (shapes paired
     * by the forward op); they are reached through autograd, not called */
    if (visible_only && !strncmp(op->name, "_backward_", 10))
        return mxi_error(MX_ERR_INVALID, "%s is an internal gradient kernel; it runs through autograd (backward), "
                         "not as a direct call", op->name);
    if (n_in && !inputs) return mxi_error(MX_ERR_INVALID, "%s: inputs array is NULL", op->name);
    if (n_in > MX_MAX_INPUTS && mxi_wide_op(op)) /* in chunks (invoke_wide.c); they check the handles */
        return mxi_invoke_wide(op, inputs, n_in, keys, vals, n_attr, outputs, n_given, max_out, n_out);
    if (n_in == 1 && n_given == 0) {
        int parts = mxi_wide_split_outputs(op, keys, vals, n_attr);
        if (parts) return mxi_invoke_wide_split(op, inputs[0], parts, keys, vals, n_attr, outputs, max_out, n_out);
    }
    if (n_in < 0 || n_in > MX_MAX_INPUTS)
        return mxi_error(MX_ERR_INVALID, "%s: %d inputs given, at most %d supported", op->name, n_in, MX_MAX_INPUTS);
    for (int i = 0; i < n_in; i++) {
        if (!mxi_tensor_check(inputs[i], op->name)) return mxi_error_prefix(MX_ERR_HANDLE, "input %d", i);
    }
    for (int k = 0; k < n_given; k++) {
        if (!mxi_tensor_check(outputs[k], op->name)) return mxi_error_prefix(MX_ERR_HANDLE, "output %d", k);
    }
    if (!call_key_set) { /* once per thread: free the call buffers at thread exit */
        pthread_once(&call_key_once, make_key);
        pthread_setspecific(call_key, (void *)1);
        call_key_set = true;
    }
    mx_call *c = call_acquire();
    if (!c) return mxi_error(MX_ERR_INTERNAL, "%s: op calls nested too deeply", op->name);
    c->op = op;
    c->n_in = n_in;
    if (n_in) memcpy(c->in, inputs, sizeof(mx_tensor_s *) * (size_t)n_in); /* inputs may be NULL then */
    int rc = mxi_parse_attrs(op, mxi_op_defaults(idx), keys, vals, n_attr, c);
    if (rc == MX_OK) rc = invoke_call(c, outputs, n_given, max_out, n_out, visible_only);
    call_release();
    return rc;
}

int mx_op_invoke(mx_op op, const mx_tensor *inputs, int n_in, const char *const *attr_keys,
                 const char *const *attr_vals, int n_attr, mx_tensor *outputs, int max_out, int *n_out) {
    if (!op) return mxi_error(MX_ERR_HANDLE, "mx_op_invoke: op handle is NULL");
    if (!n_out) return mxi_error(MX_ERR_INVALID, "mx_op_invoke: n_out is NULL");
    if (n_attr < 0 || (n_attr && (!attr_keys || !attr_vals)))
        return mxi_error(MX_ERR_INVALID, "mx_op_invoke: attribute arrays are NULL");
    int n_given = *n_out;
    if (n_given < 0 || n_given > MX_MAX_OUTPUTS || ((n_given || max_out) && !outputs))
        return mxi_error(MX_ERR_INVALID, "mx_op_invoke: bad output arguments");
    int produced = 0;
    int rc = invoke_common((const mx_op_def *)op, inputs, n_in, attr_keys, attr_vals, n_attr, outputs, n_given,
                           max_out, &produced, true);
    if (rc == MX_OK) *n_out = produced;
    return rc;
}

int mxi_invoke_given(const mx_op_def *op, mx_tensor_s *const *inputs, int n_in, const char *const *keys,
                     const char *const *vals, int n_attr, mx_tensor_s **outputs, int n_given, int max_out,
                     int *n_out) {
    return invoke_common(op, inputs, n_in, keys, vals, n_attr, outputs, n_given, max_out, n_out, true);
}

static int call_n(mx_op op, mx_tensor_s *const *in, int n_in, mx_tensor *out) {
    if (!op) return mxi_error(MX_ERR_HANDLE, "mx_op_call: op handle is NULL");
    if (!out) return mxi_error(MX_ERR_INVALID, "mx_op_call: out is NULL");
    int produced = 0;
    mx_tensor res = NULL;
    int rc = invoke_common((const mx_op_def *)op, in, n_in, NULL, NULL, 0, &res, 0, 1, &produced, true);
    if (rc == MX_OK) *out = res;
    return rc;
}

int mx_op_call1(mx_op op, mx_tensor a, mx_tensor *out) { return call_n(op, &a, 1, out); }

int mx_op_call2(mx_op op, mx_tensor a, mx_tensor b, mx_tensor *out) {
    mx_tensor in[2] = {a, b};
    return call_n(op, in, 2, out);
}

int mx_invoke_by_name(const char *name, const mx_tensor *inputs, int n_in, const char *const *attr_keys,
                      const char *const *attr_vals, int n_attr, mx_tensor *outputs, int max_out, int *n_out) {
    mx_op op;
    MXI_TRY(mx_op_lookup(name, &op));
    return mx_op_invoke(op, inputs, n_in, attr_keys, attr_vals, n_attr, outputs, max_out, n_out);
}

/* ---- internal calls with "k=v;k=v" attributes ---- */

int mxi_call(const char *name, mx_tensor_s *const *in, int n_in, const char *attrs, mx_tensor_s **out, int n_out) {
    const mx_op_def *op = mxi_find_op(name);
    if (!op) return mxi_error(MX_ERR_NOT_FOUND, "unknown op '%s'", name);
    char buf[1024];
    const char *keys[MX_MAX_ATTRS], *vals[MX_MAX_ATTRS];
    int na = 0;
    if (attrs && *attrs) {
        size_t len = strlen(attrs);
        if (len >= sizeof buf) return mxi_error(MX_ERR_INVALID, "%s: attribute string too long", name);
        memcpy(buf, attrs, len + 1);
        char *save = NULL;
        for (char *tok = strtok_r(buf, ";", &save); tok && na < MX_MAX_ATTRS; tok = strtok_r(NULL, ";", &save)) {
            char *eq = strchr(tok, '=');
            if (!eq) return mxi_error(MX_ERR_INVALID, "%s: malformed attribute '%s'", name, tok);
            *eq = 0;
            keys[na] = tok;
            vals[na] = eq + 1;
            na++;
        }
    }
    int produced = 0;
    return invoke_common(op, in, n_in, keys, vals, na, out, 0, n_out, &produced, false);
}

mx_tensor_s *mxi_call1(const char *name, const char *attrs, int n_in, ...) {
    mx_tensor_s *in[16];
    if (n_in > 16) {
        mxi_error(MX_ERR_INTERNAL, "mxi_call1: too many inputs");
        return NULL;
    }
    va_list ap;
    va_start(ap, n_in);
    for (int i = 0; i < n_in; i++) in[i] = va_arg(ap, mx_tensor_s *);
    va_end(ap);
    mx_tensor_s *out[MX_MAX_OUTPUTS] = {0};
    if (mxi_call(name, in, n_in, attrs, out, MX_MAX_OUTPUTS) != MX_OK) return NULL;
    for (int k = 1; k < MX_MAX_OUTPUTS && out[k]; k++) mxi_tensor_release(out[k]);
    return out[0];
}

int mxi_invoke_kv(const mx_op_def *op, mx_tensor_s *const *in, int n_in, const char *const *keys,
                  const char *const *vals, int n_attr, mx_tensor_s **out, int max_out, int *n_out) {
    return invoke_common(op, in, n_in, keys, vals, n_attr, out, 0, max_out, n_out, false);
}

int mxi_infer_kv(const mx_op_def *op, mx_tensor_s *const *in, int n_in, const char *const *keys,
                 const char *const *vals, int n_attr, mx_call *c) {
    int idx = mxi_op_index(op);
    if (idx < 0) return mxi_error(MX_ERR_HANDLE, "infer: invalid op handle");
    c->op = op;
    c->n_in = n_in;
    if (n_in) memcpy(c->in, in, sizeof(mx_tensor_s *) * (size_t)n_in); /* in may be NULL then */
    MXI_TRY(mxi_parse_attrs(op, mxi_op_defaults(idx), keys, vals, n_attr, c));
    return prepare_call(c);
}

int mxi_invoke_parsed(const mx_op_def *op, const mx_attr_val *attrs, int n_attrs, mx_tensor_s *const *in, int n_in,
                      uint64_t donate, mx_tensor_s **out, int max_out, int *n_out, mxi_call_info *info) {
    if (n_in < 0 || n_in > MX_MAX_INPUTS || n_attrs > MX_MAX_ATTRS)
        return mxi_error(MX_ERR_INVALID, "%s: bad input or attribute count", op->name);
    mx_call *c = call_acquire();
    if (!c) return mxi_error(MX_ERR_INTERNAL, "%s: op calls nested too deeply", op->name);
    c->op = op;
    c->n_in = n_in;
    if (n_in) memcpy(c->in, in, sizeof(mx_tensor_s *) * (size_t)n_in); /* in may be NULL then */
    c->n_attrs = n_attrs;
    memcpy(c->attrs, attrs, sizeof(mx_attr_val) * (size_t)n_attrs);
    c->donate = donate;
    int rc = invoke_call(c, out, 0, max_out, n_out, false);
    if (info) *info = (mxi_call_info){c->training, c->rng_seed, c->rng_offset};
    c->donate = 0;
    call_release();
    return rc;
}
