/* rroi_align.c — _contrib_RROIAlign (rotated ROI align for rotated text
 * boxes, MXNet 1.9.1), forward only as in MXNet (its backward raises; ours
 * is "not differentiable" too). Part of the "conv" family: registered from
 * mxi_register_conv() in conv.c.
 *
 * data (N, C, H, W), rois (R, 6) [batch index, centre x, centre y, width,
 * height, angle in degrees] in image pixels, scaled by spatial_scale. Output
 * (R, C, pooled_h, pooled_w): each bin averages grid_h x grid_w bilinear
 * samples (grid = sampling_ratio, or ceil(roi size / pooled size) when it is
 * <= 0) taken on the roi's axes rotated by the angle around its centre.
 *
 * MXNet 1.9.1's conventions, kept on purpose: width and height are at least
 * 1; a sample outside [-1, W] x [-1, H] contributes 0 but still counts in the
 * average; inside, coordinates <= 0 become 0 and the last row/column is held
 * (a point beyond W-1 reads column W-1). Geometry in double with the float
 * roundings of MXNet's float kernel (rnd). Stricter than MXNet: roi batch
 * indices and finite roi values are checked, and a sampling grid over 2^26
 * points per roi is refused (MXNet allocates it). */
#include <math.h>
#include <string.h>

#include "../../backends/cpu/cpu.h"
#include "../op.h"
#include "detection_util.h"

#define NATTR(a) ((int)(sizeof(a) / sizeof((a)[0])))

void mxi_register_rroi_align(void);

enum { A_POOLED, A_SCALE, A_RATIO };
static const mx_attr_spec rra_attrs[] = {
    {"pooled_size", MX_ATTR_SHAPE, NULL, "Output bins per roi: (h, w)."},
    {"spatial_scale", MX_ATTR_FLOAT, NULL,
     "Ratio of input feature map height (or width) to raw image height (or width): the reciprocal of the total "
     "stride."},
    {"sampling_ratio", MX_ATTR_INT, "-1", "Samples per bin along each axis; <= 0: ceil(roi size / pooled size).",
     NULL, 1, -2e9, 2e9},
};

static int rra_infer(mx_call *c) {
    const mx_tensor_s *x = c->in[0], *rois = c->in[1];
    const mx_attr_val *p = &c->attrs[A_POOLED];
    if (p->is_none || p->n != 2 || p->v[0] < 1 || p->v[1] < 1 || p->v[0] > (1 << 20) || p->v[1] > (1 << 20))
        return mxi_op_error(c, MX_ERR_INVALID, "pooled_size must be (h, w) with entries >= 1");
    if (x->ndim != 4) return mxi_op_error(c, MX_ERR_INVALID, "data must be 4-d (batch, channel, height, width)");
    if (rois->ndim != 2 || rois->shape[1] != 6)
        return mxi_op_error(c, MX_ERR_INVALID,
                            "rois must be (num_rois, 6) rows [batch index, x, y, width, height, angle in degrees]");
    MXI_TRY(mxi_require_same_dtype(c));
    const int64_t os[4] = {rois->shape[0], x->shape[1], p->v[0], p->v[1]};
    mxi_set_out(c, 0, os, 4, x->dtype);
    return MX_OK;
}

/* one sample: 4 plane indices and weights (all 0 outside the map) */
typedef struct {
    int64_t pos[4];
    double w[4];
} rra_sample;

typedef struct {
    const mx_call *c;
    const mx_tensor_s *x, *rois;
    mx_tensor_s *y;
} rra_job;

/* The roi's sampling grid: per roi, gh * gw samples per bin. */
static int rra_grid(const mx_call *c, const mx_tensor_s *rois, int64_t r, int f32, double *geo, int64_t *gh,
                    int64_t *gw) {
    const double s = rnd(f32, c->attrs[A_SCALE].f);
    const int64_t PH = c->attrs[A_POOLED].v[0], PW = c->attrs[A_POOLED].v[1], ratio = c->attrs[A_RATIO].i;
    for (int k = 1; k < 6; k++)
        if (!isfinite(mxi_fget(rois, r * 6 + k)))
            return mxi_op_error(c, MX_ERR_INVALID, "roi %lld has a non-finite value", (long long)r);
    double cw = rnd(f32, mxi_fget(rois, r * 6 + 1) * s), ch = rnd(f32, mxi_fget(rois, r * 6 + 2) * s);
    double w = rnd(f32, mxi_fget(rois, r * 6 + 3) * s), h = rnd(f32, mxi_fget(rois, r * 6 + 4) * s);
    const double theta = rnd(f32, mxi_fget(rois, r * 6 + 5) * M_PI / 180.0);
    w = w > 1 ? w : 1, h = h > 1 ? h : 1;
    *gh = ratio > 0 ? ratio : (int64_t)ceil(rnd(f32, h / (double)PH));
    *gw = ratio > 0 ? ratio : (int64_t)ceil(rnd(f32, w / (double)PW));
    if ((double)*gh * (double)*gw * (double)PH * (double)PW > (double)(1 << 26))
        return mxi_op_error(c, MX_ERR_INVALID, "roi %lld needs %lld x %lld samples per bin, too many", (long long)r,
                            (long long)*gh, (long long)*gw);
    geo[0] = cw, geo[1] = ch, geo[2] = rnd(f32, -h / 2.0), geo[3] = rnd(f32, -w / 2.0);
    geo[4] = rnd(f32, h / (double)PH), geo[5] = rnd(f32, w / (double)PW);
    geo[6] = rnd(f32, cos(theta)), geo[7] = rnd(f32, sin(theta));
    return MX_OK;
}

/* Sample (yy, xx) in roi axes -> corners in the H x W plane. */
static void rra_corners(double xx, double yy, const double *geo, int64_t H, int64_t W, int f32, rra_sample *sp) {
    double x = rnd(f32, rnd(f32, rnd(f32, xx * geo[6]) + rnd(f32, yy * geo[7])) + geo[0]);
    double y = rnd(f32, rnd(f32, rnd(f32, yy * geo[6]) - rnd(f32, xx * geo[7])) + geo[1]);
    memset(sp, 0, sizeof *sp);
    if (!(y >= -1.0 && y <= (double)H && x >= -1.0 && x <= (double)W)) return; /* NaN too */
    y = y <= 0 ? 0 : y, x = x <= 0 ? 0 : x;
    int64_t yl = (int64_t)y, xl = (int64_t)x, yh, xh;
    if (yl >= H - 1) yh = yl = H - 1, y = (double)yl;
    else yh = yl + 1;
    if (xl >= W - 1) xh = xl = W - 1, x = (double)xl;
    else xh = xl + 1;
    const double ly = rnd(f32, y - (double)yl), lx = rnd(f32, x - (double)xl), hy = 1 - ly, hx = 1 - lx;
    sp->pos[0] = yl * W + xl, sp->pos[1] = yl * W + xh, sp->pos[2] = yh * W + xl, sp->pos[3] = yh * W + xh;
    sp->w[0] = hy * hx, sp->w[1] = hy * lx, sp->w[2] = ly * hx, sp->w[3] = ly * lx;
}

static void rra_range(void *ctx, int64_t b, int64_t e) {
    const rra_job *j = ctx;
    const mx_call *c = j->c;
    const int f32 = j->x->dtype != MX_FLOAT64;
    const int64_t C = j->x->shape[1], H = j->x->shape[2], W = j->x->shape[3];
    const int64_t PH = c->attrs[A_POOLED].v[0], PW = c->attrs[A_POOLED].v[1];
    for (int64_t r = b; r < e; r++) {
        double geo[8];
        int64_t gh, gw;
        if (rra_grid(c, j->rois, r, f32, geo, &gh, &gw)) continue; /* checked before the loop */
        const int64_t bi = (int64_t)mxi_fget(j->rois, r * 6);
        const double npts = (double)(gh * gw);
        for (int64_t ph = 0; ph < PH; ph++)
            for (int64_t pw = 0; pw < PW; pw++) {
                const double y0 = rnd(f32, geo[2] + rnd(f32, (double)ph * geo[4]));
                const double x0 = rnd(f32, geo[3] + rnd(f32, (double)pw * geo[5]));
                for (int64_t ch = 0; ch < C; ch++) {
                    const int64_t plane = (bi * C + ch) * H * W;
                    double sum = 0;
                    for (int64_t iy = 0; iy < gh; iy++) {
                        const double yy = rnd(f32, y0 + rnd(f32, rnd(f32, ((double)iy + 0.5) * geo[4]) / (double)gh));
                        for (int64_t ix = 0; ix < gw; ix++) {
                            const double xx =
                                rnd(f32, x0 + rnd(f32, rnd(f32, ((double)ix + 0.5) * geo[5]) / (double)gw));
                            rra_sample sp;
                            rra_corners(xx, yy, geo, H, W, f32, &sp);
                            for (int q = 0; q < 4; q++) sum += sp.w[q] * mxi_fget(j->x, plane + sp.pos[q]);
                        }
                    }
                    mxi_fset(j->y, ((r * C + ch) * PH + ph) * PW + pw, sum / npts);
                }
            }
    }
}

static int rra_cpu(mx_call *c) {
    rra_job j = {.c = c, .x = c->in[0], .rois = c->in[1], .y = c->out[0]};
    const int f32 = j.x->dtype != MX_FLOAT64;
    for (int64_t r = 0; r < j.rois->shape[0]; r++) { /* errors before any work */
        const double bv = mxi_fget(j.rois, r * 6);
        if (!(bv >= 0 && bv < (double)j.x->shape[0]))
            return mxi_op_error(c, MX_ERR_INVALID, "roi %lld has batch index %g outside [0, %lld)", (long long)r, bv,
                                (long long)j.x->shape[0]);
        double geo[8];
        int64_t gh, gw;
        MXI_TRY(rra_grid(c, j.rois, r, f32, geo, &gh, &gw));
    }
    if (j.x->shape[2] == 0 || j.x->shape[3] == 0) return MX_OK; /* nothing to sample: zeros */
    mxi_parallel_for(j.rois->shape[0], 1, rra_range, &j);
    return MX_OK;
}

static const mx_op_def ops[] = {
    {.name = "_contrib_RROIAlign",
     .doc = "Rotated ROI align: each of pooled_size bins of a rotated roi [batch index, x, y, width, height, angle in "
            "degrees] averages bilinear samples of every channel on the roi's rotated grid. Forward only, as MXNet "
            "1.9.1.",
     .inputs = "data,rois", .num_outputs = 1, .attrs = rra_attrs, .n_attrs = NATTR(rra_attrs), .infer = rra_infer,
     .cpu = rra_cpu, .dtypes = MX_DT_FLOAT},
};

void mxi_register_rroi_align(void) { mxi_register_ops(ops, NATTR(ops)); }
