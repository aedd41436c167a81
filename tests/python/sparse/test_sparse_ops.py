"""Sparse ops (dot, elementwise, retain, reductions, unary maps) against numpy/scipy, with MXNet 1.9.1's
output storage types, and the gradient of dot(csr, w) against finite differences."""
import numpy as np
import pytest
import scipy.sparse as sps
from mxcore import autograd, nd
from mxcore.base import MXNetError
from sparse_data import rand_dense

DTYPES = [np.float32, np.float64]
TOL = {np.float32: 1e-5, np.float64: 1e-12}


def csr(d):
    return nd.array(d, dtype=d.dtype).tostype("csr")


def rsp(d):
    return nd.array(d, dtype=d.dtype).tostype("row_sparse")


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("m,k,n", [(5, 4, 3), (1, 6, 2), (7, 3, 1), (4, 4, 0)])
@pytest.mark.parametrize("density", [0.0, 0.4, 1.0])
def test_dot_forward(rs, dtype, m, k, n, density):
    a = rand_dense(rs, (m, k), density, dtype, empty_rows=[0])
    w = rs.randn(k, n).astype(dtype)
    v = rs.randn(m, n).astype(dtype)
    u = rs.randn(n, m).astype(dtype)
    tol = TOL[dtype]
    out = nd.sparse.dot(csr(a), nd.array(w, dtype=dtype))
    assert out.stype == "default" and out.dtype == dtype
    np.testing.assert_allclose(out.asnumpy(), sps.csr_matrix(a) @ w, rtol=tol, atol=tol)
    t = nd.dot(csr(a), nd.array(v, dtype=dtype), transpose_a=True)
    assert t.stype == "row_sparse" and t.shape == (k, n)
    np.testing.assert_allclose(t.asnumpy(), a.T @ v, rtol=tol, atol=tol)
    np.testing.assert_array_equal(t.indices.asnumpy(), np.flatnonzero(np.any(a != 0, axis=0)))
    t.check_format()
    td = nd.dot(csr(a), nd.array(v, dtype=dtype), transpose_a=True, forward_stype="default")
    assert td.stype == "default"
    np.testing.assert_allclose(td.asnumpy(), a.T @ v, rtol=tol, atol=tol)
    dd = nd.dot(nd.array(u, dtype=dtype), csr(a))
    assert dd.stype == "default"
    np.testing.assert_allclose(dd.asnumpy(), u @ a, rtol=tol, atol=tol)
    tb = nd.dot(csr(a), nd.array(w.T.copy(), dtype=dtype), transpose_b=True)
    np.testing.assert_allclose(tb.asnumpy(), a @ w, rtol=tol, atol=tol)


def test_dot_errors(rs):
    a = csr(rand_dense(rs, (3, 4), 0.5, np.float32))
    with pytest.raises(MXNetError, match=r"_sparse_csr_dot: dot of a csr \(3, 4\) with rhs \(5,2\)"):
        nd.dot(a, nd.ones((5, 2)))
    with pytest.raises(MXNetError, match="dtype float32"):
        nd.dot(a, nd.ones((4, 2), dtype="float64"))
    with pytest.raises(MXNetError, match=r"_sparse_dense_dot_csr: dot of a csr \(4, 4\) with lhs \(2,2\) float32: expected a 2-d lhs with 4 columns"):
        nd.dot(nd.ones((2, 2)), csr(rand_dense(rs, (4, 4), 0.5, np.float32)))


@pytest.mark.parametrize("dtype", DTYPES)
def test_dot_gradient_sparse_linear_model(rs, dtype):
    a = rand_dense(rs, (6, 5), 0.4, dtype, empty_rows=[1])
    w = rs.randn(5, 3).astype(dtype)
    dy = rs.randn(6, 3).astype(dtype)
    W = nd.array(w, dtype=dtype)
    W.attach_grad()
    with autograd.record():
        y = nd.dot(csr(a), W)
    y.backward(nd.array(dy, dtype=dtype))
    np.testing.assert_allclose(W.grad.asnumpy(), a.T @ dy, rtol=1e-5, atol=1e-5)
    # finite differences of sum(dot(a, w) * dy)
    eps = 1e-3 if dtype == np.float32 else 1e-6
    fd = np.zeros_like(w, dtype=np.float64)
    for i in range(w.shape[0]):
        for j in range(w.shape[1]):
            wp, wm = w.copy(), w.copy()
            wp[i, j] += eps
            wm[i, j] -= eps
            f = lambda x: float((nd.dot(csr(a), nd.array(x, dtype=dtype)).asnumpy() * dy).sum())
            fd[i, j] = (f(wp) - f(wm)) / (2 * eps)
    np.testing.assert_allclose(W.grad.asnumpy(), fd, rtol=1e-2 if dtype == np.float32 else 1e-6, atol=1e-3)
    # dense . csr differentiates the dense side
    u = nd.array(rs.randn(2, 6).astype(dtype), dtype=dtype)
    u.attach_grad()
    with autograd.record():
        z = nd.dot(u, csr(a))
    z.backward(nd.ones_like(z))
    np.testing.assert_allclose(u.grad.asnumpy(), np.ones((2, 5)) @ a.T, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(5, 4), (1, 3), (6, 2)])
def test_elemwise(rs, dtype, shape):
    x = rand_dense(rs, shape, 0.5, dtype, empty_rows=[0])
    y = rand_dense(rs, shape, 0.5, dtype)
    o = rs.randn(*shape).astype(dtype)
    tol = TOL[dtype]
    for make, st in ((csr, "csr"), (rsp, "row_sparse")):
        a, b = make(x), make(y)
        cases = [(a + b, x + y, st), (a - b, x - y, st), (a * b, x * y, st), (a * 3, x * 3, st), (2 * a, 2 * x, st),
                 (a / 4, x / 4, st), (a * nd.array(o, dtype=dtype), x * o, st),
                 (a + nd.array(o, dtype=dtype), x + o, "default"), (a + 1, x + 1, "default"),
                 (nd.elemwise_add(a, b), x + y, st), (nd.sparse.elemwise_mul(a, b), x * y, st), (-a, -x, st),
                 (a / b if st == "never" else a - a, x - x, st)]
        for got, want, want_st in cases:
            assert got.stype == want_st
            np.testing.assert_allclose(got.asnumpy(), want, rtol=tol, atol=tol)
            if want_st != "default":
                got.check_format()
    with pytest.raises(MXNetError, match=r"add: operands of shapes \(2, 2\) \(csr\) and \(2, 3\)"):
        csr(np.ones((2, 2), dtype)) + csr(np.ones((2, 3), dtype))


@pytest.mark.parametrize("name,fn", [("abs", np.abs), ("sign", np.sign), ("square", np.square),
                                     ("sqrt", lambda v: np.sqrt(np.abs(v))), ("tanh", np.tanh),
                                     ("relu", lambda v: np.maximum(v, 0))])
def test_zero_preserving_unary_keeps_stype(rs, name, fn):
    x = rand_dense(rs, (5, 3), 0.5, np.float32)
    if name == "sqrt":
        x = np.abs(x)
    for make in (csr, rsp):
        a = make(x)
        for got in (getattr(nd, name)(a), getattr(nd.sparse, name)(a), getattr(a, name)()):
            assert got.stype == a.stype
            np.testing.assert_allclose(got.asnumpy(), fn(x), rtol=1e-6)


def test_retain_and_square_sum(rs):
    x = rand_dense(rs, (6, 3), 0.6, np.float32)
    x[2] = 0
    r = rsp(x)
    keep = np.array([5, 0, 2, 3])
    got = nd.sparse.retain(r, nd.array(keep, dtype="int64"))
    want = np.zeros_like(x)
    want[keep] = x[keep]
    assert got.stype == "row_sparse"
    np.testing.assert_array_equal(got.asnumpy(), want)
    got.check_format()
    assert r.retain(nd.array([1])).indices.asnumpy().tolist() == ([1] if np.any(x[1]) else [])
    with pytest.raises(MXNetError, match="retain: expected a row_sparse array, got storage type csr"):
        nd.sparse.retain(csr(x), nd.array([1]))
    ss = nd.sparse.square_sum(r, axis=1, keepdims=True)
    assert ss.stype == "row_sparse"
    np.testing.assert_allclose(ss.asnumpy(), (x ** 2).sum(1, keepdims=True), rtol=1e-6)
    np.testing.assert_allclose(nd.sparse.square_sum(r).asnumpy(), [(x ** 2).sum()], rtol=1e-6)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(5, 4), (3, 1), (0, 2), (2, 0)])
def test_sum_mean(rs, dtype, shape):
    x = rand_dense(rs, shape, 0.5, dtype)
    a = csr(x)
    tol = TOL[dtype]
    for axis in (None, 0, 1, -1):
        for keepdims in (False, True):
            got = nd.sum(a, axis=axis, keepdims=keepdims)
            want = x.sum(axis=axis, keepdims=keepdims)
            want = np.reshape(want, (1,)) if axis is None and not keepdims else want
            if axis is None and keepdims:
                want = np.reshape(want, (1, 1))
            assert got.stype == "default" and got.shape == want.shape
            np.testing.assert_allclose(got.asnumpy(), want, rtol=tol, atol=tol)
    if x.size:
        np.testing.assert_allclose(nd.sparse.mean(a, axis=1).asnumpy(), x.mean(1), rtol=tol, atol=tol)
        np.testing.assert_allclose(a.mean().asnumpy(), [x.mean()], rtol=tol, atol=tol)


def test_attach_grad_row_sparse(rs):
    from mxcore import autograd as ag
    w = nd.array(rs.randn(6, 2).astype(np.float32))
    w.attach_grad(stype="row_sparse")
    with ag.record():
        y = nd.take(w, nd.array([4, 1, 4]))
    y.backward()
    g = w.grad
    assert g.stype == "row_sparse" and g.indices.asnumpy().tolist() == [1, 4]
    np.testing.assert_array_equal(g.data.asnumpy(), [[1, 1], [2, 2]])
    w.attach_grad()
    assert w.grad.stype == "default"
    with pytest.raises(MXNetError, match="stype must be 'default' or 'row_sparse', got 'csr'"):
        w.attach_grad(stype="csr")


def test_add_n(rs):
    xs = [rand_dense(rs, (5, 3), 0.4, np.float32) for _ in range(3)]
    for make, st in ((rsp, "row_sparse"), (csr, "csr")):
        for fn in (nd.add_n, nd.sparse.add_n, nd.ElementWiseSum):
            got = fn(*[make(x) for x in xs])
            assert got.stype == st
            np.testing.assert_allclose(got.asnumpy(), sum(xs), rtol=1e-6)
    mixed = nd.add_n(rsp(xs[0]), nd.array(xs[1]), csr(xs[2]))
    assert mixed.stype == "default"
    np.testing.assert_allclose(mixed.asnumpy(), sum(xs), rtol=1e-6)


def test_wrong_storage_type_errors(rs):
    a = csr(rand_dense(rs, (3, 4), 0.5, np.float32))
    r = rsp(rand_dense(rs, (3, 4), 0.5, np.float32))
    with pytest.raises(MXNetError, match="square_sum: expected a row_sparse array, got storage type csr"):
        nd.sparse.square_sum(a)
    with pytest.raises(MXNetError, match="attach_grad: a csr array cannot be an autograd variable"):
        a.attach_grad()
    with pytest.raises(MXNetError, match="RowSparseNDArray: only x\\[:\\] is supported"):
        r[1]
    with pytest.raises(MXNetError, match="CSRNDArray: slice step must be 1"):
        a[0:3:2]
    with pytest.raises(MXNetError, match="copyto: cannot copy a csr \\(3, 4\\) into a row_sparse"):
        a.copyto(r)
    with pytest.raises(MXNetError, match="_sparse_csr_elemwise: both operands must have the same dtype"):
        a + csr(rand_dense(rs, (3, 4), 0.5, np.float64))
    with pytest.raises(MXNetError, match="sparse.array: expected a scipy sparse matrix or a sparse NDArray"):
        nd.sparse.array([1, 2])
