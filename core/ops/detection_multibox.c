/* detection_multibox.c — the SSD ops of MXNet 1.x that go with
 * _contrib_MultiBoxPrior (detection.c): _contrib_MultiBoxTarget (training
 * targets of the anchors from ground-truth boxes) and
 * _contrib_MultiBoxDetection (decoded, score-sorted, non-maximum-suppressed
 * detections). Part of the detection family: registered from
 * mxi_register_detection() in detection.c.
 *
 * Values follow MXNet 1.9.1's CPU operators (checked in
 * tests/python/ops/test_detection_multibox.py against numbers MXNet printed),
 * including its arithmetic: the kernels compute in float32 as MXNet does
 * (MXNet accepts only float32; float64 inputs are computed in float32 here),
 * so comparisons with the thresholds and ties fall the same way.
 *
 * Where MXNet 1.9.1 does something surprising, we do the same, on purpose:
 *  - MultiBoxTarget: minimum_negative_samples is accepted but not used (MXNet's
 *    CPU kernel never reads it); hard negative mining fails when fewer anchors
 *    than the wanted negatives lie below negative_mining_thresh.
 *  - MultiBoxDetection: background_id is accepted but not used: class 0 is
 *    always the background. With nms_topk = k below the number of valid
 *    detections, output rows k .. valid-1 are not -1 rows: they keep the
 *    score and box of the valid detection at that position in anchor order
 *    (before sorting), with class id -1. That is what MXNet writes (it only
 *    resets the class id of those rows), deterministic, not stale memory.
 *    With nms_threshold <= 0 or > 1 nothing is sorted or suppressed: the
 *    valid detections in anchor order, then -1 rows.
 * Stricter than MXNet: batch sizes must agree (MXNet reads out of bounds). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../op.h"
#include "detection_util.h"

#define NATTR(a) ((int)(sizeof(a) / sizeof((a)[0])))

void mxi_register_detection_multibox(void);

/* IoU of corner boxes in float32, as MXNet computes it (0 for an empty union) */
static float iou_f(const float *a, const float *b) {
    const float x0 = a[0] > b[0] ? a[0] : b[0], x1 = a[2] < b[2] ? a[2] : b[2];
    const float y0 = a[1] > b[1] ? a[1] : b[1], y1 = a[3] < b[3] ? a[3] : b[3];
    const float w = x1 - x0 > 0.f ? x1 - x0 : 0.f, h = y1 - y0 > 0.f ? y1 - y0 : 0.f;
    const float inter = w * h;
    const float uni = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter;
    return uni <= 0.f ? 0.f : inter / uni;
}

static int check_variances(const mx_call *c, int attr) {
    if (c->attrs[attr].n != 4)
        return mxi_op_error(c, MX_ERR_INVALID, "variances must have 4 values (x, y, w, h), got %d", c->attrs[attr].n);
    return MX_OK;
}



/* ======================================================================
 * MultiBoxTarget(anchor (1, A, 4), label (B, M, >= 5), cls_pred (B, C, A))
 *   -> loc_target (B, A * 4), loc_mask (B, A * 4), cls_target (B, A)
 * Label rows are [class, xmin, ymin, xmax, ymax, ...]; the first row of
 * class -1 ends a batch item's boxes (its coordinates must be -1 too).
 * Matching: each ground truth in turn takes its best free anchor (highest
 * IoU over all free pairs first); then every other anchor whose best IoU
 * exceeds overlap_threshold is positive for that ground truth. Negatives:
 * all other anchors, or with negative_mining_ratio > 0 the
 * positives * ratio anchors below negative_mining_thresh with the lowest
 * softmax background probability. cls_target: class + 1 for positives, 0
 * for negatives, ignore_label for the rest (and for items without boxes).
 * ====================================================================== */
enum { MT_OVERLAP, MT_IGNORE, MT_NEG_RATIO, MT_NEG_THRESH, MT_MIN_NEG, MT_VAR };
static const mx_attr_spec mt_attrs[] = {
    {"overlap_threshold", MX_ATTR_FLOAT, "0.5", "Anchor-GT overlap threshold to be regarded as a positive match."},
    {"ignore_label", MX_ATTR_FLOAT, "-1", "Label for ignored anchors."},
    {"negative_mining_ratio", MX_ATTR_FLOAT, "-1", "Max negative to positive samples ratio, use -1 to disable mining."},
    {"negative_mining_thresh", MX_ATTR_FLOAT, "0.5", "Threshold used for negative mining."},
    {"minimum_negative_samples", MX_ATTR_INT, "0",
     "Minimum number of negative samples (accepted for compatibility; MXNet 1.9.1 does not use it).", NULL, 1, -2e9,
     2e9},
    {"variances", MX_ATTR_FLOATS, "(0.1,0.1,0.2,0.2)", "Variances to be encoded in box regression target."},
};

static int mt_infer(mx_call *c) {
    const mx_tensor_s *a = c->in[0], *l = c->in[1], *p = c->in[2];
    if (a->ndim != 3 || a->shape[0] != 1 || a->shape[1] < 1 || a->shape[2] != 4)
        return mxi_op_error(c, MX_ERR_INVALID, "anchor must be (1, anchors > 0, 4) corner boxes shared by the batch");
    if (l->ndim != 3 || l->shape[1] < 1 || l->shape[2] < 5)
        return mxi_op_error(c, MX_ERR_INVALID,
                            "label must be (batch, labels > 0, width >= 5) rows [class, xmin, ymin, xmax, ymax, ...]");
    if (p->ndim != 3 || p->shape[0] != l->shape[0] || p->shape[1] < 1 || p->shape[2] != a->shape[1])
        return mxi_op_error(c, MX_ERR_INVALID, "cls_pred must be (batch of label, classes + 1, anchors of anchor)");
    MXI_TRY(check_variances(c, MT_VAR));
    if (c->attrs[MT_NEG_RATIO].f > 0 && !(c->attrs[MT_NEG_THRESH].f > 0))
        return mxi_op_error(c, MX_ERR_INVALID, "negative mining (negative_mining_ratio > 0) needs "
                                               "negative_mining_thresh > 0");
    int64_t os[2] = {l->shape[0], a->shape[1] * 4};
    mxi_set_out(c, 0, os, 2, a->dtype);
    mxi_set_out(c, 1, os, 2, a->dtype);
    os[1] = a->shape[1];
    mxi_set_out(c, 2, os, 2, a->dtype);
    return MX_OK;
}

/* regression target of ground truth g (corners) from anchor a, in float32 */
static void encode_box(const float *a, const float *g, const float v[4], float *dst) {
    const float aw = a[2] - a[0], ah = a[3] - a[1], ax = (a[0] + a[2]) * 0.5f, ay = (a[1] + a[3]) * 0.5f;
    const float gw = g[2] - g[0], gh = g[3] - g[1], gx = (g[0] + g[2]) * 0.5f, gy = (g[1] + g[3]) * 0.5f;
    dst[0] = (gx - ax) / aw / v[0];
    dst[1] = (gy - ay) / ah / v[1];
    dst[2] = logf(gw / aw) / v[2];
    dst[3] = logf(gh / ah) / v[3];
}

/* softmax probability of the background class (row 0) of anchor j */
static float background_prob(const float *pred, int64_t C, int64_t A, int64_t j) {
    float mx = pred[j], sum = 0.f;
    for (int64_t k = 1; k < C; k++)
        if (pred[k * A + j] > mx) mx = pred[k * A + j];
    for (int64_t k = 0; k < C; k++) sum += expf(pred[k * A + j] - mx);
    return expf(pred[j] - mx) / sum;
}

typedef struct {
    float *iou;      /* (A, G) */
    float *best;     /* best IoU of each anchor, -1: not computed */
    int64_t *match;  /* its ground truth */
    signed char *flag; /* 1 positive, 0 negative, -1 ignored */
    char *gt_done;
    keyed *cand;
} mt_work;

/* best ground truth of anchor j over the first G (strictly greater wins) */
static void best_gt(mt_work *w, int64_t j, int64_t G) {
    w->best[j] = -1.f, w->match[j] = -1;
    for (int64_t k = 0; k < G; k++)
        if (w->iou[j * G + k] > w->best[j]) w->best[j] = w->iou[j * G + k], w->match[j] = k;
}

static int mt_item(mx_call *c, mt_work *w, int64_t b) {
    const mx_tensor_s *an = c->in[0], *lb = c->in[1], *pr = c->in[2];
    const int64_t A = an->shape[1], M = lb->shape[1], W = lb->shape[2], C = pr->shape[1];
    const float *anchor = MXI_PTR(float, an), *label = MXI_PTR(float, lb) + b * M * W;
    const float *pred = MXI_PTR(float, pr) + b * C * A;
    float *loc = MXI_PTR(float, c->out[0]) + b * A * 4, *mask = MXI_PTR(float, c->out[1]) + b * A * 4;
    float *cls = MXI_PTR(float, c->out[2]) + b * A;
    const float v[4] = {(float)c->attrs[MT_VAR].fv[0], (float)c->attrs[MT_VAR].fv[1], (float)c->attrs[MT_VAR].fv[2],
                        (float)c->attrs[MT_VAR].fv[3]};
    const float overlap = (float)c->attrs[MT_OVERLAP].f, ratio = (float)c->attrs[MT_NEG_RATIO].f;
    const float neg_thresh = (float)c->attrs[MT_NEG_THRESH].f;
    for (int64_t i = 0; i < A * 4; i++) loc[i] = 0.f, mask[i] = 0.f;
    for (int64_t i = 0; i < A; i++) cls[i] = (float)c->attrs[MT_IGNORE].f;

    int64_t G = 0;
    while (G < M && label[G * W] != -1.0f) G++;
    if (G < M)
        for (int q = 1; q <= 4; q++)
            if (label[G * W + q] != -1.0f)
                return mxi_op_error(c, MX_ERR_INVALID,
                                    "label row %lld of batch item %lld has class -1 (padding) but coordinate %d is %g, "
                                    "not -1",
                                    (long long)G, (long long)b, q, (double)label[G * W + q]);
    if (G == 0) return MX_OK; /* no boxes: every anchor ignored */

    for (int64_t j = 0; j < A; j++) {
        w->best[j] = -1.f, w->match[j] = -1, w->flag[j] = -1;
        for (int64_t k = 0; k < G; k++) w->iou[j * G + k] = iou_f(anchor + j * 4, label + k * W + 1);
    }
    memset(w->gt_done, 0, (size_t)G);
    int64_t positives = 0;
    /* each ground truth its best free anchor, best pairs first */
    for (int64_t left = G; left > 0; left--) {
        int64_t ba = -1, bg = -1;
        float top = 1e-6f;
        for (int64_t j = 0; j < A; j++) {
            if (w->flag[j] == 1) continue;
            for (int64_t k = 0; k < G; k++)
                if (!w->gt_done[k] && w->iou[j * G + k] > top) top = w->iou[j * G + k], ba = j, bg = k;
        }
        if (ba < 0) break; /* the rest overlap no free anchor */
        w->best[ba] = top, w->match[ba] = bg, w->flag[ba] = 1, w->gt_done[bg] = 1;
        positives++;
    }
    if (overlap > 0)
        for (int64_t j = 0; j < A; j++) {
            if (w->flag[j] == 1) continue;
            best_gt(w, j, G);
            if (w->best[j] > overlap) w->flag[j] = 1, positives++;
        }

    if (ratio > 0) {
        int64_t want = (int64_t)(int)((float)positives * ratio);
        if (want > A - positives) want = A - positives;
        if (want > 0) {
            int64_t n = 0;
            for (int64_t j = 0; j < A; j++) {
                if (w->flag[j] == 1) continue;
                if (w->best[j] < 0) best_gt(w, j, G);
                if (w->best[j] < neg_thresh) w->cand[n].key = -background_prob(pred, C, A, j), w->cand[n++].index = j;
            }
            if (n < want)
                return mxi_op_error(c, MX_ERR_INVALID,
                                    "batch item %lld: negative mining wants %lld negatives but only %lld anchors "
                                    "overlap less than negative_mining_thresh",
                                    (long long)b, (long long)want, (long long)n);
            qsort(w->cand, (size_t)n, sizeof(keyed), by_key_desc);
            for (int64_t i = 0; i < want; i++) w->flag[w->cand[i].index] = 0;
        }
    } else {
        for (int64_t j = 0; j < A; j++)
            if (w->flag[j] != 1) w->flag[j] = 0;
    }

    for (int64_t j = 0; j < A; j++) {
        if (w->flag[j] == 0) {
            cls[j] = 0.f;
        } else if (w->flag[j] == 1) {
            const float *g = label + w->match[j] * W;
            cls[j] = g[0] + 1.f; /* 0 is the background */
            for (int q = 0; q < 4; q++) mask[j * 4 + q] = 1.f;
            encode_box(anchor + j * 4, g + 1, v, loc + j * 4);
        }
    }
    return MX_OK;
}

static int mt_cpu(mx_call *c) {
    const int64_t A = c->in[0]->shape[1], M = c->in[1]->shape[1], B = c->in[1]->shape[0];
    mt_work w = {malloc(sizeof(float) * (size_t)(A * M)), malloc(sizeof(float) * (size_t)A),
                 malloc(sizeof(int64_t) * (size_t)A), malloc((size_t)A), malloc((size_t)M),
                 malloc(sizeof(keyed) * (size_t)A)};
    int rc = MX_OK;
    if (!w.iou || !w.best || !w.match || !w.flag || !w.gt_done || !w.cand)
        rc = mxi_op_error(c, MX_ERR_MEMORY, "out of memory");
    for (int64_t b = 0; rc == MX_OK && b < B; b++) rc = mt_item(c, &w, b);
    free(w.iou), free(w.best), free(w.match), free(w.flag), free(w.gt_done), free(w.cand);
    return rc;
}

/* ======================================================================
 * MultiBoxDetection(cls_prob (B, C, A), loc_pred (B, A * 4), anchor (1, A, 4))
 *   -> (B, A, 6) rows [class id, score, xmin, ymin, xmax, ymax]
 * Each anchor's best non-background class (class 0 is the background) is a
 * detection when its probability reaches threshold; its box is the anchor
 * moved by the decoded loc_pred (centre offsets and log sizes times
 * variances), clipped to [0, 1] with clip. Detections sorted by score
 * (stable), the first nms_topk kept, then greedy NMS per class (all classes
 * with force_suppress): a box whose IoU with a kept higher-scored box is
 * >= nms_threshold gets class id -1. Rows without a detection are -1.
 * ====================================================================== */
enum { MD_CLIP, MD_THRESH, MD_BG, MD_NMS, MD_FORCE, MD_VAR, MD_TOPK };
static const mx_attr_spec md_attrs[] = {
    {"clip", MX_ATTR_BOOL, "True", "Clip out-of-boundary boxes."},
    {"threshold", MX_ATTR_FLOAT, "0.01", "Threshold to be a positive prediction."},
    {"background_id", MX_ATTR_INT, "0",
     "Background id (accepted for compatibility; MXNet 1.9.1 always treats class 0 as the background).", NULL, 1,
     -2e9, 2e9},
    {"nms_threshold", MX_ATTR_FLOAT, "0.5",
     "Non-maximum suppression threshold (<= 0 or > 1: no sorting and no suppression)."},
    {"force_suppress", MX_ATTR_BOOL, "False", "Suppress all detections regardless of class_id."},
    {"variances", MX_ATTR_FLOATS, "(0.1,0.1,0.2,0.2)", "Variances to be decoded from box regression output."},
    {"nms_topk", MX_ATTR_INT, "-1",
     "Keep maximum top k detections before nms, -1 for no limit (rows k.. of the valid detections keep their "
     "unsorted score and box with class id -1, as in MXNet 1.9.1).",
     NULL, 1, -2e9, 2e9},
};

static int md_infer(mx_call *c) {
    const mx_tensor_s *p = c->in[0], *l = c->in[1], *a = c->in[2];
    if (a->ndim != 3 || a->shape[0] != 1 || a->shape[1] < 1 || a->shape[2] != 4)
        return mxi_op_error(c, MX_ERR_INVALID, "anchor must be (1, anchors > 0, 4) corner boxes shared by the batch");
    if (p->ndim != 3 || p->shape[2] != a->shape[1])
        return mxi_op_error(c, MX_ERR_INVALID, "cls_prob must be (batch, classes + 1, anchors of anchor)");
    if (l->ndim != 2 || l->shape[0] != p->shape[0] || l->shape[1] != a->shape[1] * 4)
        return mxi_op_error(c, MX_ERR_INVALID, "loc_pred must be (batch of cls_prob, anchors * 4)");
    MXI_TRY(check_variances(c, MD_VAR));
    int64_t os[3] = {p->shape[0], a->shape[1], 6};
    mxi_set_out(c, 0, os, 3, p->dtype);
    return MX_OK;
}

/* box of anchor a moved by deltas d, in float32 as MXNet */
static void decode_box(const float *a, const float *d, const float v[4], int clip, float *o) {
    const float aw = a[2] - a[0], ah = a[3] - a[1], ax = (a[0] + a[2]) / 2.f, ay = (a[1] + a[3]) / 2.f;
    const float ox = d[0] * v[0] * aw + ax, oy = d[1] * v[1] * ah + ay;
    const float ow = expf(d[2] * v[2]) * aw / 2, oh = expf(d[3] * v[3]) * ah / 2;
    const float r[4] = {ox - ow, oy - oh, ox + ow, oy + oh};
    for (int q = 0; q < 4; q++) {
        float x = r[q];
        if (clip) x = x < 1.f ? x : 1.f, x = 0.f < x ? x : 0.f; /* std::max(0, std::min(1, x)) */
        o[q] = x;
    }
}

static int md_cpu(mx_call *c) {
    const mx_tensor_s *pr = c->in[0];
    const int64_t B = pr->shape[0], C = pr->shape[1], A = pr->shape[2];
    const float v[4] = {(float)c->attrs[MD_VAR].fv[0], (float)c->attrs[MD_VAR].fv[1], (float)c->attrs[MD_VAR].fv[2],
                        (float)c->attrs[MD_VAR].fv[3]};
    const float thresh = (float)c->attrs[MD_THRESH].f, nms = (float)c->attrs[MD_NMS].f;
    const int clip = (int)c->attrs[MD_CLIP].i, force = (int)c->attrs[MD_FORCE].i;
    const int64_t topk = c->attrs[MD_TOPK].i;
    const float *anchor = MXI_PTR(float, c->in[2]);
    float *rows = malloc(sizeof(float) * (size_t)(A * 6));
    keyed *order = malloc(sizeof(keyed) * (size_t)A);
    if (!rows || !order) {
        free(rows), free(order);
        return mxi_op_error(c, MX_ERR_MEMORY, "out of memory");
    }
    for (int64_t b = 0; b < B; b++) {
        const float *prob = MXI_PTR(float, pr) + b * C * A, *loc = MXI_PTR(float, c->in[1]) + b * A * 4;
        float *out = MXI_PTR(float, c->out[0]) + b * A * 6;
        for (int64_t i = 0; i < A * 6; i++) out[i] = -1.f;
        int64_t n = 0; /* valid detections, in anchor order */
        for (int64_t i = 0; i < A; i++) {
            float score = -1.f;
            int64_t id = 0;
            for (int64_t k = 1; k < C; k++)
                if (prob[k * A + i] > score) score = prob[k * A + i], id = k;
            if (id == 0 || score < thresh) continue;
            out[n * 6] = (float)(id - 1), out[n * 6 + 1] = score;
            decode_box(anchor + i * 4, loc + i * 4, v, clip, out + n * 6 + 2);
            n++;
        }
        if (n < 1 || nms <= 0.f || nms > 1.f) continue;
        memcpy(rows, out, sizeof(float) * (size_t)(n * 6));
        for (int64_t i = 0; i < n; i++) order[i].key = rows[i * 6 + 1], order[i].index = i;
        qsort(order, (size_t)n, sizeof(keyed), by_key_desc);
        int64_t keep = n;
        if (topk > 0 && topk < n) {
            keep = topk;
            for (int64_t i = keep; i < n; i++) out[i * 6] = -1.f; /* MXNet's rows beyond topk: only the id reset */
        }
        for (int64_t i = 0; i < keep; i++) memcpy(out + i * 6, rows + order[i].index * 6, 6 * sizeof(float));
        for (int64_t i = 0; i < keep; i++) {
            if (out[i * 6] < 0) continue;
            for (int64_t j = i + 1; j < keep; j++) {
                if (out[j * 6] < 0) continue;
                if ((force || out[i * 6] == out[j * 6]) && iou_f(out + i * 6 + 2, out + j * 6 + 2) >= nms)
                    out[j * 6] = -1.f;
            }
        }
    }
    free(rows), free(order);
    return MX_OK;
}

static const mx_op_def ops[] = {
    {.name = "_contrib_MultiBoxTarget", .aliases = "_npx_multibox_target",
     .output_names = "loc_target,loc_mask,cls_target",
     .doc = "SSD training targets: anchors matched to ground-truth boxes (each box its best anchor, then anchors "
            "above overlap_threshold), regression targets of the positives with variances and their mask, class "
            "targets (class + 1, 0 for negatives, ignore_label otherwise); optional hard negative mining by "
            "cls_pred. As MXNet 1.9.1.",
     .inputs = "anchor,label,cls_pred", .num_outputs = 3, .attrs = mt_attrs, .n_attrs = NATTR(mt_attrs),
     .infer = mt_infer, .cpu = mt_cpu, .grad = zero_grads, .dtypes = MX_DT_F32, .flags = MX_OPF_WRITES_ALL},
    {.name = "_contrib_MultiBoxDetection", .aliases = "_npx_multibox_detection",
     .doc = "SSD detections: each anchor's best class above threshold with its decoded box, sorted by score, "
            "non-maximum suppressed; rows [class id, score, xmin, ymin, xmax, ymax], -1 for none. As MXNet 1.9.1 "
            "(background_id unused; with nms_topk the rows after the top k keep unsorted values with class id -1).",
     .inputs = "cls_prob,loc_pred,anchor", .num_outputs = 1, .attrs = md_attrs, .n_attrs = NATTR(md_attrs),
     .infer = md_infer, .cpu = md_cpu, .grad = zero_grads, .dtypes = MX_DT_F32, .flags = MX_OPF_WRITES_ALL},
};

void mxi_register_detection_multibox(void) { mxi_register_ops(ops, NATTR(ops)); }
