/* deformable_psroi.c — _contrib_DeformablePSROIPooling (Deformable R-FCN,
 * MXNet 1.9.1) and its internal backward op. Part of the "conv" family:
 * registered from mxi_register_conv() in conv.c.
 *
 * data (N, C, H, W), rois (R, 5) [batch index, x1, y1, x2, y2] in image
 * pixels, trans (R, 2 * classes, part_size, part_size) unless no_trans.
 * Output (R, output_dim, pooled_size, pooled_size): bin (ph, pw) of channel
 * k averages sample_per_part^2 bilinear samples of data channel
 * (k * group_size + gh) * group_size + gw, the bin moved by trans_std *
 * trans[r, 2 * class (x) / + 1 (y), part_h, part_w] times the roi's size,
 * class = k / (output_dim / classes).
 *
 * MXNet 1.9.1's CPU conventions, kept on purpose: roi corners are rounded,
 * scaled and shifted by -0.5 (the end corner + 1 first); rois are at least
 * 0.1 wide; samples outside [-0.5, W-0.5] x [-0.5, H-0.5] are skipped (not
 * counted), the others clamped into the map and interpolated between the
 * floor and ceil pixels; a bin without samples is 0. The geometry is computed
 * in double with the float roundings MXNet's float kernel makes (rnd), so
 * floors and comparisons fall the same way. The rois get a zero gradient.
 * Stricter than MXNet (which reads out of bounds): roi batch indices, data
 * channels >= output_dim * group_size^2, and output_dim divisible by the
 * classes of trans are checked. */
#include <math.h>
#include <string.h>

#include "../../backends/cpu/cpu.h"
#include "../op.h"
#include "detection_util.h"

#define NATTR(a) ((int)(sizeof(a) / sizeof((a)[0])))

void mxi_register_deformable_psroi(void);

enum { A_SCALE, A_DIM, A_GROUP, A_POOLED, A_PART, A_SPP, A_TSTD, A_NO_TRANS };
static const mx_attr_spec dps_attrs[] = {
    {"spatial_scale", MX_ATTR_FLOAT, NULL,
     "Ratio of input feature map height (or w) to raw image height (or w): the reciprocal of the total stride."},
    {"output_dim", MX_ATTR_INT, NULL, "Output channels.", NULL, 1, 1, 2e9},
    {"group_size", MX_ATTR_INT, NULL, "Position-sensitive grid size.", NULL, 1, 1, 2e6},
    {"pooled_size", MX_ATTR_INT, NULL, "Output height and width of each roi.", NULL, 1, 1, 2e6},
    {"part_size", MX_ATTR_INT, "0", "Size of the trans grid (0: pooled_size).", NULL, 1, 0, 2e6},
    {"sample_per_part", MX_ATTR_INT, "1", "Samples per bin along each axis.", NULL, 1, 1, 2e6},
    {"trans_std", MX_ATTR_FLOAT, "0", "Scale of trans: a bin moves by trans_std * trans * the roi's size."},
    {"no_trans", MX_ATTR_BOOL, "False", "Plain (not deformable) pooling: no trans input."},
};

static int dps_num_inputs(const mx_call *c) { return c->attrs[A_NO_TRANS].i ? 2 : 3; }
static int64_t dps_part(const mx_call *c) {
    return c->attrs[A_PART].i > 0 ? c->attrs[A_PART].i : c->attrs[A_POOLED].i;
}

/* Validate data, rois, trans (NULL with no_trans); fills the class count. */
static int dps_check(const mx_call *c, const mx_tensor_s *x, const mx_tensor_s *rois, const mx_tensor_s *trans,
                     int64_t *classes) {
    const int64_t dim = c->attrs[A_DIM].i, g = c->attrs[A_GROUP].i, part = dps_part(c);
    if (x->ndim != 4) return mxi_op_error(c, MX_ERR_INVALID, "data must be 4-d (batch, channel, height, width)");
    if (rois->ndim != 2 || rois->shape[1] != 5)
        return mxi_op_error(c, MX_ERR_INVALID, "rois must be (num_rois, 5) rows [batch index, x1, y1, x2, y2]");
    if (x->shape[1] < dim * g * g)
        return mxi_op_error(c, MX_ERR_INVALID, "data has %lld channels, needs output_dim * group_size^2 = %lld",
                            (long long)x->shape[1], (long long)(dim * g * g));
    MXI_TRY(mxi_require_same_dtype(c));
    *classes = 1;
    if (!trans) return MX_OK;
    if (trans->ndim != 4 || trans->shape[0] != rois->shape[0] || trans->shape[1] < 2 || trans->shape[1] % 2 ||
        trans->shape[2] != part || trans->shape[3] != part)
        return mxi_op_error(c, MX_ERR_INVALID, "trans must be (num_rois %lld, 2 * classes, part_size %lld, part_size)",
                            (long long)rois->shape[0], (long long)part);
    *classes = trans->shape[1] / 2;
    if (dim % *classes)
        return mxi_op_error(c, MX_ERR_INVALID, "output_dim %lld must be a multiple of the %lld classes of trans",
                            (long long)dim, (long long)*classes);
    return MX_OK;
}

static int dps_infer(mx_call *c) {
    int64_t classes;
    MXI_TRY(dps_check(c, c->in[0], c->in[1], c->attrs[A_NO_TRANS].i ? NULL : c->in[2], &classes));
    const int64_t P = c->attrs[A_POOLED].i, os[4] = {c->in[1]->shape[0], c->attrs[A_DIM].i, P, P};
    mxi_set_out(c, 0, os, 4, c->in[0]->dtype);
    return MX_OK;
}

typedef struct {
    const mx_call *c;
    const mx_tensor_s *x, *rois, *trans, *dy; /* trans NULL: no_trans; dy NULL: forward */
    mx_tensor_s *y, *dx, *dtrans;
    int64_t classes;
} dps_job;

/* MXNet skips samples with w < -0.5 or w > W - 0.5 (likewise h); written
 * as the negation so that NaN positions are skipped too. */
static int sampled(double w, double h, int64_t W, int64_t H) {
    return w >= -0.5 && w <= (double)W - 0.5 && h >= -0.5 && h <= (double)H - 0.5;
}

/* One roi: every output bin forward (sum of samples / count) or backward
 * (the bin's gradient / count spread over the samples' corners, and the
 * trans gradient of the bin). */
static void dps_roi(const dps_job *j, int64_t r) {
    const mx_call *c = j->c;
    const mx_tensor_s *x = j->x;
    const int f32 = x->dtype != MX_FLOAT64;
    const int64_t C = x->shape[1], H = x->shape[2], W = x->shape[3];
    const int64_t dim = c->attrs[A_DIM].i, g = c->attrs[A_GROUP].i, P = c->attrs[A_POOLED].i, part = dps_part(c);
    const int64_t spp = c->attrs[A_SPP].i, cpc = dim / j->classes;
    const double s = rnd(f32, c->attrs[A_SCALE].f), tstd = rnd(f32, c->attrs[A_TSTD].f);
    const int64_t b = (int64_t)mxi_fget(j->rois, r * 5);
    const double rd[4] = {round(mxi_fget(j->rois, r * 5 + 1)), round(mxi_fget(j->rois, r * 5 + 2)),
                          round(mxi_fget(j->rois, r * 5 + 3)), round(mxi_fget(j->rois, r * 5 + 4))};
    const double x0 = rnd(f32, rnd(f32, rd[0] * s) - 0.5), y0 = rnd(f32, rnd(f32, rd[1] * s) - 0.5);
    const double x1 = rnd(f32, rnd(f32, rnd(f32, rd[2] + 1.0) * s) - 0.5);
    const double y1 = rnd(f32, rnd(f32, rnd(f32, rd[3] + 1.0) * s) - 0.5);
    const double tenth = rnd(f32, 0.1);
    double rw = rnd(f32, x1 - x0), rh = rnd(f32, y1 - y0);
    rw = rw > tenth ? rw : tenth, rh = rh > tenth ? rh : tenth;
    const double bw = rnd(f32, rw / (double)P), bh = rnd(f32, rh / (double)P);
    const double sbw = rnd(f32, bw / (double)spp), sbh = rnd(f32, bh / (double)spp);
    for (int64_t k = 0; k < dim; k++)
        for (int64_t ph = 0; ph < P; ph++)
            for (int64_t pw = 0; pw < P; pw++) {
                const int64_t o = ((r * dim + k) * P + ph) * P + pw;
                const int64_t part_h = (int64_t)floor(rnd(f32, rnd(f32, (double)ph / (double)P) * (double)part));
                const int64_t part_w = (int64_t)floor(rnd(f32, rnd(f32, (double)pw / (double)P) * (double)part));
                const int64_t tx = ((r * 2 * j->classes + 2 * (k / cpc)) * part + part_h) * part + part_w;
                const double dxs = j->trans ? rnd(f32, mxi_fget(j->trans, tx) * tstd) : 0;
                const double dys = j->trans ? rnd(f32, mxi_fget(j->trans, tx + part * part) * tstd) : 0;
                const double ws = rnd(f32, rnd(f32, rnd(f32, (double)pw * bw) + x0) + rnd(f32, dxs * rw));
                const double hs = rnd(f32, rnd(f32, rnd(f32, (double)ph * bh) + y0) + rnd(f32, dys * rh));
                int64_t gw = (int64_t)floor(rnd(f32, rnd(f32, (double)(pw * g)) / (double)P));
                int64_t gh = (int64_t)floor(rnd(f32, rnd(f32, (double)(ph * g)) / (double)P));
                gw = gw < 0 ? 0 : gw > g - 1 ? g - 1 : gw, gh = gh < 0 ? 0 : gh > g - 1 ? g - 1 : gh;
                const int64_t plane = (b * C + (k * g + gh) * g + gw) * H * W;
                /* count first: the backward divides by it */
                int64_t count = 0;
                for (int64_t ih = 0; ih < spp; ih++)
                    for (int64_t iw = 0; iw < spp; iw++) {
                        const double w = rnd(f32, ws + rnd(f32, (double)iw * sbw));
                        const double h = rnd(f32, hs + rnd(f32, (double)ih * sbh));
                        count += sampled(w, h, W, H);
                    }
                if (!count) continue; /* outputs arrive zeroed */
                const double d = j->dy ? rnd(f32, mxi_fget(j->dy, o) / (double)count) : 0;
                double sum = 0;
                for (int64_t ih = 0; ih < spp; ih++)
                    for (int64_t iw = 0; iw < spp; iw++) {
                        double w = rnd(f32, ws + rnd(f32, (double)iw * sbw));
                        double h = rnd(f32, hs + rnd(f32, (double)ih * sbh));
                        if (!sampled(w, h, W, H)) continue;
                        w = w < 0 ? 0 : w > (double)(W - 1) ? (double)(W - 1) : w;
                        h = h < 0 ? 0 : h > (double)(H - 1) ? (double)(H - 1) : h;
                        const int64_t xl = (int64_t)floor(w), xh = (int64_t)ceil(w), yl = (int64_t)floor(h),
                                      yh = (int64_t)ceil(h);
                        const double fx = rnd(f32, w - (double)xl), fy = rnd(f32, h - (double)yl);
                        const int64_t i00 = plane + yl * W + xl, i01 = plane + yh * W + xl, i10 = plane + yl * W + xh,
                                      i11 = plane + yh * W + xh;
                        const double q00 = (1 - fx) * (1 - fy), q01 = (1 - fx) * fy, q10 = fx * (1 - fy), q11 = fx * fy;
                        if (!j->dy) {
                            sum += q00 * mxi_fget(x, i00) + q01 * mxi_fget(x, i01) + q10 * mxi_fget(x, i10) +
                                   q11 * mxi_fget(x, i11);
                            continue;
                        }
                        if (j->dx) {
                            mxi_fadd(j->dx, i00, q00 * d), mxi_fadd(j->dx, i01, q01 * d);
                            mxi_fadd(j->dx, i10, q10 * d), mxi_fadd(j->dx, i11, q11 * d);
                        }
                        if (!j->dtrans) continue;
                        const double u00 = mxi_fget(x, i00), u01 = mxi_fget(x, i01), u10 = mxi_fget(x, i10),
                                     u11 = mxi_fget(x, i11);
                        const double gx = (u11 * fy + u10 * (1 - fy) - u01 * fy - u00 * (1 - fy)) * tstd * d * rw;
                        const double gy = (u11 * fx + u01 * (1 - fx) - u10 * fx - u00 * (1 - fx)) * tstd * d * rh;
                        mxi_fadd(j->dtrans, tx, gx);
                        mxi_fadd(j->dtrans, tx + part * part, gy);
                    }
                if (!j->dy) mxi_fset(j->y, o, sum / (double)count);
            }
}

static int dps_check_batch(const dps_job *j) {
    const int64_t N = j->x->shape[0];
    for (int64_t r = 0; r < j->rois->shape[0]; r++) {
        const double bv = mxi_fget(j->rois, r * 5);
        if (!(bv >= 0 && bv < (double)N))
            return mxi_op_error(j->c, MX_ERR_INVALID, "roi %lld has batch index %g outside [0, %lld)", (long long)r,
                                bv, (long long)N);
    }
    return MX_OK;
}

static void dps_fwd_range(void *ctx, int64_t b, int64_t e) {
    for (int64_t r = b; r < e; r++) dps_roi(ctx, r);
}

static int dps_cpu(mx_call *c) {
    dps_job j = {.c = c, .x = c->in[0], .rois = c->in[1], .trans = c->attrs[A_NO_TRANS].i ? NULL : c->in[2],
                 .y = c->out[0]};
    MXI_TRY(dps_check(c, j.x, j.rois, j.trans, &j.classes));
    MXI_TRY(dps_check_batch(&j));
    mxi_parallel_for(j.rois->shape[0], 1, dps_fwd_range, &j);
    return MX_OK;
}

/* _backward_DeformablePSROIPooling(ograd, data, rois[, trans]) -> ddata, drois (zero)[, dtrans] */
static int dps_bwd_infer(mx_call *c) {
    int64_t classes;
    MXI_TRY(dps_check(c, c->in[1], c->in[2], c->attrs[A_NO_TRANS].i ? NULL : c->in[3], &classes));
    const int64_t P = c->attrs[A_POOLED].i;
    const mx_tensor_s *dy = c->in[0];
    if (dy->ndim != 4 || dy->shape[0] != c->in[2]->shape[0] || dy->shape[1] != c->attrs[A_DIM].i ||
        dy->shape[2] != P || dy->shape[3] != P)
        return mxi_op_error(c, MX_ERR_INVALID, "ograd must have the forward output's shape");
    for (int i = 1; i < c->n_in; i++) mxi_same_as_in(c, i - 1, i);
    return MX_OK;
}

static int dps_bwd_num_outputs(const mx_call *c) { return c->attrs[A_NO_TRANS].i ? 2 : 3; }
static int dps_bwd_num_inputs(const mx_call *c) { return c->attrs[A_NO_TRANS].i ? 3 : 4; }

static int dps_bwd_cpu(mx_call *c) { /* outputs arrive zeroed; rois dx shared between rois: one thread */
    const int nt = (int)c->attrs[A_NO_TRANS].i;
    dps_job j = {.c = c, .x = c->in[1], .rois = c->in[2], .trans = nt ? NULL : c->in[3], .dy = c->in[0],
                 .dx = c->out[0], .dtrans = nt ? NULL : c->out[2]};
    MXI_TRY(dps_check(c, j.x, j.rois, j.trans, &j.classes));
    MXI_TRY(dps_check_batch(&j));
    for (int64_t r = 0; r < j.rois->shape[0]; r++) dps_roi(&j, r);
    return MX_OK;
}

static int dps_grad(mx_grad_ctx *g) {
    char attrs[512];
    MXI_TRY(mxi_attrs_string(g->call, attrs, sizeof attrs));
    const int n = g->call->n_in;
    mx_tensor_s *in[4] = {g->ograd[0], g->in[0], g->in[1], n > 2 ? g->in[2] : NULL}, *out[3] = {0};
    MXI_TRY(mxi_call("_backward_DeformablePSROIPooling", in, n + 1, attrs, out, n));
    for (int i = 0; i < n; i++) g->igrad[i] = out[i];
    return MX_OK;
}

static const mx_op_def ops[] = {
    {.name = "_contrib_DeformablePSROIPooling",
     .doc = "Deformable position-sensitive ROI pooling (Deformable R-FCN): each output bin averages "
            "sample_per_part^2 bilinear samples of its position-sensitive channel, the bin moved by trans_std * trans "
            "times the roi's size (no move with no_trans). rois [batch index, x1, y1, x2, y2] in image pixels, "
            "scaled by spatial_scale. As MXNet 1.9.1's CPU operator.",
     .inputs = "data,rois,trans", .num_outputs = 1, .attrs = dps_attrs, .n_attrs = NATTR(dps_attrs),
     .num_inputs_fn = dps_num_inputs, .infer = dps_infer, .cpu = dps_cpu, .grad = dps_grad, .dtypes = MX_DT_FLOAT},
    {.name = "_backward_DeformablePSROIPooling",
     .doc = "Gradient of DeformablePSROIPooling w.r.t. data and trans (zero for the rois).",
     .inputs = "ograd,data,rois,trans", .num_outputs = 3, .attrs = dps_attrs, .n_attrs = NATTR(dps_attrs),
     .num_inputs_fn = dps_bwd_num_inputs, .num_outputs_fn = dps_bwd_num_outputs, .infer = dps_bwd_infer,
     .cpu = dps_bwd_cpu, .dtypes = MX_DT_FLOAT, .flags = MX_OPF_INTERNAL},
};

void mxi_register_deformable_psroi(void) { mxi_register_ops(ops, NATTR(ops)); }
