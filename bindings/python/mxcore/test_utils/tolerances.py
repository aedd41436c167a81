"""Default device, dtype and the per-dtype comparison tolerances of mxnet.test_utils.

The tables hold MXNet 1.9.1's numbers, so a user's test that relies on the defaults
passes or fails here exactly as it did under MXNet."""
from __future__ import annotations

import numbers

import numpy as np

from ..context import Context, current_context

_FLOATS = (np.float16, np.float32, np.float64)
_EXACT = (np.bool_, np.int8, np.uint8, np.int32, np.uint32, np.int64, np.uint64)


def default_context() -> Context:
    """The device tests run on unless they say otherwise (the current context)."""
    return current_context()


def set_default_context(ctx: Context) -> None:
    """Make ``ctx`` the default device of this thread (as ``with ctx:`` would, unscoped)."""
    Context._default.value = ctx


def default_dtype():
    """The dtype the check_* helpers give the arrays they build: float32."""
    return np.float32


def _table(float_values) -> dict:
    table = {np.dtype(t): v for t, v in zip(_FLOATS, float_values)}
    table.update({np.dtype(t): 0 for t in _EXACT})
    return table


def default_rtols() -> dict:
    """Relative tolerance per dtype (integers and bool compare exactly)."""
    return _table((1e-2, 1e-4, 1e-5))


def default_atols() -> dict:
    """Absolute tolerance per dtype (integers and bool compare exactly)."""
    return _table((1e-1, 1e-3, 1e-20))


def default_numeric_eps() -> dict:
    """Finite-difference step per float dtype; powers of two, so x + eps drops no bits."""
    return {np.dtype(np.float16): 2.0 ** -6, np.dtype(np.float32): 2.0 ** -9, np.dtype(np.float64): 2.0 ** -14}


def effective_dtype(dat) -> np.dtype:
    """The dtype whose tolerances apply to ``dat`` (numpy array, NDArray or scalar array).

    MXNet demotes float32 to float16 on Ampere GPUs, whose GEMMs round inputs to TF32;
    mxcore's kernels keep full float32 everywhere, so the dtype is the array's own."""
    return np.dtype(dat.dtype)


def get_tolerance(dat, tol, default_tol: dict):
    """``tol`` when it is a number, else its entry for ``dat``'s dtype (a dict may
    cover only some dtypes), else the entry of ``default_tol``."""
    if isinstance(tol, numbers.Number):
        return tol
    dtype = effective_dtype(dat)
    if tol and dtype in tol:
        return tol[dtype]
    return default_tol[dtype]


def get_tols(x, y, rtol, atol):
    """(rtol, atol) for comparing ``x`` with ``y``: the looser of the two arrays' values."""
    x = np.array(x) if isinstance(x, numbers.Number) else x
    y = np.array(y) if isinstance(y, numbers.Number) else y
    rtol = max(get_tolerance(x, rtol, default_rtols()), get_tolerance(y, rtol, default_rtols()))
    atol = max(get_tolerance(x, atol, default_atols()), get_tolerance(y, atol, default_atols()))
    return rtol, atol


def get_atol(atol=None, dtype=np.dtype(np.float64)):
    """``atol``, or the default absolute tolerance of ``dtype`` (float64 unless given)."""
    return default_atols()[np.dtype(dtype)] if atol is None else atol


def get_rtol(rtol=None, dtype=np.dtype(np.float64)):
    """``rtol``, or the default relative tolerance of ``dtype`` (float64 unless given)."""
    return default_rtols()[np.dtype(dtype)] if rtol is None else rtol


def get_etol(etol=None):
    """``etol`` (the tolerated fraction of mismatching elements), 0 by default."""
    return 0 if etol is None else etol
