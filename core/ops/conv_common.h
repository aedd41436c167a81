/* conv_common.h — helpers shared by the conv family files (conv.c, pooling.c,
 * upsampling.c) and rnn.c: attribute serialisation for calling backward ops
 * with the forward call's attributes. */
#ifndef MXCORE_CORE_OPS_CONV_COMMON_H
#define MXCORE_CORE_OPS_CONV_COMMON_H

#include <stdio.h>
#include <string.h>

#include "../op.h"

/* "k=v;k=v" for every attribute of the call (as parsed), for mxi_call. */
static inline void mxi_conv_attr_string(const mx_call *c, char *buf, size_t n) {
    size_t k = 0;
    buf[0] = 0;
    for (int i = 0; i < c->op->n_attrs && k + 64 < n; i++) {
        const mx_attr_spec *s = &c->op->attrs[i];
        const mx_attr_val *v = &c->attrs[i];
        k += (size_t)snprintf(buf + k, n - k, "%s%s=", i ? ";" : "", s->name);
        switch (s->type) {
        case MX_ATTR_INT: k += (size_t)snprintf(buf + k, n - k, "%lld", (long long)v->i); break;
        case MX_ATTR_OPT_INT:
            if (v->is_none) k += (size_t)snprintf(buf + k, n - k, "None");
            else k += (size_t)snprintf(buf + k, n - k, "%lld", (long long)v->i);
            break;
        case MX_ATTR_BOOL: k += (size_t)snprintf(buf + k, n - k, "%s", v->i ? "True" : "False"); break;
        case MX_ATTR_FLOAT: k += (size_t)snprintf(buf + k, n - k, "%.17g", v->f); break;
        case MX_ATTR_STR:
        case MX_ATTR_ENUM: k += (size_t)snprintf(buf + k, n - k, "%s", v->s); break;
        case MX_ATTR_DTYPE:
            k += (size_t)snprintf(buf + k, n - k, "%s", v->i < 0 || v->is_none ? "None" : mxi_dtype_name((int)v->i));
            break;
        case MX_ATTR_SHAPE:
        case MX_ATTR_FLOATS:
            if (v->is_none) {
                k += (size_t)snprintf(buf + k, n - k, "None");
                break;
            }
            k += (size_t)snprintf(buf + k, n - k, "(");
            for (int j = 0; j < v->n && k + 32 < n; j++) {
                if (s->type == MX_ATTR_FLOATS) k += (size_t)snprintf(buf + k, n - k, "%s%.17g", j ? "," : "", v->fv[j]);
                else if (v->v[j] == INT64_MIN) k += (size_t)snprintf(buf + k, n - k, "%sNone", j ? "," : "");
                else k += (size_t)snprintf(buf + k, n - k, "%s%lld", j ? "," : "", (long long)v->v[j]);
            }
            k += (size_t)snprintf(buf + k, n - k, ")");
            break;
        }
        if (k >= n) k = n - 1;
    }
}

#endif
