/* autograd_symbol.c — mx_autograd_get_symbol: the recorded history of a
 * tensor written as MXNet symbol JSON (MXNet's autograd.get_symbol).
 *
 * The tape is already a graph (autograd.c): each recorded output points at
 * its node, each node holds its input tensors. A depth-first walk from the
 * head lists the nodes inputs-first; marked variables become arguments named
 * var<k> (numbered when marked), other leaves (constants fed to a recorded
 * op) arguments named null<k>, op nodes node_<k> (numbered when recorded),
 * as MXNet names them. Attributes are written when they differ from the op's
 * default, in the text MXNet's Python gives them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attrs.h"
#include "autograd.h"
#include "json_writer.h"

/* pointer -> index, open addressing (the walk visits each node and leaf once) */
typedef struct {
    const void **keys;
    int *vals;
    size_t cap, len;
} ptr_map;

static size_t ptr_hash(const void *p, size_t cap) {
    uint64_t x = (uint64_t)(uintptr_t)p;
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    return (size_t)x & (cap - 1);
}

static int *map_slot(ptr_map *m, const void *key, bool insert) {
    if (insert && (m->len + 1) * 2 > m->cap) {
        ptr_map g = {NULL, NULL, m->cap ? m->cap * 2 : 64, 0};
        g.keys = calloc(g.cap, sizeof *g.keys);
        g.vals = calloc(g.cap, sizeof *g.vals);
        if (!g.keys || !g.vals) { free(g.keys); free(g.vals); return NULL; }
        for (size_t i = 0; i < m->cap; i++)
            if (m->keys[i]) *map_slot(&g, m->keys[i], true) = m->vals[i];
        free(m->keys);
        free(m->vals);
        *m = g;
    }
    if (!m->cap) return NULL;
    for (size_t i = ptr_hash(key, m->cap);; i = (i + 1) & (m->cap - 1)) {
        if (m->keys[i] == key) return &m->vals[i];
        if (!m->keys[i]) {
            if (!insert) return NULL;
            m->keys[i] = key;
            m->len++;
            return &m->vals[i];
        }
    }
}

typedef struct {
    mxi_json j;
    ptr_map index; /* node or leaf identity -> JSON node index */
    int n_nodes;
    int *arg_nodes;
    int n_args, cap_args;
} sym_writer;

/* A leaf's identity: its variable record when marked (one argument however
 * many aliases it has), else the tensor. */
static const void *leaf_key(const mx_tensor_s *t) { return t->var ? (const void *)t->var : (const void *)t; }

static bool is_leaf(const mx_tensor_s *t) { return t->var || !t->node; }

static int write_leaf(sym_writer *w, const mx_tensor_s *t, int *out) {
    int *slot = map_slot(&w->index, leaf_key(t), false);
    if (slot) { *out = *slot; return MX_OK; }
    if (w->n_args == w->cap_args) {
        int cap = w->cap_args ? w->cap_args * 2 : 16;
        int *a = realloc(w->arg_nodes, sizeof *a * (size_t)cap);
        if (!a) return mxi_error(MX_ERR_MEMORY, "autograd.get_symbol: out of memory");
        w->arg_nodes = a;
        w->cap_args = cap;
    }
    slot = map_slot(&w->index, leaf_key(t), true);
    if (!slot) return mxi_error(MX_ERR_MEMORY, "autograd.get_symbol: out of memory");
    char name[40];
    if (t->var) snprintf(name, sizeof name, "var%llu", (unsigned long long)t->var->seq);
    else snprintf(name, sizeof name, "null%llu", (unsigned long long)mxi_ag_next_var_seq());
    mxi_json_begin_object(&w->j);
    mxi_json_key(&w->j, "op");
    mxi_json_string(&w->j, "null");
    mxi_json_key(&w->j, "name");
    mxi_json_string(&w->j, name);
    mxi_json_key(&w->j, "inputs");
    mxi_json_begin_array(&w->j);
    mxi_json_end_array(&w->j);
    mxi_json_end_object(&w->j);
    w->arg_nodes[w->n_args++] = w->n_nodes;
    *slot = *out = w->n_nodes++;
    return MX_OK;
}

static void write_attrs(sym_writer *w, const mx_ag_node *n) {
    const mx_attr_val *defaults = mxi_op_defaults(mxi_op_index(n->op));
    bool any = false;
    for (int i = 0; i < n->n_attrs && i < n->op->n_attrs; i++) {
        const mx_attr_spec *s = &n->op->attrs[i];
        char val[32 * MX_MAX_TUPLE], def[32 * MX_MAX_TUPLE];
        mxi_attr_value_str(s, &n->attrs[i], 1, val, sizeof val);
        if (s->def && defaults) {
            mxi_attr_value_str(s, &defaults[i], 1, def, sizeof def);
            if (!strcmp(val, def)) continue;
        }
        if (!any) {
            mxi_json_key(&w->j, "attrs");
            mxi_json_begin_object(&w->j);
            any = true;
        }
        mxi_json_key(&w->j, s->name);
        mxi_json_string(&w->j, val);
    }
    if (any) mxi_json_end_object(&w->j);
}

/* The JSON index of input tensor t of some node: a leaf, or an output of a
 * node already written (the walk writes inputs first). */
static int entry_of(sym_writer *w, const mx_tensor_s *t, int *idx, int *out_index) {
    *out_index = 0;
    if (is_leaf(t)) return write_leaf(w, t, idx);
    int *slot = map_slot(&w->index, t->node, false);
    if (!slot) return mxi_error(MX_ERR_INTERNAL, "autograd.get_symbol: node visited out of order");
    *idx = *slot;
    *out_index = t->out_index;
    return MX_OK;
}

static int write_node(sym_writer *w, const mx_ag_node *n) {
    int ins[MX_MAX_INPUTS][2];
    for (int i = 0; i < n->n_in; i++) MXI_TRY(entry_of(w, n->inputs[i], &ins[i][0], &ins[i][1]));
    char name[40];
    snprintf(name, sizeof name, "node_%llu", (unsigned long long)n->seq);
    mxi_json_begin_object(&w->j);
    mxi_json_key(&w->j, "op");
    mxi_json_string(&w->j, n->op->name);
    mxi_json_key(&w->j, "name");
    mxi_json_string(&w->j, name);
    write_attrs(w, n);
    mxi_json_key(&w->j, "inputs");
    mxi_json_begin_array(&w->j);
    for (int i = 0; i < n->n_in; i++) {
        mxi_json_begin_array(&w->j);
        mxi_json_int(&w->j, ins[i][0]);
        mxi_json_int(&w->j, ins[i][1]);
        mxi_json_int(&w->j, 0);
        mxi_json_end_array(&w->j);
    }
    mxi_json_end_array(&w->j);
    mxi_json_end_object(&w->j);
    int *slot = map_slot(&w->index, n, true);
    if (!slot) return mxi_error(MX_ERR_MEMORY, "autograd.get_symbol: out of memory");
    *slot = w->n_nodes++;
    return MX_OK;
}

/* A node the symbol form cannot hold: a whole graph run (hybridized block,
 * executor), a Custom op or Function, or a history freed by backward. */
static int check_node(const mx_ag_node *n) {
    if (n->freed)
        return mxi_error(MX_ERR_INVALID, "autograd.get_symbol: the history through %s was freed by backward(); "
                         "call backward(retain_graph=True) to keep it", n->op->name);
    if (n->state || mxi_op_index(n->op) < 0 || (n->op->flags & (MX_OPF_INTERNAL | MX_OPF_HOST)))
        return mxi_error(MX_ERR_INVALID, "autograd.get_symbol: the history holds %s, a hybridized block, executor "
                         "or custom Function run, which has no symbol form", n->op->name);
    return MX_OK;
}

/* Write the nodes reachable from `root`, inputs first (iterative DFS). */
static int walk(sym_writer *w, mx_ag_node *root) {
    typedef struct { mx_ag_node *n; int next; } frame;
    size_t cap = 64, len = 0;
    frame *st = malloc(sizeof *st * cap);
    ptr_map seen = {0};
    int rc = MX_OK;
    if (!st) return mxi_error(MX_ERR_MEMORY, "autograd.get_symbol: out of memory");
    st[len++] = (frame){root, 0};
    while (len && rc == MX_OK) {
        frame *f = &st[len - 1];
        if (f->next == 0 && (rc = check_node(f->n)) != MX_OK) break;
        if (f->next < f->n->n_in) {
            const mx_tensor_s *t = f->n->inputs[f->next++];
            if (is_leaf(t) || map_slot(&seen, t->node, false)) continue;
            int *mark = map_slot(&seen, t->node, true);
            if (!mark) { rc = mxi_error(MX_ERR_MEMORY, "autograd.get_symbol: out of memory"); break; }
            if (len == cap) {
                frame *g = realloc(st, sizeof *st * (cap *= 2));
                if (!g) { rc = mxi_error(MX_ERR_MEMORY, "autograd.get_symbol: out of memory"); break; }
                st = g;
            }
            st[len++] = (frame){t->node, 0};
            continue;
        }
        rc = write_node(w, f->n);
        len--;
    }
    free(st);
    free(seen.keys);
    free(seen.vals);
    return rc;
}

static _Thread_local char *g_symbol_json;

int mx_autograd_get_symbol(mx_tensor head, const char **json) {
    if (!json) return mxi_error(MX_ERR_INVALID, "autograd.get_symbol: json must not be NULL");
    if (!mxi_tensor_check(head, "autograd.get_symbol")) return MX_ERR_HANDLE;
    if (!head->var && !head->node)
        return mxi_error(MX_ERR_INVALID, "autograd.get_symbol: the array is not part of a computation graph: "
                         "compute it under autograd.record() from arrays marked with attach_grad()");
    sym_writer w = {0};
    mxi_json_init(&w.j);
    mxi_json_begin_object(&w.j);
    mxi_json_key(&w.j, "nodes");
    mxi_json_begin_array(&w.j);
    int idx = 0, out_index = 0;
    int rc = is_leaf(head) ? MX_OK : walk(&w, head->node);
    if (rc == MX_OK) rc = entry_of(&w, head, &idx, &out_index);
    mxi_json_end_array(&w.j);
    if (rc == MX_OK) {
        mxi_json_key(&w.j, "arg_nodes");
        mxi_json_begin_array(&w.j);
        for (int i = 0; i < w.n_args; i++) mxi_json_int(&w.j, w.arg_nodes[i]);
        mxi_json_end_array(&w.j);
        mxi_json_key(&w.j, "heads");
        mxi_json_begin_array(&w.j);
        mxi_json_begin_array(&w.j);
        mxi_json_int(&w.j, idx);
        mxi_json_int(&w.j, out_index);
        mxi_json_int(&w.j, 0);
        mxi_json_end_array(&w.j);
        mxi_json_end_array(&w.j);
        mxi_json_key(&w.j, "attrs");
        mxi_json_raw(&w.j, "{\"mxnet_version\": [\"int\", 10901]}");
    }
    mxi_json_end_object(&w.j);
    char *text = mxi_json_take(&w.j);
    free(w.index.keys);
    free(w.index.vals);
    free(w.arg_nodes);
    if (rc != MX_OK) { free(text); return rc; }
    if (!text) return mxi_error(MX_ERR_MEMORY, "autograd.get_symbol: out of memory");
    free(g_symbol_json);
    g_symbol_json = text;
    *json = text;
    return MX_OK;
}
