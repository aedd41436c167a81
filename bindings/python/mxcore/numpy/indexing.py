"""Index-based selection of ``mx.np`` on the registry's ``take``/``pick``-family ops."""
from __future__ import annotations

import numpy as onp

from . import _core
from ._core import call

__all__ = ["take", "take_along_axis"]


def take(a, indices, axis=None, mode="raise", out=None):
    a = _core.asarray(a)
    idx = indices if isinstance(indices, _core.NDArray) else _core.asarray(onp.asarray(indices), dtype=onp.int64)
    if axis is None:
        a, axis = a.reshape(-1), 0
    if mode == "raise":
        host = idx.asnumpy()
        n = a.shape[axis]
        if host.size and (host.max() >= n or host.min() < -n):
            raise IndexError("take: index out of bounds for axis %d with size %d" % (axis, n))
        mode = "wrap"
    return call("take", [a, idx], {"axis": axis, "mode": mode}, out=out)


def take_along_axis(arr, indices, axis):
    a = _core.asarray(arr)
    idx = _core.asarray(indices)
    if a.ndim == idx.ndim and idx.shape[axis] == 1 and a.ndim >= 1:
        r = call("pick", [a, idx.reshape(tuple(d for i, d in enumerate(idx.shape) if i != axis % a.ndim))],
                 {"axis": axis, "keepdims": True})
        return r
    host = onp.take_along_axis(onp.arange(a.size).reshape(a.shape), idx.asnumpy().astype(onp.int64), axis)
    return take(a.reshape(-1), host)
