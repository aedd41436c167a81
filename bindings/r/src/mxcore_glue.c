/* mxcore_glue.c — the R package's only C: .Call entry points over the
 * public mxcore ABI. Tensors are external pointers with a finalizer that
 * releases the core reference; mx_dispose() releases early and clears the
 * pointer so a later use is a clean R error. Every non-zero status becomes an
 * R error carrying mx_last_error(). Per-op functions are generated R code that
 * all go through R_mx_invoke. MXNet model files (symbol JSON) become core
 * graphs (R_mx_graph_*), run by the same executor Python's mx.sym uses. */
#include <string.h>
#include <stdint.h>

#include <R.h>
#include <Rinternals.h>
#include <R_ext/Rdynload.h>

#include <mxcore/mxcore.h>

/* io lands in the core independently; weak references let the package load
 * against a core without it and report a clean error instead. */
extern int mx_save(const char *, const mx_tensor *, const char *const *, int) __attribute__((weak));
extern int mx_load(const char *, mx_load_result *, int *) __attribute__((weak));
extern int mx_load_get(mx_load_result, int, mx_tensor *, const char **) __attribute__((weak));
extern int mx_load_release(mx_load_result) __attribute__((weak));

static SEXP tensor_tag;

static void check(int rc) {
    if (rc != MX_OK) Rf_error("%s", mx_last_error());
}

static void finalize(SEXP p) {
    mx_tensor t = (mx_tensor)R_ExternalPtrAddr(p);
    if (t) {
        mx_tensor_release(t);
        R_ClearExternalPtr(p);
    }
}

/* A core handle as an R external pointer tagged `tag`, of class `cls`, released
 * by `fin` when R collects it (tensors and graphs both travel this way). */
static SEXP wrap_handle(void *h, SEXP tag, R_CFinalizer_t fin, const char *cls) {
    SEXP p = PROTECT(R_MakeExternalPtr(h, tag, R_NilValue));
    R_RegisterCFinalizerEx(p, fin, TRUE);
    SEXP c = PROTECT(Rf_mkString(cls));
    Rf_setAttrib(p, R_ClassSymbol, c);
    UNPROTECT(2);
    return p;
}

/* The live handle in `p`; an R error for another object or a released one. */
static void *get_handle(SEXP p, SEXP tag, const char *cls, const char *gone) {
    if (TYPEOF(p) != EXTPTRSXP || R_ExternalPtrTag(p) != tag) Rf_error("mxcore: expected an %s", cls);
    void *h = R_ExternalPtrAddr(p);
    if (!h) Rf_error("mxcore: %s was %s", cls, gone);
    return h;
}

static SEXP wrap(mx_tensor t) { return wrap_handle(t, tensor_tag, finalize, "MXNDArray"); }
static mx_tensor get(SEXP p) { return (mx_tensor)get_handle(p, tensor_tag, "MXNDArray", "disposed"); }

/* c(ABI of the loaded library, ABI this package was compiled against) */
static SEXP R_mx_abi_version(void) {
    SEXP v = PROTECT(Rf_allocVector(INTSXP, 2));
    INTEGER(v)[0] = mx_abi_version();
    INTEGER(v)[1] = MX_ABI_VERSION;
    UNPROTECT(1);
    return v;
}
static SEXP R_mx_version(void) { return Rf_mkString(mx_version_string()); }

static SEXP R_mx_dispose(SEXP p) {
    finalize(p);
    return R_NilValue;
}

/* Data arrives as an R vector whose memory order already is the C order of
 * `shape` (the R side reverses dims, see R/ndarray.R). It is copied as
 * float64 / int32 and converted to `dtype` by the core (mx_tensor_assign). */
static SEXP R_mx_from_r(SEXP data, SEXP shape, SEXP dtype) {
    int nd = Rf_length(shape);
    int64_t shp[MX_MAX_NDIM];
    if (nd > MX_MAX_NDIM) Rf_error("mxcore: at most %d dims", MX_MAX_NDIM);
    for (int i = 0; i < nd; i++) shp[i] = (int64_t)INTEGER(shape)[i];
    mx_device cpu = {MX_DEV_CPU, 0};
    int src_dt;
    const void *src;
    size_t item;
    if (TYPEOF(data) == REALSXP) { src_dt = MX_FLOAT64; src = REAL(data); item = 8; }
    else if (TYPEOF(data) == INTSXP) { src_dt = MX_INT32; src = INTEGER(data); item = 4; }
    else if (TYPEOF(data) == LGLSXP) { src_dt = MX_INT32; src = LOGICAL(data); item = 4; }
    else Rf_error("mxcore: cannot convert R type '%s'", Rf_type2char(TYPEOF(data)));
    mx_tensor tmp = NULL, out = NULL;
    check(mx_tensor_create(shp, nd, src_dt, cpu, &tmp));
    int rc = mx_tensor_copy_from_host(tmp, src, item * (size_t)XLENGTH(data));
    if (rc == MX_OK && Rf_asInteger(dtype) == src_dt) { out = tmp; tmp = NULL; }
    else if (rc == MX_OK) {
        rc = mx_tensor_create(shp, nd, Rf_asInteger(dtype), cpu, &out);
        if (rc == MX_OK) rc = mx_tensor_assign(out, tmp);
    }
    mx_tensor_release(tmp);
    if (rc != MX_OK) { mx_tensor_release(out); check(rc); }
    return wrap(out);
}

/* Contents in C order as a double (float types), integer (int types) or
 * logical (bool) vector; the R side puts the reversed dims on it. */
static SEXP R_mx_to_r(SEXP p) {
    mx_tensor t = get(p);
    int nd, dt;
    const int64_t *shp;
    int64_t n;
    check(mx_tensor_shape(t, &nd, &shp));
    check(mx_tensor_dtype(t, &dt));
    check(mx_tensor_size(t, &n));
    int as_real = dt == MX_FLOAT32 || dt == MX_FLOAT64 || dt == MX_FLOAT16 || dt == MX_BFLOAT16 || dt == MX_INT64;
    int dst_dt = as_real ? MX_FLOAT64 : MX_INT32;
    SEXP v = PROTECT(Rf_allocVector(as_real ? REALSXP : (dt == MX_BOOL ? LGLSXP : INTSXP), (R_xlen_t)n));
    mx_device cpu = {MX_DEV_CPU, 0};
    mx_tensor tmp = NULL;
    int rc = mx_tensor_create(shp, nd, dst_dt, cpu, &tmp);
    if (rc == MX_OK) rc = mx_tensor_assign(tmp, t);
    if (rc == MX_OK && n) rc = mx_tensor_copy_to_host(tmp, as_real ? (void *)REAL(v) : (void *)INTEGER(v), (size_t)n * (as_real ? 8 : 4));
    mx_tensor_release(tmp);
    check(rc);
    UNPROTECT(1);
    return v;
}

static SEXP R_mx_shape(SEXP p) {
    int nd;
    const int64_t *shp;
    check(mx_tensor_shape(get(p), &nd, &shp));
    SEXP v = PROTECT(Rf_allocVector(INTSXP, nd));
    for (int i = 0; i < nd; i++) INTEGER(v)[i] = (int)shp[i];
    UNPROTECT(1);
    return v;
}

static SEXP R_mx_dtype(SEXP p) {
    int dt;
    check(mx_tensor_dtype(get(p), &dt));
    return Rf_ScalarInteger(dt);
}

static SEXP R_mx_device(SEXP p) {
    mx_device d;
    check(mx_tensor_device(get(p), &d));
    SEXP v = PROTECT(Rf_allocVector(INTSXP, 2));
    INTEGER(v)[0] = d.type;
    INTEGER(v)[1] = d.id;
    UNPROTECT(1);
    return v;
}

/* out: NULL (the core allocates the outputs) or a list of MXNDArray the op
 * writes into (MXNet's out=); then that list is returned. */
static SEXP R_mx_invoke(SEXP name, SEXP inputs, SEXP keys, SEXP vals, SEXP out) {
    int n_in = Rf_length(inputs), n_attr = Rf_length(keys);
    mx_tensor *ins = (mx_tensor *)R_alloc((size_t)n_in + 1, sizeof(mx_tensor));
    const char **k = (const char **)R_alloc((size_t)n_attr + 1, sizeof(char *));
    const char **v = (const char **)R_alloc((size_t)n_attr + 1, sizeof(char *));
    for (int i = 0; i < n_in; i++) ins[i] = get(VECTOR_ELT(inputs, i));
    for (int i = 0; i < n_attr; i++) {
        k[i] = CHAR(STRING_ELT(keys, i));
        v[i] = CHAR(STRING_ELT(vals, i));
    }
    mx_tensor outs[64];
    int n_out = 0;
    if (!Rf_isNull(out)) {
        n_out = Rf_length(out);
        if (n_out < 1 || n_out > 64) Rf_error("mxcore: out= needs 1 to 64 MXNDArray");
        for (int i = 0; i < n_out; i++) outs[i] = get(VECTOR_ELT(out, i));
    }
    check(mx_invoke_by_name(CHAR(STRING_ELT(name, 0)), ins, n_in, k, v, n_attr, outs, 64, &n_out));
    if (!Rf_isNull(out)) return out;
    SEXP res = PROTECT(Rf_allocVector(VECSXP, n_out));
    for (int i = 0; i < n_out; i++) SET_VECTOR_ELT(res, i, wrap(outs[i]));
    UNPROTECT(1);
    return res;
}

static SEXP R_mx_set_recording(SEXP on) {
    int prev = 0;
    check(mx_autograd_set_recording(Rf_asLogical(on), &prev));
    return Rf_ScalarLogical(prev);
}

static SEXP R_mx_set_training(SEXP on) {
    int prev = 0;
    check(mx_autograd_set_training(Rf_asLogical(on), &prev));
    return Rf_ScalarLogical(prev);
}

static SEXP R_mx_mark_variables(SEXP vars, SEXP reqs) {
    int n = Rf_length(vars);
    mx_tensor *v = (mx_tensor *)R_alloc((size_t)n + 1, sizeof(mx_tensor));
    for (int i = 0; i < n; i++) v[i] = get(VECTOR_ELT(vars, i));
    check(mx_autograd_mark_variables(v, INTEGER(reqs), NULL, n));
    return R_NilValue;
}

static SEXP R_mx_backward(SEXP heads, SEXP head_grads, SEXP retain) {
    int n = Rf_length(heads);
    mx_tensor *h = (mx_tensor *)R_alloc((size_t)n + 1, sizeof(mx_tensor));
    mx_tensor *g = NULL;
    for (int i = 0; i < n; i++) h[i] = get(VECTOR_ELT(heads, i));
    if (!Rf_isNull(head_grads)) {
        g = (mx_tensor *)R_alloc((size_t)n + 1, sizeof(mx_tensor));
        for (int i = 0; i < n; i++) g[i] = Rf_isNull(VECTOR_ELT(head_grads, i)) ? NULL : get(VECTOR_ELT(head_grads, i));
    }
    check(mx_autograd_backward(h, g, n, Rf_asLogical(retain), 0));
    return R_NilValue;
}

static SEXP R_mx_grad(SEXP p) {
    mx_tensor g = NULL;
    check(mx_tensor_grad(get(p), &g));
    return g ? wrap(g) : R_NilValue;
}

static SEXP R_mx_random_seed(SEXP seed) {
    check(mx_random_seed((uint64_t)Rf_asReal(seed)));
    return R_NilValue;
}

static SEXP R_mx_save(SEXP path, SEXP tensors, SEXP names) {
    if (!mx_save) Rf_error("mx_save: not available in this libmxcore build");
    int n = Rf_length(tensors);
    mx_tensor *t = (mx_tensor *)R_alloc((size_t)n + 1, sizeof(mx_tensor));
    const char **nm = NULL;
    for (int i = 0; i < n; i++) t[i] = get(VECTOR_ELT(tensors, i));
    if (!Rf_isNull(names)) {
        nm = (const char **)R_alloc((size_t)n + 1, sizeof(char *));
        for (int i = 0; i < n; i++) nm[i] = CHAR(STRING_ELT(names, i));
    }
    check(mx_save(CHAR(STRING_ELT(path, 0)), t, nm, n));
    return R_NilValue;
}

static SEXP R_mx_load(SEXP path) {
    if (!mx_load) Rf_error("mx_load: not available in this libmxcore build");
    mx_load_result r;
    int n = 0;
    check(mx_load(CHAR(STRING_ELT(path, 0)), &r, &n));
    SEXP res = PROTECT(Rf_allocVector(VECSXP, n));
    SEXP nms = PROTECT(Rf_allocVector(STRSXP, n));
    for (int i = 0; i < n; i++) {
        mx_tensor t;
        const char *name;
        int rc = mx_load_get(r, i, &t, &name);
        if (rc != MX_OK) { mx_load_release(r); check(rc); }
        SET_VECTOR_ELT(res, i, wrap(t));
        SET_STRING_ELT(nms, i, Rf_mkChar(name));
    }
    mx_load_release(r);
    Rf_setAttrib(res, R_NamesSymbol, nms);
    UNPROTECT(2);
    return res;
}

/* ---- graphs: MXNet symbol JSON run by the core's graph executor ----------
 * A graph is an external pointer tagged graph_tag with class "MXSymbol"; its
 * finalizer releases the core graph. */
static SEXP graph_tag;

static void graph_finalize(SEXP p) {
    mx_graph g = (mx_graph)R_ExternalPtrAddr(p);
    if (g) {
        mx_graph_release(g);
        R_ClearExternalPtr(p);
    }
}

static mx_graph get_graph(SEXP p) { return (mx_graph)get_handle(p, graph_tag, "MXSymbol", "released"); }

/* json: one string. Errors (malformed JSON, unknown op) name the node. */
static SEXP R_mx_graph_from_json(SEXP json) {
    mx_graph g;
    check(mx_graph_from_json(CHAR(STRING_ELT(json, 0)), &g));
    return wrap_handle(g, graph_tag, graph_finalize, "MXSymbol");
}

/* what: 0 arguments, 1 auxiliary states, 2 outputs (MXNet's order). */
static SEXP R_mx_graph_list(SEXP p, SEXP what) {
    int n;
    const char *const *names;
    check(mx_graph_list(get_graph(p), Rf_asInteger(what), &n, &names));
    SEXP v = PROTECT(Rf_allocVector(STRSXP, n));
    for (int i = 0; i < n; i++) SET_STRING_ELT(v, i, Rf_mkChar(names[i]));
    UNPROTECT(1);
    return v;
}

static SEXP R_mx_graph_json(SEXP p) {
    const char *j;
    check(mx_graph_to_json(get_graph(p), &j));
    return Rf_mkString(j);
}

/* args / aux: lists of MXNDArray in mx_graph_list order (the R side orders
 * them by name); returns the outputs as a list of new MXNDArray. */
static SEXP R_mx_graph_run(SEXP p, SEXP args, SEXP aux, SEXP is_train) {
    mx_graph g = get_graph(p);
    int na = Rf_length(args), nx = Rf_length(aux), n_heads;
    const char *const *names;
    check(mx_graph_list(g, 2, &n_heads, &names));
    mx_tensor *a = (mx_tensor *)R_alloc((size_t)na + 1, sizeof(mx_tensor));
    mx_tensor *x = (mx_tensor *)R_alloc((size_t)nx + 1, sizeof(mx_tensor));
    mx_tensor *outs = (mx_tensor *)R_alloc((size_t)n_heads + 1, sizeof(mx_tensor));
    for (int i = 0; i < na; i++) a[i] = get(VECTOR_ELT(args, i));
    for (int i = 0; i < nx; i++) x[i] = get(VECTOR_ELT(aux, i));
    int n_out = 0;
    check(mx_graph_run(g, a, na, x, nx, Rf_asLogical(is_train) == TRUE, outs, n_heads, &n_out));
    SEXP res = PROTECT(Rf_allocVector(VECSXP, n_out));
    for (int i = 0; i < n_out; i++) SET_VECTOR_ELT(res, i, wrap(outs[i]));
    UNPROTECT(1);
    return res;
}

static SEXP R_mx_registry_json(void) {
    const char *j;
    check(mx_registry_json(&j));
    return Rf_mkString(j);
}

#define ENTRY(f, n) {#f, (DL_FUNC)&f, n}
static const R_CallMethodDef calls[] = {
    ENTRY(R_mx_abi_version, 0), ENTRY(R_mx_version, 0), ENTRY(R_mx_dispose, 1),
    ENTRY(R_mx_from_r, 3), ENTRY(R_mx_to_r, 1), ENTRY(R_mx_shape, 1), ENTRY(R_mx_dtype, 1),
    ENTRY(R_mx_device, 1), ENTRY(R_mx_invoke, 5), ENTRY(R_mx_set_recording, 1),
    ENTRY(R_mx_set_training, 1), ENTRY(R_mx_mark_variables, 2), ENTRY(R_mx_backward, 3),
    ENTRY(R_mx_grad, 1), ENTRY(R_mx_random_seed, 1), ENTRY(R_mx_save, 3), ENTRY(R_mx_load, 1),
    ENTRY(R_mx_registry_json, 0), ENTRY(R_mx_graph_from_json, 1), ENTRY(R_mx_graph_list, 2),
    ENTRY(R_mx_graph_json, 1), ENTRY(R_mx_graph_run, 4), {NULL, NULL, 0}};

void R_init_mxcore(DllInfo *dll) {
    tensor_tag = Rf_install("mxcore_tensor");
    graph_tag = Rf_install("mxcore_graph");
    R_registerRoutines(dll, NULL, calls, NULL, NULL);
    R_useDynamicSymbols(dll, FALSE);
}
