/* creation.c — ops that make new arrays: *_like fills (more to come:
 * zeros, ones, full, arange, linspace, eye). */
#include <string.h>

#include "../op.h"

static int infer_like(mx_call *c) {
    mxi_same_as_in(c, 0, 0);
    return MX_OK;
}

static int fill_value(mx_call *c, double v) {
    mx_tensor_s *o = c->out[0];
    size_t es = mxi_dtype_size(o->dtype);
    if (!o->size) return MX_OK;
    mxi_store_from_double(mxi_data(o), o->dtype, 0, v);
    for (int64_t i = 1; i < o->size; i++) memcpy((char *)mxi_data(o) + i * es, mxi_data(o), es);
    return MX_OK;
}

static int zeros_like_cpu(mx_call *c) { return fill_value(c, 0.0); }
static int ones_like_cpu(mx_call *c) { return fill_value(c, 1.0); }

static const mx_op_def ops[] = {
    {.name = "zeros_like", .doc = "Returns an array of zeros with the same shape and dtype as the input.",
     .inputs = "data", .num_outputs = 1, .infer = infer_like, .cpu = zeros_like_cpu,
     .flags = MX_OPF_NO_GRAD | MX_OPF_STRIDED | MX_OPF_NO_INPUT_CAST, .dtypes = MX_DT_ALL},
    {.name = "ones_like", .doc = "Returns an array of ones with the same shape and dtype as the input.",
     .inputs = "data", .num_outputs = 1, .infer = infer_like, .cpu = ones_like_cpu,
     .flags = MX_OPF_NO_GRAD | MX_OPF_STRIDED | MX_OPF_NO_INPUT_CAST | MX_OPF_WRITES_ALL, .dtypes = MX_DT_ALL},
};

void mxi_register_creation(void) { mxi_register_ops(ops, (int)(sizeof ops / sizeof ops[0])); }
