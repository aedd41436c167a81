/* graph_fuse.c — elementwise fusion for the graph executor.
 *
 * A chain of single-input elementwise nodes (relu → _mul_scalar → exp ...)
 * whose intermediates feed only the next node is run block by block: each
 * block of the input passes through every op's own kernel while it sits in
 * two cache-sized buffers, so the chain reads its input and writes its output
 * once instead of once per op. Any registry op qualifies whose kernel is
 * elementwise (MX_OPF_INPLACE_OK | MX_OPF_WRITES_ALL), single input and
 * output, and not random; no per-op fused code is written.
 *
 * It pays where memory traffic dominates, and it only runs when autograd is
 * not recording (training needs the intermediates for the backward pass). */
#include <stdlib.h>
#include <string.h>

#include "../backends/cpu/cpu.h"
#include "autograd.h"
#include "graph_internal.h"

#define BLOCK 4096 /* elements per block: 2 buffers of 16-32 KiB stay in L1/L2 */
#define MAX_CHAIN 32

static bool fusable(const gnode *n) {
    const mx_op_def *op = n->op;
    if (!op || n->n_in != 1 || n->n_out != 1 || op->mutates || (op->flags & MX_OPF_RANDOM)) return false;
    if ((op->flags & (MX_OPF_INPLACE_OK | MX_OPF_WRITES_ALL)) != (MX_OPF_INPLACE_OK | MX_OPF_WRITES_ALL)) return false;
    /* dtype-changing elementwise ops would break the one-dtype block buffers */
    return strcmp(op->name, "Cast") != 0 && strcmp(op->name, "cast") != 0 && strcmp(op->name, "amp_cast") != 0;
}

void mxi_fuse_plan(mx_graph_s *g) {
    int *uses = calloc((size_t)g->n_nodes + 1, sizeof(int));
    if (!uses) return; /* no plan: every node runs on its own */
    for (int i = 0; i < g->n_nodes; i++) {
        gnode *n = &g->nodes[i];
        n->fuse_next = -1;
        n->fuse_head = 0;
        if (!n->reachable) continue;
        for (int j = 0; j < n->n_in; j++) uses[n->in[j].node]++;
    }
    for (int h = 0; h < g->n_heads; h++) uses[g->heads[h].node]++;
    /* link p -> n when both are fusable and p's output is used only by n */
    for (int i = 0; i < g->n_nodes; i++) {
        gnode *n = &g->nodes[i];
        if (!n->reachable || !fusable(n)) continue;
        int p = n->in[0].node;
        if (fusable(&g->nodes[p]) && uses[p] == 1 && !g->nodes[p].is_const) g->nodes[p].fuse_next = i;
    }
    /* heads: fusable nodes with a successor and no fused predecessor */
    g->n_fused_chains = g->n_fused_nodes = 0;
    for (int i = 0; i < g->n_nodes; i++) {
        gnode *n = &g->nodes[i];
        if (n->fuse_next < 0) continue;
        int p = n->in[0].node;
        if (g->nodes[p].fuse_next == i) continue; /* member, not head */
        n->fuse_head = 1;
        g->n_fused_chains++;
        int len = 0;
        for (int k = i; k >= 0 && len < MAX_CHAIN; k = g->nodes[k].fuse_next) len++;
        g->n_fused_nodes += len;
    }
    free(uses);
}

typedef struct {
    const mx_graph_s *g;
    const int *chain;
    int len;
    const mx_tensor_s *x;
    mx_tensor_s *y;
    int training;
    int failed;
} fuse_job;

/* A header describing `n` contiguous elements at `data`, for one kernel call. */
static void block_view(mx_tensor_s *t, mx_storage *s, void *data, int64_t n, int dtype) {
    memset(s, 0, sizeof *s);
    s->data = data;
    s->dev.type = MX_DEV_CPU;
    memset(t, 0, sizeof *t);
    t->storage = s;
    t->ndim = 1;
    t->dtype = dtype;
    t->shape[0] = n;
    t->strides[0] = 1;
    t->size = n;
}

static void fuse_range(void *ctx, int64_t b, int64_t e) {
    fuse_job *j = ctx;
    size_t es = mxi_dtype_size(j->x->dtype);
    mx_call *calls = malloc(sizeof(mx_call) * (size_t)j->len);
    char *tmp = malloc(2 * BLOCK * es);
    if (!calls || !tmp) {
        free(calls);
        free(tmp);
        j->failed = 1;
        return;
    }
    for (int k = 0; k < j->len; k++) {
        const gnode *n = &j->g->nodes[j->chain[k]];
        mx_call *c = &calls[k];
        c->op = n->op;
        c->n_attrs = n->n_parsed;
        memcpy(c->attrs, n->parsed, sizeof(mx_attr_val) * (size_t)n->n_parsed);
        c->n_in = c->n_out = 1;
        c->training = j->training;
        c->donate = 0;
    }
    mx_tensor_s tin, tout;
    mx_storage sin, sout;
    for (int64_t blk = b; blk < e; blk++) {
        int64_t lo = blk * BLOCK, cnt = j->x->size - lo < BLOCK ? j->x->size - lo : BLOCK;
        const char *src = (const char *)mxi_data(j->x) + (size_t)lo * es;
        for (int k = 0; k < j->len; k++) {
            char *dst = k == j->len - 1 ? (char *)mxi_data(j->y) + (size_t)lo * es : tmp + (size_t)(k & 1) * BLOCK * es;
            block_view(&tin, &sin, (void *)src, cnt, j->x->dtype);
            block_view(&tout, &sout, dst, cnt, j->x->dtype);
            calls[k].in[0] = &tin;
            calls[k].out[0] = &tout;
            mxi_set_out(&calls[k], 0, tout.shape, 1, tout.dtype);
            if (calls[k].op->cpu(&calls[k]) != MX_OK) j->failed = 1;
            src = dst;
        }
    }
    free(calls);
    free(tmp);
}

int mxi_fuse_run(mx_graph_s *g, int head, mx_tensor_s *x, mx_tensor_s **out, int *tail) {
    if (mxi_ag_recording() || x->storage->dev.type != MX_DEV_CPU || !mxi_is_contiguous(x) ||
        (x->dtype != MX_FLOAT32 && x->dtype != MX_FLOAT64) || x->size == 0)
        return MX_ERR_UNSUPPORTED;
    int chain[MAX_CHAIN], len = 0;
    for (int k = head; k >= 0 && len < MAX_CHAIN; k = g->nodes[k].fuse_next) chain[len++] = k;
    /* every op must keep shape and dtype and handle the dtype natively */
    mx_call *c = malloc(sizeof *c);
    if (!c) return MX_ERR_UNSUPPORTED;
    bool ok = true;
    for (int k = 0; k < len && ok; k++) {
        const gnode *n = &g->nodes[chain[k]];
        ok = (n->op->dtypes & MX_DT(x->dtype)) != 0;
        if (!ok) break;
        c->op = n->op;
        c->n_attrs = n->n_parsed;
        memcpy(c->attrs, n->parsed, sizeof(mx_attr_val) * (size_t)n->n_parsed);
        c->n_in = c->n_out = 1;
        c->in[0] = x;
        c->training = mxi_ag_training();
        ok = n->op->infer(c) == MX_OK && c->out_dtype[0] == x->dtype && c->out_ndim[0] == x->ndim &&
             !memcmp(c->out_shape[0], x->shape, sizeof(int64_t) * (size_t)x->ndim);
    }
    free(c);
    mxi_error_clear(); /* an infer refusal above is not an error: we fall back */
    if (!ok) return MX_ERR_UNSUPPORTED;
    mx_tensor_s *y = mxi_tensor_new_uninit(x->shape, x->ndim, x->dtype);
    if (!y) return mx_last_error_code();
    fuse_job j = {g, chain, len, x, y, mxi_ag_training(), 0};
    mxi_parallel_for((x->size + BLOCK - 1) / BLOCK, 8, fuse_range, &j);
    if (j.failed) {
        mxi_tensor_release(y);
        return mxi_error(MX_ERR_INTERNAL, "graph: fused elementwise chain starting at '%s' failed", g->nodes[head].name);
    }
    *out = y;
    *tail = chain[len - 1];
    return MX_OK;
}
