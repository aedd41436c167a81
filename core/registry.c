/* registry.c — the one op registry: registration, lookup by name/alias, and
 * the JSON manifest that bindings and codegen are generated from. */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attrs.h"
#include "json_writer.h"
#include "op.h"
#include "ops/families.h"

typedef struct {
    const char *name; /* canonical name or alias */
    const mx_op_def *def;
} op_entry;

static op_entry *entries;
static int n_entries, cap_entries;
static const mx_op_def **defs;
static int n_defs, cap_defs;
static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static char *manifest;

static void add_entry(const char *name, const mx_op_def *def) {
    if (n_entries == cap_entries) {
        cap_entries = cap_entries ? cap_entries * 2 : 512;
        entries = realloc(entries, sizeof *entries * (size_t)cap_entries);
    }
    entries[n_entries].name = name;
    entries[n_entries].def = def;
    n_entries++;
}

/* Aliases live in the op's static "a,b,c" string; split into owned copies. */
static void add_aliases(const mx_op_def *def) {
    if (!def->aliases) return;
    const char *p = def->aliases;
    while (*p) {
        const char *e = strchr(p, ',');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        char *a = malloc(len + 1);
        memcpy(a, p, len);
        a[len] = 0;
        add_entry(a, def);
        if (!e) break;
        p = e + 1;
    }
}

void mxi_register_ops(const mx_op_def *table, int n) {
    for (int i = 0; i < n; i++) {
        if (n_defs == cap_defs) {
            cap_defs = cap_defs ? cap_defs * 2 : 512;
            defs = realloc(defs, sizeof *defs * (size_t)cap_defs);
        }
        defs[n_defs++] = &table[i];
        add_entry(table[i].name, &table[i]);
        add_aliases(&table[i]);
    }
}

static int entry_cmp(const void *a, const void *b) {
    return strcmp(((const op_entry *)a)->name, ((const op_entry *)b)->name);
}

static void registry_init(void) {
#define MXI_CALL_FAMILY(f) mxi_register_##f();
    MXI_OP_FAMILIES(MXI_CALL_FAMILY)
#undef MXI_CALL_FAMILY
    qsort(entries, (size_t)n_entries, sizeof *entries, entry_cmp);
    /* duplicate names would make lookups ambiguous: report on stderr once
     * (a test also checks the manifest for duplicates) */
    for (int i = 1; i < n_entries; i++)
        if (!strcmp(entries[i].name, entries[i - 1].name))
            fprintf(stderr, "mxcore: duplicate op name or alias '%s'\n", entries[i].name);
}

static void ensure_init(void) { pthread_once(&init_once, registry_init); }

const char *mxi_output_name(const mx_op_def *op, int k) {
    const char *p = op->output_names;
    for (int i = 0; p && i < k; i++) {
        p = strchr(p, ',');
        if (p) p++;
    }
    return p && *p ? p : NULL;
}

const mx_op_def *mxi_find_op(const char *name) {
    ensure_init();
    if (!name) return NULL;
    op_entry key = {name, NULL};
    op_entry *e = bsearch(&key, entries, (size_t)n_entries, sizeof *entries, entry_cmp);
    return e ? e->def : NULL;
}

int mxi_registry_count(void) {
    ensure_init();
    return n_defs;
}

const mx_op_def *mxi_registry_at(int i) {
    ensure_init();
    return i >= 0 && i < n_defs ? defs[i] : NULL;
}

/* ---- manifest ---- */

static const char *attr_type_name(mx_attr_type t) {
    switch (t) {
    case MX_ATTR_INT: return "int";
    case MX_ATTR_FLOAT: return "float";
    case MX_ATTR_BOOL: return "bool";
    case MX_ATTR_STR: return "string";
    case MX_ATTR_ENUM: return "enum";
    case MX_ATTR_SHAPE: return "shape";
    case MX_ATTR_FLOATS: return "floats";
    case MX_ATTR_DTYPE: return "dtype";
    case MX_ATTR_OPT_INT: return "int_or_none";
    }
    return "unknown";
}

static void write_csv_array(mxi_json *j, const char *csv) {
    mxi_json_begin_array(j);
    if (csv) {
        const char *p = csv;
        while (*p) {
            const char *e = strchr(p, ',');
            size_t len = e ? (size_t)(e - p) : strlen(p);
            mxi_json_string_n(j, p, len);
            if (!e) break;
            p = e + 1;
        }
    }
    mxi_json_end_array(j);
}

extern const char *mxi_backend_ops_for(const mx_op_def *def); /* backends that have a kernel */

static void build_manifest(void) {
    ensure_init();
    mxi_json j;
    mxi_json_init(&j);
    mxi_json_begin_object(&j);
    mxi_json_key(&j, "abi_version");
    mxi_json_int(&j, MX_ABI_VERSION);
    mxi_json_key(&j, "ops");
    mxi_json_begin_array(&j);
    for (int i = 0; i < n_defs; i++) {
        const mx_op_def *d = defs[i];
        mxi_json_begin_object(&j);
        mxi_json_key(&j, "name");
        mxi_json_string(&j, d->name);
        mxi_json_key(&j, "aliases");
        write_csv_array(&j, d->aliases);
        mxi_json_key(&j, "doc");
        mxi_json_string(&j, d->doc ? d->doc : "");
        int variadic = d->inputs && d->inputs[0] == '*';
        mxi_json_key(&j, "inputs");
        write_csv_array(&j, variadic ? d->inputs + 1 : d->inputs);
        mxi_json_key(&j, "variadic");
        mxi_json_bool(&j, variadic);
        mxi_json_key(&j, "num_outputs");
        mxi_json_int(&j, d->num_outputs_fn ? -1 : d->num_outputs);
        if (d->output_names) {
            mxi_json_key(&j, "output_names");
            mxi_json_string(&j, d->output_names);
        }
        mxi_json_key(&j, "num_visible_outputs");
        mxi_json_int(&j, d->num_visible_fn ? -1 : d->num_visible_outputs ? d->num_visible_outputs : d->num_outputs);
        mxi_json_key(&j, "public");
        mxi_json_bool(&j, !(d->flags & MX_OPF_INTERNAL));
        mxi_json_key(&j, "differentiable");
        mxi_json_bool(&j, !(d->flags & MX_OPF_NO_GRAD) && d->grad != NULL);
        mxi_json_key(&j, "random");
        mxi_json_bool(&j, (d->flags & MX_OPF_RANDOM) != 0);
        mxi_json_key(&j, "mutates_inputs");
        mxi_json_begin_array(&j);
        for (int b = 0; b < 64; b++)
            if (d->mutates & (1ull << b)) mxi_json_int(&j, b);
        mxi_json_end_array(&j);
        mxi_json_key(&j, "backends");
        mxi_json_raw(&j, mxi_backend_ops_for(d));
        mxi_json_key(&j, "attrs");
        mxi_json_begin_array(&j);
        for (int a = 0; a < d->n_attrs; a++) {
            const mx_attr_spec *s = &d->attrs[a];
            mxi_json_begin_object(&j);
            mxi_json_key(&j, "name");
            mxi_json_string(&j, s->name);
            mxi_json_key(&j, "type");
            mxi_json_string(&j, attr_type_name(s->type));
            mxi_json_key(&j, "required");
            mxi_json_bool(&j, s->def == NULL);
            mxi_json_key(&j, "default");
            if (s->def) mxi_json_string(&j, s->def);
            else mxi_json_null(&j);
            mxi_json_key(&j, "doc");
            mxi_json_string(&j, s->doc ? s->doc : "");
            if (s->type == MX_ATTR_ENUM) {
                mxi_json_key(&j, "choices");
                write_csv_array(&j, s->choices);
            }
            if (s->bounded) {
                mxi_json_key(&j, "lo");
                mxi_json_double(&j, s->lo);
                mxi_json_key(&j, "hi");
                mxi_json_double(&j, s->hi);
            }
            mxi_json_end_object(&j);
        }
        mxi_json_end_array(&j);
        mxi_json_end_object(&j);
    }
    mxi_json_end_array(&j);
    mxi_json_end_object(&j);
    manifest = mxi_json_take(&j);
}

static pthread_once_t manifest_once = PTHREAD_ONCE_INIT;

int mx_registry_json(const char **json) {
    if (!json) return mxi_error(MX_ERR_INVALID, "mx_registry_json: json is NULL");
    pthread_once(&manifest_once, build_manifest);
    *json = manifest;
    return MX_OK;
}


/* mx_op handles are the op definitions themselves; their first member is a
 * string pointer, so kind-checking is done by membership in the table. */
int mx_op_lookup(const char *name, mx_op *op) {
    if (!op) return mxi_error(MX_ERR_INVALID, "mx_op_lookup: op is NULL");
    if (!name) return mxi_error(MX_ERR_INVALID, "mx_op_lookup: name is NULL");
    const mx_op_def *d = mxi_find_op(name);
    if (!d) return mxi_error(MX_ERR_NOT_FOUND, "unknown op '%s'", name);
    *op = (mx_op)d;
    return MX_OK;
}

static int ptr_cmp(const void *a, const void *b) {
    uintptr_t x = (uintptr_t) * (const mx_op_def *const *)a, y = (uintptr_t) * (const mx_op_def *const *)b;
    return x < y ? -1 : x > y;
}

static const mx_op_def **sorted_defs;
static mx_attr_val *sorted_defaults; /* n_defs x MX_MAX_ATTRS, parsed once */
static pthread_once_t sorted_once = PTHREAD_ONCE_INIT;

static void sort_defs(void) {
    ensure_init();
    sorted_defs = malloc(sizeof *sorted_defs * (size_t)(n_defs ? n_defs : 1));
    memcpy(sorted_defs, defs, sizeof *defs * (size_t)n_defs);
    qsort(sorted_defs, (size_t)n_defs, sizeof *sorted_defs, ptr_cmp);
    sorted_defaults = calloc((size_t)(n_defs ? n_defs : 1) * MX_MAX_ATTRS, sizeof *sorted_defaults);
    for (int i = 0; i < n_defs; i++) {
        if (sorted_defs[i]->n_attrs > MX_MAX_ATTRS ||
            mxi_parse_defaults(sorted_defs[i], sorted_defaults + (size_t)i * MX_MAX_ATTRS) != MX_OK)
            fprintf(stderr, "mxcore: bad attribute table for op '%s': %s\n", sorted_defs[i]->name, mx_last_error());
    }
    mxi_error_clear();
}

/* Handle check for mx_op: binary search over the registered definitions. */
int mxi_op_index(const mx_op_def *d) {
    pthread_once(&sorted_once, sort_defs);
    const mx_op_def **e = bsearch(&d, sorted_defs, (size_t)n_defs, sizeof *sorted_defs, ptr_cmp);
    return e ? (int)(e - sorted_defs) : -1;
}

const mx_attr_val *mxi_op_defaults(int index) { return sorted_defaults + (size_t)index * MX_MAX_ATTRS; }

bool mxi_op_valid(const mx_op_def *d) { return mxi_op_index(d) >= 0; }

int mx_op_name(mx_op op, const char **name) {
    if (!op || !mxi_op_valid((const mx_op_def *)op)) return mxi_error(MX_ERR_HANDLE, "mx_op_name: invalid op handle");
    if (!name) return mxi_error(MX_ERR_INVALID, "mx_op_name: name is NULL");
    *name = ((const mx_op_def *)op)->name;
    return MX_OK;
}

__attribute__((destructor)) static void registry_free(void) {
    free(manifest);
    for (int i = 0; i < n_entries; i++) {
        /* alias names were malloc'ed; canonical names are static */
        if (entries[i].name != entries[i].def->name) free((char *)entries[i].name);
    }
    free(entries);
    free(defs);
    free(sorted_defs);
    free(sorted_defaults);
}
