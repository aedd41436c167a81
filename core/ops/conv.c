/* conv.c — op family "conv": Convolution and Deconvolution (im2col + GEMM),
 * their internal backward ops, and registration of the pooling/upsampling
 * ops defined in pooling.c and upsampling.c (and im2col/col2im in im2col.c).
 *
 * Convolution of a chunk of the batch: im2col of all items into one column
 * matrix (C*KK, NB*OSP) in parallel, one GEMM per group, scatter (+bias) into
 * the NCHW output. Deconvolution is the transpose: its forward is the data
 * gradient of a convolution and its data gradient a convolution. */
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "../../backends/cpu/cpu.h"
#include "../autograd.h"
#include "../op.h"

#include "channel_last.h"
#include "conv_instances.h"

/* pooling.c / upsampling.c */
void mxi_register_pooling(void);
void mxi_register_upsampling(void);
void mxi_register_detection(void);
void mxi_register_spatial_transformer(void);
void mxi_register_im2col(void);
void mxi_register_deformable_conv(void); /* deformable_conv.c */
void mxi_register_correlation(void);     /* correlation.c */
void mxi_register_deformable_psroi(void); /* deformable_psroi.c */
void mxi_register_rroi_align(void);      /* rroi_align.c */

/* ---- attributes (shared by Convolution and Deconvolution tables) ---- */
enum { A_KERNEL, A_STRIDE, A_DILATE, A_PAD, A_NUM_FILTER, A_NUM_GROUP, A_WORKSPACE, A_NO_BIAS, A_CUDNN_TUNE,
       A_CUDNN_OFF, A_LAYOUT, A_ADJ, A_TARGET };

#define CONV_COMMON_ATTRS(NOBIAS_DEF, WS_DEF)                                                                         \
    {"kernel", MX_ATTR_SHAPE, NULL, "Convolution kernel size: (w,), (h, w) or (d, h, w)."},                           \
    {"stride", MX_ATTR_SHAPE, "()", "Stride per spatial dim; empty means 1 in every dim."},                           \
    {"dilate", MX_ATTR_SHAPE, "()", "Dilation per spatial dim; empty means 1 in every dim."},                         \
    {"pad", MX_ATTR_SHAPE, "()", "Zero padding per spatial dim (both sides); empty means 0."},                        \
    {"num_filter", MX_ATTR_INT, NULL, "Number of output channels.", NULL, 1, 1, 1e15},                               \
    {"num_group", MX_ATTR_INT, "1", "Number of groups: channels are split into this many independent groups.", NULL, \
     1, 1, 1e15},                                                                                                     \
    {"workspace", MX_ATTR_INT, WS_DEF, "Workspace limit in MB (accepted for compatibility, ignored).", NULL, 1, 0,    \
     1e15},                                                                                                           \
    {"no_bias", MX_ATTR_BOOL, NOBIAS_DEF, "Whether to disable the bias input."},                                      \
    {"cudnn_tune", MX_ATTR_ENUM, "None", "cuDNN algorithm selection (accepted for compatibility, ignored).",          \
     "None,off,limited_workspace,fastest"},                                                                           \
    {"cudnn_off", MX_ATTR_BOOL, "False", "Turn off cuDNN (accepted for compatibility, ignored)."},                    \
    {"layout", MX_ATTR_ENUM, "None",                                                                                  \
     "Data layout: channel-first NCW, NCHW, NCDHW (None: by the kernel's dims) or channel-last NHWC, NDHWC, where "    \
     "the channel is also the weight's last axis.",                                                                   \
     "None,NCW,NCHW,NCDHW,NHWC,NDHWC"}

#define GRAD_MASK_ATTR                                                                                               \
    {"grad_mask", MX_ATTR_INT, "7", "Which gradients to compute: bit 0 data, bit 1 weight, bit 2 bias.", NULL, 1, 0, 7}
#define DECONV_EXTRA_ATTRS                                                                                           \
    {"adj", MX_ATTR_SHAPE, "()", "Extra size added to one side of the output per spatial dim."},                     \
    {"target_shape", MX_ATTR_SHAPE, "()", "Output spatial shape; when set, pad and adj are computed from it."}

static const mx_attr_spec conv_attrs[] = {CONV_COMMON_ATTRS("False", "1024")};
static const mx_attr_spec conv_bwd_attrs[] = {CONV_COMMON_ATTRS("False", "1024"), GRAD_MASK_ATTR};
static const mx_attr_spec deconv_attrs[] = {CONV_COMMON_ATTRS("True", "512"), DECONV_EXTRA_ATTRS};
static const mx_attr_spec deconv_bwd_attrs[] = {CONV_COMMON_ATTRS("True", "512"), DECONV_EXTRA_ATTRS, GRAD_MASK_ATTR};

/* grad_mask of a backward call (its last attribute) */
static int grad_mask(const mx_call *c) { return (int)c->attrs[c->op->n_attrs - 1].i; }

static int conv_num_inputs(const mx_call *c) { return c->attrs[A_NO_BIAS].i ? 2 : 3; }

/* NHWC / NDHWC: data (N, spatial..., C); Convolution's weight (num_filter,
 * kernel..., C/num_group), Deconvolution's (C, kernel..., num_filter/num_group),
 * as MXNet 1.9.1 infers them. The CPU kernels run on channel-first copies
 * (channel_last.h). */
static int conv_cl(const mx_call *c) { return mxi_layout_channel_last(c->attrs[A_LAYOUT].s); }


/* Common validation; fills geometry except the out dims / conv in dims.
 * For Convolution: g->in = data spatial dims, g->C = data channels,
 * g->F = num_filter. For Deconvolution the roles are swapped by the caller. */
static int parse_geom(mx_call *c, int *nsp_out, int64_t *k, int64_t *s, int64_t *d, int64_t *p) {
    const mx_attr_val *kv = &c->attrs[A_KERNEL];
    if (kv->is_none || kv->n < 1 || kv->n > 3)
        return mxi_op_error(c, MX_ERR_INVALID, "kernel must have 1, 2 or 3 entries (got %d)", kv->is_none ? 0 : kv->n);
    int nsp = kv->n;
    for (int i = 0; i < 3; i++) k[i] = 1;
    for (int i = 0; i < nsp; i++) {
        if (kv->v[i] < 1) return mxi_op_error(c, MX_ERR_INVALID, "kernel entries must be >= 1");
        k[3 - nsp + i] = kv->v[i];
    }
    MXI_TRY(conv_spatial_attr(c, A_STRIDE, nsp, 1, 1, s));
    MXI_TRY(conv_spatial_attr(c, A_DILATE, nsp, 1, 1, d));
    MXI_TRY(conv_spatial_attr(c, A_PAD, nsp, 0, 0, p));
    const char *lay = c->attrs[A_LAYOUT].s;
    static const char *cf[] = {"NCW", "NCHW", "NCDHW"}, *cl[] = {"1-d channel-first only", "NHWC", "NDHWC"};
    if (strcmp(lay, "None") && strcmp(lay, cf[nsp - 1]) && strcmp(lay, cl[nsp - 1]))
        return mxi_op_error(c, MX_ERR_INVALID, "layout %s does not match a %d-d kernel (expected %s or %s)", lay, nsp,
                            cf[nsp - 1], cl[nsp - 1]);
    const mx_tensor_s *x = c->in[0];
    if (x->ndim != nsp + 2)
        return mxi_op_error(c, MX_ERR_INVALID, "data must be %d-d (%s) for a %d-d kernel", nsp + 2,
                            conv_cl(c) ? "batch, spatial dims, channel" : "batch, channel, spatial dims", nsp);
    MXI_TRY(mxi_require_same_dtype(c));
    *nsp_out = nsp;
    return MX_OK;
}

static int check_weight_bias(mx_call *c, const int64_t *wshape, int nsp, int64_t nbias) {
    const mx_tensor_s *w = c->in[1];
    int ok = w->ndim == nsp + 2;
    for (int i = 0; ok && i < nsp + 2; i++) ok = w->shape[i] == wshape[i];
    if (!ok) {
        char a[128];
        return mxi_op_error(c, MX_ERR_INVALID, "weight must have shape %s", mxi_shape_str(wshape, nsp + 2, a, sizeof a));
    }
    if (!c->attrs[A_NO_BIAS].i) {
        const mx_tensor_s *b = c->in[2];
        if (b->ndim != 1 || b->shape[0] != nbias)
            return mxi_op_error(c, MX_ERR_INVALID, "bias must have shape (%lld,)", (long long)nbias);
    }
    return MX_OK;
}

/* Convolution geometry from a call (data = in[0]). */
static int conv_geom_of(mx_call *c, conv_geom *g, int *nsp_out) {
    int nsp;
    MXI_TRY(parse_geom(c, &nsp, g->k, g->s, g->d, g->p));
    const mx_tensor_s *x = c->in[0];
    const int cl = conv_cl(c), sp0 = cl ? 1 : 2;
    g->N = x->shape[0];
    g->C = x->shape[cl ? nsp + 1 : 1];
    g->F = c->attrs[A_NUM_FILTER].i;
    g->G = c->attrs[A_NUM_GROUP].i;
    if (g->C % g->G || g->F % g->G)
        return mxi_op_error(c, MX_ERR_INVALID, "num_group %lld must divide the %lld input channels and num_filter %lld",
                            (long long)g->G, (long long)g->C, (long long)g->F);
    for (int i = 0; i < 3; i++) g->in[i] = 1;
    for (int i = 0; i < nsp; i++) g->in[3 - nsp + i] = x->shape[sp0 + i];
    for (int i = 0; i < 3; i++) {
        int64_t dk = g->d[i] * (g->k[i] - 1) + 1, padded = g->in[i] + 2 * g->p[i];
        if (dk > padded)
            return mxi_op_error(c, MX_ERR_INVALID, "dilated kernel size %lld exceeds padded input size %lld",
                                (long long)dk, (long long)padded);
        g->out[i] = (padded - dk) / g->s[i] + 1;
    }
    *nsp_out = nsp;
    return MX_OK;
}

/* (a, b, sp...) in the call's layout: channel-first as given, channel-last
 * (a, sp..., b) */
static void layout_shape(const mx_call *c, int64_t *out, int64_t a, int64_t b, const int64_t *sp3, int nsp) {
    const int cl = conv_cl(c);
    out[0] = a;
    out[cl ? nsp + 1 : 1] = b;
    for (int i = 0; i < nsp; i++) out[(cl ? 1 : 2) + i] = sp3[3 - nsp + i];
}

static int conv_infer(mx_call *c) {
    conv_geom g;
    int nsp;
    MXI_TRY(conv_geom_of(c, &g, &nsp));
    int64_t ws[5], os[5];
    layout_shape(c, ws, g.F, g.C / g.G, g.k, nsp);
    MXI_TRY(check_weight_bias(c, ws, nsp, g.F));
    layout_shape(c, os, g.N, g.F, g.out, nsp);
    mxi_set_out(c, 0, os, nsp + 2, c->in[0]->dtype);
    return MX_OK;
}

static int conv_cpu(mx_call *c) {
    conv_geom g;
    int nsp;
    MXI_TRY(conv_geom_of(c, &g, &nsp));
    if (conv_cl(c)) return mxi_run_channel_first(c, A_LAYOUT, nsp + 2, conv_cpu);
    int nb = c->attrs[A_NO_BIAS].i;
    if (c->in[0]->dtype == MX_FLOAT64)
        return conv_forward_f64(&g, MXI_PTR(double, c->in[0]), MXI_PTR(double, c->in[1]),
                                nb ? NULL : MXI_PTR(double, c->in[2]), MXI_PTR(double, c->out[0]));
    return conv_forward_f32(&g, MXI_PTR(float, c->in[0]), MXI_PTR(float, c->in[1]),
                            nb ? NULL : MXI_PTR(float, c->in[2]), MXI_PTR(float, c->out[0]));
}

/* _backward_Convolution: inputs (ograd, data, weight) -> (ddata, dweight, dbias) */
static int conv_bwd_infer(mx_call *c) {
    /* validate against the forward geometry using data (in[1]) */
    mx_tensor_s *saved[3] = {c->in[0], c->in[1], c->in[2]};
    int n_in = c->n_in;
    c->in[0] = saved[1];
    c->in[1] = saved[2];
    conv_geom g;
    int nsp, rc = conv_geom_of(c, &g, &nsp);
    c->in[0] = saved[0];
    c->in[1] = saved[1];
    c->n_in = n_in;
    MXI_TRY(rc);
    mxi_same_as_in(c, 0, 1);
    mxi_same_as_in(c, 1, 2);
    int64_t bs[1] = {g.F};
    mxi_set_out(c, 2, bs, 1, c->in[1]->dtype);
    return MX_OK;
}

static int conv_bwd_geom(mx_call *c, conv_geom *g) {
    mx_tensor_s *saved0 = c->in[0];
    c->in[0] = c->in[1];
    int nsp, rc = conv_geom_of(c, g, &nsp);
    c->in[0] = saved0;
    return rc;
}

static int conv_bwd_cpu(mx_call *c) {
    conv_geom g;
    MXI_TRY(conv_bwd_geom(c, &g));
    if (conv_cl(c)) return mxi_run_channel_first(c, A_LAYOUT, c->in[1]->ndim, conv_bwd_cpu);
    int m = grad_mask(c);
#define OUTP(TT, k) ((m >> (k)) & 1 ? MXI_PTR(TT, c->out[k]) : NULL)
    if (c->in[1]->dtype == MX_FLOAT64)
        return conv_backward_f64(&g, MXI_PTR(double, c->in[1]), MXI_PTR(double, c->in[2]), MXI_PTR(double, c->in[0]),
                                 OUTP(double, 0), OUTP(double, 1), OUTP(double, 2));
    return conv_backward_f32(&g, MXI_PTR(float, c->in[1]), MXI_PTR(float, c->in[2]), MXI_PTR(float, c->in[0]),
                             OUTP(float, 0), OUTP(float, 1), OUTP(float, 2));
}

static int conv_like_grad(mx_grad_ctx *g, const char *bwd) {
    char attrs[1024];
    MXI_TRY(mxi_attrs_string(g->call, attrs, sizeof attrs - 32));
    int nb = (int)g->call->attrs[A_NO_BIAS].i;
    int mask = (mxi_grad_needed(g, 0) ? 1 : 0) | (mxi_grad_needed(g, 1) ? 2 : 0) | (!nb && mxi_grad_needed(g, 2) ? 4 : 0);
    size_t n = strlen(attrs);
    snprintf(attrs + n, sizeof attrs - n, ";grad_mask=%d", mask);
    mx_tensor_s *in[3] = {g->ograd[0], g->in[0], g->in[1]};
    mx_tensor_s *out[3] = {0};
    MXI_TRY(mxi_call(bwd, in, 3, attrs, out, 3));
    for (int i = 0; i < 3; i++) {
        if ((mask >> i) & 1) g->igrad[i] = out[i];
        else mxi_tensor_release(out[i]);
    }
    return MX_OK;
}

/* "(a,b,c)" of the last n entries of v[3] (the spatial dims of an nsp-d conv). */
static const char *tuple_of(char *buf, size_t len, const int64_t *v, int n) {
    size_t k = (size_t)snprintf(buf, len, "(");
    for (int i = 3 - n; i < 3 && k < len; i++) k += (size_t)snprintf(buf + k, len - k, "%lld%s", (long long)v[i], i < 2 ? "," : ")");
    return buf;
}

/* "axes=(1,0,2,...)" for an nd-d tensor: swap batch and channel. */
static const char *swap01(char *buf, size_t len, int nd) {
    size_t k = (size_t)snprintf(buf, len, "axes=(1,0");
    for (int i = 2; i < nd && k < len; i++) k += (size_t)snprintf(buf + k, len - k, ",%d", i);
    snprintf(buf + k, len - k > 0 ? len - k : 0, ")");
    return buf;
}

/* dW of one group, (F, C, k...), from differentiable ops: Convolution(X^T,
 * dY^T) with stride and dilate swapped, cut to the kernel size and transposed
 * back (X^T: (C, N, spatial...)). NULL with the error set on failure. */
static mx_tensor_s *conv_weight_grad(mx_tensor_s *x, mx_tensor_s *dy, int nsp, const int64_t *k, const int64_t *s,
                                     const int64_t *d, const int64_t *p) {
    char a[512], sw[64], t1[64], t2[64], t3[64], t4[64], t5[64];
    int64_t dsp[3] = {1, 1, 1};
    for (int i = 0; i < nsp; i++) dsp[3 - nsp + i] = dy->shape[2 + i];
    swap01(sw, sizeof sw, nsp + 2);
    mx_tensor_s *xt = mxi_call1("transpose", sw, 1, x);
    mx_tensor_s *gt = mxi_chain1("transpose", sw, xt ? dy : NULL);
    snprintf(a, sizeof a, "kernel=%s;stride=%s;pad=%s;dilate=%s;num_filter=%lld;no_bias=True",
             tuple_of(t1, sizeof t1, dsp, nsp), tuple_of(t2, sizeof t2, d, nsp), tuple_of(t3, sizeof t3, p, nsp),
             tuple_of(t4, sizeof t4, s, nsp), (long long)dy->shape[1]);
    mx_tensor_s *cw = mxi_chain2("Convolution", a, xt, gt); /* (C, F, >= k...) */
    size_t n = (size_t)snprintf(a, sizeof a, "begin=(None,None");
    for (int i = 0; i < nsp; i++) n += (size_t)snprintf(a + n, sizeof a - n, ",0");
    snprintf(a + n, sizeof a - n, ");end=(None,None,%s", tuple_of(t5, sizeof t5, k, nsp) + 1);
    mx_tensor_s *sliced = mxi_chain1("slice", a, cw);
    mx_tensor_s *r = mxi_chain1("transpose", sw, sliced);
    mxi_tensor_release(xt);
    mxi_tensor_release(gt);
    mxi_tensor_release(cw);
    mxi_tensor_release(sliced);
    return r;
}

/* The Convolution gradient from differentiable ops (1-D/2-D/3-D, grouped),
 * for backward with create_graph (gradient penalties through conv nets):
 *   dX = Deconvolution(dY, W) with the conv's kernel/stride/pad/dilate/groups
 *        and the adj that gives back X's size,
 *   dW = per group, conv_weight_grad of the group's channels, concatenated,
 *   db = sum of dY over (N, spatial...). */
static int conv_grad_composed_cf(mx_grad_ctx *g) {
    mx_call *c = (mx_call *)g->call;
    int64_t k[3], s[3], d[3], p[3];
    int nsp;
    MXI_TRY(parse_geom(c, &nsp, k, s, d, p));
    const mx_tensor_s *x = g->in[0], *dy = g->ograd[0];
    const int64_t G = c->attrs[A_NUM_GROUP].i, C = x->shape[1], F = dy->shape[1];
    char a[512], t1[64], t2[64], t3[64], t4[64], t5[64];
    int rc = MX_OK;
    if (mxi_grad_needed(g, 0)) {
        int64_t adj[3] = {0, 0, 0};
        for (int i = 3 - nsp; i < 3; i++) {
            int64_t full = (dy->shape[2 + i - (3 - nsp)] - 1) * s[i] - 2 * p[i] + d[i] * (k[i] - 1) + 1;
            adj[i] = x->shape[2 + i - (3 - nsp)] - full;
        }
        snprintf(a, sizeof a, "kernel=%s;stride=%s;pad=%s;dilate=%s;adj=%s;num_filter=%lld;num_group=%lld;no_bias=True",
                 tuple_of(t1, sizeof t1, k, nsp), tuple_of(t2, sizeof t2, s, nsp), tuple_of(t3, sizeof t3, p, nsp),
                 tuple_of(t4, sizeof t4, d, nsp), tuple_of(t5, sizeof t5, adj, nsp), (long long)C, (long long)G);
        g->igrad[0] = mxi_call1("Deconvolution", a, 2, g->ograd[0], g->in[1]);
        if (!g->igrad[0]) rc = mx_last_error_code();
    }
    if (rc == MX_OK && mxi_grad_needed(g, 1)) {
        if (G == 1) {
            g->igrad[1] = conv_weight_grad(g->in[0], g->ograd[0], nsp, k, s, d, p);
        } else { /* each group's channels on their own, then stacked along the filters */
            mx_tensor_s *parts[64] = {0};
            if (G > 64) return mxi_error(MX_ERR_UNSUPPORTED, "Convolution: second-order gradient with more than 64 groups");
            for (int64_t i = 0; i < G; i++) {
                snprintf(a, sizeof a, "axis=1;begin=%lld;end=%lld", (long long)(i * C / G), (long long)((i + 1) * C / G));
                mx_tensor_s *xg = mxi_call1("slice_axis", a, 1, g->in[0]);
                snprintf(a, sizeof a, "axis=1;begin=%lld;end=%lld", (long long)(i * F / G), (long long)((i + 1) * F / G));
                mx_tensor_s *gg = mxi_chain1("slice_axis", a, xg ? g->ograd[0] : NULL);
                parts[i] = gg ? conv_weight_grad(xg, gg, nsp, k, s, d, p) : NULL;
                mxi_tensor_release(xg);
                mxi_tensor_release(gg);
                if (!parts[i]) break;
            }
            if (parts[G - 1]) {
                snprintf(a, sizeof a, "dim=0;num_args=%lld", (long long)G);
                g->igrad[1] = NULL;
                mx_tensor_s *out[1] = {0};
                if (mxi_call("concat", parts, (int)G, a, out, 1) == MX_OK) g->igrad[1] = out[0];
            }
            for (int64_t i = 0; i < G; i++) mxi_tensor_release(parts[i]);
        }
        if (!g->igrad[1]) rc = mx_last_error_code();
    }
    if (rc == MX_OK && !c->attrs[A_NO_BIAS].i && mxi_grad_needed(g, 2)) {
        size_t n = (size_t)snprintf(a, sizeof a, "axis=(0");
        for (int i = 0; i < nsp; i++) n += (size_t)snprintf(a + n, sizeof a - n, ",%d", 2 + i);
        snprintf(a + n, sizeof a - n, ")");
        g->igrad[2] = mxi_call1("sum", a, 1, g->ograd[0]);
        if (!g->igrad[2]) rc = mx_last_error_code();
    }
    return rc;
}

/* "axes=(0,nd-1,1,...,nd-2)": channel-last to channel-first; to_first = 0:
 * the inverse, "axes=(0,2,...,nd-1,1)" */
static const char *cl_axes(char *buf, size_t len, int nd, int to_first) {
    size_t k = (size_t)snprintf(buf, len, "axes=(0");
    if (to_first) k += (size_t)snprintf(buf + k, len - k, ",%d", nd - 1);
    for (int i = to_first ? 1 : 2; i < (to_first ? nd - 1 : nd) && k < len; i++)
        k += (size_t)snprintf(buf + k, len - k, ",%d", i);
    if (!to_first && k < len) k += (size_t)snprintf(buf + k, len - k, ",1");
    if (k < len) snprintf(buf + k, len - k, ")");
    return buf;
}

/* The composed gradient of a channel-last Convolution: the channel-first one
 * on transposed data, weight and head gradient (differentiable transposes),
 * its data and weight gradients transposed back. */
static int conv_grad_composed(mx_grad_ctx *g) {
    if (!conv_cl(g->call)) return conv_grad_composed_cf(g);
    char tf[64], tl[64];
    const int nd = g->in[0]->ndim;
    cl_axes(tf, sizeof tf, nd, 1);
    cl_axes(tl, sizeof tl, nd, 0);
    mx_tensor_s *in[3] = {mxi_call1("transpose", tf, 1, g->in[0]), NULL, g->call->attrs[A_NO_BIAS].i ? NULL : g->in[2]};
    in[1] = mxi_chain1("transpose", tf, in[0] ? g->in[1] : NULL);
    mx_tensor_s *dy = mxi_chain1("transpose", tf, in[1] ? g->ograd[0] : NULL), *ig[3] = {0};
    mx_grad_ctx h = *g;
    h.in = in;
    h.ograd = &dy;
    h.igrad = ig;
    int rc = dy ? conv_grad_composed_cf(&h) : mx_last_error_code();
    for (int i = 0; i < 2 && rc == MX_OK; i++) {
        if (!ig[i]) continue;
        g->igrad[i] = mxi_call1("transpose", tl, 1, ig[i]);
        if (!g->igrad[i]) rc = mx_last_error_code();
    }
    if (rc == MX_OK) g->igrad[2] = ig[2], ig[2] = NULL;
    mxi_tensors_release(ig, 3);
    mxi_tensors_release(in, 2);
    mxi_tensor_release(dy);
    return rc;
}

static int conv_grad(mx_grad_ctx *g) {
    if (mxi_ag_recording()) {
        int rc = conv_grad_composed(g);
        if (rc != MX_ERR_UNSUPPORTED) return rc;
    }
    return conv_like_grad(g, "_backward_Convolution");
}

/* ---- Deconvolution ---- */
/* Geometry of the equivalent convolution (from deconv output space to deconv
 * input space): conv in = deconv out, conv C = num_filter, conv F = deconv
 * input channels. Fills the deconv output spatial dims in `dout`. */
static int deconv_geom_of(mx_call *c, conv_geom *g, int *nsp_out) {
    int nsp;
    MXI_TRY(parse_geom(c, &nsp, g->k, g->s, g->d, g->p));
    const mx_tensor_s *x = c->in[0];
    int64_t adj[3];
    MXI_TRY(conv_spatial_attr(c, A_ADJ, nsp, 0, 0, adj));
    const mx_attr_val *tv = &c->attrs[A_TARGET];
    int have_target = !tv->is_none && tv->n > 0;
    if (have_target && tv->n != nsp)
        return mxi_op_error(c, MX_ERR_INVALID, "target_shape must have %d entries like kernel, got %d", nsp, tv->n);
    for (int i = 0; have_target && i < nsp; i++)
        if (tv->v[i] <= 0) have_target = 0; /* MXNet treats (0,0) as unset */
    const int cl = conv_cl(c);
    g->N = x->shape[0];
    g->F = x->shape[cl ? nsp + 1 : 1];
    g->C = c->attrs[A_NUM_FILTER].i;
    g->G = c->attrs[A_NUM_GROUP].i;
    if (g->C % g->G || g->F % g->G)
        return mxi_op_error(c, MX_ERR_INVALID, "num_group %lld must divide the %lld input channels and num_filter %lld",
                            (long long)g->G, (long long)g->F, (long long)g->C);
    for (int i = 0; i < 3; i++) g->out[i] = 1, g->in[i] = 1;
    for (int i = 0; i < nsp; i++) g->out[3 - nsp + i] = x->shape[(cl ? 1 : 2) + i];
    for (int i = 3 - nsp; i < 3; i++) {
        int64_t dk = g->d[i] * (g->k[i] - 1) + 1;
        if (have_target) {
            int64_t t = tv->v[i - (3 - nsp)];
            int64_t tot = g->s[i] * (g->out[i] - 1) + dk;
            if (tot < t)
                return mxi_op_error(c, MX_ERR_INVALID, "target_shape %lld is too big for this input and kernel",
                                    (long long)t);
            tot -= t;
            adj[i] = tot % 2;
            g->p[i] = (tot + 1) / 2;
        }
        if (adj[i] >= g->s[i] && adj[i] > 0 && !have_target)
            return mxi_op_error(c, MX_ERR_INVALID, "adj must be smaller than stride");
        g->in[i] = g->s[i] * (g->out[i] - 1) + dk - 2 * g->p[i] + adj[i];
        if (g->in[i] <= 0 && g->out[i] > 0)
            return mxi_op_error(c, MX_ERR_INVALID, "output size %lld is not positive (pad too large)",
                                (long long)g->in[i]);
        if (g->in[i] < 0) g->in[i] = 0;
    }
    *nsp_out = nsp;
    return MX_OK;
}

static int deconv_infer(mx_call *c) {
    conv_geom g;
    int nsp;
    MXI_TRY(deconv_geom_of(c, &g, &nsp));
    int64_t ws[5], os[5];
    layout_shape(c, ws, g.F, g.C / g.G, g.k, nsp);
    MXI_TRY(check_weight_bias(c, ws, nsp, g.C));
    layout_shape(c, os, g.N, g.C, g.in, nsp);
    mxi_set_out(c, 0, os, nsp + 2, c->in[0]->dtype);
    return MX_OK;
}

static int deconv_cpu(mx_call *c) {
    conv_geom g;
    int nsp;
    MXI_TRY(deconv_geom_of(c, &g, &nsp));
    if (conv_cl(c)) return mxi_run_channel_first(c, A_LAYOUT, nsp + 2, deconv_cpu);
    int nb = c->attrs[A_NO_BIAS].i;
    int64_t sp = g.in[0] * g.in[1] * g.in[2];
    if (c->in[0]->dtype == MX_FLOAT64) {
        double *y = MXI_PTR(double, c->out[0]);
        MXI_TRY(conv_backward_f64(&g, NULL, MXI_PTR(double, c->in[1]), MXI_PTR(double, c->in[0]), y, NULL, NULL));
        if (!nb) add_bias_f64(y, MXI_PTR(double, c->in[2]), g.N, g.C, sp);
    } else {
        float *y = MXI_PTR(float, c->out[0]);
        MXI_TRY(conv_backward_f32(&g, NULL, MXI_PTR(float, c->in[1]), MXI_PTR(float, c->in[0]), y, NULL, NULL));
        if (!nb) add_bias_f32(y, MXI_PTR(float, c->in[2]), g.N, g.C, sp);
    }
    return MX_OK;
}

/* _backward_Deconvolution: inputs (ograd, data, weight) -> (ddata, dweight, dbias) */
static int deconv_bwd_infer(mx_call *c) {
    mx_tensor_s *saved[2] = {c->in[0], c->in[1]};
    c->in[0] = saved[1];
    c->in[1] = c->in[2];
    conv_geom g;
    int nsp, rc = deconv_geom_of(c, &g, &nsp);
    c->in[0] = saved[0];
    c->in[1] = saved[1];
    MXI_TRY(rc);
    mxi_same_as_in(c, 0, 1);
    mxi_same_as_in(c, 1, 2);
    int64_t bs[1] = {g.C};
    mxi_set_out(c, 2, bs, 1, c->in[1]->dtype);
    return MX_OK;
}

static int deconv_bwd_cpu(mx_call *c) {
    mx_tensor_s *saved0 = c->in[0];
    c->in[0] = c->in[1];
    conv_geom g;
    int nsp, rc = deconv_geom_of(c, &g, &nsp);
    c->in[0] = saved0;
    MXI_TRY(rc);
    if (conv_cl(c)) return mxi_run_channel_first(c, A_LAYOUT, nsp + 2, deconv_bwd_cpu);
    int64_t sp = g.in[0] * g.in[1] * g.in[2];
    int m = grad_mask(c);
    /* dy (deconv output grad) is the conv's data; x (deconv input) the conv's output */
    if (c->in[1]->dtype == MX_FLOAT64) {
        const double *dy = MXI_PTR(double, c->in[0]), *x = MXI_PTR(double, c->in[1]), *w = MXI_PTR(double, c->in[2]);
        if (m & 1) MXI_TRY(conv_forward_f64(&g, dy, w, NULL, MXI_PTR(double, c->out[0])));
        if (m & 2) MXI_TRY(conv_backward_f64(&g, dy, w, x, NULL, MXI_PTR(double, c->out[1]), NULL));
        if (m & 4) channel_sum_f64(dy, g.N, g.C, sp, MXI_PTR(double, c->out[2]));
    } else {
        const float *dy = MXI_PTR(float, c->in[0]), *x = MXI_PTR(float, c->in[1]), *w = MXI_PTR(float, c->in[2]);
        if (m & 1) MXI_TRY(conv_forward_f32(&g, dy, w, NULL, MXI_PTR(float, c->out[0])));
        if (m & 2) MXI_TRY(conv_backward_f32(&g, dy, w, x, NULL, MXI_PTR(float, c->out[1]), NULL));
        if (m & 4) channel_sum_f32(dy, g.N, g.C, sp, MXI_PTR(float, c->out[2]));
    }
    return MX_OK;
}

static int deconv_grad(mx_grad_ctx *g) { return conv_like_grad(g, "_backward_Deconvolution"); }

#define NATTR(a) ((int)(sizeof a / sizeof a[0]))

/* weight and bias from the data (graph inference of unknown parameters):
 * Convolution (num_filter, C/num_group, kernel...), Deconvolution
 * (C, num_filter/num_group, kernel...), bias (num_filter,); channel-last
 * layouts put the second weight axis last. */
static int conv_param_shape(const mx_call *c, int slot, int64_t *shape, int *ndim, int *dtype) {
    const mx_attr_val *kv = &c->attrs[A_KERNEL]; /* the data may be checked later, by the op's infer */
    if (slot < 1 || slot > 2 || kv->is_none || kv->n < 1 || kv->n > 3 || c->in[0]->ndim != kv->n + 2) return 1;
    const int cl = conv_cl(c), nsp = kv->n;
    const int64_t F = c->attrs[A_NUM_FILTER].i, G = c->attrs[A_NUM_GROUP].i, C = c->in[0]->shape[cl ? nsp + 1 : 1];
    shape[0] = F;
    if (slot == 2) return (*ndim = 1, 0);
    int64_t k3[3] = {1, 1, 1};
    for (int i = 0; i < nsp; i++) k3[3 - nsp + i] = kv->v[i];
    if (strstr(c->op->name, "Deconvolution")) layout_shape(c, shape, C, F / G, k3, nsp);
    else layout_shape(c, shape, F, C / G, k3, nsp);
    *ndim = nsp + 2;
    return 0;
}

static const mx_op_def ops[] = {
    {.name = "Convolution", .aliases = "_npx_convolution,Convolution_v1",
     .doc = "Compute N-D (1-D/2-D/3-D) convolution on (N, C, ...) inputs with weight (num_filter, C/num_group, kernel...) "
            "and optional bias (num_filter,). Output spatial size: floor((x + 2*pad - dilate*(kernel-1) - 1)/stride) + 1.",
     .inputs = "data,weight,bias", .num_outputs = 1, .attrs = conv_attrs, .n_attrs = NATTR(conv_attrs),
     .num_inputs_fn = conv_num_inputs, .infer = conv_infer, .param_shape = conv_param_shape, .cpu = conv_cpu, .grad = conv_grad,
     .dtypes = MX_DT_FLOAT, .flags = MX_OPF_WRITES_ALL},
    {.name = "_backward_Convolution", .doc = "Gradients of Convolution w.r.t. data, weight and bias.",
     .inputs = "ograd,data,weight", .num_outputs = 3, .attrs = conv_bwd_attrs, .n_attrs = NATTR(conv_bwd_attrs),
     .infer = conv_bwd_infer, .cpu = conv_bwd_cpu, .dtypes = MX_DT_FLOAT, .flags = MX_OPF_INTERNAL},
    {.name = "Deconvolution", .aliases = "_npx_deconvolution",
     .doc = "Transposed convolution (the gradient of Convolution w.r.t. its data) on (N, C, ...) inputs with weight "
            "(C, num_filter/num_group, kernel...). Output size: stride*(x-1) + dilate*(kernel-1) + 1 - 2*pad + adj, or "
            "target_shape when given.",
     .inputs = "data,weight,bias", .num_outputs = 1, .attrs = deconv_attrs, .n_attrs = NATTR(deconv_attrs),
     .num_inputs_fn = conv_num_inputs, .infer = deconv_infer, .param_shape = conv_param_shape, .cpu = deconv_cpu, .grad = deconv_grad,
     .dtypes = MX_DT_FLOAT},
    {.name = "_backward_Deconvolution", .doc = "Gradients of Deconvolution w.r.t. data, weight and bias.",
     .inputs = "ograd,data,weight", .num_outputs = 3, .attrs = deconv_bwd_attrs, .n_attrs = NATTR(deconv_bwd_attrs),
     .infer = deconv_bwd_infer, .cpu = deconv_bwd_cpu, .dtypes = MX_DT_FLOAT, .flags = MX_OPF_INTERNAL},
};

void mxi_register_conv(void) {
    mxi_register_ops(ops, NATTR(ops));
    mxi_register_pooling();
    mxi_register_upsampling();
    mxi_register_detection();
    mxi_register_spatial_transformer();
    mxi_register_im2col();
    mxi_register_deformable_conv();
    mxi_register_correlation();
    mxi_register_deformable_psroi();
    mxi_register_rroi_align();
}

/* For upsampling.c: bilinear UpSampling is a depthwise Deconvolution with
 * kernel 2*scale - scale%2, stride scale, pad ceil((scale-1)/2). */
int mxi_conv_bilinear_upsample(const mx_tensor_s *x, const mx_tensor_s *w, mx_tensor_s *y, int64_t scale);
int mxi_conv_bilinear_upsample(const mx_tensor_s *x, const mx_tensor_s *w, mx_tensor_s *y, int64_t scale) {
    conv_geom g;
    memset(&g, 0, sizeof g);
    int64_t k = 2 * scale - scale % 2, p = (scale - 1 + 1) / 2;
    g.N = x->shape[0];
    g.F = x->shape[1];
    g.C = x->shape[1];
    g.G = x->shape[1];
    g.in[0] = g.out[0] = g.k[0] = g.s[0] = g.d[0] = 1;
    for (int i = 1; i < 3; i++) {
        g.k[i] = k, g.s[i] = scale, g.d[i] = 1, g.p[i] = p;
        g.out[i] = x->shape[1 + i];
        g.in[i] = y->shape[1 + i];
    }
    if (g.G == 0) return MX_OK;
    if (x->dtype == MX_FLOAT64)
        return conv_backward_f64(&g, NULL, MXI_PTR(double, w), MXI_PTR(double, x), MXI_PTR(double, y), NULL, NULL);
    return conv_backward_f32(&g, NULL, MXI_PTR(float, w), MXI_PTR(float, x), MXI_PTR(float, y), NULL, NULL);
}
