"""The host handler that runs ``Custom`` nodes of core graphs (mx.sym.Custom,
F.Custom in hybridized blocks, MXNet model files) through the operators
registered with ``mx.operator.register``.

The core calls these cffi callbacks (``mx_custom_handler`` in mxcore.h) on the
thread that runs the graph, with the GIL taken by cffi for each callback:

* describe: list_arguments / list_auxiliary_states / list_outputs of the
  node's CustomOpProp (built from its string attributes, as MXNet does);
* infer: the prop's infer_shape and infer_type (shapes are lists, unknown ones
  ``[]``; an unknown input dtype is the data's);
* create: ``create_operator(ctx, shapes, dtypes)``, once per graph node and
  input signature; the CustomOp is kept here until the core destroys it;
* forward / backward: the CustomOp's methods on NDArrays that share the
  core's buffers (``req`` as strings).

A Python exception in any of them is handed to the core as the failure's
reason ("<type>: <message>"); the core raises it from the graph call as an
MXNetError that names the op_type and the node. Nothing here raises into C."""
from __future__ import annotations

import numpy as np

from .base import MXNetError, dtype_from_mx, ffi, lib, mx_dtype, py_str

_MAX_NDIM = 10
_REQ = {0: "null", 1: "write", 2: "inplace", 3: "add"}
_STATES: dict = {}  # id of a state handle -> (the cffi handle, the CustomOp)


def _fail(exc: BaseException) -> int:
    try:
        lib.mx_custom_op_set_error(("%s: %s" % (type(exc).__name__, exc)).encode("utf-8", "replace"))
    except BaseException:  # noqa: BLE001  (interpreter shutting down: the core reports a bare failure)
        pass
    return -1


def _guarded(fn):
    """A callback body that reports exceptions to the core instead of raising into C."""
    def call(*args):
        try:
            fn(*args)
            return 0
        except BaseException as e:  # noqa: BLE001  (KeyboardInterrupt too: C must get a status)
            return _fail(e)
    call.__name__ = fn.__name__
    return call


def _prop(n_attr, keys, vals):
    from .operator import make_prop
    attrs = {py_str(keys[i]): py_str(vals[i]) for i in range(n_attr)}
    return make_prop(attrs.pop("op_type", None), attrs)


def _shapes(n, ndim, shape):
    """Shapes as MXNet hands them to infer_shape/create_operator: lists ([] unknown)."""
    return [[int(shape[j * _MAX_NDIM + d]) for d in range(max(ndim[j], 0))] for j in range(n)]


def _write_shape(j, s, ndim, shape, what):
    s = tuple(s)
    if len(s) > _MAX_NDIM:
        raise MXNetError("infer_shape gave %s a shape of %d dims (at most %d)" % (what, len(s), _MAX_NDIM))
    ndim[j] = len(s)
    for d, v in enumerate(s):
        shape[j * _MAX_NDIM + d] = int(v)


def _np_type(code):
    return None if code < 0 else dtype_from_mx(code).type


def _checked(res, what, counts, names):
    from .operator import _triple
    parts = _triple(res, what, "")
    for part, n, label in zip(parts, counts, names):
        if len(part) != n:
            raise MXNetError("%s returned %d %s, the operator has %d" % (what, len(part), label, n))
    return parts


@_guarded
def _describe(ctx, n_attr, keys, vals, n_args, n_aux, n_out, out_names, cap):
    prop = _prop(n_attr, keys, vals)
    outs = list(prop.list_outputs())
    names = ",".join(outs).encode()
    if len(names) >= cap:
        raise MXNetError("list_outputs names are too long (%d bytes)" % len(names))
    n_args[0], n_aux[0], n_out[0] = len(prop.list_arguments()), len(prop.list_auxiliary_states()), len(outs)
    ffi.memmove(out_names, names + b"\0", len(names) + 1)


@_guarded
def _infer(ctx, n_attr, keys, vals, n_in, in_ndim, in_shape, in_dtype, n_out, out_ndim, out_shape, out_dtype):
    prop = _prop(n_attr, keys, vals)
    n_args = len(prop.list_arguments())
    counts = (n_args, n_out, n_in - n_args)
    labels = ("argument shapes", "output shapes", "auxiliary shapes")
    known = [in_ndim[j] >= 0 for j in range(n_in)]
    args_s, outs_s, aux_s = _checked(prop.infer_shape(_shapes(n_args, in_ndim, in_shape)), "infer_shape", counts,
                                     labels)
    for j, s in enumerate(list(args_s) + list(aux_s)):
        if known[j] or len(tuple(s)):  # a () for an unknown input leaves it unknown
            _write_shape(j, s, in_ndim, in_shape, "input %d" % j)
    for k, s in enumerate(outs_s):
        _write_shape(k, s, out_ndim, out_shape, "output %d" % k)
    data_t = next((_np_type(in_dtype[j]) for j in range(n_in) if in_dtype[j] >= 0), np.float32)
    in_t = [_np_type(in_dtype[j]) or data_t for j in range(n_args)]
    args_t, outs_t, aux_t = _checked(prop.infer_type(in_t), "infer_type", counts,
                                     ("argument types", "output types", "auxiliary types"))
    for j, t in enumerate(list(args_t) + list(aux_t)):
        if t is not None:
            in_dtype[j] = mx_dtype(t)
    for k, t in enumerate(outs_t):
        out_dtype[k] = mx_dtype(t if t is not None else data_t)


@_guarded
def _create(ctx, n_attr, keys, vals, device, n_in, in_ndim, in_shape, in_dtype, state):
    from .context import Context
    prop = _prop(n_attr, keys, vals)
    op = prop.create_operator(Context(device.type, device.id), _shapes(n_in, in_ndim, in_shape),
                              [_np_type(in_dtype[j]) for j in range(n_in)])
    handle = ffi.new_handle(op)
    _STATES[int(ffi.cast("uintptr_t", handle))] = (handle, op)
    state[0] = handle


def _arrays(handles, n):
    from .ndarray.ndarray import _new
    out = []
    for i in range(n):
        lib.mx_tensor_retain(handles[i])  # borrowed from the core: the NDArray holds its own reference
        out.append(_new(handles[i]))
    return out


def _op(state):
    return _STATES[int(ffi.cast("uintptr_t", state))][1]


@_guarded
def _forward(ctx, state, is_train, in_data, n_args, out_data, req, n_out, aux, n_aux):
    _op(state).forward(bool(is_train), [_REQ.get(req[k], "write") for k in range(n_out)], _arrays(in_data, n_args),
                       _arrays(out_data, n_out), _arrays(aux, n_aux))


@_guarded
def _backward(ctx, state, out_grad, n_out, in_data, n_args, out_data, in_grad, req, aux, n_aux):
    _op(state).backward([_REQ.get(req[j], "write") for j in range(n_args)], _arrays(out_grad, n_out),
                        _arrays(in_data, n_args), _arrays(out_data, n_out), _arrays(in_grad, n_args),
                        _arrays(aux, n_aux))


def _destroy(ctx, state):
    try:
        _STATES.pop(int(ffi.cast("uintptr_t", state)), None)
    except BaseException:  # noqa: BLE001  (interpreter shutdown: nothing left to free)
        pass


_CALLBACKS = None  # the cffi callbacks and the handler struct: alive while the library is


def install() -> None:
    """Register the handler with the core (once per process)."""
    global _CALLBACKS
    if _CALLBACKS is not None:
        return
    h = ffi.new("mx_custom_handler *")
    h.version = lib.MX_CUSTOM_HANDLER_VERSION
    fields = dict(ffi.typeof("mx_custom_handler").fields)
    cbs = {name: ffi.callback(fields[name].type, fn, error=-1)
           for name, fn in (("describe", _describe), ("infer", _infer), ("create", _create), ("forward", _forward),
                            ("backward", _backward))}
    cbs["destroy"] = ffi.callback(fields["destroy"].type, _destroy)
    for name, cb in cbs.items():
        setattr(h, name, cb)
    if lib.mx_custom_op_set_handler(h):
        raise MXNetError(py_str(lib.mx_last_error()))
    _CALLBACKS = (h, cbs)

