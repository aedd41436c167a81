"""mx.np functions against numpy (forward) and closed-form / finite-difference
gradients; where MXNet 1.9.1 differs from numpy its printed values are used."""
import numpy as onp
import pytest

from mxcore import autograd, np

R = onp.random.RandomState(0)
X = R.uniform(0.5, 2.0, (2, 3, 4)).astype(onp.float32)
M = R.randn(3, 4).astype(onp.float32)


@pytest.mark.parametrize("name", ["exp", "log", "log2", "log10", "log1p", "expm1", "sqrt", "cbrt", "abs", "tanh",
                                  "sin", "cos", "tan", "arctan", "sinh", "cosh", "sign", "square", "floor", "ceil",
                                  "trunc", "negative", "reciprocal", "degrees", "radians", "arcsinh"])
def test_unary_vs_numpy(name):
    got = getattr(np, name)(np.array(X))
    onp.testing.assert_allclose(got.asnumpy(), getattr(onp, name)(X), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", ["add", "subtract", "multiply", "divide", "power", "maximum", "minimum", "mod",
                                  "hypot", "equal", "greater", "less_equal", "logical_and", "true_divide"])
def test_binary_vs_numpy(name):
    a, b = X, M + 2
    got = getattr(np, name)(np.array(a), np.array(b))
    onp.testing.assert_allclose(got.asnumpy(), getattr(onp, name)(a, b), rtol=1e-5, atol=1e-6)
    got = getattr(np, name)(np.array(a), 1.5)
    onp.testing.assert_allclose(got.asnumpy(), getattr(onp, name)(a, onp.float32(1.5)), rtol=1e-5, atol=1e-6)


def test_rounding_clip_isnan():
    v = onp.array([0.5, 1.5, 2.5, -2.5, 1.26, -0.5], dtype=onp.float32)
    onp.testing.assert_array_equal(np.round(np.array(v)).asnumpy(), onp.round(v))  # half to even
    onp.testing.assert_array_equal(np.rint(np.array(v)).asnumpy(), onp.rint(v))
    onp.testing.assert_allclose(np.around(np.array([1.26, 2.5]), 1).asnumpy(), [1.3, 2.5])  # MXNet 1.9.1
    assert np.clip(np.array([1, 5]), None, 3).tolist() == [1., 3.]  # MXNet 1.9.1
    assert np.clip(np.array([1., 5.]), 2, 4).tolist() == [2., 4.]
    h = onp.array([1., onp.nan, onp.inf], dtype=onp.float32)
    assert np.isnan(np.array(h)).tolist() == [False, True, False]
    assert np.isinf(np.array(h)).tolist() == [False, False, True]
    assert np.isfinite(np.array(h)).tolist() == [True, False, False]


@pytest.mark.parametrize("axis", [None, 0, 1, -1, (0, 2), (0, 1, 2)])
@pytest.mark.parametrize("keepdims", [False, True])
@pytest.mark.parametrize("name", ["sum", "mean", "max", "min", "prod", "std", "var"])
def test_reductions_vs_numpy(name, axis, keepdims):
    got = getattr(np, name)(np.array(X), axis=axis, keepdims=keepdims)
    want = getattr(onp, name)(X, axis=axis, keepdims=keepdims)
    assert got.shape == want.shape
    onp.testing.assert_allclose(got.asnumpy(), want, rtol=1e-4, atol=1e-6)
    meth = getattr(np.array(X), name)(axis=axis, keepdims=keepdims)
    onp.testing.assert_allclose(meth.asnumpy(), want, rtol=1e-4, atol=1e-6)


def test_reduction_dtypes_like_mxnet():
    i = np.array([1, 2, 3], dtype="int32")
    assert np.mean(i).dtype == onp.float32 and np.mean(i).item() == 2.0  # MXNet 1.9.1: array(2.)
    assert np.sum(i).dtype == onp.int32 and np.sum(i).item() == 6  # MXNet 1.9.1: array(6, dtype=int32)
    x = np.array([[1, 5], [7, 2]])
    assert np.argmax(x, axis=0).tolist() == [1, 0] and np.argmax(x).dtype == onp.int64
    assert x.argmin().shape == () and x.argmin().item() == 0
    assert np.var(np.array([[1., 2.], [3., 5.]])).item() == pytest.approx(2.1875)  # MXNet 1.9.1
    assert np.std(np.array([[1., 2.], [3., 4.]]), ddof=1).item() == pytest.approx(onp.std([1, 2, 3, 4], ddof=1))
    onp.testing.assert_array_equal(np.cumsum(np.array(M), axis=1).asnumpy(), onp.cumsum(M, axis=1))
    assert np.cumsum(np.array([[1, 2], [3, 4]])).tolist() == [1., 3., 6., 10.]
    assert np.all(np.array([1., 1.])).item() and not np.any(np.array([0., 0.])).item()


def test_sort_where_unique():
    v = np.array([3, 1, 2])
    assert np.sort(v).tolist() == [1., 2., 3.] and np.argsort(v).tolist() == [1, 2, 0]
    assert np.argsort(v).dtype == onp.int64
    c = np.array([1., 0., 1.]) > 0
    assert np.where(c, np.array([1., 2., 3.]), 0).tolist() == [1., 0., 3.]
    assert np.where(np.array([[True], [False]]), np.ones((2, 3)), np.zeros(3)).tolist() == [[1] * 3, [0] * 3]
    assert [a.tolist() for a in np.where(c)] == [[0, 2]]
    assert np.unique(np.array([1, 1, 2])).tolist() == [1., 2.]


def test_shape_functions_vs_numpy():
    x = np.array(X)
    cases = [
        (np.reshape(x, (4, 6)), X.reshape(4, 6)), (np.transpose(x), X.T),
        (np.transpose(x, (1, 0, 2)), X.transpose(1, 0, 2)), (np.swapaxes(x, 0, 2), X.swapaxes(0, 2)),
        (np.moveaxis(x, 0, -1), onp.moveaxis(X, 0, -1)), (np.expand_dims(x, 1), onp.expand_dims(X, 1)),
        (np.squeeze(np.ones((1, 2, 1))), onp.ones(2)), (np.ravel(x), X.ravel()),
        (np.concatenate([x, x], axis=1), onp.concatenate([X, X], axis=1)),
        (np.concatenate([x, x], axis=None), onp.concatenate([X, X], axis=None)),
        (np.stack([x, x], axis=-1), onp.stack([X, X], axis=-1)), (np.vstack([M, M]), onp.vstack([M, M])),
        (np.hstack([M, M]), onp.hstack([M, M])), (np.broadcast_to(np.array(B1), (3, 4)), onp.broadcast_to(B1, (3, 4))),
        (np.tile(np.array([1., 2.]), 2), onp.tile([1., 2.], 2)), (np.tile(np.array(M), (2, 1)), onp.tile(M, (2, 1))),
        (np.repeat(np.array([1., 2.]), 2), onp.repeat([1., 2.], 2)), (np.repeat(x, 2, axis=1), onp.repeat(X, 2, 1)),
        (np.flip(x, 1), onp.flip(X, 1)), (np.roll(np.array(M), 1, axis=1), onp.roll(M, 1, axis=1)),
        (x.T, X.T), (x.flatten(), X.flatten()),
    ]
    for got, want in cases:
        assert got.shape == want.shape
        onp.testing.assert_allclose(got.asnumpy(), want)
    parts = np.split(np.arange(6), [2, 3])  # MXNet 1.9.1: [array([0., 1.]), array([2.]), array([3., 4., 5.])]
    assert [p.tolist() for p in parts] == [[0., 1.], [2.], [3., 4., 5.]]
    assert [p.shape for p in np.split(x, 2, axis=2)] == [(2, 3, 2)] * 2
    with pytest.raises(ValueError, match="equal division"):
        np.split(x, 3, axis=2)
    with pytest.raises(ValueError, match="broadcast"):
        np.broadcast_to(x, (3, 3))


B1 = onp.array([1., 2., 3., 4.], dtype=onp.float32)


def test_products_vs_numpy():
    a, b = R.randn(2, 3).astype(onp.float32), R.randn(3, 4).astype(onp.float32)
    v = onp.array([1., 2., 3.], dtype=onp.float32)
    t = R.randn(2, 3, 4).astype(onp.float32)
    c = R.randn(4, 5).astype(onp.float32)
    cases = [
        (np.dot(np.array(a), np.array(b)), a @ b), (np.dot(np.array(v), np.array(v)), onp.dot(v, v)),
        (np.dot(np.array(a), np.array(v)), a @ v), (np.matmul(np.array(t), np.array(c)), t @ c),
        (np.outer(np.array(v), np.array(v)), onp.outer(v, v)), (np.inner(np.array(v), np.array(v)), onp.inner(v, v)),
        (np.array(a) @ np.array(b), a @ b), (np.trace(np.array(onp.eye(3))), onp.trace(onp.eye(3))),
    ]
    for got, want in cases:
        assert got.shape == onp.shape(want)
        onp.testing.assert_allclose(got.asnumpy(), want, rtol=1e-5, atol=1e-5)
    bt = b.T.copy()
    onp.testing.assert_allclose(np.tensordot(np.array(t), np.array(bt), axes=([1, 2], [1, 0])).asnumpy(),
                                onp.tensordot(t, bt, axes=([1, 2], [1, 0])), rtol=1e-5, atol=1e-5)
    big = R.randn(5, 1, 2, 3).astype(onp.float32)
    onp.testing.assert_allclose(np.matmul(np.array(big), np.array(b)).asnumpy(), big @ b, rtol=1e-5, atol=1e-5)
    onp.testing.assert_allclose(np.dot(np.array(a), np.array(t)).asnumpy(), onp.dot(a, t), rtol=1e-5, atol=1e-5)
    assert np.dot(np.array([1., 2.]), np.array([3., 4.])).item() == 11.0  # MXNet 1.9.1: array(11.)


def test_linalg_norm():
    m = onp.array([[3., 4.], [1., -2.]], dtype=onp.float32)
    for kw in [{}, {"axis": 1}, {"axis": 0, "keepdims": True}, {"ord": 1, "axis": 1}, {"ord": onp.inf, "axis": 0},
               {"ord": "fro"}, {"ord": 1}, {"ord": onp.inf}, {"ord": 3, "axis": 1}]:
        onp.testing.assert_allclose(np.linalg.norm(np.array(m), **kw).asnumpy(), onp.linalg.norm(m, **kw),
                                    rtol=1e-5, err_msg=str(kw))
    assert np.linalg.norm(np.array([[3., 4.]]), axis=1).tolist() == [5.0]  # MXNet 1.9.1: array([5.])
    sq = onp.array([[2., 1.], [1., 3.]], dtype=onp.float32)
    onp.testing.assert_allclose(np.linalg.inv(np.array(sq)).asnumpy(), onp.linalg.inv(sq), rtol=1e-5)
    assert np.linalg.det(np.array(sq)).item() == pytest.approx(5.0)


def test_random():
    np.random.seed(7)
    a = np.random.uniform(size=(1000,))
    np.random.seed(7)
    b = np.random.uniform(size=(1000,))
    assert a.tolist() == b.tolist() and a.dtype == onp.float32 and 0 <= a.min().item() and a.max().item() < 1
    n = np.random.normal(2.0, 0.5, size=(4000,))
    assert abs(n.mean().item() - 2.0) < 0.05 and abs(n.std().item() - 0.5) < 0.05
    assert np.random.normal(0, 1, size=(2, 3)).shape == (2, 3) and np.random.uniform().shape == ()
    r = np.random.randint(0, 5, size=(200,))
    assert r.dtype == onp.int64 and set(r.tolist()) <= set(range(5))  # MXNet 1.9.1: int64
    assert np.random.rand(2, 3).shape == (2, 3) and np.random.randn(4).shape == (4,)
    c = np.random.choice(5, 3)
    assert c.dtype == onp.int64 and c.shape == (3,)
    assert sorted(np.random.choice(5, 5, replace=False).tolist()) == [0, 1, 2, 3, 4]
    assert set(np.random.choice(3, 50, p=[0., 1., 0.]).tolist()) == {1}
    x = np.arange(10)
    assert np.random.shuffle(x) is None and sorted(x.tolist()) == list(range(10))
    loc = np.array([0., 100.])
    assert (np.random.normal(loc, 0.01) - loc).__abs__().max().item() < 1


def _fd_check(f, x, eps=1e-3, rtol=2e-2):
    xa = np.array(x)
    xa.attach_grad()
    with autograd.record():
        y = f(xa)
    y.backward()
    num = onp.zeros_like(x)
    for i in range(x.size):
        xp, xm = x.copy(), x.copy()
        xp.flat[i] += eps
        xm.flat[i] -= eps
        num.flat[i] = (f(np.array(xp)).item() - f(np.array(xm)).item()) / (2 * eps)
    onp.testing.assert_allclose(xa.grad.asnumpy(), num, rtol=rtol, atol=1e-3)


@pytest.mark.parametrize("f", [
    lambda x: (np.tanh(x) * np.exp(x)).sum(),
    lambda x: np.linalg.norm(x),
    lambda x: x.std(),
    lambda x: x.var(axis=0).sum(),
    lambda x: np.dot(x, x.T).mean(),
    lambda x: np.matmul(x.reshape(1, 3, 4), x.T.reshape(1, 4, 3)).sum(),
    lambda x: (x[x > 1.0] ** 2).sum(),
    lambda x: np.concatenate([x, 2 * x[:, ::-1]], axis=1).max(axis=1).sum(),
    lambda x: np.where(x > 1.0, x, 2 * x).sum(),
    lambda x: np.tensordot(x, x, axes=([0, 1], [0, 1])),
    lambda x: np.cumsum(x, axis=1).sum(),
    lambda x: np.clip(x, 0.8, 1.5).prod(),
])
def test_gradients_finite_differences(f):
    _fd_check(f, R.uniform(0.5, 2.0, (3, 4)).astype(onp.float64).astype(onp.float32).astype(onp.float64)
              .astype(onp.float32))
