/*
 * mxcore.h — THE public C ABI of mxcore.
 *
 * Conventions (apply to every function below unless its comment says otherwise):
 *   - Every fallible function returns an int status: MX_OK (0) on success, a
 *     negative MX_ERR_* code on failure. On failure mx_last_error() returns a
 *     thread-local message naming the op/function, the shapes/dtypes involved and
 *     what was expected; out-parameters are left untouched.
 *   - Handles are opaque and tagged: passing NULL, a released handle or a handle
 *     of the wrong kind yields MX_ERR_HANDLE, never a crash.
 *   - Out-parameters come last. Objects returned through an out-parameter are
 *     owned by the caller (one reference) and must be released with the
 *     matching *_release function, which accepts NULL.
 *   - Strings returned as `const char **` stay valid as documented per function
 *     (usually: until the next call of the same function on the same thread, or
 *     for the lifetime of the library).
 *   - Shapes are int64; a 0-d tensor has ndim 0. At most MX_MAX_NDIM dims.
 */
#ifndef MXCORE_MXCORE_H
#define MXCORE_MXCORE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(_WIN32)
#define MX_API __declspec(dllexport)
#else
#define MX_API __attribute__((visibility("default")))
#endif

#define MX_ABI_VERSION 1
#define MX_MAX_NDIM 10

/* ---- status codes ------------------------------------------------------ */
enum {
    MX_OK = 0,
    MX_ERR_INVALID = -1,   /* bad argument value (shape mismatch, bad attr ...) */
    MX_ERR_HANDLE = -2,    /* NULL, freed or wrong-kind handle */
    MX_ERR_DTYPE = -3,     /* unsupported dtype for this op/function */
    MX_ERR_DEVICE = -4,    /* device not available / mixed devices */
    MX_ERR_NOT_FOUND = -5, /* unknown op, attribute, file, key */
    MX_ERR_MEMORY = -6,    /* allocation failed */
    MX_ERR_IO = -7,        /* file read/write/format error */
    MX_ERR_UNSUPPORTED = -8, /* valid request this build cannot do */
    MX_ERR_INTERNAL = -9
};

/* ---- dtypes (values match MXNet's type flags, so .params files map 1:1) -- */
typedef enum {
    MX_FLOAT32 = 0,
    MX_FLOAT64 = 1,
    MX_FLOAT16 = 2,
    MX_UINT8 = 3,
    MX_INT32 = 4,
    MX_INT8 = 5,
    MX_INT64 = 6,
    MX_BOOL = 7,
    MX_BFLOAT16 = 12
} mx_dtype;

/* ---- devices (values match MXNet's dev_type where one exists) ----------- */
typedef enum {
    MX_DEV_CPU = 1,
    MX_DEV_CUDA = 2,
    MX_DEV_CPU_PINNED = 3,
    MX_DEV_OPENCL = 10
} mx_device_type;

typedef struct mx_device {
    int32_t type; /* mx_device_type */
    int32_t id;
} mx_device;

/* grad_req values for mx_autograd_mark_variables */
enum { MX_GRAD_NULL = 0, MX_GRAD_WRITE = 1, MX_GRAD_ADD = 3 };

typedef struct mx_tensor_s *mx_tensor;  /* opaque, refcounted */
typedef struct mx_op_s *mx_op;          /* opaque, owned by the library */

/* ---- version and errors -------------------------------------------------- */

/* ABI version of the loaded library; bindings refuse a mismatch. Never fails. */
MX_API int mx_abi_version(void);
/* Library version string, e.g. "0.1.0"; static storage. Never fails. */
MX_API const char *mx_version_string(void);
/* Message of the last failing call on this thread ("" if none). Valid until the
 * next failing call on this thread. Never fails. */
MX_API const char *mx_last_error(void);
/* Status code of the last failing call on this thread (MX_OK if none). */
MX_API int mx_last_error_code(void);

/* ---- runtime -------------------------------------------------------------- */

/* JSON object describing build features (BLAS, backends loaded and why not).
 * *json lives until the next call on any thread; copy it. */
MX_API int mx_runtime_features_json(const char **json);
/* Number of devices of `type` usable now (0 if none / module not loaded). */
MX_API int mx_device_count(int32_t type, int *count);
/* Wait until all work queued on `device` has finished (nd.waitall); errors
 * of queued work surface here. A no-op for the CPU, which is synchronous. */
MX_API int mx_device_synchronize(mx_device device);
/* The device's native queue, on which all of its work runs in order: a
 * cudaStream_t for CUDA, a cl_command_queue for OpenCL, NULL for the CPU
 * (borrowed; valid while the library is loaded). For DLPack exchange by
 * stream (a consumer passes it to a producer's __dlpack__(stream=...)). */
MX_API int mx_device_native_stream(mx_device device, void **stream);
/* Size of the intra-op thread pool (n >= 1). */
MX_API int mx_set_num_threads(int n);
MX_API int mx_get_num_threads(int *n);
/* Seed the global counter-based RNG. Streams depend only on the seed and the
 * sequence of random ops called, never on the thread count. */
MX_API int mx_random_seed(uint64_t seed);
/* Total bytes currently allocated by tensor storage on the CPU, and the peak
 * since the last reset (for memory-planning tests and benchmarks). */
MX_API int mx_memory_stats(int64_t *current_bytes, int64_t *peak_bytes);
MX_API int mx_memory_reset_peak(void);
/* Per-op profiler (mx.profiler): while running, every CPU kernel call adds its
 * time to a per-op table, and with `trace` one event (op, thread, start,
 * duration; at most 1M kept) to a trace. Off by default; MXCORE_PROFILE=1
 * starts it at load and prints the table at exit. Never fails. */
MX_API int mx_profiler_set_state(int running, int trace);
/* The per-op table as text (op, calls, total ms, mean us, %), sorted by total
 * time; *text lives until the next call on any thread. `reset` clears the
 * table and the trace after formatting. Errors: MX_ERR_INVALID (NULL text). */
MX_API int mx_profiler_dumps(int reset, const char **text);
/* Write the trace to `path` as Chrome trace-event JSON (chrome://tracing,
 * Perfetto; times in microseconds of CLOCK_MONOTONIC, so events a binding
 * records with the same clock line up with them); `reset` clears the
 * table and the trace after writing. Errors: MX_ERR_IO (cannot write path). */
MX_API int mx_profiler_dump_trace(const char *path, int reset);

/* ---- tensor lifecycle ----------------------------------------------------- */

/* New tensor with uninitialised contents (zeroed on CPU). `shape` may be NULL
 * when ndim == 0. Errors: negative dims, ndim > MX_MAX_NDIM, bad dtype/device. */
MX_API int mx_tensor_create(const int64_t *shape, int ndim, int dtype, mx_device device,
                            mx_tensor *out);
/* Add one reference. */
MX_API int mx_tensor_retain(mx_tensor t);
/* Drop one reference; frees when it reaches zero. Accepts NULL (no-op). A
 * second release of a freed handle is reported as MX_ERR_HANDLE. */
MX_API int mx_tensor_release(mx_tensor t);

/* ---- tensor data ------------------------------------------------------------ */

/* Shape: *ndim receives the rank; *shape points at internal storage valid while
 * the tensor lives. */
MX_API int mx_tensor_shape(mx_tensor t, int *ndim, const int64_t **shape);
MX_API int mx_tensor_dtype(mx_tensor t, int *dtype);
MX_API int mx_tensor_device(mx_tensor t, mx_device *device);
/* Element count. */
MX_API int mx_tensor_size(mx_tensor t, int64_t *size);
/* Copy `nbytes` of host data (C order, the tensor's dtype) into the tensor.
 * nbytes must equal size * itemsize. */
MX_API int mx_tensor_copy_from_host(mx_tensor t, const void *data, size_t nbytes);
/* Copy the tensor's contents (C order) into host memory of `nbytes`. */
MX_API int mx_tensor_copy_to_host(mx_tensor t, void *data, size_t nbytes);
/* Pointer to the first element of a CPU tensor whose layout is C-contiguous;
 * MX_ERR_UNSUPPORTED for non-contiguous views or device tensors. Valid while the
 * tensor lives. */
MX_API int mx_tensor_data_ptr(mx_tensor t, void **data);
/* Fill every element with `value` (converted to the dtype). */
MX_API int mx_tensor_fill(mx_tensor t, double value);
/* A view sharing storage: new shape with strides derived from `t` when its
 * layout allows (reshape of contiguous data); else MX_ERR_INVALID. */
MX_API int mx_tensor_reshape_view(mx_tensor t, const int64_t *shape, int ndim, mx_tensor *out);
/* Basic slicing view along one axis [begin, end) with step > 0. */
MX_API int mx_tensor_slice_view(mx_tensor t, int axis, int64_t begin, int64_t end, int64_t step,
                                mx_tensor *out);
/* Transpose view with permutation `axes` (length ndim; NULL reverses). */
MX_API int mx_tensor_transpose_view(mx_tensor t, const int64_t *axes, mx_tensor *out);
/* Broadcast view to `shape` (stride 0 on broadcast dims, numpy rules). */
MX_API int mx_tensor_broadcast_view(mx_tensor t, const int64_t *shape, int ndim, mx_tensor *out);
/* 1 if the tensor is C-contiguous. */
MX_API int mx_tensor_is_contiguous(mx_tensor t, int *contiguous);
/* Copy `src` into `dst` (same shape; dtype converted; devices may differ). */
MX_API int mx_tensor_assign(mx_tensor dst, mx_tensor src);
/* New contiguous tensor on `device` with the same contents (copy). */
MX_API int mx_tensor_to_device(mx_tensor t, mx_device device, mx_tensor *out);
/* Wrap a host buffer without copying. `deleter(ctx)` is called once when the
 * last reference goes (may be NULL: caller guarantees the lifetime). `strides`
 * are in elements (NULL = C-contiguous). */
MX_API int mx_tensor_from_host_buffer(void *data, const int64_t *shape, const int64_t *strides,
                                      int ndim, int dtype, void (*deleter)(void *), void *ctx,
                                      mx_tensor *out);
/* Strides in elements and element offset of a tensor view (CPU interop). */
MX_API int mx_tensor_strides(mx_tensor t, const int64_t **strides);
/* Version counter bumped by every in-place write (to detect stale saves). */
MX_API int mx_tensor_version(mx_tensor t, int64_t *version);

/* ---- zero copy (DLPack) ------------------------------------------------------ */

/* Export as a DLManagedTensorVersioned* (DLPack >= 1.0) in *out. The consumer
 * calls its deleter. The exported tensor keeps one reference on `t`. */
MX_API int mx_tensor_to_dlpack(mx_tensor t, void **out);
/* Import a DLManagedTensorVersioned* (versioned=1) or legacy DLManagedTensor*
 * (versioned=0) of host memory (kDLCPU, kDLCUDAHost) or CUDA memory (kDLCUDA,
 * when the CUDA module serves that device; MX_ERR_DEVICE names why not). The
 * caller orders the producer's work first (DLPack's stream argument; see
 * mx_device_native_stream). On success the tensor owns it and calls its
 * deleter when freed; on failure ownership stays with the caller. */
MX_API int mx_tensor_from_dlpack(void *managed, int versioned, mx_tensor *out);

/* ---- registry and invoke ------------------------------------------------------ */

/* JSON manifest of every op: [{"name","aliases","doc","inputs","variadic",
 * "num_outputs","attrs":[{"name","type","default","required","lo","hi",
 * "choices","doc"}],"public","differentiable","backends"}...].
 * The string lives as long as the library. */
MX_API int mx_registry_json(const char **json);
/* Look up an op by name or alias. MX_ERR_NOT_FOUND names the unknown op. */
MX_API int mx_op_lookup(const char *name, mx_op *op);
/* Canonical name of an op (static storage). */
MX_API int mx_op_name(mx_op op, const char **name);
/*
 * Run op on n_in inputs with string attributes (MXNet's "key"="value" form).
 * Outputs: if *n_out > 0 on entry, `outputs` holds *n_out caller tensors to
 * write into (the `out=` form; shapes/dtypes must match the inferred ones);
 * if *n_out == 0 the library allocates outputs, stores up to `max_out` handles
 * in `outputs` (caller owns them) and sets *n_out. Records on the autograd tape
 * when recording is on. Errors name the op, the input shapes/dtypes and the
 * expectation; outputs are untouched on failure.
 */
MX_API int mx_op_invoke(mx_op op, const mx_tensor *inputs, int n_in, const char *const *attr_keys,
                        const char *const *attr_vals, int n_attr, mx_tensor *outputs,
                        int max_out, int *n_out);
/* Fast paths for the commonest eager calls (unary / binary op, no
 * attributes, one output): same semantics and errors as mx_op_invoke with
 * library-allocated output; *out receives a new reference. */
MX_API int mx_op_call1(mx_op op, mx_tensor a, mx_tensor *out);
MX_API int mx_op_call2(mx_op op, mx_tensor a, mx_tensor b, mx_tensor *out);
/* Same as mx_op_invoke but looks the op up by name (convenience, slower). */
MX_API int mx_invoke_by_name(const char *name, const mx_tensor *inputs, int n_in,
                             const char *const *attr_keys, const char *const *attr_vals,
                             int n_attr, mx_tensor *outputs, int max_out, int *n_out);

/* ---- autograd (the tape is per thread) -------------------------------------------- */

/* Set recording on/off; *prev receives the previous state (may be NULL). */
MX_API int mx_autograd_set_recording(int recording, int *prev);
MX_API int mx_autograd_is_recording(int *recording);
/* Set training mode (affects Dropout, BatchNorm); *prev may be NULL. */
MX_API int mx_autograd_set_training(int training, int *prev);
MX_API int mx_autograd_is_training(int *training);
/* Mark tensors as leaves with grad buffers `grads` (retained) and grad_req
 * (MX_GRAD_WRITE/ADD/NULL). grads (or grads[i]) may be NULL: the buffer is
 * then allocated when first needed — by a backward (holding that gradient)
 * or by mx_tensor_grad (zeros) — so inference never pays for it. */
MX_API int mx_autograd_mark_variables(const mx_tensor *vars, const int *grad_reqs,
                                      const mx_tensor *grads, int n);
/* Backward from `heads` with head gradients (NULL entries / NULL array mean
 * ones). retain_graph keeps the tape for another backward; create_graph records
 * the backward computation so gradients can be differentiated again. */
MX_API int mx_autograd_backward(const mx_tensor *heads, const mx_tensor *head_grads, int n_heads,
                                int retain_graph, int create_graph);
/* Compute gradients of heads w.r.t. `vars` and return them in `grads_out`
 * (caller owns) without touching .grad buffers (autograd.grad). */
MX_API int mx_autograd_grad(const mx_tensor *heads, const mx_tensor *head_grads, int n_heads,
                            const mx_tensor *vars, int n_vars, int retain_graph,
                            int create_graph, mx_tensor *grads_out);
/* Gradient callback of a custom node (autograd.Function): ograds holds
 * n_out borrowed output gradients; store n_in new references (or NULL for
 * "no gradient") in igrads. Return 0 on success, non-zero on failure. */
typedef int (*mx_custom_backward_fn)(void *ctx, const mx_tensor *ograds, int n_out, mx_tensor *igrads,
                                     int n_in);
/* Record a node whose forward ran outside the library (e.g. under pause):
 * `outputs` get `inputs` as their history, and backward calls fn(ctx, ...)
 * for their input gradients. release(ctx) (may be NULL) is called exactly
 * once: after a backward without retain_graph has used the node (the tape
 * frees what it saved), when the node is freed, or when this call fails.
 * Gradients returned by fn must match the inputs' shapes. */
MX_API int mx_autograd_record_custom(const mx_tensor *inputs, int n_in, const mx_tensor *outputs, int n_out,
                                     mx_custom_backward_fn fn, void *ctx, void (*release)(void *ctx));
/* Whether a backward wrote each variable's gradient since the last call that
 * cleared it (gluon.Trainer's stale-gradient check, MXNet's fresh_grad).
 * vars: n tensors; an unmarked one reports 0. fresh: n ints (out). clear:
 * non-zero resets the flags after reading. Errors: a freed handle. */
MX_API int mx_autograd_grad_fresh(const mx_tensor *vars, int n, int *fresh, int clear);
/* The recorded history of `head` as MXNet symbol JSON (autograd.get_symbol):
 * marked variables are arguments named var<k>, other leaves null<k>, op nodes
 * node_<k>, attributes those that differ from the op's default. *json is
 * valid until the next call on this thread. Errors: a head that is neither
 * recorded nor marked, a history freed by backward, or one holding a node
 * with no symbol form (a whole-graph run, a Custom op or Function). */
MX_API int mx_autograd_get_symbol(mx_tensor head, const char **json);
/* The grad buffer of a marked variable (new reference), or *grad = NULL. */
MX_API int mx_tensor_grad(mx_tensor t, mx_tensor *grad);
/* A tensor sharing storage but cut from the tape (new reference). */
MX_API int mx_tensor_detach(mx_tensor t, mx_tensor *out);
/* 1 if the tensor has a history on the tape or is a marked variable. */
MX_API int mx_tensor_requires_grad(mx_tensor t, int *requires_grad);

/* ---- graphs (MXNet symbol JSON; the executor behind Symbol and hybridize) ---- */

typedef struct mx_graph_s *mx_graph; /* opaque */
enum { MX_GRAPH_ARGUMENTS = 0, MX_GRAPH_AUX_STATES = 1, MX_GRAPH_OUTPUTS = 2 };

/* Parse an MXNet symbol JSON (nodes/arg_nodes/heads; "attrs", legacy "attr"
 * and "param" keys; 2- or 3-element input entries). Files older than MXNet
 * 1.9.1 get MXNet's load-time upgrades (by their "mxnet_version"): pre-0.9
 * files gain the auxiliary-state variables they left out, and unprefixed
 * hints (lr_mult, ctx_group, ...) become "__lr_mult__" .... Unknown ops,
 * dangling inputs and cycles fail with a message naming the node. Caller
 * owns *out. */
MX_API int mx_graph_from_json(const char *json, mx_graph *out);
/* Serialise in MXNet 1.x symbol JSON. *json is valid until the next call on
 * this graph or its release. */
MX_API int mx_graph_to_json(mx_graph g, const char **json);
/* Release a graph; accepts NULL. */
MX_API int mx_graph_release(mx_graph g);
/* Names of the arguments, auxiliary states (inputs an op updates in place,
 * e.g. BatchNorm's moving stats) or outputs ("<node>_output[i]"), in MXNet's
 * order. *names is valid while the graph lives. */
MX_API int mx_graph_list(mx_graph g, int what, int *n, const char *const **names);
/* Shape/dtype inference. known_json: {"name": {"shape": [..], "dtype": ".."}}
 * for some arguments/aux states. *result_json (valid until the next call on
 * this graph): {"complete": bool, "arguments": {name: {"shape","dtype"} or
 * null}, "aux_states": {...}, "outputs": [...]}. With partial == 0 an
 * argument that cannot be inferred is an error naming it. */
MX_API int mx_graph_infer(mx_graph g, const char *known_json, int partial, const char **result_json);
/* Run the graph once: args/aux in mx_graph_list order (aux may be updated in
 * place when is_train). Outputs are new references (caller owns). When
 * autograd recording is on the ops are recorded, so mx_autograd_backward
 * through the outputs trains the graph. Intermediate buffers are released
 * after their last use; zero-input subgraphs are folded once and cached. */
MX_API int mx_graph_run(mx_graph g, const mx_tensor *args, int n_args, const mx_tensor *aux, int n_aux,
                        int is_train, mx_tensor *outputs, int max_out, int *n_out);

/* ---- host-computed ops in graphs (MXNet's "Custom" op) ---------------------------------
 *
 * A graph node with op "Custom" (MXNet's mx.sym.Custom: attribute "op_type"
 * plus the operator's own string kwargs) is computed by a host callback that
 * a language binding registers once per process: the binding owns the user's
 * operator classes (Python's mx.operator.CustomOpProp/CustomOp), the core
 * owns the graph, the buffers and the tape. What the core asks of the host:
 *   describe  at graph load: input/output counts for the node's attributes;
 *   infer     shapes and dtypes of every input and output (inputs the graph
 *             leaves unknown, such as a label variable, may be filled in);
 *   create    one operator state per graph node and input signature (MXNet's
 *             create_operator, once per bound node), reused by forward and
 *             backward until the input shapes/dtypes change or the graph and
 *             every tape node holding the state are gone;
 *   forward   write out_data (allocated, zeroed, req MX_GRAD_WRITE);
 *   backward  write in_grad (allocated, zeroed; req MX_GRAD_WRITE for the
 *             arguments whose gradient is wanted, MX_GRAD_NULL for the others);
 *   destroy   free a state (exactly once per created state).
 * Inputs are the node's arguments followed by its auxiliary states (inputs
 * the op updates in place; the graph lists the variables feeding them as aux
 * states). Callbacks run on the thread that called mx_graph_run /
 * mx_graph_infer / mx_graph_from_json / mx_autograd_backward, one at a time
 * per call, never on the library's worker threads; autograd recording is
 * off while they run and the training flag is the forward's is_train. They
 * may call back into the library (eager ops on the tensors they are given).
 * Tensors and strings passed to a callback are borrowed for the duration of
 * the call (mx_tensor_retain to keep a tensor). Shapes are passed flattened,
 * MX_MAX_NDIM entries per tensor; ndim -1 / dtype -1 mean "unknown".
 * Every callback but destroy returns 0 on success, non-zero on failure; a
 * failing callback should first call mx_custom_op_set_error with the reason
 * (a Python binding: the exception's type and text). The core then fails the
 * graph call with MX_ERR_INVALID and a message naming the op_type, the node,
 * the stage and that reason; the graph stays usable. */
enum { MX_CUSTOM_HANDLER_VERSION = 1 };
typedef struct mx_custom_handler {
    int32_t version; /* MX_CUSTOM_HANDLER_VERSION: the layout of this struct */
    void *ctx;       /* handed back to every callback */
    /* n_args, n_aux, n_out receive the counts for these attributes; out_names (cap
     * bytes) receives the outputs' names comma separated ("output"), which
     * name the graph's outputs "<node>_<name>". Required. */
    int (*describe)(void *ctx, int n_attr, const char *const *keys, const char *const *vals, int *n_args,
                    int *n_aux, int *n_out, char *out_names, size_t cap);
    /* n_in = n_args + n_aux entries in in_ndim/in_shape/in_dtype (known ones
     * set, unknown ones -1; the host may fill unknown ones and must not change
     * known ones), n_out entries to fill in out_*. Required. */
    int (*infer)(void *ctx, int n_attr, const char *const *keys, const char *const *vals, int n_in,
                 int *in_ndim, int64_t *in_shape, int *in_dtype, int n_out, int *out_ndim, int64_t *out_shape,
                 int *out_dtype);
    /* *state receives the host's operator for these input shapes/dtypes on
     * `device`. Required. */
    int (*create)(void *ctx, int n_attr, const char *const *keys, const char *const *vals, mx_device device,
                  int n_in, const int *in_ndim, const int64_t *in_shape, const int *in_dtype, void **state);
    /* Required. req: n_out MX_GRAD_* values for out_data. */
    int (*forward)(void *ctx, void *state, int is_train, const mx_tensor *in_data, int n_args,
                   const mx_tensor *out_data, const int *req, int n_out, const mx_tensor *aux, int n_aux);
    /* NULL: the op has no gradient (backward through it is an error). req:
     * n_args MX_GRAD_* values for in_grad. out_grad: the gradients of the
     * outputs (zeros for an output nobody differentiated). */
    int (*backward)(void *ctx, void *state, const mx_tensor *out_grad, int n_out, const mx_tensor *in_data,
                    int n_args, const mx_tensor *out_data, const mx_tensor *in_grad, const int *req,
                    const mx_tensor *aux, int n_aux);
    /* May be NULL. Called once per state, on the thread that drops its last
     * user (a graph release, a tape node freed after backward). */
    void (*destroy)(void *ctx, void *state);
} mx_custom_handler;

/* Register the process's host handler for "Custom" nodes (copied; the
 * caller may free the struct; `ctx` must outlive every graph that uses it).
 * A later call replaces it for new states (states already created keep the
 * handler that created them, for their destroy); NULL unregisters, after
 * which Custom nodes fail to load/run with a message saying so.
 * Errors: MX_ERR_INVALID (wrong version, a required callback NULL). */
MX_API int mx_custom_op_set_handler(const mx_custom_handler *handler);
/* Inside a failing callback: the reason the core reports (copied, truncated
 * to ~1 KiB; NULL clears it). Thread-local, like mx_last_error. Never fails. */
MX_API int mx_custom_op_set_error(const char *message);

/* ---- io (MXNet .params / nd.save format) ---------------------------------------------- */

/* Save tensors (names may be NULL for a list file) in MXNet's format. */
MX_API int mx_save(const char *path, const mx_tensor *tensors, const char *const *names, int n);
/* Load a file written by mx_save or by MXNet. Results are kept in a load
 * session: *n receives the count; fetch with mx_load_get; free with
 * mx_load_release. Truncated or corrupt files fail with MX_ERR_IO. */
typedef struct mx_load_s *mx_load_result;
MX_API int mx_load(const char *path, mx_load_result *out, int *n);
MX_API int mx_load_from_buffer(const void *buf, size_t nbytes, mx_load_result *out, int *n);
/* i-th tensor (new reference) and its name ("" for list files; valid while the
 * result lives). */
MX_API int mx_load_get(mx_load_result r, int i, mx_tensor *tensor, const char **name);
/* Storage types of MXNet's sparse arrays (the file's stype field). */
enum { MX_STYPE_DEFAULT = 0, MX_STYPE_ROW_SPARSE = 1, MX_STYPE_CSR = 2 };
/* Save records, some of them sparse, in MXNet's format. Record i has storage
 * type stypes[i] (MX_STYPE_*), logical shape ndims[i] dims taken in order from
 * `shapes` (all records' dims one after another), and takes its components in
 * order from `components`: dense 1 (the array; its shape must equal the
 * record's), row_sparse 2 (data (k, shape[1:]...), indices (k,) int64), csr 3
 * (data (nnz,), indptr (rows+1,) int64, indices (nnz,) int64) — the data
 * first, then MXNet's aux arrays in MXNet's order. Borrowed inputs; names may
 * be NULL (a list file). Errors: MX_ERR_INVALID (bad stype, component shapes
 * or dtypes, naming the record), MX_ERR_HANDLE, MX_ERR_IO. Nothing is left on
 * disk on failure. */
MX_API int mx_save_sparse(const char *path, int n, const int *stypes, const int64_t *shapes, const int *ndims,
                          const mx_tensor *components, const char *const *names);
/* Record i of a load with its storage type: *stype (MX_STYPE_*), its logical
 * shape (room for MX_MAX_NDIM dims) and rank, *n_components new references
 * written to components (room for 3) in mx_save_sparse's order, and its name
 * (valid while the result lives). mx_load_get fails on a sparse record
 * (MX_ERR_UNSUPPORTED, naming it); this works for every record. Any out
 * pointer but components/n_components may be NULL. */
MX_API int mx_load_get_sparse(mx_load_result r, int i, int *stype, int64_t *shape, int *ndim, mx_tensor *components,
                              int *n_components, const char **name);
MX_API int mx_load_release(mx_load_result r);

#ifdef __cplusplus
}
#endif
#endif /* MXCORE_MXCORE_H */
