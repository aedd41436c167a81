/* detection_proposal.c — the Faster R-CNN / R-FCN ops of MXNet 1.x:
 * _contrib_Proposal and _contrib_MultiProposal (region proposals of an RPN
 * head) and _contrib_PSROIPooling (position-sensitive ROI average pooling,
 * with its backward). Part of the detection family: registered from
 * mxi_register_detection() in detection.c.
 *
 * Values follow MXNet 1.9.1's CPU operators (checked in
 * tests/python/ops/test_detection_proposal.py against numbers MXNet printed),
 * including its arithmetic and its pixel conventions: box widths and heights
 * are x2 - x1 + 1 (inclusive pixel corners) in anchors, decoding, the
 * min_size filter and the NMS overlap. Proposal kernels compute in float32 as
 * MXNet does (it accepts float32 only; float64 inputs are computed in float32
 * here), so comparisons with thresholds fall the same way. PSROIPooling
 * computes in the input's dtype, rounding as MXNet's templated kernel does.
 *
 * Where MXNet 1.9.1 does something surprising, we do the same, on purpose:
 *  - Proposals smaller than rpn_min_size * im_info[2] are not removed: they
 *    are grown by min_size / 2 on every side and get score -1, so they sort
 *    last but still take part in NMS (and can fill the output).
 *  - Anchors at positions beyond im_info's real feature size
 *    (int(im_info[0] / feature_stride) rows, likewise columns) keep their
 *    decoded box with score -1.
 *  - When fewer than rpn_post_nms_top_n proposals survive NMS, the output is
 *    filled by cycling through the kept ones again (row i takes kept
 *    proposal i mod kept), with their scores.
 *  - The NMS keeps at most min(rpn_post_nms_top_n, pre-NMS count) boxes; a
 *    box is suppressed when its IoU with a kept one is > threshold.
 *  - Proposal takes one image only (MXNet: "multiple images each device is
 *    not implemented"); MultiProposal takes a batch.
 * Stricter than MXNet: PSROIPooling checks roi batch indices and that data
 * has at least output_dim * group_size^2 channels (MXNet checks neither and
 * reads out of bounds; extra channels are unused, as in MXNet);
 * feature_stride must be >= 1 and rpn_post_nms_top_n >= 1 (MXNet divides by
 * zero / writes an empty output it then indexes); Proposal checks
 * len(ratios) * len(scales) against cls_prob's channels at shape inference,
 * not at run time. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../op.h"
#include "detection_util.h"

#define NATTR(a) ((int)(sizeof(a) / sizeof((a)[0])))

void mxi_register_detection_proposal(void);


/* ======================================================================
 * Proposal(cls_prob (1, 2A, H, W), bbox_pred (1, 4A, H, W), im_info (1, 3))
 *   -> rois (post, 5) [batch index, x1, y1, x2, y2], score (post, 1)
 * MultiProposal: the same per image of a batch of B -> (B * post, 5), (B * post, 1).
 * A = len(ratios) * len(scales) anchors per position, anchor a = ratio index
 * * len(scales) + scale index, centred in the feature_stride cell; the
 * foreground score of anchor a is cls_prob channel A + a. im_info rows are
 * [height, width, scale] of the image.
 * ====================================================================== */
enum { PR_PRE, PR_POST, PR_THRESH, PR_MIN, PR_SCALES, PR_RATIOS, PR_STRIDE, PR_SCORE, PR_IOU };
static const mx_attr_spec pr_attrs[] = {
    {"rpn_pre_nms_top_n", MX_ATTR_INT, "6000",
     "Number of top scoring boxes to keep before applying NMS to RPN proposals (<= 0: all).", NULL, 1, -2e9, 2e9},
    {"rpn_post_nms_top_n", MX_ATTR_INT, "300",
     "Number of top scoring boxes to keep after applying NMS to RPN proposals (the output rows per image; when "
     "fewer survive, the kept ones repeat).",
     NULL, 1, 1, 2e9},
    {"threshold", MX_ATTR_FLOAT, "0.7", "NMS value, below which to suppress (IoU > threshold is suppressed)."},
    {"rpn_min_size", MX_ATTR_INT, "16",
     "Minimum height or width in proposal, in image pixels before scaling by im_info[2] (smaller ones get score "
     "-1).",
     NULL, 1, -2e9, 2e9},
    {"scales", MX_ATTR_FLOATS, "(4,8,16,32)", "Used to generate anchor windows by enumerating scales."},
    {"ratios", MX_ATTR_FLOATS, "(0.5,1,2)", "Used to generate anchor windows by enumerating ratios."},
    {"feature_stride", MX_ATTR_INT, "16",
     "The size of the receptive field each unit in the convolution layer of the rpn, for example the product of all "
     "stride's prior to this layer.",
     NULL, 1, 1, 2e9},
    {"output_score", MX_ATTR_BOOL, "False", "Add score to outputs."},
    {"iou_loss", MX_ATTR_BOOL, "False", "Usage of IoU Loss: bbox_pred holds corner offsets, not centre/log-size deltas."},
};

static int pr_visible(const mx_call *c) { return c->attrs[PR_SCORE].i ? 2 : 1; }

static int pr_infer_any(mx_call *c, int multi) {
    const mx_tensor_s *p = c->in[0], *d = c->in[1], *im = c->in[2];
    const int64_t A = (int64_t)c->attrs[PR_SCALES].n * c->attrs[PR_RATIOS].n;
    if (A < 1) return mxi_op_error(c, MX_ERR_INVALID, "scales and ratios must not be empty");
    if (p->ndim != 4 || p->shape[1] != 2 * A || p->shape[0] < 1 || p->shape[2] < 1 || p->shape[3] < 1)
        return mxi_op_error(c, MX_ERR_INVALID,
                            "cls_prob must be (batch, 2 * anchors, height, width) with anchors = len(ratios) * "
                            "len(scales) = %lld",
                            (long long)A);
    if (!multi && p->shape[0] != 1)
        return mxi_op_error(c, MX_ERR_INVALID,
                            "takes one image (batch 1), got batch %lld: use _contrib_MultiProposal for a batch",
                            (long long)p->shape[0]);
    if (d->ndim != 4 || d->shape[0] != p->shape[0] || d->shape[1] != 4 * A || d->shape[2] != p->shape[2] ||
        d->shape[3] != p->shape[3])
        return mxi_op_error(c, MX_ERR_INVALID, "bbox_pred must be (batch, 4 * anchors, height, width) of cls_prob");
    if (im->ndim != 2 || im->shape[0] != p->shape[0] || im->shape[1] != 3)
        return mxi_op_error(c, MX_ERR_INVALID, "im_info must be (batch of cls_prob, 3) rows [height, width, scale]");
    MXI_TRY(mxi_require_same_dtype(c));
    int64_t os[2] = {p->shape[0] * c->attrs[PR_POST].i, 5};
    mxi_set_out(c, 0, os, 2, p->dtype);
    os[1] = 1;
    mxi_set_out(c, 1, os, 2, p->dtype);
    return MX_OK;
}

static int pr_infer(mx_call *c) { return pr_infer_any(c, 0); }
static int mpr_infer(mx_call *c) { return pr_infer_any(c, 1); }

/* The A base anchors (x1, y1, x2, y2) of a stride x stride cell at the
 * origin, in MXNet's float arithmetic (sizes rounded to whole pixels). */
static void base_anchors(const mx_call *c, float *out) {
    const float stride = (float)c->attrs[PR_STRIDE].i;
    const float w = stride, h = stride; /* (stride - 1) - 0 + 1 */
    const float xc = (float)(0.0 + 0.5 * (double)(w - 1.0f)), yc = (float)(0.0 + 0.5 * (double)(h - 1.0f));
    const float size = w * h;
    int k = 0;
    for (int r = 0; r < c->attrs[PR_RATIOS].n; r++)
        for (int s = 0; s < c->attrs[PR_SCALES].n; s++, k++) {
            const float ratio = (float)c->attrs[PR_RATIOS].fv[r], scale = (float)c->attrs[PR_SCALES].fv[s];
            const float size_ratios = floorf(size / ratio);
            const float nw = floorf(sqrtf(size_ratios) + 0.5f) * scale;
            const float nh = floorf(nw / scale * ratio + 0.5f) * scale;
            out[k * 4 + 0] = xc - 0.5f * (nw - 1.0f), out[k * 4 + 1] = yc - 0.5f * (nh - 1.0f);
            out[k * 4 + 2] = xc + 0.5f * (nw - 1.0f), out[k * 4 + 3] = yc + 0.5f * (nh - 1.0f);
        }
}


typedef struct {
    float *box;    /* (count, 5): x1, y1, x2, y2, score */
    keyed *order;
    float *sorted; /* (pre, 5) */
    float *area;
    char *suppressed;
    int64_t *keep;
} pr_work;

/* rows of one image: decode, filter, sort, NMS, fill `post` output rows */
static void pr_image(mx_call *c, pr_work *w, const float *anchors, int64_t b) {
    const mx_tensor_s *p = c->in[0];
    const int64_t A = p->shape[1] / 2, H = p->shape[2], W = p->shape[3], count = A * H * W;
    const int64_t post_rows = c->attrs[PR_POST].i;
    const float *score = MXI_PTR(float, p) + (b * 2 * A + A) * H * W;
    const float *delta = MXI_PTR(float, c->in[1]) + b * 4 * A * H * W;
    const float *info = MXI_PTR(float, c->in[2]) + b * 3;
    float *rois = MXI_PTR(float, c->out[0]) + b * post_rows * 5, *scores = MXI_PTR(float, c->out[1]) + b * post_rows;
    const float stride = (float)c->attrs[PR_STRIDE].i, im_h = info[0], im_w = info[1];
    const int real_h = (int)(im_h / stride), real_w = (int)(im_w / stride);
    const int iou_loss = (int)c->attrs[PR_IOU].i;
    const float min_size = (float)c->attrs[PR_MIN].i * info[2];
    int64_t pre = c->attrs[PR_PRE].i > 0 ? c->attrs[PR_PRE].i : count;
    if (pre > count) pre = count;
    const int64_t post = post_rows < pre ? post_rows : pre;

    for (int64_t y = 0; y < H; y++)
        for (int64_t x = 0; x < W; x++)
            for (int64_t a = 0; a < A; a++) {
                float *o = w->box + ((y * W + x) * A + a) * 5;
                const float sx = (float)x * stride, sy = (float)y * stride;
                const float ax1 = anchors[a * 4] + sx, ay1 = anchors[a * 4 + 1] + sy;
                const float ax2 = anchors[a * 4 + 2] + sx, ay2 = anchors[a * 4 + 3] + sy;
                const int64_t plane = H * W, at = y * W + x;
                const float d0 = delta[(a * 4) * plane + at], d1 = delta[(a * 4 + 1) * plane + at];
                const float d2 = delta[(a * 4 + 2) * plane + at], d3 = delta[(a * 4 + 3) * plane + at];
                float r[4];
                if (iou_loss) {
                    r[0] = ax1 + d0, r[1] = ay1 + d1, r[2] = ax2 + d2, r[3] = ay2 + d3;
                } else {
                    const float bw = ax2 - ax1 + 1.0f, bh = ay2 - ay1 + 1.0f;
                    const float cx = (float)(ax1 + 0.5 * (double)(bw - 1.0f));
                    const float cy = (float)(ay1 + 0.5 * (double)(bh - 1.0f));
                    const float pcx = d0 * bw + cx, pcy = d1 * bh + cy;
                    const float pw = (float)(exp((double)d2) * bw), ph = (float)(exp((double)d3) * bh);
                    r[0] = (float)(pcx - 0.5 * ((double)pw - 1.0)), r[1] = (float)(pcy - 0.5 * ((double)ph - 1.0));
                    r[2] = (float)(pcx + 0.5 * ((double)pw - 1.0)), r[3] = (float)(pcy + 0.5 * ((double)ph - 1.0));
                }
                for (int q = 0; q < 4; q++) {
                    const float hi = (q & 1 ? im_h : im_w) - 1.0f;
                    float v = r[q] < hi ? r[q] : hi;
                    o[q] = v > 0.0f ? v : 0.0f;
                }
                o[4] = (y >= real_h || x >= real_w) ? -1.0f : score[a * plane + at];
                /* too small: grown by min_size / 2 each side, score -1 */
                const float iw = o[2] - o[0] + 1.0f, ih = o[3] - o[1] + 1.0f;
                if (iw < min_size || ih < min_size) {
                    o[0] -= min_size / 2, o[1] -= min_size / 2, o[2] += min_size / 2, o[3] += min_size / 2;
                    o[4] = -1.0f;
                }
            }

    for (int64_t i = 0; i < count; i++) w->order[i].key = w->box[i * 5 + 4], w->order[i].index = i;
    qsort(w->order, (size_t)count, sizeof(keyed), by_key_desc);
    for (int64_t i = 0; i < pre; i++) {
        const float *s = w->box + w->order[i].index * 5;
        float *d = w->sorted + i * 5;
        memcpy(d, s, 5 * sizeof(float));
        w->area[i] = (d[2] - d[0] + 1) * (d[3] - d[1] + 1);
        w->suppressed[i] = 0;
    }
    const float thresh = (float)c->attrs[PR_THRESH].f;
    int64_t kept = 0;
    for (int64_t i = 0; i < pre && kept < post; i++) {
        if (w->suppressed[i]) continue;
        w->keep[kept++] = i;
        const float *bi = w->sorted + i * 5;
        for (int64_t j = i + 1; j < pre; j++) {
            if (w->suppressed[j]) continue;
            const float *bj = w->sorted + j * 5;
            const float xx1 = bi[0] > bj[0] ? bi[0] : bj[0], yy1 = bi[1] > bj[1] ? bi[1] : bj[1];
            const float xx2 = bi[2] < bj[2] ? bi[2] : bj[2], yy2 = bi[3] < bj[3] ? bi[3] : bj[3];
            const float iw = xx2 - xx1 + 1.0f > 0.0f ? xx2 - xx1 + 1.0f : 0.0f;
            const float ih = yy2 - yy1 + 1.0f > 0.0f ? yy2 - yy1 + 1.0f : 0.0f;
            const float inter = iw * ih;
            if (inter / (w->area[i] + w->area[j] - inter) > thresh) w->suppressed[j] = 1;
        }
    }
    /* kept >= 1: the first sorted box is always kept */
    for (int64_t i = 0; i < post_rows; i++) {
        const float *s = w->sorted + w->keep[i % kept] * 5;
        rois[i * 5] = (float)b;
        memcpy(rois + i * 5 + 1, s, 4 * sizeof(float));
        scores[i] = s[4];
    }
}

static int pr_cpu(mx_call *c) {
    const mx_tensor_s *p = c->in[0];
    const int64_t B = p->shape[0], A = p->shape[1] / 2, H = p->shape[2], W = p->shape[3], count = A * H * W;
    const float stride = (float)c->attrs[PR_STRIDE].i;
    for (int64_t b = 0; b < B; b++) { /* MXNet: CHECK_GE(height, real_height) */
        const float *info = MXI_PTR(float, c->in[2]) + b * 3;
        const int real_h = (int)(info[0] / stride), real_w = (int)(info[1] / stride);
        if (real_h > H || real_w > W)
            return mxi_op_error(c, MX_ERR_INVALID,
                                "im_info of image %lld (height %g, width %g) needs a feature map of at least %d x %d "
                                "at feature_stride %lld, got %lld x %lld",
                                (long long)b, (double)info[0], (double)info[1], real_h, real_w,
                                (long long)c->attrs[PR_STRIDE].i, (long long)H, (long long)W);
    }
    float *anchors = malloc(sizeof(float) * (size_t)(A * 4));
    pr_work w = {malloc(sizeof(float) * (size_t)(count * 5)), malloc(sizeof(keyed) * (size_t)count),
                 malloc(sizeof(float) * (size_t)(count * 5)), malloc(sizeof(float) * (size_t)count),
                 malloc((size_t)count), malloc(sizeof(int64_t) * (size_t)count)};
    int rc = MX_OK;
    if (!anchors || !w.box || !w.order || !w.sorted || !w.area || !w.suppressed || !w.keep) {
        rc = mxi_op_error(c, MX_ERR_MEMORY, "out of memory");
    } else {
        base_anchors(c, anchors);
        for (int64_t b = 0; b < B; b++) pr_image(c, &w, anchors, b);
    }
    free(anchors), free(w.box), free(w.order), free(w.sorted), free(w.area), free(w.suppressed), free(w.keep);
    return rc;
}

/* ======================================================================
 * PSROIPooling(data (N, output_dim * group^2, H, W), rois (R, 5))
 *   -> (R, output_dim, pooled_size, pooled_size)
 * R-FCN's position-sensitive pooling: the roi (corners rounded to whole
 * pixels, + 1 on the far side, times spatial_scale) is cut into pooled_size^2
 * bins; bin (i, j) of output channel k is the average of input channel
 * (k * group + gi) * group + gj over the bin's pixels, where (gi, gj) is the
 * bin's cell in a group x group grid. Empty bins are 0.
 * ====================================================================== */
enum { PS_SCALE, PS_DIM, PS_POOLED, PS_GROUP };
static const mx_attr_spec ps_attrs[] = {
    {"spatial_scale", MX_ATTR_FLOAT, NULL,
     "Ratio of input feature map height (or w) to raw image height (or w). Equals the reciprocal of total stride in "
     "convolutional layers."},
    {"output_dim", MX_ATTR_INT, NULL, "Output channels.", NULL, 1, 1, 2e9},
    {"pooled_size", MX_ATTR_INT, NULL, "Output height and width of each roi.", NULL, 1, 1, 2e9},
    {"group_size", MX_ATTR_INT, "0", "Position-sensitive grid size (0: pooled_size).", NULL, 1, 0, 2e9},
};

static int64_t ps_group(const mx_call *c) {
    return c->attrs[PS_GROUP].i ? c->attrs[PS_GROUP].i : c->attrs[PS_POOLED].i;
}

static int ps_infer(mx_call *c) {
    const mx_tensor_s *x = c->in[0], *rois = c->in[1];
    if (x->ndim != 4) return mxi_op_error(c, MX_ERR_INVALID, "data must be 4-d (N, C, H, W), got %d-d", x->ndim);
    if (rois->ndim != 2 || rois->shape[1] != 5)
        return mxi_op_error(c, MX_ERR_INVALID, "rois must have shape (R, 5): [batch index, x1, y1, x2, y2]");
    MXI_TRY(mxi_require_same_dtype(c));
    const int64_t g = ps_group(c), dim = c->attrs[PS_DIM].i, ps = c->attrs[PS_POOLED].i;
    if (x->shape[1] < dim * g * g) /* MXNet reads past the channels; more channels: the first ones are used */
        return mxi_op_error(c, MX_ERR_INVALID,
                            "data channels (%lld) must be at least output_dim * group_size^2 = %lld * %lld^2 = %lld",
                            (long long)x->shape[1], (long long)dim, (long long)g, (long long)(dim * g * g));
    int64_t os[4] = {rois->shape[0], dim, ps, ps};
    mxi_set_out(c, 0, os, 4, x->dtype);
    return MX_OK;
}

/* round to the kernel's dtype after each operation: float32 data is pooled in
 * float32 arithmetic, as MXNet's kernel templated on the dtype */
/* Walk every bin: fn(ctx, output index, input plane offset, hstart, hend,
 * wstart, wend) with the bin clipped to the map (may be empty). */
typedef void (*ps_visit)(void *ctx, int64_t o, int64_t plane, int64_t W, int64_t hs, int64_t he, int64_t ws,
                         int64_t we);

static int ps_walk(const mx_call *c, const mx_tensor_s *x, const mx_tensor_s *rois, ps_visit fn, void *ctx) {
    const int64_t N = x->shape[0], C = x->shape[1], H = x->shape[2], W = x->shape[3], R = rois->shape[0];
    const int64_t g = ps_group(c), dim = c->attrs[PS_DIM].i, P = c->attrs[PS_POOLED].i;
    const int f32 = x->dtype != MX_FLOAT64;
    const double s = rnd(f32, c->attrs[PS_SCALE].f);
    for (int64_t r = 0; r < R; r++) {
        const double bv = trunc(mxi_fget(rois, r * 5)); /* an int cast in MXNet: -1e-3 is batch 0 */
        if (!(bv >= 0 && bv < (double)N))
            return mxi_op_error(c, MX_ERR_INVALID, "roi %lld has batch index %g outside [0, %lld)", (long long)r, bv,
                                (long long)N);
        const int64_t b = (int64_t)bv;
        const double x0 = rnd(f32, round(mxi_fget(rois, r * 5 + 1)) * s);
        const double y0 = rnd(f32, round(mxi_fget(rois, r * 5 + 2)) * s);
        const double x1 = rnd(f32, rnd(f32, round(mxi_fget(rois, r * 5 + 3)) + 1.0) * s);
        const double y1 = rnd(f32, rnd(f32, round(mxi_fget(rois, r * 5 + 4)) + 1.0) * s);
        const double tenth = rnd(f32, 0.1);
        double rw = rnd(f32, x1 - x0), rh = rnd(f32, y1 - y0);
        rw = rw > tenth ? rw : tenth, rh = rh > tenth ? rh : tenth; /* too small rois: at least 0.1 */
        const double bh = rnd(f32, rh / (double)P), bw = rnd(f32, rw / (double)P);
        for (int64_t k = 0; k < dim; k++)
            for (int64_t i = 0; i < P; i++)
                for (int64_t j = 0; j < P; j++) {
                    int64_t hs = (int64_t)floor(rnd(f32, rnd(f32, (double)i * bh) + y0));
                    int64_t ws = (int64_t)floor(rnd(f32, rnd(f32, (double)j * bw) + x0));
                    int64_t he = (int64_t)ceil(rnd(f32, rnd(f32, (double)(i + 1) * bh) + y0));
                    int64_t we = (int64_t)ceil(rnd(f32, rnd(f32, (double)(j + 1) * bw) + x0));
                    hs = hs < 0 ? 0 : hs > H ? H : hs, he = he < 0 ? 0 : he > H ? H : he;
                    ws = ws < 0 ? 0 : ws > W ? W : ws, we = we < 0 ? 0 : we > W ? W : we;
                    int64_t gi = (int64_t)floor(rnd(f32, rnd(f32, (double)i * (double)g) / (double)P));
                    int64_t gj = (int64_t)floor(rnd(f32, rnd(f32, (double)j * (double)g) / (double)P));
                    gi = gi < 0 ? 0 : gi > g - 1 ? g - 1 : gi, gj = gj < 0 ? 0 : gj > g - 1 ? g - 1 : gj;
                    const int64_t cin = (k * g + gi) * g + gj;
                    fn(ctx, ((r * dim + k) * P + i) * P + j, (b * C + cin) * H * W, W, hs, he, ws, we);
                }
    }
    return MX_OK;
}

typedef struct {
    const mx_tensor_s *src; /* forward: data; backward: the output gradient */
    mx_tensor_s *dst;
} ps_job;

static void ps_gather(void *ctx, int64_t o, int64_t plane, int64_t W, int64_t hs, int64_t he, int64_t ws,
                      int64_t we) {
    ps_job *j = ctx;
    const int f32 = j->dst->dtype != MX_FLOAT64;
    double sum = 0;
    for (int64_t h = hs; h < he; h++)
        for (int64_t w = ws; w < we; w++) sum = rnd(f32, sum + mxi_fget(j->src, plane + h * W + w));
    const double area = (double)((he - hs) * (we - ws));
    mxi_fset(j->dst, o, he <= hs || we <= ws ? 0.0 : sum / area);
}

static void ps_scatter(void *ctx, int64_t o, int64_t plane, int64_t W, int64_t hs, int64_t he, int64_t ws,
                       int64_t we) {
    ps_job *j = ctx;
    if (he <= hs || we <= ws) return;
    const double d = rnd(j->dst->dtype != MX_FLOAT64, mxi_fget(j->src, o) / (double)((he - hs) * (we - ws)));
    for (int64_t h = hs; h < he; h++)
        for (int64_t w = ws; w < we; w++) mxi_fadd(j->dst, plane + h * W + w, d);
}

static int ps_cpu(mx_call *c) {
    ps_job j = {c->in[0], c->out[0]};
    return ps_walk(c, c->in[0], c->in[1], ps_gather, &j);
}

/* _backward_PSROIPooling(ograd, data, rois) -> ddata, drois (zero) */
static int psb_infer(mx_call *c) {
    mxi_same_as_in(c, 0, 1);
    mxi_same_as_in(c, 1, 2);
    return MX_OK;
}

static int psb_cpu(mx_call *c) { /* outputs arrive zeroed (no MX_OPF_WRITES_ALL) */
    ps_job j = {c->in[0], c->out[0]};
    return ps_walk(c, c->in[1], c->in[2], ps_scatter, &j);
}

static int ps_grad(mx_grad_ctx *g) {
    char attrs[256];
    MXI_TRY(mxi_attrs_string(g->call, attrs, sizeof attrs));
    mx_tensor_s *in[3] = {g->ograd[0], g->in[0], g->in[1]}, *out[2] = {0};
    MXI_TRY(mxi_call("_backward_PSROIPooling", in, 3, attrs, out, 2));
    g->igrad[0] = out[0];
    g->igrad[1] = out[1];
    return MX_OK;
}

static const mx_op_def ops[] = {
    {.name = "_contrib_Proposal", .output_names = "output,score",
     .doc = "Region proposals of a Faster R-CNN RPN for one image: anchors (scales x ratios per feature_stride cell) "
            "moved by bbox_pred, clipped to im_info, too small ones scored -1, the top rpn_pre_nms_top_n by score "
            "non-maximum suppressed, rpn_post_nms_top_n rows [batch index, x1, y1, x2, y2] (kept ones repeated when "
            "fewer survive), scores as a second output with output_score. As MXNet 1.9.1.",
     .inputs = "cls_prob,bbox_pred,im_info", .num_outputs = 2, .num_visible_fn = pr_visible, .attrs = pr_attrs,
     .n_attrs = NATTR(pr_attrs), .infer = pr_infer, .cpu = pr_cpu, .grad = zero_grads, .dtypes = MX_DT_F32,
     .flags = MX_OPF_WRITES_ALL},
    {.name = "_contrib_MultiProposal", .output_names = "output,score",
     .doc = "Proposal for a batch of images: rpn_post_nms_top_n rows per image, image b's rows b * "
            "rpn_post_nms_top_n .. with batch index b. As MXNet 1.9.1.",
     .inputs = "cls_prob,bbox_pred,im_info", .num_outputs = 2, .num_visible_fn = pr_visible, .attrs = pr_attrs,
     .n_attrs = NATTR(pr_attrs), .infer = mpr_infer, .cpu = pr_cpu, .grad = zero_grads, .dtypes = MX_DT_F32,
     .flags = MX_OPF_WRITES_ALL},
    {.name = "_contrib_PSROIPooling",
     .doc = "Position-sensitive ROI pooling (R-FCN): bin (i, j) of output channel k averages input channel "
            "(k * group_size + gi) * group_size + gj over the bin; rois [batch index, x1, y1, x2, y2] in image "
            "pixels, rounded, scaled by spatial_scale.",
     .inputs = "data,rois", .num_outputs = 1, .attrs = ps_attrs, .n_attrs = NATTR(ps_attrs), .infer = ps_infer,
     .cpu = ps_cpu, .grad = ps_grad, .dtypes = MX_DT_FLOAT, .flags = MX_OPF_WRITES_ALL},
    {.name = "_backward_PSROIPooling", .doc = "Gradient of PSROIPooling: each bin's gradient spread evenly over it.",
     .inputs = "ograd,data,rois", .num_outputs = 2, .attrs = ps_attrs, .n_attrs = NATTR(ps_attrs),
     .infer = psb_infer, .cpu = psb_cpu, .dtypes = MX_DT_FLOAT, .flags = MX_OPF_INTERNAL},
};

void mxi_register_detection_proposal(void) { mxi_register_ops(ops, NATTR(ops)); }
