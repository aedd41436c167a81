/* random_pdf.c — MXNet's random_pdf_<dist> ops: the density (or, with
 * is_log, the log density) of samples under distributions whose parameters
 * are arrays, and their gradients w.r.t. the sample and every parameter.
 *
 *   random_pdf_normal(sample, mu, sigma)        random_pdf_uniform(sample, low, high)
 *   random_pdf_gamma(sample, alpha, beta)       random_pdf_exponential(sample, lam)
 *   random_pdf_poisson(sample, lam)             random_pdf_negative_binomial(sample, k, p)
 *   random_pdf_generalized_negative_binomial(sample, mu, alpha)
 *   random_pdf_dirichlet(sample, alpha)
 *
 * Shapes (as MXNet): the parameters share one shape P; sample is P + E (E:
 * any number of draws per parameter element) and so is the output. For the
 * Dirichlet, alpha is P + (K,), sample P + E + (K,), the output P + E.
 * Conventions (MXNet's): gamma's beta is a rate, pdf = b^a x^(a-1) e^(-bx) /
 * Gamma(a); generalized_negative_binomial is the negative binomial with
 * k = 1/alpha, p = 1/(1 + alpha mu). Outside a distribution's support
 * (uniform outside [low, high], exponential/gamma below 0, counts below 0)
 * the density is 0 (log: -inf) and the gradient 0, where MXNet evaluates the
 * formula anyway (uniform gives 1/(high-low) everywhere).
 *
 * Every density is computed as its log in double precision; the gradient of
 * the density is density * d(log density). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "../../backends/cpu/cpu.h"
#include "../op.h"
#include "special_math.h"

enum { PDF_NORMAL, PDF_UNIFORM, PDF_GAMMA, PDF_EXPONENTIAL, PDF_POISSON, PDF_NEGBIN, PDF_GENNEGBIN, PDF_DIRICHLET };

/* log density of a scalar distribution at x with parameters a, b; when d is
 * not NULL also d[0..2] = d/dx, d/da, d/db of it (0 outside the support) */
static double scalar_logpdf(int kind, double x, double a, double b, double *d) {
    double lp, dx = 0, da = 0, db = 0;
    switch (kind) {
    case PDF_NORMAL: {
        double z = (x - a) / b;
        lp = -0.5 * z * z - log(b) - 0.918938533204672742; /* log(sqrt(2 pi)) */
        dx = -z / b;
        da = z / b;
        db = (z * z - 1) / b;
        break;
    }
    case PDF_UNIFORM:
        if (x < a || x > b) {
            lp = -INFINITY;
            break;
        }
        lp = -log(b - a);
        da = 1 / (b - a);
        db = -1 / (b - a);
        break;
    case PDF_GAMMA: /* b is the rate */
        if (x < 0) {
            lp = -INFINITY;
            break;
        }
        lp = a * log(b) + (a - 1) * log(x) - b * x - lgamma(a);
        dx = (a - 1) / x - b;
        da = log(b) + log(x) - mxi_digamma(a);
        db = a / b - x;
        break;
    case PDF_EXPONENTIAL:
        if (x < 0) {
            lp = -INFINITY;
            break;
        }
        lp = log(a) - a * x;
        dx = -a;
        da = 1 / a - x;
        break;
    case PDF_POISSON:
        if (x < 0) {
            lp = -INFINITY;
            break;
        }
        lp = x * log(a) - a - lgamma(x + 1);
        da = x / a - 1;
        break;
    case PDF_NEGBIN: /* a = k failures, b = success probability p */
        if (x < 0) {
            lp = -INFINITY;
            break;
        }
        lp = lgamma(x + a) - lgamma(x + 1) - lgamma(a) + a * log(b) + x * log1p(-b);
        da = mxi_digamma(x + a) - mxi_digamma(a) + log(b);
        db = a / b - x / (1 - b);
        break;
    default: { /* PDF_GENNEGBIN: a = mu, b = alpha */
        if (x < 0) {
            lp = -INFINITY;
            break;
        }
        double k = 1 / b, am = b * a, p = 1 / (1 + am);
        lp = lgamma(x + k) - lgamma(x + 1) - lgamma(k) + k * log(p) + x * log(am * p);
        da = (x - a) / (a * (1 + am));
        db = -(mxi_digamma(x + k) - mxi_digamma(k) + log(p)) / (b * b) + (x - a) / (b * (1 + am));
        break;
    }
    }
    if (d) {
        d[0] = dx;
        d[1] = da;
        d[2] = db;
    }
    return lp;
}

/* ---- the op's kind and geometry ---- */
static const char *const kind_names[] = {"normal", "uniform", "gamma", "exponential", "poisson",
                                         "negative_binomial", "generalized_negative_binomial", "dirichlet"};

/* the distribution from the op's name (random_pdf_<dist> or _backward_pdf_<dist>) */
static int pdf_kind(const mx_call *c) {
    const char *n = strstr(c->op->name, "pdf_") + 4;
    for (int k = 0; k < (int)(sizeof kind_names / sizeof kind_names[0]); k++)
        if (!strcmp(n, kind_names[k])) return k;
    return -1;
}

typedef struct {
    int kind, n_params, is_log;
    int64_t rows;  /* parameter elements (Dirichlet: parameter vectors) */
    int64_t inner; /* draws per parameter element */
    int64_t K;     /* Dirichlet: components (else 1) */
} pdf_geom;

/* validate sample (in[s0]) against the parameters in[s0+1 ..], fill g */
static int pdf_geometry(const mx_call *c, int s0, int n_params, pdf_geom *g) {
    const mx_tensor_s *x = c->in[s0], *p = c->in[s0 + 1];
    char sx[128], sp[128];
    g->kind = pdf_kind(c);
    g->n_params = n_params;
    g->is_log = (int)c->attrs[0].i;
    for (int i = 1; i < n_params; i++) {
        const mx_tensor_s *q = c->in[s0 + 1 + i];
        if (q->ndim != p->ndim || memcmp(q->shape, p->shape, sizeof(int64_t) * (size_t)p->ndim))
            return mxi_op_error(c, MX_ERR_INVALID, "the parameter arrays must have one shape, got %s and %s",
                                mxi_shape_str(p->shape, p->ndim, sp, sizeof sp),
                                mxi_shape_str(q->shape, q->ndim, sx, sizeof sx));
    }
    int lead = p->ndim; /* sample dims that must equal the parameters' */
    g->K = 1;
    if (g->kind == PDF_DIRICHLET) {
        if (p->ndim < 1 || x->ndim < 1 || x->shape[x->ndim - 1] != p->shape[p->ndim - 1])
            return mxi_op_error(c, MX_ERR_INVALID,
                                "sample %s must end with alpha's last dimension (alpha %s: P + (K,), sample P + E + (K,))",
                                mxi_shape_str(x->shape, x->ndim, sx, sizeof sx),
                                mxi_shape_str(p->shape, p->ndim, sp, sizeof sp));
        lead = p->ndim - 1;
        g->K = p->shape[p->ndim - 1];
    }
    if (x->ndim < p->ndim || memcmp(x->shape, p->shape, sizeof(int64_t) * (size_t)lead))
        return mxi_op_error(c, MX_ERR_INVALID, "sample %s must start with the parameters' shape %s",
                            mxi_shape_str(x->shape, x->ndim, sx, sizeof sx),
                            mxi_shape_str(p->shape, p->ndim, sp, sizeof sp));
    g->rows = mxi_shape_size(p->shape, lead);
    g->inner = mxi_shape_size(x->shape + lead, x->ndim - lead - (g->kind == PDF_DIRICHLET ? 1 : 0));
    return MX_OK;
}

/* ---- forward ---- */
static int pdf_n_params(const mx_call *c) { return c->n_in - 1; }

static int pdf_infer(mx_call *c) {
    pdf_geom g;
    MXI_TRY(mxi_require_same_dtype(c));
    MXI_TRY(pdf_geometry(c, 0, pdf_n_params(c), &g));
    const mx_tensor_s *x = c->in[0];
    mxi_set_out(c, 0, x->shape, g.kind == PDF_DIRICHLET ? x->ndim - 1 : x->ndim, x->dtype);
    return MX_OK;
}

typedef struct {
    const mx_call *c;
    pdf_geom g;
    const mx_tensor_s *x, *p[2], *og, *out; /* og/out: backward only */
    mx_tensor_s *y, *dx, *dp[2];
} pdf_args;

static inline double ld(const mx_tensor_s *t, int64_t i) { return mxi_load_as_double(mxi_data(t), t->dtype, i); }
static inline void st(mx_tensor_s *t, int64_t i, double v) { mxi_store_from_double(mxi_data(t), t->dtype, i, v); }

/* Dirichlet log density of the K-vector at x[off..] for alpha row r; d (K
 * entries each for x and alpha) when not NULL */
static double dirichlet_logpdf(const pdf_args *a, int64_t r, int64_t off, double *dx, double *dal) {
    int64_t K = a->g.K;
    double sa = 0, lp = 0;
    for (int64_t j = 0; j < K; j++) sa += ld(a->p[0], r * K + j);
    lp = lgamma(sa);
    double dsa = dal ? mxi_digamma(sa) : 0;
    for (int64_t j = 0; j < K; j++) {
        double al = ld(a->p[0], r * K + j), xv = ld(a->x, off + j);
        if (xv < 0) return -INFINITY;
        lp += (al - 1) * log(xv) - lgamma(al);
        if (dx) dx[j] = (al - 1) / xv;
        if (dal) dal[j] = dsa - mxi_digamma(al) + log(xv);
    }
    return lp;
}

static void pdf_fwd_rows(void *ctx, int64_t b, int64_t e) {
    const pdf_args *a = ctx;
    const pdf_geom *g = &a->g;
    for (int64_t r = b; r < e; r++) {
        double p0 = g->kind == PDF_DIRICHLET ? 0 : ld(a->p[0], r);
        double p1 = g->n_params > 1 ? ld(a->p[1], r) : 0;
        for (int64_t i = 0; i < g->inner; i++) {
            int64_t o = r * g->inner + i;
            double lp = g->kind == PDF_DIRICHLET ? dirichlet_logpdf(a, r, o * g->K, NULL, NULL)
                                                 : scalar_logpdf(g->kind, ld(a->x, o), p0, p1, NULL);
            st(a->y, o, g->is_log ? lp : exp(lp));
        }
    }
}

static int pdf_cpu(mx_call *c) {
    pdf_args a = {.c = c, .x = c->in[0], .p = {c->in[1], c->n_in > 2 ? c->in[2] : NULL}, .y = c->out[0]};
    MXI_TRY(pdf_geometry(c, 0, pdf_n_params(c), &a.g));
    mxi_parallel_for(a.g.rows, a.g.inner * a.g.K >= 1024 ? 1 : 1024 / (a.g.inner * a.g.K + 1) + 1, pdf_fwd_rows,
                     &a);
    return MX_OK;
}

/* ---- backward: _backward_pdf_<dist>(ograd, sample, params..., out) ---- */
static int pdfb_infer(mx_call *c) {
    pdf_geom g;
    MXI_TRY(pdf_geometry(c, 1, c->n_in - 3, &g));
    for (int k = 0; k < c->n_in - 2; k++) mxi_same_as_in(c, k, k + 1);
    return MX_OK;
}

/* one row of parameters at a time: its draws' gradients sum into the
 * parameters' gradients without sharing them between threads */
static void pdf_bwd_rows(void *ctx, int64_t b, int64_t e) {
    const pdf_args *a = ctx;
    const pdf_geom *g = &a->g;
    double dxs[64], das[64];
    for (int64_t r = b; r < e; r++) {
        if (g->kind == PDF_DIRICHLET) {
            int64_t K = g->K;
            for (int64_t j = 0; j < K; j++) st(a->dp[0], r * K + j, 0);
            for (int64_t i = 0; i < g->inner; i++) {
                int64_t o = r * g->inner + i;
                double lp = dirichlet_logpdf(a, r, o * K, dxs, das);
                double s = ld(a->og, o) * (g->is_log ? 1 : exp(lp));
                int inside = isfinite(lp);
                for (int64_t j = 0; j < K; j++) {
                    st(a->dx, o * K + j, inside ? s * dxs[j] : 0);
                    if (inside) st(a->dp[0], r * K + j, ld(a->dp[0], r * K + j) + s * das[j]);
                }
            }
            continue;
        }
        double p0 = ld(a->p[0], r), p1 = g->n_params > 1 ? ld(a->p[1], r) : 0, acc[2] = {0, 0};
        for (int64_t i = 0; i < g->inner; i++) {
            int64_t o = r * g->inner + i;
            double d[3];
            double lp = scalar_logpdf(g->kind, ld(a->x, o), p0, p1, d);
            double s = isfinite(lp) ? ld(a->og, o) * (g->is_log ? 1 : exp(lp)) : 0;
            st(a->dx, o, s * d[0]);
            acc[0] += s * d[1];
            acc[1] += s * d[2];
        }
        for (int k = 0; k < g->n_params; k++) st(a->dp[k], r, acc[k]);
    }
}

static int pdfb_cpu(mx_call *c) {
    int np = c->n_in - 3;
    pdf_args a = {.c = c, .og = c->in[0], .x = c->in[1], .p = {c->in[2], np > 1 ? c->in[3] : NULL},
                  .dx = c->out[0], .dp = {c->out[1], np > 1 ? c->out[2] : NULL}};
    MXI_TRY(pdf_geometry(c, 1, np, &a.g));
    if (a.g.kind == PDF_DIRICHLET && a.g.K > 64)
        return mxi_op_error(c, MX_ERR_UNSUPPORTED, "the Dirichlet gradient supports up to 64 components, got %lld",
                            (long long)a.g.K);
    mxi_parallel_for(a.g.rows, 1, pdf_bwd_rows, &a);
    return MX_OK;
}

static int pdf_grad(mx_grad_ctx *g) {
    const mx_call *c = g->call;
    char bw[96], attrs[32];
    snprintf(bw, sizeof bw, "_backward_pdf_%s", kind_names[pdf_kind(c)]);
    snprintf(attrs, sizeof attrs, "is_log=%d", (int)c->attrs[0].i);
    mx_tensor_s *in[5] = {g->ograd[0]};
    for (int i = 0; i < c->n_in; i++) in[1 + i] = g->in[i];
    in[1 + c->n_in] = g->out[0];
    mx_tensor_s *out[MX_MAX_OUTPUTS] = {0};
    MXI_TRY(mxi_call(bw, in, c->n_in + 2, attrs, out, MX_MAX_OUTPUTS));
    for (int i = 0; i < c->n_in; i++) g->igrad[i] = out[i];
    return MX_OK;
}

static const mx_attr_spec pdf_attrs[] = {
    {"is_log", MX_ATTR_BOOL, "False", "Return the log density instead of the density."},
};

#define NA(t) .attrs = t, .n_attrs = (int)(sizeof t / sizeof t[0])
#define PDF_OP(DIST, INPUTS, BW_INPUTS, N_PARAMS, DOC)                                                        \
    {.name = "random_pdf_" DIST, .aliases = "_random_pdf_" DIST, .doc = DOC, .inputs = INPUTS, .num_outputs = 1, \
     NA(pdf_attrs), .infer = pdf_infer, .cpu = pdf_cpu, .grad = pdf_grad, .flags = MX_OPF_WRITES_ALL,           \
     .dtypes = MX_DT_FLOAT},                                                                                   \
    {.name = "_backward_pdf_" DIST, .doc = "Gradient of random_pdf_" DIST " w.r.t. the sample and parameters.",   \
     .inputs = BW_INPUTS, .num_outputs = 1 + N_PARAMS, NA(pdf_attrs), .infer = pdfb_infer, .cpu = pdfb_cpu,     \
     .flags = MX_OPF_INTERNAL | MX_OPF_WRITES_ALL | MX_OPF_NO_GRAD, .dtypes = MX_DT_FLOAT}

static const mx_op_def ops[] = {
    PDF_OP("normal", "sample,mu,sigma", "ograd,sample,mu,sigma,out", 2,
           "Density of normal distributions (mean mu, standard deviation sigma)."),
    PDF_OP("uniform", "sample,low,high", "ograd,sample,low,high,out", 2,
           "Density of uniform distributions on [low, high]."),
    PDF_OP("gamma", "sample,alpha,beta", "ograd,sample,alpha,beta,out", 2,
           "Density of gamma distributions (shape alpha, rate beta)."),
    PDF_OP("exponential", "sample,lam", "ograd,sample,lam,out", 1, "Density of exponential distributions (rate lam)."),
    PDF_OP("poisson", "sample,lam", "ograd,sample,lam,out", 1,
           "Probability of counts under Poisson distributions (mean lam)."),
    PDF_OP("negative_binomial", "sample,k,p", "ograd,sample,k,p,out", 2,
           "Probability of counts under negative binomial distributions (k failures, success probability p)."),
    PDF_OP("generalized_negative_binomial", "sample,mu,alpha", "ograd,sample,mu,alpha,out", 2,
           "Probability of counts under generalized negative binomial distributions (mean mu, dispersion alpha)."),
    PDF_OP("dirichlet", "sample,alpha", "ograd,sample,alpha,out", 1,
           "Density of Dirichlet distributions (concentration vectors alpha on the last axis)."),
};

void mxi_register_random_pdf(void) { mxi_register_ops(ops, (int)(sizeof ops / sizeof ops[0])); }
