"""Op test harness: drives libmxcore's C ABI directly through cffi (no
dependency on the mxcore Python package), so every registry op can be checked
forward against numpy and backward against finite differences.

    from harness import run_op, check_op, check_grad
    check_op("elemwise_add", [a, b], {}, lambda a, b: a + b)
    check_grad("elemwise_mul", [a, b], {})

Library lookup: $MXCORE_HARNESS_LIB, $MXCORE_LIB, else the newest
build*/libmxcore.so or build*/*/libmxcore.so under the repository.
"""
from __future__ import annotations

import glob
import importlib.util
import json
import os

import numpy as np
from cffi import FFI

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
HEADER = os.path.join(ROOT, "include", "mxcore", "mxcore.h")

# numpy dtype <-> mx dtype codes (MXNet's type flags)
NP2MX = {np.dtype("float32"): 0, np.dtype("float64"): 1, np.dtype("float16"): 2, np.dtype("uint8"): 3,
         np.dtype("int32"): 4, np.dtype("int8"): 5, np.dtype("int64"): 6, np.dtype("bool"): 7}
MX2NP = {v: k for k, v in NP2MX.items()}


def _cdef_from_header(path: str) -> str:
    """The header as ffi.cdef text, by the package's own converter
    (bindings/python/mxcore/_cdef.py, standard library only), loaded by path
    so the harness never imports — or depends on — the mxcore package."""
    spec = importlib.util.spec_from_file_location(
        "_mxcore_cdef", os.path.join(ROOT, "bindings", "python", "mxcore", "_cdef.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod.cdef_from_header(path)


def _find_lib() -> str:
    for var in ("MXCORE_HARNESS_LIB", "MXCORE_LIB"):
        if os.environ.get(var):
            return os.environ[var]
    cands = glob.glob(os.path.join(ROOT, "build*", "libmxcore.so")) + \
        glob.glob(os.path.join(ROOT, "build*", "*", "libmxcore.so"))
    # a sanitizer build cannot be dlopen'ed into a plain Python process
    cands = [c for c in cands if "asan" not in os.path.relpath(c, ROOT)]
    cands.sort(key=os.path.getmtime, reverse=True)
    if not cands:
        raise RuntimeError("libmxcore.so not found: build with cmake -B build && cmake --build build, or set MXCORE_LIB")
    return cands[0]


ffi = FFI()
ffi.cdef(_cdef_from_header(HEADER))
lib = ffi.dlopen(_find_lib())


class MXError(RuntimeError):
    pass


def check(rc: int) -> None:
    if rc != 0:
        raise MXError(ffi.string(lib.mx_last_error()).decode())


def manifest() -> dict:
    out = ffi.new("const char **")
    check(lib.mx_registry_json(out))
    return json.loads(ffi.string(out[0]).decode())


def public_ops() -> list[dict]:
    return [op for op in manifest()["ops"] if op["public"]]


def _release(h):
    lib.mx_tensor_release(h)


def to_mx(a) -> "ffi.CData":
    """numpy array -> owned mx_tensor handle (copied)."""
    a = np.require(a, requirements="C")  # keeps 0-d arrays 0-d
    if a.dtype not in NP2MX:
        raise TypeError(f"dtype {a.dtype} not supported by harness")
    shape = ffi.new("int64_t[]", list(a.shape) or [0])
    out = ffi.new("mx_tensor *")
    dev = ffi.new("mx_device *", {"type": 1, "id": 0})
    check(lib.mx_tensor_create(shape, a.ndim, NP2MX[a.dtype], dev[0], out))
    h = ffi.gc(out[0], _release)
    if a.size:
        check(lib.mx_tensor_copy_from_host(h, ffi.from_buffer(a), a.nbytes))
    return h


def from_mx(h) -> np.ndarray:
    nd = ffi.new("int *")
    shp = ffi.new("const int64_t **")
    check(lib.mx_tensor_shape(h, nd, shp))
    dt = ffi.new("int *")
    check(lib.mx_tensor_dtype(h, dt))
    shape = tuple(shp[0][i] for i in range(nd[0]))
    a = np.empty(shape, dtype=MX2NP[dt[0]])
    if a.size:
        check(lib.mx_tensor_copy_to_host(h, ffi.from_buffer(a), a.nbytes))
    return a


def _attr_str(v) -> str:
    if isinstance(v, bool):
        return "True" if v else "False"
    if isinstance(v, (tuple, list)):
        return "(" + ",".join(str(x) for x in v) + ")"
    if isinstance(v, np.dtype) or (isinstance(v, type) and issubclass(v, np.generic)):
        return np.dtype(v).name
    return str(v)


def invoke_handles(name: str, handles, attrs=None, max_out: int = 64):
    """Invoke op `name` on mx_tensor handles; returns output handles."""
    attrs = attrs or {}
    keys = [ffi.new("char[]", k.encode()) for k in attrs]
    vals = [ffi.new("char[]", _attr_str(v).encode()) for v in attrs.values()]
    ins = ffi.new("mx_tensor[]", list(handles) or [ffi.NULL])
    outs = ffi.new("mx_tensor[]", max_out)
    n_out = ffi.new("int *", 0)
    check(lib.mx_invoke_by_name(name.encode(), ins, len(handles), ffi.new("const char *[]", keys or [ffi.NULL]),
                                ffi.new("const char *[]", vals or [ffi.NULL]), len(keys), outs, max_out, n_out))
    return [ffi.gc(outs[i], _release) for i in range(n_out[0])]


def run_op(name: str, inputs, attrs=None) -> list[np.ndarray]:
    """Run op on numpy inputs; returns numpy outputs."""
    hs = [to_mx(np.asarray(x)) for x in inputs]
    return [from_mx(h) for h in invoke_handles(name, hs, attrs)]


def check_op(name: str, inputs, attrs, ref, rtol=1e-5, atol=1e-6, out_index=None):
    """Forward check against `ref(*inputs)` (an array or a tuple of arrays)."""
    outs = run_op(name, inputs, attrs)
    want = ref(*inputs)
    if not isinstance(want, (tuple, list)):
        want = [want]
        if out_index is not None:
            outs = [outs[out_index]]
        else:
            outs = outs[:1]
    for got, exp in zip(outs, want):
        exp = np.asarray(exp)
        assert got.shape == exp.shape, f"{name}: shape {got.shape} != expected {exp.shape}"
        np.testing.assert_allclose(got.astype(np.float64) if got.dtype != np.bool_ else got,
                                   exp.astype(np.float64) if exp.dtype != np.bool_ else exp,
                                   rtol=rtol, atol=atol, err_msg=f"op {name} attrs {attrs}")
    return outs


def _set_recording(on: bool):
    check(lib.mx_autograd_set_recording(1 if on else 0, ffi.NULL))


def autograd_grads(name, inputs, attrs, wrt, head_weights, out_index=0, training=True):
    """Analytic gradients of sum(out[out_index] * head_weights) w.r.t. inputs[wrt]."""
    hs = [to_mx(np.asarray(x)) for x in inputs]
    vars_ = ffi.new("mx_tensor[]", [hs[i] for i in wrt])
    reqs = ffi.new("int[]", [1] * len(wrt))
    check(lib.mx_autograd_mark_variables(vars_, reqs, ffi.NULL, len(wrt)))
    prev = ffi.new("int *")
    check(lib.mx_autograd_set_training(1 if training else 0, prev))
    _set_recording(True)
    try:
        outs = invoke_handles(name, hs, attrs)
    finally:
        _set_recording(False)
        lib.mx_autograd_set_training(prev[0], ffi.NULL)
    head = outs[out_index]
    hg = to_mx(np.asarray(head_weights, dtype=from_mx(head).dtype))
    check(lib.mx_autograd_backward(ffi.new("mx_tensor[]", [head]), ffi.new("mx_tensor[]", [hg]), 1, 0, 0))
    grads = []
    for i in wrt:
        g = ffi.new("mx_tensor *")
        check(lib.mx_tensor_grad(hs[i], g))
        grads.append(from_mx(ffi.gc(g[0], _release)))
    return grads


def check_grad(name: str, inputs, attrs=None, wrt=None, out_index=0, eps=1e-4, rtol=1e-2, atol=1e-3,
               seed=0, training=True):
    """Compare autograd gradients with central finite differences.

    Use float64 inputs where the op supports them; `wrt` lists the input
    indices to differentiate (default: all floating inputs)."""
    attrs = attrs or {}
    inputs = [np.array(x, copy=True) for x in inputs]
    if wrt is None:
        wrt = [i for i, x in enumerate(inputs) if np.issubdtype(x.dtype, np.floating)]
    rng = np.random.default_rng(seed)
    out0 = run_op(name, inputs, attrs)[out_index]
    w = rng.uniform(-1, 1, size=out0.shape).astype(out0.dtype)
    analytic = autograd_grads(name, inputs, attrs, wrt, w, out_index, training)

    def f(xs):
        return float(np.sum(run_op(name, xs, attrs)[out_index].astype(np.float64) * w))

    for gi, i in zip(analytic, wrt):
        x = inputs[i]
        num = np.zeros(x.shape, dtype=np.float64)
        it = np.nditer(x, flags=["multi_index"])
        for _ in it:
            idx = it.multi_index
            orig = x[idx].copy()
            x[idx] = orig + eps
            fp = f(inputs)
            x[idx] = orig - eps
            fm = f(inputs)
            x[idx] = orig
            num[idx] = (fp - fm) / (2 * eps)
        assert gi.shape == x.shape, f"{name}: grad shape {gi.shape} != input shape {x.shape}"
        np.testing.assert_allclose(gi.astype(np.float64), num, rtol=rtol, atol=atol,
                                   err_msg=f"gradient of {name} w.r.t. input {i}, attrs {attrs}")
    return analytic


def expect_error(name, inputs, attrs=None, contains=()):
    """Run op expecting MXError whose message contains every string in `contains`."""
    try:
        run_op(name, inputs, attrs)
    except MXError as e:
        msg = str(e)
        for s in contains:
            assert s in msg, f"error for {name} lacks {s!r}: {msg}"
        return msg
    raise AssertionError(f"{name}: expected an error for inputs {[np.shape(x) for x in inputs]} attrs {attrs}")
