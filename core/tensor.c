/* tensor.c — refcounted storage, tensor handles (tagged and pooled in
 * handles.c, so a freed handle is reported instead of dereferenced), views
 * and copies. */
#include "tensor.h"

#include <pthread.h>
#include <sys/mman.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "autograd.h"
#include "backend_registry.h"
#include "error.h"
#include "handles.h"

/* ---- CPU buffer cache ----
 * Training loops allocate the same large shapes every step. Fresh large
 * blocks come from mmap and page-fault on first write, which costs as much as
 * the kernel itself for elementwise ops, so freed blocks of >= CACHE_MIN bytes
 * are kept (exact size match, bounded count and bytes) and handed out again.
 * Blocks >= 4 MiB are 2 MiB aligned and advised for transparent huge pages. */
#define CACHE_MIN (256u << 10)
#define CACHE_SLOTS 64
#define HUGE_MIN (4u << 20)
typedef struct {
    void *p;
    size_t n;
} cache_slot;
static cache_slot cache[CACHE_SLOTS];
static int cache_len;
static size_t cache_bytes, cache_limit;
/* cacheable-size blocks in use, and the most ever in use at once */
static size_t big_live, big_peak;
static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
/* bytes the cache may hold beyond the peak of live memory (grows on thrash),
 * and the sizes of the blocks it last gave back (a ring) */
static size_t slack;
#define SLACK_MAX ((size_t)4 << 20)
#define GIVEN_BACK_SLOTS 32
static size_t given_back[GIVEN_BACK_SLOTS];
static int given_back_next;

static void note_given_back(size_t n) {
    given_back[given_back_next] = n;
    given_back_next = (given_back_next + 1) % GIVEN_BACK_SLOTS;
}

/* Was a block of this size given back recently? Forgets it if so: one
 * re-request grows the allowance once. */
static bool was_given_back(size_t n) {
    for (int i = 0; i < GIVEN_BACK_SLOTS; i++)
        if (given_back[i] == n) {
            given_back[i] = 0;
            return true;
        }
    return false;
}

static size_t cpu_block_size(size_t nbytes) {
    /* 64-byte multiple (vector loads), at least 64 so 0-size tensors still own
     * a distinct valid pointer. Cacheable blocks round up to one of 8 size
     * classes per power of two (<= 12.5% slack), so a freed block serves any
     * request of its class, not just the exact size it was made for. */
    size_t n = nbytes ? (nbytes + 63) & ~(size_t)63 : 64;
    if (n >= CACHE_MIN) {
        size_t p = (size_t)1 << (63 - __builtin_clzll((unsigned long long)n));
        size_t step = p / 8;
        n = (n + step - 1) / step * step;
    }
    return n;
}

static size_t cache_limit_bytes(void) {
    if (!cache_limit) {
        const char *env = getenv("MXCORE_CPU_CACHE_MB");
        cache_limit = (env && atol(env) >= 0) ? (size_t)atol(env) << 20 : (size_t)1 << 30;
        if (!cache_limit) cache_limit = 1; /* 0 disables: nothing fits */
    }
    return cache_limit;
}

/* Cacheable blocks are mapped directly: glibc would serve them from its heap
 * once its adaptive mmap threshold has grown, and freed heap memory is not
 * returned to the system (ResNet-18 inference peaked ~40 MiB higher so). */
static void *big_alloc(size_t n) {
    void *p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) return NULL;
#ifdef MADV_HUGEPAGE
    if (n >= HUGE_MIN) madvise(p, n, MADV_HUGEPAGE);
#endif
    return p;
}

static void *cpu_alloc(size_t n) {
    if (n >= CACHE_MIN) {
        void *spill[CACHE_SLOTS];
        size_t spill_n[CACHE_SLOTS];
        int n_spill = 0;
        pthread_mutex_lock(&cache_lock);
        for (int i = cache_len - 1; i >= 0; i--) {
            if (cache[i].n == n) {
                void *p = cache[i].p;
                cache[i] = cache[--cache_len];
                cache_bytes -= n;
                big_live += n;
                pthread_mutex_unlock(&cache_lock);
                return p;
            }
        }
        /* a miss: give back cached blocks, oldest first, until live + cached
         * memory stays within the peak of live memory plus an allowance.
         * Blocks of sizes nobody asks for again so do not pile up on top of
         * the working set (peak RSS ~ peak live bytes). A loop whose live set
         * changes composition (a training step) needs more than its peak to
         * keep every size it uses: when a miss asks for a size this cache gave
         * back recently, the allowance grows by that size (up to SLACK_MAX),
         * so after a few steps the loop runs without page faults. (Measured:
         * LeNet training re-faulted ~22 MiB, 4,300 faults and ~40% of its
         * time per step, until kernel scratch moved to the workspace below;
         * the LSTM benchmark re-faulted ~5 MiB per step without the
         * allowance.) SLACK_MAX stays small because it is RSS on top of the
         * peak: hybridized ResNet-18 inference 86.9 MiB without, 89.7 with. */
        if (was_given_back(n)) slack = slack + n < SLACK_MAX ? slack + n : SLACK_MAX;
        big_live += n;
        if (big_live > big_peak) big_peak = big_live;
        while (cache_len && big_live + cache_bytes > big_peak + slack) {
            spill_n[n_spill] = cache[0].n;
            spill[n_spill++] = cache[0].p;
            note_given_back(cache[0].n);
            cache_bytes -= cache[0].n;
            memmove(cache, cache + 1, sizeof cache[0] * (size_t)--cache_len);
        }
        pthread_mutex_unlock(&cache_lock);
        for (int i = 0; i < n_spill; i++) munmap(spill[i], spill_n[i]);
        return big_alloc(n);
    }
    return aligned_alloc(64, n);
}

static void cpu_free(void *p, size_t n) {
    if (n >= CACHE_MIN) {
        pthread_mutex_lock(&cache_lock);
        big_live -= n;
        pthread_mutex_unlock(&cache_lock);
    }
    if (n >= CACHE_MIN && n <= cache_limit_bytes()) {
        pthread_mutex_lock(&cache_lock);
        /* evict oldest blocks until this one fits */
        while (cache_len && (cache_len == CACHE_SLOTS || cache_bytes + n > cache_limit)) {
            munmap(cache[0].p, cache[0].n);
            cache_bytes -= cache[0].n;
            memmove(cache, cache + 1, sizeof cache[0] * (size_t)--cache_len);
        }
        cache[cache_len].p = p;
        cache[cache_len].n = n;
        cache_len++;
        cache_bytes += n;
        pthread_mutex_unlock(&cache_lock);
        return;
    }
    if (n >= CACHE_MIN) munmap(p, n);
    else free(p);
}

/* ---- kernel workspace ----
 * Scratch buffers (im2col columns, RNN gate buffers) come from a few
 * grow-only slots kept for the life of the process, like MXNet's temp-space
 * resource: a training step's scratch then neither page-faults every step nor
 * pushes activation blocks out of the cache. A slot only grows (to the
 * largest request it served); when every slot is busy (nested or concurrent
 * kernels) the request falls back to the block cache. */
#define WS_SLOTS 4
#define WS_MAX ((size_t)32 << 20) /* bigger requests (long RNN reserves) go to the cache: not pinned for life */
typedef struct {
    void *p;
    size_t n;
    int busy;
} ws_slot;
static ws_slot ws[WS_SLOTS];
static pthread_mutex_t ws_lock = PTHREAD_MUTEX_INITIALIZER;

static void ws_release_block(void *p, size_t n) {
    if (n >= CACHE_MIN) munmap(p, n);
    else free(p);
}

void *mxi_scratch_alloc(size_t nbytes) {
    size_t n = cpu_block_size(nbytes);
    if (n > WS_MAX) return cpu_alloc(n);
    pthread_mutex_lock(&ws_lock);
    int best = -1, grow = -1;
    for (int i = 0; i < WS_SLOTS; i++) {
        if (ws[i].busy) continue;
        if (ws[i].n >= n && (best < 0 || ws[i].n < ws[best].n)) best = i; /* smallest that fits */
        if (grow < 0 || ws[i].n > ws[grow].n) grow = i;                    /* else grow the largest free */
    }
    if (best < 0 && grow >= 0) {
        void *p = n >= CACHE_MIN ? big_alloc(n) : aligned_alloc(64, n);
        if (p) {
            if (ws[grow].p) ws_release_block(ws[grow].p, ws[grow].n);
            ws[grow].p = p;
            ws[grow].n = n;
            best = grow;
        }
    }
    void *p = NULL;
    if (best >= 0) {
        ws[best].busy = 1;
        p = ws[best].p;
    }
    pthread_mutex_unlock(&ws_lock);
    return p ? p : cpu_alloc(n);
}

void mxi_scratch_free(void *p, size_t nbytes) {
    if (!p) return;
    pthread_mutex_lock(&ws_lock);
    for (int i = 0; i < WS_SLOTS; i++)
        if (ws[i].busy && ws[i].p == p) {
            ws[i].busy = 0;
            pthread_mutex_unlock(&ws_lock);
            return;
        }
    pthread_mutex_unlock(&ws_lock);
    cpu_free(p, cpu_block_size(nbytes));
}

__attribute__((destructor)) static void cache_drain(void) {
    for (int i = 0; i < WS_SLOTS; i++)
        if (ws[i].p && !ws[i].busy) ws_release_block(ws[i].p, ws[i].n);
    for (int i = 0; i < cache_len; i++) munmap(cache[i].p, cache[i].n);
    cache_len = 0;
    cache_bytes = 0;
}

/* ---- storage ---- */

static mx_storage *storage_new(size_t nbytes, mx_device dev, bool zero) {
    mx_storage *s = calloc(1, sizeof *s);
    if (!s) return NULL;
    atomic_init(&s->refcount, 1);
    atomic_init(&s->version, 0);
    s->nbytes = nbytes;
    s->dev = dev;
    if (dev.type == MX_DEV_CPU || dev.type == MX_DEV_CPU_PINNED) {
        size_t n = cpu_block_size(nbytes);
        s->data = cpu_alloc(n);
        if (!s->data) { free(s); return NULL; }
        if (zero) memset(s->data, 0, n);
        mxi_mem_account((int64_t)nbytes);
    } else {
        if (mxi_backend_alloc(dev, nbytes, &s->data) != MX_OK) { free(s); return NULL; }
    }
    return s;
}

static void storage_release(mx_storage *s) {
    if (!s) return;
    if (atomic_fetch_sub(&s->refcount, 1) != 1) return;
    if (s->deleter) {
        s->deleter(s->deleter_ctx);
    } else if (s->dev.type == MX_DEV_CPU || s->dev.type == MX_DEV_CPU_PINNED) {
        cpu_free(s->data, cpu_block_size(s->nbytes));
        mxi_mem_account(-(int64_t)s->nbytes);
    } else {
        mxi_backend_free(s->dev, s->data);
    }
    free(s);
}

/* Back to the pool a struct that never became a live tensor. */
static void tensor_discard(mx_tensor_s *t) {
    atomic_store_explicit(&t->magic, MX_MAGIC_DEAD, memory_order_release);
    mxi_handle_free(t);
}

static void tensor_free(mx_tensor_s *t) {
    mxi_ag_tensor_cleanup(t);
    storage_release(t->storage);
    t->storage = NULL;
    atomic_store_explicit(&t->magic, MX_MAGIC_DEAD, memory_order_release);
    mxi_handle_free(t);
}

int64_t mxi_shape_size(const int64_t *shape, int ndim) {
    int64_t n = 1;
    for (int i = 0; i < ndim; i++) n *= shape[i];
    return n;
}

char *mxi_shape_str(const int64_t *shape, int ndim, char *buf, size_t n) {
    size_t k = (size_t)snprintf(buf, n, "(");
    for (int i = 0; i < ndim && k < n; i++)
        k += (size_t)snprintf(buf + k, n - k, i ? ",%lld" : "%lld", (long long)shape[i]);
    if (k < n) snprintf(buf + k, n - k, ndim == 1 ? ",)" : ")");
    return buf;
}

void mxi_set_contiguous_strides(mx_tensor_s *t) {
    int64_t s = 1;
    for (int i = t->ndim - 1; i >= 0; i--) {
        t->strides[i] = s;
        s *= t->shape[i];
    }
}

static mx_tensor_s *tensor_struct(void) {
    _Static_assert(sizeof(mx_tensor_s) + sizeof(void *) <= MXI_HANDLE_SLOT, "tensor struct outgrew its handle slot");
    mx_tensor_s *t = mxi_handle_alloc();
    if (!t) return NULL;
    atomic_store_explicit(&t->magic, MX_MAGIC_TENSOR, memory_order_release);
    atomic_init(&t->refcount, 1);
    return t;
}

static mx_tensor_s *tensor_new(const int64_t *shape, int ndim, int dtype, mx_device dev, bool zero) {
    if (ndim < 0 || ndim > MX_MAX_NDIM) {
        mxi_error(MX_ERR_INVALID, "tensor_create: ndim %d out of range [0, %d]", ndim, MX_MAX_NDIM);
        return NULL;
    }
    if (!mxi_dtype_valid(dtype)) {
        mxi_error(MX_ERR_DTYPE, "tensor_create: unknown dtype %d", dtype);
        return NULL;
    }
    for (int i = 0; i < ndim; i++) {
        if (shape[i] < 0) {
            char b[128];
            mxi_error(MX_ERR_INVALID, "tensor_create: negative dimension in shape %s",
                      mxi_shape_str(shape, ndim, b, sizeof b));
            return NULL;
        }
    }
    mx_tensor_s *t = tensor_struct();
    if (!t) { mxi_error(MX_ERR_MEMORY, "tensor_create: out of memory"); return NULL; }
    t->ndim = ndim;
    t->dtype = dtype;
    if (ndim) memcpy(t->shape, shape, sizeof(int64_t) * (size_t)ndim);
    t->size = mxi_shape_size(shape, ndim);
    mxi_set_contiguous_strides(t);
    t->storage = storage_new((size_t)t->size * mxi_dtype_size(dtype), dev, zero);
    if (!t->storage) {
        char b[128];
        tensor_discard(t);
        mxi_error(MX_ERR_MEMORY, "tensor_create: cannot allocate %s %s on device %d:%d",
                  mxi_shape_str(shape, ndim, b, sizeof b), mxi_dtype_name(dtype), dev.type, dev.id);
        return NULL;
    }
    return t;
}

mx_tensor_s *mxi_tensor_new_dev(const int64_t *shape, int ndim, int dtype, mx_device dev) {
    return tensor_new(shape, ndim, dtype, dev, true);
}

mx_tensor_s *mxi_tensor_new_uninit(const int64_t *shape, int ndim, int dtype) {
    mx_device cpu = {MX_DEV_CPU, 0};
    return tensor_new(shape, ndim, dtype, cpu, false);
}

mx_tensor_s *mxi_tensor_new(const int64_t *shape, int ndim, int dtype) {
    mx_device cpu = {MX_DEV_CPU, 0};
    return mxi_tensor_new_dev(shape, ndim, dtype, cpu);
}

mx_tensor_s *mxi_tensor_like(const mx_tensor_s *like, int dtype) {
    return mxi_tensor_new_dev(like->shape, like->ndim, dtype < 0 ? like->dtype : dtype,
                              like->storage->dev);
}

mx_tensor_s *mxi_tensor_scalar(double v, int dtype, const int64_t *shape, int ndim) {
    mx_tensor_s *t = mxi_tensor_new(shape, ndim, dtype);
    if (!t) return NULL;
    for (int64_t i = 0; i < t->size; i++) mxi_store_from_double(mxi_data(t), dtype, i, v);
    return t;
}

void mxi_tensor_retain(mx_tensor_s *t) {
    if (t) atomic_fetch_add(&t->refcount, 1);
}

void mxi_tensor_release(mx_tensor_s *t) {
    if (!t) return;
    if (atomic_fetch_sub(&t->refcount, 1) == 1) tensor_free(t);
}

void mxi_tensors_release(mx_tensor_s **t, int64_t n) {
    for (int64_t k = 0; k < n; k++) {
        mxi_tensor_release(t[k]);
        t[k] = NULL;
    }
}

bool mxi_tensor_check(const mx_tensor_s *t, const char *fn) {
    if (!t) {
        mxi_error(MX_ERR_HANDLE, "%s: tensor handle is NULL", fn);
        return false;
    }
    if (!mxi_handle_in_pool(t)) {
        /* never dereference a pointer we did not hand out */
        mxi_error(MX_ERR_HANDLE, "%s: handle %p is not a tensor handle", fn, (const void *)t);
        return false;
    }
    uint32_t tag = atomic_load_explicit(&t->magic, memory_order_acquire);
    if (tag == MX_MAGIC_DEAD) {
        mxi_error(MX_ERR_HANDLE, "%s: tensor handle %p is not a live tensor (already released)", fn, (const void *)t);
        return false;
    }
    if (tag != MX_MAGIC_TENSOR) {
        mxi_error(MX_ERR_HANDLE, "%s: handle %p is not a tensor", fn, (const void *)t);
        return false;
    }
    return true;
}

bool mxi_is_contiguous(const mx_tensor_s *t) {
    int64_t s = 1;
    for (int i = t->ndim - 1; i >= 0; i--) {
        if (t->shape[i] != 1 && t->strides[i] != s) return false;
        s *= t->shape[i];
    }
    return true;
}

void mxi_bump_version(mx_tensor_s *t) { atomic_fetch_add(&t->storage->version, 1); }

mx_tensor_s *mxi_tensor_alias(mx_tensor_s *t) {
    mx_tensor_s *a = tensor_struct();
    if (!a) { mxi_error(MX_ERR_MEMORY, "alias: out of memory"); return NULL; }
    a->storage = t->storage;
    atomic_fetch_add(&t->storage->refcount, 1);
    a->offset = t->offset;
    a->ndim = t->ndim;
    a->dtype = t->dtype;
    a->size = t->size;
    memcpy(a->shape, t->shape, sizeof a->shape);
    memcpy(a->strides, t->strides, sizeof a->strides);
    return a;
}

/* Strided element walk: calls copy for each element of `src` view into
 * contiguous position k. Generic over dtypes via byte copies. */
static void gather_strided(const mx_tensor_s *src, void *dst, int dst_dtype) {
    size_t es = mxi_dtype_size(src->dtype);
    const char *base = (const char *)src->storage->data + (size_t)src->offset * es;
    int64_t idx[MX_MAX_NDIM] = {0};
    int nd = src->ndim;
    int same = dst_dtype == src->dtype;
    size_t ds = mxi_dtype_size(dst_dtype);
    /* innermost-dim fast path for contiguous rows */
    int64_t inner = nd ? src->shape[nd - 1] : 1, istride = nd ? src->strides[nd - 1] : 1;
    int64_t rows = inner ? src->size / inner : 0;
    for (int64_t r = 0; r < rows; r++) {
        int64_t off = 0;
        for (int d = 0; d < nd - 1; d++) off += idx[d] * src->strides[d];
        const char *p = base + (size_t)off * es;
        char *q = (char *)dst + (size_t)(r * inner) * ds;
        if (same && istride == 1) {
            memcpy(q, p, (size_t)inner * es);
        } else {
            for (int64_t j = 0; j < inner; j++) {
                const char *pe = p + (size_t)(j * istride) * es;
                if (same) memcpy(q + (size_t)j * ds, pe, es);
                else mxi_convert(pe, src->dtype, q + (size_t)j * ds, dst_dtype, 1);
            }
        }
        for (int d = nd - 2; d >= 0; d--) {
            if (++idx[d] < src->shape[d]) break;
            idx[d] = 0;
        }
    }
}

/* Inverse of gather: write contiguous `src` buffer into a strided view. */
static void scatter_strided(mx_tensor_s *dst, const void *src) {
    size_t es = mxi_dtype_size(dst->dtype);
    char *base = (char *)dst->storage->data + (size_t)dst->offset * es;
    int64_t idx[MX_MAX_NDIM] = {0};
    int nd = dst->ndim;
    int64_t inner = nd ? dst->shape[nd - 1] : 1, istride = nd ? dst->strides[nd - 1] : 1;
    int64_t rows = inner ? dst->size / inner : 0;
    for (int64_t r = 0; r < rows; r++) {
        int64_t off = 0;
        for (int d = 0; d < nd - 1; d++) off += idx[d] * dst->strides[d];
        char *p = base + (size_t)off * es;
        const char *q = (const char *)src + (size_t)(r * inner) * es;
        if (istride == 1) memcpy(p, q, (size_t)inner * es);
        else
            for (int64_t j = 0; j < inner; j++) memcpy(p + (size_t)(j * istride) * es, q + (size_t)j * es, es);
        for (int d = nd - 2; d >= 0; d--) {
            if (++idx[d] < dst->shape[d]) break;
            idx[d] = 0;
        }
    }
}

static bool on_cpu(const mx_tensor_s *t) {
    return t->storage->dev.type == MX_DEV_CPU || t->storage->dev.type == MX_DEV_CPU_PINNED;
}

mx_tensor_s *mxi_contiguous(mx_tensor_s *t) {
    if (mxi_is_contiguous(t) && on_cpu(t)) {
        mxi_tensor_retain(t);
        return t;
    }
    return mxi_cast(t, t->dtype);
}

mx_tensor_s *mxi_cast(mx_tensor_s *t, int dtype) {
    mx_tensor_s *src = t, *tmp = NULL;
    if (!on_cpu(t)) { /* device data: bring it to the host first */
        tmp = mxi_tensor_new(t->shape, t->ndim, t->dtype);
        if (!tmp) return NULL;
        if (mxi_backend_copy(tmp, t) != MX_OK) { mxi_tensor_release(tmp); return NULL; }
        src = tmp;
    }
    mx_tensor_s *out = mxi_tensor_new(src->shape, src->ndim, dtype);
    if (!out) { mxi_tensor_release(tmp); return NULL; }
    if (mxi_is_contiguous(src)) mxi_convert(mxi_data(src), src->dtype, mxi_data(out), dtype, src->size);
    else gather_strided(src, mxi_data(out), dtype);
    mxi_tensor_release(tmp);
    return out;
}

int mxi_assign(mx_tensor_s *dst, mx_tensor_s *src) {
    if (dst->ndim != src->ndim || memcmp(dst->shape, src->shape, sizeof(int64_t) * (size_t)dst->ndim)) {
        char a[128], b[128];
        return mxi_error(MX_ERR_INVALID, "assign: shape mismatch, destination %s vs source %s",
                         mxi_shape_str(dst->shape, dst->ndim, a, sizeof a),
                         mxi_shape_str(src->shape, src->ndim, b, sizeof b));
    }
    if (!on_cpu(dst) || !on_cpu(src)) return mxi_backend_copy(dst, src);
    if (dst->storage == src->storage && dst->offset == src->offset &&
        !memcmp(dst->strides, src->strides, sizeof(int64_t) * (size_t)dst->ndim) && dst->dtype == src->dtype)
        return MX_OK;
    mxi_bump_version(dst);
    if (mxi_is_contiguous(dst)) {
        if (mxi_is_contiguous(src)) {
            if (src->dtype == dst->dtype) memmove(mxi_data(dst), mxi_data(src), (size_t)src->size * mxi_dtype_size(src->dtype));
            else mxi_convert(mxi_data(src), src->dtype, mxi_data(dst), dst->dtype, src->size);
        } else {
            gather_strided(src, mxi_data(dst), dst->dtype);
        }
        return MX_OK;
    }
    /* strided destination: stage through a contiguous buffer (also makes
     * overlapping src/dst safe) */
    mx_tensor_s *tmp = mxi_cast(src, dst->dtype);
    if (!tmp) return mx_last_error_code();
    scatter_strided(dst, mxi_data(tmp));
    mxi_tensor_release(tmp);
    return MX_OK;
}

/* ===================== public ABI ===================== */

#define CHECK(t, fn) \
    if (!mxi_tensor_check((t), (fn))) return MX_ERR_HANDLE

static bool device_ok(mx_device d, const char *fn) {
    if (d.type == MX_DEV_CPU || d.type == MX_DEV_CPU_PINNED) return true;
    if (mxi_backend_for(d)) return true;
    mxi_error(MX_ERR_DEVICE, "%s: device %s(%d) is not available: %s", fn,
              d.type == MX_DEV_CUDA ? "gpu" : d.type == MX_DEV_OPENCL ? "opencl" : "unknown", d.id,
              mxi_backend_unavailable_reason(d.type));
    return false;
}

int mx_tensor_create(const int64_t *shape, int ndim, int dtype, mx_device device, mx_tensor *out) {
    if (!out) return mxi_error(MX_ERR_INVALID, "mx_tensor_create: out is NULL");
    if (ndim > 0 && !shape) return mxi_error(MX_ERR_INVALID, "mx_tensor_create: shape is NULL with ndim %d", ndim);
    if (!device_ok(device, "mx_tensor_create")) return MX_ERR_DEVICE;
    mx_tensor_s *t = mxi_tensor_new_dev(shape, ndim, dtype, device);
    if (!t) return mx_last_error_code();
    *out = t;
    return MX_OK;
}

int mx_tensor_retain(mx_tensor t) {
    CHECK(t, "mx_tensor_retain");
    mxi_tensor_retain(t);
    return MX_OK;
}

int mx_tensor_release(mx_tensor t) {
    if (!t) return MX_OK;
    CHECK(t, "mx_tensor_release");
    mxi_tensor_release(t);
    return MX_OK;
}

int mx_tensor_shape(mx_tensor t, int *ndim, const int64_t **shape) {
    CHECK(t, "mx_tensor_shape");
    if (ndim) *ndim = t->ndim;
    if (shape) *shape = t->shape;
    return MX_OK;
}

int mx_tensor_strides(mx_tensor t, const int64_t **strides) {
    CHECK(t, "mx_tensor_strides");
    if (strides) *strides = t->strides;
    return MX_OK;
}

int mx_tensor_dtype(mx_tensor t, int *dtype) {
    CHECK(t, "mx_tensor_dtype");
    if (dtype) *dtype = t->dtype;
    return MX_OK;
}

int mx_tensor_device(mx_tensor t, mx_device *device) {
    CHECK(t, "mx_tensor_device");
    if (device) *device = t->storage->dev;
    return MX_OK;
}

int mx_tensor_size(mx_tensor t, int64_t *size) {
    CHECK(t, "mx_tensor_size");
    if (size) *size = t->size;
    return MX_OK;
}

int mx_tensor_version(mx_tensor t, int64_t *version) {
    CHECK(t, "mx_tensor_version");
    if (version) *version = atomic_load(&t->storage->version);
    return MX_OK;
}

int mx_tensor_is_contiguous(mx_tensor t, int *contiguous) {
    CHECK(t, "mx_tensor_is_contiguous");
    if (contiguous) *contiguous = mxi_is_contiguous(t);
    return MX_OK;
}

static int check_nbytes(mx_tensor_s *t, size_t nbytes, const char *fn) {
    size_t want = (size_t)t->size * mxi_dtype_size(t->dtype);
    if (nbytes != want) {
        char b[128];
        return mxi_error(MX_ERR_INVALID, "%s: buffer has %zu bytes, tensor %s %s needs %zu", fn, nbytes,
                         mxi_shape_str(t->shape, t->ndim, b, sizeof b), mxi_dtype_name(t->dtype), want);
    }
    return MX_OK;
}

int mx_tensor_copy_from_host(mx_tensor t, const void *data, size_t nbytes) {
    CHECK(t, "mx_tensor_copy_from_host");
    MXI_TRY(check_nbytes(t, nbytes, "mx_tensor_copy_from_host"));
    if (nbytes && !data) return mxi_error(MX_ERR_INVALID, "mx_tensor_copy_from_host: data is NULL");
    if (!on_cpu(t)) return mxi_backend_from_host(t, data, nbytes);
    mxi_bump_version(t);
    if (mxi_is_contiguous(t)) memcpy(mxi_data(t), data, nbytes);
    else scatter_strided(t, data);
    return MX_OK;
}

int mx_tensor_copy_to_host(mx_tensor t, void *data, size_t nbytes) {
    CHECK(t, "mx_tensor_copy_to_host");
    MXI_TRY(check_nbytes(t, nbytes, "mx_tensor_copy_to_host"));
    if (nbytes && !data) return mxi_error(MX_ERR_INVALID, "mx_tensor_copy_to_host: data is NULL");
    if (!on_cpu(t)) return mxi_backend_to_host(t, data, nbytes);
    if (mxi_is_contiguous(t)) memcpy(data, mxi_data(t), nbytes);
    else gather_strided(t, data, t->dtype);
    return MX_OK;
}

int mx_tensor_data_ptr(mx_tensor t, void **data) {
    CHECK(t, "mx_tensor_data_ptr");
    if (!on_cpu(t)) return mxi_error(MX_ERR_UNSUPPORTED, "mx_tensor_data_ptr: tensor is not on the CPU");
    if (!data) return mxi_error(MX_ERR_INVALID, "mx_tensor_data_ptr: data is NULL");
    *data = mxi_data(t);
    return MX_OK;
}

int mx_tensor_fill(mx_tensor t, double value) {
    CHECK(t, "mx_tensor_fill");
    mx_tensor_s *tmp = mxi_tensor_new(t->shape, t->ndim, t->dtype);
    if (!tmp) return mx_last_error_code();
    size_t es = mxi_dtype_size(t->dtype);
    if (t->size) {
        mxi_store_from_double(mxi_data(tmp), t->dtype, 0, value);
        for (int64_t i = 1; i < t->size; i++) memcpy((char *)mxi_data(tmp) + i * es, mxi_data(tmp), es);
    }
    int rc = mxi_assign(t, tmp);
    mxi_tensor_release(tmp);
    return rc;
}

int mx_tensor_reshape_view(mx_tensor t, const int64_t *shape, int ndim, mx_tensor *out) {
    CHECK(t, "mx_tensor_reshape_view");
    if (!out || (ndim && !shape) || ndim < 0 || ndim > MX_MAX_NDIM)
        return mxi_error(MX_ERR_INVALID, "mx_tensor_reshape_view: bad arguments");
    char a[128], b[128];
    if (mxi_shape_size(shape, ndim) != t->size)
        return mxi_error(MX_ERR_INVALID, "reshape: cannot reshape %s (size %lld) to %s",
                         mxi_shape_str(t->shape, t->ndim, a, sizeof a), (long long)t->size,
                         mxi_shape_str(shape, ndim, b, sizeof b));
    if (!mxi_is_contiguous(t))
        return mxi_error(MX_ERR_INVALID, "reshape: view of non-contiguous tensor %s is not possible",
                         mxi_shape_str(t->shape, t->ndim, a, sizeof a));
    mx_tensor_s *v = mxi_tensor_alias(t);
    if (!v) return mx_last_error_code();
    v->ndim = ndim;
    memcpy(v->shape, shape, sizeof(int64_t) * (size_t)ndim);
    mxi_set_contiguous_strides(v);
    *out = v;
    return MX_OK;
}

int mx_tensor_slice_view(mx_tensor t, int axis, int64_t begin, int64_t end, int64_t step, mx_tensor *out) {
    CHECK(t, "mx_tensor_slice_view");
    if (!out) return mxi_error(MX_ERR_INVALID, "mx_tensor_slice_view: out is NULL");
    if (axis < 0) axis += t->ndim;
    if (axis < 0 || axis >= t->ndim || step <= 0 || begin < 0 || end > t->shape[axis] || begin > end) {
        char a[128];
        return mxi_error(MX_ERR_INVALID, "slice: axis %d range [%lld, %lld) step %lld invalid for shape %s", axis,
                         (long long)begin, (long long)end, (long long)step,
                         mxi_shape_str(t->shape, t->ndim, a, sizeof a));
    }
    mx_tensor_s *v = mxi_tensor_alias(t);
    if (!v) return mx_last_error_code();
    v->offset += begin * t->strides[axis];
    v->shape[axis] = (end - begin + step - 1) / step;
    v->strides[axis] *= step;
    v->size = mxi_shape_size(v->shape, v->ndim);
    *out = v;
    return MX_OK;
}

int mx_tensor_transpose_view(mx_tensor t, const int64_t *axes, mx_tensor *out) {
    CHECK(t, "mx_tensor_transpose_view");
    if (!out) return mxi_error(MX_ERR_INVALID, "mx_tensor_transpose_view: out is NULL");
    int seen[MX_MAX_NDIM] = {0};
    int64_t perm[MX_MAX_NDIM];
    for (int i = 0; i < t->ndim; i++) {
        int64_t a = axes ? axes[i] : t->ndim - 1 - i;
        if (a < 0) a += t->ndim;
        if (a < 0 || a >= t->ndim || seen[a])
            return mxi_error(MX_ERR_INVALID, "transpose: axes are not a permutation of %d dims", t->ndim);
        seen[a] = 1;
        perm[i] = a;
    }
    mx_tensor_s *v = mxi_tensor_alias(t);
    if (!v) return mx_last_error_code();
    for (int i = 0; i < t->ndim; i++) {
        v->shape[i] = t->shape[perm[i]];
        v->strides[i] = t->strides[perm[i]];
    }
    *out = v;
    return MX_OK;
}

int mx_tensor_broadcast_view(mx_tensor t, const int64_t *shape, int ndim, mx_tensor *out) {
    CHECK(t, "mx_tensor_broadcast_view");
    char a[128], b[128];
    if (!out || ndim < t->ndim || ndim > MX_MAX_NDIM || (ndim && !shape))
        return mxi_error(MX_ERR_INVALID, "broadcast_to: cannot broadcast %s to rank %d",
                         mxi_shape_str(t->shape, t->ndim, a, sizeof a), ndim);
    mx_tensor_s *v = mxi_tensor_alias(t);
    if (!v) return mx_last_error_code();
    int off = ndim - t->ndim;
    for (int i = 0; i < ndim; i++) {
        int j = i - off;
        int64_t src = j >= 0 ? t->shape[j] : 1;
        if (src != shape[i] && src != 1) {
            mxi_tensor_release(v);
            return mxi_error(MX_ERR_INVALID, "broadcast_to: cannot broadcast %s to %s",
                             mxi_shape_str(t->shape, t->ndim, a, sizeof a), mxi_shape_str(shape, ndim, b, sizeof b));
        }
        v->shape[i] = shape[i];
        v->strides[i] = (j >= 0 && src == shape[i]) ? t->strides[j] : 0;
    }
    v->ndim = ndim;
    v->size = mxi_shape_size(shape, ndim);
    *out = v;
    return MX_OK;
}

int mx_tensor_assign(mx_tensor dst, mx_tensor src) {
    CHECK(dst, "mx_tensor_assign");
    CHECK(src, "mx_tensor_assign");
    return mxi_assign(dst, src);
}

int mx_tensor_to_device(mx_tensor t, mx_device device, mx_tensor *out) {
    CHECK(t, "mx_tensor_to_device");
    if (!out) return mxi_error(MX_ERR_INVALID, "mx_tensor_to_device: out is NULL");
    if (!device_ok(device, "as_in_context")) return MX_ERR_DEVICE;
    mx_tensor_s *r = mxi_tensor_new_dev(t->shape, t->ndim, t->dtype, device);
    if (!r) return mx_last_error_code();
    int rc = mxi_assign(r, t);
    if (rc != MX_OK) { mxi_tensor_release(r); return rc; }
    *out = r;
    return MX_OK;
}

int mx_tensor_from_host_buffer(void *data, const int64_t *shape, const int64_t *strides, int ndim, int dtype,
                               void (*deleter)(void *), void *ctx, mx_tensor *out) {
    mx_device cpu = {MX_DEV_CPU, 0};
    return mxi_tensor_wrap(data, cpu, shape, strides, ndim, dtype, deleter, ctx, out);
}

int mxi_tensor_wrap(void *data, mx_device dev, const int64_t *shape, const int64_t *strides, int ndim, int dtype,
                    void (*deleter)(void *), void *ctx, mx_tensor *out) {
    if (!out || (ndim && !shape) || ndim < 0 || ndim > MX_MAX_NDIM)
        return mxi_error(MX_ERR_INVALID, "mx_tensor_from_host_buffer: bad arguments (ndim %d)", ndim);
    if (!mxi_dtype_valid(dtype)) return mxi_error(MX_ERR_DTYPE, "mx_tensor_from_host_buffer: unknown dtype %d", dtype);
    for (int i = 0; i < ndim; i++)
        if (shape[i] < 0) return mxi_error(MX_ERR_INVALID, "mx_tensor_from_host_buffer: negative dimension");
    mx_tensor_s *t = tensor_struct();
    mx_storage *s = calloc(1, sizeof *s);
    if (!t || !s) {
        if (t) tensor_discard(t);
        free(s);
        return mxi_error(MX_ERR_MEMORY, "mx_tensor_from_host_buffer: out of memory");
    }
    atomic_init(&s->refcount, 1);
    atomic_init(&s->version, 0);
    s->data = data;
    s->dev = dev;
    /* borrowed memory (no deleter) gets a no-op one so free() never runs on it */
    s->deleter = deleter ? deleter : mxi_noop_deleter;
    s->deleter_ctx = ctx;
    t->storage = s;
    t->ndim = ndim;
    t->dtype = dtype;
    if (ndim) memcpy(t->shape, shape, sizeof(int64_t) * (size_t)ndim);
    t->size = mxi_shape_size(shape, ndim);
    if (strides) memcpy(t->strides, strides, sizeof(int64_t) * (size_t)ndim);
    else mxi_set_contiguous_strides(t);
    s->nbytes = (size_t)t->size * mxi_dtype_size(dtype);
    *out = t;
    return MX_OK;
}

void mxi_noop_deleter(void *ctx) { (void)ctx; }
