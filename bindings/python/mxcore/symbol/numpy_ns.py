"""``F.np`` / ``F.npx`` inside a traced ``hybrid_forward`` (``mx.sym.np``,
``mx.sym.npx``): the numpy-mode names mapped onto the same registry ops as
``mx.np`` / ``mx.npx``, built from their tables, producing Symbols. Shapes are
known while tracing, so npx.reshape's codes and numpy broadcasting resolve then.
Comparisons give 0/1 in the input dtype inside graphs (not bool)."""
from __future__ import annotations

import types

from ..numpy import math_ops as _math
from ..numpy.ndarray import _ARITH, _COMPARE
from ..numpy_extension import ops as _npx_ops


def _op(name):
    from . import _invoke_sym
    return lambda inputs, attrs: _invoke_sym(name, tuple(inputs), attrs)


def _unary(op):
    call = _op(op)
    return lambda x, out=None, **kw: call([x], {})


def _binary(kind):
    table = _COMPARE if kind in _COMPARE else _ARITH
    bop, sop, rsop = table[kind]

    def fn(x1, x2, out=None, **kw):
        from .symbol import Symbol
        if isinstance(x1, Symbol) and isinstance(x2, Symbol):
            return _op(bop)([x1, x2], {})
        if isinstance(x1, Symbol):
            return _op(sop)([x1], {"scalar": x2})
        return _op(rsop)([x2], {"scalar": x1})
    return fn


def _reduce(op):
    call = _op(op)

    def fn(a, axis=None, dtype=None, out=None, keepdims=False, **kw):
        attrs = {"keepdims": keepdims}
        if axis is not None:
            attrs["axis"] = axis
        return call([a], attrs)
    return fn


def _np_namespace():
    from .. import symbol as _s
    ns = {}
    for n, op in list(_math._UNARY_FLOAT.items()) + list(_math._UNARY_SAME.items()):
        ns[n] = _unary(op)
    for n, kind in _math._BINARY.items():
        ns[n] = _binary(kind)
    for n in ("sum", "mean", "max", "min", "prod"):
        ns[n] = _reduce(n)
    ns["amax"], ns["amin"] = ns["max"], ns["min"]
    ns["argmax"] = lambda a, axis=None: _op("argmax")([a], {} if axis is None else {"axis": axis})
    ns["argmin"] = lambda a, axis=None: _op("argmin")([a], {} if axis is None else {"axis": axis})
    ns["reshape"] = lambda a, newshape, order="C": _op("reshape")([a], {"shape": newshape})
    ns["transpose"] = lambda a, axes=None: _op("transpose")([a], {} if axes is None else {"axes": axes})
    ns["swapaxes"] = lambda a, axis1, axis2: _op("swapaxes")([a], {"dim1": axis1, "dim2": axis2})
    ns["expand_dims"] = lambda a, axis: _op("expand_dims")([a], {"axis": axis})
    ns["squeeze"] = lambda a, axis=None: _op("squeeze")([a], {} if axis is None else {"axis": axis})
    ns["concatenate"] = lambda seq, axis=0, out=None: _op("concat")(list(seq), {"num_args": len(seq), "dim": axis})
    ns["stack"] = lambda arrays, axis=0, out=None: _op("stack")(list(arrays), {"num_args": len(arrays),
                                                                                "axis": axis})
    ns["dot"] = lambda a, b, out=None: _op("dot")([a, b], {})
    ns["matmul"] = lambda a, b, out=None: _op("batch_dot" if len(a._known_shape() or ()) == 3 else "dot")([a, b], {})
    ns["where"] = lambda c, x, y: _op("where")([c, x, y], {})
    ns["clip"] = lambda a, a_min, a_max, out=None: _op("clip")([a], {"a_min": a_min, "a_max": a_max})
    ns["zeros_like"] = lambda a, dtype=None: _op("zeros_like")([a], {})
    ns["ones_like"] = lambda a, dtype=None: _op("ones_like")([a], {})
    ns["broadcast_to"] = lambda a, shape: _op("broadcast_to")([a], {"shape": shape})
    ns["tile"] = lambda a, reps: _op("tile")([a], {"reps": reps})
    ns["repeat"] = lambda a, repeats, axis=None: _op("repeat")([a], {"repeats": repeats, "axis": axis})
    ns["zeros"] = lambda shape, dtype=None, **kw: _s.zeros(shape, dtype=dtype)
    ns["ones"] = lambda shape, dtype=None, **kw: _s.ones(shape, dtype=dtype)
    ns["full"] = lambda shape, fill_value, dtype=None, **kw: _s.full(shape, fill_value, dtype=dtype)
    ns["arange"] = lambda start, stop=None, step=1, dtype=None, **kw: _s.arange(start, stop, step, dtype=dtype)
    ns["clip"] = lambda a, a_min=None, a_max=None, out=None: _op("clip")(
        [a], {"a_min": -3.4e38 if a_min is None else a_min, "a_max": 3.4e38 if a_max is None else a_max})
    return ns


def _npx_namespace():
    ns = {n: (lambda op: lambda *args, **kw: _op(op)([a for a in args], {k: v for k, v in kw.items()
                                                                       if v is not None}))(op)
          for n, op in _npx_ops._OPS.items()}

    def reshape(a, newshape, reverse=False, order="C"):
        from ..numpy_extension.ops import _npx_target
        shape = a._known_shape()
        if shape is None:
            raise ValueError("npx.reshape on a Symbol needs the input shape (known while tracing)")
        return _op("reshape")([a], {"shape": _npx_target(shape, newshape, reverse)})
    ns["reshape"] = reshape
    return ns


def make(qualname_prefix):
    np_mod = types.ModuleType(qualname_prefix + ".np", "numpy-mode ops on Symbols (F.np while tracing).")
    np_mod.__dict__.update(_np_namespace())
    npx_mod = types.ModuleType(qualname_prefix + ".npx", "npx ops on Symbols (F.npx while tracing).")
    npx_mod.__dict__.update(_npx_namespace())
    return np_mod, npx_mod
