/* backend_registry.c — loads device backend modules at run time and routes
 * device memory and op calls to them (ARCHITECTURE.md, fixed decision 7).
 *
 * Discovery: for each known module (opencl, cuda) the module's runtime
 * library (libOpenCL.so.1 / libcuda.so.1) must dlopen first, so a machine
 * without a driver never even maps the module. The module file is searched
 * in the directories of MXCORE_BACKEND_PATH (colon separated), then next to
 * libmxcore itself (dladdr). Its entry point must return a table whose
 * api_version equals MXB_API_VERSION. Every reason a module did not load is
 * kept for mx_runtime_features_json. MXCORE_DISABLE_BACKENDS=opencl,cuda
 * (or "all") skips modules.
 *
 * Op calls: a kernel from the module when it has one for the op (inputs are
 * made contiguous at offset 0 first, outputs pre-allocated and zeroed);
 * otherwise — or when the kernel answers MXB_UNSUPPORTED for this call — the
 * op's CPU kernel runs on host copies and results are copied back, with one
 * warning per op on stderr. MXCORE_STRICT_DEVICE=1 turns the fallback into
 * an error. Calls into a module are serialised by one recursive lock. */
#define _GNU_SOURCE
#include "backend_registry.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "mxcore/backend.h"
#include "op.h"
#include "ops/shape_util.h"

typedef struct mx_backend_module {
    const char *key;        /* "opencl" */
    const char *file;       /* module file name */
    const char *runtime;    /* driver library that must load first */
    int dev_type;
    const mxb_backend *b;
    void *handle;
    int ndev;
    char path[1024];
    char reason[1600];
    pthread_mutex_t lock;
    /* generic view kernels (run_view_kernel), looked up once */
    mxb_kernel_fn view_fn[2];
    int views_looked;
} mx_backend_module;

static mx_backend_module mods[] = {
    {.key = "opencl", .file = "libmxcore-opencl.so", .runtime = "libOpenCL.so.1", .dev_type = MX_DEV_OPENCL},
    {.key = "cuda", .file = "libmxcore-cuda.so", .runtime = "libcuda.so.1", .dev_type = MX_DEV_CUDA},
};
#define N_MODS ((int)(sizeof mods / sizeof mods[0]))

static pthread_once_t load_once = PTHREAD_ONCE_INIT;

static int file_exists(const char *p) {
    FILE *f = fopen(p, "rb");
    if (!f) return 0;
    fclose(f);
    return 1;
}

/* first existing <dir>/<file> among MXCORE_BACKEND_PATH and libmxcore's dir */
static int find_module_file(const char *file, char *out, size_t n) {
    const char *env = getenv("MXCORE_BACKEND_PATH");
    if (env && *env) {
        char buf[4096];
        snprintf(buf, sizeof buf, "%s", env);
        char *save = NULL;
        for (char *d = strtok_r(buf, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
            snprintf(out, n, "%s/%s", d, file);
            if (file_exists(out)) return 1;
        }
    }
    Dl_info info;
    if (dladdr((void *)&mxi_backend_for, &info) && info.dli_fname) {
        char dir[1024];
        snprintf(dir, sizeof dir, "%s", info.dli_fname);
        char *slash = strrchr(dir, '/');
        if (slash) *slash = 0;
        else snprintf(dir, sizeof dir, ".");
        snprintf(out, n, "%s/%s", dir, file);
        if (file_exists(out)) return 1;
    }
    return 0;
}

static int disabled(const char *key) {
    const char *env = getenv("MXCORE_DISABLE_BACKENDS");
    if (!env) return 0;
    if (strstr(env, "all")) return 1;
    return strstr(env, key) != NULL;
}

static void load_module(mx_backend_module *m) {
    pthread_mutexattr_t a;
    pthread_mutexattr_init(&a);
    pthread_mutexattr_settype(&a, PTHREAD_MUTEX_RECURSIVE);
    pthread_mutex_init(&m->lock, &a);
    pthread_mutexattr_destroy(&a);
    if (disabled(m->key)) {
        snprintf(m->reason, sizeof m->reason, "disabled by MXCORE_DISABLE_BACKENDS");
        return;
    }
    if (!find_module_file(m->file, m->path, sizeof m->path)) {
        snprintf(m->reason, sizeof m->reason,
                 "no %s backend is available: module %s was not found next to libmxcore or on MXCORE_BACKEND_PATH; "
                 "rebuild with -DMXCORE_%s=ON (needs %s)",
                 m->key, m->file, m->dev_type == MX_DEV_CUDA ? "CUDA" : "OPENCL",
                 m->dev_type == MX_DEV_CUDA ? "nvcc" : "OpenCL headers and ocl-icd-opencl-dev");
        m->path[0] = 0;
        return;
    }
    void *rt = dlopen(m->runtime, RTLD_NOW | RTLD_GLOBAL);
    if (!rt) {
        const char *e = dlerror();
        /* say how to get one: the driver package for CUDA, an ICD for OpenCL */
        const char *how = m->dev_type == MX_DEV_CUDA
                              ? "no NVIDIA driver on this machine; install the NVIDIA driver (it provides libcuda.so.1) "
                                "on a machine with an NVIDIA GPU, or use mx.cpu()"
                              : "no OpenCL runtime; install an ICD loader and a driver (e.g. Debian's "
                                "ocl-icd-libopencl1 + pocl-opencl-icd for CPUs, or your GPU/FPGA vendor's ICD)";
        snprintf(m->reason, sizeof m->reason, "no %s backend is available: runtime %s does not load (%s): %s",
                 m->key, m->runtime, e ? e : "?", how);
        return;
    }
    void *h = dlopen(m->path, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        const char *e = dlerror();
        snprintf(m->reason, sizeof m->reason, "dlopen %s failed: %s", m->path, e ? e : "?");
        return;
    }
    mxb_entry_fn entry = (mxb_entry_fn)dlsym(h, MXB_ENTRY_SYMBOL);
    if (!entry) {
        snprintf(m->reason, sizeof m->reason, "%s has no %s symbol", m->path, MXB_ENTRY_SYMBOL);
        dlclose(h);
        return;
    }
    const mxb_backend *b = entry(MXB_API_VERSION);
    if (!b || b->api_version != MXB_API_VERSION) {
        snprintf(m->reason, sizeof m->reason, "%s speaks backend API version %u, the core needs %u", m->path,
                 b ? b->api_version : 0u, MXB_API_VERSION);
        dlclose(h);
        return;
    }
    char err[512] = "";
    if (b->init(err, sizeof err) != MXB_OK) {
        snprintf(m->reason, sizeof m->reason, "%s: initialisation failed: %s", m->path, err);
        dlclose(h);
        return;
    }
    m->ndev = b->device_count();
    if (m->ndev <= 0) {
        snprintf(m->reason, sizeof m->reason, "no usable %s device%s%s", b->name, err[0] ? ": " : "", err);
        m->ndev = 0;
    }
    m->b = b;
    m->handle = h;
}

static void load_all(void) {
    for (int i = 0; i < N_MODS; i++) load_module(&mods[i]);
}

static mx_backend_module *mod_for_type(int dev_type) {
    pthread_once(&load_once, load_all);
    for (int i = 0; i < N_MODS; i++)
        if (mods[i].dev_type == dev_type) return &mods[i];
    return NULL;
}

static mx_backend_module *mod_for(mx_device dev) {
    mx_backend_module *m = mod_for_type(dev.type);
    if (!m || !m->b || dev.id < 0 || dev.id >= m->ndev) return NULL;
    return m;
}

const struct mx_backend_module *mxi_backend_for(mx_device dev) { return mod_for(dev); }

const char *mxi_backend_unavailable_reason(int dev_type) {
    mx_backend_module *m = mod_for_type(dev_type);
    if (!m) return "unknown device type";
    if (m->b && m->ndev > 0) return "device id out of range";
    return m->reason[0] ? m->reason : "backend module not loaded";
}

int mxi_backend_device_count(int dev_type) {
    mx_backend_module *m = mod_for_type(dev_type);
    return m && m->b ? m->ndev : 0;
}

static int no_backend(mx_device dev) {
    return mxi_error(MX_ERR_DEVICE, "device %d:%d: %s", dev.type, dev.id, mxi_backend_unavailable_reason(dev.type));
}

/* ---- memory ---- */

int mxi_backend_alloc(mx_device dev, size_t nbytes, void **data) {
    mx_backend_module *m = mod_for(dev);
    if (!m) return no_backend(dev);
    char err[512] = "";
    pthread_mutex_lock(&m->lock);
    int rc = m->b->alloc(dev.id, nbytes, data, err, sizeof err);
    pthread_mutex_unlock(&m->lock);
    if (rc != MXB_OK)
        return mxi_error(MX_ERR_MEMORY, "%s device %d: cannot allocate %zu bytes: %s", m->key, dev.id, nbytes, err);
    return MX_OK;
}

void mxi_backend_free(mx_device dev, void *data) {
    mx_backend_module *m = mod_for(dev);
    if (!m || !data) return;
    pthread_mutex_lock(&m->lock);
    m->b->free(dev.id, data);
    pthread_mutex_unlock(&m->lock);
}

int mxi_backend_synchronize(mx_device dev) {
    mx_backend_module *m = mod_for(dev);
    if (!m) return no_backend(dev);
    if (!m->b->synchronize) return MX_OK;
    char err[512] = "";
    pthread_mutex_lock(&m->lock);
    int rc = m->b->synchronize(dev.id, err, sizeof err);
    pthread_mutex_unlock(&m->lock);
    if (rc != MXB_OK) return mxi_error(MX_ERR_DEVICE, "%s device %d: %s", m->key, dev.id, err);
    return MX_OK;
}

int mxi_backend_native_stream(mx_device dev, void **stream) {
    mx_backend_module *m = mod_for(dev);
    if (!m) return no_backend(dev);
    *stream = m->b->native_stream ? m->b->native_stream(dev.id) : NULL;
    return MX_OK;
}

static bool is_dev(const mx_tensor_s *t) {
    return t->storage->dev.type != MX_DEV_CPU && t->storage->dev.type != MX_DEV_CPU_PINNED;
}

static int raw_to_host(mx_tensor_s *t, size_t off_bytes, void *host, size_t nbytes) {
    mx_backend_module *m = mod_for(t->storage->dev);
    if (!m) return no_backend(t->storage->dev);
    if (!nbytes) return MX_OK;
    char err[512] = "";
    pthread_mutex_lock(&m->lock);
    int rc = m->b->to_host(t->storage->dev.id, t->storage->data, off_bytes, host, nbytes, err, sizeof err);
    pthread_mutex_unlock(&m->lock);
    if (rc != MXB_OK) return mxi_error(MX_ERR_DEVICE, "%s device %d: reading a tensor: %s", m->key, t->storage->dev.id, err);
    return MX_OK;
}

static int raw_from_host(mx_tensor_s *t, size_t off_bytes, const void *host, size_t nbytes) {
    mx_backend_module *m = mod_for(t->storage->dev);
    if (!m) return no_backend(t->storage->dev);
    if (!nbytes) return MX_OK;
    char err[512] = "";
    pthread_mutex_lock(&m->lock);
    int rc = m->b->from_host(t->storage->dev.id, t->storage->data, off_bytes, host, nbytes, err, sizeof err);
    pthread_mutex_unlock(&m->lock);
    if (rc != MXB_OK) return mxi_error(MX_ERR_DEVICE, "%s device %d: writing a tensor: %s", m->key, t->storage->dev.id, err);
    return MX_OK;
}

/* Element range [lo, hi] of the storage that view t touches. */
static void view_span(const mx_tensor_s *t, int64_t *lo, int64_t *hi) {
    int64_t a = t->offset, b = t->offset;
    for (int i = 0; i < t->ndim; i++) {
        if (t->shape[i] <= 0) { *lo = t->offset; *hi = t->offset - 1; return; }
        int64_t d = (t->shape[i] - 1) * t->strides[i];
        if (d > 0) b += d;
        else a += d;
    }
    *lo = a;
    *hi = b;
}

/* Host tensor (owning a malloc'd copy of the storage span of device view t)
 * laid out like t. */
static mx_tensor_s *host_mirror(mx_tensor_s *t, int64_t *lo_out) {
    int64_t lo, hi;
    view_span(t, &lo, &hi);
    size_t es = mxi_dtype_size(t->dtype);
    size_t n = hi >= lo ? (size_t)(hi - lo + 1) : 0;
    void *buf = malloc(n ? n * es : 1);
    if (!buf) { mxi_error(MX_ERR_MEMORY, "device copy: out of host memory"); return NULL; }
    if (n && raw_to_host(t, (size_t)lo * es, buf, n * es) != MX_OK) { free(buf); return NULL; }
    mx_tensor out = NULL;
    if (mx_tensor_from_host_buffer(buf, t->shape, t->strides, t->ndim, t->dtype, free, buf, &out) != MX_OK) {
        free(buf);
        return NULL;
    }
    out->offset = t->offset - lo;
    *lo_out = lo;
    return out;
}

/* Contiguous CPU copy of device tensor t, in t's dtype. */
static mx_tensor_s *download(mx_tensor_s *t) {
    size_t es = mxi_dtype_size(t->dtype);
    if (mxi_is_contiguous(t)) {
        mx_tensor_s *h = mxi_tensor_new_uninit(t->shape, t->ndim, t->dtype);
        if (!h) return NULL;
        if (raw_to_host(t, (size_t)t->offset * es, mxi_data(h), (size_t)t->size * es) != MX_OK) {
            mxi_tensor_release(h);
            return NULL;
        }
        return h;
    }
    int64_t lo;
    mx_tensor_s *mirror = host_mirror(t, &lo);
    if (!mirror) return NULL;
    mx_tensor_s *h = mxi_cast(mirror, t->dtype);
    mxi_tensor_release(mirror);
    return h;
}

/* device tensor dst (any layout) = CPU tensor src (same shape, any dtype) */
static int upload(mx_tensor_s *dst, mx_tensor_s *src) {
    size_t es = mxi_dtype_size(dst->dtype);
    mxi_bump_version(dst);
    if (mxi_is_contiguous(dst)) {
        mx_tensor_s *c = src;
        if (src->dtype != dst->dtype || !mxi_is_contiguous(src)) c = mxi_cast(src, dst->dtype);
        if (!c) return mx_last_error_code();
        int rc = raw_from_host(dst, (size_t)dst->offset * es, mxi_data(c), (size_t)dst->size * es);
        if (c != src) mxi_tensor_release(c);
        return rc;
    }
    /* strided destination: read-modify-write the span it covers */
    int64_t lo;
    mx_tensor_s *mirror = host_mirror(dst, &lo);
    if (!mirror) return mx_last_error_code();
    int rc = mxi_assign(mirror, src);
    if (rc == MX_OK) {
        int64_t l2, hi;
        view_span(dst, &l2, &hi);
        if (hi >= lo) rc = raw_from_host(dst, (size_t)lo * es, mirror->storage->data, (size_t)(hi - lo + 1) * es);
    }
    mxi_tensor_release(mirror);
    return rc;
}

int mxi_backend_copy(mx_tensor_s *dst, mx_tensor_s *src) {
    if (is_dev(dst) && is_dev(src) && dst->storage->dev.type == src->storage->dev.type &&
        dst->storage->dev.id == src->storage->dev.id && dst->dtype == src->dtype && mxi_is_contiguous(dst) &&
        mxi_is_contiguous(src)) {
        if (dst->storage == src->storage && dst->offset == src->offset) return MX_OK;
        mx_backend_module *m = mod_for(dst->storage->dev);
        if (!m) return no_backend(dst->storage->dev);
        size_t es = mxi_dtype_size(dst->dtype);
        char err[512] = "";
        mxi_bump_version(dst);
        if (!dst->size) return MX_OK;
        pthread_mutex_lock(&m->lock);
        int rc = m->b->copy(dst->storage->dev.id, dst->storage->data, (size_t)dst->offset * es, src->storage->data,
                            (size_t)src->offset * es, (size_t)dst->size * es, err, sizeof err);
        pthread_mutex_unlock(&m->lock);
        if (rc != MXB_OK) return mxi_error(MX_ERR_DEVICE, "%s device copy failed: %s", m->key, err);
        return MX_OK;
    }
    mx_tensor_s *h = src;
    if (is_dev(src)) {
        h = download(src);
        if (!h) return mx_last_error_code();
    }
    int rc = is_dev(dst) ? upload(dst, h) : mxi_assign(dst, h);
    if (h != src) mxi_tensor_release(h);
    return rc;
}

int mxi_backend_from_host(mx_tensor_s *t, const void *data, size_t nbytes) {
    if (mxi_is_contiguous(t)) {
        mxi_bump_version(t);
        return raw_from_host(t, (size_t)t->offset * mxi_dtype_size(t->dtype), data, nbytes);
    }
    mx_tensor h = NULL;
    MXI_TRY(mx_tensor_from_host_buffer((void *)data, t->shape, NULL, t->ndim, t->dtype, NULL, NULL, &h));
    int rc = upload(t, h);
    mxi_tensor_release(h);
    return rc;
}

int mxi_backend_to_host(mx_tensor_s *t, void *data, size_t nbytes) {
    if (mxi_is_contiguous(t)) return raw_to_host(t, (size_t)t->offset * mxi_dtype_size(t->dtype), data, nbytes);
    mx_tensor_s *h = download(t);
    if (!h) return mx_last_error_code();
    memcpy(data, mxi_data(h), nbytes);
    mxi_tensor_release(h);
    return MX_OK;
}

/* ---- runtime features ---- */

static void json_str(char *out, size_t n, size_t *k, const char *s) {
    if (*k < n) *k += (size_t)snprintf(out + *k, n - *k, "\"");
    for (; s && *s && *k + 8 < n; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '"' || ch == '\\') *k += (size_t)snprintf(out + *k, n - *k, "\\%c", ch);
        else if (ch < 0x20) *k += (size_t)snprintf(out + *k, n - *k, "\\u%04x", ch);
        else out[(*k)++] = (char)ch;
    }
    if (*k < n) *k += (size_t)snprintf(out + *k, n - *k, "\"");
}

const char *mxi_backend_features_json(void) {
    static char buf[32768];
    static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
    pthread_once(&load_once, load_all);
    pthread_mutex_lock(&lock);
    size_t k = 0, n = sizeof buf - 4;
    k += (size_t)snprintf(buf + k, n - k, "{");
    for (int i = 0; i < N_MODS && k < n; i++) {
        mx_backend_module *m = &mods[i];
        k += (size_t)snprintf(buf + k, n - k, "%s\"%s\":{\"loaded\":%s", i ? "," : "", m->key,
                              m->b && m->ndev > 0 ? "true" : "false");
        if (k < n && m->path[0]) {
            k += (size_t)snprintf(buf + k, n - k, ",\"path\":");
            json_str(buf, n, &k, m->path);
        }
        if (k < n && m->reason[0]) {
            k += (size_t)snprintf(buf + k, n - k, ",\"reason\":");
            json_str(buf, n, &k, m->reason);
        }
        if (k < n && m->b) {
            k += (size_t)snprintf(buf + k, n - k, ",\"api_version\":%u,\"devices\":[", m->b->api_version);
            for (int d = 0; d < m->ndev && k < n; d++) {
                pthread_mutex_lock(&m->lock);
                const char *info = m->b->device_info_json ? m->b->device_info_json(d) : "{}";
                k += (size_t)snprintf(buf + k, n - k, "%s%s", d ? "," : "", info ? info : "{}");
                pthread_mutex_unlock(&m->lock);
            }
            int nk = 0;
            const char *const *names = m->b->kernel_names ? m->b->kernel_names() : NULL;
            for (; names && names[nk]; nk++) {}
            if (k < n) k += (size_t)snprintf(buf + k, n - k, "],\"kernels\":%d", nk);
        }
        if (k < n) k += (size_t)snprintf(buf + k, n - k, "}");
    }
    if (k < n) k += (size_t)snprintf(buf + k, n - k, "}");
    if (k >= n) snprintf(buf, sizeof buf, "{\"error\":\"backend features too long\"}");
    pthread_mutex_unlock(&lock);
    return buf;
}

/* ---- per-op kernel cache (op def -> kernel, warned flag) ---- */

#define KCACHE 2048
typedef struct {
    const mx_op_def *op;
    mxb_kernel_fn fn[2]; /* per module */
    unsigned char looked[2];
    unsigned char warned[2];
} kentry;
static kentry kcache[KCACHE];
static pthread_mutex_t kc_lock = PTHREAD_MUTEX_INITIALIZER;

static kentry *kc_slot(const mx_op_def *op) {
    size_t h = ((uintptr_t)op >> 4) % KCACHE;
    for (size_t i = 0; i < KCACHE; i++) {
        kentry *e = &kcache[(h + i) % KCACHE];
        if (e->op == op) return e;
        if (!e->op) {
            e->op = op;
            return e;
        }
    }
    return NULL;
}

static mxb_kernel_fn kernel_for(mx_backend_module *m, const mx_op_def *op) {
    int mi = (int)(m - mods);
    pthread_mutex_lock(&kc_lock);
    kentry *e = kc_slot(op);
    mxb_kernel_fn fn = NULL;
    if (e) {
        if (!e->looked[mi]) {
            e->fn[mi] = m->b->find_kernel ? m->b->find_kernel(op->name) : NULL;
            e->looked[mi] = 1;
        }
        fn = e->fn[mi];
    } else if (m->b->find_kernel) {
        fn = m->b->find_kernel(op->name);
    }
    pthread_mutex_unlock(&kc_lock);
    return fn;
}

/* the module's _view_gather (0) or _view_scatter (1) kernel, or NULL */
static mxb_kernel_fn view_kernel(mx_backend_module *m, int scatter) {
    pthread_mutex_lock(&kc_lock);
    if (!m->views_looked && m->b->find_kernel) {
        m->view_fn[0] = m->b->find_kernel("_view_gather");
        m->view_fn[1] = m->b->find_kernel("_view_scatter");
    }
    m->views_looked = 1;
    mxb_kernel_fn fn = m->view_fn[scatter];
    pthread_mutex_unlock(&kc_lock);
    return fn;
}

/* true the first time it is called for (op, module) */
static bool first_warning(mx_backend_module *m, const mx_op_def *op) {
    int mi = (int)(m - mods);
    pthread_mutex_lock(&kc_lock);
    kentry *e = kc_slot(op);
    bool first = e && !e->warned[mi];
    if (e) e->warned[mi] = 1;
    pthread_mutex_unlock(&kc_lock);
    return first;
}

const char *mxi_backend_ops_for(const mx_op_def *def) {
    static _Thread_local char buf[128];
    pthread_once(&load_once, load_all);
    size_t k = (size_t)snprintf(buf, sizeof buf, "[\"cpu\"");
    for (int i = 0; i < N_MODS; i++) {
        mx_backend_module *m = &mods[i];
        int vk = m->b && m->ndev > 0 ? mxi_view_kind(def->name) : 0;
        if (m->b && m->ndev > 0 && (kernel_for(m, def) || (vk && view_kernel(m, vk == 2))) && k < sizeof buf)
            k += (size_t)snprintf(buf + k, sizeof buf - k, ",\"%s\"", m->key);
    }
    if (k < sizeof buf) snprintf(buf + k, sizeof buf - k, "]");
    return buf;
}

/* ---- op calls on a device ---- */

enum { RUN_FALLBACK = 1 };

static void release_n(mx_tensor_s **t, int n) {
    for (int i = 0; i < n; i++) {
        mxi_tensor_release(t[i]);
        t[i] = NULL;
    }
}

/* Per-thread scratch for the plain-C views (mx_call can hold 512 inputs). */
typedef struct {
    mxb_tensor in[MX_MAX_INPUTS];
    mxb_tensor out[MX_MAX_OUTPUTS];
    mxb_attr attrs[MX_MAX_ATTRS];
    mx_tensor_s *tmp[MX_MAX_INPUTS];
    mx_tensor_s *outs[MX_MAX_OUTPUTS];
} kscratch;

static void view_of(mxb_tensor *v, const mx_tensor_s *t) {
    v->buf = t->storage->data;
    v->offset = t->offset;
    v->ndim = t->ndim;
    v->dtype = t->dtype;
    v->size = t->size;
    v->shape = t->shape;
}

/* Run a module kernel on the call: inputs made contiguous on the device,
 * outputs allocated there. `attrs` (n_attrs) replaces the op's parsed
 * attributes and n_in (>= 0) the number of inputs handed over, for kernels
 * the core calls with a plan of its own (views); NULL / -1: the call's. */
static int run_kernel_with(mx_backend_module *m, mx_call *c, mx_device dev, mxb_kernel_fn fn, const mxb_attr *attrs,
                           int n_attrs, int n_in) {
    const mx_op_def *op = c->op;
    kscratch *s = calloc(1, sizeof *s);
    if (!s) return mxi_error(MX_ERR_MEMORY, "%s: out of memory", op->name);
    int rc = MX_OK;
    if (n_in < 0) n_in = c->n_in;
    for (int i = 0; i < n_in; i++) {
        mx_tensor_s *t = c->in[i];
        bool mut = mxi_op_mutates(op, i);
        if (mut) {
            if (!mxi_is_contiguous(t)) { rc = RUN_FALLBACK; goto done; }
        } else if (!mxi_is_contiguous(t) || t->offset != 0) {
            s->tmp[i] = mxi_tensor_new_dev(t->shape, t->ndim, t->dtype, dev);
            if (!s->tmp[i] || mxi_backend_copy(s->tmp[i], t) != MX_OK) { rc = mx_last_error_code(); goto done; }
            t = s->tmp[i];
        }
        view_of(&s->in[i], t);
    }
    for (int k = 0; k < c->n_out; k++) {
        s->outs[k] = mxi_tensor_new_dev(c->out_shape[k], c->out_ndim[k], c->out_dtype[k], dev);
        if (!s->outs[k]) { rc = mx_last_error_code(); goto done; }
        view_of(&s->out[k], s->outs[k]);
    }
    int na = op->n_attrs < MX_MAX_ATTRS ? op->n_attrs : MX_MAX_ATTRS;
    for (int a = 0; a < na && !attrs; a++) {
        const mx_attr_val *v = &c->attrs[a];
        s->attrs[a] = (mxb_attr){.name = op->attrs[a].name, .type = (int)op->attrs[a].type, .is_none = v->is_none,
                                 .i = v->i, .f = v->f, .n = v->n, .v = v->v, .fv = v->fv, .s = v->s};
    }
    if (attrs) na = n_attrs;
    mxb_call call = {.op = op->name, .device = dev.id, .n_in = n_in, .n_out = c->n_out, .n_attrs = na,
                     .in = s->in, .out = s->out, .attrs = attrs ? attrs : s->attrs, .training = c->training,
                     .rng_seed = c->rng_seed, .rng_offset = c->rng_offset};
    char err[1024] = "";
    pthread_mutex_lock(&m->lock);
    void *ctx = m->b->device_context ? m->b->device_context(dev.id) : NULL;
    int krc = fn(ctx, &call, err, sizeof err);
    pthread_mutex_unlock(&m->lock);
    if (krc == MXB_UNSUPPORTED) {
        rc = RUN_FALLBACK;
    } else if (krc != MXB_OK) {
        rc = mxi_op_error(c, MX_ERR_DEVICE, "%s kernel failed on device %d: %s", m->key, dev.id,
                          err[0] ? err : "unknown error");
    } else {
        for (int i = 0; i < c->n_in; i++)
            if (mxi_op_mutates(op, i)) mxi_bump_version(c->in[i]);
        for (int k = 0; k < c->n_out; k++) {
            c->out[k] = s->outs[k];
            s->outs[k] = NULL;
        }
    }
done:
    release_n(s->tmp, c->n_in);
    release_n(s->outs, c->n_out);
    free(s);
    return rc;
}

static int run_kernel(mx_backend_module *m, mx_call *c, mx_device dev, mxb_kernel_fn fn) {
    return run_kernel_with(m, c, dev, fn, NULL, 0, -1);
}

/* View ops (transpose, slice, flip, ...) and the backward of the
 * non-aliasing ones, on a module without a kernel of their own: the core
 * plans the strided view (ops/shape.c) and hands it to the module's generic
 * `_view_gather` / `_view_scatter` kernel as attributes shape, strides
 * (element strides into the source / destination) and offset. */
static int run_view_kernel(mx_backend_module *m, mx_call *c, mx_device dev) {
    int backward;
    mxv_view v;
    if (c->n_out != 1 || mxi_view_plan(c, &backward, &v) != MX_OK) return RUN_FALLBACK;
    mxb_kernel_fn fn = view_kernel(m, backward);
    if (!fn) return RUN_FALLBACK;
    mxv_collapse(&v);
    mxb_attr attrs[3] = {
        {.name = "shape", .type = MXB_ATTR_SHAPE, .n = v.nd, .v = v.shape},
        {.name = "strides", .type = MXB_ATTR_SHAPE, .n = v.nd, .v = v.st},
        {.name = "offset", .type = MXB_ATTR_INT, .i = v.off},
    };
    return run_kernel_with(m, c, dev, fn, attrs, 3, 1); /* forward: data; backward: the gradient */
}

static bool strict_mode(void) {
    const char *e = getenv("MXCORE_STRICT_DEVICE");
    return e && *e && strcmp(e, "0") != 0;
}

/* The op's CPU kernel on host copies; results copied back to `dev`. */
static int run_on_cpu(mx_backend_module *m, mx_call *c, mx_device dev, bool have_kernel) {
    const mx_op_def *op = c->op;
    if (strict_mode())
        return mxi_op_error(c, MX_ERR_UNSUPPORTED,
                            "the %s backend has no kernel for this call and MXCORE_STRICT_DEVICE=1 forbids the CPU fallback",
                            m->key);
    if (first_warning(m, op))
        fprintf(stderr, "mxcore: warning: op '%s' %s on %s; running it on the CPU with copies (warned once per op)\n",
                op->name, have_kernel ? "is not supported for these inputs" : "has no kernel", m->key);
    mx_tensor_s *orig_in[MX_MAX_INPUTS];
    mx_tensor_s *hin[MX_MAX_INPUTS] = {0};
    mx_tensor_s *hout[MX_MAX_OUTPUTS] = {0};
    mx_tensor_s *dout[MX_MAX_OUTPUTS] = {0};
    int final_dtype[MX_MAX_OUTPUTS];
    memcpy(final_dtype, c->out_dtype, sizeof(int) * (size_t)c->n_out);
    memcpy(orig_in, c->in, sizeof(mx_tensor_s *) * (size_t)c->n_in);
    int rc = MX_OK;
    bool cast = false;
    for (int i = 0; i < c->n_in; i++) {
        mx_tensor_s *t = c->in[i];
        bool mut = mxi_op_mutates(op, i);
        bool bad = !mut && !(op->dtypes & MX_DT(t->dtype)) && !(op->flags & MX_OPF_NO_INPUT_CAST);
        hin[i] = mxi_cast(t, bad ? MX_FLOAT32 : t->dtype);
        if (!hin[i]) { rc = mx_last_error_code(); goto fail; }
        cast |= bad;
        c->in[i] = hin[i];
    }
    if (cast && (rc = op->infer(c)) != MX_OK) goto fail;
    for (int k = 0; k < c->n_out; k++) {
        hout[k] = mxi_tensor_new(c->out_shape[k], c->out_ndim[k], c->out_dtype[k]);
        if (!hout[k]) { rc = mx_last_error_code(); goto fail; }
        c->out[k] = hout[k];
    }
    rc = op->cpu(c);
    if (rc != MX_OK) {
        if (!strstr(mx_last_error(), op->name)) mxi_error_prefix(rc, "%s", op->name);
        goto fail;
    }
    for (int i = 0; i < c->n_in; i++)
        if (mxi_op_mutates(op, i) && (rc = mxi_assign(orig_in[i], hin[i])) != MX_OK) goto fail;
    for (int k = 0; k < c->n_out; k++) {
        dout[k] = mxi_tensor_new_dev(c->out_shape[k], c->out_ndim[k], final_dtype[k], dev);
        if (!dout[k]) { rc = mx_last_error_code(); goto fail; }
        if ((rc = mxi_assign(dout[k], hout[k])) != MX_OK) goto fail;
    }
    memcpy(c->in, orig_in, sizeof(mx_tensor_s *) * (size_t)c->n_in);
    memcpy(c->out_dtype, final_dtype, sizeof(int) * (size_t)c->n_out);
    for (int k = 0; k < c->n_out; k++) c->out[k] = dout[k];
    release_n(hin, c->n_in);
    release_n(hout, c->n_out);
    return MX_OK;
fail:
    memcpy(c->in, orig_in, sizeof(mx_tensor_s *) * (size_t)c->n_in);
    memcpy(c->out_dtype, final_dtype, sizeof(int) * (size_t)c->n_out);
    for (int k = 0; k < c->n_out; k++) c->out[k] = NULL;
    release_n(hin, c->n_in);
    release_n(hout, c->n_out);
    release_n(dout, c->n_out);
    return rc;
}

static bool half_dtype(int dt) { return dt == MX_FLOAT16 || dt == MX_BFLOAT16; }

/* A copy of device tensor `t` in `dtype`, converted on the device by the Cast
 * op (the module's kernel, or the CPU fallback where it has none). Not
 * recorded: the caller's op is. NULL on error. */
static mx_tensor_s *device_cast(mx_tensor_s *t, int dtype) {
    char attrs[32];
    snprintf(attrs, sizeof attrs, "dtype=%s", mxi_dtype_name(dtype));
    int prev;
    mx_autograd_set_recording(0, &prev);
    mx_tensor_s *r = mxi_call1("Cast", attrs, 1, t);
    mx_autograd_set_recording(prev, NULL);
    return r;
}

/* float16/bfloat16 on a device whose kernels are float32: as the CPU ops do,
 * convert the inputs to float32 (on the device), run the float32 kernel and
 * convert the outputs back — and the inputs the op updates in place
 * (optimizer state, running statistics), which are then copied into the
 * caller's tensors. RUN_FALLBACK when there is nothing to convert. */
static int run_kernel_as_f32(mx_backend_module *m, mx_call *c, mx_device dev, mxb_kernel_fn fn) {
    const mx_op_def *op = c->op;
    uint32_t native = m->b->device_dtypes ? m->b->device_dtypes(dev.id) : 0;
    if (!(native & (1u << MXB_F32)) || !strcmp(op->name, "Cast")) return RUN_FALLBACK;
    bool any = false;
    for (int i = 0; i < c->n_in; i++) any |= half_dtype(c->in[i]->dtype) && !(native & (1u << c->in[i]->dtype));
    for (int k = 0; k < c->n_out; k++) any |= half_dtype(c->out_dtype[k]) && !(native & (1u << c->out_dtype[k]));
    if (!any) return RUN_FALLBACK;
    mx_tensor_s *orig_in[MX_MAX_INPUTS], *conv[MX_MAX_INPUTS] = {0};
    int final_dtype[MX_MAX_OUTPUTS];
    memcpy(orig_in, c->in, sizeof(mx_tensor_s *) * (size_t)c->n_in);
    memcpy(final_dtype, c->out_dtype, sizeof(int) * (size_t)c->n_out);
    int rc = MX_OK;
    for (int i = 0; i < c->n_in && rc == MX_OK; i++) {
        if (!half_dtype(c->in[i]->dtype) || (native & (1u << c->in[i]->dtype))) continue;
        conv[i] = device_cast(c->in[i], MX_FLOAT32);
        if (!conv[i]) rc = mx_last_error_code();
        else c->in[i] = conv[i];
    }
    if (rc == MX_OK) rc = op->infer(c); /* the float32 kernel's output dtypes */
    for (int k = 0; k < c->n_out && rc == MX_OK; k++) /* half asked for by a dtype attribute */
        if (half_dtype(c->out_dtype[k]) && !(native & (1u << c->out_dtype[k]))) c->out_dtype[k] = MX_FLOAT32;
    if (rc == MX_OK) rc = run_kernel(m, c, dev, fn);
    for (int i = 0; i < c->n_in && rc == MX_OK; i++) {
        if (!conv[i] || !mxi_op_mutates(op, i)) continue;
        mx_tensor_s *back = device_cast(conv[i], orig_in[i]->dtype);
        rc = back ? mxi_assign(orig_in[i], back) : mx_last_error_code();
        mxi_tensor_release(back);
        if (rc != MX_OK)
            for (int q = 0; q < c->n_out; q++) { mxi_tensor_release(c->out[q]); c->out[q] = NULL; }
    }
    for (int k = 0; k < c->n_out && rc == MX_OK; k++) {
        if (c->out[k]->dtype == final_dtype[k]) continue;
        mx_tensor_s *back = device_cast(c->out[k], final_dtype[k]);
        if (!back) {
            rc = mx_last_error_code();
            for (int q = 0; q < c->n_out; q++) { mxi_tensor_release(c->out[q]); c->out[q] = NULL; }
            break;
        }
        mxi_tensor_release(c->out[k]);
        c->out[k] = back;
    }
    memcpy(c->in, orig_in, sizeof(mx_tensor_s *) * (size_t)c->n_in);
    memcpy(c->out_dtype, final_dtype, sizeof(int) * (size_t)c->n_out);
    release_n(conv, c->n_in);
    return rc;
}

int mxi_device_invoke(mx_call *c, mx_device dev) {
    mx_backend_module *m = mod_for(dev);
    if (!m)
        return mxi_op_error(c, MX_ERR_DEVICE, "inputs are on device %d:%d: %s", dev.type, dev.id,
                            mxi_backend_unavailable_reason(dev.type));
    mxb_kernel_fn fn = kernel_for(m, c->op);
    if (fn) {
        int rc = run_kernel(m, c, dev, fn);
        if (rc == RUN_FALLBACK) rc = run_kernel_as_f32(m, c, dev, fn);
        if (rc != RUN_FALLBACK) return rc;
    } else {
        int rc = run_view_kernel(m, c, dev);
        if (rc != RUN_FALLBACK) return rc;
    }
    return run_on_cpu(m, c, dev, fn != NULL);
}
