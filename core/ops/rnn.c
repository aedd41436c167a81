/* rnn.c — op family "rnn": the fused multi-layer RNN op (rnn_relu, rnn_tanh,
 * lstm, gru; uni- or bidirectional; dropout between layers) with MXNet's flat
 * parameter layout, its internal BPTT op `_backward_RNN`, and `_rnn_param_flat`,
 * which builds the fused parameter vector for Gluon's eager layers.
 *
 * Parameter vector (as MXNet's fused RNN): for each layer, for each
 * direction, i2h weight (ng*H, I_l) then h2h weight (ng*H, P) and, with an
 * LSTM projection (LSTMP), h2r weight (P, H); after all weights, for each
 * layer and direction i2h bias (ng*H) then h2h bias (ng*H). P is
 * projection_size (else H): the recurrent state h and each direction's
 * output have P elements, h = W_r (o * tanh(c)), the cell c keeps H.
 * Gate order: LSTM i, f, g, o; GRU r, z, n with
 * n = tanh(W_in x + b_in + r * (W_hn h + b_hn)).
 *
 * use_sequence_length=True adds a (batch,) input of lengths: a sample's
 * recurrence runs over its first len steps only (the reverse direction
 * starts at step len-1), outputs past len are 0 and hy/cy are the states
 * after its last valid step (cuDNN's padded-sequence semantics, what MXNet
 * documents; MXNet 1.9.1's own CPU kernel ignores the lengths). Invalid
 * steps carry the state unchanged in the reserve, so BPTT passes the state
 * gradients through them untouched.
 *
 * Forward: one GEMM projects all time steps of a layer's input, then one
 * h2h GEMM per step accumulates into that step's gates. The forward writes
 * its gates, cells and hidden layer outputs to a reserve (like cuDNN's
 * reserve space). `_rnn_with_reserve` is RNN that returns the reserve as a
 * hidden last output, so its `_backward_RNN` reads it instead of recomputing
 * the forward; Gluon's eager layers use it. The public RNN keeps MXNet's
 * outputs (graphs and exports name it), and its backward recomputes the
 * forward into a scratch reserve. BPTT runs one GEMM per step
 * for the recurrent grad; the weight/bias grads of all steps are one GEMM
 * each. The per-step loops run on the pool split by batch rows (rows never
 * interact), so a layer's recurrence needs no per-step synchronisation. */
#if defined(__GNUC__) && !defined(__clang__)
/* Let GCC if-convert the selects in the gate loops (clamps, tanh's branch)
 * and vectorize them; FP exceptions are never unmasked in mxcore. Clang
 * already compiles this way by default. */
#pragma GCC optimize("no-trapping-math")
#endif
#include <math.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "../../backends/cpu/cpu.h"
#include "../op.h"
#include "fast_mathf.h"

enum { RNN_RELU, RNN_TANH, RNN_LSTM, RNN_GRU };

typedef struct {
    int mode, state_outputs, dropout, clip, proj, use_len; /* proj: LSTM projection; use_len: lengths input */
    int64_t S, N, I, H, P, L, D, ng; /* S: sequence length; P: state/output size per direction */
    double p, clip_min, clip_max;
    const mx_call *rng;  /* dropout stream */
    const int64_t *len;  /* use_sequence_length: (N,) lengths in [0, S], else NULL */
} rnn_cfg;

/* elements of one (layer, direction)'s weights: i2h, h2h[, h2r] */
static int64_t rnn_wblock(const rnn_cfg *c, int64_t l) {
    const int64_t G = c->ng * c->H;
    return G * ((l == 0 ? c->I : c->D * c->P) + c->P) + (c->proj ? c->P * c->H : 0);
}
static int64_t rnn_wx_off(const rnn_cfg *c, int64_t l, int64_t d) {
    int64_t off = 0;
    for (int64_t ll = 0; ll < l; ll++) off += c->D * rnn_wblock(c, ll);
    return off + d * rnn_wblock(c, l);
}
static int64_t rnn_wh_off(const rnn_cfg *c, int64_t l, int64_t d) {
    return rnn_wx_off(c, l, d) + c->ng * c->H * (l == 0 ? c->I : c->D * c->P);
}
static int64_t rnn_wr_off(const rnn_cfg *c, int64_t l, int64_t d) { return rnn_wh_off(c, l, d) + c->ng * c->H * c->P; }
static int64_t rnn_weights_size(const rnn_cfg *c) { return rnn_wx_off(c, c->L, 0); }
static int64_t rnn_b_off(const rnn_cfg *c, int64_t l, int64_t d) {
    return rnn_weights_size(c) + (l * c->D + d) * 2 * c->ng * c->H;
}
static int64_t rnn_param_size(const rnn_cfg *c) { return rnn_b_off(c, c->L, 0); }

/* Run the per-batch-slice recurrence loops with AVX2/AVX-512 where the CPU
 * has them (GCC function multiversioning by CPU feature, resolved once at
 * load; the gate loops are 4-16 wide). The row kernels they call are
 * always_inline so they are compiled for the clone's ISA. */
#define MXI_RNN_CLONES MXI_CPU_CLONES
#define MXI_RNN_INLINE static inline __attribute__((always_inline))

/* the reserve keeps dropped-out layer inputs when dropout can apply */
static int rnn_has_xd(const rnn_cfg *c) { return c->p > 0 && c->L > 1; }

/* layers whose outputs the reserve keeps: all but the last, which is y;
 * with lengths also the last (y is zero past the lengths, BPTT needs the
 * carried states there) */
static int64_t rnn_ys_layers(const rnn_cfg *c) { return c->L - 1 + (c->use_len ? 1 : 0); }

/* Elements of the reserve (see rnn_kernels.h rnn_res). */
static int64_t rnn_reserve_size(const rnn_cfg *c) {
    const int64_t TN = c->S * c->N, K = c->L * c->D, TND = TN * c->D * c->P;
    int64_t n = K * TN * c->ng * c->H + rnn_ys_layers(c) * TND;
    if (c->mode == RNN_LSTM || c->mode == RNN_GRU) n += K * TN * c->H;
    if (c->proj) n += K * TN * c->H;
    if (rnn_has_xd(c)) n += (c->L - 1) * TND;
    return n;
}

/* whether step t is inside sample n's sequence */
static inline int rnn_valid(const rnn_cfg *c, int64_t t, int64_t n) { return !c->len || t < c->len[n]; }

/* exp for float without a libm call so the gate loops vectorize (fast_mathf.h) */
MXI_RNN_INLINE float rnn_expf(float x) { return mxi_expf(x); }

/* tanh for float without a libm call (fast_mathf.h) */
MXI_RNN_INLINE float rnn_tanhf(float x) { return mxi_tanhf(x); }

/* dropout keep decision for element i of the inter-layer stream */
static int rnn_keep(const rnn_cfg *c, int64_t i) {
    uint32_t w[4];
    mxi_philox(c->rng->rng_seed, c->rng->rng_offset + (uint64_t)i / 4, w);
    double u = (double)w[i % 4] * (1.0 / 4294967296.0);
    return u >= c->p;
}

#define T float
#define SFX f32
#define GEMM mxi_sgemm
#define EXPF rnn_expf
#define TANHF rnn_tanhf
#include "rnn_kernels.h"
#undef T
#undef SFX
#undef GEMM
#undef EXPF
#undef TANHF
#define T double
#define SFX f64
#define GEMM mxi_dgemm
#define EXPF exp
#define TANHF tanh
#include "rnn_kernels.h"
#undef T
#undef SFX
#undef GEMM
#undef EXPF
#undef TANHF

enum { R_STATE_SIZE, R_NUM_LAYERS, R_BIDIR, R_MODE, R_P, R_STATE_OUTPUTS, R_PROJ, R_CLIP_MIN, R_CLIP_MAX, R_CLIP_NAN,
       R_USE_SEQLEN, R_SEED, R_OFFSET, R_FWD_TRAINING, R_HAS_RESERVE };

#define RNN_ATTRS                                                                                                     \
    {"state_size", MX_ATTR_INT, NULL, "Size of the hidden state H.", NULL, 1, 1, 1e12},                               \
    {"num_layers", MX_ATTR_INT, NULL, "Number of stacked layers.", NULL, 1, 1, 1e6},                                  \
    {"bidirectional", MX_ATTR_BOOL, "False", "Run a second, time-reversed RNN per layer and concatenate outputs."},   \
    {"mode", MX_ATTR_ENUM, NULL, "Cell type: rnn_relu, rnn_tanh, lstm or gru.", "rnn_relu,rnn_tanh,lstm,gru"},        \
    {"p", MX_ATTR_FLOAT, "0", "Dropout probability applied to the outputs of every layer but the last (training).",   \
     NULL, 1, 0, 1},                                                                                                  \
    {"state_outputs", MX_ATTR_BOOL, "False", "Also return the final hidden state (and cell state for lstm)."},        \
    {"projection_size", MX_ATTR_OPT_INT, "None",                                                                      \
     "LSTM projection size P (LSTMP): h = W_r (o * tanh(c)) has P elements (mode lstm only; None: no projection).",  \
     NULL, 1, 1, 1e12},                                                                                               \
    {"lstm_state_clip_min", MX_ATTR_STR, "None", "Minimum value the LSTM cell state is clipped to (None: no clip)."}, \
    {"lstm_state_clip_max", MX_ATTR_STR, "None", "Maximum value the LSTM cell state is clipped to (None: no clip)."}, \
    {"lstm_state_clip_nan", MX_ATTR_BOOL, "False", "Accepted for compatibility (NaN cell states are left as is)."},   \
    {"use_sequence_length", MX_ATTR_BOOL, "False",                                                                    \
     "Take a last input sequence_length (batch,): each sample runs its first sequence_length steps; outputs past "     \
     "it are 0 and the final states are those of its last valid step."}

static const mx_attr_spec rnn_attrs[] = {RNN_ATTRS};
static const mx_attr_spec rnn_bwd_attrs[] = {
    RNN_ATTRS,
    {"seed", MX_ATTR_INT, "0", "Dropout stream key of the forward call."},
    {"offset", MX_ATTR_INT, "0", "Dropout stream counter of the forward call."},
    {"fwd_training", MX_ATTR_BOOL, "False", "Whether the forward call ran in training mode (applied dropout)."},
    {"has_reserve", MX_ATTR_BOOL, "False", "reserve and out inputs given (else the forward is recomputed)."},
};

static int rnn_num_inputs(const mx_call *c) {
    return (c->attrs[R_MODE].i == RNN_LSTM ? 4 : 3) + (c->attrs[R_USE_SEQLEN].i ? 1 : 0);
}
static int rnn_num_visible(const mx_call *c) {
    return c->attrs[R_STATE_OUTPUTS].i ? (c->attrs[R_MODE].i == RNN_LSTM ? 3 : 2) : 1;
}
/* _rnn_with_reserve: the visible outputs, then the hidden reserve */
static int rnn_res_num_outputs(const mx_call *c) { return rnn_num_visible(c) + 1; }
static int rnn_bwd_num_inputs(const mx_call *c) {
    return (c->attrs[R_HAS_RESERVE].i ? 9 : 7) + (c->attrs[R_USE_SEQLEN].i ? 1 : 0);
}

static int parse_clip(const mx_call *c, int a, double *v) {
    const char *s = c->attrs[a].s;
    if (!strcmp(s, "None") || !*s) return 0;
    char *end;
    *v = strtod(s, &end);
    if (end == s || *end) return -1;
    return 1;
}

/* Config from the attrs alone (sizes other than H, P, L, D are the data's). */
static void rnn_cfg_attrs(const mx_call *c, rnn_cfg *r) {
    memset(r, 0, sizeof *r);
    r->mode = (int)c->attrs[R_MODE].i;
    r->H = c->attrs[R_STATE_SIZE].i;
    r->L = c->attrs[R_NUM_LAYERS].i;
    r->D = c->attrs[R_BIDIR].i ? 2 : 1;
    r->ng = r->mode == RNN_LSTM ? 4 : r->mode == RNN_GRU ? 3 : 1;
    r->proj = !c->attrs[R_PROJ].is_none;
    r->P = r->proj ? c->attrs[R_PROJ].i : r->H;
    r->use_len = (int)c->attrs[R_USE_SEQLEN].i;
    r->p = c->attrs[R_P].f;
    r->state_outputs = (int)c->attrs[R_STATE_OUTPUTS].i;
}

/* Config from attrs and the (data, parameters, state[, state_cell]) inputs;
 * len_t is the sequence_length input (NULL without use_sequence_length). */
static int rnn_cfg_of(const mx_call *c, mx_tensor_s *const *in, const mx_tensor_s *len_t, rnn_cfg *r) {
    rnn_cfg_attrs(c, r);
    if (r->proj && r->mode != RNN_LSTM)
        return mxi_op_error(c, MX_ERR_INVALID, "projection_size=%lld needs mode='lstm', got mode='%s'",
                            (long long)r->P, r->mode == RNN_GRU ? "gru" : r->mode == RNN_TANH ? "rnn_tanh" : "rnn_relu");
    r->clip_min = -INFINITY;
    r->clip_max = INFINITY;
    int a = parse_clip(c, R_CLIP_MIN, &r->clip_min), b = parse_clip(c, R_CLIP_MAX, &r->clip_max);
    if (a < 0 || b < 0) return mxi_op_error(c, MX_ERR_INVALID, "lstm_state_clip_min/max must be a number or None");
    r->clip = (a || b) && r->mode == RNN_LSTM;
    if (r->p >= 1) return mxi_op_error(c, MX_ERR_INVALID, "dropout p must be < 1");
    const mx_tensor_s *x = in[0], *pr = in[1];
    if (x->ndim != 3)
        return mxi_op_error(c, MX_ERR_INVALID, "data must be 3-d (seq_length, batch, input_size), got %d-d", x->ndim);
    r->S = x->shape[0];
    r->N = x->shape[1];
    r->I = x->shape[2];
    int64_t want = rnn_param_size(r);
    if (pr->ndim != 1 || pr->shape[0] != want)
        return mxi_op_error(c, MX_ERR_INVALID, "parameters must be a vector of %lld elements for this configuration",
                            (long long)want);
    for (int i = 2; i < (r->mode == RNN_LSTM ? 4 : 3); i++) {
        /* h is (layers*directions, batch, P), the LSTM cell (.., .., H) */
        int64_t ss[3] = {r->L * r->D, r->N, i == 2 ? r->P : r->H};
        const mx_tensor_s *s = in[i];
        if (s->ndim != 3 || s->shape[0] != ss[0] || s->shape[1] != ss[1] || s->shape[2] != ss[2]) {
            char b2[64];
            return mxi_op_error(c, MX_ERR_INVALID, "%s must have shape %s (layers*directions, batch, %s)",
                                i == 2 ? "state" : "state_cell", mxi_shape_str(ss, 3, b2, sizeof b2),
                                i == 2 && r->proj ? "projection_size" : "state_size");
        }
    }
    if (len_t && (len_t->ndim != 1 || len_t->shape[0] != r->N)) {
        char b1[64], b2[64];
        return mxi_op_error(c, MX_ERR_INVALID, "sequence_length must have shape (%lld,) (the batch of data %s), got %s",
                            (long long)r->N, mxi_shape_str(x->shape, 3, b1, sizeof b1),
                            mxi_shape_str(len_t->shape, len_t->ndim, b2, sizeof b2));
    }
    return MX_OK;
}

/* The sequence_length input as integers in [0, S] (len: N elements). */
static int rnn_lengths(const mx_call *c, const mx_tensor_s *t, const rnn_cfg *r, int64_t *len) {
    for (int64_t n = 0; n < r->N; n++) {
        double v = mxi_load_as_double(mxi_data(t), t->dtype, n);
        if (!(v >= 0 && v <= (double)r->S) || v != floor(v))
            return mxi_op_error(c, MX_ERR_INVALID, "sequence_length[%lld] = %g must be an integer in [0, %lld]",
                                (long long)n, v, (long long)r->S);
        len[n] = (int64_t)v;
    }
    return MX_OK;
}

/* data, parameters and states share one dtype (sequence_length may differ) */
static int rnn_same_dtype(const mx_call *c, int n) {
    for (int i = 1; i < n; i++)
        if (c->in[i]->dtype != c->in[0]->dtype)
            return mxi_op_error(c, MX_ERR_DTYPE, "data, parameters and states must have one dtype, got %s and %s",
                                mxi_dtype_name(c->in[0]->dtype), mxi_dtype_name(c->in[i]->dtype));
    return MX_OK;
}

/* the sequence_length input of RNN / _rnn_with_reserve (last), or NULL */
static const mx_tensor_s *rnn_len_input(const mx_call *c) {
    return c->attrs[R_USE_SEQLEN].i ? c->in[c->n_in - 1] : NULL;
}

static int rnn_infer(mx_call *c) {
    MXI_TRY(rnn_same_dtype(c, c->n_in - (c->attrs[R_USE_SEQLEN].i ? 1 : 0)));
    rnn_cfg r;
    MXI_TRY(rnn_cfg_of(c, c->in, rnn_len_input(c), &r));
    int64_t os[3] = {r.S, r.N, r.D * r.P}, ss[3] = {r.L * r.D, r.N, r.P}, cs[3] = {r.L * r.D, r.N, r.H};
    int dt = c->in[0]->dtype;
    mxi_set_out(c, 0, os, 3, dt);
    const int nv = rnn_num_visible(c);
    for (int k = 1; k < nv; k++) mxi_set_out(c, k, k == 1 ? ss : cs, 3, dt);
    if (c->n_out > nv) {
        int64_t rs = rnn_reserve_size(&r);
        mxi_set_out(c, nv, &rs, 1, dt);
    }
    return MX_OK;
}

/* r.len from the sequence_length input t (NULL: none); *buf to free with len_free */
static int rnn_len_alloc(const mx_call *c, const mx_tensor_s *t, rnn_cfg *r, int64_t **buf) {
    *buf = NULL;
    if (!t) return MX_OK;
    *buf = mxi_scratch_alloc(sizeof(int64_t) * (size_t)(r->N + 1));
    if (!*buf) return mxi_error(MX_ERR_MEMORY, "RNN: out of memory for the sequence lengths");
    int rc = rnn_lengths(c, t, r, *buf);
    if (rc != MX_OK) {
        mxi_scratch_free(*buf, sizeof(int64_t) * (size_t)(r->N + 1));
        *buf = NULL;
        return rc;
    }
    r->len = *buf;
    return MX_OK;
}
static void rnn_len_free(const rnn_cfg *r, int64_t *buf) {
    if (buf) mxi_scratch_free(buf, sizeof(int64_t) * (size_t)(r->N + 1));
}

static int rnn_cpu(mx_call *c) {
    rnn_cfg r;
    int64_t *len;
    MXI_TRY(rnn_cfg_of(c, c->in, rnn_len_input(c), &r));
    MXI_TRY(rnn_len_alloc(c, rnn_len_input(c), &r, &len));
    r.dropout = c->training && r.p > 0 && r.L > 1;
    r.rng = c;
    const int lstm = r.mode == RNN_LSTM, nv = rnn_num_visible(c), dbl = c->in[0]->dtype == MX_FLOAT64;
    const size_t res_bytes = (dbl ? sizeof(double) : sizeof(float)) * (size_t)(rnn_reserve_size(&r) + 1);
    void *res = c->n_out > nv ? mxi_data(c->out[nv]) : mxi_scratch_alloc(res_bytes);
    if (!res) {
        rnn_len_free(&r, len);
        return mxi_error(MX_ERR_MEMORY, "RNN: out of memory for the workspace");
    }
#define RNN_FWD(SUF, TT)                                                                                             \
    rnn_forward_##SUF(&r, MXI_PTR(TT, c->in[0]), MXI_PTR(TT, c->in[1]), MXI_PTR(TT, c->in[2]),                        \
                      lstm ? MXI_PTR(TT, c->in[3]) : NULL, MXI_PTR(TT, c->out[0]),                                     \
                      nv > 1 ? MXI_PTR(TT, c->out[1]) : NULL, nv > 2 ? MXI_PTR(TT, c->out[2]) : NULL, (TT *)res)
    int rc = dbl ? RNN_FWD(f64, double) : RNN_FWD(f32, float);
#undef RNN_FWD
    if (c->n_out <= nv) mxi_scratch_free(res, res_bytes);
    rnn_len_free(&r, len);
    return rc;
}

/* _backward_RNN: (data, parameters, state, state_cell, ograd_out, ograd_hy,
 * ograd_cy[, reserve, out][, sequence_length]) -> (ddata, dparameters, dstate,
 * dstate_cell).
 * Non-LSTM modes pass state as state_cell; ograd_hy/cy are ignored unless
 * state_outputs. reserve and out (has_reserve=True) are the forward's hidden
 * output and output; without them the forward is recomputed. */
static int rnn_bwd_infer(mx_call *c) {
    MXI_TRY(rnn_same_dtype(c, c->n_in - (c->attrs[R_USE_SEQLEN].i ? 1 : 0)));
    rnn_cfg r;
    MXI_TRY(rnn_cfg_of(c, c->in, rnn_len_input(c), &r));
    if (c->attrs[R_HAS_RESERVE].i) {
        const mx_tensor_s *res = c->in[7], *y = c->in[8];
        if (res->ndim != 1 || res->shape[0] != rnn_reserve_size(&r))
            return mxi_op_error(c, MX_ERR_INVALID, "reserve must be the forward's hidden output (%lld elements)",
                                (long long)rnn_reserve_size(&r));
        if (y->ndim != 3 || y->shape[0] != r.S || y->shape[1] != r.N || y->shape[2] != r.D * r.P)
            return mxi_op_error(c, MX_ERR_INVALID, "out must be the forward's output (seq_length, batch, D*state_size)");
    }
    for (int k = 0; k < 4; k++) mxi_same_as_in(c, k, k);
    return MX_OK;
}

static int rnn_bwd_cpu(mx_call *c) {
    rnn_cfg r;
    int64_t *len;
    MXI_TRY(rnn_cfg_of(c, c->in, rnn_len_input(c), &r));
    MXI_TRY(rnn_len_alloc(c, rnn_len_input(c), &r, &len));
    c->rng_seed = (uint64_t)c->attrs[R_SEED].i;
    c->rng_offset = (uint64_t)c->attrs[R_OFFSET].i;
    r.dropout = c->attrs[R_FWD_TRAINING].i && r.p > 0 && r.L > 1;
    r.rng = c;
    const int lstm = r.mode == RNN_LSTM, given = (int)c->attrs[R_HAS_RESERVE].i, dbl = c->in[0]->dtype == MX_FLOAT64;
    const size_t es = dbl ? sizeof(double) : sizeof(float);
    const size_t res_bytes = es * (size_t)(rnn_reserve_size(&r) + 1), y_bytes = es * (size_t)(r.S * r.N * r.D * r.P + 1);
    void *res = given ? mxi_data(c->in[7]) : mxi_scratch_alloc(res_bytes);
    void *y = given ? mxi_data(c->in[8]) : mxi_scratch_alloc(y_bytes);
    int rc = MX_OK;
    if (!res || !y) rc = mxi_error(MX_ERR_MEMORY, "RNN: out of memory for the backward workspace");
#define RNN_BWD(SUF, TT)                                                                                             \
    do {                                                                                                             \
        const TT *x = MXI_PTR(TT, c->in[0]), *pr = MXI_PTR(TT, c->in[1]), *h0 = MXI_PTR(TT, c->in[2]);               \
        const TT *c0 = lstm ? MXI_PTR(TT, c->in[3]) : NULL;                                                          \
        if (!given) rc = rnn_forward_##SUF(&r, x, pr, h0, c0, (TT *)y, NULL, NULL, (TT *)res);                      \
        if (rc == MX_OK)                                                                                             \
            rc = rnn_backward_##SUF(&r, x, pr, h0, c0, MXI_PTR(TT, c->in[4]), MXI_PTR(TT, c->in[5]),                \
                                    lstm ? MXI_PTR(TT, c->in[6]) : NULL, (const TT *)res, (const TT *)y,             \
                                    MXI_PTR(TT, c->out[0]), MXI_PTR(TT, c->out[1]), MXI_PTR(TT, c->out[2]),          \
                                    MXI_PTR(TT, c->out[3]));                                                         \
    } while (0)
    if (rc == MX_OK) {
        if (dbl) RNN_BWD(f64, double);
        else RNN_BWD(f32, float);
    }
#undef RNN_BWD
    if (!given) {
        mxi_scratch_free(res, res_bytes);
        mxi_scratch_free(y, y_bytes);
    }
    rnn_len_free(&r, len);
    return rc;
}

static int rnn_grad(mx_grad_ctx *g) {
    const mx_call *c = g->call;
    char attrs[1200];
    MXI_TRY(mxi_attrs_string(c, attrs, sizeof attrs - 80));
    size_t n = strlen(attrs);
    const int lstm = c->attrs[R_MODE].i == RNN_LSTM, nv = rnn_num_visible(c), given = c->n_out > nv;
    snprintf(attrs + n, sizeof attrs - n, ";seed=%lld;offset=%lld;fwd_training=%d;has_reserve=%d",
             (long long)c->rng_seed, (long long)c->rng_offset, c->training ? 1 : 0, given);
    mx_tensor_s *dy = g->ograd[0];
    mx_tensor_s *dhy = nv > 1 ? g->ograd[1] : dy;
    mx_tensor_s *dcy = nv > 2 ? g->ograd[2] : dhy;
    mx_tensor_s *in[10] = {g->in[0], g->in[1], g->in[2], lstm ? g->in[3] : g->in[2], dy, dhy, dcy,
                           given ? g->out[nv] : NULL, g->out[0]};
    int n_in = given ? 9 : 7;
    if (c->attrs[R_USE_SEQLEN].i) in[n_in++] = g->in[c->n_in - 1]; /* sequence_length: no gradient */
    mx_tensor_s *out[4] = {0};
    MXI_TRY(mxi_call("_backward_RNN", in, n_in, attrs, out, 4));
    for (int i = 0; i < 3; i++) g->igrad[i] = out[i];
    if (lstm) g->igrad[3] = out[3];
    else mxi_tensor_release(out[3]);
    return MX_OK;
}

/* _rnn_param_flat: the fused parameter vector from the per-layer weights and
 * biases (flattened, joined in input order) in one copy; its backward hands
 * each input its slice of the gradient in one copy. Gluon's eager layers use
 * it instead of reshape + concat (two copies each way and 2n+1 op calls). */
static const mx_attr_spec flat_attrs[] = {
    {"num_args", MX_ATTR_INT, NULL, "Number of inputs.", NULL, 1, 1, MX_MAX_INPUTS},
};
static const mx_attr_spec flat_bwd_attrs[] = {
    {"num_args", MX_ATTR_INT, NULL, "Number of inputs: the gradient, then the forward's inputs.", NULL, 1, 2,
     MX_MAX_INPUTS},
};

static int flat_infer(mx_call *c) {
    MXI_TRY(mxi_require_same_dtype(c));
    int64_t n = 0;
    for (int i = 0; i < c->n_in; i++) n += c->in[i]->size;
    mxi_set_out(c, 0, &n, 1, c->in[0]->dtype);
    return MX_OK;
}

static int flat_cpu(mx_call *c) {
    const size_t es = mxi_dtype_size(c->in[0]->dtype);
    char *o = mxi_data(c->out[0]);
    for (int i = 0; i < c->n_in; i++) {
        memcpy(o, mxi_data(c->in[i]), es * (size_t)c->in[i]->size);
        o += es * (size_t)c->in[i]->size;
    }
    return MX_OK;
}

static int flat_grad(mx_grad_ctx *g) {
    const int n = g->call->n_in;
    mx_tensor_s *in[MX_MAX_INPUTS];
    if (n + 1 > MX_MAX_INPUTS) return mxi_error(MX_ERR_UNSUPPORTED, "_rnn_param_flat: too many inputs for backward");
    in[0] = g->ograd[0];
    for (int i = 0; i < n; i++) in[i + 1] = g->in[i];
    char attrs[32];
    snprintf(attrs, sizeof attrs, "num_args=%d", n + 1);
    return mxi_call("_backward_rnn_param_flat", in, n + 1, attrs, g->igrad, n);
}

static int flat_bwd_num_outputs(const mx_call *c) { return (int)c->attrs[0].i - 1; }

static int flat_bwd_infer(mx_call *c) {
    MXI_TRY(mxi_require_same_dtype(c));
    int64_t n = 0;
    for (int i = 1; i < c->n_in; i++) n += c->in[i]->size;
    if (c->in[0]->size != n)
        return mxi_op_error(c, MX_ERR_INVALID, "gradient has %lld elements, the inputs %lld", (long long)c->in[0]->size,
                            (long long)n);
    for (int k = 0; k < c->n_out; k++) mxi_same_as_in(c, k, k + 1);
    return MX_OK;
}

static int flat_bwd_cpu(mx_call *c) {
    const size_t es = mxi_dtype_size(c->in[0]->dtype);
    const char *g = mxi_data(c->in[0]);
    for (int k = 0; k < c->n_out; k++) {
        memcpy(mxi_data(c->out[k]), g, es * (size_t)c->out[k]->size);
        g += es * (size_t)c->out[k]->size;
    }
    return MX_OK;
}

#define RNN_DOC                                                                                                      \
    "Fused multi-layer recurrent network over (seq_length, batch, input_size) data: rnn_relu, rnn_tanh, lstm or gru, " \
    "optionally bidirectional, with MXNet's flat parameter layout (all i2h/h2h[/h2r] weights per layer and direction, " \
    "then all i2h/h2h biases) and initial state(s) (layers*directions, batch, state_size or projection_size); "        \
    "an LSTM may project its state (projection_size) and sequences may have per-sample lengths (use_sequence_length)."

/* The flat parameter vector and the begin states from the data (T, N, C):
 * graph inference of unknown RNN inputs, as MXNet's. */
static int rnn_param_shape(const mx_call *c, int slot, int64_t *shape, int *ndim, int *dtype) {
    const mx_tensor_s *x = c->in[0];
    const int n_in = rnn_num_inputs(c), lstm = c->attrs[R_MODE].i == RNN_LSTM;
    if (x->ndim != 3 || slot < 1 || slot >= n_in) return 1;
    rnn_cfg r;
    rnn_cfg_attrs(c, &r);
    r.I = x->shape[2];
    if (slot == 1) {
        shape[0] = rnn_param_size(&r);
        *ndim = 1;
    } else if (r.use_len && slot == n_in - 1) { /* sequence_length: one per sample */
        shape[0] = x->shape[1];
        *ndim = 1;
    } else { /* h (.., .., P) or the LSTM cell (.., .., H) */
        shape[0] = r.L * r.D, shape[1] = x->shape[1], shape[2] = lstm && slot == 3 ? r.H : r.P;
        *ndim = 3;
    }
    return 0;
}

static const mx_op_def ops[] = {
    {.name = "RNN", .aliases = "_npx_rnn", .output_names = "output,state_output,statecell_output", .doc = RNN_DOC, .inputs = "data,parameters,state,state_cell,sequence_length",
     .num_outputs = 1, .num_outputs_fn = rnn_num_visible, .attrs = rnn_attrs,
     .n_attrs = (int)(sizeof rnn_attrs / sizeof rnn_attrs[0]), .num_inputs_fn = rnn_num_inputs, .infer = rnn_infer,
     .param_shape = rnn_param_shape, .cpu = rnn_cpu, .grad = rnn_grad, .dtypes = MX_DT_FLOAT, .flags = MX_OPF_WRITES_ALL | MX_OPF_RANDOM},
    {.name = "_rnn_with_reserve",
     .doc = RNN_DOC " Also returns the forward's saved gates and states as a hidden output, so backward does not "
                    "recompute the forward (what Gluon's eager RNN layers call).",
     .inputs = "data,parameters,state,state_cell,sequence_length", .num_outputs = 1,
     .num_outputs_fn = rnn_res_num_outputs, .output_names = "output,state_output,statecell_output",
     .num_visible_fn = rnn_num_visible, .attrs = rnn_attrs, .n_attrs = (int)(sizeof rnn_attrs / sizeof rnn_attrs[0]),
     .num_inputs_fn = rnn_num_inputs, .infer = rnn_infer, .param_shape = rnn_param_shape, .cpu = rnn_cpu,
     .grad = rnn_grad, .dtypes = MX_DT_FLOAT,
     .flags = MX_OPF_INTERNAL | MX_OPF_WRITES_ALL | MX_OPF_RANDOM},
    {.name = "_backward_RNN", .doc = "Backpropagation through time for the fused RNN op.",
     .inputs = "data,parameters,state,state_cell,ograd,ograd_state,ograd_state_cell,reserve,out,sequence_length",
     .num_outputs = 4, .num_inputs_fn = rnn_bwd_num_inputs, .attrs = rnn_bwd_attrs,
     .n_attrs = (int)(sizeof rnn_bwd_attrs / sizeof rnn_bwd_attrs[0]), .infer = rnn_bwd_infer, .cpu = rnn_bwd_cpu,
     .dtypes = MX_DT_FLOAT, .flags = MX_OPF_INTERNAL | MX_OPF_WRITES_ALL},
    {.name = "_rnn_param_flat",
     .doc = "Flattens the inputs and joins them into one vector (the fused RNN parameter vector).",
     .inputs = "*data", .num_outputs = 1, .attrs = flat_attrs, .n_attrs = 1, .infer = flat_infer, .cpu = flat_cpu,
     .grad = flat_grad, .dtypes = MX_DT_ALL,
     .flags = MX_OPF_INTERNAL | MX_OPF_WRITES_ALL | MX_OPF_NO_INPUT_CAST},
    {.name = "_backward_rnn_param_flat", .doc = "Splits the gradient of _rnn_param_flat back into its inputs' shapes.",
     .inputs = "*data", .num_outputs = 1, .num_outputs_fn = flat_bwd_num_outputs, .attrs = flat_bwd_attrs,
     .n_attrs = 1, .infer = flat_bwd_infer, .cpu = flat_bwd_cpu, .dtypes = MX_DT_ALL,
     .flags = MX_OPF_INTERNAL | MX_OPF_WRITES_ALL | MX_OPF_NO_INPUT_CAST},
};

void mxi_register_rnn(void) { mxi_register_ops(ops, (int)(sizeof ops / sizeof ops[0])); }
