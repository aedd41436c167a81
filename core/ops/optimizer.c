/* optimizer.c — fused optimizer updates with MXNet 1.x semantics: inputs
 * (weight, grad, states...), output = new weight (callers usually pass
 * out=weight); optimizer states are updated in place (`mutates`).
 *
 * Common attributes: lr, wd, rescale_grad (1.0), clip_gradient (-1 = off).
 * Kernels are elementwise loops over float32/float64 run on the thread pool;
 * each element reads its weight before writing the output, so out=weight is
 * safe (MX_OPF_INPLACE_OK); nag_mom alone reads it again afterwards, on purpose
 * (see its kernel). */
#include <math.h>
#include <string.h>

#include "../../backends/cpu/cpu.h"
#include "../op.h"

#define ATTR(N, T, D, DOC) {.name = N, .type = T, .def = D, .doc = DOC}
#define A_LR ATTR("lr", MX_ATTR_FLOAT, NULL, "Learning rate.")
#define A_WD ATTR("wd", MX_ATTR_FLOAT, "0.0", "Weight decay: adds wd * weight to the gradient (L2 penalty).")
#define A_RESCALE ATTR("rescale_grad", MX_ATTR_FLOAT, "1.0", "Rescale the gradient by this factor first.")
#define A_CLIP                                                                                                  \
    ATTR("clip_gradient", MX_ATTR_FLOAT, "-1.0", "Clip the rescaled gradient to [-clip_gradient, clip_gradient]; " \
                                                 "negative means no clipping.")
#define A_LAZY ATTR("lazy_update", MX_ATTR_BOOL, "True", "Lazy update for sparse gradients (accepted; dense here).")
#define A_MOM ATTR("momentum", MX_ATTR_FLOAT, "0.0", "The decay rate of momentum estimates.")
/* Adam-family moments (adam, adamw, lamb) and the stability constant most updates share */
#define A_BETA1 ATTR("beta1", MX_ATTR_FLOAT, "0.9", "The decay rate for the 1st moment estimates.")
#define A_BETA2 ATTR("beta2", MX_ATTR_FLOAT, "0.999", "The decay rate for the 2nd moment estimates.")
#define A_EPS(DEF) ATTR("epsilon", MX_ATTR_FLOAT, DEF, "A small constant for numerical stability.")

#define OPT_FLAGS (MX_OPF_INPLACE_OK | MX_OPF_WRITES_ALL | MX_OPF_NO_GRAD)

/* ---- argument block for all kernels ---- */
typedef struct {
    void *w, *g, *s0, *s1, *s2, *out;
    double lr, wd, rs, cl, p0, p1, p2, p3, p4;
} opt_args;

#define CLIPV(x) (cl >= 0 ? ((x) > cl ? cl : ((x) < -cl ? -cl : (x))) : (x))

/* Defines NAME_f32 / NAME_f64 range functions with locals w,g,s0,s1,s2,o and
 * scalars lr,wd,rs,cl,p0..p4 of the element type; BODY handles element i. */
#define OPT_KERNEL(NAME, ...)                                                                  \
    OPT_KERNEL_T(NAME##_f32, float, __VA_ARGS__)                                                \
    OPT_KERNEL_T(NAME##_f64, double, __VA_ARGS__)                                                      \
    static void NAME##_run(int dtype, opt_args *a, int64_t n) {                                 \
        mxi_parallel_for(n, 16384, dtype == MX_FLOAT64 ? NAME##_f64 : NAME##_f32, a);          \
    }
/* Without clipping (the usual case) the loop is compiled a second time with
 * cl a constant, so CLIPV folds away and the loop is a plain vector stream. */
#define OPT_KERNEL_T(FN, TT, ...)                                                               \
    static MXI_CPU_CLONES void FN(void *ctx, int64_t b, int64_t e) {                            \
        typedef TT T;                                                                           \
        opt_args *a = ctx;                                                                      \
        T *w = a->w, *g = a->g, *s0 = a->s0, *s1 = a->s1, *s2 = a->s2, *o = a->out;            \
        const T lr = (T)a->lr, wd = (T)a->wd, rs = (T)a->rs;                                    \
        const T p0 = (T)a->p0, p1 = (T)a->p1, p2 = (T)a->p2, p3 = (T)a->p3, p4 = (T)a->p4;      \
        (void)w, (void)g, (void)s0, (void)s1, (void)s2, (void)o, (void)lr, (void)wd, (void)rs;  \
        (void)p0, (void)p1, (void)p2, (void)p3, (void)p4;                                       \
        if (a->cl < 0) {                                                                        \
            const T cl = (T)-1;                                                                 \
            (void)cl;                                                                           \
            for (int64_t i = b; i < e; i++) { __VA_ARGS__ }                                      \
        } else {                                                                                \
            const T cl = (T)a->cl;                                                              \
            (void)cl;                                                                           \
            for (int64_t i = b; i < e; i++) { __VA_ARGS__ }                                      \
        }                                                                                       \
    }

#define SIGN(x) ((x) > 0 ? (T)1 : ((x) < 0 ? (T)-1 : (T)0))

OPT_KERNEL(sgd, {
    T gr = CLIPV(rs * g[i]);
    o[i] = (1 - lr * wd) * w[i] - lr * gr;
})
OPT_KERNEL(sgd_mom, {
    T gr = CLIPV(rs * g[i]);
    T m = p0 * s0[i] - lr * wd * w[i] - lr * gr;
    s0[i] = m;
    o[i] = w[i] + m;
})
/* nag_mom: the state is a velocity that already carries -lr (as sgd_mom's), so
 * MXNet's saved states mean the same here and lr changes act as in MXNet. Like
 * MXNet's kernel, the state is computed after the output is written and reads
 * the weight again: with out=weight (what every optimizer does) the decay term
 * of the state uses the updated weight. */
OPT_KERNEL(nag_mom, {
    T gc = CLIPV(rs * g[i]);
    T gr = gc + wd * w[i];
    T m0 = s0[i];
    o[i] = w[i] + p0 * (p0 * m0 - lr * gr) - lr * gr;
    s0[i] = p0 * m0 - lr * (gc + wd * w[i]);
})
/* adam: p0 beta1, p1 beta2, p2 epsilon */
OPT_KERNEL(adam, {
    T gr = CLIPV(rs * g[i] + wd * w[i]);
    T m = p0 * s0[i] + (1 - p0) * gr;
    T v = p1 * s1[i] + (1 - p1) * gr * gr;
    s0[i] = m;
    s1[i] = v;
    o[i] = w[i] - lr * m / (sqrt(v) + p2);
})
/* ftml (Follow the Moving Leader): states d (s0), v (s1), z (s2); p0 beta1,
 * p1 beta2, p2 epsilon, p3 (1 - beta1^t)/lr, p4 1/(1 - beta2^t) */
OPT_KERNEL(ftml, {
    T gr = CLIPV(rs * g[i] + wd * w[i]);
    T v = p1 * s1[i] + (1 - p1) * gr * gr;
    T d = p3 * (sqrt(v * p4) + p2);
    T z = p0 * s2[i] + (1 - p0) * gr - (d - p0 * s0[i]) * w[i];
    s0[i] = d;
    s1[i] = v;
    s2[i] = z;
    o[i] = -z / d;
})
/* adamw: p0 beta1, p1 beta2, p2 epsilon, p3 eta; rs from the rescale tensor */
OPT_KERNEL(adamw, {
    T gr = CLIPV(rs * g[i]);
    T m = p0 * s0[i] + (1 - p0) * gr;
    T v = p1 * s1[i] + (1 - p1) * gr * gr;
    s0[i] = m;
    s1[i] = v;
    o[i] = w[i] - p3 * (lr * m / (sqrt(v) + p2) + wd * w[i]);
})
/* rmsprop: p0 gamma1, p1 epsilon, p2 clip_weights */
OPT_KERNEL(rmsprop, {
    T gr = CLIPV(rs * g[i] + wd * w[i]);
    T n = (1 - p0) * gr * gr + p0 * s0[i];
    s0[i] = n;
    T nw = w[i] - lr * gr / sqrt(n + p1);
    if (p2 >= 0) nw = nw > p2 ? p2 : (nw < -p2 ? -p2 : nw);
    o[i] = nw;
})
/* rmspropalex: p0 gamma1, p1 gamma2, p2 epsilon, p3 clip_weights; s0 n, s1 g, s2 delta */
OPT_KERNEL(rmspropalex, {
    T gr = CLIPV(rs * g[i] + wd * w[i]);
    T n = (1 - p0) * gr * gr + p0 * s0[i];
    T gb = (1 - p0) * gr + p0 * s1[i];
    T d = p1 * s2[i] - lr * gr / sqrt(n - gb * gb + p2);
    s0[i] = n;
    s1[i] = gb;
    s2[i] = d;
    T nw = w[i] + d;
    if (p3 >= 0) nw = nw > p3 ? p3 : (nw < -p3 ? -p3 : nw);
    o[i] = nw;
})
/* adagrad: p0 epsilon */
OPT_KERNEL(adagrad, {
    T gr = CLIPV(rs * g[i]) + wd * w[i];
    T h = s0[i] + gr * gr;
    s0[i] = h;
    o[i] = w[i] - lr * gr / (sqrt(h) + p0);
})
/* adadelta: p0 rho, p1 epsilon; s0 acc_g, s1 acc_delta */
OPT_KERNEL(adadelta, {
    T gr = CLIPV(rs * g[i]);
    T ag = p0 * s0[i] + (1 - p0) * gr * gr;
    T cd = sqrt(s1[i] + p1) / sqrt(ag + p1) * gr;
    s0[i] = ag;
    s1[i] = p0 * s1[i] + (1 - p0) * cd * cd;
    o[i] = w[i] - (cd + wd * w[i]);
})
/* ftrl: p0 lamda1, p1 beta; s0 z, s1 n */
OPT_KERNEL(ftrl, {
    T gr = CLIPV(rs * g[i]);
    T n = s1[i];
    T z = s0[i] + gr - (sqrt(n + gr * gr) - sqrt(n)) * w[i] / lr;
    n += gr * gr;
    s0[i] = z;
    s1[i] = n;
    T az = z < 0 ? -z : z;
    o[i] = az > p0 ? (SIGN(z) * p0 - z) / ((p1 + sqrt(n)) / lr + wd) : (T)0;
})
OPT_KERNEL(signsgd, { o[i] = (1 - lr * wd) * w[i] - lr * SIGN(g[i]); })
/* signum: p0 momentum, p1 wd_lh */
OPT_KERNEL(signum, {
    T gr = CLIPV(rs * g[i]);
    T m = p0 * s0[i] - (1 - p0) * wd * w[i] - (1 - p0) * gr;
    s0[i] = m;
    o[i] = (1 - lr * p1) * w[i] + lr * SIGN(m);
})
/* lamb phase 1: p0 beta1, p1 beta2, p2 epsilon, p3 1/(1-beta1^t), p4 1/(1-beta2^t); output g */
OPT_KERNEL(lamb1, {
    T gr = CLIPV(rs * g[i]);
    T m = p0 * s0[i] + (1 - p0) * gr;
    T v = p1 * s1[i] + (1 - p1) * gr * gr;
    s0[i] = m;
    s1[i] = v;
    o[i] = (m * p3) / (sqrt(v * p4) + p2) + wd * w[i];
})
/* lamb phase 2: p0 = lr * ratio (computed from r1, r2); g is the phase-1 output */
OPT_KERNEL(lamb2, { o[i] = w[i] - p0 * g[i]; })

/* ---- shared inference / checks ---- */
static int same_shape(const mx_tensor_s *a, const mx_tensor_s *b) {
    return a->ndim == b->ndim && !memcmp(a->shape, b->shape, sizeof(int64_t) * (size_t)a->ndim);
}

/* inputs [first, first+n) must match input `w`'s shape; mutated ones must be
 * contiguous and of a float dtype (float16 state is updated through a
 * float32 copy by invoke.c, as the CPU kernels are float32/float64). */
static int check_group(mx_call *c, int wi, int n) {
    const mx_tensor_s *w = c->in[wi];
    for (int k = 1; k < n; k++) {
        const mx_tensor_s *t = c->in[wi + k];
        if (!same_shape(t, w)) {
            char a[128], b[128];
            return mxi_op_error(c, MX_ERR_INVALID, "input %d has shape %s, expected the weight's shape %s", wi + k,
                                mxi_shape_str(t->shape, t->ndim, a, sizeof a),
                                mxi_shape_str(w->shape, w->ndim, b, sizeof b));
        }
        if (mxi_op_mutates(c->op, wi + k)) {
            if (!mxi_dtype_is_float(t->dtype))
                return mxi_op_error(c, MX_ERR_DTYPE, "optimizer state %d must be a float dtype, got %s", wi + k,
                                    mxi_dtype_name(t->dtype));
            if (t->dtype != w->dtype)
                return mxi_op_error(c, MX_ERR_DTYPE, "optimizer state %d has dtype %s but the weight has %s (use matching dtypes)",
                                    wi + k, mxi_dtype_name(t->dtype), mxi_dtype_name(w->dtype));
            if (!mxi_is_contiguous(t))
                return mxi_op_error(c, MX_ERR_INVALID, "optimizer state %d must be contiguous", wi + k);
        }
    }
    return MX_OK;
}

/* after a possible float32 cast of weight/grad, kernel dtypes must agree */
static int check_kernel_dtypes(mx_call *c, int wi, int n) {
    int dt = c->in[wi]->dtype;
    for (int k = 1; k < n; k++)
        if (c->in[wi + k]->dtype != dt)
            return mxi_op_error(c, MX_ERR_DTYPE, "input %d has dtype %s but the weight has %s (use matching dtypes)",
                                wi + k, mxi_dtype_name(c->in[wi + k]->dtype), mxi_dtype_name(dt));
    return MX_OK;
}

static int infer_n(mx_call *c, int n) {
    MXI_TRY(check_group(c, 0, n));
    mxi_same_as_in(c, 0, 0);
    return MX_OK;
}

static int infer_all(mx_call *c) { return infer_n(c, c->n_in); }

static void fill_ptrs(mx_call *c, opt_args *a, int wi, int n) {
    void **slots[5] = {&a->w, &a->g, &a->s0, &a->s1, &a->s2};
    for (int k = 0; k < n && k < 5; k++) {
        *slots[k] = mxi_data(c->in[wi + k]);
        if (mxi_op_mutates(c->op, wi + k)) mxi_bump_version(c->in[wi + k]);
    }
}

/* run one kernel over a single (weight, grad, states...) group */
#define RUN_SIMPLE(NAME, NIN, ...)                                 \
    static int NAME##_cpu(mx_call *c) {                              \
        MXI_TRY(check_kernel_dtypes(c, 0, NIN));                     \
        opt_args a = {0};                                            \
        fill_ptrs(c, &a, 0, NIN);                                    \
        a.out = mxi_data(c->out[0]);                                 \
        __VA_ARGS__                                                  \
        NAME##_run(c->in[0]->dtype, &a, c->in[0]->size);             \
        return MX_OK;                                                \
    }

#define AT(i) (c->attrs[i].f)

/* sgd_update */
enum { SGD_LR, SGD_WD, SGD_RS, SGD_CL, SGD_LAZY };
static const mx_attr_spec sgd_attrs[] = {A_LR, A_WD, A_RESCALE, A_CLIP, A_LAZY};
RUN_SIMPLE(sgd, 2, { a.lr = AT(SGD_LR), a.wd = AT(SGD_WD), a.rs = AT(SGD_RS), a.cl = AT(SGD_CL); })

/* sgd_mom_update, nag_mom_update */
enum { SM_LR, SM_MOM, SM_WD, SM_RS, SM_CL, SM_LAZY };
static const mx_attr_spec sgd_mom_attrs[] = {A_LR, A_MOM, A_WD, A_RESCALE, A_CLIP, A_LAZY};
static const mx_attr_spec nag_attrs[] = {A_LR, A_MOM, A_WD, A_RESCALE, A_CLIP};
#define SM_SETUP a.lr = AT(SM_LR), a.p0 = AT(SM_MOM), a.wd = AT(SM_WD), a.rs = AT(SM_RS), a.cl = AT(SM_CL);
RUN_SIMPLE(sgd_mom, 3, SM_SETUP)
RUN_SIMPLE(nag_mom, 3, SM_SETUP)

/* mp_sgd_update, mp_sgd_mom_update: a (float16) weight with a float32 master copy,
 * the last input. The master (and the momentum) are updated in place; the output
 * is the new master in the weight's dtype (invoke.c casts it, and casts a float16
 * weight and grad to float32 for the kernel). */
/* one (weight, grad, [mom,] weight32) group starting at input wi */
static int check_mp_group(mx_call *c, int wi, int n) {
    const mx_tensor_s *w = c->in[wi];
    for (int k = wi + 1; k < wi + n; k++) {
        const mx_tensor_s *t = c->in[k];
        if (!same_shape(t, w)) {
            char a[128], b[128];
            return mxi_op_error(c, MX_ERR_INVALID, "input %d has shape %s, expected the weight's shape %s", k,
                                mxi_shape_str(t->shape, t->ndim, a, sizeof a),
                                mxi_shape_str(w->shape, w->ndim, b, sizeof b));
        }
        if (mxi_op_mutates(c->op, k) && (t->dtype != MX_FLOAT32 || !mxi_is_contiguous(t)))
            return mxi_op_error(c, MX_ERR_DTYPE, "input %d (a state or the master copy weight32) must be a contiguous "
                                "float32 array, got %s", k, mxi_dtype_name(t->dtype));
    }
    return MX_OK;
}

static int infer_mp(mx_call *c) {
    MXI_TRY(check_mp_group(c, 0, c->n_in));
    mxi_same_as_in(c, 0, 0);
    return MX_OK;
}

/* the kernel reads the master as its weight; the master then takes the result */
#define RUN_MP(NAME, KERNEL, NIN, ...)                                                \
    static int NAME##_cpu(mx_call *c) {                                                 \
        MXI_TRY(check_kernel_dtypes(c, 0, NIN));                                        \
        mx_tensor_s *w32 = c->in[NIN - 1];                                              \
        opt_args a = {0};                                                               \
        fill_ptrs(c, &a, 0, NIN - 1);                                                   \
        a.w = mxi_data(w32);                                                            \
        a.out = mxi_data(c->out[0]);                                                    \
        __VA_ARGS__                                                                     \
        KERNEL##_run(MX_FLOAT32, &a, w32->size);                                        \
        memcpy(mxi_data(w32), a.out, sizeof(float) * (size_t)w32->size);                \
        mxi_bump_version(w32);                                                          \
        return MX_OK;                                                                   \
    }
RUN_MP(mp_sgd, sgd, 3, { a.lr = AT(SGD_LR), a.wd = AT(SGD_WD), a.rs = AT(SGD_RS), a.cl = AT(SGD_CL); })
RUN_MP(mp_sgd_mom, sgd_mom, 4, SM_SETUP)

/* mp_nag_mom_update: nag_mom's state re-reads the new weight (see its kernel), so
 * the master is updated in place by the kernel and then copied to the output. */
static int mp_nag_mom_cpu(mx_call *c) {
    MXI_TRY(check_kernel_dtypes(c, 0, 3));
    mx_tensor_s *w32 = c->in[3];
    opt_args a = {0};
    fill_ptrs(c, &a, 0, 3);
    a.w = a.out = mxi_data(w32);
    SM_SETUP
    nag_mom_run(MX_FLOAT32, &a, w32->size);
    memcpy(mxi_data(c->out[0]), mxi_data(w32), sizeof(float) * (size_t)w32->size);
    mxi_bump_version(w32);
    return MX_OK;
}

/* adam_update */
enum { AD_LR, AD_B1, AD_B2, AD_EPS, AD_WD, AD_RS, AD_CL, AD_LAZY };
static const mx_attr_spec adam_attrs[] = {
    A_LR,
    A_BETA1, A_BETA2,
    A_EPS("1e-08"),
    A_WD, A_RESCALE, A_CLIP, A_LAZY,
};
RUN_SIMPLE(adam, 4, {
    a.lr = AT(AD_LR), a.p0 = AT(AD_B1), a.p1 = AT(AD_B2), a.p2 = AT(AD_EPS);
    a.wd = AT(AD_WD), a.rs = AT(AD_RS), a.cl = AT(AD_CL);
})

/* ftml_update */
enum { FM_LR, FM_B1, FM_B2, FM_EPS, FM_T, FM_WD, FM_RS, FM_CL };
static const mx_attr_spec ftml_attrs[] = {
    A_LR,
    ATTR("beta1", MX_ATTR_FLOAT, "0.6", "Decay of the moving leader (generally close to 0.5)."),
    ATTR("beta2", MX_ATTR_FLOAT, "0.999", "Decay of the squared-gradient average."),
    A_EPS("1e-08"),
    {.name = "t", .type = MX_ATTR_INT, .def = NULL, .doc = "Number of updates so far, this one included.", .bounded = 1,
     .lo = 1, .hi = 1e15},
    A_WD, A_RESCALE,
    ATTR("clip_grad", MX_ATTR_FLOAT, "-1.0", "Clip the gradient to [-clip_grad, clip_grad]; negative: no clipping."),
};
RUN_SIMPLE(ftml, 5, {
    double t = (double)c->attrs[FM_T].i, b1 = AT(FM_B1), b2 = AT(FM_B2);
    a.lr = AT(FM_LR), a.p0 = b1, a.p1 = b2, a.p2 = AT(FM_EPS);
    a.p3 = (1 - pow(b1, t)) / a.lr, a.p4 = 1 / (1 - pow(b2, t));
    a.wd = AT(FM_WD), a.rs = AT(FM_RS), a.cl = AT(FM_CL);
})

/* adamw_update: inputs weight, grad, mean, var, rescale_grad (1-element tensor) */
enum { AW_LR, AW_B1, AW_B2, AW_EPS, AW_WD, AW_ETA, AW_CL };
static const mx_attr_spec adamw_attrs[] = {
    A_LR,
    A_BETA1, A_BETA2,
    A_EPS("1e-08"),
    ATTR("wd", MX_ATTR_FLOAT, "0.0", "Decoupled weight decay: the update subtracts eta * wd * weight."),
    ATTR("eta", MX_ATTR_FLOAT, NULL, "Learning rate schedule multiplier."),
    A_CLIP,
};
/* adamw_update (weight, grad, mean, var, rescale_grad) and mp_adamw_update
 * (weight, grad, mean, var, weight32, rescale_grad): the float32 master copy is
 * the weight the kernel reads; it takes the result, returned in the weight's dtype. */
static int adamw_is_mp(const mx_call *c) { return mxi_op_mutates(c->op, 4); }

static int adamw_infer(mx_call *c) {
    int mp = adamw_is_mp(c);
    MXI_TRY(mp ? check_mp_group(c, 0, 5) : check_group(c, 0, 4));
    const mx_tensor_s *rs = c->in[4 + mp];
    if (rs->size != 1)
        return mxi_op_error(c, MX_ERR_INVALID, "rescale_grad must be a 1-element array, got %lld elements",
                            (long long)rs->size);
    mxi_same_as_in(c, 0, 0);
    return MX_OK;
}
/* MXNet skips an adamw step whose rescale_grad is not finite or is 0 (a loss
 * scaler's overflow signal): the states stay and the weight is returned as is. */
static int adamw_skips(double rs) { return !isfinite(rs) || rs == 0; }

/* One adamw step of the (weight, grad, mean, var[, weight32]) group at input wi
 * into output o; `a` carries the scalars. With a master copy the kernel reads it
 * as the weight and it takes the result (o is float32 then). */
static int adamw_group(mx_call *c, int wi, int mp, mx_tensor_s *o, opt_args a) {
    MXI_TRY(check_kernel_dtypes(c, wi, 4));
    mx_tensor_s *w = mp ? c->in[wi + 4] : c->in[wi];
    if (adamw_skips(a.rs)) { /* the weight as the kernel sees it has the output's dtype */
        const mx_tensor_s *src = c->in[wi];
        if (mxi_data(o) != mxi_data(src))
            memcpy(mxi_data(o), mxi_data(src), (size_t)src->size * mxi_dtype_size(src->dtype));
        return MX_OK;
    }
    fill_ptrs(c, &a, wi, 4);
    a.w = mxi_data(w);
    a.out = mxi_data(o);
    adamw_run(w->dtype, &a, w->size);
    if (mp) {
        memcpy(mxi_data(w), a.out, sizeof(float) * (size_t)w->size);
        mxi_bump_version(w);
    }
    return MX_OK;
}

static int adamw_cpu(mx_call *c) {
    int mp = adamw_is_mp(c);
    opt_args a = {0};
    a.lr = AT(AW_LR), a.p0 = AT(AW_B1), a.p1 = AT(AW_B2), a.p2 = AT(AW_EPS), a.wd = AT(AW_WD), a.p3 = AT(AW_ETA);
    a.rs = mxi_load_as_double(mxi_data(c->in[4 + mp]), c->in[4 + mp]->dtype, 0), a.cl = AT(AW_CL);
    return adamw_group(c, 0, mp, c->out[0], a);
}

/* rmsprop_update */
enum { RP_LR, RP_G1, RP_EPS, RP_WD, RP_RS, RP_CL, RP_CW };
#define A_CLIPW ATTR("clip_weights", MX_ATTR_FLOAT, "-1.0", "Clip weights to [-clip_weights, clip_weights]; negative means no clipping.")
static const mx_attr_spec rmsprop_attrs[] = {
    A_LR,
    ATTR("gamma1", MX_ATTR_FLOAT, "0.95", "The decay rate of the squared-gradient average."),
    A_EPS("1e-08"),
    A_WD, A_RESCALE, A_CLIP, A_CLIPW,
};
RUN_SIMPLE(rmsprop, 3, {
    a.lr = AT(RP_LR), a.p0 = AT(RP_G1), a.p1 = AT(RP_EPS), a.p2 = AT(RP_CW);
    a.wd = AT(RP_WD), a.rs = AT(RP_RS), a.cl = AT(RP_CL);
})

/* rmspropalex_update */
enum { RA_LR, RA_G1, RA_G2, RA_EPS, RA_WD, RA_RS, RA_CL, RA_CW };
static const mx_attr_spec rmspropalex_attrs[] = {
    A_LR,
    ATTR("gamma1", MX_ATTR_FLOAT, "0.95", "Decay rate of the gradient and squared-gradient averages."),
    ATTR("gamma2", MX_ATTR_FLOAT, "0.9", "Momentum of the update (delta) term."),
    A_EPS("1e-08"),
    A_WD, A_RESCALE, A_CLIP, A_CLIPW,
};
RUN_SIMPLE(rmspropalex, 5, {
    a.lr = AT(RA_LR), a.p0 = AT(RA_G1), a.p1 = AT(RA_G2), a.p2 = AT(RA_EPS), a.p3 = AT(RA_CW);
    a.wd = AT(RA_WD), a.rs = AT(RA_RS), a.cl = AT(RA_CL);
})

/* adagrad_update */
enum { AG_LR, AG_EPS, AG_WD, AG_RS, AG_CL };
static const mx_attr_spec adagrad_attrs[] = {
    A_LR,
    ATTR("epsilon", MX_ATTR_FLOAT, "1e-07", "A small constant added to sqrt(history) for numerical stability."),
    A_WD, A_RESCALE, A_CLIP,
};
RUN_SIMPLE(adagrad, 3, {
    a.lr = AT(AG_LR), a.p0 = AT(AG_EPS), a.wd = AT(AG_WD), a.rs = AT(AG_RS), a.cl = AT(AG_CL);
})

/* adadelta_update (no learning rate, as in MXNet's AdaDelta) */
enum { DD_RHO, DD_EPS, DD_WD, DD_RS, DD_CL };
static const mx_attr_spec adadelta_attrs[] = {
    ATTR("rho", MX_ATTR_FLOAT, "0.9", "Decay rate for both squared gradients and delta."),
    A_EPS("1e-05"),
    A_WD, A_RESCALE, A_CLIP,
};
RUN_SIMPLE(adadelta, 4, {
    a.p0 = AT(DD_RHO), a.p1 = AT(DD_EPS), a.wd = AT(DD_WD), a.rs = AT(DD_RS), a.cl = AT(DD_CL);
})

/* ftrl_update */
enum { FT_LR, FT_L1, FT_BETA, FT_WD, FT_RS, FT_CL };
static const mx_attr_spec ftrl_attrs[] = {
    A_LR,
    ATTR("lamda1", MX_ATTR_FLOAT, "0.01", "The L1 regularization coefficient."),
    ATTR("beta", MX_ATTR_FLOAT, "1.0", "Per-coordinate learning rate correlation parameter."),
    A_WD, A_RESCALE, A_CLIP,
};
RUN_SIMPLE(ftrl, 4, {
    a.lr = AT(FT_LR), a.p0 = AT(FT_L1), a.p1 = AT(FT_BETA), a.wd = AT(FT_WD), a.rs = AT(FT_RS), a.cl = AT(FT_CL);
})

/* signsgd_update */
RUN_SIMPLE(signsgd, 2, { a.lr = AT(SGD_LR), a.wd = AT(SGD_WD); })
static const mx_attr_spec signsgd_attrs[] = {A_LR, A_WD, A_RESCALE, A_CLIP};

/* signum_update */
enum { SN_LR, SN_MOM, SN_WD, SN_RS, SN_CL, SN_WDLH };
static const mx_attr_spec signum_attrs[] = {
    A_LR, A_MOM, A_WD, A_RESCALE, A_CLIP,
    ATTR("wd_lh", MX_ATTR_FLOAT, "0.0", "The amount of weight decay that does not go into the gradient/momentum "
                                        "calculation (decoupled weight decay)."),
};
RUN_SIMPLE(signum, 3, {
    a.lr = AT(SN_LR), a.p0 = AT(SN_MOM), a.wd = AT(SN_WD), a.rs = AT(SN_RS), a.cl = AT(SN_CL), a.p1 = AT(SN_WDLH);
})

/* lamb_update_phase1: output g (the update direction), mutates mean, var */
enum { L1_B1, L1_B2, L1_EPS, L1_T, L1_BC, L1_WD, L1_RS, L1_CL };
static const mx_attr_spec lamb1_attrs[] = {
    A_BETA1, A_BETA2,
    A_EPS("1e-06"),
    {.name = "t", .type = MX_ATTR_INT, .doc = "Index of the update (1-based), for bias correction.", .bounded = 1,
     .lo = 1, .hi = 1e18},
    ATTR("bias_correction", MX_ATTR_BOOL, "True", "Whether to use bias correction."),
    A_WD, A_RESCALE, A_CLIP,
};
/* phase-1 scalars: the moments' decay rates, epsilon and step t's bias corrections */
static void lamb1_scalars(opt_args *a, double b1, double b2, double eps, double t, int bias_correction) {
    a->p0 = b1, a->p1 = b2, a->p2 = eps;
    a->p3 = bias_correction ? 1.0 / (1.0 - pow(b1, t)) : 1.0;
    a->p4 = bias_correction ? 1.0 / (1.0 - pow(b2, t)) : 1.0;
}
#define LAMB1_SETUP                                                                                           \
    lamb1_scalars(&a, AT(L1_B1), AT(L1_B2), AT(L1_EPS), (double)c->attrs[L1_T].i, (int)c->attrs[L1_BC].i); \
    a.wd = AT(L1_WD), a.rs = AT(L1_RS), a.cl = AT(L1_CL);
RUN_SIMPLE(lamb1, 4, {LAMB1_SETUP})

/* mp_lamb_update_phase1 (weight, grad, mean, var, weight32): the direction g from
 * the float32 master (g is float32, as MXNet gives it); mean, var in place */
static int mp_lamb1_infer(mx_call *c) {
    MXI_TRY(check_mp_group(c, 0, 5));
    if (c->in[4]->dtype != MX_FLOAT32)
        return mxi_op_error(c, MX_ERR_DTYPE, "weight32 must be float32, got %s", mxi_dtype_name(c->in[4]->dtype));
    mxi_same_as_in(c, 0, 4);
    return MX_OK;
}
static int mp_lamb1_cpu(mx_call *c) {
    MXI_TRY(check_kernel_dtypes(c, 0, 4));
    opt_args a = {0};
    fill_ptrs(c, &a, 0, 4);
    a.w = mxi_data(c->in[4]);
    a.out = mxi_data(c->out[0]);
    LAMB1_SETUP
    lamb1_run(MX_FLOAT32, &a, c->in[4]->size);
    return MX_OK;
}

/* lamb_update_phase2: weight, g, r1, r2 (1-element norms) -> new weight */
enum { L2_LR, L2_LO, L2_HI };
static const mx_attr_spec lamb2_attrs[] = {
    A_LR,
    ATTR("lower_bound", MX_ATTR_FLOAT, "-1.0", "Lower limit of r1 (the weight norm); negative means none."),
    ATTR("upper_bound", MX_ATTR_FLOAT, "-1.0", "Upper limit of r1 (the weight norm); negative means none."),
};
/* lamb_update_phase2 (weight, g, r1, r2) and mp_lamb_update_phase2 (weight, g,
 * r1, r2, weight32): with the master copy the kernel updates it in place, and the
 * output is the new master in the weight's dtype */
static int lamb2_is_mp(const mx_call *c) { return mxi_op_mutates(c->op, 4); }
static int lamb2_infer(mx_call *c) {
    MXI_TRY(check_group(c, 0, 2));
    for (int k = 2; k < 4; k++)
        if (c->in[k]->size != 1)
            return mxi_op_error(c, MX_ERR_INVALID, "%s must be a 1-element array", k == 2 ? "r1" : "r2");
    if (lamb2_is_mp(c)) {
        const mx_tensor_s *w32 = c->in[4];
        if (!same_shape(w32, c->in[0]) || w32->dtype != MX_FLOAT32 || !mxi_is_contiguous(w32))
            return mxi_op_error(c, MX_ERR_INVALID, "weight32 must be a contiguous float32 array of the weight's shape");
    }
    mxi_same_as_in(c, 0, 0);
    return MX_OK;
}
/* LAMB's trust ratio r1/r2 with r1 (the weight norm) clamped to the bounds that
 * are >= 0; 1 when either norm is 0 */
static double lamb_ratio(double r1, double r2, double lo, double hi) {
    if (lo >= 0 && r1 < lo) r1 = lo;
    if (hi >= 0 && r1 > hi) r1 = hi;
    return (r1 == 0 || r2 == 0) ? 1.0 : r1 / r2;
}
/* phase 2 into o: w - step * g, g of w's dtype; a master copy w takes the result */
static void lamb2_apply(mx_tensor_s *w, int is_master, void *g, mx_tensor_s *o, double step) {
    opt_args a = {0};
    a.w = mxi_data(w);
    a.g = g;
    a.out = mxi_data(o);
    a.p0 = step;
    lamb2_run(w->dtype, &a, w->size);
    if (is_master) {
        memcpy(mxi_data(w), a.out, sizeof(float) * (size_t)w->size);
        mxi_bump_version(w);
    }
}
static int lamb2_cpu(mx_call *c) {
    MXI_TRY(check_kernel_dtypes(c, 0, 2));
    double r1 = mxi_load_as_double(mxi_data(c->in[2]), c->in[2]->dtype, 0);
    double r2 = mxi_load_as_double(mxi_data(c->in[3]), c->in[3]->dtype, 0);
    int mp = lamb2_is_mp(c);
    double step = AT(L2_LR) * lamb_ratio(r1, r2, AT(L2_LO), AT(L2_HI));
    lamb2_apply(c->in[mp ? 4 : 0], mp, mxi_data(c->in[1]), c->out[0], step);
    return MX_OK;
}

/* ---- multi_[mp_]sgd[_mom]_update and their preloaded_ forms ----
 * num_weights groups (weight, grad[, mom][, weight32]) updated in one call. The
 * multi_ ops take lrs/wds as attributes; the preloaded_ ops as the last two
 * inputs, arrays of num_weights entries (so a schedule needs no new strings). */
#define A_NUM_WEIGHTS                                                                                        \
    {.name = "num_weights", .type = MX_ATTR_INT, .def = "1", .doc = "Number of updated weights.", .bounded = 1, \
     .lo = 1, .hi = MX_MAX_TUPLE}
#define A_LRS ATTR("lrs", MX_ATTR_FLOATS, NULL, "Learning rates, one per weight.")
#define A_WDS ATTR("wds", MX_ATTR_FLOATS, NULL, "Weight decay factors, one per weight.")
static const mx_attr_spec multi_sgd_attrs[] = {A_LRS, A_WDS, A_RESCALE, A_CLIP, A_NUM_WEIGHTS};
static const mx_attr_spec multi_sgd_mom_attrs[] = {A_LRS, A_WDS, A_MOM, A_RESCALE, A_CLIP, A_NUM_WEIGHTS};
static const mx_attr_spec preloaded_sgd_attrs[] = {A_RESCALE, A_CLIP, A_NUM_WEIGHTS};
static const mx_attr_spec preloaded_sgd_mom_attrs[] = {A_MOM, A_RESCALE, A_CLIP, A_NUM_WEIGHTS};

/* The variant from the op's name; attributes are read from the end of the list,
 * where every variant has (..., rescale_grad, clip_gradient, num_weights). */
static int multi_has_mom(const mx_call *c) { return strstr(c->op->name, "_mom_") != NULL; }
static int multi_is_mp(const mx_call *c) { return strstr(c->op->name, "multi_mp_") != NULL; }
static int multi_preloaded(const mx_call *c) { return !strncmp(c->op->name, "preloaded_", 10); }
static int multi_group(const mx_call *c) { return 2 + multi_has_mom(c) + multi_is_mp(c); }
static double multi_attr_from_end(const mx_call *c, int back) { return c->attrs[c->op->n_attrs - back].f; }
static int multi_nw(const mx_call *c) { return (int)c->attrs[c->op->n_attrs - 1].i; }
static int multi_nin(const mx_call *c) { return multi_nw(c) * multi_group(c) + (multi_preloaded(c) ? 2 : 0); }
static int multi_nout(const mx_call *c) { return multi_nw(c); }

/* the tuple attributes at indices idx[0..n) have one entry per weight (the
 * count is the op's last attribute: num_weights or num_tensors) */
static int check_tuple_counts(mx_call *c, int nw, const int *idx, int n) {
    for (int j = 0; j < n; j++)
        if (c->attrs[idx[j]].n != nw)
            return mxi_op_error(c, MX_ERR_INVALID, "%s needs %s=%d entries, got %d", c->op->attrs[idx[j]].name,
                                c->op->attrs[c->op->n_attrs - 1].name, nw, c->attrs[idx[j]].n);
    return MX_OK;
}

/* nw groups of gs inputs from input 0, each checked like its single-weight op;
 * output k takes weight k's shape and dtype */
static int check_groups(mx_call *c, int nw, int gs, int mp) {
    /* mutated inputs must fit the op's 64-bit mask: the last group's last state is input nw*gs - 1 */
    if (nw * gs > 64)
        return mxi_op_error(c, MX_ERR_INVALID, "at most %d weights per call, got %s=%d", 64 / gs,
                            c->op->attrs[c->op->n_attrs - 1].name, nw);
    for (int k = 0; k < nw; k++) {
        MXI_TRY(mp ? check_mp_group(c, k * gs, gs) : check_group(c, k * gs, gs));
        mxi_same_as_in(c, k, k * gs);
    }
    return MX_OK;
}

static int multi_infer(mx_call *c) {
    int nw = multi_nw(c), gs = multi_group(c);
    if (multi_preloaded(c)) {
        for (int j = 0; j < 2; j++) {
            const mx_tensor_s *t = c->in[nw * gs + j];
            if (t->ndim != 1 || t->size != nw || !mxi_dtype_is_float(t->dtype))
                return mxi_op_error(c, MX_ERR_INVALID, "%s must be a 1-d float array of num_weights=%d entries",
                                    j ? "wds (the last input)" : "lrs (the input before last)", nw);
        }
    } else {
        MXI_TRY(check_tuple_counts(c, nw, (const int[]){0, 1}, 2));
    }
    return check_groups(c, nw, gs, multi_is_mp(c));
}

static int multi_cpu(mx_call *c) {
    int nw = multi_nw(c), gs = multi_group(c), mom = multi_has_mom(c), mp = multi_is_mp(c);
    const mx_tensor_s *lrs = multi_preloaded(c) ? c->in[nw * gs] : NULL, *wds = lrs ? c->in[nw * gs + 1] : NULL;
    for (int k = 0; k < nw; k++) {
        /* the kernel sees (weight, grad, [mom]); a multi_mp group's master copy is its weight */
        int wi = k * gs, nk = gs - mp;
        MXI_TRY(check_kernel_dtypes(c, wi, nk));
        opt_args a = {0};
        fill_ptrs(c, &a, wi, nk);
        mx_tensor_s *w32 = mp ? c->in[wi + gs - 1] : NULL;
        if (w32) a.w = mxi_data(w32);
        a.out = mxi_data(c->out[k]);
        a.lr = lrs ? mxi_fget(lrs, k) : c->attrs[0].fv[k];
        a.wd = wds ? mxi_fget(wds, k) : c->attrs[1].fv[k];
        a.rs = multi_attr_from_end(c, 3), a.cl = multi_attr_from_end(c, 2);
        int dt = w32 ? MX_FLOAT32 : c->in[wi]->dtype;
        if (mom) {
            a.p0 = multi_attr_from_end(c, 4);
            sgd_mom_run(dt, &a, c->in[wi]->size);
        } else {
            sgd_run(dt, &a, c->in[wi]->size);
        }
        if (w32) { /* the master takes the result; invoke.c casts the output to the weight's dtype */
            memcpy(mxi_data(w32), a.out, sizeof(float) * (size_t)w32->size);
            mxi_bump_version(w32);
        }
    }
    return MX_OK;
}

/* ---- multi_[mp_]adamw_update and multi_[mp_]lamb_update ----
 * num_weights (num_tensors) groups (weight, grad, mean, var[, weight32]) in one
 * call, each updated as its single-weight op would; one output per weight. The
 * multi_mp_ variants read and update the float32 master weight32 and return it
 * in the weight's dtype. Attribute order and names are MXNet's. */
static int adam_group(const mx_call *c) { return 4 + multi_is_mp(c); }

/* 1-element rescale_grad array at input i */
static int check_rescale_input(mx_call *c, int i) {
    if (c->in[i]->size != 1)
        return mxi_op_error(c, MX_ERR_INVALID, "rescale_grad (input %d) must be a 1-element array, got %lld elements",
                            i, (long long)c->in[i]->size);
    return MX_OK;
}

/* multi_adamw: the last input is rescale_grad (1 element, as adamw_update's) */
enum { MAW_LRS, MAW_B1, MAW_B2, MAW_EPS, MAW_WDS, MAW_ETAS, MAW_CL, MAW_NW };
static const mx_attr_spec multi_adamw_attrs[] = {
    A_LRS,
    A_BETA1, A_BETA2,
    A_EPS("1e-08"),
    ATTR("wds", MX_ATTR_FLOATS, NULL, "Decoupled weight decays, one per weight: the update subtracts eta*wd*weight."),
    ATTR("etas", MX_ATTR_FLOATS, NULL, "Learning rate schedule multipliers, one per weight."),
    A_CLIP, A_NUM_WEIGHTS,
};
static int multi_adamw_nin(const mx_call *c) { return multi_nw(c) * adam_group(c) + 1; }

static int multi_adamw_infer(mx_call *c) {
    int nw = multi_nw(c);
    MXI_TRY(check_tuple_counts(c, nw, (const int[]){MAW_LRS, MAW_WDS, MAW_ETAS}, 3));
    MXI_TRY(check_rescale_input(c, nw * adam_group(c)));
    return check_groups(c, nw, adam_group(c), multi_is_mp(c));
}

static int multi_adamw_cpu(mx_call *c) {
    int nw = multi_nw(c), gs = adam_group(c), mp = multi_is_mp(c);
    const mx_tensor_s *rs = c->in[nw * gs];
    for (int k = 0; k < nw; k++) {
        opt_args a = {0};
        a.lr = c->attrs[MAW_LRS].fv[k], a.wd = c->attrs[MAW_WDS].fv[k], a.p3 = c->attrs[MAW_ETAS].fv[k];
        a.p0 = AT(MAW_B1), a.p1 = AT(MAW_B2), a.p2 = AT(MAW_EPS), a.cl = AT(MAW_CL);
        a.rs = mxi_load_as_double(mxi_data(rs), rs->dtype, 0);
        MXI_TRY(adamw_group(c, k * gs, mp, c->out[k], a));
    }
    return MX_OK;
}

/* multi_lamb: per tensor, phase 1 (the direction g into scratch), then phase 2
 * with the trust ratio ||weight|| / ||g||. As MXNet's kernel, ||weight|| is the
 * norm of the weight input, also in the mp variant (not of weight32). */
enum { MLB_LRS, MLB_B1, MLB_B2, MLB_EPS, MLB_WDS, MLB_RS, MLB_LO, MLB_HI, MLB_CL, MLB_BC, MLB_STEPS, MLB_NT };
static const mx_attr_spec multi_lamb_attrs[] = {
    ATTR("learning_rates", MX_ATTR_FLOATS, NULL, "Learning rates, one per tensor."),
    A_BETA1, A_BETA2,
    A_EPS("1e-06"),
    ATTR("wds", MX_ATTR_FLOATS, NULL, "Weight decays, one per tensor: wd*weight is added to the direction."),
    A_RESCALE,
    ATTR("lower_bound", MX_ATTR_FLOAT, "-1.0", "Lower limit of the weight norm; negative means none."),
    ATTR("upper_bound", MX_ATTR_FLOAT, "-1.0", "Upper limit of the weight norm; negative means none."),
    A_CLIP,
    ATTR("bias_correction", MX_ATTR_BOOL, "True", "Whether to use bias correction."),
    ATTR("step_count", MX_ATTR_SHAPE, NULL, "Index of this update (1-based) of each tensor, for bias correction."),
    {.name = "num_tensors", .type = MX_ATTR_INT, .def = "1", .doc = "Number of updated tensors.", .bounded = 1,
     .lo = 1, .hi = MX_MAX_TUPLE},
};
static int multi_lamb_nin(const mx_call *c) { return multi_nw(c) * adam_group(c); }

static int multi_lamb_infer(mx_call *c) {
    int nt = multi_nw(c);
    MXI_TRY(check_tuple_counts(c, nt, (const int[]){MLB_LRS, MLB_WDS, MLB_STEPS}, 3));
    for (int k = 0; k < nt; k++)
        if (c->attrs[MLB_STEPS].v[k] < 1)
            return mxi_op_error(c, MX_ERR_INVALID, "step_count[%d] is %lld, expected a step count >= 1", k,
                                (long long)c->attrs[MLB_STEPS].v[k]);
    return check_groups(c, nt, adam_group(c), multi_is_mp(c));
}

static double sum_sq(const void *p, int dtype, int64_t n) {
    double s = 0;
    for (int64_t i = 0; i < n; i++) {
        double x = dtype == MX_FLOAT64 ? ((const double *)p)[i] : (double)((const float *)p)[i];
        s += x * x;
    }
    return s;
}

static int multi_lamb_cpu(mx_call *c) {
    int nt = multi_nw(c), gs = adam_group(c), mp = multi_is_mp(c);
    for (int k = 0; k < nt; k++) {
        int wi = k * gs;
        MXI_TRY(check_kernel_dtypes(c, wi, 4));
        mx_tensor_s *w = c->in[wi], *kw = mp ? c->in[wi + 4] : w; /* kw: the weight the kernels read */
        if (!kw->size) continue;
        size_t bytes = (size_t)kw->size * mxi_dtype_size(kw->dtype);
        void *g = mxi_scratch_alloc(bytes);
        if (!g) return mxi_op_error(c, MX_ERR_MEMORY, "cannot allocate %zu bytes for tensor %d's direction", bytes, k);
        double r1 = sqrt(sum_sq(mxi_data(w), w->dtype, w->size));
        opt_args a = {0};
        fill_ptrs(c, &a, wi, 4);
        a.w = mxi_data(kw);
        a.out = g;
        lamb1_scalars(&a, AT(MLB_B1), AT(MLB_B2), AT(MLB_EPS), (double)c->attrs[MLB_STEPS].v[k],
                      (int)c->attrs[MLB_BC].i);
        a.wd = c->attrs[MLB_WDS].fv[k], a.rs = AT(MLB_RS), a.cl = AT(MLB_CL);
        lamb1_run(kw->dtype, &a, kw->size);
        double r2 = sqrt(sum_sq(g, kw->dtype, kw->size));
        double step = c->attrs[MLB_LRS].fv[k] * lamb_ratio(r1, r2, AT(MLB_LO), AT(MLB_HI));
        lamb2_apply(kw, mp, g, c->out[k], step);
        mxi_scratch_free(g, bytes);
    }
    return MX_OK;
}

/* ---- group_adagrad_update (MXNet's contrib GroupAdaGrad, dense here) ----
 * One history entry per row (first axis) of the weight: history += mean over the
 * row of g^2, g = clip(rescale_grad*grad); weight -= lr * g / sqrt(history + eps).
 * p0 epsilon, p1 the row length; the range is over rows. */
#define GROUP_ADAGRAD_T(FN, T)                                                   \
    static void FN(void *ctx, int64_t b, int64_t e) {                            \
        const opt_args *a = ctx;                                                 \
        const T *w = a->w, *g = a->g;                                            \
        T *h = a->s0, *o = a->out;                                               \
        const int64_t n = (int64_t)a->p1;                                        \
        const T lr = (T)a->lr, rs = (T)a->rs, cl = (T)a->cl, eps = (T)a->p0;     \
        for (int64_t r = b; r < e; r++) {                                        \
            const int64_t base = r * n;                                          \
            T ss = 0;                                                            \
            for (int64_t j = 0; j < n; j++) {                                    \
                T x = CLIPV(rs * g[base + j]);                                   \
                ss += x * x;                                                     \
            }                                                                    \
            T hist = h[r] + (n ? ss / (T)n : (T)0);                              \
            h[r] = hist;                                                         \
            T d = (T)sqrt(hist + eps);                                           \
            for (int64_t j = 0; j < n; j++)                                      \
                o[base + j] = w[base + j] - CLIPV(rs * g[base + j]) / d * lr;    \
        }                                                                        \
    }
GROUP_ADAGRAD_T(group_adagrad_f32, float)
GROUP_ADAGRAD_T(group_adagrad_f64, double)

enum { GA_LR, GA_RS, GA_CL, GA_EPS };
static const mx_attr_spec group_adagrad_attrs[] = {
    A_LR, A_RESCALE, A_CLIP,
    ATTR("epsilon", MX_ATTR_FLOAT, "1e-05", "Added to the history under the square root for numerical stability."),
};

static int group_adagrad_infer(mx_call *c) {
    const mx_tensor_s *w = c->in[0], *h = c->in[2];
    char a[128], b[128];
    MXI_TRY(check_group(c, 0, 2));
    if (w->ndim < 1)
        return mxi_op_error(c, MX_ERR_INVALID, "weight must have at least 1 dimension (rows), got shape %s",
                            mxi_shape_str(w->shape, w->ndim, a, sizeof a));
    if (h->ndim < 1 || h->shape[0] != w->shape[0] || h->size != w->shape[0])
        return mxi_op_error(c, MX_ERR_INVALID, "history has shape %s, expected one entry per row of the weight %s: "
                            "(%lld, 1) or (%lld,)", mxi_shape_str(h->shape, h->ndim, a, sizeof a),
                            mxi_shape_str(w->shape, w->ndim, b, sizeof b), (long long)w->shape[0],
                            (long long)w->shape[0]);
    if (h->dtype != w->dtype || !mxi_is_contiguous(h))
        return mxi_op_error(c, MX_ERR_DTYPE, "history must be a contiguous array of the weight's dtype %s, got %s",
                            mxi_dtype_name(w->dtype), mxi_dtype_name(h->dtype));
    mxi_same_as_in(c, 0, 0);
    return MX_OK;
}

static int group_adagrad_cpu(mx_call *c) {
    MXI_TRY(check_kernel_dtypes(c, 0, 3));
    const mx_tensor_s *w = c->in[0];
    int64_t rows = w->shape[0], n = rows ? w->size / rows : 0;
    opt_args a = {0};
    fill_ptrs(c, &a, 0, 3);
    a.out = mxi_data(c->out[0]);
    a.lr = AT(GA_LR), a.rs = AT(GA_RS), a.cl = AT(GA_CL), a.p0 = AT(GA_EPS), a.p1 = (double)n;
    int64_t grain = n >= 16384 ? 1 : 16384 / (n ? n : 1);
    mxi_parallel_for(rows, grain, w->dtype == MX_FLOAT64 ? group_adagrad_f64 : group_adagrad_f32, &a);
    return MX_OK;
}

#define NA(x) (int)(sizeof x / sizeof x[0])
/* ---- lazy updates over a row_sparse gradient (MXNet's lazy_update=True) ----
 * Inputs: weight, the gradient's row_sparse components grad_data (k rows of the
 * weight's row shape) and grad_indices (k sorted unique int64 row ids), then
 * the states (the weight's shape). Only the k rows are updated, by the dense
 * kernel above run on each row: weight decay and state decay skip the other
 * rows, as MXNet's sparse kernels do. The output is the whole new weight. */
typedef void (*opt_range_fn)(void *ctx, int64_t b, int64_t e);

static int rsp_opt_infer(mx_call *c) {
    const mx_tensor_s *w = c->in[0], *gd = c->in[1], *gi = c->in[2];
    char a[128], b[128];
    if (!gi->storage) /* a graph's shape inference: no values to check the row ids with */
        return mxi_op_error(c, MX_ERR_UNSUPPORTED, "it checks the values of grad_indices, which a graph's shape "
                            "inference does not have: call it on arrays");
    if (!mxi_dtype_is_float(w->dtype) || w->dtype != gd->dtype || w->ndim < 1)
        return mxi_op_error(c, MX_ERR_DTYPE, "weight and grad_data must share a float dtype (weight %s, grad_data %s)",
                            mxi_dtype_name(w->dtype), mxi_dtype_name(gd->dtype));
    if (gi->ndim != 1 || gi->dtype != MX_INT64)
        return mxi_op_error(c, MX_ERR_INVALID, "grad_indices must be a 1-d int64 array, got %s %s",
                            mxi_shape_str(gi->shape, gi->ndim, a, sizeof a), mxi_dtype_name(gi->dtype));
    int bad = gd->ndim != w->ndim || gd->shape[0] != gi->shape[0];
    for (int d = 1; !bad && d < w->ndim; d++) bad = gd->shape[d] != w->shape[d];
    if (bad)
        return mxi_op_error(c, MX_ERR_INVALID, "grad_data %s must be (len(grad_indices), weight.shape[1:]) for weight %s",
                            mxi_shape_str(gd->shape, gd->ndim, a, sizeof a), mxi_shape_str(w->shape, w->ndim, b, sizeof b));
    const int64_t *ix = MXI_PTR(const int64_t, gi);
    for (int64_t k = 0; k < gi->shape[0]; k++)
        if (ix[k] < 0 || ix[k] >= w->shape[0] || (k && ix[k] <= ix[k - 1]))
            return mxi_op_error(c, MX_ERR_INVALID, "grad_indices must be sorted, unique and in [0, %lld); got %lld at %lld",
                                (long long)w->shape[0], (long long)ix[k], (long long)k);
    for (int k = 3; k < c->n_in; k++) {
        const mx_tensor_s *t = c->in[k];
        if (!same_shape(t, w) || t->dtype != w->dtype || !mxi_is_contiguous(t))
            return mxi_op_error(c, MX_ERR_INVALID, "state %d (%s %s) must be contiguous with the weight's shape %s and "
                                "dtype %s", k, mxi_shape_str(t->shape, t->ndim, a, sizeof a), mxi_dtype_name(t->dtype),
                                mxi_shape_str(w->shape, w->ndim, b, sizeof b), mxi_dtype_name(w->dtype));
    }
    mxi_same_as_in(c, 0, 0);
    return MX_OK;
}

static int rsp_opt_run(mx_call *c, opt_args a, opt_range_fn f32, opt_range_fn f64) {
    const mx_tensor_s *w = c->in[0];
    size_t es = mxi_dtype_size(w->dtype);
    int64_t row = w->shape[0] ? w->size / w->shape[0] : 0;
    if (mxi_data(c->out[0]) != mxi_data(w)) memcpy(mxi_data(c->out[0]), mxi_data(w), (size_t)w->size * es);
    int nstate = c->n_in - 3;
    void **slots[3] = {&a.s0, &a.s1, &a.s2};
    for (int k = 0; k < nstate; k++) mxi_bump_version(c->in[3 + k]);
    const int64_t *ix = MXI_PTR(const int64_t, c->in[2]);
    opt_range_fn fn = w->dtype == MX_FLOAT64 ? f64 : f32;
    for (int64_t r = 0; r < c->in[2]->shape[0]; r++) {
        size_t off = (size_t)(ix[r] * row) * es;
        a.w = (char *)mxi_data(w) + off;
        a.out = (char *)mxi_data(c->out[0]) + off;
        a.g = (char *)mxi_data(c->in[1]) + (size_t)(r * row) * es;
        for (int k = 0; k < nstate; k++) *slots[k] = (char *)mxi_data(c->in[3 + k]) + off;
        fn(&a, 0, row);
    }
    return MX_OK;
}

static int rsp_sgd_cpu(mx_call *c) {
    opt_args a = {0};
    a.lr = AT(SGD_LR), a.wd = AT(SGD_WD), a.rs = AT(SGD_RS), a.cl = AT(SGD_CL);
    return rsp_opt_run(c, a, sgd_f32, sgd_f64);
}
static int rsp_sgd_mom_cpu(mx_call *c) {
    opt_args a = {0};
    SM_SETUP
    return rsp_opt_run(c, a, sgd_mom_f32, sgd_mom_f64);
}
static int rsp_adam_cpu(mx_call *c) {
    opt_args a = {0};
    a.lr = AT(AD_LR), a.p0 = AT(AD_B1), a.p1 = AT(AD_B2), a.p2 = AT(AD_EPS);
    a.wd = AT(AD_WD), a.rs = AT(AD_RS), a.cl = AT(AD_CL);
    return rsp_opt_run(c, a, adam_f32, adam_f64);
}
static int rsp_adagrad_cpu(mx_call *c) {
    opt_args a = {0};
    a.lr = AT(AG_LR), a.p0 = AT(AG_EPS), a.wd = AT(AG_WD), a.rs = AT(AG_RS), a.cl = AT(AG_CL);
    return rsp_opt_run(c, a, adagrad_f32, adagrad_f64);
}
static int rsp_ftrl_cpu(mx_call *c) {
    opt_args a = {0};
    a.lr = AT(FT_LR), a.p0 = AT(FT_L1), a.p1 = AT(FT_BETA), a.wd = AT(FT_WD), a.rs = AT(FT_RS), a.cl = AT(FT_CL);
    return rsp_opt_run(c, a, ftrl_f32, ftrl_f64);
}

#define RSP_OPT(NM, DOC, STATES, ATTRS, CPU, MUT)                                                             \
    {.name = NM, .doc = DOC, .inputs = "weight,grad_data,grad_indices" STATES, .num_outputs = 1, .attrs = ATTRS, \
     .n_attrs = NA(ATTRS), .infer = rsp_opt_infer, .cpu = CPU,                                                   \
     .flags = OPT_FLAGS | MX_OPF_INTERNAL | MX_OPF_NO_INPUT_CAST, .dtypes = MX_DT_ALL, .mutates = MUT}

#define OPT(NM, AL, DOC, IN, ATTRS, INFER, CPU, MUT)                                                         \
    {.name = NM, .aliases = AL, .doc = DOC, .inputs = IN, .num_outputs = 1, .attrs = ATTRS, .n_attrs = NA(ATTRS), \
     .infer = INFER, .cpu = CPU, .flags = OPT_FLAGS, .dtypes = MX_DT_FLOAT, .mutates = MUT}

/* a multi-weight op: interleaved inputs, one output per weight */
#define MULTI_OP_OF(NM, AL, DOC, NIN, ATTRS, INFER, CPU, MUT)                                                \
    {.name = NM, .aliases = AL, .doc = DOC, .inputs = "*data", .num_inputs_fn = NIN, .num_outputs_fn = multi_nout, \
     .attrs = ATTRS, .n_attrs = NA(ATTRS), .infer = INFER, .cpu = CPU, .flags = OPT_FLAGS, .dtypes = MX_DT_FLOAT, \
     .mutates = MUT}
#define MULTI_OP(NM, DOC, ATTRS, MUT) MULTI_OP_OF(NM, NULL, DOC, multi_nin, ATTRS, multi_infer, multi_cpu, MUT)

/* bits 2, 5, 8, ...: the momentum (or master copy) of each (weight, grad, mom) triple */
#define EVERY_THIRD_FROM_2 0x4924924924924924ULL
/* bits 2, 3, 6, 7, ...: the momentum and master copy of each (weight, grad, mom, weight32), or the mean and
 * var of each (weight, grad, mean, var) */
#define MOM_AND_MASTER_OF_QUADS 0xCCCCCCCCCCCCCCCCULL
/* bits 2, 3, 4, 7, 8, 9, ...: mean, var and master copy of each (weight, grad, mean, var, weight32) */
#define LAST_THREE_OF_QUINTS 0xCE739CE739CE739CULL

static const mx_op_def ops[] = {
    OPT("sgd_update", NULL, "SGD update: weight = (1 - lr*wd)*weight - lr*clip(rescale_grad*grad).", "weight,grad",
        sgd_attrs, infer_all, sgd_cpu, 0),
    OPT("sgd_mom_update", NULL,
        "SGD with momentum: mom = momentum*mom - lr*wd*weight - lr*clip(rescale_grad*grad); weight += mom. "
        "mom is updated in place.",
        "weight,grad,mom", sgd_mom_attrs, infer_all, sgd_mom_cpu, 1u << 2),
    OPT("mp_sgd_update", NULL,
        "sgd_update on the float32 master copy weight32 (updated in place); returns it in the weight's dtype.",
        "weight,grad,weight32", sgd_attrs, infer_mp, mp_sgd_cpu, 1u << 2),
    OPT("mp_sgd_mom_update", NULL,
        "sgd_mom_update on the float32 master copy weight32 (it and mom updated in place); returns the new "
        "weight32 in the weight's dtype.",
        "weight,grad,mom,weight32", sgd_mom_attrs, infer_mp, mp_sgd_mom_cpu, (1u << 2) | (1u << 3)),
    OPT("nag_mom_update", NULL,
        "Nesterov momentum (MXNet's velocity form): g = clip(rescale_grad*grad) + wd*weight; "
        "weight += momentum*(momentum*mom - lr*g) - lr*g; then mom = momentum*mom - lr*(clip(rescale_grad*grad) "
        "+ wd*weight), reading the weight again (the new one when out=weight). mom is updated in place.",
        "weight,grad,mom", nag_attrs, infer_all, nag_mom_cpu, 1u << 2),
    OPT("mp_nag_mom_update", NULL,
        "nag_mom_update on the float32 master copy weight32 (it and mom updated in place); returns the new "
        "weight32 in the weight's dtype.",
        "weight,grad,mom,weight32", nag_attrs, infer_mp, mp_nag_mom_cpu, (1u << 2) | (1u << 3)),
    OPT("ftml_update", NULL,
        "FTML update: g = clip(rescale_grad*grad + wd*weight, clip_grad); v = beta2*v + (1-beta2)*g^2; d' = "
        "(1-beta1^t)/lr * (sqrt(v/(1-beta2^t)) + epsilon); z = beta1*z + (1-beta1)*g - (d' - beta1*d)*weight; "
        "weight = -z/d'. d, v, z are updated in place.",
        "weight,grad,d,v,z", ftml_attrs, infer_all, ftml_cpu, (1u << 2) | (1u << 3) | (1u << 4)),
    OPT("adam_update", NULL,
        "Adam update (no bias correction; fold it into lr): g = clip(rescale_grad*grad + wd*weight); mean, var are "
        "updated in place; weight -= lr*mean/(sqrt(var) + epsilon).",
        "weight,grad,mean,var", adam_attrs, infer_all, adam_cpu, (1u << 2) | (1u << 3)),
    {.name = "adamw_update", .aliases = "_adamw_update,_contrib_adamw_update",
     .doc = "AdamW update with decoupled weight decay: weight -= eta*(lr*mean/(sqrt(var)+epsilon) + wd*weight). "
            "rescale_grad is a 1-element array; the update is skipped when it is not finite or 0. mean, var are "
            "updated in place.",
     .inputs = "weight,grad,mean,var,rescale_grad", .num_outputs = 1, .attrs = adamw_attrs, .n_attrs = NA(adamw_attrs),
     .infer = adamw_infer, .cpu = adamw_cpu, .flags = OPT_FLAGS, .dtypes = MX_DT_FLOAT,
     .mutates = (1u << 2) | (1u << 3)},
    {.name = "mp_adamw_update", .aliases = "_mp_adamw_update,_contrib_mp_adamw_update",
     .doc = "adamw_update on the float32 master copy weight32 (it, mean and var updated in place); returns the new "
            "weight32 in the weight's dtype. rescale_grad is a 1-element array.",
     .inputs = "weight,grad,mean,var,weight32,rescale_grad", .num_outputs = 1, .attrs = adamw_attrs,
     .n_attrs = NA(adamw_attrs), .infer = adamw_infer, .cpu = adamw_cpu, .flags = OPT_FLAGS, .dtypes = MX_DT_FLOAT,
     .mutates = (1u << 2) | (1u << 3) | (1u << 4)},
    OPT("rmsprop_update", NULL,
        "RMSProp (Tieleman & Hinton): n = (1-gamma1)*g^2 + gamma1*n; weight -= lr*g/sqrt(n + epsilon). n is updated "
        "in place.",
        "weight,grad,n", rmsprop_attrs, infer_all, rmsprop_cpu, 1u << 2),
    OPT("rmspropalex_update", NULL,
        "RMSProp as in Graves (2013) with momentum: states n, g, delta are updated in place.",
        "weight,grad,n,g,delta", rmspropalex_attrs, infer_all, rmspropalex_cpu, (1u << 2) | (1u << 3) | (1u << 4)),
    RSP_OPT("_sparse_rsp_sgd_update", "sgd_update of the rows of a row_sparse gradient only (lazy update).", "",
            sgd_attrs, rsp_sgd_cpu, 0),
    RSP_OPT("_sparse_rsp_sgd_mom_update", "sgd_mom_update of the rows of a row_sparse gradient only (lazy update); "
            "mom is updated in place on those rows.", ",mom", sgd_mom_attrs, rsp_sgd_mom_cpu, 1u << 3),
    RSP_OPT("_sparse_rsp_adam_update", "adam_update of the rows of a row_sparse gradient only (lazy update); mean, "
            "var are updated in place on those rows.", ",mean,var", adam_attrs, rsp_adam_cpu, (1u << 3) | (1u << 4)),
    RSP_OPT("_sparse_rsp_adagrad_update", "adagrad_update of the rows of a row_sparse gradient only; history is "
            "updated in place on those rows.", ",history", adagrad_attrs, rsp_adagrad_cpu, 1u << 3),
    RSP_OPT("_sparse_rsp_ftrl_update", "ftrl_update of the rows of a row_sparse gradient only; z, n are updated in "
            "place on those rows.", ",z,n", ftrl_attrs, rsp_ftrl_cpu, (1u << 3) | (1u << 4)),
    OPT("adagrad_update", "_sparse_adagrad_update",
        "AdaGrad: history += g^2; weight -= lr*g/(sqrt(history) + epsilon). history is updated in place.",
        "weight,grad,history", adagrad_attrs, infer_all, adagrad_cpu, 1u << 2),
    OPT("adadelta_update", NULL,
        "AdaDelta (Zeiler 2012): acc_g and acc_delta are updated in place; weight -= delta + wd*weight.",
        "weight,grad,acc_g,acc_delta", adadelta_attrs, infer_all, adadelta_cpu, (1u << 2) | (1u << 3)),
    OPT("ftrl_update", NULL, "FTRL-Proximal update; z and n are updated in place.", "weight,grad,z,n", ftrl_attrs,
        infer_all, ftrl_cpu, (1u << 2) | (1u << 3)),
    OPT("signsgd_update", NULL, "SignSGD: weight = (1 - lr*wd)*weight - lr*sign(grad).", "weight,grad",
        signsgd_attrs, infer_all, signsgd_cpu, 0),
    OPT("signum_update", NULL,
        "Signum: mom = momentum*mom - (1-momentum)*(wd*weight + clip(rescale_grad*grad)); "
        "weight = (1 - lr*wd_lh)*weight + lr*sign(mom). mom is updated in place.",
        "weight,grad,mom", signum_attrs, infer_all, signum_cpu, 1u << 2),
    OPT("lamb_update_phase1", NULL,
        "LAMB phase 1: updates mean, var in place and returns the direction "
        "g = mean_hat/(sqrt(var_hat)+epsilon) + wd*weight.",
        "weight,grad,mean,var", lamb1_attrs, infer_all, lamb1_cpu, (1u << 2) | (1u << 3)),
    OPT("mp_lamb_update_phase1", NULL,
        "lamb_update_phase1 on the float32 master copy weight32: the direction g (float32); mean, var are updated "
        "in place.",
        "weight,grad,mean,var,weight32", lamb1_attrs, mp_lamb1_infer, mp_lamb1_cpu, (1u << 2) | (1u << 3)),
    OPT("mp_lamb_update_phase2", NULL,
        "lamb_update_phase2 on the float32 master copy weight32 (updated in place); returns it in the weight's "
        "dtype.",
        "weight,g,r1,r2,weight32", lamb2_attrs, lamb2_infer, lamb2_cpu, 1u << 4),
    OPT("lamb_update_phase2", NULL,
        "LAMB phase 2: weight -= lr * (r1/r2) * g, with r1 (weight norm, optionally bounded) and r2 (norm of g) as "
        "1-element arrays; ratio 1 when either is 0.",
        "weight,g,r1,r2", lamb2_attrs, lamb2_infer, lamb2_cpu, 0),
    MULTI_OP("multi_sgd_update", "SGD update of num_weights weights at once; inputs interleaved (weight0, grad0, "
             "weight1, grad1, ...), one output per weight.", multi_sgd_attrs, 0),
    MULTI_OP("multi_sgd_mom_update", "SGD-with-momentum update of num_weights weights at once; inputs interleaved "
             "(weight0, grad0, mom0, weight1, ...); moms are updated in place; one output per weight.",
             multi_sgd_mom_attrs, EVERY_THIRD_FROM_2),
    MULTI_OP("multi_mp_sgd_update", "multi_sgd_update with a float32 master copy per weight: inputs interleaved "
             "(weight0, grad0, weight32_0, weight1, ...); the masters are updated in place and returned in the "
             "weights' dtype.", multi_sgd_attrs, EVERY_THIRD_FROM_2),
    MULTI_OP("multi_mp_sgd_mom_update", "multi_sgd_mom_update with a float32 master copy per weight: inputs "
             "interleaved (weight0, grad0, mom0, weight32_0, weight1, ...); moms and masters are updated in place, "
             "the masters returned in the weights' dtype.", multi_sgd_mom_attrs, MOM_AND_MASTER_OF_QUADS),
    MULTI_OP_OF("multi_adamw_update", "_multi_adamw_update,_contrib_multi_adamw_update",
                "adamw_update of num_weights weights at once: inputs interleaved (weight0, grad0, mean0, var0, "
                "weight1, ...) then rescale_grad (1 element; the update is skipped when it is not finite or 0); lrs, wds, etas "
                "have one entry per weight. means and vars are updated in place; one output per weight.",
                multi_adamw_nin, multi_adamw_attrs, multi_adamw_infer, multi_adamw_cpu, MOM_AND_MASTER_OF_QUADS),
    MULTI_OP_OF("multi_mp_adamw_update", "_multi_mp_adamw_update,_contrib_multi_mp_adamw_update",
                "multi_adamw_update with a float32 master copy per weight: inputs interleaved (weight0, grad0, mean0, "
                "var0, weight32_0, weight1, ...) then rescale_grad; means, vars and masters are updated in place, the "
                "masters returned in the weights' dtype.",
                multi_adamw_nin, multi_adamw_attrs, multi_adamw_infer, multi_adamw_cpu, LAST_THREE_OF_QUINTS),
    MULTI_OP_OF("multi_lamb_update", "_multi_lamb_update,_contrib_multi_lamb_update",
                "LAMB update of num_tensors weights at once (both phases): inputs interleaved (weight0, grad0, mean0, "
                "var0, weight1, ...); per tensor g = mean_hat/(sqrt(var_hat)+epsilon) + wd*weight, then "
                "weight -= lr * (||weight||/||g||) * g (ratio 1 when a norm is 0; ||weight|| clamped to the bounds). "
                "means and vars are updated in place; one output per weight.",
                multi_lamb_nin, multi_lamb_attrs, multi_lamb_infer, multi_lamb_cpu, MOM_AND_MASTER_OF_QUADS),
    MULTI_OP_OF("multi_mp_lamb_update", "_multi_mp_lamb_update,_contrib_multi_mp_lamb_update",
                "multi_lamb_update with a float32 master copy per weight: inputs interleaved (weight0, grad0, mean0, "
                "var0, weight32_0, weight1, ...); the update reads the masters (the trust ratio's ||weight|| is the "
                "norm of the weight input, as in MXNet); means, vars and masters are updated in place, the masters "
                "returned in the weights' dtype.",
                multi_lamb_nin, multi_lamb_attrs, multi_lamb_infer, multi_lamb_cpu, LAST_THREE_OF_QUINTS),
    OPT("group_adagrad_update", "_contrib_group_adagrad_update",
        "Group AdaGrad (dense form of MXNet's row_sparse contrib op): g = clip(rescale_grad*grad); history, one "
        "entry per row, += mean(g^2) over the row; weight -= lr * g / sqrt(history + epsilon). history ((rows, 1) "
        "or (rows,)) is updated in place. No weight decay.",
        "weight,grad,history", group_adagrad_attrs, group_adagrad_infer, group_adagrad_cpu, 1u << 2),
    MULTI_OP("preloaded_multi_sgd_update", "multi_sgd_update with the learning rates and weight decays as the last "
             "two inputs (lrs, wds: num_weights entries each).", preloaded_sgd_attrs, 0),
    MULTI_OP("preloaded_multi_sgd_mom_update", "multi_sgd_mom_update with the learning rates and weight decays as "
             "the last two inputs (lrs, wds).", preloaded_sgd_mom_attrs, EVERY_THIRD_FROM_2),
    MULTI_OP("preloaded_multi_mp_sgd_update", "multi_mp_sgd_update with the learning rates and weight decays as the "
             "last two inputs (lrs, wds).", preloaded_sgd_attrs, EVERY_THIRD_FROM_2),
    MULTI_OP("preloaded_multi_mp_sgd_mom_update", "multi_mp_sgd_mom_update with the learning rates and weight "
             "decays as the last two inputs (lrs, wds).", preloaded_sgd_mom_attrs, MOM_AND_MASTER_OF_QUADS),
};

void mxi_register_optimizer(void) { mxi_register_ops(ops, (int)(sizeof ops / sizeof ops[0])); }
