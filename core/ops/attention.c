/* attention.c — the fused multi-head attention ops of MXNet 1.x contrib that
 * GluonNLP's BERT / Transformer exports use: interleaved_matmul_selfatt_qk /
 * _valatt and interleaved_matmul_encdec_qk / _valatt (heads interleaved in the
 * projection: self-attention rows hold [q, k, v] per head, encoder-decoder
 * key/value rows [k, v] per head), and div_sqrt_dim. Each (batch, head) pair
 * is one strided GEMM on the interleaved layout, no copies. Part of the
 * "linalg" family: registered from mxi_register_linalg(). */
#include <math.h>
#include <stdio.h>

#include "../../backends/cpu/cpu.h"
#include "../op.h"

#define NATTR(a) ((int)(sizeof(a) / sizeof((a)[0])))

enum { A_HEADS };
static const mx_attr_spec att_attrs[] = {
    {"heads", MX_ATTR_INT, NULL, "Number of attention heads.", NULL, 1, 1, 1e9},
};

/* op(A) op(B) per dtype, A/B/C as element pointers offset by a/b/c elements */
static void gemm_at(const mx_tensor_s *t, int ta, int tb, int64_t M, int64_t N, int64_t K, double alpha,
                    const void *A, int64_t a, int64_t lda, const void *B, int64_t b, int64_t ldb, void *C, int64_t c,
                    int64_t ldc) {
    if (t->dtype == MX_FLOAT64)
        mxi_dgemm(ta, tb, M, N, K, alpha, (const double *)A + a, lda, (const double *)B + b, ldb, 0.0,
                  (double *)C + c, ldc);
    else
        mxi_sgemm(ta, tb, M, N, K, (float)alpha, (const float *)A + a, lda, (const float *)B + b, ldb, 0.0f,
                  (float *)C + c, ldc);
}

/* Geometry of one call. Projection tensors are (L, B, heads * parts * D):
 * parts 3 (self-attention q, k, v) or 2 (encoder-decoder k, v), 1 for the
 * decoder queries. */
typedef struct {
    int64_t L, B, H, D;
} proj;

static int proj_of(const mx_call *c, const mx_tensor_s *t, int parts, const char *what, proj *p) {
    p->H = c->attrs[A_HEADS].i;
    if (t->ndim != 3 || t->shape[2] % (p->H * parts))
        return mxi_op_error(c, MX_ERR_INVALID, "%s must be 3-d (seq, batch, heads * %d * head_dim) with heads=%lld",
                            what, parts, (long long)p->H);
    p->L = t->shape[0], p->B = t->shape[1], p->D = t->shape[2] / (p->H * parts);
    return MX_OK;
}

static int check_att(const mx_call *c, const mx_tensor_s *att, int64_t BH, int64_t Lq, int64_t Lk) {
    if (att->ndim != 3 || att->shape[0] != BH || att->shape[1] != Lq || att->shape[2] != Lk)
        return mxi_op_error(c, MX_ERR_INVALID, "attention must have shape (%lld, %lld, %lld) (batch * heads, query "
                            "length, key length)", (long long)BH, (long long)Lq, (long long)Lk);
    return MX_OK;
}

/* ---- selfatt_qk: (L, B, H*3*D) -> (B*H, L, L) = q k^T / sqrt(D) ---- */
static int sqk_infer(mx_call *c) {
    proj p = {0, 0, 0, 0};
    MXI_TRY(proj_of(c, c->in[0], 3, "queries_keys_values", &p));
    int64_t os[3] = {p.B * p.H, p.L, p.L};
    mxi_set_out(c, 0, os, 3, c->in[0]->dtype);
    return MX_OK;
}

static int sqk_cpu(mx_call *c) {
    proj p = {0, 0, 0, 0};
    MXI_TRY(proj_of(c, c->in[0], 3, "queries_keys_values", &p));
    const int64_t ld = p.B * p.H * 3 * p.D;
    const void *x = mxi_data(c->in[0]);
    for (int64_t b = 0; b < p.B; b++)
        for (int64_t h = 0; h < p.H; h++) {
            const int64_t q = (b * p.H + h) * 3 * p.D;
            gemm_at(c->in[0], 0, 1, p.L, p.L, p.D, 1.0 / sqrt((double)p.D), x, q, ld, x, q + p.D, ld,
                    mxi_data(c->out[0]), (b * p.H + h) * p.L * p.L, p.L);
        }
    return MX_OK;
}

/* (ograd, qkv) -> dqkv: dq = g k / sqrt(D), dk = g^T q / sqrt(D), dv = 0 */
static int sqkb_cpu(mx_call *c) {
    proj p = {0, 0, 0, 0};
    MXI_TRY(proj_of(c, c->in[1], 3, "queries_keys_values", &p));
    const int64_t ld = p.B * p.H * 3 * p.D;
    const void *g = mxi_data(c->in[0]), *x = mxi_data(c->in[1]);
    void *dx = mxi_data(c->out[0]);
    const double s = 1.0 / sqrt((double)p.D);
    for (int64_t b = 0; b < p.B; b++)
        for (int64_t h = 0; h < p.H; h++) {
            const int64_t q = (b * p.H + h) * 3 * p.D, gb = (b * p.H + h) * p.L * p.L;
            gemm_at(c->in[1], 0, 0, p.L, p.D, p.L, s, g, gb, p.L, x, q + p.D, ld, dx, q, ld);
            gemm_at(c->in[1], 1, 0, p.L, p.D, p.L, s, g, gb, p.L, x, q, ld, dx, q + p.D, ld);
        }
    return MX_OK;
}

/* ---- selfatt_valatt: (qkv, att (B*H, L, L)) -> (L, B, H*D) = att v ---- */
static int sva_infer(mx_call *c) {
    proj p = {0, 0, 0, 0};
    MXI_TRY(proj_of(c, c->in[0], 3, "queries_keys_values", &p));
    MXI_TRY(check_att(c, c->in[1], p.B * p.H, p.L, p.L));
    int64_t os[3] = {p.L, p.B, p.H * p.D};
    mxi_set_out(c, 0, os, 3, c->in[0]->dtype);
    return mxi_require_same_dtype(c);
}

/* shared by self and encoder-decoder valatt: v of head (b, h) at `v0 + (b*H+h)*parts*D`
 * in rows of stride ldv; att (B*H, Lq, Lk); out (Lq, B, H*D) */
static void valatt(const mx_tensor_s *t, const proj *p, int64_t Lq, int64_t Lk, const void *v, int64_t v0,
                   int64_t parts, int64_t ldv, const void *att, void *out) {
    for (int64_t b = 0; b < p->B; b++)
        for (int64_t h = 0; h < p->H; h++)
            gemm_at(t, 0, 0, Lq, p->D, Lk, 1.0, att, (b * p->H + h) * Lq * Lk, Lk, v, v0 + (b * p->H + h) * parts * p->D,
                    ldv, out, (b * p->H + h) * p->D, p->B * p->H * p->D);
}

/* backward of valatt: dv (into the v slots) = att^T g, datt = g v^T */
static void valatt_bw(const mx_tensor_s *t, const proj *p, int64_t Lq, int64_t Lk, const void *g, const void *v,
                      int64_t v0, int64_t parts, int64_t ldv, const void *att, void *dv, void *datt) {
    const int64_t ldg = p->B * p->H * p->D;
    for (int64_t b = 0; b < p->B; b++)
        for (int64_t h = 0; h < p->H; h++) {
            const int64_t bh = b * p->H + h, vo = v0 + bh * parts * p->D, go = bh * p->D;
            gemm_at(t, 1, 0, Lk, p->D, Lq, 1.0, att, bh * Lq * Lk, Lk, g, go, ldg, dv, vo, ldv);
            gemm_at(t, 0, 1, Lq, Lk, p->D, 1.0, g, go, ldg, v, vo, ldv, datt, bh * Lq * Lk, Lk);
        }
}

static int sva_cpu(mx_call *c) {
    proj p = {0, 0, 0, 0};
    MXI_TRY(proj_of(c, c->in[0], 3, "queries_keys_values", &p));
    valatt(c->in[0], &p, p.L, p.L, mxi_data(c->in[0]), 2 * p.D, 3, p.B * p.H * 3 * p.D, mxi_data(c->in[1]),
           mxi_data(c->out[0]));
    return MX_OK;
}

/* (ograd, qkv, att) -> dqkv (v slots), datt */
static int svab_cpu(mx_call *c) {
    proj p = {0, 0, 0, 0};
    MXI_TRY(proj_of(c, c->in[1], 3, "queries_keys_values", &p));
    valatt_bw(c->in[1], &p, p.L, p.L, mxi_data(c->in[0]), mxi_data(c->in[1]), 2 * p.D, 3, p.B * p.H * 3 * p.D,
              mxi_data(c->in[2]), mxi_data(c->out[0]), mxi_data(c->out[1]));
    return MX_OK;
}

/* ---- encdec_qk: (queries (Lq, B, H*D), keys_values (Lk, B, H*2*D)) -> (B*H, Lq, Lk) ---- */
static int eqk_geom(const mx_call *c, const mx_tensor_s *qs, const mx_tensor_s *kv, proj *pq, proj *pk) {
    MXI_TRY(proj_of(c, qs, 1, "queries", pq));
    MXI_TRY(proj_of(c, kv, 2, "keys_values", pk));
    if (pq->B != pk->B || pq->D != pk->D)
        return mxi_op_error(c, MX_ERR_INVALID, "queries and keys_values disagree on batch (%lld, %lld) or head size "
                            "(%lld, %lld)", (long long)pq->B, (long long)pk->B, (long long)pq->D, (long long)pk->D);
    return mxi_require_same_dtype(c);
}

static int eqk_infer(mx_call *c) {
    proj pq = {0, 0, 0, 0}, pk = {0, 0, 0, 0};
    MXI_TRY(eqk_geom(c, c->in[0], c->in[1], &pq, &pk));
    int64_t os[3] = {pq.B * pq.H, pq.L, pk.L};
    mxi_set_out(c, 0, os, 3, c->in[0]->dtype);
    return MX_OK;
}

static int eqk_cpu(mx_call *c) {
    proj pq = {0, 0, 0, 0}, pk = {0, 0, 0, 0};
    MXI_TRY(eqk_geom(c, c->in[0], c->in[1], &pq, &pk));
    const int64_t ldq = pq.B * pq.H * pq.D, ldk = pk.B * pk.H * 2 * pk.D;
    for (int64_t b = 0; b < pq.B; b++)
        for (int64_t h = 0; h < pq.H; h++) {
            const int64_t bh = b * pq.H + h;
            gemm_at(c->in[0], 0, 1, pq.L, pk.L, pq.D, 1.0 / sqrt((double)pq.D), mxi_data(c->in[0]), bh * pq.D, ldq,
                    mxi_data(c->in[1]), bh * 2 * pk.D, ldk, mxi_data(c->out[0]), bh * pq.L * pk.L, pk.L);
        }
    return MX_OK;
}

/* (ograd, queries, keys_values) -> dqueries, dkeys_values (k slots) */
static int eqkb_cpu(mx_call *c) {
    proj pq = {0, 0, 0, 0}, pk = {0, 0, 0, 0};
    MXI_TRY(eqk_geom(c, c->in[1], c->in[2], &pq, &pk));
    const int64_t ldq = pq.B * pq.H * pq.D, ldk = pk.B * pk.H * 2 * pk.D;
    const double s = 1.0 / sqrt((double)pq.D);
    for (int64_t b = 0; b < pq.B; b++)
        for (int64_t h = 0; h < pq.H; h++) {
            const int64_t bh = b * pq.H + h, go = bh * pq.L * pk.L;
            gemm_at(c->in[1], 0, 0, pq.L, pq.D, pk.L, s, mxi_data(c->in[0]), go, pk.L, mxi_data(c->in[2]),
                    bh * 2 * pk.D, ldk, mxi_data(c->out[0]), bh * pq.D, ldq);
            gemm_at(c->in[1], 1, 0, pk.L, pq.D, pq.L, s, mxi_data(c->in[0]), go, pk.L, mxi_data(c->in[1]), bh * pq.D,
                    ldq, mxi_data(c->out[1]), bh * 2 * pk.D, ldk);
        }
    return MX_OK;
}

/* ---- encdec_valatt: (keys_values, att (B*H, Lq, Lk)) -> (Lq, B, H*D) ---- */
static int eva_infer(mx_call *c) {
    proj p = {0, 0, 0, 0};
    MXI_TRY(proj_of(c, c->in[0], 2, "keys_values", &p));
    const mx_tensor_s *att = c->in[1];
    if (att->ndim != 3) return check_att(c, att, p.B * p.H, 0, p.L);
    MXI_TRY(check_att(c, att, p.B * p.H, att->shape[1], p.L));
    int64_t os[3] = {att->shape[1], p.B, p.H * p.D};
    mxi_set_out(c, 0, os, 3, c->in[0]->dtype);
    return mxi_require_same_dtype(c);
}

static int eva_cpu(mx_call *c) {
    proj p = {0, 0, 0, 0};
    MXI_TRY(proj_of(c, c->in[0], 2, "keys_values", &p));
    valatt(c->in[0], &p, c->in[1]->shape[1], p.L, mxi_data(c->in[0]), p.D, 2, p.B * p.H * 2 * p.D,
           mxi_data(c->in[1]), mxi_data(c->out[0]));
    return MX_OK;
}

/* (ograd, keys_values, att) -> dkeys_values (v slots), datt */
static int evab_cpu(mx_call *c) {
    proj p = {0, 0, 0, 0};
    MXI_TRY(proj_of(c, c->in[1], 2, "keys_values", &p));
    valatt_bw(c->in[1], &p, c->in[2]->shape[1], p.L, mxi_data(c->in[0]), mxi_data(c->in[1]), p.D, 2,
              p.B * p.H * 2 * p.D, mxi_data(c->in[2]), mxi_data(c->out[0]), mxi_data(c->out[1]));
    return MX_OK;
}

/* backward infers: gradients shaped like the forward inputs (in[1..]) */
static int like_inputs(mx_call *c) {
    for (int i = 0; i < c->n_out; i++) mxi_same_as_in(c, i, i + 1);
    return MX_OK;
}

/* gradient: _backward_<op>(ograd, inputs...) -> one gradient per input */
static int att_grad(mx_grad_ctx *g) {
    const mx_call *c = g->call;
    char name[96], attrs[64];
    snprintf(name, sizeof name, "_backward_%s", c->op->name);
    snprintf(attrs, sizeof attrs, "heads=%lld", (long long)c->attrs[A_HEADS].i);
    mx_tensor_s *in[3] = {g->ograd[0], g->in[0], c->n_in > 1 ? g->in[1] : NULL};
    return mxi_call(name, in, c->n_in + 1, attrs, g->igrad, c->n_in);
}

/* ---- div_sqrt_dim: x / sqrt(x.shape[-1]) ---- */
static int dsd_infer(mx_call *c) {
    if (c->in[0]->ndim < 1) return mxi_op_error(c, MX_ERR_INVALID, "data must have at least one dimension");
    mxi_same_as_in(c, 0, 0);
    return MX_OK;
}

static int dsd_scale_attr(const mx_tensor_s *x, char *buf, size_t n) {
    return snprintf(buf, n, "scalar=%.17g", sqrt((double)x->shape[x->ndim - 1]));
}

static int dsd_cpu(mx_call *c) {
    const mx_tensor_s *x = c->in[0];
    const double s = 1.0 / sqrt((double)x->shape[x->ndim - 1]);
    if (x->dtype == MX_FLOAT64) {
        const double *a = mxi_data(x);
        double *y = mxi_data(c->out[0]);
        for (int64_t i = 0; i < x->size; i++) y[i] = a[i] * s;
    } else {
        const float *a = mxi_data(x);
        float *y = mxi_data(c->out[0]);
        for (int64_t i = 0; i < x->size; i++) y[i] = (float)(a[i] * s);
    }
    return MX_OK;
}

static int dsd_grad(mx_grad_ctx *g) {
    char a[64];
    dsd_scale_attr(g->in[0], a, sizeof a);
    g->igrad[0] = mxi_call1("_div_scalar", a, 1, g->ograd[0]);
    return g->igrad[0] ? MX_OK : mx_last_error_code();
}

#define ATT_OP(NAME, INPUTS, INFER, CPU, DOC)                                                                          \
    {.name = NAME, .doc = DOC, .inputs = INPUTS, .num_outputs = 1, .attrs = att_attrs, .n_attrs = NATTR(att_attrs),  \
     .infer = INFER, .cpu = CPU, .grad = att_grad, .dtypes = MX_DT_FLOAT, .flags = MX_OPF_WRITES_ALL}
#define ATT_BWD(NAME, INPUTS, NOUT, CPU)                                                                               \
    {.name = NAME, .doc = "Gradient of the interleaved attention matmul.", .inputs = INPUTS, .num_outputs = NOUT,     \
     .attrs = att_attrs, .n_attrs = NATTR(att_attrs), .infer = like_inputs, .cpu = CPU, .dtypes = MX_DT_FLOAT,       \
     .flags = MX_OPF_INTERNAL}

static const mx_op_def ops[] = {
    ATT_OP("_contrib_interleaved_matmul_selfatt_qk", "queries_keys_values", sqk_infer, sqk_cpu,
           "Self-attention scores q k^T / sqrt(head_dim) per (batch, head) from interleaved projections (seq, batch, "
           "heads * 3 * head_dim) -> (batch * heads, seq, seq)."),
    ATT_OP("_contrib_interleaved_matmul_selfatt_valatt", "queries_keys_values,attention", sva_infer, sva_cpu,
           "Self-attention output attention @ v per (batch, head) from interleaved projections -> (seq, batch, "
           "heads * head_dim)."),
    ATT_OP("_contrib_interleaved_matmul_encdec_qk", "queries,keys_values", eqk_infer, eqk_cpu,
           "Encoder-decoder attention scores q k^T / sqrt(head_dim): queries (seq_q, batch, heads * head_dim), "
           "interleaved keys_values (seq_k, batch, heads * 2 * head_dim) -> (batch * heads, seq_q, seq_k)."),
    ATT_OP("_contrib_interleaved_matmul_encdec_valatt", "keys_values,attention", eva_infer, eva_cpu,
           "Encoder-decoder attention output attention @ v per (batch, head) -> (seq_q, batch, heads * head_dim)."),
    ATT_BWD("_backward__contrib_interleaved_matmul_selfatt_qk", "ograd,queries_keys_values", 1, sqkb_cpu),
    ATT_BWD("_backward__contrib_interleaved_matmul_selfatt_valatt", "ograd,queries_keys_values,attention", 2,
            svab_cpu),
    ATT_BWD("_backward__contrib_interleaved_matmul_encdec_qk", "ograd,queries,keys_values", 2, eqkb_cpu),
    ATT_BWD("_backward__contrib_interleaved_matmul_encdec_valatt", "ograd,keys_values,attention", 2, evab_cpu),
    {.name = "_contrib_div_sqrt_dim", .doc = "data / sqrt(data.shape[-1]) (attention score scaling).",
     .inputs = "data", .num_outputs = 1, .infer = dsd_infer, .cpu = dsd_cpu, .grad = dsd_grad,
     .dtypes = MX_DT_FLOAT, .flags = MX_OPF_WRITES_ALL},
};

void mxi_register_attention(void);
void mxi_register_attention(void) { mxi_register_ops(ops, NATTR(ops)); }
