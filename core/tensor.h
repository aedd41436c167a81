/* tensor.h — internal tensor and storage layout plus helpers used across the
 * core, the op families and the CPU backend. Not installed; bindings only see
 * the opaque mx_tensor handle from include/mxcore/mxcore.h. */
#ifndef MXCORE_CORE_TENSOR_H
#define MXCORE_CORE_TENSOR_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mxcore/mxcore.h"

#define MX_MAGIC_TENSOR 0x7E450A11u
#define MX_MAGIC_DEAD 0xDEADBEEFu

struct mx_ag_node;
struct mx_ag_var;

/* Refcounted buffer. `data` belongs to the allocator named by `dev` unless
 * `deleter` is set (external memory, e.g. numpy/DLPack), then deleter(ctx)
 * runs on the last release instead of free(). */
typedef struct mx_storage {
    atomic_long refcount;
    void *data;
    size_t nbytes;
    mx_device dev;
    void (*deleter)(void *ctx);
    void *deleter_ctx;
    atomic_llong version; /* bumped on every in-place write */
} mx_storage;

struct mx_tensor_s {
    _Atomic uint32_t magic; /* MX_MAGIC_TENSOR while live, MX_MAGIC_DEAD after release */
    atomic_long refcount;
    mx_storage *storage;
    int64_t offset; /* in elements */
    int ndim;
    int dtype;
    int64_t size;
    int64_t shape[MX_MAX_NDIM];
    int64_t strides[MX_MAX_NDIM]; /* in elements */
    /* autograd: producer node (owned reference) and output slot, or leaf info */
    struct mx_ag_node *node;
    int out_index;
    struct mx_ag_var *var;
};
typedef struct mx_tensor_s mx_tensor_s;

/* ---- dtype helpers (dtype.c) ---- */
size_t mxi_dtype_size(int dtype);          /* 0 for unknown dtype */
const char *mxi_dtype_name(int dtype);     /* "float32"...; "unknown" */
int mxi_dtype_from_name(const char *name); /* -1 if unknown */
bool mxi_dtype_valid(int dtype);
bool mxi_dtype_is_float(int dtype);        /* f16, bf16, f32, f64 */
float mxi_half_to_float(uint16_t h);
uint16_t mxi_float_to_half(float f);
float mxi_bf16_to_float(uint16_t h);
uint16_t mxi_float_to_bf16(float f);
/* Read element i of a contiguous buffer of `dtype` as double / write from double. */
double mxi_load_as_double(const void *p, int dtype, int64_t i);
void mxi_store_from_double(void *p, int dtype, int64_t i, double v);
/* Convert n contiguous elements between dtypes. */
void mxi_convert(const void *src, int src_dtype, void *dst, int dst_dtype, int64_t n);

/* ---- tensor helpers (tensor.c) ---- */
/* New contiguous tensor (zeroed) on CPU. Returns NULL with error set. */
mx_tensor_s *mxi_tensor_new(const int64_t *shape, int ndim, int dtype);
/* Like mxi_tensor_new but contents are left uninitialised (CPU). */
mx_tensor_s *mxi_tensor_new_uninit(const int64_t *shape, int ndim, int dtype);
mx_tensor_s *mxi_tensor_new_dev(const int64_t *shape, int ndim, int dtype, mx_device dev);
/* New tensor with same shape as `like` and the given dtype (-1: same dtype). */
mx_tensor_s *mxi_tensor_like(const mx_tensor_s *like, int dtype);
/* 0-d / 1-element helpers */
mx_tensor_s *mxi_tensor_scalar(double v, int dtype, const int64_t *shape, int ndim);
void mxi_tensor_retain(mx_tensor_s *t);
void mxi_tensor_release(mx_tensor_s *t); /* NULL ok */
/* Release t[0..n) (NULLs are fine) and set each entry to NULL. */
void mxi_tensors_release(mx_tensor_s **t, int64_t n);
/* Validate a handle; sets an error naming `fn` and returns false if bad. */
bool mxi_tensor_check(const mx_tensor_s *t, const char *fn);
bool mxi_is_contiguous(const mx_tensor_s *t);
/* Pointer to element 0 of the view (CPU). */
static inline void *mxi_data(const mx_tensor_s *t) {
    return (char *)t->storage->data + (size_t)t->offset * mxi_dtype_size(t->dtype);
}
#define MXI_PTR(type, t) ((type *)mxi_data(t))
/* Contiguous copy (new reference); returns `t` retained if already contiguous
 * and on CPU. */
mx_tensor_s *mxi_contiguous(mx_tensor_s *t);
/* Copy with dtype conversion (new contiguous tensor). */
mx_tensor_s *mxi_cast(mx_tensor_s *t, int dtype);
/* dst[...] = src (same shape; converts dtype; handles strided views). */
int mxi_assign(mx_tensor_s *dst, mx_tensor_s *src);
/* A new handle sharing storage with `t` (same view), no autograd info. */
mx_tensor_s *mxi_tensor_alias(mx_tensor_s *t);
void mxi_set_contiguous_strides(mx_tensor_s *t);
int64_t mxi_shape_size(const int64_t *shape, int ndim);
/* "(2,3)" into buf; returns buf. */
char *mxi_shape_str(const int64_t *shape, int ndim, char *buf, size_t n);
void mxi_bump_version(mx_tensor_s *t);
void mxi_noop_deleter(void *ctx); /* for borrowed external memory */
/* Tensor over external memory `data` on `dev` (a host pointer, or a device
 * pointer the module for `dev` can use directly, as CUDA's). deleter(ctx) runs
 * on the last release (NULL: borrowed, nothing runs). The caller checked that
 * `dev` is served. Errors: bad shape/ndim/dtype, out of memory. */
int mxi_tensor_wrap(void *data, mx_device dev, const int64_t *shape, const int64_t *strides, int ndim, int dtype,
                    void (*deleter)(void *), void *ctx, mx_tensor *out);

/* Scratch buffers for kernels (column matrices, RNN gates ...): served from
 * a few grow-only workspace slots kept for the process's life (MXNet's
 * temp space), else from the block cache, so a training loop neither
 * page-faults fresh memory every step nor evicts its activations' blocks.
 * Free with the same size. */
void *mxi_scratch_alloc(size_t nbytes);
void mxi_scratch_free(void *p, size_t nbytes);

/* Memory statistics (runtime.c) */
void mxi_mem_account(int64_t delta);

#endif
