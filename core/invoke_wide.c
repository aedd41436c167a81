/* invoke_wide.c — variadic ops called with more inputs than one call holds.
 *
 * An op call carries at most MX_MAX_INPUTS (512) inputs (mx_call keeps them
 * in a fixed array, and so do the kernels' scratch arrays). Users stack a
 * DataLoader batch of 1,024 samples or sum a thousand arrays, so the three
 * variadic ops whose result can be built from partial results take any
 * number of inputs here:
 *   add_n(x1..xn)          = add_n(add_n(chunk1), add_n(chunk2), ...)
 *   concat(x1..xn, dim=d)  = concat(concat(chunk1, d), ..., dim=d)
 *   stack(x1..xn, axis=a)  = concat(stack(chunk1, a), ..., dim=a)
 * Each partial is an ordinary op call, so autograd records it and gradients
 * flow through the pieces; a combine step with more than MX_MAX_INPUTS
 * partials is itself wide and splits again. Results equal a single call's
 * (concat/stack copy; add_n's sum is associated in chunks, which changes
 * float rounding only in the last bits, as any summation order does). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attrs.h"
#include "invoke_wide.h"

bool mxi_wide_op(const mx_op_def *op) {
    return !strcmp(op->name, "add_n") || !strcmp(op->name, "concat") || !strcmp(op->name, "stack");
}

/* The caller's attributes with num_args set to `n` (added when absent); one
 * more slot stays free for the caller (stack's join adds dim). */
typedef struct {
    const char *keys[MX_MAX_ATTRS + 2], *vals[MX_MAX_ATTRS + 2];
    char num[24];
    int n;
} wide_attrs;

static int attrs_with_count(wide_attrs *w, const char *const *keys, const char *const *vals, int n_attr, int64_t n) {
    if (n_attr > MX_MAX_ATTRS) return mxi_error(MX_ERR_INVALID, "too many attributes (%d)", n_attr);
    snprintf(w->num, sizeof w->num, "%lld", (long long)n);
    w->n = 0;
    for (int i = 0; i < n_attr; i++) {
        if (!strcmp(keys[i], "num_args")) continue;
        w->keys[w->n] = keys[i];
        w->vals[w->n++] = vals[i];
    }
    w->keys[w->n] = "num_args";
    w->vals[w->n++] = w->num;
    return MX_OK;
}

/* The value the caller gave for `key`, or `def`. */
static const char *attr_or(const char *const *keys, const char *const *vals, int n_attr, const char *key,
                           const char *def) {
    for (int i = 0; i < n_attr; i++)
        if (!strcmp(keys[i], key)) return vals[i];
    return def;
}

int mxi_invoke_wide(const mx_op_def *op, mx_tensor_s *const *inputs, int n_in, const char *const *keys,
                    const char *const *vals, int n_attr, mx_tensor_s **outputs, int n_given, int max_out,
                    int *n_out) {
    const int chunk = MX_MAX_INPUTS;
    const int n_parts = (n_in + chunk - 1) / chunk;
    const char *declared = attr_or(keys, vals, n_attr, "num_args", NULL);
    if (declared && strtoll(declared, NULL, 10) != n_in)
        return mxi_error(MX_ERR_INVALID, "%s: num_args is %s but %d inputs were given", op->name, declared, n_in);
    if (strcmp(op->name, "concat") != 0) {
        /* stack and add_n take equal shapes only: a mismatch is named by its index among all inputs, not within a
         * chunk (or, across chunks, only at the join) */
        for (int i = 0; i < n_in; i++) {
            if (!mxi_tensor_check(inputs[i], op->name)) return mxi_error_prefix(MX_ERR_HANDLE, "input %d", i);
            const mx_tensor_s *x = inputs[0], *y = inputs[i];
            if (y->ndim != x->ndim || memcmp(y->shape, x->shape, sizeof(int64_t) * (size_t)x->ndim)) {
                char s1[160], s2[160];
                return mxi_error(MX_ERR_INVALID, "%s: all inputs must have the same shape, input %d is %s, "
                                 "input 0 is %s", op->name, i, mxi_shape_str(y->shape, y->ndim, s1, sizeof s1),
                                 mxi_shape_str(x->shape, x->ndim, s2, sizeof s2));
            }
        }
    }
    mx_tensor_s **parts = calloc((size_t)n_parts, sizeof *parts);
    if (!parts) return mxi_error(MX_ERR_MEMORY, "%s: out of memory for %d inputs", op->name, n_in);

    wide_attrs w;
    int rc = MX_OK;
    for (int p = 0; p < n_parts && rc == MX_OK; p++) {
        int lo = p * chunk, len = n_in - lo < chunk ? n_in - lo : chunk;
        rc = attrs_with_count(&w, keys, vals, n_attr, len);
        int got = 0;
        if (rc == MX_OK) rc = mxi_invoke_kv(op, inputs + lo, len, w.keys, w.vals, w.n, &parts[p], 1, &got);
        if (rc != MX_OK) mxi_error_prefix(rc, "%s (inputs %d..%d of %d)", op->name, lo, lo + len - 1, n_in);
    }
    if (rc == MX_OK) {
        /* combine: add_n sums the partial sums; concat and stack join them
         * along the axis (a stack's partials already carry the new axis) */
        const mx_op_def *join = op;
        if (!strcmp(op->name, "stack")) {
            join = mxi_find_op("concat");
            rc = attrs_with_count(&w, NULL, NULL, 0, n_parts);
            w.keys[w.n] = "dim";
            w.vals[w.n++] = attr_or(keys, vals, n_attr, "axis", "0");
        } else {
            rc = attrs_with_count(&w, keys, vals, n_attr, n_parts);
        }
        if (rc == MX_OK) rc = mxi_invoke_given(join, parts, n_parts, w.keys, w.vals, w.n, outputs, n_given, max_out,
                                               n_out);
        if (rc != MX_OK) mxi_error_prefix(rc, "%s (joining %d partial results of %d inputs)", op->name, n_parts, n_in);
    }
    mxi_tensors_release(parts, n_parts);
    free(parts);
    return rc;
}

/* ---- split into more than MX_MAX_OUTPUTS parts ----
 * split(x, num_outputs=n, axis=a) = for each block of at most MX_MAX_OUTPUTS
 * parts: split(slice_axis(x, a, block), num_outputs=len) (squeeze_axis
 * passes through). */

int mxi_wide_split_outputs(const mx_op_def *op, const char *const *keys, const char *const *vals, int n_attr) {
    if (op->name[0] != 's' || strcmp(op->name, "split") != 0) return 0; /* every call asks: cheap test first */
    const char *v = attr_or(keys, vals, n_attr, "num_outputs", NULL);
    long long n = v ? strtoll(v, NULL, 10) : 0;
    return n > MX_MAX_OUTPUTS && n <= (1 << 24) ? (int)n : 0;
}

int mxi_invoke_wide_split(const mx_op_def *op, mx_tensor_s *x, int n_parts, const char *const *keys,
                          const char *const *vals, int n_attr, mx_tensor_s **outputs, int max_out, int *n_out) {
    if (max_out < n_parts)
        return mxi_error(MX_ERR_INVALID, "split: num_outputs=%d, but the caller has room for %d outputs", n_parts,
                         max_out);
    if (!mxi_tensor_check(x, op->name)) return mxi_error_prefix(MX_ERR_HANDLE, "input 0");
    long long axis = strtoll(attr_or(keys, vals, n_attr, "axis", "1"), NULL, 10);
    if (axis < -x->ndim || axis >= x->ndim)
        return mxi_error(MX_ERR_INVALID, "split: axis %lld out of range for input of %d dims", axis, x->ndim);
    int a = (int)(axis < 0 ? axis + x->ndim : axis);
    if (x->shape[a] % n_parts) {
        char s[160];
        return mxi_error(MX_ERR_INVALID, "split: axis %d of input %s (size %lld) is not divisible by num_outputs=%d", a,
                         mxi_shape_str(x->shape, x->ndim, s, sizeof s), (long long)x->shape[a], n_parts);
    }
    const int64_t step = x->shape[a] / n_parts;
    const char *k2[MX_MAX_ATTRS + 2], *v2[MX_MAX_ATTRS + 2];
    char num[24], sl[128];
    int m = 0;
    for (int i = 0; i < n_attr && m < MX_MAX_ATTRS; i++)
        if (strcmp(keys[i], "num_outputs") != 0) { k2[m] = keys[i]; v2[m++] = vals[i]; }
    k2[m] = "num_outputs";
    v2[m++] = num;
    int rc = MX_OK, done = 0;
    for (int lo = 0; lo < n_parts && rc == MX_OK; lo += MX_MAX_OUTPUTS) {
        int len = n_parts - lo < MX_MAX_OUTPUTS ? n_parts - lo : MX_MAX_OUTPUTS;
        snprintf(sl, sizeof sl, "axis=%d;begin=%lld;end=%lld", a, (long long)(lo * step),
                 (long long)((lo + len) * step));
        mx_tensor_s *block = NULL;
        rc = mxi_call("slice_axis", &x, 1, sl, &block, 1);
        snprintf(num, sizeof num, "%d", len);
        int got = 0;
        if (rc == MX_OK) rc = mxi_invoke_given(op, &block, 1, k2, v2, m, outputs + lo, 0, len, &got);
        mxi_tensor_release(block);
        if (rc == MX_OK) done = lo + got;
        else mxi_error_prefix(rc, "split (outputs %d..%d of %d)", lo, lo + len - 1, n_parts);
    }
    if (rc != MX_OK) {
        mxi_tensors_release(outputs, done);
        return rc;
    }
    *n_out = n_parts;
    return MX_OK;
}
