"""Array creation of ``mx.np``. MXNet 1.9.1's rule: values from Python scalars and
lists are float32 unless ``dtype`` says otherwise (``np.array([1, 2])`` is float32,
``np.arange(5)`` is float32, ``np.full((2,), 7)`` is float32); a host numpy array
keeps its dtype. ``ctx=`` (MXNet 1.x) and ``device=`` (2.x) both pick the device."""
from __future__ import annotations

import numpy as onp

from ..ndarray import ndarray as _legacy
from ..ndarray.ndarray import NDArray
from . import _core
from ._core import call, default_ctx, wrap

__all__ = ["array", "asarray", "zeros", "ones", "empty", "full", "zeros_like", "ones_like", "empty_like",
           "full_like", "arange", "linspace", "logspace", "eye", "identity", "meshgrid", "copy", "tri"]


def _shape(shape):
    if isinstance(shape, (int, onp.integer)):
        return (int(shape),)
    return tuple(int(s) for s in shape)


def _dtype(dtype):
    return onp.float32 if dtype is None else onp.dtype(dtype)


def array(object, dtype=None, ctx=None, device=None, copy=True):  # noqa: A002  (numpy's name)
    """A new array holding `object` (an array, a host numpy array, scalars or nested lists)."""
    c = default_ctx(ctx, device)
    if isinstance(object, NDArray):
        dt = object.dtype if dtype is None else onp.dtype(dtype)
        return wrap(NDArray.astype(object.as_in_context(c), dt, copy=True))  # np.array copies
    if isinstance(object, (list, tuple)) and object and any(isinstance(v, NDArray) for v in object):
        object = [v.asnumpy() if isinstance(v, NDArray) else v for v in object]
        if dtype is None:
            dtype = onp.result_type(*[onp.asarray(v) for v in object])
    return _core.asarray(object, dtype=dtype, ctx=c)


def asarray(a, dtype=None, ctx=None, device=None):
    if isinstance(a, _core.np_class()) and dtype is None and ctx is None and device is None:
        return a
    return array(a, dtype=dtype, ctx=ctx, device=device)


def empty(shape, dtype=None, order="C", ctx=None, device=None):
    return wrap(_legacy.empty(_shape(shape), ctx=default_ctx(ctx, device), dtype=_dtype(dtype)))


def zeros(shape, dtype=None, order="C", ctx=None, device=None):
    return wrap(_legacy.zeros(_shape(shape), ctx=default_ctx(ctx, device), dtype=_dtype(dtype)))


def ones(shape, dtype=None, order="C", ctx=None, device=None):
    return wrap(_legacy.ones(_shape(shape), ctx=default_ctx(ctx, device), dtype=_dtype(dtype)))


def full(shape, fill_value, dtype=None, order="C", ctx=None, device=None, out=None):
    if isinstance(fill_value, NDArray):
        from .manipulation import broadcast_to
        v = fill_value if dtype is None else _core.cast(fill_value, dtype)
        return broadcast_to(v, _shape(shape)).copy()
    r = wrap(_legacy.full(_shape(shape), fill_value, ctx=default_ctx(ctx, device), dtype=_dtype(dtype)))
    if out is not None:
        out[...] = r
        return out
    return r


def _like(a, dtype):
    a = _core.asarray(a)
    return a, (a.dtype if dtype is None else onp.dtype(dtype))


def zeros_like(a, dtype=None, order="C", ctx=None, device=None, out=None):
    a, dt = _like(a, dtype)
    if ctx is None and device is None and dt == a.dtype:
        return call("zeros_like", [a])  # recorded: a zero gradient path, as MXNet
    return zeros(a.shape, dt, ctx=ctx or a.context, device=device)


def ones_like(a, dtype=None, order="C", ctx=None, device=None, out=None):
    a, dt = _like(a, dtype)
    if ctx is None and device is None and dt == a.dtype:
        return call("ones_like", [a])
    return ones(a.shape, dt, ctx=ctx or a.context, device=device)


def empty_like(prototype, dtype=None, order="C", subok=False, shape=None):
    a, dt = _like(prototype, dtype)
    return empty(a.shape if shape is None else shape, dt, ctx=a.context)


def full_like(a, fill_value, dtype=None, order="C", ctx=None, device=None, out=None):
    a, dt = _like(a, dtype)
    return full(a.shape, fill_value, dt, ctx=ctx or a.context, device=device)


def arange(start, stop=None, step=1, dtype=None, ctx=None, device=None):
    """Evenly spaced values in [start, stop); float32 unless `dtype` says otherwise."""
    if stop is None:
        start, stop = 0, start
    if step == 0:
        raise ValueError("arange: step must not be zero")
    n = max(0, int(onp.ceil((stop - start) / step)))
    dt = _dtype(dtype)
    if n == 0:
        return empty((0,), dt, ctx=ctx, device=device)
    a = _legacy.arange(start, stop, step, ctx=default_ctx(ctx, device), dtype=dt)
    return wrap(a)


def linspace(start, stop, num=50, endpoint=True, retstep=False, dtype=None, axis=0, ctx=None, device=None):
    dt = _dtype(dtype)
    vals, step = onp.linspace(start, stop, num, endpoint=endpoint, retstep=True)
    if onp.dtype(dt).kind in "iu":
        vals = onp.floor(vals)
    r = _core.asarray(vals.astype(dt), dtype=dt, ctx=default_ctx(ctx, device))
    return (r, step) if retstep else r


def logspace(start, stop, num=50, endpoint=True, base=10.0, dtype=None, axis=0, ctx=None, device=None):
    vals = onp.logspace(start, stop, num, endpoint=endpoint, base=base)
    return _core.asarray(vals.astype(_dtype(dtype)), ctx=default_ctx(ctx, device))


def eye(N, M=None, k=0, dtype=None, ctx=None, device=None):
    return _core.asarray(onp.eye(N, M, k, dtype=_dtype(dtype)), ctx=default_ctx(ctx, device))


def identity(n, dtype=None, ctx=None, device=None):
    return eye(n, dtype=dtype, ctx=ctx, device=device)


def tri(N, M=None, k=0, dtype=None, ctx=None, device=None):
    return _core.asarray(onp.tri(N, M, k, dtype=_dtype(dtype)), ctx=default_ctx(ctx, device))


def meshgrid(*xi, indexing="xy", sparse=False, copy=True):
    """Coordinate matrices from coordinate vectors (broadcasts of reshaped inputs)."""
    from .manipulation import broadcast_to
    xs = [_core.asarray(x).reshape(-1) for x in xi]
    n = len(xs)
    shape = [x.size for x in xs]
    if indexing == "xy" and n > 1:
        shape[0], shape[1] = shape[1], shape[0]
    out = []
    for i, x in enumerate(xs):
        s = [1] * n
        ax = i
        if indexing == "xy" and n > 1 and i < 2:
            ax = 1 - i
        s[ax] = x.size
        v = x.reshape(tuple(s))
        out.append(v if sparse else broadcast_to(v, tuple(shape)))
    return out


def copy(a):
    return _core.asarray(a).copy()
