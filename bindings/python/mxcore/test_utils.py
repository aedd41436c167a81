"""Helpers for tests (subset of mxnet.test_utils)."""
from __future__ import annotations

import numpy as np

from .context import cpu, current_context
from .ndarray.ndarray import NDArray, array


def default_context():
    return current_context()


def _np(a):
    return a.asnumpy() if isinstance(a, NDArray) else np.asarray(a)


def assert_almost_equal(a, b, rtol=None, atol=None, names=("a", "b"), equal_nan=False, **kwargs):
    a, b = _np(a), _np(b)
    rtol = 1e-5 if rtol is None else rtol
    atol = 1e-20 if atol is None else atol
    np.testing.assert_allclose(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan,
                               err_msg=f"{names[0]} and {names[1]} differ")


def almost_equal(a, b, rtol=None, atol=None, equal_nan=False):
    return np.allclose(_np(a), _np(b), rtol=1e-5 if rtol is None else rtol, atol=1e-20 if atol is None else atol,
                       equal_nan=equal_nan)


def same(a, b):
    return np.array_equal(_np(a), _np(b))


def rand_ndarray(shape, stype="default", density=None, dtype=None, ctx=None):
    return array(np.random.uniform(-1, 1, size=shape), ctx=ctx or cpu(), dtype=dtype or np.float32)


def rand_shape_nd(num_dim, dim=10):
    return tuple(np.random.randint(1, dim + 1, size=num_dim).tolist())


def numeric_grad(f, x: np.ndarray, eps=1e-4):
    """Central finite differences of scalar f at x (float64)."""
    x = x.astype(np.float64)
    g = np.zeros_like(x)
    it = np.nditer(x, flags=["multi_index"])
    for _ in it:
        i = it.multi_index
        old = x[i]
        x[i] = old + eps
        fp = f(x)
        x[i] = old - eps
        fm = f(x)
        x[i] = old
        g[i] = (fp - fm) / (2 * eps)
    return g
