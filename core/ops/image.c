/* image.c — MXNet 1.x's mx.nd.image / mx.sym.image ops, the registry ops
 * behind hybridized gluon.data.vision.transforms: _image_to_tensor,
 * _image_normalize, _image_flip_left_right, _image_flip_top_bottom and
 * _image_crop. Images are (H, W, C) or batches (N, H, W, C); tensors after
 * to_tensor are (C, H, W) / (N, C, H, W). Part of the "shape" family:
 * registered from mxi_register_shape(). */
#include <string.h>

#include "../op.h"

#define NATTR(a) ((int)(sizeof(a) / sizeof((a)[0])))

/* an HWC image or an NHWC batch: n images of h x w x c */
static int hwc_of(const mx_call *c, const mx_tensor_s *x, int64_t *n, int64_t *h, int64_t *w, int64_t *ch) {
    if (x->ndim != 3 && x->ndim != 4)
        return mxi_op_error(c, MX_ERR_INVALID, "expected an image (H, W, C) or a batch (N, H, W, C), got %d-d",
                            x->ndim);
    const int b = x->ndim == 4;
    *n = b ? x->shape[0] : 1, *h = x->shape[b], *w = x->shape[b + 1], *ch = x->shape[b + 2];
    return MX_OK;
}

/* ---- to_tensor: HWC [0, 255] -> CHW float32 [0, 1] ---- */
static int tt_infer(mx_call *c) {
    int64_t n = 0, h = 0, w = 0, ch = 0;
    MXI_TRY(hwc_of(c, c->in[0], &n, &h, &w, &ch));
    int64_t os[4] = {n, ch, h, w};
    const int b = c->in[0]->ndim == 4;
    mxi_set_out(c, 0, os + !b, 3 + b, MX_FLOAT32);
    return MX_OK;
}

static int tt_cpu(mx_call *c) {
    const mx_tensor_s *x = c->in[0];
    int64_t n = 0, h = 0, w = 0, ch = 0;
    MXI_TRY(hwc_of(c, x, &n, &h, &w, &ch));
    float *y = mxi_data(c->out[0]);
    for (int64_t b = 0; b < n; b++)
        for (int64_t i = 0; i < h * w; i++)
            for (int64_t k = 0; k < ch; k++)
                y[(b * ch + k) * h * w + i] =
                    (float)(mxi_load_as_double(mxi_data(x), x->dtype, (b * h * w + i) * ch + k) / 255.0);
    return MX_OK;
}

/* ---- normalize: (x - mean[c]) / std[c] over CHW / NCHW ---- */
enum { NM_MEAN, NM_STD };
static const mx_attr_spec nm_attrs[] = {
    {"mean", MX_ATTR_FLOATS, "(0,0,0,0)", "Per-channel mean (one value: every channel)."},
    {"std", MX_ATTR_FLOATS, "(1,1,1,1)", "Per-channel standard deviation (one value: every channel)."},
};

static int nm_geom(const mx_call *c, const mx_tensor_s *x, int64_t *n, int64_t *ch, int64_t *plane) {
    if (x->ndim != 3 && x->ndim != 4)
        return mxi_op_error(c, MX_ERR_INVALID, "expected a tensor (C, H, W) or (N, C, H, W), got %d-d", x->ndim);
    const int b = x->ndim == 4;
    *n = b ? x->shape[0] : 1, *ch = x->shape[b], *plane = x->shape[b + 1] * x->shape[b + 2];
    for (int a = NM_MEAN; a <= NM_STD; a++) {
        const mx_attr_val *v = &c->attrs[a];
        if (v->n != 1 && v->n < *ch)
            return mxi_op_error(c, MX_ERR_INVALID, "%s has %d values for %lld channels", a == NM_MEAN ? "mean" : "std",
                                v->n, (long long)*ch);
    }
    return MX_OK;
}

static double nm_at(const mx_call *c, int a, int64_t k) {
    const mx_attr_val *v = &c->attrs[a];
    return v->n == 1 ? v->fv[0] : v->fv[k];
}

static int nm_infer(mx_call *c) {
    int64_t n = 0, ch = 0, plane = 0;
    MXI_TRY(nm_geom(c, c->in[0], &n, &ch, &plane));
    mxi_same_as_in(c, 0, 0);
    return MX_OK;
}

/* y = (x - shift) / std per channel: forward with shift = mean, backward (on the gradient) with shift = 0 */
static int nm_apply(mx_call *c, const mx_tensor_s *x, int shift) {
    int64_t n = 0, ch = 0, plane = 0;
    MXI_TRY(nm_geom(c, x, &n, &ch, &plane));
    for (int64_t b = 0; b < n; b++)
        for (int64_t k = 0; k < ch; k++) {
            const double m = shift ? nm_at(c, NM_MEAN, k) : 0, s = nm_at(c, NM_STD, k);
            for (int64_t i = 0; i < plane; i++) {
                const int64_t o = (b * ch + k) * plane + i;
                mxi_fset(c->out[0], o, (mxi_fget(x, o) - m) / s);
            }
        }
    return MX_OK;
}

static int nm_cpu(mx_call *c) { return nm_apply(c, c->in[0], 1); }
static int nmb_cpu(mx_call *c) { return nm_apply(c, c->in[0], 0); }

static int nm_grad(mx_grad_ctx *g) {
    char attrs[512];
    MXI_TRY(mxi_attrs_string(g->call, attrs, sizeof attrs));
    g->igrad[0] = mxi_call1("_backward_image_normalize", attrs, 1, g->ograd[0]);
    return g->igrad[0] ? MX_OK : mx_last_error_code();
}

/* ---- flips: reverse the width (left-right) or height (top-bottom) ---- */
static int same_image_infer(mx_call *c) {
    int64_t n = 0, h = 0, w = 0, ch = 0;
    MXI_TRY(hwc_of(c, c->in[0], &n, &h, &w, &ch));
    mxi_same_as_in(c, 0, 0);
    return MX_OK;
}

static int flip_cpu(mx_call *c) {
    const mx_tensor_s *x = c->in[0];
    int64_t n = 0, h = 0, w = 0, ch = 0;
    MXI_TRY(hwc_of(c, x, &n, &h, &w, &ch));
    const int lr = strstr(c->op->name, "left_right") != NULL;
    const size_t px = (size_t)ch * mxi_dtype_size(x->dtype);
    const char *src = mxi_data(x);
    char *dst = mxi_data(c->out[0]);
    for (int64_t b = 0; b < n; b++)
        for (int64_t i = 0; i < h; i++)
            for (int64_t j = 0; j < w; j++) {
                const int64_t si = lr ? i : h - 1 - i, sj = lr ? w - 1 - j : j;
                memcpy(dst + (size_t)((b * h + i) * w + j) * px, src + (size_t)((b * h + si) * w + sj) * px, px);
            }
    return MX_OK;
}

static int flip_grad(mx_grad_ctx *g) { /* a flip is its own inverse */
    g->igrad[0] = mxi_call1(g->call->op->name, NULL, 1, g->ograd[0]);
    return g->igrad[0] ? MX_OK : mx_last_error_code();
}

/* ---- crop(x, y, width, height) of an image or a batch ---- */
enum { CR_X, CR_Y, CR_W, CR_H };
static const mx_attr_spec cr_attrs[] = {
    {"x", MX_ATTR_INT, NULL, "Left column of the crop.", NULL, 1, 0, 9e18},
    {"y", MX_ATTR_INT, NULL, "Top row of the crop.", NULL, 1, 0, 9e18},
    {"width", MX_ATTR_INT, NULL, "Width of the crop.", NULL, 1, 1, 9e18},
    {"height", MX_ATTR_INT, NULL, "Height of the crop.", NULL, 1, 1, 9e18},
};

static int cr_check(const mx_call *c, const mx_tensor_s *x, int64_t *n, int64_t *h, int64_t *w, int64_t *ch) {
    MXI_TRY(hwc_of(c, x, n, h, w, ch));
    if (c->attrs[CR_X].i + c->attrs[CR_W].i > *w || c->attrs[CR_Y].i + c->attrs[CR_H].i > *h)
        return mxi_op_error(c, MX_ERR_INVALID, "crop (%lld, %lld, %lld x %lld) does not fit a %lld x %lld image",
                            (long long)c->attrs[CR_X].i, (long long)c->attrs[CR_Y].i, (long long)c->attrs[CR_W].i,
                            (long long)c->attrs[CR_H].i, (long long)*w, (long long)*h);
    return MX_OK;
}

static int cr_infer(mx_call *c) {
    int64_t n = 0, h = 0, w = 0, ch = 0;
    MXI_TRY(cr_check(c, c->in[0], &n, &h, &w, &ch));
    int64_t os[4];
    memcpy(os, c->in[0]->shape, sizeof(int64_t) * (size_t)c->in[0]->ndim);
    const int b = c->in[0]->ndim == 4;
    os[b] = c->attrs[CR_H].i, os[b + 1] = c->attrs[CR_W].i;
    mxi_set_out(c, 0, os, c->in[0]->ndim, c->in[0]->dtype);
    return MX_OK;
}

/* copy between the crop rectangle of `big` and the whole of `small` (to_small: big -> small) */
static void cr_copy(const mx_call *c, mx_tensor_s *big, mx_tensor_s *small, int to_small) {
    int64_t n = 0, h = 0, w = 0, ch = 0;
    hwc_of(c, big, &n, &h, &w, &ch);
    const int64_t x0 = c->attrs[CR_X].i, y0 = c->attrs[CR_Y].i, cw = c->attrs[CR_W].i, chh = c->attrs[CR_H].i;
    const size_t row = (size_t)(cw * ch) * mxi_dtype_size(big->dtype);
    char *bp = mxi_data(big), *sp = mxi_data(small);
    for (int64_t b = 0; b < n; b++)
        for (int64_t i = 0; i < chh; i++) {
            char *bb = bp + (size_t)(((b * h + y0 + i) * w + x0) * ch) * mxi_dtype_size(big->dtype);
            char *ss = sp + (size_t)((b * chh + i) * cw * ch) * mxi_dtype_size(big->dtype);
            if (to_small) memcpy(ss, bb, row);
            else memcpy(bb, ss, row);
        }
}

static int cr_cpu(mx_call *c) {
    int64_t n = 0, h = 0, w = 0, ch = 0;
    MXI_TRY(cr_check(c, c->in[0], &n, &h, &w, &ch));
    cr_copy(c, c->in[0], c->out[0], 1);
    return MX_OK;
}

/* _backward_image_crop(ograd, data) -> ddata: the gradient in the crop, zero elsewhere */
static int crb_infer(mx_call *c) {
    mxi_same_as_in(c, 0, 1);
    return MX_OK;
}

static int crb_cpu(mx_call *c) {
    int64_t n = 0, h = 0, w = 0, ch = 0;
    MXI_TRY(cr_check(c, c->in[1], &n, &h, &w, &ch));
    cr_copy(c, c->out[0], c->in[0], 0);
    return MX_OK;
}

static int cr_grad(mx_grad_ctx *g) {
    char attrs[256];
    MXI_TRY(mxi_attrs_string(g->call, attrs, sizeof attrs));
    g->igrad[0] = mxi_call1("_backward_image_crop", attrs, 2, g->ograd[0], g->in[0]);
    return g->igrad[0] ? MX_OK : mx_last_error_code();
}

static const mx_op_def ops[] = {
    {.name = "_image_to_tensor", .doc = "An image (H, W, C) or batch (N, H, W, C) in [0, 255] to float32 (C, H, W) / "
                                        "(N, C, H, W) in [0, 1].",
     .inputs = "data", .num_outputs = 1, .infer = tt_infer, .cpu = tt_cpu, .dtypes = MX_DT_ALL,
     .flags = MX_OPF_WRITES_ALL | MX_OPF_NO_GRAD | MX_OPF_NO_INPUT_CAST},
    {.name = "_image_normalize", .doc = "(x - mean[c]) / std[c] per channel of a (C, H, W) or (N, C, H, W) tensor.",
     .inputs = "data", .num_outputs = 1, .attrs = nm_attrs, .n_attrs = NATTR(nm_attrs), .infer = nm_infer,
     .cpu = nm_cpu, .grad = nm_grad, .dtypes = MX_DT_FLOAT, .flags = MX_OPF_WRITES_ALL},
    {.name = "_backward_image_normalize", .doc = "Gradient of image normalize: ograd / std[c].", .inputs = "ograd",
     .num_outputs = 1, .attrs = nm_attrs, .n_attrs = NATTR(nm_attrs), .infer = nm_infer, .cpu = nmb_cpu,
     .dtypes = MX_DT_FLOAT, .flags = MX_OPF_WRITES_ALL | MX_OPF_INTERNAL},
    {.name = "_image_flip_left_right", .doc = "Reverse the width of an image (H, W, C) or batch (N, H, W, C).",
     .inputs = "data", .num_outputs = 1, .infer = same_image_infer, .cpu = flip_cpu, .grad = flip_grad,
     .dtypes = MX_DT_ALL, .flags = MX_OPF_WRITES_ALL | MX_OPF_NO_INPUT_CAST},
    {.name = "_image_flip_top_bottom", .doc = "Reverse the height of an image (H, W, C) or batch (N, H, W, C).",
     .inputs = "data", .num_outputs = 1, .infer = same_image_infer, .cpu = flip_cpu, .grad = flip_grad,
     .dtypes = MX_DT_ALL, .flags = MX_OPF_WRITES_ALL | MX_OPF_NO_INPUT_CAST},
    {.name = "_image_crop", .doc = "Crop width x height at column x, row y of an image (H, W, C) or batch.",
     .inputs = "data", .num_outputs = 1, .attrs = cr_attrs, .n_attrs = NATTR(cr_attrs), .infer = cr_infer,
     .cpu = cr_cpu, .grad = cr_grad, .dtypes = MX_DT_ALL, .flags = MX_OPF_WRITES_ALL | MX_OPF_NO_INPUT_CAST},
    {.name = "_backward_image_crop", .doc = "Gradient of image crop.", .inputs = "ograd,data", .num_outputs = 1,
     .attrs = cr_attrs, .n_attrs = NATTR(cr_attrs), .infer = crb_infer, .cpu = crb_cpu, .dtypes = MX_DT_ALL,
     .flags = MX_OPF_INTERNAL | MX_OPF_NO_INPUT_CAST},
};

void mxi_register_image(void);
void mxi_register_image(void) { mxi_register_ops(ops, NATTR(ops)); }
