"""The plumbing every ``mx.np`` function shares: run a registry op and hand back
numpy-mode arrays, turn Python scalars / lists / host numpy arrays into arrays,
promote dtypes the way MXNet 1.9.1's numpy interface does, and fix up the few
legacy shapes (a full reduction gives (1,) in the registry, () in numpy mode).

A numpy-mode array is the same core tensor handle as a legacy NDArray, in a
Python subclass; converting a fresh op result is a class swap (no copy, no new
handle), converting an array someone else holds is one retained handle (the same
tensor, so autograd marks and gradients are shared)."""
from __future__ import annotations

from numbers import Number

import numpy as onp

from ..base import ffi, lib
from ..ndarray import ndarray as _legacy
from ..ndarray.ndarray import NDArray, _get_op, invoke

_NP_CLASS: list = []  # [mx.np.ndarray], set by numpy/ndarray.py


def np_class():
    return _NP_CLASS[0]


def wrap(x):
    """A fresh legacy result (or a list/tuple of them) as numpy-mode arrays, in place."""
    t = type(x)
    if t is NDArray:
        x.__class__ = _NP_CLASS[0]
        return x
    if t in (list, tuple):
        return t(wrap(v) for v in x)
    return x


def _rehandle(x, cls):
    """A `cls` object holding one more reference on `x`'s tensor (no copy)."""
    lib.mx_tensor_retain(x.handle)
    y = object.__new__(cls)
    y.handle = x.handle
    y._shape = x._shape
    y._dtype = x._dtype
    return y


def as_np(x):
    """A numpy-mode handle on the same tensor as `x` (no copy)."""
    if isinstance(x, _NP_CLASS[0]) or not isinstance(x, NDArray):
        return x
    return _rehandle(x, _NP_CLASS[0])


def as_nd(x):
    """A legacy NDArray handle on the same tensor as `x` (no copy)."""
    if type(x) is NDArray or not isinstance(x, NDArray):
        return x
    return _rehandle(x, NDArray)


def as_np_tree(obj):
    """Legacy arrays anywhere in nested lists/tuples as numpy-mode handles."""
    if isinstance(obj, NDArray):
        return as_np(obj)
    if type(obj) in (list, tuple):
        return type(obj)(as_np_tree(v) for v in obj)
    return obj


def as_nd_tree(obj):
    if isinstance(obj, NDArray):
        return as_nd(obj)
    if type(obj) in (list, tuple):
        return type(obj)(as_nd_tree(v) for v in obj)
    return obj


def call(op: str, inputs, attrs=None, out=None):
    """Run registry op `op`; one output -> an array, several -> a list."""
    res = invoke(_get_op(op), list(inputs), attrs, out=out)
    if out is not None:
        return out
    res = [wrap(r) for r in res]
    return res[0] if len(res) == 1 else res


def dtype_of(x) -> onp.dtype:
    return onp.dtype(NDArray.dtype.fget(x))


def cast(x, dtype):
    """`x` in `dtype` (recorded, so differentiable); `x` itself when it already is."""
    dt = onp.dtype(dtype)
    if dtype_of(x) == dt:
        return x
    return call("Cast", [x], {"dtype": dt.name})


def default_ctx(ctx=None, device=None):
    from ..context import Context, current_context
    c = ctx if ctx is not None else device
    if c is None:
        return current_context()
    return c if isinstance(c, Context) else Context(c)


def asarray(x, dtype=None, ctx=None):
    """An array from an array (itself), a host numpy array (its dtype, as MXNet),
    or Python scalars / lists (float32 unless `dtype` says otherwise)."""
    if isinstance(x, NDArray):
        x = as_np(x)
        return x if dtype is None else cast(x, dtype)
    if isinstance(x, (onp.ndarray, onp.generic)) and dtype is None:
        dtype = x.dtype
        if dtype.kind not in "biuf" or dtype == onp.float64 and isinstance(x, onp.generic):
            dtype = onp.float32
    elif dtype is None:
        dtype = onp.float32
    a = _legacy.array(x, ctx=None if ctx is None else default_ctx(ctx), dtype=dtype)
    return wrap(a)


def is_float(dt) -> bool:
    return onp.dtype(dt).kind == "f"


def promote(a, b):
    """MXNet numpy-mode type promotion for two arrays: a float beats any int/bool
    (int32 + float32 -> float32, not numpy's float64), otherwise numpy's rule."""
    da, db = dtype_of(a), dtype_of(b)
    if da == db:
        return a, b
    fa, fb = is_float(da), is_float(db)
    if fa and not fb:
        dt = da
    elif fb and not fa:
        dt = db
    else:
        dt = onp.promote_types(da, db)
    return cast(a, dt), cast(b, dt)


def is_scalar(v) -> bool:
    return isinstance(v, (Number, onp.generic)) and not isinstance(v, onp.ndarray)


def norm_axis(axis, ndim):
    """None, an int or a tuple of ints -> a sorted tuple of non-negative axes (None stays None)."""
    if axis is None:
        return None
    axes = (axis,) if isinstance(axis, (int, onp.integer)) else tuple(axis)
    out = []
    for a in axes:
        a = int(a)
        if not -ndim <= a < max(ndim, 1):
            raise ValueError("axis %d is out of bounds for an array of dimension %d" % (a, ndim))
        out.append(a % max(ndim, 1))
    if len(set(out)) != len(out):
        raise ValueError("duplicate value in 'axis': %r" % (axis,))
    return tuple(sorted(out))


def reduced_shape(shape, axes, keepdims):
    if axes is None:
        axes = tuple(range(len(shape)))
    if keepdims:
        return tuple(1 if i in axes else d for i, d in enumerate(shape))
    return tuple(d for i, d in enumerate(shape) if i not in axes)


def fix_shape(x, shape):
    """Reshape a result to the numpy shape (the registry's full reductions give (1,))."""
    shape = tuple(shape)
    if x.shape == shape:
        return x
    if not _legacy._is_recording():  # a view, no op call
        return wrap(_legacy._reshape_view(x, shape))
    return call("reshape", [x], {"shape": shape})


NULL = ffi.NULL
