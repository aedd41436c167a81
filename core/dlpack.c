/* dlpack.c — DLPack 1.x export/import (zero copy).
 *
 * The structs below follow the DLPack specification (v1.0 ABI); they are
 * declared here rather than included so the core has no external headers.
 * Export always produces DLManagedTensorVersioned; import accepts it or the
 * legacy (pre-1.0) DLManagedTensor. Strides are in elements, as in the spec. */
#include <stdlib.h>
#include <string.h>

#include "backend_registry.h"
#include "error.h"
#include "tensor.h"

typedef struct { uint32_t major, minor; } dlp_version;
typedef struct { int32_t device_type; int32_t device_id; } dlp_device;
typedef struct { uint8_t code; uint8_t bits; uint16_t lanes; } dlp_dtype;
typedef struct {
    void *data;
    dlp_device device;
    int32_t ndim;
    dlp_dtype dtype;
    int64_t *shape;
    int64_t *strides;
    uint64_t byte_offset;
} dlp_tensor;
typedef struct dlp_managed {
    dlp_tensor dl_tensor;
    void *manager_ctx;
    void (*deleter)(struct dlp_managed *self);
} dlp_managed;
typedef struct dlp_managed_v {
    dlp_version version;
    void *manager_ctx;
    void (*deleter)(struct dlp_managed_v *self);
    uint64_t flags;
    dlp_tensor dl_tensor;
} dlp_managed_v;

enum { DLP_CPU = 1, DLP_CUDA = 2, DLP_CUDA_HOST = 3, DLP_OPENCL = 4 };
enum { DLP_INT = 0, DLP_UINT = 1, DLP_FLOAT = 2, DLP_BFLOAT = 4, DLP_BOOL = 6 };
#define DLP_FLAG_READ_ONLY 1ull

static int to_dlp_dtype(int dt, dlp_dtype *o) {
    o->lanes = 1;
    switch (dt) {
    case MX_FLOAT32: o->code = DLP_FLOAT; o->bits = 32; return 1;
    case MX_FLOAT64: o->code = DLP_FLOAT; o->bits = 64; return 1;
    case MX_FLOAT16: o->code = DLP_FLOAT; o->bits = 16; return 1;
    case MX_BFLOAT16: o->code = DLP_BFLOAT; o->bits = 16; return 1;
    case MX_UINT8: o->code = DLP_UINT; o->bits = 8; return 1;
    case MX_INT8: o->code = DLP_INT; o->bits = 8; return 1;
    case MX_INT32: o->code = DLP_INT; o->bits = 32; return 1;
    case MX_INT64: o->code = DLP_INT; o->bits = 64; return 1;
    case MX_BOOL: o->code = DLP_BOOL; o->bits = 8; return 1;
    default: return 0;
    }
}

static int from_dlp_dtype(dlp_dtype d) {
    if (d.lanes != 1) return -1;
    switch (d.code) {
    case DLP_FLOAT: return d.bits == 32 ? MX_FLOAT32 : d.bits == 64 ? MX_FLOAT64 : d.bits == 16 ? MX_FLOAT16 : -1;
    case DLP_BFLOAT: return d.bits == 16 ? MX_BFLOAT16 : -1;
    case DLP_UINT: return d.bits == 8 ? MX_UINT8 : -1;
    case DLP_INT: return d.bits == 8 ? MX_INT8 : d.bits == 32 ? MX_INT32 : d.bits == 64 ? MX_INT64 : -1;
    case DLP_BOOL: return d.bits == 8 ? MX_BOOL : -1;
    default: return -1;
    }
}

/* One allocation: the managed struct followed by shape and strides. */
typedef struct {
    dlp_managed_v m;
    int64_t dims[2 * MX_MAX_NDIM];
} export_block;

static void export_deleter(dlp_managed_v *self) {
    if (!self) return;
    mxi_tensor_release((mx_tensor_s *)self->manager_ctx);
    free(self);
}

int mx_tensor_to_dlpack(mx_tensor t, void **out) {
    if (!mxi_tensor_check(t, "mx_tensor_to_dlpack")) return MX_ERR_HANDLE;
    if (!out) return mxi_error(MX_ERR_INVALID, "mx_tensor_to_dlpack: out is NULL");
    dlp_device dev = {0, t->storage->dev.id};
    switch (t->storage->dev.type) {
    case MX_DEV_CPU: dev.device_type = DLP_CPU; break;
    case MX_DEV_CPU_PINNED: dev.device_type = DLP_CUDA_HOST; break;
    case MX_DEV_CUDA: dev.device_type = DLP_CUDA; break;
    default:
        return mxi_error(MX_ERR_UNSUPPORTED, "to_dlpack: tensors on device type %d cannot be exported through DLPack",
                         t->storage->dev.type);
    }
    dlp_dtype dt;
    if (!to_dlp_dtype(t->dtype, &dt))
        return mxi_error(MX_ERR_DTYPE, "to_dlpack: dtype %s has no DLPack equivalent", mxi_dtype_name(t->dtype));
    export_block *b = calloc(1, sizeof *b);
    if (!b) return mxi_error(MX_ERR_MEMORY, "to_dlpack: out of memory");
    b->m.version.major = 1;
    b->m.version.minor = 0;
    b->m.flags = 0;
    b->m.deleter = export_deleter;
    b->m.dl_tensor.device = dev;
    b->m.dl_tensor.dtype = dt;
    b->m.dl_tensor.ndim = t->ndim;
    b->m.dl_tensor.shape = b->dims;
    b->m.dl_tensor.strides = b->dims + MX_MAX_NDIM;
    for (int i = 0; i < t->ndim; i++) {
        b->dims[i] = t->shape[i];
        b->dims[MX_MAX_NDIM + i] = t->strides[i];
    }
    /* data points at the storage start; the view's offset goes in byte_offset */
    b->m.dl_tensor.data = t->storage->data;
    b->m.dl_tensor.byte_offset = (uint64_t)t->offset * mxi_dtype_size(t->dtype);
    mxi_tensor_retain(t);
    b->m.manager_ctx = t;
    *out = &b->m;
    return MX_OK;
}

static void import_deleter_v(void *ctx) {
    dlp_managed_v *m = ctx;
    if (m->deleter) m->deleter(m);
}
static void import_deleter_legacy(void *ctx) {
    dlp_managed *m = ctx;
    if (m->deleter) m->deleter(m);
}

int mx_tensor_from_dlpack(void *managed, int versioned, mx_tensor *out) {
    if (!managed || !out) return mxi_error(MX_ERR_INVALID, "mx_tensor_from_dlpack: NULL argument");
    dlp_tensor *dl;
    if (versioned) {
        dlp_managed_v *m = managed;
        if (m->version.major != 1)
            return mxi_error(MX_ERR_UNSUPPORTED, "from_dlpack: DLPack major version %u is not supported (expected 1)",
                             m->version.major);
        dl = &m->dl_tensor;
    } else {
        dl = &((dlp_managed *)managed)->dl_tensor;
    }
    /* host memory, or CUDA memory when the CUDA module serves that device (its
     * buffers are plain device pointers, so the producer's pointer is used as is) */
    mx_device dev = {MX_DEV_CPU, 0};
    if (dl->device.device_type == DLP_CUDA) {
        dev.type = MX_DEV_CUDA;
        dev.id = dl->device.device_id;
        if (!mxi_backend_for(dev))
            return mxi_error(MX_ERR_DEVICE, "from_dlpack: CUDA memory of device %d cannot be imported: %s",
                             dl->device.device_id, mxi_backend_unavailable_reason(MX_DEV_CUDA));
    } else if (dl->device.device_type != DLP_CPU && dl->device.device_type != DLP_CUDA_HOST) {
        return mxi_error(MX_ERR_UNSUPPORTED,
                         "from_dlpack: only host (CPU) and CUDA memory can be imported; got DLPack device type %d",
                         dl->device.device_type);
    }
    int dtype = from_dlp_dtype(dl->dtype);
    if (dtype < 0)
        return mxi_error(MX_ERR_DTYPE, "from_dlpack: unsupported DLPack dtype (code %u, bits %u, lanes %u)",
                         dl->dtype.code, dl->dtype.bits, dl->dtype.lanes);
    if (dl->ndim < 0 || dl->ndim > MX_MAX_NDIM)
        return mxi_error(MX_ERR_INVALID, "from_dlpack: ndim %d out of range [0, %d]", dl->ndim, MX_MAX_NDIM);
    if (dl->ndim && !dl->shape) return mxi_error(MX_ERR_INVALID, "from_dlpack: shape is NULL");
    if (dl->strides) {
        for (int i = 0; i < dl->ndim; i++)
            if (dl->strides[i] < 0)
                return mxi_error(MX_ERR_UNSUPPORTED, "from_dlpack: negative strides are not supported");
    }
    char *data = (char *)dl->data + dl->byte_offset;
    mx_tensor t = NULL;
    int rc = mxi_tensor_wrap(data, dev, dl->shape, dl->strides, dl->ndim, dtype,
                                        versioned ? import_deleter_v : import_deleter_legacy, managed, &t);
    if (rc != MX_OK) return rc;
    *out = t;
    return MX_OK;
}
