/* upsampling.c — UpSampling (nearest with 1..N inputs, bilinear through a
 * depthwise deconvolution) and BilinearResize2D, with internal backward ops.
 * Part of the "conv" family: registered from mxi_register_conv() in conv.c. */
#include <math.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "../../backends/cpu/cpu.h"
#include "../op.h"

int mxi_conv_bilinear_upsample(const mx_tensor_s *x, const mx_tensor_s *w, mx_tensor_s *y, int64_t scale);

enum { U_SCALE, U_NUM_FILTER, U_SAMPLE_TYPE, U_MULTI_MODE, U_NUM_ARGS, U_WORKSPACE };
enum { UP_NEAREST, UP_BILINEAR };
enum { UP_CONCAT, UP_SUM };

static const mx_attr_spec up_attrs[] = {
    {"scale", MX_ATTR_INT, NULL, "Up-sampling scale (output = scale * input spatial size).", NULL, 1, 1, 1e9},
    {"num_filter", MX_ATTR_INT, "0", "Input channels; used by bilinear up-sampling only (informational here).", NULL,
     1, 0, 1e15},
    {"sample_type", MX_ATTR_ENUM, NULL, "nearest or bilinear up-sampling.", "nearest,bilinear"},
    {"multi_input_mode", MX_ATTR_ENUM, "concat",
     "How several nearest inputs are combined: concat (along channels) or sum.", "concat,sum"},
    {"num_args", MX_ATTR_INT, NULL,
     "Number of inputs: 1..N for nearest (all up-sampled to scale * the first input's size); 2 (data, weight) for "
     "bilinear.", NULL, 1, 1, 500},
    {"workspace", MX_ATTR_INT, "512", "Workspace limit in MB (accepted for compatibility, ignored).", NULL, 1, 0, 1e15},
};

/* Nearest: per-input scale so that every input reaches the first input's size * scale. */
static int up_check(const mx_call *c, mx_tensor_s *const *in, int n, int64_t *os) {
    int64_t scale = c->attrs[U_SCALE].i;
    for (int i = 0; i < n; i++)
        if (in[i]->ndim != 4)
            return mxi_op_error(c, MX_ERR_INVALID, "inputs must be 4-d (N, C, H, W); input %d is %d-d", i, in[i]->ndim);
    const mx_tensor_s *x = in[0];
    os[0] = x->shape[0];
    os[1] = 0;
    os[2] = x->shape[2] * scale;
    os[3] = x->shape[3] * scale;
    if (c->attrs[U_SAMPLE_TYPE].i == UP_BILINEAR) {
        if (n != 2) return mxi_op_error(c, MX_ERR_INVALID, "bilinear up-sampling takes 2 inputs (data, weight)");
        int64_t k = 2 * scale - scale % 2;
        const mx_tensor_s *w = in[1];
        if (w->ndim != 4 || w->shape[0] != x->shape[1] || w->shape[1] != 1 || w->shape[2] != k || w->shape[3] != k)
            return mxi_op_error(c, MX_ERR_INVALID, "bilinear weight must have shape (%lld,1,%lld,%lld)",
                                (long long)x->shape[1], (long long)k, (long long)k);
        os[1] = x->shape[1];
        return MX_OK;
    }
    int sum = c->attrs[U_MULTI_MODE].i == UP_SUM;
    for (int i = 0; i < n; i++) {
        const mx_tensor_s *t = in[i];
        if (t->shape[0] != x->shape[0] || t->shape[2] == 0 || t->shape[3] == 0 || os[2] % t->shape[2] ||
            os[3] % t->shape[3] || os[2] / t->shape[2] != os[3] / t->shape[3])
            return mxi_op_error(c, MX_ERR_INVALID,
                                "input %d cannot be up-sampled to %lldx%lld by an integer scale (same batch needed)", i,
                                (long long)os[2], (long long)os[3]);
        if (sum && t->shape[1] != x->shape[1])
            return mxi_op_error(c, MX_ERR_INVALID, "multi_input_mode=sum needs equal channel counts");
        os[1] = sum ? x->shape[1] : os[1] + t->shape[1];
    }
    return MX_OK;
}

static int up_infer(mx_call *c) {
    MXI_TRY(mxi_require_same_dtype(c));
    int64_t os[4];
    MXI_TRY(up_check(c, c->in, c->n_in, os));
    mxi_set_out(c, 0, os, 4, c->in[0]->dtype);
    return MX_OK;
}

#define UP_NEAREST_KERNELS(SUF, TT)                                                                                 \
    static void up_fwd_##SUF(const TT *x, int64_t N, int64_t C, int64_t H, int64_t W, int64_t s, TT *y,             \
                             int64_t YC, int64_t coff, int acc) {                                                    \
        const int64_t OH = H * s, OW = W * s;                                                                        \
        for (int64_t n = 0; n < N; n++)                                                                              \
            for (int64_t ch = 0; ch < C; ch++) {                                                                     \
                const TT *xp = x + (n * C + ch) * H * W;                                                             \
                TT *yp = y + (n * YC + coff + ch) * OH * OW;                                                         \
                for (int64_t oh = 0; oh < OH; oh++) {                                                                \
                    const TT *xr = xp + (oh / s) * W;                                                                \
                    TT *yr = yp + oh * OW;                                                                           \
                    if (acc)                                                                                         \
                        for (int64_t ow = 0; ow < OW; ow++) yr[ow] += xr[ow / s];                                    \
                    else                                                                                             \
                        for (int64_t ow = 0; ow < OW; ow++) yr[ow] = xr[ow / s];                                     \
                }                                                                                                    \
            }                                                                                                        \
    }                                                                                                                \
    static void up_bwd_##SUF(const TT *dy, int64_t N, int64_t C, int64_t H, int64_t W, int64_t s, TT *dx,          \
                             int64_t YC, int64_t coff) {                                                             \
        const int64_t OH = H * s, OW = W * s;                                                                        \
        for (int64_t n = 0; n < N; n++)                                                                              \
            for (int64_t ch = 0; ch < C; ch++) {                                                                     \
                TT *xp = dx + (n * C + ch) * H * W;                                                                  \
                const TT *yp = dy + (n * YC + coff + ch) * OH * OW;                                                  \
                for (int64_t oh = 0; oh < OH; oh++) {                                                                \
                    TT *xr = xp + (oh / s) * W;                                                                      \
                    const TT *yr = yp + oh * OW;                                                                     \
                    for (int64_t ow = 0; ow < OW; ow++) xr[ow / s] += yr[ow];                                        \
                }                                                                                                    \
            }                                                                                                        \
    }
UP_NEAREST_KERNELS(f32, float)
UP_NEAREST_KERNELS(f64, double)

static int up_cpu(mx_call *c) {
    int64_t os[4];
    MXI_TRY(up_check(c, c->in, c->n_in, os));
    if (c->attrs[U_SAMPLE_TYPE].i == UP_BILINEAR)
        return mxi_conv_bilinear_upsample(c->in[0], c->in[1], c->out[0], c->attrs[U_SCALE].i);
    int sum = c->attrs[U_MULTI_MODE].i == UP_SUM;
    int64_t coff = 0;
    for (int i = 0; i < c->n_in; i++) {
        const mx_tensor_s *t = c->in[i];
        int64_t s = os[2] / t->shape[2];
        if (t->dtype == MX_FLOAT64)
            up_fwd_f64(MXI_PTR(double, t), t->shape[0], t->shape[1], t->shape[2], t->shape[3], s,
                       MXI_PTR(double, c->out[0]), os[1], coff, sum);
        else
            up_fwd_f32(MXI_PTR(float, t), t->shape[0], t->shape[1], t->shape[2], t->shape[3], s,
                       MXI_PTR(float, c->out[0]), os[1], coff, sum);
        if (!sum) coff += t->shape[1];
    }
    return MX_OK;
}

/* _backward_UpSampling (nearest): (ograd, data...) -> ddata... */
static int up_bwd_num_inputs(const mx_call *c) { return (int)c->attrs[U_NUM_ARGS].i + 1; }
static int up_bwd_num_outputs(const mx_call *c) { return (int)c->attrs[U_NUM_ARGS].i; }

static int up_bwd_infer(mx_call *c) {
    int64_t os[4];
    MXI_TRY(up_check(c, c->in + 1, c->n_in - 1, os));
    for (int i = 1; i < c->n_in; i++) mxi_same_as_in(c, i - 1, i);
    return MX_OK;
}

static int up_bwd_cpu(mx_call *c) {
    int64_t os[4];
    MXI_TRY(up_check(c, c->in + 1, c->n_in - 1, os));
    int sum = c->attrs[U_MULTI_MODE].i == UP_SUM;
    int64_t coff = 0;
    for (int i = 1; i < c->n_in; i++) {
        const mx_tensor_s *t = c->in[i];
        int64_t s = os[2] / t->shape[2];
        if (t->dtype == MX_FLOAT64)
            up_bwd_f64(MXI_PTR(double, c->in[0]), t->shape[0], t->shape[1], t->shape[2], t->shape[3], s,
                       MXI_PTR(double, c->out[i - 1]), os[1], coff);
        else
            up_bwd_f32(MXI_PTR(float, c->in[0]), t->shape[0], t->shape[1], t->shape[2], t->shape[3], s,
                       MXI_PTR(float, c->out[i - 1]), os[1], coff);
        if (!sum) coff += t->shape[1];
    }
    return MX_OK;
}

static int up_grad(mx_grad_ctx *g) {
    const mx_call *c = g->call;
    char attrs[1024];
    if (c->attrs[U_SAMPLE_TYPE].i == UP_BILINEAR) {
        int64_t s = c->attrs[U_SCALE].i, k = 2 * s - s % 2, p = s / 2;
        snprintf(attrs, sizeof attrs, "kernel=(%lld,%lld);stride=(%lld,%lld);pad=(%lld,%lld);num_filter=%lld;num_group=%lld;no_bias=True",
                 (long long)k, (long long)k, (long long)s, (long long)s, (long long)p, (long long)p,
                 (long long)g->in[0]->shape[1], (long long)g->in[0]->shape[1]);
        mx_tensor_s *in[3] = {g->ograd[0], g->in[0], g->in[1]}, *out[3] = {0};
        MXI_TRY(mxi_call("_backward_Deconvolution", in, 3, attrs, out, 3));
        g->igrad[0] = out[0];
        g->igrad[1] = out[1];
        mxi_tensor_release(out[2]);
        return MX_OK;
    }
    MXI_TRY(mxi_attrs_string(c, attrs, sizeof attrs));
    mx_tensor_s *in[MX_MAX_INPUTS];
    in[0] = g->ograd[0];
    for (int i = 0; i < c->n_in; i++) in[i + 1] = g->in[i];
    return mxi_call("_backward_UpSampling", in, c->n_in + 1, attrs, g->igrad, c->n_in);
}

/* ---- BilinearResize2D ---- */
enum { B_HEIGHT, B_WIDTH, B_SCALE_H, B_SCALE_W, B_MODE, B_ALIGN };
enum { BM_SIZE, BM_ODD_SCALE, BM_LIKE, BM_TO_EVEN_DOWN, BM_TO_EVEN_UP, BM_TO_ODD_DOWN, BM_TO_ODD_UP };

static const mx_attr_spec bil_attrs[] = {
    {"height", MX_ATTR_INT, "1", "Output height (mode=size, when scale_height is not given).", NULL, 1, 1, 1e12},
    {"width", MX_ATTR_INT, "1", "Output width (mode=size, when scale_width is not given).", NULL, 1, 1, 1e12},
    {"scale_height", MX_ATTR_STR, "None", "Output height = input height * scale_height (when given)."},
    {"scale_width", MX_ATTR_STR, "None", "Output width = input width * scale_width (when given)."},
    {"mode", MX_ATTR_ENUM, "size",
     "Output size rule: size (height/width or scales), like (shape of the second input), odd_scale, to_even_down, "
     "to_even_up, to_odd_down, to_odd_up.",
     "size,odd_scale,like,to_even_down,to_even_up,to_odd_down,to_odd_up"},
    {"align_corners", MX_ATTR_BOOL, "True", "Align the corner pixels of input and output (else half-pixel centers)."},
};

static int bil_num_inputs(const mx_call *c) { return c->attrs[B_MODE].i == BM_LIKE ? 2 : 1; }

static int opt_float(const mx_call *c, int a, double *v) {
    const char *s = c->attrs[a].s;
    if (!strcmp(s, "None") || !*s) return 0;
    char *e;
    *v = strtod(s, &e);
    return (e == s || *e) ? -1 : 1;
}

static int bil_out_size(const mx_call *c, const mx_tensor_s *x, const mx_tensor_s *like, int64_t *oh, int64_t *ow) {
    if (x->ndim != 4) return mxi_op_error(c, MX_ERR_INVALID, "data must be 4-d (N, C, H, W), got %d-d", x->ndim);
    int64_t H = x->shape[2], W = x->shape[3];
    double sh = 0, sw = 0;
    int hs = opt_float(c, B_SCALE_H, &sh), ws = opt_float(c, B_SCALE_W, &sw);
    if (hs < 0 || ws < 0) return mxi_op_error(c, MX_ERR_INVALID, "scale_height/scale_width must be numbers or None");
    switch (c->attrs[B_MODE].i) {
    case BM_SIZE:
        *oh = hs ? (int64_t)(H * sh) : c->attrs[B_HEIGHT].i;
        *ow = ws ? (int64_t)(W * sw) : c->attrs[B_WIDTH].i;
        break;
    case BM_LIKE:
        if (like->ndim != 4) return mxi_op_error(c, MX_ERR_INVALID, "like must be 4-d (N, C, H, W)");
        *oh = like->shape[2], *ow = like->shape[3];
        break;
    case BM_ODD_SCALE:
        if (!hs || !ws) return mxi_op_error(c, MX_ERR_INVALID, "mode odd_scale needs scale_height and scale_width");
        *oh = H % 2 ? (int64_t)((H - 1) * sh) + 1 : (int64_t)(H * sh);
        *ow = W % 2 ? (int64_t)((W - 1) * sw) + 1 : (int64_t)(W * sw);
        break;
    case BM_TO_EVEN_DOWN: *oh = H - H % 2, *ow = W - W % 2; break;
    case BM_TO_EVEN_UP: *oh = H + H % 2, *ow = W + W % 2; break;
    case BM_TO_ODD_DOWN: *oh = H % 2 ? H : H - 1, *ow = W % 2 ? W : W - 1; break;
    default: *oh = H % 2 ? H : H + 1, *ow = W % 2 ? W : W + 1; break;
    }
    if (*oh <= 0 || *ow <= 0)
        return mxi_op_error(c, MX_ERR_INVALID, "output size %lldx%lld must be positive", (long long)*oh, (long long)*ow);
    return MX_OK;
}

static int bil_infer(mx_call *c) {
    int64_t oh = 0, ow = 0;
    MXI_TRY(bil_out_size(c, c->in[0], c->n_in > 1 ? c->in[1] : NULL, &oh, &ow));
    int64_t os[4] = {c->in[0]->shape[0], c->in[0]->shape[1], oh, ow};
    mxi_set_out(c, 0, os, 4, c->in[0]->dtype);
    return MX_OK;
}

/* source index / weights along one axis */
static void bil_axis(int64_t in, int64_t out, int align, int64_t o, int64_t *i0, int64_t *i1, double *l1) {
    double scale = align ? (out > 1 ? (double)(in - 1) / (double)(out - 1) : 0) : (double)in / (double)out;
    double src = align ? scale * (double)o : scale * ((double)o + 0.5) - 0.5;
    if (src < 0) src = 0;
    int64_t a = (int64_t)src;
    if (a > in - 1) a = in - 1;
    *i0 = a;
    *i1 = a < in - 1 ? a + 1 : a;
    *l1 = src - (double)a;
    if (*l1 < 0) *l1 = 0;
}

#define BIL_KERNELS(SUF, TT)                                                                                        \
    static void bil_run_##SUF(const TT *x, TT *y, int64_t P, int64_t H, int64_t W, int64_t OH, int64_t OW,         \
                              int align, int backward) {                                                            \
        int64_t *h0 = malloc(sizeof(int64_t) * (size_t)(2 * (OH + OW)));                                           \
        double *lam = malloc(sizeof(double) * (size_t)(OH + OW));                                                   \
        if (!h0 || !lam) { free(h0); free(lam); return; }                                                           \
        int64_t *h1 = h0 + OH, *w0 = h1 + OH, *w1 = w0 + OW;                                                        \
        double *lh = lam, *lw = lam + OH;                                                                           \
        for (int64_t o = 0; o < OH; o++) bil_axis(H, OH, align, o, &h0[o], &h1[o], &lh[o]);                         \
        for (int64_t o = 0; o < OW; o++) bil_axis(W, OW, align, o, &w0[o], &w1[o], &lw[o]);                         \
        for (int64_t p = 0; p < P; p++) {                                                                           \
            for (int64_t oh = 0; oh < OH; oh++) {                                                                   \
                const TT a1 = (TT)lh[oh], a0 = 1 - a1;                                                              \
                for (int64_t ow = 0; ow < OW; ow++) {                                                               \
                    const TT b1 = (TT)lw[ow], b0 = 1 - b1;                                                          \
                    if (!backward) {                                                                                \
                        const TT *xp = x + p * H * W;                                                               \
                        y[(p * OH + oh) * OW + ow] = a0 * (b0 * xp[h0[oh] * W + w0[ow]] + b1 * xp[h0[oh] * W + w1[ow]]) + \
                                                     a1 * (b0 * xp[h1[oh] * W + w0[ow]] + b1 * xp[h1[oh] * W + w1[ow]]); \
                    } else {                                                                                        \
                        /* x is dy (P, OH, OW), y is dx (P, H, W) */                                                \
                        const TT gv = x[(p * OH + oh) * OW + ow];                                                   \
                        TT *dp = y + p * H * W;                                                                     \
                        dp[h0[oh] * W + w0[ow]] += a0 * b0 * gv;                                                    \
                        dp[h0[oh] * W + w1[ow]] += a0 * b1 * gv;                                                    \
                        dp[h1[oh] * W + w0[ow]] += a1 * b0 * gv;                                                    \
                        dp[h1[oh] * W + w1[ow]] += a1 * b1 * gv;                                                    \
                    }                                                                                               \
                }                                                                                                   \
            }                                                                                                       \
        }                                                                                                           \
        free(h0);                                                                                                   \
        free(lam);                                                                                                  \
    }
BIL_KERNELS(f32, float)
BIL_KERNELS(f64, double)

static int bil_cpu(mx_call *c) {
    const mx_tensor_s *x = c->in[0], *y = c->out[0];
    int64_t P = x->shape[0] * x->shape[1];
    if (P == 0 || x->shape[2] == 0 || x->shape[3] == 0) return MX_OK;
    int al = (int)c->attrs[B_ALIGN].i;
    if (x->dtype == MX_FLOAT64)
        bil_run_f64(MXI_PTR(double, x), MXI_PTR(double, y), P, x->shape[2], x->shape[3], y->shape[2], y->shape[3], al, 0);
    else
        bil_run_f32(MXI_PTR(float, x), MXI_PTR(float, y), P, x->shape[2], x->shape[3], y->shape[2], y->shape[3], al, 0);
    return MX_OK;
}

/* _backward_BilinearResize2D: (ograd, data) -> ddata */
static int bil_bwd_infer(mx_call *c) {
    if (c->in[1]->ndim != 4 || c->in[0]->ndim != 4)
        return mxi_op_error(c, MX_ERR_INVALID, "ograd and data must be 4-d");
    mxi_same_as_in(c, 0, 1);
    return MX_OK;
}

static int bil_bwd_cpu(mx_call *c) {
    const mx_tensor_s *dy = c->in[0], *x = c->in[1];
    int64_t P = x->shape[0] * x->shape[1];
    if (P == 0 || x->shape[2] == 0 || x->shape[3] == 0) return MX_OK;
    int al = (int)c->attrs[B_ALIGN].i;
    if (x->dtype == MX_FLOAT64)
        bil_run_f64(MXI_PTR(double, dy), MXI_PTR(double, c->out[0]), P, x->shape[2], x->shape[3], dy->shape[2],
                    dy->shape[3], al, 1);
    else
        bil_run_f32(MXI_PTR(float, dy), MXI_PTR(float, c->out[0]), P, x->shape[2], x->shape[3], dy->shape[2],
                    dy->shape[3], al, 1);
    return MX_OK;
}

static int bil_grad(mx_grad_ctx *g) {
    char attrs[512];
    MXI_TRY(mxi_attrs_string(g->call, attrs, sizeof attrs));
    /* mode=like's second input only donates its shape */
    char *m = strstr(attrs, "mode=like");
    if (m) memcpy(m, "mode=size", 9);
    mx_tensor_s *in[2] = {g->ograd[0], g->in[0]}, *out[1] = {0};
    MXI_TRY(mxi_call("_backward_BilinearResize2D", in, 2, attrs, out, 1));
    g->igrad[0] = out[0];
    return MX_OK;
}

/* Bilinear weight from the data (graph inference of an unknown parameter):
 * (C, 1, k, k) with k = 2*scale - scale%2, as MXNet infers it. */
static int up_param_shape(const mx_call *c, int slot, int64_t *shape, int *ndim, int *dtype) {
    (void)dtype;
    if (slot != 1 || c->attrs[U_SAMPLE_TYPE].i != UP_BILINEAR || c->in[0]->ndim != 4) return 1;
    int64_t scale = c->attrs[U_SCALE].i, k = 2 * scale - scale % 2;
    shape[0] = c->in[0]->shape[1];
    shape[1] = 1;
    shape[2] = shape[3] = k;
    *ndim = 4;
    return 0;
}

#define NA(a) ((int)(sizeof a / sizeof a[0]))
static const mx_op_def up_ops[] = {
    {.name = "UpSampling",
     .doc = "Up-samples (N, C, H, W) inputs by an integer scale: nearest neighbour (one or more inputs, concatenated "
            "along channels or summed) or bilinear (data and a (C, 1, k, k) depthwise deconvolution weight, "
            "k = 2*scale - scale%2).",
     .inputs = "*data", .num_outputs = 1, .attrs = up_attrs, .n_attrs = NA(up_attrs), .infer = up_infer,
     .param_shape = up_param_shape, .cpu = up_cpu, .grad = up_grad, .dtypes = MX_DT_FLOAT},
    {.name = "_backward_UpSampling", .doc = "Gradient of nearest UpSampling w.r.t. each input (block sums).",
     .inputs = "ograd,data", .num_outputs = 1, .num_inputs_fn = up_bwd_num_inputs, .num_outputs_fn = up_bwd_num_outputs,
     .attrs = up_attrs, .n_attrs = NA(up_attrs), .infer = up_bwd_infer, .cpu = up_bwd_cpu, .dtypes = MX_DT_FLOAT,
     .flags = MX_OPF_INTERNAL},
    {.name = "BilinearResize2D", .aliases = "_contrib_BilinearResize2D",
     .doc = "Resizes (N, C, H, W) data with bilinear interpolation to (height, width), a scale, or the shape of a "
            "second input (mode=like).",
     .inputs = "data,like", .num_outputs = 1, .num_inputs_fn = bil_num_inputs, .attrs = bil_attrs,
     .n_attrs = NA(bil_attrs), .infer = bil_infer, .cpu = bil_cpu, .grad = bil_grad, .dtypes = MX_DT_FLOAT,
     .flags = MX_OPF_WRITES_ALL},
    {.name = "_backward_BilinearResize2D", .doc = "Gradient of BilinearResize2D w.r.t. its data.",
     .inputs = "ograd,data", .num_outputs = 1, .attrs = bil_attrs, .n_attrs = NA(bil_attrs), .infer = bil_bwd_infer,
     .cpu = bil_bwd_cpu, .dtypes = MX_DT_FLOAT, .flags = MX_OPF_INTERNAL},
};

void mxi_register_upsampling(void);
void mxi_register_upsampling(void) { mxi_register_ops(up_ops, NA(up_ops)); }
