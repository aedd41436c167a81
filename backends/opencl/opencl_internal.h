/* opencl_internal.h — what the OpenCL module's source files share: the
 * per-device state, kernel launching, GEMM and error helpers
 * (opencl_backend.c) used by the op families in their own files
 * (opencl_rnn.c). Not installed. */
#ifndef MXCORE_OPENCL_INTERNAL_H
#define MXCORE_OPENCL_INTERNAL_H

#include <CL/cl.h>
#include <stddef.h>

#include "mxcore/backend.h"

#define MAX_DEV 16
#define KTAB 512

typedef struct {
    char name[64];
    cl_kernel k;
} kslot;

typedef struct cl_dev {
    int id;
    cl_platform_id plat;
    cl_device_id dev;
    cl_device_type type;
    cl_context ctx;
    cl_command_queue q;
    cl_program prog;
    int built;          /* 0 not yet, 1 ok, -1 failed */
    char build_err[512];
    char origin[300];   /* "source", "cache", "prebuilt:<path>" */
    char name[256], version[128], driver[128], plat_name[128];
    cl_ulong mem, max_alloc;
    cl_uint units;
    int fp64, fp16;
    const char *last_op;
    int gemm_packed, gemm_mr, gemm_nv; /* GEMM variant (gemm_select) */
    double gemm_direct;                /* unpacked below this many multiply-adds */
    cl_mem scratch[2];                 /* packed GEMM panels, grown on demand */
    size_t scratch_size[2];
    kslot kernels[KTAB];
    char info[2048];
} cl_dev;

/* a kernel argument: size and address, as clSetKernelArg takes them */
typedef struct {
    size_t sz;
    const void *p;
} karg;
#define KA(x) ((karg){sizeof(x), &(x)})
#define NARGS(a) ((int)(sizeof(a) / sizeof((a)[0])))
#define BUF(t) ((cl_mem)(t).buf)
/* a scalar kernel argument of the element type of dtype dt */
#define TSCALAR(name, dt, v)                                  \
    float name##_f = (float)(v);                              \
    double name##_d = (double)(v);                            \
    karg name = (dt) == MXB_F64 ? KA(name##_d) : KA(name##_f)

/* Write a message into err (errlen bytes); returns MXB_ERROR. */
int mxcl_fail(char *err, size_t n, const char *fmt, ...);
const char *cl_err_name(cl_int e);
/* Return from the calling function with MXB_ERROR and a message naming
 * `what` when an OpenCL call fails (needs err/errlen in scope). */
#define CLCHECK(call, what)                                                                                  \
    do {                                                                                                     \
        cl_int e_ = (call);                                                                                  \
        if (e_ != CL_SUCCESS) return mxcl_fail(err, errlen, "%s: %s (%d)", what, cl_err_name(e_), e_);      \
    } while (0)

/* The device's kernel `name` (its program is built on first use); NULL
 * with err set on failure. */
cl_kernel get_kernel(cl_dev *d, const char *name, char *err, size_t errlen);
/* Enqueue kernel base + "_f"/"_d" (by dtype) over `global` work items. */
int launch(cl_dev *d, const char *op, const char *base, int dtype, size_t global, const karg *args, int na,
           char *err, size_t errlen);
/* Enqueue the kernel called `name` over `global` work items (nothing when 0). */
int launch_named(cl_dev *d, const char *op, const char *name, size_t global, const karg *args, int na, char *err,
                 size_t errlen);
/* The common float dtype of a call's first n_check inputs and its outputs,
 * or -1 when they differ or the device has no kernels for it. */
int call_dtype(const cl_dev *d, const mxb_call *c, int n_check);
/* Fill tensor t with v. */
int fill(cl_dev *d, const char *op, const mxb_tensor *t, double v, char *err, size_t errlen);
/* C(M,N) = alpha * A B + beta * C over element offsets ao/bo/co, with
 * A(i,k) = A[ao + i*ars + k*acs], B(k,j) = B[bo + k*brs + j*bcs], C
 * contiguous with row stride N. */
int gemm_at(cl_dev *d, const char *op, int dt, cl_long M, cl_long N, cl_long K, cl_mem A, cl_long ao, cl_long ars,
            cl_long acs, cl_mem B, cl_long bo, cl_long brs, cl_long bcs, cl_mem C, cl_long co, double alpha, double beta,
            char *err, size_t errlen);

/* opencl_rnn.c: the fused RNN op (RNN, _rnn_with_reserve) and _backward_RNN */
int k_rnn(void *ctx, const mxb_call *c, char *err, size_t errlen);
/* _rnn_param_flat and its backward */
int k_rnn_param_flat(void *ctx, const mxb_call *c, char *err, size_t errlen);

#endif
