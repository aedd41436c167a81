/* deformable_conv.c — MXNet 1.9.1's deformable convolutions:
 * _contrib_DeformableConvolution (DCN v1: data, offset, weight[, bias]) and
 * _contrib_ModulatedDeformableConvolution (DCN v2: data, offset, mask,
 * weight[, bias]), with their internal backward ops. Part of the "conv"
 * family: registered from mxi_register_conv() in conv.c. Kernels (deformable
 * im2col + BLAS GEMM) are in deform_kernels.h.
 *
 * Shapes: data (N, C, H, W); offset (N, 2*DG*kh*kw, OH, OW), tap k = i*kw + j
 * of deformable group dg moved by rows dg*2*kh*kw + 2k (h) and + 2k+1 (w);
 * mask (N, DG*kh*kw, OH, OW); weight (F, C/G, kh, kw); OH, OW as Convolution.
 * Channel c belongs to deformable group c / (C/DG).
 *
 * Sampling follows MXNet 1.9.1's CPU operators, which differ between the
 * two: v1 samples points in [0, H) x [0, W) and holds the last row/column
 * (a point in [H-1, H) reads row H-1 alone); v2 samples points in
 * (-1, H) x (-1, W), corners outside the plane reading 0. Only 2-D kernels,
 * as MXNet's CPU operators ("not implemented" otherwise). The gradients are
 * the exact derivatives of these forwards (MXNet 1.9.1 has the v1 backward on
 * the CPU and agrees; its v2 backward is GPU-only, ours is checked against
 * finite differences). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "../../backends/cpu/cpu.h"
#include "../op.h"

/* kernel geometry of one call; op names the op in errors */
typedef struct {
    const char *op;
    int modulated;
    int64_t N, C, H, W, F, G, DG, kh, kw, sh, sw, dh, dw, ph, pw, OH, OW;
} deform_geom;

#define T float
#define SFX f32
#define GEMM mxi_sgemm
#include "deform_kernels.h"
#undef T
#undef SFX
#undef GEMM
#define T double
#define SFX f64
#define GEMM mxi_dgemm
#include "deform_kernels.h"
#undef T
#undef SFX
#undef GEMM

#define NATTR(a) ((int)(sizeof(a) / sizeof((a)[0])))

void mxi_register_deformable_conv(void);

enum { A_KERNEL, A_STRIDE, A_DILATE, A_PAD, A_NUM_FILTER, A_NUM_GROUP, A_NUM_DG, A_WORKSPACE, A_NO_BIAS, A_LAYOUT };

#define DEFORM_ATTRS                                                                                                 \
    {"kernel", MX_ATTR_SHAPE, NULL, "Convolution kernel size (h, w) (only 2-D kernels, as MXNet's CPU operator)."},   \
    {"stride", MX_ATTR_SHAPE, "()", "Convolution stride (h, w); empty means 1 in every dim."},                        \
    {"dilate", MX_ATTR_SHAPE, "()", "Convolution dilation (h, w); empty means 1 in every dim."},                      \
    {"pad", MX_ATTR_SHAPE, "()", "Zero padding (h, w) on both sides; empty means 0."},                                \
    {"num_filter", MX_ATTR_INT, NULL, "Number of output channels.", NULL, 1, 1, 1e15},                               \
    {"num_group", MX_ATTR_INT, "1", "Number of groups: channels split into this many independent groups.", NULL, 1,  \
     1, 1e15},                                                                                                        \
    {"num_deformable_group", MX_ATTR_INT, "1",                                                                        \
     "Number of deformable groups: the channels are split into this many groups, each with its own offsets.", NULL,  \
     1, 1, 1e15},                                                                                                     \
    {"workspace", MX_ATTR_INT, "1024", "Workspace limit in MB (accepted for compatibility, ignored).", NULL, 1, 0,    \
     1e15},                                                                                                           \
    {"no_bias", MX_ATTR_BOOL, "False", "Whether to disable the bias input."},                                         \
    {"layout", MX_ATTR_ENUM, "None", "Data layout: only NCHW (or None) is supported.", "None,NCW,NCHW,NCDHW"}
#define IM2COL_STEP_ATTR                                                                                             \
    {"im2col_step", MX_ATTR_INT, "64", "Images per im2col computation (accepted for compatibility; one at a time here).", \
     NULL, 1, 0, 1e15}
#define GRAD_MASK_ATTR                                                                                               \
    {"grad_mask", MX_ATTR_INT, "31",                                                                                  \
     "Which gradients to compute: bit i for forward input i (data, offset, [mask,] weight, bias).", NULL, 1, 0, 31}

static const mx_attr_spec dcn_attrs[] = {DEFORM_ATTRS};
static const mx_attr_spec dcn_bwd_attrs[] = {DEFORM_ATTRS, GRAD_MASK_ATTR};
static const mx_attr_spec mdcn_attrs[] = {DEFORM_ATTRS, IM2COL_STEP_ATTR};
static const mx_attr_spec mdcn_bwd_attrs[] = {DEFORM_ATTRS, IM2COL_STEP_ATTR, GRAD_MASK_ATTR};

static int is_modulated(const mx_call *c) { return strstr(c->op->name, "Modulated") != NULL; }
/* forward inputs with a bias: data, offset, [mask,] weight, bias */
static int n_full_inputs(const mx_call *c) { return is_modulated(c) ? 5 : 4; }
static int deform_num_inputs(const mx_call *c) { return n_full_inputs(c) - (c->attrs[A_NO_BIAS].i ? 1 : 0); }
static const char *fwd_name(const mx_call *c) {
    return is_modulated(c) ? "_contrib_ModulatedDeformableConvolution" : "_contrib_DeformableConvolution";
}

static const char *shape_of(const int64_t *s, int n, char *buf, size_t len) { return mxi_shape_str(s, n, buf, len); }

/* Shape check of one input: error naming it and the shape it must have. */
static int expect_shape(const mx_call *c, const mx_tensor_s *t, const char *name, const int64_t *want, int n,
                        const char *why) {
    int ok = t->ndim == n;
    for (int i = 0; ok && i < n; i++) ok = t->shape[i] == want[i];
    if (ok) return MX_OK;
    char a[96], b[96];
    return mxi_op_error(c, MX_ERR_INVALID, "%s has shape %s, expected %s%s", name, shape_of(t->shape, t->ndim, a, sizeof a),
                        shape_of(want, n, b, sizeof b), why);
}

/* Geometry from the attributes and the forward inputs x, off, mask (v2),
 * w, bias (NULL: not checked), with every shape validated. */
static int deform_geom_of(const mx_call *c, const mx_tensor_s *x, const mx_tensor_s *off, const mx_tensor_s *mask,
                          const mx_tensor_s *w, const mx_tensor_s *bias, deform_geom *g) {
    memset(g, 0, sizeof *g);
    g->op = fwd_name(c);
    g->modulated = is_modulated(c);
    const mx_attr_val *kv = &c->attrs[A_KERNEL];
    if (kv->is_none || kv->n != 2)
        return mxi_op_error(c, MX_ERR_INVALID, "kernel must be (h, w): only 2-D deformable convolution is implemented "
                            "(got %d entries)", kv->is_none ? 0 : kv->n);
    const char *lay = c->attrs[A_LAYOUT].s;
    if (strcmp(lay, "None") && strcmp(lay, "NCHW"))
        return mxi_op_error(c, MX_ERR_INVALID, "layout %s is not supported (only NCHW)", lay);
    const int64_t *v;
    int64_t s[2] = {1, 1}, d[2] = {1, 1}, p[2] = {0, 0};
    int64_t *dst[3] = {s, d, p};
    for (int a = 0; a < 3; a++) {
        const mx_attr_val *av = &c->attrs[A_STRIDE + a];
        if (av->is_none || av->n == 0) continue;
        if (av->n != 2)
            return mxi_op_error(c, MX_ERR_INVALID, "%s must have 2 entries like kernel, got %d", c->op->attrs[A_STRIDE + a].name,
                                av->n);
        for (int i = 0; i < 2; i++) {
            if (av->v[i] < (a == 2 ? 0 : 1) || av->v[i] > (1LL << 40))
                return mxi_op_error(c, MX_ERR_INVALID, "%s entries must be >= %d, got %lld",
                                    c->op->attrs[A_STRIDE + a].name, a == 2 ? 0 : 1, (long long)av->v[i]);
            dst[a][i] = av->v[i];
        }
    }
    v = kv->v;
    if (v[0] < 1 || v[1] < 1 || v[0] > (1 << 20) || v[1] > (1 << 20))
        return mxi_op_error(c, MX_ERR_INVALID, "kernel entries must be >= 1");
    if (x->ndim != 4) return mxi_op_error(c, MX_ERR_INVALID, "data must be 4-d (batch, channel, height, width)");
    MXI_TRY(mxi_require_same_dtype(c));
    g->N = x->shape[0], g->C = x->shape[1], g->H = x->shape[2], g->W = x->shape[3];
    g->F = c->attrs[A_NUM_FILTER].i, g->G = c->attrs[A_NUM_GROUP].i, g->DG = c->attrs[A_NUM_DG].i;
    g->kh = v[0], g->kw = v[1], g->sh = s[0], g->sw = s[1], g->dh = d[0], g->dw = d[1], g->ph = p[0], g->pw = p[1];
    if (g->C % g->G || g->F % g->G)
        return mxi_op_error(c, MX_ERR_INVALID, "num_group %lld must divide the %lld input channels and num_filter %lld",
                            (long long)g->G, (long long)g->C, (long long)g->F);
    if (g->C % g->DG || g->F % g->DG) /* MXNet requires both, though only the channels' split matters */
        return mxi_op_error(c, MX_ERR_INVALID,
                            "num_deformable_group %lld must divide the %lld input channels and num_filter %lld",
                            (long long)g->DG, (long long)g->C, (long long)g->F);
    const int64_t spans[2] = {g->dh * (g->kh - 1) + 1, g->dw * (g->kw - 1) + 1}, in[2] = {g->H, g->W};
    int64_t out[2];
    for (int i = 0; i < 2; i++) {
        const int64_t padded = in[i] + 2 * p[i];
        if (spans[i] > padded)
            return mxi_op_error(c, MX_ERR_INVALID, "dilated kernel size %lld exceeds padded input size %lld",
                                (long long)spans[i], (long long)padded);
        out[i] = (padded - spans[i]) / s[i] + 1;
    }
    g->OH = out[0], g->OW = out[1];
    const int64_t KK = g->kh * g->kw;
    const int64_t os[4] = {g->N, g->DG * 2 * KK, g->OH, g->OW};
    MXI_TRY(expect_shape(c, off, "offset", os, 4, " (batch, 2 * num_deformable_group * kh * kw, output height, width)"));
    if (mask) {
        const int64_t ms[4] = {g->N, g->DG * KK, g->OH, g->OW};
        MXI_TRY(expect_shape(c, mask, "mask", ms, 4, " (batch, num_deformable_group * kh * kw, output height, width)"));
    }
    const int64_t ws[4] = {g->F, g->C / g->G, g->kh, g->kw};
    MXI_TRY(expect_shape(c, w, "weight", ws, 4, " (num_filter, channels / num_group, kh, kw)"));
    if (bias) MXI_TRY(expect_shape(c, bias, "bias", &g->F, 1, " (num_filter,)"));
    return MX_OK;
}

/* Forward inputs of a call starting at in[first] (0 forward, 1 backward). */
static int geom_from(const mx_call *c, int first, int with_bias, deform_geom *g) {
    mx_tensor_s *const *in = c->in + first;
    const int m = is_modulated(c);
    const mx_tensor_s *bias = with_bias && !c->attrs[A_NO_BIAS].i ? in[3 + m] : NULL;
    return deform_geom_of(c, in[0], in[1], m ? in[2] : NULL, in[2 + m], bias, g);
}

static int deform_infer(mx_call *c) {
    deform_geom g;
    MXI_TRY(geom_from(c, 0, 1, &g));
    const int64_t os[4] = {g.N, g.F, g.OH, g.OW};
    mxi_set_out(c, 0, os, 4, c->in[0]->dtype);
    return MX_OK;
}

#define PTR(TT, t) ((t) ? MXI_PTR(TT, t) : NULL)

static int deform_cpu(mx_call *c) {
    deform_geom g;
    MXI_TRY(geom_from(c, 0, 1, &g));
    const int m = g.modulated;
    mx_tensor_s *x = c->in[0], *off = c->in[1], *mask = m ? c->in[2] : NULL, *w = c->in[2 + m];
    mx_tensor_s *b = c->attrs[A_NO_BIAS].i ? NULL : c->in[3 + m];
    if (x->dtype == MX_FLOAT64)
        return deform_forward_f64(&g, PTR(double, x), PTR(double, off), PTR(double, mask), PTR(double, w),
                                  PTR(double, b), MXI_PTR(double, c->out[0]));
    return deform_forward_f32(&g, PTR(float, x), PTR(float, off), PTR(float, mask), PTR(float, w), PTR(float, b),
                              MXI_PTR(float, c->out[0]));
}

/* _backward_*: inputs (ograd, data, offset, [mask,] weight) -> one gradient
 * per forward input with the bias (data, offset, [mask,] weight, bias). */
static int deform_bwd_infer(mx_call *c) {
    deform_geom g;
    MXI_TRY(geom_from(c, 1, 0, &g));
    const int64_t ys[4] = {g.N, g.F, g.OH, g.OW};
    MXI_TRY(expect_shape(c, c->in[0], "ograd", ys, 4, " (the forward output)"));
    const int nw = 3 + g.modulated; /* inputs data .. weight */
    for (int i = 0; i < nw; i++) mxi_same_as_in(c, i, i + 1);
    mxi_set_out(c, nw, &g.F, 1, c->in[1]->dtype);
    return MX_OK;
}

static int deform_bwd_cpu(mx_call *c) {
    deform_geom g;
    MXI_TRY(geom_from(c, 1, 0, &g));
    const int m = g.modulated, gm = (int)c->attrs[c->op->n_attrs - 1].i;
    mx_tensor_s *dy = c->in[0], *x = c->in[1], *off = c->in[2], *mask = m ? c->in[3] : NULL, *w = c->in[3 + m];
    mx_tensor_s *o[5] = {0};
    for (int i = 0; i < 4 + m; i++) o[i] = (gm >> i) & 1 ? c->out[i] : NULL;
    if (x->dtype == MX_FLOAT64)
        return deform_backward_f64(&g, PTR(double, x), PTR(double, off), PTR(double, mask), PTR(double, w),
                                   PTR(double, dy), PTR(double, o[0]), PTR(double, o[1]), m ? PTR(double, o[2]) : NULL,
                                   PTR(double, o[2 + m]), PTR(double, o[3 + m]));
    return deform_backward_f32(&g, PTR(float, x), PTR(float, off), PTR(float, mask), PTR(float, w), PTR(float, dy),
                               PTR(float, o[0]), PTR(float, o[1]), m ? PTR(float, o[2]) : NULL, PTR(float, o[2 + m]),
                               PTR(float, o[3 + m]));
}

static int deform_grad(mx_grad_ctx *g) {
    const mx_call *c = g->call;
    const int nfull = n_full_inputs(c), nin = deform_num_inputs(c);
    int mask = 0;
    for (int i = 0; i < nin; i++) mask |= mxi_grad_needed(g, i) ? 1 << i : 0;
    char attrs[1024];
    MXI_TRY(mxi_attrs_string(c, attrs, sizeof attrs - 32));
    size_t n = strlen(attrs);
    snprintf(attrs + n, sizeof attrs - n, ";grad_mask=%d", mask);
    mx_tensor_s *in[5] = {g->ograd[0]}, *out[5] = {0};
    for (int i = 0; i < nfull - 1; i++) in[1 + i] = g->in[i];
    char bwd[64];
    snprintf(bwd, sizeof bwd, "_backward_%s", c->op->name + strlen("_contrib_"));
    MXI_TRY(mxi_call(bwd, in, nfull, attrs, out, nfull));
    for (int i = 0; i < nfull; i++) {
        if (i < nin && ((mask >> i) & 1)) g->igrad[i] = out[i];
        else mxi_tensor_release(out[i]);
    }
    return MX_OK;
}

/* weight (num_filter, C/num_group, kh, kw) and bias (num_filter,) from the data */
static int deform_param_shape(const mx_call *c, int slot, int64_t *shape, int *ndim, int *dtype) {
    (void)dtype;
    const int wslot = 2 + is_modulated(c);
    const mx_attr_val *kv = &c->attrs[A_KERNEL];
    if ((slot != wslot && slot != wslot + 1) || kv->is_none || kv->n != 2 || c->in[0]->ndim != 4) return 1;
    shape[0] = c->attrs[A_NUM_FILTER].i;
    if (slot == wslot + 1) return (*ndim = 1, 0);
    shape[1] = c->in[0]->shape[1] / c->attrs[A_NUM_GROUP].i, shape[2] = kv->v[0], shape[3] = kv->v[1];
    *ndim = 4;
    return 0;
}

static const mx_op_def ops[] = {
    {.name = "_contrib_DeformableConvolution",
     .doc = "Deformable convolution (DCN v1, Dai et al. 2017) of (N, C, H, W) data: kernel tap k at each output "
            "position samples the data bilinearly at its regular place moved by offset channels (2k, 2k+1) of its "
            "deformable group; weight (num_filter, C/num_group, kh, kw), optional bias. As MXNet 1.9.1's CPU "
            "operator: points outside [0, H) x [0, W) read 0, the last row/column is held.",
     .inputs = "data,offset,weight,bias", .num_outputs = 1, .attrs = dcn_attrs, .n_attrs = NATTR(dcn_attrs),
     .num_inputs_fn = deform_num_inputs, .infer = deform_infer, .param_shape = deform_param_shape,
     .cpu = deform_cpu, .grad = deform_grad, .dtypes = MX_DT_FLOAT},
    {.name = "_backward_DeformableConvolution",
     .doc = "Gradients of DeformableConvolution w.r.t. data, offset, weight and bias.",
     .inputs = "ograd,data,offset,weight", .num_outputs = 4, .attrs = dcn_bwd_attrs, .n_attrs = NATTR(dcn_bwd_attrs),
     .infer = deform_bwd_infer, .cpu = deform_bwd_cpu, .dtypes = MX_DT_FLOAT, .flags = MX_OPF_INTERNAL},
    {.name = "_contrib_ModulatedDeformableConvolution",
     .doc = "Modulated deformable convolution (DCN v2, Zhu et al. 2018): DeformableConvolution whose samples are "
            "multiplied by a mask (N, num_deformable_group * kh * kw, OH, OW). As MXNet 1.9.1: points in "
            "(-1, H) x (-1, W) sample, corners outside the data read 0.",
     .inputs = "data,offset,mask,weight,bias", .num_outputs = 1, .attrs = mdcn_attrs, .n_attrs = NATTR(mdcn_attrs),
     .num_inputs_fn = deform_num_inputs, .infer = deform_infer, .param_shape = deform_param_shape,
     .cpu = deform_cpu, .grad = deform_grad, .dtypes = MX_DT_FLOAT},
    {.name = "_backward_ModulatedDeformableConvolution",
     .doc = "Gradients of ModulatedDeformableConvolution w.r.t. data, offset, mask, weight and bias.",
     .inputs = "ograd,data,offset,mask,weight", .num_outputs = 5, .attrs = mdcn_bwd_attrs,
     .n_attrs = NATTR(mdcn_bwd_attrs), .infer = deform_bwd_infer, .cpu = deform_bwd_cpu, .dtypes = MX_DT_FLOAT,
     .flags = MX_OPF_INTERNAL},
};

void mxi_register_deformable_conv(void) { mxi_register_ops(ops, NATTR(ops)); }
