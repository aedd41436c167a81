"""sort / argsort / topk ranking (core/ops/sort_order.c) against numpy's stable argsort, on
every path: the float32 radix sort (whole lines of 64+ elements), the comparison sort
(other dtypes, short lines), topk's one-pass scan (k <= 64) and its quickselect (k > 64).
Ties keep their positions' order in both directions; NaN ranks above +inf; -0.0 ties 0.0."""
import numpy as np
import pytest

from mxcore import nd


def _want_order(a, asc, axis):
    """Positions in rank order along `axis`: by value (-0.0 as 0.0, NaN above +inf),
    reversed for descending, ties by position."""
    key = np.where(np.isnan(a), np.inf, a).astype(np.float64)
    key = np.where(key == 0, 0.0, key)
    nan_rank = np.isnan(a).astype(np.int8)
    if not asc:
        key, nan_rank = -key, -nan_rank
    key, nan_rank = np.moveaxis(key, axis, -1), np.moveaxis(nan_rank, axis, -1)
    out = np.empty(key.shape, np.int64)
    pos = np.arange(key.shape[-1])
    for line in np.ndindex(out.shape[:-1]):
        out[line] = np.lexsort((pos, nan_rank[line], key[line]))
    return np.moveaxis(out, -1, axis)


def _data(rng, shape, dtype, ties, nans):
    a = rng.standard_normal(shape) * 3
    if ties:
        a = np.round(a)
    a = a.astype(dtype)
    if nans and np.issubdtype(a.dtype, np.floating):
        a.ravel()[rng.integers(0, a.size, max(1, a.size // 50))] = np.nan
        a.ravel()[rng.integers(0, a.size, max(1, a.size // 50))] = np.inf
        a.ravel()[rng.integers(0, a.size, max(1, a.size // 50))] = -0.0
    return a


@pytest.mark.parametrize("dtype", ["float32", "float64", "int32"])
@pytest.mark.parametrize("n", [5, 63, 64, 700])
@pytest.mark.parametrize("asc", [True, False])
def test_argsort_and_sort_match_a_stable_reference(dtype, n, asc):
    rng = np.random.default_rng(n)
    for axis, shape in ((-1, (3, n)), (0, (n, 2, 2))):
        a = _data(rng, shape, dtype, ties=True, nans=True)
        want = _want_order(a, asc, axis if axis >= 0 else a.ndim + axis)
        got = nd.argsort(nd.array(a, dtype=dtype), axis=axis, is_ascend=asc, dtype='int64').asnumpy()
        np.testing.assert_array_equal(got, want)
        vals = nd.sort(nd.array(a, dtype=dtype), axis=axis, is_ascend=asc).asnumpy()
        np.testing.assert_array_equal(vals, np.take_along_axis(a, want, axis=axis))


@pytest.mark.parametrize("k", [1, 5, 64, 65, 300])
@pytest.mark.parametrize("asc", [True, False])
def test_topk_paths_match_the_first_k_ranks(k, asc):
    rng = np.random.default_rng(k)
    a = _data(rng, (4, 400), "float32", ties=True, nans=True)
    want = _want_order(a, asc, 1)[:, :k]
    x = nd.array(a)
    got_i = nd.topk(x, k=k, axis=1, is_ascend=asc, ret_typ='indices', dtype='int64').asnumpy()
    np.testing.assert_array_equal(got_i, want)
    val, idx = nd.topk(x, k=k, axis=1, is_ascend=asc, ret_typ='both')
    np.testing.assert_array_equal(val.asnumpy(), np.take_along_axis(a, want, axis=1))
    np.testing.assert_array_equal(idx.asnumpy(), want.astype(np.float32))
    mask = nd.topk(x, k=k, axis=1, is_ascend=asc, ret_typ='mask').asnumpy()
    want_mask = np.zeros_like(a)
    np.put_along_axis(want_mask, want, 1.0, axis=1)
    np.testing.assert_array_equal(mask, want_mask)


def test_flattened_sort_and_index_dtypes():
    a = np.array([[3, 1, 2], [1, 0, 3]], np.float32)
    np.testing.assert_array_equal(nd.sort(nd.array(a), axis=None).asnumpy(), [0, 1, 1, 2, 3, 3])
    for dt in ("float32", "float64", "int32", "int64", "uint8"):
        got = nd.argsort(nd.array(a), axis=None, dtype=dt)
        assert got.dtype == np.dtype(dt)
        np.testing.assert_array_equal(got.asnumpy(), [4, 1, 3, 2, 0, 5])


def test_topk_gradient_goes_to_the_ranked_positions():
    from mxcore import autograd
    x = nd.array([[1.0, 5.0, 3.0, 5.0]])
    x.attach_grad()
    with autograd.record():
        v = nd.topk(x, k=2, ret_typ='value')
        (v * nd.array([[10.0, 1.0]])).sum().backward()
    # the two 5.0s rank first (position 1 before 3)
    np.testing.assert_array_equal(x.grad.asnumpy(), [[0, 10, 0, 1]])
