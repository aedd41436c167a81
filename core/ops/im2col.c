/* im2col.c — MXNet's im2col (sliding blocks of an (N, C, *spatial) array into
 * columns (N, C*prod(kernel), L)) and col2im (its transpose: blocks summed
 * back into (N, C, *output_size)), for 1, 2 or 3 spatial dims. Each is the
 * other's gradient. Part of the "conv" family (registered from conv.c) and
 * built on Convolution's column kernels in conv_kernels.h. */
#include <stdio.h>
#include <string.h>

#include "../../backends/cpu/cpu.h"
#include "../op.h"

/* only the plane kernels are used here; the convolution drivers are not */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#include "conv_instances.h"
#pragma GCC diagnostic pop

#define GEOM_ATTRS                                                                                                   \
    {"kernel", MX_ATTR_SHAPE, NULL, "Sliding kernel size: (w,), (h, w) or (d, h, w)."},                              \
    {"stride", MX_ATTR_SHAPE, "()", "Stride between adjacent blocks per spatial dim; empty means 1."},               \
    {"dilate", MX_ATTR_SHAPE, "()", "Spacing between kernel points per spatial dim; empty means 1."},                \
    {"pad", MX_ATTR_SHAPE, "()", "Zero padding on both sides per spatial dim; empty means 0."}

static const mx_attr_spec im2col_attrs[] = {GEOM_ATTRS};
static const mx_attr_spec col2im_attrs[] = {
    {"output_size", MX_ATTR_SHAPE, NULL, "Spatial shape of the image: (w,), (h, w) or (d, h, w)."},
    GEOM_ATTRS,
};

/* index of the kernel attribute: col2im has output_size first */
static int geom_base(const mx_call *c) { return c->op->attrs == col2im_attrs ? 1 : 0; }


/* Kernel/stride/dilate/pad and the image's spatial dims `img` (3 entries,
 * leading 1s) into g (g->in = img, g->out = block grid). */
static int parse_geom(const mx_call *c, const int64_t *img, int nsp, conv_geom *g) {
    const int b = geom_base(c);
    MXI_TRY(conv_spatial_attr(c, b, nsp, 1, 1, g->k));
    MXI_TRY(conv_spatial_attr(c, b + 1, nsp, 1, 1, g->s));
    MXI_TRY(conv_spatial_attr(c, b + 2, nsp, 1, 1, g->d));
    MXI_TRY(conv_spatial_attr(c, b + 3, nsp, 0, 0, g->p));
    for (int i = 0; i < 3; i++) {
        g->in[i] = img[i];
        const int64_t span = g->d[i] * (g->k[i] - 1) + 1, padded = img[i] + 2 * g->p[i];
        if (span > padded)
            return mxi_op_error(c, MX_ERR_INVALID, "dilated kernel size %lld exceeds the padded image size %lld in "
                                "spatial dim %d", (long long)span, (long long)padded, i - (3 - nsp));
        g->out[i] = (padded - span) / g->s[i] + 1;
    }
    return MX_OK;
}

static int kernel_rank(const mx_call *c) {
    const mx_attr_val *k = &c->attrs[geom_base(c)];
    if (k->is_none || k->n < 1 || k->n > 3)
        return mxi_op_error(c, MX_ERR_INVALID, "kernel must have 1, 2 or 3 entries (got %d)", k->is_none ? 0 : k->n);
    return k->n;
}

static int im2col_geom(const mx_call *c, conv_geom *g) {
    const mx_tensor_s *x = c->in[0];
    int nsp = kernel_rank(c);
    if (nsp < 0) return nsp;
    if (x->ndim != nsp + 2)
        return mxi_op_error(c, MX_ERR_INVALID, "data must be %d-d (batch, channel, %d spatial dims) for a %d-d kernel",
                            nsp + 2, nsp, nsp);
    int64_t img[3] = {1, 1, 1};
    for (int i = 0; i < nsp; i++) img[3 - nsp + i] = x->shape[2 + i];
    memset(g, 0, sizeof *g);
    g->N = x->shape[0], g->C = x->shape[1];
    return parse_geom(c, img, nsp, g);
}

static int im2col_infer(mx_call *c) {
    conv_geom g;
    MXI_TRY(im2col_geom(c, &g));
    int64_t os[3] = {g.N, g.C * g.k[0] * g.k[1] * g.k[2], g.out[0] * g.out[1] * g.out[2]};
    mxi_set_out(c, 0, os, 3, c->in[0]->dtype);
    return MX_OK;
}

static int col2im_geom(const mx_call *c, conv_geom *g) {
    const mx_tensor_s *x = c->in[0];
    int nsp = kernel_rank(c);
    if (nsp < 0) return nsp;
    const mx_attr_val *os = &c->attrs[0];
    if (os->is_none || os->n != nsp)
        return mxi_op_error(c, MX_ERR_INVALID, "output_size must have %d entries like kernel, got %d", nsp,
                            os->is_none ? 0 : os->n);
    int64_t img[3] = {1, 1, 1};
    for (int i = 0; i < nsp; i++) {
        if (os->v[i] < 1) return mxi_op_error(c, MX_ERR_INVALID, "output_size entries must be >= 1");
        img[3 - nsp + i] = os->v[i];
    }
    memset(g, 0, sizeof *g);
    MXI_TRY(parse_geom(c, img, nsp, g));
    const int64_t KK = g->k[0] * g->k[1] * g->k[2], L = g->out[0] * g->out[1] * g->out[2];
    if (x->ndim != 3 || x->shape[1] % KK || x->shape[2] != L)
        return mxi_op_error(c, MX_ERR_INVALID, "data must be (N, C*%lld, %lld): C times prod(kernel) rows of one "
                            "column per block of the output_size image", (long long)KK, (long long)L);
    g->N = x->shape[0], g->C = x->shape[1] / KK;
    return MX_OK;
}

static int col2im_infer(mx_call *c) {
    conv_geom g;
    MXI_TRY(col2im_geom(c, &g));
    const int nsp = c->attrs[0].n;
    int64_t os[5] = {g.N, g.C};
    for (int i = 0; i < nsp; i++) os[2 + i] = c->attrs[0].v[i];
    mxi_set_out(c, 0, os, nsp + 2, c->in[0]->dtype);
    return MX_OK;
}

/* One (item, channel) plane per task; the column rows of a plane are
 * contiguous in (N, C*KK, L), so ldcol is L. */
typedef struct {
    const conv_geom *g;
    const void *src;
    void *dst;
    int f64;
} plane_job;

static void im2col_range(void *ctx, int64_t b, int64_t e) {
    const plane_job *j = ctx;
    const conv_geom *g = j->g;
    const int64_t ISP = g->in[0] * g->in[1] * g->in[2], L = g->out[0] * g->out[1] * g->out[2];
    const int64_t KK = g->k[0] * g->k[1] * g->k[2];
    for (int64_t t = b; t < e; t++) {
        if (j->f64) im2col_plane_f64(g, (const double *)j->src + t * ISP, (double *)j->dst + t * KK * L, L);
        else im2col_plane_f32(g, (const float *)j->src + t * ISP, (float *)j->dst + t * KK * L, L);
    }
}

static void col2im_range(void *ctx, int64_t b, int64_t e) {
    const plane_job *j = ctx;
    const conv_geom *g = j->g;
    const int64_t ISP = g->in[0] * g->in[1] * g->in[2], L = g->out[0] * g->out[1] * g->out[2];
    const int64_t KK = g->k[0] * g->k[1] * g->k[2];
    for (int64_t t = b; t < e; t++) {
        if (j->f64) col2im_plane_f64(g, (const double *)j->src + t * KK * L, L, (double *)j->dst + t * ISP);
        else col2im_plane_f32(g, (const float *)j->src + t * KK * L, L, (float *)j->dst + t * ISP);
    }
}

static int64_t grain(const conv_geom *g) {
    const int64_t per = g->k[0] * g->k[1] * g->k[2] * g->out[0] * g->out[1] * g->out[2];
    return per >= 32768 ? 1 : 32768 / (per > 0 ? per : 1);
}

static int im2col_cpu(mx_call *c) {
    conv_geom g;
    MXI_TRY(im2col_geom(c, &g));
    plane_job j = {&g, mxi_data(c->in[0]), mxi_data(c->out[0]), c->in[0]->dtype == MX_FLOAT64};
    mxi_parallel_for(g.N * g.C, grain(&g), im2col_range, &j);
    return MX_OK;
}

static int col2im_cpu(mx_call *c) {
    conv_geom g;
    MXI_TRY(col2im_geom(c, &g));
    plane_job j = {&g, mxi_data(c->in[0]), mxi_data(c->out[0]), c->in[0]->dtype == MX_FLOAT64};
    mxi_parallel_for(g.N * g.C, grain(&g), col2im_range, &j); /* the output starts zeroed */
    return MX_OK;
}

/* The two are transposes of each other: each one's gradient is the other
 * with the same geometry (im2col's image size is col2im's output_size). */
static int geom_string(const mx_call *c, char *buf, size_t n) {
    const int b = geom_base(c);
    size_t m = 0;
    for (int a = 0; a < 4; a++) {
        const mx_attr_val *v = &c->attrs[b + a];
        m += (size_t)snprintf(buf + m, n - m, "%s%s=(", a ? ";" : "", c->op->attrs[b + a].name);
        for (int i = 0; !v->is_none && i < v->n; i++) m += (size_t)snprintf(buf + m, n - m, "%s%lld", i ? "," : "", (long long)v->v[i]);
        m += (size_t)snprintf(buf + m, n - m, ")");
        if (m >= n) return mxi_op_error(c, MX_ERR_INVALID, "attributes too long");
    }
    return MX_OK;
}

static int im2col_grad(mx_grad_ctx *g) {
    const mx_tensor_s *x = g->in[0];
    char at[512];
    size_t m = (size_t)snprintf(at, sizeof at, "output_size=(");
    for (int i = 2; i < x->ndim; i++) m += (size_t)snprintf(at + m, sizeof at - m, "%s%lld", i > 2 ? "," : "", (long long)x->shape[i]);
    m += (size_t)snprintf(at + m, sizeof at - m, ");");
    MXI_TRY(geom_string(g->call, at + m, sizeof at - m));
    g->igrad[0] = mxi_call1("col2im", at, 1, g->ograd[0]);
    return g->igrad[0] ? MX_OK : mx_last_error_code();
}

static int col2im_grad(mx_grad_ctx *g) {
    char at[512];
    MXI_TRY(geom_string(g->call, at, sizeof at));
    g->igrad[0] = mxi_call1("im2col", at, 1, g->ograd[0]);
    return g->igrad[0] ? MX_OK : mx_last_error_code();
}

#define NATTR(a) ((int)(sizeof a / sizeof a[0]))

static const mx_op_def ops[] = {
    {.name = "im2col",
     .doc = "Extracts sliding blocks of an (N, C, *spatial) array (1-3 spatial dims) into columns "
            "(N, C*prod(kernel), L), L the number of blocks (a convolution's output positions).",
     .inputs = "data", .num_outputs = 1, .attrs = im2col_attrs, .n_attrs = NATTR(im2col_attrs),
     .infer = im2col_infer, .cpu = im2col_cpu, .grad = im2col_grad, .dtypes = MX_DT_FLOAT,
     .flags = MX_OPF_WRITES_ALL},
    {.name = "col2im",
     .doc = "Combines columns (N, C*prod(kernel), L) of sliding blocks into an (N, C, *output_size) array, summing "
            "where blocks overlap (the transpose of im2col).",
     .inputs = "data", .num_outputs = 1, .attrs = col2im_attrs, .n_attrs = NATTR(col2im_attrs),
     .infer = col2im_infer, .cpu = col2im_cpu, .grad = col2im_grad, .dtypes = MX_DT_FLOAT},
};

void mxi_register_im2col(void);
void mxi_register_im2col(void) { mxi_register_ops(ops, NATTR(ops)); }
