/* backend.h — the backend-module interface (for backend authors, not for
 * bindings). A device backend is a shared library (libmxcore-opencl.so,
 * libmxcore-cuda.so) that exports one function:
 *
 *     const mxb_backend *mxb_backend_entry(uint32_t core_api_version);
 *
 * The core (core/backend_registry.c) finds the module next to libmxcore (or
 * on MXCORE_BACKEND_PATH), checks that the module's runtime (libOpenCL.so.1,
 * libcuda.so.1) loads, calls the entry point and refuses a table whose
 * api_version differs from MXB_API_VERSION. Everything a module needs is in
 * this header: modules never include core headers, so the core's internal
 * structs can change without rebuilding modules for a new API version.
 *
 * Threading: the core serialises calls into a module per device (one lock),
 * so modules need no locking of their own.
 *
 * Memory: a device buffer is an opaque pointer (cl_mem, CUDA device pointer).
 * The core keeps tensors' element offsets and strides; every function below
 * takes byte offsets.
 *
 * Errors: functions return MXB_OK or a non-zero status and write a message
 * into err (errlen bytes, always NUL-terminated). The core adds the op name
 * and input shapes. A kernel returns MXB_UNSUPPORTED (with no message
 * needed) when it does not handle this particular call (dtype, rank, an
 * attribute value); the core then runs the op on the CPU with copies.
 *
 * Two kernels are generic: "_view_gather" and "_view_scatter" (optional)
 * receive attributes shape, strides (SHAPE) and offset (INT) describing a
 * strided view planned by the core; gather writes out[i] = in[view(i)],
 * scatter writes out[view(i)] = in[i] into the zero-filled output. With
 * them the core runs every view op (transpose, slice, flip, ...) on the
 * device. float16 inputs of a float32 kernel are converted by the core
 * through the module's "Cast" kernel. */
#ifndef MXCORE_BACKEND_H
#define MXCORE_BACKEND_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Bumped whenever a struct below changes layout or meaning. */
#define MXB_API_VERSION 2u

enum { MXB_OK = 0, MXB_ERROR = 1, MXB_UNSUPPORTED = 2, MXB_NO_MEMORY = 3 };

/* dtype codes: the same values as mx_dtype in mxcore.h (MXNet type flags). */
enum {
    MXB_F32 = 0, MXB_F64 = 1, MXB_F16 = 2, MXB_U8 = 3, MXB_I32 = 4, MXB_I8 = 5, MXB_I64 = 6, MXB_BOOL = 7,
    MXB_BF16 = 12
};

#define MXB_MAX_NDIM 32

/* A tensor as a kernel sees it. Kernel inputs and outputs are contiguous
 * (row-major) and start at element 0 of `buf` (the core makes copies where
 * needed), except inputs the op mutates in place (optimizer state), which
 * are passed as they are and may carry a non-zero `offset` (in elements). */
typedef struct mxb_tensor {
    void *buf;              /* device buffer */
    int64_t offset;         /* elements from the start of buf */
    int ndim;
    int dtype;              /* MXB_F32 ... */
    int64_t size;           /* number of elements */
    const int64_t *shape;   /* ndim entries */
} mxb_tensor;

/* Attribute types: the same order as the core's mx_attr_type. */
enum {
    MXB_ATTR_INT, MXB_ATTR_FLOAT, MXB_ATTR_BOOL, MXB_ATTR_STR, MXB_ATTR_ENUM, MXB_ATTR_SHAPE,
    MXB_ATTR_FLOATS, MXB_ATTR_DTYPE, MXB_ATTR_OPT_INT
};

/* A parsed attribute (defaults already applied). */
typedef struct mxb_attr {
    const char *name;
    int type;               /* MXB_ATTR_* */
    int is_none;            /* "None" given for SHAPE / OPT_INT / DTYPE / FLOATS */
    int64_t i;              /* INT, BOOL, ENUM index, DTYPE, OPT_INT */
    double f;               /* FLOAT */
    int n;                  /* SHAPE / FLOATS length */
    const int64_t *v;       /* SHAPE values */
    const double *fv;       /* FLOATS values */
    const char *s;          /* STR, ENUM text */
} mxb_attr;

/* One op call as a kernel sees it. Outputs are already allocated on the
 * device (zero-filled) with the shapes and dtypes the core inferred. */
typedef struct mxb_call {
    const char *op;         /* canonical op name */
    int device;             /* device id within the module */
    int n_in, n_out, n_attrs;
    const mxb_tensor *in;
    const mxb_tensor *out;
    const mxb_attr *attrs;
    int training;           /* autograd training flag */
    uint64_t rng_seed, rng_offset; /* random ops: Philox key and first counter */
} mxb_call;

/* Kernel for one op. ctx is the module's per-device context. */
typedef int (*mxb_kernel_fn)(void *ctx, const mxb_call *call, char *err, size_t errlen);

/* The module's function table. Optional entries may be NULL. */
typedef struct mxb_backend {
    uint32_t api_version;   /* MXB_API_VERSION the module was built against */
    const char *name;       /* "opencl", "cuda" */
    int device_type;        /* mx_device type served (MX_DEV_OPENCL = 10, MX_DEV_CUDA = 2) */

    /* Enumerate devices; returns MXB_OK (zero devices is not an error:
     * device_count then says 0 and err may say why). */
    int (*init)(char *err, size_t errlen);
    void (*shutdown)(void);                     /* optional */
    int (*device_count)(void);
    void *(*device_context)(int device);        /* passed to kernels as ctx */
    /* JSON object describing device `device` (name, type, memory, dtypes,
     * extensions, where its program came from). Static or module-owned
     * storage valid until the next call. */
    const char *(*device_info_json)(int device);
    /* bitmask (1 << dtype) of dtypes the device's kernels handle natively */
    uint32_t (*device_dtypes)(int device);

    /* buffers: alloc returns zero-filled memory of at least max(nbytes, 1) */
    int (*alloc)(int device, size_t nbytes, void **buf, char *err, size_t errlen);
    void (*free)(int device, void *buf);
    int (*from_host)(int device, void *buf, size_t offset, const void *host, size_t nbytes, char *err, size_t errlen);
    /* to_host waits for queued work on the buffer (and reports its errors) */
    int (*to_host)(int device, void *buf, size_t offset, void *host, size_t nbytes, char *err, size_t errlen);
    int (*copy)(int device, void *dst, size_t dst_offset, const void *src, size_t src_offset, size_t nbytes,
                char *err, size_t errlen);
    /* wait for everything queued on the device's stream/queue */
    int (*synchronize)(int device, char *err, size_t errlen);

    /* per-op kernels */
    mxb_kernel_fn (*find_kernel)(const char *op);
    /* NULL-terminated list of op names with a kernel (for the manifest) */
    const char *const *(*kernel_names)(void);

    /* optional: run a whole graph (reserved; NULL in API version 1) */
    int (*run_graph)(void *ctx, const void *graph, char *err, size_t errlen);
    /* optional (API 2): the device's native queue (cudaStream_t,
     * cl_command_queue) on which all its work runs, for DLPack consumers
     * and producers that order work by stream; NULL if none */
    void *(*native_stream)(int device);
} mxb_backend;

typedef const mxb_backend *(*mxb_entry_fn)(uint32_t core_api_version);
#define MXB_ENTRY_SYMBOL "mxb_backend_entry"

/* ---- helpers for kernels ---- */
static inline const mxb_attr *mxb_attr_find(const mxb_call *c, const char *name) {
    for (int k = 0; k < c->n_attrs; k++)
        if (!strcmp(c->attrs[k].name, name)) return &c->attrs[k];
    return NULL;
}
static inline double mxb_attr_f(const mxb_call *c, const char *name, double def) {
    const mxb_attr *a = mxb_attr_find(c, name);
    if (!a || a->is_none) return def;
    return a->type == MXB_ATTR_FLOAT ? a->f : (double)a->i;
}
static inline int64_t mxb_attr_i(const mxb_call *c, const char *name, int64_t def) {
    const mxb_attr *a = mxb_attr_find(c, name);
    if (!a || a->is_none) return def;
    return a->type == MXB_ATTR_FLOAT ? (int64_t)a->f : a->i;
}
static inline size_t mxb_dtype_size(int dtype) {
    switch (dtype) {
    case MXB_F64: case MXB_I64: return 8;
    case MXB_F32: case MXB_I32: return 4;
    case MXB_F16: case MXB_BF16: return 2;
    default: return 1;
    }
}

#ifdef __cplusplus
}
#endif
#endif
