/* graph_legacy.c — the upgrades MXNet 1.9.1 applies to symbol JSON written by
 * older versions, so old model files (the 2015-2017 model zoo's
 * Inception-BN, ResNet, VGG ...) load and list the same arguments and
 * auxiliary states as in MXNet.
 *
 *  - Before 0.9 ("mxnet_version" absent or < 900) auxiliary states were not
 *    graph inputs: a BatchNorm node lists data, gamma, beta only. Each op node
 *    short of trailing inputs the op mutates gets variables
 *    "<node>_<input name>" inserted just before it, carrying the node's
 *    attributes and an "__init__" hint (one for variances, zero otherwise),
 *    the form MXNet writes back.
 *  - Before 1.9.1 (< 10901) the hints ctx_group, lr_mult, wd_mult,
 *    mirror_stage and force_mirroring could be stored without underscores;
 *    they become "__lr_mult__" ... (op attribute parsing skips "__x__" keys,
 *    so an op node carrying one no longer fails to load).
 *  - In every version an op node's "<input>_<hint>" key (fc1's
 *    weight_lr_mult=1.2, written by MXNet 0.8) is the hint of the variable
 *    feeding that input: it moves there as "__lr_mult__", as MXNet's
 *    parsing fix-up does on load. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "graph_internal.h"
#include "json_reader.h"

int mxi_graph_json_version(const mxi_jv *root) {
    const mxi_jv *attrs = mxi_jv_get(root, "attrs");
    const mxi_jv *v = attrs ? mxi_jv_get(attrs, "mxnet_version") : NULL;
    /* written as ["int", 10901] */
    if (v && v->type == MXI_JV_ARR && v->n == 2 && v->items[1].type == MXI_JV_NUM) return (int)v->items[1].num;
    return 0;
}

static const char *const HINTS[] = {"ctx_group", "lr_mult", "wd_mult", "mirror_stage", "force_mirroring"};

static int find_key(const gnode *n, const char *key) {
    for (int a = 0; a < n->n_attrs; a++)
        if (!strcmp(n->keys[a], key)) return a;
    return -1;
}

int mxi_graph_upgrade_hints(gnode *n, int version) {
    if (version >= MXI_JSON_VERSION) return MX_OK;
    for (size_t h = 0; h < sizeof HINTS / sizeof *HINTS; h++) {
        int a = find_key(n, HINTS[h]);
        if (a < 0) continue;
        char key[64];
        snprintf(key, sizeof key, "__%s__", HINTS[h]);
        if (find_key(n, key) >= 0) continue; /* both spellings: the underscored one wins, as MXNet keeps it */
        char *k = malloc(strlen(key) + 1);
        if (!k) return mxi_error(MX_ERR_MEMORY, "graph: out of memory");
        strcpy(k, key);
        free(n->keys[a]);
        n->keys[a] = k;
    }
    return MX_OK;
}

static char *copy(const char *s);

/* Sets attribute key=val on node v (replacing a present one). */
static int set_attr(gnode *v, const char *key, const char *val) {
    int a = find_key(v, key);
    char *nv = copy(val);
    if (!nv) return mxi_error(MX_ERR_MEMORY, "graph: out of memory");
    if (a >= 0) {
        free(v->vals[a]);
        v->vals[a] = nv;
        return MX_OK;
    }
    char *nk = copy(key);
    char **ks = realloc(v->keys, sizeof *ks * (size_t)(v->n_attrs + 1));
    if (ks) v->keys = ks;
    char **vs = ks ? realloc(v->vals, sizeof *vs * (size_t)(v->n_attrs + 1)) : NULL;
    if (vs) v->vals = vs;
    if (!nk || !ks || !vs) {
        free(nk);
        free(nv);
        return mxi_error(MX_ERR_MEMORY, "graph: out of memory");
    }
    v->keys[v->n_attrs] = nk;
    v->vals[v->n_attrs++] = nv;
    return MX_OK;
}

static int input_name(const mx_op_def *op, int j, char *buf, size_t len);

int mxi_graph_upgrade_input_hints(mx_graph_s *g, gnode *n) {
    if (!n->op) return MX_OK;
    for (int a = 0; a < n->n_attrs; a++) {
        const char *key = n->keys[a];
        size_t klen = strlen(key);
        for (size_t h = 0; h < sizeof HINTS / sizeof *HINTS; h++) {
            size_t hlen = strlen(HINTS[h]);
            if (klen < hlen + 2 || key[klen - hlen - 1] != '_' || strcmp(key + klen - hlen, HINTS[h])) continue;
            char in[64], hint[64];
            int j = 0;
            for (; j < n->n_in; j++)
                if (!input_name(n->op, j, in, sizeof in) && strlen(in) == klen - hlen - 1 && !strncmp(key, in, strlen(in)))
                    break;
            gnode *v = j < n->n_in ? &g->nodes[n->in[j].node] : NULL;
            if (!v || v->op) break; /* not a variable input: the key stays as it is */
            snprintf(hint, sizeof hint, "__%s__", HINTS[h]);
            MXI_TRY(set_attr(v, hint, n->vals[a]));
            free(n->keys[a]);
            free(n->vals[a]);
            n->keys[a] = n->keys[n->n_attrs - 1];
            n->vals[a] = n->vals[n->n_attrs - 1];
            n->n_attrs--;
            a--;
            break;
        }
    }
    return MX_OK;
}

/* The name of input `j` in an op's comma-separated input list (NULL if none). */
static int input_name(const mx_op_def *op, int j, char *buf, size_t len) {
    const char *s = op->inputs;
    if (!s || *s == '*') return -1;
    for (int k = 0; k < j; k++) {
        s = strchr(s, ',');
        if (!s) return -1;
        s++;
    }
    size_t n = strcspn(s, ",");
    if (n == 0 || n >= len) return -1;
    memcpy(buf, s, n);
    buf[n] = 0;
    return 0;
}

/* How many trailing aux inputs node n lacks (0 when none or not that case). */
static int missing_aux(const gnode *n) {
    if (!n->op || !n->op->mutates || !n->op->inputs || n->op->inputs[0] == '*') return 0;
    int total = 1;
    for (const char *s = n->op->inputs; *s; s++) total += *s == ',';
    if (n->n_in >= total || total > 64) return 0;
    char name[64];
    for (int j = n->n_in; j < total; j++)
        if (!mxi_op_mutates(n->op, j) || input_name(n->op, j, name, sizeof name)) return 0;
    return total - n->n_in;
}

static void var_free(gnode *v, int cap) {
    free(v->name);
    free(v->op_name);
    for (int a = 0; v->keys && a < cap; a++) free(v->keys[a]);
    for (int a = 0; v->vals && a < cap; a++) free(v->vals[a]);
    free(v->keys);
    free(v->vals);
    memset(v, 0, sizeof *v);
}

static char *copy(const char *s) {
    char *d = malloc(strlen(s) + 1);
    if (d) strcpy(d, s);
    return d;
}

/* Variable `v` for input j of `owner` (cleared again on failure). */
static int new_aux_var(gnode *v, const gnode *owner, int j) {
    char in[64], name[512];
    int cap = owner->n_attrs + 1;
    memset(v, 0, sizeof *v);
    if (input_name(owner->op, j, in, sizeof in))
        return mxi_error(MX_ERR_INVALID, "graph: op %s has no input %d", owner->op->name, j);
    snprintf(name, sizeof name, "%s_%s", owner->name, in);
    v->n_out = v->n_visible = 1;
    v->name = copy(name);
    v->op_name = copy("null");
    v->keys = calloc((size_t)cap, sizeof(char *));
    v->vals = calloc((size_t)cap, sizeof(char *));
    bool ok = v->name && v->op_name && v->keys && v->vals;
    if (ok) {
        v->keys[0] = copy("__init__");
        v->vals[0] = copy(strstr(in, "var") ? "[\"one\", {}]" : "[\"zero\", {}]");
        for (int a = 0; a < owner->n_attrs; a++) {
            v->keys[a + 1] = copy(owner->keys[a]);
            v->vals[a + 1] = copy(owner->vals[a]);
        }
        for (int a = 0; a < cap; a++) ok = ok && v->keys[a] && v->vals[a];
    }
    if (!ok) {
        var_free(v, cap);
        return mxi_error(MX_ERR_MEMORY, "graph: out of memory");
    }
    v->n_attrs = cap;
    return MX_OK;
}

int mxi_graph_upgrade_aux(mx_graph_s *g, int version) {
    if (version >= 900) return MX_OK;
    int extra = 0;
    for (int i = 0; i < g->n_nodes; i++) extra += missing_aux(&g->nodes[i]);
    if (!extra) return MX_OK;
    gnode *nodes = calloc((size_t)(g->n_nodes + extra) + 1, sizeof *nodes);
    int *where = malloc(sizeof(int) * (size_t)(g->n_nodes + 1));
    bool *is_new = calloc((size_t)(g->n_nodes + extra) + 1, sizeof(bool));
    if (!nodes || !where || !is_new) {
        free(nodes);
        free(where);
        free(is_new);
        return mxi_error(MX_ERR_MEMORY, "graph: out of memory");
    }
    int m = 0, rc = MX_OK;
    for (int i = 0; i < g->n_nodes && rc == MX_OK; i++) {
        gnode *n = &g->nodes[i];
        int miss = missing_aux(n), first = m;
        for (int k = 0; k < miss && rc == MX_OK; k++) {
            rc = new_aux_var(&nodes[m], n, n->n_in + k);
            if (rc == MX_OK) is_new[m++] = true;
        }
        if (rc != MX_OK) break;
        for (int j = 0; j < n->n_in; j++) n->in[j].node = where[n->in[j].node];
        if (miss) {
            gref *in = realloc(n->in, sizeof *in * (size_t)(n->n_in + miss));
            if (!in) { rc = mxi_error(MX_ERR_MEMORY, "graph: out of memory"); break; }
            n->in = in;
            for (int k = 0; k < miss; k++) n->in[n->n_in + k] = (gref){.node = first + k, .index = 0};
            n->n_in += miss;
        }
        where[i] = m;
        nodes[m++] = *n;
    }
    if (rc != MX_OK) {
        /* the moved op nodes still belong to g (freed with it); free only the new variables */
        for (int i = 0; i < m; i++)
            if (is_new[i]) var_free(&nodes[i], nodes[i].n_attrs);
        free(nodes);
        free(where);
        free(is_new);
        return rc;
    }
    for (int h = 0; h < g->n_heads; h++) g->heads[h].node = where[g->heads[h].node];
    free(g->nodes);
    g->nodes = nodes;
    g->n_nodes = m;
    free(where);
    free(is_new);
    return MX_OK;
}
