/* detection.c — object-detection ops of MXNet 1.x (model files of Fast/Faster
 * R-CNN, SSD and YOLO exports use them): ROIPooling, _contrib_ROIAlign,
 * _contrib_box_nms and _contrib_MultiBoxPrior, with the backward ops of the
 * first three. Values follow MXNet 1.9.1 (checked in
 * tests/python/ops/test_detection.py against numbers MXNet printed). Part of the
 * "conv" family: registered from mxi_register_conv() in conv.c. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../op.h"

#define NATTR(a) ((int)(sizeof(a) / sizeof((a)[0])))


/* data (N, C, H, W) and rois (R, 5) = [batch index, x1, y1, x2, y2] */
static int check_rois(const mx_call *c, const mx_tensor_s *x, const mx_tensor_s *rois) {
    if (x->ndim != 4) return mxi_op_error(c, MX_ERR_INVALID, "data must be 4-d (N, C, H, W), got %d-d", x->ndim);
    if (rois->ndim != 2 || rois->shape[1] != 5)
        return mxi_op_error(c, MX_ERR_INVALID, "rois must have shape (R, 5): [batch index, x1, y1, x2, y2]");
    return mxi_require_same_dtype(c);
}

/* the batch index of roi r, truncated toward zero as MXNet's int cast does (so a
 * finite-difference nudge of -5e-5 still means image 0); a negative index marks a padding roi:
 * *b = -1, its output is 0 and it gets no gradient (MXNet). Past the batch is an error. */
static int roi_batch(const mx_call *c, const mx_tensor_s *rois, int64_t r, int64_t n, int64_t *b) {
    double v = mxi_fget(rois, r * 5);
    if (v <= -1.0) {
        *b = -1;
        return MX_OK;
    }
    if (!(v < (double)n))
        return mxi_op_error(c, MX_ERR_INVALID, "roi %lld has batch index %g outside [0, %lld) (negative: padding)",
                            (long long)r, v, (long long)n);
    *b = (int64_t)v;
    return MX_OK;
}

/* ======================================================================
 * ROIPooling: max over each of pooled_size bins of the rounded roi
 * ====================================================================== */
enum { RP_POOLED, RP_SCALE };
static const mx_attr_spec rp_attrs[] = {
    {"pooled_size", MX_ATTR_SHAPE, NULL, "Output size (h, w) of each roi."},
    {"spatial_scale", MX_ATTR_FLOAT, NULL, "Ratio of the feature map to the input image (rois are in image pixels).",
     NULL, 1, 0, 1e300},
};

static int pooled_hw(const mx_call *c, int attr, int64_t *ph, int64_t *pw) {
    const mx_attr_val *p = &c->attrs[attr];
    if (p->is_none || p->n != 2 || p->v[0] < 1 || p->v[1] < 1)
        return mxi_op_error(c, MX_ERR_INVALID, "pooled_size must be (h, w) with both >= 1");
    *ph = p->v[0], *pw = p->v[1];
    return MX_OK;
}

static int rp_infer(mx_call *c) {
    int64_t ph = 0, pw = 0;
    MXI_TRY(check_rois(c, c->in[0], c->in[1]));
    MXI_TRY(pooled_hw(c, RP_POOLED, &ph, &pw));
    int64_t os[4] = {c->in[1]->shape[0], c->in[0]->shape[1], ph, pw};
    mxi_set_out(c, 0, os, 4, c->in[0]->dtype);
    mxi_set_out(c, 1, os, 4, c->in[0]->dtype); /* argmax (flat index in the plane, -1: empty bin) */
    return MX_OK;
}

static int rp_cpu(mx_call *c) {
    const mx_tensor_s *x = c->in[0], *rois = c->in[1];
    int64_t ph = 0, pw = 0;
    MXI_TRY(pooled_hw(c, RP_POOLED, &ph, &pw));
    const int64_t N = x->shape[0], C = x->shape[1], H = x->shape[2], W = x->shape[3], R = rois->shape[0];
    const double s = c->attrs[RP_SCALE].f;
    for (int64_t r = 0; r < R; r++) {
        int64_t b = 0;
        MXI_TRY(roi_batch(c, rois, r, N, &b));
        if (b < 0) {
            for (int64_t o = r * C * ph * pw; o < (r + 1) * C * ph * pw; o++)
                mxi_fset(c->out[0], o, 0), mxi_fset(c->out[1], o, -1);
            continue;
        }
        int64_t x0 = (int64_t)round(mxi_fget(rois, r * 5 + 1) * s), y0 = (int64_t)round(mxi_fget(rois, r * 5 + 2) * s);
        int64_t x1 = (int64_t)round(mxi_fget(rois, r * 5 + 3) * s), y1 = (int64_t)round(mxi_fget(rois, r * 5 + 4) * s);
        double rh = (double)(y1 - y0 + 1 > 1 ? y1 - y0 + 1 : 1), rw = (double)(x1 - x0 + 1 > 1 ? x1 - x0 + 1 : 1);
        double bh = rh / (double)ph, bw = rw / (double)pw;
        for (int64_t ch = 0; ch < C; ch++) {
            const int64_t plane = (b * C + ch) * H * W;
            for (int64_t i = 0; i < ph; i++)
                for (int64_t j = 0; j < pw; j++) {
                    int64_t hs = (int64_t)floor(i * bh) + y0, he = (int64_t)ceil((i + 1) * bh) + y0;
                    int64_t ws = (int64_t)floor(j * bw) + x0, we = (int64_t)ceil((j + 1) * bw) + x0;
                    hs = hs < 0 ? 0 : hs > H ? H : hs, he = he < 0 ? 0 : he > H ? H : he;
                    ws = ws < 0 ? 0 : ws > W ? W : ws, we = we < 0 ? 0 : we > W ? W : we;
                    double best = he <= hs || we <= ws ? 0 : -INFINITY;
                    int64_t arg = -1;
                    for (int64_t h = hs; h < he; h++)
                        for (int64_t w = ws; w < we; w++) {
                            double v = mxi_fget(x, plane + h * W + w);
                            if (v > best) best = v, arg = h * W + w;
                        }
                    const int64_t o = ((r * C + ch) * ph + i) * pw + j;
                    mxi_fset(c->out[0], o, best);
                    mxi_fset(c->out[1], o, (double)arg);
                }
        }
    }
    return MX_OK;
}

/* _backward_ROIPooling(ograd, data, rois, argmax) -> ddata, drois (zero) */
static int rpb_infer(mx_call *c) {
    mxi_same_as_in(c, 0, 1);
    mxi_same_as_in(c, 1, 2);
    return MX_OK;
}

static int rpb_cpu(mx_call *c) {
    const mx_tensor_s *g = c->in[0], *x = c->in[1], *rois = c->in[2], *arg = c->in[3];
    const int64_t N = x->shape[0], C = x->shape[1], H = x->shape[2], W = x->shape[3], R = rois->shape[0];
    const int64_t P = g->shape[2] * g->shape[3];
    for (int64_t r = 0; r < R; r++) {
        int64_t b = 0;
        MXI_TRY(roi_batch(c, rois, r, N, &b));
        for (int64_t ch = 0; ch < C && b >= 0; ch++)
            for (int64_t k = 0; k < P; k++) {
                const int64_t o = (r * C + ch) * P + k;
                const int64_t a = (int64_t)mxi_fget(arg, o);
                if (a >= 0) mxi_fadd(c->out[0], (b * C + ch) * H * W + a, mxi_fget(g, o));
            }
    }
    return MX_OK;
}

static int rp_grad(mx_grad_ctx *g) {
    char attrs[256];
    MXI_TRY(mxi_attrs_string(g->call, attrs, sizeof attrs));
    mx_tensor_s *in[4] = {g->ograd[0], g->in[0], g->in[1], g->out[1]}, *out[2] = {0};
    MXI_TRY(mxi_call("_backward_ROIPooling", in, 4, attrs, out, 2));
    g->igrad[0] = out[0];
    g->igrad[1] = out[1];
    return MX_OK;
}

/* ======================================================================
 * ROIAlign: average of bilinear samples on a regular grid in each bin
 * (the Mask R-CNN form MXNet implements; position_sensitive: channel
 * group per bin, as R-FCN)
 * ====================================================================== */
enum { RA_POOLED, RA_SCALE, RA_RATIO, RA_PS, RA_ALIGNED };
static const mx_attr_spec ra_attrs[] = {
    {"pooled_size", MX_ATTR_SHAPE, NULL, "Output size (h, w) of each roi."},
    {"spatial_scale", MX_ATTR_FLOAT, NULL, "Ratio of the feature map to the input image (rois are in image pixels).",
     NULL, 1, 0, 1e300},
    {"sample_ratio", MX_ATTR_INT, "-1", "Samples per bin along each axis; <= 0: ceil(roi size / pooled size).", NULL,
     1, -1e9, 1e9},
    {"position_sensitive", MX_ATTR_BOOL, "False",
     "Position-sensitive pooling: bin (i, j) of output channel k reads input channel (k * ph + i) * pw + j."},
    {"aligned", MX_ATTR_BOOL, "False", "Shift roi coordinates by -0.5 (pixel centres), as Detectron2."},
};

typedef struct {
    int64_t ph, pw, C_out;
} ra_geom;

static int ra_geometry(const mx_call *c, const mx_tensor_s *x, ra_geom *g) {
    MXI_TRY(pooled_hw(c, RA_POOLED, &g->ph, &g->pw));
    g->C_out = x->shape[1];
    if (c->attrs[RA_PS].i) {
        if (x->shape[1] % (g->ph * g->pw))
            return mxi_op_error(c, MX_ERR_INVALID,
                                "position_sensitive needs channels (%lld) divisible by pooled h * w (%lld)",
                                (long long)x->shape[1], (long long)(g->ph * g->pw));
        g->C_out = x->shape[1] / (g->ph * g->pw);
    }
    return MX_OK;
}

static int ra_infer(mx_call *c) {
    ra_geom g = {0, 0, 0};
    MXI_TRY(check_rois(c, c->in[0], c->in[1]));
    MXI_TRY(ra_geometry(c, c->in[0], &g));
    int64_t os[4] = {c->in[1]->shape[0], g.C_out, g.ph, g.pw};
    mxi_set_out(c, 0, os, 4, c->in[0]->dtype);
    return MX_OK;
}

/* Bilinear weights of point (y, x) in an H x W plane: 4 indices and weights
 * (all weights 0 when the point is more than one pixel outside). */
static void bilinear(double y, double x, int64_t H, int64_t W, int64_t idx[4], double wt[4]) {
    memset(wt, 0, 4 * sizeof(double));
    memset(idx, 0, 4 * sizeof(int64_t));
    if (y < -1.0 || y > (double)H || x < -1.0 || x > (double)W) return;
    if (y <= 0) y = 0;
    if (x <= 0) x = 0;
    int64_t yl = (int64_t)y, xl = (int64_t)x, yh, xh;
    if (yl >= H - 1) yh = yl = H - 1, y = (double)yl;
    else yh = yl + 1;
    if (xl >= W - 1) xh = xl = W - 1, x = (double)xl;
    else xh = xl + 1;
    double ly = y - (double)yl, lx = x - (double)xl, hy = 1 - ly, hx = 1 - lx;
    idx[0] = yl * W + xl, idx[1] = yl * W + xh, idx[2] = yh * W + xl, idx[3] = yh * W + xh;
    wt[0] = hy * hx, wt[1] = hy * lx, wt[2] = ly * hx, wt[3] = ly * lx;
}

/* Visit every bilinear sample of roi r: fn(output index, plane offset of the
 * input channel, sample indices, weights / count). Forward gathers, backward
 * scatters, with the same walk. */
typedef void (*ra_visit)(void *ctx, int64_t o, int64_t plane, const int64_t idx[4], const double wt[4]);

static int ra_walk(const mx_call *c, const mx_tensor_s *x, const mx_tensor_s *rois, ra_visit fn, void *ctx) {
    ra_geom g = {0, 0, 0};
    MXI_TRY(ra_geometry(c, x, &g));
    const int64_t N = x->shape[0], C = x->shape[1], H = x->shape[2], W = x->shape[3], R = rois->shape[0];
    const double s = c->attrs[RA_SCALE].f, off = c->attrs[RA_ALIGNED].i ? 0.5 : 0.0;
    const int64_t ratio = c->attrs[RA_RATIO].i;
    const int ps = (int)c->attrs[RA_PS].i;
    for (int64_t r = 0; r < R; r++) {
        int64_t b = 0;
        MXI_TRY(roi_batch(c, rois, r, N, &b));
        if (b < 0) continue; /* padding roi: zeros, no gradient */
        double x0 = mxi_fget(rois, r * 5 + 1) * s - off, y0 = mxi_fget(rois, r * 5 + 2) * s - off;
        double rw = mxi_fget(rois, r * 5 + 3) * s - off - x0, rh = mxi_fget(rois, r * 5 + 4) * s - off - y0;
        if (!c->attrs[RA_ALIGNED].i) rw = rw > 1 ? rw : 1, rh = rh > 1 ? rh : 1;
        const double bh = rh / (double)g.ph, bw = rw / (double)g.pw;
        const int64_t gh = ratio > 0 ? ratio : (int64_t)ceil(rh / (double)g.ph);
        const int64_t gw = ratio > 0 ? ratio : (int64_t)ceil(rw / (double)g.pw);
        const double count = (double)(gh * gw > 1 ? gh * gw : 1);
        for (int64_t k = 0; k < g.C_out; k++)
            for (int64_t i = 0; i < g.ph; i++)
                for (int64_t j = 0; j < g.pw; j++) {
                    const int64_t cin = ps ? (k * g.ph + i) * g.pw + j : k;
                    const int64_t plane = (b * C + cin) * H * W, o = ((r * g.C_out + k) * g.ph + i) * g.pw + j;
                    for (int64_t iy = 0; iy < gh; iy++) {
                        const double y = y0 + (double)i * bh + ((double)iy + 0.5) * bh / (double)gh;
                        for (int64_t ix = 0; ix < gw; ix++) {
                            const double xx = x0 + (double)j * bw + ((double)ix + 0.5) * bw / (double)gw;
                            int64_t idx[4];
                            double wt[4];
                            bilinear(y, xx, H, W, idx, wt);
                            for (int q = 0; q < 4; q++) wt[q] /= count;
                            fn(ctx, o, plane, idx, wt);
                        }
                    }
                }
    }
    return MX_OK;
}

typedef struct {
    const mx_tensor_s *x;
    mx_tensor_s *y;
    double *acc;
} ra_job;

static void ra_gather(void *ctx, int64_t o, int64_t plane, const int64_t idx[4], const double wt[4]) {
    ra_job *j = ctx;
    for (int q = 0; q < 4; q++)
        if (wt[q] != 0) j->acc[o] += wt[q] * mxi_fget(j->x, plane + idx[q]);
}

static void ra_scatter(void *ctx, int64_t o, int64_t plane, const int64_t idx[4], const double wt[4]) {
    ra_job *j = ctx;
    for (int q = 0; q < 4; q++)
        if (wt[q] != 0) j->acc[plane + idx[q]] += wt[q] * mxi_fget(j->x, o); /* x: the output gradient here */
}

/* run a walk accumulating in doubles into n values, stored into out */
static int ra_run(mx_call *c, const mx_tensor_s *x, const mx_tensor_s *rois, const mx_tensor_s *src, mx_tensor_s *out,
                  ra_visit fn) {
    const int64_t n = out->size;
    ra_job j = {src, out, calloc((size_t)(n ? n : 1), sizeof(double))};
    if (!j.acc) return mxi_op_error(c, MX_ERR_MEMORY, "out of memory");
    int rc = ra_walk(c, x, rois, fn, &j);
    for (int64_t i = 0; rc == MX_OK && i < n; i++) mxi_fset(out, i, j.acc[i]);
    free(j.acc);
    return rc;
}

static int ra_cpu(mx_call *c) { return ra_run(c, c->in[0], c->in[1], c->in[0], c->out[0], ra_gather); }

/* _backward_ROIAlign(ograd, data, rois) -> ddata, drois (zero) */
static int rab_cpu(mx_call *c) { return ra_run(c, c->in[1], c->in[2], c->in[0], c->out[0], ra_scatter); }

static int ra_grad(mx_grad_ctx *g) {
    char attrs[256];
    MXI_TRY(mxi_attrs_string(g->call, attrs, sizeof attrs));
    mx_tensor_s *in[3] = {g->ograd[0], g->in[0], g->in[1]}, *out[2] = {0};
    MXI_TRY(mxi_call("_backward_ROIAlign", in, 3, attrs, out, 2));
    g->igrad[0] = out[0];
    g->igrad[1] = out[1];
    return MX_OK;
}

/* ======================================================================
 * box_nms: per batch, boxes sorted by score, greedy non-maximum suppression;
 * kept boxes first, the rest of the rows -1. Hidden output 1: the source row
 * of each output row (-1 for empty rows), for the gradient.
 * ====================================================================== */
enum { NMS_OVERLAP, NMS_VALID, NMS_TOPK, NMS_COORD, NMS_SCORE, NMS_ID, NMS_BG, NMS_FORCE, NMS_IN_FMT, NMS_OUT_FMT };
enum { FMT_CORNER, FMT_CENTER };
static const mx_attr_spec nms_attrs[] = {
    {"overlap_thresh", MX_ATTR_FLOAT, "0.5", "Suppress a box whose IoU with a higher-scored kept box exceeds this."},
    {"valid_thresh", MX_ATTR_FLOAT, "0", "Boxes with score <= valid_thresh are dropped."},
    {"topk", MX_ATTR_INT, "-1", "Only the topk highest-scored boxes take part (-1: all).", NULL, 1, -1, 9e18},
    {"coord_start", MX_ATTR_INT, "2", "Index of the first of the 4 coordinates in a box row.", NULL, 1, 0, 9e18},
    {"score_index", MX_ATTR_INT, "1", "Index of the score in a box row.", NULL, 1, 0, 9e18},
    {"id_index", MX_ATTR_INT, "-1", "Index of the class id (-1: no class, every box one class).", NULL, 1, -1, 9e18},
    {"background_id", MX_ATTR_INT, "-1", "With id_index: boxes of this class are dropped.", NULL, 1, -9e18, 9e18},
    {"force_suppress", MX_ATTR_BOOL, "False", "Suppress across classes too."},
    {"in_format", MX_ATTR_ENUM, "corner", "Input coordinates: corner (x1, y1, x2, y2) or center (x, y, w, h).",
     "corner,center"},
    {"out_format", MX_ATTR_ENUM, "corner", "Output coordinates: corner or center.", "corner,center"},
};

static int nms_geometry(const mx_call *c, const mx_tensor_s *x, int64_t *B, int64_t *N, int64_t *K) {
    if (x->ndim < 2) return mxi_op_error(c, MX_ERR_INVALID, "data must be (..., boxes, fields), got %d-d", x->ndim);
    *K = x->shape[x->ndim - 1];
    *N = x->shape[x->ndim - 2];
    *B = *N && *K ? x->size / (*N * *K) : 0;
    const int64_t cs = c->attrs[NMS_COORD].i, si = c->attrs[NMS_SCORE].i, id = c->attrs[NMS_ID].i;
    if (cs + 4 > *K || si >= *K || id >= *K)
        return mxi_op_error(c, MX_ERR_INVALID,
                            "rows of %lld fields cannot hold coord_start=%lld (+4), score_index=%lld, id_index=%lld",
                            (long long)*K, (long long)cs, (long long)si, (long long)id);
    return MX_OK;
}

static int nms_infer(mx_call *c) {
    int64_t B = 0, N = 0, K = 0;
    MXI_TRY(nms_geometry(c, c->in[0], &B, &N, &K));
    mxi_same_as_in(c, 0, 0);
    mxi_set_out(c, 1, c->in[0]->shape, c->in[0]->ndim - 1, c->in[0]->dtype);
    return MX_OK;
}

/* corners of a row's box */
static void corners(const double *b, int fmt, double out[4]) {
    if (fmt == FMT_CENTER) {
        out[0] = b[0] - b[2] / 2, out[1] = b[1] - b[3] / 2, out[2] = b[0] + b[2] / 2, out[3] = b[1] + b[3] / 2;
    } else {
        memcpy(out, b, 4 * sizeof(double));
    }
}

static double iou(const double a[4], const double b[4]) {
    double w = fmin(a[2], b[2]) - fmax(a[0], b[0]), h = fmin(a[3], b[3]) - fmax(a[1], b[1]);
    if (w <= 0 || h <= 0) return 0;
    double inter = w * h, u = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter;
    return u > 0 ? inter / u : 0;
}

typedef struct {
    double score;
    int64_t row;
} scored;

static int by_score_desc(const void *pa, const void *pb) {
    const scored *a = pa, *b = pb;
    if (a->score != b->score) return a->score < b->score ? 1 : -1;
    return a->row < b->row ? -1 : a->row > b->row; /* stable: ties keep their order */
}

static int nms_cpu(mx_call *c) {
    const mx_tensor_s *x = c->in[0];
    int64_t B = 0, N = 0, K = 0;
    MXI_TRY(nms_geometry(c, x, &B, &N, &K));
    const int64_t cs = c->attrs[NMS_COORD].i, si = c->attrs[NMS_SCORE].i, id = c->attrs[NMS_ID].i;
    const int64_t topk = c->attrs[NMS_TOPK].i, bg = c->attrs[NMS_BG].i;
    const int force = (int)c->attrs[NMS_FORCE].i, fin = (int)c->attrs[NMS_IN_FMT].i, fout = (int)c->attrs[NMS_OUT_FMT].i;
    const double thresh = c->attrs[NMS_OVERLAP].f, valid = c->attrs[NMS_VALID].f;
    scored *order = malloc(sizeof(scored) * (size_t)(N ? N : 1));
    double *box = malloc(sizeof(double) * (size_t)(4 * (N ? N : 1)));
    char *dead = malloc((size_t)(N ? N : 1));
    if (!order || !box || !dead) {
        free(order), free(box), free(dead);
        return mxi_op_error(c, MX_ERR_MEMORY, "out of memory");
    }
    for (int64_t bi = 0; bi < B; bi++) {
        const int64_t base = bi * N * K;
        int64_t n = 0;
        for (int64_t r = 0; r < N; r++) {
            double sc = mxi_fget(x, base + r * K + si);
            if (!(sc > valid)) continue;
            if (id >= 0 && (int64_t)mxi_fget(x, base + r * K + id) == bg) continue;
            order[n].score = sc, order[n].row = r, n++;
        }
        qsort(order, (size_t)n, sizeof(scored), by_score_desc);
        if (topk > 0 && n > topk) n = topk;
        for (int64_t k = 0; k < n; k++) {
            double raw[4];
            for (int q = 0; q < 4; q++) raw[q] = mxi_fget(x, base + order[k].row * K + cs + q);
            corners(raw, fin, box + 4 * k);
            dead[k] = 0;
        }
        int64_t kept = 0;
        for (int64_t k = 0; k < n; k++) {
            if (dead[k]) continue;
            const int64_t rk = order[k].row;
            for (int64_t m = k + 1; m < n; m++) {
                if (dead[m]) continue;
                if (!force && id >= 0 && mxi_fget(x, base + rk * K + id) != mxi_fget(x, base + order[m].row * K + id)) continue;
                if (iou(box + 4 * k, box + 4 * m) > thresh) dead[m] = 1;
            }
            /* output row `kept`: the box, coordinates in out_format */
            for (int64_t f = 0; f < K; f++) mxi_fset(c->out[0], base + kept * K + f, mxi_fget(x, base + rk * K + f));
            const double *cb = box + 4 * k;
            double o[4] = {cb[0], cb[1], cb[2], cb[3]};
            if (fout == FMT_CENTER) o[0] = (cb[0] + cb[2]) / 2, o[1] = (cb[1] + cb[3]) / 2, o[2] = cb[2] - cb[0], o[3] = cb[3] - cb[1];
            for (int q = 0; q < 4; q++) mxi_fset(c->out[0], base + kept * K + cs + q, o[q]);
            mxi_fset(c->out[1], bi * N + kept, (double)rk);
            kept++;
        }
        for (int64_t r = kept; r < N; r++) {
            for (int64_t f = 0; f < K; f++) mxi_fset(c->out[0], base + r * K + f, -1.0);
            mxi_fset(c->out[1], bi * N + r, -1.0);
        }
    }
    free(order), free(box), free(dead);
    return MX_OK;
}

/* _backward_contrib_box_nms(ograd, index) -> ddata: each kept row's gradient
 * back to its source row (coordinate conversions are not differentiated, as
 * in MXNet) */
static int nmsb_infer(mx_call *c) {
    mxi_same_as_in(c, 0, 0);
    return MX_OK;
}

static int nmsb_cpu(mx_call *c) {
    const mx_tensor_s *g = c->in[0], *index = c->in[1];
    const int64_t K = g->shape[g->ndim - 1], N = g->shape[g->ndim - 2], B = N && K ? g->size / (N * K) : 0;
    for (int64_t bi = 0; bi < B; bi++)
        for (int64_t r = 0; r < N; r++) {
            const int64_t src = (int64_t)mxi_fget(index, bi * N + r);
            if (src < 0) continue;
            for (int64_t f = 0; f < K; f++) mxi_fset(c->out[0], (bi * N + src) * K + f, mxi_fget(g, (bi * N + r) * K + f));
        }
    return MX_OK;
}

static int nms_grad(mx_grad_ctx *g) {
    g->igrad[0] = mxi_call1("_backward_contrib_box_nms", NULL, 2, g->ograd[0], g->out[1]);
    return g->igrad[0] ? MX_OK : mx_last_error_code();
}

/* ======================================================================
 * MultiBoxPrior: SSD anchors for every position of a feature map
 * ====================================================================== */
enum { MP_SIZES, MP_RATIOS, MP_CLIP, MP_STEPS, MP_OFFSETS };
static const mx_attr_spec mp_attrs[] = {
    {"sizes", MX_ATTR_FLOATS, "(1,)", "Anchor sizes (fractions of the image height)."},
    {"ratios", MX_ATTR_FLOATS, "(1,)",
     "Aspect ratios (w/h): the first with every size, the others with the first size."},
    {"clip", MX_ATTR_BOOL, "False", "Clip the anchors to [0, 1]."},
    {"steps", MX_ATTR_FLOATS, "(-1,-1)", "Distance (y, x) between anchor centres; <= 0: 1 / feature size."},
    {"offsets", MX_ATTR_FLOATS, "(0.5,0.5)", "Offset (y, x) of the first centre, in steps."},
};

static int mp_infer(mx_call *c) {
    const mx_tensor_s *x = c->in[0];
    if (x->ndim != 4) return mxi_op_error(c, MX_ERR_INVALID, "data must be 4-d (N, C, H, W), got %d-d", x->ndim);
    const mx_attr_val *sz = &c->attrs[MP_SIZES], *rt = &c->attrs[MP_RATIOS];
    if (sz->n < 1 || rt->n < 1) return mxi_op_error(c, MX_ERR_INVALID, "sizes and ratios need at least one value");
    for (int i = 0; i < rt->n; i++)
        if (!(rt->fv[i] > 0))
            return mxi_op_error(c, MX_ERR_INVALID, "ratios must be > 0 (width / height), got ratios[%d] = %g", i,
                                rt->fv[i]);
    if (c->attrs[MP_STEPS].n != 2 || c->attrs[MP_OFFSETS].n != 2)
        return mxi_op_error(c, MX_ERR_INVALID, "steps and offsets must have 2 values (y, x)");
    int64_t os[3] = {1, x->shape[2] * x->shape[3] * (sz->n + rt->n - 1), 4};
    mxi_set_out(c, 0, os, 3, x->dtype);
    return MX_OK;
}

static int mp_cpu(mx_call *c) {
    const mx_tensor_s *x = c->in[0];
    const mx_attr_val *sz = &c->attrs[MP_SIZES], *rt = &c->attrs[MP_RATIOS];
    const int64_t H = x->shape[2], W = x->shape[3];
    const double sy = c->attrs[MP_STEPS].fv[0] > 0 ? c->attrs[MP_STEPS].fv[0] : 1.0 / (double)H;
    const double sx = c->attrs[MP_STEPS].fv[1] > 0 ? c->attrs[MP_STEPS].fv[1] : 1.0 / (double)W;
    const double oy = c->attrs[MP_OFFSETS].fv[0], ox = c->attrs[MP_OFFSETS].fv[1];
    const int clip = (int)c->attrs[MP_CLIP].i;
    int64_t k = 0;
    for (int64_t r = 0; r < H; r++) {
        const double cy = ((double)r + oy) * sy;
        for (int64_t col = 0; col < W; col++) {
            const double cx = ((double)col + ox) * sx;
            for (int a = 0; a < sz->n + rt->n - 1; a++) {
                /* the sizes at the first ratio (MXNet: 1 unless the user insists), then the other
                 * ratios at the first size */
                double w, h;
                if (a < sz->n) {
                    double q = sqrt(rt->fv[0]);
                    w = sz->fv[a] * (double)H / (double)W * q / 2, h = sz->fv[a] / q / 2;
                } else {
                    double q = sqrt(rt->fv[a - sz->n + 1]);
                    w = sz->fv[0] * (double)H / (double)W * q / 2, h = sz->fv[0] / q / 2;
                }
                double v[4] = {cx - w, cy - h, cx + w, cy + h};
                for (int q = 0; q < 4; q++) mxi_fset(c->out[0], k * 4 + q, clip ? fmin(fmax(v[q], 0.0), 1.0) : v[q]);
                k++;
            }
        }
    }
    return MX_OK;
}

static int mp_grad(mx_grad_ctx *g) { /* anchors do not depend on the data's values */
    g->igrad[0] = mxi_call1("zeros_like", NULL, 1, g->in[0]);
    return g->igrad[0] ? MX_OK : mx_last_error_code();
}

/* ======================================================================
 * box_iou, bipartite_matching, box_encode, box_decode: the box utilities of
 * SSD / Faster R-CNN target generation (not differentiable)
 * ====================================================================== */
enum { IOU_FMT };
static const mx_attr_spec iou_attrs[] = {
    {"format", MX_ATTR_ENUM, "corner", "Box coordinates: corner (x1, y1, x2, y2) or center (x, y, w, h).",
     "corner,center"},
};

static int iou_infer(mx_call *c) {
    const mx_tensor_s *a = c->in[0], *b = c->in[1];
    if (a->ndim < 1 || b->ndim < 1 || a->shape[a->ndim - 1] != 4 || b->shape[b->ndim - 1] != 4)
        return mxi_op_error(c, MX_ERR_INVALID, "lhs and rhs must end in a dimension of 4 (box coordinates)");
    if (a->ndim + b->ndim - 2 > MX_MAX_NDIM) return mxi_op_error(c, MX_ERR_INVALID, "too many dimensions");
    int64_t os[MX_MAX_NDIM];
    int n = 0;
    for (int i = 0; i < a->ndim - 1; i++) os[n++] = a->shape[i];
    for (int i = 0; i < b->ndim - 1; i++) os[n++] = b->shape[i];
    mxi_set_out(c, 0, os, n, a->dtype);
    return mxi_require_same_dtype(c);
}

static int iou_cpu(mx_call *c) {
    const mx_tensor_s *a = c->in[0], *b = c->in[1];
    const int64_t na = a->size / 4, nb = b->size / 4;
    const int fmt = (int)c->attrs[IOU_FMT].i;
    for (int64_t i = 0; i < na; i++) {
        double ra[4], ca[4];
        for (int q = 0; q < 4; q++) ra[q] = mxi_fget(a, i * 4 + q);
        corners(ra, fmt, ca);
        for (int64_t j = 0; j < nb; j++) {
            double rb[4], cb[4];
            for (int q = 0; q < 4; q++) rb[q] = mxi_fget(b, j * 4 + q);
            corners(rb, fmt, cb);
            mxi_fset(c->out[0], i * nb + j, iou(ca, cb));
        }
    }
    return MX_OK;
}

enum { BM_ASCEND, BM_THRESH, BM_TOPK };
static const mx_attr_spec bm_attrs[] = {
    {"is_ascend", MX_ATTR_BOOL, "False", "Match the lowest scores first (else the highest)."},
    {"threshold", MX_ATTR_FLOAT, NULL, "Stop at scores below (descending) or above (ascending) this."},
    {"topk", MX_ATTR_INT, "-1", "Stop after topk + 1 matches, as MXNet (<= 0: no limit).", NULL, 1, -1, 9e18},
};

static int bm_infer(mx_call *c) {
    const mx_tensor_s *x = c->in[0];
    if (x->ndim < 2) return mxi_op_error(c, MX_ERR_INVALID, "data must be (..., rows, cols), got %d-d", x->ndim);
    int64_t os[MX_MAX_NDIM];
    memcpy(os, x->shape, sizeof(int64_t) * (size_t)x->ndim);
    mxi_set_out(c, 0, os, x->ndim - 1, x->dtype); /* row -> matched col */
    os[x->ndim - 2] = x->shape[x->ndim - 1];
    mxi_set_out(c, 1, os, x->ndim - 1, x->dtype); /* col -> matched row */
    return MX_OK;
}

static int by_score_asc(const void *pa, const void *pb) { return by_score_desc(pb, pa); }

static int bm_cpu(mx_call *c) {
    const mx_tensor_s *x = c->in[0];
    const int64_t N = x->shape[x->ndim - 2], M = x->shape[x->ndim - 1], B = N && M ? x->size / (N * M) : 0;
    const int asc = (int)c->attrs[BM_ASCEND].i;
    const double th = c->attrs[BM_THRESH].f;
    const int64_t topk = c->attrs[BM_TOPK].i;
    scored *e = malloc(sizeof(scored) * (size_t)(N * M > 0 ? N * M : 1));
    if (!e) return mxi_op_error(c, MX_ERR_MEMORY, "out of memory");
    for (int64_t b = 0; b < B; b++) {
        for (int64_t k = 0; k < N * M; k++) e[k].score = mxi_fget(x, b * N * M + k), e[k].row = k;
        qsort(e, (size_t)(N * M), sizeof(scored), asc ? by_score_asc : by_score_desc);
        for (int64_t r = 0; r < N; r++) mxi_fset(c->out[0], b * N + r, -1);
        for (int64_t m = 0; m < M; m++) mxi_fset(c->out[1], b * M + m, -1);
        /* As MXNet 1.9.1: a score equal to the threshold does not match, topk <= 0 means no limit,
         * and the limit is checked after a match, so topk = k stops at k + 1 matches. */
        int64_t matched = 0;
        for (int64_t k = 0; k < N * M; k++) {
            if (asc ? !(e[k].score < th) : !(e[k].score > th)) break;
            const int64_t r = e[k].row / M, m = e[k].row % M;
            if (mxi_fget(c->out[0], b * N + r) >= 0 || mxi_fget(c->out[1], b * M + m) >= 0) continue;
            mxi_fset(c->out[0], b * N + r, (double)m);
            mxi_fset(c->out[1], b * M + m, (double)r);
            if (topk > 0 && ++matched > topk) break;
        }
    }
    free(e);
    return MX_OK;
}

/* centre form (x, y, w, h) of corner box b[4] */
static void centre(const double *b, double o[4]) {
    o[2] = b[2] - b[0], o[3] = b[3] - b[1], o[0] = b[0] + o[2] / 2, o[1] = b[1] + o[3] / 2;
}

/* box_encode(samples (B, N), matches (B, N), anchors (B, N, 4), refs (B, M, 4), means (4), stds (4)) ->
 * targets (B, N, 4), masks (B, N, 4): positive samples get their matched ref as normalised centre offsets */
static int enc_infer(mx_call *c) {
    const mx_tensor_s *s = c->in[0], *a = c->in[2], *r = c->in[3];
    if (s->ndim != 2 || c->in[1]->ndim != 2 || a->ndim != 3 || r->ndim != 3 || a->shape[2] != 4 ||
        r->shape[2] != 4 || a->shape[0] != s->shape[0] || a->shape[1] != s->shape[1] || r->shape[0] != s->shape[0] ||
        c->in[1]->shape[0] != s->shape[0] || c->in[1]->shape[1] != s->shape[1] || c->in[4]->size != 4 ||
        c->in[5]->size != 4)
        return mxi_op_error(c, MX_ERR_INVALID, "expected samples and matches (B, N), anchors (B, N, 4), refs "
                                               "(B, M, 4), means and stds of 4 values");
    mxi_set_out(c, 0, a->shape, 3, a->dtype);
    mxi_set_out(c, 1, a->shape, 3, a->dtype);
    return MX_OK;
}

static int enc_cpu(mx_call *c) {
    const mx_tensor_s *smp = c->in[0], *mt = c->in[1], *an = c->in[2], *rf = c->in[3];
    const int64_t B = an->shape[0], N = an->shape[1], M = rf->shape[1];
    for (int64_t i = 0; i < B * N; i++) {
        if (mxi_fget(smp, i) < 0.5) continue; /* negatives and ignored: zero target, zero mask */
        const int64_t m = (int64_t)mxi_fget(mt, i), b = i / N;
        if (m < 0 || m >= M) return mxi_op_error(c, MX_ERR_INVALID, "match %lld outside refs [0, %lld)", (long long)m,
                                                 (long long)M);
        double ab[4], rb[4], ac[4], rc[4];
        for (int q = 0; q < 4; q++) ab[q] = mxi_fget(an, i * 4 + q), rb[q] = mxi_fget(rf, (b * M + m) * 4 + q);
        centre(ab, ac);
        centre(rb, rc);
        const double t[4] = {(rc[0] - ac[0]) / ac[2], (rc[1] - ac[1]) / ac[3], log(rc[2] / ac[2]), log(rc[3] / ac[3])};
        for (int q = 0; q < 4; q++) {
            mxi_fset(c->out[0], i * 4 + q, (t[q] - mxi_fget(c->in[4], q)) / mxi_fget(c->in[5], q));
            mxi_fset(c->out[1], i * 4 + q, 1.0);
        }
    }
    return MX_OK;
}

/* box_decode(data (B, N, 4) deltas, anchors (1 or B, N, 4)) -> corner boxes */
enum { DEC_STD0, DEC_STD1, DEC_STD2, DEC_STD3, DEC_CLIP, DEC_FMT };
static const mx_attr_spec dec_attrs[] = {
    {"std0", MX_ATTR_FLOAT, "1", "Scale of the x delta."},
    {"std1", MX_ATTR_FLOAT, "1", "Scale of the y delta."},
    {"std2", MX_ATTR_FLOAT, "1", "Scale of the width delta."},
    {"std3", MX_ATTR_FLOAT, "1", "Scale of the height delta."},
    {"clip", MX_ATTR_FLOAT, "-1", "If > 0, width/height deltas are clipped to this before exp."},
    {"format", MX_ATTR_ENUM, "center", "Anchor coordinates: center (x, y, w, h) or corner.", "corner,center"},
};

static int dec_infer(mx_call *c) {
    const mx_tensor_s *d = c->in[0], *a = c->in[1];
    if (d->ndim != 3 || d->shape[2] != 4 || a->ndim != 3 || a->shape[2] != 4 || a->shape[1] != d->shape[1] ||
        (a->shape[0] != 1 && a->shape[0] != d->shape[0]))
        return mxi_op_error(c, MX_ERR_INVALID, "expected data (B, N, 4) and anchors (1 or B, N, 4)");
    mxi_same_as_in(c, 0, 0);
    return mxi_require_same_dtype(c);
}

static int dec_cpu(mx_call *c) {
    const mx_tensor_s *d = c->in[0], *a = c->in[1];
    const int64_t N = d->shape[1];
    const double clip = c->attrs[DEC_CLIP].f;
    const double sd[4] = {c->attrs[DEC_STD0].f, c->attrs[DEC_STD1].f, c->attrs[DEC_STD2].f, c->attrs[DEC_STD3].f};
    for (int64_t i = 0; i < d->size / 4; i++) {
        const int64_t ai = a->shape[0] == 1 ? i % N : i;
        double ab[4], ac[4];
        for (int q = 0; q < 4; q++) ab[q] = mxi_fget(a, ai * 4 + q);
        if (c->attrs[DEC_FMT].i == FMT_CENTER) memcpy(ac, ab, sizeof ac);
        else centre(ab, ac);
        double dw = mxi_fget(d, i * 4 + 2) * sd[2], dh = mxi_fget(d, i * 4 + 3) * sd[3];
        if (clip > 0) dw = fmin(dw, clip), dh = fmin(dh, clip);
        const double x = ac[0] + mxi_fget(d, i * 4) * sd[0] * ac[2], y = ac[1] + mxi_fget(d, i * 4 + 1) * sd[1] * ac[3];
        const double w = exp(dw) * ac[2] / 2, h = exp(dh) * ac[3] / 2;
        mxi_fset(c->out[0], i * 4, x - w), mxi_fset(c->out[0], i * 4 + 1, y - h);
        mxi_fset(c->out[0], i * 4 + 2, x + w), mxi_fset(c->out[0], i * 4 + 3, y + h);
    }
    return MX_OK;
}

static const mx_op_def ops[] = {
    {.name = "ROIPooling", .doc = "Max pooling of each region of interest (rois: [batch, x1, y1, x2, y2] in image "
                                  "pixels, rounded after spatial_scale) into pooled_size bins (Fast R-CNN).",
     .inputs = "data,rois", .num_outputs = 2, .num_visible_outputs = 1, .attrs = rp_attrs,
     .n_attrs = NATTR(rp_attrs), .infer = rp_infer, .cpu = rp_cpu, .grad = rp_grad, .dtypes = MX_DT_FLOAT,
     .flags = MX_OPF_WRITES_ALL},
    {.name = "_backward_ROIPooling", .doc = "Gradient of ROIPooling: each bin's gradient to its argmax.",
     .inputs = "ograd,data,rois,argmax", .num_outputs = 2, .attrs = rp_attrs, .n_attrs = NATTR(rp_attrs),
     .infer = rpb_infer, .cpu = rpb_cpu, .dtypes = MX_DT_FLOAT, .flags = MX_OPF_INTERNAL},
    {.name = "_contrib_ROIAlign",
     .doc = "Region of interest align (Mask R-CNN): each bin is the average of bilinear samples on a grid.",
     .inputs = "data,rois", .num_outputs = 1, .attrs = ra_attrs, .n_attrs = NATTR(ra_attrs), .infer = ra_infer,
     .cpu = ra_cpu, .grad = ra_grad, .dtypes = MX_DT_FLOAT, .flags = MX_OPF_WRITES_ALL},
    {.name = "_backward_ROIAlign", .doc = "Gradient of ROIAlign: the bilinear weights scattered back.",
     .inputs = "ograd,data,rois", .num_outputs = 2, .attrs = ra_attrs, .n_attrs = NATTR(ra_attrs),
     .infer = rpb_infer, .cpu = rab_cpu, .dtypes = MX_DT_FLOAT, .flags = MX_OPF_INTERNAL},
    {.name = "_contrib_box_nms", .output_names = "output0,output1", .aliases = "_contrib_box_non_maximum_suppression",
     .doc = "Non-maximum suppression of boxes (rows of [..., score, ..., x1, y1, x2, y2, ...]) per batch: sorted by "
            "score, overlapping lower-scored boxes removed, the rest of the rows -1.",
     .inputs = "data", .num_outputs = 2, .num_visible_outputs = 1, .attrs = nms_attrs,
     .n_attrs = NATTR(nms_attrs), .infer = nms_infer, .cpu = nms_cpu, .grad = nms_grad, .dtypes = MX_DT_FLOAT,
     .flags = MX_OPF_WRITES_ALL},
    {.name = "_backward_contrib_box_nms", .doc = "Gradient of box_nms: each kept row's gradient to its source row.",
     .inputs = "ograd,index", .num_outputs = 1, .infer = nmsb_infer, .cpu = nmsb_cpu, .dtypes = MX_DT_FLOAT,
     .flags = MX_OPF_INTERNAL},
    {.name = "_contrib_box_iou", .doc = "IoU of every lhs box with every rhs box: (..lhs, ..rhs).",
     .inputs = "lhs,rhs", .num_outputs = 1, .attrs = iou_attrs, .n_attrs = NATTR(iou_attrs), .infer = iou_infer,
     .cpu = iou_cpu, .dtypes = MX_DT_FLOAT, .flags = MX_OPF_WRITES_ALL | MX_OPF_NO_GRAD},
    {.name = "_contrib_bipartite_matching",
     .doc = "Greedy bipartite matching of a (..., rows, cols) score matrix: best scores first (or lowest with "
            "is_ascend) until threshold or topk; outputs the matched column of each row and row of each column "
            "(-1: none).",
     .inputs = "data", .num_outputs = 2, .attrs = bm_attrs, .n_attrs = NATTR(bm_attrs), .infer = bm_infer,
     .cpu = bm_cpu, .dtypes = MX_DT_FLOAT, .flags = MX_OPF_WRITES_ALL | MX_OPF_NO_GRAD},
    {.name = "_contrib_box_encode",
     .doc = "Training targets of positive samples: normalised centre offsets of the matched refs from the anchors "
            "((target - means) / stds), with masks.",
     .inputs = "samples,matches,anchors,refs,means,stds", .num_outputs = 2, .infer = enc_infer, .cpu = enc_cpu,
     .dtypes = MX_DT_FLOAT, .flags = MX_OPF_NO_GRAD},
    {.name = "_contrib_box_decode", .doc = "Corner boxes from centre-offset deltas (scaled by std0..3) and anchors.",
     .inputs = "data,anchors", .num_outputs = 1, .attrs = dec_attrs, .n_attrs = NATTR(dec_attrs),
     .infer = dec_infer, .cpu = dec_cpu, .dtypes = MX_DT_FLOAT, .flags = MX_OPF_WRITES_ALL | MX_OPF_NO_GRAD},
    {.name = "_contrib_MultiBoxPrior",
     .doc = "SSD prior (anchor) boxes for every position of a feature map: (1, H * W * anchors, 4) corners.",
     .inputs = "data", .num_outputs = 1, .attrs = mp_attrs, .n_attrs = NATTR(mp_attrs), .infer = mp_infer,
     .cpu = mp_cpu, .grad = mp_grad, .dtypes = MX_DT_FLOAT, .flags = MX_OPF_WRITES_ALL},
};

void mxi_register_detection_multibox(void); /* detection_multibox.c: MultiBoxTarget, MultiBoxDetection */
void mxi_register_detection_proposal(void); /* detection_proposal.c: Proposal, MultiProposal, PSROIPooling */
void mxi_register_detection(void);
void mxi_register_detection(void) {
    mxi_register_ops(ops, NATTR(ops));
    mxi_register_detection_multibox();
    mxi_register_detection_proposal();
}
