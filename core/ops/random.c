/* random.c — sampling ops: random_* (scalar parameters, shape attr),
 * random_*_like, sample_* (per-element parameter arrays), shuffle and
 * sample_multinomial.
 *
 * Every element draws from the counter-based Philox stream: element i of a
 * call uses counter (call offset + i) and, when it needs more than one pair
 * of uniforms (rejection samplers), further keys derived from the seed. So
 * results depend only on the seed and the call sequence, never on the
 * thread count, and the element loops run on mxi_parallel_for. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../../backends/cpu/cpu.h"
#include "../op.h"
#include "../philox.h"
#include "vec_libm.h" /* log, cos of the normal sampler: vectorized through libmvec */

#define ATTR(N, T, D, DOC) {.name = N, .type = T, .def = D, .doc = DOC}
#define CTX_ATTR ATTR("ctx", MX_ATTR_STR, "", "Device context of the output (accepted and ignored: the CPU is used).")
#define SHAPE_ATTR ATTR("shape", MX_ATTR_SHAPE, "()", "Shape of the output; empty draws one sample, shape (1,).")
#define FDTYPE_ATTR                                                                                     \
    ATTR("dtype", MX_ATTR_DTYPE, "None", "Data type of the output (float16, float32 or float64); None means " \
                                         "float32.")
#define RAND_FLAGS (MX_OPF_RANDOM | MX_OPF_NO_GRAD | MX_OPF_WRITES_ALL)

/* ---- per-element stream ---- */
typedef struct {
    uint64_t seed, ctr;
    uint32_t w[4];
    int used;    /* uniforms consumed from w (2 per block) */
    uint64_t j;  /* next sub-stream */
} estream;

static inline void es_init(estream *s, const mx_call *c, int64_t i) {
    s->seed = c->rng_seed;
    s->ctr = c->rng_offset + (uint64_t)i;
    s->used = 2;
    s->j = 0;
}

/* The uniform in (0, 1) made of two Philox words: 53 bits, never exactly 0
 * or 1, safe for log(). */
static inline __attribute__((always_inline)) double u01_of(uint32_t hi, uint32_t lo) {
    /* x = hi * 2^21 + (lo >> 11) < 2^53, built from two exact uint32 -> double
     * conversions: a 64-bit integer conversion does not vectorize without AVX512DQ */
    const double x = (double)hi * 2097152.0 + (double)(lo >> 11);
    return (x + 0.5) * (1.0 / 9007199254740992.0);
}

/* next uniform of the element's stream */
static inline double es_u01(estream *s) {
    if (s->used >= 2) {
        uint64_t key = s->seed ^ (s->j * 0x9E3779B97F4A7C15ULL);
        s->j++;
        mxi_philox4x32(key, s->ctr, s->w); /* inline (philox.h): a call per block cost a third of a draw */
        s->used = 0;
    }
    uint32_t hi = s->w[2 * s->used], lo = s->w[2 * s->used + 1];
    s->used++;
    return u01_of(hi, lo);
}

/* A standard normal from two uniforms in (0, 1) (Box-Muller). */
static inline __attribute__((always_inline)) double normal_of(double u1, double u2) {
    return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

static inline double es_normal(estream *s) {
    double u1 = es_u01(s), u2 = es_u01(s);
    return normal_of(u1, u2);
}

/* Marsaglia-Tsang; alpha < 1 boosted through alpha + 1. Scale 1. */
static double es_gamma(estream *s, double alpha) {
    if (alpha <= 0) return 0.0;
    double boost = 1.0;
    if (alpha < 1.0) {
        boost = pow(es_u01(s), 1.0 / alpha);
        alpha += 1.0;
    }
    double d = alpha - 1.0 / 3.0, cc = 1.0 / sqrt(9.0 * d);
    for (;;) {
        double x, v;
        do {
            x = es_normal(s);
            v = 1.0 + cc * x;
        } while (v <= 0);
        v = v * v * v;
        double u = es_u01(s);
        if (u < 1.0 - 0.0331 * x * x * x * x) return d * v * boost;
        if (log(u) < 0.5 * x * x + d * (1.0 - v + log(v))) return d * v * boost;
    }
}

/* Poisson: multiplication method for small means, Hormann's PTRS otherwise. */
static double es_poisson(estream *s, double lam) {
    if (lam <= 0) return 0.0;
    if (lam < 10) {
        double L = exp(-lam), p = 1.0;
        int64_t k = 0;
        for (;;) {
            p *= es_u01(s);
            if (p <= L) return (double)k;
            k++;
        }
    }
    double slam = sqrt(lam), loglam = log(lam);
    double b = 0.931 + 2.53 * slam, a = -0.059 + 0.02483 * b;
    double inva = 1.1239 + 1.1328 / (b - 3.4), vr = 0.9277 - 3.6224 / (b - 2);
    for (;;) {
        double U = es_u01(s) - 0.5, V = es_u01(s);
        double us = 0.5 - fabs(U);
        double k = floor((2 * a / us + b) * U + lam + 0.43);
        if (us >= 0.07 && V <= vr) return k;
        if (k < 0 || (us < 0.013 && V > us)) continue;
        if (log(V) + log(inva) - log(a / (us * us) + b) <= -lam + k * loglam - lgamma(k + 1)) return k;
    }
}

/* ---- distributions: value from two parameters ---- */
typedef double (*sampler_fn)(estream *s, double p0, double p1);

static double s_uniform(estream *s, double lo, double hi) { return lo + (hi - lo) * es_u01(s); }
static double s_normal(estream *s, double mu, double sd) { return mu + sd * es_normal(s); }
static double s_randint(estream *s, double lo, double hi) {
    double r = floor(es_u01(s) * (hi - lo));
    if (r >= hi - lo) r = hi - lo - 1;
    return lo + r;
}
static double s_exponential(estream *s, double lam, double unused) {
    (void)unused;
    return -log(es_u01(s)) / lam;
}
static double s_gamma(estream *s, double alpha, double beta) { return es_gamma(s, alpha) * beta; }
static double s_poisson(estream *s, double lam, double unused) {
    (void)unused;
    return es_poisson(s, lam);
}
static double s_negbin(estream *s, double k, double p) {
    if (p >= 1.0) return 0.0;
    return es_poisson(s, es_gamma(s, k) * (1.0 - p) / p);
}
/* MXNet's generalized negative binomial: Poisson with a gamma(1/alpha,
 * alpha*mu) mean; alpha = 0 is Poisson(mu) */
static double s_gennegbin(estream *s, double mu, double alpha) {
    if (alpha == 0) return es_poisson(s, mu);
    return es_poisson(s, es_gamma(s, 1.0 / alpha) * alpha * mu);
}
static double s_bernoulli(estream *s, double prob, double unused) {
    (void)unused;
    return es_u01(s) < prob ? 1.0 : 0.0;
}

/* ---- generic element loop ---- */
typedef struct {
    const mx_call *c;
    sampler_fn fn;
    double p0, p1;            /* scalar parameters, or */
    const void *a0, *a1;      /* per-row parameter arrays (sample_*) */
    int pdtype;
    int64_t inner;            /* outputs per parameter element */
    void *out;
    int odtype;
} samp_args;

static void samp_range(void *ctx, int64_t b, int64_t e) {
    samp_args *p = ctx;
    for (int64_t i = b; i < e; i++) {
        double p0 = p->p0, p1 = p->p1;
        if (p->a0) {
            int64_t r = i / p->inner;
            p0 = mxi_load_as_double(p->a0, p->pdtype, r);
            if (p->a1) p1 = mxi_load_as_double(p->a1, p->pdtype, r);
        }
        estream s;
        es_init(&s, p->c, i);
        double v = p->fn(&s, p0, p1);
        switch (p->odtype) {
        case MX_FLOAT32: ((float *)p->out)[i] = (float)v; break;
        case MX_FLOAT64: ((double *)p->out)[i] = v; break;
        case MX_INT32: ((int32_t *)p->out)[i] = (int32_t)v; break;
        case MX_INT64: ((int64_t *)p->out)[i] = (int64_t)v; break;
        default: mxi_store_from_double(p->out, p->odtype, i, v);
        }
    }
}

/* Uniform and normal draws with scalar parameters into float32/float64: the
 * values of samp_range (element i: the uniforms of its first Philox block,
 * the normal by Box-Muller in double), computed a block at a time so each
 * step vectorizes: Philox in 32-bit lanes, then log and cos through libmvec
 * (vec_libm.h). 1M float32 normals: 21 -> see bench/README. libmvec's log and
 * cos may differ from the scalar ones in the last bits of a double. */
#define UN_BLOCK 256
static MXI_CPU_CLONES void uniform_normal_range(void *ctx, int64_t b, int64_t e) {
    const samp_args *p = ctx;
    const uint64_t seed = p->c->rng_seed, base = p->c->rng_offset;
    const int normal = p->fn == s_normal;
    const double p0 = p->p0, p1 = p->p1;
    double u1[UN_BLOCK], u2[UN_BLOCK];
    for (int64_t i0 = b; i0 < e; i0 += UN_BLOCK) {
        const int n = (int)(e - i0 < UN_BLOCK ? e - i0 : UN_BLOCK);
        for (int k = 0; k < n; k++) {
            uint32_t w[4];
            mxi_philox4x32(seed, base + (uint64_t)(i0 + k), w); /* es_u01's first block (j = 0: key = seed) */
            u1[k] = u01_of(w[0], w[1]);
            u2[k] = u01_of(w[2], w[3]);
        }
        if (normal) {
            for (int k = 0; k < n; k++) u1[k] = p0 + p1 * normal_of(u1[k], u2[k]);
        } else {
            for (int k = 0; k < n; k++) u1[k] = p0 + (p1 - p0) * u1[k];
        }
        if (p->odtype == MX_FLOAT32) {
            float *o = (float *)p->out + i0;
            for (int k = 0; k < n; k++) o[k] = (float)u1[k];
        } else {
            memcpy((double *)p->out + i0, u1, sizeof(double) * (size_t)n);
        }
    }
}

static void run_sampler(const mx_call *c, samp_args *p) {
    mx_tensor_s *o = c->out[0];
    p->c = c;
    p->out = mxi_data(o);
    p->odtype = o->dtype;
    if (!p->inner) p->inner = 1;
    const int fast = !p->a0 && (p->fn == s_uniform || p->fn == s_normal) &&
                     (o->dtype == MX_FLOAT32 || o->dtype == MX_FLOAT64);
    mxi_parallel_for(o->size, 4096, fast ? uniform_normal_range : samp_range, p);
}

/* ---- random_* with scalar parameters ---- */
enum { R_P0, R_P1, R_SHAPE, R_CTX, R_DTYPE };

static int scalar_infer_dt(mx_call *c, int def_dtype) {
    const mx_attr_val *s = &c->attrs[R_SHAPE];
    int n = s->is_none ? 0 : s->n;
    if (n > MX_MAX_NDIM) return mxi_op_error(c, MX_ERR_INVALID, "shape has too many dimensions");
    for (int i = 0; i < n; i++)
        if (s->v[i] < 0) return mxi_op_error(c, MX_ERR_INVALID, "shape entries must be >= 0");
    int dt = c->attrs[R_DTYPE].is_none || c->attrs[R_DTYPE].i < 0 ? def_dtype : (int)c->attrs[R_DTYPE].i;
    static const int64_t one = 1; /* MXNet: no shape draws one sample, shape (1,) */
    if (n == 0) mxi_set_out(c, 0, &one, 1, dt);
    else mxi_set_out(c, 0, s->v, n, dt);
    return MX_OK;
}

/* per_element: the parameters come from tensors (the _sample_* ops). There MXNet
 * accepts the degenerate zero parameters of gamma, poisson and negative binomial and
 * draws 0 -- its multi-distribution tests feed alpha = 0 -- while the scalar forms
 * require them to be positive. */
static int check_params(mx_call *c, sampler_fn fn, double p0, double p1, int per_element) {
    if (per_element && ((fn == s_gamma && p0 >= 0 && p1 >= 0) || (fn == s_poisson && p0 >= 0) ||
                        (fn == s_negbin && p0 >= 0 && p1 > 0 && p1 <= 1)))
        return MX_OK;
    if (fn == s_uniform && !(p0 <= p1))
        return mxi_op_error(c, MX_ERR_INVALID, "low (%g) must be <= high (%g)", p0, p1);
    if (fn == s_randint && !(p0 < p1))
        return mxi_op_error(c, MX_ERR_INVALID, "low (%g) must be < high (%g)", p0, p1);
    if (fn == s_normal && !(p1 >= 0)) return mxi_op_error(c, MX_ERR_INVALID, "scale must be >= 0, got %g", p1);
    if ((fn == s_exponential || fn == s_poisson) && !(p0 > 0))
        return mxi_op_error(c, MX_ERR_INVALID, "lam must be > 0, got %g", p0);
    if (fn == s_gamma && !(p0 > 0 && p1 > 0))
        return mxi_op_error(c, MX_ERR_INVALID, "alpha and beta must be > 0, got %g, %g", p0, p1);
    if (fn == s_negbin && !(p0 > 0 && p1 > 0 && p1 <= 1))
        return mxi_op_error(c, MX_ERR_INVALID, "need k > 0 and 0 < p <= 1, got k=%g, p=%g", p0, p1);
    if (fn == s_gennegbin && !(p0 >= 0 && p1 >= 0))
        return mxi_op_error(c, MX_ERR_INVALID, "need mu >= 0 and alpha >= 0, got mu=%g, alpha=%g", p0, p1);
    if (fn == s_bernoulli && !(p0 >= 0 && p0 <= 1))
        return mxi_op_error(c, MX_ERR_INVALID, "prob must be in [0, 1], got %g", p0);
    return MX_OK;
}

static double attr_num(const mx_call *c, int idx) {
    const mx_attr_spec *s = &c->op->attrs[idx];
    return s->type == MX_ATTR_FLOAT ? c->attrs[idx].f : (double)c->attrs[idx].i;
}

#define SCALAR_OP(NAME, FN, NP, DEFDT)                                                     \
    static int NAME##_infer(mx_call *c) {                                                  \
        MXI_TRY(check_params(c, FN, attr_num(c, 0), NP > 1 ? attr_num(c, 1) : 0, 0));         \
        return scalar_infer_dt(c, DEFDT);                                                  \
    }                                                                                      \
    static int NAME##_cpu(mx_call *c) {                                                    \
        samp_args p = {.fn = FN, .p0 = attr_num(c, 0), .p1 = NP > 1 ? attr_num(c, 1) : 0}; \
        run_sampler(c, &p);                                                                \
        return MX_OK;                                                                      \
    }

/* two-parameter ops keep attrs [p0, p1, shape, ctx, dtype]; one-parameter
 * ops use [p0, shape, ctx, dtype]: remap through this offset-aware infer. */
static int scalar_infer1(mx_call *c, int def_dtype) {
    /* attrs: p0, shape, ctx, dtype */
    const mx_attr_val *s = &c->attrs[1];
    int n = s->is_none ? 0 : s->n;
    if (n > MX_MAX_NDIM) return mxi_op_error(c, MX_ERR_INVALID, "shape has too many dimensions");
    for (int i = 0; i < n; i++)
        if (s->v[i] < 0) return mxi_op_error(c, MX_ERR_INVALID, "shape entries must be >= 0");
    int dt = c->attrs[3].is_none || c->attrs[3].i < 0 ? def_dtype : (int)c->attrs[3].i;
    static const int64_t one = 1;
    if (n == 0) mxi_set_out(c, 0, &one, 1, dt);
    else mxi_set_out(c, 0, s->v, n, dt);
    return MX_OK;
}

#define SCALAR_OP1(NAME, FN, DEFDT)                                                       \
    static int NAME##_infer(mx_call *c) {                                                 \
        MXI_TRY(check_params(c, FN, attr_num(c, 0), 0, 0));                                  \
        return scalar_infer1(c, DEFDT);                                                   \
    }                                                                                     \
    static int NAME##_cpu(mx_call *c) {                                                   \
        samp_args p = {.fn = FN, .p0 = attr_num(c, 0)};                                   \
        run_sampler(c, &p);                                                               \
        return MX_OK;                                                                     \
    }

SCALAR_OP(uniform, s_uniform, 2, MX_FLOAT32)
SCALAR_OP(normal, s_normal, 2, MX_FLOAT32)
SCALAR_OP(randint, s_randint, 2, MX_INT32)
SCALAR_OP(gamma, s_gamma, 2, MX_FLOAT32)
SCALAR_OP(negbin, s_negbin, 2, MX_FLOAT32)
SCALAR_OP(gennegbin, s_gennegbin, 2, MX_FLOAT32)
SCALAR_OP1(exponential, s_exponential, MX_FLOAT32)
SCALAR_OP1(poisson, s_poisson, MX_FLOAT32)
SCALAR_OP1(bernoulli, s_bernoulli, MX_FLOAT32)

static const mx_attr_spec uniform_attrs[] = {
    ATTR("low", MX_ATTR_FLOAT, "0.0", "Lower bound of the distribution."),
    ATTR("high", MX_ATTR_FLOAT, "1.0", "Upper bound of the distribution."),
    SHAPE_ATTR, CTX_ATTR, FDTYPE_ATTR,
};
static const mx_attr_spec normal_attrs[] = {
    ATTR("loc", MX_ATTR_FLOAT, "0.0", "Mean of the distribution."),
    ATTR("scale", MX_ATTR_FLOAT, "1.0", "Standard deviation of the distribution."),
    SHAPE_ATTR, CTX_ATTR, FDTYPE_ATTR,
};
static const mx_attr_spec randint_attrs[] = {
    ATTR("low", MX_ATTR_INT, NULL, "Lower bound of the distribution (inclusive)."),
    ATTR("high", MX_ATTR_INT, NULL, "Upper bound of the distribution (exclusive)."),
    SHAPE_ATTR, CTX_ATTR,
    ATTR("dtype", MX_ATTR_DTYPE, "None", "Data type of the output (int32 or int64); None means int32."),
};
static const mx_attr_spec gamma_attrs[] = {
    ATTR("alpha", MX_ATTR_FLOAT, "1.0", "Alpha (shape) parameter of the gamma distribution."),
    ATTR("beta", MX_ATTR_FLOAT, "1.0", "Beta (scale) parameter of the gamma distribution."),
    SHAPE_ATTR, CTX_ATTR, FDTYPE_ATTR,
};
static const mx_attr_spec negbin_attrs[] = {
    ATTR("k", MX_ATTR_INT, "1", "Limit of unsuccessful experiments."),
    ATTR("p", MX_ATTR_FLOAT, "1.0", "Failure probability in each experiment."),
    SHAPE_ATTR, CTX_ATTR, FDTYPE_ATTR,
};
static const mx_attr_spec gennegbin_attrs[] = {
    ATTR("mu", MX_ATTR_FLOAT, "1.0", "Mean of the distribution."),
    ATTR("alpha", MX_ATTR_FLOAT, "1.0", "Alpha (dispersion) parameter of the distribution."),
    SHAPE_ATTR, CTX_ATTR, FDTYPE_ATTR,
};
static const mx_attr_spec exponential_attrs[] = {
    ATTR("lam", MX_ATTR_FLOAT, "1.0", "Lambda (rate) parameter of the exponential distribution."),
    SHAPE_ATTR, CTX_ATTR, FDTYPE_ATTR,
};
static const mx_attr_spec poisson_attrs[] = {
    ATTR("lam", MX_ATTR_FLOAT, "1.0", "Lambda (mean) parameter of the Poisson distribution."),
    SHAPE_ATTR, CTX_ATTR, FDTYPE_ATTR,
};
static const mx_attr_spec bernoulli_attrs[] = {
    ATTR("prob", MX_ATTR_FLOAT, "0.5", "Probability of drawing 1."),
    SHAPE_ATTR, CTX_ATTR, FDTYPE_ATTR,
};

/* ---- random_*_like: shape and dtype of the input; the op's one or two
 * attributes are the distribution's parameters ---- */
static double like_param(const mx_call *c, int k) { return k < c->op->n_attrs ? attr_num(c, k) : 0; }
#define LIKE_OP(NAME, FN)                                                              \
    static int NAME##_like_infer(mx_call *c) {                                         \
        MXI_TRY(check_params(c, FN, like_param(c, 0), like_param(c, 1), 0));              \
        mxi_same_as_in(c, 0, 0);                                                       \
        return MX_OK;                                                                  \
    }                                                                                  \
    static int NAME##_like_cpu(mx_call *c) {                                           \
        samp_args p = {.fn = FN, .p0 = like_param(c, 0), .p1 = like_param(c, 1)};      \
        run_sampler(c, &p);                                                            \
        return MX_OK;                                                                  \
    }
LIKE_OP(uniform, s_uniform)
LIKE_OP(normal, s_normal)
LIKE_OP(exponential, s_exponential)
LIKE_OP(gamma, s_gamma)
LIKE_OP(poisson, s_poisson)
LIKE_OP(negbin, s_negbin)
LIKE_OP(gennegbin, s_gennegbin)
static const mx_attr_spec uniform_like_attrs[] = {
    ATTR("low", MX_ATTR_FLOAT, "0.0", "Lower bound of the distribution."),
    ATTR("high", MX_ATTR_FLOAT, "1.0", "Upper bound of the distribution."),
};
static const mx_attr_spec normal_like_attrs[] = {
    ATTR("loc", MX_ATTR_FLOAT, "0.0", "Mean of the distribution."),
    ATTR("scale", MX_ATTR_FLOAT, "1.0", "Standard deviation of the distribution."),
};
static const mx_attr_spec exponential_like_attrs[] = {
    ATTR("lam", MX_ATTR_FLOAT, "1.0", "Lambda (rate) parameter of the exponential distribution."),
};
static const mx_attr_spec gamma_like_attrs[] = {
    ATTR("alpha", MX_ATTR_FLOAT, "1.0", "Alpha (shape) parameter of the gamma distribution."),
    ATTR("beta", MX_ATTR_FLOAT, "1.0", "Beta (scale) parameter of the gamma distribution."),
};
static const mx_attr_spec poisson_like_attrs[] = {
    ATTR("lam", MX_ATTR_FLOAT, "1.0", "Lambda (mean) parameter of the Poisson distribution."),
};
static const mx_attr_spec negbin_like_attrs[] = {
    ATTR("k", MX_ATTR_INT, "1", "Limit of unsuccessful experiments."),
    ATTR("p", MX_ATTR_FLOAT, "1.0", "Failure probability in each experiment."),
};
static const mx_attr_spec gennegbin_like_attrs[] = {
    ATTR("mu", MX_ATTR_FLOAT, "1.0", "Mean of the distribution."),
    ATTR("alpha", MX_ATTR_FLOAT, "1.0", "Alpha (dispersion) parameter of the distribution."),
};

/* ---- sample_*: parameter arrays, output shape = param.shape + shape ---- */
enum { S_SHAPE, S_DTYPE };
static const mx_attr_spec sample_attrs[] = {
    ATTR("shape", MX_ATTR_SHAPE, "()", "Shape to be sampled from each distribution (appended to the parameters' shape)."),
    ATTR("dtype", MX_ATTR_DTYPE, "None", "Data type of the output; None means the parameters' dtype."),
};

static int sample_infer(mx_call *c) {
    MXI_TRY(mxi_require_same_dtype(c));
    const mx_tensor_s *a = c->in[0], *b = c->n_in > 1 ? c->in[1] : c->in[0];
    if (a->ndim != b->ndim || memcmp(a->shape, b->shape, sizeof(int64_t) * (size_t)a->ndim)) {
        char sa[128], sb[128];
        return mxi_op_error(c, MX_ERR_INVALID, "parameter arrays must have the same shape, got %s and %s",
                            mxi_shape_str(a->shape, a->ndim, sa, sizeof sa), mxi_shape_str(b->shape, b->ndim, sb, sizeof sb));
    }
    const mx_attr_val *s = &c->attrs[S_SHAPE];
    int n = s->is_none ? 0 : s->n;
    if (a->ndim + n > MX_MAX_NDIM) return mxi_op_error(c, MX_ERR_INVALID, "output has too many dimensions");
    int64_t shape[MX_MAX_NDIM];
    memcpy(shape, a->shape, sizeof(int64_t) * (size_t)a->ndim);
    for (int i = 0; i < n; i++) {
        if (s->v[i] < 0) return mxi_op_error(c, MX_ERR_INVALID, "shape entries must be >= 0");
        shape[a->ndim + i] = s->v[i];
    }
    int dt = c->attrs[S_DTYPE].is_none || c->attrs[S_DTYPE].i < 0 ? a->dtype : (int)c->attrs[S_DTYPE].i;
    mxi_set_out(c, 0, shape, a->ndim + n, dt);
    return MX_OK;
}

static int sample_run(mx_call *c, sampler_fn fn) {
    const mx_tensor_s *a = c->in[0], *b = c->n_in > 1 ? c->in[1] : NULL;
    for (int64_t i = 0; i < a->size; i++)
        MXI_TRY(check_params(c, fn, mxi_load_as_double(mxi_data(a), a->dtype, i),
                             b ? mxi_load_as_double(mxi_data(b), b->dtype, i) : 0, 1));
    samp_args p = {.fn = fn, .a0 = mxi_data(a), .a1 = b ? mxi_data(b) : NULL, .pdtype = a->dtype};
    p.inner = a->size ? c->out[0]->size / a->size : 1;
    run_sampler(c, &p);
    return MX_OK;
}
static int sample_uniform_cpu(mx_call *c) { return sample_run(c, s_uniform); }
static int sample_normal_cpu(mx_call *c) { return sample_run(c, s_normal); }
static int sample_exponential_cpu(mx_call *c) { return sample_run(c, s_exponential); }
static int sample_gamma_cpu(mx_call *c) { return sample_run(c, s_gamma); }
static int sample_poisson_cpu(mx_call *c) { return sample_run(c, s_poisson); }
static int sample_negbin_cpu(mx_call *c) { return sample_run(c, s_negbin); }
static int sample_gennegbin_cpu(mx_call *c) { return sample_run(c, s_gennegbin); }

/* ---- shuffle: permute along axis 0 (Fisher-Yates, one counter per step) ---- */
static int shuffle_infer(mx_call *c) {
    mxi_same_as_in(c, 0, 0);
    return MX_OK;
}

typedef struct {
    const char *src;
    char *dst;
    const int64_t *perm;
    size_t row;
} shuf_args;

static void shuf_range(void *ctx, int64_t b, int64_t e) {
    shuf_args *p = ctx;
    for (int64_t r = b; r < e; r++) memcpy(p->dst + (size_t)r * p->row, p->src + (size_t)p->perm[r] * p->row, p->row);
}

static int shuffle_cpu(mx_call *c) {
    const mx_tensor_s *x = c->in[0];
    if (!x->size) return MX_OK;
    int64_t n = x->ndim ? x->shape[0] : 1;
    int64_t *perm = malloc(sizeof(int64_t) * (size_t)n);
    if (!perm) return mxi_op_error(c, MX_ERR_MEMORY, "out of memory");
    for (int64_t i = 0; i < n; i++) perm[i] = i;
    for (int64_t i = n - 1; i > 0; i--) {
        estream s;
        es_init(&s, c, i);
        int64_t j = (int64_t)(es_u01(&s) * (double)(i + 1));
        if (j > i) j = i;
        int64_t t = perm[i];
        perm[i] = perm[j];
        perm[j] = t;
    }
    shuf_args p = {mxi_data(x), mxi_data(c->out[0]), perm, (size_t)(x->size / n) * mxi_dtype_size(x->dtype)};
    mxi_parallel_for(n, p.row >= 4096 ? 1 : 4096 / p.row + 1, shuf_range, &p);
    free(perm);
    return MX_OK;
}

/* ---- sample_multinomial ---- */
enum { M_SHAPE, M_GETPROB, M_DTYPE };
static const mx_attr_spec multinomial_attrs[] = {
    ATTR("shape", MX_ATTR_SHAPE, "()", "Shape to be sampled from each distribution."),
    ATTR("get_prob", MX_ATTR_BOOL, "False", "Also return the log probability of each sampled value."),
    ATTR("dtype", MX_ATTR_DTYPE, "int32", "Data type of the sampled indices."),
};

static int multinomial_nout(const mx_call *c) { return c->attrs[M_GETPROB].i ? 2 : 1; }

static int multinomial_infer(mx_call *c) {
    const mx_tensor_s *d = c->in[0];
    if (d->ndim < 1) return mxi_op_error(c, MX_ERR_INVALID, "data must have at least 1 dimension");
    if (d->shape[d->ndim - 1] == 0)
        return mxi_op_error(c, MX_ERR_INVALID, "data has no categories (last dimension is 0)");
    const mx_attr_val *s = &c->attrs[M_SHAPE];
    int n = s->is_none ? 0 : s->n;
    int64_t shape[MX_MAX_NDIM];
    int nd = 0;
    if (d->ndim == 1 && n == 0) {
        shape[nd++] = 1;
    } else {
        if (d->ndim - 1 + n > MX_MAX_NDIM) return mxi_op_error(c, MX_ERR_INVALID, "output has too many dimensions");
        for (int i = 0; i < d->ndim - 1; i++) shape[nd++] = d->shape[i];
        for (int i = 0; i < n; i++) {
            if (s->v[i] < 0) return mxi_op_error(c, MX_ERR_INVALID, "shape entries must be >= 0");
            shape[nd++] = s->v[i];
        }
    }
    int dt = c->attrs[M_DTYPE].is_none || c->attrs[M_DTYPE].i < 0 ? MX_INT32 : (int)c->attrs[M_DTYPE].i;
    mxi_set_out(c, 0, shape, nd, dt);
    if (c->n_out > 1) mxi_set_out(c, 1, shape, nd, d->dtype);
    return MX_OK;
}

typedef struct {
    const mx_call *c;
    int64_t k, per_row;
} mn_args;

static void mn_range(void *ctx, int64_t b, int64_t e) {
    mn_args *p = ctx;
    const mx_call *c = p->c;
    const mx_tensor_s *d = c->in[0];
    for (int64_t i = b; i < e; i++) {
        int64_t row = i / p->per_row;
        estream s;
        es_init(&s, c, i);
        double u = es_u01(&s), acc = 0;
        int64_t pick = p->k - 1;
        for (int64_t j = 0; j < p->k; j++) {
            acc += mxi_load_as_double(mxi_data(d), d->dtype, row * p->k + j);
            if (u < acc) {
                pick = j;
                break;
            }
        }
        mxi_store_from_double(mxi_data(c->out[0]), c->out[0]->dtype, i, (double)pick);
        if (c->n_out > 1)
            mxi_store_from_double(mxi_data(c->out[1]), c->out[1]->dtype, i,
                                  log(mxi_load_as_double(mxi_data(d), d->dtype, row * p->k + pick)));
    }
}

static int multinomial_cpu(mx_call *c) {
    const mx_tensor_s *d = c->in[0];
    int64_t k = d->shape[d->ndim - 1], rows = k ? d->size / k : 0;
    mx_tensor_s *o = c->out[0];
    if (!o->size) return MX_OK;
    mn_args p = {c, k, rows ? o->size / rows : 1};
    mxi_parallel_for(o->size, 2048, mn_range, &p);
    return MX_OK;
}

#define SC_OP(NM, AL, DOC, ATTRS, FN)                                                                    \
    {.name = NM, .aliases = AL, .doc = DOC, .inputs = "", .num_outputs = 1, .attrs = ATTRS,              \
     .n_attrs = (int)(sizeof ATTRS / sizeof ATTRS[0]), .infer = FN##_infer, .cpu = FN##_cpu,              \
     .flags = RAND_FLAGS, .dtypes = MX_DT_ALL}

#define LIKE_DEF(NM, AL, DOC, FN)                                                                           \
    {.name = NM, .aliases = AL, .doc = DOC, .inputs = "data", .num_outputs = 1, .attrs = FN##_like_attrs,   \
     .n_attrs = (int)(sizeof FN##_like_attrs / sizeof FN##_like_attrs[0]), .infer = FN##_like_infer,        \
     .cpu = FN##_like_cpu, .flags = RAND_FLAGS | MX_OPF_NO_INPUT_CAST, .dtypes = MX_DT_ALL}
#define SAMPLE_DEF(NM, AL, DOC, INPUTS, FN)                                                                \
    {.name = NM, .aliases = AL, .doc = DOC " for every element of the parameter arrays; the output shape is " \
                                           "the parameters' shape + shape.",                                \
     .inputs = INPUTS, .num_outputs = 1, .attrs = sample_attrs, .n_attrs = 2, .infer = sample_infer,          \
     .cpu = sample_##FN##_cpu, .flags = RAND_FLAGS, .dtypes = MX_DT_FLOAT}

static const mx_op_def ops[] = {
    SC_OP("random_uniform", "uniform,_random_uniform", "Draw samples from a uniform distribution on [low, high).",
          uniform_attrs, uniform),
    SC_OP("random_normal", "normal,_random_normal", "Draw samples from a normal (Gaussian) distribution.",
          normal_attrs, normal),
    SC_OP("random_randint", "randint,_random_randint",
          "Draw random integers from a discrete uniform distribution on [low, high).", randint_attrs, randint),
    SC_OP("random_exponential", "exponential,_random_exponential",
          "Draw samples from an exponential distribution with rate lam.", exponential_attrs, exponential),
    SC_OP("random_gamma", "_random_gamma",
          "Draw samples from a gamma distribution with shape alpha and scale beta.", gamma_attrs, gamma),
    SC_OP("random_poisson", "poisson,_random_poisson", "Draw samples from a Poisson distribution with mean lam.",
          poisson_attrs, poisson),
    SC_OP("random_negative_binomial", "negative_binomial,_random_negative_binomial",
          "Draw samples from a negative binomial distribution (k failures, success probability p).", negbin_attrs,
          negbin),
    SC_OP("random_bernoulli", "bernoulli,_random_bernoulli", "Draw 0/1 samples that are 1 with probability prob.",
          bernoulli_attrs, bernoulli),
    SC_OP("random_generalized_negative_binomial",
          "generalized_negative_binomial,_random_generalized_negative_binomial",
          "Draw samples from a generalized negative binomial distribution (mean mu, dispersion alpha).",
          gennegbin_attrs, gennegbin),
    LIKE_DEF("random_uniform_like", "_random_uniform_like,uniform_like",
             "Uniform samples on [low, high) with the shape and dtype of the input.", uniform),
    LIKE_DEF("random_normal_like", "_random_normal_like,normal_like",
             "Normal samples with the shape and dtype of the input.", normal),
    LIKE_DEF("random_exponential_like", "_random_exponential_like,exponential_like",
             "Exponential samples (rate lam) with the shape and dtype of the input.", exponential),
    LIKE_DEF("random_gamma_like", "_random_gamma_like,gamma_like",
             "Gamma samples (shape alpha, scale beta) with the shape and dtype of the input.", gamma),
    LIKE_DEF("random_poisson_like", "_random_poisson_like,poisson_like",
             "Poisson samples (mean lam) with the shape and dtype of the input.", poisson),
    LIKE_DEF("random_negative_binomial_like", "_random_negative_binomial_like,negative_binomial_like",
             "Negative binomial samples (k, p) with the shape and dtype of the input.", negbin),
    LIKE_DEF("random_generalized_negative_binomial_like",
             "_random_generalized_negative_binomial_like,generalized_negative_binomial_like",
             "Generalized negative binomial samples (mu, alpha) with the shape and dtype of the input.", gennegbin),
    {.name = "sample_uniform", .aliases = "_sample_uniform",
     .doc = "Uniform samples on [low[i], high[i]) for every element of the parameter arrays; the output shape is "
            "low.shape + shape.",
     .inputs = "low,high", .num_outputs = 1, .attrs = sample_attrs, .n_attrs = 2, .infer = sample_infer,
     .cpu = sample_uniform_cpu, .flags = RAND_FLAGS, .dtypes = MX_DT_FLOAT},
    {.name = "sample_normal", .aliases = "_sample_normal",
     .doc = "Normal samples with mean mu[i] and standard deviation sigma[i] for every element of the parameter "
            "arrays; the output shape is mu.shape + shape.",
     .inputs = "mu,sigma", .num_outputs = 1, .attrs = sample_attrs, .n_attrs = 2, .infer = sample_infer,
     .cpu = sample_normal_cpu, .flags = RAND_FLAGS, .dtypes = MX_DT_FLOAT},
    SAMPLE_DEF("sample_exponential", "_sample_exponential", "Exponential samples with rate lam[i]", "lam", exponential),
    SAMPLE_DEF("sample_gamma", "_sample_gamma", "Gamma samples with shape alpha[i] and scale beta[i]", "alpha,beta",
               gamma),
    SAMPLE_DEF("sample_poisson", "_sample_poisson", "Poisson samples with mean lam[i]", "lam", poisson),
    SAMPLE_DEF("sample_negative_binomial", "_sample_negative_binomial",
               "Negative binomial samples with k[i] failures and success probability p[i]", "k,p", negbin),
    SAMPLE_DEF("sample_generalized_negative_binomial", "_sample_generalized_negative_binomial",
               "Generalized negative binomial samples with mean mu[i] and dispersion alpha[i]", "mu,alpha", gennegbin),
    {.name = "shuffle", .aliases = "_shuffle", .doc = "Randomly shuffle the elements along the first axis.",
     .inputs = "data", .num_outputs = 1, .infer = shuffle_infer, .cpu = shuffle_cpu,
     .flags = RAND_FLAGS | MX_OPF_NO_INPUT_CAST, .dtypes = MX_DT_ALL},
    {.name = "sample_multinomial", .aliases = "multinomial,_sample_multinomial",
     .doc = "Draw category indices from multinomial distributions given by the last axis of data "
            "(probabilities); optionally also their log probabilities.",
     .inputs = "data", .num_outputs = 1, .num_outputs_fn = multinomial_nout, .attrs = multinomial_attrs,
     .n_attrs = 3, .infer = multinomial_infer, .cpu = multinomial_cpu, .flags = RAND_FLAGS | MX_OPF_WRITES_ALL,
     .dtypes = MX_DT_FLOAT},
};

void mxi_register_random_pdf(void); /* random_pdf.c: random_pdf_<dist> densities */

void mxi_register_random(void) {
    mxi_register_ops(ops, (int)(sizeof ops / sizeof ops[0]));
    mxi_register_random_pdf();
}
