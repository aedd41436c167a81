"""Comparing arrays the way mxnet.test_utils does: closeness under per-dtype tolerances,
and failure messages that point at the worst element."""
from __future__ import annotations

import numpy as np
import numpy.testing as npt

from .tolerances import get_atol, get_etol, get_rtol, get_tols


def _host(a):
    """A numpy view of an NDArray (anything with ``asnumpy``); other values unchanged."""
    return a.asnumpy() if hasattr(a, "asnumpy") else a


def same(a, b) -> bool:
    """True when the two arrays have the same shape and the same elements."""
    return np.array_equal(_host(a), _host(b))


def checkShapes(a, b) -> None:  # noqa: N802  (MXNet's name)
    """Raise AssertionError unless ``a`` and ``b`` have the same shape."""
    if a.shape != b.shape:
        raise AssertionError(npt.build_err_msg(
            [_host(a), _host(b)], err_msg=f"a.shape = {a.shape} and b.shape = {b.shape} are not equal"))


def almost_equal(a, b, rtol=None, atol=None, equal_nan=False, use_broadcast=True) -> bool:
    """np.allclose with MXNet's float64 defaults (rtol 1e-5, atol 1e-20)."""
    a, b = _host(a), _host(b)
    if not use_broadcast:
        checkShapes(a, b)
    return bool(np.allclose(a, b, rtol=get_rtol(rtol), atol=get_atol(atol), equal_nan=equal_nan))


def locationError(a, b, index, names, maxError=False) -> str:  # noqa: N802,N803  (MXNet's names)
    """'Location of [maximum ]error: <index>, <name_a>=<a[index]>, <name_b>=<b[index]>'."""
    which = "maximum " if maxError else ""
    return "Location of %serror: %s, %s=%.8f, %s=%.8f" % (which, index, names[0], a[index], names[1], b[index])


def _violations(a, b, rtol, atol, equal_nan):
    """|a - b| / (atol + rtol |b|) per element (0 where equal, infinities included)."""
    with np.errstate(invalid="ignore", over="ignore"):
        diff = np.where(np.equal(a, b), 0, np.abs(a - b))
        if equal_nan:
            diff = np.where(np.isnan(a) & np.isnan(b), 0, diff)
        return diff / (atol + rtol * np.abs(b) + 1e-20)


def _index(flat_pos, shape) -> tuple:
    """The element index as plain ints (numpy 2 would print np.int64(...))."""
    return tuple(int(i) for i in np.unravel_index(flat_pos, shape))


def _mismatch_report(a, b, rtol, atol, names, equal_nan, mismatches) -> str:
    """The error text of a failed comparison; prints the worst elements as MXNet does."""
    a, b = np.broadcast_arrays(np.asarray(a), np.asarray(b))
    # in the arrays' own float type (float64 for 0-d ones, which numpy 1.x promoted as
    # scalars), so the reported error matches MXNet's to the digit
    common = np.result_type(a, b)
    work = common if common.kind == "f" and a.ndim else np.float64
    ratio = _violations(a.astype(work), b.astype(work), rtol, atol, equal_nan)
    if ratio.ndim == 0:
        return "Error %f exceeds tolerance rtol=%e, atol=%e.\n" % (ratio, rtol, atol)
    close = np.isclose(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan)
    flat = ratio.ravel()
    order = np.argsort(-np.where(np.isnan(flat), np.inf, flat), kind="stable")
    n_bad = int((~close).sum())
    shown, counted = mismatches
    print(f"\n*** Maximum errors for vector of size {a.size}:  rtol={rtol}, atol={atol}\n")
    for rank, pos in enumerate(order[:min(shown, max(n_bad, 1))], 1):
        idx = _index(pos, ratio.shape)
        print("%3d: Error %f  %s" % (rank, flat[pos], locationError(a, b, idx, names)))
    count = min(n_bad, counted + 1) if counted > 0 else n_bad
    degree = "at least " if counted > 0 and count > counted else ""
    worst = _index(order[0], ratio.shape)
    return "Error %f exceeds tolerance rtol=%e, atol=%e (mismatch %s%f%%).\n%s" % (
        flat[order[0]], rtol, atol, degree, 100 * max(count, 1) / a.size,
        locationError(a, b, worst, names, maxError=True))


def _fail(a, b, rtol, atol, names, equal_nan, mismatches):
    text = _mismatch_report(a, b, rtol, atol, names, equal_nan, mismatches)
    with np.printoptions(threshold=4, suppress=True):
        raise AssertionError(npt.build_err_msg([a, b], err_msg=text))


def assert_almost_equal(a, b, rtol=None, atol=None, names=("a", "b"), equal_nan=False,
                        use_broadcast=True, mismatches=(10, 10)) -> None:
    """Raise AssertionError unless |a - b| <= atol + rtol * |b| everywhere.

    ``a``/``b`` are numpy arrays, NDArrays or numbers; ``rtol``/``atol`` a number, a dict
    dtype -> number or None (the looser default of the two dtypes). The message names
    the worst element (index and both values under ``names``) and the mismatch share;
    ``mismatches`` = (how many worst elements to print, how many to count)."""
    if not use_broadcast:
        checkShapes(a, b)
    rtol, atol = get_tols(a, b, rtol, atol)
    a, b = _host(a), _host(b)
    if getattr(a, "dtype", None) == np.bool_ and getattr(b, "dtype", None) == np.bool_:
        npt.assert_equal(a, b)
        return
    if np.allclose(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan):
        return
    _fail(a, b, rtol, atol, names, equal_nan, mismatches)


def assert_allclose(a, b, rtol=1e-07, atol=0, equal_nan=True) -> None:
    """assert_almost_equal with numpy.testing.assert_allclose's defaults."""
    assert_almost_equal(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan)


def assert_almost_equal_with_err(a, b, rtol=None, atol=None, etol=None, names=("a", "b"),
                                 equal_nan=False, mismatches=(10, 10)) -> None:
    """Like assert_almost_equal, but up to a fraction ``etol`` of the elements may differ."""
    etol = get_etol(etol)
    if etol <= 0:
        assert_almost_equal(a, b, rtol=rtol, atol=atol, names=names, equal_nan=equal_nan)
        return
    rtol, atol = get_tols(a, b, rtol, atol)
    a, b = _host(a), _host(b)
    close = np.isclose(a, b, rtol=rtol, atol=atol)
    if 1 - np.count_nonzero(close) / close.size > etol:
        _fail(a, b, rtol, atol, names, equal_nan, mismatches)


def assert_almost_equal_ignore_nan(a, b, rtol=None, atol=None, names=("a", "b")) -> None:
    """assert_almost_equal over the elements where neither array holds NaN."""
    a, b = np.array(_host(a)), np.array(_host(b))
    hole = np.isnan(a) | np.isnan(b)
    a[hole] = 0
    b[hole] = 0
    assert_almost_equal(a, b, rtol, atol, names)


def assert_exception(f, exception_type, *args, **kwargs) -> None:
    """Raise AssertionError unless ``f(*args, **kwargs)`` raises ``exception_type``."""
    try:
        f(*args, **kwargs)
    except exception_type:
        return
    raise AssertionError(f"{getattr(f, '__name__', f)} did not raise {exception_type.__name__}")


def compare_ndarray_tuple(t1, t2, rtol=None, atol=None) -> None:
    """assert_almost_equal over two (nested) tuples of arrays; None on either side skips."""
    if t1 is None or t2 is None:
        return
    if isinstance(t1, tuple):
        for x, y in zip(t1, t2):
            compare_ndarray_tuple(x, y, rtol, atol)
    else:
        assert_almost_equal(t1, t2, rtol=rtol, atol=atol)


def same_array(array1, array2) -> bool:
    """True when two NDArrays share memory (a write through one shows in the other)."""
    array1[:] += 1
    shared = same(array1, array2)
    array1[:] -= 1
    return shared and same(array1, array2)


def collapse_sum_like(a: np.ndarray, shape) -> np.ndarray:
    """Sum ``a`` over the axes that broadcasting ``shape`` to ``a.shape`` would expand."""
    shape = tuple(shape)
    assert a.ndim >= len(shape)
    if a.size == 0 or int(np.prod(shape)) == 0:
        return np.zeros(shape, dtype=a.dtype)
    lead = a.ndim - len(shape)
    axes = list(range(lead))
    for i, s in enumerate(shape):
        if s != a.shape[lead + i]:
            assert s == 1, f"shape {shape} does not broadcast to {a.shape}"
            axes.append(lead + i)
    return np.sum(a, axis=tuple(axes)).reshape(shape)


def np_reduce(dat: np.ndarray, axis, keepdims: bool, numpy_reduce_func) -> np.ndarray:
    """Apply a one-axis numpy reduction over ``axis`` (None, int or several), last axis first."""
    if axis is None:
        axes = list(range(dat.ndim))
    elif isinstance(axis, int):
        axes = [axis]
    else:
        axes = list(axis)
    out = dat
    for ax in sorted(axes, reverse=True):
        out = numpy_reduce_func(out, axis=ax)
    if keepdims:
        kept = list(dat.shape)
        for ax in axes:
            kept[ax] = 1
        out = out.reshape(kept)
    return out
