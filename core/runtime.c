/* runtime.c — version, features, thread count and memory statistics. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

#include "../backends/cpu/cpu.h"
#include "backend_registry.h"
#include "error.h"
#include "tensor.h"

#ifndef MXCORE_VERSION
#define MXCORE_VERSION "0.1.0"
#endif

int mx_abi_version(void) { return MX_ABI_VERSION; }
const char *mx_version_string(void) { return MXCORE_VERSION; }

static atomic_llong mem_current, mem_peak;

void mxi_mem_account(int64_t delta) {
    long long now = atomic_fetch_add(&mem_current, delta) + delta;
    long long peak = atomic_load(&mem_peak);
    while (now > peak && !atomic_compare_exchange_weak(&mem_peak, &peak, now)) {
    }
}

int mx_memory_stats(int64_t *current_bytes, int64_t *peak_bytes) {
    if (current_bytes) *current_bytes = atomic_load(&mem_current);
    if (peak_bytes) *peak_bytes = atomic_load(&mem_peak);
    return MX_OK;
}

int mx_memory_reset_peak(void) {
    atomic_store(&mem_peak, atomic_load(&mem_current));
    return MX_OK;
}

int mx_set_num_threads(int n) {
    if (n < 1 || n > 1024) return mxi_error(MX_ERR_INVALID, "set_num_threads: %d is not in [1, 1024]", n);
    mxi_set_num_threads_internal(n);
    return MX_OK;
}

int mx_get_num_threads(int *n) {
    if (!n) return mxi_error(MX_ERR_INVALID, "get_num_threads: NULL argument");
    *n = mxi_num_threads();
    return MX_OK;
}

int mx_device_count(int32_t type, int *count) {
    if (!count) return mxi_error(MX_ERR_INVALID, "mx_device_count: count is NULL");
    if (type == MX_DEV_CPU || type == MX_DEV_CPU_PINNED) *count = 1;
    else if (type == MX_DEV_CUDA || type == MX_DEV_OPENCL) *count = mxi_backend_device_count(type);
    else return mxi_error(MX_ERR_INVALID, "mx_device_count: unknown device type %d", type);
    return MX_OK;
}

int mx_device_synchronize(mx_device device) {
    if (device.type == MX_DEV_CPU || device.type == MX_DEV_CPU_PINNED) return MX_OK; /* eager CPU is synchronous */
    return mxi_backend_synchronize(device);
}

int mx_device_native_stream(mx_device device, void **stream) {
    if (!stream) return mxi_error(MX_ERR_INVALID, "mx_device_native_stream: stream is NULL");
    *stream = NULL;
    if (device.type == MX_DEV_CPU || device.type == MX_DEV_CPU_PINNED) return MX_OK;
    return mxi_backend_native_stream(device, stream);
}

/* The features JSON is rebuilt per call (backends may load late); the
 * previous string is kept until the next call, as documented. */
static char *features;
static pthread_mutex_t features_lock = PTHREAD_MUTEX_INITIALIZER;

int mx_runtime_features_json(const char **json) {
    if (!json) return mxi_error(MX_ERR_INVALID, "mx_runtime_features_json: json is NULL");
    const char *fmt = "{\"version\":\"%s\",\"abi_version\":%d,\"blas\":\"%s\",\"num_threads\":%d,\"cpu\":true,"
                      "\"backends\":%s}";
    const char *backends = mxi_backend_features_json();
    int n = snprintf(NULL, 0, fmt, MXCORE_VERSION, MX_ABI_VERSION, mxi_blas_name(), mxi_num_threads(), backends);
    char *buf = malloc((size_t)n + 1);
    if (!buf) return mxi_error(MX_ERR_MEMORY, "mx_runtime_features_json: out of memory");
    snprintf(buf, (size_t)n + 1, fmt, MXCORE_VERSION, MX_ABI_VERSION, mxi_blas_name(), mxi_num_threads(), backends);
    pthread_mutex_lock(&features_lock);
    free(features);
    features = buf;
    pthread_mutex_unlock(&features_lock);
    *json = buf;
    return MX_OK;
}

__attribute__((destructor)) static void features_free(void) {
    free(features);
    features = NULL;
}
