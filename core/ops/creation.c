/* creation.c — ops that make new arrays: zeros, ones, full, arange,
 * linspace, eye (no inputs; attrs shape/dtype/ctx as in MXNet's init ops)
 * and the *_like fills zeros_like, ones_like, full_like.
 *
 * Every output dtype is written natively (no inputs means no float32
 * fallback): fills replicate one encoded element with width-typed loops,
 * generators compute in double and store per dtype. */
#include <math.h>
#include <string.h>

#include "../../backends/cpu/cpu.h"
#include "../op.h"

#define ATTR(N, T, D, DOC) {.name = N, .type = T, .def = D, .doc = DOC}
#define CTX_ATTR ATTR("ctx", MX_ATTR_STR, "", "Device context of the output (accepted and ignored: the CPU is used).")
#define DTYPE_ATTR ATTR("dtype", MX_ATTR_DTYPE, "float32", "Target data type of the output.")

/* ---- fill helpers ---- */
typedef struct {
    void *dst;
    size_t es;
    uint64_t pat;
} fill_args;

static void fill_range(void *ctx, int64_t b, int64_t e) {
    fill_args *p = ctx;
    switch (p->es) {
    case 1: memset((uint8_t *)p->dst + b, (int)(uint8_t)p->pat, (size_t)(e - b)); break;
    case 2: {
        uint16_t *d = p->dst, v = (uint16_t)p->pat;
        for (int64_t i = b; i < e; i++) d[i] = v;
        break;
    }
    case 4: {
        uint32_t *d = p->dst, v = (uint32_t)p->pat;
        for (int64_t i = b; i < e; i++) d[i] = v;
        break;
    }
    default: {
        uint64_t *d = p->dst, v = p->pat;
        for (int64_t i = b; i < e; i++) d[i] = v;
        break;
    }
    }
}

/* Fill every element of `o` (contiguous) with v converted to o's dtype. */
static void fill_tensor(mx_tensor_s *o, double v) {
    if (!o->size) return;
    fill_args p = {mxi_data(o), mxi_dtype_size(o->dtype), 0};
    unsigned char buf[8] = {0};
    mxi_store_from_double(buf, o->dtype, 0, v);
    if (p.es == 1) p.pat = buf[0];
    else if (p.es == 2) { uint16_t x; memcpy(&x, buf, 2); p.pat = x; }
    else if (p.es == 4) { uint32_t x; memcpy(&x, buf, 4); p.pat = x; }
    else memcpy(&p.pat, buf, 8);
    mxi_parallel_for(o->size, 1 << 16, fill_range, &p);
}

/* ---- *_like ---- */
static int infer_like(mx_call *c) {
    mxi_same_as_in(c, 0, 0);
    return MX_OK;
}

static int zeros_like_cpu(mx_call *c) {
    fill_tensor(c->out[0], 0.0);
    return MX_OK;
}
static int ones_like_cpu(mx_call *c) {
    fill_tensor(c->out[0], 1.0);
    return MX_OK;
}

enum { FL_VALUE, FL_CTX, FL_DTYPE };
static const mx_attr_spec full_like_attrs[] = {
    ATTR("fill_value", MX_ATTR_FLOAT, NULL, "Value to fill the output with."),
    CTX_ATTR,
    ATTR("dtype", MX_ATTR_DTYPE, "None", "Output data type; None keeps the input's dtype."),
};

static int full_like_infer(mx_call *c) {
    int dt = c->attrs[FL_DTYPE].is_none ? c->in[0]->dtype : (int)c->attrs[FL_DTYPE].i;
    mxi_set_out(c, 0, c->in[0]->shape, c->in[0]->ndim, dt);
    return MX_OK;
}

static int full_like_cpu(mx_call *c) {
    fill_tensor(c->out[0], c->attrs[FL_VALUE].f);
    return MX_OK;
}

/* ---- zeros / ones / full ---- */
enum { Z_SHAPE, Z_CTX, Z_DTYPE, Z_VALUE };
static const mx_attr_spec zeros_attrs[] = {
    ATTR("shape", MX_ATTR_SHAPE, "()", "The shape of the output."),
    CTX_ATTR,
    DTYPE_ATTR,
};
static const mx_attr_spec full_attrs[] = {
    ATTR("shape", MX_ATTR_SHAPE, "()", "The shape of the output."),
    CTX_ATTR,
    DTYPE_ATTR,
    ATTR("value", MX_ATTR_FLOAT, NULL, "Value to fill the output with."),
};

static int out_dtype(const mx_call *c, int idx) {
    return c->attrs[idx].is_none || c->attrs[idx].i < 0 ? MX_FLOAT32 : (int)c->attrs[idx].i;
}

static int shape_infer(mx_call *c) {
    const mx_attr_val *s = &c->attrs[Z_SHAPE];
    int n = s->is_none ? 0 : s->n;
    if (n > MX_MAX_NDIM) return mxi_op_error(c, MX_ERR_INVALID, "shape has %d dimensions (max %d)", n, MX_MAX_NDIM);
    for (int i = 0; i < n; i++)
        if (s->v[i] < 0)
            return mxi_op_error(c, MX_ERR_INVALID, "shape entries must be >= 0, got %lld at position %d",
                                (long long)s->v[i], i);
    mxi_set_out(c, 0, s->v, n, out_dtype(c, Z_DTYPE));
    return MX_OK;
}

static int zeros_cpu(mx_call *c) {
    (void)c; /* outputs arrive zeroed */
    return MX_OK;
}
static int ones_cpu(mx_call *c) {
    fill_tensor(c->out[0], 1.0);
    return MX_OK;
}
static int full_cpu(mx_call *c) {
    fill_tensor(c->out[0], c->attrs[Z_VALUE].f);
    return MX_OK;
}

/* ---- generators: element i = f(i) in double, stored per dtype ---- */
typedef double (*gen_fn)(const mx_call *c, int64_t i);

#define GEN_LOOP(T)                                                   \
    {                                                                 \
        T *d = mxi_data(o);                                           \
        for (int64_t i = 0; i < o->size; i++) d[i] = (T)f(c, i);      \
    }                                                                 \
    break;

static void generate(const mx_call *c, gen_fn f) {
    mx_tensor_s *o = c->out[0];
    switch (o->dtype) {
    case MX_FLOAT32: GEN_LOOP(float)
    case MX_FLOAT64: GEN_LOOP(double)
    default:
        for (int64_t i = 0; i < o->size; i++) mxi_store_from_double(mxi_data(o), o->dtype, i, f(c, i));
    }
}

/* arange */
enum { AR_START, AR_STOP, AR_STEP, AR_REPEAT, AR_INFER, AR_CTX, AR_DTYPE };
static const mx_attr_spec arange_attrs[] = {
    ATTR("start", MX_ATTR_FLOAT, NULL, "Start of interval (the end when stop is None, with start 0)."),
    ATTR("stop", MX_ATTR_FLOATS, "None", "End of interval (exclusive); None means [0, start)."),
    ATTR("step", MX_ATTR_FLOAT, "1.0", "Spacing between values."),
    {.name = "repeat", .type = MX_ATTR_INT, .def = "1", .doc = "Number of times to repeat each element.",
     .bounded = 1, .lo = 1, .hi = 1e18},
    ATTR("infer_range", MX_ATTR_BOOL, "False", "Infer stop from the output shape (accepted and ignored)."),
    CTX_ATTR,
    DTYPE_ATTR,
};

static void arange_bounds(const mx_call *c, double *start, double *stop) {
    const mx_attr_val *st = &c->attrs[AR_STOP];
    if (st->is_none || st->n == 0) {
        *start = 0, *stop = c->attrs[AR_START].f;
    } else {
        *start = c->attrs[AR_START].f, *stop = st->fv[0];
    }
}

static int arange_infer(mx_call *c) {
    double start, stop, step = c->attrs[AR_STEP].f;
    arange_bounds(c, &start, &stop);
    if (c->attrs[AR_STOP].n > 1) return mxi_op_error(c, MX_ERR_INVALID, "stop must be a single number or None");
    if (step == 0) return mxi_op_error(c, MX_ERR_INVALID, "step must not be 0");
    if (!isfinite(start) || !isfinite(stop) || !isfinite(step))
        return mxi_op_error(c, MX_ERR_INVALID, "start, stop and step must be finite");
    if ((step > 0 && stop < start) || (step < 0 && stop > start))
        return mxi_op_error(c, MX_ERR_INVALID, "invalid range (start, stop, step) = (%g, %g, %g)", start, stop, step);
    double n = ceil((stop - start) / step);
    if (n < 0) n = 0;
    int64_t len = (int64_t)n * c->attrs[AR_REPEAT].i;
    mxi_set_out(c, 0, &len, 1, out_dtype(c, AR_DTYPE));
    return MX_OK;
}

/* MXNet computes arange in the output dtype: start and step are first cast to
 * it (an integer dtype truncates them: arange(1.3, 10, 1.3, dtype=int32) is
 * 1, 2, 3, ...; the length still comes from the float bounds), then element i
 * is start + (i // repeat) * step in that dtype's arithmetic (float32 in
 * float, float16 rounded to half after each operation). */
static float half_round(float v) { return mxi_half_to_float(mxi_float_to_half(v)); }

static int arange_cpu(mx_call *c) {
    mx_tensor_s *o = c->out[0];
    double start, stop, step = c->attrs[AR_STEP].f;
    int64_t rep = c->attrs[AR_REPEAT].i;
    arange_bounds(c, &start, &stop);
    if (o->dtype == MX_FLOAT64) {
        double *d = mxi_data(o);
        for (int64_t i = 0; i < o->size; i++) d[i] = start + (double)(i / rep) * step;
    } else if (o->dtype == MX_FLOAT32) {
        float *d = mxi_data(o), s0 = (float)start, st = (float)step;
        for (int64_t i = 0; i < o->size; i++) d[i] = s0 + (float)(i / rep) * st;
    } else if (o->dtype == MX_FLOAT16) {
        float s0 = half_round((float)start), st = half_round((float)step);
        for (int64_t i = 0; i < o->size; i++)
            mxi_store_from_double(mxi_data(o), o->dtype, i, half_round(s0 + half_round((float)(i / rep) * st)));
    } else if (mxi_dtype_is_float(o->dtype)) {
        for (int64_t i = 0; i < o->size; i++)
            mxi_store_from_double(mxi_data(o), o->dtype, i, start + (double)(i / rep) * step);
    } else {
        int64_t s0 = (int64_t)start, st = (int64_t)step;
        for (int64_t i = 0; i < o->size; i++)
            mxi_store_from_double(mxi_data(o), o->dtype, i, (double)(s0 + (i / rep) * st));
    }
    return MX_OK;
}

/* _contrib_arange_like: arange shaped like the input (or along one of its axes) */
enum { AL_START, AL_STEP, AL_REPEAT, AL_CTX, AL_AXIS };
static const mx_attr_spec arange_like_attrs[] = {
    ATTR("start", MX_ATTR_FLOAT, "0", "First value."),
    ATTR("step", MX_ATTR_FLOAT, "1", "Spacing between values."),
    {.name = "repeat", .type = MX_ATTR_INT, .def = "1", .doc = "Number of times to repeat each element.",
     .bounded = 1, .lo = 1, .hi = 1e18},
    CTX_ATTR,
    ATTR("axis", MX_ATTR_OPT_INT, "None", "None: the output has the input's shape; else a 1-D output of the length "
                                          "of this axis."),
};

static int arange_like_infer(mx_call *c) {
    const mx_tensor_s *x = c->in[0];
    if (c->attrs[AL_AXIS].is_none) {
        mxi_set_out(c, 0, x->shape, x->ndim, x->dtype);
        return MX_OK;
    }
    int64_t a = c->attrs[AL_AXIS].i;
    if (a < 0) a += x->ndim;
    if (a < 0 || a >= x->ndim)
        return mxi_op_error(c, MX_ERR_INVALID, "axis %lld out of range for %d-d data", (long long)c->attrs[AL_AXIS].i,
                            x->ndim);
    mxi_set_out(c, 0, &x->shape[a], 1, x->dtype);
    return MX_OK;
}

static double arange_like_at(const mx_call *c, int64_t i) {
    return c->attrs[AL_START].f + (double)(i / c->attrs[AL_REPEAT].i) * c->attrs[AL_STEP].f;
}

static int arange_like_cpu(mx_call *c) {
    generate(c, arange_like_at);
    return MX_OK;
}

/* linspace */
enum { LS_START, LS_STOP, LS_NUM, LS_ENDPOINT, LS_CTX, LS_DTYPE };
static const mx_attr_spec linspace_attrs[] = {
    ATTR("start", MX_ATTR_FLOAT, NULL, "Start of the sequence."),
    ATTR("stop", MX_ATTR_FLOAT, NULL, "End of the sequence (included when endpoint is True)."),
    {.name = "num", .type = MX_ATTR_INT, .doc = "Number of samples to generate.", .bounded = 1, .lo = 0, .hi = 1e18},
    ATTR("endpoint", MX_ATTR_BOOL, "True", "If True, stop is the last sample; otherwise it is not included."),
    CTX_ATTR,
    DTYPE_ATTR,
};

static int linspace_infer(mx_call *c) {
    int64_t n = c->attrs[LS_NUM].i;
    mxi_set_out(c, 0, &n, 1, out_dtype(c, LS_DTYPE));
    return MX_OK;
}

static double linspace_at(const mx_call *c, int64_t i) {
    double start = c->attrs[LS_START].f, stop = c->attrs[LS_STOP].f;
    int64_t n = c->attrs[LS_NUM].i;
    int ep = (int)c->attrs[LS_ENDPOINT].i;
    double step = ep ? (n > 1 ? (stop - start) / (double)(n - 1) : 0.0) : (stop - start) / (double)n;
    if (ep && n > 1 && i == n - 1) return stop;
    return start + (double)i * step;
}

static int linspace_cpu(mx_call *c) {
    generate(c, linspace_at);
    return MX_OK;
}

/* eye */
enum { EYE_N, EYE_M, EYE_K, EYE_CTX, EYE_DTYPE };
static const mx_attr_spec eye_attrs[] = {
    {.name = "N", .type = MX_ATTR_INT, .doc = "Number of rows in the output.", .bounded = 1, .lo = 0, .hi = 1e15},
    {.name = "M", .type = MX_ATTR_INT, .def = "0", .doc = "Number of columns in the output; 0 means N.",
     .bounded = 1, .lo = 0, .hi = 1e15},
    ATTR("k", MX_ATTR_INT, "0", "Index of the diagonal: 0 the main one, positive above, negative below."),
    CTX_ATTR,
    DTYPE_ATTR,
};

static int eye_infer(mx_call *c) {
    int64_t s[2] = {c->attrs[EYE_N].i, c->attrs[EYE_M].i ? c->attrs[EYE_M].i : c->attrs[EYE_N].i};
    mxi_set_out(c, 0, s, 2, out_dtype(c, EYE_DTYPE));
    return MX_OK;
}

static int eye_cpu(mx_call *c) {
    mx_tensor_s *o = c->out[0];
    int64_t n = o->shape[0], m = o->shape[1], k = c->attrs[EYE_K].i;
    for (int64_t i = 0; i < n; i++) {
        int64_t j = i + k;
        if (j >= 0 && j < m) mxi_store_from_double(mxi_data(o), o->dtype, i * m + j, 1.0);
    }
    return MX_OK;
}

#define NOIN_FLAGS (MX_OPF_NO_GRAD)
static const mx_op_def ops[] = {
    {.name = "zeros_like", .doc = "Returns an array of zeros with the same shape and dtype as the input.",
     .inputs = "data", .num_outputs = 1, .infer = infer_like, .cpu = zeros_like_cpu,
     .flags = MX_OPF_NO_GRAD | MX_OPF_NO_INPUT_CAST | MX_OPF_WRITES_ALL, .dtypes = MX_DT_ALL},
    {.name = "ones_like", .doc = "Returns an array of ones with the same shape and dtype as the input.",
     .inputs = "data", .num_outputs = 1, .infer = infer_like, .cpu = ones_like_cpu,
     .flags = MX_OPF_NO_GRAD | MX_OPF_NO_INPUT_CAST | MX_OPF_WRITES_ALL, .dtypes = MX_DT_ALL},
    {.name = "full_like", .doc = "Returns an array filled with fill_value, with the shape (and by default the dtype) "
                                 "of the input.",
     .inputs = "data", .num_outputs = 1, .attrs = full_like_attrs, .n_attrs = 3, .infer = full_like_infer,
     .cpu = full_like_cpu, .flags = MX_OPF_NO_GRAD | MX_OPF_NO_INPUT_CAST | MX_OPF_WRITES_ALL, .dtypes = MX_DT_ALL},
    {.name = "zeros", .aliases = "_zeros,_zeros_without_dtype", .doc = "Returns a new array of the given shape and dtype, filled with zeros.",
     .inputs = "", .num_outputs = 1, .attrs = zeros_attrs, .n_attrs = 3, .infer = shape_infer, .cpu = zeros_cpu,
     .flags = NOIN_FLAGS, .dtypes = MX_DT_ALL},
    {.name = "ones", .aliases = "_ones", .doc = "Returns a new array of the given shape and dtype, filled with ones.",
     .inputs = "", .num_outputs = 1, .attrs = zeros_attrs, .n_attrs = 3, .infer = shape_infer, .cpu = ones_cpu,
     .flags = NOIN_FLAGS | MX_OPF_WRITES_ALL, .dtypes = MX_DT_ALL},
    {.name = "full", .aliases = "_full", .doc = "Returns a new array of the given shape and dtype, filled with value.",
     .inputs = "", .num_outputs = 1, .attrs = full_attrs, .n_attrs = 4, .infer = shape_infer, .cpu = full_cpu,
     .flags = NOIN_FLAGS | MX_OPF_WRITES_ALL, .dtypes = MX_DT_ALL},
    {.name = "arange", .aliases = "_arange",
     .doc = "Evenly spaced values in [start, stop) with the given step, each repeated `repeat` times.",
     .inputs = "", .num_outputs = 1, .attrs = arange_attrs, .n_attrs = 7, .infer = arange_infer, .cpu = arange_cpu,
     .flags = NOIN_FLAGS | MX_OPF_WRITES_ALL, .dtypes = MX_DT_ALL},
    {.name = "_contrib_arange_like", .doc = "start + step * (i // repeat) over the input's shape (or along one axis).",
     .inputs = "data", .num_outputs = 1, .attrs = arange_like_attrs, .n_attrs = 5, .infer = arange_like_infer,
     .cpu = arange_like_cpu, .flags = MX_OPF_NO_GRAD | MX_OPF_NO_INPUT_CAST | MX_OPF_WRITES_ALL,
     .dtypes = MX_DT_ALL},
    {.name = "linspace", .aliases = "_linspace", .doc = "num evenly spaced samples over [start, stop].",
     .inputs = "", .num_outputs = 1, .attrs = linspace_attrs, .n_attrs = 6, .infer = linspace_infer,
     .cpu = linspace_cpu, .flags = NOIN_FLAGS | MX_OPF_WRITES_ALL, .dtypes = MX_DT_ALL},
    {.name = "eye", .aliases = "_eye", .doc = "2-D array (N, M) with ones on the k-th diagonal and zeros elsewhere.",
     .inputs = "", .num_outputs = 1, .attrs = eye_attrs, .n_attrs = 5, .infer = eye_infer, .cpu = eye_cpu,
     .flags = NOIN_FLAGS, .dtypes = MX_DT_ALL},
};

void mxi_register_creation(void) { mxi_register_ops(ops, (int)(sizeof ops / sizeof ops[0])); }
