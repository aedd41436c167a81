/* pooling.c — Pooling (max/avg/sum/lp over 1-D/2-D/3-D windows, global
 * pooling, valid/full/same conventions) and its internal backward op. Part of
 * the "conv" family: registered from mxi_register_conv() in conv.c. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../../backends/cpu/cpu.h"
#include "../op.h"
#include "channel_last.h"

enum { POOL_MAX, POOL_AVG, POOL_SUM, POOL_LP };
enum { CONV_VALID, CONV_FULL, CONV_SAME };

typedef struct {
    int64_t planes;
    int64_t in[3], out[3], k[3], s[3], p[3];
    int type, count_include_pad;
    int64_t p_value;
} pool_geom;

/* max pooling over 2-D planes (or 1-D rows) where every window lies inside the
 * input: no padding and no clipped last window ('full' convention) */
static inline int pool_is_max2d_inside(const pool_geom *g) {
    return g->type == POOL_MAX && g->in[0] == 1 && g->k[0] == 1 && g->p[0] == 0 && g->p[1] == 0 && g->p[2] == 0 &&
           (g->out[1] - 1) * g->s[1] + g->k[1] <= g->in[1] && (g->out[2] - 1) * g->s[2] + g->k[2] <= g->in[2];
}

/* average or sum pooling whose one window is the whole unpadded plane
 * (global_pool, or a kernel equal to the input): a plain plane sum */
static inline int pool_is_global_sum(const pool_geom *g) {
    if (g->type != POOL_AVG && g->type != POOL_SUM) return 0;
    for (int i = 0; i < 3; i++)
        if (g->out[i] != 1 || g->p[i] != 0 || g->k[i] != g->in[i]) return 0;
    return 1;
}

#define T float
#define TI uint32_t /* T's bits */
#define SFX f32
#include "pooling_kernels.h"
#undef TI
#undef T
#undef SFX
#define T double
#define TI uint64_t
#define SFX f64
#include "pooling_kernels.h"
#undef TI
#undef T
#undef SFX

enum { P_KERNEL, P_POOL_TYPE, P_GLOBAL, P_CUDNN_OFF, P_CONVENTION, P_STRIDE, P_PAD, P_PVALUE, P_COUNT_PAD, P_LAYOUT };

static const mx_attr_spec pool_attrs[] = {
    {"kernel", MX_ATTR_SHAPE, "()", "Pooling window size: (w,), (h, w) or (d, h, w); ignored with global_pool."},
    {"pool_type", MX_ATTR_ENUM, "max", "Pooling type: max, avg, sum or lp (p-norm).", "max,avg,sum,lp"},
    {"global_pool", MX_ATTR_BOOL, "False", "Pool over the whole spatial extent (kernel, stride and pad ignored)."},
    {"cudnn_off", MX_ATTR_BOOL, "False", "Turn off cuDNN (accepted for compatibility, ignored)."},
    {"pooling_convention", MX_ATTR_ENUM, "valid",
     "Output size rule: valid (floor), full (ceil) or same (ceil(x/stride) with computed padding).", "valid,full,same"},
    {"stride", MX_ATTR_SHAPE, "()", "Stride per spatial dim; empty means 1."},
    {"pad", MX_ATTR_SHAPE, "()", "Padding per spatial dim (both sides); empty means 0."},
    {"p_value", MX_ATTR_OPT_INT, "None", "p of the lp pooling norm (default 2).", NULL, 1, 1, 1e9},
    {"count_include_pad", MX_ATTR_BOOL, "True",
     "avg pooling: count padded positions in the divisor (True) or only valid ones (False)."},
    {"layout", MX_ATTR_ENUM, "None",
     "Data layout: channel-first NCW, NCHW, NCDHW (None: NC followed by the spatial dims) or channel-last NWC, NHWC, "
     "NDHWC.", "None,NCW,NCHW,NCDHW,NWC,NHWC,NDHWC"},
};

/* channel-last (NWC, NHWC, NDHWC): data (N, spatial..., C); the CPU kernels
 * run on channel-first copies (channel_last.h) */
static int pool_cl(const mx_call *c) { return mxi_layout_channel_last(c->attrs[P_LAYOUT].s); }

static int pool_geom_of(mx_call *c, const mx_tensor_s *x, pool_geom *g) {
    if (x->ndim < 3 || x->ndim > 5)
        return mxi_op_error(c, MX_ERR_INVALID, "data must be 3-d, 4-d or 5-d (N, C, spatial...), got %d-d", x->ndim);
    const char *lay = c->attrs[P_LAYOUT].s;
    static const char *cf[] = {"NCW", "NCHW", "NCDHW"}, *clay[] = {"NWC", "NHWC", "NDHWC"};
    int nsp = x->ndim - 2, glob = (int)c->attrs[P_GLOBAL].i, cl = pool_cl(c);
    if (strcmp(lay, "None") && strcmp(lay, cf[nsp - 1]) && strcmp(lay, clay[nsp - 1]))
        return mxi_op_error(c, MX_ERR_INVALID, "layout %s does not fit %d-d data (expected %s or %s)", lay, x->ndim,
                            cf[nsp - 1], clay[nsp - 1]);
    g->planes = x->shape[0] * x->shape[cl ? x->ndim - 1 : 1];
    g->type = (int)c->attrs[P_POOL_TYPE].i;
    g->count_include_pad = (int)c->attrs[P_COUNT_PAD].i;
    g->p_value = c->attrs[P_PVALUE].is_none ? 2 : c->attrs[P_PVALUE].i;
    for (int i = 0; i < 3; i++) g->in[i] = g->out[i] = g->k[i] = g->s[i] = 1, g->p[i] = 0;
    for (int i = 0; i < nsp; i++) g->in[3 - nsp + i] = x->shape[(cl ? 1 : 2) + i];
    if (glob) {
        for (int i = 0; i < 3; i++) g->k[i] = g->in[i], g->out[i] = 1;
        return MX_OK;
    }
    const mx_attr_val *kv = &c->attrs[P_KERNEL], *sv = &c->attrs[P_STRIDE], *pv = &c->attrs[P_PAD];
    if (kv->is_none || kv->n != nsp)
        return mxi_op_error(c, MX_ERR_INVALID, "kernel must have %d entries for %d-d data (got %d)", nsp, x->ndim,
                            kv->is_none ? 0 : kv->n);
    /* MXNet reads the first nsp entries of a longer stride/pad (e.g. pad=(0,0,0) with a 1-d kernel) */
    if (!sv->is_none && sv->n && sv->n < nsp)
        return mxi_op_error(c, MX_ERR_INVALID, "stride must have %d entries like kernel, got %d", nsp, sv->n);
    if (!pv->is_none && pv->n && pv->n < nsp)
        return mxi_op_error(c, MX_ERR_INVALID, "pad must have %d entries like kernel, got %d", nsp, pv->n);
    for (int i = 0; i < nsp; i++) {
        int j = 3 - nsp + i;
        g->k[j] = kv->v[i];
        if (!sv->is_none && sv->n) g->s[j] = sv->v[i];
        if (!pv->is_none && pv->n) g->p[j] = pv->v[i];
        if (g->k[j] < 1 || g->s[j] < 1 || g->p[j] < 0)
            return mxi_op_error(c, MX_ERR_INVALID, "kernel and stride must be >= 1 and pad >= 0");
    }
    int conv = (int)c->attrs[P_CONVENTION].i;
    for (int j = 3 - nsp; j < 3; j++) {
        int64_t padded = g->in[j] + 2 * g->p[j];
        if (conv == CONV_SAME) {
            if (g->p[j])
                return mxi_op_error(c, MX_ERR_INVALID, "pooling_convention='same' computes its own padding; "
                                    "expected pad 0, got %lld", (long long)g->p[j]);
            g->out[j] = (g->in[j] + g->s[j] - 1) / g->s[j];
            int64_t tot = (g->out[j] - 1) * g->s[j] + g->k[j] - g->in[j];
            g->p[j] = tot > 0 ? tot / 2 : 0;
            continue;
        }
        if (g->k[j] > padded)
            return mxi_op_error(c, MX_ERR_INVALID, "kernel size %lld exceeds padded input size %lld", (long long)g->k[j],
                                (long long)padded);
        int64_t r = padded - g->k[j];
        g->out[j] = 1 + (conv == CONV_FULL ? (r + g->s[j] - 1) / g->s[j] : r / g->s[j]);
    }
    return MX_OK;
}

/* the pooled shape of data x: its spatial dims replaced by g's output dims */
static void pooled_shape(const mx_call *c, const mx_tensor_s *x, const pool_geom *g, int64_t *os) {
    const int nd = x->ndim, nsp = nd - 2, sp0 = pool_cl(c) ? 1 : 2;
    memcpy(os, x->shape, sizeof(int64_t) * (size_t)nd);
    for (int i = 0; i < nsp; i++) os[sp0 + i] = g->out[3 - nsp + i];
}

static int pool_infer(mx_call *c) {
    pool_geom g;
    MXI_TRY(pool_geom_of(c, c->in[0], &g));
    int64_t os[5];
    pooled_shape(c, c->in[0], &g, os);
    mxi_set_out(c, 0, os, c->in[0]->ndim, c->in[0]->dtype);
    return MX_OK;
}

static int64_t pool_grain(const pool_geom *g) {
    int64_t per = g->out[0] * g->out[1] * g->out[2] * g->k[0] * g->k[1] * g->k[2];
    int64_t gr = 32768 / (per > 0 ? per : 1);
    return gr < 1 ? 1 : gr;
}

static int pool_cpu(mx_call *c) {
    pool_geom g;
    MXI_TRY(pool_geom_of(c, c->in[0], &g));
    if (pool_cl(c)) return mxi_run_channel_first(c, P_LAYOUT, c->in[0]->ndim, pool_cpu);
    if (c->in[0]->dtype == MX_FLOAT64) {
        pool_job_f64 j = {.g = &g, .x = MXI_PTR(double, c->in[0]), .out = MXI_PTR(double, c->out[0])};
        mxi_parallel_for(g.planes, pool_grain(&g), pool_fwd_range_f64, &j);
    } else {
        pool_job_f32 j = {.g = &g, .x = MXI_PTR(float, c->in[0]), .out = MXI_PTR(float, c->out[0])};
        mxi_parallel_for(g.planes, pool_grain(&g), pool_fwd_range_f32, &j);
    }
    return MX_OK;
}

/* _backward_Pooling: (ograd, data, output) -> ddata */
static int pool_bwd_infer(mx_call *c) {
    pool_geom g;
    MXI_TRY(pool_geom_of(c, c->in[1], &g));
    mxi_same_as_in(c, 0, 1);
    return MX_OK;
}

static int pool_bwd_cpu(mx_call *c) {
    pool_geom g;
    MXI_TRY(pool_geom_of(c, c->in[1], &g));
    if (pool_cl(c)) return mxi_run_channel_first(c, P_LAYOUT, c->in[1]->ndim, pool_bwd_cpu);
    if (c->in[1]->dtype == MX_FLOAT64) {
        pool_job_f64 j = {.g = &g, .dy = MXI_PTR(double, c->in[0]), .x = MXI_PTR(double, c->in[1]),
                          .y = MXI_PTR(double, c->in[2]), .out = MXI_PTR(double, c->out[0])};
        mxi_parallel_for(g.planes, pool_grain(&g), pool_bwd_range_f64, &j);
    } else {
        pool_job_f32 j = {.g = &g, .dy = MXI_PTR(float, c->in[0]), .x = MXI_PTR(float, c->in[1]),
                          .y = MXI_PTR(float, c->in[2]), .out = MXI_PTR(float, c->out[0])};
        mxi_parallel_for(g.planes, pool_grain(&g), pool_bwd_range_f32, &j);
    }
    return MX_OK;
}

static int pool_grad(mx_grad_ctx *g) {
    char attrs[1024];
    MXI_TRY(mxi_attrs_string(g->call, attrs, sizeof attrs));
    mx_tensor_s *in[3] = {g->ograd[0], g->in[0], g->out[0]};
    mx_tensor_s *out[1] = {0};
    MXI_TRY(mxi_call("_backward_Pooling", in, 3, attrs, out, 1));
    g->igrad[0] = out[0];
    return MX_OK;
}

/* Gradient of _backward_Pooling itself (second derivatives through pooling,
 * e.g. gradient penalties). The backward is linear in ograd and piecewise
 * constant in data, so only ograd gets a gradient: for avg/sum pooling the
 * adjoint of the backward is the pooling itself; for max pooling it picks the
 * incoming gradient at each window's argmax (_pool_max_pick), overlapping
 * windows included. */
static int pool_bwd_grad(mx_grad_ctx *g) {
    if (!mxi_grad_needed(g, 0)) return MX_OK;
    pool_geom geo;
    MXI_TRY(pool_geom_of((mx_call *)g->call, g->call->in[1], &geo));
    if (geo.type == POOL_LP)
        return mxi_error(MX_ERR_UNSUPPORTED, "_backward_Pooling: second-order gradient of lp pooling is not implemented");
    char attrs[1024];
    MXI_TRY(mxi_attrs_string(g->call, attrs, sizeof attrs));
    if (geo.type == POOL_MAX) g->igrad[0] = mxi_call1("_pool_max_pick", attrs, 2, g->ograd[0], g->in[1]);
    else g->igrad[0] = mxi_call1("Pooling", attrs, 1, g->ograd[0]);
    return g->igrad[0] ? MX_OK : mx_last_error_code();
}

/* _pool_max_pick: (h, data) -> h at each max-pooling window's argmax */
static int pick_infer(mx_call *c) {
    pool_geom g;
    MXI_TRY(pool_geom_of(c, c->in[1], &g));
    if (g.type != POOL_MAX) return mxi_op_error(c, MX_ERR_INVALID, "pool_type must be max");
    if (c->in[0]->ndim != c->in[1]->ndim ||
        memcmp(c->in[0]->shape, c->in[1]->shape, sizeof(int64_t) * (size_t)c->in[1]->ndim))
        return mxi_op_error(c, MX_ERR_INVALID, "h must have data's shape");
    int64_t os[5];
    pooled_shape(c, c->in[1], &g, os);
    MXI_TRY(mxi_require_same_dtype(c));
    mxi_set_out(c, 0, os, c->in[1]->ndim, c->in[1]->dtype);
    return MX_OK;
}

static int pick_cpu(mx_call *c) {
    pool_geom g;
    MXI_TRY(pool_geom_of(c, c->in[1], &g));
    if (pool_cl(c)) return mxi_run_channel_first(c, P_LAYOUT, c->in[1]->ndim, pick_cpu);
    if (c->in[1]->dtype == MX_FLOAT64) {
        pool_job_f64 j = {.g = &g, .x = MXI_PTR(double, c->in[1]), .dy = MXI_PTR(double, c->in[0]),
                          .out = MXI_PTR(double, c->out[0])};
        mxi_parallel_for(g.planes, pool_grain(&g), pool_pick_range_f64, &j);
    } else {
        pool_job_f32 j = {.g = &g, .x = MXI_PTR(float, c->in[1]), .dy = MXI_PTR(float, c->in[0]),
                          .out = MXI_PTR(float, c->out[0])};
        mxi_parallel_for(g.planes, pool_grain(&g), pool_pick_range_f32, &j);
    }
    return MX_OK;
}

/* The pick is linear in h; its adjoint is max pooling's backward (third
 * derivatives). _backward_Pooling reads `output` only for avg/lp, so the
 * pick's own output stands in for it. */
static int pick_grad(mx_grad_ctx *g) {
    if (!mxi_grad_needed(g, 0)) return MX_OK;
    char attrs[1024];
    MXI_TRY(mxi_attrs_string(g->call, attrs, sizeof attrs));
    mx_tensor_s *in[3] = {g->ograd[0], g->in[1], g->out[0]};
    mx_tensor_s *out[1] = {0};
    MXI_TRY(mxi_call("_backward_Pooling", in, 3, attrs, out, 1));
    g->igrad[0] = out[0];
    return MX_OK;
}

/* ---- _contrib_AdaptiveAvgPooling2D: output_size bins, bin i over rows
 * [floor(i H / oh), ceil((i + 1) H / oh)) (and the same for columns) ---- */
enum { AP_SIZE };
static const mx_attr_spec ap_attrs[] = {
    {"output_size", MX_ATTR_SHAPE, "()", "Output (h, w); one value (or an int) means square; empty means (1, 1)."},
};

static int ap_size(const mx_call *c, const mx_tensor_s *x, int64_t *oh, int64_t *ow) {
    if (x->ndim != 4) return mxi_op_error(c, MX_ERR_INVALID, "data must be 4-d (N, C, H, W), got %d-d", x->ndim);
    const mx_attr_val *a = &c->attrs[AP_SIZE];
    if (a->is_none || a->n == 0) *oh = *ow = 1;
    else if (a->n == 1) *oh = *ow = a->v[0];
    else if (a->n == 2) *oh = a->v[0], *ow = a->v[1];
    else return mxi_op_error(c, MX_ERR_INVALID, "output_size must have 1 or 2 values, got %d", a->n);
    if (*oh < 1 || *ow < 1) return mxi_op_error(c, MX_ERR_INVALID, "output_size must be positive");
    return MX_OK;
}

static int ap_infer(mx_call *c) {
    int64_t oh = 0, ow = 0;
    MXI_TRY(ap_size(c, c->in[0], &oh, &ow));
    int64_t os[4] = {c->in[0]->shape[0], c->in[0]->shape[1], oh, ow};
    mxi_set_out(c, 0, os, 4, c->in[0]->dtype);
    return MX_OK;
}

/* forward (bw = 0: y = bin means of x) or backward (bw = 1: x += g / count over each bin) */
static void ap_run(const mx_tensor_s *x, mx_tensor_s *xo, const mx_tensor_s *g, mx_tensor_s *y, int64_t oh, int64_t ow,
                   int bw) {
    const int64_t P = x->shape[0] * x->shape[1], H = x->shape[2], W = x->shape[3];
    const int f64 = x->dtype == MX_FLOAT64;
    for (int64_t p = 0; p < P; p++)
        for (int64_t i = 0; i < oh; i++) {
            const int64_t h0 = i * H / oh, h1 = ((i + 1) * H + oh - 1) / oh;
            for (int64_t j = 0; j < ow; j++) {
                const int64_t w0 = j * W / ow, w1 = ((j + 1) * W + ow - 1) / ow, o = (p * oh + i) * ow + j;
                const double cnt = (double)((h1 - h0) * (w1 - w0));
                if (bw) {
                    const double v = (f64 ? MXI_PTR(double, g)[o] : MXI_PTR(float, g)[o]) / cnt;
                    for (int64_t h = h0; h < h1; h++)
                        for (int64_t w = w0; w < w1; w++) {
                            const int64_t k = (p * H + h) * W + w;
                            if (f64) MXI_PTR(double, xo)[k] += v;
                            else MXI_PTR(float, xo)[k] += (float)v;
                        }
                    continue;
                }
                double acc = 0;
                for (int64_t h = h0; h < h1; h++)
                    for (int64_t w = w0; w < w1; w++) {
                        const int64_t k = (p * H + h) * W + w;
                        acc += f64 ? MXI_PTR(double, x)[k] : MXI_PTR(float, x)[k];
                    }
                if (f64) MXI_PTR(double, y)[o] = acc / cnt;
                else MXI_PTR(float, y)[o] = (float)(acc / cnt);
            }
        }
}

static int ap_cpu(mx_call *c) {
    int64_t oh = 0, ow = 0;
    MXI_TRY(ap_size(c, c->in[0], &oh, &ow));
    ap_run(c->in[0], NULL, NULL, c->out[0], oh, ow, 0);
    return MX_OK;
}

/* _backward_contrib_AdaptiveAvgPooling2D(ograd, data) -> ddata */
static int apb_infer(mx_call *c) {
    mxi_same_as_in(c, 0, 1);
    return MX_OK;
}

static int apb_cpu(mx_call *c) {
    int64_t oh = 0, ow = 0;
    MXI_TRY(ap_size(c, c->in[1], &oh, &ow));
    ap_run(c->in[1], c->out[0], c->in[0], NULL, oh, ow, 1);
    return MX_OK;
}

static int ap_grad(mx_grad_ctx *g) {
    char attrs[256];
    MXI_TRY(mxi_attrs_string(g->call, attrs, sizeof attrs));
    g->igrad[0] = mxi_call1("_backward_contrib_AdaptiveAvgPooling2D", attrs, 2, g->ograd[0], g->in[0]);
    return g->igrad[0] ? MX_OK : mx_last_error_code();
}

static const mx_op_def pool_ops[] = {
    {.name = "_contrib_AdaptiveAvgPooling2D", .doc = "Average pooling to a fixed output size (h, w) whatever the "
                                                    "input size (bins as PyTorch's adaptive_avg_pool2d).",
     .inputs = "data", .num_outputs = 1, .attrs = ap_attrs, .n_attrs = 1, .infer = ap_infer, .cpu = ap_cpu,
     .grad = ap_grad, .dtypes = MX_DT_FLOAT, .flags = MX_OPF_WRITES_ALL},
    {.name = "_backward_contrib_AdaptiveAvgPooling2D", .doc = "Gradient of AdaptiveAvgPooling2D.",
     .inputs = "ograd,data", .num_outputs = 1, .attrs = ap_attrs, .n_attrs = 1, .infer = apb_infer, .cpu = apb_cpu,
     .dtypes = MX_DT_FLOAT, .flags = MX_OPF_INTERNAL},
    {.name = "Pooling", .aliases = "_npx_pooling,Pooling_v1",
     .doc = "Pooling over 1-D/2-D/3-D windows of (N, C, spatial...) data: max, avg, sum or lp-norm, with optional "
            "global pooling and valid/full/same output size conventions.",
     .inputs = "data", .num_outputs = 1, .attrs = pool_attrs, .n_attrs = (int)(sizeof pool_attrs / sizeof pool_attrs[0]),
     .infer = pool_infer, .cpu = pool_cpu, .grad = pool_grad, .dtypes = MX_DT_FLOAT, .flags = MX_OPF_WRITES_ALL},
    {.name = "_backward_Pooling", .doc = "Gradient of Pooling w.r.t. its data (max: routed to the window's argmax).",
     .inputs = "ograd,data,output", .num_outputs = 1, .attrs = pool_attrs,
     .n_attrs = (int)(sizeof pool_attrs / sizeof pool_attrs[0]), .infer = pool_bwd_infer, .cpu = pool_bwd_cpu,
     .grad = pool_bwd_grad, .dtypes = MX_DT_FLOAT, .flags = MX_OPF_INTERNAL | MX_OPF_WRITES_ALL},
    {.name = "_pool_max_pick", .doc = "h (shaped like data) at each max-pooling window's argmax in data: the adjoint of "
                                      "max pooling's backward, for second-order gradients.",
     .inputs = "h,data", .num_outputs = 1, .attrs = pool_attrs, .n_attrs = (int)(sizeof pool_attrs / sizeof pool_attrs[0]),
     .infer = pick_infer, .cpu = pick_cpu, .grad = pick_grad, .dtypes = MX_DT_FLOAT,
     .flags = MX_OPF_INTERNAL | MX_OPF_WRITES_ALL},
};

void mxi_register_pooling(void);
void mxi_register_pooling(void) { mxi_register_ops(pool_ops, (int)(sizeof pool_ops / sizeof pool_ops[0])); }
