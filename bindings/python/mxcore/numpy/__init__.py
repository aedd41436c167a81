"""``mx.np``: MXNet 1.6+'s numpy-compatible interface (``from mxnet import np``).

``mx.np.ndarray`` is a thin subclass of the legacy NDArray over the same core
tensor (see ndarray.py); every function maps onto registry ops (tables in
math_ops.py, small compositions elsewhere), so autograd and devices work as for
``mx.nd``. Modules: creation, math_ops, manipulation, reduction, linalg_ops,
indexing, plus the ``linalg`` and ``random`` namespaces."""
from __future__ import annotations

import numpy as _onp

from . import _core  # noqa: F401
from .ndarray import ndarray
from . import creation, indexing, linalg, linalg_ops, manipulation, math_ops, random, reduction
from .creation import *  # noqa: F401,F403
from .indexing import *  # noqa: F401,F403
from .linalg_ops import *  # noqa: F401,F403
from .manipulation import *  # noqa: F401,F403
from .math_ops import *  # noqa: F401,F403
from .reduction import *  # noqa: F401,F403

# numpy's constants and dtype names (the host numpy's scalar types, as MXNet)
pi, e, inf, nan, newaxis, euler_gamma = _onp.pi, _onp.e, _onp.inf, _onp.nan, None, _onp.euler_gamma
PZERO, NZERO, NINF, PINF, NAN = 0.0, -0.0, -_onp.inf, _onp.inf, _onp.nan
bool_, int8, uint8, int16, int32, int64 = _onp.bool_, _onp.int8, _onp.uint8, _onp.int16, _onp.int32, _onp.int64
float16, float32, float64 = _onp.float16, _onp.float32, _onp.float64
dtype, integer, floating, number = _onp.dtype, _onp.integer, _onp.floating, _onp.number
finfo, iinfo = _onp.finfo, _onp.iinfo
bool = _onp.bool_  # noqa: A001  (MXNet's np.bool)


def may_share_memory(a, b, max_work=None):
    return a is b


def shares_memory(a, b, max_work=None):
    return a is b


def set_printoptions(*args, **kwargs):
    _onp.set_printoptions(*args, **kwargs)


__all__ = (["ndarray", "random", "linalg", "pi", "e", "inf", "nan", "newaxis", "bool_", "int8", "uint8",
            "int16", "int32", "int64", "float16", "float32", "float64", "dtype"] + creation.__all__
           + indexing.__all__ + linalg_ops.__all__ + manipulation.__all__ + math_ops.__all__ + reduction.__all__)
