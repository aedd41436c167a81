"""mx.np.ndarray: creation dtypes, repr, operators, indexing and conversions,
checked against numpy and (where MXNet differs from numpy) MXNet 1.9.1's printed
values, hard-coded with a comment."""
import operator

import numpy as onp
import pytest

import mxcore as mx
from mxcore import np


def test_isinstance_and_shared_handle():
    a = np.array([1., 2.])
    assert isinstance(a, np.ndarray) and isinstance(a, mx.nd.NDArray)
    b = mx.nd.array([1, 2]).as_np_ndarray()
    assert type(b) is np.ndarray
    c = a.as_nd_ndarray()
    assert type(c) is mx.nd.NDArray
    c[:] = 5  # same tensor: no copy either way
    assert a.tolist() == [5.0, 5.0]


@pytest.mark.parametrize("src,dtype", [
    ([1, 2, 3], "float32"),  # MXNet 1.9.1: np.array of an int list is float32
    ([True, False], "float32"),  # MXNet 1.9.1: array([1., 0.])
    (onp.array([1, 2]), "int64"),  # a host numpy array keeps its dtype
    (onp.array([1., 2.]), "float64"),
    (3.0, "float32"),
])
def test_array_dtype(src, dtype):
    a = np.array(src)
    assert a.dtype == onp.dtype(dtype)
    onp.testing.assert_array_equal(a.asnumpy(), onp.asarray(src).astype(dtype))


def test_creation_defaults():
    # MXNet 1.9.1: arange and full are float32 without dtype
    assert np.arange(5).dtype == onp.float32 and np.arange(5).tolist() == [0, 1, 2, 3, 4]
    assert np.arange(0, 6, 2, dtype="int32").tolist() == [0, 2, 4]
    assert np.full((2,), 7).dtype == onp.float32
    assert np.ones(3, dtype=int).dtype == onp.int64
    assert np.zeros((2, 3)).shape == (2, 3) and np.empty((2,)).dtype == onp.float32
    onp.testing.assert_allclose(np.linspace(0, 1, 5).asnumpy(), [0, .25, .5, .75, 1])
    assert np.linspace(0, 10, 3, dtype="int32").tolist() == [0, 5, 10]
    onp.testing.assert_array_equal(np.eye(2, 3, k=1).asnumpy(), onp.eye(2, 3, k=1))
    x = np.array([1, 2], dtype="int32")
    assert np.zeros_like(x).dtype == onp.int32 and np.ones_like(x).tolist() == [1, 1]
    assert np.full_like(np.array([1., 2.]), 3).tolist() == [3., 3.]
    a = np.array(3.0)
    assert a.shape == () and a.ndim == 0 and a.size == 1 and a.item() == 3.0


def test_repr_like_mxnet():
    # values printed by MXNet 1.9.1
    assert repr(np.array([1, 2, 3])) == "array([1., 2., 3.])"
    assert repr(np.array(3.0)) == "array(3.)"
    assert repr(np.array(onp.array([1, 2]))) == "array([1, 2], dtype=int64)"
    assert repr(np.array([1, 2], dtype="int32")) == "array([1, 2], dtype=int32)"
    assert repr(np.array([0.1, 0.2], dtype="float64")) == "array([0.1, 0.2], dtype=float64)"
    assert repr(np.array([1, 2, 3]) > 1.5) == "array([False,  True,  True])"
    assert repr(np.zeros((2, 3))) == "array([[0., 0., 0.],\n       [0., 0., 0.]])"
    assert repr(np.empty((0, 3))) == "array([], shape=(0, 3))"
    assert str(np.array([1.5, 2])) == "[1.5 2. ]"
    assert repr(np.array([[1.123456789, 2e10]])) == "array([[1.1234568e+00, 2.0000000e+10]])"


A = onp.array([[1., -2., 3.], [4., 5., -6.]], dtype=onp.float32)
B = onp.array([2., 3., 4.], dtype=onp.float32)


_OPS = {"+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv, "**": operator.pow,
        "%": operator.mod, "//": operator.floordiv, "==": operator.eq, "!=": operator.ne, "<": operator.lt,
        "<=": operator.le, ">": operator.gt, ">=": operator.ge}


@pytest.mark.parametrize("op", sorted(_OPS))
def test_binary_operators_broadcast(op):
    f = _OPS[op]
    a, b = np.array(A), np.array(B)
    want, got = f(A, B), f(a, b)
    assert got.dtype == want.dtype
    onp.testing.assert_allclose(got.asnumpy(), want, rtol=1e-5, atol=1e-6)
    want_s, got_s = f(A, 2.0), f(a, 2.0)
    onp.testing.assert_allclose(got_s.asnumpy(), want_s.astype(got_s.dtype), rtol=1e-5)
    want_r, got_r = f(3.0, B), f(3.0, b)
    onp.testing.assert_allclose(got_r.asnumpy(), want_r.astype(got_r.dtype), rtol=1e-5)


def test_operator_dtypes_like_mxnet():
    i32 = np.array([1, 2], dtype="int32")
    # MXNet 1.9.1: a scalar keeps the array's dtype, int / int is true division
    assert (i32 + 1.5).dtype == onp.int32 and (i32 + 1.5).tolist() == [2, 3]
    assert (i32 / np.array([2, 2], dtype="int32")).tolist() == [0.5, 1.0]
    assert (i32 / 2).dtype == onp.float32
    assert (i32 + np.array([1., 2.])).dtype == onp.float32
    assert (np.array([1, 2], dtype="int64") * 2).dtype == onp.int64
    assert (np.array([5., -7.]) % 3).tolist() == [2., 2.]
    assert (-np.array([1., -2.])).tolist() == [-1., 2.]
    assert abs(np.array([-1., 2.])).tolist() == [1., 2.]
    m = np.array([1., 0.]) > 0
    assert (~m).tolist() == [False, True] and (m & ~m).tolist() == [False, False]
    assert ((np.array([1, 2, 3]) > 1.5).sum()).item() == 2
    assert (np.array([[1., 2.], [3., 4.]]) @ np.array([[1., 0.], [0., 1.]])).tolist() == [[1., 2.], [3., 4.]]


def test_inplace_operators():
    a = np.array([1., 2.])
    b = a
    a += 1
    a *= np.array([2., 3.])
    assert b is a and a.tolist() == [4., 9.]


def test_basic_and_advanced_indexing():
    h = onp.arange(24, dtype=onp.float32).reshape(2, 3, 4)
    x = np.array(h)
    for key in [0, (1, 2), (1, 2, 3), slice(None, None, -1), (Ellipsis, 1), (None, 0), (slice(0, 1), 2),
                (0, slice(None), slice(1, 3))]:
        got = x[key]
        assert got.shape == h[key].shape, key
        onp.testing.assert_array_equal(got.asnumpy(), h[key])
    assert x[1, 2, 3].shape == () and x[1, 2, 3].item() == 23.0
    idx = np.array([1, 0])
    onp.testing.assert_array_equal(x[idx].asnumpy(), h[[1, 0]])
    onp.testing.assert_array_equal(x[[1, 0], [0, 2]].asnumpy(), h[[1, 0], [0, 2]])
    onp.testing.assert_array_equal(x[x > 20].asnumpy(), h[h > 20])


def test_setitem():
    x = np.arange(6).reshape(2, 3)
    x[1] = 5
    assert x.tolist() == [[0., 1., 2.], [5., 5., 5.]]  # MXNet 1.9.1
    x = np.arange(6).reshape(2, 3)
    x[x > 2] = 0
    assert x.tolist() == [[0., 1., 2.], [0., 0., 0.]]  # MXNet 1.9.1
    x[:, 0] = np.array([7., 8.])
    assert x.tolist() == [[7., 1., 2.], [8., 0., 0.]]
    x[0, 1:] = np.array([9, 9], dtype="int32")
    assert x.tolist()[0] == [7., 9., 9.]


def test_conversions():
    a = np.array([[1., 2.], [3., 4.]])
    assert a.tolist() == [[1.0, 2.0], [3.0, 4.0]] and type(a.tolist()[0][0]) is float
    assert a.item(3) == 4.0 and float(a[0, 1]) == 2.0 and int(a[1, 1]) == 4
    assert a.astype("int32").dtype == onp.int32 and a.astype("float32", copy=False) is a
    assert a.T.tolist() == [[1., 3.], [2., 4.]] and a.size == 4 and a.ndim == 2
    assert isinstance(a.asnumpy(), onp.ndarray) and onp.asarray(a).shape == (2, 2)
    assert a.ctx == mx.cpu() and a.device == mx.cpu() and a.as_in_ctx(mx.cpu()) is a
    assert a.copy().tolist() == a.tolist() and type(a.copy()) is np.ndarray
    assert len(a) == 2 and [r.tolist() for r in a] == [[1., 2.], [3., 4.]]
    assert bool(np.array([1.])) and not bool(np.array(0.))
    with pytest.raises(ValueError):
        bool(a)
    assert a.reshape(4, 1).shape == (4, 1) and a.reshape((-1,)).shape == (4,) and a.flatten().shape == (4,)
    with pytest.raises(ValueError, match="cannot reshape"):
        a.reshape(3, -1)
    assert np.array(mx.nd.array([1, 2])).dtype == onp.float32
    # inherited legacy methods return numpy-mode arrays
    assert type(a.exp()) is np.ndarray and type(a.detach()) is np.ndarray


def test_autograd_on_np_arrays():
    x = np.array([[1., 2.], [3., 4.]])
    x.attach_grad()
    with mx.autograd.record():
        y = (x * x).sum()
    assert y.shape == ()
    y.backward()
    assert type(x.grad) is np.ndarray
    onp.testing.assert_allclose(x.grad.asnumpy(), 2 * x.asnumpy())
    with mx.autograd.record():
        z = (np.exp(x) * x[0, 1] + x.mean(axis=0).max()).sum()
    z.backward()
    h = x.asnumpy()
    want = onp.exp(h) * h[0, 1]
    want[0, 1] += onp.exp(h).sum()
    want[:, 1] += 4 * 0.5  # the 0-d max is broadcast over the 4 elements summed
    onp.testing.assert_allclose(x.grad.asnumpy(), want, rtol=1e-5)


def test_autograd_grad_keeps_np_type():
    x = np.array([1., 2., 3.])
    x.attach_grad()
    with mx.autograd.record():
        y = (x ** 3).sum()
    g = mx.autograd.grad(y, [x])[0]
    assert type(g) is np.ndarray
    onp.testing.assert_allclose(g.asnumpy(), 3 * x.asnumpy() ** 2)
