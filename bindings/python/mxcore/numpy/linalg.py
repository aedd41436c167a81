"""``mx.np.linalg``: norm (vector and matrix, ord None/2/1/inf/'fro'), and the
square-matrix routines the registry has (inv, det, slogdet, cholesky)."""
from __future__ import annotations

import numpy as onp

from . import _core
from ._core import call, cast, dtype_of, is_float, norm_axis

__all__ = ["norm", "inv", "det", "slogdet", "cholesky"]


def norm(x, ord=None, axis=None, keepdims=False):  # noqa: A002  (numpy's name)
    """Vector/matrix norms as numpy: ord=None is the 2-norm of the flattened array
    (Frobenius for matrices); ord 1/2/inf on one axis; 'fro' or None on two axes."""
    from .reduction import max as _max
    from .reduction import min as _min
    from .reduction import sum as _sum
    x = _core.asarray(x)
    if not is_float(dtype_of(x)):
        x = cast(x, onp.float32)
    axes = norm_axis(axis, x.ndim)
    if ord is None or ord == "fro" or (ord == 2 and axes is not None and len(axes) == 1) or \
            (ord == 2 and axes is None and x.ndim == 1):
        if ord == "fro" and axes is not None and len(axes) != 2:
            raise ValueError("norm: invalid norm order 'fro' for vectors")
        return call("sqrt", [_sum(x * x, axis=axes, keepdims=keepdims)])
    if axes is None:
        axes = tuple(range(x.ndim))
    if len(axes) == 1:
        a = call("abs", [x])
        if ord in (onp.inf, float("inf")):
            return _max(a, axis=axes, keepdims=keepdims)
        if ord in (-onp.inf, float("-inf")):
            return _min(a, axis=axes, keepdims=keepdims)
        if ord == 0:
            return _sum(cast(x != 0, x.dtype), axis=axes, keepdims=keepdims)
        if ord == 1:
            return _sum(a, axis=axes, keepdims=keepdims)
        p = float(ord)
        return _sum(a ** p, axis=axes, keepdims=keepdims) ** (1.0 / p)
    if len(axes) == 2 and ord in (1, -1, onp.inf, -onp.inf):
        a = call("abs", [x])
        r0, r1 = axes
        if ord in (onp.inf, -onp.inf):
            r0, r1 = r1, r0
        s = _sum(a, axis=r0, keepdims=True)
        f = _max if ord > 0 else _min
        r = f(s, axis=r1, keepdims=True)
        return r if keepdims else r.reshape(tuple(d for i, d in enumerate(r.shape) if i not in axes))
    raise NotImplementedError("norm: ord=%r over axes %s is not supported (None, 'fro', 0, 1, 2, inf, p for "
                              "vectors; 'fro', 1, inf for matrices)" % (ord, axes))


def inv(a):
    return call("linalg_inverse", [_core.asarray(a)])


def det(a):
    return call("linalg_det", [_core.asarray(a)])


def slogdet(a):
    sign, logdet = call("linalg_slogdet", [_core.asarray(a)])
    return sign, logdet


def cholesky(a):
    return call("linalg_potrf", [_core.asarray(a)])
