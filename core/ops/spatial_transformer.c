/* spatial_transformer.c — spatial transformer networks: GridGenerator (affine
 * or warp sampling grids in [-1, 1] coordinates), BilinearSampler (sample data
 * at a grid, zero outside) and SpatialTransformer (the two together), with
 * their backward ops. Grids are (N, 2, H, W): channel 0 is x, channel 1 is y;
 * -1 / 1 are the centres of the first / last pixel. Values and gradients follow
 * MXNet 1.9.1 (tests/python/ops/test_spatial_transformer.py). Part of the "conv"
 * family: registered from mxi_register_conv(). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "../op.h"

#define NATTR(a) ((int)(sizeof(a) / sizeof((a)[0])))

/* ---- GridGenerator ---- */
enum { GG_TYPE, GG_SHAPE };
enum { GG_AFFINE, GG_WARP };
static const mx_attr_spec gg_attrs[] = {
    {"transform_type", MX_ATTR_ENUM, NULL, "affine: data (N, 6) is a 2x3 matrix; warp: data (N, 2, H, W) is a flow "
                                           "field in pixels.", "affine,warp"},
    {"target_shape", MX_ATTR_SHAPE, "(0,0)", "Output (h, w) of the affine grid."},
};

/* normalised target coordinate of index i on an axis of n pixels */
static double norm_coord(int64_t i, int64_t n) { return n > 1 ? -1.0 + 2.0 * (double)i / (double)(n - 1) : -1.0; }

static int gg_infer(mx_call *c) {
    const mx_tensor_s *x = c->in[0];
    if (c->attrs[GG_TYPE].i == GG_AFFINE) {
        const mx_attr_val *t = &c->attrs[GG_SHAPE];
        if (x->ndim != 2 || x->shape[1] != 6)
            return mxi_op_error(c, MX_ERR_INVALID, "affine data must be (N, 6) (a 2x3 matrix per sample)");
        if (t->n != 2 || t->v[0] < 1 || t->v[1] < 1)
            return mxi_op_error(c, MX_ERR_INVALID, "target_shape must be (h, w) with both >= 1");
        int64_t os[4] = {x->shape[0], 2, t->v[0], t->v[1]};
        mxi_set_out(c, 0, os, 4, x->dtype);
        return MX_OK;
    }
    if (x->ndim != 4 || x->shape[1] != 2)
        return mxi_op_error(c, MX_ERR_INVALID, "warp data must be a flow field (N, 2, H, W)");
    mxi_same_as_in(c, 0, 0);
    return MX_OK;
}

/* the affine grid of loc (N, 6) for an h x w target, as doubles (N, 2, h, w) */
static void affine_grid(const mx_tensor_s *loc, int64_t N, int64_t h, int64_t w, double *g) {
    for (int64_t n = 0; n < N; n++)
        for (int64_t i = 0; i < h; i++)
            for (int64_t j = 0; j < w; j++) {
                const double xt = norm_coord(j, w), yt = norm_coord(i, h);
                const int64_t o = ((n * 2) * h + i) * w + j;
                g[o] = mxi_fget(loc, n * 6) * xt + mxi_fget(loc, n * 6 + 1) * yt + mxi_fget(loc, n * 6 + 2);
                g[o + h * w] = mxi_fget(loc, n * 6 + 3) * xt + mxi_fget(loc, n * 6 + 4) * yt + mxi_fget(loc, n * 6 + 5);
            }
}

static int gg_cpu(mx_call *c) {
    const mx_tensor_s *x = c->in[0];
    mx_tensor_s *g = c->out[0];
    const int64_t N = g->shape[0], H = g->shape[2], W = g->shape[3];
    if (c->attrs[GG_TYPE].i == GG_AFFINE) {
        double *buf = malloc(sizeof(double) * (size_t)(g->size ? g->size : 1));
        if (!buf) return mxi_op_error(c, MX_ERR_MEMORY, "out of memory");
        affine_grid(x, N, H, W, buf);
        for (int64_t i = 0; i < g->size; i++) mxi_fset(g, i, buf[i]);
        free(buf);
        return MX_OK;
    }
    for (int64_t n = 0; n < N; n++)
        for (int64_t i = 0; i < H; i++)
            for (int64_t j = 0; j < W; j++) {
                const int64_t ox = ((n * 2) * H + i) * W + j, oy = ox + H * W;
                mxi_fset(g, ox, ((double)j + mxi_fget(x, ox)) / ((double)(W - 1) / 2) - 1);
                mxi_fset(g, oy, ((double)i + mxi_fget(x, oy)) / ((double)(H - 1) / 2) - 1);
            }
    return MX_OK;
}

/* _backward_GridGenerator(ograd, data) -> ddata */
static int ggb_infer(mx_call *c) {
    mxi_same_as_in(c, 0, 1);
    return MX_OK;
}

static int ggb_cpu(mx_call *c) {
    const mx_tensor_s *g = c->in[0];
    mx_tensor_s *d = c->out[0];
    const int64_t N = g->shape[0], H = g->shape[2], W = g->shape[3];
    const int affine = c->attrs[GG_TYPE].i == GG_AFFINE;
    for (int64_t n = 0; n < N; n++)
        for (int64_t i = 0; i < H; i++)
            for (int64_t j = 0; j < W; j++) {
                const int64_t ox = ((n * 2) * H + i) * W + j, oy = ox + H * W;
                const double gx = mxi_fget(g, ox), gy = mxi_fget(g, oy);
                if (affine) {
                    const double xt = norm_coord(j, W), yt = norm_coord(i, H);
                    const double v[6] = {gx * xt, gx * yt, gx, gy * xt, gy * yt, gy};
                    for (int k = 0; k < 6; k++) mxi_fadd(d, n * 6 + k, v[k]);
                } else {
                    mxi_fset(d, ox, gx / ((double)(W - 1) / 2));
                    mxi_fset(d, oy, gy / ((double)(H - 1) / 2));
                }
            }
    return MX_OK;
}

static int gg_grad(mx_grad_ctx *g) {
    char attrs[256];
    MXI_TRY(mxi_attrs_string(g->call, attrs, sizeof attrs));
    g->igrad[0] = mxi_call1("_backward_GridGenerator", attrs, 2, g->ograd[0], g->in[0]);
    return g->igrad[0] ? MX_OK : mx_last_error_code();
}

/* ---- BilinearSampler ---- */
static int bs_check(const mx_call *c, const mx_tensor_s *x, const mx_tensor_s *grid) {
    if (x->ndim != 4 || grid->ndim != 4 || grid->shape[1] != 2 || grid->shape[0] != x->shape[0])
        return mxi_op_error(c, MX_ERR_INVALID, "expected data (N, C, H, W) and grid (N, 2, h, w) of the same batch");
    return MX_OK;
}

static int bs_infer(mx_call *c) {
    MXI_TRY(bs_check(c, c->in[0], c->in[1]));
    int64_t os[4] = {c->in[0]->shape[0], c->in[0]->shape[1], c->in[1]->shape[2], c->in[1]->shape[3]};
    mxi_set_out(c, 0, os, 4, c->in[0]->dtype);
    return mxi_require_same_dtype(c);
}

/* The four neighbours of grid point (n, i, j): plane offsets (-1 outside) and
 * the fractional position, shared by forward and backward. */
typedef struct {
    int64_t idx[4]; /* top-left, top-right, bottom-left, bottom-right; -1 when outside */
    double fx, fy;  /* distance from the top-left neighbour, in pixels */
} bs_point;

static void bs_locate(double gx, double gy, int64_t H, int64_t W, bs_point *p) {
    const double xr = (gx + 1) * (double)(W - 1) / 2, yr = (gy + 1) * (double)(H - 1) / 2;
    const double x0 = floor(xr), y0 = floor(yr);
    p->fx = xr - x0, p->fy = yr - y0;
    for (int q = 0; q < 4; q++) {
        const double y = y0 + (q >> 1), x = x0 + (q & 1);
        p->idx[q] = (y >= 0 && y <= (double)(H - 1) && x >= 0 && x <= (double)(W - 1)) ? (int64_t)y * W + (int64_t)x
                                                                                         : -1;
    }
}

static double bs_weight(const bs_point *p, int q) {
    return ((q >> 1) ? p->fy : 1 - p->fy) * ((q & 1) ? p->fx : 1 - p->fx);
}

/* sample x at grid g (N, 2, h, w) given as doubles, into y (N, C, h, w) */
static void bs_forward(const mx_tensor_s *x, const double *g, int64_t h, int64_t w, mx_tensor_s *y) {
    const int64_t N = x->shape[0], C = x->shape[1], H = x->shape[2], W = x->shape[3];
    for (int64_t n = 0; n < N; n++)
        for (int64_t i = 0; i < h; i++)
            for (int64_t j = 0; j < w; j++) {
                bs_point p;
                const int64_t gi = ((n * 2) * h + i) * w + j;
                bs_locate(g[gi], g[gi + h * w], H, W, &p);
                for (int64_t ch = 0; ch < C; ch++) {
                    double acc = 0;
                    for (int q = 0; q < 4; q++)
                        if (p.idx[q] >= 0) acc += bs_weight(&p, q) * mxi_fget(x, (n * C + ch) * H * W + p.idx[q]);
                    mxi_fset(y, ((n * C + ch) * h + i) * w + j, acc);
                }
            }
}

static int bs_cpu(mx_call *c) {
    const mx_tensor_s *grid = c->in[1];
    MXI_TRY(bs_check(c, c->in[0], grid));
    double *g = malloc(sizeof(double) * (size_t)(grid->size ? grid->size : 1));
    if (!g) return mxi_op_error(c, MX_ERR_MEMORY, "out of memory");
    for (int64_t i = 0; i < grid->size; i++) g[i] = mxi_fget(grid, i);
    bs_forward(c->in[0], g, grid->shape[2], grid->shape[3], c->out[0]);
    free(g);
    return MX_OK;
}

/* _backward_BilinearSampler(ograd, data, grid) -> ddata, dgrid */
static int bsb_infer(mx_call *c) {
    mxi_same_as_in(c, 0, 1);
    mxi_same_as_in(c, 1, 2);
    return MX_OK;
}

static int bsb_cpu(mx_call *c) {
    const mx_tensor_s *g = c->in[0], *x = c->in[1], *grid = c->in[2];
    mx_tensor_s *dx = c->out[0], *dgrid = c->out[1];
    const int64_t N = x->shape[0], C = x->shape[1], H = x->shape[2], W = x->shape[3];
    const int64_t h = grid->shape[2], w = grid->shape[3];
    for (int64_t n = 0; n < N; n++)
        for (int64_t i = 0; i < h; i++)
            for (int64_t j = 0; j < w; j++) {
                bs_point p;
                const int64_t gi = ((n * 2) * h + i) * w + j;
                bs_locate(mxi_fget(grid, gi), mxi_fget(grid, gi + h * w), H, W, &p);
                double dxr = 0, dyr = 0; /* d out / d (x_real, y_real), summed over channels */
                for (int64_t ch = 0; ch < C; ch++) {
                    const double go = mxi_fget(g, ((n * C + ch) * h + i) * w + j);
                    const int64_t plane = (n * C + ch) * H * W;
                    double v[4];
                    for (int q = 0; q < 4; q++) {
                        v[q] = p.idx[q] >= 0 ? mxi_fget(x, plane + p.idx[q]) : 0;
                        if (p.idx[q] >= 0) mxi_fadd(dx, plane + p.idx[q], go * bs_weight(&p, q));
                    }
                    dxr += go * ((1 - p.fy) * (v[1] - v[0]) + p.fy * (v[3] - v[2]));
                    dyr += go * ((1 - p.fx) * (v[2] - v[0]) + p.fx * (v[3] - v[1]));
                }
                mxi_fset(dgrid, gi, dxr * (double)(W - 1) / 2);
                mxi_fset(dgrid, gi + h * w, dyr * (double)(H - 1) / 2);
            }
    return MX_OK;
}

static int bs_grad(mx_grad_ctx *g) {
    mx_tensor_s *in[3] = {g->ograd[0], g->in[0], g->in[1]}, *out[2] = {0};
    MXI_TRY(mxi_call("_backward_BilinearSampler", in, 3, NULL, out, 2));
    g->igrad[0] = out[0];
    g->igrad[1] = out[1];
    return MX_OK;
}

/* ---- SpatialTransformer = BilinearSampler(data, GridGenerator(loc, affine)) ---- */
enum { ST_SHAPE, ST_TTYPE, ST_STYPE, ST_CUDNN };
static const mx_attr_spec st_attrs[] = {
    {"target_shape", MX_ATTR_SHAPE, "(0,0)", "Output (h, w)."},
    {"transform_type", MX_ATTR_ENUM, NULL, "Only affine.", "affine"},
    {"sampler_type", MX_ATTR_ENUM, NULL, "Only bilinear.", "bilinear"},
    {"cudnn_off", MX_ATTR_BOOL, "False", "Accepted for compatibility, ignored."},
};

static int st_grid_attrs(const mx_call *c, char *buf, size_t n) {
    const mx_attr_val *t = &c->attrs[ST_SHAPE];
    if (t->n != 2 || t->v[0] < 1 || t->v[1] < 1)
        return mxi_op_error(c, MX_ERR_INVALID, "target_shape must be (h, w) with both >= 1");
    snprintf(buf, n, "transform_type=affine;target_shape=(%lld,%lld)", (long long)t->v[0], (long long)t->v[1]);
    return MX_OK;
}

static int st_infer(mx_call *c) {
    const mx_tensor_s *x = c->in[0], *loc = c->in[1];
    char a[128];
    MXI_TRY(st_grid_attrs(c, a, sizeof a));
    if (x->ndim != 4 || loc->ndim != 2 || loc->shape[1] != 6 || loc->shape[0] != x->shape[0])
        return mxi_op_error(c, MX_ERR_INVALID, "expected data (N, C, H, W) and loc (N, 6)");
    int64_t os[4] = {x->shape[0], x->shape[1], c->attrs[ST_SHAPE].v[0], c->attrs[ST_SHAPE].v[1]};
    mxi_set_out(c, 0, os, 4, x->dtype);
    return mxi_require_same_dtype(c);
}

static int st_cpu(mx_call *c) {
    const mx_tensor_s *loc = c->in[1];
    const int64_t N = loc->shape[0], h = c->attrs[ST_SHAPE].v[0], w = c->attrs[ST_SHAPE].v[1];
    double *g = malloc(sizeof(double) * (size_t)(N * 2 * h * w > 0 ? N * 2 * h * w : 1));
    if (!g) return mxi_op_error(c, MX_ERR_MEMORY, "out of memory");
    affine_grid(loc, N, h, w, g);
    bs_forward(c->in[0], g, h, w, c->out[0]);
    free(g);
    return MX_OK;
}

/* through the grid: d data and d grid from the sampler, d loc from the grid's backward */
static int st_grad(mx_grad_ctx *g) {
    char a[128];
    MXI_TRY(st_grid_attrs(g->call, a, sizeof a));
    mx_tensor_s *grid = mxi_call1("GridGenerator", a, 1, g->in[1]);
    if (!grid) return mx_last_error_code();
    mx_tensor_s *in[3] = {g->ograd[0], g->in[0], grid}, *out[2] = {0};
    int rc = mxi_call("_backward_BilinearSampler", in, 3, NULL, out, 2);
    if (rc == MX_OK) {
        g->igrad[0] = out[0];
        g->igrad[1] = mxi_call1("_backward_GridGenerator", a, 2, out[1], g->in[1]);
        if (!g->igrad[1]) rc = mx_last_error_code();
    }
    mxi_tensor_release(out[1]);
    mxi_tensor_release(grid);
    return rc;
}

static const mx_op_def ops[] = {
    {.name = "GridGenerator", .doc = "Sampling grid (N, 2, h, w) in [-1, 1] coordinates from an affine matrix (N, 6) "
                                     "or a pixel flow field (N, 2, H, W).",
     .inputs = "data", .num_outputs = 1, .attrs = gg_attrs, .n_attrs = NATTR(gg_attrs), .infer = gg_infer,
     .cpu = gg_cpu, .grad = gg_grad, .dtypes = MX_DT_FLOAT, .flags = MX_OPF_WRITES_ALL},
    {.name = "_backward_GridGenerator", .doc = "Gradient of GridGenerator.", .inputs = "ograd,data",
     .num_outputs = 1, .attrs = gg_attrs, .n_attrs = NATTR(gg_attrs), .infer = ggb_infer, .cpu = ggb_cpu,
     .dtypes = MX_DT_FLOAT, .flags = MX_OPF_INTERNAL},
    {.name = "BilinearSampler", .doc = "Bilinear sampling of data (N, C, H, W) at a grid (N, 2, h, w) of [-1, 1] "
                                       "coordinates (x, y); zero outside the image.",
     .inputs = "data,grid", .num_outputs = 1, .infer = bs_infer, .cpu = bs_cpu, .grad = bs_grad,
     .dtypes = MX_DT_FLOAT, .flags = MX_OPF_WRITES_ALL},
    {.name = "_backward_BilinearSampler", .doc = "Gradient of BilinearSampler w.r.t. data and grid.",
     .inputs = "ograd,data,grid", .num_outputs = 2, .infer = bsb_infer, .cpu = bsb_cpu, .dtypes = MX_DT_FLOAT,
     .flags = MX_OPF_INTERNAL},
    {.name = "SpatialTransformer", .doc = "Spatial transformer: bilinear sampling of data at the affine grid of loc "
                                          "(N, 6), output (N, C, target_shape).",
     .inputs = "data,loc", .num_outputs = 1, .attrs = st_attrs, .n_attrs = NATTR(st_attrs), .infer = st_infer,
     .cpu = st_cpu, .grad = st_grad, .dtypes = MX_DT_FLOAT, .flags = MX_OPF_WRITES_ALL},
};

void mxi_register_spatial_transformer(void);
void mxi_register_spatial_transformer(void) { mxi_register_ops(ops, NATTR(ops)); }
