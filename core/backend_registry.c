/* backend_registry.c — placeholder until the backend-module loader lands
 * (issue: device backends). No device modules are loaded, so every device
 * request fails with a message saying so. */
#include "backend_registry.h"

#include "error.h"
#include "op.h"

const struct mx_backend_module *mxi_backend_for(mx_device dev) {
    (void)dev;
    return NULL;
}

const char *mxi_backend_unavailable_reason(int dev_type) {
    if (dev_type == MX_DEV_CUDA)
        return "no CUDA backend module is loaded (build with -DMXCORE_CUDA=ON on a machine with an NVIDIA driver)";
    if (dev_type == MX_DEV_OPENCL)
        return "no OpenCL backend module is loaded (build with -DMXCORE_OPENCL=ON and install an OpenCL runtime such as PoCL)";
    return "unknown device type";
}

static int no_backend(mx_device dev) {
    return mxi_error(MX_ERR_DEVICE, "device %d:%d: %s", dev.type, dev.id, mxi_backend_unavailable_reason(dev.type));
}

int mxi_backend_alloc(mx_device dev, size_t nbytes, void **data) {
    (void)nbytes; (void)data;
    return no_backend(dev);
}

void mxi_backend_free(mx_device dev, void *data) { (void)dev; (void)data; }

int mxi_backend_copy(mx_tensor_s *dst, mx_tensor_s *src) {
    (void)src;
    return no_backend(dst->storage->dev);
}

int mxi_backend_from_host(mx_tensor_s *t, const void *data, size_t nbytes) {
    (void)data; (void)nbytes;
    return no_backend(t->storage->dev);
}

int mxi_backend_to_host(mx_tensor_s *t, void *data, size_t nbytes) {
    (void)data; (void)nbytes;
    return no_backend(t->storage->dev);
}

const char *mxi_backend_features_json(void) {
    return "{\"opencl\":{\"loaded\":false,\"reason\":\"not built\"},\"cuda\":{\"loaded\":false,\"reason\":\"not built\"}}";
}

int mxi_backend_device_count(int dev_type) {
    (void)dev_type;
    return 0;
}

const char *mxi_backend_ops_for(const mx_op_def *def) {
    (void)def;
    return "[\"cpu\"]";
}

int mxi_device_invoke(mx_call *c, mx_device dev) {
    return mxi_op_error(c, MX_ERR_DEVICE, "inputs are on device %d:%d: %s", dev.type, dev.id,
                        mxi_backend_unavailable_reason(dev.type));
}
