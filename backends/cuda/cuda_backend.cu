// cuda_backend.cu — libmxcore-cuda: the CUDA backend module (include/mxcore/backend.h).
//
// One stream per device; every call is queued on it. GEMM goes to cuBLAS,
// loaded at run time with dlopen (libcublas.so.13/12/11) so the module builds
// and loads without the cuBLAS development files; without cuBLAS a tiled
// CUDA kernel is used. Errors: a launch failure is reported by the op that
// launched; an error raised while queued work runs is remembered per device
// ("sticky"), names the last op queued, and is returned by every later read
// of the device until it is read once.
#include <cuda_fp16.h>
#include <cuda_runtime.h>
#include <dlfcn.h>

#include <cmath>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "../common/call_geometry.h"
#include "../common/elementwise_ops.h"
#include "cuda_internal.h"
#include "mxcore/backend.h"

// One namespace for the module's files (cuda_internal.h); hidden visibility
// keeps all of it out of the module's exported symbols.
namespace mxcu {

Dev devs[MAX_DEV];
int ndev = 0;

int fail(char *err, size_t n, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    if (err && n) vsnprintf(err, n, fmt, ap);
    va_end(ap);
    return MXB_ERROR;
}


// ---- cuBLAS, resolved at run time ----
typedef int (*cublasCreate_t)(void **);
typedef int (*cublasSetStream_t)(void *, cudaStream_t);
typedef int (*cublasSgemm_t)(void *, int, int, int, int, int, const float *, const float *, int, const float *, int,
                             const float *, float *, int);
typedef int (*cublasDgemm_t)(void *, int, int, int, int, int, const double *, const double *, int, const double *,
                             int, const double *, double *, int);
cublasCreate_t p_create;
cublasSetStream_t p_set_stream;
cublasSgemm_t p_sgemm;
cublasDgemm_t p_dgemm;
char cublas_status[256] = "not loaded";

// MXCORE_CUBLAS may name the library's path (e.g. the pip wheel nvidia-cublas,
// whose lib folder is not on the loader's path); else the loader searches.
void load_cublas() {
    const char *env = getenv("MXCORE_CUBLAS");
    const char *names[] = {env && *env ? env : "libcublas.so.13", "libcublas.so.13", "libcublas.so.12",
                           "libcublas.so.11", "libcublas.so"};
    for (const char *n : names) {
        void *h = dlopen(n, RTLD_NOW | RTLD_LOCAL);
        if (!h) continue;
        p_create = (cublasCreate_t)dlsym(h, "cublasCreate_v2");
        p_set_stream = (cublasSetStream_t)dlsym(h, "cublasSetStream_v2");
        p_sgemm = (cublasSgemm_t)dlsym(h, "cublasSgemm_v2");
        p_dgemm = (cublasDgemm_t)dlsym(h, "cublasDgemm_v2");
        if (p_create && p_set_stream && p_sgemm && p_dgemm) {
            snprintf(cublas_status, sizeof cublas_status, "%s", n);
            return;
        }
        p_create = nullptr;
    }
    snprintf(cublas_status, sizeof cublas_status, "not found (using the built-in GEMM kernel)");
}

// ---- init / devices ----
bool use_pool(int dev);

int cu_init(char *err, size_t errlen) {
    int n = 0;
    cudaError_t e = cudaGetDeviceCount(&n);
    if (e != cudaSuccess) {
        snprintf(err, errlen, "cudaGetDeviceCount: %s", cudaGetErrorString(e));
        return MXB_OK;
    }
    load_cublas();
    for (int i = 0; i < n && i < MAX_DEV; i++) {
        Dev &d = devs[ndev];
        memset(&d, 0, sizeof d);
        d.id = i;
        if (cudaGetDeviceProperties(&d.prop, i) != cudaSuccess) continue;
        if (d.prop.major < 5) continue;  // capability, not vendor or name
        cudaSetDevice(i);
        if (cudaStreamCreateWithFlags(&d.stream, cudaStreamNonBlocking) != cudaSuccess) continue;
        d.pooled = use_pool(i);
        if (p_create && p_create(&d.cublas) == 0) p_set_stream(d.cublas, d.stream);
        else d.cublas = nullptr;
        ndev++;
    }
    if (!ndev) snprintf(err, errlen, "no CUDA device of compute capability >= 5.0");
    return MXB_OK;
}

void cu_shutdown() {}
int cu_device_count() { return ndev; }
void *cu_device_context(int i) { return i >= 0 && i < ndev ? &devs[i] : nullptr; }
void *cu_native_stream(int i) { return i >= 0 && i < ndev ? (void *)devs[i].stream : nullptr; }
uint32_t cu_device_dtypes(int) { return (1u << MXB_F32) | (1u << MXB_F64); }

const char *cu_device_info_json(int i) {
    if (i < 0 || i >= ndev) return "{}";
    Dev &d = devs[i];
    snprintf(d.info, sizeof d.info,
             "{\"id\":%d,\"name\":\"%s\",\"type\":\"gpu\",\"compute_capability\":\"%d.%d\",\"global_mem\":%zu,"
             "\"multiprocessors\":%d,\"dtypes\":[\"float32\",\"float64\",\"float16\"],\"cublas\":\"%s\"}",
             i, d.prop.name, d.prop.major, d.prop.minor, d.prop.totalGlobalMem, d.prop.multiProcessorCount,
             cublas_status);
    return d.info;
}

// sticky error: once set, every read reports it (then clears)
int check_sticky(Dev &d, char *err, size_t errlen) {
    if (d.sticky[0]) {
        fail(err, errlen, "%s", d.sticky);
        d.sticky[0] = 0;
        return MXB_ERROR;
    }
    return MXB_OK;
}

int sync_dev(Dev &d, char *err, size_t errlen) {
    cudaError_t e = cudaStreamSynchronize(d.stream);
    if (e != cudaSuccess)
        snprintf(d.sticky, sizeof d.sticky, "CUDA error %s raised by queued work (last op queued: %s)",
                 cudaGetErrorString(e), d.last_op ? d.last_op : "none");
    return check_sticky(d, err, errlen);
}

// Buffers come from the device's stream-ordered memory pool: all of a
// device's work runs on its one stream, so a buffer freed with cudaFreeAsync
// can be handed out again at once, without waiting for the kernels queued on
// it (plain cudaFree has to synchronize: a free per dropped tensor stalled
// eager training). The pool keeps freed memory (release threshold: never)
// like PyTorch's caching allocator. Devices without pools use cudaMalloc.
bool use_pool(int dev) {
    int ok = 0;
    cudaMemPool_t pool;
    if (cudaDeviceGetAttribute(&ok, cudaDevAttrMemoryPoolsSupported, dev) != cudaSuccess || !ok) return false;
    if (getenv("MXCORE_CUDA_NO_POOL")) return false;
    if (cudaDeviceGetDefaultMemPool(&pool, dev) != cudaSuccess) return false;
    uint64_t keep = UINT64_MAX;
    return cudaMemPoolSetAttribute(pool, cudaMemPoolAttrReleaseThreshold, &keep) == cudaSuccess;
}

int cu_alloc(int i, size_t nbytes, void **buf, char *err, size_t errlen) {
    Dev &d = devs[i];
    cudaSetDevice(d.id);
    size_t n = nbytes ? nbytes : 4;
    if (d.pooled) {
        cudaError_t e = cudaMallocAsync(buf, n, d.stream);
        if (e == cudaErrorMemoryAllocation) {  // the pool holds freed blocks: give them back, try once more
            cudaStreamSynchronize(d.stream);
            cudaMemPool_t pool;
            if (cudaDeviceGetDefaultMemPool(&pool, d.id) == cudaSuccess) cudaMemPoolTrimTo(pool, 0);
            e = cudaMallocAsync(buf, n, d.stream);
        }
        CUCHECK(e, "cudaMallocAsync");
    } else {
        CUCHECK(cudaMalloc(buf, n), "cudaMalloc");
    }
    CUCHECK(cudaMemsetAsync(*buf, 0, n, d.stream), "cudaMemsetAsync");
    return MXB_OK;
}

void *scratch_alloc(Dev &d, size_t nbytes) {
    void *p = nullptr;
    cudaError_t e = d.pooled ? cudaMallocAsync(&p, nbytes ? nbytes : 4, d.stream) : cudaMalloc(&p, nbytes ? nbytes : 4);
    if (e != cudaSuccess) {
        cudaGetLastError();  // out of memory is not sticky: clear it
        return nullptr;
    }
    return p;
}

void scratch_free(Dev &d, void *p) {
    if (d.pooled) {
        cudaFreeAsync(p, d.stream);
    } else {
        cudaStreamSynchronize(d.stream);
        cudaFree(p);
    }
}

void cu_free(int i, void *buf) {
    Dev &d = devs[i];
    cudaSetDevice(d.id);
    if (d.pooled) {
        cudaFreeAsync(buf, d.stream);  // ordered after the kernels queued on it
    } else {
        cudaStreamSynchronize(d.stream);  // queued kernels may still use it
        cudaFree(buf);
    }
}

int cu_from_host(int i, void *buf, size_t off, const void *host, size_t n, char *err, size_t errlen) {
    Dev &d = devs[i];
    cudaSetDevice(d.id);
    CUCHECK(cudaMemcpyAsync((char *)buf + off, host, n, cudaMemcpyHostToDevice, d.stream), "copy to device");
    return sync_dev(d, err, errlen);  // the host buffer may be freed on return
}

int cu_to_host(int i, void *buf, size_t off, void *host, size_t n, char *err, size_t errlen) {
    Dev &d = devs[i];
    cudaSetDevice(d.id);
    if (check_sticky(d, err, errlen)) return MXB_ERROR;
    CUCHECK(cudaMemcpyAsync(host, (const char *)buf + off, n, cudaMemcpyDeviceToHost, d.stream), "copy to host");
    return sync_dev(d, err, errlen);
}

int cu_copy(int i, void *dst, size_t doff, const void *src, size_t soff, size_t n, char *err, size_t errlen) {
    Dev &d = devs[i];
    cudaSetDevice(d.id);
    CUCHECK(cudaMemcpyAsync((char *)dst + doff, (const char *)src + soff, n, cudaMemcpyDeviceToDevice, d.stream),
            "device copy");
    return MXB_OK;
}

int cu_sync(int i, char *err, size_t errlen) {
    cudaSetDevice(devs[i].id);
    return sync_dev(devs[i], err, errlen);
}

int launched(Dev &d, const char *op, char *err, size_t errlen) {
    cudaError_t e = cudaGetLastError();
    if (e != cudaSuccess) return fail(err, errlen, "kernel launch failed: %s", cudaGetErrorString(e));
    d.last_op = op;
    return MXB_OK;
}


// ---- elementwise: one template per family, ops as functors ----
// The op lists and formulas are shared with OpenCL (backends/common/elementwise_ops.h);
// these are the helpers its expressions use, for element type T.
#define K(v) ((T)(v))
#define SIGM(v) sigm(v)
#define SOFTPLUS(v) softplus(v)
#define FMODP(a, b) fmodp(a, b)

#define DEF_BIN(K_, E, EW, BC, SC, RSC)                                                \
    struct bin_##K_ {                                                                  \
        template <typename T> __device__ T operator()(T a, T b) const { return (T)(E); } \
    };
MXB_BINARY_OPS(DEF_BIN)


template <typename T, typename F> __global__ void k_bin_ew(const T *A, const T *B, T *Y, long long n, F f) {
    long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x;
    if (i < n) Y[i] = f(A[i], B[i]);
}
template <typename T, typename F> __global__ void k_bin_bc(const T *A, const T *B, T *Y, long long n, Bcast p, F f) {
    long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x;
    if (i >= n) return;
    long long r = i, ia = 0, ib = 0;
    for (int d = p.nd - 1; d >= 0; d--) {
        long long c = r % p.shape[d];
        r /= p.shape[d];
        ia += c * p.sa[d];
        ib += c * p.sb[d];
    }
    Y[i] = f(A[ia], B[ib]);
}
template <typename T, typename F> __global__ void k_bin_sc(const T *A, T *Y, long long n, T s, int rev, F f) {
    long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x;
    if (i < n) Y[i] = rev ? f(s, A[i]) : f(A[i], s);
}

#define DEF_UN(N, F, D)                                                                       \
    struct un_##N {                                                                           \
        template <typename T> __device__ T fw(T x) const { return (T)(F); }                   \
        template <typename T> __device__ T bw(T x, T y) const { return (T)(D); }              \
    };
MXB_UNARY_OPS(DEF_UN)
#undef K
#undef SIGM
#undef SOFTPLUS
#undef FMODP

template <typename T, typename F> __global__ void k_un_fw(const T *X, T *Y, long long n, F f) {
    long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x;
    if (i < n) Y[i] = f.template fw<T>(X[i]);
}
template <typename T, typename F> __global__ void k_un_bw(const T *G, const T *X, const T *Yv, T *O, long long n, F f) {
    long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x;
    if (i < n) O[i] = G[i] * f.template bw<T>(X[i], Yv[i]);
}

bool same_shape(const mxb_tensor &a, const mxb_tensor &b) {
    return a.ndim == b.ndim && !memcmp(a.shape, b.shape, sizeof(int64_t) * (size_t)a.ndim);
}

int call_dtype(const mxb_call *c, int n_check) {
    int dt = c->n_in ? c->in[0].dtype : -1;
    for (int i = 0; i < n_check && i < c->n_in; i++)
        if (c->in[i].dtype != dt) return -1;
    for (int k = 0; k < c->n_out; k++)
        if (c->out[k].dtype != dt) return -1;
    return dt == MXB_F32 || dt == MXB_F64 ? dt : -1;
}

int make_bcast(const mxb_tensor &a, const mxb_tensor &b, const mxb_tensor &o, Bcast &p) {
    int nd = o.ndim, n = 0;
    long long ra = 1, rb = 1, sa[MXB_MAX_NDIM], sb[MXB_MAX_NDIM];
    for (int i = nd - 1; i >= 0; i--) {
        int ia = i - (nd - a.ndim), ib = i - (nd - b.ndim);
        long long da = ia >= 0 ? a.shape[ia] : 1, db = ib >= 0 ? b.shape[ib] : 1;
        sa[i] = da == 1 ? 0 : ra;
        sb[i] = db == 1 ? 0 : rb;
        ra *= da;
        rb *= db;
    }
    for (int i = 0; i < nd; i++) {
        if (o.shape[i] == 1) continue;
        if (n > 0 && p.sa[n - 1] == sa[i] * o.shape[i] && p.sb[n - 1] == sb[i] * o.shape[i]) {
            p.shape[n - 1] *= o.shape[i];
            p.sa[n - 1] = sa[i];
            p.sb[n - 1] = sb[i];
        } else {
            if (n >= 6) return -1;
            p.shape[n] = o.shape[i];
            p.sa[n] = sa[i];
            p.sb[n] = sb[i];
            n++;
        }
    }
    p.nd = n;
    return 0;
}

int mul_bcast(Dev &d, const char *op, int dt, const void *A, const void *B, void *Y, long long n, const Bcast &p,
              char *err, size_t errlen) {
    if (!n) return MXB_OK;
    cudaSetDevice(d.id);
    if (dt == MXB_F32)
        k_bin_bc<float><<<blocks(n), 256, 0, d.stream>>>((const float *)A, (const float *)B, (float *)Y, n, p, bin_mul());
    else
        k_bin_bc<double><<<blocks(n), 256, 0, d.stream>>>((const double *)A, (const double *)B, (double *)Y, n, p, bin_mul());
    return launched(d, op, err, errlen);
}

template <typename T, typename F> int run_binary(Dev &d, const mxb_call *c, int mode, F f, char *err, size_t errlen) {
    long long n = c->out[0].size;
    if (!n) return MXB_OK;
    T *Y = (T *)c->out[0].buf;
    const T *A = (const T *)c->in[0].buf;
    if (mode >= 2) {
        T s = (T)mxb_attr_f(c, "scalar", 0);
        k_bin_sc<T><<<blocks(n), 256, 0, d.stream>>>(A, Y, n, s, mode == 3, f);
    } else {
        const T *B = (const T *)c->in[1].buf;
        if (same_shape(c->in[0], c->in[1]) && same_shape(c->in[0], c->out[0])) {
            k_bin_ew<T><<<blocks(n), 256, 0, d.stream>>>(A, B, Y, n, f);
        } else {
            Bcast p{};
            if (make_bcast(c->in[0], c->in[1], c->out[0], p)) return MXB_UNSUPPORTED;
            k_bin_bc<T><<<blocks(n), 256, 0, d.stream>>>(A, B, Y, n, p, f);
        }
    }
    return launched(d, c->op, err, errlen);
}

struct BinEntry {
    const char *ew, *bc, *sc, *rsc, *kernel;
};
const BinEntry BIN_NAMES[] = {
#define BIN_NAME(K_, E, EW, BC, SC, RSC) {EW, BC, SC, RSC, #K_},
    MXB_BINARY_OPS(BIN_NAME)
#undef BIN_NAME
};

bool eq(const char *a, const char *b) { return a && b && !strcmp(a, b); }

const BinEntry *find_bin(const char *op, int *mode) {
    for (const BinEntry &e : BIN_NAMES) {
        if (eq(op, e.ew)) { *mode = 0; return &e; }
        if (eq(op, e.bc)) { *mode = 1; return &e; }
        if (eq(op, e.sc)) { *mode = 2; return &e; }
        if (eq(op, e.rsc)) { *mode = 3; return &e; }
    }
    return nullptr;
}

int k_binary(void *ctx, const mxb_call *c, char *err, size_t errlen) {
    Dev &d = *(Dev *)ctx;
    int mode = 0;
    const BinEntry *e = find_bin(c->op, &mode);
    int dt = call_dtype(c, c->n_in);
    if (!e || dt < 0) return MXB_UNSUPPORTED;
    cudaSetDevice(d.id);
#define DISPATCH_BIN(K_, E, EW, BC, SC, RSC)                                                               \
    if (!strcmp(e->kernel, #K_))                                                                           \
        return dt == MXB_F32 ? run_binary<float>(d, c, mode, bin_##K_(), err, errlen)                      \
                             : run_binary<double>(d, c, mode, bin_##K_(), err, errlen);
    MXB_BINARY_OPS(DISPATCH_BIN)
    return MXB_UNSUPPORTED;
}

template <typename T, typename F> int run_unary(Dev &d, const mxb_call *c, bool bw, F f, char *err, size_t errlen) {
    long long n = c->out[0].size;
    if (!n) return MXB_OK;
    if (!bw) {
        k_un_fw<T><<<blocks(n), 256, 0, d.stream>>>((const T *)c->in[0].buf, (T *)c->out[0].buf, n, f);
    } else {
        if (c->n_in < 3) return MXB_UNSUPPORTED;
        k_un_bw<T><<<blocks(n), 256, 0, d.stream>>>((const T *)c->in[0].buf, (const T *)c->in[1].buf,
                                                    (const T *)c->in[2].buf, (T *)c->out[0].buf, n, f);
    }
    return launched(d, c->op, err, errlen);
}

int unary_by_name(Dev &d, const mxb_call *c, const char *name, bool bw, char *err, size_t errlen) {
    int dt = call_dtype(c, c->n_in);
    if (dt < 0) return MXB_UNSUPPORTED;
    cudaSetDevice(d.id);
#define DISPATCH_UN(N, F, D)                                                                                 \
    if (!strcmp(name, #N))                                                                                   \
        return dt == MXB_F32 ? run_unary<float>(d, c, bw, un_##N(), err, errlen)                             \
                             : run_unary<double>(d, c, bw, un_##N(), err, errlen);
    MXB_UNARY_OPS(DISPATCH_UN)
    return MXB_UNSUPPORTED;
}

bool is_unary(const char *op) {
    if (!strncmp(op, "_backward_", 10)) op += 10;
#define NAME_UN(N, F, D) if (!strcmp(op, #N)) return true;
    MXB_UNARY_OPS(NAME_UN)
    return false;
}

int k_unary(void *ctx, const mxb_call *c, char *err, size_t errlen) {
    bool bw = !strncmp(c->op, "_backward_", 10);
    return unary_by_name(*(Dev *)ctx, c, bw ? c->op + 10 : c->op, bw, err, errlen);
}

const char *const ACT_NAMES[] = {"relu", "sigmoid", "tanh", "softrelu", "softsign"};

int k_activation(void *ctx, const mxb_call *c, char *err, size_t errlen) {
    const mxb_attr *a = mxb_attr_find(c, "act_type");
    for (int i = 0; a && a->s && i < 5; i++)
        if (!strcmp(a->s, ACT_NAMES[i])) return unary_by_name(*(Dev *)ctx, c, ACT_NAMES[i], false, err, errlen);
    return k_act_param(ctx, c, err, errlen); /* log_sigmoid, mish (cuda_nn.cu) */
}

int k_backward_act(void *ctx, const mxb_call *c, char *err, size_t errlen) {
    int64_t k = mxb_attr_i(c, "act", -1);
    if (k == ACTP_RELU_NAN) return unary_by_name(*(Dev *)ctx, c, "relu", true, err, errlen);
    if (k < 0 || k >= 5) return k_backward_act_param(ctx, c, err, errlen);
    return unary_by_name(*(Dev *)ctx, c, ACT_NAMES[k], true, err, errlen);
}

// ---- fills, add_n ----
template <typename T> __global__ void k_fill(T *Y, long long n, T v) {
    long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x;
    if (i < n) Y[i] = v;
}
template <typename T> __global__ void k_acc(T *Y, const T *X, long long n) {
    long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x;
    if (i < n) Y[i] += X[i];
}

int fill_launch(Dev &d, const char *op, const mxb_tensor &o, double v, char *err, size_t errlen) {
    if (!o.size) return MXB_OK;
    cudaSetDevice(d.id);
    if (o.dtype == MXB_F32) k_fill<float><<<blocks(o.size), 256, 0, d.stream>>>((float *)o.buf + o.offset, o.size, (float)v);
    else if (o.dtype == MXB_F64) k_fill<double><<<blocks(o.size), 256, 0, d.stream>>>((double *)o.buf + o.offset, o.size, v);
    else return MXB_UNSUPPORTED;
    return launched(d, op, err, errlen);
}

int k_fill_like(void *ctx, const mxb_call *c, char *err, size_t errlen) {
    double v = !strcmp(c->op, "ones_like") ? 1.0 : !strcmp(c->op, "full_like") ? mxb_attr_f(c, "fill_value", 0) : 0.0;
    return fill_launch(*(Dev *)ctx, c->op, c->out[0], v, err, errlen);
}

template <typename T> int run_add_n(Dev &d, const mxb_call *c, char *err, size_t errlen) {
    long long n = c->out[0].size;
    if (!n) return MXB_OK;
    CUCHECK(cudaMemcpyAsync(c->out[0].buf, c->in[0].buf, (size_t)n * sizeof(T), cudaMemcpyDeviceToDevice, d.stream),
            "add_n");
    for (int i = 1; i < c->n_in; i++)
        k_acc<T><<<blocks(n), 256, 0, d.stream>>>((T *)c->out[0].buf, (const T *)c->in[i].buf, n);
    return launched(d, c->op, err, errlen);
}

int k_add_n(void *ctx, const mxb_call *c, char *err, size_t errlen) {
    int dt = call_dtype(c, c->n_in);
    if (dt < 0) return MXB_UNSUPPORTED;
    cudaSetDevice(((Dev *)ctx)->id);
    return dt == MXB_F32 ? run_add_n<float>(*(Dev *)ctx, c, err, errlen) : run_add_n<double>(*(Dev *)ctx, c, err, errlen);
}

// ---- reductions: one thread per output over (kept, reduced) index groups ----
struct Red {
    int nk, nr;
    long long ks[6], kst[6], rs[6], rst[6];
};

template <typename T> __global__ void k_reduce(const T *X, T *Y, long long n_out, long long n_red, Red p, int kind) {
    long long o = blockIdx.x * (long long)blockDim.x + threadIdx.x;
    if (o >= n_out) return;
    long long base = 0, r = o;
    for (int d = p.nk - 1; d >= 0; d--) {
        long long c = r % p.ks[d];
        r /= p.ks[d];
        base += c * p.kst[d];
    }
    T acc = kind == 2 ? (T)-INFINITY : kind == 3 ? (T)INFINITY : kind == 4 ? (T)1 : (T)0;
    for (long long j = 0; j < n_red; j++) {
        long long q = j, off = base;
        for (int d = p.nr - 1; d >= 0; d--) {
            long long c = q % p.rs[d];
            q /= p.rs[d];
            off += c * p.rst[d];
        }
        T v = X[off];
        if (kind == 2) acc = (v > acc || isnan(v)) ? v : acc;
        else if (kind == 3) acc = (v < acc || isnan(v)) ? v : acc;
        else if (kind == 4) acc *= v;
        else acc += v;
    }
    if (kind == 1) acc = n_red ? acc / (T)n_red : (T)NAN;
    Y[o] = acc;
}

int reduce_dims(Dev &d, const mxb_call *c, const int *red, int kind, int dt, char *err, size_t errlen) {
    const mxb_tensor &x = c->in[0], &o = c->out[0];
    long long st[MXB_MAX_NDIM], s = 1, n_red = 1;
    for (int i = x.ndim - 1; i >= 0; i--) { st[i] = s; s *= x.shape[i]; }
    Red p{};
    int last = -1;
    for (int i = 0; i < x.ndim; i++) {
        if (x.shape[i] == 1) continue;
        int r = red[i] ? 1 : 0;
        int &cnt = r ? p.nr : p.nk;
        long long *sh = r ? p.rs : p.ks, *sd = r ? p.rst : p.kst;
        if (r) n_red *= x.shape[i];
        if (last == r && cnt > 0) {
            sh[cnt - 1] *= x.shape[i];
            sd[cnt - 1] = st[i];
        } else {
            if (cnt >= 6) return MXB_UNSUPPORTED;
            sh[cnt] = x.shape[i];
            sd[cnt] = st[i];
            cnt++;
        }
        last = r;
    }
    if (!o.size) return MXB_OK;
    if (!x.size) return MXB_UNSUPPORTED;
    if (dt == MXB_F32) k_reduce<float><<<blocks(o.size), 256, 0, d.stream>>>((const float *)x.buf, (float *)o.buf, o.size, n_red, p, kind);
    else k_reduce<double><<<blocks(o.size), 256, 0, d.stream>>>((const double *)x.buf, (double *)o.buf, o.size, n_red, p, kind);
    return launched(d, c->op, err, errlen);
}

int k_reduce_op(void *ctx, const mxb_call *c, char *err, size_t errlen) {
    int dt = call_dtype(c, 1);
    if (dt < 0) return MXB_UNSUPPORTED;
    int red[MXB_MAX_NDIM], kind;
    if (reduce_axes(c, red, &kind)) return MXB_UNSUPPORTED;
    cudaSetDevice(((Dev *)ctx)->id);
    return reduce_dims(*(Dev *)ctx, c, red, kind, dt, err, errlen);
}

int k_reduce_like(void *ctx, const mxb_call *c, char *err, size_t errlen) {
    int dt = call_dtype(c, 1);
    if (dt < 0) return MXB_UNSUPPORTED;
    const mxb_tensor &x = c->in[0], &o = c->out[0];
    int red[MXB_MAX_NDIM] = {0};
    if (o.ndim > x.ndim) return MXB_UNSUPPORTED;
    for (int i = 0; i < x.ndim; i++) {
        int j = i - (x.ndim - o.ndim);
        int64_t od = j >= 0 ? o.shape[j] : 1;
        if (od == x.shape[i]) red[i] = 0;
        else if (od == 1) red[i] = 1;
        else return MXB_UNSUPPORTED;
    }
    cudaSetDevice(((Dev *)ctx)->id);
    return reduce_dims(*(Dev *)ctx, c, red, 0, dt, err, errlen);
}

// ---- softmax family and softmax cross-entropy ----
template <typename T>
__global__ void k_softmax(const T *X, T *Y, long long outer, long long C, long long inner, T temp, int mode) {
    long long id = blockIdx.x * (long long)blockDim.x + threadIdx.x;
    if (id >= outer * inner) return;
    long long b = (id / inner) * C * inner + id % inner;
    T m = -INFINITY, s = 0;
    for (long long c = 0; c < C; c++) m = fmax(m, X[b + c * inner] / temp);
    for (long long c = 0; c < C; c++) s += exp(X[b + c * inner] / temp - m);
    T ls = log(s);
    for (long long c = 0; c < C; c++)
        Y[b + c * inner] = mode == 1 ? X[b + c * inner] / temp - m - ls : exp(X[b + c * inner] / temp - m) / s;
}
template <typename T>
__global__ void k_softmax_bw(const T *G, const T *Yv, T *O, long long outer, long long C, long long inner, T temp, int mode) {
    long long id = blockIdx.x * (long long)blockDim.x + threadIdx.x;
    if (id >= outer * inner) return;
    long long b = (id / inner) * C * inner + id % inner;
    T s = 0;
    for (long long c = 0; c < C; c++) s += mode == 1 ? G[b + c * inner] : G[b + c * inner] * Yv[b + c * inner];
    for (long long c = 0; c < C; c++) {
        long long k = b + c * inner;
        O[k] = mode == 1 ? (G[k] - exp(Yv[k]) * s) / temp : Yv[k] * (G[k] - s) / temp;
    }
}

int k_softmax_op(void *ctx, const mxb_call *c, char *err, size_t errlen) {
    Dev &d = *(Dev *)ctx;
    bool bw = !strncmp(c->op, "_backward_", 10);
    const char *base = bw ? c->op + 10 : c->op;
    if (mxb_attr_i(c, "use_length", 0) || c->n_in != (bw ? 2 : 1)) return MXB_UNSUPPORTED;
    int dt = call_dtype(c, c->n_in);
    if (dt < 0) return MXB_UNSUPPORTED;
    const mxb_tensor &x = c->in[bw ? 1 : 0];
    int64_t ax = mxb_attr_i(c, "axis", -1);
    if (ax < 0) ax += x.ndim;
    if (ax < 0 || ax >= x.ndim) return MXB_UNSUPPORTED;
    long long outer = 1, inner = 1, C = x.shape[ax];
    for (int i = 0; i < ax; i++) outer *= x.shape[i];
    for (int i = (int)ax + 1; i < x.ndim; i++) inner *= x.shape[i];
    const mxb_attr *t = mxb_attr_find(c, "temperature");
    double temp = (!t || t->is_none || t->n < 1) ? 1.0 : t->fv[0];
    if (!strcmp(base, "softmin")) temp = -temp;
    int mode = !strcmp(base, "log_softmax") ? 1 : 0;
    long long n = outer * inner;
    if (!n) return MXB_OK;
    cudaSetDevice(d.id);
    if (dt == MXB_F32) {
        if (bw) k_softmax_bw<float><<<blocks(n), 256, 0, d.stream>>>((const float *)c->in[0].buf, (const float *)c->in[1].buf, (float *)c->out[0].buf, outer, C, inner, (float)temp, mode);
        else k_softmax<float><<<blocks(n), 256, 0, d.stream>>>((const float *)x.buf, (float *)c->out[0].buf, outer, C, inner, (float)temp, mode);
    } else {
        if (bw) k_softmax_bw<double><<<blocks(n), 256, 0, d.stream>>>((const double *)c->in[0].buf, (const double *)c->in[1].buf, (double *)c->out[0].buf, outer, C, inner, temp, mode);
        else k_softmax<double><<<blocks(n), 256, 0, d.stream>>>((const double *)x.buf, (double *)c->out[0].buf, outer, C, inner, temp, mode);
    }
    return launched(d, c->op, err, errlen);
}

template <typename T> __global__ void k_sce(const T *X, const T *L, T *Y, long long N, long long C) {
    // one block; rows strided over threads, then a shared-memory sum
    __shared__ T part[256];
    T acc = 0;
    for (long long i = threadIdx.x; i < N; i += blockDim.x) {
        const T *x = X + i * C;
        T m = -INFINITY, s = 0;
        for (long long c = 0; c < C; c++) m = fmax(m, x[c]);
        for (long long c = 0; c < C; c++) s += exp(x[c] - m);
        long long l = (long long)L[i];
        l = l < 0 ? 0 : (l >= C ? C - 1 : l);
        acc += -(x[l] - m - log(s));
    }
    part[threadIdx.x] = acc;
    __syncthreads();
    if (threadIdx.x == 0) {
        T s = 0;
        for (int k = 0; k < (int)blockDim.x; k++) s += part[k];
        Y[0] = s;
    }
}
template <typename T> __global__ void k_sce_bw(const T *G, const T *X, const T *L, T *O, long long N, long long C) {
    long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x;
    if (i >= N) return;
    const T *x = X + i * C;
    T m = -INFINITY, s = 0, g = G[0];
    for (long long c = 0; c < C; c++) m = fmax(m, x[c]);
    for (long long c = 0; c < C; c++) s += exp(x[c] - m);
    long long l = (long long)L[i];
    l = l < 0 ? 0 : (l >= C ? C - 1 : l);
    for (long long c = 0; c < C; c++) O[i * C + c] = (exp(x[c] - m) / s - (c == l ? 1 : 0)) * g;
}

int k_sce_op(void *ctx, const mxb_call *c, char *err, size_t errlen) {
    Dev &d = *(Dev *)ctx;
    bool bw = c->op[0] == '_';
    int dt = call_dtype(c, c->n_in);
    const mxb_tensor &x = c->in[bw ? 1 : 0];
    if (dt < 0 || x.ndim != 2) return MXB_UNSUPPORTED;
    long long N = x.shape[0], C = x.shape[1];
    cudaSetDevice(d.id);
    if (dt == MXB_F32) {
        if (bw) k_sce_bw<float><<<blocks(N ? N : 1), 256, 0, d.stream>>>((const float *)c->in[0].buf, (const float *)x.buf, (const float *)c->in[2].buf, (float *)c->out[0].buf, N, C);
        else k_sce<float><<<1, 256, 0, d.stream>>>((const float *)x.buf, (const float *)c->in[1].buf, (float *)c->out[0].buf, N, C);
    } else {
        if (bw) k_sce_bw<double><<<blocks(N ? N : 1), 256, 0, d.stream>>>((const double *)c->in[0].buf, (const double *)x.buf, (const double *)c->in[2].buf, (double *)c->out[0].buf, N, C);
        else k_sce<double><<<1, 256, 0, d.stream>>>((const double *)x.buf, (const double *)c->in[1].buf, (double *)c->out[0].buf, N, C);
    }
    return launched(d, c->op, err, errlen);
}

// ---- GEMM (cuBLAS, else a tiled kernel) ----
template <typename T>
__global__ void k_gemm(long long M, long long N, long long K, const T *A, long long ars, long long acs, const T *B,
                       long long brs, long long bcs, T *C, T alpha, T beta) {
    __shared__ T As[16][17], Bs[16][17];
    long long r = blockIdx.y * 16 + threadIdx.y, col = blockIdx.x * 16 + threadIdx.x;
    T acc = 0;
    for (long long k0 = 0; k0 < K; k0 += 16) {
        long long ka = k0 + threadIdx.x, kb = k0 + threadIdx.y;
        As[threadIdx.y][threadIdx.x] = (r < M && ka < K) ? A[r * ars + ka * acs] : (T)0;
        Bs[threadIdx.y][threadIdx.x] = (kb < K && col < N) ? B[kb * brs + col * bcs] : (T)0;
        __syncthreads();
        for (int k = 0; k < 16; k++) acc += As[threadIdx.y][k] * Bs[k][threadIdx.x];
        __syncthreads();
    }
    if (r < M && col < N) C[r * N + col] = alpha * acc + (beta != 0 ? beta * C[r * N + col] : (T)0);
}

// Column-major operand X (rows x cols) with X(r, c) = X[r*rs + c*cs] as cuBLAS
// wants it: plain (rs == 1, ld = cs >= rows) or transposed (cs == 1, ld = rs >=
// cols). A stride along a dimension of extent 1 is never used, so it is free
// (cuBLAS still checks ld >= rows). False when neither form fits.
bool blas_layout(long long rs, long long cs, long long rows, long long cols, int *op, long long *ld) {
    if ((rs == 1 || rows == 1) && (cs >= rows || cols == 1)) {
        *op = 0;
        *ld = cs > rows ? cs : rows;
    } else if ((cs == 1 || cols == 1) && (rs >= cols || rows == 1)) {
        *op = 1;
        *ld = rs > cols ? rs : cols;
    } else {
        return false;
    }
    if (*ld < 1) *ld = 1;
    return true;
}

// row-major C(M,N) = alpha A B + beta C with A(i,k) = A[i*ars + k*acs], B(k,j) = B[k*brs + j*bcs]
int gemm(Dev &d, const char *op, int dt, long long M, long long N, long long K, const void *A, long long ars,
         long long acs, const void *B, long long brs, long long bcs, void *C, double alpha, double beta, char *err,
         size_t errlen) {
    if (!M || !N) return MXB_OK;
    cudaSetDevice(d.id);
    int opA, opB;
    long long lda, ldb;
    // column-major view: C^T (N x M) = B^T (N x K) A^T (K x M); each operand is
    // plain or transposed for cuBLAS, else (general strides) the fallback kernel
    if (d.cublas && K > 0 && blas_layout(acs, ars, K, M, &opA, &lda) && blas_layout(bcs, brs, N, K, &opB, &ldb)) {
        int st;
        if (dt == MXB_F32) {
            float al = (float)alpha, be = (float)beta;
            st = p_sgemm(d.cublas, opB, opA, (int)N, (int)M, (int)K, &al, (const float *)B, (int)ldb, (const float *)A,
                         (int)lda, &be, (float *)C, (int)N);
        } else {
            st = p_dgemm(d.cublas, opB, opA, (int)N, (int)M, (int)K, &alpha, (const double *)B, (int)ldb,
                         (const double *)A, (int)lda, &beta, (double *)C, (int)N);
        }
        if (st != 0) return fail(err, errlen, "cuBLAS gemm failed with status %d", st);
        d.last_op = op;
        return MXB_OK;
    }
    dim3 g((unsigned)((N + 15) / 16), (unsigned)((M + 15) / 16)), b(16, 16);
    if (dt == MXB_F32)
        k_gemm<float><<<g, b, 0, d.stream>>>(M, N, K, (const float *)A, ars, acs, (const float *)B, brs, bcs, (float *)C,
                                             (float)alpha, (float)beta);
    else
        k_gemm<double><<<g, b, 0, d.stream>>>(M, N, K, (const double *)A, ars, acs, (const double *)B, brs, bcs,
                                              (double *)C, alpha, beta);
    return launched(d, op, err, errlen);
}

template <typename T> __global__ void k_add_bias(T *Y, const T *B, long long M, long long H) {
    long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x;
    if (i < M * H) Y[i] += B[i % H];
}
template <typename T> __global__ void k_col_sum(const T *G, T *O, long long M, long long H) {
    long long h = blockIdx.x * (long long)blockDim.x + threadIdx.x;
    if (h >= H) return;
    T s = 0;
    for (long long m = 0; m < M; m++) s += G[m * H + h];
    O[h] = s;
}

int k_fc(void *ctx, const mxb_call *c, char *err, size_t errlen) {
    Dev &d = *(Dev *)ctx;
    int dt = call_dtype(c, c->n_in);
    const mxb_tensor &x = c->in[0], &w = c->in[1];
    if (dt < 0 || w.ndim != 2) return MXB_UNSUPPORTED;
    long long H = w.shape[0], K = w.shape[1], M = K ? x.size / K : 0;
    if (gemm(d, c->op, dt, M, H, K, x.buf, K, 1, w.buf, 1, K, c->out[0].buf, 1, 0, err, errlen)) return MXB_ERROR;
    if (c->n_in >= 3 && !mxb_attr_i(c, "no_bias", 0) && M * H > 0) {
        if (dt == MXB_F32) k_add_bias<float><<<blocks(M * H), 256, 0, d.stream>>>((float *)c->out[0].buf, (const float *)c->in[2].buf, M, H);
        else k_add_bias<double><<<blocks(M * H), 256, 0, d.stream>>>((double *)c->out[0].buf, (const double *)c->in[2].buf, M, H);
        return launched(d, c->op, err, errlen);
    }
    return MXB_OK;
}

int k_fc_bw(void *ctx, const mxb_call *c, char *err, size_t errlen) {
    Dev &d = *(Dev *)ctx;
    int dt = call_dtype(c, c->n_in);
    if (dt < 0 || c->n_in < 3 || c->in[2].ndim != 2) return MXB_UNSUPPORTED;
    const mxb_tensor &g = c->in[0], &x = c->in[1], &w = c->in[2];
    long long H = w.shape[0], K = w.shape[1], M = K ? x.size / K : 0;
    /* data_grad=False (the input needs no gradient): output 0 is empty */
    if (mxb_attr_i(c, "data_grad", 1) && c->out[0].size == M * K &&
        gemm(d, c->op, dt, M, K, H, g.buf, H, 1, w.buf, K, 1, c->out[0].buf, 1, 0, err, errlen))
        return MXB_ERROR;
    if (c->n_out >= 2 && gemm(d, c->op, dt, H, K, M, g.buf, 1, H, x.buf, K, 1, c->out[1].buf, 1, 0, err, errlen))
        return MXB_ERROR;
    if (c->n_out >= 3 && c->out[2].size == H && H) {
        if (dt == MXB_F32) k_col_sum<float><<<blocks(H), 256, 0, d.stream>>>((const float *)g.buf, (float *)c->out[2].buf, M, H);
        else k_col_sum<double><<<blocks(H), 256, 0, d.stream>>>((const double *)g.buf, (double *)c->out[2].buf, M, H);
        return launched(d, c->op, err, errlen);
    }
    return MXB_OK;
}

int k_dot(void *ctx, const mxb_call *c, char *err, size_t errlen) {
    Dev &d = *(Dev *)ctx;
    int dt = call_dtype(c, 2);
    if (dt < 0) return MXB_UNSUPPORTED;
    const mxb_tensor &a = c->in[0], &b = c->in[1];
    bool ta = mxb_attr_i(c, "transpose_a", 0), tb = mxb_attr_i(c, "transpose_b", 0);
    long long M, N, K, ars, acs, brs, bcs;
    if (!ta && !tb && a.ndim >= 1 && b.ndim >= 1) {
        K = a.shape[a.ndim - 1];
        if (!K || K != b.shape[0]) return MXB_UNSUPPORTED;
        M = a.size / K; N = b.size / K;
        ars = K; acs = 1; brs = N; bcs = 1;
    } else if (a.ndim == 2 && b.ndim == 2) {
        M = ta ? a.shape[1] : a.shape[0];
        K = ta ? a.shape[0] : a.shape[1];
        ars = ta ? 1 : a.shape[1];
        acs = ta ? a.shape[1] : 1;
        N = tb ? b.shape[0] : b.shape[1];
        brs = tb ? 1 : b.shape[1];
        bcs = tb ? b.shape[1] : 1;
        if ((tb ? b.shape[1] : b.shape[0]) != K) return MXB_UNSUPPORTED;
    } else {
        return MXB_UNSUPPORTED;
    }
    return gemm(d, c->op, dt, M, N, K, a.buf, ars, acs, b.buf, brs, bcs, c->out[0].buf, 1, 0, err, errlen);
}

// ---- optimizers (MXNet semantics, states updated in place) ----
template <typename T> __device__ T clipg(T g, T c) { return c >= 0 ? fmin(fmax(g, -c), c) : g; }

template <typename T>
__global__ void k_sgd(const T *W, const T *G, T *Mo, T *O, long long n, T lr, T wd, T rs, T clip, T mom) {
    long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x;
    if (i >= n) return;
    T g = clipg(rs * G[i], clip);
    if (!Mo) { O[i] = W[i] - lr * (g + wd * W[i]); return; }
    T m = mom * Mo[i] - lr * (g + wd * W[i]);
    Mo[i] = m;
    O[i] = W[i] + m;
}
template <typename T>
__global__ void k_adam(const T *W, const T *G, T *Me, T *Va, T *O, long long n, T lr, T wd, T rs, T clip, T b1, T b2, T eps) {
    long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x;
    if (i >= n) return;
    T g = clipg(rs * G[i] + wd * W[i], clip);
    T m = b1 * Me[i] + (1 - b1) * g, v = b2 * Va[i] + (1 - b2) * g * g;
    Me[i] = m;
    Va[i] = v;
    O[i] = W[i] - lr * m / (sqrt(v) + eps);
}

template <typename T> int run_opt(Dev &d, const mxb_call *c, char *err, size_t errlen) {
    long long n = c->out[0].size;
    if (!n) return MXB_OK;
    T lr = (T)mxb_attr_f(c, "lr", 0.01), wd = (T)mxb_attr_f(c, "wd", 0), rs = (T)mxb_attr_f(c, "rescale_grad", 1),
      clip = (T)mxb_attr_f(c, "clip_gradient", -1);
    const T *W = (const T *)c->in[0].buf, *G = (const T *)c->in[1].buf;
    T *O = (T *)c->out[0].buf;
    auto state = [&](int k) { return (T *)c->in[k].buf + c->in[k].offset; };
    if (!strcmp(c->op, "sgd_update")) {
        k_sgd<T><<<blocks(n), 256, 0, d.stream>>>(W, G, (T *)nullptr, O, n, lr, wd, rs, clip, (T)0);
    } else if (!strcmp(c->op, "sgd_mom_update") && c->n_in >= 3) {
        k_sgd<T><<<blocks(n), 256, 0, d.stream>>>(W, G, state(2), O, n, lr, wd, rs, clip, (T)mxb_attr_f(c, "momentum", 0));
    } else if (!strcmp(c->op, "adam_update") && c->n_in >= 4) {
        k_adam<T><<<blocks(n), 256, 0, d.stream>>>(W, G, state(2), state(3), O, n, lr, wd, rs, clip,
                                                   (T)mxb_attr_f(c, "beta1", 0.9), (T)mxb_attr_f(c, "beta2", 0.999),
                                                   (T)mxb_attr_f(c, "epsilon", 1e-8));
    } else {
        return MXB_UNSUPPORTED;
    }
    return launched(d, c->op, err, errlen);
}

int sgd_launch(Dev &d, const char *op, int dt, const void *W, const void *G, void *Mo, void *O, long long n, double lr,
               double wd, double rs, double clip, double mom, char *err, size_t errlen) {
    if (!n) return MXB_OK;
    cudaSetDevice(d.id);
    if (dt == MXB_F32)
        k_sgd<float><<<blocks(n), 256, 0, d.stream>>>((const float *)W, (const float *)G, (float *)Mo, (float *)O, n,
                                                      (float)lr, (float)wd, (float)rs, (float)clip, (float)mom);
    else
        k_sgd<double><<<blocks(n), 256, 0, d.stream>>>((const double *)W, (const double *)G, (double *)Mo, (double *)O, n,
                                                       lr, wd, rs, clip, mom);
    return launched(d, op, err, errlen);
}

int k_optimizer(void *ctx, const mxb_call *c, char *err, size_t errlen) {
    int dt = call_dtype(c, c->n_in);
    if (dt < 0) return MXB_UNSUPPORTED;
    for (int i = 1; i < c->n_in; i++)
        if (c->in[i].size != c->in[0].size) return MXB_UNSUPPORTED;
    cudaSetDevice(((Dev *)ctx)->id);
    return dt == MXB_F32 ? run_opt<float>(*(Dev *)ctx, c, err, errlen) : run_opt<double>(*(Dev *)ctx, c, err, errlen);
}

// ---- Cast: any pair of float16/32/64, int32/64, uint8. float16 tensors are
// storage here: the core runs other ops on them through the float32 kernels,
// converting with this one (core/backend_registry.c). ----
__device__ inline double cast_ld(const __half *p, long long i) { return (double)__half2float(p[i]); }
template <typename S> __device__ inline double cast_ld(const S *p, long long i) { return (double)p[i]; }
__device__ inline void cast_st(__half *p, long long i, double v) { p[i] = __float2half_rn((float)v); }
template <typename D> __device__ inline void cast_st(D *p, long long i, double v) { p[i] = (D)v; }
template <typename S, typename D> __global__ void k_cast(const S *X, D *Y, long long n) {
    long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x;
    if (i < n) cast_st(Y, i, cast_ld(X, i));
}

template <typename S> int cast_from(Dev &d, const mxb_call *c, char *err, size_t errlen) {
    const S *X = (const S *)c->in[0].buf;
    long long n = c->out[0].size;
    void *Y = c->out[0].buf;
    switch (c->out[0].dtype) {
    case MXB_F32: k_cast<S, float><<<blocks(n), 256, 0, d.stream>>>(X, (float *)Y, n); break;
    case MXB_F64: k_cast<S, double><<<blocks(n), 256, 0, d.stream>>>(X, (double *)Y, n); break;
    case MXB_F16: k_cast<S, __half><<<blocks(n), 256, 0, d.stream>>>(X, (__half *)Y, n); break;
    case MXB_I32: k_cast<S, int><<<blocks(n), 256, 0, d.stream>>>(X, (int *)Y, n); break;
    case MXB_I64: k_cast<S, long long><<<blocks(n), 256, 0, d.stream>>>(X, (long long *)Y, n); break;
    case MXB_U8: k_cast<S, unsigned char><<<blocks(n), 256, 0, d.stream>>>(X, (unsigned char *)Y, n); break;
    default: return MXB_UNSUPPORTED;
    }
    return launched(d, c->op, err, errlen);
}

int k_cast_op(void *ctx, const mxb_call *c, char *err, size_t errlen) {
    Dev &d = *(Dev *)ctx;
    if (!c->out[0].size) return MXB_OK;
    cudaSetDevice(d.id);
    switch (c->in[0].dtype) {
    case MXB_F32: return cast_from<float>(d, c, err, errlen);
    case MXB_F64: return cast_from<double>(d, c, err, errlen);
    case MXB_F16: return cast_from<__half>(d, c, err, errlen);
    case MXB_I32: return cast_from<int>(d, c, err, errlen);
    case MXB_I64: return cast_from<long long>(d, c, err, errlen);
    case MXB_U8: return cast_from<unsigned char>(d, c, err, errlen);
    default: return MXB_UNSUPPORTED;
    }
}

// reshape-family ops (reshape, flatten, expand_dims, ...): the same bytes under
// a new shape; the core gives the output its own buffer, so copy them
int k_copy(void *ctx, const mxb_call *c, char *err, size_t errlen) {
    Dev &d = *(Dev *)ctx;
    const mxb_tensor &x = c->in[0], &o = c->out[0];
    if (x.dtype != o.dtype || x.size != o.size) return MXB_UNSUPPORTED;
    size_t nb = (size_t)o.size * mxb_dtype_size(o.dtype);
    if (!nb) return MXB_OK;
    cudaSetDevice(d.id);
    CUCHECK(cudaMemcpyAsync(o.buf, x.buf, nb, cudaMemcpyDeviceToDevice, d.stream), c->op);
    d.last_op = c->op;
    return MXB_OK;
}

// ---- kernel table ----
struct KEntry {
    const char *op;
    mxb_kernel_fn fn;
};
const KEntry KERNELS[] = {
    {"Activation", k_activation}, {"_backward_act", k_backward_act}, {"zeros_like", k_fill_like},
    {"ones_like", k_fill_like}, {"full_like", k_fill_like}, {"add_n", k_add_n}, {"sum", k_reduce_op},
    {"mean", k_reduce_op}, {"max", k_reduce_op}, {"min", k_reduce_op}, {"prod", k_reduce_op},
    {"_reduce_to_shape_like", k_reduce_like}, {"softmax", k_softmax_op}, {"log_softmax", k_softmax_op},
    {"softmin", k_softmax_op}, {"_backward_softmax", k_softmax_op}, {"_backward_log_softmax", k_softmax_op},
    {"_backward_softmin", k_softmax_op}, {"softmax_cross_entropy", k_sce_op},
    {"_backward_softmax_cross_entropy", k_sce_op}, {"FullyConnected", k_fc}, {"_backward_FullyConnected", k_fc_bw},
    {"dot", k_dot}, {"sgd_update", k_optimizer}, {"sgd_mom_update", k_optimizer}, {"adam_update", k_optimizer},
    {"Cast", k_cast_op},
    // cuda_nn.cu
    {"Convolution", k_conv}, {"_backward_Convolution", k_conv_bw}, {"Pooling", k_pool}, {"_backward_Pooling", k_pool_bw},
    {"BatchNorm", k_batchnorm}, {"_backward_BatchNorm", k_batchnorm_bw}, {"LayerNorm", k_rownorm},
    {"_backward_LayerNorm", k_rownorm_bw}, {"InstanceNorm", k_rownorm}, {"_backward_InstanceNorm", k_rownorm_bw},
    {"GroupNorm", k_rownorm}, {"_backward_GroupNorm", k_rownorm_bw}, {"Dropout", k_dropout}, {"Embedding", k_embedding}, {"_backward_Embedding", k_embedding_bw},
    {"pick", k_pick}, {"_backward_pick", k_pick}, {"clip", k_clip}, {"argmax", k_argext}, {"argmin", k_argext}, {"where", k_where}, {"broadcast_to", k_broadcast},
    {"broadcast_axis", k_broadcast}, {"broadcast_like", k_broadcast}, {"_view_gather", k_view}, {"_view_scatter", k_view},
    {"concat", k_join_split}, {"stack", k_join_split}, {"split", k_join_split}, {"batch_dot", k_batch_dot},
    {"multi_sgd_update", k_multi_sgd}, {"multi_sgd_mom_update", k_multi_sgd}, {"gelu", k_act_param},
    {"log_sigmoid", k_act_param}, {"mish", k_act_param}, {"hard_sigmoid", k_act_param}, {"swish", k_act_param},
    {"LeakyReLU", k_act_param}, {"reshape", k_copy}, {"reshape_like", k_copy}, {"flatten", k_copy},
    {"expand_dims", k_copy}, {"squeeze", k_copy},
    // cuda_rnn.cu
    {"RNN", k_rnn}, {"_rnn_with_reserve", k_rnn}, {"_backward_RNN", k_rnn}, {"_rnn_param_flat", k_rnn_param_flat},
    {"_backward_rnn_param_flat", k_rnn_param_flat},
};

mxb_kernel_fn cu_find_kernel(const char *op) {
    for (const KEntry &e : KERNELS)
        if (!strcmp(e.op, op)) return e.fn;
    int mode;
    if (find_bin(op, &mode)) return k_binary;
    if (is_unary(op)) return k_unary;
    return nullptr;
}

const char *names_buf[512];
char bw_names[64][48];

const char *const *cu_kernel_names() {
    if (names_buf[0]) return names_buf;
    int n = 0, u = 0;
    for (const KEntry &e : KERNELS) names_buf[n++] = e.op;
    for (const BinEntry &e : BIN_NAMES) {
        for (const char *s : {e.ew, e.bc, e.sc, e.rsc})
            if (s) names_buf[n++] = s;
    }
#define LIST_UN(N, F, D)                                                      \
    names_buf[n++] = #N;                                                      \
    snprintf(bw_names[u], sizeof bw_names[u], "_backward_%s", #N);           \
    names_buf[n++] = bw_names[u++];
    MXB_UNARY_OPS(LIST_UN)
    names_buf[n] = nullptr;
    return names_buf;
}

mxb_backend make_table() {
    mxb_backend b;
    memset(&b, 0, sizeof b);
    b.api_version = MXB_API_VERSION;
    b.name = "cuda";
    b.device_type = 2;
    b.init = cu_init;
    b.shutdown = cu_shutdown;
    b.device_count = cu_device_count;
    b.device_context = cu_device_context;
    b.device_info_json = cu_device_info_json;
    b.device_dtypes = cu_device_dtypes;
    b.alloc = cu_alloc;
    b.free = cu_free;
    b.from_host = cu_from_host;
    b.to_host = cu_to_host;
    b.copy = cu_copy;
    b.synchronize = cu_sync;
    b.find_kernel = cu_find_kernel;
    b.kernel_names = cu_kernel_names;
    b.run_graph = nullptr;
    b.native_stream = cu_native_stream;
    return b;
}

const mxb_backend CUDA_TABLE = make_table();

}  // namespace mxcu

extern "C" __attribute__((visibility("default"))) const mxb_backend *mxb_backend_entry(uint32_t) {
    return &mxcu::CUDA_TABLE;
}
