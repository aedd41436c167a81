/* conv_instances.h — the convolution geometry and the float32/float64
 * instances of the kernels in conv_kernels.h (static functions with _f32 /
 * _f64 suffixes), for the files built on them: conv.c (Convolution,
 * Deconvolution) and im2col.c (im2col, col2im). */
#ifndef MXCORE_CORE_OPS_CONV_INSTANCES_H
#define MXCORE_CORE_OPS_CONV_INSTANCES_H

#include "../../backends/cpu/cpu.h"
#include "../op.h"

/* N items, C input and F output channels in G groups; per spatial dim (3,
 * leading ones for 1-D/2-D): input and output size, kernel, stride, dilation,
 * padding. */
typedef struct {
    int64_t N, C, F, G;
    int64_t in[3], out[3], k[3], s[3], d[3], p[3];
} conv_geom;

#define T float
#define SFX f32
#define GEMM mxi_sgemm
#include "conv_kernels.h"
#undef T
#undef SFX
#undef GEMM
#define T double
#define SFX f64
#define GEMM mxi_dgemm
#include "conv_kernels.h"
#undef T
#undef SFX
#undef GEMM

/* Attribute a, a tuple of nsp entries >= lo, into out[3] right-aligned
 * (empty or None: def everywhere); errors name the attribute. */
static inline int conv_spatial_attr(const mx_call *c, int a, int nsp, int64_t def, int64_t lo, int64_t *out) {
    const mx_attr_val *v = &c->attrs[a];
    for (int i = 0; i < 3; i++) out[i] = def;
    if (v->is_none || v->n == 0) return MX_OK;
    if (v->n != nsp)
        return mxi_op_error(c, MX_ERR_INVALID, "%s must have %d entries like kernel, got %d", c->op->attrs[a].name, nsp,
                            v->n);
    for (int i = 0; i < nsp; i++) {
        if (v->v[i] < lo || v->v[i] == INT64_MIN)
            return mxi_op_error(c, MX_ERR_INVALID, "%s entries must be >= %lld, got %lld", c->op->attrs[a].name,
                                (long long)lo, (long long)v->v[i]);
        out[3 - nsp + i] = v->v[i];
    }
    return MX_OK;
}

#endif
