/* correlation.c — Correlation (FlowNet's correlation layer, MXNet 1.9.1's
 * `Correlation`) and its internal backward op. Part of the "conv" family:
 * registered from mxi_register_conv() in conv.c.
 *
 * data1, data2 (N, C, H, W), both zero padded by pad_size. With kernel
 * radius kr = (kernel_size-1)/2, border = max_displacement + kr, grid radius
 * R = max_displacement / stride2 and D = 2R+1:
 *   output (N, D*D, ceil((H + 2*pad - 2*border) / stride1), likewise W);
 *   output[n, q, i, j] = sum over a kernel_size^2 window and all channels of
 *   data1 at (i*stride1 + max_displacement + h, j*stride1 + max_displacement + w)
 *   times (is_multiply) or minus-in-absolute-value data2 at the same place
 *   moved by ((q / D - R) * stride2, (q % D - R) * stride2), divided by
 *   kernel_size^2 * C (padded coordinates; window corner, not centre).
 * As MXNet: the derivative of |a - b| at a == b is +1 for data1, -1 for
 * data2. Stricter than MXNet: data1 and data2 must have the same shape
 * (MXNet reads out of bounds), kernel_size must be odd at shape inference
 * (MXNet fails at run time), strides must be >= 1 (MXNet divides by zero).
 * Computed in double, stored in the inputs' dtype. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../../backends/cpu/cpu.h"
#include "../op.h"

#define NATTR(a) ((int)(sizeof(a) / sizeof((a)[0])))

void mxi_register_correlation(void);

enum { A_K, A_MD, A_S1, A_S2, A_PAD, A_MUL };
static const mx_attr_spec corr_attrs[] = {
    {"kernel_size", MX_ATTR_INT, "1", "Kernel size (an odd number): the window compared around each point.", NULL, 1,
     1, 1e9},
    {"max_displacement", MX_ATTR_INT, "1", "Max displacement of data2's window from data1's.", NULL, 1, 0, 1e9},
    {"stride1", MX_ATTR_INT, "1", "Stride of the positions of data1 compared (the output grid).", NULL, 1, 1, 1e9},
    {"stride2", MX_ATTR_INT, "1", "Stride of the displacements of data2 within max_displacement.", NULL, 1, 1, 1e9},
    {"pad_size", MX_ATTR_INT, "0", "Zero padding of both inputs on every side.", NULL, 1, 0, 1e9},
    {"is_multiply", MX_ATTR_BOOL, "True", "Multiply the windows (True) or sum their absolute differences (False)."},
};

typedef struct {
    int64_t N, C, H, W, PH, PW, k, md, s1, s2, pad, R, D, OH, OW;
    int mul;
} corr_geom;

static int corr_geom_of(const mx_call *c, const mx_tensor_s *a, const mx_tensor_s *b, corr_geom *g) {
    memset(g, 0, sizeof *g);
    if (a->ndim != 4) return mxi_op_error(c, MX_ERR_INVALID, "data1 must be 4-d (batch, channel, height, width)");
    int same = b->ndim == 4;
    for (int i = 0; same && i < 4; i++) same = a->shape[i] == b->shape[i];
    if (!same) return mxi_op_error(c, MX_ERR_INVALID, "data2 must have data1's shape");
    MXI_TRY(mxi_require_same_dtype(c));
    g->k = c->attrs[A_K].i, g->md = c->attrs[A_MD].i, g->s1 = c->attrs[A_S1].i, g->s2 = c->attrs[A_S2].i;
    g->pad = c->attrs[A_PAD].i, g->mul = (int)c->attrs[A_MUL].i;
    if (g->k % 2 == 0) return mxi_op_error(c, MX_ERR_INVALID, "kernel_size must be odd, got %lld", (long long)g->k);
    g->N = a->shape[0], g->C = a->shape[1], g->H = a->shape[2], g->W = a->shape[3];
    g->PH = g->H + 2 * g->pad, g->PW = g->W + 2 * g->pad;
    if ((double)g->N * (double)g->C * (double)g->PH * (double)g->PW > 1e12)
        return mxi_op_error(c, MX_ERR_INVALID, "padded inputs of %lld x %lld are too large", (long long)g->PH,
                            (long long)g->PW);
    const int64_t border = g->md + (g->k - 1) / 2;
    const int64_t oh = g->PH - 2 * border, ow = g->PW - 2 * border;
    if (oh < 1 || ow < 1)
        return mxi_op_error(c, MX_ERR_INVALID,
                            "max_displacement %lld and kernel_size %lld do not fit in the padded %lld x %lld input "
                            "(need at least %lld in each dim)",
                            (long long)g->md, (long long)g->k, (long long)g->PH, (long long)g->PW,
                            (long long)(2 * border + 1));
    g->OH = (oh + g->s1 - 1) / g->s1, g->OW = (ow + g->s1 - 1) / g->s1;
    g->R = g->md / g->s2, g->D = 2 * g->R + 1;
    return MX_OK;
}

static int corr_infer(mx_call *c) {
    corr_geom g;
    MXI_TRY(corr_geom_of(c, c->in[0], c->in[1], &g));
    const int64_t os[4] = {g.N, g.D * g.D, g.OH, g.OW};
    mxi_set_out(c, 0, os, 4, c->in[0]->dtype);
    return MX_OK;
}

/* t (N, C, H, W) zero padded into (N, PH, PW, C) (nhwc) or (N, C, PH, PW) doubles */
static double *padded(const corr_geom *g, const mx_tensor_s *t, int nhwc) {
    double *p = calloc((size_t)(g->N * g->C * g->PH * g->PW) + 1, sizeof(double));
    if (!p) return NULL;
    for (int64_t n = 0; n < g->N; n++)
        for (int64_t ch = 0; ch < g->C; ch++)
            for (int64_t y = 0; y < g->H; y++)
                for (int64_t x = 0; x < g->W; x++) {
                    const int64_t py = y + g->pad, px = x + g->pad;
                    const int64_t at = nhwc ? ((n * g->PH + py) * g->PW + px) * g->C + ch
                                            : ((n * g->C + ch) * g->PH + py) * g->PW + px;
                    p[at] = mxi_fget(t, ((n * g->C + ch) * g->H + y) * g->W + x);
                }
    return p;
}

typedef struct {
    const corr_geom *g;
    const double *a, *b; /* padded data1, data2 */
    double *ga, *gb;     /* backward: padded gradients (N, C, PH, PW) */
    double *dy;          /* backward: the output gradient / (kernel_size^2 * C) */
    mx_tensor_s *y;
} corr_job;

/* Forward rows (n, i) in [b, e), inputs NHWC. */
static void corr_fwd_range(void *ctx, int64_t b, int64_t e) {
    const corr_job *j = ctx;
    const corr_geom *g = j->g;
    const double norm = (double)(g->k * g->k * g->C);
    for (int64_t t = b; t < e; t++) {
        const int64_t n = t / g->OH, i = t % g->OH, y1 = i * g->s1 + g->md;
        for (int64_t jj = 0; jj < g->OW; jj++) {
            const int64_t x1 = jj * g->s1 + g->md;
            for (int64_t q = 0; q < g->D * g->D; q++) {
                const int64_t y2 = y1 + (q / g->D - g->R) * g->s2, x2 = x1 + (q % g->D - g->R) * g->s2;
                double sum = 0;
                for (int64_t h = 0; h < g->k; h++)
                    for (int64_t w = 0; w < g->k; w++) {
                        const double *p1 = j->a + ((n * g->PH + y1 + h) * g->PW + x1 + w) * g->C;
                        const double *p2 = j->b + ((n * g->PH + y2 + h) * g->PW + x2 + w) * g->C;
                        if (g->mul)
                            for (int64_t ch = 0; ch < g->C; ch++) sum += p1[ch] * p2[ch];
                        else
                            for (int64_t ch = 0; ch < g->C; ch++) sum += fabs(p1[ch] - p2[ch]);
                    }
                mxi_fset(j->y, ((n * g->D * g->D + q) * g->OH + i) * g->OW + jj, sum / norm);
            }
        }
    }
}

static int corr_cpu(mx_call *c) {
    corr_geom g;
    MXI_TRY(corr_geom_of(c, c->in[0], c->in[1], &g));
    corr_job j = {.g = &g, .a = padded(&g, c->in[0], 1), .b = padded(&g, c->in[1], 1), .y = c->out[0]};
    int rc = MX_OK;
    if (!j.a || !j.b) rc = mxi_error(MX_ERR_MEMORY, "Correlation: out of memory for the padded inputs");
    else mxi_parallel_for(g.N * g.OH, 1, corr_fwd_range, &j);
    free((void *)j.a);
    free((void *)j.b);
    return rc;
}

/* Backward of planes (n, channel) in [b, e): a channel's gradients depend on
 * that channel only. Padded NCHW; the padding's gradients are dropped later. */
static void corr_bwd_range(void *ctx, int64_t b, int64_t e) {
    const corr_job *j = ctx;
    const corr_geom *g = j->g;
    const int64_t PP = g->PH * g->PW;
    for (int64_t t = b; t < e; t++) {
        const int64_t n = t / g->C;
        const double *pa = j->a + t * PP, *pb = j->b + t * PP;
        double *ga = j->ga + t * PP, *gb = j->gb + t * PP;
        for (int64_t q = 0; q < g->D * g->D; q++) { /* displacement outermost: the gradient rows read in order */
            const int64_t oy = (q / g->D - g->R) * g->s2, ox = (q % g->D - g->R) * g->s2;
            const double *dq = j->dy + (n * g->D * g->D + q) * g->OH * g->OW;
            for (int64_t i = 0; i < g->OH; i++)
                for (int64_t jj = 0; jj < g->OW; jj++) {
                    const double d = dq[i * g->OW + jj];
                    const int64_t y1 = i * g->s1 + g->md, x1 = jj * g->s1 + g->md;
                    for (int64_t h = 0; h < g->k; h++)
                        for (int64_t w = 0; w < g->k; w++) {
                            const int64_t o1 = (y1 + h) * g->PW + x1 + w, o2 = o1 + oy * g->PW + ox;
                            if (g->mul) {
                                ga[o1] += d * pb[o2];
                                gb[o2] += d * pa[o1];
                            } else {
                                const double sg = pa[o1] >= pb[o2] ? 1.0 : -1.0;
                                ga[o1] += d * sg;
                                gb[o2] -= d * sg;
                            }
                        }
                }
        }
    }
}

/* _backward_Correlation(ograd, data1, data2) -> d data1, d data2 */
static int corr_bwd_infer(mx_call *c) {
    corr_geom g;
    MXI_TRY(corr_geom_of(c, c->in[1], c->in[2], &g));
    const mx_tensor_s *dy = c->in[0];
    if (dy->ndim != 4 || dy->shape[0] != g.N || dy->shape[1] != g.D * g.D || dy->shape[2] != g.OH ||
        dy->shape[3] != g.OW)
        return mxi_op_error(c, MX_ERR_INVALID, "ograd must have the forward output's shape");
    mxi_same_as_in(c, 0, 1);
    mxi_same_as_in(c, 1, 2);
    return MX_OK;
}

static int corr_bwd_cpu(mx_call *c) {
    corr_geom g;
    MXI_TRY(corr_geom_of(c, c->in[1], c->in[2], &g));
    const size_t n = (size_t)(g.N * g.C * g.PH * g.PW) + 1;
    const int64_t ny = g.N * g.D * g.D * g.OH * g.OW;
    corr_job j = {.g = &g, .a = padded(&g, c->in[1], 0), .b = padded(&g, c->in[2], 0)};
    j.ga = calloc(n, sizeof(double)), j.gb = calloc(n, sizeof(double)), j.dy = malloc(sizeof(double) * (size_t)(ny + 1));
    int rc = MX_OK;
    if (j.dy)
        for (int64_t i = 0; i < ny; i++) j.dy[i] = mxi_fget(c->in[0], i) / (double)(g.k * g.k * g.C);
    if (!j.a || !j.b || !j.ga || !j.gb || !j.dy) {
        rc = mxi_error(MX_ERR_MEMORY, "Correlation: out of memory for the padded gradients");
    } else {
        mxi_parallel_for(g.N * g.C, 1, corr_bwd_range, &j);
        for (int64_t p = 0; p < g.N * g.C; p++)
            for (int64_t y = 0; y < g.H; y++)
                for (int64_t x = 0; x < g.W; x++) {
                    const int64_t from = (p * g.PH + y + g.pad) * g.PW + x + g.pad, to = (p * g.H + y) * g.W + x;
                    mxi_fset(c->out[0], to, j.ga[from]);
                    mxi_fset(c->out[1], to, j.gb[from]);
                }
    }
    free((void *)j.a);
    free((void *)j.b);
    free(j.ga);
    free(j.gb);
    free(j.dy);
    return rc;
}

static int corr_grad(mx_grad_ctx *g) {
    char attrs[512];
    MXI_TRY(mxi_attrs_string(g->call, attrs, sizeof attrs));
    mx_tensor_s *in[3] = {g->ograd[0], g->in[0], g->in[1]}, *out[2] = {0};
    MXI_TRY(mxi_call("_backward_Correlation", in, 3, attrs, out, 2));
    g->igrad[0] = out[0];
    g->igrad[1] = out[1];
    return MX_OK;
}

static const mx_op_def ops[] = {
    {.name = "Correlation",
     .doc = "FlowNet's correlation of two (N, C, H, W) feature maps: for each data1 position on a stride1 grid and "
            "each displacement of data2 within max_displacement (step stride2), the mean over a kernel_size^2 window "
            "and the channels of the product (is_multiply) or absolute difference of the two. Output (N, (2 * "
            "(max_displacement / stride2) + 1)^2, OH, OW). As MXNet 1.9.1.",
     .inputs = "data1,data2", .num_outputs = 1, .attrs = corr_attrs, .n_attrs = NATTR(corr_attrs),
     .infer = corr_infer, .cpu = corr_cpu, .grad = corr_grad, .dtypes = MX_DT_FLOAT, .flags = MX_OPF_WRITES_ALL},
    {.name = "_backward_Correlation", .doc = "Gradients of Correlation w.r.t. data1 and data2.",
     .inputs = "ograd,data1,data2", .num_outputs = 2, .attrs = corr_attrs, .n_attrs = NATTR(corr_attrs),
     .infer = corr_bwd_infer, .cpu = corr_bwd_cpu, .dtypes = MX_DT_FLOAT,
     .flags = MX_OPF_INTERNAL | MX_OPF_WRITES_ALL},
};

void mxi_register_correlation(void) { mxi_register_ops(ops, NATTR(ops)); }
