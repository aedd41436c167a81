/* backend_registry.h — the core's side of device backends: finds and loads
 * backend modules (libmxcore-opencl, libmxcore-cuda) at run time and routes
 * device memory operations and kernels to them. CPU never goes through here.
 * The module interface itself is include/mxcore/backend.h. */
#ifndef MXCORE_CORE_BACKEND_REGISTRY_H
#define MXCORE_CORE_BACKEND_REGISTRY_H

#include <stddef.h>

#include "tensor.h"

struct mx_backend_module;
struct mx_op_def;
struct mx_call;

/* Loaded module serving `dev` (NULL if none or id out of range). */
const struct mx_backend_module *mxi_backend_for(mx_device dev);
/* Why no module serves `dev_type` (for error messages); static storage. */
const char *mxi_backend_unavailable_reason(int dev_type);
/* Zero-filled device buffer of nbytes (opaque handle in *data). */
int mxi_backend_alloc(mx_device dev, size_t nbytes, void **data);
void mxi_backend_free(mx_device dev, void *data);
/* dst = src where at least one side is a device tensor (same shape; any
 * layout on either side; dtype converted through the host). */
int mxi_backend_copy(mx_tensor_s *dst, mx_tensor_s *src);
int mxi_backend_from_host(mx_tensor_s *t, const void *data, size_t nbytes);
int mxi_backend_to_host(mx_tensor_s *t, void *data, size_t nbytes);
/* JSON fragment for mx_runtime_features_json: {"opencl":{...},"cuda":{...}};
 * valid until the next call. */
const char *mxi_backend_features_json(void);
int mxi_backend_device_count(int dev_type);
/* Wait for all queued work on `dev` (its errors are reported here). */
int mxi_backend_synchronize(mx_device dev);
/* The module's native queue of `dev` (NULL when it has none). */
int mxi_backend_native_stream(mx_device dev, void **stream);
/* JSON array of backends with a kernel for `def`, e.g. ["cpu","opencl"]
 * (thread-local storage, valid until the next call on this thread). */
const char *mxi_backend_ops_for(const struct mx_op_def *def);
/* Run call `c` whose inputs live on `dev`: the module's kernel if it has one
 * for the op, else the CPU kernel with copies (one warning per op; an error
 * when MXCORE_STRICT_DEVICE=1). Sets c->out[k] to new device tensors. */
int mxi_device_invoke(struct mx_call *c, mx_device dev);

#endif
