/* opencl_backend.c — libmxcore-opencl: the OpenCL backend module
 * (include/mxcore/backend.h).
 *
 * Devices are chosen by capability, never by vendor: every available device
 * of every platform with OpenCL >= 1.2, a compiler (or prebuilt binaries)
 * and >= 64 MiB of global memory is usable; they are ordered GPU,
 * accelerator, CPU, then by compute units x memory. MXCORE_OPENCL_DEVICE_TYPE
 * = gpu|accelerator|cpu|all restricts the kinds.
 *
 * Programs: one program per device holds every kernel (kernels_cl.h). It is
 * built on first use from
 *   1. $MXCORE_OPENCL_BINARIES/mxcore-<device>.bin or .../mxcore.bin
 *      (offline-compiled binaries: the FPGA flow) via clCreateProgramWithBinary,
 *   2. the on-disk cache ($MXCORE_OPENCL_CACHE, else $XDG_CACHE_HOME or
 *      ~/.cache + /mxcore/opencl; "off" disables) keyed by a hash of the
 *      device, driver and source,
 *   3. the source (then stored in the cache).
 * MXCORE_OPENCL_EXPORT=<dir> writes the source (mxcore_kernels.cl) and the
 * device binary (mxcore-<device>.bin) there, for offline toolchains.
 *
 * Errors: enqueue failures are reported by the kernel that enqueued; errors
 * raised while queued work runs surface at the next read and name the last
 * op queued on the device. */
#define _GNU_SOURCE
#ifndef CL_TARGET_OPENCL_VERSION
#define CL_TARGET_OPENCL_VERSION 120
#endif
#include <CL/cl.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../common/elementwise_ops.h"
#include "kernels_cl.h"
#include "kernels_rnn_cl.h"
#include "mxcore/backend.h"
#include "opencl_internal.h"
#include "../common/call_geometry.h"

static cl_dev devs[MAX_DEV];
static int ndev;

const char *cl_err_name(cl_int e) {
    switch (e) {
    case CL_SUCCESS: return "CL_SUCCESS";
    case CL_DEVICE_NOT_FOUND: return "CL_DEVICE_NOT_FOUND";
    case CL_MEM_OBJECT_ALLOCATION_FAILURE: return "CL_MEM_OBJECT_ALLOCATION_FAILURE";
    case CL_OUT_OF_RESOURCES: return "CL_OUT_OF_RESOURCES";
    case CL_OUT_OF_HOST_MEMORY: return "CL_OUT_OF_HOST_MEMORY";
    case CL_BUILD_PROGRAM_FAILURE: return "CL_BUILD_PROGRAM_FAILURE";
    case CL_INVALID_VALUE: return "CL_INVALID_VALUE";
    case CL_INVALID_BINARY: return "CL_INVALID_BINARY";
    case CL_INVALID_KERNEL_NAME: return "CL_INVALID_KERNEL_NAME";
    case CL_INVALID_KERNEL_ARGS: return "CL_INVALID_KERNEL_ARGS";
    case CL_INVALID_ARG_SIZE: return "CL_INVALID_ARG_SIZE";
    case CL_INVALID_WORK_GROUP_SIZE: return "CL_INVALID_WORK_GROUP_SIZE";
    case CL_INVALID_BUFFER_SIZE: return "CL_INVALID_BUFFER_SIZE";
    case CL_INVALID_MEM_OBJECT: return "CL_INVALID_MEM_OBJECT";
    case CL_EXEC_STATUS_ERROR_FOR_EVENTS_IN_WAIT_LIST: return "CL_EXEC_STATUS_ERROR_FOR_EVENTS_IN_WAIT_LIST";
    default: return "CL error";
    }
}

int mxcl_fail(char *err, size_t n, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    if (err && n) vsnprintf(err, n, fmt, ap);
    va_end(ap);
    return MXB_ERROR;
}


/* ---- device discovery ---- */

static int type_rank(cl_device_type t) {
    if (t & CL_DEVICE_TYPE_GPU) return 0;
    if (t & CL_DEVICE_TYPE_ACCELERATOR) return 1;
    if (t & CL_DEVICE_TYPE_CPU) return 2;
    return 3;
}

static const char *type_name(cl_device_type t) {
    if (t & CL_DEVICE_TYPE_GPU) return "gpu";
    if (t & CL_DEVICE_TYPE_ACCELERATOR) return "accelerator";
    if (t & CL_DEVICE_TYPE_CPU) return "cpu";
    return "other";
}

static int type_wanted(cl_device_type t) {
    const char *e = getenv("MXCORE_OPENCL_DEVICE_TYPE");
    if (!e || !*e || !strcmp(e, "all")) return 1;
    return strstr(e, type_name(t)) != NULL;
}

static int cmp_dev(const void *a, const void *b) {
    const cl_dev *x = a, *y = b;
    int rx = type_rank(x->type), ry = type_rank(y->type);
    if (rx != ry) return rx - ry;
    double sx = (double)x->units * (double)x->mem, sy = (double)y->units * (double)y->mem;
    return sx < sy ? 1 : sx > sy ? -1 : 0;
}

/* GEMM variant by device capability: CPU devices (no separate local memory,
 * wide SIMD units, big caches) get the packed register-blocked kernel; GPUs
 * and accelerators the local-memory tiled one. MXCORE_OPENCL_GEMM=packed|tiled
 * and MXCORE_OPENCL_GEMM_TILE=<MR>x<NV> (rows x 16-wide vectors) override. */
static void gemm_select(cl_dev *d) {
    cl_device_local_mem_type lt = CL_LOCAL;
    clGetDeviceInfo(d->dev, CL_DEVICE_LOCAL_MEM_TYPE, sizeof lt, &lt, NULL);
    d->gemm_packed = (d->type & CL_DEVICE_TYPE_CPU) || lt == CL_GLOBAL;
    const char *e = getenv("MXCORE_OPENCL_GEMM");
    if (e && !strcmp(e, "packed")) d->gemm_packed = 1;
    if (e && !strcmp(e, "tiled")) d->gemm_packed = 0;
    /* register block from the SIMD width: keep MR*NV 16-wide accumulators
     * within ~3/4 of the vector registers (32 with 16-float SIMD, else 16) */
    cl_uint w = 0;
    clGetDeviceInfo(d->dev, CL_DEVICE_NATIVE_VECTOR_WIDTH_FLOAT, sizeof w, &w, NULL);
    if (w >= 16) d->gemm_mr = 6, d->gemm_nv = 4;      /* 24 of 32 registers */
    else if (w >= 8) d->gemm_mr = 6, d->gemm_nv = 1;  /* 12 of 16 registers */
    else d->gemm_mr = 3, d->gemm_nv = 1;              /* 12 of 16 (4-wide) */
    /* products of up to MXCORE_OPENCL_GEMM_DIRECT multiply-adds (default 512^3; 0 disables) skip packing */
    const char *dm = getenv("MXCORE_OPENCL_GEMM_DIRECT");
    d->gemm_direct = dm && *dm ? strtod(dm, NULL) : 134217728.0;
    const char *t = getenv("MXCORE_OPENCL_GEMM_TILE");
    int mr, nv;
    if (t && sscanf(t, "%dx%d", &mr, &nv) == 2 && mr >= 1 && mr <= 16 && nv >= 1 && nv <= 4) {
        d->gemm_mr = mr;
        d->gemm_nv = nv;
    }
}

static int ocl_init(char *err, size_t errlen) {
    cl_uint np = 0;
    cl_platform_id plats[16];
    cl_int e = clGetPlatformIDs(16, plats, &np);
    if (e != CL_SUCCESS || np == 0) {
        snprintf(err, errlen, "no OpenCL platform (clGetPlatformIDs: %s)", cl_err_name(e));
        return MXB_OK;
    }
    int have_bins = getenv("MXCORE_OPENCL_BINARIES") != NULL;
    char why[256] = "";
    for (cl_uint p = 0; p < np && p < 16; p++) {
        cl_device_id ids[MAX_DEV];
        cl_uint nd = 0;
        if (clGetDeviceIDs(plats[p], CL_DEVICE_TYPE_ALL, MAX_DEV, ids, &nd) != CL_SUCCESS) continue;
        for (cl_uint i = 0; i < nd && ndev < MAX_DEV; i++) {
            cl_dev *d = &devs[ndev];
            memset(d, 0, sizeof *d);
            d->plat = plats[p];
            d->dev = ids[i];
            cl_bool avail = 0, compiler = 0;
            clGetDeviceInfo(ids[i], CL_DEVICE_AVAILABLE, sizeof avail, &avail, NULL);
            clGetDeviceInfo(ids[i], CL_DEVICE_COMPILER_AVAILABLE, sizeof compiler, &compiler, NULL);
            clGetDeviceInfo(ids[i], CL_DEVICE_TYPE, sizeof d->type, &d->type, NULL);
            clGetDeviceInfo(ids[i], CL_DEVICE_NAME, sizeof d->name, d->name, NULL);
            clGetDeviceInfo(ids[i], CL_DEVICE_VERSION, sizeof d->version, d->version, NULL);
            clGetDeviceInfo(ids[i], CL_DRIVER_VERSION, sizeof d->driver, d->driver, NULL);
            clGetPlatformInfo(plats[p], CL_PLATFORM_NAME, sizeof d->plat_name, d->plat_name, NULL);
            clGetDeviceInfo(ids[i], CL_DEVICE_GLOBAL_MEM_SIZE, sizeof d->mem, &d->mem, NULL);
            clGetDeviceInfo(ids[i], CL_DEVICE_MAX_MEM_ALLOC_SIZE, sizeof d->max_alloc, &d->max_alloc, NULL);
            clGetDeviceInfo(ids[i], CL_DEVICE_MAX_COMPUTE_UNITS, sizeof d->units, &d->units, NULL);
            size_t exl = 0;
            clGetDeviceInfo(ids[i], CL_DEVICE_EXTENSIONS, 0, NULL, &exl);
            char *ext = calloc(1, exl + 1);
            if (ext) {
                clGetDeviceInfo(ids[i], CL_DEVICE_EXTENSIONS, exl, ext, NULL);
                d->fp64 = strstr(ext, "cl_khr_fp64") != NULL;
                d->fp16 = strstr(ext, "cl_khr_fp16") != NULL;
                free(ext);
            }
            size_t wg = 0;
            clGetDeviceInfo(ids[i], CL_DEVICE_MAX_WORK_GROUP_SIZE, sizeof wg, &wg, NULL);
            int major = 0, minor = 0;
            sscanf(d->version, "OpenCL %d.%d", &major, &minor);
            if (!avail) { snprintf(why, sizeof why, "%s: not available", d->name); continue; }
            if (!type_wanted(d->type)) { snprintf(why, sizeof why, "%s: excluded by MXCORE_OPENCL_DEVICE_TYPE", d->name); continue; }
            if (major * 10 + minor < 12) { snprintf(why, sizeof why, "%s: OpenCL %d.%d < 1.2", d->name, major, minor); continue; }
            if (!compiler && !have_bins) { snprintf(why, sizeof why, "%s: no compiler and no MXCORE_OPENCL_BINARIES", d->name); continue; }
            if (d->mem < (64u << 20)) { snprintf(why, sizeof why, "%s: less than 64 MiB of memory", d->name); continue; }
            if (wg < 256) { snprintf(why, sizeof why, "%s: work groups of 256 not supported", d->name); continue; }
            ndev++;
        }
    }
    qsort(devs, (size_t)ndev, sizeof devs[0], cmp_dev);
    for (int i = 0; i < ndev; i++) {
        cl_dev *d = &devs[i];
        d->id = i;
        gemm_select(d);
        cl_int ce;
        d->ctx = clCreateContext(NULL, 1, &d->dev, NULL, NULL, &ce);
        if (ce != CL_SUCCESS) return mxcl_fail(err, errlen, "clCreateContext(%s): %s", d->name, cl_err_name(ce));
        d->q = clCreateCommandQueue(d->ctx, d->dev, 0, &ce);
        if (ce != CL_SUCCESS) return mxcl_fail(err, errlen, "clCreateCommandQueue(%s): %s", d->name, cl_err_name(ce));
    }
    if (!ndev) snprintf(err, errlen, "no OpenCL device qualifies%s%s", why[0] ? ": " : "", why);
    return MXB_OK;
}

static void ocl_shutdown(void) {
    for (int i = 0; i < ndev; i++) {
        cl_dev *d = &devs[i];
        for (int k = 0; k < KTAB; k++)
            if (d->kernels[k].k) clReleaseKernel(d->kernels[k].k);
        for (int k = 0; k < 2; k++)
            if (d->scratch[k]) clReleaseMemObject(d->scratch[k]);
        if (d->prog) clReleaseProgram(d->prog);
        if (d->q) clReleaseCommandQueue(d->q);
        if (d->ctx) clReleaseContext(d->ctx);
    }
    ndev = 0;
}

static int ocl_device_count(void) { return ndev; }
static void *ocl_device_context(int i) { return i >= 0 && i < ndev ? &devs[i] : NULL; }

static void *ocl_native_stream(int i) { return i >= 0 && i < ndev ? (void *)devs[i].q : NULL; }

static uint32_t ocl_device_dtypes(int i) {
    if (i < 0 || i >= ndev) return 0;
    return (1u << MXB_F32) | (devs[i].fp64 ? 1u << MXB_F64 : 0);
}

static const char *ocl_device_info_json(int i) {
    if (i < 0 || i >= ndev) return "{}";
    cl_dev *d = &devs[i];
    snprintf(d->info, sizeof d->info,
             "{\"id\":%d,\"name\":\"%s\",\"platform\":\"%s\",\"type\":\"%s\",\"version\":\"%s\",\"driver\":\"%s\","
             "\"global_mem\":%llu,\"max_alloc\":%llu,\"compute_units\":%u,\"fp64\":%s,\"fp16\":%s,"
             "\"dtypes\":[\"float32\"%s,\"float16\"],\"program\":\"%s\"%s%s%s}",
             i, d->name, d->plat_name, type_name(d->type), d->version, d->driver, (unsigned long long)d->mem,
             (unsigned long long)d->max_alloc, d->units, d->fp64 ? "true" : "false", d->fp16 ? "true" : "false",
             d->fp64 ? ",\"float64\"" : "", d->built == 1 ? d->origin : d->built < 0 ? "failed" : "not built yet",
             d->build_err[0] ? ",\"build_error\":\"" : "", d->build_err[0] ? "see stderr" : "", d->build_err[0] ? "\"" : "");
    return d->info;
}

/* ---- program: source, cache, prebuilt binaries ---- */

static char *build_source(const cl_dev *d) {
    size_t cap = 1 << 19, len = 0;
    char *s = malloc(cap);
    if (!s) return NULL;
#define APPEND(...)                                                                     \
    do {                                                                                \
        int w_ = snprintf(s + len, cap - len, __VA_ARGS__);                             \
        if (w_ < 0 || (size_t)w_ >= cap - len) { free(s); return NULL; }               \
        len += (size_t)w_;                                                              \
    } while (0)
    APPEND("%s", CL_PRELUDE);
    if (d->fp64) APPEND("#pragma OPENCL EXTENSION cl_khr_fp64 : enable\n#define ACC double\n");
    else APPEND("#define ACC float\n");
    APPEND("#define GEMM_MR %d\n#define GEMM_NV %d\n", d->gemm_mr, d->gemm_nv);
    APPEND("%s", CL_CAST);
    APPEND("%s", CL_VIEW);
#define GEN_CAST(SN, S, LDK, DN, D, CV, STK, F64, SDT, DDT) \
    if (!F64 || d->fp64) APPEND("CAST(%s, %s, %s, %s, %s, %s, %s)\n", #SN, #S, #LDK, #DN, #D, #CV, #STK);
    MXCL_CASTS(GEN_CAST)
#undef GEN_CAST
    for (int pass = 0; pass < 2; pass++) {
        if (pass == 1 && !d->fp64) break;
        if (pass == 0) APPEND("#define T float\n#define SFX _f\n#define K(v) v##f\n");
        else APPEND("#pragma OPENCL EXTENSION cl_khr_fp64 : enable\n#define T double\n#define SFX _d\n#define K(v) v\n");
        APPEND("%s", CL_GENERIC);
        APPEND("%s", CL_NN);
        APPEND("%s", CL_GEMM_PACKED);
        APPEND("%s", CL_RNN);
#define GEN_BIN(K, E, EW, BC, SC, RSC) APPEND("BIN(%s, %s)\n", #K, #E);
        MXB_BINARY_OPS(GEN_BIN)
#define GEN_UN(N, F, D) APPEND("UN(%s, %s, %s)\n", #N, #F, #D);
        MXB_UNARY_OPS(GEN_UN)
        APPEND("#undef T\n#undef SFX\n#undef K\n#undef TM\n#undef TN\n#undef TK\n#undef CLIPG\n");
    }
#undef APPEND
    return s;
}

static uint64_t fnv1a(uint64_t h, const char *s) {
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

static void sanitize(const char *in, char *out, size_t n) {
    size_t k = 0;
    for (; *in && k + 1 < n; in++) {
        char ch = *in;
        out[k++] = ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '-') ? ch : '_';
    }
    out[k] = 0;
}

static int mkdirs(const char *path) {
    char tmp[1024];
    snprintf(tmp, sizeof tmp, "%s", path);
    for (char *p = tmp + 1; *p; p++) {
        if (*p == '/') {
            *p = 0;
            mkdir(tmp, 0755);
            *p = '/';
        }
    }
    return mkdir(tmp, 0755) == 0 || errno == EEXIST ? 0 : -1;
}

static int cache_dir(char *out, size_t n) {
    const char *e = getenv("MXCORE_OPENCL_CACHE");
    if (e && !strcmp(e, "off")) return -1;
    if (e && *e) snprintf(out, n, "%s", e);
    else if (getenv("XDG_CACHE_HOME")) snprintf(out, n, "%s/mxcore/opencl", getenv("XDG_CACHE_HOME"));
    else if (getenv("HOME")) snprintf(out, n, "%s/.cache/mxcore/opencl", getenv("HOME"));
    else return -1;
    return 0;
}

static unsigned char *read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *b = n > 0 ? malloc((size_t)n) : NULL;
    if (b && fread(b, 1, (size_t)n, f) != (size_t)n) { free(b); b = NULL; }
    fclose(f);
    *len = b ? (size_t)n : 0;
    return b;
}

static void write_file_atomic(const char *path, const void *data, size_t len) {
    char tmp[1100];
    snprintf(tmp, sizeof tmp, "%s.%d.tmp", path, (int)getpid());
    FILE *f = fopen(tmp, "wb");
    if (!f) return;
    size_t w = fwrite(data, 1, len, f);
    fclose(f);
    if (w == len) rename(tmp, path);
    else unlink(tmp);
}

static int program_binary(cl_dev *d, unsigned char **bin, size_t *len) {
    size_t sz = 0;
    if (clGetProgramInfo(d->prog, CL_PROGRAM_BINARY_SIZES, sizeof sz, &sz, NULL) != CL_SUCCESS || !sz) return -1;
    *bin = malloc(sz);
    if (!*bin) return -1;
    unsigned char *ptrs[1] = {*bin};
    if (clGetProgramInfo(d->prog, CL_PROGRAM_BINARIES, sizeof ptrs, ptrs, NULL) != CL_SUCCESS) {
        free(*bin);
        return -1;
    }
    *len = sz;
    return 0;
}

static int try_binary(cl_dev *d, const char *path, const char *opts) {
    size_t len = 0;
    unsigned char *bin = read_file(path, &len);
    if (!bin) return -1;
    const unsigned char *bins[1] = {bin};
    cl_int st = 0, e = 0;
    cl_program p = clCreateProgramWithBinary(d->ctx, 1, &d->dev, &len, bins, &st, &e);
    free(bin);
    if (e != CL_SUCCESS || st != CL_SUCCESS) {
        if (p) clReleaseProgram(p);
        return -1;
    }
    if (clBuildProgram(p, 1, &d->dev, opts, NULL, NULL) != CL_SUCCESS) {
        clReleaseProgram(p);
        return -1;
    }
    d->prog = p;
    return 0;
}

static const char *BUILD_OPTS = "-cl-std=CL1.2";

static int ensure_program(cl_dev *d, char *err, size_t errlen) {
    if (d->built == 1) return MXB_OK;
    if (d->built < 0) return mxcl_fail(err, errlen, "OpenCL program for %s failed to build: %s", d->name, d->build_err);
    char devname[200], path[1400];
    sanitize(d->name, devname, sizeof devname);
    const char *bdir = getenv("MXCORE_OPENCL_BINARIES");
    if (bdir && *bdir) {
        const char *names[2] = {devname, NULL};
        for (int i = 0; i < 2 && !d->prog; i++) {
            if (names[i]) snprintf(path, sizeof path, "%s/mxcore-%s.bin", bdir, names[i]);
            else snprintf(path, sizeof path, "%s/mxcore.bin", bdir);
            if (try_binary(d, path, BUILD_OPTS) == 0) snprintf(d->origin, sizeof d->origin, "prebuilt:%s", path);
        }
    }
    char *src = NULL;
    char cpath[1400] = "";
    if (!d->prog) {
        src = build_source(d);
        if (!src) return mxcl_fail(err, errlen, "OpenCL source generation failed (out of memory)");
        char cdir[1024];
        if (cache_dir(cdir, sizeof cdir) == 0) {
            uint64_t h = 1469598103934665603ull;
            h = fnv1a(h, d->name); h = fnv1a(h, d->version); h = fnv1a(h, d->driver); h = fnv1a(h, d->plat_name);
            h = fnv1a(h, BUILD_OPTS); h = fnv1a(h, src);
            snprintf(cpath, sizeof cpath, "%s/%s-%016llx.bin", cdir, devname, (unsigned long long)h);
            if (try_binary(d, cpath, BUILD_OPTS) == 0) snprintf(d->origin, sizeof d->origin, "cache");
            else mkdirs(cdir);
        }
    }
    if (!d->prog) {
        cl_int e;
        const char *srcs[1] = {src};
        cl_program p = clCreateProgramWithSource(d->ctx, 1, srcs, NULL, &e);
        if (e == CL_SUCCESS) e = clBuildProgram(p, 1, &d->dev, BUILD_OPTS, NULL, NULL);
        if (e != CL_SUCCESS) {
            size_t ln = 0;
            char *log = NULL;
            if (p && clGetProgramBuildInfo(p, d->dev, CL_PROGRAM_BUILD_LOG, 0, NULL, &ln) == CL_SUCCESS &&
                (log = calloc(1, ln + 1)))
                clGetProgramBuildInfo(p, d->dev, CL_PROGRAM_BUILD_LOG, ln, log, NULL);
            fprintf(stderr, "mxcore-opencl: program build failed on %s:\n%s\n", d->name, log ? log : "");
            snprintf(d->build_err, sizeof d->build_err, "%s: %.400s", cl_err_name(e), log ? log : "");
            free(log);
            if (p) clReleaseProgram(p);
            free(src);
            d->built = -1;
            return mxcl_fail(err, errlen, "OpenCL program for %s failed to build: %s", d->name, d->build_err);
        }
        d->prog = p;
        snprintf(d->origin, sizeof d->origin, "source");
        unsigned char *bin = NULL;
        size_t blen = 0;
        if (cpath[0] && program_binary(d, &bin, &blen) == 0) {
            write_file_atomic(cpath, bin, blen);
            free(bin);
        }
    }
    const char *xdir = getenv("MXCORE_OPENCL_EXPORT");
    if (xdir && *xdir && mkdirs(xdir) == 0) {
        if (!src) src = build_source(d);
        if (src) {
            snprintf(path, sizeof path, "%s/mxcore_kernels.cl", xdir);
            write_file_atomic(path, src, strlen(src));
        }
        unsigned char *bin = NULL;
        size_t blen = 0;
        if (program_binary(d, &bin, &blen) == 0) {
            snprintf(path, sizeof path, "%s/mxcore-%s.bin", xdir, devname);
            write_file_atomic(path, bin, blen);
            free(bin);
        }
    }
    free(src);
    d->built = 1;
    return MXB_OK;
}

/* kernel object by name (created once per device) */
cl_kernel get_kernel(cl_dev *d, const char *name, char *err, size_t errlen) {
    if (ensure_program(d, err, errlen) != MXB_OK) return NULL;
    uint64_t h = fnv1a(1469598103934665603ull, name);
    for (int i = 0; i < KTAB; i++) {
        kslot *s = &d->kernels[(h + (uint64_t)i) % KTAB];
        if (s->k && !strcmp(s->name, name)) return s->k;
        if (!s->k) {
            cl_int e;
            cl_kernel k = clCreateKernel(d->prog, name, &e);
            if (e != CL_SUCCESS) {
                mxcl_fail(err, errlen, "kernel %s missing from the program (%s)", name, cl_err_name(e));
                return NULL;
            }
            snprintf(s->name, sizeof s->name, "%s", name);
            s->k = k;
            return k;
        }
    }
    mxcl_fail(err, errlen, "kernel table full");
    return NULL;
}

/* ---- buffers ---- */

static int ocl_alloc(int i, size_t nbytes, void **buf, char *err, size_t errlen) {
    cl_dev *d = &devs[i];
    cl_int e;
    size_t n = nbytes ? nbytes : 4;
    if (n > d->max_alloc) return mxcl_fail(err, errlen, "%zu bytes exceed the device's max allocation %llu", n, (unsigned long long)d->max_alloc);
    cl_mem m = clCreateBuffer(d->ctx, CL_MEM_READ_WRITE, n, NULL, &e);
    if (e != CL_SUCCESS) return mxcl_fail(err, errlen, "clCreateBuffer(%zu): %s", n, cl_err_name(e));
    cl_uchar zero = 0;
    e = clEnqueueFillBuffer(d->q, m, &zero, 1, 0, n, 0, NULL, NULL);
    if (e != CL_SUCCESS) {
        clReleaseMemObject(m);
        return mxcl_fail(err, errlen, "clEnqueueFillBuffer: %s", cl_err_name(e));
    }
    *buf = m;
    return MXB_OK;
}

static void ocl_free(int i, void *buf) {
    (void)i;
    /* the runtime keeps the buffer alive until queued work using it finishes */
    clReleaseMemObject((cl_mem)buf);
}

static int ocl_from_host(int i, void *buf, size_t off, const void *host, size_t n, char *err, size_t errlen) {
    CLCHECK(clEnqueueWriteBuffer(devs[i].q, (cl_mem)buf, CL_TRUE, off, n, host, 0, NULL, NULL), "write to device");
    return MXB_OK;
}

static int ocl_to_host(int i, void *buf, size_t off, void *host, size_t n, char *err, size_t errlen) {
    cl_int e = clEnqueueReadBuffer(devs[i].q, (cl_mem)buf, CL_TRUE, off, n, host, 0, NULL, NULL);
    if (e != CL_SUCCESS)
        return mxcl_fail(err, errlen, "read from device: %s (%d); last op queued: %s", cl_err_name(e), e,
                    devs[i].last_op ? devs[i].last_op : "none");
    return MXB_OK;
}

static int ocl_copy(int i, void *dst, size_t doff, const void *src, size_t soff, size_t n, char *err, size_t errlen) {
    CLCHECK(clEnqueueCopyBuffer(devs[i].q, (cl_mem)src, (cl_mem)dst, soff, doff, n, 0, NULL, NULL), "device copy");
    return MXB_OK;
}

static int ocl_sync(int i, char *err, size_t errlen) {
    cl_int e = clFinish(devs[i].q);
    if (e != CL_SUCCESS)
        return mxcl_fail(err, errlen, "clFinish: %s; last op queued: %s", cl_err_name(e), devs[i].last_op ? devs[i].last_op : "none");
    return MXB_OK;
}

/* ---- launching ---- */

int launch(cl_dev *d, const char *op, const char *base, int dtype, size_t global, const karg *args, int na,
           char *err, size_t errlen) {
    char name[96];
    snprintf(name, sizeof name, "%s%s", base, dtype == MXB_F64 ? "_d" : "_f");
    return launch_named(d, op, name, global, args, na, err, errlen);
}

int launch_named(cl_dev *d, const char *op, const char *name, size_t global, const karg *args, int na, char *err,
                 size_t errlen) {
    if (!global) return MXB_OK;
    cl_kernel k = get_kernel(d, name, err, errlen);
    if (!k) return MXB_ERROR;
    for (int a = 0; a < na; a++) CLCHECK(clSetKernelArg(k, (cl_uint)a, args[a].sz, args[a].p), name);
    CLCHECK(clEnqueueNDRangeKernel(d->q, k, 1, NULL, &global, NULL, 0, NULL, NULL), name);
    d->last_op = op;
    return MXB_OK;
}

int call_dtype(const cl_dev *d, const mxb_call *c, int n_check) {
    int dt = c->n_in ? c->in[0].dtype : -1;
    for (int i = 0; i < n_check && i < c->n_in; i++)
        if (c->in[i].dtype != dt) return -1;
    for (int k = 0; k < c->n_out; k++)
        if (c->out[k].dtype != dt) return -1;
    if (dt == MXB_F32 || (dt == MXB_F64 && d->fp64)) return dt;
    return -1;
}


/* ---- op kernels ---- */

typedef struct {
    const char *op;
    const char *kernel;
    int mode; /* binary: 0 ew, 1 bc, 2 sc, 3 rsc */
} opmap;

static const opmap BIN_MAP[] = {
#define BMAP(K, E, EW, BC, SC, RSC) {EW, #K, 0}, {BC, #K, 1}, {SC, #K, 2}, {RSC, #K, 3},
    MXB_BINARY_OPS(BMAP)
#undef BMAP
};

static const opmap *find_bin(const char *op) {
    for (size_t i = 0; i < sizeof BIN_MAP / sizeof BIN_MAP[0]; i++)
        if (BIN_MAP[i].op && !strcmp(BIN_MAP[i].op, op)) return &BIN_MAP[i];
    return NULL;
}

typedef struct { int64_t nd, shape[MXCL_MAXD], sa[MXCL_MAXD], sb[MXCL_MAXD]; } bc_t;
typedef struct { int64_t nk, ks[MXCL_MAXD], kst[MXCL_MAXD], nr, rs[MXCL_MAXD], rst[MXCL_MAXD]; } rd_t;

/* broadcast strides of `t` against output shape `os` (right aligned), then
 * collapse dims where both operands are contiguous together */
static int make_bcast(const mxb_tensor *a, const mxb_tensor *b, const mxb_tensor *o, bc_t *p) {
    int nd = o->ndim;
    int64_t sa[MXB_MAX_NDIM], sb[MXB_MAX_NDIM], sh[MXB_MAX_NDIM];
    int64_t ra = 1, rb = 1;
    for (int i = nd - 1; i >= 0; i--) {
        int ia = i - (nd - a->ndim), ib = i - (nd - b->ndim);
        int64_t da = ia >= 0 ? a->shape[ia] : 1, db = ib >= 0 ? b->shape[ib] : 1;
        sh[i] = o->shape[i];
        sa[i] = da == 1 ? 0 : ra;
        sb[i] = db == 1 ? 0 : rb;
        ra *= da;
        rb *= db;
    }
    /* collapse: dim i merges into i+1 when both strides continue contiguously */
    int64_t cs[MXB_MAX_NDIM], ca[MXB_MAX_NDIM], cb[MXB_MAX_NDIM];
    int n = 0;
    for (int i = 0; i < nd; i++) {
        if (sh[i] == 1) continue;
        if (n > 0 && ca[n - 1] == sa[i] * sh[i] && cb[n - 1] == sb[i] * sh[i]) {
            cs[n - 1] *= sh[i];
            ca[n - 1] = sa[i];
            cb[n - 1] = sb[i];
        } else {
            cs[n] = sh[i]; ca[n] = sa[i]; cb[n] = sb[i];
            n++;
        }
    }
    if (n > MXCL_MAXD) return -1;
    memset(p, 0, sizeof *p);
    p->nd = n;
    for (int i = 0; i < n; i++) { p->shape[i] = cs[i]; p->sa[i] = ca[i]; p->sb[i] = cb[i]; }
    return 0;
}

static int same_shape(const mxb_tensor *a, const mxb_tensor *b) {
    return a->ndim == b->ndim && !memcmp(a->shape, b->shape, sizeof(int64_t) * (size_t)a->ndim);
}

static int k_binary(void *ctx, const mxb_call *c, char *err, size_t errlen) {
    cl_dev *d = ctx;
    const opmap *m = find_bin(c->op);
    int dt = call_dtype(d, c, c->n_in);
    if (!m || dt < 0) return MXB_UNSUPPORTED;
    cl_mem Y = BUF(c->out[0]);
    cl_long n = c->out[0].size;
    char kn[64];
    if (m->mode >= 2) {
        cl_mem X = BUF(c->in[0]);
        TSCALAR(s, dt, mxb_attr_f(c, "scalar", 0));
        snprintf(kn, sizeof kn, "%s_%s", m->kernel, m->mode == 2 ? "sc" : "rsc");
        karg a[] = {KA(X), KA(Y), KA(n), s};
        return launch(d, c->op, kn, dt, (size_t)n, a, NARGS(a), err, errlen);
    }
    cl_mem A = BUF(c->in[0]), B = BUF(c->in[1]);
    if (same_shape(&c->in[0], &c->in[1]) && same_shape(&c->in[0], &c->out[0])) {
        snprintf(kn, sizeof kn, "%s_ew", m->kernel);
        karg a[] = {KA(A), KA(B), KA(Y), KA(n)};
        return launch(d, c->op, kn, dt, (size_t)n, a, NARGS(a), err, errlen);
    }
    bc_t p;
    if (make_bcast(&c->in[0], &c->in[1], &c->out[0], &p)) return MXB_UNSUPPORTED;
    snprintf(kn, sizeof kn, "%s_bc", m->kernel);
    karg a[] = {KA(A), KA(B), KA(Y), KA(n), KA(p)};
    return launch(d, c->op, kn, dt, (size_t)n, a, NARGS(a), err, errlen);
}

static const char *const UN_NAMES[] = {
#define UNAME(N, F, D) #N,
    MXB_UNARY_OPS(UNAME)
#undef UNAME
    NULL};

static int is_unary(const char *op) {
    if (!strncmp(op, "_backward_", 10)) op += 10;
    for (int i = 0; UN_NAMES[i]; i++)
        if (!strcmp(UN_NAMES[i], op)) return 1;
    return 0;
}

static int unary_launch(cl_dev *d, const mxb_call *c, const char *base, int bw, char *err, size_t errlen) {
    int dt = call_dtype(d, c, c->n_in);
    if (dt < 0) return MXB_UNSUPPORTED;
    char kn[64];
    snprintf(kn, sizeof kn, "%s_%s", base, bw ? "bw" : "fw");
    cl_long n = c->out[0].size;
    cl_mem Y = BUF(c->out[0]);
    if (!bw) {
        cl_mem X = BUF(c->in[0]);
        karg a[] = {KA(X), KA(Y), KA(n)};
        return launch(d, c->op, kn, dt, (size_t)n, a, NARGS(a), err, errlen);
    }
    if (c->n_in < 3) return MXB_UNSUPPORTED;
    cl_mem G = BUF(c->in[0]), X = BUF(c->in[1]), O = BUF(c->in[2]);
    karg a[] = {KA(G), KA(X), KA(O), KA(Y), KA(n)};
    return launch(d, c->op, kn, dt, (size_t)n, a, NARGS(a), err, errlen);
}

static int k_unary(void *ctx, const mxb_call *c, char *err, size_t errlen) {
    int bw = !strncmp(c->op, "_backward_", 10);
    return unary_launch(ctx, c, bw ? c->op + 10 : c->op, bw, err, errlen);
}

/* Activation / _backward_act: the activation's index in activation.c's ACT_LIST */
static const char *const ACT_NAMES[] = {"relu", "sigmoid", "tanh", "softrelu", "softsign"};

/* parametrised activations (kernels_cl.h act_p): kind and parameters from
 * backends/common/call_geometry.h act_param_kind */
static int act_p_launch(cl_dev *d, const mxb_call *c, int kind, double a, double b, int bw, char *err, size_t errlen) {
    int dt = call_dtype(d, c, c->n_in);
    if (dt < 0 || (bw && c->n_in < 3)) return MXB_UNSUPPORTED;
    cl_long n = c->out[0].size;
    cl_mem O = BUF(c->out[0]);
    TSCALAR(av, dt, a);
    TSCALAR(bv, dt, b);
    if (!bw) {
        cl_mem X = BUF(c->in[0]);
        karg args[] = {KA(X), KA(O), KA(n), KA(kind), av, bv};
        return launch(d, c->op, "act_p", dt, (size_t)n, args, NARGS(args), err, errlen);
    }
    cl_mem G = BUF(c->in[0]), X = BUF(c->in[1]), Y = BUF(c->in[2]);
    karg args[] = {KA(G), KA(X), KA(Y), KA(O), KA(n), KA(kind), av, bv};
    return launch(d, c->op, "act_p_bw", dt, (size_t)n, args, NARGS(args), err, errlen);
}

/* gelu, log_sigmoid, mish, hard_sigmoid, swish, LeakyReLU */
static int k_act_param(void *ctx, const mxb_call *c, char *err, size_t errlen) {
    double a, b;
    int kind = act_param_kind(c, &a, &b);
    if (kind < 0) return MXB_UNSUPPORTED;
    int rc = act_p_launch(ctx, c, kind, a, b, 0, err, errlen);
    /* rrelu's mask output in inference: every element's slope is the mean */
    if (rc == MXB_OK && kind == ACTP_RRELU && c->n_out > 1) rc = fill(ctx, c->op, &c->out[1], 0.5 * (a + b), err, errlen);
    return rc;
}

static int k_activation(void *ctx, const mxb_call *c, char *err, size_t errlen) {
    const mxb_attr *a = mxb_attr_find(c, "act_type");
    if (!a || !a->s) return MXB_UNSUPPORTED;
    for (int i = 0; i < 5; i++)
        if (!strcmp(a->s, ACT_NAMES[i])) return unary_launch(ctx, c, ACT_NAMES[i], 0, err, errlen);
    return k_act_param(ctx, c, err, errlen); /* log_sigmoid, mish */
}

static int k_backward_act(void *ctx, const mxb_call *c, char *err, size_t errlen) {
    int64_t k = mxb_attr_i(c, "act", -1);
    if (k >= 0 && k < 5) return unary_launch(ctx, c, ACT_NAMES[k], 1, err, errlen);
    if (k == ACTP_RELU_NAN) return unary_launch(ctx, c, "relu", 1, err, errlen);
    if (k < ACTP_LOGSIG || k > ACTP_RRELU) return MXB_UNSUPPORTED;
    return act_p_launch(ctx, c, (int)k, mxb_attr_f(c, "alpha", 0), mxb_attr_f(c, "beta", 0), 1, err, errlen);
}

int fill(cl_dev *d, const char *op, const mxb_tensor *t, double v, char *err, size_t errlen) {
    int dt = t->dtype;
    if (!(dt == MXB_F32 || (dt == MXB_F64 && d->fp64))) return MXB_UNSUPPORTED;
    cl_mem Y = BUF(*t);
    cl_long n = t->size;
    TSCALAR(s, dt, v);
    karg a[] = {KA(Y), KA(n), s};
    return launch(d, op, "fill", dt, (size_t)n, a, NARGS(a), err, errlen);
}

static int k_fill(void *ctx, const mxb_call *c, char *err, size_t errlen) {
    double v = !strcmp(c->op, "ones_like") ? 1.0 : !strcmp(c->op, "full_like") ? mxb_attr_f(c, "fill_value", 0) : 0.0;
    return fill(ctx, c->op, &c->out[0], v, err, errlen);
}

static int k_add_n(void *ctx, const mxb_call *c, char *err, size_t errlen) {
    cl_dev *d = ctx;
    int dt = call_dtype(d, c, c->n_in);
    if (dt < 0) return MXB_UNSUPPORTED;
    cl_mem Y = BUF(c->out[0]);
    cl_long n = c->out[0].size;
    size_t nb = (size_t)n * mxb_dtype_size(dt);
    if (n) CLCHECK(clEnqueueCopyBuffer(d->q, BUF(c->in[0]), Y, 0, 0, nb, 0, NULL, NULL), "add_n copy");
    for (int i = 1; i < c->n_in; i++) {
        cl_mem X = BUF(c->in[i]);
        karg a[] = {KA(Y), KA(X), KA(n)};
        if (launch(d, c->op, "axpy_into", dt, (size_t)n, a, NARGS(a), err, errlen)) return MXB_ERROR;
    }
    return MXB_OK;
}

/* reduce x over the dims flagged in red[] into out (sum/mean/max/min/prod) */
static int reduce_dims(cl_dev *d, const mxb_call *c, const mxb_tensor *x, const mxb_tensor *o, const int *red, int kind,
                       int dt, char *err, size_t errlen) {
    int nd = x->ndim;
    int64_t st[MXB_MAX_NDIM];
    int64_t s = 1;
    for (int i = nd - 1; i >= 0; i--) { st[i] = s; s *= x->shape[i]; }
    rd_t p;
    memset(&p, 0, sizeof p);
    int last = -1; /* category of the previous kept group: 0 kept, 1 reduced */
    int64_t n_red = 1;
    for (int i = 0; i < nd; i++) {
        if (x->shape[i] == 1) continue;
        int r = red[i] ? 1 : 0;
        int64_t *cnt = r ? &p.nr : &p.nk;
        int64_t *sh = r ? p.rs : p.ks, *sd = r ? p.rst : p.kst;
        if (r) n_red *= x->shape[i];
        if (last == r && *cnt > 0) { /* adjacent same category: merge (contiguous input) */
            sh[*cnt - 1] *= x->shape[i];
            sd[*cnt - 1] = st[i];
        } else {
            if (*cnt >= MXCL_MAXD) return MXB_UNSUPPORTED;
            sh[*cnt] = x->shape[i];
            sd[*cnt] = st[i];
            (*cnt)++;
        }
        last = r;
    }
    cl_mem X = BUF(*x), Y = BUF(*o);
    cl_long n_out = o->size, nr = n_red;
    cl_int k = kind;
    if (x->size == 0) return n_out ? MXB_UNSUPPORTED : MXB_OK;
    karg a[] = {KA(X), KA(Y), KA(n_out), KA(nr), KA(p), KA(k)};
    return launch(d, c->op, "reduce", dt, (size_t)n_out, a, NARGS(a), err, errlen);
}

static int k_reduce(void *ctx, const mxb_call *c, char *err, size_t errlen) {
    cl_dev *d = ctx;
    int dt = call_dtype(d, c, 1);
    if (dt < 0) return MXB_UNSUPPORTED;
    int red[MXB_MAX_NDIM], kind;
    if (reduce_axes(c, red, &kind)) return MXB_UNSUPPORTED;
    const mxb_tensor *x = &c->in[0];
    return reduce_dims(d, c, x, &c->out[0], red, kind, dt, err, errlen);
}

/* _reduce_to_shape_like(data, like): sum data down to like's shape */
/* broadcast_to / broadcast_axis / broadcast_like: the output (shape already
 * inferred by the core) reads the input with stride 0 on its size-1 axes */
static int k_broadcast(void *ctx, const mxb_call *c, char *err, size_t errlen) {
    cl_dev *d = ctx;
    int dt = call_dtype(d, c, 1);
    const mxb_tensor *x = &c->in[0], *o = &c->out[0];
    if (dt < 0 || x->ndim > o->ndim) return MXB_UNSUPPORTED;
    for (int i = 0; i < x->ndim; i++) {
        int64_t xd = x->shape[i], od = o->shape[i + o->ndim - x->ndim];
        if (xd != od && xd != 1) return MXB_UNSUPPORTED;
    }
    bc_t p;
    if (make_bcast(x, o, o, &p)) return MXB_UNSUPPORTED;
    cl_mem A = BUF(*x), Y = BUF(*o);
    cl_long n = o->size;
    karg a[] = {KA(A), KA(Y), KA(n), KA(p)};
    return launch(d, c->op, "bcast", dt, (size_t)n, a, NARGS(a), err, errlen);
}

static int k_reduce_like(void *ctx, const mxb_call *c, char *err, size_t errlen) {
    cl_dev *d = ctx;
    int dt = call_dtype(d, c, 1);
    if (dt < 0) return MXB_UNSUPPORTED;
    const mxb_tensor *x = &c->in[0], *o = &c->out[0];
    int nd = x->ndim, red[MXB_MAX_NDIM] = {0};
    if (o->ndim > nd) return MXB_UNSUPPORTED;
    for (int i = 0; i < nd; i++) {
        int j = i - (nd - o->ndim);
        int64_t od = j >= 0 ? o->shape[j] : 1;
        if (od == x->shape[i]) red[i] = 0;
        else if (od == 1) red[i] = 1;
        else return MXB_UNSUPPORTED;
    }
    return reduce_dims(d, c, x, o, red, 0, dt, err, errlen);
}

static int softmax_geom(const mxb_call *c, const mxb_tensor *x, cl_long *outer, cl_long *C, cl_long *inner) {
    int nd = x->ndim;
    int64_t ax = mxb_attr_i(c, "axis", -1);
    if (ax < 0) ax += nd;
    if (ax < 0 || ax >= nd) return -1;
    *outer = 1; *inner = 1;
    for (int i = 0; i < ax; i++) *outer *= x->shape[i];
    for (int i = (int)ax + 1; i < nd; i++) *inner *= x->shape[i];
    *C = x->shape[ax];
    return 0;
}

static double softmax_temp(const mxb_call *c) {
    const mxb_attr *t = mxb_attr_find(c, "temperature");
    return (!t || t->is_none || t->n < 1) ? 1.0 : t->fv[0];
}

static int k_softmax(void *ctx, const mxb_call *c, char *err, size_t errlen) {
    cl_dev *d = ctx;
    int bw = !strncmp(c->op, "_backward_", 10);
    const char *base = bw ? c->op + 10 : c->op;
    if (mxb_attr_i(c, "use_length", 0) || c->n_in != (bw ? 2 : 1)) return MXB_UNSUPPORTED;
    int dt = call_dtype(d, c, c->n_in);
    if (dt < 0) return MXB_UNSUPPORTED;
    cl_long outer, C, inner;
    if (softmax_geom(c, &c->in[bw ? 1 : 0], &outer, &C, &inner)) return MXB_UNSUPPORTED;
    double t = softmax_temp(c);
    if (!strcmp(base, "softmin")) t = -t;
    cl_int mode = !strcmp(base, "log_softmax") ? 1 : 0;
    TSCALAR(temp, dt, t);
    cl_mem Y = BUF(c->out[0]);
    size_t g = (size_t)(outer * inner);
    if (!bw) {
        cl_mem X = BUF(c->in[0]);
        karg a[] = {KA(X), KA(Y), KA(outer), KA(C), KA(inner), temp, KA(mode)};
        return launch(d, c->op, "softmax", dt, g, a, NARGS(a), err, errlen);
    }
    cl_mem G = BUF(c->in[0]), O = BUF(c->in[1]);
    karg a[] = {KA(G), KA(O), KA(Y), KA(outer), KA(C), KA(inner), temp, KA(mode)};
    return launch(d, c->op, "softmax_bw", dt, g, a, NARGS(a), err, errlen);
}

static int k_sce(void *ctx, const mxb_call *c, char *err, size_t errlen) {
    cl_dev *d = ctx;
    int bw = c->op[0] == '_';
    int dt = call_dtype(d, c, c->n_in);
    if (dt < 0) return MXB_UNSUPPORTED;
    const mxb_tensor *x = &c->in[bw ? 1 : 0];
    if (x->ndim != 2) return MXB_UNSUPPORTED;
    cl_long N = x->shape[0], C = x->shape[1];
    cl_mem X = BUF(*x), L = BUF(c->in[bw ? 2 : 1]), Y = BUF(c->out[0]);
    if (bw) {
        cl_mem G = BUF(c->in[0]);
        karg a[] = {KA(G), KA(X), KA(L), KA(Y), KA(N), KA(C)};
        return launch(d, c->op, "sce_bw", dt, (size_t)N, a, NARGS(a), err, errlen);
    }
    cl_int e;
    cl_mem R = clCreateBuffer(d->ctx, CL_MEM_READ_WRITE, (size_t)(N ? N : 1) * mxb_dtype_size(dt), NULL, &e);
    if (e != CL_SUCCESS) return mxcl_fail(err, errlen, "temporary buffer: %s", cl_err_name(e));
    karg a[] = {KA(X), KA(L), KA(R), KA(N), KA(C)};
    int rc = launch(d, c->op, "sce_rows", dt, (size_t)N, a, NARGS(a), err, errlen);
    if (rc == MXB_OK) {
        karg b[] = {KA(R), KA(Y), KA(N)};
        rc = launch(d, c->op, "sum_serial", dt, 1, b, NARGS(b), err, errlen);
    }
    clReleaseMemObject(R); /* freed by the runtime once the queued kernels finish */
    return rc;
}

static cl_mem scratch(cl_dev *d, int slot, size_t nbytes, char *err, size_t errlen) {
    if (d->scratch_size[slot] >= nbytes) return d->scratch[slot];
    if (d->scratch[slot]) clReleaseMemObject(d->scratch[slot]); /* kept alive by queued work */
    d->scratch[slot] = NULL;
    d->scratch_size[slot] = 0;
    cl_int e;
    cl_mem m = clCreateBuffer(d->ctx, CL_MEM_READ_WRITE, nbytes, NULL, &e);
    if (e != CL_SUCCESS) {
        mxcl_fail(err, errlen, "GEMM scratch buffer (%zu bytes): %s", nbytes, cl_err_name(e));
        return NULL;
    }
    d->scratch[slot] = m;
    d->scratch_size[slot] = nbytes;
    return m;
}

/* packed GEMM (CPU devices): pack A and B into padded panels, then one
 * GEMM_MR x 16*GEMM_NV block of C per work item */
static int gemm_packed(cl_dev *d, const char *op, int dt, cl_long M, cl_long N, cl_long K, cl_mem A, cl_long ao,
                       cl_long ars, cl_long acs, cl_mem B, cl_long bo, cl_long brs, cl_long bcs, cl_mem C, cl_long co,
                       double alpha, double beta, char *err, size_t errlen) {
    cl_long MR = d->gemm_mr, NR = 16 * d->gemm_nv, Mp = (M + MR - 1) / MR, Np = (N + NR - 1) / NR;
    cl_long na = Mp * MR * K, nb = Np * NR * K;
    size_t es = mxb_dtype_size(dt);
    char name[32];
    if (d->gemm_direct && bcs == 1 && N % NR == 0 && (double)M * N * K <= (double)d->gemm_direct) {
        /* small product: packing and its two launches cost more than they save */
        snprintf(name, sizeof name, "gemm_direct%s", dt == MXB_F64 ? "_d" : "_f");
        cl_kernel k = get_kernel(d, name, err, errlen);
        if (!k) return MXB_ERROR;
        TSCALAR(al, dt, alpha);
        TSCALAR(be, dt, beta);
        karg a[] = {KA(M), KA(N), KA(K), KA(A), KA(ao), KA(ars), KA(acs), KA(B), KA(bo), KA(brs), KA(C), KA(co), al, be};
        for (int i = 0; i < NARGS(a); i++) CLCHECK(clSetKernelArg(k, (cl_uint)i, a[i].sz, a[i].p), name);
        size_t g[2] = {(size_t)Mp, (size_t)Np}, l[2] = {1, 1};
        CLCHECK(clEnqueueNDRangeKernel(d->q, k, 2, NULL, g, l, 0, NULL, NULL), name);
        d->last_op = op;
        return MXB_OK;
    }
    cl_mem Ap = scratch(d, 0, (size_t)na * es, err, errlen), Bp = Ap ? scratch(d, 1, (size_t)nb * es, err, errlen) : NULL;
    if (!Ap || !Bp) return MXB_ERROR;
    karg pa[] = {KA(A), KA(ao), KA(ars), KA(acs), KA(M), KA(K), KA(Ap), KA(na)};
    if (launch(d, op, "pack_a", dt, (size_t)na, pa, NARGS(pa), err, errlen)) return MXB_ERROR;
    karg pb[] = {KA(B), KA(bo), KA(brs), KA(bcs), KA(K), KA(N), KA(Bp), KA(nb)};
    if (launch(d, op, "pack_b", dt, (size_t)nb, pb, NARGS(pb), err, errlen)) return MXB_ERROR;
    snprintf(name, sizeof name, "gemm_packed%s", dt == MXB_F64 ? "_d" : "_f");
    cl_kernel k = get_kernel(d, name, err, errlen);
    if (!k) return MXB_ERROR;
    TSCALAR(al, dt, alpha);
    TSCALAR(be, dt, beta);
    karg a[] = {KA(M), KA(N), KA(K), KA(Ap), KA(Bp), KA(C), KA(co), al, be};
    for (int i = 0; i < NARGS(a); i++) CLCHECK(clSetKernelArg(k, (cl_uint)i, a[i].sz, a[i].p), name);
    size_t g[2] = {(size_t)Mp, (size_t)Np}, l[2] = {1, 1};
    CLCHECK(clEnqueueNDRangeKernel(d->q, k, 2, NULL, g, l, 0, NULL, NULL), name);
    d->last_op = op;
    return MXB_OK;
}

int gemm_at(cl_dev *d, const char *op, int dt, cl_long M, cl_long N, cl_long K, cl_mem A, cl_long ao, cl_long ars,
            cl_long acs, cl_mem B, cl_long bo, cl_long brs, cl_long bcs, cl_mem C, cl_long co, double alpha, double beta,
            char *err, size_t errlen) {
    if (!M || !N) return MXB_OK;
    if (d->gemm_packed && K > 0)
        return gemm_packed(d, op, dt, M, N, K, A, ao, ars, acs, B, bo, brs, bcs, C, co, alpha, beta, err, errlen);
    char name[32];
    snprintf(name, sizeof name, "gemm%s", dt == MXB_F64 ? "_d" : "_f");
    cl_kernel k = get_kernel(d, name, err, errlen);
    if (!k) return MXB_ERROR;
    TSCALAR(al, dt, alpha);
    TSCALAR(be, dt, beta);
    karg a[] = {KA(M), KA(N), KA(K), KA(A), KA(ao), KA(ars), KA(acs), KA(B), KA(bo), KA(brs), KA(bcs), KA(C), KA(co), al, be};
    for (int i = 0; i < NARGS(a); i++) CLCHECK(clSetKernelArg(k, (cl_uint)i, a[i].sz, a[i].p), name);
    size_t g[2] = {(size_t)((N + 63) / 64) * 16, (size_t)((M + 63) / 64) * 16}, l[2] = {16, 16};
    CLCHECK(clEnqueueNDRangeKernel(d->q, k, 2, NULL, g, l, 0, NULL, NULL), name);
    d->last_op = op;
    return MXB_OK;
}

/* gemm_at on whole buffers (no element offsets) */
static int gemm(cl_dev *d, const char *op, int dt, cl_long M, cl_long N, cl_long K, cl_mem A, cl_long ars, cl_long acs,
                cl_mem B, cl_long brs, cl_long bcs, cl_mem C, double alpha, double beta, char *err, size_t errlen) {
    return gemm_at(d, op, dt, M, N, K, A, 0, ars, acs, B, 0, brs, bcs, C, 0, alpha, beta, err, errlen);
}

static int k_fully_connected(void *ctx, const mxb_call *c, char *err, size_t errlen) {
    cl_dev *d = ctx;
    int dt = call_dtype(d, c, c->n_in);
    if (dt < 0) return MXB_UNSUPPORTED;
    const mxb_tensor *x = &c->in[0], *w = &c->in[1];
    if (w->ndim != 2) return MXB_UNSUPPORTED;
    cl_long H = w->shape[0], K = w->shape[1];
    cl_long M = K ? x->size / K : 0;
    cl_mem Y = BUF(c->out[0]);
    if (gemm(d, c->op, dt, M, H, K, BUF(*x), K, 1, BUF(*w), 1, K, Y, 1, 0, err, errlen)) return MXB_ERROR;
    if (c->n_in >= 3 && !mxb_attr_i(c, "no_bias", 0)) {
        cl_mem Bv = BUF(c->in[2]);
        karg a[] = {KA(Y), KA(Bv), KA(M), KA(H)};
        return launch(d, c->op, "add_row_bias", dt, (size_t)(M * H), a, NARGS(a), err, errlen);
    }
    return MXB_OK;
}

static int k_fully_connected_bw(void *ctx, const mxb_call *c, char *err, size_t errlen) {
    cl_dev *d = ctx;
    int dt = call_dtype(d, c, c->n_in);
    if (dt < 0 || c->n_in < 3) return MXB_UNSUPPORTED;
    const mxb_tensor *g = &c->in[0], *x = &c->in[1], *w = &c->in[2];
    if (w->ndim != 2) return MXB_UNSUPPORTED;
    cl_long H = w->shape[0], K = w->shape[1];
    cl_long M = K ? x->size / K : 0;
    cl_mem G = BUF(*g), X = BUF(*x), W = BUF(*w);
    /* data_grad=False (the input needs no gradient): output 0 is empty */
    if (mxb_attr_i(c, "data_grad", 1) && c->out[0].size == M * K &&
        gemm(d, c->op, dt, M, K, H, G, H, 1, W, K, 1, BUF(c->out[0]), 1, 0, err, errlen))
        return MXB_ERROR;
    if (c->n_out >= 2 && gemm(d, c->op, dt, H, K, M, G, 1, H, X, K, 1, BUF(c->out[1]), 1, 0, err, errlen))
        return MXB_ERROR;
    if (c->n_out >= 3 && c->out[2].size == H) {
        cl_mem Bg = BUF(c->out[2]);
        karg a[] = {KA(G), KA(Bg), KA(M), KA(H)};
        return launch(d, c->op, "col_sum", dt, (size_t)H, a, NARGS(a), err, errlen);
    }
    return MXB_OK;
}

static int k_dot(void *ctx, const mxb_call *c, char *err, size_t errlen) {
    cl_dev *d = ctx;
    int dt = call_dtype(d, c, 2);
    if (dt < 0) return MXB_UNSUPPORTED;
    const mxb_tensor *a = &c->in[0], *b = &c->in[1];
    int ta = (int)mxb_attr_i(c, "transpose_a", 0), tb = (int)mxb_attr_i(c, "transpose_b", 0);
    cl_long M, N, K, ars, acs, brs, bcs;
    if (!ta && !tb && a->ndim >= 1 && b->ndim >= 1) {
        K = a->shape[a->ndim - 1];
        if (K != b->shape[0]) return MXB_UNSUPPORTED;
        M = K ? a->size / K : 0;
        N = K ? b->size / K : 0;
        if (!K) return MXB_UNSUPPORTED;
        ars = K; acs = 1; brs = N; bcs = 1;
    } else if (a->ndim == 2 && b->ndim == 2) {
        M = ta ? a->shape[1] : a->shape[0];
        K = ta ? a->shape[0] : a->shape[1];
        ars = ta ? 1 : a->shape[1];
        acs = ta ? a->shape[1] : 1;
        N = tb ? b->shape[0] : b->shape[1];
        brs = tb ? 1 : b->shape[1];
        bcs = tb ? b->shape[1] : 1;
        if ((tb ? b->shape[1] : b->shape[0]) != K) return MXB_UNSUPPORTED;
    } else {
        return MXB_UNSUPPORTED;
    }
    return gemm(d, c->op, dt, M, N, K, BUF(*a), ars, acs, BUF(*b), brs, bcs, BUF(c->out[0]), 1, 0, err, errlen);
}

static int k_embedding(void *ctx, const mxb_call *c, char *err, size_t errlen) {
    cl_dev *d = ctx;
    int dt = call_dtype(d, c, c->n_in);
    if (dt < 0 || c->in[1].ndim != 2) return MXB_UNSUPPORTED;
    cl_mem I = BUF(c->in[0]), W = BUF(c->in[1]), O = BUF(c->out[0]);
    cl_long n = c->in[0].size, D = c->in[1].shape[1], V = c->in[1].shape[0];
    karg a[] = {KA(I), KA(W), KA(O), KA(n), KA(D), KA(V)};
    return launch(d, c->op, "embedding", dt, (size_t)(n * D), a, NARGS(a), err, errlen);
}

/* _backward_Embedding(ograd, data) -> weight gradient (zero-filled output) */
static int k_embedding_bw(void *ctx, const mxb_call *c, char *err, size_t errlen) {
    cl_dev *d = ctx;
    int dt = call_dtype(d, c, c->n_in);
    const mxb_tensor *o = &c->out[0];
    if (dt < 0 || o->ndim != 2 || c->in[0].size != c->in[1].size * o->shape[1]) return MXB_UNSUPPORTED;
    cl_mem G = BUF(c->in[0]), I = BUF(c->in[1]), O = BUF(*o);
    cl_long n = c->in[1].size, D = o->shape[1], V = o->shape[0];
    karg a[] = {KA(G), KA(I), KA(O), KA(n), KA(D), KA(V)};
    return launch(d, c->op, "embedding_bw", dt, (size_t)D, a, NARGS(a), err, errlen);
}

/* pick(data, index) and _backward_pick(ograd, index, data); float indices
 * (the common case: labels in the data's dtype) */
static int k_pick(void *ctx, const mxb_call *c, char *err, size_t errlen) {
    cl_dev *d = ctx;
    const int bw = !strncmp(c->op, "_backward_", 10);
    const mxb_attr *ax = mxb_attr_find(c, "axis");
    int dt = call_dtype(d, c, c->n_in);
    const mxb_tensor *x = bw ? &c->in[2] : &c->in[0];
    cl_long outer, n, inner;
    if (dt < 0 || !ax || ax->is_none || x->ndim == 0 || axis_geom(x, ax, &outer, &n, &inner)) return MXB_UNSUPPORTED;
    int wrap = (int)mxb_attr_i(c, "mode", 0) == 1;
    if (!n) return bw ? MXB_OK : MXB_UNSUPPORTED;
    cl_mem S = BUF(c->in[0]), I = BUF(c->in[1]), O = BUF(c->out[0]);
    karg args[] = {KA(S), KA(I), KA(O), KA(outer), KA(n), KA(inner), KA(wrap)};
    return launch(d, c->op, bw ? "pick_bw" : "pick", dt, (size_t)(bw ? outer * n * inner : outer * inner), args,
                  NARGS(args), err, errlen);
}

static int k_optimizer(void *ctx, const mxb_call *c, char *err, size_t errlen) {
    cl_dev *d = ctx;
    int dt = call_dtype(d, c, c->n_in);
    if (dt < 0) return MXB_UNSUPPORTED;
    for (int i = 1; i < c->n_in; i++)
        if (c->in[i].size != c->in[0].size) return MXB_UNSUPPORTED;
    cl_mem W = BUF(c->in[0]), G = BUF(c->in[1]), O = BUF(c->out[0]);
    cl_long n = c->out[0].size;
    TSCALAR(lr, dt, mxb_attr_f(c, "lr", 0.01));
    TSCALAR(wd, dt, mxb_attr_f(c, "wd", 0));
    TSCALAR(rs, dt, mxb_attr_f(c, "rescale_grad", 1));
    TSCALAR(clip, dt, mxb_attr_f(c, "clip_gradient", -1));
    if (!strcmp(c->op, "sgd_update")) {
        karg a[] = {KA(W), KA(G), KA(O), KA(n), lr, wd, rs, clip};
        return launch(d, c->op, "sgd", dt, (size_t)n, a, NARGS(a), err, errlen);
    }
    if (!strcmp(c->op, "sgd_mom_update") && c->n_in >= 3) {
        cl_mem Mo = BUF(c->in[2]);
        cl_long mo_off = c->in[2].offset;
        TSCALAR(mom, dt, mxb_attr_f(c, "momentum", 0));
        karg a[] = {KA(W), KA(G), KA(Mo), KA(mo_off), KA(O), KA(n), lr, wd, rs, clip, mom};
        return launch(d, c->op, "sgd_mom", dt, (size_t)n, a, NARGS(a), err, errlen);
    }
    if (!strcmp(c->op, "adam_update") && c->n_in >= 4) {
        cl_mem Me = BUF(c->in[2]), Va = BUF(c->in[3]);
        cl_long me_off = c->in[2].offset, va_off = c->in[3].offset;
        TSCALAR(b1, dt, mxb_attr_f(c, "beta1", 0.9));
        TSCALAR(b2, dt, mxb_attr_f(c, "beta2", 0.999));
        TSCALAR(eps, dt, mxb_attr_f(c, "epsilon", 1e-8));
        karg a[] = {KA(W), KA(G), KA(Me), KA(me_off), KA(Va), KA(va_off), KA(O), KA(n), lr, wd, rs, clip, b1, b2, eps};
        return launch(d, c->op, "adam", dt, (size_t)n, a, NARGS(a), err, errlen);
    }
    return MXB_UNSUPPORTED;
}

/* _view_gather / _view_scatter: a strided view planned by the core (shape,
 * strides, offset attributes); any dtype, by element size */
typedef struct { int64_t nd, shape[MXCL_MAXD], st[MXCL_MAXD], off; } vw_t;

static int k_view(void *ctx, const mxb_call *c, char *err, size_t errlen) {
    cl_dev *d = ctx;
    const int scatter = !strcmp(c->op, "_view_scatter") || !strncmp(c->op, "_backward_", 10);
    const mxb_attr *sh = mxb_attr_find(c, "shape"), *st = mxb_attr_find(c, "strides");
    size_t es = mxb_dtype_size(c->out[0].dtype);
    if (!sh || !st || sh->n != st->n || sh->n > MXCL_MAXD || c->n_in < 1 || mxb_dtype_size(c->in[0].dtype) != es ||
        (es != 1 && es != 2 && es != 4 && es != 8))
        return MXB_UNSUPPORTED;
    vw_t p = {.nd = sh->n, .off = mxb_attr_i(c, "offset", 0)};
    cl_long n = 1;
    for (int i = 0; i < sh->n; i++) { p.shape[i] = sh->v[i]; p.st[i] = st->v[i]; n *= sh->v[i]; }
    if (n != (scatter ? c->in[0].size : c->out[0].size)) return MXB_UNSUPPORTED;
    if (!n) return MXB_OK;
    char name[32];
    snprintf(name, sizeof name, "view_%s_%zu", scatter ? "scatter" : "gather", es);
    cl_mem S = BUF(c->in[0]), D = BUF(c->out[0]);
    karg a[] = {KA(S), KA(D), KA(n), KA(p)};
    return launch_named(d, c->op, name, (size_t)n, a, NARGS(a), err, errlen);
}

/* concat / stack / split: each part is a block of rows (outer x width
 * bytes) at a column offset of the whole, one rectangular buffer copy per
 * part (any dtype). */
static int k_join_split(void *ctx, const mxb_call *c, char *err, size_t errlen) {
    cl_dev *d = ctx;
    join_geom g;
    if (join_split_geom(c, &g)) return MXB_UNSUPPORTED;
    size_t col = 0;
    for (int p = 0; p < g.parts; p++) {
        const mxb_tensor *t = join_part(c, &g, p);
        size_t width = join_width(&g, t);
        if (width && g.outer) {
            size_t wo[3] = {col, 0, 0}, po[3] = {0, 0, 0}, region[3] = {width, g.outer, 1};
            if (g.split)
                CLCHECK(clEnqueueCopyBufferRect(d->q, BUF(*g.whole), BUF(*t), wo, po, region, g.pitch, 0, width, 0, 0,
                                                NULL, NULL), c->op);
            else
                CLCHECK(clEnqueueCopyBufferRect(d->q, BUF(*t), BUF(*g.whole), po, wo, region, width, 0, g.pitch, 0, 0,
                                                NULL, NULL), c->op);
        }
        col += width;
    }
    d->last_op = c->op;
    return MXB_OK;
}

/* argmax / argmin along an axis (or the flattened data) -> indices in the data's dtype */
static int k_argext(void *ctx, const mxb_call *c, char *err, size_t errlen) {
    cl_dev *d = ctx;
    const mxb_tensor *x = &c->in[0];
    int dt = x->dtype;
    if (!(dt == MXB_F32 || (dt == MXB_F64 && d->fp64)) || c->out[0].dtype != dt || !x->size) return MXB_UNSUPPORTED;
    cl_long outer, n, inner;
    if (axis_geom(x, mxb_attr_find(c, "axis"), &outer, &n, &inner)) return MXB_UNSUPPORTED;
    if (!n) return MXB_UNSUPPORTED;
    cl_mem X = BUF(*x), O = BUF(c->out[0]);
    cl_int mx = !strcmp(c->op, "argmax");
    karg a[] = {KA(X), KA(O), KA(outer), KA(n), KA(inner), KA(mx)};
    return launch(d, c->op, "argext", dt, (size_t)(outer * inner), a, NARGS(a), err, errlen);
}

static int k_clip(void *ctx, const mxb_call *c, char *err, size_t errlen) {
    cl_dev *d = ctx;
    int dt = call_dtype(d, c, 1);
    if (dt < 0) return MXB_UNSUPPORTED;
    cl_mem X = BUF(c->in[0]), Y = BUF(c->out[0]);
    cl_long n = c->out[0].size;
    TSCALAR(lo, dt, mxb_attr_f(c, "a_min", 0));
    TSCALAR(hi, dt, mxb_attr_f(c, "a_max", 0));
    karg a[] = {KA(X), KA(Y), KA(n), lo, hi};
    return launch(d, c->op, "clip", dt, (size_t)n, a, NARGS(a), err, errlen);
}

/* where(condition, x, y): condition in the data's dtype (else the CPU runs it) */
static int k_where(void *ctx, const mxb_call *c, char *err, size_t errlen) {
    cl_dev *d = ctx;
    int dt = call_dtype(d, c, 3);
    if (dt < 0 || !c->in[0].size) return MXB_UNSUPPORTED;
    cl_mem C = BUF(c->in[0]), X = BUF(c->in[1]), Yv = BUF(c->in[2]), O = BUF(c->out[0]);
    cl_long n = c->out[0].size, inner = n / c->in[0].size;
    karg a[] = {KA(C), KA(X), KA(Yv), KA(O), KA(n), KA(inner)};
    return launch(d, c->op, "where", dt, (size_t)n, a, NARGS(a), err, errlen);
}

/* batch_dot: one GEMM per batch entry on buffer offsets */
static int k_batch_dot(void *ctx, const mxb_call *c, char *err, size_t errlen) {
    cl_dev *d = ctx;
    int dt = call_dtype(d, c, 2);
    const mxb_tensor *l = &c->in[0], *r = &c->in[1];
    if (dt < 0 || l->ndim < 3 || r->ndim != l->ndim) return MXB_UNSUPPORTED;
    const int nd = l->ndim, ta = (int)mxb_attr_i(c, "transpose_a", 0), tb = (int)mxb_attr_i(c, "transpose_b", 0);
    cl_long M = ta ? l->shape[nd - 1] : l->shape[nd - 2], K = ta ? l->shape[nd - 2] : l->shape[nd - 1];
    cl_long N = tb ? r->shape[nd - 2] : r->shape[nd - 1], B = M * K != 0 ? l->size / (M * K) : 0;
    cl_mem A = BUF(*l), Bm = BUF(*r), C = BUF(c->out[0]);
    for (cl_long b = 0; b < B; b++) {
        /* A(i,k) and B(k,j) strides for the (transposed) row-major operands */
        int rc = gemm_at(d, c->op, dt, M, N, K, A, b * M * K, ta ? 1 : K, ta ? M : 1, Bm, b * K * N, tb ? 1 : N,
                         tb ? K : 1, C, b * M * N, 1, 0, err, errlen);
        if (rc != MXB_OK) return rc;
    }
    return MXB_OK;
}

/* multi_sgd_update / multi_sgd_mom_update (what gluon.Trainer calls): the
 * sgd / sgd_mom kernels once per (weight, grad[, mom]) group */
static int k_multi_sgd(void *ctx, const mxb_call *c, char *err, size_t errlen) {
    cl_dev *d = ctx;
    int dt = call_dtype(d, c, c->n_in), gs = multi_sgd_group_size(c), mom = gs == 3, nw = c->n_out;
    const mxb_attr *lrs = mxb_attr_find(c, "lrs"), *wds = mxb_attr_find(c, "wds");
    if (dt < 0 || !gs) return MXB_UNSUPPORTED;
    TSCALAR(rs, dt, mxb_attr_f(c, "rescale_grad", 1));
    TSCALAR(clip, dt, mxb_attr_f(c, "clip_gradient", -1));
    TSCALAR(mo, dt, mxb_attr_f(c, "momentum", 0));
    for (int k = 0; k < nw; k++) {
        cl_mem W = BUF(c->in[k * gs]), G = BUF(c->in[k * gs + 1]), O = BUF(c->out[k]);
        cl_long n = c->out[k].size;
        TSCALAR(lr, dt, lrs->fv[k]);
        TSCALAR(wd, dt, wds->fv[k]);
        int rc;
        if (mom) {
            cl_mem Mo = BUF(c->in[k * gs + 2]);
            cl_long mo_off = c->in[k * gs + 2].offset;
            karg a[] = {KA(W), KA(G), KA(Mo), KA(mo_off), KA(O), KA(n), lr, wd, rs, clip, mo};
            rc = launch(d, c->op, "sgd_mom", dt, (size_t)n, a, NARGS(a), err, errlen);
        } else {
            karg a[] = {KA(W), KA(G), KA(O), KA(n), lr, wd, rs, clip};
            rc = launch(d, c->op, "sgd", dt, (size_t)n, a, NARGS(a), err, errlen);
        }
        if (rc != MXB_OK) return rc;
    }
    return MXB_OK;
}

/* reshape family: the core hands contiguous inputs, so the output is a byte copy (any dtype) */
static int k_copy(void *ctx, const mxb_call *c, char *err, size_t errlen) {
    cl_dev *d = ctx;
    const mxb_tensor *x = &c->in[0], *o = &c->out[0];
    if (x->dtype != o->dtype || x->size != o->size) return MXB_UNSUPPORTED;
    size_t nb = (size_t)o->size * mxb_dtype_size(o->dtype);
    if (nb) CLCHECK(clEnqueueCopyBuffer(d->q, BUF(*x), BUF(*o), 0, 0, nb, 0, NULL, NULL), c->op);
    d->last_op = c->op;
    return MXB_OK;
}

/* Cast: a kernel per dtype pair (kernels_cl.h MXCL_CASTS). float16 tensors
 * live on every device as storage; the core runs other ops on them through
 * float32 kernels, converting with this one (backend_registry.c). */
static int k_cast(void *ctx, const mxb_call *c, char *err, size_t errlen) {
    cl_dev *d = ctx;
    const mxb_tensor *x = &c->in[0], *o = &c->out[0];
    if (x->dtype == o->dtype) return k_copy(ctx, c, err, errlen);
    const char *name = NULL;
#define FIND_CAST(SN, S, LDK, DN, D, CV, STK, F64, SDT, DDT) \
    if (!name && x->dtype == SDT && o->dtype == DDT && (!F64 || d->fp64)) name = "cast_" #SN "_" #DN;
    MXCL_CASTS(FIND_CAST)
#undef FIND_CAST
    if (!name) return MXB_UNSUPPORTED;
    cl_mem X = BUF(*x), Y = BUF(*o);
    cl_long xo = x->offset, n = o->size;
    karg a[] = {KA(X), KA(xo), KA(Y), KA(n)};
    return launch_named(d, c->op, name, (size_t)n, a, NARGS(a), err, errlen);
}

/* ---- NN layers: Convolution, Pooling, BatchNorm, Dropout ---- */

/* the accumulation type ACC of the program: double where the device has fp64 */
#define ASCALAR(name, d, v)                                    \
    float name##_f = (float)(v);                               \
    double name##_d = (double)(v);                             \
    karg name = (d)->fp64 ? KA(name##_d) : KA(name##_f)

static int k_conv(void *ctx, const mxb_call *c, char *err, size_t errlen) {
    cl_dev *d = ctx;
    int dt = call_dtype(d, c, c->n_in);
    cg_t g;
    if (dt < 0 || conv_geom(c, &c->in[0], &g)) return MXB_UNSUPPORTED;
    cl_int hb = !mxb_attr_i(c, "no_bias", 0) && c->n_in >= 3;
    cl_mem X = BUF(c->in[0]), W = BUF(c->in[1]), Bv = hb ? BUF(c->in[2]) : W, Y = BUF(c->out[0]);
    karg a[] = {KA(X), KA(W), KA(Bv), KA(Y), KA(g), KA(hb)};
    return launch(d, c->op, "conv_fw", dt, (size_t)c->out[0].size, a, NARGS(a), err, errlen);
}

/* _backward_Convolution(ograd, data, weight) -> (ddata, dweight, dbias) by grad_mask */
static int k_conv_bw(void *ctx, const mxb_call *c, char *err, size_t errlen) {
    cl_dev *d = ctx;
    int dt = call_dtype(d, c, c->n_in);
    cg_t g;
    if (dt < 0 || c->n_in < 3 || conv_geom(c, &c->in[1], &g)) return MXB_UNSUPPORTED;
    int m = (int)mxb_attr_i(c, "grad_mask", 7);
    cl_mem DY = BUF(c->in[0]), X = BUF(c->in[1]), W = BUF(c->in[2]);
    if (m & 1) {
        cl_mem DX = BUF(c->out[0]);
        karg a[] = {KA(DY), KA(W), KA(DX), KA(g)};
        if (launch(d, c->op, "conv_bw_data", dt, (size_t)c->out[0].size, a, NARGS(a), err, errlen)) return MXB_ERROR;
    }
    if ((m & 2) && c->n_out >= 2) {
        cl_mem DW = BUF(c->out[1]);
        karg a[] = {KA(X), KA(DY), KA(DW), KA(g)};
        if (launch(d, c->op, "conv_bw_weight", dt, (size_t)c->out[1].size, a, NARGS(a), err, errlen)) return MXB_ERROR;
    }
    if ((m & 4) && c->n_out >= 3) {
        cl_mem DB = BUF(c->out[2]);
        cl_long N = g.N, F = g.F, SP = g.out[0] * g.out[1] * g.out[2];
        karg a[] = {KA(DY), KA(DB), KA(N), KA(F), KA(SP)};
        if (launch(d, c->op, "chan_sum", dt, (size_t)F, a, NARGS(a), err, errlen)) return MXB_ERROR;
    }
    return MXB_OK;
}

static int k_pool(void *ctx, const mxb_call *c, char *err, size_t errlen) {
    cl_dev *d = ctx;
    int dt = call_dtype(d, c, c->n_in);
    pg_t g;
    if (dt < 0 || pool_geom(c, &c->in[0], &g)) return MXB_UNSUPPORTED;
    cl_mem X = BUF(c->in[0]), Y = BUF(c->out[0]);
    karg a[] = {KA(X), KA(Y), KA(g)};
    return launch(d, c->op, "pool_fw", dt, (size_t)c->out[0].size, a, NARGS(a), err, errlen);
}

/* _backward_Pooling(ograd, data, output) -> ddata */
static int k_pool_bw(void *ctx, const mxb_call *c, char *err, size_t errlen) {
    cl_dev *d = ctx;
    int dt = call_dtype(d, c, c->n_in);
    pg_t g;
    if (dt < 0 || c->n_in < 2 || pool_geom(c, &c->in[1], &g)) return MXB_UNSUPPORTED;
    cl_mem DY = BUF(c->in[0]), X = BUF(c->in[1]), DX = BUF(c->out[0]);
    karg a[] = {KA(DY), KA(X), KA(DX), KA(g)};
    return launch(d, c->op, "pool_bw", dt, (size_t)c->out[0].size, a, NARGS(a), err, errlen);
}

/* BatchNorm(data, gamma, beta, moving_mean, moving_var) -> (out, mean, var);
 * the moving statistics are read (inference), never written: the backward
 * updates them, as MXNet's CPU build does (core/ops/norm.c, bn_update_moving) */
static int k_batchnorm(void *ctx, const mxb_call *c, char *err, size_t errlen) {
    cl_dev *d = ctx;
    int dt = call_dtype(d, c, c->n_in);
    cl_long outer, C, inner;
    if (dt < 0 || c->n_in < 5 || c->n_out < 3 || bn_dims(c, &c->in[0], &outer, &C, &inner)) return MXB_UNSUPPORTED;
    for (int i = 1; i < 5; i++)
        if (c->in[i].size != C) return MXB_UNSUPPORTED;
    cl_int train = c->training && !mxb_attr_i(c, "use_global_stats", 0), fg = (cl_int)mxb_attr_i(c, "fix_gamma", 1);
    ASCALAR(eps, d, mxb_attr_f(c, "eps", 1e-3));
    cl_mem X = BUF(c->in[0]), Ga = BUF(c->in[1]), Be = BUF(c->in[2]), MM = BUF(c->in[3]), MV = BUF(c->in[4]);
    cl_long mo = c->in[3].offset, vo = c->in[4].offset;
    cl_mem Y = BUF(c->out[0]), Mo = BUF(c->out[1]), Vo = BUF(c->out[2]);
    karg a[] = {KA(X), KA(Ga), KA(Be), KA(MM), KA(mo), KA(MV), KA(vo), KA(Y), KA(Mo), KA(Vo),
                KA(outer), KA(C), KA(inner), eps, KA(train), KA(fg)};
    return launch(d, c->op, "bn_fw", dt, (size_t)C, a, NARGS(a), err, errlen);
}

/* _backward_BatchNorm(ograd, data, gamma, mean, var) -> (ddata, dgamma, dbeta) */
static int k_batchnorm_bw(void *ctx, const mxb_call *c, char *err, size_t errlen) {
    cl_dev *d = ctx;
    int dt = call_dtype(d, c, c->n_in);
    cl_long outer, C, inner;
    if (dt < 0 || c->n_in < 5 || c->n_out < 3 || bn_dims(c, &c->in[1], &outer, &C, &inner)) return MXB_UNSUPPORTED;
    cl_int fg = (cl_int)mxb_attr_i(c, "fix_gamma", 1), cs = !mxb_attr_i(c, "use_global_stats", 0);
    ASCALAR(eps, d, mxb_attr_f(c, "eps", 1e-3));
    cl_mem G = BUF(c->in[0]), X = BUF(c->in[1]), Ga = BUF(c->in[2]), Me = BUF(c->in[3]), Va = BUF(c->in[4]);
    cl_mem DX = BUF(c->out[0]), DG = BUF(c->out[1]), DB = BUF(c->out[2]);
    karg a[] = {KA(G), KA(X), KA(Ga), KA(Me), KA(Va), KA(DX), KA(DG), KA(DB), KA(outer), KA(C), KA(inner), eps,
                KA(fg), KA(cs)};
    return launch(d, c->op, "bn_bw", dt, (size_t)C, a, NARGS(a), err, errlen);
}

/* LayerNorm/InstanceNorm/GroupNorm(data, gamma, beta) -> (out, mean, std) */
static int k_rownorm(void *ctx, const mxb_call *c, char *err, size_t errlen) {
    cl_dev *d = ctx;
    int dt = call_dtype(d, c, c->n_in);
    rn_geom g;
    if (dt < 0 || c->n_in < 3 || c->n_out < 3 || rn_dims(c, &c->in[0], &c->in[1], &g)) return MXB_UNSUPPORTED;
    if (c->in[1].size != g.C || c->in[2].size != g.C || c->out[1].size != g.R) return MXB_UNSUPPORTED;
    ASCALAR(eps, d, mxb_attr_f(c, "eps", g.kind == 1 ? 1e-3 : 1e-5));
    cl_mem X = BUF(c->in[0]), Ga = BUF(c->in[1]), Be = BUF(c->in[2]);
    cl_mem Y = BUF(c->out[0]), Me = BUF(c->out[1]), Sd = BUF(c->out[2]);
    karg a[] = {KA(X), KA(Ga), KA(Be), KA(Y), KA(Me), KA(Sd), KA(g.R), KA(g.M), KA(g.inner), KA(g.pdiv),
                KA(g.kind), KA(g.C), KA(g.G), eps};
    return launch(d, c->op, "rn_fw", dt, (size_t)g.R, a, NARGS(a), err, errlen);
}

/* _backward_<norm>(ograd, data, gamma, mean, std) -> (ddata, dgamma, dbeta) */
static int k_rownorm_bw(void *ctx, const mxb_call *c, char *err, size_t errlen) {
    cl_dev *d = ctx;
    int dt = call_dtype(d, c, c->n_in);
    rn_geom g;
    if (dt < 0 || c->n_in < 5 || c->n_out < 3 || rn_dims(c, &c->in[1], &c->in[2], &g)) return MXB_UNSUPPORTED;
    if (c->in[2].size != g.C || c->in[3].size != g.R || c->in[4].size != g.R || c->out[1].size != g.C)
        return MXB_UNSUPPORTED;
    cl_mem G = BUF(c->in[0]), X = BUF(c->in[1]), Ga = BUF(c->in[2]), Me = BUF(c->in[3]), Sd = BUF(c->in[4]);
    cl_mem DX = BUF(c->out[0]), DG = BUF(c->out[1]), DB = BUF(c->out[2]);
    karg a[] = {KA(G), KA(X), KA(Ga), KA(Me), KA(Sd), KA(DX), KA(g.R), KA(g.M), KA(g.inner), KA(g.pdiv),
                KA(g.kind), KA(g.C), KA(g.G)};
    int rc = launch(d, c->op, "rn_bw", dt, (size_t)g.R, a, NARGS(a), err, errlen);
    if (rc != MXB_OK) return rc;
    karg b[] = {KA(G), KA(X), KA(Me), KA(Sd), KA(DG), KA(DB), KA(g.R), KA(g.M), KA(g.inner), KA(g.pdiv),
                KA(g.kind), KA(g.C), KA(g.G)};
    return launch(d, c->op, "rn_pgrad", dt, (size_t)g.C, b, NARGS(b), err, errlen);
}

/* Dropout(data) -> (out, mask): the mask draws the CPU's Philox stream
 * (seed, offset + i), so device and CPU masks agree bit for bit */
static int k_dropout(void *ctx, const mxb_call *c, char *err, size_t errlen) {
    cl_dev *d = ctx;
    int dt = call_dtype(d, c, c->n_in);
    if (dt < 0 || c->n_out < 2) return MXB_UNSUPPORTED;
    const mxb_tensor *x = &c->in[0], *mk = &c->out[1], *o = &c->out[0];
    double p = mxb_attr_f(c, "p", 0.5);
    int active = mxb_attr_i(c, "mode", 0) == 1 || c->training;
    cl_mem X = BUF(*x), M = BUF(*mk), Y = BUF(*o);
    cl_long nm = mk->size, n = o->size;
    if (!active || p == 0) {
        if (n) CLCHECK(clEnqueueCopyBuffer(d->q, X, Y, 0, 0, (size_t)n * mxb_dtype_size(dt), 0, NULL, NULL), "Dropout copy");
        return fill(d, c->op, mk, 1.0, err, errlen);
    }
    cl_ulong seed = c->rng_seed, off = c->rng_offset, thr = (cl_ulong)ceil(p * 9007199254740992.0);
    TSCALAR(scale, dt, p >= 1 ? 0.0 : 1.0 / (1.0 - p));
    karg a[] = {KA(M), KA(nm), KA(seed), KA(off), KA(thr), scale};
    if (launch(d, c->op, "dropout_mask", dt, (size_t)nm, a, NARGS(a), err, errlen)) return MXB_ERROR;
    if (mk->size == x->size) {
        karg b[] = {KA(X), KA(M), KA(Y), KA(n)};
        return launch(d, c->op, "mul_ew", dt, (size_t)n, b, NARGS(b), err, errlen);
    }
    bc_t bp;
    if (make_bcast(x, mk, o, &bp)) return mxcl_fail(err, errlen, "Dropout: mask broadcast has too many dims");
    karg b[] = {KA(X), KA(M), KA(Y), KA(n), KA(bp)};
    return launch(d, c->op, "mul_bc", dt, (size_t)n, b, NARGS(b), err, errlen);
}

/* ---- kernel table ---- */

typedef struct {
    const char *op;
    mxb_kernel_fn fn;
} kentry;

static const kentry KERNELS[] = {
    {"Activation", k_activation},
    {"_backward_act", k_backward_act},
    {"gelu", k_act_param},
    {"log_sigmoid", k_act_param},
    {"mish", k_act_param},
    {"hard_sigmoid", k_act_param},
    {"swish", k_act_param},
    {"LeakyReLU", k_act_param},
    {"zeros_like", k_fill},
    {"ones_like", k_fill},
    {"full_like", k_fill},
    {"add_n", k_add_n},
    {"sum", k_reduce},
    {"mean", k_reduce},
    {"max", k_reduce},
    {"min", k_reduce},
    {"prod", k_reduce},
    {"_reduce_to_shape_like", k_reduce_like},
    {"broadcast_to", k_broadcast},
    {"broadcast_axis", k_broadcast},
    {"broadcast_like", k_broadcast},
    {"softmax", k_softmax},
    {"log_softmax", k_softmax},
    {"softmin", k_softmax},
    {"_backward_softmax", k_softmax},
    {"_backward_log_softmax", k_softmax},
    {"_backward_softmin", k_softmax},
    {"softmax_cross_entropy", k_sce},
    {"_backward_softmax_cross_entropy", k_sce},
    {"FullyConnected", k_fully_connected},
    {"_backward_FullyConnected", k_fully_connected_bw},
    {"dot", k_dot},
    {"Embedding", k_embedding},
    {"sgd_update", k_optimizer},
    {"sgd_mom_update", k_optimizer},
    {"adam_update", k_optimizer},
    {"Convolution", k_conv},
    {"_backward_Convolution", k_conv_bw},
    {"Pooling", k_pool},
    {"_backward_Pooling", k_pool_bw},
    {"BatchNorm", k_batchnorm},
    {"_backward_BatchNorm", k_batchnorm_bw},
    {"Dropout", k_dropout},
    {"LayerNorm", k_rownorm},
    {"_backward_LayerNorm", k_rownorm_bw},
    {"InstanceNorm", k_rownorm},
    {"_backward_InstanceNorm", k_rownorm_bw},
    {"GroupNorm", k_rownorm},
    {"_backward_GroupNorm", k_rownorm_bw},
    {"Cast", k_cast},
    {"clip", k_clip},
    {"argmax", k_argext},
    {"argmin", k_argext},
    {"where", k_where},
    {"batch_dot", k_batch_dot},
    {"_view_gather", k_view},
    {"_view_scatter", k_view},
    {"concat", k_join_split},
    {"stack", k_join_split},
    {"split", k_join_split},
    {"multi_sgd_update", k_multi_sgd},
    {"multi_sgd_mom_update", k_multi_sgd},
    {"_backward_Embedding", k_embedding_bw},
    {"pick", k_pick},
    {"_backward_pick", k_pick},
    {"RNN", k_rnn},
    {"_rnn_with_reserve", k_rnn},
    {"_backward_RNN", k_rnn},
    {"_rnn_param_flat", k_rnn_param_flat},
    {"_backward_rnn_param_flat", k_rnn_param_flat},
    {"reshape", k_copy},
    {"reshape_like", k_copy},
    {"flatten", k_copy},
    {"expand_dims", k_copy},
    {"squeeze", k_copy},
};
#define N_KERNELS ((int)(sizeof KERNELS / sizeof KERNELS[0]))

static mxb_kernel_fn ocl_find_kernel(const char *op) {
    for (int i = 0; i < N_KERNELS; i++)
        if (!strcmp(KERNELS[i].op, op)) return KERNELS[i].fn;
    if (find_bin(op)) return k_binary;
    if (is_unary(op)) return k_unary;
    return NULL;
}

static const char *names_buf[512];
static char unary_bw_names[64][48];

static const char *const *ocl_kernel_names(void) {
    if (names_buf[0]) return names_buf;
    int n = 0;
    for (int i = 0; i < N_KERNELS; i++) names_buf[n++] = KERNELS[i].op;
    for (size_t i = 0; i < sizeof BIN_MAP / sizeof BIN_MAP[0]; i++)
        if (BIN_MAP[i].op) names_buf[n++] = BIN_MAP[i].op;
    for (int i = 0; UN_NAMES[i] && i < 64; i++) {
        names_buf[n++] = UN_NAMES[i];
        snprintf(unary_bw_names[i], sizeof unary_bw_names[i], "_backward_%s", UN_NAMES[i]);
        names_buf[n++] = unary_bw_names[i];
    }
    names_buf[n] = NULL;
    return names_buf;
}

static const mxb_backend OCL = {
    .api_version = MXB_API_VERSION,
    .name = "opencl",
    .device_type = 10,
    .init = ocl_init,
    .shutdown = ocl_shutdown,
    .device_count = ocl_device_count,
    .device_context = ocl_device_context,
    .device_info_json = ocl_device_info_json,
    .device_dtypes = ocl_device_dtypes,
    .alloc = ocl_alloc,
    .free = ocl_free,
    .from_host = ocl_from_host,
    .to_host = ocl_to_host,
    .copy = ocl_copy,
    .synchronize = ocl_sync,
    .find_kernel = ocl_find_kernel,
    .kernel_names = ocl_kernel_names,
    .run_graph = NULL,
    .native_stream = ocl_native_stream,
};

__attribute__((visibility("default"))) const mxb_backend *mxb_backend_entry(uint32_t core_api_version) {
    (void)core_api_version; /* the core compares OCL.api_version with its own */
    return &OCL;
}
