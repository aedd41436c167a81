/* hawkesll.c — _contrib_hawkesll: log likelihood of marked self-exciting
 * (Hawkes) processes with exponential kernels, MXNet 1.9.1 semantics, and its
 * internal backward. Part of the "loss" family: registered from
 * mxi_register_loss() in loss.c.
 *
 * Inputs: lda (N, K) background intensities mu, alpha (K,) branching ratios,
 * beta (K,) decay rates, state (N, K) the kernel states at t = 0, lags (N, T)
 * inter-arrival times, marks (N, T) integer marks in [0, K), valid_length (N,)
 * events used per sequence, max_time (N,) end of each observation window.
 *
 * For an event of mark k at time t, d = t - (time of the last event of mark k)
 * and e = exp(-beta_k d): the intensity is mu_k + alpha_k beta_k s_k e, the
 * compensator since that last event mu_k d + alpha_k s_k (1 - e), and the
 * state becomes 1 + s_k e. At max_time every mark's remaining compensator is
 * subtracted. Outputs: loglike (N,) and the states at max_time (N, K).
 *
 * The gradient (of loglike only, as MXNet) is exact: the backward carries
 * d s_k / d beta_k along each sequence. MXNet returns zeros for state; so do we. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../../backends/cpu/cpu.h"
#include "../op.h"

#define NATTR(a) ((int)(sizeof(a) / sizeof((a)[0])))

void mxi_register_hawkesll(void);

/* element access in double for any dtype (marks are integers, the rest any float) */
static double ld(const mx_tensor_s *t, int64_t i) { return mxi_load_as_double(mxi_data(t), t->dtype, i); }
static void st(mx_tensor_s *t, int64_t i, double v) { mxi_store_from_double(mxi_data(t), t->dtype, i, v); }
static void add(mx_tensor_s *t, int64_t i, double v) { st(t, i, ld(t, i) + v); }

enum { H_LDA, H_ALPHA, H_BETA, H_STATE, H_LAGS, H_MARKS, H_VALID, H_MAXT };

static int hk_check(mx_call *c, mx_tensor_s *const *in) {
    const mx_tensor_s *lda = in[H_LDA], *lags = in[H_LAGS];
    if (lda->ndim != 2 || lags->ndim != 2 || lags->shape[0] != lda->shape[0])
        return mxi_op_error(c, MX_ERR_INVALID, "expected lda (N, K) and lags (N, T)");
    const int64_t N = lda->shape[0], K = lda->shape[1], T = lags->shape[1];
    const mx_tensor_s *a = in[H_ALPHA], *b = in[H_BETA], *s = in[H_STATE], *m = in[H_MARKS];
    const mx_tensor_s *v = in[H_VALID], *mt = in[H_MAXT];
    if (a->ndim != 1 || a->shape[0] != K || b->ndim != 1 || b->shape[0] != K)
        return mxi_op_error(c, MX_ERR_INVALID, "alpha and beta must be (K,) = (%lld,)", (long long)K);
    if (s->ndim != 2 || s->shape[0] != N || s->shape[1] != K)
        return mxi_op_error(c, MX_ERR_INVALID, "state must be (N, K) = (%lld, %lld) like lda", (long long)N,
                            (long long)K);
    if (m->ndim != 2 || m->shape[0] != N || m->shape[1] != T)
        return mxi_op_error(c, MX_ERR_INVALID, "marks must be (N, T) = (%lld, %lld) like lags", (long long)N,
                            (long long)T);
    if (v->ndim != 1 || v->shape[0] != N || mt->ndim != 1 || mt->shape[0] != N)
        return mxi_op_error(c, MX_ERR_INVALID, "valid_length and max_time must be (N,) = (%lld,)", (long long)N);
    if (mxi_dtype_is_float(m->dtype))
        return mxi_op_error(c, MX_ERR_DTYPE, "marks must be an integer array (int32 in MXNet), got %s",
                            mxi_dtype_name(m->dtype));
    for (int i = 0; i < 8; i++)
        if (i != H_MARKS && !mxi_dtype_is_float(in[i]->dtype))
            return mxi_op_error(c, MX_ERR_DTYPE, "input %d must be a floating point array, got %s", i,
                                mxi_dtype_name(in[i]->dtype));
    for (int64_t i = 0; i < N; i++) {
        const double vl = ld(v, i);
        if (!(vl >= 0 && vl <= (double)T))
            return mxi_op_error(c, MX_ERR_INVALID, "valid_length[%lld] = %g is outside [0, %lld]", (long long)i, vl,
                                (long long)T);
        for (int64_t j = 0; j < (int64_t)vl; j++) {
            const double mk = ld(m, i * T + j);
            if (!(mk >= 0 && mk < (double)K))
                return mxi_op_error(c, MX_ERR_INVALID, "marks[%lld, %lld] = %g is outside [0, %lld)", (long long)i,
                                    (long long)j, mk, (long long)K);
        }
    }
    return MX_OK;
}

static int hk_infer(mx_call *c) {
    MXI_TRY(hk_check(c, c->in));
    const mx_tensor_s *lda = c->in[H_LDA];
    mxi_set_out(c, 0, lda->shape, 1, lda->dtype);
    mxi_set_out(c, 1, lda->shape, 2, lda->dtype);
    return MX_OK;
}

/* One sequence: loglike and (gradient mode) d loglike / d (mu, alpha, beta) scaled by go.
 * s, ds, last: scratch of K entries. */
typedef struct {
    mx_tensor_s *const *in;
    mx_tensor_s *const *out;
    double go;  /* head gradient of loglike[i]; 0 in forward mode */
    int grad;
} hk_seq;

static double hk_one(const hk_seq *q, int64_t i, double *s, double *ds, double *last) {
    mx_tensor_s *const *in = q->in;
    const int64_t K = in[H_LDA]->shape[1], T = in[H_LAGS]->shape[1];
    const int64_t n = (int64_t)ld(in[H_VALID], i);
    double t = 0, ll = 0;
    for (int64_t k = 0; k < K; k++) s[k] = ld(in[H_STATE], i * K + k), ds[k] = 0, last[k] = 0;
    /* gradient accumulators are written into the outputs: out[0] (N, K) mu, out[1] (K,) alpha, out[2] (K,) beta */
    for (int64_t j = 0; j <= n; j++) {
        const int end = j == n;
        const int64_t k0 = end ? 0 : (int64_t)ld(in[H_MARKS], i * T + j), k1 = end ? K : k0 + 1;
        if (!end) t += ld(in[H_LAGS], i * T + j);
        const double now = end ? ld(in[H_MAXT], i) : t;
        for (int64_t k = k0; k < k1; k++) {
            const double mu = ld(in[H_LDA], i * K + k), a = ld(in[H_ALPHA], k),
                         b = ld(in[H_BETA], k);
            const double d = now - last[k], e = exp(-b * d), de = -d * e;
            const double comp = mu * d + a * s[k] * (1 - e);
            double lda = 1, g_mu = -d, g_a = -s[k] * (1 - e), g_b = -a * (ds[k] * (1 - e) - s[k] * de);
            if (!end) {
                lda = mu + a * b * s[k] * e;
                g_mu += 1 / lda;
                g_a += b * s[k] * e / lda;
                g_b += (a * s[k] * e + a * b * (ds[k] * e + s[k] * de)) / lda;
                ll += log(lda);
            }
            ll -= comp;
            if (q->grad) {
                add(q->out[0], i * K + k, g_mu * q->go);
                add(q->out[1], k, g_a * q->go);
                add(q->out[2], k, g_b * q->go);
            }
            if (end) {
                if (!q->grad) st(q->out[1], i * K + k, s[k] * e);
            } else {
                ds[k] = ds[k] * e + s[k] * de;
                s[k] = 1 + s[k] * e;
                last[k] = now;
            }
        }
    }
    return ll;
}

static int hk_run(mx_call *c, mx_tensor_s *const *in, double *const go_of, int grad) {
    const int64_t N = in[H_LDA]->shape[0], K = in[H_LDA]->shape[1];
    double *scratch = malloc(sizeof(double) * (size_t)(3 * K + 1));
    if (!scratch) return mxi_op_error(c, MX_ERR_MEMORY, "out of memory");
    for (int o = 0; grad && o < 3; o++)
        if (c->out[o]->size) memset(mxi_data(c->out[o]), 0, (size_t)c->out[o]->size * mxi_dtype_size(c->out[o]->dtype));
    for (int64_t i = 0; i < N; i++) {
        hk_seq q = {in, c->out, grad ? go_of[i] : 0, grad};
        const double ll = hk_one(&q, i, scratch, scratch + K, scratch + 2 * K);
        if (!grad) st(c->out[0], i, ll);
    }
    free(scratch);
    return MX_OK;
}

static int hk_cpu(mx_call *c) {
    MXI_TRY(hk_check(c, c->in));
    return hk_run(c, c->in, NULL, 0);
}

/* _backward_contrib_hawkesll(ograd (N,), the 8 forward inputs) -> d lda, d alpha, d beta */
static int hkb_infer(mx_call *c) {
    MXI_TRY(hk_check(c, c->in + 1));
    for (int o = 0; o < 3; o++) mxi_same_as_in(c, o, 1 + o);
    return MX_OK;
}

static int hkb_cpu(mx_call *c) {
    MXI_TRY(hk_check(c, c->in + 1));
    const int64_t N = c->in[1]->shape[0];
    double *go = malloc(sizeof(double) * (size_t)(N + 1));
    if (!go) return mxi_op_error(c, MX_ERR_MEMORY, "out of memory");
    for (int64_t i = 0; i < N; i++) go[i] = ld(c->in[0], i);
    int rc = hk_run(c, c->in + 1, go, 1);
    free(go);
    return rc;
}

static int hk_grad(mx_grad_ctx *g) {
    mx_tensor_s *in[9] = {g->ograd[0]};
    for (int i = 0; i < 8; i++) in[1 + i] = g->in[i];
    mx_tensor_s *out[3] = {NULL, NULL, NULL};
    MXI_TRY(mxi_call("_backward_contrib_hawkesll", in, 9, NULL, out, 3));
    for (int i = 0; i < 3; i++) g->igrad[i] = out[i];
    if (mxi_grad_needed(g, H_STATE)) {
        g->igrad[H_STATE] = mxi_call1("zeros_like", NULL, 1, g->in[H_STATE]);
        if (!g->igrad[H_STATE]) return mx_last_error_code();
    }
    return MX_OK;
}

static const mx_op_def ops[] = {
    {.name = "_contrib_hawkesll", .output_names = "output,state",
     .doc = "Log likelihood of marked Hawkes processes with exponential kernels: per sequence, the sum of "
            "log intensities at the events minus the compensator up to max_time, and the kernel states at max_time. "
            "Inputs lda (N, K), alpha (K,), beta (K,), state (N, K), lags (N, T), marks (N, T) integers, "
            "valid_length (N,), max_time (N,). As MXNet 1.9.1.",
     .inputs = "lda,alpha,beta,state,lags,marks,valid_length,max_time", .num_outputs = 2, .infer = hk_infer,
     .cpu = hk_cpu, .grad = hk_grad, .dtypes = MX_DT_ALL, .flags = MX_OPF_NO_INPUT_CAST | MX_OPF_WRITES_ALL},
    {.name = "_backward_contrib_hawkesll",
     .doc = "Gradient of _contrib_hawkesll's loglike with respect to lda, alpha and beta.",
     .inputs = "ograd,lda,alpha,beta,state,lags,marks,valid_length,max_time", .num_outputs = 3, .infer = hkb_infer,
     .cpu = hkb_cpu, .dtypes = MX_DT_ALL, .flags = MX_OPF_NO_INPUT_CAST | MX_OPF_WRITES_ALL | MX_OPF_INTERNAL},
};

void mxi_register_hawkesll(void) { mxi_register_ops(ops, NATTR(ops)); }
