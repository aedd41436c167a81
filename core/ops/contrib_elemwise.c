/* contrib_elemwise.c — MXNet 1.x's elementwise contrib ops: the
 * straight-through estimators round_ste and sign_ste (forward rounds, the
 * gradient passes unchanged), gradientmultiplier (forward identity, gradient
 * scaled: gradient reversal for domain adaptation) and quadratic
 * (a x^2 + b x + c), and allclose (one uint8 flag, as numpy.allclose). Part of
 * the "elemwise_unary" family: registered from
 * mxi_register_elemwise_unary(). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "../op.h"

#define NATTR(a) ((int)(sizeof(a) / sizeof((a)[0])))

static int same_infer(mx_call *c) {
    mxi_same_as_in(c, 0, 0);
    return MX_OK;
}

/* y[i] = f(x[i]) over float32 / float64 */
#define MAP(c, EXPR)                                                                                               \
    do {                                                                                                           \
        const mx_tensor_s *in_ = (c)->in[0];                                                                       \
        if (in_->dtype == MX_FLOAT64) {                                                                            \
            const double *x_ = mxi_data(in_);                                                                      \
            double *y_ = mxi_data((c)->out[0]);                                                                    \
            for (int64_t i = 0; i < in_->size; i++) { double x = x_[i]; y_[i] = (EXPR); }                          \
        } else {                                                                                                   \
            const float *x_ = mxi_data(in_);                                                                       \
            float *y_ = mxi_data((c)->out[0]);                                                                     \
            for (int64_t i = 0; i < in_->size; i++) { double x = x_[i]; y_[i] = (float)(EXPR); }                   \
        }                                                                                                          \
    } while (0)

static int round_ste_cpu(mx_call *c) {
    MAP(c, round(x)); /* half away from zero, as MXNet */
    return MX_OK;
}

static int sign_ste_cpu(mx_call *c) {
    MAP(c, (double)((x > 0) - (x < 0)));
    return MX_OK;
}

/* straight through: the incoming gradient unchanged */
static int pass_grad(mx_grad_ctx *g) {
    g->igrad[0] = mxi_call1("identity", NULL, 1, g->ograd[0]);
    return g->igrad[0] ? MX_OK : mx_last_error_code();
}

enum { GM_SCALAR };
static const mx_attr_spec gm_attrs[] = {
    {"scalar", MX_ATTR_FLOAT, "0", "Factor applied to the gradient (forward is the identity)."},
};

static int identity_cpu(mx_call *c) {
    MAP(c, x);
    return MX_OK;
}

static int gm_grad(mx_grad_ctx *g) {
    char a[64];
    snprintf(a, sizeof a, "scalar=%.17g", g->call->attrs[GM_SCALAR].f);
    g->igrad[0] = mxi_call1("_mul_scalar", a, 1, g->ograd[0]);
    return g->igrad[0] ? MX_OK : mx_last_error_code();
}

enum { Q_A, Q_B, Q_C };
static const mx_attr_spec q_attrs[] = {
    {"a", MX_ATTR_FLOAT, "0", "Coefficient of x^2."},
    {"b", MX_ATTR_FLOAT, "0", "Coefficient of x."},
    {"c", MX_ATTR_FLOAT, "0", "Constant term."},
};

static int quadratic_cpu(mx_call *c) {
    const double a = c->attrs[Q_A].f, b = c->attrs[Q_B].f, k = c->attrs[Q_C].f;
    MAP(c, (a * x + b) * x + k);
    return MX_OK;
}

/* d/dx = 2 a x + b, as a quadratic with a' = 0, b' = 2a, c' = b (differentiable again) */
static int quadratic_grad(mx_grad_ctx *g) {
    char s[160];
    snprintf(s, sizeof s, "a=0;b=%.17g;c=%.17g", 2 * g->call->attrs[Q_A].f, g->call->attrs[Q_B].f);
    mx_tensor_s *d = mxi_call1("_contrib_quadratic", s, 1, g->in[0]);
    g->igrad[0] = mxi_chain2("elemwise_mul", NULL, g->ograd[0], d);
    mxi_tensor_release(d);
    return g->igrad[0] ? MX_OK : mx_last_error_code();
}

enum { AC_RTOL, AC_ATOL, AC_NAN };
static const mx_attr_spec ac_attrs[] = {
    {"rtol", MX_ATTR_FLOAT, "1e-05", "Relative tolerance (times |b|)."},
    {"atol", MX_ATTR_FLOAT, "1e-08", "Absolute tolerance."},
    {"equal_nan", MX_ATTR_BOOL, "True", "Whether NaN in a and b at the same place count as equal."},
};

static int allclose_infer(mx_call *c) {
    const mx_tensor_s *a = c->in[0], *b = c->in[1];
    if (a->ndim != b->ndim || memcmp(a->shape, b->shape, sizeof(int64_t) * (size_t)a->ndim))
        return mxi_op_error(c, MX_ERR_INVALID, "a and b must have the same shape");
    mxi_set_out(c, 0, NULL, 0, MX_UINT8); /* shape () */
    return MX_OK;
}

static double at(const mx_tensor_s *t, int64_t i) {
    return t->dtype == MX_FLOAT64 ? ((const double *)mxi_data(t))[i] : ((const float *)mxi_data(t))[i];
}

/* 1 when every |a - b| <= atol + rtol * |b| (equal infinities pass) */
static int allclose_cpu(mx_call *c) {
    const double rtol = c->attrs[AC_RTOL].f, atol = c->attrs[AC_ATOL].f;
    const int eq_nan = (int)c->attrs[AC_NAN].i;
    uint8_t ok = 1;
    for (int64_t i = 0; ok && i < c->in[0]->size; i++) {
        double x = at(c->in[0], i), y = at(c->in[1], i);
        if (isnan(x) || isnan(y))
            ok = eq_nan && isnan(x) && isnan(y);
        else if (x != y)
            ok = fabs(x - y) <= atol + rtol * fabs(y);
    }
    *(uint8_t *)mxi_data(c->out[0]) = ok;
    return MX_OK;
}

static const mx_op_def ops[] = {
    {.name = "_contrib_allclose", .doc = "1 (uint8, shape ()) if a and b are elementwise equal within tolerances.",
     .inputs = "a,b", .num_outputs = 1, .attrs = ac_attrs, .n_attrs = NATTR(ac_attrs), .infer = allclose_infer,
     .cpu = allclose_cpu, .dtypes = MX_DT_FLOAT, .flags = MX_OPF_WRITES_ALL | MX_OPF_NO_GRAD},
    {.name = "_contrib_round_ste", .doc = "round(x) (half away from zero) with a straight-through gradient.",
     .inputs = "data", .num_outputs = 1, .infer = same_infer, .cpu = round_ste_cpu, .grad = pass_grad,
     .dtypes = MX_DT_FLOAT, .flags = MX_OPF_WRITES_ALL},
    {.name = "_contrib_sign_ste", .doc = "sign(x) with a straight-through gradient.", .inputs = "data",
     .num_outputs = 1, .infer = same_infer, .cpu = sign_ste_cpu, .grad = pass_grad, .dtypes = MX_DT_FLOAT,
     .flags = MX_OPF_WRITES_ALL},
    {.name = "_contrib_gradientmultiplier",
     .doc = "Identity whose gradient is multiplied by scalar (a negative scalar reverses it).", .inputs = "data",
     .num_outputs = 1, .attrs = gm_attrs, .n_attrs = NATTR(gm_attrs), .infer = same_infer, .cpu = identity_cpu,
     .grad = gm_grad, .dtypes = MX_DT_FLOAT, .flags = MX_OPF_WRITES_ALL},
    {.name = "_contrib_quadratic", .doc = "a * x^2 + b * x + c elementwise.", .inputs = "data", .num_outputs = 1,
     .attrs = q_attrs, .n_attrs = NATTR(q_attrs), .infer = same_infer, .cpu = quadratic_cpu, .grad = quadratic_grad,
     .dtypes = MX_DT_FLOAT, .flags = MX_OPF_WRITES_ALL},
};

void mxi_register_contrib_elemwise(void);
void mxi_register_contrib_elemwise(void) { mxi_register_ops(ops, NATTR(ops)); }
