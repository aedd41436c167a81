"""Reductions, sorting and searching of ``mx.np`` with numpy's keywords (``axis``
int/tuple/None, ``keepdims``, ``dtype``, ``ddof``) on the registry's reduce ops.
Full reductions give 0-d arrays; argmax/argmin/argsort give int64, sum of booleans
int64 and the mean of integers float32 (MXNet 1.9.1's results)."""
from __future__ import annotations

import builtins

import numpy as onp

from . import _core
from ._core import call, cast, dtype_of, fix_shape, is_float, norm_axis, reduced_shape

__all__ = ["sum", "mean", "prod", "max", "min", "amax", "amin", "std", "var", "argmax", "argmin", "cumsum",
           "all", "any", "sort", "argsort", "nonzero", "where", "unique", "count_nonzero", "average",
           "argwhere", "ptp", "searchsorted"]


def _finish(r, shape, out):
    r = fix_shape(r, shape)
    if out is not None:
        out[...] = r
        return out
    return r


def _reduce(op, a, axis, keepdims, out, dtype=None, pre_dtype=None):
    a = _core.asarray(a)
    axes = norm_axis(axis, a.ndim)
    if pre_dtype is not None and dtype_of(a) != onp.dtype(pre_dtype):
        a = cast(a, pre_dtype)
    if dtype is not None:
        a = cast(a, dtype)
    shape = reduced_shape(a.shape, axes, keepdims)
    if axes == () or a.ndim == 0:
        return _finish(a.copy() if out is None else a, shape, out)
    attrs = {"keepdims": bool(keepdims)}
    if axes is not None:
        attrs["axis"] = axes
    return _finish(call(op, [a], attrs), shape, out)


def _sum_dtype(a):
    dt = dtype_of(a)
    return onp.int64 if dt == onp.bool_ else None


def sum(a, axis=None, dtype=None, out=None, keepdims=False, initial=None, where=None):  # noqa: A001
    a = _core.asarray(a)
    r = _reduce("sum", a, axis, keepdims, None, dtype, _sum_dtype(a))
    if initial is not None:
        r = r + initial
    return _finish(r, r.shape, out)


def mean(a, axis=None, dtype=None, out=None, keepdims=False):
    a = _core.asarray(a)
    return _reduce("mean", a, axis, keepdims, out, dtype, None if is_float(dtype_of(a)) else onp.float32)


def prod(a, axis=None, dtype=None, out=None, keepdims=False, initial=None):
    a = _core.asarray(a)
    return _reduce("prod", a, axis, keepdims, out, dtype, _sum_dtype(a))


def max(a, axis=None, out=None, keepdims=False):  # noqa: A001
    a = _core.asarray(a)
    if a.size == 0:
        raise ValueError("zero-size array to reduction operation maximum which has no identity")
    return _reduce("max", a, axis, keepdims, out)


def min(a, axis=None, out=None, keepdims=False):  # noqa: A001
    a = _core.asarray(a)
    if a.size == 0:
        raise ValueError("zero-size array to reduction operation minimum which has no identity")
    return _reduce("min", a, axis, keepdims, out)


amax, amin = max, min


def var(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False):
    """Mean squared deviation from the mean, divided by N - ddof (composed of
    registry ops, so it is differentiable)."""
    a = _core.asarray(a)
    if not is_float(dtype_of(a)):
        a = cast(a, onp.float32)
    if dtype is not None:
        a = cast(a, dtype)
    axes = norm_axis(axis, a.ndim)
    n = a.size if axes is None else int(onp.prod([a.shape[i] for i in axes]))
    m = mean(a, axis=axes, keepdims=True)
    d = a - m
    s = sum(d * d, axis=axes, keepdims=keepdims)
    return _finish(s / builtins.max(n - ddof, 0), s.shape, out)


def std(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False):
    v = var(a, axis=axis, dtype=dtype, ddof=ddof, keepdims=keepdims)
    return _finish(call("sqrt", [v]), v.shape, out)


def _arg(op, a, axis, out, keepdims=False):
    a = _core.asarray(a)
    if axis is None:
        a, axis = a.reshape(-1), 0
    ax = norm_axis(axis, a.ndim)[0]
    shape = reduced_shape(a.shape, (ax,), keepdims)
    r = call(op, [a], {"axis": ax, "keepdims": bool(keepdims)})
    return _finish(cast(r, onp.int64), shape, out)


def argmax(a, axis=None, out=None, keepdims=False):
    return _arg("argmax", a, axis, out, keepdims)


def argmin(a, axis=None, out=None, keepdims=False):
    return _arg("argmin", a, axis, out, keepdims)


def cumsum(a, axis=None, dtype=None, out=None):
    a = _core.asarray(a)
    if dtype_of(a) == onp.bool_:
        a = cast(a, onp.int64)
    if axis is None:
        a, axis = a.reshape(-1), 0
    attrs = {"axis": axis}
    if dtype is not None:
        attrs["dtype"] = onp.dtype(dtype).name
    r = call("_np_cumsum", [a], attrs)
    return _finish(r, r.shape, out)


def all(a, axis=None, out=None, keepdims=False):  # noqa: A001
    a = _core.asarray(a)
    nz = cast(a != 0, onp.float32)
    return cast(_reduce("min", nz, axis, keepdims, None) if a.size else _core.asarray(1.0), onp.bool_)


def any(a, axis=None, out=None, keepdims=False):  # noqa: A001
    a = _core.asarray(a)
    nz = cast(a != 0, onp.float32)
    return cast(_reduce("max", nz, axis, keepdims, None) if a.size else _core.asarray(0.0), onp.bool_)


def count_nonzero(a, axis=None, keepdims=False):
    a = _core.asarray(a)
    return sum(cast(a != 0, onp.int64), axis=axis, keepdims=keepdims)


def average(a, axis=None, weights=None, returned=False):
    a = _core.asarray(a)
    if weights is None:
        avg, wsum = mean(a, axis=axis), None
    else:
        w = _core.asarray(weights)
        if w.shape != a.shape and axis is not None:
            shp = [1] * a.ndim
            shp[axis] = w.size
            w = w.reshape(shp)
        wsum = sum(w * _core.asarray(onp.ones(a.shape, dtype=w.dtype)), axis=axis)
        avg = sum(a * w, axis=axis) / wsum
    if returned:
        return avg, (wsum if wsum is not None else _core.asarray(float(a.size if axis is None else a.shape[axis])))
    return avg


def ptp(a, axis=None, keepdims=False):
    return max(a, axis=axis, keepdims=keepdims) - min(a, axis=axis, keepdims=keepdims)


def sort(a, axis=-1, kind=None, order=None):
    a = _core.asarray(a)
    if axis is None:
        a, axis = a.reshape(-1), 0
    return call("sort", [a], {"axis": axis, "is_ascend": True})


def argsort(a, axis=-1, kind=None, order=None):
    a = _core.asarray(a)
    if axis is None:
        a, axis = a.reshape(-1), 0
    return call("argsort", [a], {"axis": axis, "is_ascend": True, "dtype": "int64"})


def nonzero(a):
    """Indices of the non-zero elements, one int64 array per axis (computed on the host)."""
    a = _core.asarray(a)
    host = onp.nonzero(a.asnumpy())
    return tuple(_core.asarray(i.astype(onp.int64), ctx=a.context) for i in host)


def argwhere(a):
    a = _core.asarray(a)
    return _core.asarray(onp.argwhere(a.asnumpy()).astype(onp.int64), ctx=a.context)


def where(condition, x=None, y=None):
    """Elements of x where condition, else of y (numpy broadcasting; a scalar x or y
    takes the other's dtype). One argument: nonzero(condition)."""
    if x is None and y is None:
        return nonzero(condition)
    if x is None or y is None:
        raise ValueError("where: either both or neither of x and y should be given")
    from .manipulation import broadcast_to
    cond = _core.asarray(condition)
    xs, ys = _core.is_scalar(x), _core.is_scalar(y)
    if xs and ys:
        dt = onp.float32
        xa, ya = _core.asarray(x, dtype=dt, ctx=cond.context), _core.asarray(y, dtype=dt, ctx=cond.context)
    elif xs:
        ya = _core.asarray(y)
        xa = _core.asarray(x, dtype=ya.dtype, ctx=ya.context)
    elif ys:
        xa = _core.asarray(x)
        ya = _core.asarray(y, dtype=xa.dtype, ctx=xa.context)
    else:
        xa, ya = _core.promote(_core.asarray(x), _core.asarray(y))
    shape = onp.broadcast_shapes(cond.shape, xa.shape, ya.shape)
    cond = broadcast_to(cast(cond, xa.dtype), shape)
    return call("where", [cond, broadcast_to(xa, shape), broadcast_to(ya, shape)])


def unique(ar, return_index=False, return_inverse=False, return_counts=False, axis=None):
    """Sorted unique elements (computed on the host; not differentiable)."""
    a = _core.asarray(ar)
    res = onp.unique(a.asnumpy(), return_index, return_inverse, return_counts, axis)
    if not isinstance(res, tuple):
        return _core.asarray(res, ctx=a.context)
    return tuple(_core.asarray(r if r.dtype == a.dtype else r.astype(onp.int64), ctx=a.context) for r in res)


def searchsorted(a, v, side="left", sorter=None):
    a = _core.asarray(a)
    host = onp.searchsorted(a.asnumpy(), onp.asarray(v), side=side, sorter=sorter)
    return _core.asarray(onp.asarray(host, dtype=onp.int64), ctx=a.context)
