/* infer_util.c — helpers shared by op shape/dtype inference functions, and
 * the standard error text that names the op, its inputs and the expectation. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "op.h"

int mxi_op_error(const mx_call *c, int code, const char *fmt, ...) {
    char what[768], ins[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    size_t k = 0;
    ins[0] = 0;
    const char *names = c->op->inputs ? c->op->inputs : "";
    if (*names == '*') names++;
    for (int i = 0; i < c->n_in && k < sizeof ins - 96; i++) {
        char sh[160];
        /* i-th comma-separated input name (variadic: repeat the one name) */
        const char *p = names;
        for (int j = 0; j < i && strchr(p, ','); j++) p = strchr(p, ',') + 1;
        size_t len = strchr(p, ',') ? (size_t)(strchr(p, ',') - p) : strlen(p);
        k += (size_t)snprintf(ins + k, sizeof ins - k, "%s%.*s=%s %s", i ? ", " : "", (int)len, p,
                              mxi_shape_str(c->in[i]->shape, c->in[i]->ndim, sh, sizeof sh),
                              mxi_dtype_name(c->in[i]->dtype));
    }
    return mxi_error(code, "%s: %s (inputs: %s)", c->op->name, what, c->n_in ? ins : "none");
}

void mxi_set_out(mx_call *c, int k, const int64_t *shape, int ndim, int dtype) {
    c->out_ndim[k] = ndim;
    if (ndim) memcpy(c->out_shape[k], shape, sizeof(int64_t) * (size_t)ndim);
    c->out_dtype[k] = dtype;
}

void mxi_same_as_in(mx_call *c, int k, int i) {
    mxi_set_out(c, k, c->in[i]->shape, c->in[i]->ndim, c->in[i]->dtype);
}

int mxi_broadcast_shapes(const mx_call *c, const int64_t *a, int na, const int64_t *b, int nb, int64_t *out,
                         int *nout) {
    int n = na > nb ? na : nb;
    for (int i = 0; i < n; i++) {
        int ia = i - (n - na), ib = i - (n - nb);
        int64_t da = ia >= 0 ? a[ia] : 1, db = ib >= 0 ? b[ib] : 1;
        if (da != db && da != 1 && db != 1) {
            char sa[160], sb[160];
            return mxi_op_error(c, MX_ERR_INVALID, "shapes %s and %s cannot be broadcast together",
                                mxi_shape_str(a, na, sa, sizeof sa), mxi_shape_str(b, nb, sb, sizeof sb));
        }
        out[i] = da == 1 ? db : da;
    }
    *nout = n;
    return MX_OK;
}

int mxi_norm_axis(const mx_call *c, int64_t axis, int ndim, int *out) {
    int64_t a = axis < 0 ? axis + ndim : axis;
    if (a < 0 || a >= (ndim ? ndim : 1))
        return mxi_op_error(c, MX_ERR_INVALID, "axis %lld is out of range for a %d-d input", (long long)axis, ndim);
    *out = (int)a;
    return MX_OK;
}

int mxi_require_same_dtype(const mx_call *c) {
    for (int i = 1; i < c->n_in; i++)
        if (c->in[i]->dtype != c->in[0]->dtype)
            return mxi_op_error(c, MX_ERR_DTYPE, "all inputs must have the same dtype, got %s and %s",
                                mxi_dtype_name(c->in[0]->dtype), mxi_dtype_name(c->in[i]->dtype));
    return MX_OK;
}

int mxi_require_ndim(const mx_call *c, int i, int lo, int hi) {
    int nd = c->in[i]->ndim;
    if (nd < lo || nd > hi) {
        if (lo == hi) return mxi_op_error(c, MX_ERR_INVALID, "input %d must be %d-d, got %d-d", i, lo, nd);
        return mxi_op_error(c, MX_ERR_INVALID, "input %d must have between %d and %d dims, got %d", i, lo, hi, nd);
    }
    return MX_OK;
}
