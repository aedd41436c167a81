"""Shape manipulation of ``mx.np`` (numpy signatures) on registry ops: reshape,
transpose, swapaxes, moveaxis, expand_dims, squeeze, concatenate/stack and their
h/v forms, split, broadcast_to/broadcast_arrays, tile, repeat, flip, roll."""
from __future__ import annotations

import numpy as onp

from ..ndarray.ndarray import NDArray
from . import _core
from ._core import call, norm_axis

__all__ = ["reshape", "transpose", "swapaxes", "moveaxis", "expand_dims", "squeeze", "concatenate", "stack",
           "vstack", "hstack", "dstack", "column_stack", "split", "array_split", "hsplit", "vsplit", "broadcast_to",
           "broadcast_arrays", "tile", "repeat", "flip", "fliplr", "flipud", "roll", "ravel", "atleast_1d",
           "atleast_2d", "shape", "size", "ndim", "append", "rot90"]


def _a(x):
    return _core.asarray(x)


def reshape(a, newshape, order="C"):
    return _a(a).reshape(newshape, order=order)


def ravel(a, order="C"):
    return _a(a).reshape(-1)


def transpose(a, axes=None):
    return _a(a).transpose(axes)


def swapaxes(a, axis1, axis2):
    return _a(a).swapaxes(axis1, axis2)


def moveaxis(a, source, destination):
    a = _a(a)
    src = [s % a.ndim for s in ((source,) if isinstance(source, int) else source)]
    dst = [d % a.ndim for d in ((destination,) if isinstance(destination, int) else destination)]
    if len(src) != len(dst):
        raise ValueError("moveaxis: `source` and `destination` must have the same number of elements")
    order = [i for i in range(a.ndim) if i not in src]
    for d, s in sorted(zip(dst, src)):
        order.insert(d, s)
    return a.transpose(order)


def expand_dims(a, axis):
    return call("expand_dims", [_a(a)], {"axis": axis})


def squeeze(a, axis=None):
    a = _a(a)
    axes = norm_axis(axis, a.ndim)
    if axes is None:
        axes = tuple(i for i, d in enumerate(a.shape) if d == 1)
    for i in axes:
        if a.shape[i] != 1:
            raise ValueError("squeeze: cannot select an axis to squeeze out which has size not equal to one "
                             "(axis %d of shape %s)" % (i, a.shape))
    return a.reshape(tuple(d for i, d in enumerate(a.shape) if i not in axes))


def concatenate(seq, axis=0, out=None):
    arrs = [_a(x) for x in seq]
    if axis is None:
        arrs, axis = [x.reshape(-1) for x in arrs], 0
    arrs = _promote_all(arrs)
    return call("concat", arrs, {"num_args": len(arrs), "dim": axis}, out=out)


def _promote_all(arrs):
    dts = {x.dtype for x in arrs}
    if len(dts) <= 1:
        return arrs
    floats = [d for d in dts if d.kind == "f"]
    dt = onp.result_type(*floats) if floats else onp.result_type(*dts)
    return [_core.cast(x, dt) for x in arrs]


def stack(arrays, axis=0, out=None):
    arrs = _promote_all([_a(x) for x in arrays])
    return call("stack", arrs, {"num_args": len(arrs), "axis": axis}, out=out)


def atleast_1d(*arys):
    r = [_a(x) if _a(x).ndim else _a(x).reshape(1) for x in arys]
    return r[0] if len(r) == 1 else r


def atleast_2d(*arys):
    r = []
    for x in arys:
        x = _a(x)
        r.append(x.reshape((1,) * (2 - x.ndim) + x.shape) if x.ndim < 2 else x)
    return r[0] if len(r) == 1 else r


def vstack(tup, out=None):
    return concatenate([atleast_2d(x) for x in tup], axis=0)


def hstack(tup, out=None):
    arrs = [atleast_1d(x) for x in tup]
    return concatenate(arrs, axis=0 if arrs[0].ndim == 1 else 1)


def dstack(tup):
    arrs = []
    for x in tup:
        x = _a(x)
        arrs.append(x.reshape((1,) * (x.ndim == 0) + (1,) * (x.ndim <= 1) + x.shape + (1,) * (x.ndim < 3)))
    return concatenate(arrs, axis=2)


def column_stack(tup):
    arrs = [_a(x) for x in tup]
    return concatenate([x.reshape(-1, 1) if x.ndim < 2 else x for x in arrs], axis=1)


def append(arr, values, axis=None):
    return concatenate([_a(arr), _a(values)], axis=axis)


def split(ary, indices_or_sections, axis=0):
    """numpy.split: equal sections (an int that must divide the axis) or split points."""
    a = _a(ary)
    ax = axis % a.ndim
    n = a.shape[ax]
    if isinstance(indices_or_sections, (int, onp.integer)):
        k = int(indices_or_sections)
        if k <= 0 or n % k:
            raise ValueError("array split does not result in an equal division (axis %d of size %d into %d)"
                             % (ax, n, k))
        points = [i * (n // k) for i in range(1, k)]
    else:
        points = [int(p) for p in indices_or_sections]
    return _split_at(a, points, ax)


def array_split(ary, indices_or_sections, axis=0):
    a = _a(ary)
    ax = axis % a.ndim
    n = a.shape[ax]
    if isinstance(indices_or_sections, (int, onp.integer)):
        k = int(indices_or_sections)
        sizes = [n // k + (1 if i < n % k else 0) for i in range(k)]
        points = list(onp.cumsum(sizes)[:-1])
    else:
        points = list(indices_or_sections)
    return _split_at(a, points, ax)


def _split_at(a, points, ax):
    n = a.shape[ax]
    bounds = [0] + [min(max(int(p) + (n if p < 0 else 0), 0), n) for p in points] + [n]
    out = []
    for b, e in zip(bounds[:-1], bounds[1:]):
        e = max(b, e)
        out.append(call("slice_axis", [a], {"axis": ax, "begin": b, "end": e}))
    return out


def hsplit(ary, indices_or_sections):
    a = _a(ary)
    return split(a, indices_or_sections, axis=0 if a.ndim == 1 else 1)


def vsplit(ary, indices_or_sections):
    return split(ary, indices_or_sections, axis=0)


def broadcast_to(array, shape):
    a = _a(array)
    shape = (int(shape),) if isinstance(shape, (int, onp.integer)) else tuple(int(s) for s in shape)
    if a.shape == shape:
        return a
    if a.ndim > len(shape) or any(s not in (1, t) for s, t in zip(a.shape[::-1], shape[::-1])):
        raise ValueError("broadcast_to: operands could not be broadcast together with remapped shapes "
                         "[original->remapped]: %s and requested shape %s" % (a.shape, shape))
    if a.ndim < len(shape):
        a = a.reshape((1,) * (len(shape) - a.ndim) + a.shape)
    return call("broadcast_to", [a], {"shape": shape})


def broadcast_arrays(*args):
    arrs = [_a(x) for x in args]
    shape = onp.broadcast_shapes(*[x.shape for x in arrs])
    return [broadcast_to(x, shape) for x in arrs]


def tile(A, reps):
    a = _a(A)
    reps = (reps,) if isinstance(reps, (int, onp.integer)) else tuple(reps)
    if a.ndim == 0:
        a = a.reshape(1)
    return call("tile", [a], {"reps": reps})


def repeat(a, repeats, axis=None):
    a = _a(a)
    if axis is None:
        a, axis = a.reshape(-1), 0
    if not isinstance(repeats, (int, onp.integer)):
        raise NotImplementedError("repeat: only an integer number of repeats is supported")
    return call("repeat", [a], {"repeats": int(repeats), "axis": axis})


def flip(m, axis=None):
    a = _a(m)
    axes = norm_axis(axis, a.ndim)
    if axes is None:
        axes = tuple(range(a.ndim))
    return call("flip", [a], {"axis": axes}) if axes else a


def fliplr(m):
    return flip(m, 1)


def flipud(m):
    return flip(m, 0)


def rot90(m, k=1, axes=(0, 1)):
    a = _a(m)
    k %= 4
    for _ in range(k):
        a = swapaxes(flip(a, axes[1]), axes[0], axes[1])
    return a


def roll(a, shift, axis=None):
    a = _a(a)
    if axis is None:
        return roll(a.reshape(-1), shift, 0).reshape(a.shape)
    shifts = (shift,) if isinstance(shift, int) else tuple(shift)
    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    for s, ax in zip(shifts, axes):
        n = a.shape[ax]
        if n == 0:
            continue
        s %= n
        if s:
            parts = _split_at(a, [n - s], ax % a.ndim)
            a = concatenate([parts[1], parts[0]], axis=ax)
    return a


def shape(a):
    return a.shape if isinstance(a, NDArray) else onp.shape(a)


def size(a, axis=None):
    return (a.size if axis is None else a.shape[axis]) if isinstance(a, NDArray) else onp.size(a, axis)


def ndim(a):
    return a.ndim if isinstance(a, NDArray) else onp.ndim(a)
